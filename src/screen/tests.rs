//! Unit tests of the classifier's parts; whole screens are in tests/classifier.rs.

use std::borrow::Cow;

use super::activity::shows_work;
use super::line_prompt::parse_line_prompt;
use super::menu::{Marker, menu_keys, parse_head, question_end, strip_annotation};
use super::text::{Line, is_hint, strip_ansi};
use super::*;
use crate::tmux::Key;

#[test]
fn strips_colour_cursor_and_title_escapes() {
    let text = "\x1b[38;5;153m❯\x1b[39m 1. Yes\x1b]0;title\x07!\x1b(B\r\n";
    assert_eq!(strip_ansi(text), "❯ 1. Yes!\n");
    assert!(matches!(strip_ansi("plain\ntext"), Cow::Borrowed(_)));
    assert_eq!(strip_ansi("\x1b[1"), "");
    assert_eq!(strip_ansi("a\x1b]unterminated\nb"), "a\nb");
}

#[test]
fn unboxes_lines_and_measures_indent() {
    let line = Line::new("│ ● 1. Allow once      │");
    assert_eq!((line.body, line.indent), ("● 1. Allow once", 1));
    let head = parse_head(&line).unwrap();
    assert_eq!(
        (head.number, head.label, head.label_col),
        (Some(1), "Allow once", 6)
    );
    assert!(Line::new("│      │").is_blank());
    let nested = Line::new("│ │ 2 - old line        │ │");
    assert_eq!(
        (nested.body, nested.indent, nested.boxed),
        ("2 - old line", 1, true)
    );
    let inner_edge = Line::new("│ ╰──────╯ │");
    assert_eq!((inner_edge.body, inner_edge.boxed), ("╰──────╯", true));
    assert!(!Line::new("  plain │ text").boxed);
}

#[test]
fn heads_need_a_marker_or_a_delimited_number() {
    for text in [
        "  12 | let x = 1;",
        "  3 + foo",
        "1.5 GB free",
        "❯Yes",
        "@@ -1,3 +1,4 @@",
    ] {
        assert!(parse_head(&Line::new(text)).is_none(), "{text}");
    }
    let head = parse_head(&Line::new("  2) Yes")).unwrap();
    assert_eq!(
        (head.marker, head.number, head.label),
        (None, Some(2), "Yes")
    );
    let head = parse_head(&Line::new("○ Deny")).unwrap();
    assert_eq!((head.marker, head.number), (Some(Marker::Radio), None));
}

#[test]
fn labels_lose_annotations_but_keep_their_words() {
    assert_eq!(
        strip_annotation("Yes, and switch to auto mode · auto mode handles these prompts"),
        "Yes, and switch to auto mode"
    );
    assert_eq!(
        strip_annotation("No, and tell Claude what to do differently (esc)"),
        "No, and tell Claude what to do differently"
    );
    assert_eq!(
        strip_annotation("Yes, allow all edits (shift+tab)"),
        "Yes, allow all edits"
    );
    assert_eq!(strip_annotation("Yes, proceed (y)"), "Yes, proceed");
    assert_eq!(
        strip_annotation("Use the cache (recommended)"),
        "Use the cache (recommended)"
    );
    assert_eq!(strip_annotation("Install v(2.0)"), "Install v(2.0)");
}

#[test]
fn parses_one_line_prompts() {
    let prompt = parse_line_prompt("Allow edits to file.py? [Y/n]").unwrap();
    assert_eq!(prompt.question, "Allow edits to file.py?");
    assert_eq!(prompt.default, Some(0));
    assert_eq!(
        parse_line_prompt("Overwrite? (y/N):").unwrap().default,
        Some(1)
    );
    assert_eq!(
        parse_line_prompt("Continue [yes/no]?").unwrap().default,
        None
    );

    let prompt =
        parse_line_prompt("Run shell command? (Y)es/(N)o/(D)on't ask again [Yes]:").unwrap();
    assert_eq!(prompt.question, "Run shell command?");
    let labels: Vec<_> = prompt
        .choices
        .iter()
        .map(|(l, k)| (l.as_str(), *k))
        .collect();
    assert_eq!(
        labels,
        [("Yes", 'y'), ("No", 'n'), ("Don't ask again", 'd')]
    );
    assert_eq!(prompt.default, Some(0));
    assert_eq!(
        parse_line_prompt("Save? (Y)es/(N)o [n]").unwrap().default,
        Some(1)
    );

    for text in [
        "Press (q) to quit",
        "See [docs/README]",
        "(a)(b)(c)",
        "x/y [y]",
        "Is it (Y)es?",
    ] {
        assert_eq!(parse_line_prompt(text), None, "{text}");
    }
}

#[test]
fn question_ends_at_a_word_ending_question_mark() {
    let line = "Quick safety check: Is this a project you trust? (Like your own code, a";
    assert_eq!(
        &line[..question_end(line).unwrap()],
        "Quick safety check: Is this a project you trust?"
    );
    assert_eq!(question_end("? for shortcuts"), None);
    assert_eq!(question_end("see https://x.io/?a=1"), None);
}

#[test]
fn menu_keys_use_digits_or_arrows() {
    assert_eq!(menu_keys(Some(2), 0, 1), [Key::Char('2')]);
    assert_eq!(menu_keys(Some(1), 0, 0), [Key::Enter]);
    assert_eq!(menu_keys(None, 0, 1), [Key::Down, Key::Enter]);
    assert_eq!(menu_keys(None, 2, 0), [Key::Up, Key::Up, Key::Enter]);
    assert_eq!(menu_keys(None, 1, 1), [Key::Enter]);
    assert_eq!(
        menu_keys(Some(10), 0, 9),
        [Key::Down; 9]
            .into_iter()
            .chain([Key::Enter])
            .collect::<Vec<_>>()
    );
}

#[test]
fn dead_pane_banner_is_stripped_and_means_nothing_waits() {
    let prompt = "Do you want to proceed?\n❯ 1. Yes\n  2. No\n";
    let dead = format!("{prompt}\n\nPane is dead (status 3, Tue Nov 24 06:15:37 2026)\n\n");
    assert_eq!(strip_dead_banner(&dead), format!("{prompt}\n\n"));
    assert!(matches!(classify(prompt), Screen::Decision(_)));
    assert_eq!(classify(&dead), Screen::Unknown);
    let signalled = "✻ Working…\nPane is dead (signal 9, Tue Nov 24 06:15:37 2026)";
    assert_eq!(strip_dead_banner(signalled), "✻ Working…\n");
    assert_eq!(classify(signalled), Screen::Unknown);
    let quoted = "Pane is dead (status 3, then)\nmore output";
    assert_eq!(strip_dead_banner(quoted), quoted);
    assert_eq!(strip_dead_banner(""), "");
}

#[test]
fn work_signs() {
    assert!(shows_work("✻ Frosting…"));
    assert!(shows_work("⠋ Reticulating splines... (esc to cancel, 3s)"));
    assert!(shows_work("• Working (12s • esc to interrupt)"));
    assert!(shows_work("Thinking…"));
    assert!(!shows_work("✻ Worked for 34s"));
    assert!(!shows_work("◐ medium · /effort"));
    assert!(!shows_work("Thinking about it, the cache is wrong."));
}

#[test]
fn the_fingerprint_covers_everything_the_phone_shows() {
    let option = |label: &str, key: char| PromptOption {
        label: label.to_owned(),
        keys: vec![Key::Char(key)],
        asks_reply: false,
    };
    let base = Prompt::new(
        "Do you want to create notes.md?".into(),
        Some("+ hello".into()),
        vec![option("Yes", '1'), option("No", '2')],
        Some(0),
    );
    let same = base.clone();
    assert_eq!(base.fingerprint(), same.fingerprint());
    let mut changed_diff = base.clone();
    changed_diff.context = Some("+ rm -rf ~ # changed body".into());
    let mut no_context = base.clone();
    no_context.context = None;
    let mut empty_context = base.clone();
    empty_context.context = Some(String::new());
    let mut swapped = base.clone();
    swapped.options.reverse();
    let mut cursor_moved = base.clone();
    cursor_moved.default = Some(1);
    cursor_moved.options[0].keys = vec![Key::Up, Key::Enter];
    assert_eq!(cursor_moved.fingerprint(), base.fingerprint());
    let mut split = base.clone();
    split.options = vec![option("Ye", '1'), option("sNo", '2')];
    let variants = [changed_diff, no_context, empty_context, swapped, split];
    for (i, v) in variants.iter().enumerate() {
        assert_ne!(v.fingerprint(), base.fingerprint(), "variant {i}");
    }
    let fp = base.fingerprint();
    assert_eq!(Fingerprint::parse_hex(&fp.to_string()), Some(fp));
    assert_eq!(Fingerprint::parse_hex("xyz"), None);
}

#[test]
fn a_key_or_chord_then_to_is_a_hint() {
    for hint in [
        "ctrl+g to edit in Vim · ~/.claude/plans/go-cuddly-hinton.md",
        "shift+tab to approve with this feedback",
        "Esc to cancel · Tab to amend",
        "enter continue · esc use session · ^c quit",
        "Syntax theme: Monokai Extended (ctrl+t to disable)",
    ] {
        assert!(is_hint(hint), "{hint}");
    }
    for text in [
        "Go to the settings page",
        "a to z",
        "Tab Completion to come",
        "Dark mode (colorblind-friendly)",
        "Raise ^2 to the power · see notes",
    ] {
        assert!(!is_hint(text), "{text}");
    }
}
