//! A council's published agendas into the archive: `gavel import moderngov` (one meeting, on
//! the clerk's command) and `[moderngov]`'s daily sync in `gavel run` (the coming week's
//! meetings of the configured committees).
//!
//! Both go through [`import_meeting`]: [`crate::moderngov`] reads the meeting, its
//! [`ImportedMeeting::to_plan`] checks every item by the rules of `!agenda`, and the archive's
//! `schedule_meeting` keeps it keyed by the site and the meeting's ModernGov id. Importing the
//! same meeting again updates it until it starts; once it has started the record is the
//! clerk's and the import changes nothing.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Days, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::archive::{Archive, ArchiveError, Scheduled};
use crate::config::ModernGovSettings;
use crate::moderngov::{Client, ImportedMeeting, MeetingFilter, MeetingSummary, ModernGovError};
use crate::reminders::Clock;

/// How far ahead the daily sync looks.
pub const SYNC_DAYS: u64 = 7;

/// The longest the sync sleeps without looking at the clock again (a changed wall clock
/// delays a sync by at most this much).
const MAX_SLEEP: Duration = Duration::from_secs(3600);

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    ModernGov(#[from] ModernGovError),
    #[error(transparent)]
    Archive(#[from] ArchiveError),
}

/// One meeting imported: what the council published and what the archive did with it.
#[derive(Debug, Clone)]
pub struct Imported {
    pub meeting: ImportedMeeting,
    pub scheduled: Scheduled,
}

/// Reads meeting `meeting_id` from the council's site and schedules (or updates) it.
pub async fn import_meeting(
    archive: &Archive,
    client: &Client,
    meeting_id: u32,
    timezone: Tz,
    now: DateTime<Utc>,
) -> Result<Imported, ImportError> {
    let meeting = client.get_meeting(meeting_id).await?;
    let plan = meeting.to_plan()?;
    let scheduled = archive.schedule_meeting(&plan, timezone, now)?;
    Ok(Imported { meeting, scheduled })
}

impl Imported {
    /// For the clerk, several lines: what was done, what was imported, the exempt items by
    /// number and title, and what to type next.
    pub fn report(&self) -> String {
        let m = &self.meeting;
        let (verb, id) = match self.scheduled {
            Scheduled::New(id) => ("imported", id),
            Scheduled::Updated(id) => ("updated", id),
        };
        let mut lines = vec![
            format!(
                "{verb} meeting {id} “{}”, {} at {} ({}), from {}",
                m.title,
                m.start.format("%Y-%m-%d"),
                m.start.format("%H:%M"),
                m.start.timezone().name(),
                m.page_url()
            ),
            format!("  {}", m.summary()),
        ];
        for item in m.numbered_items().filter(|i| i.exempt) {
            lines.push(format!(
                "  exempt: {} {} (`!next` will suggest `!private <reason>`; nothing is excluded without it)",
                item.number.as_deref().unwrap_or_default(),
                item.title
            ));
        }
        lines.push("  `!start` opens it on the day, `!next` walks the agenda".into());
        lines.join("\n")
    }
}

/// A meeting list for the clerk to choose from: id, date, time, committee, status, page.
pub fn list_report(rows: &[MeetingSummary]) -> String {
    if rows.is_empty() {
        return "no meetings in that range".into();
    }
    rows.iter()
        .map(|r| {
            format!(
                "{:>7}  {}  {}  {}{}  {}",
                r.moderngov_id,
                r.date,
                r.time
                    .map(|t| t.format("%H:%M").to_string())
                    .unwrap_or_else(|| "--:--".into()),
                if r.committee.is_empty() {
                    "(committee not named)"
                } else {
                    &r.committee
                },
                r.status
                    .as_deref()
                    .map(|s| format!(" [{s}]"))
                    .unwrap_or_default(),
                r.page_url
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// What one sync pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SyncReport {
    pub imported: u32,
    pub updated: u32,
    /// Meetings already under way or over: left as the clerk recorded them.
    pub started: u32,
    /// Meetings the council lists as cancelled: not imported.
    pub cancelled: u32,
    /// One line per meeting or committee that could not be read.
    pub failed: Vec<String>,
}

/// `[moderngov]`'s daily import.
pub struct Sync {
    archive: Arc<Archive>,
    client: Client,
    settings: ModernGovSettings,
    timezone: Tz,
    clock: Clock,
}

impl Sync {
    pub fn new(
        archive: Arc<Archive>,
        settings: ModernGovSettings,
        timezone: Tz,
        clock: Clock,
    ) -> Result<Sync, ModernGovError> {
        Ok(Sync {
            client: Client::new(settings.site.clone(), timezone)?,
            archive,
            settings,
            timezone,
            clock,
        })
    }

    pub fn site(&self) -> &crate::moderngov::Site {
        &self.settings.site
    }

    /// Syncs once at start (so a newly configured site does not wait a day), then daily at
    /// `sync_at`; stops when `cancel` fires.
    pub fn spawn(self, tracker: &TaskTracker, cancel: CancellationToken) {
        tracker.spawn(async move { self.run(cancel).await });
    }

    async fn run(self, cancel: CancellationToken) {
        let mut due = self.clock.now();
        loop {
            let now = self.clock.now();
            if now >= due {
                tokio::select! {
                    _ = cancel.cancelled() => break,
                    report = self.once(now) => log(&report),
                }
                due = next_sync(self.clock.now(), self.timezone, self.settings.sync_at);
            }
            let sleep = (due - self.clock.now())
                .to_std()
                .unwrap_or_default()
                .min(MAX_SLEEP);
            tokio::select! {
                _ = cancel.cancelled() => break,
                _ = tokio::time::sleep(sleep) => {}
            }
        }
        tracing::debug!("ModernGov sync stopped");
    }

    /// One pass: every configured committee's meetings from today to [`SYNC_DAYS`] ahead.
    pub async fn once(&self, now: DateTime<Utc>) -> SyncReport {
        let today = now.with_timezone(&self.timezone).date_naive();
        let mut report = SyncReport::default();
        let committees: Vec<Option<String>> = if self.settings.committees.is_empty() {
            vec![None]
        } else {
            self.settings.committees.iter().cloned().map(Some).collect()
        };
        let mut seen = Vec::new();
        for committee in committees {
            let filter = MeetingFilter {
                committee: committee.clone(),
                from: today,
                to: today + Days::new(SYNC_DAYS),
            };
            let rows = match self.client.list_meetings(&filter).await {
                Ok(rows) => rows,
                Err(e) => {
                    report.failed.push(format!(
                        "{}: {e}",
                        committee.as_deref().unwrap_or("every committee")
                    ));
                    continue;
                }
            };
            for row in rows {
                if seen.contains(&row.moderngov_id) {
                    continue;
                }
                seen.push(row.moderngov_id);
                if row
                    .status
                    .as_deref()
                    .is_some_and(|s| s.to_ascii_lowercase().contains("cancel"))
                {
                    report.cancelled += 1;
                    continue;
                }
                match import_meeting(
                    &self.archive,
                    &self.client,
                    row.moderngov_id,
                    self.timezone,
                    now,
                )
                .await
                {
                    Ok(i) => match i.scheduled {
                        Scheduled::New(_) => report.imported += 1,
                        Scheduled::Updated(_) => report.updated += 1,
                    },
                    Err(ImportError::Archive(ArchiveError::AlreadyStarted { .. })) => {
                        report.started += 1
                    }
                    Err(e) => report
                        .failed
                        .push(format!("meeting {} ({}): {e}", row.moderngov_id, row.date)),
                }
            }
        }
        report
    }
}

fn log(report: &SyncReport) {
    tracing::info!(
        imported = report.imported,
        updated = report.updated,
        started = report.started,
        cancelled = report.cancelled,
        failed = report.failed.len(),
        "ModernGov agendas synced"
    );
    for f in &report.failed {
        tracing::warn!(problem = %f, "a ModernGov agenda could not be imported");
    }
}

/// The first `at` (local time in `tz`) after `now`. A time the clocks skip (a spring-forward
/// gap) runs an hour later; a repeated one runs at its first occurrence.
pub fn next_sync(now: DateTime<Utc>, tz: Tz, at: NaiveTime) -> DateTime<Utc> {
    let today = now.with_timezone(&tz).date_naive();
    let on = |day: NaiveDate| crate::reminders::local_instant(day, at, tz);
    let candidate = on(today);
    if candidate > now {
        candidate
    } else {
        on(today + Days::new(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Europe::London;

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn the_next_sync_is_today_or_tomorrow_at_local_time_across_clock_changes() {
        let six = NaiveTime::from_hms_opt(6, 0, 0).unwrap();
        // December: GMT.
        assert_eq!(
            next_sync(utc("2026-12-03T05:00:00Z"), London, six),
            utc("2026-12-03T06:00:00Z")
        );
        assert_eq!(
            next_sync(utc("2026-12-03T06:00:00Z"), London, six),
            utc("2026-12-04T06:00:00Z")
        );
        // July: BST, so 06:00 local is 05:00 UTC.
        assert_eq!(
            next_sync(utc("2026-07-01T12:00:00Z"), London, six),
            utc("2026-07-02T05:00:00Z")
        );
        // 01:30 does not exist on 29 March 2026 in London: an hour later.
        let half_one = NaiveTime::from_hms_opt(1, 30, 0).unwrap();
        assert_eq!(
            next_sync(utc("2026-03-28T12:00:00Z"), London, half_one),
            utc("2026-03-29T01:30:00Z")
        );
    }
}
