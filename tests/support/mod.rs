//! Helpers shared by the integration tests; not every test uses every one.
#![allow(dead_code)]

pub mod bot;
pub mod botapi;
pub mod tmux;

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
