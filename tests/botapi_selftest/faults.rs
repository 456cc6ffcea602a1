//! Failures on demand: 500 and 502 bodies, hung requests, outages.

use std::time::{Duration, Instant};

use serde_json::json;
use teloxide::{ApiError, RequestError, prelude::*};

use super::{SECS, USER, raw_post, raw_request};
use crate::support::botapi::{BotApi, Fault};

#[tokio::test(flavor = "multi_thread")]
async fn server_errors_have_telegram_bodies() {
    let api = BotApi::start().await;
    let path = format!("/bot{}/getMe", api.token());
    api.fail_next("getMe", 1, Fault::InternalError);
    api.fail_next("getMe", 1, Fault::BadGateway);
    api.fail_next("getMe", 1, Fault::BadGatewayPage);

    assert_eq!(
        raw_post(&api, &path).await,
        (
            500,
            json!({"ok": false, "error_code": 500, "description": "Internal Server Error: restart"})
        )
    );
    assert_eq!(
        raw_post(&api, &path).await,
        (
            502,
            json!({"ok": false, "error_code": 502, "description": "Bad Gateway"})
        )
    );
    let (status, page) = raw_request(&api, &path).await.unwrap();
    assert_eq!(status, 502);
    assert!(
        page.starts_with("<html>\r\n<head><title>502 Bad Gateway</title></head>"),
        "{page}"
    );
    assert_eq!(raw_post(&api, &path).await.0, 200);

    let errors: Vec<_> = api.calls().into_iter().map(|c| c.error).collect();
    assert_eq!(
        errors,
        [
            Some("injected fault: InternalError".to_owned()),
            Some("injected fault: BadGateway".to_owned()),
            Some("injected fault: BadGatewayPage".to_owned()),
            None
        ]
    );
}

/// What tgmux sees: teloxide sleeps 10 s on any 5xx, then reports it.
#[tokio::test(flavor = "multi_thread")]
async fn teloxide_reports_server_errors_after_its_sleep() {
    let api = BotApi::start().await;
    let bot = api.bot();
    api.fail_next("getMe", 1, Fault::InternalError);
    api.fail_next("getMyCommands", 1, Fault::BadGateway);
    api.fail_next("getWebhookInfo", 1, Fault::BadGatewayPage);
    let started = Instant::now();
    let (internal, gateway, page) = tokio::join!(
        bot.get_me().send(),
        bot.get_my_commands().send(),
        bot.get_webhook_info().send()
    );
    assert!(started.elapsed() >= Duration::from_secs(10));
    let internal = internal.unwrap_err();
    assert!(
        matches!(&internal, RequestError::Api(ApiError::Unknown(d)) if d == "Internal Server Error: restart"),
        "{internal:?}"
    );
    let gateway = gateway.unwrap_err();
    assert!(
        matches!(&gateway, RequestError::Api(ApiError::Unknown(d)) if d == "Bad Gateway"),
        "{gateway:?}"
    );
    let page = page.unwrap_err();
    assert!(
        matches!(&page, RequestError::InvalidJson { raw, .. } if raw.starts_with("<html>")),
        "{page:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn hang_holds_the_request_then_drops_it() {
    let api = BotApi::start().await;
    api.fail_next("sendMessage", 1, Fault::Hang(Duration::from_secs(1)));
    let started = Instant::now();
    let err = api
        .bot()
        .send_message(ChatId(USER), "slow")
        .await
        .unwrap_err();
    let took = started.elapsed();
    assert!(matches!(err, RequestError::Network(_)), "{err:?}");
    assert!(
        took >= Duration::from_millis(950) && took < Duration::from_secs(3),
        "{took:?}"
    );

    // A client with a shorter timeout gives up first; the server stops
    // without waiting out the hold.
    let client = teloxide::net::default_reqwest_settings()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let impatient = Bot::with_client(api.token(), client).set_api_url(api.url().parse().unwrap());
    api.fail_next("sendMessage", 1, Fault::Hang(Duration::from_secs(60)));
    let err = impatient
        .send_message(ChatId(USER), "slower")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, RequestError::Network(e) if e.is_timeout()),
        "{err:?}"
    );
    let errors: Vec<_> = api.calls().into_iter().map(|c| c.error).collect();
    assert_eq!(
        errors,
        [
            Some("injected fault: Hang(1s)".to_owned()),
            Some("injected fault: Hang(60s)".to_owned())
        ]
    );
    assert!(api.sent_messages().is_empty());
    let stopping = Instant::now();
    api.shutdown().await;
    assert!(stopping.elapsed() < SECS, "{:?}", stopping.elapsed());
}

/// How one raw `getMe` attempt went during an outage.
#[derive(Debug, PartialEq)]
enum Attempt {
    Dropped,
    Status(u16),
}

#[tokio::test(flavor = "multi_thread")]
async fn outages_fail_every_call_until_they_end() {
    let api = BotApi::start().await;
    let path = format!("/bot{}/getMe", api.token());
    let started = Instant::now();
    api.down_for(Duration::from_millis(400), Fault::Drop);
    api.down_for(Duration::from_millis(400), Fault::BadGateway);

    let mut attempts = Vec::new();
    loop {
        let began = started.elapsed();
        let attempt = match raw_request(&api, &path).await {
            None => Attempt::Dropped,
            Some((status, _)) => Attempt::Status(status),
        };
        // When the attempt began: a failure must begin inside the outage, a
        // success may end after it however slow the machine is.
        attempts.push((attempt, began, started.elapsed()));
        if attempts.last().unwrap().0 == Attempt::Status(200) {
            break;
        }
        assert!(started.elapsed() < SECS, "{attempts:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let kinds: Vec<&Attempt> = attempts.iter().map(|(a, _, _)| a).collect();
    let dropped = kinds
        .iter()
        .take_while(|a| ***a == Attempt::Dropped)
        .count();
    let gateway = kinds[dropped..]
        .iter()
        .take_while(|a| ***a == Attempt::Status(502))
        .count();
    assert!(dropped >= 3 && gateway >= 3, "{attempts:?}");
    assert_eq!(dropped + gateway + 1, attempts.len(), "{attempts:?}");
    let (_, last_failure, _) = attempts[attempts.len() - 2];
    assert!(last_failure < Duration::from_millis(800), "{attempts:?}");
    let (_, _, first_success) = attempts[attempts.len() - 1];
    assert!(first_success >= Duration::from_millis(800), "{attempts:?}");

    // Every attempt is recorded, with its fault.
    let calls = api.calls();
    assert_eq!(calls.len(), attempts.len());
    assert_eq!(
        calls[0].error.as_deref(),
        Some("injected fault: Drop"),
        "{calls:?}"
    );
    assert_eq!(
        calls[dropped].error.as_deref(),
        Some("injected fault: BadGateway")
    );
    assert_eq!(calls.last().unwrap().error, None);

    // An outage covers every method, and back_up ends it early.
    api.down_for(Duration::from_secs(60), Fault::Drop);
    let bot = api.bot();
    let err = bot.send_message(ChatId(USER), "down").await.unwrap_err();
    assert!(matches!(err, RequestError::Network(_)), "{err:?}");
    api.back_up();
    bot.send_message(ChatId(USER), "up").await.unwrap();
    let sent: Vec<_> = api.sent_messages().into_iter().map(|m| m.text).collect();
    assert_eq!(sent, ["up"]);
}
