//! The errors a session operation can end in, worded for the person who asked.

use std::path::PathBuf;

use super::{AddressError, SessionName, SessionState, StoreError, TransitionError};
use crate::tmux::TmuxError;

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Tmux(#[from] TmuxError),
    #[error(transparent)]
    Address(#[from] AddressError),
    #[error(transparent)]
    Transition(#[from] TransitionError),
    #[error("folder {0} does not exist")]
    NoSuchFolder(PathBuf),
    #[error("cannot open folder {folder}: {source}")]
    FolderAccess {
        folder: PathBuf,
        source: std::io::Error,
    },
    #[error("{0} is not a folder")]
    NotAFolder(PathBuf),
    #[error(
        "folder {folder} is outside the allowed roots ({roots}); add it to TGMUX_ROOTS to allow it"
    )]
    OutsideRoots { folder: PathBuf, roots: String },
    #[error("session `{name}` is {state}; {hint}")]
    NotActive {
        name: SessionName,
        state: &'static str,
        hint: &'static str,
    },
    #[error("the agent command is empty; set TGMUX_AGENT or name one")]
    EmptyAgent,
    #[error("nothing to send: the text is empty")]
    EmptyText,
    #[error(transparent)]
    File(#[from] crate::files::FileError),
}

impl SessionError {
    /// The error for an operation that needs a running agent.
    pub(crate) fn not_active(name: &SessionName, state: &SessionState) -> Self {
        let hint = match state {
            SessionState::Starting => "it is still starting; try again in a moment",
            SessionState::Stopped { .. } | SessionState::Errored { .. } => "resume it first",
            SessionState::Removed => "it was removed",
            SessionState::Active { .. } => "",
        };
        SessionError::NotActive {
            name: name.clone(),
            state: state.name(),
            hint,
        }
    }
}
