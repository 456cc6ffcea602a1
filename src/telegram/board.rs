//! The open decisions the phone was told about: which messages show each one,
//! and whether a tap already answered it (so two quick taps answer once).

use std::collections::HashMap;
use std::sync::Mutex;

use teloxide::types::{ChatId, MessageId};

use crate::session::{Decision, Fingerprint, SessionId};

/// One open decision as pushed to the phone.
#[derive(Debug, Clone)]
pub struct Posted {
    pub decision: Decision,
    pub messages: Vec<(ChatId, MessageId)>,
    pub answered: bool,
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
        if open
            .get(&session)
            .is_some_and(|p| p.decision.fingerprint == decision.fingerprint)
        {
            return false;
        }
        open.insert(
            session,
            Posted {
                decision: decision.clone(),
                messages: Vec::new(),
                answered: false,
            },
        );
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
            .filter(|p| p.decision.fingerprint == fingerprint)
        {
            p.messages.push(at);
        }
    }

    /// Whether a tap already answered this decision.
    pub fn is_answered(&self, session: SessionId, fingerprint: Fingerprint) -> bool {
        self.lock()
            .get(&session)
            .is_some_and(|p| p.decision.fingerprint == fingerprint && p.answered)
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
                if p.decision.fingerprint != decision.fingerprint {
                    *p = Posted {
                        decision: decision.clone(),
                        messages: Vec::new(),
                        answered: false,
                    };
                }
            })
            .or_insert_with(|| Posted {
                decision: decision.clone(),
                messages: Vec::new(),
                answered: false,
            });
        posted.answered = true;
        posted.messages.clone()
    }

    /// Removes a decision that left the screen, returning how it was posted.
    pub fn close(&self, session: SessionId, fingerprint: Fingerprint) -> Option<Posted> {
        let mut open = self.lock();
        match open.get(&session) {
            Some(p) if p.decision.fingerprint == fingerprint => open.remove(&session),
            _ => None,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<SessionId, Posted>> {
        self.open.lock().unwrap_or_else(|e| e.into_inner())
    }
}
