//! A loopback stand-in for an OpenAI-compatible transcription endpoint
//! (`POST /v1/audio/transcriptions`, multipart `file` + `model`). It checks
//! the Bearer key and the model as OpenAI would, records every request, and
//! answers as the test says: a text, a 500, or nothing at all.

use std::sync::{Arc, Mutex, MutexGuard};

use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::{HeaderMap, StatusCode, header::AUTHORIZATION};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router, routing::post};
use serde_json::json;

use super::served::Served;

/// The key the stand-in accepts.
pub const KEY: &str = "sk-test-transcription-key";
/// The model the stand-in serves.
pub const MODEL: &str = "whisper-test";

/// How the stand-in answers a request that passed its checks.
#[derive(Clone, Debug)]
pub enum Answer {
    /// `200 {"text": ...}`.
    Text(String),
    /// `500` with an OpenAI-style error message.
    Fail(String),
    /// No answer, ever.
    Hang,
}

/// One request as the stand-in read it.
#[derive(Clone, Debug, PartialEq)]
pub struct Heard {
    /// The `Authorization` header.
    pub authorization: Option<String>,
    /// The `model` field.
    pub model: Option<String>,
    /// The `response_format` field.
    pub response_format: Option<String>,
    /// The `file` part's file name.
    pub file_name: Option<String>,
    /// The `file` part's bytes.
    pub file: Vec<u8>,
}

struct Shared {
    answer: Answer,
    heard: Vec<Heard>,
}

/// A running stand-in on 127.0.0.1; stops on drop.
pub struct Transcriber {
    served: Served,
    shared: Arc<Mutex<Shared>>,
}

impl Transcriber {
    /// Starts on a free port, on the current tokio runtime, answering `answer`.
    pub async fn start(answer: Answer) -> Transcriber {
        let shared = Arc::new(Mutex::new(Shared {
            answer,
            heard: Vec::new(),
        }));
        let app = Router::new()
            .route("/v1/audio/transcriptions", post(transcribe))
            .layer(DefaultBodyLimit::max(25 * 1024 * 1024))
            .with_state(shared.clone());
        let served = Served::start("transcription stand-in", app).await;
        Transcriber { served, shared }
    }

    /// The API base to give the bot as `TGMUX_TRANSCRIBE_URL`.
    pub fn url(&self) -> String {
        format!("{}/v1", self.served.url())
    }

    /// The bot's settings for this stand-in: its URL, key and model, and
    /// `timeout_secs` to wait for an answer.
    pub fn env(&self, timeout_secs: u64) -> Vec<(String, String)> {
        [
            ("TGMUX_TRANSCRIBE_URL", self.url()),
            ("TGMUX_TRANSCRIBE_KEY", KEY.to_owned()),
            ("TGMUX_TRANSCRIBE_MODEL", MODEL.to_owned()),
            ("TGMUX_TRANSCRIBE_TIMEOUT_SECS", timeout_secs.to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }

    /// Answers the next requests with `answer`.
    pub fn answer(&self, answer: Answer) {
        self.lock().answer = answer;
    }

    /// Every request so far, oldest first.
    pub fn heard(&self) -> Vec<Heard> {
        self.lock().heard.clone()
    }

    fn lock(&self) -> MutexGuard<'_, Shared> {
        self.shared.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// OpenAI's shape of an error answer.
fn error(status: StatusCode, message: &str) -> Response {
    let body = json!({"error": {"message": message, "type": "invalid_request_error"}});
    (status, Json(body)).into_response()
}

async fn transcribe(
    State(shared): State<Arc<Mutex<Shared>>>,
    headers: HeaderMap,
    mut multipart: Multipart,
) -> Response {
    let mut heard = Heard {
        authorization: headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        model: None,
        response_format: None,
        file_name: None,
        file: Vec::new(),
    };
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) => return error(StatusCode::BAD_REQUEST, &format!("bad multipart: {e}")),
        };
        let name = field.name().unwrap_or_default().to_owned();
        let file_name = field.file_name().map(str::to_owned);
        let Ok(bytes) = field.bytes().await else {
            return error(StatusCode::BAD_REQUEST, "unreadable part");
        };
        let text = || String::from_utf8_lossy(&bytes).into_owned();
        match name.as_str() {
            "file" => {
                heard.file_name = file_name;
                heard.file = bytes.to_vec();
            }
            "model" => heard.model = Some(text()),
            "response_format" => heard.response_format = Some(text()),
            _ => {}
        }
    }
    let answer = {
        let mut shared = shared.lock().unwrap_or_else(|p| p.into_inner());
        shared.heard.push(heard.clone());
        shared.answer.clone()
    };
    if heard.authorization.as_deref() != Some(&format!("Bearer {KEY}")) {
        return error(StatusCode::UNAUTHORIZED, "Incorrect API key provided");
    }
    if heard.model.as_deref() != Some(MODEL) {
        return error(StatusCode::BAD_REQUEST, "model not found");
    }
    if heard.file.is_empty() || heard.file_name.is_none() {
        return error(StatusCode::BAD_REQUEST, "no file");
    }
    match answer {
        Answer::Text(text) => Json(json!({"text": text})).into_response(),
        Answer::Fail(message) => error(StatusCode::INTERNAL_SERVER_ERROR, &message),
        Answer::Hang => std::future::pending().await,
    }
}
