//! The real tmux driver: runs the tmux CLI against a dedicated server socket.
