//! Voice notes, audio, photos and documents from an allowed user. A voice
//! note becomes text typed into a session; a photo or a document lands in
//! the session's inbox and a line naming it is typed. In a session's topic
//! of the sessions group the session is that one (and a session that cannot
//! take it says so, with nothing fetched); in a private chat or the General
//! topic it is the one the message replies about, else the only active one;
//! otherwise buttons ask, and what came is held until a tap. Every answer
//! goes through the outbox, where it was sent.

use std::sync::Arc;

use chrono::Local;
use teloxide::prelude::*;
use teloxide::types::{ChatId, InlineKeyboardMarkup, MessageId};

use super::commands::{Here, addressed};
use super::download::{self, Attachment};
use super::held::{Held, Holding};
use super::outbox::{Outgoing, Thread};
use super::{BotError, Ctx, HandlerResult, Html, TgBot, render};
use crate::files::{self, Size};
use crate::session::{SessionError, SessionId, SessionRecord};
use crate::transcribe::{TranscribeError, Transcriber};

/// What voice notes and files need: the transcriber when one is set, the
/// size cap, and what waits for a tap.
pub struct Media {
    transcriber: Option<Transcriber>,
    max_file_bytes: u64,
    held: Holding,
}

impl Media {
    pub fn new(transcriber: Option<Transcriber>, max_file_bytes: u64) -> Media {
        Media {
            transcriber,
            max_file_bytes,
            held: Holding::default(),
        }
    }
}

/// Why a voice note or a file did not reach a session (beyond session and
/// file errors).
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    #[error(transparent)]
    Download(#[from] download::DownloadError),
    #[error(transparent)]
    Transcribe(#[from] TranscribeError),
    #[error("nothing waits on this message any more: it went already, or tgmux restarted since")]
    NotHeld,
}

/// What an allowed user sent that is not text.
#[derive(Debug, Clone)]
pub(super) enum Incoming {
    /// A voice note or an audio file, to transcribe.
    Voice(Attachment),
    /// A photo or a document, for a session's inbox.
    File {
        attachment: Attachment,
        caption: Option<String>,
    },
}

impl Incoming {
    /// What `msg` carries, if it is a voice note, an audio file, a photo
    /// (its largest size) or a document.
    pub(super) fn of(msg: &Message) -> Option<Incoming> {
        if let Some(voice) = msg.voice() {
            return Some(Incoming::Voice(Attachment::new(&voice.file, "voice.oga")));
        }
        if let Some(audio) = msg.audio() {
            let name = audio.file_name.as_deref().unwrap_or("audio.mp3");
            return Some(Incoming::Voice(Attachment::new(&audio.file, name)));
        }
        let largest = msg.photo().and_then(|sizes| {
            sizes
                .iter()
                .max_by_key(|p| u64::from(p.width) * u64::from(p.height))
        });
        let attachment = match largest {
            Some(photo) => Attachment::new(&photo.file, "photo.jpg"),
            None => {
                let document = msg.document()?;
                let name = document.file_name.as_deref().unwrap_or("file");
                Attachment::new(&document.file, name)
            }
        };
        Some(Incoming::File {
            attachment,
            caption: msg.caption().map(str::to_owned),
        })
    }
}

/// A voice note, audio file, photo or document from an allowed user in a
/// private chat or the sessions group: one answer says how it went. In a
/// topic of the group that is no session's, nothing happens: people talk
/// to each other there.
pub(super) async fn received(
    bot: TgBot,
    ctx: Arc<Ctx>,
    msg: Message,
    incoming: Incoming,
) -> HandlerResult {
    let media = &ctx.media;
    let status = Status::new(&ctx, &msg);
    let topic = match Here::of(&ctx, &msg).await {
        Ok(here) => match here.topic {
            Some(record) if !record.state.is_active() => {
                status.done(&render::not_live_here(&record), None);
                return Ok(());
            }
            None if here.thread != Thread::Main && !msg.chat.is_private() => {
                tracing::info!("a file or voice note in a topic that is no session's: left alone");
                return Ok(());
            }
            topic => topic,
        },
        Err(e) => {
            status.done(&render::error(&e.to_string()), None);
            return Ok(());
        }
    };
    let held = match incoming {
        Incoming::Voice(audio) => {
            let Some(transcriber) = &media.transcriber else {
                status.done(&render::transcription_off(), None);
                return Ok(());
            };
            if let Err(e) = audio.check(media.max_file_bytes) {
                status.done(&render::not_transcribed(&e.to_string()), None);
                return Ok(());
            }
            status.progress(&render::transcribing());
            match transcribe(&bot, &ctx, transcriber, &audio).await {
                Ok(text) if text.is_empty() => {
                    status.done(&render::heard_nothing(), None);
                    return Ok(());
                }
                Ok(text) => Held::Transcript(text),
                Err(e) => {
                    status.done(&render::not_transcribed(&e.to_string()), None);
                    return Ok(());
                }
            }
        }
        Incoming::File {
            attachment,
            caption,
        } => {
            if let Err(e) = attachment.check(media.max_file_bytes) {
                status.done(&render::not_saved(&attachment.name, &e.to_string()), None);
                return Ok(());
            }
            Held::File {
                attachment,
                caption,
            }
        }
    };
    settle(&bot, &ctx, &msg, topic, status, held).await;
    Ok(())
}

/// Gives `held` to the session `msg` is for (`topic`'s, when it was sent
/// in one), or asks which with a button per active session and holds it
/// for the tap.
async fn settle(
    bot: &TgBot,
    ctx: &Ctx,
    msg: &Message,
    topic: Option<SessionRecord>,
    status: Status<'_>,
    held: Held,
) {
    let target = match topic {
        Some(record) => Ok(Some(record)),
        None => addressed(ctx, msg).await,
    };
    let target = match target {
        Ok(target) => target,
        Err(e) => return status.done(&failed(&held, &e), None),
    };
    if let Some(record) = target {
        if let Held::File { attachment, .. } = &held {
            status.progress(&render::saving(&attachment.name));
        }
        return match deliver(bot, ctx, record.id, &held).await {
            Ok((_, (text, keyboard))) => status.done(&text, Some(keyboard)),
            Err(e) => status.done(&failed(&held, &e), None),
        };
    }
    let active = match ctx.run(|m| m.list()).await {
        Ok(records) => records
            .into_iter()
            .filter(|r| r.state.is_active())
            .collect::<Vec<_>>(),
        Err(e) => return status.done(&failed(&held, &e), None),
    };
    let (text, keyboard) = match &held {
        Held::Transcript(text) => render::heard_which(text, &active, msg.id),
        Held::File { attachment, .. } => render::file_which(&attachment.name, &active, msg.id),
    };
    if !active.is_empty() {
        ctx.media.held.hold(msg.chat.id, msg.id, held);
    }
    status.done(&text, Some(keyboard));
}

/// A tap on a "which session?" button of message `place`: gives what came
/// in message `from`, held since, to `session`, and says so in the tapped
/// message; the answer is the tap's toast.
pub(super) async fn tapped(
    bot: &TgBot,
    ctx: &Ctx,
    (chat, message): (ChatId, MessageId),
    session: SessionId,
    from: MessageId,
) -> Result<String, BotError> {
    let held = ctx.media.held.take(chat, from).ok_or(MediaError::NotHeld)?;
    match deliver(bot, ctx, session, &held).await {
        Ok((record, (text, keyboard))) => {
            ctx.outbox
                .push(Outgoing::edit(chat, message, &text, Some(keyboard)));
            Ok(format!("Sent to {}", record.name))
        }
        Err(e) => {
            // Still there to give to another session.
            ctx.media.held.hold(chat, from, held);
            Err(e)
        }
    }
}

/// The text of a voice note, fetched within the cap.
async fn transcribe(
    bot: &TgBot,
    ctx: &Ctx,
    transcriber: &Transcriber,
    audio: &Attachment,
) -> Result<String, BotError> {
    let mut bytes = Vec::new();
    download::fetch(bot, audio, ctx.media.max_file_bytes, &mut bytes).await?;
    let text = transcriber
        .transcribe(bytes, &audio.name)
        .await
        .map_err(MediaError::from)?;
    Ok(text)
}

/// Types a transcript into session `id`, or saves a file in its inbox and
/// types the line naming it; returns the session and what to show.
async fn deliver(
    bot: &TgBot,
    ctx: &Ctx,
    id: SessionId,
    held: &Held,
) -> Result<(SessionRecord, (Html, InlineKeyboardMarkup)), BotError> {
    match held {
        Held::Transcript(text) => {
            let typed = text.clone();
            let record = ctx.run(move |m| m.send_text(id, &typed)).await?;
            let shown = render::heard_sent(text, &record);
            Ok((record, shown))
        }
        Held::File {
            attachment,
            caption,
        } => {
            let name = attachment.name.clone();
            let inbox = ctx
                .run(move |m| {
                    let record = m.get(id)?;
                    if !record.state.is_active() {
                        return Err(SessionError::not_active(&record.name, &record.state));
                    }
                    let now = Local::now().naive_local();
                    Ok(files::create_in_inbox(&record.folder, &name, now)?)
                })
                .await?;
            let mut file = tokio::fs::File::from_std(inbox.file);
            let cap = ctx.media.max_file_bytes;
            let size = match download::fetch(bot, attachment, cap, &mut file).await {
                Ok(size) => size,
                Err(e) => {
                    drop(file);
                    if let Err(gone) = tokio::fs::remove_file(&inbox.path).await {
                        tracing::warn!("could not remove {}: {gone}", inbox.path.display());
                    }
                    return Err(e);
                }
            };
            let line = files::instruction(&inbox.relative, caption.as_deref());
            let record = ctx.run(move |m| m.send_text(id, &line)).await?;
            let shown = render::saved(&record, &inbox.relative, Size(size));
            Ok((record, shown))
        }
    }
}

/// What to show when `held` could not be given to a session.
fn failed(held: &Held, error: &BotError) -> Html {
    match held {
        Held::Transcript(text) => render::heard_not_sent(text, &error.to_string()),
        Held::File { attachment, .. } => render::not_saved(&attachment.name, &error.to_string()),
    }
}

/// The bot's one message about something from the phone, in the topic it
/// came from: a progress line ("transcribing…") and then how it went as an
/// edit of it, or as a message of its own when there was none. Both go
/// through the outbox, which remembers the line's message for the edit.
struct Status<'a> {
    ctx: &'a Ctx,
    chat: ChatId,
    /// The user's message answered.
    to: MessageId,
    /// The topic it was sent in.
    thread: Thread,
}

impl<'a> Status<'a> {
    fn new(ctx: &'a Ctx, msg: &Message) -> Self {
        Status {
            ctx,
            chat: msg.chat.id,
            to: msg.id,
            thread: Here::thread(msg),
        }
    }

    /// Shows the progress line `text`.
    fn progress(&self, text: &Html) {
        let item = Outgoing::answer(self.chat, self.to, self.thread, text, None, false);
        self.ctx.outbox.push(item);
    }

    /// Says how it went.
    fn done(self, text: &Html, keyboard: Option<InlineKeyboardMarkup>) {
        let item = Outgoing::answer(self.chat, self.to, self.thread, text, keyboard, true);
        self.ctx.outbox.push(item);
    }
}
