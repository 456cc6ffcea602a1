//! Files between the phone and a session's folder, with no Telegram in
//! them: the inbox where what the phone sends lands, and the checks on what
//! `/get` may send back. Names and paths from outside are never trusted.

mod inbox;
mod outgoing;

use std::fmt;
use std::path::PathBuf;

pub use inbox::{INBOX, InboxFile, create_in_inbox, inbox_name, instruction};
pub use outgoing::{FileToSend, MAX_UPLOAD, file_to_send};

/// A file size, shown the way phones show them (`812 bytes`, `12.5 KB`, `20 MB`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Size(pub u64);

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const KB: u64 = 1024;
        const MB: u64 = 1024 * KB;
        let (unit, name) = match self.0 {
            n if n < KB => return write!(f, "{n} bytes"),
            n if n < MB => (KB, "KB"),
            _ => (MB, "MB"),
        };
        if self.0.is_multiple_of(unit) {
            write!(f, "{} {name}", self.0 / unit)
        } else {
            write!(f, "{:.1} {name}", self.0 as f64 / unit as f64)
        }
    }
}

/// Why a file could not be taken in or sent out, worded for the phone.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("{name} is {size}; tgmux takes files up to {limit} from the phone (TGMUX_MAX_FILE_MB)")]
    TooBigToTake {
        name: String,
        size: Size,
        limit: Size,
    },
    #[error("{path} is {size}; Telegram takes files up to {limit} from a bot")]
    TooBigToSend {
        path: String,
        size: Size,
        limit: Size,
    },
    #[error("cannot write to the inbox in {folder}: {source}")]
    Inbox {
        folder: PathBuf,
        source: std::io::Error,
    },
    #[error("{0} is a link or not a folder; tgmux keeps files only in a real .tgmux/inbox folder")]
    InboxNotAFolder(PathBuf),
    #[error("which file? Give a path inside the session's folder")]
    NoPath,
    #[error("{path} leads outside the session's folder {folder}; /get sends only files inside it")]
    Outside { path: String, folder: PathBuf },
    #[error("there is no file {path} in {folder}")]
    NotFound { path: String, folder: PathBuf },
    #[error("{0} is not a file")]
    NotAFile(String),
    #[error("cannot read {path}: {source}")]
    Unreadable {
        path: String,
        source: std::io::Error,
    },
}

impl FileError {
    /// The refusal of a file of `size` bytes over the phone's cap of `limit`, if it is over.
    pub fn check_take(name: &str, size: u64, limit: u64) -> Result<(), FileError> {
        if size > limit {
            return Err(FileError::TooBigToTake {
                name: name.to_owned(),
                size: Size(size),
                limit: Size(limit),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_like_a_phone_shows_them() {
        let shown: Vec<String> = [0, 812, 1024, 12_800, 20 * 1024 * 1024, 26_542_080]
            .into_iter()
            .map(|n| Size(n).to_string())
            .collect();
        assert_eq!(
            shown,
            [
                "0 bytes",
                "812 bytes",
                "1 KB",
                "12.5 KB",
                "20 MB",
                "25.3 MB"
            ]
        );
    }

    #[test]
    fn the_cap_refuses_with_both_sizes() {
        assert!(FileError::check_take("a.png", 20 * 1024 * 1024, 20 * 1024 * 1024).is_ok());
        let err = FileError::check_take("a.png", 26_542_080, 20 * 1024 * 1024).unwrap_err();
        assert_eq!(
            err.to_string(),
            "a.png is 25.3 MB; tgmux takes files up to 20 MB from the phone (TGMUX_MAX_FILE_MB)"
        );
    }
}
