//! Gavel's own Discord REST client (reqwest) against an overridable `api_base`, with Discord's
//! rate limits handled here rather than by serenity.
//!
//! Why not serenity's `Http` for sending: its proxy base is ignored while its rate limiter is on
//! (serenity issue #1739), and with the limiter off a 429 surfaces without its headers or
//! `retry_after`. So every message create / edit / delete / pin, history read, command
//! registration and interaction answer goes through this client, in production and in tests.
//!
//! Rate limits, as Discord documents them:
//! - Each route maps to a bucket named by `X-RateLimit-Bucket`; a bucket is shared per *major
//!   parameter* (here the channel, guild, application or interaction id). The client learns the
//!   route → bucket mapping from responses and keeps `remaining` / reset time per
//!   (bucket, major parameter). It never sends into a bucket with `remaining == 0` before its
//!   reset: it waits (up to `max_inline_wait`) or returns [`RestError::RateLimited`].
//! - A 429 is honoured from its body's `retry_after` (seconds, float) or `Retry-After`;
//!   `X-RateLimit-Global` / `"global": true` pauses every request; `X-RateLimit-Scope: shared`
//!   is a per-resource limit that does not count against the bot but is still waited out.
//! - Independently, requests are paced under a global cap (`discord.requests_per_second`, 45 by
//!   default; Discord allows 50 unless it raised a bot's limit).
//! - After a 401 the client stops sending for a while ("token rejected"), because Discord bans
//!   IPs that make too many invalid (401/403/429) requests.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use reqwest::header::HeaderValue;
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde_json::Value;
use tokio::time::Instant;
use url::Url;

use crate::sink::SinkError;

/// How long to stop sending after Discord rejected the token.
const TOKEN_REJECTED_PAUSE: Duration = Duration::from_secs(30);
/// A meeting's thread stays open for a week without activity (Discord's longest choice), so
/// late corrections can still edit it.
const THREAD_AUTO_ARCHIVE_MINUTES: u32 = 10080;
/// Extra margin after a bucket's reset, against clock and network jitter.
const RESET_MARGIN: Duration = Duration::from_millis(60);

/// What went wrong with one REST call.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RestError {
    #[error("rate limited by Discord; retry after {:.2}s{}", retry_after.as_secs_f64(), if *global { " (global)" } else { "" })]
    RateLimited { retry_after: Duration, global: bool },
    #[error("Discord rejected the bot token (HTTP 401): check discord.token")]
    Unauthorized,
    #[error("HTTP 403: {message} (code {code})")]
    Forbidden { code: u64, message: String },
    #[error("HTTP 404: {message} (code {code})")]
    NotFound { code: u64, message: String },
    #[error("Discord refused the request (HTTP {status}): {message} (code {code})")]
    Refused {
        status: u16,
        code: u64,
        message: String,
    },
    #[error("Discord server error (HTTP {0})")]
    Server(u16),
    #[error("Discord unreachable: {0}")]
    Transport(String),
    #[error("unexpected response from Discord: {0}")]
    Decode(String),
}

impl RestError {
    /// The outbox's view of this error, for a delivery to `channel`.
    pub fn into_sink_error(self, channel: &str) -> SinkError {
        match self {
            RestError::RateLimited { retry_after, .. } => SinkError::after(
                retry_after,
                format!(
                    "Discord rate limit; retry after {:.1}s",
                    retry_after.as_secs_f64()
                ),
            ),
            RestError::Unauthorized => {
                SinkError::backoff("Discord token rejected (HTTP 401): check discord.token")
            }
            RestError::Forbidden { message, .. } => SinkError::backoff(format!(
                "missing permission in channel {channel} (HTTP 403: {message}); the bot needs View Channel, Send Messages, Read Message History and Manage Messages"
            )),
            RestError::NotFound { message, .. } => SinkError::backoff(format!(
                "Discord channel {channel} not found or not visible (HTTP 404: {message})"
            )),
            RestError::Refused {
                status,
                code,
                message,
            } => SinkError::permanent(format!(
                "Discord refused the message (HTTP {status}, code {code}: {message})"
            )),
            e @ (RestError::Server(_) | RestError::Transport(_) | RestError::Decode(_)) => {
                SinkError::backoff(e.to_string())
            }
        }
    }
}

/// One route, for bucketing: the method, a template of the path and its major parameter.
#[derive(Debug, Clone)]
pub struct Route {
    pub method: Method,
    /// The path below `/api/v10`, e.g. `/channels/1/messages`.
    pub path: String,
    /// The path with ids replaced except the major parameter's, e.g. `POST /channels/1/messages`.
    key: String,
    /// The major parameter (channel / guild / application / interaction id), or "".
    major: String,
}

impl Route {
    pub fn new(method: Method, path: impl Into<String>) -> Route {
        let path = path.into();
        let mut major = String::new();
        let mut parts = Vec::new();
        let bare = path.split('?').next().unwrap_or("");
        let segs: Vec<&str> = bare.trim_start_matches('/').split('/').collect();
        for (i, seg) in segs.iter().enumerate() {
            let prev = if i > 0 { segs[i - 1] } else { "" };
            let is_id = !seg.is_empty() && seg.bytes().all(|b| b.is_ascii_digit());
            if is_id
                && major.is_empty()
                && matches!(
                    prev,
                    "channels" | "guilds" | "webhooks" | "interactions" | "applications"
                )
            {
                major = (*seg).to_string();
                parts.push("{major}".to_string());
            } else if is_id || (i >= 2 && segs[i - 2] == "interactions") || prev == "reactions" {
                parts.push("{id}".to_string());
            } else {
                parts.push((*seg).to_string());
            }
        }
        let key = format!("{method} /{}", parts.join("/"));
        Route {
            method,
            path,
            key,
            major,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct BucketState {
    limit: u32,
    remaining: u32,
    reset_at: Instant,
}

struct LimiterState {
    /// Requests allowed in any second (Gavel's own cap, under Discord's global limit).
    per_second: usize,
    /// Route key → bucket hash, learned from `X-RateLimit-Bucket`.
    route_bucket: HashMap<String, String>,
    /// (bucket hash or route key, major parameter) → state.
    buckets: HashMap<(String, String), BucketState>,
    global_until: Option<Instant>,
    token_rejected_until: Option<Instant>,
    /// When recent requests finished; with `in_flight` this bounds what Discord can have seen
    /// in any second, however long requests took to arrive.
    recent: VecDeque<Instant>,
    in_flight: usize,
}

impl LimiterState {
    fn new(per_second: u32) -> LimiterState {
        LimiterState {
            per_second: per_second.max(1) as usize,
            route_bucket: HashMap::new(),
            buckets: HashMap::new(),
            global_until: None,
            token_rejected_until: None,
            recent: VecDeque::new(),
            in_flight: 0,
        }
    }

    fn bucket_key(&self, route: &Route) -> (String, String) {
        let b = self
            .route_bucket
            .get(&route.key)
            .cloned()
            .unwrap_or_else(|| route.key.clone());
        (b, route.major.clone())
    }

    /// Either reserves a request slot now (`None`) or says how long to wait.
    fn reserve(&mut self, route: &Route, now: Instant) -> Result<Option<Duration>, RestError> {
        if let Some(t) = self.token_rejected_until {
            if now < t {
                return Err(RestError::Unauthorized);
            }
            self.token_rejected_until = None;
        }
        if let Some(g) = self.global_until {
            if now < g {
                return Ok(Some(g - now));
            }
            self.global_until = None;
        }
        while self
            .recent
            .front()
            .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(1))
        {
            self.recent.pop_front();
        }
        if self.recent.len() + self.in_flight >= self.per_second {
            let wait = match self.recent.front() {
                Some(first) => Duration::from_secs(1).saturating_sub(now.duration_since(*first)),
                None => Duration::ZERO,
            };
            return Ok(Some(wait.max(Duration::from_millis(20))));
        }
        let key = self.bucket_key(route);
        if let Some(b) = self.buckets.get_mut(&key) {
            if now >= b.reset_at {
                // The window has passed: assume it refilled until a response says otherwise.
                b.remaining = b.limit;
                b.reset_at = now + Duration::from_secs(3600);
            }
            if b.remaining == 0 {
                return Ok(Some(b.reset_at - now));
            }
            b.remaining -= 1;
        }
        self.in_flight += 1;
        Ok(None)
    }

    /// A reserved request has finished (or was abandoned).
    fn finish(&mut self, now: Instant) {
        self.in_flight = self.in_flight.saturating_sub(1);
        self.recent.push_back(now);
    }

    fn learn(&mut self, route: &Route, h: &reqwest::header::HeaderMap, now: Instant) {
        let get = |name: &str| {
            h.get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        if let Some(bucket) = get("x-ratelimit-bucket")
            && self.route_bucket.get(&route.key) != Some(&bucket)
        {
            // Move what was learned under the route key to the bucket's name.
            let old = (route.key.clone(), route.major.clone());
            if let Some(s) = self.buckets.remove(&old) {
                self.buckets
                    .insert((bucket.clone(), route.major.clone()), s);
            }
            self.route_bucket.insert(route.key.clone(), bucket);
        }
        let limit = get("x-ratelimit-limit").and_then(|v| v.parse::<u32>().ok());
        let remaining = get("x-ratelimit-remaining").and_then(|v| v.parse::<u32>().ok());
        let reset_after = get("x-ratelimit-reset-after")
            .and_then(|v| v.parse::<f64>().ok())
            .filter(|s| s.is_finite() && *s >= 0.0);
        if let (Some(limit), Some(remaining), Some(after)) = (limit, remaining, reset_after) {
            let key = self.bucket_key(route);
            let reset_at = now + Duration::from_secs_f64(after.min(3600.0)) + RESET_MARGIN;
            let entry = self.buckets.entry(key).or_insert(BucketState {
                limit,
                remaining,
                reset_at,
            });
            // Responses to concurrent requests can arrive out of order: within one window keep
            // the lowest count seen.
            let same_window = entry.reset_at.max(reset_at) - entry.reset_at.min(reset_at)
                < Duration::from_millis(500);
            entry.remaining = if same_window {
                entry.remaining.min(remaining)
            } else {
                remaining
            };
            entry.limit = limit;
            entry.reset_at = reset_at;
        }
    }

    fn rate_limited(&mut self, route: &Route, wait: Duration, global: bool, now: Instant) {
        if global {
            self.global_until = Some(now + wait);
        } else {
            let key = self.bucket_key(route);
            let limit = self.buckets.get(&key).map_or(1, |b| b.limit);
            self.buckets.insert(
                key,
                BucketState {
                    limit,
                    remaining: 0,
                    reset_at: now + wait + RESET_MARGIN,
                },
            );
        }
    }
}

/// `Authorization` for a bot token, which may already carry its `Bot ` prefix.
fn bot_authorization(token: &SecretString) -> String {
    let t = token.expose_secret();
    if t.starts_with("Bot ") {
        t.to_string()
    } else {
        format!("Bot {t}")
    }
}

/// A request body in JSON. Gavel's bodies are maps of strings, numbers and booleans, which
/// always serialise.
fn json_bytes<B: Serialize + ?Sized>(body: &B) -> Vec<u8> {
    serde_json::to_vec(body).unwrap_or_else(|_| b"{}".to_vec())
}

/// What a 429's headers say, read before its body.
#[derive(Debug, Clone, PartialEq)]
struct LimitHeaders {
    /// `X-RateLimit-Global: true`.
    global: bool,
    /// `X-RateLimit-Scope`: `user`, `global` or `shared`.
    scope: String,
    /// `Retry-After`, in seconds.
    retry_after: Option<f64>,
}

impl Default for LimitHeaders {
    fn default() -> Self {
        LimitHeaders {
            global: false,
            scope: "user".into(),
            retry_after: None,
        }
    }
}

impl LimitHeaders {
    fn read(h: &reqwest::header::HeaderMap) -> LimitHeaders {
        LimitHeaders {
            global: h
                .get("x-ratelimit-global")
                .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"true")),
            scope: h
                .get("x-ratelimit-scope")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("user")
                .to_string(),
            retry_after: h
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<f64>().ok())
                .filter(|v| v.is_finite() && *v >= 0.0),
        }
    }
}

/// Counters for tests and `/metrics`-style inspection.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RestCounters {
    pub requests: u64,
    pub rate_limited: u64,
    pub invalid: u64,
}

/// A reserved request slot; releasing it (also when the request is cancelled) records when it
/// finished.
struct Slot<'a>(&'a Mutex<LimiterState>);

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .finish(Instant::now());
    }
}

/// The Discord REST client.
pub struct Rest {
    http: reqwest::Client,
    /// `{api_base}/api/v10`, which every path follows.
    api: String,
    token: SecretString,
    /// The `Authorization` header, marked sensitive; `None` if the token cannot be a header
    /// value (then each request builds it, and fails as reqwest sees fit).
    auth: Option<HeaderValue>,
    state: Mutex<LimiterState>,
    counters: Mutex<RestCounters>,
    /// The longest wait for a bucket the client sleeps through; longer waits are returned.
    max_inline_wait: Duration,
}

impl Rest {
    /// `api_base` is `https://discord.com` in production, a fake's address in tests.
    pub fn new(
        api_base: &Url,
        token: SecretString,
        timeout: Duration,
    ) -> Result<Rest, reqwest::Error> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .user_agent(concat!(
                "DiscordBot (https://github.com/gavel, ",
                env!("CARGO_PKG_VERSION"),
                ") gavel"
            ))
            .build()?;
        let auth = HeaderValue::from_str(&bot_authorization(&token))
            .ok()
            .map(|mut v| {
                v.set_sensitive(true);
                v
            });
        Ok(Rest {
            http,
            api: format!("{}/api/v10", api_base.as_str().trim_end_matches('/')),
            token,
            auth,
            state: Mutex::new(LimiterState::new(
                super::config::DISCORD_REQUESTS_PER_SECOND,
            )),
            counters: Mutex::new(RestCounters::default()),
            max_inline_wait: Duration::from_secs(10),
        })
    }

    /// Sets the cap on requests in any second (`discord.requests_per_second`).
    pub fn requests_per_second(self, n: u32) -> Rest {
        self.state
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .per_second = n.max(1) as usize;
        self
    }

    pub fn counters(&self) -> RestCounters {
        *self.counters.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn url(&self, path: &str) -> String {
        let mut url = String::with_capacity(self.api.len() + path.len());
        url.push_str(&self.api);
        url.push_str(path);
        url
    }

    /// Sends one request, pacing it by the rate limits. A short 429 is waited out and retried
    /// once; anything longer comes back as [`RestError::RateLimited`].
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, RestError> {
        let text = self
            .request_text(method, path, body.map(json_bytes))
            .await?;
        Ok(if text.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::Null)
        })
    }

    /// [`Rest::request`] with a body already in JSON, returning the body of a successful
    /// response as it came, for callers that read one field of it without building the whole
    /// document.
    async fn request_text(
        &self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
    ) -> Result<String, RestError> {
        let route = Route::new(method, path);
        let mut retried = false;
        loop {
            // Wait for a slot.
            loop {
                let wait = self
                    .state
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .reserve(&route, Instant::now())?;
                match wait {
                    None => break,
                    Some(d) if d <= self.max_inline_wait => tokio::time::sleep(d).await,
                    Some(d) => {
                        return Err(RestError::RateLimited {
                            retry_after: d,
                            global: false,
                        });
                    }
                }
            }
            let slot = Slot(&self.state);
            let outcome = self.send_once(&route, body.as_deref()).await;
            drop(slot);
            match outcome {
                Err(RestError::RateLimited { retry_after, .. })
                    if !retried && retry_after <= self.max_inline_wait =>
                {
                    retried = true;
                    // The limiter already knows the wait; the loop above sleeps it out.
                }
                other => return other,
            }
        }
    }

    async fn send_once(&self, route: &Route, body: Option<&[u8]>) -> Result<String, RestError> {
        let mut req = self
            .http
            .request(route.method.clone(), self.url(&route.path));
        if !route.path.starts_with("/interactions/") {
            req = match &self.auth {
                Some(auth) => req.header(reqwest::header::AUTHORIZATION, auth.clone()),
                None => req.header(
                    reqwest::header::AUTHORIZATION,
                    bot_authorization(&self.token),
                ),
            };
        }
        if let Some(b) = body {
            req = req
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(b.to_vec());
        }
        self.count(|c| c.requests += 1);
        let resp = req
            .send()
            .await
            .map_err(|e| RestError::Transport(e.without_url().to_string()))?;
        let status = resp.status();
        let now = Instant::now();
        self.state
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .learn(route, resp.headers(), now);
        let limit =
            (status == StatusCode::TOO_MANY_REQUESTS).then(|| LimitHeaders::read(resp.headers()));
        let text = resp
            .text()
            .await
            .map_err(|e| RestError::Transport(e.without_url().to_string()))?;
        if status.is_success() {
            return Ok(text);
        }
        let json: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        let code = json.get("code").and_then(Value::as_u64).unwrap_or(0);
        let message = json
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or("")
            .chars()
            .take(300)
            .collect::<String>();
        match status {
            StatusCode::TOO_MANY_REQUESTS => {
                self.count(|c| {
                    c.rate_limited += 1;
                    c.invalid += 1;
                });
                let limit = limit.unwrap_or_default();
                let global =
                    limit.global || json.get("global").and_then(Value::as_bool).unwrap_or(false);
                let scope = limit.scope;
                let body_wait = json
                    .get("retry_after")
                    .and_then(Value::as_f64)
                    .filter(|s| s.is_finite() && *s >= 0.0);
                let wait = body_wait
                    .or(limit.retry_after)
                    .map(|s| Duration::from_secs_f64(s.min(3600.0)))
                    .unwrap_or(Duration::from_secs(1));
                tracing::warn!(route = %route.key, major = %route.major, scope, global, wait_ms = wait.as_millis() as u64, "Discord rate limit hit");
                self.state
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .rate_limited(route, wait, global, now);
                Err(RestError::RateLimited {
                    retry_after: wait,
                    global,
                })
            }
            StatusCode::UNAUTHORIZED => {
                self.count(|c| c.invalid += 1);
                self.state
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .token_rejected_until = Some(now + TOKEN_REJECTED_PAUSE);
                tracing::error!(
                    "Discord rejected the bot token (HTTP 401); pausing Discord requests"
                );
                Err(RestError::Unauthorized)
            }
            StatusCode::FORBIDDEN => {
                self.count(|c| c.invalid += 1);
                Err(RestError::Forbidden { code, message })
            }
            StatusCode::NOT_FOUND => Err(RestError::NotFound { code, message }),
            s if s.is_server_error() => Err(RestError::Server(s.as_u16())),
            s => Err(RestError::Refused {
                status: s.as_u16(),
                code,
                message,
            }),
        }
    }

    fn count(&self, f: impl FnOnce(&mut RestCounters)) {
        f(&mut self.counters.lock().unwrap_or_else(|p| p.into_inner()));
    }

    // ----- typed helpers ---------------------------------------------------------------------

    /// Creates a message; returns its id.
    pub async fn create_message<B: Serialize + ?Sized>(
        &self,
        channel: u64,
        body: &B,
    ) -> Result<String, RestError> {
        let text = self
            .request_text(
                Method::POST,
                &format!("/channels/{channel}/messages"),
                Some(json_bytes(body)),
            )
            .await?;
        /// The one field of the created message Gavel keeps; the rest is skipped unparsed.
        #[derive(serde::Deserialize)]
        struct Created {
            id: String,
        }
        serde_json::from_str::<Created>(&text)
            .map(|m| m.id)
            .map_err(|_| RestError::Decode("message without an id".into()))
    }

    pub async fn edit_message(
        &self,
        channel: u64,
        message: &str,
        body: &Value,
    ) -> Result<String, RestError> {
        let v = self
            .request(
                Method::PATCH,
                &format!("/channels/{channel}/messages/{message}"),
                Some(body),
            )
            .await?;
        message_id(&v)
    }

    /// Deletes a message; one that is already gone counts as deleted.
    pub async fn delete_message(&self, channel: u64, message: &str) -> Result<(), RestError> {
        match self
            .request(
                Method::DELETE,
                &format!("/channels/{channel}/messages/{message}"),
                None,
            )
            .await
        {
            Ok(_) | Err(RestError::NotFound { code: 10008, .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    pub async fn pin(&self, channel: u64, message: &str) -> Result<(), RestError> {
        self.request(
            Method::PUT,
            &format!("/channels/{channel}/pins/{message}"),
            None,
        )
        .await
        .map(|_| ())
    }

    /// Unpins a message; one that is already unpinned or gone counts as unpinned.
    pub async fn unpin(&self, channel: u64, message: &str) -> Result<(), RestError> {
        match self
            .request(
                Method::DELETE,
                &format!("/channels/{channel}/pins/{message}"),
                None,
            )
            .await
        {
            Ok(_) | Err(RestError::NotFound { code: 10008, .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Starts a public thread from `message` in `channel`; the thread's channel id is the
    /// message's id. A thread that already exists (code 160004, e.g. created before a crash)
    /// counts as created.
    pub async fn start_thread(
        &self,
        channel: u64,
        message: &str,
        name: &str,
    ) -> Result<(), RestError> {
        let body = serde_json::json!({
            "name": name,
            "auto_archive_duration": THREAD_AUTO_ARCHIVE_MINUTES,
        });
        match self
            .request(
                Method::POST,
                &format!("/channels/{channel}/messages/{message}/threads"),
                Some(&body),
            )
            .await
        {
            Ok(_) | Err(RestError::Refused { code: 160004, .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Messages in `channel` after `after`, oldest first (up to `limit`, at most 100).
    pub async fn messages_after(
        &self,
        channel: u64,
        after: u64,
        limit: u8,
    ) -> Result<Vec<Value>, RestError> {
        let v = self
            .request(
                Method::GET,
                &format!(
                    "/channels/{channel}/messages?after={after}&limit={}",
                    limit.min(100)
                ),
                None,
            )
            .await?;
        let mut list = v
            .as_array()
            .cloned()
            .ok_or_else(|| RestError::Decode("message list is not an array".into()))?;
        list.sort_by_key(|m| {
            m.get("id")
                .and_then(Value::as_str)
                .and_then(|s| s.parse::<u64>().ok())
                .unwrap_or(0)
        });
        Ok(list)
    }

    /// Replaces the guild's application commands.
    pub async fn put_guild_commands(
        &self,
        application: u64,
        guild: u64,
        commands: &Value,
    ) -> Result<(), RestError> {
        self.request(
            Method::PUT,
            &format!("/applications/{application}/guilds/{guild}/commands"),
            Some(commands),
        )
        .await
        .map(|_| ())
    }

    /// Answers an interaction (within Discord's 3 seconds).
    pub async fn interaction_callback(
        &self,
        id: u64,
        token: &str,
        body: &Value,
    ) -> Result<(), RestError> {
        self.request(
            Method::POST,
            &format!("/interactions/{id}/{token}/callback"),
            Some(body),
        )
        .await
        .map(|_| ())
    }
}

fn message_id(v: &Value) -> Result<String, RestError> {
    v.get("id")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| RestError::Decode("message without an id".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_keep_the_major_parameter_and_hide_minor_ids() {
        let r = Route::new(
            Method::PATCH,
            "/channels/123456789012345678/messages/987654321098765432",
        );
        assert_eq!(r.major, "123456789012345678");
        assert_eq!(r.key, "PATCH /channels/{major}/messages/{id}");
        let i = Route::new(
            Method::POST,
            "/interactions/111111111111111111/sometoken/callback",
        );
        assert_eq!(i.key, "POST /interactions/{major}/{id}/callback");
    }

    #[tokio::test(start_paused = true)]
    async fn an_exhausted_bucket_waits_for_its_reset_and_other_channels_do_not() {
        let mut s = LimiterState::new(45);
        let a = Route::new(Method::POST, "/channels/100000000000000001/messages");
        let b = Route::new(Method::POST, "/channels/100000000000000002/messages");
        let now = Instant::now();
        let mut h = reqwest::header::HeaderMap::new();
        h.insert("x-ratelimit-bucket", "abc".parse().unwrap());
        h.insert("x-ratelimit-limit", "5".parse().unwrap());
        h.insert("x-ratelimit-remaining", "0".parse().unwrap());
        h.insert("x-ratelimit-reset-after", "2.5".parse().unwrap());
        assert_eq!(s.reserve(&a, now).unwrap(), None);
        s.learn(&a, &h, now);
        let wait = s.reserve(&a, now).unwrap().expect("must wait");
        assert!(
            wait >= Duration::from_millis(2500) && wait < Duration::from_secs(3),
            "{wait:?}"
        );
        assert_eq!(
            s.reserve(&b, now).unwrap(),
            None,
            "another channel has its own bucket"
        );
        assert_eq!(
            s.reserve(&a, now + Duration::from_secs(3)).unwrap(),
            None,
            "after reset it refills"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_global_rate_limit_pauses_every_route_and_the_global_cap_holds() {
        let mut s = LimiterState::new(45);
        let a = Route::new(Method::POST, "/channels/100000000000000001/messages");
        let now = Instant::now();
        s.rate_limited(&a, Duration::from_secs(2), true, now);
        let b = Route::new(Method::GET, "/users/@me");
        assert!(s.reserve(&b, now).unwrap().is_some());
        let later = now + Duration::from_secs(3);
        for _ in 0..45 {
            assert_eq!(s.reserve(&b, later).unwrap(), None);
        }
        assert!(
            s.reserve(&b, later).unwrap().is_some(),
            "the per-second cap applies"
        );
    }

    #[test]
    fn a_rejected_token_is_a_backoff_with_a_clear_message_and_content_errors_are_permanent() {
        let e = RestError::Unauthorized.into_sink_error("1");
        assert_eq!(e.class, crate::sink::RetryClass::Backoff);
        assert!(e.message.contains("token rejected"));
        let f = RestError::Forbidden {
            code: 50013,
            message: "Missing Permissions".into(),
        }
        .into_sink_error("42");
        assert!(f.message.contains("missing permission in channel 42"));
        let p = RestError::Refused {
            status: 400,
            code: 50035,
            message: "Invalid Form Body".into(),
        }
        .into_sink_error("1");
        assert_eq!(p.class, crate::sink::RetryClass::Permanent);
    }

    #[tokio::test(start_paused = true)]
    async fn the_per_second_cap_is_the_configured_one() {
        let b = Route::new(Method::GET, "/users/@me");
        let now = Instant::now();
        let mut s = LimiterState::new(3);
        for _ in 0..3 {
            assert_eq!(s.reserve(&b, now).unwrap(), None);
        }
        assert!(s.reserve(&b, now).unwrap().is_some(), "the fourth waits");
        let mut raised = LimiterState::new(500);
        for _ in 0..500 {
            assert_eq!(raised.reserve(&b, now).unwrap(), None);
        }
        assert!(raised.reserve(&b, now).unwrap().is_some());
    }
}
