//! The final answer of a Claude Code turn, read from the end of its
//! transcript: JSONL, one entry per line, the last line maybe half written.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

use serde_json::Value;

/// How much of a transcript's end is read: answers sit at the end, and
/// transcripts of long sessions run to many megabytes.
const TAIL: u64 = 4 * 1024 * 1024;

/// The text of the last assistant message after the last prompt, if the
/// transcript can be read and has one.
pub(super) fn last_answer(path: &Path) -> Option<String> {
    answer_in(&read_tail(path, TAIL).ok()?)
}

/// The last `max` bytes of the file, from the first whole line on.
fn read_tail(path: &Path, max: u64) -> io::Result<String> {
    let mut file = File::open(path)?;
    let start = file.metadata()?.len().saturating_sub(max);
    file.seek(SeekFrom::Start(start))?;
    let mut bytes = Vec::new();
    file.take(max).read_to_end(&mut bytes)?;
    if start > 0 {
        let first_line_end = bytes
            .iter()
            .position(|&b| b == b'\n')
            .map_or(bytes.len(), |i| i + 1);
        bytes.drain(..first_line_end);
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// The answer in transcript lines: the text blocks of the last main-thread
/// assistant message (Claude Code writes one line per content block, all
/// with the message's id), unless a new prompt came after it. Read from the
/// end, so only the last few lines are parsed.
fn answer_in(jsonl: &str) -> Option<String> {
    // The last message's id once found, and its text blocks, last first.
    let mut last_id: Option<Option<String>> = None;
    let mut parts: Vec<String> = Vec::new();
    for line in jsonl.lines().rev() {
        // Lines that do not parse are the half-written last one or foreign.
        let Ok(entry) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        let flag = |key: &str| entry.get(key).and_then(Value::as_bool) == Some(true);
        if flag("isSidechain") || flag("isMeta") {
            continue;
        }
        let Some(message) = entry.get("message") else {
            continue;
        };
        let content = message.get("content").unwrap_or(&Value::Null);
        match entry.get("type").and_then(Value::as_str) {
            Some("assistant") => {
                let id = message.get("id").and_then(Value::as_str);
                match &last_id {
                    None => last_id = Some(id.map(str::to_owned)),
                    Some(last) if id.is_some() && last.as_deref() == id => {}
                    Some(_) => break,
                }
                parts.extend(texts(content).into_iter().rev().map(str::to_owned));
            }
            // A message's blocks are contiguous: any user entry ends them.
            Some("user") if last_id.is_some() || is_prompt(content) => break,
            _ => {}
        }
    }
    parts.reverse();
    let answer = parts.join("\n\n");
    let answer = answer.trim();
    (!answer.is_empty()).then(|| answer.to_owned())
}

/// The text blocks of a message's content (a string or a list of blocks).
fn texts(content: &Value) -> Vec<&str> {
    match content {
        Value::String(text) => vec![text.as_str()],
        Value::Array(blocks) => blocks
            .iter()
            .filter(|b| b.get("type").and_then(Value::as_str) == Some("text"))
            .filter_map(|b| b.get("text").and_then(Value::as_str))
            .collect(),
        _ => Vec::new(),
    }
}

/// Whether a user entry is a new prompt rather than a tool's result.
fn is_prompt(content: &Value) -> bool {
    match content {
        Value::String(text) => !text.is_empty(),
        Value::Array(blocks) => blocks
            .iter()
            .any(|b| b.get("type").and_then(Value::as_str) != Some("tool_result")),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A turn as Claude Code writes it: prompt, a message with text and a
    /// tool call (two lines, one id), the tool's result, the final message.
    const TURN: &str = r#"{"parentUuid":null,"isSidechain":false,"userType":"external","cwd":"/srv/app","sessionId":"3f2a","version":"2.1.3","type":"user","message":{"role":"user","content":"run the tests"},"uuid":"u1","timestamp":"2026-05-01T10:00:00.000Z"}
{"parentUuid":"u1","isSidechain":false,"type":"assistant","message":{"id":"msg_01A","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"text","text":"I'll run them."}],"stop_reason":null},"uuid":"a1"}
{"parentUuid":"a1","isSidechain":false,"type":"assistant","message":{"id":"msg_01A","type":"message","role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"Bash","input":{"command":"cargo test"}}],"stop_reason":"tool_use"},"uuid":"a2"}
{"parentUuid":"a2","isSidechain":false,"type":"user","message":{"role":"user","content":[{"tool_use_id":"toolu_1","type":"tool_result","content":"test result: ok. 3 passed"}]},"toolUseResult":{"stdout":"ok"},"uuid":"u2"}
{"parentUuid":"u2","isSidechain":true,"type":"assistant","message":{"id":"msg_side","role":"assistant","content":[{"type":"text","text":"subagent chatter"}]},"uuid":"s1"}
{"parentUuid":"u2","isSidechain":false,"type":"assistant","message":{"id":"msg_01B","type":"message","role":"assistant","content":[{"type":"thinking","thinking":"all good"}]},"uuid":"a3"}
{"parentUuid":"a3","isSidechain":false,"type":"assistant","message":{"id":"msg_01B","type":"message","role":"assistant","content":[{"type":"text","text":"All **3** tests pass."}]},"uuid":"a4"}
{"parentUuid":"a4","isSidechain":false,"type":"assistant","message":{"id":"msg_01B","type":"message","role":"assistant","content":[{"type":"text","text":"Nothing else to do."}]},"uuid":"a5"}
"#;

    #[test]
    fn the_last_main_thread_message_is_the_answer() {
        assert_eq!(
            answer_in(TURN).as_deref(),
            Some("All **3** tests pass.\n\nNothing else to do.")
        );
    }

    #[test]
    fn a_half_written_last_line_is_skipped() {
        let partial = format!(
            "{TURN}{{\"type\":\"assistant\",\"message\":{{\"id\":\"msg_01C\",\"content\":[{{\"type\":\"text\",\"text\":\"cut"
        );
        assert_eq!(
            answer_in(&partial).as_deref(),
            Some("All **3** tests pass.\n\nNothing else to do.")
        );
    }

    #[test]
    fn no_answer_after_a_new_prompt_or_a_final_tool_call() {
        let prompt = format!(
            "{TURN}{}\n",
            r#"{"type":"user","message":{"role":"user","content":[{"type":"text","text":"and now?"}]}}"#
        );
        assert_eq!(answer_in(&prompt), None);
        let tool_last = format!(
            "{TURN}{}\n",
            r#"{"type":"assistant","message":{"id":"msg_01C","content":[{"type":"tool_use","id":"t","name":"Read","input":{}}]}}"#
        );
        assert_eq!(answer_in(&tool_last), None);
        assert_eq!(answer_in(""), None);
        assert_eq!(answer_in("not json\n{}\n"), None);
    }

    #[test]
    fn meta_entries_are_not_prompts() {
        let meta = format!(
            "{TURN}{}\n",
            r#"{"type":"user","isMeta":true,"message":{"role":"user","content":"<local-command-caveat>"}}"#
        );
        assert_eq!(
            answer_in(&meta).as_deref(),
            Some("All **3** tests pass.\n\nNothing else to do.")
        );
    }

    #[test]
    fn reads_only_whole_lines_of_the_tail() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.jsonl");
        std::fs::write(&path, "first line\nsecond\nthird\n").unwrap();
        assert_eq!(
            read_tail(&path, 100).unwrap(),
            "first line\nsecond\nthird\n"
        );
        assert_eq!(read_tail(&path, 10).unwrap(), "third\n");
        std::fs::write(&path, TURN).unwrap();
        assert_eq!(
            last_answer(&path).as_deref(),
            Some("All **3** tests pass.\n\nNothing else to do.")
        );
        assert_eq!(last_answer(&dir.path().join("missing.jsonl")), None);
    }
}
