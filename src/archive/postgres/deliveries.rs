//! The outbox's two queues in PostgreSQL: `deliveries` (one row per entry per target) and
//! `notice_deliveries` (one row per notice per target), with the same shape and life cycle as
//! in SQLite. A notice and its delivery rows are written in one transaction.

use std::collections::HashSet;
use std::sync::atomic::Ordering;

use chrono::{DateTime, Utc};
use deadpool_postgres::ClientWrapper;

use super::PostgresArchive;
use super::rows::{self, ENTRY_SELECT, begin, execute, finish, query, query_one, query_opt};
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

fn decode_ids(raw: Option<String>) -> Vec<String> {
    raw.and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_default()
}

/// Records `outcomes` inside the caller's transaction, but for those whose fence no longer
/// holds; answers their indexes.
///
/// A group can hold an outcome from every target at once (a hundred webhooks finishing the same
/// entry), so it costs a fixed number of round trips whatever its size: one read of the fences'
/// leases, and one `UPDATE … FROM unnest(…)` per queue and kind of result ([`updates`]).
async fn record_in(c: &ClientWrapper, outcomes: &[Outcome]) -> Result<Vec<usize>> {
    let fenced = super::leases::fenced_out(c, outcomes).await?;
    let kept: Vec<&Outcome> = outcomes
        .iter()
        .enumerate()
        .filter(|(i, _)| !fenced.contains(i))
        .map(|(_, o)| o)
        .collect();
    for update in updates(&kept) {
        update.run(c).await?;
    }
    Ok(fenced)
}

/// One batched `UPDATE`: its statement and its three columns.
struct Update {
    sql: String,
    ids: Vec<i64>,
    texts: Vec<String>,
    ats: Vec<i64>,
}

impl Update {
    async fn run(&self, c: &ClientWrapper) -> Result<u64> {
        execute(c, &self.sql, &[&self.ids, &self.texts, &self.ats]).await
    }
}

/// The statements that write `outcomes`, in order: one per queue and kind of result. A row
/// named twice (which the outbox never does: a target waits for each outcome before its next
/// attempt) is written in order, by a later statement.
fn updates(outcomes: &[&Outcome]) -> Vec<Update> {
    let mut plan = Vec::new();
    let mut rest = outcomes;
    while !rest.is_empty() {
        // The longest run in which no row repeats.
        let mut seen = HashSet::new();
        let run = rest
            .iter()
            .take_while(|o| seen.insert((table(o.queue), o.id)))
            .count();
        let (now, later) = rest.split_at(run);
        for queue in [Queue::Entries, Queue::Notices] {
            for kind in [Kind::Delivered, Kind::Retry, Kind::Refused] {
                let mut update = Update {
                    sql: kind.update(table(queue)),
                    ids: Vec::new(),
                    texts: Vec::new(),
                    ats: Vec::new(),
                };
                for o in now.iter().filter(|o| o.queue == queue) {
                    let (text, at) = match (&o.result, kind) {
                        (Attempt::Delivered { remote_ids, at }, Kind::Delivered) => (
                            serde_json::to_string(remote_ids).unwrap_or_else(|_| "[]".into()),
                            at.timestamp_millis(),
                        ),
                        (Attempt::Retry { error, next_at }, Kind::Retry) => {
                            (error.clone(), next_at.timestamp_millis())
                        }
                        (Attempt::Refused { error, at }, Kind::Refused) => {
                            (error.clone(), at.timestamp_millis())
                        }
                        _ => continue,
                    };
                    update.ids.push(o.id);
                    update.texts.push(text);
                    update.ats.push(at);
                }
                if !update.ids.is_empty() {
                    plan.push(update);
                }
            }
        }
        rest = later;
    }
    plan
}

/// What became of an attempt, as one batched `UPDATE` writes it.
#[derive(Clone, Copy)]
enum Kind {
    Delivered,
    Retry,
    Refused,
}

impl Kind {
    /// The statement for `table`, taking the rows' ids, one text each (the remote ids as JSON,
    /// or the error) and one time each (delivered, next attempt, refused) as three arrays.
    fn update(self, table: &str) -> String {
        let set = match self {
            Kind::Delivered => {
                "state = 'done', remote_ids = u.text, delivered_ms = u.at, last_error = NULL"
            }
            Kind::Retry => "attempts = d.attempts + 1, last_error = u.text, next_attempt_ms = u.at",
            Kind::Refused => {
                "state = 'failed', attempts = d.attempts + 1, last_error = u.text, delivered_ms = u.at"
            }
        };
        format!(
            "UPDATE {table} AS d SET {set}
             FROM unnest($1::BIGINT[], $2::TEXT[], $3::BIGINT[]) AS u(id, text, at)
             WHERE d.id = u.id"
        )
    }
}

async fn enqueue_in(
    c: &ClientWrapper,
    key: &str,
    kind: &str,
    text: &str,
    targets: &[String],
    now_ms: i64,
) -> Result<bool> {
    let inserted = query_opt(
        c,
        "INSERT INTO notices (key, kind, text, created_ms) VALUES ($1, $2, $3, $4)
         ON CONFLICT (key) DO NOTHING RETURNING id",
        &[&key, &kind, &text, &now_ms],
    )
    .await?;
    let Some(row) = inserted else {
        return Ok(false);
    };
    let notice_id: i64 = row.try_get(0)?;
    for target in targets {
        execute(
            c,
            "INSERT INTO notice_deliveries (target, notice_id, state, created_ms) VALUES ($1, $2, 'pending', $3)",
            &[target, &notice_id, &now_ms],
        )
        .await?;
    }
    Ok(true)
}

impl Deliveries for PostgresArchive {
    fn subscribe(&self) -> Subscription {
        self.shared.commits.subscribe()
    }

    fn queue_reads(&self) -> u64 {
        self.shared.queue_reads.load(Ordering::Relaxed)
    }

    fn next_delivery_and_more(&self, target: &str) -> Result<(Option<Delivery>, bool)> {
        self.shared.queue_reads.fetch_add(1, Ordering::Relaxed);
        let target = target.to_string();
        self.run(move |s| async move {
            let c = s.client().await?;
            let heads = query(
                &c,
                "SELECT id, entry_id, op, attempts, next_attempt_ms FROM deliveries
                 WHERE target = $1 AND state = 'pending' ORDER BY id LIMIT 2",
                &[&target],
            )
            .await?;
            let Some(head) = heads.first() else {
                return Ok((None, false));
            };
            let (id, entry_id): (i64, i64) = (head.try_get(0)?, head.try_get(1)?);
            let op: String = head.try_get(2)?;
            let sql = format!("{ENTRY_SELECT} WHERE id = $1");
            let entry = query_opt(&c, &sql, &[&entry_id])
                .await?
                .as_ref()
                .map(rows::entry)
                .transpose()?
                .ok_or_else(|| {
                    ArchiveError::Corrupt(format!("delivery {id} names missing entry {entry_id}"))
                })?;
            let op = DeliveryOp::parse(&op).ok_or_else(|| {
                ArchiveError::Corrupt(format!("delivery {id} has unknown op {op}"))
            })?;
            let delivery = Delivery {
                id,
                target,
                entry,
                op,
                attempts: head.try_get::<_, i64>(3)? as u32,
                next_attempt_at: head.try_get::<_, Option<i64>>(4)?.map(rows::ms_to_utc),
            };
            Ok((Some(delivery), heads.len() > 1))
        })
    }

    fn record_outcomes(&self, outcomes: &[Outcome]) -> Result<Vec<usize>> {
        let outcomes = outcomes.to_vec();
        self.run(move |s| async move {
            let c = s.client().await?;
            // With no fence to check, a group written by one statement (the usual group: every
            // target delivered) needs no transaction around it: one round trip, not three.
            if outcomes.iter().all(|o| o.fence.is_none()) {
                let plan = updates(&outcomes.iter().collect::<Vec<_>>());
                if let [only] = plan.as_slice() {
                    only.run(&c).await?;
                    return Ok(Vec::new());
                }
            }
            begin(&c).await?;
            let done = record_in(&c, &outcomes).await;
            finish(&c, done).await
        })
    }

    fn pending(&self, queue: Queue, target: &str) -> Result<u32> {
        let target = target.to_string();
        self.run(move |s| async move {
            let sql = format!(
                "SELECT COUNT(*) FROM {} WHERE target = $1 AND state = 'pending'",
                table(queue)
            );
            let n: i64 = query_one(&*s.client().await?, &sql, &[&target])
                .await?
                .try_get(0)?;
            Ok(n as u32)
        })
    }

    fn remote_ids(&self, target: &str, entry_id: i64) -> Result<Option<Vec<String>>> {
        let target = target.to_string();
        self.run(move |s| async move {
            let row = query_opt(
                &*s.client().await?,
                "SELECT remote_ids FROM deliveries
                 WHERE target = $1 AND entry_id = $2 AND op = 'post' AND state = 'done'
                 ORDER BY id LIMIT 1",
                &[&target, &entry_id],
            )
            .await?;
            Ok(row.map(|r| r.try_get(0)).transpose()?.map(decode_ids))
        })
    }

    fn latest_message(
        &self,
        target: &str,
        meeting: MeetingId,
        new_messages_for_edits: bool,
    ) -> Result<Option<Vec<String>>> {
        let target = target.to_string();
        self.run(move |s| async move {
            let row = query_opt(
                &*s.client().await?,
                "SELECT d.remote_ids FROM deliveries d JOIN entries e ON e.id = d.entry_id
                 WHERE e.meeting_id = $1 AND d.target = $2 AND d.state = 'done'
                   AND (d.op IN ('post', 'delete') OR ($3 AND d.op = 'edit'))
                   AND d.remote_ids IS NOT NULL AND d.remote_ids <> '[]'
                 ORDER BY d.id DESC LIMIT 1",
                &[&meeting.0, &target, &new_messages_for_edits],
            )
            .await?;
            match row {
                Some(r) => Ok(Some(decode_ids(r.try_get(0)?))),
                None => Ok(None),
            }
        })
    }

    fn opening_post(
        &self,
        target: &str,
        meeting: MeetingId,
    ) -> Result<Option<(String, Vec<String>)>> {
        let target = target.to_string();
        self.run(move |s| async move {
            let row = query_opt(
                &*s.client().await?,
                "SELECT m.title, d.remote_ids FROM entries e
                 JOIN meetings m ON m.id = e.meeting_id
                 JOIN deliveries d ON d.entry_id = e.id
                 WHERE e.meeting_id = $1 AND e.kind = 'start'
                   AND d.target = $2 AND d.op = 'post' AND d.state = 'done'
                 ORDER BY d.id LIMIT 1",
                &[&meeting.0, &target],
            )
            .await?;
            match row {
                Some(r) => Ok(Some((r.try_get(0)?, decode_ids(r.try_get(1)?)))),
                None => Ok(None),
            }
        })
    }

    fn delivery_tally(&self, entry_id: i64) -> Result<DeliveryTally> {
        self.run(move |s| async move {
            let c = s.client().await?;
            let counts = query_one(
                &c,
                "SELECT COUNT(*) FILTER (WHERE state = 'done'), COUNT(*) FROM deliveries WHERE entry_id = $1",
                &[&entry_id],
            )
            .await?;
            let failed = query(
                &c,
                "SELECT target FROM deliveries WHERE entry_id = $1 AND state = 'failed' ORDER BY target",
                &[&entry_id],
            )
            .await?
            .iter()
            .map(|r| r.try_get(0))
            .collect::<std::result::Result<Vec<String>, _>>()?;
            Ok(DeliveryTally {
                done: counts.try_get::<_, i64>(0)? as u32,
                total: counts.try_get::<_, i64>(1)? as u32,
                failed,
            })
        })
    }

    fn head_error(&self, target: &str) -> Result<Option<String>> {
        let target = target.to_string();
        self.run(move |s| async move {
            let row = query_opt(
                &*s.client().await?,
                "SELECT last_error FROM deliveries WHERE target = $1 AND state = 'pending' ORDER BY id LIMIT 1",
                &[&target],
            )
            .await?;
            Ok(row.map(|r| r.try_get(0)).transpose()?.flatten())
        })
    }

    fn delivery_counts(&self) -> Result<Vec<(String, String, u64)>> {
        self.run(|s| async move {
            let rows = query(
                &*s.client().await?,
                "SELECT target, state, COUNT(*) FROM deliveries GROUP BY target, state ORDER BY target, state",
                &[],
            )
            .await?;
            rows.iter()
                .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get::<_, i64>(2)? as u64)))
                .collect()
        })
    }

    fn enqueue_notice(
        &self,
        key: &str,
        kind: &str,
        text: &str,
        targets: &[String],
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let (key, kind, text) = (key.to_string(), kind.to_string(), text.to_string());
        let targets = targets.to_vec();
        self.run(move |s| async move {
            let c = s.client().await?;
            begin(&c).await?;
            match enqueue_in(&c, &key, &kind, &text, &targets, now.timestamp_millis()).await {
                Ok(true) => super::listen::commit_notifying(&c, Ok(true)).await,
                done => finish(&c, done).await,
            }
        })
    }

    fn drop_pending_notices(&self, prefix: &str, keep: Option<&str>) -> Result<usize> {
        let (prefix, keep) = (prefix.to_string(), keep.map(str::to_string));
        self.run(move |s| async move {
            let n = execute(
                &*s.client().await?,
                "UPDATE notice_deliveries SET state = 'dropped' WHERE state = 'pending' AND notice_id IN (
                    SELECT id FROM notices WHERE starts_with(key, $1)
                    AND ($2::text IS NULL OR NOT starts_with(key, $2::text)))",
                &[&prefix, &keep],
            )
            .await?;
            Ok(n as usize)
        })
    }

    fn next_notice_delivery_and_more(
        &self,
        target: &str,
    ) -> Result<(Option<NoticeDelivery>, bool)> {
        let target = target.to_string();
        self.run(move |s| async move {
            let found = query(
                &*s.client().await?,
                "SELECT d.id, n.key, n.kind, n.text, d.attempts, d.next_attempt_ms
                 FROM notice_deliveries d JOIN notices n ON n.id = d.notice_id
                 WHERE d.target = $1 AND d.state = 'pending' ORDER BY d.id LIMIT 2",
                &[&target],
            )
            .await?;
            let Some(r) = found.first() else {
                return Ok((None, false));
            };
            let head = NoticeDelivery {
                id: r.try_get(0)?,
                target,
                key: r.try_get(1)?,
                kind: r.try_get(2)?,
                text: r.try_get(3)?,
                attempts: r.try_get::<_, i64>(4)? as u32,
                next_attempt_at: r.try_get::<_, Option<i64>>(5)?.map(rows::ms_to_utc),
            };
            Ok((Some(head), found.len() > 1))
        })
    }
}
