//! The server's model of one bot's world as plain data: chats with their
//! members and topics, messages, pending updates, callback queries, files and
//! the record of every call. What Telegram refuses lives in `rules`; the
//! methods that change the model live in `methods`, `chats` and `files`.

use std::{
    collections::{HashMap, VecDeque},
    time::Instant,
};

use serde_json::{Map, Value};

use super::faults::{Fault, Outage};

/// One request the bot made.
#[derive(Clone, Debug)]
pub struct Call {
    /// Bot API method name, e.g. `sendMessage`; file downloads are recorded
    /// as `downloadFile` with body `{"file_path": ...}`.
    pub method: String,
    /// The JSON body, or the multipart text fields as a JSON object (JSON-typed
    /// fields parsed; an uploaded `document` shown as `{file_name, file_size}`).
    pub body: Value,
    /// When the server received it.
    pub at: Instant,
    /// `None` if the call succeeded (or is a pending long poll), else the error
    /// description it was answered with, injected faults included.
    pub error: Option<String>,
}

/// A file the bot uploaded with `sendDocument`; its caption and topic are
/// the `text` and `thread_id` of the [`SentMessage`] that carries it.
#[derive(Clone, Debug, PartialEq)]
pub struct SentDocument {
    /// The file name from the multipart part.
    pub filename: String,
    /// The file's contents.
    pub bytes: Vec<u8>,
    /// The file id Telegram gave it, which `getFile` resolves.
    pub file_id: String,
}

/// A message the bot sent, as sent or as it stands after an edit.
#[derive(Clone, Debug)]
pub struct SentMessage {
    /// The chat it was sent to.
    pub chat_id: i64,
    /// Its id.
    pub message_id: i32,
    /// The forum topic it landed in (`None` in the General topic and outside forums).
    pub thread_id: Option<i32>,
    /// Text (or document caption; empty if none) exactly as the bot sent it.
    pub text: String,
    /// What the user sees: `text` with the HTML markup parsed away.
    pub visible: String,
    /// `parse_mode` as sent, e.g. `HTML`.
    pub parse_mode: Option<String>,
    /// The inline keyboard as sent, e.g. `{"inline_keyboard": [[...]]}` (other
    /// markups, like `remove_keyboard`, show only in the call's body).
    pub reply_markup: Option<Value>,
    /// The message this one replies to.
    pub reply_to: Option<i32>,
    /// The uploaded file, for `sendDocument`.
    pub document: Option<SentDocument>,
    /// When it was sent or, for an edited version, edited.
    pub at: Instant,
}

impl SentMessage {
    /// The inline keyboard's buttons, row by row flattened, as `(text, callback_data)`
    /// (`callback_data` empty for URL and other buttons).
    pub fn buttons(&self) -> Vec<(String, String)> {
        let rows = self
            .reply_markup
            .as_ref()
            .and_then(|m| m["inline_keyboard"].as_array());
        rows.into_iter()
            .flatten()
            .filter_map(Value::as_array)
            .flatten()
            .map(|b| {
                let field = |k: &str| b[k].as_str().unwrap_or_default().to_owned();
                (field("text"), field("callback_data"))
            })
            .collect()
    }
}

/// An `answerCallbackQuery` call.
#[derive(Clone, Debug)]
pub struct CallbackAnswer {
    /// The id [`super::BotApi::tap`] returned.
    pub callback_query_id: String,
    /// The notification text, if any.
    pub text: Option<String>,
    /// Whether it is shown as an alert rather than a toast.
    pub show_alert: bool,
    /// When it was answered.
    pub at: Instant,
}

/// One `getUpdates` call that reached the update queue (faulted ones do not).
#[derive(Clone, Debug, PartialEq)]
pub struct Poll {
    /// The `offset` it passed: every update below it is confirmed and forgotten.
    pub offset: Option<i64>,
    /// When it arrived.
    pub at: Instant,
    /// How it ended, so far.
    pub answer: PollAnswer,
}

impl Poll {
    /// Whether this call returned update `update_id`.
    pub fn delivered(&self, update_id: i64) -> bool {
        matches!(&self.answer, PollAnswer::Delivered(ids) if ids.contains(&update_id))
    }
}

/// How a `getUpdates` call ended.
#[derive(Clone, Debug, PartialEq)]
pub enum PollAnswer {
    /// Still long-polling.
    Waiting,
    /// Answered with these update ids (none after its timeout or a shutdown).
    Delivered(Vec<i64>),
    /// Ended by a newer `getUpdates` with Telegram's 409 Conflict.
    Conflict,
}

/// Where a user's message goes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Place {
    /// The user's private chat with the bot.
    Private,
    /// A group's chat; in a forum, its General topic.
    Chat(i64),
    /// A forum topic: chat id and `message_thread_id`.
    Topic(i64, i32),
}

/// The kinds of group chat a test can create.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum GroupKind {
    /// A basic group (`type: group`).
    Group,
    /// A supergroup without topics.
    Supergroup,
    /// A supergroup with topics (`is_forum: true`).
    Forum,
}

/// Someone's standing in a group, as `getChatMember` reports it.
#[derive(Clone, Debug, PartialEq)]
pub enum Membership {
    /// `creator`: may do everything.
    Owner,
    /// `administrator` with these rights.
    Administrator(AdminRights),
    /// `member`.
    Member,
    /// `left`: not in the chat.
    Left,
}

/// An administrator's rights, named as in Telegram's
/// `ChatMemberAdministrator` (all `false` by default). The server enforces
/// three: topics, pins, and deleting topics.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AdminRights {
    pub can_manage_chat: bool,
    pub can_change_info: bool,
    /// Needed to delete a topic the bot did not open.
    pub can_delete_messages: bool,
    pub can_invite_users: bool,
    pub can_restrict_members: bool,
    /// Needed to pin and unpin in groups.
    pub can_pin_messages: bool,
    /// Needed to create topics, to manage those the bot did not open, and
    /// to post in closed ones.
    pub can_manage_topics: bool,
    pub can_promote_members: bool,
    pub can_manage_video_chats: bool,
}

impl AdminRights {
    /// Every right: what the bot gets in a group a test creates.
    pub fn all() -> AdminRights {
        AdminRights {
            can_manage_chat: true,
            can_change_info: true,
            can_delete_messages: true,
            can_invite_users: true,
            can_restrict_members: true,
            can_pin_messages: true,
            can_manage_topics: true,
            can_promote_members: true,
            can_manage_video_chats: true,
        }
    }
}

/// A live forum topic.
#[derive(Clone, Debug, PartialEq)]
pub struct Topic {
    /// Its name.
    pub name: String,
    /// Its icon colour, as RGB.
    pub icon_color: u32,
    /// Whether it is closed.
    pub closed: bool,
    /// Whether the bot created it (then it may manage it without admin rights).
    pub by_bot: bool,
}

/// A file a user sends; the test gives its bytes.
#[derive(Clone, Debug, PartialEq)]
pub struct TestFile {
    /// What a download of it serves.
    pub bytes: Vec<u8>,
    /// The size Telegram reports: the length of `bytes` unless set larger
    /// with [`TestFile::reported_size`].
    pub size: u64,
}

impl TestFile {
    /// A file of these bytes.
    pub fn new(bytes: impl Into<Vec<u8>>) -> TestFile {
        let bytes = bytes.into();
        let size = bytes.len() as u64;
        TestFile { bytes, size }
    }

    /// Reports `size` bytes instead, e.g. more than the 20 MB `getFile`
    /// serves, without holding them.
    pub fn reported_size(self, size: u64) -> TestFile {
        TestFile { size, ..self }
    }
}

/// A voice note, audio file, photo or document a user sends.
#[derive(Clone, Debug, PartialEq)]
pub enum Media {
    /// A voice note (`audio/ogg`), `duration` seconds long.
    Voice { file: TestFile, duration: u32 },
    /// A music file.
    Audio {
        file: TestFile,
        duration: u32,
        file_name: String,
        mime_type: String,
        title: Option<String>,
    },
    /// A photo, as Telegram sends it: one file per size, smallest first.
    Photo(Vec<PhotoSize>),
    /// Any other file.
    Document {
        file: TestFile,
        file_name: String,
        mime_type: String,
    },
}

/// One size of a [`Media::Photo`]: its file and dimensions in pixels.
#[derive(Clone, Debug, PartialEq)]
pub struct PhotoSize {
    pub file: TestFile,
    pub width: u32,
    pub height: u32,
}

/// A user's media message as injected.
#[derive(Clone, Debug, PartialEq)]
pub struct UserMedia {
    /// The message's id.
    pub message_id: i32,
    /// The file ids it carries (`file-N`), in the order given: one for a
    /// photo's every size.
    pub file_ids: Vec<String>,
}

/// A group chat a test created.
pub(super) struct Group {
    pub(super) kind: GroupKind,
    pub(super) title: String,
    /// Standing of everyone who is or was in it, the bot included.
    pub(super) members: HashMap<i64, Membership>,
    /// Live topics by `message_thread_id`; deleted ones are removed.
    pub(super) topics: HashMap<i32, Topic>,
}

impl Group {
    /// Someone's standing; `Left` for strangers.
    pub(super) fn membership(&self, user: i64) -> Membership {
        self.members.get(&user).cloned().unwrap_or(Membership::Left)
    }
}

/// A file the server can serve: uploaded by the bot or sent by a user.
pub(super) struct StoredFile {
    pub(super) id: String,
    pub(super) unique_id: String,
    /// The `file_path` `getFile` returns and downloads use.
    pub(super) path: String,
    pub(super) bytes: Vec<u8>,
    /// The size reported, which may exceed `bytes`.
    pub(super) size: u64,
}

/// Everything the server knows.
#[derive(Default)]
pub(super) struct Model {
    pub(super) calls: Vec<Call>,
    /// Updates not yet confirmed by a `getUpdates` offset.
    pub(super) updates: VecDeque<Value>,
    pub(super) last_update_id: i64,
    pub(super) polls: Vec<Poll>,
    pub(super) last_message_id: i32,
    /// The current JSON of every live message, the users' and the bot's.
    pub(super) messages: HashMap<i32, Value>,
    /// The bot's messages: as sent, then each edited version.
    pub(super) versions: HashMap<i32, Vec<SentMessage>>,
    /// Ids of the bot's messages in sending order.
    pub(super) sent_order: Vec<i32>,
    /// Callback query ids handed out, and whether each has been answered.
    pub(super) callbacks: HashMap<String, bool>,
    pub(super) next_callback: u64,
    pub(super) answers: Vec<CallbackAnswer>,
    pub(super) commands: Value,
    /// Group chats by id; a positive chat id is a user's private chat.
    pub(super) groups: HashMap<i64, Group>,
    pub(super) last_group: i64,
    /// Pinned message ids by chat, oldest pin first.
    pub(super) pinned: HashMap<i64, Vec<i32>>,
    /// Files by file id.
    pub(super) files: HashMap<String, StoredFile>,
    pub(super) last_file: u64,
    pub(super) faults: HashMap<String, VecDeque<Fault>>,
    /// Scheduled outages, in order.
    pub(super) outages: VecDeque<Outage>,
    pub(super) closed: bool,
}

impl Model {
    /// A fresh message id (ids are unique across chats here).
    pub(super) fn next_message_id(&mut self) -> i32 {
        self.last_message_id += 1;
        self.last_message_id
    }

    /// Queues an update of `kind` (`message`, `callback_query`) with a fresh id.
    pub(super) fn push_update(&mut self, kind: &str, payload: Value) {
        self.last_update_id += 1;
        let mut update = Map::new();
        update.insert("update_id".into(), self.last_update_id.into());
        update.insert(kind.into(), payload);
        self.updates.push_back(Value::Object(update));
    }

    /// The bot's messages as first sent, in sending order.
    pub(super) fn sent_messages(&self) -> Vec<SentMessage> {
        let first = |id: &i32| self.versions.get(id).and_then(|v| v.first()).cloned();
        self.sent_order.iter().filter_map(first).collect()
    }

    /// Forgets updates as a `getUpdates` offset asks: below a positive offset,
    /// or all but the last `-offset` for a negative one.
    pub(super) fn confirm(&mut self, offset: i64) {
        if offset > 0 {
            self.updates
                .retain(|u| u["update_id"].as_i64().unwrap_or(0) >= offset);
        } else if offset < 0 {
            let keep = offset.unsigned_abs() as usize;
            let len = self.updates.len();
            self.updates.drain(..len.saturating_sub(keep));
        }
    }
}
