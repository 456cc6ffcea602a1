//! Callback data: what a button does, packed into Telegram's 64 bytes with a
//! version, and refused whole when malformed or forged.

use crate::session::{Fingerprint, SessionId};

/// The format version every payload starts with.
const VERSION: &str = "1";
/// Telegram's limit on callback data.
pub const MAX_LEN: usize = 64;

/// What a tap asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Peek(SessionId),
    Stop(SessionId),
    Resume(SessionId),
    /// Asks to confirm removal.
    Remove(SessionId),
    RemoveConfirmed(SessionId),
    RemoveCancelled(SessionId),
    /// Picks option `option` of the decision with `fingerprint`.
    Answer {
        session: SessionId,
        fingerprint: Fingerprint,
        option: u8,
    },
}

/// Why a payload was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallbackError {
    #[error("this button is from another version of tgmux; use /ls for fresh ones")]
    Version,
    #[error("this button is not one tgmux made")]
    Malformed,
}

impl Action {
    /// The session the button acts on.
    pub fn session(self) -> SessionId {
        match self {
            Action::Peek(id)
            | Action::Stop(id)
            | Action::Resume(id)
            | Action::Remove(id)
            | Action::RemoveConfirmed(id)
            | Action::RemoveCancelled(id) => id,
            Action::Answer { session, .. } => session,
        }
    }

    pub fn encode(self) -> String {
        let data = match self {
            Action::Peek(id) => format!("{VERSION}:p:{}", id.simple()),
            Action::Stop(id) => format!("{VERSION}:s:{}", id.simple()),
            Action::Resume(id) => format!("{VERSION}:r:{}", id.simple()),
            Action::Remove(id) => format!("{VERSION}:x:{}", id.simple()),
            Action::RemoveConfirmed(id) => format!("{VERSION}:X:{}", id.simple()),
            Action::RemoveCancelled(id) => format!("{VERSION}:c:{}", id.simple()),
            Action::Answer {
                session,
                fingerprint,
                option,
            } => format!("{VERSION}:a:{}:{fingerprint}:{option}", session.simple()),
        };
        debug_assert!(data.len() <= MAX_LEN);
        data
    }

    pub fn decode(data: &str) -> Result<Action, CallbackError> {
        if data.len() > MAX_LEN {
            return Err(CallbackError::Malformed);
        }
        let mut parts = data.split(':');
        let version = parts.next().ok_or(CallbackError::Malformed)?;
        if version != VERSION {
            return Err(
                if version.bytes().all(|b| b.is_ascii_digit()) && !version.is_empty() {
                    CallbackError::Version
                } else {
                    CallbackError::Malformed
                },
            );
        }
        let kind = parts.next().ok_or(CallbackError::Malformed)?;
        let id = parts
            .next()
            .filter(|s| s.len() == 32)
            .and_then(|s| s.parse::<SessionId>().ok())
            .ok_or(CallbackError::Malformed)?;
        let action = match kind {
            "p" => Action::Peek(id),
            "s" => Action::Stop(id),
            "r" => Action::Resume(id),
            "x" => Action::Remove(id),
            "X" => Action::RemoveConfirmed(id),
            "c" => Action::RemoveCancelled(id),
            "a" => {
                let fingerprint = parts
                    .next()
                    .and_then(Fingerprint::parse_hex)
                    .ok_or(CallbackError::Malformed)?;
                let option = parts
                    .next()
                    .filter(|s| !s.starts_with('+'))
                    .and_then(|s| s.parse::<u8>().ok())
                    .ok_or(CallbackError::Malformed)?;
                Action::Answer {
                    session: id,
                    fingerprint,
                    option,
                }
            }
            _ => return Err(CallbackError::Malformed),
        };
        match parts.next() {
            None => Ok(action),
            Some(_) => Err(CallbackError::Malformed),
        }
    }
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
            Action::Answer {
                session: id,
                fingerprint: Fingerprint(u64::MAX),
                option: 255,
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
        let id = SessionId::new().simple();
        let bad = [
            String::new(),
            "1".into(),
            "1:p".into(),
            format!("1:p:{id}:extra"),
            format!("1:q:{id}"),
            "1:p:not-a-uuid".into(),
            format!("1:a:{id}"),
            format!("1:a:{id}:zz:1"),
            format!("1:a:{id}:0123456789abcdef:256"),
            format!("1:a:{id}:0123456789abcdef:-1"),
            format!("1:a:{id}:0123456789abcdef:+1"),
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
            Action::decode(&format!("2:p:{id}")),
            Err(CallbackError::Version)
        );
    }
}
