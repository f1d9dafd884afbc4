//! The outbox: one ordered, durable queue per target, delivered by one task per target.
//!
//! Delivery rows are written in the same transaction as their entry (see [`crate::archive`]).
//! Each target's task peeks its oldest pending row, asks the sink to post / edit / delete,
//! records the remote message ids (in one commit with other targets' that finished meanwhile:
//! see `recorder`), then moves on. A failure pauses only that target: the row
//! stays pending and is retried by the shared [`RetryPolicy`]; nothing is dropped. Corrections
//! and withdrawals find the original's remote ids, which exist because the original was earlier
//! in the same queue.
//!
//! Beside its entry queue each target has a notice queue (messages that are not entries, such
//! as consultation reminders), delivered by the same task with the same policy; see
//! `run_target` for how the two share it.
//!
//! The outbox subscribes to what the archive commits and hands each new entry delivery row to
//! its target's task (see `handoff`), so a target whose queues were empty delivers a new entry
//! without reading it back; anything else written wakes the targets to read their queues.
//!
//! The traits the outbox offers the rest of Gavel live here too: [`DeliveryWaker`] (something
//! was written that the outbox was not handed) and [`HealthSource`] (each target's health, for
//! `!status`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use rand::Rng;
use tokio::sync::{Notify, broadcast};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::archive::{
    Archive, ArchiveError, Attempt, Commit, CommittedRow, Delivery, DeliveryOp, Fence,
    NoticeDelivery, Outcome, Published, Queue, Subscription,
};
use crate::cluster::Cluster;
use crate::domain::{Entry, EntryKind, EntryNo, MeetingId};
use crate::i18n::Language;
use crate::render;
use crate::sink::{IdempotencyKey, Notice, Outgoing, RetryClass, Sink, SinkError, ThreadRoot};

mod handoff;
mod recorder;
use handoff::{Handed, Handoff, Next};
use recorder::{RecordError, Recorder};

/// Delivery health of one target, for `!status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetStatus {
    pub name: String,
    pub queued: u32,
    pub failing: Option<String>,
}

/// Supplies per-target health to `!status` (the outbox implements it).
pub trait HealthSource: Send + Sync {
    fn target_status(&self) -> Vec<TargetStatus>;
}

/// Something that wants to know when an entry is appended (the pinned status), or that rows
/// it was not told of were written (the outbox, which then reads its queues; it hears of each
/// new entry delivery row from the archive's commits itself).
pub trait DeliveryWaker: Send + Sync {
    fn wake(&self);
}

/// Several wakers woken together.
impl DeliveryWaker for Vec<Arc<dyn DeliveryWaker>> {
    fn wake(&self) {
        for w in self {
            w.wake();
        }
    }
}

/// Capped exponential backoff with full jitter, shared by every target.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub base: Duration,
    pub cap: Duration,
    /// Consecutive failures after which a target is reported to the clerks as failing.
    pub report_after: u32,
    /// How long in-flight deliveries may run after shutdown is requested.
    pub drain: Duration,
    /// How often an idle target looks at its queues without being woken (a safety net for
    /// rows written by another process).
    pub idle_recheck: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            base: Duration::from_millis(500),
            cap: Duration::from_secs(60),
            report_after: 3,
            drain: Duration::from_secs(10),
            idle_recheck: Duration::from_secs(5),
        }
    }
}

/// The longest wait a server's `Retry-After` may impose: 15 minutes. A meeting lasts a few
/// hours, so a server asking for longer would silence its target for much of it; after this
/// the target tries again (and is told again to wait if the server still means it).
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(15 * 60);

impl RetryPolicy {
    /// The wait before attempt `failures + 1`, given the class of the last failure.
    /// `jitter` in [0, 1) scales the upper half of the exponential window. A server's
    /// `Retry-After` is honoured up to [`MAX_RETRY_AFTER`].
    pub fn delay(&self, failures: u32, class: RetryClass, jitter: f64) -> Duration {
        match class {
            RetryClass::After(d) => {
                if d > MAX_RETRY_AFTER {
                    tracing::warn!(
                        requested_secs = d.as_secs(),
                        cap_secs = MAX_RETRY_AFTER.as_secs(),
                        "server asked to wait longer than the Retry-After cap; waiting the cap"
                    );
                }
                d.clamp(Duration::from_millis(10), MAX_RETRY_AFTER)
            }
            RetryClass::Backoff | RetryClass::Permanent => {
                let exp = self
                    .base
                    .saturating_mul(1u32 << failures.saturating_sub(1).min(20));
                let ceiling = exp.min(self.cap);
                // Half fixed, half random: never zero, never above the cap.
                ceiling.mul_f64(0.5 + 0.5 * jitter.clamp(0.0, 1.0))
            }
        }
    }
}

/// What the outbox tells the rest of Gavel (clerk notices, receipts, metrics, web).
#[derive(Debug, Clone, PartialEq)]
pub enum OutboxEvent {
    Delivered {
        target: String,
        entry_id: i64,
        meeting: MeetingId,
        seq: EntryNo,
        latency: Duration,
    },
    /// A target has failed `report_after` times in a row; its queue is kept.
    Failing {
        target: String,
        error: String,
        queued: u32,
    },
    /// A notice (such as a consultation reminder) reached a target.
    NoticeDelivered { target: String, key: String },
    /// The platform refused a notice for good; the notice queue moved on.
    NoticeRejected {
        target: String,
        key: String,
        error: String,
    },
    /// A failing target delivered again.
    Recovered { target: String, queued: u32 },
    /// The platform refused one message for good; the queue moved on.
    Rejected {
        target: String,
        entry_id: i64,
        seq: EntryNo,
        error: String,
    },
}

struct TargetRuntime {
    name: String,
    sink: Arc<dyn Sink>,
    wake: Arc<Notify>,
    /// New entry delivery rows, as the archive commits them.
    handoff: Handoff,
}

#[derive(Debug, Clone, Default)]
struct Health {
    failing: Option<String>,
    consecutive_failures: u32,
}

pub struct Outbox {
    archive: Arc<Archive>,
    targets: Vec<TargetRuntime>,
    /// Index in `targets` by name.
    by_name: HashMap<String, usize>,
    health: Mutex<HashMap<String, Health>>,
    events: broadcast::Sender<OutboxEvent>,
    policy: RetryPolicy,
    /// The council's language, for the "(corrected …)" marker an edited message shows.
    language: Language,
    /// Writes every target's delivery outcomes, in group commits.
    recorder: Recorder,
    /// What the archive commits, subscribed to before any target runs; taken by the task that
    /// hands new rows to the targets (see [`Outbox::spawn`]).
    commits: Mutex<Option<Subscription>>,
    /// Several instances share the archive: each target is delivered only under its lease.
    cluster: std::sync::OnceLock<Arc<Cluster>>,
}

impl Outbox {
    pub fn new(
        archive: Arc<Archive>,
        targets: Vec<(String, Arc<dyn Sink>)>,
        policy: RetryPolicy,
        language: Language,
    ) -> Arc<Outbox> {
        let (events, _) = broadcast::channel(4096);
        let by_name = targets
            .iter()
            .enumerate()
            .map(|(i, (name, _))| (name.clone(), i))
            .collect();
        Arc::new(Outbox {
            commits: Mutex::new(Some(archive.subscribe())),
            recorder: {
                let archive = Arc::clone(&archive);
                Recorder::new(move |outcomes| archive.record_outcomes(outcomes))
            },
            archive,
            targets: targets
                .into_iter()
                .map(|(name, sink)| TargetRuntime {
                    name,
                    sink,
                    wake: Arc::new(Notify::new()),
                    handoff: Handoff::default(),
                })
                .collect(),
            by_name,
            health: Mutex::new(HashMap::new()),
            events,
            policy,
            language,
            cluster: std::sync::OnceLock::new(),
        })
    }

    /// Delivers each target only while this instance holds its lease (several instances share
    /// the archive; see [`crate::cluster`]). Set before [`Outbox::spawn`].
    pub fn share(&self, cluster: Arc<Cluster>) {
        for t in &self.targets {
            cluster.want(crate::cluster::target_lease(&t.name));
        }
        let _ = self.cluster.set(cluster);
    }

    /// How long an idle target waits before reading its queues unwoken: with other instances
    /// appending, no longer than the cluster's poll.
    fn idle_recheck(&self) -> Duration {
        match self.cluster.get() {
            Some(_) => self.policy.idle_recheck.min(crate::cluster::POLL),
            None => self.policy.idle_recheck,
        }
    }

    pub fn target_names(&self) -> Vec<String> {
        self.targets.iter().map(|t| t.name.clone()).collect()
    }

    pub fn subscribe(&self) -> broadcast::Receiver<OutboxEvent> {
        self.events.subscribe()
    }

    pub fn policy(&self) -> RetryPolicy {
        self.policy
    }

    /// Starts one delivery task per target. Each stops between deliveries once `cancel` fires,
    /// letting an in-flight send finish within the policy's drain deadline.
    pub fn spawn(self: &Arc<Self>, tracker: &TaskTracker, cancel: CancellationToken) {
        let commits = self
            .commits
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(commits) = commits {
            let me = Arc::clone(self);
            let cancel = cancel.clone();
            tracker.spawn(async move { me.hand_over(commits, cancel).await });
        }
        for i in 0..self.targets.len() {
            let me = Arc::clone(self);
            let cancel = cancel.clone();
            tracker.spawn(async move { me.run_target(i, cancel).await });
        }
    }

    fn health_of(&self, target: &str) -> Health {
        self.health
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(target)
            .cloned()
            .unwrap_or_default()
    }

    fn set_health(&self, target: &str, h: Health) {
        self.health
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(target.to_string(), h);
    }

    /// One target's delivery loop over its two queues: entries and notices.
    ///
    /// Each queue keeps its own order and its own retry state, and the loop sends the head of
    /// whichever queue is ready, taking turns when both are. So a notice the platform keeps
    /// refusing with a retryable error waits out its backoff without holding up the meeting's
    /// entries, and the reverse; when the whole target is down both queues back off and keep
    /// everything. A permanent refusal marks that one row failed and its queue moves on.
    ///
    /// The loop reads its queues only when it cannot know what they hold. Once a read found
    /// nothing behind what the loop then finished (nothing behind the head it took, nothing in
    /// the other queue), the queues are *known*: a new entry row is handed over by the archive
    /// as it is committed (see `handoff`), and anything else written (notices, a batch) marks
    /// the hand-off unseen, so the next turn reads. A wake that came during a delivery left its
    /// permit in `wake`, so no row waits. A failure, or `idle_recheck` without a read, forgets
    /// what is known and the loop reads again.
    async fn run_target(&self, index: usize, cancel: CancellationToken) {
        let t = &self.targets[index];
        let mut queues = [QueueState::default(), QueueState::default()];
        // Entries go first when both queues are ready at the start.
        let mut last_taken = NOTICES;
        let mut known = false;
        // The highest entry row finished (delivered or refused, and recorded).
        let mut finished: i64 = 0;
        let mut read_at = tokio::time::Instant::now();
        let lease = crate::cluster::target_lease(&t.name);
        // This instance's tenure of the target's lease, when several share the archive.
        let mut tenure: Option<Fence> = None;
        // A new tenure's first entry row, if a post, asks the platform whether the last holder
        // sent it (the head of the entry queue is what it may have had in flight).
        let mut took_over = false;
        loop {
            if cancel.is_cancelled() {
                break;
            }
            if let Some(c) = self.cluster.get() {
                match c.tenure(&lease) {
                    Some(f) if tenure.as_ref() == Some(&f) => {}
                    Some(f) => {
                        // A new tenure: another instance may have delivered meanwhile.
                        tracing::info!(target_name = %t.name, token = f.token, "delivering to this target");
                        known = false;
                        queues = Default::default();
                        tenure = Some(f);
                        took_over = true;
                    }
                    None => {
                        if tenure.take().is_some() {
                            tracing::warn!(target_name = %t.name, "no longer delivering to this target: its lease is another instance's");
                        }
                        tokio::select! {
                            _ = c.changed(crate::cluster::POLL) => {}
                            _ = cancel.cancelled() => break,
                        }
                        continue;
                    }
                }
            }
            // Also a safety net: rows written by another process are read in time.
            if known && read_at.elapsed() >= self.idle_recheck() {
                known = false;
            }
            let handed = if known {
                t.handoff.next(finished)
            } else {
                Next::Unseen
            };
            let read = match handed {
                Next::Row(row) => Ok((
                    [Some(Work::Entry(EntryWork::from(row))), None],
                    [false, false],
                )),
                Next::Nothing => Ok(([None, None], [false, false])),
                Next::Unseen => {
                    known = false;
                    // The read sees every row handed over so far.
                    t.handoff.reset();
                    read_at = tokio::time::Instant::now();
                    self.heads(&t.name)
                }
            };
            let (heads, more) = match read {
                Ok(h) => h,
                Err(e) => {
                    tracing::error!(target_name = %t.name, error = %e, "cannot read the outbox");
                    if sleep_or_cancel(self.policy.cap, &cancel).await {
                        break;
                    }
                    continue;
                }
            };
            if heads.iter().all(Option::is_none) {
                // Both queues are empty as of this read (or known to be).
                known = true;
            }
            let now = tokio::time::Instant::now();
            for (q, head) in queues.iter_mut().zip(&heads) {
                q.observe(head.as_ref(), now, self.policy.cap);
            }
            let ready: Vec<usize> = (0..2)
                .filter(|&i| heads[i].is_some() && queues[i].is_ready(now))
                .collect();
            let pick = match ready.as_slice() {
                [] => {
                    let until = queues
                        .iter()
                        .zip(&heads)
                        .filter(|(_, h)| h.is_some())
                        .filter_map(|(q, _)| q.not_before)
                        .min();
                    if until.is_none() {
                        queues = Default::default();
                    }
                    let until = until.unwrap_or(now + self.idle_recheck());
                    tokio::select! {
                        _ = t.wake.notified() => {}
                        _ = cancel.cancelled() => break,
                        _ = tokio::time::sleep_until(until) => known = false,
                    }
                    continue;
                }
                [only] => *only,
                _ => 1 - last_taken,
            };
            last_taken = pick;
            // Whether, once `pick`'s head is done with, both queues are empty as far as known.
            let last_known = !more[pick] && heads[1 - pick].is_none();
            let Some(work) = heads.into_iter().nth(pick).flatten() else {
                continue;
            };
            // Checked again just before sending: a tenure that ran out (this instance stalled,
            // or lost the database) sends nothing.
            if let Some(c) = self.cluster.get()
                && c.tenure(&lease) != tenure
            {
                continue;
            }
            let fence = tenure.as_ref();
            let started = tokio::time::Instant::now();
            let outcome = tokio::select! {
                r = self.perform_work(t, &work, took_over && matches!(work, Work::Entry(_))) => r,
                _ = async { cancel.cancelled().await; tokio::time::sleep(self.policy.drain).await } => {
                    tracing::warn!(target_name = %t.name, row = work.id(), "shutdown deadline reached; delivery left queued");
                    break;
                }
            };
            // Asked until the entry queue's head is settled (a failed ask or post is retried
            // with the question).
            if matches!(work, Work::Entry(_))
                && matches!(
                    &outcome,
                    Ok(_)
                        | Err(DeliverError::Sink(SinkError {
                            class: RetryClass::Permanent,
                            ..
                        }))
                )
            {
                took_over = false;
            }
            let recorded = match outcome {
                Ok(remote) => {
                    queues[pick].failures = 0;
                    self.on_delivered(t, &work, remote, started.elapsed(), fence)
                        .await
                }
                Err(DeliverError::Archive(e)) => {
                    tracing::error!(target_name = %t.name, error = %e, "archive error during delivery");
                    known = false;
                    if sleep_or_cancel(self.policy.cap, &cancel).await {
                        break;
                    }
                    continue;
                }
                Err(DeliverError::Sink(e)) if e.class == RetryClass::Permanent => {
                    self.on_rejected(t, &work, e, fence).await
                }
                Err(DeliverError::Sink(e)) => {
                    let q = &mut queues[pick];
                    q.failures += 1;
                    let wait =
                        self.policy
                            .delay(q.failures, e.class, rand::thread_rng().r#gen::<f64>());
                    q.not_before = Some(tokio::time::Instant::now() + wait);
                    self.on_retry(t, &work, &e, q.failures, wait, fence).await;
                    // The row stays pending, behind its backoff: the queues are read again.
                    known = false;
                    continue;
                }
            };
            // The row is finished once its outcome is recorded; if that failed it may still be
            // pending, and only a read can say.
            known = recorded && last_known;
            if recorded && let Work::Entry(d) = &work {
                finished = finished.max(d.id);
            }
        }
        tracing::debug!(target_name = %t.name, "delivery task stopped");
    }

    /// The oldest pending entry delivery and the oldest pending notice of `target`, and for
    /// each queue whether another row is pending behind its head.
    fn heads(&self, target: &str) -> Result<([Option<Work>; 2], [bool; 2]), ArchiveError> {
        let (entry, more_entries) = self.archive.next_delivery_and_more(target)?;
        let (notice, more_notices) = self.archive.next_notice_delivery_and_more(target)?;
        Ok((
            [
                entry.map(|d| Work::Entry(EntryWork::from(d))),
                notice.map(Work::Notice),
            ],
            [more_entries, more_notices],
        ))
    }

    /// Records what became of `work` (see [`Recorder`]): durable once this returns `Ok`.
    async fn record(
        &self,
        work: &Work,
        result: Attempt,
        fence: Option<&Fence>,
    ) -> Result<(), RecordError> {
        let queue = match work {
            Work::Entry(_) => Queue::Entries,
            Work::Notice(_) => Queue::Notices,
        };
        self.recorder
            .record(Outcome {
                queue,
                id: work.id(),
                result,
                fence: fence.cloned(),
            })
            .await
    }

    /// Whether the delivery was recorded (the row is no longer pending).
    async fn on_delivered(
        &self,
        t: &TargetRuntime,
        work: &Work,
        remote: Vec<String>,
        latency: Duration,
        fence: Option<&Fence>,
    ) -> bool {
        let recorded = self
            .record(
                work,
                Attempt::Delivered {
                    remote_ids: remote,
                    at: Utc::now(),
                },
                fence,
            )
            .await;
        if let Err(e @ RecordError::Fenced) = recorded {
            tracing::warn!(target_name = %t.name, error = %e, "delivered after another instance took the target over");
            return false;
        }
        if let Err(e) = recorded {
            tracing::error!(target_name = %t.name, error = %e, "delivered but could not record it; it may be sent again");
            return false;
        }
        // A healthy target (the usual case) has nothing to clear.
        let was_failing = self
            .health
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&t.name)
            .is_some_and(|h| h.failing.is_some());
        if was_failing {
            let queued = self.queued(&t.name);
            tracing::warn!(target_name = %t.name, queued, "target recovered");
            let _ = self.events.send(OutboxEvent::Recovered {
                target: t.name.clone(),
                queued,
            });
        }
        let _ = self.events.send(match work {
            Work::Entry(d) => OutboxEvent::Delivered {
                target: t.name.clone(),
                entry_id: d.entry.id,
                meeting: d.entry.meeting,
                seq: d.entry.seq,
                latency,
            },
            Work::Notice(n) => OutboxEvent::NoticeDelivered {
                target: t.name.clone(),
                key: n.key.clone(),
            },
        });
        true
    }

    /// Whether the refusal was recorded (the row is no longer pending).
    async fn on_rejected(
        &self,
        t: &TargetRuntime,
        work: &Work,
        e: SinkError,
        fence: Option<&Fence>,
    ) -> bool {
        match work {
            Work::Entry(d) => {
                tracing::error!(target_name = %t.name, seq = %d.entry.seq, error = %e, "target refused a message for good");
            }
            Work::Notice(n) => {
                tracing::error!(target_name = %t.name, notice = %n.key, error = %e, "target refused a notice for good");
            }
        }
        let refused = Attempt::Refused {
            error: e.message.clone(),
            at: Utc::now(),
        };
        let recorded = self.record(work, refused, fence).await;
        if let Err(ae) = &recorded {
            tracing::error!(target_name = %t.name, error = %ae, "cannot record a refused delivery");
        }
        let _ = self.events.send(match work {
            Work::Entry(d) => OutboxEvent::Rejected {
                target: t.name.clone(),
                entry_id: d.entry.id,
                seq: d.entry.seq,
                error: e.message,
            },
            Work::Notice(n) => OutboxEvent::NoticeRejected {
                target: t.name.clone(),
                key: n.key.clone(),
                error: e.message,
            },
        });
        recorded.is_ok()
    }

    /// Records a retryable failure and reports the target as failing once it has failed
    /// `report_after` times in a row (counting both queues: the target's health is one thing).
    async fn on_retry(
        &self,
        t: &TargetRuntime,
        work: &Work,
        e: &SinkError,
        attempt: u32,
        wait: Duration,
        fence: Option<&Fence>,
    ) {
        tracing::warn!(target_name = %t.name, attempt, wait_ms = wait.as_millis() as u64, error = %e, "delivery retry");
        let next_at = Utc::now() + chrono::Duration::from_std(wait).unwrap_or_default();
        let retry = Attempt::Retry {
            error: e.message.clone(),
            next_at,
        };
        let recorded = self.record(work, retry, fence).await;
        if let Err(ae) = recorded {
            tracing::error!(target_name = %t.name, error = %ae, "cannot record a failed attempt");
        }
        let mut h = self.health_of(&t.name);
        h.consecutive_failures += 1;
        if h.consecutive_failures >= self.policy.report_after && h.failing.is_none() {
            h.failing = Some(e.message.clone());
            let queued = self.queued(&t.name);
            tracing::error!(target_name = %t.name, queued, error = %e, "target is failing; its queue is kept");
            let _ = self.events.send(OutboxEvent::Failing {
                target: t.name.clone(),
                error: e.message.clone(),
                queued,
            });
        } else if h.failing.is_some() {
            h.failing = Some(e.message.clone());
        }
        self.set_health(&t.name, h);
    }

    /// Pending entries and notices for `target`.
    fn queued(&self, target: &str) -> u32 {
        self.archive.queue_depth(target).unwrap_or(0)
            + self.archive.notice_queue_depth(target).unwrap_or(0)
    }

    /// Performs `work`; `took_over`: first after taking the target over from another instance.
    async fn perform_work(
        &self,
        t: &TargetRuntime,
        work: &Work,
        took_over: bool,
    ) -> Result<Vec<String>, DeliverError> {
        match work {
            Work::Entry(d) => self.perform(t, d, took_over).await,
            Work::Notice(n) => {
                let notice = Notice {
                    key: IdempotencyKey::derive(&n.key, &t.name, "notice"),
                    text: n.text.clone(),
                };
                Ok(t.sink.post_notice(&notice).await?)
            }
        }
    }

    async fn perform(
        &self,
        t: &TargetRuntime,
        d: &EntryWork,
        took_over: bool,
    ) -> Result<Vec<String>, DeliverError> {
        let key = IdempotencyKey::derive(&d.entry.hash, &t.name, d.op.as_str());
        let caps = t.sink.capabilities();
        let post = Outgoing {
            key,
            entry: &d.entry,
            original: None,
            text: render::post_text(&d.entry),
            original_remote: Vec::new(),
            thread_root: self.thread_root(t, &d.entry)?,
        };
        match d.op {
            DeliveryOp::Post => {
                if took_over && let Some(remote) = t.sink.already_posted(&post).await? {
                    tracing::info!(target_name = %t.name, seq = %d.entry.seq, "already posted by the instance before this one");
                    return Ok(remote);
                }
                Ok(t.sink.post(&post).await?)
            }
            DeliveryOp::Edit | DeliveryOp::Delete => {
                let Some(n) = d.entry.refers_to else {
                    return Ok(Vec::new());
                };
                let Some(original) = self.archive.entry(d.entry.meeting, n)? else {
                    return Ok(Vec::new());
                };
                let Some(remote) = self.archive.remote_ids(&t.name, original.id)? else {
                    // The original never reached this target (added later, or private): nothing to amend.
                    return Ok(Vec::new());
                };
                let amend_in_place = !remote.is_empty()
                    && match d.op {
                        DeliveryOp::Edit => caps.edit,
                        _ => caps.delete,
                    };
                let amend = |text: String| Outgoing {
                    original: Some(&original),
                    original_remote: remote.clone(),
                    text,
                    ..post.clone()
                };
                if !amend_in_place {
                    // A notice of the change, posted like any entry.
                    return Ok(t.sink.post(&amend(post.text.clone())).await?);
                }
                if d.op == DeliveryOp::Edit {
                    let text = render::corrected_post_text(&original, &d.entry, self.language);
                    Ok(t.sink.edit(&remote, &amend(text)).await?)
                } else {
                    Ok(t.sink.delete(&remote, &amend(d.entry.text.clone())).await?)
                }
            }
        }
    }

    /// Where a threaded target should put `entry`: under its meeting's opening post there.
    /// `None` for the opening post itself, for targets without threads, and when the opening
    /// post never reached the target (refused for good, or the target was added mid-meeting):
    /// the entry then goes to the channel as before, never lost.
    fn thread_root(
        &self,
        t: &TargetRuntime,
        entry: &Entry,
    ) -> Result<Option<ThreadRoot>, ArchiveError> {
        if !t.sink.threads() || entry.kind() == EntryKind::Start {
            return Ok(None);
        }
        let Some((title, remote)) = self.archive.opening_post(&t.name, entry.meeting)? else {
            return Ok(None);
        };
        let Some(remote) = remote.into_iter().next() else {
            return Ok(None);
        };
        let new_messages_for_edits = !t.sink.capabilities().edit;
        let parent = self
            .archive
            .latest_message(&t.name, entry.meeting, new_messages_for_edits)?
            .and_then(|ids| ids.last().cloned());
        Ok(Some(ThreadRoot {
            remote,
            title,
            parent,
        }))
    }
}

/// Index of the notice queue in a target's two queues (entries are 0).
const NOTICES: usize = 1;

/// The head of one of a target's queues.
enum Work {
    Entry(EntryWork),
    Notice(NoticeDelivery),
}

/// An entry delivery row to perform: read from the archive or handed over by it.
struct EntryWork {
    id: i64,
    /// Shared by every target a handed-over entry goes to.
    entry: Arc<Entry>,
    op: DeliveryOp,
    next_attempt_at: Option<chrono::DateTime<Utc>>,
}

impl From<Delivery> for EntryWork {
    fn from(d: Delivery) -> Self {
        EntryWork {
            id: d.id,
            entry: Arc::new(d.entry),
            op: d.op,
            next_attempt_at: d.next_attempt_at,
        }
    }
}

impl From<Handed> for EntryWork {
    fn from(h: Handed) -> Self {
        EntryWork {
            id: h.id,
            entry: h.entry,
            op: h.op,
            next_attempt_at: None,
        }
    }
}

impl Work {
    fn id(&self) -> i64 {
        match self {
            Work::Entry(d) => d.id,
            Work::Notice(n) => n.id,
        }
    }

    fn next_attempt_at(&self) -> Option<chrono::DateTime<Utc>> {
        match self {
            Work::Entry(d) => d.next_attempt_at,
            Work::Notice(n) => n.next_attempt_at,
        }
    }
}

/// The in-memory retry state of one queue of one target.
#[derive(Debug, Default)]
struct QueueState {
    /// Consecutive failures of this queue's head, for its backoff.
    failures: u32,
    /// Not before this instant is the head tried again.
    not_before: Option<tokio::time::Instant>,
    /// The head row this state describes.
    head: Option<i64>,
}

impl QueueState {
    /// Notes the queue's current head. A head this process has not tried yet honours the
    /// `next_attempt_at` an earlier process stored for it (capped, so a clock change cannot
    /// park it for long).
    fn observe(&mut self, head: Option<&Work>, now: tokio::time::Instant, cap: Duration) {
        let id = head.map(Work::id);
        if id == self.head {
            return;
        }
        self.head = id;
        self.not_before = head.and_then(Work::next_attempt_at).and_then(|at| {
            let wait = (at - Utc::now()).to_std().ok()?.min(cap);
            Some(now + wait)
        });
    }

    fn is_ready(&self, now: tokio::time::Instant) -> bool {
        self.not_before.is_none_or(|t| t <= now)
    }
}

enum DeliverError {
    Sink(SinkError),
    Archive(ArchiveError),
}

impl From<SinkError> for DeliverError {
    fn from(e: SinkError) -> Self {
        DeliverError::Sink(e)
    }
}

impl From<ArchiveError> for DeliverError {
    fn from(e: ArchiveError) -> Self {
        DeliverError::Archive(e)
    }
}

/// Sleeps for `d`; returns true if cancelled first.
async fn sleep_or_cancel(d: Duration, cancel: &CancellationToken) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(d) => false,
        _ = cancel.cancelled() => true,
    }
}

/// A wake says rows may have been written that were not handed over (notices, rows written
/// elsewhere): each target reads its queues.
impl DeliveryWaker for Outbox {
    fn wake(&self) {
        for t in &self.targets {
            t.handoff.mark_unseen();
            t.wake.notify_one();
        }
    }
}

impl Outbox {
    /// Hands each committed entry delivery row to its target, in commit order, until the
    /// archive closes or `cancel` fires. Anything not listed row by row (a batch, commits
    /// missed by falling behind) makes every target read its queues.
    async fn hand_over(&self, mut commits: Subscription, cancel: CancellationToken) {
        loop {
            let published = tokio::select! {
                p = commits.next() => p,
                () = cancel.cancelled() => return,
            };
            match published {
                Published::Commit(c) => match &*c {
                    Commit::Rows { entry, rows } => self.hand(entry, rows),
                    Commit::Unlisted => self.wake(),
                },
                Published::Lagged => self.wake(),
                Published::Closed => return,
            }
        }
    }

    fn hand(&self, entry: &Arc<Entry>, rows: &[CommittedRow]) {
        for row in rows {
            // A row for a target this outbox does not run stays in the archive.
            let Some(&i) = self.by_name.get(row.target.as_str()) else {
                continue;
            };
            let t = &self.targets[i];
            if self.cluster.get().is_some() {
                // Other instances append too, and their rows are not handed over: only a read
                // of the queue keeps the target's order.
                t.handoff.mark_unseen();
                t.wake.notify_one();
                continue;
            }
            t.handoff.push(Handed {
                id: row.id,
                op: row.op,
                entry: Arc::clone(entry),
            });
            t.wake.notify_one();
        }
    }
}

impl HealthSource for Outbox {
    fn target_status(&self) -> Vec<TargetStatus> {
        self.targets
            .iter()
            .map(|t| TargetStatus {
                name: t.name.clone(),
                queued: self.queued(&t.name),
                failing: self.health_of(&t.name).failing,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;
