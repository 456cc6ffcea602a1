//! The hook's nudge to the watcher: one datagram on a Unix socket beside the
//! spools, so an event (a tool about to ask, a turn's end) is looked at now
//! rather than at the next tick. Best effort on both sides: a lost nudge
//! only means the next tick sees the event.

use std::io::ErrorKind;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The socket's file in the spools' folder.
fn socket_path(events_dir: &Path) -> PathBuf {
    events_dir.join("wake.sock")
}

/// The watcher's end: waits for the next tick or an earlier nudge.
#[derive(Debug)]
pub struct Wake {
    socket: UnixDatagram,
}

impl Wake {
    /// Listens in `events_dir`, replacing the socket a previous run left
    /// (the run lock makes this process its only owner). Fails when the
    /// path is too long for a Unix socket, among others: then the watcher
    /// only ticks.
    pub fn bind(events_dir: &Path) -> std::io::Result<Wake> {
        crate::durable::create_private_dir(events_dir)?;
        let path = socket_path(events_dir);
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        let socket = UnixDatagram::bind(&path)?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
        Ok(Wake { socket })
    }

    /// Waits up to `timeout` (at least a millisecond); true when a nudge
    /// came, and then every other nudge already queued is taken too.
    pub fn wait(&self, timeout: Duration) -> bool {
        let mut byte = [0u8; 1];
        let timeout = timeout.max(Duration::from_millis(1));
        if self.socket.set_read_timeout(Some(timeout)).is_err() {
            std::thread::sleep(timeout);
            return false;
        }
        if self.socket.recv(&mut byte).is_err() {
            return false;
        }
        if self.socket.set_nonblocking(true).is_ok() {
            while self.socket.recv(&mut byte).is_ok() {}
            let _ = self.socket.set_nonblocking(false);
        }
        true
    }
}

/// Nudges the watcher listening in `events_dir`, if one is; never blocks
/// and never fails (the hook runs in the agent's path).
pub fn nudge(events_dir: &Path) {
    let Ok(socket) = UnixDatagram::unbound() else {
        return;
    };
    if socket.set_nonblocking(true).is_ok() {
        let _ = socket.send_to(b"!", socket_path(events_dir));
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    #[test]
    fn a_nudge_ends_the_wait_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let wake = Wake::bind(dir.path()).unwrap();
        nudge(dir.path());
        nudge(dir.path());
        let at = Instant::now();
        assert!(wake.wait(Duration::from_secs(5)));
        assert!(at.elapsed() < Duration::from_secs(1));
        // Both nudges were taken by that one wait.
        assert!(!wake.wait(Duration::from_millis(20)));
    }

    #[test]
    fn without_a_nudge_the_wait_times_out() {
        let dir = tempfile::tempdir().unwrap();
        let wake = Wake::bind(dir.path()).unwrap();
        let at = Instant::now();
        assert!(!wake.wait(Duration::from_millis(50)));
        assert!(at.elapsed() >= Duration::from_millis(50));
    }

    #[test]
    fn binding_again_replaces_a_stale_socket() {
        let dir = tempfile::tempdir().unwrap();
        drop(Wake::bind(dir.path()).unwrap());
        let wake = Wake::bind(dir.path()).unwrap();
        nudge(dir.path());
        assert!(wake.wait(Duration::from_secs(5)));
    }

    #[test]
    fn nudging_nobody_is_harmless() {
        let dir = tempfile::tempdir().unwrap();
        nudge(dir.path());
        nudge(&dir.path().join("missing"));
    }
}
