//! The real tmux driver: runs the tmux CLI against a dedicated server socket.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};

use super::{Key, NewSession, PaneInfo, Tmux, TmuxError};

/// Size of the window of a new session, wide enough for agents' menus.
const WIDTH: &str = "160";
const HEIGHT: &str = "50";

/// Separates the fields of `list-panes` output; tmux escapes control
/// characters in session names, so it cannot appear in one.
const SEP: char = '\x1f';
const PANE_FORMAT: &str = "#{session_name}\x1f#{pane_dead}\x1f#{pane_dead_status}\x1f#{pane_dead_signal}\x1f#{window_activity}\x1f#{pane_current_command}\x1f#{pane_current_path}";

/// Run after a session's command, keeping its exit status. tmux can report a
/// pane dead before it has read the pane's last output, so the exit report
/// would miss the agent's last words (`sh: claude: not found`); the shell
/// lingers a moment so they are on the screen first. On its own line, so a
/// `#` in the command cannot comment it out.
const LINGER: &str = "tgmux_status=$?; sleep 0.1; exit $tgmux_status";

/// Printed by the commands of [`dead_guard`] when the target pane is dead.
const DEAD_MARK: &str = "tgmux:pane-dead";

/// Makes paste buffer names unique within this process.
static BUFFERS: AtomicU64 = AtomicU64::new(0);

/// The tmux driver: every call is one synchronous `tmux -L <socket> ...` run.
#[derive(Debug, Clone)]
pub struct CliTmux {
    socket: String,
    program: PathBuf,
}

impl CliTmux {
    /// A driver for the server on socket `socket`, running `tmux` from PATH.
    pub fn new(socket: impl Into<String>) -> CliTmux {
        CliTmux::with_program(socket, "tmux")
    }

    /// A driver running the given tmux binary (for `doctor` and tests).
    pub fn with_program(socket: impl Into<String>, program: impl Into<PathBuf>) -> CliTmux {
        CliTmux {
            socket: socket.into(),
            program: program.into(),
        }
    }

    /// The tmux version, as `tmux -V` prints it (`tmux 3.3a`).
    pub fn version(&self) -> Result<String, TmuxError> {
        let out = self.run("-V", "", &["-V".to_owned()], None)?;
        Ok(out.trim().to_owned())
    }

    /// `tmux -L <socket>`, inheriting this process's environment.
    fn command(&self) -> Command {
        let mut command = Command::new(&self.program);
        command.arg("-L").arg(&self.socket);
        command
    }

    /// Runs tmux with `args` (and `stdin`), returning its stdout; `name` is
    /// the session named in errors.
    fn run(
        &self,
        what: &str,
        name: &str,
        args: &[String],
        stdin: Option<&str>,
    ) -> Result<String, TmuxError> {
        self.run_as(self.command(), what, name, args, stdin)
    }

    /// Like [`CliTmux::run`], with a prepared command (its environment set).
    fn run_as(
        &self,
        mut command: Command,
        what: &str,
        name: &str,
        args: &[String],
        stdin: Option<&str>,
    ) -> Result<String, TmuxError> {
        let mut child = command
            .args(args)
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| match e.kind() {
                io::ErrorKind::NotFound => TmuxError::NotInstalled,
                _ => TmuxError::Io(e),
            })?;
        if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
            // tmux may fail and exit before reading: its status tells why.
            match pipe.write_all(text.as_bytes()) {
                Err(e) if e.kind() != io::ErrorKind::BrokenPipe => return Err(e.into()),
                _ => {}
            }
        }
        let out = child.wait_with_output()?;
        if out.status.success() {
            return Ok(String::from_utf8_lossy(&out.stdout).into_owned());
        }
        let stderr = String::from_utf8_lossy(&out.stderr).trim().to_owned();
        Err(self.failure(what, name, stderr))
    }

    /// Turns tmux's complaint into the error a user can act on.
    fn failure(&self, what: &str, name: &str, stderr: String) -> TmuxError {
        let socket = self.socket.clone();
        let name = name.to_owned();
        if [
            "no server running",
            "error connecting to",
            "server exited unexpectedly",
        ]
        .iter()
        .any(|m| stderr.contains(m))
        {
            TmuxError::ServerNotRunning { socket }
        } else if stderr.contains("can't find session") || stderr.contains("session not found") {
            TmuxError::NoSuchSession { name, socket }
        } else if stderr.contains("duplicate session") {
            TmuxError::DuplicateSession { name, socket }
        } else {
            TmuxError::Command {
                command: what.to_owned(),
                stderr,
            }
        }
    }

    /// Runs a command list that starts with [`dead_guard`].
    fn run_guarded(
        &self,
        what: &str,
        name: &str,
        args: &[String],
        stdin: Option<&str>,
    ) -> Result<(), TmuxError> {
        let out = self.run(what, name, args, stdin)?;
        if out.lines().any(|l| l == DEAD_MARK) {
            return Err(TmuxError::PaneDead {
                name: name.to_owned(),
            });
        }
        Ok(())
    }

    /// Every pane, each with whether a signal killed it.
    fn panes(&self) -> Result<Vec<(PaneInfo, bool)>, TmuxError> {
        let args = words(&["list-panes", "-a", "-F", PANE_FORMAT]);
        let out = match self.run("list-panes", "", &args, None) {
            Err(TmuxError::ServerNotRunning { .. }) => return Ok(Vec::new()),
            // A server whose last session just ended has nothing to list from.
            Err(TmuxError::Command { stderr, .. }) if stderr.contains("no current target") => {
                return Ok(Vec::new());
            }
            other => other?,
        };
        Ok(out
            .lines()
            .filter_map(|line| {
                let pane = parse_pane(line);
                if pane.is_none() {
                    tracing::warn!(line, "skipping unreadable list-panes line");
                }
                pane
            })
            .collect())
    }
}

impl Tmux for CliTmux {
    fn socket(&self) -> &str {
        &self.socket
    }

    fn new_session(&self, spec: &NewSession) -> Result<(), TmuxError> {
        // tmux silently falls back to another directory when -c is missing.
        if !spec.folder.is_dir() {
            return Err(TmuxError::NoSuchFolder(spec.folder.clone()));
        }
        let name = spec.name.as_str();
        let mut args = words(&[
            "start-server",
            ";",
            "set-option",
            "-g",
            "remain-on-exit",
            "on",
            ";",
            "new-session",
            "-d",
            "-s",
        ]);
        args.push(escape(name));
        args.push("-c".to_owned());
        args.push(escape(&spec.folder.to_string_lossy()));
        args.extend(words(&["-x", WIDTH, "-y", HEIGHT]));
        for (key, value) in &spec.env {
            args.push("-e".to_owned());
            args.push(escape(&format!("{key}={value}")));
        }
        // As argv, the command runs under sh whatever the user's shell is.
        args.extend(words(&["--", "/bin/sh", "-c"]));
        args.push(escape(&format!("{}\n{LINGER}", spec.command)));
        // A server this starts copies the environment of the tmux process that
        // started it into every session, so that process gets exactly the
        // session's environment, and nothing tgmux holds back leaks through.
        let mut command = self.command();
        command
            .env_clear()
            .envs(spec.env.iter().map(|(k, v)| (k, v)));
        self.run_as(command, "new-session", name, &args, None)
            .map(drop)
    }

    fn list_panes(&self) -> Result<Vec<PaneInfo>, TmuxError> {
        let panes = self.panes()?;
        // tmux 3.3a can miss the SIGCHLD of a pane that exits at once, and
        // then reaps it (learning its status) only when another child exits.
        if !panes
            .iter()
            .any(|(pane, signalled)| pane.dead && pane.exit_status.is_none() && !signalled)
        {
            return Ok(panes.into_iter().map(|(pane, _)| pane).collect());
        }
        match self.run("run-shell", "", &words(&["run-shell", "true"]), None) {
            Err(TmuxError::ServerNotRunning { .. }) => return Ok(Vec::new()),
            other => other?,
        };
        Ok(self.panes()?.into_iter().map(|(pane, _)| pane).collect())
    }

    fn send_text(&self, name: &str, text: &str) -> Result<(), TmuxError> {
        if text.is_empty() {
            // An empty load-buffer makes no buffer to paste.
            let args = vec![
                "has-session".to_owned(),
                "-t".to_owned(),
                escape(&session(name)),
            ];
            return self.run("has-session", name, &args, None).map(drop);
        }
        let buffer = format!(
            "tgmux-{}-{}",
            std::process::id(),
            BUFFERS.fetch_add(1, Ordering::Relaxed)
        );
        let paste = format!("paste-buffer -d -p -b {buffer} -t {}", quote(&pane(name)));
        let mut args = words(&["has-session", "-t"]);
        args.push(escape(&session(name)));
        args.extend(words(&[";", "load-buffer", "-b", &buffer, "-", ";"]));
        // tmux 3.3a crashes the whole server when pasting into a dead pane.
        let cleanup = format!("delete-buffer -b {buffer}");
        args.extend(dead_guard(name, Some(cleanup), Some(paste)));
        self.run_guarded("paste-buffer", name, &args, Some(text))
    }

    fn send_keys(&self, name: &str, keys: &[Key]) -> Result<(), TmuxError> {
        if keys.is_empty() {
            return Ok(());
        }
        let target = escape(&pane(name));
        // send-keys into a dead pane is harmless, so checking first is enough.
        let mut args = dead_guard(name, None, None);
        let mut rest = keys;
        while let Some(first) = rest.first() {
            args.extend([
                ";".to_owned(),
                "send-keys".to_owned(),
                "-t".to_owned(),
                target.clone(),
            ]);
            let split = if first.tmux_name().is_some() {
                let n = rest.iter().take_while(|k| k.tmux_name().is_some()).count();
                args.extend(
                    rest[..n]
                        .iter()
                        .filter_map(|k| k.tmux_name().map(str::to_owned)),
                );
                n
            } else {
                let chars: String = rest
                    .iter()
                    .map_while(|k| match k {
                        Key::Char(c) => Some(*c),
                        _ => None,
                    })
                    .collect();
                let n = chars.chars().count();
                args.extend(words(&["-l", "--"]));
                args.push(escape(&chars));
                n
            };
            rest = &rest[split..];
        }
        self.run_guarded("send-keys", name, &args, None)
    }

    fn capture(&self, name: &str, history: usize) -> Result<String, TmuxError> {
        let mut args = words(&["capture-pane", "-p", "-t"]);
        args.push(escape(&pane(name)));
        if history > 0 {
            args.push("-S".to_owned());
            args.push(format!("-{history}"));
        }
        self.run("capture-pane", name, &args, None)
    }

    fn kill_session(&self, name: &str) -> Result<(), TmuxError> {
        let args = vec![
            "kill-session".to_owned(),
            "-t".to_owned(),
            escape(&session(name)),
        ];
        match self.run("kill-session", name, &args, None) {
            Err(e) if e.is_session_gone() => Ok(()),
            other => other.map(drop),
        }
    }

    fn rename_session(&self, from: &str, to: &str) -> Result<(), TmuxError> {
        let args = vec![
            "rename-session".to_owned(),
            "-t".to_owned(),
            escape(&session(from)),
            "--".to_owned(),
            escape(to),
        ];
        self.run("rename-session", from, &args, None)
            .map(drop)
            .map_err(|e| match e {
                TmuxError::DuplicateSession { socket, .. } => TmuxError::DuplicateSession {
                    name: to.to_owned(),
                    socket,
                },
                e => e,
            })
    }
}

/// The exact target of a session.
fn session(name: &str) -> String {
    format!("={name}")
}

/// The exact target of a session's active pane.
fn pane(name: &str) -> String {
    format!("={name}:")
}

fn words(ws: &[&str]) -> Vec<String> {
    ws.iter().map(|w| (*w).to_owned()).collect()
}

/// Keeps tmux from reading an argument that ends in `;` as a command separator.
fn escape(arg: &str) -> String {
    match arg.strip_suffix(';') {
        Some(head) => format!("{head}\\;"),
        None => arg.to_owned(),
    }
}

/// Quotes `s` as one word of tmux command syntax, for commands given as strings.
fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// An `if-shell` that, in one server step, runs `cleanup` and prints
/// [`DEAD_MARK`] if `name`'s pane is dead, or else runs `on_alive`.
fn dead_guard(name: &str, cleanup: Option<String>, on_alive: Option<String>) -> Vec<String> {
    let mark = format!("display-message -p {DEAD_MARK}");
    let mut args = words(&["if-shell", "-F", "-t"]);
    args.push(escape(&pane(name)));
    args.push("#{pane_dead}".to_owned());
    args.push(cleanup.map_or_else(|| mark.clone(), |c| format!("{c} ; {mark}")));
    args.extend(on_alive);
    args
}

/// Reads one line of [`PANE_FORMAT`] output, with whether a signal killed the pane.
fn parse_pane(line: &str) -> Option<(PaneInfo, bool)> {
    let mut fields = line.splitn(7, SEP);
    let session = fields.next()?.to_owned();
    let dead = fields.next()? == "1";
    let exit_status = fields.next()?.parse().ok();
    let signalled = !fields.next()?.is_empty();
    let activity = fields.next()?.parse().ok()?;
    let current_command = fields.next()?.to_owned();
    let current_path = PathBuf::from(fields.next()?);
    let pane = PaneInfo {
        session,
        dead,
        exit_status,
        activity,
        current_path,
        current_command,
    };
    Some((pane, signalled))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_protects_only_a_trailing_semicolon() {
        assert_eq!(escape("echo hi;"), "echo hi\\;");
        assert_eq!(escape(";"), "\\;");
        assert_eq!(escape("a\\;"), "a\\\\;");
        assert_eq!(escape("a;b"), "a;b");
    }

    #[test]
    fn quote_survives_single_quotes() {
        assert_eq!(quote("=it's:"), r"'=it'\''s:'");
    }

    #[test]
    fn parses_pane_lines() {
        let line = "my web\x1f1\x1f3\x1f\x1f1700000000\x1fsh\x1f/tmp/a\x1fb";
        let (pane, signalled) = parse_pane(line).unwrap();
        assert!(!signalled);
        assert_eq!(pane.session, "my web");
        assert!(pane.dead);
        assert_eq!(pane.exit_status, Some(3));
        assert_eq!(pane.activity, 1_700_000_000);
        assert_eq!(pane.current_command, "sh");
        assert_eq!(pane.current_path, PathBuf::from("/tmp/a\x1fb"));
        let (alive, _) = parse_pane("w\x1f0\x1f\x1f\x1f5\x1fclaude\x1f/").unwrap();
        assert_eq!(alive.exit_status, None);
        let (_, signalled) = parse_pane("w\x1f1\x1f\x1f9\x1f5\x1fsh\x1f/").unwrap();
        assert!(signalled);
        assert!(parse_pane("w\x1f0").is_none());
    }
}
