//! Pacing of new messages under Telegram's limits: a message goes as soon as
//! the last second and minute leave room for it. (teloxide's Throttle
//! adaptor, used before, looks at its queue every 250 ms: the outbox, which
//! waits for each message before sending the next to keep them in order, got
//! four a second through it, and a burst of ten decisions took 2.5 s.)
//!
//! A private chat takes about a message a second sustained but short bursts
//! well (several prompts opening at once must all reach the phone within a
//! couple of seconds), so bursts of up to 10 a second go at once and 60 a
//! minute is the sustained cap; a 429 is waited out by the outbox anyway.
//! Edits are not paced (Telegram counts new messages).

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use teloxide::types::ChatId;

/// New messages to one chat in any second.
const PER_SECOND_IN_CHAT: usize = 10;
/// New messages to one private chat in any minute.
const PER_MINUTE_IN_CHAT: usize = 60;
/// New messages to one group or channel in any minute.
const PER_MINUTE_IN_GROUP: usize = 20;
/// New messages to all chats together in any second.
const PER_SECOND: usize = 30;

const SECOND: Duration = Duration::from_secs(1);
const MINUTE: Duration = Duration::from_secs(60);

/// The new messages of the last minute: to which chat, and when.
#[derive(Default)]
pub(crate) struct Pace {
    sent: Mutex<VecDeque<(ChatId, Instant)>>,
}

impl Pace {
    /// Waits until a new message to `chat` keeps within the limits, and
    /// counts it as sent.
    pub(crate) async fn slot(&self, chat: ChatId) {
        while let Err(wait) = self.take(chat, Instant::now()) {
            tokio::time::sleep(wait).await;
        }
    }

    /// Counts a message to `chat` sent at `now` if the limits let it go;
    /// else says how long until they may.
    fn take(&self, chat: ChatId, now: Instant) -> Result<(), Duration> {
        let mut sent = self.sent.lock().unwrap_or_else(PoisonError::into_inner);
        while sent
            .front()
            .is_some_and(|(_, at)| now.saturating_duration_since(*at) >= MINUTE)
        {
            sent.pop_front();
        }
        let per_minute = if chat.is_channel_or_supergroup() {
            PER_MINUTE_IN_GROUP
        } else {
            PER_MINUTE_IN_CHAT
        };
        let all = || sent.iter().map(|(_, at)| *at);
        let here = || sent.iter().filter(|(c, _)| *c == chat).map(|(_, at)| *at);
        let free = [
            room_at(all(), PER_SECOND, SECOND),
            room_at(here(), PER_SECOND_IN_CHAT, SECOND),
            room_at(here(), per_minute, MINUTE),
        ]
        .into_iter()
        .flatten()
        .max();
        match free {
            Some(at) if at > now => Err(at - now),
            _ => {
                sent.push_back((chat, now));
                Ok(())
            }
        }
    }
}

/// When one more message fits under `limit` in any `window`, given the
/// times (oldest first) of those sent: once the `limit`-th most recent is a
/// `window` old. `None` while fewer than `limit` were sent.
fn room_at(
    times: impl DoubleEndedIterator<Item = Instant>,
    limit: usize,
    window: Duration,
) -> Option<Instant> {
    times
        .rev()
        .nth(limit.saturating_sub(1))
        .map(|at| at + window)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALICE: ChatId = ChatId(1);
    const BOB: ChatId = ChatId(2);
    /// A supergroup's id, as Telegram gives them.
    const GROUP: ChatId = ChatId(-1_001_234_567_890);

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn ten_go_at_once_and_the_eleventh_when_the_first_is_a_second_old() {
        let pace = Pace::default();
        let t0 = Instant::now();
        for i in 0..10 {
            assert_eq!(pace.take(ALICE, t0 + ms(i)), Ok(()), "message {i}");
        }
        assert_eq!(pace.take(ALICE, t0 + ms(10)), Err(ms(990)));
        assert_eq!(pace.take(BOB, t0 + ms(10)), Ok(()), "another chat");
        assert_eq!(pace.take(ALICE, t0 + ms(1000)), Ok(()));
        assert_eq!(pace.take(ALICE, t0 + ms(1000)), Err(ms(1)));
    }

    #[test]
    fn sixty_a_minute_to_a_chat_and_twenty_to_a_group() {
        let pace = Pace::default();
        let t0 = Instant::now();
        for i in 0..60 {
            assert_eq!(pace.take(ALICE, t0 + ms(i * 500)), Ok(()), "message {i}");
        }
        let now = t0 + ms(30_000);
        assert_eq!(pace.take(ALICE, now), Err(ms(30_000)));
        assert_eq!(pace.take(ALICE, t0 + ms(60_000)), Ok(()), "the first left");

        let pace = Pace::default();
        for i in 0..20 {
            assert_eq!(pace.take(GROUP, t0 + ms(i * 500)), Ok(()), "message {i}");
        }
        assert_eq!(pace.take(GROUP, t0 + ms(10_000)), Err(ms(50_000)));
    }

    #[test]
    fn thirty_a_second_to_all_chats_together() {
        let pace = Pace::default();
        let t0 = Instant::now();
        for chat in 1..=30 {
            assert_eq!(pace.take(ChatId(chat), t0 + ms(5)), Ok(()), "chat {chat}");
        }
        assert_eq!(pace.take(ChatId(31), t0 + ms(400)), Err(ms(605)));
    }

    #[tokio::test]
    async fn slots_are_counted_and_the_eleventh_waits_out_the_second() {
        let pace = Pace::default();
        let started = Instant::now();
        for _ in 0..10 {
            pace.slot(ALICE).await;
        }
        assert!(started.elapsed() < ms(500), "ten at once");
        pace.slot(ALICE).await;
        let waited = started.elapsed();
        assert!(waited >= ms(1000) && waited < ms(2000), "{waited:?}");
    }
}
