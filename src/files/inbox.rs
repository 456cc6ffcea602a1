//! The inbox: files from the phone land in `.tgmux/inbox/` of the session's
//! folder under a time-stamped name made only of safe characters, and
//! `.tgmux/.gitignore` keeps them out of the user's repository.

use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

use chrono::NaiveDateTime;

use super::FileError;

/// Where files from the phone land, relative to the session's folder.
pub const INBOX: &str = ".tgmux/inbox";
/// The most bytes of the sender's name kept (the time stamp comes on top):
/// well under the 255 bytes a file name may have.
const MAX_NAME: usize = 100;
/// The longest extension kept whole when a long name is cut.
const MAX_EXTENSION: usize = 16;
/// The name used when nothing of the sender's name is left.
const FALLBACK: &str = "file";

/// A new, empty file in the inbox, created for a download to fill.
#[derive(Debug)]
pub struct InboxFile {
    pub file: File,
    /// Where it is.
    pub path: PathBuf,
    /// Where it is from the session's folder (the agent's working folder):
    /// `.tgmux/inbox/2026-05-01-093000-screen.png`.
    pub relative: PathBuf,
}

/// The inbox name of a file the sender called `original`, received at `now`:
/// `2026-05-01-093000-screen.png`. Only the last component of `original`
/// is kept, and of it only letters, digits, `.`, `-` and `_` (others become
/// `_`, runs of `.` one); it never starts with a dot.
pub fn inbox_name(original: &str, now: NaiveDateTime) -> String {
    format!("{}-{}", now.format("%Y-%m-%d-%H%M%S"), sanitize(original))
}

fn sanitize(original: &str) -> String {
    let base = original.rsplit(['/', '\\']).next().unwrap_or_default();
    let mut out = String::with_capacity(base.len());
    for c in base.chars() {
        let c = if c.is_alphanumeric() || matches!(c, '.' | '-' | '_') {
            c
        } else {
            '_'
        };
        if matches!(c, '.' | '_') && out.ends_with(c) {
            continue;
        }
        out.push(c);
    }
    let name = out.trim_matches(['.', '_', '-']);
    if name.is_empty() {
        return FALLBACK.to_owned();
    }
    shorten(name)
}

/// `name` cut to [`MAX_NAME`] bytes at a character boundary, keeping a
/// short extension.
fn shorten(name: &str) -> String {
    if name.len() <= MAX_NAME {
        return name.to_owned();
    }
    let (stem, extension) = match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() && ext.len() < MAX_EXTENSION => (stem, ext),
        _ => (name, ""),
    };
    let room = MAX_NAME - extension.len() - usize::from(!extension.is_empty());
    let mut cut = room.min(stem.len());
    while !stem.is_char_boundary(cut) {
        cut -= 1;
    }
    let stem = stem[..cut].trim_end_matches(['.', '_', '-']);
    let stem = if stem.is_empty() { FALLBACK } else { stem };
    if extension.is_empty() {
        stem.to_owned()
    } else {
        format!("{stem}.{extension}")
    }
}

/// Creates `.tgmux/inbox/` in `folder` (with `.tgmux/.gitignore` of `*`)
/// and a new file in it named for `original` at `now`; a name already taken
/// gets `-2`, `-3`, ... before its extension. Neither `.tgmux` nor the inbox
/// may be a link, so nothing is ever written outside `folder`.
pub fn create_in_inbox(
    folder: &Path,
    original: &str,
    now: NaiveDateTime,
) -> Result<InboxFile, FileError> {
    let io = |source: std::io::Error| FileError::Inbox {
        folder: folder.to_owned(),
        source,
    };
    let dot_tgmux = folder.join(".tgmux");
    real_folder(&dot_tgmux)?;
    write_gitignore(&dot_tgmux).map_err(io)?;
    let inbox = folder.join(INBOX);
    real_folder(&inbox)?;

    let name = inbox_name(original, now);
    let (stem, extension) = match name.rsplit_once('.') {
        Some((stem, ext)) => (stem, format!(".{ext}")),
        None => (name.as_str(), String::new()),
    };
    for n in 1..=1000 {
        let candidate = match n {
            1 => name.clone(),
            n => format!("{stem}-{n}{extension}"),
        };
        let path = inbox.join(&candidate);
        // `create_new` refuses an existing name, links included.
        match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(file) => {
                return Ok(InboxFile {
                    file,
                    path,
                    relative: Path::new(INBOX).join(candidate),
                });
            }
            Err(e) if e.kind() == ErrorKind::AlreadyExists => {}
            Err(e) => return Err(io(e)),
        }
    }
    Err(io(std::io::Error::new(
        ErrorKind::AlreadyExists,
        format!("a thousand files are named {name} already"),
    )))
}

/// Makes `path` a folder unless it is one; a link or a file there is refused.
fn real_folder(path: &Path) -> Result<(), FileError> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => Ok(()),
        Ok(_) => Err(FileError::InboxNotAFolder(path.to_owned())),
        Err(e) if e.kind() == ErrorKind::NotFound => match std::fs::create_dir(path) {
            Err(e) if e.kind() != ErrorKind::AlreadyExists => Err(FileError::Inbox {
                folder: path.to_owned(),
                source: e,
            }),
            _ => real_folder_exists(path),
        },
        Err(source) => Err(FileError::Inbox {
            folder: path.to_owned(),
            source,
        }),
    }
}

/// After a create: the folder is there and is still not a link.
fn real_folder_exists(path: &Path) -> Result<(), FileError> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => Ok(()),
        _ => Err(FileError::InboxNotAFolder(path.to_owned())),
    }
}

/// `.tgmux/.gitignore` of `*`, unless the user already has one there.
fn write_gitignore(dot_tgmux: &Path) -> std::io::Result<()> {
    match OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(dot_tgmux.join(".gitignore"))
    {
        Ok(mut file) => file.write_all(b"*\n"),
        Err(e) if e.kind() == ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// The line typed into the agent for a saved file: its path, with the
/// caption as the instruction when there is one.
pub fn instruction(relative: &Path, caption: Option<&str>) -> String {
    match caption.map(str::trim).filter(|c| !c.is_empty()) {
        Some(caption) => format!("Look at {}: {caption}", relative.display()),
        None => format!("Look at {}", relative.display()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2026, 5, 1)
            .unwrap()
            .and_hms_opt(9, 30, 5)
            .unwrap()
    }

    #[test]
    fn hostile_names_become_one_safe_component() {
        let cases: &[(&str, &str)] = &[
            ("screen.png", "screen.png"),
            ("../../x", "x"),
            ("/etc/passwd", "passwd"),
            ("a/b", "b"),
            ("..\\..\\win.ini", "win.ini"),
            ("", "file"),
            (".", "file"),
            ("..", "file"),
            ("...", "file"),
            ("a/..", "file"),
            ("dir/", "file"),
            (".bashrc", "bashrc"),
            ("-rf", "rf"),
            ("a..b...c", "a.b.c"),
            ("my photo (1).jpg", "my_photo_1_.jpg"),
            ("nul\0byte.txt", "nul_byte.txt"),
            ("new\nline.txt", "new_line.txt"),
            ("évian 東京.png", "évian_東京.png"),
            ("rtl\u{202e}gnp.exe", "rtl_gnp.exe"),
            ("😀.png", "png"),
            ("$(rm -rf ~).sh", "rm_-rf_.sh"),
        ];
        for (original, expected) in cases {
            assert_eq!(
                inbox_name(original, now()),
                format!("2026-05-01-093005-{expected}"),
                "{original:?}"
            );
        }
    }

    #[test]
    fn long_names_are_cut_keeping_the_extension() {
        let name = sanitize(&format!("{}.png", "a".repeat(300)));
        assert_eq!(name, format!("{}.png", "a".repeat(MAX_NAME - 4)));
        let wide = sanitize(&format!("{}.png", "é".repeat(300)));
        assert!(wide.len() <= MAX_NAME && wide.ends_with("é.png"), "{wide}");
        let no_extension = sanitize(&"b".repeat(300));
        assert_eq!(no_extension, "b".repeat(MAX_NAME));
        let long_extension = sanitize(&format!("x.{}", "c".repeat(300)));
        assert_eq!(long_extension.len(), MAX_NAME);
        assert!(inbox_name(&"z".repeat(10_000), now()).len() < 255);
    }

    #[test]
    fn files_land_in_the_inbox_and_never_outside() {
        let root = tempfile::tempdir().unwrap();
        let folder = root.path().join("webapp");
        std::fs::create_dir(&folder).unwrap();
        for hostile in ["../../x", "/etc/passwd", "a/b", "", "..", "\0"] {
            let created = create_in_inbox(&folder, hostile, now()).unwrap();
            assert_eq!(created.path.parent().unwrap(), folder.join(INBOX));
            assert_eq!(created.path, folder.join(&created.relative));
        }
        let names: Vec<String> = std::fs::read_dir(folder.join(INBOX))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names.len(), 6, "{names:?}");
        assert_eq!(std::fs::read_dir(root.path()).unwrap().count(), 1);
        assert_eq!(
            std::fs::read_to_string(folder.join(".tgmux/.gitignore")).unwrap(),
            "*\n"
        );
    }

    #[test]
    fn a_taken_name_gets_a_number_and_a_users_gitignore_stays() {
        let folder = tempfile::tempdir().unwrap();
        std::fs::create_dir(folder.path().join(".tgmux")).unwrap();
        std::fs::write(folder.path().join(".tgmux/.gitignore"), "inbox/\n").unwrap();
        let relative: Vec<PathBuf> = (0..3)
            .map(|_| {
                create_in_inbox(folder.path(), "shot.png", now())
                    .unwrap()
                    .relative
            })
            .collect();
        assert_eq!(
            relative,
            [
                ".tgmux/inbox/2026-05-01-093005-shot.png",
                ".tgmux/inbox/2026-05-01-093005-shot-2.png",
                ".tgmux/inbox/2026-05-01-093005-shot-3.png",
            ]
            .map(PathBuf::from)
        );
        assert_eq!(
            std::fs::read_to_string(folder.path().join(".tgmux/.gitignore")).unwrap(),
            "inbox/\n"
        );
    }

    #[test]
    fn a_linked_inbox_is_refused_and_nothing_lands_where_it_points() {
        let elsewhere = tempfile::tempdir().unwrap();
        for linked in [".tgmux", ".tgmux/inbox"] {
            let folder = tempfile::tempdir().unwrap();
            std::fs::create_dir_all(folder.path().join(".tgmux")).unwrap();
            let link = folder.path().join(linked);
            if link.exists() {
                std::fs::remove_dir(&link).unwrap();
            }
            std::os::unix::fs::symlink(elsewhere.path(), &link).unwrap();
            let err = create_in_inbox(folder.path(), "x.png", now()).unwrap_err();
            assert!(
                matches!(&err, FileError::InboxNotAFolder(p) if *p == link),
                "{linked}: {err}"
            );
        }
        assert_eq!(std::fs::read_dir(elsewhere.path()).unwrap().count(), 0);
        // A link where a saved file would go is not followed either.
        let folder = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(folder.path().join(INBOX)).unwrap();
        let target = elsewhere.path().join("victim");
        std::os::unix::fs::symlink(
            &target,
            folder.path().join(INBOX).join("2026-05-01-093005-x.png"),
        )
        .unwrap();
        let created = create_in_inbox(folder.path(), "x.png", now()).unwrap();
        assert!(created.path.ends_with("2026-05-01-093005-x-2.png"));
        assert!(!target.exists());
    }

    #[test]
    fn the_typed_line_names_the_path_and_carries_the_caption() {
        let path = Path::new(".tgmux/inbox/2026-05-01-093005-screen.png");
        assert_eq!(
            instruction(path, Some(" why is the button misaligned? ")),
            "Look at .tgmux/inbox/2026-05-01-093005-screen.png: why is the button misaligned?"
        );
        assert_eq!(
            instruction(path, Some("  ")),
            "Look at .tgmux/inbox/2026-05-01-093005-screen.png"
        );
        assert_eq!(
            instruction(path, None),
            "Look at .tgmux/inbox/2026-05-01-093005-screen.png"
        );
    }
}
