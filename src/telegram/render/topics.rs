//! The sessions group: topic titles and what is said in a session's topic.

use super::*;

/// A session's topic title: its state's emoji and its name (plain text, as
/// Telegram takes topic names; well under their 128 characters).
pub(crate) fn topic_title(record: &SessionRecord) -> String {
    format!("{} {}", state_emoji(&record.state), record.name)
}

/// The reply to `/new` outside the session's topic, where its card went.
pub(crate) fn started_in_topic(record: &SessionRecord) -> Html {
    let mut text = head(record);
    text.push_raw(" started: its messages are in its topic.");
    text
}

/// What a session's new notification level means.
pub(crate) fn level_set(record: &SessionRecord) -> Html {
    let mut text = head(record);
    text.push_raw(match record.level {
        Level::All => " 🔔 sends everything.",
        Level::Decisions => " 🔉 sends only decisions and errors.",
        Level::Muted => " 🔕 is muted: only decisions are sent.",
    });
    text
}
