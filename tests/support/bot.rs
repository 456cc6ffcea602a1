//! The real `tgmux run` binary, started against the loopback Bot API and a
//! tmux sandbox, as a user would run it.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::botapi::BotApi;
use super::tmux::TmuxSandbox;

/// Numbers each bot start, so every run has its own log.
static STARTS: AtomicUsize = AtomicUsize::new(0);

/// The allowed user in end-to-end tests.
pub const ALICE: i64 = 1111;
/// A user who is not allowed.
pub const MALLORY: i64 = 6666;

/// A running `tgmux run`.
pub struct BotProcess {
    child: Option<Child>,
    /// The bot's stderr, held open: the log stays readable when the sandbox
    /// folder holding it is deleted first (a test's fields drop in order).
    log: File,
}

/// Where the bot keeps its data and which folders it may use, within a sandbox.
pub struct BotSetup {
    pub data_dir: PathBuf,
    pub root: PathBuf,
    pub agent: String,
    pub allowed: String,
    /// More variables for the bot's environment.
    pub env: Vec<(String, String)>,
}

impl BotSetup {
    /// Data in `sandbox/data`, sessions under `sandbox/code`, Alice allowed.
    pub fn new(sandbox: &TmuxSandbox, agent: impl Into<String>) -> BotSetup {
        let root = sandbox.path("code");
        std::fs::create_dir_all(root.join("webapp")).expect("create root");
        BotSetup {
            data_dir: sandbox.path("data"),
            root,
            agent: agent.into(),
            allowed: ALICE.to_string(),
            env: Vec::new(),
        }
    }
}

impl BotSetup {
    /// The names in the inbox of session `name` (in the folder of that name
    /// under the root), sorted.
    pub fn inbox(&self, name: &str) -> Vec<String> {
        let dir = self.root.join(name).join(".tgmux/inbox");
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .expect("the inbox")
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    }
}

impl BotProcess {
    /// Starts the binary with its whole configuration in the environment and
    /// an empty working folder (so no stray `.env` is read).
    pub fn start(api: &BotApi, sandbox: &TmuxSandbox, setup: &BotSetup) -> BotProcess {
        let log = sandbox.path(&format!(
            "bot-{}.log",
            STARTS.fetch_add(1, Ordering::Relaxed)
        ));
        let log = File::options()
            .read(true)
            .write(true)
            .create_new(true)
            .open(log)
            .expect("bot log");
        let stderr = log.try_clone().expect("bot log");
        let child = Command::new(env!("CARGO_BIN_EXE_tgmux"))
            .arg("run")
            .current_dir(sandbox.dir())
            .env("TELEGRAM_BOT_TOKEN", api.token())
            .env("TGMUX_API_URL", api.url())
            .env("TGMUX_ALLOWED_USERS", &setup.allowed)
            .env("TGMUX_DATA_DIR", &setup.data_dir)
            .env("TGMUX_TMUX_SOCKET", sandbox.socket())
            .env("TGMUX_ROOTS", &setup.root)
            .env("TGMUX_AGENT", &setup.agent)
            .env("RUST_LOG", "info,tgmux=debug")
            .envs(setup.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .expect("start tgmux");
        BotProcess {
            child: Some(child),
            log,
        }
    }

    /// Starts the binary and waits for its start-up message, which it returns.
    pub async fn start_ready(
        api: &BotApi,
        sandbox: &TmuxSandbox,
        setup: &BotSetup,
    ) -> (BotProcess, super::botapi::SentMessage) {
        let mark = api.sent_messages().last().map_or(0, |m| m.message_id);
        let bot = BotProcess::start(api, sandbox, setup);
        let hello = api
            .wait_for_message(WAIT, |m| {
                m.message_id > mark && m.text.contains("tgmux started")
            })
            .await;
        (bot, hello)
    }

    /// The process id of the running bot.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// What the bot logged so far.
    pub fn log(&self) -> String {
        let mut text = Vec::new();
        let mut chunk = [0; 64 * 1024];
        while let Ok(n @ 1..) = self.log.read_at(&mut chunk, text.len() as u64) {
            text.extend_from_slice(&chunk[..n]);
        }
        String::from_utf8_lossy(&text).into_owned()
    }

    /// Kills the process with SIGKILL, as a crash would, and waits for it.
    pub fn kill(mut self) {
        let mut child = self.child.take().expect("running");
        child.kill().expect("SIGKILL");
        child.wait().expect("wait");
    }

    /// Sends SIGTERM and waits for a clean exit.
    pub fn stop(mut self) -> ExitStatus {
        let mut child = self.child.take().expect("running");
        let status = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = child.try_wait().expect("wait") {
                return status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("tgmux did not stop on SIGTERM; log:\n{}", self.log());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits for the process to exit by itself (a start-up failure).
    pub fn wait_exit(mut self, timeout: Duration) -> (ExitStatus, String) {
        let mut child = self.child.take().expect("running");
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = child.try_wait().expect("wait") {
                return (status, self.log());
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("tgmux kept running; log:\n{}", self.log());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for BotProcess {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
            if std::thread::panicking() {
                eprintln!("--- tgmux log ---\n{}", self.log());
            }
        }
    }
}

/// Sends `text` as `user` and waits for the first message sent to that user
/// afterwards that `pred` accepts.
pub async fn ask(
    api: &BotApi,
    user: i64,
    text: &str,
    pred: impl Fn(&super::botapi::SentMessage) -> bool,
) -> super::botapi::SentMessage {
    let mark = api.send_text(user, text);
    api.wait_for_message(WAIT, |m| {
        m.chat_id == user && m.message_id > mark && pred(m)
    })
    .await
}

/// The first message saying a session finished its turn, within `timeout`.
pub async fn turn_finished(api: &BotApi, timeout: Duration) -> super::botapi::SentMessage {
    api.wait_for_message(timeout, |m| m.visible.contains("finished its turn"))
        .await
}

/// Taps the button labelled `label` on message `message` as `user` and waits
/// for the tap's answer.
pub async fn tap(
    api: &BotApi,
    user: i64,
    message: i32,
    label: &str,
) -> super::botapi::CallbackAnswer {
    let id = api.tap_button(user, message, label);
    api.wait_for_callback_answer(&id, WAIT).await
}

/// How long an end-to-end step may take before the test fails.
pub const WAIT: Duration = Duration::from_secs(15);
