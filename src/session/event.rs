//! What happened to sessions that the user may want to hear about, and the
//! channel it travels on: the manager and the watcher send, the notifier
//! receives.

use chrono::{DateTime, Utc};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

use super::{Decision, Ending, SessionRecord, Tapped};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The agent is waiting on a new decision.
    DecisionOpened {
        session: SessionRecord,
        decision: Decision,
    },
    /// The agent named the call behind the open decision after it opened
    /// (Gemini CLI does so once its prompt is drawn).
    DecisionNamed {
        session: SessionRecord,
        decision: Decision,
    },
    /// A tap answered the decision; its keys went into the pane.
    DecisionTapped {
        session: SessionRecord,
        decision: Decision,
        tapped: Tapped,
    },
    /// The decision ended (see [`Ending`]); nothing can answer it any more.
    DecisionClosed {
        session: SessionRecord,
        decision: Decision,
        ending: Ending,
    },
    /// The agent went from working to waiting for a new instruction.
    TurnFinished {
        session: SessionRecord,
        answer: Answer,
    },
    /// What a working agent is doing now (a tool and its argument, or its
    /// spinner line), and since when its turn runs.
    Progress {
        session: SessionRecord,
        doing: String,
        since: DateTime<Utc>,
    },
    /// The agent exited or its tmux session vanished.
    Exited {
        session: SessionRecord,
        exit_status: Option<i32>,
        tail: String,
    },
    /// The agent has not been ready for its first task for a while; the task
    /// waits, and is typed when it is.
    TaskWaits { session: SessionRecord },
    /// Watching the session failed repeatedly.
    Errored {
        session: SessionRecord,
        error: String,
    },
    /// The whole tmux server is gone; these sessions were stopped.
    ServerGone { stopped: Vec<SessionRecord> },
}

/// What an agent said at the end of its turn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Its final message, in Markdown, from its own events.
    Markdown(String),
    /// Its last output block, read off the screen.
    Screen(String),
    /// Nothing to show (the screen held only its frame).
    Nothing,
}

/// The sending end of the event channel. Sending never fails: with nobody
/// listening (`tgmux ls`, a unit test), events are dropped.
#[derive(Debug, Clone)]
pub struct Events(Option<UnboundedSender<Event>>);

impl Events {
    /// A channel: the sink for the manager and watcher, the receiver for the notifier.
    pub fn channel() -> (Events, UnboundedReceiver<Event>) {
        let (tx, rx) = unbounded_channel();
        (Events(Some(tx)), rx)
    }

    /// A sink nobody listens to.
    pub fn none() -> Events {
        Events(None)
    }

    pub fn send(&self, event: Event) {
        if let Some(tx) = &self.0 {
            let _ = tx.send(event);
        }
    }

    /// True once the receiver is gone (the bot is shutting down).
    pub fn is_closed(&self) -> bool {
        self.0.as_ref().is_some_and(UnboundedSender::is_closed)
    }
}
