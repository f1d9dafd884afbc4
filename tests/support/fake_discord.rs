//! A faithful fake of the parts of Discord Gavel uses, for tests and benches (Discord cannot
//! run locally). Axum on `127.0.0.1:0`.
//!
//! REST (`/api/v10`): `GET /gateway`, `GET /gateway/bot`, `GET /users/@me`, message create /
//! edit / delete / list per channel, threads started from a message (the thread's channel id is
//! the message's id; messages are then created, edited and deleted in it like in any channel),
//! reactions, pins, application command bulk overwrite and interaction callbacks; replies
//! (`message_reference`, refused for an unknown message unless `fail_if_not_exists` is false).
//! Gateway (`/gateway`, websocket, JSON text frames): HELLO, IDENTIFY →
//! READY, heartbeat → ACK, RESUME → replay of missed dispatches + RESUMED (or INVALID_SESSION
//! when resuming is switched off), injected MESSAGE_CREATE / INTERACTION_CREATE, the bot's own
//! messages dispatched back to it, forced disconnects (close 4000 or a dropped TCP connection).
//!
//! It enforces what Discord enforces: `Authorization: Bot <token>` (401), content ≤ 2000
//! characters (400 / 50035 with the errors object), embeds ≤ 6000, empty messages (50006),
//! nonce ≤ 25 characters, `enforce_nonce` deduplication (returns the original message), at most
//! 50 pins per channel (400 / 30003), one thread per message (400 / 160004), thread names of 1
//! to 100 characters, posting to a message id that has no thread (404 / 10003 Unknown
//! Channel), per
//! route + major-parameter rate-limit buckets with Discord's headers and 429 bodies, and a
//! global limit. It is stricter than Discord in one way: every create and edit (and interaction
//! response) MUST carry `allowed_mentions` forbidding every ping, else 400.
//!
//! Fault injection: next-N 5xx, full outage, 429 storms, forbidden channels, channels where
//! threads may not be started. Counters: 429s per
//! bucket, invalid (401/403/429) requests, every request with its body and status.
#![allow(dead_code)]

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::ws::{CloseFrame, Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde_json::{Value, json};
use tokio::sync::broadcast;

const DISCORD_EPOCH_MS: u64 = 1_420_070_400_000;
pub const BOT_USER_ID: u64 = 990_000_000_000_000_001;
pub const APP_ID: u64 = 990_000_000_000_000_002;
/// Pins Discord allows per channel.
pub const MAX_PINS: usize = 50;

/// One REST request as the fake saw it.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    pub body: Value,
    pub status: u16,
    pub at: Instant,
}

/// A message as stored in a channel.
#[derive(Debug, Clone)]
pub struct FakeMessage {
    pub id: u64,
    pub channel: u64,
    pub author_id: u64,
    pub author_name: String,
    pub bot: bool,
    pub content: String,
    pub nonce: Option<String>,
    pub allowed_mentions: Option<Value>,
    pub reply_to: Option<u64>,
    pub pinned: bool,
    pub edits: u32,
    pub created: Instant,
}

#[derive(Debug, Clone, Copy)]
pub enum Disconnect {
    /// Close frame with code 4000 ("unknown error", resumable).
    Close4000,
    /// The TCP connection just goes away.
    DropTcp,
}

#[derive(Debug, Clone, Copy)]
enum GatewayCtl {
    Close(u16),
    Drop,
}

struct Session {
    seq: u64,
    log: Vec<(u64, Value)>,
    valid: bool,
}

struct Window {
    count: u32,
    reset: Instant,
}

#[derive(Default)]
struct Faults {
    fail_next: VecDeque<u16>,
    outage: bool,
    storm: u32,
    storm_retry_after: f64,
    forbidden: HashSet<u64>,
    /// Channels where the bot lacks Create Public Threads.
    no_threads: HashSet<u64>,
}

struct Inner {
    token: String,
    port: u16,
    last_id: u64,
    messages: HashMap<u64, Vec<FakeMessage>>,
    nonces: HashMap<(u64, String), (u64, Instant)>,
    requests: Vec<RecordedRequest>,
    commands: Vec<Value>,
    interactions: HashMap<u64, String>,
    interaction_responses: HashMap<u64, Value>,
    reactions: Vec<(u64, u64, String)>,
    default_limit: (u32, Duration),
    channel_limits: HashMap<u64, (u32, Duration)>,
    windows: HashMap<(String, u64), Window>,
    global_limit: u32,
    global_times: VecDeque<Instant>,
    rate_limited: HashMap<String, u32>,
    invalid: u32,
    faults: Faults,
    sessions: HashMap<String, Session>,
    resume_allowed: bool,
    identifies: u32,
    resumes: u32,
    connected: u32,
    nonce_dedupes: u32,
    /// Message creates are applied at once but answered only after this delay.
    create_delay: Option<Duration>,
    /// Threads started from a message: thread (= message) id → the thread channel object.
    threads: HashMap<u64, Value>,
    /// Every message id currently held, in any channel (a thread's id is one).
    message_ids: HashSet<u64>,
}

struct Shared {
    inner: Mutex<Inner>,
    dispatched: broadcast::Sender<()>,
    ctl: broadcast::Sender<GatewayCtl>,
}

/// The running fake. Dropping it stops the server.
pub struct FakeDiscord {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for FakeDiscord {
    fn drop(&mut self) {
        self.server.abort();
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

fn timestamp() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn user_json(id: u64, name: &str, bot: bool) -> Value {
    json!({"id": id.to_string(), "username": name, "discriminator": "0", "global_name": name, "avatar": null, "bot": bot})
}

fn member_json(user: Option<Value>) -> Value {
    let mut m = json!({"roles": [], "joined_at": "2024-01-01T00:00:00.000Z", "deaf": false, "mute": false, "flags": 0, "permissions": "2147483647"});
    if let Some(u) = user {
        m["user"] = u;
    }
    m
}

impl FakeMessage {
    fn to_json(&self, guild: Option<u64>) -> Value {
        let mut v = json!({
            "id": self.id.to_string(),
            "channel_id": self.channel.to_string(),
            "author": user_json(self.author_id, &self.author_name, self.bot),
            "content": self.content,
            "timestamp": timestamp(),
            "edited_timestamp": null,
            "tts": false,
            "mention_everyone": false,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": [],
            "pinned": self.pinned,
            "type": if self.reply_to.is_some() { 19 } else { 0 },
            "flags": 0,
            "components": [],
        });
        if let Some(n) = &self.nonce {
            v["nonce"] = json!(n);
        }
        if let Some(r) = self.reply_to {
            v["message_reference"] =
                json!({"message_id": r.to_string(), "channel_id": self.channel.to_string()});
        }
        if let Some(g) = guild {
            v["guild_id"] = json!(g.to_string());
            v["member"] = member_json(None);
        }
        v
    }
}

fn error_body(code: u64, message: &str) -> Value {
    json!({"message": message, "code": code})
}

fn form_error(field: &str, code: &str, message: &str) -> (StatusCode, Value) {
    (
        StatusCode::BAD_REQUEST,
        json!({"message": "Invalid Form Body", "code": 50035, "errors": {field: {"_errors": [{"code": code, "message": message}]}}}),
    )
}

type Outcome = Result<(StatusCode, Value), (StatusCode, Value)>;

pub const GUILD_ID: u64 = 990_000_000_000_000_003;

impl Inner {
    fn snowflake(&mut self) -> u64 {
        let id = (now_ms().saturating_sub(DISCORD_EPOCH_MS)) << 22;
        self.last_id = id.max(self.last_id + 1);
        self.last_id
    }

    fn dispatch(&mut self, t: &str, d: Value) {
        for s in self.sessions.values_mut().filter(|s| s.valid) {
            s.seq += 1;
            s.log
                .push((s.seq, json!({"op": 0, "t": t, "s": s.seq, "d": d})));
        }
    }

    fn limit_for(&self, major: u64) -> (u32, Duration) {
        self.channel_limits
            .get(&major)
            .copied()
            .unwrap_or(self.default_limit)
    }

    /// Applies the global limit, storms and the route bucket; returns the headers to send.
    fn rate_limit(
        &mut self,
        bucket: Option<(&str, u64, (u32, Duration))>,
    ) -> Result<Vec<(String, String)>, Box<Response>> {
        let now = Instant::now();
        while self
            .global_times
            .front()
            .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(1))
        {
            self.global_times.pop_front();
        }
        if self.global_times.len() as u32 >= self.global_limit {
            let wait = self
                .global_times
                .front()
                .map_or(1.0, |t| 1.0 - now.duration_since(*t).as_secs_f64())
                .max(0.001);
            *self.rate_limited.entry("global".into()).or_default() += 1;
            self.invalid += 1;
            return Err(Box::new(too_many(
                wait,
                true,
                "global",
                vec![("x-ratelimit-global".into(), "true".into())],
            )));
        }
        self.global_times.push_back(now);
        let Some((name, major, (limit, window))) = bucket else {
            return Ok(Vec::new());
        };
        let key = format!("{name}:{major}");
        if self.faults.storm > 0 {
            self.faults.storm -= 1;
            *self.rate_limited.entry(key).or_default() += 1;
            self.invalid += 1;
            return Err(Box::new(too_many(
                self.faults.storm_retry_after,
                false,
                "user",
                vec![("x-ratelimit-bucket".into(), name.into())],
            )));
        }
        let w = self
            .windows
            .entry((name.to_string(), major))
            .or_insert(Window {
                count: 0,
                reset: now + window,
            });
        if now >= w.reset {
            w.count = 0;
            w.reset = now + window;
        }
        let reset_after = w.reset.duration_since(now).as_secs_f64();
        let reset_epoch = now_ms() as f64 / 1000.0 + reset_after;
        let mut headers = vec![
            ("x-ratelimit-limit".to_string(), limit.to_string()),
            ("x-ratelimit-reset".to_string(), format!("{reset_epoch:.3}")),
            (
                "x-ratelimit-reset-after".to_string(),
                format!("{reset_after:.3}"),
            ),
            ("x-ratelimit-bucket".to_string(), name.to_string()),
        ];
        if w.count >= limit {
            headers.push(("x-ratelimit-remaining".into(), "0".into()));
            headers.push(("x-ratelimit-scope".into(), "user".into()));
            *self.rate_limited.entry(key).or_default() += 1;
            self.invalid += 1;
            return Err(Box::new(too_many(
                reset_after.max(0.001),
                false,
                "user",
                headers,
            )));
        }
        w.count += 1;
        headers.push((
            "x-ratelimit-remaining".into(),
            (limit - w.count).to_string(),
        ));
        Ok(headers)
    }

    fn check_body(&self, body: &Value, require_content: bool) -> Result<(), (StatusCode, Value)> {
        let content = body.get("content").and_then(Value::as_str).unwrap_or("");
        if content.chars().count() > 2000 {
            return Err(form_error(
                "content",
                "BASE_TYPE_MAX_LENGTH",
                "Must be 2000 or fewer in length.",
            ));
        }
        let embeds_len: usize = body
            .get("embeds")
            .and_then(Value::as_array)
            .map_or(0, |e| e.iter().map(|x| x.to_string().len()).sum());
        if embeds_len > 6000 {
            return Err(form_error(
                "embeds",
                "MAX_EMBED_SIZE_EXCEEDED",
                "Embed size exceeds maximum size of 6000",
            ));
        }
        if require_content
            && content.is_empty()
            && body
                .get("embeds")
                .and_then(Value::as_array)
                .is_none_or(|e| e.is_empty())
        {
            return Err((
                StatusCode::BAD_REQUEST,
                error_body(50006, "Cannot send an empty message"),
            ));
        }
        let am = body.get("allowed_mentions");
        let forbids_all = am.is_some_and(|am| {
            am.get("parse")
                .and_then(Value::as_array)
                .is_some_and(|p| p.is_empty())
                && am
                    .get("users")
                    .and_then(Value::as_array)
                    .is_none_or(|u| u.is_empty())
                && am
                    .get("roles")
                    .and_then(Value::as_array)
                    .is_none_or(|r| r.is_empty())
                && am.get("replied_user").and_then(Value::as_bool) != Some(true)
        });
        if !forbids_all {
            return Err(form_error(
                "allowed_mentions",
                "FAKE_DISCORD_PINGS_FORBIDDEN",
                "fake Discord: allowed_mentions must be present and allow no ping",
            ));
        }
        Ok(())
    }

    fn find(&mut self, channel: u64, id: u64) -> Option<&mut FakeMessage> {
        self.messages
            .get_mut(&channel)?
            .iter_mut()
            .find(|m| m.id == id)
    }

    /// The message a create replies to. As on Discord, a reference to a message that is not in
    /// the channel fails the create (400) unless `fail_if_not_exists` is false, in which case
    /// the message is posted as a plain message.
    fn reply_target(
        &mut self,
        channel: u64,
        body: &Value,
    ) -> Result<Option<u64>, (StatusCode, Value)> {
        let Some(reference) = body.get("message_reference").filter(|r| !r.is_null()) else {
            return Ok(None);
        };
        let id = reference.get("message_id").and_then(|v| {
            v.as_str()
                .and_then(|s| s.parse::<u64>().ok())
                .or_else(|| v.as_u64())
        });
        let exists = id.is_some_and(|id| self.find(channel, id).is_some());
        let must_exist = reference
            .get("fail_if_not_exists")
            .and_then(Value::as_bool)
            .unwrap_or(true);
        match (exists, must_exist) {
            (true, _) => Ok(id),
            (false, false) => Ok(None),
            (false, true) => Err(form_error(
                "message_reference",
                "REPLIES_UNKNOWN_MESSAGE",
                "Unknown message",
            )),
        }
    }

    /// Whether `channel` is a message's id without a thread: Discord has no such channel.
    fn is_unthreaded_message(&self, channel: u64) -> bool {
        self.message_ids.contains(&channel) && !self.threads.contains_key(&channel)
    }

    /// `POST /channels/{channel}/messages/{message}/threads`: a public thread whose id is the
    /// message's, answered with the thread channel object (type 11).
    fn start_thread(&mut self, channel: u64, message: u64, body: &Value) -> Outcome {
        if self.faults.forbidden.contains(&channel) || self.faults.no_threads.contains(&channel) {
            self.invalid += 1;
            return Err((
                StatusCode::FORBIDDEN,
                error_body(50013, "Missing Permissions"),
            ));
        }
        if self.find(channel, message).is_none() {
            return Err((StatusCode::NOT_FOUND, error_body(10008, "Unknown Message")));
        }
        if self.threads.contains_key(&message) {
            return Err((
                StatusCode::BAD_REQUEST,
                error_body(160004, "A thread has already been created for this message"),
            ));
        }
        let name = body.get("name").and_then(Value::as_str).unwrap_or("");
        if !(1..=100).contains(&name.chars().count()) {
            return Err(form_error(
                "name",
                "BASE_TYPE_BAD_LENGTH",
                "Must be between 1 and 100 in length.",
            ));
        }
        let archive = match body.get("auto_archive_duration") {
            None | Some(Value::Null) => 4320,
            Some(v) => match v.as_u64() {
                Some(d @ (60 | 1440 | 4320 | 10080)) => d,
                _ => {
                    return Err(form_error(
                        "auto_archive_duration",
                        "BASE_TYPE_CHOICES",
                        "Value must be one of {60, 1440, 4320, 10080}.",
                    ));
                }
            },
        };
        let thread = json!({
            "id": message.to_string(),
            "type": 11,
            "guild_id": GUILD_ID.to_string(),
            "parent_id": channel.to_string(),
            "owner_id": BOT_USER_ID.to_string(),
            "name": name,
            "last_message_id": null,
            "message_count": 0,
            "member_count": 1,
            "rate_limit_per_user": 0,
            "flags": 0,
            "thread_metadata": {
                "archived": false,
                "auto_archive_duration": archive,
                "archive_timestamp": timestamp(),
                "locked": false,
            },
        });
        self.threads.insert(message, thread.clone());
        self.dispatch("THREAD_CREATE", thread.clone());
        Ok((StatusCode::CREATED, thread))
    }

    fn create(&mut self, channel: u64, body: &Value) -> Outcome {
        if self.is_unthreaded_message(channel) {
            return Err((StatusCode::NOT_FOUND, error_body(10003, "Unknown Channel")));
        }
        if self.faults.forbidden.contains(&channel) {
            self.invalid += 1;
            return Err((
                StatusCode::FORBIDDEN,
                error_body(50013, "Missing Permissions"),
            ));
        }
        self.check_body(body, true)?;
        let nonce = match body.get("nonce") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            Some(_) => return Err(form_error("nonce", "BASE_TYPE_BAD", "Invalid nonce")),
        };
        if nonce.as_ref().is_some_and(|n| n.chars().count() > 25) {
            return Err(form_error(
                "nonce",
                "BASE_TYPE_MAX_LENGTH",
                "Must be 25 or fewer in length.",
            ));
        }
        let enforce = body
            .get("enforce_nonce")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        if let (Some(n), true) = (&nonce, enforce)
            && let Some((id, at)) = self.nonces.get(&(channel, n.clone())).copied()
            && at.elapsed() < Duration::from_secs(300)
            && self.find(channel, id).is_some()
        {
            self.nonce_dedupes += 1;
            let m = self
                .find(channel, id)
                .map(|m| m.to_json(None))
                .unwrap_or_default();
            return Ok((StatusCode::OK, m));
        }
        let reply_to = self.reply_target(channel, body)?;
        let id = self.snowflake();
        let m = FakeMessage {
            id,
            channel,
            author_id: BOT_USER_ID,
            author_name: "Gavel".into(),
            bot: true,
            content: body
                .get("content")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            nonce: nonce.clone(),
            allowed_mentions: body.get("allowed_mentions").cloned(),
            reply_to,
            pinned: false,
            edits: 0,
            created: Instant::now(),
        };
        if let Some(n) = nonce {
            self.nonces.insert((channel, n), (id, Instant::now()));
        }
        let v = m.to_json(None);
        self.dispatch("MESSAGE_CREATE", m.to_json(Some(GUILD_ID)));
        self.message_ids.insert(id);
        self.messages.entry(channel).or_default().push(m);
        Ok((StatusCode::OK, v))
    }
}

fn too_many(
    retry_after: f64,
    global: bool,
    scope: &str,
    mut headers: Vec<(String, String)>,
) -> Response {
    headers.push((
        "retry-after".into(),
        format!("{}", retry_after.ceil() as u64),
    ));
    headers.push(("x-ratelimit-scope".into(), scope.into()));
    let body = json!({"message": "You are being rate limited.", "retry_after": (retry_after * 1000.0).round() / 1000.0, "global": global});
    respond(StatusCode::TOO_MANY_REQUESTS, headers, body)
}

fn respond(status: StatusCode, headers: Vec<(String, String)>, body: Value) -> Response {
    let mut r = if status == StatusCode::NO_CONTENT {
        status.into_response()
    } else {
        (status, axum::Json(body)).into_response()
    };
    for (k, v) in headers {
        if let (Ok(k), Ok(v)) = (HeaderName::try_from(k), HeaderValue::try_from(v)) {
            r.headers_mut().insert(k, v);
        }
    }
    r
}

struct Req<'a> {
    method: &'a str,
    path: String,
    headers: &'a HeaderMap,
    body: &'a [u8],
    auth: bool,
    bucket: Option<(&'static str, u64)>,
}

impl Shared {
    fn handle(&self, req: Req<'_>, f: impl FnOnce(&mut Inner, &Value) -> Outcome) -> Response {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let body: Value = if req.body.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(req.body).unwrap_or(Value::Null)
        };
        let resp = Self::handle_locked(&mut inner, &req, &body, f);
        inner.requests.push(RecordedRequest {
            method: req.method.to_string(),
            path: req.path.clone(),
            body,
            status: resp.status().as_u16(),
            at: Instant::now(),
        });
        drop(inner);
        let _ = self.dispatched.send(());
        resp
    }

    fn handle_locked(
        inner: &mut Inner,
        req: &Req<'_>,
        body: &Value,
        f: impl FnOnce(&mut Inner, &Value) -> Outcome,
    ) -> Response {
        if inner.faults.outage {
            return respond(
                StatusCode::SERVICE_UNAVAILABLE,
                vec![],
                json!({"message": "upstream connect error", "code": 0}),
            );
        }
        if let Some(status) = inner.faults.fail_next.pop_front() {
            let s = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return respond(
                s,
                vec![],
                json!({"message": "500: Internal Server Error", "code": 0}),
            );
        }
        if req.auth {
            let expected = format!("Bot {}", inner.token);
            let got = req
                .headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if got != expected {
                inner.invalid += 1;
                return respond(
                    StatusCode::UNAUTHORIZED,
                    vec![],
                    error_body(0, "401: Unauthorized"),
                );
            }
        }
        if !req.body.is_empty() && body.is_null() {
            return respond(
                StatusCode::BAD_REQUEST,
                vec![],
                error_body(50109, "The request body contains invalid JSON."),
            );
        }
        let bucket = req
            .bucket
            .map(|(name, major)| (name, major, inner.limit_for(major)));
        let headers = match inner.rate_limit(bucket) {
            Ok(h) => h,
            Err(r) => return *r,
        };
        match f(inner, body) {
            Ok((status, v)) => respond(status, headers, v),
            Err((status, v)) => respond(status, headers, v),
        }
    }
}

type S = State<Arc<Shared>>;

async fn gateway_url(State(s): S, headers: HeaderMap) -> Response {
    let port = s.inner.lock().unwrap_or_else(|p| p.into_inner()).port;
    let req = Req {
        method: "GET",
        path: "/gateway".into(),
        headers: &headers,
        body: &[],
        auth: false,
        bucket: None,
    };
    s.handle(req, |_, _| {
        Ok((
            StatusCode::OK,
            json!({"url": format!("ws://127.0.0.1:{port}/gateway")}),
        ))
    })
}

async fn gateway_bot(State(s): S, headers: HeaderMap) -> Response {
    let port = s.inner.lock().unwrap_or_else(|p| p.into_inner()).port;
    let req = Req {
        method: "GET",
        path: "/gateway/bot".into(),
        headers: &headers,
        body: &[],
        auth: true,
        bucket: None,
    };
    s.handle(req, |_, _| {
        Ok((
            StatusCode::OK,
            json!({"url": format!("ws://127.0.0.1:{port}/gateway"), "shards": 1,
                "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 86_400_000, "max_concurrency": 1}}),
        ))
    })
}

async fn me(State(s): S, headers: HeaderMap) -> Response {
    let req = Req {
        method: "GET",
        path: "/users/@me".into(),
        headers: &headers,
        body: &[],
        auth: true,
        bucket: None,
    };
    s.handle(req, |_, _| {
        Ok((StatusCode::OK, user_json(BOT_USER_ID, "Gavel", true)))
    })
}

async fn create_message(
    State(s): S,
    Path(channel): Path<u64>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let req = Req {
        method: "POST",
        path: format!("/channels/{channel}/messages"),
        headers: &headers,
        body: &body,
        auth: true,
        bucket: Some(("msg-create", channel)),
    };
    let resp = s.handle(req, |inner, body| inner.create(channel, body));
    let delay = s
        .inner
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .create_delay;
    if let Some(d) = delay {
        tokio::time::sleep(d).await;
    }
    resp
}

async fn list_messages(
    State(s): S,
    Path(channel): Path<u64>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let req = Req {
        method: "GET",
        path: format!("/channels/{channel}/messages"),
        headers: &headers,
        body: &[],
        auth: true,
        bucket: Some(("msg-list", channel)),
    };
    s.handle(req, |inner, _| {
        if inner.faults.forbidden.contains(&channel) {
            inner.invalid += 1;
            return Err((StatusCode::FORBIDDEN, error_body(50001, "Missing Access")));
        }
        let limit = q
            .get("limit")
            .and_then(|l| l.parse::<usize>().ok())
            .unwrap_or(50)
            .clamp(1, 100);
        let all = inner.messages.get(&channel).cloned().unwrap_or_default();
        let mut picked: Vec<FakeMessage> = match q.get("after").and_then(|a| a.parse::<u64>().ok())
        {
            Some(after) => all
                .into_iter()
                .filter(|m| m.id > after)
                .take(limit)
                .collect(),
            None => {
                let n = all.len();
                all.into_iter().skip(n.saturating_sub(limit)).collect()
            }
        };
        picked.reverse(); // Discord lists newest first
        Ok((
            StatusCode::OK,
            Value::Array(picked.iter().map(|m| m.to_json(None)).collect()),
        ))
    })
}

async fn edit_message(
    State(s): S,
    Path((channel, id)): Path<(u64, u64)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let req = Req {
        method: "PATCH",
        path: format!("/channels/{channel}/messages/{id}"),
        headers: &headers,
        body: &body,
        auth: true,
        bucket: Some(("msg-edit", channel)),
    };
    s.handle(req, |inner, body| {
        if inner.faults.forbidden.contains(&channel) {
            inner.invalid += 1;
            return Err((
                StatusCode::FORBIDDEN,
                error_body(50013, "Missing Permissions"),
            ));
        }
        inner.check_body(body, false)?;
        let Some(m) = inner.find(channel, id) else {
            return Err((StatusCode::NOT_FOUND, error_body(10008, "Unknown Message")));
        };
        if let Some(c) = body.get("content").and_then(Value::as_str) {
            m.content = c.to_string();
        }
        m.allowed_mentions = body.get("allowed_mentions").cloned();
        m.edits += 1;
        Ok((StatusCode::OK, m.to_json(None)))
    })
}

async fn delete_message(
    State(s): S,
    Path((channel, id)): Path<(u64, u64)>,
    headers: HeaderMap,
) -> Response {
    let req = Req {
        method: "DELETE",
        path: format!("/channels/{channel}/messages/{id}"),
        headers: &headers,
        body: &[],
        auth: true,
        bucket: Some(("msg-delete", channel)),
    };
    s.handle(req, |inner, _| {
        let list = inner.messages.entry(channel).or_default();
        match list.iter().position(|m| m.id == id) {
            Some(i) => {
                list.remove(i);
                inner.message_ids.remove(&id);
                Ok((StatusCode::NO_CONTENT, Value::Null))
            }
            None => Err((StatusCode::NOT_FOUND, error_body(10008, "Unknown Message"))),
        }
    })
}

async fn start_thread(
    State(s): S,
    Path((channel, id)): Path<(u64, u64)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let req = Req {
        method: "POST",
        path: format!("/channels/{channel}/messages/{id}/threads"),
        headers: &headers,
        body: &body,
        auth: true,
        bucket: Some(("thread-create", channel)),
    };
    s.handle(req, |inner, body| inner.start_thread(channel, id, body))
}

async fn put_reaction(
    State(s): S,
    Path((channel, id, emoji)): Path<(u64, u64, String)>,
    headers: HeaderMap,
) -> Response {
    let req = Req {
        method: "PUT",
        path: format!("/channels/{channel}/messages/{id}/reactions/{emoji}/@me"),
        headers: &headers,
        body: &[],
        auth: true,
        bucket: Some(("reactions", channel)),
    };
    s.handle(req, |inner, _| {
        if inner.find(channel, id).is_none() {
            return Err((StatusCode::NOT_FOUND, error_body(10008, "Unknown Message")));
        }
        inner.reactions.push((channel, id, emoji.clone()));
        Ok((StatusCode::NO_CONTENT, Value::Null))
    })
}

async fn pin(State(s): S, Path((channel, id)): Path<(u64, u64)>, headers: HeaderMap) -> Response {
    let req = Req {
        method: "PUT",
        path: format!("/channels/{channel}/pins/{id}"),
        headers: &headers,
        body: &[],
        auth: true,
        bucket: Some(("pins", channel)),
    };
    s.handle(req, |inner, _| {
        let pinned = inner
            .messages
            .get(&channel)
            .map_or(0, |l| l.iter().filter(|m| m.pinned).count());
        match inner.find(channel, id) {
            Some(m) if m.pinned => Ok((StatusCode::NO_CONTENT, Value::Null)),
            // Discord allows 50 pins per channel.
            Some(_) if pinned >= MAX_PINS => Err((
                StatusCode::BAD_REQUEST,
                error_body(30003, "Maximum number of pins reached (50)"),
            )),
            Some(m) => {
                m.pinned = true;
                Ok((StatusCode::NO_CONTENT, Value::Null))
            }
            None => Err((StatusCode::NOT_FOUND, error_body(10008, "Unknown Message"))),
        }
    })
}

async fn unpin(State(s): S, Path((channel, id)): Path<(u64, u64)>, headers: HeaderMap) -> Response {
    let req = Req {
        method: "DELETE",
        path: format!("/channels/{channel}/pins/{id}"),
        headers: &headers,
        body: &[],
        auth: true,
        bucket: Some(("pins", channel)),
    };
    s.handle(req, |inner, _| match inner.find(channel, id) {
        Some(m) => {
            m.pinned = false;
            Ok((StatusCode::NO_CONTENT, Value::Null))
        }
        None => Err((StatusCode::NOT_FOUND, error_body(10008, "Unknown Message"))),
    })
}

async fn list_pins(State(s): S, Path(channel): Path<u64>, headers: HeaderMap) -> Response {
    let req = Req {
        method: "GET",
        path: format!("/channels/{channel}/pins"),
        headers: &headers,
        body: &[],
        auth: true,
        bucket: Some(("pins-list", channel)),
    };
    s.handle(req, |inner, _| {
        let pinned: Vec<Value> = inner
            .messages
            .get(&channel)
            .map(|l| {
                // Newest first, as Discord lists them.
                l.iter()
                    .rev()
                    .filter(|m| m.pinned)
                    .map(|m| m.to_json(None))
                    .collect()
            })
            .unwrap_or_default();
        Ok((StatusCode::OK, Value::Array(pinned)))
    })
}

fn overwrite_commands(inner: &mut Inner, app: u64, body: &Value) -> Outcome {
    if app != APP_ID {
        return Err((StatusCode::FORBIDDEN, error_body(50001, "Missing Access")));
    }
    let Some(list) = body.as_array() else {
        return Err(form_error(
            "_root",
            "ARRAY_TYPE_CONVERT",
            "Must be an array.",
        ));
    };
    let mut out = Vec::new();
    for c in list {
        let mut c = c.clone();
        let id = inner.snowflake();
        c["id"] = json!(id.to_string());
        c["application_id"] = json!(app.to_string());
        out.push(c);
    }
    inner.commands = out.clone();
    Ok((StatusCode::OK, Value::Array(out)))
}

async fn guild_commands(
    State(s): S,
    Path((app, guild)): Path<(u64, u64)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let req = Req {
        method: "PUT",
        path: format!("/applications/{app}/guilds/{guild}/commands"),
        headers: &headers,
        body: &body,
        auth: true,
        bucket: Some(("commands", app)),
    };
    s.handle(req, |inner, body| overwrite_commands(inner, app, body))
}

async fn global_commands(
    State(s): S,
    Path(app): Path<u64>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let req = Req {
        method: "PUT",
        path: format!("/applications/{app}/commands"),
        headers: &headers,
        body: &body,
        auth: true,
        bucket: Some(("commands", app)),
    };
    s.handle(req, |inner, body| overwrite_commands(inner, app, body))
}

async fn interaction_callback(
    State(s): S,
    Path((id, token)): Path<(u64, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let req = Req {
        method: "POST",
        path: format!("/interactions/{id}/{token}/callback"),
        headers: &headers,
        body: &body,
        auth: false,
        bucket: None,
    };
    s.handle(req, |inner, body| {
        if inner.interactions.get(&id) != Some(&token) {
            return Err((
                StatusCode::NOT_FOUND,
                error_body(10062, "Unknown interaction"),
            ));
        }
        if inner.interaction_responses.contains_key(&id) {
            return Err((
                StatusCode::BAD_REQUEST,
                error_body(40060, "Interaction has already been acknowledged."),
            ));
        }
        if let Some(data) = body.get("data") {
            inner.check_body(data, body.get("type").and_then(Value::as_u64) == Some(4))?;
        }
        inner.interaction_responses.insert(id, body.clone());
        Ok((StatusCode::NO_CONTENT, Value::Null))
    })
}

async fn gateway_ws(State(s): S, ws: WebSocketUpgrade) -> Response {
    ws.on_upgrade(move |sock| gateway_connection(s, sock))
}

async fn send_json(sock: &mut WebSocket, v: &Value) -> bool {
    sock.send(WsMessage::Text(v.to_string().into()))
        .await
        .is_ok()
}

async fn gateway_connection(s: Arc<Shared>, mut sock: WebSocket) {
    let mut ctl = s.ctl.subscribe();
    let mut dispatched = s.dispatched.subscribe();
    s.inner.lock().unwrap_or_else(|p| p.into_inner()).connected += 1;
    let mut session: Option<String> = None;
    let mut sent = 0u64;
    if send_json(
        &mut sock,
        &json!({"op": 10, "d": {"heartbeat_interval": 10_000}}),
    )
    .await
    {
        loop {
            // A pending disconnect wins over pending dispatches.
            match ctl.try_recv() {
                Ok(GatewayCtl::Close(code)) => {
                    let _ = sock
                        .send(WsMessage::Close(Some(CloseFrame {
                            code,
                            reason: "fake: forced disconnect".into(),
                        })))
                        .await;
                    break;
                }
                Ok(GatewayCtl::Drop) => break,
                Err(_) => {}
            }
            // Flush dispatches this connection has not sent yet.
            let pending: Vec<(u64, Value)> = match &session {
                Some(sid) => {
                    let inner = s.inner.lock().unwrap_or_else(|p| p.into_inner());
                    inner
                        .sessions
                        .get(sid)
                        .map(|ss| {
                            ss.log
                                .iter()
                                .filter(|(seq, _)| *seq > sent)
                                .cloned()
                                .collect()
                        })
                        .unwrap_or_default()
                }
                None => Vec::new(),
            };
            let mut ok = true;
            for (seq, frame) in pending {
                ok = send_json(&mut sock, &frame).await;
                if !ok {
                    break;
                }
                sent = seq;
            }
            if !ok {
                break;
            }
            tokio::select! {
                biased;
                c = ctl.recv() => match c {
                    Ok(GatewayCtl::Close(code)) => {
                        let _ = sock.send(WsMessage::Close(Some(CloseFrame { code, reason: "fake: forced disconnect".into() }))).await;
                        break;
                    }
                    Ok(GatewayCtl::Drop) => break,
                    Err(_) => {}
                },
                msg = sock.recv() => {
                    let text = match msg {
                        Some(Ok(WsMessage::Text(t))) => t.to_string(),
                        Some(Ok(WsMessage::Close(_))) | None | Some(Err(_)) => break,
                        Some(Ok(_)) => continue,
                    };
                    let Ok(v) = serde_json::from_str::<Value>(&text) else {
                        let _ = sock.send(WsMessage::Close(Some(CloseFrame { code: 4002, reason: "Decode error".into() }))).await;
                        break;
                    };
                    let op = v.get("op").and_then(Value::as_u64);
                    if op == Some(1) {
                        if !send_json(&mut sock, &json!({"op": 11})).await {
                            break;
                        }
                        continue;
                    }
                    match op {
                        Some(2) => {
                            let token = v.pointer("/d/token").and_then(Value::as_str).unwrap_or("").trim_start_matches("Bot ").to_string();
                            let sid = {
                                let mut inner = s.inner.lock().unwrap_or_else(|p| p.into_inner());
                                if token != inner.token {
                                    None
                                } else {
                                    inner.identifies += 1;
                                    let sid = format!("{:032x}", rand::random::<u128>());
                                    let port = inner.port;
                                    let ready = json!({
                                        "v": 10,
                                        "user": user_json(BOT_USER_ID, "Gavel", true),
                                        "guilds": [{"id": GUILD_ID.to_string(), "unavailable": true}],
                                        "session_id": sid,
                                        "resume_gateway_url": format!("ws://127.0.0.1:{port}/gateway"),
                                        "shard": [0, 1],
                                        "application": {"id": APP_ID.to_string(), "flags": 0},
                                    });
                                    inner.sessions.insert(sid.clone(), Session { seq: 1, log: vec![(1, json!({"op": 0, "t": "READY", "s": 1, "d": ready}))], valid: true });
                                    Some(sid)
                                }
                            };
                            match sid {
                                Some(sid) => {
                                    session = Some(sid);
                                    sent = 0;
                                }
                                None => {
                                    let _ = sock.send(WsMessage::Close(Some(CloseFrame { code: 4004, reason: "Authentication failed.".into() }))).await;
                                    break;
                                }
                            }
                        }
                        Some(6) => {
                            let sid = v.pointer("/d/session_id").and_then(Value::as_str).unwrap_or("").to_string();
                            let seq = v.pointer("/d/seq").and_then(Value::as_u64).unwrap_or(0);
                            let resumed = {
                                let mut inner = s.inner.lock().unwrap_or_else(|p| p.into_inner());
                                let allowed = inner.resume_allowed;
                                match inner.sessions.get_mut(&sid) {
                                    Some(ss) if ss.valid && allowed => {
                                        ss.seq += 1;
                                        let n = ss.seq;
                                        ss.log.push((n, json!({"op": 0, "t": "RESUMED", "s": n, "d": {}})));
                                        true
                                    }
                                    Some(ss) => {
                                        ss.valid = false;
                                        false
                                    }
                                    None => false,
                                }
                            };
                            if resumed {
                                s.inner.lock().unwrap_or_else(|p| p.into_inner()).resumes += 1;
                                session = Some(sid);
                                sent = seq;
                            } else if !send_json(&mut sock, &json!({"op": 9, "d": false})).await {
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                _ = dispatched.recv() => {}
            }
        }
    }
    s.inner.lock().unwrap_or_else(|p| p.into_inner()).connected -= 1;
}

impl FakeDiscord {
    /// Starts the fake on `127.0.0.1:0` accepting `token`.
    pub async fn start(token: &str) -> FakeDiscord {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind fake discord");
        let addr = listener.local_addr().expect("addr");
        let (dispatched, _) = broadcast::channel(1024);
        let (ctl, _) = broadcast::channel(16);
        let shared = Arc::new(Shared {
            inner: Mutex::new(Inner {
                token: token.to_string(),
                port: addr.port(),
                last_id: 0,
                messages: HashMap::new(),
                nonces: HashMap::new(),
                requests: Vec::new(),
                commands: Vec::new(),
                interactions: HashMap::new(),
                interaction_responses: HashMap::new(),
                reactions: Vec::new(),
                default_limit: (5, Duration::from_secs(5)),
                channel_limits: HashMap::new(),
                windows: HashMap::new(),
                global_limit: 50,
                global_times: VecDeque::new(),
                rate_limited: HashMap::new(),
                invalid: 0,
                faults: Faults::default(),
                sessions: HashMap::new(),
                resume_allowed: true,
                identifies: 0,
                resumes: 0,
                connected: 0,
                nonce_dedupes: 0,
                create_delay: None,
                threads: HashMap::new(),
                message_ids: HashSet::new(),
            }),
            dispatched,
            ctl,
        });
        let api = Router::new()
            .route("/gateway", get(gateway_url))
            .route("/gateway/bot", get(gateway_bot))
            .route("/users/@me", get(me))
            .route(
                "/channels/{channel}/messages",
                post(create_message).get(list_messages),
            )
            .route(
                "/channels/{channel}/messages/{id}",
                axum::routing::patch(edit_message).delete(delete_message),
            )
            .route(
                "/channels/{channel}/messages/{id}/threads",
                post(start_thread),
            )
            .route(
                "/channels/{channel}/messages/{id}/reactions/{emoji}/@me",
                put(put_reaction),
            )
            .route("/channels/{channel}/pins", get(list_pins))
            .route("/channels/{channel}/pins/{id}", put(pin).delete(unpin))
            .route(
                "/applications/{app}/guilds/{guild}/commands",
                put(guild_commands),
            )
            .route("/applications/{app}/commands", put(global_commands))
            .route(
                "/interactions/{id}/{token}/callback",
                post(interaction_callback),
            );
        let app = Router::new()
            .nest("/api/v10", api)
            .route("/gateway", get(gateway_ws))
            .with_state(Arc::clone(&shared));
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeDiscord {
            addr,
            shared,
            server,
        }
    }

    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.shared.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `http://127.0.0.1:PORT`, for `discord.api_base`.
    pub fn api_base(&self) -> String {
        format!("http://{}", self.addr)
    }

    // ----- configuration and faults ----------------------------------------------------------

    pub fn set_default_limit(&self, limit: u32, window: Duration) {
        self.inner().default_limit = (limit, window);
    }
    pub fn set_channel_limit(&self, channel: u64, limit: u32, window: Duration) {
        self.inner().channel_limits.insert(channel, (limit, window));
    }
    pub fn set_global_limit(&self, per_second: u32) {
        self.inner().global_limit = per_second;
    }
    /// The next `n` requests fail with `status` (5xx).
    pub fn fail_next(&self, status: u16, n: usize) {
        self.inner()
            .faults
            .fail_next
            .extend(std::iter::repeat_n(status, n));
    }
    pub fn set_outage(&self, on: bool) {
        self.inner().faults.outage = on;
    }
    /// The next `n` bucketed requests get a 429 with `retry_after` seconds.
    pub fn storm(&self, n: u32, retry_after: f64) {
        let mut i = self.inner();
        i.faults.storm = n;
        i.faults.storm_retry_after = retry_after;
    }
    pub fn forbid_channel(&self, channel: u64) {
        self.inner().faults.forbidden.insert(channel);
    }
    /// The bot may post in `channel` but not start threads there (403 / 50013).
    pub fn forbid_threads(&self, channel: u64) {
        self.inner().faults.no_threads.insert(channel);
    }
    /// Creates still happen at once, but their answers are held for `delay` (a slow network or
    /// a client killed between Discord's accept and its own record).
    pub fn set_create_delay(&self, delay: Option<Duration>) {
        self.inner().create_delay = delay;
    }
    /// How many creates were answered with an earlier message because of `enforce_nonce`.
    pub fn nonce_dedupes(&self) -> u32 {
        self.inner().nonce_dedupes
    }
    pub fn set_resume_allowed(&self, allowed: bool) {
        self.inner().resume_allowed = allowed;
    }

    // ----- gateway ---------------------------------------------------------------------------

    pub fn disconnect(&self, how: Disconnect) {
        let _ = self.shared.ctl.send(match how {
            Disconnect::Close4000 => GatewayCtl::Close(4000),
            Disconnect::DropTcp => GatewayCtl::Drop,
        });
    }

    /// (identifies, resumes, open connections)
    pub fn gateway_stats(&self) -> (u32, u32, u32) {
        let i = self.inner();
        (i.identifies, i.resumes, i.connected)
    }

    /// A user's message in `channel`: stored in history and dispatched as MESSAGE_CREATE.
    pub fn inject_message(&self, channel: u64, user: u64, name: &str, content: &str) -> u64 {
        let mut i = self.inner();
        let id = i.snowflake();
        let m = FakeMessage {
            id,
            channel,
            author_id: user,
            author_name: name.into(),
            bot: false,
            content: content.into(),
            nonce: None,
            allowed_mentions: None,
            reply_to: None,
            pinned: false,
            edits: 0,
            created: Instant::now(),
        };
        i.dispatch("MESSAGE_CREATE", m.to_json(Some(GUILD_ID)));
        i.message_ids.insert(id);
        i.messages.entry(channel).or_default().push(m);
        drop(i);
        let _ = self.shared.dispatched.send(());
        id
    }

    /// `/gavel command:<text>` by `user` in `channel`; returns the interaction id.
    pub fn inject_slash(&self, channel: u64, user: u64, name: &str, text: &str) -> u64 {
        let mut i = self.inner();
        let id = i.snowflake();
        let token = format!("itoken{:x}", rand::random::<u64>());
        i.interactions.insert(id, token.clone());
        let cmd_id = i
            .commands
            .first()
            .and_then(|c| c.get("id").cloned())
            .unwrap_or(json!("1"));
        let d = json!({
            "id": id.to_string(),
            "application_id": APP_ID.to_string(),
            "type": 2,
            "data": {"id": cmd_id, "name": "gavel", "type": 1, "options": [{"name": "command", "type": 3, "value": text}]},
            "guild_id": GUILD_ID.to_string(),
            "channel_id": channel.to_string(),
            "channel": {"id": channel.to_string(), "type": 0},
            "member": member_json(Some(user_json(user, name, false))),
            "token": token,
            "version": 1,
            "app_permissions": "2147483647",
            "locale": "en-GB",
            "guild_locale": "en-GB",
            "entitlements": [],
            "authorizing_integration_owners": {"0": GUILD_ID.to_string()},
            "context": 0,
            "attachment_size_limit": 26_214_400,
        });
        i.dispatch("INTERACTION_CREATE", d);
        drop(i);
        let _ = self.shared.dispatched.send(());
        id
    }

    pub fn interaction_response(&self, id: u64) -> Option<Value> {
        self.inner().interaction_responses.get(&id).cloned()
    }

    // ----- observations ----------------------------------------------------------------------

    /// The channel's current messages, oldest first.
    pub fn messages(&self, channel: u64) -> Vec<FakeMessage> {
        self.inner()
            .messages
            .get(&channel)
            .cloned()
            .unwrap_or_default()
    }
    /// The bot's messages in `channel`, oldest first.
    pub fn bot_messages(&self, channel: u64) -> Vec<FakeMessage> {
        self.messages(channel)
            .into_iter()
            .filter(|m| m.bot)
            .collect()
    }
    /// The thread started from message `id`, as Discord describes the channel.
    pub fn thread(&self, id: u64) -> Option<Value> {
        self.inner().threads.get(&id).cloned()
    }
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.inner().requests.clone()
    }
    pub fn commands(&self) -> Vec<Value> {
        self.inner().commands.clone()
    }
    /// 429s per `bucket:major` (and `global`).
    pub fn rate_limited(&self) -> HashMap<String, u32> {
        self.inner().rate_limited.clone()
    }
    pub fn invalid_requests(&self) -> u32 {
        self.inner().invalid
    }

    /// Polls `f` until it returns `Some` or `timeout` passes.
    pub async fn wait_for<T>(
        &self,
        timeout: Duration,
        mut f: impl FnMut(&FakeDiscord) -> Option<T>,
    ) -> Option<T> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(t) = f(self) {
                return Some(t);
            }
            if Instant::now() > deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}
