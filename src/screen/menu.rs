//! Menus: numbered or not, with a cursor or radio marks, boxed or not, and
//! the question above them.

use super::lexicon::{
    CHECKBOXES, CURRENT_MARKS, CURSORS, EXPANDERS, INSTRUCTIONS, KEY_WORDS, RADIOS,
};
use super::prompt::{Prompt, PromptEnd, context_of, option};
use super::text::{
    Line, is_box_bottom, is_box_top, is_bullet, is_edge, is_hint, is_rule, push_words,
};
use crate::tmux::Key;

/// Options in a menu; more is a list, not a question.
const MAX_OPTIONS: usize = 12;

/// Extra lines one option label may wrap onto.
const MAX_WRAP: usize = 3;

/// Lines above a menu searched for its question.
const QUESTION_SPAN: usize = 12;

/// Most lines of the block above a question taken as its context.
const HEADING_SPAN: usize = 3;

/// Lines above a question searched for the top edge of its dialog.
const DIALOG_SPAN: usize = 24;

/// Most lines of the block right above a menu read as its heading.
const MAX_HEADING: usize = 4;

/// Most lines of a change drawn above a question kept in its context.
const MAX_CHANGE: usize = 20;

/// A mark at the start of a menu line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Marker {
    /// The cursor, or the selected radio button.
    Cursor,
    /// An unselected radio button.
    Radio,
}

/// The start of a menu line: a marker and/or a number, then the label.
#[derive(Debug, Clone, Copy)]
pub(super) struct Head<'a> {
    pub(super) marker: Option<Marker>,
    pub(super) number: Option<u32>,
    pub(super) label: &'a str,
    /// Column where the label starts.
    pub(super) label_col: usize,
}

/// Reads a line as a menu line if it starts with a marker or `N.` / `N)`.
/// A current-setting mark before the label is no part of it.
pub(super) fn parse_head<'a>(line: &Line<'a>) -> Option<Head<'a>> {
    let body = line.body;
    let (marker, rest) = split_marker(body);
    let (number, label) = split_number(rest);
    if marker.is_none() && number.is_none() {
        return None;
    }
    let label = without_current_mark(label);
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

/// `label` without a leading current-setting mark (`✔ Auto`).
fn without_current_mark(label: &str) -> &str {
    let mut chars = label.chars();
    match chars.next() {
        Some(c) if CURRENT_MARKS.contains(&c) && chars.as_str().starts_with(' ') => {
            chars.as_str().trim_start()
        }
        _ => label,
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
    fn continues(&self, head: &Head, below: Option<&Head>) -> bool {
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
    /// The option headed by `head`, with the lines indented under it, top
    /// down: those that wrap its label, then any description, which is left
    /// out. A line wraps the one above only if its first word could not
    /// have fit there within `width`, the menu's widest line. `None` when
    /// the label is empty.
    fn new(head: &Head, under: &[&Line], width: usize) -> Option<Item> {
        let mut label = String::new();
        push_words(&mut label, head.label);
        let mut above = head.label_col + head.label.chars().count();
        for line in under {
            let first_word = line.body.split_whitespace().next().unwrap_or_default();
            if above + 1 + first_word.chars().count() <= width {
                break;
            }
            push_words(&mut label, line.body);
            above = line.indent + line.body.chars().count();
        }
        let kept = strip_annotation(&label).len();
        label.truncate(kept);
        (!label.is_empty()).then_some(Item {
            label,
            number: head.number,
            cursor: head.marker == Some(Marker::Cursor),
        })
    }

    /// Whether the label starts with a check box: a multi-select option.
    fn is_checkbox(&self) -> bool {
        CHECKBOXES.iter().any(|mark| self.label.starts_with(mark))
    }
}

/// A menu: its options top to bottom and the line of the first one.
struct Menu {
    top: usize,
    items: Vec<Item>,
}

/// Drops what an agent appends to a label: ` · explanation`, a key hint like `(esc)`.
pub(super) fn strip_annotation(label: &str) -> &str {
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

/// Reads the menu that ends at `anchor`, walking up from it. Key hints
/// under an option are skipped, and so is a rule between numbered options
/// (Claude Code draws one above its last, `Chat about this`).
fn parse_menu(lines: &[Line], anchor: usize, shape: &Shape) -> Option<Menu> {
    let mut heads: Vec<(Head, Vec<&Line>)> = Vec::new();
    let mut under: Vec<&Line> = Vec::new();
    let mut top = anchor;
    for (i, line) in lines[..=anchor].iter().enumerate().rev() {
        match shape.role(line) {
            Role::Head(head) => {
                if !shape.continues(&head, heads.last().map(|(below, _)| below)) {
                    break;
                }
                under.reverse();
                heads.push((head, std::mem::take(&mut under)));
                top = i;
                if heads.len() > MAX_OPTIONS {
                    return None;
                }
                if head.number == Some(1) {
                    break;
                }
            }
            Role::Wrap if is_hint(line.body) => {}
            Role::Wrap if under.len() < MAX_WRAP => under.push(line),
            Role::Other if shape.numbered && !heads.is_empty() && is_edge(line.body) => {}
            _ => break,
        }
    }
    heads.reverse();
    let width = heads
        .iter()
        .flat_map(|(head, under)| {
            let head_width = head.label_col + head.label.chars().count();
            let under = under.iter().map(|l| l.indent + l.body.chars().count());
            std::iter::once(head_width).chain(under)
        })
        .max()?;
    let items = heads
        .iter()
        .map(|(head, under)| Item::new(head, under, width))
        .collect::<Option<Vec<Item>>>()?;
    Some(Menu { top, items })
}

/// A decision from a cursor menu ending at `end`. An un-numbered one also needs
/// a key hint (below it or after its question): its bare option lines could be prose.
pub(super) fn menu_prompt(lines: &[Line], end: PromptEnd) -> Option<Prompt> {
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
    // Check boxes: a digit only toggles its box, so no single key answers
    // the question; the phone is shown it and told to answer at the terminal.
    let multi_select = menu.items.iter().any(Item::is_checkbox);
    let (question, context) = match find_question(lines, menu.top) {
        Some(question) => {
            let hinted = end.hinted || is_hint(lines[question.end].body);
            if !shape.numbered && !hinted {
                return None;
            }
            let context = menu_context(lines, &question, menu.top);
            (question.text, context)
        }
        None => {
            let heading = find_heading(lines, menu.top)?;
            if !shape.numbered && !is_instruction(heading.title.body) {
                return None;
            }
            let mut title = String::new();
            push_words(&mut title, heading.title.body);
            (title, context_of(heading.notes))
        }
    };
    let options = menu
        .items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            let keys = if multi_select {
                Vec::new()
            } else {
                menu_keys(item.number, cursor, i)
            };
            option(item.label, keys)
        })
        .collect();
    let mut prompt = Prompt::new(question, context, options, Some(cursor));
    prompt.multi_select = multi_select;
    Some(prompt)
}

/// Enter for the option under the cursor (every menu takes it, while some
/// ignore that option's digit: Codex's trust prompt), the digit of another
/// numbered option, else arrows from the cursor then Enter.
pub(super) fn menu_keys(number: Option<u32>, cursor: usize, target: usize) -> Vec<Key> {
    if target == cursor {
        return vec![Key::Enter];
    }
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
pub(super) fn question_end(body: &str) -> Option<usize> {
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

/// The block right above a menu that has no `?` sentence to ask its
/// question: its first line (a title, an instruction) and the notes under it.
struct Heading<'l, 'a> {
    title: &'l Line<'a>,
    notes: &'l [Line<'a>],
}

/// The block of up to [`MAX_HEADING`] lines ending just above a menu (past
/// one blank line), below a blank line or an edge; none if it is transcript,
/// a rule or menu lines.
fn find_heading<'l, 'a>(lines: &'l [Line<'a>], menu_top: usize) -> Option<Heading<'l, 'a>> {
    let mut end = menu_top;
    if end > 0 && lines[end - 1].is_blank() {
        end -= 1;
    }
    let height = lines[..end]
        .iter()
        .rev()
        .take(MAX_HEADING + 1)
        .take_while(|line| !line.is_blank() && !is_edge(line.body))
        .count();
    if height == 0 || height > MAX_HEADING {
        return None;
    }
    let block = &lines[end - height..end];
    let own = block
        .iter()
        .all(|line| !(is_bullet(line.body) || is_rule(line.body) || parse_head(line).is_some()));
    let (title, notes) = block.split_first()?;
    own.then_some(Heading { title, notes })
}

/// `Choose the text style …`: a line that tells the user to pick.
fn is_instruction(body: &str) -> bool {
    INSTRUCTIONS.iter().any(|verb| {
        body.strip_prefix(verb)
            .is_some_and(|rest| rest.starts_with(' '))
    })
}

/// What a menu is about: the dialog's lines above the question (title,
/// command, file), or failing that the lines between question and menu, or
/// the short block just above the question (a title and a folder); then any
/// change drawn above the question.
fn menu_context(lines: &[Line], question: &Question, menu_top: usize) -> Option<String> {
    let above = dialog_top(lines, question.start)
        .and_then(|top| context_of(&lines[top + 1..question.start]));
    let own = above
        .or_else(|| {
            let below = &lines[question.end + 1..menu_top];
            let rest_of_paragraph = below.iter().take_while(|line| !line.is_blank()).count();
            context_of(&below[rest_of_paragraph..])
        })
        .or_else(|| context_of(block_above(lines, question.start)));
    match (own, change_above(lines, question.start)) {
        (Some(own), Some(change)) => Some(format!("{own}\n{change}")),
        (own, change) => own.or(change),
    }
}

/// The change a question asks about, when the agent drew it as the
/// transcript entry right above the question (Codex's `• Edited app.py
/// (+1 -1)` and its diff): the entry's first line without its bullet, then
/// its lines (up to [`MAX_CHANGE`]), when they hang under the bullet and
/// show a diff. Nothing above that entry is read.
fn change_above(lines: &[Line], question_start: usize) -> Option<String> {
    let above = &lines[..question_start];
    let head = above.iter().rposition(|line| {
        is_bullet(line.body) || is_rule(line.body) || parse_head(line).is_some()
    })?;
    let bullet = &above[head];
    let (_, title) = bullet.body.split_once(char::is_whitespace)?;
    let entry = above[head + 1..].iter().filter(|line| !line.is_blank());
    let hangs = entry.clone().all(|line| line.indent > bullet.indent);
    let shows_diff = entry.clone().any(|line| is_diff_line(line.body));
    if !(is_bullet(bullet.body) && hangs && shows_diff) {
        return None;
    }
    let mut out = title.trim().to_owned();
    let kept = entry.filter(|line| !EXPANDERS.iter().any(|e| line.body.ends_with(e)));
    for line in kept.take(MAX_CHANGE) {
        out.push('\n');
        out.push_str(line.body);
    }
    Some(out)
}

/// `2 -    old`, `12 +new`: a changed line of a diff, after its line number.
fn is_diff_line(body: &str) -> bool {
    let digits = body.bytes().take_while(u8::is_ascii_digit).count();
    let rest = body[digits..].trim_start();
    digits > 0 && rest.len() < body.len() - digits && rest.starts_with(['+', '-'])
}

/// The lines of the block ending just above line `at` (past one blank line),
/// up to [`HEADING_SPAN`] of them; none if it is transcript or a rule.
fn block_above<'l, 'a>(lines: &'l [Line<'a>], at: usize) -> &'l [Line<'a>] {
    let mut end = at;
    if end > 0 && lines[end - 1].is_blank() {
        end -= 1;
    }
    let start = end.saturating_sub(HEADING_SPAN);
    let block = &lines[start..end];
    let height = block
        .iter()
        .rev()
        .take_while(|line| !line.is_blank())
        .count();
    let block = &block[block.len() - height..];
    let own = block
        .iter()
        .all(|line| !(is_bullet(line.body) || is_rule(line.body) || is_edge(line.body)));
    if own { block } else { &[] }
}

/// The dialog's top edge above line `from`, past any box drawn whole inside
/// the dialog (a command or a diff); none past a transcript entry.
fn dialog_top(lines: &[Line], from: usize) -> Option<usize> {
    let span = from.saturating_sub(DIALOG_SPAN);
    let mut inner_boxes = 0usize;
    for (i, line) in lines[..from].iter().enumerate().skip(span).rev() {
        if is_box_bottom(line.body) {
            inner_boxes += 1;
        } else if is_box_top(line.body) && inner_boxes > 0 {
            inner_boxes -= 1;
        } else if is_edge(line.body) {
            return Some(i);
        } else if is_bullet(line.body) && inner_boxes == 0 {
            return None;
        }
    }
    None
}
