//! Sending to Telegram so that nothing is lost: 429s are waited out, network
//! errors retried with backoff, long text split or sent as a file.

use std::future::Future;
use std::time::Duration;

use teloxide::adaptors::Throttle;
use teloxide::payloads::{EditMessageTextSetters, SendDocumentSetters, SendMessageSetters};
use teloxide::prelude::*;
use teloxide::types::{ChatId, InlineKeyboardMarkup, InputFile, MessageId, ParseMode, ReplyMarkup};
use teloxide::{ApiError, RequestError};

use super::html::Html;
use super::render;

/// The bot as tgmux uses it: rate-limited by teloxide's Throttle adaptor.
pub type TgBot = Throttle<Bot>;

/// Attempts per request before a network failure is given up on.
const MAX_ATTEMPTS: u32 = 8;
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Runs `request` until it succeeds, waiting out `retry_after` and backing
/// off on network errors. API errors (bad request, forbidden) are final.
pub async fn retrying<T, F, Fut>(what: &str, mut request: F) -> Result<T, RequestError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, RequestError>>,
{
    let mut backoff = Duration::from_millis(250);
    let mut attempt = 1;
    loop {
        match request().await {
            Ok(value) => return Ok(value),
            Err(RequestError::RetryAfter(wait)) if attempt < MAX_ATTEMPTS => {
                tracing::info!("{what}: rate limited, retrying in {}s", wait.seconds());
                tokio::time::sleep(wait.duration()).await;
            }
            Err(e @ (RequestError::Network(_) | RequestError::Io(_))) if attempt < MAX_ATTEMPTS => {
                tracing::warn!("{what}: {e}; retrying in {backoff:?}");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
            Err(e) => return Err(e),
        }
        attempt += 1;
    }
}

/// Sends an HTML message, with a keyboard when one is given.
pub async fn html(
    bot: &TgBot,
    chat: ChatId,
    text: &Html,
    keyboard: Option<InlineKeyboardMarkup>,
) -> Result<Message, RequestError> {
    retrying("sendMessage", || {
        let mut request = bot
            .send_message(chat, text.as_str())
            .parse_mode(ParseMode::Html);
        if let Some(kb) = &keyboard {
            request = request.reply_markup(kb.clone());
        }
        request.send()
    })
    .await
}

/// Sends a message that asks for a reply (the phone opens the keyboard on it).
pub async fn ask_reply(bot: &TgBot, chat: ChatId, text: &Html) -> Result<Message, RequestError> {
    retrying("sendMessage", || {
        bot.send_message(chat, text.as_str())
            .parse_mode(ParseMode::Html)
            .reply_markup(ReplyMarkup::ForceReply(Default::default()))
            .send()
    })
    .await
}

/// Replaces a message's text and keyboard (`None` removes the buttons).
/// "Not modified" counts as done.
pub async fn edit(
    bot: &TgBot,
    chat: ChatId,
    message: MessageId,
    text: &Html,
    keyboard: Option<InlineKeyboardMarkup>,
) -> Result<(), RequestError> {
    let result = retrying("editMessageText", || {
        let mut request = bot
            .edit_message_text(chat, message, text.as_str())
            .parse_mode(ParseMode::Html);
        if let Some(kb) = &keyboard {
            request = request.reply_markup(kb.clone());
        }
        request.send()
    })
    .await;
    match result {
        Ok(_) | Err(RequestError::Api(ApiError::MessageNotModified)) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Sends `head` and then `text` as preformatted: in one message when it
/// fits, else as a `.txt` document named `file_name`.
pub async fn screen(
    bot: &TgBot,
    chat: ChatId,
    head: &Html,
    text: &str,
    file_name: &str,
    keyboard: Option<InlineKeyboardMarkup>,
) -> Result<Message, RequestError> {
    let blocks = render::pre_blocks(text);
    if let [block] = blocks.as_slice() {
        let mut message = head.clone();
        message.push_raw("\n").push(block.clone());
        return html(bot, chat, &message, keyboard).await;
    }
    let bytes = text.as_bytes().to_vec();
    retrying("sendDocument", || {
        let file = InputFile::memory(bytes.clone()).file_name(file_name.to_owned());
        let mut request = bot
            .send_document(chat, file)
            .caption(head.as_str())
            .parse_mode(ParseMode::Html);
        if let Some(kb) = &keyboard {
            request = request.reply_markup(kb.clone());
        }
        request.send()
    })
    .await
}
