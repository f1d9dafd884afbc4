//! Per-command overhead (issue 9): what one clerk command costs before any platform sees it.
//!
//! Three series, each on its own real SQLite file (WAL, `synchronous=FULL`) in one temp folder:
//! - `desk`: `Desk::submit_at` — parse, validate, durable append, one delivery row per target
//!   (3 targets);
//! - `archive`: `Archive::append` of the same drafts with the same 3 delivery rows;
//! - `raw`: the floor — a bare rusqlite transaction writing the same rows (entry, FTS row,
//!   3 delivery rows) with cached statements and no hashing, sequence lookup or validation.
//!
//! The custom loop runs the three interleaved, command by command, so machine noise hits them
//! alike, and prints p50/p99 per command and each series' ratio to the raw floor; it runs once
//! with `synchronous=FULL` (as Gavel runs) and once with `OFF` on all three files, which takes
//! the disk's fsync out and leaves Gavel's own work per command beside the floor's. Criterion then
//! measures parse alone and the same three operations (means). Run with
//! `cargo bench --bench command`; `GAVEL_BENCH_COMMANDS` changes N (default 2,000).

mod common;

use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use criterion::{BatchSize, Criterion, Throughput};
use gavel::archive::sqlite::SqliteArchive;
use gavel::archive::{Archive, DeliveryOp, EntryDraft, MeetingRef};
use gavel::command;
use gavel::desk::{ClerkInput, Desk, DeskSettings, Reply};
use gavel::domain::MeetingId;
use rusqlite::{Connection, params};

use common::{Script, TZ, bench_mode, clerk, draft, ms, percentile};

const TARGETS: [&str; 3] = ["web", "webhook:a", "webhook:b"];

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 18, 30, 0)
        .single()
        .unwrap_or_default()
}

fn deliveries() -> Vec<(String, DeliveryOp)> {
    TARGETS
        .iter()
        .map(|t| (t.to_string(), DeliveryOp::Post))
        .collect()
}

fn new_desk(dir: &Path) -> Desk {
    let archive = Arc::new(Archive::open(&dir.join("desk.db")).expect("open desk archive"));
    Desk::new(
        archive,
        DeskSettings {
            prefix: "!".into(),
            timezone: TZ,
            targets: TARGETS.iter().map(|t| t.to_string()).collect(),
            public_url: None,
            language: gavel::i18n::Language::En,
        },
    )
    .expect("desk")
}

/// The raw floor: the archive's own schema and pragmas, written with bare SQL.
struct Raw {
    conn: Connection,
    seq: i64,
}

impl Raw {
    fn open(path: &Path, synchronous: &str) -> Raw {
        drop(Archive::open(path).expect("create schema"));
        let conn = Connection::open(path).expect("open raw");
        conn.pragma_update(None, "journal_mode", "WAL")
            .expect("wal");
        conn.pragma_update(None, "synchronous", synchronous)
            .expect("sync");
        conn.pragma_update(None, "foreign_keys", "ON").expect("fk");
        conn.execute(
            "INSERT INTO meetings (id, title, timezone, created_at_ms) VALUES (1, 'Raw', 'Europe/London', 0)",
            [],
        )
        .expect("meeting");
        Raw { conn, seq: 0 }
    }

    fn insert(&mut self, d: &EntryDraft) {
        self.seq += 1;
        let hash = "0".repeat(64);
        let c = &self.conn;
        c.execute_batch("BEGIN IMMEDIATE").expect("begin");
        c.prepare_cached(
            "INSERT INTO entries (meeting_id, seq, kind, fields, text, author_platform, author_id, author_name,
                                  ts_ms, timezone, refers_to, confidential, source_platform, source_id, prev_hash, hash)
             VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, NULL, 0, NULL, NULL, ?10, ?10)",
        )
        .and_then(|mut st| {
            st.execute(params![
                self.seq,
                d.payload.kind().as_str(),
                d.payload.to_json().to_string(),
                d.text,
                d.author.platform,
                d.author.user_id,
                d.author.display_name,
                d.at.timestamp_millis(),
                d.timezone.name(),
                hash,
            ])
        })
        .expect("entry");
        let id = c.last_insert_rowid();
        c.prepare_cached("INSERT INTO entries_fts (rowid, text) VALUES (?1, ?2)")
            .and_then(|mut st| st.execute(params![id, d.text]))
            .expect("fts");
        for t in TARGETS {
            c.prepare_cached(
                "INSERT INTO deliveries (target, entry_id, op, state, attempts, created_ms) VALUES (?1, ?2, 'post', 'pending', 0, ?3)",
            )
            .and_then(|mut st| st.execute(params![t, id, 0]))
            .expect("delivery");
        }
        c.execute_batch("COMMIT").expect("commit");
    }
}

/// Lines for one long meeting: `!start`, then `n - 1` in-meeting commands (no `!end`).
fn lines(n: usize) -> Vec<String> {
    let mut s = Script::default();
    let mut v = vec![format!("!start {}", s.title())];
    while v.len() < n {
        v.push(s.line());
    }
    v
}

/// The interleaved per-command loop: p50/p99 of desk, archive and raw, and ratios to raw.
/// `synchronous` is set on all three connections: `FULL` is what Gavel runs with; `OFF` takes
/// the disk out, leaving Gavel's own work per command beside the floor's.
fn latency_report(n: usize, synchronous: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let desk = new_desk(dir.path());
    let archive = Archive::open(&dir.path().join("archive.db")).expect("archive");
    let mut raw = Raw::open(&dir.path().join("raw.db"), synchronous);
    for a in [desk.archive().as_ref(), &archive] {
        SqliteArchive::sql(a, |c| c.pragma_update(None, "synchronous", synchronous))
            .expect("synchronous");
    }
    let targets = deliveries();
    let script = lines(n);
    let (mut t_desk, mut t_archive, mut t_raw) = (Vec::new(), Vec::new(), Vec::new());
    let mut meeting: Option<MeetingId> = None;
    let mut refused = 0;
    let started = Instant::now();
    for (i, line) in script.iter().enumerate() {
        let at = t0() + TimeDelta::seconds(20 * i as i64);
        let Some(d) = draft(line, at) else { continue };

        let input = ClerkInput {
            author: clerk(),
            text: line.clone(),
            source: None,
        };
        let t = Instant::now();
        let reply = rt.block_on(desk.submit_at(input, at));
        t_desk.push(t.elapsed());
        if !matches!(reply, Reply::Recorded { .. }) {
            refused += 1;
            if refused <= 3 {
                eprintln!("desk did not record {line:?}: {reply:?}");
            }
        }

        let m = match meeting {
            Some(id) => MeetingRef::Existing(id),
            None => MeetingRef::New {
                title: "Bench".into(),
                scheduled: None,
            },
        };
        let t = Instant::now();
        let a = archive.append(m, d.clone(), &targets).expect("append");
        t_archive.push(t.elapsed());
        meeting = Some(a.entry().meeting);

        let t = Instant::now();
        raw.insert(&d);
        t_raw.push(t.elapsed());
    }
    let wall = started.elapsed();
    let total = |v: &[Duration]| v.iter().sum::<Duration>();
    let (sd, sa, sr) = (total(&t_desk), total(&t_archive), total(&t_raw));
    let rows = t_raw.len() as f64;
    println!(
        "per-command latency, {} commands, 3 targets, synchronous={synchronous} ({:.1}s wall, {refused} not recorded)",
        t_raw.len(),
        wall.as_secs_f64()
    );
    println!(
        "  {:<34} {:>10} {:>10} {:>10} {:>12} {:>9}",
        "series", "p50", "p99", "max", "rows/s", "vs raw"
    );
    let report = |name: &str, v: &mut Vec<Duration>, sum: Duration| {
        let (p50, p99) = (percentile(v, 50.0), percentile(v, 99.0));
        let max = v.last().copied().unwrap_or_default();
        println!(
            "  {name:<34} {:>10} {:>10} {:>10} {:>12.0} {:>8.2}x",
            ms(p50),
            ms(p99),
            ms(max),
            rows / sum.as_secs_f64(),
            sum.as_secs_f64() / sr.as_secs_f64()
        );
        (p50, p99)
    };
    let (_, desk_p99) = report("desk submit_at (parse+append+queue)", &mut t_desk, sd);
    report("Archive::append", &mut t_archive, sa);
    report("raw rusqlite floor", &mut t_raw, sr);
    let raw_p50 = percentile(&mut t_raw, 50.0);
    let desk_p50 = percentile(&mut t_desk, 50.0);
    println!(
        "  desk p50 / raw p50 = {:.2}x; desk p99 = {}{}; desk work above the floor = {:.1} us/command",
        desk_p50.as_secs_f64() / raw_p50.as_secs_f64(),
        ms(desk_p99),
        if synchronous == "FULL" {
            " (goal <= 5 ms)"
        } else {
            ""
        },
        (sd.as_secs_f64() - sr.as_secs_f64()) * 1e6 / rows
    );
}

fn criterion_benches(c: &mut Criterion) {
    let lines = lines(64);
    let today = t0().date_naive();
    let mut g = c.benchmark_group("parse");
    g.throughput(Throughput::Elements(lines.len() as u64));
    g.bench_function("64 clerk lines", |b| {
        b.iter(|| {
            for l in &lines {
                black_box(command::parse(black_box(l), "!", today).ok());
            }
        })
    });
    g.finish();

    let dir = tempfile::tempdir().expect("tempdir");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let desk = new_desk(dir.path());
    let archive = Archive::open(&dir.path().join("archive.db")).expect("archive");
    let mut raw = Raw::open(&dir.path().join("raw.db"), "FULL");
    let targets = deliveries();
    let start = draft(&lines[0], t0()).expect("start draft");
    let meeting = archive
        .append(
            MeetingRef::New {
                title: "Bench".into(),
                scheduled: None,
            },
            start,
            &targets,
        )
        .expect("start")
        .entry()
        .meeting;
    rt.block_on(desk.submit_at(
        ClerkInput {
            author: clerk(),
            text: lines[0].clone(),
            source: None,
        },
        t0(),
    ));
    let body: Vec<(String, EntryDraft)> = lines[1..]
        .iter()
        .filter_map(|l| draft(l, t0()).map(|d| (l.clone(), d)))
        .collect();

    let mut g = c.benchmark_group("append (1 row, 3 targets, synchronous=FULL)");
    g.sample_size(20)
        .measurement_time(Duration::from_secs(8))
        .throughput(Throughput::Elements(1));
    let mut i = 0usize;
    g.bench_function("desk submit_at", |b| {
        b.iter_batched(
            || {
                i += 1;
                ClerkInput {
                    author: clerk(),
                    text: body[i % body.len()].0.clone(),
                    source: None,
                }
            },
            |input| rt.block_on(desk.submit_at(input, t0())),
            BatchSize::SmallInput,
        )
    });
    g.bench_function("Archive::append", |b| {
        b.iter_batched(
            || {
                i += 1;
                body[i % body.len()].1.clone()
            },
            |d| {
                archive
                    .append(MeetingRef::Existing(meeting), d, &targets)
                    .expect("append")
            },
            BatchSize::SmallInput,
        )
    });
    g.bench_function("raw rusqlite floor", |b| {
        b.iter_batched(
            || {
                i += 1;
                body[i % body.len()].1.clone()
            },
            |d| raw.insert(&d),
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

fn main() {
    let n = if bench_mode() {
        std::env::var("GAVEL_BENCH_COMMANDS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(2_000)
    } else {
        20
    };
    latency_report(n, "FULL");
    latency_report(n, "OFF");
    let mut c = Criterion::default().configure_from_args();
    criterion_benches(&mut c);
    c.final_summary();
}
