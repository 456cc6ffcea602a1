//! The screen classifier: pane text in, a verdict out. The glyphs and
//! phrases it recognises are in [`lexicon`], so a new agent's screen means a
//! fixture plus lexicon entries.
//!
//! Only the bottom of the screen is read (its last 40 non-empty lines).
//! A live prompt ends there: below it come only key hints, box bottoms, status
//! footers and blank lines. Anything higher is transcript, so a question quoted
//! in the agent's earlier output, followed by its input box, a spinner or a
//! shell prompt, is never taken for a live one.
//!
//! Shapes recognised:
//! - menus with exactly one cursor (`❯ › > ▶ ► → ● ◉`), numbered (`1.`, `1)`,
//!   counting from 1) or not (bare lines or `○` radio marks in the cursor's
//!   columns), boxed in `│` or not, with labels that may wrap onto lines
//!   indented under them. The question is the nearest `?` sentence above the
//!   menu, within its dialog. An un-numbered menu also needs a key hint, since
//!   its bare lines could be prose;
//! - one-line prompts: `Proceed? [Y/n]`, `(y/N)`, `[yes/no]`, and aider's
//!   `(Y)es/(N)o/(D)on't ask again [Yes]:`.
//!
//! Keys: Enter for the option under the cursor (every menu takes it; some
//! ignore that option's digit), the digit of another numbered option (agents
//! select on it), Up/Down from the cursor then Enter for an un-numbered one,
//! the letter then Enter for a one-line prompt: those read a whole line, and an Enter too many lands in
//! an input box, where it does nothing.

mod activity;
mod answer;
mod lexicon;
mod line_prompt;
mod menu;
mod prompt;
#[cfg(test)]
mod tests;
mod text;

pub use answer::{last_answer, status_line};
pub use prompt::{Fingerprint, Prompt, PromptOption};

use activity::{is_idle, is_working};
use prompt::find_prompt;
use text::{screen_lines, strip_ansi, tail_start};

/// What a pane is doing, as far as its screen tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Screen {
    /// Busy: a spinner, `esc to interrupt`, `Working`.
    Working,
    /// Waiting for the next instruction at an input box or a shell prompt.
    Idle,
    /// Waiting for the user to answer a question.
    Decision(Prompt),
    /// Nothing recognisable.
    Unknown,
}

/// whatever its last screen shows, nothing there is waiting any more.
pub fn classify(screen: &str) -> Screen {
    if dead_banner_start(screen).is_some() {
        return Screen::Unknown;
    }
    let text = strip_ansi(&screen[tail_start(screen)..]);
    let lines = screen_lines(&text);
    if let Some(prompt) = find_prompt(&lines) {
        Screen::Decision(prompt)
    } else if is_working(&lines) {
        Screen::Working
    } else if is_idle(&lines) {
        Screen::Idle
    } else {
        Screen::Unknown
    }
}

/// `screen` without the `Pane is dead (status 3, <date>)` line tmux prints at
/// the bottom of a dead pane kept by `remain-on-exit`.
pub fn strip_dead_banner(screen: &str) -> &str {
    dead_banner_start(screen).map_or(screen, |start| &screen[..start])
}

/// Where the dead-pane banner starts, if the screen ends with one.
fn dead_banner_start(screen: &str) -> Option<usize> {
    let body = screen.trim_end();
    let start = body.rfind('\n').map_or(0, |i| i + 1);
    let last = strip_ansi(&body[start..]);
    let last = last.trim();
    (last.starts_with("Pane is dead (") && last.ends_with(')')).then_some(start)
}
