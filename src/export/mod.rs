//! Archivist exports: a meeting's transcript in open formats (Markdown, plain text, HTML,
//! Gavel's JSON, Open Civic Data, Popolo, Akoma Ntoso, WebVTT, YouTube chapters) and BagIt
//! bundles of all of them.
//!
//! Every format renders from one [`Transcript`] view, built once per export: corrections are
//! folded into the entries they correct (both versions and times kept), withdrawals mark their
//! originals, and entries archived during a private session are withheld, leaving only a count
//! at the entry that excluded the public.

mod akn;
mod bundle;
mod html;
mod json;
mod md;
mod ocd;
mod popolo;
mod transcript;
mod txt;
mod vtt;

#[cfg(test)]
mod tests;

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use chrono::{DateTime, Utc};

use crate::archive::{Archive, ArchiveError};
use crate::domain::MeetingId;
use crate::i18n::Language;

pub use bundle::{write_all_bundles, write_bundle};
pub use transcript::Transcript;

/// An export format, named as the CLI and web routes name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Md,
    Txt,
    Html,
    Json,
    Ocd,
    Popolo,
    Akn,
    Vtt,
    Chapters,
}

impl Format {
    pub const ALL: [Format; 9] = [
        Format::Md,
        Format::Txt,
        Format::Html,
        Format::Json,
        Format::Ocd,
        Format::Popolo,
        Format::Akn,
        Format::Vtt,
        Format::Chapters,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Md => "md",
            Format::Txt => "txt",
            Format::Html => "html",
            Format::Json => "json",
            Format::Ocd => "ocd",
            Format::Popolo => "popolo",
            Format::Akn => "akn",
            Format::Vtt => "vtt",
            Format::Chapters => "chapters",
        }
    }

    /// The file name extension, without the leading dot (`ocd.json`, `akn.xml`, …).
    pub fn extension(self) -> &'static str {
        match self {
            Format::Md => "md",
            Format::Txt => "txt",
            Format::Html => "html",
            Format::Json => "json",
            Format::Ocd => "ocd.json",
            Format::Popolo => "popolo.json",
            Format::Akn => "akn.xml",
            Format::Vtt => "vtt",
            Format::Chapters => "chapters.txt",
        }
    }

    /// The HTTP `Content-Type`.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Md => "text/markdown; charset=utf-8",
            Format::Txt | Format::Chapters => "text/plain; charset=utf-8",
            Format::Html => "text/html; charset=utf-8",
            Format::Json | Format::Ocd | Format::Popolo => "application/json",
            Format::Akn => "application/akn+xml",
            Format::Vtt => "text/vtt; charset=utf-8",
        }
    }

    /// Formats timed from the webcast mark, which need a `!webcast` entry.
    pub fn needs_webcast(self) -> bool {
        matches!(self, Format::Vtt | Format::Chapters)
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An export format name that Gavel does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not an export format; use one of md, txt, html, json, ocd, popolo, akn, vtt, chapters"
)]
pub struct UnknownFormat(pub String);

impl FromStr for Format {
    type Err = UnknownFormat;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().to_ascii_lowercase();
        Format::ALL
            .into_iter()
            .find(|f| f.as_str() == t)
            .ok_or_else(|| UnknownFormat(s.to_string()))
    }
}

/// What an export says about where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportContext {
    pub council_name: String,
    /// The public web address (`[web] public_url`), for permalinks.
    pub public_url: Option<String>,
    pub generated_at: DateTime<Utc>,
    /// The council's language: human-readable exports' headings and notes follow it; machine
    /// formats keep their keys and element names.
    pub language: Language,
}

impl ExportContext {
    /// The permalink of a meeting's transcript page, if the public address is known.
    pub fn meeting_url(&self, meeting: MeetingId) -> Option<String> {
        self.public_url
            .as_deref()
            .map(|u| format!("{}/meetings/{meeting}", u.trim_end_matches('/')))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("meeting {0} does not exist")]
    NoSuchMeeting(MeetingId),
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "meeting {0} has no webcast mark (`!webcast <url>`), so there are no video timings for subtitles or chapters"
    )]
    NoWebcastMark(MeetingId),
    #[error("cannot serialise the export: {0}")]
    Serialize(String),
}

/// Renders one meeting in one format.
pub fn render(
    archive: &Archive,
    meeting: MeetingId,
    format: Format,
    ctx: &ExportContext,
) -> Result<String, ExportError> {
    let t = Transcript::load(archive, meeting)?;
    render_transcript(&t, format, ctx)
}

/// Renders an already built transcript (the bundle renders every format from one).
pub fn render_transcript(
    t: &Transcript,
    format: Format,
    ctx: &ExportContext,
) -> Result<String, ExportError> {
    match format {
        Format::Md => Ok(md::render(t, ctx)),
        Format::Txt => Ok(txt::render(t, ctx)),
        Format::Html => Ok(html::render(t, ctx)),
        Format::Json => json::render(t, ctx),
        Format::Ocd => ocd::render(t, ctx),
        Format::Popolo => popolo::render(t, ctx),
        Format::Akn => akn::render(t, ctx),
        Format::Vtt => vtt::render_vtt(t, ctx),
        Format::Chapters => vtt::render_chapters(t, ctx),
    }
}

fn to_json(v: &impl serde::Serialize) -> Result<String, ExportError> {
    let mut s =
        serde_json::to_string_pretty(v).map_err(|e| ExportError::Serialize(e.to_string()))?;
    s.push('\n');
    Ok(s)
}

#[cfg(test)]
mod format_tests {
    use super::*;

    #[test]
    fn every_format_round_trips_through_its_name() {
        for f in Format::ALL {
            assert_eq!(f.as_str().parse::<Format>(), Ok(f));
        }
        assert_eq!(" HTML ".parse::<Format>(), Ok(Format::Html));
        assert!(
            "pdf"
                .parse::<Format>()
                .unwrap_err()
                .to_string()
                .contains("chapters")
        );
    }

    #[test]
    fn extensions_are_distinct_so_a_bundle_never_overwrites_a_file() {
        let mut exts: Vec<&str> = Format::ALL.iter().map(|f| f.extension()).collect();
        exts.sort();
        exts.dedup();
        assert_eq!(exts.len(), Format::ALL.len());
    }
}
