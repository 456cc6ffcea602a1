//! A pending decision: an agent waiting for the user to pick an option.

pub use crate::screen::{Fingerprint, Prompt as Decision, PromptOption as DecisionOption};
