//! Chat methods over the model: where a bot may post, `getChat`,
//! `getChatMember`, pins, and forum topics. Error texts are the Bot API
//! server's (TDLib's, first letter lowered).

use serde_json::{Value, json};

use super::{
    BOT_ID,
    json::{chat, chat_full, member, topic, topic_created},
    methods::{chat_id, id_field},
    model::{Group, GroupKind, Membership, Model, Topic},
    rules::{
        ApiError, GENERAL_TOPIC, Right, bad_request, require, thread_not_found, topic_invalid,
    },
};

/// The icon colour of a topic created without one (Telegram's blue).
const DEFAULT_ICON_COLOR: u32 = 0x6FB9F0;

/// The `message_thread_id` of a call.
fn thread_field(body: &Value) -> Option<i32> {
    body["message_thread_id"].as_i64().map(|t| t as i32)
}

impl Model {
    /// The `chat` JSON of chat `id`: a group a test created, else a user's
    /// private chat.
    pub(super) fn chat_json(&self, id: i64) -> Value {
        chat(id, self.groups.get(&id))
    }

    /// The group `id`, or Telegram's refusal for an unknown chat.
    fn group(&self, id: i64) -> Result<&Group, ApiError> {
        self.groups
            .get(&id)
            .ok_or_else(|| bad_request("chat not found"))
    }

    /// The forum `id`, or Telegram's refusal for a chat that is none.
    fn forum(&self, id: i64) -> Result<&Group, ApiError> {
        if id > 0 {
            return Err(bad_request("the chat is not a forum"));
        }
        let group = self.group(id)?;
        if group.kind != GroupKind::Forum {
            return Err(bad_request("the chat is not a forum"));
        }
        Ok(group)
    }

    /// Checks the bot may post in chat `chat_id`, in topic `thread` when it
    /// is a forum (Telegram ignores the thread elsewhere); returns the topic
    /// the message lands in (`None`: the General topic or no forum).
    pub(super) fn post_target(
        &self,
        chat_id: i64,
        thread: Option<i32>,
    ) -> Result<Option<i32>, ApiError> {
        if chat_id > 0 {
            // Private chats have no topics here.
            return match thread {
                Some(_) => Err(thread_not_found()),
                None => Ok(None),
            };
        }
        let group = self.group(chat_id)?;
        let bot = group.membership(BOT_ID);
        if bot == Membership::Left {
            let kind = match group.kind {
                GroupKind::Group => "group",
                GroupKind::Supergroup | GroupKind::Forum => "supergroup",
            };
            return Err(ApiError(
                403,
                format!("Forbidden: bot is not a member of the {kind} chat"),
            ));
        }
        let Some(thread) = thread.filter(|_| group.kind == GroupKind::Forum) else {
            return Ok(None);
        };
        if thread == GENERAL_TOPIC {
            return Err(thread_not_found());
        }
        let topic = group.topics.get(&thread).ok_or_else(thread_not_found)?;
        if topic.closed {
            require(&bot, Right::ManageTopics, "TOPIC_CLOSED")?;
        }
        Ok(Some(thread))
    }

    /// Checks the bot holds `right` in chat `chat_id` (always so in a
    /// private chat).
    fn require_in(&self, chat_id: i64, right: Right, refusal: &str) -> Result<(), ApiError> {
        if chat_id > 0 {
            return Ok(());
        }
        require(&self.group(chat_id)?.membership(BOT_ID), right, refusal)
    }

    /// `getChat`: a group a test created, or any user's private chat.
    pub(super) fn get_chat(&self, body: &Value) -> Result<Value, ApiError> {
        let id = chat_id(body)?;
        if id > 0 {
            return Ok(chat_full(id, None));
        }
        Ok(chat_full(id, Some(self.group(id)?)))
    }

    /// `getChatMember`: in a private chat, its user and the bot are members.
    pub(super) fn get_chat_member(&self, body: &Value) -> Result<Value, ApiError> {
        let id = chat_id(body)?;
        let user = id_field(body, "user_id").ok_or_else(|| bad_request("user not found"))?;
        let standing = if id > 0 && (user == id || user == BOT_ID) {
            Membership::Member
        } else if id > 0 {
            Membership::Left
        } else {
            self.group(id)?.membership(user)
        };
        Ok(member(user, &standing))
    }

    /// `pinChatMessage`: the message becomes the chat's newest pin.
    pub(super) fn pin(&mut self, body: &Value) -> Result<Value, ApiError> {
        let message = self.find_message(body, "message to pin not found")?;
        let chat = chat_id(body)?;
        self.require_in(chat, Right::PinMessages, PIN_REFUSAL)?;
        let pins = self.pinned.entry(chat).or_default();
        pins.retain(|&p| p != message);
        pins.push(message);
        Ok(json!(true))
    }

    /// `unpinChatMessage`: the given message, or else the newest pin.
    pub(super) fn unpin(&mut self, body: &Value) -> Result<Value, ApiError> {
        let chat = chat_id(body)?;
        let message = match body["message_id"].as_i64() {
            Some(_) => Some(self.find_message(body, "message to unpin not found")?),
            None => None,
        };
        self.require_in(chat, Right::PinMessages, PIN_REFUSAL)?;
        let pins = self.pinned.entry(chat).or_default();
        match message {
            Some(message) => pins.retain(|&p| p != message),
            None => {
                pins.pop()
                    .ok_or_else(|| bad_request("message to unpin not found"))?;
            }
        }
        Ok(json!(true))
    }

    /// Opens a topic in forum `chat` as `by` (a user, or the bot); returns its
    /// thread id, which is the id of its opening service message.
    pub(super) fn open_topic(&mut self, chat: i64, name: &str, icon_color: u32, by: i64) -> i32 {
        // A supergroup's message 1 is its creation notice: no topic gets
        // thread id 1, the General topic's.
        self.last_message_id = self.last_message_id.max(GENERAL_TOPIC);
        let thread = self.next_message_id();
        let topic = Topic {
            name: name.to_owned(),
            icon_color,
            closed: false,
            by_bot: by == BOT_ID,
        };
        let opening = topic_created(thread, self.chat_json(chat), by, &topic);
        self.messages.insert(thread, opening);
        let group = self.groups.get_mut(&chat).expect("a forum");
        group.topics.insert(thread, topic);
        thread
    }

    /// `createForumTopic`, which needs the right to manage topics.
    pub(super) fn create_topic(&mut self, body: &Value) -> Result<Value, ApiError> {
        let chat = chat_id(body)?;
        let forum = self.forum(chat)?;
        require(
            &forum.membership(BOT_ID),
            Right::ManageTopics,
            "not enough rights to create a topic",
        )?;
        let name = body["name"].as_str().unwrap_or_default().trim();
        if name.is_empty() {
            return Err(bad_request("title must be non-empty"));
        }
        let icon_color = body["icon_color"]
            .as_u64()
            .map_or(DEFAULT_ICON_COLOR, |c| c as u32);
        let thread = self.open_topic(chat, name, icon_color, BOT_ID);
        Ok(topic(thread, &self.groups[&chat].topics[&thread]))
    }

    /// The topic `body` names in a forum, after checking the bot may act on
    /// it: it opened the topic, or holds `right` (`refusal` if not).
    fn topic_mut(
        &mut self,
        body: &Value,
        right: Right,
        refusal: &str,
    ) -> Result<&mut Topic, ApiError> {
        let chat = chat_id(body)?;
        let forum = self.forum(chat)?;
        let thread = thread_field(body).ok_or_else(topic_invalid)?;
        let topic = forum.topics.get(&thread).ok_or_else(topic_invalid)?;
        if !topic.by_bot {
            require(&forum.membership(BOT_ID), right, refusal)?;
        }
        let group = self.groups.get_mut(&chat).expect("checked above");
        Ok(group.topics.get_mut(&thread).expect("checked above"))
    }

    /// `editForumTopic`: renames the topic (an icon change alone is accepted as is).
    pub(super) fn edit_topic(&mut self, body: &Value) -> Result<Value, ApiError> {
        let refusal = "not enough rights to edit the topic";
        let topic = self.topic_mut(body, Right::ManageTopics, refusal)?;
        let Some(name) = body["name"].as_str() else {
            return Ok(json!(true));
        };
        let name = name.trim();
        if name.is_empty() {
            return Err(bad_request("title must be non-empty"));
        }
        if name == topic.name {
            return Err(bad_request("TOPIC_NOT_MODIFIED"));
        }
        topic.name = name.to_owned();
        Ok(json!(true))
    }

    /// `closeForumTopic` (`close` true) or `reopenForumTopic`.
    pub(super) fn close_topic(&mut self, body: &Value, close: bool) -> Result<Value, ApiError> {
        let refusal = "not enough rights to close or open the topic";
        let topic = self.topic_mut(body, Right::ManageTopics, refusal)?;
        if topic.closed == close {
            return Err(bad_request("TOPIC_NOT_MODIFIED"));
        }
        topic.closed = close;
        Ok(json!(true))
    }

    /// `deleteForumTopic`: the topic goes, with every message in it.
    pub(super) fn delete_topic(&mut self, body: &Value) -> Result<Value, ApiError> {
        let refusal = "not enough rights to delete the topic";
        self.topic_mut(body, Right::DeleteMessages, refusal)?;
        let chat = chat_id(body)?;
        let thread = thread_field(body).expect("checked by topic_mut");
        self.remove_topic(chat, thread);
        Ok(json!(true))
    }

    /// Removes topic `thread` of forum `chat` and its messages.
    pub(super) fn remove_topic(&mut self, chat: i64, thread: i32) {
        if let Some(group) = self.groups.get_mut(&chat) {
            group.topics.remove(&thread);
        }
        self.messages.retain(|_, m| {
            m["chat"]["id"].as_i64() != Some(chat)
                || m["message_thread_id"].as_i64() != Some(i64::from(thread))
        });
    }
}

/// Telegram's refusal to pin or unpin without the right.
const PIN_REFUSAL: &str = "not enough rights to manage pinned messages in the chat";
