//! A loopback Telegram Bot API server for integration tests.
//!
//! It speaks the wire protocol teloxide uses (`POST {url}/bot{token}/{method}`,
//! JSON or multipart bodies, `{"ok":..,"result"|"description"}` replies), keeps
//! a small model of one bot's chats, long-polls `getUpdates` for real, records
//! every call, and rejects what Telegram would reject (bad HTML, over-long or
//! empty text, edits of unknown messages, over-long callback data). Tests
//! inject user messages and button taps, then wait on what the bot sent.

use std::{
    collections::{HashMap, VecDeque},
    io,
    net::SocketAddr,
    pin::Pin,
    sync::{Arc, Mutex, MutexGuard},
    task::{Context, Poll},
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use axum::{
    Json, Router,
    body::{Body, Bytes, HttpBody},
    extract::{DefaultBodyLimit, FromRequest, Multipart, Request, State},
    http::{StatusCode, header::CONTENT_TYPE},
    response::{IntoResponse, Response},
};
use serde_json::{Map, Value, json};
use tokio::{
    sync::{oneshot, watch},
    task::JoinHandle,
};

/// The only bot token the server accepts.
pub const TOKEN: &str = "123456:TEST";
/// The bot's own user id (the part of [`TOKEN`] before the colon).
pub const BOT_ID: i64 = 123456;
/// The bot's username, as `getMe` reports it.
pub const BOT_USERNAME: &str = "tgmux_test_bot";

/// Longest message text, in UTF-16 code units after entity parsing.
const MAX_TEXT_LEN: usize = 4096;
/// Longest document caption, in UTF-16 code units after entity parsing.
const MAX_CAPTION_LEN: usize = 1024;
/// Largest request body accepted (Telegram's upload limit for bots).
const MAX_BODY: usize = 50 * 1024 * 1024;
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
];
/// Tags Telegram accepts in `parse_mode=HTML`.
const HTML_TAGS: &[&str] = &[
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "a",
    "code",
    "pre",
    "tg-spoiler",
    "span",
    "blockquote",
];

/// What to do instead of answering a call; see [`BotApi::fail_next`].
#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    /// HTTP 429 with `parameters.retry_after`: teloxide returns
    /// `RequestError::RetryAfter` (and the Throttle adaptor sleeps and retries).
    RetryAfter(u32),
    /// This HTTP status with this description. Beware: teloxide sleeps 10 s
    /// before it reports any 5xx status.
    Status(u16, String),
    /// Close the connection without a response (hyper aborts on a failing
    /// body): teloxide returns `RequestError::Network` (`IncompleteMessage`).
    Drop,
}

/// One request the bot made.
#[derive(Clone, Debug)]
pub struct Call {
    /// Bot API method name, e.g. `sendMessage`.
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

/// A file the bot uploaded with `sendDocument`.
#[derive(Clone, Debug, PartialEq)]
pub struct SentDocument {
    /// The file name from the multipart part.
    pub filename: String,
    /// The file's contents.
    pub bytes: Vec<u8>,
}

/// A message the bot sent, as sent or as it stands after an edit.
#[derive(Clone, Debug)]
pub struct SentMessage {
    /// The chat it was sent to.
    pub chat_id: i64,
    /// Its id.
    pub message_id: i32,
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
    /// The id [`BotApi::tap`] returned.
    pub callback_query_id: String,
    /// The notification text, if any.
    pub text: Option<String>,
    /// Whether it is shown as an alert rather than a toast.
    pub show_alert: bool,
    /// When it was answered.
    pub at: Instant,
}

/// A running loopback Bot API server; stops on [`BotApi::shutdown`] or drop.
pub struct BotApi {
    shared: Arc<Shared>,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl BotApi {
    /// Starts a server on 127.0.0.1 on a free port, on the current tokio runtime.
    pub async fn start() -> BotApi {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the loopback Bot API server");
        let addr = listener.local_addr().expect("local address");
        let shared = Arc::new(Shared {
            state: Mutex::new(Model::default()),
            changed: watch::Sender::new(()),
            started: Instant::now(),
        });
        let app = Router::new()
            .fallback(handle)
            .layer(DefaultBodyLimit::max(MAX_BODY))
            .with_state(shared.clone());
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
                .expect("loopback Bot API server failed");
        });
        BotApi {
            shared,
            addr,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// The base URL to give the bot: `Bot::new(TOKEN).set_api_url(api.url().parse()?)`.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// The bot token the server accepts (requests with another get 401).
    pub fn token(&self) -> &'static str {
        TOKEN
    }

    /// A teloxide bot with the right token, pointed at this server.
    pub fn bot(&self) -> teloxide::Bot {
        let url = self.url().parse().expect("loopback URL parses");
        teloxide::Bot::new(TOKEN).set_api_url(url)
    }

    /// Stops the server: pending long polls return `[]`, connections close.
    pub async fn shutdown(mut self) {
        self.stop_serving();
        if let Some(task) = self.task.take() {
            tokio::time::timeout(Duration::from_secs(10), task)
                .await
                .expect("loopback Bot API server did not stop within 10 s")
                .expect("loopback Bot API server task panicked");
        }
    }

    fn stop_serving(&mut self) {
        self.shared.lock().closed = true;
        self.shared.notify();
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }

    /// Injects a private-chat text message from `from_user`; returns its id.
    /// A leading `/command` gets a `bot_command` entity, as Telegram adds.
    pub fn send_text(&self, from_user: i64, text: &str) -> i32 {
        self.inject_message(from_user, text, None)
    }

    /// Injects `from_user`'s text message replying to message `reply_to`
    /// (which must exist); returns its id.
    pub fn reply_text(&self, from_user: i64, text: &str, reply_to: i32) -> i32 {
        self.inject_message(from_user, text, Some(reply_to))
    }

    fn inject_message(&self, from_user: i64, text: &str, reply_to: Option<i32>) -> i32 {
        let mut model = self.shared.lock();
        let id = model.next_message_id();
        let mut message = json!({
            "message_id": id,
            "from": user_json(from_user),
            "chat": chat_json(from_user),
            "date": unix_now(),
            "text": text,
        });
        if let Some(length) = command_len(text) {
            message["entities"] = json!([{"type": "bot_command", "offset": 0, "length": length}]);
        }
        if let Some(reply_to) = reply_to {
            let replied = model
                .messages
                .get(&reply_to)
                .unwrap_or_else(|| panic!("reply_text: no message {reply_to} to reply to"));
            message["reply_to_message"] = as_replied(replied);
        }
        model.messages.insert(id, message.clone());
        model.push_update("message", message);
        drop(model);
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
            "from": user_json(from_user),
            "message": message,
            "chat_instance": format!("instance-{}", message["chat"]["id"]),
            "data": data,
        });
        model.push_update("callback_query", query);
        drop(model);
        self.shared.notify();
        id
    }

    /// Taps the first button of message `message_id` whose text contains
    /// `label`; panics listing the buttons if there is none.
    pub fn tap_button(&self, from_user: i64, message_id: i32, label: &str) -> String {
        let message = self
            .message(message_id)
            .unwrap_or_else(|| panic!("tap_button: no bot message {message_id}"));
        let buttons = message.buttons();
        let Some((_, data)) = buttons.iter().find(|(text, _)| text.contains(label)) else {
            panic!(
                "tap_button: no button containing {label:?} on message {message_id}: {buttons:?}"
            );
        };
        self.tap(from_user, message_id, data)
    }

    /// Every call so far, in arrival order.
    pub fn calls(&self) -> Vec<Call> {
        self.shared.lock().calls.clone()
    }

    /// Every message the bot sent (sendMessage and sendDocument), as sent, in order.
    pub fn sent_messages(&self) -> Vec<SentMessage> {
        self.shared.lock().sent_messages()
    }

    /// Bot message `id` as it stands now (after edits); `None` if unknown or deleted.
    pub fn message(&self, id: i32) -> Option<SentMessage> {
        let model = self.shared.lock();
        model.messages.get(&id)?;
        model.versions.get(&id)?.last().cloned()
    }

    /// Every `answerCallbackQuery`, in order.
    pub fn callback_answers(&self) -> Vec<CallbackAnswer> {
        self.shared.lock().answers.clone()
    }

    /// The commands last set with `setMyCommands`, as `(command, description)`.
    pub fn commands(&self) -> Vec<(String, String)> {
        let model = self.shared.lock();
        let commands = model.commands.as_array().into_iter().flatten();
        let field = |c: &Value, k: &str| c[k].as_str().unwrap_or_default().to_owned();
        commands
            .map(|c| (field(c, "command"), field(c, "description")))
            .collect()
    }

    /// Makes the next `times` calls of `method` fail with `fault` (after earlier
    /// queued faults for it). The faulted calls are recorded with their error.
    pub fn fail_next(&self, method: &str, times: usize, fault: Fault) {
        let mut model = self.shared.lock();
        let queue = model.faults.entry(canonical(method)).or_default();
        queue.extend(std::iter::repeat_n(fault, times));
    }

    /// Waits for the first sent message matching `pred`; on timeout panics
    /// with a dump of every call so far.
    pub async fn wait_for_message(
        &self,
        timeout: Duration,
        pred: impl Fn(&SentMessage) -> bool,
    ) -> SentMessage {
        self.wait_until(timeout, "a sent message matching the predicate", |m| {
            m.sent_messages().into_iter().find(|s| pred(s))
        })
        .await
    }

    /// Waits for the first call of `method` matching `pred` (successful or not).
    pub async fn wait_for_call(
        &self,
        method: &str,
        timeout: Duration,
        pred: impl Fn(&Call) -> bool,
    ) -> Call {
        let method = canonical(method);
        let what = format!("a {method} call matching the predicate");
        self.wait_until(timeout, &what, |m| {
            m.calls
                .iter()
                .find(|c| c.method == method && pred(c))
                .cloned()
        })
        .await
    }

    /// Waits for the bot to answer callback query `id`.
    pub async fn wait_for_callback_answer(&self, id: &str, timeout: Duration) -> CallbackAnswer {
        let what = format!("an answer to callback query {id}");
        self.wait_until(timeout, &what, |m| {
            m.answers
                .iter()
                .find(|a| a.callback_query_id == id)
                .cloned()
        })
        .await
    }

    /// Waits for an edit of message `message_id` whose result matches `pred`
    /// (every edited version counts, not only the latest).
    pub async fn wait_for_edit(
        &self,
        message_id: i32,
        timeout: Duration,
        pred: impl Fn(&SentMessage) -> bool,
    ) -> SentMessage {
        let what = format!("an edit of message {message_id} matching the predicate");
        self.wait_until(timeout, &what, |m| {
            let versions = m.versions.get(&message_id)?;
            versions.iter().skip(1).find(|v| pred(v)).cloned()
        })
        .await
    }

    /// Re-checks `check` on every recorded change until it yields, or panics
    /// with a dump after `timeout`.
    async fn wait_until<T>(
        &self,
        timeout: Duration,
        what: &str,
        check: impl Fn(&Model) -> Option<T>,
    ) -> T {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut changes = self.shared.changed.subscribe();
        loop {
            changes.borrow_and_update();
            let found = check(&self.shared.lock());
            if let Some(found) = found {
                return found;
            }
            if tokio::time::timeout_at(deadline, changes.changed())
                .await
                .is_err()
            {
                panic!(
                    "timed out after {timeout:?} waiting for {what}\n{}",
                    self.dump()
                );
            }
        }
    }

    /// Every call so far, one line each, for failure messages.
    pub fn dump(&self) -> String {
        let model = self.shared.lock();
        let mut out = format!("{} Bot API calls so far:\n", model.calls.len());
        for call in &model.calls {
            let ms = call.at.duration_since(self.shared.started).as_millis();
            let mut body = call.body.to_string();
            if body.len() > 600 {
                let cut = (0..=600)
                    .rev()
                    .find(|&i| body.is_char_boundary(i))
                    .unwrap_or(0);
                body.truncate(cut);
                body.push_str("...");
            }
            let error = call
                .error
                .as_deref()
                .map(|e| format!(" -> {e}"))
                .unwrap_or_default();
            out.push_str(&format!("  +{ms}ms {} {body}{error}\n", call.method));
        }
        out
    }
}

impl Drop for BotApi {
    fn drop(&mut self) {
        self.stop_serving();
    }
}

/// State shared by the server's handlers and the test-facing handle.
struct Shared {
    state: Mutex<Model>,
    /// Bumped on every change, to wake long polls and waiting tests.
    changed: watch::Sender<()>,
    started: Instant,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Model> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn notify(&self) {
        self.changed.send_replace(());
    }

    fn record(&self, call: Call) {
        self.lock().calls.push(call);
        self.notify();
    }
}

/// The server's model of one bot's world.
#[derive(Default)]
struct Model {
    calls: Vec<Call>,
    /// Updates not yet confirmed by a `getUpdates` offset.
    updates: VecDeque<Value>,
    last_update_id: i64,
    last_message_id: i32,
    /// The current JSON of every live message, the users' and the bot's.
    messages: HashMap<i32, Value>,
    /// The bot's messages: as sent, then each edited version.
    versions: HashMap<i32, Vec<SentMessage>>,
    /// Ids of the bot's messages in sending order.
    sent_order: Vec<i32>,
    /// Callback query ids handed out, and whether each has been answered.
    callbacks: HashMap<String, bool>,
    next_callback: u64,
    answers: Vec<CallbackAnswer>,
    commands: Value,
    faults: HashMap<String, VecDeque<Fault>>,
    closed: bool,
}

/// An error reply: HTTP status and description.
struct ApiError(u16, String);

fn bad_request(what: &str) -> ApiError {
    ApiError(400, format!("Bad Request: {what}"))
}

impl Model {
    fn next_message_id(&mut self) -> i32 {
        self.last_message_id += 1;
        self.last_message_id
    }

    fn push_update(&mut self, kind: &str, payload: Value) {
        self.last_update_id += 1;
        let mut update = Map::new();
        update.insert("update_id".into(), self.last_update_id.into());
        update.insert(kind.into(), payload);
        self.updates.push_back(Value::Object(update));
    }

    fn sent_messages(&self) -> Vec<SentMessage> {
        let first = |id: &i32| self.versions.get(id).and_then(|v| v.first()).cloned();
        self.sent_order.iter().filter_map(first).collect()
    }

    /// Forgets updates as a `getUpdates` offset asks: below a positive offset,
    /// or all but the last `-offset` for a negative one.
    fn confirm(&mut self, offset: i64) {
        if offset > 0 {
            self.updates
                .retain(|u| u["update_id"].as_i64().unwrap_or(0) >= offset);
        } else if offset < 0 {
            let keep = offset.unsigned_abs() as usize;
            let len = self.updates.len();
            self.updates.drain(..len.saturating_sub(keep));
        }
    }

    /// Answers every method except `getUpdates`.
    fn apply(
        &mut self,
        method: &str,
        body: &Value,
        mut files: HashMap<String, SentDocument>,
    ) -> Result<Value, ApiError> {
        match method {
            "getMe" => Ok(me_json()),
            "sendMessage" => self.send(body, None),
            "sendDocument" => {
                let document = files
                    .remove("document")
                    .ok_or_else(|| bad_request("there is no document in the request"))?;
                self.send(body, Some(document))
            }
            "editMessageText" => self.edit(body, true),
            "editMessageReplyMarkup" => self.edit(body, false),
            "deleteMessage" => {
                let id = self.find_message(body, "message to delete not found")?;
                self.messages.remove(&id);
                Ok(json!(true))
            }
            "answerCallbackQuery" => {
                let id = body["callback_query_id"].as_str().unwrap_or_default();
                let answered = self.callbacks.get_mut(id).filter(|answered| !**answered);
                let answered = answered.ok_or_else(|| {
                    bad_request(
                        "query is too old and response timeout expired or query id is invalid",
                    )
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
            _ => Err(ApiError(404, "Not Found: method not found".into())),
        }
    }

    /// `sendMessage`, or `sendDocument` when `document` is given.
    fn send(&mut self, body: &Value, document: Option<SentDocument>) -> Result<Value, ApiError> {
        let chat_id = chat_id(body)?;
        let is_document = document.is_some();
        let text_field = if is_document { "caption" } else { "text" };
        let text = body[text_field].as_str().unwrap_or_default().to_owned();
        let parse_mode = body["parse_mode"].as_str().map(str::to_owned);
        let visible = if is_document {
            check_caption(&text, parse_mode.as_deref())?
        } else {
            check_text(&text, parse_mode.as_deref())?
        };
        let reply_markup = reply_markup(body)?;
        let reply_to = body["reply_parameters"]["message_id"]
            .as_i64()
            .or_else(|| body["reply_to_message_id"].as_i64())
            .map(|id| id as i32);
        let reply_json = match reply_to {
            Some(id) => match self.messages.get(&id) {
                Some(m) if m["chat"]["id"].as_i64() == Some(chat_id) => Some(as_replied(m)),
                _ if body["reply_parameters"]["allow_sending_without_reply"] == json!(true) => None,
                _ => return Err(bad_request("message to be replied not found")),
            },
            None => None,
        };
        let message_id = self.next_message_id();
        let sent = SentMessage {
            chat_id,
            message_id,
            text,
            visible,
            parse_mode,
            reply_markup,
            reply_to,
            document,
            at: Instant::now(),
        };
        let mut message = bot_message_json(&sent);
        if let Some(replied) = reply_json {
            message["reply_to_message"] = replied;
        }
        self.messages.insert(message_id, message.clone());
        self.versions.insert(message_id, vec![sent]);
        self.sent_order.push(message_id);
        Ok(message)
    }

    /// `editMessageText` (`text` true) or `editMessageReplyMarkup`. As in Telegram,
    /// a missing `reply_markup` removes the keyboard.
    fn edit(&mut self, body: &Value, text: bool) -> Result<Value, ApiError> {
        let id = self.find_message(body, "message to edit not found")?;
        if !self.versions.contains_key(&id) {
            return Err(bad_request("message can't be edited"));
        }
        let mut next = self.versions[&id].last().cloned().expect("a sent version");
        if text {
            if next.document.is_some() {
                return Err(bad_request("there is no text in the message to edit"));
            }
            next.text = body["text"].as_str().unwrap_or_default().to_owned();
            next.parse_mode = body["parse_mode"].as_str().map(str::to_owned);
            next.visible = check_text(&next.text, next.parse_mode.as_deref())?;
        }
        next.reply_markup = reply_markup(body)?;
        let current = self.versions[&id].last().expect("a sent version");
        if (&next.text, &next.parse_mode, &next.reply_markup)
            == (&current.text, &current.parse_mode, &current.reply_markup)
        {
            return Err(bad_request(
                "message is not modified: specified new message content and reply markup are \
                 exactly the same as a current content and reply markup of the message",
            ));
        }
        next.at = Instant::now();
        let mut message = bot_message_json(&next);
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

    /// Resolves `chat_id` + `message_id` to a live message (`missing` is the
    /// error for an unknown one).
    fn find_message(&self, body: &Value, missing: &str) -> Result<i32, ApiError> {
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

/// The one handler: routes `/bot{token}/{method}`.
async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    let mut segments = path.trim_start_matches('/').splitn(2, '/');
    let (Some(bot_token), Some(method)) = (segments.next(), segments.next()) else {
        return error_response(ApiError(404, "Not Found".into()), None);
    };
    if bot_token.strip_prefix("bot") != Some(TOKEN) {
        return error_response(ApiError(401, "Unauthorized".into()), None);
    }
    let method = canonical(method);
    let (body, files) = match read_body(request).await {
        Ok(read) => read,
        Err(e) => return error_response(e, None),
    };

    let call = |error: Option<String>| Call {
        method: method.clone(),
        body: body.clone(),
        at: Instant::now(),
        error,
    };
    let fault = shared
        .lock()
        .faults
        .get_mut(&method)
        .and_then(VecDeque::pop_front);
    if let Some(fault) = fault {
        shared.record(call(Some(format!("injected fault: {fault:?}"))));
        return fault_response(fault);
    }
    if method == "getUpdates" {
        shared.record(call(None));
        return get_updates(&shared, &body).await;
    }
    let result = {
        let mut model = shared.lock();
        let result = model.apply(&method, &body, files);
        model
            .calls
            .push(call(result.as_ref().err().map(|e| e.1.clone())));
        result
    };
    shared.notify();
    match result {
        Ok(result) => Json(json!({"ok": true, "result": result})).into_response(),
        Err(e) => error_response(e, None),
    }
}

/// Long-polls: answers at once if updates are pending, else when one is
/// injected or `timeout` seconds pass (`[]`), or the server stops.
async fn get_updates(shared: &Shared, body: &Value) -> Response {
    let offset = body["offset"].as_i64().unwrap_or(0);
    let limit = body["limit"].as_u64().unwrap_or(100).clamp(1, 100) as usize;
    let timeout = Duration::from_secs(body["timeout"].as_u64().unwrap_or(0));
    let deadline = tokio::time::Instant::now() + timeout;
    shared.lock().confirm(offset);
    let mut changes = shared.changed.subscribe();
    loop {
        changes.borrow_and_update();
        let updates: Option<Vec<Value>> = {
            let model = shared.lock();
            (model.closed || !model.updates.is_empty())
                .then(|| model.updates.iter().take(limit).cloned().collect())
        };
        if let Some(updates) = updates {
            return Json(json!({"ok": true, "result": updates})).into_response();
        }
        if tokio::time::timeout_at(deadline, changes.changed())
            .await
            .is_err()
        {
            return Json(json!({"ok": true, "result": []})).into_response();
        }
    }
}

/// Reads a JSON or multipart body into a JSON object plus the uploaded files
/// by part name.
async fn read_body(request: Request) -> Result<(Value, HashMap<String, SentDocument>), ApiError> {
    let content_type = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let unreadable = |e: &dyn std::fmt::Display| bad_request(&format!("unreadable request: {e}"));
    if !content_type.starts_with("multipart/form-data") {
        let bytes = axum::body::to_bytes(request.into_body(), MAX_BODY)
            .await
            .map_err(|e| unreadable(&e))?;
        if bytes.is_empty() {
            return Ok((json!({}), HashMap::new()));
        }
        let body = serde_json::from_slice(&bytes).map_err(|e| unreadable(&e))?;
        return Ok((body, HashMap::new()));
    }

    let mut multipart = Multipart::from_request(request, &())
        .await
        .map_err(|e| unreadable(&e))?;
    let mut fields = Map::new();
    let mut files = HashMap::new();
    while let Some(field) = multipart.next_field().await.map_err(|e| unreadable(&e))? {
        let name = field.name().unwrap_or_default().to_owned();
        let filename = field.file_name().map(str::to_owned);
        let bytes = field.bytes().await.map_err(|e| unreadable(&e))?;
        match filename {
            Some(filename) => {
                files.insert(
                    name,
                    SentDocument {
                        filename,
                        bytes: bytes.to_vec(),
                    },
                );
            }
            None => {
                let text = String::from_utf8_lossy(&bytes).into_owned();
                let value = multipart_value(&name, text);
                fields.insert(name, value);
            }
        }
    }
    // Resolve `document=attach://{part}` to file "document", and show the
    // upload in the recorded body instead of the reference.
    let attached = fields.get("document").and_then(Value::as_str);
    if let Some(part) = attached.and_then(|r| r.strip_prefix("attach://"))
        && let Some(file) = files.remove(part)
    {
        files.insert("document".into(), file);
    }
    if let Some(file) = files.get("document") {
        let shown = json!({"file_name": file.filename, "file_size": file.bytes.len()});
        fields.insert("document".into(), shown);
    }
    Ok((Value::Object(fields), files))
}

/// A multipart text field as JSON: teloxide sends numbers, booleans and nested
/// objects (`reply_markup`, ...) as their JSON text; free text stays a string.
fn multipart_value(name: &str, text: String) -> Value {
    if name == "caption" {
        return Value::String(text);
    }
    match serde_json::from_str::<Value>(&text) {
        Ok(value @ (Value::Number(_) | Value::Object(_) | Value::Array(_) | Value::Bool(_))) => {
            value
        }
        _ => Value::String(text),
    }
}

/// `method` in Telegram's spelling if it is one this server knows.
fn canonical(method: &str) -> String {
    let known = METHODS.iter().find(|m| m.eq_ignore_ascii_case(method));
    known.map_or(method, |m| m).to_owned()
}

fn chat_id(body: &Value) -> Result<i64, ApiError> {
    let id = &body["chat_id"];
    id.as_i64()
        .or_else(|| id.as_str().and_then(|s| s.parse().ok()))
        .ok_or_else(|| bad_request("chat not found"))
}

/// The `reply_markup` to keep on a message, after checking inline keyboards
/// as Telegram does (callback data of 1 to 64 bytes, no text-only buttons).
fn reply_markup(body: &Value) -> Result<Option<Value>, ApiError> {
    let markup = &body["reply_markup"];
    let Some(rows) = markup["inline_keyboard"].as_array() else {
        return Ok(None);
    };
    for button in rows.iter().filter_map(Value::as_array).flatten() {
        let Some(fields) = button.as_object() else {
            return Err(bad_request("can't parse inline keyboard button"));
        };
        if fields.keys().all(|k| k == "text") {
            return Err(bad_request(
                "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard",
            ));
        }
        if let Some(data) = fields.get("callback_data") {
            let len = data.as_str().map_or(0, str::len);
            if !(1..=64).contains(&len) {
                return Err(bad_request("BUTTON_DATA_INVALID"));
            }
        }
    }
    Ok(Some(markup.clone()))
}

fn check_command(command: &Value) -> Result<(), ApiError> {
    let name = command["command"].as_str().unwrap_or_default();
    let description = command["description"].as_str().unwrap_or_default();
    let name_ok = (1..=32).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    let description_ok = (1..=256).contains(&description.chars().count());
    if name_ok && description_ok {
        Ok(())
    } else {
        Err(bad_request(&format!("BOT_COMMAND_INVALID: {command}")))
    }
}

/// Checks a message text; returns what the user would see.
fn check_text(text: &str, parse_mode: Option<&str>) -> Result<String, ApiError> {
    let visible = visible_text(text, parse_mode)?;
    if visible.trim().is_empty() {
        return Err(bad_request("message text is empty"));
    }
    if visible.encode_utf16().count() > MAX_TEXT_LEN {
        return Err(bad_request("message is too long"));
    }
    Ok(visible)
}

/// Checks a document caption (may be empty); returns what the user would see.
fn check_caption(caption: &str, parse_mode: Option<&str>) -> Result<String, ApiError> {
    let visible = visible_text(caption, parse_mode)?;
    if visible.encode_utf16().count() > MAX_CAPTION_LEN {
        return Err(bad_request("message caption is too long"));
    }
    Ok(visible)
}

fn visible_text(text: &str, parse_mode: Option<&str>) -> Result<String, ApiError> {
    match parse_mode {
        Some(mode) if mode.eq_ignore_ascii_case("html") => {
            parse_html(text).map_err(|e| bad_request(&format!("can't parse entities: {e}")))
        }
        _ => Ok(text.to_owned()),
    }
}

/// Parses Telegram-flavoured HTML into its visible text, with Telegram's error
/// wording. Stricter than Telegram in one way: every `&` in text must start an
/// entity (`&lt; &gt; &amp; &quot; &#N; &#xN;`), so a missing escape is caught.
/// A bare `>` passes, as in Telegram; attribute values are not checked.
fn parse_html(text: &str) -> Result<String, String> {
    let mut visible = String::with_capacity(text.len());
    let mut open: Vec<String> = Vec::new();
    let mut i = 0;
    while let Some(c) = text[i..].chars().next() {
        match c {
            '&' => {
                let (decoded, len) = decode_entity(&text[i..]).ok_or_else(|| {
                    format!("bare \"&\" at byte offset {i} (this test server wants it as &amp;)")
                })?;
                visible.push(decoded);
                i += len;
            }
            '<' if text[i..].starts_with("</") => {
                let end = text[i..]
                    .find('>')
                    .ok_or(format!("Unclosed end tag at byte offset {i}"))?;
                let name = text[i + 2..i + end].trim().to_ascii_lowercase();
                match open.pop() {
                    None => return Err(format!("Unexpected end tag at byte offset {i}")),
                    Some(top) if top != name => {
                        return Err(format!(
                            "Unmatched end tag at byte offset {i}, expected \"</{top}>\", found \"</{name}>\""
                        ));
                    }
                    Some(_) => {}
                }
                i += end + 1;
            }
            '<' => {
                let (name, len) =
                    parse_start_tag(&text[i..]).map_err(|e| format!("{e} at byte offset {i}"))?;
                open.push(name);
                i += len;
            }
            _ => {
                visible.push(c);
                i += c.len_utf8();
            }
        }
    }
    match open.last() {
        Some(tag) => Err(format!(
            "Can't find end tag corresponding to start tag \"{tag}\""
        )),
        None => Ok(visible),
    }
}

/// Parses a start tag at the beginning of `s`; returns its lowercase name
/// and length in bytes.
fn parse_start_tag(s: &str) -> Result<(String, usize), String> {
    let name_end = s[1..]
        .find(|c: char| c.is_whitespace() || c == '>')
        .map_or(s.len(), |n| n + 1);
    let name = s[1..name_end].to_ascii_lowercase();
    if !HTML_TAGS.contains(&name.as_str()) {
        return Err(format!("Unsupported start tag \"{name}\""));
    }
    let mut attributes = HashMap::new();
    let mut rest = &s[name_end..];
    loop {
        rest = rest.trim_start();
        if let Some(after) = rest.strip_prefix('>') {
            if name == "span" && attributes.get("class").map(String::as_str) != Some("tg-spoiler") {
                return Err("Tag \"span\" must have class \"tg-spoiler\"".into());
            }
            return Ok((name, s.len() - after.len()));
        }
        let key_end = rest.find(|c: char| c.is_whitespace() || c == '=' || c == '>');
        let Some(key_end) = key_end.filter(|&n| n > 0) else {
            return Err("Unclosed start tag".into());
        };
        let key = rest[..key_end].to_ascii_lowercase();
        rest = rest[key_end..].trim_start();
        let mut value = String::new();
        if let Some(after) = rest.strip_prefix('=') {
            rest = after.trim_start();
            let (raw, after) = match rest.chars().next() {
                Some(quote @ ('"' | '\'')) => {
                    let close = rest[1..].find(quote).ok_or("Unclosed start tag")? + 1;
                    (&rest[1..close], &rest[close + 1..])
                }
                _ => {
                    let end = rest
                        .find(|c: char| c.is_whitespace() || c == '>')
                        .unwrap_or(rest.len());
                    (&rest[..end], &rest[end..])
                }
            };
            value = raw.to_owned();
            rest = after;
        }
        attributes.insert(key, value);
    }
}

/// Decodes the HTML entity at the start of `s`: the character and the
/// entity's length in bytes.
fn decode_entity(s: &str) -> Option<(char, usize)> {
    let (end, _) = s.char_indices().take(12).find(|&(_, c)| c == ';')?;
    let name = &s[1..end];
    let decoded = match name {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "quot" => '"',
        _ => {
            let number = name.strip_prefix('#')?;
            let code = match number.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => number.parse().ok()?,
            };
            char::from_u32(code).filter(|&c| c != '\0')?
        }
    };
    Some((decoded, end + 1))
}

/// The length in UTF-16 units of a leading `/command[@bot]`, if `text` starts with one.
fn command_len(text: &str) -> Option<usize> {
    let rest = text.strip_prefix('/')?;
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let name = rest.find(|c: char| !word(c)).unwrap_or(rest.len());
    if name == 0 || name > 32 {
        return None;
    }
    let mut len = 1 + name;
    if let Some(mention) = rest[name..].strip_prefix('@') {
        let bot = mention.find(|c: char| !word(c)).unwrap_or(mention.len());
        if bot > 0 {
            len += 1 + bot;
        }
    }
    Some(len)
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs()
}

fn bot_user_json() -> Value {
    json!({"id": BOT_ID, "is_bot": true, "first_name": "tgmux test", "username": BOT_USERNAME})
}

fn me_json() -> Value {
    let mut me = bot_user_json();
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

fn user_json(id: i64) -> Value {
    json!({
        "id": id,
        "is_bot": false,
        "first_name": format!("User{id}"),
        "username": format!("user{id}"),
        "language_code": "en",
    })
}

fn chat_json(id: i64) -> Value {
    json!({"id": id, "type": "private", "first_name": format!("User{id}"), "username": format!("user{id}")})
}

/// The Message JSON Telegram returns for a bot message: visible text only
/// (no entities), inline keyboard if any.
fn bot_message_json(sent: &SentMessage) -> Value {
    let mut message = json!({
        "message_id": sent.message_id,
        "from": bot_user_json(),
        "chat": chat_json(sent.chat_id),
        "date": unix_now(),
    });
    match &sent.document {
        Some(document) => {
            message["document"] = json!({
                "file_id": format!("document-{}", sent.message_id),
                "file_unique_id": format!("unique-{}", sent.message_id),
                "file_name": document.filename,
                "file_size": document.bytes.len(),
            });
            if !sent.visible.is_empty() {
                message["caption"] = sent.visible.clone().into();
            }
        }
        None => message["text"] = sent.visible.clone().into(),
    }
    if let Some(markup) = &sent.reply_markup {
        message["reply_markup"] = markup.clone();
    }
    message
}

/// A message as nested in `reply_to_message`: Telegram nests one level only.
fn as_replied(message: &Value) -> Value {
    let mut replied = message.clone();
    if let Some(fields) = replied.as_object_mut() {
        fields.remove("reply_to_message");
    }
    replied
}

fn error_response(error: ApiError, parameters: Option<Value>) -> Response {
    let ApiError(code, description) = error;
    let mut body = json!({"ok": false, "error_code": code, "description": description});
    if let Some(parameters) = parameters {
        body["parameters"] = parameters;
    }
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, Json(body)).into_response()
}

fn fault_response(fault: Fault) -> Response {
    match fault {
        Fault::RetryAfter(seconds) => error_response(
            ApiError(429, format!("Too Many Requests: retry after {seconds}")),
            Some(json!({"retry_after": seconds})),
        ),
        Fault::Status(code, description) => error_response(ApiError(code, description), None),
        Fault::Drop => Response::new(Body::new(BrokenBody)),
    }
}

/// A response body that fails at once, so hyper drops the connection before
/// the response head goes out.
struct BrokenBody;

impl HttpBody for BrokenBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, io::Error>>> {
        let error = io::Error::new(
            io::ErrorKind::ConnectionAborted,
            "injected fault: connection dropped",
        );
        Poll::Ready(Some(Err(error)))
    }
}
