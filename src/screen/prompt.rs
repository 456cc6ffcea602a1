//! A prompt as the screen shows it (question, context, options, default),
//! its fingerprint, and finding the live one at the bottom of a screen.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::lexicon::{REPLY_PHRASES, TIP_PREFIX};
use super::line_prompt::{line_prompt, parse_line_prompt};
use super::menu::{menu_prompt, parse_head};
use super::text::{Line, contains_ignore_case, is_box_bottom, is_dashed_rule, is_hint, is_rule};
use crate::tmux::Key;

/// A question on an agent's screen and the ways to answer it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prompt {
    pub question: String,
    /// What the question is about (the command, the diff, the file), when the
    /// screen says.
    pub context: Option<String>,
    pub options: Vec<PromptOption>,
    /// Index into `options` of the agent's own highlighted choice.
    pub default: Option<usize>,
    /// A question with check boxes: several options may be ticked, so no
    /// single tap answers it and its options carry no keys.
    #[serde(default)]
    pub multi_select: bool,
}

/// One answer to a prompt and the keys that select it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromptOption {
    pub label: String,
    pub keys: Vec<Key>,
    /// Choosing this option makes the agent wait for a typed explanation
    /// (`No, and tell Claude what to do differently`).
    #[serde(default)]
    pub asks_reply: bool,
}

impl Prompt {
    pub(super) fn new(
        question: String,
        context: Option<String>,
        options: Vec<PromptOption>,
        default: Option<usize>,
    ) -> Prompt {
        Prompt {
            question,
            context,
            options,
            default,
            multi_select: false,
        }
    }

    /// The fingerprint of what the phone shows of this prompt: question,
    /// context and option labels. A button carries it, and a tap sends keys
    /// only while the screen shows a prompt with the same one. The cursor's
    /// place is left out, so moving it in the terminal keeps the prompt; a
    /// tap sends the keys read from the screen at that moment.
    pub fn fingerprint(&self) -> Fingerprint {
        let mut hash = Fnv::default();
        hash.feed(self.question.as_bytes());
        hash.feed(self.context.as_deref().unwrap_or_default().as_bytes());
        hash.feed(&[
            u8::from(self.context.is_some()),
            u8::from(self.multi_select),
        ]);
        for option in &self.options {
            hash.feed(option.label.as_bytes());
        }
        Fingerprint(hash.0)
    }

    /// Whether the prompt's question or context shows `what` (a command, a
    /// path), however the screen wrapped or cut it: its first line whole,
    /// or cut short before an ellipsis, or for a path its file name; compared
    /// without spaces or box lines.
    pub fn shows(&self, what: &str) -> bool {
        let screen = bare(&format!(
            "{}\n{}",
            self.question,
            self.context.as_deref().unwrap_or_default()
        ));
        let first = bare(what.lines().next().unwrap_or_default());
        if first.is_empty() {
            return false;
        }
        let file_name = what
            .contains('/')
            .then(|| bare(what.rsplit('/').next().unwrap_or_default()))
            .filter(|name| !name.is_empty());
        screen.contains(&first)
            || file_name.is_some_and(|name| screen.contains(&name))
            || ["…", "..."].iter().any(|ellipsis| {
                screen
                    .match_indices(ellipsis)
                    .any(|(end, _)| ends_with_start_of(&screen[..end], &first))
            })
    }
}

/// Fewest characters of a command a screen must show before cutting it, for
/// the cut text to say which command it is.
const MIN_CUT: usize = 12;

/// Whether `text` ends with at least [`MIN_CUT`] characters that begin `whole`.
fn ends_with_start_of(text: &str, whole: &str) -> bool {
    text.char_indices()
        .map(|(i, _)| &text[i..])
        .take_while(|tail| tail.chars().count() >= MIN_CUT)
        .any(|tail| whole.starts_with(tail))
}

/// `text` without whitespace and box-drawing characters, so a line the
/// screen wrapped or framed compares equal to the original.
fn bare(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace() && !('\u{2500}'..='\u{257f}').contains(c))
        .collect()
}

/// A stable hash of a prompt: the same text gives the same value in every
/// process and version, so buttons survive a restart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Fingerprint(pub u64);

impl Fingerprint {
    pub fn parse_hex(s: &str) -> Option<Self> {
        (s.len() == 16).then(|| u64::from_str_radix(s, 16).ok().map(Fingerprint))?
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

/// FNV-1a, fed field by field with a separator byte after each, so
/// ("ab", "c") and ("a", "bc") differ.
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    fn feed(&mut self, bytes: &[u8]) {
        for b in bytes.iter().chain([&0xff]) {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

/// Hint or footer lines allowed below a live prompt.
const MAX_TRAILERS: usize = 4;

/// Lines of a preview drawn below a menu between dashed rules.
const MAX_PREVIEW: usize = 12;

/// Lines of notes a dialog may draw in its box below its options.
const MAX_NOTES: usize = 6;

/// Lines of context kept for a prompt: all the window can hold, so the
/// fingerprint sees any change to a command or diff; the phone shortens it.
const MAX_CONTEXT: usize = super::text::WINDOW;

/// The live prompt at the bottom of the screen, if there is one.
pub(super) fn find_prompt(lines: &[Line]) -> Option<Prompt> {
    let end = prompt_end(lines)?;
    line_prompt(lines, end.line).or_else(|| menu_prompt(lines, end))
}

/// Where a live prompt must end.
#[derive(Debug, Clone, Copy)]
pub(super) struct PromptEnd {
    /// The last line above any hints, box bottoms and blanks.
    pub(super) line: usize,
    /// Whether a key hint (`Enter to confirm`) was seen below it.
    pub(super) hinted: bool,
}

/// Finds the line a live prompt would end on. A preview framed in dashed
/// rules below it (Claude Code's theme picker shows a diff in the theme)
/// counts as one trailer.
fn prompt_end(lines: &[Line]) -> Option<PromptEnd> {
    let mut trailers = 0;
    let mut hinted = false;
    let mut in_box = false;
    let mut below = lines.len();
    while let Some(i) = below.checked_sub(1) {
        below = i;
        let line = &lines[i];
        if line.is_blank() {
            continue;
        }
        if let Some(top) = preview_top(lines, i) {
            below = top;
        } else {
            let prompt_like = parse_head(line).is_some() || parse_line_prompt(line.body).is_some();
            let hint = is_hint(line.body);
            if prompt_like || !(hint || is_box_bottom(line.body)) {
                let end = PromptEnd { line: i, hinted };
                let notes = (!prompt_like && in_box).then(|| options_above_notes(lines, end));
                return Some(notes.flatten().unwrap_or(end));
            }
            in_box |= is_box_bottom(line.body);
            hinted |= hint;
        }
        trailers += 1;
        if trailers > MAX_TRAILERS {
            return None;
        }
    }
    None
}

/// When line `bottom` is a dashed rule closing a preview, the line of the
/// dashed rule opening it, at most [`MAX_PREVIEW`] lines above.
fn preview_top(lines: &[Line], bottom: usize) -> Option<usize> {
    if !is_dashed_rule(lines[bottom].body) {
        return None;
    }
    let from = bottom.saturating_sub(MAX_PREVIEW + 1);
    (from..bottom)
        .rev()
        .find(|&i| is_dashed_rule(lines[i].body))
}

/// When a dialog's box ends the screen and `end` is a note inside it below
/// the options (`Existing API key detected...`, a link to the terms), the
/// last option line above those notes.
fn options_above_notes(lines: &[Line], end: PromptEnd) -> Option<PromptEnd> {
    let mut hinted = end.hinted;
    let mut notes = 0;
    for (i, line) in lines[..=end.line].iter().enumerate().rev() {
        if line.is_blank() {
            continue;
        }
        if !line.boxed {
            return None;
        }
        if parse_head(line).is_some() {
            return Some(PromptEnd { line: i, hinted });
        }
        hinted |= is_hint(line.body);
        notes += 1;
        if notes > MAX_NOTES {
            return None;
        }
    }
    None
}

/// An option, flagged when choosing it makes the agent wait for a typed reply.
pub(super) fn option(label: String, keys: Vec<Key>) -> PromptOption {
    let asks_reply = asks_reply(&label);
    PromptOption {
        label,
        keys,
        asks_reply,
    }
}

/// Labels like `No, and tell Claude what to do differently`, `Tell Claude
/// what to change` or `No, suggest changes`.
fn asks_reply(label: &str) -> bool {
    (contains_ignore_case(label, "tell ") && contains_ignore_case(label, "what to "))
        || REPLY_PHRASES
            .iter()
            .any(|phrase| contains_ignore_case(label, phrase))
}

/// Lines of context: no blanks, rules, hints or tips (with the lowercase
/// lines a tip wraps onto); at most [`MAX_CONTEXT`].
pub(super) fn context_of(lines: &[Line]) -> Option<String> {
    let mut out = String::new();
    let mut in_tip = false;
    let kept = lines.iter().filter(|line| {
        in_tip = line.body.starts_with(TIP_PREFIX)
            || (in_tip && line.body.starts_with(char::is_lowercase));
        !(line.is_blank() || is_rule(line.body) || is_hint(line.body) || in_tip)
    });
    for line in kept.take(MAX_CONTEXT) {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(line.body);
    }
    (!out.is_empty()).then_some(out)
}
