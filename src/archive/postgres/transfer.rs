//! Bulk rows in and out of PostgreSQL (see [`crate::archive::transfer`]): pages read in key
//! order inside one snapshot, and imported rows written with their ids, after which each id
//! sequence is moved past the largest id so later appends number on from there.

use deadpool_postgres::ClientWrapper;
use tokio_postgres::Row;

use super::PostgresArchive;
use super::rows::{self, ENTRY_SELECT, begin, execute, finish, query, query_one};
use crate::archive::Result;
use crate::archive::commits::Commit;
use crate::archive::transfer::{
    ArchiveRows, CheckpointRow, MeetingRow, NoticeRow, Part, PlannedItemRow, QueueRow,
    StatusMessageRow, Transfer,
};

/// Tables whose ids come from a sequence.
const SEQUENCED: [&str; 5] = [
    "meetings",
    "entries",
    "deliveries",
    "notices",
    "notice_deliveries",
];

fn queue_row(r: &Row) -> Result<QueueRow> {
    Ok(QueueRow {
        id: r.try_get(0)?,
        target: r.try_get(1)?,
        item_id: r.try_get(2)?,
        op: r.try_get(3)?,
        state: r.try_get(4)?,
        attempts: r.try_get(5)?,
        next_attempt_ms: r.try_get(6)?,
        remote_ids: r.try_get(7)?,
        last_error: r.try_get(8)?,
        created_ms: r.try_get(9)?,
        delivered_ms: r.try_get(10)?,
    })
}

async fn meetings_page(c: &ClientWrapper, after: i64, limit: i64) -> Result<ArchiveRows> {
    let meetings = query(
        c,
        "SELECT id, title, timezone, scheduled_for, created_at_ms, starts_at_ms, source_key,
                source_url
         FROM meetings WHERE id > $1 ORDER BY id LIMIT $2",
        &[&after, &limit],
    )
    .await?
    .iter()
    .map(|r| {
        Ok(MeetingRow {
            id: r.try_get(0)?,
            title: r.try_get(1)?,
            timezone: r.try_get(2)?,
            scheduled_for: r.try_get(3)?,
            created_at_ms: r.try_get(4)?,
            starts_at_ms: r.try_get(5)?,
            source_key: r.try_get(6)?,
            source_url: r.try_get(7)?,
        })
    })
    .collect::<Result<Vec<_>>>()?;
    let Some(last) = meetings.last().map(|m| m.id) else {
        return Ok(ArchiveRows::default());
    };
    let planned_items = query(
        c,
        "SELECT meeting_id, position, number, title, external_id, exempt, documents
         FROM planned_items WHERE meeting_id > $1 AND meeting_id <= $2 ORDER BY meeting_id, position",
        &[&after, &last],
    )
    .await?
    .iter()
    .map(|r| {
        Ok(PlannedItemRow {
            meeting_id: r.try_get(0)?,
            position: r.try_get(1)?,
            number: r.try_get(2)?,
            title: r.try_get(3)?,
            external_id: r.try_get(4)?,
            exempt: r.try_get(5)?,
            documents: r.try_get(6)?,
        })
    })
    .collect::<Result<Vec<_>>>()?;
    let checkpoints = query(
        c,
        "SELECT meeting_id, head, entries, public_key, signature, signed_at_ms FROM checkpoints
         WHERE meeting_id > $1 AND meeting_id <= $2 ORDER BY meeting_id",
        &[&after, &last],
    )
    .await?
    .iter()
    .map(|r| {
        Ok(CheckpointRow {
            meeting_id: r.try_get(0)?,
            head: r.try_get(1)?,
            entries: r.try_get(2)?,
            public_key: r.try_get(3)?,
            signature: r.try_get(4)?,
            signed_at_ms: r.try_get(5)?,
        })
    })
    .collect::<Result<Vec<_>>>()?;
    let status_messages = query(
        c,
        "SELECT target, meeting_id, remote_ids, text, edits, pinned, finalised, updated_ms
         FROM status_messages WHERE meeting_id > $1 AND meeting_id <= $2 ORDER BY meeting_id, target",
        &[&after, &last],
    )
    .await?
    .iter()
    .map(|r| {
        Ok(StatusMessageRow {
            target: r.try_get(0)?,
            meeting_id: r.try_get(1)?,
            remote_ids: r.try_get(2)?,
            text: r.try_get(3)?,
            edits: r.try_get(4)?,
            pinned: r.try_get(5)?,
            finalised: r.try_get(6)?,
            updated_ms: r.try_get(7)?,
        })
    })
    .collect::<Result<Vec<_>>>()?;
    Ok(ArchiveRows {
        meetings,
        planned_items,
        checkpoints,
        status_messages,
        ..ArchiveRows::default()
    })
}

async fn page(c: &ClientWrapper, part: Part, after: i64, limit: i64) -> Result<ArchiveRows> {
    match part {
        Part::Meetings => meetings_page(c, after, limit).await,
        Part::Entries => {
            let sql = format!("{ENTRY_SELECT} WHERE id > $1 ORDER BY id LIMIT $2");
            let entries = query(c, &sql, &[&after, &limit])
                .await?
                .iter()
                .map(rows::entry_row)
                .collect::<Result<_>>()?;
            Ok(ArchiveRows {
                entries,
                ..ArchiveRows::default()
            })
        }
        Part::Deliveries => {
            let deliveries = query(
                c,
                "SELECT id, target, entry_id, op, state, attempts, next_attempt_ms, remote_ids,
                        last_error, created_ms, delivered_ms
                 FROM deliveries WHERE id > $1 ORDER BY id LIMIT $2",
                &[&after, &limit],
            )
            .await?
            .iter()
            .map(queue_row)
            .collect::<Result<_>>()?;
            Ok(ArchiveRows {
                deliveries,
                ..ArchiveRows::default()
            })
        }
        Part::Notices => notices_page(c, after, limit).await,
    }
}

async fn notices_page(c: &ClientWrapper, after: i64, limit: i64) -> Result<ArchiveRows> {
    let notices = query(
        c,
        "SELECT id, key, kind, text, created_ms FROM notices WHERE id > $1 ORDER BY id LIMIT $2",
        &[&after, &limit],
    )
    .await?
    .iter()
    .map(|r| {
        Ok(NoticeRow {
            id: r.try_get(0)?,
            key: r.try_get(1)?,
            kind: r.try_get(2)?,
            text: r.try_get(3)?,
            created_ms: r.try_get(4)?,
        })
    })
    .collect::<Result<Vec<_>>>()?;
    let Some(last) = notices.last().map(|n| n.id) else {
        return Ok(ArchiveRows::default());
    };
    let notice_deliveries = query(
        c,
        "SELECT id, target, notice_id, NULL::text, state, attempts, next_attempt_ms, remote_ids,
                last_error, created_ms, delivered_ms
         FROM notice_deliveries WHERE notice_id > $1 AND notice_id <= $2 ORDER BY id",
        &[&after, &last],
    )
    .await?
    .iter()
    .map(queue_row)
    .collect::<Result<_>>()?;
    Ok(ArchiveRows {
        notices,
        notice_deliveries,
        ..ArchiveRows::default()
    })
}

async fn import(c: &ClientWrapper, rows: &ArchiveRows) -> Result<()> {
    for m in &rows.meetings {
        execute(
            c,
            "INSERT INTO meetings (id, title, timezone, scheduled_for, created_at_ms, starts_at_ms,
                source_key, source_url) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            &[
                &m.id,
                &m.title,
                &m.timezone,
                &m.scheduled_for,
                &m.created_at_ms,
                &m.starts_at_ms,
                &m.source_key,
                &m.source_url,
            ],
        )
        .await?;
    }
    for p in &rows.planned_items {
        execute(
            c,
            "INSERT INTO planned_items (meeting_id, position, number, title, external_id, exempt,
                documents) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[
                &p.meeting_id,
                &p.position,
                &p.number,
                &p.title,
                &p.external_id,
                &p.exempt,
                &p.documents,
            ],
        )
        .await?;
    }
    for k in &rows.checkpoints {
        execute(
            c,
            "INSERT INTO checkpoints (meeting_id, head, entries, public_key, signature, signed_at_ms)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[&k.meeting_id, &k.head, &k.entries, &k.public_key, &k.signature, &k.signed_at_ms],
        )
        .await?;
    }
    for s in &rows.status_messages {
        execute(
            c,
            "INSERT INTO status_messages (target, meeting_id, remote_ids, text, edits, pinned, finalised, updated_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            &[&s.target, &s.meeting_id, &s.remote_ids, &s.text, &s.edits, &s.pinned, &s.finalised, &s.updated_ms],
        )
        .await?;
    }
    for e in &rows.entries {
        execute(
            c,
            "INSERT INTO entries (id, meeting_id, seq, kind, fields, text, author_platform, author_id, author_name,
                                  ts_ms, timezone, refers_to, confidential, source_platform, source_id, prev_hash, hash)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
            &[
                &e.id, &e.meeting_id, &e.seq, &e.kind, &e.fields, &e.text, &e.author_platform,
                &e.author_id, &e.author_name, &e.ts_ms, &e.timezone, &e.refers_to, &e.confidential,
                &e.source_platform, &e.source_id, &e.prev_hash, &e.hash,
            ],
        )
        .await?;
    }
    for d in &rows.deliveries {
        execute(
            c,
            "INSERT INTO deliveries (id, target, entry_id, op, state, attempts, next_attempt_ms,
                                     remote_ids, last_error, created_ms, delivered_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            &[
                &d.id,
                &d.target,
                &d.item_id,
                &d.op,
                &d.state,
                &d.attempts,
                &d.next_attempt_ms,
                &d.remote_ids,
                &d.last_error,
                &d.created_ms,
                &d.delivered_ms,
            ],
        )
        .await?;
    }
    for n in &rows.notices {
        execute(
            c,
            "INSERT INTO notices (id, key, kind, text, created_ms) VALUES ($1, $2, $3, $4, $5)",
            &[&n.id, &n.key, &n.kind, &n.text, &n.created_ms],
        )
        .await?;
    }
    for d in &rows.notice_deliveries {
        execute(
            c,
            "INSERT INTO notice_deliveries (id, target, notice_id, state, attempts, next_attempt_ms,
                                            remote_ids, last_error, created_ms, delivered_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            &[
                &d.id, &d.target, &d.item_id, &d.state, &d.attempts, &d.next_attempt_ms,
                &d.remote_ids, &d.last_error, &d.created_ms, &d.delivered_ms,
            ],
        )
        .await?;
    }
    for table in SEQUENCED {
        // Table names are constants; the sequence continues after the largest id.
        c.batch_execute(&format!(
            "SELECT setval(pg_get_serial_sequence('{table}', 'id'), m, true)
             FROM (SELECT MAX(id) AS m FROM {table}) t WHERE m IS NOT NULL"
        ))
        .await?;
    }
    Ok(())
}

impl Transfer for PostgresArchive {
    fn count_rows(&self, part: Part) -> Result<u64> {
        let table = match part {
            Part::Meetings => "meetings",
            Part::Entries => "entries",
            Part::Deliveries => "deliveries",
            Part::Notices => "notices",
        };
        self.run(move |s| async move {
            let sql = format!("SELECT COUNT(*) FROM {table}");
            let n: i64 = query_one(&*s.client().await?, &sql, &[])
                .await?
                .try_get(0)?;
            Ok(n as u64)
        })
    }

    fn export_rows(&self, part: Part, after: i64, limit: u32) -> Result<ArchiveRows> {
        self.run(move |s| async move {
            let c = s.client().await?;
            // One snapshot, so rows that ride along match the page they ride with.
            c.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                .await?;
            let done = page(&c, part, after, i64::from(limit)).await;
            finish(&c, done).await
        })
    }

    fn import_rows(&self, rows: &ArchiveRows) -> Result<()> {
        let rows = rows.clone();
        self.run(move |s| async move {
            let _writer = s.writer.lock().await;
            let c = s.client().await?;
            begin(&c).await?;
            let done = import(&c, &rows).await;
            finish(&c, done).await?;
            if !rows.deliveries.is_empty() {
                // Still holding the writer, as `append_batch` publishes.
                s.commits.publish(Commit::Unlisted);
            }
            Ok(())
        })
    }
}
