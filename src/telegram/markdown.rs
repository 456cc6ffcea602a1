//! Agents' Markdown answers as Telegram HTML, and an answer fitted into one
//! message: whole, folded into an expandable blockquote, or sent as a file.
//!
//! Telegram takes only b, i, u, s, code, pre (with `<code class="language-x">`
//! for a language), a href, and blockquote (expandable), and entities nest
//! only so far: no blockquote in a blockquote, nothing in code or pre, no
//! code in a link or in bold, italic or strike, and no empty entity. The
//! renderer keeps to that: headings become bold lines, lists get bullets or
//! numbers, tables become preformatted text, and the agent's text enters
//! the [`Html`] only escaped.

use pulldown_cmark::{Alignment, CodeBlockKind, Event, LinkType, Options, Parser, Tag, TagEnd};

use super::html::Html;

/// The Markdown extensions agents write.
const OPTIONS: Options = Options::ENABLE_TABLES
    .union(Options::ENABLE_STRIKETHROUGH)
    .union(Options::ENABLE_TASKLISTS);

/// Link schemes a message may carry; other links keep their text only.
const SCHEMES: [&str; 4] = ["http://", "https://", "tg://", "mailto:"];

/// Bullets of lists nested 1, 2, 3 deep (then again).
const BULLETS: [&str; 3] = ["• ", "◦ ", "▪ "];

/// Markdown rendered as Telegram HTML, whole.
#[cfg(test)]
fn to_html(markdown: &str) -> Html {
    Html::join(blocks(markdown).into_iter().map(|(_, html)| html), "\n\n")
}

/// How long an answer may be, in characters of visible text (Telegram counts
/// UTF-16 units of the text left after parsing the tags).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limits {
    /// Visible text shown unfolded; the rest goes into an expandable
    /// blockquote. A file's head is at most this long.
    pub fold: usize,
    /// Most visible text in one message (Telegram's is 4096); past it, a file.
    pub max: usize,
}

/// An answer fitted into one Telegram message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Fitted {
    /// The whole answer.
    Whole(Html),
    /// Its first blocks, then the others in an expandable blockquote.
    Folded(Html),
    /// Past `max`: the first blocks (or the start of the first one, cut in
    /// plain text and ending in "…") for the message, and the Markdown for
    /// a `.md` file.
    File { head: Html, markdown: String },
}

/// `markdown` fitted into one message within `limits`: split only between
/// top-level blocks (or, for a file's head, in plain text), so never inside
/// a tag or an entity.
pub(crate) fn fit(markdown: &str, limits: Limits) -> Fitted {
    let (blocks, rendered): (Vec<_>, Vec<_>) = blocks(markdown).into_iter().unzip();
    let whole = Html::join(rendered.iter().cloned(), "\n\n");
    let total = visible_len(&whole);
    // A single block cannot be folded.
    if total <= limits.fold || (rendered.len() == 1 && total <= limits.max) {
        return Fitted::Whole(whole);
    }
    let head_blocks = head_count(&rendered, limits.fold);
    if total <= limits.max {
        let shown = head_blocks.max(1);
        let tail = blocks[shown..].iter().map(|b| render(b, true));
        let mut folded = Html::join(rendered[..shown].iter().cloned(), "\n\n");
        folded
            .push_raw("\n")
            .push(Html::expandable_quote(Html::join(tail, "\n\n")));
        if visible_len(&folded) <= limits.max {
            return Fitted::Folded(folded);
        }
    }
    let head = if head_blocks > 0 {
        Html::join(rendered[..head_blocks].iter().cloned(), "\n\n")
    } else {
        let first = plain(rendered.first().map_or("", Html::as_str));
        // Room for the "…" after the cut.
        let mut used = 0;
        let cut: String = first
            .chars()
            .take_while(|c| {
                used += c.len_utf16();
                used < limits.fold
            })
            .collect();
        let mut head = Html::text(cut.trim_end());
        head.push_raw("…");
        head
    };
    Fitted::File {
        head,
        markdown: markdown.to_owned(),
    }
}

/// How many of the first blocks fit together in `limit` visible characters.
fn head_count(rendered: &[Html], limit: usize) -> usize {
    let mut len = 0;
    let mut count = 0;
    for block in rendered {
        len += visible_len(block) + if count == 0 { 0 } else { 2 };
        if len > limit {
            break;
        }
        count += 1;
    }
    count
}

/// Characters of visible text, as Telegram counts them.
fn visible_len(html: &Html) -> usize {
    plain(html.as_str()).encode_utf16().count()
}

/// The visible text of HTML made here: tags dropped, entities decoded.
fn plain(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(i) = rest.find(['<', '&']) {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let end = if rest.starts_with('<') {
            rest.find('>')
        } else {
            out.push(match rest.get(..4) {
                Some("&lt;") => '<',
                Some("&gt;") => '>',
                _ if rest.starts_with("&quot;") => '"',
                _ => '&',
            });
            rest.find(';')
        };
        rest = &rest[end.map_or(rest.len(), |j| j + 1)..];
    }
    out.push_str(rest);
    out
}

/// The Markdown's top-level blocks that show something: their parser
/// events and their HTML.
fn blocks(markdown: &str) -> Vec<(Vec<Event<'_>>, Html)> {
    let mut blocks = Vec::new();
    let mut current = Vec::new();
    let mut depth = 0usize;
    for event in Parser::new_ext(markdown, OPTIONS) {
        match &event {
            Event::Start(_) => depth += 1,
            Event::End(_) => depth = depth.saturating_sub(1),
            _ => {}
        }
        current.push(event);
        if depth == 0 {
            let events = std::mem::take(&mut current);
            let html = render(&events, false);
            if !html.is_empty() {
                blocks.push((events, html));
            }
        }
    }
    blocks
}

/// One block's HTML; `in_quote` when it goes inside a blockquote already,
/// so its own blockquotes are flattened.
fn render(events: &[Event<'_>], in_quote: bool) -> Html {
    let mut renderer = Renderer {
        quote: if in_quote { Quote::Inside } else { Quote::None },
        ..Renderer::default()
    };
    for event in events {
        renderer.event(event);
    }
    renderer.out
}

/// An inline tag open in the Markdown; `written` once its opening tag is in
/// the output. Tags open lazily (so none is ever empty) and close around
/// inline code, which they may not contain.
#[derive(Debug)]
struct Open {
    tag: Inline,
    written: bool,
}

/// An inline tag Telegram takes, or the text of a link it may not carry.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Inline {
    Bold,
    Italic,
    Strike,
    /// A link to an allowed address.
    Link(String),
    /// A link to another address: its text only.
    Unlinked,
}

impl Inline {
    fn open(&self, out: &mut Html) {
        match self {
            Inline::Bold => out.push_raw("<b>"),
            Inline::Italic => out.push_raw("<i>"),
            Inline::Strike => out.push_raw("<s>"),
            Inline::Link(url) => out.push_raw("<a href=\"").push_text(url).push_raw("\">"),
            Inline::Unlinked => out,
        };
    }

    fn close(&self, out: &mut Html) {
        out.push_raw(match self {
            Inline::Bold => "</b>",
            Inline::Italic => "</i>",
            Inline::Strike => "</s>",
            Inline::Link(_) => "</a>",
            Inline::Unlinked => "",
        });
    }
}

/// The blockquote tag of the block being rendered.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Quote {
    /// Not in a quote.
    #[default]
    None,
    /// In a quote whose tag opens with its first content (an empty quote
    /// gives nothing).
    Pending,
    /// In a quote whose tag is written.
    Written,
    /// Inside a blockquote already (the block's own or an enclosing one):
    /// quotes in it are flattened.
    Inside,
}

/// A code block being read: its language and text.
#[derive(Debug)]
struct CodeBlock {
    language: Option<String>,
    text: String,
}

/// A table being read: column alignments and rows of plain-text cells.
#[derive(Debug, Default)]
struct Table {
    alignments: Vec<Alignment>,
    rows: Vec<Vec<String>>,
    head_rows: usize,
}

impl Table {
    /// The table as aligned plain text, a rule under its head.
    fn text(&self) -> String {
        let columns = self.rows.iter().map(Vec::len).max().unwrap_or(0);
        let width = |c: usize| {
            self.rows
                .iter()
                .filter_map(|row| row.get(c))
                .map(|cell| cell.chars().count())
                .max()
                .unwrap_or(0)
        };
        let widths: Vec<usize> = (0..columns).map(width).collect();
        let mut lines = Vec::new();
        for (i, row) in self.rows.iter().enumerate() {
            let cells: Vec<String> = widths
                .iter()
                .enumerate()
                .map(|(c, &w)| {
                    let cell = row.get(c).map_or("", String::as_str);
                    match self.alignments.get(c) {
                        Some(Alignment::Right) => format!("{cell:>w$}"),
                        Some(Alignment::Center) => format!("{cell:^w$}"),
                        _ => format!("{cell:<w$}"),
                    }
                })
                .collect();
            lines.push(cells.join(" | ").trim_end().to_owned());
            if i + 1 == self.head_rows {
                let rule: Vec<String> = widths.iter().map(|&w| "-".repeat(w.max(1))).collect();
                lines.push(rule.join("-+-"));
            }
        }
        lines.join("\n")
    }
}

/// The state of rendering one block. Newlines are held back until content
/// follows them, so no tag ever closes after a newline.
#[derive(Debug, Default)]
struct Renderer {
    out: Html,
    /// Newlines wanted before the next content.
    pending: usize,
    /// A list item's marker was just written: content follows on its line.
    fresh_item: bool,
    inline: Vec<Open>,
    /// The next number of each open list (None for bullets).
    lists: Vec<Option<u64>>,
    quote: Quote,
    /// Markdown blockquotes open.
    quotes: usize,
    code: Option<CodeBlock>,
    table: Option<Table>,
}

impl Renderer {
    fn event(&mut self, event: &Event<'_>) {
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(tag) => self.end(*tag),
            Event::Text(text) | Event::Html(text) | Event::InlineHtml(text) => self.text(text),
            Event::Code(code) | Event::InlineMath(code) | Event::DisplayMath(code) => {
                self.inline_code(code)
            }
            Event::FootnoteReference(label) => self.text(&format!("[{label}]")),
            Event::SoftBreak | Event::HardBreak => self.text("\n"),
            Event::Rule => {
                self.block();
                self.flush();
                self.write_raw("──────────");
                self.gap();
            }
            Event::TaskListMarker(done) => self.text(if *done { "☑ " } else { "☐ " }),
        }
    }

    fn start(&mut self, tag: &Tag<'_>) {
        match tag {
            Tag::Heading { .. } => {
                self.block();
                self.push(Inline::Bold);
            }
            Tag::BlockQuote(_) => {
                self.block();
                if self.quote == Quote::None {
                    self.quote = Quote::Pending;
                }
                self.quotes += 1;
            }
            Tag::CodeBlock(kind) => {
                self.block();
                self.code = Some(CodeBlock {
                    language: match kind {
                        CodeBlockKind::Fenced(info) => language(info),
                        CodeBlockKind::Indented => None,
                    },
                    text: String::new(),
                });
            }
            Tag::List(start) => {
                self.block();
                self.lists.push(*start);
            }
            Tag::Item => {
                self.want(1);
                self.flush();
                let depth = self.lists.len().saturating_sub(1);
                let number = match self.lists.last_mut() {
                    Some(Some(n)) => {
                        *n += 1;
                        Some(*n - 1)
                    }
                    _ => None,
                };
                self.out.push_text(&"   ".repeat(depth));
                match number {
                    Some(n) => self.out.push_text(&format!("{n}. ")),
                    None => self.out.push_text(BULLETS[depth % BULLETS.len()]),
                };
                self.fresh_item = true;
            }
            Tag::Table(alignments) => {
                self.block();
                self.table = Some(Table {
                    alignments: alignments.clone(),
                    ..Table::default()
                });
            }
            Tag::TableHead | Tag::TableRow => {
                if let Some(table) = &mut self.table {
                    table.rows.push(Vec::new());
                }
            }
            Tag::TableCell => {
                if let Some(row) = self.table.as_mut().and_then(|t| t.rows.last_mut()) {
                    row.push(String::new());
                }
            }
            Tag::Emphasis => self.push(Inline::Italic),
            Tag::Strong => self.push(Inline::Bold),
            Tag::Strikethrough => self.push(Inline::Strike),
            Tag::Link {
                link_type,
                dest_url,
                ..
            }
            | Tag::Image {
                link_type,
                dest_url,
                ..
            } => {
                let url = if *link_type == LinkType::Email {
                    format!("mailto:{dest_url}")
                } else {
                    dest_url.to_string()
                };
                let allowed = SCHEMES.iter().any(|scheme| {
                    url.get(..scheme.len())
                        .is_some_and(|start| start.eq_ignore_ascii_case(scheme))
                });
                self.push(if allowed && !self.in_link() && self.table.is_none() {
                    Inline::Link(url)
                } else {
                    Inline::Unlinked
                });
            }
            Tag::Paragraph
            | Tag::HtmlBlock
            | Tag::MetadataBlock(_)
            | Tag::Superscript
            | Tag::Subscript
            | Tag::FootnoteDefinition(_)
            | Tag::DefinitionList
            | Tag::DefinitionListTitle
            | Tag::DefinitionListDefinition => {}
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Paragraph | TagEnd::HtmlBlock | TagEnd::MetadataBlock(_) => self.gap(),
            TagEnd::Heading(_) => {
                self.pop();
                self.gap();
            }
            TagEnd::BlockQuote(_) => {
                self.quotes = self.quotes.saturating_sub(1);
                if self.quotes == 0 {
                    match self.quote {
                        Quote::Written => {
                            self.out.push_raw("</blockquote>");
                            self.pending = 0;
                            self.quote = Quote::None;
                        }
                        Quote::Pending => self.quote = Quote::None,
                        Quote::None | Quote::Inside => {}
                    }
                }
                self.gap();
            }
            TagEnd::CodeBlock => {
                // An empty block gives nothing: Telegram takes no empty entity.
                if let Some(code) = self.code.take()
                    && let text = code.text.strip_suffix('\n').unwrap_or(&code.text)
                    && !text.is_empty()
                {
                    self.flush();
                    match &code.language {
                        Some(language) => self
                            .out
                            .push_raw("<pre><code class=\"language-")
                            .push_text(language)
                            .push_raw("\">")
                            .push_text(text)
                            .push_raw("</code></pre>"),
                        None => self.out.push(Html::pre(text)),
                    };
                    self.fresh_item = false;
                }
                self.gap();
            }
            TagEnd::List(_) => {
                self.lists.pop();
                self.gap();
            }
            TagEnd::Item => self.want(1),
            TagEnd::Table => {
                if let Some(table) = self.table.take() {
                    self.flush();
                    self.out.push(Html::pre(&table.text()));
                    self.fresh_item = false;
                }
                self.gap();
            }
            TagEnd::TableHead => {
                if let Some(table) = &mut self.table {
                    table.head_rows = table.rows.len();
                }
            }
            TagEnd::Link | TagEnd::Image => {
                // A link with no text shows its address.
                if let Some(Open {
                    tag: Inline::Link(url),
                    written: false,
                }) = self.inline.last()
                {
                    let url = url.clone();
                    self.text(&url);
                }
                self.pop();
            }
            TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough => self.pop(),
            TagEnd::TableRow
            | TagEnd::TableCell
            | TagEnd::Superscript
            | TagEnd::Subscript
            | TagEnd::FootnoteDefinition
            | TagEnd::DefinitionList
            | TagEnd::DefinitionListTitle
            | TagEnd::DefinitionListDefinition => {}
        }
    }

    /// Agent text: into the code block or table being read, else escaped
    /// into the output inside the open inline tags, its final newlines held
    /// back until more content comes.
    fn text(&mut self, text: &str) {
        if let Some(code) = &mut self.code {
            code.text.push_str(text);
        } else if let Some(table) = &mut self.table {
            if let Some(cell) = table.rows.last_mut().and_then(|row| row.last_mut()) {
                cell.push_str(&text.replace('\n', " "));
            }
        } else {
            let body = text.trim_end_matches('\n');
            if !body.is_empty() {
                self.flush();
                self.write_inline_tags();
                self.out.push_text(body);
                self.fresh_item = false;
            }
            self.pending += text.len() - body.len();
        }
    }

    /// Inline code: its own tag, with bold and the like closed around it
    /// (they reopen with the next text); plain inside a link or a table.
    fn inline_code(&mut self, code: &str) {
        if self.code.is_some() || self.table.is_some() || self.in_link() {
            return self.text(code);
        }
        if code.is_empty() {
            return;
        }
        self.flush();
        for open in self.inline.iter_mut().rev().filter(|o| o.written) {
            open.tag.close(&mut self.out);
            open.written = false;
        }
        self.out.push(Html::code(code));
        self.fresh_item = false;
    }

    fn in_link(&self) -> bool {
        self.inline
            .iter()
            .any(|o| matches!(o.tag, Inline::Link(_) | Inline::Unlinked))
    }

    fn push(&mut self, tag: Inline) {
        self.inline.push(Open {
            tag,
            written: false,
        });
    }

    fn pop(&mut self) {
        if let Some(open) = self.inline.pop()
            && open.written
        {
            open.tag.close(&mut self.out);
        }
    }

    /// Opens the inline tags not written yet (always the innermost ones).
    fn write_inline_tags(&mut self) {
        for open in self.inline.iter_mut().filter(|o| !o.written) {
            open.tag.open(&mut self.out);
            open.written = true;
        }
    }

    fn write_raw(&mut self, markup: &'static str) {
        self.out.push_raw(markup);
        self.fresh_item = false;
    }

    /// A block starts: on a line of its own, unless right after a list
    /// item's marker.
    fn block(&mut self) {
        if !self.fresh_item {
            self.want(1);
        }
    }

    /// A block ended: a blank line before what follows, a line break in a list.
    fn gap(&mut self) {
        self.want(if self.lists.is_empty() { 2 } else { 1 });
    }

    fn want(&mut self, newlines: usize) {
        self.pending = self.pending.max(newlines);
    }

    /// Before content: the newlines held back (none at the very start), then
    /// the tag of a quote that has its first content.
    fn flush(&mut self) {
        if !self.out.is_empty() {
            for _ in 0..self.pending {
                self.out.push_raw("\n");
            }
        }
        self.pending = 0;
        if self.quote == Quote::Pending {
            self.out.push_raw("<blockquote>");
            self.quote = Quote::Written;
        }
    }
}

/// The language of a fenced block's info string (`rust`, `c++`, `shell`),
/// kept to characters safe in a class name.
fn language(info: &str) -> Option<String> {
    let word = info.split_whitespace().next()?;
    let language: String = word
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || "_+#.-".contains(*c))
        .take(32)
        .collect();
    language
        .contains(|c: char| c.is_ascii_alphanumeric())
        .then_some(language)
}

#[cfg(test)]
mod tests;
