//! A real Synapse on loopback for the Matrix tests and benchmarks, and a plain client-server
//! API user to set it up and read it back without Gavel's code.
//!
//! Synapse is run by `scripts/synapse.sh`, from the virtualenv named by `GAVEL_SYNAPSE_VENV`,
//! else `.cache/synapse-venv` in this repository; every check and every call here uses the same
//! one. A server started here stops when this process ends. Included with `#[path]` by the `it`
//! test binary and by the benchmarks, each of which uses only part of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};

/// Every account's password.
pub const PASS: &str = "correct-horse-battery";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Where Synapse is installed: `GAVEL_SYNAPSE_VENV`, else `.cache/synapse-venv`.
pub fn venv() -> PathBuf {
    std::env::var_os("GAVEL_SYNAPSE_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join(".cache/synapse-venv"))
}

/// Whether Synapse is installed in [`venv`].
pub fn installed() -> bool {
    venv().join("bin/python").exists()
}

/// Whether the run must cover Matrix (`GAVEL_REQUIRE_SYNAPSE`, as in CI), so a missing Synapse
/// is a failure rather than a reason to skip.
pub fn required() -> bool {
    std::env::var_os("GAVEL_REQUIRE_SYNAPSE").is_some()
}

/// Runs `scripts/synapse.sh` with [`venv`]; its last line of output. Blocks: call it from
/// `spawn_blocking` or `block_in_place` inside a runtime.
pub fn script(args: &[&str]) -> Result<String, String> {
    let out = std::process::Command::new("bash")
        .arg(repo().join("scripts/synapse.sh"))
        .args(args)
        .env("GAVEL_SYNAPSE_VENV", venv())
        .env("SYNAPSE_STOP_WITH_PID", std::process::id().to_string())
        .output()
        .map_err(|e| format!("running synapse.sh: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "synapse.sh {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .trim()
        .lines()
        .last()
        .unwrap_or_default()
        .to_string())
}

/// A running Synapse: its data folder and base URL. Its methods block, as [`script`] does.
#[derive(Clone)]
pub struct Synapse {
    pub dir: PathBuf,
    pub url: String,
}

impl Synapse {
    /// Starts (or restarts) the server whose configuration and data are in `dir`.
    pub fn start(dir: &Path) -> Synapse {
        let url = script(&["start", path_str(dir)]).expect("start synapse");
        Synapse {
            dir: dir.to_path_buf(),
            url,
        }
    }

    pub fn stop(&self) {
        script(&["stop", path_str(&self.dir)]).expect("stop synapse");
    }

    /// Creates `user` (a server admin if `admin`) with [`PASS`]; its Matrix user id.
    pub fn register(&self, user: &str, admin: bool) -> String {
        let mut args = vec!["register", path_str(&self.dir), user, PASS];
        if admin {
            args.push("admin");
        }
        script(&args).expect("register user")
    }
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// `s` percent-encoded for a URL path or query.
pub fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// A transaction id no other call in this process uses.
pub fn txn_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    format!(
        "{}-{}-{}",
        std::process::id(),
        chrono::Utc::now().timestamp_micros(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// A plain client-server API user: one access token, raw API calls.
#[derive(Clone)]
pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
    pub token: String,
    pub user_id: String,
}

impl Client {
    pub async fn login(base: &str, user: &str) -> Client {
        let http = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client");
        let resp: Value = http
            .post(format!("{base}/_matrix/client/v3/login"))
            .json(&json!({"type": "m.login.password", "identifier": {"type": "m.id.user", "user": user}, "password": PASS}))
            .send()
            .await
            .expect("login")
            .json()
            .await
            .expect("login json");
        Client {
            http,
            base: base.to_string(),
            token: resp["access_token"]
                .as_str()
                .unwrap_or_else(|| panic!("login {user}: {resp}"))
                .to_string(),
            user_id: resp["user_id"].as_str().expect("user_id").to_string(),
        }
    }

    /// One API call that must succeed; its JSON answer.
    pub async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status();
        let v: Value = resp.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "{path}: {status} {v}");
        v
    }

    pub async fn create_room(&self, body: Value) -> String {
        let v = self
            .call(
                reqwest::Method::POST,
                "/_matrix/client/v3/createRoom",
                Some(body),
            )
            .await;
        v["room_id"].as_str().expect("room_id").to_string()
    }

    /// As a server admin: exempts `user` from Synapse's message rate limits, as an operator
    /// exempts Gavel's bot.
    pub async fn exempt(&self, user: &str) {
        self.call(
            reqwest::Method::POST,
            &format!("/_synapse/admin/v1/users/{}/override_ratelimit", enc(user)),
            Some(json!({"messages_per_second": 0, "burst_count": 0})),
        )
        .await;
    }

    pub async fn join(&self, room: &str) {
        self.call(
            reqwest::Method::POST,
            &format!("/_matrix/client/v3/join/{}", enc(room)),
            Some(json!({})),
        )
        .await;
    }

    /// Sends `body` as an `m.text` message; its event id.
    pub async fn say(&self, room: &str, body: &str) -> String {
        let txn = format!("t{}", txn_id());
        let v = self
            .call(
                reqwest::Method::PUT,
                &format!(
                    "/_matrix/client/v3/rooms/{}/send/m.room.message/{txn}",
                    enc(room)
                ),
                Some(json!({"msgtype": "m.text", "body": body})),
            )
            .await;
        v["event_id"].as_str().expect("event_id").to_string()
    }

    /// Every event in the room, oldest first.
    pub async fn history(&self, room: &str) -> Vec<Value> {
        let v = self
            .call(
                reqwest::Method::GET,
                &format!(
                    "/_matrix/client/v3/rooms/{}/messages?dir=f&limit=1000",
                    enc(room)
                ),
                None,
            )
            .await;
        v["chunk"].as_array().cloned().unwrap_or_default()
    }

    /// The `m.room.message` events `sender` sent (edits included), oldest first.
    pub async fn messages_from(&self, room: &str, sender: &str) -> Vec<Value> {
        self.history(room)
            .await
            .into_iter()
            .filter(|e| e["type"] == "m.room.message" && e["sender"] == sender)
            .collect()
    }

    /// Bodies of `sender`'s messages that are not edits, oldest first.
    pub async fn posts_from(&self, room: &str, sender: &str) -> Vec<String> {
        self.messages_from(room, sender)
            .await
            .into_iter()
            .filter(|e| e["content"]["m.relates_to"]["rel_type"] != "m.replace")
            .filter_map(|e| e["content"]["body"].as_str().map(str::to_string))
            .collect()
    }

    /// Waits until `sender` has posted (at least `count` times) something containing `needle`.
    pub async fn wait_for(
        &self,
        room: &str,
        sender: &str,
        needle: &str,
        count: usize,
        timeout: Duration,
    ) -> Vec<String> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let bodies = self.posts_from(room, sender).await;
            if bodies.iter().filter(|b| b.contains(needle)).count() >= count {
                return bodies;
            }
            if tokio::time::Instant::now() > deadline {
                panic!("{sender} never posted {needle:?} ({count}x) in {room}; got {bodies:#?}");
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }
}
