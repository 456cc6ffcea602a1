//! End to end: pending decisions. The real `tgmux run` binary against the
//! loopback Bot API and a throw-away tmux server, with fake agents that draw
//! a prompt and log what they were answered (tests/support/agents).
//!
//! Every step waits on an event (a message, an edit, a tap's answer, a line
//! in the agent's log). Where a test proves that keys were NOT sent, it does
//! so without sleeping: it answers the prompt properly afterwards and checks
//! that the log shows that answer alone (stray keys would have answered or
//! been typed first). After a restart, tests wait for the bot's own named
//! events (`watcher: first look done`, `notifier: caught up`) in its log.

mod support;

use std::path::PathBuf;

use support::bot::{ALICE, BotProcess, BotSetup, MALLORY, WAIT, ask, tap};
use support::botapi::{BotApi, SentMessage};
use support::tmux::TmuxSandbox;
use support::{agent, sh_quote, wait_for};

/// A running bot whose agent is `script` logging to `answers.log`.
struct Rig {
    api: BotApi,
    sandbox: TmuxSandbox,
    setup: BotSetup,
    bot: Option<BotProcess>,
    log: PathBuf,
}

impl Rig {
    /// Starts the bot with `script` as its agent, given `arg` or else the
    /// path of the answer log, and waits for its start-up message.
    async fn start(script: &str, arg: Option<&str>) -> Rig {
        let api = BotApi::start().await;
        let sandbox = TmuxSandbox::new();
        let log = sandbox.path("answers.log");
        let arg = arg.map_or_else(|| sh_quote(&log), sh_quote);
        let setup = BotSetup::new(&sandbox, format!("{} {arg}", sh_quote(agent(script))));
        let (bot, _) = BotProcess::start_ready(&api, &sandbox, &setup).await;
        Rig {
            api,
            sandbox,
            setup,
            bot: Some(bot),
            log,
        }
    }

    /// A bot running `ask.sh`.
    async fn ask() -> Rig {
        Rig::start("ask.sh", None).await
    }

    /// Stops the bot with SIGTERM and starts it again on the same data; waits
    /// for the new start-up message. Returns the highest message id before it.
    async fn restart(&mut self) -> i32 {
        let status = self.bot.take().expect("running").stop();
        assert!(status.success(), "tgmux exited with {status}");
        let mark = last_id(&self.api);
        let (bot, _) = BotProcess::start_ready(&self.api, &self.sandbox, &self.setup).await;
        self.bot = Some(bot);
        mark
    }

    /// `/new webapp`, then the decision message the agent's prompt brings.
    async fn new_decision(&self) -> SentMessage {
        ask(&self.api, ALICE, "/new webapp", |m| {
            m.text.contains("started")
        })
        .await;
        self.decision_after(0).await
    }

    /// The first decision message to Alice with an id above `mark`.
    async fn decision_after(&self, mark: i32) -> SentMessage {
        self.api
            .wait_for_message(WAIT, |m| {
                m.chat_id == ALICE && m.message_id > mark && is_decision(m)
            })
            .await
    }

    /// Waits for a line the bot logs when it reaches a named point.
    async fn wait_for_log(&self, event: &str) {
        let bot = self.bot.as_ref().expect("running");
        wait_for(event, || bot.log().contains(event).then_some(())).await;
    }

    /// What the agent logged so far.
    fn answers(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until the agent's log satisfies `pred`; returns it.
    async fn wait_for_answers(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        wait_for(what, || {
            let log = self.answers();
            pred(&log).then_some(log)
        })
        .await
    }

    /// Presses keys in the session's pane directly, as someone at the terminal.
    fn keys_in_pane(&self, keys: &[&str]) {
        self.sandbox.keys("webapp", keys);
    }

    fn pane(&self) -> String {
        self.sandbox.pane("webapp")
    }

    /// Shows that nothing stray reached ask.sh after its prompt was answered:
    /// a line typed at its idle prompt is logged exactly as typed.
    async fn typed_line_arrives_alone(&self) -> String {
        self.keys_in_pane(&["-l", "end"]);
        self.keys_in_pane(&["Enter"]);
        self.wait_for_answers("the typed line", |log| log.contains("line "))
            .await
    }
}

fn is_decision(m: &SentMessage) -> bool {
    m.text.contains("is waiting for you")
}

fn last_id(api: &BotApi) -> i32 {
    api.sent_messages()
        .iter()
        .map(|m| m.message_id)
        .max()
        .unwrap_or(0)
}

fn labels(m: &SentMessage) -> Vec<String> {
    m.buttons().into_iter().map(|(text, _)| text).collect()
}

/// The callback data of the button whose text contains `label`.
fn data_of(m: &SentMessage, label: &str) -> String {
    m.buttons()
        .into_iter()
        .find(|(text, _)| text.contains(label))
        .unwrap_or_else(|| panic!("no button {label:?} on {:?}", m.buttons()))
        .1
}

#[tokio::test(flavor = "multi_thread")]
async fn a_decision_arrives_with_one_button_per_option() {
    let rig = Rig::ask().await;
    let d = rig.new_decision().await;
    assert!(
        d.visible.contains("webapp is waiting for you"),
        "{}",
        d.visible
    );
    assert!(
        d.visible.contains("Do you want to proceed?"),
        "{}",
        d.visible
    );
    assert!(
        d.visible.contains("echo accepted > approved.txt"),
        "the context: {}",
        d.visible
    );
    assert_eq!(
        labels(&d),
        [
            "⭐ Yes",
            "Yes, and don't ask again for echo commands in this folder",
            "No, and tell Claude what to do differently",
            "👁 Peek",
        ]
    );
    let kinds: Vec<String> = d
        .buttons()
        .into_iter()
        .map(|(_, data)| data.split(':').take(2).collect::<Vec<_>>().join(":"))
        .collect();
    assert_eq!(kinds, ["2:a", "2:a", "2:a", "2:p"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tap_answers_the_prompt_and_the_message_says_so() {
    let rig = Rig::ask().await;
    let d = rig.new_decision().await;
    let answer = tap(&rig.api, ALICE, d.message_id, "Yes, and don't ask").await;
    assert_eq!(
        answer.text.as_deref(),
        Some("Sent: Yes, and don't ask again for echo commands in this folder")
    );
    assert!(!answer.show_alert);
    rig.wait_for_answers("the agent's answer", |log| !log.is_empty())
        .await;
    assert_eq!(rig.answers(), "chose a 2\n");
    let edited = rig
        .api
        .wait_for_edit(d.message_id, WAIT, |m| m.buttons().is_empty())
        .await;
    assert!(
        edited.visible.contains("Do you want to proceed?")
            && edited.visible.contains("→ Yes, and don't ask again")
            && edited.visible.contains("by User1111"),
        "{}",
        edited.visible
    );
    // Settled twice, on the tap and when the prompt left the screen, and
    // edited once: the second settle finds nothing left to edit.
    let bot = rig.bot.as_ref().expect("running");
    wait_for("the decision settled twice", || {
        (bot.log().matches("outbox: decision 1 of").count() >= 2).then_some(())
    })
    .await;
    let edits = rig
        .api
        .calls()
        .into_iter()
        .filter(|c| c.method == "editMessageText" && c.body["message_id"] == d.message_id)
        .count();
    assert_eq!(edits, 1, "{}", rig.api.dump());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stale_tap_after_the_prompt_changed_sends_nothing() {
    let rig = Rig::ask().await;
    let old = rig.new_decision().await;
    let old_yes = data_of(&old, "Yes");
    rig.keys_in_pane(&["r"]);
    let new = rig.decision_after(old.message_id).await;
    assert!(
        new.visible
            .contains("Do you want to make this edit to main.rs?"),
        "{}",
        new.visible
    );

    // The old message says what became of it...
    rig.api
        .wait_for_edit(old.message_id, WAIT, |m| {
            m.visible.contains("replaced by a new question") && m.buttons().is_empty()
        })
        .await;
    // ...but a phone may still show the old buttons.
    let id = rig.api.tap(ALICE, old.message_id, &old_yes);
    let answer = rig.api.wait_for_callback_answer(&id, WAIT).await;
    assert_eq!(
        answer.text.as_deref(),
        Some("This prompt is no longer open; nothing was sent."),
        "{answer:?}"
    );
    assert_eq!(rig.answers(), "");
    assert!(
        rig.api
            .message(old.message_id)
            .unwrap()
            .buttons()
            .is_empty()
    );

    // Had the stale tap typed `1`, prompt b would have been answered with it.
    tap(&rig.api, ALICE, new.message_id, "No").await;
    rig.wait_for_answers("the answer to prompt b", |log| !log.is_empty())
        .await;
    assert_eq!(rig.answers(), "chose b 2\n");
}

#[tokio::test(flavor = "multi_thread")]
async fn two_quick_taps_give_one_answer() {
    let rig = Rig::ask().await;
    let d = rig.new_decision().await;
    let first = rig
        .api
        .tap_button(ALICE, d.message_id, "Yes, and don't ask");
    let second = rig
        .api
        .tap_button(ALICE, d.message_id, "Yes, and don't ask");
    let first = rig.api.wait_for_callback_answer(&first, WAIT).await;
    let second = rig.api.wait_for_callback_answer(&second, WAIT).await;
    let sent = "Sent: Yes, and don't ask again for echo commands in this folder";
    let texts = [first.text, second.text].map(Option::unwrap_or_default);
    let (sent_by, other) = match texts.iter().position(|t| t == sent) {
        Some(i) => (i, &texts[1 - i]),
        None => panic!("no tap sent the answer: {texts:?}"),
    };
    // The other tap finds the decision answered, or already closed when the
    // prompt left the screen first: either way it sends nothing.
    assert!(
        other
            == "Already answered: Yes, and don't ask again for echo commands in this folder, by User1111"
            || other == "This prompt is no longer open; nothing was sent.",
        "tap {sent_by} sent; the other said {other:?}"
    );
    // A second `2` would show at the start of the next line typed.
    let log = rig.typed_line_arrives_alone().await;
    assert_eq!(log, "chose a 2\nline end\n");
    let edited = rig
        .api
        .wait_for_edit(d.message_id, WAIT, |m| m.buttons().is_empty())
        .await;
    assert!(
        edited.visible.contains("by User1111"),
        "a late tap must not undo the answer: {}",
        edited.visible
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_answer_in_the_terminal_updates_the_phone() {
    let rig = Rig::ask().await;
    let d = rig.new_decision().await;
    rig.keys_in_pane(&["1"]);
    let edited = rig
        .api
        .wait_for_edit(d.message_id, WAIT, |m| {
            m.visible.contains("answered in the terminal")
        })
        .await;
    assert!(edited.buttons().is_empty(), "{:?}", edited.buttons());
    assert!(edited.visible.contains("Do you want to proceed?"));
    assert_eq!(rig.answers(), "chose a 1\n");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_agent_that_exits_is_reported_with_its_status() {
    let rig = Rig::start("exit.sh", Some("3")).await;
    ask(&rig.api, ALICE, "/new webapp", |m| {
        m.text.contains("started")
    })
    .await;
    wait_for("exit.sh to say goodbye", || {
        rig.pane().contains("exiting with 3").then_some(())
    })
    .await;
    rig.keys_in_pane(&["Enter"]);
    let stopped = rig
        .api
        .wait_for_message(WAIT, |m| m.text.contains("stopped ("))
        .await;
    assert!(
        stopped.visible.contains("webapp stopped (exit 3)"),
        "{}",
        stopped.visible
    );
    assert!(
        stopped.visible.contains("exiting with 3"),
        "the last lines: {}",
        stopped.visible
    );
    assert!(
        !stopped.visible.contains("Pane is dead"),
        "tmux's banner is not the agent's output: {}",
        stopped.visible
    );
    let labels = labels(&stopped);
    assert!(
        labels.iter().any(|l| l.contains("Peek")) && labels.iter().any(|l| l.contains("Resume")),
        "{labels:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn after_a_restart_the_open_decision_keeps_its_message_and_a_tap_edits_it() {
    let mut rig = Rig::ask().await;
    let before = rig.new_decision().await;
    let mark = rig.restart().await;
    rig.wait_for_log("watcher: first look done").await;
    rig.wait_for_log("notifier: caught up").await;
    let pushed: Vec<i32> = rig
        .api
        .sent_messages()
        .iter()
        .filter(|m| m.message_id > mark && is_decision(m))
        .map(|m| m.message_id)
        .collect();
    assert_eq!(
        pushed,
        [0; 0],
        "the phone already shows it: {}",
        rig.api.dump()
    );

    // The button the phone still shows works, and its message is edited.
    tap(&rig.api, ALICE, before.message_id, "⭐ Yes").await;
    rig.wait_for_answers("the answer", |log| !log.is_empty())
        .await;
    assert_eq!(rig.answers(), "chose a 1\n");
    rig.api
        .wait_for_edit(before.message_id, WAIT, |m| {
            m.buttons().is_empty() && m.visible.contains("→ Yes, by User1111")
        })
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_decision_answered_while_the_bot_was_down_loses_its_buttons() {
    let mut rig = Rig::ask().await;
    let before = rig.new_decision().await;
    let status = rig.bot.take().expect("running").stop();
    assert!(status.success());
    rig.keys_in_pane(&["1"]);
    rig.wait_for_answers("the answer at the terminal", |log| !log.is_empty())
        .await;
    let (bot, _) = BotProcess::start_ready(&rig.api, &rig.sandbox, &rig.setup).await;
    rig.bot = Some(bot);
    rig.api
        .wait_for_edit(before.message_id, WAIT, |m| {
            m.buttons().is_empty() && m.visible.contains("answered in the terminal")
        })
        .await;
    assert_eq!(rig.answers(), "chose a 1\n");
}

// ---- A button answers only the prompt it was sent for ---------------------------

/// The decision for `again.sh`'s prompt whose diff line reads `body`, sent
/// after message `mark`.
async fn notes_decision(rig: &Rig, mark: i32, body: &str) -> SentMessage {
    rig.api
        .wait_for_message(WAIT, |m| {
            m.chat_id == ALICE && m.message_id > mark && is_decision(m) && m.visible.contains(body)
        })
        .await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_changed_diff_under_the_same_question_is_not_approved_by_the_old_button() {
    let rig = Rig::start("again.sh", None).await;
    let old = rig.new_decision().await;
    assert!(
        old.visible.contains("Do you want to create notes.md?") && old.visible.contains("+ hello")
    );
    let old_yes = data_of(&old, "Yes");
    rig.keys_in_pane(&["d"]);
    wait_for("the changed diff on the screen", || {
        rig.pane().contains("changed body").then_some(())
    })
    .await;
    let id = rig.api.tap(ALICE, old.message_id, &old_yes);
    let answer = rig.api.wait_for_callback_answer(&id, WAIT).await;
    assert_eq!(
        answer.text.as_deref(),
        Some("This prompt is no longer open; nothing was sent.")
    );
    // The changed prompt reaches the phone as a decision of its own.
    let new = notes_decision(&rig, old.message_id, "changed body").await;
    tap(&rig.api, ALICE, new.message_id, "No").await;
    rig.wait_for_answers("the answer to the changed prompt", |log| {
        log.contains("key 2")
    })
    .await;
    assert_eq!(rig.answers(), "key d\nkey 2\n", "the old Yes sent nothing");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_old_button_never_answers_a_later_prompt_that_reads_the_same() {
    let rig = Rig::start("again.sh", None).await;
    let first = rig.new_decision().await;
    let first_yes = data_of(&first, "Yes");
    tap(&rig.api, ALICE, first.message_id, "⭐ Yes").await;
    let second = notes_decision(&rig, first.message_id, "+ hello").await;
    assert_eq!(
        second.text, first.text,
        "the same question, context and options"
    );
    assert_ne!(data_of(&second, "Yes"), first_yes, "but another decision");

    // A phone whose edit failed still shows the first message's buttons.
    let id = rig.api.tap(ALICE, first.message_id, &first_yes);
    let answer = rig.api.wait_for_callback_answer(&id, WAIT).await;
    assert_eq!(
        answer.text.as_deref(),
        Some("This prompt is no longer open; nothing was sent."),
        "{answer:?}"
    );
    tap(&rig.api, ALICE, second.message_id, "No").await;
    rig.wait_for_answers("the answer to the second prompt", |log| {
        log.contains("key 2")
    })
    .await;
    assert_eq!(rig.answers(), "key enter\nkey 2\n", "no second Enter");
}

#[tokio::test(flavor = "multi_thread")]
async fn stop_then_resume_pushes_the_new_prompt_and_the_old_button_sends_nothing() {
    let rig = Rig::start("again.sh", None).await;
    let old = rig.new_decision().await;
    let old_yes = data_of(&old, "Yes");
    ask(&rig.api, ALICE, "/stop webapp", |m| {
        m.visible.contains("stopped")
    })
    .await;
    rig.api
        .wait_for_edit(old.message_id, WAIT, |m| {
            m.buttons().is_empty() && m.visible.contains("the session was stopped")
        })
        .await;
    // The resumed agent's prompt may reach the phone before the reply.
    let mark = last_id(&rig.api);
    ask(&rig.api, ALICE, "/resume webapp", |m| {
        m.visible.contains("running again")
    })
    .await;
    let new = notes_decision(&rig, mark, "+ hello").await;
    assert_eq!(new.text, old.text, "the resumed agent asks the same");

    let id = rig.api.tap(ALICE, old.message_id, &old_yes);
    let answer = rig.api.wait_for_callback_answer(&id, WAIT).await;
    assert_eq!(
        answer.text.as_deref(),
        Some("This prompt is no longer open; nothing was sent.")
    );
    tap(&rig.api, ALICE, new.message_id, "No").await;
    rig.wait_for_answers("the answer to the resumed prompt", |log| {
        log.contains("key 2")
    })
    .await;
    assert_eq!(rig.answers(), "key 2\n", "the old button sent nothing");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cursor_menu_is_answered_with_arrow_keys() {
    let rig = Rig::start("pick.sh", None).await;
    let d = rig.new_decision().await;
    assert!(
        d.visible
            .contains("Is this a project you created or one you trust?"),
        "{}",
        d.visible
    );
    assert_eq!(
        labels(&d),
        [
            "⭐ No, exit",
            "Yes, I trust this folder",
            "Yes, and remember this choice",
            "👁 Peek",
        ]
    );
    tap(&rig.api, ALICE, d.message_id, "remember").await;
    let log = rig
        .wait_for_answers("the choice", |log| !log.is_empty())
        .await;
    assert_eq!(log, "chose Yes, and remember this choice\n");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_option_that_wants_an_explanation_asks_for_a_reply() {
    let rig = Rig::ask().await;
    let d = rig.new_decision().await;
    tap(&rig.api, ALICE, d.message_id, "No, and tell Claude").await;
    let prompt = rig
        .api
        .wait_for_message(WAIT, |m| m.text.contains("reply to this message"))
        .await;
    assert!(
        prompt.visible.starts_with("✍️ webapp"),
        "{}",
        prompt.visible
    );
    let call = rig
        .api
        .wait_for_call("sendMessage", WAIT, |c| {
            c.body["text"]
                .as_str()
                .is_some_and(|t| t.contains("reply to this message"))
        })
        .await;
    assert_eq!(
        call.body["reply_markup"]["force_reply"],
        serde_json::json!(true),
        "{}",
        call.body
    );
    assert_eq!(rig.answers(), "chose a 3\n");

    rig.api.reply_text(
        ALICE,
        "write it to a temp file; then move it",
        prompt.message_id,
    );
    let log = rig
        .wait_for_answers("the reply", |log| log.contains("reply "))
        .await;
    assert_eq!(
        log,
        "chose a 3\nreply write it to a temp file; then move it\n"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_strangers_tap_sends_no_keys() {
    let rig = Rig::ask().await;
    let d = rig.new_decision().await;
    let id = rig
        .api
        .tap_button(MALLORY, d.message_id, "Yes, and don't ask");
    let answer = rig.api.wait_for_callback_answer(&id, WAIT).await;
    assert_eq!(answer.text, None, "{answer:?}");
    assert_eq!(labels(&rig.api.message(d.message_id).unwrap()).len(), 4);
    assert!(
        rig.bot
            .as_ref()
            .unwrap()
            .log()
            .contains("refused a button tap")
    );

    // Had Mallory's tap typed `2`, Alice's `1` would find no prompt.
    tap(&rig.api, ALICE, d.message_id, "⭐ Yes").await;
    let log = rig
        .wait_for_answers("Alice's answer", |log| !log.is_empty())
        .await;
    assert_eq!(log, "chose a 1\n");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_agent_that_dies_with_a_question_open_retires_its_buttons() {
    let rig = Rig::ask().await;
    let decision = rig.new_decision().await;
    rig.keys_in_pane(&["C-c"]);
    let stopped = rig
        .api
        .wait_for_message(WAIT, |m| m.text.contains("stopped ("))
        .await;
    assert!(
        stopped.visible.contains("webapp stopped"),
        "{}",
        stopped.visible
    );
    rig.api
        .wait_for_edit(decision.message_id, WAIT, |m| {
            m.visible.contains("the agent exited") && m.buttons().is_empty()
        })
        .await;
    assert_eq!(rig.answers(), "");
}
