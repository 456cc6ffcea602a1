//! Turning sessions, screens and decisions into Telegram HTML and keyboards.
//! Every piece of text that did not come from this file is escaped.

use chrono::{DateTime, Utc};
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

use super::callback::Action;
use crate::session::{Decision, SessionRecord, SessionState};

/// Characters of text per message: under Telegram's 4096, with room for the
/// head line and markup around a chunk.
const CHUNK: usize = 3800;

/// Escapes text for Telegram's HTML parse mode.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

/// Splits text into pieces of at most `CHUNK` characters, at line ends where it can.
pub fn chunks(text: &str) -> Vec<String> {
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

/// Text as preformatted blocks, one message each, each under the limit.
pub fn pre_blocks(text: &str) -> Vec<String> {
    let text = if text.trim().is_empty() {
        "(empty screen)"
    } else {
        text
    };
    chunks(text)
        .iter()
        .map(|c| format!("<pre>{}</pre>", escape(c.trim_end_matches('\n'))))
        .collect()
}

pub fn state_emoji(state: SessionState) -> &'static str {
    match state {
        SessionState::Provisioning => "⏳",
        SessionState::Active => "🟢",
        SessionState::Stopped => "⏹",
        SessionState::Errored => "⚠️",
        SessionState::Decommissioned => "🗑",
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
pub fn short_folder(folder: &std::path::Path) -> String {
    let shown = folder.display().to_string();
    match std::env::var("HOME") {
        Ok(home) if !home.is_empty() && home != "/" && shown.starts_with(&home) => {
            format!("~{}", &shown[home.len()..])
        }
        _ => shown,
    }
}

/// The head line of every message about a session: emoji and name first, so
/// a reply to it can be traced back to the session.
pub fn head(record: &SessionRecord) -> String {
    format!(
        "{} <b>{}</b>",
        state_emoji(record.state),
        escape(record.name.as_str())
    )
}

/// One `/ls` line.
pub fn list_line(record: &SessionRecord, now: DateTime<Utc>) -> String {
    let mut line = format!(
        "{} · {} · <code>{}</code> · {}",
        head(record),
        age(record.created_at, now),
        escape(&truncate(&short_folder(&record.folder), 80)),
        escape(&truncate(&record.agent, 40)),
    );
    if record.pending.is_some() {
        line.push_str(" · ❓ waiting for you");
    }
    match (record.state, record.exit_status, &record.error) {
        (SessionState::Errored, _, Some(error)) => {
            line.push_str(&format!(" · {}", escape(&truncate(error, 120))))
        }
        (SessionState::Stopped, Some(status), _) => line.push_str(&format!(" · exit {status}")),
        _ => {}
    }
    line
}

/// Sessions per `/ls` message: keeps each message under the length limit and
/// its keyboard under Telegram's 100 buttons.
const LIST_PAGE: usize = 10;

/// The `/ls` reply, one message per page of sessions; removed ones only when `all`.
pub fn list(
    records: &[SessionRecord],
    all: bool,
    now: DateTime<Utc>,
) -> Vec<(String, InlineKeyboardMarkup)> {
    let shown: Vec<&SessionRecord> = records
        .iter()
        .filter(|r| all || r.state != SessionState::Decommissioned)
        .collect();
    if shown.is_empty() {
        let text = if all {
            "No sessions yet. Start one with /new [folder] [task]."
        } else {
            "No sessions. Start one with /new [folder] [task] (/ls all shows removed ones)."
        };
        return vec![(text.to_owned(), InlineKeyboardMarkup::default())];
    }
    shown
        .chunks(LIST_PAGE)
        .map(|page| {
            let text = page
                .iter()
                .map(|r| list_line(r, now))
                .collect::<Vec<_>>()
                .join("\n");
            let rows = page
                .iter()
                .filter(|r| r.state != SessionState::Decommissioned)
                .map(|r| session_row(r, true))
                .collect::<Vec<_>>();
            (text, InlineKeyboardMarkup::new(rows))
        })
        .collect()
}

/// Peek plus Stop or Resume (and Remove when `remove`) for one session.
pub fn session_row(record: &SessionRecord, remove: bool) -> Vec<InlineKeyboardButton> {
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

pub fn session_keyboard(record: &SessionRecord) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(vec![session_row(record, false)])
}

pub fn button(label: &str, action: Action) -> InlineKeyboardButton {
    InlineKeyboardButton::callback(label.to_owned(), action.encode())
}

/// The message that asks the user a decision: question, context, and one
/// button per option with the agent's default marked.
pub fn decision_message(
    record: &SessionRecord,
    decision: &Decision,
) -> (String, InlineKeyboardMarkup) {
    let mut text = format!(
        "❓ <b>{}</b> is waiting for you\n\n",
        escape(record.name.as_str())
    );
    text.push_str(&format!(
        "<b>{}</b>",
        escape(&truncate(&decision.question, 500))
    ));
    if let Some(context) = &decision.context {
        text.push_str(&format!(
            "\n<pre>{}</pre>",
            escape(&truncate(context, 1500))
        ));
    }
    let mut rows: Vec<Vec<InlineKeyboardButton>> = decision
        .options
        .iter()
        .enumerate()
        .map(|(i, option)| {
            let mark = if decision.default == Some(i) {
                "⭐ "
            } else {
                ""
            };
            let label = truncate(&format!("{mark}{}", option.label), 60);
            vec![button(
                &label,
                Action::Answer {
                    session: record.id,
                    fingerprint: decision.fingerprint(),
                    option: u8::try_from(i).unwrap_or(u8::MAX),
                },
            )]
        })
        .collect();
    if decision.default.is_some() {
        text.push_str("\n\n⭐ = the agent's proposed default");
    }
    rows.push(vec![button("👁 Peek", Action::Peek(record.id))]);
    (text, InlineKeyboardMarkup::new(rows))
}

/// At most `max` characters, with `…` where text was cut.
pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// The `/help` text, from the same table as the phone's command menu.
pub fn help(socket: &str) -> String {
    let mut text = String::from("<b>tgmux</b>: your coding agents in tmux, from here.\n\n");
    for c in super::command::COMMANDS {
        let args = if c.args.is_empty() {
            String::new()
        } else {
            format!(" {}", escape(c.args))
        };
        text.push_str(&format!("/{}{} – {}\n", c.name, args, escape(c.about)));
    }
    text.push_str(&format!(
        "\nReply to any message about a session to type into it.\nAttach on the machine: <code>tmux -L {} attach -t NAME</code>",
        escape(socket)
    ));
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tmux::SessionName;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape("<b>&\"x\"</b>"),
            "&lt;b&gt;&amp;&quot;x&quot;&lt;/b&gt;"
        );
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
            assert!(block.len() < 4096 * 5);
            assert!(block.starts_with("<pre>") && !block.contains("<&"));
        }
    }

    #[test]
    fn list_hides_removed_unless_all() {
        let mut gone = SessionRecord::new(
            SessionName::parse("old").unwrap(),
            "/tmp".into(),
            None,
            "claude".into(),
        );
        gone.state = SessionState::Decommissioned;
        let mut live = SessionRecord::new(
            SessionName::parse("web").unwrap(),
            "/tmp/<x>".into(),
            None,
            "a&b".into(),
        );
        live.state = SessionState::Active;
        let records = vec![gone, live];
        let pages = list(&records, false, Utc::now());
        let (text, kb) = &pages[0];
        assert!(
            text.contains("<b>web</b>") && !text.contains("old"),
            "{text}"
        );
        assert!(
            text.contains("/tmp/&lt;x&gt;") && text.contains("a&amp;b"),
            "{text}"
        );
        assert_eq!(kb.inline_keyboard.len(), 1);
        let pages = list(&records, true, Utc::now());
        assert!(pages[0].0.contains("old"));
    }

    #[test]
    fn long_lists_come_in_pages_within_limits() {
        let records: Vec<SessionRecord> = (0..50)
            .map(|i| {
                let mut r = SessionRecord::new(
                    SessionName::parse(&format!("{}-{i}", "s".repeat(30))).unwrap(),
                    format!("/{}", "d".repeat(300)).into(),
                    None,
                    "x".repeat(300),
                );
                r.state = SessionState::Errored;
                r.error = Some("e".repeat(5000));
                r
            })
            .collect();
        let pages = list(&records, false, Utc::now());
        assert_eq!(pages.len(), 5);
        for (text, kb) in &pages {
            assert!(text.chars().count() < 4096, "{}", text.chars().count());
            assert!(kb.inline_keyboard.iter().flatten().count() <= 100);
        }
        let total: usize = pages.iter().map(|(t, _)| t.lines().count()).sum();
        assert_eq!(total, 50);
    }

    #[test]
    fn decisions_escape_and_bound_everything() {
        use crate::session::DecisionOption;
        let mut record = SessionRecord::new(
            SessionName::parse("web").unwrap(),
            "/tmp".into(),
            None,
            "claude".into(),
        );
        record.state = SessionState::Active;
        let decision = Decision {
            question: format!("Run <{}>?", "q&".repeat(2000)),
            context: Some("<script>&".repeat(1000)),
            options: vec![
                DecisionOption {
                    label: "Yes <&>".repeat(30),
                    keys: vec![],
                    asks_reply: false,
                },
                DecisionOption {
                    label: "No".into(),
                    keys: vec![],
                    asks_reply: true,
                },
            ],
            default: Some(0),
        };
        let (text, kb) = decision_message(&record, &decision);
        assert!(
            !text.contains("<script>") && !text.contains("q&q"),
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
        let labels: Vec<&str> = kb
            .inline_keyboard
            .iter()
            .flatten()
            .map(|b| b.text.as_str())
            .collect();
        assert!(
            labels[0].starts_with("⭐ Yes") && labels[0].chars().count() <= 60,
            "{labels:?}"
        );
        assert_eq!(labels[1], "No");
        assert!(labels[2].contains("Peek"));
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
