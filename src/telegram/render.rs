//! Every message the bot sends: sessions, lists, decisions, notifications,
//! replies. Built as [`Html`], so outside text is escaped by construction.

use std::path::Path;

use chrono::{DateTime, Utc};
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup, MessageId};

use super::callback::Action;
use super::command::{COMMANDS, CommandInfo};
use super::html::Html;
use super::markdown::{self, Fitted, Limits};
use crate::events::ToolCall;
use crate::files::{FileToSend, Size};
use crate::session::{
    Answer, Decision, Ending, Level, ReconcileReport, SessionRecord, SessionState, Tapped,
};

/// Characters of text per message: under Telegram's 4096, with room for the
/// head line and markup around a chunk.
pub(crate) const CHUNK: usize = 3800;
/// The most of a question a decision message shows.
const MAX_QUESTION: usize = 500;
/// The most of a decision's context (command, diff) a message shows.
const MAX_CONTEXT: usize = 1500;
/// The most of a task a start message shows.
const MAX_TASK: usize = 500;
/// The most of a screen's tail a notification shows.
const MAX_TAIL: usize = 3000;
/// The most of what a working agent does, in a progress message.
const MAX_DOING: usize = 300;
/// The most of a button's label; Telegram cuts long ones anyway.
const MAX_BUTTON: usize = 60;
/// The most of a callback answer (Telegram allows 200).
pub(crate) const MAX_TOAST: usize = 190;
/// The most of an error shown in a list line.
const MAX_LIST_ERROR: usize = 120;
/// Sessions per `/ls` page: keeps the message under the length limit and its
/// keyboard under Telegram's 100 buttons.
pub(crate) const LIST_PAGE: usize = 10;

/// At most `max` characters, with `…` where text was cut.
pub(crate) fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Splits text into pieces of at most [`CHUNK`] characters, at line ends where it can.
pub(crate) fn chunks(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut current_len = 0;
    for line in text.split_inclusive('\n') {
        let mut line = line;
        loop {
            let len = line.chars().count();
            if current_len + len <= CHUNK {
                current.push_str(line);
                current_len += len;
                break;
            }
            if current_len > 0 {
                out.push(std::mem::take(&mut current));
                current_len = 0;
                continue;
            }
            // A single line longer than a chunk: cut it.
            let cut = line
                .char_indices()
                .nth(CHUNK)
                .map_or(line.len(), |(i, _)| i);
            out.push(line[..cut].to_owned());
            line = &line[cut..];
        }
    }
    if !current.is_empty() || out.is_empty() {
        out.push(current);
    }
    out
}

/// A screen as preformatted blocks, one message each, each under the limit.
pub(crate) fn pre_blocks(text: &str) -> Vec<Html> {
    let text = if text.trim().is_empty() {
        "(empty screen)"
    } else {
        text
    };
    chunks(text)
        .iter()
        .map(|c| Html::pre(c.trim_end_matches('\n')))
        .collect()
}

pub(crate) fn state_emoji(state: &SessionState) -> &'static str {
    match state {
        SessionState::Starting => "⏳",
        SessionState::Active {
            pending: Some(_), ..
        } => "❓",
        SessionState::Active { .. } => "🟢",
        SessionState::Stopped { .. } => "⏹",
        SessionState::Errored { .. } => "⚠️",
        SessionState::Removed => "🗑",
    }
}

/// `42s`, `5m`, `3h`, `2d`: how long ago `then` was.
pub fn age(then: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = (now - then).num_seconds().max(0);
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86_400 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86_400),
    }
}

/// A folder with the home folder shown as `~`.
pub fn short_folder(folder: &Path, home: Option<&Path>) -> String {
    match home.filter(|h| *h != Path::new("/")) {
        Some(home) => match folder.strip_prefix(home) {
            Ok(rest) if rest.as_os_str().is_empty() => "~".to_owned(),
            Ok(rest) => format!("~/{}", rest.display()),
            Err(_) => folder.display().to_string(),
        },
        None => folder.display().to_string(),
    }
}

/// The head of every message about a session: emoji and name first, so a
/// reply to it can be traced back to the session.
pub(crate) fn head(record: &SessionRecord) -> Html {
    let mut out = Html::raw(state_emoji(&record.state));
    out.push_raw(" ")
        .push(Html::bold(Html::text(record.name.as_str())));
    out
}

/// `tmux -L SOCKET attach -t NAME`, on a line of its own.
fn attach_hint(name: &str, socket: &str) -> Html {
    let mut out = Html::raw("\nAttach: ");
    out.push(Html::code(&format!("tmux -L {socket} attach -t {name}")));
    out
}

/// Peek plus Stop or Resume (and Remove when `remove`) for one session.
pub(crate) fn session_row(record: &SessionRecord, remove: bool) -> Vec<InlineKeyboardButton> {
    let id = record.id;
    let mut row = vec![button(&format!("👁 {}", record.name), Action::Peek(id))];
    if record.state.is_live() {
        row.push(button("⏹ Stop", Action::Stop(id)));
    } else {
        row.push(button("▶️ Resume", Action::Resume(id)));
    }
    if remove {
        row.push(button("🗑 Remove", Action::Remove(id)));
    }
    row
}

/// A session's card buttons: its row, and the notification level's button.
pub(crate) fn session_keyboard(record: &SessionRecord) -> InlineKeyboardMarkup {
    let mut row = session_row(record, false);
    row.push(button(level_label(record.level), Action::Level(record.id)));
    InlineKeyboardMarkup::new(vec![row])
}

/// The level button's label: the level the session is at.
fn level_label(level: Level) -> &'static str {
    match level {
        Level::All => "🔔 All",
        Level::Decisions => "🔉 Decisions",
        Level::Muted => "🔕 Muted",
    }
}

pub(crate) fn button(label: &str, action: Action) -> InlineKeyboardButton {
    InlineKeyboardButton::callback(truncate(label, MAX_BUTTON), action.encode())
}

fn peek_resume(session: &SessionRecord) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(vec![vec![
        button("👁 Peek", Action::Peek(session.id)),
        button("▶️ Resume", Action::Resume(session.id)),
    ]])
}

// ---- Replies to commands ------------------------------------------------------

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
        SessionState::Active {
            pending: Some(_), ..
        } => {
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

// ---- Decisions ----------------------------------------------------------------

/// The message that asks the user a decision: question, context, and one
/// button per option with the agent's default marked.
pub(crate) fn decision(
    record: &SessionRecord,
    decision: &Decision,
    socket: &str,
) -> (Html, InlineKeyboardMarkup) {
    let prompt = &decision.prompt;
    let mut text = Html::raw("❓ ");
    text.push(Html::bold(Html::text(record.name.as_str())))
        .push_raw(" is waiting for you\n\n")
        .push(Html::bold(Html::text(&truncate(
            &prompt.question,
            MAX_QUESTION,
        ))));
    if let Some(context) = &prompt.context {
        text.push_raw("\n")
            .push(Html::pre(&truncate(context, MAX_CONTEXT)));
    }
    if let Some(call) = &decision.tool {
        text.push(tool_call(call, prompt.context.as_deref()));
    }
    if prompt.multi_select {
        return multi_select(record, decision, text, socket);
    }
    let fingerprint = decision.fingerprint();
    let mut rows: Vec<Vec<InlineKeyboardButton>> = prompt
        .options
        .iter()
        .enumerate()
        .map(|(i, option)| {
            let mark = if prompt.default == Some(i) {
                "⭐ "
            } else {
                ""
            };
            let action = Action::Answer {
                session: record.id,
                serial: decision.serial,
                fingerprint,
                option: u8::try_from(i).unwrap_or(u8::MAX),
            };
            vec![button(&format!("{mark}{}", option.label), action)]
        })
        .collect();
    if prompt.default.is_some() {
        text.push_raw("\n\n⭐ = the agent's proposed default");
    }
    rows.push(vec![button("👁 Peek", Action::Peek(record.id))]);
    (text, InlineKeyboardMarkup::new(rows))
}

/// The tool call behind a decision as its agent named it: the tool, and
/// the call in full unless the screen's context already shows it whole.
fn tool_call(call: &ToolCall, context: Option<&str>) -> Html {
    let mut text = Html::raw("\n🔧 ");
    text.push(Html::bold(Html::text(&truncate(&call.tool, MAX_BUTTON))));
    let shown_whole = context.is_some_and(|c| c.contains(call.input.as_str()));
    if !call.input.is_empty() && !shown_whole {
        text.push_raw("\n")
            .push(Html::pre(&truncate(&call.input, MAX_CONTEXT)));
    }
    text
}

/// A question with check boxes: its options as they stand, and where to
/// answer it. No button can tick and submit safely from here, so none does.
fn multi_select(
    record: &SessionRecord,
    decision: &Decision,
    mut text: Html,
    socket: &str,
) -> (Html, InlineKeyboardMarkup) {
    for option in &decision.prompt.options {
        text.push_raw("\n")
            .push_text(&truncate(&option.label, MAX_BUTTON));
    }
    text.push_raw("\n\nSeveral answers can be ticked here: answer it in the terminal.")
        .push(attach_hint(record.name.as_str(), socket));
    let keyboard = InlineKeyboardMarkup::new(vec![vec![button("👁 Peek", Action::Peek(record.id))]]);
    (text, keyboard)
}

/// A decision's message once a tap answered it: who chose what, and when.
pub(crate) fn tapped(record: &SessionRecord, decision: &Decision, tapped: &Tapped) -> Html {
    let mut text = Html::raw("✅ ");
    text.push(Html::bold(Html::text(record.name.as_str())))
        .push_raw(": ")
        .push_text(&truncate(&decision.prompt.question, MAX_QUESTION))
        .push_raw("\n→ ")
        .push(Html::bold(Html::text(&tapped.option)))
        .push_raw(", by ")
        .push_text(&tapped.by)
        .push_text(&format!(" at {} UTC", tapped.at.format("%H:%M:%S")));
    text
}

/// A decision's message once it ended without a tap, saying how.
pub(crate) fn closed(record: &SessionRecord, decision: &Decision, ending: &Ending) -> Html {
    if let Ending::Tapped(t) = ending {
        return tapped(record, decision, t);
    }
    let mut text = Html::raw("☑️ ");
    text.push(Html::bold(Html::text(record.name.as_str())))
        .push_raw(": ")
        .push_text(&truncate(&decision.prompt.question, MAX_QUESTION))
        .push_raw("\n→ ")
        .push_text(&ending.describe());
    text
}

/// A message whose buttons went stale, kept but marked.
pub(crate) fn no_longer_open(original: Option<&str>) -> Html {
    let mut text = Html::default();
    if let Some(original) = original {
        text.push_text(&truncate(original, CHUNK - 100))
            .push_raw("\n\n");
    }
    text.push_raw("(no longer open)");
    text
}

// ---- Notifications --------------------------------------------------------------

/// `head` plus the screen's last lines, kept under the message limit.
fn with_tail(mut head: Html, tail: &str) -> Html {
    let tail = tail.trim();
    if !tail.is_empty() {
        head.push_raw("\n")
            .push(Html::pre(&truncate(tail, MAX_TAIL)));
    }
    head
}

/// Visible characters of an answer shown unfolded; the rest folds.
const ANSWER_FOLD: usize = 1500;
/// Most visible characters of an answer in one message; past it, a file.
const ANSWER_MAX: usize = 3800;

/// A finished turn: the agent's answer (from its Markdown, folded or with
/// the whole as a file when long, or read off its screen), and the Markdown
/// for a `.md` file when it does not fit.
pub(crate) fn turn_finished(
    session: &SessionRecord,
    answer: &Answer,
) -> (Html, InlineKeyboardMarkup, Option<String>) {
    let mut text = Html::raw("✅ ");
    text.push(head(session)).push_raw(" finished its turn");
    let mut file = None;
    match answer {
        Answer::Markdown(markdown) => {
            let limits = Limits {
                fold: ANSWER_FOLD,
                max: ANSWER_MAX,
            };
            text.push_raw("\n\n");
            match markdown::fit(markdown, limits) {
                Fitted::Whole(html) | Fitted::Folded(html) => {
                    text.push(html);
                }
                Fitted::File { head, markdown } => {
                    text.push(head)
                        .push_raw("\n\n(the whole answer is in the file below)");
                    file = Some(markdown);
                }
            }
        }
        Answer::Screen(screen) => {
            text.push_raw("\n").push(Html::pre(&tail(screen, MAX_TAIL)));
        }
        Answer::Nothing => {}
    }
    let mut row = vec![button("👁 Peek", Action::Peek(session.id))];
    if session.quiet_progress {
        let show = Action::Quiet {
            session: session.id,
            quiet: false,
        };
        row.push(button("🔔 Show progress", show));
    }
    (text, InlineKeyboardMarkup::new(vec![row]), file)
}

/// The end of `text`, at most `max` characters, with `…` where it was cut.
fn tail(text: &str, max: usize) -> String {
    let count = text.chars().count();
    if count <= max {
        return text.to_owned();
    }
    let mut out = String::from("…");
    out.extend(text.chars().skip(count - max + 1));
    out
}

/// What a working agent does now, and for how long its turn has run.
pub(crate) fn progress(
    session: &SessionRecord,
    doing: &str,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> (Html, InlineKeyboardMarkup) {
    let mut text = Html::raw("⏳ ");
    text.push(Html::bold(Html::text(session.name.as_str())))
        .push_text(&format!(" is working ({})\n", age(since, now)))
        .push(Html::code(&truncate(doing, MAX_DOING)));
    let hide = Action::Quiet {
        session: session.id,
        quiet: true,
    };
    let keyboard = InlineKeyboardMarkup::new(vec![vec![
        button("👁 Peek", Action::Peek(session.id)),
        button("🔕 Hide progress", hide),
    ]]);
    (text, keyboard)
}

/// A progress message once its turn ended.
pub(crate) fn progress_done(session: &SessionRecord) -> Html {
    let mut text = Html::raw("☑️ ");
    text.push(Html::bold(Html::text(session.name.as_str())))
        .push_raw(": the turn ended.");
    text
}

/// The reply to turning progress messages off or on.
pub(crate) fn quiet(session: &SessionRecord) -> String {
    if session.quiet_progress {
        format!("No more progress messages for {}", session.name)
    } else {
        format!("Progress messages for {} are on", session.name)
    }
}

pub(crate) fn exited(
    session: &SessionRecord,
    exit_status: Option<i32>,
    tail: &str,
) -> (Html, InlineKeyboardMarkup) {
    let status = match exit_status {
        Some(code) => format!("exit {code}"),
        None => "its tmux session is gone".to_owned(),
    };
    let mut text = head(session);
    text.push_text(&format!(" stopped ({status})"));
    (with_tail(text, tail), peek_resume(session))
}

pub(crate) fn task_waits(session: &SessionRecord) -> (Html, InlineKeyboardMarkup) {
    let mut text = Html::raw("⏳ ");
    text.push(head(session)).push_raw(
        " is not ready for its task yet: it will be typed as soon as the agent waits for input. /peek shows its screen.",
    );
    let keyboard =
        InlineKeyboardMarkup::new(vec![vec![button("👁 Peek", Action::Peek(session.id))]]);
    (text, keyboard)
}

pub(crate) fn errored(session: &SessionRecord, error: &str) -> (Html, InlineKeyboardMarkup) {
    let mut text = head(session);
    text.push_raw(" errored: ").push_text(error);
    (text, peek_resume(session))
}

pub(crate) fn server_gone(stopped: &[SessionRecord], socket: &str) -> (Html, InlineKeyboardMarkup) {
    let mut text = Html::raw("⏹ The tmux server on socket ");
    text.push(Html::code(socket))
        .push_raw(" is gone; stopped: ");
    text.push(Html::join(
        stopped.iter().map(|r| Html::text(r.name.as_str())),
        ", ",
    ));
    let rows = stopped
        .iter()
        .map(|r| {
            vec![button(
                &format!("▶️ Resume {}", r.name),
                Action::Resume(r.id),
            )]
        })
        .collect::<Vec<_>>();
    (text, InlineKeyboardMarkup::new(rows))
}

/// What the bot found at start-up.
pub(crate) fn startup(report: &ReconcileReport, socket: &str) -> Html {
    let names = |names: Vec<String>| {
        if names.is_empty() {
            Html::default()
        } else {
            let mut out = Html::raw(": ");
            out.push(Html::join(names.iter().map(|n| Html::text(n)), ", "));
            out
        }
    };
    let mut text = Html::raw("🔄 <b>tgmux started</b>\n");
    text.push_text(&format!("🟢 {} live", report.live.len()))
        .push(names(report.live.iter().map(ToString::to_string).collect()))
        .push_text(&format!("\n⏹ {} stopped", report.stopped.len()))
        .push(names(
            report
                .stopped
                .iter()
                .map(|(n, status)| match status {
                    Some(code) => format!("{n} (exit {code})"),
                    None => n.to_string(),
                })
                .collect(),
        ))
        .push_text(&format!("\n📥 {} adopted", report.adopted.len()))
        .push(names(
            report.adopted.iter().map(ToString::to_string).collect(),
        ))
        .push_raw("\nAttach on the machine: ")
        .push(Html::code(&format!("tmux -L {socket} attach -t NAME")));
    text
}

// ---- The sessions group ----------------------------------------------------------

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

// ---- People who may not use the bot, and places it does not talk in ---------------

pub(crate) fn private_bot(user: u64) -> Html {
    Html::text(&format!(
        "This bot is private. Your Telegram user id is {user}."
    ))
}

pub(crate) fn paired(socket: &str) -> Html {
    let mut text = Html::raw("Paired: welcome.\n\n");
    text.push(help(socket));
    text
}

pub(crate) fn wrong_pairing_code() -> Html {
    Html::raw(
        "That pairing code is not right. Check the code printed in the terminal where tgmux runs.",
    )
}

pub(crate) fn private_chats_only() -> Html {
    Html::raw(
        "tgmux shows sessions only in a private chat with an allowed user: send your commands to the bot directly.",
    )
}

// ---- Voice notes and files ------------------------------------------------------

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::screen::{Prompt, PromptOption};
    use crate::session::SessionName;

    fn record(name: &str, state: SessionState) -> SessionRecord {
        let mut r = SessionRecord::new(
            SessionName::parse(name).unwrap(),
            "/tmp/<x>".into(),
            None,
            "a&b".into(),
        );
        r.state = state;
        r
    }

    fn active() -> SessionState {
        SessionState::Active {
            since: Utc::now(),
            pending: None,
            task: None,
        }
    }

    #[test]
    fn chunks_stay_under_the_limit_and_keep_everything() {
        let text = format!("{}\n{}\nshort\n", "a".repeat(10_000), "b".repeat(100));
        let parts = chunks(&text);
        assert!(parts.iter().all(|p| p.chars().count() <= CHUNK));
        assert_eq!(parts.concat(), text);
        let wide = "é".repeat(CHUNK * 2 + 5);
        assert_eq!(chunks(&wide).concat(), wide);
        assert_eq!(chunks(""), vec![String::new()]);
        for block in pre_blocks(&"<&>".repeat(5000)) {
            assert!(block.as_str().starts_with("<pre>") && !block.as_str().contains("<&"));
        }
    }

    #[test]
    fn folders_under_home_are_shown_with_a_tilde() {
        let home = Path::new("/home/dev");
        assert_eq!(
            short_folder(Path::new("/home/dev/code"), Some(home)),
            "~/code"
        );
        assert_eq!(short_folder(home, Some(home)), "~");
        assert_eq!(
            short_folder(Path::new("/home/developer"), Some(home)),
            "/home/developer",
            "a prefix of a name is not the home folder"
        );
        assert_eq!(short_folder(Path::new("/srv"), None), "/srv");
    }

    #[test]
    fn list_hides_removed_unless_all_and_escapes_everything() {
        let records = vec![
            record("old", SessionState::Removed),
            record("web", active()),
        ];
        let (text, kb) = list(&records, false, 0, Utc::now(), None);
        let text = text.as_str();
        assert!(
            text.contains("<b>web</b>") && !text.contains("old"),
            "{text}"
        );
        assert!(
            text.contains("/tmp/&lt;x&gt;") && text.contains("a&amp;b"),
            "{text}"
        );
        assert_eq!(kb.inline_keyboard.len(), 1);
        let (text, _) = list(&records, true, 0, Utc::now(), None);
        assert!(text.as_str().contains("old"));
    }

    #[test]
    fn a_long_list_is_one_message_per_page_with_page_buttons() {
        let records: Vec<SessionRecord> = (0..60)
            .map(|i| {
                let mut r = record(
                    &format!("{}-{i}", "s".repeat(30)),
                    SessionState::Errored {
                        error: "e".repeat(5000),
                    },
                );
                r.folder = format!("/{}", "d".repeat(300)).into();
                r.agent = "x".repeat(300);
                r
            })
            .collect();
        let mut seen = 0;
        for page in 0..6 {
            let (text, kb) = list(&records, false, page, Utc::now(), None);
            assert!(text.as_str().chars().count() < 4096);
            assert!(kb.inline_keyboard.iter().flatten().count() <= 100);
            seen += text.as_str().matches("<b>sss").count();
            let nav: Vec<&str> = kb
                .inline_keyboard
                .last()
                .unwrap()
                .iter()
                .map(|b| b.text.as_str())
                .collect();
            match page {
                0 => assert_eq!(nav, ["Next ▶️"]),
                5 => assert_eq!(nav, ["◀️ Previous"]),
                _ => assert_eq!(nav, ["◀️ Previous", "Next ▶️"]),
            }
        }
        assert_eq!(seen, 60);
        let (last, _) = list(&records, false, 99, Utc::now(), None);
        assert!(
            last.as_str().contains("Page 6 of 6"),
            "a page past the end shows the last"
        );
    }

    #[test]
    fn decisions_escape_and_bound_everything() {
        let record = record("web", active());
        let decision = Decision {
            serial: 3,
            prompt: Prompt {
                question: format!("Run <{}>?", "q&".repeat(2000)),
                context: Some("<script>&".repeat(1000)),
                options: vec![
                    PromptOption {
                        label: "Yes <&>".repeat(30),
                        keys: vec![],
                        asks_reply: false,
                    },
                    PromptOption {
                        label: "No".into(),
                        keys: vec![],
                        asks_reply: true,
                    },
                ],
                default: Some(0),
                multi_select: false,
            },
            tool: Some(ToolCall {
                tool: "<Bash>".repeat(100),
                input: "<rm>&".repeat(2000),
            }),
            opened_at: Utc::now(),
            tapped: None,
        };
        let (text, kb) = self::decision(&record, &decision, "tgmux");
        let text = text.as_str();
        assert!(
            !text.contains("<script>")
                && !text.contains("q&q")
                && !text.contains("<rm>")
                && !text.contains("<Bash>"),
            "escaped"
        );
        let visible = text
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&");
        assert!(
            visible.chars().count() < 4096,
            "{} chars",
            visible.chars().count()
        );
        let buttons: Vec<&InlineKeyboardButton> = kb.inline_keyboard.iter().flatten().collect();
        assert!(
            buttons[0].text.starts_with("⭐ Yes") && buttons[0].text.chars().count() <= MAX_BUTTON,
            "{:?}",
            buttons[0].text
        );
        assert_eq!(buttons[1].text, "No");
        assert!(buttons[2].text.contains("Peek"));
        let teloxide::types::InlineKeyboardButtonKind::CallbackData(data) = &buttons[1].kind else {
            panic!("a callback button");
        };
        assert_eq!(
            Action::decode(data),
            Ok(Action::Answer {
                session: record.id,
                serial: 3,
                fingerprint: decision.fingerprint(),
                option: 1
            })
        );
    }

    #[test]
    fn a_decision_names_its_tool_call_and_shows_what_the_screen_cut() {
        let record = record("web", active());
        let question = |context: &str| Prompt {
            question: "Do you want to proceed?".into(),
            context: Some(context.into()),
            options: vec![],
            default: None,
            multi_select: false,
        };
        let call = |input: &str| ToolCall {
            tool: "Bash".into(),
            input: input.into(),
        };
        let text = |context: &str, input: &str| {
            let decision = Decision {
                serial: 1,
                prompt: question(context),
                tool: Some(call(input)),
                opened_at: Utc::now(),
                tapped: None,
            };
            self::decision(&record, &decision, "tgmux")
                .0
                .as_str()
                .to_owned()
        };
        assert!(
            text("Bash command\necho hi > marker.txt", "echo hi > marker.txt")
                .ends_with("echo hi &gt; marker.txt</pre>\n🔧 <b>Bash</b>"),
            "shown whole on the screen: the tool's name only"
        );
        let long = "cargo test --workspace -- --test-threads=1 slow";
        let cut = text("Bash command\ncargo test --works…", long);
        assert!(
            cut.ends_with(&format!("\n🔧 <b>Bash</b>\n<pre>{long}</pre>")),
            "{cut}"
        );
    }

    #[test]
    fn ages() {
        let now = Utc::now();
        assert_eq!(age(now - chrono::Duration::seconds(5), now), "5s");
        assert_eq!(age(now - chrono::Duration::minutes(5), now), "5m");
        assert_eq!(age(now - chrono::Duration::hours(3), now), "3h");
        assert_eq!(age(now - chrono::Duration::days(2), now), "2d");
    }
}
