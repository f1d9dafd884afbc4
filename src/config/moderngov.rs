//! `[moderngov]`: the council's ModernGov site, and which committees' agendas `gavel run`
//! imports each day (see [`crate::import`]).

use chrono::NaiveTime;
use serde::Deserialize;

use super::Resolver;
use crate::moderngov::Site;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawModernGov {
    /// The council's ModernGov site, e.g. `https://democracy.example.gov.uk`.
    pub site: String,
    /// Committees whose coming meetings are imported daily, as the council names them; empty
    /// or absent means every committee.
    #[serde(default)]
    pub committees: Vec<String>,
    /// Local time of the daily import, `HH:MM` (default 06:00).
    pub sync_at: Option<String>,
}

/// The daily agenda import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModernGovSettings {
    pub site: Site,
    /// Empty: every committee.
    pub committees: Vec<String>,
    /// Local time (council time zone) of the daily import.
    pub sync_at: NaiveTime,
}

/// `[moderngov]`: a site Gavel can call, named committees, `sync_at` an `HH:MM` time.
pub(crate) fn resolve(r: &mut Resolver<'_>, raw: &RawModernGov) -> Option<ModernGovSettings> {
    let site = match Site::parse(&raw.site) {
        Ok(s) => Some(s),
        Err(e) => {
            r.problem(format!("moderngov.site: {e}"));
            None
        }
    };
    for (i, c) in raw.committees.iter().enumerate() {
        if c.trim().is_empty() {
            r.problem(format!(
                "moderngov.committees[{i}]: a committee name is empty"
            ));
        }
    }
    let sync_at = match raw.sync_at.as_deref() {
        None => NaiveTime::from_hms_opt(6, 0, 0).unwrap_or_default(),
        Some(t) => match NaiveTime::parse_from_str(t, "%H:%M") {
            Ok(time) => time,
            Err(_) => {
                r.problem(format!(
                    "moderngov.sync_at: `{t}` is not a time of day like 06:00"
                ));
                return None;
            }
        },
    };
    Some(ModernGovSettings {
        site: site?,
        committees: raw
            .committees
            .iter()
            .map(|c| c.trim().to_string())
            .collect(),
        sync_at,
    })
}

#[cfg(test)]
mod tests {
    use crate::config::testing::{BASE, check};

    #[test]
    fn the_daily_import_defaults_to_six_and_every_committee() {
        assert_eq!(check(BASE, &[]).unwrap().moderngov, None);
        let text = format!("{BASE}[moderngov]\nsite = \"democracy.example.gov.uk\"\n");
        let m = check(&text, &[]).unwrap().moderngov.unwrap();
        assert_eq!(m.site.to_string(), "https://democracy.example.gov.uk");
        assert!(m.committees.is_empty());
        assert_eq!(m.sync_at.to_string(), "06:00:00");
        let text = format!(
            "{BASE}[moderngov]\nsite = \"https://example.gov.uk/moderngov/mgWebService.asmx\"\ncommittees = [\" Planning Committee \"]\nsync_at = \"05:30\"\n"
        );
        let m = check(&text, &[]).unwrap().moderngov.unwrap();
        assert_eq!(m.site.to_string(), "https://example.gov.uk/moderngov");
        assert_eq!(m.committees, ["Planning Committee"]);
        assert_eq!(m.sync_at.to_string(), "05:30:00");
    }

    #[test]
    fn a_bad_site_time_or_committee_is_named() {
        let text = format!(
            "{BASE}[moderngov]\nsite = \"ftp://example.gov.uk\"\ncommittees = [\"\"]\nsync_at = \"6am\"\n"
        );
        let all = check(&text, &[]).unwrap_err().join("\n");
        for needle in [
            "moderngov.site:",
            "moderngov.committees[0]: a committee name is empty",
            "moderngov.sync_at: `6am`",
        ] {
            assert!(all.contains(needle), "{needle} not in:\n{all}");
        }
        let text = format!("{BASE}[moderngov]\nsite = \"x\"\nsurprise = 1\n");
        assert!(check(&text, &[]).is_err());
    }
}
