//! A faithful fake of councils' ModernGov web service (`mgWebService.asmx`), for tests: a real
//! council's service cannot be called from here. Axum on `127.0.0.1:0`.
//!
//! Each council is a path prefix, `http://127.0.0.1:<port>/<council>/`, serving the XML in
//! `tests/fixtures/moderngov/<council>/` (see the README there):
//! - `council-a`, `council-b`: `GetCommittees`, `GetMeeting?lMeetingId=` (a meeting without a
//!   fixture gets ModernGov's HTML error page with status 200), `GetMeetings?lCommitteeId=`
//!   (the nested shape) and `GetAllMeetingsByDate?lCommitteeId=` (the flat shape; `-1` means
//!   all). Both listings filter by `sFromDate`/`sToDate` only when they are `dd/mm/yyyy`: any
//!   other form is ignored, as the real service does, and the answer then holds every meeting
//!   ever held (thousands of rows). `council-a` also answers `GetCouncillorsByWard`.
//! - `firewalled`: a web application firewall that answers 403 to every non-browser client.
//! - `disabled`: a site whose service has its HTTP GET protocol switched off (ASP.NET's 500).
//!
//! Like the firewalls in front of many councils' sites, every council answers 403 to a request
//! with no User-Agent or a library's default one (`reqwest/…`, `python-requests/…`, `curl/…`).
//! Query keys are case-insensitive, as ASP.NET's are. Every request is recorded.
#![allow(dead_code)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::NaiveDate;

/// Rows of history the service returns when it ignores a date it cannot read.
pub const HISTORY_ROWS: usize = 3000;

/// User agents that firewalls commonly block: libraries' defaults.
const LIBRARY_AGENTS: [&str; 8] = [
    "reqwest",
    "python-requests",
    "python-urllib",
    "curl/",
    "wget/",
    "go-http-client",
    "okhttp",
    "libwww-perl",
];

/// One request as the fake saw it.
#[derive(Debug, Clone)]
pub struct SeenRequest {
    pub council: String,
    pub operation: String,
    pub query: HashMap<String, String>,
    pub user_agent: Option<String>,
    pub status: u16,
}

#[derive(Default)]
struct Inner {
    requests: Vec<SeenRequest>,
    /// Meetings whose `GetMeeting` answers another date than the fixture's, by meeting id.
    moved: HashMap<String, NaiveDate>,
}

pub struct FakeModernGov {
    pub addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
}

impl FakeModernGov {
    pub async fn start() -> FakeModernGov {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind fake moderngov");
        let addr = listener.local_addr().expect("addr");
        let inner = Arc::new(Mutex::new(Inner::default()));
        let app = Router::new()
            .route("/{council}/mgWebService.asmx/{operation}", get(service))
            .with_state(inner.clone());
        tokio::spawn(async move {
            axum::serve(listener, app).await.ok();
        });
        FakeModernGov { addr, inner }
    }

    /// The site address of one council, e.g. `http://127.0.0.1:4321/council-a`.
    pub fn site(&self, council: &str) -> String {
        format!("http://{}/{council}", self.addr)
    }

    /// The public page of a meeting, as a clerk would paste it.
    pub fn meeting_page(&self, council: &str, committee: u32, meeting: u32) -> String {
        format!(
            "{}/ieListDocuments.aspx?CId={committee}&MId={meeting}",
            self.site(council)
        )
    }

    /// From now on `GetMeeting` answers `date` as meeting `meeting`'s date, as when a council
    /// reschedules it (the listings keep the fixture's date). Lets a test start an imported
    /// meeting "today", whatever day it runs.
    pub fn reschedule(&self, meeting: u32, date: NaiveDate) {
        self.inner
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .moved
            .insert(meeting.to_string(), date);
    }

    pub fn requests(&self) -> Vec<SeenRequest> {
        self.inner
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .requests
            .clone()
    }
}

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/moderngov")
}

fn fixture(path: &str) -> Option<String> {
    std::fs::read_to_string(fixtures().join(path)).ok()
}

async fn service(
    State(inner): State<Arc<Mutex<Inner>>>,
    Path((council, operation)): Path<(String, String)>,
    Query(raw): Query<Vec<(String, String)>>,
    headers: HeaderMap,
) -> Response {
    let query: HashMap<String, String> = raw
        .into_iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v))
        .collect();
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let mut inner = inner.lock().unwrap_or_else(|p| p.into_inner());
    let response = answer(
        &council,
        &operation,
        &query,
        user_agent.as_deref(),
        &inner.moved,
    );
    inner.requests.push(SeenRequest {
        council,
        operation,
        query,
        user_agent,
        status: response.status().as_u16(),
    });
    response
}

fn answer(
    council: &str,
    operation: &str,
    query: &HashMap<String, String>,
    user_agent: Option<&str>,
    moved: &HashMap<String, NaiveDate>,
) -> Response {
    let agent = user_agent.unwrap_or("").to_ascii_lowercase();
    let library = agent.is_empty() || LIBRARY_AGENTS.iter().any(|l| agent.contains(l));
    let browser = agent.starts_with("mozilla/");
    if library || (council == "firewalled" && !browser) {
        return html(
            StatusCode::FORBIDDEN,
            fixture("firewall-403.html").unwrap_or_default(),
        );
    }
    match council {
        "disabled" => {
            let text = fixture("disabled.txt")
                .unwrap_or_default()
                .replace("/GetMeeting'", &format!("/{operation}'"));
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                text,
            )
                .into_response();
        }
        "council-a" | "council-b" => {}
        _ => return StatusCode::NOT_FOUND.into_response(),
    }
    let arg = |k: &str| query.get(&k.to_ascii_lowercase()).map(String::as_str);
    match operation.to_ascii_lowercase().as_str() {
        "getcommittees" => xml_or_error(fixture(&format!("{council}/GetCommittees.xml"))),
        "getcouncillorsbyward" => {
            xml_or_error(fixture(&format!("{council}/GetCouncillorsByWard.xml")))
        }
        "getmeeting" => {
            let id = arg("lMeetingId").unwrap_or("");
            let meeting = fixture(&format!("{council}/GetMeeting-{id}.xml"));
            xml_or_error(match (meeting, moved.get(id)) {
                (Some(m), Some(date)) => Some(m.replace(
                    &between(&m, "<meetingdate>", "</meetingdate>"),
                    &format!("<meetingdate>{}</meetingdate>", date.format("%d/%m/%Y")),
                )),
                (m, _) => m,
            })
        }
        "getmeetings" => {
            let committee = arg("lCommitteeId").unwrap_or("");
            let listing = fixture(&format!("{council}/GetMeetings-{committee}.xml")).unwrap_or_else(|| {
                "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<getmeetings>\n</getmeetings>\n".into()
            });
            xml(filter_listing(&listing, arg("sFromDate"), arg("sToDate"), None))
        }
        "getallmeetingsbydate" => {
            let Some(listing) = fixture(&format!("{council}/GetAllMeetingsByDate.xml")) else {
                return error_page();
            };
            let committee = arg("lCommitteeId").filter(|c| *c != "-1");
            xml(filter_listing(&listing, arg("sFromDate"), arg("sToDate"), committee))
        }
        _ => (
            StatusCode::INTERNAL_SERVER_ERROR,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            format!("System.InvalidOperationException: {operation} Web Service method name is not valid."),
        )
            .into_response(),
    }
}

fn xml(body: String) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
        body,
    )
        .into_response()
}

fn html(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

/// ModernGov's answer for a meeting or listing it does not have: a web page, status 200.
fn error_page() -> Response {
    html(
        StatusCode::OK,
        fixture("error-page.html").unwrap_or_default(),
    )
}

fn xml_or_error(body: Option<String>) -> Response {
    match body {
        Some(b) => xml(b),
        None => error_page(),
    }
}

fn uk_date(s: Option<&str>) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s?, "%d/%m/%Y").ok()
}

/// The listing with only the `<meeting>` rows in range (and of the committee, if given). When
/// either date is not `dd/mm/yyyy` the range is ignored, as the real service ignores it, and
/// every meeting ever held comes back.
fn filter_listing(
    listing: &str,
    from: Option<&str>,
    to: Option<&str>,
    committee: Option<&str>,
) -> String {
    let (Some(first), Some(last)) = (listing.find("<meeting>"), listing.rfind("</meeting>")) else {
        return listing.to_string();
    };
    let last = last + "</meeting>".len();
    let range = match (uk_date(from), uk_date(to)) {
        (Some(f), Some(t)) => Some(f..=t),
        _ => None,
    };
    let mut rows: Vec<String> = Vec::new();
    if range.is_none() {
        rows.extend(history(committee.unwrap_or("130")));
    }
    for block in listing[first..last].split_inclusive("</meeting>") {
        let block = block.trim();
        let field = |name: &str| {
            let open = format!("<{name}>");
            let start = block.find(&open)? + open.len();
            let end = block[start..].find(&format!("</{name}>"))? + start;
            Some(block[start..end].trim().to_string())
        };
        let in_range = match (&range, uk_date(field("meetingdate").as_deref())) {
            (None, _) => true,
            (Some(r), Some(d)) => r.contains(&d),
            (Some(_), None) => false,
        };
        let of_committee = match committee {
            None => true,
            Some(c) => field("committeeid").is_none_or(|id| id == c),
        };
        if in_range && of_committee {
            rows.push(block.to_string());
        }
    }
    let head = listing[..first].replace(
        &between(listing, "<meetingscount>", "</meetingscount>"),
        &rows.len().to_string(),
    );
    format!("{head}{}\n{}", rows.join("\n"), &listing[last..])
}

fn between(s: &str, open: &str, close: &str) -> String {
    s.find(open)
        .and_then(|a| {
            let a = a + open.len();
            s[a..].find(close).map(|b| s[a..a + b].to_string())
        })
        .map(|inner| format!("{open}{inner}{close}"))
        .unwrap_or_else(|| "\u{0}".into())
}

/// Years of past meetings, one a fortnight.
fn history(committee: &str) -> Vec<String> {
    let start = NaiveDate::from_ymd_opt(2003, 1, 8).expect("date");
    (0..HISTORY_ROWS)
        .map(|i| {
            let date = start + chrono::Duration::days(14 * (i as i64 % 500));
            format!(
                "<meeting>\n      <meetingid>{}</meetingid>\n      <meetingdate>{}</meetingdate>\n      <meetingtime>18:30</meetingtime>\n      <meetingstatus>Confirmed</meetingstatus>\n      <committeeid>{committee}</committeeid>\n    </meeting>",
                100_000 + i,
                date.format("%d/%m/%Y"),
            )
        })
        .collect()
}
