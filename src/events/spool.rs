//! The per-session spool `<data dir>/events/<session id>.jsonl`: one
//! [`Received`] per line, appended by `tgmux hook`, read by the watcher from
//! the byte offset it keeps.

use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use super::{EventsError, Received};

/// Most bytes one read returns: far above any line (texts are bounded), so
/// a reader that starts over at 0 after a restart still moves on.
const MAX_READ: u64 = 16 * 1024 * 1024;

/// Longest session id accepted as a file name.
const MAX_ID_LEN: usize = 64;

/// The folder of all spools under tgmux's data folder.
pub fn events_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("events")
}

/// One session's spool file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spool {
    path: PathBuf,
}

/// The events after an offset, and the offset to read from next time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    pub events: Vec<Received>,
    pub next_offset: u64,
}

impl Spool {
    /// The spool of `session_id` in `dir`; the id must be a plain file name
    /// (it comes from the environment of a process tgmux does not control).
    pub fn new(dir: &Path, session_id: &str) -> Result<Spool, EventsError> {
        let plain = !session_id.is_empty()
            && session_id.len() <= MAX_ID_LEN
            && session_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !plain {
            return Err(EventsError::BadSessionId(session_id.to_owned()));
        }
        Ok(Spool {
            path: dir.join(format!("{session_id}.jsonl")),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends the events in a single O_APPEND write, so lines written by
    /// hooks running at once never interleave.
    pub fn append(&self, events: &[Received]) -> Result<(), EventsError> {
        if events.is_empty() {
            return Ok(());
        }
        let mut lines = Vec::new();
        for event in events {
            // A Received holds only strings and a time: it always serializes.
            serde_json::to_writer(&mut lines, event)
                .map_err(|e| EventsError::io(&self.path, e.into()))?;
            lines.push(b'\n');
        }
        if let Some(dir) = self.path.parent() {
            crate::durable::create_private_dir(dir).map_err(|e| EventsError::io(dir, e))?;
        }
        OpenOptions::new()
            .append(true)
            .create(true)
            .mode(0o600)
            .open(&self.path)
            .and_then(|mut file| file.write_all(&lines))
            .map_err(|e| EventsError::io(&self.path, e))
    }

    /// The whole lines after byte `offset`; a half-written last line is left
    /// for the next read. Lines that do not parse (from a newer tgmux, or
    /// damaged) are skipped. A file shorter than `offset` was replaced, so it
    /// is read from the start; a missing file has no events yet.
    pub fn read_after(&self, offset: u64) -> Result<Batch, EventsError> {
        let io = |e| EventsError::io(&self.path, e);
        let nothing = Batch {
            events: Vec::new(),
            next_offset: offset,
        };
        // A stat first: the watcher asks every tick, and mostly nothing came.
        let len = match std::fs::metadata(&self.path) {
            Ok(meta) if meta.len() == offset => return Ok(nothing),
            Ok(meta) => meta.len(),
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(nothing),
            Err(e) => return Err(io(e)),
        };
        let mut file = match File::open(&self.path) {
            Ok(file) => file,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(nothing),
            Err(e) => return Err(io(e)),
        };
        let start = if len < offset { 0 } else { offset };
        file.seek(SeekFrom::Start(start)).map_err(io)?;
        let mut bytes = Vec::new();
        file.take(MAX_READ).read_to_end(&mut bytes).map_err(io)?;
        let whole = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        let events = bytes[..whole]
            .split(|&b| b == b'\n')
            .filter_map(|line| serde_json::from_slice(line).ok())
            .collect();
        Ok(Batch {
            events,
            next_offset: start + whole as u64,
        })
    }

    /// Deletes the spool of a removed session; a missing one is fine.
    pub fn remove(&self) -> Result<(), EventsError> {
        match std::fs::remove_file(&self.path) {
            Err(e) if e.kind() != ErrorKind::NotFound => Err(EventsError::io(&self.path, e)),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::AgentEvent;

    fn received(n: u32) -> Received {
        Received {
            at: chrono::DateTime::from_timestamp(1_777_000_000 + i64::from(n), 0).unwrap(),
            event: AgentEvent::Progress {
                tool: "Bash".into(),
                detail: format!("step {n}"),
            },
        }
    }

    #[test]
    fn session_ids_must_be_plain_file_names() {
        let dir = Path::new("/data/events");
        assert_eq!(
            Spool::new(dir, "0b7e4c52-9f0e-4a57-8d7e-2f6c1b3a9d10")
                .unwrap()
                .path(),
            Path::new("/data/events/0b7e4c52-9f0e-4a57-8d7e-2f6c1b3a9d10.jsonl")
        );
        for bad in ["", "../x", "a/b", ".", "a b", "é", &"x".repeat(65)] {
            assert!(
                matches!(Spool::new(dir, bad), Err(EventsError::BadSessionId(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn appends_and_reads_after_an_offset() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::new(&dir.path().join("events"), "s1").unwrap();
        assert_eq!(
            spool.read_after(0).unwrap(),
            Batch {
                events: vec![],
                next_offset: 0
            }
        );
        spool.append(&[received(1), received(2)]).unwrap();
        let first = spool.read_after(0).unwrap();
        assert_eq!(first.events, [received(1), received(2)]);
        assert_eq!(
            first.next_offset,
            std::fs::metadata(spool.path()).unwrap().len()
        );
        spool.append(&[received(3)]).unwrap();
        let second = spool.read_after(first.next_offset).unwrap();
        assert_eq!(second.events, [received(3)]);
        let none = spool.read_after(second.next_offset).unwrap();
        assert_eq!(none.events, []);
        assert_eq!(none.next_offset, second.next_offset);
        spool.remove().unwrap();
        assert!(!spool.path().exists());
        spool.remove().unwrap();
    }

    #[test]
    fn a_partial_last_line_waits_and_bad_lines_are_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::new(dir.path(), "s1").unwrap();
        spool.append(&[received(1)]).unwrap();
        let whole = std::fs::read(spool.path()).unwrap();
        let mut file = OpenOptions::new().append(true).open(spool.path()).unwrap();
        file.write_all(
            b"{\"at\":\"2026-01-01T00:00:00Z\",\"event\":{\"kind\":\"from_the_future\"}}\n",
        )
        .unwrap();
        let line = serde_json::to_vec(&received(2)).unwrap();
        let (head, tail) = line.split_at(10);
        file.write_all(head).unwrap();
        let batch = spool.read_after(0).unwrap();
        assert_eq!(batch.events, [received(1)]);
        let partial_at = std::fs::metadata(spool.path()).unwrap().len() - head.len() as u64;
        assert_eq!(batch.next_offset, partial_at);
        assert!(batch.next_offset > whole.len() as u64);
        file.write_all(tail).unwrap();
        file.write_all(b"\n").unwrap();
        let rest = spool.read_after(batch.next_offset).unwrap();
        assert_eq!(rest.events, [received(2)]);
    }

    #[test]
    fn a_replaced_file_is_read_from_the_start() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::new(dir.path(), "s1").unwrap();
        spool
            .append(&[received(1), received(2), received(3)])
            .unwrap();
        let end = spool.read_after(0).unwrap().next_offset;
        spool.remove().unwrap();
        spool.append(&[received(4)]).unwrap();
        assert_eq!(spool.read_after(end).unwrap().events, [received(4)]);
    }

    #[test]
    fn concurrent_appends_never_interleave() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::new(dir.path(), "s1").unwrap();
        let big = |n: u32| Received {
            at: received(n).at,
            event: AgentEvent::TurnEnded {
                answer: Some(format!("{n}:").repeat(20_000)),
            },
        };
        std::thread::scope(|scope| {
            for n in 0..8 {
                let spool = &spool;
                scope.spawn(move || {
                    for k in 0..10 {
                        spool.append(&[big(n * 100 + k)]).unwrap();
                    }
                });
            }
        });
        let batch = spool.read_after(0).unwrap();
        assert_eq!(batch.events.len(), 80);
        let mut seen: Vec<Received> = batch.events;
        seen.sort_by_key(|r| r.at);
        let mut expected: Vec<Received> = (0..8)
            .flat_map(|n| (0..10).map(move |k| big(n * 100 + k)))
            .collect();
        expected.sort_by_key(|r| r.at);
        assert_eq!(seen, expected);
    }

    #[test]
    fn an_unwritable_folder_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("file");
        std::fs::write(&file, "").unwrap();
        let spool = Spool::new(&file.join("events"), "s1").unwrap();
        assert!(matches!(
            spool.append(&[received(1)]),
            Err(EventsError::Io { .. })
        ));
    }
}
