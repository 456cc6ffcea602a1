//! One manager fixture for unit tests: a data folder, a root with a `webapp`
//! folder, a tmux double, and the event channel's receiving end.

use std::sync::Arc;

use tokio::sync::mpsc::UnboundedReceiver;

use chrono::Utc;

use super::{Decision, Event, Events, EventsSetup, Manager, Settings, Store};
use crate::screen::Prompt;
use crate::tmux::{FakeTmux, Tmux};

/// Decision 1, opened now, asking `question` with no options.
pub(crate) fn decision(question: &str) -> Decision {
    Decision {
        serial: 1,
        prompt: Prompt {
            question: question.into(),
            context: None,
            options: vec![],
            default: None,
            multi_select: false,
        },
        tool: None,
        opened_at: Utc::now(),
        tapped: None,
    }
}

pub(crate) struct Fixture<T> {
    _data: tempfile::TempDir,
    pub root: tempfile::TempDir,
    pub tmux: Arc<T>,
    pub manager: Arc<Manager>,
    events: UnboundedReceiver<Event>,
}

impl Fixture<FakeTmux> {
    pub fn new() -> Self {
        Fixture::with(FakeTmux::new("test"))
    }
}

impl<T: Tmux + 'static> Fixture<T> {
    pub fn with(tmux: T) -> Self {
        Fixture::build(tmux, false)
    }

    /// Sessions whose agent (`claude`) reports its events to a spool.
    pub fn reporting(tmux: T) -> Self {
        Fixture::build(tmux, true)
    }

    fn build(tmux: T, reporting: bool) -> Self {
        let data = tempfile::tempdir().unwrap();
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join("webapp")).unwrap();
        let tmux = Arc::new(tmux);
        let settings = Settings {
            roots: vec![root.path().to_path_buf()],
            agent: "claude".into(),
            env: vec![("A".into(), "1".into())],
            home: None,
            events: reporting.then(|| EventsSetup {
                data_dir: data.path().to_path_buf(),
                tgmux: "/usr/bin/tgmux".into(),
            }),
        };
        let (sink, events) = Events::channel();
        let store = Store::open(data.path()).unwrap();
        let manager = Arc::new(Manager::new(tmux.clone(), store, settings, sink));
        Fixture {
            _data: data,
            root,
            tmux,
            manager,
            events,
        }
    }

    /// The events sent since the last call.
    pub fn events(&mut self) -> Vec<Event> {
        std::iter::from_fn(|| self.events.try_recv().ok()).collect()
    }
}
