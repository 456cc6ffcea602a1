//! The open decisions the phone was told about: which messages show each one,
//! and whether a tap already answered it (so two quick taps answer once).

use std::collections::HashMap;
use std::sync::Mutex;

use teloxide::types::{ChatId, MessageId};

use crate::session::{Decision, Fingerprint, SessionId};

/// One decision as pushed to the phone.
#[derive(Debug, Clone)]
pub struct Posted {
    pub decision: Decision,
    pub messages: Vec<(ChatId, MessageId)>,
    status: Status,
}

/// Where a posted decision stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    /// No tap has answered it.
    Open,
    /// A tap answered it; it may still be on the screen.
    Answered,
    /// A tap answered it and it left the screen; kept so that a late second
    /// tap still reads as answered (and does not touch the messages).
    Gone,
}

impl Posted {
    fn new(decision: &Decision) -> Posted {
        Posted {
            decision: decision.clone(),
            messages: Vec::new(),
            status: Status::Open,
        }
    }
}

#[derive(Debug, Default)]
pub struct Board {
    open: Mutex<HashMap<SessionId, Posted>>,
}

impl Board {
    /// Registers a newly seen decision; false when that very decision is
    /// already open (so it is not pushed twice).
    pub fn open(&self, session: SessionId, decision: &Decision) -> bool {
        let mut open = self.lock();
        if open.get(&session).is_some_and(|p| {
            p.decision.fingerprint() == decision.fingerprint() && p.status != Status::Gone
        }) {
            return false;
        }
        open.insert(session, Posted::new(decision));
        true
    }

    pub fn add_message(
        &self,
        session: SessionId,
        fingerprint: Fingerprint,
        at: (ChatId, MessageId),
    ) {
        if let Some(p) = self
            .lock()
            .get_mut(&session)
            .filter(|p| p.decision.fingerprint() == fingerprint)
        {
            p.messages.push(at);
        }
    }

    /// Whether a tap already answered this decision.
    pub fn is_answered(&self, session: SessionId, fingerprint: Fingerprint) -> bool {
        self.lock()
            .get(&session)
            .is_some_and(|p| p.decision.fingerprint() == fingerprint && p.status != Status::Open)
    }

    /// Marks the decision answered, registering it if the board had not seen
    /// it (a button from before a restart). Returns the messages showing it.
    pub fn mark_answered(
        &self,
        session: SessionId,
        decision: &Decision,
    ) -> Vec<(ChatId, MessageId)> {
        let mut open = self.lock();
        let posted = open
            .entry(session)
            .and_modify(|p| {
                if p.decision.fingerprint() != decision.fingerprint() {
                    *p = Posted::new(decision);
                }
            })
            .or_insert_with(|| Posted::new(decision));
        posted.status = Status::Answered;
        posted.messages.clone()
    }

    /// Closes a decision that left the screen, returning it if no tap had
    /// answered it (its messages still show buttons). One a tap answered
    /// stays known as answered until another decision of the session opens.
    pub fn close(&self, session: SessionId, fingerprint: Fingerprint) -> Option<Posted> {
        let mut open = self.lock();
        let posted = open
            .get_mut(&session)
            .filter(|p| p.decision.fingerprint() == fingerprint)?;
        match posted.status {
            Status::Open => open.remove(&session),
            Status::Answered | Status::Gone => {
                posted.status = Status::Gone;
                None
            }
        }
    }

    /// Forgets the session's decision (its agent stopped), returning it if no
    /// tap had answered it.
    pub fn close_session(&self, session: SessionId) -> Option<Posted> {
        self.lock()
            .remove(&session)
            .filter(|p| p.status == Status::Open)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<SessionId, Posted>> {
        self.open.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::DecisionOption;

    fn decision(question: &str) -> Decision {
        let labels = ["Yes", "No"];
        Decision {
            question: question.to_owned(),
            context: None,
            options: labels
                .iter()
                .map(|l| DecisionOption {
                    label: (*l).to_owned(),
                    keys: Vec::new(),
                    asks_reply: false,
                })
                .collect(),
            default: Some(0),
        }
    }

    #[test]
    fn a_decision_is_pushed_once_while_open() {
        let board = Board::default();
        let id = SessionId::new();
        let d = decision("Proceed?");
        assert!(board.open(id, &d));
        assert!(!board.open(id, &d));
        board.add_message(id, d.fingerprint(), (ChatId(1), MessageId(7)));
        let posted = board.close(id, d.fingerprint()).unwrap();
        assert_eq!(posted.messages, [(ChatId(1), MessageId(7))]);
        assert!(board.close(id, d.fingerprint()).is_none());
        assert!(board.open(id, &d), "asked again after it was closed");
    }

    #[test]
    fn an_answered_decision_stays_answered_after_it_leaves_the_screen() {
        let board = Board::default();
        let id = SessionId::new();
        let d = decision("Proceed?");
        board.open(id, &d);
        assert!(!board.is_answered(id, d.fingerprint()));
        board.mark_answered(id, &d);
        assert!(board.is_answered(id, d.fingerprint()));
        assert!(
            board.close(id, d.fingerprint()).is_none(),
            "a tap already edited its messages"
        );
        assert!(board.is_answered(id, d.fingerprint()), "a late second tap");
        assert!(board.open(id, &d), "the same question asked again");
        assert!(!board.is_answered(id, d.fingerprint()));
        let other = decision("Overwrite?");
        assert!(board.open(id, &other));
        assert!(!board.is_answered(id, d.fingerprint()));
    }

    #[test]
    fn closing_a_session_returns_only_an_unanswered_decision() {
        let board = Board::default();
        let (web, api) = (SessionId::new(), SessionId::new());
        let open = decision("Proceed?");
        board.open(web, &open);
        board.open(api, &open);
        board.mark_answered(api, &open);
        assert!(board.close_session(web).is_some());
        assert!(board.close_session(web).is_none(), "forgotten");
        assert!(
            board.close_session(api).is_none(),
            "a tap already answered it"
        );
    }
}
