//! One agent turn as the watcher follows it: from the screen (working, idle,
//! the spinner line) and from the agent's own events (the tool it runs, the
//! end of its turn with its answer). Says when the turn ended, and when the
//! phone is due news of its progress. No I/O: the watcher feeds it.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use crate::events::{AgentEvent, ToolCall};

/// How long a screen that went idle waits for the agent's own word on the
/// turn (which carries its answer) before the screen's is used.
const EVENT_GRACE: Duration = Duration::from_secs(2);
/// A turn shorter than this sends no progress at all.
const FIRST_PROGRESS: Duration = Duration::from_secs(3);
/// Progress is told again when what the agent does changed, at most this often.
const PROGRESS_EVERY: Duration = Duration::from_secs(5);
/// ... and at least this often, to move the clock on.
const PROGRESS_AT_LEAST: Duration = Duration::from_secs(30);

/// What the watcher should do for a turn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Step {
    /// The turn ended and the agent said so itself, with its answer if any.
    Ended(Option<String>),
    /// The turn ended and only the screen says so: read the answer off it.
    EndedOnScreen,
    /// Tell the phone what the agent does now.
    Progress { doing: String, since: DateTime<Utc> },
}

#[derive(Debug, Default)]
pub(super) struct Turn {
    /// When the running turn began (on the screen or by an event).
    started: Option<(Instant, DateTime<Utc>)>,
    /// What the agent's events say it does.
    doing: Option<String>,
    /// The screen's spinner line.
    status: Option<String>,
    /// When the screen went idle, while the agent's word is awaited.
    idle_at: Option<Instant>,
    /// When the agent's own event last ended a turn.
    ended_by_event: Option<Instant>,
    /// The last progress told, and when.
    told: Option<(Instant, String)>,
}

impl Turn {
    /// The screen shows work; `status` is its spinner line.
    pub(super) fn working(&mut self, now: Instant, status: Option<String>) {
        self.started.get_or_insert((now, Utc::now()));
        self.idle_at = None;
        if status.is_some() {
            self.status = status;
        }
    }

    /// The screen went idle. With `events`, the agent's own word is awaited
    /// for a moment; without, the turn ends now.
    pub(super) fn idle(&mut self, now: Instant, events: bool) -> Option<Step> {
        self.started?;
        let just_said = self
            .ended_by_event
            .is_some_and(|at| now.duration_since(at) < EVENT_GRACE * 2);
        if just_said {
            self.reset();
            return None;
        }
        if events {
            self.idle_at.get_or_insert(now);
            return None;
        }
        self.reset();
        Some(Step::EndedOnScreen)
    }

    /// An event of the agent's.
    pub(super) fn event(&mut self, now: Instant, event: &AgentEvent) -> Option<Step> {
        match event {
            AgentEvent::ToolPending(ToolCall { tool, input })
            | AgentEvent::Progress {
                tool,
                detail: input,
            } => {
                self.started.get_or_insert((now, Utc::now()));
                self.doing = Some(if input.is_empty() {
                    tool.clone()
                } else {
                    format!("{tool}: {input}")
                });
                None
            }
            AgentEvent::TurnEnded { answer } => {
                self.reset();
                self.ended_by_event = Some(now);
                Some(Step::Ended(answer.clone()))
            }
            AgentEvent::SessionStarted { .. } | AgentEvent::PermissionAsked { .. } => None,
        }
    }

    /// What time alone brings: the end of the wait for the agent's word, or
    /// news of progress (unless `quiet`).
    pub(super) fn tick(&mut self, now: Instant, quiet: bool) -> Option<Step> {
        if self
            .idle_at
            .is_some_and(|at| now.duration_since(at) >= EVENT_GRACE)
        {
            self.reset();
            return Some(Step::EndedOnScreen);
        }
        let (began, since) = self.started?;
        if quiet || self.idle_at.is_some() || now.duration_since(began) < FIRST_PROGRESS {
            return None;
        }
        let doing = self.doing.clone().or_else(|| self.status.clone())?;
        let due = match &self.told {
            None => true,
            Some((at, said)) => {
                let gap = now.duration_since(*at);
                (gap >= PROGRESS_EVERY && *said != doing) || gap >= PROGRESS_AT_LEAST
            }
        };
        if !due {
            return None;
        }
        self.told = Some((now, doing.clone()));
        Some(Step::Progress { doing, since })
    }

    fn reset(&mut self) {
        let ended_by_event = self.ended_by_event;
        *self = Turn::default();
        self.ended_by_event = ended_by_event;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(base: Instant, s: u64) -> Instant {
        base + Duration::from_secs(s)
    }

    #[test]
    fn without_events_the_screen_ends_the_turn() {
        let t0 = Instant::now();
        let mut turn = Turn::default();
        assert_eq!(turn.idle(t0, false), None, "idle without work is no turn");
        turn.working(t0, Some("✻ Frosting…".into()));
        assert_eq!(turn.idle(secs(t0, 1), false), Some(Step::EndedOnScreen));
        assert_eq!(turn.idle(secs(t0, 2), false), None, "once");
    }

    #[test]
    fn the_agents_word_wins_over_the_screen_and_ends_it_once() {
        let t0 = Instant::now();
        let mut turn = Turn::default();
        turn.working(t0, None);
        assert_eq!(turn.idle(secs(t0, 1), true), None, "waits for the agent");
        let end = AgentEvent::TurnEnded {
            answer: Some("**done**".into()),
        };
        assert_eq!(
            turn.event(secs(t0, 2), &end),
            Some(Step::Ended(Some("**done**".into())))
        );
        assert_eq!(turn.tick(secs(t0, 9), false), None, "no second end");
        // A late screen reading of the same turn ends nothing.
        turn.working(secs(t0, 2), None);
        assert_eq!(turn.idle(secs(t0, 3), true), None);
        assert_eq!(turn.tick(secs(t0, 10), false), None);
    }

    #[test]
    fn when_the_agents_word_does_not_come_the_screen_ends_the_turn() {
        let t0 = Instant::now();
        let mut turn = Turn::default();
        turn.working(t0, None);
        turn.idle(secs(t0, 1), true);
        assert_eq!(turn.tick(secs(t0, 2), false), None);
        assert_eq!(turn.tick(secs(t0, 3), false), Some(Step::EndedOnScreen));
        assert_eq!(turn.tick(secs(t0, 4), false), None);
    }

    #[test]
    fn progress_is_told_after_a_while_when_it_changes_and_never_when_quiet() {
        let t0 = Instant::now();
        let mut turn = Turn::default();
        turn.working(t0, Some("✻ Thinking…".into()));
        assert_eq!(
            turn.tick(secs(t0, 1), false),
            None,
            "a short turn says nothing"
        );
        let Some(Step::Progress { doing, .. }) = turn.tick(secs(t0, 3), false) else {
            panic!("progress due");
        };
        assert_eq!(doing, "✻ Thinking…");
        let bash = AgentEvent::ToolPending(ToolCall {
            tool: "Bash".into(),
            input: "make test".into(),
        });
        turn.event(secs(t0, 4), &bash);
        assert_eq!(
            turn.tick(secs(t0, 5), false),
            None,
            "not more than every 5 s"
        );
        assert!(matches!(
            turn.tick(secs(t0, 8), false),
            Some(Step::Progress { doing, .. }) if doing == "Bash: make test"
        ));
        assert_eq!(turn.tick(secs(t0, 20), false), None, "nothing new");
        assert!(
            turn.tick(secs(t0, 38), false).is_some(),
            "the clock moves on"
        );
        let mut quiet = Turn::default();
        quiet.working(t0, Some("✻".into()));
        assert_eq!(quiet.tick(secs(t0, 60), true), None);
    }
}
