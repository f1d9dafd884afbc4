//! `/desk`: the clerk's desk in the browser. Clerks sign in with a name and password from
//! `[desk] clerks_file`; every button and form builds an ordinary command line ([`forms`]) and
//! hands it to [`Desk::submit`](crate::desk::Desk::submit) as a [`ClerkInput`] under the
//! clerk's name, so what it records is archived exactly as a chat command would be.
//!
//! Without `[desk]` in the config every `/desk` route answers 404. Without a session, pages
//! redirect (303) to the sign-in page and POSTs and `state.json` answer 401; a POST without
//! the session's CSRF token answers 403. Each rendered form carries a random key that becomes
//! the entry's [`SourceRef`], so a form submitted twice is recorded once. Results are shown
//! after a redirect (POST-redirect-GET), kept in the session for one page view.

pub mod accounts;
pub mod auth;
pub mod forms;
pub mod page;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::config::DeskWebSettings;
use crate::desk::{ClerkInput, Reply};
use crate::domain::{Author, SourceRef};
use crate::outbox::HealthSource;
use crate::tr;
use crate::web::WebState;

use auth::{Flash, LoginLimiter, Session, Sessions};
use forms::FormError;
use page::{Snapshot, Viewer};

/// The session cookie's name.
pub const COOKIE: &str = "gavel_desk";
/// How many of the latest entries the desk shows.
pub const LATEST: u32 = 20;

/// The desk's accounts, sessions and sign-in limits.
pub struct DeskWeb {
    pub settings: DeskWebSettings,
    pub sessions: Sessions,
    pub limiter: LoginLimiter,
    /// `Secure` on the cookie: the public URL is https.
    pub secure: bool,
}

impl DeskWeb {
    pub fn new(settings: DeskWebSettings, public_url: &url::Url) -> DeskWeb {
        DeskWeb {
            sessions: Sessions::new(settings.session_idle),
            limiter: LoginLimiter::default(),
            secure: public_url.scheme() == "https",
            settings,
        }
    }
}

/// The `/desk` routes (the router adds them only when `[desk]` is configured).
pub fn routes() -> Router<Arc<WebState>> {
    Router::new()
        .route("/desk", get(desk_page))
        .route("/desk/", get(desk_page))
        .route("/desk/login", get(login_page).post(login))
        .route("/desk/logout", post(logout))
        .route("/desk/state.json", get(state_json))
        .route("/desk/{action}", post(action))
}

/// Why a desk request is refused, mapped to its response in one place.
#[derive(Debug)]
enum Refusal {
    /// No `[desk]` in the config, or no such action: 404.
    NotFound,
    /// A page without a session: 303 to the sign-in page.
    SignIn,
    /// A POST or `state.json` without a session: 401.
    Unauthorised,
    /// A POST without the session's CSRF token: 403.
    Forbidden,
    /// The archive could not be read: 500, logged.
    Archive(crate::archive::ArchiveError),
}

impl From<crate::archive::ArchiveError> for Refusal {
    fn from(e: crate::archive::ArchiveError) -> Refusal {
        Refusal::Archive(e)
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Refusal::NotFound => plain(StatusCode::NOT_FOUND, "Not found"),
            Refusal::SignIn => private_headers(Redirect::to("/desk/login").into_response()),
            Refusal::Unauthorised => plain(
                StatusCode::UNAUTHORIZED,
                "Sign in at /desk/login to use the clerk's desk.",
            ),
            Refusal::Forbidden => plain(
                StatusCode::FORBIDDEN,
                "This form has expired or did not come from the desk. Reload the desk and try again.",
            ),
            Refusal::Archive(e) => {
                tracing::error!(error = %e, "the desk could not read the archive");
                plain(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "The archive could not be read. Please try again shortly.",
                )
            }
        }
    }
}

/// The roster's councillors, in its order (none without `roster_file`).
fn councillors(settings: &DeskWebSettings) -> &[crate::roster::Councillor] {
    settings
        .roster
        .as_deref()
        .map(crate::roster::Roster::councillors)
        .unwrap_or(&[])
}

fn desk_of(s: &WebState) -> Result<&DeskWeb, Refusal> {
    s.desk_web.as_ref().ok_or(Refusal::NotFound)
}

fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The signed-in session and its id, if any.
fn session(d: &DeskWeb, headers: &HeaderMap) -> Option<(String, Session)> {
    let id = cookie_value(headers, COOKIE)?;
    d.sessions
        .get(id, Instant::now())
        .map(|s| (id.to_string(), s))
}

/// Like [`session`], without counting the request as the clerk's activity (`state.json`).
fn session_untouched(d: &DeskWeb, headers: &HeaderMap) -> Option<Session> {
    let id = cookie_value(headers, COOKIE)?;
    d.sessions.peek(id, Instant::now())
}

fn private_headers(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        HeaderName::from_static("x-frame-options"),
        HeaderValue::from_static("DENY"),
    );
    r
}

fn plain(status: StatusCode, text: &str) -> Response {
    private_headers((status, format!("{text}\n")).into_response())
}

fn cookie(d: &DeskWeb, value: &str, max_age: Option<u32>) -> HeaderValue {
    let mut c = format!("{COOKIE}={value}; Path=/desk; HttpOnly; SameSite=Strict");
    if let Some(a) = max_age {
        c.push_str(&format!("; Max-Age={a}"));
    }
    if d.secure {
        c.push_str("; Secure");
    }
    HeaderValue::from_str(&c)
        .unwrap_or_else(|_| HeaderValue::from_static("gavel_desk=; Path=/desk"))
}

/// The state the desk shows now: the clerk's view of the meeting, its latest entries with
/// their delivery tallies, and the targets' health.
async fn snapshot(s: &WebState) -> Result<Snapshot, crate::archive::ArchiveError> {
    let view = s.desk.clerk_view().await;
    let mut entries = Vec::new();
    if let (Some(m), Some(last)) = (view.meeting, view.last_seq) {
        let after = last.0.saturating_sub(LATEST);
        for e in s.archive.entries_after(m, after)?.into_iter().rev() {
            let tally = s.archive.delivery_tally(e.id)?;
            entries.push((e, tally));
        }
    }
    Ok(Snapshot {
        view,
        entries,
        targets: s.outbox.target_status(),
    })
}

/// `GET /desk`.
async fn desk_page(
    State(s): State<Arc<WebState>>,
    headers: HeaderMap,
) -> Result<Response, Refusal> {
    let d = desk_of(&s)?;
    let (id, sess) = session(d, &headers).ok_or(Refusal::SignIn)?;
    let snap = snapshot(&s).await?;
    let flash = d.sessions.take_flash(&id);
    let viewer = Viewer {
        clerk: &sess.clerk,
        csrf: &sess.csrf,
        prefix: &s.desk.settings().prefix,
        roster: councillors(&d.settings),
    };
    Ok(private_headers(
        Html(page::desk_page(&s.council, &viewer, &snap, flash.as_ref())).into_response(),
    ))
}

/// `GET /desk/state.json`: the refreshable regions as HTML, the latest entries as data, and a
/// fingerprint that changes only when something shown changes.
async fn state_json(
    State(s): State<Arc<WebState>>,
    headers: HeaderMap,
) -> Result<Response, Refusal> {
    let d = desk_of(&s)?;
    let sess = session_untouched(d, &headers).ok_or(Refusal::Unauthorised)?;
    let snap = snapshot(&s).await?;
    let entries: Vec<serde_json::Value> = snap
        .entries
        .iter()
        .map(|(e, t)| {
            json!({
                "seq": e.seq.0,
                "kind": e.kind().as_str(),
                "text": e.text,
                "author": e.author.display_name,
                "confidential": e.confidential,
                "withdrawn": snap.view.withdrawn.contains(&e.seq),
                "delivery": {
                    "state": page::delivery_class(e, t),
                    "done": t.done,
                    "total": t.total,
                    "failed": t.failed,
                },
            })
        })
        .collect();
    let targets: Vec<serde_json::Value> = snap
        .targets
        .iter()
        .map(|t| json!({"name": t.name, "queued": t.queued, "failing": t.failing}))
        .collect();
    let data = json!({
        "meeting": snap.view.meeting.map(|m| m.0),
        "title": snap.view.title,
        "private": snap.view.private,
        "recess": snap.view.in_recess,
        "current_item": snap.view.current_item.as_ref().map(|(n, _)| n),
        "next_index": snap.view.next_index,
        "entries": entries,
        "targets": targets,
    });
    let fingerprint = hex::encode(&Sha256::digest(data.to_string().as_bytes())[..12]);
    let viewer = Viewer {
        clerk: &sess.clerk,
        csrf: &sess.csrf,
        prefix: &s.desk.settings().prefix,
        roster: councillors(&d.settings),
    };
    let regions: serde_json::Map<String, serde_json::Value> =
        page::regions(s.council.language, &viewer, &snap)
            .into_iter()
            .map(|(id, html)| (id.to_string(), json!(html)))
            .collect();
    let mut body = data;
    body["fingerprint"] = json!(fingerprint);
    body["regions"] = json!(regions);
    Ok(private_headers(axum::Json(body).into_response()))
}

/// `GET /desk/login`: a signed-in clerk goes straight to the desk.
async fn login_page(
    State(s): State<Arc<WebState>>,
    headers: HeaderMap,
) -> Result<Response, Refusal> {
    let d = desk_of(&s)?;
    if session(d, &headers).is_some() {
        return Ok(private_headers(Redirect::to("/desk").into_response()));
    }
    Ok(private_headers(
        Html(page::login_page(&s.council, None, "")).into_response(),
    ))
}

/// The client's address for the sign-in limit: the connection's peer or, with
/// `trust_forwarded_for`, the last address the reverse proxy appended to `X-Forwarded-For`
/// (earlier ones are the client's own claim and are ignored).
fn client_address(d: &DeskWeb, peer: Option<SocketAddr>, headers: &HeaderMap) -> String {
    let forwarded = d
        .settings
        .trust_forwarded_for
        .then(|| {
            headers
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .next_back()
                .and_then(|a| a.trim().parse::<std::net::IpAddr>().ok())
        })
        .flatten();
    forwarded
        .or(peer.map(|p| p.ip()))
        .map(|ip| ip.to_string())
        .unwrap_or_default()
}

/// `POST /desk/login`.
async fn login(
    State(s): State<Arc<WebState>>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Result<Response, Refusal> {
    let f = fields(form);
    let d = desk_of(&s)?;
    let language = s.council.language;
    let name = f.get("name").map(|n| n.trim()).unwrap_or("");
    let password = f.get("password").map(String::as_str).unwrap_or("");
    let addr = client_address(d, peer.map(|Extension(ConnectInfo(a))| a), &headers);
    let keys = vec![
        format!("addr:{addr}"),
        format!("name:{}", name.to_ascii_lowercase()),
    ];
    let now = Instant::now();
    if let Err(wait) = d.limiter.check(&keys, now) {
        let minutes = wait.as_secs().div_ceil(60).max(1);
        tracing::warn!(client = %addr, "desk sign-in refused: too many failures");
        let text = language.each(" / ", |l| tr!(l, "desk-login-limited", minutes = minutes));
        let mut r = Html(page::login_page(&s.council, Some(&text), name)).into_response();
        *r.status_mut() = StatusCode::TOO_MANY_REQUESTS;
        r.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from(wait.as_secs().max(1)),
        );
        return Ok(private_headers(r));
    }
    let clerks = d.settings.clerks.clone();
    let (n, p) = (name.to_string(), password.to_string());
    // argon2 is deliberately slow: keep it off the async workers.
    let verified = tokio::task::spawn_blocking(move || auth::check_password(&clerks, &n, &p))
        .await
        .ok()
        .flatten();
    Ok(match verified {
        Some(clerk) => {
            let id = d.sessions.create(&clerk, now);
            tracing::info!(clerk = %clerk, "desk sign-in");
            let mut r = Redirect::to("/desk").into_response();
            r.headers_mut()
                .insert(header::SET_COOKIE, cookie(d, &id, None));
            private_headers(r)
        }
        None => {
            d.limiter.fail(&keys, now);
            tracing::warn!(client = %addr, "desk sign-in refused");
            let text = language.each(" / ", |l| tr!(l, "desk-login-refused"));
            let mut r = Html(page::login_page(&s.council, Some(&text), name)).into_response();
            *r.status_mut() = StatusCode::UNAUTHORIZED;
            private_headers(r)
        }
    })
}

/// A POST's fields; a body that is not a form has none (and so is refused for its session or
/// its CSRF token, not for its encoding).
fn fields(form: Result<Form<HashMap<String, String>>, FormRejection>) -> HashMap<String, String> {
    form.map(|Form(f)| f).unwrap_or_default()
}

/// The session for a POST, checked: 401 without one, 403 without its CSRF token.
fn post_session(
    d: &DeskWeb,
    headers: &HeaderMap,
    f: &HashMap<String, String>,
) -> Result<(String, Session), Refusal> {
    let (id, sess) = session(d, headers).ok_or(Refusal::Unauthorised)?;
    if !auth::csrf_ok(&sess.csrf, f.get("csrf").map(String::as_str)) {
        tracing::warn!(clerk = %sess.clerk, "desk form refused: missing or wrong CSRF token");
        return Err(Refusal::Forbidden);
    }
    Ok((id, sess))
}

/// `POST /desk/logout`.
async fn logout(
    State(s): State<Arc<WebState>>,
    headers: HeaderMap,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Result<Response, Refusal> {
    let f = fields(form);
    let d = desk_of(&s)?;
    let (id, _) = post_session(d, &headers, &f)?;
    d.sessions.remove(&id);
    let mut r = Redirect::to("/desk/login").into_response();
    r.headers_mut()
        .insert(header::SET_COOKIE, cookie(d, "", Some(0)));
    Ok(private_headers(r))
}

/// What the clerk is told when a form cannot become a command.
fn form_error(language: crate::i18n::Language, e: &FormError) -> String {
    language.each("\n", |l| {
        let label = |field: &str| match field {
            "for" => tr!(l, "desk-vote-for"),
            "against" => tr!(l, "desk-vote-against"),
            "abstain" => tr!(l, "desk-vote-abstain"),
            "outcome" => tr!(l, "desk-vote-outcome"),
            "for_names" => tr!(l, "desk-vote-for-names"),
            "against_names" => tr!(l, "desk-vote-against-names"),
            "abstain_names" => tr!(l, "desk-vote-abstain-names"),
            "casting" => tr!(l, "desk-vote-casting"),
            "minutes" => tr!(l, "desk-recess-minutes"),
            "reason" => tr!(l, "desk-private-reason"),
            "command" => tr!(l, "desk-command"),
            "entry" => tr!(l, "desk-field-entry"),
            "url" => tr!(l, "desk-consult-url"),
            "title" => tr!(l, "desk-consult-title"),
            "closes" => tr!(l, "desk-consult-closes"),
            "roll" => tr!(l, "desk-roster"),
            "text" => tr!(l, "desk-field-text"),
            _ => field.to_string(),
        };
        match e {
            FormError::Missing(f) => tr!(l, "desk-form-missing", field = label(f)),
            FormError::NotACount(f) => tr!(l, "desk-form-count", field = label(f)),
            FormError::BadCharacter(f) => tr!(l, "desk-form-character", field = label(f)),
            FormError::NotAChoice(f) => tr!(l, "desk-form-choice", field = label(f)),
            FormError::UnknownAction => tr!(l, "desk-form-action"),
        }
    })
}

/// A form's idempotency key: letters and digits only, at most 64.
fn form_key(f: &HashMap<String, String>) -> Option<&str> {
    f.get("key")
        .map(String::as_str)
        .filter(|k| !k.is_empty() && k.len() <= 64 && k.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// `POST /desk/{action}`: builds the action's command, submits it under the clerk's name, and
/// redirects back to the desk with the result.
async fn action(
    State(s): State<Arc<WebState>>,
    Path(name): Path<String>,
    headers: HeaderMap,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Result<Response, Refusal> {
    let f = fields(form);
    let d = desk_of(&s)?;
    let (id, sess) = post_session(d, &headers, &f)?;
    let language = s.council.language;
    let mut f = f;
    let built = match name.as_str() {
        "vote" => forms::apply_roster(&mut f, councillors(&d.settings)),
        _ => Ok(()),
    }
    .and_then(|()| forms::command_for(&name, &s.desk.settings().prefix, &f));
    let flash = match built {
        Err(FormError::UnknownAction) => return Err(Refusal::NotFound),
        Err(e) => Flash {
            ok: false,
            text: form_error(language, &e),
        },
        Ok(text) => {
            let source = form_key(&f).map(|k| SourceRef {
                platform: "desk".into(),
                message_id: format!("{}:{k}", sess.clerk),
            });
            let input = ClerkInput {
                author: Author::new("desk", sess.clerk.clone(), sess.clerk.clone()),
                text,
                source,
            };
            let reply = s.desk.submit(input).await;
            let ok = !matches!(reply, Reply::Refused(_) | Reply::Ignored);
            Flash {
                ok,
                text: reply.to_clerk(language).unwrap_or_else(|| {
                    language.each("\n", |l| {
                        tr!(l, "desk-form-missing", field = tr!(l, "desk-command"))
                    })
                }),
            }
        }
    };
    d.sessions.set_flash(&id, flash);
    Ok(private_headers(Redirect::to("/desk").into_response()))
}
