//! What every real-agent test needs: where the installed CLIs are, and
//! capturing an agent's screen as a fixture at the sizes the suite keeps.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::support::tmux::TmuxSandbox;

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

/// [`cli`] as a word for a command line; it must need no quoting, since
/// tgmux recognises an agent by its program's name (`codex`, not `'codex'`).
pub fn cli_word(name: &str) -> String {
    let path = cli(name).to_string_lossy().into_owned();
    let plain = |c: char| c.is_ascii_alphanumeric() || "/._-+".contains(c);
    assert!(
        path.chars().all(plain),
        "{path} needs quoting; install the agents in a plainer folder"
    );
    path
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

/// The pane sizes (columns, rows) fixtures are captured at.
pub const SIZES: [(u16, u16); 2] = [(80, 24), (120, 40)];

/// How long an agent may take to show a screen.
pub const SCREEN_WAIT: Duration = Duration::from_secs(30);

/// How long a redrawn screen must stay the same to count as drawn.
const SETTLE: Duration = Duration::from_millis(400);

/// The text of `target`'s pane, plain or with its colours (`-e`).
pub fn capture(sandbox: &TmuxSandbox, target: &str, colour: bool) -> String {
    let mut args = vec!["capture-pane", "-p", "-t", target];
    if colour {
        args.push("-e");
    }
    let out = sandbox.tmux(&args);
    assert!(out.status.success(), "capture-pane {target}: {out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Waits until `target`'s screen satisfies `ready` and has stopped changing;
/// returns it, or panics showing the last screen. Blocks the thread, so
/// async tests call it on a multi-thread runtime (it moves the runtime's
/// other work off this thread).
pub fn wait_for_screen(
    sandbox: &TmuxSandbox,
    target: &str,
    what: &str,
    ready: impl Fn(&str) -> bool,
) -> String {
    tokio::task::block_in_place(|| {
        let deadline = Instant::now() + SCREEN_WAIT;
        let mut last = String::new();
        let mut since = Instant::now();
        loop {
            let screen = capture(sandbox, target, false);
            if screen != last {
                last = screen;
                since = Instant::now();
            }
            if ready(&last) && since.elapsed() >= SETTLE {
                return last;
            }
            assert!(
                Instant::now() < deadline,
                "timed out after {SCREEN_WAIT:?} waiting for {what}; the screen:\n{last}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    })
}

/// Starts `command` in a new tmux session `name` of 80x24 in `folder`, with
/// `env` added to its environment; the pane stays when the command exits, so
/// its last screen can be read.
pub fn start_agent(
    sandbox: &TmuxSandbox,
    name: &str,
    folder: &Path,
    env: &[(String, String)],
    command: &str,
) {
    let folder = folder.to_str().expect("UTF-8 folder");
    let (cols, rows) = (SIZES[0].0.to_string(), SIZES[0].1.to_string());
    let mut args = vec!["new-session", "-d", "-s", name, "-x", &cols, "-y", &rows];
    args.extend(["-c", folder]);
    let vars: Vec<String> = env.iter().map(|(k, v)| format!("{k}={v}")).collect();
    for var in &vars {
        args.extend(["-e", var]);
    }
    args.extend([
        command,
        ";",
        "set-option",
        "-t",
        name,
        "remain-on-exit",
        "on",
    ]);
    let out = sandbox.tmux(&args);
    assert!(out.status.success(), "new-session: {out:?}");
}

/// The prompt on `target`'s screen at every size in [`SIZES`]: the window is
/// resized and the agent's redraw awaited (`ready` holds and the screen has
/// settled). When [`refreshing`], each is written as the fixtures
/// `<name>.<cols>x<rows>.txt` and `.ansi.txt`, with `private` (the test's
/// temporary folder) replaced by `/home/dev`. Returns the plain screens.
pub fn capture_fixtures(
    sandbox: &TmuxSandbox,
    target: &str,
    name: &str,
    private: &Path,
    ready: impl Fn(&str) -> bool,
) -> Vec<String> {
    let private = private.to_str().expect("UTF-8 path");
    SIZES
        .iter()
        .map(|&(cols, rows)| {
            let (x, y) = (cols.to_string(), rows.to_string());
            let out = sandbox.tmux(&["resize-window", "-t", target, "-x", &x, "-y", &y]);
            assert!(out.status.success(), "resize-window: {out:?}");
            let what = format!("{name} redrawn at {cols}x{rows}");
            let screen = wait_for_screen(sandbox, target, &what, |s| {
                ready(s) && s.lines().count() == usize::from(rows)
            });
            if refreshing() {
                let stem = format!("{name}.{cols}x{rows}");
                let ansi = capture(sandbox, target, true);
                for (file, text) in [
                    (format!("{stem}.txt"), &screen),
                    (format!("{stem}.ansi.txt"), &ansi),
                ] {
                    let path = fixtures_dir().join(file);
                    std::fs::write(&path, text.replace(private, "/home/dev"))
                        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                }
            }
            screen
        })
        .collect()
}
