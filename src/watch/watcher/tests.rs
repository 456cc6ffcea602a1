use std::sync::atomic::AtomicUsize;

use super::*;
use crate::session::testing;
use crate::session::{AnswerOutcome, Ending, Gone};
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

/// The decision the next tick opens, the only event it brings.
fn opened(f: &mut Fixture) -> Decision {
    let events = f.tick();
    let [Event::DecisionOpened { decision, .. }] = events.as_slice() else {
        panic!("{events:?}");
    };
    decision.clone()
}

#[test]
fn a_decision_names_the_call_its_agent_announced() {
    let mut f = Fixture::reporting();
    let call = bash("echo accepted > approved.txt");
    f.reports(AgentEvent::ToolPending(call.clone()));
    f.screen(&prompt("Writing the marker"));
    assert_eq!(opened(&mut f).tool, Some(call));
}

#[test]
fn an_announced_call_the_screen_does_not_show_names_nothing() {
    let mut f = Fixture::reporting();
    f.reports(AgentEvent::ToolPending(bash("rm -rf build")));
    f.screen(&prompt("Writing the marker"));
    assert_eq!(opened(&mut f).tool, None);
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
    assert_eq!(opened(&mut f).tool, None);
}

#[test]
fn the_same_prompt_announced_again_after_a_tap_is_a_new_decision() {
    let mut f = Fixture::reporting();
    let call = bash("echo accepted > approved.txt");
    f.reports(AgentEvent::ToolPending(call.clone()));
    f.screen(&prompt("Writing the marker"));
    let first = opened(&mut f);
    let outcome =
        f.f.manager
            .answer(f.webapp, first.serial, first.fingerprint(), 0, "Alice")
            .unwrap();
    assert!(matches!(outcome, AnswerOutcome::Sent { .. }), "{outcome:?}");
    f.f.events();
    // Within one tick the agent ran the call, announced the same one again
    // and drew its prompt: the very screen the watcher read last.
    f.reports(AgentEvent::ToolPending(call.clone()));
    f.screen(&prompt("Writing the marker"));
    let events = f.tick();
    let [
        Event::DecisionClosed {
            decision: closed,
            ending: Ending::Tapped(_),
            ..
        },
        Event::DecisionOpened {
            decision: second, ..
        },
    ] = events.as_slice()
    else {
        panic!("{events:?}");
    };
    assert_eq!(closed.serial, first.serial);
    assert_eq!(second.serial, first.serial + 1);
    assert_eq!(second.tool, Some(call));
}

#[test]
fn an_announcement_before_the_tap_opens_nothing_new() {
    let mut f = Fixture::reporting();
    f.screen(&prompt("Writing the marker"));
    let first = opened(&mut f);
    // Gemini CLI says which call it asks about once its prompt is drawn.
    f.reports(AgentEvent::ToolPending(bash(
        "echo accepted > approved.txt",
    )));
    f.f.manager
        .answer(f.webapp, first.serial, first.fingerprint(), 0, "Alice")
        .unwrap();
    f.f.events();
    f.screen(&prompt("Writing the marker"));
    assert_eq!(
        f.tick(),
        [],
        "the tapped prompt still on screen is the same decision"
    );
}

#[test]
fn a_call_announced_after_its_prompt_opened_names_the_open_decision() {
    let mut f = Fixture::reporting();
    f.screen(&prompt("Writing the marker"));
    let first = opened(&mut f);
    assert_eq!(first.tool, None);
    f.reports(AgentEvent::ToolPending(bash("rm -rf build")));
    assert_eq!(
        f.tick(),
        [],
        "a call the prompt does not show names nothing"
    );
    let call = bash("echo accepted > approved.txt");
    f.reports(AgentEvent::ToolPending(call.clone()));
    let events = f.tick();
    let [Event::DecisionNamed { decision, .. }] = events.as_slice() else {
        panic!("{events:?}");
    };
    assert_eq!(decision.serial, first.serial);
    assert_eq!(decision.tool, Some(call.clone()));
    assert_eq!(
        f.record().pending().and_then(|d| d.tool.clone()),
        Some(call)
    );
}
