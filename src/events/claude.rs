//! Claude Code hook payloads (JSON on the hook's stdin) to events.
//!
//! Every payload carries `hook_event_name`; the ones tgmux reads:
//! `SessionStart` (`session_id`), `PreToolUse` / `PostToolUse` (`tool_name`,
//! `tool_input`), `Notification` (`notification_type`, `message`) and `Stop`
//! (`last_assistant_message` in recent versions, `transcript_path` always).

use std::path::Path;

use serde_json::Value;

use super::{AgentEvent, ToolCall, bounded, str_field, tool, transcript};

/// The events in one hook payload; unknown events and fields are ignored.
pub(super) fn parse(payload: &[u8]) -> Vec<AgentEvent> {
    let Ok(hook) = serde_json::from_slice::<Value>(payload) else {
        return Vec::new();
    };
    let event = match str_field(&hook, "hook_event_name") {
        Some("SessionStart") => {
            str_field(&hook, "session_id").map(|id| AgentEvent::SessionStarted {
                agent_session_id: id.to_owned(),
            })
        }
        Some("PreToolUse") => str_field(&hook, "tool_name").map(|tool| {
            AgentEvent::ToolPending(ToolCall {
                tool: tool.to_owned(),
                input: tool::summary(hook.get("tool_input").unwrap_or(&Value::Null)),
            })
        }),
        Some("PostToolUse") => str_field(&hook, "tool_name").map(|tool| AgentEvent::Progress {
            tool: tool.to_owned(),
            detail: tool::summary(hook.get("tool_input").unwrap_or(&Value::Null)),
        }),
        Some("Notification") => permission(&hook),
        Some("Stop") => Some(AgentEvent::TurnEnded {
            answer: answer(&hook),
        }),
        _ => None,
    };
    event.into_iter().collect()
}

/// A notification that asks for permission. Older versions send no
/// `notification_type`; their permission messages say "permission".
fn permission(hook: &Value) -> Option<AgentEvent> {
    let message = str_field(hook, "message")?;
    let asks = match str_field(hook, "notification_type") {
        Some(kind) => kind == "permission_prompt",
        None => message.to_lowercase().contains("permission"),
    };
    asks.then(|| AgentEvent::PermissionAsked {
        message: bounded(message),
    })
}

/// The turn's final text: given in the payload, else read from the transcript.
fn answer(hook: &Value) -> Option<String> {
    let given = str_field(hook, "last_assistant_message").map(str::to_owned);
    given
        .or_else(|| transcript::last_answer(Path::new(str_field(hook, "transcript_path")?)))
        .map(|text| bounded(text.trim()))
        .filter(|text| !text.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(payload: &str) -> Vec<AgentEvent> {
        parse(payload.as_bytes())
    }

    #[test]
    fn session_start_gives_the_session_id() {
        let payload = r#"{"session_id":"8c35adc1-5c1e-4a52-9d4c-3f0e2b1a7d10","transcript_path":"/home/u/.claude/projects/-srv-app/8c35adc1-5c1e-4a52-9d4c-3f0e2b1a7d10.jsonl","cwd":"/srv/app","hook_event_name":"SessionStart","source":"startup","model":"claude-sonnet-4-5"}"#;
        assert_eq!(
            parsed(payload),
            [AgentEvent::SessionStarted {
                agent_session_id: "8c35adc1-5c1e-4a52-9d4c-3f0e2b1a7d10".into()
            }]
        );
    }

    #[test]
    fn tool_use_names_the_tool_and_its_input() {
        let pre = r#"{"session_id":"s","transcript_path":"/t.jsonl","cwd":"/srv/app","permission_mode":"default","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"rm -rf target && cargo build","description":"Clean build"},"tool_use_id":"toolu_01DU"}"#;
        assert_eq!(
            parsed(pre),
            [AgentEvent::ToolPending(ToolCall {
                tool: "Bash".into(),
                input: "rm -rf target && cargo build".into()
            })]
        );
        let post = r#"{"session_id":"s","hook_event_name":"PostToolUse","tool_name":"Write","tool_input":{"file_path":"/srv/app/x.txt","content":"hi"},"tool_response":{"filePath":"/srv/app/x.txt","success":true},"tool_use_id":"toolu_2"}"#;
        assert_eq!(
            parsed(post),
            [AgentEvent::Progress {
                tool: "Write".into(),
                detail: "/srv/app/x.txt".into()
            }]
        );
    }

    #[test]
    fn permission_notifications_only() {
        let typed = r#"{"session_id":"s","hook_event_name":"Notification","message":"Claude needs your permission to use Bash","notification_type":"permission_prompt"}"#;
        assert_eq!(
            parsed(typed),
            [AgentEvent::PermissionAsked {
                message: "Claude needs your permission to use Bash".into()
            }]
        );
        let untyped = r#"{"hook_event_name":"Notification","message":"Claude needs your permission to use Write"}"#;
        assert_eq!(parsed(untyped).len(), 1);
        let idle = r#"{"hook_event_name":"Notification","message":"Claude is waiting for your input","notification_type":"idle_prompt"}"#;
        assert_eq!(parsed(idle), []);
    }

    #[test]
    fn stop_prefers_the_given_last_message() {
        let payload = r#"{"session_id":"s","transcript_path":"/nonexistent.jsonl","hook_event_name":"Stop","stop_hook_active":false,"last_assistant_message":"Done: **3** files changed.\n"}"#;
        assert_eq!(
            parsed(payload),
            [AgentEvent::TurnEnded {
                answer: Some("Done: **3** files changed.".into())
            }]
        );
    }

    #[test]
    fn stop_reads_the_transcript_otherwise() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.jsonl");
        std::fs::write(
            &path,
            concat!(
                r#"{"type":"user","message":{"role":"user","content":"hi"}}"#,
                "\n",
                r#"{"type":"assistant","message":{"id":"m1","role":"assistant","content":[{"type":"text","text":"Hello!"}]}}"#,
                "\n",
                r#"{"type":"assistant","message":{"id":"m2","content":[{"type":"te"#,
            ),
        )
        .unwrap();
        let payload = serde_json::json!({
            "session_id": "s",
            "transcript_path": path,
            "hook_event_name": "Stop",
            "stop_hook_active": false,
        });
        assert_eq!(
            parsed(&payload.to_string()),
            [AgentEvent::TurnEnded {
                answer: Some("Hello!".into())
            }]
        );
        let unreadable = r#"{"hook_event_name":"Stop","transcript_path":"/nonexistent.jsonl"}"#;
        assert_eq!(parsed(unreadable), [AgentEvent::TurnEnded { answer: None }]);
    }

    #[test]
    fn unknown_and_bad_payloads_give_nothing() {
        assert_eq!(
            parsed(r#"{"hook_event_name":"UserPromptSubmit","prompt":"x"}"#),
            []
        );
        assert_eq!(parsed(r#"{"hook_event_name":"PreToolUse"}"#), []);
        assert_eq!(parsed(r#"{"no":"event"}"#), []);
        assert_eq!(parsed("[1,2]"), []);
        assert_eq!(parsed("{not json"), []);
        assert_eq!(parsed(""), []);
    }
}
