//! Post text for platforms with a length limit: deterministic splitting at paragraph, line and
//! word boundaries (never inside a grapheme or a link), numbered parts, and the links in a text.
//!
//! Each platform measures length its own way ([`Measure`]): Discord in UTF-16 units, Bluesky
//! in graphemes, Mastodon in characters with every link counted as a fixed length.

use std::ops::Range;

use unicode_segmentation::UnicodeSegmentation;

/// How a platform counts a post's length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    /// UTF-16 code units (Discord, which may count so): never fewer than characters.
    Utf16,
    /// Grapheme clusters (Bluesky's 300).
    Graphemes,
    /// Grapheme clusters, each link counting as this many (Mastodon's 23).
    GraphemesLinksAs(usize),
}

impl Measure {
    /// The length of `text` as the platform counts it.
    pub fn len(self, text: &str) -> usize {
        tokens(text, self).iter().map(|t| t.cost).sum()
    }
}

/// A piece the splitter never cuts: a grapheme, or a whole link.
struct Token {
    end: usize,
    cost: usize,
}

fn tokens(text: &str, measure: Measure) -> Vec<Token> {
    let link_cost = match measure {
        Measure::GraphemesLinksAs(n) => Some(n),
        _ => None,
    };
    let links = if link_cost.is_some() || measure == Measure::Graphemes {
        links(text)
    } else {
        Vec::new()
    };
    let mut out = Vec::new();
    let mut links = links.into_iter().peekable();
    let mut graphemes = text.grapheme_indices(true).peekable();
    while let Some((i, g)) = graphemes.next() {
        if let Some(link) = links.peek().filter(|l| l.start == i).cloned() {
            links.next();
            let count = text[link.clone()].graphemes(true).count();
            while graphemes.peek().is_some_and(|(j, _)| *j < link.end) {
                graphemes.next();
            }
            out.push(Token {
                end: link.end,
                cost: link_cost.unwrap_or(count),
            });
            continue;
        }
        out.push(Token {
            end: i + g.len(),
            cost: match measure {
                Measure::Utf16 => g.encode_utf16().count(),
                _ => 1,
            },
        });
    }
    out
}

/// Splits `text` into parts of at most `limit` each, as `measure` counts. The cut is the last
/// paragraph break in the window, else the last line break, else the last space, else the last
/// token boundary; never inside a grapheme cluster or a link. Whitespace at a cut is dropped.
/// The same text always gives the same parts.
pub fn split(text: &str, limit: usize, measure: Measure) -> Vec<String> {
    let limit = limit.max(1);
    let mut parts = Vec::new();
    let mut rest = text.trim_end();
    while measure.len(rest) > limit {
        // Byte offset of the end of the longest token-aligned prefix within the limit.
        let mut window_end = 0;
        let mut used = 0;
        for t in tokens(rest, measure) {
            if used + t.cost > limit {
                break;
            }
            used += t.cost;
            window_end = t.end;
        }
        if window_end == 0 {
            // One token longer than the limit (an absurd combining sequence, a link longer
            // than a post): cut by characters.
            window_end = rest.char_indices().nth(1).map_or(rest.len(), |(i, _)| i);
        }
        let window = &rest[..window_end];
        let min_part = window_end / 4;
        let cut = [
            window.rfind("\n\n"),
            window.rfind('\n'),
            window.rfind(char::is_whitespace),
        ]
        .into_iter()
        .flatten()
        .find(|&i| i > min_part);
        let (head, tail) = match cut {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (window, &rest[window_end..]),
        };
        parts.push(head.trim_end().to_string());
        rest = tail.trim_start();
    }
    if !rest.is_empty() || parts.is_empty() {
        parts.push(rest.to_string());
    }
    parts
}

/// [`split`], numbering the parts ` (1/3)`, ` (2/3)`, … when there is more than one, each part
/// with its number still within `limit`.
pub fn numbered(text: &str, limit: usize, measure: Measure) -> Vec<String> {
    let parts = split(text, limit, measure);
    if parts.len() == 1 {
        return parts;
    }
    // Room for the widest number; a second pass in case the count itself grew a digit.
    let mut count = parts.len();
    loop {
        let room = format!(" ({count}/{count})").len();
        let parts = split(text, limit.saturating_sub(room).max(1), measure);
        if parts.len().to_string().len() <= count.to_string().len() {
            let n = parts.len();
            return parts
                .into_iter()
                .enumerate()
                .map(|(i, p)| format!("{p} ({}/{n})", i + 1))
                .collect();
        }
        count = parts.len();
    }
}

/// The `http://` and `https://` links in `text`, as byte ranges: up to the next whitespace,
/// less trailing punctuation that ends a sentence or closes a bracket not opened in the link.
pub fn links(text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(found) = ["https://", "http://"]
        .iter()
        .filter_map(|p| text[from..].find(p).map(|i| from + i))
        .min()
    {
        let before = text[..found].chars().next_back();
        let end = text[found..]
            .find(char::is_whitespace)
            .map_or(text.len(), |i| found + i);
        let mut link = &text[found..end];
        loop {
            let trimmed = link.trim_end_matches(['.', ',', ';', ':', '!', '?', '\'', '"']);
            let trimmed = match trimmed.strip_suffix(')') {
                Some(t) if t.matches('(').count() < t.matches(')').count() + 1 => t,
                _ => trimmed,
            };
            if trimmed.len() == link.len() {
                break;
            }
            link = trimmed;
        }
        let is_link = before.is_none_or(|c| !c.is_alphanumeric())
            && link.len() > link.find("://").unwrap_or(0) + 3;
        if is_link {
            out.push(found..found + link.len());
        }
        from = end.max(found + 1);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_end_before_closing_punctuation_and_need_a_boundary_before() {
        let text =
            "Report (https://example.gov.uk/a_(b)), see https://x.example/p?q=1. And xhttps://no";
        let found: Vec<&str> = links(text).into_iter().map(|r| &text[r]).collect();
        assert_eq!(
            found,
            ["https://example.gov.uk/a_(b)", "https://x.example/p?q=1"]
        );
    }

    #[test]
    fn each_measure_counts_its_platforms_way() {
        let family = "👨\u{200d}👩\u{200d}👧"; // one grapheme, 8 UTF-16 units
        let url = "https://democracy.example.gov.uk/documents/s91011/Plans%20and%20elevations.pdf";
        let text = format!("{family} {url}");
        assert_eq!(Measure::Utf16.len(family), 8);
        assert_eq!(Measure::Graphemes.len(&text), 2 + url.len());
        assert_eq!(Measure::GraphemesLinksAs(23).len(&text), 2 + 23);
    }

    #[test]
    fn a_split_never_cuts_a_link_and_numbers_its_parts_within_the_limit() {
        let url = "https://example.gov.uk/a-very-long-document-address-that-is-long.pdf";
        let text = format!("{} {url} {}", "word ".repeat(60), "more ".repeat(60));
        for measure in [Measure::Graphemes, Measure::GraphemesLinksAs(23)] {
            let parts = numbered(&text, 120, measure);
            assert!(parts.len() > 2, "{parts:?}");
            let n = parts.len();
            for (i, p) in parts.iter().enumerate() {
                assert!(measure.len(p) <= 120, "{p:?}");
                assert!(p.ends_with(&format!(" ({}/{n})", i + 1)), "{p:?}");
            }
            assert_eq!(
                parts.iter().filter(|p| p.contains(url)).count(),
                1,
                "{parts:?}"
            );
        }
        assert_eq!(numbered("short", 120, Measure::Graphemes), ["short"]);
    }
}
