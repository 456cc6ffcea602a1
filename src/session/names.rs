//! Making session names from folders, and finding a session from what a user typed.

use std::path::Path;

use super::{MAX_NAME_LEN, SessionName, SessionRecord, SessionState};

/// A tmux-safe slug from the last component of `folder` (`~/code/Web App` -> `web-app`).
pub fn slug_for_folder(folder: &Path) -> String {
    let base = folder
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    slugify(&base)
}

/// Lowercases, maps every run of other characters to one `-`, trims, and
/// falls back to `session` when nothing is left.
pub fn slugify(text: &str) -> String {
    let mut slug = String::new();
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' {
            slug.push(c);
        } else if !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug = slug.trim_matches(|c| c == '-' || c == '_');
    let mut slug: String = slug.chars().take(MAX_NAME_LEN - 4).collect();
    while slug.ends_with('-') {
        slug.pop();
    }
    if slug.is_empty() {
        "session".to_owned()
    } else {
        slug
    }
}

/// `base`, or `base-2`, `base-3`, ... : the first that `taken` says is free.
pub fn unique_name(base: &str, taken: impl Fn(&str) -> bool) -> SessionName {
    let base = slugify(base);
    let candidate = |n: u32| {
        if n == 1 {
            return base.clone();
        }
        let suffix = format!("-{n}");
        let room = MAX_NAME_LEN.saturating_sub(suffix.len());
        let stem = base[..base.len().min(room)].trim_end_matches('-');
        format!("{stem}{suffix}")
    };
    let free = (1..)
        .map(candidate)
        .find(|c| !taken(c))
        .expect("an unbounded range always has a free name");
    SessionName::parse(&free).expect("slugify yields valid names")
}

/// Whether a session that is not removed already has `name`.
pub fn name_taken(records: &[SessionRecord], name: &str) -> bool {
    records
        .iter()
        .any(|r| r.state != SessionState::Removed && r.name.as_str() == name)
}

/// What a user's session reference matched, when it did not match exactly one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    #[error("no session matches `{0}`; /ls lists them")]
    NotFound(String),
    /// A session addressed by id (a button) that was removed meanwhile.
    #[error("that session no longer exists; /ls lists the others")]
    Gone,
    #[error("`{query}` matches several sessions: {}; type more of the name", .matches.join(", "))]
    Ambiguous { query: String, matches: Vec<String> },
}

/// Finds the one session `query` means: an exact name or whole id first, then
/// a unique prefix of a name (never of an id: `a` must not pick a session
/// whose id happens to start with it). Removed sessions are not addressable.
pub fn resolve<'a>(
    records: &'a [SessionRecord],
    query: &str,
) -> Result<&'a SessionRecord, AddressError> {
    let query = query.trim();
    let not_found = || AddressError::NotFound(query.to_owned());
    if query.is_empty() {
        return Err(not_found());
    }
    let lowered = query.to_ascii_lowercase();
    let live: Vec<&SessionRecord> = records
        .iter()
        .filter(|r| r.state != SessionState::Removed)
        .collect();
    let exact = live.iter().find(|r| {
        r.name.as_str() == lowered || r.id.to_string() == lowered || r.id.simple() == lowered
    });
    if let Some(r) = exact {
        return Ok(r);
    }
    let matches: Vec<&SessionRecord> = live
        .into_iter()
        .filter(|r| r.name.as_str().starts_with(&lowered))
        .collect();
    match matches.as_slice() {
        [] => Err(not_found()),
        [one] => Ok(one),
        many => Err(AddressError::Ambiguous {
            query: query.to_owned(),
            matches: many.iter().map(|r| r.name.to_string()).collect(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(name: &str) -> SessionRecord {
        SessionRecord::new(
            SessionName::parse(name).unwrap(),
            "/tmp".into(),
            None,
            "claude".into(),
        )
    }

    #[test]
    fn slugs_from_folders() {
        assert_eq!(slug_for_folder(Path::new("/home/u/code/webapp")), "webapp");
        assert_eq!(slug_for_folder(Path::new("/x/My Web.App")), "my-web-app");
        assert_eq!(slug_for_folder(Path::new("/x/a:b..c")), "a-b-c");
        assert_eq!(slug_for_folder(Path::new("/")), "session");
        assert_eq!(slug_for_folder(Path::new("/x/日本")), "session");
        assert_eq!(slug_for_folder(Path::new("/x/--.--")), "session");
        let long = slug_for_folder(Path::new(&format!("/x/{}", "a".repeat(100))));
        assert!(long.len() <= MAX_NAME_LEN - 4);
    }

    #[test]
    fn unique_names_count_up_never_fail() {
        let taken = ["webapp", "webapp-2"];
        assert_eq!(
            unique_name("webapp", |n| taken.contains(&n)).as_str(),
            "webapp-3"
        );
        assert_eq!(unique_name("api", |n| taken.contains(&n)).as_str(), "api");
        let long = "b".repeat(MAX_NAME_LEN);
        let name = unique_name(&long, |n| !n.ends_with("-99999"));
        assert!(name.as_str().ends_with("bbb-99999"), "{name}");
        assert!(name.as_str().len() <= MAX_NAME_LEN, "{name}");
    }

    #[test]
    fn resolve_by_name_id_and_prefix() {
        let records = vec![rec("webapp"), rec("webapp-2"), rec("api")];
        assert_eq!(resolve(&records, "webapp").unwrap().name.as_str(), "webapp");
        assert_eq!(resolve(&records, "ap").unwrap().name.as_str(), "api");
        assert_eq!(resolve(&records, "API").unwrap().name.as_str(), "api");
        let id = records[1].id;
        assert_eq!(resolve(&records, &id.to_string()).unwrap().id, id);
        assert_eq!(resolve(&records, &id.simple()).unwrap().id, id);
        let id_prefix = &id.simple()[..8];
        assert_eq!(
            resolve(&records, id_prefix),
            Err(AddressError::NotFound(id_prefix.into())),
            "an id prefix addresses nothing"
        );
        match resolve(&records, "web") {
            Err(AddressError::Ambiguous { matches, .. }) => {
                assert_eq!(matches, vec!["webapp", "webapp-2"])
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            resolve(&records, "zzz"),
            Err(AddressError::NotFound("zzz".into()))
        );
        assert!(resolve(&records, " ").is_err());
    }

    #[test]
    fn removed_sessions_are_not_addressable() {
        let mut records = vec![rec("webapp")];
        records[0].state = SessionState::Removed;
        assert!(resolve(&records, "webapp").is_err());
    }
}
