//! Talking to the Bot API: which failures are worth trying again, the calls
//! made directly (with a bounded retry), and the one place an outbox item
//! becomes a request.

use std::future::Future;
use std::time::Duration;

use teloxide::payloads::{EditMessageTextSetters, SendDocumentSetters, SendMessageSetters};
use teloxide::prelude::*;
use teloxide::types::{
    ChatId, InlineKeyboardMarkup, InputFile, MessageId, ParseMode, ReplyMarkup, ThreadId,
};
use teloxide::{ApiError, RequestError};

use super::html::Html;
use super::outbox::Outgoing;
use super::pace::Pace;
use crate::files::FileToSend;

/// The bot as tgmux uses it; new messages are paced by [`Pace`].
pub type TgBot = Bot;

/// Attempts of a direct call before a transient failure is given up on.
const MAX_ATTEMPTS: u32 = 8;
pub(crate) const FIRST_BACKOFF: Duration = Duration::from_millis(250);
pub(crate) const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// What to do about a failed request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Retry {
    /// Telegram said how long to wait (429).
    After(Duration),
    /// A transient failure (5xx, dropped connection, a proxy's error page):
    /// try again after a growing pause.
    Backoff,
    /// Telegram refused the request itself; trying again changes nothing.
    Never,
}

/// Classifies a failed request.
pub(crate) fn retry(error: &RequestError) -> Retry {
    match error {
        RequestError::RetryAfter(wait) => Retry::After(wait.duration()),
        RequestError::Network(_) | RequestError::Io(_) | RequestError::InvalidJson { .. } => {
            Retry::Backoff
        }
        // A 5xx arrives as an error teloxide does not know ("Bad Gateway",
        // "Internal Server Error: restart"); the request's own faults start
        // with their class.
        RequestError::Api(ApiError::Unknown(description)) => {
            let refused = [
                "Bad Request",
                "Forbidden",
                "Unauthorized",
                "Not Found",
                "Conflict",
            ]
            .iter()
            .any(|class| description.starts_with(class));
            if refused {
                Retry::Never
            } else {
                Retry::Backoff
            }
        }
        RequestError::Api(_) | RequestError::MigrateToChatId(_) => Retry::Never,
    }
}

/// Runs a direct call until it succeeds, at most [`MAX_ATTEMPTS`] times,
/// waiting out 429s and backing off on transient failures.
pub async fn retrying<T, F, Fut>(what: &str, mut request: F) -> Result<T, RequestError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, RequestError>>,
{
    let mut backoff = FIRST_BACKOFF;
    let mut attempt = 1;
    loop {
        let error = match request().await {
            Ok(value) => return Ok(value),
            Err(e) => e,
        };
        let wait = match retry(&error) {
            _ if attempt >= MAX_ATTEMPTS => return Err(error),
            Retry::Never => return Err(error),
            Retry::After(wait) => wait,
            Retry::Backoff => {
                let wait = backoff;
                backoff = (backoff * 2).min(MAX_BACKOFF);
                wait
            }
        };
        tracing::warn!("{what}: {error}; retrying in {wait:?}");
        tokio::time::sleep(wait).await;
        attempt += 1;
    }
}

/// Sends a file from a session's folder as a document, at once (once
/// `pace` has room for it), in forum topic `thread` when given.
pub(crate) async fn file(
    bot: &TgBot,
    pace: &Pace,
    chat: ChatId,
    thread: Option<ThreadId>,
    file: &FileToSend,
    caption: &Html,
    keyboard: InlineKeyboardMarkup,
) -> Result<Message, RequestError> {
    retrying("sendDocument", || {
        let upload = InputFile::file(&file.path).file_name(file.name.clone());
        let mut request = bot
            .send_document(chat, upload)
            .caption(caption.as_str())
            .parse_mode(ParseMode::Html)
            .reply_markup(keyboard.clone());
        if let Some(thread) = thread {
            request = request.message_thread_id(thread);
        }
        let request = request.send();
        async move {
            pace.slot(chat).await;
            request.await
        }
    })
    .await
}

/// Makes one attempt at an outbox item, a message or document going in
/// forum topic `thread` when given (once `pace` has room for it); the
/// message, for a message sent. An edit that changes nothing counts as done.
pub(crate) async fn item(
    bot: &TgBot,
    pace: &Pace,
    item: &Outgoing,
    thread: Option<ThreadId>,
) -> Result<Option<Message>, RequestError> {
    match item {
        Outgoing::Message {
            chat,
            markup,
            keyboard,
            ask_reply,
            ..
        } => {
            pace.slot(ChatId(*chat)).await;
            let mut request = bot
                .send_message(ChatId(*chat), markup)
                .parse_mode(ParseMode::Html);
            if let Some(thread) = thread {
                request = request.message_thread_id(thread);
            }
            if let Some(keyboard) = keyboard {
                request = request.reply_markup(keyboard.clone());
            } else if *ask_reply {
                request = request.reply_markup(ReplyMarkup::ForceReply(Default::default()));
            }
            request.send().await.map(Some)
        }
        Outgoing::Document {
            chat,
            caption,
            file_name,
            contents,
            keyboard,
            ..
        } => {
            pace.slot(ChatId(*chat)).await;
            let file =
                InputFile::memory(contents.clone().into_bytes()).file_name(file_name.clone());
            let mut request = bot
                .send_document(ChatId(*chat), file)
                .caption(caption)
                .parse_mode(ParseMode::Html);
            if let Some(thread) = thread {
                request = request.message_thread_id(thread);
            }
            if let Some(keyboard) = keyboard {
                request = request.reply_markup(keyboard.clone());
            }
            request.send().await.map(Some)
        }
        Outgoing::Edit {
            chat,
            message,
            markup,
            keyboard,
        } => {
            let mut request = bot
                .edit_message_text(ChatId(*chat), MessageId(*message), markup)
                .parse_mode(ParseMode::Html);
            if let Some(keyboard) = keyboard {
                request = request.reply_markup(keyboard.clone());
            }
            match request.send().await {
                Ok(_) | Err(RequestError::Api(ApiError::MessageNotModified)) => Ok(None),
                Err(e) => Err(e),
            }
        }
        // Expanded by the outbox into the messages and edits they stand
        // for; a topic is squared by [`super::topics`].
        Outgoing::Redraw { .. }
        | Outgoing::Settle { .. }
        | Outgoing::Progress { .. }
        | Outgoing::Topic { .. } => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_errors_and_dropped_connections_are_tried_again_refusals_not() {
        let unknown = |d: &str| RequestError::Api(ApiError::Unknown(d.to_owned()));
        assert_eq!(retry(&unknown("Bad Gateway")), Retry::Backoff);
        assert_eq!(
            retry(&unknown("Internal Server Error: restart")),
            Retry::Backoff
        );
        assert_eq!(
            retry(&unknown("Bad Request: invalid file_id")),
            Retry::Never
        );
        assert_eq!(
            retry(&unknown("Forbidden: bot is not a member")),
            Retry::Never
        );
        assert_eq!(
            retry(&RequestError::Api(ApiError::BotBlocked)),
            Retry::Never
        );
        let json = serde_json::from_str::<u8>("<html>").unwrap_err();
        let page = RequestError::InvalidJson {
            source: std::sync::Arc::new(json),
            raw: "<html>502</html>".into(),
        };
        assert_eq!(retry(&page), Retry::Backoff);
        let wait = RequestError::RetryAfter(teloxide::types::Seconds::from_seconds(3));
        assert_eq!(retry(&wait), Retry::After(Duration::from_secs(3)));
    }
}
