//! Claude Code (npm `@anthropic-ai/claude-code`, pinned in
//! `.ci/agents/install-claude.sh`) against the loopback Anthropic stand-in,
//! in a throw-away home: onboarding done, the fake key approved, manual
//! ("default") permission mode, every update, telemetry and survey off.
//!
//! Two kinds of test: captures, which bring the CLI to a prompt in a tmux
//! pane of the sizes the suite keeps and check it against (or, refreshing,
//! write) `tests/fixtures/screens/claude-<prompt>.<cols>x<rows>[.ansi].txt`;
//! and phone tests, which drive the real `tgmux run` as a phone user through
//! each prompt and check that the agent did what was tapped.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};
use tempfile::TempDir;
use tgmux::screen::{Screen, classify};

use crate::harness;
use crate::support::bot::{ALICE, BotProcess, BotSetup, WAIT, ask, tap, turn_finished};
use crate::support::botapi::{BotApi, SentMessage};
use crate::support::models::anthropic::{Anthropic, Reply, ToolResult};
use crate::support::tmux::TmuxSandbox;
use crate::support::{sh_quote, wait_for, wait_until};

/// The fake API key; Claude Code remembers approving a key by its last 20
/// characters.
const KEY: &str = "sk-ant-api03-stand-in-key-for-tgmux-tests-0000";
/// What a real project folder is called in the committed fixtures; as long
/// as the temp folders the captures run in (`/tmp/tgmux` and six more), so
/// lines keep their length and layout.
const GENERIC_FOLDER: &str = "/home/dev/webapp";
/// How long the CLI may take to start, answer or redraw.
const SLOW: Duration = Duration::from_secs(30);
/// The sizes the fixtures are kept at, the first the size a capture starts at.
const SIZES: [(u16, u16); 2] = [(80, 24), (120, 40)];

/// The longest button text tgmux sends; longer labels are cut with `…`.
const BUTTON_TEXT: usize = 60;

/// The final text of every scripted turn.
const DONE: &str = "All done.";

// ---- The CLI's home ---------------------------------------------------------------

/// What Claude Code has been through before a test starts.
struct Past {
    /// Theme and security notes are behind it.
    onboarded: bool,
    /// It was told to use the fake key.
    key_approved: bool,
    /// The folder whose trust dialog was answered Yes, if any.
    trusted: Option<PathBuf>,
}

impl Past {
    /// Set up as a user who has been through every start-up question.
    fn settled(folder: &Path) -> Past {
        Past {
            onboarded: true,
            key_approved: true,
            trusted: Some(folder.to_owned()),
        }
    }
}

/// A throw-away `HOME` and `CLAUDE_CONFIG_DIR` holding only what a test sets.
struct Home {
    dir: TempDir,
}

impl Home {
    fn new(past: &Past) -> Home {
        let dir = tempfile::tempdir().expect("temp home");
        let config = dir.path().join(".claude");
        std::fs::create_dir_all(&config).expect("config folder");
        let approved: Vec<&str> = if past.key_approved {
            vec![&KEY[KEY.len() - 20..]]
        } else {
            Vec::new()
        };
        let mut projects = serde_json::Map::new();
        if let Some(folder) = &past.trusted {
            projects.insert(
                folder.to_string_lossy().into_owned(),
                json!({ "hasTrustDialogAccepted": true }),
            );
        }
        let state = json!({
            "hasCompletedOnboarding": past.onboarded,
            // The one-time notices about auto mode, which would cover prompts.
            "hasSeenAutoDefaultNudge": true,
            "hasSeenAutoDefaultNotice": true,
            "customApiKeyResponses": { "approved": approved, "rejected": [] },
            "projects": projects,
        });
        write_json(&config.join(".claude.json"), &state);
        // Manual mode: auto mode (the default) lets a classifier answer prompts.
        let settings = json!({ "permissions": { "defaultMode": "default" } });
        write_json(&config.join("settings.json"), &settings);
        Home { dir }
    }

    /// The environment that points the CLI at this home and at `model`, and
    /// turns off everything that would reach beyond it.
    fn env(&self, model: &Anthropic) -> Vec<(String, String)> {
        let home = self.dir.path();
        [
            ("HOME", home.to_string_lossy().into_owned()),
            (
                "CLAUDE_CONFIG_DIR",
                home.join(".claude").to_string_lossy().into_owned(),
            ),
            ("ANTHROPIC_BASE_URL", model.url()),
            ("ANTHROPIC_API_KEY", KEY.to_owned()),
            ("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1".to_owned()),
            ("DISABLE_AUTOUPDATER", "1".to_owned()),
            ("DISABLE_TELEMETRY", "1".to_owned()),
            ("DISABLE_ERROR_REPORTING", "1".to_owned()),
            (
                "CLAUDE_CODE_DISABLE_OFFICIAL_MARKETPLACE_AUTOINSTALL",
                "1".to_owned(),
            ),
            ("CLAUDE_CODE_DISABLE_FEEDBACK_SURVEY", "1".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }
}

fn write_json(path: &Path, value: &Value) {
    let text = serde_json::to_string_pretty(value).expect("JSON");
    std::fs::write(path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

/// The installed CLI as a command line; the path goes in unquoted, since
/// tgmux recognises Claude Code by the last part of the first word.
fn claude(args: &str) -> String {
    let path = harness::cli("claude").to_string_lossy().into_owned();
    assert!(
        !path.contains(char::is_whitespace),
        "the agents folder must have no spaces: {path}"
    );
    format!("{path} {args}").trim_end().to_owned()
}

// ---- Scripts ------------------------------------------------------------------------

/// The contents of the file the Write and Edit scripts work on.
const GREET_PY: &str =
    "def greet(name):\n    return f\"Hello, {name}!\"\n\n\nprint(greet(\"world\"))\n";

/// A Bash call that writes `marker.txt`.
fn bash_script() -> Vec<Reply> {
    vec![
        Reply::tool(
            "Bash",
            json!({ "command": "echo hi > marker.txt", "description": "Write the marker file" }),
        ),
        Reply::text(DONE),
    ]
}

/// A Write of a new `hello.py` in `folder`.
fn write_script(folder: &Path) -> Vec<Reply> {
    vec![
        Reply::tool(
            "Write",
            json!({ "file_path": folder.join("hello.py"), "content": GREET_PY }),
        ),
        Reply::text(DONE),
    ]
}

/// A Read, then an Edit, of the `greet.py` in `folder` (the CLI edits only
/// files it has read).
fn edit_script(folder: &Path) -> Vec<Reply> {
    let file = folder.join("greet.py");
    vec![
        Reply::tool("Read", json!({ "file_path": file })),
        Reply::tool(
            "Edit",
            json!({
                "file_path": file,
                "old_string": "    return f\"Hello, {name}!\"",
                "new_string": "    return f\"Hello, {name}! Welcome back.\"",
            }),
        ),
        Reply::text(DONE),
    ]
}

/// An AskUserQuestion call with one question.
fn question_script(multi_select: bool) -> Vec<Reply> {
    let question = if multi_select {
        json!({
            "question": "Which checks should run before each commit?",
            "header": "Checks",
            "multiSelect": true,
            "options": [
                { "label": "Formatting", "description": "cargo fmt --check" },
                { "label": "Lints", "description": "cargo clippy" },
                { "label": "Unit tests", "description": "cargo test --lib" },
            ],
        })
    } else {
        json!({
            "question": "Which database should the app use?",
            "header": "Database",
            "multiSelect": false,
            "options": [
                { "label": "PostgreSQL", "description": "Relational, strong consistency" },
                { "label": "SQLite", "description": "A single file, no server" },
                { "label": "MongoDB", "description": "Document store" },
            ],
        })
    };
    vec![
        Reply::tool("AskUserQuestion", json!({ "questions": [question] })),
        Reply::text(DONE),
    ]
}

/// The plan-mode ending: the plan file, loading the deferred ExitPlanMode
/// tool, and calling it.
fn plan_script() -> Vec<Reply> {
    vec![
        Reply::WritePlan(
            "# Greeting plan\n\n1. Add a `greet(name)` helper to greet.py\n\
             2. Call it from `main` with the user's name\n3. Cover it with a unit test\n"
                .to_owned(),
        ),
        Reply::tool("ToolSearch", json!({ "query": "select:ExitPlanMode" })),
        Reply::tool("ExitPlanMode", json!({})),
        Reply::text(DONE),
    ]
}

// ---- Captures ------------------------------------------------------------------------

/// Claude Code in a pane of a throw-away tmux server, started in a folder
/// named like [`GENERIC_FOLDER`], at the first of [`SIZES`].
struct Capture {
    sandbox: TmuxSandbox,
    folder: TempDir,
    model: Anthropic,
    home: Option<Home>,
}

impl Capture {
    /// A folder to work in and a stand-in answering `script(folder)`.
    fn new(script: impl FnOnce(&Path) -> Vec<Reply>) -> Capture {
        let folder = tempfile::Builder::new()
            .prefix("tgmux")
            .tempdir_in("/tmp")
            .expect("project folder");
        assert_eq!(
            folder.path().as_os_str().len(),
            GENERIC_FOLDER.len(),
            "the folder's name must be as long as the fixtures' one"
        );
        let model = Anthropic::start(script(folder.path()));
        Capture {
            sandbox: TmuxSandbox::new(),
            folder,
            model,
            home: None,
        }
    }

    fn folder(&self) -> &Path {
        self.folder.path()
    }

    /// Starts `claude ARGS` with the home `past` describes.
    fn start(&mut self, past: &Past, args: &str) {
        let home = Home::new(past);
        let (cols, rows) = SIZES[0];
        let mut cmd: Vec<String> = [
            "new-session",
            "-d",
            "-s",
            "claude",
            "-x",
            &cols.to_string(),
            "-y",
            &rows.to_string(),
            "-c",
            &self.folder().to_string_lossy(),
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        for (k, v) in home.env(&self.model) {
            cmd.push("-e".into());
            cmd.push(format!("{k}={v}"));
        }
        cmd.push(claude(args));
        let cmd: Vec<&str> = cmd.iter().map(String::as_str).collect();
        let out = self.sandbox.tmux(&cmd);
        assert!(out.status.success(), "tmux new-session: {out:?}");
        self.home = Some(home);
    }

    fn screen(&self, ansi: bool) -> String {
        let mut args = vec!["capture-pane", "-p", "-t", "=claude:"];
        if ansi {
            args.push("-e");
        }
        let out = self.sandbox.tmux(&args);
        assert!(out.status.success(), "capture-pane: {out:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "=claude:"];
        args.extend_from_slice(keys);
        let out = self.sandbox.tmux(&args);
        assert!(out.status.success(), "send-keys: {out:?}");
    }

    /// Waits until the screen shows `text` and has stopped changing.
    fn settle(&self, text: &str) -> String {
        let mut last = String::new();
        wait_until(SLOW, &format!("a settled screen showing {text:?}"), || {
            std::thread::sleep(Duration::from_millis(300));
            let now = self.screen(false);
            let settled = now == last && now.contains(text);
            last = now;
            settled
        });
        last
    }

    /// Captures the prompt showing `text` at each of [`SIZES`] (the pane
    /// resized while it is open) and, when refreshing, writes the fixtures
    /// `claude-<name>.<cols>x<rows>[.ansi].txt`; otherwise checks that the
    /// live screen reads as the committed one does. Returns the plain
    /// capture at the first size.
    fn fixture(&self, name: &str, text: &str) -> String {
        let mut first = None;
        for (cols, rows) in SIZES {
            let size = format!("{cols}x{rows}");
            let resized = self.sandbox.tmux(&[
                "resize-window",
                "-t",
                "=claude:",
                "-x",
                &cols.to_string(),
                "-y",
                &rows.to_string(),
            ]);
            assert!(resized.status.success(), "resize-window: {resized:?}");
            let plain = self.generic(&self.settle(text));
            let ansi = self.generic(&self.screen(true));
            let dir = harness::fixtures_dir();
            let plain_path = dir.join(format!("claude-{name}.{size}.txt"));
            let ansi_path = dir.join(format!("claude-{name}.{size}.ansi.txt"));
            if harness::refreshing() {
                std::fs::write(&plain_path, &plain).expect("write fixture");
                std::fs::write(&ansi_path, &ansi).expect("write fixture");
            } else {
                let committed = std::fs::read_to_string(&plain_path).unwrap_or_else(|e| {
                    panic!(
                        "{}: {e}; refresh with TGMUX_REFRESH_FIXTURES=1",
                        plain_path.display()
                    )
                });
                assert_eq!(
                    classify(&plain),
                    classify(&committed),
                    "the live screen reads unlike {}; live:\n{plain}",
                    plain_path.display()
                );
            }
            first.get_or_insert(plain);
        }
        first.expect("at least one size")
    }

    /// `screen` with the project folder's path replaced by [`GENERIC_FOLDER`].
    fn generic(&self, screen: &str) -> String {
        screen.replace(&*self.folder().to_string_lossy(), GENERIC_FOLDER)
    }
}

#[test]
#[ignore = "real agent CLI: run .ci/real-agents"]
fn capture_trust_dialog() {
    let mut cap = Capture::new(|_| bash_script());
    let past = Past {
        trusted: None,
        ..Past::settled(cap.folder())
    };
    cap.start(&past, "");
    cap.fixture("trust", "Yes, I trust this folder");
}

#[test]
#[ignore = "real agent CLI: run .ci/real-agents"]
fn capture_api_key_question() {
    let mut cap = Capture::new(|_| bash_script());
    let past = Past {
        key_approved: false,
        ..Past::settled(cap.folder())
    };
    cap.start(&past, "");
    cap.fixture("api-key", "Do you want to use this API key?");
}

#[test]
#[ignore = "real agent CLI: run .ci/real-agents"]
fn capture_theme_menu() {
    let mut cap = Capture::new(|_| bash_script());
    let past = Past {
        onboarded: false,
        ..Past::settled(cap.folder())
    };
    cap.start(&past, "");
    cap.fixture("theme", "Dark mode (colorblind-friendly)");
}

#[test]
#[ignore = "real agent CLI: run .ci/real-agents"]
fn capture_bash_prompt() {
    let mut cap = Capture::new(|_| bash_script());
    cap.start(&Past::settled(cap.folder()), "go");
    cap.fixture("bash", "Do you want to proceed?");
}

#[test]
#[ignore = "real agent CLI: run .ci/real-agents"]
fn capture_write_prompt() {
    let mut cap = Capture::new(write_script);
    cap.start(&Past::settled(cap.folder()), "go");
    cap.fixture("write", "Do you want to create hello.py?");
}

#[test]
#[ignore = "real agent CLI: run .ci/real-agents"]
fn capture_edit_prompt() {
    let mut cap = Capture::new(edit_script);
    std::fs::write(cap.folder().join("greet.py"), GREET_PY).expect("greet.py");
    cap.start(&Past::settled(cap.folder()), "go");
    cap.fixture("edit", "Do you want to make this edit to greet.py?");
}

#[test]
#[ignore = "real agent CLI: run .ci/real-agents"]
fn capture_question() {
    let mut cap = Capture::new(|_| question_script(false));
    cap.start(&Past::settled(cap.folder()), "go");
    cap.fixture("question", "Which database should the app use?");
}

#[test]
#[ignore = "real agent CLI: run .ci/real-agents"]
fn capture_multi_select_question_and_its_review() {
    let mut cap = Capture::new(|_| question_script(true));
    cap.start(&Past::settled(cap.folder()), "go");
    cap.fixture("multi-select", "[ ] Formatting");
    // A digit toggles its box, the cursor stays; → goes to the review tab.
    cap.keys(&["1"]);
    cap.keys(&["3"]);
    cap.settle("[✔] Unit tests");
    cap.fixture("multi-select-checked", "[✔] Unit tests");
    cap.keys(&["Right"]);
    cap.fixture("multi-select-review", "Review your answers");
    cap.keys(&["1"]);
    wait_until(SLOW, "the answers to reach the stand-in", || {
        cap.model.tool_result(0).is_some()
    });
    assert_eq!(
        cap.model.tool_result(0),
        Some(ToolResult {
            text: "Your questions have been answered: \"Which checks should run before each \
                   commit?\"=\"Formatting, Unit tests\". You can now continue with these \
                   answers in mind."
                .to_owned(),
            is_error: false,
        })
    );
}

#[test]
#[ignore = "real agent CLI: run .ci/real-agents"]
fn capture_plan_approval() {
    let mut cap = Capture::new(|_| plan_script());
    cap.start(&Past::settled(cap.folder()), "--permission-mode plan go");
    cap.fixture("plan", "Yes, manually approve edits");
}

// ---- From the phone ----------------------------------------------------------------

/// The real `tgmux run` with Claude Code as its agent, and a phone user.
struct Phone {
    api: BotApi,
    sandbox: TmuxSandbox,
    model: Anthropic,
    folder: PathBuf,
    home: Home,
    _bot: BotProcess,
}

impl Phone {
    /// Starts the bot with `claude ARGS` as its agent, the stand-in answering
    /// `script(folder)` and the CLI's home set up as `past(folder)` says;
    /// `folder` is where `/new webapp` starts the session.
    async fn start(
        args: &str,
        script: impl FnOnce(&Path) -> Vec<Reply>,
        past: impl FnOnce(&Path) -> Past,
    ) -> Phone {
        let sandbox = TmuxSandbox::new();
        let mut setup = BotSetup::new(&sandbox, claude(args));
        let folder = setup.root.join("webapp");
        let model = Anthropic::start(script(&folder));
        let home = Home::new(&past(&folder));
        setup.env = home.env(&model);
        let api = BotApi::start().await;
        let (bot, _) = BotProcess::start_ready(&api, &sandbox, &setup).await;
        Phone {
            api,
            sandbox,
            model,
            folder,
            home,
            _bot: bot,
        }
    }

    /// `/new webapp go`, then the decision message of Claude Code's first
    /// prompt that shows `text` (an Edit prompt shows `…` for a moment before
    /// its diff, and tgmux replaces the first message when the diff comes).
    async fn first_decision(&self, text: &str) -> SentMessage {
        ask(&self.api, ALICE, "/new webapp go", |m| {
            m.text.contains("started")
        })
        .await;
        self.decision_after(0, text).await
    }

    /// The first decision message to Alice with an id above `mark` that
    /// shows `text`.
    async fn decision_after(&self, mark: i32, text: &str) -> SentMessage {
        self.api
            .wait_for_message(SLOW, |m| {
                m.chat_id == ALICE
                    && m.message_id > mark
                    && m.text.contains("is waiting for you")
                    && m.visible.contains(text)
            })
            .await
    }

    /// Taps the button labelled `label` and checks that option was sent. Like
    /// a person, it taps once the screen has stood still for a moment:
    /// Claude Code drops keys that come within about 0.2 s of a dialog's
    /// first drawing (seen with the plan approval).
    async fn tap(&self, decision: &SentMessage, label: &str) {
        let mut last = (String::new(), std::time::Instant::now());
        wait_for("the screen to stand still", || {
            let now = self.pane();
            if now != last.0 {
                last = (now, std::time::Instant::now());
            }
            (last.1.elapsed() >= Duration::from_millis(300)).then_some(())
        })
        .await;
        let answer = tap(&self.api, ALICE, decision.message_id, label).await;
        assert_eq!(answer.text.unwrap_or_default(), format!("Sent: {label}"));
    }

    fn pane(&self) -> String {
        let out = self.sandbox.tmux(&["capture-pane", "-p", "-t", "=webapp:"]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Waits until the pane shows `text`; shows the pane if it does not.
    async fn wait_for_pane(&self, text: &str) {
        let deadline = std::time::Instant::now() + WAIT;
        loop {
            let pane = self.pane();
            if pane.contains(text) {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no {text:?} on screen after {WAIT:?}; the pane:\n{pane}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits for the stand-in to receive the result of script step `step`;
    /// shows the pane if it does not come.
    async fn tool_result(&self, step: usize) -> ToolResult {
        let deadline = std::time::Instant::now() + SLOW;
        loop {
            if let Some(result) = self.model.tool_result(step) {
                return result;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no result of tool call {step} after {SLOW:?}; the pane:\n{}",
                self.pane()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Checks a decision message: its question, the context right under it
/// (none: `""`) with the tool call the agent announced behind it, and its
/// buttons: the options (the one numbered `default`
/// starred), cut to a button's length, then Peek.
fn assert_decision(
    m: &SentMessage,
    question: &str,
    context: &str,
    labels: &[&str],
    default: usize,
) {
    let expected = if context.is_empty() {
        format!("\n\n{question}\n\n")
    } else {
        format!("\n\n{question}\n{context}\n\n")
    };
    assert!(
        m.visible.contains(&expected),
        "expected {expected:?} in:\n{}",
        m.visible
    );
    let buttons: Vec<String> = m.buttons().into_iter().map(|(text, _)| text).collect();
    let mut wanted: Vec<String> = labels
        .iter()
        .enumerate()
        .map(|(i, label)| {
            let star = if i == default { "⭐ " } else { "" };
            on_button(&format!("{star}{label}"))
        })
        .collect();
    wanted.push("👁 Peek".to_owned());
    assert_eq!(buttons, wanted);
}

/// `text` as a button shows it: cut to [`BUTTON_TEXT`] characters, the last
/// one `…`.
fn on_button(text: &str) -> String {
    if text.chars().count() <= BUTTON_TEXT {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(BUTTON_TEXT - 1).collect();
    cut.push('…');
    cut
}

/// The options of a Bash prompt in `folder`.
fn bash_labels(folder: &Path) -> [String; 4] {
    [
        "Yes".to_owned(),
        format!(
            "Yes, and always allow access to {} from this project",
            folder.display()
        ),
        "Yes, and switch to auto mode".to_owned(),
        "No".to_owned(),
    ]
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "real agent CLI: run .ci/real-agents"]
async fn phone_picks_the_theme_on_a_first_run() {
    let phone = Phone::start(
        "",
        |_| bash_script(),
        |folder| Past {
            onboarded: false,
            ..Past::settled(folder)
        },
    )
    .await;
    let theme = phone.first_decision("Choose the text style").await;
    assert_decision(
        &theme,
        "Choose the text style that looks best with your terminal",
        "To change this later, run /theme",
        &[
            "Auto (match terminal)",
            "Dark mode",
            "Light mode",
            "Dark mode (colorblind-friendly)",
            "Light mode (colorblind-friendly)",
            "Dark mode (ANSI colors only)",
            "Light mode (ANSI colors only)",
        ],
        0,
    );
    phone.tap(&theme, "Light mode (colorblind-friendly)").await;
    // Claude Code saves the choice in the user's settings at once.
    let settings = phone.home.dir.path().join(".claude/settings.json");
    let saved = wait_for("the theme saved", || {
        let text = std::fs::read_to_string(&settings).ok()?;
        let state: Value = serde_json::from_str(&text).ok()?;
        state["theme"].as_str().map(str::to_owned)
    })
    .await;
    assert_eq!(saved, "light-daltonized", "the pane:\n{}", phone.pane());
    // Then its security notes, which wait for Enter, and then the task.
    let notes = phone
        .decision_after(theme.message_id, "Press Enter to continue")
        .await;
    assert_decision(
        &notes,
        "Press Enter to continue",
        "2. Due to prompt injection risks, only use it with code you trust\n\
         Learn more: https://code.claude.com/docs/en/security",
        &["Continue"],
        0,
    );
    phone.tap(&notes, "Continue").await;
    phone
        .decision_after(notes.message_id, "echo hi > marker.txt")
        .await;
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "real agent CLI: run .ci/real-agents"]
async fn phone_trusts_the_folder_and_the_agent_goes_on() {
    let phone = Phone::start(
        "",
        |_| bash_script(),
        |folder| Past {
            trusted: None,
            ..Past::settled(folder)
        },
    )
    .await;
    let trust = phone.first_decision("Quick safety check").await;
    assert_decision(
        &trust,
        "Quick safety check: Is this a project you created or one you trust?",
        &format!("Accessing workspace:\n{}", phone.folder.display()),
        &["No, exit", "Yes, I trust this folder"],
        0,
    );
    phone.tap(&trust, "Yes, I trust this folder").await;
    // Trusted, it takes the task to the model and comes back with its call.
    let bash = phone
        .decision_after(trust.message_id, "echo hi > marker.txt")
        .await;
    assert!(
        bash.visible.contains("echo hi > marker.txt"),
        "{}",
        bash.visible
    );
    let first = &phone.model.received()[0];
    assert_eq!(first.path, "/v1/messages?beta=true");
    assert_eq!(first.api_key.as_deref(), Some(KEY));
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "real agent CLI: run .ci/real-agents"]
async fn phone_uses_the_api_key_it_is_asked_about() {
    let phone = Phone::start(
        "",
        |_| bash_script(),
        |folder| Past {
            key_approved: false,
            ..Past::settled(folder)
        },
    )
    .await;
    let key = phone
        .first_decision("Do you want to use this API key?")
        .await;
    assert_decision(
        &key,
        "Do you want to use this API key?",
        "Detected a custom API key in your environment\n\
         ANTHROPIC_API_KEY: sk-ant-...for-tgmux-tests-0000",
        &["Yes", "No (recommended)"],
        1,
    );
    phone.tap(&key, "Yes").await;
    let bash = phone
        .decision_after(key.message_id, "echo hi > marker.txt")
        .await;
    assert!(
        bash.visible.contains("echo hi > marker.txt"),
        "{}",
        bash.visible
    );
    assert_eq!(phone.model.received()[0].api_key.as_deref(), Some(KEY));
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "real agent CLI: run .ci/real-agents"]
async fn phone_allows_a_bash_command() {
    let phone = Phone::start("", |_| bash_script(), Past::settled).await;
    let d = phone.first_decision("echo hi > marker.txt").await;
    let labels = bash_labels(&phone.folder);
    let labels: Vec<&str> = labels.iter().map(String::as_str).collect();
    assert_decision(
        &d,
        "Do you want to proceed?",
        // The command is on the screen whole: the tool's name is enough.
        "Bash command\nWrite the marker file\necho hi > marker.txt\n🔧 Bash",
        &labels,
        0,
    );
    phone.tap(&d, "Yes").await;
    assert_eq!(
        phone.tool_result(0).await,
        ToolResult {
            text: "(Bash completed with no output)".to_owned(),
            is_error: false
        }
    );
    assert_eq!(
        std::fs::read_to_string(phone.folder.join("marker.txt"))
            .ok()
            .as_deref(),
        Some("hi\n")
    );
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "real agent CLI: run .ci/real-agents"]
async fn phone_refuses_a_bash_command() {
    let phone = Phone::start("", |_| bash_script(), Past::settled).await;
    let d = phone.first_decision("echo hi > marker.txt").await;
    phone.tap(&d, "No").await;
    // A refusal ends the turn: the call is marked interrupted and nothing
    // goes back to the model until the user says what to do instead.
    phone.wait_for_pane("Interrupted").await;
    assert!(!phone.folder.join("marker.txt").exists());
    assert_eq!(phone.model.received().len(), 1);
    assert_eq!(phone.model.tool_result(0), None);
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "real agent CLI: run .ci/real-agents"]
async fn phone_allows_a_new_file() {
    let phone = Phone::start("", write_script, Past::settled).await;
    let d = phone.first_decision("print(greet(\"world\"))").await;
    assert_decision(
        &d,
        "Do you want to create hello.py?",
        // The screen names the file; PreToolUse gives its whole path.
        &format!(
            "Create file\nhello.py\n1 def greet(name):\n2     return f\"Hello, {{name}}!\"\n3\n4\n\
             5 print(greet(\"world\"))\n🔧 Write\n{}",
            phone.folder.join("hello.py").display()
        ),
        &[
            "Yes",
            "Yes, and switch to accept edits (auto-approve file edits and common file commands) \
             for this session",
            "No",
        ],
        0,
    );
    phone.tap(&d, "Yes").await;
    let result = phone.tool_result(0).await;
    assert!(!result.is_error, "{result:?}");
    assert_eq!(
        std::fs::read_to_string(phone.folder.join("hello.py"))
            .ok()
            .as_deref(),
        Some(GREET_PY)
    );
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "real agent CLI: run .ci/real-agents"]
async fn phone_allows_an_edit() {
    let phone = Phone::start("", edit_script, Past::settled).await;
    std::fs::write(phone.folder.join("greet.py"), GREET_PY).expect("greet.py");
    let d = phone.first_decision("Welcome back.").await;
    assert_decision(
        &d,
        "Do you want to make this edit to greet.py?",
        &format!(
            "Edit file\ngreet.py\n1  def greet(name):\n2 -    return f\"Hello, {{name}}!\"\n\
             2 +    return f\"Hello, {{name}}! Welcome back.\"\n3\n4\n5  print(greet(\"world\"))\n\
             🔧 Edit\n{}",
            phone.folder.join("greet.py").display()
        ),
        &[
            "Yes",
            "Yes, and switch to accept edits (auto-approve file edits and common file commands) \
             for this session",
            "No",
        ],
        0,
    );
    phone.tap(&d, "Yes").await;
    let result = phone.tool_result(1).await;
    assert!(!result.is_error, "{result:?}");
    assert_eq!(
        std::fs::read_to_string(phone.folder.join("greet.py")).ok(),
        Some(GREET_PY.replace("{name}!\"", "{name}! Welcome back.\""))
    );
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "real agent CLI: run .ci/real-agents"]
async fn phone_answers_a_question() {
    let phone = Phone::start("", |_| question_script(false), Past::settled).await;
    let d = phone
        .first_decision("Which database should the app use?")
        .await;
    assert_decision(
        &d,
        "Which database should the app use?",
        "☐ Database",
        &[
            "PostgreSQL",
            "SQLite",
            "MongoDB",
            "Type something.",
            "Chat about this",
        ],
        0,
    );
    phone.tap(&d, "SQLite").await;
    assert_eq!(
        phone.tool_result(0).await,
        ToolResult {
            text: "Your questions have been answered: \"Which database should the app \
                   use?\"=\"SQLite\". You can now continue with these answers in mind."
                .to_owned(),
            is_error: false
        }
    );
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "real agent CLI: run .ci/real-agents"]
async fn phone_approves_a_plan() {
    let phone = Phone::start("--permission-mode plan", |_| plan_script(), Past::settled).await;
    let d = phone.first_decision("Would you like to proceed?").await;
    assert_decision(
        &d,
        "Claude has written up a plan and is ready to execute. Would you like to proceed?",
        "",
        &[
            "Yes, and use auto mode",
            "Yes, manually approve edits",
            "Tell Claude what to change",
        ],
        0,
    );
    phone.tap(&d, "Yes, manually approve edits").await;
    let result = phone.tool_result(2).await;
    assert!(!result.is_error, "{result:?}");
    assert!(result.text.contains("approved your plan"), "{result:?}");
}

// ---- Hooks ----------------------------------------------------------------------

/// The hooks tgmux's agent events will use.
const HOOKS: [&str; 4] = ["SessionStart", "PreToolUse", "Notification", "Stop"];

/// Where the hooks' stdin samples are kept.
fn events_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/events")
}

#[test]
#[ignore = "real agent CLI: run .ci/real-agents"]
fn hooks_from_a_settings_file_run_and_leave_the_prompt_on_screen() {
    let mut cap = Capture::new(|_| bash_script());
    let spool = cap.sandbox.path("events");
    std::fs::create_dir_all(&spool).expect("events folder");
    // Each hook saves its stdin and exits 0 with no output.
    let hooks: serde_json::Map<String, Value> = HOOKS
        .iter()
        .map(|hook| {
            let command = format!("cat > {}", sh_quote(spool.join(format!("{hook}.json"))));
            let entry =
                json!([{ "matcher": "*", "hooks": [{ "type": "command", "command": command }] }]);
            (hook.to_string(), entry)
        })
        .collect();
    let settings = cap.sandbox.path("hooks.json");
    write_json(&settings, &json!({ "hooks": hooks }));
    cap.start(
        &Past::settled(cap.folder()),
        &format!("--settings {} go", sh_quote(&settings)),
    );

    let read = |hook: &str| -> Option<Value> {
        let text = std::fs::read_to_string(spool.join(format!("{hook}.json"))).ok()?;
        serde_json::from_str(&text).ok()
    };
    wait_until(SLOW, "the PreToolUse and Notification hooks", || {
        read("PreToolUse").is_some() && read("Notification").is_some()
    });
    // The hook said nothing, so the CLI asks as usual.
    let screen = cap.settle("Do you want to proceed?");
    let Screen::Decision(prompt) = classify(&screen) else {
        panic!("no prompt on screen after the PreToolUse hook:\n{screen}");
    };
    assert_eq!(prompt.question, "Do you want to proceed?");
    cap.keys(&["1"]);
    wait_until(SLOW, "the Stop hook", || read("Stop").is_some());
    assert_eq!(
        std::fs::read_to_string(cap.folder().join("marker.txt"))
            .ok()
            .as_deref(),
        Some("hi\n")
    );

    let events: Vec<(&str, Value)> = HOOKS
        .iter()
        .map(|hook| {
            (
                *hook,
                read(hook).unwrap_or_else(|| panic!("no {hook} event")),
            )
        })
        .collect();
    let folder = cap.folder().to_string_lossy().into_owned();
    let session = events[0].1["session_id"].clone();
    for (hook, event) in &events {
        assert_eq!(event["hook_event_name"], *hook, "{event}");
        assert_eq!(event["cwd"], folder.as_str(), "{event}");
        assert_eq!(event["session_id"], session, "{event}");
    }
    let [start, pre, note, stop] = [&events[0].1, &events[1].1, &events[2].1, &events[3].1];
    assert_eq!(start["source"], "startup");
    assert_eq!(pre["tool_name"], "Bash");
    assert_eq!(pre["tool_input"]["command"], "echo hi > marker.txt");
    assert_eq!(pre["tool_use_id"], "toolu_00");
    assert_eq!(note["notification_type"], "permission_prompt");
    assert_eq!(note["message"], "Claude needs your permission");
    assert_eq!(stop["last_assistant_message"], DONE);
    assert_eq!(stop["stop_hook_active"], false);

    let home = cap
        .home
        .as_ref()
        .expect("started")
        .dir
        .path()
        .to_string_lossy()
        .into_owned();
    for (hook, event) in &events {
        // The sample as it came, paths made generic: the project folder
        // (also as the transcript folder's dashed name) and the home.
        let raw = std::fs::read_to_string(spool.join(format!("{hook}.json"))).expect("event");
        let text = raw
            .replace(&folder, GENERIC_FOLDER)
            .replace(&folder.replace('/', "-"), &GENERIC_FOLDER.replace('/', "-"))
            .replace(&home, "/home/dev");
        let path = events_dir().join(format!("claude-{hook}.json"));
        if harness::refreshing() {
            std::fs::create_dir_all(events_dir()).expect("events fixtures folder");
            std::fs::write(&path, text).expect("write event fixture");
        } else {
            let committed: Value =
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap_or_else(|e| {
                    panic!(
                        "{}: {e}; refresh with TGMUX_REFRESH_FIXTURES=1",
                        path.display()
                    )
                }))
                .expect("committed event is JSON");
            let keys = |v: &Value| v.as_object().map(|o| o.keys().cloned().collect::<Vec<_>>());
            assert_eq!(
                keys(event),
                keys(&committed),
                "{hook} has other fields than {}",
                path.display()
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "real agent CLI: run .ci/real-agents"]
async fn phone_reads_the_answer_and_resume_continues_the_conversation() {
    let answer = "**Marker written.** It holds `hi`:\n\n- one line\n- no errors";
    let phone = Phone::start(
        "",
        |_| {
            vec![
                Reply::tool(
                    "Bash",
                    json!({ "command": "echo hi > marker.txt", "description": "Write the marker file" }),
                ),
                Reply::text(answer),
            ]
        },
        Past::settled,
    )
    .await;
    let d = phone.first_decision("echo hi > marker.txt").await;
    phone.tap(&d, "Yes").await;
    let finished = turn_finished(&phone.api, SLOW).await;
    // The agent's own words, from its Stop hook, rendered from Markdown.
    assert!(
        finished
            .text
            .contains("<b>Marker written.</b> It holds <code>hi</code>:"),
        "{}",
        finished.text
    );
    assert!(
        finished.visible.contains("• one line"),
        "{}",
        finished.visible
    );
    for chrome in ["? for shortcuts", "manual mode", "────", "❯"] {
        assert!(
            !finished.visible.contains(chrome),
            "{chrome}: {}",
            finished.visible
        );
    }

    // The hooks gave tgmux Claude Code's session id: a resume continues it.
    ask(&phone.api, ALICE, "/stop webapp", |m| {
        m.visible.contains("stopped")
    })
    .await;
    ask(&phone.api, ALICE, "/resume webapp", |m| {
        m.visible.contains("running again")
    })
    .await;
    let out = phone.sandbox.tmux(&[
        "display-message",
        "-p",
        "-t",
        "=webapp:",
        "#{pane_start_command}",
    ]);
    let command = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(command.contains("'--resume'"), "{command}");
}
