//! Messages from the phone: one handler per command, plain text typed into
//! the session it replies to (or whose topic it is sent in), and the answers
//! for strangers and groups.

use std::sync::Arc;

use chrono::Utc;
use teloxide::prelude::*;
use teloxide::types::{ChatId, InlineKeyboardButtonKind, InlineKeyboardMarkup};

use super::auth::PairOutcome;
use super::callback::Action;
use super::command::{Command, CommandError, info};
use super::html::Html;
use super::notifier::broadcast;
use super::outbox::{Outgoing, Thread};
use super::{BotError, Ctx, HandlerResult, TgBot, render, send, topics};
use crate::config::UserId;
use crate::files::{MAX_UPLOAD, file_to_send};
use crate::session::{Level, SessionId, SessionName, SessionRecord, SessionState, name_taken};

/// A reply to the phone: HTML text, maybe a keyboard, maybe a screen dump.
pub(super) enum Reply {
    Text(Html, Option<InlineKeyboardMarkup>),
    Screen {
        head: Html,
        text: String,
        file: String,
        keyboard: Option<InlineKeyboardMarkup>,
    },
    /// Nothing more: the reply went out at once, not through the outbox.
    Sent,
}

impl Reply {
    fn text(text: Html) -> Reply {
        Reply::Text(text, None)
    }

    fn with_keyboard((text, keyboard): (Html, InlineKeyboardMarkup)) -> Reply {
        Reply::Text(text, Some(keyboard))
    }

    pub(super) fn error(e: &BotError) -> Reply {
        Reply::text(render::error(&e.to_string()))
    }

    /// Queues the reply for `thread` of `chat`.
    pub(super) fn deliver(self, ctx: &Ctx, chat: ChatId, thread: Thread) {
        let item = match self {
            Reply::Text(text, keyboard) => Outgoing::message(chat, &text, keyboard),
            Reply::Screen {
                head,
                text,
                file,
                keyboard,
            } => Outgoing::screen(chat, &head, &text, &file, keyboard),
            Reply::Sent => return,
        };
        ctx.outbox.push(item.in_thread(thread));
    }
}

/// Where a message came from: its chat, its forum topic, and the session
/// that topic is for.
pub(super) struct Here {
    chat: ChatId,
    pub(super) thread: Thread,
    /// The session whose topic in the sessions group it was sent in,
    /// whatever its state.
    pub(super) topic: Option<SessionRecord>,
}

impl Here {
    /// Where `msg` was sent; a topic of the sessions group names its session.
    pub(super) async fn of(ctx: &Ctx, msg: &Message) -> Result<Here, BotError> {
        let thread = Here::thread(msg);
        let topic = match (&ctx.topics, thread) {
            (Some(topics), Thread::Topic(thread)) if topics.chat() == msg.chat.id => {
                let records = ctx.run(|m| m.list()).await?;
                topics.record_in(records, thread)
            }
            _ => None,
        };
        Ok(Here {
            chat: msg.chat.id,
            thread,
            topic,
        })
    }

    /// The forum topic `msg` was sent in, if any: replies go there.
    pub(super) fn thread(msg: &Message) -> Thread {
        msg.thread_id
            .filter(|_| msg.is_topic_message)
            .map_or(Thread::Main, |t| Thread::Topic(t.0.0))
    }

    /// The session of the topic it was sent in, unless removed: what
    /// commands and text there act on.
    fn session(&self) -> Option<SessionId> {
        self.topic
            .as_ref()
            .filter(|r| r.state != SessionState::Removed)
            .map(|r| r.id)
    }
}

/// A message from an allowed user in a private chat or the sessions group.
pub(super) async fn message(bot: TgBot, ctx: Arc<Ctx>, msg: Message) -> HandlerResult {
    let text = msg.text().unwrap_or_default();
    let here = match Here::of(&ctx, &msg).await {
        Ok(here) => here,
        Err(e) => {
            Reply::error(&e).deliver(&ctx, msg.chat.id, Here::thread(&msg));
            return Ok(());
        }
    };
    let reply = match Command::parse(text, &ctx.bot_username) {
        Some(Ok(command)) => run(&bot, &ctx, &msg, &here, command).await,
        Some(Err(CommandError::Unknown(word))) => Reply::text(render::unknown_command(&word)),
        Some(Err(CommandError::Usage { command, problem })) => {
            Reply::text(render::usage(command, &problem))
        }
        None if !msg.chat.is_private() => match here.session() {
            // In the sessions group only a session's topic is typed into:
            // elsewhere people talk to each other.
            Some(id) if !text.is_empty() => typed(type_into(&ctx, id, text.to_owned()).await),
            _ => return Ok(()),
        },
        None => plain_text(&ctx, &msg, text).await,
    };
    reply.deliver(&ctx, here.chat, here.thread);
    Ok(())
}

/// Someone not allowed: `/start` learns the bot is private and their id,
/// `/pair` may add them with the terminal's code; nothing else happens, and
/// nothing at all in groups.
pub(super) async fn stranger(ctx: Arc<Ctx>, msg: Message) -> HandlerResult {
    let Some(from) = msg.from.as_ref() else {
        return Ok(());
    };
    let user = UserId(from.id.0);
    tracing::warn!("refused a message from user {user} ({})", from.full_name());
    if !msg.chat.is_private() {
        return Ok(());
    }
    let text = match Command::parse(msg.text().unwrap_or_default(), &ctx.bot_username) {
        Some(Ok(Command::Start)) => render::private_bot(user.0),
        Some(Ok(Command::Pair { code })) => match ctx.auth.pair(user, &code) {
            Ok(PairOutcome::Paired) => {
                tracing::info!("user {user} ({}) paired", from.full_name());
                render::paired(ctx.socket())
            }
            Ok(PairOutcome::Refused { reply: true }) => render::wrong_pairing_code(),
            Ok(PairOutcome::Refused { reply: false } | PairOutcome::AlreadyAllowed) => {
                return Ok(());
            }
            Err(e) => {
                tracing::error!("pairing user {user}: {e}");
                return Ok(());
            }
        },
        _ => return Ok(()),
    };
    ctx.outbox.push(Outgoing::message(msg.chat.id, &text, None));
    Ok(())
}

/// An allowed user's message in a group that is not the sessions group:
/// commands get one line saying where tgmux talks, unless there is a sessions
/// group (then nothing is posted in any other); nothing of any session is
/// shown there.
pub(super) async fn group(ctx: Arc<Ctx>, msg: Message) -> HandlerResult {
    tracing::info!(
        "a message in group {} ({}), which is not the sessions group",
        msg.chat.id,
        msg.chat.title().unwrap_or_default()
    );
    let text = msg.text().unwrap_or_default();
    if ctx.topics.is_none() && Command::parse(text, &ctx.bot_username).is_some() {
        let refusal = render::private_chats_only();
        ctx.outbox
            .push(Outgoing::message(msg.chat.id, &refusal, None));
    }
    Ok(())
}

async fn run(bot: &TgBot, ctx: &Ctx, msg: &Message, here: &Here, command: Command) -> Reply {
    let result = match command {
        Command::Start | Command::Help => Ok(Reply::text(render::help(ctx.socket()))),
        Command::Pair { .. } => Ok(Reply::text(Html::raw(
            "You are already allowed to use this bot.",
        ))),
        Command::New { folder, task } => new(ctx, here.chat, folder, task).await,
        Command::Ls { all } => list(ctx, all).await,
        Command::Peek { name, lines } => peek(ctx, here, name, lines).await,
        Command::Send(args) => match here.session() {
            Some(id) => type_into(ctx, id, args).await,
            None => send_text(ctx, &args).await,
        },
        Command::Get { path } => get(bot, ctx, msg, here, path).await,
        Command::Stop { name } => state_change(ctx, here, name, "stop", |m, id| m.stop(id)).await,
        Command::Resume { name } => {
            state_change(ctx, here, name, "resume", |m, id| m.resume(id)).await
        }
        Command::Rm { name } => named(ctx, here, name, "rm")
            .await
            .map(|r| Reply::with_keyboard(render::confirm_remove(&r, ctx.home.as_deref()))),
        Command::Mute { name } => set_level(ctx, here, name, "mute", Level::Muted).await,
        Command::Unmute { name } => set_level(ctx, here, name, "unmute", Level::All).await,
    };
    result.unwrap_or_else(|e| Reply::error(&e))
}

/// The session a command names or, when it names none, the session of the
/// topic it was sent in.
async fn named(
    ctx: &Ctx,
    here: &Here,
    name: Option<String>,
    command: &'static str,
) -> Result<SessionRecord, BotError> {
    match (name, here.session()) {
        (Some(name), _) => ctx.run(move |m| m.find(&name)).await,
        (None, Some(id)) => ctx.run(move |m| m.get(id)).await,
        (None, None) => Err(BotError::Unnamed(command)),
    }
}

async fn new(
    ctx: &Ctx,
    chat: ChatId,
    folder: Option<String>,
    task: Option<String>,
) -> Result<Reply, BotError> {
    let record = ctx
        .run(move |m| m.create(folder.as_deref(), task.as_deref(), None))
        .await?;
    let text = render::started(&record, ctx.socket(), ctx.home.as_deref());
    let message = (text, render::session_keyboard(&record));
    if let Some(topics) = &ctx.topics {
        // The card opens the session's topic.
        let card = Outgoing::message(topics.chat(), &message.0, Some(message.1));
        ctx.outbox.push(card.in_thread(Thread::Of(record.id)));
        return Ok(Reply::text(render::started_in_topic(&record)));
    }
    // Everyone else allowed hears about it too.
    broadcast(ctx, message.clone(), Some(chat));
    Ok(Reply::with_keyboard(message))
}

/// `/mute`, `/unmute`: the session's new level.
async fn set_level(
    ctx: &Ctx,
    here: &Here,
    name: Option<String>,
    command: &'static str,
    level: Level,
) -> Result<Reply, BotError> {
    let id = named(ctx, here, name, command).await?.id;
    let record = ctx.run(move |m| m.set_level(id, level)).await?;
    Ok(Reply::text(render::level_set(&record)))
}

pub(super) async fn list(ctx: &Ctx, all: bool) -> Result<Reply, BotError> {
    let records = ctx.run(|m| m.list()).await?;
    let page = render::list(&records, all, 0, Utc::now(), ctx.home.as_deref());
    Ok(Reply::with_keyboard(page))
}

async fn peek(
    ctx: &Ctx,
    here: &Here,
    name: Option<String>,
    lines: usize,
) -> Result<Reply, BotError> {
    let record = match (name, here.session()) {
        (Some(name), _) => ctx.run(move |m| m.find(&name)).await?,
        (None, Some(id)) => ctx.run(move |m| m.get(id)).await?,
        (None, None) => match only_active(ctx).await? {
            Some(record) => record,
            None => {
                return Ok(Reply::text(render::usage(
                    info("peek"),
                    "several sessions (or none) are active: name one",
                )));
            }
        },
    };
    peek_reply(ctx, record.id, lines).await
}

pub(super) async fn peek_reply(ctx: &Ctx, id: SessionId, lines: usize) -> Result<Reply, BotError> {
    let (record, text) = ctx.run(move |m| m.capture(id, lines)).await?;
    Ok(Reply::Screen {
        head: render::peek_head(&record, ctx.socket()),
        text,
        file: format!("{}.txt", record.name),
        keyboard: Some(render::session_keyboard(&record)),
    })
}

/// `/get PATH`: a file from the folder of the session the command is for:
/// the topic's (whatever its state: the folder is still there), else the
/// one it replies about or the only active one. The file goes where the
/// command was sent, and up at once rather than through the outbox: what
/// is sent is the file as it was checked, and a file is too big to keep in
/// the outbox.
async fn get(
    bot: &TgBot,
    ctx: &Ctx,
    msg: &Message,
    here: &Here,
    path: String,
) -> Result<Reply, BotError> {
    let record = match &here.topic {
        Some(record) => Some(record.clone()),
        None => addressed(ctx, msg).await?,
    };
    let Some(record) = record else {
        return Ok(Reply::text(render::usage(
            info("get"),
            "several sessions (or none) are active: reply with it to a message about one",
        )));
    };
    let folder = record.folder.clone();
    let file = ctx
        .run(move |m| Ok(file_to_send(&folder, m.roots(), &path, MAX_UPLOAD)?))
        .await?;
    let caption = render::sent_file(&record, &file);
    let keyboard = render::session_keyboard(&record);
    let thread = match here.thread {
        Thread::Topic(thread) => Some(topics::thread_id(thread)),
        Thread::Main | Thread::Of(_) => None,
    };
    send::file(bot, &ctx.pace, here.chat, thread, &file, &caption, keyboard).await?;
    Ok(Reply::Sent)
}

/// The session a message is for: the one the message it replies to is
/// about, else the only active one; `None` when neither says.
pub(super) async fn addressed(ctx: &Ctx, msg: &Message) -> Result<Option<SessionRecord>, BotError> {
    let record = match msg.reply_to_message().and_then(session_of) {
        Some(About::Id(id)) => ctx.run(move |m| m.get(id)).await?,
        Some(About::Name(name)) => ctx.run(move |m| m.find(name.as_str())).await?,
        None => return only_active(ctx).await,
    };
    Ok(Some(record))
}

/// The only active session, when there is exactly one.
async fn only_active(ctx: &Ctx) -> Result<Option<SessionRecord>, BotError> {
    let records = ctx.run(|m| m.list()).await?;
    let mut active = records.into_iter().filter(|r| r.state.is_active());
    Ok(match (active.next(), active.next()) {
        (Some(one), None) => Some(one),
        _ => None,
    })
}

/// `/send NAME text`, or `/send text` when one session is active and the
/// first word names no session.
async fn send_text(ctx: &Ctx, args: &str) -> Result<Reply, BotError> {
    let records = ctx.run(|m| m.list()).await?;
    let end = args.find(char::is_whitespace).unwrap_or(args.len());
    let (first, rest) = args.split_at(end);
    let rest = rest
        .strip_prefix(|c: char| c.is_whitespace())
        .unwrap_or(rest);
    let active: Vec<&SessionRecord> = records.iter().filter(|r| r.state.is_active()).collect();
    let (id, text) = match active.as_slice() {
        [only] if !name_taken(&records, first) => (only.id, args.to_owned()),
        _ if rest.is_empty() => {
            return Ok(Reply::text(render::error(
                "several sessions are active: /send NAME text",
            )));
        }
        _ => {
            let first = first.to_owned();
            let record = ctx.run(move |m| m.find(&first)).await?;
            (record.id, rest.to_owned())
        }
    };
    type_into(ctx, id, text).await
}

async fn type_into(ctx: &Ctx, id: SessionId, text: String) -> Result<Reply, BotError> {
    let record = ctx.run(move |m| m.send_text(id, &text)).await?;
    Ok(Reply::text(render::typed_into(&record)))
}

/// Text that is not a command: typed into the session the replied-to
/// message is about.
async fn plain_text(ctx: &Ctx, msg: &Message, text: &str) -> Reply {
    if text.is_empty() {
        return Reply::text(Html::raw(
            "I only understand text: send /help for the commands.",
        ));
    }
    let Some(original) = msg.reply_to_message() else {
        return Reply::text(Html::raw(
            "Send /help for the commands, or reply to a message about a session to type into it.",
        ));
    };
    let target = match session_of(original) {
        Some(About::Id(id)) => Ok(id),
        Some(About::Name(name)) => ctx.run(move |m| m.find(name.as_str())).await.map(|r| r.id),
        None => {
            return Reply::text(Html::raw(
                "That message is not about one session; use /send NAME text.",
            ));
        }
    };
    let typed_into = match target {
        Ok(id) => type_into(ctx, id, text.to_owned()).await,
        Err(e) => Err(e),
    };
    typed(typed_into)
}

/// The reply to text typed into a session.
fn typed(result: Result<Reply, BotError>) -> Reply {
    result.unwrap_or_else(|e| Reply::error(&e))
}

/// Which session a message of ours is about.
enum About {
    Id(SessionId),
    Name(SessionName),
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
            InlineKeyboardButtonKind::CallbackData(data) => Action::decode(data).ok()?.session(),
            _ => None,
        })
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
    SessionName::parse(name).ok().map(About::Name)
}

async fn state_change(
    ctx: &Ctx,
    here: &Here,
    name: Option<String>,
    command: &'static str,
    op: fn(
        &crate::session::Manager,
        SessionId,
    ) -> Result<SessionRecord, crate::session::SessionError>,
) -> Result<Reply, BotError> {
    let id = named(ctx, here, name, command).await?.id;
    let record = ctx.run(move |m| op(m, id)).await?;
    Ok(state_reply(ctx, &record))
}

/// The session's state after a stop, resume or remove, with its buttons;
/// its topic's title follows.
pub(super) fn state_reply(ctx: &Ctx, record: &SessionRecord) -> Reply {
    topics::touch(ctx, record.id);
    let text = render::state_change(record, ctx.socket());
    let keyboard =
        (record.state != SessionState::Removed).then(|| render::session_keyboard(record));
    Reply::Text(text, keyboard)
}
