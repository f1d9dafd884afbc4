//! Meetings and their preloaded agendas in PostgreSQL.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use deadpool_postgres::ClientWrapper;
use tokio_postgres::Row;

use super::PostgresArchive;
use super::rows::{begin, execute, finish, ms_to_utc, query, query_one, query_opt};
use crate::archive::{
    ArchiveError, MeetingHeader, MeetingPlan, MeetingRecord, Meetings, PlanSource, PlannedItem,
    Result, Scheduled,
};
use crate::domain::MeetingId;

const MEETING_SELECT: &str = "SELECT m.id, m.title, m.timezone, m.scheduled_for, m.created_at_ms,
        (SELECT ts_ms FROM entries e WHERE e.meeting_id = m.id AND e.kind = 'start' ORDER BY e.seq LIMIT 1),
        (SELECT ts_ms FROM entries e WHERE e.meeting_id = m.id AND e.kind = 'end' ORDER BY e.seq LIMIT 1),
        (SELECT COUNT(*) FROM entries e WHERE e.meeting_id = m.id),
        m.starts_at_ms, m.source_key, m.source_url
     FROM meetings m";

fn meeting_row(r: &Row) -> Result<MeetingRecord> {
    let sched: Option<String> = r.try_get(3)?;
    Ok(MeetingRecord {
        id: MeetingId(r.try_get(0)?),
        title: r.try_get(1)?,
        timezone: r.try_get(2)?,
        scheduled_for: sched.and_then(|s| NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok()),
        created_at: ms_to_utc(r.try_get(4)?),
        started_at: r.try_get::<_, Option<i64>>(5)?.map(ms_to_utc),
        ended_at: r.try_get::<_, Option<i64>>(6)?.map(ms_to_utc),
        entry_count: r.try_get::<_, i64>(7)? as u32,
        starts_at: r.try_get::<_, Option<i64>>(8)?.map(ms_to_utc),
        source: PlanSource::from_columns(r.try_get(9)?, r.try_get(10)?),
    })
}

/// What a meeting's genesis hash covers, read on `c` (inside an append's transaction too).
pub(super) async fn header_in(c: &ClientWrapper, id: MeetingId) -> Result<MeetingHeader> {
    let r = query_opt(
        c,
        "SELECT id, title, timezone, scheduled_for, created_at_ms FROM meetings WHERE id = $1",
        &[&id.0],
    )
    .await?
    .ok_or(ArchiveError::NoSuchMeeting(id))?;
    Ok(MeetingHeader {
        id: MeetingId(r.try_get(0)?),
        title: r.try_get(1)?,
        timezone: r.try_get(2)?,
        scheduled_for: r.try_get(3)?,
        created_at_ms: r.try_get(4)?,
    })
}

async fn schedule_in(
    c: &ClientWrapper,
    plan: &MeetingPlan,
    timezone: &str,
    now_ms: i64,
) -> Result<Scheduled> {
    let date = plan.date.map(|d| d.to_string());
    let starts = plan.starts_at.map(|t| t.timestamp_millis());
    let (key, url) = match &plan.source {
        Some(s) => (Some(s.key.as_str()), Some(s.url.as_str())),
        None => (None, None),
    };
    let before = match key {
        None => None,
        // FOR UPDATE: a concurrent import of the same source waits for this one.
        Some(key) => query_opt(
            c,
            "SELECT id, title, EXISTS (SELECT 1 FROM entries e WHERE e.meeting_id = m.id)
             FROM meetings m WHERE source_key = $1 FOR UPDATE",
            &[&key],
        )
        .await?
        .map(|r| -> Result<(i64, String, bool)> {
            Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?))
        })
        .transpose()?,
    };
    let scheduled = match before {
        Some((id, title, true)) => {
            return Err(ArchiveError::AlreadyStarted {
                meeting: MeetingId(id),
                title,
            });
        }
        Some((id, _, false)) => {
            execute(
                c,
                "UPDATE meetings SET title = $2, timezone = $3, scheduled_for = $4,
                    starts_at_ms = $5, source_url = $6 WHERE id = $1",
                &[&id, &plan.title, &timezone, &date, &starts, &url],
            )
            .await?;
            execute(c, "DELETE FROM planned_items WHERE meeting_id = $1", &[&id]).await?;
            Scheduled::Updated(MeetingId(id))
        }
        None => {
            let id: i64 = query_one(
                c,
                "INSERT INTO meetings (title, timezone, scheduled_for, created_at_ms, starts_at_ms,
                    source_key, source_url) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                &[&plan.title, &timezone, &date, &now_ms, &starts, &key, &url],
            )
            .await?
            .try_get(0)?;
            Scheduled::New(MeetingId(id))
        }
    };
    for (i, item) in plan.items.iter().enumerate() {
        execute(
            c,
            "INSERT INTO planned_items (meeting_id, position, number, title, external_id, exempt,
                documents) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[
                &scheduled.id().0,
                &(i as i64),
                &item.number,
                &item.title,
                &item.external_id,
                &i64::from(item.exempt),
                &item.documents_json(),
            ],
        )
        .await?;
    }
    Ok(scheduled)
}

impl Meetings for PostgresArchive {
    fn schedule_meeting(
        &self,
        plan: &MeetingPlan,
        timezone: Tz,
        now: DateTime<Utc>,
    ) -> Result<Scheduled> {
        let plan = plan.clone();
        self.run(move |s| async move {
            let c = s.client().await?;
            begin(&c).await?;
            let done = schedule_in(&c, &plan, timezone.name(), now.timestamp_millis()).await;
            finish(&c, done).await
        })
    }

    fn planned_items(&self, meeting: MeetingId) -> Result<Vec<PlannedItem>> {
        self.run(move |s| async move {
            let rows = query(
                &*s.client().await?,
                "SELECT number, title, external_id, exempt, documents FROM planned_items
                 WHERE meeting_id = $1 ORDER BY position",
                &[&meeting.0],
            )
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(PlannedItem {
                        number: r.try_get(0)?,
                        title: r.try_get(1)?,
                        external_id: r.try_get(2)?,
                        exempt: r.try_get::<_, i64>(3)? != 0,
                        documents: PlannedItem::documents_from_json(r.try_get(4)?)?,
                    })
                })
                .collect()
        })
    }

    fn meetings(&self) -> Result<Vec<MeetingRecord>> {
        self.run(|s| async move {
            let sql = format!("{MEETING_SELECT} ORDER BY m.id");
            let rows = query(&*s.client().await?, &sql, &[]).await?;
            rows.iter().map(meeting_row).collect()
        })
    }

    fn meeting(&self, id: MeetingId) -> Result<Option<MeetingRecord>> {
        self.run(move |s| async move {
            let sql = format!("{MEETING_SELECT} WHERE m.id = $1");
            let row = query_opt(&*s.client().await?, &sql, &[&id.0]).await?;
            row.as_ref().map(meeting_row).transpose()
        })
    }

    fn meeting_header(&self, id: MeetingId) -> Result<MeetingHeader> {
        self.run(move |s| async move { header_in(&*s.client().await?, id).await })
    }

    fn open_meeting(&self) -> Result<Option<MeetingId>> {
        self.run(|s| async move { open_meeting_in(&*s.client().await?).await })
    }

    fn latest_started_meeting(&self) -> Result<Option<(MeetingId, bool)>> {
        self.run(|s| async move {
            let row = query_opt(
                &*s.client().await?,
                "SELECT s.meeting_id, EXISTS (SELECT 1 FROM entries e WHERE e.meeting_id = s.meeting_id AND e.kind = 'end')
                 FROM entries s WHERE s.kind = 'start' ORDER BY s.id DESC LIMIT 1",
                &[],
            )
            .await?;
            match row {
                Some(r) => Ok(Some((MeetingId(r.try_get(0)?), r.try_get(1)?))),
                None => Ok(None),
            }
        })
    }
}

/// The meeting that has started and not ended, as `c` sees it.
pub(super) async fn open_meeting_in(c: &ClientWrapper) -> Result<Option<MeetingId>> {
    let row = query_opt(
        c,
        "SELECT s.meeting_id FROM entries s WHERE s.kind = 'start'
           AND NOT EXISTS (SELECT 1 FROM entries e WHERE e.meeting_id = s.meeting_id AND e.kind = 'end')
         ORDER BY s.id DESC LIMIT 1",
        &[],
    )
    .await?;
    Ok(row.map(|r| r.try_get(0)).transpose()?.map(MeetingId))
}
