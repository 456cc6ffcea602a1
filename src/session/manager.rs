//! The session manager: the operations the bot and the command line call.
//! It owns no state of its own: the store is the truth, tmux the reality.

use std::path::PathBuf;
use std::sync::Arc;

use chrono::Utc;

use super::agent::launch;
use super::{
    Decision, SessionError, SessionId, SessionName, SessionRecord, SessionState, Store, name_taken,
    resolve, slug_for_folder, unique_name,
};
use crate::config::expand_home;
use crate::tmux::{Key, NewSession, PaneInfo, Tmux};

/// The pause between pasting text and pressing Enter. Claude Code treats an
/// Enter within 100 ms of a paste as part of it, Codex within 120 ms, so an
/// Enter sent at once would leave the text typed but not submitted.
const ENTER_AFTER_PASTE: std::time::Duration = std::time::Duration::from_millis(200);

/// What the manager needs to know beyond the store and tmux.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Folders sessions may run in (and below); the first is where relative
    /// folders start.
    pub roots: Vec<PathBuf>,
    /// The command line that starts an agent when none is named.
    pub agent: String,
    /// Variables every session's environment gets.
    pub env: Vec<(String, String)>,
}

/// What boot reconciliation found, for the start-up message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReconcileReport {
    /// Sessions whose agent is still running.
    pub live: Vec<SessionName>,
    /// Sessions found gone or exited, with the exit status when known.
    pub stopped: Vec<(SessionName, Option<i32>)>,
    /// Sessions found on the tmux server that the store did not know.
    pub adopted: Vec<SessionName>,
}

pub struct Manager {
    tmux: Arc<dyn Tmux>,
    store: Store,
    settings: Settings,
}

type Result<T, E = SessionError> = std::result::Result<T, E>;

impl Manager {
    pub fn new(tmux: Arc<dyn Tmux>, store: Store, settings: Settings) -> Self {
        Manager {
            tmux,
            store,
            settings,
        }
    }

    pub fn tmux(&self) -> &dyn Tmux {
        self.tmux.as_ref()
    }

    /// Turns what a user typed into a folder inside the allowed roots:
    /// nothing means the first root, `~/x` is under home, a relative path is
    /// under the first root. The result is canonical, so `..` and symlinks
    /// cannot lead outside the roots.
    pub fn resolve_folder(&self, input: Option<&str>) -> Result<PathBuf> {
        let first_root = self.settings.roots.first().cloned().unwrap_or_default();
        let input = input.map(str::trim).filter(|s| !s.is_empty());
        let home = std::env::var_os("HOME").map(PathBuf::from);
        // Relative to the first root, unless absolute (or under home) already.
        let wanted = match input {
            None => first_root,
            Some(s) => first_root.join(expand_home(s, home.as_deref())),
        };
        let folder = wanted
            .canonicalize()
            .map_err(|source| match source.kind() {
                std::io::ErrorKind::NotFound => SessionError::NoSuchFolder(wanted.clone()),
                _ => SessionError::FolderAccess {
                    folder: wanted.clone(),
                    source,
                },
            })?;
        if !folder.is_dir() {
            return Err(SessionError::NotAFolder(folder));
        }
        let inside = self
            .settings
            .roots
            .iter()
            .filter_map(|r| r.canonicalize().ok())
            .any(|root| folder.starts_with(root));
        if !inside {
            let roots = self
                .settings
                .roots
                .iter()
                .map(|r| r.display().to_string())
                .collect::<Vec<_>>()
                .join(":");
            return Err(SessionError::OutsideRoots { folder, roots });
        }
        Ok(folder)
    }

    /// Starts an agent in `folder` (as [`Manager::resolve_folder`] reads it),
    /// giving it `task` as its first instruction.
    pub fn create(
        &self,
        folder: Option<&str>,
        task: Option<&str>,
        agent: Option<&str>,
    ) -> Result<SessionRecord> {
        let folder = self.resolve_folder(folder)?;
        let agent = agent.unwrap_or(&self.settings.agent).trim().to_owned();
        if agent.is_empty() {
            return Err(SessionError::EmptyAgent);
        }
        let task = task
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned);
        let on_server: Vec<String> = self
            .tmux
            .list_panes()?
            .into_iter()
            .map(|p| p.session)
            .collect();
        let record = self.store.update(|records| {
            let name = unique_name(&slug_for_folder(&folder), |n| {
                on_server.iter().any(|s| s == n) || name_taken(records, n)
            });
            let record = SessionRecord::new(name, folder.clone(), task.clone(), agent.clone());
            records.push(record.clone());
            Ok::<_, SessionError>(record)
        })?;
        self.start(&record, task.as_deref())
    }

    /// Runs the agent of a provisioning record in a new tmux session.
    fn start(&self, record: &SessionRecord, task: Option<&str>) -> Result<SessionRecord> {
        let id = record.id;
        let launch = launch(&record.agent, task);
        let spec = NewSession {
            name: record.name.clone(),
            folder: record.folder.clone(),
            command: launch.command,
            env: self.settings.env.clone(),
        };
        let started = self
            .tmux
            .new_session(&spec)
            .and_then(|()| match launch.type_after_start {
                Some(text) => self.type_line(record.name.as_str(), &text),
                None => Ok(()),
            });
        match started {
            Ok(()) => self.update_session(id, |r| Ok(r.transition(SessionState::Active)?)),
            Err(e) => {
                let message = e.to_string();
                self.update_session(id, |r| {
                    r.transition(SessionState::Errored)?;
                    r.error = Some(message);
                    Ok(())
                })?;
                Err(e.into())
            }
        }
    }

    /// Every record, removed ones included, oldest first.
    pub fn list(&self) -> Result<Vec<SessionRecord>> {
        Ok(self.store.load()?)
    }

    /// The session `query` names (name, id, or a unique prefix of either).
    pub fn get(&self, query: &str) -> Result<SessionRecord> {
        let records = self.store.load()?;
        Ok(resolve(&records, query)?.clone())
    }

    /// Types `text` into the session exactly as given, then presses Enter.
    pub fn send_text(&self, query: &str, text: &str) -> Result<SessionRecord> {
        if text.is_empty() {
            return Err(SessionError::EmptyText);
        }
        let record = self.active(query)?;
        self.type_line(record.name.as_str(), text)?;
        self.touch(record.id)
    }

    /// Presses `keys` in the session, in order.
    pub fn send_keys(&self, query: &str, keys: &[Key]) -> Result<SessionRecord> {
        let record = self.active(query)?;
        self.tmux.send_keys(record.name.as_str(), keys)?;
        self.touch(record.id)
    }

    /// The last `lines` lines of the session's pane (screen and scrollback).
    pub fn capture(&self, query: &str, lines: usize) -> Result<(SessionRecord, String)> {
        let record = self.get(query)?;
        let text = self.tmux.capture(record.name.as_str(), lines)?;
        let tail = last_lines(&text, lines);
        Ok((record, tail))
    }

    /// Kills the session's tmux session; its folder is untouched.
    pub fn stop(&self, query: &str) -> Result<SessionRecord> {
        let record = self.get(query)?;
        record.check(SessionState::Stopped)?;
        self.tmux.kill_session(record.name.as_str())?;
        self.update_session(record.id, |r| Ok(r.transition(SessionState::Stopped)?))
    }

    /// Starts a stopped or errored session again: same folder, same agent.
    pub fn resume(&self, query: &str) -> Result<SessionRecord> {
        let record = self.get(query)?;
        record.check(SessionState::Provisioning)?;
        if !record.folder.is_dir() {
            return Err(SessionError::NoSuchFolder(record.folder));
        }
        // A dead pane kept by remain-on-exit still holds the name.
        self.tmux.kill_session(record.name.as_str())?;
        let record =
            self.update_session(record.id, |r| Ok(r.transition(SessionState::Provisioning)?))?;
        self.start(&record, None)
    }

    /// Stops the session if needed and keeps its record as a tombstone.
    /// The folder is never touched.
    pub fn decommission(&self, query: &str) -> Result<SessionRecord> {
        let record = self.get(query)?;
        self.tmux.kill_session(record.name.as_str())?;
        self.update_session(record.id, |r| {
            if r.state.is_live() {
                r.transition(SessionState::Stopped)?;
            }
            Ok(r.transition(SessionState::Decommissioned)?)
        })
    }

    /// Records that watching or starting the session failed.
    pub fn mark_errored(&self, id: SessionId, error: &str) -> Result<SessionRecord> {
        self.update_session(id, |r| {
            r.transition(SessionState::Errored)?;
            r.error = Some(error.to_owned());
            Ok(())
        })
    }

    /// Records that the agent exited (or its tmux session vanished).
    pub fn mark_exited(&self, id: SessionId, exit_status: Option<i32>) -> Result<SessionRecord> {
        self.update_session(id, |r| {
            r.transition(SessionState::Stopped)?;
            r.exit_status = exit_status;
            Ok(())
        })
    }

    /// Records the decision the agent is waiting on, or that none is open.
    pub fn set_pending(&self, id: SessionId, decision: Option<Decision>) -> Result<SessionRecord> {
        self.update_session(id, |r| {
            r.pending = decision;
            r.last_activity = Utc::now();
            Ok(())
        })
    }

    /// Matches the store to the tmux server at start-up: live sessions become
    /// active, gone ones stopped, unknown ones on the server are adopted.
    pub fn reconcile(&self) -> Result<ReconcileReport> {
        let panes = first_pane_per_session(self.tmux.list_panes()?);
        self.store.update(|records| {
            let mut report = ReconcileReport::default();
            for record in records.iter_mut() {
                if record.state == SessionState::Decommissioned {
                    continue;
                }
                let pane = panes.iter().find(|p| p.session == record.name.as_str());
                match pane {
                    Some(p) if !p.dead => {
                        if record.state != SessionState::Active {
                            record.transition(SessionState::Active)?;
                        }
                        report.live.push(record.name.clone());
                    }
                    Some(p) => {
                        if record.state.is_live() {
                            record.transition(SessionState::Stopped)?;
                            record.exit_status = p.exit_status;
                            report.stopped.push((record.name.clone(), p.exit_status));
                        }
                    }
                    None => {
                        if record.state.is_live() {
                            record.transition(SessionState::Stopped)?;
                            report.stopped.push((record.name.clone(), None));
                        }
                    }
                }
            }
            for pane in &panes {
                if name_taken(records, &pane.session) {
                    continue;
                }
                let record = self.adopt(pane, records)?;
                report.adopted.push(record.name.clone());
                records.push(record);
            }
            Ok::<_, SessionError>(report)
        })
    }

    /// A record for a session someone started by hand on the tgmux server,
    /// renaming it in tmux when its name is not a safe session name.
    fn adopt(&self, pane: &PaneInfo, records: &[SessionRecord]) -> Result<SessionRecord> {
        let taken = |n: &str| name_taken(records, n);
        let name = match SessionName::parse(&pane.session) {
            Ok(name) if !taken(name.as_str()) => name,
            _ => {
                let name = unique_name(&pane.session, taken);
                self.tmux.rename_session(&pane.session, name.as_str())?;
                name
            }
        };
        let mut record = SessionRecord::new(
            name,
            pane.current_path.clone(),
            None,
            pane.current_command.clone(),
        );
        record.adopted = true;
        if pane.dead {
            record.transition(SessionState::Stopped)?;
            record.exit_status = pane.exit_status;
        } else {
            record.transition(SessionState::Active)?;
        }
        Ok(record)
    }

    /// Applies `f` to one record under the store's write lock.
    pub fn update_session(
        &self,
        id: SessionId,
        f: impl FnOnce(&mut SessionRecord) -> Result<()>,
    ) -> Result<SessionRecord> {
        self.store.update(|records| {
            let record = records
                .iter_mut()
                .find(|r| r.id == id)
                .ok_or_else(|| super::AddressError::NotFound(id.to_string()))?;
            f(record)?;
            Ok(record.clone())
        })
    }

    fn active(&self, query: &str) -> Result<SessionRecord> {
        let record = self.get(query)?;
        if record.state != SessionState::Active {
            return Err(SessionError::not_active(&record.name, record.state));
        }
        Ok(record)
    }

    fn type_line(&self, name: &str, text: &str) -> Result<(), crate::tmux::TmuxError> {
        self.tmux.send_text(name, text)?;
        std::thread::sleep(ENTER_AFTER_PASTE);
        self.tmux.send_keys(name, &[Key::Enter])
    }

    fn touch(&self, id: SessionId) -> Result<SessionRecord> {
        self.update_session(id, |r| {
            r.last_activity = Utc::now();
            Ok(())
        })
    }
}

/// One pane per tmux session: the first listed, which is window 0's first pane.
fn first_pane_per_session(panes: Vec<PaneInfo>) -> Vec<PaneInfo> {
    let mut seen: Vec<PaneInfo> = Vec::new();
    for pane in panes {
        if !seen.iter().any(|p| p.session == pane.session) {
            seen.push(pane);
        }
    }
    seen
}

/// The last `n` lines of `text`, without the blank lines tmux pads a screen with.
pub fn last_lines(text: &str, n: usize) -> String {
    let trimmed = text.trim_end_matches(['\n', ' ']);
    let lines: Vec<&str> = trimmed.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::{AddressError, TransitionError};
    use crate::tmux::{FakeInput, FakeTmux};

    struct Fixture {
        _data: tempfile::TempDir,
        root: tempfile::TempDir,
        tmux: Arc<FakeTmux>,
        manager: Manager,
    }

    fn fixture() -> Fixture {
        let data = tempfile::tempdir().unwrap();
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join("webapp")).unwrap();
        let tmux = Arc::new(FakeTmux::new("test"));
        let settings = Settings {
            roots: vec![root.path().to_path_buf()],
            agent: "claude".into(),
            env: vec![("A".into(), "1".into())],
        };
        let manager = Manager::new(tmux.clone(), Store::open(data.path()).unwrap(), settings);
        Fixture {
            _data: data,
            root,
            tmux,
            manager,
        }
    }

    #[test]
    fn create_starts_the_agent_with_its_task() {
        let f = fixture();
        let r = f
            .manager
            .create(Some("webapp"), Some("fix the 'bug'"), None)
            .unwrap();
        assert_eq!(r.state, SessionState::Active);
        assert_eq!(r.name.as_str(), "webapp");
        assert_eq!(
            r.folder,
            f.root.path().join("webapp").canonicalize().unwrap()
        );
        let spec = f.tmux.spec("webapp").unwrap();
        assert_eq!(spec.command, r"claude 'fix the '\''bug'\'''");
        assert_eq!(spec.folder, r.folder);
        assert_eq!(spec.env, vec![("A".to_owned(), "1".to_owned())]);
        let again = f.manager.create(Some("webapp"), None, None).unwrap();
        assert_eq!(again.name.as_str(), "webapp-2");
        assert_eq!(f.manager.list().unwrap().len(), 2);
    }

    #[test]
    fn agents_without_a_prompt_argument_get_the_task_typed() {
        let f = fixture();
        f.manager
            .create(Some("webapp"), Some("add tests"), Some("aider --yes"))
            .unwrap();
        assert_eq!(f.tmux.spec("webapp").unwrap().command, "aider --yes");
        assert_eq!(
            f.tmux.inputs("webapp"),
            vec![
                FakeInput::Text("add tests".into()),
                FakeInput::Keys(vec![Key::Enter])
            ]
        );
    }

    #[test]
    fn folders_outside_the_roots_create_nothing() {
        let f = fixture();
        let outside = tempfile::tempdir().unwrap();
        let escape = format!(
            "webapp/../../{}",
            outside.path().file_name().unwrap().to_string_lossy()
        );
        let cases = [
            outside.path().to_string_lossy().into_owned(),
            escape,
            "/".to_owned(),
        ];
        for folder in cases {
            let err = f.manager.create(Some(&folder), None, None).unwrap_err();
            assert!(
                matches!(err, SessionError::OutsideRoots { .. }),
                "{folder}: {err}"
            );
        }
        std::os::unix::fs::symlink(outside.path(), f.root.path().join("link")).unwrap();
        assert!(matches!(
            f.manager.create(Some("link"), None, None),
            Err(SessionError::OutsideRoots { .. })
        ));
        assert!(matches!(
            f.manager.create(Some("nope"), None, None),
            Err(SessionError::NoSuchFolder(_))
        ));
        assert!(f.manager.list().unwrap().is_empty());
        assert!(f.tmux.sessions().is_empty());
    }

    #[test]
    fn without_tmux_nothing_is_created() {
        let f = fixture();
        f.tmux.set_missing(true);
        let err = f.manager.create(Some("webapp"), None, None).unwrap_err();
        assert!(err.to_string().contains("install"), "{err}");
        assert!(f.manager.list().unwrap().is_empty());
    }

    #[test]
    fn a_failed_start_leaves_an_errored_record() {
        let f = fixture();
        f.tmux.fail_next(
            "new_session",
            crate::tmux::TmuxError::Command {
                command: "new-session".into(),
                stderr: "boom".into(),
            },
        );
        let err = f.manager.create(Some("webapp"), None, None).unwrap_err();
        assert!(err.to_string().contains("boom"), "{err}");
        let record = f.manager.get("webapp").unwrap();
        assert_eq!(record.state, SessionState::Errored);
        assert!(record.error.as_deref().unwrap().contains("boom"));
        // Errored sessions can be resumed.
        assert_eq!(
            f.manager.resume("webapp").unwrap().state,
            SessionState::Active
        );
    }

    #[test]
    fn a_failed_resume_changes_nothing() {
        let f = fixture();
        f.manager.create(Some("webapp"), None, None).unwrap();
        f.manager.stop("webapp").unwrap();
        f.tmux.set_missing(true);
        assert!(f.manager.resume("webapp").is_err());
        assert_eq!(
            f.manager.get("webapp").unwrap().state,
            SessionState::Stopped
        );
    }

    #[test]
    fn send_text_needs_an_active_session() {
        let f = fixture();
        f.manager.create(Some("webapp"), None, None).unwrap();
        f.manager.send_text("web", "ls; echo $(x)\n").unwrap();
        assert_eq!(
            f.tmux.inputs("webapp"),
            vec![
                FakeInput::Text("ls; echo $(x)\n".into()),
                FakeInput::Keys(vec![Key::Enter])
            ]
        );
        assert!(matches!(
            f.manager.send_text("webapp", ""),
            Err(SessionError::EmptyText)
        ));
        f.manager.stop("webapp").unwrap();
        let err = f.manager.send_text("webapp", "hi").unwrap_err();
        assert!(
            err.to_string().contains("is stopped; resume it first"),
            "{err}"
        );
        assert!(f.manager.send_keys("webapp", &[Key::Enter]).is_err());
    }

    #[test]
    fn stop_resume_decommission() {
        let f = fixture();
        let r = f
            .manager
            .create(Some("webapp"), Some("task"), None)
            .unwrap();
        assert_eq!(
            f.manager.stop("webapp").unwrap().state,
            SessionState::Stopped
        );
        assert!(f.tmux.sessions().is_empty());
        let err = f.manager.stop("webapp").unwrap_err();
        assert!(err.to_string().contains("is stopped"), "{err}");

        let resumed = f.manager.resume("webapp").unwrap();
        assert_eq!((resumed.id, resumed.state), (r.id, SessionState::Active));
        assert_eq!(
            f.tmux.spec("webapp").unwrap().command,
            "claude",
            "the task is not given twice"
        );
        let err = f.manager.resume("webapp").unwrap_err();
        assert!(matches!(
            err,
            SessionError::Transition(TransitionError {
                from: SessionState::Active,
                ..
            })
        ));

        let gone = f.manager.decommission("webapp").unwrap();
        assert_eq!(gone.state, SessionState::Decommissioned);
        assert!(f.tmux.sessions().is_empty());
        assert!(r.folder.is_dir(), "the folder is never deleted");
        assert!(matches!(
            f.manager.get("webapp"),
            Err(SessionError::Address(AddressError::NotFound(_)))
        ));
        assert_eq!(f.manager.list().unwrap().len(), 1, "kept as a tombstone");
    }

    #[test]
    fn exited_agents_keep_their_status() {
        let f = fixture();
        let r = f.manager.create(Some("webapp"), None, None).unwrap();
        let stopped = f.manager.mark_exited(r.id, Some(3)).unwrap();
        assert_eq!(
            (stopped.state, stopped.exit_status),
            (SessionState::Stopped, Some(3))
        );
        // A resume replaces the dead pane kept by remain-on-exit.
        f.tmux.exit("webapp", Some(3));
        assert_eq!(f.manager.resume("webapp").unwrap().exit_status, None);
    }

    #[test]
    fn reconcile_matches_the_store_to_tmux() {
        let f = fixture();
        let live = f.manager.create(Some("webapp"), None, None).unwrap();
        let dead = f.manager.create(Some("webapp"), None, None).unwrap();
        let gone = f.manager.create(Some("webapp"), None, None).unwrap();
        f.tmux.exit(dead.name.as_str(), Some(3));
        f.tmux.kill_session(gone.name.as_str()).unwrap();
        f.tmux.start_by_hand("by-hand", f.root.path());
        f.tmux.start_by_hand("My Thing", f.root.path());

        let report = f.manager.reconcile().unwrap();
        assert_eq!(report.live, vec![live.name.clone()]);
        assert_eq!(
            report.stopped,
            vec![(dead.name.clone(), Some(3)), (gone.name.clone(), None)]
        );
        let mut adopted: Vec<&str> = report.adopted.iter().map(|n| n.as_str()).collect();
        adopted.sort();
        assert_eq!(adopted, vec!["by-hand", "my-thing"]);
        assert!(
            f.tmux.sessions().contains(&"my-thing".to_owned()),
            "renamed in tmux"
        );
        let by_hand = f.manager.get("by-hand").unwrap();
        assert!(by_hand.adopted && by_hand.state == SessionState::Active);
        assert_eq!(
            f.manager.get(dead.name.as_str()).unwrap().exit_status,
            Some(3)
        );

        let again = f.manager.reconcile().unwrap();
        assert!(
            again.adopted.is_empty() && again.stopped.is_empty(),
            "{again:?}"
        );
    }

    #[test]
    fn server_down_means_everything_stopped() {
        let f = fixture();
        f.manager.create(Some("webapp"), None, None).unwrap();
        f.tmux.kill_server();
        let report = f.manager.reconcile().unwrap();
        assert_eq!(report.stopped.len(), 1);
        assert_eq!(
            f.manager.get("webapp").unwrap().state,
            SessionState::Stopped
        );
    }

    #[test]
    fn relative_and_home_folders() {
        let f = fixture();
        let root = f.root.path().canonicalize().unwrap();
        assert_eq!(f.manager.resolve_folder(None).unwrap(), root);
        assert_eq!(
            f.manager.resolve_folder(Some(" webapp ")).unwrap(),
            root.join("webapp")
        );
        let err = f.manager.resolve_folder(Some("~")).unwrap_err();
        assert!(
            err.to_string().contains("TGMUX_ROOTS") || matches!(err, SessionError::NoSuchFolder(_))
        );
    }
}
