//! Wiring an agent to `tgmux hook` when a session starts: the environment
//! that names the session's spool, the arguments that make the agent call
//! the hook, and the settings file those point at, in tgmux's data folder.
//! The user's own settings files are only ever read (Gemini CLI's system
//! defaults, to carry them over).

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::hook::{BIN_ENV, EVENTS_DIR_ENV, SESSION_ENV};
use super::spool::events_dir;
use super::{Agent, EventsError};

/// The hook command in agents' settings files: the binary comes from the
/// session's environment, so one file serves every session and no path
/// needs shell quoting.
const HOOK_COMMAND: &str = "\"$TGMUX_BIN\" hook";

/// Seconds Claude Code gives a hook; `tgmux hook` takes milliseconds.
const CLAUDE_TIMEOUT_S: u64 = 10;

/// The Claude Code hook events tgmux listens to, and their tool matchers.
const CLAUDE_EVENTS: [(&str, Option<&str>); 4] = [
    ("SessionStart", None),
    ("PreToolUse", Some("*")),
    ("Notification", None),
    ("Stop", None),
];

/// The Gemini CLI hook events tgmux listens to, and their tool matchers.
const GEMINI_EVENTS: [(&str, Option<&str>); 4] = [
    ("SessionStart", None),
    ("BeforeTool", Some("*")),
    ("Notification", None),
    ("AfterAgent", None),
];

/// The name of tgmux's Gemini CLI hooks, to find (and replace) them.
const GEMINI_HOOK_NAME: &str = "tgmux";

/// Milliseconds Gemini CLI gives a hook.
const GEMINI_TIMEOUT_MS: u64 = 10_000;

/// Gemini CLI's variable for the path of its system defaults settings, the
/// lowest settings layer; hooks from all layers add up.
const GEMINI_DEFAULTS_ENV: &str = "GEMINI_CLI_SYSTEM_DEFAULTS_PATH";

/// What a session's start needs so its agent reports to tgmux.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wiring {
    /// Variables for the session's environment.
    pub env: Vec<(String, String)>,
    /// Arguments right after the agent's program name (not shell-quoted).
    pub args: Vec<String>,
}

/// A settings file in tgmux's data folder that an agent is pointed at.
#[derive(Debug, Clone, PartialEq, Eq)]
struct AgentFile {
    path: PathBuf,
    contents: String,
}

/// Wires `agent` for session `session_id`, with `tgmux` the path of this
/// binary: writes the agent's settings file (one for all sessions) and
/// returns the environment and arguments to start the agent with.
pub fn wiring(
    agent: Agent,
    session_id: &str,
    data_dir: &Path,
    tgmux: &Path,
) -> Result<Wiring, EventsError> {
    let gemini_defaults = match agent {
        Agent::Gemini => machine_gemini_defaults(data_dir, |key| std::env::var(key).ok())?,
        Agent::Claude | Agent::Codex => None,
    };
    let (wiring, file) = plan(agent, session_id, data_dir, tgmux, gemini_defaults);
    if let Some(file) = file {
        write(&file)?;
    }
    Ok(wiring)
}

/// Writes a settings file atomically, making its folder (owner only).
fn write(file: &AgentFile) -> Result<(), EventsError> {
    if let Some(dir) = file.path.parent() {
        crate::durable::create_private_dir(dir).map_err(|e| EventsError::io(dir, e))?;
    }
    crate::durable::write_atomic(&file.path, file.contents.as_bytes())
        .map_err(|e| EventsError::io(&file.path, e))
}

/// The wiring and the settings file to write, given the machine's Gemini
/// CLI system defaults when it has some.
fn plan(
    agent: Agent,
    session_id: &str,
    data_dir: &Path,
    tgmux: &Path,
    gemini_defaults: Option<Value>,
) -> (Wiring, Option<AgentFile>) {
    let tgmux = tgmux.to_string_lossy().into_owned();
    let mut env = vec![
        (SESSION_ENV.to_owned(), session_id.to_owned()),
        (
            EVENTS_DIR_ENV.to_owned(),
            events_dir(data_dir).to_string_lossy().into_owned(),
        ),
        (BIN_ENV.to_owned(), tgmux.clone()),
    ];
    let agents_dir = data_dir.join("agents");
    match agent {
        Agent::Claude => {
            let path = agents_dir.join("claude-settings.json");
            let args = vec!["--settings".to_owned(), path.to_string_lossy().into_owned()];
            let file = AgentFile {
                path,
                contents: pretty(&claude_settings()),
            };
            (Wiring { env, args }, Some(file))
        }
        Agent::Codex => {
            let notify = toml_array(&[&tgmux, "hook", "codex"]);
            let args = vec!["-c".to_owned(), format!("notify={notify}")];
            (Wiring { env, args }, None)
        }
        Agent::Gemini => {
            let path = agents_dir.join("gemini-system-defaults.json");
            env.push((
                GEMINI_DEFAULTS_ENV.to_owned(),
                path.to_string_lossy().into_owned(),
            ));
            let file = AgentFile {
                path,
                contents: pretty(&gemini_defaults_with_hooks(gemini_defaults)),
            };
            let args = Vec::new();
            (Wiring { env, args }, Some(file))
        }
    }
}

/// Claude Code settings that add tgmux's hooks and nothing else (nothing
/// about permissions): passed with `--settings`, on top of the user's own.
fn claude_settings() -> Value {
    let hooks: serde_json::Map<String, Value> = CLAUDE_EVENTS
        .iter()
        .map(|(event, matcher)| {
            let mut group = json!({"hooks": [{
                "type": "command",
                "command": format!("{HOOK_COMMAND} claude"),
                "timeout": CLAUDE_TIMEOUT_S,
            }]});
            if let Some(matcher) = matcher {
                group["matcher"] = json!(matcher);
            }
            ((*event).to_owned(), json!([group]))
        })
        .collect();
    json!({ "hooks": hooks })
}

/// The machine's Gemini CLI system defaults with tgmux's hooks added (any
/// earlier tgmux hooks replaced), and hook indicators off by default so the
/// screen stays as the user knows it.
fn gemini_defaults_with_hooks(base: Option<Value>) -> Value {
    let mut settings = match base {
        Some(Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    };
    let hooks = settings.entry("hooks").or_insert_with(|| json!({}));
    if !hooks.is_object() {
        *hooks = json!({});
    }
    for (event, matcher) in GEMINI_EVENTS {
        let groups = &mut hooks[event];
        if !groups.is_array() {
            *groups = json!([]);
        }
        let mut group = json!({"hooks": [{
            "name": GEMINI_HOOK_NAME,
            "type": "command",
            "command": format!("{HOOK_COMMAND} gemini"),
            "timeout": GEMINI_TIMEOUT_MS,
        }]});
        if let Some(matcher) = matcher {
            group["matcher"] = json!(matcher);
        }
        if let Some(groups) = groups.as_array_mut() {
            groups.retain(|g| !is_tgmux_group(g));
            groups.push(group);
        }
    }
    let hooks_config = settings.entry("hooksConfig").or_insert_with(|| json!({}));
    if let Some(config) = hooks_config.as_object_mut() {
        config.entry("notifications").or_insert(json!(false));
    }
    Value::Object(settings)
}

/// Whether a Gemini hook group is one tgmux added.
fn is_tgmux_group(group: &Value) -> bool {
    group["hooks"]
        .as_array()
        .is_some_and(|hooks| hooks.iter().any(|h| h["name"] == GEMINI_HOOK_NAME))
}

/// Gemini CLI's system defaults on this machine, if there are some: where
/// Gemini CLI looks (its variables, else beside its system settings).
/// Our own file (a tgmux started inside a wired session) does not count.
fn machine_gemini_defaults(
    data_dir: &Path,
    var: impl Fn(&str) -> Option<String>,
) -> Result<Option<Value>, EventsError> {
    let path = var(GEMINI_DEFAULTS_ENV)
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let settings = var("GEMINI_CLI_SYSTEM_SETTINGS_PATH")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(gemini_system_settings()));
            settings.with_file_name("system-defaults.json")
        });
    if path.starts_with(data_dir.join("agents")) {
        return Ok(None);
    }
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(EventsError::GeminiDefaults {
                path,
                reason: e.to_string(),
            });
        }
    };
    match serde_json::from_str::<Value>(&text) {
        Ok(value @ Value::Object(_)) => Ok(Some(value)),
        Ok(_) => Err(EventsError::GeminiDefaults {
            path,
            reason: "it is not a JSON object".to_owned(),
        }),
        Err(e) => Err(EventsError::GeminiDefaults {
            path,
            reason: format!("it is not plain JSON ({e})"),
        }),
    }
}

/// Gemini CLI's system settings path on this platform.
fn gemini_system_settings() -> &'static str {
    if cfg!(target_os = "macos") {
        "/Library/Application Support/GeminiCli/settings.json"
    } else {
        "/etc/gemini-cli/settings.json"
    }
}

/// The arguments that resume the agent's conversation `agent_session_id`
/// (from the last `SessionStarted`), after the wiring's: Claude Code and
/// Gemini CLI take `--resume <id>`, Codex `resume <id>`. None for an id
/// that is not a plain token.
pub fn resume_args(agent: Agent, agent_session_id: &str) -> Option<Vec<String>> {
    let plain = !agent_session_id.is_empty()
        && agent_session_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !plain {
        return None;
    }
    let flag = match agent {
        Agent::Claude | Agent::Gemini => "--resume",
        Agent::Codex => "resume",
    };
    Some(vec![flag.to_owned(), agent_session_id.to_owned()])
}

/// A TOML array of basic strings.
fn toml_array(items: &[&str]) -> String {
    let quoted: Vec<String> = items.iter().map(|item| toml_string(item)).collect();
    format!("[{}]", quoted.join(", "))
}

/// A TOML basic string: quotes, backslashes and control characters escaped.
fn toml_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Settings as their file holds them.
fn pretty(value: &Value) -> String {
    // A Value built here always serializes.
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    const DATA: &str = "/home/u/.local/state/tgmux";
    const BIN: &str = "/home/u/.cargo/bin/tgmux";

    fn planned(agent: Agent, gemini_defaults: Option<Value>) -> (Wiring, Option<AgentFile>) {
        plan(
            agent,
            "s-1",
            Path::new(DATA),
            Path::new(BIN),
            gemini_defaults,
        )
    }

    fn session_env() -> Vec<(String, String)> {
        vec![
            ("TGMUX_SESSION_ID".to_owned(), "s-1".to_owned()),
            ("TGMUX_EVENTS_DIR".to_owned(), format!("{DATA}/events")),
            ("TGMUX_BIN".to_owned(), BIN.to_owned()),
        ]
    }

    #[test]
    fn claude_gets_a_settings_file_with_hooks_only() {
        let (wiring, file) = planned(Agent::Claude, None);
        let path = format!("{DATA}/agents/claude-settings.json");
        assert_eq!(wiring.env, session_env());
        assert_eq!(wiring.args, ["--settings", path.as_str()]);
        let file = file.unwrap();
        assert_eq!(file.path, PathBuf::from(&path));
        let settings: Value = serde_json::from_str(&file.contents).unwrap();
        let hook =
            json!([{"type": "command", "command": "\"$TGMUX_BIN\" hook claude", "timeout": 10}]);
        assert_eq!(
            settings,
            json!({"hooks": {
                "SessionStart": [{"hooks": hook}],
                "PreToolUse": [{"matcher": "*", "hooks": hook}],
                "Notification": [{"hooks": hook}],
                "Stop": [{"hooks": hook}],
            }})
        );
    }

    #[test]
    fn codex_gets_a_notify_override() {
        let (wiring, file) = planned(Agent::Codex, None);
        assert_eq!(wiring.env, session_env());
        assert_eq!(
            wiring.args,
            [
                "-c",
                r#"notify=["/home/u/.cargo/bin/tgmux", "hook", "codex"]"#
            ]
        );
        assert_eq!(file, None);
    }

    #[test]
    fn wiring_writes_the_settings_file_it_points_at() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let wiring = wiring(Agent::Claude, "s-1", &data, Path::new(BIN)).unwrap();
        let path = data.join("agents/claude-settings.json");
        assert_eq!(wiring.args[1], path.to_string_lossy());
        let written = std::fs::read_to_string(&path).unwrap();
        assert_eq!(written, pretty(&claude_settings()));
        // A second session rewrites the same file.
        super::wiring(Agent::Claude, "s-2", &data, Path::new(BIN)).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), written);
        let codex = super::wiring(Agent::Codex, "s-3", &data, Path::new(BIN)).unwrap();
        assert_eq!(
            codex.env[0],
            ("TGMUX_SESSION_ID".to_owned(), "s-3".to_owned())
        );
    }

    #[test]
    fn toml_strings_escape_what_toml_requires() {
        assert_eq!(
            toml_array(&[r#"/opt/my "bin"\tgmux"#, "a\nb\u{7f}"]),
            r#"["/opt/my \"bin\"\\tgmux", "a\nb\u007F"]"#
        );
    }

    #[test]
    fn gemini_gets_system_defaults_with_hooks() {
        let (wiring, file) = planned(Agent::Gemini, None);
        let path = format!("{DATA}/agents/gemini-system-defaults.json");
        let mut env = session_env();
        env.push(("GEMINI_CLI_SYSTEM_DEFAULTS_PATH".to_owned(), path.clone()));
        assert_eq!(wiring.env, env);
        assert_eq!(wiring.args, Vec::<String>::new());
        let file = file.unwrap();
        assert_eq!(file.path, PathBuf::from(&path));
        let settings: Value = serde_json::from_str(&file.contents).unwrap();
        let hook = json!([{"name": "tgmux", "type": "command", "command": "\"$TGMUX_BIN\" hook gemini", "timeout": 10000}]);
        assert_eq!(
            settings,
            json!({
                "hooks": {
                    "SessionStart": [{"hooks": hook}],
                    "BeforeTool": [{"matcher": "*", "hooks": hook}],
                    "Notification": [{"hooks": hook}],
                    "AfterAgent": [{"hooks": hook}],
                },
                "hooksConfig": {"notifications": false},
            })
        );
    }

    #[test]
    fn gemini_keeps_the_machine_defaults_and_replaces_old_tgmux_hooks() {
        let ours = json!({"hooks": [{"name": "tgmux", "type": "command", "command": "old"}]});
        let theirs = json!({"matcher": "write_file", "hooks": [{"name": "audit", "type": "command", "command": "audit.sh"}]});
        let base = json!({
            "general": {"vimMode": true},
            "hooks": {"BeforeTool": [theirs, ours]},
            "hooksConfig": {"notifications": true},
        });
        let file = planned(Agent::Gemini, Some(base)).1.unwrap();
        let settings: Value = serde_json::from_str(&file.contents).unwrap();
        assert_eq!(settings["general"], json!({"vimMode": true}));
        assert_eq!(settings["hooksConfig"], json!({"notifications": true}));
        let before = settings["hooks"]["BeforeTool"].as_array().unwrap();
        assert_eq!(before.len(), 2);
        assert_eq!(before[0], theirs);
        assert_eq!(
            before[1]["hooks"][0]["command"],
            "\"$TGMUX_BIN\" hook gemini"
        );
    }

    #[test]
    fn machine_gemini_defaults_are_found_where_gemini_looks() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let defaults = dir.path().join("system-defaults.json");
        let settings = dir.path().join("settings.json");
        let var = |key: &str| {
            (key == "GEMINI_CLI_SYSTEM_SETTINGS_PATH")
                .then(|| settings.to_string_lossy().into_owned())
        };
        assert_eq!(machine_gemini_defaults(&data, var).unwrap(), None);
        std::fs::write(&defaults, r#"{"general": {"vimMode": true}}"#).unwrap();
        assert_eq!(
            machine_gemini_defaults(&data, var).unwrap(),
            Some(json!({"general": {"vimMode": true}}))
        );
        std::fs::write(&defaults, "// a comment\n{}").unwrap();
        assert!(matches!(
            machine_gemini_defaults(&data, var),
            Err(EventsError::GeminiDefaults { .. })
        ));
        let ours = data.join("agents/gemini-system-defaults.json");
        let pointed =
            |key: &str| (key == GEMINI_DEFAULTS_ENV).then(|| ours.to_string_lossy().into_owned());
        assert_eq!(machine_gemini_defaults(&data, pointed).unwrap(), None);
    }

    #[test]
    fn resume_arguments_per_agent() {
        let id = "8c35adc1-5c1e-4a52-9d4c-3f0e2b1a7d10";
        assert_eq!(resume_args(Agent::Claude, id).unwrap(), ["--resume", id]);
        assert_eq!(resume_args(Agent::Codex, id).unwrap(), ["resume", id]);
        assert_eq!(resume_args(Agent::Gemini, id).unwrap(), ["--resume", id]);
        assert_eq!(resume_args(Agent::Claude, ""), None);
        assert_eq!(resume_args(Agent::Codex, "x; rm -rf ~"), None);
    }
}
