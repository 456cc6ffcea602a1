//! Groups and forum supergroups: user posts, topics, rights, getChat,
//! getChatMember and pins.

use serde_json::{Value, json};
use teloxide::{
    ApiError, RequestError,
    prelude::*,
    types::{ChatMemberKind, MessageId, MessageKind, ReplyParameters, Rgb, ThreadId, UpdateKind},
};

use super::USER;
use crate::support::botapi::{AdminRights, BOT_ID, BotApi, GroupKind, Membership, Place};

const BOB: i64 = 5151;

fn messages(updates: &[Update]) -> Vec<&Message> {
    updates
        .iter()
        .map(|u| match &u.kind {
            UpdateKind::Message(m) => m,
            other => panic!("expected a message, got {other:?}"),
        })
        .collect()
}

fn thread(id: i32) -> ThreadId {
    ThreadId(MessageId(id))
}

/// Asserts `result` failed with Telegram's `description` (teloxide knows it
/// only as `ApiError::Unknown`).
fn assert_refused<T: std::fmt::Debug>(result: Result<T, RequestError>, description: &str) {
    match result {
        Err(RequestError::Api(ApiError::Unknown(got))) if got == description => {}
        other => panic!("expected {description:?}, got {other:?}"),
    }
}

fn as_json(value: &impl serde::Serialize) -> Value {
    serde_json::to_value(value).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn users_post_in_groups_topics_and_the_general_topic() {
    let api = BotApi::start().await;
    let group = api.create_group(GroupKind::Group, "Team", &[USER, BOB]);
    let forum = api.create_group(GroupKind::Forum, "Work", &[USER]);
    assert_eq!((group, forum), (-101, -1_000_000_000_102));

    let hello = api.send_text_in(Place::Chat(group), BOB, "hi all");
    let topic = api.create_topic(forum, USER, "webapp");
    let in_topic = api.send_text_in(Place::Topic(forum, topic), USER, "/status");
    let general = api.send_text_in(Place::Chat(forum), USER, "general");
    assert_eq!((hello, topic, in_topic, general), (1, 2, 3, 4));

    let updates = api.bot().get_updates().await.unwrap();
    let got = messages(&updates);
    assert_eq!(got.len(), 4);

    assert_eq!(got[0].chat.id, ChatId(group));
    assert!(got[0].chat.is_group());
    assert_eq!(got[0].chat.title(), Some("Team"));
    assert_eq!(got[0].from.as_ref().unwrap().id.0 as i64, BOB);
    assert_eq!((got[0].thread_id, got[0].is_topic_message), (None, false));

    let MessageKind::ForumTopicCreated(created) = &got[1].kind else {
        panic!("expected a forum_topic_created message, got {:?}", got[1]);
    };
    assert_eq!(created.forum_topic_created.name, "webapp");
    assert_eq!(
        created.forum_topic_created.icon_color,
        Rgb::from_u32(0x6FB9F0)
    );
    assert_eq!(got[1].thread_id, Some(thread(topic)));

    assert_eq!(got[2].text(), Some("/status"));
    assert_eq!(
        (got[2].thread_id, got[2].is_topic_message),
        (Some(thread(topic)), true)
    );
    assert!(got[2].chat.is_supergroup());
    assert_eq!(as_json(&got[2].chat)["is_forum"], json!(true));
    // As in Telegram, a topic message replies to the topic's opening message.
    assert_eq!(got[2].reply_to_message().unwrap().id, MessageId(topic));

    assert_eq!((got[3].thread_id, got[3].is_topic_message), (None, false));
    assert!(got[3].reply_to_message().is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_bot_posts_into_topics_and_the_general_topic() {
    let api = BotApi::start().await;
    let forum = api.create_group(GroupKind::Forum, "Work", &[USER]);
    let bot = api.bot();
    let topic = bot
        .create_forum_topic(ChatId(forum), "build")
        .await
        .unwrap();
    assert_eq!(
        (topic.thread_id, topic.name.as_str(), topic.icon_color),
        (thread(2), "build", Rgb::from_u32(0x6FB9F0))
    );

    let sent = bot
        .send_message(ChatId(forum), "in topic")
        .message_thread_id(topic.thread_id)
        .await
        .unwrap();
    assert_eq!(
        (sent.thread_id, sent.is_topic_message),
        (Some(thread(2)), true)
    );
    assert_eq!(sent.reply_to_message().unwrap().id, MessageId(2));
    let recorded = api.message(sent.id.0).unwrap();
    assert_eq!((recorded.thread_id, recorded.reply_to), (Some(2), None));
    let call = api
        .wait_for_call("sendMessage", super::SECS, |_| true)
        .await;
    assert_eq!(call.body["message_thread_id"], json!(2));

    let general = bot.send_message(ChatId(forum), "general").await.unwrap();
    assert_eq!(general.thread_id, None);
    assert_eq!(api.message(general.id.0).unwrap().thread_id, None);
    let named_general = bot
        .send_message(ChatId(forum), "x")
        .message_thread_id(thread(1))
        .await;
    assert_refused(named_general, "Bad Request: message thread not found");

    // Edits keep the topic; a reply without a thread lands in the replied
    // message's topic, whoever sends it.
    let edited = bot
        .edit_message_text(ChatId(forum), sent.id, "in topic, edited")
        .await
        .unwrap();
    assert_eq!(edited.thread_id, Some(thread(2)));
    assert_eq!(api.message(sent.id.0).unwrap().thread_id, Some(2));
    let answer = api.reply_text(USER, "thanks", sent.id.0);
    let updates = bot.get_updates().await.unwrap();
    let got = messages(&updates);
    assert_eq!((got[0].id.0, got[0].thread_id), (answer, Some(thread(2))));
    assert_eq!(got[0].reply_to_message().unwrap().id, sent.id);
    let back = bot
        .send_message(ChatId(forum), "you're welcome")
        .reply_parameters(ReplyParameters::new(MessageId(answer)))
        .await
        .unwrap();
    assert_eq!(back.thread_id, Some(thread(2)));
    assert_eq!(api.message(back.id.0).unwrap().reply_to, Some(answer));

    // Outside forums a thread id is ignored, except in private chats here.
    let supergroup = api.create_group(GroupKind::Supergroup, "Plain", &[USER]);
    let plain = bot
        .send_message(ChatId(supergroup), "plain")
        .message_thread_id(thread(7))
        .await
        .unwrap();
    assert_eq!(plain.thread_id, None);
    let private = bot
        .send_message(ChatId(USER), "private")
        .message_thread_id(thread(7))
        .await;
    assert_refused(private, "Bad Request: message thread not found");
    let unknown = bot.send_message(ChatId(-999), "nobody").await.unwrap_err();
    assert!(
        matches!(unknown, RequestError::Api(ApiError::ChatNotFound)),
        "{unknown:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn topics_open_close_and_go_as_telegram_allows() {
    let api = BotApi::start().await;
    let forum = api.create_group(GroupKind::Forum, "Work", &[USER]);
    let bot = api.bot();
    let chat = ChatId(forum);
    let ours = bot
        .create_forum_topic(chat, "build")
        .await
        .unwrap()
        .thread_id;
    let theirs = api.create_topic(forum, USER, "chat");

    bot.edit_forum_topic(chat, ours)
        .name("build-2")
        .await
        .unwrap();
    assert_eq!(api.topic(forum, ours.0.0).unwrap().name, "build-2");
    let same = bot.edit_forum_topic(chat, ours).name("build-2").await;
    assert_refused(same, "Bad Request: TOPIC_NOT_MODIFIED");
    bot.close_forum_topic(chat, ours).await.unwrap();
    assert!(api.topic(forum, ours.0.0).unwrap().closed);
    assert_refused(
        bot.close_forum_topic(chat, ours).await,
        "Bad Request: TOPIC_NOT_MODIFIED",
    );
    // An administrator who may manage topics still posts in closed ones.
    let still = bot
        .send_message(chat, "still here")
        .message_thread_id(ours)
        .await
        .unwrap();
    bot.reopen_forum_topic(chat, ours).await.unwrap();
    assert!(!api.topic(forum, ours.0.0).unwrap().closed);
    bot.close_forum_topic(chat, thread(theirs)).await.unwrap();

    // A plain member: only the topics it opened are its to manage.
    api.set_member(forum, BOT_ID, Membership::Member);
    assert_refused(
        bot.create_forum_topic(chat, "more").await,
        "Bad Request: not enough rights to create a topic",
    );
    bot.close_forum_topic(chat, ours).await.unwrap();
    assert_refused(
        bot.reopen_forum_topic(chat, thread(theirs)).await,
        "Bad Request: not enough rights to close or open the topic",
    );
    assert_refused(
        bot.edit_forum_topic(chat, thread(theirs)).name("x").await,
        "Bad Request: not enough rights to edit the topic",
    );
    assert_refused(
        bot.send_message(chat, "x")
            .message_thread_id(thread(theirs))
            .await,
        "Bad Request: TOPIC_CLOSED",
    );
    assert_refused(
        bot.delete_forum_topic(chat, thread(theirs)).await,
        "Bad Request: not enough rights to delete the topic",
    );

    // Deleted topics take their messages with them.
    bot.delete_forum_topic(chat, ours).await.unwrap();
    assert_eq!(api.topic(forum, ours.0.0), None);
    assert!(api.message(still.id.0).is_none());
    assert_refused(
        bot.send_message(chat, "x").message_thread_id(ours).await,
        "Bad Request: message thread not found",
    );
    assert_refused(
        bot.edit_forum_topic(chat, ours).name("x").await,
        "Bad Request: TOPIC_ID_INVALID",
    );
    // A topic deleted by hand.
    api.delete_topic(forum, theirs);
    assert_refused(
        bot.send_message(chat, "x")
            .message_thread_id(thread(theirs))
            .await,
        "Bad Request: message thread not found",
    );

    let group = api.create_group(GroupKind::Group, "Team", &[USER]);
    assert_refused(
        bot.create_forum_topic(ChatId(group), "x").await,
        "Bad Request: the chat is not a forum",
    );
    api.set_member(forum, BOT_ID, Membership::Left);
    let err = bot.send_message(chat, "x").await.unwrap_err();
    assert!(
        matches!(&err, RequestError::Api(ApiError::Unknown(d)) if d == "Forbidden: bot is not a member of the supergroup chat"),
        "{err:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn get_chat_and_get_chat_member_describe_the_chat() {
    let api = BotApi::start().await;
    let forum = api.create_group(GroupKind::Forum, "Work", &[USER, BOB]);
    let group = api.create_group(GroupKind::Group, "Team", &[USER]);
    let bot = api.bot();

    let info = bot.get_chat(ChatId(forum)).await.unwrap();
    assert!(info.is_supergroup());
    assert_eq!(info.title(), Some("Work"));
    assert_eq!(as_json(&info)["is_forum"], json!(true));
    let info = bot.get_chat(ChatId(group)).await.unwrap();
    assert!(info.is_group());
    assert_eq!(info.title(), Some("Team"));
    assert_eq!(as_json(&info).get("is_forum"), None);
    let info = bot.get_chat(ChatId(USER)).await.unwrap();
    assert!(info.is_private());
    assert_eq!(info.username(), Some("user4242"));
    let err = bot.get_chat(ChatId(-999)).await.unwrap_err();
    assert!(
        matches!(err, RequestError::Api(ApiError::ChatNotFound)),
        "{err:?}"
    );

    let member = |user: i64| bot.get_chat_member(ChatId(forum), UserId(user as u64));
    let ChatMemberKind::Administrator(rights) = member(BOT_ID).await.unwrap().kind else {
        panic!("the bot is an administrator of a new group");
    };
    assert!(rights.can_manage_topics && rights.can_pin_messages && rights.can_delete_messages);
    let narrow = AdminRights {
        can_manage_topics: true,
        ..AdminRights::default()
    };
    api.set_member(forum, BOT_ID, Membership::Administrator(narrow));
    let ChatMemberKind::Administrator(rights) = member(BOT_ID).await.unwrap().kind else {
        panic!("still an administrator");
    };
    assert_eq!(
        (
            rights.can_manage_topics,
            rights.can_pin_messages,
            rights.can_delete_messages
        ),
        (true, false, false)
    );
    let me = member(BOT_ID).await.unwrap();
    assert_eq!(me.user.id.0 as i64, BOT_ID);
    assert!(me.user.is_bot);
    assert!(member(USER).await.unwrap().kind.is_owner());
    assert!(member(BOB).await.unwrap().kind.is_member());
    assert!(member(777).await.unwrap().kind.is_left());
    api.set_member(forum, BOB, Membership::Left);
    assert!(member(BOB).await.unwrap().kind.is_left());
    let private = bot
        .get_chat_member(ChatId(USER), UserId(USER as u64))
        .await
        .unwrap();
    assert!(private.kind.is_member());
}

#[tokio::test(flavor = "multi_thread")]
async fn pins_need_the_right_in_groups() {
    let api = BotApi::start().await;
    let forum = api.create_group(GroupKind::Forum, "Work", &[USER]);
    let bot = api.bot();
    let a = bot.send_message(ChatId(USER), "a").await.unwrap().id;
    bot.pin_chat_message(ChatId(USER), a).await.unwrap();
    assert_eq!(api.pinned(USER), [a.0]);

    let b = bot.send_message(ChatId(forum), "b").await.unwrap().id;
    let c = bot.send_message(ChatId(forum), "c").await.unwrap().id;
    for id in [b, c, b] {
        bot.pin_chat_message(ChatId(forum), id).await.unwrap();
    }
    assert_eq!(api.pinned(forum), [c.0, b.0]);
    bot.unpin_chat_message(ChatId(forum)).await.unwrap();
    assert_eq!(api.pinned(forum), [c.0]);
    bot.unpin_chat_message(ChatId(forum))
        .message_id(c)
        .await
        .unwrap();
    assert!(api.pinned(forum).is_empty());
    assert_refused(
        bot.unpin_chat_message(ChatId(forum)).await,
        "Bad Request: message to unpin not found",
    );
    assert_refused(
        bot.pin_chat_message(ChatId(forum), MessageId(999)).await,
        "Bad Request: message to pin not found",
    );

    let no_pins = AdminRights {
        can_pin_messages: false,
        ..AdminRights::all()
    };
    api.set_member(forum, BOT_ID, Membership::Administrator(no_pins));
    let err = bot.pin_chat_message(ChatId(forum), b).await.unwrap_err();
    assert!(
        matches!(
            err,
            RequestError::Api(ApiError::NotEnoughRightsToManagePins)
        ),
        "{err:?}"
    );
    assert!(api.pinned(forum).is_empty());
}
