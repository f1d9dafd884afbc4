//! The clerk's desk in the browser (`/desk`) end to end: a real in-process app on port 0 with
//! `[web]` and `[desk]`, driven over HTTP as a browser would (forms, cookies, redirects), and
//! the real binary for `gavel desk add-clerk` and for what reaches the logs.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use gavel::app::{App, RunOptions};
use gavel::archive::{MeetingPlan, PlannedItem};
use gavel::config::{Secrets, load};
use gavel::desk::Desk;
use gavel::domain::{Entry, Payload};
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, LOCATION, SET_COOKIE};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::helpers::{TestDir, gavel_bin};

const ALICE_PW: &str = "alice's long passphrase";
const BOB_PW: &str = "bob's long passphrase";

/// Every `/desk` route with its method.
const GETS: &[&str] = &["/desk", "/desk/", "/desk/state.json"];
const POSTS: &[&str] = &[
    "/desk/logout",
    "/desk/command",
    "/desk/next",
    "/desk/vote",
    "/desk/fix",
    "/desk/strike",
    "/desk/private",
    "/desk/public",
    "/desk/recess",
    "/desk/resume",
    "/desk/consult",
];

/// A running app with the desk, and the clerks alice and bob.
struct DeskApp {
    _dir: TestDir,
    base: String,
    desk: Arc<Desk>,
    stop: CancellationToken,
    task: Option<JoinHandle<anyhow::Result<()>>>,
}

/// A signed-in clerk: the session cookie and the CSRF token from the page.
struct Clerk {
    cookie: String,
    csrf: String,
    http: reqwest::Client,
}

fn client(local: Option<IpAddr>) -> reqwest::Client {
    let mut b = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none());
    if let Some(ip) = local {
        b = b.local_address(ip);
    }
    b.build().expect("client")
}

fn clerks_file(dir: &TestDir) -> std::path::PathBuf {
    let path = dir.path().join("desk_clerks");
    let hash = |pw: &str| gavel::web::desk::auth::hash_password(pw).expect("hash");
    let text = format!(
        "# desk clerks\nalice:{}\nbob:{}\n",
        hash(ALICE_PW),
        hash(BOB_PW)
    );
    std::fs::write(&path, text).expect("clerks file");
    path
}

impl DeskApp {
    /// The app with `[desk]` (when `desk`) and `public_url`.
    async fn start_with(desk: bool, public_url: &str) -> DeskApp {
        DeskApp::start_configured(desk, public_url, "").await
    }

    /// Like [`DeskApp::start_with`], with `desk_extra` added to `[desk]`.
    async fn start_configured(desk: bool, public_url: &str, desk_extra: &str) -> DeskApp {
        DeskApp::start_in("en", desk, public_url, desk_extra).await
    }

    /// Like [`DeskApp::start_configured`], for a council publishing in `language`.
    async fn start_in(language: &str, desk: bool, public_url: &str, desk_extra: &str) -> DeskApp {
        let dir = TestDir::new();
        let mut extra = format!("[web]\nlisten = \"127.0.0.1:0\"\npublic_url = \"{public_url}\"\n");
        if desk {
            let clerks = clerks_file(&dir);
            extra.push_str(&format!(
                "\n[desk]\nclerks_file = \"{}\"\n{desk_extra}",
                clerks.display()
            ));
        }
        dir.write_config(&extra);
        let config = std::fs::read_to_string(dir.config()).expect("config");
        let config = config.replacen(
            "timezone = \"Europe/London\"\n",
            &format!("timezone = \"Europe/London\"\nlanguage = \"{language}\"\n"),
            1,
        );
        std::fs::write(dir.config(), config).expect("config");
        DeskApp::launch(dir).await
    }

    /// Builds and runs the app from `dir`'s config.
    async fn launch(dir: TestDir) -> DeskApp {
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
        let stop = CancellationToken::new();
        let task = tokio::spawn(app.run_until_stopped(stop.clone()));
        DeskApp {
            _dir: dir,
            base: format!("http://{addr}"),
            desk,
            stop,
            task: Some(task),
        }
    }

    async fn start() -> DeskApp {
        DeskApp::start_with(true, "http://gavel.test").await
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// `POST /desk/login` from `local` (an address on the loopback network).
    async fn login_from(&self, local: Option<IpAddr>, name: &str, pw: &str) -> reqwest::Response {
        self.login_forwarded(local, None, name, pw).await
    }

    /// `POST /desk/login` from `local` with an `X-Forwarded-For` header.
    async fn login_forwarded(
        &self,
        local: Option<IpAddr>,
        forwarded: Option<&str>,
        name: &str,
        pw: &str,
    ) -> reqwest::Response {
        let mut req = client(local).post(self.url("/desk/login"));
        if let Some(f) = forwarded {
            req = req.header("x-forwarded-for", f);
        }
        req.form(&[("name", name), ("password", pw)])
            .send()
            .await
            .expect("POST login")
    }

    async fn sign_in(&self, name: &str, pw: &str) -> Clerk {
        let r = self.login_from(None, name, pw).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "sign-in as {name}");
        assert_eq!(location(r.headers()), "/desk");
        let cookie = session_cookie(r.headers()).expect("session cookie");
        let mut clerk = Clerk {
            cookie,
            csrf: String::new(),
            http: client(None),
        };
        let page = clerk.page(self).await;
        clerk.csrf = hidden_value(&page, "csrf").expect("csrf field on the desk");
        clerk
    }

    /// The meeting's entries as archived.
    async fn entries(&self) -> Vec<Entry> {
        let meeting = self
            .desk
            .clerk_view()
            .await
            .meeting
            .expect("a meeting is open");
        self.desk.archive().entries(meeting).expect("entries")
    }

    fn schedule(&self, items: &[(&str, &str)]) {
        let plan = MeetingPlan {
            title: "Planning Committee".into(),
            date: None,
            starts_at: None,
            source: None,
            items: items
                .iter()
                .map(|(n, t)| PlannedItem::new(*n, *t))
                .collect(),
        };
        self.desk
            .archive()
            .schedule_meeting(&plan, chrono_tz::Europe::London, chrono::Utc::now())
            .expect("schedule");
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

impl Clerk {
    async fn get(&self, app: &DeskApp, path: &str) -> reqwest::Response {
        self.http
            .get(app.url(path))
            .header("cookie", &self.cookie)
            .send()
            .await
            .expect("GET")
    }

    /// `GET /desk`, expecting the page.
    async fn page(&self, app: &DeskApp) -> String {
        let r = self.get(app, "/desk").await;
        assert_eq!(r.status(), StatusCode::OK, "GET /desk");
        r.text().await.expect("body")
    }

    async fn state(&self, app: &DeskApp) -> serde_json::Value {
        let r = self.get(app, "/desk/state.json").await;
        assert_eq!(r.status(), StatusCode::OK, "GET /desk/state.json");
        r.json().await.expect("json")
    }

    /// Posts `fields` (with this session's CSRF token and a fresh form key unless given).
    async fn post(
        &self,
        app: &DeskApp,
        action: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut form: Vec<(String, String)> = fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        if !fields.iter().any(|(k, _)| *k == "csrf") {
            form.push(("csrf".into(), self.csrf.clone()));
        }
        if !fields.iter().any(|(k, _)| *k == "key") {
            let key = gavel::web::desk::auth::random_token();
            form.push(("key".into(), key[..32].to_string()));
        }
        self.http
            .post(app.url(&format!("/desk/{action}")))
            .header("cookie", &self.cookie)
            .form(&form)
            .send()
            .await
            .expect("POST")
    }

    /// Posts an action, expects the redirect back to the desk, and returns the desk page
    /// that shows its result.
    async fn act(&self, app: &DeskApp, action: &str, fields: &[(&str, &str)]) -> String {
        let r = self.post(app, action, fields).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "POST /desk/{action}");
        assert_eq!(location(r.headers()), "/desk");
        self.page(app).await
    }
}

fn location(h: &HeaderMap) -> &str {
    h.get(LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("")
}

fn set_cookie(h: &HeaderMap) -> &str {
    h.get(SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// `gavel_desk=<id>` from a Set-Cookie header.
fn session_cookie(h: &HeaderMap) -> Option<String> {
    let c = set_cookie(h).split(';').next()?.trim();
    (c.starts_with("gavel_desk=") && c.len() > "gavel_desk=".len()).then(|| c.to_string())
}

/// The value of the first hidden input called `name` in `page`.
fn hidden_value(page: &str, name: &str) -> Option<String> {
    let needle = format!("name=\"{name}\" value=\"");
    let start = page.find(&needle)? + needle.len();
    let end = page[start..].find('"')?;
    Some(page[start..start + end].to_string())
}

/// A roster file with `toml` and the `[desk]` line naming it (the file lives as long as the
/// handle).
fn roster_section(toml: &str) -> (tempfile::NamedTempFile, String) {
    let roster = tempfile::NamedTempFile::new().expect("roster file");
    std::fs::write(roster.path(), toml).expect("write roster");
    let line = format!("roster_file = \"{}\"\n", roster.path().display());
    (roster, line)
}

/// The result shown after an action (the flash), as text.
fn flash(page: &str) -> &str {
    let start = page.find("id=\"desk-flash\"").expect("flash region");
    let end = page[start..].find("</div>").expect("flash end");
    &page[start..start + end]
}

#[tokio::test]
async fn without_a_desk_section_every_desk_route_is_not_found() {
    let app = DeskApp::start_with(false, "http://gavel.test").await;
    let http = client(None);
    for path in GETS.iter().chain(&["/desk/login"]) {
        let r = http.get(app.url(path)).send().await.expect("GET");
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "GET {path}");
    }
    for path in POSTS.iter().chain(&["/desk/login"]) {
        let r = http
            .post(app.url(path))
            .form(&[("csrf", "x")])
            .send()
            .await
            .expect("POST");
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "POST {path}");
    }
    let r = http
        .get(app.url("/static/desk.js"))
        .send()
        .await
        .expect("GET");
    assert_eq!(r.status(), StatusCode::OK);
    app.stop().await;
}

#[tokio::test]
async fn without_a_session_pages_redirect_to_sign_in_and_the_rest_is_unauthorised() {
    let app = DeskApp::start().await;
    let http = client(None);
    for cookie in [
        "",
        "gavel_desk=0000000000000000000000000000000000000000000000000000000000000000",
    ] {
        for path in ["/desk", "/desk/"] {
            let r = http
                .get(app.url(path))
                .header("cookie", cookie)
                .send()
                .await
                .expect("GET");
            assert_eq!(r.status(), StatusCode::SEE_OTHER, "GET {path} ({cookie:?})");
            assert_eq!(location(r.headers()), "/desk/login");
        }
        let r = http
            .get(app.url("/desk/state.json"))
            .header("cookie", cookie)
            .send()
            .await
            .expect("GET");
        assert_eq!(
            r.status(),
            StatusCode::UNAUTHORIZED,
            "state.json ({cookie:?})"
        );
        for path in POSTS {
            let r = http
                .post(app.url(path))
                .header("cookie", cookie)
                .form(&[("csrf", "x"), ("command", "!note sneaky")])
                .send()
                .await
                .expect("POST");
            assert_eq!(
                r.status(),
                StatusCode::UNAUTHORIZED,
                "POST {path} ({cookie:?})"
            );
            let r = http
                .post(app.url(path))
                .header("cookie", cookie)
                .send()
                .await
                .expect("POST");
            assert_eq!(
                r.status(),
                StatusCode::UNAUTHORIZED,
                "POST {path} without a body"
            );
        }
    }
    let r = http.get(app.url("/desk/login")).send().await.expect("GET");
    assert_eq!(r.status(), StatusCode::OK);
    let csp = r
        .headers()
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert_eq!(
        r.headers().get("cache-control").map(|v| v.as_bytes()),
        Some(&b"no-store"[..])
    );
    let page = r.text().await.expect("body");
    assert!(
        page.contains("action=\"/desk/login\"") && !page.contains("<script>"),
        "{page}"
    );
    assert!(
        app.desk.clerk_view().await.meeting.is_none(),
        "nothing was recorded"
    );
    app.stop().await;
}

#[tokio::test]
async fn refused_sign_ins_are_rate_limited_per_address() {
    let app = DeskApp::start().await;
    let attacker: IpAddr = "127.0.0.7".parse().expect("ip");
    // Five different accounts, so only the address's count reaches the limit.
    for (i, name) in ["alice", "bob", "carol", "dave", "erin"].iter().enumerate() {
        let r = app
            .login_from(Some(attacker), name, "not the password")
            .await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "attempt {}", i + 1);
        assert!(session_cookie(r.headers()).is_none());
        let body = r.text().await.expect("body");
        assert!(body.contains("do not match a clerk account"), "{body}");
    }
    // The sixth is refused before the password is checked, even when it is right.
    let r = app.login_from(Some(attacker), "alice", ALICE_PW).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = r
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!((1..=300).contains(&retry), "{retry}");
    assert!(session_cookie(r.headers()).is_none());
    assert!(
        r.text()
            .await
            .expect("body")
            .contains("Too many refused sign-ins")
    );
    // Another address is not limited.
    let r = app
        .login_from(Some("127.0.0.8".parse().expect("ip")), "alice", ALICE_PW)
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    app.stop().await;
}

#[tokio::test]
async fn behind_a_trusted_proxy_sign_ins_are_limited_by_the_forwarded_address() {
    let app =
        DeskApp::start_configured(true, "http://gavel.test", "trust_forwarded_for = true\n").await;
    // The proxy appends the real client; what the client claimed before it does not count.
    for i in 0..5u8 {
        let header = format!("10.9.9.{i}, 203.0.113.9");
        let r = app
            .login_forwarded(None, Some(&header), &format!("user{i}"), "guess")
            .await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    let r = app
        .login_forwarded(None, Some("203.0.113.9"), "alice", ALICE_PW)
        .await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    // Another client behind the same proxy signs in.
    let r = app
        .login_forwarded(None, Some("203.0.113.10"), "alice", ALICE_PW)
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    app.stop().await;
}

#[tokio::test]
async fn refused_sign_ins_are_rate_limited_per_account() {
    let app = DeskApp::start().await;
    for i in 0..5u8 {
        let from: IpAddr = format!("127.0.1.{}", i + 1).parse().expect("ip");
        let r = app.login_from(Some(from), "Alice", "guess").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "attempt {}", i + 1);
    }
    let fresh: IpAddr = "127.0.1.50".parse().expect("ip");
    let r = app.login_from(Some(fresh), "alice", ALICE_PW).await;
    assert_eq!(
        r.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "alice is limited from anywhere"
    );
    let r = app.login_from(Some(fresh), "bob", BOB_PW).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "bob is not");
    app.stop().await;
}

#[tokio::test]
async fn every_form_needs_the_sessions_csrf_token() {
    let app = DeskApp::start().await;
    let alice = app.sign_in("alice", ALICE_PW).await;
    let bob = app.sign_in("bob", BOB_PW).await;
    assert_ne!(alice.csrf, bob.csrf);
    for csrf in ["", "wrong", bob.csrf.as_str()] {
        let r = alice
            .post(
                &app,
                "command",
                &[("csrf", csrf), ("command", "!start Forged meeting")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "csrf {csrf:?}");
        let r = alice.post(&app, "logout", &[("csrf", csrf)]).await;
        assert_eq!(
            r.status(),
            StatusCode::FORBIDDEN,
            "logout with csrf {csrf:?}"
        );
    }
    let without = alice
        .http
        .post(app.url("/desk/command"))
        .header("cookie", &alice.cookie)
        .form(&[("command", "!start Forged meeting")])
        .send()
        .await
        .expect("POST");
    assert_eq!(without.status(), StatusCode::FORBIDDEN);
    assert!(
        app.desk.clerk_view().await.meeting.is_none(),
        "nothing was recorded"
    );
    let page = alice
        .act(&app, "command", &[("command", "!start Real meeting")])
        .await;
    assert!(
        flash(&page).contains("desk-flash-recorded"),
        "{}",
        flash(&page)
    );
    assert_eq!(app.desk.clerk_view().await.title, "Real meeting");
    app.stop().await;
}

#[tokio::test]
async fn next_walks_a_preloaded_agenda_and_every_entry_is_the_clerks() {
    let (_roster, extra) = roster_section(
        "[[councillor]]\nname = \"Cllr Aisha Ahmed\"\ngroup = \"Labour\"\n\n[[councillor]]\nname = \"Cllr Ben Brown\"\n",
    );
    let app = DeskApp::start_configured(true, "http://gavel.test", &extra).await;
    app.schedule(&[
        ("1", "Apologies"),
        ("2", "Minutes"),
        ("3", "Planning application"),
    ]);
    let alice = app.sign_in("alice", ALICE_PW).await;
    let page = alice.page(&app).await;
    assert!(page.contains("id=\"desk-agenda\""), "{page}");
    // A bare command line gets the prefix.
    let page = alice.act(&app, "command", &[("command", "start")]).await;
    // The command line completes verbs and the preloaded items, with or without script.
    assert!(page.contains("list=\"desk-completions\""), "{page}");
    for option in [
        "<option value=\"!vote \">",
        "<option value=\"!agenda 2 Minutes\">",
    ] {
        assert!(page.contains(option), "{option} in {page}");
    }
    assert!(
        page.contains("aria-keyshortcuts=\"Alt+N\"")
            && page.contains("<kbd>Alt</kbd> + <kbd>N</kbd>"),
        "{page}"
    );
    assert!(
        page.contains("<script src=\"/static/desk.js\" defer></script>")
            && !page.contains("<script>"),
        "{page}"
    );
    for (n, title) in [
        ("1", "Apologies"),
        ("2", "Minutes"),
        ("3", "Planning application"),
    ] {
        let page = alice.act(&app, "next", &[]).await;
        assert!(
            flash(&page).contains("desk-flash-recorded"),
            "{}",
            flash(&page)
        );
        let current = format!(
            "<li class=\"current\" aria-current=\"step\"><span class=\"num\">{n}</span> {title}"
        );
        assert!(page.contains(&current), "item {n} is current:\n{page}");
        assert_eq!(alice.state(&app).await["current_item"], n);
    }
    let page = alice.act(&app, "next", &[]).await;
    assert!(
        flash(&page).contains("desk-flash-refused"),
        "{}",
        flash(&page)
    );
    assert!(page.contains("The preloaded agenda is finished."), "{page}");
    // An item announced by hand is shown as current too.
    let page = alice
        .act(&app, "command", &[("command", "!agenda 4 Urgent business")])
        .await;
    assert!(
        page.contains("aria-current=\"step\"><span class=\"num\">4</span> Urgent business"),
        "{page}"
    );
    let entries = app.entries().await;
    assert_eq!(entries.len(), 5, "start and four items");
    for e in &entries {
        assert_eq!(
            (e.author.platform.as_str(), e.author.user_id.as_str()),
            ("desk", "alice"),
            "{e:?}"
        );
        assert_eq!(e.author.display_name, "alice");
    }
    app.stop().await;
}

#[tokio::test]
async fn the_vote_form_records_a_named_vote_that_a_second_clerk_sees() {
    let app = DeskApp::start().await;
    let alice = app.sign_in("alice", ALICE_PW).await;
    let bob = app.sign_in("bob", BOB_PW).await;
    alice
        .act(&app, "command", &[("command", "!start Planning Committee")])
        .await;
    // Counts that disagree with the names are refused, and the reason is shown in place.
    let page = alice
        .act(
            &app,
            "vote",
            &[
                ("for", "3"),
                ("against", "1"),
                ("abstain", "0"),
                ("outcome", "carried"),
                ("for_names", "Cllr Ahmed, Cllr Brown"),
            ],
        )
        .await;
    assert!(
        flash(&page).contains("desk-flash-refused"),
        "{}",
        flash(&page)
    );
    assert!(flash(&page).contains("role=\"alert\""), "{}", flash(&page));
    assert_eq!(app.entries().await.len(), 1);
    // A form field cannot smuggle in options.
    let page = alice
        .act(
            &app,
            "vote",
            &[
                ("for", "1"),
                ("outcome", "lost"),
                ("for_names", "A | against=B"),
            ],
        )
        .await;
    assert!(
        flash(&page).contains("cannot be used here"),
        "{}",
        flash(&page)
    );
    let page = alice
        .act(
            &app,
            "vote",
            &[
                ("for", "2"),
                ("against", "1"),
                ("abstain", ""),
                ("outcome", "carried"),
                ("for_names", "Cllr Ahmed, Cllr Brown"),
                ("against_names", "Cllr Clarke"),
            ],
        )
        .await;
    assert!(
        flash(&page).contains("desk-flash-recorded"),
        "{}",
        flash(&page)
    );
    let entries = app.entries().await;
    let vote = entries.last().expect("vote entry");
    let Payload::Vote(v) = &vote.payload else {
        panic!("not a vote: {vote:?}");
    };
    let roll = v.roll.as_ref().expect("named vote");
    assert_eq!(roll.for_, ["Cllr Ahmed", "Cllr Brown"]);
    assert_eq!(roll.against, ["Cllr Clarke"]);
    assert!(roll.abstain.is_empty());
    assert_eq!(vote.author.user_id, "alice");
    // Bob's desk shows alice's vote, by her, without him doing anything.
    let state = bob.state(&app).await;
    let latest = &state["entries"][0];
    assert_eq!(latest["seq"], vote.seq.0);
    assert_eq!(latest["author"], "alice");
    assert_eq!(latest["kind"], "vote");
    assert!(
        state["regions"]["desk-entries"]
            .as_str()
            .expect("region")
            .contains("Cllr Clarke")
    );
    assert!(
        bob.page(&app)
            .await
            .contains(&format!("id=\"desk-e{}\"", vote.seq.0))
    );
    app.stop().await;
}

#[tokio::test]
async fn with_a_roster_the_vote_form_ticks_councillors_and_the_counts_follow() {
    let (_roster, extra) = roster_section(
        "[[councillor]]\nname = \"Cllr Aisha Ahmed\"\ngroup = \"Labour\"\n\n[[councillor]]\nname = \"Cllr Ben Brown\"\n\n[[councillor]]\nname = \"Cllr Cara Clarke\"\ngroup = \"Plaid Cymru\"\n",
    );
    let app = DeskApp::start_configured(true, "http://gavel.test", &extra).await;
    let alice = app.sign_in("alice", ALICE_PW).await;
    alice
        .act(&app, "command", &[("command", "!start Planning Committee")])
        .await;
    let page = alice.page(&app).await;
    assert!(
        page.contains(
            "<legend>Cllr Cara Clarke <span class=\"desk-group\">(Plaid Cymru)</span></legend>"
        ),
        "{page}"
    );
    assert!(
        page.contains("name=\"roll-2\" value=\"none\" data-roll=\"none\" checked"),
        "{page}"
    );
    let page = alice
        .act(
            &app,
            "vote",
            &[
                ("for", "0"),
                ("against", "0"),
                ("abstain", "0"),
                ("outcome", "carried"),
                ("roll-0", "for"),
                ("roll-1", "for"),
                ("roll-2", "against"),
            ],
        )
        .await;
    assert!(
        flash(&page).contains("desk-flash-recorded"),
        "{}",
        flash(&page)
    );
    let entries = app.entries().await;
    let Payload::Vote(v) = &entries.last().expect("vote").payload else {
        panic!("not a vote: {entries:?}");
    };
    let roll = v.roll.as_ref().expect("named vote");
    assert_eq!(roll.for_, ["Cllr Aisha Ahmed", "Cllr Ben Brown"]);
    assert_eq!(roll.against, ["Cllr Cara Clarke"]);
    let counts = v.counts.as_ref().expect("counts");
    assert_eq!((counts.for_, counts.against, counts.abstain), (2, 1, 0));
    // A typed count that disagrees with the ticks is refused, not silently changed.
    let page = alice
        .act(
            &app,
            "vote",
            &[("for", "3"), ("outcome", "carried"), ("roll-0", "for")],
        )
        .await;
    assert!(
        flash(&page).contains("desk-flash-refused"),
        "{}",
        flash(&page)
    );
    assert_eq!(app.entries().await.len(), entries.len());
    app.stop().await;
}

#[tokio::test]
async fn an_entry_is_corrected_and_withdrawn_from_its_menu() {
    let app = DeskApp::start().await;
    let alice = app.sign_in("alice", ALICE_PW).await;
    alice
        .act(&app, "command", &[("command", "!start Licensing")])
        .await;
    alice
        .act(
            &app,
            "command",
            &[("command", "!note Apologies from Cllr Bown")],
        )
        .await;
    let page = alice.page(&app).await;
    assert!(
        page.contains("action=\"/desk/fix\"") && page.contains("id=\"fix-2\""),
        "{page}"
    );
    let page = alice
        .act(
            &app,
            "fix",
            &[("entry", "2"), ("text", "Apologies from Cllr Brown")],
        )
        .await;
    assert!(
        flash(&page).contains("desk-flash-recorded"),
        "{}",
        flash(&page)
    );
    let page = alice
        .act(&app, "strike", &[("entry", "2"), ("reason", "duplicate")])
        .await;
    assert!(
        flash(&page).contains("desk-flash-recorded"),
        "{}",
        flash(&page)
    );
    let entries = app.entries().await;
    assert_eq!(entries.len(), 4);
    assert!(
        matches!(&entries[2].payload, Payload::Correction(t) if t.text == "Apologies from Cllr Brown"),
        "{:?}",
        entries[2]
    );
    assert_eq!(entries[2].refers_to.map(|n| n.0), Some(2));
    assert!(
        matches!(entries[3].payload, Payload::Withdrawal(_)),
        "{:?}",
        entries[3]
    );
    assert_eq!(entries[3].refers_to.map(|n| n.0), Some(2));
    let state = alice.state(&app).await;
    let two = state["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .find(|e| e["seq"] == 2)
        .expect("entry 2");
    assert_eq!(two["withdrawn"], true);
    // A withdrawn entry has no menu any more; a missing number is refused in place.
    assert!(!page.contains("id=\"fix-2\""), "{page}");
    let page = alice
        .act(&app, "fix", &[("entry", ""), ("text", "x")])
        .await;
    assert!(
        flash(&page).contains("Entry number: this is required."),
        "{}",
        flash(&page)
    );
    app.stop().await;
}

#[tokio::test]
async fn the_consultation_form_records_a_consultation_with_its_closing_date() {
    let app = DeskApp::start().await;
    let alice = app.sign_in("alice", ALICE_PW).await;
    alice
        .act(&app, "command", &[("command", "!start Cabinet")])
        .await;
    let page = alice.page(&app).await;
    assert!(page.contains("name=\"closes\" type=\"date\""), "{page}");
    let url = "https://example.gov.uk/local-plan";
    let page = alice
        .act(
            &app,
            "consult",
            &[("url", url), ("title", "Local Plan"), ("closes", "")],
        )
        .await;
    assert!(
        flash(&page).contains("Closes on: this is required."),
        "{}",
        flash(&page)
    );
    let fields = [
        ("url", url),
        ("title", "Local Plan review"),
        ("closes", "2099-01-31"),
    ];
    let page = alice.act(&app, "consult", &fields).await;
    assert!(
        flash(&page).contains("desk-flash-recorded"),
        "{}",
        flash(&page)
    );
    let entries = app.entries().await;
    let Payload::Consult(c) = &entries.last().expect("entry").payload else {
        panic!("not a consultation: {entries:?}");
    };
    assert_eq!(
        (c.url.as_str(), c.title.as_str()),
        (url, "Local Plan review")
    );
    assert_eq!(c.closes.to_string(), "2099-01-31");
    app.stop().await;
}

#[tokio::test]
async fn a_welsh_council_gets_its_desk_in_welsh() {
    let dir = TestDir::new();
    let clerks = clerks_file(&dir);
    dir.write_config(&format!(
        "[web]\nlisten = \"127.0.0.1:0\"\npublic_url = \"http://gavel.test\"\n\n[desk]\nclerks_file = \"{}\"\n",
        clerks.display()
    ));
    let config = std::fs::read_to_string(dir.config()).expect("config");
    let config = config.replacen(
        "timezone = \"Europe/London\"\n",
        "timezone = \"Europe/London\"\nlanguage = \"cy\"\n",
        1,
    );
    std::fs::write(dir.config(), config).expect("config");
    let app = DeskApp::launch(dir).await;
    let r = client(None)
        .get(app.url("/desk/login"))
        .send()
        .await
        .expect("GET");
    let login = r.text().await.expect("body");
    assert!(login.contains("<html lang=\"cy\">"), "{login}");
    assert!(login.contains("Mewngofnodi i ddesg y clerc"), "{login}");
    let alice = app.sign_in("alice", ALICE_PW).await;
    let page = alice.page(&app).await;
    for welsh in [
        "Desg y clerc",
        "Llinell orchymyn",
        "Llwybrau byr bysellfwrdd",
        "Ymgynghoriad",
    ] {
        assert!(page.contains(welsh), "{welsh} in {page}");
    }
    for english in [
        ">Command line<",
        ">Record the vote<",
        ">Keyboard shortcuts<",
        ">desk-",
    ] {
        assert!(!page.contains(english), "{english} in {page}");
    }
    app.stop().await;
}

#[tokio::test]
async fn a_form_submitted_twice_is_recorded_once() {
    let app = DeskApp::start().await;
    let alice = app.sign_in("alice", ALICE_PW).await;
    alice
        .act(&app, "command", &[("command", "!start Cabinet")])
        .await;
    let page = alice.page(&app).await;
    let key = hidden_value(&page, "key").expect("form key");
    assert_eq!(key.len(), 32);
    for _ in 0..2 {
        alice
            .act(
                &app,
                "command",
                &[("command", "!note Said once"), ("key", &key)],
            )
            .await;
    }
    let notes = app
        .entries()
        .await
        .iter()
        .filter(|e| e.text.contains("Said once"))
        .count();
    assert_eq!(notes, 1);
    // The same text from a fresh form is a new entry.
    alice
        .act(&app, "command", &[("command", "!note Said once")])
        .await;
    let notes = app
        .entries()
        .await
        .iter()
        .filter(|e| e.text.contains("Said once"))
        .count();
    assert_eq!(notes, 2);
    app.stop().await;
}

#[tokio::test]
async fn the_session_cookie_is_http_only_strict_and_secure_over_https() {
    let app = DeskApp::start().await;
    let r = app.login_from(None, "alice", ALICE_PW).await;
    let c = set_cookie(r.headers()).to_string();
    assert!(
        c.contains("HttpOnly") && c.contains("SameSite=Strict") && c.contains("Path=/desk"),
        "{c}"
    );
    assert!(
        !c.contains("Secure"),
        "plain http cannot keep a Secure cookie: {c}"
    );
    // Signing out ends the session on the server, not only in the browser.
    let alice = app.sign_in("alice", ALICE_PW).await;
    let r = alice.post(&app, "logout", &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(set_cookie(r.headers()).contains("Max-Age=0"));
    let r = alice.get(&app, "/desk").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    app.stop().await;

    let app = DeskApp::start_with(true, "https://live.example.gov.uk").await;
    let r = app.login_from(None, "alice", ALICE_PW).await;
    let c = set_cookie(r.headers()).to_string();
    assert!(
        c.contains("HttpOnly") && c.contains("SameSite=Strict") && c.contains("; Secure"),
        "{c}"
    );
    app.stop().await;
}

/// `gavel desk add-clerk` with the real binary, then `gavel run` with the desk: the clerk signs
/// in with the password given on stdin, records an entry, and neither the password, the
/// session id nor the CSRF token appears in the logs (at debug level).
#[tokio::test]
async fn a_clerk_added_on_the_command_line_signs_in_and_no_secret_is_logged() {
    let dir = TestDir::new();
    let clerks = dir.path().join("desk_clerks");
    dir.write_config(&format!(
        "[web]\nlisten = \"127.0.0.1:0\"\npublic_url = \"http://gavel.test\"\n\n[desk]\nclerks_file = \"{}\"\n",
        clerks.display()
    ));
    let password = "staple-battery-horse-42";
    let add = |name: &str, pw: &str| {
        let mut child = std::process::Command::new(gavel_bin())
            .arg("-c")
            .arg(dir.config())
            .args(["desk", "add-clerk", name])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn add-clerk");
        use std::io::Write;
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(format!("{pw}\n").as_bytes())
            .expect("password on stdin");
        let out = child.wait_with_output().expect("add-clerk");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, _, err) = add("alice", "short");
    assert_eq!(code, Some(1), "a weak password is refused");
    assert!(err.contains("at least 12 characters"), "{err}");
    let (code, _, err) = add("not a name", password);
    assert_eq!(code, Some(1));
    assert!(err.contains("is not a clerk name"), "{err}");
    assert!(!clerks.exists());
    let (code, out, err) = add("alice", password);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("added clerk `alice`"), "{out}");
    let text = std::fs::read_to_string(&clerks).expect("clerks file");
    assert!(
        text.starts_with("alice:$argon2id$") && !text.contains(password),
        "{text}"
    );
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&clerks)
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    let mut child = tokio::process::Command::new(gavel_bin())
        .arg("-c")
        .arg(dir.config())
        .arg("run")
        .current_dir(dir.path())
        .env("RUST_LOG", "debug")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn gavel run");
    let stderr = child.stderr.take().expect("stderr");
    let log = Arc::new(tokio::sync::Mutex::new(String::new()));
    let sink = Arc::clone(&log);
    let reader = tokio::spawn(async move {
        use tokio::io::AsyncBufReadExt;
        let mut lines = tokio::io::BufReader::new(stderr).lines();
        while let Ok(Some(l)) = lines.next_line().await {
            let mut s = sink.lock().await;
            s.push_str(&l);
            s.push('\n');
        }
    });
    let base = wait_for_address(&log).await;
    let http = client(None);
    let login = |pw: &'static str| {
        http.post(format!("{base}/desk/login"))
            .form(&[("name", "alice"), ("password", pw)])
            .send()
    };
    let refused = login("staple-battery-horse-43").await.expect("POST");
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    let r = login("staple-battery-horse-42").await.expect("POST");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let cookie = session_cookie(r.headers()).expect("cookie");
    let page = http
        .get(format!("{base}/desk"))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("GET")
        .text()
        .await
        .expect("page");
    let csrf = hidden_value(&page, "csrf").expect("csrf");
    let r = http
        .post(format!("{base}/desk/command"))
        .header("cookie", &cookie)
        .form(&[
            ("csrf", csrf.as_str()),
            ("key", "k1"),
            ("command", "!start Audit Committee"),
        ])
        .send()
        .await
        .expect("POST");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let forged = http
        .post(format!("{base}/desk/command"))
        .header("cookie", &cookie)
        .form(&[("csrf", "forged"), ("command", "!note x")])
        .send()
        .await
        .expect("POST");
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);

    if let Some(pid) = child.id() {
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status();
    }
    let status = tokio::time::timeout(Duration::from_secs(20), child.wait())
        .await
        .expect("gavel stops")
        .expect("wait");
    assert!(status.success(), "{status:?}");
    let _ = tokio::time::timeout(Duration::from_secs(5), reader).await;
    let log = log.lock().await.clone();
    assert!(
        log.contains("desk sign-in") && log.contains("alice"),
        "{log}"
    );
    assert!(log.contains("desk sign-in refused"), "{log}");
    let session_id = cookie.trim_start_matches("gavel_desk=");
    for secret in [
        "staple-battery-horse-4",
        session_id,
        csrf.as_str(),
        "$argon2",
    ] {
        assert!(
            !log.contains(secret),
            "the log holds a secret ({secret:?}):\n{log}"
        );
    }
}

/// Waits for `gavel run`'s "web page at http://…/" line; returns the base URL.
async fn wait_for_address(log: &tokio::sync::Mutex<String>) -> String {
    for _ in 0..400 {
        let found = {
            let l = log.lock().await;
            l.find("web page at http://").map(|i| {
                let rest = &l[i + "web page at ".len()..];
                let url = rest.split_whitespace().next().unwrap_or("");
                url.trim_end_matches('/').to_string()
            })
        };
        if let Some(url) = found {
            return url;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("gavel did not start: {}", log.lock().await);
}

fn repo() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Headless Chromium on the desk (`tests/browser/desk.mjs`): the agenda walked with the
/// keyboard only, a named vote with the form, a correction and a withdrawal, a second clerk's
/// browser updating without reload, and axe-core WCAG 2.2 AA at 1024 and 768 px. Needs
/// `scripts/browser-deps.sh`; skips (saying so) when it has not run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_desk_keyboard_vote_corrections_second_clerk_and_accessibility() {
    let chromium = std::path::PathBuf::from("/usr/bin/chromium");
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
            "SKIPPED desk browser test: needs /usr/bin/chromium and tests/browser/node_modules; run scripts/browser-deps.sh"
        );
        return;
    }
    run_desk_browser("en", "desk-768.png").await;
    // A bilingual council's desk (Welsh in `lang="cy"` spans) must be just as accessible.
    run_desk_browser("en+cy", "desk-768-en-cy.png").await;
}

/// Runs `tests/browser/desk.mjs` against a desk with a roster and a preloaded agenda, for a
/// council publishing in `language`; checks the script's verdict and the archive afterwards.
async fn run_desk_browser(language: &str, screenshot: &str) {
    let (_roster, extra) = roster_section(
        "[[councillor]]\nname = \"Cllr Aisha Ahmed\"\ngroup = \"Labour\"\n\n[[councillor]]\nname = \"Cllr Ben Brown\"\n\n[[councillor]]\nname = \"Cllr Cara Clarke\"\n",
    );
    let app = DeskApp::start_in(language, true, "http://gavel.test", &extra).await;
    app.schedule(&[
        ("1", "Apologies"),
        ("2", "Minutes"),
        ("3", "Planning application"),
    ]);
    let artifacts = repo().join("target/test-artifacts");
    std::fs::create_dir_all(&artifacts).expect("artifacts folder");
    let screenshot = artifacts.join(screenshot);
    let out = tokio::time::timeout(
        Duration::from_secs(180),
        tokio::process::Command::new("node")
            .arg(repo().join("tests/browser/desk.mjs"))
            .arg(&app.base)
            .arg(format!("alice:{ALICE_PW}"))
            .arg(format!("bob:{BOB_PW}"))
            .arg(&screenshot)
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
        "desk browser script failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(
        stdout.contains("axe: 0 violations on 3 desk pages"),
        "{stdout}"
    );
    assert!(screenshot.exists());
    // What the browser did is in the archive, under the clerks' names.
    let entries = app.entries().await;
    assert!(
        entries.iter().any(
            |e| matches!(&e.payload, Payload::Vote(v) if v.roll.is_some())
                && e.author.user_id == "alice"
        ),
        "{entries:?}"
    );
    assert!(
        entries
            .iter()
            .any(|e| matches!(e.payload, Payload::Withdrawal(_)))
    );
    app.stop().await;
}

#[tokio::test]
async fn the_toggles_go_private_and_into_recess_and_the_banners_say_so() {
    let app = DeskApp::start().await;
    let alice = app.sign_in("alice", ALICE_PW).await;
    alice
        .act(&app, "command", &[("command", "!start Licensing")])
        .await;
    let page = alice
        .act(&app, "private", &[("reason", "exempt information")])
        .await;
    assert!(page.contains("desk-banner-private"), "{page}");
    assert!(page.contains("action=\"/desk/public\""), "{page}");
    let page = alice.act(&app, "public", &[]).await;
    assert!(!page.contains("desk-banner-private"), "{page}");
    let page = alice.act(&app, "recess", &[("minutes", "10")]).await;
    assert!(page.contains("desk-banner-recess"), "{page}");
    assert!(page.contains("action=\"/desk/resume\""), "{page}");
    // In recess a vote is refused in place, and nothing is recorded.
    let before = app.entries().await.len();
    let page = alice
        .act(
            &app,
            "vote",
            &[("for", "3"), ("against", "1"), ("outcome", "carried")],
        )
        .await;
    assert!(
        flash(&page).contains("desk-flash-refused"),
        "{}",
        flash(&page)
    );
    assert_eq!(app.entries().await.len(), before);
    let page = alice.act(&app, "resume", &[]).await;
    assert!(!page.contains("desk-banner-recess"), "{page}");
    let kinds: Vec<String> = app
        .entries()
        .await
        .iter()
        .map(|e| format!("{:?}", e.payload.kind()))
        .collect();
    assert_eq!(kinds.len(), 5, "{kinds:?}");
    app.stop().await;
}
