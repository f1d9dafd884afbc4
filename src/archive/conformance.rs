//! The archive's conformance suite: the behaviour every storage engine must show, written
//! against the traits alone. Each engine runs all of it with [`archive_conformance!`], giving a
//! function that opens a fresh, empty archive as a [`Subject`].

use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

use super::*;
use crate::domain::{Author, Entry, EntryKind, EntryNo, MeetingId, Payload, SourceRef};

/// Runs a query on an engine and returns its rows, each value as text.
pub type Query = dyn Fn(&str) -> Vec<Vec<String>>;

/// A fresh archive of one engine, with the engine-specific tools the suite needs.
pub struct Subject {
    pub archive: Arc<Archive>,
    /// Runs one statement on the archive's own storage: how tests tamper with stored rows.
    /// Statements use the shared schema's table and column names and no parameters.
    pub sql: Box<dyn Fn(&str)>,
    /// Runs a query and returns its rows, each value as text.
    pub query: Box<Query>,
    /// The same archive opened again, as after a restart.
    pub reopen: Box<dyn Fn() -> Arc<Archive>>,
    /// Whatever must live as long as the archive (a temporary folder, a schema to drop).
    pub _keep: Box<dyn std::any::Any>,
}

/// Opens a fresh, empty archive.
pub type Open<'a> = &'a dyn Fn() -> Subject;

pub(crate) fn tz() -> Tz {
    chrono_tz::Europe::London
}

fn clerk() -> Author {
    Author::new("console", "clerk", "Clerk")
}

pub(crate) fn draft(kind: EntryKind, text: &str, at: DateTime<Utc>) -> EntryDraft {
    EntryDraft {
        payload: Payload::sample(kind, text),
        text: text.to_string(),
        author: clerk(),
        at,
        timezone: tz(),
        refers_to: None,
        confidential: false,
        source: None,
    }
}

pub(crate) fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 18, 30, 0).unwrap()
}

/// A meeting with `n` notes after its start entry.
pub(crate) fn meeting_with_notes(a: &Archive, n: u32) -> MeetingId {
    let start = a
        .append(
            MeetingRef::New {
                title: "Full Council".into(),
                scheduled: None,
            },
            draft(EntryKind::Start, "Meeting started: Full Council", t0()),
            &[],
        )
        .unwrap();
    let m = start.entry().meeting;
    for i in 0..n {
        a.append(
            MeetingRef::Existing(m),
            draft(
                EntryKind::Note,
                &format!("note {i}"),
                t0() + Duration::seconds(i as i64 + 1),
            ),
            &[("web".into(), DeliveryOp::Post)],
        )
        .unwrap();
    }
    m
}

pub fn appended_entries_read_back_in_order_with_their_fields(open: Open) {
    let s = open();
    let a = &*s.archive;
    let m = meeting_with_notes(a, 3);
    let es = a.entries(m).unwrap();
    assert_eq!(es.len(), 4);
    assert_eq!(
        es.iter().map(|e| e.seq.0).collect::<Vec<_>>(),
        vec![1, 2, 3, 4]
    );
    assert_eq!(es[2].text, "note 1");
    assert_eq!(es[2].payload, Payload::note("note 1"));
    assert_eq!(es[2].author, clerk());
    assert_eq!(es[2].at, t0() + Duration::seconds(2));
    assert_eq!(es[2].prev_hash, es[1].hash);
}

pub fn archive_survives_reopen_after_drop(open: Open) {
    let s = open();
    let m = meeting_with_notes(&s.archive, 2);
    let a = (s.reopen)();
    assert_eq!(a.entries(m).unwrap().len(), 3);
    assert_eq!(a.open_meeting().unwrap(), Some(m));
    let r = a.verify(None).unwrap();
    assert_eq!(r.len(), 1);
    assert!(r[0].problem.is_none(), "{:?}", r[0].problem);
    assert_eq!(r[0].entries, 3);
}

pub fn clean_chain_verifies_and_head_is_last_hash(open: Open) {
    let s = open();
    let a = &*s.archive;
    let m = meeting_with_notes(a, 5);
    let r = &a.verify(Some(m)).unwrap()[0];
    assert_eq!(r.problem, None);
    assert_eq!(r.head, a.entries(m).unwrap().last().unwrap().hash);
}

pub fn changing_any_stored_field_makes_verify_name_that_entry(open: Open) {
    let columns = [
        ("kind", "'vote'"),
        ("fields", "'{\"text\":\"forged\"}'"),
        ("text", "'forged'"),
        ("author_platform", "'discord'"),
        ("author_id", "'mallory'"),
        ("author_name", "'Mallory'"),
        ("ts_ms", "ts_ms + 1"),
        ("timezone", "'Europe/Paris'"),
        ("refers_to", "2"),
        ("confidential", "1"),
        ("source_platform", "'discord'"),
        ("source_id", "'123'"),
        ("prev_hash", "'00'"),
        ("hash", "'00'"),
    ];
    for (col, value) in columns {
        let s = open();
        let a = &*s.archive;
        let m = meeting_with_notes(a, 5);
        (s.sql)(&format!(
            "UPDATE entries SET {col} = {value} WHERE meeting_id = {} AND seq = 4",
            m.0
        ));
        let r = &a.verify(Some(m)).unwrap()[0];
        let p = r
            .problem
            .as_ref()
            .unwrap_or_else(|| panic!("changing {col} went unnoticed"));
        assert_eq!(p.entry, Some(EntryNo(4)), "changing {col}: {p:?}");
    }
}

pub fn changing_the_meeting_title_is_detected(open: Open) {
    let s = open();
    let a = &*s.archive;
    let m = meeting_with_notes(a, 2);
    (s.sql)("UPDATE meetings SET title = 'Other'");
    let r = &a.verify(Some(m)).unwrap()[0];
    assert!(
        r.problem
            .as_ref()
            .unwrap()
            .detail
            .contains("meeting's record")
    );
}

pub fn deleting_an_entry_is_detected(open: Open) {
    let s = open();
    let a = &*s.archive;
    let m = meeting_with_notes(a, 4);
    (s.sql)("DELETE FROM deliveries");
    (s.sql)("DELETE FROM entries WHERE seq = 3");
    let r = &a.verify(Some(m)).unwrap()[0];
    assert_eq!(r.problem.as_ref().unwrap().entry, Some(EntryNo(3)));
}

pub fn the_same_source_message_is_archived_once(open: Open) {
    let s = open();
    let a = &*s.archive;
    let m = meeting_with_notes(a, 0);
    let mut d = draft(EntryKind::Note, "once", t0());
    d.source = Some(SourceRef {
        platform: "discord".into(),
        message_id: "42".into(),
    });
    let first = a
        .append(
            MeetingRef::Existing(m),
            d.clone(),
            &[("web".into(), DeliveryOp::Post)],
        )
        .unwrap();
    let second = a
        .append(
            MeetingRef::Existing(m),
            d,
            &[("web".into(), DeliveryOp::Post)],
        )
        .unwrap();
    assert!(matches!(first, Appended::New(_)));
    assert!(matches!(&second, Appended::Duplicate(e) if e.seq == first.entry().seq));
    assert_eq!(a.entries(m).unwrap().len(), 2);
    assert_eq!(a.queue_depth("web").unwrap(), 1);
}

pub fn search_finds_published_words_and_skips_confidential_entries(open: Open) {
    let s = open();
    let a = &*s.archive;
    let m = meeting_with_notes(a, 0);
    a.append(
        MeetingRef::Existing(m),
        draft(
            EntryKind::Note,
            "Planning application for the library",
            t0(),
        ),
        &[],
    )
    .unwrap();
    let mut secret = draft(EntryKind::Note, "library staffing exempt details", t0());
    secret.confidential = true;
    a.append(MeetingRef::Existing(m), secret, &[]).unwrap();
    let hits = a.search("library", 10).unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].seq, EntryNo(2));
    assert!(
        hits[0].snippet.contains("\u{2}library\u{3}"),
        "{}",
        hits[0].snippet
    );
    // FTS syntax is treated as words, never as an error.
    assert!(a.search("\"unbalanced OR (", 10).is_ok());
    assert!(a.search("", 10).unwrap().is_empty());
}

pub fn deliveries_come_out_in_order_and_record_remote_ids(open: Open) {
    let s = open();
    let a = &*s.archive;
    let m = meeting_with_notes(a, 3);
    let first = a.next_delivery("web").unwrap().unwrap();
    assert_eq!(first.entry.seq, EntryNo(2));
    let (head, more) = a.next_delivery_and_more("web").unwrap();
    assert_eq!((head.map(|d| d.id), more), (Some(first.id), true));
    a.record_outcomes(&[Outcome {
        fence: None,
        queue: Queue::Entries,
        id: first.id,
        result: Attempt::Retry {
            error: "503".into(),
            next_at: t0(),
        },
    }])
    .unwrap();
    let again = a.next_delivery("web").unwrap().unwrap();
    assert_eq!((again.id, again.attempts), (first.id, 1));
    a.record_outcomes(&[Outcome::delivered(
        Queue::Entries,
        first.id,
        vec!["m1".into()],
        t0(),
    )])
    .unwrap();
    assert_eq!(
        a.remote_ids("web", first.entry.id).unwrap(),
        Some(vec!["m1".to_string()])
    );
    assert_eq!(
        a.next_delivery("web").unwrap().unwrap().entry.seq,
        EntryNo(3)
    );
    assert_eq!(a.queue_depth("web").unwrap(), 2);
    let last = a.append(
        MeetingRef::Existing(m),
        draft(EntryKind::Note, "last", t0()),
        &[("solo".into(), DeliveryOp::Post)],
    );
    let (head, more) = a.next_delivery_and_more("solo").unwrap();
    assert_eq!(
        (head.map(|d| d.entry.id), more),
        (Some(last.unwrap().entry().id), false),
        "one row, nothing behind it"
    );
    assert!(!a.next_delivery_and_more("nobody").unwrap().1);
}

pub fn one_batch_records_every_kind_of_outcome_on_both_queues(open: Open) {
    let s = open();
    let a = &*s.archive;
    let m = meeting_with_notes(a, 0);
    let targets = ["a", "b", "c"].map(String::from);
    let note = a
        .append(
            MeetingRef::Existing(m),
            draft(EntryKind::Note, "note", t0()),
            &targets
                .iter()
                .map(|t| (t.clone(), DeliveryOp::Post))
                .collect::<Vec<_>>(),
        )
        .unwrap();
    a.enqueue_notice("k1", "remind", "closes soon", &targets, t0())
        .unwrap();
    let row = |t: &str| a.next_delivery(t).unwrap().unwrap().id;
    let notice = |t: &str| a.next_notice_delivery(t).unwrap().unwrap().id;
    let later = t0() + Duration::minutes(5);
    let latest = t0() + Duration::minutes(9);
    let batch = [
        Outcome::delivered(Queue::Entries, row("a"), vec!["m-a".into()], t0()),
        Outcome {
            fence: None,
            queue: Queue::Entries,
            id: row("b"),
            result: Attempt::Refused {
                error: "content too long".into(),
                at: t0(),
            },
        },
        Outcome {
            fence: None,
            queue: Queue::Entries,
            id: row("c"),
            result: Attempt::Retry {
                error: "503".into(),
                next_at: later,
            },
        },
        Outcome::delivered(Queue::Notices, notice("a"), vec!["n-a".into()], t0()),
        Outcome {
            fence: None,
            queue: Queue::Notices,
            id: notice("b"),
            result: Attempt::Retry {
                error: "timeout".into(),
                next_at: later,
            },
        },
        // A row named twice in one group is written twice, in order.
        Outcome {
            fence: None,
            queue: Queue::Entries,
            id: row("c"),
            result: Attempt::Retry {
                error: "503 again".into(),
                next_at: latest,
            },
        },
    ];
    a.record_outcomes(&batch).unwrap();

    let id = note.entry().id;
    assert_eq!(
        a.remote_ids("a", id).unwrap(),
        Some(vec!["m-a".to_string()])
    );
    let tally = a.delivery_tally(id).unwrap();
    assert_eq!((tally.done, tally.total), (1, 3));
    assert_eq!(tally.failed, vec!["b".to_string()]);
    let c = a.next_delivery("c").unwrap().unwrap();
    assert_eq!((c.attempts, c.next_attempt_at), (2, Some(latest)));
    assert_eq!(a.next_notice_delivery("a").unwrap(), None);
    let b = a.next_notice_delivery("b").unwrap().unwrap();
    assert_eq!((b.attempts, b.next_attempt_at), (1, Some(later)));
    assert_eq!(a.notice_queue_depth("c").unwrap(), 1, "untouched");
}

/// A plan from an agenda file: a title, a date and items.
pub fn plan(title: &str, date: Option<NaiveDate>, items: Vec<PlannedItem>) -> MeetingPlan {
    MeetingPlan {
        title: title.into(),
        date,
        starts_at: None,
        source: None,
        items,
    }
}

/// A plan as `gavel import moderngov` makes one: a source, a start, ids, an exempt item
/// and documents.
pub fn imported_plan(title: &str, items: &[(&str, &str)]) -> MeetingPlan {
    MeetingPlan {
        title: title.into(),
        date: NaiveDate::from_ymd_opt(2026, 11, 25),
        starts_at: Some(t0()),
        source: Some(PlanSource {
            key: "moderngov:democracy.example.gov.uk:4567".into(),
            url: "https://democracy.example.gov.uk/ieListDocuments.aspx?CId=130&MId=4567".into(),
        }),
        items: items
            .iter()
            .enumerate()
            .map(|(i, (n, t))| PlannedItem {
                number: n.to_string(),
                title: t.to_string(),
                external_id: Some(format!("{}", 9000 + i)),
                exempt: i == 1,
                documents: vec![PlannedDocument {
                    title: format!("Report for {n}"),
                    url: format!(
                        "https://democracy.example.gov.uk/documents/s{}/r.pdf",
                        100 + i
                    ),
                }],
            })
            .collect(),
    }
}

pub fn scheduled_meetings_are_offered_until_started(open: Open) {
    let s = open();
    let a = &*s.archive;
    let items = vec![PlannedItem::new("1", "Apologies")];
    let today = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    let id = a
        .schedule_meeting(&plan("Cabinet", Some(today), items.clone()), tz(), t0())
        .unwrap();
    let Scheduled::New(id) = id else {
        panic!("{id:?}")
    };
    assert_eq!(a.next_scheduled(today).unwrap().map(|m| m.id), Some(id));
    assert_eq!(a.planned_items(id).unwrap(), items);
    a.append(
        MeetingRef::New {
            title: "Cabinet".into(),
            scheduled: Some(id),
        },
        draft(EntryKind::Start, "Meeting started: Cabinet", t0()),
        &[],
    )
    .unwrap();
    assert_eq!(a.next_scheduled(today).unwrap(), None);
    assert_eq!(a.open_meeting().unwrap(), Some(id));
}

/// Rows that `append` and `append_many` must write identically (delivery `created_ms` is the
/// wall clock, so it is left out): entries, (entry id, target, op, state) of each delivery
/// row, and which entries are indexed for search.
fn written_rows(s: &Subject) -> (Vec<Entry>, Vec<Vec<String>>, Vec<Vec<String>>) {
    let a = &*s.archive;
    let meeting_ids: Vec<MeetingId> = a.meetings().unwrap().iter().map(|m| m.id).collect();
    let entries = meeting_ids
        .iter()
        .flat_map(|m| a.entries(*m).unwrap())
        .collect();
    let deliveries = (s.query)("SELECT entry_id, target, op, state FROM deliveries ORDER BY id");
    let published = a
        .search("note", 100)
        .unwrap()
        .iter()
        .map(|h| vec![h.meeting.to_string(), h.seq.to_string()])
        .collect();
    (entries, deliveries, published)
}

pub fn append_many_writes_the_same_rows_and_hashes_as_append(open: Open) {
    let targets = vec![
        ("web".to_string(), DeliveryOp::Post),
        ("webhook:a".to_string(), DeliveryOp::Post),
    ];
    let mut script: Vec<(Option<&str>, EntryDraft)> = Vec::new();
    for m in 0..2 {
        let at = t0() + Duration::days(m);
        script.push((
            Some("Planning Committee"),
            draft(EntryKind::Start, "start", at),
        ));
        for i in 1..=5 {
            let mut d = draft(
                EntryKind::Note,
                &format!("note {i} of meeting {m}"),
                at + Duration::minutes(i),
            );
            d.confidential = i == 3;
            script.push((None, d));
        }
    }
    let run = |a: &Archive, batched: bool| {
        let mut current = None;
        let mut step = |b: &mut dyn FnMut(MeetingRef, EntryDraft) -> Result<Appended>,
                        (title, d): (Option<&str>, EntryDraft)| {
            let m = match title {
                Some(t) => MeetingRef::New {
                    title: t.into(),
                    scheduled: None,
                },
                None => MeetingRef::Existing(current.unwrap()),
            };
            current = Some(b(m, d).unwrap().entry().meeting);
        };
        if batched {
            a.append_many(|batch| {
                for s in script.clone() {
                    step(&mut |m, d| batch.append(m, d, &targets), s);
                }
                Ok(())
            })
            .unwrap();
        } else {
            for s in script.clone() {
                step(&mut |m, d| a.append(m, d, &targets), s);
            }
        }
    };
    let (one, many) = (open(), open());
    run(&one.archive, false);
    run(&many.archive, true);
    let (a, b) = (written_rows(&one), written_rows(&many));
    assert_eq!(a.0.len(), 12);
    assert_eq!(a.0, b.0);
    assert_eq!(a.1, b.1);
    assert_eq!(a.2, b.2);
    assert!(
        many.archive
            .verify(None)
            .unwrap()
            .iter()
            .all(|r| r.problem.is_none())
    );
}

pub fn append_many_rolls_back_everything_when_one_append_fails(open: Open) {
    let s = open();
    let a = &*s.archive;
    let r = a.append_many(|batch| {
        batch.append(
            MeetingRef::New {
                title: "Cabinet".into(),
                scheduled: None,
            },
            draft(EntryKind::Start, "start", t0()),
            &[],
        )?;
        batch.append(
            MeetingRef::Existing(MeetingId(999)),
            draft(EntryKind::Note, "lost", t0()),
            &[],
        )
    });
    assert!(matches!(r, Err(ArchiveError::NoSuchMeeting(_))));
    assert_eq!(a.entry_count().unwrap(), 0);
    assert!(a.meetings().unwrap().is_empty());
}

pub fn concurrent_appends_number_contiguously_and_keep_one_chain(open: Open) {
    let s = open();
    let m = meeting_with_notes(&s.archive, 0);
    std::thread::scope(|scope| {
        for clerk in 0..4 {
            let a = Arc::clone(&s.archive);
            scope.spawn(move || {
                for i in 0..25 {
                    let d = draft(EntryKind::Note, &format!("clerk {clerk} note {i}"), t0());
                    a.append(
                        MeetingRef::Existing(m),
                        d,
                        &[("web".into(), DeliveryOp::Post)],
                    )
                    .unwrap();
                }
            });
        }
    });
    let es = s.archive.entries(m).unwrap();
    assert_eq!(
        es.iter().map(|e| e.seq.0).collect::<Vec<_>>(),
        (1..=101).collect::<Vec<_>>()
    );
    let r = &s.archive.verify(Some(m)).unwrap()[0];
    assert_eq!((r.problem.as_ref(), r.entries), (None, 101));
    // Delivery rows are queued in commit order, which is sequence order.
    let mut seqs = Vec::new();
    while let Some(d) = s.archive.next_delivery("web").unwrap() {
        seqs.push(d.entry.seq.0);
        s.archive
            .record_outcomes(&[Outcome::delivered(Queue::Entries, d.id, vec![], t0())])
            .unwrap();
    }
    assert_eq!(seqs, (2..=101).collect::<Vec<_>>());
}

pub fn corrections_and_withdrawals_are_new_entries_that_name_the_original(open: Open) {
    let s = open();
    let a = &*s.archive;
    let m = meeting_with_notes(a, 2);
    let mut fix = draft(EntryKind::Correction, "note one, corrected", t0());
    fix.refers_to = Some(EntryNo(2));
    let mut strike = draft(EntryKind::Withdrawal, "withdrawn", t0());
    strike.refers_to = Some(EntryNo(3));
    let targets = [("web".to_string(), DeliveryOp::Edit)];
    a.append(MeetingRef::Existing(m), fix, &targets).unwrap();
    a.append(
        MeetingRef::Existing(m),
        strike,
        &[("web".into(), DeliveryOp::Delete)],
    )
    .unwrap();
    let es = a.entries(m).unwrap();
    assert_eq!(es.len(), 5);
    assert_eq!(es[1].text, "note 0", "the original is kept as it was");
    assert_eq!(
        (es[3].kind(), es[3].refers_to),
        (EntryKind::Correction, Some(EntryNo(2)))
    );
    assert_eq!(
        (es[4].kind(), es[4].refers_to),
        (EntryKind::Withdrawal, Some(EntryNo(3)))
    );
    let ops: Vec<DeliveryOp> = std::iter::from_fn(|| {
        let d = a.next_delivery("web").unwrap()?;
        a.record_outcomes(&[Outcome::delivered(Queue::Entries, d.id, vec![], t0())])
            .unwrap();
        Some(d.op)
    })
    .collect();
    assert_eq!(
        ops,
        [
            DeliveryOp::Post,
            DeliveryOp::Post,
            DeliveryOp::Edit,
            DeliveryOp::Delete
        ]
    );
    assert!(a.verify(Some(m)).unwrap()[0].problem.is_none());
}

pub fn confidential_entries_are_kept_but_never_published(open: Open) {
    let s = open();
    let a = &*s.archive;
    let m = meeting_with_notes(a, 1);
    let mut secret = draft(EntryKind::Note, "exempt valuation", t0());
    secret.confidential = true;
    a.append(MeetingRef::Existing(m), secret, &[]).unwrap();
    assert_eq!(a.entries(m).unwrap().len(), 3, "the archive keeps it");
    assert!(a.entries(m).unwrap()[2].confidential);
    assert!(a.search("valuation", 10).unwrap().is_empty());
    assert!(
        a.recent_entries(10)
            .unwrap()
            .iter()
            .all(|e| !e.confidential)
    );
    assert_eq!(
        a.entries_of_kinds(&[EntryKind::Note], false).unwrap().len(),
        1
    );
    assert_eq!(
        a.entries_of_kinds(&[EntryKind::Note], true).unwrap().len(),
        2
    );
    assert_eq!(
        a.entries_of_kinds(&[EntryKind::Start, EntryKind::Note], true)
            .unwrap()
            .iter()
            .map(|e| e.seq.0)
            .collect::<Vec<_>>(),
        [1, 2, 3]
    );
}

pub fn a_notice_is_queued_once_per_target_and_its_key_only_once(open: Open) {
    let s = open();
    let a = &*s.archive;
    let targets = ["a".to_string(), "b".to_string()];
    let now = t0();
    assert!(
        a.enqueue_notice("k1", "remind", "hello", &targets, now)
            .unwrap()
    );
    assert!(
        !a.enqueue_notice("k1", "remind", "again", &targets, now)
            .unwrap()
    );
    assert_eq!(a.notice_queue_depth("a").unwrap(), 1);
    assert_eq!(a.notice_queue_depth("b").unwrap(), 1);
    let n = a.next_notice_delivery("a").unwrap().unwrap();
    assert_eq!((n.key.as_str(), n.text.as_str()), ("k1", "hello"));
    a.record_outcomes(&[Outcome::delivered(
        Queue::Notices,
        n.id,
        vec!["r1".into()],
        now,
    )])
    .unwrap();
    assert_eq!(a.next_notice_delivery("a").unwrap(), None);
    assert_eq!(a.notice_queue_depth("b").unwrap(), 1);
}

pub fn dropping_notices_keeps_delivered_rows_and_the_kept_prefix(open: Open) {
    let s = open();
    let a = &*s.archive;
    let targets = ["a".to_string(), "b".to_string()];
    let now = t0();
    for k in [
        "c:1:2027-01-31:remind-7",
        "c:1:2027-01-31:remind-1",
        "c:1:2027-02-28:remind-7",
    ] {
        a.enqueue_notice(k, "remind", k, &targets, now).unwrap();
    }
    let first = a.next_notice_delivery("a").unwrap().unwrap();
    a.record_outcomes(&[Outcome::delivered(Queue::Notices, first.id, vec![], now)])
        .unwrap();
    let dropped = a
        .drop_pending_notices("c:1:", Some("c:1:2027-02-28:"))
        .unwrap();
    assert_eq!(dropped, 3, "remind-1 on a and b, remind-7 on b");
    let left = a.next_notice_delivery("a").unwrap().unwrap();
    assert_eq!(left.key, "c:1:2027-02-28:remind-7");
    assert_eq!(a.drop_pending_notices("c:1:", None).unwrap(), 2);
    assert_eq!(a.notice_queue_depth("a").unwrap(), 0);
}

pub fn an_imported_meeting_is_updated_until_it_starts_and_then_refused(open: Open) {
    let s = open();
    let a = &*s.archive;
    let first = imported_plan("Planning Committee", &[("1", "Apologies"), ("5a", "TPO")]);
    let Scheduled::New(id) = a.schedule_meeting(&first, tz(), t0()).unwrap() else {
        panic!("the first import makes a meeting")
    };
    assert_eq!(a.planned_items(id).unwrap(), first.items);
    let record = a.meeting(id).unwrap().unwrap();
    assert_eq!(record.starts_at, first.starts_at);
    assert_eq!(record.source, first.source);
    // An agenda file's plan has no source: it never updates an imported meeting.
    let other = a
        .schedule_meeting(&plan("Licensing", None, Vec::new()), tz(), t0())
        .unwrap();
    assert!(matches!(other, Scheduled::New(o) if o != id), "{other:?}");

    let mut again = imported_plan(
        "Planning Committee (rearranged)",
        &[("1", "Apologies"), ("2", "Minutes"), ("5a", "TPO")],
    );
    again.starts_at = Some(t0() + Duration::hours(1));
    assert_eq!(
        a.schedule_meeting(&again, tz(), t0() + Duration::days(1))
            .unwrap(),
        Scheduled::Updated(id)
    );
    assert_eq!(a.planned_items(id).unwrap(), again.items);
    let record = a.meeting(id).unwrap().unwrap();
    assert_eq!(record.title, "Planning Committee (rearranged)");
    assert_eq!(record.starts_at, again.starts_at);
    assert_eq!(
        record.created_at,
        t0(),
        "an update keeps when it was first planned"
    );
    assert_eq!(a.meetings().unwrap().len(), 2);

    a.append(
        MeetingRef::New {
            title: record.title.clone(),
            scheduled: Some(id),
        },
        draft(EntryKind::Start, "Meeting started", t0()),
        &[],
    )
    .unwrap();
    match a.schedule_meeting(&first, tz(), t0()) {
        Err(ArchiveError::AlreadyStarted { meeting, title }) => {
            assert_eq!(
                (meeting, title.as_str()),
                (id, "Planning Committee (rearranged)")
            )
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(a.planned_items(id).unwrap(), again.items, "nothing changed");
    assert!(a.verify(None).unwrap().iter().all(|c| c.problem.is_none()));
}

pub fn a_status_message_round_trips_and_pending_ones_can_be_listed(open: Open) {
    let s = open();
    let a = &*s.archive;
    let m = a
        .schedule_meeting(
            &plan("Full Council", None, Vec::new()),
            chrono_tz::UTC,
            t0(),
        )
        .unwrap()
        .id();
    let mut st = StatusMessage {
        target: "discord:1".into(),
        meeting: m,
        remote_ids: vec!["10".into(), "11".into()],
        text: "Now: Full Council".into(),
        edits: 0,
        pinned: true,
        finalised: false,
    };
    a.save_status_message(&st).unwrap();
    assert_eq!(a.status_message("discord:1", m).unwrap(), Some(st.clone()));
    assert_eq!(a.status_message("discord:2", m).unwrap(), None);
    st.finalised = true;
    st.edits = 3;
    a.save_status_message(&st).unwrap();
    assert!(a.status_messages("discord:1", true).unwrap().is_empty());
    assert_eq!(a.status_messages("discord:1", false).unwrap(), vec![st]);
}

pub fn a_checkpoint_round_trips_and_replaces_the_last(open: Open) {
    let s = open();
    let a = &*s.archive;
    let m = meeting_with_notes(a, 1);
    assert_eq!(a.checkpoint(m).unwrap(), None);
    let mut c = Checkpoint {
        meeting: m,
        head: "ab".repeat(32),
        entries: 2,
        public_key: "key".into(),
        signature: "sig".into(),
        signed_at: t0(),
    };
    a.save_checkpoint(&c).unwrap();
    assert_eq!(a.checkpoint(m).unwrap(), Some(c.clone()));
    c.entries = 3;
    a.save_checkpoint(&c).unwrap();
    assert_eq!(a.checkpoint(m).unwrap(), Some(c));
    assert_eq!(a.latest_started_meeting().unwrap(), Some((m, false)));
}

pub fn subscribers_see_each_committed_delivery_row_in_commit_order_and_nothing_else(open: Open) {
    let s = open();
    let a = &*s.archive;
    let before = a.subscribe();
    drop(before);
    let mut sub = a.subscribe();
    let targets = [
        ("web".to_string(), DeliveryOp::Post),
        ("chat".to_string(), DeliveryOp::Post),
    ];
    let m = a
        .append(
            MeetingRef::New {
                title: "Cabinet".into(),
                scheduled: None,
            },
            draft(EntryKind::Start, "start", t0()),
            &targets,
        )
        .unwrap()
        .entry()
        .meeting;
    // No rows (a private entry): nothing to publish.
    let mut private = draft(EntryKind::Note, "in private", t0());
    private.confidential = true;
    a.append(MeetingRef::Existing(m), private, &[]).unwrap();
    // A repeated source message writes nothing: nothing to publish.
    let mut sourced = draft(EntryKind::Note, "once", t0());
    sourced.source = Some(SourceRef {
        platform: "console".into(),
        message_id: "m1".into(),
    });
    a.append(MeetingRef::Existing(m), sourced.clone(), &targets[..1])
        .unwrap();
    a.append(MeetingRef::Existing(m), sourced, &targets[..1])
        .unwrap();
    // A failed append is not published.
    let lost = a.append(
        MeetingRef::Existing(MeetingId(999)),
        draft(EntryKind::Note, "lost", t0()),
        &targets,
    );
    assert!(lost.is_err());
    // A batch is published once, without its rows.
    a.append_many(|batch| {
        batch.append(
            MeetingRef::Existing(m),
            draft(EntryKind::Note, "batched", t0()),
            &targets[1..],
        )
    })
    .unwrap();

    let ids: Vec<String> = (s.query)("SELECT id FROM deliveries ORDER BY id")
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    assert_eq!(ids.len(), 4);
    let mut heard = Vec::new();
    while let Some(p) = sub.try_next() {
        match p {
            Published::Commit(c) => {
                match &*c {
                    Commit::Rows { entry, rows } => heard.extend(rows.iter().map(|r| {
                        format!("{} {} row {} {}", r.target, entry.seq, r.id, r.op.as_str())
                    })),
                    Commit::Unlisted => heard.push("unlisted".to_string()),
                }
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(
        heard,
        [
            format!("web #1 row {} post", ids[0]),
            format!("chat #1 row {} post", ids[1]),
            format!("web #3 row {} post", ids[2]),
            "unlisted".to_string(),
        ]
    );
}

/// Every row of an archive, part by part, in small pages (so paging is exercised too).
pub fn a_lease_has_one_holder_and_its_token_fences_out_an_old_tenure(open: Open) {
    let s = open();
    let a = &*s.archive;
    let ttl = std::time::Duration::from_secs(30);
    let first = a.acquire_lease("target:web", "one", ttl).unwrap().unwrap();
    assert_eq!(a.acquire_lease("target:web", "two", ttl).unwrap(), None);
    assert_eq!(
        a.acquire_lease("target:web", "one", ttl).unwrap().as_ref(),
        Some(&first),
        "a renewal keeps the tenure"
    );
    let listed = a.leases().unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!((listed[0].holder.as_str(), listed[0].live), ("one", true));

    // A lease that lapses is taken by the next instance with a higher token.
    let short = a
        .acquire_lease("reminders", "one", std::time::Duration::from_millis(50))
        .unwrap()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(120));
    let taken = a.acquire_lease("reminders", "two", ttl).unwrap().unwrap();
    assert!(taken.token > short.token, "{taken:?} after {short:?}");

    // Released, the lease is the next asker's at once, under a new token.
    a.release_lease(&first, "one").unwrap();
    let second = a.acquire_lease("target:web", "two", ttl).unwrap().unwrap();
    assert!(second.token > first.token);

    // A position is saved under the input's current tenure only.
    assert_eq!(a.position("discord:cursor").unwrap(), None);
    assert!(a.save_position("target:web", "\"42\"", &second).unwrap());
    assert!(!a.save_position("target:web", "\"7\"", &first).unwrap());
    assert_eq!(a.position("target:web").unwrap().as_deref(), Some("\"42\""));

    // Outcomes recorded under the old tenure are refused, the new tenure's are recorded.
    meeting_with_notes(a, 1);
    let row = a.next_delivery("web").unwrap().unwrap();
    let done = |fence: &Fence| Outcome {
        fence: Some(fence.clone()),
        ..Outcome::delivered(Queue::Entries, row.id, vec!["m1".into()], t0())
    };
    assert_eq!(a.record_outcomes(&[done(&first)]).unwrap(), vec![0]);
    assert_eq!(a.next_delivery("web").unwrap().map(|d| d.id), Some(row.id));
    // In one group, the old tenure's outcome is refused and the new one's recorded.
    assert_eq!(
        a.record_outcomes(&[done(&first), done(&second)]).unwrap(),
        vec![0]
    );
    assert_eq!(a.next_delivery("web").unwrap().map(|d| d.id), None);
    assert_eq!(
        a.remote_ids("web", row.entry.id).unwrap(),
        Some(vec!["m1".to_string()])
    );
}

pub fn the_desks_appends_are_refused_once_the_archive_moved_on(open: Open) {
    let s = open();
    let a = &*s.archive;
    let m = meeting_with_notes(a, 2);
    let stale = a.append(
        MeetingRef::Continue {
            meeting: m,
            last: EntryNo(2),
        },
        draft(EntryKind::Note, "decided on a stale state", t0()),
        &[("web".into(), DeliveryOp::Post)],
    );
    assert!(matches!(stale, Err(ArchiveError::Moved)), "{stale:?}");
    assert_eq!(a.entries(m).unwrap().len(), 3, "nothing was written");
    assert_eq!(a.queue_depth("web").unwrap(), 2);
    let fresh = a
        .append(
            MeetingRef::Continue {
                meeting: m,
                last: EntryNo(3),
            },
            draft(EntryKind::Note, "decided on the latest state", t0()),
            &[],
        )
        .unwrap();
    assert_eq!(fresh.entry().seq, EntryNo(4));

    let open_again = a.append(
        MeetingRef::Open {
            title: "Cabinet".into(),
            scheduled: None,
        },
        draft(EntryKind::Start, "Meeting started: Cabinet", t0()),
        &[],
    );
    assert!(
        matches!(open_again, Err(ArchiveError::Moved)),
        "{open_again:?}"
    );
    assert_eq!(a.meetings().unwrap().len(), 1, "no second meeting was made");
    a.append(
        MeetingRef::Continue {
            meeting: m,
            last: EntryNo(4),
        },
        draft(EntryKind::End, "Meeting ended", t0()),
        &[],
    )
    .unwrap();
    let opened = a
        .append(
            MeetingRef::Open {
                title: "Cabinet".into(),
                scheduled: None,
            },
            draft(EntryKind::Start, "Meeting started: Cabinet", t0()),
            &[],
        )
        .unwrap();
    assert_eq!(a.open_meeting().unwrap(), Some(opened.entry().meeting));
}

pub fn all_rows(a: &Archive) -> transfer::ArchiveRows {
    let mut all = transfer::ArchiveRows::default();
    for part in transfer::Part::ALL {
        let mut after = i64::MIN;
        loop {
            let page = a.export_rows(part, after, 2).unwrap();
            let Some(last) = page.last_key(part) else {
                break;
            };
            after = last;
            all.extend(page);
        }
    }
    all
}

/// An archive with a row in every table: a scheduled meeting with its agenda, entries of
/// several kinds (confidential, sourced, a correction), delivery rows in every state, notices,
/// a checkpoint and a status message.
pub fn fill_every_table(a: &Archive) {
    let today = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    let _ = today;
    let m = a
        .schedule_meeting(
            &imported_plan("Cabinet", &[("1", "Apologies"), ("2", "Library review")]),
            tz(),
            t0(),
        )
        .unwrap()
        .id();
    let targets = [
        ("web".to_string(), DeliveryOp::Post),
        ("chat".to_string(), DeliveryOp::Post),
    ];
    a.append(
        MeetingRef::New {
            title: "Cabinet".into(),
            scheduled: Some(m),
        },
        draft(EntryKind::Start, "Meeting started: Cabinet", t0()),
        &targets,
    )
    .unwrap();
    let mut sourced = draft(EntryKind::Note, "library opening hours", t0());
    sourced.source = Some(SourceRef {
        platform: "discord".into(),
        message_id: "77".into(),
    });
    a.append(MeetingRef::Existing(m), sourced, &targets)
        .unwrap();
    let mut secret = draft(EntryKind::Note, "exempt valuation", t0());
    secret.confidential = true;
    a.append(MeetingRef::Existing(m), secret, &[]).unwrap();
    let mut fix = draft(EntryKind::Correction, "library hours, corrected", t0());
    fix.refers_to = Some(EntryNo(2));
    a.append(
        MeetingRef::Existing(m),
        fix,
        &[("web".to_string(), DeliveryOp::Edit)],
    )
    .unwrap();
    meeting_with_notes(a, 2);
    let web = a.next_delivery("web").unwrap().unwrap();
    let chat = a.next_delivery("chat").unwrap().unwrap();
    a.record_outcomes(&[
        Outcome::delivered(Queue::Entries, web.id, vec!["w1".into(), "w2".into()], t0()),
        Outcome {
            fence: None,
            queue: Queue::Entries,
            id: chat.id,
            result: Attempt::Refused {
                error: "too long".into(),
                at: t0(),
            },
        },
    ])
    .unwrap();
    let again = a.next_delivery("web").unwrap().unwrap();
    a.record_outcomes(&[Outcome {
        fence: None,
        queue: Queue::Entries,
        id: again.id,
        result: Attempt::Retry {
            error: "503".into(),
            next_at: t0() + Duration::minutes(1),
        },
    }])
    .unwrap();
    let both = ["web".to_string(), "chat".to_string()];
    a.enqueue_notice("c:1:remind-7", "remind", "closes in 7 days", &both, t0())
        .unwrap();
    a.enqueue_notice("c:1:remind-1", "remind", "closes tomorrow", &both, t0())
        .unwrap();
    let n = a.next_notice_delivery("web").unwrap().unwrap();
    a.record_outcomes(&[Outcome::delivered(
        Queue::Notices,
        n.id,
        vec!["n1".into()],
        t0(),
    )])
    .unwrap();
    a.drop_pending_notices("c:1:remind-1", None).unwrap();
    a.save_checkpoint(&Checkpoint {
        meeting: m,
        head: a.entries(m).unwrap().last().unwrap().hash.clone(),
        entries: 4,
        public_key: "key".into(),
        signature: "sig".into(),
        signed_at: t0(),
    })
    .unwrap();
    a.save_status_message(&StatusMessage {
        target: "chat".into(),
        meeting: m,
        remote_ids: vec!["s1".into()],
        text: "Now: Cabinet".into(),
        edits: 2,
        pinned: true,
        finalised: false,
    })
    .unwrap();
}

pub fn copying_keeps_every_row_and_chain_and_later_appends_number_on(open: Open) {
    let (from, to) = (open(), open());
    fill_every_table(&from.archive);
    // A damaged chain is copied as it is, and reported the same.
    (from.sql)("UPDATE entries SET author_name = 'Mallory' WHERE seq = 2 AND kind = 'note'");
    let mut seen = Vec::new();
    let report = copy::copy(&from.archive, &to.archive, |done, total| {
        seen.push((done, total))
    })
    .unwrap();
    let original = all_rows(&from.archive);
    assert_eq!(all_rows(&to.archive), original);
    assert_eq!((report.meetings, report.entries), (2, 7));
    assert_eq!(report.chains, from.archive.verify(None).unwrap());
    assert!(report.chains[0].problem.is_some(), "{:?}", report.chains);
    assert_eq!(seen.first(), Some(&(0, 2 + 7 + 7 + 2)));
    assert_eq!(seen.last(), Some(&(18, 18)));
    assert_eq!(original.planned_items.len(), 2);
    assert_eq!(original.notice_deliveries.len(), 4);
    let ids = |a: &Archive| a.search("library", 10).unwrap().len();
    assert_eq!(ids(&to.archive), ids(&from.archive));
    // Ids continue after the copied ones, and the copy refuses a second copy into it.
    let m = to.archive.meetings().unwrap()[1].id;
    let next = to
        .archive
        .append(
            MeetingRef::Existing(m),
            draft(EntryKind::Note, "after the move", t0()),
            &[("web".into(), DeliveryOp::Post)],
        )
        .unwrap();
    let last_id = original.entries.iter().map(|e| e.id).max().unwrap();
    assert_eq!(next.entry().id, last_id + 1);
    assert_eq!(next.entry().seq, EntryNo(4));
    assert!(matches!(
        copy::copy(&from.archive, &to.archive, |_, _| {}),
        Err(ArchiveError::NotEmpty(_))
    ));
}

/// The readiness check of an engine that needs nothing outside the process.
pub fn always() -> bool {
    true
}

/// Runs every conformance test against one engine: `$open` is a `fn() -> Subject`. With
/// `if $ready`, each test first asks `$ready()` and passes without running when it says no
/// (an engine whose server is not installed here).
macro_rules! archive_conformance {
    ($open:path) => {
        $crate::archive::conformance::archive_conformance!($open, if $crate::archive::conformance::always);
    };
    ($open:path, if $ready:path) => {
        $crate::archive::conformance::archive_conformance!(@tests $open; $ready;
            appended_entries_read_back_in_order_with_their_fields,
            archive_survives_reopen_after_drop,
            clean_chain_verifies_and_head_is_last_hash,
            changing_any_stored_field_makes_verify_name_that_entry,
            changing_the_meeting_title_is_detected,
            deleting_an_entry_is_detected,
            the_same_source_message_is_archived_once,
            search_finds_published_words_and_skips_confidential_entries,
            deliveries_come_out_in_order_and_record_remote_ids,
            one_batch_records_every_kind_of_outcome_on_both_queues,
            scheduled_meetings_are_offered_until_started,
            an_imported_meeting_is_updated_until_it_starts_and_then_refused,
            append_many_writes_the_same_rows_and_hashes_as_append,
            append_many_rolls_back_everything_when_one_append_fails,
            concurrent_appends_number_contiguously_and_keep_one_chain,
            corrections_and_withdrawals_are_new_entries_that_name_the_original,
            confidential_entries_are_kept_but_never_published,
            a_notice_is_queued_once_per_target_and_its_key_only_once,
            dropping_notices_keeps_delivered_rows_and_the_kept_prefix,
            a_status_message_round_trips_and_pending_ones_can_be_listed,
            a_checkpoint_round_trips_and_replaces_the_last,
            subscribers_see_each_committed_delivery_row_in_commit_order_and_nothing_else,
            copying_keeps_every_row_and_chain_and_later_appends_number_on,
            a_lease_has_one_holder_and_its_token_fences_out_an_old_tenure,
            the_desks_appends_are_refused_once_the_archive_moved_on,
        );
    };
    (@tests $open:path; $ready:path; $($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                if !$ready() {
                    return;
                }
                $crate::archive::conformance::$name(&$open);
            }
        )*
    };
}
pub(crate) use archive_conformance;
