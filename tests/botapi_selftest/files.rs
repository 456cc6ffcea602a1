//! Files: media users send, getFile, downloads, the 20 MB limit, and
//! documents the bot uploads.

use serde_json::json;
use teloxide::{
    ApiError, RequestError,
    net::Download,
    prelude::*,
    types::{InputFile, MessageId, UpdateKind},
};

use super::{SECS, USER};
use crate::support::botapi::{BotApi, GroupKind, Media, PhotoSize, Place, TestFile, UserMedia};

/// Downloads `path` through teloxide, as the bot would.
async fn download(bot: &Bot, path: &str) -> Vec<u8> {
    let mut bytes = Vec::new();
    bot.download_file(path, &mut bytes).await.unwrap();
    bytes
}

#[tokio::test(flavor = "multi_thread")]
async fn users_send_media_the_bot_fetches_with_get_file() {
    let api = BotApi::start().await;
    let voice = api.send_media(
        Place::Private,
        USER,
        Media::Voice {
            file: TestFile::new(&b"OggS voice"[..]),
            duration: 3,
        },
        None,
    );
    assert_eq!(
        voice,
        UserMedia {
            message_id: 1,
            file_ids: vec!["file-1".into()]
        }
    );
    let audio = api.send_media(
        Place::Private,
        USER,
        Media::Audio {
            file: TestFile::new(&b"ID3 song"[..]),
            duration: 200,
            file_name: "song.mp3".into(),
            mime_type: "audio/mpeg".into(),
            title: Some("Song".into()),
        },
        Some("listen"),
    );
    let photo = api.send_media(
        Place::Private,
        USER,
        Media::Photo(vec![
            PhotoSize {
                file: TestFile::new(&b"small"[..]),
                width: 90,
                height: 60,
            },
            PhotoSize {
                file: TestFile::new(&b"large jpeg"[..]),
                width: 1280,
                height: 853,
            },
        ]),
        None,
    );
    let document = api.send_media(
        Place::Private,
        USER,
        Media::Document {
            file: TestFile::new(&b"%PDF-1.7"[..]),
            file_name: "notes.pdf".into(),
            mime_type: "application/pdf".into(),
        },
        Some("read this"),
    );
    assert_eq!(audio.file_ids, ["file-2"]);
    assert_eq!(photo.file_ids, ["file-3", "file-4"]);
    assert_eq!(document.file_ids, ["file-5"]);

    let bot = api.bot();
    let updates = bot.get_updates().await.unwrap();
    let messages: Vec<&Message> = updates
        .iter()
        .map(|u| match &u.kind {
            UpdateKind::Message(m) => m,
            other => panic!("{other:?}"),
        })
        .collect();
    let got = messages[0].voice().unwrap();
    assert_eq!(
        (
            got.file.id.0.as_str(),
            got.file.size,
            got.duration.seconds()
        ),
        ("file-1", 10, 3)
    );
    assert_eq!(got.mime_type.as_ref().unwrap().as_ref(), "audio/ogg");
    let got = messages[1].audio().unwrap();
    assert_eq!(
        (
            got.file_name.as_deref(),
            got.title.as_deref(),
            got.mime_type.as_ref().unwrap().as_ref()
        ),
        (Some("song.mp3"), Some("Song"), "audio/mpeg")
    );
    assert_eq!(messages[1].caption(), Some("listen"));
    let sizes: Vec<_> = messages[2]
        .photo()
        .unwrap()
        .iter()
        .map(|p| (p.file.id.0.as_str(), p.width, p.height, p.file.size))
        .collect();
    assert_eq!(sizes, [("file-3", 90, 60, 5), ("file-4", 1280, 853, 10)]);
    let got = messages[3].document().unwrap();
    assert_eq!(
        (got.file_name.as_deref(), got.file.size),
        (Some("notes.pdf"), 8)
    );
    assert_eq!(got.mime_type.as_ref().unwrap().as_ref(), "application/pdf");
    assert_eq!(messages[3].caption(), Some("read this"));

    let paths = [
        ("file-1", "voice/file_1.oga", &b"OggS voice"[..]),
        ("file-2", "music/file_2.mp3", b"ID3 song"),
        ("file-4", "photos/file_4.jpg", b"large jpeg"),
        ("file-5", "documents/file_5.pdf", b"%PDF-1.7"),
    ];
    for (id, path, bytes) in paths {
        let file = bot.get_file(id.to_owned().into()).await.unwrap();
        assert_eq!((file.meta.id.0.as_str(), file.path.as_str()), (id, path));
        assert_eq!(file.meta.size as usize, bytes.len());
        assert_eq!(download(&bot, path).await, bytes);
    }
    let downloads: Vec<_> = api
        .calls()
        .into_iter()
        .filter(|c| c.method == "downloadFile")
        .map(|c| (c.body, c.error))
        .collect();
    assert_eq!(downloads.len(), 4);
    assert_eq!(
        downloads[0],
        (json!({"file_path": "voice/file_1.oga"}), None)
    );

    let unknown = bot.get_file("nope".to_owned().into()).await.unwrap_err();
    assert!(
        matches!(&unknown, RequestError::Api(ApiError::Unknown(d)) if d == "Bad Request: invalid file_id"),
        "{unknown:?}"
    );
    let mut sink = Vec::new();
    let missing = bot.download_file("voice/none.oga", &mut sink).await;
    assert!(missing.is_err(), "{missing:?}");
    let last = api.calls().pop().unwrap();
    assert_eq!(
        (last.method.as_str(), last.error.as_deref()),
        ("downloadFile", Some("Not Found"))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn files_over_twenty_megabytes_are_refused_by_get_file() {
    let api = BotApi::start().await;
    let limit = 20 * 1024 * 1024;
    let document = |size: u64| Media::Document {
        file: TestFile::new(&b"big"[..]).reported_size(size),
        file_name: "big.zip".into(),
        mime_type: "application/zip".into(),
    };
    let at_limit = api.send_media(Place::Private, USER, document(limit), None);
    let over = api.send_media(Place::Private, USER, document(limit + 1), None);
    let bot = api.bot();

    let updates = bot.get_updates().await.unwrap();
    let UpdateKind::Message(message) = &updates[1].kind else {
        panic!("{updates:?}");
    };
    assert_eq!(message.document().unwrap().file.size, 20_971_521);

    let file = bot
        .get_file(at_limit.file_ids[0].clone().into())
        .await
        .unwrap();
    assert_eq!(file.path, "documents/file_1.zip");
    let err = bot
        .get_file(over.file_ids[0].clone().into())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, RequestError::Api(ApiError::Unknown(d)) if d == "Bad Request: file is too big"),
        "{err:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn uploads_and_media_in_topics_keep_their_thread() {
    let api = BotApi::start().await;
    let forum = api.create_group(GroupKind::Forum, "Work", &[USER]);
    let bot = api.bot();
    let topic = bot
        .create_forum_topic(ChatId(forum), "logs")
        .await
        .unwrap()
        .thread_id;

    let sent = bot
        .send_document(
            ChatId(forum),
            InputFile::memory(b"line 1\nline 2".to_vec()).file_name("build.log"),
        )
        .caption("the log")
        .message_thread_id(topic)
        .await
        .unwrap();
    assert_eq!(sent.thread_id, Some(topic));
    let recorded = api.wait_for_message(SECS, |m| m.document.is_some()).await;
    let document = recorded.document.as_ref().unwrap();
    assert_eq!(
        (
            document.filename.as_str(),
            document.bytes.as_slice(),
            document.file_id.as_str()
        ),
        ("build.log", &b"line 1\nline 2"[..], "file-1")
    );
    assert_eq!(
        (recorded.text.as_str(), recorded.thread_id),
        ("the log", Some(topic.0.0))
    );
    let call = api.wait_for_call("sendDocument", SECS, |_| true).await;
    assert_eq!(call.body["message_thread_id"], json!(topic.0.0));
    // The upload can be fetched back like any file.
    let file = bot.get_file("file-1".to_owned().into()).await.unwrap();
    assert_eq!(file.path, "documents/file_1.log");
    assert_eq!(download(&bot, &file.path).await, b"line 1\nline 2");

    let voice = api.send_media(
        Place::Topic(forum, topic.0.0),
        USER,
        Media::Voice {
            file: TestFile::new(&b"OggS"[..]),
            duration: 1,
        },
        None,
    );
    let updates = bot.get_updates().await.unwrap();
    let UpdateKind::Message(message) = &updates[0].kind else {
        panic!("{updates:?}");
    };
    assert_eq!(message.id, MessageId(voice.message_id));
    assert_eq!(message.thread_id, Some(topic));
    assert!(message.is_topic_message);
    assert_eq!(message.voice().unwrap().file.id.0, voice.file_ids[0]);
}
