//! The screen classifier on real captures (tests/fixtures/screens) and on
//! screens drawn here the way other agents draw them.

use std::path::Path;

use tgmux::screen::Prompt;
use tgmux::screen::{Screen, classify};
use tgmux::tmux::Key::{self, Char, Down, Enter, Up};

const WIDTH: usize = 100;

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/screens")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Joins screen lines; `RULE` and `DASHES` stand for full-width rules.
fn screen(lines: &[&str]) -> String {
    let mut out = String::new();
    for line in lines {
        match *line {
            "RULE" => out.push_str(&"─".repeat(WIDTH)),
            "DASHES" => out.push_str(&"╌".repeat(WIDTH)),
            other => out.push_str(other),
        }
        out.push('\n');
    }
    out
}

/// Draws lines inside a rounded box `width` columns wide.
fn boxed(width: usize, lines: &[&str]) -> Vec<String> {
    let inner = width - 4;
    let mut out = vec![format!("╭{}╮", "─".repeat(width - 2))];
    out.extend(lines.iter().map(|line| format!("│ {line:<inner$} │")));
    out.push(format!("╰{}╯", "─".repeat(width - 2)));
    out
}

fn decision(screen: &str) -> Prompt {
    match classify(screen) {
        Screen::Decision(decision) => decision,
        other => panic!("expected a decision, got {other:?} for\n{screen}"),
    }
}

fn labels(decision: &Prompt) -> Vec<&str> {
    decision.options.iter().map(|o| o.label.as_str()).collect()
}

fn keys(decision: &Prompt) -> Vec<Vec<Key>> {
    decision.options.iter().map(|o| o.keys.clone()).collect()
}

fn asks_reply(decision: &Prompt) -> Vec<bool> {
    decision.options.iter().map(|o| o.asks_reply).collect()
}

// ---- Real captures -------------------------------------------------------------

#[test]
fn claude_idle_is_idle() {
    assert_eq!(classify(&fixture("claude-idle.txt")), Screen::Idle);
}

#[test]
fn claude_busy_is_working() {
    assert_eq!(classify(&fixture("claude-busy.txt")), Screen::Working);
}

#[test]
fn claude_bash_prompt_is_a_numbered_decision() {
    let found = decision(&fixture("claude-bash-prompt.txt"));
    assert_eq!(found.question, "Do you want to proceed?");
    assert_eq!(
        labels(&found),
        [
            "Yes",
            "Yes, and always allow access to /home/dev/webapp from this project",
            "Yes, and switch to auto mode",
            "No",
        ]
    );
    assert_eq!(found.default, Some(0));
    assert_eq!(
        keys(&found),
        [[Enter], [Char('2')], [Char('3')], [Char('4')]]
    );
    assert_eq!(asks_reply(&found), [false; 4]);
    assert_eq!(
        found.context.as_deref(),
        Some("Bash command\nWrite the approval marker file\necho accepted > approved.txt")
    );
}

#[test]
fn claude_bash_prompt_reads_the_same_in_colour() {
    let plain = decision(&fixture("claude-bash-prompt.txt"));
    assert_eq!(decision(&fixture("claude-bash-prompt.ansi.txt")), plain);
}

#[test]
fn claude_trust_is_an_unnumbered_decision() {
    let found = decision(&fixture("claude-trust.txt"));
    assert_eq!(
        found.question,
        "Quick safety check: Is this a project you created or one you trust?"
    );
    assert_eq!(labels(&found), ["No, exit", "Yes, I trust this folder"]);
    assert_eq!(found.default, Some(0));
    assert_eq!(keys(&found), [vec![Enter], vec![Down, Enter]]);
    assert_eq!(
        found.context.as_deref(),
        Some("Accessing workspace:\n/home/dev/webapp")
    );
}

// ---- Gemini CLI 0.61.0 (tests/real_agents/gemini.rs captures these) -------------

/// Every capture of one real agent's prompt (`claude-bash`): 80x24 and
/// 120x40, plain and coloured, as (variant, screen).
fn captures(name: &str) -> Vec<(&'static str, String)> {
    ["80x24", "80x24.ansi", "120x40", "120x40.ansi"]
        .into_iter()
        .map(|variant| (variant, fixture(&format!("{name}.{variant}.txt"))))
        .collect()
}

/// The one decision every capture of `name` reads as.
fn decision_at_every_size(name: &str) -> Prompt {
    let mut all = captures(name).into_iter();
    let (_, first) = all.next().expect("four captures");
    let found = decision(&first);
    for (variant, screen) in all {
        assert_eq!(decision(&screen), found, "{name}.{variant} reads otherwise");
    }
    found
}

fn gemini_captures(prompt: &str) -> Vec<(&'static str, String)> {
    captures(&format!("gemini-{prompt}"))
}

/// The keys of a numbered menu of options `1..=n` with the cursor on option
/// `cursor + 1`: Enter takes that one, the others select on their digit.
fn numbered(n: char, cursor: usize) -> Vec<Vec<Key>> {
    ('1'..=n)
        .enumerate()
        .map(|(i, d)| {
            if i == cursor {
                vec![Enter]
            } else {
                vec![Char(d)]
            }
        })
        .collect()
}

#[test]
fn gemini_trust_dialog() {
    for (size, text) in gemini_captures("trust") {
        let found = decision(&text);
        assert_eq!(found.question, "Do you trust the files in this folder?");
        assert_eq!(
            labels(&found),
            [
                "Trust folder (webapp)",
                "Trust parent folder (code)",
                "Don't trust"
            ]
        );
        assert_eq!(found.default, Some(0));
        assert_eq!(keys(&found), numbered('3', 0));
        let context = match size.split('.').next().unwrap_or(size) {
            "80x24" => {
                "Trusting a folder allows Gemini CLI to load its local configurations,\n\
                 including custom commands, hooks, MCP servers, agent skills, and settings.\n\
                 These configurations could execute code on your behalf or change the\n\
                 behavior of the CLI."
            }
            _ => {
                "Trusting a folder allows Gemini CLI to load its local configurations, including custom commands, hooks, MCP\n\
                 servers, agent skills, and settings. These configurations could execute code on your behalf or change the behavior\n\
                 of the CLI."
            }
        };
        assert_eq!(found.context.as_deref(), Some(context), "{size}");
    }
}

#[test]
fn gemini_auth_menu_with_notes_below_it() {
    for (size, text) in gemini_captures("auth") {
        let found = decision(&text);
        assert_eq!(
            found.question, "How would you like to authenticate for this project?",
            "{size}"
        );
        assert_eq!(
            labels(&found),
            ["Sign in with Google", "Use Gemini API Key", "Vertex AI"]
        );
        assert_eq!(found.default, Some(1));
        assert_eq!(keys(&found), numbered('3', 1));
        assert_eq!(found.context.as_deref(), Some("? Get started"));
    }
}

#[test]
fn gemini_shell_confirmation_names_the_command() {
    for (size, text) in gemini_captures("shell") {
        let found = decision(&text);
        assert_eq!(found.question, "Allow execution of [Shell]?", "{size}");
        assert_eq!(
            labels(&found),
            [
                "Allow once",
                "Allow for this session",
                "No, suggest changes"
            ]
        );
        assert_eq!(found.default, Some(0));
        assert_eq!(keys(&found), numbered('3', 0));
        assert_eq!(asks_reply(&found), [false, false, true]);
        assert_eq!(
            found.context.as_deref(),
            Some("? Shell  echo hi > marker.txt\necho hi > marker.txt"),
            "{size}"
        );
    }
}

#[test]
fn gemini_file_confirmations_name_the_file_and_show_the_diff() {
    let cases = [
        (
            "write-file",
            "? WriteFile  Writing to hello.txt\n1 hello from gemini\n2 second line",
        ),
        (
            "edit",
            "? Edit  notes.txt: old line => new line\n\
             1   line one\n2 - old line\n2 + new line\n3   line three",
        ),
    ];
    for (prompt, context) in cases {
        for (size, text) in gemini_captures(prompt) {
            let found = decision(&text);
            assert_eq!(found.question, "Apply this change?", "{prompt} {size}");
            assert_eq!(
                labels(&found),
                [
                    "Allow once",
                    "Allow for this session",
                    "Modify with external editor",
                    "No, suggest changes"
                ]
            );
            assert_eq!(found.default, Some(0));
            assert_eq!(keys(&found), numbered('4', 0));
            assert_eq!(asks_reply(&found), [false, false, false, true]);
            assert_eq!(found.context.as_deref(), Some(context), "{prompt} {size}");
        }
    }
}

// ---- Claude Code 2.1.332, captured by tests/real_agents/claude.rs ----------------

/// The screen of `claude-<name>` at both kept sizes, plain and in colour: the
/// one decision all four read as.
fn claude_decision(name: &str) -> Prompt {
    decision_at_every_size(&format!("claude-{name}"))
}

/// The screens of `claude-<name>`, every capture.
fn claude_screens(name: &str) -> Vec<String> {
    captures(&format!("claude-{name}"))
        .into_iter()
        .map(|(_, screen)| screen)
        .collect()
}

#[test]
fn claude_bash_prompt_reads_the_command_without_the_tip() {
    let found = claude_decision("bash");
    assert_eq!(found.question, "Do you want to proceed?");
    assert_eq!(
        found.context.as_deref(),
        Some("Bash command\nWrite the marker file\necho hi > marker.txt")
    );
    assert_eq!(
        labels(&found),
        [
            "Yes",
            "Yes, and always allow access to /home/dev/webapp from this project",
            "Yes, and switch to auto mode",
            "No",
        ]
    );
    assert_eq!(found.default, Some(0));
    assert_eq!(keys(&found), numbered('4', 0));
    assert_eq!(asks_reply(&found), [false; 4]);
}

/// The options of a Write or Edit prompt.
const CLAUDE_EDIT_LABELS: [&str; 3] = [
    "Yes",
    "Yes, and switch to accept edits (auto-approve file edits and common file commands) for this session",
    "No",
];

#[test]
fn claude_write_prompt_shows_the_new_file() {
    let found = claude_decision("write");
    assert_eq!(found.question, "Do you want to create hello.py?");
    assert_eq!(
        found.context.as_deref(),
        Some(
            "Create file\nhello.py\n1 def greet(name):\n2     return f\"Hello, {name}!\"\n3\n4\n\
             5 print(greet(\"world\"))"
        )
    );
    assert_eq!(labels(&found), CLAUDE_EDIT_LABELS);
    assert_eq!(found.default, Some(0));
    assert_eq!(keys(&found), numbered('3', 0));
}

#[test]
fn claude_edit_prompt_shows_the_diff() {
    let found = claude_decision("edit");
    assert_eq!(found.question, "Do you want to make this edit to greet.py?");
    assert_eq!(
        found.context.as_deref(),
        Some(
            "Edit file\ngreet.py\n1  def greet(name):\n2 -    return f\"Hello, {name}!\"\n\
             2 +    return f\"Hello, {name}! Welcome back.\"\n3\n4\n5  print(greet(\"world\"))"
        )
    );
    assert_eq!(labels(&found), CLAUDE_EDIT_LABELS);
    assert_eq!(found.default, Some(0));
    assert_eq!(keys(&found), numbered('3', 0));
}

#[test]
fn claude_trust_dialog_at_both_sizes() {
    let found = claude_decision("trust");
    assert_eq!(
        found.question,
        "Quick safety check: Is this a project you created or one you trust?"
    );
    assert_eq!(
        found.context.as_deref(),
        Some("Accessing workspace:\n/home/dev/webapp")
    );
    assert_eq!(labels(&found), ["No, exit", "Yes, I trust this folder"]);
    assert_eq!(found.default, Some(0));
    assert_eq!(keys(&found), [vec![Enter], vec![Down, Enter]]);
}

#[test]
fn claude_api_key_question_defaults_to_no() {
    let found = claude_decision("api-key");
    assert_eq!(found.question, "Do you want to use this API key?");
    assert_eq!(
        found.context.as_deref(),
        Some(
            "Detected a custom API key in your environment\nANTHROPIC_API_KEY: sk-ant-...for-tgmux-tests-0000"
        )
    );
    assert_eq!(labels(&found), ["Yes", "No (recommended)"]);
    assert_eq!(found.default, Some(1));
    assert_eq!(keys(&found), [vec![Up, Enter], vec![Enter]]);
}

#[test]
fn claude_question_reads_every_option_across_the_separator() {
    let found = claude_decision("question");
    assert_eq!(found.question, "Which database should the app use?");
    assert_eq!(found.context.as_deref(), Some("☐ Database"));
    assert_eq!(
        labels(&found),
        [
            "PostgreSQL",
            "SQLite",
            "MongoDB",
            "Type something.",
            "Chat about this"
        ]
    );
    assert_eq!(found.default, Some(0));
    assert_eq!(keys(&found), numbered('5', 0));
    assert_eq!(asks_reply(&found), [false, false, false, true, false]);
}

#[test]
fn claude_plan_approval_leaves_the_key_hints_out() {
    let found = claude_decision("plan");
    assert_eq!(
        found.question,
        "Claude has written up a plan and is ready to execute. Would you like to proceed?"
    );
    assert_eq!(found.context, None);
    assert_eq!(
        labels(&found),
        [
            "Yes, and use auto mode",
            "Yes, manually approve edits",
            "Tell Claude what to change",
        ]
    );
    assert_eq!(found.default, Some(0));
    assert_eq!(keys(&found), numbered('3', 0));
    assert_eq!(asks_reply(&found), [false, false, true]);
}

#[test]
fn claude_multi_select_is_shown_but_answered_by_no_key() {
    // A digit only toggles a box there; one tap cannot answer it, so the
    // question is read whole and its options carry no keys.
    for (name, ticks) in [
        ("multi-select", ["[ ]", "[ ]", "[ ]"]),
        ("multi-select-checked", ["[✔]", "[ ]", "[✔]"]),
    ] {
        for screen in claude_screens(name) {
            let found = decision(&screen);
            assert!(found.multi_select, "{name}:\n{screen}");
            assert_eq!(
                found.question,
                "Which checks should run before each commit?"
            );
            let labels = labels(&found);
            for (label, (tick, what)) in
                labels
                    .iter()
                    .zip(ticks.iter().zip(["Formatting", "Lints", "Unit tests"]))
            {
                assert_eq!(*label, format!("{tick} {what}"), "{name}");
            }
            assert!(keys(&found).iter().all(Vec::is_empty), "no key answers it");
        }
    }
    for screen in claude_screens("multi-select-review") {
        assert!(
            !matches!(classify(&screen), Screen::Decision(p) if p.multi_select),
            "the review is a plain menu or nothing: {screen}"
        );
    }
}

#[test]
fn claude_theme_menu_is_asked_by_its_instruction_line() {
    let found = decision_at_every_size("claude-theme");
    assert_eq!(
        found.question,
        "Choose the text style that looks best with your terminal"
    );
    assert_eq!(
        found.context.as_deref(),
        Some("To change this later, run /theme")
    );
    assert_eq!(
        labels(&found),
        [
            "Auto (match terminal)",
            "Dark mode",
            "Light mode",
            "Dark mode (colorblind-friendly)",
            "Light mode (colorblind-friendly)",
            "Dark mode (ANSI colors only)",
            "Light mode (ANSI colors only)",
        ]
    );
    assert_eq!(found.default, Some(0));
    let downs = |n: usize| {
        let mut keys = vec![Down; n];
        keys.push(Enter);
        keys
    };
    assert_eq!(keys(&found), (0..7).map(downs).collect::<Vec<_>>());
    assert!(!found.multi_select);
}

// ---- Codex 0.171.0 and Aider 0.86.2, captured by tests/real_agents ------------

/// The labels, keys and default of Codex's three-option approval menus.
fn assert_codex_approval(found: &Prompt, second: &str) {
    assert_eq!(
        labels(found),
        [
            "Yes, proceed",
            second,
            "No, and tell Codex what to do differently"
        ]
    );
    assert_eq!(found.default, Some(0));
    assert_eq!(keys(found), [[Enter], [Char('2')], [Char('3')]]);
    assert_eq!(asks_reply(found), [false, false, true]);
}

#[test]
fn codex_command_approval() {
    let found = decision_at_every_size("codex-command");
    assert_eq!(
        found.question,
        "Would you like to run the following command?"
    );
    assert_eq!(
        found.context.as_deref(),
        Some("Environment: local\nReason: Write the approval marker file\n$ echo hi > marker.txt")
    );
    assert_codex_approval(
        &found,
        "Yes, and don't ask again for commands that start with `echo hi > marker.txt`",
    );
}

#[test]
fn codex_patch_approval() {
    let found = decision_at_every_size("codex-patch");
    assert_eq!(
        found.question,
        "Would you like to make the following edits?"
    );
    assert_eq!(
        found.context.as_deref(),
        Some(
            "Description: Apply proposed file edits\n\
             Destination: /home/dev/code/webapp/app.py\n\
             Edited app.py (+1 -1)\n\
             2 -    print(\"hello\")\n\
             2 +    print(\"goodbye\")"
        )
    );
    assert_codex_approval(&found, "Yes, and don't ask again for these files");
}

#[test]
fn codex_folder_trust() {
    let found = decision_at_every_size("codex-trust");
    assert_eq!(found.question, "Trust this folder?");
    assert_eq!(
        found.context.as_deref(),
        Some("Folder access\n/home/dev/code/webapp")
    );
    assert_eq!(
        labels(&found),
        ["Trust and continue", "Back to Agent Command Center"]
    );
    assert_eq!(found.default, Some(0));
    assert_eq!(keys(&found), [[Enter], [Char('2')]]);
}

#[test]
fn codex_resume_folder_menu_is_asked_by_its_title() {
    let found = decision_at_every_size("codex-resume-folder");
    assert_eq!(found.question, "Working directory · resume");
    assert_eq!(
        found.context.as_deref(),
        Some(
            "Session = latest cwd recorded in the resumed session\n\
             Current = your current working directory"
        )
    );
    assert_eq!(
        labels(&found),
        [
            "Use session directory (/home/dev/code/webapp)",
            "Use current directory (/home/dev/code/other)",
            "Always use session directory",
            "Always use current directory",
        ]
    );
    assert_eq!(found.default, Some(0));
    assert_eq!(keys(&found), numbered('4', 0));
    assert_eq!(asks_reply(&found), [false; 4]);
}

/// An Aider question's text and context, answered with a letter and Enter.
fn assert_aider(name: &str, question: &str, context: Option<&str>, never: bool) {
    let found = decision_at_every_size(name);
    assert_eq!(found.question, question);
    assert_eq!(found.context.as_deref(), context);
    assert_eq!(found.default, Some(0));
    let mut expected = vec![
        ("Yes", vec![Char('y'), Enter]),
        ("No", vec![Char('n'), Enter]),
    ];
    if never {
        expected.push(("Don't ask again", vec![Char('d'), Enter]));
    }
    let (want_labels, want_keys): (Vec<&str>, Vec<Vec<Key>>) = expected.into_iter().unzip();
    assert_eq!(labels(&found), want_labels);
    assert_eq!(keys(&found), want_keys);
}

#[test]
fn aider_questions() {
    assert_aider(
        "aider-git-repo",
        "No git repo found, create one to track aider's changes (recommended)?",
        None,
        false,
    );
    assert_aider(
        "aider-gitignore",
        "Add .aider* to .gitignore (recommended)?",
        Some("You can skip this check with --no-gitignore"),
        false,
    );
    assert_aider(
        "aider-create-file",
        "Create new file?",
        Some("notes.txt"),
        false,
    );
    assert_aider(
        "aider-add-file",
        "Add file to the chat?",
        Some("app.py"),
        true,
    );
    assert_aider(
        "aider-shell",
        "Run shell command?",
        Some("echo hi > marker.txt && echo marker written && sleep 0.5"),
        true,
    );
    assert_aider(
        "aider-add-output",
        "Add command output to the chat?",
        Some("Running echo hi > marker.txt && echo marker written && sleep 0.5\nmarker written"),
        true,
    );
}

// ---- Other agents' prompts ----------------------------------------------------

#[test]
fn codex_menu_with_chevron_cursor() {
    let text = screen(&[
        "› fix the failing login test",
        "",
        "• I'll run the login tests first to see the failure.",
        "",
        "• Running cargo test --workspace login",
        "",
        "  Would you like to run the following command?",
        "",
        "  Reason: Run the login tests to reproduce the failure before changing session.rs",
        "",
        "  $ cargo test --workspace login",
        "",
        "› 1. Yes, proceed (y)",
        "  2. Yes, and don't ask again for commands that start with `cargo test` (p)",
        "  3. No, and tell Codex what to do differently (esc)",
        "",
        "  Press enter to confirm or esc to cancel",
    ]);
    let found = decision(&text);
    assert_eq!(
        found.question,
        "Would you like to run the following command?"
    );
    assert_eq!(
        labels(&found),
        [
            "Yes, proceed",
            "Yes, and don't ask again for commands that start with `cargo test`",
            "No, and tell Codex what to do differently",
        ]
    );
    assert_eq!(found.default, Some(0));
    assert_eq!(keys(&found), [[Enter], [Char('2')], [Char('3')]]);
    assert_eq!(asks_reply(&found), [false, false, true]);
    assert_eq!(
        found.context.as_deref(),
        Some(
            "Reason: Run the login tests to reproduce the failure before changing session.rs\n\
             $ cargo test --workspace login"
        )
    );
}

#[test]
fn aider_shell_command_confirmation() {
    let text = screen(&[
        "Aider v0.86.1",
        "Main model: anthropic/claude-sonnet-4 with diff edit format, infinite output",
        "Git repo: .git with 42 files",
        "Repo-map: using 4096 tokens, auto refresh",
        "────────────────────────────────────────────────────────────────────────────────────",
        "> add the requests dependency and install it",
        "",
        "I'll add requests to requirements.txt and install it.",
        "",
        "requirements.txt",
        "<<<<<<< SEARCH",
        "=======",
        "requests==2.32.3",
        ">>>>>>> REPLACE",
        "",
        "Applied edit to requirements.txt",
        "Commit 1a2b3c4 build: add the requests dependency",
        "",
        "pip install -r requirements.txt",
        "Run shell command? (Y)es/(N)o/(D)on't ask again [Yes]:",
    ]);
    let found = decision(&text);
    assert_eq!(found.question, "Run shell command?");
    assert_eq!(labels(&found), ["Yes", "No", "Don't ask again"]);
    assert_eq!(found.default, Some(0));
    assert_eq!(
        keys(&found),
        [[Char('y'), Enter], [Char('n'), Enter], [Char('d'), Enter]]
    );
    assert_eq!(
        found.context.as_deref(),
        Some("pip install -r requirements.txt")
    );
}

#[test]
fn aider_edit_confirmation_with_capital_default() {
    let text = screen(&[
        "> fix the typo in the settings loader",
        "",
        "app/settings.py",
        "Allow edits to app/settings.py which was not previously added to chat? [Y/n]",
    ]);
    let found = decision(&text);
    assert_eq!(
        found.question,
        "Allow edits to app/settings.py which was not previously added to chat?"
    );
    assert_eq!(labels(&found), ["Yes", "No"]);
    assert_eq!(found.default, Some(0));
    assert_eq!(keys(&found), [[Char('y'), Enter], [Char('n'), Enter]]);
}

#[test]
fn shell_read_prompts_with_and_without_default() {
    let apt = screen(&[
        "dev@box:~/webapp$ sudo apt install ripgrep",
        "Reading package lists... Done",
        "The following NEW packages will be installed:",
        "  ripgrep",
        "0 upgraded, 1 newly installed, 0 to remove and 3 not upgraded.",
        "After this operation, 6,144 kB of additional disk space will be used.",
        "Do you want to continue? [Y/n] ",
    ]);
    let found = decision(&apt);
    assert_eq!(found.question, "Do you want to continue?");
    assert_eq!(found.default, Some(0));
    assert_eq!(keys(&found), [[Char('y'), Enter], [Char('n'), Enter]]);
    assert_eq!(
        found.context.as_deref(),
        Some(
            "ripgrep\n0 upgraded, 1 newly installed, 0 to remove and 3 not upgraded.\n\
             After this operation, 6,144 kB of additional disk space will be used."
        )
    );

    let found = decision(&screen(&["$ ./deploy.sh", "Deploy to production? (y/N)"]));
    assert_eq!(found.default, Some(1));
    let found = decision(&screen(&[
        "$ ./reset.sh",
        "Really reset the database? (y/n): ",
    ]));
    assert_eq!(
        (found.question.as_str(), found.default),
        ("Really reset the database?", None)
    );
}

#[test]
fn gemini_boxed_menu_with_filled_radio_cursor() {
    let mut lines = boxed(WIDTH, &["> remove the stale build directory"]);
    lines.push(String::new());
    lines.push("✦ I'll remove the stale build directory so the next build starts clean.".into());
    lines.push(String::new());
    lines.extend(boxed(
        WIDTH,
        &[
            "?  Shell rm -rf build/ [current working directory /home/dev/webapp] (Remove stale output)",
            "",
            "rm -rf build/",
            "",
            "Allow execution of: 'rm'?",
            "",
            "● 1. Allow once",
            "  2. Allow for this session",
            "  3. No, suggest changes (esc)",
            "",
        ],
    ));
    lines.push(String::new());
    lines.push(
        "~/webapp (main*)              no sandbox (see /docs)              gemini-2.5-pro (98% context left)"
            .into(),
    );
    let text = screen(&lines.iter().map(String::as_str).collect::<Vec<_>>());

    let found = decision(&text);
    assert_eq!(found.question, "Allow execution of: 'rm'?");
    assert_eq!(
        labels(&found),
        [
            "Allow once",
            "Allow for this session",
            "No, suggest changes"
        ]
    );
    assert_eq!(found.default, Some(0));
    assert_eq!(keys(&found), [[Enter], [Char('2')], [Char('3')]]);
    assert_eq!(asks_reply(&found), [false, false, true]);
    assert_eq!(
        found.context.as_deref(),
        Some(
            "?  Shell rm -rf build/ [current working directory /home/dev/webapp] (Remove stale output)\n\
             rm -rf build/"
        )
    );
}

#[test]
fn radio_menu_without_numbers() {
    let lines = boxed(
        WIDTH,
        &[
            "Apply this change to src/components/LoginForm.tsx?",
            "",
            "○ Allow once",
            "● Allow always",
            "○ Deny",
            "",
            "(Use Enter to select)",
        ],
    );
    let found = decision(&screen(
        &lines.iter().map(String::as_str).collect::<Vec<_>>(),
    ));
    assert_eq!(
        found.question,
        "Apply this change to src/components/LoginForm.tsx?"
    );
    assert_eq!(labels(&found), ["Allow once", "Allow always", "Deny"]);
    assert_eq!(found.default, Some(1));
    assert_eq!(
        keys(&found),
        [vec![Up, Enter], vec![Enter], vec![Down, Enter]]
    );
}

#[test]
fn angle_cursor_on_the_third_option() {
    let text = screen(&[
        "● I'll prepare the release notes once the branch is chosen.",
        "",
        " Which branch should the release be cut from?",
        "",
        "   main",
        "   develop",
        " > release/2.4",
        "   hotfix/login-timeout",
        "",
        " ↑/↓ to move · enter to select · esc to cancel",
    ]);
    let found = decision(&text);
    assert_eq!(
        found.question,
        "Which branch should the release be cut from?"
    );
    assert_eq!(
        labels(&found),
        ["main", "develop", "release/2.4", "hotfix/login-timeout"]
    );
    assert_eq!(found.default, Some(2));
    assert_eq!(
        keys(&found),
        [
            vec![Up, Up, Enter],
            vec![Up, Enter],
            vec![Enter],
            vec![Down, Enter]
        ]
    );
    assert_eq!(found.context, None);
}

#[test]
fn arrow_key_hint_on_the_question_line() {
    let text = screen(&[
        "dev@box:~/webapp$ npx create-webapp-tool",
        "? Project name: webapp",
        "? Which package manager do you want to use? (Use arrow keys)",
        "  npm",
        "❯ pnpm",
        "  yarn",
    ]);
    let found = decision(&text);
    assert_eq!(found.question, "Which package manager do you want to use?");
    assert_eq!(labels(&found), ["npm", "pnpm", "yarn"]);
    assert_eq!(found.default, Some(1));
    assert_eq!(
        keys(&found),
        [vec![Up, Enter], vec![Enter], vec![Down, Enter]]
    );
}

#[test]
fn bare_lines_under_a_quote_are_not_a_menu() {
    let text = screen(&[
        "  Should the cache be shared between workers?",
        "",
        "> Note: the cache is per process today,",
        "  so sharing it needs a lock.",
    ]);
    assert!(!matches!(classify(&text), Screen::Decision(_)));
}

#[test]
fn wrapped_label_is_joined_and_feedback_option_asks_for_a_reply() {
    let text = screen(&[
        "RULE",
        " Bash command",
        "",
        "   npm run build:production --workspace=packages/web -- --sourcemap --minify",
        "   Build the web package for production",
        "",
        " Do you want to proceed?",
        " ❯ 1. Yes",
        "   2. Yes, and don't ask again for npm run build:production --workspace=packages/web --sourcemap",
        "      commands in /home/dev/webapp",
        "   3. No, and tell Claude what to do differently (esc)",
        "",
        " Esc to cancel · Tab to amend",
    ]);
    let found = decision(&text);
    assert_eq!(
        labels(&found),
        [
            "Yes",
            "Yes, and don't ask again for npm run build:production --workspace=packages/web --sourcemap commands in /home/dev/webapp",
            "No, and tell Claude what to do differently",
        ]
    );
    assert_eq!(asks_reply(&found), [false, false, true]);
    assert_eq!(keys(&found), [[Enter], [Char('2')], [Char('3')]]);
    assert_eq!(
        found.context.as_deref(),
        Some(
            "Bash command\n\
             npm run build:production --workspace=packages/web -- --sourcemap --minify\n\
             Build the web package for production"
        )
    );
}

#[test]
fn a_heading_asks_only_a_numbered_menu_or_as_an_instruction() {
    let picker =
        |heading: &str| screen(&[heading, "", " ❯ main", "   release", "   feature/login"]);
    let found = decision(&picker(" Select a branch to check out"));
    assert_eq!(found.question, "Select a branch to check out");
    assert_eq!(found.context, None);
    assert_eq!(labels(&found), ["main", "release", "feature/login"]);
    assert_eq!(
        keys(&found),
        [vec![Enter], vec![Down, Enter], vec![Down, Down, Enter]]
    );
    for heading in [" Recent branches", " Selected branches", " ● Choose one"] {
        assert!(
            !matches!(classify(&picker(heading)), Screen::Decision(_)),
            "{heading}"
        );
    }
    // An instruction in the agent's answer above its idle input box.
    let idle = screen(&[
        "● Choose one of these and tell me:",
        "  - keep the cache",
        "  - drop it",
        "",
        "RULE",
        "❯ ",
        "RULE",
        "  ? for shortcuts",
    ]);
    assert_eq!(classify(&idle), Screen::Idle);
}

#[test]
fn a_diff_from_earlier_in_the_transcript_is_no_part_of_a_command_question() {
    let text = screen(&[
        "• Edited app.py (+1 -1)",
        "    2 -    print(\"hello\")",
        "    2 +    print(\"goodbye\")",
        "",
        "• Now I will run the tests.",
        "",
        "  Would you like to run the following command?",
        "",
        "  $ pytest",
        "",
        "› 1. Yes, proceed (y)",
        "  2. No, and tell Codex what to do differently (esc)",
        "",
        "  Press enter to confirm or esc to cancel",
    ]);
    let found = decision(&text);
    assert_eq!(found.context.as_deref(), Some("$ pytest"));
}

#[test]
fn numbered_diff_lines_above_a_menu_are_not_options() {
    let text = screen(&[
        "RULE",
        " Edit file",
        " src/auth/session.rs",
        "DASHES",
        "  41    fn refresh(&mut self) -> Result<(), AuthError> {",
        "  42 -      let token = self.token.clone();",
        "  42 +      let token = self.token.take().ok_or(AuthError::Expired)?;",
        "  43        self.client.refresh(&token)?;",
        "  44        Ok(())",
        "  45    }",
        "DASHES",
        " Do you want to make this edit to session.rs?",
        " ❯ 1. Yes",
        "   2. Yes, allow all edits during this session (shift+tab)",
        "   3. No, and tell Claude what to do differently (esc)",
        "",
        " Esc to cancel",
    ]);
    let found = decision(&text);
    assert_eq!(
        found.question,
        "Do you want to make this edit to session.rs?"
    );
    assert_eq!(
        labels(&found),
        [
            "Yes",
            "Yes, allow all edits during this session",
            "No, and tell Claude what to do differently"
        ]
    );
    let context = found.context.unwrap();
    assert!(
        context.starts_with("Edit file\nsrc/auth/session.rs\n41"),
        "{context}"
    );

    let text = screen(&[
        " Do you want to apply this patch?",
        " @@ -1,3 +1,4 @@",
        "   1 | use std::fs;",
        "   2 + use std::io;",
        "   3 | fn main() {}",
        "  12 | let x = 1;",
        " ❯ 1. Yes",
        "   2. No",
    ]);
    let found = decision(&text);
    assert_eq!(found.question, "Do you want to apply this patch?");
    assert_eq!(labels(&found), ["Yes", "No"]);
}

#[test]
fn numbered_list_in_prose_is_not_a_decision() {
    let plan = [
        "● Here's the plan for the login bug:",
        "",
        "  1. Add a failing test for the expired-token case",
        "  2. Make refresh() return AuthError::Expired instead of panicking",
        "  3. Run the full suite",
    ];
    assert_eq!(classify(&screen(&plan)), Screen::Unknown);

    let mut then_idle = plan.to_vec();
    then_idle.extend(["", "RULE", "❯\u{a0}", "RULE", "  ? for shortcuts"]);
    assert_eq!(classify(&screen(&then_idle)), Screen::Idle);
}

#[test]
fn quoted_prompt_above_an_idle_input_box_is_idle() {
    let text = screen(&[
        "● The installer stopped at this prompt, which I answered by passing --yes:",
        "",
        "  Do you want to proceed? [y/N]",
        "  ❯ 1. Yes",
        "    2. No",
        "",
        "  It's installed now; the login tests pass.",
        "",
        "RULE",
        "❯\u{a0}",
        "RULE",
        "  ⏸ manual mode on · ? for shortcuts · ← for agents",
    ]);
    assert_eq!(classify(&text), Screen::Idle);

    let aider = screen(&["The script printed: Proceed? [y/N]", "", "> "]);
    assert_eq!(classify(&aider), Screen::Idle);

    let busy = screen(&[
        "  Do you want to proceed? [y/N]",
        "  ❯ 1. Yes",
        "    2. No",
        "",
        "✶ Installing…",
        "RULE",
        "❯\u{a0}",
        "RULE",
        "  ⏸ manual mode on · esc to interrupt",
    ]);
    assert_eq!(classify(&busy), Screen::Working);
}

#[test]
fn cursor_on_the_second_option_is_the_default_and_keeps_the_fingerprint() {
    let original = fixture("claude-bash-prompt.txt");
    let moved = original
        .replace(" ❯ 1. Yes\n", "   1. Yes\n")
        .replace("   2. Yes, and always", " ❯ 2. Yes, and always");
    let before = decision(&original);
    let after = decision(&moved);
    assert_eq!(after.default, Some(1));
    assert_eq!(
        keys(&after),
        [[Char('1')], [Enter], [Char('3')], [Char('4')]]
    );
    assert_eq!(after.fingerprint(), before.fingerprint());

    let other = original.replace(
        "   4. No\n",
        "   4. No, and tell Claude what to do differently (esc)\n",
    );
    let changed = decision(&other);
    assert!(changed.options[3].asks_reply);
    assert_ne!(changed.fingerprint(), before.fingerprint());
}

// ---- Working, idle, unknown -----------------------------------------------------

#[test]
fn other_agents_at_work() {
    let gemini = screen(&[
        "✦ Looking at the session module.",
        "",
        "⠼ Reticulating splines... (esc to cancel, 4s)",
        "",
        "~/webapp (main*)        no sandbox (see /docs)        gemini-2.5-pro (97% context left)",
    ]);
    assert_eq!(classify(&gemini), Screen::Working);
    let codex = screen(&[
        "• Running cargo test --workspace login",
        "",
        "• Working (12s • esc to interrupt)",
        "",
        "› Ask Codex to do anything",
        "",
        "  100% context left · ? for shortcuts",
    ]);
    assert_eq!(classify(&codex), Screen::Working);
}

#[test]
fn shell_and_agent_prompts_are_idle() {
    for prompt in [
        "dev@box:~/webapp$ ",
        "root@box:/srv/app# ",
        "dev@box webapp % ",
        "> ",
        "architect> ",
    ] {
        let text = screen(&[
            "$ cargo build",
            "    Finished `dev` profile in 0.41s",
            prompt,
        ]);
        assert_eq!(classify(&text), Screen::Idle, "{prompt}");
    }
    let codex = screen(&[
        "• Fixed the refresh path and the tests pass.",
        "",
        "› Ask Codex to do anything",
        "",
        "  100% context left · ? for shortcuts",
    ]);
    assert_eq!(classify(&codex), Screen::Idle);
    let mut gemini = boxed(WIDTH, &[">   Type your message or @path/to/file"]);
    gemini.push(
        "~/webapp (main*)        no sandbox (see /docs)        gemini-2.5-pro (97% context left)"
            .into(),
    );
    let gemini = screen(&gemini.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(classify(&gemini), Screen::Idle);
}

#[test]
fn plain_output_is_unknown() {
    let text = screen(&[
        "   Compiling tgmux v0.1.0 (/home/dev/tgmux)",
        "   Compiling serde v1.0.229",
    ]);
    assert_eq!(classify(&text), Screen::Unknown);
}

#[test]
fn odd_input_never_panics() {
    let long = "x".repeat(200_000);
    let parens = "(".repeat(50_000);
    let menu_flood = " ❯ 1. Yes\n".repeat(5_000);
    let odd = [
        "",
        "\n\n\n",
        "\x1b[0m\x1b[2J\x1b[H\x1b]0;title\x07",
        "\x1b",
        "\x1b[",
        "\u{fffd}\u{fffd}?\u{fffd} [Y/\u{fffd}]",
        "❯",
        "│",
        "❯ 1.",
        "1. \n2. ",
        "?",
        "[y/n]",
        "(Y)",
        long.as_str(),
        parens.as_str(),
        menu_flood.as_str(),
    ];
    for text in odd {
        let verdict = classify(text);
        assert!(
            !matches!(verdict, Screen::Decision(_)),
            "{text:.40}: {verdict:?}"
        );
    }
    assert_eq!(classify(""), Screen::Unknown);
}

// ---- what a prompt shows, for the agent's own word on its tool call ---------

#[test]
fn a_prompt_shows_the_command_or_file_its_agent_announced() {
    let bash = claude_decision("bash");
    assert!(bash.shows("echo hi > marker.txt"));
    assert!(!bash.shows("echo bye > marker.txt"));
    assert!(!bash.shows("rm -rf /"));
    assert!(!bash.shows(""));

    let write = claude_decision("write");
    assert!(write.shows("/home/dev/webapp/hello.py"));
    assert!(!write.shows("/home/dev/webapp/other.py"));

    for (size, text) in gemini_captures("shell") {
        assert!(decision(&text).shows("echo hi > marker.txt"), "{size}");
    }
}

#[test]
fn a_prompt_shows_a_command_the_screen_wrapped_or_cut() {
    let long = "cargo test --workspace --all-features -- --test-threads=1 integration::slow";
    let wrapped = screen(&[
        "RULE",
        " Bash command",
        "",
        "   cargo test --workspace --all-features -- --test-thr",
        "   eads=1 integration::slow",
        "",
        " Do you want to proceed?",
        " ❯ 1. Yes",
        "   2. No",
    ]);
    assert!(decision(&wrapped).shows(long));
    let cut = screen(&[
        "RULE",
        " Bash command",
        "",
        "   cargo test --workspace --all-fea…",
        "",
        " Do you want to proceed?",
        " ❯ 1. Yes",
        "   2. No",
    ]);
    assert!(decision(&cut).shows(long));
    assert!(!decision(&cut).shows("cargo build --release"));
    // A multi-line command is known by its first line.
    assert!(decision(&wrapped).shows(&format!("{long}\necho done")));
}

#[test]
fn claude_security_notes_wait_for_enter() {
    let found = decision(&fixture("claude-security-notes.txt"));
    assert_eq!(found.question, "Press Enter to continue");
    assert_eq!(
        found.context.as_deref(),
        Some(
            "2. Due to prompt injection risks, only use it with code you trust\n\
             Learn more: https://code.claude.com/docs/en/security"
        )
    );
    assert_eq!(labels(&found), ["Continue"]);
    assert_eq!(keys(&found), [vec![Enter]]);
    assert_eq!(found.default, Some(0));
}
