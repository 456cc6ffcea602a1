//! The local command line: `tgmux --help`, `tgmux ls` and `tgmux doctor`.

mod support;

use std::process::{Command, Output};

use support::botapi::BotApi;
use tgmux::session::{SessionName, SessionRecord, Store};

fn tgmux(args: &[&str], env: &[(&str, &str)]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_tgmux"));
    command
        .args(args)
        .current_dir(dir.path())
        .env_remove("TELEGRAM_BOT_TOKEN");
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn help_lists_the_commands() {
    let out = tgmux(&["--help"], &[]);
    assert!(out.status.success());
    let help = text(&out);
    for command in ["run", "doctor", "ls"] {
        assert!(help.contains(command), "{help}");
    }
}

#[test]
fn ls_prints_the_store_as_a_table() {
    let data = tempfile::tempdir().unwrap();
    let store = Store::open(data.path()).unwrap();
    store
        .update(|records| {
            let mut web = SessionRecord::new(
                SessionName::parse("webapp").unwrap(),
                "/srv/webapp".into(),
                None,
                "claude".into(),
            );
            web.activate(None).unwrap();
            let mut api = SessionRecord::new(
                SessionName::parse("api").unwrap(),
                "/srv/api".into(),
                None,
                "aider".into(),
            );
            api.activate(None).unwrap();
            api.stop(Some(3)).unwrap();
            let mut old = SessionRecord::new(
                SessionName::parse("old").unwrap(),
                "/srv/old".into(),
                None,
                "sh".into(),
            );
            old.activate(None).unwrap();
            old.stop(None).unwrap();
            old.remove().unwrap();
            records.extend([web, api, old]);
            Ok::<_, tgmux::session::StoreError>(())
        })
        .unwrap();
    let dir = data.path().to_str().unwrap();

    let out = tgmux(&["ls"], &[("TGMUX_DATA_DIR", dir)]);
    assert!(out.status.success(), "{}", text(&out));
    let table = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 3, "{table}");
    assert!(
        lines[0].starts_with("NAME") && lines[0].contains("FOLDER") && lines[0].contains("AGENT")
    );
    assert!(
        lines[1].starts_with("webapp")
            && lines[1].contains("active")
            && lines[1].contains("/srv/webapp")
    );
    assert!(
        lines[2].contains("stopped (3)") && lines[2].ends_with("aider"),
        "{table}"
    );

    let all = tgmux(&["ls", "--all"], &[("TGMUX_DATA_DIR", dir)]);
    assert!(String::from_utf8(all.stdout).unwrap().contains("removed"));
}

#[test]
fn ls_names_a_corrupt_store_and_keeps_it() {
    let data = tempfile::tempdir().unwrap();
    std::fs::write(data.path().join("sessions.json"), "{ not json").unwrap();
    let out = tgmux(
        &["ls"],
        &[("TGMUX_DATA_DIR", data.path().to_str().unwrap())],
    );
    assert!(!out.status.success());
    let message = text(&out);
    assert!(message.contains("sessions.json.corrupt-"), "{message}");
    let moved = std::fs::read_dir(data.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .find(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("sessions.json.corrupt-")
        })
        .expect("the bad file is kept aside");
    assert_eq!(std::fs::read_to_string(moved.path()).unwrap(), "{ not json");
}

#[tokio::test(flavor = "multi_thread")]
async fn doctor_checks_the_setup() {
    let api = BotApi::start().await;
    let data = tempfile::tempdir().unwrap();
    let url = api.url();
    let base = [
        ("TELEGRAM_BOT_TOKEN", api.token()),
        ("TGMUX_API_URL", url.as_str()),
        ("TGMUX_DATA_DIR", data.path().to_str().unwrap()),
        ("TGMUX_AGENT", "sh -i"),
    ];
    let with = |extra: &[(&'static str, &'static str)]| {
        let mut env: Vec<(&str, &str)> = base.to_vec();
        env.extend_from_slice(extra);
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        tokio::task::spawn_blocking(move || {
            let env: Vec<(&str, &str)> =
                env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            tgmux(&["doctor"], &env)
        })
    };

    let out = with(&[("TGMUX_ALLOWED_USERS", "42")]).await.unwrap();
    let report = text(&out);
    assert!(out.status.success(), "{report}");
    for expected in [
        "ok   tmux 3",
        "ok   token accepted by Telegram: @tgmux_test_bot",
        "1 allowed user",
        "is writable",
        "agent `sh` found",
    ] {
        assert!(report.contains(expected), "{expected}: {report}");
    }

    let out = with(&[("TGMUX_AGENT", "no-such-agent-xyz")]).await.unwrap();
    let report = text(&out);
    assert!(!out.status.success());
    assert!(report.contains("FAIL no allowed users"), "{report}");
    assert!(
        report.contains("FAIL agent `no-such-agent-xyz` is not on PATH"),
        "{report}"
    );

    let out = with(&[("TGMUX_ALLOWED_USERS", "42"), ("PATH", "/nonexistent")])
        .await
        .unwrap();
    let report = text(&out);
    assert!(report.contains("FAIL tmux is not installed"), "{report}");
}
