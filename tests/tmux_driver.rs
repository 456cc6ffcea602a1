//! The real tmux driver against a throw-away tmux server, with shell scripts
//! standing in for agents.

mod support;

use std::fs;
use std::path::Path;
use std::time::Duration;

use support::tmux::TmuxSandbox;
use support::{agent, read_lines, sh_quote, wait_until};
use tgmux::tmux::{CliTmux, Key, Tmux, TmuxError};

const WAIT: Duration = Duration::from_secs(10);

/// Runs `script` with `out` as its argument.
fn agent_command(script: &str, out: &Path) -> String {
    format!("{} {}", sh_quote(agent(script)), sh_quote(out))
}

fn wait_for_screen(tmux: &CliTmux, name: &str, text: &str) {
    wait_until(WAIT, &format!("`{text}` on the screen of {name}"), || {
        tmux.capture(name, 100).is_ok_and(|s| s.contains(text))
    });
}

#[test]
fn new_session_runs_the_command_in_its_folder() {
    let sandbox = TmuxSandbox::new();
    let tmux = sandbox.driver();
    let out = sandbox.path("where.txt");
    tmux.new_session(&sandbox.spec("web", agent_command("where.sh", &out)))
        .unwrap();

    wait_until(WAIT, "where.sh to write its folder", || {
        read_lines(&out).len() == 2
    });
    let folder = fs::canonicalize(sandbox.dir()).unwrap();
    assert_eq!(read_lines(&out)[0], folder.to_string_lossy());
    let panes = tmux.list_panes().unwrap();
    assert_eq!(panes.len(), 1);
    assert_eq!(panes[0].session, "web");
    assert!(!panes[0].dead);
    assert_eq!(panes[0].exit_status, None);
    assert!(panes[0].activity > 0);
    assert_eq!(fs::canonicalize(&panes[0].current_path).unwrap(), folder);
}

#[test]
fn new_session_passes_its_environment() {
    let sandbox = TmuxSandbox::new();
    let tmux = sandbox.driver();
    let out = sandbox.path("where.txt");
    let mut spec = sandbox.spec("web", agent_command("where.sh", &out));
    spec.env.push(("TGMUX_PROBE".into(), "a b;".into()));
    tmux.new_session(&spec).unwrap();

    wait_until(WAIT, "where.sh to write its environment", || {
        read_lines(&out).len() == 2
    });
    assert_eq!(read_lines(&out)[1], "a b;");
}

#[test]
fn new_session_refuses_a_taken_name_or_a_missing_folder() {
    let sandbox = TmuxSandbox::new();
    let tmux = sandbox.driver();
    tmux.new_session(&sandbox.spec("web", "sleep 600")).unwrap();
    let err = tmux
        .new_session(&sandbox.spec("web", "sleep 600"))
        .unwrap_err();
    assert!(
        matches!(err, TmuxError::DuplicateSession { ref name, .. } if name == "web"),
        "{err:?}"
    );

    let mut spec = sandbox.spec("api", "sleep 600");
    spec.folder = sandbox.path("missing");
    let err = tmux.new_session(&spec).unwrap_err();
    assert!(matches!(err, TmuxError::NoSuchFolder(_)), "{err:?}");
    assert_eq!(tmux.list_panes().unwrap().len(), 1);
}

#[test]
fn text_arrives_byte_for_byte() {
    let sandbox = TmuxSandbox::new();
    let tmux = sandbox.driver();
    let out = sandbox.path("typed.txt");
    tmux.new_session(&sandbox.spec("rec", agent_command("record.sh", &out)))
        .unwrap();
    wait_for_screen(&tmux, "rec", "ready>");

    let texts = [
        "echo hi;",
        ";",
        "ends with \\;",
        "a \"quoted\" 'x'",
        "$(rm -rf /tmp/nothing) `id` $HOME",
        "C-c",
        "Enter",
        "-t =other: -l",
        "back\\nslash \\",
        "trailing spaces   ",
        "  leading",
        "héllo ✓",
    ];
    for (i, text) in texts.iter().enumerate() {
        tmux.send_text("rec", text).unwrap();
        tmux.send_keys("rec", &[Key::Enter]).unwrap();
        wait_until(WAIT, &format!("line {i} to be recorded"), || {
            read_lines(&out).len() > i
        });
    }
    assert_eq!(read_lines(&out), texts);

    // A multi-line text reaches a program that did not ask for bracketed
    // paste as separate lines: each newline is typed as Enter.
    tmux.send_text("rec", "first\nsecond").unwrap();
    tmux.send_keys("rec", &[Key::Enter]).unwrap();
    wait_until(WAIT, "both lines to be recorded", || {
        read_lines(&out).len() == texts.len() + 2
    });
    assert_eq!(read_lines(&out)[texts.len()..], ["first", "second"]);
}

#[test]
fn keys_reach_the_pane_in_order() {
    let sandbox = TmuxSandbox::new();
    let tmux = sandbox.driver();
    let out = sandbox.path("keys.bin");
    tmux.new_session(&sandbox.spec("keys", agent_command("keys.sh", &out)))
        .unwrap();
    wait_for_screen(&tmux, "keys", "ready>");

    let keys = [
        Key::Char('2'),
        Key::Up,
        Key::Down,
        Key::Char('y'),
        Key::Char(';'),
        Key::Enter,
    ];
    tmux.send_keys("keys", &keys).unwrap();
    tmux.send_keys("keys", &[Key::Char(';')]).unwrap();
    tmux.send_keys(
        "keys",
        &[Key::Char('\\'), Key::Char(';'), Key::Tab, Key::CtrlC],
    )
    .unwrap();
    let expected = b"2\x1b[A\x1b[By;\r;\\;\t\x03";
    wait_until(WAIT, "every key to arrive", || {
        fs::read(&out).unwrap_or_default().len() >= expected.len()
    });
    assert_eq!(fs::read(&out).unwrap(), expected);
}

#[test]
fn a_dead_pane_keeps_its_status_and_screen() {
    let sandbox = TmuxSandbox::new();
    let tmux = sandbox.driver();
    tmux.new_session(&sandbox.spec("instant", "exit 3"))
        .unwrap();
    tmux.new_session(&sandbox.spec("killed", "kill -9 $$"))
        .unwrap();
    let script = format!("{} 7", sh_quote(agent("exit.sh")));
    tmux.new_session(&sandbox.spec("script", script)).unwrap();
    wait_for_screen(&tmux, "script", "exiting with 7");
    tmux.send_keys("script", &[Key::Enter]).unwrap();

    // tmux marks a pane dead when its terminal closes and learns the exit
    // status a moment later, when it reaps the process.
    wait_until(WAIT, "all three deaths and both exit statuses", || {
        let panes = tmux.list_panes().unwrap();
        let statuses = panes.iter().filter(|p| p.exit_status.is_some()).count();
        panes.iter().all(|p| p.dead) && statuses == 2
    });
    let panes = tmux.list_panes().unwrap();
    let pane = |name: &str| panes.iter().find(|p| p.session == name).unwrap();
    assert_eq!(pane("instant").exit_status, Some(3));
    assert_eq!(pane("script").exit_status, Some(7));
    assert!(pane("killed").dead);
    assert_eq!(pane("killed").exit_status, None);
    assert!(
        tmux.capture("script", 100)
            .unwrap()
            .contains("exiting with 7")
    );

    // Pasting into a dead pane crashes a tmux 3.3a server: the driver refuses.
    let err = tmux.send_text("script", "hello").unwrap_err();
    assert!(matches!(err, TmuxError::PaneDead { .. }), "{err:?}");
    let err = tmux.send_keys("script", &[Key::Enter]).unwrap_err();
    assert!(matches!(err, TmuxError::PaneDead { .. }), "{err:?}");
    assert_eq!(tmux.list_panes().unwrap().len(), 3, "the server survives");
    let buffers = sandbox.tmux(&["list-buffers"]);
    assert!(buffers.stdout.is_empty(), "leftover buffers: {buffers:?}");
}

#[test]
fn last_words_before_an_exit_are_kept() {
    // tmux may learn that a pane died before it has read the pane's last
    // output, so a capture taken as soon as the status is known can miss it
    // (several times in 40 here). The agent is a child process, as agents are.
    let sandbox = TmuxSandbox::new();
    let tmux = sandbox.driver();
    let names: Vec<String> = (0..40).map(|i| format!("s{i}")).collect();
    for name in &names {
        let command = format!("sh -c 'printf \"last words of {name}\\n\"; exit 4'");
        tmux.new_session(&sandbox.spec(name, command)).unwrap();
    }
    wait_until(WAIT, "every exit status", || {
        let panes = tmux.list_panes().unwrap();
        panes.len() == names.len() && panes.iter().all(|p| p.exit_status == Some(4))
    });
    for name in &names {
        let screen = tmux.capture(name, 10).unwrap();
        assert!(
            screen.contains(&format!("last words of {name}")),
            "{name}: {screen}"
        );
    }
}

#[test]
fn targets_are_exact() {
    let sandbox = TmuxSandbox::new();
    let tmux = sandbox.driver();
    tmux.new_session(&sandbox.spec("webapp", "sleep 600"))
        .unwrap();

    tmux.kill_session("web").unwrap();
    let err = tmux.capture("web", 0).unwrap_err();
    assert!(
        matches!(err, TmuxError::NoSuchSession { ref name, .. } if name == "web"),
        "{err:?}"
    );
    let err = tmux.send_text("web", "hi").unwrap_err();
    assert!(matches!(err, TmuxError::NoSuchSession { .. }), "{err:?}");
    let err = tmux.send_keys("web", &[Key::Enter]).unwrap_err();
    assert!(matches!(err, TmuxError::NoSuchSession { .. }), "{err:?}");
    let err = tmux.rename_session("web", "api").unwrap_err();
    assert!(matches!(err, TmuxError::NoSuchSession { .. }), "{err:?}");

    tmux.new_session(&sandbox.spec("web", "sleep 600")).unwrap();
    tmux.kill_session("web").unwrap();
    let names: Vec<_> = tmux
        .list_panes()
        .unwrap()
        .into_iter()
        .map(|p| p.session)
        .collect();
    assert_eq!(names, ["webapp"]);
}

#[test]
fn hand_started_sessions_with_odd_names_work() {
    let sandbox = TmuxSandbox::new();
    let tmux = sandbox.driver();
    let out = sandbox.path("typed.txt");
    let name = "it's my web;";
    let command = agent_command("record.sh", &out);
    let started = sandbox.tmux(&["new-session", "-d", "-s", "it's my web\\;", &command]);
    assert!(started.status.success(), "{started:?}");

    assert_eq!(tmux.list_panes().unwrap()[0].session, name);
    wait_for_screen(&tmux, name, "ready>");
    tmux.send_text(name, "hello").unwrap();
    tmux.send_keys(name, &[Key::Enter]).unwrap();
    wait_until(WAIT, "the line to be recorded", || {
        read_lines(&out) == ["hello"]
    });
    tmux.rename_session(name, "adopted").unwrap();
    assert_eq!(tmux.list_panes().unwrap()[0].session, "adopted");
}

#[test]
fn rename_session_renames() {
    let sandbox = TmuxSandbox::new();
    let tmux = sandbox.driver();
    tmux.new_session(&sandbox.spec("web", "sleep 600")).unwrap();
    tmux.new_session(&sandbox.spec("api", "sleep 600")).unwrap();

    let err = tmux.rename_session("web", "api").unwrap_err();
    assert!(
        matches!(err, TmuxError::DuplicateSession { ref name, .. } if name == "api"),
        "{err:?}"
    );
    tmux.rename_session("web", "web-2").unwrap();
    let names: Vec<_> = tmux
        .list_panes()
        .unwrap()
        .into_iter()
        .map(|p| p.session)
        .collect();
    assert_eq!(names, ["api", "web-2"]);
    assert!(tmux.capture("web-2", 0).is_ok());
}

#[test]
fn no_server_means_no_sessions() {
    let sandbox = TmuxSandbox::new();
    let tmux = sandbox.driver();

    assert!(tmux.list_panes().unwrap().is_empty());
    tmux.kill_session("web").unwrap();
    let err = tmux.capture("web", 0).unwrap_err();
    assert!(matches!(err, TmuxError::ServerNotRunning { .. }), "{err:?}");
    assert!(err.to_string().contains(sandbox.socket()), "{err}");
    assert!(err.is_session_gone());
    let err = tmux.send_text("web", "hi").unwrap_err();
    assert!(err.is_session_gone(), "{err:?}");

    // The server goes away with its last session, too.
    tmux.new_session(&sandbox.spec("web", "sleep 600")).unwrap();
    tmux.kill_session("web").unwrap();
    assert!(tmux.list_panes().unwrap().is_empty());
}

#[test]
fn a_missing_tmux_says_how_to_install_it() {
    let sandbox = TmuxSandbox::new();
    let tmux = CliTmux::with_program(sandbox.socket(), sandbox.path("no-such-tmux"));
    let err = tmux.version().unwrap_err();
    assert!(matches!(err, TmuxError::NotInstalled), "{err:?}");
    assert!(err.to_string().contains("install"), "{err}");
    assert!(matches!(tmux.list_panes(), Err(TmuxError::NotInstalled)));
}

#[test]
fn version_names_tmux() {
    let sandbox = TmuxSandbox::new();
    let version = sandbox.driver().version().unwrap();
    assert!(version.starts_with("tmux "), "{version}");
}
