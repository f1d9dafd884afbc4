//! A faithful fake of the parts of a Mastodon instance Gavel uses, for tests (a real Mastodon
//! needs Rails, PostgreSQL, Redis and Sidekiq). Axum on `127.0.0.1:0`.
//!
//! Routes: `GET /api/v2/instance` (with a configurable `max_characters`), `GET
//! /api/v1/accounts/verify_credentials`, `GET /api/v1/apps/verify_credentials` (with the
//! token's `scopes`, as Mastodon 4.3 reports them, or without), `POST /api/v1/statuses`,
//! `GET|PUT|DELETE /api/v1/statuses/:id`, `GET /api/v1/statuses/:id/history`, `POST
//! /api/v1/statuses/:id/pin|unpin`.
//!
//! It enforces what Mastodon enforces: `Authorization: Bearer` (401 `The access token is
//! invalid`), OAuth scopes per route (403 `This action is outside the authorized scopes`:
//! `write:statuses` to post, edit and delete, `write:accounts` to pin, `read:accounts` to read
//! the account), the length rule (grapheme clusters, every link as 23, a mention
//! `@user@domain` counted as `@user`; 422 `Validation failed: Text character limit of N
//! exceeded`), blank statuses (422), `in_reply_to_id` naming a status that exists (404 `The
//! post you are trying to reply to does not appear to exist.`, checked before the
//! idempotency key, as Mastodon's controller does), `Idempotency-Key` replay (the same status,
//! not a new one; the key is kept only when a status was made), edits with their history, at
//! most 5 pinned statuses (422), and rate limits per account with Mastodon's headers
//! (`X-RateLimit-Limit`, `-Remaining`, `-Reset` as ISO 8601) and 429 `Too many requests`: a
//! general window over every request, one over creates and one over deletes, each with a
//! configurable budget.
//!
//! It records what a real server would turn into mentions and hashtags (Mastodon's own
//! patterns, outside links), so tests can assert none were made.
//!
//! Fault injection: next-N 5xx, a budget used up by another app on the account (the next
//! request gets a 429 without warning), creates applied at once but answered late.
#![allow(dead_code)]

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use unicode_segmentation::UnicodeSegmentation;

/// Mastodon's limit on pinned statuses per account.
pub const MAX_PINS: usize = 5;
/// What every link counts as.
pub const URL_LENGTH: usize = 23;

/// One request as the fake saw it.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    pub body: Value,
    pub status: u16,
    pub idempotency_key: Option<String>,
    pub authorization: Option<String>,
}

/// A status as the instance keeps it.
#[derive(Debug, Clone)]
pub struct FakeStatus {
    pub id: String,
    pub text: String,
    pub in_reply_to: Option<String>,
    pub visibility: String,
    pub language: Option<String>,
    pub idempotency_key: Option<String>,
    /// Earlier texts, oldest first (the edit history less the current text).
    pub history: Vec<String>,
    pub deleted: bool,
    pub pinned: bool,
    /// What Mastodon would have made of the text.
    pub mentions: Vec<String>,
    pub tags: Vec<String>,
}

impl FakeStatus {
    fn to_json(&self, base: &str) -> Value {
        json!({
            "id": self.id,
            "uri": format!("{base}/users/gavel/statuses/{}", self.id),
            "url": format!("{base}/@gavel/{}", self.id),
            "created_at": now_iso(),
            "edited_at": if self.history.is_empty() { Value::Null } else { json!(now_iso()) },
            "in_reply_to_id": self.in_reply_to,
            "in_reply_to_account_id": self.in_reply_to.as_ref().map(|_| "1"),
            "visibility": self.visibility,
            "language": self.language,
            "content": format!("<p>{}</p>", html_escape(&self.text)),
            "pinned": self.pinned,
            "mentions": self.mentions.iter().map(|m| json!({"acct": m.trim_start_matches('@')})).collect::<Vec<_>>(),
            "tags": self.tags.iter().map(|t| json!({"name": t.trim_start_matches('#')})).collect::<Vec<_>>(),
            "account": {"id": "1", "username": "gavel", "acct": "gavel"},
        })
    }
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\n', "<br />")
}

fn now_iso() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// A rate-limit window.
#[derive(Debug, Clone, Copy)]
struct Window {
    limit: u32,
    period: Duration,
    used: u32,
    reset: Instant,
}

impl Window {
    fn new(limit: u32, period: Duration) -> Window {
        Window {
            limit,
            period,
            used: 0,
            reset: Instant::now() + period,
        }
    }

    fn roll(&mut self, now: Instant) {
        if now >= self.reset {
            self.used = 0;
            self.reset = now + self.period;
        }
    }

    fn headers(&self, now: Instant) -> Headers {
        let reset = chrono::Utc::now()
            + chrono::Duration::from_std(self.reset.saturating_duration_since(now))
                .unwrap_or_default();
        vec![
            ("x-ratelimit-limit", self.limit.to_string()),
            (
                "x-ratelimit-remaining",
                self.limit.saturating_sub(self.used).to_string(),
            ),
            (
                "x-ratelimit-reset",
                reset.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            ),
        ]
    }
}

/// The windows a request counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Budget {
    /// Every authenticated request (Mastodon: 300 per 5 minutes).
    General,
    /// Status creation (Mastodon: 300 per 3 hours).
    Statuses,
    /// Deletions (Mastodon: 30 per 30 minutes).
    Deletes,
}

struct Inner {
    base: String,
    /// token → scopes (`None`: the instance does not report them).
    tokens: HashMap<String, Option<Vec<String>>>,
    report_scopes: bool,
    max_characters: usize,
    next_id: u64,
    statuses: Vec<FakeStatus>,
    idempotency: HashMap<(String, String), String>,
    replays: u32,
    windows: HashMap<Budget, Window>,
    rate_limited: u32,
    requests: Vec<RecordedRequest>,
    fail_next: VecDeque<u16>,
    create_delay: Option<Duration>,
}

/// The running fake. Dropping it stops the server.
pub struct FakeMastodon {
    pub addr: SocketAddr,
    shared: Arc<Mutex<Inner>>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for FakeMastodon {
    fn drop(&mut self) {
        self.server.abort();
    }
}

type Reply = (StatusCode, Value);
/// Response headers to add.
type Headers = Vec<(&'static str, String)>;

fn error(status: StatusCode, message: &str) -> Reply {
    (status, json!({ "error": message }))
}

impl FakeMastodon {
    /// An instance where `token` has the scopes `read write`.
    pub async fn start(token: &str) -> FakeMastodon {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind fake mastodon");
        let addr = listener.local_addr().expect("addr");
        let mut tokens = HashMap::new();
        tokens.insert(
            token.to_string(),
            Some(vec!["read".to_string(), "write".to_string()]),
        );
        let windows = [
            (Budget::General, Window::new(300, Duration::from_secs(300))),
            (
                Budget::Statuses,
                Window::new(300, Duration::from_secs(3 * 3600)),
            ),
            (Budget::Deletes, Window::new(30, Duration::from_secs(1800))),
        ]
        .into_iter()
        .collect();
        let shared = Arc::new(Mutex::new(Inner {
            base: format!("http://{addr}"),
            tokens,
            report_scopes: true,
            max_characters: 500,
            next_id: 110_000_000_000_000_000,
            statuses: Vec::new(),
            idempotency: HashMap::new(),
            replays: 0,
            windows,
            rate_limited: 0,
            requests: Vec::new(),
            fail_next: VecDeque::new(),
            create_delay: None,
        }));
        let app = Router::new()
            .fallback(handle)
            .with_state(Arc::clone(&shared));
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeMastodon {
            addr,
            shared,
            server,
        }
    }

    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.shared.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The instance's address, for `instance = …`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Adds (or replaces) a token with exactly `scopes`.
    pub fn add_token(&self, token: &str, scopes: &[&str]) {
        self.inner().tokens.insert(
            token.to_string(),
            Some(scopes.iter().map(|s| s.to_string()).collect()),
        );
    }

    /// Whether `apps/verify_credentials` lists the token's scopes (Mastodon 4.3 and later).
    pub fn report_scopes(&self, on: bool) {
        self.inner().report_scopes = on;
    }

    pub fn set_max_characters(&self, n: usize) {
        self.inner().max_characters = n;
    }

    /// `limit` requests per `period` in the `budget` window, starting now.
    pub fn set_budget(&self, budget: Budget, limit: u32, period: Duration) {
        self.inner()
            .windows
            .insert(budget, Window::new(limit, period));
    }

    /// Another app on the account has used up the `budget` window: the next request in it is
    /// refused with a 429 without warning.
    pub fn use_up(&self, budget: Budget) {
        let mut inner = self.inner();
        if let Some(w) = inner.windows.get_mut(&budget) {
            w.roll(Instant::now());
            w.used = w.limit;
        }
    }

    /// The next `n` requests fail with `status`.
    pub fn fail_next(&self, n: usize, status: u16) {
        self.inner()
            .fail_next
            .extend(std::iter::repeat_n(status, n));
    }

    /// Creates are applied at once but answered only after `delay`.
    pub fn set_create_delay(&self, delay: Option<Duration>) {
        self.inner().create_delay = delay;
    }

    /// Every status ever made, deleted ones included, in creation order.
    pub fn statuses(&self) -> Vec<FakeStatus> {
        self.inner().statuses.clone()
    }

    /// The statuses not deleted, in creation order.
    pub fn live(&self) -> Vec<FakeStatus> {
        self.statuses().into_iter().filter(|s| !s.deleted).collect()
    }

    pub fn status(&self, id: &str) -> Option<FakeStatus> {
        self.statuses().into_iter().find(|s| s.id == id)
    }

    /// Every mention and hashtag Mastodon would have made, over all statuses and edits.
    pub fn mentions_and_tags(&self) -> Vec<String> {
        self.statuses()
            .iter()
            .flat_map(|s| s.mentions.iter().chain(&s.tags).cloned())
            .collect()
    }

    /// Creates answered from an `Idempotency-Key` already used.
    pub fn replays(&self) -> u32 {
        self.inner().replays
    }

    /// Requests refused with 429.
    pub fn rate_limited(&self) -> u32 {
        self.inner().rate_limited
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.inner().requests.clone()
    }

    pub async fn wait_for<T>(
        &self,
        timeout: Duration,
        mut f: impl FnMut(&FakeMastodon) -> Option<T>,
    ) -> Option<T> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(t) = f(self) {
                return Some(t);
            }
            if Instant::now() > deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

async fn handle(
    State(shared): State<Arc<Mutex<Inner>>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let key = header("idempotency-key");
    let auth = header("authorization");
    let path = uri.path().to_string();
    let (reply, extra, delay) = {
        let mut inner = shared.lock().unwrap_or_else(|p| p.into_inner());
        let (reply, extra) = inner.route(&method, &path, &body, auth.as_deref(), key.as_deref());
        inner.requests.push(RecordedRequest {
            method: method.to_string(),
            path: path.clone(),
            body: body.clone(),
            status: reply.0.as_u16(),
            idempotency_key: key,
            authorization: auth,
        });
        let is_create = method == Method::POST && path == "/api/v1/statuses";
        let delay = inner
            .create_delay
            .filter(|_| is_create && reply.0.is_success());
        (reply, extra, delay)
    };
    if let Some(d) = delay {
        tokio::time::sleep(d).await;
    }
    let mut resp = (reply.0, axum::Json(reply.1)).into_response();
    for (k, v) in extra {
        if let Ok(v) = v.parse() {
            resp.headers_mut().insert(k, v);
        }
    }
    resp
}

impl Inner {
    fn route(
        &mut self,
        method: &Method,
        path: &str,
        body: &Value,
        auth: Option<&str>,
        key: Option<&str>,
    ) -> (Reply, Headers) {
        if let Some(status) = self.fail_next.pop_front() {
            let s = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return (error(s, "injected failure"), Vec::new());
        }
        let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        if method == Method::GET && path == "/api/v2/instance" {
            return (self.instance(), Vec::new());
        }
        let token = auth.and_then(|a| a.strip_prefix("Bearer ")).unwrap_or("");
        let Some(scopes) = self.tokens.get(token).cloned() else {
            return (
                error(StatusCode::UNAUTHORIZED, "The access token is invalid"),
                Vec::new(),
            );
        };
        let scopes = scopes.unwrap_or_default();
        let budget = match (method, segs.as_slice()) {
            (&Method::POST, ["api", "v1", "statuses"]) => Budget::Statuses,
            (&Method::DELETE, ["api", "v1", "statuses", _]) => Budget::Deletes,
            _ => Budget::General,
        };
        let headers = match self.count(budget) {
            Ok(h) => h,
            Err(h) => {
                self.rate_limited += 1;
                return (error(StatusCode::TOO_MANY_REQUESTS, "Too many requests"), h);
            }
        };
        let needs = |scope: &str| {
            let family = scope.split(':').next().unwrap_or(scope);
            scopes.iter().any(|s| s == scope || s == family)
        };
        let outside = || {
            error(
                StatusCode::FORBIDDEN,
                "This action is outside the authorized scopes",
            )
        };
        let reply = match (method, segs.as_slice()) {
            (&Method::GET, ["api", "v1", "accounts", "verify_credentials"]) => {
                if needs("read:accounts") {
                    (
                        StatusCode::OK,
                        json!({"id": "1", "username": "gavel", "acct": "gavel"}),
                    )
                } else {
                    outside()
                }
            }
            (&Method::GET, ["api", "v1", "apps", "verify_credentials"]) => {
                let mut app = json!({"name": "Gavel", "website": null});
                if self.report_scopes {
                    app["scopes"] = json!(scopes);
                }
                (StatusCode::OK, app)
            }
            (&Method::POST, ["api", "v1", "statuses"]) if needs("write:statuses") => {
                self.create(body, token, key)
            }
            (&Method::GET, ["api", "v1", "statuses", id]) => self.show(id),
            (&Method::GET, ["api", "v1", "statuses", id, "history"]) => self.history(id),
            (&Method::PUT, ["api", "v1", "statuses", id]) if needs("write:statuses") => {
                self.edit(id, body)
            }
            (&Method::DELETE, ["api", "v1", "statuses", id]) if needs("write:statuses") => {
                self.delete(id)
            }
            (&Method::POST, ["api", "v1", "statuses", id, op @ ("pin" | "unpin")])
                if needs("write:accounts") =>
            {
                self.pin(id, *op == "pin")
            }
            (&Method::POST | &Method::PUT | &Method::DELETE, ["api", "v1", "statuses", ..]) => {
                outside()
            }
            _ => error(StatusCode::NOT_FOUND, "Record not found"),
        };
        (reply, headers)
    }

    fn instance(&self) -> Reply {
        (
            StatusCode::OK,
            json!({
                "domain": self.base.trim_start_matches("http://"),
                "title": "Fake Mastodon",
                "version": "4.3.0",
                "configuration": {"statuses": {
                    "max_characters": self.max_characters,
                    "max_media_attachments": 4,
                    "characters_reserved_per_url": URL_LENGTH,
                }},
            }),
        )
    }

    /// Counts one request against `budget` and the general window; the headers describe the
    /// window that answers for it, or the 429's.
    fn count(&mut self, budget: Budget) -> Result<Headers, Headers> {
        let now = Instant::now();
        let mut answer = Vec::new();
        let mut budgets = vec![Budget::General];
        if budget != Budget::General {
            budgets.push(budget);
        }
        for b in &budgets {
            let w = self.windows.get_mut(b).expect("window");
            w.roll(now);
            if w.used >= w.limit {
                return Err(w.headers(now));
            }
        }
        for b in budgets {
            let w = self.windows.get_mut(&b).expect("window");
            w.used += 1;
            answer = w.headers(now);
        }
        Ok(answer)
    }

    fn find(&self, id: &str) -> Option<usize> {
        self.statuses.iter().position(|s| s.id == id && !s.deleted)
    }

    fn create(&mut self, body: &Value, token: &str, key: Option<&str>) -> Reply {
        let text = body["status"].as_str().unwrap_or("").to_string();
        let reply_to = body["in_reply_to_id"].as_str().map(str::to_string);
        if let Some(parent) = &reply_to
            && self.find(parent).is_none()
        {
            return error(
                StatusCode::NOT_FOUND,
                "The post you are trying to reply to does not appear to exist.",
            );
        }
        if let Some(k) = key
            && let Some(id) = self.idempotency.get(&(token.to_string(), k.to_string()))
            && let Some(s) = self.statuses.iter().find(|s| &s.id == id)
        {
            self.replays += 1;
            return (StatusCode::OK, s.to_json(&self.base));
        }
        if let Err(refused) = self.check_text(&text) {
            return refused;
        }
        self.next_id += 1;
        let (mentions, tags) = mentions_and_tags(&text);
        let status = FakeStatus {
            id: self.next_id.to_string(),
            text,
            in_reply_to: reply_to,
            visibility: body["visibility"].as_str().unwrap_or("public").to_string(),
            language: body["language"].as_str().map(str::to_string),
            idempotency_key: key.map(str::to_string),
            history: Vec::new(),
            deleted: false,
            pinned: false,
            mentions,
            tags,
        };
        if let Some(k) = key {
            self.idempotency
                .insert((token.to_string(), k.to_string()), status.id.clone());
        }
        let json = status.to_json(&self.base);
        self.statuses.push(status);
        (StatusCode::OK, json)
    }

    fn check_text(&self, text: &str) -> Result<(), Reply> {
        if text.trim().is_empty() {
            return Err(error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Validation failed: Text can't be blank",
            ));
        }
        if countable_length(text) > self.max_characters {
            return Err(error(
                StatusCode::UNPROCESSABLE_ENTITY,
                &format!(
                    "Validation failed: Text character limit of {} exceeded",
                    self.max_characters
                ),
            ));
        }
        Ok(())
    }

    fn show(&self, id: &str) -> Reply {
        match self.find(id) {
            Some(i) => (StatusCode::OK, self.statuses[i].to_json(&self.base)),
            None => error(StatusCode::NOT_FOUND, "Record not found"),
        }
    }

    fn history(&self, id: &str) -> Reply {
        let Some(i) = self.find(id) else {
            return error(StatusCode::NOT_FOUND, "Record not found");
        };
        let s = &self.statuses[i];
        let versions: Vec<Value> = s
            .history
            .iter()
            .chain(std::iter::once(&s.text))
            .map(|t| json!({"content": format!("<p>{}</p>", html_escape(t))}))
            .collect();
        (StatusCode::OK, json!(versions))
    }

    fn edit(&mut self, id: &str, body: &Value) -> Reply {
        let Some(i) = self.find(id) else {
            return error(StatusCode::NOT_FOUND, "Record not found");
        };
        let text = body["status"].as_str().unwrap_or("").to_string();
        if let Err(refused) = self.check_text(&text) {
            return refused;
        }
        let (mentions, tags) = mentions_and_tags(&text);
        let s = &mut self.statuses[i];
        let old = std::mem::replace(&mut s.text, text);
        s.history.push(old);
        s.mentions.extend(mentions);
        s.tags.extend(tags);
        if let Some(l) = body["language"].as_str() {
            s.language = Some(l.to_string());
        }
        (StatusCode::OK, s.to_json(&self.base))
    }

    fn delete(&mut self, id: &str) -> Reply {
        let Some(i) = self.find(id) else {
            return error(StatusCode::NOT_FOUND, "Record not found");
        };
        let s = &mut self.statuses[i];
        s.deleted = true;
        s.pinned = false;
        let mut json = s.to_json(&self.base);
        json["text"] = json!(s.text);
        (StatusCode::OK, json)
    }

    fn pin(&mut self, id: &str, pin: bool) -> Reply {
        let Some(i) = self.find(id) else {
            return error(StatusCode::NOT_FOUND, "Record not found");
        };
        let pinned = self.statuses.iter().filter(|s| s.pinned).count();
        if pin && !self.statuses[i].pinned && pinned >= MAX_PINS {
            return error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Validation failed: You have already pinned the maximum number of posts",
            );
        }
        let s = &mut self.statuses[i];
        s.pinned = pin;
        (StatusCode::OK, s.to_json(&self.base))
    }
}

/// The links in `text` as Mastodon finds them: `http(s)://` up to whitespace, less trailing
/// punctuation. Byte ranges.
fn links(text: &str) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < text.len() {
        let rest = &text[i..];
        let at = ["https://", "http://"]
            .iter()
            .filter_map(|p| rest.find(p))
            .min();
        let Some(at) = at else { break };
        let start = i + at;
        let end = text[start..]
            .find(char::is_whitespace)
            .map_or(text.len(), |e| start + e);
        let trimmed =
            text[start..end].trim_end_matches(['.', ',', ';', ':', '!', '?', ')', '\'', '"']);
        out.push(start..start + trimmed.len());
        i = end.max(start + 1);
    }
    out
}

/// Mastodon's length: grapheme clusters, every link as 23, a remote mention's domain not
/// counted.
pub fn countable_length(text: &str) -> usize {
    let ranges = links(text);
    let mut countable = String::new();
    let mut last = 0;
    for r in &ranges {
        countable.push_str(&text[last..r.start]);
        countable.push_str(&"x".repeat(URL_LENGTH));
        last = r.end;
    }
    countable.push_str(&text[last..]);
    let (mentions, _) = mentions_and_tags(&countable);
    let mut len = countable.graphemes(true).count();
    for m in mentions {
        if let Some((user, domain)) = m[1..].split_once('@') {
            let _ = user;
            len -= domain.chars().count() + 1;
        }
    }
    len
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// What Mastodon would turn into mentions (`@user`, `@user@domain`) and hashtags (`#tag`) in
/// `text`, outside links: a mention's `@` follows no word character, `=` or `/`, and starts
/// `[a-z0-9_]`; a hashtag's `#` follows no word character, `/` or `)`, and its name has a
/// letter.
pub fn mentions_and_tags(text: &str) -> (Vec<String>, Vec<String>) {
    let ranges = links(text);
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut mentions = Vec::new();
    let mut tags = Vec::new();
    for (k, &(i, c)) in chars.iter().enumerate() {
        if ranges.iter().any(|r| r.contains(&i)) {
            continue;
        }
        let prev = k.checked_sub(1).map(|p| chars[p].1);
        let name_end = |from: usize, ok: &dyn Fn(char) -> bool| {
            let mut e = from;
            while e < chars.len() && ok(chars[e].1) {
                e += 1;
            }
            e
        };
        let slice = |a: usize, b: usize| -> String { chars[a..b].iter().map(|(_, c)| c).collect() };
        if c == '@' && !prev.is_some_and(|p| is_word(p) || p == '=' || p == '/') {
            let user_ok = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-';
            let mut e = name_end(k + 1, &user_ok);
            while e > k + 1 && matches!(chars[e - 1].1, '.' | '-') {
                e -= 1;
            }
            if e > k + 1 && (chars[k + 1].1.is_ascii_alphanumeric() || chars[k + 1].1 == '_') {
                let mut mention = slice(k, e);
                if e < chars.len() && chars[e].1 == '@' {
                    let domain_ok = |c: char| is_word(c) || c == '.' || c == '-';
                    let mut d = name_end(e + 1, &domain_ok);
                    while d > e + 1 && !is_word(chars[d - 1].1) {
                        d -= 1;
                    }
                    if d > e + 1 {
                        mention = slice(k, d);
                    }
                }
                mentions.push(mention.to_lowercase());
            }
        }
        if c == '#' && !prev.is_some_and(|p| is_word(p) || p == '/' || p == ')') {
            let e = name_end(k + 1, &is_word);
            let name = slice(k + 1, e);
            if name.chars().any(char::is_alphabetic) {
                tags.push(format!("#{}", name.to_lowercase()));
            }
        }
    }
    (mentions, tags)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fake_finds_what_mastodon_would_link() {
        let (m, t) = mentions_and_tags(
            "@alice hi @bob@social.example. #Planning #12 mail a@b.example https://x.example/#frag @\u{2060}carol #\u{2060}tag",
        );
        assert_eq!(m, ["@alice", "@bob@social.example"]);
        assert_eq!(t, ["#planning"]);
        assert_eq!(countable_length("@bob@social.example hi"), "@bob hi".len());
        assert_eq!(
            countable_length("see https://example.gov.uk/a/very/long/path/indeed.pdf"),
            4 + URL_LENGTH
        );
    }
}
