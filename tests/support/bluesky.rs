//! A throwaway Bluesky PDS for tests: `tests/support/bluesky_pds.cjs` (@atproto/dev-env's
//! in-memory PLC directory and PDS, installed by `scripts/bluesky.sh install`) as a child
//! process, with one account and an app password for Gavel. The PDS stops when the
//! [`Pds`] is dropped (its stdin closes) or this process exits.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

/// A running PDS and the account made on it (the first of [`Pds::accounts`]).
pub struct Pds {
    pub service: String,
    pub handle: String,
    pub did: String,
    pub app_password: String,
    /// Every account made ([`start_many`]); just the one for [`start`].
    pub accounts: Vec<Account>,
    child: Child,
}

/// An account on the PDS and Gavel's app password for it.
#[derive(Debug, Clone)]
pub struct Account {
    pub handle: String,
    pub did: String,
    pub app_password: String,
}

impl Drop for Pds {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn modules() -> PathBuf {
    repo().join(".cache/bluesky/node_modules")
}

/// Whether the run must cover Bluesky (`GAVEL_REQUIRE_BLUESKY`, as in CI).
pub fn required() -> bool {
    std::env::var_os("GAVEL_REQUIRE_BLUESKY").is_some()
}

/// Starts a PDS with an account `handle` (under `.test`), or `None` (after saying SKIPPED)
/// when the packages are not installed. Panics when they are required and missing, or when
/// the PDS fails to start. Blocks for about a second.
pub fn start(handle: &str) -> Option<Pds> {
    launch(handle, None)
}

/// A PDS with `count` accounts: for `bench.test`, `bench0.test` to `bench<count-1>.test`.
pub fn start_many(domain: &str, count: usize) -> Option<Pds> {
    launch(domain, Some(count))
}

fn launch(handle: &str, count: Option<usize>) -> Option<Pds> {
    if !modules().join("@atproto/dev-env").exists() {
        if required() {
            panic!(
                "GAVEL_REQUIRE_BLUESKY is set but the PDS is not installed: run scripts/bluesky.sh install"
            );
        }
        eprintln!(
            "SKIPPED: the Bluesky PDS is not installed (run scripts/bluesky.sh install); Bluesky tests did not run"
        );
        return None;
    }
    let mut child = Command::new("node")
        .arg(repo().join("tests/support/bluesky_pds.cjs"))
        .arg(handle)
        .args(count.map(|n| n.to_string()))
        .env("NODE_PATH", modules())
        .env("LOG_ENABLED", "false")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start node (Node 20 is needed for the Bluesky tests)");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("read the PDS's account line");
    let v: serde_json::Value = serde_json::from_str(line.trim())
        .unwrap_or_else(|e| panic!("the PDS did not start ({e}): {line:?}"));
    let field = |k: &str| v[k].as_str().unwrap_or_default().to_string();
    let accounts = v["accounts"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|a| Account {
                    handle: a["handle"].as_str().unwrap_or_default().to_string(),
                    did: a["did"].as_str().unwrap_or_default().to_string(),
                    app_password: a["app_password"].as_str().unwrap_or_default().to_string(),
                })
                .collect()
        })
        .unwrap_or_default();
    Some(Pds {
        accounts,
        service: field("service"),
        handle: field("handle"),
        did: field("did"),
        app_password: field("app_password"),
        child,
    })
}
