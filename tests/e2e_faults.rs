//! End to end: nothing lost, nothing leaked. The real binary against the
//! loopback Bot API with faults injected (5xx, dropped connections), killed
//! at bad moments, and in a group chat.

mod support;

use std::time::{Duration, Instant};

use support::bot::{ALICE, BotProcess, BotSetup, WAIT, ask};
use support::botapi::{BotApi, Fault, GroupKind, Place};
use support::tmux::TmuxSandbox;
use support::{agent, sh_quote, wait_until};

/// The bot with the agent command line `agent` makes in its sandbox.
async fn start(
    agent: impl FnOnce(&TmuxSandbox) -> String,
) -> (BotApi, TmuxSandbox, BotSetup, BotProcess) {
    let api = BotApi::start().await;
    let sandbox = TmuxSandbox::new();
    let setup = BotSetup::new(&sandbox, agent(&sandbox));
    let (bot, _) = BotProcess::start_ready(&api, &sandbox, &setup).await;
    (api, sandbox, setup, bot)
}

/// `steps.sh`, logging its answers to `answers.log` in the sandbox.
fn steps(sandbox: &TmuxSandbox) -> String {
    let log = sandbox.path("answers.log");
    format!("{} {}", sh_quote(agent("steps.sh")), sh_quote(&log))
}

/// How many messages to Alice contain `text`.
fn count(api: &BotApi, text: &str) -> usize {
    api.sent_messages()
        .iter()
        .filter(|m| m.chat_id == ALICE && m.visible.contains(text))
        .count()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_notification_arrives_exactly_once_after_an_outage() {
    let (api, sandbox, _setup, bot) = start(steps).await;
    let log = sandbox.path("answers.log");
    for name in ["webapp", "webapp-2", "webapp-3"] {
        ask(&api, ALICE, "/new webapp", |m| {
            m.visible.contains(&format!("{name} started"))
        })
        .await;
        wait_until(WAIT, "the agent to be idle", || {
            sandbox.pane(name).contains("Done")
        });
    }

    // 15 s of 502, then 15 s of dropped connections, while one agent
    // finishes a turn, one asks, and one exits.
    api.down_for(Duration::from_secs(15), Fault::BadGateway);
    api.down_for(Duration::from_secs(15), Fault::Drop);
    let outage_ends = Instant::now() + Duration::from_secs(30);
    sandbox.keys("webapp", &["w"]);
    wait_until(WAIT, "work on the screen", || {
        sandbox.pane("webapp").contains("Frosting")
    });
    wait_until(WAIT, "the watcher to see the work", || {
        bot.log().contains("watcher: webapp is working")
    });
    sandbox.keys("webapp", &["i"]);
    sandbox.keys("webapp-2", &["q"]);
    sandbox.keys("webapp-3", &["x"]);

    let finished = api
        .wait_for_message(Duration::from_secs(90), |m| {
            m.visible.contains("webapp finished its turn")
        })
        .await;
    let question = api
        .wait_for_message(Duration::from_secs(90), |m| {
            m.visible.contains("webapp-2 is waiting for you")
        })
        .await;
    let exited = api
        .wait_for_message(Duration::from_secs(90), |m| {
            m.visible.contains("webapp-3 stopped (exit 3)")
        })
        .await;
    assert!(Instant::now() >= outage_ends, "delivered after the outage");
    assert!(
        question.visible.contains("make test"),
        "{}",
        question.visible
    );
    // Given time for any duplicate to show, each arrived once.
    ask(&api, ALICE, "/ls", |m| m.visible.contains("webapp-3")).await;
    assert_eq!(count(&api, "webapp finished its turn"), 1, "{}", api.dump());
    assert_eq!(count(&api, "webapp-2 is waiting for you"), 1);
    assert_eq!(count(&api, "webapp-3 stopped (exit 3)"), 1);
    assert!(finished.visible.contains("Done"), "{}", finished.visible);
    assert!(exited.visible.contains("bye"), "{}", exited.visible);

    // The decision pushed after the outage still answers.
    support::bot::tap(&api, ALICE, question.message_id, "⭐ Yes").await;
    assert_eq!(support::wait_for_lines(&log, 1), ["chose 1"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_command_fetched_just_before_a_crash_runs_once_after_the_restart() {
    let (api, sandbox, setup, bot) = start(|_| "sh".to_owned()).await;
    api.send_text(ALICE, "/new webapp");
    let update = api.last_update_id();
    api.wait_for_delivery(update, WAIT).await;
    bot.kill();

    let (_bot, _) = BotProcess::start_ready(&api, &sandbox, &setup).await;
    api.wait_for_message(WAIT, |m| m.visible.contains("webapp started"))
        .await;
    ask(&api, ALICE, "/ls", |m| m.visible.contains("webapp")).await;
    assert_eq!(count(&api, "webapp started"), 1, "{}", api.dump());
    assert!(sandbox.has_session("webapp"));
    assert!(!sandbox.has_session("webapp-2"), "run once");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_group_sees_nothing_of_the_sessions() {
    let (api, sandbox, _setup, _bot) = start(|_| "sh".to_owned()).await;
    ask(&api, ALICE, "/new webapp", |m| {
        m.visible.contains("started")
    })
    .await;
    sandbox.keys("webapp", &["-l", "echo SECRET-PANE-TEXT"]);
    sandbox.keys("webapp", &["Enter"]);
    wait_until(WAIT, "the secret on the pane", || {
        sandbox.pane("webapp").contains("SECRET-PANE-TEXT")
    });

    let group = api.create_group(GroupKind::Supergroup, "team", &[ALICE, 2222]);
    for command in [
        "/peek webapp",
        "/ls",
        "/send webapp rm -rf /",
        "/stop webapp",
    ] {
        api.send_text_in(Place::Chat(group), ALICE, command);
    }
    api.send_text_in(Place::Chat(group), ALICE, "plain chatter");
    wait_until(WAIT, "four refusals in the group", || {
        api.sent_messages()
            .iter()
            .filter(|m| m.chat_id == group)
            .count()
            >= 4
    });
    // One more private command shows the group's updates were all handled.
    ask(&api, ALICE, "/help", |_| true).await;
    let in_group: Vec<String> = api
        .sent_messages()
        .iter()
        .filter(|m| m.chat_id == group)
        .map(|m| m.visible.clone())
        .collect();
    assert_eq!(in_group.len(), 4, "one line per command, none for chatter");
    for text in &in_group {
        assert!(text.contains("only in a private chat"), "{text}");
        assert!(
            !text.contains("SECRET") && !text.contains("webapp"),
            "{text}"
        );
    }
    assert!(
        sandbox.has_session("webapp"),
        "/stop in the group did nothing"
    );
    assert!(!sandbox.pane("webapp").contains("rm -rf"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_long_task_reaches_an_agent_in_raw_mode_byte_for_byte() {
    let (api, sandbox, _setup, _bot) = start(|sandbox| {
        let out = sandbox.path("task.bin");
        format!("python3 {} {}", sh_quote(agent("raw.py")), sh_quote(&out))
    })
    .await;
    let out = sandbox.path("task.bin");
    let task: String = (0..10_000)
        .map(|i| match i % 7 {
            0 => 'é',
            1 => ' ',
            2 => '$',
            3 => '\'',
            _ => char::from(b'a' + (i % 26) as u8),
        })
        .collect();
    assert_eq!(task.chars().count(), 10_000);
    ask(&api, ALICE, &format!("/new webapp {task}"), |m| {
        m.visible.contains("started")
    })
    .await;
    wait_until(
        Duration::from_secs(20),
        "the agent to write what it got",
        || out.exists(),
    );
    let got = std::fs::read(&out).unwrap();
    assert_eq!(got.len(), task.len());
    assert!(got == task.as_bytes(), "the task arrived changed");
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_ends_the_bot_promptly_while_telegram_is_down_and_keeps_the_outbox() {
    let (api, sandbox, setup, bot) = start(steps).await;
    let log = sandbox.path("answers.log");
    ask(&api, ALICE, "/new webapp", |m| {
        m.visible.contains("started")
    })
    .await;
    wait_until(WAIT, "the agent to be idle", || {
        sandbox.pane("webapp").contains("Done")
    });
    api.down_for(Duration::from_secs(120), Fault::Drop);
    sandbox.keys("webapp", &["q"]);
    wait_until(WAIT, "the question to be queued", || {
        std::fs::read_dir(setup.data_dir.join("outbox")).is_ok_and(|d| d.count() > 0)
    });
    let stopping = Instant::now();
    let status = bot.stop();
    let took = stopping.elapsed();
    assert!(status.success(), "{status}");
    assert!(took < Duration::from_secs(5), "SIGTERM took {took:?}");

    api.back_up();
    let (_bot, _) = BotProcess::start_ready(&api, &sandbox, &setup).await;
    let question = api
        .wait_for_message(WAIT, |m| m.visible.contains("webapp is waiting for you"))
        .await;
    support::bot::tap(&api, ALICE, question.message_id, "⭐ Yes").await;
    assert_eq!(support::wait_for_lines(&log, 1), ["chose 1"]);
    assert_eq!(count(&api, "webapp is waiting for you"), 1);
}
