//! A decision: one instance of an agent waiting for the user, from the moment
//! the screen shows its prompt until exactly one [`Ending`] closes it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::events::ToolCall;
use crate::screen::{Fingerprint, Prompt};

/// An open decision. `serial` counts decisions per session, so two prompts
/// that read the same are still two decisions: a button for one never
/// answers the other.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub serial: u32,
    pub prompt: Prompt,
    /// The tool call behind the prompt in the agent's own words, when the
    /// agent announced one the screen shows: it names the call exactly (the
    /// screen may wrap or cut it); the prompt alone says how to answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool: Option<ToolCall>,
    pub opened_at: DateTime<Utc>,
    /// Set once a tap sent its keys; the prompt may stay on the screen a
    /// moment longer, and a second tap must not answer it again.
    #[serde(default)]
    pub tapped: Option<Tapped>,
}

impl Decision {
    pub fn fingerprint(&self) -> Fingerprint {
        self.prompt.fingerprint()
    }
}

/// Who answered a decision with a tap, with what, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tapped {
    pub by: String,
    pub option: String,
    pub at: DateTime<Utc>,
}

/// How a decision ended: exactly one of these, once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    /// A tap answered it (and the prompt has now left the screen).
    Tapped(Tapped),
    /// It left the screen without a tap: someone answered at the terminal.
    InTerminal,
    /// Another prompt took its place on the screen.
    Replaced,
    /// Its screen is gone.
    Gone(Gone),
}

/// Why a decision's screen went away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gone {
    /// The agent exited.
    AgentExited,
    /// The user stopped the session.
    Stopped,
    /// The user removed the session.
    Removed,
    /// Watching the session failed.
    Errored,
    /// The whole tmux server went away.
    ServerGone,
}

impl Ending {
    /// How the phone words the ending, after the question.
    pub fn describe(&self) -> String {
        match self {
            Ending::Tapped(t) => format!("{}, by {}", t.option, t.by),
            Ending::InTerminal => "answered in the terminal".to_owned(),
            Ending::Replaced => "replaced by a new question".to_owned(),
            Ending::Gone(Gone::AgentExited) => "the agent exited".to_owned(),
            Ending::Gone(Gone::Stopped) => "the session was stopped".to_owned(),
            Ending::Gone(Gone::Removed) => "the session was removed".to_owned(),
            Ending::Gone(Gone::Errored) => "watching the session failed".to_owned(),
            Ending::Gone(Gone::ServerGone) => "the tmux server is gone".to_owned(),
        }
    }
}
