//! The public web server (axum): pages, live updates, feeds, health, metrics and the clerk
//! HTTP API. The app hands it an already-bound listener so tests can use port 0.

pub mod live;

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::archive::Archive;
use crate::config::{ApiSettings, Council};
use crate::desk::Desk;
use crate::outbox::Outbox;
pub use live::{LiveEvent, LiveHub, WebSink};

/// Everything the web server reads.
pub struct WebState {
    pub archive: Arc<Archive>,
    pub desk: Arc<Desk>,
    pub outbox: Arc<Outbox>,
    pub live: Arc<LiveHub>,
    pub council: Council,
    pub public_url: url::Url,
    pub api: Option<ApiSettings>,
}

pub fn router(state: Arc<WebState>) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .with_state(state)
}

async fn healthz(State(s): State<Arc<WebState>>) -> Response {
    match s.archive.check_writable() {
        Ok(()) => (StatusCode::OK, "ok\n").into_response(),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("archive not writable: {e}\n"),
        )
            .into_response(),
    }
}

/// Serves until `cancel` fires, then finishes in-flight requests.
pub async fn serve(
    listener: TcpListener,
    state: Arc<WebState>,
    cancel: CancellationToken,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(async move { cancel.cancelled().await })
        .await
}
