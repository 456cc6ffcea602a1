//! The slash commands: one table drives parsing, `/help` and the phone's menu.

/// A command with what follows it, exactly as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Start,
    Help,
    New(String),
    Ls(String),
    Peek(String),
    Send(String),
    Stop(String),
    Resume(String),
    Rm(String),
    Pair(String),
}

/// A command's name, its arguments and what it does, as `/help` and the menu show them.
pub struct CommandInfo {
    pub name: &'static str,
    pub args: &'static str,
    pub about: &'static str,
}

/// Every command a user can send, in menu order.
pub const COMMANDS: &[CommandInfo] = &[
    CommandInfo {
        name: "new",
        args: "[folder] [task]",
        about: "start an agent in a folder, with an optional first task",
    },
    CommandInfo {
        name: "ls",
        args: "[all]",
        about: "list sessions (all: include removed ones)",
    },
    CommandInfo {
        name: "peek",
        args: "NAME [lines]",
        about: "show the last lines of a session's screen",
    },
    CommandInfo {
        name: "send",
        args: "[NAME] text",
        about: "type text into a session and press Enter",
    },
    CommandInfo {
        name: "stop",
        args: "NAME",
        about: "stop a session (its folder is kept)",
    },
    CommandInfo {
        name: "resume",
        args: "NAME",
        about: "start a stopped session again",
    },
    CommandInfo {
        name: "rm",
        args: "NAME",
        about: "remove a session (asks to confirm)",
    },
    CommandInfo {
        name: "help",
        args: "",
        about: "show this help",
    },
];

impl Command {
    /// Parses `/name[@bot] rest`; `None` for text that is not one of our commands.
    /// The rest keeps every byte after the one separating space or newline.
    pub fn parse(text: &str, bot_username: &str) -> Option<Command> {
        let body = text.strip_prefix('/')?;
        let end = body.find(char::is_whitespace).unwrap_or(body.len());
        let (word, rest) = body.split_at(end);
        let rest = rest
            .strip_prefix(|c: char| c.is_whitespace())
            .unwrap_or(rest);
        let name = match word.split_once('@') {
            Some((name, bot)) if bot.eq_ignore_ascii_case(bot_username) => name,
            Some(_) => return None,
            None => word,
        };
        let rest = rest.to_owned();
        Some(match name.to_ascii_lowercase().as_str() {
            "start" => Command::Start,
            "help" => Command::Help,
            "new" => Command::New(rest),
            "ls" | "list" => Command::Ls(rest),
            "peek" => Command::Peek(rest),
            "send" => Command::Send(rest),
            "stop" => Command::Stop(rest),
            "resume" => Command::Resume(rest),
            "rm" | "remove" => Command::Rm(rest),
            "pair" => Command::Pair(rest),
            _ => return None,
        })
    }
}

/// Splits `/new` arguments: the first word is the folder, the rest the task.
/// A folder with spaces can be quoted: `/new "my app" fix it`.
pub fn split_first_word(args: &str) -> (Option<&str>, Option<&str>) {
    let args = args.trim_start();
    if args.is_empty() {
        return (None, None);
    }
    let quoted = args
        .chars()
        .next()
        .filter(|q| matches!(q, '"' | '\'' | '“'))
        .and_then(|open| {
            let close = if open == '“' { '”' } else { open };
            let inner = &args[open.len_utf8()..];
            let end = inner.find(close)?;
            Some((&inner[..end], &inner[end + close.len_utf8()..]))
        });
    let (first, rest) = quoted.unwrap_or_else(|| {
        let end = args.find(char::is_whitespace).unwrap_or(args.len());
        args.split_at(end)
    });
    let rest = rest.trim();
    (Some(first), (!rest.is_empty()).then_some(rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_commands_and_keeps_text() {
        assert_eq!(
            Command::parse("/ls", "bot"),
            Some(Command::Ls(String::new()))
        );
        assert_eq!(
            Command::parse("/LS@Bot all", "bot"),
            Some(Command::Ls("all".into()))
        );
        assert_eq!(Command::parse("/ls@other", "bot"), None);
        assert_eq!(
            Command::parse("/send web  a;b\n$(x) ", "bot"),
            Some(Command::Send("web  a;b\n$(x) ".into()))
        );
        assert_eq!(
            Command::parse("/send\nx", "bot"),
            Some(Command::Send("x".into()))
        );
        assert_eq!(Command::parse("/nope", "bot"), None);
        assert_eq!(Command::parse("hello", "bot"), None);
        assert_eq!(Command::parse("/", "bot"), None);
    }

    #[test]
    fn first_word_split() {
        assert_eq!(split_first_word(""), (None, None));
        assert_eq!(split_first_word(" ~/code "), (Some("~/code"), None));
        assert_eq!(
            split_first_word("webapp fix the  bug"),
            (Some("webapp"), Some("fix the  bug"))
        );
        assert_eq!(
            split_first_word("\"my app\" fix it"),
            (Some("my app"), Some("fix it"))
        );
        assert_eq!(split_first_word("'a b'"), (Some("a b"), None));
        assert_eq!(
            split_first_word("“phone quotes” go"),
            (Some("phone quotes"), Some("go"))
        );
        assert_eq!(
            split_first_word("\"unclosed x"),
            (Some("\"unclosed"), Some("x"))
        );
    }

    #[test]
    fn every_menu_command_parses() {
        for c in COMMANDS {
            assert!(
                Command::parse(&format!("/{}", c.name), "bot").is_some(),
                "{}",
                c.name
            );
        }
    }
}
