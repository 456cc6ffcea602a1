//! An in-memory tmux for unit tests: it records what is sent and shows the
//! screens a test draws, with the same errors as the real driver.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, PoisonError};

use super::{Key, NewSession, PaneInfo, Tmux, TmuxError};

/// One thing sent to a session, in the order it was sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FakeInput {
    Text(String),
    Keys(Vec<Key>),
}

/// A tmux server in memory; test controls are its inherent methods, which
/// panic when they name a session that does not exist.
pub struct FakeTmux {
    socket: String,
    state: Mutex<State>,
    /// Run once, right after the next `kill_session` took its session away.
    after_kill: Mutex<Option<Box<dyn FnOnce() + Send>>>,
}

#[derive(Debug, Default)]
struct State {
    sessions: BTreeMap<String, Pane>,
    /// Kept after a kill so tests can check what a session was sent last.
    inputs: HashMap<String, Vec<FakeInput>>,
    missing: bool,
    fail_next: Option<(&'static str, TmuxError)>,
    /// Bumped by every change of screen; stands in for unix time.
    clock: i64,
}

#[derive(Debug)]
struct Pane {
    spec: Option<NewSession>,
    folder: PathBuf,
    command: String,
    screen: String,
    exit: Option<Option<i32>>,
    activity: i64,
}

impl FakeTmux {
    pub fn new(socket: impl Into<String>) -> FakeTmux {
        FakeTmux {
            socket: socket.into(),
            state: Mutex::default(),
            after_kill: Mutex::default(),
        }
    }

    /// Sets what `capture` returns for `name` and bumps its activity.
    pub fn set_screen(&self, name: &str, text: impl Into<String>) {
        let mut state = self.lock();
        state.clock += 1;
        let clock = state.clock;
        let pane = state.pane(name);
        pane.screen = text.into();
        pane.activity = clock;
    }

    /// Makes `name`'s program exit with `status` (None: tmux knows no status).
    pub fn exit(&self, name: &str, status: Option<i32>) {
        self.lock().pane(name).exit = Some(status);
    }

    /// Stops the server: every session is gone.
    pub fn kill_server(&self) {
        self.lock().sessions.clear();
    }

    /// Adds a session someone started by hand, running `bash` in `folder`.
    pub fn start_by_hand(&self, name: &str, folder: impl Into<PathBuf>) {
        let pane = Pane::new(None, folder.into(), "bash".to_owned());
        let mut state = self.lock();
        state.inputs.remove(name);
        state.sessions.insert(name.to_owned(), pane);
    }

    /// Everything sent to `name` since it was started.
    pub fn inputs(&self, name: &str) -> Vec<FakeInput> {
        self.lock().inputs.get(name).cloned().unwrap_or_default()
    }

    /// The names of the live sessions, sorted.
    pub fn sessions(&self) -> Vec<String> {
        self.lock().sessions.keys().cloned().collect()
    }

    /// How `name` was started, if it was started by `new_session`.
    pub fn spec(&self, name: &str) -> Option<NewSession> {
        self.lock().sessions.get(name).and_then(|p| p.spec.clone())
    }

    /// While set, every call fails as if tmux were not installed.
    pub fn set_missing(&self, missing: bool) {
        self.lock().missing = missing;
    }

    /// Makes the next call of the trait method `method` (`"new_session"`) fail with `error`.
    pub fn fail_next(&self, method: &'static str, error: TmuxError) {
        self.lock().fail_next = Some((method, error));
    }

    /// Runs `hook` once, right after the next `kill_session` (unlocked, so
    /// it may call the server): what others see in the middle of a stop.
    pub fn after_next_kill(&self, hook: impl FnOnce() + Send + 'static) {
        *self
            .after_kill
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(Box::new(hook));
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Locks the state for a trait call, applying injected failures.
    fn call(&self, method: &'static str) -> Result<MutexGuard<'_, State>, TmuxError> {
        let mut state = self.lock();
        if state.missing {
            return Err(TmuxError::NotInstalled);
        }
        match state.fail_next.take() {
            Some((failing, error)) if failing == method => Err(error),
            other => {
                state.fail_next = other;
                Ok(state)
            }
        }
    }

    /// Records `input` for a live pane, the way the real driver checks it.
    fn send(&self, method: &'static str, name: &str, input: FakeInput) -> Result<(), TmuxError> {
        let mut state = self.call(method)?;
        if state.find(name, &self.socket)?.exit.is_some() {
            return Err(TmuxError::PaneDead {
                name: name.to_owned(),
            });
        }
        state.inputs.entry(name.to_owned()).or_default().push(input);
        Ok(())
    }
}

impl State {
    fn pane(&mut self, name: &str) -> &mut Pane {
        match self.sessions.get_mut(name) {
            Some(pane) => pane,
            None => panic!("FakeTmux: no session `{name}`"),
        }
    }

    fn find(&mut self, name: &str, socket: &str) -> Result<&mut Pane, TmuxError> {
        let socket = socket.to_owned();
        if self.sessions.is_empty() {
            return Err(TmuxError::ServerNotRunning { socket });
        }
        self.sessions
            .get_mut(name)
            .ok_or_else(|| TmuxError::NoSuchSession {
                name: name.to_owned(),
                socket,
            })
    }
}

impl Pane {
    fn new(spec: Option<NewSession>, folder: PathBuf, command: String) -> Pane {
        Pane {
            spec,
            folder,
            command,
            screen: String::new(),
            exit: None,
            activity: 0,
        }
    }
}

impl Tmux for FakeTmux {
    fn socket(&self) -> &str {
        &self.socket
    }

    fn new_session(&self, spec: &NewSession) -> Result<(), TmuxError> {
        let mut state = self.call("new_session")?;
        let name = spec.name.as_str();
        if state.sessions.contains_key(name) {
            return Err(TmuxError::DuplicateSession {
                name: name.to_owned(),
                socket: self.socket.clone(),
            });
        }
        if !spec.folder.is_dir() {
            return Err(TmuxError::NoSuchFolder(spec.folder.clone()));
        }
        let program = spec.command.split_whitespace().next().unwrap_or("sh");
        let pane = Pane::new(Some(spec.clone()), spec.folder.clone(), program.to_owned());
        state.inputs.remove(name);
        state.sessions.insert(name.to_owned(), pane);
        Ok(())
    }

    fn list_panes(&self) -> Result<Vec<PaneInfo>, TmuxError> {
        let state = self.call("list_panes")?;
        let panes = state.sessions.iter().map(|(name, pane)| PaneInfo {
            session: name.clone(),
            dead: pane.exit.is_some(),
            exit_status: pane.exit.flatten(),
            activity: pane.activity,
            current_path: pane.folder.clone(),
            current_command: pane.command.clone(),
        });
        Ok(panes.collect())
    }

    fn send_text(&self, name: &str, text: &str) -> Result<(), TmuxError> {
        self.send("send_text", name, FakeInput::Text(text.to_owned()))
    }

    fn send_keys(&self, name: &str, keys: &[Key]) -> Result<(), TmuxError> {
        if keys.is_empty() {
            return Ok(());
        }
        self.send("send_keys", name, FakeInput::Keys(keys.to_vec()))
    }

    /// Returns the screen set by `set_screen`, whatever `history` is.
    fn capture(&self, name: &str, _history: usize) -> Result<String, TmuxError> {
        Ok(self
            .call("capture")?
            .find(name, &self.socket)?
            .screen
            .clone())
    }

    fn kill_session(&self, name: &str) -> Result<(), TmuxError> {
        self.call("kill_session")?.sessions.remove(name);
        let hook = self
            .after_kill
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(hook) = hook {
            hook();
        }
        Ok(())
    }

    fn rename_session(&self, from: &str, to: &str) -> Result<(), TmuxError> {
        let mut state = self.call("rename_session")?;
        state.find(from, &self.socket)?;
        if state.sessions.contains_key(to) {
            return Err(TmuxError::DuplicateSession {
                name: to.to_owned(),
                socket: self.socket.clone(),
            });
        }
        if let Some(pane) = state.sessions.remove(from) {
            state.sessions.insert(to.to_owned(), pane);
        }
        if let Some(inputs) = state.inputs.remove(from) {
            state.inputs.insert(to.to_owned(), inputs);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tmux::SessionName;

    fn spec(name: &str) -> NewSession {
        NewSession {
            name: SessionName::parse(name).unwrap(),
            folder: std::env::temp_dir(),
            command: "claude --continue".to_owned(),
            env: vec![("K".to_owned(), "v".to_owned())],
        }
    }

    #[test]
    fn records_sessions_inputs_and_screens() {
        let tmux = FakeTmux::new("t");
        tmux.new_session(&spec("web")).unwrap();
        assert!(matches!(
            tmux.new_session(&spec("web")),
            Err(TmuxError::DuplicateSession { .. })
        ));
        tmux.send_text("web", "fix it;").unwrap();
        tmux.send_keys("web", &[Key::Enter]).unwrap();
        tmux.set_screen("web", "> ready");
        assert_eq!(
            tmux.inputs("web"),
            [
                FakeInput::Text("fix it;".into()),
                FakeInput::Keys(vec![Key::Enter])
            ]
        );
        assert_eq!(tmux.capture("web", 100).unwrap(), "> ready");
        assert_eq!(tmux.spec("web"), Some(spec("web")));
        let panes = tmux.list_panes().unwrap();
        assert_eq!(
            (panes[0].current_command.as_str(), panes[0].activity),
            ("claude", 1)
        );
    }

    #[test]
    fn exits_kills_and_renames_like_tmux() {
        let tmux = FakeTmux::new("t");
        assert!(tmux.list_panes().unwrap().is_empty());
        assert!(matches!(
            tmux.capture("web", 0),
            Err(TmuxError::ServerNotRunning { .. })
        ));
        tmux.new_session(&spec("web")).unwrap();
        tmux.start_by_hand("my web", "/srv");
        assert!(matches!(
            tmux.capture("we", 0),
            Err(TmuxError::NoSuchSession { .. })
        ));
        tmux.exit("web", Some(3));
        let dead = &tmux.list_panes().unwrap()[1];
        assert_eq!((dead.dead, dead.exit_status), (true, Some(3)));
        assert!(matches!(
            tmux.send_keys("web", &[Key::Char('1')]),
            Err(TmuxError::PaneDead { .. })
        ));
        tmux.rename_session("my web", "my-web").unwrap();
        assert_eq!(tmux.sessions(), ["my-web", "web"]);
        assert_eq!(tmux.spec("my-web"), None);
        tmux.kill_session("web").unwrap();
        tmux.kill_session("web").unwrap();
        tmux.kill_server();
        assert!(tmux.sessions().is_empty());
    }

    #[test]
    fn injected_failures() {
        let tmux = FakeTmux::new("t");
        tmux.set_missing(true);
        assert!(matches!(tmux.list_panes(), Err(TmuxError::NotInstalled)));
        tmux.set_missing(false);
        tmux.fail_next(
            "new_session",
            TmuxError::Command {
                command: "new-session".into(),
                stderr: "boom".into(),
            },
        );
        assert!(matches!(
            tmux.new_session(&spec("web")),
            Err(TmuxError::Command { .. })
        ));
        tmux.new_session(&spec("web")).unwrap();
        let missing = NewSession {
            folder: "/no/such/folder".into(),
            ..spec("api")
        };
        assert!(matches!(
            tmux.new_session(&missing),
            Err(TmuxError::NoSuchFolder(_))
        ));
    }
}
