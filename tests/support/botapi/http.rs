//! The HTTP layer: `POST /bot{token}/{method}` with JSON or multipart
//! bodies, `GET /file/bot{token}/{path}` downloads, injected faults, and
//! `getUpdates` long polling.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use axum::{
    Router,
    body::Bytes,
    extract::{DefaultBodyLimit, FromRequest, Multipart, Path, Request, State},
    http::{StatusCode, header::CONTENT_TYPE},
    response::{IntoResponse, Response},
    routing::get,
};
use serde_json::{Map, Value, json};

use super::{
    Shared, TOKEN,
    faults::Fault,
    json::{error_response, ok_response},
    methods::{Upload, canonical},
    model::{Call, Poll, PollAnswer},
    rules::{ApiError, bad_request},
};

/// Largest request body accepted (Telegram's upload limit for bots).
const MAX_BODY: usize = 50 * 1024 * 1024;
/// Telegram's answer to a long poll that a newer `getUpdates` replaced.
const CONFLICT: &str = "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running";

/// The server's routes over `shared`.
pub(super) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/file/{token}/{*path}", get(download))
        .fallback(handle)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(shared)
}

/// Telegram's answer to a wrong token.
fn unauthorized() -> Response {
    error_response(ApiError(401, "Unauthorized".into()), None)
}

/// Records the call and answers with the fault due for `method`, if any.
async fn injected_fault(shared: &Shared, method: &str, body: &Value) -> Option<Response> {
    let fault = shared.lock().take_fault(method, Instant::now())?;
    shared.record(Call {
        method: method.to_owned(),
        body: body.clone(),
        at: Instant::now(),
        error: Some(format!("injected fault: {fault:?}")),
    });
    if let Fault::Hang(hold) = fault {
        shared.sleep_unless_closed(hold).await;
    }
    Some(fault.response())
}

/// Routes `/bot{token}/{method}`.
async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    let mut segments = path.trim_start_matches('/').splitn(2, '/');
    let (Some(bot_token), Some(method)) = (segments.next(), segments.next()) else {
        return error_response(ApiError(404, "Not Found".into()), None);
    };
    if bot_token.strip_prefix("bot") != Some(TOKEN) {
        return unauthorized();
    }
    let method = canonical(method);
    let (body, document) = match read_body(request).await {
        Ok(read) => read,
        Err(e) => return error_response(e, None),
    };
    if let Some(response) = injected_fault(&shared, &method, &body).await {
        return response;
    }
    let call = |error: Option<String>| Call {
        method: method.clone(),
        body: body.clone(),
        at: Instant::now(),
        error,
    };
    if method == "getUpdates" {
        let index = shared.record(call(None));
        return get_updates(&shared, &body, index).await;
    }
    let result = {
        let mut model = shared.lock();
        let result = model.apply(&method, &body, document);
        model
            .calls
            .push(call(result.as_ref().err().map(|e| e.1.clone())));
        result
    };
    shared.notify();
    match result {
        Ok(result) => ok_response(result),
        Err(e) => error_response(e, None),
    }
}

/// Serves `/file/bot{token}/{path}`, recorded as a `downloadFile` call.
async fn download(
    State(shared): State<Arc<Shared>>,
    Path((bot_token, path)): Path<(String, String)>,
) -> Response {
    if bot_token.strip_prefix("bot") != Some(TOKEN) {
        return unauthorized();
    }
    let body = json!({"file_path": path});
    if let Some(response) = injected_fault(&shared, "downloadFile", &body).await {
        return response;
    }
    let bytes = shared.lock().download(&path);
    shared.record(Call {
        method: "downloadFile".into(),
        body,
        at: Instant::now(),
        error: bytes.is_none().then(|| "Not Found".into()),
    });
    match bytes {
        Some(bytes) => (
            StatusCode::OK,
            [(CONTENT_TYPE, "application/octet-stream")],
            bytes,
        )
            .into_response(),
        None => error_response(ApiError(404, "Not Found".into()), None),
    }
}

/// Long-polls: confirms updates below `offset`, then answers at once if
/// updates are pending, else when one is injected or `timeout` seconds pass
/// (`[]`), or the server stops. A newer `getUpdates` ends it with 409, as
/// Telegram does; `call` is its index in the call record.
async fn get_updates(shared: &Shared, body: &Value, call: usize) -> Response {
    let offset = body["offset"].as_i64();
    let limit = body["limit"].as_u64().unwrap_or(100).clamp(1, 100) as usize;
    let timeout = Duration::from_secs(body["timeout"].as_u64().unwrap_or(0));
    let deadline = tokio::time::Instant::now() + timeout;
    let poll = {
        let mut model = shared.lock();
        model.confirm(offset.unwrap_or(0));
        model.polls.push(Poll {
            offset,
            at: Instant::now(),
            answer: PollAnswer::Waiting,
        });
        model.polls.len() - 1
    };
    shared.notify();
    let mut changes = shared.changed.subscribe();
    let mut timed_out = false;
    loop {
        changes.borrow_and_update();
        if let Some(response) = settle_poll(shared, poll, call, limit, timed_out) {
            return response;
        }
        timed_out = tokio::time::timeout_at(deadline, changes.changed())
            .await
            .is_err();
    }
}

/// The answer of long poll number `poll` if it is due: a conflict if a newer
/// poll came, else the pending updates if any (or if `timed_out` or the
/// server stopped). Records the answer.
fn settle_poll(
    shared: &Shared,
    poll: usize,
    call: usize,
    limit: usize,
    timed_out: bool,
) -> Option<Response> {
    let mut model = shared.lock();
    let (answer, response) = if model.polls.len() > poll + 1 {
        model.calls[call].error = Some(CONFLICT.into());
        let response = error_response(ApiError(409, CONFLICT.into()), None);
        (PollAnswer::Conflict, response)
    } else if model.closed || timed_out || !model.updates.is_empty() {
        let updates: Vec<Value> = model.updates.iter().take(limit).cloned().collect();
        let ids = updates.iter().filter_map(|u| u["update_id"].as_i64());
        let answer = PollAnswer::Delivered(ids.collect());
        (answer, ok_response(Value::Array(updates)))
    } else {
        return None;
    };
    model.polls[poll].answer = answer;
    drop(model);
    shared.notify();
    Some(response)
}

/// Reads a JSON or multipart body into a JSON object, plus the uploaded
/// `document` of a multipart one.
async fn read_body(request: Request) -> Result<(Value, Option<Upload>), ApiError> {
    let content_type = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let unreadable = |e: &dyn std::fmt::Display| bad_request(&format!("unreadable request: {e}"));
    if !content_type.starts_with("multipart/form-data") {
        let bytes: Bytes = axum::body::to_bytes(request.into_body(), MAX_BODY)
            .await
            .map_err(|e| unreadable(&e))?;
        if bytes.is_empty() {
            return Ok((json!({}), None));
        }
        let body = serde_json::from_slice(&bytes).map_err(|e| unreadable(&e))?;
        return Ok((body, None));
    }

    let mut multipart = Multipart::from_request(request, &())
        .await
        .map_err(|e| unreadable(&e))?;
    let mut fields = Map::new();
    let mut uploads = Vec::new();
    while let Some(field) = multipart.next_field().await.map_err(|e| unreadable(&e))? {
        let name = field.name().unwrap_or_default().to_owned();
        let filename = field.file_name().map(str::to_owned);
        let bytes = field.bytes().await.map_err(|e| unreadable(&e))?;
        match filename {
            Some(filename) => uploads.push((
                name,
                Upload {
                    filename,
                    bytes: bytes.to_vec(),
                },
            )),
            None => {
                let text = String::from_utf8_lossy(&bytes).into_owned();
                let value = multipart_value(&name, text);
                fields.insert(name, value);
            }
        }
    }
    // `document` is either the upload's own part or `attach://{part}`.
    let attached = fields.get("document").and_then(Value::as_str);
    let part = attached
        .and_then(|r| r.strip_prefix("attach://"))
        .unwrap_or("document")
        .to_owned();
    let document = uploads
        .into_iter()
        .find_map(|(name, upload)| (name == part).then_some(upload));
    if let Some(file) = &document {
        let shown = json!({"file_name": file.filename, "file_size": file.bytes.len()});
        fields.insert("document".into(), shown);
    }
    Ok((Value::Object(fields), document))
}

/// A multipart text field as JSON: teloxide sends numbers, booleans and nested
/// objects (`reply_markup`, ...) as their JSON text; free text stays a string.
fn multipart_value(name: &str, text: String) -> Value {
    if name == "caption" {
        return Value::String(text);
    }
    match serde_json::from_str::<Value>(&text) {
        Ok(value @ (Value::Number(_) | Value::Object(_) | Value::Array(_) | Value::Bool(_))) => {
            value
        }
        _ => Value::String(text),
    }
}
