//! What real Telegram refuses, with its error texts: text and caption
//! lengths, HTML entities (in `html`), inline keyboards, bot commands, file
//! sizes, and the rights a bot needs in groups and forums.

use serde_json::Value;

use super::{
    html::parse_html,
    model::{AdminRights, Membership},
};

/// Longest message text, in UTF-16 code units after entity parsing.
const MAX_TEXT_LEN: usize = 4096;
/// Longest caption, in UTF-16 code units after entity parsing.
const MAX_CAPTION_LEN: usize = 1024;
/// Most buttons in one inline keyboard.
const MAX_BUTTONS: usize = 100;
/// Longest callback data, in bytes.
const MAX_CALLBACK_DATA: usize = 64;
/// Largest file `getFile` lets a bot download (the Bot API server's
/// `MAX_DOWNLOAD_FILE_SIZE`).
pub(super) const MAX_DOWNLOAD: u64 = 20 << 20;
/// The General topic's thread id, which sends may not name.
pub(super) const GENERAL_TOPIC: i32 = 1;

/// A refusal: HTTP status and Telegram's description.
#[derive(Debug)]
pub(super) struct ApiError(pub(super) u16, pub(super) String);

/// A 400 with Telegram's `Bad Request: ` prefix.
pub(super) fn bad_request(what: &str) -> ApiError {
    ApiError(400, format!("Bad Request: {what}"))
}

/// What Telegram answers for a send into a missing or deleted topic.
pub(super) fn thread_not_found() -> ApiError {
    bad_request("message thread not found")
}

/// What Telegram answers for a topic method on a missing or deleted topic.
pub(super) fn topic_invalid() -> ApiError {
    bad_request("TOPIC_ID_INVALID")
}

/// A right a bot may need in a group.
#[derive(Clone, Copy)]
pub(super) enum Right {
    /// Create, edit, close and reopen topics.
    ManageTopics,
    /// Pin and unpin messages.
    PinMessages,
    /// Delete others' messages, and topics.
    DeleteMessages,
}

impl Right {
    /// Whether `rights` include this one.
    fn granted(self, rights: &AdminRights) -> bool {
        match self {
            Right::ManageTopics => rights.can_manage_topics,
            Right::PinMessages => rights.can_pin_messages,
            Right::DeleteMessages => rights.can_delete_messages,
        }
    }
}

/// Checks the bot's standing grants `right`; `refusal` is Telegram's text
/// for when it does not.
pub(super) fn require(bot: &Membership, right: Right, refusal: &str) -> Result<(), ApiError> {
    match bot {
        Membership::Owner => Ok(()),
        Membership::Administrator(rights) if right.granted(rights) => Ok(()),
        _ => Err(bad_request(refusal)),
    }
}

/// Checks a message text; returns what the user would see.
pub(super) fn check_text(text: &str, parse_mode: Option<&str>) -> Result<String, ApiError> {
    let visible = visible_text(text, parse_mode)?;
    if visible.trim().is_empty() {
        return Err(bad_request("message text is empty"));
    }
    if visible.encode_utf16().count() > MAX_TEXT_LEN {
        return Err(bad_request("message is too long"));
    }
    Ok(visible)
}

/// Checks a caption (may be empty); returns what the user would see.
pub(super) fn check_caption(caption: &str, parse_mode: Option<&str>) -> Result<String, ApiError> {
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

/// The `reply_markup` to keep on a message, after checking inline keyboards
/// as Telegram does: at most 100 buttons, callback data of 1 to 64 bytes, no
/// text-only buttons.
pub(super) fn reply_markup(body: &Value) -> Result<Option<Value>, ApiError> {
    let markup = &body["reply_markup"];
    let Some(rows) = markup["inline_keyboard"].as_array() else {
        return Ok(None);
    };
    let buttons: Vec<&Value> = rows.iter().filter_map(Value::as_array).flatten().collect();
    if buttons.len() > MAX_BUTTONS {
        return Err(bad_request("BUTTONS_TOO_MUCH"));
    }
    for button in buttons {
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
            if !(1..=MAX_CALLBACK_DATA).contains(&len) {
                return Err(bad_request("BUTTON_DATA_INVALID"));
            }
        }
    }
    Ok(Some(markup.clone()))
}

/// Checks one `setMyCommands` entry: a 1-32 character lowercase name and a
/// 1-256 character description.
pub(super) fn check_command(command: &Value) -> Result<(), ApiError> {
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

/// The length in UTF-16 units of a leading `/command[@bot]`, if `text` starts
/// with one (Telegram marks it with a `bot_command` entity).
pub(super) fn command_len(text: &str) -> Option<usize> {
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
