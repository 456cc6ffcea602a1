//! Button taps: one handler per action. Session work happens in the session
//! layer; a tap here only calls it and says how it went.

use std::sync::Arc;

use chrono::Utc;
use teloxide::prelude::*;
use teloxide::types::{ChatId, MaybeInaccessibleMessage, MessageId};

use super::callback::Action;
use super::command::PEEK_DEFAULT;
use super::commands::{Reply, peek_reply, state_reply};
use super::outbox::{Outgoing, Thread};
use super::posted::Place;
use super::{BotError, Ctx, HandlerResult, TgBot, media, render, send, topics};
use crate::config::UserId;
use crate::session::{AnswerOutcome, Decision, SessionRecord, Tapped};

/// A tap by someone not allowed: acknowledged, nothing done.
pub(super) async fn stranger(bot: TgBot, query: CallbackQuery) -> HandlerResult {
    let user = UserId(query.from.id.0);
    tracing::warn!(
        "refused a button tap from user {user} ({})",
        query.from.full_name()
    );
    send::retrying("answerCallbackQuery", || {
        bot.answer_callback_query(query.id.clone()).send()
    })
    .await?;
    Ok(())
}

/// A tap by an allowed user: done, then answered with a short toast (an
/// alert when it could not be done).
pub(super) async fn tap(bot: TgBot, ctx: Arc<Ctx>, query: CallbackQuery) -> HandlerResult {
    let action = Action::decode(query.data.as_deref().unwrap_or_default());
    let place = query
        .message
        .as_ref()
        .filter(|m| ctx.serves(m.chat()))
        .map(|m| (m.chat().id, m.id()));
    // Replies go in the tapped message's forum topic.
    let thread = query
        .message
        .as_ref()
        .and_then(|m| m.regular_message())
        .filter(|m| m.is_topic_message)
        .and_then(|m| m.thread_id)
        .map_or(Thread::Main, |t| Thread::Topic(t.0.0));
    let (answer, alert) = match (action, place) {
        (Err(e), _) => (e.to_string(), true),
        (Ok(_), None) => (
            "Use the buttons in your private chat with the bot.".to_owned(),
            true,
        ),
        (Ok(action), Some((chat, message))) => {
            let tap = Tap {
                bot: &bot,
                ctx: &ctx,
                chat,
                thread,
                message,
                who: query.from.full_name(),
                original: query.message.as_ref(),
            };
            match tap.act(action).await {
                Ok(text) => (text, false),
                Err(e) => (e.to_string(), true),
            }
        }
    };
    send::retrying("answerCallbackQuery", || {
        bot.answer_callback_query(query.id.clone())
            .text(render::truncate(&answer, render::MAX_TOAST))
            .show_alert(alert)
            .send()
    })
    .await?;
    Ok(())
}

/// One button tap by an allowed user, on a message in a private chat or the
/// sessions group.
struct Tap<'a> {
    /// For what a tap fetches from Telegram (a file given to a session).
    bot: &'a TgBot,
    ctx: &'a Ctx,
    chat: ChatId,
    /// Where in the chat replies go.
    thread: Thread,
    message: MessageId,
    who: String,
    original: Option<&'a MaybeInaccessibleMessage>,
}

impl Tap<'_> {
    /// Does what the button says; the text is the tap's short answer.
    async fn act(&self, action: Action) -> Result<String, BotError> {
        let ctx = self.ctx;
        match action {
            Action::Peek(id) => {
                peek_reply(ctx, id, PEEK_DEFAULT)
                    .await?
                    .deliver(ctx, self.chat, self.thread);
                Ok(String::new())
            }
            Action::Stop(id) => Ok(self.state_change(ctx.run(move |m| m.stop(id)).await?)),
            Action::Resume(id) => Ok(self.state_change(ctx.run(move |m| m.resume(id)).await?)),
            Action::Remove(id) => {
                let record = ctx.run(move |m| m.get(id)).await?;
                let (text, keyboard) = render::confirm_remove(&record, ctx.home.as_deref());
                let confirm = Outgoing::message(self.chat, &text, Some(keyboard));
                ctx.outbox.push(confirm.in_thread(self.thread));
                Ok(String::new())
            }
            Action::RemoveConfirmed(id) => {
                let record = ctx.run(move |m| m.remove(id)).await?;
                topics::touch(ctx, id);
                let text = render::state_change(&record, ctx.socket());
                self.edit(&text);
                Ok(format!("Removed {}", record.name))
            }
            Action::RemoveCancelled(id) => {
                let record = ctx.run(move |m| m.get(id)).await?;
                self.edit(&render::kept(&record));
                Ok("Kept".to_owned())
            }
            Action::Deliver { session, from } => {
                let place = (self.chat, self.message);
                media::tapped(self.bot, ctx, place, session, MessageId(from)).await
            }
            Action::Level(id) => {
                let level = ctx.run(move |m| m.get(id)).await?.level.next();
                let record = ctx.run(move |m| m.set_level(id, level)).await?;
                Reply::Text(render::level_set(&record), None).deliver(ctx, self.chat, self.thread);
                Ok(String::new())
            }
            Action::List { page, all } => {
                let records = ctx.run(|m| m.list()).await?;
                let (text, keyboard) = render::list(
                    &records,
                    all,
                    usize::from(page),
                    Utc::now(),
                    ctx.home.as_deref(),
                );
                ctx.outbox.push(Outgoing::edit(
                    self.chat,
                    self.message,
                    &text,
                    Some(keyboard),
                ));
                Ok(String::new())
            }
            Action::Quiet { session, quiet } => {
                let record = ctx
                    .run(move |m| m.set_quiet_progress(session, quiet))
                    .await?;
                Ok(render::quiet(&record))
            }
            Action::Answer {
                session,
                serial,
                fingerprint,
                option,
            } => {
                let who = self.who.clone();
                let outcome = ctx
                    .run(move |m| m.answer(session, serial, fingerprint, usize::from(option), &who))
                    .await?;
                Ok(self.answered(outcome))
            }
        }
    }

    /// Says how the tap went, and leaves the tapped message without live
    /// buttons whatever the outcome (the notifier edits the messages the
    /// registry lists; one it does not, say from a crash right after it was
    /// sent, is edited here).
    fn answered(&self, outcome: AnswerOutcome) -> String {
        match outcome {
            AnswerOutcome::Sent {
                session,
                decision,
                tapped,
                asks_reply,
            } => {
                self.settle(&session, &decision, &tapped);
                if asks_reply {
                    let prompt = render::ask_reply(&session);
                    let ask = Outgoing::ask_reply(self.chat, &prompt);
                    self.ctx.outbox.push(ask.in_thread(self.thread));
                }
                format!("Sent: {}", tapped.option)
            }
            AnswerOutcome::AlreadyAnswered {
                session,
                decision,
                tapped,
            } => {
                self.settle(&session, &decision, &tapped);
                format!("Already answered: {}, by {}", tapped.option, tapped.by)
            }
            AnswerOutcome::NotOpen => {
                let original = self
                    .original
                    .and_then(|m| m.regular_message())
                    .and_then(|m| m.text());
                self.edit(&render::no_longer_open(original));
                "This prompt is no longer open; nothing was sent.".to_owned()
            }
        }
    }

    /// Replies with the session's state after a stop or resume.
    fn state_change(&self, record: crate::session::SessionRecord) -> String {
        state_reply(self.ctx, &record).deliver(self.ctx, self.chat, self.thread);
        format!("{} is {}", record.name, record.state)
    }

    /// Marks the tapped message answered, unless the notifier's edit of
    /// every message showing the decision will (one edit, not two).
    fn settle(&self, session: &SessionRecord, decision: &Decision, tapped: &Tapped) {
        let place = Place::new(self.chat, self.message);
        if !self.ctx.posted.lists(session.id, decision.serial, place) {
            self.edit(&render::tapped(session, decision, tapped));
        }
    }

    /// Replaces the tapped message's text and takes its buttons off.
    fn edit(&self, text: &super::Html) {
        let edit = Outgoing::edit(self.chat, self.message, text, None);
        self.ctx.outbox.push(edit);
    }
}
