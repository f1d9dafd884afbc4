//! `[council]`: the council's name, its IANA time zone and the language Gavel writes in.

use chrono_tz::Tz;
use serde::Deserialize;

pub use crate::i18n::Language;

use super::Resolver;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCouncil {
    pub name: String,
    pub timezone: String,
    #[serde(default = "default_language")]
    pub language: String,
}

fn default_language() -> String {
    "en".into()
}

#[derive(Debug, Clone)]
pub struct Council {
    pub name: String,
    pub timezone: Tz,
    pub language: Language,
}

/// The council, with UTC and English standing in for a bad time zone or language (both named
/// as problems).
pub(crate) fn resolve(r: &mut Resolver<'_>, raw: RawCouncil) -> Council {
    if raw.name.trim().is_empty() {
        r.problem("council.name: must not be empty".into());
    }
    let timezone = match raw.timezone.parse::<Tz>() {
        Ok(tz) => tz,
        Err(_) => {
            r.problem(format!(
                "council.timezone: `{}` is not an IANA time zone (like Europe/London)",
                raw.timezone
            ));
            chrono_tz::UTC
        }
    };
    let language = match raw.language.as_str() {
        "en" => Language::En,
        "cy" => Language::Cy,
        "en+cy" => Language::EnCy,
        other => {
            r.problem(format!(
                "council.language: `{other}` is not one of en, cy, en+cy"
            ));
            Language::En
        }
    };
    Council {
        name: raw.name,
        timezone,
        language,
    }
}
