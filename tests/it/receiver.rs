//! A local webhook receiver for tests: records every request per path and answers with a
//! status the test chooses (500, 503, 429 with `Retry-After`, …), optionally slowly.
#![allow(dead_code)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;

#[derive(Debug, Clone)]
pub struct Received {
    pub body: serde_json::Value,
    pub idempotency_key: Option<String>,
}

#[derive(Clone, Copy, Debug)]
pub enum Answer {
    Ok,
    Status(u16),
    /// 429 with `Retry-After: secs`.
    RateLimited(u32),
}

#[derive(Default)]
struct Inner {
    received: HashMap<String, Vec<Received>>,
    answers: HashMap<String, Answer>,
    /// Requests answered with something other than 2xx, per path.
    refused: HashMap<String, u32>,
    delay: Duration,
}

#[derive(Clone, Default)]
pub struct Receiver {
    inner: Arc<Mutex<Inner>>,
    pub addr: Option<SocketAddr>,
}

impl Receiver {
    pub async fn start() -> Receiver {
        let mut r = Receiver::default();
        let app = Router::new()
            .route("/hook/{name}", post(handle))
            .with_state(r.inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind receiver");
        r.addr = Some(listener.local_addr().expect("addr"));
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        r
    }

    pub fn url(&self, name: &str) -> String {
        format!("http://{}/hook/{name}", self.addr.expect("started"))
    }

    pub fn answer(&self, name: &str, a: Answer) {
        self.inner
            .lock()
            .unwrap()
            .answers
            .insert(name.to_string(), a);
    }

    pub fn set_delay(&self, d: Duration) {
        self.inner.lock().unwrap().delay = d;
    }

    pub fn received(&self, name: &str) -> Vec<Received> {
        self.inner
            .lock()
            .unwrap()
            .received
            .get(name)
            .cloned()
            .unwrap_or_default()
    }

    pub fn refused(&self, name: &str) -> u32 {
        self.inner
            .lock()
            .unwrap()
            .refused
            .get(name)
            .copied()
            .unwrap_or(0)
    }

    /// The `seq` of every JSON-format post received on `name`, in arrival order.
    pub fn seqs(&self, name: &str) -> Vec<u64> {
        self.received(name)
            .iter()
            .filter_map(|r| r.body["seq"].as_u64())
            .collect()
    }

    /// The text of every post received on `name` (any format).
    pub fn texts(&self, name: &str) -> Vec<String> {
        self.received(name)
            .iter()
            .map(|r| {
                r.body["text"]
                    .as_str()
                    .or_else(|| r.body["attachments"][0]["content"]["body"][0]["text"].as_str())
                    .unwrap_or_default()
                    .to_string()
            })
            .collect()
    }

    /// Waits until `name` has at least `n` posts.
    pub async fn wait_for_count(&self, name: &str, n: usize, timeout: Duration) {
        let deadline = tokio::time::Instant::now() + timeout;
        while self.received(name).len() < n {
            if tokio::time::Instant::now() > deadline {
                panic!(
                    "{name} has {} posts, expected {n}",
                    self.received(name).len()
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

async fn handle(
    State(inner): State<Arc<Mutex<Inner>>>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (answer, delay) = {
        let g = inner.lock().unwrap();
        (g.answers.get(&name).copied().unwrap_or(Answer::Ok), g.delay)
    };
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let record = |inner: &Arc<Mutex<Inner>>| {
        let body: serde_json::Value =
            serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
        let key = headers
            .get("idempotency-key")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        inner
            .lock()
            .unwrap()
            .received
            .entry(name.clone())
            .or_default()
            .push(Received {
                body,
                idempotency_key: key,
            });
    };
    match answer {
        Answer::Ok => {
            record(&inner);
            StatusCode::OK.into_response()
        }
        Answer::Status(code) => {
            *inner
                .lock()
                .unwrap()
                .refused
                .entry(name.clone())
                .or_default() += 1;
            StatusCode::from_u16(code)
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
                .into_response()
        }
        Answer::RateLimited(secs) => {
            *inner
                .lock()
                .unwrap()
                .refused
                .entry(name.clone())
                .or_default() += 1;
            (
                StatusCode::TOO_MANY_REQUESTS,
                [("retry-after", secs.to_string())],
                "slow down",
            )
                .into_response()
        }
    }
}
