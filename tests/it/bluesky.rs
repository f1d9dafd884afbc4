//! The Bluesky target against a real PDS (`tests/support/bluesky.rs`: @atproto/dev-env's PLC
//! directory and PDS): a meeting as one thread, split posts, link facets and no others,
//! corrections quoting their original, withdrawals deleting, exactly-once record keys across a
//! resend and across a SIGKILL of the real binary, the kept session, and the probe.

use serde_json::Value;

use crate::bluesky_pds::{Pds, start};
use crate::helpers::{TestDir, pipe_meeting};

fn config(dir: &TestDir, pds: &Pds, password: &str) {
    dir.write_config(&format!(
        "[[bluesky]]\nservice = \"{}\"\nhandle = \"{}\"\napp_password = \"{password}\"\n",
        pds.service, pds.handle
    ));
}

/// Every post record of the account, oldest first (record keys are TIDs, which sort by time).
async fn list_posts(pds: &Pds) -> Vec<(String, Value)> {
    let url = format!(
        "{}/xrpc/com.atproto.repo.listRecords?repo={}&collection=app.bsky.feed.post&limit=100",
        pds.service, pds.did
    );
    let v: Value = reqwest::get(url).await.unwrap().json().await.unwrap();
    let mut out: Vec<(String, Value)> = v["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["uri"].as_str().unwrap().to_string(), r["value"].clone()))
        .collect();
    out.sort_by(|a, b| a.0.rsplit('/').next().cmp(&b.0.rsplit('/').next()));
    out
}

fn text(v: &Value) -> &str {
    v["text"].as_str().unwrap_or_default()
}

fn graphemes(s: &str) -> usize {
    use unicode_segmentation::UnicodeSegmentation;
    s.graphemes(true).count()
}

#[test]
fn a_meeting_is_one_thread_with_split_posts_link_facets_quoted_corrections_and_deletions() {
    let Some(pds) = start("council.test") else {
        return;
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = TestDir::new();
    config(&dir, &pds, &pds.app_password);
    let long = "The committee heard from residents about the junction. ".repeat(8);
    let script = format!(
        "!start Planning Committee\n\
         !agenda 4 Land at Mill Lane\n\
         !link https://democracy.example.gov.uk/documents/s91010/report.pdf Officer's report\n\
         !note {long}\n\
         !note Thanks @everyone and @mayor.bsky.social #planning\n\
         !fix 5 Thanks to all who spoke\n\
         !strike 2 wrong item\n\
         !end\n"
    );
    let (code, out) = pipe_meeting(&dir, &script);
    assert_eq!(code, 0, "{out:#?}");
    assert!(
        !out.iter().any(|l| l.starts_with("Not recorded")),
        "{out:#?}"
    );

    let posts = rt.block_on(list_posts(&pds));
    let texts: Vec<&str> = posts.iter().map(|(_, v)| text(v)).collect();
    // The opening post is the root; nothing else is top-level.
    let (root_uri, root) = &posts[0];
    assert!(
        text(root).ends_with("Meeting started: Planning Committee"),
        "{texts:#?}"
    );
    assert!(root.get("reply").is_none());
    for (i, (_, v)) in posts.iter().enumerate().skip(1) {
        assert_eq!(v["reply"]["root"]["uri"], root_uri.as_str(), "{i}: {v}");
        // Each post replies to the post before it (the withdrawal notice included); the one
        // after the withdrawn (deleted) item replied to it before it was deleted.
        let parent = v["reply"]["parent"]["uri"].as_str().unwrap();
        let listed = posts.iter().any(|(uri, _)| uri == parent);
        assert!(
            parent == posts[i - 1].0 || (!listed && text(v).contains("#3 ")),
            "{i}: {v}"
        );
        assert!(graphemes(text(v)) <= 300, "{}", text(v));
        assert_eq!(v["langs"], serde_json::json!(["en"]));
    }
    // The long note in numbered parts.
    let parts: Vec<&&str> = texts
        .iter()
        .filter(|t| t.contains("the junction"))
        .collect();
    assert!(parts.len() >= 2, "{texts:#?}");
    assert!(
        parts[0].ends_with(&format!("(1/{})", parts.len())),
        "{parts:#?}"
    );
    // The link is a facet at its UTF-8 bytes; no mention or tag facet exists anywhere.
    let link = posts
        .iter()
        .find(|(_, v)| text(v).contains("report.pdf"))
        .map(|(_, v)| v)
        .unwrap();
    let facet = &link["facets"][0];
    let (start, end) = (
        facet["index"]["byteStart"].as_u64().unwrap() as usize,
        facet["index"]["byteEnd"].as_u64().unwrap() as usize,
    );
    assert_eq!(
        &text(link).as_bytes()[start..end],
        b"https://democracy.example.gov.uk/documents/s91010/report.pdf"
    );
    let features = posts
        .iter()
        .flat_map(|(_, v)| v["facets"].as_array().cloned().unwrap_or_default())
        .flat_map(|f| f["features"].as_array().cloned().unwrap_or_default())
        .map(|f| f["$type"].as_str().unwrap_or_default().to_string())
        .collect::<Vec<_>>();
    assert!(
        features.iter().all(|f| f == "app.bsky.richtext.facet#link"),
        "{features:?}"
    );
    // The correction is a reply quoting the post it corrects.
    let thanks = posts
        .iter()
        .find(|(_, v)| text(v).contains("@mayor.bsky.social"))
        .unwrap();
    let correction = posts
        .iter()
        .find(|(_, v)| text(v).contains("Correction to #5: Thanks to all who spoke"))
        .map(|(_, v)| v)
        .unwrap_or_else(|| panic!("{texts:#?}"));
    assert_eq!(correction["embed"]["record"]["uri"], thanks.0.as_str());
    // The withdrawn item is deleted, and the thread says so.
    assert!(
        !texts.iter().any(|t| t.contains("Land at Mill Lane")),
        "{texts:#?}"
    );
    assert!(
        texts.iter().any(|t| t.contains("#2 withdrawn")),
        "{texts:#?}"
    );
    assert!(text(&posts.last().unwrap().1).contains("Meeting closed"));

    // The session was kept: with a wrong app password, a later run still posts.
    assert!(
        dir.path()
            .join("data/bluesky-council.test.session.json")
            .exists()
    );
    let count = posts.len();
    config(&dir, &pds, "wrong-wrong-wrong-wrong");
    let (code, out) = pipe_meeting(&dir, "!start Licensing\n!end\n");
    assert_eq!(code, 0, "{out:#?}");
    assert_eq!(rt.block_on(list_posts(&pds)).len(), count + 2);
}

fn sink_for(pds: &Pds, state: &std::path::Path) -> gavel::platform::bluesky::BlueskySink {
    let settings = gavel::config::BlueskySettings {
        service: pds.service.parse().unwrap(),
        handle: pds.handle.clone(),
        app_password: pds.app_password.clone().into(),
    };
    let client = gavel::platform::bluesky::Pds::new(
        settings,
        Some(state.to_path_buf()),
        std::time::Duration::from_secs(10),
    )
    .unwrap();
    gavel::platform::bluesky::BlueskySink::new(client, vec!["en".into()])
}

/// A post sent again (Gavel crashed after the PDS stored it, before the archive recorded it)
/// finds the record under its derived key instead of posting twice, however many parts.
#[test]
fn a_resend_after_a_crash_finds_each_part_instead_of_posting_twice() {
    use gavel::sink::{IdempotencyKey, Outgoing, Sink};
    let Some(pds) = start("resend.test") else {
        return;
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = TestDir::new();
    let entry = crate::webhook::sample_entry(&dir);
    let long = "A long note that needs more than one post to say. ".repeat(10);
    let msg = Outgoing {
        key: IdempotencyKey::derive(&entry.hash, "bluesky:resend.test", "post"),
        entry: &entry,
        original: None,
        text: long,
        original_remote: Vec::new(),
        thread_root: None,
    };
    let first = rt.block_on(sink_for(&pds, dir.path()).post(&msg)).unwrap();
    assert!(first.len() >= 2, "{first:?}");
    let count = rt.block_on(list_posts(&pds)).len();
    // A new process: a fresh client (the kept session), the same delivery.
    let again = rt.block_on(sink_for(&pds, dir.path()).post(&msg)).unwrap();
    assert_eq!(again, first);
    assert_eq!(
        rt.block_on(list_posts(&pds)).len(),
        count,
        "nothing posted twice"
    );
    // A different entry is a different record.
    let other = Outgoing {
        key: IdempotencyKey::derive("another-hash", "bluesky:resend.test", "post"),
        text: "Another entry".into(),
        ..msg.clone()
    };
    let third = rt
        .block_on(sink_for(&pds, dir.path()).post(&other))
        .unwrap();
    assert_ne!(third, first[..1]);
    assert_eq!(rt.block_on(list_posts(&pds)).len(), count + 1);
}

#[test]
fn the_probe_logs_in_without_posting_and_names_a_wrong_password() {
    let Some(pds) = start("probe.test") else {
        return;
    };
    let dir = TestDir::new();
    config(&dir, &pds, &pds.app_password);
    let (code, out, err) = dir.gavel(&["check", "--probe"]);
    assert_eq!(code, 0, "{out}\n{err}");
    let block: Vec<&str> = out
        .lines()
        .skip_while(|l| !l.starts_with("bluesky:probe.test"))
        .take(5)
        .collect();
    assert_eq!(block.len(), 5, "{out}");
    for answer in ["reachable:  yes", "authorised: yes", "can post:   yes"] {
        assert!(block.iter().any(|l| l.trim() == answer), "{answer}: {out}");
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    assert!(
        rt.block_on(list_posts(&pds)).is_empty(),
        "a probe posts nothing"
    );

    let other = TestDir::new();
    config(&other, &pds, "wrong-wrong-wrong-wrong");
    let (code, out, err) = other.gavel(&["check", "--probe"]);
    assert_ne!(code, 0, "{out}");
    let all = format!("{out}{err}");
    assert!(
        all.contains("check the handle and app_password") && !all.contains("wrong-wrong"),
        "{all}"
    );
}

/// A proxy in front of the PDS that slows every `createRecord` (so fan-out is still under way
/// when Gavel is killed) and, once armed, lets one through to the PDS but never answers it: the
/// record is stored and Gavel does not know.
struct SlowProxy {
    url: String,
    arm: std::sync::Arc<std::sync::atomic::AtomicBool>,
    held: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl SlowProxy {
    async fn start(pds: &str) -> SlowProxy {
        use axum::body::Bytes;
        use axum::http::{HeaderMap, Method, StatusCode, Uri};
        use axum::response::IntoResponse;
        use std::sync::atomic::Ordering;
        let arm = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let held = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (a, h) = (arm.clone(), held.clone());
        let upstream = pds.to_string();
        let client = reqwest::Client::new();
        let app = axum::Router::new().fallback(
            move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
                let (a, h, client) = (a.clone(), h.clone(), client.clone());
                let url = format!("{upstream}{uri}");
                async move {
                    let create = uri.path().ends_with("com.atproto.repo.createRecord");
                    if create {
                        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
                    }
                    let mut req = client.request(method, url).body(body);
                    for name in ["authorization", "content-type"] {
                        if let Some(v) = headers.get(name) {
                            req = req.header(name, v);
                        }
                    }
                    let Ok(resp) = req.send().await else {
                        return StatusCode::BAD_GATEWAY.into_response();
                    };
                    let status = StatusCode::from_u16(resp.status().as_u16()).unwrap();
                    let kind = resp
                        .headers()
                        .get("content-type")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("application/json")
                        .to_string();
                    let bytes = resp.bytes().await.unwrap_or_default();
                    if create && status.is_success() && a.swap(false, Ordering::SeqCst) {
                        h.store(true, Ordering::SeqCst);
                        tokio::time::sleep(std::time::Duration::from_secs(120)).await;
                    }
                    (status, [("content-type", kind)], bytes).into_response()
                }
            },
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        SlowProxy {
            url: format!("http://{addr}"),
            arm,
            held,
        }
    }
}

/// The entry number a post starts with (`#12 19:04 · …`).
fn seq_of(text: &str) -> u32 {
    text.strip_prefix('#')
        .and_then(|t| t.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no entry number: {text}"))
}

/// SIGKILL while a record is stored on the PDS but its answer has not reached Gavel, with
/// entries still queued behind it: after a restart every entry is posted once, in order, in
/// one thread.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_bluesky_fan_out_then_restart_posts_every_entry_exactly_once() {
    use std::sync::atomic::Ordering;
    use std::time::Duration;
    let Some(pds) = tokio::task::spawn_blocking(|| start("crash.test"))
        .await
        .unwrap()
    else {
        return;
    };
    let proxy = SlowProxy::start(&pds.service).await;
    let dir = TestDir::new();
    dir.write_config(&format!(
        "[[bluesky]]\nservice = \"{}\"\nhandle = \"{}\"\napp_password = \"{}\"\n\n\
         [outbox]\nretry_base_ms = 200\nretry_cap_secs = 5\n",
        proxy.url, pds.handle, pds.app_password
    ));
    let posts_now = || list_posts(&pds);
    let mut g = crate::helpers::GavelProcess::start(&dir, &[]).await;
    g.say("!start Licensing").await;
    for i in 2..=12 {
        g.say(&format!("!note item {i}")).await;
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while posts_now().await.len() < 3 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "fan-out never began"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    proxy.arm.store(true, Ordering::SeqCst);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !proxy.held.load(Ordering::SeqCst) {
        assert!(tokio::time::Instant::now() < deadline, "no create was held");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The held record is on the PDS; Gavel has not recorded it.
    tokio::time::sleep(Duration::from_millis(200)).await;
    g.kill9();
    g.wait(Duration::from_secs(5)).await;
    let before = posts_now().await.len();
    assert!(before < 12, "fan-out finished before the kill ({before})");

    let _g2 = crate::helpers::GavelProcess::start(&dir, &[]).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while posts_now().await.len() < 12 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "not every entry posted after the restart: {:#?}",
            posts_now().await
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let posts = posts_now().await;
    let seqs: Vec<u32> = posts.iter().map(|(_, v)| seq_of(text(v))).collect();
    assert_eq!(seqs, (1..=12).collect::<Vec<u32>>(), "once each, in order");
    for (i, (_, v)) in posts.iter().enumerate().skip(1) {
        assert_eq!(v["reply"]["root"]["uri"], posts[0].0.as_str(), "{i}: {v}");
        assert_eq!(
            v["reply"]["parent"]["uri"],
            posts[i - 1].0.as_str(),
            "{i}: {v}"
        );
    }
    let (code, out, _) = dir.gavel(&["verify"]);
    assert_eq!(code, 0, "{out}");
}
