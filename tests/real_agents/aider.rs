//! Aider (PyPI `aider-chat`, pinned in .ci/agents/install-aider.sh) against
//! the loopback Chat Completions stand-in: its start-up questions (create a
//! git repository, add `.aider*` to .gitignore) and its y/n questions (run a
//! shell command, add its output to the chat, create a file, add a file to
//! the chat), captured as fixtures and answered from the phone through tgmux.
//!
//! Aider runs with a throw-away `HOME` (a git identity, its caches) and the
//! model `openai/standin`, described by a metadata file (so it never
//! downloads litellm's price list) and a settings file (the diff edit format,
//! whose fenced `bash` blocks are shell commands). Update checks, analytics,
//! release notes and model warnings are off; commits are left to the test.

use std::path::PathBuf;
use std::process::Command;

use serde_json::json;

use crate::harness::{self, capture_fixtures, start_agent, wait_for_screen};
use crate::support::bot::{ALICE, BotProcess, BotSetup, WAIT, ask, tap};
use crate::support::botapi::{BotApi, SentMessage};
use crate::support::models::openai::{OpenAi, Received, Reply};
use crate::support::tmux::TmuxSandbox;
use crate::support::{read_lines, wait_until};

/// The shell command the stand-in proposes, and what it prints. It lingers
/// after printing: Aider runs commands under pexpect's `interact`, which now
/// and then loses the output of a command that exits at once.
const COMMAND: &str = "echo hi > marker.txt && echo marker written && sleep 0.5";
/// The file the stand-in creates, and its lines.
const NOTES: &str = "notes.txt";
const NOTES_LINES: [&str; 2] = ["first line", "second line"];
/// The file already in the repository that the stand-in asks to see.
const APP: &str = "app.py";
const APP_TEXT: &str = "def main():\n    print(\"hello\")\n";
/// The tmux target of a session the test starts itself.
const PANE: &str = "=agent:";
/// The tmux target of the session tgmux starts.
const BOT_PANE: &str = "=webapp:";

/// A reply proposing [`COMMAND`].
fn shell_reply() -> Reply {
    Reply::text(format!(
        "I'll write the marker.\n\n```bash\n{COMMAND}\n```\n"
    ))
}

/// A reply creating [`NOTES`] with a SEARCH/REPLACE block.
fn create_reply() -> Reply {
    let lines = NOTES_LINES.join("\n");
    Reply::text(format!(
        "I'll add the notes file.\n\n{NOTES}\n```\n<<<<<<< SEARCH\n=======\n{lines}\n>>>>>>> REPLACE\n```\n"
    ))
}

/// A reply naming [`APP`], which Aider offers to add to the chat.
fn mention_reply() -> Reply {
    Reply::text(format!(
        "To change the greeting I need to edit {APP}. Please add it to the chat."
    ))
}

/// What a prompt line looks like, and what the screen shows when it is up.
struct Question {
    /// The question as the phone shows it.
    text: &'static str,
    /// The answers Aider offers after it.
    choices: &'static str,
}

impl Question {
    /// Whether the screen ends with this question, waiting for an answer.
    fn is_open(&self, screen: &str) -> bool {
        let flat = screen.split_whitespace().collect::<Vec<_>>().join(" ");
        flat.ends_with(&format!("{} {}", self.text, self.choices))
    }
}

const YES_NO: &str = "(Y)es/(N)o [Yes]:";
const YES_NO_NEVER: &str = "(Y)es/(N)o/(D)on't ask again [Yes]:";

const CREATE_REPO: Question = Question {
    text: "No git repo found, create one to track aider's changes (recommended)?",
    choices: YES_NO,
};
const GITIGNORE: Question = Question {
    text: "Add .aider* to .gitignore (recommended)?",
    choices: YES_NO,
};
const RUN: Question = Question {
    text: "Run shell command?",
    choices: YES_NO_NEVER,
};
const ADD_OUTPUT: Question = Question {
    text: "Add command output to the chat?",
    choices: YES_NO_NEVER,
};
const CREATE_FILE: Question = Question {
    text: "Create new file?",
    choices: YES_NO,
};
const ADD_FILE: Question = Question {
    text: "Add file to the chat?",
    choices: YES_NO_NEVER,
};

/// A project folder, Aider's home and the stand-in, in one tmux sandbox.
struct Aider {
    model: OpenAi,
    sandbox: TmuxSandbox,
}

impl Aider {
    /// The stand-in with `script`, a home for Aider and an empty project.
    async fn new(script: Vec<Reply>) -> Aider {
        let model = OpenAi::start(script).await;
        let sandbox = TmuxSandbox::new();
        let aider = Aider { model, sandbox };
        let home = aider.home();
        std::fs::create_dir_all(&home).expect("create HOME");
        std::fs::create_dir_all(aider.project()).expect("create the project");
        let files = [
            (
                ".gitconfig",
                "[user]\n\tname = Dev\n\temail = dev@example.com\n".to_owned(),
            ),
            ("model-metadata.json", aider.metadata()),
            (
                "model-settings.yml",
                "- name: openai/standin\n  edit_format: diff\n".to_owned(),
            ),
        ];
        for (name, text) in files {
            std::fs::write(home.join(name), text).expect("write Aider's home");
        }
        aider
    }

    /// The stand-in model's size and price, so litellm need not look it up.
    fn metadata(&self) -> String {
        json!({
            "openai/standin": {
                "max_input_tokens": 32000,
                "max_output_tokens": 4096,
                "input_cost_per_token": 0,
                "output_cost_per_token": 0,
                "litellm_provider": "openai",
                "mode": "chat",
            }
        })
        .to_string()
    }

    fn home(&self) -> PathBuf {
        self.sandbox.path("home")
    }

    /// The folder Aider works in (`webapp` under the bot's root).
    fn project(&self) -> PathBuf {
        self.sandbox.path("code/webapp")
    }

    /// Makes the project a git repository holding [`APP`], with
    /// `.gitignore` already listing Aider's files unless `ask_gitignore`.
    fn make_repository(&self, ask_gitignore: bool) {
        std::fs::write(self.project().join(APP), APP_TEXT).expect("write app.py");
        if !ask_gitignore {
            std::fs::write(self.project().join(".gitignore"), ".aider*\n").expect(".gitignore");
        }
        for args in [
            &["init", "-q"][..],
            &["add", "."],
            &["commit", "-q", "-m", "start"],
        ] {
            let out = Command::new("git")
                .args(args)
                .current_dir(self.project())
                .env("HOME", self.home())
                .output()
                .expect("git");
            assert!(out.status.success(), "git {args:?}: {out:?}");
        }
    }

    /// The environment Aider needs.
    fn env(&self) -> Vec<(String, String)> {
        vec![
            ("HOME".into(), self.home().to_string_lossy().into_owned()),
            ("LITELLM_LOCAL_MODEL_COST_MAP".into(), "True".into()),
        ]
    }

    /// The command line that starts Aider on the stand-in.
    fn command(&self) -> String {
        let home = self.home();
        let file = |name: &str| home.join(name).to_string_lossy().into_owned();
        [
            harness::cli_word("aider"),
            "--model openai/standin".into(),
            format!("--openai-api-base {}", self.model.url()),
            "--openai-api-key sk-test".into(),
            format!("--model-metadata-file {}", file("model-metadata.json")),
            format!("--model-settings-file {}", file("model-settings.yml")),
            "--no-check-update --no-analytics --no-show-release-notes".into(),
            "--no-show-model-warnings --no-auto-commits --no-dirty-commits".into(),
        ]
        .join(" ")
    }

    /// Starts Aider in its own 80x24 tmux session.
    fn start(&self) {
        start_agent(
            &self.sandbox,
            "agent",
            &self.project(),
            &self.env(),
            &self.command(),
        );
    }

    /// Waits for `question`, captures it as fixture `name`, answers yes.
    fn capture_and_accept(&self, question: &Question, name: &str) -> Vec<String> {
        let screens = capture_fixtures(&self.sandbox, PANE, name, self.sandbox.dir(), |s| {
            question.is_open(s)
        });
        self.keys(&["y", "Enter"]);
        screens
    }

    /// Waits for Aider's input prompt, then types `line` and Enter.
    fn type_line(&self, line: &str) {
        wait_for_screen(&self.sandbox, PANE, "Aider's input prompt", is_idle);
        self.keys(&["-l", line]);
        self.keys(&["Enter"]);
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", PANE];
        args.extend_from_slice(keys);
        let out = self.sandbox.tmux(&args);
        assert!(out.status.success(), "send-keys: {out:?}");
    }

    /// Waits until the stand-in has taken `n` turns; returns the last.
    fn wait_for_turns(&self, n: usize) -> Received {
        tokio::task::block_in_place(|| {
            wait_until(harness::SCREEN_WAIT, &format!("{n} model turns"), || {
                self.model.turns().len() >= n
            })
        });
        self.model.turns().remove(n - 1)
    }

    fn path(&self, file: &str) -> PathBuf {
        self.project().join(file)
    }

    /// Waits until the project's `file` holds exactly `lines`.
    fn wait_for_file(&self, file: &str, lines: &[&str]) {
        let path = self.path(file);
        tokio::task::block_in_place(|| {
            wait_until(WAIT, &format!("{file} to hold {lines:?}"), || {
                read_lines(&path) == lines
            })
        });
    }

    /// A bot whose agent is this Aider: `/new webapp`, with `task` typed in
    /// once Aider starts; returns the first decision it brings.
    async fn bot(&self, task: Option<&str>) -> (BotApi, BotProcess, SentMessage) {
        let api = BotApi::start().await;
        let mut setup = BotSetup::new(&self.sandbox, self.command());
        setup.env = self.env();
        let (bot, _) = BotProcess::start_ready(&api, &self.sandbox, &setup).await;
        let new = match task {
            Some(task) => format!("/new webapp {task}"),
            None => "/new webapp".to_owned(),
        };
        ask(&api, ALICE, &new, |m| m.text.contains("started")).await;
        wait_for_screen(&self.sandbox, BOT_PANE, "a question", |s| {
            s.contains("(Y)es/(N)o")
        });
        let decision = next_decision(&api, 0).await;
        (api, bot, decision)
    }
}

/// Aider waiting at its input prompt: the last line drawn is `>` (after the
/// names of the files in the chat, if any).
fn is_idle(screen: &str) -> bool {
    screen
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .map(str::trim_end)
        == Some(">")
}

/// The first decision message to Alice with an id above `after`.
async fn next_decision(api: &BotApi, after: i32) -> SentMessage {
    api.wait_for_message(harness::SCREEN_WAIT, |m| {
        m.chat_id == ALICE && m.message_id > after && m.text.contains("is waiting for you")
    })
    .await
}

fn labels(m: &SentMessage) -> Vec<String> {
    m.buttons().into_iter().map(|(text, _)| text).collect()
}

/// Asserts a decision's question, its context and its buttons.
fn assert_decision(d: &SentMessage, question: &Question, context: &str, labels_: &[&str]) {
    assert!(
        d.visible
            .contains(&format!("{}\n{context}\n", question.text)),
        "question and context: {}",
        d.visible
    );
    assert_eq!(labels(d), labels_);
}

const YES_NO_LABELS: [&str; 3] = ["⭐ Yes", "No", "👁 Peek"];
const YES_NO_NEVER_LABELS: [&str; 4] = ["⭐ Yes", "No", "Don't ask again", "👁 Peek"];

// ---- Fixtures: each question at 80x24 and 120x40 ------------------------------

#[tokio::test(flavor = "multi_thread")]
#[ignore = "real agent CLI: run .ci/real-agents"]
async fn create_repository_screens_and_yes() {
    let aider = Aider::new(Vec::new()).await;
    aider.start();
    aider.capture_and_accept(&CREATE_REPO, "aider-git-repo");
    wait_for_screen(&aider.sandbox, PANE, "Aider's input prompt", is_idle);
    assert!(aider.path(".git").is_dir());
    aider.wait_for_file(".gitignore", &[".aider*"]);
}

/// One Aider session through every question in a repository: .gitignore,
/// create a file, add a file to the chat, run a command, add its output.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "real agent CLI: run .ci/real-agents"]
async fn question_screens_in_one_session() {
    let aider = Aider::new(vec![
        create_reply(),
        mention_reply(),
        Reply::text("Thanks, I can see app.py now."),
        shell_reply(),
    ])
    .await;
    aider.make_repository(true);
    aider.start();

    aider.capture_and_accept(&GITIGNORE, "aider-gitignore");
    aider.wait_for_file(".gitignore", &[".aider*"]);

    aider.type_line("add a notes file");
    for screen in aider.capture_and_accept(&CREATE_FILE, "aider-create-file") {
        assert!(
            screen.contains(&format!("{NOTES}\nCreate new file?")),
            "{screen}"
        );
    }
    wait_for_screen(&aider.sandbox, PANE, "Aider's input prompt", is_idle);
    aider.wait_for_file(NOTES, &NOTES_LINES);

    aider.type_line("change the greeting");
    aider.capture_and_accept(&ADD_FILE, "aider-add-file");
    let shown = aider.wait_for_turns(3);
    let told = shown.last_user_text().unwrap_or_default();
    assert!(
        told.starts_with("I added these files to the chat: app.py"),
        "{told}"
    );

    aider.type_line("write the marker");
    for screen in aider.capture_and_accept(&RUN, "aider-shell") {
        assert!(
            screen.contains(&format!("{COMMAND}\nRun shell command?")),
            "{screen}"
        );
    }
    aider.capture_and_accept(&ADD_OUTPUT, "aider-add-output");
    wait_for_screen(&aider.sandbox, PANE, "Aider's input prompt", is_idle);
    aider.wait_for_file("marker.txt", &["hi"]);
}

// ---- From the phone, through tgmux ---------------------------------------------

#[tokio::test(flavor = "multi_thread")]
#[ignore = "real agent CLI: run .ci/real-agents"]
async fn phone_creates_the_repository_and_the_gitignore_entry() {
    let aider = Aider::new(Vec::new()).await;
    let (api, _bot, d) = aider.bot(None).await;
    assert!(d.visible.contains(CREATE_REPO.text), "{}", d.visible);
    assert_eq!(labels(&d), YES_NO_LABELS);
    let answer = tap(&api, ALICE, d.message_id, "Yes").await;
    assert_eq!(answer.text.as_deref(), Some("Sent: Yes"));
    aider.wait_for_file(".gitignore", &[".aider*"]);
    assert!(aider.path(".git").is_dir());
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "real agent CLI: run .ci/real-agents"]
async fn phone_adds_the_gitignore_entry() {
    let aider = Aider::new(Vec::new()).await;
    aider.make_repository(true);
    let (api, _bot, d) = aider.bot(None).await;
    assert_decision(
        &d,
        &GITIGNORE,
        "You can skip this check with --no-gitignore",
        &YES_NO_LABELS,
    );
    tap(&api, ALICE, d.message_id, "Yes").await;
    aider.wait_for_file(".gitignore", &[".aider*"]);
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "real agent CLI: run .ci/real-agents"]
async fn phone_runs_a_command_and_shares_its_output() {
    let aider = Aider::new(vec![shell_reply(), Reply::text("Noted.")]).await;
    aider.make_repository(false);
    let (api, _bot, d) = aider.bot(Some("write the marker")).await;
    assert_decision(&d, &RUN, COMMAND, &YES_NO_NEVER_LABELS);
    let answer = tap(&api, ALICE, d.message_id, "Yes").await;
    assert_eq!(answer.text.as_deref(), Some("Sent: Yes"));
    wait_for_screen(&aider.sandbox, BOT_PANE, "the output question", |s| {
        ADD_OUTPUT.is_open(s)
    });
    let d = next_decision(&api, d.message_id).await;
    assert!(d.visible.contains(ADD_OUTPUT.text), "{}", d.visible);
    assert_eq!(labels(&d), YES_NO_NEVER_LABELS);
    aider.wait_for_file("marker.txt", &["hi"]);
    tap(&api, ALICE, d.message_id, "Yes").await;

    // The output reaches the model with the next message.
    api.reply_text(ALICE, "thanks", d.message_id);
    let next = aider.wait_for_turns(2);
    let messages = next.body["messages"].to_string();
    let shared = format!("Output from {COMMAND}\\nmarker written");
    assert!(messages.contains(&shared), "{messages}");
    let told = next.last_user_text().unwrap_or_default();
    assert!(told.starts_with("thanks\n"), "{told}");
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "real agent CLI: run .ci/real-agents"]
async fn phone_declines_a_command() {
    let aider = Aider::new(vec![shell_reply()]).await;
    aider.make_repository(false);
    let (api, _bot, d) = aider.bot(Some("write the marker")).await;
    tap(&api, ALICE, d.message_id, "No").await;
    wait_for_screen(&aider.sandbox, BOT_PANE, "Aider's input prompt", is_idle);
    assert!(!aider.path("marker.txt").exists());
    assert_eq!(aider.model.turns().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "real agent CLI: run .ci/real-agents"]
async fn phone_creates_a_file() {
    let aider = Aider::new(vec![create_reply()]).await;
    aider.make_repository(false);
    let (api, _bot, d) = aider.bot(Some("add a notes file")).await;
    assert_decision(&d, &CREATE_FILE, NOTES, &YES_NO_LABELS);
    tap(&api, ALICE, d.message_id, "Yes").await;
    aider.wait_for_file(NOTES, &NOTES_LINES);
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "real agent CLI: run .ci/real-agents"]
async fn phone_adds_a_file_to_the_chat() {
    let aider = Aider::new(vec![mention_reply(), Reply::text("I can see it.")]).await;
    aider.make_repository(false);
    let (api, _bot, d) = aider.bot(Some("change the greeting")).await;
    assert_decision(&d, &ADD_FILE, APP, &YES_NO_NEVER_LABELS);
    tap(&api, ALICE, d.message_id, "Yes").await;
    let shown = aider.wait_for_turns(2);
    assert_eq!(shown.authorization.as_deref(), Some("Bearer sk-test"));
    let told = shown.last_user_text().unwrap_or_default();
    assert!(
        told.starts_with("I added these files to the chat: app.py"),
        "{told}"
    );
    let messages = shown.body["messages"].to_string();
    assert!(
        messages.contains("print(\\\"hello\\\")"),
        "app.py not shown: {messages}"
    );
}
