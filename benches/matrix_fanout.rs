//! Matrix fan-out (issue 9, goal 1), against a real Synapse on loopback (`scripts/synapse.sh`,
//! installed in `.cache/synapse-venv` or `GAVEL_SYNAPSE_VENV`; without it this prints why and
//! does nothing).
//!
//! The bot is exempted from Synapse's rate limits through the admin API
//! (`override_ratelimit`), as an operator would. Per N an in-process app (`App::build` +
//! `run_until_stopped`, `[matrix]` with N public target rooms) records one `!note` through
//! `Desk::submit`. Measured: from `submit` returning `Recorded` to the latest
//! `origin_server_ts` among the N copies, read back once the outbox's events say every room has
//! it (polling Synapse meanwhile would compete with the sends for its one event loop). Floor,
//! interleaved round by round: a bare reqwest client logged in as the same bot PUTting the same
//! event (`m.room.message` with the content Gavel's Matrix renderer makes: `m.notice`, HTML
//! body, `m.mentions`) to the same N rooms, one sequential sender per room, all rooms at once
//! (Gavel's shape: one delivery task per target), timed from the first send to the latest
//! `origin_server_ts` of its copies. Both are read back the same way, through `/messages`, after
//! the fact, and Synapse stamps both with the same clock as this process (loopback), at
//! millisecond resolution. N = 1, 10, 100 (smoke, under `cargo test`: N = 1, one round).
//!
//! ```text
//! cargo bench --bench matrix_fanout
//! ```
//! Nothing here asserts on time.

mod common;
#[path = "../tests/support/postgres_cluster.rs"]
mod postgres_cluster;
#[path = "../tests/support/synapse.rs"]
mod synapse;

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::json;

use common::{Running, bench_mode, ms, percentile};
use synapse::{Client, PASS, Synapse, enc};

/// Milliseconds since the epoch, the unit of `origin_server_ts`.
fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_millis() as i64
}

impl Client {
    async fn send_notice(&self, room: &str, txn: &str, body: &str) {
        self.call(
            reqwest::Method::PUT,
            &format!(
                "/_matrix/client/v3/rooms/{}/send/m.room.message/{txn}",
                enc(room)
            ),
            // Exactly the content Gavel sends for an entry (`m.notice`, HTML, `m.mentions`).
            Some(gavel::platform::matrix::render::notice(body)),
        )
        .await;
    }

    /// The `origin_server_ts` of `sender`'s latest message in `room` containing `needle`.
    async fn stamped(&self, room: &str, sender: &str, needle: &str) -> Option<i64> {
        let v = self
            .call(
                reqwest::Method::GET,
                &format!(
                    "/_matrix/client/v3/rooms/{}/messages?dir=b&limit=20",
                    enc(room)
                ),
                None,
            )
            .await;
        v["chunk"].as_array()?.iter().find_map(|e| {
            let body = e["content"]["body"].as_str()?;
            (e["sender"] == sender && e["type"] == "m.room.message" && body.contains(needle))
                .then(|| e["origin_server_ts"].as_i64())
                .flatten()
        })
    }

    /// Waits until every room has `sender`'s message containing `needle`; the latest stamp.
    async fn last_stamp(&self, rooms: &[String], sender: &str, needle: &str) -> i64 {
        let deadline = Instant::now() + Duration::from_secs(120);
        let mut latest = 0;
        for room in rooms {
            loop {
                if let Some(ts) = self.stamped(room, sender, needle).await {
                    latest = latest.max(ts);
                    break;
                }
                assert!(Instant::now() < deadline, "{needle:?} never reached {room}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        latest
    }
}

/// Synapse, its users and the rooms every round uses.
struct World {
    synapse: Synapse,
    _dir: tempfile::TempDir,
    bot: Client,
    clerk: Client,
    command: String,
    rooms: Vec<String>,
}

impl World {
    async fn new(rooms: usize) -> World {
        let dir = tempfile::tempdir().expect("tempdir");
        let synapse = tokio::task::block_in_place(|| {
            let synapse = Synapse::start(dir.path());
            for (user, admin) in [("admin", true), ("bot", false), ("clerk", false)] {
                synapse.register(user, admin);
            }
            synapse
        });
        let admin = Client::login(&synapse.url, "admin").await;
        let bot = Client::login(&synapse.url, "bot").await;
        let clerk = Client::login(&synapse.url, "clerk").await;
        for user in [&bot.user_id, &clerk.user_id] {
            admin.exempt(user).await;
        }
        let command = clerk
            .create_room(
                json!({"preset": "private_chat", "name": "Clerks", "invite": [bot.user_id]}),
            )
            .await;
        let mut ids = Vec::new();
        for i in 0..rooms {
            let room = clerk
                .create_room(json!({"preset": "public_chat", "name": format!("Live {i}")}))
                .await;
            ids.push(room);
        }
        World {
            synapse,
            _dir: dir,
            bot,
            clerk,
            command,
            rooms: ids,
        }
    }

    /// A running app whose targets are the first `n` rooms, once `!start` reached all of them.
    async fn gavel(&self, n: usize, tag: &str, postgres: Option<&str>) -> Running {
        let targets = self.rooms[..n]
            .iter()
            .map(|r| format!("\"{r}\""))
            .collect::<Vec<_>>()
            .join(", ");
        let mut app = Running::start_on(
            postgres,
            &format!(
                "[matrix]\nhomeserver = \"{}\"\nuser = \"{}\"\npassword = \"{PASS}\"\n\
                 command_rooms = [\"{}\"]\nclerks = [\"{}\"]\ntargets = [{targets}]\n",
                self.synapse.url, self.bot.user_id, self.command, self.clerk.user_id,
            ),
            n,
        )
        .await;
        app.submit_and_wait(&format!("!start Full Council {tag}"))
            .await;
        app
    }

    fn stop(self) {
        tokio::task::block_in_place(|| self.synapse.stop());
    }
}

/// The floor: one sequential sender per room, all rooms at once, as the bot. Milliseconds from
/// the first send to the latest stamp.
async fn raw_round(w: &World, rooms: &[String], tag: &str) -> i64 {
    let started = now_ms();
    let mut tasks = Vec::new();
    for (i, room) in rooms.iter().enumerate() {
        let (bot, room, tag) = (w.bot.clone(), room.clone(), tag.to_string());
        tasks.push(tokio::spawn(async move {
            let body = format!("#7 19:04 · Note: raw floor message {tag} for this room");
            bot.send_notice(&room, &format!("{tag}-{i}"), &body).await;
        }));
    }
    for t in tasks {
        t.await.expect("raw sender");
    }
    w.clerk.last_stamp(rooms, &w.bot.user_id, tag).await - started
}

/// One `!note` through `app`: milliseconds from its acceptance to Synapse's stamp of its last
/// copy.
async fn gavel_round(w: &World, app: &mut Running, rooms: &[String], tag: &str) -> Duration {
    let accepted = app
        .submit_and_wait(&format!("!note Matrix {tag} of the fan-out benchmark"))
        .await;
    // Synapse stamps in epoch milliseconds: the acceptance in the same unit.
    let accepted = now_ms() - accepted.elapsed().as_millis() as i64;
    let last = w.clerk.last_stamp(rooms, &w.bot.user_id, tag).await;
    Duration::from_millis((last - accepted).max(0) as u64)
}

async fn fanout(sizes: &[usize], rounds: usize) {
    println!(
        "matrix fan-out, Synapse on loopback, bot exempt from rate limits: one `!note` to N rooms vs a raw reqwest floor, {rounds} rounds interleaved"
    );
    // The same fan-out from an app on PostgreSQL, when the tests' cluster is installed.
    let postgres = tokio::task::block_in_place(postgres_cluster::cluster).map(|c| c.url.clone());
    println!(
        "  {:>4} {:>12} {:>12} {:>12} {:>12} {:>9} {:>12} {:>9}",
        "N", "gavel p50", "gavel max", "raw p50", "raw max", "p50 ratio", "on pg p50", "pg/sqlite"
    );
    let largest = sizes.iter().copied().max().unwrap_or(1);
    let world = World::new(largest).await;
    for &n in sizes {
        let mut rig = world.gavel(n, &format!("n{n}"), None).await;
        let mut pg_rig = match &postgres {
            Some(url) => Some(world.gavel(n, &format!("pg{n}"), Some(url)).await),
            None => None,
        };
        let mut on_pg = Vec::new();
        let rooms = &world.rooms[..n];
        raw_round(&world, rooms, &format!("warm{n}x")).await;
        let (mut g, mut r) = (Vec::new(), Vec::new());
        for k in 0..rounds {
            g.push(gavel_round(&world, &mut rig, rooms, &format!("round{n}x{k}y")).await);
            let raw = raw_round(&world, rooms, &format!("raw{n}x{k}y")).await;
            r.push(Duration::from_millis(raw.max(0) as u64));
            if let Some(pg) = pg_rig.as_mut() {
                on_pg.push(gavel_round(&world, pg, rooms, &format!("pground{n}x{k}y")).await);
            }
        }
        let (gp, rp) = (percentile(&mut g, 50.0), percentile(&mut r, 50.0));
        let pp = percentile(&mut on_pg, 50.0);
        println!(
            "  {n:>4} {:>12} {:>12} {:>12} {:>12} {:>8.2}x {:>12} {:>8}",
            ms(gp),
            ms(g.last().copied().unwrap_or_default()),
            ms(rp),
            ms(r.last().copied().unwrap_or_default()),
            gp.as_secs_f64() / rp.as_secs_f64().max(1e-3),
            if on_pg.is_empty() { "-".into() } else { ms(pp) },
            if on_pg.is_empty() {
                "-".into()
            } else {
                format!("{:.2}x", pp.as_secs_f64() / gp.as_secs_f64().max(1e-3))
            },
        );
        rig.stop().await;
        if let Some(pg) = pg_rig {
            pg.stop().await;
        }
    }
    world.stop();
}

fn main() {
    if !synapse::installed() {
        println!(
            "matrix fan-out SKIPPED: Synapse is not installed in {} (scripts/synapse.sh install)",
            synapse::venv().display()
        );
        return;
    }
    let full = bench_mode();
    let rt = common::runtime();
    rt.block_on(async {
        if full {
            fanout(&[1, 10, 100], 10).await;
        } else {
            fanout(&[1], 1).await;
        }
    });
}
