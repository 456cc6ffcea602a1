//! Voice notes and files: transcripts, saved files and files sent back.

use super::*;

/// The most of a transcript a message shows (the agent gets all of it).
const MAX_TRANSCRIPT: usize = 3000;

/// Shown while a voice note is fetched and transcribed.
pub(crate) fn transcribing() -> Html {
    Html::raw("🎤 transcribing…")
}

/// A voice note when no transcription service is set.
pub(crate) fn transcription_off() -> Html {
    Html::raw(
        "🎤 Voice notes need a transcription service: set <code>TGMUX_TRANSCRIBE_URL</code> \
         (and <code>TGMUX_TRANSCRIBE_KEY</code> if it needs a key) and restart tgmux. \
         The README shows how, with a local whisper server too.",
    )
}

/// `🎤 heard: ...`, the transcript as the agent gets it.
fn heard(transcript: &str) -> Html {
    let mut text = Html::raw("🎤 heard: ");
    text.push_text(&truncate(transcript, MAX_TRANSCRIPT));
    text
}

pub(crate) fn heard_sent(transcript: &str, record: &SessionRecord) -> (Html, InlineKeyboardMarkup) {
    let mut text = heard(transcript);
    text.push_raw("\n").push(typed_into(record));
    (text, session_keyboard(record))
}

pub(crate) fn heard_nothing() -> Html {
    Html::raw("🎤 heard nothing in that voice note; nothing was typed.")
}

pub(crate) fn not_transcribed(error: &str) -> Html {
    let mut text = Html::raw("⚠️ could not transcribe that voice note: ");
    text.push_text(error).push_raw(". Nothing was typed.");
    text
}

pub(crate) fn heard_not_sent(transcript: &str, error: &str) -> Html {
    let mut text = heard(transcript);
    text.push_raw("\n⚠️ ")
        .push_text(error)
        .push_raw("; nothing was typed.");
    text
}

/// A button per active session, to give it what came in message `from`.
fn which_session(active: &[SessionRecord], from: MessageId) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(active.iter().map(|r| {
        let action = Action::Deliver {
            session: r.id,
            from: from.0,
        };
        vec![button(&format!("➡️ {}", r.name), action)]
    }))
}

/// The transcript of the voice note in message `from`, and a button per
/// active session to type it into (none when no session is active).
pub(crate) fn heard_which(
    transcript: &str,
    active: &[SessionRecord],
    from: MessageId,
) -> (Html, InlineKeyboardMarkup) {
    let mut text = heard(transcript);
    if active.is_empty() {
        text.push_raw("\nNo session is active: start one with /new, then send it again.");
    } else {
        text.push_raw("\nWhich session is it for?");
    }
    (text, which_session(active, from))
}

/// A voice note or file sent in the topic of a session that cannot take it
/// now (not running, or removed): nothing was fetched or typed.
pub(crate) fn not_live_here(record: &SessionRecord) -> Html {
    let mut text = head(record);
    let then = match record.state {
        SessionState::Starting => "; send it again in a moment.",
        SessionState::Removed => "; this topic takes nothing more.",
        _ => "; /resume it here, then send it again.",
    };
    text.push_raw(" is ")
        .push_text(record.state.name())
        .push_raw(": nothing was fetched or typed")
        .push_raw(then);
    text
}

/// Shown while a file is fetched into a session's inbox.
pub(crate) fn saving(name: &str) -> Html {
    let mut text = Html::raw("📎 saving ");
    text.push(Html::code(name)).push_raw("…");
    text
}

/// A file saved in the session's inbox, and the agent told about it.
pub(crate) fn saved(
    record: &SessionRecord,
    relative: &Path,
    size: Size,
) -> (Html, InlineKeyboardMarkup) {
    let mut text = Html::raw("📎 ");
    text.push(Html::bold(Html::text(record.name.as_str())))
        .push_raw(": saved ")
        .push(Html::code(&relative.display().to_string()))
        .push_text(&format!(" ({size})"))
        .push_raw(" and told the agent.");
    (text, session_keyboard(record))
}

pub(crate) fn not_saved(name: &str, error: &str) -> Html {
    let mut text = Html::raw("⚠️ ");
    text.push(Html::code(name))
        .push_raw(" was not saved: ")
        .push_text(error);
    text
}

/// The file in message `from`, and a button per active session to give it
/// to (none when no session is active).
pub(crate) fn file_which(
    name: &str,
    active: &[SessionRecord],
    from: MessageId,
) -> (Html, InlineKeyboardMarkup) {
    let mut text = Html::raw("📎 ");
    if active.is_empty() {
        text.push_raw("No session is active to give ")
            .push(Html::code(name))
            .push_raw(" to: start one with /new, then send it again.");
    } else {
        text.push_raw("Which session is ")
            .push(Html::code(name))
            .push_raw(" for?");
    }
    (text, which_session(active, from))
}

/// The caption of a file `/get` sends: whose folder, which path, how big.
pub(crate) fn sent_file(record: &SessionRecord, file: &FileToSend) -> Html {
    let mut text = Html::raw("📄 ");
    text.push(Html::bold(Html::text(record.name.as_str())))
        .push_raw(": ")
        .push(Html::code(&file.asked))
        .push_text(&format!(" ({})", file.size));
    text
}
