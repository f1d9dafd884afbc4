//! The agenda file `gavel schedule` reads (TOML; see `config/agenda.example.toml`).

use std::path::Path;

use chrono::NaiveDate;
use serde::Deserialize;

use crate::archive::{MeetingPlan, PlannedItem};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPlan {
    title: String,
    date: Option<String>,
    #[serde(default, rename = "item")]
    items: Vec<RawItem>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawItem {
    number: String,
    title: String,
}

#[derive(Debug, thiserror::Error)]
#[error("{path}: {problem}")]
pub struct PlanError {
    pub path: String,
    pub problem: String,
}

pub fn load(path: &Path) -> Result<MeetingPlan, PlanError> {
    let err = |problem: String| PlanError {
        path: path.display().to_string(),
        problem,
    };
    let text = std::fs::read_to_string(path).map_err(|e| err(format!("cannot read: {e}")))?;
    parse(&text).map_err(err)
}

pub fn parse(text: &str) -> Result<MeetingPlan, String> {
    let raw: RawPlan = toml::from_str(text).map_err(|e| e.message().to_string())?;
    if raw.title.trim().is_empty() {
        return Err("title: must not be empty".into());
    }
    let date = match &raw.date {
        None => None,
        Some(d) => Some(
            NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .map_err(|_| format!("date: `{d}` is not YYYY-MM-DD"))?,
        ),
    };
    let mut items = Vec::new();
    for (i, it) in raw.items.into_iter().enumerate() {
        // The same rules as `!agenda`, so `!next` never produces an item a clerk could not type.
        let line = format!("!agenda {} {}", it.number, it.title);
        match crate::command::parse(&line, "!", NaiveDate::MIN) {
            Ok(Some(crate::command::Command::Agenda { number, title })) => {
                items.push(PlannedItem::new(number, title))
            }
            Ok(_) => return Err(format!("item[{i}]: needs a number and a title")),
            Err(e) => return Err(format!("item[{i}]: {}", e.reason(crate::i18n::Lang::En))),
        }
    }
    if items
        .iter()
        .enumerate()
        .any(|(i, a)| items[..i].iter().any(|b| b.number == a.number))
    {
        return Err("item numbers must be unique".into());
    }
    Ok(MeetingPlan {
        title: raw.title.trim().to_string(),
        date,
        starts_at: None,
        source: None,
        items,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_agenda_file_parses() {
        let p = parse(include_str!("../config/agenda.example.toml")).unwrap();
        assert_eq!(p.title, "Planning Committee");
        assert!(p.items.len() >= 5);
        assert_eq!(p.items[0].number, "1");
    }

    #[test]
    fn bad_items_are_named() {
        let e = parse("title = \"X\"\n[[item]]\nnumber = \"five\"\ntitle = \"Y\"\n").unwrap_err();
        assert!(e.contains("item[0]"), "{e}");
        let e = parse("title = \"X\"\n[[item]]\nnumber = \"1\"\ntitle = \"A\"\n[[item]]\nnumber = \"1\"\ntitle = \"B\"\n").unwrap_err();
        assert!(e.contains("unique"), "{e}");
    }
}
