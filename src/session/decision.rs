//! A pending decision: an agent waiting for the user to pick an option.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::tmux::Key;

/// A question on an agent's screen and the ways to answer it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub question: String,
    /// What the question is about (the command, the file), when the screen says.
    pub context: Option<String>,
    pub options: Vec<DecisionOption>,
    /// Index into `options` of the agent's own highlighted choice.
    pub default: Option<usize>,
    pub fingerprint: Fingerprint,
}

/// One answer to a decision and the keys that select it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionOption {
    pub label: String,
    pub keys: Vec<Key>,
    /// Choosing this option makes the agent wait for a typed explanation
    /// (`No, and tell Claude what to do differently`).
    #[serde(default)]
    pub asks_reply: bool,
}

/// A stable hash of a decision's question and option labels. A button carries
/// it so a tap on a stale prompt is refused instead of answering another one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Fingerprint(pub u64);

impl Fingerprint {
    /// FNV-1a over the question and labels: stable across processes and versions.
    pub fn of<'a>(question: &str, labels: impl IntoIterator<Item = &'a str>) -> Self {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        let mut feed = |bytes: &[u8]| {
            for b in bytes {
                hash ^= u64::from(*b);
                hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
            }
            // A separator that cannot occur in text keeps ("ab","c") != ("a","bc").
            hash ^= 0xff;
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        };
        feed(question.as_bytes());
        for label in labels {
            feed(label.as_bytes());
        }
        Fingerprint(hash)
    }

    pub fn parse_hex(s: &str) -> Option<Self> {
        (s.len() == 16).then(|| u64::from_str_radix(s, 16).ok().map(Fingerprint))?
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_depends_on_every_part() {
        let a = Fingerprint::of("Proceed?", ["Yes", "No"]);
        assert_eq!(a, Fingerprint::of("Proceed?", ["Yes", "No"]));
        assert_ne!(a, Fingerprint::of("Proceed?", ["No", "Yes"]));
        assert_ne!(a, Fingerprint::of("Proceed!", ["Yes", "No"]));
        assert_ne!(
            Fingerprint::of("q", ["ab", "c"]),
            Fingerprint::of("q", ["a", "bc"])
        );
        assert_eq!(Fingerprint::parse_hex(&a.to_string()), Some(a));
        assert_eq!(Fingerprint::parse_hex("xyz"), None);
    }
}
