//! Speech to text through an OpenAI-compatible transcription endpoint
//! (`POST {url}/audio/transcriptions`, multipart `file` + `model`), which
//! OpenAI, Groq and local whisper servers all serve.

use std::time::Duration;

use reqwest::multipart::{Form, Part};

use crate::config::{Token, TranscribeConfig};

/// The most of an error answer's body an error message quotes.
const MAX_QUOTED: usize = 300;

/// Why a transcription gave no text, worded for the phone.
#[derive(Debug, thiserror::Error)]
pub enum TranscribeError {
    #[error("the transcription service at {url} gave no answer within {timeout:?}")]
    Timeout { url: String, timeout: Duration },
    #[error("could not reach the transcription service at {url}: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("the transcription service answered {status}: {message}")]
    Status {
        status: reqwest::StatusCode,
        message: String,
    },
    #[error("the transcription service's answer is not the JSON expected ({reason})")]
    BadAnswer { reason: String },
    #[error("cannot set up the transcription client: {0}")]
    Setup(String),
}

/// What the endpoint answers (`response_format=json`).
#[derive(serde::Deserialize)]
struct Answer {
    text: String,
}

/// A client for one configured endpoint.
pub struct Transcriber {
    client: reqwest::Client,
    endpoint: reqwest::Url,
    key: Option<Token>,
    model: String,
    timeout: Duration,
}

impl Transcriber {
    pub fn new(config: &TranscribeConfig) -> Result<Transcriber, TranscribeError> {
        let mut endpoint = config.url.clone();
        endpoint
            .path_segments_mut()
            .map_err(|()| TranscribeError::Setup(format!("{} cannot be a base URL", config.url)))?
            .pop_if_empty()
            .extend(["audio", "transcriptions"]);
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .build()
            .map_err(|e| TranscribeError::Setup(e.to_string()))?;
        Ok(Transcriber {
            client,
            endpoint,
            key: config.key.clone(),
            model: config.model.clone(),
            timeout: config.timeout,
        })
    }

    /// The text spoken in `audio`, a file called `file_name` (its extension
    /// tells the service the format), trimmed.
    pub async fn transcribe(
        &self,
        audio: Vec<u8>,
        file_name: &str,
    ) -> Result<String, TranscribeError> {
        let form = Form::new()
            .part("file", Part::bytes(audio).file_name(upload_name(file_name)))
            .text("model", self.model.clone())
            .text("response_format", "json");
        let mut request = self.client.post(self.endpoint.clone()).multipart(form);
        if let Some(key) = &self.key {
            request = request.bearer_auth(key.expose());
        }
        let response = request.send().await.map_err(|e| self.failed(e))?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| self.failed(e))?;
        if !status.is_success() {
            return Err(TranscribeError::Status {
                status,
                message: error_message(&body),
            });
        }
        let answer: Answer =
            serde_json::from_slice(&body).map_err(|e| TranscribeError::BadAnswer {
                reason: e.to_string(),
            })?;
        Ok(answer.text.trim().to_owned())
    }

    fn failed(&self, e: reqwest::Error) -> TranscribeError {
        let url = self.endpoint.to_string();
        if e.is_timeout() {
            return TranscribeError::Timeout {
                url,
                timeout: self.timeout,
            };
        }
        // The innermost cause says what went wrong (connection refused, ...).
        let mut reason = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(cause) = source {
            reason = cause.to_string();
            source = cause.source();
        }
        TranscribeError::Unreachable { url, reason }
    }
}

/// The name the file is uploaded under. Telegram calls voice notes `.oga`;
/// OpenAI knows the format by the extension and lists `ogg`, not `oga`.
fn upload_name(file_name: &str) -> String {
    match file_name.rsplit_once('.') {
        Some((stem, "oga" | "opus")) => format!("{stem}.ogg"),
        _ => file_name.to_owned(),
    }
}

/// What an error answer says: OpenAI's `{"error": {"message": ...}}`, or
/// the start of the body.
fn error_message(body: &[u8]) -> String {
    let json: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    let message = json
        .as_ref()
        .and_then(|j| j["error"]["message"].as_str().or(j["error"].as_str()))
        .map(str::to_owned)
        .unwrap_or_else(|| String::from_utf8_lossy(body).trim().to_owned());
    let mut out: String = message.chars().take(MAX_QUOTED).collect();
    if out.len() < message.len() {
        out.push('…');
    }
    if out.is_empty() {
        out.push_str("(no details)");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A one-connection HTTP server on 127.0.0.1 that reads the request and
    /// answers `response` (raw HTTP), or never answers when it is `None`.
    async fn serve_once(response: Option<String>) -> url::Url {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut request = Vec::new();
            let mut buf = [0u8; 4096];
            while !ends_request(&request) {
                let n = socket.read(&mut buf).await.unwrap();
                if n == 0 {
                    return;
                }
                request.extend_from_slice(&buf[..n]);
            }
            match response {
                Some(response) => socket.write_all(response.as_bytes()).await.unwrap(),
                None => tokio::time::sleep(Duration::from_secs(60)).await,
            }
        });
        format!("http://{addr}/v1").parse().unwrap()
    }

    /// Whether `request` holds its headers and the whole body they announce.
    fn ends_request(request: &[u8]) -> bool {
        let text = String::from_utf8_lossy(request);
        let Some(end) = text.find("\r\n\r\n") else {
            return false;
        };
        let length = text[..end]
            .lines()
            .find_map(|l| {
                l.to_ascii_lowercase()
                    .strip_prefix("content-length:")
                    .map(|v| v.trim().parse::<usize>().unwrap())
            })
            .unwrap_or(0);
        request.len() >= end + 4 + length
    }

    fn transcriber(url: url::Url, timeout: Duration) -> Transcriber {
        Transcriber::new(&TranscribeConfig {
            url,
            key: None,
            model: "whisper-1".into(),
            timeout,
        })
        .unwrap()
    }

    fn http(status: &str, body: &str) -> String {
        format!(
            "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        )
    }

    #[tokio::test]
    async fn the_text_comes_back_trimmed() {
        let url = serve_once(Some(http(
            "200 OK",
            r#"{"text":"  fix the bug \"now\"\n"}"#,
        )))
        .await;
        let text = transcriber(url, Duration::from_secs(5))
            .transcribe(b"OggS".to_vec(), "voice.oga")
            .await
            .unwrap();
        assert_eq!(text, "fix the bug \"now\"");
    }

    #[tokio::test]
    async fn errors_say_what_went_wrong() {
        let key =
            r#"{"error":{"message":"Incorrect API key provided","type":"invalid_request_error"}}"#;
        let cases = [
            (
                http("401 Unauthorized", key),
                "the transcription service answered 401 Unauthorized: Incorrect API key provided",
            ),
            (
                http("500 Internal Server Error", "model crashed"),
                "the transcription service answered 500 Internal Server Error: model crashed",
            ),
            (
                http("200 OK", "<html>not json</html>"),
                "the transcription service's answer is not the JSON expected (",
            ),
        ];
        for (answer, said) in cases {
            let url = serve_once(Some(answer)).await;
            let err = transcriber(url, Duration::from_secs(5))
                .transcribe(b"x".to_vec(), "a.ogg")
                .await
                .unwrap_err();
            assert!(err.to_string().starts_with(said), "{err}");
        }

        let url = serve_once(None).await;
        let err = transcriber(url.clone(), Duration::from_millis(300))
            .transcribe(b"x".to_vec(), "a.ogg")
            .await
            .unwrap_err();
        assert!(matches!(err, TranscribeError::Timeout { .. }), "{err}");
        assert_eq!(
            err.to_string(),
            format!(
                "the transcription service at {url}/audio/transcriptions gave no answer within 300ms"
            )
        );
    }

    #[tokio::test]
    async fn nothing_listening_is_unreachable() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let url: url::Url = format!("http://{addr}/v1/").parse().unwrap();
        let err = transcriber(url, Duration::from_secs(5))
            .transcribe(b"x".to_vec(), "a.ogg")
            .await
            .unwrap_err();
        let TranscribeError::Unreachable { url, reason } = &err else {
            panic!("{err:?}");
        };
        assert_eq!(url, &format!("http://{addr}/v1/audio/transcriptions"));
        assert!(reason.contains("refused"), "{reason}");
    }

    #[test]
    fn voice_notes_are_uploaded_as_ogg_and_long_errors_are_cut() {
        assert_eq!(upload_name("voice.oga"), "voice.ogg");
        assert_eq!(upload_name("memo.opus"), "memo.ogg");
        assert_eq!(upload_name("song.mp3"), "song.mp3");
        assert_eq!(upload_name("noext"), "noext");
        let long = "e".repeat(1000);
        assert_eq!(
            error_message(long.as_bytes()).chars().count(),
            MAX_QUOTED + 1
        );
        assert_eq!(error_message(b""), "(no details)");
        assert_eq!(error_message(br#"{"error":"bad model"}"#), "bad model");
    }
}
