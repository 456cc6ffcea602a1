//! `tgmux hook <agent>`: the receiver an agent runs on each of its events.
//! It reads the payload (stdin, or the last argument for Codex `notify`),
//! appends the events to the session's spool and exits at once. It prints
//! nothing on stdout (Claude Code and Gemini CLI read a hook's stdout), loads
//! no configuration and never fails the agent.

use std::ffi::OsString;
use std::io::{IsTerminal, Read};
use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::spool::Spool;
use super::wake;
use super::{Agent, EventsError, Received};

/// The session's tgmux id, set in the environment the session starts with.
pub const SESSION_ENV: &str = "TGMUX_SESSION_ID";
/// The folder of the spools, set in the environment the session starts with.
pub const EVENTS_DIR_ENV: &str = "TGMUX_EVENTS_DIR";
/// The path of the tgmux binary, for the hook commands in agents' settings.
pub const BIN_ENV: &str = "TGMUX_BIN";

/// Largest payload read from stdin; a bigger one is cut and then ignored.
const MAX_PAYLOAD: u64 = 1024 * 1024;
/// How long stdin may take to reach its end before the hook gives up.
const STDIN_WAIT: Duration = Duration::from_secs(1);

/// Receives one payload from `agent` (`claude`, `codex` or `gemini`) with the
/// program's arguments after it. The error is for one line on stderr; the
/// hook exits 0 whatever happens.
pub fn run(agent: &str, args: &[String]) -> Result<(), EventsError> {
    let agent =
        Agent::from_program(agent).ok_or_else(|| EventsError::UnknownAgent(agent.to_owned()))?;
    let payload = match agent {
        Agent::Codex => args
            .last()
            .map(|a| a.as_bytes().to_vec())
            .unwrap_or_default(),
        Agent::Claude | Agent::Gemini => read_stdin(),
    };
    receive(
        agent,
        &payload,
        std::env::var_os(SESSION_ENV),
        std::env::var_os(EVENTS_DIR_ENV),
        Utc::now(),
    )
}

/// Appends the events in `payload` to the spool the environment names.
fn receive(
    agent: Agent,
    payload: &[u8],
    session_id: Option<OsString>,
    events_dir: Option<OsString>,
    at: DateTime<Utc>,
) -> Result<(), EventsError> {
    let session_id = session_id.ok_or(EventsError::MissingEnv(SESSION_ENV))?;
    let events_dir = events_dir.ok_or(EventsError::MissingEnv(EVENTS_DIR_ENV))?;
    let session_id = session_id
        .into_string()
        .map_err(|id| EventsError::BadSessionId(id.to_string_lossy().into_owned()))?;
    let events_dir = Path::new(&events_dir);
    let spool = Spool::new(events_dir, &session_id)?;
    let received: Vec<Received> = agent
        .parse(payload)
        .into_iter()
        .map(|event| Received { at, event })
        .collect();
    if received.is_empty() {
        return Ok(());
    }
    spool.append(&received)?;
    wake::nudge(events_dir);
    Ok(())
}

/// Stdin up to `MAX_PAYLOAD` bytes, or what is there when it has not ended
/// within `STDIN_WAIT` (the reader thread dies with the process). Nothing
/// from a terminal: that is a person trying the command.
fn read_stdin() -> Vec<u8> {
    if std::io::stdin().is_terminal() {
        return Vec::new();
    }
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        // A read error leaves what was read; the parser judges it.
        let _ = std::io::stdin()
            .lock()
            .take(MAX_PAYLOAD)
            .read_to_end(&mut bytes);
        let _ = tx.send(bytes);
    });
    rx.recv_timeout(STDIN_WAIT).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::{AgentEvent, ToolCall};

    fn at() -> DateTime<Utc> {
        "2026-05-01T10:00:00Z".parse().unwrap()
    }

    #[test]
    fn appends_the_parsed_events_to_the_named_spool() {
        let dir = tempfile::tempdir().unwrap();
        let payload = br#"{"session_id":"c1","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"ls"}}"#;
        receive(
            Agent::Claude,
            payload,
            Some("s1".into()),
            Some(dir.path().into()),
            at(),
        )
        .unwrap();
        let line = std::fs::read_to_string(dir.path().join("s1.jsonl")).unwrap();
        assert_eq!(
            line,
            "{\"at\":\"2026-05-01T10:00:00Z\",\"event\":{\"kind\":\"tool_pending\",\"tool\":\"Bash\",\"input\":\"ls\"}}\n"
        );
        let spool = Spool::new(dir.path(), "s1").unwrap();
        assert_eq!(
            spool.read_after(0).unwrap().events,
            [Received {
                at: at(),
                event: AgentEvent::ToolPending(ToolCall {
                    tool: "Bash".into(),
                    input: "ls".into()
                })
            }]
        );
    }

    #[test]
    fn a_payload_without_events_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        receive(
            Agent::Gemini,
            b"garbage",
            Some("s1".into()),
            Some(dir.path().into()),
            at(),
        )
        .unwrap();
        assert!(!dir.path().join("s1.jsonl").exists());
    }

    #[test]
    fn missing_or_bad_environment_is_an_error_to_report() {
        let dir = tempfile::tempdir().unwrap();
        let payload = br#"{"type":"agent-turn-complete","last-assistant-message":"hi"}"#;
        let err = receive(Agent::Codex, payload, None, Some(dir.path().into()), at()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "TGMUX_SESSION_ID is not set: the session was not started by tgmux"
        );
        let err = receive(Agent::Codex, payload, Some("s1".into()), None, at()).unwrap_err();
        assert!(matches!(err, EventsError::MissingEnv(EVENTS_DIR_ENV)));
        let err = receive(
            Agent::Codex,
            payload,
            Some("../x".into()),
            Some(dir.path().into()),
            at(),
        )
        .unwrap_err();
        assert!(matches!(err, EventsError::BadSessionId(_)));
        assert!(matches!(
            run("aider", &[]),
            Err(EventsError::UnknownAgent(name)) if name == "aider"
        ));
    }
}
