//! How fast and how cheap `tgmux run` is with 50 live sessions: a bench
//! program that prints figures, not a timed test.
//!
//! Run it with `cargo bench --bench latency` (it builds the release binary).
//! `TGMUX_BENCH_SESSIONS` (50), `TGMUX_BENCH_PROMPTS` (50) and
//! `TGMUX_BENCH_IDLE_SECS` (60) change its size, e.g. for a quick run.
//!
//! Set-up: the loopback Bot API server of the tests, a throw-away tmux server,
//! and the real release `tgmux run` binary with one allowed user. The sessions
//! are created before the bot starts, with the same `Manager::create` that
//! `/new` calls, in the bot's data folder and on its tmux socket: the bot then
//! finds them on start ("50 live") as a restarted bot finds a user's sessions.
//! (Fifty `/new`s would take a minute under the one message a second per chat
//! limit, and measure nothing more.) Each session runs
//! `tests/support/agents/bench.sh`, which idles without output, blocked on a
//! FIFO in its folder, until the bench writes a line to it; then it draws a
//! Claude Code style numbered prompt.
//!
//! Prompt -> `sendMessage`: the agent reads the wall clock (bash's
//! `$EPOCHREALTIME`, no process started) just after writing its prompt; the
//! end is when the loopback server recorded the decision's `sendMessage` (an
//! `Instant`, turned into wall-clock time by reading both clocks just before
//! the trigger). The trigger (a line on the FIFO) makes no output, so it is not
//! the event measured. Each prompt is in another session, spaced 1.1 to
//! 1.35 s apart, so the pacing under Telegram's limits (ten messages a
//! second and sixty a minute to a chat, src/telegram/pace.rs) never holds
//! one, and the jitter spreads the prompts over every phase of the
//! watcher's 250 ms poll.
//!
//! With Claude's events: the second half of the sessions run the same
//! agent through a link named `claude`, so tgmux wires them as Claude Code
//! sessions and the agent reports what Claude Code's hooks would (PreToolUse
//! before it draws its prompt, the permission Notification after) through
//! the real `tgmux hook`. Prompts alternate between the halves; each half's
//! prompt -> `sendMessage` figures are printed apart. Every session is at
//! level "decisions", so the turns its events start end without a message
//! that would count against the chat's 60 a minute.
//!
//! Tap -> keys: the bench reads the wall clock and injects a tap on the
//! decision's "Yes" button; the agent reads the wall clock just after `read`
//! returns the key. This spans the long poll waking, the dispatcher, the
//! handler (store read, screen capture and re-check, `tmux send-keys`) and
//! the pty.
//!
//! Idle: after the prompts, with no output in any pane and no Telegram
//! traffic but the long poll, CPU time from `/proc/PID/stat` over the window:
//! the bot's own threads (utime + stime), the tmux client processes it ran
//! and waited for (cutime + cstime), and the tmux server, each as a
//! percentage of one core. Memory is the bot's `VmRSS` (sampled each second,
//! largest shown) and `VmHWM` (its peak since start) from `/proc/PID/status`.

#[path = "../tests/support/mod.rs"]
mod support;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use support::bot::{ALICE, BotProcess, BotSetup, WAIT};
use support::botapi::BotApi;
use support::tmux::TmuxSandbox;
use support::{agent, sh_quote};
use tgmux::session::{Events, EventsSetup, Level, Manager, Settings, Store};

const PROMPT_TARGET_MS: f64 = 500.0;
const TAP_TARGET_MS: f64 = 100.0;
const CPU_TARGET_PERCENT: f64 = 2.0;
const RSS_TARGET_MB: f64 = 40.0;
const BURST_TARGET_MS: f64 = 2000.0;
/// Prompts that open at once in the burst measurement.
const BURST: usize = 10;

/// Least time between two prompts, so the per-chat pacing never holds one.
const SPACING: Duration = Duration::from_millis(1100);

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    // `cargo test --benches` runs bench targets without `--bench`: skip then.
    if !std::env::args().any(|a| a == "--bench") {
        println!("latency: a bench program; run it with `cargo bench --bench latency`");
        return;
    }
    let sessions = env_number("TGMUX_BENCH_SESSIONS", 50).max(1) as usize;
    let prompts = env_number("TGMUX_BENCH_PROMPTS", 50).max(1) as usize;
    let idle_secs = env_number("TGMUX_BENCH_IDLE_SECS", 60).max(1);
    let binary = PathBuf::from(env!("CARGO_BIN_EXE_tgmux"));
    assert!(
        binary.is_file(),
        "the tgmux binary is missing at {}; build it with `cargo build --release` \
         or run this with `cargo bench --bench latency`",
        binary.display()
    );
    let tmux_version = command_output("tmux", &["-V"])
        .map(|v| v.trim().to_owned())
        .unwrap_or_else(|| panic!("tmux is not installed or not on PATH; the bench needs it"));

    let api = BotApi::start().await;
    let sandbox = TmuxSandbox::new();
    let agent_command = format!("bash {}", sh_quote(agent("bench.sh")));
    let setup = BotSetup::new(&sandbox, agent_command.clone());
    let folders: Vec<PathBuf> = (0..sessions)
        .map(|i| setup.root.join(session_name(i)))
        .collect();
    // The second half of the sessions report Claude Code's events.
    let reporters = sessions / 2;
    let plain = sessions - reporters;
    let started = Instant::now();
    create_sessions(&sandbox, &setup, &folders[..plain], None);
    let claude = sandbox.path("bin/claude");
    fs::create_dir_all(sandbox.path("bin")).expect("create the bin folder");
    std::os::unix::fs::symlink(agent("bench.sh"), &claude).expect("link claude to bench.sh");
    create_sessions(
        &sandbox,
        &setup,
        &folders[plain..],
        Some((&claude, &binary)),
    );
    let create_time = started.elapsed();

    let (bot, hello) = BotProcess::start_ready(&api, &sandbox, &setup).await;
    assert!(
        hello.visible.contains(&format!("{sessions} live")),
        "the bot did not find the {sessions} sessions: {}",
        hello.visible
    );
    // Let the watcher take its first look at every pane.
    tokio::time::sleep(Duration::from_secs(2)).await;

    eprintln!(
        "latency: {sessions} sessions, {prompts} prompts, then {idle_secs} s idle (about {} s)",
        prompts as u64 * 1225 / 1000 + idle_secs + 5
    );
    let mut rounds = vec![0usize; sessions];
    // First, while the chat has seen nothing for a minute: a burst of
    // prompts opening at once (later, the one-by-one prompts have used up
    // the chat's 60 messages a minute), and /ls of every session.
    let burst = measure_burst(&api, &folders, &mut rounds).await;
    // The burst filled the chat's ten messages a second: without this pause
    // /ls would wait for the first of them to be a second old.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (list_ms, list_messages) = measure_list(&api).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut prompt_ms = Vec::new();
    let mut events_prompt_ms = Vec::new();
    let mut tap_ms = Vec::new();
    let mut next_at = Instant::now();
    for i in 0..prompts {
        // Even prompts in the plain half, odd ones in the reporting half.
        let s = match (i % 2, reporters) {
            (1, 1..) => plain + (i / 2) % reporters,
            _ => (i / 2) % plain,
        };
        rounds[s] += 1;
        let round = rounds[s];
        tokio::time::sleep_until(next_at.into()).await;
        let (prompt, tap, sent_at) = sample(&api, &folders[s], &session_name(s), round).await;
        if s < plain {
            prompt_ms.push(prompt);
        } else {
            events_prompt_ms.push(prompt);
        }
        tap_ms.push(tap);
        next_at = sent_at + SPACING + Duration::from_millis((i as u64 * 97) % 251);
    }

    // Let the last answer settle, then watch the bot do nothing.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let idle = measure_idle(&api, &sandbox, bot.pid(), Duration::from_secs(idle_secs)).await;
    let status = bot.stop();
    assert!(status.success(), "tgmux exited with {status}");

    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!();
    println!(
        "tgmux latency bench: {sessions} live sessions; release build; {tmux_version}; {cpus} CPUs"
    );
    println!(
        "({} sessions created in {:.1} s; {prompts} prompts, each answered by a tap)",
        sessions,
        create_time.as_secs_f64()
    );
    println!();
    println!(
        "{:<34} {:>8} {:>8} {:>8}   target",
        "latency", "median", "p95", "max"
    );
    print_latency(
        "prompt on screen -> sendMessage",
        &prompt_ms,
        PROMPT_TARGET_MS,
    );
    if !events_prompt_ms.is_empty() {
        print_latency(
            "  the same, with Claude's events",
            &events_prompt_ms,
            PROMPT_TARGET_MS,
        );
    }
    print_latency("tap -> key read in the pane", &tap_ms, TAP_TARGET_MS);
    println!();
    println!(
        "burst: {} prompts opening at once -> the last on the phone  {:>6.0} ms   target < {BURST_TARGET_MS} ms  {}",
        burst.len(),
        burst.iter().copied().fold(0.0, f64::max),
        if burst.iter().all(|ms| *ms < BURST_TARGET_MS) {
            "ok"
        } else {
            "MISSED"
        }
    );
    println!(
        "/ls of {sessions} sessions -> reply on the phone          {list_ms:>6.0} ms   ({list_messages} message with page buttons)"
    );
    println!();
    println!(
        "idle, {sessions} sessions, {:.0} s ({} Bot API calls besides getUpdates)",
        idle.secs, idle.other_calls
    );
    let verdict = |ok: bool| if ok { "ok" } else { "MISSED" };
    println!(
        "  tgmux CPU, own threads           {:>6.2} % of a core   target < {CPU_TARGET_PERCENT} %  {}",
        idle.bot_cpu,
        verdict(idle.bot_cpu < CPU_TARGET_PERCENT)
    );
    println!(
        "  tgmux CPU, with its tmux clients {:>6.2} % of a core   target < {CPU_TARGET_PERCENT} %  {}",
        idle.bot_cpu + idle.clients_cpu,
        verdict(idle.bot_cpu + idle.clients_cpu < CPU_TARGET_PERCENT)
    );
    println!(
        "  tmux server CPU                  {:>6.2} % of a core   (not tgmux's, caused by its polling)",
        idle.server_cpu
    );
    println!(
        "  tgmux memory, RSS                {:>6.1} MB            target < {RSS_TARGET_MB} MB  {}",
        idle.rss_mb,
        verdict(idle.rss_mb < RSS_TARGET_MB)
    );
    println!("  tgmux memory, peak RSS (VmHWM)   {:>6.1} MB", idle.hwm_mb);
}

/// How long until the last of a burst of prompts opening at once is on the
/// phone: one prompt in each of the first [`BURST`] sessions, triggered
/// together; each then answered with a tap. Milliseconds per prompt, from
/// the trigger to its `sendMessage`.
async fn measure_burst(api: &BotApi, folders: &[PathBuf], rounds: &mut [usize]) -> Vec<f64> {
    let n = BURST.min(folders.len());
    let clock = Instant::now();
    let triggers: Vec<_> = folders[..n]
        .iter()
        .map(|f| tokio::spawn(trigger(f.join("go"))))
        .collect();
    for t in triggers {
        t.await.expect("a trigger panicked");
    }
    let mut arrived = Vec::new();
    for s in 0..n {
        let heading = format!("❓ {} is waiting", session_name(s));
        let message = api
            .wait_for_message(WAIT, |m| m.at > clock && m.visible.starts_with(&heading))
            .await;
        arrived.push(message);
    }
    // Only once all are on the phone: the answers, so they do not slow the burst.
    for (s, message) in arrived.iter().enumerate() {
        rounds[s] += 1;
        let query = api.tap_button(ALICE, message.message_id, "Yes");
        api.wait_for_callback_answer(&query, WAIT).await;
        wait_for_line(&folders[s].join("events"), &format!("key {} ", rounds[s])).await;
    }
    arrived
        .iter()
        .map(|m| (m.at - clock).as_secs_f64() * 1000.0)
        .collect()
}

/// `/ls` with every session: time until its reply is on the phone, and how
/// many messages it took.
async fn measure_list(api: &BotApi) -> (f64, usize) {
    let clock = Instant::now();
    let mark = api.send_text(ALICE, "/ls");
    let reply = api
        .wait_for_message(WAIT, |m| {
            m.message_id > mark && m.text.contains(&format!("<b>{}</b> · ", session_name(0)))
        })
        .await;
    let messages = api
        .sent_messages()
        .iter()
        .filter(|m| m.message_id > mark && m.at <= reply.at)
        .count();
    ((reply.at - clock).as_secs_f64() * 1000.0, messages)
}

/// Starts one bench agent per folder through the session manager, as `/new`
/// does; with `claude`, through that link to it and wired to report its
/// events to the `tgmux` binary given.
fn create_sessions(
    sandbox: &TmuxSandbox,
    setup: &BotSetup,
    folders: &[PathBuf],
    claude: Option<(&Path, &Path)>,
) {
    for folder in folders {
        fs::create_dir_all(folder).expect("create a session folder");
        let fifo = folder.join("go");
        let made = Command::new("mkfifo").arg(&fifo).status();
        assert!(made.is_ok_and(|s| s.success()), "mkfifo {}", fifo.display());
    }
    let store = Store::open(&setup.data_dir).expect("open the store");
    let settings = Settings {
        roots: vec![setup.root.clone()],
        agent: claude.map_or_else(|| setup.agent.clone(), |(link, _)| sh_quote(link)),
        env: Vec::new(),
        home: None,
        events: claude.map(|(_, tgmux)| EventsSetup {
            data_dir: setup.data_dir.clone(),
            tgmux: tgmux.to_path_buf(),
        }),
    };
    let manager = Manager::new(Arc::new(sandbox.driver()), store, settings, Events::none());
    for folder in folders {
        let name = folder.file_name().and_then(|n| n.to_str()).expect("name");
        let record = manager
            .create(Some(name), None, None)
            .unwrap_or_else(|e| panic!("create session {name}: {e}"));
        assert_eq!(record.name.as_str(), name);
        // Decisions only: a reporting agent's turn (its PreToolUse starts
        // one) would end in a message of its own, and those would use up
        // the chat's 60 messages a minute that the prompts are timed by.
        manager
            .set_level(record.id, Level::Decisions)
            .unwrap_or_else(|e| panic!("set the level of {name}: {e}"));
    }
    for folder in folders {
        support::wait_until(WAIT, "an agent to start", || {
            command_output(
                "tmux",
                &[
                    "-L",
                    sandbox.socket(),
                    "capture-pane",
                    "-p",
                    "-t",
                    &format!("={}:", folder.file_name().unwrap().to_string_lossy()),
                ],
            )
            .is_some_and(|s| s.contains("Ready."))
        });
    }
}

/// One prompt in the session in `folder`, answered by a tap: returns the
/// prompt and tap latencies in ms, and when the decision message arrived.
async fn sample(api: &BotApi, folder: &Path, name: &str, round: usize) -> (f64, f64, Instant) {
    let events = folder.join("events");
    let (clock, wall) = (Instant::now(), wall_us(SystemTime::now()));
    trigger(folder.join("go")).await;
    let heading = format!("❓ {name} is waiting");
    let message = api
        .wait_for_message(WAIT, |m| m.at > clock && m.visible.starts_with(&heading))
        .await;
    let sent_us = wall + i128::try_from((message.at - clock).as_micros()).expect("fits");
    let shown_us = wait_for_event(&events, &format!("shown {round} ")).await;

    let tapped_us = wall_us(SystemTime::now());
    let query = api.tap_button(ALICE, message.message_id, "Yes");
    let key_line = wait_for_line(&events, &format!("key {round} ")).await;
    let mut words = key_line.split_whitespace().skip(2);
    let key = words.next().unwrap_or_default();
    assert_eq!(key, "enter", "{name} got the wrong key: {key_line}");
    let keyed_us = parse_epoch_us(words.next().unwrap_or_default());
    let answer = api.wait_for_callback_answer(&query, WAIT).await;
    assert!(
        answer
            .text
            .as_deref()
            .is_some_and(|t| t.starts_with("Sent")),
        "the tap on {name} was refused: {:?}",
        answer.text
    );
    (ms(sent_us - shown_us), ms(keyed_us - tapped_us), message.at)
}

/// Writes a line to an agent's FIFO (the open waits for the agent to read).
async fn trigger(fifo: PathBuf) {
    let write = tokio::task::spawn_blocking(move || {
        let mut pipe = fs::OpenOptions::new().write(true).open(&fifo)?;
        pipe.write_all(b"go\n")
    });
    tokio::time::timeout(WAIT, write)
        .await
        .expect("an agent did not read its FIFO in time")
        .expect("the FIFO writer panicked")
        .expect("write to an agent's FIFO");
}

/// Waits for a line of `events` starting with `prefix`; returns the line.
async fn wait_for_line(events: &Path, prefix: &str) -> String {
    let deadline = Instant::now() + WAIT;
    loop {
        let text = fs::read_to_string(events).unwrap_or_default();
        if let Some(line) = text.lines().find(|l| l.starts_with(prefix)) {
            return line.to_owned();
        }
        assert!(
            Instant::now() < deadline,
            "no `{prefix}` line in {}",
            events.display()
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// The time on the `shown` line of `events` that starts with `prefix`.
async fn wait_for_event(events: &Path, prefix: &str) -> i128 {
    let line = wait_for_line(events, prefix).await;
    parse_epoch_us(line.split_whitespace().nth(2).unwrap_or_default())
}

/// `$EPOCHREALTIME` (seconds with six decimals, `.` or `,` as the locale
/// has it) in microseconds.
fn parse_epoch_us(text: &str) -> i128 {
    let (secs, frac) = text
        .split_once(['.', ','])
        .unwrap_or_else(|| panic!("not an $EPOCHREALTIME: {text:?}"));
    let secs: i128 = secs.parse().expect("seconds");
    let frac = format!("{frac:0<6}");
    let micros: i128 = frac[..6].parse().expect("microseconds");
    secs * 1_000_000 + micros
}

fn wall_us(at: SystemTime) -> i128 {
    let since = at.duration_since(UNIX_EPOCH).expect("clock after 1970");
    i128::try_from(since.as_micros()).expect("fits")
}

fn ms(us: i128) -> f64 {
    us as f64 / 1000.0
}

/// What the bot and tmux cost while nothing happens.
struct Idle {
    secs: f64,
    bot_cpu: f64,
    clients_cpu: f64,
    server_cpu: f64,
    rss_mb: f64,
    hwm_mb: f64,
    other_calls: usize,
}

async fn measure_idle(api: &BotApi, sandbox: &TmuxSandbox, pid: u32, span: Duration) -> Idle {
    let server =
        String::from_utf8_lossy(&sandbox.tmux(&["display-message", "-p", "#{pid}"]).stdout)
            .trim()
            .parse::<u32>()
            .expect("the tmux server's pid");
    let ticks_per_sec = command_output("getconf", &["CLK_TCK"])
        .and_then(|s| s.trim().parse::<f64>().ok())
        .unwrap_or(100.0);
    let (bot_before, server_before) = (cpu_ticks(pid), cpu_ticks(server));
    let start = Instant::now();
    let mut rss_kb = 0;
    while start.elapsed() < span {
        tokio::time::sleep(Duration::from_secs(1).min(span)).await;
        rss_kb = rss_kb.max(status_kb(pid, "VmRSS"));
    }
    let (bot_after, server_after) = (cpu_ticks(pid), cpu_ticks(server));
    let secs = start.elapsed().as_secs_f64();
    let percent = |ticks: u64| ticks as f64 / ticks_per_sec / secs * 100.0;
    let other_calls = api
        .calls()
        .iter()
        .filter(|c| c.at >= start && !c.method.eq_ignore_ascii_case("getUpdates"))
        .count();
    Idle {
        secs,
        bot_cpu: percent(bot_after.own - bot_before.own),
        clients_cpu: percent(bot_after.children - bot_before.children),
        server_cpu: percent(server_after.own - server_before.own),
        rss_mb: rss_kb as f64 / 1024.0,
        hwm_mb: status_kb(pid, "VmHWM") as f64 / 1024.0,
        other_calls,
    }
}

/// CPU time of a process in clock ticks: its own, and its reaped children's.
struct Ticks {
    own: u64,
    children: u64,
}

fn cpu_ticks(pid: u32) -> Ticks {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat"))
        .unwrap_or_else(|e| panic!("read /proc/{pid}/stat: {e}"));
    // Fields after the command name, which is in parentheses; field 3 first.
    let rest = &stat[stat.rfind(')').expect("a stat line") + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |n: usize| -> u64 { fields[n - 3].parse().expect("a number") };
    Ticks {
        own: field(14) + field(15),
        children: field(16) + field(17),
    }
}

fn status_kb(pid: u32, key: &str) -> u64 {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

fn print_latency(what: &str, samples: &[f64], target_ms: f64) {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    let median = if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    };
    // Nearest rank.
    let p95 = sorted[(n * 95).div_ceil(100).max(1) - 1];
    let max = sorted[n - 1];
    let verdict = if p95 < target_ms { "ok" } else { "MISSED" };
    println!(
        "{what:<34} {median:>5.0} ms {p95:>5.0} ms {max:>5.0} ms   p95 < {target_ms} ms  {verdict}  (n = {n})"
    );
}

fn session_name(i: usize) -> String {
    format!("p{i:02}")
}

fn env_number(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(v) => v
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name} must be a whole number, not {v:?}")),
        Err(_) => default,
    }
}

fn command_output(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}
