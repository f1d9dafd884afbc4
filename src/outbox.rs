//! The outbox: one ordered, durable queue per target, delivered by one task per target.
//!
//! Delivery rows are written in the same transaction as their entry (see [`crate::archive`]).
//! Each target's task peeks its oldest pending row, asks the sink to post / edit / delete,
//! records the remote message ids, then moves on. A failure pauses only that target: the row
//! stays pending and is retried by the shared [`RetryPolicy`]; nothing is dropped. Corrections
//! and withdrawals find the original's remote ids, which exist because the original was earlier
//! in the same queue.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use rand::Rng;
use tokio::sync::{Notify, broadcast};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::archive::{Archive, ArchiveError, Delivery, DeliveryOp};
use crate::desk::{DeliveryWaker, HealthSource, TargetStatus};
use crate::domain::{Entry, EntryKind, EntryNo, MeetingId};
use crate::render;
use crate::sink::{IdempotencyKey, Outgoing, RetryClass, Sink, SinkError, ThreadRoot};

/// Capped exponential backoff with full jitter, shared by every target.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub base: Duration,
    pub cap: Duration,
    /// Consecutive failures after which a target is reported to the clerks as failing.
    pub report_after: u32,
    /// How long in-flight deliveries may run after shutdown is requested.
    pub drain: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            base: Duration::from_millis(500),
            cap: Duration::from_secs(60),
            report_after: 3,
            drain: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// The wait before attempt `failures + 1`, given the class of the last failure.
    /// `jitter` in [0, 1) scales the upper half of the exponential window.
    pub fn delay(&self, failures: u32, class: RetryClass, jitter: f64) -> Duration {
        match class {
            RetryClass::After(d) => d.min(self.cap.max(d)).max(Duration::from_millis(10)),
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
}

#[derive(Debug, Clone, Default)]
struct Health {
    failing: Option<String>,
    consecutive_failures: u32,
}

pub struct Outbox {
    archive: Arc<Archive>,
    targets: Vec<TargetRuntime>,
    health: Mutex<HashMap<String, Health>>,
    events: broadcast::Sender<OutboxEvent>,
    policy: RetryPolicy,
}

impl Outbox {
    pub fn new(
        archive: Arc<Archive>,
        targets: Vec<(String, Arc<dyn Sink>)>,
        policy: RetryPolicy,
    ) -> Arc<Outbox> {
        let (events, _) = broadcast::channel(4096);
        Arc::new(Outbox {
            archive,
            targets: targets
                .into_iter()
                .map(|(name, sink)| TargetRuntime {
                    name,
                    sink,
                    wake: Arc::new(Notify::new()),
                })
                .collect(),
            health: Mutex::new(HashMap::new()),
            events,
            policy,
        })
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

    async fn run_target(&self, index: usize, cancel: CancellationToken) {
        let t = &self.targets[index];
        let mut failures = 0u32;
        // The delivery this task has already waited for; a stored `next_attempt_at` only
        // matters for rows left failing by an earlier process.
        let mut waited_for: Option<i64> = None;
        loop {
            if cancel.is_cancelled() {
                break;
            }
            let next = match self.archive.next_delivery(&t.name) {
                Ok(n) => n,
                Err(e) => {
                    tracing::error!(target_name = %t.name, error = %e, "cannot read the outbox");
                    if sleep_or_cancel(self.policy.cap, &cancel).await {
                        break;
                    }
                    continue;
                }
            };
            let Some(delivery) = next else {
                failures = 0;
                tokio::select! {
                    _ = t.wake.notified() => {}
                    _ = cancel.cancelled() => break,
                    // A safety net: rows written by another process are picked up too.
                    _ = tokio::time::sleep(Duration::from_secs(5)) => {}
                }
                continue;
            };
            if let Some(at) = delivery
                .next_attempt_at
                .filter(|_| waited_for != Some(delivery.id))
            {
                let wait = (at - Utc::now())
                    .to_std()
                    .unwrap_or_default()
                    .min(self.policy.cap);
                if !wait.is_zero() && sleep_or_cancel(wait, &cancel).await {
                    break;
                }
            }
            let started = tokio::time::Instant::now();
            let outcome = tokio::select! {
                r = self.perform(t, &delivery) => r,
                _ = async { cancel.cancelled().await; tokio::time::sleep(self.policy.drain).await } => {
                    tracing::warn!(target_name = %t.name, delivery = delivery.id, "shutdown deadline reached; delivery left queued");
                    break;
                }
            };
            match outcome {
                Ok(remote) => {
                    failures = 0;
                    if let Err(e) = self
                        .archive
                        .complete_delivery(delivery.id, &remote, Utc::now())
                    {
                        tracing::error!(target_name = %t.name, error = %e, "delivered but could not record it; it may be sent again");
                        continue;
                    }
                    let was = self.health_of(&t.name);
                    self.set_health(&t.name, Health::default());
                    if was.failing.is_some() {
                        let queued = self.archive.queue_depth(&t.name).unwrap_or(0);
                        tracing::warn!(target_name = %t.name, queued, "target recovered");
                        let _ = self.events.send(OutboxEvent::Recovered {
                            target: t.name.clone(),
                            queued,
                        });
                    }
                    let _ = self.events.send(OutboxEvent::Delivered {
                        target: t.name.clone(),
                        entry_id: delivery.entry.id,
                        meeting: delivery.entry.meeting,
                        seq: delivery.entry.seq,
                        latency: started.elapsed(),
                    });
                }
                Err(DeliverError::Archive(e)) => {
                    tracing::error!(target_name = %t.name, error = %e, "archive error during delivery");
                    if sleep_or_cancel(self.policy.cap, &cancel).await {
                        break;
                    }
                }
                Err(DeliverError::Sink(e)) if e.class == RetryClass::Permanent => {
                    tracing::error!(target_name = %t.name, seq = %delivery.entry.seq, error = %e, "target refused a message for good");
                    if let Err(ae) = self
                        .archive
                        .fail_delivery(delivery.id, &e.message, Utc::now())
                    {
                        tracing::error!(target_name = %t.name, error = %ae, "cannot record a refused delivery");
                    }
                    let _ = self.events.send(OutboxEvent::Rejected {
                        target: t.name.clone(),
                        entry_id: delivery.entry.id,
                        seq: delivery.entry.seq,
                        error: e.message,
                    });
                }
                Err(DeliverError::Sink(e)) => {
                    failures += 1;
                    let wait =
                        self.policy
                            .delay(failures, e.class, rand::thread_rng().r#gen::<f64>());
                    tracing::warn!(target_name = %t.name, attempt = failures, wait_ms = wait.as_millis() as u64, error = %e, "delivery retry");
                    let next_at = Utc::now() + chrono::Duration::from_std(wait).unwrap_or_default();
                    if let Err(ae) = self
                        .archive
                        .record_failure(delivery.id, &e.message, next_at)
                    {
                        tracing::error!(target_name = %t.name, error = %ae, "cannot record a failed attempt");
                    }
                    let mut h = self.health_of(&t.name);
                    h.consecutive_failures = failures;
                    if failures >= self.policy.report_after && h.failing.is_none() {
                        h.failing = Some(e.message.clone());
                        let queued = self.archive.queue_depth(&t.name).unwrap_or(0);
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
                    waited_for = Some(delivery.id);
                    if sleep_or_cancel(wait, &cancel).await {
                        break;
                    }
                }
            }
        }
        tracing::debug!(target_name = %t.name, "delivery task stopped");
    }

    async fn perform(&self, t: &TargetRuntime, d: &Delivery) -> Result<Vec<String>, DeliverError> {
        let key = IdempotencyKey::derive(&d.entry.hash, &t.name, d.op.as_str());
        let caps = t.sink.capabilities();
        let post = Outgoing {
            key,
            entry: &d.entry,
            original: None,
            text: render::post_text(&d.entry),
            thread_root: self.thread_root(t, &d.entry)?,
        };
        match d.op {
            DeliveryOp::Post => Ok(t.sink.post(&post).await?),
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
                    text,
                    ..post.clone()
                };
                if !amend_in_place {
                    // A notice of the change, posted like any entry.
                    return Ok(t.sink.post(&amend(post.text.clone())).await?);
                }
                if d.op == DeliveryOp::Edit {
                    let text = render::corrected_post_text(&original, &d.entry);
                    Ok(t.sink.edit(&remote, &amend(text)).await?)
                } else {
                    t.sink.delete(&remote, &amend(d.entry.text.clone())).await?;
                    Ok(Vec::new())
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
        if !t.sink.threads() || entry.kind == EntryKind::Start {
            return Ok(None);
        }
        let Some((title, remote)) = self.archive.opening_post(&t.name, entry.meeting)? else {
            return Ok(None);
        };
        Ok(remote
            .into_iter()
            .next()
            .map(|remote| ThreadRoot { remote, title }))
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

impl DeliveryWaker for Outbox {
    fn wake(&self) {
        for t in &self.targets {
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
                queued: self.archive.queue_depth(&t.name).unwrap_or(0),
                failing: self.health_of(&t.name).failing,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;
