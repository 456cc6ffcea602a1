//! Who may use the bot: the configured users plus those who paired with the
//! one-time code printed on the local terminal. Everyone else is refused.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::config::UserId;
use crate::durable::write_atomic;

/// File in the data folder holding the users added with `/pair`.
const PAIRED_FILE: &str = "paired_users.json";

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} could not be parsed ({source}); fix or delete it")]
    Corrupt {
        path: PathBuf,
        source: serde_json::Error,
    },
}

pub struct Auth {
    configured: BTreeSet<UserId>,
    paired_path: PathBuf,
    state: Mutex<State>,
}

struct State {
    paired: BTreeSet<UserId>,
    /// The pairing code, until it is used once.
    code: Option<String>,
    /// When each user was last told a code was wrong.
    refused: HashMap<UserId, Instant>,
}

/// How often one user is told that a pairing code is wrong: guessing gets
/// no faster answers than this, and a flood gets one reply.
const REFUSAL_REPLY_EVERY: Duration = Duration::from_secs(30);

/// How a `/pair` attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PairOutcome {
    Paired,
    AlreadyAllowed,
    /// A wrong code; `reply` unless this user was told so a moment ago.
    Refused {
        reply: bool,
    },
}

impl Auth {
    /// Loads paired users from `data_dir`. With nobody allowed at all, makes
    /// a one-time pairing code (returned by [`Auth::pairing_code`]).
    pub fn load(configured: &[UserId], data_dir: &Path) -> Result<Auth, AuthError> {
        let paired_path = data_dir.join(PAIRED_FILE);
        let paired: BTreeSet<UserId> = match std::fs::read(&paired_path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|source| AuthError::Corrupt {
                path: paired_path.clone(),
                source,
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeSet::new(),
            Err(source) => {
                return Err(AuthError::Io {
                    path: paired_path,
                    source,
                });
            }
        };
        let code = (configured.is_empty() && paired.is_empty()).then(new_code);
        Ok(Auth {
            configured: configured.iter().copied().collect(),
            paired_path,
            state: Mutex::new(State {
                paired,
                code,
                refused: HashMap::new(),
            }),
        })
    }

    /// The code to print on the terminal, while pairing is open.
    pub fn pairing_code(&self) -> Option<String> {
        self.lock().code.clone()
    }

    pub fn is_allowed(&self, user: UserId) -> bool {
        self.configured.contains(&user) || self.lock().paired.contains(&user)
    }

    /// Everyone allowed, for notifications.
    pub fn users(&self) -> Vec<UserId> {
        let state = self.lock();
        self.configured.union(&state.paired).copied().collect()
    }

    /// Adds `user` if `code` is the open pairing code; the code then closes.
    /// A wrong code changes nothing.
    pub fn pair(&self, user: UserId, code: &str) -> Result<PairOutcome, AuthError> {
        if self.is_allowed(user) {
            return Ok(PairOutcome::AlreadyAllowed);
        }
        let mut state = self.lock();
        let matches = state
            .code
            .as_deref()
            .is_some_and(|open| constant_time_eq(open.as_bytes(), code.trim().as_bytes()));
        if !matches {
            let now = Instant::now();
            let last = state.refused.insert(user, now);
            let reply = last.is_none_or(|at| now.duration_since(at) >= REFUSAL_REPLY_EVERY);
            if !reply {
                state.refused.insert(user, last.unwrap_or(now));
            }
            return Ok(PairOutcome::Refused { reply });
        }
        let mut paired = state.paired.clone();
        paired.insert(user);
        let bytes = serde_json::to_vec_pretty(&paired).expect("a set of ids always serializes");
        write_atomic(&self.paired_path, &bytes).map_err(|source| AuthError::Io {
            path: self.paired_path.clone(),
            source,
        })?;
        state.paired = paired;
        state.code = None;
        Ok(PairOutcome::Paired)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Eight random digits and letters, easy to type on a phone.
fn new_code() -> String {
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    uuid::Uuid::new_v4().as_bytes()[..8]
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configured_users_only_and_no_code() {
        let dir = tempfile::tempdir().unwrap();
        let auth = Auth::load(&[UserId(7)], dir.path()).unwrap();
        assert!(auth.is_allowed(UserId(7)));
        assert!(!auth.is_allowed(UserId(8)));
        assert_eq!(auth.pairing_code(), None);
        assert_eq!(
            auth.pair(UserId(8), "anything").unwrap(),
            PairOutcome::Refused { reply: true }
        );
        assert_eq!(
            auth.pair(UserId(8), "again").unwrap(),
            PairOutcome::Refused { reply: false },
            "told once, not at every guess"
        );
        assert_eq!(
            auth.pair(UserId(9), "other").unwrap(),
            PairOutcome::Refused { reply: true },
            "each user is told"
        );
    }

    #[test]
    fn pairing_is_one_time_and_persisted() {
        let dir = tempfile::tempdir().unwrap();
        let auth = Auth::load(&[], dir.path()).unwrap();
        let code = auth.pairing_code().unwrap();
        assert_eq!(code.len(), 8);
        assert_eq!(
            auth.pair(UserId(5), "WRONG123").unwrap(),
            PairOutcome::Refused { reply: true }
        );
        assert!(!auth.is_allowed(UserId(5)));
        assert_eq!(auth.pair(UserId(5), &code).unwrap(), PairOutcome::Paired);
        assert!(auth.is_allowed(UserId(5)));
        assert_eq!(
            auth.pair(UserId(6), &code).unwrap(),
            PairOutcome::Refused { reply: true },
            "code reused"
        );
        let again = Auth::load(&[], dir.path()).unwrap();
        assert!(again.is_allowed(UserId(5)));
        assert_eq!(again.pairing_code(), None, "a paired user closes pairing");
        assert_eq!(again.users(), vec![UserId(5)]);
    }

    #[test]
    fn corrupt_paired_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(PAIRED_FILE), "{nope").unwrap();
        assert!(matches!(
            Auth::load(&[], dir.path()),
            Err(AuthError::Corrupt { .. })
        ));
    }
}
