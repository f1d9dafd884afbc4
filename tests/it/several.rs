//! Several `gavel run` processes on one PostgreSQL archive (`[archive] instances =
//! "several"`), against the throwaway cluster the tests start: clerks on any instance, each
//! webhook delivered by whichever instance holds its lease, and the lease holder killed or
//! paused mid-meeting.

use std::collections::HashMap;
use std::time::Duration;

use rand::Rng;
use tokio::process::{Child, Command};

use crate::helpers::{TestDir, gavel_bin};
use crate::postgres_cluster::{Private, cluster, fresh_schema};
use crate::receiver::Receiver;

const TOKEN: &str = "clerk-token-0123456789abcdef";
/// Short leases keep the failovers of a test in seconds.
const LEASE_SECS: u64 = 2;
const HOOKS: [&str; 3] = ["w1", "w2", "w3"];

/// One council's archive and config, shared by its instances.
struct Council {
    dir: TestDir,
    url: String,
    schema: String,
    receiver: Receiver,
    http: reqwest::Client,
    /// More config for every instance (a platform's section).
    extra: String,
}

/// One `gavel run` process and the port its web server listens on.
struct Instance {
    child: Child,
    port: u16,
}

impl Instance {
    fn pid(&self) -> u32 {
        self.child.id().unwrap_or(0)
    }

    fn signal(&self, sig: &str) {
        let _ = std::process::Command::new("kill")
            .args([sig, &self.pid().to_string()])
            .status();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A bot (exempt from rate limits) and a clerk, logged in, registered as `name` on the tests'
/// shared Synapse, and the start of the `[matrix]` section that gives Gavel the bot.
async fn matrix_world(name: &str) -> (String, crate::synapse::Client, String) {
    let (synapse, admin) = tokio::task::spawn_blocking(crate::matrix::shared)
        .await
        .unwrap();
    let bot = crate::matrix::register_world(synapse, name).await;
    admin.exempt(&bot).await;
    let clerk = crate::synapse::Client::login(&synapse.url, &format!("{name}_clerk")).await;
    let section = format!(
        "\n[matrix]\nhomeserver = \"{}\"\nuser = \"{bot}\"\npassword = \"{}\"\n",
        synapse.url,
        crate::synapse::PASS
    );
    (bot, clerk, section)
}

impl Council {
    /// A council in its own schema of the tests' shared cluster.
    async fn new() -> Option<Council> {
        let cluster = tokio::task::spawn_blocking(cluster).await.unwrap()?;
        Some(Council::on(cluster.url.clone()).await)
    }

    /// A council on the server at `url`.
    async fn on(url: String) -> Council {
        let dir = TestDir::new();
        std::fs::write(dir.path().join("api_tokens"), format!("{TOKEN}\n")).unwrap();
        Council {
            dir,
            url,
            schema: fresh_schema(),
            receiver: Receiver::start().await,
            http: reqwest::Client::new(),
            extra: String::new(),
        }
    }

    /// The archive itself, opened as `gavel` opens it.
    fn archive(&self) -> gavel::archive::Archive {
        gavel::archive::Archive::open_location(&self.url, None, Some(&self.schema))
            .expect("the council's archive")
    }

    /// The first meeting's entries, as the archive holds them now.
    fn entries(&self) -> Vec<gavel::domain::Entry> {
        tokio::task::block_in_place(|| {
            self.archive()
                .entries(gavel::domain::MeetingId(1))
                .unwrap_or_default()
        })
    }

    /// Waits until the first meeting has at least `n` entries, and answers them.
    async fn wait_entries(&self, n: usize) -> Vec<gavel::domain::Entry> {
        for _ in 0..300 {
            let found = self.entries();
            if found.len() >= n {
                return found;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the archive never had {n} entries: {:?}", self.entries());
    }

    /// Waits for the first meeting's third entry, which must contain `text`, and checks two
    /// seconds later that no command ran twice (three entries in all).
    async fn expect_third_and_last(&self, text: &str) {
        let found = self.wait_entries(3).await;
        assert!(found[2].text.contains(text), "{:?}", found[2].text);
        tokio::time::sleep(Duration::from_secs(2)).await;
        let texts: Vec<String> = self.entries().into_iter().map(|e| e.text).collect();
        assert_eq!(texts.len(), 3, "nothing ran twice: {texts:#?}");
    }

    /// Starts instance `n` (its own web port and state folder, the shared archive).
    async fn start(&self, n: usize) -> Instance {
        let port = free_port();
        let mut config = format!(
            "[council]\nname = \"Test Borough Council\"\ntimezone = \"Europe/London\"\n\n\
             [archive]\nurl = \"{}\"\nschema = \"{}\"\ninstances = \"several\"\nlease_secs = {LEASE_SECS}\nstate_dir = \"{}\"\n\n\
             [web]\nlisten = \"127.0.0.1:{port}\"\npublic_url = \"http://gavel.test\"\n\n\
             [api]\ntokens_file = \"{}\"\nrate_per_minute = 100000\n\n\
             [outbox]\nretry_base_ms = 50\nretry_cap_secs = 1\n",
            self.url,
            self.schema,
            self.dir.path().join(format!("state-{n}")).display(),
            self.dir.path().join("api_tokens").display(),
        );
        for hook in HOOKS {
            config.push_str(&format!(
                "\n[[webhook]]\nname = \"{hook}\"\nurl = \"{}\"\nformat = \"json\"\n",
                self.receiver.url(hook)
            ));
        }
        config.push_str(&self.extra);
        let path = self.dir.path().join(format!("gavel-{n}.toml"));
        std::fs::write(&path, config).unwrap();
        let child = Command::new(gavel_bin())
            .arg("-c")
            .arg(&path)
            .arg("run")
            .current_dir(self.dir.path())
            .env("RUST_LOG", "warn,gavel=info")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn gavel");
        let instance = Instance { child, port };
        self.wait_healthy(&instance).await;
        instance
    }

    async fn wait_healthy(&self, i: &Instance) {
        for _ in 0..300 {
            if let Ok(r) = self
                .http
                .get(format!("http://127.0.0.1:{}/healthz", i.port))
                .send()
                .await
                && r.status().is_success()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("instance on port {} never became healthy", i.port);
    }

    /// Sends one command through `i`'s HTTP API; the JSON answer.
    async fn command(&self, i: &Instance, line: &str) -> serde_json::Value {
        let r = self
            .http
            .post(format!("http://127.0.0.1:{}/api/commands", i.port))
            .bearer_auth(TOKEN)
            .header("content-type", "text/plain")
            .body(line.to_string())
            .timeout(Duration::from_secs(60))
            .send()
            .await
            .expect("POST /api/commands");
        r.json().await.expect("JSON answer")
    }

    /// The archive's leases, as `i`'s `/healthz` shows them: lease name → holder.
    async fn leases(&self, i: &Instance) -> HashMap<String, String> {
        let body: serde_json::Value = self
            .http
            .get(format!("http://127.0.0.1:{}/healthz", i.port))
            .send()
            .await
            .expect("healthz")
            .json()
            .await
            .expect("healthz JSON");
        body["leases"]
            .as_array()
            .expect("leases in /healthz")
            .iter()
            .filter(|l| l["live"].as_bool() == Some(true))
            .map(|l| {
                (
                    l["lease"].as_str().unwrap().to_string(),
                    l["holder"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }

    /// The index in `instances` of the one holding `lease`, once some live one does.
    async fn holder_of(&self, instances: &[Instance], lease: &str) -> usize {
        for _ in 0..200 {
            for probe in instances {
                if let Ok(Some(holder)) =
                    tokio::time::timeout(Duration::from_secs(2), self.leases(probe))
                        .await
                        .map(|l| l.get(lease).cloned())
                    && let Some(i) = instances
                        .iter()
                        .position(|i| holder.contains(&format!("/{}/", i.pid())))
                {
                    return i;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("nobody holds {lease}");
    }

    /// `gavel verify` on the shared archive: its output.
    fn verify(&self) -> String {
        let out = std::process::Command::new(gavel_bin())
            .arg("-c")
            .arg(self.dir.path().join("gavel-0.toml"))
            .arg("verify")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "{text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        text
    }

    /// Waits until every hook has received every sequence number up to `last`.
    async fn wait_delivered(&self, last: u64) {
        for hook in HOOKS {
            for _ in 0..600 {
                let seqs = self.receiver.seqs(hook);
                if (1..=last).all(|n| seqs.contains(&n)) {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }

    /// Each hook got every entry up to `last`, first deliveries in order, and at most
    /// `repeats` deliveries twice.
    fn assert_each_hook_in_order(&self, last: u64, repeats: usize) {
        for hook in HOOKS {
            let seqs = self.receiver.seqs(hook);
            let mut firsts: Vec<u64> = Vec::new();
            for s in &seqs {
                if !firsts.contains(s) {
                    firsts.push(*s);
                }
            }
            assert_eq!(
                firsts,
                (1..=last).collect::<Vec<_>>(),
                "{hook} got every entry, first deliveries in order: {seqs:?}"
            );
            let twice = seqs.len() - firsts.len();
            assert!(
                twice <= repeats,
                "{hook}: {twice} repeats, at most {repeats} allowed: {seqs:?}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killing_the_lease_holder_ten_times_loses_nothing_and_keeps_each_hook_in_order() {
    let Some(mut council) = Council::new().await else {
        return;
    };
    // A Synapse room too, where Synapse runs here: each instance is its own device of the bot.
    let matrix = match crate::matrix::synapse_installed() {
        false => None,
        true => {
            let (bot, clerk, section) = matrix_world("several").await;
            let room = clerk
                .create_room(serde_json::json!({"preset": "public_chat", "name": "Council live"}))
                .await;
            council.extra = format!("{section}targets = [\"{room}\"]\n");
            Some((clerk, bot, room))
        }
    };
    let mut instances = Vec::new();
    for n in 0..3 {
        instances.push(council.start(n).await);
    }
    let started = council.command(&instances[0], "!start Full Council").await;
    assert_eq!(started["ok"], true, "{started}");
    let mut sent = 1u64;
    let mut kills = 0;
    let mut next = 3;
    let lease = "target:webhook:w1";
    while kills < 10 {
        for _ in 0..4 {
            let i = rand::thread_rng().gen_range(0..instances.len());
            let r = council
                .command(&instances[i], &format!("!note item {sent}"))
                .await;
            assert_eq!(r["ok"], true, "{r}");
            sent += 1;
            assert_eq!(
                r["entry"].as_u64(),
                Some(sent),
                "numbering stays contiguous"
            );
        }
        // Kill whoever delivers w1 now, mid fan-out, and start a replacement.
        let holder = council.holder_of(&instances, lease).await;
        instances[holder].signal("-KILL");
        let _ = instances[holder].child.wait().await;
        instances.remove(holder);
        kills += 1;
        instances.push(council.start(next).await);
        next += 1;
    }
    council.wait_delivered(sent).await;
    council.assert_each_hook_in_order(sent, kills);
    assert!(
        council.verify().contains(&format!("{sent} entries")),
        "the chain verifies"
    );
    if let Some((clerk, bot, room)) = &matrix {
        // Every note once in the room, in order, though the bot's devices changed hands ten
        // times: a takeover finds a post the dead instance sent before sending it again.
        let mut posts = Vec::new();
        for _ in 0..600 {
            posts = clerk.posts_from(room, bot).await;
            if posts
                .iter()
                .any(|p| p.ends_with(&format!("item {}", sent - 1)))
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let notes: Vec<u64> = posts
            .iter()
            .filter_map(|p| p.rsplit_once("item ").and_then(|(_, n)| n.parse().ok()))
            .collect();
        assert_eq!(notes, (1..sent).collect::<Vec<_>>(), "{posts:#?}");
    }
    // `gavel check --probe` names the holder of each lease.
    let holder = council.holder_of(&instances, lease).await;
    let out = std::process::Command::new(gavel_bin())
        .arg("-c")
        .arg(council.dir.path().join("gavel-0.toml"))
        .args(["check", "--probe"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("instances:  several")
            && text.contains(&format!(
                "{lease}: held by {}",
                council.leases(&instances[holder]).await[lease]
            )),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_paused_lease_holder_sends_and_records_nothing_once_it_wakes() {
    let Some(council) = Council::new().await else {
        return;
    };
    let instances = vec![council.start(0).await, council.start(1).await];
    let r = council.command(&instances[0], "!start Cabinet").await;
    assert_eq!(r["ok"], true, "{r}");
    council.wait_delivered(1).await;
    let lease = "target:webhook:w1";
    let stale = council.holder_of(&instances, lease).await;
    let live = 1 - stale;
    instances[stale].signal("-STOP");
    // Commands keep being taken, and delivered by the other instance once the lease lapses.
    let mut sent = 1u64;
    for n in 0..5 {
        let r = council
            .command(&instances[live], &format!("!note while paused {n}"))
            .await;
        assert_eq!(r["ok"], true, "{r}");
        sent += 1;
    }
    council.wait_delivered(sent).await;
    let before: Vec<usize> = HOOKS
        .iter()
        .map(|h| council.receiver.seqs(h).len())
        .collect();
    instances[stale].signal("-CONT");
    // Awake again, the old holder finds its tenure over: nothing more reaches the hooks
    // until new entries come, and those only once.
    tokio::time::sleep(Duration::from_secs(LEASE_SECS * 3)).await;
    let after: Vec<usize> = HOOKS
        .iter()
        .map(|h| council.receiver.seqs(h).len())
        .collect();
    assert_eq!(
        before, after,
        "the stale instance sent nothing after waking"
    );
    for n in 0..3 {
        let r = council
            .command(&instances[stale], &format!("!note after waking {n}"))
            .await;
        assert_eq!(r["ok"], true, "{r}");
        sent += 1;
    }
    council.wait_delivered(sent).await;
    council.assert_each_hook_in_order(sent, 1);
    council.verify();

    // A lone instance (no `instances = "several"`) is refused beside instances that share.
    let shared = std::fs::read_to_string(council.dir.path().join("gavel-0.toml")).unwrap();
    let lone = council.dir.path().join("gavel-lone.toml");
    std::fs::write(
        &lone,
        shared
            .replace("instances = \"several\"\n", "")
            .replace(&format!("lease_secs = {LEASE_SECS}\n"), "")
            .replace(&format!("127.0.0.1:{}", instances[0].port), "127.0.0.1:0"),
    )
    .unwrap();
    let out = tokio::time::timeout(
        Duration::from_secs(60),
        Command::new(gavel_bin())
            .arg("-c")
            .arg(&lone)
            .arg("run")
            .current_dir(council.dir.path())
            .output(),
    )
    .await
    .expect("a lone instance stops at once")
    .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("instances = \"several\""),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_clerks_on_two_instances_send_500_commands_each_and_numbering_stays_contiguous() {
    let Some(council) = Council::new().await else {
        return;
    };
    let council = std::sync::Arc::new(council);
    let instances = std::sync::Arc::new(vec![council.start(0).await, council.start(1).await]);
    let r = council.command(&instances[0], "!start Full Council").await;
    assert_eq!(r["ok"], true, "{r}");
    let mut clerks = Vec::new();
    for side in 0..2 {
        let (council, instances) = (council.clone(), instances.clone());
        clerks.push(tokio::spawn(async move {
            let mut numbers = Vec::new();
            for n in 0..500 {
                let r = council
                    .command(&instances[side], &format!("!note clerk {side} line {n}"))
                    .await;
                assert_eq!(r["ok"], true, "{r}");
                numbers.push(r["entry"].as_u64().unwrap());
            }
            numbers
        }));
    }
    let mut all: Vec<u64> = Vec::new();
    for c in clerks {
        let numbers = c.await.unwrap();
        assert!(
            numbers.windows(2).all(|w| w[0] < w[1]),
            "each clerk's own order"
        );
        all.extend(numbers);
    }
    all.sort();
    assert_eq!(
        all,
        (2..=1001).collect::<Vec<u64>>(),
        "contiguous, none twice"
    );
    assert!(council.verify().contains("1001 entries"));
    council.wait_delivered(1001).await;
    council.assert_each_hook_in_order(1001, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn restarting_postgresql_mid_meeting_loses_nothing_and_answers_not_recorded_meanwhile() {
    let Some(pg) = tokio::task::spawn_blocking(Private::start).await.unwrap() else {
        return;
    };
    let pg = std::sync::Arc::new(pg);
    let council = std::sync::Arc::new(Council::on(pg.url.clone()).await);
    let instances = std::sync::Arc::new(vec![council.start(0).await, council.start(1).await]);
    let r = council.command(&instances[0], "!start Full Council").await;
    assert_eq!(r["ok"], true, "{r}");

    // A clerk keeps typing, on both instances in turn, through the restart.
    let typing = tokio_util::sync::CancellationToken::new();
    let clerk = {
        let (council, instances, typing) = (council.clone(), instances.clone(), typing.clone());
        tokio::spawn(async move {
            let mut answers = Vec::new();
            let mut n = 0;
            while !typing.is_cancelled() {
                let line = format!("!note typed during the restart {n}");
                let r = council.command(&instances[n % 2], &line).await;
                answers.push((n, r));
                n += 1;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            answers
        })
    };
    tokio::time::sleep(Duration::from_secs(1)).await;
    let down = pg.clone();
    tokio::task::spawn_blocking(move || down.stop())
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let up = pg.clone();
    tokio::task::spawn_blocking(move || up.start_again())
        .await
        .unwrap();
    // The instances reconnect by themselves: commands on each are recorded again.
    let mut recorded_after = [false, false];
    for _ in 0..100 {
        for (side, done) in recorded_after.iter_mut().enumerate() {
            if !*done {
                let r = council
                    .command(
                        &instances[side],
                        &format!("!note after the restart on {side}"),
                    )
                    .await;
                *done = r["ok"] == true;
            }
        }
        if recorded_after.iter().all(|d| *d) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(recorded_after, [true, true], "both instances reconnected");
    typing.cancel();
    let answers = clerk.await.unwrap();

    let archive = tokio::task::spawn_blocking({
        let council = council.clone();
        move || {
            let a = council.archive();
            a.entries(gavel::domain::MeetingId(1)).unwrap()
        }
    })
    .await
    .unwrap();
    let refused = answers.iter().filter(|(_, r)| r["ok"] != true).count();
    assert!(refused > 0, "the outage was seen: {answers:?}");
    for (n, r) in &answers {
        if r["ok"] == true {
            // "Recorded" only for what the archive holds, under the number the clerk was told.
            let seq = r["entry"].as_u64().unwrap() as usize;
            assert!(
                archive[seq - 1].text.ends_with(&format!("restart {n}")),
                "entry {seq} should be line {n}: {:?}",
                archive[seq - 1].text
            );
        } else {
            let error = r["error"].as_str().unwrap_or_default();
            assert!(error.contains("Nothing was recorded"), "{r}");
        }
    }
    let last = archive.len() as u64;
    council.wait_delivered(last).await;
    council.assert_each_hook_in_order(last, 2);
    council.verify();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_instance_taking_discord_over_resumes_from_the_shared_cursor_and_loses_no_command() {
    use crate::fake_discord::{FakeDiscord, GUILD_ID};
    const DISCORD_TOKEN: &str = "fake-bot-token-several";
    const CMD: u64 = 800_000_000_000_000_011;
    const CLERK: u64 = 700_000_000_000_000_011;
    const LIVE: u64 = 810_000_000_000_000_011;
    let Some(mut council) = Council::new().await else {
        return;
    };
    let fake = FakeDiscord::start(DISCORD_TOKEN).await;
    fake.set_channel_limit(CMD, 50, Duration::from_secs(1));
    council.extra = format!(
        "\n[discord]\ntoken = \"{DISCORD_TOKEN}\"\napi_base = \"{}\"\nguild_id = \"{GUILD_ID}\"\n\
         command_channels = [\"{CMD}\"]\nclerks = [\"{CLERK}\"]\ntargets = [\"{LIVE}\"]\n",
        fake.api_base()
    );
    let mut instances = vec![council.start(0).await, council.start(1).await];
    let reader = council.holder_of(&instances, "input:discord").await;
    fake.inject_message(CMD, CLERK, "Clerk", "!start Cabinet");
    council.wait_entries(1).await;
    fake.inject_message(CMD, CLERK, "Clerk", "!note read by the first instance");
    council.wait_entries(2).await;
    // The reader dies; a command sent while nobody reads Discord is read by the next one,
    // from where the first got to (not from this machine's own cursor, which it never had).
    instances[reader].signal("-KILL");
    let _ = instances[reader].child.wait().await;
    instances.remove(reader);
    fake.inject_message(CMD, CLERK, "Clerk", "!note sent while nobody read");
    council
        .expect_third_and_last("sent while nobody read")
        .await;
}

/// What a takeover relies on in Matrix: a post one device of the bot sent is found by another
/// (transaction ids are deduplicated per device only), by the key every post carries.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_post_sent_from_another_device_of_the_bot_is_found_instead_of_sent_again() {
    use gavel::sink::{IdempotencyKey, Outgoing};
    if !crate::matrix::synapse_installed() {
        return;
    }
    let (bot, clerk, section) = matrix_world("lookback").await;
    let room = clerk
        .create_room(serde_json::json!({"preset": "public_chat", "name": "Council live"}))
        .await;
    // Two instances' Matrix clients: the same bot, a device each.
    let device = async |dir: &TestDir| {
        dir.write_config(&format!("{section}targets = [\"{room}\"]\n"));
        let config =
            gavel::config::load(&dir.config(), gavel::config::Secrets::Resolve).expect("config");
        let platform = gavel::platform::matrix::MatrixPlatform::connect(
            config.matrix.as_ref().unwrap(),
            &config.state_dir(),
        )
        .await
        .expect("Matrix connects");
        let mut sinks = platform.sinks().expect("sinks");
        (platform, sinks.remove(0).1)
    };
    let (dir_a, dir_b) = (TestDir::new(), TestDir::new());
    let (_a, first) = device(&dir_a).await;
    let (_b, second) = device(&dir_b).await;
    let entry = crate::webhook::sample_entry(&dir_a);
    let msg = Outgoing {
        key: IdempotencyKey::derive(&entry.hash, &format!("matrix:{room}"), "post"),
        entry: &entry,
        original: None,
        text: "#2 19:04 · Note: sent just before the lease was lost".into(),
        original_remote: Vec::new(),
        thread_root: None,
    };
    assert_eq!(second.already_posted(&msg).await.unwrap(), None);
    let sent = first.post(&msg).await.unwrap();
    assert_eq!(
        second.already_posted(&msg).await.unwrap(),
        Some(sent.clone()),
        "the other device finds the post"
    );
    let other = Outgoing {
        key: IdempotencyKey::derive("another-hash", &format!("matrix:{room}"), "post"),
        ..msg.clone()
    };
    assert_eq!(second.already_posted(&other).await.unwrap(), None);
    assert_eq!(clerk.posts_from(&room, &bot).await.len(), 1);
}

/// The Matrix input taken over by an instance that never read the command room: it reads on
/// from the sync position the last reader stored in the archive, so a command sent while no
/// instance read is executed, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_instance_taking_matrix_over_resumes_from_the_shared_sync_position() {
    if !crate::matrix::synapse_installed() {
        return;
    }
    let Some(mut council) = Council::new().await else {
        return;
    };
    let (bot, clerk, section) = matrix_world("takeover").await;
    let room = clerk
        .create_room(
            serde_json::json!({"preset": "private_chat", "name": "Clerks", "invite": [bot]}),
        )
        .await;
    council.extra = format!(
        "{section}command_rooms = [\"{room}\"]\nclerks = [\"{}\"]\n",
        clerk.user_id
    );
    // The first instance alone reads the room.
    let mut first = council.start(0).await;
    let listening = async |starts: usize| {
        clerk
            .wait_for(
                &room,
                &bot,
                "Gavel is listening",
                starts,
                Duration::from_secs(60),
            )
            .await;
    };
    listening(1).await;
    clerk.say(&room, "!start Cabinet").await;
    council.wait_entries(1).await;
    clerk.say(&room, "!note read by the first instance").await;
    council.wait_entries(2).await;
    // It dies; a command is sent while nobody reads; a second instance, with no sync position
    // of its own, takes the input over once the lease lapses.
    first.signal("-KILL");
    let _ = first.child.wait().await;
    clerk.say(&room, "!note sent while nobody read").await;
    let _second = council.start(1).await;
    listening(2).await;
    council
        .expect_third_and_last("sent while nobody read")
        .await;
}
