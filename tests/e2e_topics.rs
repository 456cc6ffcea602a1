//! End to end: the sessions group. The real `tgmux run` binary with
//! `TGMUX_CHAT` set to a forum supergroup of the loopback Bot API, and fake
//! agents in a throw-away tmux server: a topic per session, messages routed
//! into it, text and commands in a topic acting on its session.

mod support;

use support::bot::{ALICE, BotProcess, BotSetup, MALLORY, WAIT, tap};
use support::botapi::{BotApi, GroupKind, Media, Place, SentMessage, TestFile};
use support::tmux::TmuxSandbox;
use support::transcriber::{Answer, Transcriber};
use support::{agent, sh_quote, stamped, wait_for, wait_for_lines, wait_until};

/// What the transcription stand-in hears in every voice note here.
const TRANSCRIPT: &str = r#"run "make test"; then $(uname) — ça va ✓ <i>&lt;"#;

fn voice() -> Media {
    Media::Voice {
        file: TestFile::new(&b"OggS\0topic-voice"[..]),
        duration: 2,
    }
}

fn document(name: &str, bytes: &[u8]) -> Media {
    Media::Document {
        file: TestFile::new(bytes),
        file_name: name.into(),
        mime_type: "application/octet-stream".into(),
    }
}

/// A running bot whose sessions group is a forum Alice owns and Mallory is in.
struct Group {
    api: BotApi,
    sandbox: TmuxSandbox,
    setup: BotSetup,
    bot: Option<BotProcess>,
    chat: i64,
}

impl Group {
    /// Starts the bot with agent command line `agent` (run in the session's
    /// folder) and `env` added, and waits for its start-up report, which
    /// goes to General.
    async fn start(agent: String, env: Vec<(String, String)>) -> Group {
        let api = BotApi::start().await;
        let sandbox = TmuxSandbox::new();
        let chat = api.create_group(GroupKind::Forum, "Agents", &[ALICE, MALLORY]);
        let mut setup = BotSetup::new(&sandbox, agent);
        std::fs::create_dir_all(setup.root.join("api")).unwrap();
        setup.env = env;
        setup.env.push(("TGMUX_CHAT".into(), chat.to_string()));
        let (bot, hello) = BotProcess::start_ready(&api, &sandbox, &setup).await;
        assert_eq!((hello.chat_id, hello.thread_id), (chat, None));
        Group {
            api,
            sandbox,
            setup,
            bot: Some(bot),
            chat,
        }
    }

    /// A bot whose agent records every line typed into it in `typed.txt` in
    /// its own folder, with `env` added.
    async fn recording_with(env: Vec<(String, String)>) -> Group {
        Group::start(format!("{} typed.txt", sh_quote(agent("record.sh"))), env).await
    }

    async fn recording() -> Group {
        Group::recording_with(Vec::new()).await
    }

    /// Sends `text` as `user` in `place` and waits for the first message of
    /// the bot after it that `pred` accepts.
    async fn say(
        &self,
        place: Place,
        user: i64,
        text: &str,
        pred: impl Fn(&SentMessage) -> bool,
    ) -> SentMessage {
        let mark = self.api.send_text_in(place, user, text);
        self.api
            .wait_for_message(WAIT, |m| m.message_id > mark && pred(m))
            .await
    }

    /// `/new FOLDER` in General; the session's card, in its new topic, once
    /// the reply in General that follows it arrived too.
    async fn new_session(&self, folder: &str) -> SentMessage {
        let card = self
            .say(
                Place::Chat(self.chat),
                ALICE,
                &format!("/new {folder}"),
                |m| m.visible.contains(&format!("{folder} started in")),
            )
            .await;
        assert_eq!(card.chat_id, self.chat);
        let pointer = self
            .api
            .wait_for_message(WAIT, |m| {
                m.message_id > card.message_id && m.visible.contains(&format!("{folder} started:"))
            })
            .await;
        assert_eq!(
            (pointer.chat_id, pointer.thread_id, pointer.visible.as_str()),
            (
                self.chat,
                None,
                format!("🟢 {folder} started: its messages are in its topic.").as_str()
            )
        );
        card
    }

    /// The topic `message` is in.
    fn topic_of(message: &SentMessage) -> i32 {
        message.thread_id.expect("a message in a topic")
    }

    /// Waits for topic `thread` to be titled `title`.
    async fn wait_for_title(&self, thread: i32, title: &str) {
        let what = format!("topic {thread} to be titled {title:?}");
        wait_for(&what, || {
            let topic = self.api.topic(self.chat, thread)?;
            (topic.name == title).then_some(())
        })
        .await;
    }

    /// Sends `media` as Alice in topic `thread` and waits for the bot's
    /// first message after it.
    async fn send_media(&self, thread: i32, media: Media, caption: Option<&str>) -> SentMessage {
        let place = Place::Topic(self.chat, thread);
        let sent = self.api.send_media(place, ALICE, media, caption);
        self.api
            .wait_for_message(WAIT, |m| m.message_id > sent.message_id)
            .await
    }

    /// The lines typed into the session in folder `folder`, once there are `n`.
    fn typed(&self, folder: &str, n: usize) -> Vec<String> {
        wait_for_lines(&self.setup.root.join(folder).join("typed.txt"), n)
    }

    fn count_calls(&self, method: &str) -> usize {
        self.api
            .calls()
            .iter()
            .filter(|c| c.method == method && c.error.is_none())
            .count()
    }

    /// Waits for a line the bot logs when it reaches a named point.
    async fn wait_for_log(&self, line: &str) {
        let bot = self.bot.as_ref().expect("running");
        wait_for(line, || bot.log().contains(line).then_some(())).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn new_makes_a_topic_and_the_start_message_lands_in_it() {
    let group = Group::recording().await;
    let mark = group.api.sent_messages().len();
    let card = group.new_session("webapp").await;
    let thread = Group::topic_of(&card);
    let topic = group.api.topic(group.chat, thread).expect("the topic");
    assert_eq!(topic.name, "🟢 webapp");
    assert!(topic.by_bot && !topic.closed);
    assert_eq!(group.count_calls("createForumTopic"), 1);
    // The card keeps its buttons, the level's among them.
    let labels: Vec<String> = card.buttons().into_iter().map(|(t, _)| t).collect();
    assert_eq!(labels, ["👁 webapp", "⏹ Stop", "🔔 All"]);
    // Nothing went to a private chat.
    let private: Vec<_> = group.api.sent_messages()[mark..]
        .iter()
        .filter(|m| m.chat_id > 0)
        .map(|m| m.visible.clone())
        .collect();
    assert!(private.is_empty(), "{private:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_prompt_lands_in_its_topic_pinned_and_a_tap_answers_it() {
    let sandbox_log = "answers.log";
    let group = Group::start(
        format!("{} {sandbox_log}", sh_quote(agent("ask.sh"))),
        Vec::new(),
    )
    .await;
    let card = group.new_session("webapp").await;
    let thread = Group::topic_of(&card);
    let decision = group
        .api
        .wait_for_message(WAIT, |m| m.text.contains("is waiting for you"))
        .await;
    assert_eq!(
        (decision.chat_id, decision.thread_id),
        (group.chat, Some(thread))
    );
    wait_until(WAIT, "the decision to be pinned", || {
        group.api.pinned(group.chat) == [decision.message_id]
    });
    group.wait_for_title(thread, "❓ webapp").await;

    let answer = tap(&group.api, ALICE, decision.message_id, "Yes, and don't ask").await;
    assert_eq!(
        answer.text.as_deref(),
        Some("Sent: Yes, and don't ask again for echo commands in this folder")
    );
    let log = group.setup.root.join("webapp").join(sandbox_log);
    assert_eq!(wait_for_lines(&log, 1), ["chose a 2"]);
    wait_until(WAIT, "the decision to be unpinned", || {
        group.api.pinned(group.chat).is_empty()
    });
    let settled = group.api.message(decision.message_id).unwrap();
    assert!(settled.buttons().is_empty(), "{:?}", settled.buttons());
    // Back to work: the title follows, after the gap between edits.
    group.wait_for_title(thread, "🟢 webapp").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn text_in_a_topic_reaches_its_pane_byte_for_byte() {
    let group = Group::recording().await;
    let webapp = Group::topic_of(&group.new_session("webapp").await);
    let api = Group::topic_of(&group.new_session("api").await);
    assert_ne!(webapp, api);

    let texts = [
        r#"echo "quoted" 'single';"#,
        "$(rm -rf /) `uname` C-c Enter \\n",
        "  leading and trailing spaces  ",
        "héllo ✓ <b>&amp;</b>",
    ];
    for text in texts {
        let reply = group
            .say(Place::Topic(group.chat, webapp), ALICE, text, |m| {
                m.visible.contains("sent to")
            })
            .await;
        assert_eq!(reply.thread_id, Some(webapp));
        assert!(
            reply.visible.contains("sent to webapp"),
            "{}",
            reply.visible
        );
    }
    // `/send` without a name, in the other topic, goes to that session.
    let reply = group
        .say(
            Place::Topic(group.chat, api),
            ALICE,
            "/send to the api",
            |m| m.visible.contains("sent to"),
        )
        .await;
    assert_eq!(reply.thread_id, Some(api));
    assert!(reply.visible.contains("sent to api"), "{}", reply.visible);

    assert_eq!(group.typed("webapp", texts.len()), texts);
    assert_eq!(group.typed("api", 1), ["to the api"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn stop_in_a_topic_stops_that_session() {
    let group = Group::recording().await;
    let webapp = Group::topic_of(&group.new_session("webapp").await);
    let api = Group::topic_of(&group.new_session("api").await);

    let stopped = group
        .say(Place::Topic(group.chat, api), ALICE, "/stop", |m| {
            m.visible.contains("api")
        })
        .await;
    assert_eq!(stopped.thread_id, Some(api));
    assert!(stopped.visible.starts_with("⏹ api"), "{}", stopped.visible);
    wait_until(WAIT, "the api session to go", || {
        !group.sandbox.has_session("api")
    });
    assert!(group.sandbox.has_session("webapp"));
    group.wait_for_title(api, "⏹ api").await;
    assert_eq!(
        group.api.topic(group.chat, webapp).unwrap().name,
        "🟢 webapp"
    );

    // In General a name is needed.
    let refused = group
        .say(Place::Chat(group.chat), ALICE, "/stop", |_| true)
        .await;
    assert_eq!(refused.thread_id, None);
    assert!(
        refused.visible.contains("which session?"),
        "{}",
        refused.visible
    );
    assert!(group.sandbox.has_session("webapp"));

    // `/peek` in a topic shows that topic's session.
    let peek = group
        .say(Place::Topic(group.chat, webapp), ALICE, "/peek", |_| true)
        .await;
    assert_eq!(peek.thread_id, Some(webapp));
    assert!(peek.visible.contains("webapp"), "{}", peek.visible);
    assert!(peek.visible.contains("ready>"), "{}", peek.visible);
}

#[tokio::test(flavor = "multi_thread")]
async fn strangers_reach_no_pane_and_other_groups_hear_nothing() {
    let group = Group::recording().await;
    let thread = Group::topic_of(&group.new_session("webapp").await);
    let mark = group.api.sent_messages().len();
    group
        .api
        .send_text_in(Place::Topic(group.chat, thread), MALLORY, "rm -rf ~");
    group
        .api
        .send_text_in(Place::Topic(group.chat, thread), MALLORY, "/stop");
    let other = group
        .api
        .create_group(GroupKind::Forum, "Elsewhere", &[ALICE]);
    group.api.send_text_in(Place::Chat(other), ALICE, "/ls");
    group
        .say(Place::Topic(group.chat, thread), ALICE, "after", |m| {
            m.visible.contains("sent to webapp")
        })
        .await;
    // Updates are handled in order: Mallory's text came first, and typed nothing.
    assert_eq!(group.typed("webapp", 1), ["after"]);
    assert!(group.sandbox.has_session("webapp"));
    let since: Vec<(i64, Option<i32>, String)> = group.api.sent_messages()[mark..]
        .iter()
        .map(|m| (m.chat_id, m.thread_id, m.visible.clone()))
        .collect();
    assert_eq!(
        since,
        [(
            group.chat,
            Some(thread),
            "⌨\u{fe0f} sent to webapp".to_owned()
        )],
        "only Alice's text was answered"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_muted_session_tells_no_finished_turn_but_still_its_decision() {
    let group = Group::start(
        format!("{} answers.log", sh_quote(agent("steps.sh"))),
        Vec::new(),
    )
    .await;
    let card = group.new_session("webapp").await;
    let thread = Group::topic_of(&card);
    let keys = |key: &str| group.sandbox.keys("webapp", &[key]);
    let pane = || group.sandbox.pane("webapp");
    wait_until(WAIT, "the agent to be idle", || pane().contains("Done"));
    let turn = async |n: usize| {
        keys("w");
        let working = "watcher: webapp is working";
        wait_for(working, || {
            let log = group.bot.as_ref().unwrap().log();
            (log.matches(working).count() >= n).then_some(())
        })
        .await;
        keys("i");
    };

    // At level all, a finished turn is told in the topic.
    turn(1).await;
    let finished = group
        .api
        .wait_for_message(WAIT, |m| m.visible.contains("webapp finished its turn"))
        .await;
    assert_eq!(finished.thread_id, Some(thread));

    let muted = group
        .say(Place::Topic(group.chat, thread), ALICE, "/mute", |_| true)
        .await;
    assert_eq!(muted.thread_id, Some(thread));
    assert_eq!(
        muted.visible,
        "🟢 webapp 🔕 is muted: only decisions are sent."
    );
    turn(2).await;
    group
        .wait_for_log("webapp is at level Muted: not told")
        .await;
    keys("q");
    let decision = group
        .api
        .wait_for_message(WAIT, |m| m.text.contains("is waiting for you"))
        .await;
    assert_eq!(decision.thread_id, Some(thread));
    let told = group
        .api
        .sent_messages()
        .iter()
        .filter(|m| m.visible.contains("finished its turn"))
        .count();
    assert_eq!(told, 1, "the muted turn was not told");

    // The card's button moves through the levels.
    let answer = tap(&group.api, ALICE, card.message_id, "🔔").await;
    assert!(!answer.show_alert, "{:?}", answer.text);
    let level = group
        .api
        .wait_for_message(WAIT, |m| m.visible.contains("sends everything"))
        .await;
    assert_eq!(level.thread_id, Some(thread), "muted → all");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_restart_keeps_the_topics_and_a_deleted_one_is_made_again() {
    let mut group = Group::recording().await;
    let thread = Group::topic_of(&group.new_session("webapp").await);

    let status = group.bot.take().unwrap().stop();
    assert!(status.success());
    let (bot, hello) = BotProcess::start_ready(&group.api, &group.sandbox, &group.setup).await;
    group.bot = Some(bot);
    assert_eq!((hello.chat_id, hello.thread_id), (group.chat, None));
    assert!(
        hello.visible.contains("1 live: webapp"),
        "{}",
        hello.visible
    );

    let reply = group
        .say(Place::Topic(group.chat, thread), ALICE, "still here", |m| {
            m.visible.contains("sent to webapp")
        })
        .await;
    assert_eq!(reply.thread_id, Some(thread));
    assert_eq!(group.typed("webapp", 1), ["still here"]);
    assert_eq!(group.count_calls("createForumTopic"), 1, "the same topic");

    // Deleted by hand: the session's next news makes it again.
    group.api.delete_topic(group.chat, thread);
    group
        .say(Place::Chat(group.chat), ALICE, "/stop webapp", |m| {
            m.visible.starts_with("⏹ webapp")
        })
        .await;
    group
        .wait_for_log("was deleted; made again when next needed")
        .await;
    group
        .say(Place::Chat(group.chat), ALICE, "/resume webapp", |m| {
            m.visible.contains("webapp")
        })
        .await;
    let newest = || {
        let last = group
            .api
            .sent_messages()
            .iter()
            .map(|m| m.message_id)
            .max()?;
        (thread + 1..=last).find(|t| group.api.topic(group.chat, *t).is_some())
    };
    let again = wait_for("the topic made again", newest).await;
    group.wait_for_title(again, "🟢 webapp").await;
    assert_eq!(group.count_calls("createForumTopic"), 2);
    group
        .say(
            Place::Topic(group.chat, again),
            ALICE,
            "in the new topic",
            |m| m.visible.contains("sent to webapp"),
        )
        .await;
    assert_eq!(group.typed("webapp", 2), ["still here", "in the new topic"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_voice_note_and_a_file_in_a_topic_go_to_its_session_and_answers_stay_there() {
    let stand_in = Transcriber::start(Answer::Text(TRANSCRIPT.into())).await;
    let group = Group::recording_with(stand_in.env(10)).await;
    group.new_session("webapp").await;
    let api = Group::topic_of(&group.new_session("api").await);

    // Both sessions are live and the note replies to nothing: its topic
    // alone says which session it is for.
    let line = group.send_media(api, voice(), None).await;
    assert_eq!(
        (line.chat_id, line.thread_id, line.visible.as_str()),
        (group.chat, Some(api), "🎤 transcribing…")
    );
    let heard = format!("🎤 heard: {TRANSCRIPT}\n⌨️ sent to api");
    group
        .api
        .wait_for_edit(line.message_id, WAIT, |m| m.visible == heard)
        .await;
    assert_eq!(group.typed("api", 1), [TRANSCRIPT]);

    // A file lands in that session's inbox, and the agent is told.
    let bytes = b"%PDF-1.7\n\0\xff spec";
    let line = group
        .send_media(api, document("spec.pdf", bytes), Some("read this"))
        .await;
    assert_eq!(
        (line.thread_id, line.visible.as_str()),
        (Some(api), "📎 saving spec.pdf…")
    );
    let saved = group
        .api
        .wait_for_edit(line.message_id, WAIT, |m| m.visible.starts_with("📎 api"))
        .await;
    let names = group.setup.inbox("api");
    let [name] = names.as_slice() else {
        panic!("one file in the inbox: {names:?}");
    };
    assert!(stamped(name, "spec.pdf"), "{name}");
    let relative = format!(".tgmux/inbox/{name}");
    let folder = group.setup.root.join("api");
    assert_eq!(std::fs::read(folder.join(&relative)).unwrap(), bytes);
    assert_eq!(
        saved.visible,
        format!(
            "📎 api: saved {relative} ({} bytes) and told the agent.",
            bytes.len()
        )
    );
    assert_eq!(
        group.typed("api", 2),
        [
            TRANSCRIPT.to_owned(),
            format!("Look at {relative}: read this")
        ]
    );

    // `/get` in the topic needs no name, and the file comes back there.
    let got = group
        .say(
            Place::Topic(group.chat, api),
            ALICE,
            &format!("/get {relative}"),
            |_| true,
        )
        .await;
    let document = got.document.as_ref().expect("a document");
    assert_eq!(
        (
            got.thread_id,
            document.filename.as_str(),
            document.bytes.as_slice()
        ),
        (Some(api), name.as_str(), &bytes[..])
    );
    assert_eq!(
        got.visible,
        format!("📄 api: {relative} ({} bytes)", bytes.len())
    );

    // The other session got nothing.
    let webapp = group.setup.root.join("webapp");
    assert!(!webapp.join("typed.txt").exists());
    assert!(!webapp.join(".tgmux").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stopped_or_removed_sessions_topic_takes_no_voice_note_or_file() {
    let stand_in = Transcriber::start(Answer::Text(TRANSCRIPT.into())).await;
    let group = Group::recording_with(stand_in.env(10)).await;
    let webapp = Group::topic_of(&group.new_session("webapp").await);
    let api = Group::topic_of(&group.new_session("api").await);
    group
        .say(Place::Topic(group.chat, api), ALICE, "/stop", |m| {
            m.visible.starts_with("⏹ api")
        })
        .await;

    let stopped =
        "⏹ api is stopped: nothing was fetched or typed; /resume it here, then send it again.";
    let refused = group.send_media(api, voice(), None).await;
    assert_eq!(
        (refused.thread_id, refused.visible.as_str()),
        (Some(api), stopped)
    );
    let refused = group
        .send_media(api, document("notes.txt", b"notes"), None)
        .await;
    assert_eq!(
        (refused.thread_id, refused.visible.as_str()),
        (Some(api), stopped)
    );

    let confirm = group
        .say(Place::Topic(group.chat, api), ALICE, "/rm", |m| {
            !m.buttons().is_empty()
        })
        .await;
    tap(&group.api, ALICE, confirm.message_id, "Yes, remove").await;
    wait_until(WAIT, "the removed session's topic to close", || {
        group.api.topic(group.chat, api).is_some_and(|t| t.closed)
    });
    let refused = group.send_media(api, voice(), None).await;
    assert_eq!(
        (refused.thread_id, refused.visible.as_str()),
        (
            Some(api),
            "🗑 api is removed: nothing was fetched or typed; this topic takes nothing more."
        )
    );

    // Nothing was fetched, heard or typed, and the live session is untouched.
    let fetched = group
        .api
        .calls()
        .iter()
        .filter(|c| c.method == "getFile" || c.method == "downloadFile")
        .count();
    assert_eq!(fetched, 0);
    assert_eq!(stand_in.heard(), []);
    let folder = group.setup.root.join("api");
    assert!(!folder.join("typed.txt").exists());
    assert!(!folder.join(".tgmux").exists());
    assert!(group.sandbox.has_session("webapp"));
    assert_eq!(
        group.api.topic(group.chat, webapp).map(|t| t.closed),
        Some(false)
    );
}
