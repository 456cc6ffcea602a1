//! The slash commands: one table drives parsing, `/help` and the phone's
//! menu; parsing yields typed arguments or the usage error to show.

/// Lines `/peek` shows when no number is given, and the most it will show.
pub(crate) const PEEK_DEFAULT: usize = 40;
pub(crate) const PEEK_MAX: usize = 5000;

/// A command with its arguments, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Command {
    Start,
    Help,
    New {
        folder: Option<String>,
        task: Option<String>,
    },
    Ls {
        all: bool,
    },
    /// `name` none: the only active session.
    Peek {
        name: Option<String>,
        lines: usize,
    },
    /// Everything after `/send`, byte for byte: whether its first word names
    /// a session depends on the sessions there are.
    Send(String),
    /// A path relative to the session's folder, spaces and all.
    Get {
        path: String,
    },
    /// `name` none: the session of the topic it was sent in.
    Stop {
        name: Option<String>,
    },
    Resume {
        name: Option<String>,
    },
    Rm {
        name: Option<String>,
    },
    /// Only decisions reach the phone.
    Mute {
        name: Option<String>,
    },
    /// Everything reaches the phone again.
    Unmute {
        name: Option<String>,
    },
    Pair {
        code: String,
    },
}

/// Why a message that starts with `/` is not a command to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CommandError {
    /// Not one of ours (`/nope`), or addressed to another bot.
    Unknown(String),
    /// One of ours, typed wrong.
    Usage {
        command: &'static CommandInfo,
        problem: String,
    },
}

/// A command's name, its arguments and what it does, as `/help` and the menu show them.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct CommandInfo {
    pub name: &'static str,
    pub args: &'static str,
    pub about: &'static str,
}

/// Every command a user can send, in menu order.
pub(crate) const COMMANDS: &[CommandInfo] = &[
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
        args: "[NAME] [lines]",
        about: "show the last lines of a session's screen",
    },
    CommandInfo {
        name: "send",
        args: "[NAME] text",
        about: "type text into a session and press Enter",
    },
    CommandInfo {
        name: "get",
        args: "PATH",
        about: "send a file from the session's folder",
    },
    CommandInfo {
        name: "stop",
        args: "[NAME]",
        about: "stop a session (its folder is kept)",
    },
    CommandInfo {
        name: "resume",
        args: "[NAME]",
        about: "start a stopped session again",
    },
    CommandInfo {
        name: "rm",
        args: "[NAME]",
        about: "remove a session (asks to confirm)",
    },
    CommandInfo {
        name: "mute",
        args: "[NAME]",
        about: "send only a session's decisions",
    },
    CommandInfo {
        name: "unmute",
        args: "[NAME]",
        about: "send everything about a session again",
    },
    CommandInfo {
        name: "help",
        args: "",
        about: "show this help",
    },
];

/// The table entry of command `name` (one of [`COMMANDS`]).
pub(crate) fn info(name: &str) -> &'static CommandInfo {
    COMMANDS
        .iter()
        .find(|c| c.name == name)
        .unwrap_or(&COMMANDS[COMMANDS.len() - 1])
}

fn usage(name: &str, problem: impl Into<String>) -> CommandError {
    CommandError::Usage {
        command: info(name),
        problem: problem.into(),
    }
}

impl Command {
    /// Parses `/name[@bot] rest`; `None` for text that is not a command at all.
    pub(crate) fn parse(text: &str, bot_username: &str) -> Option<Result<Command, CommandError>> {
        let body = text.strip_prefix('/')?;
        let end = body.find(char::is_whitespace).unwrap_or(body.len());
        let (word, rest) = body.split_at(end);
        if word.is_empty() {
            return None;
        }
        // The rest keeps every byte after the one separating space or newline.
        let rest = rest
            .strip_prefix(|c: char| c.is_whitespace())
            .unwrap_or(rest);
        let name = match word.split_once('@') {
            Some((name, bot)) if bot.eq_ignore_ascii_case(bot_username) => name,
            _ if word.contains('@') => return Some(Err(CommandError::Unknown(text_word(word)))),
            _ => word,
        };
        Some(Command::from_parts(&name.to_ascii_lowercase(), rest, word))
    }

    fn from_parts(name: &str, rest: &str, word: &str) -> Result<Command, CommandError> {
        let args: Vec<&str> = rest.split_whitespace().collect();
        // In a session's topic the name may be left out.
        let one_name = |command: &str| match args.as_slice() {
            [name] => Ok(Some((*name).to_owned())),
            [] => Ok(None),
            _ => Err(usage(command, "one session name, nothing more")),
        };
        Ok(match name {
            "start" => Command::Start,
            "help" => Command::Help,
            "new" => {
                let (folder, task) = split_first_word(rest);
                Command::New {
                    folder: folder.map(str::to_owned),
                    task: task.map(str::to_owned),
                }
            }
            "ls" | "list" => match args.as_slice() {
                [] => Command::Ls { all: false },
                ["all"] => Command::Ls { all: true },
                _ => return Err(usage("ls", format!("`{}` is not `all`", rest.trim()))),
            },
            "peek" => peek(&args)?,
            "send" if rest.trim().is_empty() => {
                return Err(usage("send", "nothing to send"));
            }
            "send" => Command::Send(rest.to_owned()),
            "get" if rest.trim().is_empty() => {
                return Err(usage(
                    "get",
                    "which file? A path inside the session's folder",
                ));
            }
            "get" => Command::Get {
                path: rest.trim().to_owned(),
            },
            "stop" => Command::Stop {
                name: one_name("stop")?,
            },
            "resume" => Command::Resume {
                name: one_name("resume")?,
            },
            "rm" | "remove" => Command::Rm {
                name: one_name("rm")?,
            },
            "mute" => Command::Mute {
                name: one_name("mute")?,
            },
            "unmute" => Command::Unmute {
                name: one_name("unmute")?,
            },
            "pair" => Command::Pair {
                code: rest.trim().to_owned(),
            },
            _ => return Err(CommandError::Unknown(text_word(word))),
        })
    }
}

/// `/peek`, `/peek NAME`, `/peek 80`, `/peek NAME 80`.
fn peek(args: &[&str]) -> Result<Command, CommandError> {
    let lines = |s: &str| match s.parse::<usize>() {
        Ok(n) if (1..=PEEK_MAX).contains(&n) => Ok(n),
        _ => Err(usage(
            "peek",
            format!("lines must be a number from 1 to {PEEK_MAX}, not `{s}`"),
        )),
    };
    let is_number = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    Ok(match args {
        [] => Command::Peek {
            name: None,
            lines: PEEK_DEFAULT,
        },
        [n] if is_number(n) => Command::Peek {
            name: None,
            lines: lines(n)?,
        },
        [name] => Command::Peek {
            name: Some((*name).to_owned()),
            lines: PEEK_DEFAULT,
        },
        [name, n] => Command::Peek {
            name: Some((*name).to_owned()),
            lines: lines(n)?,
        },
        _ => return Err(usage("peek", "too many words")),
    })
}

/// The command word as typed, for the error message.
fn text_word(word: &str) -> String {
    format!("/{word}")
}

/// Splits `/new` arguments: the first word is the folder, the rest the task.
/// A folder with spaces can be quoted: `/new "my app" fix it`.
fn split_first_word(args: &str) -> (Option<&str>, Option<&str>) {
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

    fn parse(text: &str) -> Option<Result<Command, CommandError>> {
        Command::parse(text, "bot")
    }

    fn problem(text: &str) -> (&'static str, String) {
        match parse(text) {
            Some(Err(CommandError::Usage { command, problem })) => (command.name, problem),
            other => panic!("{text}: {other:?}"),
        }
    }

    #[test]
    fn parses_commands_with_typed_arguments() {
        assert_eq!(parse("/ls"), Some(Ok(Command::Ls { all: false })));
        assert_eq!(parse("/LS@Bot all"), Some(Ok(Command::Ls { all: true })));
        assert_eq!(
            parse("/peek web 80"),
            Some(Ok(Command::Peek {
                name: Some("web".into()),
                lines: 80
            }))
        );
        assert_eq!(
            parse("/peek 7"),
            Some(Ok(Command::Peek {
                name: None,
                lines: 7
            }))
        );
        assert_eq!(
            parse("/peek"),
            Some(Ok(Command::Peek {
                name: None,
                lines: PEEK_DEFAULT
            }))
        );
        assert_eq!(
            parse("/stop web"),
            Some(Ok(Command::Stop {
                name: Some("web".into())
            }))
        );
        assert_eq!(parse("/stop"), Some(Ok(Command::Stop { name: None })));
        assert_eq!(
            parse("/remove web"),
            Some(Ok(Command::Rm {
                name: Some("web".into())
            }))
        );
        assert_eq!(
            parse("/mute web"),
            Some(Ok(Command::Mute {
                name: Some("web".into())
            }))
        );
        assert_eq!(parse("/unmute"), Some(Ok(Command::Unmute { name: None })));
        assert_eq!(
            parse("/new \"my app\" fix it"),
            Some(Ok(Command::New {
                folder: Some("my app".into()),
                task: Some("fix it".into())
            }))
        );
        assert_eq!(
            parse("/new"),
            Some(Ok(Command::New {
                folder: None,
                task: None
            }))
        );
        assert_eq!(
            parse("/pair 123"),
            Some(Ok(Command::Pair { code: "123".into() }))
        );
        assert_eq!(
            parse("/get  my notes/report 1.txt "),
            Some(Ok(Command::Get {
                path: "my notes/report 1.txt".into()
            }))
        );
    }

    #[test]
    fn send_keeps_every_byte() {
        assert_eq!(
            parse("/send web  a;b\n$(x) "),
            Some(Ok(Command::Send("web  a;b\n$(x) ".into())))
        );
        assert_eq!(parse("/send\nx"), Some(Ok(Command::Send("x".into()))));
    }

    #[test]
    fn usage_errors_name_the_command_and_the_problem() {
        assert_eq!(problem("/ls everything").0, "ls");
        assert!(problem("/peek web 0").1.contains("1 to 5000"));
        assert!(problem("/peek web lots").1.contains("`lots`"));
        assert_eq!(problem("/peek a b c").1, "too many words");
        assert_eq!(problem("/stop a b").1, "one session name, nothing more");
        assert_eq!(problem("/rm a b").0, "rm");
        assert_eq!(problem("/send   ").1, "nothing to send");
        assert_eq!(
            problem("/get ").1,
            "which file? A path inside the session's folder"
        );
    }

    #[test]
    fn other_text_and_other_bots() {
        assert_eq!(
            parse("/nope"),
            Some(Err(CommandError::Unknown("/nope".into())))
        );
        assert_eq!(
            parse("/ls@other"),
            Some(Err(CommandError::Unknown("/ls@other".into())))
        );
        assert_eq!(parse("hello"), None);
        assert_eq!(parse("/"), None);
        assert_eq!(parse("/ hello"), None);
    }

    #[test]
    fn first_word_split() {
        assert_eq!(split_first_word(""), (None, None));
        assert_eq!(split_first_word(" ~/code "), (Some("~/code"), None));
        assert_eq!(
            split_first_word("webapp fix the  bug"),
            (Some("webapp"), Some("fix the  bug"))
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
            let args = if c.args.contains("NAME") && !c.args.starts_with('[') {
                " web"
            } else if c.name == "send" || c.name == "get" {
                " hi"
            } else {
                ""
            };
            assert!(
                matches!(parse(&format!("/{}{args}", c.name)), Some(Ok(_))),
                "{}",
                c.name
            );
        }
    }
}
