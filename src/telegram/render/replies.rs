//! Replies to commands: help, usage, lists, session cards and state changes.

use super::*;

/// The `/help` text, from the same table as the phone's command menu.
pub(crate) fn help(socket: &str) -> Html {
    let mut text = Html::raw("<b>tgmux</b>: your coding agents in tmux, from here.\n\n");
    for c in COMMANDS {
        text.push(usage_line(c)).push_raw("\n");
    }
    text.push_raw(
        "\nReply to any message about a session to type into it.\nAttach on the machine: ",
    );
    text.push(Html::code(&format!("tmux -L {socket} attach -t NAME")));
    text
}

/// `/peek NAME [lines] – show the last lines ...`
fn usage_line(c: &CommandInfo) -> Html {
    let mut line = Html::text(&format!("/{}", c.name));
    if !c.args.is_empty() {
        line.push_raw(" ").push_text(c.args);
    }
    line.push_raw(" – ").push_text(c.about);
    line
}

/// The reply to a command typed wrong: its usage line.
pub(crate) fn usage(c: &CommandInfo, problem: &str) -> Html {
    let mut text = Html::raw("⚠️ ");
    text.push_text(problem)
        .push_raw("\nUsage: ")
        .push(usage_line(c));
    text
}

/// A failed command or tap, worded for the phone.
pub(crate) fn error(message: &str) -> Html {
    let mut text = Html::raw("⚠️ ");
    text.push_text(message);
    text
}

pub(crate) fn unknown_command(word: &str) -> Html {
    let mut text = Html::raw("⚠️ ");
    text.push(Html::code(word))
        .push_raw(" is not a tgmux command; /help lists them.");
    text
}

pub(crate) fn started(record: &SessionRecord, socket: &str, home: Option<&Path>) -> Html {
    let mut text = head(record);
    text.push_raw(" started in ")
        .push(Html::code(&short_folder(&record.folder, home)))
        .push_raw(" running ")
        .push(Html::code(&record.agent));
    if let Some(task) = &record.task {
        text.push_raw("\nTask: ")
            .push_text(&truncate(task, MAX_TASK));
    }
    text.push(attach_hint(record.name.as_str(), socket));
    text
}

/// One `/ls` line.
fn list_line(record: &SessionRecord, now: DateTime<Utc>, home: Option<&Path>) -> Html {
    let mut line = head(record);
    line.push_raw(" · ")
        .push_text(&age(record.created_at, now))
        .push_raw(" · ")
        .push(Html::code(&truncate(
            &short_folder(&record.folder, home),
            80,
        )))
        .push_raw(" · ")
        .push_text(&truncate(&record.agent, 40));
    match &record.state {
        SessionState::Active { .. } if record.state.awaiting().is_some() => {
            line.push_raw(" · waiting for you");
        }
        SessionState::Errored { error } => {
            line.push_raw(" · ")
                .push_text(&truncate(error, MAX_LIST_ERROR));
        }
        SessionState::Stopped {
            exit_status: Some(status),
        } => {
            line.push_text(&format!(" · exit {status}"));
        }
        _ => {}
    }
    line
}

/// Page `page` of `/ls` as one message: a line and a row of buttons per
/// session, and ◀ ▶ buttons that edit it in place.
pub(crate) fn list(
    records: &[SessionRecord],
    all: bool,
    page: usize,
    now: DateTime<Utc>,
    home: Option<&Path>,
) -> (Html, InlineKeyboardMarkup) {
    let shown: Vec<&SessionRecord> = records
        .iter()
        .filter(|r| all || r.state != SessionState::Removed)
        .collect();
    if shown.is_empty() {
        let text = if all {
            "No sessions yet. Start one with /new [folder] [task]."
        } else {
            "No sessions. Start one with /new [folder] [task] (/ls all shows removed ones)."
        };
        return (Html::raw(text), InlineKeyboardMarkup::default());
    }
    let pages = shown.len().div_ceil(LIST_PAGE);
    let page = page.min(pages - 1);
    let on_page = &shown[page * LIST_PAGE..shown.len().min((page + 1) * LIST_PAGE)];
    let mut text = Html::join(on_page.iter().map(|r| list_line(r, now, home)), "\n");
    let mut rows: Vec<Vec<InlineKeyboardButton>> = on_page
        .iter()
        .filter(|r| r.state != SessionState::Removed)
        .map(|r| session_row(r, true))
        .collect();
    if pages > 1 {
        text.push_text(&format!(
            "\n\nPage {} of {pages} · {} sessions",
            page + 1,
            shown.len()
        ));
        let to = |p: usize, label: &str| {
            let page = u16::try_from(p).unwrap_or(u16::MAX);
            button(label, Action::List { page, all })
        };
        let mut nav = Vec::new();
        if page > 0 {
            nav.push(to(page - 1, "◀️ Previous"));
        }
        if page + 1 < pages {
            nav.push(to(page + 1, "Next ▶️"));
        }
        rows.push(nav);
    }
    (text, InlineKeyboardMarkup::new(rows))
}

/// The head of a `/peek`: which session, and how to attach to it.
pub(crate) fn peek_head(record: &SessionRecord, socket: &str) -> Html {
    let mut text = head(record);
    text.push(attach_hint(record.name.as_str(), socket));
    text
}

/// The reply to a stop, resume or remove: the session's state now.
pub(crate) fn state_change(record: &SessionRecord, socket: &str) -> Html {
    let mut text = head(record);
    match &record.state {
        SessionState::Active { .. } => {
            text.push_raw(" is running again")
                .push(attach_hint(record.name.as_str(), socket));
        }
        SessionState::Stopped { .. } => {
            text.push_raw(" stopped; its folder is kept.");
        }
        SessionState::Removed => {
            text.push_raw(" removed; its folder is kept.");
        }
        other => {
            text.push_text(&format!(" is {other}"));
        }
    }
    text
}

pub(crate) fn confirm_remove(
    record: &SessionRecord,
    home: Option<&Path>,
) -> (Html, InlineKeyboardMarkup) {
    let mut text = head(record);
    text.push_raw(" — remove it? Its tmux session is killed; the folder ")
        .push(Html::code(&short_folder(&record.folder, home)))
        .push_raw(" stays.");
    let keyboard = InlineKeyboardMarkup::new(vec![vec![
        button("🗑 Yes, remove", Action::RemoveConfirmed(record.id)),
        button("Cancel", Action::RemoveCancelled(record.id)),
    ]]);
    (text, keyboard)
}

pub(crate) fn kept(record: &SessionRecord) -> Html {
    let mut text = head(record);
    text.push_raw(" kept.");
    text
}

pub(crate) fn typed_into(record: &SessionRecord) -> Html {
    let mut text = Html::raw("⌨️ sent to ");
    text.push(Html::bold(Html::text(record.name.as_str())));
    text
}

pub(crate) fn ask_reply(record: &SessionRecord) -> Html {
    let mut text = Html::raw("✍️ ");
    text.push(Html::bold(Html::text(record.name.as_str())))
        .push_raw(": reply to this message with what the agent should do instead.");
    text
}
