//! Building the shell command that starts an agent, and handing it its task.

/// How to start an agent with a task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Launch {
    /// The shell command line tmux runs.
    pub command: String,
    /// Text to type into the pane once it is started, for agents that take
    /// no prompt argument.
    pub type_after_start: Option<String>,
}

/// The command for `agent` (a command line such as `claude --model opus`)
/// with `task` as its first instruction: the prompt argument for agents that
/// take one (Claude Code, Codex, Gemini), typed in for all others.
pub fn launch(agent: &str, task: Option<&str>) -> Launch {
    let agent = agent.trim();
    let Some(task) = task.map(str::trim).filter(|t| !t.is_empty()) else {
        return Launch {
            command: agent.to_owned(),
            type_after_start: None,
        };
    };
    let flag = match program_name(agent) {
        "claude" | "codex" => Some(""),
        "gemini" => Some("--prompt-interactive "),
        _ => None,
    };
    match flag {
        Some(flag) => Launch {
            command: format!("{agent} {flag}{}", shell_quote(task)),
            type_after_start: None,
        },
        None => Launch {
            command: agent.to_owned(),
            type_after_start: Some(task.to_owned()),
        },
    }
}

/// The program's base name: `/usr/local/bin/claude --x` -> `claude`.
pub fn program_name(agent: &str) -> &str {
    let first = agent.split_whitespace().next().unwrap_or("");
    first.rsplit('/').next().unwrap_or(first)
}

/// Quotes `text` as one POSIX shell word.
pub fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompt_argument_for_agents_that_take_one() {
        let l = launch("claude --model opus", Some("fix the 'login' bug"));
        assert_eq!(
            l.command,
            r"claude --model opus 'fix the '\''login'\'' bug'"
        );
        assert_eq!(l.type_after_start, None);
        assert_eq!(
            launch("/opt/bin/codex", Some("go")).command,
            "/opt/bin/codex 'go'"
        );
        assert_eq!(
            launch("gemini", Some("go")).command,
            "gemini --prompt-interactive 'go'"
        );
    }

    #[test]
    fn typed_in_for_other_agents() {
        let l = launch("aider", Some("$(danger)"));
        assert_eq!(l.command, "aider");
        assert_eq!(l.type_after_start.as_deref(), Some("$(danger)"));
        assert_eq!(launch("bash", Some("  ")).type_after_start, None);
        assert_eq!(launch("claude", None).command, "claude");
    }
}
