//! BagIt 1.0 bundles (RFC 8493): every export format of a meeting under `data/`, with SHA-256
//! payload and tag manifests, so an archivist can check years later that no file changed.
//!
//! A bag is written into a hidden temporary folder beside its final place and renamed into
//! place when complete, so a crash never leaves a bag that looks whole but is not.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::archive::Archive;
use crate::domain::MeetingId;

use super::transcript::Transcript;
use super::{ExportContext, ExportError, Format, render_transcript};

/// The folder name of a meeting's bag.
pub fn bag_name(meeting: MeetingId) -> String {
    format!("gavel-meeting-{meeting}")
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ExportError + '_ {
    move |source| ExportError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), ExportError> {
    std::fs::write(path, bytes).map_err(io(path))
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Writes the bag for one meeting into `dir` (created if needed), replacing an older bag of
/// the same meeting. Returns the bag's folder.
pub fn write_bundle(
    archive: &Archive,
    meeting: MeetingId,
    dir: &Path,
    ctx: &ExportContext,
) -> Result<PathBuf, ExportError> {
    let t = Transcript::load(archive, meeting)?;
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let name = bag_name(meeting);
    let bag = dir.join(&name);
    let tmp = dir.join(format!(".{name}.partial"));
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).map_err(io(&tmp))?;
    }
    let data = tmp.join("data");
    std::fs::create_dir_all(&data).map_err(io(&data))?;

    let mut manifest = String::new();
    let mut octets: u64 = 0;
    let mut files: u64 = 0;
    let mut omitted = Vec::new();
    for format in Format::ALL {
        if format.needs_webcast() && t.webcast.is_none() {
            omitted.push(format.as_str());
            continue;
        }
        let body = render_transcript(&t, format, ctx)?;
        let file = format!("{meeting}.{}", format.extension());
        write_file(&data.join(&file), body.as_bytes())?;
        let _ = writeln!(manifest, "{}  data/{file}", sha256_hex(body.as_bytes()));
        octets += body.len() as u64;
        files += 1;
    }

    let bagit = "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n";
    let mut info = String::new();
    let one_line = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let _ = writeln!(info, "Source-Organization: {}", one_line(&ctx.council_name));
    let _ = writeln!(info, "Bagging-Date: {}", ctx.generated_at.date_naive());
    let _ = writeln!(info, "Payload-Oxum: {octets}.{files}");
    let _ = writeln!(
        info,
        "External-Description: Transcript of meeting {meeting}, {}, {} ({}), in every Gavel export format.",
        one_line(t.title()),
        t.local_date(ctx.language),
        t.timezone.name()
    );
    let _ = writeln!(
        info,
        "External-Identifier: {}",
        ctx.meeting_url(meeting)
            .unwrap_or_else(|| format!("gavel meeting {meeting}"))
    );
    let _ = writeln!(
        info,
        "Bag-Software-Agent: Gavel {}",
        env!("CARGO_PKG_VERSION")
    );
    let _ = writeln!(info, "Gavel-Chain-Entries: {}", t.chain.entries);
    let _ = writeln!(info, "Gavel-Chain-Head: {}", t.chain.head);
    let _ = writeln!(
        info,
        "Gavel-Chain-Verified: {}",
        if t.chain.problem.is_none() {
            "yes"
        } else {
            "NO"
        }
    );
    if let Some(c) = &t.checkpoint {
        let _ = writeln!(info, "Gavel-Checkpoint-Key: {}", c.fingerprint);
        let _ = writeln!(
            info,
            "Gavel-Checkpoint-Valid: {}",
            if c.is_valid() { "yes" } else { "NO" }
        );
    }
    if !omitted.is_empty() {
        let _ = writeln!(
            info,
            "Gavel-Note: the meeting has no webcast mark, so these formats are omitted: {}",
            omitted.join(", ")
        );
    }
    let tags = [
        ("bagit.txt", bagit.to_string()),
        ("bag-info.txt", info),
        ("manifest-sha256.txt", manifest),
    ];
    let mut tagmanifest = String::new();
    for (file, body) in &tags {
        write_file(&tmp.join(file), body.as_bytes())?;
        let _ = writeln!(tagmanifest, "{}  {file}", sha256_hex(body.as_bytes()));
    }
    write_file(&tmp.join("tagmanifest-sha256.txt"), tagmanifest.as_bytes())?;

    if bag.exists() {
        std::fs::remove_dir_all(&bag).map_err(io(&bag))?;
    }
    std::fs::rename(&tmp, &bag).map_err(io(&bag))?;
    Ok(bag)
}

/// Writes a bag for every meeting in the archive, calling `progress(done, total)` after each.
pub fn write_all_bundles(
    archive: &Archive,
    dir: &Path,
    ctx: &ExportContext,
    mut progress: impl FnMut(usize, usize),
) -> Result<Vec<PathBuf>, ExportError> {
    let meetings = archive.meetings()?;
    let total = meetings.len();
    let mut out = Vec::with_capacity(total);
    for (i, m) in meetings.iter().enumerate() {
        out.push(write_bundle(archive, m.id, dir, ctx)?);
        progress(i + 1, total);
    }
    Ok(out)
}
