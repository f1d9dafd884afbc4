//! Reads a council's published agendas from ModernGov (Civica), the system most English and
//! Welsh councils publish committee papers with, so a clerk starts from the agenda the council
//! already published instead of retyping it.
//!
//! ModernGov exposes each council's meetings through a public web service,
//! `<site>/mgWebService.asmx/<operation>?…`, answered with XML to plain HTTP GETs. This module
//! is a client for the five operations Gavel needs ([`Client`]), the parsers for their
//! answers, and the conversion of an imported meeting into what `gavel schedule` preloads
//! ([`ImportedMeeting::to_plan`]). It knows nothing of the archive or the CLI.
//!
//! | operation | used for |
//! |---|---|
//! | `GetMeeting?lMeetingId=` | one meeting and its agenda ([`Client::get_meeting`]) |
//! | `GetCommittees` | committee names and ids ([`Client::committees`]) |
//! | `GetMeetings?lCommitteeId=&sFromDate=&sToDate=` | one committee's meetings ([`Client::list_meetings`]) |
//! | `GetAllMeetingsByDate?lCommitteeId=-1&…` | every committee's meetings ([`Client::list_meetings`]) |
//! | `GetCouncillorsByWard` | the councillors, as the roster for recorded votes ([`Client::councillors`]) |
//!
//! The service's quirks, and what this module does about each:
//! - dates are sent as `dd/mm/yyyy`: the service silently ignores ISO dates and answers with
//!   every meeting it has ever held. Rows outside the asked range are dropped all the same.
//! - `lCommitteeId=-1` means every committee.
//! - titles are HTML-escaped before they are XML-escaped (`&` arrives as `&amp;amp;`), and
//!   `agendatext` is HTML, escaped or (on some sites) raw markup: every text is reduced to plain
//!   text with a real HTML parser ([`text`]).
//! - times carry no zone: the council's zone applies, so a July meeting at 10:00 in London
//!   starts at 09:00 UTC and a December one at 10:00 UTC.
//! - an HTML error page may come back with status 200, a web firewall may answer 403 to
//!   library user agents (Gavel sends an honest [`user_agent`]), and some councils switch the
//!   service off: each is a distinct [`ModernGovError`] whose message says what to do.
//! - an agenda not yet published (`agendapublished` False, or no items) imports the meeting
//!   with no items and `agenda_published` saying so.
//! - exempt items (`isrestricted`) keep the title the council publishes; restricted documents
//!   are never imported, and items the council does not display (`isdisplayallowed` False)
//!   are left out entirely.
//!
//! ## Where it is used
//! [`crate::import`] joins this module to the archive: `gavel import moderngov` (a meeting
//! page, `<site> --meeting <id>`, or `<site> --list`) and `[moderngov]`'s daily sync in
//! `gavel run` both call [`Client::get_meeting`], [`ImportedMeeting::to_plan`] and the
//! archive's `schedule_meeting`, which keeps the meeting keyed by [`ImportedMeeting::source_key`]
//! (so importing again updates it until it starts) with its start time and, per item, the
//! ModernGov id, exempt flag and public documents. `!next` reminds the clerk about exempt
//! items; the OCD, Popolo and Akoma Ntoso exports carry the ids and documents.

mod client;
mod error;
mod parse;
mod plan;
pub mod text;
mod url;
mod xml;

use chrono::{DateTime, NaiveDate, NaiveTime};
use chrono_tz::Tz;

pub use client::{Client, MeetingFilter, user_agent};
pub use error::ModernGovError;
pub use url::{MeetingPage, Site};

/// One meeting as the council published it on ModernGov.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedMeeting {
    pub site: Site,
    pub moderngov_id: u32,
    pub committee_id: Option<u32>,
    pub committee: String,
    /// `Planning Committee, 3 December 2026`: the committee and the date.
    pub title: String,
    /// In the council's time zone.
    pub start: DateTime<Tz>,
    pub location: Option<String>,
    /// False when the council has not published the agenda yet; `items` is then empty.
    pub agenda_published: bool,
    /// In the council's order: headings, items and sub-items.
    pub items: Vec<ImportedItem>,
}

/// One row of a published agenda: an item, a sub-item or a heading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedItem {
    pub moderngov_id: u32,
    /// As the council displays it (`5`, `5a`, `7.2`); `None` for a heading row.
    pub number: Option<String>,
    pub title: String,
    /// Marked exempt (`isrestricted`): the public may be excluded for it.
    pub exempt: bool,
    /// The item's `agendatext`, reduced to plain text (paragraphs on their own lines).
    pub text: String,
    /// Public documents only; restricted ones are never imported.
    pub documents: Vec<Document>,
}

/// A public document linked to an agenda item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub title: String,
    pub url: ::url::Url,
}

/// A committee, from `GetCommittees`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Committee {
    pub id: u32,
    pub title: String,
    /// No longer meets (`committeeexpired` or `committeedeleted`).
    pub expired: bool,
}

/// One row of a meeting list, for a clerk to choose from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetingSummary {
    pub moderngov_id: u32,
    pub committee_id: Option<u32>,
    /// Empty when the service names no committee for the row.
    pub committee: String,
    pub date: NaiveDate,
    pub time: Option<NaiveTime>,
    /// `Confirmed`, `Provisional`, `Cancelled`, … as the council writes it.
    pub status: Option<String>,
    /// The council's public page for the meeting.
    pub page_url: ::url::Url,
}

impl ImportedItem {
    pub fn is_heading(&self) -> bool {
        self.number.is_none()
    }
}

impl ImportedMeeting {
    /// The council's public page for this meeting.
    pub fn page_url(&self) -> ::url::Url {
        self.site.meeting_page(self.committee_id, self.moderngov_id)
    }

    /// Numbered items (not headings).
    pub fn numbered_items(&self) -> impl Iterator<Item = &ImportedItem> {
        self.items.iter().filter(|i| !i.is_heading())
    }

    /// What was imported, in one line for the clerk: `8 items (1 exempt), 7 documents` or
    /// `no items: the council has not published the agenda yet`.
    pub fn summary(&self) -> String {
        if !self.agenda_published {
            return "no items: the council has not published the agenda yet".into();
        }
        let items = self.numbered_items().count();
        if items == 0 {
            return "no items: the published agenda lists none".into();
        }
        let exempt = self.numbered_items().filter(|i| i.exempt).count();
        let documents: usize = self.items.iter().map(|i| i.documents.len()).sum();
        format!(
            "{items} item{} ({exempt} exempt), {documents} document{}",
            plural(items),
            plural(documents)
        )
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
