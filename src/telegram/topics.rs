//! The sessions group (`TGMUX_CHAT`): each session's forum topic, made when
//! its first message needs it and made again when deleted by hand; its title
//! kept to the session's state, edited at most once per [`TITLE_GAP`]; and a
//! decision pinned in it while open.
//!
//! Topics are made by the outbox worker, in order with the messages that go
//! in them: a topic's id is needed before its first message can be sent, a
//! Telegram outage then delays the topic like any message, and one worker
//! making them means a session never gets two.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use teloxide::prelude::*;
use teloxide::types::{ChatId, MessageId, ThreadId};
use teloxide::{ApiError, RequestError};

use super::outbox::{Outgoing, Thread};
use super::posted::Place;
use super::send::{self, Retry};
use super::{Ctx, TgBot, render};
use crate::session::{SessionId, SessionRecord, SessionState, Topic};

/// The least time between two edits of one topic's title.
pub(crate) const TITLE_GAP: Duration = Duration::from_secs(5);

/// The sessions group and what this run knows of its topics.
pub(crate) struct Topics {
    chat: ChatId,
    shown: Mutex<HashMap<SessionId, Shown>>,
}

/// What a session's topic shows, as far as this run knows.
#[derive(Default)]
struct Shown {
    /// Its title, as last set.
    title: Option<String>,
    /// When its title was last edited.
    edited: Option<Instant>,
    /// A square-up is queued, or waits for the gap to pass.
    queued: bool,
}

impl Topics {
    pub(crate) fn new(chat: i64) -> Topics {
        Topics {
            chat: ChatId(chat),
            shown: Mutex::default(),
        }
    }

    /// The sessions group.
    pub(crate) fn chat(&self) -> ChatId {
        self.chat
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<SessionId, Shown>> {
        self.shown.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The session whose topic is `thread`, among `records`, removed or not
    /// (a removed session's topic is closed, but can still be written in).
    pub(crate) fn record_in(
        &self,
        records: Vec<SessionRecord>,
        thread: i32,
    ) -> Option<SessionRecord> {
        let here = Topic {
            chat: self.chat.0,
            thread,
        };
        records.into_iter().find(|r| r.topic == Some(here))
    }
}

/// Queues squaring `session`'s topic with the session: at once, or once
/// [`TITLE_GAP`] has passed since its title was last edited. Nothing when
/// one is queued already (it reads the session when its turn comes) or
/// there is no sessions group.
pub(crate) fn touch(ctx: &Ctx, session: SessionId) {
    let Some(topics) = &ctx.topics else {
        return;
    };
    let wait = {
        let mut shown = topics.lock();
        let entry = shown.entry(session).or_default();
        if entry.queued {
            return;
        }
        entry.queued = true;
        entry
            .edited
            .map_or(Duration::ZERO, |at| TITLE_GAP.saturating_sub(at.elapsed()))
    };
    let item = Outgoing::Topic { session };
    if wait.is_zero() {
        ctx.outbox.push(item);
    } else {
        let outbox = Arc::clone(&ctx.outbox);
        tokio::spawn(async move {
            tokio::time::sleep(wait).await;
            outbox.push(item);
        });
    }
}

/// Squares the topic of every session not removed: the ones adopted at
/// start-up, or started before the group was set, get theirs.
pub(crate) async fn square_all(ctx: &Ctx) {
    if ctx.topics.is_none() {
        return;
    }
    match ctx.run(|m| m.list()).await {
        Ok(records) => records
            .iter()
            .filter(|r| r.state != SessionState::Removed)
            .for_each(|r| touch(ctx, r.id)),
        Err(e) => tracing::error!("reading the sessions to give them topics: {e}"),
    }
}

/// Sends an outbox item, in its session's topic when it goes in one (a
/// topic found deleted is made again and the item sent there), or squares a
/// topic.
pub(crate) async fn send(
    bot: &TgBot,
    ctx: &Ctx,
    item: &Outgoing,
) -> Result<Option<Message>, RequestError> {
    let (topics, session) = match (&ctx.topics, item) {
        (Some(topics), Outgoing::Topic { session }) => {
            return square(bot, ctx, topics, *session).await.map(|()| None);
        }
        (Some(topics), _) => match item.thread() {
            Thread::Of(session) => (topics, session),
            Thread::Topic(thread) => {
                return send::item(bot, &ctx.pace, item, Some(thread_id(thread))).await;
            }
            Thread::Main => return send::item(bot, &ctx.pace, item, None).await,
        },
        (None, _) => return send::item(bot, &ctx.pace, item, None).await,
    };
    let thread = thread_of(bot, ctx, topics, session).await?;
    match send::item(bot, &ctx.pace, item, thread).await {
        Err(e) if thread.is_some() && deleted(&e) => {
            forget(ctx, topics, session).await;
            let thread = thread_of(bot, ctx, topics, session).await?;
            send::item(bot, &ctx.pace, item, thread).await
        }
        sent => sent,
    }
}

/// Pins a decision's message sent in the sessions group (in its topic).
pub(crate) async fn pin(bot: &TgBot, ctx: &Ctx, message: &Message) {
    if ctx
        .topics
        .as_ref()
        .is_none_or(|t| t.chat != message.chat.id)
    {
        return;
    }
    let pinned = send::retrying("pinChatMessage", || {
        bot.pin_chat_message(message.chat.id, message.id)
            .disable_notification(true)
            .send()
    })
    .await;
    if let Err(e) = pinned {
        tracing::warn!("could not pin a decision in its topic: {e}");
    }
}

/// Unpins a decision's message in the sessions group, once it ended.
pub(crate) async fn unpin(bot: &TgBot, ctx: &Ctx, place: Place) {
    let (chat, message) = place.ids();
    if ctx.topics.as_ref().is_none_or(|t| t.chat != chat) {
        return;
    }
    let unpinned = send::retrying("unpinChatMessage", || {
        bot.unpin_chat_message(chat).message_id(message).send()
    })
    .await;
    if let Err(e) = unpinned {
        tracing::warn!("could not unpin an ended decision: {e}");
    }
}

/// The session's topic: the record's, or one made now when it has none (or
/// one in another group). `None` for the General topic: the session is
/// gone or removed, or Telegram refuses to make topics (said in the log).
async fn thread_of(
    bot: &TgBot,
    ctx: &Ctx,
    topics: &Topics,
    session: SessionId,
) -> Result<Option<ThreadId>, RequestError> {
    let Some(record) = record(ctx, session).await else {
        return Ok(None);
    };
    if let Some(topic) = record.topic.filter(|t| t.chat == topics.chat.0) {
        return Ok(Some(thread_id(topic.thread)));
    }
    if record.state == SessionState::Removed {
        return Ok(None);
    }
    let title = render::topic_title(&record);
    let made = match bot
        .create_forum_topic(topics.chat, title.clone())
        .send()
        .await
    {
        Ok(made) => made,
        Err(e) if send::retry(&e) == Retry::Never => {
            tracing::error!(
                "could not make a topic for {} ({e}); its messages go to the General topic. `tgmux doctor` checks the group",
                record.name
            );
            return Ok(None);
        }
        Err(e) => return Err(e),
    };
    let topic = Topic {
        chat: topics.chat.0,
        thread: made.thread_id.0.0,
    };
    if let Err(e) = ctx.run(move |m| m.set_topic(session, Some(topic))).await {
        tracing::error!("could not record the topic of {}: {e}", record.name);
    }
    tracing::info!("made topic {} for {}", topic.thread, record.name);
    topics.lock().entry(session).or_default().title = Some(title);
    Ok(Some(made.thread_id))
}

/// Makes the session's topic match it: titled with its state, closed once
/// removed and open otherwise. A topic deleted by hand is forgotten, to be
/// made again by the session's next message.
async fn square(
    bot: &TgBot,
    ctx: &Ctx,
    topics: &Topics,
    session: SessionId,
) -> Result<(), RequestError> {
    topics.lock().entry(session).or_default().queued = false;
    let Some(record) = record(ctx, session).await else {
        return Ok(());
    };
    let removed = record.state == SessionState::Removed;
    if removed && record.topic.is_none_or(|t| t.chat != topics.chat.0) {
        return Ok(());
    }
    let Some(thread) = thread_of(bot, ctx, topics, session).await? else {
        return Ok(());
    };
    let title = render::topic_title(&record);
    let shown = topics.lock().get(&session).and_then(|s| s.title.clone());
    if shown.as_ref() == Some(&title) {
        return Ok(());
    }
    let chat = topics.chat;
    let edited = bot
        .edit_forum_topic(chat, thread)
        .name(title.clone())
        .send()
        .await;
    // The state changed: a topic closed by hand opens again with its session.
    let opened = match edited {
        Ok(_) => Ok(()),
        Err(e) if not_modified(&e) => Ok(()),
        Err(e) => Err(e),
    };
    let closed = match opened {
        Ok(()) if removed => bot.close_forum_topic(chat, thread).send().await.map(drop),
        Ok(()) => bot.reopen_forum_topic(chat, thread).send().await.map(drop),
        Err(e) => Err(e),
    };
    match closed {
        Err(e) if deleted(&e) => {
            tracing::info!(
                "the topic of {} was deleted; made again when next needed",
                record.name
            );
            forget(ctx, topics, session).await;
            Ok(())
        }
        Err(e) if !not_modified(&e) => Err(e),
        _ => {
            let mut shown = topics.lock();
            let entry = shown.entry(session).or_default();
            entry.title = Some(title);
            entry.edited = Some(Instant::now());
            Ok(())
        }
    }
}

/// Drops a deleted topic from the session's record.
async fn forget(ctx: &Ctx, topics: &Topics, session: SessionId) {
    topics.lock().remove(&session);
    if let Err(e) = ctx.run(move |m| m.set_topic(session, None)).await {
        tracing::error!("could not forget a deleted topic: {e}");
    }
}

/// The record of `session`, removed or not.
async fn record(ctx: &Ctx, session: SessionId) -> Option<SessionRecord> {
    match ctx.run(|m| m.list()).await {
        Ok(records) => records.into_iter().find(|r| r.id == session),
        Err(e) => {
            tracing::error!("reading the sessions: {e}");
            None
        }
    }
}

/// Topic `thread` as teloxide names it.
pub(crate) fn thread_id(thread: i32) -> ThreadId {
    ThreadId(MessageId(thread))
}

/// Telegram's words for a topic that was deleted.
fn deleted(error: &RequestError) -> bool {
    matches!(error, RequestError::Api(ApiError::Unknown(d))
        if ["message thread not found", "TOPIC_ID_INVALID", "TOPIC_DELETED"]
            .iter()
            .any(|words| d.contains(words)))
}

/// Telegram's answer to an edit, close or reopen that changes nothing.
fn not_modified(error: &RequestError) -> bool {
    matches!(error, RequestError::Api(ApiError::Unknown(d)) if d.contains("TOPIC_NOT_MODIFIED"))
}
