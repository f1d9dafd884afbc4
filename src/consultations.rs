//! Public consultations, derived from the archive: each `!consult` entry, changed by later
//! `!consult extend` / `!consult withdraw` entries, and withdrawn with its entry by `!strike`.
//! The desk, the web index and the reminders all read them from here.

use chrono::NaiveDate;

use crate::archive::{Archive, ArchiveError};
use crate::domain::{Entry, EntryKind, EntryNo, MeetingId};

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
        let n = e
            .fields
            .get("consultation")
            .and_then(|v| v.as_u64())
            .unwrap_or(0) as u32;
        let closes = e
            .field_str("closes")
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
        match e.kind {
            EntryKind::Consult => {
                if let Some(closes) = closes {
                    out.push(ConsultationRecord {
                        number: out.len() as u32 + 1,
                        url: e.field_str("url").unwrap_or_default().to_string(),
                        title: e.field_str("title").unwrap_or_default().to_string(),
                        closes,
                        withdrawn: withdrawn_entry,
                        meeting: e.meeting,
                        entry: e.seq,
                    });
                }
            }
            EntryKind::ConsultExtend if !withdrawn_entry => {
                if let (Some(c), Some(closes)) = (out.iter_mut().find(|c| c.number == n), closes) {
                    c.closes = closes;
                }
            }
            EntryKind::ConsultWithdraw if !withdrawn_entry => {
                if let Some(c) = out.iter_mut().find(|c| c.number == n) {
                    c.withdrawn = true;
                }
            }
            _ => {}
        }
    }
    out
}
