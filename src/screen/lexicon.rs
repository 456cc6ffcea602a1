//! Every glyph and phrase the classifier recognises, in one table per role.
//! Teaching it a new agent's screen means a fixture plus entries here.

/// Menu cursors, and the selected radio button.
pub(super) const CURSORS: &[char] = &['❯', '›', '>', '▶', '►', '→', '●', '◉'];

/// Marks of the option that is the current setting, drawn between the
/// cursor and the label (Claude Code's theme picker: `❯ ✔ Auto`).
pub(super) const CURRENT_MARKS: &[char] = &['✔', '✓'];

/// Verbs that start an instruction heading a menu (`Choose the text style
/// …`): with no `?` sentence above it, that line is the menu's question.
pub(super) const INSTRUCTIONS: &[&str] = &["Choose", "Select", "Pick"];

/// Lines that wait for one key to go on (lowercase; a trailing `.` or `…`
/// is ignored): answered by Enter, the one option.
pub(super) const CONTINUE_LINES: &[&str] = &[
    "press enter to continue",
    "press return to continue",
    "press any key to continue",
];

/// Unselected radio buttons.
pub(super) const RADIOS: &[char] = &['○', '◯', '◦'];

/// Cursors that also start an agent's input line.
pub(super) const INPUT_PROMPTS: &[char] = &['❯', '›', '>'];

/// First characters of transcript entries (agent bullets, echoed user input).
pub(super) const BULLETS: &[char] = &['●', '•', '⏺', '❯', '›'];

/// Spinner frames of Claude Code, Gemini and friends.
pub(super) const SPINNERS: &[char] = &[
    '✻', '✶', '✢', '✳', '✽', '·', '*', '⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏',
];

/// Last characters of shell and REPL prompts.
pub(super) const SHELL_PROMPT_ENDS: &[char] = &['$', '#', '%', '>', '❯', '›', '»'];

/// Words of key-hint and status lines drawn below a prompt (lowercase).
pub(super) const HINTS: &[&str] = &[
    "to cancel",
    "to confirm",
    "to select",
    "to navigate",
    "to go back",
    "to amend",
    "to submit",
    "to exit",
    "arrow keys",
    "↑/↓",
    "↑↓",
    "for shortcuts",
    "context left",
];

/// Key names that make a trailing `(...)` a key hint rather than label text,
/// and a line or ` · ` part a key hint when one starts it followed by ` to `
/// (`ctrl+g to edit in Vim`, `shift+tab to approve with this feedback`).
pub(super) const KEY_WORDS: &[&str] = &[
    "esc", "enter", "return", "tab", "shift", "ctrl", "alt", "cmd", "meta", "space",
];

/// Start of a control key in caret notation (`^c quit`).
pub(super) const CARET: char = '^';

/// Dashes of a dashed rule, which frames a diff or preview inside a dialog
/// rather than starting one.
pub(super) const DASHES: &[char] = &['╌', '╍', '┄', '┅', '┈', '┉'];

/// Lines an agent draws under a collapsed transcript entry to expand it
/// (Codex's `+ Show details`): no part of what the entry shows.
pub(super) const EXPANDERS: &[&str] = &["Show details"];

/// Phrases of a footer or status line that say the agent is busy (lowercase).
pub(super) const WORKING_HINTS: &[&str] = &["esc to interrupt", "ctrl+c to interrupt"];
/// Status words that say the agent is busy when they start a line.
pub(super) const WORKING_WORDS: &[&str] = &["Working", "Thinking"];
/// Phrases of an option label whose choice makes the agent wait for a typed
/// reply (lowercase); `tell ... what to` (do differently, change) is matched
/// as a pair.
pub(super) const REPLY_PHRASES: &[&str] = &["feedback", "suggest changes", "type something"];
/// Start of the tip lines drawn under a prompt, which are no part of its
/// context (nor are the lowercase lines they wrap onto).
pub(super) const TIP_PREFIX: &str = "Tip:";
/// Check boxes that start the options of a multi-select menu, where a digit
/// only toggles its box: no single tap answers it.
pub(super) const CHECKBOXES: &[&str] = &["[ ]", "[✔]", "[✓]", "[x]", "[X]", "☐", "☑", "☒"];

/// Marks that open an agent's own entry in its transcript (Claude Code's
/// `●`/`⏺`, Gemini CLI's `✦`): where its last answer starts.
pub(super) const ANSWER_MARKS: &[char] = &['●', '⏺', '✦'];
