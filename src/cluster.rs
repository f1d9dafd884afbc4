//! Several `gavel run` instances sharing one PostgreSQL archive (`[archive] instances =
//! "several"`): which instance does what, by lease.
//!
//! Any instance takes clerk commands (the desk checks each against the archive as it appends:
//! see [`crate::archive::MeetingRef::Continue`]) and serves the public web. The jobs that must
//! run on one instance at a time each have a lease in the archive ([`crate::archive::Leases`]):
//! delivering to each target (`target:<name>`), sending reminders (`reminders`), keeping the
//! pinned status (`status`) and reading each chat input (`input:discord`, `input:matrix`).
//!
//! [`Cluster`] keeps this instance's leases: one task renews those it holds every third of the
//! lease time and, once a second, takes any that has lapsed. A lease's expiry is the database's
//! clock; this instance counts its own tenure from *before* it asked, on its monotonic clock,
//! so it always believes its lease ends before the database does. A job checks its tenure
//! ([`Cluster::tenure`]) before each step that acts outside the archive (a send), and records
//! its progress under the tenure's fencing token ([`crate::archive::Fence`]), which the
//! archive refuses once another instance has taken the lease. An instance that stalls past
//! its lease (paused, partitioned) therefore finds on waking that its tenure has run out, and
//! cannot send; were it paused between its check and its send, the send goes out but nothing
//! it records counts: that is the "at most one repeat per failover" the deploy guide states.
//!
//! [`Follower`] is the polling half of "entries appended on any instance reach every
//! instance's live pages and status": once a second it reads what the open meeting gained and
//! wakes whoever follows appends.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::archive::{Archive, Fence};
use crate::domain::MeetingId;
use crate::outbox::DeliveryWaker;

/// How often an instance looks for lapsed leases to take, and polls for others' appends.
pub const POLL: Duration = Duration::from_secs(1);

/// The lease of delivering to `target`.
pub fn target_lease(target: &str) -> String {
    format!("target:{target}")
}

/// Where a chat input got to (the Discord cursor, the Matrix sync position), kept in the shared
/// archive under this instance's lease on the input, so that the instance taking the input over
/// next resumes there. Failures are logged rather than returned: each input also keeps its
/// position on this machine, and ingest is idempotent.
#[derive(Clone)]
pub struct SharedPosition {
    archive: Arc<Archive>,
    fence: Fence,
    /// The position's name among the archive's positions.
    name: &'static str,
}

impl SharedPosition {
    pub fn new(archive: Arc<Archive>, fence: Fence, name: &'static str) -> SharedPosition {
        SharedPosition {
            archive,
            fence,
            name,
        }
    }

    /// What the last instance reading the input saved, if anything (and if it can be read).
    pub fn load(&self) -> Option<String> {
        match self.archive.position(self.name) {
            Ok(found) => found,
            Err(e) => {
                tracing::warn!(position = self.name, error = %e, "cannot read where the last instance reading this input got to; resuming from this machine's position, if it has one");
                None
            }
        }
    }

    /// Saves `value`, if this instance still holds the input's lease.
    pub fn save(&self, value: &str) {
        match self.archive.save_position(self.name, value, &self.fence) {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!(
                    position = self.name,
                    "another instance reads this input now; where this one got to was not saved"
                )
            }
            Err(e) => {
                tracing::warn!(position = self.name, error = %e, "cannot save where this input got to in the archive; the next instance may re-read some history (ingest stays idempotent)")
            }
        }
    }
}

/// This instance's hold on a lease: valid until `until` by this instance's clock.
#[derive(Debug, Clone)]
struct Tenure {
    fence: Fence,
    until: Instant,
}

/// One instance's leases.
pub struct Cluster {
    archive: Arc<Archive>,
    /// This instance's name in the archive's leases (`host/pid/random`).
    holder: String,
    ttl: Duration,
    /// The leases this instance competes for.
    wanted: Mutex<Vec<String>>,
    held: Mutex<HashMap<String, Tenure>>,
    /// Bumped whenever a lease is taken or lost.
    changed: watch::Sender<u64>,
}

impl Cluster {
    pub fn new(archive: Arc<Archive>, holder: String, ttl: Duration) -> Arc<Cluster> {
        Arc::new(Cluster {
            archive,
            holder,
            ttl,
            wanted: Mutex::new(Vec::new()),
            held: Mutex::new(HashMap::new()),
            changed: watch::channel(0).0,
        })
    }

    /// A name for this instance: the host, the process and a random suffix, so a restarted
    /// process is a new holder.
    pub fn instance_name() -> String {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_string())
            .unwrap_or_else(|_| "host".into());
        let suffix: u32 = rand::random();
        format!("{host}/{}/{suffix:08x}", std::process::id())
    }

    pub fn holder(&self) -> &str {
        &self.holder
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// Competes for `lease` from now on.
    pub fn want(&self, lease: impl Into<String>) {
        let lease = lease.into();
        let mut wanted = self.wanted.lock().unwrap_or_else(|p| p.into_inner());
        if !wanted.contains(&lease) {
            wanted.push(lease);
        }
    }

    /// This instance's current tenure of `lease`, if it holds it and the tenure has not run out
    /// by this instance's clock.
    pub fn tenure(&self, lease: &str) -> Option<Fence> {
        let held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        held.get(lease)
            .filter(|t| t.until > Instant::now())
            .map(|t| t.fence.clone())
    }

    /// The leases this instance holds now, by name, with their tokens.
    pub fn held(&self) -> Vec<(String, i64)> {
        let now = Instant::now();
        let held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        let mut out: Vec<(String, i64)> = held
            .iter()
            .filter(|(_, t)| t.until > now)
            .map(|(n, t)| (n.clone(), t.fence.token))
            .collect();
        out.sort();
        out
    }

    /// Resolves when a lease is taken or lost (or, at the latest, after `max`).
    pub async fn changed(&self, max: Duration) {
        let mut rx = self.changed.subscribe();
        let _ = tokio::time::timeout(max, rx.changed()).await;
    }

    /// Waits until this instance holds `lease`; `None` if `stop` fires first.
    pub async fn wait_for(&self, lease: &str, stop: &CancellationToken) -> Option<Fence> {
        loop {
            if let Some(f) = self.tenure(lease) {
                return Some(f);
            }
            tokio::select! {
                _ = self.changed(POLL) => {}
                _ = stop.cancelled() => return None,
            }
        }
    }

    /// Resolves once `fence` is no longer this instance's tenure (lost, lapsed or replaced).
    pub async fn lost(&self, fence: &Fence) {
        loop {
            if self.tenure(&fence.lease).as_ref() != Some(fence) {
                return;
            }
            let left = {
                let held = self.held.lock().unwrap_or_else(|p| p.into_inner());
                held.get(&fence.lease)
                    .map(|t| t.until.saturating_duration_since(Instant::now()))
                    .unwrap_or_default()
            };
            self.changed(left.min(POLL)).await;
        }
    }

    /// Runs the tasks `spawn` starts whenever this instance holds `lease`, stopping them
    /// (through the token they are given) as soon as the lease is lost, until `stop` fires.
    pub async fn lead(
        self: Arc<Self>,
        lease: String,
        stop: CancellationToken,
        spawn: impl Fn(&TaskTracker, CancellationToken),
    ) {
        self.want(lease.clone());
        while let Some(fence) = self.wait_for(&lease, &stop).await {
            tracing::info!(lease = %lease, token = fence.token, "took the lease");
            let inner = stop.child_token();
            let jobs = TaskTracker::new();
            spawn(&jobs, inner.clone());
            jobs.close();
            tokio::select! {
                () = jobs.wait() => {}
                () = self.lost(&fence) => {
                    tracing::warn!(lease = %lease, "lost the lease; stopping its job");
                    inner.cancel();
                    jobs.wait().await;
                }
            }
        }
    }

    /// Keeps this instance's leases until `stop` fires, then lets go of them so another
    /// instance takes over at once.
    pub async fn run(self: Arc<Self>, stop: CancellationToken) {
        let mut last_renew = Instant::now() - self.ttl;
        loop {
            let renew = last_renew.elapsed() >= self.ttl / 3;
            if renew {
                last_renew = Instant::now();
            }
            let me = Arc::clone(&self);
            let _ = tokio::task::spawn_blocking(move || me.round(renew)).await;
            tokio::select! {
                _ = tokio::time::sleep(POLL.min(self.ttl / 3)) => {}
                _ = stop.cancelled() => break,
            }
        }
        let me = Arc::clone(&self);
        let _ = tokio::task::spawn_blocking(move || me.release_all()).await;
    }

    /// One pass: renews what this instance holds (when `renew`), and takes what has lapsed.
    fn round(&self, renew: bool) {
        let wanted = self
            .wanted
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        if wanted.is_empty() {
            return;
        }
        let records = match self.archive.leases() {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the leases; held ones run out unless renewed");
                return;
            }
        };
        let live_elsewhere: HashMap<&str, bool> = records
            .iter()
            .map(|r| (r.lease.as_str(), r.live && r.holder != self.holder))
            .collect();
        let mut changed = false;
        for lease in &wanted {
            let mine = self.tenure(lease).is_some();
            let free = !live_elsewhere.get(lease.as_str()).copied().unwrap_or(false);
            if !(free && (!mine || renew)) {
                if !free && mine {
                    // Another instance holds it by the database: this tenure is over.
                    changed |= self.forget(lease);
                }
                continue;
            }
            let asked = Instant::now();
            match self.archive.acquire_lease(lease, &self.holder, self.ttl) {
                Ok(Some(fence)) => {
                    let until = asked + self.ttl.mul_f64(0.9);
                    let mut held = self.held.lock().unwrap_or_else(|p| p.into_inner());
                    let previous = held.insert(
                        lease.clone(),
                        Tenure {
                            fence: fence.clone(),
                            until,
                        },
                    );
                    changed |= previous.is_none_or(|p| p.until <= asked || p.fence != fence);
                }
                Ok(None) => changed |= self.forget(lease),
                Err(e) => {
                    tracing::warn!(lease = %lease, error = %e, "cannot renew a lease; it runs out unless renewed");
                }
            }
        }
        if changed {
            self.changed.send_modify(|n| *n += 1);
        }
    }

    fn forget(&self, lease: &str) -> bool {
        self.held
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(lease)
            .is_some()
    }

    fn release_all(&self) {
        let held: Vec<Tenure> = self
            .held
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .drain()
            .map(|(_, t)| t)
            .collect();
        for t in held {
            if let Err(e) = self.archive.release_lease(&t.fence, &self.holder) {
                tracing::warn!(lease = %t.fence.lease, error = %e, "cannot release a lease; it runs out by itself");
            }
        }
        self.changed.send_modify(|n| *n += 1);
    }
}

/// Follows the archive for what any instance writes, and tells whoever follows it: on the
/// archive's notifications (PostgreSQL's `LISTEN`/`NOTIFY`, see
/// [`crate::archive::Maintenance::changes`]) as soon as they come, and by polling once a
/// second, as notifications are lost while their connection is down.
pub struct Follower {
    archive: Arc<Archive>,
    /// Woken when the latest meeting gained entries.
    wakers: Vec<Arc<dyn DeliveryWaker>>,
    /// Woken on every notification, and on every poll that found new entries (the outbox,
    /// which also reads notices written elsewhere).
    on_change: Vec<Arc<dyn DeliveryWaker>>,
    /// Told of each meeting's new last entry (the live pages).
    on_entry: Vec<Arc<dyn Fn(MeetingId, u32) + Send + Sync>>,
}

impl Follower {
    pub fn new(archive: Arc<Archive>) -> Follower {
        Follower {
            archive,
            wakers: Vec::new(),
            on_change: Vec::new(),
            on_entry: Vec::new(),
        }
    }

    pub fn wake_on_change(mut self, w: Arc<dyn DeliveryWaker>) -> Self {
        self.on_change.push(w);
        self
    }

    pub fn wake(mut self, w: Arc<dyn DeliveryWaker>) -> Self {
        self.wakers.push(w);
        self
    }

    pub fn on_entry(mut self, f: Arc<dyn Fn(MeetingId, u32) + Send + Sync>) -> Self {
        self.on_entry.push(f);
        self
    }

    pub async fn run(self, stop: CancellationToken) {
        let mut seen: Option<(MeetingId, u32)> = None;
        let mut changes = self.archive.changes();
        loop {
            let archive = Arc::clone(&self.archive);
            let now = tokio::task::spawn_blocking(move || -> Option<(MeetingId, u32)> {
                let (m, _) = archive.latest_started_meeting().ok()??;
                let count = archive.meeting(m).ok()??.entry_count;
                Some((m, count))
            })
            .await
            .ok()
            .flatten();
            if now.is_some() && now != seen {
                if let Some((m, last)) = now {
                    for f in &self.on_entry {
                        f(m, last);
                    }
                }
                for w in self.wakers.iter().chain(&self.on_change) {
                    w.wake();
                }
                seen = now;
            }
            let notified = async {
                match changes.as_mut() {
                    Some(rx) => rx.changed().await.is_ok(),
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = tokio::time::sleep(POLL) => {}
                listening = notified => {
                    if listening {
                        for w in &self.on_change {
                            w.wake();
                        }
                    } else {
                        changes = None;
                    }
                }
                _ = stop.cancelled() => return,
            }
        }
    }
}
