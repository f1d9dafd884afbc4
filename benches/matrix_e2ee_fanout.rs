//! The cost of end-to-end encryption in Matrix fan-out (issue 21), against a real Synapse on
//! loopback (`scripts/synapse.sh`; without it this prints why and does nothing).
//!
//! Two in-process apps run side by side, each with its own bot account (both exempt from rate
//! limits): one posts to N unencrypted rooms, the other to N encrypted rooms. A resident with
//! a real matrix-sdk device (keys uploaded) is in all 2N rooms, so the encrypting bot has a
//! device to share each room key with, as it would in a council's room. Measured per app: from
//! `Desk::submit` accepting a `!note` to the outbox reporting it delivered to all N rooms
//! (the homeserver accepted every send), rounds interleaved between the two apps. The first
//! entry (`!start`) is reported apart: in encrypted rooms it includes creating the Olm session
//! with the resident's device and sharing a new room key in each room; later entries reuse the
//! room keys. Both apps are measured the same way, so the ratio is what encryption adds.
//! N = 100 (smoke, under `cargo test`: N = 2, one round).
//!
//! ```text
//! cargo bench --bench matrix_e2ee_fanout
//! ```
//! Nothing here asserts on time.
#![recursion_limit = "256"]

mod common;
#[path = "../tests/support/synapse.rs"]
mod synapse;

use std::time::{Duration, Instant};

use serde_json::json;

use common::{Running, bench_mode, ms, percentile};
use synapse::{Client, PASS, Synapse};

struct World {
    synapse: Synapse,
    _dir: tempfile::TempDir,
    clerk: Client,
    plain_bot: Client,
    crypt_bot: Client,
    command: String,
    plain: Vec<String>,
    encrypted: Vec<String>,
    _resident: matrix_sdk::Client,
}

impl World {
    async fn new(n: usize) -> World {
        let dir = tempfile::tempdir().expect("tempdir");
        let synapse = tokio::task::block_in_place(|| {
            let synapse = Synapse::start(dir.path());
            for (user, admin) in [
                ("admin", true),
                ("plainbot", false),
                ("cryptbot", false),
                ("clerk", false),
                ("resident", false),
            ] {
                synapse.register(user, admin);
            }
            synapse
        });
        let admin = Client::login(&synapse.url, "admin").await;
        let plain_bot = Client::login(&synapse.url, "plainbot").await;
        let crypt_bot = Client::login(&synapse.url, "cryptbot").await;
        let clerk = Client::login(&synapse.url, "clerk").await;
        // The resident's device has real keys: matrix-sdk, one sync to upload them.
        let resident = matrix_sdk::Client::builder()
            .homeserver_url(&synapse.url)
            .build()
            .await
            .expect("sdk client");
        resident
            .matrix_auth()
            .login_username("resident", PASS)
            .send()
            .await
            .expect("resident login");
        resident
            .sync_once(matrix_sdk::config::SyncSettings::default().timeout(Duration::ZERO))
            .await
            .expect("resident sync");
        let resident_api = Client {
            http: clerk.http.clone(),
            base: synapse.url.clone(),
            token: resident.access_token().expect("token"),
            user_id: resident.user_id().expect("user").to_string(),
        };
        for user in [
            &plain_bot.user_id,
            &crypt_bot.user_id,
            &clerk.user_id,
            &resident_api.user_id,
        ] {
            admin.exempt(user).await;
        }
        let command = clerk
            .create_room(json!({"preset": "private_chat", "name": "Clerks",
                                "invite": [plain_bot.user_id, crypt_bot.user_id]}))
            .await;
        let (mut plain, mut encrypted) = (Vec::new(), Vec::new());
        for i in 0..n {
            plain.push(
                resident_api
                    .create_room(json!({"preset": "public_chat", "name": format!("Plain {i}")}))
                    .await,
            );
            encrypted.push(
                resident_api
                    .create_room(json!({
                        "preset": "public_chat",
                        "name": format!("Encrypted {i}"),
                        "initial_state": [{"type": "m.room.encryption", "state_key": "",
                                           "content": {"algorithm": "m.megolm.v1.aes-sha2"}}],
                    }))
                    .await,
            );
        }
        World {
            synapse,
            _dir: dir,
            clerk,
            plain_bot,
            crypt_bot,
            command,
            plain,
            encrypted,
            _resident: resident,
        }
    }

    /// A running app for `bot` posting to `rooms`; returns it with the time its `!start` took
    /// to reach every room.
    async fn gavel(&self, bot: &Client, rooms: &[String]) -> (Running, Duration) {
        let targets = rooms
            .iter()
            .map(|r| format!("\"{r}\""))
            .collect::<Vec<_>>()
            .join(", ");
        let mut app = Running::start(
            &format!(
                "[matrix]\nhomeserver = \"{}\"\nuser = \"{}\"\npassword = \"{PASS}\"\n\
                 command_rooms = [\"{}\"]\nclerks = [\"{}\"]\ntargets = [{targets}]\n",
                self.synapse.url, bot.user_id, self.command, self.clerk.user_id,
            ),
            rooms.len(),
        )
        .await;
        // Let the app's first sync upload its device keys and join the rooms.
        tokio::time::sleep(Duration::from_secs(3)).await;
        let accepted = app.submit_and_wait("!start Full Council").await;
        let first = accepted.elapsed();
        (app, first)
    }
}

async fn round(app: &mut Running, tag: &str) -> Duration {
    let (id, accepted) = app
        .submit(&format!("!note Matrix {tag} of the encryption benchmark"))
        .await;
    app.wait_delivered(id, Duration::from_secs(120)).await;
    accepted.elapsed()
}

async fn compare(n: usize, rounds: usize) {
    println!(
        "matrix fan-out, encrypted vs unencrypted rooms, Synapse on loopback, bots exempt from rate limits: one `!note` to N rooms, {rounds} rounds interleaved"
    );
    let world = World::new(n).await;
    let started = Instant::now();
    let (mut plain, plain_first) = world.gavel(&world.plain_bot, &world.plain).await;
    let (mut crypt, crypt_first) = world.gavel(&world.crypt_bot, &world.encrypted).await;
    let (mut p, mut c) = (Vec::new(), Vec::new());
    for k in 0..rounds {
        p.push(round(&mut plain, &format!("plain{k}")).await);
        c.push(round(&mut crypt, &format!("crypt{k}")).await);
    }
    println!(
        "  {:>4} {:>22} {:>12} {:>12} {:>9}",
        "N", "rooms", "first entry", "next p50", "p50 ratio"
    );
    let (pp, cp) = (percentile(&mut p, 50.0), percentile(&mut c, 50.0));
    println!(
        "  {n:>4} {:>22} {:>12} {:>12} {:>9}",
        "unencrypted",
        ms(plain_first),
        ms(pp),
        "1.00x"
    );
    println!(
        "  {n:>4} {:>22} {:>12} {:>12} {:>8.2}x",
        "encrypted",
        ms(crypt_first),
        ms(cp),
        cp.as_secs_f64() / pp.as_secs_f64().max(1e-6)
    );
    println!(
        "  first entry ratio (includes sharing {n} room keys): {:.2}x; whole run {:.1} s",
        crypt_first.as_secs_f64() / plain_first.as_secs_f64().max(1e-6),
        started.elapsed().as_secs_f64()
    );
    plain.stop().await;
    crypt.stop().await;
    tokio::task::block_in_place(|| world.synapse.stop());
}

fn main() {
    if !synapse::installed() {
        println!(
            "matrix encryption fan-out SKIPPED: Synapse is not installed in {} (scripts/synapse.sh install)",
            synapse::venv().display()
        );
        return;
    }
    let full = bench_mode();
    let rt = common::runtime();
    rt.block_on(async {
        if full {
            compare(100, 10).await;
        } else {
            compare(2, 1).await;
        }
    });
}
