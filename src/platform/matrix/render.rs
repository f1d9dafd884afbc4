//! Event contents Gavel sends to Matrix: `m.notice` with a plain `body`, an HTML
//! `formatted_body` limited to the Matrix spec's allow-list, and an empty `m.mentions` so no post
//! can ping anyone (not even `@room`). Corrections are `m.replace` edits of the same shape.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use serde_json::{Value, json};

/// The tags the Matrix client-server spec (`m.room.message` / `org.matrix.custom.html`) lets
/// clients render.
const ALLOWED_TAGS: &[&str] = &[
    "font",
    "del",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "p",
    "a",
    "ul",
    "ol",
    "sup",
    "sub",
    "li",
    "b",
    "i",
    "u",
    "strong",
    "em",
    "s",
    "code",
    "hr",
    "br",
    "div",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "caption",
    "pre",
    "span",
    "img",
    "details",
    "summary",
];

static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut b = ammonia::Builder::empty();
    let attrs: HashMap<&str, HashSet<&str>> = HashMap::from([
        (
            "font",
            HashSet::from(["data-mx-bg-color", "data-mx-color", "color"]),
        ),
        (
            "span",
            HashSet::from(["data-mx-bg-color", "data-mx-color", "data-mx-spoiler"]),
        ),
        ("a", HashSet::from(["href", "target"])),
        (
            "img",
            HashSet::from(["width", "height", "alt", "title", "src"]),
        ),
        ("ol", HashSet::from(["start"])),
        ("code", HashSet::from(["class"])),
    ]);
    b.add_tags(ALLOWED_TAGS.iter().copied())
        .tag_attributes(attrs)
        .generic_attributes(HashSet::new())
        .url_schemes(HashSet::from(["http", "https", "mailto", "mxc"]))
        .url_relative(ammonia::UrlRelative::Deny)
        .link_rel(Some("noopener noreferrer"))
        .strip_comments(true)
        .attribute_filter(|element, attribute, value| match (element, attribute) {
            // Links only to the web and mail; images only from the homeserver's media repository.
            ("a", "href") => is_web_or_mail(value).then_some(Cow::Borrowed(value)),
            ("img", "src") => value.starts_with("mxc://").then_some(Cow::Borrowed(value)),
            ("code", "class") => value
                .starts_with("language-")
                .then_some(Cow::Borrowed(value)),
            _ => Some(Cow::Borrowed(value)),
        });
    b
});

fn is_web_or_mail(url: &str) -> bool {
    let lower = url.trim_start().to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://") || lower.starts_with("mailto:")
}

/// Cleans `html` down to the Matrix allow-list: unknown tags are dropped (their text kept),
/// `script`/`style` are removed with their content, event handlers and other attributes vanish.
pub fn sanitize_html(html: &str) -> String {
    SANITIZER.clean(html).to_string()
}

use crate::escape::html as escape;

/// The HTML form of a plain text post: escaped, with `http`/`https` URLs made links (only
/// those; a `javascript:` word stays text), then sanitised as a second line of defence.
pub fn html_of(text: &str) -> String {
    let mut html = String::with_capacity(text.len() + 16);
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            html.push_str("<br>");
        }
        let mut first = true;
        for word in line.split(' ') {
            if !first {
                html.push(' ');
            }
            first = false;
            html.push_str(&linkify_word(word));
        }
    }
    sanitize_html(&html)
}

fn linkify_word(word: &str) -> String {
    let lower = word.to_ascii_lowercase();
    if !(lower.starts_with("http://") || lower.starts_with("https://")) {
        return escape(word);
    }
    // Sentence punctuation after a URL is not part of it.
    let url_part = word.trim_end_matches(['.', ',', ';', ':', ')', '!', '?']);
    let tail = &word[url_part.len()..];
    match url::Url::parse(url_part) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => {
            format!(
                "<a href=\"{}\">{}</a>{}",
                escape(u.as_str()),
                escape(url_part),
                escape(tail)
            )
        }
        _ => escape(word),
    }
}

/// The content of a new post.
pub fn notice(text: &str) -> Value {
    json!({
        "msgtype": "m.notice",
        "body": text,
        "format": "org.matrix.custom.html",
        "formatted_body": html_of(text),
        "m.mentions": {},
    })
}

/// A notice shown as a reply to `event` (`m.in_reply_to`), still mentioning nobody: the
/// asker is not pinged either.
pub fn reply_notice(text: &str, event: &str) -> Value {
    let mut content = notice(text);
    content["m.relates_to"] = json!({ "m.in_reply_to": { "event_id": event } });
    content
}

/// A notice inside the thread rooted at `root` (Matrix threading, spec v1.4): clients without
/// thread support show it as a reply to `reply_to`, the thread's latest event Gavel knows of.
pub fn threaded_notice(text: &str, root: &str, reply_to: &str) -> Value {
    let mut content = notice(text);
    content["m.relates_to"] = json!({
        "rel_type": "m.thread",
        "event_id": root,
        "is_falling_back": true,
        "m.in_reply_to": { "event_id": reply_to },
    });
    content
}

/// The content of an edit (`m.replace`) that makes `original_event` show `text`. The outer
/// body is the fallback for clients without edit support, marked with `*` as the spec suggests.
pub fn replacement(original_event: &str, text: &str) -> Value {
    let html = html_of(text);
    json!({
        "msgtype": "m.notice",
        "body": format!("* {text}"),
        "format": "org.matrix.custom.html",
        "formatted_body": format!("* {html}"),
        "m.mentions": {},
        "m.new_content": {
            "msgtype": "m.notice",
            "body": text,
            "format": "org.matrix.custom.html",
            "formatted_body": html,
            "m.mentions": {},
        },
        "m.relates_to": { "rel_type": "m.replace", "event_id": original_event },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threaded_notices_name_the_root_and_fall_back_to_a_reply() {
        let c = threaded_notice("Item 2", "$root", "$latest");
        assert_eq!(c["msgtype"], "m.notice");
        assert_eq!(c["body"], "Item 2");
        assert_eq!(
            c["m.relates_to"],
            json!({
                "rel_type": "m.thread",
                "event_id": "$root",
                "is_falling_back": true,
                "m.in_reply_to": { "event_id": "$latest" },
            })
        );
    }

    #[test]
    fn script_and_event_handlers_never_survive() {
        let out = sanitize_html(
            "<p onclick=\"x()\">hi</p><script>alert(1)</script><img src=x onerror=alert(1)>",
        );
        assert_eq!(out, "<p>hi</p><img>");
    }

    #[test]
    fn links_keep_only_web_and_mail_targets_and_get_rel() {
        let out = sanitize_html(
            "<a href=\"javascript:alert(1)\">a</a><a href=\"https://x.org/\">b</a><a href=\"mailto:c@x.org\">c</a>",
        );
        assert_eq!(
            out,
            "<a rel=\"noopener noreferrer\">a</a><a href=\"https://x.org/\" rel=\"noopener noreferrer\">b</a><a href=\"mailto:c@x.org\" rel=\"noopener noreferrer\">c</a>"
        );
    }

    #[test]
    fn tags_outside_the_allow_list_are_dropped_but_their_text_kept() {
        assert_eq!(
            sanitize_html("<marquee>hi</marquee><b style=\"x\">b</b>"),
            "hi<b>b</b>"
        );
    }

    #[test]
    fn clerk_text_is_escaped_not_interpreted() {
        let html =
            html_of("#3 19:04 · <script>alert(1)</script> <img src=x onerror=alert(1)> @room");
        assert!(
            !html.contains("<script") && !html.contains("<img"),
            "{html}"
        );
        assert!(
            html.contains("&lt;script&gt;") && html.contains("@room"),
            "{html}"
        );
    }

    #[test]
    fn only_http_urls_become_links_and_trailing_punctuation_stays_text() {
        let html = html_of("see https://example.org/a?b=1&c=2. and javascript:alert(1)");
        assert_eq!(
            html,
            "see <a href=\"https://example.org/a?b=1&amp;c=2\" rel=\"noopener noreferrer\">https://example.org/a?b=1&amp;c=2</a>. and javascript:alert(1)"
        );
    }

    #[test]
    fn notices_and_edits_mention_nobody() {
        let n = notice("hello @room");
        assert_eq!(n["msgtype"], "m.notice");
        assert_eq!(n["m.mentions"], json!({}));
        let e = replacement("$ev", "fixed");
        assert_eq!(e["m.mentions"], json!({}));
        assert_eq!(e["m.new_content"]["m.mentions"], json!({}));
        assert_eq!(e["m.new_content"]["body"], "fixed");
        assert_eq!(e["m.relates_to"]["rel_type"], "m.replace");
        assert_eq!(e["m.relates_to"]["event_id"], "$ev");
        let r = reply_notice("Now: Cabinet.", "$question");
        assert_eq!(r["msgtype"], "m.notice");
        assert_eq!(r["m.mentions"], json!({}));
        assert_eq!(r["m.relates_to"]["m.in_reply_to"]["event_id"], "$question");
    }
}
