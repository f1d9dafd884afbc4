//! Status text for Mastodon: mentions and hashtags made inert, and splitting within the
//! instance's character limit.
//!
//! **Inert mentions and hashtags.** A Mastodon server turns `@name`, `@name@instance` and
//! `#tag` in a status into mentions (which notify those accounts) and hashtags (which put the
//! status in the tag's public timeline). The API has nothing like Discord's
//! `allowed_mentions`, so the text itself must not form them: [`inert`] puts a U+2060 WORD
//! JOINER after every `@` and `#` that could start one. The joiner is invisible and keeps the
//! text on one line, and it is not a word character in Mastodon's patterns (`[[:word:]]`,
//! `[a-z0-9_]`), so no mention or hashtag can begin after it. A zero-width space would do the
//! same but allows a line break there; a backslash or full-width sign would be visible.
//!
//! Where Mastodon never forms one, the text is left alone: inside a link (the address must
//! stay exact and clickable), after an ASCII letter, digit or `_` (an e-mail address such
//! as `clerk@council.gov.uk`, which Mastodon's patterns also skip), and before a plain number
//! (`#12`, an entry number: a tag's name needs a letter). Everywhere else a sign
//! followed by anything but whitespace gets the joiner: a superset of what Mastodon matches,
//! so the rule does not depend on the details of its current patterns.
//!
//! **Length.** Mastodon counts grapheme clusters, each link as `characters_reserved_per_url`
//! (23), against `max_characters` (500 unless the instance says otherwise); both are read
//! from the instance ([`Limits`]). Long entries are split with [`text::numbered`].

use crate::platform::text::{self, Measure};

/// Shown by a part a shorter correction no longer needs.
pub const SURPLUS_PART: &str = "(corrected: see above)";
/// Ends the last part of a correction longer than the statuses it replaces.
pub const TRUNCATED: &str = "… (full text in the archive)";

const WORD_JOINER: char = '\u{2060}';

/// An instance's limits on a status, from `GET /api/v2/instance`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// `configuration.statuses.max_characters`.
    pub max_characters: usize,
    /// `configuration.statuses.characters_reserved_per_url`.
    pub url_length: usize,
}

impl Default for Limits {
    /// Mastodon's own defaults.
    fn default() -> Self {
        Limits {
            max_characters: 500,
            url_length: 23,
        }
    }
}

impl Limits {
    /// Reads an instance document (`/api/v2/instance` or `/api/v1/instance`); a missing or
    /// nonsensical field keeps Mastodon's default.
    pub fn from_instance(doc: &serde_json::Value) -> Limits {
        let statuses = &doc["configuration"]["statuses"];
        let read = |v: &serde_json::Value, fallback: usize| {
            v.as_u64()
                .and_then(|n| usize::try_from(n).ok())
                .filter(|n| *n > 0)
                .unwrap_or(fallback)
        };
        let d = Limits::default();
        Limits {
            max_characters: read(&statuses["max_characters"], d.max_characters),
            url_length: read(&statuses["characters_reserved_per_url"], d.url_length),
        }
    }

    pub fn measure(self) -> Measure {
        Measure::GraphemesLinksAs(self.url_length)
    }
}

/// `text` with every `@` and `#` that could start a mention or hashtag made inert (see the
/// module doc). Links are kept byte for byte.
pub fn inert(text: &str) -> String {
    let links = text::links(text);
    let mut out = String::with_capacity(text.len() + 8);
    let mut prev: Option<char> = None;
    for (i, c) in text.char_indices() {
        out.push(c);
        let rest = &text[i + c.len_utf8()..];
        let in_link = links.iter().any(|l| l.contains(&i));
        let after_word = prev.is_some_and(|p| p.is_ascii_alphanumeric() || p == '_');
        let next_starts_a_name = rest.chars().next().is_some_and(|n| !n.is_whitespace());
        let could_start = match c {
            '@' => true,
            '#' => !is_entry_number(rest),
            _ => false,
        };
        if could_start && !in_link && !after_word && next_starts_a_name {
            out.push(WORD_JOINER);
        }
        prev = Some(c);
    }
    out
}

/// Whether the text after a `#` is a plain number (`#12`, `#12,`, `(#12)`), which Mastodon
/// never makes a hashtag (a tag's name needs a letter): digits, then the end, whitespace or
/// ASCII punctuation other than `_`. Entry numbers stay exactly as clerks type them.
fn is_entry_number(rest: &str) -> bool {
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    digits > 0
        && rest[digits..]
            .chars()
            .next()
            .is_none_or(|c| c.is_whitespace() || (c.is_ascii_punctuation() && c != '_'))
}

/// A status's parts: the text made inert, split and numbered within the limits.
pub fn parts(text: &str, limits: Limits) -> Vec<String> {
    text::numbered(&inert(text), limits.max_characters, limits.measure())
}

/// `text` as exactly `n` parts (n ≥ 1), for a correction that edits `n` statuses in place:
/// padded with [`SURPLUS_PART`] when it needs fewer; when it needs more, the first `n - 1`
/// statuses are full, the last holds as much as fits, cut at a word and ending with
/// [`TRUNCATED`], and the numbering counts the `n` statuses there are.
pub fn fit_parts(text: &str, n: usize, limits: Limits) -> Vec<String> {
    if n == 0 {
        return Vec::new();
    }
    let mut parts = parts(text, limits);
    if parts.len() > n {
        let measure = limits.measure();
        let number_room = if n > 1 {
            format!(" ({n}/{n})").len()
        } else {
            0
        };
        let limit = limits.max_characters.saturating_sub(number_room).max(1);
        let inert = inert(text);
        let mut unnumbered = text::split(&inert, limit, measure);
        let rest = unnumbered.split_off(n - 1).join(" ");
        let room = limit.saturating_sub(measure.len(TRUNCATED) + 1).max(1);
        let head = text::split(&rest, room, measure)
            .into_iter()
            .next()
            .unwrap_or_default();
        unnumbered.push(format!("{head} {TRUNCATED}"));
        parts = if n > 1 {
            unnumbered
                .into_iter()
                .enumerate()
                .map(|(i, p)| format!("{p} ({}/{n})", i + 1))
                .collect()
        } else {
            unnumbered
        };
    }
    while parts.len() < n {
        parts.push(SURPLUS_PART.to_string());
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    const WJ: &str = "\u{2060}";

    #[test]
    fn mentions_and_hashtags_get_a_word_joiner_and_links_and_emails_do_not() {
        let text = "@everyone see @cllr.smith@social.example and #planning, ##x, #12·3 \
                    mail clerk@council.gov.uk or https://example.gov.uk/@team/#item-5 (#5a)";
        let out = inert(text);
        for defused in [
            "@{WJ}everyone",
            "@{WJ}cllr.smith@",
            "#{WJ}planning",
            "#{WJ}#{WJ}x",
            "(#{WJ}5a)",
            "#{WJ}12·3",
        ] {
            let defused = defused.replace("{WJ}", WJ);
            assert!(out.contains(&defused), "{defused:?} in {out:?}");
        }
        assert!(out.contains("clerk@council.gov.uk"), "{out}");
        assert!(
            out.contains("https://example.gov.uk/@team/#item-5"),
            "{out}"
        );
        assert_eq!(out.replace(WJ, ""), text, "only joiners are added");
        assert_eq!(inert("a # b @ c"), "a # b @ c", "a lone sign is left alone");
        assert_eq!(
            inert("#12 09:30 · see #3, (#4)"),
            "#12 09:30 · see #3, (#4)"
        );
    }

    #[test]
    fn a_long_entry_splits_into_numbered_parts_within_the_instance_limit() {
        let limits = Limits {
            max_characters: 120,
            url_length: 23,
        };
        let url = "https://democracy.example.gov.uk/documents/s1/a-rather-long-report-name.pdf";
        let text = format!("{} {url} {}", "word ".repeat(40), "more ".repeat(40));
        let p = parts(&text, limits);
        assert!(p.len() >= 3, "{p:?}");
        for (i, part) in p.iter().enumerate() {
            assert!(limits.measure().len(part) <= 120, "{part:?}");
            assert!(
                part.ends_with(&format!(" ({}/{})", i + 1, p.len())),
                "{part:?}"
            );
        }
        assert_eq!(p.iter().filter(|x| x.contains(url)).count(), 1);
    }

    #[test]
    fn a_correction_fills_exactly_the_statuses_it_replaces() {
        let limits = Limits {
            max_characters: 100,
            url_length: 23,
        };
        let long = "word ".repeat(100);
        let all = parts(&long, limits);
        assert!(all.len() > 3);
        let two = fit_parts(&long, 2, limits);
        assert_eq!(two.len(), 2);
        assert!(two[0].ends_with(" (1/2)"), "{two:?}");
        assert!(two[1].ends_with(&format!("{TRUNCATED} (2/2)")), "{two:?}");
        for p in &two {
            assert!(limits.measure().len(p) <= 100, "{p}");
        }
        let one = fit_parts(&long, 1, limits);
        assert!(one[0].ends_with(TRUNCATED) && limits.measure().len(&one[0]) <= 100);
        assert_eq!(
            fit_parts("short", 3, limits),
            ["short", SURPLUS_PART, SURPLUS_PART]
        );
        assert_eq!(fit_parts(&long, all.len(), limits), all);
    }

    #[test]
    fn limits_come_from_the_instance_with_mastodons_defaults() {
        let doc = serde_json::json!({"configuration": {"statuses": {"max_characters": 1000, "characters_reserved_per_url": 30}}});
        assert_eq!(
            Limits::from_instance(&doc),
            Limits {
                max_characters: 1000,
                url_length: 30
            }
        );
        assert_eq!(
            Limits::from_instance(&serde_json::json!({})),
            Limits::default()
        );
    }
}
