//! The notifier: session events become messages to every allowed user, one
//! line per event; decision messages are edited when their decision ends.

use std::sync::Arc;

use teloxide::types::{ChatId, InlineKeyboardMarkup};
use tokio::sync::mpsc::UnboundedReceiver;

use super::html::Html;
use super::outbox::Outgoing;
use super::{Ctx, render};
use crate::session::{Decision, Event, SessionRecord};

/// Delivers events until the channel closes. First squares the phones with
/// the store: decisions still open but never shown (a crash between opening
/// and sending) are pushed; messages of decisions that ended while the bot
/// was down lose their buttons.
pub async fn run(ctx: Arc<Ctx>, mut events: UnboundedReceiver<Event>) {
    catch_up(&ctx).await;
    // A named event tests wait on: the phones match the store again.
    tracing::info!("notifier: caught up");
    while let Some(event) = events.recv().await {
        notify(&ctx, event);
    }
}

fn notify(ctx: &Ctx, event: Event) {
    match event {
        Event::DecisionOpened { session, decision } => post(ctx, &session, &decision),
        Event::DecisionTapped {
            session,
            decision,
            tapped,
        } => {
            let text = render::tapped(&session, &decision, &tapped);
            settle(ctx, &session, &decision, text);
        }
        Event::DecisionClosed {
            session,
            decision,
            ending,
        } => {
            let text = render::closed(&session, &decision, &ending);
            settle(ctx, &session, &decision, text);
        }
        Event::TurnFinished { session, answer } => {
            let (text, keyboard, file) = render::turn_finished(&session, &answer);
            for chat in chats(ctx) {
                let done = render::progress_done(&session);
                ctx.outbox
                    .push(Outgoing::progress(chat, session.id, &done, None, true));
                ctx.outbox
                    .push(Outgoing::message(chat, &text, Some(keyboard.clone())));
                if let Some(markdown) = &file {
                    let name = format!("{}-answer.md", session.name);
                    let caption = Html::text(&name);
                    ctx.outbox
                        .push(Outgoing::file(chat, &caption, &name, markdown));
                }
            }
        }
        Event::Progress {
            session,
            doing,
            since,
        } => {
            let (text, keyboard) = render::progress(&session, &doing, since, chrono::Utc::now());
            for chat in chats(ctx) {
                let item =
                    Outgoing::progress(chat, session.id, &text, Some(keyboard.clone()), false);
                ctx.outbox.push(item);
            }
        }
        Event::Exited {
            session,
            exit_status,
            tail,
        } => broadcast(ctx, render::exited(&session, exit_status, &tail), None),
        Event::TaskWaits { session } => broadcast(ctx, render::task_waits(&session), None),
        Event::Errored { session, error } => {
            broadcast(ctx, render::errored(&session, &error), None);
        }
        Event::ServerGone { stopped } => {
            broadcast(ctx, render::server_gone(&stopped, ctx.socket()), None);
        }
    }
}

/// Queues `text` for every allowed user's private chat but `except`.
pub(crate) fn broadcast(
    ctx: &Ctx,
    (text, keyboard): (Html, InlineKeyboardMarkup),
    except: Option<ChatId>,
) {
    for chat in chats(ctx).filter(|c| Some(*c) != except) {
        ctx.outbox
            .push(Outgoing::message(chat, &text, Some(keyboard.clone())));
    }
}

/// Every allowed user's private chat.
fn chats(ctx: &Ctx) -> impl Iterator<Item = ChatId> {
    ctx.auth
        .users()
        .into_iter()
        .map(|user| ChatId(i64::try_from(user.0).unwrap_or(i64::MAX)))
}

/// Pushes a decision to the phones; the outbox records where it went.
fn post(ctx: &Ctx, session: &SessionRecord, decision: &Decision) {
    let message = render::decision(session, decision, ctx.socket());
    for chat in chats(ctx) {
        ctx.outbox.push(Outgoing::decision(
            chat,
            &message,
            session.id,
            decision.serial,
        ));
    }
}

/// Edits every message showing the decision to `text`, without buttons.
fn settle(ctx: &Ctx, session: &SessionRecord, decision: &Decision, text: Html) {
    ctx.outbox
        .push(Outgoing::settle(session.id, decision.serial, &text));
}

async fn catch_up(ctx: &Ctx) {
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
            ctx.outbox.push(Outgoing::settle(id, serial, &text));
        }
    }
    for record in &records {
        if let Some(decision) = record.pending()
            && !ctx.posted.shown(record.id, decision.serial)
            && !ctx.outbox.holds_decision(record.id, decision.serial)
        {
            post(ctx, record, decision);
        }
    }
}
