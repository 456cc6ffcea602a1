//! A loopback Telegram Bot API server for integration tests.
//!
//! It speaks the wire protocol teloxide uses (`POST {url}/bot{token}/{method}`,
//! JSON or multipart bodies, `{"ok":..,"result"|"description"}` replies, file
//! downloads at `GET {url}/file/bot{token}/{path}`), keeps a small model of one
//! bot's private chats, groups and forum topics, long-polls `getUpdates` for
//! real, records every call, and rejects what Telegram would reject (bad HTML,
//! over-long or empty text, edits of unknown messages, over-long callback
//! data, missing rights, deleted topics, files over 20 MB). Tests inject what
//! users do, fail calls on demand, then wait on what the bot sent.
//!
//! - `model`: the plain data; `rules` (with `html`): what Telegram refuses;
//! - `methods`, `chats`, `files`: the Bot API methods over the model;
//! - `json`: Telegram-shaped JSON; `http`: routes and long polling;
//! - `faults`: failures on demand; `inject`: what users do; `observe`: what
//!   tests read and wait on.

mod chats;
mod faults;
mod files;
mod html;
mod http;
mod inject;
mod json;
mod methods;
mod model;
mod observe;
mod rules;

use std::{
    sync::{Arc, Mutex, MutexGuard},
    time::{Duration, Instant},
};

use tokio::sync::watch;

use super::served::Served;

pub use faults::Fault;
// Each test crate uses a few of these; `support` allows dead code for the same reason.
#[allow(unused_imports)]
pub use model::{
    AdminRights, Call, CallbackAnswer, GroupKind, Media, Membership, PhotoSize, Place, Poll,
    PollAnswer, SentDocument, SentMessage, TestFile, Topic, UserMedia,
};

/// The only bot token the server accepts.
pub const TOKEN: &str = "123456:TEST";
/// The bot's own user id (the part of [`TOKEN`] before the colon).
pub const BOT_ID: i64 = 123456;
/// The bot's username, as `getMe` reports it.
pub const BOT_USERNAME: &str = "tgmux_test_bot";

/// A running loopback Bot API server; stops on [`BotApi::shutdown`] or drop.
pub struct BotApi {
    shared: Arc<Shared>,
    served: Option<Served>,
}

impl BotApi {
    /// Starts a server on 127.0.0.1 on a free port, on the current tokio runtime.
    pub async fn start() -> BotApi {
        let shared = Arc::new(Shared {
            state: Mutex::new(model::Model::default()),
            changed: watch::Sender::new(()),
            started: Instant::now(),
        });
        let served = Served::start("loopback Bot API server", http::router(shared.clone())).await;
        BotApi {
            shared,
            served: Some(served),
        }
    }

    /// The base URL to give the bot: `Bot::new(TOKEN).set_api_url(api.url().parse()?)`.
    pub fn url(&self) -> String {
        let served = self.served.as_ref().expect("serving until dropped");
        format!("{}/", served.url())
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
        self.close();
        if let Some(served) = self.served.take() {
            served.shutdown(Duration::from_secs(10)).await;
        }
    }

    /// Marks the server closed, ending long polls and holds.
    fn close(&mut self) {
        self.shared.lock().closed = true;
        self.shared.notify();
    }

    /// Makes the next `times` calls of `method` fail with `fault` (after earlier
    /// queued faults for it). The faulted calls are recorded with their error.
    /// File downloads count as method `downloadFile`.
    pub fn fail_next(&self, method: &str, times: usize, fault: Fault) {
        let mut model = self.shared.lock();
        let queue = model.faults.entry(methods::canonical(method)).or_default();
        queue.extend(std::iter::repeat_n(fault, times));
    }

    /// Takes the server down for `duration`: every call (downloads too) fails
    /// with `fault` and is recorded. The outage starts now, or when the ones
    /// already scheduled end, so `down_for(15 s, BadGateway)` then
    /// `down_for(15 s, Drop)` gives 15 s of 502s, then 15 s of dropped
    /// connections, then service again.
    pub fn down_for(&self, duration: Duration, fault: Fault) {
        let mut model = self.shared.lock();
        let now = Instant::now();
        let from = model.outages.back().map_or(now, |o| o.until.max(now));
        model.outages.push_back(faults::Outage {
            from,
            until: from + duration,
            fault,
        });
    }

    /// Ends every outage now.
    pub fn back_up(&self) {
        self.shared.lock().outages.clear();
    }
}

impl Drop for BotApi {
    fn drop(&mut self) {
        self.close();
    }
}

/// State shared by the server's handlers and the test-facing handle.
struct Shared {
    state: Mutex<model::Model>,
    /// Bumped on every change, to wake long polls and waiting tests.
    changed: watch::Sender<()>,
    started: Instant,
}

impl Shared {
    /// The model, even after a panic in another holder.
    fn lock(&self) -> MutexGuard<'_, model::Model> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Wakes everyone waiting on a change.
    fn notify(&self) {
        self.changed.send_replace(());
    }

    /// Records `call`; returns its index in the record.
    fn record(&self, call: model::Call) -> usize {
        let index = {
            let mut model = self.lock();
            model.calls.push(call);
            model.calls.len() - 1
        };
        self.notify();
        index
    }

    /// Sleeps for `duration`, or until the server stops.
    async fn sleep_unless_closed(&self, duration: Duration) {
        let deadline = tokio::time::Instant::now() + duration;
        let mut changes = self.changed.subscribe();
        loop {
            changes.borrow_and_update();
            if self.lock().closed {
                return;
            }
            if tokio::time::timeout_at(deadline, changes.changed())
                .await
                .is_err()
            {
                return;
            }
        }
    }
}
