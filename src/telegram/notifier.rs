//! The notifier: watcher events become messages to every allowed user.

use std::sync::Arc;

use teloxide::types::{ChatId, InlineKeyboardMarkup, Message};
use tokio::sync::mpsc::UnboundedReceiver;

use super::board::Posted;
use super::callback::Action;
use super::{Ctx, TgBot, render, send};
use crate::session::SessionRecord;
use crate::watch::Event;

/// Delivers events until the watcher's channel closes.
pub async fn run(bot: TgBot, ctx: Arc<Ctx>, mut events: UnboundedReceiver<Event>) {
    while let Some(event) = events.recv().await {
        notify(&bot, &ctx, event).await;
    }
}

/// Sends `text` to every allowed user's private chat but `except`, and
/// returns the messages sent; failures are logged, not fatal.
pub async fn broadcast(
    bot: &TgBot,
    ctx: &Ctx,
    text: &str,
    keyboard: Option<InlineKeyboardMarkup>,
    except: Option<ChatId>,
) -> Vec<Message> {
    let mut sent = Vec::new();
    for user in ctx.auth.users() {
        let chat = ChatId(i64::try_from(user.0).unwrap_or(i64::MAX));
        if Some(chat) == except {
            continue;
        }
        match send::html(bot, chat, text, keyboard.clone()).await {
            Ok(message) => sent.push(message),
            Err(e) => tracing::error!("could not notify user {user}: {e}"),
        }
    }
    sent
}

async fn notify(bot: &TgBot, ctx: &Ctx, event: Event) {
    match event {
        Event::DecisionOpened { session, decision } => {
            if !ctx.board.open(session.id, &decision) {
                return;
            }
            let (text, keyboard) = render::decision_message(&session, &decision);
            for message in broadcast(bot, ctx, &text, Some(keyboard), None).await {
                let at = (message.chat.id, message.id);
                ctx.board
                    .add_message(session.id, decision.fingerprint(), at);
            }
        }
        Event::DecisionClosed {
            session,
            fingerprint,
            replaced,
        } => {
            if let Some(posted) = ctx.board.close(session.id, fingerprint) {
                let how = if replaced {
                    "replaced by a new question"
                } else {
                    "answered in the terminal"
                };
                retire(bot, &session, posted, how).await;
            }
        }
        Event::TurnFinished { session, tail } => {
            let text = with_tail(
                format!("✅ {} finished its turn", render::head(&session)),
                &tail,
            );
            let keyboard = InlineKeyboardMarkup::new(vec![vec![render::button(
                "👁 Peek",
                Action::Peek(session.id),
            )]]);
            broadcast(bot, ctx, &text, Some(keyboard), None).await;
        }
        Event::Stopped {
            session,
            exit_status,
            tail,
        } => {
            let status = match exit_status {
                Some(code) => format!("exit {code}"),
                None => "its tmux session is gone".to_owned(),
            };
            let text = with_tail(
                format!("{} stopped ({status})", render::head(&session)),
                &tail,
            );
            retire_open(bot, ctx, &session).await;
            broadcast(bot, ctx, &text, Some(peek_resume(&session)), None).await;
        }
        Event::Errored { session, error } => {
            retire_open(bot, ctx, &session).await;
            let text = format!(
                "{} errored: {}",
                render::head(&session),
                render::escape(&error)
            );
            broadcast(bot, ctx, &text, Some(peek_resume(&session)), None).await;
        }
        Event::ServerGone { stopped } => {
            for session in &stopped {
                retire_open(bot, ctx, session).await;
            }
            let names: Vec<String> = stopped
                .iter()
                .map(|r| render::escape(r.name.as_str()))
                .collect();
            let text = format!(
                "⏹ The tmux server on socket <code>{}</code> is gone; stopped: {}",
                render::escape(ctx.socket()),
                names.join(", ")
            );
            let rows = stopped
                .iter()
                .map(|r| {
                    vec![render::button(
                        &format!("▶️ Resume {}", r.name),
                        Action::Resume(r.id),
                    )]
                })
                .collect::<Vec<_>>();
            broadcast(bot, ctx, &text, Some(InlineKeyboardMarkup::new(rows)), None).await;
        }
    }
}

/// Takes the buttons off a decision whose agent is no longer running.
async fn retire_open(bot: &TgBot, ctx: &Ctx, session: &SessionRecord) {
    if let Some(posted) = ctx.board.close_session(session.id) {
        retire(bot, session, posted, "the agent stopped").await;
    }
}

/// Edits every message showing `posted` to say how it ended, without buttons.
async fn retire(bot: &TgBot, session: &SessionRecord, posted: Posted, how: &str) {
    let text = format!(
        "☑️ <b>{}</b>: {}\n→ {how}",
        render::escape(session.name.as_str()),
        render::escape(&render::truncate(&posted.decision.question, 500)),
    );
    for (chat, message) in posted.messages {
        if let Err(e) = send::edit(bot, chat, message, &text, None).await {
            tracing::warn!("could not update a decision message: {e}");
        }
    }
}

fn peek_resume(session: &SessionRecord) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(vec![vec![
        render::button("👁 Peek", Action::Peek(session.id)),
        render::button("▶️ Resume", Action::Resume(session.id)),
    ]])
}

/// `head` plus the screen's last lines, kept under the message limit.
fn with_tail(head: String, tail: &str) -> String {
    let tail = tail.trim();
    if tail.is_empty() {
        return head;
    }
    let tail = render::truncate(tail, 3000);
    format!("{head}\n<pre>{}</pre>", render::escape(&tail))
}
