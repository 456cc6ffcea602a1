//! A session record and the state machine it moves through.

use std::fmt;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Decision, SessionId, SessionName};

/// Where a session is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionState {
    /// The tmux session is being started.
    Provisioning,
    /// The agent is running in a live pane.
    Active,
    /// No live agent; the folder is kept and the session can be resumed.
    Stopped,
    /// Starting or watching it failed; can be resumed or removed.
    Errored,
    /// Removed by the user; the record is kept for history only.
    Decommissioned,
}

impl SessionState {
    /// Whether moving from `self` to `to` makes sense.
    pub fn can_become(self, to: SessionState) -> bool {
        use SessionState::*;
        matches!(
            (self, to),
            (Provisioning, Active | Stopped | Errored)
                | (Active, Stopped | Errored)
                | (Stopped | Errored, Provisioning | Active | Decommissioned)
                | (Stopped, Errored)
                | (Errored, Stopped)
        )
    }

    pub fn is_live(self) -> bool {
        matches!(self, SessionState::Provisioning | SessionState::Active)
    }
}

impl fmt::Display for SessionState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SessionState::Provisioning => "provisioning",
            SessionState::Active => "active",
            SessionState::Stopped => "stopped",
            SessionState::Errored => "errored",
            SessionState::Decommissioned => "removed",
        })
    }
}

/// A transition the state machine refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("session `{name}` is {from}; it cannot {}", verb(*.to))]
pub struct TransitionError {
    pub name: SessionName,
    pub from: SessionState,
    pub to: SessionState,
}

/// What moving to `to` is called, for error messages.
fn verb(to: SessionState) -> &'static str {
    match to {
        SessionState::Provisioning => "be resumed",
        SessionState::Active => "become active",
        SessionState::Stopped => "be stopped",
        SessionState::Errored => "be marked errored",
        SessionState::Decommissioned => "be removed",
    }
}

/// Everything tgmux knows about one session; what the store persists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRecord {
    pub id: SessionId,
    pub name: SessionName,
    pub folder: PathBuf,
    pub task: Option<String>,
    /// The command line that starts the agent (`claude`, `aider --model x`).
    pub agent: String,
    pub state: SessionState,
    pub created_at: DateTime<Utc>,
    pub last_activity: DateTime<Utc>,
    /// The question the agent is waiting on, if any.
    #[serde(default)]
    pub pending: Option<Decision>,
    /// The agent's exit status, once it has exited and tmux reported it.
    #[serde(default)]
    pub exit_status: Option<i32>,
    /// Why the session is errored.
    #[serde(default)]
    pub error: Option<String>,
    /// True when the session was found running on the tmux server rather than
    /// started by tgmux.
    #[serde(default)]
    pub adopted: bool,
}

impl SessionRecord {
    pub fn new(name: SessionName, folder: PathBuf, task: Option<String>, agent: String) -> Self {
        let now = Utc::now();
        SessionRecord {
            id: SessionId::new(),
            name,
            folder,
            task,
            agent,
            state: SessionState::Provisioning,
            created_at: now,
            last_activity: now,
            pending: None,
            exit_status: None,
            error: None,
            adopted: false,
        }
    }

    /// Whether the session may move to `to`; the error names its state.
    pub fn check(&self, to: SessionState) -> Result<(), TransitionError> {
        if self.state.can_become(to) {
            return Ok(());
        }
        Err(TransitionError {
            name: self.name.clone(),
            from: self.state,
            to,
        })
    }

    /// Moves to `to`, or names the current state in the error.
    pub fn transition(&mut self, to: SessionState) -> Result<(), TransitionError> {
        self.check(to)?;
        self.state = to;
        self.last_activity = Utc::now();
        if to != SessionState::Errored {
            self.error = None;
        }
        if !to.is_live() || to == SessionState::Provisioning {
            self.pending = None;
        }
        if to.is_live() {
            self.exit_status = None;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use SessionState::*;

    fn record() -> SessionRecord {
        SessionRecord::new(
            SessionName::parse("webapp").unwrap(),
            "/tmp".into(),
            None,
            "claude".into(),
        )
    }

    #[test]
    fn lifecycle_transitions() {
        let mut r = record();
        r.transition(Active).unwrap();
        r.transition(Stopped).unwrap();
        r.transition(Provisioning).unwrap();
        r.transition(Active).unwrap();
        r.transition(Errored).unwrap();
        r.transition(Decommissioned).unwrap();
    }

    #[test]
    fn nonsense_transitions_name_the_state() {
        let mut r = record();
        r.transition(Active).unwrap();
        let err = r.transition(Provisioning).unwrap_err();
        assert_eq!(err.from, Active);
        assert!(err.to_string().contains("is active"), "{err}");
        assert!(
            r.transition(Decommissioned).is_err(),
            "active must stop first"
        );

        r.transition(Stopped).unwrap();
        r.transition(Decommissioned).unwrap();
        for to in [Provisioning, Active, Stopped, Errored, Decommissioned] {
            assert!(r.transition(to).is_err(), "tombstone became {to}");
        }
    }

    #[test]
    fn leaving_live_clears_pending_and_entering_clears_exit() {
        let mut r = record();
        r.transition(Active).unwrap();
        r.pending = Some(Decision {
            question: "q".into(),
            context: None,
            options: vec![],
            default: None,
        });
        r.transition(Stopped).unwrap();
        assert!(r.pending.is_none());
        r.exit_status = Some(3);
        r.transition(Provisioning).unwrap();
        assert_eq!(r.exit_status, None);
    }
}
