//! End to end: voice notes, photos and documents from the phone, and files
//! back with `/get`, through the real `tgmux run` binary, the loopback Bot
//! API, a throw-away tmux server and a loopback transcription stand-in.

mod support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use support::bot::{ALICE, BotProcess, BotSetup, MALLORY, WAIT, ask, tap};
use support::botapi::{BotApi, Fault, Media, PhotoSize, Place, SentMessage, TestFile};
use support::tmux::TmuxSandbox;
use support::transcriber::{Answer, Heard, KEY, MODEL, Transcriber};
use support::{agent, sh_quote, stamped, wait_for_lines};

/// What the stand-in hears in every voice note here: quotes, shell and
/// HTML specials and non-ASCII, to be typed byte for byte.
const TRANSCRIPT: &str = r#"Fix the "login" bug; don't run $(rm -rf ~) — café ✓ <b>&amp;"#;
/// The bytes of the voice note the phone sends.
const VOICE: &[u8] = b"OggS\0\x02voice-note-bytes\xff\xfe";

/// A bot whose sessions run `record.sh typed.txt` (each writes the lines
/// typed into it to `typed.txt` in its own folder), with `env` added.
async fn media_bot(env: Vec<(String, String)>) -> (BotApi, TmuxSandbox, BotSetup, BotProcess) {
    let api = BotApi::start().await;
    let sandbox = TmuxSandbox::new();
    let agent = format!("{} typed.txt", sh_quote(agent("record.sh")));
    let mut setup = BotSetup::new(&sandbox, agent);
    setup.env = env;
    let (bot, _) = BotProcess::start_ready(&api, &sandbox, &setup).await;
    (api, sandbox, setup, bot)
}

/// Starts session `name` in the folder of that name under the root.
async fn new_session(api: &BotApi, setup: &BotSetup, name: &str) -> SentMessage {
    std::fs::create_dir_all(setup.root.join(name)).unwrap();
    ask(api, ALICE, &format!("/new {name}"), |m| {
        m.text.contains("started in")
    })
    .await
}

fn voice() -> Media {
    Media::Voice {
        file: TestFile::new(VOICE),
        duration: 3,
    }
}

/// The lines session `name` was typed, once there are `n`.
fn typed(setup: &BotSetup, name: &str, n: usize) -> Vec<String> {
    wait_for_lines(&setup.root.join(name).join("typed.txt"), n)
}

/// The bot's one message about Alice's message `after`, once it says
/// something starting with `start` (when sent, or edited to say it).
async fn reply_after(api: &BotApi, after: i32, start: &str) -> SentMessage {
    let status = api
        .wait_for_message(WAIT, |m| m.chat_id == ALICE && m.message_id > after)
        .await;
    if status.visible.starts_with(start) {
        return status;
    }
    api.wait_for_edit(status.message_id, WAIT, |m| m.visible.starts_with(start))
        .await
}

/// How many calls of `method` the bot made.
fn calls(api: &BotApi, method: &str) -> usize {
    api.calls().iter().filter(|c| c.method == method).count()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_voice_note_reaches_the_session_it_is_for_byte_for_byte() {
    let stand_in = Transcriber::start(Answer::Text(TRANSCRIPT.into())).await;
    let (api, sandbox, setup, bot) = media_bot(stand_in.env(10)).await;
    let webapp = new_session(&api, &setup, "webapp").await;
    new_session(&api, &setup, "api").await;

    // A reply to a message about webapp is for webapp.
    let started = Instant::now();
    let sent = api.reply_media(ALICE, voice(), None, webapp.message_id);
    let heard = reply_after(&api, sent.message_id, "🎤 heard").await;
    let elapsed = started.elapsed();
    assert_eq!(
        heard.visible,
        format!("🎤 heard: {TRANSCRIPT}\n⌨️ sent to webapp")
    );
    assert_eq!(typed(&setup, "webapp", 1), [TRANSCRIPT]);
    assert!(
        sandbox.pane("webapp").contains(TRANSCRIPT),
        "the pane shows it"
    );
    let calls = api.calls();
    let call = |method: &str, text: &str| {
        let found = calls.iter().find(|c| {
            c.method == method && c.body["text"].as_str().is_some_and(|t| t.starts_with(text))
        });
        found
            .unwrap_or_else(|| panic!("no {method} {text}: {}", api.dump()))
            .at
    };
    let progress = call("sendMessage", "🎤 transcribing…");
    let shown = call("editMessageText", "🎤 heard");
    eprintln!(
        "voice note: {elapsed:?} from the phone to the transcript typed and shown \
         (Telegram's one message a second per chat included); {:?} from the \
         progress line to the transcript shown",
        shown - progress
    );
    assert_eq!(
        stand_in.heard(),
        [Heard {
            authorization: Some(format!("Bearer {KEY}")),
            model: Some(MODEL.into()),
            response_format: Some("json".into()),
            file_name: Some("voice.ogg".into()),
            file: VOICE.to_vec(),
        }]
    );

    // Two sessions active and no reply: buttons ask which.
    stand_in.answer(Answer::Text("second note".into()));
    let sent = api.send_media(Place::Private, ALICE, voice(), None);
    let which = reply_after(&api, sent.message_id, "🎤 heard").await;
    assert_eq!(
        which.visible,
        "🎤 heard: second note\nWhich session is it for?"
    );
    let buttons: Vec<String> = which.buttons().into_iter().map(|(t, _)| t).collect();
    assert_eq!(buttons, ["➡️ webapp", "➡️ api"]);
    let (_, to_api) = which.buttons().remove(1);
    let answer = tap(&api, ALICE, which.message_id, "api").await;
    assert_eq!(
        (answer.text.as_deref(), answer.show_alert),
        (Some("Sent to api"), false)
    );
    assert_eq!(typed(&setup, "api", 1), ["second note"]);
    let sent_to = "🎤 heard: second note\n⌨️ sent to api";
    api.wait_for_edit(which.message_id, WAIT, |m| m.visible == sent_to)
        .await;
    // It goes once: the same button tapped again finds nothing waiting.
    let id = api.tap(ALICE, which.message_id, &to_api);
    let again = api.wait_for_callback_answer(&id, WAIT).await;
    assert_eq!(
        (again.text.as_deref(), again.show_alert),
        (
            Some(
                "nothing waits on this message any more: it went already, or tgmux restarted since"
            ),
            true
        )
    );

    // One active session: it gets the note without being named.
    ask(&api, ALICE, "/stop api", |m| m.visible.contains("stopped")).await;
    stand_in.answer(Answer::Text("third note".into()));
    let sent = api.send_media(Place::Private, ALICE, voice(), None);
    let heard = reply_after(&api, sent.message_id, "🎤 heard").await;
    assert_eq!(heard.visible, "🎤 heard: third note\n⌨️ sent to webapp");
    assert_eq!(typed(&setup, "webapp", 2), [TRANSCRIPT, "third note"]);
    assert_eq!(
        support::read_lines(&setup.root.join("api/typed.txt")),
        ["second note"]
    );
    assert!(!bot.log().contains(KEY), "the key is never logged");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_photo_with_a_caption_lands_in_the_inbox_and_the_agent_gets_the_line() {
    let (api, _sandbox, setup, _bot) = media_bot(Vec::new()).await;
    new_session(&api, &setup, "webapp").await;
    let large = b"\xff\xd8\xff\xe0 large jpeg \0 bytes".to_vec();
    let photo = Media::Photo(vec![
        PhotoSize {
            file: TestFile::new(&b"small"[..]),
            width: 90,
            height: 60,
        },
        PhotoSize {
            file: TestFile::new(large.clone()),
            width: 1280,
            height: 853,
        },
    ]);
    let caption = "why is the button misaligned?";
    // A dropped connection does not lose the progress line: it is sent
    // again, then edited to say how it went.
    api.fail_next("sendMessage", 1, Fault::Drop);
    let sent = api.send_media(Place::Private, ALICE, photo, Some(caption));
    let line = api
        .wait_for_message(WAIT, |m| {
            m.chat_id == ALICE && m.message_id > sent.message_id
        })
        .await;
    assert_eq!(line.visible, "📎 saving photo.jpg…");
    let saved = api
        .wait_for_edit(line.message_id, WAIT, |m| {
            m.visible.starts_with("📎 webapp")
        })
        .await;
    let failed: Vec<_> = api
        .calls()
        .into_iter()
        .filter(|c| c.error.is_some())
        .map(|c| c.body["text"].clone())
        .collect();
    assert_eq!(failed, ["📎 saving <code>photo.jpg</code>…"]);

    let names = setup.inbox("webapp");
    let [name] = names.as_slice() else {
        panic!("one file in the inbox: {names:?}");
    };
    assert!(stamped(name, "photo.jpg"), "{name}");
    let folder = setup.root.join("webapp");
    assert_eq!(
        std::fs::read(folder.join(".tgmux/inbox").join(name)).unwrap(),
        large
    );
    assert_eq!(
        std::fs::read_to_string(folder.join(".tgmux/.gitignore")).unwrap(),
        "*\n"
    );
    assert_eq!(
        typed(&setup, "webapp", 1),
        [format!("Look at .tgmux/inbox/{name}: {caption}")]
    );
    assert_eq!(
        saved.visible,
        format!(
            "📎 webapp: saved .tgmux/inbox/{name} ({} bytes) and told the agent.",
            large.len()
        )
    );
    let downloads: Vec<_> = api
        .calls()
        .into_iter()
        .filter(|c| c.method == "downloadFile")
        .map(|c| c.body["file_path"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(downloads, ["photos/file_2.jpg"], "only the largest size");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_progress_line_survives_a_bad_gateway_and_is_edited_after() {
    let stand_in = Transcriber::start(Answer::Text("after the outage".into())).await;
    let (api, _sandbox, setup, _bot) = media_bot(stand_in.env(10)).await;
    new_session(&api, &setup, "webapp").await;
    api.fail_next("sendMessage", 1, Fault::BadGateway);
    let sent = api.send_media(Place::Private, ALICE, voice(), None);
    // teloxide waits 10 s before it reports a 5xx.
    let slow = WAIT + Duration::from_secs(15);
    let line = api
        .wait_for_message(slow, |m| {
            m.chat_id == ALICE && m.message_id > sent.message_id
        })
        .await;
    assert_eq!(line.visible, "🎤 transcribing…");
    api.wait_for_edit(line.message_id, slow, |m| {
        m.visible == "🎤 heard: after the outage\n⌨️ sent to webapp"
    })
    .await;
    assert_eq!(typed(&setup, "webapp", 1), ["after the outage"]);
    let tries: Vec<Option<String>> = api
        .calls()
        .into_iter()
        .filter(|c| c.method == "sendMessage" && c.body["text"] == "🎤 transcribing…")
        .map(|c| c.error)
        .collect();
    assert_eq!(tries, [Some("injected fault: BadGateway".to_owned()), None]);
    let after: Vec<i32> = api
        .sent_messages()
        .iter()
        .filter(|m| m.message_id > sent.message_id)
        .map(|m| m.message_id)
        .collect();
    assert_eq!(after, [line.message_id], "one message, edited in place");
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_file_names_stay_inside_the_inbox_and_big_files_are_not_fetched() {
    let env = vec![("TGMUX_MAX_FILE_MB".to_owned(), "1".to_owned())];
    let (api, sandbox, setup, _bot) = media_bot(env).await;
    new_session(&api, &setup, "webapp").await;
    let document = |name: &str, file: TestFile| Media::Document {
        file,
        file_name: name.into(),
        mime_type: "application/octet-stream".into(),
    };
    let hostile = [
        ("../../.bashrc", "bashrc"),
        ("/etc/cron.d/evil", "evil"),
        ("..", "file"),
    ];
    let mut expected_lines = Vec::new();
    for (i, (name, saved_as)) in hostile.iter().enumerate() {
        let bytes = format!("payload {i}").into_bytes();
        let sent = api.send_media(
            Place::Private,
            ALICE,
            document(name, TestFile::new(bytes.clone())),
            None,
        );
        reply_after(&api, sent.message_id, "📎 webapp: saved").await;
        let names = setup.inbox("webapp");
        let got = names
            .iter()
            .find(|n| stamped(n, saved_as))
            .unwrap_or_else(|| panic!("{saved_as} in {names:?}"));
        let path = setup.root.join("webapp/.tgmux/inbox").join(got);
        assert_eq!(std::fs::read(path).unwrap(), bytes);
        expected_lines.push(format!("Look at .tgmux/inbox/{got}"));
    }
    assert_eq!(setup.inbox("webapp").len(), 3);
    assert_eq!(typed(&setup, "webapp", 3), expected_lines);
    // Nothing landed anywhere else.
    let mut folder: Vec<String> = std::fs::read_dir(setup.root.join("webapp"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    folder.sort();
    assert_eq!(folder, [".tgmux", "typed.txt"]);
    let mut root: Vec<String> = std::fs::read_dir(&setup.root)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    root.sort();
    assert_eq!(root, ["webapp"]);
    assert!(!sandbox.path(".bashrc").exists());

    // Over the cap: refused on what the message declares, never fetched.
    let get_files = calls(&api, "getFile");
    let big = TestFile::new(&b"big"[..]).reported_size(2 * 1024 * 1024);
    let sent = api.send_media(Place::Private, ALICE, document("big.zip", big), None);
    let refused = reply_after(&api, sent.message_id, "⚠️").await;
    assert_eq!(
        refused.visible,
        "⚠️ big.zip was not saved: big.zip is 2 MB; tgmux takes files up to 1 MB from the phone (TGMUX_MAX_FILE_MB)"
    );
    assert_eq!(calls(&api, "getFile"), get_files);
    assert_eq!(setup.inbox("webapp").len(), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn get_sends_a_file_from_the_folder_and_refuses_paths_outside() {
    let (api, _sandbox, setup, _bot) = media_bot(Vec::new()).await;
    new_session(&api, &setup, "webapp").await;
    let folder: PathBuf = setup.root.join("webapp").canonicalize().unwrap();
    std::fs::create_dir(folder.join("notes")).unwrap();
    let bytes = "line 1\nline 2 ✓\n\0end".as_bytes();
    std::fs::write(folder.join("notes/report.txt"), bytes).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", folder.join("passwd")).unwrap();

    let sent = ask(&api, ALICE, "/get notes/report.txt", |_| true).await;
    let document = sent.document.as_ref().expect("a document");
    assert_eq!(
        (document.filename.as_str(), document.bytes.as_slice()),
        ("report.txt", bytes)
    );
    assert_eq!(
        sent.visible,
        format!("📄 webapp: notes/report.txt ({} bytes)", bytes.len())
    );

    for path in ["../../etc/passwd", "passwd"] {
        let refused = ask(&api, ALICE, &format!("/get {path}"), |_| true).await;
        assert_eq!(
            refused.visible,
            format!(
                "⚠️ {path} leads outside the session's folder {}; /get sends only files inside it",
                folder.display()
            )
        );
    }
    let missing = ask(&api, ALICE, "/get notes/none.txt", |_| true).await;
    assert_eq!(
        missing.visible,
        format!("⚠️ there is no file notes/none.txt in {}", folder.display())
    );
    assert_eq!(calls(&api, "sendDocument"), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_voice_note_without_transcription_settings_gets_one_reply() {
    let (api, _sandbox, setup, _bot) = media_bot(Vec::new()).await;
    new_session(&api, &setup, "webapp").await;
    let sent = api.send_media(Place::Private, ALICE, voice(), None);
    let reply = reply_after(&api, sent.message_id, "🎤").await;
    assert_eq!(
        reply.visible,
        "🎤 Voice notes need a transcription service: set TGMUX_TRANSCRIBE_URL \
         (and TGMUX_TRANSCRIBE_KEY if it needs a key) and restart tgmux. \
         The README shows how, with a local whisper server too."
    );
    assert_eq!(calls(&api, "getFile") + calls(&api, "downloadFile"), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_endpoint_error_or_timeout_gets_a_clear_reply_and_nothing_is_typed() {
    let stand_in = Transcriber::start(Answer::Fail("model crashed".into())).await;
    let (api, _sandbox, setup, _bot) = media_bot(stand_in.env(2)).await;
    new_session(&api, &setup, "webapp").await;

    let sent = api.send_media(Place::Private, ALICE, voice(), None);
    let failed = reply_after(&api, sent.message_id, "⚠️").await;
    assert_eq!(
        failed.visible,
        "⚠️ could not transcribe that voice note: the transcription service answered \
         500 Internal Server Error: model crashed. Nothing was typed."
    );

    stand_in.answer(Answer::Hang);
    let started = Instant::now();
    let sent = api.send_media(Place::Private, ALICE, voice(), None);
    let timed_out = reply_after(&api, sent.message_id, "⚠️").await;
    let waited = started.elapsed();
    assert_eq!(
        timed_out.visible,
        format!(
            "⚠️ could not transcribe that voice note: the transcription service at \
             {}/audio/transcriptions gave no answer within 2s. Nothing was typed.",
            stand_in.url()
        )
    );
    assert!(
        (Duration::from_secs(2)..Duration::from_secs(6)).contains(&waited),
        "{waited:?}"
    );
    assert_eq!(stand_in.heard().len(), 2);

    // The first line the agent ever got is this one.
    ask(&api, ALICE, "/send marker", |m| {
        m.visible.contains("sent to")
    })
    .await;
    assert_eq!(typed(&setup, "webapp", 1), ["marker"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_strangers_voice_notes_and_files_are_never_fetched() {
    let stand_in = Transcriber::start(Answer::Text(TRANSCRIPT.into())).await;
    let (api, _sandbox, setup, bot) = media_bot(stand_in.env(10)).await;
    new_session(&api, &setup, "webapp").await;
    api.send_media(Place::Private, MALLORY, voice(), None);
    let photo = Media::Photo(vec![PhotoSize {
        file: TestFile::new(&b"jpeg"[..]),
        width: 10,
        height: 10,
    }]);
    api.send_media(Place::Private, MALLORY, photo, Some("look"));
    let document = Media::Document {
        file: TestFile::new(&b"%PDF"[..]),
        file_name: "x.pdf".into(),
        mime_type: "application/pdf".into(),
    };
    api.send_media(Place::Private, MALLORY, document, None);
    // Updates from one chat are handled in order: once /start is answered,
    // the media before it were handled too.
    let start = ask(&api, MALLORY, "/start", |_| true).await;
    assert_eq!(
        start.visible,
        format!("This bot is private. Your Telegram user id is {MALLORY}.")
    );
    assert_eq!(calls(&api, "getFile") + calls(&api, "downloadFile"), 0);
    assert_eq!(stand_in.heard(), []);
    let to_mallory = api
        .sent_messages()
        .into_iter()
        .filter(|m| m.chat_id == MALLORY)
        .count();
    assert_eq!(to_mallory, 1, "only the /start answer");
    assert_eq!(
        bot.log()
            .matches("refused a message from user 6666")
            .count(),
        4
    );
    assert!(!Path::new(&setup.root.join("webapp/.tgmux")).exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn sessions_do_not_get_the_transcription_key() {
    let stand_in = Transcriber::start(Answer::Text(TRANSCRIPT.into())).await;
    let api = BotApi::start().await;
    let sandbox = TmuxSandbox::new();
    let out = sandbox.path("env.txt");
    let script = format!(
        "printf '%s|%s\\n' \"${{TGMUX_TRANSCRIBE_KEY:-none}}\" \"$TGMUX_TRANSCRIBE_MODEL\" > {}; exec cat",
        sh_quote(&out)
    );
    let mut setup = BotSetup::new(&sandbox, format!("sh -c {}", sh_quote(&script)));
    setup.env = stand_in.env(10);
    let (_bot, _) = BotProcess::start_ready(&api, &sandbox, &setup).await;
    new_session(&api, &setup, "webapp").await;
    assert_eq!(wait_for_lines(&out, 1), [format!("none|{MODEL}")]);
}
