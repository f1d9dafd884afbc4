//! Per-command cost on PostgreSQL (issue 18): `Archive::append` on the PostgreSQL engine against
//! a raw INSERT of the same rows on the same server, and the SQLite engine beside them.
//!
//! Three series, interleaved command by command so machine noise hits them alike:
//! - `pg-archive`: `Archive::append` on the PostgreSQL engine (pooled tokio-postgres, its own
//!   runtime): the sequence number, the previous hash, the hash, the entry and 3 delivery rows in
//!   one transaction that serialises appends to the meeting;
//! - `pg-raw`: the floor, a bare tokio-postgres transaction writing the same rows (entry and 3
//!   delivery rows) with prepared statements and no hashing, sequence lookup or validation;
//! - `sqlite-archive`: `Archive::append` on SQLite (WAL, `synchronous=FULL`), for reference.
//!
//! The PostgreSQL server is the tests' throwaway cluster (`tests/support/postgres_cluster.rs`,
//! Debian's PostgreSQL 15 on loopback, `fsync=off` as the tests run it: both PostgreSQL series
//! share the server and its settings, so the ratio is Gavel's own work). Run with
//! `cargo bench --bench postgres_command`; `GAVEL_BENCH_COMMANDS` changes N (default 2,000).
//! Without PostgreSQL installed it says SKIPPED.

#[path = "../tests/support/postgres_cluster.rs"]
mod postgres_cluster;

mod common;

use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use gavel::archive::{Archive, DeliveryOp, EntryDraft, MeetingRef};
use gavel::domain::MeetingId;

use common::{Script, bench_mode, draft, ms, percentile};

const TARGETS: [&str; 3] = ["web", "webhook:a", "webhook:b"];

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 18, 30, 0)
        .single()
        .unwrap_or_default()
}

/// The raw floor on the same server, in its own schema with Gavel's tables.
struct Raw {
    rt: tokio::runtime::Runtime,
    client: tokio_postgres::Client,
    entry: tokio_postgres::Statement,
    delivery: tokio_postgres::Statement,
    seq: i64,
}

impl Raw {
    fn open(url: &str, schema: &str) -> Raw {
        // Gavel's own migrations make the tables, so both series write identical rows.
        drop(Archive::open_location(url, None, Some(schema)).expect("schema"));
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let mut config: tokio_postgres::Config = url.parse().expect("url");
        config.options(format!("-c search_path={schema}"));
        let (client, connection) = rt
            .block_on(config.connect(tokio_postgres::NoTls))
            .expect("connect");
        rt.spawn(connection);
        rt.block_on(client.batch_execute(
            "INSERT INTO meetings (id, title, timezone, created_at_ms) VALUES (1, 'Raw', 'Europe/London', 0)",
        ))
        .expect("meeting");
        let entry = rt
            .block_on(client.prepare(
                "INSERT INTO entries (meeting_id, seq, kind, fields, text, author_platform, author_id,
                    author_name, ts_ms, timezone, refers_to, confidential, source_platform, source_id,
                    prev_hash, hash)
                 VALUES (1, $1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, 0, NULL, NULL, $10, $10)
                 RETURNING id",
            ))
            .expect("prepare entry");
        let delivery = rt
            .block_on(client.prepare(
                "INSERT INTO deliveries (target, entry_id, op, state, attempts, created_ms)
                 VALUES ($1, $2, 'post', 'pending', 0, 0)",
            ))
            .expect("prepare delivery");
        Raw {
            rt,
            client,
            entry,
            delivery,
            seq: 0,
        }
    }

    fn insert(&mut self, d: &EntryDraft) {
        self.seq += 1;
        let hash = "0".repeat(64);
        let fields = d.payload.to_json().to_string();
        let ts = d.at.timestamp_millis();
        let (seq, kind, tz) = (self.seq, d.payload.kind().as_str(), d.timezone.name());
        let (client, entry, delivery) = (&mut self.client, &self.entry, &self.delivery);
        self.rt
            .block_on(async {
                let tx = client.transaction().await?;
                let id: i64 = tx
                    .query_one(
                        entry,
                        &[
                            &seq,
                            &kind,
                            &fields,
                            &d.text,
                            &d.author.platform,
                            &d.author.user_id,
                            &d.author.display_name,
                            &ts,
                            &tz,
                            &hash,
                        ],
                    )
                    .await?
                    .get(0);
                for t in TARGETS {
                    tx.execute(delivery, &[&t, &id]).await?;
                }
                tx.commit().await
            })
            .expect("raw insert");
    }
}

/// Lines for one long meeting: `!start`, then `n - 1` in-meeting commands.
fn lines(n: usize) -> Vec<String> {
    let mut s = Script::default();
    let mut v = vec![format!("!start {}", s.title())];
    while v.len() < n {
        v.push(s.line());
    }
    v
}

fn main() {
    let Some(cluster) = postgres_cluster::cluster() else {
        return;
    };
    let n: usize = if bench_mode() {
        std::env::var("GAVEL_BENCH_COMMANDS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(2000)
    } else {
        20
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let pg = Archive::open_location(&cluster.url, None, Some(&postgres_cluster::fresh_schema()))
        .expect("postgres archive");
    let sqlite = Archive::open(&dir.path().join("sqlite.db")).expect("sqlite archive");
    let mut raw = Raw::open(&cluster.url, &postgres_cluster::fresh_schema());
    let targets: Vec<(String, DeliveryOp)> = TARGETS
        .iter()
        .map(|t| (t.to_string(), DeliveryOp::Post))
        .collect();
    let (mut t_pg, mut t_raw, mut t_sqlite) = (Vec::new(), Vec::new(), Vec::new());
    let mut meetings: [Option<MeetingId>; 2] = [None, None];
    for (i, line) in lines(n).iter().enumerate() {
        let at = t0() + TimeDelta::seconds(20 * i as i64);
        let Some(d) = draft(line, at) else { continue };
        for (k, (archive, times)) in [(&pg, &mut t_pg), (&sqlite, &mut t_sqlite)]
            .into_iter()
            .enumerate()
        {
            let m = match meetings[k] {
                Some(id) => MeetingRef::Existing(id),
                None => MeetingRef::New {
                    title: "Bench".into(),
                    scheduled: None,
                },
            };
            let t = Instant::now();
            let a = archive.append(m, d.clone(), &targets).expect("append");
            times.push(t.elapsed());
            meetings[k] = Some(a.entry().meeting);
        }
        let t = Instant::now();
        raw.insert(&d);
        t_raw.push(t.elapsed());
    }
    for (a, name) in [(&pg, "PostgreSQL"), (&sqlite, "SQLite")] {
        let report = a.verify(None).expect("verify");
        assert!(
            report.iter().all(|c| c.problem.is_none()),
            "the {name} chain does not verify"
        );
    }
    let p = |v: &mut Vec<Duration>, q: f64| percentile(v, q);
    let (raw50, raw99) = (p(&mut t_raw, 50.0), p(&mut t_raw, 99.0));
    println!(
        "per-command latency on PostgreSQL, {} commands, 3 targets (ratios to pg-raw)",
        t_raw.len()
    );
    for (name, v) in [
        ("pg-raw", &mut t_raw),
        ("pg-archive", &mut t_pg),
        ("sqlite-archive", &mut t_sqlite),
    ] {
        let (p50, p99) = (p(v, 50.0), p(v, 99.0));
        println!(
            "  {name:<15} p50 {:>8} p99 {:>8}   {:.2}x / {:.2}x",
            ms(p50),
            ms(p99),
            p50.as_secs_f64() / raw50.as_secs_f64(),
            p99.as_secs_f64() / raw99.as_secs_f64()
        );
    }
}
