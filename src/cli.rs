//! The local commands: `tgmux ls` and `tgmux doctor`.

use std::path::Path;
use std::process::ExitCode;

use chrono::Utc;
use teloxide::prelude::*;
use teloxide::types::{ChatFullInfoKind, ChatFullInfoPublicKind, ChatMemberKind};

use tgmux::config::{Config, DEFAULT_SOCKET};
use tgmux::session::{SessionState, Store, program_name};
use tgmux::telegram::auth::Auth;
use tgmux::telegram::render::{age, short_folder};
use tgmux::tmux::CliTmux;

/// Prints the store as a table: name, state, age, folder, agent.
pub fn ls(all: bool) -> Result<ExitCode, String> {
    let dir = Config::data_dir_from_env().map_err(|e| e.to_string())?;
    let home = std::env::var_os("HOME").map(std::path::PathBuf::from);
    let records = Store::peek(&dir).map_err(|e| e.to_string())?;
    let shown: Vec<_> = records
        .iter()
        .filter(|r| all || r.state != SessionState::Removed)
        .collect();
    if shown.is_empty() {
        say(&format!("no sessions in {}", dir.display()));
        return Ok(ExitCode::SUCCESS);
    }
    let now = Utc::now();
    let rows: Vec<[String; 5]> = shown
        .iter()
        .map(|r| {
            let mut state = r.state.to_string();
            match &r.state {
                SessionState::Stopped {
                    exit_status: Some(code),
                } => state.push_str(&format!(" ({code})")),
                SessionState::Active { .. } if r.state.awaiting().is_some() => state.push_str(" ?"),
                _ => {}
            }
            [
                r.name.to_string(),
                state,
                age(r.created_at, now),
                short_folder(&r.folder, home.as_deref()),
                r.agent.clone(),
            ]
        })
        .collect();
    say(table(["NAME", "STATE", "AGE", "FOLDER", "AGENT"], &rows).trim_end());
    Ok(ExitCode::SUCCESS)
}

/// Left-aligned columns, two spaces apart.
fn table<const N: usize>(header: [&str; N], rows: &[[String; N]]) -> String {
    let mut widths = header.map(|h| h.chars().count());
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        format!("{}\n", padded.join("  ").trim_end())
    };
    let mut out = line(header.to_vec());
    for row in rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out
}

/// Prints a line to stdout; a closed stdout (`tgmux doctor | head -1`)
/// ends the output quietly instead of panicking.
fn say(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout().lock(), "{line}");
}

/// One line per check, with the fix when it fails; every check runs, even
/// after a failure. Exit 1 if any failed.
pub fn doctor() -> Result<ExitCode, String> {
    let mut failed = false;
    let mut report = |ok: bool, line: String| {
        failed |= !ok;
        say(&format!("{} {line}", if ok { "ok  " } else { "FAIL" }));
    };
    let note = |line: String| say(&format!("note {line}"));
    // `tmux -V` asks no server, so any socket will do.
    match CliTmux::new(DEFAULT_SOCKET).version() {
        Ok(version) => report(true, format!("{version} is installed")),
        Err(e) => report(false, e.to_string()),
    }
    let env = |key: &str| std::env::var(key).ok();
    let problems = tgmux::config::problems(env);
    for problem in &problems {
        report(false, problem.to_string());
    }
    let config = Config::from_env().ok();
    if problems.is_empty() {
        report(true, "configuration parses".to_owned());
    }
    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    match &config {
        Some(config) => {
            let bot = Bot::new(config.token.expose()).set_api_url(config.api_url.clone());
            let me = runtime.block_on(check_token(&bot, config));
            match &me {
                Ok(me) => report(
                    true,
                    format!(
                        "token accepted by Telegram: @{}",
                        me.username.as_deref().unwrap_or_default()
                    ),
                ),
                Err(e) => report(false, e.clone()),
            }
            match (config.chat, &me) {
                (None, _) => report(
                    true,
                    "no sessions group (TGMUX_CHAT unset): sessions are shown in private chats"
                        .to_owned(),
                ),
                (Some(chat), Ok(me)) => {
                    for (ok, line) in runtime.block_on(check_chat(&bot, ChatId(chat), me.id)) {
                        report(ok, line);
                    }
                }
                (Some(_), Err(_)) => report(
                    false,
                    "the sessions group (TGMUX_CHAT) cannot be checked without a valid token"
                        .to_owned(),
                ),
            }
            match Auth::load(&config.allowed_users, &config.data_dir).map(|a| a.users().len()) {
                Ok(0) => note(
                    "no allowed users yet: `tgmux run` prints a one-time pairing code to send as /pair CODE, or set TGMUX_ALLOWED_USERS to your Telegram user id (ask @userinfobot)".to_owned(),
                ),
                Ok(n) => report(true, format!("{n} allowed user(s)")),
                Err(e) => report(false, e.to_string()),
            }
            for root in &config.roots {
                match root.is_dir() {
                    true => report(true, format!("sessions may run under {}", root.display())),
                    false => report(
                        false,
                        format!(
                            "root {} is not a folder: create it or fix TGMUX_ROOTS (folders separated by `:`)",
                            root.display()
                        ),
                    ),
                }
            }
        }
        None => report(
            false,
            "Telegram, the allowed users and the roots are checked once the settings above are fixed".to_owned(),
        ),
    }
    match Config::data_dir_from_env() {
        Ok(dir) => match check_writable(&dir) {
            Ok(()) => {
                report(true, format!("data folder {} is writable", dir.display()));
                if let Some(open) = open_to_others(&dir) {
                    note(format!(
                        "{} above the data folder may be written by others: Gemini CLI then skips the hooks tgmux gives it, and its answers are read off the screen; set TGMUX_DATA_DIR to a folder under your home",
                        open.display()
                    ));
                }
            }
            Err(e) => report(
                false,
                format!(
                    "data folder {}: {e}; set TGMUX_DATA_DIR to a writable folder",
                    dir.display()
                ),
            ),
        },
        Err(e) => report(false, e.to_string()),
    }
    let agent = env("TGMUX_AGENT").unwrap_or_else(|| tgmux::config::DEFAULT_AGENT.to_owned());
    let program = program_name(&agent);
    match find_on_path(program) {
        Some(path) => report(
            true,
            format!("agent `{program}` found at {}", path.display()),
        ),
        None => report(
            false,
            format!("agent `{program}` is not on PATH: install it or set TGMUX_AGENT"),
        ),
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// How long doctor waits for one Bot API answer.
const ANSWER_WITHIN: std::time::Duration = std::time::Duration::from_secs(15);

async fn check_token(bot: &Bot, config: &Config) -> Result<teloxide::types::User, String> {
    let me = tokio::time::timeout(ANSWER_WITHIN, bot.get_me().send()).await;
    match me {
        Ok(Ok(me)) => Ok(me.user),
        Ok(Err(teloxide::RequestError::Api(e))) => Err(format!(
            "Telegram refused TELEGRAM_BOT_TOKEN ({e}); get a valid one from @BotFather"
        )),
        Ok(Err(e)) => Err(format!(
            "could not reach {}: {e}; check the network, a proxy (HTTPS_PROXY), or TGMUX_API_URL",
            config.api_url
        )),
        Err(_) => Err(format!(
            "no answer from {} within 15s; check the network, a proxy (HTTPS_PROXY), or TGMUX_API_URL",
            config.api_url
        )),
    }
}

/// The sessions group's checks: it exists and the bot is in it, it has
/// topics, and the bot may manage topics and pin; each failure says the fix.
async fn check_chat(bot: &Bot, chat: ChatId, me: UserId) -> Vec<(bool, String)> {
    let info = tokio::time::timeout(ANSWER_WITHIN, bot.get_chat(chat).send()).await;
    let info = match info {
        Ok(Ok(info)) => info,
        Ok(Err(e)) => {
            return vec![(
                false,
                format!(
                    "sessions group {chat} (TGMUX_CHAT): {e}; check the id and add the bot to the group"
                ),
            )];
        }
        Err(_) => {
            return vec![(
                false,
                format!("getChat: no answer within {ANSWER_WITHIN:?}"),
            )];
        }
    };
    let title = info.title().unwrap_or_default().to_owned();
    let forum = matches!(
        &info.kind,
        ChatFullInfoKind::Public(public)
            if matches!(&public.kind, ChatFullInfoPublicKind::Supergroup(s) if s.is_forum)
    );
    let mut lines = vec![if forum {
        (true, format!("sessions group \"{title}\" has topics"))
    } else {
        (
            false,
            format!("sessions group \"{title}\" has no topics: in its settings, turn on Topics"),
        )
    }];
    let member = tokio::time::timeout(ANSWER_WITHIN, bot.get_chat_member(chat, me).send()).await;
    let rights = match member {
        Ok(Ok(member)) => match member.kind {
            ChatMemberKind::Owner(_) => Some((true, true)),
            ChatMemberKind::Administrator(a) => Some((a.can_manage_topics, a.can_pin_messages)),
            _ => None,
        },
        Ok(Err(e)) => {
            lines.push((false, format!("getChatMember: {e}")));
            return lines;
        }
        Err(_) => {
            lines.push((
                false,
                format!("getChatMember: no answer within {ANSWER_WITHIN:?}"),
            ));
            return lines;
        }
    };
    let fix = "in the group's settings, make the bot an administrator with";
    lines.extend(match rights {
        None => vec![(
            false,
            format!("the bot is not an administrator of \"{title}\": {fix} \"Manage topics\" and \"Pin messages\""),
        )],
        Some((topics, pins)) => vec![
            if topics {
                (true, "the bot may manage topics".to_owned())
            } else {
                (false, format!("the bot may not manage topics: {fix} \"Manage topics\""))
            },
            if pins {
                (true, "the bot may pin messages".to_owned())
            } else {
                (false, format!("the bot may not pin messages: {fix} \"Pin messages\""))
            },
        ],
    });
    lines
}

fn check_writable(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let probe = dir.join(".doctor-probe");
    tgmux::durable::write_atomic(&probe, b"ok")?;
    std::fs::remove_file(probe)
}

/// The first folder at or above `dir` that others may write to (mode
/// `g+w` or `o+w`, such as /tmp).
fn open_to_others(dir: &Path) -> Option<&Path> {
    use std::os::unix::fs::PermissionsExt;
    dir.ancestors()
        .find(|folder| std::fs::metadata(folder).is_ok_and(|m| m.permissions().mode() & 0o022 != 0))
}

fn find_on_path(program: &str) -> Option<std::path::PathBuf> {
    if program.contains('/') {
        let path = Path::new(program);
        return path.is_file().then(|| path.to_path_buf());
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_aligns_columns() {
        let rows = [
            ["webapp".to_owned(), "active".to_owned()],
            ["a".to_owned(), "stopped (3)".to_owned()],
        ];
        assert_eq!(
            table(["NAME", "STATE"], &rows),
            "NAME    STATE\nwebapp  active\na       stopped (3)\n"
        );
    }
}
