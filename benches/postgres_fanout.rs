//! Fan-out on PostgreSQL against SQLite (issue 18): one `!note` to N webhook receivers from an
//! in-process Gavel (`App::build` + `run_until_stopped`) on each engine, the two apps running
//! side by side and taking turns round by round, so machine noise hits both alike. Measured:
//! from `Desk::submit` returning `Recorded` to the outbox's events saying every receiver has
//! the entry (the receivers, one local axum server, answer 200 at once). The PostgreSQL server
//! is the tests' throwaway cluster (`tests/support/postgres_cluster.rs`, `fsync=off`; the
//! SQLite file keeps `synchronous=FULL`, as Gavel runs it). N = 100, 20 rounds (under
//! `cargo test`: N = 3, one round). Matrix rooms on both engines are in `matrix_fanout`.
//!
//! ```text
//! cargo bench --bench postgres_fanout
//! ```
//! Nothing here asserts on time.

mod common;
#[path = "../tests/support/postgres_cluster.rs"]
mod postgres_cluster;

use std::time::Duration;

use axum::Router;
use axum::routing::post;

use common::{Running, bench_mode, ms, percentile};

async fn receivers() -> String {
    let app = Router::new().route("/hook/{name}", post(|| async { "ok" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}/hook")
}

async fn fanout(url: &str, n: usize, rounds: usize) {
    let base = receivers().await;
    let sections: String = (0..n)
        .map(|i| {
            format!("[[webhook]]\nname = \"r{i}\"\nurl = \"{base}/r{i}\"\nformat = \"json\"\n\n")
        })
        .collect();
    let mut sqlite = Running::start_on(None, &sections, n).await;
    let mut pg = Running::start_on(Some(url), &sections, n).await;
    sqlite.submit_and_wait("!start Full Council").await;
    pg.submit_and_wait("!start Full Council").await;
    let (mut on_sqlite, mut on_pg) = (Vec::new(), Vec::new());
    for k in 0..rounds {
        let line = format!("!note round {k} of the fan-out benchmark");
        // Take turns at going first.
        let order: [bool; 2] = if k % 2 == 0 {
            [false, true]
        } else {
            [true, false]
        };
        for postgres in order {
            let (rig, out) = if postgres {
                (&mut pg, &mut on_pg)
            } else {
                (&mut sqlite, &mut on_sqlite)
            };
            let accepted = rig.submit_and_wait(&line).await;
            out.push(accepted.elapsed());
        }
    }
    let (p, s) = (
        percentile(&mut on_pg.clone(), 50.0),
        percentile(&mut on_sqlite.clone(), 50.0),
    );
    println!(
        "webhook fan-out to {n} receivers, {rounds} rounds interleaved: recorded → every receiver has it"
    );
    println!(
        "  PostgreSQL p50 {} max {}; SQLite p50 {} max {}; PostgreSQL / SQLite p50 {:.2}x",
        ms(p),
        ms(on_pg.iter().max().copied().unwrap_or(Duration::ZERO)),
        ms(s),
        ms(on_sqlite.iter().max().copied().unwrap_or(Duration::ZERO)),
        p.as_secs_f64() / s.as_secs_f64().max(1e-9)
    );
    sqlite.stop().await;
    pg.stop().await;
}

fn main() {
    let Some(cluster) = postgres_cluster::cluster() else {
        return;
    };
    let (n, rounds) = if bench_mode() { (100, 20) } else { (3, 1) };
    common::runtime().block_on(fanout(&cluster.url, n, rounds));
}
