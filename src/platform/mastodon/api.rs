//! A small client for the Mastodon REST API (reqwest), with the instance's rate limits.
//!
//! Mastodon answers every rate-limited request with `X-RateLimit-Limit`, `X-RateLimit-Remaining`
//! and `X-RateLimit-Reset` (an ISO 8601 time). Its limits are per account and per kind of
//! request (300 requests per 5 minutes in general, 30 deletions per 30 minutes, and a budget of
//! statuses over a few hours on many instances), so the client keeps one window per
//! [`Family`] of request, learned from that family's last answer. It never sends into a window
//! with nothing remaining before its reset: it waits when the reset is near
//! ([`Api::max_inline_wait`]) and otherwise returns [`ApiError::RateLimited`], which the outbox
//! turns into a retry at the reset. A 429 is read the same way (reset, else `Retry-After`).
//!
//! The access token goes only into the `Authorization` header; no error or log line carries it.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use url::Url;

/// Extra wait after a window's reset, against clock and network jitter.
const RESET_MARGIN: Duration = Duration::from_millis(100);

/// Requests that Mastodon limits separately.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// Creating statuses.
    Create,
    /// Deleting statuses (30 per 30 minutes).
    Delete,
    /// Everything else: edits, pins, reads.
    Other,
}

/// What went wrong with one request.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ApiError {
    #[error("rate limited by the instance; retry in {:.0}s", .0.as_secs_f64())]
    RateLimited(Duration),
    #[error("the instance rejected the access token (HTTP 401)")]
    Unauthorized,
    #[error("HTTP 403: {0}")]
    Forbidden(String),
    #[error("HTTP 404: {0}")]
    NotFound(String),
    #[error("the instance refused the request (HTTP {status}): {message}")]
    Refused { status: u16, message: String },
    #[error("the instance failed (HTTP {0})")]
    Server(u16, Option<Duration>),
    #[error("the instance is unreachable: {0}")]
    Transport(String),
    #[error("unexpected answer from the instance: {0}")]
    Decode(String),
}

/// One family's window, as the instance last described it.
#[derive(Debug, Clone, Copy)]
struct Window {
    remaining: u64,
    reset: DateTime<Utc>,
}

pub struct Api {
    http: reqwest::Client,
    base: Url,
    token: SecretString,
    windows: Mutex<HashMap<Family, Window>>,
    /// The longest wait for a window's reset done inside a request; longer ones are returned
    /// as [`ApiError::RateLimited`] so the outbox's queue waits instead (and shutdown is not
    /// held up).
    max_inline_wait: Duration,
}

impl Api {
    pub fn new(base: &Url, token: SecretString, timeout: Duration) -> Result<Api, reqwest::Error> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .user_agent(concat!("gavel/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Api {
            http,
            base: base.clone(),
            token,
            windows: Mutex::new(HashMap::new()),
            max_inline_wait: Duration::from_secs(5),
        })
    }

    /// The longest wait for a rate-limit reset done inside one request.
    pub fn max_inline_wait(mut self, wait: Duration) -> Api {
        self.max_inline_wait = wait;
        self
    }

    /// `path` (like `/api/v1/statuses`) under the instance's address, which may have a path.
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base.as_str().trim_end_matches('/'))
    }

    /// Sends one request, paced by its family's window; returns the JSON answer.
    pub async fn request(
        &self,
        family: Family,
        method: Method,
        path: &str,
        body: Option<&Value>,
        idempotency_key: Option<&str>,
    ) -> Result<Value, ApiError> {
        self.wait_for_window(family).await?;
        let mut req = self
            .http
            .request(method, self.url(path))
            .bearer_auth(self.token.expose_secret());
        if let Some(b) = body {
            req = req.json(b);
        }
        if let Some(k) = idempotency_key {
            req = req.header("Idempotency-Key", k);
        }
        let resp = req.send().await.map_err(transport)?;
        let status = resp.status();
        let reset = self.learn(family, resp.headers());
        let retry_after = retry_after(resp.headers());
        let text = resp.text().await.map_err(transport)?;
        if status.is_success() {
            if text.trim().is_empty() {
                return Ok(Value::Null);
            }
            return serde_json::from_str(&text)
                .map_err(|e| ApiError::Decode(format!("not JSON ({e})")));
        }
        Err(classify(status, &text, reset.or(retry_after)))
    }

    /// Waits out (or refuses, when far off) an exhausted window of `family`.
    async fn wait_for_window(&self, family: Family) -> Result<(), ApiError> {
        let wait = {
            let windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
            windows
                .get(&family)
                .filter(|w| w.remaining == 0)
                .and_then(|w| until(w.reset))
        };
        let Some(wait) = wait else {
            return Ok(());
        };
        if wait > self.max_inline_wait {
            return Err(ApiError::RateLimited(wait));
        }
        tracing::info!(
            wait_ms = wait.as_millis() as u64,
            ?family,
            "Mastodon rate limit reached; waiting for its reset"
        );
        tokio::time::sleep(wait).await;
        // Until an answer says otherwise, the window has refilled.
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        windows.remove(&family);
        Ok(())
    }

    /// Records `family`'s window from an answer's headers; returns the wait until its reset
    /// when nothing remains.
    fn learn(&self, family: Family, headers: &HeaderMap) -> Option<Duration> {
        let window = window_from(headers)?;
        self.windows
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(family, window);
        (window.remaining == 0)
            .then(|| until(window.reset))
            .flatten()
    }
}

/// How long until `reset` has surely passed; `None` when it has.
fn until(reset: DateTime<Utc>) -> Option<Duration> {
    (reset - Utc::now()).to_std().ok().map(|d| d + RESET_MARGIN)
}

/// A transport error with its causes ("… tcp connect error: Connection refused"), without the
/// URL.
fn transport(e: reqwest::Error) -> ApiError {
    let e = e.without_url();
    let mut text = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    ApiError::Transport(text)
}

/// `X-RateLimit-Remaining` and `X-RateLimit-Reset`, when both are there and readable.
fn window_from(headers: &HeaderMap) -> Option<Window> {
    let get = |name: &str| headers.get(name)?.to_str().ok().map(str::trim);
    let remaining = get("x-ratelimit-remaining")?.parse().ok()?;
    let reset = DateTime::parse_from_rfc3339(get("x-ratelimit-reset")?)
        .ok()?
        .with_timezone(&Utc);
    Some(Window { remaining, reset })
}

/// `Retry-After` in seconds, which some proxies in front of an instance send.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let secs: f64 = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(3600.0)))
}

/// The error for a non-success answer; `wait` is when the instance said to come back.
fn classify(status: StatusCode, body: &str, wait: Option<Duration>) -> ApiError {
    // Mastodon's errors are `{"error": "…"}`; anything else is described by its status.
    let message = serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| v["error"].as_str().map(str::to_string))
        .unwrap_or_else(|| {
            status
                .canonical_reason()
                .unwrap_or("no description")
                .to_string()
        });
    match status {
        StatusCode::TOO_MANY_REQUESTS => {
            ApiError::RateLimited(wait.unwrap_or(Duration::from_secs(60)))
        }
        StatusCode::UNAUTHORIZED => ApiError::Unauthorized,
        StatusCode::FORBIDDEN => ApiError::Forbidden(message),
        StatusCode::NOT_FOUND | StatusCode::GONE => ApiError::NotFound(message),
        s if s.is_server_error() => ApiError::Server(s.as_u16(), wait),
        s => ApiError::Refused {
            status: s.as_u16(),
            message,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn a_window_is_read_from_mastodons_headers() {
        let mut h = HeaderMap::new();
        h.insert("x-ratelimit-limit", HeaderValue::from_static("300"));
        h.insert("x-ratelimit-remaining", HeaderValue::from_static("0"));
        h.insert(
            "x-ratelimit-reset",
            HeaderValue::from_static("2030-01-02T03:04:05.678901Z"),
        );
        let w = window_from(&h).unwrap();
        assert_eq!(w.remaining, 0);
        assert_eq!(w.reset.to_rfc3339(), "2030-01-02T03:04:05.678901+00:00");
        h.insert("x-ratelimit-reset", HeaderValue::from_static("soon"));
        assert!(window_from(&h).is_none());
    }

    #[test]
    fn errors_are_classified_by_status_with_mastodons_message() {
        let e = classify(
            StatusCode::UNPROCESSABLE_ENTITY,
            r#"{"error":"Validation failed: Text character limit of 500 exceeded"}"#,
            None,
        );
        assert_eq!(
            e,
            ApiError::Refused {
                status: 422,
                message: "Validation failed: Text character limit of 500 exceeded".into()
            }
        );
        assert_eq!(
            classify(
                StatusCode::TOO_MANY_REQUESTS,
                "",
                Some(Duration::from_secs(7))
            ),
            ApiError::RateLimited(Duration::from_secs(7))
        );
        assert_eq!(
            classify(StatusCode::UNAUTHORIZED, "{}", None),
            ApiError::Unauthorized
        );
        assert!(matches!(
            classify(StatusCode::BAD_GATEWAY, "<html>", None),
            ApiError::Server(502, None)
        ));
        assert_eq!(
            classify(StatusCode::NOT_FOUND, "<html>", None),
            ApiError::NotFound("Not Found".into())
        );
    }

    #[tokio::test]
    async fn an_exhausted_window_far_from_its_reset_is_refused_without_sending() {
        let api = Api::new(
            &Url::parse("http://127.0.0.1:9").unwrap(),
            SecretString::from("t"),
            Duration::from_secs(1),
        )
        .unwrap();
        api.windows.lock().unwrap().insert(
            Family::Delete,
            Window {
                remaining: 0,
                reset: Utc::now() + chrono::Duration::minutes(20),
            },
        );
        let e = api
            .request(
                Family::Delete,
                Method::DELETE,
                "/api/v1/statuses/1",
                None,
                None,
            )
            .await
            .unwrap_err();
        match e {
            ApiError::RateLimited(d) => assert!(d > Duration::from_secs(19 * 60), "{d:?}"),
            other => panic!("{other:?}"),
        }
        // Other families are not held up by the deletions' window: this one is sent (and
        // fails to connect, port 9 being closed).
        let e = api
            .request(Family::Create, Method::POST, "/api/v1/statuses", None, None)
            .await
            .unwrap_err();
        assert!(matches!(e, ApiError::Transport(_)), "{e:?}");
    }
}
