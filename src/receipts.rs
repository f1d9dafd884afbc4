//! Delivery receipts for clerks: "#12 delivered 3/3" once every target has an entry, and
//! plain-language notices when a target starts failing or recovers.

use std::collections::HashMap;
use std::sync::Arc;

use crate::archive::Archive;
use crate::domain::{Entry, EntryNo};
use crate::i18n::Language;
use crate::outbox::OutboxEvent;
use crate::tr;

/// Tracks the entries one input submitted until all their deliveries settle.
pub struct Receipts {
    archive: Arc<Archive>,
    pending: HashMap<i64, EntryNo>,
    language: Language,
}

impl Receipts {
    /// Receipts in the council's `language`.
    pub fn new(archive: Arc<Archive>, language: Language) -> Self {
        Receipts {
            archive,
            pending: HashMap::new(),
            language,
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
        let entry = seq.to_string();
        let refused_by = tally.failed.join(", ");
        Some(self.language.each("\n", |l| {
            if tally.failed.is_empty() {
                tr!(
                    l,
                    "receipt-delivered",
                    entry = &entry,
                    done = tally.done,
                    total = tally.total
                )
            } else {
                tr!(
                    l,
                    "receipt-refused",
                    entry = &entry,
                    done = tally.done,
                    total = tally.total,
                    targets = &refused_by
                )
            }
        }))
    }
}

/// The notice clerks see for an outbox event about a target's health, if any, in the
/// council's `language`.
pub fn clerk_notice(ev: &OutboxEvent, language: Language) -> Option<String> {
    let notice = match ev {
        OutboxEvent::Failing {
            target,
            error,
            queued,
        } => language.each("\n", |l| {
            tr!(
                l,
                "notice-target-failing",
                target = target,
                error = error,
                queued = *queued
            )
        }),
        OutboxEvent::Recovered { target, queued } => language.each("\n", |l| {
            tr!(
                l,
                "notice-target-recovered",
                target = target,
                queued = *queued
            )
        }),
        OutboxEvent::Rejected {
            target, seq, error, ..
        } => {
            let entry = seq.to_string();
            language.each("\n", |l| {
                tr!(
                    l,
                    "notice-entry-refused",
                    target = target,
                    entry = &entry,
                    error = error
                )
            })
        }
        OutboxEvent::NoticeRejected { target, key, error } => language.each("\n", |l| {
            tr!(
                l,
                "notice-refused",
                target = target,
                key = key,
                error = error
            )
        }),
        OutboxEvent::Delivered { .. } | OutboxEvent::NoticeDelivered { .. } => return None,
    };
    Some(notice)
}
