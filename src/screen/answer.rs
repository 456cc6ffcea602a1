//! What an agent last said, read off its screen: the last output block above
//! its input line, without the chrome around it (input box, rules, status
//! footers, key hints). Used for agents that report no events of their own.

use super::activity::{is_input_line, is_shell_prompt, shows_work};
use super::lexicon::ANSWER_MARKS;
use super::text::{Line, is_hint, is_rule, screen_lines, strip_ansi};

/// Most lines of an answer read off a screen.
const MAX_ANSWER_LINES: usize = 200;

/// The agent's last answer on `screen` (with scrollback), or None when the
/// screen holds nothing but chrome.
pub fn last_answer(screen: &str) -> Option<String> {
    let text = strip_ansi(screen);
    let lines = screen_lines(&text);
    // Drop the chrome at the bottom: input box, rules, footers, hints.
    let mut end = lines.len();
    while end > 0 && is_chrome(&lines[end - 1]) {
        end -= 1;
    }
    let body = &lines[..end];
    // The block starts at the last line that opens an entry of the agent's.
    let start = body
        .iter()
        .rposition(|line| opens_answer(line.body))
        .unwrap_or_else(|| body.len().saturating_sub(MAX_ANSWER_LINES));
    let start = start.max(body.len().saturating_sub(MAX_ANSWER_LINES));
    let block: Vec<&str> = body[start..].iter().map(|line| line.body).collect();
    let answer = strip_mark(&block.join("\n")).trim().to_owned();
    (!answer.is_empty()).then_some(answer)
}

/// The line that says what a working agent is doing (its spinner line).
pub fn status_line(screen: &str) -> Option<String> {
    let text = strip_ansi(screen);
    let lines = screen_lines(&text);
    lines
        .iter()
        .rev()
        .filter(|line| !line.is_blank())
        .take(12)
        .find(|line| shows_work(line.body))
        .map(|line| line.body.to_owned())
}

/// Lines that are the agent's frame, not its words.
fn is_chrome(line: &Line) -> bool {
    line.is_blank()
        || is_rule(line.body)
        || is_hint(line.body)
        || is_input_line(line)
        || is_shell_prompt(line.body)
        || line.body.starts_with('⏸')
        || (line.body.starts_with('◐') || line.body.starts_with('◑'))
        || line.body.starts_with("? for shortcuts")
}

/// An agent's entry starts with one of its marks (`●`, `⏺`, `✦`) and a space.
fn opens_answer(body: &str) -> bool {
    let mut chars = body.chars();
    chars.next().is_some_and(|c| ANSWER_MARKS.contains(&c))
        && chars.next().is_some_and(char::is_whitespace)
}

/// The answer without the agent's mark in front of its first line.
fn strip_mark(text: &str) -> &str {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) if ANSWER_MARKS.contains(&c) => chars.as_str(),
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_answer_without_the_input_box_and_footer() {
        let screen = "\
❯ what is 2+2?

● It is 4.

  Longer: two and two make four.

────────────────────────────────────────
❯\u{a0}
────────────────────────────────────────
  ⏸ manual mode on · ? for shortcuts
";
        assert_eq!(
            last_answer(screen).as_deref(),
            Some("It is 4.\n\nLonger: two and two make four.")
        );
    }

    #[test]
    fn only_chrome_is_no_answer() {
        let screen = "────────\n❯ \n────────\n  ? for shortcuts\n";
        assert_eq!(last_answer(screen), None);
    }

    #[test]
    fn a_shell_agent_answer_is_its_last_lines() {
        assert_eq!(
            last_answer("$ make\nok 3 tests\n$ ").as_deref(),
            Some("$ make\nok 3 tests")
        );
    }

    #[test]
    fn the_spinner_line_says_what_the_agent_does() {
        let screen = "● Reading files\n\n✻ Frosting… (12s · esc to interrupt)\n\n❯ \n";
        assert_eq!(
            status_line(screen).as_deref(),
            Some("✻ Frosting… (12s · esc to interrupt)")
        );
        assert_eq!(status_line("$ "), None);
    }
}
