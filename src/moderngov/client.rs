//! The HTTP side: GETs to `<site>/mgWebService.asmx/<operation>` with an honest User-Agent,
//! and each way the service fails told apart before any XML is read.

use std::collections::HashMap;
use std::time::Duration;

use chrono::NaiveDate;
use chrono_tz::Tz;
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, CONTENT_TYPE};

use super::xml::{self, Element};
use super::{Committee, ImportedMeeting, MeetingSummary, ModernGovError, Site, parse, text};
use crate::roster::Roster;

/// How long one request may take: a council's service can be slow, never this slow.
const TIMEOUT: Duration = Duration::from_secs(30);

/// `lCommitteeId` for every committee.
const ALL_COMMITTEES: &str = "-1";

/// What Gavel calls itself to a council's site: its name, version and where to read about it,
/// so a web team can recognise it and allow it through a firewall.
pub fn user_agent() -> String {
    format!(
        "Gavel/{} (+https://github.com/gavel; live council-meeting commentary, reads published agendas)",
        env!("CARGO_PKG_VERSION")
    )
}

/// Which meetings [`Client::list_meetings`] lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetingFilter {
    /// A committee's title as the council writes it (case and spacing aside); `None` for all.
    pub committee: Option<String>,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// A client for one council's `mgWebService.asmx`.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    site: Site,
    timezone: Tz,
}

impl Client {
    /// `timezone` is the council's (`[council] timezone`): the service's times carry none.
    pub fn new(site: Site, timezone: Tz) -> Result<Client, ModernGovError> {
        let http = reqwest::Client::builder()
            .user_agent(user_agent())
            .timeout(TIMEOUT)
            .build()
            .map_err(|source| ModernGovError::Network {
                url: site.as_url().clone(),
                source,
            })?;
        Ok(Client {
            http,
            site,
            timezone,
        })
    }

    pub fn site(&self) -> &Site {
        &self.site
    }

    /// One meeting and its agenda (`GetMeeting`).
    pub async fn get_meeting(&self, meeting_id: u32) -> Result<ImportedMeeting, ModernGovError> {
        let root = self
            .fetch("GetMeeting", &[("lMeetingId", meeting_id.to_string())])
            .await?;
        parse::meeting(&root, &self.site, self.timezone, meeting_id)
    }

    /// Every committee the site knows, expired ones included (`GetCommittees`).
    pub async fn committees(&self) -> Result<Vec<Committee>, ModernGovError> {
        let root = self.fetch("GetCommittees", &[]).await?;
        parse::committees(&root)
    }

    /// The council's councillors by ward, with their party (`GetCouncillorsByWard`), as a
    /// roster for recorded votes.
    pub async fn councillors(&self) -> Result<Roster, ModernGovError> {
        let root = self.fetch("GetCouncillorsByWard", &[]).await?;
        let councillors = parse::councillors(&root)?;
        Roster::new(councillors).map_err(|e| ModernGovError::BadRoster {
            site: self.site.to_string(),
            problem: e.to_string(),
        })
    }

    /// Meetings between two dates (inclusive), of one committee or of all, in date order.
    pub async fn list_meetings(
        &self,
        filter: &MeetingFilter,
    ) -> Result<Vec<MeetingSummary>, ModernGovError> {
        if filter.from > filter.to {
            return Err(ModernGovError::BadRange {
                from: filter.from,
                to: filter.to,
            });
        }
        let committees = self.committees().await?;
        let (operation, committee_id) = match &filter.committee {
            Some(name) => (
                "GetMeetings",
                find_committee(&committees, name, &self.site)?
                    .id
                    .to_string(),
            ),
            None => ("GetAllMeetingsByDate", ALL_COMMITTEES.to_string()),
        };
        // dd/mm/yyyy: the service ignores ISO dates without a word and lists every meeting.
        let mut query = vec![
            ("lCommitteeId", committee_id),
            ("sFromDate", filter.from.format("%d/%m/%Y").to_string()),
            ("sToDate", filter.to.format("%d/%m/%Y").to_string()),
        ];
        if operation == "GetAllMeetingsByDate" {
            query.push(("bIsAscendingDateOrder", "true".into()));
        }
        let root = self.fetch(operation, &query).await?;
        let mut rows = parse::meeting_rows(&root, &self.site, operation)?;
        let names: HashMap<u32, &str> = committees
            .iter()
            .map(|c| (c.id, c.title.as_str()))
            .collect();
        rows.retain(|r| (filter.from..=filter.to).contains(&r.date));
        for row in rows.iter_mut().filter(|r| r.committee.is_empty()) {
            if let Some(name) = row.committee_id.and_then(|id| names.get(&id)) {
                row.committee = name.to_string();
            }
        }
        rows.sort_by_key(|r| (r.date, r.time, r.moderngov_id));
        rows.dedup_by_key(|r| r.moderngov_id);
        Ok(rows)
    }

    async fn fetch(
        &self,
        operation: &str,
        query: &[(&str, String)],
    ) -> Result<Element, ModernGovError> {
        let url = self.site.service_url(operation, query);
        let network = |source| ModernGovError::Network {
            url: url.clone(),
            source,
        };
        let response = self
            .http
            .get(url.clone())
            .header(ACCEPT, "text/xml, application/xml;q=0.9, */*;q=0.1")
            .send()
            .await
            .map_err(network)?;
        let status = response.status();
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        let body = response.text().await.map_err(network)?;
        tracing::debug!(%url, status = status.as_u16(), bytes = body.len(), "moderngov answer");
        self.refuse_failures(operation, &url, status, &content_type, &body)?;
        xml::parse(&body).map_err(|detail| ModernGovError::Xml {
            operation: operation.into(),
            detail,
        })
    }

    /// Every answer that is not the service's XML, named for what it is.
    fn refuse_failures(
        &self,
        operation: &str,
        url: &url::Url,
        status: StatusCode,
        content_type: &str,
        body: &str,
    ) -> Result<(), ModernGovError> {
        let site = self.site.to_string();
        match status {
            StatusCode::FORBIDDEN => {
                return Err(ModernGovError::Forbidden {
                    site,
                    user_agent: user_agent(),
                });
            }
            StatusCode::NOT_FOUND => {
                return Err(ModernGovError::ServiceDisabled {
                    site,
                    detail: "its mgWebService.asmx answers 404 Not Found; if the site address is right, the service has been removed".into(),
                });
            }
            s if s.is_server_error() && body.contains("Request format is unrecognized") => {
                return Err(ModernGovError::ServiceDisabled {
                    site,
                    detail: "it refuses the service's HTTP GET requests".into(),
                });
            }
            s if !s.is_success() => {
                return Err(ModernGovError::Status {
                    url: url.clone(),
                    status: s.as_u16(),
                });
            }
            _ => {}
        }
        if is_html(content_type, body) {
            return Err(ModernGovError::ErrorPage {
                operation: operation.into(),
                title: text::page_title(body).unwrap_or_else(|| "untitled".into()),
                hint: match operation {
                    "GetMeeting" => "the meeting id may not exist on this site, or the service is failing; check the meeting's page opens in a browser".into(),
                    _ => format!("the service is failing or the site address is wrong; check {site} opens in a browser"),
                },
            });
        }
        Ok(())
    }
}

fn is_html(content_type: &str, body: &str) -> bool {
    let start: String = body
        .trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n'])
        .chars()
        .take(15)
        .collect::<String>()
        .to_ascii_lowercase();
    if start.starts_with("<?xml") {
        return false;
    }
    start.starts_with("<!doctype html")
        || start.starts_with("<html")
        || content_type.contains("text/html")
}

/// The committee a clerk named, live ones before expired ones.
fn find_committee<'c>(
    committees: &'c [Committee],
    name: &str,
    site: &Site,
) -> Result<&'c Committee, ModernGovError> {
    let wanted = normalise(name);
    let mut matches: Vec<&Committee> = committees
        .iter()
        .filter(|c| normalise(&c.title) == wanted)
        .collect();
    matches.sort_by_key(|c| c.expired);
    if let Some(found) = matches.first() {
        return Ok(found);
    }
    let live: Vec<&str> = committees
        .iter()
        .filter(|c| !c.expired)
        .map(|c| c.title.as_str())
        .collect();
    let closest = live
        .iter()
        .map(|t| (strsim::jaro_winkler(&normalise(t), &wanted), *t))
        .filter(|(score, _)| *score > 0.85)
        .max_by(|a, b| a.0.total_cmp(&b.0));
    let mut suggestion = match closest {
        Some((_, t)) => format!(" Did you mean “{t}”?"),
        None => String::new(),
    };
    if !live.is_empty() {
        suggestion.push_str(&format!(" Its committees: {}.", live.join("; ")));
    }
    Err(ModernGovError::NoSuchCommittee {
        site: site.to_string(),
        name: name.to_string(),
        suggestion,
    })
}

fn normalise(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn committee(id: u32, title: &str, expired: bool) -> Committee {
        Committee {
            id,
            title: title.into(),
            expired,
        }
    }

    #[test]
    fn committees_are_found_by_title_whatever_the_case_and_spacing() {
        let site = Site::parse("democracy.example.gov.uk").unwrap();
        let all = [
            committee(97, "Planning Committee", true),
            committee(130, "Planning Committee", false),
            committee(142, "Council", false),
        ];
        assert_eq!(
            find_committee(&all, "  planning   COMMITTEE ", &site)
                .unwrap()
                .id,
            130
        );
        let e = find_committee(&all, "Planing Committee", &site)
            .unwrap_err()
            .to_string();
        assert!(e.contains("Did you mean “Planning Committee”?"), "{e}");
        assert!(
            e.contains("Its committees: Planning Committee; Council."),
            "{e}"
        );
    }

    #[test]
    fn html_is_told_from_xml_by_its_start_or_its_content_type() {
        assert!(is_html("text/html; charset=utf-8", "<p>hello</p>"));
        assert!(is_html("", "\u{feff}\r\n<!DOCTYPE html PUBLIC …><html>"));
        assert!(is_html("text/xml", "<HTML><head>"));
        assert!(!is_html("text/html", "<?xml version=\"1.0\"?><meeting/>"));
        assert!(!is_html("text/xml; charset=utf-8", "<meeting/>"));
    }

    #[test]
    fn the_user_agent_names_gavel_and_its_version() {
        let ua = user_agent();
        assert!(
            ua.starts_with(&format!("Gavel/{} (+https://", env!("CARGO_PKG_VERSION"))),
            "{ua}"
        );
    }
}
