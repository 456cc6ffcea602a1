//! The session manager: the operations the bot and the command line call.
//! It owns no state of its own: the store is the truth, tmux the reality.
//! It is the one owner of a decision's life: it opens, answers and ends
//! them, and says so on the event channel.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Utc};

use super::program_name;
use super::{
    AddressError, Decision, Ending, Event, Events, Gone, Level, Move, SessionError, SessionId,
    SessionName, SessionRecord, SessionState, Store, Tapped, Topic, name_taken, resolve,
    slug_for_folder, unique_name,
};
use crate::config::expand_home;
use crate::events::{self, ToolCall};
use crate::screen::{Fingerprint, Prompt, Screen, classify};
use crate::tmux::{Key, NewSession, PaneInfo, Tmux, TmuxError};

/// The pause between pasting text and pressing Enter. Claude Code treats an
/// Enter within 100 ms of a paste as part of it, Codex within 120 ms, and
/// Gemini CLI, on a loaded machine, somewhat later: an Enter sent too soon
/// leaves the text typed but not submitted.
const ENTER_AFTER_PASTE: std::time::Duration = std::time::Duration::from_millis(400);

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
    /// The user's home folder, for `~` in folders.
    pub home: Option<PathBuf>,
    /// Where agents report their events; none leaves them unwired.
    pub events: Option<EventsSetup>,
}

/// What wiring an agent's events needs: the data folder (settings files,
/// spools) and the path of this binary, which the agents call as a hook.
#[derive(Debug, Clone)]
pub struct EventsSetup {
    pub data_dir: PathBuf,
    pub tgmux: PathBuf,
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

/// How a tap on a decision's button ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnswerOutcome {
    /// The option's keys went into the pane.
    Sent {
        session: SessionRecord,
        decision: Decision,
        tapped: Tapped,
        /// The agent now waits for a typed explanation.
        asks_reply: bool,
    },
    /// An earlier tap answered it.
    AlreadyAnswered {
        session: SessionRecord,
        decision: Decision,
        tapped: Tapped,
    },
    /// That decision is not the open one, or the screen no longer shows it
    /// unchanged: nothing was sent.
    NotOpen,
}

pub struct Manager {
    tmux: Arc<dyn Tmux>,
    store: Store,
    settings: Settings,
    events: Events,
    /// One lock per session, so checking and claiming an answer is one step
    /// and a tap on one session never waits for another.
    answering: Mutex<HashMap<SessionId, Arc<Mutex<()>>>>,
}

type Result<T, E = SessionError> = std::result::Result<T, E>;

impl Manager {
    pub fn new(tmux: Arc<dyn Tmux>, store: Store, settings: Settings, events: Events) -> Self {
        Manager {
            tmux,
            store,
            settings,
            events,
            answering: Mutex::default(),
        }
    }

    pub fn tmux(&self) -> &dyn Tmux {
        self.tmux.as_ref()
    }

    /// The folders sessions may use (and below).
    pub fn roots(&self) -> &[PathBuf] {
        &self.settings.roots
    }

    /// Where events about sessions go (the watcher sends on it too).
    pub fn events(&self) -> &Events {
        &self.events
    }

    /// Turns what a user typed into a folder inside the allowed roots:
    /// nothing means the first root, `~/x` is under home, a relative path is
    /// under the first root. The result is canonical, so `..` and symlinks
    /// cannot lead outside the roots.
    pub fn resolve_folder(&self, input: Option<&str>) -> Result<PathBuf> {
        let first_root = self.settings.roots.first().cloned().unwrap_or_default();
        let input = input.map(str::trim).filter(|s| !s.is_empty());
        // Relative to the first root, unless absolute (or under home) already.
        let wanted = match input {
            None => first_root,
            Some(s) => first_root.join(expand_home(s, self.settings.home.as_deref())),
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
        self.start(&record, task.as_deref(), false)
    }

    /// Runs the agent of a starting record in a new tmux session, wired to
    /// report its events, continuing its conversation when `resume`. The
    /// task is not given on the command line: it is typed once the agent
    /// shows it is ready for input (see [`Manager::deliver_task`]).
    fn start(
        &self,
        record: &SessionRecord,
        task: Option<&str>,
        resume: bool,
    ) -> Result<SessionRecord> {
        let mut env = self.settings.env.clone();
        let mut args = Vec::new();
        let agent = events::Agent::from_program(program_name(&record.agent));
        if let (Some(agent), Some(setup)) = (agent, &self.settings.events) {
            let id = record.id.to_string();
            match events::launch::wiring(agent, &id, &setup.data_dir, &setup.tgmux) {
                Ok(wiring) => {
                    env.extend(wiring.env);
                    args.extend(wiring.args);
                }
                Err(e) => tracing::warn!("{}: starting without its events: {e}", record.name),
            }
            if let Some(conversation) = record.agent_session.as_deref().filter(|_| resume) {
                args.extend(events::launch::resume_args(agent, conversation).unwrap_or_default());
            }
        }
        let spec = NewSession {
            name: record.name.clone(),
            folder: record.folder.clone(),
            command: with_args(&record.agent, &args),
            env,
        };
        let task = task.map(str::to_owned);
        match self.tmux.new_session(&spec) {
            Ok(()) => self.update(record.id, |r| Ok(r.activate(task)?)),
            Err(e) => {
                let error = e.to_string();
                self.update(record.id, |r| Ok(r.fail(error).map(drop)?))?;
                Err(e.into())
            }
        }
    }

    /// Every record, removed ones included, oldest first.
    pub fn list(&self) -> Result<Vec<SessionRecord>> {
        Ok(self.store.load()?)
    }

    /// The session a user named: its name, its whole id, or a unique prefix
    /// of its name.
    pub fn find(&self, query: &str) -> Result<SessionRecord> {
        let records = self.store.load()?;
        Ok(resolve(&records, query)?.clone())
    }

    /// The session with this id, unless it was removed.
    pub fn get(&self, id: SessionId) -> Result<SessionRecord> {
        self.store
            .load()?
            .into_iter()
            .find(|r| r.id == id && r.state != SessionState::Removed)
            .ok_or_else(|| AddressError::Gone.into())
    }

    /// Types `text` into the session exactly as given, then presses Enter.
    pub fn send_text(&self, id: SessionId, text: &str) -> Result<SessionRecord> {
        if text.is_empty() {
            return Err(SessionError::EmptyText);
        }
        let record = self.active(id)?;
        self.type_line(record.name.as_str(), text)?;
        self.update(record.id, |r| {
            r.last_activity = Utc::now();
            Ok(())
        })
    }

    /// The last `lines` lines of the session's pane (screen and scrollback).
    pub fn capture(&self, id: SessionId, lines: usize) -> Result<(SessionRecord, String)> {
        let record = self.get(id)?;
        let text = self.tmux.capture(record.name.as_str(), lines)?;
        let tail = last_lines(&text, lines);
        Ok((record, tail))
    }

    /// Kills the session's tmux session; its folder is untouched. The run
    /// ends in the record first: the watcher, finding the session gone, then
    /// finds no live run to report as exited (or lost with the server).
    pub fn stop(&self, id: SessionId) -> Result<SessionRecord> {
        let record = self.get(id)?;
        record.check(Move::Stop)?;
        let stopped = self.end_run(id, Gone::Stopped, |r| Ok(r.stop(None)?))?;
        self.tmux.kill_session(record.name.as_str())?;
        Ok(stopped)
    }

    /// Starts a stopped or errored session again: same folder, same agent.
    pub fn resume(&self, id: SessionId) -> Result<SessionRecord> {
        let record = self.get(id)?;
        record.check(Move::Resume)?;
        if !record.folder.is_dir() {
            return Err(SessionError::NoSuchFolder(record.folder));
        }
        // A dead pane kept by remain-on-exit still holds the name.
        self.tmux.kill_session(record.name.as_str())?;
        let record = self.update(id, |r| Ok(r.resume()?))?;
        self.start(&record, None, true)
    }

    /// Stops the session if needed and keeps its record as a tombstone.
    /// The folder is never touched. As in [`Manager::stop`], the record
    /// changes before the tmux session goes.
    pub fn remove(&self, id: SessionId) -> Result<SessionRecord> {
        let record = self.get(id)?;
        let removed = self.end_run(id, Gone::Removed, |r| {
            let ended = if r.state.is_live() {
                r.stop(None)?
            } else {
                None
            };
            r.remove()?;
            Ok(ended)
        })?;
        self.tmux.kill_session(record.name.as_str())?;
        Ok(removed)
    }

    /// Records the session's forum topic (`None`: it is gone and must be
    /// made again). Removed sessions keep theirs, to post their last news.
    pub fn set_topic(&self, id: SessionId, topic: Option<Topic>) -> Result<SessionRecord> {
        self.update(id, |r| {
            r.topic = topic;
            Ok(())
        })
    }

    /// Sets which of the session's events reach the phone.
    pub fn set_level(&self, id: SessionId, level: Level) -> Result<SessionRecord> {
        self.get(id)?;
        self.update(id, |r| {
            r.level = level;
            Ok(())
        })
    }

    /// Answers the open decision `serial` with its option `option`, but only
    /// if that very decision is open and a fresh capture of the screen still
    /// shows it unchanged; otherwise nothing is sent.
    pub fn answer(
        &self,
        id: SessionId,
        serial: u32,
        fingerprint: Fingerprint,
        option: usize,
        by: &str,
    ) -> Result<AnswerOutcome> {
        let lock = self.answer_lock(id);
        let _one_at_a_time = lock.lock().unwrap_or_else(PoisonError::into_inner);
        let record = self.get(id)?;
        let is_it = |d: &&Decision| d.serial == serial && d.fingerprint() == fingerprint;
        let Some(decision) = record.pending().filter(is_it).cloned() else {
            return Ok(AnswerOutcome::NotOpen);
        };
        if let Some(tapped) = decision.tapped.clone() {
            return Ok(AnswerOutcome::AlreadyAnswered {
                session: record,
                decision,
                tapped,
            });
        }
        let name = record.name.as_str();
        let chosen = match classify(&self.tmux.capture(name, 0)?) {
            Screen::Decision(now) if now.fingerprint() == fingerprint && !now.multi_select => {
                now.options.get(option).cloned()
            }
            _ => None,
        };
        let Some(chosen) = chosen else {
            return Ok(AnswerOutcome::NotOpen);
        };
        let tapped = Tapped {
            by: by.to_owned(),
            option: chosen.label.clone(),
            at: Utc::now(),
        };
        // Claimed before the keys go in, so the watcher, seeing the prompt
        // leave, knows a tap answered it; released if the keys cannot go in.
        let claimed = self.set_tapped(id, serial, Some(tapped.clone()))?;
        if let Err(e) = self.tmux.send_keys(name, &chosen.keys) {
            self.set_tapped(id, serial, None)?;
            return Err(e.into());
        }
        let (session, decision) = claimed;
        self.events.send(Event::DecisionTapped {
            session: session.clone(),
            decision: decision.clone(),
            tapped: tapped.clone(),
        });
        Ok(AnswerOutcome::Sent {
            session,
            decision,
            tapped,
            asks_reply: chosen.asks_reply,
        })
    }

    /// Records (or clears) the tap on decision `serial` if it is still the open one.
    fn set_tapped(
        &self,
        id: SessionId,
        serial: u32,
        tapped: Option<Tapped>,
    ) -> Result<(SessionRecord, Decision)> {
        self.store.update(|records| {
            let record = find_mut(records, id)?;
            let SessionState::Active {
                pending: Some(decision),
                ..
            } = &mut record.state
            else {
                return Err(AddressError::Gone.into());
            };
            if decision.serial != serial {
                return Err(AddressError::Gone.into());
            }
            decision.tapped = tapped;
            let decision = Decision::clone(decision);
            Ok((record.clone(), decision))
        })
    }

    fn answer_lock(&self, id: SessionId) -> Arc<Mutex<()>> {
        let mut locks = self
            .answering
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        Arc::clone(locks.entry(id).or_default())
    }

    /// What the screen of run `since` shows now, as the watcher read it (a
    /// prompt, with the tool call the agent said is behind it): the open
    /// decision stays, ends, or gives way to a new one. A reading of an
    /// earlier run (the session was resumed meanwhile) changes nothing.
    pub fn screen_shows(
        &self,
        id: SessionId,
        since: DateTime<Utc>,
        shown: Option<(Prompt, Option<ToolCall>)>,
    ) -> Result<SessionRecord> {
        let (prompt, tool) = shown.unzip();
        let (session, events) = self.store.update(|records| {
            let record = find_mut(records, id)?;
            let SessionState::Active {
                since: run,
                pending,
                ..
            } = &mut record.state
            else {
                return Ok((record.clone(), Vec::new()));
            };
            let now = prompt.as_ref().map(Prompt::fingerprint);
            if *run != since || pending.as_deref().map(Decision::fingerprint) == now {
                return Ok((record.clone(), Vec::new()));
            }
            let closed = pending.take().map(|d| {
                let ending = match (&d.tapped, &prompt) {
                    (Some(t), _) => Ending::Tapped(t.clone()),
                    (None, Some(_)) => Ending::Replaced,
                    (None, None) => Ending::InTerminal,
                };
                (d, ending)
            });
            let opened = prompt.map(|prompt| {
                record.decisions += 1;
                Decision {
                    serial: record.decisions,
                    prompt,
                    tool: tool.flatten(),
                    opened_at: Utc::now(),
                    tapped: None,
                }
            });
            if let SessionState::Active { pending, .. } = &mut record.state {
                *pending = opened.clone().map(Box::new);
            }
            record.last_activity = Utc::now();
            let session = record.clone();
            let mut events: Vec<Event> = closed
                .into_iter()
                .map(|(decision, ending)| Event::DecisionClosed {
                    session: session.clone(),
                    decision: *decision,
                    ending,
                })
                .collect();
            events.extend(opened.map(|decision| Event::DecisionOpened {
                session: session.clone(),
                decision,
            }));
            Ok::<_, SessionError>((session, events))
        })?;
        events.into_iter().for_each(|e| self.events.send(e));
        Ok(session)
    }

    /// Records the agent's own id for its conversation, for a later resume.
    pub fn set_agent_session(&self, id: SessionId, conversation: &str) -> Result<()> {
        self.update(id, |r| {
            r.agent_session = Some(conversation.to_owned());
            Ok(())
        })
        .map(drop)
    }

    /// Turns progress messages of a session off (`quiet`) or on.
    pub fn set_quiet_progress(&self, id: SessionId, quiet: bool) -> Result<SessionRecord> {
        self.update(id, |r| {
            r.quiet_progress = quiet;
            Ok(())
        })
    }

    /// The spool the session's agent reports its events to, when wired.
    pub fn spool(&self, id: SessionId) -> Option<events::spool::Spool> {
        events::spool::Spool::new(&self.events_dir()?, &id.to_string()).ok()
    }

    /// The folder of the agents' event spools, when agents report events.
    pub fn events_dir(&self) -> Option<PathBuf> {
        let setup = self.settings.events.as_ref()?;
        Some(events::spool::events_dir(&setup.data_dir))
    }

    /// Whether the session's agent reports its events (so a turn's end is
    /// worth waiting a moment for its own word on it).
    pub fn reports_events(&self, record: &SessionRecord) -> bool {
        self.settings.events.is_some()
            && events::Agent::from_program(program_name(&record.agent)).is_some()
    }

    /// Types the first task of run `since`, now that its agent is ready for
    /// input; nothing when it has none or was resumed meanwhile. The task is
    /// taken off the record first and put back if it cannot be typed, so it
    /// is typed once.
    pub fn deliver_task(&self, id: SessionId, since: DateTime<Utc>) -> Result<()> {
        let take = |put_back: Option<String>| {
            self.store.update(|records| {
                let record = find_mut(records, id)?;
                match &mut record.state {
                    SessionState::Active {
                        since: run, task, ..
                    } if *run == since => Ok::<_, SessionError>(match put_back {
                        Some(text) => task.replace(text),
                        None => task.take(),
                    }),
                    _ => Ok(None),
                }
            })
        };
        let Some(text) = take(None)? else {
            return Ok(());
        };
        let name = self.get(id)?.name;
        if let Err(e) = self.type_line(name.as_str(), &text) {
            take(Some(text))?;
            return Err(e.into());
        }
        tracing::info!("typed the first task into {name}");
        Ok(())
    }

    /// Records that the agent of run `since` exited (or its tmux session
    /// vanished); says so with the screen's last lines. Nothing when that run
    /// already ended: stopped, removed, or resumed as a new run meanwhile.
    pub fn exited(
        &self,
        id: SessionId,
        since: DateTime<Utc>,
        exit_status: Option<i32>,
        tail: String,
    ) -> Result<()> {
        let Some(session) =
            self.end_this_run(id, since, Gone::AgentExited, |r| Ok(r.stop(exit_status)?))?
        else {
            return Ok(());
        };
        self.events.send(Event::Exited {
            session,
            exit_status,
            tail,
        });
        Ok(())
    }

    /// Records that watching run `since` failed, and says so; nothing when
    /// that run already ended.
    pub fn failed(&self, id: SessionId, since: DateTime<Utc>, error: String) -> Result<()> {
        let message = error.clone();
        let Some(session) =
            self.end_this_run(id, since, Gone::Errored, |r| Ok(r.fail(message)?))?
        else {
            return Ok(());
        };
        self.events.send(Event::Errored { session, error });
        Ok(())
    }

    /// [`Manager::end_run`] of run `since` only: None when the session is
    /// not in that run any more.
    fn end_this_run(
        &self,
        id: SessionId,
        since: DateTime<Utc>,
        why: Gone,
        f: impl FnOnce(&mut SessionRecord) -> Result<Option<Decision>>,
    ) -> Result<Option<SessionRecord>> {
        let mut ended = false;
        let session = self.end_run(id, why, |r| {
            if !matches!(r.state, SessionState::Active { since: run, .. } if run == since) {
                return Ok(None);
            }
            ended = true;
            f(r)
        })?;
        Ok(ended.then_some(session))
    }

    /// The tmux server is gone: every live session stopped, said in one event.
    pub fn server_gone(&self) -> Result<()> {
        let (stopped, closed) = self.store.update(|records| {
            let mut stopped = Vec::new();
            let mut closed = Vec::new();
            for record in records.iter_mut().filter(|r| r.state.is_live()) {
                let ended = record.stop(None)?;
                closed.extend(ended.map(|d| (record.clone(), d)));
                stopped.push(record.clone());
            }
            Ok::<_, SessionError>((stopped, closed))
        })?;
        for (session, decision) in closed {
            self.events.send(Event::DecisionClosed {
                session,
                decision,
                ending: Ending::Gone(Gone::ServerGone),
            });
        }
        if !stopped.is_empty() {
            self.events.send(Event::ServerGone { stopped });
        }
        Ok(())
    }

    /// Moves one record out of its run with `f`, and ends the decision the
    /// run had open, saying why.
    fn end_run(
        &self,
        id: SessionId,
        why: Gone,
        f: impl FnOnce(&mut SessionRecord) -> Result<Option<Decision>>,
    ) -> Result<SessionRecord> {
        let (session, ended) = self.store.update(|records| {
            let record = find_mut(records, id)?;
            let ended = f(record)?;
            Ok::<_, SessionError>((record.clone(), ended))
        })?;
        if let Some(decision) = ended {
            self.events.send(Event::DecisionClosed {
                session: session.clone(),
                decision,
                ending: Ending::Gone(why),
            });
        }
        Ok(session)
    }

    /// Matches the store to the tmux server at start-up: live sessions become
    /// active, gone ones stopped (their decisions end), unknown ones on the
    /// server are adopted.
    pub fn reconcile(&self) -> Result<ReconcileReport> {
        let panes = first_pane_per_session(self.tmux.list_panes()?);
        let (report, closed) = self.store.update(|records| {
            let mut report = ReconcileReport::default();
            let mut closed = Vec::new();
            for record in records.iter_mut() {
                if record.state == SessionState::Removed {
                    continue;
                }
                let pane = panes.iter().find(|p| p.session == record.name.as_str());
                match pane {
                    Some(p) if !p.dead => {
                        if !record.state.is_active() {
                            record.activate(None)?;
                        }
                        report.live.push(record.name.clone());
                    }
                    found if record.state.is_live() => {
                        let status = found.and_then(|p| p.exit_status);
                        let ended = record.stop(status)?;
                        closed.extend(ended.map(|d| (record.clone(), d)));
                        report.stopped.push((record.name.clone(), status));
                    }
                    _ => {}
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
            Ok::<_, SessionError>((report, closed))
        })?;
        for (session, decision) in closed {
            self.events.send(Event::DecisionClosed {
                session,
                decision,
                ending: Ending::Gone(Gone::AgentExited),
            });
        }
        Ok(report)
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
            record.stop(pane.exit_status)?;
        } else {
            record.activate(None)?;
        }
        Ok(record)
    }

    /// Applies `f` to one record under the store's write lock.
    fn update(
        &self,
        id: SessionId,
        f: impl FnOnce(&mut SessionRecord) -> Result<()>,
    ) -> Result<SessionRecord> {
        self.store.update(|records| {
            let record = find_mut(records, id)?;
            f(record)?;
            Ok(record.clone())
        })
    }

    fn active(&self, id: SessionId) -> Result<SessionRecord> {
        let record = self.get(id)?;
        if !record.state.is_active() {
            return Err(SessionError::not_active(&record.name, &record.state));
        }
        Ok(record)
    }

    fn type_line(&self, name: &str, text: &str) -> Result<(), TmuxError> {
        self.tmux.send_text(name, text)?;
        std::thread::sleep(ENTER_AFTER_PASTE);
        self.tmux.send_keys(name, &[Key::Enter])
    }
}

/// `agent` with `args` (shell-quoted) right after its program name.
fn with_args(agent: &str, args: &[String]) -> String {
    if args.is_empty() {
        return agent.to_owned();
    }
    let agent = agent.trim_start();
    let end = match agent.chars().next() {
        Some(quote @ ('\'' | '"')) => agent[1..].find(quote).map_or(agent.len(), |i| i + 2),
        _ => agent.find(char::is_whitespace).unwrap_or(agent.len()),
    };
    let (program, rest) = agent.split_at(end);
    let quoted: Vec<String> = args.iter().map(|a| shell_quote(a)).collect();
    format!("{program} {}{rest}", quoted.join(" "))
}

/// Quotes `text` as one POSIX shell word.
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// The record with `id` in a list under update.
fn find_mut(records: &mut [SessionRecord], id: SessionId) -> Result<&mut SessionRecord> {
    records
        .iter_mut()
        .find(|r| r.id == id)
        .ok_or_else(|| AddressError::Gone.into())
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
    use crate::session::TransitionError;
    use crate::session::testing::Fixture;
    use crate::tmux::{FakeInput, FakeTmux};

    fn fixture() -> Fixture<FakeTmux> {
        Fixture::new()
    }

    fn run_of(record: &SessionRecord) -> DateTime<Utc> {
        match record.state {
            SessionState::Active { since, .. } => since,
            _ => panic!("not active: {:?}", record.state),
        }
    }

    #[test]
    fn create_starts_the_agent_and_keeps_its_task_until_it_is_ready() {
        let f = fixture();
        let r = f
            .manager
            .create(Some("webapp"), Some("fix the 'bug'"), None)
            .unwrap();
        assert_eq!(r.name.as_str(), "webapp");
        assert!(
            matches!(&r.state, SessionState::Active { task: Some(t), .. } if t == "fix the 'bug'"),
            "{:?}",
            r.state
        );
        assert_eq!(
            r.folder,
            f.root.path().join("webapp").canonicalize().unwrap()
        );
        let spec = f.tmux.spec("webapp").unwrap();
        assert_eq!(spec.command, "claude", "never on the command line");
        assert_eq!(spec.folder, r.folder);
        assert_eq!(spec.env, vec![("A".to_owned(), "1".to_owned())]);
        assert_eq!(
            f.tmux.inputs("webapp"),
            [],
            "nothing typed before it is ready"
        );
        let again = f.manager.create(Some("webapp"), None, None).unwrap();
        assert_eq!(again.name.as_str(), "webapp-2");
        assert_eq!(f.manager.list().unwrap().len(), 2);
    }

    #[test]
    fn the_task_is_typed_once_whole_and_only_in_its_run() {
        let f = fixture();
        let task = "é".repeat(5000) + " end";
        let r = f
            .manager
            .create(Some("webapp"), Some(&task), Some("aider --yes"))
            .unwrap();
        f.manager.deliver_task(r.id, Utc::now()).unwrap();
        assert_eq!(f.tmux.inputs("webapp"), [], "another run's reading");
        f.manager.deliver_task(r.id, run_of(&r)).unwrap();
        f.manager.deliver_task(r.id, run_of(&r)).unwrap();
        assert_eq!(
            f.tmux.inputs("webapp"),
            vec![FakeInput::Text(task), FakeInput::Keys(vec![Key::Enter])]
        );
        assert!(matches!(
            f.manager.get(r.id).unwrap().state,
            SessionState::Active { task: None, .. }
        ));
    }

    #[test]
    fn a_task_that_cannot_be_typed_is_kept() {
        let f = fixture();
        let r = f.manager.create(Some("webapp"), Some("go"), None).unwrap();
        f.tmux.fail_next(
            "send_text",
            TmuxError::PaneDead {
                name: "webapp".into(),
            },
        );
        assert!(f.manager.deliver_task(r.id, run_of(&r)).is_err());
        assert!(matches!(
            &f.manager.get(r.id).unwrap().state,
            SessionState::Active { task: Some(t), .. } if t == "go"
        ));
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
            TmuxError::Command {
                command: "new-session".into(),
                stderr: "boom".into(),
            },
        );
        let err = f.manager.create(Some("webapp"), None, None).unwrap_err();
        assert!(err.to_string().contains("boom"), "{err}");
        let record = f.manager.find("webapp").unwrap();
        assert!(
            matches!(&record.state, SessionState::Errored { error } if error.contains("boom")),
            "{:?}",
            record.state
        );
        // Errored sessions can be resumed.
        assert!(f.manager.resume(record.id).unwrap().state.is_active());
    }

    #[test]
    fn a_failed_resume_changes_nothing() {
        let f = fixture();
        let r = f.manager.create(Some("webapp"), None, None).unwrap();
        f.manager.stop(r.id).unwrap();
        f.tmux.set_missing(true);
        assert!(f.manager.resume(r.id).is_err());
        assert_eq!(
            f.manager.get(r.id).unwrap().state,
            SessionState::Stopped { exit_status: None }
        );
    }

    #[test]
    fn send_text_needs_an_active_session() {
        let f = fixture();
        let r = f.manager.create(Some("webapp"), None, None).unwrap();
        f.manager.send_text(r.id, "ls; echo $(x)\n").unwrap();
        assert_eq!(
            f.tmux.inputs("webapp"),
            vec![
                FakeInput::Text("ls; echo $(x)\n".into()),
                FakeInput::Keys(vec![Key::Enter])
            ]
        );
        assert!(matches!(
            f.manager.send_text(r.id, ""),
            Err(SessionError::EmptyText)
        ));
        f.manager.stop(r.id).unwrap();
        let err = f.manager.send_text(r.id, "hi").unwrap_err();
        assert!(
            err.to_string().contains("is stopped; resume it first"),
            "{err}"
        );
    }

    #[test]
    fn stop_resume_remove() {
        let f = fixture();
        let r = f
            .manager
            .create(Some("webapp"), Some("task"), None)
            .unwrap();
        assert_eq!(
            f.manager.stop(r.id).unwrap().state,
            SessionState::Stopped { exit_status: None }
        );
        assert!(f.tmux.sessions().is_empty());
        let err = f.manager.stop(r.id).unwrap_err();
        assert!(err.to_string().contains("is stopped"), "{err}");

        let resumed = f.manager.resume(r.id).unwrap();
        assert!(resumed.id == r.id && resumed.state.is_active());
        assert_eq!(
            f.tmux.spec("webapp").unwrap().command,
            "claude",
            "the task is not given twice"
        );
        let err = f.manager.resume(r.id).unwrap_err();
        assert!(matches!(
            err,
            SessionError::Transition(TransitionError { from: "active", .. })
        ));

        let gone = f.manager.remove(r.id).unwrap();
        assert_eq!(gone.state, SessionState::Removed);
        assert!(f.tmux.sessions().is_empty());
        assert!(r.folder.is_dir(), "the folder is never deleted");
        assert!(matches!(
            f.manager.find("webapp"),
            Err(SessionError::Address(AddressError::NotFound(_)))
        ));
        assert!(matches!(
            f.manager.get(r.id),
            Err(SessionError::Address(AddressError::Gone))
        ));
        assert_eq!(f.manager.list().unwrap().len(), 1, "kept as a tombstone");
    }

    #[test]
    fn the_end_of_an_earlier_run_leaves_the_resumed_one_alone() {
        let mut f = fixture();
        let r = f.manager.create(Some("webapp"), None, None).unwrap();
        let first = run_of(&r);
        f.manager.stop(r.id).unwrap();
        let resumed = f.manager.resume(r.id).unwrap();
        f.events();
        // A look at the first run, reported after the resume.
        f.manager
            .exited(r.id, first, Some(1), String::new())
            .unwrap();
        f.manager.failed(r.id, first, "lost".into()).unwrap();
        assert_eq!(f.manager.get(r.id).unwrap().state, resumed.state);
        assert_eq!(f.events(), []);
    }

    #[test]
    fn exited_agents_keep_their_status() {
        let mut f = fixture();
        let r = f.manager.create(Some("webapp"), None, None).unwrap();
        f.manager
            .exited(r.id, run_of(&r), Some(3), "bye".into())
            .unwrap();
        let stopped = f.manager.get(r.id).unwrap();
        assert_eq!(
            stopped.state,
            SessionState::Stopped {
                exit_status: Some(3)
            }
        );
        assert!(matches!(
            f.events().as_slice(),
            [Event::Exited { exit_status: Some(3), tail, .. }] if tail == "bye"
        ));
        // A resume replaces the dead pane kept by remain-on-exit.
        f.tmux.exit("webapp", Some(3));
        assert!(f.manager.resume(r.id).unwrap().state.is_active());
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
        let by_hand = f.manager.find("by-hand").unwrap();
        assert!(by_hand.adopted && by_hand.state.is_active());
        assert_eq!(
            f.manager.get(dead.id).unwrap().state,
            SessionState::Stopped {
                exit_status: Some(3)
            }
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
        let r = f.manager.create(Some("webapp"), None, None).unwrap();
        f.tmux.kill_server();
        let report = f.manager.reconcile().unwrap();
        assert_eq!(report.stopped.len(), 1);
        assert!(!f.manager.get(r.id).unwrap().state.is_live());
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

    // ---- Answering decisions ----------------------------------------------------

    const PROMPT: &str = "● Creating notes.md\n\n────────────────────\n Create file\n notes.md\n\n   1 + hello\n\n \
                          Do you want to create notes.md?\n ❯ 1. Yes\n   2. No\n\n Esc to cancel\n";

    /// A session whose screen shows `PROMPT`, with its decision open.
    fn asking(f: &mut Fixture<FakeTmux>) -> (SessionRecord, Decision) {
        let r = f.manager.create(Some("webapp"), None, None).unwrap();
        f.tmux.set_screen("webapp", PROMPT);
        let prompt = match classify(PROMPT) {
            Screen::Decision(p) => p,
            other => panic!("{other:?}"),
        };
        let r = f
            .manager
            .screen_shows(r.id, run_of(&r), Some((prompt, None)))
            .unwrap();
        let decision = r.pending().unwrap().clone();
        f.events();
        (r, decision)
    }

    fn keys_sent(f: &Fixture<FakeTmux>) -> Vec<FakeInput> {
        f.tmux.inputs("webapp")
    }

    /// A tap on the first option of `d` finds it not open and sends no key.
    fn assert_sends_nothing(f: &Fixture<FakeTmux>, r: &SessionRecord, d: &Decision) {
        let outcome = f
            .manager
            .answer(r.id, d.serial, d.fingerprint(), 0, "Alice")
            .unwrap();
        assert_eq!(outcome, AnswerOutcome::NotOpen);
        assert_eq!(keys_sent(f), []);
    }

    #[test]
    fn a_tap_answers_the_open_decision_once() {
        let mut f = fixture();
        let (r, d) = asking(&mut f);
        let outcome = f
            .manager
            .answer(r.id, d.serial, d.fingerprint(), 0, "Alice")
            .unwrap();
        let AnswerOutcome::Sent { tapped, .. } = outcome else {
            panic!("{outcome:?}");
        };
        assert_eq!(
            (tapped.by.as_str(), tapped.option.as_str()),
            ("Alice", "Yes")
        );
        assert_eq!(keys_sent(&f), [FakeInput::Keys(vec![Key::Enter])]);
        assert!(matches!(
            f.events().as_slice(),
            [Event::DecisionTapped { .. }]
        ));
        assert_eq!(
            f.manager.get(r.id).unwrap().pending().unwrap().tapped,
            Some(tapped),
            "recorded with who and what"
        );
        let again = f
            .manager
            .answer(r.id, d.serial, d.fingerprint(), 1, "Bob")
            .unwrap();
        assert!(
            matches!(again, AnswerOutcome::AlreadyAnswered { .. }),
            "{again:?}"
        );
        assert_eq!(keys_sent(&f).len(), 1, "the second tap sent nothing");
    }

    #[test]
    fn a_changed_context_under_the_same_question_sends_nothing() {
        let mut f = fixture();
        let (r, d) = asking(&mut f);
        let changed = PROMPT.replace("+ hello", "+ rm -rf ~ # changed body");
        f.tmux.set_screen("webapp", changed);
        assert_sends_nothing(&f, &r, &d);
    }

    #[test]
    fn a_button_of_an_earlier_decision_never_answers_a_later_one() {
        let mut f = fixture();
        let (r, first) = asking(&mut f);
        f.manager.screen_shows(r.id, run_of(&r), None).unwrap();
        let prompt = first.prompt.clone();
        f.manager
            .screen_shows(r.id, run_of(&r), Some((prompt, None)))
            .unwrap();
        let second = f.manager.get(r.id).unwrap().pending().unwrap().clone();
        assert_eq!(second.serial, first.serial + 1);
        assert_eq!(second.fingerprint(), first.fingerprint(), "reads the same");
        assert_sends_nothing(&f, &r, &first);
    }

    #[test]
    fn stop_ends_the_decision_and_its_buttons_stay_dead_after_a_resume() {
        let mut f = fixture();
        let (r, d) = asking(&mut f);
        f.manager.stop(r.id).unwrap();
        assert!(matches!(
            f.events().as_slice(),
            [Event::DecisionClosed { ending: Ending::Gone(Gone::Stopped), decision, .. }] if *decision == d
        ));
        f.manager.resume(r.id).unwrap();
        f.tmux.set_screen("webapp", PROMPT);
        assert_sends_nothing(&f, &r, &d);
    }

    #[test]
    fn a_look_at_the_server_in_the_middle_of_a_stop_reports_nothing() {
        type Op = fn(&Manager, SessionId) -> Result<SessionRecord>;
        for (op, why) in [
            (Manager::stop as Op, Gone::Stopped),
            (Manager::remove, Gone::Removed),
        ] {
            let mut f = fixture();
            let (r, d) = asking(&mut f);
            // The watcher listed the run as active, then finds its tmux
            // session gone (with the server, its last session).
            let manager = Arc::clone(&f.manager);
            let (id, since) = (r.id, run_of(&r));
            f.tmux.after_next_kill(move || {
                manager.server_gone().unwrap();
                // A removed session is refused as gone, and stays removed.
                let exited = manager.exited(id, since, None, String::new());
                assert!(
                    matches!(
                        exited,
                        Ok(()) | Err(SessionError::Address(AddressError::Gone))
                    ),
                    "{exited:?}"
                );
            });
            op(&f.manager, r.id).unwrap();
            let events = f.events();
            assert!(
                matches!(
                    events.as_slice(),
                    [Event::DecisionClosed { ending: Ending::Gone(gone), decision, .. }]
                        if *gone == why && *decision == d
                ),
                "{events:?}"
            );
        }
    }

    #[test]
    fn a_prompt_gone_from_the_screen_is_not_answered() {
        let mut f = fixture();
        let (r, d) = asking(&mut f);
        let outcome = f
            .manager
            .answer(r.id, d.serial, d.fingerprint(), 9, "Alice")
            .unwrap();
        assert_eq!(outcome, AnswerOutcome::NotOpen, "no such option");
        f.tmux.set_screen("webapp", "✔ Done.\n\n$ ");
        assert_sends_nothing(&f, &r, &d);
    }

    #[test]
    fn keys_that_cannot_go_in_leave_the_decision_open() {
        let mut f = fixture();
        let (r, d) = asking(&mut f);
        f.tmux.fail_next(
            "send_keys",
            TmuxError::PaneDead {
                name: "webapp".into(),
            },
        );
        assert!(
            f.manager
                .answer(r.id, d.serial, d.fingerprint(), 0, "Alice")
                .is_err()
        );
        assert_eq!(f.manager.get(r.id).unwrap().pending().unwrap().tapped, None);
        assert!(
            f.events().is_empty(),
            "nothing said of a tap that did not land"
        );
    }

    #[test]
    fn a_tapped_decision_leaving_the_screen_ends_as_tapped() {
        let mut f = fixture();
        let (r, d) = asking(&mut f);
        f.manager
            .answer(r.id, d.serial, d.fingerprint(), 0, "Alice")
            .unwrap();
        f.events();
        f.manager.screen_shows(r.id, run_of(&r), None).unwrap();
        assert!(matches!(
            f.events().as_slice(),
            [Event::DecisionClosed { ending: Ending::Tapped(t), .. }] if t.by == "Alice"
        ));
    }
}
