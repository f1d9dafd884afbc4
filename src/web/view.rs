//! The public view of a meeting: its entries with corrections and withdrawals folded onto the
//! entries they amend, and confidential (private-session) entries left out. Pages, the live
//! stream, feeds and exports all read this one model, so they can never disagree about what
//! is public.

use std::collections::HashMap;
use std::fmt::Write as _;

use chrono::{DateTime, SecondsFormat, Utc};
use chrono_tz::Tz;

use crate::domain::{Entry, EntryKind, EntryNo, Payload};
use crate::i18n::{Lang, Language};
use crate::tr;
use crate::web::html::{chrome, chrome_attr, chrome_html, escape, linkify};

/// A correction applied to an entry.
#[derive(Debug, Clone)]
pub struct Correction {
    pub seq: EntryNo,
    pub at: DateTime<Utc>,
    pub local: DateTime<Tz>,
    /// The text the entry reads after this correction.
    pub text: String,
}

/// A withdrawal of an entry.
#[derive(Debug, Clone)]
pub struct Withdrawal {
    pub seq: EntryNo,
    pub at: DateTime<Utc>,
    pub local: DateTime<Tz>,
    pub reason: Option<String>,
}

/// One public entry and what has happened to it since.
#[derive(Debug, Clone)]
pub struct EntryView {
    pub entry: Entry,
    /// Oldest first.
    pub corrections: Vec<Correction>,
    pub withdrawn: Option<Withdrawal>,
}

impl EntryView {
    /// The text as it reads now (after the last correction).
    pub fn current_text(&self) -> &str {
        self.corrections
            .last()
            .map(|c| c.text.as_str())
            .unwrap_or(&self.entry.text)
    }

    /// When this entry last changed (its own time, or its last correction or withdrawal).
    pub fn updated(&self) -> DateTime<Utc> {
        let mut t = self.entry.at;
        if let Some(c) = self.corrections.last() {
            t = t.max(c.at);
        }
        if let Some(w) = &self.withdrawn {
            t = t.max(w.at);
        }
        t
    }
}

/// Folds a meeting's entries (in sequence order) into its public view. Confidential entries,
/// and amendments of entries that are not public, are left out.
pub fn public_view(entries: &[Entry]) -> Vec<EntryView> {
    let mut views: Vec<EntryView> = Vec::new();
    let mut index: HashMap<EntryNo, usize> = HashMap::new();
    for e in entries {
        if e.confidential {
            continue;
        }
        if matches!(e.kind(), EntryKind::Correction | EntryKind::Withdrawal) {
            let Some(&i) = e.refers_to.and_then(|r| index.get(&r)) else {
                continue;
            };
            let target = &mut views[i];
            if let Payload::Correction(c) = &e.payload {
                let text = c.text.clone();
                target.corrections.push(Correction {
                    seq: e.seq,
                    at: e.at,
                    local: e.local_time(),
                    text,
                });
            } else if let Payload::Withdrawal(w) = &e.payload {
                let reason = w.reason.clone();
                target.withdrawn = Some(Withdrawal {
                    seq: e.seq,
                    at: e.at,
                    local: e.local_time(),
                    reason,
                });
            }
        }
        index.insert(e.seq, views.len());
        views.push(EntryView {
            entry: e.clone(),
            corrections: Vec::new(),
            withdrawn: None,
        });
    }
    views
}

/// `<time datetime="2026-11-25T19:04:05.123+00:00">19:04</time>`.
pub fn time_html(local: &DateTime<Tz>) -> String {
    format!(
        "<time datetime=\"{}\">{}</time>",
        local.to_rfc3339_opts(SecondsFormat::Millis, false),
        local.format("%H:%M")
    )
}

/// A human name for an entry kind.
pub fn kind_label(kind: EntryKind, l: Lang) -> String {
    tr!(l, "web-kind", kind = kind.as_str())
}

/// The `<li>` for one entry of a transcript, its chrome in the council's `language`. Its id
/// `e{n}` is the permalink anchor.
pub fn entry_html(v: &EntryView, language: Language) -> String {
    let e = &v.entry;
    let n = e.seq.0;
    let mut classes = format!("entry kind-{}", e.kind().as_str().replace('_', "-"));
    if !v.corrections.is_empty() {
        classes.push_str(" corrected");
    }
    if v.withdrawn.is_some() {
        classes.push_str(" withdrawn");
    }
    let mut h =
        format!("<li id=\"e{n}\" class=\"{classes}\" data-seq=\"{n}\">\n<p class=\"meta\">");
    let _ = write!(
        h,
        "<a class=\"permalink\" href=\"#e{n}\" title=\"{}\">#{n}</a> {} <span class=\"kind\">{}</span>",
        chrome_attr(language, |l| tr!(l, "web-permalink", entry = n)),
        time_html(&e.local_time()),
        chrome(language, |l| kind_label(e.kind(), l))
    );
    if !v.corrections.is_empty() {
        let _ = write!(
            h,
            " <strong class=\"badge\">{}</strong>",
            chrome(language, |l| tr!(l, "web-badge-corrected"))
        );
    }
    if v.withdrawn.is_some() {
        let _ = write!(
            h,
            " <strong class=\"badge\">{}</strong>",
            chrome(language, |l| tr!(l, "web-badge-withdrawn"))
        );
    }
    if let Some(r) = e.refers_to {
        let _ = write!(
            h,
            " <a href=\"#e{}\">{}</a>",
            r.0,
            chrome(language, |l| tr!(l, "web-about-entry", entry = r.0))
        );
    }
    h.push_str("</p>\n");
    if v.withdrawn.is_some() {
        let _ = writeln!(
            h,
            "<p class=\"text\"><del>{}</del></p>",
            escape(v.current_text())
        );
    } else {
        let _ = writeln!(h, "<p class=\"text\">{}</p>", linkify(v.current_text()));
    }
    if !v.corrections.is_empty() {
        h.push_str("<ul class=\"history\">\n");
        // Each earlier version, struck, with when it was written and when it was replaced.
        let mut previous_text = e.text.as_str();
        let mut previous_local = e.local_time();
        for c in &v.corrections {
            let (at, previous) = (time_html(&c.local), time_html(&previous_local));
            let text = format!("<del>{}</del>", escape(previous_text));
            let _ = writeln!(
                h,
                "<li>{}</li>",
                chrome_html(language, |l| {
                    tr!(
                        l,
                        "web-corrected-at",
                        at = &at,
                        entry = c.seq.0,
                        previous = &previous,
                        text = &text
                    )
                })
            );
            previous_text = &c.text;
            previous_local = c.local;
        }
        h.push_str("</ul>\n");
    }
    if let Some(w) = &v.withdrawn {
        let at = time_html(&w.local);
        let _ = writeln!(
            h,
            "<p class=\"withdrawal\">{}</p>",
            chrome_html(language, |l| {
                let reason = match w.reason.as_deref() {
                    Some(r) => escape(r),
                    None => escape(&tr!(l, "web-no-reason")),
                };
                tr!(
                    l,
                    "web-withdrawn",
                    reason = reason,
                    at = &at,
                    entry = w.seq.0
                )
            })
        );
    }
    h.push_str("</li>\n");
    h
}

/// The body of a live page's "now" panel: what residents arriving mid-meeting need first, the
/// current item, the latest vote, and whether the meeting is in recess or the public excluded.
/// [`PublicState`] already leaves out business taken in private.
pub fn now_html(st: Option<&crate::desk::PublicState>, language: Language) -> String {
    use crate::web::html::chrome;
    let Some(st) = st else {
        return format!(
            "<p>{}</p>",
            chrome(language, |l| crate::tr!(l, "web-meeting-not-started"))
        );
    };
    if st.ended {
        return format!(
            "<p>{}</p>",
            chrome(language, |l| crate::tr!(
                l,
                "status-ended",
                title = &st.title
            ))
        );
    }
    let mut out = String::new();
    for (on, key) in [
        (st.in_recess, "status-recess"),
        (st.private, "status-private"),
    ] {
        if on {
            out.push_str(&format!(
                "<p class=\"now-banner\">{}</p>",
                chrome(language, |l| crate::i18n::message(l, key, &[]))
            ));
        }
    }
    // An item taken up in private is never shown; nor is "no item yet" once anything has
    // happened, since that would mislead.
    let quiet = st.last_vote.is_none() && !st.private && !st.in_recess;
    match &st.item {
        Some((number, title)) => out.push_str(&format!(
            "<p>{}</p>",
            chrome(language, |l| crate::tr!(
                l,
                "status-item",
                number = number,
                title = title
            ))
        )),
        None if quiet => out.push_str(&format!(
            "<p>{}</p>",
            chrome(language, |l| crate::tr!(l, "web-now-no-item"))
        )),
        None => {}
    }
    if let Some(vote) = &st.last_vote {
        out.push_str(&format!(
            "<p>{}</p>",
            chrome(language, |l| crate::tr!(
                l,
                "status-last-vote",
                vote = crate::render::vote_text(vote, l)
            ))
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Author, MeetingId};
    use chrono::TimeZone;
    use serde_json::json;

    fn entry(
        seq: u32,
        kind: EntryKind,
        text: &str,
        fields: serde_json::Value,
        refers: Option<u32>,
        conf: bool,
    ) -> Entry {
        Entry {
            id: seq as i64,
            meeting: MeetingId(1),
            seq: EntryNo(seq),
            payload: Payload::from_json(kind, fields)
                .unwrap_or_else(|_| Payload::sample(kind, text)),
            text: text.into(),
            author: Author::new("console", "c", "Clerk"),
            at: Utc.with_ymd_and_hms(2026, 7, 1, 18, seq, 0).unwrap(),
            timezone: chrono_tz::Europe::London,
            refers_to: refers.map(EntryNo),
            confidential: conf,
            source: None,
            prev_hash: String::new(),
            hash: String::new(),
        }
    }

    #[test]
    fn corrections_and_withdrawals_fold_onto_their_originals_and_secrets_stay_out() {
        let es = vec![
            entry(1, EntryKind::Note, "first <b>", json!({}), None, false),
            entry(
                2,
                EntryKind::Private,
                "Public excluded at 19:02 — exempt",
                json!({}),
                None,
                false,
            ),
            entry(3, EntryKind::Note, "SECRET", json!({}), None, true),
            entry(
                4,
                EntryKind::Correction,
                "Correction to #3: SECRET2",
                json!({"text": "SECRET2"}),
                Some(3),
                true,
            ),
            entry(
                5,
                EntryKind::Public,
                "Public readmitted",
                json!({}),
                None,
                false,
            ),
            entry(
                6,
                EntryKind::Correction,
                "Correction to #1: fixed",
                json!({"text": "fixed"}),
                Some(1),
                false,
            ),
            entry(7, EntryKind::Note, "oops", json!({}), None, false),
            entry(
                8,
                EntryKind::Withdrawal,
                "Entry #7 withdrawn — wrong",
                json!({"reason": "wrong"}),
                Some(7),
                false,
            ),
        ];
        let v = public_view(&es);
        let seqs: Vec<u32> = v.iter().map(|x| x.entry.seq.0).collect();
        assert_eq!(seqs, vec![1, 2, 5, 6, 7, 8]);
        assert_eq!(v[0].current_text(), "fixed");
        let html: String = v.iter().map(|v| entry_html(v, Language::En)).collect();
        assert!(!html.contains("SECRET"));
        assert!(html.contains("<del>first &lt;b&gt;</del>"), "{html}");
        assert!(html.contains("Withdrawn: wrong"));
        assert!(
            html.contains("<time datetime=\"2026-07-01T19:01:00.000+01:00\">19:01</time>"),
            "{html}"
        );
    }
}
