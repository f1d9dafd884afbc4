//! Turning commands into entry fields and text, and entries into the plain text residents read.
//!
//! Every fixed phrase Gavel publishes lives here, so the message catalogues can replace them in
//! one place.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde_json::{Value, json};

use crate::command::{Command, Consultation, Motion, Outcome, Vote};
use crate::domain::{Entry, EntryKind, EntryNo};

/// `31 January 2027`.
pub fn long_date(d: NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}

pub fn hhmm(at: DateTime<Utc>, tz: Tz) -> String {
    at.with_timezone(&tz).format("%H:%M").to_string()
}

fn plural(n: u32, one: &str, many: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

pub fn vote_text(v: &Vote) -> String {
    let mut s = match v.outcome {
        Outcome::Carried => "Vote: carried".to_string(),
        Outcome::Lost => "Vote: lost".to_string(),
    };
    match v.counts {
        Some(c) => s.push_str(&format!(
            " — {} for, {} against, {}",
            c.for_,
            c.against,
            plural(c.abstain, "abstention", "abstentions")
        )),
        None => s.push_str(" (show of hands)"),
    }
    if let Some(who) = &v.casting {
        s.push_str(&format!(", on the casting vote of the {who}"));
    }
    if let Some(roll) = &v.roll {
        let list = |names: &[String]| {
            if names.is_empty() {
                "none".to_string()
            } else {
                names.join(", ")
            }
        };
        s.push_str(&format!(
            ". For: {}. Against: {}. Abstained: {}.",
            list(&roll.for_),
            list(&roll.against),
            list(&roll.abstain)
        ));
    }
    s
}

pub fn motion_text(m: &Motion) -> String {
    let mut s = format!("Motion: {}", m.text);
    match (&m.mover, &m.seconder) {
        (Some(a), Some(b)) => s.push_str(&format!(" (moved by {a}, seconded by {b})")),
        (Some(a), None) => s.push_str(&format!(" (moved by {a})")),
        (None, Some(b)) => s.push_str(&format!(" (seconded by {b})")),
        (None, None) => {}
    }
    s
}

pub fn consult_text(c: &Consultation) -> String {
    format!(
        "Consultation: {} — {} (closes {})",
        c.title,
        c.url,
        long_date(c.closes)
    )
}

/// The kind, structured fields and text of the entry a recording command produces, or `None`
/// for commands that record nothing (status, help, queries) and those the desk builds itself
/// (start, fix, strike, undo, consult extend/withdraw, next).
pub fn entry_parts(cmd: &Command, at: DateTime<Utc>, tz: Tz) -> Option<(EntryKind, Value, String)> {
    let parts = match cmd {
        Command::End => (EntryKind::End, json!({}), "Meeting closed".to_string()),
        Command::Agenda { number, title } => (
            EntryKind::Agenda,
            json!({"number": number, "title": title}),
            format!("Item {number}: {title}"),
        ),
        Command::Motion(m) => (
            EntryKind::Motion,
            json!({"text": m.text, "mover": m.mover, "seconder": m.seconder}),
            motion_text(m),
        ),
        Command::Vote(v) => (
            EntryKind::Vote,
            serde_json::to_value(v).unwrap_or(Value::Null),
            vote_text(v),
        ),
        Command::Consult(c) => (
            EntryKind::Consult,
            json!({"url": c.url.as_str(), "title": c.title, "closes": c.closes.to_string()}),
            consult_text(c),
        ),
        Command::Link { url, title } => (
            EntryKind::Link,
            json!({"url": url.as_str(), "title": title}),
            format!("Link: {title} — {url}"),
        ),
        Command::Note { text } => (EntryKind::Note, json!({"text": text}), text.clone()),
        Command::Speaker { name } => (
            EntryKind::Speaker,
            json!({"name": name}),
            format!("Speaking: {name}"),
        ),
        Command::Recess { minutes } => (
            EntryKind::Recess,
            json!({"minutes": minutes}),
            match minutes {
                Some(m) => format!(
                    "Adjourned for {} at {}",
                    plural(*m, "minute", "minutes"),
                    hhmm(at, tz)
                ),
                None => format!("Adjourned at {}", hhmm(at, tz)),
            },
        ),
        Command::Resume => (
            EntryKind::Resume,
            json!({}),
            format!("Meeting resumed at {}", hhmm(at, tz)),
        ),
        Command::Private { reason } => (
            EntryKind::Private,
            json!({"reason": reason}),
            match reason {
                Some(r) => format!("Public excluded at {} — {r}", hhmm(at, tz)),
                None => format!("Public excluded at {}", hhmm(at, tz)),
            },
        ),
        Command::Public => (
            EntryKind::Public,
            json!({}),
            format!("Public readmitted at {}", hhmm(at, tz)),
        ),
        Command::Webcast { url } => (
            EntryKind::Webcast,
            json!({"url": url.as_str()}),
            format!("Webcast started: {url}"),
        ),
        _ => return None,
    };
    Some(parts)
}

pub fn start_text(title: &str) -> String {
    format!("Meeting started: {title}")
}

pub fn correction_text(original: EntryNo, new_text: &str) -> String {
    format!("Correction to {original}: {new_text}")
}

pub fn withdrawal_text(original: EntryNo, reason: Option<&str>) -> String {
    match reason {
        Some(r) => format!("Entry {original} withdrawn — {r}"),
        None => format!("Entry {original} withdrawn"),
    }
}

/// What a target shows for an entry: `#12 19:04 · text`.
pub fn post_text(e: &Entry) -> String {
    format!("{} {} · {}", e.seq, e.hhmm(), e.text)
}

/// What an edited message shows after a correction: the original's header, the new text and
/// a visible marker.
pub fn corrected_post_text(original: &Entry, correction: &Entry) -> String {
    let new_text = correction.field_str("text").unwrap_or(&correction.text);
    format!(
        "{} {} · {} (corrected {})",
        original.seq,
        original.hhmm(),
        new_text,
        correction.hhmm()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::{Counts, Roll};

    #[test]
    fn recorded_vote_lists_every_name() {
        let v = Vote {
            counts: Some(Counts {
                for_: 2,
                against: 1,
                abstain: 0,
            }),
            outcome: Outcome::Carried,
            casting: None,
            roll: Some(Roll {
                for_: vec!["Ann".into(), "Bob".into()],
                against: vec!["Cy".into()],
                abstain: vec![],
            }),
        };
        assert_eq!(
            vote_text(&v),
            "Vote: carried — 2 for, 1 against, 0 abstentions. For: Ann, Bob. Against: Cy. Abstained: none."
        );
    }

    #[test]
    fn private_placeholder_uses_local_time_across_dst() {
        use chrono::TimeZone;
        let summer = Utc.with_ymd_and_hms(2026, 7, 1, 18, 5, 0).unwrap();
        let winter = Utc.with_ymd_and_hms(2026, 12, 1, 18, 5, 0).unwrap();
        let tz = chrono_tz::Europe::London;
        let p = Command::Private {
            reason: Some("exempt".into()),
        };
        assert_eq!(
            entry_parts(&p, summer, tz).unwrap().2,
            "Public excluded at 19:05 — exempt"
        );
        assert_eq!(
            entry_parts(&p, winter, tz).unwrap().2,
            "Public excluded at 18:05 — exempt"
        );
    }
}
