//! What every real-agent test needs: where the installed CLIs are, and
//! capturing an agent's screen as a fixture at the sizes the suite keeps.
#![allow(dead_code)]

use std::path::PathBuf;

/// The folder `.ci/real-agents` installs the CLIs into.
pub fn agents_dir() -> PathBuf {
    std::env::var_os("TGMUX_AGENTS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let home = std::env::var_os("HOME").expect("HOME is set");
            PathBuf::from(home).join(".cache/tgmux/agents")
        })
}

/// The path of an installed CLI (`claude`, `codex`, `gemini`, `aider`);
/// panics with the command to run when it is not installed.
pub fn cli(name: &str) -> PathBuf {
    let dir = agents_dir();
    let found = [
        dir.join("npm/node_modules/.bin").join(name),
        dir.join("venv/bin").join(name),
    ]
    .into_iter()
    .find(|p| p.is_file());
    found.unwrap_or_else(|| {
        panic!(
            "{name} is not installed under {}; run .ci/real-agents",
            dir.display()
        )
    })
}

/// Where screen fixtures live.
pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/screens")
}

/// Whether this run refreshes the committed fixtures from the live screens
/// (`TGMUX_REFRESH_FIXTURES=1`).
pub fn refreshing() -> bool {
    std::env::var_os("TGMUX_REFRESH_FIXTURES").is_some_and(|v| v == "1")
}
