//! Watching panes: the watcher turns screen changes into events.

mod watcher;

pub use watcher::{Event, Watcher};
