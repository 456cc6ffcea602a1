//! What users do, injected by tests: text and media in private chats,
//! groups and forum topics, button taps, and the groups and topics they
//! make. Misuse (a tap on an unknown message, a post by a non-member) is a
//! bug in the test and panics.

use serde_json::{Map, Value, json};

use super::{
    BOT_ID, BotApi,
    json::{as_replied, set_thread, unix_now, user},
    model::{AdminRights, Group, GroupKind, Media, Membership, Model, Place, UserMedia},
    rules::command_len,
};

/// The icon colour of topics users open (Telegram's blue).
const USER_TOPIC_COLOR: u32 = 0x6FB9F0;

/// The content fields of a text message; a leading `/command` gets a
/// `bot_command` entity, as Telegram adds.
fn text_fields(text: &str) -> Map<String, Value> {
    let mut fields = Map::new();
    fields.insert("text".into(), text.into());
    if let Some(length) = command_len(text) {
        let entity = json!([{"type": "bot_command", "offset": 0, "length": length}]);
        fields.insert("entities".into(), entity);
    }
    fields
}

/// Where `message` was posted (any private chat counts as the poster's own).
fn place_of(message: &Value) -> Place {
    let chat = message["chat"]["id"].as_i64().unwrap_or_default();
    let thread = message["message_thread_id"].as_i64();
    match thread {
        _ if chat > 0 => Place::Private,
        Some(thread) if message["is_topic_message"] == json!(true) => {
            Place::Topic(chat, thread as i32)
        }
        _ => Place::Chat(chat),
    }
}

impl BotApi {
    /// Injects a private-chat text message from `from_user`; returns its id.
    /// A leading `/command` gets a `bot_command` entity, as Telegram adds.
    pub fn send_text(&self, from_user: i64, text: &str) -> i32 {
        self.send_text_in(Place::Private, from_user, text)
    }

    /// Injects `from_user`'s text message into `place`; returns its id. In a
    /// topic it replies, as Telegram shows it, to the topic's opening message.
    pub fn send_text_in(&self, place: Place, from_user: i64, text: &str) -> i32 {
        self.post(place, from_user, text_fields(text), None)
    }

    /// Injects `from_user`'s text message replying to message `reply_to`
    /// (which must exist), where that message is; returns its id.
    pub fn reply_text(&self, from_user: i64, text: &str, reply_to: i32) -> i32 {
        let place = self.place_of_message(reply_to);
        self.post(place, from_user, text_fields(text), Some(reply_to))
    }

    /// Injects `from_user`'s voice note, audio file, photo or document into
    /// `place`, with `caption`; returns the message id and the file ids,
    /// which `getFile` resolves.
    pub fn send_media(
        &self,
        place: Place,
        from_user: i64,
        media: Media,
        caption: Option<&str>,
    ) -> UserMedia {
        self.post_media(place, from_user, media, caption, None)
    }

    /// Injects `from_user`'s media replying to message `reply_to` (which
    /// must exist), where that message is.
    pub fn reply_media(
        &self,
        from_user: i64,
        media: Media,
        caption: Option<&str>,
        reply_to: i32,
    ) -> UserMedia {
        let place = self.place_of_message(reply_to);
        self.post_media(place, from_user, media, caption, Some(reply_to))
    }

    fn post_media(
        &self,
        place: Place,
        from_user: i64,
        media: Media,
        caption: Option<&str>,
        reply_to: Option<i32>,
    ) -> UserMedia {
        let mut model = self.shared.lock();
        let (mut fields, file_ids) = model.media_fields(media);
        if let Some(caption) = caption {
            fields.insert("caption".into(), caption.into());
        }
        let message_id = model.user_message(place, from_user, fields, reply_to);
        drop(model);
        self.shared.notify();
        UserMedia {
            message_id,
            file_ids,
        }
    }

    /// Where message `id` (which must exist) is.
    fn place_of_message(&self, id: i32) -> Place {
        let model = self.shared.lock();
        let message = model.messages.get(&id);
        place_of(message.unwrap_or_else(|| panic!("no message {id} to reply to")))
    }

    fn post(
        &self,
        place: Place,
        from_user: i64,
        fields: Map<String, Value>,
        reply_to: Option<i32>,
    ) -> i32 {
        let id = self
            .shared
            .lock()
            .user_message(place, from_user, fields, reply_to);
        self.shared.notify();
        id
    }

    /// Injects `from_user`'s tap on a button of message `message_id` carrying
    /// `data` (any string: forged payloads welcome); returns the callback query id.
    pub fn tap(&self, from_user: i64, message_id: i32, data: &str) -> String {
        let mut model = self.shared.lock();
        let message = model
            .messages
            .get(&message_id)
            .unwrap_or_else(|| panic!("tap: no message {message_id}"))
            .clone();
        model.next_callback += 1;
        let id = format!("cbq-{}", model.next_callback);
        model.callbacks.insert(id.clone(), false);
        let query = json!({
            "id": id,
            "from": user(from_user),
            "message": message,
            "chat_instance": format!("instance-{}", message["chat"]["id"]),
            "data": data,
        });
        model.push_update("callback_query", query);
        drop(model);
        self.shared.notify();
        id
    }

    /// Taps the button of message `message_id` labelled `label` (a default's
    /// ⭐ aside), else the first whose text contains `label` (a label may hold
    /// a random temp folder: "No" is in `…/.tmpNoX1b/…`); panics listing the
    /// buttons if there is none.
    pub fn tap_button(&self, from_user: i64, message_id: i32, label: &str) -> String {
        let message = self
            .message(message_id)
            .unwrap_or_else(|| panic!("tap_button: no bot message {message_id}"));
        let buttons = message.buttons();
        let exact = |text: &str| text.strip_prefix("⭐ ").unwrap_or(text) == label;
        let found = (buttons.iter().find(|(text, _)| exact(text)))
            .or_else(|| buttons.iter().find(|(text, _)| text.contains(label)));
        let Some((_, data)) = found else {
            panic!(
                "tap_button: no button containing {label:?} on message {message_id}: {buttons:?}"
            );
        };
        self.tap(from_user, message_id, data)
    }

    /// Creates a group chat of `kind` titled `title`: `members[0]` owns it,
    /// the others are members, and the bot is an administrator with every
    /// right (change it with [`BotApi::set_member`]). Returns its chat id:
    /// `-100…` for supergroups and forums, as in the Bot API.
    pub fn create_group(&self, kind: GroupKind, title: &str, members: &[i64]) -> i64 {
        let mut model = self.shared.lock();
        model.last_group += 1;
        let n = 100 + model.last_group;
        let id = match kind {
            GroupKind::Group => -n,
            GroupKind::Supergroup | GroupKind::Forum => -1_000_000_000_000 - n,
        };
        let mut standing: Vec<(i64, Membership)> =
            members.iter().map(|&m| (m, Membership::Member)).collect();
        if let Some(owner) = standing.first_mut() {
            owner.1 = Membership::Owner;
        }
        standing.push((BOT_ID, Membership::Administrator(AdminRights::all())));
        let group = Group {
            kind,
            title: title.to_owned(),
            members: standing.into_iter().collect(),
            topics: Default::default(),
        };
        model.groups.insert(id, group);
        id
    }

    /// Sets `user`'s standing in group `chat` (the bot's too, as [`super::BOT_ID`]).
    pub fn set_member(&self, chat: i64, user: i64, membership: Membership) {
        let mut model = self.shared.lock();
        let group = model.groups.get_mut(&chat);
        let group = group.unwrap_or_else(|| panic!("set_member: no group {chat}"));
        group.members.insert(user, membership);
    }

    /// Opens a topic named `name` in forum `chat` as `from_user` did by hand
    /// (the bot gets its `forum_topic_created` service message); returns its
    /// thread id.
    pub fn create_topic(&self, chat: i64, from_user: i64, name: &str) -> i32 {
        let mut model = self.shared.lock();
        model.check_poster(chat, from_user);
        let forum = model.groups[&chat].kind == GroupKind::Forum;
        assert!(forum, "create_topic: chat {chat} is not a forum");
        let thread = model.open_topic(chat, name, USER_TOPIC_COLOR, from_user);
        let opening = model.messages[&thread].clone();
        model.push_update("message", opening);
        drop(model);
        self.shared.notify();
        thread
    }

    /// Deletes topic `thread` of forum `chat` by hand, with its messages:
    /// later sends into it fail with "message thread not found".
    pub fn delete_topic(&self, chat: i64, thread: i32) {
        self.shared.lock().remove_topic(chat, thread);
        self.shared.notify();
    }
}

impl Model {
    /// Panics unless `user` may post in group `chat`.
    fn check_poster(&self, chat: i64, user: i64) {
        let group = self.groups.get(&chat);
        let group = group.unwrap_or_else(|| panic!("no group {chat}"));
        assert!(
            group.membership(user) != Membership::Left,
            "user {user} is not in group {chat}"
        );
    }

    /// Stores and queues `from`'s message in `place` with content `fields`;
    /// returns its id.
    fn user_message(
        &mut self,
        place: Place,
        from: i64,
        fields: Map<String, Value>,
        reply_to: Option<i32>,
    ) -> i32 {
        let (chat, thread) = match place {
            Place::Private => (from, None),
            Place::Chat(chat) => (chat, None),
            Place::Topic(chat, thread) => (chat, Some(thread)),
        };
        if chat < 0 {
            self.check_poster(chat, from);
        }
        if let Some(thread) = thread {
            let topic = self.groups[&chat].topics.get(&thread);
            assert!(topic.is_some(), "no topic {thread} in chat {chat}");
        }
        let id = self.next_message_id();
        let mut message = json!({
            "message_id": id,
            "from": user(from),
            "chat": self.chat_json(chat),
            "date": unix_now(),
        });
        set_thread(&mut message, thread);
        for (key, value) in fields {
            message[key] = value;
        }
        let replied = match reply_to {
            Some(reply_to) => Some(
                self.messages
                    .get(&reply_to)
                    .unwrap_or_else(|| panic!("no message {reply_to} to reply to")),
            ),
            None => thread.and_then(|thread| self.messages.get(&thread)),
        };
        if let Some(replied) = replied {
            message["reply_to_message"] = as_replied(replied);
        }
        self.messages.insert(id, message.clone());
        self.push_update("message", message);
        id
    }
}
