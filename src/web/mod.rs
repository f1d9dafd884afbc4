//! The public web server (axum): pages, live updates, feeds, health, metrics and the clerk
//! HTTP API. The app hands it an already-bound listener so tests can use port 0.
//!
//! Every response carries the security headers (a CSP that forbids inline script, `nosniff`,
//! no referrer); every route but the live stream has a request timeout. Handlers return
//! [`WebError`], mapped to status codes in one place.

pub mod api;
pub mod desk;
pub mod exports;
pub mod feeds;
pub mod html;
pub mod live;
pub mod ops;
pub mod pages;
pub mod sse;
pub mod view;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use tokio::net::TcpListener;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;

use crate::archive::{Archive, ArchiveError};
use crate::config::{ApiSettings, Council};
use crate::desk::Desk;
use crate::outbox::{Outbox, OutboxEvent};
pub use live::{LiveHub, WebSink};

/// The Content-Security-Policy sent with every response.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// How long a (non-streaming) request may take.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

/// Everything the web server reads.
pub struct WebState {
    pub archive: Arc<Archive>,
    pub desk: Arc<Desk>,
    pub outbox: Arc<Outbox>,
    pub live: Arc<LiveHub>,
    pub council: Council,
    pub public_url: url::Url,
    pub api: Option<ApiSettings>,
    pub runtime: WebRuntime,
    /// The public half of the checkpoint signing key, published at `/signing-key`.
    pub signing_key: Option<PublicKey>,
    /// The clerk's desk (`/desk`), when `[desk]` is configured.
    pub desk_web: Option<desk::DeskWeb>,
    /// This instance's leases, when several instances share the archive.
    pub cluster: Option<Arc<crate::cluster::Cluster>>,
}

/// The ed25519 public key that signs meetings' final chain heads, as archivists need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    pub base64: String,
    pub fingerprint: String,
}

/// The web server's own moving parts: metrics, the API rate limiter and the stop signal for
/// long-lived streams.
pub struct WebRuntime {
    pub metrics: Arc<ops::Metrics>,
    pub limiter: api::RateLimiter,
    /// Fires when the server shuts down, ending live streams so graceful shutdown can finish.
    pub stop: CancellationToken,
    outbox_events: std::sync::Mutex<Option<broadcast::Receiver<OutboxEvent>>>,
}

impl WebRuntime {
    /// Subscribes to `outbox` now, so no delivery is missed before the server starts.
    pub fn new(outbox: &Outbox) -> WebRuntime {
        WebRuntime {
            metrics: Arc::new(ops::Metrics::default()),
            limiter: api::RateLimiter::default(),
            stop: CancellationToken::new(),
            outbox_events: std::sync::Mutex::new(Some(outbox.subscribe())),
        }
    }
}

/// Errors a handler can return; [`IntoResponse`] maps them to statuses.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    BadRequest(String),
    #[error("{1}")]
    Status(StatusCode, String),
    #[error(transparent)]
    Archive(#[from] ArchiveError),
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let (status, message) = match &self {
            WebError::NotFound => (
                StatusCode::NOT_FOUND,
                "There is no page at this address.".to_string(),
            ),
            WebError::BadRequest(m) => (StatusCode::BAD_REQUEST, m.clone()),
            WebError::Status(s, m) => (*s, m.clone()),
            WebError::Archive(e) => {
                tracing::error!(error = %e, "web request failed reading the archive");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "The archive could not be read. Please try again shortly.".into(),
                )
            }
        };
        let reason = status.canonical_reason().unwrap_or("Error");
        let body = format!(
            "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{reason}</title>\n\
<link rel=\"stylesheet\" href=\"/static/gavel.css\">\n</head>\n<body>\n<main id=\"main\">\n<h1>{reason}</h1>\n\
<p>{}</p>\n<p><a href=\"/\">Go to the list of meetings</a></p>\n</main>\n</body>\n</html>\n",
            html::escape(&message)
        );
        (status, Html(body)).into_response()
    }
}

async fn not_found() -> WebError {
    WebError::NotFound
}

const LIVE_JS: &str = include_str!("static/live.js");
const GAVEL_CSS: &str = include_str!("static/gavel.css");
const DESK_JS: &str = include_str!("static/desk.js");

async fn desk_js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        DESK_JS,
    )
        .into_response()
}

async fn live_js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        LIVE_JS,
    )
        .into_response()
}

async fn gavel_css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        GAVEL_CSS,
    )
        .into_response()
}

pub fn router(state: Arc<WebState>) -> Router {
    let timed = Router::new()
        .route("/", get(pages::index))
        .route("/meetings/{id}", get(pages::meeting))
        .route("/meetings/{id}/export", get(exports::export))
        .route("/search", get(pages::search))
        .route("/feed.atom", get(feeds::atom))
        .route("/meetings.ics", get(feeds::ics))
        .route("/healthz", get(ops::healthz))
        .route("/signing-key", get(signing_key))
        .route("/metrics", get(ops::metrics))
        .route("/api/commands", post(api::commands))
        .route("/static/live.js", get(live_js))
        .route("/static/gavel.css", get(gavel_css))
        .route("/static/desk.js", get(desk_js))
        .merge(desk::routes())
        .fallback(not_found)
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ));
    // The live stream is long-lived by design: no timeout.
    let streaming = Router::new().route("/meetings/{id}/live", get(sse::live));
    let header = |name: HeaderName, value: &'static str| {
        SetResponseHeaderLayer::overriding(name, HeaderValue::from_static(value))
    };
    timed
        .merge(streaming)
        .with_state(state)
        .layer(header(header::CONTENT_SECURITY_POLICY, CSP))
        .layer(header(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(header(header::REFERRER_POLICY, "no-referrer"))
}

/// Serves until `cancel` fires, then ends live streams and finishes in-flight requests.
pub async fn serve(
    listener: TcpListener,
    state: Arc<WebState>,
    cancel: CancellationToken,
) -> std::io::Result<()> {
    let events = state
        .runtime
        .outbox_events
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .take();
    let stop = state.runtime.stop.clone();
    if let Some(events) = events {
        tokio::spawn(ops::collect_latencies(
            Arc::clone(&state.runtime.metrics),
            events,
            stop.clone(),
        ));
    }
    let shutdown = async move {
        cancel.cancelled().await;
        stop.cancel();
    };
    // The peer address lets the desk limit sign-in attempts per client.
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// `GET /signing-key`: the public key and fingerprint that `gavel verify` reports, so anyone
/// holding a transcript can check its signed checkpoint. 404 when meetings are not signed.
async fn signing_key(axum::extract::State(s): axum::extract::State<Arc<WebState>>) -> Response {
    match &s.signing_key {
        Some(k) => (
            StatusCode::OK,
            [(
                axum::http::header::CONTENT_TYPE,
                "text/plain; charset=utf-8",
            )],
            format!(
                "{} signs each meeting's final hash-chain head with this ed25519 key.\n\
                 public key (base64): {}\nfingerprint: {}\n\
                 Check a copy of the archive with `gavel verify`.\n",
                s.council.name, k.base64, k.fingerprint
            ),
        )
            .into_response(),
        None => (
            StatusCode::NOT_FOUND,
            "Meetings are not signed on this server.\n",
        )
            .into_response(),
    }
}
