//! Plain-text transcript: one line per entry (`#12   19:04  text`), notes on indented
//! continuation lines, a blank line before each agenda item.

use std::fmt::Write;

use crate::domain::EntryKind;

use super::ExportContext;
use super::transcript::{Transcript, local_rfc3339};

pub fn render(t: &Transcript, ctx: &ExportContext) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", t.title());
    let _ = writeln!(out, "{}", ctx.council_name);
    let _ = writeln!(out, "{}, {}", t.local_date(), t.local_span());
    let _ = writeln!(out, "Meeting {}. {}", t.id(), t.zone_note());
    if let Some(url) = ctx.meeting_url(t.id()) {
        let _ = writeln!(out, "{url}");
    }
    out.push('\n');
    for l in &t.lines {
        if l.entry.kind == EntryKind::Agenda {
            out.push('\n');
        }
        let number = format!("#{}", l.seq().0);
        let mut text_lines = l.text().lines();
        let first = text_lines.next().unwrap_or_default();
        let head = format!("{number:<6} {}  ", l.hhmm());
        let indent = " ".repeat(head.chars().count());
        let _ = writeln!(out, "{head}{first}");
        for more in text_lines {
            let _ = writeln!(out, "{indent}{more}");
        }
        for note in [l.correction_note(), l.withdrawal_note(), l.withheld_note()]
            .into_iter()
            .flatten()
        {
            let _ = writeln!(out, "{indent}{}", note.replace('\n', " "));
        }
    }
    out.push('\n');
    let _ = writeln!(
        out,
        "Exported by Gavel at {}.",
        local_rfc3339(ctx.generated_at, t.timezone)
    );
    for s in t.integrity_summary() {
        let _ = writeln!(out, "{s}");
    }
    out
}
