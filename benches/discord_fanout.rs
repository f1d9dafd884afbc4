//! Discord fan-out (issue 9), against the fake Discord of `tests/support/fake_discord.rs`
//! (Discord cannot run locally), everything in this process on loopback.
//!
//! 1. **Unlimited fan-out**: the fake's limits set out of reach; an in-process app
//!    (`App::build` + `run_until_stopped`, `[discord]` with N target channels, gateway connected
//!    to the fake) and one `!note` through `Desk::submit`. Measured: from `submit` returning
//!    `Recorded` to the fake's creation instant of the last channel's copy, read once the
//!    outbox's events say every channel has it (so, like the raw side, nothing reads the fake
//!    while the posts are in flight: its handlers share one lock). Floor, interleaved
//!    round by round in the same run: a bare reqwest client POSTing the same N messages (same
//!    body shape: content, `allowed_mentions`, `nonce`, `enforce_nonce`) to the same fake, one
//!    sequential sender per channel, all channels at once, timed from the first send to the
//!    last creation. N = 1, 10, 100 (smoke: 2). Both sides of a round start after the same quiet
//!    gap and take turns going first: a raw round run straight after Gavel's found warm caches
//!    and awake threads that Gavel, after its gap, did not.
//!
//!    Gavel keeps under Discord's global limit of 50 requests per second by never having more
//!    than `discord.requests_per_second` (45 by default) requests in flight or finished in the
//!    last second, whatever the server allows; the raw floor has no such cap. As the fake has
//!    no limits here, Gavel's cap is lifted too (`requests_per_second = 10000`, as for a bot
//!    whose limit Discord raised), and N = 100 is then also run with the default cap, beside
//!    that cap's own minimum (three one-second windows). Each round starts after
//!    [`GLOBAL_WINDOW`] of quiet, so one round's requests never count against the next.
//! 2. **Rate-limited pacing** (`--paced`, or `GAVEL_BENCH_PACED=1`, and only with `--bench`:
//!    it takes ~46 s): the fake at 5 messages per 5 s per channel and 50 requests/s global,
//!    50 entries to 20 channels. Measured: from the first submit to the last creation, beside
//!    the theoretical minimum under the fake's windows, and the 429s per bucket.
//!
//! ```text
//! cargo bench --bench discord_fanout                       # fan-out only
//! cargo bench --bench discord_fanout -- --paced            # fan-out, then pacing
//! cargo bench --bench discord_fanout -- --paced-only
//! cargo bench --bench discord_fanout -- --sizes 1,10    # only these N
//! ```
//! Nothing here asserts on time.

#[path = "../tests/support/fake_discord.rs"]
mod fake_discord;

mod common;

use std::time::{Duration, Instant};

use serde_json::json;

use common::{Running, bench_mode, ms, percentile};
use fake_discord::{FakeDiscord, GUILD_ID};

const TOKEN: &str = "fake-bot-token-bench-9";
const CMD: u64 = 800_000_000_000_000_001;
const CLERK: u64 = 700_000_000_000_000_001;

/// Gavel's default cap on requests in any second (`discord.requests_per_second`).
const DEFAULT_CAP: u32 = gavel::config::DISCORD_REQUESTS_PER_SECOND;

/// The cap set for fan-out with the fake's limits out of reach: out of reach too.
const LIFTED_CAP: u32 = 10_000;

/// Long enough for every request of the previous round to leave Gavel's one-second window.
const GLOBAL_WINDOW: Duration = Duration::from_millis(1100);

/// The least time a cap of `cap` requests per second allows for `n` posts sent at once: every
/// `cap` beyond the first wait for a whole second after earlier ones finished.
fn cap_floor(n: usize, cap: u32) -> Duration {
    Duration::from_secs((n.saturating_sub(1) / cap as usize) as u64)
}

fn channel(i: usize) -> u64 {
    810_000_000_000_000_000 + i as u64
}

fn has_arg(name: &str) -> bool {
    std::env::args().any(|a| a == name)
}

/// The numbers after `--sizes` (comma-separated, e.g. `--sizes 1,10`), if given.
fn sizes_arg() -> Option<Vec<usize>> {
    let args: Vec<String> = std::env::args().collect();
    let at = args.iter().position(|a| a == "--sizes")?;
    let list = args.get(at + 1)?;
    Some(
        list.split(',')
            .map(|n| n.trim().parse().expect("--sizes takes numbers, e.g. 1,10"))
            .collect(),
    )
}

struct Rig {
    fake: FakeDiscord,
    channels: Vec<u64>,
    /// The app; its outbox's events say when every channel has a message.
    app: Running,
}

impl Rig {
    /// The fake (already limited as `limit` says), and a running app with `n` target channels
    /// allowing itself `cap` requests per second.
    async fn start(n: usize, cap: u32, limit: impl FnOnce(&FakeDiscord)) -> Rig {
        let fake = FakeDiscord::start(TOKEN).await;
        fake.set_channel_limit(CMD, 1_000, Duration::from_secs(1));
        limit(&fake);
        let channels: Vec<u64> = (0..n).map(channel).collect();
        let list = channels
            .iter()
            .map(|c| format!("\"{c}\""))
            .collect::<Vec<_>>()
            .join(", ");
        let app = Running::start(
            &format!(
                "[discord]\ntoken = \"{TOKEN}\"\napi_base = \"{}\"\nguild_id = \"{GUILD_ID}\"\n\
                 command_channels = [\"{CMD}\"]\nclerks = [\"{CLERK}\"]\ntargets = [{list}]\n\
                 requests_per_second = {cap}\n",
                fake.api_base()
            ),
            n,
        )
        .await;
        Rig {
            fake,
            channels,
            app,
        }
    }

    /// Records `text`; its entry id and the instant it was accepted.
    async fn submit(&self, text: &str) -> (i64, Instant) {
        self.app.submit(text).await
    }

    /// Waits, on the outbox's own events, until every channel has entry `id`: nothing touches
    /// the fake meanwhile (reading its messages takes the lock its request handlers take).
    async fn wait_delivered(&mut self, id: i64, timeout: Duration) {
        self.app.wait_delivered(id, timeout).await;
    }

    /// Records `text` and waits until every channel has it; the instant it was accepted.
    async fn submit_and_wait(&mut self, text: &str) -> Instant {
        let (id, accepted) = self.submit(text).await;
        self.wait_delivered(id, Duration::from_secs(60)).await;
        accepted
    }

    /// The latest creation instant among every channel's `n`-th bot message, once each has
    /// one (None on timeout).
    async fn last_created(&self, n: usize, timeout: Duration) -> Option<Instant> {
        let deadline = Instant::now() + timeout;
        loop {
            let mut last: Option<Instant> = None;
            let mut all = true;
            for c in &self.channels {
                let msgs = self.fake.bot_messages(*c);
                match msgs.get(n - 1) {
                    Some(m) => last = Some(last.map_or(m.created, |l| l.max(m.created))),
                    None => {
                        all = false;
                        break;
                    }
                }
            }
            if all {
                return last;
            }
            if Instant::now() > deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    async fn stop(self) {
        self.app.stop().await;
    }
}

/// The floor: one sequential sender per channel, all channels at once, `per_channel` messages
/// each. Returns from first send to the last creation.
async fn raw_round(
    http: &reqwest::Client,
    fake: &FakeDiscord,
    channels: &[u64],
    per_channel: usize,
    tag: &str,
) -> Duration {
    let before: Vec<usize> = channels
        .iter()
        .map(|c| fake.bot_messages(*c).len())
        .collect();
    let base = fake.api_base();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for &c in channels {
        let (http, url, tag) = (
            http.clone(),
            format!("{base}/api/v10/channels/{c}/messages"),
            tag.to_string(),
        );
        tasks.push(tokio::spawn(async move {
            for k in 0..per_channel {
                let nonce = format!("{tag}{c:x}{k}");
                let nonce: String = nonce.chars().rev().take(25).collect();
                let body = json!({
                    "content": format!("#{k} 19:04 · Note: raw floor message {tag} {k}"),
                    "allowed_mentions": {"parse": [], "users": [], "roles": [], "replied_user": false},
                    "nonce": nonce,
                    "enforce_nonce": true,
                });
                let r = http
                    .post(&url)
                    .header("authorization", format!("Bot {TOKEN}"))
                    .json(&body)
                    .send()
                    .await
                    .expect("raw post");
                assert!(r.status().is_success(), "raw post: {}", r.status());
                let _ = r.bytes().await;
            }
        }));
    }
    for t in tasks {
        t.await.expect("raw sender");
    }
    let mut last = started;
    for (c, b) in channels.iter().zip(before) {
        for m in fake.bot_messages(*c).iter().skip(b) {
            last = last.max(m.created);
        }
    }
    last.duration_since(started)
}

async fn fanout(sizes: &[usize], rounds: usize) {
    println!(
        "discord fan-out, no rate limits: one `!note` to N channels vs a raw reqwest floor, {rounds} rounds interleaved"
    );
    println!(
        "  {:>4} {:>7} {:>12} {:>12} {:>12} {:>12} {:>9} {:>12} {:>9}",
        "N", "cap/s", "gavel p50", "gavel max", "raw p50", "raw max", "vs floor", "floor", "429s"
    );
    let http = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    // Every size with the cap lifted; the sizes the default cap slows, with it too.
    let runs = sizes.iter().map(|&n| (n, LIFTED_CAP)).chain(
        sizes
            .iter()
            .filter(|&&n| n > DEFAULT_CAP as usize)
            .map(|&n| (n, DEFAULT_CAP)),
    );
    for (n, cap) in runs {
        let mut rig = Rig::start(n, cap, |f| {
            f.set_default_limit(1_000_000, Duration::from_secs(1));
            f.set_global_limit(1_000_000);
        })
        .await;
        rig.submit_and_wait("!start Full Council").await;
        rig.last_created(1, Duration::from_secs(60))
            .await
            .expect("meeting start reached every channel");
        // Warm the raw client's connections too.
        raw_round(&http, &rig.fake, &rig.channels, 1, "warm").await;
        // The start's posts and pins (2 N requests) pass the cap first.
        tokio::time::sleep(cap_floor(2 * n, cap) + GLOBAL_WINDOW).await;
        let (mut g, mut r) = (Vec::new(), Vec::new());
        for k in 0..rounds {
            // Both sides start after the same quiet gap (so neither finds the other's warm
            // caches and awake threads), and they take turns going first.
            let gavel_first = k % 2 == 0;
            if !gavel_first {
                tokio::time::sleep(GLOBAL_WINDOW).await;
                r.push(raw_round(&http, &rig.fake, &rig.channels, 1, &format!("r{k}")).await);
            }
            // Each channel has the start, the warm-up and one raw message per earlier round
            // (and this round's, when the raw side went first).
            let n_before = 2 + 2 * k + usize::from(!gavel_first);
            tokio::time::sleep(GLOBAL_WINDOW).await;
            let accepted = rig
                .submit_and_wait(&format!("!note Round {k} of the fan-out benchmark"))
                .await;
            let last = rig
                .last_created(n_before + 1, Duration::from_secs(60))
                .await
                .expect("note reached every channel");
            g.push(last.saturating_duration_since(accepted));
            if gavel_first {
                tokio::time::sleep(GLOBAL_WINDOW).await;
                r.push(raw_round(&http, &rig.fake, &rig.channels, 1, &format!("r{k}")).await);
            }
        }
        let (gp, rp) = (percentile(&mut g, 50.0), percentile(&mut r, 50.0));
        let limited: u32 = rig.fake.rate_limited().values().sum();
        println!(
            "  {n:>4} {cap:>7} {:>12} {:>12} {:>12} {:>12} {:>8.2}x {:>12} {:>9}",
            ms(gp),
            ms(g.last().copied().unwrap_or_default()),
            ms(rp),
            ms(r.last().copied().unwrap_or_default()),
            // Against the least either could take: the raw time, plus what the cap forces.
            gp.as_secs_f64() / (cap_floor(n, cap) + rp).as_secs_f64().max(1e-9),
            ms(cap_floor(n, cap) + rp),
            limited
        );
        rig.stop().await;
    }
}

/// Earliest possible time, from the first request, for `entries` messages to each of
/// `channels` channels under the fake's rules: a channel's window opens at its first request
/// and admits `per_window` requests until `window` has passed; the global limit admits a
/// request while fewer than `global` were admitted in the last second. The last window of every
/// channel opens at `(windows - 1) × window` at the earliest and its posts (channels × the
/// remainder) go at `global` per second, so the last one waits whole seconds for the rest.
fn theoretical_min(
    entries: usize,
    channels: usize,
    per_window: usize,
    window: Duration,
    global: usize,
) -> Duration {
    let windows = entries.div_ceil(per_window);
    let last_window_posts = channels * (entries - (windows - 1) * per_window);
    let global_seconds = (last_window_posts - 1) / global;
    window * (windows as u32 - 1) + Duration::from_secs(global_seconds as u64)
}

async fn paced(entries: usize, channels: usize) {
    let (per, window, global) = (5u32, Duration::from_secs(5), 50u32);
    let mut rig = Rig::start(channels, DEFAULT_CAP, |f| {
        f.set_default_limit(per, window);
        f.set_global_limit(global);
    })
    .await;
    let min = theoretical_min(entries, channels, per as usize, window, global as usize);
    println!(
        "discord pacing: {entries} entries (incl. !start) x {channels} channels, fake at {per} per {}s per channel and {global}/s global",
        window.as_secs()
    );
    let started = Instant::now();
    let mut latest = rig.submit("!start Full Council").await.0;
    for k in 1..entries {
        latest = rig.submit(&format!("!note Paced entry {k}")).await.0;
    }
    let submitted = started.elapsed();
    // Each channel gets the entries in order: the last one everywhere means all of them.
    rig.wait_delivered(latest, min * 3 + Duration::from_secs(60))
        .await;
    let last = rig.last_created(entries, Duration::ZERO).await;
    let first_request = rig
        .fake
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path.contains("/messages"))
        .map(|r| r.at)
        .min();
    let limited = rig.fake.rate_limited();
    match (last, first_request) {
        (Some(last), Some(first)) => {
            let took = last.duration_since(first);
            println!(
                "  all {} messages in {:.2} s from the first request ({:.2} s from the first submit; submitting took {}); theoretical minimum {:.2} s; ratio {:.3}x (goal <= 1.1x)",
                entries * channels,
                took.as_secs_f64(),
                last.duration_since(started).as_secs_f64(),
                ms(submitted),
                min.as_secs_f64(),
                took.as_secs_f64() / min.as_secs_f64()
            );
        }
        _ => println!("  NOT every channel got {entries} messages in time"),
    }
    let mut buckets: Vec<(String, u32)> = limited.into_iter().collect();
    buckets.sort();
    let total: u32 = buckets.iter().map(|b| b.1).sum();
    let worst = buckets.iter().map(|b| b.1).max().unwrap_or(0);
    println!(
        "  429s: {total} in total, {} buckets hit, at most {worst} in one bucket (goal <= 1 per bucket): {buckets:?}",
        buckets.len()
    );
    rig.stop().await;
}

fn main() {
    let full = bench_mode();
    let rt = common::runtime();
    let paced_on = full
        && (has_arg("--paced")
            || has_arg("--paced-only")
            || std::env::var("GAVEL_BENCH_PACED").is_ok_and(|v| v == "1"));
    rt.block_on(async {
        if !has_arg("--paced-only") {
            if full {
                let sizes = sizes_arg().unwrap_or_else(|| vec![1, 10, 100]);
                fanout(&sizes, 20).await;
            } else {
                fanout(&[2], 2).await;
            }
        }
        if paced_on {
            paced(50, 20).await;
        } else if !full {
            // Smoke: the same code path, tiny (6 entries, 2 channels: ~5 s of windows).
            paced(6, 2).await;
        }
    });
}
