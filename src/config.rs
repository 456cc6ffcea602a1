//! Configuration from the environment (and `.env`), validated into a [`Config`]
//! with errors that name the key and what is wrong with it.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Telegram's own Bot API.
pub const DEFAULT_API_URL: &str = "https://api.telegram.org";
pub const DEFAULT_SOCKET: &str = "tgmux";
pub const DEFAULT_AGENT: &str = "claude";
/// The transcription model asked for when `TGMUX_TRANSCRIBE_MODEL` is not set.
pub const DEFAULT_TRANSCRIBE_MODEL: &str = "whisper-1";
/// How long a transcription may take when `TGMUX_TRANSCRIBE_TIMEOUT_SECS` is not set.
pub const DEFAULT_TRANSCRIBE_TIMEOUT: Duration = Duration::from_secs(120);
/// The largest file taken from the phone when `TGMUX_MAX_FILE_MB` is not
/// set: Telegram's own download limit for bots.
pub const DEFAULT_MAX_FILE_MB: u64 = 20;
/// The largest `TGMUX_MAX_FILE_MB`: a self-hosted Bot API server's limit.
const MAX_FILE_MB_LIMIT: u64 = 2000;

/// A secret (the bot token, the transcription key); its `Debug` never shows
/// it, so it cannot end up in a log.
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
    /// The sessions group (`TGMUX_CHAT`): a forum supergroup where each
    /// session gets a topic. `None`: sessions are shown in private chats.
    pub chat: Option<i64>,
    /// Where voice notes are transcribed; `None` when `TGMUX_TRANSCRIBE_URL` is not set.
    pub transcribe: Option<TranscribeConfig>,
    /// The largest file (voice note, photo, document) taken from the phone, in bytes.
    pub max_file_bytes: u64,
}

/// An OpenAI-compatible transcription endpoint (OpenAI, Groq, a local whisper server).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TranscribeConfig {
    /// The API base: requests go to `{url}/audio/transcriptions`.
    pub url: url::Url,
    /// Sent as a Bearer token when set.
    pub key: Option<Token>,
    pub model: String,
    /// How long one transcription may take, upload included.
    pub timeout: Duration,
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
            chat: parse_chat(get("TGMUX_CHAT").as_deref())?,
            home,
            transcribe: parse_transcribe(&get)?,
            max_file_bytes: parse_max_file_mb(get("TGMUX_MAX_FILE_MB").as_deref())? * 1024 * 1024,
        })
    }
}

/// Every missing or malformed setting, not only the first, so `tgmux doctor`
/// can name them all at once.
pub fn problems(get: impl Fn(&str) -> Option<String>) -> Vec<ConfigError> {
    let get = |key: &str| {
        get(key)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let home = get("HOME").map(PathBuf::from);
    [
        parse_token(get("TELEGRAM_BOT_TOKEN")).err(),
        parse_users(get("TGMUX_ALLOWED_USERS").as_deref()).err(),
        parse_api_url(get("TGMUX_API_URL").as_deref()).err(),
        parse_data_dir(get("TGMUX_DATA_DIR"), get("XDG_STATE_HOME"), home.as_ref()).err(),
        parse_socket(get("TGMUX_TMUX_SOCKET")).err(),
        parse_roots(get("TGMUX_ROOTS").as_deref(), home.as_ref()).err(),
        parse_chat(get("TGMUX_CHAT").as_deref()).err(),
        parse_transcribe(&get).err(),
        parse_max_file_mb(get("TGMUX_MAX_FILE_MB").as_deref()).err(),
    ]
    .into_iter()
    .flatten()
    .collect()
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
    http_url("TGMUX_API_URL", value.unwrap_or(DEFAULT_API_URL))
}

/// An `http://` or `https://` URL; anything else is an error naming `key`.
fn http_url(key: &'static str, raw: &str) -> Result<url::Url, ConfigError> {
    let url =
        url::Url::parse(raw).map_err(|e| invalid(key, format!("`{raw}` is not a URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid(
            key,
            format!("`{raw}` must start with http:// or https://"),
        ));
    }
    Ok(url)
}

/// The transcription settings: all of them when `TGMUX_TRANSCRIBE_URL` is
/// set, none otherwise (a key or model without a URL is a mistake worth saying).
fn parse_transcribe(
    get: &impl Fn(&str) -> Option<String>,
) -> Result<Option<TranscribeConfig>, ConfigError> {
    const KEY: &str = "TGMUX_TRANSCRIBE_URL";
    let key = get("TGMUX_TRANSCRIBE_KEY").map(Token);
    let model = get("TGMUX_TRANSCRIBE_MODEL");
    let timeout = get("TGMUX_TRANSCRIBE_TIMEOUT_SECS");
    let Some(raw) = get(KEY) else {
        if key.is_some() || model.is_some() || timeout.is_some() {
            return Err(ConfigError::Missing {
                key: KEY,
                hint: "other TGMUX_TRANSCRIBE_ settings are set; set it to the API base, e.g. https://api.openai.com/v1",
            });
        }
        return Ok(None);
    };
    let url = http_url(KEY, &raw)?;
    let timeout = match timeout {
        None => DEFAULT_TRANSCRIBE_TIMEOUT,
        Some(secs) => match secs.parse::<u64>() {
            Ok(n) if n > 0 => Duration::from_secs(n),
            _ => {
                return Err(invalid(
                    "TGMUX_TRANSCRIBE_TIMEOUT_SECS",
                    format!("`{secs}` is not a whole number of seconds above 0"),
                ));
            }
        },
    };
    Ok(Some(TranscribeConfig {
        url,
        key,
        model: model.unwrap_or_else(|| DEFAULT_TRANSCRIBE_MODEL.to_owned()),
        timeout,
    }))
}

fn parse_max_file_mb(value: Option<&str>) -> Result<u64, ConfigError> {
    let Some(value) = value else {
        return Ok(DEFAULT_MAX_FILE_MB);
    };
    value
        .parse::<u64>()
        .ok()
        .filter(|mb| (1..=MAX_FILE_MB_LIMIT).contains(mb))
        .ok_or_else(|| {
            invalid(
                "TGMUX_MAX_FILE_MB",
                format!("`{value}` is not a number of megabytes from 1 to {MAX_FILE_MB_LIMIT}"),
            )
        })
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

/// A supergroup's chat id: `-100` and digits, as Telegram gives it.
fn parse_chat(value: Option<&str>) -> Result<Option<i64>, ConfigError> {
    let Some(value) = value else {
        return Ok(None);
    };
    match value.parse::<i64>() {
        Ok(id) if value.starts_with("-100") && id < -1_000_000_000_000 => Ok(Some(id)),
        _ => Err(invalid(
            "TGMUX_CHAT",
            format!(
                "`{value}` is not a supergroup's chat id (it starts with -100; enable topics in the group to make it a supergroup, then see the README for how to find the id)"
            ),
        )),
    }
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
        assert_eq!(c.chat, None);
        assert_eq!(c.transcribe, None);
        assert_eq!(c.max_file_bytes, 20 * 1024 * 1024);
    }

    #[test]
    fn transcription_settings() {
        let base = [("TELEGRAM_BOT_TOKEN", TOKEN), ("HOME", "/tmp")];
        let with = |more: &[(&'static str, &'static str)]| {
            let mut pairs = base.to_vec();
            pairs.extend_from_slice(more);
            config(&pairs)
        };
        let c = with(&[("TGMUX_TRANSCRIBE_URL", "http://127.0.0.1:8000/v1")]).unwrap();
        assert_eq!(
            c.transcribe,
            Some(TranscribeConfig {
                url: "http://127.0.0.1:8000/v1".parse().unwrap(),
                key: None,
                model: "whisper-1".into(),
                timeout: Duration::from_secs(120),
            })
        );
        let c = with(&[
            ("TGMUX_TRANSCRIBE_URL", "https://api.openai.com/v1"),
            ("TGMUX_TRANSCRIBE_KEY", "sk-secret-key"),
            ("TGMUX_TRANSCRIBE_MODEL", "whisper-large-v3"),
            ("TGMUX_TRANSCRIBE_TIMEOUT_SECS", "30"),
            ("TGMUX_MAX_FILE_MB", "50"),
        ])
        .unwrap();
        let t = c.transcribe.as_ref().unwrap();
        assert_eq!(t.key.as_ref().map(Token::expose), Some("sk-secret-key"));
        assert_eq!(
            (t.model.as_str(), t.timeout),
            ("whisper-large-v3", Duration::from_secs(30))
        );
        assert_eq!(c.max_file_bytes, 50 * 1024 * 1024);
        assert!(
            !format!("{c:?}").contains("sk-secret"),
            "the key is never shown"
        );

        let errors = [
            (
                &[("TGMUX_TRANSCRIBE_KEY", "sk-x")][..],
                "TGMUX_TRANSCRIBE_URL is not set; other TGMUX_TRANSCRIBE_ settings are set",
            ),
            (
                &[("TGMUX_TRANSCRIBE_URL", "127.0.0.1:8000")],
                "TGMUX_TRANSCRIBE_URL is invalid",
            ),
            (
                &[
                    ("TGMUX_TRANSCRIBE_URL", "http://127.0.0.1:8000"),
                    ("TGMUX_TRANSCRIBE_TIMEOUT_SECS", "0"),
                ],
                "TGMUX_TRANSCRIBE_TIMEOUT_SECS is invalid: `0`",
            ),
            (
                &[("TGMUX_MAX_FILE_MB", "0")],
                "TGMUX_MAX_FILE_MB is invalid: `0`",
            ),
            (
                &[("TGMUX_MAX_FILE_MB", "lots")],
                "TGMUX_MAX_FILE_MB is invalid: `lots`",
            ),
            (&[("TGMUX_MAX_FILE_MB", "2001")], "from 1 to 2000"),
        ];
        for (pairs, expected) in errors {
            let err = with(pairs).unwrap_err().to_string();
            assert!(err.contains(expected), "{pairs:?}: {err}");
        }
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
            ("TGMUX_CHAT", " -1001234567890 "),
        ])
        .unwrap();
        assert_eq!(c.chat, Some(-1_001_234_567_890));
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
            (
                &[
                    ("TELEGRAM_BOT_TOKEN", TOKEN),
                    ("HOME", "/tmp"),
                    ("TGMUX_CHAT", "-4012345"),
                ],
                "TGMUX_CHAT is invalid: `-4012345` is not a supergroup's chat id",
            ),
            (
                &[
                    ("TELEGRAM_BOT_TOKEN", TOKEN),
                    ("HOME", "/tmp"),
                    ("TGMUX_CHAT", "team"),
                ],
                "TGMUX_CHAT is invalid: `team`",
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
