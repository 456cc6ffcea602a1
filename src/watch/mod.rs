//! Watching panes: the screen classifier and the watcher that turns screen
//! changes into events.

pub mod screen;
mod watcher;

pub use watcher::{Event, Watcher};
