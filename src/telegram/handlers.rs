//! What the bot does with a message or a tap from the phone.

use std::sync::Arc;

use chrono::Utc;
use teloxide::prelude::*;
use teloxide::types::{
    ChatId, InlineKeyboardButtonKind, InlineKeyboardMarkup, MaybeInaccessibleMessage, MessageId,
    User,
};

use super::auth::PairOutcome;
use super::callback::Action;
use super::command::{Command, split_first_word};
use super::{BotError, Ctx, TgBot, render, send};
use crate::config::UserId;
use crate::screen::{Screen, classify};
use crate::session::{
    AddressError, Decision, DecisionOption, SessionError, SessionId, SessionRecord, SessionState,
};

type HandlerResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

/// Lines `/peek` shows when no number is given, and the most it will show.
const PEEK_DEFAULT: usize = 40;
const PEEK_MAX: usize = 5000;

fn user_id(user: &User) -> UserId {
    UserId(user.id.0)
}

pub async fn message(bot: TgBot, ctx: Arc<Ctx>, msg: Message) -> HandlerResult {
    let Some(from) = msg.from.as_ref() else {
        return Ok(());
    };
    let user = user_id(from);
    let text = msg.text().unwrap_or_default();
    let command = Command::parse(text, &ctx.bot_username);
    if !ctx.auth.is_allowed(user) {
        return stranger(&bot, &ctx, &msg, user, command).await;
    }
    let chat = msg.chat.id;
    let reply = match command {
        Some(command) => run_command(&bot, &ctx, chat, command).await,
        None => match msg.reply_to_message() {
            Some(original) if !text.is_empty() => reply_to_session(&ctx, original, text).await,
            _ if text.is_empty() => {
                Reply::text("I only understand text: send /help for the commands.")
            }
            _ => Reply::text(
                "Send /help for the commands, or reply to a message about a session to type into it.",
            ),
        },
    };
    reply.deliver(&bot, chat).await?;
    Ok(())
}

/// Someone not allowed: `/start` learns the bot is private and their id,
/// `/pair` may add them with the terminal's code; nothing else happens.
async fn stranger(
    bot: &TgBot,
    ctx: &Ctx,
    msg: &Message,
    user: UserId,
    command: Option<Command>,
) -> HandlerResult {
    let name = msg.from.as_ref().map(|u| u.full_name()).unwrap_or_default();
    tracing::warn!("refused a message from user {user} ({name})");
    let text = match command {
        Some(Command::Start) => format!("This bot is private. Your Telegram user id is {user}."),
        Some(Command::Pair(code)) => match ctx.auth.pair(user, &code) {
            Ok(PairOutcome::Paired) => {
                tracing::info!("user {user} ({name}) paired");
                format!("Paired: welcome.\n\n{}", render::help(ctx.socket()))
            }
            Ok(_) => return Ok(()),
            Err(e) => {
                tracing::error!("pairing user {user}: {e}");
                return Ok(());
            }
        },
        _ => return Ok(()),
    };
    send::html(bot, msg.chat.id, &text, None).await?;
    Ok(())
}

/// A reply to the phone: HTML text, maybe a keyboard, maybe a screen dump.
enum Reply {
    Text(String, Option<InlineKeyboardMarkup>),
    /// Several messages, each with its keyboard.
    Pages(Vec<(String, InlineKeyboardMarkup)>),
    Screen {
        head: String,
        text: String,
        file: String,
        keyboard: Option<InlineKeyboardMarkup>,
    },
}

impl Reply {
    fn text(text: impl Into<String>) -> Reply {
        Reply::Text(text.into(), None)
    }

    fn error(e: &BotError) -> Reply {
        Reply::text(format!("⚠️ {}", render::escape(&e.to_string())))
    }

    async fn deliver(self, bot: &TgBot, chat: ChatId) -> Result<(), teloxide::RequestError> {
        match self {
            Reply::Text(text, keyboard) => send::html(bot, chat, &text, keyboard).await.map(drop),
            Reply::Pages(pages) => {
                for (text, keyboard) in pages {
                    send::html(bot, chat, &text, Some(keyboard)).await?;
                }
                Ok(())
            }
            Reply::Screen {
                head,
                text,
                file,
                keyboard,
            } => send::screen(bot, chat, &head, &text, &file, keyboard)
                .await
                .map(drop),
        }
    }
}

async fn run_command(bot: &TgBot, ctx: &Ctx, chat: ChatId, command: Command) -> Reply {
    let result = match command {
        Command::Start | Command::Help => Ok(Reply::text(render::help(ctx.socket()))),
        Command::Pair(_) => Ok(Reply::text("You are already allowed to use this bot.")),
        Command::New(args) => new_session(bot, ctx, chat, &args).await,
        Command::Ls(args) => list(ctx, &args).await,
        Command::Peek(args) => peek(ctx, &args).await,
        Command::Send(args) => send_text(ctx, &args).await,
        Command::Stop(args) => session_op(ctx, &args, "stop", |m, q| m.stop(q)).await,
        Command::Resume(args) => session_op(ctx, &args, "resume", |m, q| m.resume(q)).await,
        Command::Rm(args) => {
            let query = one_name(&args, "rm");
            match query {
                Ok(q) => ctx
                    .run(move |m| m.get(&q))
                    .await
                    .map(|r| confirm_remove(&r)),
                Err(reply) => return reply,
            }
        }
    };
    result.unwrap_or_else(|e| Reply::error(&e))
}

async fn new_session(bot: &TgBot, ctx: &Ctx, chat: ChatId, args: &str) -> Result<Reply, BotError> {
    let (folder, task) = split_first_word(args);
    let (folder, task) = (folder.map(str::to_owned), task.map(str::to_owned));
    let record = ctx
        .run(move |m| m.create(folder.as_deref(), task.as_deref(), None))
        .await?;
    let text = started_text(&record, ctx.socket());
    let keyboard = render::session_keyboard(&record);
    // Everyone else allowed hears about it too.
    super::notifier::broadcast(bot, ctx, &text, Some(keyboard.clone()), Some(chat)).await;
    Ok(Reply::Text(text, Some(keyboard)))
}

fn started_text(record: &SessionRecord, socket: &str) -> String {
    let mut text = format!(
        "{} started in <code>{}</code> running <code>{}</code>",
        render::head(record),
        render::escape(&render::short_folder(&record.folder)),
        render::escape(&record.agent),
    );
    if let Some(task) = &record.task {
        text.push_str(&format!(
            "\nTask: {}",
            render::escape(&render::truncate(task, 500))
        ));
    }
    text.push_str(&attach_hint(record, socket));
    text
}

fn attach_hint(record: &SessionRecord, socket: &str) -> String {
    format!(
        "\nAttach: <code>tmux -L {} attach -t {}</code>",
        render::escape(socket),
        render::escape(record.name.as_str())
    )
}

async fn list(ctx: &Ctx, args: &str) -> Result<Reply, BotError> {
    let all = match args.trim() {
        "" => false,
        "all" => true,
        other => {
            return Ok(Reply::text(format!(
                "⚠️ /ls takes nothing or <code>all</code>, not <code>{}</code>",
                render::escape(other)
            )));
        }
    };
    let records = ctx.run(|m| m.list()).await?;
    Ok(Reply::Pages(render::list(&records, all, Utc::now())))
}

/// The one session name a command takes, or its usage line as the reply.
fn one_name(args: &str, command: &str) -> Result<String, Reply> {
    let name = args.trim();
    if name.is_empty() || name.contains(char::is_whitespace) {
        return Err(Reply::text(format!(
            "Usage: /{command} NAME (see /ls for names)"
        )));
    }
    Ok(name.to_owned())
}

async fn peek(ctx: &Ctx, args: &str) -> Result<Reply, BotError> {
    let mut words = args.split_whitespace();
    let (query, lines) = (words.next(), words.next());
    if words.next().is_some() {
        return Ok(Reply::text("Usage: /peek NAME [lines]"));
    }
    let lines = match lines.map(str::parse::<usize>) {
        None => PEEK_DEFAULT,
        Some(Ok(n)) if (1..=PEEK_MAX).contains(&n) => n,
        Some(_) => {
            return Ok(Reply::text(format!(
                "⚠️ lines must be a number from 1 to {PEEK_MAX}"
            )));
        }
    };
    let query = match query {
        Some(q) => q.to_owned(),
        None => match only_active(ctx).await? {
            Some(record) => record.name.to_string(),
            None => return Ok(Reply::text("Usage: /peek NAME [lines] (see /ls for names)")),
        },
    };
    peek_reply(ctx, query, lines).await
}

async fn peek_reply(ctx: &Ctx, query: String, lines: usize) -> Result<Reply, BotError> {
    let (record, text) = ctx.run(move |m| m.capture(&query, lines)).await?;
    let head = format!(
        "{}{}",
        render::head(&record),
        attach_hint(&record, ctx.socket())
    );
    Ok(Reply::Screen {
        head,
        text,
        file: format!("{}.txt", record.name),
        keyboard: Some(render::session_keyboard(&record)),
    })
}

/// The only active session, when there is exactly one.
async fn only_active(ctx: &Ctx) -> Result<Option<SessionRecord>, BotError> {
    let records = ctx.run(|m| m.list()).await?;
    let mut active = records
        .into_iter()
        .filter(|r| r.state == SessionState::Active);
    Ok(match (active.next(), active.next()) {
        (Some(one), None) => Some(one),
        _ => None,
    })
}

async fn send_text(ctx: &Ctx, args: &str) -> Result<Reply, BotError> {
    if args.trim().is_empty() {
        return Ok(Reply::text("Usage: /send [NAME] text"));
    }
    let records = ctx.run(|m| m.list()).await?;
    let end = args.find(char::is_whitespace).unwrap_or(args.len());
    let first = &args[..end];
    let exact = crate::session::name_taken(&records, first);
    let active: Vec<&SessionRecord> = records
        .iter()
        .filter(|r| r.state == SessionState::Active)
        .collect();
    let (query, text) = match active.as_slice() {
        [only] if !exact => (only.name.to_string(), args.to_owned()),
        _ => {
            let rest = &args[end..];
            let rest = rest
                .strip_prefix(|c: char| c.is_whitespace())
                .unwrap_or(rest);
            if rest.is_empty() {
                return Ok(Reply::text(
                    "Usage: /send NAME text (several sessions are active)",
                ));
            }
            (first.to_owned(), rest.to_owned())
        }
    };
    type_into(ctx, query, text).await
}

async fn type_into(ctx: &Ctx, query: String, text: String) -> Result<Reply, BotError> {
    let record = ctx.run(move |m| m.send_text(&query, &text)).await?;
    Ok(Reply::text(format!(
        "⌨️ sent to <b>{}</b>",
        render::escape(record.name.as_str())
    )))
}

/// A reply to one of our messages: the session it was about gets the text.
async fn reply_to_session(ctx: &Ctx, original: &Message, text: &str) -> Reply {
    let Some(session) = session_of(original) else {
        return Reply::text("That message is not about one session; use /send NAME text.");
    };
    let query = match session {
        About::Id(id) => id.to_string(),
        About::Name(name) => name,
    };
    type_into(ctx, query, text.to_owned())
        .await
        .unwrap_or_else(|e| Reply::error(&e))
}

/// Which session a message of ours is about.
enum About {
    Id(SessionId),
    Name(String),
}

/// The session a bot message is about: the one its buttons act on, or, for
/// a message without buttons, the name every such message starts with after
/// its emoji. A message whose buttons act on several sessions (`/ls`) is
/// about none.
fn session_of(message: &Message) -> Option<About> {
    let mut ids: Vec<SessionId> = message
        .reply_markup()
        .into_iter()
        .flat_map(|kb| kb.inline_keyboard.iter().flatten())
        .filter_map(|button| match &button.kind {
            InlineKeyboardButtonKind::CallbackData(data) => Action::decode(data).ok(),
            _ => None,
        })
        .map(Action::session)
        .collect();
    ids.sort();
    ids.dedup();
    match ids.as_slice() {
        [one] => return Some(About::Id(*one)),
        [_, _, ..] => return None,
        [] => {}
    }
    let text = message.text().or(message.caption())?;
    let mut words = text.lines().next()?.split_whitespace();
    words.next()?;
    let name = words.next()?.trim_end_matches(':');
    crate::session::SessionName::parse(name)
        .ok()
        .map(|n| About::Name(n.to_string()))
}

async fn session_op(
    ctx: &Ctx,
    args: &str,
    command: &str,
    op: fn(&crate::session::Manager, &str) -> Result<SessionRecord, SessionError>,
) -> Result<Reply, BotError> {
    let query = match one_name(args, command) {
        Ok(q) => q,
        Err(reply) => return Ok(reply),
    };
    let record = ctx.run(move |m| op(m, &query)).await?;
    Ok(state_reply(&record, ctx.socket()))
}

fn state_reply(record: &SessionRecord, socket: &str) -> Reply {
    let text = match record.state {
        SessionState::Active => format!(
            "{} is running again{}",
            render::head(record),
            attach_hint(record, socket)
        ),
        SessionState::Stopped => format!("{} stopped; its folder is kept.", render::head(record)),
        SessionState::Decommissioned => {
            format!("{} removed; its folder is kept.", render::head(record))
        }
        _ => format!("{} is {}", render::head(record), record.state),
    };
    let keyboard =
        (record.state != SessionState::Decommissioned).then(|| render::session_keyboard(record));
    Reply::Text(text, keyboard)
}

fn confirm_remove(record: &SessionRecord) -> Reply {
    let text = format!(
        "{} — remove it? Its tmux session is killed; the folder <code>{}</code> stays.",
        render::head(record),
        render::escape(&render::short_folder(&record.folder)),
    );
    let keyboard = InlineKeyboardMarkup::new(vec![vec![
        render::button("🗑 Yes, remove", Action::RemoveConfirmed(record.id)),
        render::button("Cancel", Action::RemoveCancelled(record.id)),
    ]]);
    Reply::Text(text, Some(keyboard))
}

pub async fn callback(bot: TgBot, ctx: Arc<Ctx>, query: CallbackQuery) -> HandlerResult {
    let user = user_id(&query.from);
    if !ctx.auth.is_allowed(user) {
        tracing::warn!(
            "refused a button tap from user {user} ({})",
            query.from.full_name()
        );
        send::retrying("answerCallbackQuery", || {
            bot.answer_callback_query(query.id.clone()).send()
        })
        .await?;
        return Ok(());
    }
    let action = Action::decode(query.data.as_deref().unwrap_or_default());
    let place = query.message.as_ref().map(|m| (m.chat().id, m.id()));
    let (answer, alert) = match (action, place) {
        (Err(e), _) => (e.to_string(), true),
        (Ok(_), None) => (
            "That message is too old to act on; use /ls.".to_owned(),
            true,
        ),
        (Ok(action), Some((chat, message))) => {
            let tap = Tap {
                bot: &bot,
                ctx: &ctx,
                chat,
                message,
                who: &query.from,
            };
            match tap.act(action, query.message.as_ref()).await {
                Ok(text) => (text, false),
                // The id in the button is no use to a person.
                Err(BotError::Session(SessionError::Address(AddressError::NotFound(_)))) => (
                    "That session no longer exists; /ls lists the others.".to_owned(),
                    true,
                ),
                Err(e) => (e.to_string(), true),
            }
        }
    };
    send::retrying("answerCallbackQuery", || {
        bot.answer_callback_query(query.id.clone())
            .text(render::truncate(&answer, 190))
            .show_alert(alert)
            .send()
    })
    .await?;
    Ok(())
}

/// One button tap by an allowed user, on a message in `chat`.
struct Tap<'a> {
    bot: &'a TgBot,
    ctx: &'a Ctx,
    chat: ChatId,
    message: MessageId,
    who: &'a User,
}

impl Tap<'_> {
    /// Does what the button says; the text is the tap's short answer.
    async fn act(
        &self,
        action: Action,
        original: Option<&MaybeInaccessibleMessage>,
    ) -> Result<String, BotError> {
        let ctx = self.ctx;
        // A button names its session by id, which addresses it like a name.
        match action {
            Action::Peek(id) => {
                let reply = peek_reply(ctx, id.to_string(), PEEK_DEFAULT).await?;
                reply.deliver(self.bot, self.chat).await?;
                Ok(String::new())
            }
            Action::Stop(id) => self.op(id, |m, q| m.stop(q)).await,
            Action::Resume(id) => self.op(id, |m, q| m.resume(q)).await,
            Action::Remove(id) => {
                let record = ctx.run(move |m| m.get(&id.to_string())).await?;
                confirm_remove(&record).deliver(self.bot, self.chat).await?;
                Ok(String::new())
            }
            Action::RemoveConfirmed(id) => {
                let record = ctx.run(move |m| m.decommission(&id.to_string())).await?;
                let text = format!("{} removed; its folder is kept.", render::head(&record));
                let _ = send::edit(self.bot, self.chat, self.message, &text, None).await;
                Ok(format!("Removed {}", record.name))
            }
            Action::RemoveCancelled(id) => {
                let record = ctx.run(move |m| m.get(&id.to_string())).await?;
                let text = format!("{} kept.", render::head(&record));
                let _ = send::edit(self.bot, self.chat, self.message, &text, None).await;
                Ok("Kept".to_owned())
            }
            Action::Answer {
                session,
                fingerprint,
                option,
            } => {
                self.answer(session, fingerprint, usize::from(option), original)
                    .await
            }
        }
    }

    async fn op(
        &self,
        id: SessionId,
        op: fn(&crate::session::Manager, &str) -> Result<SessionRecord, SessionError>,
    ) -> Result<String, BotError> {
        let record = self.ctx.run(move |m| op(m, &id.to_string())).await?;
        state_reply(&record, self.ctx.socket())
            .deliver(self.bot, self.chat)
            .await?;
        Ok(format!("{} is {}", record.name, record.state))
    }

    /// Answers a decision, but only if the very same prompt is still on the
    /// screen and no tap answered it yet; otherwise no key is sent.
    async fn answer(
        &self,
        id: SessionId,
        fingerprint: crate::session::Fingerprint,
        option: usize,
        original: Option<&MaybeInaccessibleMessage>,
    ) -> Result<String, BotError> {
        let Sent {
            record,
            decision,
            chosen,
            mut messages,
        } = match self.send_answer(id, fingerprint, option).await? {
            Answer::Sent(sent) => *sent,
            Answer::AlreadyAnswered => return Ok("This prompt was already answered.".to_owned()),
            Answer::Closed => {
                let _ = self.close_stale(original).await;
                return Ok("This prompt is no longer open.".to_owned());
            }
        };
        if !messages.contains(&(self.chat, self.message)) {
            messages.push((self.chat, self.message));
        }
        let text = format!(
            "✅ <b>{}</b>: {}\n→ <b>{}</b>, by {} at {} UTC",
            render::escape(record.name.as_str()),
            render::escape(&render::truncate(&decision.question, 500)),
            render::escape(&chosen.label),
            render::escape(&self.who.full_name()),
            Utc::now().format("%H:%M:%S"),
        );
        for (chat, message) in messages {
            let _ = send::edit(self.bot, chat, message, &text, None).await;
        }
        if chosen.asks_reply {
            let prompt = format!(
                "✍️ <b>{}</b>: reply to this message with what the agent should do instead.",
                render::escape(record.name.as_str())
            );
            let _ = send::ask_reply(self.bot, self.chat, &prompt).await;
        }
        Ok(format!("Sent: {}", render::truncate(&chosen.label, 100)))
    }

    /// Checks the screen and sends the option's keys, one tap at a time so
    /// two quick taps answer once. Nothing here waits on Telegram.
    async fn send_answer(
        &self,
        id: SessionId,
        fingerprint: crate::session::Fingerprint,
        option: usize,
    ) -> Result<Answer, BotError> {
        let ctx = self.ctx;
        let _one_at_a_time = ctx.answering.lock().await;
        if ctx.board.is_answered(id, fingerprint) {
            return Ok(Answer::AlreadyAnswered);
        }
        let record = ctx.run(move |m| m.get(&id.to_string())).await?;
        let name = record.name.to_string();
        let screen = ctx.run(move |m| Ok(m.tmux().capture(&name, 0)?)).await?;
        let decision = match classify(&screen) {
            Screen::Decision(d) if d.fingerprint() == fingerprint => d,
            _ => return Ok(Answer::Closed),
        };
        let Some(chosen) = decision.options.get(option).cloned() else {
            return Ok(Answer::Closed);
        };
        let (name, keys) = (record.name.to_string(), chosen.keys.clone());
        ctx.run(move |m| m.send_keys(&name, &keys)).await?;
        let messages = ctx.board.mark_answered(id, &decision);
        Ok(Answer::Sent(Box::new(Sent {
            record,
            decision,
            chosen,
            messages,
        })))
    }

    /// Takes the buttons off a prompt that is gone.
    async fn close_stale(
        &self,
        original: Option<&MaybeInaccessibleMessage>,
    ) -> Result<(), teloxide::RequestError> {
        let text = original
            .and_then(|m| m.regular_message())
            .and_then(|m| m.text())
            .map(|t| {
                format!(
                    "{}\n\n(no longer open)",
                    render::escape(&render::truncate(t, 3500))
                )
            })
            .unwrap_or_else(|| "(no longer open)".to_owned());
        send::edit(self.bot, self.chat, self.message, &text, None).await
    }
}

/// How an attempt to answer a decision ended.
enum Answer {
    Sent(Box<Sent>),
    AlreadyAnswered,
    /// The screen no longer shows that decision: nothing was sent.
    Closed,
}

/// A decision whose chosen option's keys went into the pane.
struct Sent {
    record: SessionRecord,
    decision: Decision,
    chosen: DecisionOption,
    /// The messages that show the decision.
    messages: Vec<(ChatId, MessageId)>,
}
