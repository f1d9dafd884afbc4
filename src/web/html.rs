//! HTML building blocks shared by every page: the one escape function, safe link rendering and
//! the page layout (landmarks, skip link, language, stylesheet and the live-update script).
//!
//! Everything user-supplied goes through [`escape`] (or [`linkify`], which escapes too) before it
//! reaches a page, a feed or an SSE payload.

use std::fmt::Write as _;

use crate::config::{Council, Language};
use crate::i18n::Lang;
use crate::tr;

pub use crate::escape::html as escape;

/// Characters that end a URL when they are its last character (`(see https://x.org/a).`).
const TRAILING: &[char] = &['.', ',', ';', ':', '!', '?', ')', ']', '\'', '"'];

/// Escapes `text` and turns each `http://` / `https://` URL in it into a link with
/// `rel="nofollow noopener"`. Nothing else (`javascript:`, `data:`, …) is ever a link.
pub fn linkify(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut rest = text;
    while let Some(start) = find_url_start(rest) {
        out.push_str(&escape(&rest[..start]));
        let tail = &rest[start..];
        let end = tail.find(char::is_whitespace).unwrap_or(tail.len());
        let candidate = tail[..end].trim_end_matches(TRAILING);
        match url::Url::parse(candidate) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => {
                let _ = write!(
                    out,
                    "<a href=\"{}\" rel=\"nofollow noopener\">{}</a>",
                    escape(u.as_str()),
                    escape(candidate)
                );
                rest = &tail[candidate.len()..];
            }
            _ => {
                // Not a URL after all: emit the scheme text and carry on after it.
                let skip = tail.find("//").map(|i| i + 2).unwrap_or(tail.len());
                out.push_str(&escape(&tail[..skip]));
                rest = &tail[skip..];
            }
        }
    }
    out.push_str(&escape(rest));
    out
}

fn find_url_start(s: &str) -> Option<usize> {
    let lower = s.to_ascii_lowercase();
    let mut best: Option<usize> = None;
    for pat in ["https://", "http://"] {
        let mut from = 0;
        while let Some(i) = lower[from..].find(pat) {
            let at = from + i;
            // Only at a word boundary, so `xhttp://` is not a link.
            let ok = at == 0
                || !lower[..at]
                    .chars()
                    .next_back()
                    .is_some_and(char::is_alphanumeric);
            if ok {
                best = Some(best.map_or(at, |b| b.min(at)));
                break;
            }
            from = at + pat.len();
        }
    }
    best
}

/// The `lang` attribute for the council's language.
pub fn lang(council: &Council) -> &'static str {
    match council.language {
        Language::Cy => "cy",
        Language::En | Language::EnCy => "en",
    }
}

/// Page chrome in the council's language(s), as HTML. `f` gives the text in one language and
/// is escaped here; `en+cy` shows the English, then the Welsh in a `lang="cy"` span so screen
/// readers switch voice.
pub fn chrome(language: Language, f: impl Fn(Lang) -> String) -> String {
    chrome_html(language, |l| escape(&f(l)))
}

/// Like [`chrome`], but `f` returns HTML (its caller escapes any arguments).
pub fn chrome_html(language: Language, f: impl Fn(Lang) -> String) -> String {
    match language {
        Language::EnCy => {
            let (en, cy) = (f(Lang::En), f(Lang::Cy));
            if en == cy {
                en
            } else {
                format!("{en} / <span lang=\"cy\">{cy}</span>")
            }
        }
        _ => f(language.primary()),
    }
}

/// Chrome for an attribute value or `<title>`, where markup cannot go: both languages joined
/// with " / ", escaped.
pub fn chrome_attr(language: Language, f: impl FnMut(Lang) -> String) -> String {
    escape(&language.each(" / ", f))
}

/// A page's `<head>` extras (JSON-LD) and body. `title` and `body` are already HTML.
pub struct Page<'a> {
    pub title: &'a str,
    pub head_extra: String,
    pub body: String,
}

/// Wraps a page in the layout: skip link, header with site name, navigation and search, main,
/// footer.
pub fn layout(council: &Council, page: Page<'_>) -> String {
    let name = escape(&council.name);
    let language = council.language;
    let c = |f: fn(Lang) -> String| chrome(language, f);
    format!(
        "<!doctype html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<title>{title} — {name}</title>\n<link rel=\"stylesheet\" href=\"/static/gavel.css\">\n\
<link rel=\"alternate\" type=\"application/atom+xml\" title=\"{feed_title}\" href=\"/feed.atom\">\n\
<script src=\"/static/live.js\" defer></script>\n{head_extra}</head>\n<body>\n\
<a class=\"skip-link\" href=\"#main\">{skip}</a>\n\
<header class=\"site-header\">\n<p class=\"site-name\"><a href=\"/\">{name}</a></p>\n\
<nav aria-label=\"{nav_label}\">\n<ul>\n<li><a href=\"/\">{meetings}</a></li>\n<li><a href=\"/search\">{search}</a></li>\n\
<li><a href=\"/feed.atom\">{feed}</a></li>\n<li><a href=\"/meetings.ics\">{calendar}</a></li>\n</ul>\n</nav>\n\
</header>\n<main id=\"main\" tabindex=\"-1\">\n{body}</main>\n\
<footer class=\"site-footer\">\n<p>{footer}</p>\n</footer>\n</body>\n</html>\n",
        lang = lang(council),
        feed_title = chrome_attr(language, |l| feed_title(&council.name, l)),
        skip = c(|l| tr!(l, "web-skip-link")),
        nav_label = chrome_attr(language, |l| tr!(l, "web-nav-label")),
        meetings = c(|l| tr!(l, "web-nav-meetings")),
        search = c(|l| tr!(l, "web-nav-search")),
        feed = c(|l| tr!(l, "web-nav-feed")),
        calendar = c(|l| tr!(l, "web-nav-calendar")),
        footer = chrome(language, |l| tr!(l, "web-footer", council = &council.name)),
        title = page.title,
        head_extra = page.head_extra,
        body = page.body,
    )
}

/// The Atom feed's title: `Council: live meeting updates`.
pub fn feed_title(council: &str, l: Lang) -> String {
    tr!(l, "web-feed-title", council = council)
}

/// Serialises a JSON value for a `<script type="application/ld+json">` block: `<`, `>` and `&`
/// are written as JSON escapes so the text can never close the element.
pub fn json_for_script(v: &serde_json::Value) -> String {
    let s = v.to_string();
    s.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_neutralises_markup_and_quotes() {
        assert_eq!(
            escape("<img src=x onerror=alert(1)> & \"'"),
            "&lt;img src=x onerror=alert(1)&gt; &amp; &quot;&#39;"
        );
    }

    #[test]
    fn only_http_and_https_urls_become_links() {
        let h = linkify(
            "see https://example.org/a?b=1&c=2. and javascript:alert(1) or data:text/html,x",
        );
        assert!(
            h.contains("<a href=\"https://example.org/a?b=1&amp;c=2\" rel=\"nofollow noopener\">"),
            "{h}"
        );
        assert!(h.contains("</a>. and javascript:alert(1)"), "{h}");
        assert_eq!(h.matches("<a ").count(), 1, "{h}");
    }

    #[test]
    fn a_url_with_markup_in_it_stays_escaped() {
        let h = linkify("https://x.org/\"><svg/onload=alert(1)>");
        assert!(!h.contains("<svg"), "{h}");
        assert!(!h.contains("\"><"), "{h}");
    }

    #[test]
    fn page_language_follows_the_council() {
        let mut c = Council {
            name: "Cyngor".into(),
            timezone: chrono_tz::Europe::London,
            language: Language::Cy,
        };
        assert!(
            layout(
                &c,
                Page {
                    title: "t",
                    head_extra: String::new(),
                    body: String::new()
                }
            )
            .contains("<html lang=\"cy\">")
        );
        c.language = Language::En;
        assert_eq!(lang(&c), "en");
    }

    #[test]
    fn script_json_cannot_close_the_element() {
        let v = serde_json::json!({"a": "</script><script>alert(1)</script>"});
        assert!(!json_for_script(&v).contains("</"));
    }
}
