//! The Telegram front end: commands and taps in, session operations out, and
//! notifications from the watcher to the people allowed to use the bot.

pub mod auth;
pub mod board;
pub mod callback;
pub mod command;
mod handlers;
pub mod notifier;
pub mod render;
pub mod send;

use std::sync::Arc;

use teloxide::dispatching::UpdateHandler;
use teloxide::prelude::*;

use crate::session::{Manager, SessionError};

pub use send::TgBot;

/// Why a command or a tap could not be done, worded for the phone.
#[derive(Debug, thiserror::Error)]
pub enum BotError {
    #[error(transparent)]
    Session(#[from] SessionError),
    #[error("could not reach Telegram: {0}")]
    Telegram(#[from] teloxide::RequestError),
    #[error("tgmux is shutting down")]
    ShuttingDown,
}

/// What every handler needs, shared through dptree.
pub struct Ctx {
    pub manager: Arc<Manager>,
    pub auth: Arc<auth::Auth>,
    pub board: board::Board,
    /// The bot's @username, to accept `/cmd@username` in groups.
    pub bot_username: String,
    /// Serializes taps on decisions so two quick taps answer once.
    pub answering: tokio::sync::Mutex<()>,
}

impl Ctx {
    pub fn new(manager: Arc<Manager>, auth: Arc<auth::Auth>, bot_username: String) -> Self {
        Ctx {
            manager,
            auth,
            board: board::Board::default(),
            bot_username,
            answering: tokio::sync::Mutex::new(()),
        }
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
}

/// The dispatcher's handler tree: messages and button taps, each checked
/// against the allowed users first.
pub fn schema() -> UpdateHandler<Box<dyn std::error::Error + Send + Sync + 'static>> {
    dptree::entry()
        .branch(Update::filter_message().endpoint(handlers::message))
        .branch(Update::filter_callback_query().endpoint(handlers::callback))
}
