//! The real-agent acceptance suite: the real Claude Code, Codex, Gemini CLI
//! and Aider CLIs, installed by `.ci/real-agents` at pinned versions, run
//! against loopback model stand-ins and driven through tgmux as a phone user.
//!
//! Every test here is ignored by plain `cargo test` (which must not need the
//! agents); `.ci/real-agents` installs them and runs
//! `cargo test --test real_agents -- --ignored --test-threads=1`.

#[path = "../support/mod.rs"]
mod support;

mod aider;
mod claude;
mod codex;
mod gemini;
mod harness;
