//! Tests of the SQLite engine: the shared conformance suite, then what only this engine does
//! (its pool of read connections, in-memory archives, verification on several threads).

use std::path::Path;
use std::sync::Arc;

use chrono::Duration;

use super::*;
use crate::archive::conformance::{Subject, archive_conformance, draft, meeting_with_notes, t0};
use crate::archive::{Archive, MeetingRef, Outcome, Queue};
use crate::domain::{EntryKind, EntryNo, MeetingId};

/// A fresh archive in a temporary folder, for the conformance suite.
pub(crate) fn subject() -> Subject {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/dir/g.db");
    let engine = Arc::new(SqliteArchive::open(&path).unwrap());
    let sql = {
        let engine = Arc::clone(&engine);
        move |sql: &str| {
            engine.with_connection(|c| c.execute_batch(sql).unwrap());
        }
    };
    let query = {
        let engine = Arc::clone(&engine);
        move |sql: &str| {
            engine.with_connection(|c| {
                let mut st = c.prepare(sql).unwrap();
                let n = st.column_count();
                st.query_map([], |r| {
                    (0..n)
                        .map(|i| {
                            Ok(match r.get_ref(i)? {
                                rusqlite::types::ValueRef::Null => String::new(),
                                rusqlite::types::ValueRef::Integer(v) => v.to_string(),
                                rusqlite::types::ValueRef::Real(v) => v.to_string(),
                                rusqlite::types::ValueRef::Text(t)
                                | rusqlite::types::ValueRef::Blob(t) => {
                                    String::from_utf8_lossy(t).into_owned()
                                }
                            })
                        })
                        .collect::<rusqlite::Result<Vec<String>>>()
                })
                .unwrap()
                .collect::<rusqlite::Result<Vec<_>>>()
                .unwrap()
            })
        }
    };
    let reopen = move || Arc::new(Archive::open(&path).unwrap());
    Subject {
        archive: Arc::new(Archive::new(engine)),
        sql: Box::new(sql),
        query: Box::new(query),
        reopen: Box::new(reopen),
        _keep: Box::new(dir),
    }
}

archive_conformance!(subject);

fn engine(a: &Archive) -> &SqliteArchive {
    a.engine::<SqliteArchive>().expect("a SQLite archive")
}

#[test]
fn verifying_on_several_threads_reports_the_same_as_one_thread_in_meeting_order() {
    let dir = tempfile::tempdir().unwrap();
    let a = Archive::open(&dir.path().join("g.db")).unwrap();
    let meetings = entries::VERIFY_PARALLEL_MIN + 6;
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
    SqliteArchive::sql(&a, |c| {
        c.execute(
            "UPDATE entries SET text = 'forged' WHERE meeting_id = ?1 AND seq = 3",
            [tampered.0],
        )
        .unwrap()
    });
    let one = engine(&a).verify_ids(&ids, 1).unwrap();
    let three = engine(&a).verify_ids(&ids, 3).unwrap();
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
    let a = Arc::new(a);
    let seen = SqliteArchive::sql(&a, |_writer| {
        let (tx, rx) = std::sync::mpsc::channel();
        let reader = Arc::clone(&a);
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
    let r = engine(&a).read();
    let e = r.execute("DELETE FROM deliveries", []).unwrap_err();
    assert!(e.to_string().contains("readonly"), "{e}");
}
