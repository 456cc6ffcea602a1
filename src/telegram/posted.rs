//! Where each decision was shown on the phones: the messages to edit when it
//! ends. Only places are kept here; whether a decision is open is the session
//! record's to say. Kept in a file, so a restarted bot still edits the
//! messages an earlier run sent.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use serde::{Deserialize, Serialize};
use teloxide::types::{ChatId, MessageId};

use crate::durable;
use crate::session::SessionId;

const FILE: &str = "decision-messages.json";

/// One message on a phone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Place {
    pub chat: i64,
    pub message: i32,
}

impl Place {
    pub(crate) fn new(chat: ChatId, message: MessageId) -> Place {
        Place {
            chat: chat.0,
            message: message.0,
        }
    }

    pub(crate) fn ids(self) -> (ChatId, MessageId) {
        (ChatId(self.chat), MessageId(self.message))
    }
}

/// A decision: its session and serial.
type Key = (SessionId, u32);

/// The file as stored: a list, since JSON object keys must be strings.
#[derive(Default, Serialize, Deserialize)]
struct Stored {
    decisions: Vec<(SessionId, u32, Vec<Place>)>,
}

pub(crate) struct Posted {
    path: PathBuf,
    places: Mutex<BTreeMap<Key, Vec<Place>>>,
}

impl Posted {
    /// Loads the places an earlier run recorded. A file that cannot be parsed
    /// is moved aside (`.corrupt`) and named in the log; its messages keep
    /// their buttons, which a tap then finds no longer open.
    pub(crate) fn load(data_dir: &Path) -> Posted {
        let path = data_dir.join(FILE);
        let stored = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice::<Stored>(&bytes).unwrap_or_else(|e| {
                let aside = path.with_extension("json.corrupt");
                let moved = std::fs::rename(&path, &aside);
                tracing::error!(
                    "{}: {e}; moved to {} ({moved:?}); messages it listed keep their buttons",
                    path.display(),
                    aside.display()
                );
                Stored::default()
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Stored::default(),
            Err(e) => {
                tracing::error!("{}: {e}", path.display());
                Stored::default()
            }
        };
        let places = stored
            .decisions
            .into_iter()
            .map(|(session, serial, places)| ((session, serial), places))
            .collect();
        Posted {
            path,
            places: Mutex::new(places),
        }
    }

    /// Records that `place` shows decision `serial` of `session`.
    pub(crate) fn add(&self, session: SessionId, serial: u32, place: Place) {
        let mut places = self.lock();
        let list = places.entry((session, serial)).or_default();
        if !list.contains(&place) {
            list.push(place);
            self.save(&places);
        }
    }

    /// Whether any message shows the decision.
    pub(crate) fn shown(&self, session: SessionId, serial: u32) -> bool {
        self.lock().contains_key(&(session, serial))
    }

    /// The messages showing the decision.
    pub(crate) fn places(&self, session: SessionId, serial: u32) -> Vec<Place> {
        self.lock()
            .get(&(session, serial))
            .cloned()
            .unwrap_or_default()
    }

    /// Whether `place` is recorded as showing the decision: the notifier
    /// edits it when the decision settles.
    pub(crate) fn lists(&self, session: SessionId, serial: u32, place: Place) -> bool {
        self.lock()
            .get(&(session, serial))
            .is_some_and(|list| list.contains(&place))
    }

    /// Forgets the decision, returning the messages that showed it.
    pub(crate) fn take(&self, session: SessionId, serial: u32) -> Vec<Place> {
        let mut places = self.lock();
        let taken = places.remove(&(session, serial)).unwrap_or_default();
        if !taken.is_empty() {
            self.save(&places);
        }
        taken
    }

    /// Every decision with messages, for clearing up after a restart.
    pub(crate) fn decisions(&self) -> Vec<(SessionId, u32)> {
        self.lock().keys().copied().collect()
    }

    fn save(&self, places: &BTreeMap<Key, Vec<Place>>) {
        let stored = Stored {
            decisions: places
                .iter()
                .map(|((session, serial), list)| (*session, *serial, list.clone()))
                .collect(),
        };
        let written = serde_json::to_vec(&stored)
            .map_err(std::io::Error::other)
            .and_then(|bytes| durable::write_atomic(&self.path, &bytes));
        if let Err(e) = written {
            tracing::error!("{}: {e}", self.path.display());
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<Key, Vec<Place>>> {
        self.places.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_survive_a_restart_and_are_taken_once() {
        let dir = tempfile::tempdir().unwrap();
        let (web, api) = (SessionId::new(), SessionId::new());
        let posted = Posted::load(dir.path());
        posted.add(
            web,
            1,
            Place {
                chat: 1,
                message: 7,
            },
        );
        posted.add(
            web,
            1,
            Place {
                chat: 1,
                message: 7,
            },
        );
        posted.add(
            web,
            1,
            Place {
                chat: 2,
                message: 9,
            },
        );
        posted.add(
            api,
            4,
            Place {
                chat: 1,
                message: 8,
            },
        );
        assert!(posted.shown(web, 1) && !posted.shown(web, 2));

        let restarted = Posted::load(dir.path());
        assert_eq!(
            restarted.take(web, 1),
            [
                Place {
                    chat: 1,
                    message: 7
                },
                Place {
                    chat: 2,
                    message: 9
                }
            ]
        );
        assert_eq!(restarted.take(web, 1), []);
        assert_eq!(restarted.decisions(), [(api, 4)]);
        assert_eq!(Posted::load(dir.path()).decisions(), [(api, 4)]);
    }

    #[test]
    fn an_unreadable_file_is_moved_aside() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(FILE), b"{not json").unwrap();
        assert!(Posted::load(dir.path()).decisions().is_empty());
        let aside = dir.path().join(FILE).with_extension("json.corrupt");
        assert_eq!(
            std::fs::read(aside).unwrap(),
            b"{not json",
            "kept, moved aside"
        );
    }
}
