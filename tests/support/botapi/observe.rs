//! What tests read and wait on: the calls, the bot's messages and answers,
//! getUpdates polls, topics and pins; waits panic with a dump of every call.

use std::time::Duration;

use super::{
    BotApi, methods,
    model::{Call, CallbackAnswer, Model, Poll, SentMessage, Topic},
};
use serde_json::Value;

impl BotApi {
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

    /// Every `getUpdates` call that reached the queue, in arrival order,
    /// with the offset it passed and the update ids it returned.
    pub fn polls(&self) -> Vec<Poll> {
        self.shared.lock().polls.clone()
    }

    /// The id of the newest update injected (a message, tap or topic), to
    /// follow its delivery; 0 before any.
    pub fn last_update_id(&self) -> i64 {
        self.shared.lock().last_update_id
    }

    /// The ids of the updates no `getUpdates` offset has confirmed yet: the
    /// next `getUpdates`, from this bot process or a restarted one, gets them.
    pub fn pending_updates(&self) -> Vec<i64> {
        let model = self.shared.lock();
        let ids = model.updates.iter().filter_map(|u| u["update_id"].as_i64());
        ids.collect()
    }

    /// Topic `thread` of forum `chat` as it stands; `None` if it does not
    /// exist or was deleted.
    pub fn topic(&self, chat: i64, thread: i32) -> Option<Topic> {
        let model = self.shared.lock();
        model.groups.get(&chat)?.topics.get(&thread).cloned()
    }

    /// The messages pinned in `chat`, oldest pin first.
    pub fn pinned(&self, chat: i64) -> Vec<i32> {
        let model = self.shared.lock();
        model.pinned.get(&chat).cloned().unwrap_or_default()
    }

    /// Waits for a `getUpdates` call matching `pred` (it may be still waiting).
    pub async fn wait_for_poll(&self, timeout: Duration, pred: impl Fn(&Poll) -> bool) -> Poll {
        self.wait_until(timeout, "a getUpdates call matching the predicate", |m| {
            m.polls.iter().find(|p| pred(p)).cloned()
        })
        .await
    }

    /// Waits until a `getUpdates` call has returned update `update_id` (a
    /// test may then kill the bot before it confirms it).
    pub async fn wait_for_delivery(&self, update_id: i64, timeout: Duration) -> Poll {
        let what = format!("a getUpdates call returning update {update_id}");
        self.wait_until(timeout, &what, |m| {
            m.polls.iter().find(|p| p.delivered(update_id)).cloned()
        })
        .await
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
        let method = methods::canonical(method);
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
