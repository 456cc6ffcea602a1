use super::*;
use crate::session::TransitionError;
use crate::session::testing::Fixture;
use crate::tmux::{FakeInput, FakeTmux};

fn fixture() -> Fixture<FakeTmux> {
    Fixture::new()
}

fn run_of(record: &SessionRecord) -> DateTime<Utc> {
    match record.state {
        SessionState::Active { since, .. } => since,
        _ => panic!("not active: {:?}", record.state),
    }
}

#[test]
fn create_starts_the_agent_and_keeps_its_task_until_it_is_ready() {
    let f = fixture();
    let r = f
        .manager
        .create(Some("webapp"), Some("fix the 'bug'"), None)
        .unwrap();
    assert_eq!(r.name.as_str(), "webapp");
    assert!(
        matches!(&r.state, SessionState::Active { task: Some(t), .. } if t == "fix the 'bug'"),
        "{:?}",
        r.state
    );
    assert_eq!(
        r.folder,
        f.root.path().join("webapp").canonicalize().unwrap()
    );
    let spec = f.tmux.spec("webapp").unwrap();
    assert_eq!(spec.command, "claude", "never on the command line");
    assert_eq!(spec.folder, r.folder);
    assert_eq!(spec.env, vec![("A".to_owned(), "1".to_owned())]);
    assert_eq!(
        f.tmux.inputs("webapp"),
        [],
        "nothing typed before it is ready"
    );
    let again = f.manager.create(Some("webapp"), None, None).unwrap();
    assert_eq!(again.name.as_str(), "webapp-2");
    assert_eq!(f.manager.list().unwrap().len(), 2);
}

#[test]
fn the_task_is_typed_once_whole_and_only_in_its_run() {
    let f = fixture();
    let task = "é".repeat(5000) + " end";
    let r = f
        .manager
        .create(Some("webapp"), Some(&task), Some("aider --yes"))
        .unwrap();
    f.manager.deliver_task(r.id, Utc::now()).unwrap();
    assert_eq!(f.tmux.inputs("webapp"), [], "another run's reading");
    f.manager.deliver_task(r.id, run_of(&r)).unwrap();
    f.manager.deliver_task(r.id, run_of(&r)).unwrap();
    assert_eq!(
        f.tmux.inputs("webapp"),
        vec![FakeInput::Text(task), FakeInput::Keys(vec![Key::Enter])]
    );
    assert!(matches!(
        f.manager.get(r.id).unwrap().state,
        SessionState::Active { task: None, .. }
    ));
}

#[test]
fn a_task_that_cannot_be_typed_is_kept() {
    let f = fixture();
    let r = f.manager.create(Some("webapp"), Some("go"), None).unwrap();
    f.tmux.fail_next(
        "send_text",
        TmuxError::PaneDead {
            name: "webapp".into(),
        },
    );
    assert!(f.manager.deliver_task(r.id, run_of(&r)).is_err());
    assert!(matches!(
        &f.manager.get(r.id).unwrap().state,
        SessionState::Active { task: Some(t), .. } if t == "go"
    ));
}

#[test]
fn folders_outside_the_roots_create_nothing() {
    let f = fixture();
    let outside = tempfile::tempdir().unwrap();
    let escape = format!(
        "webapp/../../{}",
        outside.path().file_name().unwrap().to_string_lossy()
    );
    let cases = [
        outside.path().to_string_lossy().into_owned(),
        escape,
        "/".to_owned(),
    ];
    for folder in cases {
        let err = f.manager.create(Some(&folder), None, None).unwrap_err();
        assert!(
            matches!(err, SessionError::OutsideRoots { .. }),
            "{folder}: {err}"
        );
    }
    std::os::unix::fs::symlink(outside.path(), f.root.path().join("link")).unwrap();
    assert!(matches!(
        f.manager.create(Some("link"), None, None),
        Err(SessionError::OutsideRoots { .. })
    ));
    assert!(matches!(
        f.manager.create(Some("nope"), None, None),
        Err(SessionError::NoSuchFolder(_))
    ));
    assert!(f.manager.list().unwrap().is_empty());
    assert!(f.tmux.sessions().is_empty());
}

#[test]
fn without_tmux_nothing_is_created() {
    let f = fixture();
    f.tmux.set_missing(true);
    let err = f.manager.create(Some("webapp"), None, None).unwrap_err();
    assert!(err.to_string().contains("install"), "{err}");
    assert!(f.manager.list().unwrap().is_empty());
}

#[test]
fn a_failed_start_leaves_an_errored_record() {
    let f = fixture();
    f.tmux.fail_next(
        "new_session",
        TmuxError::Command {
            command: "new-session".into(),
            stderr: "boom".into(),
        },
    );
    let err = f.manager.create(Some("webapp"), None, None).unwrap_err();
    assert!(err.to_string().contains("boom"), "{err}");
    let record = f.manager.find("webapp").unwrap();
    assert!(
        matches!(&record.state, SessionState::Errored { error } if error.contains("boom")),
        "{:?}",
        record.state
    );
    // Errored sessions can be resumed.
    assert!(f.manager.resume(record.id).unwrap().state.is_active());
}

#[test]
fn a_failed_resume_changes_nothing() {
    let f = fixture();
    let r = f.manager.create(Some("webapp"), None, None).unwrap();
    f.manager.stop(r.id).unwrap();
    f.tmux.set_missing(true);
    assert!(f.manager.resume(r.id).is_err());
    assert_eq!(
        f.manager.get(r.id).unwrap().state,
        SessionState::Stopped { exit_status: None }
    );
}

#[test]
fn send_text_needs_an_active_session() {
    let f = fixture();
    let r = f.manager.create(Some("webapp"), None, None).unwrap();
    f.manager.send_text(r.id, "ls; echo $(x)\n").unwrap();
    assert_eq!(
        f.tmux.inputs("webapp"),
        vec![
            FakeInput::Text("ls; echo $(x)\n".into()),
            FakeInput::Keys(vec![Key::Enter])
        ]
    );
    assert!(matches!(
        f.manager.send_text(r.id, ""),
        Err(SessionError::EmptyText)
    ));
    f.manager.stop(r.id).unwrap();
    let err = f.manager.send_text(r.id, "hi").unwrap_err();
    assert!(
        err.to_string().contains("is stopped; resume it first"),
        "{err}"
    );
}

#[test]
fn stop_resume_remove() {
    let f = fixture();
    let r = f
        .manager
        .create(Some("webapp"), Some("task"), None)
        .unwrap();
    assert_eq!(
        f.manager.stop(r.id).unwrap().state,
        SessionState::Stopped { exit_status: None }
    );
    assert!(f.tmux.sessions().is_empty());
    let err = f.manager.stop(r.id).unwrap_err();
    assert!(err.to_string().contains("is stopped"), "{err}");

    let resumed = f.manager.resume(r.id).unwrap();
    assert!(resumed.id == r.id && resumed.state.is_active());
    assert_eq!(
        f.tmux.spec("webapp").unwrap().command,
        "claude",
        "the task is not given twice"
    );
    let err = f.manager.resume(r.id).unwrap_err();
    assert!(matches!(
        err,
        SessionError::Transition(TransitionError { from: "active", .. })
    ));

    let gone = f.manager.remove(r.id).unwrap();
    assert_eq!(gone.state, SessionState::Removed);
    assert!(f.tmux.sessions().is_empty());
    assert!(r.folder.is_dir(), "the folder is never deleted");
    assert!(matches!(
        f.manager.find("webapp"),
        Err(SessionError::Address(AddressError::NotFound(_)))
    ));
    assert!(matches!(
        f.manager.get(r.id),
        Err(SessionError::Address(AddressError::Gone))
    ));
    assert_eq!(f.manager.list().unwrap().len(), 1, "kept as a tombstone");
}

#[test]
fn the_end_of_an_earlier_run_leaves_the_resumed_one_alone() {
    let mut f = fixture();
    let r = f.manager.create(Some("webapp"), None, None).unwrap();
    let first = run_of(&r);
    f.manager.stop(r.id).unwrap();
    let resumed = f.manager.resume(r.id).unwrap();
    f.events();
    // A look at the first run, reported after the resume.
    f.manager
        .exited(r.id, first, Some(1), String::new())
        .unwrap();
    f.manager.failed(r.id, first, "lost".into()).unwrap();
    assert_eq!(f.manager.get(r.id).unwrap().state, resumed.state);
    assert_eq!(f.events(), []);
}

#[test]
fn exited_agents_keep_their_status() {
    let mut f = fixture();
    let r = f.manager.create(Some("webapp"), None, None).unwrap();
    f.manager
        .exited(r.id, run_of(&r), Some(3), "bye".into())
        .unwrap();
    let stopped = f.manager.get(r.id).unwrap();
    assert_eq!(
        stopped.state,
        SessionState::Stopped {
            exit_status: Some(3)
        }
    );
    assert!(matches!(
        f.events().as_slice(),
        [Event::Exited { exit_status: Some(3), tail, .. }] if tail == "bye"
    ));
    // A resume replaces the dead pane kept by remain-on-exit.
    f.tmux.exit("webapp", Some(3));
    assert!(f.manager.resume(r.id).unwrap().state.is_active());
}

#[test]
fn reconcile_matches_the_store_to_tmux() {
    let f = fixture();
    let live = f.manager.create(Some("webapp"), None, None).unwrap();
    let dead = f.manager.create(Some("webapp"), None, None).unwrap();
    let gone = f.manager.create(Some("webapp"), None, None).unwrap();
    f.tmux.exit(dead.name.as_str(), Some(3));
    f.tmux.kill_session(gone.name.as_str()).unwrap();
    f.tmux.start_by_hand("by-hand", f.root.path());
    f.tmux.start_by_hand("My Thing", f.root.path());

    let report = f.manager.reconcile().unwrap();
    assert_eq!(report.live, vec![live.name.clone()]);
    assert_eq!(
        report.stopped,
        vec![(dead.name.clone(), Some(3)), (gone.name.clone(), None)]
    );
    let mut adopted: Vec<&str> = report.adopted.iter().map(|n| n.as_str()).collect();
    adopted.sort();
    assert_eq!(adopted, vec!["by-hand", "my-thing"]);
    assert!(
        f.tmux.sessions().contains(&"my-thing".to_owned()),
        "renamed in tmux"
    );
    let by_hand = f.manager.find("by-hand").unwrap();
    assert!(by_hand.adopted && by_hand.state.is_active());
    assert_eq!(
        f.manager.get(dead.id).unwrap().state,
        SessionState::Stopped {
            exit_status: Some(3)
        }
    );

    let again = f.manager.reconcile().unwrap();
    assert!(
        again.adopted.is_empty() && again.stopped.is_empty(),
        "{again:?}"
    );
}

#[test]
fn server_down_means_everything_stopped() {
    let f = fixture();
    let r = f.manager.create(Some("webapp"), None, None).unwrap();
    f.tmux.kill_server();
    let report = f.manager.reconcile().unwrap();
    assert_eq!(report.stopped.len(), 1);
    assert!(!f.manager.get(r.id).unwrap().state.is_live());
}

#[test]
fn relative_and_home_folders() {
    let f = fixture();
    let root = f.root.path().canonicalize().unwrap();
    assert_eq!(f.manager.resolve_folder(None).unwrap(), root);
    assert_eq!(
        f.manager.resolve_folder(Some(" webapp ")).unwrap(),
        root.join("webapp")
    );
    let err = f.manager.resolve_folder(Some("~")).unwrap_err();
    assert!(
        err.to_string().contains("TGMUX_ROOTS") || matches!(err, SessionError::NoSuchFolder(_))
    );
}

// ---- Answering decisions ----------------------------------------------------

const PROMPT: &str = "● Creating notes.md\n\n────────────────────\n Create file\n notes.md\n\n   1 + hello\n\n \
                      Do you want to create notes.md?\n ❯ 1. Yes\n   2. No\n\n Esc to cancel\n";

/// A session whose screen shows `PROMPT`, with its decision open.
fn asking(f: &mut Fixture<FakeTmux>) -> (SessionRecord, Decision) {
    let r = f.manager.create(Some("webapp"), None, None).unwrap();
    f.tmux.set_screen("webapp", PROMPT);
    let prompt = match classify(PROMPT) {
        Screen::Decision(p) => p,
        other => panic!("{other:?}"),
    };
    let r = f
        .manager
        .screen_shows(r.id, run_of(&r), Some((prompt, None)))
        .unwrap();
    let decision = r.pending().unwrap().clone();
    f.events();
    (r, decision)
}

fn keys_sent(f: &Fixture<FakeTmux>) -> Vec<FakeInput> {
    f.tmux.inputs("webapp")
}

/// A tap on the first option of `d` finds it not open and sends no key.
fn assert_sends_nothing(f: &Fixture<FakeTmux>, r: &SessionRecord, d: &Decision) {
    let outcome = f
        .manager
        .answer(r.id, d.serial, d.fingerprint(), 0, "Alice")
        .unwrap();
    assert_eq!(outcome, AnswerOutcome::NotOpen);
    assert_eq!(keys_sent(f), []);
}

#[test]
fn a_tap_answers_the_open_decision_once() {
    let mut f = fixture();
    let (r, d) = asking(&mut f);
    let outcome = f
        .manager
        .answer(r.id, d.serial, d.fingerprint(), 0, "Alice")
        .unwrap();
    let AnswerOutcome::Sent { tapped, .. } = outcome else {
        panic!("{outcome:?}");
    };
    assert_eq!(
        (tapped.by.as_str(), tapped.option.as_str()),
        ("Alice", "Yes")
    );
    assert_eq!(keys_sent(&f), [FakeInput::Keys(vec![Key::Enter])]);
    assert!(matches!(
        f.events().as_slice(),
        [Event::DecisionTapped { .. }]
    ));
    assert_eq!(
        f.manager.get(r.id).unwrap().pending().unwrap().tapped,
        Some(tapped),
        "recorded with who and what"
    );
    let again = f
        .manager
        .answer(r.id, d.serial, d.fingerprint(), 1, "Bob")
        .unwrap();
    assert!(
        matches!(again, AnswerOutcome::AlreadyAnswered { .. }),
        "{again:?}"
    );
    assert_eq!(keys_sent(&f).len(), 1, "the second tap sent nothing");
}

#[test]
fn a_changed_context_under_the_same_question_sends_nothing() {
    let mut f = fixture();
    let (r, d) = asking(&mut f);
    let changed = PROMPT.replace("+ hello", "+ rm -rf ~ # changed body");
    f.tmux.set_screen("webapp", changed);
    assert_sends_nothing(&f, &r, &d);
}

#[test]
fn a_button_of_an_earlier_decision_never_answers_a_later_one() {
    let mut f = fixture();
    let (r, first) = asking(&mut f);
    f.manager.screen_shows(r.id, run_of(&r), None).unwrap();
    let prompt = first.prompt.clone();
    f.manager
        .screen_shows(r.id, run_of(&r), Some((prompt, None)))
        .unwrap();
    let second = f.manager.get(r.id).unwrap().pending().unwrap().clone();
    assert_eq!(second.serial, first.serial + 1);
    assert_eq!(second.fingerprint(), first.fingerprint(), "reads the same");
    assert_sends_nothing(&f, &r, &first);
}

#[test]
fn stop_ends_the_decision_and_its_buttons_stay_dead_after_a_resume() {
    let mut f = fixture();
    let (r, d) = asking(&mut f);
    f.manager.stop(r.id).unwrap();
    assert!(matches!(
        f.events().as_slice(),
        [Event::DecisionClosed { ending: Ending::Gone(Gone::Stopped), decision, .. }] if *decision == d
    ));
    f.manager.resume(r.id).unwrap();
    f.tmux.set_screen("webapp", PROMPT);
    assert_sends_nothing(&f, &r, &d);
}

#[test]
fn a_look_at_the_server_in_the_middle_of_a_stop_reports_nothing() {
    type Op = fn(&Manager, SessionId) -> Result<SessionRecord>;
    for (op, why) in [
        (Manager::stop as Op, Gone::Stopped),
        (Manager::remove, Gone::Removed),
    ] {
        let mut f = fixture();
        let (r, d) = asking(&mut f);
        // The watcher listed the run as active, then finds its tmux
        // session gone (with the server, its last session).
        let manager = Arc::clone(&f.manager);
        let (id, since) = (r.id, run_of(&r));
        f.tmux.after_next_kill(move || {
            manager.server_gone().unwrap();
            // A removed session is refused as gone, and stays removed.
            let exited = manager.exited(id, since, None, String::new());
            assert!(
                matches!(
                    exited,
                    Ok(()) | Err(SessionError::Address(AddressError::Gone))
                ),
                "{exited:?}"
            );
        });
        op(&f.manager, r.id).unwrap();
        let events = f.events();
        assert!(
            matches!(
                events.as_slice(),
                [Event::DecisionClosed { ending: Ending::Gone(gone), decision, .. }]
                    if *gone == why && *decision == d
            ),
            "{events:?}"
        );
    }
}

#[test]
fn a_prompt_gone_from_the_screen_is_not_answered() {
    let mut f = fixture();
    let (r, d) = asking(&mut f);
    let outcome = f
        .manager
        .answer(r.id, d.serial, d.fingerprint(), 9, "Alice")
        .unwrap();
    assert_eq!(outcome, AnswerOutcome::NotOpen, "no such option");
    f.tmux.set_screen("webapp", "✔ Done.\n\n$ ");
    assert_sends_nothing(&f, &r, &d);
}

#[test]
fn keys_that_cannot_go_in_leave_the_decision_open() {
    let mut f = fixture();
    let (r, d) = asking(&mut f);
    f.tmux.fail_next(
        "send_keys",
        TmuxError::PaneDead {
            name: "webapp".into(),
        },
    );
    assert!(
        f.manager
            .answer(r.id, d.serial, d.fingerprint(), 0, "Alice")
            .is_err()
    );
    assert_eq!(f.manager.get(r.id).unwrap().pending().unwrap().tapped, None);
    assert!(
        f.events().is_empty(),
        "nothing said of a tap that did not land"
    );
}

#[test]
fn a_tapped_decision_leaving_the_screen_ends_as_tapped() {
    let mut f = fixture();
    let (r, d) = asking(&mut f);
    f.manager
        .answer(r.id, d.serial, d.fingerprint(), 0, "Alice")
        .unwrap();
    f.events();
    f.manager.screen_shows(r.id, run_of(&r), None).unwrap();
    assert!(matches!(
        f.events().as_slice(),
        [Event::DecisionClosed { ending: Ending::Tapped(t), .. }] if t.by == "Alice"
    ));
}
