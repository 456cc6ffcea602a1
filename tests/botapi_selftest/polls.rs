//! getUpdates confirmation: offsets recorded, redelivery until confirmed,
//! delivery waits, and the 409 that ends a replaced long poll.

use std::time::Duration;

use teloxide::{ApiError, RequestError, prelude::*, types::UpdateKind};

use super::{SECS, USER};
use crate::support::botapi::{BotApi, Poll, PollAnswer};

fn ids(updates: &[Update]) -> Vec<i64> {
    updates.iter().map(|u| i64::from(u.id.0)).collect()
}

fn offsets_and_answers(polls: &[Poll]) -> Vec<(Option<i64>, PollAnswer)> {
    polls.iter().map(|p| (p.offset, p.answer.clone())).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn updates_are_redelivered_until_an_offset_confirms_them() {
    let api = BotApi::start().await;
    assert_eq!(api.last_update_id(), 0);
    api.send_text(USER, "one");
    let one = api.last_update_id();
    api.send_text(USER, "two");
    let two = api.last_update_id();
    assert_eq!((one, two), (1, 2));

    let bot = api.bot();
    assert_eq!(ids(&bot.get_updates().await.unwrap()), [1, 2]);
    // Offset 2 confirms update 1 only.
    assert_eq!(ids(&bot.get_updates().offset(2).await.unwrap()), [2]);
    assert_eq!(api.pending_updates(), [2]);

    // A restarted bot (a new client, no offset) gets the unconfirmed update again.
    let restarted = api.bot();
    assert_eq!(ids(&restarted.get_updates().await.unwrap()), [2]);
    assert!(restarted.get_updates().offset(3).await.unwrap().is_empty());
    assert!(api.pending_updates().is_empty());

    assert_eq!(
        offsets_and_answers(&api.polls()),
        [
            (None, PollAnswer::Delivered(vec![1, 2])),
            (Some(2), PollAnswer::Delivered(vec![2])),
            (None, PollAnswer::Delivered(vec![2])),
            (Some(3), PollAnswer::Delivered(vec![])),
        ]
    );
    let first = api.wait_for_delivery(two, SECS).await;
    assert_eq!(first.offset, None);
    assert!(first.delivered(1) && first.delivered(2));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_test_can_wait_for_a_long_poll_to_return_an_update() {
    let api = BotApi::start().await;
    let bot = api.bot();
    let poll = tokio::spawn(async move { bot.get_updates().offset(1).timeout(5).await });
    let waiting = api
        .wait_for_poll(SECS, |p| p.answer == PollAnswer::Waiting)
        .await;
    assert_eq!(waiting.offset, Some(1));

    let message = api.send_text(USER, "/kill me now");
    let update = api.last_update_id();
    let delivery = api.wait_for_delivery(update, SECS).await;
    assert_eq!(delivery.answer, PollAnswer::Delivered(vec![update]));
    let updates = poll.await.unwrap().unwrap();
    let UpdateKind::Message(got) = &updates[0].kind else {
        panic!("{updates:?}");
    };
    assert_eq!(got.id.0, message);
    // Nothing confirmed it yet.
    assert_eq!(api.pending_updates(), [update]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_newer_get_updates_ends_the_waiting_one_with_409() {
    let api = BotApi::start().await;
    let old = api.bot();
    let old_poll = tokio::spawn(async move { old.get_updates().timeout(10).await });
    api.wait_for_poll(SECS, |p| p.answer == PollAnswer::Waiting)
        .await;

    let new = api.bot();
    assert!(new.get_updates().await.unwrap().is_empty());
    let err = tokio::time::timeout(Duration::from_secs(3), old_poll)
        .await
        .expect("the old poll ends at once")
        .unwrap()
        .unwrap_err();
    assert!(
        matches!(
            err,
            RequestError::Api(ApiError::TerminatedByOtherGetUpdates)
        ),
        "{err:?}"
    );
    let answers: Vec<_> = api.polls().into_iter().map(|p| p.answer).collect();
    assert_eq!(
        answers,
        [PollAnswer::Conflict, PollAnswer::Delivered(vec![])]
    );
    let errors: Vec<_> = api.calls().into_iter().map(|c| c.error).collect();
    assert_eq!(
        errors,
        [
            Some(
                "Conflict: terminated by other getUpdates request; make sure that only one bot \
                 instance is running"
                    .to_owned()
            ),
            None
        ]
    );
}
