//! The hash chain's rule, the same for every engine: walk a meeting's entries from its genesis
//! and report the first problem (an unreadable row, a missing sequence number, a broken link or
//! a changed entry). Engines read the rows; this judges them.

use super::hash::{self, MeetingHeader};
use super::{ChainProblem, ChainReport};
use crate::domain::{Entry, EntryNo, MeetingId};

/// Walks one meeting's entries (in sequence order) from its genesis and reports the first
/// problem: an unreadable row, a missing sequence number, a broken link or a changed entry.
pub fn check(
    id: MeetingId,
    header: &MeetingHeader,
    rows: impl IntoIterator<Item = std::result::Result<Entry, String>>,
) -> ChainReport {
    let mut running = hash::genesis(header);
    let mut count = 0u32;
    let mut problem = None;
    for row in rows {
        count += 1;
        let expected_seq = EntryNo(count);
        let entry = match row {
            Ok(e) => e,
            Err(detail) => {
                problem.get_or_insert(ChainProblem {
                    entry: Some(expected_seq),
                    detail,
                });
                continue;
            }
        };
        if problem.is_some() {
            continue;
        }
        if entry.seq != expected_seq {
            problem = Some(ChainProblem {
                entry: Some(expected_seq),
                detail: format!(
                    "entry {expected_seq} is missing (next stored is {})",
                    entry.seq
                ),
            });
            continue;
        }
        if entry.prev_hash != running {
            let first = entry.seq.0 == 1;
            problem = Some(ChainProblem {
                entry: if first { None } else { Some(entry.seq) },
                detail: if first {
                    "the meeting's record (title, zone or date) was changed".to_string()
                } else {
                    "previous-hash link does not match the entry before it".to_string()
                },
            });
            continue;
        }
        if hash::entry_hash(&entry) != entry.hash {
            problem = Some(ChainProblem {
                entry: Some(entry.seq),
                detail: "content does not match its hash: the entry was changed".to_string(),
            });
            continue;
        }
        running = entry.hash.clone();
    }
    ChainReport {
        meeting: id,
        entries: count,
        head: running,
        problem,
    }
}
