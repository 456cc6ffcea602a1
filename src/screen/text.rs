//! Text clean-up: escapes dropped, the window of lines read, box borders
//! removed, and the small predicates every reader shares.

use std::borrow::Cow;

use super::lexicon::{BULLETS, CARET, DASHES, HINTS, KEY_WORDS};

/// Non-empty lines read from the bottom of the screen.
pub(super) const WINDOW: usize = 40;

/// Longest line read as a one-line prompt or a shell prompt, in bytes.
pub(super) const MAX_PROMPT_LINE: usize = 400;

/// The printable characters of terminal text: escape sequences and control
/// characters other than newline and tab are dropped.
struct Plain<'a> {
    rest: &'a str,
}

impl Iterator for Plain<'_> {
    type Item = char;

    fn next(&mut self) -> Option<char> {
        loop {
            let mut chars = self.rest.chars();
            let c = chars.next()?;
            self.rest = chars.as_str();
            match c {
                '\x1b' => self.rest = skip_escape(self.rest),
                '\n' | '\t' => return Some(c),
                c if c.is_control() => {}
                c => return Some(c),
            }
        }
    }
}

/// The text after an escape sequence whose `ESC` has been read; a malformed
/// sequence ends at the next line break at the latest.
pub(super) fn skip_escape(rest: &str) -> &str {
    let mut chars = rest.chars();
    match chars.next() {
        Some('[') => skip_csi(chars.as_str()),
        Some(']' | 'P' | 'X' | '^' | '_') => skip_string(chars.as_str()),
        Some('(' | ')' | '*' | '+' | '#' | '%') => {
            chars.next();
            chars.as_str()
        }
        _ => chars.as_str(),
    }
}

/// Skips a control sequence's parameters and its final byte.
pub(super) fn skip_csi(rest: &str) -> &str {
    for (i, c) in rest.char_indices() {
        match c {
            '\x40'..='\x7e' => return &rest[i + 1..],
            '\x20'..='\x3f' => {}
            _ => return &rest[i..],
        }
    }
    ""
}

/// Skips an OSC/DCS string up to BEL or `ESC \`.
pub(super) fn skip_string(rest: &str) -> &str {
    match rest.find(['\x07', '\x1b', '\n']) {
        Some(i) if rest[i..].starts_with('\n') => &rest[i..],
        Some(i) if rest[i..].starts_with("\x1b\\") => &rest[i + 2..],
        Some(i) => &rest[i + 1..],
        None => "",
    }
}

/// `text` without escapes; borrowed when there are none.
pub(super) fn strip_ansi(text: &str) -> Cow<'_, str> {
    let clean = text
        .chars()
        .all(|c| !c.is_control() || c == '\n' || c == '\t');
    if clean {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(Plain { rest: text }.collect())
    }
}

/// Whether a raw line shows anything once escapes are removed.
pub(super) fn is_visible(raw: &str) -> bool {
    Plain { rest: raw }.any(|c| !c.is_whitespace())
}

/// Byte offset where the last [`WINDOW`] visible lines of `screen` begin.
pub(super) fn tail_start(screen: &str) -> usize {
    let mut end = screen.len();
    let mut seen = 0;
    loop {
        let start = screen[..end].rfind('\n').map_or(0, |i| i + 1);
        if is_visible(&screen[start..end]) {
            seen += 1;
            if seen == WINDOW {
                return start;
            }
        }
        if start == 0 {
            return 0;
        }
        end = start - 1;
    }
}

/// One screen line with any `│ ... │` box borders removed.
#[derive(Debug, Clone, Copy)]
pub(super) struct Line<'a> {
    /// The text, trimmed on both sides.
    pub(super) body: &'a str,
    /// Columns of blank before the text (inside the innermost box, if any).
    pub(super) indent: usize,
    /// Whether the line was drawn inside a box.
    pub(super) boxed: bool,
}

impl<'a> Line<'a> {
    pub(super) fn new(raw: &'a str) -> Self {
        let raw = raw.trim_end();
        let inner = unbox(raw);
        let body = inner.trim_start();
        let indent = inner[..inner.len() - body.len()].chars().count();
        Line {
            body: body.trim_end(),
            indent,
            boxed: inner.len() != raw.len(),
        }
    }

    pub(super) fn is_blank(&self) -> bool {
        self.body.is_empty()
    }
}

/// The inside of a line drawn in a box (`│ text │`), boxes in boxes
/// included (`│ │ text │ │`), or the line itself.
pub(super) fn unbox(line: &str) -> &str {
    let trimmed = line.trim_start();
    let Some(inner) = trimmed.strip_prefix(['│', '┃', '║']) else {
        return line;
    };
    let inner = inner.trim_end();
    let inner = inner.strip_suffix(['│', '┃', '║']).unwrap_or(inner);
    let nested = inner.trim();
    let (Some(first), Some(last)) = (nested.chars().next(), nested.chars().last()) else {
        return inner.trim_end();
    };
    if nested.chars().count() > 1 && first == last && matches!(first, '│' | '┃' | '║') {
        unbox(inner)
    } else {
        inner.trim_end()
    }
}

/// The lines of the window, without the blank lines after the last one.
pub(super) fn screen_lines(text: &str) -> Vec<Line<'_>> {
    let mut lines: Vec<Line> = text.lines().map(Line::new).collect();
    while lines.last().is_some_and(Line::is_blank) {
        lines.pop();
    }
    lines
}

/// A line drawn only with box-drawing characters.
pub(super) fn is_rule(body: &str) -> bool {
    !body.is_empty()
        && body
            .chars()
            .all(|c| matches!(c, '\u{2500}'..='\u{257f}' | ' '))
}

/// A box's bottom edge (`╰───╯`).
pub(super) fn is_box_bottom(body: &str) -> bool {
    is_rule(body) && body.starts_with(['╰', '└', '╚', '┗'])
}

/// A box's top edge (`╭───╮`).
pub(super) fn is_box_top(body: &str) -> bool {
    is_rule(body) && body.starts_with(['╭', '┌', '╔', '┏'])
}

/// A solid rule or a box's top edge: where a dialog starts.
pub(super) fn is_edge(body: &str) -> bool {
    is_rule(body) && !is_box_bottom(body) && !is_dashed_rule(body)
}

/// A dashed rule (`╌╌╌`), framing a diff or a preview inside a dialog.
pub(super) fn is_dashed_rule(body: &str) -> bool {
    is_rule(body) && body.contains(DASHES)
}

/// A key-hint or status line (`Esc to cancel · Tab to amend`, `ctrl+g to
/// edit in Vim · ~/plan.md`, `enter continue · esc back`, `Syntax theme:
/// Monokai (ctrl+t to disable)`).
pub(super) fn is_hint(body: &str) -> bool {
    let key_to = |part: &str| {
        part.split_once(" to ")
            .is_some_and(|(keys, _)| is_key_chord(keys))
    };
    let trailing_key_to = body
        .strip_suffix(')')
        .and_then(|head| head.rsplit_once('('))
        .is_some_and(|(_, hint)| key_to(hint));
    HINTS.iter().any(|hint| contains_ignore_case(body, hint))
        || body.split(" · ").any(key_to)
        || trailing_key_to
        || is_key_list(body)
}

/// `Esc`, `Enter`, `ctrl+g`, `shift+tab`, `^c`: a key or chord named by its keys.
fn is_key_chord(text: &str) -> bool {
    let is_key_word = |key: &str| {
        KEY_WORDS.iter().any(|word| key.eq_ignore_ascii_case(word))
            || key
                .strip_prefix(CARET)
                .is_some_and(|rest| rest.chars().count() == 1)
    };
    text.split('+')
        .all(|key| is_key_word(key) || key.chars().count() == 1)
        && text.split('+').any(is_key_word)
}

/// Two or more `key action` parts joined by ` · `, each naming a key first.
fn is_key_list(body: &str) -> bool {
    let names_a_key = |part: &str| {
        part.split_once(' ')
            .is_some_and(|(keys, action)| !action.trim().is_empty() && is_key_chord(keys))
    };
    body.contains(" · ") && body.split(" · ").all(names_a_key)
}

/// A transcript entry: an agent's bullet or the user's echoed input.
pub(super) fn is_bullet(body: &str) -> bool {
    let mut chars = body.chars();
    chars.next().is_some_and(|c| BULLETS.contains(&c))
        && chars.next().is_none_or(char::is_whitespace)
}

/// ASCII case-insensitive substring test; `needle` is lowercase.
pub(super) fn contains_ignore_case(haystack: &str, needle: &str) -> bool {
    haystack
        .as_bytes()
        .windows(needle.len())
        .any(|window| window.eq_ignore_ascii_case(needle.as_bytes()))
}

/// Appends the words of `text` to `out`, one space apart.
pub(super) fn push_words(out: &mut String, text: &str) {
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
}
