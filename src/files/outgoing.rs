//! What `/get PATH` may send: a file inside the session's folder (and the
//! roots), with `..` refused before the disk is asked and links resolved
//! after, within Telegram's upload limit.

use std::io::ErrorKind;
use std::path::{Component, Path, PathBuf};

use super::{FileError, Size};

/// Telegram's limit on a file a bot uploads.
pub const MAX_UPLOAD: u64 = 50 * 1024 * 1024;

/// A file `/get` may send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileToSend {
    /// The file itself, links resolved.
    pub path: PathBuf,
    /// The name to send it under: the last component of the path as asked.
    pub name: String,
    /// The path as asked, for the caption.
    pub asked: String,
    pub size: Size,
}

/// Resolves `asked` (relative to `folder`, or absolute) to a file inside
/// `folder` and inside one of `roots`, of at most `limit` bytes.
pub fn file_to_send(
    folder: &Path,
    roots: &[PathBuf],
    asked: &str,
    limit: u64,
) -> Result<FileToSend, FileError> {
    let asked = asked.trim();
    if asked.is_empty() {
        return Err(FileError::NoPath);
    }
    let outside = || FileError::Outside {
        path: asked.to_owned(),
        folder: folder.to_owned(),
    };
    // Refused on its face, so a path outside says nothing of what is there.
    let wanted = lexically_inside(folder, Path::new(asked)).ok_or_else(outside)?;
    let path = wanted
        .canonicalize()
        .map_err(|source| match source.kind() {
            ErrorKind::NotFound => FileError::NotFound {
                path: asked.to_owned(),
                folder: folder.to_owned(),
            },
            _ => FileError::Unreadable {
                path: asked.to_owned(),
                source,
            },
        })?;
    let real_folder = folder
        .canonicalize()
        .map_err(|source| FileError::Unreadable {
            path: folder.display().to_string(),
            source,
        })?;
    let in_a_root = roots
        .iter()
        .filter_map(|r| r.canonicalize().ok())
        .any(|root| path.starts_with(root));
    if !path.starts_with(&real_folder) || !in_a_root {
        return Err(outside());
    }
    let meta = path.metadata().map_err(|source| FileError::Unreadable {
        path: asked.to_owned(),
        source,
    })?;
    if !meta.is_file() {
        return Err(FileError::NotAFile(asked.to_owned()));
    }
    if meta.len() > limit {
        return Err(FileError::TooBigToSend {
            path: asked.to_owned(),
            size: Size(meta.len()),
            limit: Size(limit),
        });
    }
    let name = wanted
        .file_name()
        .or(path.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(FileToSend {
        path,
        name,
        asked: asked.to_owned(),
        size: Size(meta.len()),
    })
}

/// `folder` joined with `asked`, `.` and `..` worked out without the disk;
/// `None` when that leads out of `folder`.
fn lexically_inside(folder: &Path, asked: &Path) -> Option<PathBuf> {
    let mut path = if asked.is_absolute() {
        PathBuf::new()
    } else {
        folder.to_owned()
    };
    for part in asked.components() {
        match part {
            Component::Prefix(_) => return None,
            Component::RootDir => path.push("/"),
            Component::CurDir => {}
            Component::ParentDir => {
                path.pop();
            }
            Component::Normal(name) => path.push(name),
        }
    }
    path.starts_with(folder).then_some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Setup {
        _root: tempfile::TempDir,
        root: PathBuf,
        folder: PathBuf,
    }

    /// A root with a session folder `webapp` holding `notes/report.txt`, a
    /// sibling `other/secret.txt`, and a file outside the root.
    fn setup() -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().canonicalize().unwrap();
        let root = base.join("root");
        let folder = root.join("webapp");
        std::fs::create_dir_all(folder.join("notes")).unwrap();
        std::fs::create_dir_all(root.join("other")).unwrap();
        std::fs::write(folder.join("notes/report.txt"), "report\n").unwrap();
        std::fs::write(root.join("other/secret.txt"), "secret\n").unwrap();
        std::fs::write(base.join("outside.txt"), "outside\n").unwrap();
        Setup {
            _root: dir,
            root,
            folder,
        }
    }

    fn get(s: &Setup, asked: &str) -> Result<FileToSend, FileError> {
        file_to_send(&s.folder, std::slice::from_ref(&s.root), asked, MAX_UPLOAD)
    }

    #[test]
    fn a_file_in_the_folder_is_sent_under_its_own_name() {
        let s = setup();
        for asked in [
            "notes/report.txt",
            "./notes/../notes/report.txt",
            " notes/report.txt ",
        ] {
            let file = get(&s, asked).unwrap();
            assert_eq!(file.path, s.folder.join("notes/report.txt"), "{asked}");
            assert_eq!((file.name.as_str(), file.size), ("report.txt", Size(7)));
        }
        let absolute = s.folder.join("notes/report.txt");
        assert!(get(&s, absolute.to_str().unwrap()).is_ok());
    }

    #[test]
    fn paths_leading_out_are_refused_whether_or_not_they_exist() {
        let s = setup();
        let outside = [
            "../../etc/passwd",
            "../other/secret.txt",
            "../outside.txt",
            "../../../../../../../../etc/passwd",
            "/etc/passwd",
            "notes/../../other/secret.txt",
            "..",
            "",
            "no-such/../../x",
        ];
        for asked in outside {
            let err = get(&s, asked).unwrap_err();
            assert!(
                matches!(err, FileError::Outside { .. } | FileError::NoPath),
                "{asked:?}: {err}"
            );
        }
        assert_eq!(
            get(&s, "../../etc/passwd").unwrap_err().to_string(),
            format!(
                "../../etc/passwd leads outside the session's folder {}; /get sends only files inside it",
                s.folder.display()
            )
        );
    }

    #[test]
    fn links_are_followed_and_refused_when_they_lead_out() {
        let s = setup();
        let link = |name: &str, to: &Path| std::os::unix::fs::symlink(to, s.folder.join(name));
        link("passwd", Path::new("/etc/passwd")).unwrap();
        link("secret", &s.root.join("other/secret.txt")).unwrap();
        link("up", &s.root).unwrap();
        link("latest", &s.folder.join("notes/report.txt")).unwrap();
        for asked in ["passwd", "secret", "up/other/secret.txt"] {
            assert!(
                matches!(get(&s, asked), Err(FileError::Outside { .. })),
                "{asked}"
            );
        }
        let latest = get(&s, "latest").unwrap();
        assert_eq!(latest.name, "latest", "sent under the name asked for");
        assert_eq!(latest.path, s.folder.join("notes/report.txt"));
    }

    #[test]
    fn the_roots_bound_it_too() {
        let s = setup();
        let elsewhere = tempfile::tempdir().unwrap();
        let err = file_to_send(
            &s.folder,
            &[elsewhere.path().to_owned()],
            "notes/report.txt",
            MAX_UPLOAD,
        )
        .unwrap_err();
        assert!(matches!(err, FileError::Outside { .. }), "{err}");
    }

    #[test]
    fn missing_folders_nul_and_big_files_are_refused_with_a_reason() {
        let s = setup();
        assert_eq!(
            get(&s, "nope.txt").unwrap_err().to_string(),
            format!("there is no file nope.txt in {}", s.folder.display())
        );
        assert_eq!(
            get(&s, "notes").unwrap_err().to_string(),
            "notes is not a file"
        );
        assert_eq!(get(&s, ".").unwrap_err().to_string(), ". is not a file");
        assert!(matches!(get(&s, "a\0b"), Err(FileError::Unreadable { .. })));
        let big = std::fs::File::create(s.folder.join("big.bin")).unwrap();
        big.set_len(MAX_UPLOAD + 1).unwrap();
        assert_eq!(
            get(&s, "big.bin").unwrap_err().to_string(),
            "big.bin is 50.0 MB; Telegram takes files up to 50 MB from a bot"
        );
    }
}
