//! Sessions: records and their states, names, the JSON store, and the
//! manager that ties them to tmux.

mod decision;
mod id;
mod names;
mod record;
pub mod store;

pub use decision::{Decision, DecisionOption, Fingerprint};
pub use id::{MAX_NAME_LEN, NameError, SessionId, SessionName};
pub use names::{AddressError, resolve, slug_for_folder, slugify, unique_name};
pub use record::{SessionRecord, SessionState, TransitionError};
pub use store::{RunLock, Store, StoreError};
