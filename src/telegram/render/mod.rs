//! Every message the bot sends: sessions, lists, decisions, notifications,
//! replies. Built as [`Html`], so outside text is escaped by construction.

use std::path::Path;

use chrono::{DateTime, Utc};
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup, MessageId};

use super::callback::Action;
use super::command::{COMMANDS, CommandInfo};
use super::html::Html;
use super::markdown::{self, Fitted, Limits};
use crate::events::ToolCall;
use crate::files::{FileToSend, Size};
use crate::session::{
    Answer, Decision, Ending, Level, ReconcileReport, SessionRecord, SessionState, Tapped,
};

mod access;
mod decisions;
mod media;
mod notices;
mod replies;
#[cfg(test)]
mod tests;
mod topics;

pub(crate) use access::*;
pub(crate) use decisions::*;
pub(crate) use media::*;
pub(crate) use notices::*;
pub(crate) use replies::*;
pub(crate) use topics::*;

/// Characters of text per message: under Telegram's 4096, with room for the
/// head line and markup around a chunk.
pub(crate) const CHUNK: usize = 3800;
/// The most of a question a decision message shows.
const MAX_QUESTION: usize = 500;
/// The most of a decision's context (command, diff) a message shows.
const MAX_CONTEXT: usize = 1500;
/// The most of a task a start message shows.
const MAX_TASK: usize = 500;
/// The most of a screen's tail a notification shows.
const MAX_TAIL: usize = 3000;
/// The most of what a working agent does, in a progress message.
const MAX_DOING: usize = 300;
/// The most of a button's label; Telegram cuts long ones anyway.
const MAX_BUTTON: usize = 60;
/// The most of a callback answer (Telegram allows 200).
pub(crate) const MAX_TOAST: usize = 190;
/// The most of an error shown in a list line.
const MAX_LIST_ERROR: usize = 120;
/// Sessions per `/ls` page: keeps the message under the length limit and its
/// keyboard under Telegram's 100 buttons.
pub(crate) const LIST_PAGE: usize = 10;

/// At most `max` characters, with `…` where text was cut.
pub(crate) fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Splits text into pieces of at most [`CHUNK`] characters, at line ends where it can.
pub(crate) fn chunks(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut current_len = 0;
    for line in text.split_inclusive('\n') {
        let mut line = line;
        loop {
            let len = line.chars().count();
            if current_len + len <= CHUNK {
                current.push_str(line);
                current_len += len;
                break;
            }
            if current_len > 0 {
                out.push(std::mem::take(&mut current));
                current_len = 0;
                continue;
            }
            // A single line longer than a chunk: cut it.
            let cut = line
                .char_indices()
                .nth(CHUNK)
                .map_or(line.len(), |(i, _)| i);
            out.push(line[..cut].to_owned());
            line = &line[cut..];
        }
    }
    if !current.is_empty() || out.is_empty() {
        out.push(current);
    }
    out
}

/// A screen as preformatted blocks, one message each, each under the limit.
pub(crate) fn pre_blocks(text: &str) -> Vec<Html> {
    let text = if text.trim().is_empty() {
        "(empty screen)"
    } else {
        text
    };
    chunks(text)
        .iter()
        .map(|c| Html::pre(c.trim_end_matches('\n')))
        .collect()
}

pub(crate) fn state_emoji(state: &SessionState) -> &'static str {
    match state {
        SessionState::Starting => "⏳",
        SessionState::Active { .. } if state.awaiting().is_some() => "❓",
        SessionState::Active { .. } => "🟢",
        SessionState::Stopped { .. } => "⏹",
        SessionState::Errored { .. } => "⚠️",
        SessionState::Removed => "🗑",
    }
}

/// `42s`, `5m`, `3h`, `2d`: how long ago `then` was.
pub fn age(then: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = (now - then).num_seconds().max(0);
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86_400 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86_400),
    }
}

/// A folder with the home folder shown as `~`.
pub fn short_folder(folder: &Path, home: Option<&Path>) -> String {
    match home.filter(|h| *h != Path::new("/")) {
        Some(home) => match folder.strip_prefix(home) {
            Ok(rest) if rest.as_os_str().is_empty() => "~".to_owned(),
            Ok(rest) => format!("~/{}", rest.display()),
            Err(_) => folder.display().to_string(),
        },
        None => folder.display().to_string(),
    }
}

/// The head of every message about a session: emoji and name first, so a
/// reply to it can be traced back to the session.
pub(crate) fn head(record: &SessionRecord) -> Html {
    let mut out = Html::raw(state_emoji(&record.state));
    out.push_raw(" ")
        .push(Html::bold(Html::text(record.name.as_str())));
    out
}

/// `tmux -L SOCKET attach -t NAME`, on a line of its own.
fn attach_hint(name: &str, socket: &str) -> Html {
    let mut out = Html::raw("\nAttach: ");
    out.push(Html::code(&format!("tmux -L {socket} attach -t {name}")));
    out
}

/// Peek plus Stop or Resume (and Remove when `remove`) for one session.
pub(crate) fn session_row(record: &SessionRecord, remove: bool) -> Vec<InlineKeyboardButton> {
    let id = record.id;
    let mut row = vec![button(&format!("👁 {}", record.name), Action::Peek(id))];
    if record.state.is_live() {
        row.push(button("⏹ Stop", Action::Stop(id)));
    } else {
        row.push(button("▶️ Resume", Action::Resume(id)));
    }
    if remove {
        row.push(button("🗑 Remove", Action::Remove(id)));
    }
    row
}

/// A session's card buttons: its row, and the notification level's button.
pub(crate) fn session_keyboard(record: &SessionRecord) -> InlineKeyboardMarkup {
    let mut row = session_row(record, false);
    row.push(button(level_label(record.level), Action::Level(record.id)));
    InlineKeyboardMarkup::new(vec![row])
}

/// The level button's label: the level the session is at.
fn level_label(level: Level) -> &'static str {
    match level {
        Level::All => "🔔 All",
        Level::Decisions => "🔉 Decisions",
        Level::Muted => "🔕 Muted",
    }
}

pub(crate) fn button(label: &str, action: Action) -> InlineKeyboardButton {
    InlineKeyboardButton::callback(truncate(label, MAX_BUTTON), action.encode())
}

fn peek_resume(session: &SessionRecord) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(vec![vec![
        button("👁 Peek", Action::Peek(session.id)),
        button("▶️ Resume", Action::Resume(session.id)),
    ]])
}
