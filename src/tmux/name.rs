//! Session names: what tmux targets, validated so no name can be read as
//! another target (`.`, `:`) or a flag.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Longest name tgmux will make or accept.
pub const MAX_NAME_LEN: usize = 40;

/// A session name that is safe as a tmux target: lowercase ASCII letters,
/// digits, `-` and `_`, starting with a letter or digit.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SessionName(String);

/// Why a string is not a valid session name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("a session name cannot be empty")]
    Empty,
    #[error("session name `{0}` is longer than {MAX_NAME_LEN} characters")]
    TooLong(String),
    #[error(
        "session name `{0}` may only hold lowercase letters, digits, `-` and `_`, and must start with a letter or digit"
    )]
    Invalid(String),
}

impl SessionName {
    pub fn parse(s: &str) -> Result<Self, NameError> {
        if s.is_empty() {
            return Err(NameError::Empty);
        }
        if s.len() > MAX_NAME_LEN {
            return Err(NameError::TooLong(s.to_owned()));
        }
        let ok_char =
            |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_';
        let first_ok = s.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit());
        if !first_ok || !s.chars().all(ok_char) {
            return Err(NameError::Invalid(s.to_owned()));
        }
        Ok(SessionName(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SessionName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for SessionName {
    type Error = NameError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        SessionName::parse(&s)
    }
}

impl From<SessionName> for String {
    fn from(n: SessionName) -> String {
        n.0
    }
}

impl AsRef<str> for SessionName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_refuse_tmux_specials() {
        for bad in ["", "a.b", "a:b", "a b", "-x", "Webapp", "a/b", "é"] {
            assert!(SessionName::parse(bad).is_err(), "{bad:?} accepted");
        }
        for good in ["webapp", "webapp-2", "a_b", "9lives"] {
            assert_eq!(SessionName::parse(good).unwrap().as_str(), good);
        }
        assert!(SessionName::parse(&"a".repeat(MAX_NAME_LEN + 1)).is_err());
    }
}
