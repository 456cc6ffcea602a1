//! The JSON store: one file of session records, written atomically and durably.

use std::path::{Path, PathBuf};

use super::SessionRecord;

/// The schema version this build writes and reads.
pub const SCHEMA_VERSION: u32 = 1;

/// Failures of the store, each naming the file involved.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} could not be parsed ({source}); it was moved to {moved_to}")]
    Corrupt {
        path: PathBuf,
        moved_to: PathBuf,
        source: serde_json::Error,
    },
    #[error("{path} was written by a newer tgmux (schema {found}, this build reads {SCHEMA_VERSION}); upgrade tgmux")]
    TooNew { path: PathBuf, found: u32 },
    #[error("another tgmux (pid {pid}) is running on {path}; stop it first")]
    AlreadyRunning { pid: String, path: PathBuf },
}

/// The session store in a data folder.
#[derive(Debug, Clone)]
pub struct Store {
    path: PathBuf,
}

impl Store {
    /// Uses `dir/sessions.json`, creating `dir` if needed. Reads nothing yet.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        todo!("{dir:?}")
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The records as the file holds them now.
    pub fn load(&self) -> Result<Vec<SessionRecord>, StoreError> {
        todo!()
    }

    /// Applies `f` to the current records under the write lock and saves the
    /// result if `f` succeeds.
    pub fn update<R, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&mut Vec<SessionRecord>) -> Result<R, E>,
    ) -> Result<R, E> {
        let _ = f;
        todo!()
    }
}

/// Held by `tgmux run` for its lifetime so a second bot cannot start on the same data.
#[derive(Debug)]
pub struct RunLock {
    _file: std::fs::File,
}

impl RunLock {
    pub fn acquire(dir: &Path) -> Result<RunLock, StoreError> {
        todo!("{dir:?}")
    }
}

/// Writes `bytes` to `path` so that a crash leaves either the old or the new file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    todo!("{path:?} {}", bytes.len())
}
