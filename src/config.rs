//! Configuration from the environment (and `.env`), validated into a [`Config`]
//! with errors that name the key and what is wrong with it.

use std::fmt;
use std::path::{Path, PathBuf};

/// Telegram's own Bot API.
pub const DEFAULT_API_URL: &str = "https://api.telegram.org";
pub const DEFAULT_SOCKET: &str = "tgmux";
pub const DEFAULT_AGENT: &str = "claude";

/// A bot token; its `Debug` and `Display` never show it, so it cannot end up in a log.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

/// A Telegram user id, as `TGMUX_ALLOWED_USERS` lists them.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct UserId(pub u64);

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Everything `tgmux run` needs, validated.
#[derive(Debug, Clone)]
pub struct Config {
    pub token: Token,
    pub allowed_users: Vec<UserId>,
    pub api_url: url::Url,
    pub data_dir: PathBuf,
    pub tmux_socket: String,
    pub roots: Vec<PathBuf>,
    pub agent: String,
    /// The user's home folder (`HOME`), for `~` in folders and messages.
    pub home: Option<PathBuf>,
}

/// A setting that is missing or malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("{key} is not set; {hint}")]
    Missing {
        key: &'static str,
        hint: &'static str,
    },
    #[error("{key} is invalid: {reason}")]
    Invalid { key: &'static str, reason: String },
}

fn invalid(key: &'static str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key,
        reason: reason.into(),
    }
}

impl Config {
    /// Reads the process environment (call `dotenvy::dotenv()` first to load `.env`).
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(|key| std::env::var(key).ok())
    }

    /// The data folder alone, for commands that need no token (`tgmux ls`).
    pub fn data_dir_from_env() -> Result<PathBuf, ConfigError> {
        let get = |key: &str| std::env::var(key).ok().filter(|v| !v.trim().is_empty());
        let home = get("HOME").map(PathBuf::from);
        parse_data_dir(get("TGMUX_DATA_DIR"), get("XDG_STATE_HOME"), home.as_ref())
    }

    /// Builds a config from any key lookup, so tests need no process environment.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let get = |key: &str| {
            get(key)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let home = get("HOME").map(PathBuf::from);
        Ok(Config {
            token: parse_token(get("TELEGRAM_BOT_TOKEN"))?,
            allowed_users: parse_users(get("TGMUX_ALLOWED_USERS").as_deref())?,
            api_url: parse_api_url(get("TGMUX_API_URL").as_deref())?,
            data_dir: parse_data_dir(get("TGMUX_DATA_DIR"), get("XDG_STATE_HOME"), home.as_ref())?,
            tmux_socket: parse_socket(get("TGMUX_TMUX_SOCKET"))?,
            roots: parse_roots(get("TGMUX_ROOTS").as_deref(), home.as_ref())?,
            agent: get("TGMUX_AGENT").unwrap_or_else(|| DEFAULT_AGENT.to_owned()),
            home,
        })
    }
}

fn parse_token(value: Option<String>) -> Result<Token, ConfigError> {
    const KEY: &str = "TELEGRAM_BOT_TOKEN";
    let token = value.ok_or(ConfigError::Missing {
        key: KEY,
        hint: "create a bot with @BotFather and put its token in .env",
    })?;
    let well_formed = token.split_once(':').is_some_and(|(id, secret)| {
        !id.is_empty()
            && id.bytes().all(|b| b.is_ascii_digit())
            && !secret.is_empty()
            && secret
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    });
    if !well_formed {
        // The value itself is not echoed: a near-miss token is still a secret.
        return Err(invalid(
            KEY,
            "expected the form 123456789:AAE... that @BotFather gives",
        ));
    }
    Ok(Token(token))
}

/// Parses a comma-separated list of numeric Telegram user ids.
fn parse_users(value: Option<&str>) -> Result<Vec<UserId>, ConfigError> {
    const KEY: &str = "TGMUX_ALLOWED_USERS";
    let Some(value) = value else {
        return Ok(Vec::new());
    };
    let mut users = Vec::new();
    for part in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let id = part
            .parse::<u64>()
            .ok()
            .filter(|id| *id > 0)
            .ok_or_else(|| {
                invalid(
                    KEY,
                    format!(
                        "`{part}` is not a numeric user id (message @userinfobot to find yours)"
                    ),
                )
            })?;
        if !users.contains(&UserId(id)) {
            users.push(UserId(id));
        }
    }
    Ok(users)
}

fn parse_api_url(value: Option<&str>) -> Result<url::Url, ConfigError> {
    const KEY: &str = "TGMUX_API_URL";
    let raw = value.unwrap_or(DEFAULT_API_URL);
    let url =
        url::Url::parse(raw).map_err(|e| invalid(KEY, format!("`{raw}` is not a URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid(
            KEY,
            format!("`{raw}` must start with http:// or https://"),
        ));
    }
    Ok(url)
}

fn parse_data_dir(
    value: Option<String>,
    xdg_state: Option<String>,
    home: Option<&PathBuf>,
) -> Result<PathBuf, ConfigError> {
    const KEY: &str = "TGMUX_DATA_DIR";
    if let Some(dir) = value {
        return absolute(KEY, &dir, home);
    }
    if let Some(state) = xdg_state.filter(|s| s.starts_with('/')) {
        return Ok(PathBuf::from(state).join("tgmux"));
    }
    home.map(|h| h.join(".local/state/tgmux"))
        .ok_or(ConfigError::Missing {
            key: KEY,
            hint: "HOME is not set either; set TGMUX_DATA_DIR to a folder tgmux may write",
        })
}

fn parse_socket(value: Option<String>) -> Result<String, ConfigError> {
    let socket = value.unwrap_or_else(|| DEFAULT_SOCKET.to_owned());
    let ok = socket
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    if !ok {
        return Err(invalid(
            "TGMUX_TMUX_SOCKET",
            format!("`{socket}` may only hold letters, digits, `-`, `_` and `.`"),
        ));
    }
    Ok(socket)
}

fn parse_roots(value: Option<&str>, home: Option<&PathBuf>) -> Result<Vec<PathBuf>, ConfigError> {
    const KEY: &str = "TGMUX_ROOTS";
    let Some(value) = value else {
        return home.cloned().map(|h| vec![h]).ok_or(ConfigError::Missing {
            key: KEY,
            hint: "HOME is not set either; list the folders sessions may use, separated by `:`",
        });
    };
    let mut roots = Vec::new();
    for part in value.split(':').map(str::trim).filter(|p| !p.is_empty()) {
        let root = absolute(KEY, part, home)?;
        if !root.is_dir() {
            return Err(invalid(
                KEY,
                format!("{} is not an existing folder", root.display()),
            ));
        }
        roots.push(root);
    }
    if roots.is_empty() {
        return Err(invalid(KEY, "no folder given"));
    }
    Ok(roots)
}

/// `~` and `~/x` under `home` (when it is known); anything else as written.
pub fn expand_home(raw: &str, home: Option<&Path>) -> PathBuf {
    match (raw, raw.strip_prefix("~/"), home) {
        ("~", _, Some(home)) => home.to_owned(),
        (_, Some(rest), Some(home)) => home.join(rest),
        _ => PathBuf::from(raw),
    }
}

/// `~/x` under home, or an absolute path; anything else is an error naming `key`.
fn absolute(key: &'static str, raw: &str, home: Option<&PathBuf>) -> Result<PathBuf, ConfigError> {
    let path = expand_home(raw, home.map(PathBuf::as_path));
    if !path.is_absolute() {
        return Err(invalid(key, format!("`{raw}` is not an absolute path")));
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    const TOKEN: &str = "123456:ABC-def_ghi";

    fn config(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults() {
        let c = config(&[("TELEGRAM_BOT_TOKEN", TOKEN), ("HOME", "/tmp")]).unwrap();
        assert_eq!(c.token.expose(), TOKEN);
        assert!(c.allowed_users.is_empty());
        assert_eq!(c.api_url.as_str(), "https://api.telegram.org/");
        assert_eq!(c.data_dir, PathBuf::from("/tmp/.local/state/tgmux"));
        assert_eq!(c.tmux_socket, "tgmux");
        assert_eq!(c.roots, vec![PathBuf::from("/tmp")]);
        assert_eq!(c.agent, "claude");
    }

    #[test]
    fn every_setting() {
        let c = config(&[
            ("TELEGRAM_BOT_TOKEN", TOKEN),
            ("HOME", "/tmp"),
            ("TGMUX_ALLOWED_USERS", " 12, 34 ,12,"),
            ("TGMUX_API_URL", "http://127.0.0.1:9999"),
            ("TGMUX_DATA_DIR", "~/data"),
            ("TGMUX_TMUX_SOCKET", "tgmux-test"),
            ("TGMUX_ROOTS", "/tmp:/"),
            ("TGMUX_AGENT", "claude --model opus"),
        ])
        .unwrap();
        assert_eq!(c.allowed_users, vec![UserId(12), UserId(34)]);
        assert_eq!(c.api_url.as_str(), "http://127.0.0.1:9999/");
        assert_eq!(c.data_dir, PathBuf::from("/tmp/data"));
        assert_eq!(c.roots, vec![PathBuf::from("/tmp"), PathBuf::from("/")]);
        assert_eq!(c.agent, "claude --model opus");
    }

    #[test]
    fn errors_name_the_key() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[("HOME", "/tmp")], "TELEGRAM_BOT_TOKEN is not set"),
            (
                &[("TELEGRAM_BOT_TOKEN", "nope")],
                "TELEGRAM_BOT_TOKEN is invalid",
            ),
            (
                &[
                    ("TELEGRAM_BOT_TOKEN", TOKEN),
                    ("HOME", "/tmp"),
                    ("TGMUX_ALLOWED_USERS", "12,bob"),
                ],
                "`bob`",
            ),
            (
                &[
                    ("TELEGRAM_BOT_TOKEN", TOKEN),
                    ("HOME", "/tmp"),
                    ("TGMUX_API_URL", "ftp://x"),
                ],
                "TGMUX_API_URL",
            ),
            (
                &[
                    ("TELEGRAM_BOT_TOKEN", TOKEN),
                    ("HOME", "/tmp"),
                    ("TGMUX_ROOTS", "relative"),
                ],
                "TGMUX_ROOTS",
            ),
            (
                &[
                    ("TELEGRAM_BOT_TOKEN", TOKEN),
                    ("HOME", "/tmp"),
                    ("TGMUX_ROOTS", "/no/such/dir"),
                ],
                "not an existing folder",
            ),
            (
                &[
                    ("TELEGRAM_BOT_TOKEN", TOKEN),
                    ("HOME", "/tmp"),
                    ("TGMUX_TMUX_SOCKET", "a/b"),
                ],
                "TGMUX_TMUX_SOCKET",
            ),
            (
                &[("TELEGRAM_BOT_TOKEN", TOKEN), ("TGMUX_DATA_DIR", "rel")],
                "TGMUX_DATA_DIR",
            ),
        ];
        for (pairs, expected) in cases {
            let err = config(pairs).unwrap_err().to_string();
            assert!(err.contains(expected), "{pairs:?}: {err}");
        }
    }

    #[test]
    fn home_expansion() {
        let home = Some(Path::new("/home/u"));
        assert_eq!(expand_home("~", home), PathBuf::from("/home/u"));
        assert_eq!(expand_home("~/code", home), PathBuf::from("/home/u/code"));
        assert_eq!(expand_home("~bob/x", home), PathBuf::from("~bob/x"));
        assert_eq!(expand_home("code", home), PathBuf::from("code"));
        assert_eq!(expand_home("~/code", None), PathBuf::from("~/code"));
    }

    #[test]
    fn token_never_shown() {
        let c = config(&[("TELEGRAM_BOT_TOKEN", TOKEN), ("HOME", "/tmp")]).unwrap();
        assert!(!format!("{c:?}").contains("ABC-def"));
        let err = config(&[("TELEGRAM_BOT_TOKEN", "123:bad token!")]).unwrap_err();
        assert!(!err.to_string().contains("bad token"));
    }
}
