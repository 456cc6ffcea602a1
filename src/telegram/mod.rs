//! The Telegram front end: commands and taps in, session operations out, and
//! notifications from the session events to the people allowed to use the bot.

pub mod auth;
mod callback;
mod command;
mod commands;
mod download;
mod held;
mod html;
mod markdown;
pub mod media;
pub mod notifier;
mod outbox;
mod pace;
mod posted;
pub mod render;
pub mod send;
mod taps;
mod topics;
mod updates;

use std::path::PathBuf;
use std::sync::Arc;

use teloxide::dispatching::UpdateHandler;
use teloxide::prelude::*;
use teloxide::types::BotCommand;

use crate::config::UserId;
use crate::session::{Manager, SessionError};

pub use html::Html;
pub use send::TgBot;
pub use updates::Journal;

/// Why a command or a tap could not be done, worded for the phone.
#[derive(Debug, thiserror::Error)]
pub enum BotError {
    #[error(transparent)]
    Session(#[from] SessionError),
    #[error("could not reach Telegram: {0}")]
    Telegram(#[from] teloxide::RequestError),
    #[error("tgmux is shutting down")]
    ShuttingDown,
    #[error(transparent)]
    Media(#[from] media::MediaError),
    /// A command that takes a session was sent without one, outside a topic.
    #[error("which session? Name one (see /ls), or send /{0} in the session's topic")]
    Unnamed(&'static str),
}

impl From<crate::files::FileError> for BotError {
    fn from(e: crate::files::FileError) -> Self {
        BotError::Session(e.into())
    }
}

impl From<download::DownloadError> for BotError {
    fn from(e: download::DownloadError) -> Self {
        BotError::Media(e.into())
    }
}

/// What every handler needs, shared through dptree.
pub struct Ctx {
    pub manager: Arc<Manager>,
    pub auth: Arc<auth::Auth>,
    /// The bot's @username, to accept `/cmd@username` in groups.
    pub bot_username: String,
    /// The user's home folder, to show folders as `~/...`.
    pub home: Option<PathBuf>,
    posted: posted::Posted,
    outbox: Arc<outbox::Outbox>,
    /// New messages wait here for room under Telegram's limits.
    pace: pace::Pace,
    /// The message of each line the outbox shows in each chat (a turn's
    /// progress, the answer to a voice note or file), while it is edited.
    progress: std::sync::Mutex<std::collections::HashMap<(outbox::Line, i64), i32>>,
    media: media::Media,
    /// The sessions group, when `TGMUX_CHAT` is set.
    topics: Option<topics::Topics>,
}

impl Ctx {
    pub fn new(
        manager: Arc<Manager>,
        auth: Arc<auth::Auth>,
        bot_username: String,
        home: Option<PathBuf>,
        data_dir: &std::path::Path,
        media: media::Media,
        chat: Option<i64>,
    ) -> std::io::Result<Self> {
        Ok(Ctx {
            manager,
            auth,
            bot_username,
            home,
            posted: posted::Posted::load(data_dir),
            outbox: Arc::new(outbox::Outbox::open(data_dir)?),
            pace: pace::Pace::default(),
            progress: Default::default(),
            media,
            topics: chat.map(topics::Topics::new),
        })
    }

    /// Runs a (blocking) session operation off the async runtime.
    pub async fn run<T, F>(&self, op: F) -> Result<T, BotError>
    where
        T: Send + 'static,
        F: FnOnce(&Manager) -> Result<T, SessionError> + Send + 'static,
    {
        let manager = Arc::clone(&self.manager);
        match tokio::task::spawn_blocking(move || op(&manager)).await {
            Ok(result) => Ok(result?),
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(_) => Err(BotError::ShuttingDown),
        }
    }

    pub fn socket(&self) -> &str {
        self.manager.tmux().socket()
    }

    fn allowed(&self, user: &teloxide::types::User) -> bool {
        self.auth.is_allowed(UserId(user.id.0))
    }

    /// Whether `chat` is where allowed users are served: a private chat, or
    /// the sessions group.
    fn serves(&self, chat: &teloxide::types::Chat) -> bool {
        chat.is_private() || self.topics.as_ref().is_some_and(|t| t.chat() == chat.id)
    }
}

type HandlerResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

/// The dispatcher's handler tree. Strangers are answered apart (`/start`,
/// `/pair` only, and their files are never fetched); allowed users are
/// served only in private chats and the sessions group, where session
/// content may go, and their voice notes and files go to the media handler.
pub fn schema() -> UpdateHandler<Box<dyn std::error::Error + Send + Sync + 'static>> {
    let messages = Update::filter_message()
        .branch(
            dptree::filter(|msg: Message, ctx: Arc<Ctx>| {
                !msg.from.as_ref().is_some_and(|u| ctx.allowed(u))
            })
            .endpoint(commands::stranger),
        )
        .branch(
            dptree::filter(|msg: Message, ctx: Arc<Ctx>| !ctx.serves(&msg.chat))
                .endpoint(commands::group),
        )
        .branch(
            dptree::filter_map(|msg: Message| media::Incoming::of(&msg)).endpoint(media::received),
        )
        .endpoint(commands::message);
    let taps = Update::filter_callback_query()
        .branch(
            dptree::filter(|q: CallbackQuery, ctx: Arc<Ctx>| !ctx.allowed(&q.from))
                .endpoint(taps::stranger),
        )
        .endpoint(taps::tap);
    dptree::entry().branch(messages).branch(taps)
}

/// Delivers the outbox until aborted (what is left waits for the next start).
pub async fn deliver(bot: TgBot, ctx: Arc<Ctx>) {
    outbox::run(bot, ctx).await;
}

/// Handles updates until `stop` turns true; see [`updates`].
pub async fn receive(
    bot: TgBot,
    ctx: Arc<Ctx>,
    journal: Journal,
    stop: tokio::sync::watch::Receiver<bool>,
) -> std::io::Result<()> {
    updates::run(bot, ctx, journal, schema(), stop).await
}

/// Gives every session not removed its topic in the sessions group, and
/// squares their titles (nothing without a group).
pub async fn square_topics(ctx: &Ctx) {
    topics::square_all(ctx).await;
}

impl Ctx {
    fn progress_lock(
        &self,
    ) -> std::sync::MutexGuard<'_, std::collections::HashMap<(outbox::Line, i64), i32>> {
        self.progress
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Messages not yet accepted by Telegram.
    pub fn waiting(&self) -> usize {
        self.outbox.len()
    }
}

/// The phone's command menu, from the same table `/help` uses.
pub fn menu() -> Vec<BotCommand> {
    command::COMMANDS
        .iter()
        .map(|c| {
            let about = if c.args.is_empty() {
                c.about.to_owned()
            } else {
                format!("{} – {}", c.args, c.about)
            };
            BotCommand::new(c.name, about)
        })
        .collect()
}
