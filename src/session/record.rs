//! A session record and the states it moves through, each carrying what is
//! true only in it.

use std::fmt;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Decision, SessionId, SessionName};

/// Where a session is in its life.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SessionState {
    /// Its tmux session is being started.
    Starting,
    /// The agent runs in a live pane. `since` tells one run from the next, so
    /// nothing remembered of a run outlives it; `pending` is the decision the
    /// agent waits on, the one stored truth about it; `task` is a first task
    /// still to be typed, once the agent is ready for input.
    Active {
        since: DateTime<Utc>,
        pending: Option<Box<Decision>>,
        #[serde(default)]
        task: Option<String>,
    },
    /// No live agent; the folder is kept and the session can be resumed.
    /// `exit_status` when the agent exited and tmux knew its status.
    Stopped { exit_status: Option<i32> },
    /// Starting or watching it failed; it can be resumed or removed.
    Errored { error: String },
    /// Removed by the user; the record is kept for history only.
    Removed,
}

impl SessionState {
    pub fn is_live(&self) -> bool {
        matches!(self, SessionState::Starting | SessionState::Active { .. })
    }

    pub fn is_active(&self) -> bool {
        matches!(self, SessionState::Active { .. })
    }

    /// The open decision, if the agent waits on one.
    pub fn pending(&self) -> Option<&Decision> {
        match self {
            SessionState::Active { pending, .. } => pending.as_deref(),
            _ => None,
        }
    }

    /// The open decision no tap has answered yet: the agent waits for you.
    pub fn awaiting(&self) -> Option<&Decision> {
        self.pending().filter(|d| d.tapped.is_none())
    }

    pub fn name(&self) -> &'static str {
        match self {
            SessionState::Starting => "starting",
            SessionState::Active { .. } => "active",
            SessionState::Stopped { .. } => "stopped",
            SessionState::Errored { .. } => "errored",
            SessionState::Removed => "removed",
        }
    }
}

impl fmt::Display for SessionState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a user asked of a session, for the error when its state refuses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    Resume,
    Activate,
    Stop,
    MarkErrored,
    Remove,
}

impl fmt::Display for Move {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Move::Resume => "be resumed",
            Move::Activate => "become active",
            Move::Stop => "be stopped",
            Move::MarkErrored => "be marked errored",
            Move::Remove => "be removed",
        })
    }
}

/// A transition the state machine refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("session `{name}` is {from}; it cannot {to}")]
pub struct TransitionError {
    pub name: SessionName,
    pub from: &'static str,
    pub to: Move,
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
    /// How many decisions have opened on this session: the last one's serial.
    #[serde(default)]
    pub decisions: u32,
    /// True when the session was found running on the tmux server rather than
    /// started by tgmux.
    #[serde(default)]
    pub adopted: bool,
    /// The agent's own id for its conversation (from its events), so a
    /// resume can continue it.
    #[serde(default)]
    pub agent_session: Option<String>,
    /// The user turned off progress messages for this session.
    #[serde(default)]
    pub quiet_progress: bool,
    /// Its forum topic in the sessions group, once one was made.
    #[serde(default)]
    pub topic: Option<Topic>,
    /// Which of its events reach the phone.
    #[serde(default)]
    pub level: Level,
}

/// A forum topic: the group it is in and its `message_thread_id`. The chat
/// is kept so a topic of another group (the setting changed) is not used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Topic {
    pub chat: i64,
    pub thread: i32,
}

/// How much of a session's news is sent: a decision it waits on always is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Everything: finished turns, exits, errors, decisions.
    #[default]
    All,
    /// Decisions and errors only.
    Decisions,
    /// Decisions only.
    Muted,
}

impl Level {
    /// The level a tap on the card's button moves to.
    pub fn next(self) -> Level {
        match self {
            Level::All => Level::Decisions,
            Level::Decisions => Level::Muted,
            Level::Muted => Level::All,
        }
    }
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
            state: SessionState::Starting,
            created_at: now,
            last_activity: now,
            decisions: 0,
            adopted: false,
            agent_session: None,
            quiet_progress: false,
            topic: None,
            level: Level::All,
        }
    }

    /// The open decision, if the agent waits on one.
    pub fn pending(&self) -> Option<&Decision> {
        self.state.pending()
    }

    fn refuse(&self, to: Move) -> TransitionError {
        TransitionError {
            name: self.name.clone(),
            from: self.state.name(),
            to,
        }
    }

    /// Whether the session may move as `to` asks; the error names its state.
    pub fn check(&self, to: Move) -> Result<(), TransitionError> {
        use SessionState::*;
        let ok = match to {
            Move::Resume => matches!(self.state, Stopped { .. } | Errored { .. }),
            Move::Activate => !matches!(self.state, Active { .. } | Removed),
            Move::Stop | Move::MarkErrored => self.state.is_live(),
            Move::Remove => matches!(self.state, Stopped { .. } | Errored { .. }),
        };
        if ok { Ok(()) } else { Err(self.refuse(to)) }
    }

    /// Moves to `state` after `check(to)`, returning the decision that was
    /// open, which the move ends.
    fn set(&mut self, to: Move, state: SessionState) -> Result<Option<Decision>, TransitionError> {
        self.check(to)?;
        let old = std::mem::replace(&mut self.state, state);
        self.last_activity = Utc::now();
        Ok(match old {
            SessionState::Active { pending, .. } => pending.map(|d| *d),
            _ => None,
        })
    }

    /// A stopped or errored session starts again.
    pub fn resume(&mut self) -> Result<(), TransitionError> {
        self.set(Move::Resume, SessionState::Starting).map(drop)
    }

    /// Its agent runs: a new run, with no decision open, and `task` to type
    /// once the agent is ready.
    pub fn activate(&mut self, task: Option<String>) -> Result<(), TransitionError> {
        let state = SessionState::Active {
            since: Utc::now(),
            pending: None,
            task,
        };
        self.set(Move::Activate, state).map(drop)
    }

    /// Its agent is gone (exited, stopped, or its tmux session vanished).
    pub fn stop(&mut self, exit_status: Option<i32>) -> Result<Option<Decision>, TransitionError> {
        self.set(Move::Stop, SessionState::Stopped { exit_status })
    }

    /// Starting or watching it failed.
    pub fn fail(&mut self, error: String) -> Result<Option<Decision>, TransitionError> {
        self.set(Move::MarkErrored, SessionState::Errored { error })
    }

    /// The user removed it; the record stays as a tombstone.
    pub fn remove(&mut self) -> Result<(), TransitionError> {
        self.set(Move::Remove, SessionState::Removed).map(drop)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::session::testing;

    pub(crate) fn record(name: &str) -> SessionRecord {
        SessionRecord::new(
            SessionName::parse(name).unwrap(),
            "/tmp".into(),
            None,
            "claude".into(),
        )
    }

    fn decision() -> Decision {
        testing::decision("q")
    }

    #[test]
    fn lifecycle() {
        let mut r = record("webapp");
        r.activate(None).unwrap();
        assert_eq!(r.stop(None).unwrap(), None);
        r.resume().unwrap();
        r.activate(None).unwrap();
        r.fail("boom".into()).unwrap();
        r.remove().unwrap();
        assert_eq!(r.state, SessionState::Removed);
    }

    #[test]
    fn refused_moves_name_the_state() {
        let mut r = record("webapp");
        r.activate(None).unwrap();
        let err = r.resume().unwrap_err();
        assert_eq!(
            err.to_string(),
            "session `webapp` is active; it cannot be resumed"
        );
        assert!(r.remove().is_err(), "active must stop first");
        r.stop(Some(3)).unwrap();
        r.remove().unwrap();
        assert!(r.resume().is_err());
        assert!(r.activate(None).is_err());
        assert!(r.stop(None).is_err());
        assert!(r.fail("x".into()).is_err());
        assert!(r.remove().is_err());
    }

    #[test]
    fn leaving_a_run_ends_its_decision_and_a_new_run_starts_empty() {
        let mut r = record("webapp");
        r.activate(None).unwrap();
        let SessionState::Active { pending, since, .. } = &mut r.state else {
            unreachable!()
        };
        let first_run = *since;
        let open = decision();
        *pending = Some(Box::new(open.clone()));
        assert_eq!(r.stop(Some(3)).unwrap(), Some(open));
        assert_eq!(
            r.state,
            SessionState::Stopped {
                exit_status: Some(3)
            }
        );
        r.resume().unwrap();
        r.activate(None).unwrap();
        match &r.state {
            SessionState::Active { since, pending, .. } => {
                assert!(*since >= first_run);
                assert_eq!(*pending, None);
            }
            other => panic!("{other:?}"),
        }
    }
}
