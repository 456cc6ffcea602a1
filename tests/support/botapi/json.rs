//! Telegram-shaped JSON: users, chats, messages, topics, members, files,
//! and the `{"ok":..,"result"|"description"}` envelope.

use std::time::{SystemTime, UNIX_EPOCH};

use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde_json::{Map, Value, json};

use super::{
    BOT_ID, BOT_USERNAME,
    model::{Group, GroupKind, Membership, SentMessage, StoredFile, Topic},
    rules::ApiError,
};

/// Seconds since the epoch, for `date` fields.
pub(super) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs()
}

/// A successful reply carrying `result`.
pub(super) fn ok_response(result: Value) -> Response {
    Json(json!({"ok": true, "result": result})).into_response()
}

/// A refusal, with `parameters` (e.g. `retry_after`) if given.
pub(super) fn error_response(error: ApiError, parameters: Option<Value>) -> Response {
    let ApiError(code, description) = error;
    let mut body = json!({"ok": false, "error_code": code, "description": description});
    if let Some(parameters) = parameters {
        body["parameters"] = parameters;
    }
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, Json(body)).into_response()
}

/// The bot as a `User`.
pub(super) fn bot_user() -> Value {
    json!({"id": BOT_ID, "is_bot": true, "first_name": "tgmux test", "username": BOT_USERNAME})
}

/// `getMe`'s answer: the bot user and its capability flags.
pub(super) fn me() -> Value {
    let mut me = bot_user();
    let flags = [
        "can_join_groups",
        "can_read_all_group_messages",
        "supports_inline_queries",
        "can_connect_to_business",
        "has_main_web_app",
    ];
    for flag in flags {
        me[flag] = false.into();
    }
    me
}

/// User `id`, named `User{id}` / `user{id}`; the bot for [`BOT_ID`].
pub(super) fn user(id: i64) -> Value {
    if id == BOT_ID {
        return bot_user();
    }
    json!({
        "id": id,
        "is_bot": false,
        "first_name": format!("User{id}"),
        "username": format!("user{id}"),
        "language_code": "en",
    })
}

/// The `chat` of a message: `group`'s, or user `id`'s private chat.
pub(super) fn chat(id: i64, group: Option<&Group>) -> Value {
    let Some(group) = group else {
        let (first_name, username) = (format!("User{id}"), format!("user{id}"));
        return json!({"id": id, "type": "private", "first_name": first_name, "username": username});
    };
    let mut chat = json!({"id": id, "title": group.title});
    chat["type"] = match group.kind {
        GroupKind::Group => "group",
        GroupKind::Supergroup | GroupKind::Forum => "supergroup",
    }
    .into();
    if group.kind == GroupKind::Forum {
        chat["is_forum"] = true.into();
    }
    chat
}

/// `getChat`'s answer (a `ChatFullInfo`).
pub(super) fn chat_full(id: i64, group: Option<&Group>) -> Value {
    let mut full = chat(id, group);
    full["accent_color_id"] = 0.into();
    full["max_reaction_count"] = 11.into();
    full["accepted_gift_types"] = json!({
        "unlimited_gifts": false,
        "limited_gifts": false,
        "unique_gifts": false,
        "premium_subscription": false,
    });
    full
}

/// Marks `message` as sent in forum topic `thread`, if any.
pub(super) fn set_thread(message: &mut Value, thread: Option<i32>) {
    if let Some(thread) = thread {
        message["message_thread_id"] = thread.into();
        message["is_topic_message"] = true.into();
    }
}

/// The Message JSON Telegram returns for a bot message: visible text only
/// (no entities), inline keyboard if any. `file` is the uploaded document's.
pub(super) fn bot_message(sent: &SentMessage, chat: Value, file: Option<&StoredFile>) -> Value {
    let mut message = json!({
        "message_id": sent.message_id,
        "from": bot_user(),
        "chat": chat,
        "date": unix_now(),
    });
    set_thread(&mut message, sent.thread_id);
    match (&sent.document, file) {
        (Some(document), Some(file)) => {
            let mut fields = file_fields(file);
            fields.insert("file_name".into(), document.filename.clone().into());
            message["document"] = Value::Object(fields);
            if !sent.visible.is_empty() {
                message["caption"] = sent.visible.clone().into();
            }
        }
        _ => message["text"] = sent.visible.clone().into(),
    }
    if let Some(markup) = &sent.reply_markup {
        message["reply_markup"] = markup.clone();
    }
    message
}

/// A message as nested in `reply_to_message`: Telegram nests one level only.
pub(super) fn as_replied(message: &Value) -> Value {
    let mut replied = message.clone();
    if let Some(fields) = replied.as_object_mut() {
        fields.remove("reply_to_message");
    }
    replied
}

/// The fields every file object has: id, unique id and size.
pub(super) fn file_fields(file: &StoredFile) -> Map<String, Value> {
    let mut fields = Map::new();
    fields.insert("file_id".into(), file.id.clone().into());
    fields.insert("file_unique_id".into(), file.unique_id.clone().into());
    fields.insert("file_size".into(), file.size.into());
    fields
}

/// `getFile`'s answer.
pub(super) fn file(file: &StoredFile) -> Value {
    let mut fields = file_fields(file);
    fields.insert("file_path".into(), file.path.clone().into());
    Value::Object(fields)
}

/// A `ForumTopic`, as `createForumTopic` returns it.
pub(super) fn topic(thread: i32, topic: &Topic) -> Value {
    json!({"message_thread_id": thread, "name": topic.name, "icon_color": topic.icon_color})
}

/// The service message that opens a topic; its id is the topic's thread id.
pub(super) fn topic_created(thread: i32, chat: Value, by: i64, topic: &Topic) -> Value {
    let mut message = json!({
        "message_id": thread,
        "from": user(by),
        "chat": chat,
        "date": unix_now(),
        "forum_topic_created": {"name": topic.name, "icon_color": topic.icon_color},
    });
    set_thread(&mut message, Some(thread));
    message
}

/// A `ChatMember` for user `id` standing as `membership`.
pub(super) fn member(id: i64, membership: &Membership) -> Value {
    let mut member = json!({"user": user(id)});
    match membership {
        Membership::Owner => {
            member["status"] = "creator".into();
            member["is_anonymous"] = false.into();
        }
        Membership::Administrator(rights) => {
            member["status"] = "administrator".into();
            let flags = [
                ("can_be_edited", false),
                ("is_anonymous", false),
                ("can_manage_chat", rights.can_manage_chat),
                ("can_change_info", rights.can_change_info),
                ("can_delete_messages", rights.can_delete_messages),
                ("can_invite_users", rights.can_invite_users),
                ("can_restrict_members", rights.can_restrict_members),
                ("can_pin_messages", rights.can_pin_messages),
                ("can_manage_topics", rights.can_manage_topics),
                ("can_promote_members", rights.can_promote_members),
                ("can_manage_video_chats", rights.can_manage_video_chats),
                ("can_post_stories", false),
                ("can_edit_stories", false),
                ("can_delete_stories", false),
            ];
            for (flag, value) in flags {
                member[flag] = value.into();
            }
        }
        Membership::Member => member["status"] = "member".into(),
        Membership::Left => member["status"] = "left".into(),
    }
    member
}
