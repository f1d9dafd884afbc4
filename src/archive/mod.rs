//! The archive: one SQLite file holding meetings, the append-only hash-chained entries, the
//! full-text index and the outbox's delivery rows.
//!
//! Entries are never updated or deleted. Each entry's hash covers its content and the previous
//! entry's hash (see [`hash`] for the canonical encoding), so `gavel verify` detects any change.
//! Appending an entry and its delivery rows is one transaction: durable first, then deliver.

pub mod hash;
mod notices;
mod readers;
mod schema;
mod status;
pub use status::StatusMessage;

pub use notices::NoticeDelivery;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use rusqlite::{Connection, OpenFlags, OptionalExtension, Row, params};
use serde::Serialize;

use crate::domain::{Author, Entry, EntryKind, EntryNo, MeetingId, SourceRef};

#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("archive database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("cannot create the archive's folder {path}: {source}")]
    Folder {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the archive {path} was written by a newer Gavel (schema {found}, this build knows {known})"
    )]
    TooNew {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error("meeting {0} does not exist")]
    NoSuchMeeting(MeetingId),
    #[error("corrupt archive row: {0}")]
    Corrupt(String),
    #[error("an archive write did not run: Gavel is shutting down")]
    ShuttingDown,
}

pub type Result<T> = std::result::Result<T, ArchiveError>;

/// `verify` of fewer meetings than this stays on one thread (threads and connections would cost
/// more than they save).
const VERIFY_PARALLEL_MIN: usize = 64;

/// A meeting as the archive lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MeetingRecord {
    pub id: MeetingId,
    pub title: String,
    pub timezone: String,
    pub scheduled_for: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub entry_count: u32,
}

/// A preloaded agenda item from `gavel schedule`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct PlannedItem {
    pub number: String,
    pub title: String,
}

/// Which meeting an entry goes into.
#[derive(Debug, Clone)]
pub enum MeetingRef {
    Existing(MeetingId),
    /// `!start`: create the meeting row (or take a scheduled, not yet started one) in the same
    /// transaction as its first entry.
    New {
        title: String,
        scheduled: Option<MeetingId>,
    },
}

/// An entry before it is written: the archive assigns id, sequence number and hashes.
#[derive(Debug, Clone)]
pub struct EntryDraft {
    pub kind: EntryKind,
    pub fields: serde_json::Value,
    pub text: String,
    pub author: Author,
    pub at: DateTime<Utc>,
    pub timezone: Tz,
    pub refers_to: Option<EntryNo>,
    pub confidential: bool,
    pub source: Option<SourceRef>,
}

/// What one delivery row asks a target to do with an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryOp {
    /// Post the entry.
    Post,
    /// A correction: edit the original's messages (or post a correction where edits are impossible).
    Edit,
    /// A withdrawal: delete the original's messages (or post a notice).
    Delete,
}

impl DeliveryOp {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryOp::Post => "post",
            DeliveryOp::Edit => "edit",
            DeliveryOp::Delete => "delete",
        }
    }
    fn parse(s: &str) -> Option<DeliveryOp> {
        match s {
            "post" => Some(DeliveryOp::Post),
            "edit" => Some(DeliveryOp::Edit),
            "delete" => Some(DeliveryOp::Delete),
            _ => None,
        }
    }
}

/// One pending or finished delivery of an entry to a target.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub id: i64,
    pub target: String,
    pub entry: Entry,
    pub op: DeliveryOp,
    pub attempts: u32,
    pub next_attempt_at: Option<DateTime<Utc>>,
}

/// A delivery row just committed with its entry, as told to a [`DeliveryListener`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewDelivery<'a> {
    pub target: &'a str,
    /// The row's id: rows are numbered in the order they are committed.
    pub id: i64,
    pub op: DeliveryOp,
}

/// Told of entry delivery rows as they are committed, so that it need not read them back (the
/// outbox). Called under the archive's writer lock, so in commit order, and so it must be quick
/// and must not call the archive.
pub trait DeliveryListener: Send + Sync {
    /// `rows` were committed, all for `entry`.
    fn committed(&self, entry: &Arc<Entry>, rows: &[NewDelivery<'_>]);
    /// Delivery rows were committed that this listener is not told of one by one (a batch).
    fn committed_unlisted(&self);
}

#[derive(Debug, Clone)]
pub enum Appended {
    New(Entry),
    /// The same source message was archived before; nothing was written.
    Duplicate(Entry),
}

impl Appended {
    pub fn entry(&self) -> &Entry {
        match self {
            Appended::New(e) | Appended::Duplicate(e) => e,
        }
    }
}

/// One search result. `snippet` marks matches with [`HIT_START`] / [`HIT_END`].
#[derive(Debug, Clone, Serialize)]
pub struct SearchHit {
    pub meeting: MeetingId,
    pub meeting_title: String,
    pub seq: EntryNo,
    pub at: DateTime<Utc>,
    pub timezone: String,
    pub kind: EntryKind,
    pub snippet: String,
}

pub const HIT_START: char = '\u{2}';
pub const HIT_END: char = '\u{3}';

/// Per-meeting result of `verify`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChainReport {
    pub meeting: MeetingId,
    pub entries: u32,
    pub head: String,
    /// The first problem found, if any.
    pub problem: Option<ChainProblem>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChainProblem {
    /// `None` when the meeting's own record was changed.
    pub entry: Option<EntryNo>,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeliveryTally {
    pub done: u32,
    pub total: u32,
    /// Targets that refused the entry for good.
    pub failed: Vec<String>,
}

impl DeliveryTally {
    pub fn settled(&self) -> bool {
        self.done as usize + self.failed.len() >= self.total as usize
    }
}

/// A signed checkpoint of a meeting's final chain head.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Checkpoint {
    pub meeting: MeetingId,
    pub head: String,
    pub entries: u32,
    pub public_key: String,
    pub signature: String,
    pub signed_at: DateTime<Utc>,
}

/// Appends sharing one transaction; see [`Archive::append_many`].
pub struct Batch<'a> {
    tx: rusqlite::Transaction<'a>,
    /// Whether any append in the batch wrote delivery rows.
    wrote_deliveries: bool,
}

impl Batch<'_> {
    /// The same as [`Archive::append`], inside the batch's transaction.
    pub fn append(
        &mut self,
        meeting: MeetingRef,
        draft: EntryDraft,
        deliveries: &[(String, DeliveryOp)],
    ) -> Result<Appended> {
        let mut ids = Vec::new();
        let appended = Archive::append_in(&self.tx, meeting, draft, deliveries, &mut ids)?;
        self.wrote_deliveries |= !ids.is_empty();
        Ok(appended)
    }
}

/// The two delivery tables, whose rows share one shape and one life cycle: entries'
/// `deliveries` and `notice_deliveries`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Queue {
    Entries,
    Notices,
}

impl Queue {
    fn table(self) -> &'static str {
        match self {
            Queue::Entries => "deliveries",
            Queue::Notices => "notice_deliveries",
        }
    }
}

/// What became of one attempt at one delivery row (see [`Archive::record_outcomes`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub queue: Queue,
    /// The row's id in its queue.
    pub id: i64,
    pub result: Attempt,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Attempt {
    /// Delivered: the row is done, with the platform's ids for what it made.
    Delivered {
        remote_ids: Vec<String>,
        at: DateTime<Utc>,
    },
    /// Failed in a way worth retrying: the row stays pending until `next_at`.
    Retry {
        error: String,
        next_at: DateTime<Utc>,
    },
    /// Refused for good (the platform rejected the content): the row stays, failed, with its
    /// error, for `!status` and the operator.
    Refused { error: String, at: DateTime<Utc> },
}

impl Outcome {
    pub fn delivered(queue: Queue, id: i64, remote_ids: Vec<String>, at: DateTime<Utc>) -> Self {
        Outcome {
            queue,
            id,
            result: Attempt::Delivered { remote_ids, at },
        }
    }
}

/// The archive. One connection writes (every write takes it, so writes are serialised);
/// reads go through [`readers`] connections and do not wait for writes.
pub struct Archive {
    conn: Mutex<Connection>,
    readers: readers::Readers,
    path: PathBuf,
    /// Told of delivery rows as they are committed (see [`Archive::listen`]).
    listeners: Mutex<Vec<Weak<dyn DeliveryListener>>>,
    /// Reads of a target's entry queue (see [`Archive::queue_reads`]).
    queue_reads: AtomicU64,
}

fn ms_to_utc(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

impl Archive {
    /// Opens (creating if needed) the archive at `path` and applies migrations.
    pub fn open(path: &Path) -> Result<Archive> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|source| ArchiveError::Folder {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        schema::migrate(&conn, path)?;
        Ok(Archive {
            conn: Mutex::new(conn),
            readers: readers::Readers::new(path),
            path: path.to_path_buf(),
            listeners: Mutex::new(Vec::new()),
            queue_reads: AtomicU64::new(0),
        })
    }

    /// From now on tells `listener` of every entry delivery row this archive commits, until
    /// the listener is dropped. Rows written by another process are not told of.
    pub fn listen(&self, listener: Weak<dyn DeliveryListener>) {
        let mut all = self.listeners.lock().unwrap_or_else(|p| p.into_inner());
        all.retain(|l| l.strong_count() > 0);
        all.push(listener);
    }

    /// Calls `f` on each live listener. Callers hold the writer lock, so listeners hear of
    /// commits in the order they were made.
    fn tell(&self, f: impl Fn(&dyn DeliveryListener)) {
        let all = self.listeners.lock().unwrap_or_else(|p| p.into_inner());
        for l in all.iter().filter_map(Weak::upgrade) {
            f(&*l);
        }
    }

    /// How many times a target's entry queue has been read
    /// ([`Archive::next_delivery_and_more`]): the outbox reads it only when it cannot know
    /// what is pending.
    pub fn queue_reads(&self) -> u64 {
        self.queue_reads.load(Ordering::Relaxed)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite inconsistent (transactions roll
        // back on drop), so a poisoned lock is still safe to use.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A connection for reading only: it sees every committed write and never waits for one.
    fn read(&self) -> readers::Reader<'_> {
        match self.readers.take() {
            Some(conn) => readers::Reader::Pooled {
                conn: Some(conn),
                readers: &self.readers,
            },
            None => readers::Reader::Writer(self.conn()),
        }
    }

    /// Checks the archive is writable (for `/healthz`): a write transaction that is rolled back.
    pub fn check_writable(&self) -> Result<()> {
        let conn = self.conn();
        conn.execute_batch("BEGIN IMMEDIATE; ROLLBACK;")?;
        Ok(())
    }

    // ----- meetings -------------------------------------------------------------------------

    /// Preloads a meeting and its agenda (`gavel schedule`).
    pub fn schedule_meeting(
        &self,
        title: &str,
        timezone: Tz,
        date: Option<NaiveDate>,
        items: &[PlannedItem],
        now: DateTime<Utc>,
    ) -> Result<MeetingId> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        tx.execute(
            "INSERT INTO meetings (title, timezone, scheduled_for, created_at_ms) VALUES (?1, ?2, ?3, ?4)",
            params![title, timezone.name(), date.map(|d| d.to_string()), now.timestamp_millis()],
        )?;
        let id = tx.last_insert_rowid();
        for (i, item) in items.iter().enumerate() {
            tx.execute(
                "INSERT INTO planned_items (meeting_id, position, number, title) VALUES (?1, ?2, ?3, ?4)",
                params![id, i as i64, item.number, item.title],
            )?;
        }
        tx.commit()?;
        Ok(MeetingId(id))
    }

    pub fn planned_items(&self, meeting: MeetingId) -> Result<Vec<PlannedItem>> {
        let conn = self.read();
        let mut st = conn.prepare_cached(
            "SELECT number, title FROM planned_items WHERE meeting_id = ?1 ORDER BY position",
        )?;
        let rows = st.query_map([meeting.0], |r| {
            Ok(PlannedItem {
                number: r.get(0)?,
                title: r.get(1)?,
            })
        })?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    const MEETING_SELECT: &'static str =
        "SELECT m.id, m.title, m.timezone, m.scheduled_for, m.created_at_ms,
            (SELECT ts_ms FROM entries e WHERE e.meeting_id = m.id AND e.kind = 'start' LIMIT 1),
            (SELECT ts_ms FROM entries e WHERE e.meeting_id = m.id AND e.kind = 'end' LIMIT 1),
            (SELECT COUNT(*) FROM entries e WHERE e.meeting_id = m.id)
         FROM meetings m";

    fn meeting_row(r: &Row<'_>) -> rusqlite::Result<MeetingRecord> {
        let sched: Option<String> = r.get(3)?;
        Ok(MeetingRecord {
            id: MeetingId(r.get(0)?),
            title: r.get(1)?,
            timezone: r.get(2)?,
            scheduled_for: sched.and_then(|s| NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok()),
            created_at: ms_to_utc(r.get(4)?),
            started_at: r.get::<_, Option<i64>>(5)?.map(ms_to_utc),
            ended_at: r.get::<_, Option<i64>>(6)?.map(ms_to_utc),
            entry_count: r.get::<_, i64>(7)? as u32,
        })
    }

    /// Every meeting, oldest first.
    pub fn meetings(&self) -> Result<Vec<MeetingRecord>> {
        let conn = self.read();
        let mut st = conn.prepare_cached(&format!("{} ORDER BY m.id", Self::MEETING_SELECT))?;
        let rows = st.query_map([], Self::meeting_row)?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    pub fn meeting(&self, id: MeetingId) -> Result<Option<MeetingRecord>> {
        let conn = self.read();
        let mut st = conn.prepare_cached(&format!("{} WHERE m.id = ?1", Self::MEETING_SELECT))?;
        Ok(st.query_row([id.0], Self::meeting_row).optional()?)
    }

    /// The meeting that has started and not ended, if any.
    pub fn open_meeting(&self) -> Result<Option<MeetingId>> {
        let conn = self.read();
        let id: Option<i64> = conn
            .query_row(
                "SELECT s.meeting_id FROM entries s WHERE s.kind = 'start'
                   AND NOT EXISTS (SELECT 1 FROM entries e WHERE e.meeting_id = s.meeting_id AND e.kind = 'end')
                 ORDER BY s.id DESC LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()?;
        Ok(id.map(MeetingId))
    }

    /// The next scheduled meeting that has not started: earliest date first, then oldest.
    pub fn next_scheduled(&self, today: NaiveDate) -> Result<Option<MeetingRecord>> {
        let all = self.meetings()?;
        let mut pending: Vec<MeetingRecord> = all
            .into_iter()
            .filter(|m| m.entry_count == 0 && m.scheduled_for.is_none_or(|d| d >= today))
            .collect();
        pending.sort_by_key(|m| (m.scheduled_for, m.id));
        Ok(pending.into_iter().next())
    }

    // ----- entries --------------------------------------------------------------------------

    /// Appends an entry and its delivery rows in one transaction. If the draft's source message
    /// was archived before, nothing is written and the earlier entry is returned.
    pub fn append(
        &self,
        meeting: MeetingRef,
        draft: EntryDraft,
        deliveries: &[(String, DeliveryOp)],
    ) -> Result<Appended> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let mut ids = Vec::new();
        let appended = Self::append_in(&tx, meeting, draft, deliveries, &mut ids)?;
        tx.commit()?;
        if let Appended::New(entry) = &appended
            && !ids.is_empty()
        {
            // Still holding the writer: listeners hear of rows in commit order.
            let entry = Arc::new(entry.clone());
            let rows: Vec<NewDelivery<'_>> = deliveries
                .iter()
                .zip(ids)
                .map(|((target, op), id)| NewDelivery {
                    target,
                    id,
                    op: *op,
                })
                .collect();
            self.tell(|l| l.committed(&entry, &rows));
        }
        drop(conn);
        Ok(appended)
    }

    /// Runs `f` with a [`Batch`]: every append in it is exactly [`Archive::append`]'s, but all of
    /// them share one transaction, committed when `f` returns `Ok` and rolled back otherwise.
    /// For bulk loading (benchmarks, imports), not for live commands: one failure loses the
    /// whole batch.
    pub fn append_many<T>(&self, f: impl FnOnce(&mut Batch<'_>) -> Result<T>) -> Result<T> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let mut batch = Batch {
            tx,
            wrote_deliveries: false,
        };
        let out = f(&mut batch)?;
        let Batch {
            tx,
            wrote_deliveries,
        } = batch;
        tx.commit()?;
        if wrote_deliveries {
            // Still holding the writer, as in `append`.
            self.tell(|l| l.committed_unlisted());
        }
        Ok(out)
    }

    fn append_in(
        tx: &rusqlite::Transaction<'_>,
        meeting: MeetingRef,
        draft: EntryDraft,
        deliveries: &[(String, DeliveryOp)],
        ids: &mut Vec<i64>,
    ) -> Result<Appended> {
        if let Some(src) = &draft.source {
            let existing: Option<i64> = tx
                .query_row(
                    "SELECT id FROM entries WHERE source_platform = ?1 AND source_id = ?2",
                    params![src.platform, src.message_id],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(id) = existing {
                let e = Self::entry_by_id_in(tx, id)?
                    .ok_or_else(|| ArchiveError::Corrupt(format!("entry row {id} vanished")))?;
                return Ok(Appended::Duplicate(e));
            }
        }
        let meeting_id = match meeting {
            MeetingRef::Existing(id) => {
                let exists: Option<i64> = tx
                    .prepare_cached("SELECT id FROM meetings WHERE id = ?1")?
                    .query_row([id.0], |r| r.get(0))
                    .optional()?;
                if exists.is_none() {
                    return Err(ArchiveError::NoSuchMeeting(id));
                }
                id
            }
            MeetingRef::New {
                title,
                scheduled: Some(id),
            } => {
                let _ = title;
                id
            }
            MeetingRef::New {
                title,
                scheduled: None,
            } => {
                tx.execute(
                    "INSERT INTO meetings (title, timezone, scheduled_for, created_at_ms) VALUES (?1, ?2, NULL, ?3)",
                    params![title, draft.timezone.name(), draft.at.timestamp_millis()],
                )?;
                MeetingId(tx.last_insert_rowid())
            }
        };
        let (last_seq, last_hash): (i64, Option<String>) = tx
            .prepare_cached(
                "SELECT COALESCE(MAX(seq), 0), (SELECT hash FROM entries WHERE meeting_id = ?1 ORDER BY seq DESC LIMIT 1)
                 FROM entries WHERE meeting_id = ?1",
            )?
            .query_row([meeting_id.0], |r| Ok((r.get(0)?, r.get(1)?)))?;
        let prev_hash = match last_hash {
            Some(h) => h,
            None => {
                let m = Self::meeting_header_in(tx, meeting_id)?;
                hash::genesis(&m)
            }
        };
        let mut entry = Entry {
            id: 0,
            meeting: meeting_id,
            seq: EntryNo(last_seq as u32 + 1),
            kind: draft.kind,
            fields: draft.fields,
            text: draft.text,
            author: draft.author,
            at: ms_to_utc(draft.at.timestamp_millis()),
            timezone: draft.timezone,
            refers_to: draft.refers_to,
            confidential: draft.confidential,
            source: draft.source,
            prev_hash,
            hash: String::new(),
        };
        entry.hash = hash::entry_hash(&entry);
        tx.prepare_cached(
            "INSERT INTO entries (meeting_id, seq, kind, fields, text, author_platform, author_id, author_name,
                                  ts_ms, timezone, refers_to, confidential, source_platform, source_id, prev_hash, hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
        )?
        .execute(params![
                entry.meeting.0,
                entry.seq.0,
                entry.kind.as_str(),
                hash::canonical_json(&entry.fields),
                entry.text,
                entry.author.platform,
                entry.author.user_id,
                entry.author.display_name,
                entry.at.timestamp_millis(),
                entry.timezone.name(),
                entry.refers_to.map(|n| n.0),
                entry.confidential,
                entry.source.as_ref().map(|s| &s.platform),
                entry.source.as_ref().map(|s| &s.message_id),
                entry.prev_hash,
                entry.hash,
            ])?;
        entry.id = tx.last_insert_rowid();
        if !entry.confidential {
            tx.prepare_cached("INSERT INTO entries_fts (rowid, text) VALUES (?1, ?2)")?
                .execute(params![entry.id, entry.text])?;
        }
        let now = Utc::now().timestamp_millis();
        for (target, op) in deliveries {
            tx.prepare_cached(
                "INSERT INTO deliveries (target, entry_id, op, state, attempts, created_ms) VALUES (?1, ?2, ?3, 'pending', 0, ?4)",
            )?
            .execute(params![target, entry.id, op.as_str(), now])?;
            ids.push(tx.last_insert_rowid());
        }
        Ok(Appended::New(entry))
    }

    fn meeting_header_in(conn: &Connection, id: MeetingId) -> Result<hash::MeetingHeader> {
        conn.query_row(
            "SELECT id, title, timezone, scheduled_for, created_at_ms FROM meetings WHERE id = ?1",
            [id.0],
            |r| {
                Ok(hash::MeetingHeader {
                    id: MeetingId(r.get(0)?),
                    title: r.get(1)?,
                    timezone: r.get(2)?,
                    scheduled_for: r.get(3)?,
                    created_at_ms: r.get(4)?,
                })
            },
        )
        .optional()?
        .ok_or(ArchiveError::NoSuchMeeting(id))
    }

    const ENTRY_SELECT: &'static str = "SELECT id, meeting_id, seq, kind, fields, text, author_platform, author_id, author_name,
                ts_ms, timezone, refers_to, confidential, source_platform, source_id, prev_hash, hash FROM entries";

    fn entry_row(r: &Row<'_>) -> rusqlite::Result<std::result::Result<Entry, String>> {
        let kind: String = r.get(3)?;
        let fields: String = r.get(4)?;
        let tz: String = r.get(10)?;
        let sp: Option<String> = r.get(13)?;
        let si: Option<String> = r.get(14)?;
        let Some(kind) = EntryKind::parse(&kind) else {
            return Ok(Err(format!("unknown entry kind `{kind}`")));
        };
        let fields = match serde_json::from_str(&fields) {
            Ok(f) => f,
            Err(e) => return Ok(Err(format!("fields are not JSON: {e}"))),
        };
        let timezone = match tz.parse::<Tz>() {
            Ok(t) => t,
            Err(_) => return Ok(Err(format!("unknown time zone `{tz}`"))),
        };
        Ok(Ok(Entry {
            id: r.get(0)?,
            meeting: MeetingId(r.get(1)?),
            seq: EntryNo(r.get::<_, i64>(2)? as u32),
            kind,
            fields,
            text: r.get(5)?,
            author: Author {
                platform: r.get(6)?,
                user_id: r.get(7)?,
                display_name: r.get(8)?,
            },
            at: ms_to_utc(r.get(9)?),
            timezone,
            refers_to: r.get::<_, Option<i64>>(11)?.map(|n| EntryNo(n as u32)),
            confidential: r.get(12)?,
            source: match (sp, si) {
                (None, None) => None,
                (sp, si) => Some(SourceRef {
                    platform: sp.unwrap_or_default(),
                    message_id: si.unwrap_or_default(),
                }),
            },
            prev_hash: r.get(15)?,
            hash: r.get(16)?,
        }))
    }

    fn collect_entries(
        rows: impl Iterator<Item = rusqlite::Result<std::result::Result<Entry, String>>>,
    ) -> Result<Vec<Entry>> {
        let mut out = Vec::new();
        for r in rows {
            out.push(r?.map_err(ArchiveError::Corrupt)?);
        }
        Ok(out)
    }

    fn entry_by_id_in(conn: &Connection, id: i64) -> Result<Option<Entry>> {
        let mut st = conn.prepare_cached(&format!("{} WHERE id = ?1", Self::ENTRY_SELECT))?;
        let r = st.query_row([id], Self::entry_row).optional()?;
        r.map(|e| e.map_err(ArchiveError::Corrupt)).transpose()
    }

    pub fn entry_by_id(&self, id: i64) -> Result<Option<Entry>> {
        Self::entry_by_id_in(&self.read(), id)
    }

    /// All entries of a meeting in sequence order (confidential ones included).
    pub fn entries(&self, meeting: MeetingId) -> Result<Vec<Entry>> {
        let conn = self.read();
        let mut st = conn.prepare_cached(&format!(
            "{} WHERE meeting_id = ?1 ORDER BY seq",
            Self::ENTRY_SELECT
        ))?;
        let rows = st.query_map([meeting.0], Self::entry_row)?;
        Self::collect_entries(rows)
    }

    /// Entries of a meeting after sequence number `after`, in order (for SSE resume).
    pub fn entries_after(&self, meeting: MeetingId, after: u32) -> Result<Vec<Entry>> {
        let conn = self.read();
        let mut st = conn.prepare_cached(&format!(
            "{} WHERE meeting_id = ?1 AND seq > ?2 ORDER BY seq",
            Self::ENTRY_SELECT
        ))?;
        let rows = st.query_map(params![meeting.0, after], Self::entry_row)?;
        Self::collect_entries(rows)
    }

    pub fn entry(&self, meeting: MeetingId, seq: EntryNo) -> Result<Option<Entry>> {
        let conn = self.read();
        let mut st = conn.prepare_cached(&format!(
            "{} WHERE meeting_id = ?1 AND seq = ?2",
            Self::ENTRY_SELECT
        ))?;
        let r = st
            .query_row(params![meeting.0, seq.0], Self::entry_row)
            .optional()?;
        r.map(|e| e.map_err(ArchiveError::Corrupt)).transpose()
    }

    /// The most recent entries across all meetings, newest first (for feeds).
    pub fn recent_entries(&self, limit: u32) -> Result<Vec<Entry>> {
        let conn = self.read();
        let mut st = conn.prepare_cached(&format!(
            "{} WHERE confidential = 0 ORDER BY id DESC LIMIT ?1",
            Self::ENTRY_SELECT
        ))?;
        let rows = st.query_map([limit], Self::entry_row)?;
        Self::collect_entries(rows)
    }

    // ----- search ---------------------------------------------------------------------------

    /// Full-text search over published entries. Every word of `query` must match; FTS syntax in
    /// the query is treated as plain words.
    pub fn search(&self, query: &str, limit: u32) -> Result<Vec<SearchHit>> {
        let terms: Vec<String> = query
            .split(|c: char| !c.is_alphanumeric() && c != '\'')
            .filter(|w| !w.is_empty())
            .take(16)
            .map(|w| format!("\"{}\"", w.replace('"', "")))
            .collect();
        if terms.is_empty() {
            return Ok(Vec::new());
        }
        let fts = terms.join(" ");
        // Newest first by the index's own rowid (= entries.id): FTS5 then walks its matches in
        // that order and the LIMIT stops it early. Ordering by `e.id` instead made SQLite join,
        // snippet and sort every match before taking the first few (see BENCHMARKS.md).
        let conn = self.read();
        let mut st = conn.prepare_cached(
            "SELECT e.meeting_id, m.title, e.seq, e.ts_ms, e.timezone, e.kind,
                    snippet(entries_fts, 0, char(2), char(3), '…', 16)
             FROM entries_fts JOIN entries e ON e.id = entries_fts.rowid JOIN meetings m ON m.id = e.meeting_id
             WHERE entries_fts MATCH ?1 ORDER BY entries_fts.rowid DESC LIMIT ?2",
        )?;
        let rows = st.query_map(params![fts, limit], |r| {
            let kind: String = r.get(5)?;
            Ok(SearchHit {
                meeting: MeetingId(r.get(0)?),
                meeting_title: r.get(1)?,
                seq: EntryNo(r.get::<_, i64>(2)? as u32),
                at: ms_to_utc(r.get(3)?),
                timezone: r.get(4)?,
                kind: EntryKind::parse(&kind).unwrap_or(EntryKind::Note),
                snippet: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    // ----- verification ---------------------------------------------------------------------

    /// Recomputes the hash chain of one meeting or of all meetings.
    pub fn verify(&self, meeting: Option<MeetingId>) -> Result<Vec<ChainReport>> {
        let ids: Vec<MeetingId> = match meeting {
            Some(id) => {
                if self.meeting(id)?.is_none() {
                    return Err(ArchiveError::NoSuchMeeting(id));
                }
                vec![id]
            }
            None => self.meetings()?.into_iter().map(|m| m.id).collect(),
        };
        let workers = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
        self.verify_ids(&ids, workers)
    }

    /// Verifies `ids` (reports in the same order). Below [`VERIFY_PARALLEL_MIN`] meetings, or
    /// with one worker, on the archive's own connection; otherwise `workers` threads share the
    /// meetings, each reading through its own read-only connection: chains are independent and
    /// WAL lets readers run beside the writer. Each meeting is read exactly as the sequential
    /// path reads it, so the reports are the same.
    fn verify_ids(&self, ids: &[MeetingId], workers: usize) -> Result<Vec<ChainReport>> {
        if workers < 2 || ids.len() < VERIFY_PARALLEL_MIN {
            let conn = self.read();
            return ids
                .iter()
                .map(|id| Self::verify_meeting_in(&conn, *id))
                .collect();
        }
        let next = AtomicUsize::new(0);
        let work = || -> Result<Vec<(usize, ChainReport)>> {
            let conn = Connection::open_with_flags(
                &self.path,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?;
            conn.busy_timeout(std::time::Duration::from_secs(10))?;
            let mut done = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(id) = ids.get(i) else {
                    return Ok(done);
                };
                done.push((i, Self::verify_meeting_in(&conn, *id)?));
            }
        };
        let parts: Vec<Result<Vec<(usize, ChainReport)>>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..workers).map(|_| s.spawn(work)).collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                .collect()
        });
        let mut all = Vec::with_capacity(ids.len());
        for part in parts {
            all.extend(part?);
        }
        all.sort_unstable_by_key(|(i, _)| *i);
        Ok(all.into_iter().map(|(_, r)| r).collect())
    }

    fn verify_meeting_in(conn: &Connection, id: MeetingId) -> Result<ChainReport> {
        let header = Self::meeting_header_in(conn, id)?;
        let mut st = conn.prepare_cached(&format!(
            "{} WHERE meeting_id = ?1 ORDER BY seq",
            Self::ENTRY_SELECT
        ))?;
        let mut rows = Vec::new();
        for row in st.query_map([id.0], Self::entry_row)? {
            rows.push(row?);
        }
        Ok(check_chain(id, &header, rows))
    }

    /// Verifies a meeting's chain over entries the caller has already read with [`entries`],
    /// sparing a second read (exports load and verify the same entries).
    ///
    /// [`entries`]: Archive::entries
    pub fn verify_loaded(&self, id: MeetingId, entries: &[Entry]) -> Result<ChainReport> {
        let header = Self::meeting_header_in(&self.read(), id)?;
        Ok(check_chain(id, &header, entries.iter().cloned().map(Ok)))
    }

    // ----- checkpoints ----------------------------------------------------------------------

    pub fn save_checkpoint(&self, c: &Checkpoint) -> Result<()> {
        self.conn().execute(
            "INSERT OR REPLACE INTO checkpoints (meeting_id, head, entries, public_key, signature, signed_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![c.meeting.0, c.head, c.entries, c.public_key, c.signature, c.signed_at.timestamp_millis()],
        )?;
        Ok(())
    }

    pub fn checkpoint(&self, meeting: MeetingId) -> Result<Option<Checkpoint>> {
        Ok(self
            .read()
            .query_row(
                "SELECT meeting_id, head, entries, public_key, signature, signed_at_ms FROM checkpoints WHERE meeting_id = ?1",
                [meeting.0],
                |r| {
                    Ok(Checkpoint {
                        meeting: MeetingId(r.get(0)?),
                        head: r.get(1)?,
                        entries: r.get(2)?,
                        public_key: r.get(3)?,
                        signature: r.get(4)?,
                        signed_at: ms_to_utc(r.get(5)?),
                    })
                },
            )
            .optional()?)
    }

    // ----- outbox ---------------------------------------------------------------------------

    /// The oldest pending delivery for `target`, if any.
    pub fn next_delivery(&self, target: &str) -> Result<Option<Delivery>> {
        Ok(self.next_delivery_and_more(target)?.0)
    }

    /// The oldest pending delivery for `target`, and whether another is pending behind it.
    pub fn next_delivery_and_more(&self, target: &str) -> Result<(Option<Delivery>, bool)> {
        self.queue_reads.fetch_add(1, Ordering::Relaxed);
        let conn = self.read();
        let mut st = conn.prepare_cached(
            "SELECT id, entry_id, op, attempts, next_attempt_ms FROM deliveries
             WHERE target = ?1 AND state = 'pending' ORDER BY id LIMIT 2",
        )?;
        let mut rows = st.query_map([target], |r| {
            Ok::<(i64, i64, String, i64, Option<i64>), _>((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
            ))
        })?;
        let Some((id, entry_id, op, attempts, next)) = rows.next().transpose()? else {
            return Ok((None, false));
        };
        let more = rows.next().transpose()?.is_some();
        drop(rows);
        drop(st);
        let entry = Self::entry_by_id_in(&conn, entry_id)?.ok_or_else(|| {
            ArchiveError::Corrupt(format!("delivery {id} names missing entry {entry_id}"))
        })?;
        let op = DeliveryOp::parse(&op)
            .ok_or_else(|| ArchiveError::Corrupt(format!("delivery {id} has unknown op {op}")))?;
        Ok((
            Some(Delivery {
                id,
                target: target.to_string(),
                entry,
                op,
                attempts: attempts as u32,
                next_attempt_at: next.map(ms_to_utc),
            }),
            more,
        ))
    }

    /// Records what became of delivery attempts, all in one transaction: one commit (and one
    /// fsync) for a whole group of targets that finished together. Rows of either queue may be
    /// mixed. Nothing is recorded if any update fails.
    pub fn record_outcomes(&self, outcomes: &[Outcome]) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        for o in outcomes {
            let table = o.queue.table();
            match &o.result {
                Attempt::Delivered { remote_ids, at } => {
                    let ids = serde_json::to_string(remote_ids).unwrap_or_else(|_| "[]".into());
                    tx.prepare_cached(&format!(
                        "UPDATE {table} SET state = 'done', remote_ids = ?2, delivered_ms = ?3, last_error = NULL WHERE id = ?1"
                    ))?
                    .execute(params![o.id, ids, at.timestamp_millis()])?;
                }
                Attempt::Retry { error, next_at } => {
                    tx.prepare_cached(&format!(
                        "UPDATE {table} SET attempts = attempts + 1, last_error = ?2, next_attempt_ms = ?3 WHERE id = ?1"
                    ))?
                    .execute(params![o.id, error, next_at.timestamp_millis()])?;
                }
                Attempt::Refused { error, at } => {
                    tx.prepare_cached(&format!(
                        "UPDATE {table} SET state = 'failed', attempts = attempts + 1, last_error = ?2, delivered_ms = ?3 WHERE id = ?1"
                    ))?
                    .execute(params![o.id, error, at.timestamp_millis()])?;
                }
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Pending rows of `queue` for `target`.
    fn pending_rows(&self, queue: Queue, target: &str) -> Result<u32> {
        let n: i64 = self
            .read()
            .prepare_cached(&format!(
                "SELECT COUNT(*) FROM {} WHERE target = ?1 AND state = 'pending'",
                queue.table()
            ))?
            .query_row([target], |r| r.get(0))?;
        Ok(n as u32)
    }

    /// Remote message ids of the original post of `entry_id` on `target`: `None` if it was never
    /// delivered there.
    pub fn remote_ids(&self, target: &str, entry_id: i64) -> Result<Option<Vec<String>>> {
        let ids: Option<Option<String>> = self
            .read()
            .prepare_cached(
                "SELECT remote_ids FROM deliveries WHERE target = ?1 AND entry_id = ?2 AND op = 'post' AND state = 'done'
                 ORDER BY id LIMIT 1",
            )?
            .query_row(
                params![target, entry_id],
                |r| r.get(0),
            )
            .optional()?;
        Ok(ids.map(|s| {
            s.and_then(|s| serde_json::from_str(&s).ok())
                .unwrap_or_default()
        }))
    }

    /// The title of `meeting` and the remote ids of its opening (`start`) post on `target`:
    /// `None` when that post has not been delivered there (still queued, refused for good, or
    /// the target was added later).
    pub fn opening_post(
        &self,
        target: &str,
        meeting: MeetingId,
    ) -> Result<Option<(String, Vec<String>)>> {
        let row: Option<(String, Option<String>)> = self
            .read()
            .prepare_cached(
                "SELECT m.title, d.remote_ids FROM entries e
                 JOIN meetings m ON m.id = e.meeting_id
                 JOIN deliveries d ON d.entry_id = e.id
                 WHERE e.meeting_id = ?1 AND e.kind = 'start'
                   AND d.target = ?2 AND d.op = 'post' AND d.state = 'done'
                 ORDER BY d.id LIMIT 1",
            )?
            .query_row(params![meeting.0, target], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        Ok(row.map(|(title, ids)| {
            let ids = ids
                .and_then(|s| serde_json::from_str(&s).ok())
                .unwrap_or_default();
            (title, ids)
        }))
    }

    /// How `entry_id`'s delivery rows stand: done, refused for good, and in all.
    pub fn delivery_tally(&self, entry_id: i64) -> Result<DeliveryTally> {
        let conn = self.read();
        let (done, total): (i64, i64) = conn.query_row(
            "SELECT COALESCE(SUM(state = 'done'), 0), COUNT(*) FROM deliveries WHERE entry_id = ?1",
            [entry_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let mut st = conn.prepare_cached("SELECT target FROM deliveries WHERE entry_id = ?1 AND state = 'failed' ORDER BY target")?;
        let failed = st
            .query_map([entry_id], |r| r.get(0))?
            .collect::<std::result::Result<Vec<String>, _>>()?;
        Ok(DeliveryTally {
            done: done as u32,
            total: total as u32,
            failed,
        })
    }

    /// Pending deliveries for `target`.
    pub fn queue_depth(&self, target: &str) -> Result<u32> {
        self.pending_rows(Queue::Entries, target)
    }

    /// The last error recorded on `target`'s oldest pending delivery.
    pub fn head_error(&self, target: &str) -> Result<Option<String>> {
        Ok(self
            .read()
            .query_row(
                "SELECT last_error FROM deliveries WHERE target = ?1 AND state = 'pending' ORDER BY id LIMIT 1",
                [target],
                |r| r.get(0),
            )
            .optional()?
            .flatten())
    }

    /// Delivery counts by (target, state), for metrics.
    pub fn delivery_counts(&self) -> Result<Vec<(String, String, u64)>> {
        let conn = self.read();
        let mut st = conn.prepare_cached(
            "SELECT target, state, COUNT(*) FROM deliveries GROUP BY target, state ORDER BY target, state",
        )?;
        let rows = st.query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)? as u64))
        })?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    pub fn entry_count(&self) -> Result<u64> {
        let n: i64 = self
            .read()
            .query_row("SELECT COUNT(*) FROM entries", [], |r| r.get(0))?;
        Ok(n as u64)
    }

    /// Runs `f` with the raw connection: for tests and tools that need SQL the API does not offer.
    pub fn with_connection<T>(&self, f: impl FnOnce(&Connection) -> T) -> T {
        f(&self.conn())
    }
}

/// Walks one meeting's entries (in sequence order) from its genesis and reports the first
/// problem: an unreadable row, a missing sequence number, a broken link or a changed entry.
fn check_chain(
    id: MeetingId,
    header: &hash::MeetingHeader,
    rows: impl IntoIterator<Item = std::result::Result<Entry, String>>,
) -> ChainReport {
    let mut running = hash::genesis(header);
    let mut count = 0u32;
    let mut problem = None;
    for row in rows {
        count += 1;
        let expected_seq = EntryNo(count);
        let entry = match row {
            Ok(e) => e,
            Err(detail) => {
                problem.get_or_insert(ChainProblem {
                    entry: Some(expected_seq),
                    detail,
                });
                continue;
            }
        };
        if problem.is_some() {
            continue;
        }
        if entry.seq != expected_seq {
            problem = Some(ChainProblem {
                entry: Some(expected_seq),
                detail: format!(
                    "entry {expected_seq} is missing (next stored is {})",
                    entry.seq
                ),
            });
            continue;
        }
        if entry.prev_hash != running {
            let first = entry.seq.0 == 1;
            problem = Some(ChainProblem {
                entry: if first { None } else { Some(entry.seq) },
                detail: if first {
                    "the meeting's record (title, zone or date) was changed".to_string()
                } else {
                    "previous-hash link does not match the entry before it".to_string()
                },
            });
            continue;
        }
        if hash::entry_hash(&entry) != entry.hash {
            problem = Some(ChainProblem {
                entry: Some(entry.seq),
                detail: "content does not match its hash: the entry was changed".to_string(),
            });
            continue;
        }
        running = entry.hash.clone();
    }
    ChainReport {
        meeting: id,
        entries: count,
        head: running,
        problem,
    }
}

#[cfg(test)]
mod tests;
