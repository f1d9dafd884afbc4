//! Video timings from the webcast mark (`!webcast`): WebVTT captions, one cue per published
//! entry from the mark on, and a YouTube chapter list of the agenda items.

use std::fmt::Write;

use crate::domain::EntryKind;

use super::transcript::{Transcript, local_rfc3339};
use super::{ExportContext, ExportError};

/// How long the last cue stays up.
const LAST_CUE_MS: i64 = 10_000;

/// `HH:MM:SS.mmm`, as WebVTT times are written.
pub fn vtt_time(ms: i64) -> String {
    let ms = ms.max(0);
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000
    )
}

/// `MM:SS`, or `H:MM:SS` from an hour on, as YouTube chapter lists are written.
pub fn chapter_time(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{:02}:{:02}", s / 60, s % 60)
    }
}

/// Cue text: escaped, and without blank lines (which would end the cue).
fn cue_text(s: &str) -> String {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

pub fn render_vtt(t: &Transcript, ctx: &ExportContext) -> Result<String, ExportError> {
    let mark = t
        .webcast
        .as_ref()
        .ok_or(ExportError::NoWebcastMark(t.id()))?;
    // (start, text) for every published entry from the mark on; starts strictly increase.
    let mut cues: Vec<(i64, String)> = Vec::new();
    for l in &t.lines {
        if l.is_withdrawn() || l.entry.seq < mark.seq {
            continue;
        }
        let offset = (l.entry.at - mark.at).num_milliseconds().max(0);
        let start = match cues.last() {
            Some((prev, _)) if offset <= *prev => prev + 1,
            _ => offset,
        };
        let mut text = format!("#{} {} · {}", l.seq().0, l.hhmm(), l.text());
        if let Some(n) = l.correction_note(ctx.language) {
            text.push(' ');
            text.push_str(&n);
        }
        if let Some(n) = l.withheld_note(ctx.language) {
            text.push('\n');
            text.push_str(&n);
        }
        cues.push((start, text));
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "WEBVTT - {}\n",
        t.title().replace(['\n', '\r'], " ").replace("-->", "→")
    );
    let _ = writeln!(
        out,
        "NOTE\n{} — meeting {}. Cue times are offsets from the webcast mark #{} at {} ({}).\n",
        ctx.council_name.replace("-->", "→"),
        t.id(),
        mark.seq.0,
        local_rfc3339(mark.at, t.timezone),
        mark.url.replace("-->", "→")
    );
    for (i, (start, text)) in cues.iter().enumerate() {
        let end = cues
            .get(i + 1)
            .map(|(s, _)| *s)
            .unwrap_or(start + LAST_CUE_MS);
        let _ = writeln!(
            out,
            "{}\n{} --> {}\n{}\n",
            i + 1,
            vtt_time(*start),
            vtt_time(end),
            cue_text(text)
        );
    }
    Ok(out)
}

pub fn render_chapters(t: &Transcript, ctx: &ExportContext) -> Result<String, ExportError> {
    let mark = t
        .webcast
        .as_ref()
        .ok_or(ExportError::NoWebcastMark(t.id()))?;
    let one_line = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut title = one_line(t.title());
    if title.is_empty() {
        title = ctx
            .language
            .each(" / ", |l| crate::tr!(l, "export-chapter-start"));
    }
    let mut out = format!("00:00 {title}\n");
    let mut last_s = 0;
    for l in &t.lines {
        if l.entry.kind() != EntryKind::Agenda || l.is_withdrawn() {
            continue;
        }
        let ms = (l.entry.at - mark.at).num_milliseconds();
        // Chapters must start after the previous one; an item begun before the webcast is
        // already running at 00:00.
        if ms / 1000 <= last_s {
            continue;
        }
        last_s = ms / 1000;
        let _ = writeln!(out, "{} {}", chapter_time(ms), one_line(&l.item_title()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vtt_times_have_hours_and_milliseconds() {
        assert_eq!(vtt_time(0), "00:00:00.000");
        assert_eq!(vtt_time(3_723_004), "01:02:03.004");
    }

    #[test]
    fn chapter_times_gain_an_hour_field_past_an_hour() {
        assert_eq!(chapter_time(59_000), "00:59");
        assert_eq!(chapter_time(3_599_999), "59:59");
        assert_eq!(chapter_time(3_600_000), "1:00:00");
    }

    proptest::proptest! {
        #[test]
        fn cue_text_never_has_blank_lines_arrows_or_tags(text in "[a-z<>&\\- \n]{0,200}") {
            let c = cue_text(&text);
            proptest::prop_assert!(!c.contains("\n\n"));
            proptest::prop_assert!(!c.contains("-->"));
            proptest::prop_assert!(!c.contains('<'));
        }
    }

    #[test]
    fn cue_text_cannot_end_a_cue_or_carry_tags() {
        assert_eq!(
            cue_text("a\n\n<b>x</b> --> y"),
            "a\n&lt;b&gt;x&lt;/b&gt; --&gt; y"
        );
    }
}
