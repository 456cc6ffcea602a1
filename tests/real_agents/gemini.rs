//! Gemini CLI, at the version `.ci/agents/install-gemini.sh` pins, against
//! the loopback Gemini stand-in: its folder-trust dialog, its auth-method
//! menu, a shell command confirmation and file write/edit confirmations,
//! captured as fixtures and answered from the phone through tgmux; what it
//! does with a task given while the trust dialog is open; and the JSON its
//! hooks receive.
//!
//! The CLI runs with a home of its own (settings that turn off usage
//! statistics, telemetry and update checks), a fake API key, and
//! `GOOGLE_GEMINI_BASE_URL` pointing at the stand-in.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::harness;
use crate::support::bot::{ALICE, BotProcess, BotSetup, ask, tap, turn_finished};
use crate::support::botapi::{BotApi, SentMessage};
use crate::support::models::gemini::{GeminiStandIn, Reply, Turn};
use crate::support::tmux::TmuxSandbox;
use crate::support::{sh_quote, wait_until};

/// The model named on the command line: with its default (`auto`) the CLI
/// first asks a router model which model to use, a call off the script.
const MODEL: &str = "gemini-2.5-flash";
/// The API key the CLI is given; the stand-in takes any.
const API_KEY: &str = "fake-gemini-key";
/// How long the CLI may take to start and draw a prompt, or to act on an
/// answer (it loads a 100 MB bundle; two cores are shared).
const SLOW: Duration = Duration::from_secs(40);
/// How long a screen must stay unchanged to count as drawn.
const QUIET: Duration = Duration::from_millis(400);
/// The tmux session of the capture tests, and its pane as a tmux target.
const PANE: &str = "gemini";
const TARGET: &str = "=gemini:";

/// A shell command the model asks to run, and the file it writes.
const SHELL_COMMAND: &str = "echo hi > marker.txt";
const MARKER: &str = "marker.txt";

/// How the CLI's home is set up before it starts.
#[derive(Clone, Copy, PartialEq)]
enum Start {
    /// Nothing chosen yet: the trust dialog, then the auth-method menu.
    Fresh,
    /// API-key auth chosen, the folder not trusted: the trust dialog first.
    Untrusted,
    /// API-key auth chosen and the folder trusted: straight to the input box.
    Ready,
}

/// Gemini CLI set up in a sandbox: the stand-in it talks to, its home, and
/// the project folder it runs in (`code/webapp`, where `/new webapp` goes).
struct Gemini {
    model: GeminiStandIn,
    home: PathBuf,
    folder: PathBuf,
}

impl Gemini {
    /// Starts the stand-in with `script` and writes the CLI's home for `start`.
    async fn new(sandbox: &TmuxSandbox, start: Start, script: Vec<Reply>) -> Gemini {
        let gemini = Gemini {
            model: GeminiStandIn::start(script).await,
            home: sandbox.path("home"),
            folder: sandbox.path("code/webapp"),
        };
        std::fs::create_dir_all(&gemini.folder).expect("create the project folder");
        let mut settings = json!({
            "privacy": { "usageStatisticsEnabled": false },
            "telemetry": { "enabled": false },
            "general": { "enableAutoUpdate": false, "enableAutoUpdateNotification": false },
        });
        if start != Start::Fresh {
            settings["security"] = json!({ "auth": { "selectedType": "gemini-api-key" } });
        }
        gemini.write_settings(&settings);
        if start == Start::Ready {
            gemini.trust_folder();
        }
        gemini
    }

    /// Records the project folder as trusted, as the trust dialog would.
    fn trust_folder(&self) {
        let mut trusted = serde_json::Map::new();
        trusted.insert(
            self.folder.to_string_lossy().into_owned(),
            json!("TRUST_FOLDER"),
        );
        write_json(&self.trusted_folders_file(), &Value::Object(trusted));
    }

    /// Replaces the CLI's user settings.
    fn write_settings(&self, settings: &Value) {
        write_json(&self.home.join(".gemini/settings.json"), settings);
    }

    fn settings(&self) -> Value {
        read_json(&self.home.join(".gemini/settings.json")).unwrap_or(Value::Null)
    }

    fn trusted_folders_file(&self) -> PathBuf {
        self.home.join(".gemini/trustedFolders.json")
    }

    /// The folders the CLI was told to trust, and how.
    fn trusted_folders(&self) -> Value {
        read_json(&self.trusted_folders_file()).unwrap_or(Value::Null)
    }

    /// The variables the CLI needs on top of the test's own (`PATH` finds node).
    fn env(&self) -> Vec<(String, String)> {
        [
            ("HOME", self.home.to_string_lossy().into_owned()),
            ("GEMINI_API_KEY", API_KEY.to_owned()),
            ("GOOGLE_GEMINI_BASE_URL", self.model.url()),
            // A terminal that says it has true colour, as most do: without
            // it the CLI adds a warning to every screen.
            ("COLORTERM", "truecolor".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }

    /// The command line, as `TGMUX_AGENT` gives it. The path goes unquoted:
    /// tgmux knows the agent by its program name, and passes the task as the
    /// prompt argument only to a program it knows.
    fn command() -> String {
        format!("{} -m {MODEL}", harness::cli("gemini").display())
    }

    /// Starts the CLI in the sandbox session [`PANE`] at 80x24, in the
    /// project folder, with `task` given by `--prompt-interactive`.
    fn start_in_pane(&self, sandbox: &TmuxSandbox, task: Option<&str>) {
        let mut command = Gemini::command();
        if let Some(task) = task {
            command.push_str(&format!(" --prompt-interactive {}", sh_quote(task)));
        }
        let folder = self.folder.to_string_lossy();
        let mut args = vec!["new-session", "-d", "-s", PANE, "-x", "80", "-y", "24"];
        args.extend(["-c", &folder]);
        let env: Vec<String> = self.env().iter().map(|(k, v)| format!("{k}={v}")).collect();
        for var in &env {
            args.extend(["-e", var]);
        }
        args.push(&command);
        let out = sandbox.tmux(&args);
        assert!(out.status.success(), "new-session: {out:?}");
    }

    /// Waits until the stand-in has been asked for `n` turns; returns them.
    fn wait_for_turns(&self, n: usize) -> Vec<Turn> {
        let mut turns = Vec::new();
        wait_until(SLOW, &format!("{n} turns asked of the stand-in"), || {
            turns = self.model.turns();
            turns.len() >= n
        });
        turns
    }
}

fn write_json(path: &Path, value: &Value) {
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("create the folder");
    std::fs::write(path, format!("{value:#}\n")).expect("write JSON");
}

fn read_json(path: &Path) -> Option<Value> {
    serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()
}

// ---- Screens ---------------------------------------------------------------

/// The screen of tmux session `session`, plain or with its colours (`-e`).
fn screen_of(sandbox: &TmuxSandbox, session: &str, colours: bool) -> String {
    let target = format!("={session}:");
    let mut args = vec!["capture-pane", "-p", "-t", &target];
    if colours {
        args.push("-e");
    }
    let out = sandbox.tmux(&args);
    assert!(out.status.success(), "capture-pane: {out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The screen of the capture tests' session [`PANE`].
fn screen(sandbox: &TmuxSandbox, colours: bool) -> String {
    screen_of(sandbox, PANE, colours)
}

/// Presses `keys` in the capture tests' session, as someone at the terminal.
fn press(sandbox: &TmuxSandbox, keys: &str) {
    let out = sandbox.tmux(&["send-keys", "-t", TARGET, keys]);
    assert!(out.status.success(), "send-keys: {out:?}");
}

/// Waits until the pane, `cols` wide, shows `text` on a line drawn across
/// the whole width (a dialog's box, redrawn after a resize) and has not
/// changed for [`QUIET`]; returns that screen.
fn drawn(sandbox: &TmuxSandbox, text: &str, cols: usize) -> String {
    let mut last = String::new();
    let mut since = Instant::now();
    wait_until(SLOW, &format!("{text:?} drawn {cols} wide"), || {
        let now = screen(sandbox, false);
        if now != last {
            last = now;
            since = Instant::now();
            return false;
        }
        let full_width = last
            .lines()
            .any(|l| l.contains(text) && l.chars().count() + 4 >= cols);
        full_width && since.elapsed() >= QUIET
    });
    last
}

/// Captures the pane's open prompt, recognised by `text`, at 80x24, then
/// resizes it to 120x40 and captures the redrawn prompt; writes both as
/// fixtures `gemini-<prompt>.<cols>x<rows>[.ansi].txt` when refreshing.
/// Returns the plain screens.
fn capture_sizes(sandbox: &TmuxSandbox, prompt: &str, text: &str) -> Vec<String> {
    let mut screens = Vec::new();
    for (cols, rows) in [(80, 24), (120, 40)] {
        let size = ["-x", &cols.to_string(), "-y", &rows.to_string()].map(str::to_owned);
        let mut args = vec!["resize-window", "-t", TARGET];
        args.extend(size.iter().map(String::as_str));
        let out = sandbox.tmux(&args);
        assert!(out.status.success(), "resize-window: {out:?}");
        let plain = drawn(sandbox, text, cols);
        let colours = screen(sandbox, true);
        if harness::refreshing() {
            let name = format!("gemini-{prompt}.{cols}x{rows}");
            let dir = harness::fixtures_dir();
            std::fs::write(dir.join(format!("{name}.txt")), &plain).expect("write fixture");
            std::fs::write(dir.join(format!("{name}.ansi.txt")), &colours).expect("write fixture");
        }
        screens.push(plain);
    }
    screens
}

/// The model's request to run [`SHELL_COMMAND`].
fn shell_call() -> Reply {
    Reply::call(
        "run_shell_command",
        json!({ "command": SHELL_COMMAND, "description": "Write the marker file." }),
    )
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "real agent CLI: run .ci/real-agents"]
async fn gemini_trust_dialog_is_captured() {
    let sandbox = TmuxSandbox::new();
    let gemini = Gemini::new(&sandbox, Start::Untrusted, vec![]).await;
    gemini.start_in_pane(&sandbox, None);
    for screen in capture_sizes(&sandbox, "trust", "Do you trust the files in this folder?") {
        assert!(screen.contains("1. Trust folder (webapp)"), "{screen}");
        assert!(screen.contains("3. Don't trust"), "{screen}");
    }
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "real agent CLI: run .ci/real-agents"]
async fn gemini_auth_menu_is_captured() {
    let sandbox = TmuxSandbox::new();
    let gemini = Gemini::new(&sandbox, Start::Fresh, vec![]).await;
    gemini.trust_folder();
    gemini.start_in_pane(&sandbox, None);
    let question = "How would you like to authenticate for this project?";
    for screen in capture_sizes(&sandbox, "auth", question) {
        assert!(screen.contains("● 2. Use Gemini API Key"), "{screen}");
    }
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "real agent CLI: run .ci/real-agents"]
async fn gemini_shell_confirmation_is_captured() {
    let sandbox = TmuxSandbox::new();
    let gemini = Gemini::new(&sandbox, Start::Ready, vec![shell_call()]).await;
    gemini.start_in_pane(&sandbox, Some("write the marker"));
    for screen in capture_sizes(&sandbox, "shell", "Allow execution of [Shell]?") {
        assert!(screen.contains("? Shell  echo hi > marker.txt"), "{screen}");
    }
}

/// The model's request to write `hello.txt` in `folder`.
fn write_call(folder: &Path) -> Reply {
    Reply::call(
        "write_file",
        json!({
            "file_path": folder.join("hello.txt"),
            "content": "hello from gemini\nsecond line\n",
        }),
    )
}

/// The model's request to change `old line` in `notes.txt` in `folder`.
fn edit_call(folder: &Path) -> Reply {
    Reply::call(
        "replace",
        json!({
            "file_path": folder.join("notes.txt"),
            "old_string": "old line",
            "new_string": "new line",
            "instruction": "Change the old line.",
        }),
    )
}

const NOTES: &str = "line one\nold line\nline three\n";

#[tokio::test(flavor = "multi_thread")]
#[ignore = "real agent CLI: run .ci/real-agents"]
async fn gemini_file_confirmations_are_captured() {
    let sandbox = TmuxSandbox::new();
    let folder = sandbox.path("code/webapp");
    let script = vec![write_call(&folder), edit_call(&folder)];
    let gemini = Gemini::new(&sandbox, Start::Ready, script).await;
    std::fs::write(folder.join("notes.txt"), NOTES).expect("write notes");
    gemini.start_in_pane(&sandbox, Some("write the files"));
    for screen in capture_sizes(&sandbox, "write-file", "? WriteFile  Writing to hello.txt") {
        assert!(screen.contains("Apply this change?"), "{screen}");
    }
    press(&sandbox, "1");
    for screen in capture_sizes(&sandbox, "edit", "? Edit  notes.txt: old line => new line") {
        assert!(screen.contains("Apply this change?"), "{screen}");
    }
}

// ---- The trust dialog and a task given with it ----------------------------------

/// Gemini CLI does not hold a `--prompt-interactive` task back while its
/// trust dialog is open: it sends the task at once, draws the tool
/// confirmation above the dialog, and keys go to the confirmation. Trusting
/// the folder then restarts the CLI, which sends the task a second time.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "real agent CLI: run .ci/real-agents"]
async fn gemini_task_runs_before_the_trust_dialog_is_answered() {
    let sandbox = TmuxSandbox::new();
    let script = vec![
        shell_call(),
        Reply::text("All done: the marker is written."),
    ];
    let gemini = Gemini::new(&sandbox, Start::Untrusted, script).await;
    gemini.start_in_pane(&sandbox, Some("write the marker"));
    gemini.wait_for_turns(1);
    let trust = "Do you trust the files in this folder?";
    for screen in capture_sizes(&sandbox, "trust-and-shell", trust) {
        assert!(screen.contains("1. Trust folder (webapp)"), "{screen}");
    }
    let both = screen(&sandbox, false);
    let shell_at = both
        .find("Allow execution of [Shell]?")
        .expect("the shell prompt");
    let trust_at = both.find(trust).expect("the trust dialog");
    assert!(shell_at < trust_at, "the shell prompt above:\n{both}");

    press(&sandbox, "1");
    let marker = gemini.folder.join(MARKER);
    wait_until(SLOW, "the command to run", || marker.exists());
    assert_eq!(std::fs::read_to_string(&marker).expect("marker"), "hi\n");
    let turns = gemini.wait_for_turns(2);
    assert_eq!(turns[1].function_responses()[0].0, "run_shell_command");
    assert_eq!(gemini.trusted_folders(), Value::Null, "still untrusted");
    drawn(&sandbox, trust, 120);

    press(&sandbox, "1");
    let folder = gemini.folder.to_string_lossy().into_owned();
    wait_until(SLOW, "the folder trusted", || {
        gemini.trusted_folders()[&folder] == "TRUST_FOLDER"
    });
    let turns = gemini.wait_for_turns(3);
    assert_eq!(turns[2].function_responses(), []);
    assert_eq!(
        turns[2].user_texts().last().map(String::as_str),
        Some("write the marker"),
        "the restarted CLI sent the task again"
    );
}

// ---- From the phone ---------------------------------------------------------

/// tgmux running with Gemini CLI as its agent, and the phone that drives it.
struct Phone {
    api: BotApi,
    _bot: BotProcess,
    _data: tempfile::TempDir,
}

impl Phone {
    async fn start(sandbox: &TmuxSandbox, gemini: &Gemini) -> Phone {
        let api = BotApi::start().await;
        let mut setup = BotSetup::new(sandbox, Gemini::command());
        setup.env = gemini.env();
        // Gemini CLI skips a system defaults file (where tgmux puts its
        // hooks) with a world-writable folder above it, as /tmp is.
        let data = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("data folder");
        setup.data_dir = data.path().to_path_buf();
        let (bot, _) = BotProcess::start_ready(&api, sandbox, &setup).await;
        Phone {
            api,
            _bot: bot,
            _data: data,
        }
    }

    /// `/new webapp [task]`, then the first question the agent asks.
    async fn new_session(&self, task: &str) -> SentMessage {
        let started = ask(&self.api, ALICE, &format!("/new webapp {task}"), |m| {
            m.text.contains("started")
        })
        .await;
        self.decision_after(started.message_id).await
    }

    /// The first decision message to Alice after message `mark`.
    async fn decision_after(&self, mark: i32) -> SentMessage {
        self.api
            .wait_for_message(SLOW, |m| {
                m.chat_id == ALICE && m.message_id > mark && m.text.contains("is waiting for you")
            })
            .await
    }

    /// Taps the button labelled `label` and checks the tap was taken.
    async fn tap(&self, decision: &SentMessage, label: &str) {
        let answer = tap(&self.api, ALICE, decision.message_id, label).await;
        let said = answer.text.unwrap_or_default();
        assert!(!said.contains("no longer open"), "{said}");
    }
}

/// A decision message about the session, whole: `prompt` is the question
/// and its context as the agent drew them.
fn decision_text(prompt: &str) -> String {
    format!("❓ webapp is waiting for you\n\n{prompt}\n\n⭐ = the agent's proposed default")
}

/// Decision message `d` once it names the call behind it.
fn wait_until_named(phone: &Phone, d: &SentMessage) -> SentMessage {
    let mut named = None;
    wait_until(SLOW, "the decision to name its call", || {
        named = phone
            .api
            .message(d.message_id)
            .filter(|m| m.text.contains("🔧"));
        named.is_some()
    });
    named.expect("named")
}

/// The button labels of a decision message.
fn labels(m: &SentMessage) -> Vec<String> {
    m.buttons().into_iter().map(|(text, _)| text).collect()
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "real agent CLI: run .ci/real-agents"]
async fn gemini_trust_dialog_answered_from_the_phone() {
    let sandbox = TmuxSandbox::new();
    let gemini = Gemini::new(&sandbox, Start::Untrusted, vec![]).await;
    let phone = Phone::start(&sandbox, &gemini).await;
    let d = phone.new_session("").await;
    assert_eq!(
        d.visible,
        decision_text(
            "Do you trust the files in this folder?\n\
             Trusting a folder allows Gemini CLI to load its local configurations, including custom commands, hooks, MCP servers, agent skills, and settings. These\n\
             configurations could execute code on your behalf or change the behavior of the CLI."
        )
    );
    assert_eq!(
        labels(&d),
        [
            "⭐ Trust folder (webapp)",
            "Trust parent folder (code)",
            "Don't trust",
            "👁 Peek"
        ]
    );
    phone.tap(&d, "Trust folder (webapp)").await;
    let folder = gemini.folder.to_string_lossy().into_owned();
    wait_until(SLOW, "the folder trusted", || {
        gemini.trusted_folders()[&folder] == "TRUST_FOLDER"
    });
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "real agent CLI: run .ci/real-agents"]
async fn gemini_auth_menu_answered_from_the_phone() {
    let sandbox = TmuxSandbox::new();
    let gemini = Gemini::new(&sandbox, Start::Fresh, vec![]).await;
    gemini.trust_folder();
    let phone = Phone::start(&sandbox, &gemini).await;
    let d = phone.new_session("").await;
    assert_eq!(
        d.visible,
        decision_text("How would you like to authenticate for this project?\n? Get started")
    );
    assert_eq!(
        labels(&d),
        [
            "Sign in with Google",
            "⭐ Use Gemini API Key",
            "Vertex AI",
            "👁 Peek"
        ]
    );
    phone.tap(&d, "Use Gemini API Key").await;
    wait_until(SLOW, "API-key auth chosen", || {
        gemini.settings()["security"]["auth"]["selectedType"] == "gemini-api-key"
    });
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "real agent CLI: run .ci/real-agents"]
async fn gemini_shell_command_allowed_from_the_phone() {
    let sandbox = TmuxSandbox::new();
    let script = vec![
        shell_call(),
        Reply::text("All done: the marker is written."),
    ];
    let gemini = Gemini::new(&sandbox, Start::Ready, script).await;
    let phone = Phone::start(&sandbox, &gemini).await;
    let d = phone.new_session("write the marker").await;
    // Gemini CLI names the call once its prompt is drawn (its ToolPermission
    // notification): the message names it then, edited in place if need be.
    let named = wait_until_named(&phone, &d);
    assert_eq!(
        named.visible,
        decision_text(&format!(
            "Allow execution of [Shell]?\n? Shell  {SHELL_COMMAND}\n{SHELL_COMMAND}\n🔧 Shell"
        ))
    );
    assert_eq!(
        labels(&d),
        [
            "⭐ Allow once",
            "Allow for this session",
            "No, suggest changes",
            "👁 Peek"
        ]
    );
    phone.tap(&d, "Allow once").await;
    let turns = gemini.wait_for_turns(2);
    assert_eq!(
        std::fs::read_to_string(gemini.folder.join(MARKER)).expect("marker"),
        "hi\n"
    );
    let results = turns[1].function_responses();
    assert_eq!(results.len(), 1, "{results:?}");
    assert_eq!(results[0].0, "run_shell_command");
    let output = results[0].1["output"].as_str().unwrap_or_default();
    assert!(output.contains("Output: (empty)"), "{output}");
    let finished = turn_finished(&phone.api, SLOW).await;
    assert!(
        finished
            .visible
            .ends_with("finished its turn\n\nAll done: the marker is written."),
        "{}",
        finished.visible
    );
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "real agent CLI: run .ci/real-agents"]
async fn gemini_shell_command_refused_from_the_phone() {
    let sandbox = TmuxSandbox::new();
    let gemini = Gemini::new(&sandbox, Start::Ready, vec![shell_call()]).await;
    let phone = Phone::start(&sandbox, &gemini).await;
    let d = phone.new_session("write the marker").await;
    phone.tap(&d, "No, suggest changes").await;
    wait_until(SLOW, "the request cancelled", || {
        screen_of(&sandbox, "webapp", false).contains("Request cancelled.")
    });
    assert!(!gemini.folder.join(MARKER).exists());
    assert_eq!(
        gemini.model.turns().len(),
        1,
        "nothing went back to the model"
    );
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "real agent CLI: run .ci/real-agents"]
async fn gemini_file_write_and_edit_allowed_from_the_phone() {
    let sandbox = TmuxSandbox::new();
    let folder = sandbox.path("code/webapp");
    let script = vec![
        write_call(&folder),
        edit_call(&folder),
        Reply::text("All done: both files are written."),
    ];
    let gemini = Gemini::new(&sandbox, Start::Ready, script).await;
    std::fs::write(folder.join("notes.txt"), NOTES).expect("write notes");
    let phone = Phone::start(&sandbox, &gemini).await;

    let write = phone.new_session("write the files").await;
    assert_eq!(
        wait_until_named(&phone, &write).visible,
        decision_text(&format!(
            "Apply this change?\n\
             ? WriteFile  Writing to hello.txt\n1 hello from gemini\n2 second line\n\
             🔧 File\n{}",
            folder.join("hello.txt").display()
        ))
    );
    let labels_now = labels(&write);
    assert_eq!(
        labels_now,
        [
            "⭐ Allow once",
            "Allow for this session",
            "Modify with external editor",
            "No, suggest changes",
            "👁 Peek"
        ]
    );
    phone.tap(&write, "Allow once").await;
    let turns = gemini.wait_for_turns(2);
    assert_eq!(
        std::fs::read_to_string(folder.join("hello.txt")).expect("hello.txt"),
        "hello from gemini\nsecond line\n"
    );
    assert_eq!(turns[1].function_responses()[0].0, "write_file");

    let edit = phone.decision_after(write.message_id).await;
    assert_eq!(
        wait_until_named(&phone, &edit).visible,
        decision_text(&format!(
            "Apply this change?\n\
             ? Edit  notes.txt: old line => new line\n\
             1   line one\n2 - old line\n2 + new line\n3   line three\n\
             🔧 File\n{}",
            folder.join("notes.txt").display()
        ))
    );
    assert_eq!(labels(&edit), labels_now);
    phone.tap(&edit, "Allow once").await;
    let turns = gemini.wait_for_turns(3);
    assert_eq!(
        std::fs::read_to_string(folder.join("notes.txt")).expect("notes.txt"),
        "line one\nnew line\nline three\n"
    );
    assert_eq!(turns[2].function_responses()[0].0, "replace");
}

// ---- Hooks --------------------------------------------------------------------

/// Where the hook events of a test are written, one file per event name.
fn event_file(sandbox: &TmuxSandbox, event: &str) -> PathBuf {
    sandbox.path(&format!("events/{event}.json"))
}

/// A hook for `event` that writes the JSON it is given to [`event_file`].
fn recording_hook(sandbox: &TmuxSandbox, event: &str) -> Value {
    let file = sh_quote(event_file(sandbox, event));
    json!([{ "matcher": "*", "hooks": [{ "type": "command", "command": format!("cat > {file}") }] }])
}

/// Gemini CLI runs hooks set in its settings (`hooks.AfterAgent`, ...), its
/// user settings here; the command gets the event as JSON on stdin.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "real agent CLI: run .ci/real-agents"]
async fn gemini_after_agent_hook_receives_the_turn() {
    let sandbox = TmuxSandbox::new();
    std::fs::create_dir_all(sandbox.path("events")).expect("events folder");
    let done = "All done: the marker is written.";
    let gemini = Gemini::new(
        &sandbox,
        Start::Ready,
        vec![shell_call(), Reply::text(done)],
    )
    .await;
    let mut settings = gemini.settings();
    settings["hooks"] = json!({
        "AfterAgent": recording_hook(&sandbox, "AfterAgent"),
        "Notification": recording_hook(&sandbox, "Notification"),
    });
    gemini.write_settings(&settings);
    gemini.start_in_pane(&sandbox, Some("write the marker"));

    let notification = event_file(&sandbox, "Notification");
    wait_until(SLOW, "the Notification hook", || {
        read_json(&notification).is_some()
    });
    let event = read_json(&notification).expect("Notification JSON");
    assert_eq!(event["hook_event_name"], "Notification");
    assert_eq!(event["notification_type"], "ToolPermission");
    assert_eq!(event["details"]["command"], SHELL_COMMAND);
    drawn(&sandbox, "Allow execution of [Shell]?", 80);
    press(&sandbox, "1");

    let after = event_file(&sandbox, "AfterAgent");
    wait_until(SLOW, "the AfterAgent hook", || read_json(&after).is_some());
    let event = read_json(&after).expect("AfterAgent JSON");
    assert_eq!(event["hook_event_name"], "AfterAgent");
    assert_eq!(event["prompt"], "write the marker");
    assert_eq!(event["prompt_response"], done);
    assert_eq!(event["stop_hook_active"], false);
    assert_eq!(event["cwd"], json!(gemini.folder));
    let transcript = event["transcript_path"].as_str().unwrap_or_default();
    assert!(
        transcript.starts_with(&*gemini.home.to_string_lossy()),
        "{transcript}"
    );
    assert!(
        event["session_id"]
            .as_str()
            .is_some_and(|id| id.len() == 36),
        "{event}"
    );

    if harness::refreshing() {
        for (name, file) in [("AfterAgent", &after), ("Notification", &notification)] {
            let raw = std::fs::read_to_string(file).expect("event");
            let generic = raw
                .replace(&*gemini.home.to_string_lossy(), "/home/user")
                .replace(&*sandbox.dir().to_string_lossy(), "/home/user/src");
            let dir = harness::fixtures_dir().with_file_name("events");
            std::fs::create_dir_all(&dir).expect("events fixtures folder");
            std::fs::write(dir.join(format!("gemini-{name}.json")), generic)
                .expect("write event fixture");
        }
    }
}
