//! Read connections beside the archive's one writer.
//!
//! In WAL mode a reader sees every committed transaction and never waits for a writer, so
//! reads (the outbox's next delivery, web pages, exports, search) do not queue behind a
//! commit's fsync, and a long read does not hold up the desk. Connections are kept in a small
//! pool and opened on demand: at most [`MAX_IDLE`] stay open when idle.
//!
//! An in-memory archive (`:memory:`, tests) is one database per connection, so it has no
//! readers and its reads use the writer.

use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use rusqlite::{Connection, OpenFlags};

/// Idle read connections kept open; more are opened while that many are busy.
const MAX_IDLE: usize = 4;

pub(in crate::archive) struct Readers {
    /// `None` when the archive has no file of its own (in memory).
    path: Option<PathBuf>,
    idle: Mutex<Vec<Connection>>,
}

impl Readers {
    pub(super) fn new(path: &Path) -> Readers {
        let in_memory = path.as_os_str().is_empty()
            || path.to_str().is_some_and(|p| {
                p == ":memory:" || (p.starts_with("file:") && p.contains("mode=memory"))
            });
        Readers {
            path: (!in_memory).then(|| path.to_path_buf()),
            idle: Mutex::new(Vec::new()),
        }
    }

    fn idle(&self) -> MutexGuard<'_, Vec<Connection>> {
        // Connections in the list are idle (no open statement), so a poisoned lock is safe.
        self.idle.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// An idle read connection, or a new one; `None` if there can be none (in memory) or it
    /// could not be opened (the caller then reads through the writer, as before).
    pub(super) fn take(&self) -> Option<Connection> {
        let path = self.path.as_ref()?;
        if let Some(conn) = self.idle().pop() {
            return Some(conn);
        }
        match open_reader(path) {
            Ok(conn) => Some(conn),
            Err(e) => {
                tracing::warn!(error = %e, "cannot open a read connection to the archive; reading through the writer");
                None
            }
        }
    }

    fn give_back(&self, conn: Connection) {
        let mut idle = self.idle();
        if idle.len() < MAX_IDLE {
            idle.push(conn);
        }
    }
}

fn open_reader(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    // Opened read-write so it can share the writer's WAL index, but refuses to write.
    conn.pragma_update(None, "query_only", true)?;
    Ok(conn)
}

/// A connection to read with: a pooled reader, or the writer itself when there is none.
pub(in crate::archive) enum Reader<'a> {
    Pooled {
        conn: Option<Connection>,
        readers: &'a Readers,
    },
    Writer(MutexGuard<'a, Connection>),
}

impl Deref for Reader<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        match self {
            Reader::Pooled { conn, .. } => conn
                .as_ref()
                .expect("a pooled reader holds its connection until dropped"),
            Reader::Writer(guard) => guard,
        }
    }
}

impl Drop for Reader<'_> {
    fn drop(&mut self) {
        if let Reader::Pooled { conn, readers } = self
            && let Some(conn) = conn.take()
        {
            readers.give_back(conn);
        }
    }
}
