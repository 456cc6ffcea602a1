//! Sessions: records and their states, names, the JSON store, and the
//! manager that ties them to tmux.

mod agent;
mod decision;
mod error;
mod id;
mod manager;
mod names;
mod record;
pub mod store;

pub use crate::tmux::{MAX_NAME_LEN, NameError, SessionName};
pub use agent::{Launch, launch, program_name, shell_quote};
pub use decision::{Decision, DecisionOption, Fingerprint};
pub use error::SessionError;
pub use id::SessionId;
pub use manager::{Manager, ReconcileReport, Settings, last_lines};
pub use names::{AddressError, name_taken, resolve, slug_for_folder, slugify, unique_name};
pub use record::{SessionRecord, SessionState, TransitionError};
pub use store::{RunLock, Store, StoreError};
