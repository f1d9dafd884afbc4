//! Full-text search in PostgreSQL: its own text search (`simple` configuration) over published
//! entries' text, served by a partial GIN index, with `ts_headline` marking the hits.

use super::PostgresArchive;
use super::rows::{ms_to_utc, query};
use crate::archive::{HIT_END, HIT_START, Result, Search, SearchHit};
use crate::domain::{EntryKind, EntryNo, MeetingId};

impl Search for PostgresArchive {
    /// Every word of `query` must match: the words are split as SQLite splits them and handed
    /// to `plainto_tsquery`, which treats any search syntax as plain words.
    fn search(&self, query_text: &str, limit: u32) -> Result<Vec<SearchHit>> {
        let words: Vec<&str> = query_text
            .split(|c: char| !c.is_alphanumeric() && c != '\'')
            .filter(|w| !w.is_empty())
            .take(16)
            .collect();
        if words.is_empty() {
            return Ok(Vec::new());
        }
        let words = words.join(" ");
        let options = format!(
            "StartSel={HIT_START}, StopSel={HIT_END}, MaxWords=16, MinWords=6, ShortWord=0, \
             MaxFragments=1, FragmentDelimiter=\" … \""
        );
        self.run(move |s| async move {
            let rows = query(
                &*s.client().await?,
                "WITH q AS (SELECT plainto_tsquery('simple'::regconfig, $1) AS q)
                 SELECT e.meeting_id, m.title, e.seq, e.ts_ms, e.timezone, e.kind,
                        ts_headline('simple'::regconfig, e.text, q.q, $3)
                 FROM entries e JOIN meetings m ON m.id = e.meeting_id, q
                 WHERE e.confidential = 0 AND to_tsvector('simple'::regconfig, e.text) @@ q.q
                 ORDER BY e.id DESC LIMIT $2",
                &[&words, &(limit as i64), &options],
            )
            .await?;
            rows.iter()
                .map(|r| {
                    let kind: String = r.try_get(5)?;
                    Ok(SearchHit {
                        meeting: MeetingId(r.try_get(0)?),
                        meeting_title: r.try_get(1)?,
                        seq: EntryNo(r.try_get::<_, i64>(2)? as u32),
                        at: ms_to_utc(r.try_get(3)?),
                        timezone: r.try_get(4)?,
                        kind: EntryKind::parse(&kind).unwrap_or(EntryKind::Note),
                        snippet: r.try_get(6)?,
                    })
                })
                .collect()
        })
    }
}
