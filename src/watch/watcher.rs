//! The watcher: polls the tmux server once per tick, captures only panes that
//! had output since they were last read, classifies screens that changed, and
//! turns changes of verdict into [`Event`]s.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::mpsc::UnboundedSender;

use super::screen::{Screen, classify};
use crate::session::{
    Decision, Fingerprint, Manager, SessionError, SessionId, SessionRecord, SessionState,
    last_lines,
};
use crate::tmux::PaneInfo;

/// How many lines of a screen an event carries.
const TAIL_LINES: usize = 15;
/// Consecutive failed captures before a session is marked errored.
const MAX_FAILURES: u32 = 3;

/// Something the user may want to hear about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The agent is waiting on a question.
    DecisionOpened {
        session: SessionRecord,
        decision: Decision,
    },
    /// The question is gone from the screen (answered here or in the terminal).
    DecisionClosed {
        session: SessionRecord,
        fingerprint: Fingerprint,
    },
    /// The agent went from working to waiting for a new instruction.
    TurnFinished {
        session: SessionRecord,
        tail: String,
    },
    /// The agent exited or its tmux session vanished.
    Stopped {
        session: SessionRecord,
        exit_status: Option<i32>,
        tail: String,
    },
    /// Watching the session failed repeatedly.
    Errored {
        session: SessionRecord,
        error: String,
    },
    /// The whole tmux server is gone; these sessions were stopped.
    ServerGone { stopped: Vec<SessionRecord> },
}

/// What the watcher remembers of one pane between ticks.
#[derive(Debug, Default)]
struct Seen {
    /// Unix second of the last capture; output at or after it means read again.
    captured_at: Option<i64>,
    screen_hash: u64,
    open: Option<Fingerprint>,
    working: bool,
    failures: u32,
}

pub struct Watcher {
    manager: Arc<Manager>,
    seen: HashMap<SessionId, Seen>,
}

impl Watcher {
    pub fn new(manager: Arc<Manager>) -> Self {
        Watcher {
            manager,
            seen: HashMap::new(),
        }
    }

    /// Ticks every `interval` on the calling thread until `stop` is set or the
    /// receiver is gone.
    pub fn run(
        mut self,
        interval: Duration,
        events: UnboundedSender<Event>,
        stop: Arc<AtomicBool>,
    ) {
        while !stop.load(Ordering::Relaxed) && !events.is_closed() {
            match self.tick() {
                Ok(batch) => {
                    for event in batch {
                        if events.send(event).is_err() {
                            return;
                        }
                    }
                }
                Err(e) => tracing::warn!("watcher: {e}"),
            }
            std::thread::sleep(interval);
        }
    }

    /// One look at every active session.
    pub fn tick(&mut self) -> Result<Vec<Event>, SessionError> {
        let panes = self.manager.tmux().list_panes()?;
        let active: Vec<SessionRecord> = self
            .manager
            .list()?
            .into_iter()
            .filter(|r| r.state == SessionState::Active)
            .collect();
        self.seen.retain(|id, _| active.iter().any(|r| r.id == *id));
        if panes.is_empty() && !active.is_empty() {
            return self.server_gone(active);
        }
        let mut events = Vec::new();
        for record in active {
            let pane = panes.iter().find(|p| p.session == record.name.as_str());
            if let Err(e) = self.look(&record, pane, &mut events) {
                tracing::warn!("watching {}: {e}", record.name);
            }
        }
        Ok(events)
    }

    fn server_gone(&mut self, active: Vec<SessionRecord>) -> Result<Vec<Event>, SessionError> {
        let mut stopped = Vec::new();
        for record in active {
            stopped.push(self.manager.mark_exited(record.id, None)?);
        }
        self.seen.clear();
        Ok(vec![Event::ServerGone { stopped }])
    }

    fn look(
        &mut self,
        record: &SessionRecord,
        pane: Option<&PaneInfo>,
        events: &mut Vec<Event>,
    ) -> Result<(), SessionError> {
        let name = record.name.as_str();
        let tmux = self.manager.tmux();
        let pane = match pane {
            Some(p) if !p.dead => p,
            dead => {
                let exit_status = dead.and_then(|p| p.exit_status);
                let tail = match dead {
                    Some(_) => tmux
                        .capture(name, 0)
                        .map(|s| last_lines(&s, TAIL_LINES))
                        .unwrap_or_default(),
                    None => String::new(),
                };
                self.seen.remove(&record.id);
                let session = self.manager.mark_exited(record.id, exit_status)?;
                events.push(Event::Stopped {
                    session,
                    exit_status,
                    tail,
                });
                return Ok(());
            }
        };
        let seen = self.seen.entry(record.id).or_default();
        if seen.captured_at.is_some_and(|at| pane.activity < at) {
            return Ok(());
        }
        let now = chrono::Utc::now().timestamp();
        let screen = match tmux.capture(name, 0) {
            Ok(screen) => screen,
            Err(e) => {
                seen.failures += 1;
                if seen.failures >= MAX_FAILURES {
                    let error = format!("cannot read its screen: {e}");
                    self.seen.remove(&record.id);
                    let session = self.manager.mark_errored(record.id, &error)?;
                    events.push(Event::Errored { session, error });
                }
                return Ok(());
            }
        };
        seen.failures = 0;
        seen.captured_at = Some(now);
        let hash = hash_of(&screen);
        let first_look = seen.screen_hash == 0;
        if hash == seen.screen_hash {
            return Ok(());
        }
        seen.screen_hash = hash;
        let verdict = classify(&screen);
        let was_open = seen.open;
        let now_open = match &verdict {
            Screen::Decision(d) => Some(d.fingerprint),
            _ => None,
        };
        if was_open != now_open {
            seen.open = now_open;
            if let Some(fingerprint) = was_open {
                let session = self.manager.set_pending(record.id, None)?;
                events.push(Event::DecisionClosed {
                    session,
                    fingerprint,
                });
            }
            if let Screen::Decision(decision) = &verdict {
                let session = self
                    .manager
                    .set_pending(record.id, Some(decision.clone()))?;
                events.push(Event::DecisionOpened {
                    session,
                    decision: decision.clone(),
                });
            }
        } else if first_look && now_open.is_none() && record.pending.is_some() {
            // Answered while tgmux was not watching.
            self.manager.set_pending(record.id, None)?;
        }
        let seen = self.seen.entry(record.id).or_default();
        match verdict {
            Screen::Working => seen.working = true,
            Screen::Idle if seen.working => {
                seen.working = false;
                let session = self.manager.get_by_id(record.id)?;
                events.push(Event::TurnFinished {
                    session,
                    tail: last_lines(&screen, TAIL_LINES),
                });
            }
            _ => {}
        }
        Ok(())
    }
}

fn hash_of(screen: &str) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    screen.hash(&mut hasher);
    // Zero marks "never seen"; keep real hashes off it.
    hasher.finish().max(1)
}
