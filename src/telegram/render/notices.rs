//! Notifications: finished turns with the agent's answer, progress, exits,
//! failures and the start-up report.

use super::*;

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
