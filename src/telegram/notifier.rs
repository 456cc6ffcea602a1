//! The notifier: session events become messages to every allowed user (or
//! to the session's topic in the sessions group), one line per event, as
//! much as the session's level lets through; decision messages are edited
//! when their decision ends.

use std::sync::Arc;

use teloxide::types::{ChatId, InlineKeyboardMarkup};
use tokio::sync::mpsc::UnboundedReceiver;

use super::html::Html;
use super::outbox::{Outgoing, Thread};
use super::{Ctx, render, topics};
use crate::session::{Decision, Event, Level, SessionId, SessionRecord};

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
    for session in touched(&event) {
        topics::touch(ctx, session);
    }
    match event {
        Event::DecisionOpened { session, decision } => post(ctx, &session, &decision),
        Event::DecisionNamed { session, decision } => {
            let (text, keyboard) = render::decision(&session, &decision, ctx.socket());
            let redraw = Outgoing::redraw(session.id, decision.serial, &text, keyboard);
            ctx.outbox.push(redraw);
        }
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
            let done = render::progress_done(&session);
            for (chat, _) in places(ctx, &session, News::Routine) {
                ctx.outbox
                    .push(Outgoing::progress(chat, session.id, &done, None, true));
            }
            for (chat, thread) in places(ctx, &session, News::Routine) {
                let told = Outgoing::message(chat, &text, Some(keyboard.clone()));
                ctx.outbox.push(told.in_thread(thread));
                if let Some(markdown) = &file {
                    let name = format!("{}-answer.md", session.name);
                    let caption = Html::text(&name);
                    let file = Outgoing::file(chat, &caption, &name, markdown);
                    ctx.outbox.push(file.in_thread(thread));
                }
            }
        }
        Event::Progress {
            session,
            doing,
            since,
        } => {
            let (text, keyboard) = render::progress(&session, &doing, since, chrono::Utc::now());
            for (chat, _) in places(ctx, &session, News::Routine) {
                let item =
                    Outgoing::progress(chat, session.id, &text, Some(keyboard.clone()), false);
                ctx.outbox.push(item);
            }
        }
        Event::Exited {
            session,
            exit_status,
            tail,
        } => {
            let news = match exit_status {
                Some(0) | None => News::Routine,
                Some(_) => News::Error,
            };
            tell(
                ctx,
                &session,
                news,
                render::exited(&session, exit_status, &tail),
            );
        }
        Event::TaskWaits { session } => {
            tell(ctx, &session, News::Routine, render::task_waits(&session));
        }
        Event::Errored { session, error } => {
            tell(
                ctx,
                &session,
                News::Error,
                render::errored(&session, &error),
            );
        }
        Event::ServerGone { stopped } => {
            broadcast(ctx, render::server_gone(&stopped, ctx.socket()), None);
        }
    }
}

/// The sessions whose state (and so topic title) an event changes.
fn touched(event: &Event) -> Vec<SessionId> {
    match event {
        Event::DecisionOpened { session, .. }
        | Event::DecisionNamed { session, .. }
        | Event::DecisionTapped { session, .. }
        | Event::DecisionClosed { session, .. }
        | Event::Exited { session, .. }
        | Event::Errored { session, .. } => vec![session.id],
        Event::ServerGone { stopped } => stopped.iter().map(|s| s.id).collect(),
        Event::TurnFinished { .. } | Event::TaskWaits { .. } | Event::Progress { .. } => Vec::new(),
    }
}

/// What kind of news a message is, for the session's [`Level`].
#[derive(Clone, Copy)]
enum News {
    Routine,
    Error,
}

/// Queues news of `session` where it is heard, unless its level mutes it.
fn tell(ctx: &Ctx, session: &SessionRecord, news: News, message: (Html, InlineKeyboardMarkup)) {
    for (chat, thread) in places(ctx, session, news) {
        let told = Outgoing::message(chat, &message.0, Some(message.1.clone()));
        ctx.outbox.push(told.in_thread(thread));
    }
}

/// Where news of `session` is heard: its topic in the sessions group, else
/// every allowed user's private chat; nowhere when its level mutes `news`.
fn places(ctx: &Ctx, session: &SessionRecord, news: News) -> Vec<(ChatId, Thread)> {
    let heard = match (session.level, news) {
        (Level::All, _) | (Level::Decisions, News::Error) => true,
        (Level::Decisions, News::Routine) | (Level::Muted, _) => false,
    };
    if !heard {
        tracing::debug!("{} is at level {:?}: not told", session.name, session.level);
        return Vec::new();
    }
    match ctx.topics.as_ref() {
        Some(topics) => vec![(topics.chat(), Thread::Of(session.id))],
        None => chats(ctx).map(|chat| (chat, Thread::Main)).collect(),
    }
}

/// Queues `text` for every allowed user's private chat but `except`; with a
/// sessions group, for its General topic instead.
pub(crate) fn broadcast(
    ctx: &Ctx,
    (text, keyboard): (Html, InlineKeyboardMarkup),
    except: Option<ChatId>,
) {
    if let Some(topics) = &ctx.topics {
        ctx.outbox
            .push(Outgoing::message(topics.chat(), &text, Some(keyboard)));
        return;
    }
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

/// Pushes a decision to the phones, whatever the session's level (to its
/// topic in the sessions group); the outbox records where it went.
fn post(ctx: &Ctx, session: &SessionRecord, decision: &Decision) {
    let message = render::decision(session, decision, ctx.socket());
    if let Some(topics) = &ctx.topics {
        let item = Outgoing::decision(topics.chat(), &message, session.id, decision.serial);
        ctx.outbox.push(item.in_thread(Thread::Of(session.id)));
        return;
    }
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
