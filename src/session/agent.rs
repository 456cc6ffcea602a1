//! What tgmux needs to know of an agent's command line.

/// The program's base name: `/usr/local/bin/claude --x` -> `claude`, and
/// `'/opt/my tools/gemini' -m x` -> `gemini` (a quoted first word is read
/// as the shell reads it).
pub fn program_name(agent: &str) -> &str {
    let agent = agent.trim_start();
    let first = match agent.chars().next() {
        Some(quote @ ('\'' | '"')) => {
            let inner = &agent[1..];
            inner.find(quote).map_or(inner, |end| &inner[..end])
        }
        _ => agent.split_whitespace().next().unwrap_or(""),
    };
    first.rsplit('/').next().unwrap_or(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn program_names() {
        assert_eq!(program_name("claude --model opus"), "claude");
        assert_eq!(program_name("/opt/bin/codex"), "codex");
        assert_eq!(program_name("'/opt/my tools/gemini' -m x"), "gemini");
        assert_eq!(program_name("\"/x/aider\" --yes"), "aider");
        assert_eq!(program_name("  "), "");
    }
}
