//! The notice queue: messages that are not archive entries (consultation reminders), kept
//! durably with one delivery row per target, like entries' `deliveries`.
//!
//! A notice and its delivery rows are written in one transaction, so a crash cannot leave a
//! notice that some targets will never get. Notices are not hash-chained: they are derived from
//! entries (which are), and can be derived again.

use chrono::{DateTime, Utc};
use rusqlite::params;

use super::{Archive, Queue, Result, ms_to_utc};

/// One pending notice for one target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeDelivery {
    /// The delivery row's id (the queue's order).
    pub id: i64,
    pub target: String,
    /// The notice's unique key (such as `consult:3:7:2027-01-31:remind-7`).
    pub key: String,
    pub kind: String,
    pub text: String,
    pub attempts: u32,
    pub next_attempt_at: Option<DateTime<Utc>>,
}

impl Archive {
    /// Stores a notice and one pending delivery per target, unless a notice with `key` exists
    /// already (then nothing is written). Returns whether it was new.
    pub fn enqueue_notice(
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
    pub fn drop_pending_notices(&self, prefix: &str, keep: Option<&str>) -> Result<usize> {
        Ok(self.conn().execute(
            "UPDATE notice_deliveries SET state = 'dropped' WHERE state = 'pending' AND notice_id IN (
                SELECT id FROM notices WHERE substr(key, 1, length(?1)) = ?1
                AND (?2 IS NULL OR substr(key, 1, length(?2)) <> ?2))",
            params![prefix, keep],
        )?)
    }

    /// The oldest pending notice for `target`, if any.
    pub fn next_notice_delivery(&self, target: &str) -> Result<Option<NoticeDelivery>> {
        Ok(self.next_notice_delivery_and_more(target)?.0)
    }

    /// The oldest pending notice for `target`, and whether another is pending behind it.
    pub fn next_notice_delivery_and_more(
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

    /// Pending notices for `target`.
    pub fn notice_queue_depth(&self, target: &str) -> Result<u32> {
        self.pending_rows(Queue::Notices, target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::Outcome;

    fn archive() -> (tempfile::TempDir, Archive) {
        let dir = tempfile::tempdir().unwrap();
        let a = Archive::open(&dir.path().join("g.db")).unwrap();
        (dir, a)
    }

    fn targets() -> Vec<String> {
        vec!["a".into(), "b".into()]
    }

    #[test]
    fn a_notice_is_queued_once_per_target_and_its_key_only_once() {
        let (_d, a) = archive();
        let now = Utc::now();
        assert!(
            a.enqueue_notice("k1", "remind", "hello", &targets(), now)
                .unwrap()
        );
        assert!(
            !a.enqueue_notice("k1", "remind", "again", &targets(), now)
                .unwrap()
        );
        assert_eq!(a.notice_queue_depth("a").unwrap(), 1);
        assert_eq!(a.notice_queue_depth("b").unwrap(), 1);
        let n = a.next_notice_delivery("a").unwrap().unwrap();
        assert_eq!((n.key.as_str(), n.text.as_str()), ("k1", "hello"));
        a.record_outcomes(&[Outcome::delivered(
            Queue::Notices,
            n.id,
            vec!["r1".into()],
            now,
        )])
        .unwrap();
        assert_eq!(a.next_notice_delivery("a").unwrap(), None);
        assert_eq!(a.notice_queue_depth("b").unwrap(), 1);
    }

    #[test]
    fn dropping_keeps_delivered_rows_and_the_kept_prefix() {
        let (_d, a) = archive();
        let now = Utc::now();
        for k in [
            "c:1:2027-01-31:remind-7",
            "c:1:2027-01-31:remind-1",
            "c:1:2027-02-28:remind-7",
        ] {
            a.enqueue_notice(k, "remind", k, &targets(), now).unwrap();
        }
        let first = a.next_notice_delivery("a").unwrap().unwrap();
        a.record_outcomes(&[Outcome::delivered(Queue::Notices, first.id, vec![], now)])
            .unwrap();
        let dropped = a
            .drop_pending_notices("c:1:", Some("c:1:2027-02-28:"))
            .unwrap();
        assert_eq!(dropped, 3, "remind-1 on a and b, remind-7 on b");
        let left = a.next_notice_delivery("a").unwrap().unwrap();
        assert_eq!(left.key, "c:1:2027-02-28:remind-7");
        assert_eq!(a.drop_pending_notices("c:1:", None).unwrap(), 2);
        assert_eq!(a.notice_queue_depth("a").unwrap(), 0);
    }
}
