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
/// be on its way (PreToolUse comes just before the prompt is drawn)...
const HURRY_EVERY: Duration = Duration::from_millis(40);
/// ... and for how long after the event: Claude Code checks permission as
/// soon as its PreToolUse hook returns, and its Notification wakes the
/// watcher again once the prompt is up. Each look lists the records and the
/// panes, so a busy agent calling tool after tool costs a few looks each.
const HURRY_FOR: Duration = Duration::from_millis(300);
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
    /// The tool call the agent last said it is about to make this turn, and
    /// when it said so.
    announced: Option<(ToolCall, DateTime<Utc>)>,
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
        let (shown, announced_at) = match verdict {
            Screen::Decision(prompt) => {
                let announced = seen
                    .announced
                    .as_ref()
                    .filter(|(call, _)| prompt.shows(&call.input));
                let at = announced.map(|(_, at)| *at);
                (Some((prompt, announced.map(|(call, _)| call.clone()))), at)
            }
            _ => (None, None),
        };
        let changed = run.pending().map(Decision::fingerprint)
            != shown.as_ref().map(|(prompt, _)| prompt.fingerprint());
        // The same prompt again, faster than a tick: the agent announced its
        // call after the tap, so the screen shows a new decision. The tapped
        // one ends first.
        let again = !changed
            && run
                .pending()
                .and_then(|open| open.tapped.as_ref())
                .zip(announced_at)
                .is_some_and(|(tapped, announced)| announced > tapped.at);
        if again {
            self.manager.screen_shows(id, run.since, None)?;
        }
        if changed || again {
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
                AgentEvent::ToolPending(call) => {
                    seen.announced = Some((call.clone(), received.at));
                    // Its prompt may draw the very screen read last.
                    seen.screen_hash = None;
                    // Or it was drawn, and opened unnamed, before this came.
                    if let Some(open) = run.pending()
                        && open.tool.is_none()
                        && open.tapped.is_none()
                        && open.prompt.shows(&call.input)
                    {
                        self.manager
                            .name_call(run.record.id, open.serial, call.clone())?;
                    }
                }
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
mod tests;
