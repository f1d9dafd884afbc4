//! The public web server end to end: a real in-process app on port 0 with a temp archive,
//! driven through the desk and the HTTP clerk API, read with a real HTTP client (and, in
//! `browser_*`, headless Chromium).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use gavel::app::{App, RunOptions};
use gavel::config::{Secrets, load};
use gavel::desk::{ClerkInput, Desk, Reply};
use gavel::domain::Author;
use reqwest::StatusCode;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::helpers::TestDir;

const TOKEN: &str = "test-token-0123456789abcdef";

/// A running app and how to reach it.
struct WebApp {
    _dir: TestDir,
    base: String,
    desk: Arc<Desk>,
    stop: CancellationToken,
    task: Option<JoinHandle<anyhow::Result<()>>>,
    http: reqwest::Client,
}

impl WebApp {
    /// Builds the app with `[web]` (and `[api]` with `rate` per minute when `Some`), submits
    /// `commands` through the desk, then runs it.
    async fn start(api_rate: Option<u32>, commands: &[&str]) -> WebApp {
        let dir = TestDir::new();
        let mut extra =
            String::from("[web]\nlisten = \"127.0.0.1:0\"\npublic_url = \"http://gavel.test\"\n");
        if let Some(rate) = api_rate {
            let tokens = dir.path().join("api_tokens");
            std::fs::write(&tokens, format!("# clerk tokens\n{TOKEN}\n")).expect("tokens file");
            extra.push_str(&format!(
                "\n[api]\ntokens_file = \"{}\"\nrate_per_minute = {rate}\n",
                tokens.display()
            ));
        }
        dir.write_config(&extra);
        WebApp::launch(dir, commands).await
    }

    /// Like [`WebApp::start`] for a council publishing in `language`, with `extra` config.
    async fn start_in(language: &str, extra: &str, commands: &[&str]) -> WebApp {
        let dir = TestDir::new();
        dir.write_config(&format!(
            "[web]\nlisten = \"127.0.0.1:0\"\npublic_url = \"http://gavel.test\"\n\n{extra}"
        ));
        let config = std::fs::read_to_string(dir.config()).expect("config");
        let config = config.replacen(
            "timezone = \"Europe/London\"\n",
            &format!("timezone = \"Europe/London\"\nlanguage = \"{language}\"\n"),
            1,
        );
        std::fs::write(dir.config(), config).expect("config");
        WebApp::launch(dir, commands).await
    }

    async fn launch(dir: TestDir, commands: &[&str]) -> WebApp {
        let config = load(&dir.config(), Secrets::Resolve).expect("config loads");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let app = App::build(
            config,
            RunOptions {
                console: false,
                web_listener: Some(listener),
                ..Default::default()
            },
        )
        .await
        .expect("app builds");
        let desk = Arc::clone(app.desk());
        for c in commands {
            submit_ok(&desk, c).await;
        }
        let stop = CancellationToken::new();
        let task = tokio::spawn(app.run_until_stopped(stop.clone()));
        WebApp {
            _dir: dir,
            base: format!("http://{addr}"),
            desk,
            stop,
            task: Some(task),
            http: reqwest::Client::builder()
                .no_proxy()
                .build()
                .expect("client"),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.http.get(self.url(path)).send().await.expect("GET")
    }

    /// GET expecting `status`; returns (content type, body).
    async fn fetch(&self, path: &str, status: StatusCode) -> (String, String) {
        let r = self.get(path).await;
        assert_eq!(r.status(), status, "GET {path}");
        assert_security_headers(&r, path);
        let ct = r
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        (ct, r.text().await.expect("body"))
    }

    async fn api(&self, token: Option<&str>, body: &str) -> reqwest::Response {
        let mut req = self
            .http
            .post(self.url("/api/commands"))
            .header("content-type", "text/plain")
            .body(body.to_string());
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.expect("POST")
    }

    /// Waits until every delivery to the web target is done (so live events were published).
    async fn settle(&self) {
        for _ in 0..200 {
            let (_, m) = self.fetch("/metrics", StatusCode::OK).await;
            if !m
                .lines()
                .any(|l| l.starts_with("gavel_queue_depth{target=\"web\"}") && !l.ends_with(" 0"))
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("web deliveries did not settle");
    }

    async fn stop(mut self) {
        self.stop.cancel();
        if let Some(t) = self.task.take() {
            let r = tokio::time::timeout(Duration::from_secs(20), t)
                .await
                .expect("app stops in time");
            r.expect("app task").expect("app ran cleanly");
        }
    }
}

async fn submit_ok(desk: &Desk, text: &str) -> u32 {
    let input = ClerkInput {
        author: Author::new("console", "clerk", "Clerk"),
        text: text.to_string(),
        source: None,
    };
    match desk.submit(input).await {
        Reply::Recorded { entry, .. } => entry.seq.0,
        other => panic!("`{text}` was not recorded: {other:?}"),
    }
}

fn assert_security_headers(r: &reqwest::Response, what: &str) {
    let h = r.headers();
    let csp = h
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    assert!(
        csp.contains("default-src 'self'") && csp.contains("script-src 'self'"),
        "{what}: CSP {csp:?}"
    );
    assert!(
        csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"),
        "{what}: CSP {csp:?}"
    );
    assert_eq!(
        h.get("x-content-type-options").map(|v| v.as_bytes()),
        Some(&b"nosniff"[..]),
        "{what}"
    );
    assert_eq!(
        h.get("referrer-policy").map(|v| v.as_bytes()),
        Some(&b"no-referrer"[..]),
        "{what}"
    );
}

const MEETING: &[&str] = &[
    "!start Full Council",                         // 1
    "!agenda 5 Planning application 24/01234/FUL", // 2
    "!note Apologies from Cllr Brown",             // 3
    "!speaker Cllr Ahmed",                         // 4
    "!motion That the application be approved | mover=Cllr Jones | seconder=Cllr Patel", // 5
    "!vote 32-10-3 carried",                       // 6
    "!consult https://example.gov.uk/local-plan Local Plan | closes=2099-01-31", // 7
    "!link https://example.gov.uk/papers Meeting papers", // 8
    "!fix 3 Apologies from Cllr Brown and Cllr Green", // 9
    "!strike 4 wrong speaker",                     // 10
    "!private exempt information, paragraph 3",    // 11
    "!note SECRET-SALARY-DETAILS",                 // 12
    "!fix 12 SECRET-CORRECTED",                    // 13
    "!public",                                     // 14
];

#[tokio::test]
async fn every_public_route_serves_its_content_type_and_content() {
    let app = WebApp::start(None, MEETING).await;
    app.settle().await;

    let (ct, home) = app.fetch("/", StatusCode::OK).await;
    assert!(ct.starts_with("text/html"), "{ct}");
    assert!(home.contains("<html lang=\"en\">"));
    assert!(
        home.contains("Full Council") && home.contains("Live now"),
        "{home}"
    );
    assert!(
        home.contains("Local Plan")
            && home.contains("<time datetime=\"2099-01-31\">31 January 2099</time>"),
        "{home}"
    );
    assert_eq!(home.matches("<h1").count(), 1);
    for landmark in [
        "<header",
        "<nav",
        "<main id=\"main\"",
        "<footer",
        "class=\"skip-link\" href=\"#main\"",
    ] {
        assert!(home.contains(landmark), "home lacks {landmark}");
    }

    let (ct, page) = app.fetch("/meetings/1", StatusCode::OK).await;
    assert!(ct.starts_with("text/html"));
    for n in [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 14] {
        assert!(page.contains(&format!("id=\"e{n}\"")), "entry {n} missing");
        assert!(
            page.contains(&format!("href=\"#e{n}\"")),
            "permalink {n} missing"
        );
    }
    assert!(!page.contains("SECRET"), "confidential text leaked");
    assert!(!page.contains("id=\"e12\"") && !page.contains("id=\"e13\""));
    // The correction: current text, original struck with both times.
    assert!(page.contains("Apologies from Cllr Brown and Cllr Green"));
    assert!(
        page.contains("<del>Apologies from Cllr Brown</del>"),
        "{page}"
    );
    assert!(page.contains("Corrected at <time datetime="));
    // The withdrawal: text kept struck and labelled.
    assert!(page.contains("<del>Speaking: Cllr Ahmed</del>"));
    assert!(page.contains("Withdrawn: wrong speaker"));
    assert!(
        page.contains("Public excluded at") && page.contains("exempt information, paragraph 3")
    );
    assert!(page.contains("<a href=\"https://example.gov.uk/papers\" rel=\"nofollow noopener\">"));
    assert!(
        page.contains("<script type=\"application/ld+json\">") && page.contains("LiveBlogPosting")
    );
    assert!(page.contains("<script src=\"/static/live.js\" defer></script>"));
    assert!(page.contains("role=\"log\"") && page.contains("aria-live=\"polite\""));
    assert!(page.contains("data-live-url=\"/meetings/1/live\""));
    for ext in ["md", "txt", "json"] {
        assert!(
            page.contains(&format!("href=\"/meetings/1.{ext}\"")),
            "no {ext} link"
        );
    }
    let dt = regex_like_datetime(&page);
    assert!(dt, "no RFC 3339 datetime with offset");

    let (ct, md) = app.fetch("/meetings/1.md", StatusCode::OK).await;
    assert!(ct.starts_with("text/markdown"), "{ct}");
    assert!(
        md.starts_with("# Full Council")
            && md.contains("~~Speaking: Cllr Ahmed~~")
            && !md.contains("SECRET"),
        "{md}"
    );
    let (ct, txt) = app.fetch("/meetings/1.txt", StatusCode::OK).await;
    assert!(ct.starts_with("text/plain"));
    assert!(
        txt.contains("#3 ")
            && txt.contains("originally: Apologies from Cllr Brown")
            && !txt.contains("SECRET"),
        "{txt}"
    );
    let (ct, json) = app.fetch("/meetings/1.json", StatusCode::OK).await;
    assert!(ct.starts_with("application/json"));
    let doc: serde_json::Value = serde_json::from_str(&json).expect("json export parses");
    assert_eq!(doc["schema"], "gavel.transcript/1", "{json}");
    assert_eq!(doc["meeting"]["title"], "Full Council", "{json}");
    assert!(
        doc["entries"].as_array().is_some_and(|a| a.len() == 14),
        "{json}"
    );
    assert!(!json.contains("SECRET"));
    let (_, txt2) = app
        .fetch("/meetings/1/export?format=txt", StatusCode::OK)
        .await;
    assert_eq!(txt, txt2);
    // No webcast mark in this meeting: no timed export, said plainly.
    app.fetch("/meetings/1/export?format=vtt", StatusCode::NOT_FOUND)
        .await;
    for f in ["html", "ocd", "popolo", "akn"] {
        let (_, body) = app
            .fetch(&format!("/meetings/1/export?format={f}"), StatusCode::OK)
            .await;
        assert!(!body.contains("SECRET"), "{f} leaked confidential text");
    }
    app.fetch("/meetings/1/export?format=doc", StatusCode::BAD_REQUEST)
        .await;
    app.fetch("/meetings/1.exe", StatusCode::NOT_FOUND).await;
    app.fetch("/meetings/99", StatusCode::NOT_FOUND).await;
    app.fetch("/meetings/abc", StatusCode::NOT_FOUND).await;
    app.fetch("/no/such/page", StatusCode::NOT_FOUND).await;

    let (ct, search) = app.fetch("/search?q=planning", StatusCode::OK).await;
    assert!(ct.starts_with("text/html"));
    assert!(search.contains("<mark>Planning</mark>"), "{search}");
    assert!(search.contains("href=\"/meetings/1#e2\""));
    let (_, secret) = app.fetch("/search?q=SECRET", StatusCode::OK).await;
    assert!(
        secret.contains("0 results") && !secret.contains("SECRET-SALARY"),
        "{secret}"
    );
    let (_, empty) = app.fetch("/search", StatusCode::OK).await;
    assert!(empty.contains("<form") && !empty.contains("results for"));

    let (ct, atom) = app.fetch("/feed.atom", StatusCode::OK).await;
    assert!(ct.starts_with("application/atom+xml"), "{ct}");
    assert_well_formed_xml(&atom);
    assert!(atom.contains("<id>http://gavel.test/meetings/1#e3</id>"));
    assert!(
        !atom.contains("#e9</id>"),
        "a correction must update its original, not add an entry"
    );
    assert!(
        !atom.contains("#e10</id>"),
        "a withdrawal must update its original, not add an entry"
    );
    assert!(
        atom.contains("[Corrected]") && atom.contains("[Withdrawn]") && !atom.contains("SECRET")
    );

    let (ct, ics) = app.fetch("/meetings.ics", StatusCode::OK).await;
    assert!(ct.starts_with("text/calendar"), "{ct}");
    assert!(ics.starts_with("BEGIN:VCALENDAR\r\n") && ics.ends_with("END:VCALENDAR\r\n"));
    assert!(
        ics.contains("SUMMARY:Full Council\r\n") && ics.contains("UID:meeting-1@gavel.test\r\n")
    );
    assert!(
        ics.lines()
            .any(|l| l.starts_with("DTSTART:") && l.trim_end().ends_with('Z')),
        "{ics}"
    );
    assert!(
        ics.split("\r\n")
            .all(|l| l.len() <= 75 && !l.contains('\n'))
    );

    let (ct, health) = app.fetch("/healthz", StatusCode::OK).await;
    assert!(ct.starts_with("application/json"));
    let h: serde_json::Value = serde_json::from_str(&health).expect("health json");
    assert_eq!(h["status"], "ok");
    assert_eq!(h["archive"]["writable"], true);
    assert_eq!(h["targets"][0]["name"], "web");
    assert_eq!(h["targets"][0]["state"], "ok");

    let (ct, metrics) = app.fetch("/metrics", StatusCode::OK).await;
    assert!(ct.starts_with("text/plain; version=0.0.4"), "{ct}");
    assert!(metrics.contains("gavel_entries_total 14\n"), "{metrics}");
    // Confidential entries are never queued for the web: 12 public entries were delivered.
    assert!(
        metrics.contains("gavel_deliveries{target=\"web\",outcome=\"done\"} 12\n"),
        "{metrics}"
    );
    assert!(metrics.contains("gavel_queue_depth{target=\"web\"} 0\n"));
    assert!(
        metrics.contains("gavel_delivery_latency_seconds_count{target=\"web\"} 12\n"),
        "{metrics}"
    );
    assert!(
        metrics.contains("gavel_delivery_latency_seconds_bucket{target=\"web\",le=\"+Inf\"} 12\n")
    );
    assert!(metrics.contains("gavel_live_subscribers 0\n"));

    let (ct, js) = app.fetch("/static/live.js", StatusCode::OK).await;
    assert!(ct.starts_with("text/javascript") && js.contains("EventSource"));
    let (ct, _) = app.fetch("/static/gavel.css", StatusCode::OK).await;
    assert!(ct.starts_with("text/css"));

    app.stop().await;
}

/// True if the text holds `datetime="YYYY-MM-DDTHH:MM:SS.mmm+HH:MM"` (or `-HH:MM`).
fn regex_like_datetime(page: &str) -> bool {
    page.split("datetime=\"").skip(1).any(|rest| {
        let v = rest.split('"').next().unwrap_or("");
        chrono::DateTime::parse_from_rfc3339(v).is_ok()
            && (v.ends_with("+00:00") || v.ends_with("+01:00"))
    })
}

fn assert_well_formed_xml(xml: &str) {
    let mut r = quick_xml::Reader::from_str(xml);
    loop {
        match r.read_event() {
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("not well-formed XML at {}: {e}\n{xml}", r.buffer_position()),
        }
    }
}

#[tokio::test]
async fn the_home_page_without_meetings_says_so_and_health_lists_targets() {
    let app = WebApp::start(None, &[]).await;
    let (_, home) = app.fetch("/", StatusCode::OK).await;
    assert!(
        home.contains("No meeting is sitting right now.")
            && home.contains("There are no open consultations.")
    );
    let (_, atom) = app.fetch("/feed.atom", StatusCode::OK).await;
    assert_well_formed_xml(&atom);
    app.stop().await;
}

const XSS: &[&str] = &[
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "\"><svg onload=alert(1)>",
    "javascript:alert(1)",
    "@everyone",
];

#[tokio::test]
async fn clerk_text_with_markup_is_escaped_on_every_public_surface() {
    let app = WebApp::start(
        Some(100),
        &["!start Council <b>bold</b> \"><svg onload=alert(1)>"],
    )
    .await;
    for (i, x) in XSS.iter().enumerate() {
        let r = app
            .api(
                Some(TOKEN),
                &format!(
                    "!note xss{i} {x} https://ok.example/x?a=1&b=\"><script>alert(2)</script>"
                ),
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK, "{x}");
    }
    let r = app
        .api(Some(TOKEN), "!speaker <img src=x onerror=alert(1)>")
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    app.settle().await;

    let surfaces = [
        "/",
        "/meetings/1",
        "/search?q=alert",
        "/search?q=%3Cscript%3Ealert(1)%3C/script%3E",
        "/feed.atom",
    ];
    for path in surfaces {
        let (_, body) = app.fetch(path, StatusCode::OK).await;
        for bad in [
            "<script>alert",
            "<img src=x",
            "<svg onload",
            "href=\"javascript:",
            "<b>bold",
        ] {
            assert!(!body.contains(bad), "{path} contains {bad:?} unescaped");
        }
    }
    let (_, page) = app.fetch("/meetings/1", StatusCode::OK).await;
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(page.contains("&lt;img src=x onerror=alert(1)&gt;"));
    assert!(page.contains("&quot;&gt;&lt;svg onload=alert(1)&gt;"));
    assert!(
        page.contains("xss3 javascript:alert(1)"),
        "javascript: must stay plain text"
    );
    assert!(page.contains("xss4 @everyone"));
    // The http link is a link, with its markup-laden query escaped inside the attribute.
    assert!(page.contains("rel=\"nofollow noopener\""));
    assert!(!page.contains("b=\"><"));
    assert_eq!(
        page.matches("<script").count(),
        2,
        "only live.js and the JSON-LD block are scripts"
    );
    let ld = page
        .split("<script type=\"application/ld+json\">")
        .nth(1)
        .and_then(|s| s.split("</script>").next())
        .unwrap_or("");
    let ld: serde_json::Value = serde_json::from_str(ld).expect("JSON-LD parses");
    assert_eq!(ld["@type"], "LiveBlogPosting");

    // The SSE payload carries the same escaped HTML.
    let mut r = app
        .http
        .get(app.url("/meetings/1/live"))
        .send()
        .await
        .expect("live");
    assert_security_headers(&r, "/meetings/1/live");
    let events = read_events(&mut r, 7).await;
    let all: String = events.iter().map(|e| e.1.clone()).collect();
    assert!(all.contains("\\u003cscript\\u003e") || all.contains("&lt;script&gt;"));
    for e in &events {
        let v: serde_json::Value = serde_json::from_str(&e.1).expect("event json");
        let html = v["html"].as_str().unwrap_or("");
        for bad in ["<script", "<img", "<svg", "href=\"javascript:"] {
            assert!(!html.contains(bad), "SSE html contains {bad}: {html}");
        }
    }
    drop(r);
    app.stop().await;
}

#[tokio::test]
async fn the_clerk_api_demands_a_valid_token_and_answers_in_json() {
    let app = WebApp::start(Some(100), &[]).await;

    let r = app.api(None, "!start Planning Committee").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(
        r.headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("Bearer"))
    );
    assert_security_headers(&r, "401");
    let r = app
        .api(
            Some("test-token-0123456789abcdeX"),
            "!start Planning Committee",
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(
        r.headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("invalid_token"))
    );
    let r = app
        .http
        .post(app.url("/api/commands"))
        .header("authorization", format!("Basic {TOKEN}"))
        .body("!start X")
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let (_, home) = app.fetch("/", StatusCode::OK).await;
    assert!(
        home.contains("No meeting is sitting"),
        "nothing was recorded without a token"
    );

    let r = app.api(Some(TOKEN), "!start Planning Committee").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"))
    );
    let v: serde_json::Value = r.json().await.expect("json");
    assert_eq!(v["ok"], true);
    assert_eq!(v["entry"], 1);
    assert!(
        v["reply"]
            .as_str()
            .is_some_and(|s| s.starts_with("#1 recorded")),
        "{v}"
    );

    let r = app
        .http
        .post(app.url("/api/commands"))
        .bearer_auth(TOKEN)
        .json(&serde_json::json!({"command": "!note Quorate"}))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::OK);
    let v: serde_json::Value = r.json().await.expect("json");
    assert_eq!(v["entry"], 2);

    let r = app.api(Some(TOKEN), "!vote 3-1 maybe").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let v: serde_json::Value = r.json().await.expect("json");
    assert_eq!(v["ok"], false);
    assert!(v["error"].as_str().is_some_and(|e| !e.is_empty()), "{v}");
    let r = app.api(Some(TOKEN), "hello there").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // The author recorded is the token's hash prefix, never the token.
    let e = app
        .desk
        .archive()
        .entry(gavel::domain::MeetingId(1), gavel::domain::EntryNo(2))
        .expect("read")
        .expect("entry");
    assert_eq!(e.author.platform, "http");
    assert_eq!(e.author.display_name, "API clerk");
    assert!(
        e.author.user_id.starts_with("token:")
            && e.author.user_id.len() == 12
            && !e.author.user_id.contains(TOKEN)
    );
    app.stop().await;
}

#[tokio::test]
async fn the_clerk_api_is_rate_limited_per_token() {
    let app = WebApp::start(Some(3), &["!start Licensing"]).await;
    for i in 0..3 {
        let r = app.api(Some(TOKEN), &format!("!note n{i}")).await;
        assert_eq!(r.status(), StatusCode::OK, "request {i}");
    }
    let r = app.api(Some(TOKEN), "!note one too many").await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = r
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After seconds");
    assert!((1..=20).contains(&retry), "{retry}");
    let v: serde_json::Value = r.json().await.expect("json");
    assert_eq!(v["ok"], false);
    let (_, txt) = app.fetch("/meetings/1.txt", StatusCode::OK).await;
    assert!(!txt.contains("one too many"));
    app.stop().await;
}

#[tokio::test]
async fn the_clerk_api_is_absent_without_an_api_section() {
    let app = WebApp::start(None, &[]).await;
    let r = app.api(Some(TOKEN), "!start X").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    app.stop().await;
}

/// Reads SSE events (id, data) from a streaming response until `n` have arrived.
async fn read_events(r: &mut reqwest::Response, n: usize) -> Vec<(u32, String)> {
    let mut buf = String::new();
    let mut events = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while events.len() < n {
        let chunk = tokio::time::timeout_at(deadline, r.chunk())
            .await
            .unwrap_or_else(|_| panic!("only {} of {n} events arrived: {events:?}", events.len()))
            .expect("stream")
            .expect("stream ended early");
        buf.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buf.find("\n\n") {
            let block: String = buf.drain(..end + 2).collect();
            let mut id = None;
            let mut data = String::new();
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("id:") {
                    id = v.trim().parse().ok();
                } else if let Some(v) = line.strip_prefix("data:") {
                    data.push_str(v.strip_prefix(' ').unwrap_or(v));
                }
            }
            if let Some(id) = id {
                events.push((id, data));
            }
        }
    }
    events
}

#[tokio::test]
async fn live_stream_resume_delivers_exactly_the_missed_entries_then_continues() {
    let app = WebApp::start(
        None,
        &[
            "!start Cabinet",
            "!note one",
            "!note two",
            "!private exempt",
            "!note hidden",
            "!public",
        ],
    )
    .await;
    app.settle().await;

    // A client that saw up to #2 reconnects: it gets #3, #4 (the private placeholder) and #6
    // (readmitted), never the confidential #5.
    let mut r = app
        .http
        .get(app.url("/meetings/1/live"))
        .header("Last-Event-ID", "2")
        .send()
        .await
        .expect("live");
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/event-stream"))
    );
    let replayed = read_events(&mut r, 3).await;
    assert_eq!(
        replayed.iter().map(|e| e.0).collect::<Vec<_>>(),
        vec![3, 4, 6],
        "{replayed:?}"
    );
    assert!(replayed[1].1.contains("Public excluded"));
    assert!(!replayed.iter().any(|e| e.1.contains("hidden")));

    // Then live entries, a correction carrying the updated original, and a withdrawal.
    let seven = submit_ok(&app.desk, "!note three").await;
    let eight = submit_ok(&app.desk, "!fix 7 three, corrected").await;
    let nine = submit_ok(&app.desk, "!strike 2 duplicate").await;
    assert_eq!((seven, eight, nine), (7, 8, 9));
    let live = read_events(&mut r, 3).await;
    assert_eq!(
        live.iter().map(|e| e.0).collect::<Vec<_>>(),
        vec![7, 8, 9],
        "{live:?}"
    );
    let fix: serde_json::Value = serde_json::from_str(&live[1].1).expect("json");
    assert_eq!(fix["updated"]["seq"], 7);
    assert!(
        fix["updated"]["html"]
            .as_str()
            .is_some_and(|h| h.contains("three, corrected") && h.contains("<del>three</del>"))
    );
    let strike: serde_json::Value = serde_json::from_str(&live[2].1).expect("json");
    assert!(
        strike["updated"]["html"]
            .as_str()
            .is_some_and(|h| h.contains("Withdrawn: duplicate"))
    );
    assert_eq!(strike["kind"], "withdrawal");

    // A second client resuming from the query parameter gets #7..#9 once each, then live #10.
    let mut r2 = app
        .http
        .get(app.url("/meetings/1/live?last_event_id=6"))
        .send()
        .await
        .expect("live");
    let again = read_events(&mut r2, 3).await;
    assert_eq!(again.iter().map(|e| e.0).collect::<Vec<_>>(), vec![7, 8, 9]);
    submit_ok(&app.desk, "!note four").await;
    let next = read_events(&mut r2, 1).await;
    assert_eq!(next[0].0, 10);
    let next1 = read_events(&mut r, 1).await;
    assert_eq!(
        next1[0].0, 10,
        "the first client continues without gaps or duplicates"
    );

    let (_, metrics) = app.fetch("/metrics", StatusCode::OK).await;
    assert!(metrics.contains("gavel_live_subscribers 2\n"), "{metrics}");
    app.fetch("/meetings/42/live", StatusCode::NOT_FOUND).await;
    drop(r);
    // Shutdown ends open streams instead of waiting for them forever.
    app.stop().await;
    let end = tokio::time::timeout(Duration::from_secs(5), async {
        while let Ok(Some(_)) = r2.chunk().await {}
    })
    .await;
    assert!(end.is_ok(), "the live stream stayed open after shutdown");
}

#[tokio::test]
async fn health_is_503_while_the_archive_cannot_be_written() {
    let app = WebApp::start(None, &["!start Audit"]).await;
    let (_, ok) = app.fetch("/healthz", StatusCode::OK).await;
    assert!(ok.contains("\"writable\":true"), "{ok}");
    // Another process holds the write lock longer than the archive's busy timeout.
    let path = app.desk.archive().location();
    let blocker = rusqlite::Connection::open(&path).expect("open archive");
    blocker.execute_batch("BEGIN EXCLUSIVE;").expect("lock");
    let (ct, body) = app.fetch("/healthz", StatusCode::SERVICE_UNAVAILABLE).await;
    assert!(ct.starts_with("application/json"));
    let v: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(v["status"], "unavailable");
    assert_eq!(v["archive"]["writable"], false);
    blocker.execute_batch("ROLLBACK;").expect("unlock");
    app.fetch("/healthz", StatusCode::OK).await;
    app.stop().await;
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Headless Chromium: live updates without reload, axe-core WCAG 2.2 AA on three pages, and a
/// 360 px screenshot. Needs `scripts/browser-deps.sh`; skips (saying so) when it has not run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_live_updates_accessibility_and_small_screen() {
    let chromium = PathBuf::from("/usr/bin/chromium");
    let modules = repo().join("tests/browser/node_modules");
    if !chromium.exists()
        || !modules.join("playwright-core").exists()
        || !modules.join("axe-core").exists()
    {
        assert!(
            std::env::var_os("GAVEL_REQUIRE_BROWSER").is_none(),
            "GAVEL_REQUIRE_BROWSER is set but /usr/bin/chromium or tests/browser/node_modules is missing: run scripts/browser-deps.sh"
        );
        eprintln!(
            "SKIPPED browser test: needs /usr/bin/chromium and tests/browser/node_modules; run scripts/browser-deps.sh"
        );
        return;
    }
    let commands = [
        "!start Full Council",
        "!agenda 1 Apologies for absence",
        "!note Apologies from Cllr Brown",
        "!motion That the minutes be approved | mover=Cllr Jones | seconder=Cllr Patel",
        "!vote 30-2-1 carried",
        "!consult https://example.gov.uk/local-plan Local Plan consultation | closes=2099-01-31",
        "!fix 3 Apologies from Cllr Brown and Cllr Green",
        "!speaker Cllr Someone",
        "!strike 8 wrong speaker",
        "!private exempt information",
        "!note confidential",
        "!public",
    ];
    let app = WebApp::start(Some(600), &commands).await;
    run_browser_checks(app, "meeting-360.png").await;
    // Bilingual chrome (Welsh in `lang="cy"` spans) must be just as accessible.
    let tokens = TestDir::new();
    let tokens_file = tokens.path().join("api_tokens");
    std::fs::write(&tokens_file, format!("{TOKEN}\n")).expect("tokens file");
    let api = format!(
        "[api]\ntokens_file = \"{}\"\nrate_per_minute = 600\n",
        tokens_file.display()
    );
    let app = WebApp::start_in("en+cy", &api, &commands).await;
    run_browser_checks(app, "meeting-360-en-cy.png").await;
}

/// Runs `tests/browser/live.mjs` against meeting 1 of `app`: live updates, axe-core, no
/// horizontal scroll at 360 px, and a screenshot saved as `screenshot`.
async fn run_browser_checks(app: WebApp, screenshot: &str) {
    app.settle().await;
    let artifacts = repo().join("target/test-artifacts");
    std::fs::create_dir_all(&artifacts).expect("artifacts folder");
    let out = tokio::time::timeout(
        Duration::from_secs(120),
        tokio::process::Command::new("node")
            .arg(repo().join("tests/browser/live.mjs"))
            .args([app.base.as_str(), TOKEN, "1"])
            .arg(artifacts.join(screenshot))
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("browser script finished in time")
    .expect("run node");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("{stdout}");
    assert!(
        out.status.success(),
        "browser script failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(stdout.contains("axe: 0 violations on 3 pages"), "{stdout}");
    assert!(artifacts.join(screenshot).exists());
    app.stop().await;
}

#[tokio::test]
async fn a_scheduled_meeting_is_in_the_calendar_and_its_page_goes_live_when_it_starts() {
    let app = WebApp::start(None, &[]).await;
    let date = chrono::NaiveDate::from_ymd_opt(2099, 3, 14).expect("date");
    let plan = gavel::archive::MeetingPlan {
        title: "Budget Council; special, meeting".into(),
        date: Some(date),
        starts_at: None,
        source: None,
        items: vec![gavel::archive::PlannedItem::new("1", "Apologies")],
    };
    let id = app
        .desk
        .archive()
        .schedule_meeting(&plan, chrono_tz::Europe::London, chrono::Utc::now())
        .expect("schedule")
        .id();

    let imported = gavel::archive::MeetingPlan {
        title: "Planning Committee, 15 March 2099".into(),
        date: chrono::NaiveDate::from_ymd_opt(2099, 3, 15),
        starts_at: Some("2099-03-15T18:30:00Z".parse().expect("time")),
        source: None,
        items: Vec::new(),
    };
    app.desk
        .archive()
        .schedule_meeting(&imported, chrono_tz::Europe::London, chrono::Utc::now())
        .expect("schedule");
    let (_, ics) = app.fetch("/meetings.ics", StatusCode::OK).await;
    assert!(ics.contains("DTSTART:20990315T183000Z\r\n"), "{ics}");
    assert!(
        ics.contains("DTSTART;VALUE=DATE:20990314\r\n")
            && ics.contains("DTEND;VALUE=DATE:20990315\r\n"),
        "{ics}"
    );
    assert!(
        ics.contains("SUMMARY:Budget Council\\; special\\, meeting\r\n"),
        "{ics}"
    );
    let (_, home) = app.fetch("/", StatusCode::OK).await;
    assert!(
        home.contains("Coming up") && home.contains("Budget Council; special, meeting"),
        "{home}"
    );

    let (_, page) = app.fetch(&format!("/meetings/{id}"), StatusCode::OK).await;
    assert!(
        page.contains("has not started yet")
            && page.contains(&format!("data-live-url=\"/meetings/{id}/live\""))
    );
    assert!(
        !page.contains("application/ld+json"),
        "no LiveBlogPosting before the meeting starts"
    );
    let mut r = app
        .http
        .get(app.url(&format!("/meetings/{id}/live?last_event_id=0")))
        .send()
        .await
        .expect("live");
    assert_eq!(r.status(), StatusCode::OK);
    // The stream is subscribed once the response head is back; now the clerk starts the meeting.
    assert_eq!(submit_ok(&app.desk, "!start").await, 1);
    let events = read_events(&mut r, 1).await;
    assert_eq!(events[0].0, 1);
    assert!(events[0].1.contains("Budget Council"), "{events:?}");
    drop(r);
    app.stop().await;
}

#[tokio::test]
async fn the_signing_key_is_published_when_meetings_are_signed() {
    let unsigned = WebApp::start(None, &[]).await;
    unsigned.fetch("/signing-key", StatusCode::NOT_FOUND).await;

    let dir = TestDir::new();
    let key = dir.path().join("signing.key");
    let (code, out, err) = {
        dir.write_config("");
        dir.gavel(&["keygen", key.to_str().unwrap()])
    };
    assert_eq!(code, 0, "{err}");
    let fingerprint = out
        .lines()
        .find_map(|l| l.strip_prefix("fingerprint: "))
        .unwrap()
        .to_string();
    dir.write_config(&format!(
        "[web]\nlisten = \"127.0.0.1:0\"\n\n[signing]\nkey_file = \"{}\"\n",
        key.display()
    ));
    let config = load(&dir.config(), Secrets::Resolve).expect("config loads");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = App::build(
        config,
        RunOptions {
            console: false,
            web_listener: Some(listener),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let stop = CancellationToken::new();
    let task = tokio::spawn(app.run_until_stopped(stop.clone()));
    let body = reqwest::get(format!("http://{addr}/signing-key"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        body.contains(&format!("fingerprint: {fingerprint}")),
        "{body}"
    );
    stop.cancel();
    let _ = task.await;
}

/// A Welsh council: a delivered post, the web page's chrome and the Markdown export heading
/// are all in Welsh; the clerk's own words are not translated.
#[tokio::test]
async fn a_welsh_council_publishes_and_serves_pages_in_welsh() {
    let rx = crate::receiver::Receiver::start().await;
    let hook = format!(
        "[[webhook]]\nname = \"cy\"\nurl = \"{}\"\nformat = \"json\"\n",
        rx.url("cy")
    );
    let app = WebApp::start_in(
        "cy",
        &hook,
        &[
            "!start Cyngor Llawn",
            "!agenda 5 Cynllunio",
            "!vote 32-10-3 carried",
        ],
    )
    .await;
    rx.wait_for_count("cy", 3, Duration::from_secs(20)).await;
    let posted = rx.texts("cy");
    assert!(
        posted[2].ends_with("Pleidlais: wedi'i chario — 32 o blaid, 10 yn erbyn, 3 yn ymatal"),
        "{posted:?}"
    );
    assert!(posted[1].ends_with("Eitem 5: Cynllunio"), "{posted:?}");

    let (_, home) = app.fetch("/", StatusCode::OK).await;
    assert!(home.contains("<html lang=\"cy\">"), "{home}");
    assert!(
        home.contains("<h2 id=\"now\">Yn eistedd nawr</h2>"),
        "{home}"
    );
    assert!(home.contains("<a href=\"/search\">Chwilio</a>"), "{home}");
    assert!(!home.contains("Now sitting"), "{home}");

    let (_, page) = app.fetch("/meetings/1", StatusCode::OK).await;
    assert!(
        page.contains("<h2 id=\"transcript-heading\">Trawsgrifiad</h2>"),
        "{page}"
    );
    assert!(
        page.contains("<span class=\"kind\">Pleidlais</span>"),
        "{page}"
    );
    assert!(
        page.contains(
            "data-status-live=\"Yn fyw: mae cofnodion newydd yn ymddangos isod yn awtomatig.\""
        ),
        "live.js status texts are Welsh too: {page}"
    );

    let (_, md) = app.fetch("/meetings/1.md", StatusCode::OK).await;
    let heading = md.lines().nth(2).unwrap_or_default();
    assert!(heading.contains("· cyfarfod 1"), "{md}");
    assert!(
        md.contains("Dolen barhaol: <http://gavel.test/meetings/1>"),
        "{md}"
    );
    assert!(
        md.contains("Mae pob amser yn amser lleol Europe/London"),
        "{md}"
    );
    app.stop().await;
}

/// An `en+cy` council shows English first, then Welsh: in posted entries, in the page's
/// chrome (Welsh marked `lang="cy"`) and in the Markdown export heading.
#[tokio::test]
async fn an_en_cy_council_publishes_english_then_welsh() {
    let app = WebApp::start_in(
        "en+cy",
        "",
        &["!start Full Council", "!recess 10", "!resume"],
    )
    .await;
    app.settle().await;
    let (_, page) = app.fetch("/meetings/1", StatusCode::OK).await;
    assert!(page.contains("<html lang=\"en\">"), "{page}");
    assert!(
        page.contains(
            "<h2 id=\"transcript-heading\">Transcript / <span lang=\"cy\">Trawsgrifiad</span></h2>"
        ),
        "{page}"
    );
    assert!(
        page.contains("<a href=\"/search\">Search / <span lang=\"cy\">Chwilio</span></a>"),
        "{page}"
    );
    let (_, md) = app.fetch("/meetings/1.md", StatusCode::OK).await;
    assert!(md.contains("· meeting 1 / cyfarfod 1"), "{md}");
    assert!(
        md.contains("Meeting started: Full Council  \nCyfarfod wedi dechrau: Full Council"),
        "{md}"
    );
    assert!(md.contains("Adjourned for 10 minutes at"), "{md}");
    assert!(md.contains("Toriad o 10 munud am"), "{md}");
    app.stop().await;
}

/// The "now" panel at the top of a live meeting's page: the current item and latest vote, the
/// public excluded (and nothing of the exempt business), in the page and in each live event;
/// the downloads follow the transcript; an ended meeting has no panel.
#[tokio::test]
async fn a_live_page_opens_with_a_now_panel_that_hides_exempt_business() {
    let app = WebApp::start(
        None,
        &[
            "!start Planning Committee",
            "!agenda 4 Land at Mill Lane",
            "!vote 7-3-1 carried",
            "!private exempt – paragraph 3",
            "!agenda 9 Station Road valuation",
        ],
    )
    .await;
    app.settle().await;
    let (_, page) = app.fetch("/meetings/1", StatusCode::OK).await;
    let now = page.find("id=\"now\"").expect("a now panel");
    let transcript = page.find("id=\"transcript\"").expect("a transcript");
    let downloads = page.find("class=\"downloads\"").expect("downloads");
    assert!(now < transcript && transcript < downloads, "{page}");
    let panel = &page[now..transcript];
    assert!(panel.contains("role=\"status\""), "{panel}");
    assert!(
        panel.contains("carried") && panel.contains("Private session: the public is excluded"),
        "{panel}"
    );
    assert!(
        !panel.contains("Station Road") && !panel.contains("No agenda item"),
        "exempt business shown, or a misleading line: {panel}"
    );

    // Each live event carries the panel as of that entry.
    let mut r = app
        .http
        .get(app.url("/meetings/1/live"))
        .header("Last-Event-ID", "5")
        .send()
        .await
        .expect("live");
    submit_ok(&app.desk, "!public").await;
    submit_ok(&app.desk, "!agenda 10 Any other business").await;
    let events = read_events(&mut r, 2).await;
    let readmitted: serde_json::Value = serde_json::from_str(&events[0].1).expect("json");
    let now = readmitted["now"].as_str().expect("now");
    assert!(
        now.contains("carried") && !now.contains("Private session") && !now.contains("Station"),
        "{now}"
    );
    let next: serde_json::Value = serde_json::from_str(&events[1].1).expect("json");
    assert!(
        next["now"]
            .as_str()
            .is_some_and(|n| n.contains("Item 10: Any other business")),
        "{next}"
    );
    drop(r);
    submit_ok(&app.desk, "!end").await;
    app.settle().await;
    let (_, ended) = app.fetch("/meetings/1", StatusCode::OK).await;
    assert!(
        !ended.contains("id=\"now\""),
        "an ended meeting has no panel"
    );
    app.stop().await;
}
