//! A loopback stand-in for the Gemini API (`/v1beta/models/...`), as Gemini
//! CLI calls it when `GOOGLE_GEMINI_BASE_URL` points here.
//!
//! The agent's turns (`{model}:streamGenerateContent?alt=sse`) are answered
//! from a script, one reply per request, and recorded so a test can assert
//! on what the CLI sent back (its tool results). The CLI's side calls are
//! answered too, so it never waits: `generateContent` (its own helpers, such
//! as the session summary) gets a short text, `countTokens` an estimate, and
//! a model listing an empty list.

use std::{
    collections::VecDeque,
    sync::{Arc, Mutex, MutexGuard},
};

use axum::{
    Router,
    body::Bytes,
    extract::{DefaultBodyLimit, State},
    http::{Method, StatusCode, Uri, header::CONTENT_TYPE},
    response::{IntoResponse, Response},
};
use serde_json::{Value, json};

use super::super::served::Served;

/// What a turn gets once the script has run out.
pub const SCRIPT_DONE: &str = "The stand-in has no more replies.";
/// What the CLI's side calls (`generateContent`) get.
const SIDE_ANSWER: &str = "OK";
/// Largest request body accepted; a turn carries the whole conversation.
const MAX_BODY: usize = 16 * 1024 * 1024;

/// One scripted model reply.
#[derive(Clone, Debug, PartialEq)]
pub enum Reply {
    /// A text answer, which ends the agent's turn.
    Text(String),
    /// A call of one of the CLI's tools (`run_shell_command`, `write_file`,
    /// `replace`, ...) with these arguments.
    Call { name: String, args: Value },
}

impl Reply {
    /// A text answer.
    pub fn text(text: &str) -> Reply {
        Reply::Text(text.to_owned())
    }

    /// A call of tool `name` with `args`.
    pub fn call(name: &str, args: Value) -> Reply {
        Reply::Call {
            name: name.to_owned(),
            args,
        }
    }

    /// The reply as a Gemini content part.
    fn part(&self) -> Value {
        match self {
            Reply::Text(text) => json!({ "text": text }),
            Reply::Call { name, args } => json!({ "functionCall": { "name": name, "args": args } }),
        }
    }
}

/// One streamed turn the CLI asked for.
#[derive(Clone, Debug)]
pub struct Turn {
    /// The model named in the URL.
    pub model: String,
    /// The conversation sent (`contents`), oldest message first.
    pub contents: Vec<Value>,
}

impl Turn {
    /// The tool results in the last message of the conversation, as
    /// (tool name, response object) pairs.
    pub fn function_responses(&self) -> Vec<(String, Value)> {
        let Some(last) = self.contents.last() else {
            return Vec::new();
        };
        let parts = last["parts"].as_array().cloned().unwrap_or_default();
        parts
            .iter()
            .filter_map(|part| {
                let response = part.get("functionResponse")?;
                Some((
                    response["name"].as_str()?.to_owned(),
                    response["response"].clone(),
                ))
            })
            .collect()
    }

    /// The texts of the user's messages, in order (the CLI's own session
    /// context included).
    pub fn user_texts(&self) -> Vec<String> {
        self.contents
            .iter()
            .filter(|c| c["role"] == "user")
            .flat_map(|c| c["parts"].as_array().cloned().unwrap_or_default())
            .filter_map(|p| p["text"].as_str().map(str::to_owned))
            .collect()
    }
}

/// What the server keeps between requests.
#[derive(Default)]
struct Model {
    script: VecDeque<Reply>,
    turns: Vec<Turn>,
}

type Shared = Arc<Mutex<Model>>;

/// A running stand-in on 127.0.0.1; stops when dropped.
pub struct GeminiStandIn {
    shared: Shared,
    served: Served,
}

impl GeminiStandIn {
    /// Starts a stand-in on a free port, on the current tokio runtime, that
    /// answers the agent's turns with `script` in order.
    pub async fn start(script: Vec<Reply>) -> GeminiStandIn {
        let shared: Shared = Arc::new(Mutex::new(Model {
            script: script.into(),
            turns: Vec::new(),
        }));
        let app = Router::new()
            .fallback(handle)
            .layer(DefaultBodyLimit::max(MAX_BODY))
            .with_state(shared.clone());
        let served = Served::start("Gemini stand-in", app).await;
        GeminiStandIn { shared, served }
    }

    /// The base URL to give the CLI as `GOOGLE_GEMINI_BASE_URL`.
    pub fn url(&self) -> String {
        self.served.url()
    }

    /// Every streamed turn the CLI asked for so far.
    pub fn turns(&self) -> Vec<Turn> {
        lock(&self.shared).turns.clone()
    }
}

fn lock(shared: &Shared) -> MutexGuard<'_, Model> {
    shared.lock().unwrap_or_else(|e| e.into_inner())
}

/// Serves `GET /v1beta/models` and `POST /v1beta/models/{model}:{action}`.
async fn handle(State(shared): State<Shared>, method: Method, uri: Uri, body: Bytes) -> Response {
    let Some(rest) = uri.path().strip_prefix("/v1beta/models") else {
        return error(StatusCode::NOT_FOUND, &format!("no route {}", uri.path()));
    };
    if method == Method::GET && rest.is_empty() {
        return json_response(json!({ "models": [] }));
    }
    let Some((model, action)) = rest.trim_start_matches('/').rsplit_once(':') else {
        return error(StatusCode::NOT_FOUND, &format!("no route {}", uri.path()));
    };
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return error(StatusCode::BAD_REQUEST, "the body is not JSON");
    };
    match action {
        "streamGenerateContent" => {
            let reply = {
                let mut m = lock(&shared);
                m.turns.push(Turn {
                    model: model.to_owned(),
                    contents: request["contents"].as_array().cloned().unwrap_or_default(),
                });
                m.script
                    .pop_front()
                    .unwrap_or_else(|| Reply::text(SCRIPT_DONE))
            };
            let event = format!("data: {}\r\n\r\n", answer(model, &reply));
            ([(CONTENT_TYPE, "text/event-stream")], event).into_response()
        }
        "generateContent" => json_response(answer(model, &Reply::text(SIDE_ANSWER))),
        "countTokens" => {
            let tokens = body.len() / 4;
            json_response(json!({ "totalTokens": tokens }))
        }
        other => error(StatusCode::NOT_FOUND, &format!("no method {other}")),
    }
}

/// A whole `GenerateContentResponse` carrying `reply`.
fn answer(model: &str, reply: &Reply) -> Value {
    json!({
        "candidates": [{
            "content": { "role": "model", "parts": [reply.part()] },
            "finishReason": "STOP",
            "index": 0,
        }],
        "usageMetadata": {
            "promptTokenCount": 10,
            "candidatesTokenCount": 5,
            "totalTokenCount": 15,
        },
        "modelVersion": model,
    })
}

fn json_response(body: Value) -> Response {
    ([(CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

/// An error in the API's own shape.
fn error(status: StatusCode, message: &str) -> Response {
    let body = json!({
        "error": { "code": status.as_u16(), "message": message, "status": status.canonical_reason().unwrap_or("ERROR") },
    });
    (
        status,
        [(CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}
