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

    /// Names the call behind open decision `serial`, which opened unnamed,
    /// when no tap answered it yet; nothing otherwise.
    pub fn name_call(&self, id: SessionId, serial: u32, call: ToolCall) -> Result<()> {
        let named = self.store.update(|records| {
            let record = find_mut(records, id)?;
            let SessionState::Active {
                pending: Some(decision),
                ..
            } = &mut record.state
            else {
                return Ok(None);
            };
            if decision.serial != serial || decision.tapped.is_some() || decision.tool.is_some() {
                return Ok(None);
            }
            decision.tool = Some(call);
            let decision = Decision::clone(decision);
            Ok::<_, SessionError>(Some((record.clone(), decision)))
        })?;
        if let Some((session, decision)) = named {
            self.events.send(Event::DecisionNamed { session, decision });
        }
        Ok(())
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
mod tests;
