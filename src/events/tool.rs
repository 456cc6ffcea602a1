//! One line saying what a tool call acts on: the shell command, the file
//! path, the search pattern, so a decision names exactly what it approves.

use serde_json::Value;

/// Argument names that say what a call acts on, most telling first. Claude
/// Code and Gemini CLI name them alike (`command`, `file_path`, `pattern`).
const TELLING_KEYS: [&str; 11] = [
    "command",
    "file_path",
    "absolute_path",
    "notebook_path",
    "pattern",
    "path",
    "dir_path",
    "url",
    "query",
    "description",
    "prompt",
];

/// What a call with arguments `input` acts on: the first telling argument
/// (with the search folder for a pattern), else the arguments as compact JSON.
pub(super) fn summary(input: &Value) -> String {
    let text = |key: &str| {
        input
            .get(key)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    let found = TELLING_KEYS
        .iter()
        .find_map(|key| text(key).map(|v| (*key, v)));
    let line = match found {
        Some(("pattern", pattern)) => match text("path") {
            Some(path) => format!("{pattern} in {path}"),
            None => pattern.to_owned(),
        },
        Some((_, value)) => value.to_owned(),
        None => match input {
            Value::Null => String::new(),
            Value::Object(map) if map.is_empty() => String::new(),
            Value::String(s) => s.clone(),
            other => other.to_string(),
        },
    };
    super::bounded(&line)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_what_the_call_acts_on() {
        assert_eq!(
            summary(&json!({"command": "cargo test --lib", "description": "Run the tests"})),
            "cargo test --lib"
        );
        assert_eq!(
            summary(
                &json!({"file_path": "/srv/app/src/main.rs", "old_string": "a", "new_string": "b"})
            ),
            "/srv/app/src/main.rs"
        );
        assert_eq!(
            summary(&json!({"absolute_path": "/srv/a.txt"})),
            "/srv/a.txt"
        );
        assert_eq!(
            summary(&json!({"pattern": "fn main", "path": "src"})),
            "fn main in src"
        );
        assert_eq!(summary(&json!({"pattern": "**/*.rs"})), "**/*.rs");
        assert_eq!(
            summary(&json!({"url": "https://example.com", "prompt": "summarize"})),
            "https://example.com"
        );
    }

    #[test]
    fn falls_back_to_compact_json() {
        assert_eq!(
            summary(&json!({"todos": [{"content": "x"}]})),
            r#"{"todos":[{"content":"x"}]}"#
        );
        assert_eq!(summary(&json!({"command": ""})), r#"{"command":""}"#);
        assert_eq!(summary(&json!({})), "");
        assert_eq!(summary(&Value::Null), "");
        assert_eq!(summary(&json!("raw")), "raw");
    }
}
