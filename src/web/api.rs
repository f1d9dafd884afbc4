//! `POST /api/commands`: the clerk HTTP API. The body is one command line (`text/plain`, or
//! JSON `{"command": "..."}`), authorised by `Authorization: Bearer <token>` against
//! `[api]` tokens (constant-time comparison) and rate-limited per token with a token bucket.
//! Without `[api]` in the config the route answers 404.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use secrecy::ExposeSecret;
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::desk::{ClerkInput, Reply};
use crate::domain::{Author, SourceRef};
use crate::tr;
use crate::web::WebState;

/// Longest command line accepted, in bytes.
const MAX_COMMAND: usize = 8 * 1024;

/// Per-token token buckets: `rate` requests a minute, bursting up to `rate`.
#[derive(Debug, Default)]
pub struct RateLimiter {
    buckets: Mutex<HashMap<usize, (f64, Instant)>>,
}

impl RateLimiter {
    /// Takes one request from `key`'s bucket, or says how long until one is available.
    pub fn take(&self, key: usize, per_minute: u32, now: Instant) -> Result<(), Duration> {
        let capacity = f64::from(per_minute.max(1));
        let per_sec = capacity / 60.0;
        let mut b = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let (tokens, last) = b.entry(key).or_insert((capacity, now));
        let elapsed = now.saturating_duration_since(*last).as_secs_f64();
        *tokens = (*tokens + elapsed * per_sec).min(capacity);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - *tokens) / per_sec))
        }
    }
}

/// Which configured token `presented` is. Every token is compared, in constant time, as a
/// SHA-256 digest, so neither the position of a mismatch nor a token's length leaks.
fn match_token(tokens: &[secrecy::SecretString], presented: &str) -> Option<usize> {
    let presented = Sha256::digest(presented.as_bytes());
    let mut found = None;
    for (i, t) in tokens.iter().enumerate() {
        let candidate = Sha256::digest(t.expose_secret().as_bytes());
        if bool::from(candidate.as_slice().ct_eq(presented.as_slice())) && found.is_none() {
            found = Some(i);
        }
    }
    found
}

/// `token:` + the first 6 hex characters of the token's SHA-256: names the clerk without
/// revealing the token.
pub fn token_user_id(token: &str) -> String {
    let digest = hex::encode(Sha256::digest(token.as_bytes()));
    format!("token:{}", &digest[..6])
}

fn json_reply(status: StatusCode, body: serde_json::Value) -> Response {
    (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        axum::Json(body),
    )
        .into_response()
}

fn unauthorized(error: &str, description: &str) -> Response {
    let mut r = json_reply(
        StatusCode::UNAUTHORIZED,
        json!({"ok": false, "error": description}),
    );
    let challenge = if error.is_empty() {
        "Bearer realm=\"gavel\"".to_string()
    } else {
        format!("Bearer realm=\"gavel\", error=\"{error}\"")
    };
    if let Ok(v) = HeaderValue::from_str(&challenge) {
        r.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    r
}

#[derive(Debug, Deserialize)]
struct JsonCommand {
    command: String,
}

/// `POST /api/commands`.
pub async fn commands(State(s): State<Arc<WebState>>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(api) = &s.api else {
        return (StatusCode::NOT_FOUND, "Not found\n").into_response();
    };
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim);
    let Some(presented) = presented else {
        return unauthorized("", "an `Authorization: Bearer <token>` header is required");
    };
    let Some(index) = match_token(&api.tokens, presented) else {
        tracing::warn!("clerk API request with an unknown token refused");
        return unauthorized("invalid_token", "the bearer token is not valid");
    };
    if let Err(wait) = s
        .runtime
        .limiter
        .take(index, api.rate_per_minute, Instant::now())
    {
        let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        let mut r = json_reply(
            StatusCode::TOO_MANY_REQUESTS,
            json!({"ok": false, "error": format!("too many commands: {} a minute allowed; retry in {secs} s", api.rate_per_minute)}),
        );
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
        return r;
    }

    if body.len() > MAX_COMMAND {
        return json_reply(
            StatusCode::PAYLOAD_TOO_LARGE,
            json!({"ok": false, "error": format!("a command may be at most {MAX_COMMAND} bytes")}),
        );
    }
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("application/json")
        });
    let text = if is_json {
        match serde_json::from_slice::<JsonCommand>(&body) {
            Ok(c) => c.command,
            Err(e) => {
                return json_reply(
                    StatusCode::BAD_REQUEST,
                    json!({"ok": false, "error": format!("expected JSON {{\"command\": \"!note ...\"}}: {e}")}),
                );
            }
        }
    } else {
        match std::str::from_utf8(&body) {
            Ok(t) => t.to_string(),
            Err(_) => {
                return json_reply(
                    StatusCode::BAD_REQUEST,
                    json!({"ok": false, "error": "the body must be UTF-8 text"}),
                );
            }
        }
    };
    let text = text.trim().to_string();
    if text.contains('\n') {
        return json_reply(
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({"ok": false, "error": "send one command line per request"}),
        );
    }

    let token = &api.tokens[index];
    let user = token_user_id(token.expose_secret());
    // An Idempotency-Key makes a retried request record its entry once.
    let source = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .filter(|k| !k.is_empty() && k.len() <= 200)
        .map(|k| SourceRef {
            platform: "http".into(),
            message_id: format!("{user}:{k}"),
        });
    let input = ClerkInput {
        author: Author::new("http", user, "API clerk"),
        text,
        source,
    };
    let reply = s.desk.submit(input).await;
    match &reply {
        Reply::Recorded { entry, .. } | Reply::AlreadyRecorded { entry } => json_reply(
            StatusCode::OK,
            json!({"ok": true, "entry": entry.seq.0, "meeting": entry.meeting.0, "reply": reply.to_clerk(s.desk.settings().language)}),
        ),
        Reply::Info(text) => json_reply(StatusCode::OK, json!({"ok": true, "reply": text})),
        Reply::Refused(why) => json_reply(
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({"ok": false, "error": why}),
        ),
        Reply::Ignored => {
            let settings = s.desk.settings();
            let prefix = &settings.prefix;
            let error = settings
                .language
                .each("\n", |l| tr!(l, "input-not-a-command-api", prefix = prefix));
            json_reply(
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({"ok": false, "error": error}),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_refuses_past_its_rate_and_refills_over_time() {
        let l = RateLimiter::default();
        let t0 = Instant::now();
        assert!(l.take(0, 2, t0).is_ok());
        assert!(l.take(0, 2, t0).is_ok());
        let wait = l.take(0, 2, t0).unwrap_err();
        assert!(
            wait > Duration::from_secs(29) && wait <= Duration::from_secs(30),
            "{wait:?}"
        );
        assert!(l.take(1, 2, t0).is_ok(), "buckets are per token");
        assert!(l.take(0, 2, t0 + Duration::from_secs(30)).is_ok());
    }

    #[test]
    fn tokens_match_exactly() {
        let toks = vec![
            secrecy::SecretString::from("aaaaaaaaaaaaaaaa"),
            secrecy::SecretString::from("bbbbbbbbbbbbbbbb"),
        ];
        assert_eq!(match_token(&toks, "bbbbbbbbbbbbbbbb"), Some(1));
        assert_eq!(match_token(&toks, "bbbbbbbbbbbbbbb"), None);
        assert_eq!(match_token(&toks, ""), None);
    }

    #[test]
    fn clerk_ids_name_a_hash_prefix_not_the_token() {
        let id = token_user_id("secret-token-123456");
        assert!(id.starts_with("token:") && id.len() == 12);
        assert!(!id.contains("secret"));
    }
}
