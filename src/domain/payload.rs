//! What each kind of entry records, typed: one [`Payload`] variant per [`EntryKind`].
//!
//! A payload serialises to the archive's canonical `fields` JSON for its kind (object keys
//! sorted, no whitespace, absent optional values as `null`), byte for byte as Gavel has always
//! written it, so every archive verifies and exports as before. Reading is strict: a stored
//! object with a missing or unknown key is a corrupt row, reported as such, never guessed at.

use chrono::NaiveDate;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::EntryKind;

/// An entry's structured content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    Start(Start),
    End,
    Agenda(AgendaItem),
    Motion(Motion),
    Vote(Vote),
    Consult(Consultation),
    ConsultExtend(ConsultExtension),
    ConsultWithdraw(ConsultRef),
    Link(Link),
    Note(Text),
    Speaker(Speaker),
    Recess(Recess),
    Resume,
    Private(Reason),
    Public,
    Webcast(Webcast),
    /// `!fix`: the corrected text of the entry named by `refers_to`.
    Correction(Text),
    /// `!strike` / `!undo`: why the entry named by `refers_to` was withdrawn.
    Withdrawal(Reason),
}

/// `!start`: the meeting's title.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Start {
    pub title: String,
}

/// An agenda item as the council numbers it (`5`, `5a`, `7.2`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgendaItem {
    pub number: String,
    pub title: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Motion {
    pub text: String,
    pub mover: Option<String>,
    pub seconder: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Carried,
    Lost,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Carried => "carried",
            Outcome::Lost => "lost",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Counts {
    #[serde(rename = "for")]
    pub for_: u32,
    pub against: u32,
    pub abstain: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Roll {
    #[serde(rename = "for")]
    pub for_: Vec<String>,
    pub against: Vec<String>,
    pub abstain: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vote {
    /// `None` for a show of hands without counts.
    pub counts: Option<Counts>,
    pub outcome: Outcome,
    /// Who gave a casting vote (usually "chair").
    pub casting: Option<String>,
    /// A recorded (named) vote; its lengths always equal `counts`.
    pub roll: Option<Roll>,
}

/// `!consult`: a public consultation and when it closes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Consultation {
    pub url: String,
    pub title: String,
    pub closes: NaiveDate,
}

/// `!consult extend`: consultation number `consultation` now closes on `closes`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsultExtension {
    pub consultation: u32,
    pub closes: NaiveDate,
}

/// `!consult withdraw`: consultation number `consultation`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsultRef {
    pub consultation: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Link {
    pub url: String,
    pub title: String,
}

/// A note's text, or a correction's new text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Text {
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Speaker {
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recess {
    pub minutes: Option<u32>,
}

/// Why the public was excluded, or why an entry was withdrawn.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reason {
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Webcast {
    pub url: String,
}

/// The `{}` of kinds that record nothing but themselves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Nothing {}

impl Payload {
    pub fn kind(&self) -> EntryKind {
        match self {
            Payload::Start(_) => EntryKind::Start,
            Payload::End => EntryKind::End,
            Payload::Agenda(_) => EntryKind::Agenda,
            Payload::Motion(_) => EntryKind::Motion,
            Payload::Vote(_) => EntryKind::Vote,
            Payload::Consult(_) => EntryKind::Consult,
            Payload::ConsultExtend(_) => EntryKind::ConsultExtend,
            Payload::ConsultWithdraw(_) => EntryKind::ConsultWithdraw,
            Payload::Link(_) => EntryKind::Link,
            Payload::Note(_) => EntryKind::Note,
            Payload::Speaker(_) => EntryKind::Speaker,
            Payload::Recess(_) => EntryKind::Recess,
            Payload::Resume => EntryKind::Resume,
            Payload::Private(_) => EntryKind::Private,
            Payload::Public => EntryKind::Public,
            Payload::Webcast(_) => EntryKind::Webcast,
            Payload::Correction(_) => EntryKind::Correction,
            Payload::Withdrawal(_) => EntryKind::Withdrawal,
        }
    }

    /// The `fields` JSON object of the archive's canonical encoding.
    pub fn to_json(&self) -> serde_json::Value {
        let v = match self {
            Payload::Start(p) => serde_json::to_value(p),
            Payload::End | Payload::Resume | Payload::Public => serde_json::to_value(Nothing {}),
            Payload::Agenda(p) => serde_json::to_value(p),
            Payload::Motion(p) => serde_json::to_value(p),
            Payload::Vote(p) => serde_json::to_value(p),
            Payload::Consult(p) => serde_json::to_value(p),
            Payload::ConsultExtend(p) => serde_json::to_value(p),
            Payload::ConsultWithdraw(p) => serde_json::to_value(p),
            Payload::Link(p) => serde_json::to_value(p),
            Payload::Note(p) | Payload::Correction(p) => serde_json::to_value(p),
            Payload::Speaker(p) => serde_json::to_value(p),
            Payload::Recess(p) => serde_json::to_value(p),
            Payload::Private(p) | Payload::Withdrawal(p) => serde_json::to_value(p),
            Payload::Webcast(p) => serde_json::to_value(p),
        };
        // Plain structs of strings, numbers and dates always serialise.
        v.unwrap_or(serde_json::Value::Null)
    }

    /// Reads a stored `fields` object as a `kind` payload; the error says what is wrong.
    pub fn from_json(kind: EntryKind, fields: serde_json::Value) -> Result<Payload, String> {
        fn read<T: DeserializeOwned>(v: serde_json::Value) -> Result<T, String> {
            serde_json::from_value(v).map_err(|e| e.to_string())
        }
        let p = match kind {
            EntryKind::Start => Payload::Start(read(fields)?),
            EntryKind::End => read::<Nothing>(fields).map(|_| Payload::End)?,
            EntryKind::Agenda => Payload::Agenda(read(fields)?),
            EntryKind::Motion => Payload::Motion(read(fields)?),
            EntryKind::Vote => Payload::Vote(read(fields)?),
            EntryKind::Consult => Payload::Consult(read(fields)?),
            EntryKind::ConsultExtend => Payload::ConsultExtend(read(fields)?),
            EntryKind::ConsultWithdraw => Payload::ConsultWithdraw(read(fields)?),
            EntryKind::Link => Payload::Link(read(fields)?),
            EntryKind::Note => Payload::Note(read(fields)?),
            EntryKind::Speaker => Payload::Speaker(read(fields)?),
            EntryKind::Recess => Payload::Recess(read(fields)?),
            EntryKind::Resume => read::<Nothing>(fields).map(|_| Payload::Resume)?,
            EntryKind::Private => Payload::Private(read(fields)?),
            EntryKind::Public => read::<Nothing>(fields).map(|_| Payload::Public)?,
            EntryKind::Webcast => Payload::Webcast(read(fields)?),
            EntryKind::Correction => Payload::Correction(read(fields)?),
            EntryKind::Withdrawal => Payload::Withdrawal(read(fields)?),
        };
        Ok(p)
    }

    /// A payload of `kind` whose free text (a title, a note, a name, a reason) is `text`, and
    /// whose other fields are plain placeholders: for tests and benchmarks that need entries of
    /// a given kind, never for what a clerk records.
    pub fn sample(kind: EntryKind, text: &str) -> Payload {
        let t = text.to_string();
        let date = NaiveDate::from_ymd_opt(2030, 1, 31).unwrap_or_default();
        let url = "https://example.org/".to_string();
        match kind {
            EntryKind::Start => Payload::Start(Start { title: t }),
            EntryKind::End => Payload::End,
            EntryKind::Agenda => Payload::Agenda(AgendaItem {
                number: "1".into(),
                title: t,
            }),
            EntryKind::Motion => Payload::Motion(Motion {
                text: t,
                mover: None,
                seconder: None,
            }),
            EntryKind::Vote => Payload::Vote(Vote {
                counts: None,
                outcome: Outcome::Carried,
                casting: None,
                roll: None,
            }),
            EntryKind::Consult => Payload::Consult(Consultation {
                url,
                title: t,
                closes: date,
            }),
            EntryKind::ConsultExtend => Payload::ConsultExtend(ConsultExtension {
                consultation: 1,
                closes: date,
            }),
            EntryKind::ConsultWithdraw => Payload::ConsultWithdraw(ConsultRef { consultation: 1 }),
            EntryKind::Link => Payload::Link(Link { url, title: t }),
            EntryKind::Note => Payload::note(t),
            EntryKind::Speaker => Payload::Speaker(Speaker { name: t }),
            EntryKind::Recess => Payload::Recess(Recess { minutes: None }),
            EntryKind::Resume => Payload::Resume,
            EntryKind::Private => Payload::Private(Reason { reason: Some(t) }),
            EntryKind::Public => Payload::Public,
            EntryKind::Webcast => Payload::Webcast(Webcast { url }),
            EntryKind::Correction => Payload::Correction(Text { text: t }),
            EntryKind::Withdrawal => Payload::Withdrawal(Reason { reason: Some(t) }),
        }
    }

    /// A note's text (the `text` of a note).
    pub fn note(text: impl Into<String>) -> Payload {
        Payload::Note(Text { text: text.into() })
    }

    /// The title a payload names: a meeting's, an agenda item's, a link's or consultation's.
    pub fn title(&self) -> Option<&str> {
        match self {
            Payload::Start(p) => Some(&p.title),
            Payload::Agenda(p) => Some(&p.title),
            Payload::Consult(p) => Some(&p.title),
            Payload::Link(p) => Some(&p.title),
            _ => None,
        }
    }

    /// The web address a payload names: a link's, a consultation's or the webcast's.
    pub fn url(&self) -> Option<&str> {
        match self {
            Payload::Consult(p) => Some(&p.url),
            Payload::Link(p) => Some(&p.url),
            Payload::Webcast(p) => Some(&p.url),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::hash::canonical_json;

    /// Every kind, as Gavel has always stored it.
    fn stored() -> Vec<(EntryKind, &'static str)> {
        vec![
            (EntryKind::Start, r#"{"title":"Planning Committee"}"#),
            (EntryKind::End, "{}"),
            (
                EntryKind::Agenda,
                r#"{"number":"5a","title":"Land at Mill Lane"}"#,
            ),
            (
                EntryKind::Motion,
                r#"{"mover":"Cllr Jones","seconder":null,"text":"Approve"}"#,
            ),
            (
                EntryKind::Vote,
                r#"{"casting":null,"counts":{"abstain":0,"against":1,"for":2},"outcome":"lost","roll":{"abstain":[],"against":["Cllr Smith"],"for":["Cllr Jones","Cllr Evans"]}}"#,
            ),
            (
                EntryKind::Vote,
                r#"{"casting":"chair","counts":null,"outcome":"carried","roll":null}"#,
            ),
            (
                EntryKind::Consult,
                r#"{"closes":"2027-01-31","title":"Local Plan","url":"https://consult.example.gov.uk/lp"}"#,
            ),
            (
                EntryKind::ConsultExtend,
                r#"{"closes":"2027-02-28","consultation":1}"#,
            ),
            (EntryKind::ConsultWithdraw, r#"{"consultation":1}"#),
            (
                EntryKind::Link,
                r#"{"title":"Papers","url":"https://example.org/p"}"#,
            ),
            (EntryKind::Note, r#"{"text":"Café ☕"}"#),
            (EntryKind::Speaker, r#"{"name":"Cllr Ng"}"#),
            (EntryKind::Recess, r#"{"minutes":10}"#),
            (EntryKind::Recess, r#"{"minutes":null}"#),
            (EntryKind::Resume, "{}"),
            (EntryKind::Private, r#"{"reason":null}"#),
            (EntryKind::Public, "{}"),
            (EntryKind::Webcast, r#"{"url":"https://webcast.example/1"}"#),
            (EntryKind::Correction, r#"{"text":"corrected"}"#),
            (EntryKind::Withdrawal, r#"{"reason":"undone by the clerk"}"#),
        ]
    }

    #[test]
    fn every_kind_reads_and_writes_its_stored_fields_byte_for_byte() {
        for (kind, json) in stored() {
            let p = Payload::from_json(kind, serde_json::from_str(json).unwrap())
                .unwrap_or_else(|e| panic!("{kind}: {e}"));
            assert_eq!(p.kind(), kind);
            assert_eq!(canonical_json(&p.to_json()), json, "{kind}");
        }
    }

    #[test]
    fn every_kind_has_a_stored_example() {
        for k in EntryKind::ALL {
            assert!(stored().iter().any(|(s, _)| *s == k), "{k}");
        }
    }

    #[test]
    fn fields_that_do_not_fit_the_kind_are_refused_with_the_reason() {
        let e = Payload::from_json(EntryKind::Note, serde_json::json!({"txt": "x"})).unwrap_err();
        assert!(e.contains("txt"), "{e}");
        let e = Payload::from_json(EntryKind::End, serde_json::json!({"text": "x"})).unwrap_err();
        assert!(e.contains("text"), "{e}");
        assert!(Payload::from_json(EntryKind::Agenda, serde_json::json!({"number": "5"})).is_err());
    }
}
