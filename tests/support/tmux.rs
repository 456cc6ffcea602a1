//! A throw-away tmux server for tests: its own socket and folder, killed on drop.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use tempfile::TempDir;
use tgmux::session::SessionName;
use tgmux::tmux::{CliTmux, NewSession};

static SANDBOXES: AtomicUsize = AtomicUsize::new(0);

/// A tmux server on a socket no other test or user shares.
pub struct TmuxSandbox {
    socket: String,
    dir: TempDir,
}

impl TmuxSandbox {
    pub fn new() -> TmuxSandbox {
        let n = SANDBOXES.fetch_add(1, Ordering::Relaxed);
        TmuxSandbox {
            socket: format!("tgmux-test-{}-{n}", std::process::id()),
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn socket(&self) -> &str {
        &self.socket
    }

    /// A folder that lives as long as the sandbox.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// A path in [`Self::dir`].
    pub fn path(&self, file: &str) -> PathBuf {
        self.dir.path().join(file)
    }

    pub fn driver(&self) -> CliTmux {
        CliTmux::new(&self.socket)
    }

    /// A session named `name` running `command` in the sandbox folder.
    pub fn spec(&self, name: &str, command: impl Into<String>) -> NewSession {
        NewSession {
            name: SessionName::parse(name).expect("valid session name"),
            folder: self.dir().to_owned(),
            command: command.into(),
            env: Vec::new(),
        }
    }

    /// Runs raw tmux on the sandbox socket, as a user would by hand.
    pub fn tmux(&self, args: &[&str]) -> std::process::Output {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("run tmux")
    }

    /// Keys typed into `session`'s pane, as at the terminal (`send-keys`
    /// arguments: `-l TEXT`, `Enter`, `C-c`).
    pub fn keys(&self, session: &str, keys: &[&str]) {
        let target = format!("={session}:");
        let mut args = vec!["send-keys", "-t", target.as_str()];
        args.extend_from_slice(keys);
        let out = self.tmux(&args);
        assert!(out.status.success(), "send-keys: {out:?}");
    }

    /// What `session`'s pane shows now.
    pub fn pane(&self, session: &str) -> String {
        let target = format!("={session}:");
        let out = self.tmux(&["capture-pane", "-p", "-t", &target]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Whether a session named exactly `name` exists on the sandbox server.
    pub fn has_session(&self, name: &str) -> bool {
        self.tmux(&["has-session", "-t", &format!("={name}")])
            .status
            .success()
    }

    /// Where tmux puts the socket file (it leaves it behind on kill-server).
    fn socket_path(&self) -> Option<PathBuf> {
        let uid = std::fs::metadata(self.dir()).ok()?.uid();
        let base = std::env::var_os("TMUX_TMPDIR").unwrap_or_else(|| "/tmp".into());
        Some(
            Path::new(&base)
                .join(format!("tmux-{uid}"))
                .join(&self.socket),
        )
    }
}

impl Default for TmuxSandbox {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for TmuxSandbox {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
        if let Some(path) = self.socket_path() {
            let _ = std::fs::remove_file(path);
        }
    }
}
