//! The `tgmux` command line: `run` the bot, `doctor` a set-up, `ls` the sessions.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use tgmux::config::Config;

mod cli;

#[derive(Parser)]
#[command(
    name = "tgmux",
    version,
    about = "Drive AI coding agents in tmux from Telegram"
)]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the Telegram bot (reads TELEGRAM_BOT_TOKEN and TGMUX_* from the environment and .env).
    Run,
    /// Check the set-up: tmux, the token, allowed users, the data folder, the agent.
    Doctor,
    /// List the sessions in the store.
    Ls {
        /// Include removed sessions.
        #[arg(long, short)]
        all: bool,
    },
}

fn main() -> ExitCode {
    let args = Args::parse();
    // A missing .env is normal; a malformed one is worth saying.
    if let Err(e) = dotenvy::dotenv()
        && !e.not_found()
    {
        eprintln!("tgmux: .env: {e}");
        return ExitCode::FAILURE;
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,teloxide=warn".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let result = match args.command {
        Command::Run => run(),
        Command::Doctor => cli::doctor(),
        Command::Ls { all } => cli::ls(all),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("tgmux: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<ExitCode, String> {
    let config = Config::from_env().map_err(|e| e.to_string())?;
    let runtime =
        tokio::runtime::Runtime::new().map_err(|e| format!("cannot start the runtime: {e}"))?;
    runtime
        .block_on(tgmux::app::run(config))
        .map(|()| ExitCode::SUCCESS)
        .map_err(|e| e.to_string())
}
