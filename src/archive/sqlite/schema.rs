//! Embedded schema migrations, applied in order and tracked with `PRAGMA user_version`.

use std::path::Path;

use rusqlite::Connection;

use crate::archive::{ArchiveError, Result};

/// Each element moves the schema one version forward. Never edit a released step: add one.
const MIGRATIONS: &[&str] = &[
    // 1: meetings, planned items, entries, full-text index, deliveries, checkpoints.
    "CREATE TABLE meetings (
        id INTEGER PRIMARY KEY,
        title TEXT NOT NULL,
        timezone TEXT NOT NULL,
        scheduled_for TEXT,
        created_at_ms INTEGER NOT NULL
    );
    CREATE TABLE planned_items (
        meeting_id INTEGER NOT NULL REFERENCES meetings(id),
        position INTEGER NOT NULL,
        number TEXT NOT NULL,
        title TEXT NOT NULL,
        PRIMARY KEY (meeting_id, position)
    );
    CREATE TABLE entries (
        id INTEGER PRIMARY KEY,
        meeting_id INTEGER NOT NULL REFERENCES meetings(id),
        seq INTEGER NOT NULL,
        kind TEXT NOT NULL,
        fields TEXT NOT NULL,
        text TEXT NOT NULL,
        author_platform TEXT NOT NULL,
        author_id TEXT NOT NULL,
        author_name TEXT NOT NULL,
        ts_ms INTEGER NOT NULL,
        timezone TEXT NOT NULL,
        refers_to INTEGER,
        confidential INTEGER NOT NULL DEFAULT 0,
        source_platform TEXT,
        source_id TEXT,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL,
        UNIQUE (meeting_id, seq)
    );
    CREATE UNIQUE INDEX entries_source ON entries (source_platform, source_id) WHERE source_id IS NOT NULL;
    CREATE INDEX entries_kind ON entries (kind, meeting_id);
    CREATE VIRTUAL TABLE entries_fts USING fts5 (text, content='entries', content_rowid='id', tokenize='unicode61 remove_diacritics 2');
    CREATE TABLE deliveries (
        id INTEGER PRIMARY KEY,
        target TEXT NOT NULL,
        entry_id INTEGER NOT NULL REFERENCES entries(id),
        op TEXT NOT NULL,
        state TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_ms INTEGER,
        remote_ids TEXT,
        last_error TEXT,
        created_ms INTEGER NOT NULL,
        delivered_ms INTEGER
    );
    CREATE INDEX deliveries_pending ON deliveries (target, state, id);
    CREATE INDEX deliveries_entry ON deliveries (entry_id, target);
    CREATE TABLE checkpoints (
        meeting_id INTEGER PRIMARY KEY REFERENCES meetings(id),
        head TEXT NOT NULL,
        entries INTEGER NOT NULL,
        public_key TEXT NOT NULL,
        signature TEXT NOT NULL,
        signed_at_ms INTEGER NOT NULL
    );",
    // 2: the pinned "now" status message per (target, meeting), so a restart edits it.
    "CREATE TABLE status_messages (
        target TEXT NOT NULL,
        meeting_id INTEGER NOT NULL REFERENCES meetings(id),
        remote_ids TEXT NOT NULL,
        text TEXT NOT NULL,
        edits INTEGER NOT NULL DEFAULT 0,
        pinned INTEGER NOT NULL DEFAULT 0,
        finalised INTEGER NOT NULL DEFAULT 0,
        updated_ms INTEGER NOT NULL,
        PRIMARY KEY (target, meeting_id)
    );",
    // 3: notices (messages that are not entries, such as consultation reminders) and their
    // per-target delivery rows, shaped like `deliveries`. The UNIQUE key makes scheduling a
    // notice idempotent across restarts and races.
    "CREATE TABLE notices (
        id INTEGER PRIMARY KEY,
        key TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        text TEXT NOT NULL,
        created_ms INTEGER NOT NULL
    );
    CREATE TABLE notice_deliveries (
        id INTEGER PRIMARY KEY,
        target TEXT NOT NULL,
        notice_id INTEGER NOT NULL REFERENCES notices(id),
        state TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_ms INTEGER,
        remote_ids TEXT,
        last_error TEXT,
        created_ms INTEGER NOT NULL,
        delivered_ms INTEGER
    );
    CREATE INDEX notice_deliveries_pending ON notice_deliveries (target, state, id);",
    // 4: imported meetings (`gavel import moderngov`): the source's key and page, the start
    // time, and per planned item its id in the source, exempt flag and public documents.
    "ALTER TABLE meetings ADD COLUMN starts_at_ms INTEGER;
    ALTER TABLE meetings ADD COLUMN source_key TEXT;
    ALTER TABLE meetings ADD COLUMN source_url TEXT;
    CREATE UNIQUE INDEX meetings_source ON meetings (source_key) WHERE source_key IS NOT NULL;
    ALTER TABLE planned_items ADD COLUMN external_id TEXT;
    ALTER TABLE planned_items ADD COLUMN exempt INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE planned_items ADD COLUMN documents TEXT NOT NULL DEFAULT '[]';",
    // 5: leases, for several instances sharing an archive (a SQLite archive has one, but
    // both engines keep the same tables).
    "CREATE TABLE leases (
        name TEXT PRIMARY KEY,
        holder TEXT NOT NULL,
        token INTEGER NOT NULL,
        expires_ms INTEGER NOT NULL
    );",
    // 6: where each chat input got to, shared by instances that take the input over.
    "CREATE TABLE positions (
        name TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        updated_ms INTEGER NOT NULL
    );",
];

pub fn migrate(conn: &Connection, path: &Path) -> Result<()> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let known = MIGRATIONS.len() as i64;
    if version > known {
        return Err(ArchiveError::TooNew {
            location: path.display().to_string(),
            found: version,
            known,
        });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        let tx = conn.unchecked_transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
    }
    Ok(())
}
