//! The outbox: every message the bot sends or edits waits here, in a file of
//! its own in the data folder, until Telegram accepts it. One worker delivers
//! them in order, retrying transient failures (5xx, 429, dropped connections)
//! for as long as they take, so a Telegram outage or a crash loses nothing.
//! A decision's message that is no longer open by its turn is dropped, and
//! said so in the log.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use serde::{Deserialize, Serialize};
use teloxide::types::{ChatId, InlineKeyboardMarkup, MessageId};
use tokio::sync::Notify;

use super::html::Html;
use super::posted::Place;
use super::send::{self, Retry};
use super::{Ctx, TgBot, render, topics};
use crate::durable;
use crate::session::SessionId;

const DIR: &str = "outbox";
use super::send::{FIRST_BACKOFF, MAX_BACKOFF};

/// Where in its chat an item lands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub(crate) enum Thread {
    /// The chat itself: a private chat, or a forum's General topic.
    #[default]
    Main,
    /// A forum topic known by its id (a reply in the topic it was asked in).
    Topic(i32),
    /// The session's topic in the sessions group, made when first needed
    /// (see [`super::topics`]).
    Of(SessionId),
}

/// Whose line an [`Outgoing::Progress`] item is: a message sent the first
/// time, then edited in place, in each chat it goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
// Untagged, so that a turn's line is the bare session id items were kept
// with before answers had lines.
#[serde(untagged)]
pub(crate) enum Line {
    /// A session's progress during its turn (in the sessions group, in its
    /// topic). A turn that ends before any was shown tells nothing.
    Turn(SessionId),
    /// The bot's answer to the user's message `to` (a voice note, a file),
    /// in `thread`: what it is doing, then how it went.
    Answer { to: i32, thread: Thread },
}

impl Line {
    /// Where the line's message goes in `chat`.
    fn thread(&self, ctx: &Ctx, chat: i64) -> Thread {
        match self {
            Line::Turn(session) => match &ctx.topics {
                Some(topics) if topics.chat().0 == chat => Thread::Of(*session),
                _ => Thread::Main,
            },
            Line::Answer { thread, .. } => *thread,
        }
    }
}

/// One thing to tell a phone. Markup is kept as the rendered string: only
/// [`Html`] values become items, and the file is the bot's own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) enum Outgoing {
    Message {
        chat: i64,
        markup: String,
        keyboard: Option<InlineKeyboardMarkup>,
        /// The phone opens its keyboard to reply to it.
        ask_reply: bool,
        /// The decision (session, serial) it shows: sent only while that
        /// decision is open, and recorded as one of its messages.
        decision: Option<(SessionId, u32)>,
        #[serde(default)]
        thread: Thread,
    },
    /// Preformatted text too long for a message, as a `.txt` file.
    Document {
        chat: i64,
        caption: String,
        file_name: String,
        contents: String,
        keyboard: Option<InlineKeyboardMarkup>,
        #[serde(default)]
        thread: Thread,
    },
    Edit {
        chat: i64,
        message: i32,
        markup: String,
        keyboard: Option<InlineKeyboardMarkup>,
    },
    /// A line in `chat` (see [`Line`]): sent the first time, then edited to
    /// `markup` and `keyboard`; after the `last` edit its message is
    /// forgotten.
    Progress {
        chat: i64,
        #[serde(alias = "session")]
        line: Line,
        markup: String,
        keyboard: Option<InlineKeyboardMarkup>,
        last: bool,
    },
    /// Redraws every message showing an open decision, buttons kept, as
    /// known when its turn comes; they stay listed for its settling.
    Redraw {
        session: SessionId,
        serial: u32,
        markup: String,
        keyboard: InlineKeyboardMarkup,
    },
    /// Edits every message showing a decision, as known when its turn comes
    /// (after the messages queued before it were sent).
    Settle {
        session: SessionId,
        serial: u32,
        markup: String,
    },
    /// Squares a session's topic with the session, as read when its turn
    /// comes: made if missing, titled with its state, closed once removed.
    Topic { session: SessionId },
}

impl Outgoing {
    pub(crate) fn message(
        chat: ChatId,
        text: &Html,
        keyboard: Option<InlineKeyboardMarkup>,
    ) -> Self {
        Outgoing::Message {
            chat: chat.0,
            markup: text.to_string(),
            keyboard: keyboard.filter(|k| !k.inline_keyboard.is_empty()),
            ask_reply: false,
            decision: None,
            thread: Thread::Main,
        }
    }

    /// The same message or document, in `thread` of its chat.
    pub(crate) fn in_thread(mut self, to: Thread) -> Self {
        if let Outgoing::Message { thread, .. } | Outgoing::Document { thread, .. } = &mut self {
            *thread = to;
        }
        self
    }

    /// Where in its chat it lands.
    pub(crate) fn thread(&self) -> Thread {
        match self {
            Outgoing::Message { thread, .. } | Outgoing::Document { thread, .. } => *thread,
            _ => Thread::Main,
        }
    }

    /// A message showing decision `serial` of `session`.
    pub(crate) fn decision(
        chat: ChatId,
        (text, keyboard): &(Html, InlineKeyboardMarkup),
        session: SessionId,
        serial: u32,
    ) -> Self {
        Outgoing::Message {
            chat: chat.0,
            markup: text.to_string(),
            keyboard: Some(keyboard.clone()),
            ask_reply: false,
            decision: Some((session, serial)),
            thread: Thread::Main,
        }
    }

    /// A message the phone answers with a reply.
    pub(crate) fn ask_reply(chat: ChatId, text: &Html) -> Self {
        Outgoing::Message {
            chat: chat.0,
            markup: text.to_string(),
            keyboard: None,
            ask_reply: true,
            decision: None,
            thread: Thread::Main,
        }
    }

    /// `head` and then `text` as preformatted: one message when it fits,
    /// else a `.txt` document named `file_name`.
    pub(crate) fn screen(
        chat: ChatId,
        head: &Html,
        text: &str,
        file_name: &str,
        keyboard: Option<InlineKeyboardMarkup>,
    ) -> Self {
        let blocks = render::pre_blocks(text);
        if let [block] = blocks.as_slice() {
            let mut message = head.clone();
            message.push_raw("\n").push(block.clone());
            return Outgoing::message(chat, &message, keyboard);
        }
        Outgoing::Document {
            chat: chat.0,
            caption: head.to_string(),
            file_name: file_name.to_owned(),
            contents: text.to_owned(),
            keyboard,
            thread: Thread::Main,
        }
    }

    /// Replaces a message's text; `None` takes its buttons off.
    pub(crate) fn edit(
        chat: ChatId,
        message: MessageId,
        text: &Html,
        keyboard: Option<InlineKeyboardMarkup>,
    ) -> Self {
        Outgoing::Edit {
            chat: chat.0,
            message: message.0,
            markup: text.to_string(),
            keyboard,
        }
    }

    /// A text as a file (`file_name`), with `caption`.
    pub(crate) fn file(chat: ChatId, caption: &Html, file_name: &str, contents: &str) -> Self {
        Outgoing::Document {
            chat: chat.0,
            caption: caption.to_string(),
            file_name: file_name.to_owned(),
            contents: contents.to_owned(),
            keyboard: None,
            thread: Thread::Main,
        }
    }

    /// The progress of `session`'s turn; the `last` (`keyboard` `None`)
    /// takes the buttons off.
    pub(crate) fn progress(
        chat: ChatId,
        session: SessionId,
        text: &Html,
        keyboard: Option<InlineKeyboardMarkup>,
        last: bool,
    ) -> Self {
        Outgoing::on_line(chat, Line::Turn(session), text, keyboard, last)
    }

    /// The answer to the user's message `to`, in `thread`: what is being
    /// done, then, `last`, how it went (as an edit, or a message of its own
    /// when nothing was shown).
    pub(crate) fn answer(
        chat: ChatId,
        to: MessageId,
        thread: Thread,
        text: &Html,
        keyboard: Option<InlineKeyboardMarkup>,
        last: bool,
    ) -> Self {
        let line = Line::Answer { to: to.0, thread };
        Outgoing::on_line(chat, line, text, keyboard, last)
    }

    /// `text` on `line` in `chat`; an empty keyboard is none.
    fn on_line(
        chat: ChatId,
        line: Line,
        text: &Html,
        keyboard: Option<InlineKeyboardMarkup>,
        last: bool,
    ) -> Self {
        Outgoing::Progress {
            chat: chat.0,
            line,
            markup: text.to_string(),
            keyboard: keyboard.filter(|k| !k.inline_keyboard.is_empty()),
            last,
        }
    }

    pub(crate) fn redraw(
        session: SessionId,
        serial: u32,
        text: &Html,
        keyboard: InlineKeyboardMarkup,
    ) -> Self {
        Outgoing::Redraw {
            session,
            serial,
            markup: text.to_string(),
            keyboard,
        }
    }

    pub(crate) fn settle(session: SessionId, serial: u32, text: &Html) -> Self {
        Outgoing::Settle {
            session,
            serial,
            markup: text.to_string(),
        }
    }
}

/// The queue, in memory and on disk (`outbox/<seq>.json`, one file an item).
pub(crate) struct Outbox {
    dir: PathBuf,
    queue: Mutex<Queue>,
    wake: Notify,
}

struct Queue {
    items: VecDeque<(u64, Outgoing)>,
    next: u64,
}

impl Outbox {
    /// Opens the outbox in `data_dir`, with what a crash left in it.
    pub(crate) fn open(data_dir: &Path) -> std::io::Result<Outbox> {
        let dir = data_dir.join(DIR);
        std::fs::create_dir_all(&dir)?;
        durable::remove_stale_temps(&dir.join("0.json"))?;
        let mut items = Vec::new();
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            let Some(seq) = path
                .file_stem()
                .and_then(|s| s.to_str())
                .and_then(|s| s.parse::<u64>().ok())
            else {
                continue;
            };
            match std::fs::read(&path).map(|b| serde_json::from_slice::<Outgoing>(&b)) {
                Ok(Ok(item)) => items.push((seq, item)),
                Ok(Err(e)) => {
                    let aside = path.with_extension("json.corrupt");
                    tracing::error!("{}: {e}; moved to {}", path.display(), aside.display());
                    std::fs::rename(&path, aside)?;
                }
                Err(e) => return Err(e),
            }
        }
        items.sort_by_key(|(seq, _)| *seq);
        if !items.is_empty() {
            tracing::info!("outbox: {} messages from before to deliver", items.len());
        }
        let next = items.last().map_or(0, |(seq, _)| seq + 1);
        Ok(Outbox {
            dir,
            queue: Mutex::new(Queue {
                items: items.into(),
                next,
            }),
            wake: Notify::new(),
        })
    }

    /// Queues `item`, durably, and wakes the worker. When the file cannot be
    /// written the item is still delivered by this run, and the error logged.
    pub(crate) fn push(&self, item: Outgoing) {
        let mut queue = self.lock();
        let seq = queue.next;
        queue.next += 1;
        let written = serde_json::to_vec(&item)
            .map_err(std::io::Error::other)
            .and_then(|bytes| durable::write_atomic(&self.path(seq), &bytes));
        if let Err(e) = written {
            tracing::error!("outbox: could not keep a message on disk: {e}");
        }
        queue.items.push_back((seq, item));
        drop(queue);
        self.wake.notify_one();
    }

    /// How many items wait.
    pub(crate) fn len(&self) -> usize {
        self.lock().items.len()
    }

    /// Whether a message showing decision `serial` of `session` waits here.
    pub(crate) fn holds_decision(&self, session: SessionId, serial: u32) -> bool {
        self.lock().items.iter().any(|(_, item)| {
            matches!(item, Outgoing::Message { decision: Some(d), .. } if *d == (session, serial))
        })
    }

    fn path(&self, seq: u64) -> PathBuf {
        self.dir.join(format!("{seq:020}.json"))
    }

    fn front(&self) -> Option<(u64, Outgoing)> {
        self.lock().items.front().cloned()
    }

    fn done(&self, seq: u64) {
        let mut queue = self.lock();
        queue.items.retain(|(s, _)| *s != seq);
        if let Err(e) = std::fs::remove_file(self.path(seq))
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::error!("outbox: {e}");
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Delivers the outbox in order, forever (the bot aborts it at shutdown; what
/// is left waits for the next start).
pub(crate) async fn run(bot: TgBot, ctx: std::sync::Arc<Ctx>) {
    loop {
        let wake = ctx.outbox.wake.notified();
        let Some((seq, item)) = ctx.outbox.front() else {
            wake.await;
            continue;
        };
        deliver(&bot, &ctx, &item).await;
        ctx.outbox.done(seq);
    }
}

/// Sends one item, retrying transient failures until it is accepted, refused
/// for good, or no longer matters.
async fn deliver(bot: &TgBot, ctx: &Ctx, item: &Outgoing) {
    if let Outgoing::Progress {
        chat,
        line,
        markup,
        keyboard,
        last,
    } = item
    {
        let key = (*line, *chat);
        let shown = ctx.progress_lock().get(&key).copied();
        let step = match (shown, line) {
            // The turn ended before any of its progress was told.
            (None, Line::Turn(_)) if *last => return,
            (None, _) => Outgoing::Message {
                chat: *chat,
                markup: markup.clone(),
                keyboard: keyboard.clone(),
                ask_reply: false,
                decision: None,
                thread: line.thread(ctx, *chat),
            },
            (Some(message), _) => Outgoing::Edit {
                chat: *chat,
                message,
                markup: markup.clone(),
                keyboard: keyboard.clone(),
            },
        };
        let sent = Box::pin(attempt(bot, ctx, &step)).await;
        if *last {
            ctx.progress_lock().remove(&key);
        } else if let Some(sent) = sent {
            ctx.progress_lock().insert(key, sent.id.0);
        }
        return;
    }
    if let Outgoing::Redraw {
        session,
        serial,
        markup,
        keyboard,
    } = item
    {
        for place in ctx.posted.places(*session, *serial) {
            let (chat, message) = place.ids();
            let edit = Outgoing::Edit {
                chat: chat.0,
                message: message.0,
                markup: markup.clone(),
                keyboard: Some(keyboard.clone()),
            };
            Box::pin(deliver(bot, ctx, &edit)).await;
        }
        return;
    }
    if let Outgoing::Settle {
        session,
        serial,
        markup,
    } = item
    {
        let places = ctx.posted.take(*session, *serial);
        // A named event tests wait on.
        tracing::debug!(
            "outbox: decision {serial} of {session} settled in {} messages",
            places.len()
        );
        for place in places {
            topics::unpin(bot, ctx, place).await;
            let (chat, message) = place.ids();
            let edit = Outgoing::Edit {
                chat: chat.0,
                message: message.0,
                markup: markup.clone(),
                keyboard: None,
            };
            Box::pin(deliver(bot, ctx, &edit)).await;
        }
        return;
    }
    attempt(bot, ctx, item).await;
}

/// Sends one request until it is accepted (returning the message sent, if
/// it sent one), refused for good, or no longer matters.
async fn attempt(bot: &TgBot, ctx: &Ctx, item: &Outgoing) -> Option<teloxide::types::Message> {
    let mut backoff = FIRST_BACKOFF;
    loop {
        if let Outgoing::Message {
            decision: Some((session, serial)),
            ..
        } = item
            && !still_open(ctx, *session, *serial).await
        {
            tracing::info!(
                "outbox: decision {serial} of {session} closed before it could be sent; dropped"
            );
            return None;
        }
        let error = match topics::send(bot, ctx, item).await {
            Ok(sent) => {
                if let (
                    Some(message),
                    Outgoing::Message {
                        decision: Some((session, serial)),
                        ..
                    },
                ) = (&sent, item)
                {
                    ctx.posted
                        .add(*session, *serial, Place::new(message.chat.id, message.id));
                    topics::pin(bot, ctx, message).await;
                }
                return sent;
            }
            Err(e) => e,
        };
        let wait = match send::retry(&error) {
            Retry::After(wait) => wait,
            Retry::Backoff => {
                let wait = backoff;
                backoff = (backoff * 2).min(MAX_BACKOFF);
                wait
            }
            Retry::Never => {
                tracing::error!("outbox: Telegram refused a message for good: {error}");
                return None;
            }
        };
        tracing::warn!("outbox: {error}; trying again in {wait:?}");
        tokio::time::sleep(wait).await;
    }
}

/// Whether decision `serial` of `session` is still the open one.
async fn still_open(ctx: &Ctx, session: SessionId, serial: u32) -> bool {
    match ctx.run(move |m| m.get(session)).await {
        Ok(record) => record.pending().is_some_and(|d| d.serial == serial),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests;
