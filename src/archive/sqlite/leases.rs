//! Leases in SQLite. A SQLite archive has one `gavel run` (the runner claim), so its leases
//! are only ever this process's; they are kept by the same rules as PostgreSQL's so both
//! engines pass one conformance suite, with this machine's clock as the database's.

use std::time::Duration;

use chrono::Utc;
use rusqlite::{Connection, OptionalExtension, params};

use super::{SqliteArchive, ms_to_utc};
use crate::archive::{Fence, LeaseRecord, Leases, Positions, Result};

/// Whether `fence` is still its lease's latest tenure.
pub(super) fn holds(c: &Connection, fence: &Fence) -> Result<bool> {
    let token: Option<i64> = c
        .prepare_cached("SELECT token FROM leases WHERE name = ?1")?
        .query_row([&fence.lease], |r| r.get(0))
        .optional()?;
    Ok(token == Some(fence.token))
}

impl Leases for SqliteArchive {
    fn acquire_lease(&self, lease: &str, holder: &str, ttl: Duration) -> Result<Option<Fence>> {
        let now = Utc::now().timestamp_millis();
        let expires = now + ttl.as_millis() as i64;
        let conn = self.conn();
        let token: Option<i64> = conn
            .prepare_cached(
                "INSERT INTO leases (name, holder, token, expires_ms) VALUES (?1, ?2, 1, ?3)
                 ON CONFLICT (name) DO UPDATE SET
                   token = CASE WHEN leases.holder = excluded.holder AND leases.expires_ms > ?4
                                THEN leases.token ELSE leases.token + 1 END,
                   holder = excluded.holder,
                   expires_ms = excluded.expires_ms
                 WHERE leases.holder = excluded.holder OR leases.expires_ms <= ?4
                 RETURNING token",
            )?
            .query_row(params![lease, holder, expires, now], |r| r.get(0))
            .optional()?;
        Ok(token.map(|token| Fence {
            lease: lease.to_string(),
            token,
        }))
    }

    fn release_lease(&self, fence: &Fence, holder: &str) -> Result<()> {
        self.conn()
            .prepare_cached(
                "UPDATE leases SET expires_ms = 0 WHERE name = ?1 AND holder = ?2 AND token = ?3",
            )?
            .execute(params![fence.lease, holder, fence.token])?;
        Ok(())
    }

    fn leases(&self) -> Result<Vec<LeaseRecord>> {
        let now = Utc::now().timestamp_millis();
        let conn = self.read();
        let mut stmt = conn
            .prepare_cached("SELECT name, holder, token, expires_ms FROM leases ORDER BY name")?;
        let rows = stmt.query_map([], |r| {
            let expires: i64 = r.get(3)?;
            Ok(LeaseRecord {
                lease: r.get(0)?,
                holder: r.get(1)?,
                token: r.get(2)?,
                expires_at: ms_to_utc(expires),
                live: expires > now,
            })
        })?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }
}

impl Positions for SqliteArchive {
    fn position(&self, name: &str) -> Result<Option<String>> {
        Ok(self
            .read()
            .prepare_cached("SELECT value FROM positions WHERE name = ?1")?
            .query_row([name], |r| r.get(0))
            .optional()?)
    }

    fn save_position(&self, name: &str, value: &str, fence: &Fence) -> Result<bool> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        if !holds(&tx, fence)? {
            return Ok(false);
        }
        tx.prepare_cached(
            "INSERT INTO positions (name, value, updated_ms) VALUES (?1, ?2, ?3)
             ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_ms = excluded.updated_ms",
        )?
        .execute(params![name, value, Utc::now().timestamp_millis()])?;
        tx.commit()?;
        Ok(true)
    }
}
