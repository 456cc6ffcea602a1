//! Helpers shared by the integration tests; not every test uses every one.
#![allow(dead_code)]

pub mod bot;
pub mod botapi;
pub mod models;
pub mod served;
pub mod tmux;
pub mod transcriber;

use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Polls `cond` every 20ms until it holds; panics naming `what` after `timeout`.
pub fn wait_until(timeout: Duration, what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !cond() {
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Polls `check` every 20 ms until it yields, for at most [`bot::WAIT`];
/// panics naming `what` then. The async twin of [`wait_until`].
pub async fn wait_for<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + bot::WAIT;
    loop {
        if let Some(found) = check() {
            return found;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {:?} waiting for {what}",
            bot::WAIT
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The path of a fake agent script in `tests/support/agents/`.
pub fn agent(script: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/support/agents")
        .join(script)
}

/// Quotes `word` for `sh`, so paths and arguments can go in a command line.
pub fn sh_quote(word: impl AsRef<std::ffi::OsStr>) -> String {
    format!(
        "'{}'",
        word.as_ref().to_string_lossy().replace('\'', r"'\''")
    )
}

/// The lines of a file an agent writes; none while it does not exist yet.
pub fn read_lines(path: &std::path::Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Waits until the file holds at least `n` lines, and returns them all.
pub fn wait_for_lines(path: &std::path::Path, n: usize) -> Vec<String> {
    let mut lines = Vec::new();
    wait_until(
        Duration::from_secs(15),
        &format!("{n} lines in {}", path.display()),
        || {
            lines = read_lines(path);
            lines.len() >= n
        },
    );
    lines
}

/// Whether `name` is `YYYY-MM-DD-HHMMSS-` then `rest`, as files from the
/// phone are named in a session's inbox.
pub fn stamped(name: &str, rest: &str) -> bool {
    let stamp = name.get(..17).unwrap_or_default();
    chrono::NaiveDateTime::parse_from_str(stamp, "%Y-%m-%d-%H%M%S").is_ok()
        && name[17..] == format!("-{rest}")
}
