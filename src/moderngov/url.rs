//! Council sites and meeting pages: what a clerk pastes, turned into the service's address
//! and a meeting id.

use std::fmt;

use url::Url;

use super::ModernGovError;

/// A council's ModernGov site: the folder holding `mgWebService.asmx` and the public pages,
/// e.g. `https://democracy.example.gov.uk/` or `https://www.example.gov.uk/moderngov/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    /// Always ends with `/`.
    base: Url,
}

/// A meeting's public page, `…/ieListDocuments.aspx?CId=130&MId=4567`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetingPage {
    pub site: Site,
    pub committee_id: Option<u32>,
    pub meeting_id: u32,
}

/// The pages that show one meeting and carry its id as `MId`.
const MEETING_PAGES: [&str; 2] = ["ieListDocuments.aspx", "mgMeetingAttendance.aspx"];

fn bad(input: &str, reason: impl Into<String>) -> ModernGovError {
    ModernGovError::BadUrl {
        input: input.chars().take(200).collect(),
        reason: reason.into(),
    }
}

fn absolute(input: &str) -> Result<Url, ModernGovError> {
    let trimmed = input.trim();
    let with_scheme = if trimmed.contains("://") {
        trimmed.to_string()
    } else {
        format!("https://{trimmed}")
    };
    let url = Url::parse(&with_scheme).map_err(|e| bad(input, e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad(input, "only http and https addresses are supported"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad(input, "it names no host"));
    }
    Ok(url)
}

fn last_segment(url: &Url) -> &str {
    url.path_segments()
        .and_then(|mut s| s.next_back())
        .unwrap_or("")
}

impl Site {
    /// `democracy.example.gov.uk`, `https://democracy.example.gov.uk/`, or any address of a
    /// page or of the service on the site (`…/mgWebService.asmx`, `…/ieListDocuments.aspx?…`).
    pub fn parse(input: &str) -> Result<Site, ModernGovError> {
        let mut url = absolute(input)?;
        url.set_query(None);
        url.set_fragment(None);
        let last = last_segment(&url).to_ascii_lowercase();
        if (last.ends_with(".aspx") || last.ends_with(".asmx"))
            && let Ok(mut segments) = url.path_segments_mut()
        {
            segments.pop();
        }
        if !url.path().ends_with('/') {
            let path = format!("{}/", url.path());
            url.set_path(&path);
        }
        Ok(Site { base: url })
    }

    /// `…/mgWebService.asmx/<operation>` with the given query.
    pub fn service_url(&self, operation: &str, query: &[(&str, String)]) -> Url {
        let mut url = self.join(&format!("mgWebService.asmx/{operation}"));
        if !query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        url
    }

    /// The meeting's public page, `…/ieListDocuments.aspx?CId=…&MId=…`.
    pub fn meeting_page(&self, committee_id: Option<u32>, meeting_id: u32) -> Url {
        let mut url = self.join("ieListDocuments.aspx");
        {
            let mut q = url.query_pairs_mut();
            if let Some(c) = committee_id {
                q.append_pair("CId", &c.to_string());
            }
            q.append_pair("MId", &meeting_id.to_string());
        }
        url
    }

    pub fn as_url(&self) -> &Url {
        &self.base
    }

    /// The site without its scheme and trailing `/`, lower-cased (`democracy.example.gov.uk`,
    /// `www.example.gov.uk/moderngov`): one name whether a clerk typed http or https.
    pub fn key(&self) -> String {
        let host = self.base.host_str().unwrap_or_default();
        let port = self
            .base
            .port()
            .map(|p| format!(":{p}"))
            .unwrap_or_default();
        format!("{host}{port}{}", self.base.path().trim_end_matches('/')).to_ascii_lowercase()
    }

    fn join(&self, path: &str) -> Url {
        let mut url = self.base.clone();
        url.set_path(&format!("{}{path}", self.base.path()));
        url
    }
}

impl fmt::Display for Site {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.base.as_str().trim_end_matches('/'))
    }
}

impl MeetingPage {
    /// The address of a meeting's public page, as a clerk copies it from the browser.
    pub fn parse(input: &str) -> Result<MeetingPage, ModernGovError> {
        let url = absolute(input)?;
        let page = last_segment(&url);
        if !MEETING_PAGES.iter().any(|p| p.eq_ignore_ascii_case(page)) {
            return Err(bad(
                input,
                "it is not a meeting's page: open the meeting on the council's site and copy the address of the page listing its agenda (…/ieListDocuments.aspx?CId=…&MId=…)",
            ));
        }
        let query = |key: &str| {
            url.query_pairs()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v.into_owned())
        };
        let id = |key: &str| -> Result<Option<u32>, ModernGovError> {
            match query(key) {
                None => Ok(None),
                Some(v) => v
                    .trim()
                    .parse::<u32>()
                    .map(Some)
                    .map_err(|_| bad(input, format!("`{key}={v}` is not a number"))),
            }
        };
        let meeting_id = id("MId")?.ok_or_else(|| bad(input, "it has no meeting id (`MId=`)"))?;
        Ok(MeetingPage {
            site: Site::parse(input)?,
            committee_id: id("CId")?,
            meeting_id,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meeting_page_gives_site_committee_and_meeting() {
        let p = MeetingPage::parse(
            "https://democracy.example.gov.uk/ieListDocuments.aspx?CId=130&MId=4567",
        )
        .unwrap();
        assert_eq!(p.site.to_string(), "https://democracy.example.gov.uk");
        assert_eq!(p.committee_id, Some(130));
        assert_eq!(p.meeting_id, 4567);
    }

    #[test]
    fn meeting_page_in_a_subfolder_keys_any_case_and_no_scheme() {
        let p = MeetingPage::parse(
            "www.example.gov.uk/moderngov/ielistdocuments.aspx?mid=12&cid=3&Ver=4#top",
        )
        .unwrap();
        assert_eq!(p.site.to_string(), "https://www.example.gov.uk/moderngov");
        assert_eq!(p.meeting_id, 12);
        assert_eq!(
            p.site
                .service_url("GetMeeting", &[("lMeetingId", "12".into())])
                .as_str(),
            "https://www.example.gov.uk/moderngov/mgWebService.asmx/GetMeeting?lMeetingId=12"
        );
    }

    #[test]
    fn pages_that_are_not_a_meeting_are_refused_with_what_to_copy() {
        let e = MeetingPage::parse("https://democracy.example.gov.uk/mgCalendarMonthView.aspx")
            .unwrap_err()
            .to_string();
        assert!(e.contains("ieListDocuments.aspx"), "{e}");
        let e = MeetingPage::parse("https://democracy.example.gov.uk/ieListDocuments.aspx?CId=1")
            .unwrap_err()
            .to_string();
        assert!(e.contains("MId"), "{e}");
        let e = MeetingPage::parse("https://x.gov.uk/ieListDocuments.aspx?MId=abc")
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a number"), "{e}");
        assert!(MeetingPage::parse("ftp://x.gov.uk/ieListDocuments.aspx?MId=1").is_err());
    }

    #[test]
    fn a_site_may_be_given_by_its_service_address() {
        let s = Site::parse("https://democracy.example.gov.uk/mgWebService.asmx").unwrap();
        assert_eq!(s, Site::parse("democracy.example.gov.uk/").unwrap());
        assert_eq!(
            s.meeting_page(Some(130), 4567).as_str(),
            "https://democracy.example.gov.uk/ieListDocuments.aspx?CId=130&MId=4567"
        );
    }
}
