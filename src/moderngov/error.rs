//! What can go wrong reading a council's ModernGov service, each with a message that tells a
//! clerk (or the council's web team) what to do next.

use url::Url;

#[derive(Debug, thiserror::Error)]
pub enum ModernGovError {
    #[error("`{input}` is not a ModernGov address Gavel can use: {reason}")]
    BadUrl { input: String, reason: String },

    #[error(
        "could not reach {url}: {source}. Check the address opens in a browser and that this machine can reach the council's site"
    )]
    Network {
        url: Url,
        #[source]
        source: reqwest::Error,
    },

    #[error(
        "{site} refused Gavel (HTTP 403): the council's web firewall blocks automated requests. Ask the council's web team to allow requests to {site}/mgWebService.asmx with the User-Agent `{user_agent}`; the service is public and Gavel only reads agendas. Until then, preload the meeting from a file with `gavel schedule <agenda.toml>`"
    )]
    Forbidden { site: String, user_agent: String },

    #[error(
        "{site} has switched off ModernGov's web service (mgWebService.asmx), so Gavel cannot read its agendas ({detail}). Preload the meeting from a file instead: `gavel schedule <agenda.toml>` (see config/agenda.example.toml), or ask the council's web team to enable the service's HTTP GET access"
    )]
    ServiceDisabled { site: String, detail: String },

    #[error("ModernGov answered {operation} with a web page (“{title}”) instead of data: {hint}")]
    ErrorPage {
        operation: String,
        title: String,
        hint: String,
    },

    #[error(
        "ModernGov answered {url} with HTTP {status}; try again later, or check the address opens in a browser"
    )]
    Status { url: Url, status: u16 },

    #[error("ModernGov's answer to {operation} is not the XML Gavel expects: {detail}")]
    Xml { operation: String, detail: String },

    #[error("meeting {meeting_id} on {site}: {problem}")]
    BadMeeting {
        site: String,
        meeting_id: u32,
        problem: String,
    },

    #[error("{site} has no committee called “{name}”.{suggestion}")]
    NoSuchCommittee {
        site: String,
        name: String,
        suggestion: String,
    },

    #[error("the dates are the wrong way round: from {from} is after to {to}")]
    BadRange {
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
    },

    #[error("{site}'s councillors cannot be used as a roster: {problem}")]
    BadRoster { site: String, problem: String },

    #[error("cannot preload meeting {meeting_id}: {problem}")]
    NotPlannable { meeting_id: u32, problem: String },
}
