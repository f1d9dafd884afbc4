//! Consultation reminders: notices to every target a configured number of days before a
//! consultation closes, and a "now closed" notice the day after, whether or not a meeting is
//! running.
//!
//! Nothing about reminders is kept in memory. Each pass derives the consultation records from
//! the archive ([`consultations`]), works out which notices are due by now in the council's
//! time zone, and queues them through the archive's notice queue, whose unique key (consultation,
//! closing date, kind) makes a pass idempotent: a restart, or a second pass, queues nothing twice.
//! The closing date in the key means an extended consultation is reminded for its new date, and
//! pending notices for an old date or a withdrawn consultation are dropped before they are sent.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::archive::{Archive, ArchiveError};
use crate::consultations::{ConsultationRecord, consultations};
use crate::i18n::Language;
use crate::outbox::DeliveryWaker;
use crate::render;
use crate::tr;

/// When reminders go out: `[consultations]` in the config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReminderSettings {
    /// Days before closing on which a reminder is sent; positive, distinct.
    pub days: Vec<u32>,
    /// Local time of day (council time zone) at which notices are sent.
    pub send_at: NaiveTime,
}

impl Default for ReminderSettings {
    fn default() -> Self {
        ReminderSettings {
            days: vec![7, 1],
            send_at: NaiveTime::from_hms_opt(9, 0, 0).unwrap_or_default(),
        }
    }
}

/// A "now closed" notice whose day is more than this far behind is no longer news (Gavel was
/// down for over a week, or is starting on an old archive): it is not sent.
const CLOSED_NOTICE_FRESH_DAYS: i64 = 7;

/// The longest the scheduler sleeps without looking again, so a wall-clock change (NTP, a
/// suspended host) delays a notice by at most this much.
const MAX_SLEEP: Duration = Duration::from_secs(3600);

/// Where the scheduler reads the time.
#[derive(Debug, Clone, Copy)]
pub enum Clock {
    /// The system's wall clock.
    System,
    /// `origin` plus the time elapsed on tokio's clock since `at`: with tokio's paused time,
    /// tests move through days without waiting.
    Tokio {
        origin: DateTime<Utc>,
        at: tokio::time::Instant,
    },
}

impl Clock {
    /// A clock that reads `origin` now and advances with tokio's clock.
    pub fn tokio_from(origin: DateTime<Utc>) -> Clock {
        Clock::Tokio {
            origin,
            at: tokio::time::Instant::now(),
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        match self {
            Clock::System => Utc::now(),
            Clock::Tokio { origin, at } => {
                *origin + chrono::Duration::from_std(at.elapsed()).unwrap_or_default()
            }
        }
    }
}

/// The instant the local time `at` falls on `day` in `tz`. In a clock change's gap (a local
/// time that does not exist) it is an hour later; in an overlap the first of the two.
pub fn local_instant(day: NaiveDate, at: NaiveTime, tz: Tz) -> DateTime<Utc> {
    let local = day.and_time(at);
    tz.from_local_datetime(&local)
        .earliest()
        .or_else(|| {
            tz.from_local_datetime(&(local + chrono::Duration::hours(1)))
                .earliest()
        })
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| Utc.from_utc_datetime(&local))
}

/// What a notice is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NoticeKind {
    /// `n` days before closing.
    Remind(u32),
    Closed,
}

impl NoticeKind {
    fn key_part(self) -> String {
        match self {
            NoticeKind::Remind(n) => format!("remind-{n}"),
            NoticeKind::Closed => "closed".into(),
        }
    }

    fn name(self) -> &'static str {
        match self {
            NoticeKind::Remind(_) => "consult-reminder",
            NoticeKind::Closed => "consult-closed",
        }
    }
}

/// The scheduler task. Wake it (it is a [`DeliveryWaker`]) when a consultation is announced,
/// extended or withdrawn, so the change is seen at once rather than at the next due time.
pub struct Reminders {
    archive: Arc<Archive>,
    settings: ReminderSettings,
    timezone: Tz,
    language: Language,
    targets: Vec<String>,
    outbox: Arc<dyn DeliveryWaker>,
    clock: Clock,
    wake: Notify,
}

impl Reminders {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        archive: Arc<Archive>,
        settings: ReminderSettings,
        timezone: Tz,
        language: Language,
        targets: Vec<String>,
        outbox: Arc<dyn DeliveryWaker>,
        clock: Clock,
    ) -> Arc<Reminders> {
        Arc::new(Reminders {
            archive,
            settings,
            timezone,
            language,
            targets,
            outbox,
            clock,
            wake: Notify::new(),
        })
    }

    /// Starts the scheduler; it stops when `cancel` fires.
    pub fn spawn(self: &Arc<Self>, tracker: &TaskTracker, cancel: CancellationToken) {
        let me = Arc::clone(self);
        tracker.spawn(async move { me.run(cancel).await });
    }

    async fn run(&self, cancel: CancellationToken) {
        loop {
            let now = self.clock.now();
            let next = match self.pass(now) {
                Ok(next) => next,
                Err(e) => {
                    tracing::error!(error = %e, "cannot schedule consultation reminders");
                    None
                }
            };
            let sleep = next
                .and_then(|at| (at - now).to_std().ok())
                .unwrap_or(MAX_SLEEP)
                .min(MAX_SLEEP);
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = cancel.cancelled() => break,
                _ = tokio::time::sleep(sleep) => {}
            }
        }
        tracing::debug!("reminder scheduler stopped");
    }

    /// One pass at `now`: drops pending notices that no longer apply, queues every notice due
    /// by `now`, and returns when the next one falls due.
    fn pass(&self, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>, ArchiveError> {
        let today = now.with_timezone(&self.timezone).date_naive();
        let mut next: Option<DateTime<Utc>> = None;
        let mut queued = 0;
        for c in consultations(&self.archive)? {
            let prefix = format!("consult:{}:{}:", c.meeting.0, c.entry.0);
            if c.withdrawn {
                self.archive.drop_pending_notices(&prefix, None)?;
                continue;
            }
            let current = format!("{prefix}{}:", c.closes);
            self.archive.drop_pending_notices(&prefix, Some(&current))?;
            let (due, upcoming) = self.plan(&c, today, now);
            for kind in due {
                let key = format!("{current}{}", kind.key_part());
                let text = self.text(kind, &c, today);
                if self
                    .archive
                    .enqueue_notice(&key, kind.name(), &text, &self.targets, now)?
                {
                    tracing::info!(notice = %key, "consultation notice queued");
                    queued += 1;
                }
            }
            next = match (next, upcoming) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
        if queued > 0 {
            self.outbox.wake();
        }
        Ok(next)
    }

    /// The notices of `c` due by `now`, and when its next one falls due.
    ///
    /// Of several reminders already due, only the latest is sent (a week-late "closes in 7
    /// days" would be wrong; its text counts the days actually left). Once the consultation
    /// has closed no reminder is sent, only the closed notice, and that only while fresh.
    fn plan(
        &self,
        c: &ConsultationRecord,
        today: NaiveDate,
        now: DateTime<Utc>,
    ) -> (Vec<NoticeKind>, Option<DateTime<Utc>>) {
        let mut due = Vec::new();
        let mut upcoming: Option<DateTime<Utc>> = None;
        let mut note = |at: DateTime<Utc>| upcoming = Some(upcoming.map_or(at, |u| u.min(at)));
        let mut days = self.settings.days.clone();
        days.sort_unstable();
        let closed = today > c.closes;
        let latest_due = days
            .iter()
            .copied()
            .find(|&d| self.send_time(c.closes - chrono::Days::new(u64::from(d))) <= now);
        for &d in &days {
            let at = self.send_time(c.closes - chrono::Days::new(u64::from(d)));
            if at > now {
                note(at);
            } else if !closed && latest_due == Some(d) {
                due.push(NoticeKind::Remind(d));
            }
        }
        let closed_day = c.closes + chrono::Days::new(1);
        let at = self.send_time(closed_day);
        if at > now {
            note(at);
        } else if (today - closed_day).num_days() <= CLOSED_NOTICE_FRESH_DAYS {
            due.push(NoticeKind::Closed);
        }
        (due, upcoming)
    }

    /// The instant `send_at` falls on `day` in the council's time zone. In a clock change's
    /// gap (a local time that does not exist) it is the first instant after the gap; in an
    /// overlap the first of the two.
    fn send_time(&self, day: NaiveDate) -> DateTime<Utc> {
        local_instant(day, self.settings.send_at, self.timezone)
    }

    /// The notice's text in the council's language(s).
    fn text(&self, kind: NoticeKind, c: &ConsultationRecord, today: NaiveDate) -> String {
        self.language.each("\n", |lang| match kind {
            NoticeKind::Remind(_) => tr!(
                lang,
                "consult-reminder",
                days = (c.closes - today).num_days().max(0),
                title = &c.title,
                url = &c.url,
                weekday = c.closes.weekday().number_from_monday(),
                closes = render::long_date(c.closes, lang)
            ),
            NoticeKind::Closed => tr!(lang, "consult-closed", title = &c.title),
        })
    }
}

impl DeliveryWaker for Reminders {
    fn wake(&self) {
        self.wake.notify_one();
    }
}

#[cfg(test)]
mod tests;
