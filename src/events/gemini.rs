//! Gemini CLI hook payloads (JSON on the hook's stdin) to events: the
//! `SessionStart`, `BeforeTool`, `AfterTool`, `Notification` (kind
//! `ToolPermission`) and `AfterAgent` (`prompt_response`) events.

use serde_json::Value;

use super::{AgentEvent, ToolCall, bounded, str_field, tool};

/// The events in one hook payload; unknown events and fields are ignored.
pub(super) fn parse(payload: &[u8]) -> Vec<AgentEvent> {
    let Ok(hook) = serde_json::from_slice::<Value>(payload) else {
        return Vec::new();
    };
    let input = || tool::summary(hook.get("tool_input").unwrap_or(&Value::Null));
    let event = match str_field(&hook, "hook_event_name") {
        Some("SessionStart") => {
            str_field(&hook, "session_id").map(|id| AgentEvent::SessionStarted {
                agent_session_id: id.to_owned(),
            })
        }
        Some("BeforeTool") => str_field(&hook, "tool_name").map(|tool| {
            AgentEvent::ToolPending(ToolCall {
                tool: tool.to_owned(),
                input: input(),
            })
        }),
        Some("AfterTool") => str_field(&hook, "tool_name").map(|tool| AgentEvent::Progress {
            tool: tool.to_owned(),
            detail: input(),
        }),
        Some("Notification") if str_field(&hook, "notification_type") == Some("ToolPermission") => {
            // Gemini CLI runs BeforeTool only once a call is approved: the
            // call behind its prompt comes with this notification.
            let asked = str_field(&hook, "message").map(|message| AgentEvent::PermissionAsked {
                message: bounded(message),
            });
            return asked.into_iter().chain(asked_call(&hook)).collect();
        }
        Some("AfterAgent") => Some(AgentEvent::TurnEnded {
            answer: str_field(&hook, "prompt_response")
                .map(|text| bounded(text.trim()))
                .filter(|text| !text.is_empty()),
        }),
        _ => None,
    };
    event.into_iter().collect()
}

/// The tool call a `ToolPermission` notification asks about, from its
/// details: the shell command, or the file a change writes (Gemini CLI
/// confirms every file change, a new file too, as type `edit`).
fn asked_call(hook: &Value) -> Option<AgentEvent> {
    let details = hook.get("details")?;
    let (tool, input) = match str_field(details, "type")? {
        "exec" => ("Shell", str_field(details, "command")?),
        "edit" => (
            "File",
            str_field(details, "filePath").or_else(|| str_field(details, "fileName"))?,
        ),
        _ => return None,
    };
    Some(AgentEvent::ToolPending(ToolCall {
        tool: tool.to_owned(),
        input: bounded(input),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(payload: &str) -> Vec<AgentEvent> {
        parse(payload.as_bytes())
    }

    #[test]
    fn session_start_and_tools() {
        let start = r#"{"session_id":"6d1f0c7e-2b1a-4c3d-9e8f-0a1b2c3d4e5f","transcript_path":"/home/u/.gemini/tmp/abc/chats/session.json","cwd":"/srv/app","hook_event_name":"SessionStart","timestamp":"2026-05-01T10:00:00.000Z","source":"startup"}"#;
        assert_eq!(
            parsed(start),
            [AgentEvent::SessionStarted {
                agent_session_id: "6d1f0c7e-2b1a-4c3d-9e8f-0a1b2c3d4e5f".into()
            }]
        );
        let before = r#"{"session_id":"s","cwd":"/srv/app","hook_event_name":"BeforeTool","timestamp":"2026-05-01T10:00:01.000Z","tool_name":"run_shell_command","tool_input":{"command":"npm test","description":"Run tests"}}"#;
        assert_eq!(
            parsed(before),
            [AgentEvent::ToolPending(ToolCall {
                tool: "run_shell_command".into(),
                input: "npm test".into()
            })]
        );
        let after = r#"{"hook_event_name":"AfterTool","tool_name":"write_file","tool_input":{"file_path":"/srv/app/a.ts","content":"x"},"tool_response":{"llmContent":"ok","returnDisplay":"ok"}}"#;
        assert_eq!(
            parsed(after),
            [AgentEvent::Progress {
                tool: "write_file".into(),
                detail: "/srv/app/a.ts".into()
            }]
        );
    }

    #[test]
    fn permission_and_turn_end() {
        let notification = r#"{"session_id":"s","hook_event_name":"Notification","notification_type":"ToolPermission","message":"Tool run_shell_command requires editing","details":{"type":"exec","command":"rm -rf dist","rootCommand":"rm"}}"#;
        assert_eq!(
            parsed(notification),
            [
                AgentEvent::PermissionAsked {
                    message: "Tool run_shell_command requires editing".into()
                },
                AgentEvent::ToolPending(ToolCall {
                    tool: "Shell".into(),
                    input: "rm -rf dist".into()
                })
            ]
        );
        let edit = r#"{"hook_event_name":"Notification","notification_type":"ToolPermission","message":"Tool Edit requires editing","details":{"type":"edit","title":"Edit","fileName":"a.ts","filePath":"/srv/app/a.ts","fileDiff":"@@"}}"#;
        assert_eq!(
            parsed(edit)[1],
            AgentEvent::ToolPending(ToolCall {
                tool: "File".into(),
                input: "/srv/app/a.ts".into()
            })
        );
        let mcp = r#"{"hook_event_name":"Notification","notification_type":"ToolPermission","message":"Tool x requires MCP","details":{"type":"mcp","serverName":"s"}}"#;
        assert_eq!(parsed(mcp).len(), 1, "an MCP call names no command");
        let after = r#"{"session_id":"s","hook_event_name":"AfterAgent","prompt":"fix it","prompt_response":"Fixed the *login* bug.","stop_hook_active":false}"#;
        assert_eq!(
            parsed(after),
            [AgentEvent::TurnEnded {
                answer: Some("Fixed the *login* bug.".into())
            }]
        );
        let empty = r#"{"hook_event_name":"AfterAgent","prompt":"x","prompt_response":"  "}"#;
        assert_eq!(parsed(empty), [AgentEvent::TurnEnded { answer: None }]);
    }

    #[test]
    fn unknown_and_bad_payloads_give_nothing() {
        assert_eq!(
            parsed(r#"{"hook_event_name":"BeforeModel","llm_request":{}}"#),
            []
        );
        assert_eq!(
            parsed(
                r#"{"hook_event_name":"Notification","notification_type":"Other","message":"m"}"#
            ),
            []
        );
        assert_eq!(parsed("{"), []);
    }
}
