//! Codex (npm `@openai/codex`, pinned in .ci/agents/install-codex.sh)
//! against the loopback Responses API stand-in: its command approval, patch
//! approval and folder-trust prompts, captured as fixtures and answered from
//! the phone through tgmux; the JSON its `notify` program gets; and
//! `codex resume --last`.
//!
//! Codex runs with a fresh `CODEX_HOME` whose config.toml names the stand-in
//! as its model provider, `--strict-config` (a misspelt key fails the test),
//! `--no-daemon` (no background app server outliving the test), update
//! checks, analytics and feedback off, `-s read-only -a on-request` so
//! every command the model escalates and every patch asks first.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::harness::{self, capture_fixtures, start_agent, wait_for_screen};
use crate::support::bot::{ALICE, BotProcess, BotSetup, WAIT, ask, tap};
use crate::support::botapi::{BotApi, SentMessage};
use crate::support::models::openai::{OpenAi, Reply, TITLE};
use crate::support::tmux::TmuxSandbox;
use crate::support::{read_lines, sh_quote, wait_until};

/// The first task every test gives Codex.
const TASK: &str = "write the marker";
/// The command the stand-in asks Codex to run, with escalation.
const COMMAND: &str = "echo hi > marker.txt";
/// The reason the stand-in gives for it.
const REASON: &str = "Write the approval marker file";
/// What the stand-in says after the command ran.
const DONE: &str = "All done: the marker is written.";
/// The command's approval question.
const RUN_QUESTION: &str = "Would you like to run the following command?";
/// The patch's approval question.
const EDIT_QUESTION: &str = "Would you like to make the following edits?";
/// The title of the menu `codex resume` shows in a folder other than the
/// session's.
const RESUME_TITLE: &str = "Working directory · resume";
/// The folder-trust question.
const TRUST_QUESTION: &str = "Trust this folder?";
/// The file the patch changes, and its text before and after.
const APP: &str = "app.py";
const APP_BEFORE: &str = "def main():\n    print(\"hello\")\n";
const APP_AFTER: &str = "def main():\n    print(\"goodbye\")\n";
/// The tmux target of a session the test starts itself.
const PANE: &str = "=agent:";
/// The tmux target of the session tgmux starts.
const BOT_PANE: &str = "=webapp:";

/// The stand-in's script for a task that runs [`COMMAND`].
fn command_script() -> Vec<Reply> {
    let call = json!({
        "cmd": COMMAND,
        "sandbox_permissions": "require_escalated",
        "justification": REASON,
    });
    vec![Reply::call("exec_command", call), Reply::text(DONE)]
}

/// The stand-in's script for a task that patches [`APP`] through
/// `apply_patch` (Codex intercepts it in a shell command).
fn patch_script() -> Vec<Reply> {
    let patch = "*** Begin Patch\n*** Update File: app.py\n@@\n def main():\n-    print(\"hello\")\n+    print(\"goodbye\")\n*** End Patch\n";
    let cmd = format!("apply_patch <<'EOF'\n{patch}EOF\n");
    vec![
        Reply::call("exec_command", json!({ "cmd": cmd })),
        Reply::text("All done: app.py says goodbye."),
    ]
}

/// A Codex home, a project folder and the stand-in, in one tmux sandbox.
struct Codex {
    model: OpenAi,
    sandbox: TmuxSandbox,
}

impl Codex {
    /// The stand-in with `script`, and a Codex home whose config points at it.
    async fn new(script: Vec<Reply>) -> Codex {
        let model = OpenAi::start(script).await;
        let sandbox = TmuxSandbox::new();
        let codex = Codex { model, sandbox };
        std::fs::create_dir_all(codex.home()).expect("create CODEX_HOME");
        std::fs::create_dir_all(codex.project()).expect("create the project");
        std::fs::write(codex.home().join("config.toml"), codex.config()).expect("config.toml");
        codex
    }

    /// `CODEX_HOME`, and `HOME` too, so nothing of the user's is read.
    fn home(&self) -> PathBuf {
        self.sandbox.path("home")
    }

    /// The folder Codex works in (`webapp` under the bot's root).
    fn project(&self) -> PathBuf {
        self.sandbox.path("code/webapp")
    }

    /// Where the `notify` program appends the JSON it is given, one a line.
    fn notify_log(&self) -> PathBuf {
        self.sandbox.path("notify.jsonl")
    }

    /// config.toml: the stand-in as the model provider, a `notify` program
    /// appending its argument to [`Self::notify_log`], update checks,
    /// analytics and feedback off.
    fn config(&self) -> String {
        let notify = json!([
            "sh",
            "-c",
            "printf '%s\\n' \"$1\" >> \"$0\"",
            self.notify_log(),
        ]);
        format!(
            r#"model = "standin-model"
model_provider = "standin"
check_for_update_on_startup = false
notify = {notify}

[analytics]
enabled = false

[feedback]
enabled = false

[model_providers.standin]
name = "Loopback stand-in"
base_url = "{}"
wire_api = "responses"
env_key = "TGMUX_TEST_OPENAI_KEY"
"#,
            self.model.url()
        )
    }

    /// The environment Codex needs.
    fn env(&self) -> Vec<(String, String)> {
        let home = self.home().to_string_lossy().into_owned();
        vec![
            ("CODEX_HOME".into(), home.clone()),
            ("HOME".into(), home),
            ("TGMUX_TEST_OPENAI_KEY".into(), "sk-test".into()),
        ]
    }

    /// The command line that starts Codex, asking before it acts. The path
    /// goes unquoted: tgmux knows Codex by the program's name, and hands it
    /// the task as its prompt argument.
    fn command(&self) -> String {
        format!(
            "{} --strict-config --no-daemon -s read-only -a on-request",
            harness::cli_word("codex")
        )
    }

    /// Starts Codex with `args` in its own 80x24 tmux session, in the project.
    fn start(&self, args: &str) {
        self.start_in(&self.project(), args);
    }

    /// Starts Codex with `args` in its own 80x24 tmux session, in `folder`.
    fn start_in(&self, folder: &Path, args: &str) {
        let command = format!("{} {args}", self.command());
        start_agent(&self.sandbox, "agent", folder, &self.env(), &command);
    }

    /// Presses `keys` in the session started by [`Self::start`].
    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", PANE];
        args.extend_from_slice(keys);
        let out = self.sandbox.tmux(&args);
        assert!(out.status.success(), "send-keys: {out:?}");
    }

    /// Types `line` into the composer and submits it once it is drawn and the
    /// screen has settled: Codex takes an Enter that follows typing within
    /// 120 ms for part of a paste.
    fn type_line(&self, line: &str) {
        self.keys(&["-l", line]);
        wait_for_screen(&self.sandbox, PANE, "the typed line", |s| {
            s.contains(&format!("› {line}"))
        });
        self.keys(&["Enter"]);
    }

    /// Waits for the request that carries the output of the scripted call in
    /// turn 1 (`call_1`), and returns that output.
    fn wait_for_call_output(&self) -> String {
        let mut output = None;
        tokio::task::block_in_place(|| {
            wait_until(harness::SCREEN_WAIT, "the command's output", || {
                output = self
                    .model
                    .turns()
                    .iter()
                    .find_map(|r| r.function_output("call_1").map(str::to_owned));
                output.is_some()
            })
        });
        output.unwrap_or_default()
    }

    fn marker(&self) -> PathBuf {
        self.project().join("marker.txt")
    }

    /// Makes the project a git repository, which makes Codex ask for trust.
    fn make_repository(&self) {
        let out = std::process::Command::new("git")
            .args(["init", "-q"])
            .current_dir(self.project())
            .output()
            .expect("git init");
        assert!(out.status.success(), "git init: {out:?}");
    }

    /// A bot whose agent is this Codex, and the decision `/new webapp TASK`
    /// brings.
    async fn bot(&self) -> (BotApi, BotProcess, SentMessage) {
        let api = BotApi::start().await;
        let mut setup = BotSetup::new(&self.sandbox, self.command());
        setup.env = self.env();
        let (bot, _) = BotProcess::start_ready(&api, &self.sandbox, &setup).await;
        ask(&api, ALICE, &format!("/new webapp {TASK}"), |m| {
            m.text.contains("started")
        })
        .await;
        wait_for_screen(&self.sandbox, BOT_PANE, "a menu", |s| s.contains("› 1. "));
        let decision = api
            .wait_for_message(harness::SCREEN_WAIT, |m| {
                m.chat_id == ALICE && m.text.contains("is waiting for you")
            })
            .await;
        (api, bot, decision)
    }
}

/// The button labels of a decision message.
fn labels(m: &SentMessage) -> Vec<String> {
    m.buttons().into_iter().map(|(text, _)| text).collect()
}

/// Whether the screen shows the whole menu of a prompt asking `question`.
fn shows(question: &'static str, last_option: &'static str) -> impl Fn(&str) -> bool {
    move |screen| {
        let flat = screen.split_whitespace().collect::<Vec<_>>().join(" ");
        flat.contains(question) && flat.contains(last_option)
    }
}

/// The prompts' last option, the one asking for a reply.
const TELL_CODEX: &str = "No, and tell Codex what to do differently";

// ---- Fixtures: each prompt at 80x24 and 120x40 --------------------------------

#[tokio::test(flavor = "multi_thread")]
#[ignore = "real agent CLI: run .ci/real-agents"]
async fn command_approval_screens_yes_and_notify() {
    let codex = Codex::new(command_script()).await;
    codex.start(&sh_quote(TASK));
    let screens = capture_fixtures(
        &codex.sandbox,
        PANE,
        "codex-command",
        codex.sandbox.dir(),
        shows(RUN_QUESTION, TELL_CODEX),
    );
    for screen in &screens {
        assert!(screen.contains(&format!("Reason: {REASON}")), "{screen}");
        assert!(screen.contains(&format!("$ {COMMAND}")), "{screen}");
    }
    codex.keys(&["y"]);
    let output = codex.wait_for_call_output();
    assert!(output.contains("Process exited with code 0"), "{output}");
    assert_eq!(read_lines(&codex.marker()), ["hi"]);
    wait_for_screen(&codex.sandbox, PANE, "the closing message", |s| {
        s.contains(DONE)
    });

    // notify: one JSON argument per finished turn. Codex's thread-title turn,
    // when it has run, notifies too, from a thread of its own.
    let mut lines = Vec::new();
    let is_task = |line: &str| line.contains(&json!([TASK]).to_string());
    tokio::task::block_in_place(|| {
        wait_until(WAIT, "notify for the task's turn", || {
            lines = read_lines(&codex.notify_log());
            lines.iter().any(|line| is_task(line))
        })
    });
    let (task, titles): (Vec<&String>, Vec<&String>) = lines.iter().partition(|l| is_task(l));
    let turn: Value = serde_json::from_str(task[0]).expect("notify JSON");
    assert_eq!(task.len(), 1, "{lines:?}");
    assert_eq!(turn["type"], "agent-turn-complete");
    assert_eq!(turn["last-assistant-message"], DONE);
    assert_eq!(turn["client"], "codex-tui");
    let cwd = std::fs::canonicalize(codex.project()).expect("project path");
    assert_eq!(turn["cwd"], cwd.to_string_lossy().as_ref());
    assert_eq!(
        turn["thread-id"],
        codex.model.turns()[0].body["prompt_cache_key"]
    );
    for line in titles {
        let title: Value = serde_json::from_str(line).expect("notify JSON");
        assert_eq!(title["type"], "agent-turn-complete");
        assert_ne!(title["thread-id"], turn["thread-id"]);
        assert_eq!(
            title["last-assistant-message"],
            json!({ "title": TITLE }).to_string()
        );
    }
    if harness::refreshing() {
        write_notify_fixture(task[0], &cwd);
    }
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "real agent CLI: run .ci/real-agents"]
async fn patch_approval_screens_and_yes() {
    let codex = Codex::new(patch_script()).await;
    std::fs::write(codex.project().join(APP), APP_BEFORE).expect("write app.py");
    codex.start(&sh_quote("say goodbye"));
    let screens = capture_fixtures(
        &codex.sandbox,
        PANE,
        "codex-patch",
        codex.sandbox.dir(),
        shows(EDIT_QUESTION, TELL_CODEX),
    );
    for screen in &screens {
        assert!(screen.contains("+    print(\"goodbye\")"), "{screen}");
    }
    codex.keys(&["y"]);
    let output = codex.wait_for_call_output();
    assert!(
        output.contains("Success. Updated the following files"),
        "{output}"
    );
    let app = std::fs::read_to_string(codex.project().join(APP)).expect("read app.py");
    assert_eq!(app, APP_AFTER);
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "real agent CLI: run .ci/real-agents"]
async fn trust_screens_and_trust() {
    let codex = Codex::new(vec![Reply::text("Hello from the stand-in.")]).await;
    codex.make_repository();
    codex.start(&sh_quote(TASK));
    capture_fixtures(
        &codex.sandbox,
        PANE,
        "codex-trust",
        codex.sandbox.dir(),
        shows(TRUST_QUESTION, "2. Back to Agent Command Center"),
    );
    assert!(
        codex.model.received().is_empty(),
        "asked the model before trust"
    );
    codex.keys(&["Enter"]);
    wait_for_screen(&codex.sandbox, PANE, "the model's answer", |s| {
        s.contains("Hello from the stand-in.")
    });
    assert_eq!(
        codex.model.turns()[0].last_user_text().as_deref(),
        Some(TASK)
    );
    let config = std::fs::read_to_string(codex.home().join("config.toml")).expect("config");
    let project = std::fs::canonicalize(codex.project()).expect("project path");
    assert!(
        config.contains(&format!(
            "[projects.\"{}\"]\ntrust_level = \"trusted\"",
            project.display()
        )),
        "{config}"
    );
}

// ---- From the phone, through tgmux ---------------------------------------------

#[tokio::test(flavor = "multi_thread")]
#[ignore = "real agent CLI: run .ci/real-agents"]
async fn phone_approves_a_command_and_hears_the_turn_end() {
    let codex = Codex::new(command_script()).await;
    let (api, _bot, d) = codex.bot().await;
    assert!(d.visible.contains(RUN_QUESTION), "{}", d.visible);
    assert!(
        d.visible.contains(&format!(
            "Environment: local\nReason: {REASON}\n$ {COMMAND}"
        )),
        "the context: {}",
        d.visible
    );
    assert_eq!(
        labels(&d),
        [
            "⭐ Yes, proceed",
            "Yes, and don't ask again for commands that start with `echo…",
            TELL_CODEX,
            "👁 Peek",
        ]
    );
    let answer = tap(&api, ALICE, d.message_id, "Yes, proceed").await;
    assert_eq!(answer.text.as_deref(), Some("Sent: Yes, proceed"));
    let output = codex.wait_for_call_output();
    assert!(output.contains("Process exited with code 0"), "{output}");
    assert_eq!(read_lines(&codex.marker()), ["hi"]);

    // tgmux wires Codex's notify to itself: the phone hears the turn end
    // with the answer, and nothing of Codex's thread-title turn.
    let ended = api
        .wait_for_message(WAIT, |m| m.visible.contains(DONE))
        .await;
    assert!(
        ended.visible.starts_with("✅ 🟢 webapp finished its turn"),
        "{}",
        ended.visible
    );
    let turns: Vec<String> = api
        .sent_messages()
        .into_iter()
        .filter(|m| m.visible.contains("finished its turn"))
        .map(|m| m.visible)
        .collect();
    assert_eq!(turns, [ended.visible], "one turn ended");
}

/// Saves a notify payload, as Codex wrote it, in tests/fixtures/events/,
/// with the project's folder made generic.
fn write_notify_fixture(line: &str, cwd: &Path) {
    let text = line.replace(cwd.to_string_lossy().as_ref(), "/home/dev/webapp");
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/events/codex-agent-turn-complete.json");
    std::fs::write(&path, text + "\n").unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "real agent CLI: run .ci/real-agents"]
async fn phone_declines_a_command_and_says_why() {
    let codex = Codex::new(command_script()).await;
    let (api, _bot, d) = codex.bot().await;
    tap(&api, ALICE, d.message_id, "No, and tell Codex").await;
    let prompt = api
        .wait_for_message(WAIT, |m| m.text.contains("reply to this message"))
        .await;
    wait_for_screen(&codex.sandbox, BOT_PANE, "the cancelled command", |s| {
        s.contains("You canceled the request to run")
    });
    let why = "write it with printf instead";
    api.reply_text(ALICE, why, prompt.message_id);
    let output = codex.wait_for_call_output();
    assert!(output.ends_with("aborted by user"), "{output}");
    let turns = codex.model.turns();
    assert_eq!(turns.len(), 2, "{turns:?}");
    assert_eq!(turns[1].last_user_text().as_deref(), Some(why));
    assert!(!codex.marker().exists());
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "real agent CLI: run .ci/real-agents"]
async fn phone_approves_a_patch() {
    let codex = Codex::new(patch_script()).await;
    std::fs::write(codex.project().join(APP), APP_BEFORE).expect("write app.py");
    let (api, _bot, d) = codex.bot().await;
    assert!(d.visible.contains(EDIT_QUESTION), "{}", d.visible);
    let project = std::fs::canonicalize(codex.project()).expect("project path");
    assert!(
        d.visible.contains(&format!(
            "Description: Apply proposed file edits\nDestination: {}/{APP}\n\
             Edited {APP} (+1 -1)\n\
             2 -    print(\"hello\")\n\
             2 +    print(\"goodbye\")\n",
            project.display()
        )),
        "the context and the diff: {}",
        d.visible
    );
    assert_eq!(
        labels(&d),
        [
            "⭐ Yes, proceed",
            "Yes, and don't ask again for these files",
            TELL_CODEX,
            "👁 Peek",
        ]
    );
    tap(&api, ALICE, d.message_id, "Yes, proceed").await;
    let output = codex.wait_for_call_output();
    assert!(
        output.contains("Success. Updated the following files"),
        "{output}"
    );
    let app = std::fs::read_to_string(codex.project().join(APP)).expect("read app.py");
    assert_eq!(app, APP_AFTER);
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "real agent CLI: run .ci/real-agents"]
async fn phone_trusts_a_folder() {
    let codex = Codex::new(vec![Reply::text("Hello from the stand-in.")]).await;
    codex.make_repository();
    let (api, _bot, d) = codex.bot().await;
    assert!(d.visible.contains(TRUST_QUESTION), "{}", d.visible);
    assert_eq!(
        labels(&d),
        [
            "⭐ Trust and continue",
            "Back to Agent Command Center",
            "👁 Peek"
        ]
    );
    tap(&api, ALICE, d.message_id, "Trust and continue").await;
    tokio::task::block_in_place(|| {
        wait_until(harness::SCREEN_WAIT, "the task reaching the model", || {
            !codex.model.turns().is_empty()
        })
    });
    assert_eq!(
        codex.model.turns()[0].last_user_text().as_deref(),
        Some(TASK)
    );
}

// ---- Resuming ----------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
#[ignore = "real agent CLI: run .ci/real-agents"]
async fn resume_last_continues_the_conversation() {
    let mut script = command_script();
    script.push(Reply::text("Resumed and still here."));
    let codex = Codex::new(script).await;
    codex.start(&sh_quote(TASK));
    wait_for_screen(
        &codex.sandbox,
        PANE,
        "the command prompt",
        shows(RUN_QUESTION, TELL_CODEX),
    );
    codex.keys(&["y"]);
    wait_for_screen(&codex.sandbox, PANE, "the closing message", |s| {
        s.contains(DONE)
    });
    let first = codex.model.turns()[0].clone();
    assert_eq!(first.authorization.as_deref(), Some("Bearer sk-test"));
    let thread = first.body["prompt_cache_key"]
        .as_str()
        .unwrap_or_default()
        .to_owned();

    // /quit prints how to resume, naming the thread id notify reports.
    codex.type_line("/quit");
    let goodbye = wait_for_screen(&codex.sandbox, PANE, "the resume hint", |s| {
        s.contains("To continue this session, run:")
    });
    assert!(
        goodbye.contains(&format!("codex resume {thread}")),
        "{goodbye}"
    );

    let out = codex.sandbox.tmux(&["kill-session", "-t", PANE]);
    assert!(out.status.success(), "kill-session: {out:?}");
    codex.start("resume --last");
    wait_for_screen(&codex.sandbox, PANE, "the old conversation", |s| {
        s.contains(DONE) && s.contains("Ask Codex to do anything")
    });
    codex.type_line("are you still there?");
    wait_for_screen(&codex.sandbox, PANE, "the resumed answer", |s| {
        s.contains("Resumed and still here.")
    });
    let resumed = codex.model.turns().last().cloned().expect("a turn");
    assert_eq!(resumed.body["prompt_cache_key"], thread.as_str());
    assert!(resumed.function_output("call_1").is_some(), "history lost");
    assert_eq!(
        resumed.last_user_text().as_deref(),
        Some("are you still there?")
    );
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "real agent CLI: run .ci/real-agents"]
async fn phone_stops_and_resumes_the_conversation() {
    let mut script = command_script();
    script.push(Reply::text("Resumed and still here."));
    let codex = Codex::new(script).await;
    let (api, _bot, d) = codex.bot().await;
    tap(&api, ALICE, d.message_id, "Yes, proceed").await;
    api.wait_for_message(WAIT, |m| m.visible.contains(DONE))
        .await;
    let thread = codex.model.turns()[0].body["prompt_cache_key"].clone();

    ask(&api, ALICE, "/stop webapp", |m| {
        m.visible.contains("stopped")
    })
    .await;
    let resumed = ask(&api, ALICE, "/resume webapp", |m| {
        m.visible.contains("running again")
    })
    .await;
    wait_for_screen(&codex.sandbox, BOT_PANE, "the old conversation", |s| {
        s.contains(DONE) && s.contains("Ask Codex to do anything")
    });
    api.reply_text(ALICE, "are you still there?", resumed.message_id);
    api.wait_for_message(WAIT, |m| m.visible.contains("Resumed and still here."))
        .await;
    let last = codex.model.turns().last().cloned().expect("a turn");
    assert_eq!(last.body["prompt_cache_key"], thread, "another thread");
    assert!(last.function_output("call_1").is_some(), "history lost");
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "real agent CLI: run .ci/real-agents"]
async fn resume_from_another_folder_screens_and_current_directory() {
    let codex = Codex::new(command_script()).await;
    codex.start(&sh_quote(TASK));
    wait_for_screen(
        &codex.sandbox,
        PANE,
        "the command prompt",
        shows(RUN_QUESTION, TELL_CODEX),
    );
    codex.keys(&["y"]);
    wait_for_screen(&codex.sandbox, PANE, "the closing message", |s| {
        s.contains(DONE)
    });
    let out = codex.sandbox.tmux(&["kill-session", "-t", PANE]);
    assert!(out.status.success(), "kill-session: {out:?}");

    // `resume --last` keeps to sessions of the folder it runs in; by its id,
    // a session of another folder asks which folder to work in.
    let thread = codex.model.turns()[0].body["prompt_cache_key"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let elsewhere = codex.sandbox.path("code/other");
    std::fs::create_dir_all(&elsewhere).expect("create the other folder");
    codex.start_in(&elsewhere, &format!("resume {thread}"));
    let screens = capture_fixtures(
        &codex.sandbox,
        PANE,
        "codex-resume-folder",
        codex.sandbox.dir(),
        shows(RESUME_TITLE, "4. Always use current directory"),
    );
    for screen in &screens {
        let flat = screen.split_whitespace().collect::<Vec<_>>().join(" ");
        let other = format!("2. Use current directory ({})", elsewhere.display());
        assert!(flat.contains(&other), "{screen}");
    }
    codex.keys(&["2"]);
    let resumed = wait_for_screen(&codex.sandbox, PANE, "the old conversation", |s| {
        s.contains(DONE) && s.contains("Ask Codex to do anything")
    });
    assert!(
        resumed.contains(&*elsewhere.to_string_lossy()),
        "not in the current folder: {resumed}"
    );
}
