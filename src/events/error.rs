//! Why an event could not be received, stored or wired in.

use std::path::PathBuf;

/// A failure of the events layer, worded for whoever reads the log.
#[derive(Debug, thiserror::Error)]
pub enum EventsError {
    #[error("{0} is not set: the session was not started by tgmux")]
    MissingEnv(&'static str),
    #[error("`{0}` is not a session id (letters, digits, `-` and `_` only)")]
    BadSessionId(String),
    #[error("`{0}` is not an agent tgmux takes events from (claude, codex, gemini)")]
    UnknownAgent(String),
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "cannot add tgmux's hooks to Gemini CLI's system defaults {}: {reason}; fix or remove that file",
        path.display()
    )]
    GeminiDefaults { path: PathBuf, reason: String },
}

impl EventsError {
    /// An I/O error on `path`.
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        EventsError::Io {
            path: path.into(),
            source,
        }
    }
}
