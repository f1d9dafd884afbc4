//! Markdown transcript: a heading per agenda item, one paragraph per entry with its number,
//! local time and text; corrections, withdrawals and withheld private business marked inline.
//! Clerk text is escaped so it can never become markup.

use std::fmt::Write;

use crate::domain::EntryKind;
use crate::i18n::Language;
use crate::tr;

use super::ExportContext;
use super::transcript::{Line, Transcript};

/// Escapes Markdown punctuation so clerk text stays literal text; line breaks become hard
/// breaks.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, line) in text.lines().enumerate() {
        if i > 0 {
            out.push_str("  \n");
        }
        for c in line.chars() {
            if matches!(
                c,
                '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|' | '~' | '!' | '&'
            ) {
                out.push('\\');
            }
            out.push(c);
        }
        // A line that would start a list, quote or heading stays a paragraph line.
        if i > 0 {
            let start = out.rfind('\n').map(|p| p + 1).unwrap_or(0);
            let rest = &out[start..];
            if rest.starts_with(['-', '+', '=']) {
                out.insert(start, '\\');
            } else if let Some(digits) = numbered(rest) {
                out.insert(start + digits, '\\');
            }
        }
    }
    out
}

/// For a line starting like an ordered list item (`12.` or `12)`), how many digits lead it.
fn numbered(s: &str) -> Option<usize> {
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    (digits > 0 && matches!(s.as_bytes().get(digits), Some(b'.' | b')'))).then_some(digits)
}

fn line_body(l: &Line, language: Language) -> String {
    let mut s = escape(l.text());
    if let Some(n) = l.correction_note(language) {
        let _ = write!(s, " *{}*", escape(&n));
    }
    if let Some(n) = l.withdrawal_note(language) {
        s = format!("~~{s}~~ **{}**", escape(&n));
    }
    s
}

pub fn render(t: &Transcript, ctx: &ExportContext) -> String {
    let language = ctx.language;
    let mut out = String::new();
    let _ = writeln!(out, "# {}\n", escape(t.title()));
    let meeting = t.id().to_string();
    let _ = writeln!(
        out,
        "{} · {}, {} · {}  \n{}\n",
        escape(&ctx.council_name),
        t.local_date(language),
        t.local_span(language),
        language.each(" / ", |l| tr!(l, "export-meeting", meeting = &meeting)),
        escape(&t.zone_note(language))
    );
    if let Some(url) = ctx.meeting_url(t.id()) {
        let label = language.each(" / ", |l| tr!(l, "export-permalink"));
        let _ = writeln!(out, "{label}: <{url}>\n");
    }
    for l in &t.lines {
        let n = l.seq().0;
        if l.entry.kind() == EntryKind::Agenda {
            let _ = writeln!(out, "## #{n} {} · {}\n", l.hhmm(), line_body(l, language));
        } else {
            let _ = writeln!(out, "**#{n}** {} · {}\n", l.hhmm(), line_body(l, language));
        }
        if let Some(w) = l.withheld_note(language) {
            let _ = writeln!(out, "> {w}\n");
        }
    }
    let _ = writeln!(out, "---\n");
    let at = super::transcript::local_rfc3339(ctx.generated_at, t.timezone);
    let council = escape(&ctx.council_name);
    let _ = writeln!(
        out,
        "{}  ",
        language.each("  \n", |l| tr!(
            l,
            "export-exported-for",
            council = &council,
            at = &at
        ))
    );
    let summary = t.integrity_summary(language);
    for (i, s) in summary.iter().enumerate() {
        let end = if i + 1 < summary.len() { "  " } else { "" };
        let _ = writeln!(out, "{}{end}", escape(s));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_punctuation_in_clerk_text_is_escaped() {
        assert_eq!(
            escape("**bold** <b>[x](y)</b>"),
            r"\*\*bold\*\* \<b\>\[x\](y)\</b\>"
        );
    }

    #[test]
    fn a_continuation_line_cannot_start_a_list_or_heading() {
        assert_eq!(escape("a\n- b\n1. c\n# d"), "a  \n\\- b  \n1\\. c  \n\\# d");
    }
}
