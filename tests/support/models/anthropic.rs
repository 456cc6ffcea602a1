//! A loopback stand-in for the Anthropic Messages API, for the real Claude
//! Code CLI (`ANTHROPIC_BASE_URL` pointed here, any `ANTHROPIC_API_KEY`).
//!
//! It serves `POST /v1/messages`, streamed as server-sent events when the
//! request asks for it, and answers from a script the test sets: the reply
//! to a request is the script's step numbered by how many tool results the
//! conversation holds, so the first request gets step 0, the request that
//! brings that tool's result gets step 1, and so on. Requests without tools
//! (side queries such as a title) get a short text and do not advance the
//! script. Every request is recorded so a test can assert what came back.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::{
    Json, Router,
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode, Uri, header::CONTENT_TYPE},
    response::{IntoResponse, Response},
};
use serde_json::{Value, json};
use tokio::sync::oneshot;

/// The model name the stand-in reports.
const MODEL: &str = "claude-stand-in";
/// What a request gets once the script has no step left for it.
const SCRIPT_ENDED: &str = "(the stand-in's script has ended)";
/// What a side query without tools gets.
const SIDE_ANSWER: &str = "Stand-in";

/// One scripted model reply.
#[derive(Clone, Debug)]
pub enum Reply {
    /// A call of tool `name` with `input`; its id is `toolu_NN`, NN being the
    /// step's number.
    Tool { name: String, input: Value },
    /// A `Write` of this text to the plan file named in plan mode's system
    /// prompt, as a real model finds it there.
    WritePlan(String),
    /// Text that ends the turn.
    Text(String),
}

impl Reply {
    /// A call of tool `name` with `input`.
    pub fn tool(name: &str, input: Value) -> Reply {
        Reply::Tool {
            name: name.to_owned(),
            input,
        }
    }

    /// Text that ends the turn.
    pub fn text(text: &str) -> Reply {
        Reply::Text(text.to_owned())
    }
}

/// The id of the tool call made by script step `step`.
pub fn tool_use_id(step: usize) -> String {
    format!("toolu_{step:02}")
}

/// A request the CLI made.
#[derive(Clone, Debug)]
pub struct Received {
    /// The path and query, e.g. `/v1/messages?beta=true`.
    pub path: String,
    /// The `x-api-key` header, if sent.
    pub api_key: Option<String>,
    /// The JSON body (`Null` if it was not JSON).
    pub body: Value,
}

/// A tool result the CLI sent back.
#[derive(Clone, Debug, PartialEq)]
pub struct ToolResult {
    /// The text of the result (its text blocks joined by newlines).
    pub text: String,
    /// Whether the CLI marked it as an error (a refused or failed call).
    pub is_error: bool,
}

/// What the server shares with its handler.
struct Shared {
    script: Vec<Reply>,
    received: Mutex<Vec<Received>>,
}

impl Shared {
    fn received(&self) -> MutexGuard<'_, Vec<Received>> {
        self.received.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A running stand-in on 127.0.0.1; stops when dropped.
pub struct Anthropic {
    shared: Arc<Shared>,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Anthropic {
    /// Starts a server on a free port, on a thread of its own (so both plain
    /// and async tests can use it), answering from `script`.
    pub fn start(script: Vec<Reply>) -> Anthropic {
        let shared = Arc::new(Shared {
            script,
            received: Mutex::new(Vec::new()),
        });
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind the stand-in");
        listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let addr = listener.local_addr().expect("local address");
        let (stop, stopped) = oneshot::channel::<()>();
        let app = Router::new().fallback(handle).with_state(shared.clone());
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("stand-in runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
                axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = stopped.await;
                    })
                    .await
                    .expect("the Anthropic stand-in failed");
            });
        });
        Anthropic {
            shared,
            addr,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// The base URL to give the CLI as `ANTHROPIC_BASE_URL`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request so far, in order.
    pub fn received(&self) -> Vec<Received> {
        self.shared.received().clone()
    }

    /// The result the CLI sent for the tool call of script step `step`, once
    /// a request carries it.
    pub fn tool_result(&self, step: usize) -> Option<ToolResult> {
        let id = tool_use_id(step);
        self.shared
            .received()
            .iter()
            .flat_map(|r| tool_results(&r.body))
            .find(|block| block["tool_use_id"] == id.as_str())
            .map(|block| ToolResult {
                text: result_text(&block["content"]),
                is_error: block["is_error"].as_bool().unwrap_or(false),
            })
    }
}

impl Drop for Anthropic {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            // Graceful shutdown waits for open connections; the CLI keeps
            // some alive, so do not wait for it past a moment.
            let deadline = std::time::Instant::now() + Duration::from_secs(2);
            while !thread.is_finished() && std::time::Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }
}

/// Records the request and answers it.
async fn handle(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let path = uri.path().to_owned();
    shared.received().push(Received {
        path: uri.to_string(),
        api_key: headers
            .get("x-api-key")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        body: body.clone(),
    });
    match path.as_str() {
        "/v1/messages" => answer(&shared.script, &body),
        "/v1/messages/count_tokens" => Json(json!({ "input_tokens": 100 })).into_response(),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The scripted reply to a Messages request, streamed if it asks for that.
fn answer(script: &[Reply], request: &Value) -> Response {
    let has_tools = request["tools"].as_array().is_some_and(|t| !t.is_empty());
    let step = tool_results(request).count();
    let block = if !has_tools {
        json!({ "type": "text", "text": SIDE_ANSWER })
    } else {
        match script.get(step) {
            Some(Reply::Tool { name, input }) => tool_use(step, name, input.clone()),
            Some(Reply::WritePlan(plan)) => match plan_file(request) {
                Some(path) => {
                    tool_use(step, "Write", json!({ "file_path": path, "content": plan }))
                }
                None => json!({ "type": "text", "text": "(no plan file in the system prompt)" }),
            },
            Some(Reply::Text(text)) => json!({ "type": "text", "text": text }),
            None => json!({ "type": "text", "text": SCRIPT_ENDED }),
        }
    };
    let stop_reason = if block["type"] == "tool_use" {
        "tool_use"
    } else {
        "end_turn"
    };
    if request["stream"].as_bool() == Some(true) {
        (
            [(CONTENT_TYPE, "text/event-stream")],
            events(&block, stop_reason),
        )
            .into_response()
    } else {
        Json(json!({
            "id": "msg_stand_in",
            "type": "message",
            "role": "assistant",
            "model": MODEL,
            "content": [block],
            "stop_reason": stop_reason,
            "stop_sequence": null,
            "usage": { "input_tokens": 100, "output_tokens": 10 },
        }))
        .into_response()
    }
}

/// A `tool_use` content block for script step `step`.
fn tool_use(step: usize, name: &str, input: Value) -> Value {
    json!({ "type": "tool_use", "id": tool_use_id(step), "name": name, "input": input })
}

/// The server-sent events of a message holding the one content `block`.
fn events(block: &Value, stop_reason: &str) -> String {
    let (start, delta) = if block["type"] == "tool_use" {
        (
            json!({ "type": "tool_use", "id": block["id"], "name": block["name"], "input": {} }),
            json!({ "type": "input_json_delta", "partial_json": block["input"].to_string() }),
        )
    } else {
        (
            json!({ "type": "text", "text": "" }),
            json!({ "type": "text_delta", "text": block["text"] }),
        )
    };
    [
        json!({ "type": "message_start", "message": {
            "id": "msg_stand_in", "type": "message", "role": "assistant", "model": MODEL,
            "content": [], "stop_reason": null, "stop_sequence": null,
            "usage": { "input_tokens": 100, "output_tokens": 1 } } }),
        json!({ "type": "content_block_start", "index": 0, "content_block": start }),
        json!({ "type": "content_block_delta", "index": 0, "delta": delta }),
        json!({ "type": "content_block_stop", "index": 0 }),
        json!({ "type": "message_delta", "delta": { "stop_reason": stop_reason,
            "stop_sequence": null }, "usage": { "output_tokens": 10 } }),
        json!({ "type": "message_stop" }),
    ]
    .iter()
    .map(|event| {
        format!(
            "event: {}\ndata: {event}\n\n",
            event["type"].as_str().unwrap_or("")
        )
    })
    .collect()
}

/// The `tool_result` blocks of a request's conversation.
fn tool_results(request: &Value) -> impl Iterator<Item = &Value> {
    request["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["content"].as_array())
        .flatten()
        .filter(|block| block["type"] == "tool_result")
}

/// A tool result's content as text: a string, or its text blocks joined.
fn result_text(content: &Value) -> String {
    match content {
        Value::String(text) => text.clone(),
        Value::Array(blocks) => blocks
            .iter()
            .filter_map(|b| b["text"].as_str())
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

/// The plan file plan mode's system prompt tells the model to write
/// (`... create your plan at /path/plan.md using the Write tool`).
fn plan_file(request: &Value) -> Option<String> {
    const MARK: &str = "create your plan at ";
    let text = request.to_string();
    let start = text.find(MARK)? + MARK.len();
    let path: String = text[start..]
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '\\' && *c != '"')
        .collect();
    Some(path.trim_end_matches('.').to_owned()).filter(|p| p.ends_with(".md"))
}
