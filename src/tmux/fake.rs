//! An in-memory tmux for unit tests.
