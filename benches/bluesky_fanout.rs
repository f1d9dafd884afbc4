//! Bluesky fan-out (issue 20), against a real PDS on loopback (`tests/support/bluesky.rs`:
//! @atproto/dev-env's PLC directory and PDS, installed by `scripts/bluesky.sh install`; without
//! it this prints why and does nothing).
//!
//! N accounts on one PDS, one `[[bluesky]]` target each. Per N an in-process app (`App::build`
//! and `run_until_stopped`) records one `!note` through `Desk::submit`. Measured: from `submit`
//! returning `Recorded` to the outbox's event that the last of the N accounts has the post (the
//! post is a reply in the meeting's thread, with its derived record key). Floor, interleaved
//! round by round: a bare reqwest client with a session per account (made before timing, as
//! Gavel keeps its own) creating the same post text (`app.bsky.feed.post` with `text`,
//! `createdAt` and `langs`) in all N accounts at once, timed from the first send to the last
//! answer. Both write the same number of records to the same PDS; Gavel's also carry the
//! thread's `reply` references. N = 1, 10, 100 (smoke, under `cargo test`: N = 1, one round).
//!
//! ```text
//! cargo bench --bench bluesky_fanout
//! ```
//! Nothing here asserts on time.

#[path = "../tests/support/bluesky.rs"]
mod bluesky;
mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use bluesky::{Account, Pds};
use common::{Running, bench_mode, ms, percentile};

/// A bare client's session on one account.
struct Session {
    did: String,
    access: String,
}

async fn login(http: &reqwest::Client, service: &str, a: &Account) -> Session {
    let v: Value = http
        .post(format!("{service}/xrpc/com.atproto.server.createSession"))
        .json(&json!({"identifier": a.handle, "password": a.app_password}))
        .send()
        .await
        .expect("createSession")
        .json()
        .await
        .expect("session json");
    Session {
        did: v["did"].as_str().expect("did").to_string(),
        access: v["accessJwt"].as_str().expect("accessJwt").to_string(),
    }
}

/// The floor: the same post in every account at once; time from the first send to the last
/// answer.
async fn raw_round(
    http: &reqwest::Client,
    service: &str,
    sessions: &[Arc<Session>],
    tag: &str,
) -> Duration {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for s in sessions {
        let (http, s) = (http.clone(), Arc::clone(s));
        let url = format!("{service}/xrpc/com.atproto.repo.createRecord");
        let text = format!("#7 19:04 · Note: raw floor post {tag} for this account");
        tasks.push(tokio::spawn(async move {
            let record = json!({
                "$type": "app.bsky.feed.post",
                "text": text,
                "createdAt": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                "langs": ["en"],
            });
            let resp = http
                .post(url)
                .bearer_auth(&s.access)
                .json(&json!({"repo": s.did, "collection": "app.bsky.feed.post", "record": record}))
                .send()
                .await
                .expect("createRecord");
            assert!(resp.status().is_success(), "{}", resp.status());
        }));
    }
    for t in tasks {
        t.await.expect("raw sender");
    }
    started.elapsed()
}

/// A running app posting to the first `n` accounts, once `!start` reached all of them.
async fn gavel(pds: &Pds, n: usize, tag: &str) -> Running {
    let mut sections = String::new();
    for a in &pds.accounts[..n] {
        sections.push_str(&format!(
            "[[bluesky]]\nservice = \"{}\"\nhandle = \"{}\"\napp_password = \"{}\"\n\n",
            pds.service, a.handle, a.app_password
        ));
    }
    let mut app = Running::start(&sections, n).await;
    app.submit_and_wait(&format!("!start Full Council {tag}"))
        .await;
    app
}

async fn fanout(pds: &Pds, sizes: &[usize], rounds: usize) {
    println!(
        "bluesky fan-out, one PDS on loopback: one `!note` to N accounts vs a raw reqwest floor, {rounds} rounds interleaved"
    );
    println!(
        "  {:>4} {:>12} {:>12} {:>12} {:>12} {:>9}",
        "N", "gavel p50", "gavel max", "raw p50", "raw max", "p50 ratio"
    );
    let http = reqwest::Client::new();
    let mut sessions = Vec::new();
    for a in &pds.accounts {
        sessions.push(Arc::new(login(&http, &pds.service, a).await));
    }
    for &n in sizes {
        let mut rig = gavel(pds, n, &format!("n{n}")).await;
        raw_round(&http, &pds.service, &sessions[..n], &format!("warm{n}")).await;
        let (mut g, mut r) = (Vec::new(), Vec::new());
        for k in 0..rounds {
            let tag = format!("round{n}x{k}");
            let accepted = rig
                .submit_and_wait(&format!("!note Bluesky {tag} of the fan-out benchmark"))
                .await;
            g.push(accepted.elapsed());
            r.push(raw_round(&http, &pds.service, &sessions[..n], &format!("raw{n}x{k}")).await);
        }
        let (gp, rp) = (percentile(&mut g, 50.0), percentile(&mut r, 50.0));
        println!(
            "  {n:>4} {:>12} {:>12} {:>12} {:>12} {:>8.2}x",
            ms(gp),
            ms(g.last().copied().unwrap_or_default()),
            ms(rp),
            ms(r.last().copied().unwrap_or_default()),
            gp.as_secs_f64() / rp.as_secs_f64().max(1e-6),
        );
        rig.stop().await;
    }
}

fn main() {
    let full = bench_mode();
    let sizes: &[usize] = if full { &[1, 10, 100] } else { &[1] };
    let largest = sizes.iter().copied().max().unwrap_or(1);
    let Some(pds) = bluesky::start_many("bench.test", largest) else {
        println!("bluesky fan-out SKIPPED: the PDS is not installed (scripts/bluesky.sh install)");
        return;
    };
    let rt = common::runtime();
    rt.block_on(fanout(&pds, sizes, if full { 10 } else { 1 }));
}
