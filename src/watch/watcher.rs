//! The watcher: polls the tmux server once per tick, captures only panes that
//! had output since they were last read, classifies screens that changed, and
//! turns changes of verdict into [`Event`]s.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::mpsc::UnboundedSender;

use crate::screen::{Screen, classify, strip_dead_banner};
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
    /// The question is gone from the screen: answered (by a tap or in the
    /// terminal), or `replaced` by another question.
    DecisionClosed {
        session: SessionRecord,
        fingerprint: Fingerprint,
        replaced: bool,
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
    /// The pane's activity stamp at the last capture, and the unix second
    /// just before that capture.
    read: Option<(i64, i64)>,
    /// The hash of the last screen classified; none before the first look.
    screen_hash: Option<u64>,
    open: Option<Fingerprint>,
    working: bool,
    failures: u32,
    /// The pane was seen dead before tmux knew its exit status.
    dead_unknown: bool,
}

impl Seen {
    /// Whether the pane may have new output since it was last captured.
    /// tmux stamps activity in whole seconds: output in the same second as
    /// the capture leaves the stamp as it was, so the pane is read again
    /// until a capture starts in a later second than its last output.
    fn stale(&self, pane: &PaneInfo) -> bool {
        match self.read {
            Some((activity, at)) => pane.activity != activity || activity >= at,
            None => true,
        }
    }
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
        let mut last_error = None;
        while !stop.load(Ordering::Relaxed) && !events.is_closed() {
            // A bug in one tick must not end watching for good: log it, forget
            // what was seen (it may be half-updated) and look again.
            let tick = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.tick()));
            let error = match tick {
                Ok(Ok(batch)) => {
                    for event in batch {
                        if events.send(event).is_err() {
                            return;
                        }
                    }
                    None
                }
                Ok(Err(e)) => Some(e.to_string()),
                Err(_) => {
                    self.seen.clear();
                    Some("a tick panicked".to_owned())
                }
            };
            // The same failure every tick is logged once, not four times a second.
            if error.is_some() && error != last_error {
                tracing::warn!("watcher: {}", error.as_deref().unwrap_or_default());
            }
            last_error = error;
            std::thread::sleep(interval);
        }
    }

    /// One look at every active session.
    pub fn tick(&mut self) -> Result<Vec<Event>, SessionError> {
        // Records first: a session is marked active only once its tmux
        // session exists, so the pane list taken next includes it.
        let active: Vec<SessionRecord> = self
            .manager
            .list()?
            .into_iter()
            .filter(|r| r.state == SessionState::Active)
            .collect();
        let panes = self.manager.tmux().list_panes()?;
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
            // A session stopped by hand meanwhile is no longer active: skipped.
            match self.manager.mark_exited(record.id, None) {
                Ok(session) => stopped.push(session),
                Err(e) => tracing::warn!("marking {} stopped: {e}", record.name),
            }
        }
        self.seen.clear();
        if stopped.is_empty() {
            return Ok(Vec::new());
        }
        Ok(vec![Event::ServerGone { stopped }])
    }

    fn look(
        &mut self,
        record: &SessionRecord,
        pane: Option<&PaneInfo>,
        events: &mut Vec<Event>,
    ) -> Result<(), SessionError> {
        let pane = match pane {
            Some(p) if !p.dead => p,
            dead => return self.stopped(record, dead, events),
        };
        let name = record.name.as_str();
        let tmux = self.manager.tmux();
        let seen = self.seen.entry(record.id).or_default();
        if !seen.stale(pane) {
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
        seen.read = Some((pane.activity, now));
        let hash = hash_of(&screen);
        let first_look = seen.screen_hash.is_none();
        if seen.screen_hash == Some(hash) {
            return Ok(());
        }
        seen.screen_hash = Some(hash);
        let verdict = classify(&screen);
        let was_open = seen.open;
        let now_open = match &verdict {
            Screen::Decision(d) => Some(d.fingerprint()),
            _ => None,
        };
        let turn_finished = match verdict {
            Screen::Working => {
                seen.working = true;
                false
            }
            Screen::Idle => std::mem::take(&mut seen.working),
            _ => false,
        };
        // The record as the events should carry it, updated as pending changes.
        let mut session = record.clone();
        if was_open != now_open {
            seen.open = now_open;
            if let Some(fingerprint) = was_open {
                session = self.manager.set_pending(record.id, None)?;
                events.push(Event::DecisionClosed {
                    session: session.clone(),
                    fingerprint,
                    replaced: now_open.is_some(),
                });
            }
            if let Screen::Decision(decision) = verdict {
                session = self
                    .manager
                    .set_pending(record.id, Some(decision.clone()))?;
                events.push(Event::DecisionOpened {
                    session: session.clone(),
                    decision,
                });
            }
        } else if first_look && now_open.is_none() && record.pending.is_some() {
            // Answered while tgmux was not watching.
            session = self.manager.set_pending(record.id, None)?;
        }
        if turn_finished {
            events.push(Event::TurnFinished {
                session,
                tail: last_lines(&screen, TAIL_LINES),
            });
        }
        Ok(())
    }

    /// A session whose pane died or whose tmux session vanished. tmux marks a
    /// pane dead a moment before it knows the exit status, so an unknown
    /// status gets one more tick before it is reported as unknown.
    fn stopped(
        &mut self,
        record: &SessionRecord,
        pane: Option<&PaneInfo>,
        events: &mut Vec<Event>,
    ) -> Result<(), SessionError> {
        let exit_status = pane.and_then(|p| p.exit_status);
        if pane.is_some() && exit_status.is_none() {
            let seen = self.seen.entry(record.id).or_default();
            if !seen.dead_unknown {
                seen.dead_unknown = true;
                return Ok(());
            }
        }
        // tmux scrolls a dead pane's screen up to print its banner at the
        // bottom, so the tail is read with some scrollback.
        let tail = match pane {
            Some(_) => self
                .manager
                .tmux()
                .capture(record.name.as_str(), TAIL_LINES)
                .map(|s| last_lines(strip_dead_banner(&s), TAIL_LINES))
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
        Ok(())
    }
}

fn hash_of(screen: &str) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    screen.hash(&mut hasher);
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use super::*;
    use crate::session::{Settings, Store};
    use crate::tmux::{FakeTmux, Key, NewSession, Tmux, TmuxError};

    /// Something done while the watcher lists panes, in the middle of a tick.
    type Hook = Box<dyn FnOnce() + Send>;

    /// The fake tmux, counting captures.
    struct Counting {
        fake: FakeTmux,
        captures: AtomicUsize,
        on_list: std::sync::Mutex<Option<Hook>>,
    }

    impl Tmux for Counting {
        fn socket(&self) -> &str {
            self.fake.socket()
        }
        fn new_session(&self, spec: &NewSession) -> Result<(), TmuxError> {
            self.fake.new_session(spec)
        }
        fn list_panes(&self) -> Result<Vec<PaneInfo>, TmuxError> {
            let hook = self.on_list.lock().unwrap().take();
            if let Some(hook) = hook {
                hook();
            }
            self.fake.list_panes()
        }
        fn send_text(&self, name: &str, text: &str) -> Result<(), TmuxError> {
            self.fake.send_text(name, text)
        }
        fn send_keys(&self, name: &str, keys: &[Key]) -> Result<(), TmuxError> {
            self.fake.send_keys(name, keys)
        }
        fn capture(&self, name: &str, history: usize) -> Result<String, TmuxError> {
            self.captures.fetch_add(1, Ordering::Relaxed);
            self.fake.capture(name, history)
        }
        fn kill_session(&self, name: &str) -> Result<(), TmuxError> {
            self.fake.kill_session(name)
        }
        fn rename_session(&self, from: &str, to: &str) -> Result<(), TmuxError> {
            self.fake.rename_session(from, to)
        }
    }

    struct Fixture {
        _dirs: (tempfile::TempDir, tempfile::TempDir),
        tmux: Arc<Counting>,
        manager: Arc<Manager>,
        watcher: Watcher,
        webapp: SessionId,
    }

    impl Fixture {
        fn new() -> Fixture {
            let (data, root) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
            std::fs::create_dir(root.path().join("webapp")).unwrap();
            let tmux = Arc::new(Counting {
                fake: FakeTmux::new("test"),
                captures: AtomicUsize::new(0),
                on_list: Default::default(),
            });
            let settings = Settings {
                roots: vec![root.path().to_path_buf()],
                agent: "claude".into(),
                env: Vec::new(),
            };
            let store = Store::open(data.path()).unwrap();
            let manager = Arc::new(Manager::new(tmux.clone(), store, settings));
            let webapp = manager.create(Some("webapp"), None, None).unwrap().id;
            Fixture {
                _dirs: (data, root),
                tmux,
                watcher: Watcher::new(Arc::clone(&manager)),
                manager,
                webapp,
            }
        }

        fn screen(&self, text: &str) {
            self.tmux.fake.set_screen("webapp", text);
        }

        fn tick(&mut self) -> Vec<Event> {
            self.watcher.tick().unwrap()
        }

        fn captures(&self) -> usize {
            self.tmux.captures.load(Ordering::Relaxed)
        }

        fn record(&self) -> SessionRecord {
            self.manager.get(&self.webapp.to_string()).unwrap()
        }
    }

    fn prompt(above: &str) -> String {
        format!(
            "● {above}\n\n────────────────────\n Bash command\n\n   echo accepted > approved.txt\n\n \
             Do you want to proceed?\n ❯ 1. Yes\n   2. No\n\n Esc to cancel · Tab to amend\n"
        )
    }

    const IDLE: &str = "✔ Done.\n\n$ ";
    const WORKING: &str = "● Writing\n\n✻ Frosting… (esc to interrupt)\n";

    #[test]
    fn a_decision_opens_once_and_closes_when_it_leaves_the_screen() {
        let mut f = Fixture::new();
        f.screen(&prompt("Writing the marker"));
        let events = f.tick();
        let [Event::DecisionOpened { session, decision }] = events.as_slice() else {
            panic!("{events:?}");
        };
        assert_eq!(decision.question, "Do you want to proceed?");
        assert_eq!(session.pending.as_ref(), Some(decision));
        assert_eq!(f.record().pending.as_ref(), Some(decision), "written down");
        let fingerprint = decision.fingerprint();

        assert_eq!(f.tick(), [], "the screen did not change");
        f.screen(&prompt("Writing the marker file, still"));
        assert_eq!(f.tick(), [], "changed above the prompt, same fingerprint");
        assert!(f.record().pending.is_some());

        f.screen(IDLE);
        let events = f.tick();
        let [
            Event::DecisionClosed {
                session,
                fingerprint: closed,
                replaced: false,
            },
        ] = events.as_slice()
        else {
            panic!("{events:?}");
        };
        assert_eq!(*closed, fingerprint);
        assert_eq!(session.pending, None);
        assert_eq!(f.record().pending, None, "cleared");
        assert_eq!(f.tick(), []);
    }

    #[test]
    fn a_changed_prompt_closes_the_old_one_and_opens_the_new_one() {
        let mut f = Fixture::new();
        f.screen(&prompt("a"));
        let old = match f.tick().as_slice() {
            [Event::DecisionOpened { decision, .. }] => decision.fingerprint(),
            other => panic!("{other:?}"),
        };
        f.screen(&prompt("a").replace("2. No", "2. No, and stop"));
        let events = f.tick();
        let [
            Event::DecisionClosed {
                fingerprint,
                replaced: true,
                ..
            },
            Event::DecisionOpened { decision, .. },
        ] = events.as_slice()
        else {
            panic!("{events:?}");
        };
        assert_eq!(*fingerprint, old);
        assert_ne!(decision.fingerprint(), old);
        assert_eq!(f.record().pending.as_ref(), Some(decision));
    }

    #[test]
    fn a_turn_finishes_once_when_work_gives_way_to_idle() {
        let mut f = Fixture::new();
        f.screen(IDLE);
        assert_eq!(f.tick(), [], "idle without work first is no turn");
        f.screen(WORKING);
        assert_eq!(f.tick(), []);
        f.screen(IDLE);
        let events = f.tick();
        let [Event::TurnFinished { session, tail }] = events.as_slice() else {
            panic!("{events:?}");
        };
        assert_eq!(session.id, f.webapp);
        assert_eq!(tail, "✔ Done.\n\n$");
        f.screen("✔ Done.\n\n$ ls\nfile\n$ ");
        assert_eq!(f.tick(), [], "still idle: no second turn");
    }

    #[test]
    fn an_unchanged_pane_is_not_captured_again() {
        let mut f = Fixture::new();
        f.screen(WORKING);
        f.tick();
        let after_first = f.captures();
        assert_eq!(after_first, 1);
        for _ in 0..5 {
            assert_eq!(f.tick(), []);
        }
        assert_eq!(f.captures(), after_first, "no output, no capture");
        f.screen(IDLE);
        assert_eq!(f.tick().len(), 1);
        assert_eq!(f.captures(), after_first + 1);
    }

    #[test]
    fn output_in_the_second_of_the_capture_is_read_again() {
        let mut seen = Seen::default();
        let pane = |activity| PaneInfo {
            session: "webapp".into(),
            dead: false,
            exit_status: None,
            activity,
            current_path: "/".into(),
            current_command: "sh".into(),
        };
        assert!(seen.stale(&pane(100)), "never read");
        seen.read = Some((100, 100));
        assert!(
            seen.stale(&pane(100)),
            "output may have followed in second 100"
        );
        seen.read = Some((100, 101));
        assert!(!seen.stale(&pane(100)));
        assert!(seen.stale(&pane(101)));
    }

    #[test]
    fn an_exited_agent_is_stopped_with_its_status_and_last_lines() {
        let mut f = Fixture::new();
        f.screen("exiting with 3\n\n\nPane is dead (status 3, Tue Nov 24 06:15:37 2026)\n\n");
        f.tick();
        f.tmux.fake.exit("webapp", Some(3));
        let events = f.tick();
        let [
            Event::Stopped {
                session,
                exit_status,
                tail,
            },
        ] = events.as_slice()
        else {
            panic!("{events:?}");
        };
        assert_eq!(*exit_status, Some(3));
        assert_eq!(tail, "exiting with 3", "without tmux's banner");
        assert_eq!(
            (session.state, session.exit_status),
            (SessionState::Stopped, Some(3))
        );
        assert_eq!(f.record().state, SessionState::Stopped);
        assert_eq!(f.tick(), [], "reported once");
    }

    #[test]
    fn an_unknown_exit_status_gets_one_more_tick() {
        let mut f = Fixture::new();
        f.tick();
        f.tmux.fake.exit("webapp", None);
        assert_eq!(f.tick(), [], "tmux may not know the status yet");
        assert_eq!(f.record().state, SessionState::Active);
        f.tmux.fake.exit("webapp", Some(0));
        let events = f.tick();
        assert!(
            matches!(
                events.as_slice(),
                [Event::Stopped {
                    exit_status: Some(0),
                    ..
                }]
            ),
            "{events:?}"
        );

        let mut f = Fixture::new();
        f.tmux.fake.exit("webapp", None);
        assert_eq!(f.tick(), []);
        let events = f.tick();
        assert!(
            matches!(
                events.as_slice(),
                [Event::Stopped {
                    exit_status: None,
                    ..
                }]
            ),
            "still unknown on the next tick: {events:?}"
        );
        assert_eq!(f.record().exit_status, None);
    }

    #[test]
    fn a_vanished_session_is_stopped_at_once() {
        let mut f = Fixture::new();
        f.manager.create(Some("webapp"), None, None).unwrap();
        f.tick();
        f.tmux.fake.kill_session("webapp").unwrap();
        let events = f.tick();
        let [
            Event::Stopped {
                session,
                exit_status: None,
                tail,
            },
        ] = events.as_slice()
        else {
            panic!("{events:?}");
        };
        assert_eq!((session.id, tail.as_str()), (f.webapp, ""));
    }

    #[test]
    fn a_gone_server_stops_every_active_session() {
        let mut f = Fixture::new();
        let other = f.manager.create(Some("webapp"), None, None).unwrap();
        f.tick();
        f.tmux.fake.kill_server();
        let events = f.tick();
        let [Event::ServerGone { stopped }] = events.as_slice() else {
            panic!("{events:?}");
        };
        let ids: Vec<SessionId> = stopped.iter().map(|r| r.id).collect();
        assert_eq!(ids, [f.webapp, other.id]);
        assert!(stopped.iter().all(|r| r.state == SessionState::Stopped));
        assert_eq!(f.tick(), []);
    }

    #[test]
    fn a_session_stopped_by_hand_during_a_tick_is_not_reported() {
        let mut f = Fixture::new();
        f.tick();
        let manager = Arc::clone(&f.manager);
        *f.tmux.on_list.lock().unwrap() = Some(Box::new(move || {
            manager.stop("webapp").unwrap();
        }));
        assert_eq!(f.tick(), [], "the server went with its last session");
        assert_eq!(f.record().state, SessionState::Stopped);
        assert_eq!(f.tick(), []);
    }

    #[test]
    fn after_a_restart_a_pending_decision_is_opened_again_and_a_gone_one_cleared() {
        let mut f = Fixture::new();
        f.screen(&prompt("a"));
        f.tick();
        let mut restarted = Watcher::new(Arc::clone(&f.manager));
        let events = restarted.tick().unwrap();
        assert!(
            matches!(events.as_slice(), [Event::DecisionOpened { .. }]),
            "{events:?}"
        );
        assert_eq!(restarted.tick().unwrap(), []);

        f.screen(IDLE);
        assert!(f.record().pending.is_some());
        let mut restarted = Watcher::new(Arc::clone(&f.manager));
        assert_eq!(restarted.tick().unwrap(), []);
        assert_eq!(f.record().pending, None, "answered while not watched");
    }
}
