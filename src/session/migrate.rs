//! Reading the store files older versions of tgmux wrote.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::{Decision, SessionId, SessionName, SessionRecord, SessionState};
use crate::screen::{Prompt, PromptOption};

/// A session record as schema 1 stored it: a bare state name with parallel
/// optional fields.
#[derive(Deserialize)]
pub(super) struct RecordV1 {
    id: SessionId,
    name: SessionName,
    folder: PathBuf,
    task: Option<String>,
    agent: String,
    state: StateV1,
    created_at: DateTime<Utc>,
    last_activity: DateTime<Utc>,
    #[serde(default)]
    pending: Option<PromptV1>,
    #[serde(default)]
    exit_status: Option<i32>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    adopted: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum StateV1 {
    Provisioning,
    Active,
    Stopped,
    Errored,
    Decommissioned,
}

/// A schema-1 pending decision: the prompt with its (now recomputed) fingerprint.
#[derive(Deserialize)]
struct PromptV1 {
    question: String,
    context: Option<String>,
    options: Vec<PromptOption>,
    default: Option<usize>,
}

impl From<RecordV1> for SessionRecord {
    fn from(v1: RecordV1) -> SessionRecord {
        let pending = v1.pending.map(|p| Decision {
            serial: 1,
            prompt: Prompt {
                question: p.question,
                context: p.context,
                options: p.options,
                default: p.default,
                multi_select: false,
            },
            tool: None,
            opened_at: v1.last_activity,
            tapped: None,
        });
        let decisions = u32::from(pending.is_some());
        let state = match v1.state {
            StateV1::Provisioning => SessionState::Starting,
            StateV1::Active => SessionState::Active {
                since: v1.last_activity,
                pending: pending.map(Box::new),
                task: None,
            },
            StateV1::Stopped => SessionState::Stopped {
                exit_status: v1.exit_status,
            },
            StateV1::Errored => SessionState::Errored {
                error: v1.error.unwrap_or_else(|| "unknown error".to_owned()),
            },
            StateV1::Decommissioned => SessionState::Removed,
        };
        SessionRecord {
            id: v1.id,
            name: v1.name,
            folder: v1.folder,
            task: v1.task,
            agent: v1.agent,
            state,
            created_at: v1.created_at,
            last_activity: v1.last_activity,
            decisions,
            adopted: v1.adopted,
            agent_session: None,
            quiet_progress: false,
            topic: None,
            level: Default::default(),
        }
    }
}
