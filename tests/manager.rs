//! The session manager on real tmux: one throw-away server per test, shell
//! scripts as agents.

mod support;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use support::tmux::TmuxSandbox;
use support::{agent, sh_quote, wait_until};
use tgmux::session::{Events, Manager, SessionState, Settings, Store};

const WAIT: Duration = Duration::from_secs(10);

struct Setup {
    sandbox: TmuxSandbox,
    root: PathBuf,
    manager: Manager,
}

/// A manager whose default agent is `record.sh`, writing to `typed.txt`.
fn setup() -> Setup {
    let sandbox = TmuxSandbox::new();
    let root = sandbox.path("code");
    std::fs::create_dir_all(root.join("webapp")).unwrap();
    let agent_line = format!(
        "{} {}",
        sh_quote(agent("record.sh")),
        sh_quote(sandbox.path("typed.txt"))
    );
    let manager = manager(&sandbox, &root, agent_line);
    Setup {
        sandbox,
        root,
        manager,
    }
}

fn manager(sandbox: &TmuxSandbox, root: &Path, agent: String) -> Manager {
    let store = Store::open(&sandbox.path("data")).unwrap();
    let settings = Settings {
        roots: vec![root.to_owned()],
        agent,
        env: vec![("TGMUX_PROBE".into(), "probe".into())],
        home: None,
        events: None,
    };
    Manager::new(Arc::new(sandbox.driver()), store, settings, Events::none())
}

fn screen_shows(manager: &Manager, name: &str, text: &str) {
    let id = manager.find(name).unwrap().id;
    wait_until(WAIT, &format!("{name} to show {text:?}"), || {
        manager
            .capture(id, 100)
            .map(|(_, s)| s.contains(text))
            .unwrap_or(false)
    });
}

fn typed(sandbox: &TmuxSandbox, n: usize) -> Vec<String> {
    support::wait_for_lines(&sandbox.path("typed.txt"), n)
}

#[test]
fn create_list_send_capture_stop_resume_remove() {
    let s = setup();
    let m = &s.manager;
    let record = m.create(Some("webapp"), None, None).unwrap();
    assert!(record.name.as_str() == "webapp" && record.state.is_active());
    screen_shows(m, "webapp", "ready>");
    assert_eq!(m.list().unwrap().len(), 1);

    let texts = [
        "echo hi;",
        r#"a "quoted" 'x' $(whoami) `id` \n"#,
        "C-c",
        "Enter",
        "  spaced  ",
        "héllo ✓",
    ];
    for text in texts {
        m.send_text(record.id, text).unwrap();
    }
    assert_eq!(
        typed(&s.sandbox, texts.len()),
        texts.map(String::from).to_vec()
    );

    let stopped = m.stop(record.id).unwrap();
    assert_eq!(stopped.state, SessionState::Stopped { exit_status: None });
    assert!(!s.sandbox.has_session("webapp"));
    let err = m.send_text(record.id, "x").unwrap_err();
    assert!(err.to_string().contains("stopped"), "{err}");

    let resumed = m.resume(record.id).unwrap();
    assert!(resumed.id == record.id && resumed.state.is_active());
    screen_shows(m, "webapp", "ready>");

    let gone = m.remove(record.id).unwrap();
    assert_eq!(gone.state, SessionState::Removed);
    assert!(!s.sandbox.has_session("webapp"));
    assert!(
        s.root.join("webapp").is_dir(),
        "the folder is never deleted"
    );
}

#[test]
fn sessions_run_in_their_folder_with_the_environment() {
    let s = setup();
    let out = s.sandbox.path("where.txt");
    let agent_line = format!("{} {}", sh_quote(agent("where.sh")), sh_quote(&out));
    s.manager
        .create(Some("webapp"), None, Some(&agent_line))
        .unwrap();
    wait_until(WAIT, "where.sh to write", || {
        std::fs::read_to_string(&out).is_ok_and(|t| t.lines().count() == 2)
    });
    let text = std::fs::read_to_string(&out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        PathBuf::from(lines[0]),
        s.root.join("webapp").canonicalize().unwrap()
    );
    assert_eq!(lines[1], "probe");
}

#[test]
fn an_agent_that_exits_3_is_reported_stopped_with_3() {
    let s = setup();
    let agent_line = format!("{} 3", sh_quote(agent("exit.sh")));
    s.manager
        .create(Some("webapp"), None, Some(&agent_line))
        .unwrap();
    screen_shows(&s.manager, "webapp", "exiting with 3");
    s.manager
        .tmux()
        .send_keys("webapp", &[tgmux::tmux::Key::Enter])
        .unwrap();
    let mut report = Default::default();
    wait_until(WAIT, "the exit to be seen", || {
        report = s.manager.reconcile().unwrap();
        !report.stopped.is_empty()
    });
    assert_eq!(
        report.stopped,
        vec![(s.manager.find("webapp").unwrap().name, Some(3))]
    );
    let record = s.manager.find("webapp").unwrap();
    assert_eq!(
        record.state,
        SessionState::Stopped {
            exit_status: Some(3)
        }
    );
    // The last screen is still there to read.
    let (_, screen) = s.manager.capture(record.id, 100).unwrap();
    assert!(screen.contains("exiting with 3"), "{screen}");
}

#[test]
fn reconcile_after_the_server_was_killed() {
    let s = setup();
    s.manager.create(Some("webapp"), None, None).unwrap();
    s.manager.create(Some("webapp"), None, None).unwrap();
    s.sandbox.tmux(&["kill-server"]);
    let report = s.manager.reconcile().unwrap();
    assert_eq!(report.stopped.len(), 2, "{report:?}");
    assert!(report.live.is_empty() && report.adopted.is_empty());
    assert!(
        s.manager
            .list()
            .unwrap()
            .iter()
            .all(|r| r.state == SessionState::Stopped { exit_status: None })
    );
    // Both can come back.
    let second = s.manager.find("webapp-2").unwrap();
    s.manager.resume(second.id).unwrap();
    assert_eq!(s.manager.reconcile().unwrap().live.len(), 1);
}

#[test]
fn reconcile_adopts_sessions_started_by_hand() {
    let s = setup();
    s.manager.create(Some("webapp"), None, None).unwrap();
    let folder = s.root.join("webapp");
    let folder = folder.to_str().unwrap();
    for name in ["by-hand", "Odd name.1"] {
        let out = s
            .sandbox
            .tmux(&["new-session", "-d", "-s", name, "-c", folder, "sleep 600"]);
        assert!(out.status.success(), "{out:?}");
    }

    let mut report = s.manager.reconcile().unwrap();
    report.adopted.sort();
    let adopted: Vec<&str> = report.adopted.iter().map(|n| n.as_str()).collect();
    assert_eq!(adopted, ["by-hand", "odd-name_1"]);
    assert_eq!(report.live.len(), 1);
    let by_hand = s.manager.find("by-hand").unwrap();
    assert!(by_hand.adopted && by_hand.state.is_active());
    assert_eq!(by_hand.folder, PathBuf::from(folder));
    assert!(s.sandbox.has_session("odd-name_1"), "renamed in tmux");
    // Adopted sessions are managed like any other.
    s.manager.stop(s.manager.find("odd").unwrap().id).unwrap();
    assert!(s.manager.reconcile().unwrap().adopted.is_empty());
}

#[test]
fn a_missing_folder_or_tmux_is_a_clear_error() {
    let s = setup();
    let err = s.manager.create(Some("nope"), None, None).unwrap_err();
    assert!(err.to_string().contains("does not exist"), "{err}");
    let store = Store::open(&s.sandbox.path("data2")).unwrap();
    let settings = Settings {
        roots: vec![s.root.clone()],
        agent: "sh".into(),
        env: vec![],
        home: None,
        events: None,
    };
    let no_tmux = tgmux::tmux::CliTmux::with_program(s.sandbox.socket(), "/nonexistent/tmux");
    let m = Manager::new(Arc::new(no_tmux), store, settings, Events::none());
    let err = m.create(Some("webapp"), None, None).unwrap_err();
    assert!(err.to_string().contains("install"), "{err}");
    assert!(m.list().unwrap().is_empty());
}
