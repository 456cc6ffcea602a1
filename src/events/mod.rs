//! What agents report about themselves (Claude Code hooks, Codex notify,
//! Gemini CLI hooks): parsed from each agent's own payload by `tgmux hook`,
//! appended to a per-session spool, and read back by the watcher.
//!
//! These events make the phone faster and its text exacter; they never open
//! or answer a decision by themselves (the screen stays the judge).

mod claude;
mod codex;
mod error;
mod gemini;
pub mod hook;
pub mod launch;
pub mod spool;
mod tool;
mod transcript;
pub mod wake;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use error::EventsError;

/// Longest text kept from a payload (an answer, a command): bounds a spool
/// line and a phone message alike.
const MAX_TEXT: usize = 256 * 1024;

/// The agents that report events, one per payload format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Agent {
    Claude,
    Codex,
    Gemini,
}

impl Agent {
    /// The agent a program runs, from its base name (`claude`, `codex`,
    /// `gemini`); None for agents that report nothing.
    pub fn from_program(program: &str) -> Option<Agent> {
        match program {
            "claude" => Some(Agent::Claude),
            "codex" => Some(Agent::Codex),
            "gemini" => Some(Agent::Gemini),
            _ => None,
        }
    }

    /// The word after `tgmux hook` that names this agent.
    pub fn as_str(self) -> &'static str {
        match self {
            Agent::Claude => "claude",
            Agent::Codex => "codex",
            Agent::Gemini => "gemini",
        }
    }

    /// The events in one raw payload; anything not understood is ignored.
    pub fn parse(self, payload: &[u8]) -> Vec<AgentEvent> {
        match self {
            Agent::Claude => claude::parse(payload),
            Agent::Codex => codex::parse(payload),
            Agent::Gemini => gemini::parse(payload),
        }
    }
}

/// What an agent reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AgentEvent {
    /// The agent's own id for its conversation, to resume it later.
    SessionStarted { agent_session_id: String },
    /// A tool is about to run (and may need approval).
    ToolPending(ToolCall),
    /// The agent asks the user for permission, in its own words.
    PermissionAsked { message: String },
    /// The turn ended; the final assistant text when the agent gave it.
    TurnEnded { answer: Option<String> },
    /// A tool has run: its name and what it acted on.
    Progress { tool: String, detail: String },
}

/// A tool call: the tool's name and what it acts on (the shell command,
/// the file path, ...), as the agent itself names them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolCall {
    pub tool: String,
    pub input: String,
}

/// An event with the time `tgmux hook` received it: one spool line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Received {
    pub at: DateTime<Utc>,
    pub event: AgentEvent,
}

/// `text` cut to at most `MAX_TEXT` bytes, at a character boundary.
fn bounded(text: &str) -> String {
    if text.len() <= MAX_TEXT {
        return text.to_owned();
    }
    let mut end = MAX_TEXT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

/// The string at `key` of a JSON object, if it is a non-empty string.
fn str_field<'a>(value: &'a serde_json::Value, key: &str) -> Option<&'a str> {
    value
        .get(key)
        .and_then(serde_json::Value::as_str)
        .filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn programs_map_to_agents() {
        assert_eq!(Agent::from_program("claude"), Some(Agent::Claude));
        assert_eq!(Agent::from_program("codex"), Some(Agent::Codex));
        assert_eq!(Agent::from_program("gemini"), Some(Agent::Gemini));
        assert_eq!(Agent::from_program("aider"), None);
        for agent in [Agent::Claude, Agent::Codex, Agent::Gemini] {
            assert_eq!(Agent::from_program(agent.as_str()), Some(agent));
        }
    }

    #[test]
    fn received_serializes_as_one_tagged_object() {
        let received = Received {
            at: "2026-05-01T10:00:00Z".parse().unwrap(),
            event: AgentEvent::ToolPending(ToolCall {
                tool: "Bash".into(),
                input: "cargo test".into(),
            }),
        };
        let line = serde_json::to_string(&received).unwrap();
        assert_eq!(
            line,
            r#"{"at":"2026-05-01T10:00:00Z","event":{"kind":"tool_pending","tool":"Bash","input":"cargo test"}}"#
        );
        assert_eq!(serde_json::from_str::<Received>(&line).unwrap(), received);
    }

    #[test]
    fn bounded_cuts_long_text_at_a_char_boundary() {
        assert_eq!(bounded("short"), "short");
        let long = "é".repeat(MAX_TEXT);
        let cut = bounded(&long);
        assert!(cut.len() <= MAX_TEXT + "…".len());
        assert!(cut.ends_with("é…"));
    }
}
