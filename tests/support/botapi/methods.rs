//! The Bot API methods over the model: dispatch by name, and the message
//! methods (send, edit, delete, callback answers, commands). Chat and topic
//! methods live in `chats`, file methods in `files`.

use std::time::Instant;

use serde_json::{Value, json};

use super::{
    json::{as_replied, bot_message, me, unix_now},
    model::{CallbackAnswer, Model, SentDocument, SentMessage},
    rules::{ApiError, bad_request, check_caption, check_command, check_text, reply_markup},
};

/// The methods served, in Telegram's spelling (teloxide sends `SendMessage`;
/// Telegram, and this server, match names case-insensitively).
const METHODS: &[&str] = &[
    "getMe",
    "getUpdates",
    "sendMessage",
    "sendDocument",
    "editMessageText",
    "editMessageReplyMarkup",
    "deleteMessage",
    "answerCallbackQuery",
    "setMyCommands",
    "getMyCommands",
    "deleteWebhook",
    "getWebhookInfo",
    "sendChatAction",
    "getChat",
    "getChatMember",
    "pinChatMessage",
    "unpinChatMessage",
    "createForumTopic",
    "editForumTopic",
    "closeForumTopic",
    "reopenForumTopic",
    "deleteForumTopic",
    "getFile",
];

/// `method` in Telegram's spelling if it is one this server knows.
pub(super) fn canonical(method: &str) -> String {
    let known = METHODS.iter().find(|m| m.eq_ignore_ascii_case(method));
    known.map_or(method, |m| m).to_owned()
}

/// A file uploaded in a multipart request.
pub(super) struct Upload {
    pub(super) filename: String,
    pub(super) bytes: Vec<u8>,
}

/// An id from `body[field]`, sent as a number or a numeric string.
pub(super) fn id_field(body: &Value, field: &str) -> Option<i64> {
    let id = &body[field];
    id.as_i64()
        .or_else(|| id.as_str().and_then(|s| s.parse().ok()))
}

/// The `chat_id` of a call.
pub(super) fn chat_id(body: &Value) -> Result<i64, ApiError> {
    id_field(body, "chat_id").ok_or_else(|| bad_request("chat not found"))
}

impl Model {
    /// Answers every method except `getUpdates`; `document` is the upload
    /// of a `sendDocument`.
    pub(super) fn apply(
        &mut self,
        method: &str,
        body: &Value,
        document: Option<Upload>,
    ) -> Result<Value, ApiError> {
        match method {
            "getMe" => Ok(me()),
            "sendMessage" => self.send(body, None),
            "sendDocument" => {
                let document =
                    document.ok_or_else(|| bad_request("there is no document in the request"))?;
                self.send(body, Some(document))
            }
            "editMessageText" => self.edit(body, true),
            "editMessageReplyMarkup" => self.edit(body, false),
            "deleteMessage" => {
                let id = self.find_message(body, "message to delete not found")?;
                self.messages.remove(&id);
                Ok(json!(true))
            }
            "answerCallbackQuery" => self.answer_callback(body),
            "setMyCommands" => {
                let commands = body["commands"].as_array().cloned().unwrap_or_default();
                for command in &commands {
                    check_command(command)?;
                }
                self.commands = Value::Array(commands);
                Ok(json!(true))
            }
            "getMyCommands" => Ok(if self.commands.is_null() {
                json!([])
            } else {
                self.commands.clone()
            }),
            "deleteWebhook" | "sendChatAction" => Ok(json!(true)),
            "getWebhookInfo" => {
                Ok(json!({"url": "", "has_custom_certificate": false, "pending_update_count": 0}))
            }
            "getChat" => self.get_chat(body),
            "getChatMember" => self.get_chat_member(body),
            "pinChatMessage" => self.pin(body),
            "unpinChatMessage" => self.unpin(body),
            "createForumTopic" => self.create_topic(body),
            "editForumTopic" => self.edit_topic(body),
            "closeForumTopic" => self.close_topic(body, true),
            "reopenForumTopic" => self.close_topic(body, false),
            "deleteForumTopic" => self.delete_topic(body),
            "getFile" => self.get_file(body),
            _ => Err(ApiError(404, "Not Found: method not found".into())),
        }
    }

    /// `sendMessage`, or `sendDocument` when `upload` is given.
    fn send(&mut self, body: &Value, upload: Option<Upload>) -> Result<Value, ApiError> {
        let chat_id = chat_id(body)?;
        let reply_to = body["reply_parameters"]["message_id"]
            .as_i64()
            .or_else(|| body["reply_to_message_id"].as_i64())
            .map(|id| id as i32);
        let replied = match reply_to {
            Some(id) => match self.messages.get(&id) {
                Some(m) if m["chat"]["id"].as_i64() == Some(chat_id) => Some(as_replied(m)),
                _ if body["reply_parameters"]["allow_sending_without_reply"] == json!(true) => None,
                _ => return Err(bad_request("message to be replied not found")),
            },
            None => None,
        };
        // Without a thread, a reply goes to the replied message's topic.
        let thread = body["message_thread_id"]
            .as_i64()
            .map(|t| t as i32)
            .or_else(|| {
                let replied = replied.as_ref()?;
                replied["message_thread_id"].as_i64().map(|t| t as i32)
            });
        let thread_id = self.post_target(chat_id, thread)?;

        let text_field = if upload.is_some() { "caption" } else { "text" };
        let text = body[text_field].as_str().unwrap_or_default().to_owned();
        let parse_mode = body["parse_mode"].as_str().map(str::to_owned);
        let visible = if upload.is_some() {
            check_caption(&text, parse_mode.as_deref())?
        } else {
            check_text(&text, parse_mode.as_deref())?
        };
        let reply_markup = reply_markup(body)?;

        let document = upload.map(|upload| {
            let file_id = self.store_upload(&upload);
            SentDocument {
                filename: upload.filename,
                bytes: upload.bytes,
                file_id,
            }
        });
        let message_id = self.next_message_id();
        let sent = SentMessage {
            chat_id,
            message_id,
            thread_id,
            text,
            visible,
            parse_mode,
            reply_markup,
            reply_to,
            document,
            at: Instant::now(),
        };
        let mut message = self.bot_message_json(&sent);
        // A topic message with no reply of its own replies to the topic's
        // opening message, as Telegram shows it.
        let replied = replied.or_else(|| {
            let root = self.messages.get(&thread_id?)?;
            Some(as_replied(root))
        });
        if let Some(replied) = replied {
            message["reply_to_message"] = replied;
        }
        self.messages.insert(message_id, message.clone());
        self.versions.insert(message_id, vec![sent]);
        self.sent_order.push(message_id);
        Ok(message)
    }

    /// The JSON of a bot message as it stands in `sent`.
    fn bot_message_json(&self, sent: &SentMessage) -> Value {
        let file = sent
            .document
            .as_ref()
            .and_then(|d| self.files.get(&d.file_id));
        bot_message(sent, self.chat_json(sent.chat_id), file)
    }

    /// `editMessageText` (`text` true) or `editMessageReplyMarkup`. As in Telegram,
    /// a missing `reply_markup` removes the keyboard.
    fn edit(&mut self, body: &Value, text: bool) -> Result<Value, ApiError> {
        let id = self.find_message(body, "message to edit not found")?;
        let Some(current) = self.versions.get(&id).and_then(|v| v.last()) else {
            return Err(bad_request("message can't be edited"));
        };
        let mut next = current.clone();
        if text {
            if next.document.is_some() {
                return Err(bad_request("there is no text in the message to edit"));
            }
            next.text = body["text"].as_str().unwrap_or_default().to_owned();
            next.parse_mode = body["parse_mode"].as_str().map(str::to_owned);
            next.visible = check_text(&next.text, next.parse_mode.as_deref())?;
        }
        next.reply_markup = reply_markup(body)?;
        if (&next.text, &next.parse_mode, &next.reply_markup)
            == (&current.text, &current.parse_mode, &current.reply_markup)
        {
            return Err(bad_request(
                "message is not modified: specified new message content and reply markup are \
                 exactly the same as a current content and reply markup of the message",
            ));
        }
        next.at = Instant::now();
        let mut message = self.bot_message_json(&next);
        message["edit_date"] = unix_now().into();
        for kept in ["date", "reply_to_message"] {
            if let Some(value) = self.messages[&id].get(kept) {
                message[kept] = value.clone();
            }
        }
        self.messages.insert(id, message.clone());
        self.versions.get_mut(&id).expect("versions").push(next);
        Ok(message)
    }

    /// `answerCallbackQuery`: each query may be answered once.
    fn answer_callback(&mut self, body: &Value) -> Result<Value, ApiError> {
        let id = body["callback_query_id"].as_str().unwrap_or_default();
        let answered = self.callbacks.get_mut(id).filter(|answered| !**answered);
        let answered = answered.ok_or_else(|| {
            bad_request("query is too old and response timeout expired or query id is invalid")
        })?;
        *answered = true;
        self.answers.push(CallbackAnswer {
            callback_query_id: id.to_owned(),
            text: body["text"].as_str().map(str::to_owned),
            show_alert: body["show_alert"].as_bool().unwrap_or(false),
            at: Instant::now(),
        });
        Ok(json!(true))
    }

    /// Resolves `chat_id` + `message_id` to a live message (`missing` is the
    /// error for an unknown one).
    pub(super) fn find_message(&self, body: &Value, missing: &str) -> Result<i32, ApiError> {
        let chat_id = chat_id(body)?;
        let id = body["message_id"]
            .as_i64()
            .ok_or_else(|| bad_request("message identifier is not specified"))?
            as i32;
        self.messages
            .get(&id)
            .filter(|m| m["chat"]["id"].as_i64() == Some(chat_id))
            .ok_or_else(|| bad_request(missing))?;
        Ok(id)
    }
}
