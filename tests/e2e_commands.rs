//! End to end: the real `tgmux run` binary against the loopback Bot API and
//! a throw-away tmux server, driven the way a phone drives it.

mod support;

use std::time::Duration;

use support::bot::{ALICE, BotProcess, BotSetup, WAIT, ask, tap};
use support::botapi::BotApi;
use support::tmux::TmuxSandbox;
use support::{agent, sh_quote, wait_until};

/// A bot whose agent is `record.sh`, writing what it is typed to `typed.txt`.
async fn recording_bot() -> (BotApi, TmuxSandbox, BotSetup, BotProcess) {
    let api = BotApi::start().await;
    let sandbox = TmuxSandbox::new();
    let agent = format!(
        "{} {}",
        sh_quote(agent("record.sh")),
        sh_quote(sandbox.path("typed.txt"))
    );
    let setup = BotSetup::new(&sandbox, agent);
    let bot = BotProcess::start(&api, &sandbox, &setup);
    api.wait_for_message(WAIT, |m| m.text.contains("tgmux started"))
        .await;
    (api, sandbox, setup, bot)
}

#[tokio::test(flavor = "multi_thread")]
async fn new_then_ls_shows_the_session() {
    let (api, sandbox, _setup, _bot) = recording_bot().await;
    let commands = api.commands();
    assert!(
        commands.iter().any(|(name, _)| name == "new"),
        "{commands:?}"
    );

    let started = ask(&api, ALICE, "/new webapp", |_| true).await;
    assert!(started.visible.contains("webapp"), "{}", started.visible);
    assert!(
        started
            .visible
            .contains(&format!("tmux -L {} attach -t webapp", sandbox.socket()))
    );
    let buttons = started.buttons();
    assert!(
        buttons.iter().any(|(t, _)| t.contains("Stop")),
        "{buttons:?}"
    );

    let list = ask(&api, ALICE, "/ls", |_| true).await;
    assert!(list.visible.contains("webapp"), "{}", list.visible);
    let out = sandbox.tmux(&["has-session", "-t", "=webapp"]);
    assert!(out.status.success(), "the tmux session exists");
}
