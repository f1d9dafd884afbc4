//! The archive at scale (issue 9): 2,000 meetings × 500 entries of realistic commands, then
//! search, export, verify and size on disk, each beside a raw-SQLite floor measured in the same
//! run (so the ratios mean something on a busy machine).
//!
//! ```text
//! cargo bench --bench archive_scale                          # 1,000,000 entries
//! cargo bench --bench archive_scale -- --entries 100000      # a quicker size
//! GAVEL_BENCH_ENTRIES=100000 cargo bench --bench archive_scale
//! cargo bench --bench archive_scale -- --db /tmp/scale.db    # keep (and reuse) the archive
//! ```
//! Generation writes through `Archive::append_many` (the same rows and hashes as `append`,
//! 10,000 entries per transaction), each entry with 3 pending delivery rows as the live desk
//! would write. Without `--bench` (as `cargo test --all-targets` runs it) it does a 2,000-entry
//! smoke run.

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use gavel::archive::sqlite::SqliteArchive;
use gavel::archive::{Archive, DeliveryOp, MeetingRef};
use gavel::domain::MeetingId;
use gavel::export::{self, ExportContext, Format};
use sha2::{Digest, Sha256};

use common::{Script, bench_mode, draft, ms, percentile, search_queries};

const PER_MEETING: usize = 500;
const MEETINGS_PER_TX: usize = 20;

struct Options {
    entries: usize,
    db: Option<PathBuf>,
    queries: usize,
    export_runs: usize,
}

fn options() -> Options {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let full = bench_mode();
    let entries = arg("--entries")
        .or_else(|| std::env::var("GAVEL_BENCH_ENTRIES").ok())
        .and_then(|s| s.replace('_', "").parse().ok())
        .unwrap_or(if full { 1_000_000 } else { 2_000 });
    Options {
        entries,
        db: arg("--db").map(PathBuf::from),
        queries: if full { 200 } else { 10 },
        export_runs: if full { 25 } else { 1 },
    }
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2020, 1, 6, 18, 30, 0)
        .single()
        .unwrap_or_default()
}

/// Writes `meetings` meetings of `PER_MEETING` entries; returns the time it took.
fn generate(archive: &Archive, meetings: usize) -> Duration {
    let targets: Vec<(String, DeliveryOp)> = ["web", "webhook:a", "webhook:b"]
        .iter()
        .map(|t| (t.to_string(), DeliveryOp::Post))
        .collect();
    let mut script = Script::default();
    let started = Instant::now();
    let mut done = 0;
    while done < meetings {
        let chunk = MEETINGS_PER_TX.min(meetings - done);
        archive
            .append_many(|batch| {
                for k in done..done + chunk {
                    // Two meetings a week, 30 seconds between entries.
                    let day = t0() + TimeDelta::days(3 * k as i64 + (k as i64 % 2));
                    let (title, lines) = script.meeting(PER_MEETING);
                    let mut meeting = MeetingRef::New {
                        title,
                        scheduled: None,
                    };
                    for (i, line) in lines.iter().enumerate() {
                        let at = day + TimeDelta::seconds(30 * i as i64);
                        let Some(d) = draft(line, at) else { continue };
                        let a = batch.append(meeting, d, &targets)?;
                        meeting = MeetingRef::Existing(a.entry().meeting);
                    }
                }
                Ok(())
            })
            .expect("append batch");
        done += chunk;
        if bench_mode() && done % 200 == 0 {
            eprintln!(
                "  generated {done}/{meetings} meetings ({:.0}s)",
                started.elapsed().as_secs_f64()
            );
        }
    }
    started.elapsed()
}

fn file_size(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

/// The search floor: the FTS index alone, newest 20 rowids for the same words.
fn raw_search(archive: &Archive, query: &str) -> usize {
    let fts = query
        .split_whitespace()
        .map(|w| format!("\"{w}\""))
        .collect::<Vec<_>>()
        .join(" ");
    SqliteArchive::sql(archive, |c| {
        let mut st = c
            .prepare_cached(
                "SELECT rowid FROM entries_fts WHERE entries_fts MATCH ?1 ORDER BY rowid DESC LIMIT 20",
            )
            .expect("prepare");
        st.query_map([fts], |r| r.get::<_, i64>(0))
            .expect("query")
            .count()
    })
}

/// The verify floor: read every entry row in chain order and SHA-256 its columns once.
fn raw_scan_and_hash(archive: &Archive) -> u64 {
    SqliteArchive::sql(archive, |c| {
        let mut st = c
            .prepare(
                "SELECT meeting_id, seq, kind, fields, text, author_platform, author_id, author_name,
                        ts_ms, timezone, prev_hash, hash FROM entries ORDER BY meeting_id, seq",
            )
            .expect("prepare");
        let mut rows = st.query([]).expect("query");
        let mut n = 0u64;
        while let Some(r) = rows.next().expect("row") {
            let mut h = Sha256::new();
            for i in 0..12 {
                match r.get_ref(i).expect("col") {
                    rusqlite::types::ValueRef::Text(t) => h.update(t),
                    rusqlite::types::ValueRef::Integer(v) => h.update(v.to_le_bytes()),
                    _ => {}
                }
            }
            std::hint::black_box(h.finalize());
            n += 1;
        }
        n
    })
}

fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let t = Instant::now();
    let r = f();
    (r, t.elapsed())
}

fn ratio(a: Duration, b: Duration) -> String {
    if b.is_zero() {
        return "-".into();
    }
    format!("{:.2}x", a.as_secs_f64() / b.as_secs_f64())
}

fn main() {
    let opts = options();
    let meetings = opts.entries.div_ceil(PER_MEETING).max(1);
    let tmp = tempfile::tempdir().expect("tempdir");
    let path = opts
        .db
        .clone()
        .unwrap_or_else(|| tmp.path().join("scale.db"));
    let archive = Archive::open(&path).expect("open archive");
    let existing = archive.entry_count().expect("count") as usize;
    println!(
        "archive at scale: {meetings} meetings x {PER_MEETING} entries = {} entries ({})",
        meetings * PER_MEETING,
        path.display()
    );
    if existing == 0 {
        let took = generate(&archive, meetings);
        let n = archive.entry_count().expect("count");
        println!(
            "  generated {n} entries in {:.1}s ({:.0} entries/s, append_many, 3 delivery rows each)",
            took.as_secs_f64(),
            n as f64 / took.as_secs_f64()
        );
    } else {
        println!("  reusing {existing} existing entries");
    }
    let entries = archive.entry_count().expect("count");
    SqliteArchive::sql(&archive, |c| {
        c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .expect("checkpoint")
    });
    let bytes = file_size(&path);
    let wal = file_size(&path.with_extension("db-wal"));
    println!(
        "  size: {bytes} bytes (+{wal} WAL) = {:.0} bytes/entry",
        bytes as f64 / entries as f64
    );

    // Search: 200 queries, interleaved with the FTS-only floor.
    let queries = search_queries(opts.queries);
    let (mut api, mut floor) = (Vec::new(), Vec::new());
    let mut hits = 0usize;
    for q in &queries {
        let (r, t) = timed(|| archive.search(q, 20).expect("search"));
        hits += r.len();
        api.push(t);
        let (_, t) = timed(|| raw_search(&archive, q));
        floor.push(t);
    }
    let (s50, s99) = (percentile(&mut api, 50.0), percentile(&mut api, 99.0));
    let (f50, f99) = (percentile(&mut floor, 50.0), percentile(&mut floor, 99.0));
    println!(
        "  search ({} queries, limit 20, {hits} hits): p50 {} p99 {} max {} | FTS-only floor p50 {} p99 {} | p99 ratio {} (goal p99 <= 10 ms)",
        queries.len(),
        ms(s50),
        ms(s99),
        ms(*api.last().unwrap_or(&Duration::ZERO)),
        ms(f50),
        ms(f99),
        ratio(s99, f99)
    );

    // Export: one meeting in the middle, every format, against loading its entries.
    let meeting = MeetingId((meetings as i64 / 2).max(1));
    let ctx = ExportContext {
        council_name: "Bench Borough Council".into(),
        public_url: Some("https://gavel.example.org".into()),
        generated_at: t0(),
        language: gavel::i18n::Language::En,
    };
    let mut load: Vec<Duration> = (0..opts.export_runs)
        .map(|_| timed(|| archive.entries(meeting).expect("entries")).1)
        .collect();
    let load50 = percentile(&mut load, 50.0);
    println!(
        "  export meeting {meeting} ({} entries), median of {} runs; floor = Archive::entries {}",
        archive.entries(meeting).map(|e| e.len()).unwrap_or(0),
        opts.export_runs,
        ms(load50)
    );
    for f in Format::ALL {
        let mut runs = Vec::new();
        let mut size = 0;
        for _ in 0..opts.export_runs {
            let (r, t) = timed(|| export::render(&archive, meeting, f, &ctx));
            match r {
                Ok(s) => size = s.len(),
                Err(e) => {
                    println!("    {:<9} error: {e}", f.as_str());
                    break;
                }
            }
            runs.push(t);
        }
        let p50 = percentile(&mut runs, 50.0);
        let goal = if matches!(f, Format::Json | Format::Md) {
            " (goal <= 5 ms)"
        } else {
            ""
        };
        println!(
            "    {:<9} {:>10} {:>8} bytes  {} of the floor{goal}",
            f.as_str(),
            ms(p50),
            size,
            ratio(p50, load50)
        );
    }

    // Verify everything, against reading and hashing every row once.
    let (n, floor) = timed(|| raw_scan_and_hash(&archive));
    let (reports, took) = timed(|| archive.verify(None).expect("verify"));
    let bad = reports.iter().filter(|r| r.problem.is_some()).count();
    println!(
        "  verify all: {:.3} s for {} meetings ({bad} bad) | floor (scan + SHA-256 of {n} rows) {:.3} s | ratio {} (goal <= 2 s)",
        took.as_secs_f64(),
        reports.len(),
        floor.as_secs_f64(),
        ratio(took, floor)
    );
    assert_eq!(bad, 0, "a freshly generated archive must verify");
}
