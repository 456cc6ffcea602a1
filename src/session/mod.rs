//! Sessions: records and their states, names, the JSON store, decisions and
//! their life, and the manager that ties them to tmux.

mod agent;
mod decision;
mod error;
mod event;
mod id;
mod manager;
mod migrate;
mod names;
mod record;
pub mod store;
#[cfg(test)]
pub(crate) mod testing;

pub use crate::tmux::{MAX_NAME_LEN, NameError, SessionName};
pub use agent::program_name;
pub use decision::{Decision, Ending, Gone, Tapped};
pub use error::SessionError;
pub use event::{Answer, Event, Events};
pub use id::SessionId;
pub use manager::{AnswerOutcome, EventsSetup, Manager, ReconcileReport, Settings, last_lines};
pub use names::{AddressError, name_taken, resolve, slug_for_folder, slugify, unique_name};
pub use record::{Level, Move, SessionRecord, SessionState, Topic, TransitionError};
pub use store::{RunLock, Store, StoreError};
