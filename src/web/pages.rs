//! Server-rendered pages: the home page (current, upcoming and recent meetings, open
//! consultations), a meeting's transcript and search results. They work without JavaScript;
//! `/static/live.js` only adds live updates to the transcript.

use std::fmt::Write as _;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use chrono::{SecondsFormat, Utc};
use serde::Deserialize;
use serde_json::json;

use crate::archive::{HIT_END, HIT_START, MeetingRecord};
use crate::consultations::consultations;
use crate::domain::MeetingId;
use crate::export::Format;
use crate::i18n::{Lang, Language};
use crate::render::{long_date, weekday_date};
use crate::tr;
use crate::web::exports;
use crate::web::html::{Page, chrome, chrome_attr, chrome_html, escape, json_for_script, layout};
use crate::web::view::{entry_html, public_view, time_html};
use crate::web::{WebError, WebState};

fn meeting_tz(s: &WebState, m: &MeetingRecord) -> chrono_tz::Tz {
    m.timezone.parse().unwrap_or(s.council.timezone)
}

/// `Wednesday 25 November 2026, 18:00` style date (with time when the meeting has started), in
/// the council's language(s).
fn meeting_when(s: &WebState, m: &MeetingRecord) -> String {
    let tz = meeting_tz(s, m);
    let language = s.council.language;
    match (m.started_at, m.scheduled_for) {
        (Some(t), _) => {
            let local = t.with_timezone(&tz);
            let time = local.format("%H:%M").to_string();
            let text = chrome(language, |l| {
                tr!(
                    l,
                    "web-date-time",
                    date = weekday_date(local.date_naive(), l),
                    time = &time
                )
            });
            format!(
                "<time datetime=\"{}\">{text}</time>",
                local.to_rfc3339_opts(SecondsFormat::Secs, false),
            )
        }
        (None, Some(d)) => format!(
            "<time datetime=\"{d}\">{}</time>",
            chrome(language, |l| weekday_date(d, l))
        ),
        (None, None) => chrome(language, |l| tr!(l, "web-date-to-be-announced")),
    }
}

fn meeting_status(m: &MeetingRecord, l: Lang) -> String {
    match (m.started_at, m.ended_at) {
        (Some(_), None) => tr!(l, "web-status-live"),
        (Some(_), Some(_)) => tr!(l, "web-status-ended"),
        (None, _) => tr!(l, "web-status-scheduled"),
    }
}

fn meeting_item(s: &WebState, m: &MeetingRecord) -> String {
    format!(
        "<li><a href=\"/meetings/{}\">{}</a> — {} <span class=\"status\">({})</span></li>\n",
        m.id,
        escape(&m.title),
        meeting_when(s, m),
        chrome(s.council.language, |l| format!(
            "{}, {}",
            meeting_status(m, l),
            tr!(l, "web-entry-count", count = m.entry_count)
        )),
    )
}

/// `<h2 id="{id}">` with a heading in the council's language(s).
fn h2(id: &str, language: Language, f: impl Fn(Lang) -> String) -> String {
    format!("<h2 id=\"{id}\">{}</h2>\n", chrome(language, f))
}

/// `GET /`.
pub async fn index(State(s): State<Arc<WebState>>) -> Result<Response, WebError> {
    let meetings = s.archive.meetings()?;
    let today = Utc::now().with_timezone(&s.council.timezone).date_naive();
    let language = s.council.language;
    let c = |f: fn(Lang) -> String| chrome(language, f);
    let mut body = format!(
        "<h1>{}</h1>\n",
        chrome(language, |l| tr!(
            l,
            "web-index-heading",
            council = &s.council.name
        ))
    );

    let live: Vec<&MeetingRecord> = meetings
        .iter()
        .filter(|m| m.started_at.is_some() && m.ended_at.is_none())
        .collect();
    body.push_str("<section aria-labelledby=\"now\">\n");
    body.push_str(&h2("now", language, |l| tr!(l, "web-now-sitting")));
    if live.is_empty() {
        let _ = writeln!(body, "<p>{}</p>", c(|l| tr!(l, "web-none-sitting")));
    } else {
        body.push_str("<ul class=\"meetings\">\n");
        for m in &live {
            body.push_str(&meeting_item(&s, m));
        }
        body.push_str("</ul>\n");
    }
    body.push_str("</section>\n");

    let mut upcoming: Vec<&MeetingRecord> = meetings
        .iter()
        .filter(|m| m.started_at.is_none() && m.scheduled_for.is_none_or(|d| d >= today))
        .collect();
    upcoming.sort_by_key(|m| (m.scheduled_for, m.id));
    if !upcoming.is_empty() {
        body.push_str("<section aria-labelledby=\"upcoming\">\n");
        body.push_str(&h2("upcoming", language, |l| tr!(l, "web-coming-up")));
        body.push_str("<ul class=\"meetings\">\n");
        for m in upcoming.iter().take(20) {
            body.push_str(&meeting_item(&s, m));
        }
        body.push_str("</ul>\n</section>\n");
    }

    body.push_str("<section aria-labelledby=\"recent\">\n");
    body.push_str(&h2("recent", language, |l| tr!(l, "web-recent")));
    let recent: Vec<&MeetingRecord> = meetings
        .iter()
        .rev()
        .filter(|m| m.ended_at.is_some())
        .take(20)
        .collect();
    if recent.is_empty() {
        let _ = writeln!(body, "<p>{}</p>", c(|l| tr!(l, "web-none-held")));
    } else {
        body.push_str("<ul class=\"meetings\">\n");
        for m in recent {
            body.push_str(&meeting_item(&s, m));
        }
        body.push_str("</ul>\n");
    }
    body.push_str("</section>\n");

    let open: Vec<_> = consultations(&s.archive)?
        .into_iter()
        .filter(|c| !c.withdrawn && c.closes >= today)
        .collect();
    body.push_str("<section aria-labelledby=\"consultations\">\n");
    body.push_str(&h2("consultations", language, |l| {
        tr!(l, "web-open-consultations")
    }));
    if open.is_empty() {
        let _ = writeln!(
            body,
            "<p>{}</p>",
            c(|l| tr!(l, "web-no-open-consultations"))
        );
    } else {
        body.push_str("<ul class=\"consultations\">\n");
        for c in open {
            let title = escape(&c.title);
            let link = match url::Url::parse(&c.url) {
                Ok(u) if matches!(u.scheme(), "http" | "https") => {
                    format!(
                        "<a href=\"{}\" rel=\"nofollow noopener\">{title}</a>",
                        escape(u.as_str())
                    )
                }
                _ => title,
            };
            let href = format!("/meetings/{}#e{}", c.meeting, c.entry.0);
            let item = chrome_html(language, |l| {
                let closes = format!(
                    "<time datetime=\"{}\">{}</time>",
                    c.closes,
                    escape(&long_date(c.closes, l))
                );
                tr!(
                    l,
                    "web-consultation-item",
                    link = &link,
                    closes = closes,
                    href = &href,
                    meeting = c.meeting.to_string(),
                    entry = c.entry.0
                )
            });
            let _ = writeln!(body, "<li>{item}</li>");
        }
        body.push_str("</ul>\n");
    }
    body.push_str("</section>\n");

    let title = chrome_attr(language, |l| tr!(l, "web-nav-meetings"));
    let page = Page {
        title: &title,
        head_extra: String::new(),
        body,
    };
    Ok(Html(layout(&s.council, page)).into_response())
}

/// `GET /meetings/{id}` and, by extension, `/meetings/{id}.md|.txt|.json`.
pub async fn meeting(
    State(s): State<Arc<WebState>>,
    Path(raw): Path<String>,
) -> Result<Response, WebError> {
    let (id_part, ext) = match raw.split_once('.') {
        Some((id, ext)) => (id, Some(ext)),
        None => (raw.as_str(), None),
    };
    let id: MeetingId = id_part.parse().map_err(|_| WebError::NotFound)?;
    if let Some(ext) = ext {
        let format = exports::from_extension(ext).ok_or(WebError::NotFound)?;
        return exports::respond(&s, id, format);
    }
    let m = s.archive.meeting(id)?.ok_or(WebError::NotFound)?;
    let entries = s.archive.entries(id)?;
    let last_seq = entries.last().map(|e| e.seq.0).unwrap_or(0);
    let views = public_view(&entries);
    // Until it ends, a meeting's page follows it live (a scheduled one starts in place).
    let is_live = m.ended_at.is_none();

    let language = s.council.language;
    let mut body = format!("<h1>{}</h1>\n", escape(&m.title));
    let _ = writeln!(
        body,
        "<p class=\"meeting-meta\">{} · <strong>{}</strong></p>",
        meeting_when(&s, &m),
        chrome(language, |l| meeting_status(&m, l))
    );
    if is_live {
        // What residents arriving mid-meeting need first; live.js keeps it current.
        let now = crate::desk::public_states(&entries).pop().flatten();
        let now_html = crate::web::view::now_html(now.as_ref(), language);
        let _ = writeln!(
            body,
            "<section id=\"now\" class=\"now\" aria-labelledby=\"now-heading\">\n{}<div id=\"now-body\" role=\"status\" data-now=\"{}\">{now_html}</div>\n</section>",
            h2("now-heading", language, |l| tr!(l, "web-now-heading")),
            escape(&now_html),
        );
    }

    body.push_str("<section aria-labelledby=\"transcript-heading\">\n");
    body.push_str(&h2("transcript-heading", language, |l| {
        tr!(l, "web-transcript")
    }));
    if is_live {
        let started = m.started_at.is_some();
        let state = chrome(language, |l| {
            let state = if started {
                tr!(l, "web-meeting-live")
            } else {
                tr!(l, "web-meeting-not-started")
            };
            format!("{state} {}", tr!(l, "web-live-reload"))
        });
        let _ = writeln!(
            body,
            "<p id=\"live-status\" class=\"live-status\" role=\"status\">{state}</p>"
        );
    }
    if views.is_empty() {
        let _ = writeln!(
            body,
            "<p id=\"empty-note\">{}</p>",
            chrome(language, |l| tr!(l, "web-nothing-yet"))
        );
    }
    let _ = writeln!(
        body,
        "<ol class=\"transcript\" id=\"transcript\" data-last-seq=\"{last_seq}\"{}>",
        if is_live {
            format!(
                " data-live-url=\"/meetings/{id}/live\"{}",
                live_status_texts(language)
            )
        } else {
            String::new()
        }
    );
    for v in &views {
        body.push_str(&entry_html(v, language));
    }
    body.push_str("</ol>\n");
    if is_live {
        // Filled by live.js with one short line per new entry, for screen readers.
        let _ = writeln!(
            body,
            "<div id=\"announcer\" class=\"visually-hidden\" role=\"log\" aria-live=\"polite\" aria-label=\"{}\"></div>",
            chrome_attr(language, |l| tr!(l, "web-new-entries"))
        );
    }
    body.push_str("</section>\n");
    // The downloads follow the transcript: the meeting comes first.
    let _ = writeln!(
        body,
        "<nav aria-label=\"{}\" class=\"downloads\">",
        chrome_attr(language, |l| tr!(l, "web-downloads"))
    );
    body.push_str(&h2("downloads", language, |l| {
        tr!(l, "web-download-heading")
    }));
    body.push_str("<ul>\n");
    let has_webcast = entries
        .iter()
        .any(|e| e.kind() == crate::domain::EntryKind::Webcast && !e.confidential);
    for f in Format::ALL {
        if f.needs_webcast() && !has_webcast {
            continue;
        }
        let href = match exports::from_extension(f.extension()) {
            Some(_) => format!("/meetings/{id}.{}", f.extension()),
            None => format!("/meetings/{id}/export?format={}", f.as_str()),
        };
        let _ = writeln!(
            body,
            "<li><a href=\"{href}\">{}</a></li>",
            chrome(language, |l| exports::label(f, l))
        );
    }
    body.push_str("</ul>\n</nav>\n");

    let head_extra = if m.started_at.is_some() {
        json_ld(&s, &m, &views)
    } else {
        String::new()
    };
    let title = escape(&m.title);
    let page = Page {
        title: &title,
        head_extra,
        body,
    };
    Ok(Html(layout(&s.council, page)).into_response())
}

/// The `data-status-*` attributes `live.js` shows while it follows the meeting.
fn live_status_texts(language: Language) -> String {
    let attr = |name: &str, f: fn(Lang) -> String| {
        format!(" data-status-{name}=\"{}\"", chrome_attr(language, f))
    };
    [
        attr("connecting", |l| tr!(l, "web-js-connecting")),
        attr("live", |l| tr!(l, "web-js-live")),
        attr("lost", |l| tr!(l, "web-js-lost")),
        attr("ended", |l| tr!(l, "web-js-ended")),
    ]
    .concat()
}

/// schema.org `LiveBlogPosting` for search engines; not executed, so `script-src 'self'` holds.
fn json_ld(s: &WebState, m: &MeetingRecord, views: &[crate::web::view::EntryView]) -> String {
    let base = s.public_url.as_str().trim_end_matches('/');
    let url = format!("{base}/meetings/{}", m.id);
    let updates: Vec<serde_json::Value> = views
        .iter()
        .rev()
        .filter(|v| v.withdrawn.is_none())
        .take(50)
        .map(|v| {
            json!({
                "@type": "BlogPosting",
                "headline": v.current_text().chars().take(110).collect::<String>(),
                "articleBody": v.current_text(),
                "datePublished": v.entry.local_time().to_rfc3339_opts(SecondsFormat::Secs, false),
                "dateModified": v.updated().to_rfc3339_opts(SecondsFormat::Secs, true),
                "url": format!("{url}#e{}", v.entry.seq.0),
            })
        })
        .collect();
    let mut ld = json!({
        "@context": "https://schema.org",
        "@type": "LiveBlogPosting",
        "headline": m.title,
        "url": url,
        "publisher": {"@type": "GovernmentOrganization", "name": s.council.name},
        "liveBlogUpdate": updates,
    });
    if let Some(t) = m.started_at {
        ld["coverageStartTime"] = json!(t.to_rfc3339_opts(SecondsFormat::Secs, true));
    }
    if let Some(t) = m.ended_at {
        ld["coverageEndTime"] = json!(t.to_rfc3339_opts(SecondsFormat::Secs, true));
    }
    format!(
        "<script type=\"application/ld+json\">{}</script>\n",
        json_for_script(&ld)
    )
}

#[derive(Debug, Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
}

/// Escapes a search snippet and turns the archive's hit markers into `<mark>`.
pub fn snippet_html(snippet: &str) -> String {
    let mut out = String::new();
    let mut open = false;
    let mut chunk = String::new();
    for c in snippet.chars() {
        if c == HIT_START || c == HIT_END {
            out.push_str(&escape(&chunk));
            chunk.clear();
            if c == HIT_START && !open {
                out.push_str("<mark>");
                open = true;
            } else if c == HIT_END && open {
                out.push_str("</mark>");
                open = false;
            }
        } else {
            chunk.push(c);
        }
    }
    out.push_str(&escape(&chunk));
    if open {
        out.push_str("</mark>");
    }
    out
}

/// `GET /search?q=`.
pub async fn search(
    State(s): State<Arc<WebState>>,
    Query(q): Query<SearchQuery>,
) -> Result<Response, WebError> {
    let query = q.q.trim();
    let language = s.council.language;
    let c = |f: fn(Lang) -> String| chrome(language, f);
    let mut body = format!("<h1>{}</h1>\n", c(|l| tr!(l, "web-search-heading")));
    let _ = writeln!(
        body,
        "<form class=\"search\" action=\"/search\" method=\"get\" role=\"search\">\n\
<label for=\"q\">{}</label>\n<input id=\"q\" name=\"q\" type=\"search\" value=\"{}\">\n\
<button type=\"submit\">{}</button>\n</form>",
        c(|l| tr!(l, "web-search-label")),
        escape(query),
        c(|l| tr!(l, "web-search-button")),
    );
    if !query.is_empty() {
        let hits = s.archive.search(query, 100)?;
        let count = hits.len();
        body.push_str(&h2("results", language, |l| {
            tr!(l, "web-search-results", count = count, query = query)
        }));
        if hits.is_empty() {
            let _ = writeln!(body, "<p>{}</p>", c(|l| tr!(l, "web-search-none")));
        } else {
            body.push_str("<ol class=\"results\" aria-labelledby=\"results\">\n");
            for h in hits {
                let tz: chrono_tz::Tz = h.timezone.parse().unwrap_or(s.council.timezone);
                let local = h.at.with_timezone(&tz);
                let _ = writeln!(
                    body,
                    "<li><p><a href=\"/meetings/{m}#e{n}\">{hit}</a> · {date} {time}</p>\n<p class=\"snippet\">{snip}</p></li>",
                    m = h.meeting,
                    n = h.seq.0,
                    hit = chrome(language, |l| tr!(
                        l,
                        "web-search-hit",
                        title = &h.meeting_title,
                        entry = h.seq.0
                    )),
                    date = chrome(language, |l| long_date(local.date_naive(), l)),
                    time = time_html(&local),
                    snip = snippet_html(&h.snippet),
                );
            }
            body.push_str("</ol>\n");
        }
    }
    let title = if query.is_empty() {
        chrome_attr(language, |l| tr!(l, "web-search-title"))
    } else {
        chrome_attr(language, |l| {
            tr!(l, "web-search-title-query", query = query)
        })
    };
    let page = Page {
        title: &title,
        head_extra: String::new(),
        body,
    };
    Ok((
        [(header::CACHE_CONTROL, "no-store")],
        Html(layout(&s.council, page)),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_mark_hits_and_escape_everything_else() {
        let s = format!("a <b> {HIT_START}planning{HIT_END} & more");
        assert_eq!(
            snippet_html(&s),
            "a &lt;b&gt; <mark>planning</mark> &amp; more"
        );
    }
}
