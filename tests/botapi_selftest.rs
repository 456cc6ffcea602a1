//! Proves the loopback Bot API server (tests/support/botapi/) is what
//! teloxide expects: a real `teloxide::Bot` and `Dispatcher` talk to it.

mod support;

#[path = "botapi_selftest/chats.rs"]
mod chats;
#[path = "botapi_selftest/faults.rs"]
mod faults;
#[path = "botapi_selftest/files.rs"]
mod files;
#[path = "botapi_selftest/polls.rs"]
mod polls;

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::botapi::{BOT_ID, BOT_USERNAME, BotApi, Fault};
use teloxide::{
    ApiError, RequestError,
    dispatching::{Dispatcher, UpdateFilterExt},
    dptree,
    prelude::*,
    types::{
        BotCommand, ChatAction, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, MessageId,
        ParseMode, ReplyParameters, UpdateKind,
    },
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const USER: i64 = 4242;
const SECS: Duration = Duration::from_secs(5);

fn keyboard(buttons: &[(&str, &str)]) -> InlineKeyboardMarkup {
    let row = buttons
        .iter()
        .map(|(text, data)| InlineKeyboardButton::callback(*text, *data));
    InlineKeyboardMarkup::new([row.collect::<Vec<_>>()])
}

/// Posts `{}` to `path` over a bare TCP connection; returns the status and
/// body text, or `None` if the server dropped the connection.
async fn raw_request(api: &BotApi, path: &str) -> Option<(u16, String)> {
    let addr = api
        .url()
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: 2\r\nConnection: close\r\n\r\n{{}}"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.ok()?;
    let status = response.get(9..12)?.parse().unwrap();
    let body = response.split_once("\r\n\r\n").unwrap().1;
    Some((status, body.to_owned()))
}

/// Posts `{}` to `path`; returns the status and JSON body.
async fn raw_post(api: &BotApi, path: &str) -> (u16, Value) {
    let (status, body) = raw_request(api, path).await.expect("a response");
    (status, serde_json::from_str(&body).unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn get_me_reports_the_test_bot() {
    let api = BotApi::start().await;
    let me = api.bot().get_me().await.unwrap();
    assert_eq!(me.id.0 as i64, BOT_ID);
    assert!(me.is_bot);
    assert_eq!(me.username(), BOT_USERNAME);
    assert_eq!(api.calls()[0].method, "getMe");
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_token_unknown_method_and_bad_path_are_refused() {
    let api = BotApi::start().await;
    let url = api.url().parse().unwrap();
    let stranger = Bot::new("999:WRONG").set_api_url(url);
    let err = stranger.get_me().await.unwrap_err();
    assert!(
        matches!(err, RequestError::Api(ApiError::InvalidToken)),
        "{err:?}"
    );

    let (status, body) = raw_post(&api, &format!("/bot{}/fooBar", api.token())).await;
    assert_eq!(status, 404);
    assert_eq!(
        body,
        json!({"ok": false, "error_code": 404, "description": "Not Found: method not found"})
    );
    let (status, body) = raw_post(&api, "/bot999:WRONG/getMe").await;
    assert_eq!(
        (status, &body["description"]),
        (401, &json!("Unauthorized"))
    );
    let (status, _) = raw_post(&api, "/nothing").await;
    assert_eq!(status, 404);

    let calls = api.calls();
    assert_eq!(calls.len(), 1, "only the known token's calls are recorded");
    assert_eq!(
        calls[0].error.as_deref(),
        Some("Not Found: method not found")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn send_message_with_html_and_keyboard_is_recorded_and_parses() {
    let api = BotApi::start().await;
    let sent = api
        .bot()
        .send_message(ChatId(USER), "<b>Proceed?</b> a &lt; b &amp;&amp; c")
        .parse_mode(ParseMode::Html)
        .reply_markup(keyboard(&[("Yes", "d:1:yes"), ("No", "d:1:no")]))
        .await
        .unwrap();
    assert_eq!(sent.chat.id, ChatId(USER));
    assert_eq!(sent.from.as_ref().unwrap().id.0 as i64, BOT_ID);
    assert_eq!(sent.text(), Some("Proceed? a < b && c"));
    assert_eq!(
        sent.reply_markup(),
        Some(&keyboard(&[("Yes", "d:1:yes"), ("No", "d:1:no")]))
    );

    let recorded = api
        .wait_for_message(SECS, |m| m.visible.starts_with("Proceed?"))
        .await;
    assert_eq!(recorded.message_id, sent.id.0);
    assert_eq!(recorded.chat_id, USER);
    assert_eq!(recorded.text, "<b>Proceed?</b> a &lt; b &amp;&amp; c");
    assert_eq!(recorded.parse_mode.as_deref(), Some("HTML"));
    assert_eq!(
        recorded.buttons(),
        [
            ("Yes".to_owned(), "d:1:yes".to_owned()),
            ("No".to_owned(), "d:1:no".to_owned())
        ]
    );
    let call = api.wait_for_call("sendMessage", SECS, |_| true).await;
    assert_eq!(call.body["chat_id"], json!(USER));
    assert_eq!(call.error, None);

    // A reply to a user's message carries it along.
    let asked = api.send_text(USER, "status?");
    let reply = api
        .bot()
        .send_message(ChatId(USER), "fine")
        .reply_parameters(ReplyParameters::new(MessageId(asked)))
        .await
        .unwrap();
    assert_eq!(reply.reply_to_message().unwrap().text(), Some("status?"));
    assert_eq!(api.message(reply.id.0).unwrap().reply_to, Some(asked));
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_markup_and_bad_lengths_are_rejected_like_telegram() {
    let api = BotApi::start().await;
    let bot = api.bot();
    let html = |text: String| {
        bot.send_message(ChatId(USER), text)
            .parse_mode(ParseMode::Html)
    };

    for bad in [
        "a < b",
        "x & y",
        "<b>open",
        "<b>x</i>",
        "x</b>",
        "<foo>x</foo>",
        "<span>s</span>",
        "&nbsp;",
    ] {
        let err = html(bad.into()).await.unwrap_err();
        assert!(
            matches!(&err, RequestError::Api(ApiError::CantParseEntities(e)) if e.starts_with("Bad Request: can't parse entities: ")),
            "{bad:?} gave {err:?}"
        );
    }
    let good = [
        "a &lt; b &gt; c &quot;d&quot; &#60;&#x3C; > e",
        "<a href=\"https://example.com/?a=1&b=2\">link</a>",
        "<span class=\"tg-spoiler\">s</span><tg-spoiler>t</tg-spoiler>",
        "<pre><code class=\"language-rust\">fn main() {}</code></pre>",
        "<blockquote expandable>q</blockquote> <B>caps</B> <i>i</i><u>u</u><s>s</s>",
    ];
    for text in good {
        html(text.into())
            .await
            .unwrap_or_else(|e| panic!("{text:?} was rejected: {e:?}"));
    }

    let too_long = html("é".repeat(4097)).await.unwrap_err();
    assert!(
        matches!(too_long, RequestError::Api(ApiError::MessageIsTooLong)),
        "{too_long:?}"
    );
    // The limit is on the visible text: markup and entities do not count.
    html(format!("<b>{}</b>", "&amp;".repeat(4096)))
        .await
        .unwrap();
    // Measured in UTF-16 units, like Telegram's offsets: 2049 emoji are 4098 units.
    let emoji = bot
        .send_message(ChatId(USER), "🙂".repeat(2049))
        .await
        .unwrap_err();
    assert!(
        matches!(emoji, RequestError::Api(ApiError::MessageIsTooLong)),
        "{emoji:?}"
    );

    for empty in ["", "  \n", "<b></b>"] {
        let err = html(empty.into()).await.unwrap_err();
        assert!(
            matches!(err, RequestError::Api(ApiError::MessageTextIsEmpty)),
            "{empty:?}: {err:?}"
        );
    }

    let long_data = bot
        .send_message(ChatId(USER), "pick")
        .reply_markup(keyboard(&[("A", &"x".repeat(65))]))
        .await
        .unwrap_err();
    assert!(
        matches!(long_data, RequestError::Api(ApiError::ButtonDataInvalid)),
        "{long_data:?}"
    );

    assert_eq!(
        api.sent_messages().len(),
        6,
        "only the accepted messages are recorded as sent"
    );
    let rejected = api.calls().iter().filter(|c| c.error.is_some()).count();
    assert_eq!(rejected, 8 + 1 + 1 + 3 + 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn edits_update_the_message_like_telegram() {
    let api = BotApi::start().await;
    let bot = api.bot();
    let sent = bot
        .send_message(ChatId(USER), "working")
        .reply_markup(keyboard(&[("Stop", "stop")]))
        .await
        .unwrap();

    let edited = bot
        .edit_message_text(ChatId(USER), sent.id, "<i>done</i>")
        .parse_mode(ParseMode::Html)
        .reply_markup(keyboard(&[("Remove", "rm")]))
        .await
        .unwrap();
    assert_eq!(edited.text(), Some("done"));
    assert_eq!(edited.id, sent.id);
    assert!(edited.edit_date().is_some());
    let version = api
        .wait_for_edit(sent.id.0, SECS, |m| m.visible == "done")
        .await;
    assert_eq!(version.buttons(), [("Remove".to_owned(), "rm".to_owned())]);
    assert_eq!(
        api.sent_messages()[0].text,
        "working",
        "sent_messages keeps the original"
    );

    let same = bot
        .edit_message_text(ChatId(USER), sent.id, "<i>done</i>")
        .parse_mode(ParseMode::Html)
        .reply_markup(keyboard(&[("Remove", "rm")]))
        .await
        .unwrap_err();
    assert!(
        matches!(same, RequestError::Api(ApiError::MessageNotModified)),
        "{same:?}"
    );

    // Like Telegram, an edit without reply_markup drops the keyboard.
    bot.edit_message_text(ChatId(USER), sent.id, "final")
        .await
        .unwrap();
    assert_eq!(api.message(sent.id.0).unwrap().reply_markup, None);
    let with_keys = bot
        .edit_message_reply_markup(ChatId(USER), sent.id)
        .reply_markup(keyboard(&[("Again", "again")]))
        .await
        .unwrap();
    assert_eq!(with_keys.text(), Some("final"));
    assert_eq!(api.message(sent.id.0).unwrap().buttons()[0].0, "Again");

    let missing = bot
        .edit_message_text(ChatId(USER), MessageId(999), "x")
        .await;
    assert!(
        matches!(
            missing,
            Err(RequestError::Api(ApiError::MessageToEditNotFound))
        ),
        "{missing:?}"
    );
    let wrong_chat = bot.edit_message_text(ChatId(USER + 1), sent.id, "x").await;
    assert!(matches!(
        wrong_chat,
        Err(RequestError::Api(ApiError::MessageToEditNotFound))
    ));
    let theirs = api.send_text(USER, "mine");
    let not_ours = bot
        .edit_message_text(ChatId(USER), MessageId(theirs), "x")
        .await;
    assert!(matches!(
        not_ours,
        Err(RequestError::Api(ApiError::MessageCantBeEdited))
    ));

    bot.delete_message(ChatId(USER), sent.id).await.unwrap();
    assert!(api.message(sent.id.0).is_none());
    let gone = bot.edit_message_text(ChatId(USER), sent.id, "x").await;
    assert!(matches!(
        gone,
        Err(RequestError::Api(ApiError::MessageToEditNotFound))
    ));
}

#[tokio::test(flavor = "multi_thread")]
async fn send_document_uploads_are_recorded() {
    let api = BotApi::start().await;
    let sent = api
        .bot()
        .send_document(
            ChatId(USER),
            InputFile::memory(b"pane\ntext".to_vec()).file_name("pane.txt"),
        )
        .caption("<b>123</b>")
        .parse_mode(ParseMode::Html)
        .await
        .unwrap();
    let document = sent.document().unwrap();
    assert_eq!(document.file_name.as_deref(), Some("pane.txt"));
    assert_eq!(document.file.size, 9);
    assert_eq!(sent.caption(), Some("123"));

    let recorded = api.wait_for_message(SECS, |m| m.document.is_some()).await;
    let file = recorded.document.unwrap();
    assert_eq!(
        (file.filename.as_str(), file.bytes.as_slice()),
        ("pane.txt", &b"pane\ntext"[..])
    );
    assert_eq!(recorded.text, "<b>123</b>");
    let call = &api.calls()[0];
    assert_eq!(call.body["chat_id"], json!(USER));
    assert_eq!(call.body["caption"], json!("<b>123</b>"));
    assert_eq!(
        call.body["document"],
        json!({"file_name": "pane.txt", "file_size": 9})
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn taps_arrive_as_callback_queries_and_are_answered_once() {
    let api = BotApi::start().await;
    let bot = api.bot();
    let sent = bot
        .send_message(ChatId(USER), "Proceed?")
        .reply_markup(keyboard(&[("Yes", "y"), ("No", "n")]))
        .await
        .unwrap();
    let id = api.tap_button(USER, sent.id.0, "No");
    let forged = api.tap(USER, sent.id.0, "forged:payload");

    let updates = bot.get_updates().await.unwrap();
    let queries: Vec<_> = updates
        .iter()
        .map(|u| match &u.kind {
            UpdateKind::CallbackQuery(q) => q,
            other => panic!("expected a callback query, got {other:?}"),
        })
        .collect();
    assert_eq!(queries.len(), 2);
    assert_eq!(queries[0].id.0, id);
    assert_eq!(queries[0].data.as_deref(), Some("n"));
    assert_eq!(queries[0].from.id.0 as i64, USER);
    assert_eq!(queries[1].data.as_deref(), Some("forged:payload"));
    let message = queries[0].regular_message().unwrap();
    assert_eq!((message.id, message.text()), (sent.id, Some("Proceed?")));
    assert_eq!(message.reply_markup(), sent.reply_markup());

    bot.answer_callback_query(queries[0].id.clone())
        .text("Sent 3")
        .show_alert(true)
        .await
        .unwrap();
    let answer = api.wait_for_callback_answer(&id, SECS).await;
    assert_eq!(
        (answer.text.as_deref(), answer.show_alert),
        (Some("Sent 3"), true)
    );
    let twice = bot
        .answer_callback_query(queries[0].id.clone())
        .await
        .unwrap_err();
    assert!(
        matches!(twice, RequestError::Api(ApiError::InvalidQueryId)),
        "{twice:?}"
    );
    bot.answer_callback_query(queries[1].id.clone())
        .await
        .unwrap();
    assert_eq!(api.callback_answers().len(), 2);
    assert_eq!(api.callback_answers()[1].callback_query_id, forged);
}

#[tokio::test(flavor = "multi_thread")]
async fn commands_and_housekeeping_methods() {
    let api = BotApi::start().await;
    let bot = api.bot();
    let commands = [
        BotCommand::new("ls", "List sessions"),
        BotCommand::new("new", "Start one"),
    ];
    bot.set_my_commands(commands.clone()).await.unwrap();
    assert_eq!(
        api.commands(),
        [
            ("ls".into(), "List sessions".into()),
            ("new".into(), "Start one".into())
        ]
    );
    assert_eq!(bot.get_my_commands().await.unwrap(), commands);
    let bad = bot
        .set_my_commands([BotCommand::new("Ls", "List")])
        .await
        .unwrap_err();
    assert!(
        format!("{bad:?}").contains("BOT_COMMAND_INVALID"),
        "{bad:?}"
    );

    assert_eq!(bot.get_webhook_info().await.unwrap().url, None);
    bot.delete_webhook().await.unwrap();
    bot.send_chat_action(ChatId(USER), ChatAction::Typing)
        .await
        .unwrap();
    let methods: Vec<_> = api.calls().into_iter().map(|c| c.method).collect();
    assert_eq!(
        methods,
        [
            "setMyCommands",
            "getMyCommands",
            "setMyCommands",
            "getWebhookInfo",
            "deleteWebhook",
            "sendChatAction"
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn injected_faults_surface_as_teloxide_errors() {
    let api = BotApi::start().await;
    let bot = api.bot();

    api.fail_next("sendMessage", 1, Fault::RetryAfter(7));
    let err = bot.send_message(ChatId(USER), "a").await.unwrap_err();
    assert!(
        matches!(err, RequestError::RetryAfter(s) if s.seconds() == 7),
        "{err:?}"
    );

    let blocked = "Forbidden: bot was blocked by the user";
    api.fail_next("sendMessage", 1, Fault::Status(403, blocked.into()));
    let err = bot.send_message(ChatId(USER), "b").await.unwrap_err();
    assert!(
        matches!(err, RequestError::Api(ApiError::BotBlocked)),
        "{err:?}"
    );

    api.fail_next("sendMessage", 2, Fault::Drop);
    for _ in 0..2 {
        let err = bot.send_message(ChatId(USER), "c").await.unwrap_err();
        assert!(matches!(err, RequestError::Network(_)), "{err:?}");
    }
    api.fail_next("getUpdates", 1, Fault::Drop);
    let err = bot.get_updates().await.unwrap_err();
    assert!(matches!(err, RequestError::Network(_)), "{err:?}");

    bot.send_message(ChatId(USER), "d").await.unwrap();
    assert!(bot.get_updates().await.unwrap().is_empty());
    let sent: Vec<_> = api.sent_messages().into_iter().map(|m| m.text).collect();
    assert_eq!(sent, ["d"]);
    let errors: Vec<_> = api.calls().into_iter().map(|c| c.error.is_some()).collect();
    assert_eq!(errors, [true, true, true, true, true, false, false]);
}

#[tokio::test(flavor = "multi_thread")]
async fn get_updates_long_polls() {
    let api = BotApi::start().await;
    let bot = api.bot();

    // Empty queue: waits for the timeout, then answers [].
    let started = Instant::now();
    assert!(bot.get_updates().timeout(1).await.unwrap().is_empty());
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(900) && waited < Duration::from_secs(3),
        "{waited:?}"
    );

    // A waiting poll returns as soon as a message is injected.
    let poller = bot.clone();
    let mut poll = tokio::spawn(async move {
        let started = Instant::now();
        let updates = poller.get_updates().timeout(5).await.unwrap();
        (started.elapsed(), updates)
    });
    api.wait_for_call("getUpdates", SECS, |c| c.body["timeout"] == json!(5))
        .await;
    let pending = tokio::time::timeout(Duration::from_millis(300), &mut poll).await;
    assert!(
        pending.is_err(),
        "the poll answered with nothing to deliver"
    );
    let id = api.send_text(USER, "/start now");
    let (took, updates) = poll.await.unwrap();
    assert!(took < Duration::from_secs(3), "took {took:?}");
    assert_eq!(updates.len(), 1);
    let UpdateKind::Message(message) = &updates[0].kind else {
        panic!("expected a message, got {:?}", updates[0].kind);
    };
    assert_eq!((message.id.0, message.text()), (id, Some("/start now")));
    assert_eq!(message.chat.id, ChatId(USER));
    assert!(message.chat.is_private());
    assert_eq!(message.from.as_ref().unwrap().id.0 as i64, USER);
    let entity = &message.entities().unwrap()[0];
    assert_eq!((entity.offset, entity.length), (0, 6));

    // Updates stay until an offset confirms them.
    api.send_text(USER, "two");
    let both = bot.get_updates().await.unwrap();
    assert_eq!(both.len(), 2);
    assert_eq!(bot.get_updates().await.unwrap(), both);
    let next = both[1].id.as_offset();
    assert!(bot.get_updates().offset(next).await.unwrap().is_empty());
    assert!(bot.get_updates().await.unwrap().is_empty());

    // A reply carries the replied-to message.
    let reply = api.reply_text(USER, "more", id);
    let updates = bot.get_updates().await.unwrap();
    let UpdateKind::Message(message) = &updates[0].kind else {
        panic!("{updates:?}")
    };
    assert_eq!(message.id.0, reply);
    assert_eq!(
        message.reply_to_message().unwrap().text(),
        Some("/start now")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn shutdown_ends_long_polls_and_closes_the_port() {
    let api = BotApi::start().await;
    let bot = api.bot();
    let poller = bot.clone();
    let poll = tokio::spawn(async move { poller.get_updates().timeout(10).await });
    api.wait_for_call("getUpdates", SECS, |_| true).await;
    let started = Instant::now();
    api.shutdown().await;
    assert!(poll.await.unwrap().unwrap().is_empty());
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    let err = bot.get_me().await.unwrap_err();
    assert!(matches!(err, RequestError::Network(_)), "{err:?}");
}

#[tokio::test(flavor = "multi_thread")]
#[should_panic(expected = "sendMessage {\"chat_id\":4242,\"text\":\"hello\"}")]
async fn wait_timeouts_dump_the_calls() {
    let api = BotApi::start().await;
    api.bot().send_message(ChatId(USER), "hello").await.unwrap();
    api.wait_for_message(Duration::from_millis(200), |m| m.text == "bye")
        .await;
}

/// A real dispatcher: message and callback_query updates deserialize and
/// reach handlers, and it survives a dropped poll.
#[tokio::test(flavor = "multi_thread")]
async fn dispatcher_echoes_messages_and_taps() {
    let api = BotApi::start().await;
    api.fail_next("getUpdates", 1, Fault::Drop);

    let handler = dptree::entry()
        .branch(
            Update::filter_message().endpoint(|bot: Bot, msg: Message| async move {
                let text = msg.text().unwrap_or("<none>");
                let echo = match msg.reply_to_message() {
                    Some(replied) => format!("echo: {text} (re {})", replied.id.0),
                    None => format!("echo: {text}"),
                };
                bot.send_message(msg.chat.id, echo)
                    .reply_markup(keyboard(&[("Again", "again")]))
                    .await?;
                respond(())
            }),
        )
        .branch(Update::filter_callback_query().endpoint(
            |bot: Bot, q: CallbackQuery| async move {
                let data = q.data.clone().unwrap_or_default();
                bot.answer_callback_query(q.id.clone())
                    .text(format!("got {data}"))
                    .await?;
                if let Some(message) = q.regular_message() {
                    let text = format!("tapped {data} on: {}", message.text().unwrap_or_default());
                    bot.edit_message_text(message.chat.id, message.id, text)
                        .await?;
                }
                respond(())
            },
        ));
    let mut dispatcher = Dispatcher::builder(api.bot(), handler).build();
    let shutdown = dispatcher.shutdown_token();
    let running = tokio::spawn(async move { dispatcher.dispatch().await });

    let asked = api.send_text(USER, "/start hi");
    let echo = api
        .wait_for_message(Duration::from_secs(10), |m| m.text == "echo: /start hi")
        .await;
    assert_eq!(echo.chat_id, USER);
    let dropped = api
        .wait_for_call("getUpdates", SECS, |c| c.error.is_some())
        .await;
    assert!(dropped.error.unwrap().contains("Drop"));

    let tap = api.tap_button(USER, echo.message_id, "Again");
    let answer = api.wait_for_callback_answer(&tap, SECS).await;
    assert_eq!(answer.text.as_deref(), Some("got again"));
    let edited = api
        .wait_for_edit(echo.message_id, SECS, |m| m.text.starts_with("tapped"))
        .await;
    assert_eq!(edited.text, "tapped again on: echo: /start hi");
    assert_eq!(edited.reply_markup, None);

    api.reply_text(USER, "more", echo.message_id);
    let expected = format!("echo: more (re {})", echo.message_id);
    api.wait_for_message(SECS, |m| m.text == expected).await;
    assert!(asked < echo.message_id);

    shutdown
        .shutdown()
        .expect("the dispatcher is running")
        .await;
    running.await.unwrap();
    let mut startup: Vec<_> = api.calls().into_iter().take(3).map(|c| c.method).collect();
    startup.sort();
    assert_eq!(startup, ["getMe", "getUpdates", "getWebhookInfo"]);
}
