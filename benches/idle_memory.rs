//! Memory of `gavel run` (issue 9, goal 7): "RSS of `gavel run` idle with Matrix (Synapse),
//! Discord (fake) and web connected. Goal ≤ 40 MB."
//!
//! The real binary (`CARGO_BIN_EXE_gavel`, the optimised one under `cargo bench`) runs as a child
//! process, `gavel -c <config> run --console`, connected to:
//! - the fake Discord of `tests/support/fake_discord.rs`, in this process (Discord cannot run
//!   locally), its rate limits out of reach;
//! - a real Synapse on loopback (`scripts/synapse.sh`): for each run a new bot account, exempt
//!   from rate limits (`override_ratelimit`, as an operator would), invited by the clerk to a
//!   new private command room, and new public target rooms;
//! - webhook targets (JSON format) on the local receiver of `tests/it/receiver.rs`, which
//!   answers 200 and keeps every post;
//! - the web listener, `[web] listen = "127.0.0.1:0"`.
//!
//! A run waits until Gavel is fully connected (it logged `gavel running`; the fake saw IDENTIFY
//! and Gavel registered its slash command after READY; Gavel announced itself in the Matrix
//! command room after its first sync; the web listener answers `/healthz`), then 2 s more, and
//! reads `/proc/<pid>/status`: that is "idle". Then a seeded meeting of 200 command lines
//! (`common::Script`: `!start`, agenda items, speakers, motions, votes, notes, `!end`) goes in
//! through stdin; once every target holds every recorded entry (Discord channels on the fake,
//! Matrix rooms read back through `/messages`, webhook posts by `seq`) and 2 s more have passed,
//! it reads the figures again: "after a meeting". VmHWM is the peak over the process's life.
//!
//! In the same run, with the same binary and the same meeting: console and archive only (the
//! baseline), each connection alone, then everything at once, so the table shows what each
//! connection costs. MB here is 1024 kB, as `/proc` counts.
//!
//! Without Synapse (`.cache/synapse-venv`, or `GAVEL_SYNAPSE_VENV`) Matrix is left out and the
//! output says so in every line that would have had it; with `GAVEL_REQUIRE_SYNAPSE` set that is
//! a failure instead, as in `tests/it/matrix.rs`. Under `cargo test` (no `--bench`) it is a
//! smoke run: 5 commands, 1 channel, 1 room, 1 webhook, the baseline and everything at once.
//!
//! ```text
//! cargo bench --bench idle_memory        # scripts/bench-memory.sh does the same
//! ```
//! Nothing here asserts on time; it asserts that every command was recorded and every entry
//! delivered to every target.

#[path = "../tests/support/fake_discord.rs"]
mod fake_discord;
#[path = "../tests/it/receiver.rs"]
mod receiver;
#[path = "../tests/support/synapse.rs"]
mod synapse;

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};

use common::{Script, bench_mode};
use fake_discord::{FakeDiscord, GUILD_ID};
use receiver::Receiver;
use synapse::{Client, PASS, enc};

const TOKEN: &str = "fake-bot-token-bench-9";
const CMD: u64 = 800_000_000_000_000_001;
const CLERK: u64 = 700_000_000_000_000_001;

/// How long Gavel sits untouched before its memory is read.
const SETTLE: Duration = Duration::from_secs(2);

/// How long connecting (each of Discord, Matrix, web) may take before the run fails.
const CONNECT: Duration = Duration::from_secs(60);

/// The goal, in kB.
const GOAL_KB: u64 = 40 * 1024;

// ----- what a run is connected to ---------------------------------------------------------------

/// What one `gavel run --console` is connected to, besides the console and the archive.
#[derive(Clone, Copy, Default)]
struct Connections {
    web: bool,
    webhooks: usize,
    discord: usize,
    matrix: usize,
}

impl Connections {
    fn label(&self) -> String {
        let mut parts = Vec::new();
        if self.discord > 0 {
            parts.push(format!("Discord {} ch", self.discord));
        }
        if self.matrix > 0 {
            parts.push(format!("Matrix {}", count(self.matrix, "room")));
        }
        if self.webhooks > 0 {
            parts.push(count(self.webhooks, "webhook"));
        }
        if self.web {
            parts.push("web".into());
        }
        if parts.is_empty() {
            "console + archive only".into()
        } else {
            format!("+ {}", parts.join(", "))
        }
    }
}

/// `3 rooms`, `1 room`.
fn count(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

/// The sizes of one bench: the meeting's length and the fully connected setup.
struct Plan {
    commands: usize,
    all: Connections,
    /// Also measure each connection alone.
    each_alone: bool,
    /// How long delivering the whole meeting to every target may take.
    deliver_within: Duration,
}

// ----- memory -------------------------------------------------------------------------------------

/// One reading of a process's memory, in kB (threads: a count). `rss` and `hwm` (the peak over
/// its life) come from `/proc/<pid>/status`; the split of the resident pages comes from
/// `/proc/<pid>/smaps`: the executable's code (its `r-x` mappings), the rest of the executable
/// (read-only data, unwind tables, relocated and writable data), shared libraries and any other
/// mapped file (SQLite's `-shm`), and anonymous memory (heap, thread stacks, anonymous mappings).
#[derive(Clone, Copy, Default)]
struct Mem {
    rss: u64,
    hwm: u64,
    exe_code: u64,
    exe_data: u64,
    libs: u64,
    anon: u64,
    threads: u64,
}

impl Mem {
    fn of(pid: u32) -> Mem {
        let read = |file: &str| {
            std::fs::read_to_string(format!("/proc/{pid}/{file}"))
                .unwrap_or_else(|e| panic!("reading /proc/{pid}/{file}: {e}"))
        };
        let status = read("status");
        let field = |name: &str| -> u64 {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name)?.strip_prefix(':').and_then(kb))
                .unwrap_or(0)
        };
        let mut mem = Mem {
            rss: field("VmRSS"),
            hwm: field("VmHWM"),
            threads: field("Threads"),
            ..Mem::default()
        };
        // The executable's path; " (deleted)" follows it if the file was rebuilt meanwhile.
        let exe = std::fs::read_link(format!("/proc/{pid}/exe"))
            .map(|p| {
                p.to_string_lossy()
                    .trim_end_matches(" (deleted)")
                    .to_string()
            })
            .unwrap_or_default();
        let mut bucket: Option<&mut u64> = None;
        for line in read("smaps").lines() {
            let mut words = line.split_whitespace();
            let (Some(first), Some(second)) = (words.next(), words.next()) else {
                continue;
            };
            if first == "Rss:" {
                if let (Some(b), Some(n)) = (bucket.as_deref_mut(), kb(second)) {
                    *b += n;
                }
                continue;
            }
            if !first.contains('-') || second.len() != 4 {
                continue;
            }
            // A mapping's header: range, permissions, offset, device, inode, path.
            let path = words.nth(3).unwrap_or("");
            bucket = Some(if !exe.is_empty() && path == exe {
                if second.contains('x') {
                    &mut mem.exe_code
                } else {
                    &mut mem.exe_data
                }
            } else if path.starts_with('/') {
                &mut mem.libs
            } else {
                &mut mem.anon
            });
        }
        mem
    }
}

/// `  1234 kB` → 1234.
fn kb(text: &str) -> Option<u64> {
    text.split_whitespace().next()?.parse().ok()
}

fn mb(kb: u64) -> String {
    format!("{:.1} MB", kb as f64 / 1024.0)
}

fn signed_mb(kb: i64) -> String {
    format!("{:+.1} MB", kb as f64 / 1024.0)
}

// ----- Matrix: a plain client-server API user ------------------------------------------------------

/// Whether Synapse can run here. Without it Matrix is left out, unless `GAVEL_REQUIRE_SYNAPSE`
/// is set, as in `tests/it/matrix.rs`.
fn synapse_available() -> bool {
    if synapse::installed() {
        return true;
    }
    let venv = synapse::venv();
    assert!(
        !synapse::required(),
        "GAVEL_REQUIRE_SYNAPSE is set but Synapse is not installed in {}: run scripts/synapse.sh install",
        venv.display()
    );
    println!(
        "MATRIX LEFT OUT: Synapse is not installed in {} (run scripts/synapse.sh install); \
         every figure below is WITHOUT Matrix, so goal 7 is not measured",
        venv.display()
    );
    false
}

impl Client {
    /// Bodies of `sender`'s messages in `room` that are not edits (at most the latest 1000).
    async fn recent_posts_from(&self, room: &str, sender: &str) -> Vec<String> {
        let v = self
            .call(
                reqwest::Method::GET,
                &format!(
                    "/_matrix/client/v3/rooms/{}/messages?dir=b&limit=1000",
                    enc(room)
                ),
                None,
            )
            .await;
        v["chunk"]
            .as_array()
            .map(|events| {
                events
                    .iter()
                    .filter(|e| e["type"] == "m.room.message" && e["sender"] == sender)
                    .filter(|e| e["content"]["m.relates_to"]["rel_type"] != "m.replace")
                    .filter_map(|e| e["content"]["body"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Synapse on loopback with an admin and a clerk; each run gets its own bot and rooms.
struct Homeserver {
    synapse: synapse::Synapse,
    _dir: tempfile::TempDir,
    admin: Client,
    clerk: Client,
    bots: usize,
}

impl Homeserver {
    async fn start() -> Homeserver {
        let dir = tempfile::tempdir().expect("tempdir");
        let synapse = tokio::task::block_in_place(|| {
            let synapse = synapse::Synapse::start(dir.path());
            synapse.register("admin", true);
            synapse.register("clerk", false);
            synapse
        });
        let admin = Client::login(&synapse.url, "admin").await;
        let clerk = Client::login(&synapse.url, "clerk").await;
        let server = Homeserver {
            synapse,
            _dir: dir,
            admin,
            clerk,
            bots: 0,
        };
        server.exempt(&server.clerk.user_id).await;
        server
    }

    async fn exempt(&self, user: &str) {
        self.admin.exempt(user).await;
    }

    /// A new bot account (so no run sees another's rooms in its sync), exempt from rate limits,
    /// invited to a new command room, and `rooms` new public target rooms.
    async fn rig(&mut self, rooms: usize) -> MatrixRig {
        self.bots += 1;
        let name = format!("bot{}", self.bots);
        let bot = tokio::task::block_in_place(|| self.synapse.register(&name, false));
        self.exempt(&bot).await;
        let command = self
            .clerk
            .create_room(json!({"preset": "private_chat", "name": "Clerks", "invite": [bot]}))
            .await;
        let mut targets = Vec::new();
        for i in 0..rooms {
            let room = self
                .clerk
                .create_room(json!({"preset": "public_chat", "name": format!("Live {i}")}))
                .await;
            targets.push(room);
        }
        MatrixRig {
            url: self.synapse.url.clone(),
            clerk: self.clerk.clone(),
            bot,
            command,
            rooms: targets,
        }
    }

    fn stop(self) {
        tokio::task::block_in_place(|| self.synapse.stop());
    }
}

struct MatrixRig {
    url: String,
    clerk: Client,
    bot: String,
    command: String,
    rooms: Vec<String>,
}

// ----- the targets of one run ------------------------------------------------------------------

/// Where one run delivers, and how to read back what arrived.
struct Targets {
    discord: Option<(FakeDiscord, Vec<u64>)>,
    matrix: Option<MatrixRig>,
    hooks: Option<(Receiver, Vec<String>)>,
}

/// `["a", "b"]` → `"a", "b"`, for a TOML array.
fn quoted(ids: impl IntoIterator<Item = impl std::fmt::Display>) -> String {
    ids.into_iter()
        .map(|i| format!("\"{i}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `#12 19:04 · Note: …` → 12.
fn entry_no(text: &str) -> Option<u64> {
    text.strip_prefix('#')?.split(' ').next()?.parse().ok()
}

fn missing_from(
    name: String,
    have: impl IntoIterator<Item = u64>,
    want: &BTreeSet<u64>,
) -> Option<String> {
    let have: BTreeSet<u64> = have.into_iter().collect();
    let missing = want.difference(&have).count();
    (missing > 0).then(|| format!("{name}: {missing} of {} missing", want.len()))
}

impl Targets {
    async fn new(c: Connections, synapse: Option<&mut Homeserver>) -> Targets {
        let discord = if c.discord > 0 {
            let fake = FakeDiscord::start(TOKEN).await;
            fake.set_default_limit(1_000_000, Duration::from_secs(1));
            fake.set_global_limit(1_000_000);
            let channels = (0..c.discord)
                .map(|i| 810_000_000_000_000_000 + i as u64)
                .collect();
            Some((fake, channels))
        } else {
            None
        };
        let matrix = match synapse {
            Some(s) if c.matrix > 0 => Some(s.rig(c.matrix).await),
            _ => None,
        };
        let hooks = if c.webhooks > 0 {
            let names = (0..c.webhooks).map(|i| format!("hook{i}")).collect();
            Some((Receiver::start().await, names))
        } else {
            None
        };
        Targets {
            discord,
            matrix,
            hooks,
        }
    }

    /// The whole `gavel.toml` for a run in `dir`.
    fn config(&self, dir: &Path, web: bool) -> String {
        let mut s = format!(
            "[council]\nname = \"Bench Borough Council\"\ntimezone = \"Europe/London\"\n\n\
             [archive]\npath = \"{}\"\n",
            dir.join("data/gavel.db").display()
        );
        if web {
            s.push_str("\n[web]\nlisten = \"127.0.0.1:0\"\n");
        }
        if let Some((fake, channels)) = &self.discord {
            s.push_str(&format!(
                "\n[discord]\ntoken = \"{TOKEN}\"\napi_base = \"{}\"\nguild_id = \"{GUILD_ID}\"\n\
                 command_channels = [\"{CMD}\"]\nclerks = [\"{CLERK}\"]\ntargets = [{}]\n",
                fake.api_base(),
                quoted(channels)
            ));
        }
        if let Some(m) = &self.matrix {
            s.push_str(&format!(
                "\n[matrix]\nhomeserver = \"{}\"\nuser = \"{}\"\npassword = \"{PASS}\"\n\
                 command_rooms = [\"{}\"]\nclerks = [\"{}\"]\ntargets = [{}]\n",
                m.url,
                m.bot,
                m.command,
                m.clerk.user_id,
                quoted(&m.rooms)
            ));
        }
        if let Some((receiver, names)) = &self.hooks {
            for name in names {
                s.push_str(&format!(
                    "\n[[webhook]]\nname = \"{name}\"\nurl = \"{}\"\nformat = \"json\"\n",
                    receiver.url(name)
                ));
            }
        }
        s
    }

    /// Per target, how many of `want` it does not hold yet; empty once all arrived.
    async fn missing(&self, want: &BTreeSet<u64>) -> Vec<String> {
        let mut out = Vec::new();
        if let Some((fake, channels)) = &self.discord {
            for c in channels {
                let have = fake
                    .bot_messages(*c)
                    .into_iter()
                    .filter_map(|m| entry_no(&m.content));
                out.extend(missing_from(format!("discord {c}"), have, want));
            }
        }
        if let Some(m) = &self.matrix {
            for room in &m.rooms {
                let posts = m.clerk.recent_posts_from(room, &m.bot).await;
                let have = posts.iter().filter_map(|b| entry_no(b));
                out.extend(missing_from(format!("matrix {room}"), have, want));
            }
        }
        if let Some((receiver, names)) = &self.hooks {
            for name in names {
                out.extend(missing_from(
                    format!("webhook {name}"),
                    receiver.seqs(name),
                    want,
                ));
            }
        }
        out
    }
}

// ----- the gavel process -------------------------------------------------------------------------

/// Collects a child's output stream, line by line.
fn collect(stream: impl AsyncRead + Unpin + Send + 'static) -> Arc<Mutex<Vec<String>>> {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&lines);
    tokio::spawn(async move {
        let mut r = BufReader::new(stream).lines();
        while let Ok(Some(l)) = r.next_line().await {
            sink.lock().unwrap_or_else(|p| p.into_inner()).push(l);
        }
    });
    lines
}

fn snapshot(lines: &Mutex<Vec<String>>) -> Vec<String> {
    lines.lock().unwrap_or_else(|p| p.into_inner()).clone()
}

/// `gavel -c <config> run --console` as a child process, stdin piped.
struct Gavel {
    child: Child,
    pid: u32,
    stdin: Option<ChildStdin>,
    stdout: Arc<Mutex<Vec<String>>>,
    stderr: Arc<Mutex<Vec<String>>>,
    started: Instant,
}

impl Gavel {
    fn spawn(config: &Path) -> Gavel {
        let dir = config.parent().expect("config has a folder");
        let mut child = Command::new(binary())
            .arg("-c")
            .arg(config)
            .args(["run", "--console"])
            .current_dir(dir)
            // The default filter (info), as deployed.
            .env_remove("RUST_LOG")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn gavel");
        let pid = child.id().expect("gavel pid");
        let stdin = child.stdin.take();
        let stdout = collect(child.stdout.take().expect("stdout"));
        let stderr = collect(child.stderr.take().expect("stderr"));
        Gavel {
            child,
            pid,
            stdin,
            stdout,
            stderr,
            started: Instant::now(),
        }
    }

    /// Fails the run, with Gavel's log, if Gavel has exited.
    fn assert_running(&mut self) {
        if let Ok(Some(status)) = self.child.try_wait() {
            panic!(
                "gavel exited early ({status}); stderr:\n{}",
                snapshot(&self.stderr).join("\n")
            );
        }
    }

    /// Polls `check` until it gives `Some`, failing with `what` and Gavel's log after `timeout`.
    async fn until<T>(
        &mut self,
        what: &str,
        timeout: Duration,
        mut check: impl AsyncFnMut(&Gavel) -> Option<T>,
    ) -> T {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(t) = check(self).await {
                return t;
            }
            self.assert_running();
            assert!(
                Instant::now() < deadline,
                "{what} within {timeout:?}; stderr:\n{}",
                snapshot(&self.stderr).join("\n")
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn log_line(&self, needle: &str) -> Option<String> {
        snapshot(&self.stderr)
            .into_iter()
            .find(|l| l.contains(needle))
    }

    /// Waits until every input and listener is up; how long that took from the spawn.
    async fn until_connected(&mut self, targets: &Targets, web: bool) -> Duration {
        self.until("gavel never logged `gavel running`", CONNECT, async |g| {
            g.log_line("gavel running")
        })
        .await;
        if web {
            let line = self
                .log_line("web server listening")
                .expect("web server listening logged before gavel running");
            let port: String = line
                .split_once("127.0.0.1:")
                .map(|(_, rest)| rest.chars().take_while(char::is_ascii_digit).collect())
                .unwrap_or_default();
            let url = format!("http://127.0.0.1:{port}/healthz");
            let http = reqwest::Client::builder()
                .no_proxy()
                .build()
                .expect("client");
            self.until("the web listener never answered", CONNECT, async |_| {
                let r = http.get(&url).send().await.ok()?;
                r.status().is_success().then_some(())
            })
            .await;
        }
        if let Some((fake, _)) = &targets.discord {
            // Identified, and READY processed: Gavel registers its slash command after READY.
            self.until(
                "gavel never connected to the fake gateway",
                CONNECT,
                async |_| {
                    let (identifies, _, open) = fake.gateway_stats();
                    (identifies >= 1 && open >= 1 && !fake.commands().is_empty()).then_some(())
                },
            )
            .await;
        }
        if let Some(m) = &targets.matrix {
            // Gavel announces itself in the command rooms after its first successful sync.
            self.until(
                "gavel never announced itself in the Matrix command room",
                CONNECT,
                async |_| {
                    let posts = m.clerk.recent_posts_from(&m.command, &m.bot).await;
                    posts
                        .iter()
                        .any(|p| p.contains("Gavel is listening"))
                        .then_some(())
                },
            )
            .await;
        }
        self.started.elapsed()
    }

    async fn type_lines(&mut self, lines: &[String]) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
        stdin
            .write_all(text.as_bytes())
            .await
            .expect("write to gavel");
        stdin.flush().await.expect("flush to gavel");
    }

    /// Waits for the acknowledgement of the closing `!end`; the entry numbers recorded.
    async fn recorded(&mut self, commands: usize) -> BTreeSet<u64> {
        self.until(
            "the meeting's `!end` was never acknowledged",
            CONNECT,
            async |g| {
                snapshot(&g.stdout)
                    .iter()
                    .any(|l| {
                        l.starts_with('#') && l.contains("recorded") && l.contains("Meeting closed")
                    })
                    .then_some(())
            },
        )
        .await;
        let out = snapshot(&self.stdout);
        let seqs: BTreeSet<u64> = out
            .iter()
            .filter(|l| l.contains(" recorded"))
            .filter_map(|l| entry_no(l))
            .collect();
        assert_eq!(
            seqs.len(),
            commands,
            "not every command was recorded; console:\n{}",
            out.join("\n")
        );
        seqs
    }

    /// Closes stdin (Gavel drains its queues and exits); kills it if that takes over 30 s.
    async fn stop(mut self) {
        self.stdin = None;
        match tokio::time::timeout(Duration::from_secs(30), self.child.wait()).await {
            Ok(Ok(status)) if status.success() => {}
            Ok(Ok(status)) => eprintln!("note: gavel exited with {status} at end of input"),
            _ => {
                eprintln!("note: gavel did not stop within 30 s of end of input; killed");
                let _ = self.child.kill().await;
            }
        }
    }
}

// ----- one run ----------------------------------------------------------------------------------

struct Outcome {
    label: String,
    idle: Mem,
    after: Mem,
    connected_in: Duration,
    delivered_in: Duration,
}

async fn measure(
    c: Connections,
    meeting: &[String],
    synapse: Option<&mut Homeserver>,
    deliver_within: Duration,
) -> Outcome {
    let dir = tempfile::tempdir().expect("tempdir");
    let targets = Targets::new(c, synapse).await;
    let config = dir.path().join("gavel.toml");
    std::fs::write(&config, targets.config(dir.path(), c.web)).expect("write config");
    let mut gavel = Gavel::spawn(&config);
    let connected_in = gavel.until_connected(&targets, c.web).await;
    tokio::time::sleep(SETTLE).await;
    let idle = Mem::of(gavel.pid);

    let sent = Instant::now();
    gavel.type_lines(meeting).await;
    let seqs = gavel.recorded(meeting.len()).await;
    let deadline = Instant::now() + deliver_within;
    loop {
        let missing = targets.missing(&seqs).await;
        if missing.is_empty() {
            break;
        }
        gavel.assert_running();
        assert!(
            Instant::now() < deadline,
            "not delivered within {deliver_within:?}: {missing:?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let delivered_in = sent.elapsed();
    tokio::time::sleep(SETTLE).await;
    let after = Mem::of(gavel.pid);
    gavel.stop().await;
    Outcome {
        label: c.label(),
        idle,
        after,
        connected_in,
        delivered_in,
    }
}

// ----- the report ---------------------------------------------------------------------------------

const COLUMNS: [&str; 11] = [
    "setup",
    "idle RSS",
    "after RSS",
    "peak",
    "exe code",
    "exe data",
    "libs",
    "anon",
    "threads",
    "connect",
    "meeting",
];

fn print_cells(cells: &[String]) {
    let mut line = format!("  {:<47}", cells[0]);
    for (c, width) in cells[1..].iter().zip([9, 10, 9, 9, 9, 8, 8, 8, 8, 8]) {
        line.push_str(&format!(" {c:>width$}"));
    }
    println!("{line}");
}

fn print_row(o: &Outcome) {
    let secs = |d: Duration| format!("{:.1} s", d.as_secs_f64());
    print_cells(&[
        o.label.clone(),
        mb(o.idle.rss),
        mb(o.after.rss),
        mb(o.after.hwm),
        mb(o.idle.exe_code),
        mb(o.idle.exe_data),
        mb(o.idle.libs),
        mb(o.idle.anon),
        o.idle.threads.to_string(),
        secs(o.connected_in),
        secs(o.delivered_in),
    ]);
}

/// The binary measured: `GAVEL_BIN` if set (`scripts/bench-memory.sh` sets it to the `dist`
/// build operators install), else the one Cargo built for this bench.
fn binary() -> PathBuf {
    std::env::var_os("GAVEL_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_gavel")))
}

/// Whether the binary is an optimised one (`--release`, `cargo bench` or `--profile dist`), the
/// only kind the goal is about.
fn optimised() -> bool {
    let path = binary();
    ["release", "dist"]
        .iter()
        .any(|p| path.parent().and_then(Path::file_name) == Some(std::ffi::OsStr::new(p)))
}

async fn run(plan: Plan) {
    let matrix_on = synapse_available();
    let mut synapse = if matrix_on {
        Some(Homeserver::start().await)
    } else {
        None
    };
    let all = Connections {
        matrix: if matrix_on { plan.all.matrix } else { 0 },
        ..plan.all
    };
    let (_, meeting) = Script::default().meeting(plan.commands);

    let mut setups = vec![Connections::default()];
    if plan.each_alone {
        let none = Connections::default();
        setups.push(Connections { web: true, ..none });
        setups.push(Connections {
            webhooks: all.webhooks,
            ..none
        });
        setups.push(Connections {
            discord: all.discord,
            ..none
        });
        if all.matrix > 0 {
            setups.push(Connections {
                matrix: all.matrix,
                ..none
            });
        }
    }
    setups.push(all);

    println!(
        "gavel run --console, memory idle and after a meeting (issue 9, goal 7: idle <= 40 MB with Matrix, Discord and web connected)"
    );
    println!(
        "  binary: {} ({}, {:.1} MB on disk)",
        binary().display(),
        match binary().parent().and_then(Path::file_name) {
            Some(p) if optimised() => p.to_string_lossy().into_owned(),
            _ => "debug: smoke figures, not the goal's".to_string(),
        },
        std::fs::metadata(binary()).map_or(0.0, |m| m.len() as f64 / 1_048_576.0)
    );
    println!(
        "  meeting: {} command lines through stdin, delivered to every target before \"after\"; {} s settle before each reading",
        meeting.len(),
        SETTLE.as_secs()
    );
    println!(
        "  Discord: the in-process fake; Matrix: {}; webhooks: local receiver answering 200",
        if matrix_on {
            "Synapse on loopback, a new bot per run"
        } else {
            "LEFT OUT (Synapse not installed)"
        }
    );
    println!(
        "  exe code / exe data / libs / anon: the idle RSS split by /proc/<pid>/smaps (the gavel file's code, the rest of it, other mapped files, anonymous); peak: VmHWM after the meeting"
    );
    print_cells(&COLUMNS.map(String::from));
    let mut outcomes = Vec::new();
    for c in setups {
        let o = measure(c, &meeting, synapse.as_mut(), plan.deliver_within).await;
        print_row(&o);
        outcomes.push(o);
    }
    if let Some(s) = synapse {
        s.stop();
    }

    let (base, full) = (&outcomes[0], &outcomes[outcomes.len() - 1]);
    let verdict = if all.matrix == 0 {
        "NOT MEASURED (no Matrix)"
    } else if !optimised() {
        "not judged (debug binary)"
    } else if full.idle.rss <= GOAL_KB {
        "met"
    } else {
        "NOT met"
    };
    println!(
        "  fully connected ({}): idle {}, after the meeting {}, peak {}; goal <= 40 MB idle: {verdict}",
        all.label().trim_start_matches("+ "),
        mb(full.idle.rss),
        mb(full.after.rss),
        mb(full.after.hwm),
    );
    println!(
        "  of that idle figure: {} the gavel executable (code {}, data {}), {} shared libraries and other files, {} anonymous (heap, stacks)",
        mb(full.idle.exe_code + full.idle.exe_data),
        mb(full.idle.exe_code),
        mb(full.idle.exe_data),
        mb(full.idle.libs),
        mb(full.idle.anon),
    );
    println!(
        "  console-only baseline idle {}: fully connected is {:.2}x that ({})",
        mb(base.idle.rss),
        full.idle.rss as f64 / base.idle.rss.max(1) as f64,
        signed_mb(full.idle.rss as i64 - base.idle.rss as i64),
    );
    if outcomes.len() > 2 {
        let each: Vec<String> = outcomes[1..outcomes.len() - 1]
            .iter()
            .map(|o| {
                format!(
                    "{} {}",
                    o.label.trim_start_matches("+ "),
                    signed_mb(o.idle.rss as i64 - base.idle.rss as i64)
                )
            })
            .collect();
        println!(
            "  idle cost of each connection alone over the baseline: {}",
            each.join("; ")
        );
    }
}

fn main() {
    let plan = if bench_mode() {
        Plan {
            commands: 200,
            all: Connections {
                web: true,
                webhooks: 2,
                discord: 3,
                matrix: 3,
            },
            each_alone: true,
            deliver_within: Duration::from_secs(300),
        }
    } else {
        Plan {
            commands: 5,
            all: Connections {
                web: true,
                webhooks: 1,
                discord: 1,
                matrix: 1,
            },
            each_alone: false,
            deliver_within: Duration::from_secs(60),
        }
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(run(plan));
}
