//! Archive tests on real temporary SQLite files.

use super::*;
use chrono::Duration;
use serde_json::json;

fn tz() -> Tz {
    chrono_tz::Europe::London
}

fn clerk() -> Author {
    Author::new("console", "clerk", "Clerk")
}

fn draft(kind: EntryKind, text: &str, at: DateTime<Utc>) -> EntryDraft {
    EntryDraft {
        kind,
        fields: json!({"text": text}),
        text: text.to_string(),
        author: clerk(),
        at,
        timezone: tz(),
        refers_to: None,
        confidential: false,
        source: None,
    }
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 18, 30, 0).unwrap()
}

/// A meeting with `n` notes after its start entry.
fn meeting_with_notes(a: &Archive, n: u32) -> MeetingId {
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

#[test]
fn appended_entries_read_back_in_order_with_their_fields() {
    let dir = tempfile::tempdir().unwrap();
    let a = Archive::open(&dir.path().join("g.db")).unwrap();
    let m = meeting_with_notes(&a, 3);
    let es = a.entries(m).unwrap();
    assert_eq!(es.len(), 4);
    assert_eq!(
        es.iter().map(|e| e.seq.0).collect::<Vec<_>>(),
        vec![1, 2, 3, 4]
    );
    assert_eq!(es[2].text, "note 1");
    assert_eq!(es[2].fields, json!({"text": "note 1"}));
    assert_eq!(es[2].author, clerk());
    assert_eq!(es[2].at, t0() + Duration::seconds(2));
    assert_eq!(es[2].prev_hash, es[1].hash);
}

#[test]
fn archive_survives_reopen_after_drop() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/dir/g.db");
    let m = {
        let a = Archive::open(&path).unwrap();
        meeting_with_notes(&a, 2)
    };
    let a = Archive::open(&path).unwrap();
    assert_eq!(a.entries(m).unwrap().len(), 3);
    assert_eq!(a.open_meeting().unwrap(), Some(m));
    let r = a.verify(None).unwrap();
    assert_eq!(r.len(), 1);
    assert!(r[0].problem.is_none(), "{:?}", r[0].problem);
    assert_eq!(r[0].entries, 3);
}

#[test]
fn clean_chain_verifies_and_head_is_last_hash() {
    let dir = tempfile::tempdir().unwrap();
    let a = Archive::open(&dir.path().join("g.db")).unwrap();
    let m = meeting_with_notes(&a, 5);
    let r = &a.verify(Some(m)).unwrap()[0];
    assert_eq!(r.problem, None);
    assert_eq!(r.head, a.entries(m).unwrap().last().unwrap().hash);
}

#[test]
fn changing_any_stored_field_makes_verify_name_that_entry() {
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
        let dir = tempfile::tempdir().unwrap();
        let a = Archive::open(&dir.path().join("g.db")).unwrap();
        let m = meeting_with_notes(&a, 5);
        a.with_connection(|c| {
            c.execute(
                &format!("UPDATE entries SET {col} = {value} WHERE meeting_id = ?1 AND seq = 4"),
                [m.0],
            )
            .unwrap()
        });
        let r = &a.verify(Some(m)).unwrap()[0];
        let p = r
            .problem
            .as_ref()
            .unwrap_or_else(|| panic!("changing {col} went unnoticed"));
        assert_eq!(p.entry, Some(EntryNo(4)), "changing {col}: {p:?}");
    }
}

#[test]
fn changing_the_meeting_title_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let a = Archive::open(&dir.path().join("g.db")).unwrap();
    let m = meeting_with_notes(&a, 2);
    a.with_connection(|c| {
        c.execute("UPDATE meetings SET title = 'Other'", [])
            .unwrap()
    });
    let r = &a.verify(Some(m)).unwrap()[0];
    assert!(
        r.problem
            .as_ref()
            .unwrap()
            .detail
            .contains("meeting's record")
    );
}

#[test]
fn deleting_an_entry_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let a = Archive::open(&dir.path().join("g.db")).unwrap();
    let m = meeting_with_notes(&a, 4);
    a.with_connection(|c| {
        c.execute("DELETE FROM deliveries", []).unwrap();
        c.execute("DELETE FROM entries WHERE seq = 3", []).unwrap()
    });
    let r = &a.verify(Some(m)).unwrap()[0];
    assert_eq!(r.problem.as_ref().unwrap().entry, Some(EntryNo(3)));
}

#[test]
fn the_same_source_message_is_archived_once() {
    let dir = tempfile::tempdir().unwrap();
    let a = Archive::open(&dir.path().join("g.db")).unwrap();
    let m = meeting_with_notes(&a, 0);
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

#[test]
fn search_finds_published_words_and_skips_confidential_entries() {
    let dir = tempfile::tempdir().unwrap();
    let a = Archive::open(&dir.path().join("g.db")).unwrap();
    let m = meeting_with_notes(&a, 0);
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

#[test]
fn deliveries_come_out_in_order_and_record_remote_ids() {
    let dir = tempfile::tempdir().unwrap();
    let a = Archive::open(&dir.path().join("g.db")).unwrap();
    let m = meeting_with_notes(&a, 3);
    let first = a.next_delivery("web").unwrap().unwrap();
    assert_eq!(first.entry.seq, EntryNo(2));
    let (head, more) = a.next_delivery_and_more("web").unwrap();
    assert_eq!((head.map(|d| d.id), more), (Some(first.id), true));
    a.record_outcomes(&[Outcome {
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

#[test]
fn one_batch_records_every_kind_of_outcome_on_both_queues() {
    let dir = tempfile::tempdir().unwrap();
    let a = Archive::open(&dir.path().join("g.db")).unwrap();
    let m = meeting_with_notes(&a, 0);
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
    let batch = [
        Outcome::delivered(Queue::Entries, row("a"), vec!["m-a".into()], t0()),
        Outcome {
            queue: Queue::Entries,
            id: row("b"),
            result: Attempt::Refused {
                error: "content too long".into(),
                at: t0(),
            },
        },
        Outcome {
            queue: Queue::Entries,
            id: row("c"),
            result: Attempt::Retry {
                error: "503".into(),
                next_at: later,
            },
        },
        Outcome::delivered(Queue::Notices, notice("a"), vec!["n-a".into()], t0()),
        Outcome {
            queue: Queue::Notices,
            id: notice("b"),
            result: Attempt::Retry {
                error: "timeout".into(),
                next_at: later,
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
    assert_eq!((c.attempts, c.next_attempt_at), (1, Some(later)));
    assert_eq!(a.next_notice_delivery("a").unwrap(), None);
    let b = a.next_notice_delivery("b").unwrap().unwrap();
    assert_eq!((b.attempts, b.next_attempt_at), (1, Some(later)));
    assert_eq!(a.notice_queue_depth("c").unwrap(), 1, "untouched");
}

#[test]
fn scheduled_meetings_are_offered_until_started() {
    let dir = tempfile::tempdir().unwrap();
    let a = Archive::open(&dir.path().join("g.db")).unwrap();
    let items = vec![PlannedItem {
        number: "1".into(),
        title: "Apologies".into(),
    }];
    let today = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    let id = a
        .schedule_meeting("Cabinet", tz(), Some(today), &items, t0())
        .unwrap();
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
/// wall clock, so it is left out).
/// (entry id, target, op, state) of one delivery row.
type DeliveryRow = (i64, String, String, String);

fn written_rows(a: &Archive) -> (Vec<Entry>, Vec<DeliveryRow>, Vec<i64>) {
    let meeting_ids: Vec<MeetingId> = a.meetings().unwrap().iter().map(|m| m.id).collect();
    let entries = meeting_ids
        .iter()
        .flat_map(|m| a.entries(*m).unwrap())
        .collect();
    a.with_connection(|c| {
        let mut st = c
            .prepare("SELECT entry_id, target, op, state FROM deliveries ORDER BY id")
            .unwrap();
        let deliveries = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .collect::<rusqlite::Result<Vec<_>>>()
            .unwrap();
        let mut st = c
            .prepare("SELECT rowid FROM entries_fts ORDER BY rowid")
            .unwrap();
        let indexed = st
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<Vec<_>>>()
            .unwrap();
        (entries, deliveries, indexed)
    })
}

#[test]
fn append_many_writes_the_same_rows_and_hashes_as_append() {
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
    let dir = tempfile::tempdir().unwrap();
    let one = Archive::open(&dir.path().join("one.db")).unwrap();
    let many = Archive::open(&dir.path().join("many.db")).unwrap();
    run(&one, false);
    run(&many, true);
    let (a, b) = (written_rows(&one), written_rows(&many));
    assert_eq!(a.0.len(), 12);
    assert_eq!(a.0, b.0);
    assert_eq!(a.1, b.1);
    assert_eq!(a.2, b.2);
    assert!(
        many.verify(None)
            .unwrap()
            .iter()
            .all(|r| r.problem.is_none())
    );
}

#[test]
fn append_many_rolls_back_everything_when_one_append_fails() {
    let dir = tempfile::tempdir().unwrap();
    let a = Archive::open(&dir.path().join("g.db")).unwrap();
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

#[test]
fn verifying_on_several_threads_reports_the_same_as_one_thread_in_meeting_order() {
    let dir = tempfile::tempdir().unwrap();
    let a = Archive::open(&dir.path().join("g.db")).unwrap();
    let meetings = VERIFY_PARALLEL_MIN + 6;
    a.append_many(|batch| {
        for m in 0..meetings {
            let at = t0() + Duration::days(m as i64);
            let first = batch.append(
                MeetingRef::New {
                    title: format!("Cabinet {m}"),
                    scheduled: None,
                },
                draft(EntryKind::Start, "start", at),
                &[],
            )?;
            let id = first.entry().meeting;
            for i in 1..=3 {
                let d = draft(
                    EntryKind::Note,
                    &format!("note {i}"),
                    at + Duration::minutes(i),
                );
                batch.append(MeetingRef::Existing(id), d, &[])?;
            }
        }
        Ok(())
    })
    .unwrap();
    let ids: Vec<MeetingId> = a.meetings().unwrap().iter().map(|m| m.id).collect();
    let tampered = ids[40];
    a.with_connection(|c| {
        c.execute(
            "UPDATE entries SET text = 'forged' WHERE meeting_id = ?1 AND seq = 3",
            [tampered.0],
        )
        .unwrap()
    });
    let one = a.verify_ids(&ids, 1).unwrap();
    let three = a.verify_ids(&ids, 3).unwrap();
    assert_eq!(one, three);
    assert_eq!(three.iter().map(|r| r.meeting).collect::<Vec<_>>(), ids);
    let bad: Vec<_> = three.iter().filter(|r| r.problem.is_some()).collect();
    assert_eq!(bad.len(), 1);
    assert_eq!(bad[0].meeting, tampered);
    assert_eq!(bad[0].problem.as_ref().unwrap().entry, Some(EntryNo(3)));
}

#[test]
fn reads_do_not_wait_for_the_writer_and_see_every_commit() {
    let dir = tempfile::tempdir().unwrap();
    let a = Archive::open(&dir.path().join("a.db")).unwrap();
    let m = meeting_with_notes(&a, 2);
    // While the writer is held (as during a commit's fsync), reads on another thread still
    // answer, from the last commit. With reads on the writer they would wait forever.
    let a = std::sync::Arc::new(a);
    let seen = a.with_connection(|_writer| {
        let (tx, rx) = std::sync::mpsc::channel();
        let reader = std::sync::Arc::clone(&a);
        std::thread::spawn(move || {
            let _ = tx.send((
                reader.entries(m).unwrap().len(),
                reader.next_delivery("web").unwrap().map(|d| d.entry.seq),
                reader.queue_depth("web").unwrap(),
            ));
        });
        rx.recv_timeout(std::time::Duration::from_secs(10))
            .expect("reads waited for the writer")
    });
    assert_eq!(seen, (3, Some(EntryNo(2)), 2));
    // A commit is visible to the very next read.
    let first = a.next_delivery("web").unwrap().unwrap();
    a.record_outcomes(&[Outcome::delivered(
        Queue::Entries,
        first.id,
        vec!["r1".into()],
        t0(),
    )])
    .unwrap();
    assert_eq!(
        a.next_delivery("web").unwrap().map(|d| d.entry.seq),
        Some(EntryNo(3))
    );
    assert_eq!(a.queue_depth("web").unwrap(), 1);
    assert_eq!(
        a.remote_ids("web", first.entry.id).unwrap(),
        Some(vec!["r1".to_string()])
    );
}

#[test]
fn an_in_memory_archive_reads_through_its_one_connection() {
    let a = Archive::open(Path::new(":memory:")).unwrap();
    let m = meeting_with_notes(&a, 1);
    assert_eq!(a.entries(m).unwrap().len(), 2);
    assert_eq!(a.queue_depth("web").unwrap(), 1);
}

#[test]
fn reader_connections_refuse_to_write() {
    let dir = tempfile::tempdir().unwrap();
    let a = Archive::open(&dir.path().join("a.db")).unwrap();
    meeting_with_notes(&a, 1);
    let r = a.read();
    let e = r.execute("DELETE FROM deliveries", []).unwrap_err();
    assert!(e.to_string().contains("readonly"), "{e}");
}

/// What a [`DeliveryListener`] heard, in order.
#[derive(Default)]
struct Heard(Mutex<Vec<String>>);

impl DeliveryListener for Heard {
    fn committed(&self, entry: &Arc<Entry>, rows: &[NewDelivery<'_>]) {
        let mut heard = self.0.lock().unwrap();
        for r in rows {
            heard.push(format!(
                "{} {} row {} {}",
                r.target,
                entry.seq,
                r.id,
                r.op.as_str()
            ));
        }
    }
    fn committed_unlisted(&self) {
        self.0.lock().unwrap().push("unlisted".into());
    }
}

#[test]
fn listeners_hear_each_committed_delivery_row_with_its_id_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let a = Archive::open(&dir.path().join("g.db")).unwrap();
    let heard = Arc::new(Heard::default());
    let weak: Weak<Heard> = Arc::downgrade(&heard);
    a.listen(weak);
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
    // No rows (a private entry): nothing to hear.
    let mut private = draft(EntryKind::Note, "in private", t0());
    private.confidential = true;
    a.append(MeetingRef::Existing(m), private, &[]).unwrap();
    // A repeated source message writes nothing: nothing to hear.
    let mut sourced = draft(EntryKind::Note, "once", t0());
    sourced.source = Some(SourceRef {
        platform: "console".into(),
        message_id: "m1".into(),
    });
    a.append(MeetingRef::Existing(m), sourced.clone(), &targets[..1])
        .unwrap();
    a.append(MeetingRef::Existing(m), sourced, &targets[..1])
        .unwrap();
    // A failed append is not heard of.
    assert!(
        a.append(
            MeetingRef::Existing(MeetingId(999)),
            draft(EntryKind::Note, "lost", t0()),
            &targets
        )
        .is_err()
    );
    // A batch is heard of once, without its rows.
    a.append_many(|batch| {
        batch.append(
            MeetingRef::Existing(m),
            draft(EntryKind::Note, "batched", t0()),
            &targets[1..],
        )
    })
    .unwrap();

    let ids: Vec<i64> = a.with_connection(|c| {
        c.prepare("SELECT id FROM deliveries ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    });
    assert_eq!(ids.len(), 4);
    assert_eq!(
        *heard.0.lock().unwrap(),
        [
            format!("web #1 row {} post", ids[0]),
            format!("chat #1 row {} post", ids[1]),
            format!("web #3 row {} post", ids[2]),
            "unlisted".to_string(),
        ]
    );

    // A listener that is gone is skipped, and forgotten when another comes.
    drop(heard);
    a.append(
        MeetingRef::Existing(m),
        draft(EntryKind::Note, "after", t0()),
        &targets,
    )
    .unwrap();
    let next = Arc::new(Heard::default());
    let weak: Weak<Heard> = Arc::downgrade(&next);
    a.listen(weak);
    assert_eq!(a.listeners.lock().unwrap().len(), 1);
}
