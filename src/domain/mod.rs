//! Domain types shared by every part of Gavel: ids, authors, entry kinds and entries.
//!
//! Nothing here knows about a platform, the database or the network.

use std::fmt;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

pub mod payload;
pub use payload::Payload;

/// A meeting's id in the archive. Permalinks use it, so it never changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct MeetingId(pub i64);

impl fmt::Display for MeetingId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl std::str::FromStr for MeetingId {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().trim_start_matches('#');
        match t.parse::<i64>() {
            Ok(n) if n > 0 => Ok(MeetingId(n)),
            _ => Err(format!("`{s}` is not a meeting id (a positive number)")),
        }
    }
}

/// An entry's per-meeting sequence number, shown to people as `#12`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct EntryNo(pub u32);

impl EntryNo {
    /// Parses `12` or `#12`; zero and non-numbers are refused.
    pub fn parse(s: &str) -> Option<EntryNo> {
        let t = s.trim().trim_start_matches('#');
        if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        match t.parse::<u32>() {
            Ok(n) if n > 0 => Some(EntryNo(n)),
            _ => None,
        }
    }
}

impl fmt::Display for EntryNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// Who wrote an entry: the platform it came from, the platform's user id and a display name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Author {
    pub platform: String,
    pub user_id: String,
    pub display_name: String,
}

impl Author {
    pub fn new(
        platform: impl Into<String>,
        user_id: impl Into<String>,
        display_name: impl Into<String>,
    ) -> Self {
        Author {
            platform: platform.into(),
            user_id: user_id.into(),
            display_name: display_name.into(),
        }
    }
}

/// The platform message a command came from; the archive ingests each one once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceRef {
    pub platform: String,
    pub message_id: String,
}

/// What an entry records. Stored as its lowercase name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    Start,
    End,
    Agenda,
    Motion,
    Vote,
    Consult,
    ConsultExtend,
    ConsultWithdraw,
    Link,
    Note,
    Speaker,
    Recess,
    Resume,
    Private,
    Public,
    Webcast,
    Correction,
    Withdrawal,
}

impl EntryKind {
    pub const ALL: [EntryKind; 18] = [
        EntryKind::Start,
        EntryKind::End,
        EntryKind::Agenda,
        EntryKind::Motion,
        EntryKind::Vote,
        EntryKind::Consult,
        EntryKind::ConsultExtend,
        EntryKind::ConsultWithdraw,
        EntryKind::Link,
        EntryKind::Note,
        EntryKind::Speaker,
        EntryKind::Recess,
        EntryKind::Resume,
        EntryKind::Private,
        EntryKind::Public,
        EntryKind::Webcast,
        EntryKind::Correction,
        EntryKind::Withdrawal,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::Start => "start",
            EntryKind::End => "end",
            EntryKind::Agenda => "agenda",
            EntryKind::Motion => "motion",
            EntryKind::Vote => "vote",
            EntryKind::Consult => "consult",
            EntryKind::ConsultExtend => "consult_extend",
            EntryKind::ConsultWithdraw => "consult_withdraw",
            EntryKind::Link => "link",
            EntryKind::Note => "note",
            EntryKind::Speaker => "speaker",
            EntryKind::Recess => "recess",
            EntryKind::Resume => "resume",
            EntryKind::Private => "private",
            EntryKind::Public => "public",
            EntryKind::Webcast => "webcast",
            EntryKind::Correction => "correction",
            EntryKind::Withdrawal => "withdrawal",
        }
    }

    pub fn parse(s: &str) -> Option<EntryKind> {
        EntryKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Kinds a clerk may correct with `!fix` or withdraw with `!strike` / `!undo`.
    pub fn is_amendable(self) -> bool {
        matches!(
            self,
            EntryKind::Agenda
                | EntryKind::Motion
                | EntryKind::Vote
                | EntryKind::Consult
                | EntryKind::Link
                | EntryKind::Note
                | EntryKind::Speaker
                | EntryKind::Webcast
        )
    }
}

impl fmt::Display for EntryKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An entry as stored in the archive. Never changed once written.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Row id: global, increasing, used for ordering deliveries and SSE.
    pub id: i64,
    pub meeting: MeetingId,
    pub seq: EntryNo,
    /// What the entry records (its kind and structured fields).
    pub payload: Payload,
    /// Rendered plain text, as residents read it.
    pub text: String,
    pub author: Author,
    pub at: DateTime<Utc>,
    pub timezone: Tz,
    /// For corrections and withdrawals: the entry they amend.
    pub refers_to: Option<EntryNo>,
    /// Archived during a private session: never published.
    pub confidential: bool,
    pub source: Option<SourceRef>,
    pub prev_hash: String,
    pub hash: String,
}

impl Entry {
    /// The entry's time in the council's zone.
    pub fn local_time(&self) -> DateTime<Tz> {
        self.at.with_timezone(&self.timezone)
    }

    /// `HH:MM` in the council's zone.
    pub fn hhmm(&self) -> String {
        self.local_time().format("%H:%M").to_string()
    }

    pub fn kind(&self) -> EntryKind {
        self.payload.kind()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_numbers_accept_hash_prefix_and_refuse_zero() {
        assert_eq!(EntryNo::parse("#12"), Some(EntryNo(12)));
        assert_eq!(EntryNo::parse("7"), Some(EntryNo(7)));
        assert_eq!(EntryNo::parse("0"), None);
        assert_eq!(EntryNo::parse("-3"), None);
        assert_eq!(EntryNo::parse("1e3"), None);
    }

    #[test]
    fn every_kind_round_trips_through_its_name() {
        for k in EntryKind::ALL {
            assert_eq!(EntryKind::parse(k.as_str()), Some(k));
        }
    }
}
