//! What reaches the desk (a [`ClerkInput`]) and what it answers (a [`Reply`]), in the
//! council's language(s).

use crate::domain::{Author, Entry, SourceRef};
use crate::i18n::{Lang, Language};
use crate::tr;

/// One line from a clerk, already authorised by the input it came through.
#[derive(Debug, Clone)]
pub struct ClerkInput {
    pub author: Author,
    pub text: String,
    /// The platform message, for idempotent ingest; `None` for console lines.
    pub source: Option<SourceRef>,
}

/// The desk's answer to one input.
#[derive(Debug, Clone)]
pub enum Reply {
    /// Not a command (no prefix): ignored.
    Ignored,
    /// A new entry was archived and queued for `targets` deliveries; `note` is said to the
    /// clerk after the acknowledgement (an exempt item's reminder).
    Recorded {
        entry: Entry,
        deliveries: u32,
        note: Option<String>,
    },
    /// The same platform message was archived before.
    AlreadyRecorded { entry: Entry },
    /// An answer that records nothing (status, help, agenda, consultations).
    Info(String),
    /// The command was refused; the text says why and what is expected.
    Refused(String),
}

impl Reply {
    /// The acknowledgement shown to the clerk, in the council's `language` (`en+cy`: both
    /// phrases, then the entry's text once, which already holds both).
    pub fn to_clerk(&self, language: Language) -> Option<String> {
        let ack = |entry: &Entry, f: &dyn Fn(Lang, String) -> String| {
            let seq = entry.seq.to_string();
            format!(
                "{} · {}",
                language.each(" / ", |l| f(l, seq.clone())),
                entry.text
            )
        };
        match self {
            Reply::Ignored => None,
            Reply::Recorded {
                entry,
                deliveries,
                note,
            } => {
                let said = if entry.confidential {
                    ack(entry, &|l, seq| tr!(l, "ack-recorded-private", entry = seq))
                } else if *deliveries == 0 {
                    ack(entry, &|l, seq| tr!(l, "ack-recorded", entry = seq))
                } else {
                    ack(entry, &|l, seq| {
                        tr!(
                            l,
                            "ack-recorded-delivering",
                            entry = seq,
                            deliveries = *deliveries
                        )
                    })
                };
                Some(match note {
                    Some(n) => format!("{said}\n{n}"),
                    None => said,
                })
            }
            Reply::AlreadyRecorded { entry } => Some(ack(entry, &|l, seq| {
                tr!(l, "ack-already-recorded", entry = seq)
            })),
            Reply::Info(s) => Some(s.clone()),
            Reply::Refused(s) => Some(format!(
                "{}: {s}",
                language.each(" / ", |l| tr!(l, "not-recorded"))
            )),
        }
    }
}
