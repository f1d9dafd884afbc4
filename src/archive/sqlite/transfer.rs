//! Bulk rows in and out of SQLite (see [`crate::archive::transfer`]): pages read in key order,
//! and imported rows written with their ids, published entries indexed for search as `append`
//! indexes them.

use rusqlite::{Connection, Row, params};

use super::SqliteArchive;
use crate::archive::Result;
use crate::archive::commits::Commit;
use crate::archive::transfer::{
    ArchiveRows, CheckpointRow, EntryRow, MeetingRow, NoticeRow, Part, PlannedItemRow, QueueRow,
    StatusMessageRow, Transfer,
};

fn collect<T>(
    conn: &Connection,
    sql: &str,
    args: impl rusqlite::Params,
    f: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
) -> Result<Vec<T>> {
    let mut st = conn.prepare_cached(sql)?;
    let rows = st.query_map(args, f)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn queue_row(r: &Row<'_>) -> rusqlite::Result<QueueRow> {
    Ok(QueueRow {
        id: r.get(0)?,
        target: r.get(1)?,
        item_id: r.get(2)?,
        op: r.get(3)?,
        state: r.get(4)?,
        attempts: r.get(5)?,
        next_attempt_ms: r.get(6)?,
        remote_ids: r.get(7)?,
        last_error: r.get(8)?,
        created_ms: r.get(9)?,
        delivered_ms: r.get(10)?,
    })
}

/// Meetings after `after`, with their planned items, checkpoints and status messages.
fn meetings_page(conn: &Connection, after: i64, limit: u32) -> Result<ArchiveRows> {
    let meetings = collect(
        conn,
        "SELECT id, title, timezone, scheduled_for, created_at_ms, starts_at_ms, source_key,
                source_url
         FROM meetings WHERE id > ?1 ORDER BY id LIMIT ?2",
        params![after, limit],
        |r| {
            Ok(MeetingRow {
                id: r.get(0)?,
                title: r.get(1)?,
                timezone: r.get(2)?,
                scheduled_for: r.get(3)?,
                created_at_ms: r.get(4)?,
                starts_at_ms: r.get(5)?,
                source_key: r.get(6)?,
                source_url: r.get(7)?,
            })
        },
    )?;
    let Some(last) = meetings.last().map(|m| m.id) else {
        return Ok(ArchiveRows::default());
    };
    let range = params![after, last];
    let planned_items = collect(
        conn,
        "SELECT meeting_id, position, number, title, external_id, exempt, documents
         FROM planned_items WHERE meeting_id > ?1 AND meeting_id <= ?2 ORDER BY meeting_id, position",
        range,
        |r| {
            Ok(PlannedItemRow {
                meeting_id: r.get(0)?,
                position: r.get(1)?,
                number: r.get(2)?,
                title: r.get(3)?,
                external_id: r.get(4)?,
                exempt: r.get(5)?,
                documents: r.get(6)?,
            })
        },
    )?;
    let checkpoints = collect(
        conn,
        "SELECT meeting_id, head, entries, public_key, signature, signed_at_ms FROM checkpoints
         WHERE meeting_id > ?1 AND meeting_id <= ?2 ORDER BY meeting_id",
        range,
        |r| {
            Ok(CheckpointRow {
                meeting_id: r.get(0)?,
                head: r.get(1)?,
                entries: r.get(2)?,
                public_key: r.get(3)?,
                signature: r.get(4)?,
                signed_at_ms: r.get(5)?,
            })
        },
    )?;
    let status_messages = collect(
        conn,
        "SELECT target, meeting_id, remote_ids, text, edits, pinned, finalised, updated_ms
         FROM status_messages WHERE meeting_id > ?1 AND meeting_id <= ?2 ORDER BY meeting_id, target",
        range,
        |r| {
            Ok(StatusMessageRow {
                target: r.get(0)?,
                meeting_id: r.get(1)?,
                remote_ids: r.get(2)?,
                text: r.get(3)?,
                edits: r.get(4)?,
                pinned: r.get(5)?,
                finalised: r.get(6)?,
                updated_ms: r.get(7)?,
            })
        },
    )?;
    Ok(ArchiveRows {
        meetings,
        planned_items,
        checkpoints,
        status_messages,
        ..ArchiveRows::default()
    })
}

fn entries_page(conn: &Connection, after: i64, limit: u32) -> Result<ArchiveRows> {
    let entries = collect(
        conn,
        "SELECT id, meeting_id, seq, kind, fields, text, author_platform, author_id, author_name,
                ts_ms, timezone, refers_to, confidential, source_platform, source_id, prev_hash, hash
         FROM entries WHERE id > ?1 ORDER BY id LIMIT ?2",
        params![after, limit],
        |r| {
            Ok(EntryRow {
                id: r.get(0)?,
                meeting_id: r.get(1)?,
                seq: r.get(2)?,
                kind: r.get(3)?,
                fields: r.get(4)?,
                text: r.get(5)?,
                author_platform: r.get(6)?,
                author_id: r.get(7)?,
                author_name: r.get(8)?,
                ts_ms: r.get(9)?,
                timezone: r.get(10)?,
                refers_to: r.get(11)?,
                confidential: r.get(12)?,
                source_platform: r.get(13)?,
                source_id: r.get(14)?,
                prev_hash: r.get(15)?,
                hash: r.get(16)?,
            })
        },
    )?;
    Ok(ArchiveRows {
        entries,
        ..ArchiveRows::default()
    })
}

fn deliveries_page(conn: &Connection, after: i64, limit: u32) -> Result<ArchiveRows> {
    let deliveries = collect(
        conn,
        "SELECT id, target, entry_id, op, state, attempts, next_attempt_ms, remote_ids, last_error,
                created_ms, delivered_ms
         FROM deliveries WHERE id > ?1 ORDER BY id LIMIT ?2",
        params![after, limit],
        queue_row,
    )?;
    Ok(ArchiveRows {
        deliveries,
        ..ArchiveRows::default()
    })
}

/// Notices after `after`, with their delivery rows.
fn notices_page(conn: &Connection, after: i64, limit: u32) -> Result<ArchiveRows> {
    let notices = collect(
        conn,
        "SELECT id, key, kind, text, created_ms FROM notices WHERE id > ?1 ORDER BY id LIMIT ?2",
        params![after, limit],
        |r| {
            Ok(NoticeRow {
                id: r.get(0)?,
                key: r.get(1)?,
                kind: r.get(2)?,
                text: r.get(3)?,
                created_ms: r.get(4)?,
            })
        },
    )?;
    let Some(last) = notices.last().map(|n| n.id) else {
        return Ok(ArchiveRows::default());
    };
    let notice_deliveries = collect(
        conn,
        "SELECT id, target, notice_id, NULL, state, attempts, next_attempt_ms, remote_ids, last_error,
                created_ms, delivered_ms
         FROM notice_deliveries WHERE notice_id > ?1 AND notice_id <= ?2 ORDER BY id",
        params![after, last],
        queue_row,
    )?;
    Ok(ArchiveRows {
        notices,
        notice_deliveries,
        ..ArchiveRows::default()
    })
}

fn import(tx: &rusqlite::Transaction<'_>, rows: &ArchiveRows) -> Result<()> {
    for m in &rows.meetings {
        tx.prepare_cached(
            "INSERT INTO meetings (id, title, timezone, scheduled_for, created_at_ms, starts_at_ms,
                source_key, source_url) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?
        .execute(params![
            m.id,
            m.title,
            m.timezone,
            m.scheduled_for,
            m.created_at_ms,
            m.starts_at_ms,
            m.source_key,
            m.source_url
        ])?;
    }
    for p in &rows.planned_items {
        tx.prepare_cached(
            "INSERT INTO planned_items (meeting_id, position, number, title, external_id, exempt,
                documents) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?
        .execute(params![
            p.meeting_id,
            p.position,
            p.number,
            p.title,
            p.external_id,
            p.exempt,
            p.documents
        ])?;
    }
    for c in &rows.checkpoints {
        tx.prepare_cached(
            "INSERT INTO checkpoints (meeting_id, head, entries, public_key, signature, signed_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![c.meeting_id, c.head, c.entries, c.public_key, c.signature, c.signed_at_ms])?;
    }
    for s in &rows.status_messages {
        tx.prepare_cached(
            "INSERT INTO status_messages (target, meeting_id, remote_ids, text, edits, pinned, finalised, updated_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?
        .execute(params![
            s.target, s.meeting_id, s.remote_ids, s.text, s.edits, s.pinned, s.finalised, s.updated_ms
        ])?;
    }
    for e in &rows.entries {
        tx.prepare_cached(
            "INSERT INTO entries (id, meeting_id, seq, kind, fields, text, author_platform, author_id, author_name,
                                  ts_ms, timezone, refers_to, confidential, source_platform, source_id, prev_hash, hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
        )?
        .execute(params![
            e.id, e.meeting_id, e.seq, e.kind, e.fields, e.text, e.author_platform, e.author_id,
            e.author_name, e.ts_ms, e.timezone, e.refers_to, e.confidential, e.source_platform,
            e.source_id, e.prev_hash, e.hash
        ])?;
        if e.confidential == 0 {
            tx.prepare_cached("INSERT INTO entries_fts (rowid, text) VALUES (?1, ?2)")?
                .execute(params![e.id, e.text])?;
        }
    }
    for d in &rows.deliveries {
        tx.prepare_cached(
            "INSERT INTO deliveries (id, target, entry_id, op, state, attempts, next_attempt_ms,
                                     remote_ids, last_error, created_ms, delivered_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        )?
        .execute(params![
            d.id,
            d.target,
            d.item_id,
            d.op,
            d.state,
            d.attempts,
            d.next_attempt_ms,
            d.remote_ids,
            d.last_error,
            d.created_ms,
            d.delivered_ms
        ])?;
    }
    for n in &rows.notices {
        tx.prepare_cached(
            "INSERT INTO notices (id, key, kind, text, created_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![n.id, n.key, n.kind, n.text, n.created_ms])?;
    }
    for d in &rows.notice_deliveries {
        tx.prepare_cached(
            "INSERT INTO notice_deliveries (id, target, notice_id, state, attempts, next_attempt_ms,
                                            remote_ids, last_error, created_ms, delivered_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )?
        .execute(params![
            d.id, d.target, d.item_id, d.state, d.attempts, d.next_attempt_ms, d.remote_ids,
            d.last_error, d.created_ms, d.delivered_ms
        ])?;
    }
    Ok(())
}

impl Transfer for SqliteArchive {
    fn count_rows(&self, part: Part) -> Result<u64> {
        let table = match part {
            Part::Meetings => "meetings",
            Part::Entries => "entries",
            Part::Deliveries => "deliveries",
            Part::Notices => "notices",
        };
        let n: i64 = self
            .read()
            .query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))?;
        Ok(n as u64)
    }

    fn export_rows(&self, part: Part, after: i64, limit: u32) -> Result<ArchiveRows> {
        // One read transaction, so rows that ride along match the page they ride with.
        let conn = self.read();
        conn.execute_batch("BEGIN")?;
        let page = match part {
            Part::Meetings => meetings_page(&conn, after, limit),
            Part::Entries => entries_page(&conn, after, limit),
            Part::Deliveries => deliveries_page(&conn, after, limit),
            Part::Notices => notices_page(&conn, after, limit),
        };
        conn.execute_batch("COMMIT")?;
        page
    }

    fn import_rows(&self, rows: &ArchiveRows) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        import(&tx, rows)?;
        tx.commit()?;
        if !rows.deliveries.is_empty() {
            // Still holding the writer, as `append_batch` publishes.
            self.commits.publish(Commit::Unlisted);
        }
        Ok(())
    }
}
