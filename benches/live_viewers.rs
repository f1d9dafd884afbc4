//! Live viewers (issue 9): N concurrent Server-Sent-Events connections to one meeting's live
//! stream (`GET /meetings/1/live`), one clerk command, and how long each connection waits for
//! that entry's event.
//!
//! The app runs in this process (`App::build` with `[web]` on `127.0.0.1:0`, an open meeting,
//! a temp archive). The clients run in a **child process** (this same binary, re-run with
//! `--live-client`), one tokio task and one HTTP/1.1 connection each, on loopback: one process
//! cannot hold both ends of 10,000 connections under this machine's hard `RLIMIT_NOFILE` of
//! 20,000, and keeping them apart also makes the parent's VmRSS the server's alone.
//!
//! Per run: the child connects N streams (at most 256 connects in flight) with
//! `?last_event_id=K` (K = the newest entry, so nothing is replayed), says `ready`; the parent
//! reads its own VmRSS, takes a wall-clock timestamp, submits `!note …` through `Desk::submit`,
//! and hands the timestamp to the child, which reports, per connection, wall-clock arrival of
//! the event with `id > K` minus that timestamp (same machine, same clock). The baseline is the
//! same delivery to **1** connection just before the big run in the same process (the ratio's
//! denominator); it is run again 5 s after the big run, as a note on teardown.
//!
//! ```text
//! cargo bench --bench live_viewers                       # 10,000 viewers
//! cargo bench --bench live_viewers -- --viewers 2000
//! scripts/bench-live.sh                                  # raises `ulimit -n` first
//! ```
//! Without `--bench` (as `cargo test --all-targets` runs it) it does a 20-connection smoke run.
//! Nothing here asserts on time.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use gavel::app::{App, RunOptions};
use gavel::config::{Secrets, load};
use gavel::desk::{ClerkInput, Desk, Reply};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use common::{bench_mode, clerk, ms, percentile};

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

fn unix_nanos() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

/// VmRSS of this process in KiB (0 when /proc is not there).
fn rss_kib(pid: Option<u32>) -> u64 {
    let path = match pid {
        Some(p) => format!("/proc/{p}/status"),
        None => "/proc/self/status".to_string(),
    };
    std::fs::read_to_string(path)
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

// ----- the client process ---------------------------------------------------------------------

/// Reads SSE blocks from `r` until one carries an `id:` above `after`.
async fn wait_event(r: &mut reqwest::Response, after: u32) -> Result<(), String> {
    let mut buf = String::new();
    loop {
        let chunk = r
            .chunk()
            .await
            .map_err(|e| e.to_string())?
            .ok_or("stream ended")?;
        buf.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buf.find("\n\n") {
            let block: String = buf.drain(..end + 2).collect();
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("id:")
                    && v.trim().parse::<u32>().is_ok_and(|id| id > after)
                {
                    return Ok(());
                }
            }
        }
    }
}

/// `--live-client URL N AFTER`: connects N streams, prints `ready`, waits for one event on each,
/// reads the submit timestamp from stdin, prints `lat <nanos>` per connection, then `done`.
fn client_main() {
    let url = arg("--live-client").expect("url");
    let n: usize = arg("--n").and_then(|s| s.parse().ok()).unwrap_or(1);
    let after: u32 = arg("--after").and_then(|s| s.parse().ok()).unwrap_or(0);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let http = reqwest::Client::builder()
            .no_proxy()
            .pool_max_idle_per_host(0)
            .connect_timeout(Duration::from_secs(30))
            .build()
            .expect("client");
        let gate = Arc::new(Semaphore::new(256));
        let (conn_tx, mut conn_rx) = tokio::sync::mpsc::channel::<Result<(), String>>(n.max(1));
        let (done_tx, mut done_rx) = tokio::sync::mpsc::channel::<Result<u128, String>>(n.max(1));
        for _ in 0..n {
            let (http, gate, url) = (http.clone(), Arc::clone(&gate), url.clone());
            let (conn_tx, done_tx) = (conn_tx.clone(), done_tx.clone());
            tokio::spawn(async move {
                let permit = gate.acquire_owned().await.expect("semaphore");
                let r = http
                    .get(format!("{url}?last_event_id={after}"))
                    .send()
                    .await;
                drop(permit);
                let mut r = match r {
                    Ok(r) if r.status().is_success() => {
                        let _ = conn_tx.send(Ok(())).await;
                        r
                    }
                    Ok(r) => {
                        let _ = conn_tx.send(Err(format!("status {}", r.status()))).await;
                        return;
                    }
                    Err(e) => {
                        let _ = conn_tx.send(Err(e.to_string())).await;
                        return;
                    }
                };
                let got = wait_event(&mut r, after).await.map(|()| unix_nanos());
                let _ = done_tx.send(got).await;
                // Hold the connection until the parent is done measuring.
                std::future::pending::<()>().await;
            });
        }
        drop((conn_tx, done_tx));
        let (mut open, mut failed) = (0usize, Vec::new());
        for _ in 0..n {
            let Some(r) = conn_rx.recv().await else { break };
            match r {
                Ok(()) => open += 1,
                Err(e) => failed.push(e),
            }
        }
        if let Some(e) = failed.first() {
            eprintln!("{} connections failed, first: {e}", failed.len());
        }
        println!("ready {open}");
        let _ = std::io::stdout().flush();
        let mut arrivals = Vec::with_capacity(open);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        while arrivals.len() < open {
            match tokio::time::timeout_at(deadline, done_rx.recv()).await {
                Ok(Some(Ok(t))) => arrivals.push(t),
                Ok(Some(Err(e))) => eprintln!("stream error: {e}"),
                Ok(None) | Err(_) => break,
            }
        }
        let mut line = String::new();
        let _ = std::io::stdin().read_line(&mut line);
        let t0: u128 = line.trim().parse().unwrap_or(0);
        let mut out = std::io::stdout().lock();
        for a in arrivals {
            let _ = writeln!(out, "lat {}", a.saturating_sub(t0));
        }
        let _ = writeln!(out, "done");
        let _ = out.flush();
    });
}

// ----- the server (parent) process ------------------------------------------------------------

struct Round {
    open: usize,
    got: Vec<Duration>,
    rss_before: u64,
    rss_connected: u64,
    client_rss: u64,
}

async fn submit(desk: &Desk, text: &str) -> u32 {
    let reply = desk
        .submit(ClerkInput {
            author: clerk(),
            text: text.into(),
            source: None,
        })
        .await;
    match reply {
        Reply::Recorded { entry, .. } => entry.seq.0,
        other => panic!("{text:?} not recorded: {other:?}"),
    }
}

/// One round: `n` viewers connect, one command, per-viewer delivery times.
async fn round(desk: &Desk, live_url: &str, n: usize, after: u32, note: &str) -> Round {
    let rss_before = rss_kib(None);
    let mut child = Command::new(std::env::current_exe().expect("current exe"))
        .args([
            "--live-client",
            live_url,
            "--n",
            &n.to_string(),
            "--after",
            &after.to_string(),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn client process");
    let pid = child.id();
    let mut out = BufReader::new(child.stdout.take().expect("stdout"));
    let mut stdin = child.stdin.take().expect("stdin");
    let ready = tokio::task::block_in_place(|| {
        let mut line = String::new();
        let _ = out.read_line(&mut line);
        line
    });
    let open: usize = ready
        .trim()
        .strip_prefix("ready ")
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    // Let the server finish subscribing the last streams.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_connected = rss_kib(None);
    let client_rss = rss_kib(Some(pid));
    let t0 = unix_nanos();
    submit(desk, note).await;
    let _ = writeln!(stdin, "{t0}");
    let _ = stdin.flush();
    let got = tokio::task::block_in_place(|| {
        let mut got = Vec::new();
        for line in out.lines().map_while(Result::ok) {
            if line == "done" {
                break;
            }
            if let Some(v) = line
                .strip_prefix("lat ")
                .and_then(|v| v.parse::<u64>().ok())
            {
                got.push(Duration::from_nanos(v));
            }
        }
        got
    });
    let _ = child.kill();
    let _ = child.wait();
    Round {
        open,
        got,
        rss_before,
        rss_connected,
        client_rss,
    }
}

fn report(name: &str, r: &mut Round) -> Duration {
    let p50 = percentile(&mut r.got, 50.0);
    let p99 = percentile(&mut r.got, 99.0);
    let max = r.got.last().copied().unwrap_or_default();
    println!(
        "  {name:<22} {:>7} open {:>7} got {:>12} {:>12} {:>12}   server RSS {} -> {} (+{:.1} KiB/viewer), client process {}",
        r.open,
        r.got.len(),
        ms(p50),
        ms(p99),
        ms(max),
        mib(r.rss_before),
        mib(r.rss_connected),
        (r.rss_connected as f64 - r.rss_before as f64) / r.open.max(1) as f64,
        mib(r.client_rss),
    );
    p99
}

fn server_main() {
    let viewers: usize = arg("--viewers")
        .or_else(|| std::env::var("GAVEL_BENCH_VIEWERS").ok())
        .and_then(|s| s.replace('_', "").parse().ok())
        .unwrap_or(if bench_mode() { 10_000 } else { 20 });
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let dir = tempfile::tempdir().expect("tempdir");
        let config_path = dir.path().join("gavel.toml");
        std::fs::write(
            &config_path,
            format!(
                "[council]\nname = \"Bench Borough Council\"\ntimezone = \"Europe/London\"\n\n\
                 [archive]\npath = \"{}\"\n\n\
                 [web]\nlisten = \"127.0.0.1:0\"\npublic_url = \"http://gavel.test\"\n",
                dir.path().join("archive.db").display()
            ),
        )
        .expect("config");
        let config = load(&config_path, Secrets::Resolve).expect("config loads");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let app = App::build(
            config,
            RunOptions {
                console: false,
                web_listener: Some(listener),
                ..Default::default()
            },
        )
        .await
        .expect("app builds");
        let desk = Arc::clone(app.desk());
        let stop = CancellationToken::new();
        let task = tokio::spawn(app.run_until_stopped(stop.clone()));
        let mut last = submit(&desk, "!start Full Council").await;
        last = last.max(submit(&desk, "!agenda 1 Apologies for absence").await);
        let url = format!("http://{addr}/meetings/1/live");

        println!(
            "live viewers: one `!note` to N SSE connections of /meetings/1/live; clients in a child process"
        );
        println!(
            "  {:<22} {:>12} {:>11} {:>12} {:>12} {:>12}",
            "round", "connections", "events", "p50", "p99", "max"
        );
        let mut b1 = round(&desk, &url, 1, last, "!note baseline before").await;
        last += 1;
        let base_before = report("baseline, 1 viewer, before", &mut b1);
        let mut big = round(&desk, &url, viewers, last, "!note to every viewer").await;
        last += 1;
        let big_p99 = report(&format!("{viewers} viewers"), &mut big);
        // The server is still tearing down the big round's streams; let it settle first.
        tokio::time::sleep(Duration::from_secs(5)).await;
        let mut b2 = round(&desk, &url, 1, last, "!note baseline after").await;
        let base_after = report("baseline, 1 viewer, after", &mut b2);
        let base = base_before;
        println!(
            "  (1 viewer after the big round, 5 s later: {})",
            ms(base_after)
        );
        println!(
            "  {viewers} viewers p99 {} (goal <= 1 s) = {:.1}x the 1-viewer delivery before it ({}); {} of {} connections got the event",
            ms(big_p99),
            big_p99.as_secs_f64() / base.as_secs_f64().max(1e-9),
            ms(base),
            big.got.len(),
            viewers,
        );
        stop.cancel();
        let _ = task.await;
    });
}

fn main() {
    if arg("--live-client").is_some() {
        client_main();
    } else {
        server_main();
    }
}
