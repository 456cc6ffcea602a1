//! Failures on demand: what to answer instead of the real reply, for the
//! next calls of a method ([`super::BotApi::fail_next`]) or for every call
//! during an outage ([`super::BotApi::down_for`]).

use std::{
    collections::VecDeque,
    io,
    pin::Pin,
    task::{Context, Poll},
    time::{Duration, Instant},
};

use axum::{
    body::{Body, Bytes, HttpBody},
    http::{StatusCode, header::CONTENT_TYPE},
    response::{IntoResponse, Response},
};
use serde_json::json;

use super::{json::error_response, model::Model, rules::ApiError};

/// What to do instead of answering a call.
#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    /// HTTP 429 with `parameters.retry_after`: teloxide returns
    /// `RequestError::RetryAfter`.
    RetryAfter(u32),
    /// This HTTP status with this description. Beware: teloxide sleeps 10 s
    /// before it reports any 5xx status.
    Status(u16, String),
    /// HTTP 500 with the body the Bot API server sends while it restarts,
    /// `{"ok":false,"error_code":500,"description":"Internal Server Error: restart"}`
    /// (teloxide: `ApiError::Unknown`, after its 10 s 5xx sleep).
    InternalError,
    /// HTTP 502 with `{"ok":false,"error_code":502,"description":"Bad Gateway"}`,
    /// as api.telegram.org answers when the Bot API server behind it is down
    /// (teloxide: `ApiError::Unknown("Bad Gateway")`, after its 10 s sleep).
    BadGateway,
    /// HTTP 502 with nginx's HTML error page, the other body Telegram's front
    /// end has been seen to send (teloxide: `RequestError::InvalidJson`).
    BadGatewayPage,
    /// Close the connection without a response (hyper aborts on a failing
    /// body): teloxide returns `RequestError::Network` (`IncompleteMessage`).
    Drop,
    /// Hold the request this long without answering, then drop the
    /// connection; a client whose timeout is shorter gives up first
    /// (teloxide's default client: 17 s). Ends early if the server stops.
    Hang(Duration),
}

/// nginx's 502 page, as api.telegram.org has served it (version elided).
const NGINX_502: &str = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n\
<body bgcolor=\"white\">\r\n<center><h1>502 Bad Gateway</h1></center>\r\n\
<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";

impl Fault {
    /// The reply that stands for this fault (for `Hang`, the one sent once
    /// the hold is over: none).
    pub(super) fn response(&self) -> Response {
        match self {
            Fault::RetryAfter(seconds) => error_response(
                ApiError(429, format!("Too Many Requests: retry after {seconds}")),
                Some(json!({"retry_after": seconds})),
            ),
            Fault::Status(code, description) => {
                error_response(ApiError(*code, description.clone()), None)
            }
            Fault::InternalError => {
                error_response(ApiError(500, "Internal Server Error: restart".into()), None)
            }
            Fault::BadGateway => error_response(ApiError(502, "Bad Gateway".into()), None),
            Fault::BadGatewayPage => (
                StatusCode::BAD_GATEWAY,
                [(CONTENT_TYPE, "text/html")],
                NGINX_502,
            )
                .into_response(),
            Fault::Drop | Fault::Hang(_) => Response::new(Body::new(BrokenBody)),
        }
    }
}

/// A span of time during which every call fails with `fault`.
#[derive(Clone, Debug)]
pub(super) struct Outage {
    pub(super) from: Instant,
    pub(super) until: Instant,
    pub(super) fault: Fault,
}

impl Model {
    /// The fault to answer a call of `method` with at `now`: the outage
    /// under way (forgetting outages that are over), else the next fault
    /// queued for the method; `None` to answer for real.
    pub(super) fn take_fault(&mut self, method: &str, now: Instant) -> Option<Fault> {
        while self.outages.front().is_some_and(|o| o.until <= now) {
            self.outages.pop_front();
        }
        let outage = self.outages.front().filter(|o| o.from <= now);
        if let Some(outage) = outage {
            return Some(outage.fault.clone());
        }
        self.faults.get_mut(method).and_then(VecDeque::pop_front)
    }
}

/// A response body that fails at once, so hyper drops the connection before
/// the response head goes out.
struct BrokenBody;

impl HttpBody for BrokenBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, io::Error>>> {
        let error = io::Error::new(
            io::ErrorKind::ConnectionAborted,
            "injected fault: connection dropped",
        );
        Poll::Ready(Some(Err(error)))
    }
}
