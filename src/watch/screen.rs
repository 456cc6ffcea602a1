//! The screen classifier: pane text in, a verdict out.
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
//! Keys: the digit of a numbered option (agents select on it), Up/Down from
//! the cursor then Enter for an un-numbered one, the letter then Enter for a
//! one-line prompt: those read a whole line, and an Enter too many lands in
//! an input box, where it does nothing.

use std::borrow::Cow;

use crate::session::{Decision, DecisionOption, Fingerprint};
use crate::tmux::Key;

/// What a pane is doing, as far as its screen tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Screen {
    /// Busy: a spinner, `esc to interrupt`, `Working`.
    Working,
    /// Waiting for the next instruction at an input box or a shell prompt.
    Idle,
    /// Waiting for the user to answer a question.
    Decision(Decision),
    /// Nothing recognisable.
    Unknown,
}

/// Non-empty lines read from the bottom of the screen.
const WINDOW: usize = 40;
/// Hint or footer lines allowed below a live prompt.
const MAX_TRAILERS: usize = 4;
/// Options in a menu; more is a list, not a question.
const MAX_OPTIONS: usize = 12;
/// Extra lines one option label may wrap onto.
const MAX_WRAP: usize = 3;
/// Lines above a menu searched for its question.
const QUESTION_SPAN: usize = 12;
/// Lines above a question searched for the top edge of its dialog.
const DIALOG_SPAN: usize = 24;
/// Lines of context kept for a decision.
const MAX_CONTEXT: usize = 8;
/// Bottom non-empty lines searched for signs of work.
const WORK_SPAN: usize = 12;
/// Bottom non-empty lines searched for an empty input box.
const IDLE_SPAN: usize = 4;
/// Longest line read as a one-line prompt or a shell prompt, in bytes.
const MAX_PROMPT_LINE: usize = 400;

/// Menu cursors, and the selected radio button.
const CURSORS: &[char] = &['❯', '›', '>', '▶', '►', '→', '●', '◉'];
/// Unselected radio buttons.
const RADIOS: &[char] = &['○', '◯', '◦'];
/// Cursors that also start an agent's input line.
const INPUT_PROMPTS: &[char] = &['❯', '›', '>'];
/// First characters of transcript entries (agent bullets, echoed user input).
const BULLETS: &[char] = &['●', '•', '⏺', '❯', '›'];
/// Spinner frames of Claude Code, Gemini and friends.
const SPINNERS: &[char] = &[
    '✻', '✶', '✢', '✳', '✽', '·', '*', '⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏',
];
/// Last characters of shell and REPL prompts.
const SHELL_PROMPT_ENDS: &[char] = &['$', '#', '%', '>', '❯', '›', '»'];
/// Words of key-hint and status lines drawn below a prompt (lowercase).
const HINTS: &[&str] = &[
    "to cancel",
    "to confirm",
    "to select",
    "to navigate",
    "to go back",
    "to amend",
    "to submit",
    "to exit",
    "arrow keys",
    "↑/↓",
    "↑↓",
    "for shortcuts",
    "context left",
];
/// Key names that make a trailing `(...)` a key hint rather than label text.
const KEY_WORDS: &[&str] = &[
    "esc", "enter", "return", "tab", "shift", "ctrl", "alt", "cmd", "meta", "space",
];

/// Classifies a captured pane (`tmux capture-pane -p`, with or without `-e`).
/// A dead pane (tmux's `Pane is dead` banner at the bottom) is `Unknown`:
/// whatever its last screen shows, nothing there is waiting any more.
pub fn classify(screen: &str) -> Screen {
    if dead_banner_start(screen).is_some() {
        return Screen::Unknown;
    }
    let text = strip_ansi(&screen[tail_start(screen)..]);
    let lines = screen_lines(&text);
    if let Some(decision) = find_decision(&lines) {
        Screen::Decision(decision)
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

// ---- Text: escapes, lines, boxes -------------------------------------------

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
fn skip_escape(rest: &str) -> &str {
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
fn skip_csi(rest: &str) -> &str {
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
fn skip_string(rest: &str) -> &str {
    match rest.find(['\x07', '\x1b', '\n']) {
        Some(i) if rest[i..].starts_with('\n') => &rest[i..],
        Some(i) if rest[i..].starts_with("\x1b\\") => &rest[i + 2..],
        Some(i) => &rest[i + 1..],
        None => "",
    }
}

/// `text` without escapes; borrowed when there are none.
fn strip_ansi(text: &str) -> Cow<'_, str> {
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
fn is_visible(raw: &str) -> bool {
    Plain { rest: raw }.any(|c| !c.is_whitespace())
}

/// Byte offset where the last [`WINDOW`] visible lines of `screen` begin.
fn tail_start(screen: &str) -> usize {
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

/// One screen line with any `│ ... │` box border removed.
#[derive(Debug, Clone, Copy)]
struct Line<'a> {
    /// The text, trimmed on both sides.
    body: &'a str,
    /// Columns of blank before the text (inside the box, if any).
    indent: usize,
}

impl<'a> Line<'a> {
    fn new(raw: &'a str) -> Self {
        let inner = unbox(raw.trim_end());
        let body = inner.trim_start();
        let indent = inner[..inner.len() - body.len()].chars().count();
        Line {
            body: body.trim_end(),
            indent,
        }
    }

    fn is_blank(&self) -> bool {
        self.body.is_empty()
    }
}

/// The inside of a line drawn in a box (`│ text │`), or the line itself.
fn unbox(line: &str) -> &str {
    let trimmed = line.trim_start();
    let Some(inner) = trimmed.strip_prefix(['│', '┃', '║']) else {
        return line;
    };
    let inner = inner.trim_end();
    inner
        .strip_suffix(['│', '┃', '║'])
        .unwrap_or(inner)
        .trim_end()
}

/// The lines of the window, without the blank lines after the last one.
fn screen_lines(text: &str) -> Vec<Line<'_>> {
    let mut lines: Vec<Line> = text.lines().map(Line::new).collect();
    while lines.last().is_some_and(Line::is_blank) {
        lines.pop();
    }
    lines
}

/// A line drawn only with box-drawing characters.
fn is_rule(body: &str) -> bool {
    !body.is_empty()
        && body
            .chars()
            .all(|c| matches!(c, '\u{2500}'..='\u{257f}' | ' '))
}

/// A box's bottom edge (`╰───╯`).
fn is_box_bottom(body: &str) -> bool {
    is_rule(body) && body.starts_with(['╰', '└', '╚', '┗'])
}

/// A solid rule or a box's top edge: where a dialog starts.
fn is_edge(body: &str) -> bool {
    is_rule(body) && !is_box_bottom(body) && !body.contains(['╌', '╍', '┄', '┅', '┈', '┉'])
}

/// A key-hint or status line (`Esc to cancel · Tab to amend`).
fn is_hint(body: &str) -> bool {
    HINTS.iter().any(|hint| contains_ignore_case(body, hint))
}

/// A transcript entry: an agent's bullet or the user's echoed input.
fn is_bullet(body: &str) -> bool {
    let mut chars = body.chars();
    chars.next().is_some_and(|c| BULLETS.contains(&c))
        && chars.next().is_none_or(char::is_whitespace)
}

/// ASCII case-insensitive substring test; `needle` is lowercase.
fn contains_ignore_case(haystack: &str, needle: &str) -> bool {
    haystack
        .as_bytes()
        .windows(needle.len())
        .any(|window| window.eq_ignore_ascii_case(needle.as_bytes()))
}

/// Appends the words of `text` to `out`, one space apart.
fn push_words(out: &mut String, text: &str) {
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
}

// ---- Decisions --------------------------------------------------------------

/// The live prompt at the bottom of the screen, if there is one.
fn find_decision(lines: &[Line]) -> Option<Decision> {
    let end = prompt_end(lines)?;
    line_prompt_decision(lines, end.line).or_else(|| menu_decision(lines, end))
}

/// Where a live prompt must end.
#[derive(Debug, Clone, Copy)]
struct PromptEnd {
    /// The last line above any hints, box bottoms and blanks.
    line: usize,
    /// Whether a key hint (`Enter to confirm`) was seen below it.
    hinted: bool,
}

/// Finds the line a live prompt would end on.
fn prompt_end(lines: &[Line]) -> Option<PromptEnd> {
    let mut trailers = 0;
    let mut hinted = false;
    for (i, line) in lines.iter().enumerate().rev() {
        if line.is_blank() {
            continue;
        }
        let prompt_like = parse_head(line).is_some() || parse_line_prompt(line.body).is_some();
        let hint = is_hint(line.body);
        if prompt_like || !(hint || is_box_bottom(line.body)) {
            return Some(PromptEnd { line: i, hinted });
        }
        hinted |= hint;
        trailers += 1;
        if trailers > MAX_TRAILERS {
            return None;
        }
    }
    None
}

/// Builds a decision, fingerprinting its question and labels.
fn decision(
    question: String,
    context: Option<String>,
    options: Vec<DecisionOption>,
    default: Option<usize>,
) -> Decision {
    let fingerprint = Fingerprint::of(&question, options.iter().map(|o| o.label.as_str()));
    Decision {
        question,
        context,
        options,
        default,
        fingerprint,
    }
}

/// An option, flagged when choosing it makes the agent wait for a typed reply.
fn option(label: String, keys: Vec<Key>) -> DecisionOption {
    let asks_reply = asks_reply(&label);
    DecisionOption {
        label,
        keys,
        asks_reply,
    }
}

/// Labels like `No, and tell Claude what to do differently` or `No, suggest changes`.
fn asks_reply(label: &str) -> bool {
    (contains_ignore_case(label, "tell ") && contains_ignore_case(label, "what to do"))
        || contains_ignore_case(label, "feedback")
        || contains_ignore_case(label, "suggest changes")
        || contains_ignore_case(label, "type something")
}

/// Lines of context: no blanks, rules, hints or tips; at most [`MAX_CONTEXT`].
fn context_of(lines: &[Line]) -> Option<String> {
    let mut out = String::new();
    let kept = lines.iter().filter(|line| {
        !(line.is_blank()
            || is_rule(line.body)
            || is_hint(line.body)
            || line.body.starts_with("Tip:"))
    });
    for line in kept.take(MAX_CONTEXT) {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(line.body);
    }
    (!out.is_empty()).then_some(out)
}

// ---- One-line prompts: `[Y/n]`, `(y/n)`, `(Y)es/(N)o [Yes]` -------------------

/// A question answered by typing a letter and Enter.
#[derive(Debug, PartialEq, Eq)]
struct LinePrompt<'a> {
    /// The text before the choices; empty when they stand alone.
    question: &'a str,
    /// Each choice's label and the letter that picks it.
    choices: Vec<(String, char)>,
    default: Option<usize>,
}

/// A decision from a one-line prompt on the anchor line.
fn line_prompt_decision(lines: &[Line], anchor: usize) -> Option<Decision> {
    let prompt = parse_line_prompt(lines[anchor].body)?;
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
    Some(decision(
        question.to_owned(),
        context,
        options,
        prompt.default,
    ))
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
fn parse_line_prompt(body: &str) -> Option<LinePrompt<'_>> {
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

// ---- Menus --------------------------------------------------------------------

/// A mark at the start of a menu line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Marker {
    /// The cursor, or the selected radio button.
    Cursor,
    /// An unselected radio button.
    Radio,
}

/// The start of a menu line: a marker and/or a number, then the label.
#[derive(Debug, Clone, Copy)]
struct Head<'a> {
    marker: Option<Marker>,
    number: Option<u32>,
    label: &'a str,
    /// Column where the label starts.
    label_col: usize,
}

/// Reads a line as a menu line if it starts with a marker or `N.` / `N)`.
fn parse_head<'a>(line: &Line<'a>) -> Option<Head<'a>> {
    let body = line.body;
    let (marker, rest) = split_marker(body);
    let (number, label) = split_number(rest);
    if marker.is_none() && number.is_none() {
        return None;
    }
    let label_col = line.indent + body[..body.len() - label.len()].chars().count();
    Some(Head {
        marker,
        number,
        label,
        label_col,
    })
}

/// A leading cursor or radio mark followed by a space (or nothing).
fn split_marker(body: &str) -> (Option<Marker>, &str) {
    let mut chars = body.chars();
    let marker = match chars.next() {
        Some(c) if CURSORS.contains(&c) => Marker::Cursor,
        Some(c) if RADIOS.contains(&c) => Marker::Radio,
        _ => return (None, body),
    };
    let rest = chars.as_str();
    if rest.is_empty() || rest.starts_with(char::is_whitespace) {
        (Some(marker), rest.trim_start())
    } else {
        (None, body)
    }
}

/// A leading `N.` or `N)` (one or two digits) followed by a space.
fn split_number(text: &str) -> (Option<u32>, &str) {
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let rest = text[digits..].strip_prefix(['.', ')']);
    match rest {
        Some(rest) if (1..=2).contains(&digits) && rest.starts_with(char::is_whitespace) => {
            (text[..digits].parse().ok(), rest.trim_start())
        }
        _ => (None, text),
    }
}

/// How a menu is drawn, learnt from its cursor line.
#[derive(Debug, Clone, Copy)]
struct Shape {
    numbered: bool,
    /// Column of the cursor mark.
    marker_col: usize,
    /// Column where the cursor line's label starts.
    label_col: usize,
}

/// What a line is to a menu of a given shape.
enum Role<'a> {
    /// The first line of an option.
    Head(Head<'a>),
    /// A wrapped line of the option above.
    Wrap,
    /// Not part of the menu.
    Other,
}

impl Shape {
    /// The shape of the menu whose cursor is nearest above `anchor`, in one
    /// block of non-blank lines.
    fn find(lines: &[Line], anchor: usize) -> Option<Shape> {
        let span = MAX_OPTIONS * (MAX_WRAP + 1);
        lines[..=anchor]
            .iter()
            .rev()
            .take(span)
            .take_while(|line| !line.is_blank())
            .find_map(|line| {
                let head = parse_head(line)?;
                (head.marker == Some(Marker::Cursor)).then_some(Shape {
                    numbered: head.number.is_some(),
                    marker_col: line.indent,
                    label_col: head.label_col,
                })
            })
    }

    /// Numbered menus: heads carry aligned numbers, wraps sit under the label.
    /// Others: heads carry a mark in the cursor's column or start in its label
    /// column; wraps are indented further.
    fn role<'a>(&self, line: &Line<'a>) -> Role<'a> {
        if line.is_blank() {
            return Role::Other;
        }
        match parse_head(line) {
            Some(head) if self.numbered => {
                let aligned = head.label_col.abs_diff(self.label_col) <= 1;
                if head.number.is_some() && aligned {
                    Role::Head(head)
                } else {
                    Role::Other
                }
            }
            Some(head) if head.number.is_none() && line.indent == self.marker_col => {
                Role::Head(head)
            }
            Some(_) => Role::Other,
            None if !self.numbered && line.indent == self.label_col => Role::Head(Head {
                marker: None,
                number: None,
                label: line.body,
                label_col: line.indent,
            }),
            None if line.indent >= self.label_col => Role::Wrap,
            None => Role::Other,
        }
    }

    /// Whether `head` can sit directly above `below` (numbers count down by one).
    fn continues(&self, head: &Head, below: Option<&Item>) -> bool {
        match below {
            Some(below) if self.numbered => head.number.map(|n| n + 1) == below.number,
            _ => true,
        }
    }
}

/// One option of a menu as drawn.
#[derive(Debug)]
struct Item {
    label: String,
    number: Option<u32>,
    cursor: bool,
}

impl Item {
    /// The option headed by `head`, its wrapped lines given bottom-up; `None`
    /// when the label is empty.
    fn new(head: &Head, wraps: &[&str]) -> Option<Item> {
        let mut label = String::new();
        push_words(&mut label, head.label);
        for wrap in wraps.iter().rev() {
            push_words(&mut label, wrap);
        }
        let kept = strip_annotation(&label).len();
        label.truncate(kept);
        (!label.is_empty()).then_some(Item {
            label,
            number: head.number,
            cursor: head.marker == Some(Marker::Cursor),
        })
    }
}

/// A menu: its options top to bottom and the line of the first one.
struct Menu {
    top: usize,
    items: Vec<Item>,
}

/// Drops what an agent appends to a label: ` · explanation`, a key hint like `(esc)`.
fn strip_annotation(label: &str) -> &str {
    let label = label.split_once(" · ").map_or(label, |(head, _)| head);
    match label.strip_suffix(')').and_then(|s| s.rsplit_once('(')) {
        Some((head, hint)) if is_key_hint(hint) => head.trim_end(),
        _ => label.trim_end(),
    }
}

/// `y`, `esc`, `shift+tab`, `ctrl+e`: a shortcut shown after a label.
fn is_key_hint(hint: &str) -> bool {
    let single = hint.len() == 1 && hint.bytes().all(|b| b.is_ascii_alphanumeric());
    let named = hint.len() <= 16
        && !hint.contains(' ')
        && KEY_WORDS.iter().any(|key| {
            hint.as_bytes()
                .get(..key.len())
                .is_some_and(|start| start.eq_ignore_ascii_case(key.as_bytes()))
        });
    single || named
}

/// Reads the menu that ends at `anchor`, walking up from it.
fn parse_menu(lines: &[Line], anchor: usize, shape: &Shape) -> Option<Menu> {
    let mut items: Vec<Item> = Vec::new();
    let mut wraps: Vec<&str> = Vec::new();
    let mut top = anchor;
    for (i, line) in lines[..=anchor].iter().enumerate().rev() {
        match shape.role(line) {
            Role::Head(head) => {
                if !shape.continues(&head, items.last()) {
                    break;
                }
                items.push(Item::new(&head, &wraps)?);
                wraps.clear();
                top = i;
                if items.len() > MAX_OPTIONS {
                    return None;
                }
                if head.number == Some(1) {
                    break;
                }
            }
            Role::Wrap if wraps.len() < MAX_WRAP => wraps.push(line.body),
            _ => break,
        }
    }
    items.reverse();
    Some(Menu { top, items })
}

/// A decision from a cursor menu ending at `end`. An un-numbered one also needs
/// a key hint (below it or after its question): its bare option lines could be prose.
fn menu_decision(lines: &[Line], end: PromptEnd) -> Option<Decision> {
    let shape = Shape::find(lines, end.line)?;
    let menu = parse_menu(lines, end.line, &shape)?;
    let mut cursors = (0..menu.items.len()).filter(|&i| menu.items[i].cursor);
    let (Some(cursor), None) = (cursors.next(), cursors.next()) else {
        return None;
    };
    let numbered_from_one = menu
        .items
        .first()
        .is_some_and(|item| item.number == Some(1));
    if menu.items.len() < 2 || (shape.numbered && !numbered_from_one) {
        return None;
    }
    let question = find_question(lines, menu.top)?;
    let hinted = end.hinted || is_hint(lines[question.end].body);
    if !shape.numbered && !hinted {
        return None;
    }
    let context = menu_context(lines, &question, menu.top);
    let options = menu
        .items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            let keys = menu_keys(item.number, cursor, i);
            option(item.label, keys)
        })
        .collect();
    Some(decision(question.text, context, options, Some(cursor)))
}

/// The digit of a numbered option, else arrows from the cursor then Enter.
fn menu_keys(number: Option<u32>, cursor: usize, target: usize) -> Vec<Key> {
    if let Some(digit) = number.and_then(|n| char::from_digit(n, 10)) {
        return vec![Key::Char(digit)];
    }
    let step = if target > cursor { Key::Down } else { Key::Up };
    let mut keys = vec![step; cursor.abs_diff(target)];
    keys.push(Key::Enter);
    keys
}

/// A menu's question and the lines it spans.
struct Question {
    start: usize,
    end: usize,
    text: String,
}

/// The nearest question above a menu, inside its dialog: a sentence ending in
/// `?`, joined when it wraps.
fn find_question(lines: &[Line], menu_top: usize) -> Option<Question> {
    let from = menu_top.saturating_sub(QUESTION_SPAN);
    for (i, line) in lines[..menu_top].iter().enumerate().skip(from).rev() {
        if is_edge(line.body) || is_bullet(line.body) {
            return None;
        }
        if let Some(cut) = question_end(line.body) {
            let start = sentence_start(lines, i);
            let mut text = String::new();
            for above in &lines[start..i] {
                push_words(&mut text, above.body);
            }
            push_words(&mut text, &line.body[..cut]);
            if text.starts_with("? ") {
                text.drain(..2);
            }
            return Some(Question {
                start,
                end: i,
                text,
            });
        }
    }
    None
}

/// Byte index just after the last `?` that ends a word in `body`.
fn question_end(body: &str) -> Option<usize> {
    let mut end = None;
    let mut prev = ' ';
    for (i, c) in body.char_indices() {
        if c == '?' && !prev.is_whitespace() {
            let next = body[i + 1..].chars().next();
            if next.is_none_or(|n| n.is_whitespace() || matches!(n, ')' | '"' | '\'' | '`' | '*')) {
                end = Some(i + 1);
            }
        }
        prev = c;
    }
    end
}

/// The first line of the sentence ending on line `at`: lines above are joined
/// while the current one reads as a wrapped tail (up to two).
fn sentence_start(lines: &[Line], at: usize) -> usize {
    let mut start = at;
    while start > 0 && at - start < 2 {
        let above = &lines[start - 1];
        let wrapped = lines[start]
            .body
            .starts_with(|c: char| c.is_lowercase() || matches!(c, '/' | '.' | '~' | '`'));
        if !wrapped || above.is_blank() || is_rule(above.body) || parse_head(above).is_some() {
            break;
        }
        start -= 1;
    }
    start
}

/// What a menu is about: the dialog's lines above the question (title,
/// command, file), or failing that the lines between question and menu.
fn menu_context(lines: &[Line], question: &Question, menu_top: usize) -> Option<String> {
    let above = dialog_top(lines, question.start)
        .and_then(|top| context_of(&lines[top + 1..question.start]));
    above.or_else(|| {
        let below = &lines[question.end + 1..menu_top];
        let rest_of_paragraph = below.iter().take_while(|line| !line.is_blank()).count();
        context_of(&below[rest_of_paragraph..])
    })
}

/// The dialog's top edge above line `from`; none past a transcript entry.
fn dialog_top(lines: &[Line], from: usize) -> Option<usize> {
    let span = from.saturating_sub(DIALOG_SPAN);
    for (i, line) in lines[..from].iter().enumerate().skip(span).rev() {
        if is_edge(line.body) {
            return Some(i);
        }
        if is_bullet(line.body) {
            return None;
        }
    }
    None
}

// ---- Working and idle ---------------------------------------------------------------

/// The bottom `n` non-blank lines, bottom first.
fn bottom<'l, 'a>(lines: &'l [Line<'a>], n: usize) -> impl Iterator<Item = &'l Line<'a>> {
    lines.iter().rev().filter(|line| !line.is_blank()).take(n)
}

/// A spinner, `esc to interrupt`, or a `Working`/`Thinking` status near the bottom.
fn is_working(lines: &[Line]) -> bool {
    bottom(lines, WORK_SPAN).any(|line| shows_work(line.body))
}

/// Whether one line says the agent is busy.
fn shows_work(body: &str) -> bool {
    if contains_ignore_case(body, "esc to interrupt")
        || contains_ignore_case(body, "ctrl+c to interrupt")
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
    ["Working", "Thinking"].iter().any(|word| {
        status.strip_prefix(word).is_some_and(|rest| {
            rest.is_empty()
                || rest.starts_with('…')
                || rest.starts_with("...")
                || rest.starts_with(" (")
        })
    })
}

/// A shell prompt ends the screen, or an agent's input line is near the bottom.
fn is_idle(lines: &[Line]) -> bool {
    let shell = lines.last().is_some_and(|line| is_shell_prompt(line.body));
    shell || bottom(lines, IDLE_SPAN).any(is_input_line)
}

/// `user@host:~/src$`, `#`, `%`, aider's `>`.
fn is_shell_prompt(body: &str) -> bool {
    body.len() <= MAX_PROMPT_LINE && body.ends_with(SHELL_PROMPT_ENDS)
}

/// `❯ `, `› Ask Codex to do anything`, `> Type your message`: not a numbered option.
fn is_input_line(line: &Line) -> bool {
    line.body.starts_with(INPUT_PROMPTS)
        && parse_head(line).is_some_and(|head| head.number.is_none())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_colour_cursor_and_title_escapes() {
        let text = "\x1b[38;5;153m❯\x1b[39m 1. Yes\x1b]0;title\x07!\x1b(B\r\n";
        assert_eq!(strip_ansi(text), "❯ 1. Yes!\n");
        assert!(matches!(strip_ansi("plain\ntext"), Cow::Borrowed(_)));
        assert_eq!(strip_ansi("\x1b[1"), "");
        assert_eq!(strip_ansi("a\x1b]unterminated\nb"), "a\nb");
    }

    #[test]
    fn unboxes_lines_and_measures_indent() {
        let line = Line::new("│ ● 1. Allow once      │");
        assert_eq!((line.body, line.indent), ("● 1. Allow once", 1));
        let head = parse_head(&line).unwrap();
        assert_eq!(
            (head.number, head.label, head.label_col),
            (Some(1), "Allow once", 6)
        );
        assert!(Line::new("│      │").is_blank());
    }

    #[test]
    fn heads_need_a_marker_or_a_delimited_number() {
        for text in [
            "  12 | let x = 1;",
            "  3 + foo",
            "1.5 GB free",
            "❯Yes",
            "@@ -1,3 +1,4 @@",
        ] {
            assert!(parse_head(&Line::new(text)).is_none(), "{text}");
        }
        let head = parse_head(&Line::new("  2) Yes")).unwrap();
        assert_eq!(
            (head.marker, head.number, head.label),
            (None, Some(2), "Yes")
        );
        let head = parse_head(&Line::new("○ Deny")).unwrap();
        assert_eq!((head.marker, head.number), (Some(Marker::Radio), None));
    }

    #[test]
    fn labels_lose_annotations_but_keep_their_words() {
        assert_eq!(
            strip_annotation("Yes, and switch to auto mode · auto mode handles these prompts"),
            "Yes, and switch to auto mode"
        );
        assert_eq!(
            strip_annotation("No, and tell Claude what to do differently (esc)"),
            "No, and tell Claude what to do differently"
        );
        assert_eq!(
            strip_annotation("Yes, allow all edits (shift+tab)"),
            "Yes, allow all edits"
        );
        assert_eq!(strip_annotation("Yes, proceed (y)"), "Yes, proceed");
        assert_eq!(
            strip_annotation("Use the cache (recommended)"),
            "Use the cache (recommended)"
        );
        assert_eq!(strip_annotation("Install v(2.0)"), "Install v(2.0)");
    }

    #[test]
    fn parses_one_line_prompts() {
        let prompt = parse_line_prompt("Allow edits to file.py? [Y/n]").unwrap();
        assert_eq!(prompt.question, "Allow edits to file.py?");
        assert_eq!(prompt.default, Some(0));
        assert_eq!(
            parse_line_prompt("Overwrite? (y/N):").unwrap().default,
            Some(1)
        );
        assert_eq!(
            parse_line_prompt("Continue [yes/no]?").unwrap().default,
            None
        );

        let prompt =
            parse_line_prompt("Run shell command? (Y)es/(N)o/(D)on't ask again [Yes]:").unwrap();
        assert_eq!(prompt.question, "Run shell command?");
        let labels: Vec<_> = prompt
            .choices
            .iter()
            .map(|(l, k)| (l.as_str(), *k))
            .collect();
        assert_eq!(
            labels,
            [("Yes", 'y'), ("No", 'n'), ("Don't ask again", 'd')]
        );
        assert_eq!(prompt.default, Some(0));
        assert_eq!(
            parse_line_prompt("Save? (Y)es/(N)o [n]").unwrap().default,
            Some(1)
        );

        for text in [
            "Press (q) to quit",
            "See [docs/README]",
            "(a)(b)(c)",
            "x/y [y]",
            "Is it (Y)es?",
        ] {
            assert_eq!(parse_line_prompt(text), None, "{text}");
        }
    }

    #[test]
    fn question_ends_at_a_word_ending_question_mark() {
        let line = "Quick safety check: Is this a project you trust? (Like your own code, a";
        assert_eq!(
            &line[..question_end(line).unwrap()],
            "Quick safety check: Is this a project you trust?"
        );
        assert_eq!(question_end("? for shortcuts"), None);
        assert_eq!(question_end("see https://x.io/?a=1"), None);
    }

    #[test]
    fn menu_keys_use_digits_or_arrows() {
        assert_eq!(menu_keys(Some(2), 0, 1), [Key::Char('2')]);
        assert_eq!(menu_keys(None, 0, 1), [Key::Down, Key::Enter]);
        assert_eq!(menu_keys(None, 2, 0), [Key::Up, Key::Up, Key::Enter]);
        assert_eq!(menu_keys(None, 1, 1), [Key::Enter]);
        assert_eq!(
            menu_keys(Some(10), 0, 9),
            [Key::Down; 9]
                .into_iter()
                .chain([Key::Enter])
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn dead_pane_banner_is_stripped_and_means_nothing_waits() {
        let prompt = "Do you want to proceed?\n❯ 1. Yes\n  2. No\n";
        let dead = format!("{prompt}\n\nPane is dead (status 3, Tue Nov 24 06:15:37 2026)\n\n");
        assert_eq!(strip_dead_banner(&dead), format!("{prompt}\n\n"));
        assert!(matches!(classify(prompt), Screen::Decision(_)));
        assert_eq!(classify(&dead), Screen::Unknown);
        let signalled = "✻ Working…\nPane is dead (signal 9, Tue Nov 24 06:15:37 2026)";
        assert_eq!(strip_dead_banner(signalled), "✻ Working…\n");
        assert_eq!(classify(signalled), Screen::Unknown);
        let quoted = "Pane is dead (status 3, then)\nmore output";
        assert_eq!(strip_dead_banner(quoted), quoted);
        assert_eq!(strip_dead_banner(""), "");
    }

    #[test]
    fn work_signs() {
        assert!(shows_work("✻ Frosting…"));
        assert!(shows_work("⠋ Reticulating splines... (esc to cancel, 3s)"));
        assert!(shows_work("• Working (12s • esc to interrupt)"));
        assert!(shows_work("Thinking…"));
        assert!(!shows_work("✻ Worked for 34s"));
        assert!(!shows_work("◐ medium · /effort"));
        assert!(!shows_work("Thinking about it, the cache is wrong."));
    }
}
