//! Shared by the benchmarks: realistic council-meeting command lines from a seeded RNG, the
//! drafts the desk would make of them, a raw-SQLite floor to compare appends against, and
//! percentile helpers.
#![allow(dead_code)]

use std::time::Duration;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use gavel::archive::EntryDraft;
use gavel::command;
use gavel::domain::payload;
use gavel::domain::{Author, Payload};
use gavel::render;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

/// Every generator starts from this seed, so runs are comparable.
pub const SEED: u64 = 9;

pub const TZ: Tz = chrono_tz::Europe::London;

/// True when run by `cargo bench` (which passes `--bench`); `cargo test --all-targets` runs the
/// bench binaries without it, and then they only do a tiny smoke iteration.
pub fn bench_mode() -> bool {
    std::env::args().any(|a| a == "--bench")
}

/// The runtime every fan-out benchmark runs on: two workers, as many as this machine's cores.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

const COMMITTEES: &[&str] = &[
    "Full Council",
    "Planning Committee",
    "Cabinet",
    "Licensing Sub-Committee",
    "Overview and Scrutiny Committee",
    "Audit and Governance Committee",
    "Health and Wellbeing Board",
    "Children's Services Scrutiny Panel",
];

const COUNCILLORS: &[&str] = &[
    "Cllr Okafor",
    "Cllr Patel",
    "Cllr Hughes",
    "Cllr Williams",
    "Cllr Nowak",
    "Cllr Davies",
    "Cllr MacLeod",
    "Cllr Ahmed",
    "Cllr Fitzgerald",
    "Cllr Jones",
    "Cllr Evans",
    "Cllr Thompson",
    "the Mayor",
    "the Leader",
    "the Monitoring Officer",
];

const SUBJECTS: &[&str] = &[
    "the planning application for 14 Station Road",
    "the revenue budget for 2027/28",
    "the local plan consultation",
    "street lighting on the ring road",
    "the closure of Elm Park library",
    "the housing allocations policy",
    "the licensing of the Queen's Head",
    "the capital programme",
    "the air quality action plan",
    "school transport eligibility",
    "the parking enforcement contract",
    "flood defences along the river Wye",
    "the leisure centre refurbishment",
    "council tax support",
    "the waste collection contract",
    "the treasury management strategy",
    "adult social care charging",
    "the town centre regeneration scheme",
    "the cycle lane on Mill Street",
    "temporary accommodation costs",
];

const VERBS: &[&str] = &[
    "asked about",
    "raised concerns over",
    "spoke in support of",
    "spoke against",
    "proposed deferring",
    "questioned officers on",
    "welcomed",
    "noted the report on",
    "asked for a written answer on",
    "summarised the objections to",
];

const TAILS: &[&str] = &[
    "",
    " and the effect on residents",
    ", citing the officers' report",
    " following the public consultation",
    ", noting the financial risk",
    " and asked for an update in March",
    ", referring to the equality impact assessment",
    " and the views of the parish council",
];

/// Words the search benchmark looks for: common, middling and rare in the generated text.
pub const SEARCH_WORDS: &[&str] = &[
    "planning",
    "budget",
    "library",
    "consultation",
    "residents",
    "officers",
    "licensing",
    "parking",
    "flood",
    "regeneration",
    "carried",
    "lost",
    "Okafor",
    "Nowak",
    "MacLeod",
    "deferring",
    "equality",
    "treasury",
    "cycle",
    "accommodation",
    "parish",
    "lighting",
    "contract",
    "Station",
    "motion",
];

/// 200 (or `n`) search queries of one or two realistic words.
pub fn search_queries(n: usize) -> Vec<String> {
    let mut rng = StdRng::seed_from_u64(SEED + 1);
    (0..n)
        .map(|i| {
            let a = SEARCH_WORDS.choose(&mut rng).unwrap_or(&"planning");
            if i % 3 == 0 {
                let b = SEARCH_WORDS.choose(&mut rng).unwrap_or(&"budget");
                format!("{a} {b}")
            } else {
                a.to_string()
            }
        })
        .collect()
}

/// Command lines of realistic meetings, from a fixed seed.
pub struct Script {
    rng: StdRng,
    item: u32,
}

impl Default for Script {
    fn default() -> Self {
        Script {
            rng: StdRng::seed_from_u64(SEED),
            item: 0,
        }
    }
}

impl Script {
    pub fn title(&mut self) -> String {
        let c = COMMITTEES.choose(&mut self.rng).unwrap_or(&"Full Council");
        format!("{c} {}", self.rng.gen_range(1..=28))
    }

    fn who(&mut self) -> &'static str {
        COUNCILLORS.choose(&mut self.rng).unwrap_or(&"Cllr Jones")
    }

    fn subject(&mut self) -> &'static str {
        SUBJECTS.choose(&mut self.rng).unwrap_or(&"the budget")
    }

    /// One in-meeting command line (no `!start`/`!end`): agenda items, speakers, notes,
    /// motions and votes in roughly the proportions a clerk types them.
    pub fn line(&mut self) -> String {
        match self.rng.gen_range(0..100) {
            0..=5 => {
                self.item += 1;
                let s = self.subject();
                format!("!agenda {} {}", self.item, capitalise(s))
            }
            6..=25 => format!("!speaker {}", self.who()),
            26..=37 => {
                let (s, m, c) = (self.subject(), self.who(), self.who());
                format!("!motion That the council approves {s} | mover={m} | seconder={c}")
            }
            38..=47 => {
                let f = self.rng.gen_range(0..40);
                let a = self.rng.gen_range(0..40);
                let ab = self.rng.gen_range(0..5);
                let outcome = if f > a { "carried" } else { "lost" };
                format!("!vote {f}-{a}-{ab} {outcome}")
            }
            _ => {
                let (w, v, s) = (self.who(), VERBS.choose(&mut self.rng), self.subject());
                let t = TAILS.choose(&mut self.rng).unwrap_or(&"");
                format!("!note {w} {} {s}{t}", v.unwrap_or(&"asked about"))
            }
        }
    }

    /// A whole meeting of `entries` lines: `!start`, the body, `!end`.
    pub fn meeting(&mut self, entries: usize) -> (String, Vec<String>) {
        self.item = 0;
        let title = self.title();
        let mut lines = vec![
            format!("!start {title}"),
            format!(
                "!webcast https://webcast.example.org/live/{}",
                self.rng.gen_range(1000..100_000)
            ),
        ];
        while lines.len() + 1 < entries {
            let l = self.line();
            lines.push(l);
        }
        lines.push("!end".to_string());
        (title, lines)
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

pub fn clerk() -> Author {
    Author::new("console", "clerk", "Clerk")
}

/// The draft the desk makes of a line (parse, then the same rendering as the desk), or `None`
/// for lines that record nothing.
pub fn draft(line: &str, at: DateTime<Utc>) -> Option<EntryDraft> {
    let cmd = command::parse(line, "!", at.with_timezone(&TZ).date_naive()).ok()??;
    let (payload, text) = match &cmd {
        command::Command::Start { title } => {
            let t = title.clone().unwrap_or_default();
            let text = render::start_text(&t, gavel::i18n::Language::En);
            (Payload::Start(payload::Start { title: t }), text)
        }
        other => render::entry_parts(other, at, TZ, gavel::i18n::Language::En)?,
    };
    Some(EntryDraft {
        payload,
        text,
        author: clerk(),
        at,
        timezone: TZ,
        refers_to: None,
        confidential: false,
        source: None,
    })
}

/// p-th percentile (0–100) of `samples`, nearest-rank.
pub fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    if samples.is_empty() {
        return Duration::ZERO;
    }
    samples.sort_unstable();
    let rank = ((p / 100.0) * samples.len() as f64).ceil() as usize;
    samples[rank.clamp(1, samples.len()) - 1]
}

pub fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1e3)
}

/// Waits until `targets` targets have reported entry `entry_id` delivered, listening to the
/// outbox's own events, so the wait sends nothing to the platforms while deliveries are in
/// flight (a bench that polled them would compete with what it measures). `None` on timeout.
pub async fn delivered_everywhere(
    events: &mut tokio::sync::broadcast::Receiver<gavel::outbox::OutboxEvent>,
    entry_id: i64,
    targets: usize,
    timeout: Duration,
) -> Option<()> {
    use gavel::outbox::OutboxEvent;
    use tokio::sync::broadcast::error::RecvError;
    let mut reached = std::collections::HashSet::new();
    let wait = async {
        while reached.len() < targets {
            match events.recv().await {
                Ok(OutboxEvent::Delivered {
                    target,
                    entry_id: id,
                    ..
                }) if id == entry_id => {
                    reached.insert(target);
                }
                Ok(_) => {}
                Err(RecvError::Lagged(n)) => panic!("the bench missed {n} outbox events"),
                Err(RecvError::Closed) => return None,
            }
        }
        Some(())
    };
    tokio::time::timeout(timeout, wait).await.ok().flatten()
}

/// An in-process Gavel for the fan-out benchmarks: `App::build` from a config file and
/// `run_until_stopped` on the bench's runtime, with the desk to submit to and the outbox's
/// events to learn when every target has an entry.
pub struct Running {
    pub desk: std::sync::Arc<gavel::desk::Desk>,
    events: tokio::sync::broadcast::Receiver<gavel::outbox::OutboxEvent>,
    /// How many targets `wait_delivered` waits for.
    pub targets: usize,
    stop: tokio_util::sync::CancellationToken,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
    _dir: tempfile::TempDir,
}

impl Running {
    /// Writes `sections` after a `[council]` and an `[archive]` in a fresh folder and starts the
    /// app; `targets` is how many delivery targets the sections configure.
    pub async fn start(sections: &str, targets: usize) -> Running {
        Running::start_on(None, sections, targets).await
    }

    /// [`Running::start`] on the PostgreSQL server at `postgres` (`None`: a SQLite file), in a
    /// fresh schema.
    pub async fn start_on(postgres: Option<&str>, sections: &str, targets: usize) -> Running {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("gavel.toml");
        let archive = match postgres {
            None => format!("path = \"{}\"", dir.path().join("archive.db").display()),
            Some(url) => format!(
                "url = \"{url}\"\nschema = \"bench_{}_{}\"\nstate_dir = \"{}\"",
                std::process::id(),
                NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
                dir.path().display()
            ),
        };
        std::fs::write(
            &path,
            format!(
                "[council]\nname = \"Bench Borough Council\"\ntimezone = \"Europe/London\"\n\n\
                 [archive]\n{archive}\n\n{sections}"
            ),
        )
        .expect("config");
        let config =
            gavel::config::load(&path, gavel::config::Secrets::Resolve).expect("config loads");
        let app = gavel::app::App::build(config, gavel::app::RunOptions::default())
            .await
            .expect("app builds");
        let desk = std::sync::Arc::clone(app.desk());
        let events = app.outbox().subscribe();
        let stop = tokio_util::sync::CancellationToken::new();
        let task = tokio::spawn(app.run_until_stopped(stop.clone()));
        Running {
            desk,
            events,
            targets,
            stop,
            task,
            _dir: dir,
        }
    }

    /// Records `text` as a clerk; its entry id and the instant it was accepted.
    pub async fn submit(&self, text: &str) -> (i64, std::time::Instant) {
        let reply = self
            .desk
            .submit(gavel::desk::ClerkInput {
                author: clerk(),
                text: text.into(),
                source: None,
            })
            .await;
        let accepted = std::time::Instant::now();
        let gavel::desk::Reply::Recorded { entry, .. } = reply else {
            panic!("{text:?} not recorded: {reply:?}");
        };
        (entry.id, accepted)
    }

    /// Waits, on the outbox's own events, until every target has entry `id`.
    pub async fn wait_delivered(&mut self, id: i64, timeout: Duration) {
        delivered_everywhere(&mut self.events, id, self.targets, timeout)
            .await
            .unwrap_or_else(|| panic!("entry {id} did not reach every target in {timeout:?}"));
    }

    /// Records `text` and waits until every target has it; the instant it was accepted.
    pub async fn submit_and_wait(&mut self, text: &str) -> std::time::Instant {
        let (id, accepted) = self.submit(text).await;
        self.wait_delivered(id, Duration::from_secs(120)).await;
        accepted
    }

    pub async fn stop(self) {
        self.stop.cancel();
        let _ = self.task.await;
    }
}
