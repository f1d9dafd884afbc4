//! Entry delivery rows handed to a target's task in memory as the archive commits them, so a
//! target that knows its queues were empty can deliver a new entry without reading it back.
//!
//! The archive publishes what it commits in commit order (see [`crate::archive::commits`]) and
//! the outbox hands each row to its target (`Outbox::hand_over`), so rows arrive here in the
//! order of their ids. Anything written that is not handed over row by row (notices, a batch of
//! appends, commits missed by falling behind) marks the hand-off *unseen*, and the target reads
//! its queues instead.
//!
//! Rows written by another process are not handed over, and a target that trusts its
//! hand-off reads them only at its next `idle_recheck`, perhaps after rows handed over behind
//! them: one `gavel run` writes an archive's delivery rows (the other commands write none).
//!
//! The target decides when it may trust what is handed over (see `Outbox::run_target`): only
//! after a read of its queues found nothing left beyond what it has since finished. Before each
//! read it [resets](Handoff::reset) the hand-off, as the read sees everything committed before
//! it; a row committed between the reset and the read is both read and handed over, and
//! [`Handoff::next`] skips it by id.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::archive::DeliveryOp;
use crate::domain::Entry;

/// Rows kept for a target that is not taking them (it is backing off, or slow); beyond this
/// the hand-off forgets them and says *unseen*, and the target reads its queues instead.
const MAX_HANDED: usize = 4096;

/// One entry delivery row, as committed.
#[derive(Debug, Clone)]
pub(super) struct Handed {
    pub id: i64,
    pub op: DeliveryOp,
    pub entry: Arc<Entry>,
}

/// What a target that knows its queues finds handed over.
#[derive(Debug)]
pub(super) enum Next {
    /// The oldest row it has not finished.
    Row(Handed),
    /// Nothing new.
    Nothing,
    /// Rows may have been written that were not handed over: read the queues.
    Unseen,
}

#[derive(Debug, Default)]
struct State {
    rows: VecDeque<Handed>,
    unseen: bool,
}

/// One target's hand-off.
#[derive(Debug, Default)]
pub(super) struct Handoff {
    state: Mutex<State>,
}

impl Handoff {
    fn state(&self) -> MutexGuard<'_, State> {
        // Every change to the state is a single push, pop or clear: a poisoned lock is whole.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A row the archive has just committed for this target.
    pub fn push(&self, row: Handed) {
        let mut s = self.state();
        if s.rows.len() >= MAX_HANDED {
            s.rows.clear();
            s.unseen = true;
        }
        if !s.unseen {
            s.rows.push_back(row);
        }
    }

    /// Rows were written that are not handed over.
    pub fn mark_unseen(&self) {
        let mut s = self.state();
        s.rows.clear();
        s.unseen = true;
    }

    /// Forgets what was handed over: the caller is about to read its queues, which hold it.
    pub fn reset(&self) {
        let mut s = self.state();
        s.rows.clear();
        s.unseen = false;
    }

    /// The oldest handed row with an id above `finished` (rows at or below it were in a read
    /// and are finished), unless rows were written that were not handed over.
    pub fn next(&self, finished: i64) -> Next {
        let mut s = self.state();
        if s.unseen {
            return Next::Unseen;
        }
        while let Some(row) = s.rows.pop_front() {
            if row.id > finished {
                return Next::Row(row);
            }
        }
        Next::Nothing
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Author, EntryNo, MeetingId};

    fn row(id: i64) -> Handed {
        Handed {
            id,
            op: DeliveryOp::Post,
            entry: Arc::new(Entry {
                id,
                meeting: MeetingId(1),
                seq: EntryNo(id as u32),
                payload: crate::domain::Payload::note(format!("note {id}")),
                text: format!("note {id}"),
                author: Author::new("console", "clerk", "Clerk"),
                at: chrono::Utc::now(),
                timezone: chrono_tz::Europe::London,
                refers_to: None,
                confidential: false,
                source: None,
                prev_hash: String::new(),
                hash: String::new(),
            }),
        }
    }

    fn id(next: Next) -> Option<i64> {
        match next {
            Next::Row(r) => Some(r.id),
            Next::Nothing => None,
            Next::Unseen => panic!("unexpected Unseen"),
        }
    }

    #[test]
    fn rows_come_out_in_order_skipping_those_already_finished() {
        let h = Handoff::default();
        for i in [3, 4, 5] {
            h.push(row(i));
        }
        assert_eq!(
            id(h.next(3)),
            Some(4),
            "row 3 was in a read and is finished"
        );
        assert_eq!(id(h.next(4)), Some(5));
        assert_eq!(id(h.next(5)), None);
    }

    #[test]
    fn unlisted_writes_say_unseen_until_the_next_reset() {
        let h = Handoff::default();
        h.push(row(1));
        h.mark_unseen();
        h.push(row(2));
        assert!(matches!(h.next(0), Next::Unseen));
        assert!(
            matches!(h.next(0), Next::Unseen),
            "it stays unseen until read"
        );
        h.reset();
        assert_eq!(id(h.next(0)), None, "the read holds rows 1 and 2");
        h.push(row(3));
        assert_eq!(id(h.next(2)), Some(3));
    }

    #[test]
    fn a_target_not_taking_rows_is_told_to_read_instead_of_growing() {
        let h = Handoff::default();
        for i in 1..=MAX_HANDED as i64 {
            h.push(row(i));
        }
        assert_eq!(h.state().rows.len(), MAX_HANDED);
        h.push(row(MAX_HANDED as i64 + 1));
        assert!(matches!(h.next(0), Next::Unseen));
        assert!(h.state().rows.is_empty());
    }
}
