//! End to end: the real `tgmux run` binary against the loopback Bot API and
//! a throw-away tmux server, driven the way a phone drives it.

mod support;

use std::time::{Duration, Instant};

use support::bot::{ALICE, BotProcess, BotSetup, MALLORY, WAIT, ask, tap};
use support::botapi::BotApi;
use support::botapi::Fault;
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
    let (bot, _) = BotProcess::start_ready(&api, &sandbox, &setup).await;
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
    assert!(sandbox.has_session("webapp"));
}

/// The lines `record.sh` wrote, once there are `n` of them.
fn typed(sandbox: &TmuxSandbox, n: usize) -> Vec<String> {
    support::wait_for_lines(&sandbox.path("typed.txt"), n)
}

#[tokio::test(flavor = "multi_thread")]
async fn send_and_replies_arrive_byte_for_byte() {
    let (api, sandbox, _setup, _bot) = recording_bot().await;
    let started = ask(&api, ALICE, "/new webapp", |m| {
        m.text.contains("started in")
    })
    .await;

    let texts = [
        r#"echo "quoted" 'single';"#,
        "$(rm -rf /) `uname` C-c Enter \\n",
        "  leading and trailing spaces  ",
        "héllo ✓ <b>&amp;</b>",
    ];
    for text in texts {
        let reply = ask(&api, ALICE, &format!("/send webapp {text}"), |_| true).await;
        assert!(
            reply.visible.contains("sent to webapp"),
            "{}",
            reply.visible
        );
    }
    // With one active session the name may be left out.
    ask(&api, ALICE, "/send no name given;", |m| {
        m.visible.contains("sent to")
    })
    .await;
    // Replying to a message about the session types the reply into it.
    let mark = api.reply_text(ALICE, "typed as a reply", started.message_id);
    api.wait_for_message(WAIT, |m| {
        m.message_id > mark && m.visible.contains("sent to webapp")
    })
    .await;

    let mut expected: Vec<String> = texts.iter().map(|t| t.to_string()).collect();
    expected.push("no name given;".into());
    expected.push("typed as a reply".into());
    assert_eq!(typed(&sandbox, expected.len()), expected);

    // A list of several sessions is about none: a reply to it types nowhere.
    ask(&api, ALICE, "/new webapp", |m| {
        m.text.contains("started in")
    })
    .await;
    let list = ask(&api, ALICE, "/ls", |_| true).await;
    assert!(list.visible.contains("webapp-2"), "{}", list.visible);
    let mark = api.reply_text(ALICE, "to the list", list.message_id);
    api.wait_for_message(WAIT, |m| {
        m.message_id > mark && m.visible.contains("not about one session")
    })
    .await;
    assert_eq!(typed(&sandbox, expected.len()), expected);
}

#[tokio::test(flavor = "multi_thread")]
async fn peek_shows_the_screen_escaped_and_long_screens_as_a_file() {
    let api = BotApi::start().await;
    let sandbox = TmuxSandbox::new();
    // An agent that prints markup-like text and a line wider than the pane.
    let script = sandbox.path("noisy.sh");
    std::fs::write(
        &script,
        "#!/bin/sh\nprintf '<script>alert(1)</script> & &amp; <b>\\n'\nprintf 'x%.0s' $(seq 1 300)\nprintf '\\nEND-OF-SCREEN\\n'\nexec cat\n",
    )
    .unwrap();
    let setup = BotSetup::new(&sandbox, format!("sh {}", sh_quote(&script)));
    let (_bot, _) = BotProcess::start_ready(&api, &sandbox, &setup).await;
    ask(&api, ALICE, "/new webapp", |m| {
        m.text.contains("started in")
    })
    .await;

    let peek = ask(&api, ALICE, "/peek webapp 10", |_| true).await;
    assert!(
        peek.text
            .contains("<pre>&lt;script&gt;alert(1)&lt;/script&gt; &amp; &amp;amp; &lt;b&gt;"),
        "{}",
        peek.text
    );
    assert!(
        peek.visible
            .contains("<script>alert(1)</script> & &amp; <b>"),
        "{}",
        peek.visible
    );
    assert!(peek.visible.contains(&"x".repeat(100)) && peek.visible.contains("END-OF-SCREEN"));
    let one = ask(&api, ALICE, "/peek webapp 1", |_| true).await;
    assert!(
        !one.visible.contains("script"),
        "only the last line: {}",
        one.visible
    );

    // cat echoes what it is sent: 2 x 3000 characters is more than a message holds.
    ask(
        &api,
        ALICE,
        &format!("/send webapp {}", "y".repeat(3000)),
        |m| m.visible.contains("sent to"),
    )
    .await;
    let big = ask(&api, ALICE, "/peek webapp 200", |_| true).await;
    let doc = big.document.expect("a long screen comes as a file");
    assert_eq!(doc.filename, "webapp.txt");
    let body = String::from_utf8(doc.bytes).unwrap();
    assert!(
        body.contains("<script>alert(1)</script> & &amp; <b>"),
        "the file holds raw text"
    );
    assert!(
        body.matches('y').count() >= 6000,
        "{} y",
        body.matches('y').count()
    );

    for bad in ["/peek webapp lots", "/peek webapp 0", "/peek nosuch"] {
        let reply = ask(&api, ALICE, bad, |_| true).await;
        assert!(
            reply.visible.contains("⚠️") || reply.visible.contains("Usage"),
            "{bad}: {}",
            reply.visible
        );
    }
}

/// Taps `label` on message `message` and waits for the reply saying the
/// session's new state (`state`): it comes after the tap's answer, and
/// after the tmux session changed, so the next command's reply is not it.
async fn tap_for_state(
    api: &BotApi,
    message: i32,
    label: &str,
    state: &str,
) -> support::botapi::CallbackAnswer {
    let mark = api.sent_messages().last().map_or(0, |m| m.message_id);
    let answer = tap(api, ALICE, message, label).await;
    api.wait_for_message(WAIT, |m| m.message_id > mark && m.visible.contains(state))
        .await;
    answer
}

#[tokio::test(flavor = "multi_thread")]
async fn stop_resume_and_remove_through_buttons() {
    let (api, sandbox, setup, _bot) = recording_bot().await;
    let started = ask(&api, ALICE, "/new webapp", |m| {
        m.text.contains("started in")
    })
    .await;
    let alive = || sandbox.has_session("webapp");

    let answer = tap_for_state(&api, started.message_id, "Stop", "stopped; its folder").await;
    assert!(!answer.show_alert, "{:?}", answer.text);
    wait_until(WAIT, "the tmux session to go", || !alive());

    let list = ask(&api, ALICE, "/ls", |_| true).await;
    assert!(list.visible.contains("⏹"), "{}", list.visible);
    tap_for_state(&api, list.message_id, "Resume", "is running again").await;
    wait_until(WAIT, "the tmux session to come back", alive);

    let list = ask(&api, ALICE, "/ls", |_| true).await;
    let mark = api.sent_messages().last().unwrap().message_id;
    tap(&api, ALICE, list.message_id, "Remove").await;
    let confirm = api
        .wait_for_message(WAIT, |m| {
            m.message_id > mark && m.visible.contains("remove it?")
        })
        .await;
    assert!(alive(), "nothing is removed before the confirming tap");
    tap(&api, ALICE, confirm.message_id, "Yes, remove").await;
    wait_until(WAIT, "the tmux session to go", || !alive());
    assert!(setup.root.join("webapp").is_dir(), "the folder stays");

    let list = ask(&api, ALICE, "/ls", |_| true).await;
    assert!(!list.visible.contains("webapp"), "{}", list.visible);
    let all = ask(&api, ALICE, "/ls all", |_| true).await;
    assert!(all.visible.contains("🗑 webapp"), "{}", all.visible);

    // A button of a removed session answers with an alert saying so.
    let answer = tap(&api, ALICE, started.message_id, "Stop").await;
    assert!(answer.show_alert, "{answer:?}");
    assert!(answer.text.unwrap_or_default().contains("no longer exists"));
}

#[tokio::test(flavor = "multi_thread")]
async fn strangers_change_nothing() {
    let (api, sandbox, _setup, bot) = recording_bot().await;
    let started = ask(&api, ALICE, "/new webapp", |m| {
        m.text.contains("started in")
    })
    .await;
    let before = api.sent_messages().len();

    let reply = ask(&api, MALLORY, "/start", |_| true).await;
    assert!(reply.visible.contains("private"), "{}", reply.visible);
    assert!(reply.visible.contains(&MALLORY.to_string()));
    for text in [
        "/send webapp rm -rf ~",
        "/stop webapp",
        "/rm webapp",
        "/new webapp",
        "/ls",
        "/pair 12345678",
    ] {
        api.send_text(MALLORY, text);
    }
    api.reply_text(MALLORY, "as a reply", started.message_id);
    let tap_id = api.tap_button(MALLORY, started.message_id, "Stop");
    let answer = api.wait_for_callback_answer(&tap_id, WAIT).await;
    assert_eq!(
        answer.text, None,
        "a stranger's tap is acknowledged and nothing else"
    );

    let refused = format!("refused a message from user {MALLORY}");
    wait_until(WAIT, "every message of Mallory's to be refused", || {
        bot.log().matches(&refused).count() == 8
    });
    ask(&api, ALICE, "/send webapp after", |m| {
        m.visible.contains("sent to")
    })
    .await;
    assert_eq!(
        typed(&sandbox, 1),
        vec!["after".to_owned()],
        "nothing of Mallory's reached the pane"
    );
    assert!(sandbox.has_session("webapp"));
    let to_mallory: Vec<_> = api.sent_messages()[before..]
        .iter()
        .filter(|m| m.chat_id == MALLORY)
        .map(|m| m.visible.clone())
        .collect();
    assert_eq!(
        to_mallory,
        [
            "This bot is private. Your Telegram user id is 6666.",
            "That pairing code is not right. Check the code printed in the terminal where tgmux runs."
        ],
        "only the /start line and the wrong code"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_callbacks_are_answered_without_harm() {
    let (api, _sandbox, _setup, bot) = recording_bot().await;
    let started = ask(&api, ALICE, "/new webapp", |m| {
        m.text.contains("started in")
    })
    .await;
    for data in [
        "",
        "garbage",
        "1:s:zzzz",
        "9:s:00000000000000000000000000000000",
        "1:a:x:y:z",
        &"1".repeat(64),
    ] {
        let id = api.tap(ALICE, started.message_id, data);
        let answer = api.wait_for_callback_answer(&id, WAIT).await;
        assert!(answer.show_alert, "{data:?}: {answer:?}");
    }
    // Still alive and answering.
    ask(&api, ALICE, "/ls", |m| m.visible.contains("webapp")).await;
    assert!(!bot.log().contains("panicked"), "{}", bot.log());
}

#[tokio::test(flavor = "multi_thread")]
async fn restart_reports_live_sessions_and_keeps_working() {
    let (api, sandbox, setup, bot) = recording_bot().await;
    ask(&api, ALICE, "/new webapp", |m| {
        m.text.contains("started in")
    })
    .await;
    assert!(bot.stop().success(), "a clean exit on SIGTERM");

    let (_bot, hello) = BotProcess::start_ready(&api, &sandbox, &setup).await;
    assert!(
        hello.visible.contains("1 live: webapp"),
        "{}",
        hello.visible
    );
    ask(&api, ALICE, "/send webapp still here", |m| {
        m.visible.contains("sent to")
    })
    .await;
    assert_eq!(typed(&sandbox, 1), vec!["still here".to_owned()]);
}

/// Replies that pile up go at once, up to ten in any second to a chat (the
/// start-up message counts too), and the rest as soon as a second allows.
#[tokio::test(flavor = "multi_thread")]
async fn piled_up_replies_go_at_once_up_to_ten_a_second() {
    let (api, _sandbox, _setup, _bot) = recording_bot().await;
    for _ in 0..12 {
        api.send_text(ALICE, "/ls");
    }
    let sent = |c: &support::botapi::Call| {
        c.method == "sendMessage" && c.error.is_none() && c.body["chat_id"] == ALICE
    };
    wait_until(WAIT, "the twelve replies", || {
        api.calls().iter().filter(|c| sent(c)).count() == 13
    });
    let at: Vec<Instant> = api
        .calls()
        .iter()
        .filter(|c| sent(c))
        .map(|c| c.at)
        .collect();
    // Counted when the bot sends, seen when the server receives: a trip
    // quicker than the one ten messages before shortens the span a little.
    let trip = Duration::from_millis(50);
    for i in 10..at.len() {
        let span = at[i] - at[i - 10];
        assert!(
            span >= Duration::from_secs(1) - trip,
            "messages {} to {i} went within {span:?}",
            i - 10
        );
    }
    // Paced in steps of 250 ms (teloxide's Throttle), ten take 2.25 s or more.
    let ten = at[10] - at[1];
    assert!(ten < Duration::from_secs(2), "ten replies took {ten:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn rate_limits_and_dropped_connections_are_waited_out() {
    let (api, _sandbox, _setup, _bot) = recording_bot().await;
    api.fail_next("sendMessage", 1, Fault::RetryAfter(1));
    let list = ask(&api, ALICE, "/ls", |_| true).await;
    assert!(list.visible.contains("No sessions"), "{}", list.visible);
    let refused = api
        .calls()
        .iter()
        .filter(|c| c.method == "sendMessage" && c.error.is_some())
        .count();
    assert_eq!(refused, 1, "the 429 happened and the message came after it");

    api.fail_next("sendMessage", 2, Fault::Drop);
    let list = ask(&api, ALICE, "/ls", |_| true).await;
    assert!(list.visible.contains("No sessions"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_bot_on_the_same_data_refuses_to_start() {
    let (api, sandbox, setup, _bot) = recording_bot().await;
    let second = BotProcess::start(&api, &sandbox, &setup);
    let (status, log) = second.wait_exit(WAIT);
    assert!(!status.success());
    assert!(log.contains("another tgmux (pid"), "{log}");
}

#[tokio::test(flavor = "multi_thread")]
async fn with_nobody_allowed_a_pairing_code_is_printed_once() {
    let api = BotApi::start().await;
    let sandbox = TmuxSandbox::new();
    let mut setup = BotSetup::new(&sandbox, "sh");
    setup.allowed = String::new();
    let bot = BotProcess::start(&api, &sandbox, &setup);
    let mut code = String::new();
    wait_until(WAIT, "the pairing code on the terminal", || {
        code = bot
            .log()
            .lines()
            .find_map(|l| {
                l.trim()
                    .strip_prefix("To use the bot from your phone, send it:  /pair ")
            })
            .unwrap_or_default()
            .to_owned();
        !code.is_empty()
    });
    api.wait_for_call("getUpdates", WAIT, |_| true).await;

    let wrong = ask(&api, ALICE, "/pair WRONGCODE", |_| true).await;
    assert!(wrong.visible.contains("not right"), "{}", wrong.visible);
    api.send_text(ALICE, "/pair WRONGAGAIN");
    api.send_text(ALICE, "/ls");
    let welcome = ask(&api, ALICE, &format!("/pair {code}"), |_| true).await;
    assert!(welcome.visible.contains("Paired"), "{}", welcome.visible);
    assert_eq!(
        api.sent_messages()
            .iter()
            .filter(|m| m.chat_id == ALICE)
            .count(),
        2,
        "one reply to the wrong codes, none to the /ls before pairing"
    );
    ask(&api, ALICE, "/ls", |m| m.visible.contains("No sessions")).await;
    // The code works once.
    let reused = ask(&api, MALLORY, &format!("/pair {code}"), |_| true).await;
    assert!(reused.visible.contains("not right"), "{}", reused.visible);
    let start = ask(&api, MALLORY, "/start", |_| true).await;
    assert!(
        start.visible.contains("This bot is private"),
        "Mallory is still a stranger: {}",
        start.visible
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_configuration_names_the_key() {
    let api = BotApi::start().await;
    let sandbox = TmuxSandbox::new();
    let mut setup = BotSetup::new(&sandbox, "sh");
    setup.allowed = "12,bob".into();
    let (status, log) = BotProcess::start(&api, &sandbox, &setup).wait_exit(WAIT);
    assert!(!status.success());
    assert!(
        log.contains("TGMUX_ALLOWED_USERS is invalid: `bob`"),
        "{log}"
    );
    assert!(!log.contains(api.token()), "the token is never logged");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_notification_survives_network_errors() {
    let api = BotApi::start().await;
    let sandbox = TmuxSandbox::new();
    let setup = BotSetup::new(&sandbox, "sh");
    api.fail_next("sendMessage", 2, Fault::Drop);
    api.fail_next("sendMessage", 1, Fault::RetryAfter(1));
    let (_bot, _) = BotProcess::start_ready(&api, &sandbox, &setup).await;
    let failed = api
        .calls()
        .iter()
        .filter(|c| c.method == "sendMessage" && c.error.is_some())
        .count();
    assert_eq!(failed, 3, "{}", api.dump());
}

#[tokio::test(flavor = "multi_thread")]
async fn sessions_inherit_the_environment_but_not_the_token() {
    let api = BotApi::start().await;
    let sandbox = TmuxSandbox::new();
    let out = sandbox.path("env.txt");
    let script = format!(
        "printf '%s|%s|%s\\n' \"${{TELEGRAM_BOT_TOKEN:-none}}\" \"$TGMUX_PROBE\" \"$TERM\" > {}; exec cat",
        sh_quote(&out)
    );
    let mut setup = BotSetup::new(&sandbox, format!("sh -c {}", sh_quote(&script)));
    setup.env = vec![
        ("TGMUX_PROBE".into(), "from the bot".into()),
        ("TERM".into(), "bot-terminal".into()),
    ];
    let (_bot, _) = BotProcess::start_ready(&api, &sandbox, &setup).await;
    ask(&api, ALICE, "/new webapp", |m| {
        m.text.contains("started in")
    })
    .await;
    let line = support::wait_for_lines(&out, 1).remove(0);
    let fields: Vec<&str> = line.split('|').collect();
    assert_eq!(fields[0], "none", "the token is withheld");
    assert_eq!(fields[1], "from the bot");
    assert_ne!(fields[2], "bot-terminal", "tmux sets TERM for the pane");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_agent_is_reported_with_what_the_shell_said() {
    let api = BotApi::start().await;
    let sandbox = TmuxSandbox::new();
    let setup = BotSetup::new(&sandbox, "no-such-agent-xyz --flag");
    let (_bot, _) = BotProcess::start_ready(&api, &sandbox, &setup).await;
    ask(&api, ALICE, "/new webapp", |m| {
        m.text.contains("started in")
    })
    .await;
    let stopped = api
        .wait_for_message(WAIT, |m| m.text.contains("stopped ("))
        .await;
    assert!(
        stopped.visible.contains("webapp stopped (exit 127)"),
        "{}",
        stopped.visible
    );
    assert!(stopped.visible.contains("not found"), "{}", stopped.visible);
}
