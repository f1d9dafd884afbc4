//! Entries in SQLite: appends (each extends its meeting's chain inside one write transaction),
//! reads and verification.

use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::Utc;
use chrono_tz::Tz;
use rusqlite::{Connection, OpenFlags, OptionalExtension, Row, params};

use super::{SqliteArchive, ms_to_utc};
use crate::archive::commits::Commit;
use crate::archive::{
    Appended, ArchiveError, Batch, ChainReport, DeliveryOp, Entries, EntryDraft, MeetingRef,
    Meetings, Result, chain, hash,
};
use crate::domain::{Author, Entry, EntryKind, EntryNo, MeetingId, Payload, SourceRef};

/// A batch's transaction, and the delivery rows it wrote.
struct SqliteBatch<'a> {
    tx: rusqlite::Transaction<'a>,
    ids: Vec<i64>,
}

impl Batch for SqliteBatch<'_> {
    fn append(
        &mut self,
        meeting: MeetingRef,
        draft: EntryDraft,
        deliveries: &[(String, DeliveryOp)],
    ) -> Result<Appended> {
        SqliteArchive::append_in(&self.tx, meeting, draft, deliveries, &mut self.ids)
    }
}

/// `verify` of fewer meetings than this stays on one thread (threads and connections would cost
/// more than they save).
pub(super) const VERIFY_PARALLEL_MIN: usize = 64;

impl SqliteArchive {
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
        // What the desk expected the meeting's last entry to be.
        let expected = match &meeting {
            MeetingRef::Continue { last, .. } => Some(last.0 as i64),
            MeetingRef::Open { .. } => {
                if Self::open_meeting_in(tx)?.is_some() {
                    return Err(ArchiveError::Moved);
                }
                Some(0)
            }
            _ => None,
        };
        let meeting_id = match meeting {
            MeetingRef::Existing(id) | MeetingRef::Continue { meeting: id, .. } => {
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
                scheduled: Some(id),
                ..
            }
            | MeetingRef::Open {
                scheduled: Some(id),
                ..
            } => id,
            MeetingRef::New {
                title,
                scheduled: None,
            }
            | MeetingRef::Open {
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
        if expected.is_some_and(|n| n != last_seq) {
            return Err(ArchiveError::Moved);
        }
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
            payload: draft.payload,
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
                entry.kind().as_str(),
                hash::canonical_json(&entry.payload.to_json()),
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
        let payload = match Payload::from_json(kind, fields) {
            Ok(p) => p,
            Err(e) => return Ok(Err(format!("fields do not fit a {kind} entry: {e}"))),
        };
        let timezone = match tz.parse::<Tz>() {
            Ok(t) => t,
            Err(_) => return Ok(Err(format!("unknown time zone `{tz}`"))),
        };
        Ok(Ok(Entry {
            id: r.get(0)?,
            meeting: MeetingId(r.get(1)?),
            seq: EntryNo(r.get::<_, i64>(2)? as u32),
            payload,
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

    pub(super) fn entry_by_id_in(conn: &Connection, id: i64) -> Result<Option<Entry>> {
        let mut st = conn.prepare_cached(&format!("{} WHERE id = ?1", Self::ENTRY_SELECT))?;
        let r = st.query_row([id], Self::entry_row).optional()?;
        r.map(|e| e.map_err(ArchiveError::Corrupt)).transpose()
    }

    /// Verifies `ids` (reports in the same order). Below [`VERIFY_PARALLEL_MIN`] meetings, or
    /// with one worker, on one connection; otherwise `workers` threads share the
    /// meetings, each reading through its own read-only connection: chains are independent and
    /// WAL lets readers run beside the writer. Each meeting is read exactly as the sequential
    /// path reads it, so the reports are the same.
    pub(super) fn verify_ids(&self, ids: &[MeetingId], workers: usize) -> Result<Vec<ChainReport>> {
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
        Ok(chain::check(id, &header, rows))
    }
}

impl Entries for SqliteArchive {
    fn append(
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
            // Still holding the writer: commits are published in the order they were made.
            self.commits.publish(Commit::rows(entry, deliveries, ids));
        }
        drop(conn);
        Ok(appended)
    }

    fn append_batch(&self, f: &mut dyn FnMut(&mut dyn Batch) -> Result<()>) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let mut batch = SqliteBatch {
            tx,
            ids: Vec::new(),
        };
        f(&mut batch)?;
        let SqliteBatch { tx, ids } = batch;
        tx.commit()?;
        if !ids.is_empty() {
            // Still holding the writer, as in `append`.
            self.commits.publish(Commit::Unlisted);
        }
        Ok(())
    }

    fn entry_by_id(&self, id: i64) -> Result<Option<Entry>> {
        Self::entry_by_id_in(&self.read(), id)
    }

    fn entries(&self, meeting: MeetingId) -> Result<Vec<Entry>> {
        let conn = self.read();
        let mut st = conn.prepare_cached(&format!(
            "{} WHERE meeting_id = ?1 ORDER BY seq",
            Self::ENTRY_SELECT
        ))?;
        let rows = st.query_map([meeting.0], Self::entry_row)?;
        Self::collect_entries(rows)
    }

    fn entries_after(&self, meeting: MeetingId, after: u32) -> Result<Vec<Entry>> {
        let conn = self.read();
        let mut st = conn.prepare_cached(&format!(
            "{} WHERE meeting_id = ?1 AND seq > ?2 ORDER BY seq",
            Self::ENTRY_SELECT
        ))?;
        let rows = st.query_map(params![meeting.0, after], Self::entry_row)?;
        Self::collect_entries(rows)
    }

    fn entry(&self, meeting: MeetingId, seq: EntryNo) -> Result<Option<Entry>> {
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

    fn recent_entries(&self, limit: u32) -> Result<Vec<Entry>> {
        let conn = self.read();
        let mut st = conn.prepare_cached(&format!(
            "{} WHERE confidential = 0 ORDER BY id DESC LIMIT ?1",
            Self::ENTRY_SELECT
        ))?;
        let rows = st.query_map([limit], Self::entry_row)?;
        Self::collect_entries(rows)
    }

    fn entries_of_kinds(&self, kinds: &[EntryKind], confidential: bool) -> Result<Vec<Entry>> {
        let names: Vec<String> = kinds.iter().map(|k| format!("'{}'", k.as_str())).collect();
        let conn = self.read();
        let mut st = conn.prepare_cached(&format!(
            "{} WHERE kind IN ({}) AND (?1 OR confidential = 0) ORDER BY id",
            Self::ENTRY_SELECT,
            names.join(", ")
        ))?;
        let rows = st.query_map([confidential], Self::entry_row)?;
        Self::collect_entries(rows)
    }

    fn entry_count(&self) -> Result<u64> {
        let n: i64 = self
            .read()
            .query_row("SELECT COUNT(*) FROM entries", [], |r| r.get(0))?;
        Ok(n as u64)
    }

    fn verify(&self, meeting: Option<MeetingId>) -> Result<Vec<ChainReport>> {
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
}
