//! The watcher: polls the tmux server once per tick, captures only panes that
//! had output since they were last read, classifies screens that changed, and
//! tells the manager what each screen shows. The manager owns the decisions;
//! the watcher remembers only what it needs to read less.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use super::turn::{Step, Turn};
use crate::events::wake::Wake;
use crate::events::{AgentEvent, ToolCall};
use crate::screen::{Screen, classify, last_answer, status_line, strip_dead_banner};
use crate::session::{
    Answer, Decision, Event, Manager, SessionError, SessionId, SessionRecord, SessionState,
    last_lines,
};
use crate::tmux::PaneInfo;

/// How many lines of a dead pane's screen its exit message carries.
const TAIL_LINES: usize = 15;
/// Lines of scrollback read for an agent's last answer.
const ANSWER_HISTORY: usize = 200;
/// How often the watcher looks while an agent's event says a prompt may
/// be on its way, and for how long after the event.
const HURRY_EVERY: Duration = Duration::from_millis(40);
const HURRY_FOR: Duration = Duration::from_secs(1);
/// Consecutive failed captures before a session is marked errored.
const MAX_FAILURES: u32 = 3;
/// How long an agent's first idle screen must stand still before its first
/// task is typed: agents drop keys that come as they finish drawing.
const TASK_SETTLE: Duration = Duration::from_millis(600);
/// How long an agent may take to be ready for its first task before the
/// phone is told (the task still waits, and is typed when it is ready).
const TASK_PATIENCE: chrono::TimeDelta = chrono::TimeDelta::seconds(60);

/// What the watcher remembers of one run of a session between ticks.
#[derive(Debug)]
struct Seen {
    /// The run this memory belongs to: a resumed session starts afresh.
    since: DateTime<Utc>,
    /// The pane's activity stamp at the last capture, and the unix second
    /// just before that capture.
    read: Option<(i64, i64)>,
    /// The hash of the last screen classified; none before the first look.
    screen_hash: Option<u64>,
    working: bool,
    failures: u32,
    /// The pane was seen dead before tmux knew its exit status.
    dead_unknown: bool,
    /// The phone was told the first task is still waiting.
    told_task_waits: bool,
    /// Since when the screen has shown the agent idle, while a task waits.
    idle_since: Option<Instant>,
    /// The running turn.
    turn: Turn,
    /// Where the next read of the agent's event spool starts; none before
    /// the first read.
    spool_offset: Option<u64>,
    /// The tool call the agent last said it is about to make, this turn.
    announced: Option<ToolCall>,
}

impl Seen {
    fn new(since: DateTime<Utc>) -> Seen {
        Seen {
            since,
            read: None,
            screen_hash: None,
            working: false,
            failures: 0,
            dead_unknown: false,
            told_task_waits: false,
            idle_since: None,
            turn: Turn::default(),
            spool_offset: None,
            announced: None,
        }
    }

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
    /// When this watcher started: runs older than that were followed by an
    /// earlier process.
    started: DateTime<Utc>,
}

/// An active session as the watcher reads it: the record and its run.
struct Run {
    record: SessionRecord,
    since: DateTime<Utc>,
}

impl Run {
    fn pending(&self) -> Option<&Decision> {
        self.record.pending()
    }

    fn has_task(&self) -> bool {
        matches!(
            &self.record.state,
            SessionState::Active { task: Some(_), .. }
        )
    }
}

impl Watcher {
    pub fn new(manager: Arc<Manager>) -> Self {
        Watcher {
            manager,
            seen: HashMap::new(),
            started: Utc::now(),
        }
    }

    /// Ticks every `interval` on the calling thread until `stop` is set or
    /// nobody listens to the events any more. An agent's event wakes it at
    /// once, and for a moment after it looks more often: the prompt the
    /// event announces reaches the phone without waiting for a tick.
    pub fn run(mut self, interval: Duration, stop: Arc<AtomicBool>) {
        let wake = self.manager.events_dir().and_then(|dir| {
            Wake::bind(&dir)
                .inspect_err(|e| {
                    tracing::warn!(
                        "agents' events wait for the next tick: {}: {e}",
                        dir.display()
                    )
                })
                .ok()
        });
        let mut hurry_until = None;
        let mut last_error = None;
        let mut first = true;
        while !stop.load(Ordering::Relaxed) && !self.manager.events().is_closed() {
            // A bug in one tick must not end watching for good: log it, forget
            // what was seen (it may be half-updated) and look again.
            let tick = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.tick()));
            let error = match tick {
                Ok(Ok(())) => None,
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
            if std::mem::take(&mut first) {
                // A named event tests wait on: every session was looked at once.
                tracing::info!("watcher: first look done");
            }
            let now = Instant::now();
            let pause = match hurry_until {
                Some(until) if now < until => HURRY_EVERY.min(until - now),
                _ => interval,
            };
            match &wake {
                Some(wake) if wake.wait(pause) => {
                    hurry_until = Some(Instant::now() + HURRY_FOR);
                }
                Some(_) => {}
                None => std::thread::sleep(pause),
            }
        }
    }

    /// One look at every active session.
    pub fn tick(&mut self) -> Result<(), SessionError> {
        // Records first: a session is marked active only once its tmux
        // session exists, so the pane list taken next includes it.
        let runs: Vec<Run> = self
            .manager
            .list()?
            .into_iter()
            .filter_map(|record| match record.state {
                SessionState::Active { since, .. } => Some(Run { record, since }),
                _ => None,
            })
            .collect();
        let panes = self.manager.tmux().list_panes()?;
        self.seen.retain(|id, seen| {
            runs.iter()
                .any(|run| run.record.id == *id && run.since == seen.since)
        });
        if panes.is_empty() && !runs.is_empty() {
            self.seen.clear();
            return self.manager.server_gone();
        }
        for run in &runs {
            let pane = panes.iter().find(|p| p.session == run.record.name.as_str());
            if let Err(e) = self.look(run, pane) {
                tracing::warn!("watching {}: {e}", run.record.name);
            }
        }
        Ok(())
    }

    fn look(&mut self, run: &Run, pane: Option<&PaneInfo>) -> Result<(), SessionError> {
        let pane = match pane {
            Some(p) if !p.dead => p,
            dead => return self.stopped(run, dead),
        };
        let id = run.record.id;
        self.read_events(run)?;
        let seen = self.seen.entry(id).or_insert_with(|| Seen::new(run.since));
        if let Some(step) = seen.turn.tick(Instant::now(), run.record.quiet_progress) {
            self.turn_step(run, step);
        }
        let seen = self.seen.entry(id).or_insert_with(|| Seen::new(run.since));
        if run.has_task()
            && seen
                .idle_since
                .is_some_and(|at| at.elapsed() >= TASK_SETTLE)
        {
            seen.idle_since = None;
            return self.manager.deliver_task(id, run.since);
        }
        if run.has_task() && !seen.told_task_waits && Utc::now() - run.since > TASK_PATIENCE {
            seen.told_task_waits = true;
            let session = run.record.clone();
            self.manager.events().send(Event::TaskWaits { session });
        }
        if !seen.stale(pane) {
            return Ok(());
        }
        let now = Utc::now().timestamp();
        let screen = match self.manager.tmux().capture(run.record.name.as_str(), 0) {
            Ok(screen) => screen,
            Err(e) => {
                seen.failures += 1;
                if seen.failures >= MAX_FAILURES {
                    self.seen.remove(&id);
                    return self.manager.failed(
                        id,
                        run.since,
                        format!("cannot read its screen: {e}"),
                    );
                }
                return Ok(());
            }
        };
        seen.failures = 0;
        seen.read = Some((pane.activity, now));
        let hash = hash_of(&screen);
        if seen.screen_hash == Some(hash) {
            return Ok(());
        }
        seen.screen_hash = Some(hash);
        let verdict = classify(&screen);
        if run.has_task() {
            // Any change of screen starts the wait for a still, idle screen again.
            seen.idle_since = (verdict == Screen::Idle).then(Instant::now);
        }
        let now = Instant::now();
        let turn_ended = match verdict {
            Screen::Working => {
                if !std::mem::replace(&mut seen.working, true) {
                    tracing::debug!("watcher: {} is working", run.record.name);
                }
                seen.turn.working(now, status_line(&screen));
                None
            }
            Screen::Idle => {
                seen.working = false;
                let events = self.manager.reports_events(&run.record);
                seen.turn.idle(now, events)
            }
            _ => None,
        };
        let shown = match verdict {
            Screen::Decision(prompt) => {
                let tool = seen
                    .announced
                    .as_ref()
                    .filter(|call| prompt.shows(&call.input))
                    .cloned();
                Some((prompt, tool))
            }
            _ => None,
        };
        let changed = run.pending().map(Decision::fingerprint)
            != shown.as_ref().map(|(prompt, _)| prompt.fingerprint());
        if changed {
            self.manager.screen_shows(id, run.since, shown)?;
        }
        if let Some(step) = turn_ended {
            self.turn_step(run, step);
        }
        Ok(())
    }

    /// Reads what the session's agent reported since the last look.
    fn read_events(&mut self, run: &Run) -> Result<(), SessionError> {
        let Some(spool) = self.manager.spool(run.record.id) else {
            return Ok(());
        };
        let started = self.started;
        let seen = self
            .seen
            .entry(run.record.id)
            .or_insert_with(|| Seen::new(run.since));
        let offset = *seen.spool_offset.get_or_insert_with(|| {
            if run.since < started {
                // A run from before this process: what it reported was handled then.
                std::fs::metadata(spool.path()).map_or(0, |m| m.len())
            } else {
                0
            }
        });
        let batch = match spool.read_after(offset) {
            Ok(batch) => batch,
            Err(e) => {
                tracing::warn!("reading the events of {}: {e}", run.record.name);
                return Ok(());
            }
        };
        seen.spool_offset = Some(batch.next_offset);
        let now = Instant::now();
        let mut steps = Vec::new();
        for received in batch.events.iter().filter(|r| r.at >= run.since) {
            if let AgentEvent::SessionStarted { agent_session_id } = &received.event
                && run.record.agent_session.as_ref() != Some(agent_session_id)
            {
                self.manager
                    .set_agent_session(run.record.id, agent_session_id)?;
            }
            let seen = self
                .seen
                .entry(run.record.id)
                .or_insert_with(|| Seen::new(run.since));
            match &received.event {
                AgentEvent::ToolPending(call) => seen.announced = Some(call.clone()),
                AgentEvent::TurnEnded { .. } => seen.announced = None,
                _ => {}
            }
            steps.extend(seen.turn.event(now, &received.event));
        }
        for step in steps {
            self.turn_step(run, step);
        }
        Ok(())
    }

    /// Tells the phone what became of a turn.
    fn turn_step(&mut self, run: &Run, step: Step) {
        let session = run.record.clone();
        let event = match step {
            Step::Ended(Some(answer)) => Event::TurnFinished {
                session,
                answer: Answer::Markdown(answer),
            },
            Step::Ended(None) | Step::EndedOnScreen => {
                let screen = self
                    .manager
                    .tmux()
                    .capture(run.record.name.as_str(), ANSWER_HISTORY)
                    .unwrap_or_default();
                let answer = last_answer(&screen).map_or(Answer::Nothing, Answer::Screen);
                Event::TurnFinished { session, answer }
            }
            Step::Progress { doing, since } => Event::Progress {
                session,
                doing,
                since,
            },
        };
        self.manager.events().send(event);
    }

    /// A session whose pane died or whose tmux session vanished. tmux marks a
    /// pane dead a moment before it knows the exit status, so an unknown
    /// status gets one more tick before it is reported as unknown.
    fn stopped(&mut self, run: &Run, pane: Option<&PaneInfo>) -> Result<(), SessionError> {
        let id = run.record.id;
        let exit_status = pane.and_then(|p| p.exit_status);
        if pane.is_some() && exit_status.is_none() {
            let seen = self.seen.entry(id).or_insert_with(|| Seen::new(run.since));
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
                .capture(run.record.name.as_str(), TAIL_LINES)
                .map(|s| last_lines(strip_dead_banner(&s), TAIL_LINES))
                .unwrap_or_default(),
            None => String::new(),
        };
        self.seen.remove(&id);
        self.manager.exited(id, run.since, exit_status, tail)
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
    use crate::session::testing;
    use crate::session::{Ending, Gone};
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
        f: testing::Fixture<Counting>,
        watcher: Watcher,
        webapp: SessionId,
    }

    impl Fixture {
        fn new() -> Fixture {
            Fixture::of(testing::Fixture::with)
        }

        /// A session whose agent reports its events, looked at once (the
        /// watcher skips what runs older than itself reported before that).
        fn reporting() -> Fixture {
            let mut f = Fixture::of(testing::Fixture::reporting);
            f.tick();
            f
        }

        fn of(make: fn(Counting) -> testing::Fixture<Counting>) -> Fixture {
            let f = make(Counting {
                fake: FakeTmux::new("test"),
                captures: AtomicUsize::new(0),
                on_list: Default::default(),
            });
            let webapp = f.manager.create(Some("webapp"), None, None).unwrap().id;
            Fixture {
                watcher: Watcher::new(Arc::clone(&f.manager)),
                f,
                webapp,
            }
        }

        /// The agent reports `event` to its spool.
        fn reports(&self, event: AgentEvent) {
            let spool = self.f.manager.spool(self.webapp).unwrap();
            let at = Utc::now();
            spool
                .append(&[crate::events::Received { at, event }])
                .unwrap();
        }

        fn screen(&self, text: &str) {
            self.f.tmux.fake.set_screen("webapp", text);
        }

        fn tick(&mut self) -> Vec<Event> {
            self.watcher.tick().unwrap();
            self.f.events()
        }

        fn captures(&self) -> usize {
            self.f.tmux.captures.load(Ordering::Relaxed)
        }

        fn record(&self) -> SessionRecord {
            self.f.manager.get(self.webapp).unwrap()
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
        assert_eq!(decision.prompt.question, "Do you want to proceed?");
        assert_eq!(decision.serial, 1);
        assert_eq!(session.pending(), Some(decision));
        assert_eq!(f.record().pending(), Some(decision), "written down");
        let opened = decision.clone();

        assert_eq!(f.tick(), [], "the screen did not change");
        f.screen(&prompt("Writing the marker file, still"));
        assert_eq!(f.tick(), [], "changed above the prompt, same fingerprint");
        assert!(f.record().pending().is_some());

        f.screen(IDLE);
        let events = f.tick();
        let [
            Event::DecisionClosed {
                session,
                decision,
                ending: Ending::InTerminal,
            },
        ] = events.as_slice()
        else {
            panic!("{events:?}");
        };
        assert_eq!(*decision, opened);
        assert_eq!(session.pending(), None);
        assert_eq!(f.record().pending(), None, "cleared");
        assert_eq!(f.tick(), []);
    }

    #[test]
    fn a_changed_prompt_closes_the_old_one_and_opens_the_new_one() {
        let mut f = Fixture::new();
        f.screen(&prompt("a"));
        let old = match f.tick().as_slice() {
            [Event::DecisionOpened { decision, .. }] => decision.clone(),
            other => panic!("{other:?}"),
        };
        f.screen(&prompt("a").replace("2. No", "2. No, and stop"));
        let events = f.tick();
        let [
            Event::DecisionClosed {
                decision: closed,
                ending: Ending::Replaced,
                ..
            },
            Event::DecisionOpened { decision, .. },
        ] = events.as_slice()
        else {
            panic!("{events:?}");
        };
        assert_eq!(*closed, old);
        assert_eq!(decision.serial, 2);
        assert_ne!(decision.fingerprint(), old.fingerprint());
        assert_eq!(f.record().pending(), Some(decision));
    }

    #[test]
    fn the_same_prompt_asked_again_is_a_new_decision() {
        let mut f = Fixture::new();
        f.screen(&prompt("a"));
        f.tick();
        f.screen(WORKING);
        assert!(matches!(
            f.tick().as_slice(),
            [Event::DecisionClosed { .. }]
        ));
        f.screen(&prompt("a"));
        let events = f.tick();
        let [Event::DecisionOpened { decision, .. }] = events.as_slice() else {
            panic!("{events:?}");
        };
        assert_eq!(decision.serial, 2, "same text, new instance");
    }

    #[test]
    fn the_first_task_waits_for_the_first_idle_screen() {
        let mut f = Fixture::new();
        let r =
            f.f.manager
                .create(Some("webapp"), Some("add tests"), None)
                .unwrap();
        let name = r.name.as_str();
        f.f.tmux.fake.set_screen(name, prompt("trust?"));
        f.tick();
        assert_eq!(f.f.tmux.fake.inputs(name), [], "a question first");
        f.f.tmux.fake.set_screen(name, IDLE);
        f.tick();
        assert_eq!(f.f.tmux.fake.inputs(name), [], "idle, but not yet still");
        // The rule is about time: the idle screen must stand still a moment.
        std::thread::sleep(TASK_SETTLE);
        f.tick();
        assert_eq!(
            f.f.tmux.fake.inputs(name),
            [
                crate::tmux::FakeInput::Text("add tests".into()),
                crate::tmux::FakeInput::Keys(vec![Key::Enter])
            ]
        );
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
        let [Event::TurnFinished { session, answer }] = events.as_slice() else {
            panic!("{events:?}");
        };
        assert_eq!(session.id, f.webapp);
        assert_eq!(
            *answer,
            Answer::Screen("✔ Done.".into()),
            "without the prompt"
        );
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
        assert_eq!(f.tick().len(), 1, "the turn finished");
        assert_eq!(
            f.captures(),
            after_first + 2,
            "the new screen, then its scrollback for the answer"
        );
    }

    #[test]
    fn output_in_the_second_of_the_capture_is_read_again() {
        let mut seen = Seen::new(Utc::now());
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
    fn an_exited_agent_is_stopped_with_its_status_and_last_lines_and_its_decision_ends() {
        let mut f = Fixture::new();
        f.screen(&prompt("a"));
        f.tick();
        f.screen("exiting with 3\n\n\nPane is dead (status 3, Tue Nov 24 06:15:37 2026)\n\n");
        f.f.tmux.fake.exit("webapp", Some(3));
        let events = f.tick();
        let [
            Event::DecisionClosed {
                ending: Ending::Gone(Gone::AgentExited),
                ..
            },
            Event::Exited {
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
            session.state,
            SessionState::Stopped {
                exit_status: Some(3)
            }
        );
        assert_eq!(f.record().state, session.state);
        assert_eq!(f.tick(), [], "reported once");
    }

    #[test]
    fn an_unknown_exit_status_gets_one_more_tick() {
        let mut f = Fixture::new();
        f.tick();
        f.f.tmux.fake.exit("webapp", None);
        assert_eq!(f.tick(), [], "tmux may not know the status yet");
        assert!(f.record().state.is_active());
        f.f.tmux.fake.exit("webapp", Some(0));
        let events = f.tick();
        assert!(
            matches!(
                events.as_slice(),
                [Event::Exited {
                    exit_status: Some(0),
                    ..
                }]
            ),
            "{events:?}"
        );

        let mut f = Fixture::new();
        f.f.tmux.fake.exit("webapp", None);
        assert_eq!(f.tick(), []);
        let events = f.tick();
        assert!(
            matches!(
                events.as_slice(),
                [Event::Exited {
                    exit_status: None,
                    ..
                }]
            ),
            "still unknown on the next tick: {events:?}"
        );
        assert_eq!(
            f.record().state,
            SessionState::Stopped { exit_status: None }
        );
    }

    #[test]
    fn a_vanished_session_is_stopped_at_once() {
        let mut f = Fixture::new();
        f.f.manager.create(Some("webapp"), None, None).unwrap();
        f.tick();
        f.f.tmux.fake.kill_session("webapp").unwrap();
        let events = f.tick();
        let [
            Event::Exited {
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
        let other = f.f.manager.create(Some("webapp"), None, None).unwrap();
        f.screen(&prompt("a"));
        f.tick();
        f.f.tmux.fake.kill_server();
        let events = f.tick();
        let [
            Event::DecisionClosed {
                ending: Ending::Gone(Gone::ServerGone),
                ..
            },
            Event::ServerGone { stopped },
        ] = events.as_slice()
        else {
            panic!("{events:?}");
        };
        let ids: Vec<SessionId> = stopped.iter().map(|r| r.id).collect();
        assert_eq!(ids, [f.webapp, other.id]);
        assert!(stopped.iter().all(|r| !r.state.is_live()));
        assert_eq!(f.tick(), []);
    }

    #[test]
    fn a_session_stopped_by_hand_during_a_tick_is_not_reported() {
        let mut f = Fixture::new();
        f.tick();
        let manager = Arc::clone(&f.f.manager);
        let id = f.webapp;
        *f.f.tmux.on_list.lock().unwrap() = Some(Box::new(move || {
            manager.stop(id).unwrap();
        }));
        assert_eq!(f.tick(), [], "the server went with its last session");
        assert!(!f.record().state.is_live());
        assert_eq!(f.tick(), []);
    }

    #[test]
    fn a_resumed_session_starts_with_no_memory() {
        let mut f = Fixture::new();
        f.screen(&prompt("a"));
        f.tick();
        f.f.manager.stop(f.webapp).unwrap();
        f.f.manager.resume(f.webapp).unwrap();
        let events = f.f.events();
        assert!(
            matches!(
                events.as_slice(),
                [Event::DecisionClosed {
                    ending: Ending::Gone(Gone::Stopped),
                    ..
                }]
            ),
            "{events:?}"
        );
        // The resumed agent draws the very same prompt.
        f.screen(&prompt("a"));
        let events = f.tick();
        let [Event::DecisionOpened { decision, .. }] = events.as_slice() else {
            panic!("the resumed agent's first prompt is pushed: {events:?}");
        };
        assert_eq!(decision.serial, 2);
    }

    #[test]
    fn after_a_restart_an_open_decision_stays_and_a_gone_one_closes() {
        let mut f = Fixture::new();
        f.screen(&prompt("a"));
        f.tick();
        let mut restarted = Watcher::new(Arc::clone(&f.f.manager));
        restarted.tick().unwrap();
        assert_eq!(f.f.events(), [], "the same decision, still open");
        assert_eq!(f.record().pending().map(|d| d.serial), Some(1));

        f.screen(IDLE);
        let mut restarted = Watcher::new(Arc::clone(&f.f.manager));
        restarted.tick().unwrap();
        let events = f.f.events();
        assert!(
            matches!(
                events.as_slice(),
                [Event::DecisionClosed {
                    ending: Ending::InTerminal,
                    ..
                }]
            ),
            "answered while not watched: {events:?}"
        );
        assert_eq!(f.record().pending(), None);
    }

    fn bash(command: &str) -> ToolCall {
        ToolCall {
            tool: "Bash".into(),
            input: command.into(),
        }
    }

    /// The tool call named by the decision the next tick opens.
    fn opened_tool(f: &mut Fixture) -> Option<ToolCall> {
        let events = f.tick();
        let [Event::DecisionOpened { decision, .. }] = events.as_slice() else {
            panic!("{events:?}");
        };
        decision.tool.clone()
    }

    #[test]
    fn a_decision_names_the_call_its_agent_announced() {
        let mut f = Fixture::reporting();
        let call = bash("echo accepted > approved.txt");
        f.reports(AgentEvent::ToolPending(call.clone()));
        f.screen(&prompt("Writing the marker"));
        assert_eq!(opened_tool(&mut f), Some(call));
    }

    #[test]
    fn an_announced_call_the_screen_does_not_show_names_nothing() {
        let mut f = Fixture::reporting();
        f.reports(AgentEvent::ToolPending(bash("rm -rf build")));
        f.screen(&prompt("Writing the marker"));
        assert_eq!(opened_tool(&mut f), None);
    }

    #[test]
    fn an_announcement_ends_with_its_turn() {
        let mut f = Fixture::reporting();
        f.reports(AgentEvent::ToolPending(bash(
            "echo accepted > approved.txt",
        )));
        f.reports(AgentEvent::TurnEnded { answer: None });
        f.tick();
        f.screen(&prompt("Writing the marker"));
        assert_eq!(opened_tool(&mut f), None);
    }
}
