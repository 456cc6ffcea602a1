//! Receiving updates so that none is lost or run twice: each update fetched
//! is written to a journal in the data folder before Telegram is told it was
//! received (the next `getUpdates` offset), and leaves the journal once it
//! was handled. A restart handles what the journal still holds first.
//! Updates of one chat are handled in order; chats do not wait on each other.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use teloxide::dispatching::UpdateHandler;
use teloxide::payloads::GetUpdatesSetters;
use teloxide::prelude::*;
use teloxide::types::{AllowedUpdate, Update};
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};
use tokio::sync::watch;
use tokio::task::JoinSet;

use super::send::{FIRST_BACKOFF, Retry, retry};
use super::{Ctx, TgBot};
use crate::durable;

const DIR: &str = "updates";
const OFFSET_FILE: &str = "offset";
/// Seconds Telegram holds a `getUpdates` open when there is nothing new.
const POLL_TIMEOUT: u32 = 10;
const MAX_POLL_BACKOFF: Duration = Duration::from_secs(5);
/// How long a shutdown waits for updates being handled.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);

/// Updates received but not yet handled, one file each, and the id of the
/// last update received.
pub struct Journal {
    dir: PathBuf,
}

impl Journal {
    pub fn open(data_dir: &Path) -> std::io::Result<Journal> {
        let dir = data_dir.join(DIR);
        std::fs::create_dir_all(&dir)?;
        durable::remove_stale_temps(&dir.join("0.json"))?;
        Ok(Journal { dir })
    }

    /// The updates a crash left unhandled, oldest first; unreadable files are
    /// moved aside and named in the log.
    fn pending(&self) -> std::io::Result<Vec<Update>> {
        let mut updates = Vec::new();
        for entry in std::fs::read_dir(&self.dir)? {
            let path = entry?.path();
            if path.extension().is_none_or(|e| e != "json") {
                continue;
            }
            match serde_json::from_slice::<Update>(&std::fs::read(&path)?) {
                Ok(update) => updates.push(update),
                Err(e) => {
                    let aside = path.with_extension("json.corrupt");
                    tracing::error!("{}: {e}; moved to {}", path.display(), aside.display());
                    std::fs::rename(&path, aside)?;
                }
            }
        }
        updates.sort_by_key(|u| u.id.0);
        Ok(updates)
    }

    /// The offset for the next `getUpdates`: past the last update received.
    fn offset(&self) -> Option<i32> {
        let text = std::fs::read_to_string(self.dir.join(OFFSET_FILE)).ok()?;
        text.trim().parse::<i32>().ok().map(|last| last + 1)
    }

    /// Keeps a batch before Telegram is told it arrived.
    fn keep(&self, updates: &[Update]) -> std::io::Result<()> {
        for update in updates {
            let bytes = serde_json::to_vec(update).map_err(std::io::Error::other)?;
            durable::write_atomic(&self.file(update), &bytes)?;
        }
        if let Some(last) = updates.iter().map(|u| u.id.0).max() {
            durable::write_atomic(&self.dir.join(OFFSET_FILE), last.to_string().as_bytes())?;
        }
        Ok(())
    }

    /// The update was handled.
    fn done(&self, update: &Update) {
        if let Err(e) = std::fs::remove_file(self.file(update)) {
            tracing::error!("update journal: {e}");
        }
    }

    fn file(&self, update: &Update) -> PathBuf {
        self.dir.join(format!("{:012}.json", update.id.0))
    }
}

/// Runs the handler on every update until `stop` turns true, then lets the
/// updates being handled finish (for a few seconds at most).
pub(crate) async fn run(
    bot: TgBot,
    ctx: Arc<Ctx>,
    journal: Journal,
    handler: UpdateHandler<Box<dyn std::error::Error + Send + Sync + 'static>>,
    mut stop: watch::Receiver<bool>,
) -> std::io::Result<()> {
    let journal = Arc::new(journal);
    let mut chats = Chats::new(bot.clone(), ctx, Arc::clone(&journal), handler);
    let replay = journal.pending()?;
    if !replay.is_empty() {
        tracing::info!(
            "handling {} updates received before a restart",
            replay.len()
        );
    }
    for update in replay {
        chats.handle(update);
    }
    let mut offset = journal.offset();
    let mut backoff = FIRST_BACKOFF;
    let mut last_error = None;
    loop {
        let mut request = bot
            .get_updates()
            .timeout(POLL_TIMEOUT)
            .allowed_updates([AllowedUpdate::Message, AllowedUpdate::CallbackQuery]);
        if let Some(offset) = offset {
            request = request.offset(offset);
        }
        let fetched = tokio::select! {
            _ = stop.wait_for(|stop| *stop) => break,
            fetched = request.send() => fetched,
        };
        let updates = match fetched {
            Ok(updates) => {
                backoff = FIRST_BACKOFF;
                last_error = None;
                updates
            }
            Err(e) => {
                let wait = match retry(&e) {
                    Retry::After(wait) => wait,
                    Retry::Backoff | Retry::Never => backoff,
                };
                backoff = (backoff * 2).min(MAX_POLL_BACKOFF);
                let said = e.to_string();
                if last_error.as_ref() != Some(&said) {
                    tracing::warn!("getUpdates: {said}; trying again");
                }
                last_error = Some(said);
                tokio::select! {
                    _ = stop.wait_for(|stop| *stop) => break,
                    () = tokio::time::sleep(wait) => continue,
                }
            }
        };
        if updates.is_empty() {
            continue;
        }
        journal.keep(&updates)?;
        offset = updates
            .iter()
            .filter_map(|u| i32::try_from(u.id.0 + 1).ok())
            .max();
        for update in updates {
            chats.handle(update);
        }
    }
    chats.finish().await;
    Ok(())
}

/// One worker per chat, handling that chat's updates in order.
struct Chats {
    bot: TgBot,
    ctx: Arc<Ctx>,
    journal: Arc<Journal>,
    handler: Arc<UpdateHandler<Box<dyn std::error::Error + Send + Sync + 'static>>>,
    workers: HashMap<i64, UnboundedSender<Update>>,
    tasks: JoinSet<()>,
}

impl Chats {
    fn new(
        bot: TgBot,
        ctx: Arc<Ctx>,
        journal: Arc<Journal>,
        handler: UpdateHandler<Box<dyn std::error::Error + Send + Sync + 'static>>,
    ) -> Chats {
        Chats {
            bot,
            ctx,
            journal,
            handler: Arc::new(handler),
            workers: HashMap::new(),
            tasks: JoinSet::new(),
        }
    }

    fn handle(&mut self, update: Update) {
        let chat = update
            .chat()
            .map(|c| c.id.0)
            .or_else(|| {
                update
                    .from()
                    .map(|u| i64::try_from(u.id.0).unwrap_or(i64::MAX))
            })
            .unwrap_or(0);
        let worker = self.workers.entry(chat).or_insert_with(|| {
            let (tx, mut rx) = unbounded_channel::<Update>();
            let (bot, ctx) = (self.bot.clone(), Arc::clone(&self.ctx));
            let (journal, handler) = (Arc::clone(&self.journal), Arc::clone(&self.handler));
            self.tasks.spawn(async move {
                while let Some(update) = rx.recv().await {
                    let deps = dptree::deps![bot.clone(), Arc::clone(&ctx), update.clone()];
                    match handler.dispatch(deps).await {
                        std::ops::ControlFlow::Break(Err(e)) => {
                            tracing::error!("handling update {}: {e}", update.id.0);
                        }
                        std::ops::ControlFlow::Break(Ok(()))
                        | std::ops::ControlFlow::Continue(_) => {}
                    }
                    journal.done(&update);
                }
            });
            tx
        });
        if worker.send(update).is_err() {
            tracing::error!("a chat worker ended early");
        }
    }

    /// Closes the workers and waits for them, a few seconds at most; what is
    /// left stays in the journal for the next start.
    async fn finish(mut self) {
        self.workers.clear();
        let all_done = async { while self.tasks.join_next().await.is_some() {} };
        if tokio::time::timeout(SHUTDOWN_GRACE, all_done)
            .await
            .is_err()
        {
            tracing::warn!(
                "shutting down with updates still being handled; they run again at the next start"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn update(id: i32, text: &str) -> Update {
        serde_json::from_value(serde_json::json!({
            "update_id": id,
            "message": {
                "message_id": id,
                "date": 0,
                "chat": {"id": 1111, "type": "private", "first_name": "A"},
                "from": {"id": 1111, "is_bot": false, "first_name": "A"},
                "text": text
            }
        }))
        .unwrap()
    }

    #[test]
    fn kept_updates_come_back_in_order_until_done() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::open(dir.path()).unwrap();
        assert_eq!(journal.offset(), None, "nothing received yet");
        let (a, b) = (update(41, "/new webapp"), update(40, "/ls"));
        journal.keep(&[a.clone(), b.clone()]).unwrap();
        assert_eq!(journal.offset(), Some(42));

        let reopened = Journal::open(dir.path()).unwrap();
        let ids: Vec<u32> = reopened.pending().unwrap().iter().map(|u| u.id.0).collect();
        assert_eq!(ids, [40, 41]);
        reopened.done(&b);
        let ids: Vec<u32> = reopened.pending().unwrap().iter().map(|u| u.id.0).collect();
        assert_eq!(ids, [41]);
        reopened.done(&a);
        assert!(reopened.pending().unwrap().is_empty());
        assert_eq!(
            reopened.offset(),
            Some(42),
            "handled updates are not fetched again"
        );
    }
}
