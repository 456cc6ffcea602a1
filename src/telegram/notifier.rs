//! The notifier: session events become messages to every allowed user, one
//! line per event; decision messages are edited when their decision ends.

use std::sync::Arc;

use teloxide::types::{ChatId, InlineKeyboardMarkup, Message};
use tokio::sync::mpsc::UnboundedReceiver;

use super::html::Html;
use super::posted::Place;
use super::{Ctx, TgBot, render, send};
use crate::session::{Decision, Event, SessionRecord};

/// Delivers events until the channel closes. First squares the phones with
/// the store: decisions still open but never shown (a crash between opening
/// and sending) are pushed; messages of decisions that ended while the bot
/// was down lose their buttons.
pub async fn run(bot: TgBot, ctx: Arc<Ctx>, mut events: UnboundedReceiver<Event>) {
    catch_up(&bot, &ctx).await;
    // A named event tests wait on: the phones match the store again.
    tracing::info!("notifier: caught up");
    while let Some(event) = events.recv().await {
        notify(&bot, &ctx, event).await;
    }
}

async fn notify(bot: &TgBot, ctx: &Ctx, event: Event) {
    match event {
        Event::DecisionOpened { session, decision } => post(bot, ctx, &session, &decision).await,
        Event::DecisionTapped {
            session,
            decision,
            tapped,
        } => {
            settle(
                bot,
                ctx,
                &session,
                &decision,
                render::tapped(&session, &decision, &tapped),
            )
            .await
        }
        Event::DecisionClosed {
            session,
            decision,
            ending,
        } => {
            settle(
                bot,
                ctx,
                &session,
                &decision,
                render::closed(&session, &decision, &ending),
            )
            .await
        }
        Event::TurnFinished { session, tail } => {
            broadcast(bot, ctx, render::turn_finished(&session, &tail), None).await;
        }
        Event::Exited {
            session,
            exit_status,
            tail,
        } => {
            broadcast(bot, ctx, render::exited(&session, exit_status, &tail), None).await;
        }
        Event::Errored { session, error } => {
            broadcast(bot, ctx, render::errored(&session, &error), None).await;
        }
        Event::ServerGone { stopped } => {
            broadcast(bot, ctx, render::server_gone(&stopped, ctx.socket()), None).await;
        }
    }
}

/// Sends `text` to every allowed user's private chat but `except`, and
/// returns the messages sent; failures are logged, not fatal.
pub(crate) async fn broadcast(
    bot: &TgBot,
    ctx: &Ctx,
    (text, keyboard): (Html, InlineKeyboardMarkup),
    except: Option<ChatId>,
) -> Vec<Message> {
    let keyboard = (!keyboard.inline_keyboard.is_empty()).then_some(keyboard);
    let mut sent = Vec::new();
    for user in ctx.auth.users() {
        let chat = ChatId(i64::try_from(user.0).unwrap_or(i64::MAX));
        if Some(chat) == except {
            continue;
        }
        match send::html(bot, chat, &text, keyboard.clone()).await {
            Ok(message) => sent.push(message),
            Err(e) => tracing::error!("could not notify user {user}: {e}"),
        }
    }
    sent
}

/// Pushes a decision to the phones and records where it went.
async fn post(bot: &TgBot, ctx: &Ctx, session: &SessionRecord, decision: &Decision) {
    let message = render::decision(session, decision);
    for sent in broadcast(bot, ctx, message, None).await {
        let place = Place::new(sent.chat.id, sent.id);
        ctx.posted.add(session.id, decision.serial, place);
    }
}

/// Edits every message showing the decision to `text`, without buttons.
async fn settle(bot: &TgBot, ctx: &Ctx, session: &SessionRecord, decision: &Decision, text: Html) {
    for place in ctx.posted.take(session.id, decision.serial) {
        let (chat, message) = place.ids();
        if let Err(e) = send::edit(bot, chat, message, &text, None).await {
            tracing::warn!("could not update a decision message: {e}");
        }
    }
}

async fn catch_up(bot: &TgBot, ctx: &Ctx) {
    let records = match ctx.run(|m| m.list()).await {
        Ok(records) => records,
        Err(e) => {
            tracing::error!("reading the sessions to catch up: {e}");
            return;
        }
    };
    let open = |id, serial| {
        records
            .iter()
            .any(|r| r.id == id && r.pending().is_some_and(|d| d.serial == serial))
    };
    for (id, serial) in ctx.posted.decisions() {
        if !open(id, serial) {
            let text = Html::raw("☑️ This question is no longer open.");
            for place in ctx.posted.take(id, serial) {
                let (chat, message) = place.ids();
                let _ = send::edit(bot, chat, message, &text, None).await;
            }
        }
    }
    for record in &records {
        if let Some(decision) = record.pending()
            && !ctx.posted.shown(record.id, decision.serial)
        {
            post(bot, ctx, record, decision).await;
        }
    }
}
