//! Reminder tests: a real archive file, the real outbox and memory sinks, and tokio's paused
//! clock carrying the scheduler through weeks.

use std::path::{Path, PathBuf};

use chrono::NaiveDateTime;

use super::*;
use crate::desk::{ClerkInput, Desk, DeskSettings, Reply};
use crate::domain::Author;
use crate::outbox::HealthSource;
use crate::outbox::{Outbox, RetryPolicy};
use crate::platform::memory::{MemoryEvent, MemorySink};
use crate::sink::{Sink, SinkError};

const LONDON: Tz = chrono_tz::Europe::London;

fn at(local: &str) -> DateTime<Utc> {
    let t = NaiveDateTime::parse_from_str(local, "%Y-%m-%d %H:%M").unwrap();
    LONDON
        .from_local_datetime(&t)
        .single()
        .unwrap()
        .with_timezone(&Utc)
}

/// Sleeps on tokio's clock until `clock` reads `local` (London time).
async fn until(clock: &Clock, local: &str) {
    let wait = (at(local) - clock.now()).to_std().unwrap();
    tokio::time::sleep(wait).await;
}

/// One running Gavel (desk, outbox, scheduler) over the archive at `path`.
struct Running {
    desk: Desk,
    outbox: Arc<Outbox>,
    cancel: CancellationToken,
    tracker: TaskTracker,
    clock: Clock,
}

fn start(path: &Path, sinks: &[(&str, Arc<MemorySink>)], clock: Clock) -> Running {
    let archive = Arc::new(Archive::open(path).unwrap());
    let targets: Vec<(String, Arc<dyn Sink>)> = sinks
        .iter()
        .map(|(n, s)| (n.to_string(), Arc::clone(s) as Arc<dyn Sink>))
        .collect();
    let policy = RetryPolicy {
        base: Duration::from_secs(1),
        cap: Duration::from_secs(30),
        // Weeks pass in these tests; nothing else writes the archive.
        idle_recheck: Duration::from_secs(3600),
        ..RetryPolicy::default()
    };
    let outbox = Outbox::new(
        Arc::clone(&archive),
        targets,
        policy,
        crate::i18n::Language::En,
    );
    let reminders = Reminders::new(
        Arc::clone(&archive),
        ReminderSettings::default(),
        LONDON,
        Language::En,
        outbox.target_names(),
        outbox.clone(),
        clock,
    );
    let desk = Desk::new(
        archive,
        DeskSettings {
            prefix: "!".into(),
            timezone: LONDON,
            targets: outbox.target_names(),
            public_url: None,
            language: crate::i18n::Language::En,
        },
    )
    .unwrap()
    .with_waker(outbox.clone())
    .with_consultation_waker(reminders.clone());
    let cancel = CancellationToken::new();
    let tracker = TaskTracker::new();
    outbox.spawn(&tracker, cancel.clone());
    reminders.spawn(&tracker, cancel.clone());
    Running {
        desk,
        outbox,
        cancel,
        tracker,
        clock,
    }
}

impl Running {
    async fn say(&self, line: &str) {
        let reply = self
            .desk
            .submit_at(
                ClerkInput {
                    author: Author::new("console", "clerk", "Clerk"),
                    text: line.into(),
                    source: None,
                },
                self.clock.now(),
            )
            .await;
        assert!(matches!(reply, Reply::Recorded { .. }), "{line}: {reply:?}");
    }

    /// Waits (on tokio's clock) until every queue is empty.
    async fn drained(&self) {
        for _ in 0..100_000 {
            if self.outbox.target_status().iter().all(|t| t.queued == 0) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("queues never drained: {:?}", self.outbox.target_status());
    }

    async fn stop(self) {
        self.cancel.cancel();
        self.tracker.close();
        self.tracker.wait().await;
    }
}

/// The consultation notices a sink was sent, in order.
fn notices(s: &MemorySink) -> Vec<String> {
    s.events()
        .into_iter()
        .filter_map(|e| match e {
            MemoryEvent::Post { text, .. }
                if text.starts_with("Consultation closes")
                    || text.starts_with("Consultation now closed") =>
            {
                Some(text)
            }
            _ => None,
        })
        .collect()
}

const SEVEN_DAYS: &str = "Consultation closes in 7 days: Parking review — https://example.org/parking (closes Sunday 31 January 2027)";
const TOMORROW: &str = "Consultation closes tomorrow: Parking review — https://example.org/parking (closes Sunday 31 January 2027)";
const CLOSED: &str = "Consultation now closed: Parking review";

fn db(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("g.db")
}

async fn announce(g: &Running) {
    g.say("!start Full Council").await;
    g.say("!consult https://example.org/parking Parking review | closes=2027-01-31")
        .await;
    g.say("!end").await;
    g.drained().await;
}

#[tokio::test(start_paused = true)]
async fn reminders_and_the_closed_notice_reach_every_target_once_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let sinks = [
        ("a", Arc::new(MemorySink::default())),
        ("b", Arc::new(MemorySink::default())),
    ];
    let clock = Clock::tokio_from(at("2027-01-23 10:00"));

    let g = start(&db(&dir), &sinks, clock);
    announce(&g).await;
    until(&clock, "2027-01-24 08:59").await;
    g.drained().await;
    for (_, s) in &sinks {
        assert!(notices(s).is_empty(), "nothing before 09:00");
    }
    until(&clock, "2027-01-24 09:30").await;
    g.drained().await;
    g.stop().await;

    // Down from the 24th to the 30th at noon: the one-day reminder fell due meanwhile.
    until(&clock, "2027-01-30 12:00").await;
    let g = start(&db(&dir), &sinks, clock);
    tokio::time::sleep(Duration::from_secs(60)).await;
    g.drained().await;
    for (_, s) in &sinks {
        assert_eq!(notices(s), [SEVEN_DAYS, TOMORROW]);
    }
    g.stop().await;

    // And once more, restarted before the closed notice is due.
    let g = start(&db(&dir), &sinks, clock);
    until(&clock, "2027-02-03 12:00").await;
    g.drained().await;
    for (name, s) in &sinks {
        assert_eq!(notices(s), [SEVEN_DAYS, TOMORROW, CLOSED], "target {name}");
    }
    g.stop().await;
}

#[tokio::test(start_paused = true)]
async fn an_extended_consultation_is_reminded_for_its_new_date_only() {
    let dir = tempfile::tempdir().unwrap();
    let sinks = [("a", Arc::new(MemorySink::default()))];
    let clock = Clock::tokio_from(at("2027-01-23 10:00"));
    let g = start(&db(&dir), &sinks, clock);
    announce(&g).await;
    until(&clock, "2027-01-25 10:00").await;
    g.say("!start Cabinet").await;
    g.say("!consult extend 1 2027-02-14").await;
    until(&clock, "2027-02-20 12:00").await;
    g.drained().await;
    assert_eq!(
        notices(&sinks[0].1),
        [
            SEVEN_DAYS,
            "Consultation closes in 7 days: Parking review — https://example.org/parking (closes Sunday 14 February 2027)",
            "Consultation closes tomorrow: Parking review — https://example.org/parking (closes Sunday 14 February 2027)",
            CLOSED,
        ]
    );
    g.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_withdrawn_consultation_gets_nothing_more_and_its_pending_reminders_are_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let sinks = [
        ("a", Arc::new(MemorySink::default())),
        ("b", Arc::new(MemorySink::default())),
    ];
    let clock = Clock::tokio_from(at("2027-01-23 10:00"));
    let g = start(&db(&dir), &sinks, clock);
    announce(&g).await;
    until(&clock, "2027-01-30 08:00").await;
    // Target b is down when the one-day reminder is queued.
    sinks[1]
        .1
        .fail_next((0..10_000).map(|_| SinkError::backoff("down")));
    until(&clock, "2027-01-30 10:00").await;
    g.say("!start Cabinet").await;
    g.say("!consult withdraw 1").await;
    sinks[1].1.heal();
    until(&clock, "2027-02-05 12:00").await;
    g.drained().await;
    assert_eq!(notices(&sinks[0].1), [SEVEN_DAYS, TOMORROW]);
    assert_eq!(
        notices(&sinks[1].1),
        [SEVEN_DAYS],
        "b's pending reminder was dropped"
    );
    g.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_failing_target_retries_and_gets_each_notice_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let sinks = [
        ("a", Arc::new(MemorySink::default())),
        ("b", Arc::new(MemorySink::default())),
    ];
    let clock = Clock::tokio_from(at("2027-01-23 10:00"));
    let g = start(&db(&dir), &sinks, clock);
    let mut events = g.outbox.subscribe();
    announce(&g).await;
    until(&clock, "2027-01-24 08:00").await;
    sinks[1].1.fail_next([
        SinkError::backoff("503"),
        SinkError::after(Duration::from_secs(5), "429"),
        SinkError::backoff("timeout"),
    ]);
    until(&clock, "2027-02-02 12:00").await;
    g.drained().await;
    for (_, s) in &sinks {
        assert_eq!(notices(s), [SEVEN_DAYS, TOMORROW, CLOSED]);
    }
    let b_attempts = sinks[1].1.attempt_times().len();
    let a_attempts = sinks[0].1.attempt_times().len();
    assert_eq!(
        b_attempts,
        a_attempts + 3,
        "three failed tries, then delivered"
    );
    let mut delivered_to_b = 0;
    while let Ok(ev) = events.try_recv() {
        if let crate::outbox::OutboxEvent::NoticeDelivered { target, .. } = ev
            && target == "b"
        {
            delivered_to_b += 1;
        }
    }
    assert_eq!(delivered_to_b, 3);
    g.stop().await;
}

#[test]
fn welsh_and_bilingual_notices_use_the_catalogues() {
    let d = NaiveDate::from_ymd_opt(2027, 1, 31).unwrap();
    let c = ConsultationRecord {
        number: 1,
        url: "https://example.org/p".into(),
        title: "Parcio".into(),
        closes: d,
        withdrawn: false,
        meeting: crate::domain::MeetingId(1),
        entry: crate::domain::EntryNo(2),
    };
    let text = |language, today| bare(language).text(NoticeKind::Remind(7), &c, today);
    let jan24 = NaiveDate::from_ymd_opt(2027, 1, 24).unwrap();
    assert_eq!(
        text(Language::EnCy, jan24),
        "Consultation closes in 7 days: Parcio — https://example.org/p (closes Sunday 31 January 2027)\n\
         Mae'r ymgynghoriad yn cau ymhen 7 diwrnod: Parcio — https://example.org/p (yn cau dydd Sul 31 Ionawr 2027)"
    );
    assert_eq!(
        text(Language::Cy, NaiveDate::from_ymd_opt(2027, 1, 30).unwrap()),
        "Mae'r ymgynghoriad yn cau yfory: Parcio — https://example.org/p (yn cau dydd Sul 31 Ionawr 2027)"
    );
}

#[test]
fn send_at_is_council_local_time_through_summer_time() {
    let r = bare(Language::En);
    let day = |m, d| NaiveDate::from_ymd_opt(2027, m, d).unwrap();
    assert_eq!(
        r.send_time(day(1, 24)).to_rfc3339(),
        "2027-01-24T09:00:00+00:00"
    );
    assert_eq!(
        r.send_time(day(7, 1)).to_rfc3339(),
        "2027-07-01T08:00:00+00:00"
    );
}

#[test]
fn only_the_latest_overdue_reminder_goes_out_and_a_stale_closed_notice_not_at_all() {
    let r = bare(Language::En);
    let c = ConsultationRecord {
        number: 1,
        url: "https://example.org/p".into(),
        title: "Parking".into(),
        closes: NaiveDate::from_ymd_opt(2027, 1, 31).unwrap(),
        withdrawn: false,
        meeting: crate::domain::MeetingId(1),
        entry: crate::domain::EntryNo(2),
    };
    let plan = |local: &str| r.plan(&c, at(local).with_timezone(&LONDON).date_naive(), at(local));
    assert_eq!(
        plan("2027-01-20 12:00"),
        (vec![], Some(at("2027-01-24 09:00")))
    );
    assert_eq!(
        plan("2027-01-30 12:00"),
        (vec![NoticeKind::Remind(1)], Some(at("2027-02-01 09:00")))
    );
    assert_eq!(plan("2027-01-31 23:00").0, [NoticeKind::Remind(1)]);
    assert_eq!(plan("2027-02-01 09:00"), (vec![NoticeKind::Closed], None));
    assert_eq!(plan("2027-02-08 12:00").0, [NoticeKind::Closed]);
    assert_eq!(
        plan("2027-02-09 12:00"),
        (vec![], None),
        "a week late is not news"
    );
}

/// A scheduler for calling its pure parts; it never runs.
fn bare(language: Language) -> Reminders {
    Reminders {
        archive: Arc::new(Archive::open(Path::new(":memory:")).unwrap()),
        settings: ReminderSettings::default(),
        timezone: LONDON,
        language,
        targets: Vec::new(),
        outbox: Arc::new(NoWaker),
        clock: Clock::System,
        wake: Notify::new(),
    }
}

struct NoWaker;

impl DeliveryWaker for NoWaker {
    fn wake(&self) {}
}
