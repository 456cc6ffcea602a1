use super::*;
use crate::screen::{Prompt, PromptOption};
use crate::session::{SessionName, testing};

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
    let call = |input: &str| ToolCall {
        tool: "Bash".into(),
        input: input.into(),
    };
    let text = |context: &str, input: &str| {
        let mut decision = testing::decision("Do you want to proceed?");
        decision.prompt.context = Some(context.into());
        decision.tool = Some(call(input));
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

#[test]
fn a_tapped_decision_no_longer_waits_for_you() {
    let decision = |tapped: Option<Tapped>| Decision {
        tapped,
        ..testing::decision("Proceed?")
    };
    let with = |tapped| SessionState::Active {
        since: Utc::now(),
        pending: Some(Box::new(decision(tapped))),
        task: None,
    };
    assert_eq!(state_emoji(&with(None)), "❓");
    let tap = Tapped {
        by: "Alice".into(),
        option: "Yes".into(),
        at: Utc::now(),
    };
    assert_eq!(state_emoji(&with(Some(tap))), "🟢");
}
