//! Entries in PostgreSQL: appends (each locks its meeting's row, then extends the chain inside
//! its transaction), reads and verification.

use std::sync::Arc;

use chrono::Utc;
use deadpool_postgres::ClientWrapper;

use super::meetings::header_in;
use super::rows::{self, ENTRY_SELECT, begin, finish, query, query_one, query_opt};
use super::{Client, PostgresArchive};
use crate::archive::commits::Commit;
use crate::archive::{
    Appended, ArchiveError, Batch, ChainReport, DeliveryOp, Entries, EntryDraft, MeetingRef,
    Result, chain, hash,
};
use crate::domain::{Entry, EntryKind, EntryNo, MeetingId};

/// The entry an earlier append archived from the same source message, if any.
async fn archived_from(c: &ClientWrapper, draft: &EntryDraft) -> Result<Option<Entry>> {
    let Some(src) = &draft.source else {
        return Ok(None);
    };
    let sql = format!("{ENTRY_SELECT} WHERE source_platform = $1 AND source_id = $2");
    let row = query_opt(c, &sql, &[&src.platform, &src.message_id]).await?;
    row.as_ref().map(rows::entry).transpose()
}

/// The meeting an append goes into, its row locked until the transaction ends.
async fn lock_meeting(
    c: &ClientWrapper,
    meeting: MeetingRef,
    draft: &EntryDraft,
) -> Result<MeetingId> {
    if let MeetingRef::Open { .. } = &meeting {
        // One `!start` at a time per archive, so two instances cannot open two meetings.
        c.execute(
            "SELECT pg_advisory_xact_lock(hashtext('gavel-open:' || current_schema()))",
            &[],
        )
        .await?;
        if super::meetings::open_meeting_in(c).await?.is_some() {
            return Err(ArchiveError::Moved);
        }
    }
    match meeting {
        MeetingRef::Existing(id)
        | MeetingRef::Continue { meeting: id, .. }
        | MeetingRef::New {
            scheduled: Some(id),
            ..
        }
        | MeetingRef::Open {
            scheduled: Some(id),
            ..
        } => {
            let row = query_opt(
                c,
                "SELECT id FROM meetings WHERE id = $1 FOR UPDATE",
                &[&id.0],
            )
            .await?;
            row.map(|_| id).ok_or(ArchiveError::NoSuchMeeting(id))
        }
        MeetingRef::New {
            title,
            scheduled: None,
        }
        | MeetingRef::Open {
            title,
            scheduled: None,
        } => {
            let row = query_one(
                c,
                "INSERT INTO meetings (title, timezone, scheduled_for, created_at_ms) VALUES ($1, $2, NULL, $3) RETURNING id",
                &[&title, &draft.timezone.name(), &draft.at.timestamp_millis()],
            )
            .await?;
            Ok(MeetingId(row.try_get(0)?))
        }
    }
}

/// One append inside the caller's transaction; the delivery rows' ids are pushed to `ids`.
pub(super) async fn append_in(
    c: &ClientWrapper,
    meeting: MeetingRef,
    draft: EntryDraft,
    deliveries: &[(String, DeliveryOp)],
    ids: &mut Vec<i64>,
) -> Result<Appended> {
    if let Some(e) = archived_from(c, &draft).await? {
        return Ok(Appended::Duplicate(e));
    }
    // What the desk expected the meeting's last entry to be.
    let expected = match &meeting {
        MeetingRef::Continue { last, .. } => Some(last.0 as i64),
        MeetingRef::Open { .. } => Some(0),
        _ => None,
    };
    let meeting_id = lock_meeting(c, meeting, &draft).await?;
    // Another process may have archived the same message while this one waited for the lock.
    if let Some(e) = archived_from(c, &draft).await? {
        return Ok(Appended::Duplicate(e));
    }
    let head = query_opt(
        c,
        "SELECT seq, hash FROM entries WHERE meeting_id = $1 ORDER BY seq DESC LIMIT 1",
        &[&meeting_id.0],
    )
    .await?;
    let (last_seq, prev_hash) = match head {
        Some(r) => (r.try_get::<_, i64>(0)?, r.try_get(1)?),
        None => (0, hash::genesis(&header_in(c, meeting_id).await?)),
    };
    if expected.is_some_and(|n| n != last_seq) {
        return Err(ArchiveError::Moved);
    }
    let mut entry = Entry {
        id: 0,
        meeting: meeting_id,
        seq: EntryNo(last_seq as u32 + 1),
        payload: draft.payload,
        text: draft.text,
        author: draft.author,
        at: rows::ms_to_utc(draft.at.timestamp_millis()),
        timezone: draft.timezone,
        refers_to: draft.refers_to,
        confidential: draft.confidential,
        source: draft.source,
        prev_hash,
        hash: String::new(),
    };
    entry.hash = hash::entry_hash(&entry);
    entry.id = insert_entry(c, &entry).await?;
    if !deliveries.is_empty() {
        // Every target's row in one statement, in the list's order.
        let targets: Vec<&str> = deliveries.iter().map(|(t, _)| t.as_str()).collect();
        let ops: Vec<&str> = deliveries.iter().map(|(_, op)| op.as_str()).collect();
        let now = Utc::now().timestamp_millis();
        let rows = query(
            c,
            "INSERT INTO deliveries (target, entry_id, op, state, attempts, created_ms)
             SELECT d.target, $3, d.op, 'pending', 0, $4
             FROM unnest($1::TEXT[], $2::TEXT[]) WITH ORDINALITY AS d(target, op, n)
             ORDER BY d.n RETURNING id",
            &[&targets, &ops, &entry.id, &now],
        )
        .await?;
        let mut new = rows
            .iter()
            .map(|r| r.try_get(0))
            .collect::<std::result::Result<Vec<i64>, _>>()?;
        // The ids come from the table's sequence as the rows go in, so in the list's order.
        new.sort_unstable();
        ids.extend(new);
    }
    Ok(Appended::New(entry))
}

async fn insert_entry(c: &ClientWrapper, e: &Entry) -> Result<i64> {
    let row = query_one(
        c,
        "INSERT INTO entries (meeting_id, seq, kind, fields, text, author_platform, author_id, author_name,
                              ts_ms, timezone, refers_to, confidential, source_platform, source_id, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id",
        &[
            &e.meeting.0,
            &(e.seq.0 as i64),
            &e.kind().as_str(),
            &hash::canonical_json(&e.payload.to_json()),
            &e.text,
            &e.author.platform,
            &e.author.user_id,
            &e.author.display_name,
            &e.at.timestamp_millis(),
            &e.timezone.name(),
            &e.refers_to.map(|n| n.0 as i64),
            &i64::from(e.confidential),
            &e.source.as_ref().map(|s| s.platform.as_str()),
            &e.source.as_ref().map(|s| s.message_id.as_str()),
            &e.prev_hash,
            &e.hash,
        ],
    )
    .await?;
    Ok(row.try_get(0)?)
}

async fn verify_meeting(c: &ClientWrapper, id: MeetingId) -> Result<ChainReport> {
    let header = header_in(c, id).await?;
    let sql = format!("{ENTRY_SELECT} WHERE meeting_id = $1 ORDER BY seq");
    let stored = query(c, &sql, &[&id.0]).await?;
    let mut decoded = Vec::with_capacity(stored.len());
    for r in &stored {
        decoded.push(rows::entry_row(r)?.decode());
    }
    Ok(chain::check(id, &header, decoded))
}

/// A batch: one connection in one transaction, lent to each append in turn, and the writer
/// lock held until the batch ends.
struct PostgresBatch<'a> {
    archive: &'a PostgresArchive,
    client: Option<Client>,
    ids: Vec<i64>,
}

impl Drop for PostgresBatch<'_> {
    fn drop(&mut self) {
        // Still here only if the batch did not finish (its closure panicked): the connection is
        // inside an open transaction, so it is closed instead of going back to the pool.
        if let Some(c) = self.client.take() {
            drop(deadpool_postgres::Object::take(c));
        }
    }
}

impl Batch for PostgresBatch<'_> {
    fn append(
        &mut self,
        meeting: MeetingRef,
        draft: EntryDraft,
        deliveries: &[(String, DeliveryOp)],
    ) -> Result<Appended> {
        let client = self
            .client
            .take()
            .ok_or_else(|| ArchiveError::Corrupt("a batch's connection was lost".into()))?;
        let deliveries = deliveries.to_vec();
        let (client, appended, ids) = self.archive.run(move |_| async move {
            let mut ids = Vec::new();
            let appended = append_in(&client, meeting, draft, &deliveries, &mut ids).await;
            Ok((client, appended, ids))
        })?;
        self.client = Some(client);
        self.ids.extend(ids);
        appended
    }
}

impl Entries for PostgresArchive {
    fn append(
        &self,
        meeting: MeetingRef,
        draft: EntryDraft,
        deliveries: &[(String, DeliveryOp)],
    ) -> Result<Appended> {
        let deliveries = deliveries.to_vec();
        self.run(move |s| async move {
            let _writer = s.writer.lock().await;
            let c = s.client().await?;
            begin(&c).await?;
            let mut ids = Vec::new();
            let appended = match append_in(&c, meeting, draft, &deliveries, &mut ids).await {
                // Instances sharing the archive hear of it when the transaction commits.
                done @ Ok(Appended::New(_)) => super::listen::commit_notifying(&c, done).await?,
                done => finish(&c, done).await?,
            };
            if let Appended::New(entry) = &appended
                && !ids.is_empty()
            {
                // Still holding the writer: commits are published in the order they were made.
                s.commits.publish(Commit::rows(entry, &deliveries, ids));
            }
            Ok(appended)
        })
    }

    fn append_batch(&self, f: &mut dyn FnMut(&mut dyn Batch) -> Result<()>) -> Result<()> {
        let (writer, client) = self.run(|s| async move {
            let writer = Arc::clone(&s.writer).lock_owned().await;
            let c = s.client().await?;
            begin(&c).await?;
            Ok((writer, c))
        })?;
        let mut batch = PostgresBatch {
            archive: self,
            client: Some(client),
            ids: Vec::new(),
        };
        let done = f(&mut batch);
        let ids = std::mem::take(&mut batch.ids);
        let client = batch
            .client
            .take()
            .ok_or_else(|| ArchiveError::Corrupt("a batch's connection was lost".into()))?;
        self.run(move |s| async move {
            super::listen::commit_notifying(&client, done).await?;
            if !ids.is_empty() {
                // Still holding the writer, as in `append`.
                s.commits.publish(Commit::Unlisted);
            }
            drop(writer);
            Ok(())
        })
    }

    fn entry_by_id(&self, id: i64) -> Result<Option<Entry>> {
        self.run(move |s| async move {
            let sql = format!("{ENTRY_SELECT} WHERE id = $1");
            let row = query_opt(&*s.client().await?, &sql, &[&id]).await?;
            row.as_ref().map(rows::entry).transpose()
        })
    }

    fn entries(&self, meeting: MeetingId) -> Result<Vec<Entry>> {
        self.run(move |s| async move {
            let sql = format!("{ENTRY_SELECT} WHERE meeting_id = $1 ORDER BY seq");
            rows::entries(&query(&*s.client().await?, &sql, &[&meeting.0]).await?)
        })
    }

    fn entries_after(&self, meeting: MeetingId, after: u32) -> Result<Vec<Entry>> {
        self.run(move |s| async move {
            let sql = format!("{ENTRY_SELECT} WHERE meeting_id = $1 AND seq > $2 ORDER BY seq");
            let args: [&(dyn tokio_postgres::types::ToSql + Sync); 2] =
                [&meeting.0, &(after as i64)];
            rows::entries(&query(&*s.client().await?, &sql, &args).await?)
        })
    }

    fn entry(&self, meeting: MeetingId, seq: EntryNo) -> Result<Option<Entry>> {
        self.run(move |s| async move {
            let sql = format!("{ENTRY_SELECT} WHERE meeting_id = $1 AND seq = $2");
            let row = query_opt(&*s.client().await?, &sql, &[&meeting.0, &(seq.0 as i64)]).await?;
            row.as_ref().map(rows::entry).transpose()
        })
    }

    fn recent_entries(&self, limit: u32) -> Result<Vec<Entry>> {
        self.run(move |s| async move {
            let sql = format!("{ENTRY_SELECT} WHERE confidential = 0 ORDER BY id DESC LIMIT $1");
            rows::entries(&query(&*s.client().await?, &sql, &[&(limit as i64)]).await?)
        })
    }

    fn entries_of_kinds(&self, kinds: &[EntryKind], confidential: bool) -> Result<Vec<Entry>> {
        let kinds: Vec<String> = kinds.iter().map(|k| k.as_str().to_string()).collect();
        self.run(move |s| async move {
            let sql = format!(
                "{ENTRY_SELECT} WHERE kind = ANY($1) AND ($2 OR confidential = 0) ORDER BY id"
            );
            rows::entries(&query(&*s.client().await?, &sql, &[&kinds, &confidential]).await?)
        })
    }

    fn entry_count(&self) -> Result<u64> {
        self.run(|s| async move {
            let n: i64 = query_one(&*s.client().await?, "SELECT COUNT(*) FROM entries", &[])
                .await?
                .try_get(0)?;
            Ok(n as u64)
        })
    }

    /// Each meeting is read in one statement, so its chain is checked as one snapshot.
    fn verify(&self, meeting: Option<MeetingId>) -> Result<Vec<ChainReport>> {
        self.run(move |s| async move {
            let c = s.client().await?;
            let ids: Vec<MeetingId> = match meeting {
                Some(id) => {
                    query_opt(&c, "SELECT id FROM meetings WHERE id = $1", &[&id.0])
                        .await?
                        .ok_or(ArchiveError::NoSuchMeeting(id))?;
                    vec![id]
                }
                None => query(&c, "SELECT id FROM meetings ORDER BY id", &[])
                    .await?
                    .iter()
                    .map(|r| Ok(MeetingId(r.try_get(0)?)))
                    .collect::<Result<_>>()?,
            };
            let mut reports = Vec::with_capacity(ids.len());
            for id in ids {
                reports.push(verify_meeting(&c, id).await?);
            }
            Ok(reports)
        })
    }
}
