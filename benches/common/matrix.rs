//! Synapse for the benchmarks that need a real homeserver (`scripts/synapse.sh`), and a bare
//! client-server API user to set it up and read it back.

use std::path::PathBuf;

use serde_json::{Value, json};

/// Every account's password.
pub const PASS: &str = "correct-horse-battery";

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Where Synapse is installed: `GAVEL_SYNAPSE_VENV`, else `.cache/synapse-venv`.
pub fn synapse_venv() -> PathBuf {
    std::env::var_os("GAVEL_SYNAPSE_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join(".cache/synapse-venv"))
}

pub fn synapse_installed() -> bool {
    synapse_venv().join("bin/python").exists()
}

/// Runs `scripts/synapse.sh`; its last line of output. A server it starts stops when this
/// process ends. Call from a multi-threaded runtime (it blocks in place).
pub fn synapse(args: &[&str]) -> String {
    let out = tokio::task::block_in_place(|| {
        std::process::Command::new("bash")
            .arg(repo().join("scripts/synapse.sh"))
            .args(args)
            .env("GAVEL_SYNAPSE_VENV", synapse_venv())
            .env("SYNAPSE_STOP_WITH_PID", std::process::id().to_string())
            .output()
            .expect("running synapse.sh")
    });
    assert!(
        out.status.success(),
        "synapse.sh {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .lines()
        .last()
        .unwrap_or_default()
        .to_string()
}

/// `s` percent-encoded for a URL path or query.
pub fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// A plain client-server API user.
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
}
