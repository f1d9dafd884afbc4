//! Startup and shutdown: builds every part from a resolved [`Config`] and runs them until a
//! shutdown is requested or a long-running task dies (which is an error, so systemd restarts).
//!
//! Shutdown order: inputs stop first, in-flight deliveries get the configured deadline, the rest
//! stays queued, and the archive closes last.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, anyhow};
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::archive::Archive;
use crate::cluster::{Cluster, Follower};
use crate::config::{Config, Platform, TargetName};
use crate::desk::{Desk, DeskSettings};
use crate::outbox::Outbox;
use crate::outbox::{DeliveryWaker, HealthSource};
use crate::platform::discord::{DiscordInput, DiscordPlatform};
use crate::platform::mastodon::MastodonSink;
use crate::platform::matrix::MatrixPlatform;
use crate::platform::webhook::WebhookSink;
use crate::reminders::{Clock, Reminders};
use crate::residents::Residents;
use crate::sink::Sink;
use crate::status::{StatusBoard, StatusOptions};
use crate::web::{self, LiveHub, WebSink, WebState};

/// How the daemon runs beyond its config.
#[derive(Default)]
pub struct RunOptions {
    /// Read clerk commands from stdin.
    pub console: bool,
    /// An already-bound listener for the web server (tests pass port 0).
    pub web_listener: Option<TcpListener>,
    /// Refuse to start when another `gavel run` holds the archive (`gavel run` sets it).
    pub claim_archive: bool,
}

pub struct App {
    config: Config,
    archive: Arc<Archive>,
    desk: Arc<Desk>,
    outbox: Arc<Outbox>,
    status: Option<Arc<StatusBoard>>,
    /// Answers residents' questions in target rooms; `None` when `[residents] enabled = false`.
    residents: Option<Arc<Residents>>,
    reminders: Arc<Reminders>,
    /// `[moderngov]`'s daily agenda import.
    sync: Option<crate::import::Sync>,
    web: Option<(TcpListener, Arc<WebState>)>,
    console: bool,
    discord: Option<DiscordInput>,
    matrix: Option<MatrixPlatform>,
    live: Arc<LiveHub>,
    /// This instance's leases, when several instances share the archive.
    cluster: Option<Arc<Cluster>>,
    /// This process's hold on the archive ([`RunOptions::claim_archive`]), let go on exit.
    _claim: Option<crate::archive::RunnerClaim>,
}

impl App {
    pub async fn build(config: Config, opts: RunOptions) -> anyhow::Result<App> {
        let archive = Arc::new(config.archive.location.open().with_context(|| {
            format!("opening the archive {}", config.archive.location.describe())
        })?);
        let cluster = config.archive.shared.map(|ttl| {
            let c = Cluster::new(Arc::clone(&archive), Cluster::instance_name(), ttl);
            tracing::info!(instance = %c.holder(), lease_secs = ttl.as_secs(), "sharing the archive with other instances");
            c
        });
        let claim = if opts.claim_archive {
            match archive.claim_runner(cluster.is_some())? {
                Some(claim) => Some(claim),
                None => anyhow::bail!(
                    "another `gavel run` is using the archive {}: stop it first. Instances that \
                     share a PostgreSQL archive need `instances = \"several\"` in [archive] on \
                     every one of them (docs/deploy.md)",
                    config.archive.location.describe()
                ),
            }
        } else {
            None
        };
        let live = Arc::new(LiveHub::new(Arc::clone(&archive), config.council.language));
        let Targets {
            sinks,
            matrix,
            discord: discord_input,
        } = build_targets(&config, &live).await?;
        let status = status_board(&config, &archive, &sinks);
        let mut wakers: Vec<Arc<dyn DeliveryWaker>> = Vec::new();
        if let Some(board) = &status {
            tracing::info!(targets = ?board.target_names(), "keeping a pinned status");
            wakers.push(board.clone());
        }
        let outbox = Outbox::new(
            Arc::clone(&archive),
            sinks,
            config.retry,
            config.council.language,
        );
        if let Some(c) = &cluster {
            outbox.share(Arc::clone(c));
        }
        // The outbox is not among the desk's wakers: the archive hands it each new delivery
        // row as it commits it (see `outbox::handoff`), and a wake would make every target
        // read its queues instead.
        let reminders = Reminders::new(
            Arc::clone(&archive),
            config.reminders.clone(),
            config.council.timezone,
            config.council.language,
            // The live page lists open consultations itself; reminders go to the chat targets.
            config
                .targets()
                .into_iter()
                .filter(|t| t.platform != Platform::Web)
                .map(|t| t.name.into())
                .collect(),
            outbox.clone(),
            Clock::System,
        );
        let desk = Desk::new(
            Arc::clone(&archive),
            DeskSettings {
                prefix: config.prefix.clone(),
                timezone: config.council.timezone,
                targets: outbox.target_names(),
                public_url: config.web.as_ref().map(|w| w.public_url.to_string()),
                language: config.council.language,
            },
        )
        .context("reading the open meeting from the archive")?
        .with_waker(Arc::new(wakers))
        .with_consultation_waker(reminders.clone())
        .with_health(outbox.clone());
        let desk = match config.desk.as_ref().and_then(|d| d.roster.clone()) {
            Some(roster) => desk.with_roster(roster),
            None => desk,
        };
        let desk = if cluster.is_some() {
            desk.shared()
        } else {
            desk
        };
        let (desk, signing_key) = match load_signer(&config)? {
            None => (desk, None),
            Some((signer, public)) => (desk.with_signer(signer), Some(public)),
        };
        let desk = Arc::new(desk);
        let residents = config.residents.enabled.then(|| {
            Arc::new(Residents::new(
                Arc::clone(&desk),
                config.residents,
                chrono::Utc::now(),
            ))
        });
        let web = match &config.web {
            None => None,
            Some(w) => {
                let listener = match opts.web_listener {
                    Some(l) => l,
                    None => bind_web(w.listen).await?,
                };
                let state = Arc::new(WebState {
                    archive: Arc::clone(&archive),
                    desk: Arc::clone(&desk),
                    outbox: Arc::clone(&outbox),
                    live: Arc::clone(&live),
                    council: config.council.clone(),
                    public_url: w.public_url.clone(),
                    api: config.api.clone(),
                    runtime: web::WebRuntime::new(&outbox),
                    signing_key: signing_key.clone(),
                    desk_web: config
                        .desk
                        .clone()
                        .map(|d| web::desk::DeskWeb::new(d, &w.public_url)),
                    cluster: cluster.clone(),
                });
                Some((listener, state))
            }
        };
        let sync = match config.moderngov.clone() {
            None => None,
            Some(m) => Some(
                crate::import::Sync::new(
                    Arc::clone(&archive),
                    m,
                    config.council.timezone,
                    Clock::System,
                )
                .context("setting up the ModernGov sync")?,
            ),
        };
        Ok(App {
            config,
            archive,
            desk,
            outbox,
            status,
            residents,
            reminders,
            sync,
            web,
            console: opts.console,
            discord: discord_input,
            matrix,
            live,
            cluster,
            _claim: claim,
        })
    }

    pub fn web_addr(&self) -> Option<SocketAddr> {
        self.web.as_ref().and_then(|(l, _)| l.local_addr().ok())
    }

    pub fn desk(&self) -> &Arc<Desk> {
        &self.desk
    }

    pub fn archive(&self) -> &Arc<Archive> {
        &self.archive
    }

    /// The delivery queues, whose events ([`crate::outbox::OutboxEvent`]) say what reached
    /// which target.
    pub fn outbox(&self) -> &Arc<Outbox> {
        &self.outbox
    }

    /// Runs until `shutdown` fires (signal, or end of console input) and then stops in order.
    pub async fn run_until_stopped(mut self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let tracker = TaskTracker::new();
        let inputs = CancellationToken::new();
        let delivery = CancellationToken::new();
        // Leases outlive the delivery tasks, and are let go of once those have stopped.
        let leases = CancellationToken::new();
        let lease_keeper = self
            .cluster
            .clone()
            .map(|c| tokio::spawn(c.run(leases.clone())));
        self.outbox.spawn(&tracker, delivery.clone());
        match &self.cluster {
            None => {
                if let Some(board) = &self.status {
                    board.spawn(&tracker, delivery.clone());
                }
                self.reminders.spawn(&tracker, delivery.clone());
            }
            Some(c) => {
                if let Some(board) = &self.status {
                    let board = Arc::clone(board);
                    tracker.spawn(c.clone().lead(
                        "status".into(),
                        delivery.clone(),
                        move |jobs, stop| board.spawn(jobs, stop),
                    ));
                }
                let reminders = Arc::clone(&self.reminders);
                tracker.spawn(c.clone().lead(
                    "reminders".into(),
                    delivery.clone(),
                    move |jobs, stop| reminders.spawn(jobs, stop),
                ));
                // Entries appended on other instances reach this one's live pages and status.
                let live = Arc::clone(&self.live);
                let mut follower = Follower::new(Arc::clone(&self.archive)).on_entry(Arc::new(
                    move |meeting, seq| {
                        if let Err(e) = live.publish(meeting, crate::domain::EntryNo(seq)) {
                            tracing::warn!(error = %e, "cannot publish to the live pages");
                        }
                    },
                ));
                if let Some(board) = &self.status {
                    follower = follower.wake(board.clone());
                }
                follower = follower.wake_on_change(self.outbox.clone());
                tracker.spawn(follower.run(delivery.clone()));
            }
        }
        if let Some(sync) = self.sync.take() {
            tracing::info!(site = %sync.site(), "importing ModernGov agendas daily");
            sync.spawn(&tracker, inputs.clone());
        }

        let mut critical: JoinSet<(&'static str, anyhow::Result<()>)> = JoinSet::new();
        if let Some((listener, state)) = self.web.take() {
            let addr = listener.local_addr().ok();
            tracing::info!(addr = ?addr, "web server listening");
            let stop = inputs.clone();
            critical.spawn(async move {
                (
                    "web server",
                    web::serve(listener, state, stop).await.map_err(Into::into),
                )
            });
        }
        if let Some(matrix) = self.matrix.take() {
            let (desk, outbox, stop) = (
                Arc::clone(&self.desk),
                Arc::clone(&self.outbox),
                inputs.clone(),
            );
            let residents = self.residents.clone();
            let cluster = self.cluster.clone();
            let archive = Arc::clone(&self.archive);
            critical.spawn(async move {
                let run = |fence: Option<crate::archive::Fence>| {
                    let mut matrix = matrix;
                    if let Some(fence) = fence {
                        // Resume where the instance before this one got to.
                        matrix.share_position(archive, fence);
                    }
                    matrix.run(desk, outbox, residents, stop.clone())
                };
                (
                    "matrix input",
                    leased(cluster, "input:matrix", stop.clone(), run).await,
                )
            });
        }
        if let Some(discord) = self.discord.take() {
            let (desk, outbox, stop) = (
                Arc::clone(&self.desk),
                Arc::clone(&self.outbox),
                inputs.clone(),
            );
            let residents = self.residents.clone();
            let cluster = self.cluster.clone();
            let archive = Arc::clone(&self.archive);
            critical.spawn(async move {
                let run = |fence: Option<crate::archive::Fence>| {
                    let mut discord = discord;
                    if let Some(fence) = fence {
                        // Resume where the instance before this one got to.
                        discord.share_position(archive, fence);
                    }
                    discord.run(desk, outbox, residents, stop.clone())
                };
                (
                    "discord gateway",
                    leased(cluster, "input:discord", stop.clone(), run).await,
                )
            });
        }
        if self.console {
            let (desk, outbox, stop, sd) = (
                Arc::clone(&self.desk),
                Arc::clone(&self.outbox),
                inputs.clone(),
                shutdown.clone(),
            );
            critical.spawn(async move {
                let stdin = tokio::io::BufReader::new(tokio::io::stdin());
                let r =
                    crate::console::run(desk, outbox, stdin, tokio::io::stdout(), stop, sd).await;
                ("console", r.map_err(Into::into))
            });
        }

        let _ = sd_notify::notify(false, &[sd_notify::NotifyState::Ready]);
        let watchdog = watchdog_interval();
        let mut tick = tokio::time::interval(watchdog.unwrap_or(Duration::from_secs(30)));
        tracing::info!(targets = ?self.outbox.target_names(), "gavel running");

        let mut failure: Option<anyhow::Error> = None;
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                Some(joined) = critical.join_next() => {
                    if shutdown.is_cancelled() {
                        break;
                    }
                    let (name, result) = match joined {
                        Ok(r) => r,
                        Err(e) => ("task", Err(anyhow!("panicked: {e}"))),
                    };
                    let err = match result {
                        Ok(()) => anyhow!("{name} stopped unexpectedly"),
                        Err(e) => e.context(format!("{name} failed")),
                    };
                    tracing::error!(error = %format!("{err:#}"), "a long-running task ended; shutting down");
                    failure = Some(err);
                    break;
                }
                _ = tick.tick() => {
                    if watchdog.is_some() {
                        let status = self.status_line();
                        let _ = sd_notify::notify(false, &[sd_notify::NotifyState::Watchdog, sd_notify::NotifyState::Status(&status)]);
                    }
                }
            }
        }

        let _ = sd_notify::notify(false, &[sd_notify::NotifyState::Stopping]);
        tracing::info!("stopping: inputs first, then in-flight deliveries");
        inputs.cancel();
        delivery.cancel();
        tracker.close();
        let deadline = self.config.retry.drain + Duration::from_secs(2);
        if tokio::time::timeout(deadline, tracker.wait())
            .await
            .is_err()
        {
            tracing::warn!(
                "delivery tasks did not stop within the deadline; their work stays queued"
            );
        }
        if tokio::time::timeout(Duration::from_secs(5), async {
            while critical.join_next().await.is_some() {}
        })
        .await
        .is_err()
        {
            critical.abort_all();
        }
        leases.cancel();
        if let Some(keeper) = lease_keeper {
            let _ = tokio::time::timeout(Duration::from_secs(5), keeper).await;
        }
        let queued: u32 = self.outbox.target_status().iter().map(|t| t.queued).sum();
        tracing::info!(queued, "stopped; queued deliveries resume at next start");
        drop(self.desk);
        drop(self.archive);
        match failure {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    fn status_line(&self) -> String {
        // One read of every queue per watchdog tick, not two.
        let targets = self.outbox.target_status();
        let queued: u32 = targets.iter().map(|t| t.queued).sum();
        let failing = targets.iter().filter(|t| t.failing.is_some()).count();
        let meeting = match self.archive.open_meeting() {
            Ok(Some(m)) => format!("meeting {m} open"),
            _ => "no meeting open".into(),
        };
        format!("{meeting}; {queued} queued; {failing} target(s) failing")
    }
}

/// Runs a chat input, when several instances share the archive, only once this instance holds
/// its lease (`lease`; `run` is given the tenure), and ends it with an error if the lease is lost: the input's position
/// and connection are this process's, so the process stops and its service manager starts it
/// afresh, to wait for the lease again.
async fn leased<F, Fut>(
    cluster: Option<Arc<Cluster>>,
    lease: &str,
    stop: CancellationToken,
    run: F,
) -> anyhow::Result<()>
where
    F: FnOnce(Option<crate::archive::Fence>) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    let Some(c) = cluster else {
        return run(None).await;
    };
    c.want(lease);
    let Some(fence) = c.wait_for(lease, &stop).await else {
        return Ok(());
    };
    tracing::info!(lease, token = fence.token, "reading this chat input");
    tokio::select! {
        r = run(Some(fence.clone())) => r,
        () = c.lost(&fence) => Err(anyhow!(
            "lost the lease {lease} to another instance, which reads the commands now"
        )),
    }
}

/// The pinned status over every target, when `[status]` turns it on.
fn status_board(
    config: &Config,
    archive: &Arc<Archive>,
    sinks: &[(String, Arc<dyn Sink>)],
) -> Option<Arc<StatusBoard>> {
    config.status.enabled.then(|| {
        StatusBoard::new(
            Arc::clone(archive),
            sinks.to_vec(),
            StatusOptions {
                language: config.council.language,
                public_url: config.web.as_ref().map(|w| w.public_url.clone()),
                min_edit_interval: config.status.min_edit_interval,
                retry: config.retry,
            },
        )
    })
}

/// The signing key, when `[signing]` names one, and its public half for the web page.
fn load_signer(
    config: &Config,
) -> anyhow::Result<Option<(Arc<crate::signing::Signer>, web::PublicKey)>> {
    let Some(path) = &config.signing_key else {
        return Ok(None);
    };
    let signer = crate::signing::Signer::from_file(path)
        .with_context(|| format!("loading the signing key {}", path.display()))?;
    tracing::info!(fingerprint = %signer.fingerprint(), "meetings are signed at !end");
    let public = web::PublicKey {
        base64: signer.public_key_base64(),
        fingerprint: signer.fingerprint(),
    };
    Ok(Some((Arc::new(signer), public)))
}

/// The web server's listener on `listen`.
async fn bind_web(listen: SocketAddr) -> anyhow::Result<TcpListener> {
    TcpListener::bind(listen)
        .await
        .with_context(|| format!("binding the web server to {listen}"))
}

/// The outbox's targets, each named by [`TargetName`], and the platform inputs that share
/// their clients.
struct Targets {
    sinks: Vec<(String, Arc<dyn Sink>)>,
    matrix: Option<MatrixPlatform>,
    discord: Option<DiscordInput>,
}

/// Builds a sink for every target in the config, in the order of [`Config::targets`]: the web
/// page, webhooks, Matrix rooms (logging in first), Discord channels, then Bluesky accounts.
async fn build_targets(config: &Config, live: &Arc<LiveHub>) -> anyhow::Result<Targets> {
    let mut sinks: Vec<(String, Arc<dyn Sink>)> = Vec::new();
    if config.web.is_some() {
        sinks.push((
            TargetName::web().into(),
            Arc::new(WebSink::new(Arc::clone(live))),
        ));
    }
    for w in &config.webhooks {
        let sink = WebhookSink::new(w.url.clone(), w.format, Duration::from_secs(15))
            .with_context(|| format!("building webhook {}", w.name))?;
        sinks.push((TargetName::webhook(&w.name).into(), Arc::new(sink)));
    }
    for m in &config.mastodon {
        let sink = MastodonSink::new(m, config.council.language, Duration::from_secs(15))
            .with_context(|| format!("building Mastodon target {}", m.name))?;
        sinks.push((TargetName::mastodon(&m.name).into(), Arc::new(sink)));
    }
    let matrix = match &config.matrix {
        None => None,
        Some(m) => {
            let platform = MatrixPlatform::connect(m, &config.state_dir())
                .await
                .context("starting Matrix")?;
            sinks.extend(platform.sinks().context("building Matrix targets")?);
            Some(platform)
        }
    };
    let mut discord = None;
    if let Some(d) = &config.discord {
        let platform =
            DiscordPlatform::build(d, config.state_dir()).context("building the Discord client")?;
        sinks.extend(platform.sinks);
        discord = Some(platform.input);
    }
    for b in &config.bluesky {
        sinks.push((
            TargetName::bluesky(&b.handle).into(),
            Arc::new(bluesky_sink(config, b)?),
        ));
    }
    Ok(Targets {
        sinks,
        matrix,
        discord,
    })
}

/// A Bluesky account's sink; its session is kept in the state folder.
pub(crate) fn bluesky_sink(
    config: &Config,
    b: &crate::config::BlueskySettings,
) -> anyhow::Result<crate::platform::bluesky::BlueskySink> {
    let pds = crate::platform::bluesky::Pds::new(
        b.clone(),
        Some(config.state_dir()),
        Duration::from_secs(15),
    )
    .with_context(|| format!("building the Bluesky client for {}", b.handle))?;
    let langs = config
        .council
        .language
        .langs()
        .iter()
        .map(|l| l.code().to_string())
        .collect();
    Ok(crate::platform::bluesky::BlueskySink::new(pds, langs))
}

/// Half of `WatchdogSec`, when systemd asked for watchdog pings: `WATCHDOG_USEC` is set and
/// `WATCHDOG_PID`, if present, names this process (as `sd_watchdog_enabled(3)` reads them).
fn watchdog_interval() -> Option<Duration> {
    let usec: u64 = std::env::var("WATCHDOG_USEC")
        .ok()?
        .parse()
        .ok()
        .filter(|u| *u > 0)?;
    if let Ok(pid) = std::env::var("WATCHDOG_PID")
        && pid.parse::<u32>().ok() != Some(std::process::id())
    {
        return None;
    }
    Some(Duration::from_micros(usec / 2))
}
