//! Several `gavel run` instances on one PostgreSQL archive (issue 18): how long a failover
//! takes, and a simulated hosting day.
//!
//! - **Failover**: three instances of one council (leases of `LEASE_SECS`) deliver to three
//!   webhook receivers. Each round SIGKILLs the instance holding the first receiver's lease,
//!   records one command through a surviving instance at once, and measures, per receiver,
//!   the time from the kill to that entry's arrival; the dead instance is then replaced. The
//!   promise is "≤ lease + 1 s"; the baseline, measured in the same run, is the same command's
//!   delivery time with nobody killed.
//! - **Hosting day**: `COUNCILS` councils × 2 instances on one PostgreSQL, each council
//!   running a `COMMANDS`-command meeting through its instances' HTTP APIs at the same time
//!   (one clerk per council, commands back to back, alternating instances), to two webhook
//!   receivers each. Per-command p99 (the API's answer) and delivery p99 (answer to arrival),
//!   and CPU and peak memory per instance. The baseline is one council on one instance running
//!   the same meeting alone on the same server just before.
//!
//! Processes are the release `gavel` binary; the server is the tests' throwaway PostgreSQL 15
//! (`tests/support/postgres_cluster.rs`, `fsync=off`). Run with
//! `cargo bench --bench several_instances`; `GAVEL_BENCH_COUNCILS` and `GAVEL_BENCH_COMMANDS`
//! change the hosting day (defaults 20 and 200), `GAVEL_BENCH_ROUNDS` the failovers (10).
//! Without PostgreSQL it says SKIPPED; under `cargo test` it runs one small round of each.

#[path = "../tests/support/postgres_cluster.rs"]
mod postgres_cluster;

mod common;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::routing::post;

use common::{bench_mode, ms, percentile};

const TOKEN: &str = "bench-clerk-token-0123456789";
const LEASE_SECS: u64 = 3;

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// When each `(hook, seq)` first arrived.
type Arrivals = Arc<Mutex<HashMap<(String, u64), Instant>>>;

/// Webhook receivers.
#[derive(Clone, Default)]
struct Hooks {
    arrived: Arrivals,
    addr: Option<SocketAddr>,
}

async fn receive(
    State(arrived): State<Arrivals>,
    Path(name): Path<String>,
    body: Bytes,
) -> &'static str {
    let now = Instant::now();
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(&body)
        && let Some(seq) = v["seq"].as_u64()
    {
        arrived.lock().unwrap().entry((name, seq)).or_insert(now);
    }
    "ok"
}

impl Hooks {
    async fn start() -> Hooks {
        let mut h = Hooks::default();
        let app = Router::new()
            .route("/hook/{name}", post(receive))
            .with_state(Arc::clone(&h.arrived));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        h.addr = Some(listener.local_addr().unwrap());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        h
    }

    fn url(&self, name: &str) -> String {
        format!("http://{}/hook/{name}", self.addr.unwrap())
    }

    fn arrival(&self, hook: &str, seq: u64) -> Option<Instant> {
        self.arrived
            .lock()
            .unwrap()
            .get(&(hook.to_string(), seq))
            .copied()
    }

    async fn wait(&self, hooks: &[String], seq: u64) -> Vec<Instant> {
        for _ in 0..12_000 {
            let got: Vec<Instant> = hooks.iter().filter_map(|h| self.arrival(h, seq)).collect();
            if got.len() == hooks.len() {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        panic!("entry {seq} did not reach {hooks:?}");
    }
}

/// One council's archive schema and config.
struct Council {
    dir: tempfile::TempDir,
    url: String,
    schema: String,
    hooks: Vec<String>,
    lease_secs: Option<u64>,
}

struct Instance {
    child: std::process::Child,
    port: u16,
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Instance {
    /// CPU seconds used and peak resident memory in MiB, from `/proc`.
    fn usage(&self) -> (f64, f64) {
        let pid = self.child.id();
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .map(|(_, rest)| rest.split_whitespace().collect())
            .unwrap_or_default();
        let ticks: f64 = fields
            .get(11..13)
            .map(|f| f.iter().filter_map(|v| v.parse::<f64>().ok()).sum())
            .unwrap_or(0.0);
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        let hwm_kb: f64 = status
            .lines()
            .find(|l| l.starts_with("VmHWM:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0);
        (ticks / 100.0, hwm_kb / 1024.0)
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Council {
    fn new(url: &str, name: &str, hooks: usize, lease_secs: Option<u64>) -> Council {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("tokens"), format!("{TOKEN}\n")).unwrap();
        Council {
            dir,
            url: url.to_string(),
            schema: postgres_cluster::fresh_schema(),
            hooks: (1..=hooks).map(|h| format!("{name}-h{h}")).collect(),
            lease_secs,
        }
    }

    async fn start(&self, n: usize, receivers: &Hooks, http: &reqwest::Client) -> Instance {
        let port = free_port();
        let sharing = match self.lease_secs {
            Some(l) => format!("instances = \"several\"\nlease_secs = {l}\n"),
            None => String::new(),
        };
        let mut config = format!(
            "[council]\nname = \"Bench Borough Council\"\ntimezone = \"Europe/London\"\n\n\
             [archive]\nurl = \"{}\"\nschema = \"{}\"\n{sharing}state_dir = \"{}\"\n\n\
             [web]\nlisten = \"127.0.0.1:{port}\"\npublic_url = \"http://gavel.test\"\n\n\
             [api]\ntokens_file = \"{}\"\nrate_per_minute = 1000000\n\n\
             [outbox]\nretry_base_ms = 50\nretry_cap_secs = 1\n",
            self.url,
            self.schema,
            self.dir.path().join(format!("state-{n}")).display(),
            self.dir.path().join("tokens").display(),
        );
        for hook in &self.hooks {
            config.push_str(&format!(
                "\n[[webhook]]\nname = \"{hook}\"\nurl = \"{}\"\nformat = \"json\"\n",
                receivers.url(hook)
            ));
        }
        let path = self.dir.path().join(format!("gavel-{n}.toml"));
        std::fs::write(&path, config).unwrap();
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_gavel"))
            .arg("-c")
            .arg(&path)
            .arg("run")
            .current_dir(self.dir.path())
            .env("RUST_LOG", "error")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn gavel");
        let instance = Instance { child, port };
        for _ in 0..600 {
            if let Ok(r) = http
                .get(format!("http://127.0.0.1:{port}/healthz"))
                .send()
                .await
                && r.status().is_success()
            {
                return instance;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("an instance did not become healthy");
    }
}

/// Sends a command; its entry number and how long the API took to answer.
async fn command(http: &reqwest::Client, i: &Instance, line: &str) -> (u64, Duration) {
    let sent = Instant::now();
    let r: serde_json::Value = http
        .post(format!("http://127.0.0.1:{}/api/commands", i.port))
        .bearer_auth(TOKEN)
        .header("content-type", "text/plain")
        .body(line.to_string())
        .send()
        .await
        .expect("API")
        .json()
        .await
        .expect("API JSON");
    let took = sent.elapsed();
    assert_eq!(r["ok"], true, "{line}: {r}");
    (r["entry"].as_u64().unwrap(), took)
}

/// Which of `instances` holds `lease`, by their `/healthz`.
async fn holder(http: &reqwest::Client, instances: &[Instance], lease: &str) -> usize {
    for _ in 0..400 {
        for probe in instances {
            let Ok(r) = http
                .get(format!("http://127.0.0.1:{}/healthz", probe.port))
                .send()
                .await
            else {
                continue;
            };
            let Ok(body) = r.json::<serde_json::Value>().await else {
                continue;
            };
            let found = body["leases"].as_array().and_then(|all| {
                all.iter()
                    .find(|l| l["lease"] == lease && l["live"] == true)
                    .and_then(|l| l["holder"].as_str().map(str::to_string))
            });
            if let Some(h) = found
                && let Some(i) = instances
                    .iter()
                    .position(|i| h.contains(&format!("/{}/", i.child.id())))
            {
                return i;
            }
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("nobody holds {lease}");
}

async fn failover(url: &str, rounds: usize) {
    let http = reqwest::Client::new();
    let receivers = Hooks::start().await;
    let council = Council::new(url, "f", 3, Some(LEASE_SECS));
    let mut instances = Vec::new();
    for n in 0..3 {
        instances.push(council.start(n, &receivers, &http).await);
    }
    let mut next = 3;
    let (seq, _) = command(&http, &instances[0], "!start Full Council").await;
    receivers.wait(&council.hooks, seq).await;

    // Baseline: a command's delivery to every receiver with nobody killed.
    let mut normal = Vec::new();
    for n in 0..rounds.max(5) {
        let sent = Instant::now();
        let (seq, _) = command(&http, &instances[n % 3], &format!("!note steady {n}")).await;
        let arrived = receivers.wait(&council.hooks, seq).await;
        normal.push(arrived.iter().max().unwrap().duration_since(sent));
    }

    let lease = format!("target:webhook:{}", council.hooks[0]);
    let mut failovers = Vec::new();
    for n in 0..rounds {
        let dead = holder(&http, &instances, &lease).await;
        let mut gone = instances.remove(dead);
        let killed = Instant::now();
        let _ = gone.child.kill();
        let _ = gone.child.wait();
        let (seq, _) = command(&http, &instances[n % 2], &format!("!note after kill {n}")).await;
        let arrived = receivers.wait(&council.hooks, seq).await;
        failovers.push(arrived.iter().max().unwrap().duration_since(killed));
        drop(gone);
        instances.push(council.start(next, &receivers, &http).await);
        next += 1;
    }
    let lease_time = Duration::from_secs(LEASE_SECS);
    let p50 = percentile(&mut failovers.clone(), 50.0);
    let worst = *failovers.iter().max().unwrap();
    println!(
        "failover  3 instances, 3 webhooks, lease {} s, {rounds} SIGKILLs of the lease holder",
        LEASE_SECS
    );
    println!(
        "  kill → next delivery on every target: p50 {}, max {} ({:.2}x the lease; max − lease = {}, promise ≤ 1000 ms)",
        ms(p50),
        ms(worst),
        worst.as_secs_f64() / lease_time.as_secs_f64(),
        ms(worst.saturating_sub(lease_time)),
    );
    println!(
        "  baseline, nobody killed: command → every target p50 {}",
        ms(percentile(&mut normal, 50.0))
    );
}

/// One council's meeting through `instances`: per-command API times and delivery times.
async fn meeting(
    http: reqwest::Client,
    receivers: Hooks,
    hooks: Vec<String>,
    instances: Arc<Vec<Instance>>,
    commands: usize,
) -> (Vec<Duration>, Vec<Duration>) {
    let mut api = Vec::new();
    let mut answered = Vec::new();
    for n in 0..commands {
        let line = match n {
            0 => "!start Full Council".to_string(),
            n => format!("!note line {n} of the meeting"),
        };
        let sent = Instant::now();
        let (seq, took) = command(&http, &instances[n % instances.len()], &line).await;
        api.push(took);
        answered.push((seq, sent));
    }
    let mut delivery = Vec::new();
    for (seq, at) in answered {
        for arrived in receivers.wait(&hooks, seq).await {
            delivery.push(arrived.saturating_duration_since(at));
        }
    }
    (api, delivery)
}

async fn hosting_day(url: &str, councils: usize, commands: usize) {
    let http = reqwest::Client::new();
    let receivers = Hooks::start().await;

    // Baseline: one council on one instance, alone.
    let solo = Council::new(url, "solo", 2, None);
    let alone = Arc::new(vec![solo.start(0, &receivers, &http).await]);
    let (mut solo_api, mut solo_delivery) = meeting(
        http.clone(),
        receivers.clone(),
        solo.hooks.clone(),
        Arc::clone(&alone),
        commands,
    )
    .await;
    drop(alone);

    let mut all = Vec::new();
    for c in 0..councils {
        let council = Council::new(url, &format!("c{c}"), 2, Some(LEASE_SECS));
        let instances = vec![
            council.start(0, &receivers, &http).await,
            council.start(1, &receivers, &http).await,
        ];
        all.push((council, Arc::new(instances)));
    }
    let started = Instant::now();
    let runs: Vec<_> = all
        .iter()
        .map(|(council, instances)| {
            tokio::spawn(meeting(
                http.clone(),
                receivers.clone(),
                council.hooks.clone(),
                Arc::clone(instances),
                commands,
            ))
        })
        .collect();
    let (mut api, mut delivery) = (Vec::new(), Vec::new());
    for r in runs {
        let (a, d) = r.await.unwrap();
        api.extend(a);
        delivery.extend(d);
    }
    let wall = started.elapsed();
    let usage: Vec<(f64, f64)> = all
        .iter()
        .flat_map(|(_, instances)| instances.iter().map(Instance::usage))
        .collect();
    let cpu: Vec<f64> = usage.iter().map(|u| u.0).collect();
    let mem: Vec<f64> = usage.iter().map(|u| u.1).collect();
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
    let max = |v: &[f64]| v.iter().cloned().fold(0.0, f64::max);

    let (api99, solo_api99) = (percentile(&mut api, 99.0), percentile(&mut solo_api, 99.0));
    let (del99, solo_del99) = (
        percentile(&mut delivery, 99.0),
        percentile(&mut solo_delivery, 99.0),
    );
    println!(
        "hosting day  {councils} councils × 2 instances on one PostgreSQL, {commands} commands each, 2 webhooks each ({} commands in {:.1} s)",
        councils * commands,
        wall.as_secs_f64()
    );
    println!(
        "  per command p99 {} (alone: {}, {:.2}x); p50 {}",
        ms(api99),
        ms(solo_api99),
        api99.as_secs_f64() / solo_api99.as_secs_f64().max(1e-9),
        ms(percentile(&mut api, 50.0)),
    );
    println!(
        "  delivery (command sent → arrived) p99 {} (alone: {}, {:.2}x); p50 {}",
        ms(del99),
        ms(solo_del99),
        del99.as_secs_f64() / solo_del99.as_secs_f64().max(1e-9),
        ms(percentile(&mut delivery, 50.0)),
    );
    println!(
        "  per instance: CPU mean {:.2} s, max {:.2} s; peak memory mean {:.1} MiB, max {:.1} MiB",
        mean(&cpu),
        max(&cpu),
        mean(&mem),
        max(&mem)
    );
}

fn main() {
    let Some(cluster) = postgres_cluster::cluster() else {
        return;
    };
    let full = bench_mode();
    let rounds = if full {
        env_or("GAVEL_BENCH_ROUNDS", 10)
    } else {
        1
    };
    let councils = if full {
        env_or("GAVEL_BENCH_COUNCILS", 20)
    } else {
        2
    };
    let commands = if full {
        env_or("GAVEL_BENCH_COMMANDS", 200)
    } else {
        5
    };
    let rt = common::runtime();
    rt.block_on(failover(&cluster.url, rounds));
    rt.block_on(hosting_day(&cluster.url, councils, commands));
}
