//! What waits for a tap saying which session it is for, keyed by the
//! user's message it came in (which the buttons carry): in memory only, the
//! newest [`MAX_HELD`]. A restart forgets them, and message ids never repeat
//! in a chat, so an old button can never deliver something newer.

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};

use teloxide::types::{ChatId, MessageId};

use super::download::Attachment;

/// How many things wait at most; the oldest go first.
const MAX_HELD: usize = 50;

/// Something from the phone that no session was named for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Held {
    /// A voice note's text, to type.
    Transcript(String),
    /// A photo or document not fetched yet, and its caption.
    File {
        attachment: Attachment,
        caption: Option<String>,
    },
}

/// The things held, oldest first.
#[derive(Debug, Default)]
pub(super) struct Holding(Mutex<VecDeque<((ChatId, MessageId), Held)>>);

impl Holding {
    /// Keeps `held`, which came in `message` in `chat`, for a tap.
    pub(super) fn hold(&self, chat: ChatId, message: MessageId, held: Held) {
        let mut all = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        all.retain(|(key, _)| *key != (chat, message));
        if all.len() == MAX_HELD {
            all.pop_front();
        }
        all.push_back(((chat, message), held));
    }

    /// What came in `message` in `chat`, once.
    pub(super) fn take(&self, chat: ChatId, message: MessageId) -> Option<Held> {
        let mut all = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let at = all.iter().position(|(key, _)| *key == (chat, message))?;
        all.remove(at).map(|(_, held)| held)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(n: usize) -> Held {
        Held::Transcript(format!("note {n}"))
    }

    #[test]
    fn taken_once_by_the_message_it_was_held_for() {
        let holding = Holding::default();
        holding.hold(ChatId(1), MessageId(10), text(1));
        holding.hold(ChatId(2), MessageId(10), text(2));
        assert_eq!(holding.take(ChatId(1), MessageId(11)), None);
        assert_eq!(holding.take(ChatId(1), MessageId(10)), Some(text(1)));
        assert_eq!(holding.take(ChatId(1), MessageId(10)), None);
        assert_eq!(holding.take(ChatId(2), MessageId(10)), Some(text(2)));
    }

    #[test]
    fn the_oldest_go_past_the_limit() {
        let holding = Holding::default();
        for n in 0..=MAX_HELD {
            holding.hold(ChatId(1), MessageId(n as i32), text(n));
        }
        assert_eq!(holding.take(ChatId(1), MessageId(0)), None);
        assert_eq!(holding.take(ChatId(1), MessageId(1)), Some(text(1)));
        let last = MAX_HELD as i32;
        assert_eq!(
            holding.take(ChatId(1), MessageId(last)),
            Some(text(MAX_HELD))
        );
    }
}
