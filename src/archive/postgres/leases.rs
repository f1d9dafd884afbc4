//! Leases in PostgreSQL, kept by the server's clock (`clock_timestamp()`), so the instances
//! sharing the archive need not agree on the time. A fence check locks the lease's row until
//! its transaction ends, so a takeover waits for an outcome being recorded under the old
//! tenure, and the old tenure cannot record after the takeover.

use std::collections::HashMap;
use std::time::Duration;

use deadpool_postgres::ClientWrapper;

use super::PostgresArchive;
use super::rows::{begin, execute, finish, ms_to_utc, query, query_opt};
use crate::archive::{Fence, LeaseRecord, Leases, Outcome, Positions, Result};

/// The server's clock in milliseconds.
const NOW_MS: &str = "(extract(epoch FROM clock_timestamp()) * 1000)::BIGINT";

/// Whether `fence` is still its lease's latest tenure; the lease's row stays locked until the
/// caller's transaction ends.
pub(super) async fn holds(c: &ClientWrapper, fence: &Fence) -> Result<bool> {
    let row = query_opt(
        c,
        "SELECT token FROM leases WHERE name = $1 FOR UPDATE",
        &[&fence.lease],
    )
    .await?;
    Ok(match row {
        Some(r) => r.try_get::<_, i64>(0)? == fence.token,
        None => false,
    })
}

/// The indexes of the outcomes whose fence no longer holds, read in one statement that locks
/// the fences' lease rows (in name order, so two instances' groups cannot deadlock) until the
/// transaction ends: a lease cannot change hands between this check and the writes.
pub(super) async fn fenced_out(c: &ClientWrapper, outcomes: &[Outcome]) -> Result<Vec<usize>> {
    let mut names: Vec<&str> = outcomes
        .iter()
        .filter_map(|o| o.fence.as_ref().map(|f| f.lease.as_str()))
        .collect();
    if names.is_empty() {
        return Ok(Vec::new());
    }
    names.sort_unstable();
    names.dedup();
    let rows = query(
        c,
        "SELECT name, token FROM leases WHERE name = ANY($1) ORDER BY name FOR UPDATE",
        &[&names],
    )
    .await?;
    let mut tokens = HashMap::new();
    for r in rows {
        tokens.insert(r.try_get::<_, String>(0)?, r.try_get::<_, i64>(1)?);
    }
    Ok(outcomes
        .iter()
        .enumerate()
        .filter(|(_, o)| {
            o.fence
                .as_ref()
                .is_some_and(|f| tokens.get(&f.lease) != Some(&f.token))
        })
        .map(|(i, _)| i)
        .collect())
}

impl Leases for PostgresArchive {
    fn acquire_lease(&self, lease: &str, holder: &str, ttl: Duration) -> Result<Option<Fence>> {
        let (lease, holder) = (lease.to_string(), holder.to_string());
        let ttl_ms = ttl.as_millis() as i64;
        self.run(move |s| async move {
            let sql = format!(
                "INSERT INTO leases (name, holder, token, expires_ms) VALUES ($1, $2, 1, {NOW_MS} + $3)
                 ON CONFLICT (name) DO UPDATE SET
                   token = CASE WHEN leases.holder = excluded.holder AND leases.expires_ms > {NOW_MS}
                                THEN leases.token ELSE leases.token + 1 END,
                   holder = excluded.holder,
                   expires_ms = excluded.expires_ms
                 WHERE leases.holder = excluded.holder OR leases.expires_ms <= {NOW_MS}
                 RETURNING token"
            );
            let row = query_opt(&*s.client().await?, &sql, &[&lease, &holder, &ttl_ms]).await?;
            Ok(match row {
                Some(r) => Some(Fence {
                    lease,
                    token: r.try_get(0)?,
                }),
                None => None,
            })
        })
    }

    fn release_lease(&self, fence: &Fence, holder: &str) -> Result<()> {
        let (fence, holder) = (fence.clone(), holder.to_string());
        self.run(move |s| async move {
            execute(
                &*s.client().await?,
                "UPDATE leases SET expires_ms = 0 WHERE name = $1 AND holder = $2 AND token = $3",
                &[&fence.lease, &holder, &fence.token],
            )
            .await?;
            Ok(())
        })
    }

    fn leases(&self) -> Result<Vec<LeaseRecord>> {
        self.run(|s| async move {
            let sql = format!(
                "SELECT name, holder, token, expires_ms, expires_ms > {NOW_MS} FROM leases ORDER BY name"
            );
            let rows = query(&*s.client().await?, &sql, &[]).await?;
            rows.iter()
                .map(|r| {
                    Ok(LeaseRecord {
                        lease: r.try_get(0)?,
                        holder: r.try_get(1)?,
                        token: r.try_get(2)?,
                        expires_at: ms_to_utc(r.try_get(3)?),
                        live: r.try_get(4)?,
                    })
                })
                .collect()
        })
    }
}

impl Positions for PostgresArchive {
    fn position(&self, name: &str) -> Result<Option<String>> {
        let name = name.to_string();
        self.run(move |s| async move {
            let row = query_opt(
                &*s.client().await?,
                "SELECT value FROM positions WHERE name = $1",
                &[&name],
            )
            .await?;
            Ok(row.map(|r| r.try_get(0)).transpose()?)
        })
    }

    fn save_position(&self, name: &str, value: &str, fence: &Fence) -> Result<bool> {
        let (name, value, fence) = (name.to_string(), value.to_string(), fence.clone());
        self.run(move |s| async move {
            let c = s.client().await?;
            begin(&c).await?;
            let done = async {
                if !holds(&c, &fence).await? {
                    return Ok(false);
                }
                let now = chrono::Utc::now().timestamp_millis();
                execute(
                    &c,
                    "INSERT INTO positions (name, value, updated_ms) VALUES ($1, $2, $3)
                     ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_ms = excluded.updated_ms",
                    &[&name, &value, &now],
                )
                .await?;
                Ok(true)
            }
            .await;
            finish(&c, done).await
        })
    }
}
