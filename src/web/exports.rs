//! Transcript downloads served by the web: `/meetings/{id}.md|.txt|.json` and
//! `/meetings/{id}/export?format=md|txt|json`.
//!
//! These are the web's own minimal renderings of the public view (confidential entries left
//! out, corrections applied, withdrawals marked). The full archival exports (html, ocd, popolo,
//! akn, vtt, chapters) are `crate::export`'s job; until that module is merged, asking the web
//! for one of them answers 501 and names `gavel export`.

use std::fmt::Write as _;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::SecondsFormat;
use serde::Deserialize;
use serde_json::json;

use crate::archive::MeetingRecord;
use crate::domain::MeetingId;
use crate::web::view::{EntryView, kind_label, public_view};
use crate::web::{WebError, WebState};

/// The formats the web renders itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Md,
    Txt,
    Json,
}

/// Formats `gavel export` knows that the web does not serve yet.
const CLI_ONLY: &[&str] = &["html", "ocd", "popolo", "akn", "vtt", "chapters"];

impl ExportFormat {
    pub const ALL: [ExportFormat; 3] = [ExportFormat::Md, ExportFormat::Txt, ExportFormat::Json];

    pub fn from_extension(s: &str) -> Option<ExportFormat> {
        match s.to_ascii_lowercase().as_str() {
            "md" | "markdown" => Some(ExportFormat::Md),
            "txt" | "text" => Some(ExportFormat::Txt),
            "json" => Some(ExportFormat::Json),
            _ => None,
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Md => "md",
            ExportFormat::Txt => "txt",
            ExportFormat::Json => "json",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ExportFormat::Md => "Markdown (.md)",
            ExportFormat::Txt => "Plain text (.txt)",
            ExportFormat::Json => "JSON (.json)",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Md => "text/markdown; charset=utf-8",
            ExportFormat::Txt => "text/plain; charset=utf-8",
            ExportFormat::Json => "application/json",
        }
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
    match ExportFormat::from_extension(&name) {
        Some(f) => respond(&s, id, f),
        None if CLI_ONLY.contains(&name.to_ascii_lowercase().as_str()) => Err(WebError::Status(
            StatusCode::NOT_IMPLEMENTED,
            format!(
                "The {name} export is not served by this web server yet; use `gavel export {id} --format {name}`."
            ),
        )),
        None => Err(WebError::BadRequest(format!(
            "`format` must be one of md, txt, json (got `{name}`)"
        ))),
    }
}

/// Renders meeting `id` in `format` as an HTTP response.
pub fn respond(s: &WebState, id: MeetingId, format: ExportFormat) -> Result<Response, WebError> {
    let m = s.archive.meeting(id)?.ok_or(WebError::NotFound)?;
    let views = public_view(&s.archive.entries(id)?);
    let body = match format {
        ExportFormat::Md => markdown(&s.council.name, &m, &views),
        ExportFormat::Txt => text(&s.council.name, &m, &views),
        ExportFormat::Json => json_export(s, &m, &views),
    };
    let disposition = format!("inline; filename=\"meeting-{id}.{}\"", format.extension());
    let mut resp = (
        StatusCode::OK,
        [(header::CONTENT_TYPE, format.content_type())],
        body,
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        resp.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(resp)
}

fn md_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|' | '~'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn when(m: &MeetingRecord) -> String {
    match m.started_at {
        Some(t) => t.to_rfc3339_opts(SecondsFormat::Secs, true),
        None => m.scheduled_for.map(|d| d.to_string()).unwrap_or_default(),
    }
}

fn markdown(council: &str, m: &MeetingRecord, views: &[EntryView]) -> String {
    let mut out = format!(
        "# {}\n\n{} · {}\n\n",
        md_escape(&m.title),
        md_escape(council),
        when(m)
    );
    for v in views {
        let e = &v.entry;
        let mut line = format!("- **#{}** {} — ", e.seq.0, e.hhmm());
        if let Some(w) = &v.withdrawn {
            let _ = write!(
                line,
                "~~{}~~ *(withdrawn {}: {})*",
                md_escape(v.current_text()),
                w.local.format("%H:%M"),
                md_escape(w.reason.as_deref().unwrap_or("no reason given"))
            );
        } else {
            line.push_str(&md_escape(v.current_text()));
        }
        for c in &v.corrections {
            let _ = write!(
                line,
                " *(corrected {} in #{})*",
                c.local.format("%H:%M"),
                c.seq.0
            );
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

fn text(council: &str, m: &MeetingRecord, views: &[EntryView]) -> String {
    let mut out = format!("{}\n{council} · {}\n\n", m.title, when(m));
    for v in views {
        let e = &v.entry;
        let _ = write!(out, "#{} {} · {}", e.seq.0, e.hhmm(), v.current_text());
        if let Some(c) = v.corrections.last() {
            let _ = write!(
                out,
                " (corrected {}; originally: {})",
                c.local.format("%H:%M"),
                e.text
            );
        }
        if let Some(w) = &v.withdrawn {
            let _ = write!(
                out,
                " [WITHDRAWN {}: {}]",
                w.local.format("%H:%M"),
                w.reason.as_deref().unwrap_or("no reason given")
            );
        }
        out.push('\n');
    }
    out
}

fn json_export(s: &WebState, m: &MeetingRecord, views: &[EntryView]) -> String {
    let base = s.public_url.as_str().trim_end_matches('/');
    let entries: Vec<serde_json::Value> = views
        .iter()
        .map(|v| {
            let e = &v.entry;
            json!({
                "seq": e.seq.0,
                "kind": e.kind.as_str(),
                "label": kind_label(e.kind),
                "at": e.local_time().to_rfc3339_opts(SecondsFormat::Millis, false),
                "text": v.current_text(),
                "original_text": e.text,
                "fields": e.fields,
                "refers_to": e.refers_to.map(|r| r.0),
                "author": e.author.display_name,
                "hash": e.hash,
                "url": format!("{base}/meetings/{}#e{}", m.id, e.seq.0),
                "corrections": v.corrections.iter().map(|c| json!({
                    "seq": c.seq.0,
                    "at": c.local.to_rfc3339_opts(SecondsFormat::Millis, false),
                    "text": c.text,
                })).collect::<Vec<_>>(),
                "withdrawn": v.withdrawn.as_ref().map(|w| json!({
                    "seq": w.seq.0,
                    "at": w.local.to_rfc3339_opts(SecondsFormat::Millis, false),
                    "reason": w.reason,
                })),
            })
        })
        .collect();
    let doc = json!({
        "council": s.council.name,
        "meeting": m,
        "entries": entries,
    });
    serde_json::to_string_pretty(&doc).unwrap_or_else(|_| "{}".into())
}
