//! Agents' own events through the real binary: a stand-in for Claude Code
//! (`reporting.sh`, started as `claude` so tgmux wires its hooks) reports
//! PreToolUse and Stop through the real `tgmux hook`. The screen stays the
//! judge; the events name the call exactly and bring the answer.

mod support;

use std::path::PathBuf;

use support::bot::{ALICE, BotProcess, BotSetup, WAIT, ask, tap, turn_finished};
use support::botapi::{BotApi, SentMessage};
use support::tmux::TmuxSandbox;
use support::{agent, sh_quote, wait_for};

struct Rig {
    api: BotApi,
    sandbox: TmuxSandbox,
    _bot: BotProcess,
    log: PathBuf,
}

impl Rig {
    /// A bot whose agent is `reporting.sh` linked as `claude`, with one
    /// session `webapp` started and looked at.
    async fn start() -> Rig {
        let api = BotApi::start().await;
        let sandbox = TmuxSandbox::new();
        let bin = sandbox.path("bin");
        std::fs::create_dir_all(&bin).unwrap();
        let claude = bin.join("claude");
        std::os::unix::fs::symlink(agent("reporting.sh"), &claude).unwrap();
        let log = sandbox.path("agent.log");
        let setup = BotSetup::new(
            &sandbox,
            format!("{} {}", sh_quote(&claude), sh_quote(&log)),
        );
        let (bot, _) = BotProcess::start_ready(&api, &sandbox, &setup).await;
        ask(&api, ALICE, "/new webapp", |m| m.text.contains("started")).await;
        let rig = Rig {
            api,
            sandbox,
            _bot: bot,
            log,
        };
        wait_for("the agent's idle screen", || {
            rig.pane().contains("Ready.").then_some(())
        })
        .await;
        rig
    }

    /// Types a line into the agent at its terminal.
    fn line(&self, text: &str) {
        self.sandbox.keys("webapp", &["-l", text]);
        self.sandbox.keys("webapp", &["Enter"]);
    }

    fn pane(&self) -> String {
        self.sandbox.pane("webapp")
    }

    /// Types `line` into the agent; returns the decision message it brings.
    async fn decision_after(&self, line: &str) -> SentMessage {
        self.line(line);
        self.api
            .wait_for_message(WAIT, |m| m.visible.contains("is waiting for you"))
            .await
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_decision_names_the_announced_call_in_full_where_the_screen_cut_it() {
    let rig = Rig::start().await;
    let command = "cargo test --workspace --all-features -- --test-threads=1";
    let message = rig.decision_after(&format!("ask {command}")).await;
    assert!(
        rig.pane().contains("cargo test --workspace -…"),
        "the screen cuts the command:\n{}",
        rig.pane()
    );
    assert!(
        message
            .text
            .contains(&format!("🔧 <b>Bash</b>\n<pre>{command}</pre>")),
        "{}",
        message.text
    );
    let answer = tap(&rig.api, ALICE, message.message_id, "Yes").await;
    assert!(
        answer
            .text
            .as_deref()
            .is_some_and(|t| t.starts_with("Sent"))
    );
    let log = wait_for("the key", || {
        let log = std::fs::read_to_string(&rig.log).unwrap_or_default();
        log.contains("key").then_some(log)
    })
    .await;
    assert_eq!(log, "key enter\n");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_announced_call_the_screen_does_not_show_is_not_named() {
    let rig = Rig::start().await;
    let message = rig.decision_after("pretend ls -la").await;
    assert!(message.visible.contains("ls -la"), "{}", message.visible);
    assert!(
        !message.text.contains("🔧") && !message.text.contains("rm -rf"),
        "{}",
        message.text
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_answer_comes_from_the_agents_stop_event() {
    let rig = Rig::start().await;
    rig.line("say The tests pass: 42 of 42.");
    let finished = turn_finished(&rig.api, WAIT).await;
    assert!(
        finished.visible.contains("The tests pass: 42 of 42."),
        "{}",
        finished.visible
    );
    assert!(!finished.visible.contains("Ready."), "{}", finished.visible);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_call_announced_after_its_prompt_names_the_message_in_place() {
    let rig = Rig::start().await;
    let command = "npm run build -- --mode production --sourcemap";
    let message = rig.decision_after(&format!("late {command}")).await;
    assert!(!message.text.contains("🔧"), "{}", message.text);
    std::fs::write(rig.sandbox.path("code/webapp/announce"), "").unwrap();
    let named = rig
        .api
        .wait_for_edit(message.message_id, WAIT, |m| m.text.contains("🔧"))
        .await;
    assert!(
        named.text.ends_with(&format!(
            "🔧 <b>Bash</b>\n<pre>{command}</pre>\n\n⭐ = the agent's proposed default"
        )),
        "{}",
        named.text
    );
    assert_eq!(named.buttons(), message.buttons(), "the buttons stay");
    let answer = tap(&rig.api, ALICE, message.message_id, "Yes").await;
    assert!(
        answer
            .text
            .as_deref()
            .is_some_and(|t| t.starts_with("Sent"))
    );
}
