//! The local command line: `tgmux --help`, `tgmux ls` and `tgmux doctor`.

mod support;

use std::process::{Command, Output};

use support::botapi::{AdminRights, BOT_ID, BotApi, GroupKind, Membership};
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
fn ls_names_a_corrupt_store_and_only_reads() {
    let data = tempfile::tempdir().unwrap();
    std::fs::write(data.path().join("sessions.json"), "{ not json").unwrap();
    let out = tgmux(
        &["ls"],
        &[("TGMUX_DATA_DIR", data.path().to_str().unwrap())],
    );
    assert!(!out.status.success());
    let message = text(&out);
    assert!(
        message.contains("could not be parsed")
            && message.contains("`tgmux run` will move it aside"),
        "{message}"
    );
    let files: Vec<String> = std::fs::read_dir(data.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(files, ["sessions.json"], "nothing moved, nothing made");
    assert_eq!(
        std::fs::read_to_string(data.path().join("sessions.json")).unwrap(),
        "{ not json"
    );
}

#[test]
fn doctor_and_ls_end_quietly_when_stdout_closes() {
    let data = tempfile::tempdir().unwrap();
    let script = format!(
        "TGMUX_DATA_DIR={} {} doctor | head -c 1 >/dev/null; echo \"${{PIPESTATUS[0]}}\"",
        data.path().display(),
        env!("CARGO_BIN_EXE_tgmux")
    );
    let out = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    let status = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert!(
        status == "0" || status == "1",
        "an exit, not a panic (101): {status}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn doctor_checks_the_setup() {
    let api = BotApi::start().await;
    // The data folder is in a folder anyone may write to, as /tmp is.
    let open = tempfile::tempdir().unwrap();
    std::fs::set_permissions(
        open.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o777),
    )
    .unwrap();
    let data = open.path().join("data");
    let open_note = format!(
        "note {} above the data folder may be written by others: Gemini CLI then skips",
        open.path().display()
    );
    let url = api.url();
    let base = [
        ("TELEGRAM_BOT_TOKEN", api.token()),
        ("TGMUX_API_URL", url.as_str()),
        ("TGMUX_DATA_DIR", data.to_str().unwrap()),
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
        &open_note,
    ] {
        assert!(report.contains(expected), "{expected}: {report}");
    }

    let out = with(&[("TGMUX_AGENT", "no-such-agent-xyz")]).await.unwrap();
    let report = text(&out);
    assert!(!out.status.success());
    assert!(
        report.contains("note no allowed users yet: `tgmux run` prints a one-time pairing code"),
        "pairing is a normal set-up: {report}"
    );
    assert!(!report.contains("FAIL no allowed users"), "{report}");
    assert!(
        report.contains("FAIL agent `no-such-agent-xyz` is not on PATH"),
        "{report}"
    );

    // Every check runs, even after failures, and each bad value is named.
    let out = with(&[
        ("TGMUX_ALLOWED_USERS", "12;13"),
        ("TGMUX_MAX_FILE_MB", "lots"),
    ])
    .await
    .unwrap();
    let report = text(&out);
    assert!(!out.status.success());
    assert!(
        report.contains("FAIL TGMUX_ALLOWED_USERS is invalid: `12;13` is not a numeric user id"),
        "{report}"
    );
    assert!(
        report.contains("FAIL TGMUX_MAX_FILE_MB is invalid"),
        "{report}"
    );
    assert!(
        report.contains("is writable") && report.contains("agent `sh` found"),
        "{report}"
    );

    // Telegram out of reach: the report says where to look.
    let out = with(&[
        ("TGMUX_ALLOWED_USERS", "42"),
        ("TGMUX_API_URL", "http://127.0.0.1:9"),
    ])
    .await
    .unwrap();
    let report = text(&out);
    assert!(
        report.contains("check the network, a proxy (HTTPS_PROXY), or TGMUX_API_URL"),
        "{report}"
    );
    assert!(
        report.contains("ok   sessions may run under"),
        "the roots: {report}"
    );

    let out = with(&[("TGMUX_ALLOWED_USERS", "42"), ("PATH", "/nonexistent")])
        .await
        .unwrap();
    let report = text(&out);
    assert!(report.contains("FAIL tmux is not installed"), "{report}");
}

#[tokio::test(flavor = "multi_thread")]
async fn doctor_checks_the_sessions_group() {
    let api = BotApi::start().await;
    let data = tempfile::tempdir().unwrap();
    let forum = api.create_group(GroupKind::Forum, "Agents", &[42]);
    let plain = api.create_group(GroupKind::Supergroup, "Plain", &[42]);
    let url = api.url();
    let doctor = |chat: i64| {
        let env: Vec<(String, String)> = [
            ("TELEGRAM_BOT_TOKEN", api.token().to_owned()),
            ("TGMUX_API_URL", url.clone()),
            ("TGMUX_DATA_DIR", data.path().display().to_string()),
            ("TGMUX_AGENT", "sh -i".to_owned()),
            ("TGMUX_ALLOWED_USERS", "42".to_owned()),
            ("TGMUX_CHAT", chat.to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        tokio::task::spawn_blocking(move || {
            let env: Vec<(&str, &str)> =
                env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            tgmux(&["doctor"], &env)
        })
    };
    let lines = |out: &Output| -> Vec<String> {
        text(out)
            .lines()
            .filter(|l| l.contains("group") || l.contains("the bot"))
            .map(str::to_owned)
            .collect()
    };

    let out = doctor(forum).await.unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        lines(&out),
        [
            "ok   sessions group \"Agents\" has topics",
            "ok   the bot may manage topics",
            "ok   the bot may pin messages",
        ]
    );

    let narrow = AdminRights {
        can_manage_topics: true,
        ..AdminRights::default()
    };
    api.set_member(forum, BOT_ID, Membership::Administrator(narrow));
    let out = doctor(forum).await.unwrap();
    assert!(!out.status.success());
    assert_eq!(
        lines(&out)[2],
        "FAIL the bot may not pin messages: in the group's settings, make the bot an administrator with \"Pin messages\""
    );
    api.set_member(forum, BOT_ID, Membership::Member);
    let out = doctor(forum).await.unwrap();
    assert_eq!(
        lines(&out)[1],
        "FAIL the bot is not an administrator of \"Agents\": in the group's settings, make the bot an administrator with \"Manage topics\" and \"Pin messages\""
    );

    let out = doctor(plain).await.unwrap();
    assert_eq!(
        lines(&out)[0],
        "FAIL sessions group \"Plain\" has no topics: in its settings, turn on Topics"
    );
    let out = doctor(-1_009_999_999_999).await.unwrap();
    let report = lines(&out);
    assert!(
        report[0].starts_with("FAIL sessions group -1009999999999 (TGMUX_CHAT):")
            && report[0].ends_with("check the id and add the bot to the group"),
        "{report:?}"
    );
}
