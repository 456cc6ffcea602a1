//! The store against real processes: writers killed mid-write, two writers at
//! once, and a second bot. The children are this test binary itself, re-run
//! with one `*_child` test selected and an environment variable naming its job.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use std::{fs, thread};

use tgmux::session::{RunLock, SessionName, SessionRecord, Store, StoreError};

const CRASH_DIR: &str = "TGMUX_CRASH_CHILD_DIR";
const COUNT_DIR: &str = "TGMUX_COUNT_CHILD_DIR";
const COUNT_NAME: &str = "TGMUX_COUNT_CHILD_NAME";
const LOCK_DIR: &str = "TGMUX_LOCK_CHILD_DIR";

/// Sessions the crash writer cycles through; write `i` goes to `s{i % SLOTS}`.
const SLOTS: u64 = 4;
const CRASH_ROUNDS: u32 = 300;
const COUNT_WRITES: u32 = 200;
/// Only a guard against a hung child; every wait ends on a line long before.
const LINE_TIMEOUT: Duration = Duration::from_secs(60);

/// Re-runs this test binary with only `test` selected and `envs` set.
fn spawn_child(test: &str, envs: &[(&str, &str)]) -> (Child, Receiver<String>) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture", "--test-threads", "1"])
        .envs(envs.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = channel();
    thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (child, rx)
}

/// Waits for the child to print `wanted` on a line of its own.
fn wait_for(lines: &Receiver<String>, wanted: &str) {
    loop {
        match lines.recv_timeout(LINE_TIMEOUT) {
            Ok(line) if line == wanted => return,
            Ok(_) => {}
            Err(e) => panic!("child never printed {wanted:?}: {e}"),
        }
    }
}

/// Prints `line` and flushes; children start with a newline because libtest
/// puts `test NAME ... ` in front of the first thing a test prints.
fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}").unwrap();
    out.flush().unwrap();
}

fn record(name: &str) -> SessionRecord {
    SessionRecord::new(
        SessionName::parse(name).unwrap(),
        "/tmp".into(),
        None,
        "claude".into(),
    )
}

/// Sets `name`'s task with `f`, adding the record if it is missing.
fn set_task(records: &mut Vec<SessionRecord>, name: &str, f: impl FnOnce(&str) -> String) {
    let index = match records.iter().position(|r| r.name.as_str() == name) {
        Some(index) => index,
        None => {
            records.push(record(name));
            records.len() - 1
        }
    };
    let task = &mut records[index].task;
    *task = Some(f(task.as_deref().unwrap_or_default()));
}

/// The highest `write <i>` in the store, 0 if none.
fn latest_write(records: &[SessionRecord]) -> u64 {
    records
        .iter()
        .filter_map(|r| r.task.as_deref()?.strip_prefix("write ")?.parse().ok())
        .max()
        .unwrap_or(0)
}

/// What the store must hold after writes `1..=last`: each slot's latest write.
fn expected_after(last: u64) -> Vec<(String, String)> {
    (1..=last)
        .rev()
        .take(SLOTS as usize)
        .map(|i| (format!("s{}", i % SLOTS), format!("write {i}")))
        .collect()
}

fn stale_temps(dir: &Path) -> usize {
    fs::read_dir(dir)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .contains(".tmp-")
        })
        .count()
}

/// Child: writes `write <i>` into slot `i % SLOTS`, continuing the sequence
/// found in the store, and prints `ack <i>` once each write has returned.
#[test]
fn crash_writer_child() {
    let Ok(dir) = std::env::var(CRASH_DIR) else {
        return;
    };
    let store = Store::open(Path::new(&dir)).unwrap();
    let mut next = latest_write(&store.load().unwrap()) + 1;
    say("\nready");
    loop {
        store
            .update(|records| {
                set_task(records, &format!("s{}", next % SLOTS), |_| {
                    format!("write {next}")
                });
                Ok::<_, StoreError>(())
            })
            .unwrap();
        say(&format!("ack {next}"));
        next += 1;
    }
}

/// A xorshift64 seeded from the clock: varied kill delays without a crate.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn killed_writers_lose_no_acknowledged_write() {
    let dir = tempfile::tempdir().unwrap();
    let dir_str = dir.path().to_str().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    let mut rng = XorShift(seed);
    let started = Instant::now();
    let (mut stored, mut acked, mut unacked_landed) = (0, 0, 0);

    for round in 0..CRASH_ROUNDS {
        let (mut child, lines) = spawn_child("crash_writer_child", &[(CRASH_DIR, dir_str)]);
        wait_for(&lines, "ready");
        thread::sleep(Duration::from_micros(rng.next() % 30_000));
        child.kill().unwrap();
        let status = child.wait().unwrap();
        assert_eq!(
            status.signal(),
            Some(9),
            "round {round}: writer died on its own: {status}"
        );

        let acks: Vec<u64> = lines
            .iter()
            .filter_map(|l| l.strip_prefix("ack ")?.parse().ok())
            .collect();
        let expected_acks: Vec<u64> = (stored + 1..).take(acks.len()).collect();
        assert_eq!(
            acks, expected_acks,
            "round {round}: the writer did not continue the sequence"
        );
        let last_acked = acks.last().copied().unwrap_or(stored);

        let records = store
            .load()
            .unwrap_or_else(|e| panic!("round {round} (seed {seed}): {e}"));
        let now = latest_write(&records);
        // Every acked write is in; at most one more landed before its ack was printed.
        assert!(
            now == last_acked || now == last_acked + 1,
            "round {round} (seed {seed}): stored {now}, last ack {last_acked}"
        );
        let mut held: Vec<(String, String)> = records
            .iter()
            .map(|r| (r.name.to_string(), r.task.clone().unwrap()))
            .collect();
        let mut want = expected_after(now);
        held.sort();
        want.sort();
        assert_eq!(held, want, "round {round} (seed {seed})");
        // A killed writer may leave its one temp file; the next open() removes it.
        assert!(
            stale_temps(dir.path()) <= 1,
            "round {round}: temp files pile up"
        );

        acked += acks.len();
        unacked_landed += usize::from(now > last_acked);
        stored = now;
    }

    Store::open(dir.path()).unwrap();
    assert_eq!(stale_temps(dir.path()), 0, "open() leaves stale temp files");
    assert!(acked > 0, "no write was ever acknowledged");
    eprintln!(
        "crash test: {CRASH_ROUNDS} kills, {acked} acked writes checked, {unacked_landed} \
         unacked writes landed, {:.1?} (seed {seed})",
        started.elapsed()
    );
}

/// Child: waits for `go` on stdin, then appends `1`, `2`, ... to its own
/// session's task, one update each, and prints `done`.
#[test]
fn counter_child() {
    let (Ok(dir), Ok(name)) = (std::env::var(COUNT_DIR), std::env::var(COUNT_NAME)) else {
        return;
    };
    let store = Store::open(Path::new(&dir)).unwrap();
    say("\nready");
    let mut go = String::new();
    std::io::stdin().read_line(&mut go).unwrap();
    for i in 1..=COUNT_WRITES {
        store
            .update(|records| {
                set_task(records, &name, |task| format!("{task} {i}"));
                Ok::<_, StoreError>(())
            })
            .unwrap();
    }
    say("done");
}

#[test]
fn concurrent_writers_lose_no_update() {
    let dir = tempfile::tempdir().unwrap();
    let dir_str = dir.path().to_str().unwrap();
    let names = ["one", "two"];
    let mut children: Vec<_> = names
        .iter()
        .map(|name| spawn_child("counter_child", &[(COUNT_DIR, dir_str), (COUNT_NAME, name)]))
        .collect();
    for (_, lines) in &children {
        wait_for(lines, "ready");
    }
    for (child, _) in &mut children {
        writeln!(child.stdin.as_mut().unwrap(), "go").unwrap();
    }
    for (child, lines) in &mut children {
        wait_for(lines, "done");
        assert!(child.wait().unwrap().success());
    }

    let records = Store::open(dir.path()).unwrap().load().unwrap();
    let all: String = (1..=COUNT_WRITES).map(|i| format!(" {i}")).collect();
    assert_eq!(records.len(), names.len());
    for name in names {
        let r = records.iter().find(|r| r.name.as_str() == name).unwrap();
        assert!(
            r.task.as_deref() == Some(all.as_str()),
            "{name} lost updates: {:?}",
            r.task
        );
    }
}

/// Child: holds the run lock, prints `locked`, and waits to be killed.
#[test]
fn run_lock_child() {
    let Ok(dir) = std::env::var(LOCK_DIR) else {
        return;
    };
    let _lock = RunLock::acquire(Path::new(&dir)).unwrap();
    say("\nlocked");
    std::io::stdin().read_line(&mut String::new()).unwrap();
}

#[test]
fn a_second_bot_is_refused_while_the_first_lives() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, lines) = spawn_child(
        "run_lock_child",
        &[(LOCK_DIR, dir.path().to_str().unwrap())],
    );
    wait_for(&lines, "locked");

    let err = RunLock::acquire(dir.path()).unwrap_err();
    let StoreError::AlreadyRunning { pid, path } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(*pid, child.id().to_string());
    assert_eq!(*path, dir.path().join("tgmux.lock"));
    assert!(
        err.to_string().contains(&format!("pid {}", child.id())),
        "{err}"
    );

    child.kill().unwrap();
    child.wait().unwrap();
    let _lock = RunLock::acquire(dir.path()).unwrap();
}
