//! Delivery receipts for clerks: "#12 delivered 3/3" once every target has an entry, and
//! plain-language notices when a target starts failing or recovers.

use std::collections::HashMap;
use std::sync::Arc;

use crate::archive::Archive;
use crate::domain::{Entry, EntryNo};
use crate::outbox::OutboxEvent;

/// Tracks the entries one input submitted until all their deliveries settle.
pub struct Receipts {
    archive: Arc<Archive>,
    pending: HashMap<i64, EntryNo>,
}

impl Receipts {
    pub fn new(archive: Arc<Archive>) -> Self {
        Receipts {
            archive,
            pending: HashMap::new(),
        }
    }

    /// Starts tracking a recorded entry that has deliveries.
    pub fn track(&mut self, e: &Entry) {
        self.pending.insert(e.id, e.seq);
    }

    /// The receipt line, if `ev` completed one of the tracked entries.
    pub fn on_event(&mut self, ev: &OutboxEvent) -> Option<String> {
        let entry_id = match ev {
            OutboxEvent::Delivered { entry_id, .. } | OutboxEvent::Rejected { entry_id, .. } => {
                *entry_id
            }
            _ => return None,
        };
        let seq = *self.pending.get(&entry_id)?;
        let tally = self.archive.delivery_tally(entry_id).ok()?;
        if !tally.settled() {
            return None;
        }
        self.pending.remove(&entry_id);
        Some(if tally.failed.is_empty() {
            format!("{seq} delivered {}/{}", tally.done, tally.total)
        } else {
            format!(
                "{seq} delivered {}/{}; refused by {} (see !status)",
                tally.done,
                tally.total,
                tally.failed.join(", ")
            )
        })
    }
}

/// The notice clerks see for an outbox event about a target's health, if any.
pub fn clerk_notice(ev: &OutboxEvent) -> Option<String> {
    match ev {
        OutboxEvent::Failing {
            target,
            error,
            queued,
        } => Some(format!(
            "Delivery to {target} is failing ({error}). {queued} queued; nothing is lost and they will go out in order when it recovers."
        )),
        OutboxEvent::Recovered { target, queued } => Some(if *queued == 0 {
            format!("Delivery to {target} has recovered; it is up to date.")
        } else {
            format!("Delivery to {target} has recovered; sending the {queued} queued in order.")
        }),
        OutboxEvent::Rejected {
            target, seq, error, ..
        } => Some(format!(
            "{target} refused {seq} ({error}); the other entries continue."
        )),
        OutboxEvent::NoticeRejected { target, key, error } => Some(crate::tr!(
            crate::i18n::Lang::En,
            "notice-refused",
            target = target,
            key = key,
            error = error
        )),
        OutboxEvent::Delivered { .. } | OutboxEvent::NoticeDelivered { .. } => None,
    }
}
