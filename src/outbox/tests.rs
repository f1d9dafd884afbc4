//! Outbox tests with an in-process sink and tokio's paused clock.

use super::*;
use crate::desk::{ClerkInput, Desk, DeskSettings, Reply};
use crate::domain::Author;
use crate::platform::memory::{MemoryEvent, MemorySink};
use crate::sink::Capabilities;

struct Rig {
    _dir: tempfile::TempDir,
    desk: Desk,
    outbox: Arc<Outbox>,
    cancel: CancellationToken,
    tracker: TaskTracker,
}

fn rig(targets: Vec<(&str, Arc<MemorySink>)>, policy: RetryPolicy) -> Rig {
    let dir = tempfile::tempdir().unwrap();
    let archive = Arc::new(Archive::open(&dir.path().join("g.db")).unwrap());
    let names: Vec<String> = targets.iter().map(|(n, _)| n.to_string()).collect();
    let sinks: Vec<(String, Arc<dyn Sink>)> = targets
        .into_iter()
        .map(|(n, s)| (n.to_string(), s as Arc<dyn Sink>))
        .collect();
    let outbox = Outbox::new(
        Arc::clone(&archive),
        sinks,
        policy,
        crate::i18n::Language::En,
    );
    let desk = Desk::new(
        archive,
        DeskSettings {
            prefix: "!".into(),
            timezone: chrono_tz::Europe::London,
            targets: names,
            public_url: None,
            language: crate::i18n::Language::En,
        },
    )
    .unwrap();
    let cancel = CancellationToken::new();
    let tracker = TaskTracker::new();
    outbox.spawn(&tracker, cancel.clone());
    Rig {
        _dir: dir,
        desk,
        outbox,
        cancel,
        tracker,
    }
}

impl Rig {
    async fn say(&self, line: &str) -> Reply {
        self.desk
            .submit(ClerkInput {
                author: Author::new("console", "clerk", "Clerk"),
                text: line.into(),
                source: None,
            })
            .await
    }
    /// Waits (on tokio's clock) until every queue is empty.
    async fn drained(&self) {
        for _ in 0..100_000 {
            if self.outbox.target_status().iter().all(|t| t.queued == 0) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("queues never drained: {:?}", self.outbox.target_status());
    }
    async fn stop(self) {
        self.cancel.cancel();
        self.tracker.close();
        self.tracker.wait().await;
    }
}

fn posts(s: &MemorySink) -> Vec<String> {
    s.events()
        .into_iter()
        .filter_map(|e| match e {
            MemoryEvent::Post { text, .. } => Some(text),
            _ => None,
        })
        .collect()
}

fn editable() -> Arc<MemorySink> {
    Arc::new(MemorySink::new(Capabilities {
        edit: true,
        delete: true,
        pin: false,
    }))
}

fn post_only() -> Arc<MemorySink> {
    Arc::new(MemorySink::new(Capabilities {
        edit: false,
        delete: false,
        pin: false,
    }))
}

#[test]
fn backoff_doubles_stays_under_the_cap_and_is_never_zero() {
    let p = RetryPolicy {
        base: Duration::from_millis(500),
        cap: Duration::from_secs(60),
        ..Default::default()
    };
    let full: Vec<Duration> = (1..=10)
        .map(|n| p.delay(n, RetryClass::Backoff, 1.0))
        .collect();
    assert_eq!(full[0], Duration::from_millis(500));
    assert_eq!(full[1], Duration::from_secs(1));
    assert_eq!(full[2], Duration::from_secs(2));
    assert_eq!(full[9], Duration::from_secs(60));
    for n in 1..40 {
        let low = p.delay(n, RetryClass::Backoff, 0.0);
        assert!(low > Duration::ZERO && low <= p.cap);
    }
    assert_eq!(
        p.delay(1, RetryClass::After(Duration::from_secs(7)), 0.3),
        Duration::from_secs(7)
    );
}

#[test]
fn a_retry_after_longer_than_the_cap_waits_only_the_cap() {
    let p = RetryPolicy::default();
    for asked in [
        MAX_RETRY_AFTER + Duration::from_secs(1),
        Duration::from_secs(6 * 3600),
        Duration::MAX,
    ] {
        assert_eq!(p.delay(1, RetryClass::After(asked), 0.5), MAX_RETRY_AFTER);
    }
    assert_eq!(
        p.delay(1, RetryClass::After(MAX_RETRY_AFTER), 0.5),
        MAX_RETRY_AFTER
    );
}

#[test]
fn a_retry_after_above_the_backoff_cap_but_within_the_limit_is_honoured() {
    let p = RetryPolicy::default();
    let asked = p.cap * 5;
    assert!(asked < MAX_RETRY_AFTER);
    assert_eq!(p.delay(3, RetryClass::After(asked), 0.0), asked);
    assert_eq!(
        p.delay(1, RetryClass::After(Duration::ZERO), 0.0),
        Duration::from_millis(10)
    );
}

/// Collects what the `tracing` macros write while a closure runs.
#[derive(Clone, Default)]
struct Logged(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Logged {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn logged_by(f: impl FnOnce()) -> String {
    let logged = Logged::default();
    let writer = logged.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    tracing::subscriber::with_default(subscriber, f);
    let bytes = logged.0.lock().unwrap().clone();
    String::from_utf8(bytes).unwrap()
}

#[test]
fn a_retry_after_over_the_cap_is_logged_as_a_warning_with_both_figures() {
    let p = RetryPolicy::default();
    let over = logged_by(|| {
        p.delay(1, RetryClass::After(Duration::from_secs(3600)), 0.5);
    });
    assert!(over.contains("WARN"), "{over}");
    assert!(over.contains("requested_secs=3600"), "{over}");
    assert!(over.contains("cap_secs=900"), "{over}");
    let within = logged_by(|| {
        p.delay(1, RetryClass::After(Duration::from_secs(600)), 0.5);
    });
    assert_eq!(within, "");
}

#[tokio::test(start_paused = true)]
async fn retry_after_is_honoured_before_the_next_attempt() {
    let sink = editable();
    sink.fail_next([SinkError::after(Duration::from_secs(30), "429")]);
    let r = rig(vec![("a", sink.clone())], RetryPolicy::default());
    r.say("!start Full Council").await;
    r.drained().await;
    let times = sink.attempt_times();
    assert_eq!(times.len(), 2);
    let gap = times[1] - times[0];
    assert!(gap >= Duration::from_secs(30), "retried after {gap:?}");
    assert!(gap < Duration::from_secs(31), "waited too long: {gap:?}");
    r.stop().await;
}

#[tokio::test(start_paused = true)]
async fn transient_failures_back_off_exponentially_then_deliver_in_order() {
    let sink = editable();
    sink.fail_next((0..5).map(|_| SinkError::backoff("503")));
    let policy = RetryPolicy {
        base: Duration::from_secs(1),
        cap: Duration::from_secs(8),
        ..Default::default()
    };
    let r = rig(vec![("a", sink.clone())], policy);
    r.say("!start Full Council").await;
    r.say("!note one").await;
    r.say("!note two").await;
    r.drained().await;
    let t = sink.attempt_times();
    let gaps: Vec<Duration> = t.windows(2).take(5).map(|w| w[1] - w[0]).collect();
    // Full jitter keeps each wait within [half, all] of 1, 2, 4, 8, 8 seconds.
    for (gap, ceiling) in gaps.iter().zip([1u64, 2, 4, 8, 8]) {
        let c = Duration::from_secs(ceiling);
        assert!(
            *gap >= c / 2 && *gap <= c + Duration::from_millis(50),
            "gap {gap:?} vs ceiling {c:?}"
        );
    }
    let p = posts(&sink);
    assert_eq!(p.len(), 3);
    assert!(p[1].ends_with("one") && p[2].ends_with("two"), "{p:?}");
    r.stop().await;
}

#[tokio::test(start_paused = true)]
async fn one_failing_target_does_not_slow_the_others_and_is_reported() {
    let bad = editable();
    let good = editable();
    bad.fail_next((0..6).map(|_| SinkError::backoff("HTTP 503")));
    let r = rig(
        vec![("bad", bad.clone()), ("good", good.clone())],
        RetryPolicy::default(),
    );
    let mut events = r.outbox.subscribe();
    r.say("!start Full Council").await;
    for i in 0..5 {
        r.say(&format!("!note n{i}")).await;
    }
    // The good target has everything long before the bad one's first retries are over.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(posts(&good).len(), 6);
    assert!(posts(&bad).is_empty());
    r.drained().await;
    assert_eq!(posts(&bad).len(), 6);
    let mut failing = 0;
    let mut recovered = 0;
    while let Ok(e) = events.try_recv() {
        match e {
            OutboxEvent::Failing { target, .. } => {
                assert_eq!(target, "bad");
                failing += 1;
            }
            OutboxEvent::Recovered { target, .. } => {
                assert_eq!(target, "bad");
                recovered += 1;
            }
            _ => {}
        }
    }
    assert_eq!((failing, recovered), (1, 1));
    r.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_permanent_refusal_is_reported_and_the_queue_moves_on() {
    let sink = editable();
    let r = rig(vec![("a", sink.clone())], RetryPolicy::default());
    let mut events = r.outbox.subscribe();
    r.say("!start Full Council").await;
    r.drained().await;
    sink.fail_next([SinkError::permanent("HTTP 400")]);
    r.say("!note refused").await;
    r.say("!note next").await;
    r.drained().await;
    assert!(posts(&sink).last().unwrap().ends_with("next"));
    let mut rejected = false;
    while let Ok(e) = events.try_recv() {
        rejected |= matches!(e, OutboxEvent::Rejected { .. });
    }
    assert!(rejected);
    r.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_threaded_target_gets_its_meetings_opening_post_as_root_unless_it_was_refused() {
    let threaded = Arc::new(MemorySink::default().threaded());
    let flat = editable();
    let r = rig(
        vec![("threaded", threaded.clone()), ("flat", flat.clone())],
        RetryPolicy::default(),
    );
    r.say("!start Planning Committee").await;
    r.say("!note first").await;
    r.say("!end").await;
    r.drained().await;
    let planning = |parent: &str| {
        Some(ThreadRoot {
            remote: "m1".into(),
            title: "Planning Committee".into(),
            parent: Some(parent.into()),
        })
    };
    assert_eq!(
        threaded.thread_roots(),
        [None, planning("m1"), planning("m2")],
        "each entry replies to the one before"
    );
    assert_eq!(flat.thread_roots(), [None, None, None]);

    // The next meeting's opening post is refused for good: its entries go to the channel.
    threaded.fail_next([SinkError::permanent("HTTP 400")]);
    r.say("!start Licensing Committee").await;
    r.say("!note second").await;
    r.drained().await;
    assert_eq!(threaded.thread_roots().len(), 4);
    assert_eq!(threaded.thread_roots()[3], None);
    assert!(posts(&threaded).last().unwrap().ends_with("second"));
    r.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_reply_chain_follows_new_messages_and_skips_edits_in_place_and_withdrawals() {
    let chained = |caps| Arc::new(MemorySink::new(caps).threaded());
    let edits = chained(Capabilities {
        edit: true,
        delete: true,
        pin: false,
    });
    let no_edits = chained(Capabilities {
        edit: false,
        delete: true,
        pin: false,
    });
    let r = rig(
        vec![("edits", edits.clone()), ("no-edits", no_edits.clone())],
        RetryPolicy::default(),
    );
    for line in [
        "!start Cabinet",
        "!note one",
        "!fix 2 one, corrected",
        "!note two",
        "!strike 4",
        "!note three",
    ] {
        r.say(line).await;
        r.drained().await;
    }
    let parents = |s: &MemorySink| -> Vec<Option<String>> {
        s.thread_roots()
            .into_iter()
            .map(|t| t.and_then(|t| t.parent))
            .collect()
    };
    // Editing in place adds no message: "two" answers "one" (m2), "three" answers "two"
    // (m4: the memory sink numbers every event). The withdrawal deletes and posts nothing.
    assert_eq!(
        parents(&edits),
        [
            None,
            Some("m1".into()),
            Some("m2".into()),
            Some("m4".into())
        ]
    );
    // Posting the correction as a new message (m3) makes it the one "two" answers.
    assert_eq!(
        parents(&no_edits),
        [
            None,
            Some("m1".into()),
            Some("m2".into()),
            Some("m3".into()),
            Some("m4".into())
        ]
    );
    r.stop().await;
}

#[tokio::test(start_paused = true)]
async fn fix_edits_where_possible_and_posts_a_correction_elsewhere() {
    let chat = editable();
    let hook = post_only();
    let r = rig(
        vec![("chat", chat.clone()), ("hook", hook.clone())],
        RetryPolicy::default(),
    );
    r.say("!start Full Council").await;
    r.say("!note Cllr Smith moved").await;
    r.say("!fix 2 Cllr Smyth moved").await;
    r.drained().await;
    let edits: Vec<MemoryEvent> = chat
        .events()
        .into_iter()
        .filter(|e| matches!(e, MemoryEvent::Edit { .. }))
        .collect();
    assert_eq!(edits.len(), 1);
    let MemoryEvent::Edit { ids, text } = &edits[0] else {
        unreachable!()
    };
    assert_eq!(ids, &vec!["m2".to_string()]);
    assert!(text.contains("Cllr Smyth moved (corrected "), "{text}");
    assert!(
        posts(&hook)
            .last()
            .unwrap()
            .contains("Correction to #2: Cllr Smyth moved")
    );
    r.stop().await;
}

#[tokio::test(start_paused = true)]
async fn strike_deletes_where_possible_and_posts_a_notice_elsewhere() {
    let chat = editable();
    let hook = post_only();
    let r = rig(
        vec![("chat", chat.clone()), ("hook", hook.clone())],
        RetryPolicy::default(),
    );
    r.say("!start Full Council").await;
    r.say("!note oops").await;
    r.say("!strike 2 posted in error").await;
    r.say("!note again").await;
    r.say("!undo").await;
    r.drained().await;
    let deletes: Vec<MemoryEvent> = chat
        .events()
        .into_iter()
        .filter(|e| matches!(e, MemoryEvent::Delete { .. }))
        .collect();
    assert_eq!(deletes.len(), 2);
    let hp = posts(&hook);
    assert!(
        hp.iter()
            .any(|p| p.contains("Entry #2 withdrawn — posted in error")),
        "{hp:?}"
    );
    assert!(
        hp.iter().any(|p| p.contains("Entry #4 withdrawn")),
        "{hp:?}"
    );
    r.stop().await;
}

#[tokio::test(start_paused = true)]
async fn private_session_reaches_targets_only_as_placeholders() {
    let chat = editable();
    let r = rig(vec![("chat", chat.clone())], RetryPolicy::default());
    r.say("!start Full Council").await;
    r.say("!private Exempt information").await;
    r.say("!note Staff restructure details").await;
    r.say("!vote 5-2-0 carried").await;
    r.say("!public").await;
    r.drained().await;
    let p = posts(&chat);
    assert_eq!(p.len(), 3, "{p:?}");
    assert!(p[1].contains("Public excluded at ") && p[1].ends_with("— Exempt information"));
    assert!(p[2].contains("Public readmitted at "));
    assert!(
        !p.iter()
            .any(|x| x.contains("Staff restructure") || x.contains("5 for"))
    );
    r.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_notice_refused_for_good_is_recorded_and_entries_keep_flowing() {
    let sink = editable();
    let r = rig(vec![("a", sink.clone())], RetryPolicy::default());
    let mut events = r.outbox.subscribe();
    let archive = Arc::clone(r.desk.archive());
    assert!(
        r.say("!start Council")
            .await
            .to_clerk(crate::i18n::Language::En)
            .is_some()
    );
    r.drained().await;
    sink.fail_next([SinkError::permanent("too long")]);
    archive
        .enqueue_notice("n1", "test", "first notice", &["a".into()], Utc::now())
        .unwrap();
    archive
        .enqueue_notice("n2", "test", "second notice", &["a".into()], Utc::now())
        .unwrap();
    r.outbox.wake();
    r.say("!note after the notices").await;
    r.drained().await;
    let texts = posts(&sink);
    assert!(!texts.iter().any(|t| t == "first notice"), "{texts:?}");
    assert!(texts.iter().any(|t| t == "second notice"), "{texts:?}");
    assert!(
        texts.iter().any(|t| t.contains("after the notices")),
        "{texts:?}"
    );
    let mut rejected = Vec::new();
    while let Ok(ev) = events.try_recv() {
        if let OutboxEvent::NoticeRejected { key, .. } = ev {
            rejected.push(key);
        }
    }
    assert_eq!(rejected, ["n1"]);
    r.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_target_retrying_both_queues_delivers_each_row_once() {
    let sink = editable();
    let policy = RetryPolicy {
        base: Duration::from_secs(1),
        cap: Duration::from_secs(4),
        ..Default::default()
    };
    let r = rig(vec![("a", sink.clone())], policy);
    let archive = Arc::clone(r.desk.archive());
    assert!(
        r.say("!start Council")
            .await
            .to_clerk(crate::i18n::Language::En)
            .is_some()
    );
    r.drained().await;
    // Every try fails for a while: both queue heads back off on their own clocks.
    sink.fail_next((0..6).map(|_| SinkError::backoff("503")));
    r.say("!note entry one").await;
    archive
        .enqueue_notice("n1", "test", "notice one", &["a".into()], Utc::now())
        .unwrap();
    r.outbox.wake();
    r.drained().await;
    let texts = posts(&sink);
    assert_eq!(
        texts.iter().filter(|t| *t == "notice one").count(),
        1,
        "{texts:?}"
    );
    assert_eq!(
        texts.iter().filter(|t| t.contains("entry one")).count(),
        1,
        "{texts:?}"
    );
    // The start, six failed tries shared by the two heads, then one success each.
    assert_eq!(sink.attempt_times().len(), 1 + 6 + 2);
    r.stop().await;
}

/// After its last known row a target waits without reading its queues again; this checks it
/// never waits past rows it could not have known were finished: rows behind the head it
/// read, and a head in its other queue. Were either missed, that row would wait for the idle
/// recheck (5 s here) instead of going out straight after the one before it.
#[tokio::test(start_paused = true)]
async fn rows_behind_the_head_and_in_the_other_queue_go_out_without_waiting() {
    let sink = editable();
    let policy = RetryPolicy::default();
    let r = rig(vec![("a", sink.clone())], policy);
    let archive = Arc::clone(r.desk.archive());
    r.say("!start Council").await;
    r.drained().await;

    // Three notices behind one wake: the read finds the first and rows behind it.
    for key in ["n1", "n2", "n3"] {
        archive
            .enqueue_notice(key, "test", key, &["a".into()], Utc::now())
            .unwrap();
    }
    r.outbox.wake();
    r.drained().await;
    // A notice and its wake, then an entry before the target runs: the read the wake asks for
    // finds both, and after one queue's head the other's is still there.
    archive
        .enqueue_notice("n4", "test", "n4", &["a".into()], Utc::now())
        .unwrap();
    r.outbox.wake();
    r.say("!note beside a notice").await;
    r.drained().await;

    let texts = posts(&sink);
    assert_eq!(texts.len(), 6, "{texts:?}");
    assert_eq!(&texts[1..4], ["n1", "n2", "n3"]);
    let times = sink.attempt_times();
    for (i, pair) in times.windows(2).enumerate().skip(1) {
        // The gaps inside each phase, not the test's own pause between them.
        if i == 3 {
            continue;
        }
        let gap = pair[1] - pair[0];
        assert!(
            gap < policy.idle_recheck,
            "post {} waited {gap:?} after the one before it: {texts:?}",
            i + 1
        );
    }
    r.stop().await;
}

/// The texts posted to `sink` that contain one of `tags`, as the tag each contains.
fn tags_posted(sink: &MemorySink, tags: &[String]) -> Vec<String> {
    posts(sink)
        .iter()
        .filter_map(|text| tags.iter().find(|t| text.contains(t.as_str())).cloned())
        .collect()
}

/// Appends a note to `meeting` in a batch of its own, whose rows the hand-off is not told of
/// one by one.
fn note_in_a_batch(
    archive: &Archive,
    meeting: MeetingId,
    text: &str,
    targets: &[(String, DeliveryOp)],
) {
    archive
        .append_many(|batch| {
            batch.append(
                crate::archive::MeetingRef::Existing(meeting),
                crate::archive::EntryDraft {
                    payload: crate::domain::Payload::note(text),
                    text: text.to_string(),
                    author: Author::new("console", "clerk", "Clerk"),
                    at: Utc::now(),
                    timezone: chrono_tz::Europe::London,
                    refers_to: None,
                    confidential: false,
                    source: None,
                },
                targets,
            )
        })
        .unwrap();
}

/// A target that knows its queues were empty takes each new entry from the archive's hand-off:
/// its queue is not read again, and every entry still goes out once, in order, everywhere.
#[tokio::test(start_paused = true)]
async fn new_entries_go_out_from_the_hand_off_without_reading_the_queue() {
    let (a, b) = (editable(), post_only());
    let r = rig(
        vec![("a", a.clone()), ("b", b.clone())],
        RetryPolicy::default(),
    );
    let archive = Arc::clone(r.desk.archive());
    r.say("!start Council").await;
    r.drained().await;
    let reads = archive.queue_reads();
    let tags: Vec<String> = (1..=5).map(|i| format!("handed-{i}")).collect();
    for tag in &tags {
        r.say(&format!("!note {tag}")).await;
    }
    r.drained().await;
    assert_eq!(archive.queue_reads(), reads, "a queue was read");
    for sink in [&a, &b] {
        assert_eq!(tags_posted(sink, &tags), tags);
    }
    r.stop().await;
}

/// Rows the hand-off is not told of one by one (a batch of appends) make the target read its
/// queue, so a batch's entry goes out before an entry handed over after it, and neither waits.
#[tokio::test(start_paused = true)]
async fn a_batch_goes_out_before_the_entry_handed_over_after_it() {
    let sink = post_only();
    let r = rig(vec![("a", sink.clone())], RetryPolicy::default());
    let archive = Arc::clone(r.desk.archive());
    let Reply::Recorded { entry: start, .. } = r.say("!start Council").await else {
        panic!("not started");
    };
    r.drained().await;
    note_in_a_batch(
        &archive,
        start.meeting,
        "from-a-batch",
        &[("a".into(), DeliveryOp::Post)],
    );
    r.say("!note after-the-batch").await;
    let begun = tokio::time::Instant::now();
    r.drained().await;
    assert!(begun.elapsed() < RetryPolicy::default().idle_recheck);
    let tags = ["from-a-batch".to_string(), "after-the-batch".to_string()];
    assert_eq!(tags_posted(&sink, &tags), tags);
    r.stop().await;
}

/// Entries from the desk and from batches, notices, a target failing now and then, all at
/// once on several threads: each target gets every entry once, in the archive's order, and
/// every notice once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn under_concurrent_writers_and_failures_each_row_goes_out_once_in_order() {
    let sinks = [editable(), editable(), post_only()];
    let policy = RetryPolicy {
        base: Duration::from_millis(2),
        cap: Duration::from_millis(10),
        ..Default::default()
    };
    let r = rig(
        vec![
            ("a", sinks[0].clone()),
            ("b", sinks[1].clone()),
            ("c", sinks[2].clone()),
        ],
        policy,
    );
    let archive = Arc::clone(r.desk.archive());
    let Reply::Recorded { entry: start, .. } = r.say("!start Council").await else {
        panic!("not started");
    };
    let targets: Vec<(String, DeliveryOp)> = ["a", "b", "c"]
        .map(|t| (t.to_string(), DeliveryOp::Post))
        .to_vec();
    let batches = {
        let archive = Arc::clone(&archive);
        tokio::spawn(async move {
            for i in 0..20 {
                note_in_a_batch(&archive, start.meeting, &format!("batch-{i}-"), &targets);
                tokio::time::sleep(Duration::from_micros(300)).await;
            }
        })
    };
    let notices = {
        let (archive, outbox) = (Arc::clone(&archive), Arc::clone(&r.outbox));
        tokio::spawn(async move {
            for i in 0..20 {
                let key = format!("notice-{i}-");
                let to = ["a", "b", "c"].map(String::from);
                archive
                    .enqueue_notice(&key, "test", &key, &to, Utc::now())
                    .unwrap();
                outbox.wake();
                tokio::time::sleep(Duration::from_micros(500)).await;
            }
        })
    };
    for i in 0..60 {
        if i % 15 == 0 {
            sinks[i / 15 % 3].fail_next([SinkError::backoff("503")]);
        }
        r.say(&format!("!note desk-{i}-")).await;
        tokio::task::yield_now().await;
    }
    batches.await.unwrap();
    notices.await.unwrap();
    r.drained().await;

    let order: Vec<String> = archive
        .entries(start.meeting)
        .unwrap()
        .into_iter()
        .skip(1)
        .map(|e| e.text)
        .collect();
    assert_eq!(order.len(), 80);
    let notice_keys: Vec<String> = (0..20).map(|i| format!("notice-{i}-")).collect();
    for (name, sink) in ["a", "b", "c"].iter().zip(&sinks) {
        assert_eq!(tags_posted(sink, &order), order, "entries to {name}");
        let mut got = tags_posted(sink, &notice_keys);
        got.sort();
        let mut want = notice_keys.clone();
        want.sort();
        assert_eq!(got, want, "notices to {name}");
    }
    r.stop().await;
}

/// A handed-over entry that fails stays pending, and the target goes back to reading its
/// queue: the entries handed over behind it wait their turn.
#[tokio::test(start_paused = true)]
async fn a_handed_over_entry_that_fails_is_retried_before_those_behind_it() {
    let sink = editable();
    let r = rig(vec![("a", sink.clone())], RetryPolicy::default());
    r.say("!start Council").await;
    r.drained().await;
    sink.fail_next([SinkError::backoff("503")]);
    let tags: Vec<String> = (1..=3).map(|i| format!("retried-{i}")).collect();
    for tag in &tags {
        r.say(&format!("!note {tag}")).await;
    }
    r.drained().await;
    assert_eq!(tags_posted(&sink, &tags), tags);
    // The start, the failed try, then each entry once.
    assert_eq!(sink.attempt_times().len(), 1 + 1 + 3);
    r.stop().await;
}

/// Several instances: a target taken over asks the platform whether the instance before this
/// one posted its first pending entry (sent, then died before recording it), and records the
/// post it finds instead of posting again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_taken_over_finds_what_the_last_holder_posted_instead_of_posting_again() {
    let dir = tempfile::tempdir().unwrap();
    let archive = Arc::new(Archive::open(&dir.path().join("g.db")).unwrap());
    let desk = Desk::new(
        Arc::clone(&archive),
        DeskSettings {
            prefix: "!".into(),
            timezone: chrono_tz::Europe::London,
            targets: vec!["chat".into()],
            public_url: None,
            language: crate::i18n::Language::En,
        },
    )
    .unwrap();
    let said = desk
        .submit(ClerkInput {
            author: Author::new("console", "clerk", "Clerk"),
            text: "!start Full Council".into(),
            source: None,
        })
        .await;
    assert!(matches!(said, Reply::Recorded { .. }), "{said:?}");
    // The instance before this one posted the entry, then died before recording it.
    let sink = editable();
    let row = archive.next_delivery("chat").unwrap().unwrap();
    let posted = sink
        .post(&Outgoing {
            key: IdempotencyKey::derive(&row.entry.hash, "chat", "post"),
            entry: &row.entry,
            original: None,
            text: render::post_text(&row.entry),
            original_remote: Vec::new(),
            thread_root: None,
        })
        .await
        .unwrap();

    let outbox = Outbox::new(
        Arc::clone(&archive),
        vec![("chat".into(), Arc::clone(&sink) as Arc<dyn Sink>)],
        RetryPolicy::default(),
        crate::i18n::Language::En,
    );
    let cluster = Cluster::new(Arc::clone(&archive), "next".into(), Duration::from_secs(5));
    outbox.share(Arc::clone(&cluster));
    let (cancel, tracker) = (CancellationToken::new(), TaskTracker::new());
    tracker.spawn(Arc::clone(&cluster).run(cancel.clone()));
    outbox.spawn(&tracker, cancel.clone());
    for _ in 0..500 {
        if archive.queue_depth("chat").unwrap() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(archive.queue_depth("chat").unwrap(), 0);
    assert_eq!(
        archive.remote_ids("chat", row.entry.id).unwrap(),
        Some(posted),
        "the post found is the one recorded"
    );
    let posts = sink
        .events()
        .into_iter()
        .filter(|e| matches!(e, MemoryEvent::Post { .. }))
        .count();
    assert_eq!(posts, 1, "nothing posted twice: {:?}", sink.events());
    // Later entries are posted as usual, without asking.
    desk.submit(ClerkInput {
        author: Author::new("console", "clerk", "Clerk"),
        text: "!note after the takeover".into(),
        source: None,
    })
    .await;
    for _ in 0..500 {
        if archive.queue_depth("chat").unwrap() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        sink.events()
            .into_iter()
            .filter(|e| matches!(e, MemoryEvent::Post { .. }))
            .count(),
        2
    );
    cancel.cancel();
    tracker.close();
    tracker.wait().await;
}
