//! Engine-neutral bulk rows: the [`Transfer`] role, with which an archive is copied from one
//! engine to another (see [`super::copy`]) exactly as it is stored.
//!
//! The rows are the shared schema's rows as plain values, not the domain types: an entry's
//! `kind` and canonical `fields` text are carried as stored, so a copy keeps every byte the hash
//! chain covers (and keeps a damaged row damaged, so `verify` on the copy reports what it
//! reports on the original). Ids are carried too: delivery rows, exports and links name entries
//! by id.
//!
//! Rows move in pages, each part in key order, so a large archive never has to fit in memory: a
//! page of [`Part::Meetings`] also carries those meetings' planned items, checkpoints and status
//! messages, and a page of [`Part::Notices`] carries those notices' delivery rows, so that every
//! page can be written on its own without breaking a reference.

use chrono_tz::Tz;

use super::Result;
use crate::domain::{Author, Entry, EntryKind, EntryNo, MeetingId, Payload, SourceRef};

/// Which rows a page holds, in the order they must be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// Meetings, with their planned items, checkpoints and status messages.
    Meetings,
    Entries,
    /// Entries' delivery rows.
    Deliveries,
    /// Notices, with their delivery rows.
    Notices,
}

impl Part {
    /// Every part, in an order that writes each row after the rows it refers to.
    pub const ALL: [Part; 4] = [
        Part::Meetings,
        Part::Entries,
        Part::Deliveries,
        Part::Notices,
    ];
}

/// A `meetings` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetingRow {
    pub id: i64,
    pub title: String,
    pub timezone: String,
    pub scheduled_for: Option<String>,
    pub created_at_ms: i64,
    pub starts_at_ms: Option<i64>,
    pub source_key: Option<String>,
    pub source_url: Option<String>,
}

/// A `planned_items` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedItemRow {
    pub meeting_id: i64,
    pub position: i64,
    pub number: String,
    pub title: String,
    pub external_id: Option<String>,
    /// Stored as an integer (0 or 1) by every engine.
    pub exempt: i64,
    /// A JSON array of `{title, url}`.
    pub documents: String,
}

/// An `entries` row, exactly as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryRow {
    pub id: i64,
    pub meeting_id: i64,
    pub seq: i64,
    pub kind: String,
    /// The canonical JSON text the hash covers.
    pub fields: String,
    pub text: String,
    pub author_platform: String,
    pub author_id: String,
    pub author_name: String,
    pub ts_ms: i64,
    pub timezone: String,
    pub refers_to: Option<i64>,
    /// Stored as an integer (0 or 1) by every engine; kept as it is.
    pub confidential: i64,
    pub source_platform: Option<String>,
    pub source_id: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

impl EntryRow {
    /// The entry this row stores, or what is wrong with it (for `verify` to report).
    pub fn decode(self) -> std::result::Result<Entry, String> {
        let Some(kind) = EntryKind::parse(&self.kind) else {
            return Err(format!("unknown entry kind `{}`", self.kind));
        };
        let fields =
            serde_json::from_str(&self.fields).map_err(|e| format!("fields are not JSON: {e}"))?;
        let payload = Payload::from_json(kind, fields)
            .map_err(|e| format!("fields do not fit a {kind} entry: {e}"))?;
        let timezone = self
            .timezone
            .parse::<Tz>()
            .map_err(|_| format!("unknown time zone `{}`", self.timezone))?;
        let at = chrono::DateTime::from_timestamp_millis(self.ts_ms)
            .ok_or_else(|| format!("time {} is out of range", self.ts_ms))?;
        Ok(Entry {
            id: self.id,
            meeting: MeetingId(self.meeting_id),
            seq: EntryNo(self.seq as u32),
            payload,
            text: self.text,
            author: Author {
                platform: self.author_platform,
                user_id: self.author_id,
                display_name: self.author_name,
            },
            at,
            timezone,
            refers_to: self.refers_to.map(|n| EntryNo(n as u32)),
            confidential: self.confidential != 0,
            source: match (self.source_platform, self.source_id) {
                (None, None) => None,
                (sp, si) => Some(SourceRef {
                    platform: sp.unwrap_or_default(),
                    message_id: si.unwrap_or_default(),
                }),
            },
            prev_hash: self.prev_hash,
            hash: self.hash,
        })
    }
}

/// A row of either outbox queue (`deliveries` or `notice_deliveries`): they share one shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueRow {
    pub id: i64,
    pub target: String,
    /// The entry (for `deliveries`) or notice (for `notice_deliveries`) the row delivers.
    pub item_id: i64,
    /// `post`, `edit` or `delete` for entries; `None` for notices.
    pub op: Option<String>,
    pub state: String,
    pub attempts: i64,
    pub next_attempt_ms: Option<i64>,
    /// The remote message ids as stored (a JSON array), if delivered.
    pub remote_ids: Option<String>,
    pub last_error: Option<String>,
    pub created_ms: i64,
    pub delivered_ms: Option<i64>,
}

/// A `notices` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeRow {
    pub id: i64,
    pub key: String,
    pub kind: String,
    pub text: String,
    pub created_ms: i64,
}

/// A `checkpoints` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointRow {
    pub meeting_id: i64,
    pub head: String,
    pub entries: i64,
    pub public_key: String,
    pub signature: String,
    pub signed_at_ms: i64,
}

/// A `status_messages` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusMessageRow {
    pub target: String,
    pub meeting_id: i64,
    /// As stored (a JSON array).
    pub remote_ids: String,
    pub text: String,
    pub edits: i64,
    pub pinned: bool,
    pub finalised: bool,
    pub updated_ms: i64,
}

/// Rows of every table, as one page carries them (or a whole archive, for comparing two).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArchiveRows {
    pub meetings: Vec<MeetingRow>,
    pub planned_items: Vec<PlannedItemRow>,
    pub entries: Vec<EntryRow>,
    pub deliveries: Vec<QueueRow>,
    pub notices: Vec<NoticeRow>,
    pub notice_deliveries: Vec<QueueRow>,
    pub checkpoints: Vec<CheckpointRow>,
    pub status_messages: Vec<StatusMessageRow>,
}

impl ArchiveRows {
    /// The key of the last row of `part` in this page: where the next page starts.
    pub fn last_key(&self, part: Part) -> Option<i64> {
        match part {
            Part::Meetings => self.meetings.last().map(|r| r.id),
            Part::Entries => self.entries.last().map(|r| r.id),
            Part::Deliveries => self.deliveries.last().map(|r| r.id),
            Part::Notices => self.notices.last().map(|r| r.id),
        }
    }

    /// How many rows of `part` (not counting the rows that ride along) the page holds.
    pub fn len(&self, part: Part) -> usize {
        match part {
            Part::Meetings => self.meetings.len(),
            Part::Entries => self.entries.len(),
            Part::Deliveries => self.deliveries.len(),
            Part::Notices => self.notices.len(),
        }
    }

    /// Adds `page`'s rows after these.
    pub fn extend(&mut self, page: ArchiveRows) {
        self.meetings.extend(page.meetings);
        self.planned_items.extend(page.planned_items);
        self.entries.extend(page.entries);
        self.deliveries.extend(page.deliveries);
        self.notices.extend(page.notices);
        self.notice_deliveries.extend(page.notice_deliveries);
        self.checkpoints.extend(page.checkpoints);
        self.status_messages.extend(page.status_messages);
    }
}

/// Bulk rows in and out, for copying an archive between engines.
pub trait Transfer {
    /// How many rows of `part` the archive holds (for progress).
    fn count_rows(&self, part: Part) -> Result<u64>;
    /// Up to `limit` rows of `part` whose key is greater than `after`, in key order, with the
    /// rows that ride along with them (see [`Part`]).
    fn export_rows(&self, part: Part, after: i64, limit: u32) -> Result<ArchiveRows>;
    /// Writes `rows` as they are, ids included, in one transaction: nothing is written if any
    /// row is refused. Later appends number their rows after the imported ones.
    fn import_rows(&self, rows: &ArchiveRows) -> Result<()>;
}
