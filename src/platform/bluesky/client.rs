//! An XRPC client for one account on its PDS: the session (created once, refreshed, kept in
//! the state folder so a restart does not log in again: `createSession` is limited to 30 per
//! five minutes and 300 a day), records (create, get, delete), and pacing from the PDS's
//! `ratelimit-*` headers. The app password and tokens are secrets: never logged, never in an
//! error.

use std::path::PathBuf;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use tokio::sync::Mutex;

use super::config::BlueskySettings;
use crate::sink::SinkError;

pub const POST: &str = "app.bsky.feed.post";

/// The longest Gavel waits for a rate limit to reset before trying anyway.
const MAX_PACE: Duration = Duration::from_secs(15 * 60);

/// A record as a reply or an embed names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StrongRef {
    pub uri: String,
    pub cid: String,
}

impl StrongRef {
    /// How Gavel stores a post as a remote id: `<at-uri> <cid>` (at-uris have no spaces).
    pub fn to_remote(&self) -> String {
        format!("{} {}", self.uri, self.cid)
    }

    pub fn from_remote(remote: &str) -> Option<StrongRef> {
        let (uri, cid) = remote.split_once(' ')?;
        uri.starts_with("at://").then(|| StrongRef {
            uri: uri.into(),
            cid: cid.into(),
        })
    }

    /// The record key, the last segment of the at-uri.
    pub fn rkey(&self) -> &str {
        self.uri.rsplit('/').next().unwrap_or_default()
    }

    pub fn to_json(&self) -> Value {
        json!({"uri": self.uri, "cid": self.cid})
    }
}

struct Session {
    did: String,
    access: SecretString,
    refresh: SecretString,
}

/// An XRPC failure: the HTTP status and the error name the PDS gave, already classed.
#[derive(Debug)]
pub struct XrpcError {
    pub status: Option<StatusCode>,
    pub error: String,
    pub sink: SinkError,
}

impl From<XrpcError> for SinkError {
    fn from(e: XrpcError) -> SinkError {
        e.sink
    }
}

pub struct Pds {
    http: reqwest::Client,
    settings: BlueskySettings,
    state_file: Option<PathBuf>,
    session: Mutex<Option<Session>>,
    /// Not before this instant: the PDS said no requests remain until then.
    paced_until: std::sync::Mutex<Option<tokio::time::Instant>>,
}

impl Pds {
    /// `state_dir`: where the session is kept between runs (`None`: memory only).
    pub fn new(
        settings: BlueskySettings,
        state_dir: Option<PathBuf>,
        timeout: Duration,
    ) -> Result<Pds, reqwest::Error> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .user_agent(concat!("gavel/", env!("CARGO_PKG_VERSION")))
            .build()?;
        let state_file =
            state_dir.map(|d| d.join(format!("bluesky-{}.session.json", settings.handle)));
        Ok(Pds {
            http,
            settings,
            state_file,
            session: Mutex::new(None),
            paced_until: std::sync::Mutex::new(None),
        })
    }

    pub fn handle(&self) -> &str {
        &self.settings.handle
    }

    /// `com.atproto.server.describeServer`: the PDS answers.
    pub async fn describe_server(&self) -> Result<Value, XrpcError> {
        self.send(
            Method::GET,
            "com.atproto.server.describeServer",
            &[],
            None,
            None,
        )
        .await
    }

    /// `com.atproto.server.getSession` with the kept (or a new) session.
    pub async fn get_session(&self) -> Result<Value, XrpcError> {
        self.call(Method::GET, "com.atproto.server.getSession", &[], None)
            .await
    }

    /// Creates the post record `rkey`. A record already there under that key (a post sent
    /// before a crash) is found and returned instead: the PDS answers a second create with an
    /// error, not a clean conflict, so any refusal that is not a rate limit or a login problem
    /// is checked with `getRecord`.
    pub async fn create_post(&self, rkey: &str, record: Value) -> Result<StrongRef, SinkError> {
        let did = self.did().await?;
        let body = json!({"repo": did, "collection": POST, "rkey": rkey, "record": record});
        match self
            .call(
                Method::POST,
                "com.atproto.repo.createRecord",
                &[],
                Some(body),
            )
            .await
        {
            Ok(v) => strong_ref(&v).ok_or_else(|| {
                SinkError::backoff("Bluesky answered createRecord without a uri and cid")
            }),
            Err(e) if e.status == Some(StatusCode::TOO_MANY_REQUESTS) => Err(e.sink),
            Err(e) if matches!(e.status, Some(StatusCode::UNAUTHORIZED)) => Err(e.sink),
            Err(e) => match self.get_post(rkey).await {
                Ok(Some(found)) => Ok(found),
                _ => Err(e.sink),
            },
        }
    }

    /// The post record `rkey` of this account, if it exists.
    pub async fn get_post(&self, rkey: &str) -> Result<Option<StrongRef>, SinkError> {
        let did = self.did().await?;
        match self
            .call(
                Method::GET,
                "com.atproto.repo.getRecord",
                &[("repo", &did), ("collection", POST), ("rkey", rkey)],
                None,
            )
            .await
        {
            Ok(v) => Ok(strong_ref(&v)),
            Err(e) if e.error == "RecordNotFound" => Ok(None),
            Err(e) => Err(e.sink),
        }
    }

    /// Deletes the post record `rkey`; one already gone is fine.
    pub async fn delete_post(&self, rkey: &str) -> Result<(), SinkError> {
        let did = self.did().await?;
        let body = json!({"repo": did, "collection": POST, "rkey": rkey});
        match self
            .call(
                Method::POST,
                "com.atproto.repo.deleteRecord",
                &[],
                Some(body),
            )
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if e.error == "RecordNotFound" => Ok(()),
            Err(e) => Err(e.sink),
        }
    }

    async fn did(&self) -> Result<String, SinkError> {
        let mut session = self.session.lock().await;
        self.ensure_session(&mut session).await?;
        Ok(session.as_ref().map(|s| s.did.clone()).unwrap_or_default())
    }

    /// An authenticated call: with the kept session, refreshed once when it has expired, and
    /// logged in again once when the refresh token is no good either.
    async fn call(
        &self,
        method: Method,
        nsid: &str,
        query: &[(&str, &str)],
        body: Option<Value>,
    ) -> Result<Value, XrpcError> {
        let mut session = self.session.lock().await;
        self.ensure_session(&mut session).await?;
        for attempt in 0..3 {
            let token = session.as_ref().map(|s| s.access.clone());
            match self
                .send(method.clone(), nsid, query, body.clone(), token.as_ref())
                .await
            {
                Err(e) if attempt < 2 && is_expired(&e) => {
                    let refreshed = match session.as_ref() {
                        Some(s) if attempt == 0 => self.refresh(s).await,
                        _ => Err(e),
                    };
                    *session = match refreshed {
                        Ok(s) => Some(s),
                        Err(_) => Some(self.create_session().await?),
                    };
                    self.keep(session.as_ref());
                }
                other => return other,
            }
        }
        unreachable!("the loop returns by its third attempt")
    }

    async fn ensure_session(&self, session: &mut Option<Session>) -> Result<(), XrpcError> {
        if session.is_none() {
            *session = match self.load() {
                Some(s) => Some(s),
                None => {
                    let s = self.create_session().await?;
                    self.keep(Some(&s));
                    Some(s)
                }
            };
        }
        Ok(())
    }

    async fn create_session(&self) -> Result<Session, XrpcError> {
        tracing::info!(handle = %self.settings.handle, "logging in to Bluesky");
        let body = json!({
            "identifier": self.settings.handle,
            "password": self.settings.app_password.expose_secret(),
        });
        let v = self
            .send(
                Method::POST,
                "com.atproto.server.createSession",
                &[],
                Some(body),
                None,
            )
            .await
            .map_err(|mut e| {
                if e.status == Some(StatusCode::UNAUTHORIZED) {
                    e.sink = SinkError::backoff(format!(
                        "Bluesky refused the login for {} ({}): check the handle and app_password",
                        self.settings.handle, e.error
                    ));
                }
                e
            })?;
        session_from(&v).ok_or_else(|| XrpcError {
            status: None,
            error: "BadSession".into(),
            sink: SinkError::backoff("Bluesky answered createSession without tokens"),
        })
    }

    async fn refresh(&self, s: &Session) -> Result<Session, XrpcError> {
        let v = self
            .send(
                Method::POST,
                "com.atproto.server.refreshSession",
                &[],
                None,
                Some(&s.refresh),
            )
            .await?;
        session_from(&v).ok_or_else(|| XrpcError {
            status: None,
            error: "BadSession".into(),
            sink: SinkError::backoff("Bluesky answered refreshSession without tokens"),
        })
    }

    fn load(&self) -> Option<Session> {
        let text = std::fs::read_to_string(self.state_file.as_ref()?).ok()?;
        session_from(&serde_json::from_str(&text).ok()?)
    }

    /// Keeps the session in the state folder (owner-only), so a restart refreshes it instead
    /// of logging in again. A failure to write is logged and otherwise harmless.
    fn keep(&self, s: Option<&Session>) {
        let (Some(path), Some(s)) = (&self.state_file, s) else {
            return;
        };
        let text = json!({
            "did": s.did,
            "accessJwt": s.access.expose_secret(),
            "refreshJwt": s.refresh.expose_secret(),
        })
        .to_string();
        let written = crate::files::replace(path, text.as_bytes(), crate::files::Access::Private);
        if let Err(e) = written {
            tracing::warn!(path = %path.display(), error = %e, "cannot keep the Bluesky session; the next start logs in again");
        }
    }

    /// One XRPC request, paced by the PDS's rate-limit headers, with its failure classed.
    async fn send(
        &self,
        method: Method,
        nsid: &str,
        query: &[(&str, &str)],
        body: Option<Value>,
        token: Option<&SecretString>,
    ) -> Result<Value, XrpcError> {
        self.pace().await;
        let mut url = self.settings.service.clone();
        url.set_path(&format!("/xrpc/{nsid}"));
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query.iter().copied());
        }
        let mut req = self.http.request(method, url);
        if let Some(t) = token {
            req = req.bearer_auth(t.expose_secret());
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.map_err(|e| XrpcError {
            status: None,
            error: "Unreachable".into(),
            sink: SinkError::backoff(format!(
                "Bluesky PDS unreachable ({nsid}): {}",
                e.without_url()
            )),
        })?;
        let status = resp.status();
        let reset = self.note_limits(resp.headers());
        let text = resp.text().await.unwrap_or_default();
        let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if status.is_success() {
            return Ok(v);
        }
        let error = v["error"].as_str().unwrap_or("").to_string();
        let message: String = v["message"]
            .as_str()
            .unwrap_or("")
            .chars()
            .take(200)
            .collect();
        let what = format!(
            "Bluesky {nsid} failed (HTTP {}{}{})",
            status.as_u16(),
            if error.is_empty() { "" } else { " " },
            error
        );
        let what = if message.is_empty() {
            what
        } else {
            format!("{what}: {message}")
        };
        let sink = match status {
            StatusCode::TOO_MANY_REQUESTS => match reset {
                Some(wait) => SinkError::after(wait, what),
                None => SinkError::backoff(what),
            },
            StatusCode::BAD_REQUEST
                if matches!(error.as_str(), "InvalidRequest" | "InvalidRecord") =>
            {
                SinkError::permanent(what)
            }
            StatusCode::PAYLOAD_TOO_LARGE => SinkError::permanent(what),
            _ => SinkError::backoff(what),
        };
        Err(XrpcError {
            status: Some(status),
            error,
            sink,
        })
    }

    /// Reads `ratelimit-remaining` and `ratelimit-reset` (Unix seconds): with none remaining,
    /// later requests wait for the reset. Returns how long until the reset, if given.
    fn note_limits(&self, h: &reqwest::header::HeaderMap) -> Option<Duration> {
        let num = |k: &str| {
            h.get(k)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<i64>().ok())
        };
        let wait = num("ratelimit-reset").map(|reset| {
            let secs = (reset - chrono::Utc::now().timestamp()).max(0) as u64;
            Duration::from_secs(secs).min(MAX_PACE)
        });
        if num("ratelimit-remaining") == Some(0)
            && let Some(w) = wait
        {
            *self.paced_until.lock().unwrap_or_else(|p| p.into_inner()) =
                Some(tokio::time::Instant::now() + w);
        }
        wait
    }

    async fn pace(&self) {
        let until = self
            .paced_until
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(until) = until {
            tokio::time::sleep_until(until).await;
        }
    }
}

fn is_expired(e: &XrpcError) -> bool {
    matches!(e.error.as_str(), "ExpiredToken" | "InvalidToken")
        || e.status == Some(StatusCode::UNAUTHORIZED)
}

fn strong_ref(v: &Value) -> Option<StrongRef> {
    Some(StrongRef {
        uri: v["uri"].as_str()?.to_string(),
        cid: v["cid"].as_str()?.to_string(),
    })
}

fn session_from(v: &Value) -> Option<Session> {
    Some(Session {
        did: v["did"].as_str()?.to_string(),
        access: SecretString::from(v["accessJwt"].as_str()?.to_string()),
        refresh: SecretString::from(v["refreshJwt"].as_str()?.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    use axum::Router;
    use axum::http::{HeaderMap, StatusCode};
    use axum::response::IntoResponse;
    use axum::routing::{get, post};

    use super::*;
    use crate::sink::RetryClass;

    /// How many times each method was called, and what `createRecord` answers in turn.
    #[derive(Default)]
    struct Calls {
        create_session: AtomicU32,
        refresh_session: AtomicU32,
        create_record: AtomicU32,
    }

    /// A PDS that logs in, expires the first token, then rate-limits the second record.
    async fn fake() -> (String, Arc<Calls>) {
        let calls = Arc::new(Calls::default());
        let tokens = |n: &str| {
            axum::Json(json!({"did": "did:plc:fake", "handle": "c.test",
                "accessJwt": format!("access-{n}"), "refreshJwt": format!("refresh-{n}")}))
        };
        let c = calls.clone();
        let c2 = calls.clone();
        let c3 = calls.clone();
        let app = Router::new()
            .route(
                "/xrpc/com.atproto.server.createSession",
                post(move || {
                    c.create_session.fetch_add(1, Ordering::SeqCst);
                    async move { tokens("1") }
                }),
            )
            .route(
                "/xrpc/com.atproto.server.refreshSession",
                post(move |h: HeaderMap| {
                    c2.refresh_session.fetch_add(1, Ordering::SeqCst);
                    let ok = h["authorization"] == "Bearer refresh-1";
                    async move {
                        if ok {
                            tokens("2").into_response()
                        } else {
                            StatusCode::UNAUTHORIZED.into_response()
                        }
                    }
                }),
            )
            .route(
                "/xrpc/com.atproto.repo.createRecord",
                post(move |h: HeaderMap| {
                    let n = c3.create_record.fetch_add(1, Ordering::SeqCst);
                    let auth = h["authorization"].to_str().unwrap_or("").to_string();
                    async move {
                        let reset = (chrono::Utc::now().timestamp() + 30).to_string();
                        match (n, auth.as_str()) {
                            (0, "Bearer access-1") => (
                                StatusCode::BAD_REQUEST,
                                axum::Json(json!({"error": "ExpiredToken", "message": "Token has expired"})),
                            )
                                .into_response(),
                            (1, "Bearer access-2") => axum::Json(
                                json!({"uri": "at://did:plc:fake/app.bsky.feed.post/3abc", "cid": "bafy"}),
                            )
                            .into_response(),
                            _ => (
                                StatusCode::TOO_MANY_REQUESTS,
                                [
                                    ("ratelimit-limit", "5000".to_string()),
                                    ("ratelimit-remaining", "0".to_string()),
                                    ("ratelimit-reset", reset),
                                ],
                                axum::Json(json!({"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"})),
                            )
                                .into_response(),
                        }
                    }
                }),
            )
            .route(
                "/xrpc/com.atproto.repo.getRecord",
                get(|| async {
                    (
                        StatusCode::BAD_REQUEST,
                        axum::Json(json!({"error": "RecordNotFound"})),
                    )
                }),
            );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        (format!("http://{addr}"), calls)
    }

    fn pds(service: &str) -> Pds {
        Pds::new(
            BlueskySettings {
                service: service.parse().unwrap(),
                handle: "c.test".into(),
                app_password: "app-password-secret".to_string().into(),
            },
            None,
            Duration::from_secs(5),
        )
        .unwrap()
    }

    #[tokio::test]
    async fn an_expired_token_is_refreshed_once_and_a_rate_limit_waits_for_its_reset() {
        let (service, calls) = fake().await;
        let pds = pds(&service);
        let posted = pds
            .create_post("3abc", json!({"text": "one"}))
            .await
            .unwrap();
        assert_eq!(posted.uri, "at://did:plc:fake/app.bsky.feed.post/3abc");
        assert_eq!(calls.create_session.load(Ordering::SeqCst), 1);
        assert_eq!(calls.refresh_session.load(Ordering::SeqCst), 1);

        let e = pds
            .create_post("3abd", json!({"text": "two"}))
            .await
            .unwrap_err();
        match e.class {
            RetryClass::After(wait) => {
                assert!(
                    wait > Duration::from_secs(25) && wait <= Duration::from_secs(30),
                    "{wait:?}"
                )
            }
            other => panic!("{other:?}: {}", e.message),
        }
        assert!(e.message.contains("RateLimitExceeded"), "{}", e.message);
        assert!(!e.message.contains("app-password-secret") && !e.message.contains("access-"));
        assert_eq!(
            calls.create_session.load(Ordering::SeqCst),
            1,
            "no new login"
        );
        // No requests remain until the reset: the next call waits for it before sending.
        let next = tokio::time::timeout(
            Duration::from_millis(300),
            pds.create_post("3abe", json!({"text": "three"})),
        )
        .await;
        assert!(next.is_err(), "the client must wait for the reset");
        assert_eq!(calls.create_record.load(Ordering::SeqCst), 3);
    }
}
