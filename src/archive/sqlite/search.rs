//! Full-text search in SQLite: an FTS5 index of published entries' text.

use rusqlite::params;

use super::{SqliteArchive, ms_to_utc};
use crate::archive::{Result, Search, SearchHit};
use crate::domain::{EntryKind, EntryNo, MeetingId};

impl Search for SqliteArchive {
    /// Full-text search over published entries. Every word of `query` must match; FTS syntax in
    /// the query is treated as plain words.
    fn search(&self, query: &str, limit: u32) -> Result<Vec<SearchHit>> {
        let terms: Vec<String> = query
            .split(|c: char| !c.is_alphanumeric() && c != '\'')
            .filter(|w| !w.is_empty())
            .take(16)
            .map(|w| format!("\"{}\"", w.replace('"', "")))
            .collect();
        if terms.is_empty() {
            return Ok(Vec::new());
        }
        let fts = terms.join(" ");
        // Newest first by the index's own rowid (= entries.id): FTS5 walks its matches in that
        // order and the LIMIT stops it early. Ordering by `e.id` would make SQLite join, snippet
        // and sort every match before taking the first few.
        let conn = self.read();
        let mut st = conn.prepare_cached(
            "SELECT e.meeting_id, m.title, e.seq, e.ts_ms, e.timezone, e.kind,
                    snippet(entries_fts, 0, char(2), char(3), '…', 16)
             FROM entries_fts JOIN entries e ON e.id = entries_fts.rowid JOIN meetings m ON m.id = e.meeting_id
             WHERE entries_fts MATCH ?1 ORDER BY entries_fts.rowid DESC LIMIT ?2",
        )?;
        let rows = st.query_map(params![fts, limit], |r| {
            let kind: String = r.get(5)?;
            Ok(SearchHit {
                meeting: MeetingId(r.get(0)?),
                meeting_title: r.get(1)?,
                seq: EntryNo(r.get::<_, i64>(2)? as u32),
                at: ms_to_utc(r.get(3)?),
                timezone: r.get(4)?,
                kind: EntryKind::parse(&kind).unwrap_or(EntryKind::Note),
                snippet: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }
}
