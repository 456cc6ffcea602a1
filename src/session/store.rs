//! The JSON store: one file of session records, written atomically and durably.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{self, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use chrono::Utc;
use serde::{Deserialize, Serialize};

use super::{SessionRecord, migrate};
use crate::durable;

/// The schema version this build writes and reads.
pub const SCHEMA_VERSION: u32 = 2;

const DATA_FILE: &str = "sessions.json";
const WRITE_LOCK_FILE: &str = "sessions.json.lock";
const RUN_LOCK_FILE: &str = "tgmux.lock";

/// Failures of the store, each naming the file involved.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{path} could not be parsed ({source}); it was moved to {moved_to}. Start again to begin with an empty store (live tmux sessions are adopted), or fix that file and move it back"
    )]
    Corrupt {
        path: PathBuf,
        moved_to: PathBuf,
        source: serde_json::Error,
    },
    #[error(
        "{path} could not be parsed ({source}) nor moved aside to {moved_to} ({move_error}); move it away by hand"
    )]
    CorruptStuck {
        path: PathBuf,
        moved_to: PathBuf,
        source: serde_json::Error,
        move_error: std::io::Error,
    },
    #[error(
        "{path} could not be parsed ({source}); `tgmux run` will move it aside to {}.corrupt-<time> and start with an empty store (live tmux sessions are adopted)",
        .path.display()
    )]
    Unreadable {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error(
        "{path} was written by a newer tgmux (schema {found}, this build reads {SCHEMA_VERSION}); upgrade tgmux"
    )]
    TooNew { path: PathBuf, found: u32 },
    #[error("another tgmux (pid {pid}) is running on {path}; stop it first")]
    AlreadyRunning { pid: String, path: PathBuf },
}

/// A closure for `map_err` that names `path` in an I/O error.
fn io_at(path: &Path) -> impl FnOnce(io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_owned(),
        source,
    }
}

/// The file as stored: the schema version and the records.
#[derive(Serialize, Deserialize)]
struct Contents<S> {
    version: u32,
    sessions: S,
}

/// Parses the file of any schema this build reads, migrating older ones.
fn parse(bytes: &[u8]) -> Result<Vec<SessionRecord>, serde_json::Error> {
    match serde_json::from_slice::<VersionOnly>(bytes)?.version {
        1 => Ok(
            serde_json::from_slice::<Contents<Vec<migrate::RecordV1>>>(bytes)?
                .sessions
                .into_iter()
                .map(SessionRecord::from)
                .collect(),
        ),
        _ => Ok(serde_json::from_slice::<Contents<Vec<SessionRecord>>>(bytes)?.sessions),
    }
}

/// Only the version, read first so a newer schema is refused rather than called corrupt.
#[derive(Deserialize)]
struct VersionOnly {
    version: u32,
}

/// The session store in a data folder.
#[derive(Debug, Clone)]
pub struct Store {
    path: Arc<Path>,
    /// The records last read, with the stamp of the file they came from, so
    /// reading an unchanged file (the watcher does, every tick) costs a stat.
    cache: Arc<Mutex<Option<Cached>>>,
}

/// Records as read from the version of the file that `stamp` identifies.
#[derive(Debug)]
struct Cached {
    stamp: Stamp,
    records: Vec<SessionRecord>,
}

/// Identifies one version of the data file: every write renames a new file
/// (a new inode) into place, and also changes its mtime.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    dev: u64,
    ino: u64,
    len: u64,
    mtime: i64,
    mtime_nsec: i64,
}

impl Stamp {
    fn of(meta: &fs::Metadata) -> Stamp {
        Stamp {
            dev: meta.dev(),
            ino: meta.ino(),
            len: meta.len(),
            mtime: meta.mtime(),
            mtime_nsec: meta.mtime_nsec(),
        }
    }
}

impl Store {
    /// Uses `dir/sessions.json`, creating `dir` if needed, and removes temp
    /// files left by writers that were killed mid-write. Reads no records yet.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        fs::create_dir_all(dir).map_err(io_at(dir))?;
        let store = Store {
            path: dir.join(DATA_FILE).into(),
            cache: Arc::default(),
        };
        let _lock = store.lock()?;
        durable::remove_stale_temps(&store.path).map_err(io_at(dir))?;
        Ok(store)
    }

    /// The records in `dir`, only read: no lock taken, no file created or
    /// moved (`tgmux ls`). A file that cannot be parsed is named, and left.
    pub fn peek(dir: &Path) -> Result<Vec<SessionRecord>, StoreError> {
        let path = dir.join(DATA_FILE);
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io_at(&path)(e)),
        };
        let version = serde_json::from_slice::<VersionOnly>(&bytes).map(|v| v.version);
        if let Ok(found) = version
            && found > SCHEMA_VERSION
        {
            return Err(StoreError::TooNew { path, found });
        }
        parse(&bytes).map_err(|source| StoreError::Unreadable { path, source })
    }

    /// The data file, `sessions.json`.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The records as the file holds them now; none if there is no file yet.
    pub fn load(&self) -> Result<Vec<SessionRecord>, StoreError> {
        match self.read()? {
            Ok(records) => Ok(records),
            // Move it aside under the lock, so only the bytes just seen are moved.
            Err(_) => {
                let _lock = self.lock()?;
                self.read_locked()
            }
        }
    }

    /// Applies `f` to the current records under the write lock and saves the
    /// result if `f` succeeds. `f` must not call `update` itself (it would deadlock).
    pub fn update<R, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&mut Vec<SessionRecord>) -> Result<R, E>,
    ) -> Result<R, E> {
        let _lock = self.lock()?;
        let mut records = self.read_locked()?;
        let out = f(&mut records)?;
        self.save(&records)?;
        Ok(out)
    }

    /// Takes the exclusive write lock; it is released when the file is dropped.
    fn lock(&self) -> Result<File, StoreError> {
        let path = self.path.with_file_name(WRITE_LOCK_FILE);
        durable::lock(&path).map_err(io_at(&path))
    }

    /// Reads and parses the file (or takes the cached records if it did not
    /// change); the inner error is a parse failure.
    fn read(&self) -> Result<Result<Vec<SessionRecord>, serde_json::Error>, StoreError> {
        let stamp = match fs::metadata(&self.path) {
            Ok(meta) => Stamp::of(&meta),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Ok(Vec::new())),
            Err(e) => return Err(io_at(&self.path)(e)),
        };
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(cached) = cache.as_ref().filter(|c| c.stamp == stamp) {
            return Ok(Ok(cached.records.clone()));
        }
        let bytes = match fs::read(&self.path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Ok(Vec::new())),
            Err(e) => return Err(io_at(&self.path)(e)),
        };
        // The version is checked whether or not the rest parses, so a newer
        // schema is refused rather than called corrupt.
        let parsed = parse(&bytes);
        let version = serde_json::from_slice::<VersionOnly>(&bytes)
            .ok()
            .map(|v| v.version);
        if let Some(found) = version.filter(|v| *v > SCHEMA_VERSION) {
            return Err(StoreError::TooNew {
                path: self.path.to_path_buf(),
                found,
            });
        }
        Ok(parsed.inspect(|records| {
            *cache = Some(Cached {
                stamp,
                records: records.clone(),
            });
        }))
    }

    /// Like `read`, but moves a corrupt file aside; the caller holds the lock.
    fn read_locked(&self) -> Result<Vec<SessionRecord>, StoreError> {
        self.read()?.map_err(|source| self.quarantine(source))
    }

    /// Moves the unparsable file to `sessions.json.corrupt-<UTC time>[-n]` and logs it.
    fn quarantine(&self, source: serde_json::Error) -> StoreError {
        let path = self.path.to_path_buf();
        let moved_to = match free_corrupt_name(&path) {
            Ok(moved_to) => moved_to,
            Err(e) => return io_at(&path)(e),
        };
        if let Err(move_error) = fs::rename(&path, &moved_to) {
            tracing::error!(path = %path.display(), error = %source, %move_error, "session store is corrupt and could not be moved aside");
            return StoreError::CorruptStuck {
                path,
                moved_to,
                source,
                move_error,
            };
        }
        tracing::error!(path = %path.display(), moved_to = %moved_to.display(), error = %source, "session store is corrupt; moved it aside");
        StoreError::Corrupt {
            path,
            moved_to,
            source,
        }
    }

    fn save(&self, records: &[SessionRecord]) -> Result<(), StoreError> {
        let contents = Contents {
            version: SCHEMA_VERSION,
            sessions: records,
        };
        let mut bytes =
            serde_json::to_vec_pretty(&contents).map_err(|e| io_at(&self.path)(e.into()))?;
        bytes.push(b'\n');
        durable::write_atomic(&self.path, &bytes).map_err(io_at(&self.path))
    }
}

/// The first of `path.corrupt-<UTC time>`, `...-2`, `...-3`, ... that does not exist.
fn free_corrupt_name(path: &Path) -> io::Result<PathBuf> {
    let mut base = path.as_os_str().to_owned();
    base.push(format!(".corrupt-{}", Utc::now().format("%Y%m%dT%H%M%SZ")));
    let mut candidate = PathBuf::from(&base);
    for n in 2u32.. {
        match fs::symlink_metadata(&candidate) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => break,
            Err(e) => return Err(e),
            Ok(_) => {
                let mut name = base.clone();
                name.push(format!("-{n}"));
                candidate = name.into();
            }
        }
    }
    Ok(candidate)
}

/// Held by `tgmux run` for its lifetime so a second bot cannot start on the same data.
#[derive(Debug)]
pub struct RunLock {
    _file: std::fs::File,
}

impl RunLock {
    /// Locks `dir/tgmux.lock` (creating `dir` if needed) and writes our pid into it.
    pub fn acquire(dir: &Path) -> Result<RunLock, StoreError> {
        fs::create_dir_all(dir).map_err(io_at(dir))?;
        let path = dir.join(RUN_LOCK_FILE);
        let mut file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io_at(&path))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let pid = fs::read_to_string(&path)
                    .ok()
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty())
                    .unwrap_or_else(|| "unknown".to_owned());
                return Err(StoreError::AlreadyRunning { pid, path });
            }
            Err(TryLockError::Error(e)) => return Err(io_at(&path)(e)),
        }
        file.set_len(0)
            .and_then(|()| writeln!(file, "{}", std::process::id()))
            .map_err(io_at(&path))?;
        Ok(RunLock { _file: file })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tmux::SessionName;

    fn record(name: &str) -> SessionRecord {
        SessionRecord::new(
            SessionName::parse(name).unwrap(),
            "/tmp".into(),
            Some("a task".into()),
            "claude".into(),
        )
    }

    fn push(store: &Store, name: &str) {
        store
            .update(|records| {
                records.push(record(name));
                Ok::<_, StoreError>(())
            })
            .unwrap();
    }

    fn file_names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_version_1_file_written_by_the_old_code_migrates_whole() {
        use crate::session::SessionState;
        let dir = tempfile::tempdir().unwrap();
        let v1 = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/store/v1-sessions.json"
        );
        fs::copy(v1, dir.path().join("sessions.json")).unwrap();
        let store = Store::open(dir.path()).unwrap();
        let records = store.load().unwrap();
        let names: Vec<&str> = records.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["webapp", "api", "docs", "by-hand", "fresh"]);

        let web = &records[0];
        assert_eq!(web.id.to_string(), "85dc149e-b050-4f92-b97f-03f15fb9f8fc");
        assert_eq!(web.folder, Path::new("/home/dev/code/webapp"));
        assert_eq!(web.task.as_deref(), Some("fix the 'login' bug"));
        assert_eq!(web.agent, "claude --model opus");
        assert_eq!(
            web.created_at.to_rfc3339(),
            "2026-11-26T13:47:27.684723248+00:00"
        );
        assert!(!web.adopted);
        let SessionState::Active {
            since,
            pending,
            task: None,
        } = &web.state
        else {
            panic!("{:?}", web.state);
        };
        assert_eq!(*since, web.last_activity);
        let decision = pending.as_ref().unwrap();
        assert_eq!((decision.serial, web.decisions), (1, 1));
        assert_eq!(decision.prompt.question, "Do you want to proceed?");
        assert_eq!(
            decision.prompt.context.as_deref(),
            Some("echo accepted > approved.txt")
        );
        assert_eq!(decision.prompt.default, Some(0));
        let options = &decision.prompt.options;
        assert_eq!(options[0].label, "Yes");
        assert_eq!(options[0].keys, [crate::tmux::Key::Char('1')]);
        assert!(!options[0].asks_reply && options[1].asks_reply);
        assert_eq!(
            options[1].keys,
            [crate::tmux::Key::Down, crate::tmux::Key::Enter]
        );

        assert_eq!(
            records[1].state,
            SessionState::Stopped {
                exit_status: Some(3)
            }
        );
        assert_eq!(
            records[2].state,
            SessionState::Errored {
                error: "cannot read its screen: boom".into()
            }
        );
        assert_eq!(records[3].state, SessionState::Removed);
        assert!(records[3].adopted);
        assert_eq!(records[4].state, SessionState::Starting);
        assert_eq!(records[4].decisions, 0);

        // The next write is version 2, and reads back the same.
        store.update(|_| Ok::<_, StoreError>(())).unwrap();
        let json: serde_json::Value =
            serde_json::from_slice(&fs::read(store.path()).unwrap()).unwrap();
        assert_eq!(json["version"], 2);
        assert_eq!(Store::open(dir.path()).unwrap().load().unwrap(), records);
    }

    #[test]
    fn round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let records = vec![record("webapp"), record("api")];
        let saved = records.clone();
        store
            .update(|r| {
                *r = saved;
                Ok::<_, StoreError>(())
            })
            .unwrap();
        assert_eq!(store.load().unwrap(), records);
        let reopened = Store::open(dir.path()).unwrap();
        assert_eq!(reopened.load().unwrap(), records);
        let json: serde_json::Value =
            serde_json::from_slice(&fs::read(store.path()).unwrap()).unwrap();
        assert_eq!(json["version"], SCHEMA_VERSION);
        assert_eq!(json["sessions"].as_array().unwrap().len(), 2);
        let mode = std::os::unix::fs::PermissionsExt::mode(
            &fs::metadata(store.path()).unwrap().permissions(),
        );
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn writes_by_another_store_are_seen_through_the_cache() {
        let dir = tempfile::tempdir().unwrap();
        let (reader, writer) = (
            Store::open(dir.path()).unwrap(),
            Store::open(dir.path()).unwrap(),
        );
        assert!(reader.load().unwrap().is_empty());
        for n in 1..=20 {
            push(&writer, &format!("s{n}"));
            assert_eq!(reader.load().unwrap().len(), n, "write {n} seen at once");
        }
        std::fs::remove_file(reader.path()).unwrap();
        assert!(
            reader.load().unwrap().is_empty(),
            "a removed file is no sessions"
        );
    }

    #[test]
    fn missing_file_is_no_sessions() {
        let dir = tempfile::tempdir().unwrap();
        let nested = dir.path().join("a/b");
        let store = Store::open(&nested).unwrap();
        assert!(nested.is_dir());
        assert_eq!(store.path(), nested.join("sessions.json"));
        assert!(store.load().unwrap().is_empty());
    }

    #[test]
    fn corrupt_file_is_moved_aside_and_named() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let mut moved = Vec::new();
        for garbage in [&b"{\"version\": 1, \"sessions\": [tru"[..], b"not json"] {
            fs::write(store.path(), garbage).unwrap();
            let err = store.load().unwrap_err();
            let StoreError::Corrupt { path, moved_to, .. } = &err else {
                panic!("{err:?}");
            };
            assert_eq!(path, store.path());
            assert!(
                err.to_string().contains(&moved_to.display().to_string()),
                "{err}"
            );
            assert_eq!(fs::read(moved_to).unwrap(), garbage);
            assert!(!store.path().exists());
            moved.push(moved_to.clone());
        }
        // Two in the same second get distinct names; none is overwritten.
        assert_ne!(moved[0], moved[1]);
        let name = moved[0].file_name().unwrap().to_str().unwrap();
        let stamp = name.strip_prefix("sessions.json.corrupt-").unwrap();
        assert!(chrono::NaiveDateTime::parse_from_str(&stamp[..15], "%Y%m%dT%H%M%S").is_ok());
        assert!(stamp[15..].starts_with('Z'), "{name}");
    }

    #[test]
    fn update_on_a_corrupt_file_fails_and_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        fs::write(store.path(), "[]").unwrap();
        let err = store
            .update(|_| -> Result<(), StoreError> { panic!("ran on a corrupt file") })
            .unwrap_err();
        let StoreError::Corrupt { moved_to, .. } = err else {
            panic!("{err:?}");
        };
        assert!(!store.path().exists());
        assert_eq!(fs::read(moved_to).unwrap(), b"[]");
    }

    #[test]
    fn failed_update_writes_nothing() {
        #[derive(Debug)]
        struct Refused;
        impl From<StoreError> for Refused {
            fn from(e: StoreError) -> Self {
                panic!("{e}")
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        push(&store, "webapp");
        let before = fs::read(store.path()).unwrap();
        let result = store.update(|r| {
            r.clear();
            Err::<(), _>(Refused)
        });
        assert!(result.is_err());
        assert_eq!(fs::read(store.path()).unwrap(), before);
    }

    #[test]
    fn newer_schema_is_refused_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let newer = br#"{"version": 3, "sessions": {"a new": "shape"}}"#;
        fs::write(store.path(), newer).unwrap();
        let err = store.load().unwrap_err();
        assert!(
            matches!(err, StoreError::TooNew { found: 3, .. }),
            "{err:?}"
        );
        assert!(err.to_string().contains("upgrade tgmux"), "{err}");
        let err = store.update(|_| Ok::<_, StoreError>(())).unwrap_err();
        assert!(matches!(err, StoreError::TooNew { .. }), "{err:?}");
        assert_eq!(fs::read(store.path()).unwrap(), newer);
    }

    #[test]
    fn read_errors_are_errors_not_empty() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        fs::create_dir(store.path()).unwrap();
        let err = store.load().unwrap_err();
        assert!(
            matches!(&err, StoreError::Io { path, .. } if path == store.path()),
            "{err:?}"
        );
        assert!(store.update(|_| Ok::<_, StoreError>(())).is_err());
        assert!(store.path().is_dir(), "a directory is not corrupt data");
    }

    #[test]
    fn no_temp_files_are_left_behind() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        for name in ["a", "b", "c"] {
            push(&store, name);
        }
        assert_eq!(
            file_names(dir.path()),
            ["sessions.json", "sessions.json.lock"]
        );

        // A rename that fails (over a non-empty folder) removes its temp file.
        let target = dir.path().join("taken");
        fs::create_dir_all(target.join("inside")).unwrap();
        assert!(durable::write_atomic(&target, b"{}").is_err());
        assert_eq!(
            file_names(dir.path()),
            ["sessions.json", "sessions.json.lock", "taken"]
        );
    }

    #[test]
    fn open_removes_stale_temps_of_the_store_only() {
        let dir = tempfile::tempdir().unwrap();
        for name in [".sessions.json.tmp-1-0", ".paired.json.tmp-1-0"] {
            fs::write(dir.path().join(name), "half").unwrap();
        }
        Store::open(dir.path()).unwrap();
        assert_eq!(
            file_names(dir.path()),
            [".paired.json.tmp-1-0", "sessions.json.lock"]
        );
    }

    #[test]
    fn run_lock_is_exclusive_and_names_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let held = RunLock::acquire(dir.path()).unwrap();
        let path = dir.path().join("tgmux.lock");
        let pid = std::process::id().to_string();
        assert_eq!(fs::read_to_string(&path).unwrap().trim(), pid);
        // flock locks belong to the open file, so a second open conflicts even in-process.
        let err = RunLock::acquire(dir.path()).unwrap_err();
        assert!(
            matches!(&err, StoreError::AlreadyRunning { pid: p, path: at } if *p == pid && *at == path),
            "{err:?}"
        );
        assert!(err.to_string().contains(&format!("pid {pid}")), "{err}");
        drop(held);
        RunLock::acquire(dir.path()).unwrap();
    }
}
