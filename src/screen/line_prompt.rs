//! One-line prompts: `[Y/n]`, `(y/n)`, `(Y)es/(N)o [Yes]`, `Press Enter to
//! continue`.

use super::lexicon::CONTINUE_LINES;
use super::prompt::{Prompt, context_of, option};
use super::text::{Line, MAX_PROMPT_LINE, is_rule};
use crate::tmux::Key;

/// A question answered by typing a letter and Enter.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct LinePrompt<'a> {
    /// The text before the choices; empty when they stand alone.
    pub(super) question: &'a str,
    /// Each choice's label and the letter that picks it.
    pub(super) choices: Vec<(String, char)>,
    pub(super) default: Option<usize>,
}

/// A decision from a one-line prompt on the anchor line, or on the line
/// above and the anchor line when the prompt wrapped at the pane's edge.
pub(super) fn line_prompt(lines: &[Line], anchor: usize) -> Option<Prompt> {
    if let Some(prompt) = continue_prompt(lines, anchor) {
        return Some(prompt);
    }
    let wrapped;
    let (prompt, anchor) = match parse_line_prompt(lines[anchor].body) {
        Some(prompt) => (prompt, anchor),
        None => {
            let above = anchor.checked_sub(1)?;
            wrapped = unwrap(&lines[above], &lines[anchor]);
            (parse_line_prompt(&wrapped)?, above)
        }
    };
    let (question, at) = if prompt.question.is_empty() {
        let above = lines[..anchor].iter().rposition(|line| !line.is_blank())?;
        if is_rule(lines[above].body) {
            return None;
        }
        (lines[above].body, above)
    } else {
        (prompt.question, anchor)
    };
    let options = prompt
        .choices
        .into_iter()
        .map(|(label, key)| option(label, vec![Key::Char(key), Key::Enter]))
        .collect();
    let context = context_above(lines, at);
    Some(Prompt::new(
        question.to_owned(),
        context,
        options,
        prompt.default,
    ))
}

/// `Press Enter to continue` (Claude Code's first-run notes): Enter, the one
/// option, with the lines above it as context.
fn continue_prompt(lines: &[Line], anchor: usize) -> Option<Prompt> {
    let line = lines[anchor].body.trim_end_matches(['.', '…', ' ']);
    let waits = CONTINUE_LINES
        .iter()
        .any(|wait| line.eq_ignore_ascii_case(wait));
    waits.then(|| {
        Prompt::new(
            line.to_owned(),
            context_above(lines, anchor),
            vec![option("Continue".to_owned(), vec![Key::Enter])],
            Some(0),
        )
    })
}

/// A line the terminal wrapped, joined again: `below`'s leading blanks are
/// text that fell onto the next row.
fn unwrap(above: &Line, below: &Line) -> String {
    format!("{}{}{}", above.body, " ".repeat(below.indent), below.body)
}

/// The few lines printed just above a one-line prompt (one blank line allowed).
fn context_above(lines: &[Line], at: usize) -> Option<String> {
    let mut end = at;
    if end > 0 && lines[end - 1].is_blank() {
        end -= 1;
    }
    let block = lines[end.saturating_sub(3)..end]
        .iter()
        .rev()
        .take_while(|line| !line.is_blank() && !is_rule(line.body))
        .count();
    context_of(&lines[end - block..end])
}

/// Parses `Question? [Y/n]`-style and aider-style prompts.
pub(super) fn parse_line_prompt(body: &str) -> Option<LinePrompt<'_>> {
    if body.len() > MAX_PROMPT_LINE {
        return None;
    }
    let text = body.trim_end_matches(|c: char| matches!(c, ':' | '?' | '>') || c.is_whitespace());
    yes_no_prompt(text).or_else(|| choices_prompt(text))
}

/// `Question? [Y/n]`: the capital letter, if only one, is the default.
fn yes_no_prompt(text: &str) -> Option<LinePrompt<'_>> {
    let (before, inner) = trailing_group(text)?;
    let default = yes_no_default(inner)?;
    Some(LinePrompt {
        question: before.trim(),
        choices: vec![("Yes".to_owned(), 'y'), ("No".to_owned(), 'n')],
        default,
    })
}

/// Aider's `Question? (Y)es/(N)o/(D)on't ask again [Yes]`.
fn choices_prompt(text: &str) -> Option<LinePrompt<'_>> {
    let (rest, default_word) = match trailing_group(text) {
        Some((before, inner)) if text.ends_with(']') => (before.trim_end(), Some(inner)),
        _ => (text, None),
    };
    let (question, choices) = split_choices(rest)?;
    let default = default_word.and_then(|word| {
        choices.iter().position(|(label, key)| {
            let letter = word.len() == 1 && word.starts_with(|c: char| c.eq_ignore_ascii_case(key));
            letter || label.eq_ignore_ascii_case(word)
        })
    });
    Some(LinePrompt {
        question,
        choices,
        default,
    })
}

/// Splits `text [inner]` or `text (inner)` at its final bracket group.
fn trailing_group(text: &str) -> Option<(&str, &str)> {
    let open = match text.chars().next_back()? {
        ']' => '[',
        ')' => '(',
        _ => return None,
    };
    let inner_end = text.len() - 1;
    let start = text[..inner_end].rfind(open)?;
    Some((&text[..start], &text[start + 1..inner_end]))
}

/// For `Y/n`, `y/N`, `y/n`, `yes/no`: `Some(default)`, the default being the
/// capitalised side if only one is.
fn yes_no_default(inner: &str) -> Option<Option<usize>> {
    let (yes, no) = inner.split_once('/')?;
    let is = |word: &str, short: &str, long: &str| {
        word.eq_ignore_ascii_case(short) || word.eq_ignore_ascii_case(long)
    };
    if !is(yes, "y", "yes") || !is(no, "n", "no") {
        return None;
    }
    let loud = |word: &str| word.chars().all(|c| c.is_ascii_uppercase());
    Some(match (loud(yes), loud(no)) {
        (true, false) => Some(0),
        (false, true) => Some(1),
        _ => None,
    })
}

/// Splits `Run it? (Y)es/(N)o/(D)on't ask again` into the question and choices.
fn split_choices(text: &str) -> Option<(&str, Vec<(String, char)>)> {
    let start = text.match_indices('(').map(|(i, _)| i).find(|&i| {
        let mut chars = text[i + 1..].chars();
        chars.next().is_some_and(|c| c.is_ascii_alphabetic()) && chars.next() == Some(')')
    })?;
    let choices = parse_choices(&text[start..])?;
    Some((text[..start].trim(), choices))
}

/// Parses `(Y)es/(N)o/(S)kip all`: at least two choices, or nothing.
fn parse_choices(text: &str) -> Option<Vec<(String, char)>> {
    let mut choices = Vec::new();
    for part in text.split('/') {
        let mut chars = part.trim().strip_prefix('(')?.chars();
        let key = chars.next().filter(char::is_ascii_alphabetic)?;
        let tail = chars.as_str().strip_prefix(')')?;
        if !tail
            .chars()
            .all(|c| c.is_alphabetic() || matches!(c, ' ' | '\'' | '’'))
        {
            return None;
        }
        choices.push((format!("{key}{tail}"), key.to_ascii_lowercase()));
    }
    (choices.len() >= 2).then_some(choices)
}
