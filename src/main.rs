//! The `tgmux` command line: `run` the bot, `doctor` a set-up, `ls` the
//! sessions, and `hook`, which agents run to report their events.

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
    /// Receive an agent's event (run by the agent's hooks, not by hand).
    #[command(hide = true)]
    Hook {
        /// claude, codex or gemini.
        agent: String,
        /// The payload of agents that pass it as an argument (Codex).
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        payload: Vec<String>,
    },
}

fn main() -> ExitCode {
    let args = Args::parse();
    let result = match args.command {
        Command::Hook { agent, payload } => return hook(&agent, &payload),
        Command::Run => setup().and_then(|()| run()),
        Command::Doctor => setup().and_then(|()| cli::doctor()),
        Command::Ls { all } => setup().and_then(|()| cli::ls(all)),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("tgmux: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Reads .env and starts logging, for every command but `hook`.
fn setup() -> Result<(), String> {
    // A missing .env is normal; a malformed one is worth saying.
    if let Err(e) = dotenvy::dotenv()
        && !e.not_found()
    {
        return Err(format!(".env: {e}"));
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,teloxide=warn".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    Ok(())
}

/// An agent's hook: runs in the agent's folder inside its turn, so it reads
/// no .env, logs nothing, prints nothing on stdout and always exits 0.
fn hook(agent: &str, payload: &[String]) -> ExitCode {
    if let Err(e) = tgmux::events::hook::run(agent, payload) {
        eprintln!("tgmux hook: {e}");
    }
    ExitCode::SUCCESS
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
