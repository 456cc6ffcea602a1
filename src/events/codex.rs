//! Codex `notify` payloads (one JSON argument) to events. Codex sends one
//! kind, `agent-turn-complete`, with the thread id (what `codex resume`
//! takes) and `last-assistant-message`.

use serde_json::Value;

use super::{AgentEvent, bounded, str_field};

/// How the prompt of Codex's own thread-title turn begins. That turn runs
/// beside the user's first one, in a thread of its own, and notifies too.
const TITLE_PROMPT: &str = "Generate a concise, single-line task title";

/// The events in one notify payload: the thread id as `SessionStarted`
/// (Codex reports it with every turn, and nowhere earlier), then `TurnEnded`.
/// The title turn's payload gives nothing: its thread is not the session's.
pub(super) fn parse(payload: &[u8]) -> Vec<AgentEvent> {
    let Ok(notification) = serde_json::from_slice::<Value>(payload) else {
        return Vec::new();
    };
    if str_field(&notification, "type") != Some("agent-turn-complete")
        || is_title_turn(&notification)
    {
        return Vec::new();
    }
    let thread = str_field(&notification, "thread-id").map(|id| AgentEvent::SessionStarted {
        agent_session_id: id.to_owned(),
    });
    let answer = str_field(&notification, "last-assistant-message")
        .map(|text| bounded(text.trim()))
        .filter(|text| !text.is_empty());
    thread
        .into_iter()
        .chain([AgentEvent::TurnEnded { answer }])
        .collect()
}

/// Whether the payload is of Codex's thread-title turn.
fn is_title_turn(notification: &Value) -> bool {
    notification["input-messages"][0]
        .as_str()
        .is_some_and(|text| text.starts_with(TITLE_PROMPT))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn turn_complete_gives_the_thread_and_the_answer() {
        let payload = r#"{"type":"agent-turn-complete","thread-id":"b5f6c1c2-1111-2222-3333-444455556666","turn-id":"12345","cwd":"/srv/app","client":"codex-tui","input-messages":["Rename `foo` to `bar`."],"last-assistant-message":"Rename complete and verified `cargo build` succeeds."}"#;
        assert_eq!(
            parse(payload.as_bytes()),
            [
                AgentEvent::SessionStarted {
                    agent_session_id: "b5f6c1c2-1111-2222-3333-444455556666".into()
                },
                AgentEvent::TurnEnded {
                    answer: Some("Rename complete and verified `cargo build` succeeds.".into())
                }
            ]
        );
    }

    #[test]
    fn a_turn_without_a_message_still_ends() {
        let payload = r#"{"type":"agent-turn-complete","turn-id":"1","input-messages":[],"last-assistant-message":null}"#;
        assert_eq!(
            parse(payload.as_bytes()),
            [AgentEvent::TurnEnded { answer: None }]
        );
    }

    #[test]
    fn the_title_turn_gives_nothing() {
        // As Codex 0.171.0 sent it, beside the first turn of the user's thread.
        let payload = r#"{"type":"agent-turn-complete","thread-id":"01a21824-3fab-7a33-bbe2-3a73e921115d","turn-id":"01a21824-4009-7933-b919-8906e81424af","cwd":"/home/dev/webapp","client":"codex-tui","input-messages":["Generate a concise, single-line task title of at most 36 characters and under five words where possible. Start with an imperative verb.\n\nUser prompt:\nwrite the marker"],"last-assistant-message":"{\"title\": \"Write the marker\"}"}"#;
        assert_eq!(parse(payload.as_bytes()), []);
    }

    #[test]
    fn other_payloads_give_nothing() {
        assert_eq!(parse(br#"{"type":"approval-requested"}"#), []);
        assert_eq!(parse(b"agent-turn-complete"), []);
        assert_eq!(parse(b""), []);
    }
}
