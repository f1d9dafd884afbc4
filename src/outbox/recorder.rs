//! Group commit of delivery outcomes.
//!
//! Every target's delivery task records what became of each attempt before it reads its next
//! delivery. One commit each would cost one fsync each: with a hundred targets finishing
//! within a few milliseconds, a hundred fsyncs queue on the archive's one writer, and their
//! CPU competes with the sends still in flight. So outcomes are written in groups: the first
//! to arrive starts a writer on the blocking pool, which commits it; whatever arrived
//! meanwhile goes into the next transaction, and so on until none is waiting. Each caller
//! still waits for its own outcome to be durable before it goes on, exactly as with a commit
//! of its own, so nothing is sent twice after a crash that a single commit would have saved.

use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::oneshot;

use crate::archive::{ArchiveError, Outcome};

/// What a waiting caller hears back: `Err` carries the failed transaction's message (every
/// outcome of that group shares it), or says the outcome's fence no longer held.
type Reply = Result<(), Refused>;

#[derive(Debug, Clone)]
enum Refused {
    Group(String),
    Fenced,
}

/// Writes one group in one transaction: [`crate::archive::Archive::record_outcomes`], which
/// answers the indexes of the outcomes whose fence no longer held.
type Commit = dyn Fn(&[Outcome]) -> Result<Vec<usize>, ArchiveError> + Send + Sync;

pub(super) struct Recorder {
    commit: Arc<Commit>,
    state: Arc<Mutex<State>>,
}

#[derive(Default)]
struct State {
    waiting: Vec<(Outcome, oneshot::Sender<Reply>)>,
    /// A writer is running; it will take what is waiting.
    writing: bool,
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    // The state is a queue and a flag, consistent at every point a panic could occur.
    state.lock().unwrap_or_else(|p| p.into_inner())
}

/// Marks the writer running. Were it to end other than by finding nothing waiting (dropped
/// unrun as the runtime stops), this lets the waiting callers go with an error and lets a
/// later outcome start a new writer.
struct WriterRunning {
    state: Arc<Mutex<State>>,
    finished: bool,
}

impl Drop for WriterRunning {
    fn drop(&mut self) {
        if !self.finished {
            let mut s = lock(&self.state);
            s.writing = false;
            s.waiting.clear();
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub(super) enum RecordError {
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    /// The group's transaction failed (the archive's own message) or panicked; none of its
    /// outcomes was recorded.
    #[error("{0}")]
    Group(String),
    /// The outcome was not recorded: the lease it was delivered under has been taken over.
    #[error("the target's lease was taken over by another instance; the outcome was not recorded")]
    Fenced,
}

impl Recorder {
    pub(super) fn new(
        commit: impl Fn(&[Outcome]) -> Result<Vec<usize>, ArchiveError> + Send + Sync + 'static,
    ) -> Recorder {
        Recorder {
            commit: Arc::new(commit),
            state: Arc::default(),
        }
    }

    /// Records `outcome` in the next group commit and returns once that commit is durable.
    pub(super) async fn record(&self, outcome: Outcome) -> Result<(), RecordError> {
        let (tx, rx) = oneshot::channel();
        let start = {
            let mut s = lock(&self.state);
            s.waiting.push((outcome, tx));
            !std::mem::replace(&mut s.writing, true)
        };
        if start {
            let commit = Arc::clone(&self.commit);
            let running = WriterRunning {
                state: Arc::clone(&self.state),
                finished: false,
            };
            tokio::task::spawn_blocking(move || write_groups(&*commit, running));
        }
        match rx.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(Refused::Group(message))) => Err(RecordError::Group(message)),
            Ok(Err(Refused::Fenced)) => Err(RecordError::Fenced),
            // The writer was dropped without running: the runtime is stopping.
            Err(_) => Err(ArchiveError::ShuttingDown.into()),
        }
    }
}

/// Commits what is waiting, one transaction per group, until nothing is.
fn write_groups(commit: &Commit, mut running: WriterRunning) {
    loop {
        let group = {
            let mut s = lock(&running.state);
            if s.waiting.is_empty() {
                // Cleared under the same lock a caller pushes under: an outcome either made it
                // into this writer's last group or sees `writing` false and starts another.
                s.writing = false;
                running.finished = true;
                return;
            }
            std::mem::take(&mut s.waiting)
        };
        let (outcomes, replies): (Vec<Outcome>, Vec<oneshot::Sender<Reply>>) =
            group.into_iter().unzip();
        // A panic fails this group's callers like an error would, and the writer goes on: were
        // it to unwind, its callers would hear before `writing` is cleared and could strand
        // their next outcomes.
        let result = match std::panic::catch_unwind(AssertUnwindSafe(|| commit(&outcomes))) {
            Ok(r) => r.map_err(|e| Refused::Group(e.to_string())),
            Err(_) => Err(Refused::Group("the archive write panicked".to_string())),
        };
        for (i, reply) in replies.into_iter().enumerate() {
            let answer = match &result {
                Ok(fenced) if fenced.contains(&i) => Err(Refused::Fenced),
                Ok(_) => Ok(()),
                Err(e) => Err(e.clone()),
            };
            let _ = reply.send(answer);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::{Attempt, Queue};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::mpsc;
    use std::time::Duration;

    fn done(id: i64) -> Outcome {
        Outcome {
            fence: None,
            queue: Queue::Entries,
            id,
            result: Attempt::Delivered {
                remote_ids: vec![format!("m{id}")],
                at: chrono::Utc::now(),
            },
        }
    }

    async fn waiting(r: &Recorder, n: usize) {
        while lock(&r.state).waiting.len() < n {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }

    #[tokio::test]
    async fn outcomes_arriving_during_a_commit_share_the_next_one() {
        let groups = Arc::new(Mutex::new(Vec::<Vec<i64>>::new()));
        let (entered_tx, entered) = mpsc::channel::<()>();
        let (release, released) = mpsc::channel::<()>();
        let (entered_tx, released) = (Mutex::new(entered_tx), Mutex::new(released));
        let seen = Arc::clone(&groups);
        let r = Arc::new(Recorder::new(move |outcomes: &[Outcome]| {
            let first = seen.lock().unwrap().is_empty();
            seen.lock()
                .unwrap()
                .push(outcomes.iter().map(|o| o.id).collect());
            if first {
                // Hold the first commit open, as a slow fsync would.
                entered_tx.lock().unwrap().send(()).unwrap();
                released.lock().unwrap().recv().unwrap();
            }
            Ok(Vec::new())
        }));
        let first = tokio::spawn({
            let r = Arc::clone(&r);
            async move { r.record(done(0)).await }
        });
        tokio::task::spawn_blocking(move || entered.recv().unwrap())
            .await
            .unwrap();
        let rest: Vec<_> = (1..100)
            .map(|id| {
                let r = Arc::clone(&r);
                tokio::spawn(async move { r.record(done(id)).await })
            })
            .collect();
        waiting(&r, 99).await;
        release.send(()).unwrap();
        first.await.unwrap().unwrap();
        for t in rest {
            t.await.unwrap().unwrap();
        }
        let groups = groups.lock().unwrap().clone();
        assert_eq!(
            groups.len(),
            2,
            "one commit for the first, one for the 99 behind it"
        );
        assert_eq!(groups[0], vec![0]);
        assert_eq!(groups[1], (1..100).collect::<Vec<_>>(), "in arrival order");
        assert!(
            !lock(&r.state).writing,
            "the writer ended once nothing waited"
        );
    }

    /// A recorder whose first commit does `first` and every later one succeeds, and its count
    /// of commits.
    fn first_commit(
        first: impl Fn() -> Result<(), ArchiveError> + Send + Sync + 'static,
    ) -> (Recorder, Arc<AtomicUsize>) {
        let calls = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&calls);
        let r = Recorder::new(move |_: &[Outcome]| {
            if counted.fetch_add(1, Ordering::SeqCst) == 0 {
                first().map(|()| Vec::new())
            } else {
                Ok(Vec::new())
            }
        });
        (r, calls)
    }

    #[tokio::test]
    async fn a_failed_commit_fails_each_of_its_outcomes_and_the_next_one_starts_afresh() {
        let (r, calls) = first_commit(|| Err(ArchiveError::Corrupt("disk full".into())));
        let e = r.record(done(1)).await.unwrap_err();
        assert_eq!(e.to_string(), "corrupt archive row: disk full");
        r.record(done(2)).await.unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_panicking_commit_lets_its_callers_go_and_a_later_outcome_is_still_written() {
        let (r, calls) = first_commit(|| panic!("the commit panicked"));
        let e = r.record(done(1)).await.unwrap_err();
        assert!(e.to_string().contains("panicked"), "{e}");
        r.record(done(2)).await.unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }
}
