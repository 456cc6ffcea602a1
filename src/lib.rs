//! tgmux: drive AI coding agents running in tmux from Telegram.
//!
//! Layers, with one direction of dependency: `telegram -> session -> tmux`
//! and `watch -> session, tmux`. The session layer knows nothing of Telegram.
//! `files` (the inbox, what `/get` may send) and `transcribe` (speech to
//! text) are leaves the layers above use.

pub mod app;
pub mod config;
pub mod durable;
pub mod events;
pub mod files;
pub mod screen;
pub mod session;
pub mod telegram;
pub mod tmux;
pub mod transcribe;
pub mod watch;
