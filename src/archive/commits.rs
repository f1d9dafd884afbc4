//! What the archive committed, published in commit order to whoever subscribes.
//!
//! An engine publishes each commit that wrote delivery rows right after it commits, still
//! holding its writer, so subscribers see commits in the order they were made, which is the
//! order of the rows' ids. The archive knows nothing of who listens: the outbox subscribes, so
//! that a target whose queues were empty can deliver a new entry without reading it back.
//!
//! A subscriber that falls more than [`CAPACITY`] commits behind is told it lagged, and must
//! read the queues instead (as it must for [`Commit::Unlisted`]). Commits made by another
//! process are not published here.

use std::sync::Arc;

use tokio::sync::broadcast;

use super::DeliveryOp;
use crate::domain::Entry;

/// Commits kept for a subscriber that has not taken them yet.
pub const CAPACITY: usize = 4096;

/// One entry delivery row as committed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommittedRow {
    pub target: String,
    /// The row's id: rows are numbered in the order they are committed.
    pub id: i64,
    pub op: DeliveryOp,
}

/// What one commit wrote for delivery.
#[derive(Debug, Clone)]
pub enum Commit {
    /// Entry delivery rows, all for `entry`, in id order.
    Rows {
        entry: Arc<Entry>,
        rows: Vec<CommittedRow>,
    },
    /// Delivery rows were committed that are not listed one by one (a batch).
    Unlisted,
}

impl Commit {
    /// The rows an append committed: `ids[i]` is the row written for `deliveries[i]`.
    pub fn rows(entry: &Entry, deliveries: &[(String, DeliveryOp)], ids: Vec<i64>) -> Commit {
        let rows = deliveries
            .iter()
            .zip(ids)
            .map(|((target, op), id)| CommittedRow {
                target: target.clone(),
                id,
                op: *op,
            })
            .collect();
        Commit::Rows {
            entry: Arc::new(entry.clone()),
            rows,
        }
    }
}

/// What a subscriber receives next.
#[derive(Debug, Clone)]
pub enum Published {
    Commit(Arc<Commit>),
    /// Commits were missed (the subscriber fell behind): read the queues.
    Lagged,
    /// The archive is gone.
    Closed,
}

/// The publishing side, owned by an engine.
#[derive(Debug)]
pub struct Publisher {
    tx: broadcast::Sender<Arc<Commit>>,
}

impl Default for Publisher {
    fn default() -> Self {
        Publisher {
            tx: broadcast::channel(CAPACITY).0,
        }
    }
}

impl Publisher {
    /// Publishes one commit. Call it right after the commit, before the next write can start.
    pub fn publish(&self, commit: Commit) {
        if self.tx.receiver_count() > 0 {
            // Nobody listening is not an error: the rows are durable either way.
            let _ = self.tx.send(Arc::new(commit));
        }
    }

    pub fn subscribe(&self) -> Subscription {
        Subscription {
            rx: self.tx.subscribe(),
        }
    }
}

/// The receiving side: every commit published after it was made, in order.
#[derive(Debug)]
pub struct Subscription {
    rx: broadcast::Receiver<Arc<Commit>>,
}

impl Subscription {
    pub async fn next(&mut self) -> Published {
        match self.rx.recv().await {
            Ok(c) => Published::Commit(c),
            Err(broadcast::error::RecvError::Lagged(_)) => Published::Lagged,
            Err(broadcast::error::RecvError::Closed) => Published::Closed,
        }
    }

    /// The next commit if one is waiting, without waiting (tests and tools).
    pub fn try_next(&mut self) -> Option<Published> {
        match self.rx.try_recv() {
            Ok(c) => Some(Published::Commit(c)),
            Err(broadcast::error::TryRecvError::Lagged(_)) => Some(Published::Lagged),
            Err(broadcast::error::TryRecvError::Closed) => Some(Published::Closed),
            Err(broadcast::error::TryRecvError::Empty) => None,
        }
    }
}
