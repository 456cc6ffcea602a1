//! Working and idle: a spinner or busy footer, an input box or shell prompt.

use super::lexicon::{INPUT_PROMPTS, SHELL_PROMPT_ENDS, SPINNERS, WORKING_HINTS, WORKING_WORDS};
use super::menu::parse_head;
use super::text::{Line, MAX_PROMPT_LINE, contains_ignore_case};

/// Bottom non-empty lines searched for signs of work.
const WORK_SPAN: usize = 12;

/// Bottom non-empty lines searched for an empty input box.
const IDLE_SPAN: usize = 4;

/// The bottom `n` non-blank lines, bottom first.
fn bottom<'l, 'a>(lines: &'l [Line<'a>], n: usize) -> impl Iterator<Item = &'l Line<'a>> {
    lines.iter().rev().filter(|line| !line.is_blank()).take(n)
}

/// A spinner, `esc to interrupt`, or a `Working`/`Thinking` status near the bottom.
pub(super) fn is_working(lines: &[Line]) -> bool {
    bottom(lines, WORK_SPAN).any(|line| shows_work(line.body))
}

/// Whether one line says the agent is busy.
pub(super) fn shows_work(body: &str) -> bool {
    if WORKING_HINTS
        .iter()
        .any(|hint| contains_ignore_case(body, hint))
    {
        return true;
    }
    let ellipsis = body.contains('…') || body.contains("...");
    let mut chars = body.chars();
    let first = chars.next();
    if first.is_some_and(|c| SPINNERS.contains(&c)) && ellipsis {
        return true;
    }
    let status = match first {
        Some(c) if SPINNERS.contains(&c) || c == '•' => chars.as_str().trim_start(),
        _ => body,
    };
    WORKING_WORDS.iter().any(|word| {
        status.strip_prefix(word).is_some_and(|rest| {
            rest.is_empty()
                || rest.starts_with('…')
                || rest.starts_with("...")
                || rest.starts_with(" (")
        })
    })
}

/// A shell prompt ends the screen, or an agent's input line is near the bottom.
pub(super) fn is_idle(lines: &[Line]) -> bool {
    let shell = lines.last().is_some_and(|line| is_shell_prompt(line.body));
    shell || bottom(lines, IDLE_SPAN).any(is_input_line)
}

/// `user@host:~/src$`, `#`, `%`, aider's `>`.
pub(super) fn is_shell_prompt(body: &str) -> bool {
    body.len() <= MAX_PROMPT_LINE && body.ends_with(SHELL_PROMPT_ENDS)
}

/// `❯ `, `› Ask Codex to do anything`, `> Type your message`: not a numbered option.
pub(super) fn is_input_line(line: &Line) -> bool {
    line.body.starts_with(INPUT_PROMPTS)
        && parse_head(line).is_some_and(|head| head.number.is_none())
}
