//! Tests of the PostgreSQL engine on a real server (see [`super::testing`]): the shared
//! conformance suite, copies SQLite → PostgreSQL → SQLite, and what only this engine does
//! (schema versions, redacted locations, calls from inside any kind of runtime).

use std::sync::Arc;

use super::testing::{cluster, fresh_archive};
use super::*;
use crate::archive::conformance::{Subject, all_rows, archive_conformance, fill_every_table};
use crate::archive::{Archive, copy};

fn ready() -> bool {
    cluster().is_some()
}

/// A fresh archive in a new schema of the shared cluster.
fn subject() -> Subject {
    let cluster = cluster().expect("the conformance tests ask `ready` first");
    let (engine, schema) = fresh_archive(cluster);
    let engine = Arc::new(engine);
    let sql = {
        let engine = Arc::clone(&engine);
        move |sql: &str| {
            engine.execute_sql(sql).unwrap();
        }
    };
    let query = {
        let engine = Arc::clone(&engine);
        move |sql: &str| {
            engine
                .execute_sql(sql)
                .unwrap()
                .into_iter()
                .map(|row| row.into_iter().map(Option::unwrap_or_default).collect())
                .collect()
        }
    };
    let url = cluster.url.clone();
    let reopen = move || {
        let again = PostgresArchive::connect(&url, None, Some(&schema)).unwrap();
        Arc::new(Archive::new(Arc::new(again)))
    };
    Subject {
        archive: Arc::new(Archive::new(engine)),
        sql: Box::new(sql),
        query: Box::new(query),
        reopen: Box::new(reopen),
        _keep: Box::new(()),
    }
}

archive_conformance!(subject, if ready);

fn sqlite(dir: &tempfile::TempDir, name: &str) -> Archive {
    Archive::open(&dir.path().join(name)).unwrap()
}

#[test]
fn an_archive_copied_from_sqlite_to_postgres_and_back_keeps_every_row_and_chain_head() {
    let Some(cluster) = cluster() else { return };
    let dir = tempfile::tempdir().unwrap();
    let first = sqlite(&dir, "first.db");
    fill_every_table(&first);
    let pg = Archive::new(Arc::new(fresh_archive(cluster).0));
    let back = sqlite(&dir, "back.db");

    let there = copy::copy(&first, &pg, |_, _| {}).unwrap();
    let again = copy::copy(&pg, &back, |_, _| {}).unwrap();

    let heads = first.verify(None).unwrap();
    assert!(heads.iter().all(|r| r.problem.is_none()), "{heads:?}");
    assert_eq!(there.chains, heads);
    assert_eq!(again.chains, heads);
    assert_eq!(pg.verify(None).unwrap(), heads);
    assert_eq!(back.verify(None).unwrap(), heads);
    let rows = all_rows(&first);
    assert_eq!(rows.entries.len(), 7);
    assert_eq!(all_rows(&pg), rows);
    assert_eq!(all_rows(&back), rows);
    // What readers see is the same too.
    let hits = |a: &Archive| {
        a.search("library", 10)
            .unwrap()
            .iter()
            .map(|h| (h.meeting, h.seq, h.snippet.contains("\u{2}library\u{3}")))
            .collect::<Vec<_>>()
    };
    assert_eq!(hits(&pg), hits(&first));
    assert_eq!(hits(&back), hits(&first));
}

#[test]
fn a_schema_written_by_a_newer_gavel_is_refused() {
    let Some(cluster) = cluster() else { return };
    let (engine, schema) = fresh_archive(cluster);
    engine
        .execute_sql(&format!(
            "INSERT INTO gavel_migrations (version) VALUES ({})",
            schema::KNOWN + 1
        ))
        .unwrap();
    drop(engine);
    match PostgresArchive::connect(&cluster.url, None, Some(&schema)) {
        Err(ArchiveError::TooNew { found, known, .. }) => {
            assert_eq!((found, known), (schema::KNOWN + 1, schema::KNOWN));
        }
        Err(e) => panic!("{e}"),
        Ok(_) => panic!("a newer schema was accepted"),
    }
}

#[test]
fn councils_in_two_schemas_of_one_database_do_not_see_each_other() {
    let Some(cluster) = cluster() else { return };
    let (a, _) = fresh_archive(cluster);
    let (b, _) = fresh_archive(cluster);
    let a = Archive::new(Arc::new(a));
    let b = Archive::new(Arc::new(b));
    fill_every_table(&a);
    assert_eq!(a.meetings().unwrap().len(), 2);
    assert!(b.meetings().unwrap().is_empty());
    assert_eq!(b.entry_count().unwrap(), 0);
}

#[test]
fn the_location_never_shows_a_password() {
    assert_eq!(
        redact(
            "postgres://gavel:hunter2@db.example:5432/council?sslmode=require",
            Some("cardiff")
        ),
        "postgres://gavel@db.example:5432/council?sslmode=require (schema cardiff)"
    );
    assert_eq!(
        redact(
            "postgres://gavel@db/council?password=hunter2&sslmode=require",
            None
        ),
        "postgres://gavel@db/council?sslmode=require"
    );
    assert_eq!(
        redact("host=db user=gavel password=hunter2 dbname=council", None),
        "host=db user=gavel dbname=council"
    );
}

#[test]
fn schema_names_that_would_need_quoting_are_refused() {
    assert!(check_schema_name("council_cardiff_2").is_ok());
    for bad in [
        "",
        "Cardiff",
        "a-b",
        "x; DROP TABLE entries",
        "1st",
        &"a".repeat(64),
    ] {
        assert!(check_schema_name(bad).is_err(), "{bad}");
    }
}

#[test]
fn backup_points_to_pg_dump_and_writable_check_passes_on_a_primary() {
    let Some(cluster) = cluster() else { return };
    let (engine, _) = fresh_archive(cluster);
    let e = engine
        .backup_to(std::path::Path::new("/tmp/x.db"))
        .unwrap_err();
    assert!(e.to_string().contains("pg_dump"), "{e}");
    engine.check_writable().unwrap();
    assert!(
        engine.location().contains("(schema t"),
        "{}",
        engine.location()
    );
}

#[test]
fn a_wrong_password_is_an_error_that_does_not_show_it() {
    let Some(cluster) = cluster() else { return };
    // Trust authentication ignores passwords, so ask for a role that does not exist instead.
    let url = cluster.url.replace("gavel@", "nobody:hunter2@");
    let e = PostgresArchive::connect(&url, None, None)
        .err()
        .expect("an unknown role is refused");
    assert!(!e.to_string().contains("hunter2"), "{e}");
}

/// The engine's calls work from a paused current-thread runtime (as the outbox's timing tests
/// run), from a multi-thread runtime's worker, and when the archive is dropped inside either.
#[tokio::test(start_paused = true)]
async fn calls_from_a_paused_current_thread_runtime_answer_and_drop_cleanly() {
    let Some(cluster) = cluster() else { return };
    let a = Archive::new(Arc::new(fresh_archive(cluster).0));
    fill_every_table(&a);
    tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
    assert_eq!(a.entry_count().unwrap(), 7);
    drop(a);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_from_multi_thread_workers_answer() {
    let Some(cluster) = cluster() else { return };
    let a = Arc::new(Archive::new(Arc::new(fresh_archive(cluster).0)));
    let task = tokio::spawn({
        let a = Arc::clone(&a);
        async move {
            fill_every_table(&a);
            a.entry_count().unwrap()
        }
    });
    assert_eq!(task.await.unwrap(), 7);
}

/// Both engines write their schema themselves: their tables and columns must stay the same,
/// so a migration added to one and forgotten in the other fails here.
#[test]
fn both_engines_have_the_same_tables_and_columns() {
    if cluster().is_none() {
        return;
    }
    let lite = crate::archive::sqlite::tests::subject();
    let mut sqlite_columns = (lite.query)(
        "SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p
         WHERE m.type = 'table' AND m.name NOT LIKE 'entries_fts%' AND m.name NOT LIKE 'sqlite_%'",
    );
    let pg = subject();
    let mut pg_columns = (pg.query)(
        "SELECT table_name, column_name FROM information_schema.columns
         WHERE table_schema = current_schema() AND table_name <> 'gavel_migrations'",
    );
    sqlite_columns.sort();
    pg_columns.sort();
    assert!(sqlite_columns.len() > 60, "{sqlite_columns:?}");
    assert_eq!(sqlite_columns, pg_columns);
}

/// Another process's appends and notices wake this one (`LISTEN`/`NOTIFY`); another schema's
/// do not.
#[test]
fn commits_in_the_same_schema_wake_every_listener_and_other_schemas_do_not() {
    use crate::archive::conformance::meeting_with_notes;
    let Some(cluster) = cluster() else {
        return;
    };
    let (here, schema) = fresh_archive(cluster);
    let there = PostgresArchive::connect(&cluster.url, None, Some(&schema)).unwrap();
    let (elsewhere, _) = fresh_archive(cluster);
    let mut changes = here.changes().expect("PostgreSQL notifies");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // The first wake-up says the listener is connected: what was written before it is read.
    let woken = |changes: &mut tokio::sync::watch::Receiver<u64>, within: u64| {
        rt.block_on(async {
            tokio::time::timeout(Duration::from_secs(within), changes.changed())
                .await
                .is_ok()
        })
    };
    assert!(woken(&mut changes, 30), "the listener connects");
    changes.borrow_and_update();
    meeting_with_notes(&Archive::new(Arc::new(elsewhere)), 1);
    assert!(
        !woken(&mut changes, 2),
        "another schema's appends are not this archive's"
    );
    let there = Archive::new(Arc::new(there));
    meeting_with_notes(&there, 1);
    assert!(
        woken(&mut changes, 30),
        "an append by another process wakes this one"
    );
    changes.borrow_and_update();
    there
        .enqueue_notice("k", "reminder", "text", &["web".into()], chrono::Utc::now())
        .unwrap();
    assert!(woken(&mut changes, 30), "so does a notice");
}
