//! Feeds: `/feed.atom` (recent public entries; a correction or withdrawal updates the same
//! Atom entry rather than adding one) and `/meetings.ics` (scheduled and held meetings).

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::sync::Arc;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, SecondsFormat, Utc};

use crate::archive::MeetingRecord;
use crate::tr;
use crate::web::html::escape;
use crate::web::view::{EntryView, public_view};
use crate::web::{WebError, WebState};

/// How many Atom entries the feed holds.
const FEED_LEN: usize = 50;

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// `GET /feed.atom`.
pub async fn atom(State(s): State<Arc<WebState>>) -> Result<Response, WebError> {
    let base = s.public_url.as_str().trim_end_matches('/').to_string();
    let language = s.council.language;
    // Meetings with recent activity; their full public views give each entry's latest state.
    let recent = s.archive.recent_entries(FEED_LEN as u32 * 2)?;
    let meetings: BTreeSet<_> = recent.iter().map(|e| e.meeting).collect();
    let mut items: Vec<(MeetingRecord, EntryView)> = Vec::new();
    for id in meetings {
        let Some(m) = s.archive.meeting(id)? else {
            continue;
        };
        for v in public_view(&s.archive.entries(id)?) {
            items.push((m.clone(), v));
        }
    }
    // Corrections and withdrawals are shown as updates of their original, not as entries.
    items.retain(|(_, v)| v.entry.refers_to.is_none());
    items.sort_by_key(|(_, v)| std::cmp::Reverse((v.updated(), v.entry.id)));
    items.truncate(FEED_LEN);

    let updated = items
        .first()
        .map(|(_, v)| v.updated())
        .unwrap_or_else(Utc::now);
    let name = escape(&s.council.name);
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"{}\">\n\
<id>{base}/feed.atom</id>\n<title>{}</title>\n<updated>{}</updated>\n\
<link rel=\"self\" type=\"application/atom+xml\" href=\"{}/feed.atom\"/>\n<link rel=\"alternate\" type=\"text/html\" href=\"{}/\"/>\n\
<author><name>{name}</name></author>\n<generator>Gavel</generator>\n",
        crate::web::html::lang(&s.council),
        crate::web::html::chrome_attr(language, |l| crate::web::html::feed_title(
            &s.council.name,
            l
        )),
        rfc3339(updated),
        escape(&base),
        escape(&base),
    );
    for (m, v) in &items {
        let e = &v.entry;
        let url = format!("{base}/meetings/{}#e{}", m.id, e.seq.0);
        let mut title = format!("{} #{}: ", m.title, e.seq.0);
        let mut content = v.current_text().to_string();
        if let Some(w) = &v.withdrawn {
            title.push_str(&language.each(" ", |l| tr!(l, "web-feed-withdrawn-tag")));
            title.push(' ');
            let time = w.local.format("%H:%M").to_string();
            content = language.each("\n", |l| {
                let reason = match w.reason.as_deref() {
                    Some(r) => r.to_string(),
                    None => tr!(l, "web-no-reason"),
                };
                tr!(
                    l,
                    "web-feed-withdrawn",
                    time = &time,
                    reason = reason,
                    text = v.current_text()
                )
            });
        } else if let Some(c) = v.corrections.last() {
            title.push_str(&language.each(" ", |l| tr!(l, "web-feed-corrected-tag")));
            title.push(' ');
            let time = c.local.format("%H:%M").to_string();
            content = language.each("\n", |l| {
                tr!(
                    l,
                    "web-feed-corrected",
                    text = v.current_text(),
                    time = &time,
                    original = &e.text
                )
            });
        }
        title.push_str(&v.current_text().chars().take(100).collect::<String>());
        let _ = write!(
            out,
            "<entry>\n<id>{u}</id>\n<title>{}</title>\n<link rel=\"alternate\" type=\"text/html\" href=\"{u}\"/>\n\
<published>{}</published>\n<updated>{}</updated>\n<content type=\"text\">{}</content>\n</entry>\n",
            escape(&title),
            rfc3339(e.at),
            rfc3339(v.updated()),
            escape(&content),
            u = escape(&url),
        );
    }
    out.push_str("</feed>\n");
    Ok((
        [(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")],
        out,
    )
        .into_response())
}

/// Escapes an ICS TEXT value (RFC 5545 §3.3.11).
fn ics_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Folds a content line at 75 octets (never inside a UTF-8 character) and ends it with CRLF.
fn fold(line: &str, out: &mut String) {
    let mut used = 0;
    for c in line.chars() {
        let n = c.len_utf8();
        if used + n > 75 {
            out.push_str("\r\n ");
            used = 1;
        }
        out.push(c);
        used += n;
    }
    out.push_str("\r\n");
}

fn ics_utc(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// `GET /meetings.ics`.
pub async fn ics(State(s): State<Arc<WebState>>) -> Result<Response, WebError> {
    let base = s.public_url.as_str().trim_end_matches('/').to_string();
    let host = s
        .public_url
        .host_str()
        .unwrap_or("gavel.invalid")
        .to_string();
    let mut lines: Vec<String> = vec![
        "BEGIN:VCALENDAR".into(),
        "VERSION:2.0".into(),
        "PRODID:-//Gavel//Council meetings//EN".into(),
        "CALSCALE:GREGORIAN".into(),
        "METHOD:PUBLISH".into(),
        format!(
            "X-WR-CALNAME:{}",
            ics_text(&s.council.language.each(" / ", |l| tr!(
                l,
                "web-calendar-name",
                council = &s.council.name
            )))
        ),
    ];
    for m in s.archive.meetings()? {
        let (start, end) = match (m.started_at, m.scheduled_for) {
            (Some(t), _) => (
                format!("DTSTART:{}", ics_utc(t)),
                m.ended_at.map(|e| format!("DTEND:{}", ics_utc(e))),
            ),
            // An imported meeting's published start time.
            (None, _) if m.starts_at.is_some() => (
                format!("DTSTART:{}", ics_utc(m.starts_at.unwrap_or(m.created_at))),
                None,
            ),
            (None, Some(d)) => (
                format!("DTSTART;VALUE=DATE:{}", d.format("%Y%m%d")),
                d.succ_opt()
                    .map(|n| format!("DTEND;VALUE=DATE:{}", n.format("%Y%m%d"))),
            ),
            (None, None) => continue,
        };
        let url = format!("{base}/meetings/{}", m.id);
        lines.push("BEGIN:VEVENT".into());
        lines.push(format!("UID:meeting-{}@{host}", m.id));
        lines.push(format!("DTSTAMP:{}", ics_utc(m.created_at)));
        lines.push(start);
        if let Some(end) = end {
            lines.push(end);
        }
        lines.push(format!("SUMMARY:{}", ics_text(&m.title)));
        lines.push(format!(
            "DESCRIPTION:{}",
            ics_text(&format!(
                "{}. Live commentary and transcript: {url}",
                s.council.name
            ))
        ));
        lines.push(format!("URL:{url}"));
        lines.push("STATUS:CONFIRMED".into());
        lines.push("END:VEVENT".into());
    }
    lines.push("END:VCALENDAR".into());
    let mut out = String::new();
    for l in &lines {
        fold(l, &mut out);
    }
    Ok((
        [(header::CONTENT_TYPE, "text/calendar; charset=utf-8")],
        out,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ics_text_escapes_separators_and_newlines() {
        assert_eq!(ics_text("a;b,c\\d\ne"), "a\\;b\\,c\\\\d\\ne");
    }

    #[test]
    fn long_lines_fold_at_75_octets_without_splitting_characters() {
        let line = format!("SUMMARY:{}", "é".repeat(60));
        let mut out = String::new();
        fold(&line, &mut out);
        for physical in out.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(physical.len() <= 75, "{} octets", physical.len());
        }
        assert_eq!(out.replace("\r\n ", "").trim_end(), line);
    }
}
