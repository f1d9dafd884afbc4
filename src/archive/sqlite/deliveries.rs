//! The outbox's two queues in SQLite: `deliveries` (one row per entry per target) and
//! `notice_deliveries` (one row per notice per target), which share one shape and one life
//! cycle. A notice and its delivery rows are written in one transaction, so a crash cannot leave
//! a notice that some targets will never get. Notices are not hash-chained: they are derived
//! from entries (which are), and can be derived again.

use std::sync::atomic::Ordering;

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use super::{SqliteArchive, ms_to_utc};
use crate::archive::commits::Subscription;
use crate::archive::{
    ArchiveError, Attempt, Deliveries, Delivery, DeliveryOp, DeliveryTally, NoticeDelivery,
    Outcome, Queue, Result,
};
use crate::domain::MeetingId;

fn table(queue: Queue) -> &'static str {
    match queue {
        Queue::Entries => "deliveries",
        Queue::Notices => "notice_deliveries",
    }
}

impl Deliveries for SqliteArchive {
    fn subscribe(&self) -> Subscription {
        self.commits.subscribe()
    }

    fn queue_reads(&self) -> u64 {
        self.queue_reads.load(Ordering::Relaxed)
    }

    /// The oldest pending delivery for `target`, and whether another is pending behind it.
    fn next_delivery_and_more(&self, target: &str) -> Result<(Option<Delivery>, bool)> {
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
    fn record_outcomes(&self, outcomes: &[Outcome]) -> Result<Vec<usize>> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let mut fenced = Vec::new();
        for (i, o) in outcomes.iter().enumerate() {
            if let Some(f) = &o.fence
                && !super::leases::holds(&tx, f)?
            {
                fenced.push(i);
                continue;
            }
            let table = table(o.queue);
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
        Ok(fenced)
    }

    fn pending(&self, queue: Queue, target: &str) -> Result<u32> {
        let n: i64 = self
            .read()
            .prepare_cached(&format!(
                "SELECT COUNT(*) FROM {} WHERE target = ?1 AND state = 'pending'",
                table(queue)
            ))?
            .query_row([target], |r| r.get(0))?;
        Ok(n as u32)
    }

    /// Remote message ids of the original post of `entry_id` on `target`: `None` if it was never
    /// delivered there.
    fn remote_ids(&self, target: &str, entry_id: i64) -> Result<Option<Vec<String>>> {
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

    fn latest_message(
        &self,
        target: &str,
        meeting: MeetingId,
        new_messages_for_edits: bool,
    ) -> Result<Option<Vec<String>>> {
        let ids: Option<String> = self
            .read()
            .prepare_cached(
                "SELECT d.remote_ids FROM deliveries d JOIN entries e ON e.id = d.entry_id
                 WHERE e.meeting_id = ?1 AND d.target = ?2 AND d.state = 'done'
                   AND (d.op IN ('post', 'delete') OR (?3 AND d.op = 'edit'))
                   AND d.remote_ids IS NOT NULL AND d.remote_ids <> '[]'
                 ORDER BY d.id DESC LIMIT 1",
            )?
            .query_row(params![meeting.0, target, new_messages_for_edits], |r| {
                r.get(0)
            })
            .optional()?;
        Ok(ids.and_then(|s| serde_json::from_str(&s).ok()))
    }

    /// The title of `meeting` and the remote ids of its opening (`start`) post on `target`:
    /// `None` when that post has not been delivered there (still queued, refused for good, or
    /// the target was added later).
    fn opening_post(
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
    fn delivery_tally(&self, entry_id: i64) -> Result<DeliveryTally> {
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

    /// The last error recorded on `target`'s oldest pending delivery.
    fn head_error(&self, target: &str) -> Result<Option<String>> {
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
    fn delivery_counts(&self) -> Result<Vec<(String, String, u64)>> {
        let conn = self.read();
        let mut st = conn.prepare_cached(
            "SELECT target, state, COUNT(*) FROM deliveries GROUP BY target, state ORDER BY target, state",
        )?;
        let rows = st.query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)? as u64))
        })?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// Stores a notice and one pending delivery per target, unless a notice with `key` exists
    /// already (then nothing is written). Returns whether it was new.
    fn enqueue_notice(
        &self,
        key: &str,
        kind: &str,
        text: &str,
        targets: &[String],
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let inserted = tx.execute(
            "INSERT OR IGNORE INTO notices (key, kind, text, created_ms) VALUES (?1, ?2, ?3, ?4)",
            params![key, kind, text, now.timestamp_millis()],
        )?;
        if inserted == 0 {
            return Ok(false);
        }
        let notice_id = tx.last_insert_rowid();
        for target in targets {
            tx.execute(
                "INSERT INTO notice_deliveries (target, notice_id, state, created_ms) VALUES (?1, ?2, 'pending', ?3)",
                params![target, notice_id, now.timestamp_millis()],
            )?;
        }
        tx.commit()?;
        Ok(true)
    }

    /// Drops the still-pending deliveries of notices whose key starts with `prefix` but not with
    /// `keep` (when given): reminders for a withdrawn consultation, or for the date an extended
    /// one no longer closes on. Delivered rows are history and stay. Returns the rows dropped.
    fn drop_pending_notices(&self, prefix: &str, keep: Option<&str>) -> Result<usize> {
        Ok(self.conn().execute(
            "UPDATE notice_deliveries SET state = 'dropped' WHERE state = 'pending' AND notice_id IN (
                SELECT id FROM notices WHERE substr(key, 1, length(?1)) = ?1
                AND (?2 IS NULL OR substr(key, 1, length(?2)) <> ?2))",
            params![prefix, keep],
        )?)
    }

    /// The oldest pending notice for `target`, and whether another is pending behind it.
    fn next_notice_delivery_and_more(
        &self,
        target: &str,
    ) -> Result<(Option<NoticeDelivery>, bool)> {
        let conn = self.read();
        let mut st = conn.prepare_cached(
            "SELECT d.id, n.key, n.kind, n.text, d.attempts, d.next_attempt_ms
             FROM notice_deliveries d JOIN notices n ON n.id = d.notice_id
             WHERE d.target = ?1 AND d.state = 'pending' ORDER BY d.id LIMIT 2",
        )?;
        let mut rows = st.query_map([target], |r| {
            Ok(NoticeDelivery {
                id: r.get(0)?,
                target: target.to_string(),
                key: r.get(1)?,
                kind: r.get(2)?,
                text: r.get(3)?,
                attempts: r.get::<_, i64>(4)? as u32,
                next_attempt_at: r.get::<_, Option<i64>>(5)?.map(ms_to_utc),
            })
        })?;
        let head = rows.next().transpose()?;
        let more = head.is_some() && rows.next().is_some();
        Ok((head, more))
    }
}
