//! The tmux seam: a trait the session manager and watcher talk to, the real
//! driver over the tmux CLI, session names, and an in-memory fake for unit tests.

mod cli;
#[cfg(test)]
mod fake;
mod name;

pub use cli::CliTmux;
#[cfg(test)]
pub(crate) use fake::{FakeInput, FakeTmux};
pub use name::{MAX_NAME_LEN, NameError, SessionName};

use std::path::PathBuf;

/// A key to press in a pane, as used to answer agent menus.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Key {
    /// A printable character typed literally (`1`, `y`, `n`, ...).
    Char(char),
    Up,
    Down,
    Left,
    Right,
    Enter,
    Escape,
    Tab,
    Backspace,
    /// Ctrl-C, to interrupt an agent.
    CtrlC,
}

impl Key {
    /// The tmux `send-keys` name of a named key; `None` for a literal character.
    pub fn tmux_name(self) -> Option<&'static str> {
        Some(match self {
            Key::Char(_) => return None,
            Key::Up => "Up",
            Key::Down => "Down",
            Key::Left => "Left",
            Key::Right => "Right",
            Key::Enter => "Enter",
            Key::Escape => "Escape",
            Key::Tab => "Tab",
            Key::Backspace => "BSpace",
            Key::CtrlC => "C-c",
        })
    }
}

impl std::fmt::Display for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Key::Char(c) => write!(f, "{c}"),
            other => f.write_str(other.tmux_name().unwrap_or("?")),
        }
    }
}

/// What is needed to start a tmux session running an agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    pub name: SessionName,
    /// Working directory of the new pane.
    pub folder: PathBuf,
    /// A shell command line, run by tmux through `sh -c`.
    pub command: String,
    /// The session's whole environment: set with `new-session -e`, and the
    /// only environment of a tmux server this session starts.
    pub env: Vec<(String, String)>,
}

/// One pane on the tgmux tmux server, as `list-panes -a` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaneInfo {
    /// The tmux session name; not necessarily a valid [`SessionName`] for
    /// sessions someone started by hand.
    pub session: String,
    /// True when the pane's process has exited (kept by `remain-on-exit`).
    pub dead: bool,
    /// The exit status of a dead pane, when tmux knows it: None after a
    /// signal, and for a moment after death until tmux reaps the process.
    pub exit_status: Option<i32>,
    /// Unix time (seconds) of the last output in the pane's window.
    pub activity: i64,
    /// The pane's current working directory.
    pub current_path: PathBuf,
    /// The command running in the pane, as tmux names it (`claude`, `bash`).
    pub current_command: String,
}

/// Failures of the tmux driver, worded so a user knows what to do.
#[derive(Debug, thiserror::Error)]
pub enum TmuxError {
    #[error(
        "tmux is not installed or not on PATH; install it (e.g. `apt-get install tmux` or `brew install tmux`)"
    )]
    NotInstalled,
    /// Also what calls that target a session return when no server runs.
    #[error("the tmux server on socket `{socket}` is not running")]
    ServerNotRunning { socket: String },
    #[error("tmux session `{name}` does not exist on socket `{socket}`")]
    NoSuchSession { name: String, socket: String },
    #[error("tmux session `{name}` already exists on socket `{socket}`")]
    DuplicateSession { name: String, socket: String },
    #[error("the program in tmux session `{name}` has exited, so nothing can be typed into it")]
    PaneDead { name: String },
    #[error("folder `{}` does not exist or is not a directory", .0.display())]
    NoSuchFolder(PathBuf),
    #[error("tmux {command} failed: {stderr}")]
    Command { command: String, stderr: String },
    #[error("could not run tmux: {0}")]
    Io(#[from] std::io::Error),
}

impl TmuxError {
    /// True when the targeted session does not exist, whether or not its server runs.
    pub fn is_session_gone(&self) -> bool {
        matches!(
            self,
            TmuxError::NoSuchSession { .. } | TmuxError::ServerNotRunning { .. }
        )
    }
}

/// Everything tgmux asks of tmux. All targets are exact (`=name`), so one
/// session name never matches another by prefix.
pub trait Tmux: Send + Sync {
    /// The socket name (`tmux -L`), shown to users so they can attach by hand.
    fn socket(&self) -> &str;
    /// Starts a detached session whose pane stays after its process exits;
    /// `DuplicateSession` if the name is taken, `NoSuchFolder` if the folder is missing.
    fn new_session(&self, spec: &NewSession) -> Result<(), TmuxError>;
    /// Every pane on the server; empty when the server is not running.
    fn list_panes(&self) -> Result<Vec<PaneInfo>, TmuxError>;
    /// Types `text` into the pane exactly as given (no Enter), as a bracketed
    /// paste when the program asked for one; `PaneDead` if its program exited.
    fn send_text(&self, name: &str, text: &str) -> Result<(), TmuxError>;
    /// Presses the keys in order; `PaneDead` if the pane's program exited.
    fn send_keys(&self, name: &str, keys: &[Key]) -> Result<(), TmuxError>;
    /// The visible screen plus up to `history` lines of scrollback above it.
    /// On a dead pane tmux 3.3a scrolls the screen up a line to print
    /// `Pane is dead (status N, <date>)` at the bottom.
    fn capture(&self, name: &str, history: usize) -> Result<String, TmuxError>;
    /// Kills the session; succeeds if it is already gone.
    fn kill_session(&self, name: &str) -> Result<(), TmuxError>;
    /// Renames a session (used to adopt hand-started sessions with unsafe names).
    fn rename_session(&self, from: &str, to: &str) -> Result<(), TmuxError>;
}
