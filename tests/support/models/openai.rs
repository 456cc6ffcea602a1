//! A loopback stand-in for the OpenAI API: the Responses API (Codex) and Chat
//! Completions (Aider), both streamed as server-sent events the way the real
//! API streams them. Each model turn takes the next [`Reply`] of the test's
//! script; every request is recorded so a test can assert what the agent sent
//! back (a tool's output, a file it was shown).
//!
//! Codex also asks the model for a thread title, with a JSON schema for the
//! answer (`text.format`); such a request is answered with [`TITLE`] and
//! does not take a turn of the script.

use std::sync::{Arc, Mutex, MutexGuard};

use axum::{
    Router,
    body::Bytes,
    http::{HeaderMap, StatusCode, Uri, header},
    response::{IntoResponse, Response},
};
use serde_json::{Value, json};

use super::super::served::Served;

/// The thread title given to Codex's title requests.
pub const TITLE: &str = "Stand-in task";

/// What the stand-in says once the script is used up.
const SCRIPT_DONE: &str = "The stand-in's script has no more turns.";

/// One model turn of the script.
#[derive(Clone, Debug)]
pub enum Reply {
    /// The assistant says this text and ends its turn.
    Text(String),
    /// The assistant calls the function `name` with these JSON arguments
    /// (Responses API only); its call id is `call_<turn>`, turns counted from 1.
    Call { name: String, arguments: Value },
}

impl Reply {
    pub fn text(text: impl Into<String>) -> Reply {
        Reply::Text(text.into())
    }

    pub fn call(name: impl Into<String>, arguments: Value) -> Reply {
        Reply::Call {
            name: name.into(),
            arguments,
        }
    }
}

/// Which API a request came in on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Api {
    Responses,
    ChatCompletions,
}

/// One request the agent made.
#[derive(Clone, Debug)]
pub struct Received {
    /// The `Authorization` header, as sent.
    pub authorization: Option<String>,
    pub body: Value,
    /// Whether it took a turn of the script (Codex's title requests do not).
    pub scripted: bool,
}

impl Received {
    /// The output the agent returned for function call `call_id`, if this
    /// request carries it (Responses API `function_call_output`).
    pub fn function_output(&self, call_id: &str) -> Option<&str> {
        self.body["input"].as_array()?.iter().find_map(|item| {
            (item["type"] == "function_call_output" && item["call_id"] == call_id)
                .then(|| item["output"].as_str())
                .flatten()
        })
    }

    /// The text of the last user message (Chat Completions or Responses).
    pub fn last_user_text(&self) -> Option<String> {
        let items = self.body["messages"]
            .as_array()
            .or_else(|| self.body["input"].as_array())?;
        let last = items.iter().rev().find(|item| item["role"] == "user")?;
        match &last["content"] {
            Value::String(text) => Some(text.clone()),
            Value::Array(parts) => Some(
                parts
                    .iter()
                    .filter_map(|part| part["text"].as_str())
                    .collect::<Vec<_>>()
                    .join("\n"),
            ),
            _ => None,
        }
    }
}

/// The running stand-in; stops when dropped.
pub struct OpenAi {
    shared: Arc<Shared>,
    served: Served,
}

/// The script and the record, shared by the handlers and the test.
#[derive(Default)]
struct State {
    script: Vec<Reply>,
    /// Turns taken so far.
    turns: usize,
    received: Vec<Received>,
}

struct Shared {
    state: Mutex<State>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl OpenAi {
    /// Starts a stand-in on 127.0.0.1 on a free port, on the current tokio
    /// runtime, answering model turns from `script` in order.
    pub async fn start(script: Vec<Reply>) -> OpenAi {
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                script,
                ..State::default()
            }),
        });
        let handler_state = shared.clone();
        let app = Router::new().fallback(move |uri: Uri, headers: HeaderMap, body: Bytes| {
            let shared = handler_state.clone();
            async move { handle(&shared, &uri, &headers, &body) }
        });
        let served = Served::start("loopback OpenAI stand-in", app).await;
        OpenAi { shared, served }
    }

    /// The API base URL to give the agent (ends in `/v1`).
    pub fn url(&self) -> String {
        format!("{}/v1", self.served.url())
    }

    /// Every request received so far, in order.
    pub fn received(&self) -> Vec<Received> {
        self.shared.lock().received.clone()
    }

    /// The requests that took a turn of the script, in order.
    pub fn turns(&self) -> Vec<Received> {
        self.received().into_iter().filter(|r| r.scripted).collect()
    }
}

/// Records the request and answers it from the script.
fn handle(shared: &Shared, uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Response {
    let api = if uri.path().ends_with("/responses") {
        Api::Responses
    } else if uri.path().ends_with("/chat/completions") {
        Api::ChatCompletions
    } else {
        return (StatusCode::NOT_FOUND, format!("no {} here", uri.path())).into_response();
    };
    let Ok(body) = serde_json::from_slice::<Value>(body) else {
        return (StatusCode::BAD_REQUEST, "the body is not JSON").into_response();
    };
    let wants_title = body["text"]["format"].is_object();
    let mut state = shared.lock();
    let reply = if wants_title {
        Reply::Text(json!({ "title": TITLE }).to_string())
    } else {
        state.turns += 1;
        let turn = state.turns;
        state
            .script
            .get(turn - 1)
            .cloned()
            .unwrap_or_else(|| Reply::text(SCRIPT_DONE))
    };
    let turn = state.turns;
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let streamed = body["stream"] == true;
    let model = body["model"].clone();
    state.received.push(Received {
        authorization,
        body,
        scripted: !wants_title,
    });
    drop(state);
    match api {
        Api::Responses => event_stream(responses_events(&reply, turn)),
        Api::ChatCompletions => chat_answer(&reply, &model, streamed),
    }
}

/// A `text/event-stream` response carrying `events`.
fn event_stream(events: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/event-stream"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        events,
    )
        .into_response()
}

/// A Responses API stream: created, one output item, completed with usage.
fn responses_events(reply: &Reply, turn: usize) -> String {
    let id = format!("resp_{turn}");
    let item = match reply {
        Reply::Text(text) => json!({
            "type": "message",
            "id": format!("msg_{turn}"),
            "role": "assistant",
            "content": [{ "type": "output_text", "text": text }],
        }),
        Reply::Call { name, arguments } => json!({
            "type": "function_call",
            "id": format!("fc_{turn}"),
            "call_id": format!("call_{turn}"),
            "name": name,
            "arguments": arguments.to_string(),
        }),
    };
    let usage = json!({
        "input_tokens": 100,
        "output_tokens": 20,
        "total_tokens": 120,
    });
    sse(&[
        json!({ "type": "response.created", "response": { "id": id } }),
        json!({ "type": "response.output_item.done", "output_index": 0, "item": item }),
        json!({ "type": "response.completed", "response": { "id": id, "usage": usage } }),
    ])
}

/// A Chat Completions answer: streamed chunks ending in `[DONE]`, or the
/// whole completion as JSON when the request did not ask for a stream.
fn chat_answer(reply: &Reply, model: &Value, streamed: bool) -> Response {
    let Reply::Text(text) = reply else {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            "the stand-in scripts no tool calls for Chat Completions",
        )
            .into_response();
    };
    if !streamed {
        let whole = json!({
            "id": "chatcmpl-standin",
            "object": "chat.completion",
            "created": 0,
            "model": model,
            "choices": [{
                "index": 0,
                "message": { "role": "assistant", "content": text },
                "finish_reason": "stop",
            }],
            "usage": { "prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120 },
        });
        return axum::Json(whole).into_response();
    }
    let chunk = |delta: Value, finish: Value| {
        json!({
            "id": "chatcmpl-standin",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": model,
            "choices": [{ "index": 0, "delta": delta, "finish_reason": finish }],
        })
    };
    let mut out = sse(&[
        chunk(json!({ "role": "assistant", "content": text }), Value::Null),
        chunk(json!({}), json!("stop")),
    ]);
    out.push_str("data: [DONE]\n\n");
    event_stream(out)
}

/// Server-sent events, each named after its `type` when it has one.
fn sse(events: &[Value]) -> String {
    let mut out = String::new();
    for event in events {
        if let Some(kind) = event["type"].as_str() {
            out.push_str(&format!("event: {kind}\n"));
        }
        out.push_str(&format!("data: {event}\n\n"));
    }
    out
}
