//! Meetings and their preloaded agendas in SQLite.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{SqliteArchive, ms_to_utc};
use crate::archive::{
    ArchiveError, MeetingHeader, MeetingPlan, MeetingRecord, Meetings, PlanSource, PlannedItem,
    Result, Scheduled,
};
use crate::domain::MeetingId;

impl SqliteArchive {
    /// The meeting that has started and not ended, as `c` sees it.
    pub(super) fn open_meeting_in(c: &Connection) -> Result<Option<MeetingId>> {
        let id: Option<i64> = c
            .prepare_cached(
                "SELECT s.meeting_id FROM entries s WHERE s.kind = 'start'
                   AND NOT EXISTS (SELECT 1 FROM entries e WHERE e.meeting_id = s.meeting_id AND e.kind = 'end')
                 ORDER BY s.id DESC LIMIT 1",
            )?
            .query_row([], |r| r.get(0))
            .optional()?;
        Ok(id.map(MeetingId))
    }
    const MEETING_SELECT: &'static str =
        "SELECT m.id, m.title, m.timezone, m.scheduled_for, m.created_at_ms,
            (SELECT ts_ms FROM entries e WHERE e.meeting_id = m.id AND e.kind = 'start' LIMIT 1),
            (SELECT ts_ms FROM entries e WHERE e.meeting_id = m.id AND e.kind = 'end' LIMIT 1),
            (SELECT COUNT(*) FROM entries e WHERE e.meeting_id = m.id),
            m.starts_at_ms, m.source_key, m.source_url
         FROM meetings m";

    fn meeting_row(r: &Row<'_>) -> rusqlite::Result<MeetingRecord> {
        let sched: Option<String> = r.get(3)?;
        Ok(MeetingRecord {
            id: MeetingId(r.get(0)?),
            title: r.get(1)?,
            timezone: r.get(2)?,
            scheduled_for: sched.and_then(|s| NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok()),
            created_at: ms_to_utc(r.get(4)?),
            started_at: r.get::<_, Option<i64>>(5)?.map(ms_to_utc),
            ended_at: r.get::<_, Option<i64>>(6)?.map(ms_to_utc),
            entry_count: r.get::<_, i64>(7)? as u32,
            starts_at: r.get::<_, Option<i64>>(8)?.map(ms_to_utc),
            source: PlanSource::from_columns(r.get(9)?, r.get(10)?),
        })
    }

    pub(super) fn meeting_header_in(conn: &Connection, id: MeetingId) -> Result<MeetingHeader> {
        conn.query_row(
            "SELECT id, title, timezone, scheduled_for, created_at_ms FROM meetings WHERE id = ?1",
            [id.0],
            |r| {
                Ok(MeetingHeader {
                    id: MeetingId(r.get(0)?),
                    title: r.get(1)?,
                    timezone: r.get(2)?,
                    scheduled_for: r.get(3)?,
                    created_at_ms: r.get(4)?,
                })
            },
        )
        .optional()?
        .ok_or(ArchiveError::NoSuchMeeting(id))
    }
}

impl Meetings for SqliteArchive {
    fn schedule_meeting(
        &self,
        plan: &MeetingPlan,
        timezone: Tz,
        now: DateTime<Utc>,
    ) -> Result<Scheduled> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let date = plan.date.map(|d| d.to_string());
        let starts = plan.starts_at.map(|t| t.timestamp_millis());
        let (key, url) = match &plan.source {
            Some(s) => (Some(s.key.as_str()), Some(s.url.as_str())),
            None => (None, None),
        };
        let before: Option<(i64, String, bool)> = match key {
            None => None,
            Some(key) => tx
                .query_row(
                    "SELECT id, title, EXISTS (SELECT 1 FROM entries e WHERE e.meeting_id = m.id)
                     FROM meetings m WHERE source_key = ?1",
                    [key],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?,
        };
        let scheduled = match before {
            Some((id, title, true)) => {
                return Err(ArchiveError::AlreadyStarted {
                    meeting: MeetingId(id),
                    title,
                });
            }
            Some((id, _, false)) => {
                tx.execute(
                    "UPDATE meetings SET title = ?2, timezone = ?3, scheduled_for = ?4,
                        starts_at_ms = ?5, source_url = ?6 WHERE id = ?1",
                    params![id, plan.title, timezone.name(), date, starts, url],
                )?;
                tx.execute("DELETE FROM planned_items WHERE meeting_id = ?1", [id])?;
                Scheduled::Updated(MeetingId(id))
            }
            None => {
                tx.execute(
                    "INSERT INTO meetings (title, timezone, scheduled_for, created_at_ms,
                        starts_at_ms, source_key, source_url)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    params![
                        plan.title,
                        timezone.name(),
                        date,
                        now.timestamp_millis(),
                        starts,
                        key,
                        url
                    ],
                )?;
                Scheduled::New(MeetingId(tx.last_insert_rowid()))
            }
        };
        for (i, item) in plan.items.iter().enumerate() {
            tx.execute(
                "INSERT INTO planned_items (meeting_id, position, number, title, external_id,
                    exempt, documents) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    scheduled.id().0,
                    i as i64,
                    item.number,
                    item.title,
                    item.external_id,
                    item.exempt,
                    item.documents_json()
                ],
            )?;
        }
        tx.commit()?;
        Ok(scheduled)
    }

    fn planned_items(&self, meeting: MeetingId) -> Result<Vec<PlannedItem>> {
        let conn = self.read();
        let mut st = conn.prepare_cached(
            "SELECT number, title, external_id, exempt, documents FROM planned_items
             WHERE meeting_id = ?1 ORDER BY position",
        )?;
        let rows = st.query_map([meeting.0], |r| {
            Ok((
                PlannedItem {
                    number: r.get(0)?,
                    title: r.get(1)?,
                    external_id: r.get(2)?,
                    exempt: r.get::<_, i64>(3)? != 0,
                    documents: Vec::new(),
                },
                r.get::<_, String>(4)?,
            ))
        })?;
        let mut items = Vec::new();
        for row in rows {
            let (mut item, documents) = row?;
            item.documents = PlannedItem::documents_from_json(&documents)?;
            items.push(item);
        }
        Ok(items)
    }

    fn meetings(&self) -> Result<Vec<MeetingRecord>> {
        let conn = self.read();
        let mut st = conn.prepare_cached(&format!("{} ORDER BY m.id", Self::MEETING_SELECT))?;
        let rows = st.query_map([], Self::meeting_row)?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    fn meeting(&self, id: MeetingId) -> Result<Option<MeetingRecord>> {
        let conn = self.read();
        let mut st = conn.prepare_cached(&format!("{} WHERE m.id = ?1", Self::MEETING_SELECT))?;
        Ok(st.query_row([id.0], Self::meeting_row).optional()?)
    }

    fn open_meeting(&self) -> Result<Option<MeetingId>> {
        Self::open_meeting_in(&self.read())
    }

    fn meeting_header(&self, id: MeetingId) -> Result<MeetingHeader> {
        Self::meeting_header_in(&self.read(), id)
    }

    fn latest_started_meeting(&self) -> Result<Option<(MeetingId, bool)>> {
        let row: Option<(i64, bool)> = self
            .read()
            .query_row(
                "SELECT s.meeting_id, EXISTS (SELECT 1 FROM entries e WHERE e.meeting_id = s.meeting_id AND e.kind = 'end')
                 FROM entries s WHERE s.kind = 'start' ORDER BY s.id DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        Ok(row.map(|(m, ended)| (MeetingId(m), ended)))
    }
}
