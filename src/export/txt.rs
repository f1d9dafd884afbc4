//! Plain-text transcript: one line per entry (`#12   19:04  text`), notes on indented
//! continuation lines, a blank line before each agenda item.

use std::fmt::Write;

use crate::domain::EntryKind;
use crate::tr;

use super::ExportContext;
use super::transcript::{Transcript, local_rfc3339};

pub fn render(t: &Transcript, ctx: &ExportContext) -> String {
    let language = ctx.language;
    let mut out = String::new();
    let _ = writeln!(out, "{}", t.title());
    let _ = writeln!(out, "{}", ctx.council_name);
    let _ = writeln!(
        out,
        "{}, {}",
        t.local_date(language),
        t.local_span(language)
    );
    let meeting = t.id().to_string();
    let _ = writeln!(
        out,
        "{} {}",
        language.each(" / ", |l| tr!(
            l,
            "export-meeting-sentence",
            meeting = &meeting
        )),
        t.zone_note(language)
    );
    if let Some(url) = ctx.meeting_url(t.id()) {
        let _ = writeln!(out, "{url}");
    }
    out.push('\n');
    for l in &t.lines {
        if l.entry.kind() == EntryKind::Agenda {
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
        for note in [
            l.correction_note(language),
            l.withdrawal_note(language),
            l.withheld_note(language),
        ]
        .into_iter()
        .flatten()
        {
            let _ = writeln!(out, "{indent}{}", note.replace('\n', " "));
        }
    }
    out.push('\n');
    let at = local_rfc3339(ctx.generated_at, t.timezone);
    let _ = writeln!(
        out,
        "{}",
        language.each("\n", |l| tr!(l, "export-exported", at = &at))
    );
    for s in t.integrity_summary(language) {
        let _ = writeln!(out, "{s}");
    }
    out
}
