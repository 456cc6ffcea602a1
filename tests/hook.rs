//! `tgmux hook`, the real binary as agents run it: exit 0 and nothing on
//! stdout whatever happens, events appended to the session's spool.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use tgmux::events::spool::Spool;
use tgmux::events::wake::Wake;
use tgmux::events::{AgentEvent, ToolCall};

/// Runs `tgmux hook <args>` in `cwd` with `stdin` fed and closed.
fn hook(args: &[&str], env: &[(&str, &Path)], stdin: &[u8], cwd: &Path) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tgmux"));
    command
        .arg("hook")
        .args(args)
        .current_dir(cwd)
        .env_remove("TGMUX_SESSION_ID")
        .env_remove("TGMUX_EVENTS_DIR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        command.env(k, v);
    }
    let mut child = command.spawn().unwrap();
    // A hook that exits before reading (a bad argument) closes the pipe early.
    let _ = child.stdin.take().unwrap().write_all(stdin);
    child.wait_with_output().unwrap()
}

fn events(dir: &Path, session: &str) -> Vec<AgentEvent> {
    let spool = Spool::new(dir, session).unwrap();
    spool
        .read_after(0)
        .unwrap()
        .events
        .into_iter()
        .map(|r| r.event)
        .collect()
}

#[test]
fn claude_payload_on_stdin_reaches_the_spool_silently() {
    let dir = tempfile::tempdir().unwrap();
    // A malformed .env in the agent's folder must not matter to a hook.
    std::fs::write(dir.path().join(".env"), "NOT VALID =\"").unwrap();
    let events_dir = dir.path().join("events");
    let session = Path::new("0b7e4c52-9f0e-4a57-8d7e-2f6c1b3a9d10");
    let payload = br#"{"session_id":"c1","transcript_path":"/x.jsonl","cwd":"/srv","hook_event_name":"Stop","stop_hook_active":false,"last_assistant_message":"All done."}"#;
    let out = hook(
        &["claude"],
        &[
            ("TGMUX_SESSION_ID", session),
            ("TGMUX_EVENTS_DIR", &events_dir),
        ],
        payload,
        dir.path(),
    );
    assert!(out.status.success());
    assert_eq!(out.stdout, b"");
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    assert_eq!(
        events(&events_dir, "0b7e4c52-9f0e-4a57-8d7e-2f6c1b3a9d10"),
        [AgentEvent::TurnEnded {
            answer: Some("All done.".into())
        }]
    );
}

#[test]
fn gemini_permission_names_the_call_and_wakes_the_watcher() {
    let dir = tempfile::tempdir().unwrap();
    let wake = Wake::bind(dir.path()).unwrap();
    let payload = fixture_event("gemini-Notification.json");
    let out = hook(
        &["gemini"],
        &[
            ("TGMUX_SESSION_ID", Path::new("s1")),
            ("TGMUX_EVENTS_DIR", dir.path()),
        ],
        &payload,
        dir.path(),
    );
    assert!(out.status.success());
    assert!(
        wake.wait(Duration::ZERO),
        "the hook's nudge was already queued when it exited"
    );
    assert_eq!(
        events(dir.path(), "s1"),
        [
            AgentEvent::PermissionAsked {
                message: "Tool Confirm Shell Command requires execution".into()
            },
            AgentEvent::ToolPending(ToolCall {
                tool: "Shell".into(),
                input: "echo hi > marker.txt".into()
            })
        ]
    );
}

/// A payload an agent really sent, from tests/fixtures/events.
fn fixture_event(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/events")
            .join(name),
    )
    .unwrap()
}

#[test]
fn codex_payload_is_the_last_argument() {
    let dir = tempfile::tempdir().unwrap();
    let payload = r#"{"type":"agent-turn-complete","thread-id":"t-1","turn-id":"1","cwd":"/srv","input-messages":["go"],"last-assistant-message":"--done--"}"#;
    let out = hook(
        &["codex", payload],
        &[
            ("TGMUX_SESSION_ID", Path::new("s1")),
            ("TGMUX_EVENTS_DIR", dir.path()),
        ],
        b"",
        dir.path(),
    );
    assert!(out.status.success());
    assert_eq!(out.stdout, b"");
    assert_eq!(
        events(dir.path(), "s1"),
        [
            AgentEvent::SessionStarted {
                agent_session_id: "t-1".into()
            },
            AgentEvent::TurnEnded {
                answer: Some("--done--".into())
            }
        ]
    );
}

#[test]
fn failures_exit_0_with_one_line_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let payload = br#"{"hook_event_name":"SessionStart","session_id":"c1"}"#;
    let no_env = hook(&["claude"], &[], payload, dir.path());
    assert!(no_env.status.success());
    assert_eq!(no_env.stdout, b"");
    assert_eq!(
        String::from_utf8_lossy(&no_env.stderr),
        "tgmux hook: TGMUX_SESSION_ID is not set: the session was not started by tgmux\n"
    );

    let file = dir.path().join("a-file");
    std::fs::write(&file, "").unwrap();
    let unwritable = hook(
        &["gemini"],
        &[
            ("TGMUX_SESSION_ID", Path::new("s1")),
            ("TGMUX_EVENTS_DIR", &file.join("events")),
        ],
        payload,
        dir.path(),
    );
    assert!(unwritable.status.success());
    assert_eq!(unwritable.stdout, b"");
    assert_eq!(
        String::from_utf8_lossy(&unwritable.stderr).lines().count(),
        1
    );

    for args in [&["aider"][..], &["claude", "--weird", "-x"][..]] {
        let out = hook(
            args,
            &[("TGMUX_SESSION_ID", Path::new("s1"))],
            b"{",
            dir.path(),
        );
        assert!(out.status.success(), "{args:?}");
        assert_eq!(out.stdout, b"", "{args:?}");
    }
}

#[test]
fn a_stdin_that_never_ends_does_not_hold_the_agent() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_tgmux"))
        .args(["hook", "claude"])
        .env("TGMUX_SESSION_ID", "s1")
        .env("TGMUX_EVENTS_DIR", dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Keep stdin open (a payload that never ends) while the hook runs.
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(br#"{"hook_event_name":"Sto"#).unwrap();
    let started = Instant::now();
    let out = child.wait_with_output().unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    drop(stdin);
    assert!(out.status.success());
    assert_eq!(out.stdout, b"");
    assert_eq!(events(dir.path(), "s1"), []);
}
