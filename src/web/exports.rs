//! Transcript downloads served by the web: `/meetings/{id}.md|.txt|.json` and
//! `/meetings/{id}/export?format=…` for every format `gavel export` writes. The web and the CLI
//! call the same [`crate::export::render`], so a download equals the archivist's export.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::domain::MeetingId;
use crate::export::{ExportContext, ExportError, Format};
use crate::i18n::Lang;
use crate::tr;
use crate::web::{WebError, WebState};

/// A human label for a format's download link.
pub fn label(f: Format, l: Lang) -> String {
    tr!(l, "web-format", format = f.as_str())
}

/// The format named by a `/meetings/{id}.{ext}` extension: only md, txt and json are routes.
pub fn from_extension(ext: &str) -> Option<Format> {
    match ext.to_ascii_lowercase().as_str() {
        "md" => Some(Format::Md),
        "txt" => Some(Format::Txt),
        "json" => Some(Format::Json),
        _ => None,
    }
}

#[derive(Debug, Deserialize)]
pub struct ExportQuery {
    format: Option<String>,
}

/// `GET /meetings/{id}/export?format=…`.
pub async fn export(
    State(s): State<Arc<WebState>>,
    Path(raw): Path<String>,
    Query(q): Query<ExportQuery>,
) -> Result<Response, WebError> {
    let id: MeetingId = raw.parse().map_err(|_| WebError::NotFound)?;
    let name = q.format.unwrap_or_default();
    let format: Format = name
        .parse()
        .map_err(|e: crate::export::UnknownFormat| WebError::BadRequest(e.to_string()))?;
    respond(&s, id, format)
}

/// Renders meeting `id` in `format` as an HTTP response.
pub fn respond(s: &WebState, id: MeetingId, format: Format) -> Result<Response, WebError> {
    let ctx = ExportContext {
        council_name: s.council.name.clone(),
        public_url: Some(s.public_url.to_string()),
        generated_at: chrono::Utc::now(),
        language: s.council.language,
    };
    let body = match crate::export::render(&s.archive, id, format, &ctx) {
        Ok(b) => b,
        Err(ExportError::NoSuchMeeting(_)) => return Err(WebError::NotFound),
        Err(ExportError::NoWebcastMark(_)) => {
            return Err(WebError::Status(
                StatusCode::NOT_FOUND,
                s.council
                    .language
                    .each(" ", |l| tr!(l, "web-export-no-webcast")),
            ));
        }
        Err(ExportError::Archive(e)) => return Err(WebError::Archive(e)),
        Err(e) => {
            tracing::error!(meeting = %id, format = format.as_str(), error = %e, "export failed");
            return Err(WebError::Status(
                StatusCode::INTERNAL_SERVER_ERROR,
                s.council
                    .language
                    .each(" ", |l| tr!(l, "web-export-failed")),
            ));
        }
    };
    // A standalone HTML transcript carries its own styles, which this site's CSP would block:
    // it is offered as a download rather than shown in place.
    let disposition = if format == Format::Html {
        "attachment"
    } else {
        "inline"
    };
    let filename = format!(
        "{disposition}; filename=\"meeting-{id}.{}\"",
        format.extension()
    );
    let mut resp = (
        StatusCode::OK,
        [(header::CONTENT_TYPE, format.content_type())],
        body,
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&filename) {
        resp.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(resp)
}
