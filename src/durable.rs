//! Files that survive crashes: atomic, durable replacement of a whole file,
//! and exclusive lock files. Used by the session store and the pairing list.

use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::DirBuilderExt;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// Opens (creating) `path` and takes an exclusive lock on it, waiting for
/// other holders; the lock is released when the file is dropped.
pub fn lock(path: &Path) -> io::Result<File> {
    let file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)?;
    file.lock()?;
    Ok(file)
}

/// Creates `dir` and its missing parents, readable by the owner only.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

/// Tells apart the temp files of concurrent writes within one process.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// The prefix of the temp files `write_atomic` makes for `path`: `.NAME.tmp-`.
fn temp_prefix(path: &Path) -> io::Result<OsString> {
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "the path has no file name"))?;
    let mut prefix = OsString::from(".");
    prefix.push(name);
    prefix.push(".tmp-");
    Ok(prefix)
}

/// The folder holding `path`, `.` for a bare file name.
fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

fn sync_parent(path: &Path) -> io::Result<()> {
    File::open(parent_dir(path))?.sync_all()
}

/// Removes temp files of `path` left by killed writers; the caller holds the write lock.
pub fn remove_stale_temps(path: &Path) -> io::Result<()> {
    let prefix = temp_prefix(path)?;
    let prefix = prefix.as_encoded_bytes();
    for entry in fs::read_dir(parent_dir(path))? {
        let entry = entry?;
        if entry.file_name().as_encoded_bytes().starts_with(prefix) {
            fs::remove_file(entry.path())?;
        }
    }
    Ok(())
}

/// Writes `bytes` to `path` so that a crash leaves either the old or the new file.
///
/// A temp file in the same folder is written, fsynced and renamed over `path`,
/// then the folder is fsynced. New files are readable by the owner only.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut name = temp_prefix(path)?;
    name.push(format!(
        "{}-{}",
        std::process::id(),
        TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let temp = parent_dir(path).join(name);
    let written = (|| {
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&temp, path)
    })();
    if let Err(e) = written {
        // Best effort: the write already failed, and that is the error to report.
        let _ = fs::remove_file(&temp);
        return Err(e);
    }
    sync_parent(path)
}
