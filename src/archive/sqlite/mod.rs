//! The embedded engine: one SQLite file (WAL journal, `synchronous=FULL`), the default.
//!
//! One connection writes, and every write takes it, so writes are serialised and each append
//! reads the chain's head and extends it inside its own transaction. Reads go through a small
//! pool of read connections ([`readers`]) and never wait for a write. Schema migrations are
//! tracked in `PRAGMA user_version` ([`schema`]). Nothing outside this folder names `rusqlite`
//! or holds SQL.

mod deliveries;
mod entries;
mod leases;
mod meetings;
mod readers;
mod records;
mod schema;
mod search;
#[cfg(test)]
pub(crate) mod tests;
mod transfer;

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU64;
use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, TimeZone, Utc};
use rusqlite::Connection;

use super::commits::Publisher;
use super::{ArchiveError, Maintenance, Result, RunnerClaim, Store};

impl From<rusqlite::Error> for ArchiveError {
    fn from(e: rusqlite::Error) -> Self {
        ArchiveError::Database(Box::new(e))
    }
}

/// An archive in one SQLite file.
pub struct SqliteArchive {
    conn: Mutex<Connection>,
    readers: readers::Readers,
    path: PathBuf,
    /// Told of delivery rows as they are committed (see [`super::Deliveries::subscribe`]).
    commits: Publisher,
    /// Reads of a target's entry queue (see [`super::Deliveries::queue_reads`]).
    queue_reads: AtomicU64,
}

fn ms_to_utc(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

impl SqliteArchive {
    /// Opens (creating if needed) the archive at `path` and applies migrations.
    pub fn open(path: &Path) -> Result<SqliteArchive> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|source| ArchiveError::Folder {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        schema::migrate(&conn, path)?;
        Ok(SqliteArchive {
            conn: Mutex::new(conn),
            readers: readers::Readers::new(path),
            path: path.to_path_buf(),
            commits: Publisher::default(),
            queue_reads: AtomicU64::new(0),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite inconsistent (transactions roll
        // back on drop), so a poisoned lock is still safe to use.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A connection for reading only: it sees every committed write and never waits for one.
    pub(super) fn read(&self) -> readers::Reader<'_> {
        match self.readers.take() {
            Some(conn) => readers::Reader::Pooled {
                conn: Some(conn),
                readers: &self.readers,
            },
            None => readers::Reader::Writer(self.conn()),
        }
    }

    /// Runs `f` with the writer connection: for tests and benchmarks that need SQL the traits
    /// do not offer (tampering with rows, tuning pragmas).
    pub fn with_connection<T>(&self, f: impl FnOnce(&Connection) -> T) -> T {
        f(&self.conn())
    }

    /// [`SqliteArchive::with_connection`] on `archive`, which must be a SQLite archive (tests and
    /// benchmarks).
    pub fn sql<T>(archive: &super::Archive, f: impl FnOnce(&Connection) -> T) -> T {
        match archive.engine::<SqliteArchive>() {
            Some(engine) => engine.with_connection(f),
            None => panic!("not a SQLite archive: {}", archive.location()),
        }
    }
}

impl Store for SqliteArchive {}

impl Maintenance for SqliteArchive {
    fn location(&self) -> String {
        self.path.display().to_string()
    }

    fn check_writable(&self) -> Result<()> {
        // A write transaction that is rolled back.
        self.conn().execute_batch("BEGIN IMMEDIATE; ROLLBACK;")?;
        Ok(())
    }

    fn backup_to(&self, dest: &Path) -> Result<()> {
        if dest.exists() {
            return Err(ArchiveError::BackupExists(dest.to_path_buf()));
        }
        let d = dest.to_string_lossy().to_string();
        self.conn().execute("VACUUM INTO ?1", [&d])?;
        Ok(())
    }

    /// An exclusive lock on `<archive>.run-lock` beside the file (SQLite's own locks are per
    /// transaction): the kernel releases it when the process exits, however it exits.
    fn claim_runner(&self, shared: bool) -> Result<Option<RunnerClaim>> {
        let mut name = self.path.clone().into_os_string();
        name.push(".run-lock");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&name)
            .map_err(|e| ArchiveError::Database(Box::new(e)))?;
        let locked = if shared {
            file.try_lock_shared()
        } else {
            file.try_lock()
        };
        match locked {
            Ok(()) => Ok(Some(RunnerClaim::new(file))),
            Err(std::fs::TryLockError::WouldBlock) => Ok(None),
            Err(std::fs::TryLockError::Error(e)) => Err(ArchiveError::Database(Box::new(e))),
        }
    }
}
