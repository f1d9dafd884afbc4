//! Copying a whole archive from one engine to another (SQLite to PostgreSQL and back), through
//! the engine-neutral rows of [`super::transfer`].
//!
//! The copy keeps every row as stored, ids included, so entry numbers, hashes, signatures,
//! delivery state and remote message ids are the same on both sides. It goes page by page, each
//! page one transaction, into an archive that must be empty, and ends by verifying both: the
//! copy must report the same chain heads (and the same problems, if the original has any) as
//! the original, or the copy is an error. Copy an archive that no Gavel is writing to.

use serde::Serialize;

use super::transfer::Part;
use super::{Archive, ArchiveError, ChainReport, Result};

/// Rows of each part moved per page.
pub const PAGE: u32 = 1000;

/// What a copy moved, and the chain reports both sides agree on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CopyReport {
    pub meetings: u64,
    pub entries: u64,
    pub deliveries: u64,
    pub notices: u64,
    /// `verify` of the copy (the same as of the original).
    pub chains: Vec<ChainReport>,
}

/// Copies every row of `from` into `to`, which must be empty, then checks that both verify
/// alike. `progress(done, total)` is called after each page, counting meetings, entries,
/// delivery rows and notices.
pub fn copy(
    from: &Archive,
    to: &Archive,
    mut progress: impl FnMut(u64, u64),
) -> Result<CopyReport> {
    let mut totals = [0u64; 4];
    for (i, part) in Part::ALL.iter().enumerate() {
        totals[i] = from.count_rows(*part)?;
        if to.count_rows(*part)? > 0 {
            return Err(ArchiveError::NotEmpty(to.location()));
        }
    }
    let total: u64 = totals.iter().sum();
    let mut done = 0u64;
    progress(done, total);
    for part in Part::ALL {
        let mut after = i64::MIN;
        loop {
            let page = from.export_rows(part, after, PAGE)?;
            let Some(last) = page.last_key(part) else {
                break;
            };
            to.import_rows(&page)?;
            done += page.len(part) as u64;
            progress(done, total);
            after = last;
        }
    }
    let (original, copied) = (from.verify(None)?, to.verify(None)?);
    if original != copied {
        return Err(ArchiveError::CopyDiffers(describe_difference(
            &original, &copied,
        )));
    }
    Ok(CopyReport {
        meetings: totals[0],
        entries: totals[1],
        deliveries: totals[2],
        notices: totals[3],
        chains: copied,
    })
}

/// The first meeting whose report differs between the original and the copy, in words.
fn describe_difference(original: &[ChainReport], copied: &[ChainReport]) -> String {
    if original.len() != copied.len() {
        return format!(
            "the original has {} meetings, the copy {}",
            original.len(),
            copied.len()
        );
    }
    original
        .iter()
        .zip(copied)
        .find(|(a, b)| a != b)
        .map(|(a, b)| {
            format!(
                "meeting {}: the original ends at {} after {} entries, the copy at {} after {}",
                a.meeting, a.head, a.entries, b.head, b.entries
            )
        })
        .unwrap_or_default()
}
