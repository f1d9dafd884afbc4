//! Public consultations, derived from the archive: each `!consult` entry, changed by later
//! `!consult extend` / `!consult withdraw` entries, and withdrawn with its entry by `!strike`.
//! The desk, the web index and the reminders all read them from here.

use chrono::NaiveDate;

use crate::archive::{Archive, ArchiveError};
use crate::domain::{Entry, EntryKind, EntryNo, MeetingId, Payload};

/// A consultation as announced and since changed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ConsultationRecord {
    pub number: u32,
    pub url: String,
    pub title: String,
    pub closes: NaiveDate,
    pub withdrawn: bool,
    pub meeting: MeetingId,
    pub entry: EntryNo,
}

/// Every consultation in the archive, numbered in the order they were announced.
pub fn consultations(archive: &Archive) -> Result<Vec<ConsultationRecord>, ArchiveError> {
    let changes = archive.entries_of_kinds(
        &[
            EntryKind::Consult,
            EntryKind::ConsultExtend,
            EntryKind::ConsultWithdraw,
        ],
        false,
    )?;
    let strikes = archive.entries_of_kinds(&[EntryKind::Withdrawal], true)?;
    Ok(fold(&changes, &strikes))
}

/// Folds published consultation entries (in the order written) and every withdrawal.
fn fold(changes: &[Entry], strikes: &[Entry]) -> Vec<ConsultationRecord> {
    let struck = |e: &Entry| {
        strikes
            .iter()
            .any(|w| w.meeting == e.meeting && w.seq > e.seq && w.refers_to == Some(e.seq))
    };
    let mut out: Vec<ConsultationRecord> = Vec::new();
    for e in changes {
        let withdrawn_entry = struck(e);
        match &e.payload {
            Payload::Consult(c) => out.push(ConsultationRecord {
                number: out.len() as u32 + 1,
                url: c.url.clone(),
                title: c.title.clone(),
                closes: c.closes,
                withdrawn: withdrawn_entry,
                meeting: e.meeting,
                entry: e.seq,
            }),
            Payload::ConsultExtend(x) if !withdrawn_entry => {
                if let Some(c) = out.iter_mut().find(|c| c.number == x.consultation) {
                    c.closes = x.closes;
                }
            }
            Payload::ConsultWithdraw(x) if !withdrawn_entry => {
                if let Some(c) = out.iter_mut().find(|c| c.number == x.consultation) {
                    c.withdrawn = true;
                }
            }
            _ => {}
        }
    }
    out
}
