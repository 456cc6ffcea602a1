//! Callback data: what a button does, packed into Telegram's 64 bytes with a
//! version, and refused whole when malformed or forged.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;

use crate::screen::Fingerprint;
use crate::session::SessionId;

/// The format version every payload starts with. Version 1 buttons (before
/// decisions had serials) are refused as out of date.
const VERSION: &str = "2";
/// Telegram's limit on callback data.
pub(crate) const MAX_LEN: usize = 64;

/// What a tap asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    Peek(SessionId),
    Stop(SessionId),
    Resume(SessionId),
    /// Asks to confirm removal.
    Remove(SessionId),
    RemoveConfirmed(SessionId),
    RemoveCancelled(SessionId),
    /// Moves the session to its next notification level.
    Level(SessionId),
    /// Picks option `option` of decision `serial`, which showed the prompt
    /// with `fingerprint`.
    Answer {
        session: SessionId,
        serial: u32,
        fingerprint: Fingerprint,
        option: u8,
    },
    /// Gives what came in the user's message `from` (a transcript, a file),
    /// held since, to `session`.
    Deliver {
        session: SessionId,
        from: i32,
    },
    /// Shows page `page` of `/ls` (`all`: removed sessions too), in place.
    List {
        page: u16,
        all: bool,
    },
    /// Turns the session's progress messages off (`quiet`) or on.
    Quiet {
        session: SessionId,
        quiet: bool,
    },
}

/// Why a payload was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum CallbackError {
    #[error("this button is from another version of tgmux; use /ls for fresh ones")]
    Version,
    #[error("this button is not one tgmux made")]
    Malformed,
}

impl Action {
    /// The session the button acts on, if it acts on one.
    pub(crate) fn session(self) -> Option<SessionId> {
        match self {
            Action::Peek(id)
            | Action::Stop(id)
            | Action::Resume(id)
            | Action::Remove(id)
            | Action::RemoveConfirmed(id)
            | Action::RemoveCancelled(id)
            | Action::Level(id) => Some(id),
            Action::Answer { session, .. }
            | Action::Quiet { session, .. }
            | Action::Deliver { session, .. } => Some(session),
            Action::List { .. } => None,
        }
    }

    pub(crate) fn encode(self) -> String {
        let id = |id: SessionId| B64.encode(id.as_bytes());
        let data = match self {
            Action::Peek(s) => format!("{VERSION}:p:{}", id(s)),
            Action::Stop(s) => format!("{VERSION}:s:{}", id(s)),
            Action::Resume(s) => format!("{VERSION}:r:{}", id(s)),
            Action::Remove(s) => format!("{VERSION}:x:{}", id(s)),
            Action::RemoveConfirmed(s) => format!("{VERSION}:X:{}", id(s)),
            Action::RemoveCancelled(s) => format!("{VERSION}:c:{}", id(s)),
            Action::Deliver { session, from } => format!("{VERSION}:d:{}:{from}", id(session)),
            Action::Level(s) => format!("{VERSION}:n:{}", id(s)),
            Action::Answer {
                session,
                serial,
                fingerprint,
                option,
            } => format!(
                "{VERSION}:a:{}:{serial}:{}:{option}",
                id(session),
                B64.encode(fingerprint.0.to_be_bytes())
            ),
            Action::List { page, all } => format!("{VERSION}:l:{page}:{}", u8::from(all)),
            Action::Quiet { session, quiet } => {
                format!("{VERSION}:q:{}:{}", id(session), u8::from(quiet))
            }
        };
        debug_assert!(data.len() <= MAX_LEN);
        data
    }

    pub(crate) fn decode(data: &str) -> Result<Action, CallbackError> {
        use CallbackError::Malformed;
        if data.len() > MAX_LEN {
            return Err(Malformed);
        }
        let mut parts = data.split(':');
        let version = parts.next().ok_or(Malformed)?;
        if version != VERSION {
            let numeric = !version.is_empty() && version.bytes().all(|b| b.is_ascii_digit());
            return Err(if numeric {
                CallbackError::Version
            } else {
                Malformed
            });
        }
        let kind = parts.next().ok_or(Malformed)?;
        let action = if kind == "l" {
            let page = number(parts.next())?;
            let all = flag(parts.next())?;
            Action::List { page, all }
        } else {
            let id = parts.next().and_then(session_id).ok_or(Malformed)?;
            match kind {
                "p" => Action::Peek(id),
                "s" => Action::Stop(id),
                "r" => Action::Resume(id),
                "x" => Action::Remove(id),
                "X" => Action::RemoveConfirmed(id),
                "c" => Action::RemoveCancelled(id),
                "d" => Action::Deliver {
                    session: id,
                    from: number(parts.next())?,
                },
                "n" => Action::Level(id),
                "a" => Action::Answer {
                    session: id,
                    serial: number(parts.next())?,
                    fingerprint: parts.next().and_then(fingerprint).ok_or(Malformed)?,
                    option: number(parts.next())?,
                },
                "q" => Action::Quiet {
                    session: id,
                    quiet: flag(parts.next())?,
                },
                _ => return Err(Malformed),
            }
        };
        match parts.next() {
            None => Ok(action),
            Some(_) => Err(Malformed),
        }
    }
}

/// `0` or `1`.
fn flag(part: Option<&str>) -> Result<bool, CallbackError> {
    match part {
        Some("0") => Ok(false),
        Some("1") => Ok(true),
        _ => Err(CallbackError::Malformed),
    }
}

/// A plain decimal number: no sign, no leading `+`.
fn number<T: std::str::FromStr>(part: Option<&str>) -> Result<T, CallbackError> {
    part.filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|s| s.parse().ok())
        .ok_or(CallbackError::Malformed)
}

fn session_id(text: &str) -> Option<SessionId> {
    let bytes: [u8; 16] = B64.decode(text).ok()?.try_into().ok()?;
    Some(SessionId::from_bytes(bytes))
}

fn fingerprint(text: &str) -> Option<Fingerprint> {
    let bytes: [u8; 8] = B64.decode(text).ok()?.try_into().ok()?;
    Some(Fingerprint(u64::from_be_bytes(bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_within_64_bytes() {
        let id = SessionId::new();
        let actions = [
            Action::Peek(id),
            Action::Stop(id),
            Action::Resume(id),
            Action::Remove(id),
            Action::RemoveConfirmed(id),
            Action::RemoveCancelled(id),
            Action::Deliver {
                session: id,
                from: i32::MAX,
            },
            Action::Level(id),
            Action::Answer {
                session: id,
                serial: u32::MAX,
                fingerprint: Fingerprint(u64::MAX),
                option: 255,
            },
            Action::List {
                page: u16::MAX,
                all: true,
            },
            Action::Quiet {
                session: id,
                quiet: true,
            },
        ];
        for action in actions {
            let data = action.encode();
            assert!(data.len() <= MAX_LEN, "{data} is {} bytes", data.len());
            assert_eq!(Action::decode(&data), Ok(action));
        }
    }

    #[test]
    fn forged_payloads_are_refused() {
        let id = B64.encode(SessionId::new().as_bytes());
        let fp = B64.encode(7u64.to_be_bytes());
        let bad = [
            String::new(),
            "2".into(),
            "2:p".into(),
            format!("2:p:{id}:extra"),
            format!("2:q:{id}"),
            "2:p:not-an-id".into(),
            format!("2:p:{}", &id[1..]),
            format!("2:a:{id}"),
            format!("2:a:{id}:1"),
            format!("2:a:{id}:1:zz:1"),
            format!("2:a:{id}:1:{fp}:256"),
            format!("2:a:{id}:1:{fp}:-1"),
            format!("2:a:{id}:+1:{fp}:1"),
            format!("2:a:{id}:1:{fp}:"),
            format!("2:d:{id}"),
            format!("2:d:{id}:-5"),
            "2:l:1:2".into(),
            "2:l::1".into(),
            format!("2:q:{id}:2"),
            format!("2:q:{id}"),
            "x".repeat(200),
            "\u{0}:\u{0}".into(),
        ];
        for data in bad {
            assert_eq!(
                Action::decode(&data),
                Err(CallbackError::Malformed),
                "{data:?}"
            );
        }
        assert_eq!(
            Action::decode(&format!("1:p:{}", "0".repeat(32))),
            Err(CallbackError::Version),
            "buttons from before decisions had serials"
        );
    }
}
