//! Watching panes: the watcher turns screen changes into what the manager
//! needs to know.

mod turn;
mod watcher;

pub use watcher::Watcher;
