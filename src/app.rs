//! Start-up and shut-down of `tgmux run`: lock, store, tmux, reconcile,
//! Telegram set-up, watcher and notifier, then long polling until a signal.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use teloxide::prelude::*;

use crate::config::Config;
use crate::session::{
    Events, EventsSetup, Manager, RunLock, SessionError, Settings, Store, StoreError,
};
use crate::telegram::{self, Ctx, TgBot, auth::Auth, media::Media, render, send};
use crate::tmux::{CliTmux, TmuxError};
use crate::transcribe::{TranscribeError, Transcriber};
use crate::watch::Watcher;

/// How often the watcher looks at the tmux server.
pub const WATCH_INTERVAL: Duration = Duration::from_millis(250);

/// Variables a session does not get from the bot: the secrets (an agent
/// has no business with the bot token or the transcription key), and what
/// describes the bot's own terminal and shell rather than the pane tmux
/// gives the agent. The driver starts tmux with exactly the session's
/// environment, so these do not reach a session through the tmux server
/// either.
const WITHHELD_ENV: &[&str] = &[
    "TELEGRAM_BOT_TOKEN",
    "TGMUX_TRANSCRIBE_KEY",
    "TMUX",
    "TMUX_PANE",
    "TERM",
    "TERM_PROGRAM",
    "TERM_PROGRAM_VERSION",
    "COLUMNS",
    "LINES",
    "PWD",
    "OLDPWD",
    "SHLVL",
    "_",
    // A session is an interactive terminal whatever started tgmux: with CI
    // set, Gemini CLI (and other tools) turn non-interactive and exit.
    "CI",
];

/// Why `tgmux run` could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Tmux(#[from] TmuxError),
    #[error(transparent)]
    Session(#[from] SessionError),
    #[error(transparent)]
    Auth(#[from] telegram::auth::AuthError),
    #[error("Telegram refused the bot token ({0}); get a valid one from @BotFather")]
    TokenRefused(String),
    #[error("could not reach the Bot API at {url}: {error}")]
    Unreachable { url: String, error: String },
    #[error("could not set up signal handling: {0}")]
    Signals(std::io::Error),
    #[error("{}: {source}; tgmux needs to write its data folder", .path.display())]
    DataDir {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Transcribe(#[from] TranscribeError),
}

/// The session manager over the store and the dedicated tmux server.
fn manager(config: &Config, events: Events) -> Result<Manager, AppError> {
    let store = Store::open(&config.data_dir)?;
    let tmux = Arc::new(CliTmux::new(config.tmux_socket.clone()));
    let env = std::env::vars()
        .filter(|(k, _)| !WITHHELD_ENV.contains(&k.as_str()))
        .collect();
    let settings = Settings {
        roots: config.roots.clone(),
        agent: config.agent.clone(),
        env,
        home: config.home.clone(),
        events: std::env::current_exe().ok().map(|tgmux| EventsSetup {
            data_dir: config.data_dir.clone(),
            tgmux,
        }),
    };
    Ok(Manager::new(tmux, store, settings, events))
}

/// Runs the bot until SIGINT or SIGTERM.
pub async fn run(config: Config) -> Result<(), AppError> {
    let _lock = RunLock::acquire(&config.data_dir)?;
    let (events, events_rx) = Events::channel();
    let manager = Arc::new(manager(&config, events)?);
    let auth = Arc::new(Auth::load(&config.allowed_users, &config.data_dir)?);
    if let Some(code) = auth.pairing_code() {
        eprintln!(
            "No allowed users are set (TGMUX_ALLOWED_USERS is empty).\n\
             To use the bot from your phone, send it:  /pair {code}\n\
             This code works once. Or set TGMUX_ALLOWED_USERS to your Telegram user id."
        );
    }
    let report = {
        let manager = Arc::clone(&manager);
        tokio::task::spawn_blocking(move || manager.reconcile())
            .await
            .map_err(|e| std::io::Error::other(e.to_string()))
            .map_err(TmuxError::Io)??
    };
    tracing::info!(
        "reconciled: {} live, {} stopped, {} adopted",
        report.live.len(),
        report.stopped.len(),
        report.adopted.len()
    );

    let bot: TgBot = Bot::new(config.token.expose()).set_api_url(config.api_url.clone());
    let me = send::retrying("getMe", || bot.get_me().send())
        .await
        .map_err(|e| match e {
            teloxide::RequestError::Api(api) => AppError::TokenRefused(api.to_string()),
            other => AppError::Unreachable {
                url: config.api_url.to_string(),
                error: other.to_string(),
            },
        })?;
    let username = me.username.clone().unwrap_or_default();
    tracing::info!("connected as @{username}");
    set_commands(&bot).await;

    let transcriber = config
        .transcribe
        .as_ref()
        .map(Transcriber::new)
        .transpose()?;
    let ctx = Ctx::new(
        Arc::clone(&manager),
        Arc::clone(&auth),
        username,
        config.home.clone(),
        &config.data_dir,
        Media::new(transcriber, config.max_file_bytes),
        config.chat,
    )
    .map_err(|e| data_dir_error(&config, e))?;
    let ctx = Arc::new(ctx);
    let journal =
        telegram::Journal::open(&config.data_dir).map_err(|e| data_dir_error(&config, e))?;
    let hello = render::startup(&report, manager.tmux().socket());
    telegram::notifier::broadcast(&ctx, (hello, Default::default()), None);
    telegram::square_topics(&ctx).await;

    let stop = Arc::new(AtomicBool::new(false));
    let watcher = {
        let (manager, stop) = (Arc::clone(&manager), Arc::clone(&stop));
        std::thread::spawn(move || Watcher::new(manager).run(WATCH_INTERVAL, stop))
    };
    let notifier = tokio::spawn(telegram::notifier::run(Arc::clone(&ctx), events_rx));
    let outbox = tokio::spawn(telegram::deliver(bot.clone(), Arc::clone(&ctx)));

    let (stop_polling, stopped) = tokio::sync::watch::channel(false);
    let mut sigterm = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(AppError::Signals)?;
    tokio::spawn(async move {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => tracing::info!("SIGINT: shutting down"),
            _ = sigterm.recv() => tracing::info!("SIGTERM: shutting down"),
        }
        let _ = stop_polling.send(true);
    });
    let polled = telegram::receive(bot, Arc::clone(&ctx), journal, stopped).await;

    stop.store(true, Ordering::Relaxed);
    let _ = tokio::task::spawn_blocking(move || watcher.join()).await;
    notifier.abort();
    outbox.abort();
    let waiting = ctx.waiting();
    if waiting > 0 {
        tracing::info!("{waiting} messages wait in the outbox for the next start");
    }
    polled.map_err(|e| data_dir_error(&config, e))?;
    tracing::info!("stopped");
    Ok(())
}

fn data_dir_error(config: &Config, source: std::io::Error) -> AppError {
    AppError::DataDir {
        path: config.data_dir.clone(),
        source,
    }
}

/// Fills the phone's command menu from the same table `/help` uses.
async fn set_commands(bot: &TgBot) {
    let commands = telegram::menu();
    if let Err(e) = send::retrying("setMyCommands", || {
        bot.set_my_commands(commands.clone()).send()
    })
    .await
    {
        tracing::warn!("could not set the command menu: {e}");
    }
}
