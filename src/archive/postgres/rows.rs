//! What every part of the PostgreSQL engine shares: running a statement through the pooled
//! connection's statement cache, ending a transaction, and reading an entry row.

use chrono::{DateTime, Utc};
use deadpool_postgres::ClientWrapper;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use crate::archive::transfer::EntryRow;
use crate::archive::{ArchiveError, Result};
use crate::domain::Entry;

/// A statement's parameters.
pub(super) type Args<'a> = &'a [&'a (dyn ToSql + Sync)];

pub(super) async fn query(c: &ClientWrapper, sql: &str, args: Args<'_>) -> Result<Vec<Row>> {
    let st = c.prepare_cached(sql).await?;
    Ok(c.query(&st, args).await?)
}

pub(super) async fn query_opt(c: &ClientWrapper, sql: &str, args: Args<'_>) -> Result<Option<Row>> {
    let st = c.prepare_cached(sql).await?;
    Ok(c.query_opt(&st, args).await?)
}

pub(super) async fn query_one(c: &ClientWrapper, sql: &str, args: Args<'_>) -> Result<Row> {
    let st = c.prepare_cached(sql).await?;
    Ok(c.query_one(&st, args).await?)
}

pub(super) async fn execute(c: &ClientWrapper, sql: &str, args: Args<'_>) -> Result<u64> {
    let st = c.prepare_cached(sql).await?;
    Ok(c.execute(&st, args).await?)
}

pub(super) async fn begin(c: &ClientWrapper) -> Result<()> {
    Ok(c.batch_execute("BEGIN").await?)
}

/// Commits when `done` is `Ok`, rolls back otherwise, and passes `done` on: the connection goes
/// back to the pool outside any transaction either way.
pub(super) async fn finish<T>(c: &ClientWrapper, done: Result<T>) -> Result<T> {
    match done {
        Ok(v) => {
            c.batch_execute("COMMIT").await?;
            Ok(v)
        }
        Err(e) => {
            // The connection may be gone too; the first error is the one to report.
            let _ = c.batch_execute("ROLLBACK").await;
            Err(e)
        }
    }
}

pub(super) fn ms_to_utc(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

/// The columns [`entry_row`] reads, in its order.
pub(super) const ENTRY_SELECT: &str = "SELECT id, meeting_id, seq, kind, fields, text, author_platform, author_id, author_name,
        ts_ms, timezone, refers_to, confidential, source_platform, source_id, prev_hash, hash FROM entries";

/// An entry row as stored (selected with [`ENTRY_SELECT`]).
pub(super) fn entry_row(r: &Row) -> Result<EntryRow> {
    Ok(EntryRow {
        id: r.try_get(0)?,
        meeting_id: r.try_get(1)?,
        seq: r.try_get(2)?,
        kind: r.try_get(3)?,
        fields: r.try_get(4)?,
        text: r.try_get(5)?,
        author_platform: r.try_get(6)?,
        author_id: r.try_get(7)?,
        author_name: r.try_get(8)?,
        ts_ms: r.try_get(9)?,
        timezone: r.try_get(10)?,
        refers_to: r.try_get(11)?,
        confidential: r.try_get(12)?,
        source_platform: r.try_get(13)?,
        source_id: r.try_get(14)?,
        prev_hash: r.try_get(15)?,
        hash: r.try_get(16)?,
    })
}

/// The entry a row stores; a row that does not decode is corrupt.
pub(super) fn entry(r: &Row) -> Result<Entry> {
    entry_row(r)?.decode().map_err(ArchiveError::Corrupt)
}

pub(super) fn entries(rows: &[Row]) -> Result<Vec<Entry>> {
    rows.iter().map(entry).collect()
}
