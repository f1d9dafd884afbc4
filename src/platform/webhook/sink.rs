//! Posting to a webhook URL, with error classes from the HTTP status: 429 honours
//! `Retry-After`, 5xx / timeouts / refused connections back off, content rejections (400, 413,
//! 422) are permanent. The URL is a secret (it carries the token) and is never logged.

use std::time::Duration;

use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};

use super::render::{Format, notice_payload, payload};
use crate::sink::{Capabilities, Notice, Outgoing, Sink, SinkError};

pub struct WebhookSink {
    client: reqwest::Client,
    url: SecretString,
    format: Format,
}

impl WebhookSink {
    pub fn new(
        url: SecretString,
        format: Format,
        timeout: Duration,
    ) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .user_agent(concat!("gavel/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(WebhookSink {
            client,
            url,
            format,
        })
    }
}

/// Parses `Retry-After`: delta-seconds (possibly fractional) or an HTTP date.
pub(crate) fn retry_after(h: &reqwest::header::HeaderMap) -> Option<Duration> {
    let v = h.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = v.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0)
            .then(|| Duration::from_secs_f64(secs.min(3600.0)));
    }
    let when = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    (when.with_timezone(&chrono::Utc) - chrono::Utc::now())
        .to_std()
        .ok()
}

#[async_trait::async_trait]
impl Sink for WebhookSink {
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            edit: false,
            delete: false,
            pin: false,
        }
    }

    async fn post(&self, msg: &Outgoing<'_>) -> Result<Vec<String>, SinkError> {
        self.send(&msg.key.part(0), &payload(self.format, msg))
            .await
    }

    async fn post_notice(&self, notice: &Notice) -> Result<Vec<String>, SinkError> {
        self.send(&notice.key.part(0), &notice_payload(self.format, notice))
            .await
    }
}

impl WebhookSink {
    /// Posts one JSON body with its idempotency key; the key is the remote id.
    async fn send(&self, key: &str, body: &serde_json::Value) -> Result<Vec<String>, SinkError> {
        let resp = self
            .client
            .post(self.url.expose_secret())
            .header("Idempotency-Key", key)
            .json(body)
            .send()
            .await
            .map_err(|e| SinkError::backoff(format!("webhook unreachable: {}", e.without_url())))?;
        let status = resp.status();
        if status.is_success() {
            return Ok(vec![key.to_string()]);
        }
        let wait = retry_after(resp.headers());
        Err(match status {
            StatusCode::TOO_MANY_REQUESTS => match wait {
                Some(d) => SinkError::after(
                    d,
                    format!(
                        "webhook rate limited (HTTP 429), retry after {:.1}s",
                        d.as_secs_f64()
                    ),
                ),
                None => SinkError::backoff("webhook rate limited (HTTP 429)"),
            },
            StatusCode::BAD_REQUEST
            | StatusCode::PAYLOAD_TOO_LARGE
            | StatusCode::UNPROCESSABLE_ENTITY => SinkError::permanent(format!(
                "webhook refused the message (HTTP {})",
                status.as_u16()
            )),
            StatusCode::UNAUTHORIZED
            | StatusCode::FORBIDDEN
            | StatusCode::NOT_FOUND
            | StatusCode::GONE => SinkError::backoff(format!(
                "webhook URL rejected (HTTP {}): check the URL in the config",
                status.as_u16()
            )),
            s if s == StatusCode::SERVICE_UNAVAILABLE && wait.is_some() => {
                let d = wait.unwrap_or_default();
                SinkError::after(
                    d,
                    format!(
                        "webhook unavailable (HTTP 503), retry after {:.1}s",
                        d.as_secs_f64()
                    ),
                )
            }
            s => SinkError::backoff(format!("webhook failed (HTTP {})", s.as_u16())),
        })
    }
}
