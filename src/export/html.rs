//! Standalone HTML transcript: one printable, accessible page with no scripts and no external
//! resources. Landmarks (`header`, `main`, `footer`), a heading per agenda item, `id="e{n}"` on
//! every entry, all clerk text escaped, and only http(s) links, marked `rel="nofollow noopener"`.

use std::fmt::Write;

use crate::domain::EntryKind;
use crate::i18n::Language;
use crate::tr;

use super::ExportContext;
use super::transcript::{Line, Transcript, local_rfc3339};

const STYLE: &str = "body{font-family:system-ui,sans-serif;line-height:1.5;max-width:48rem;margin:0 auto;padding:1rem;color:#111;background:#fff}
h1{font-size:1.6rem;margin-bottom:.25rem}
h2{font-size:1.2rem;margin:1.5rem 0 .5rem;border-bottom:1px solid #ccc}
ol.entries{list-style:none;padding:0;margin:0}
ol.entries li{margin:.35rem 0}
.n{font-weight:bold;margin-right:.4rem}
time{color:#444;margin-right:.4rem;font-variant-numeric:tabular-nums}
.withdrawn .text{text-decoration:line-through}
.note{font-style:italic;color:#444}
.withheld{border-left:4px solid #888;padding-left:.5rem;color:#333}
footer{margin-top:2rem;border-top:1px solid #ccc;font-size:.9rem;color:#333}
a{color:#0645ad}
@media print{body{max-width:none;font-size:11pt}a{color:#000}a[href^=\"http\"]::after{content:\" (\" attr(href) \")\";font-size:9pt}h2{break-after:avoid}li{break-inside:avoid}}";

pub use crate::escape::html as escape;

/// An http(s) link, or `None` for any other scheme.
fn web_url(s: &str) -> Option<url::Url> {
    url::Url::parse(s)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
}

fn anchor(url: &url::Url, label: &str) -> String {
    format!(
        "<a href=\"{}\" rel=\"nofollow noopener\">{}</a>",
        escape(url.as_str()),
        escape(label)
    )
}

/// The entry's text, escaped, with its URL (for links, consultations and webcasts) made a link
/// when it is http(s) and appears in the text.
fn text_html(l: &Line) -> String {
    let text = l.text();
    let url = l.entry.payload.url().and_then(web_url);
    let html = match url {
        Some(u) => {
            // The stored URL is normalised (`https://x.org/`); the text may show either form.
            let shown = [u.as_str(), u.as_str().trim_end_matches('/')]
                .into_iter()
                .find(|s| text.contains(*s));
            match shown.and_then(|s| text.find(s).map(|i| (i, s))) {
                Some((i, s)) => format!(
                    "{}{}{}",
                    escape(&text[..i]),
                    anchor(&u, s),
                    escape(&text[i + s.len()..])
                ),
                None => escape(text),
            }
        }
        None => escape(text),
    };
    html.replace('\n', "<br>")
}

fn entry_html(out: &mut String, l: &Line, language: Language) {
    let n = l.seq().0;
    let class = if l.is_withdrawn() {
        " class=\"withdrawn\""
    } else {
        ""
    };
    let _ = write!(
        out,
        "<li id=\"e{n}\"{class}><a class=\"n\" href=\"#e{n}\">#{n}</a><time datetime=\"{}\">{}</time><span class=\"text\">{}</span>",
        l.local_rfc3339(),
        l.hhmm(),
        text_html(l)
    );
    if let Some(note) = l.correction_note(language) {
        let _ = write!(out, " <span class=\"note\">{}</span>", escape(&note));
    }
    if let Some(note) = l.withdrawal_note(language) {
        let _ = write!(out, " <strong class=\"note\">{}</strong>", escape(&note));
    }
    if let Some(note) = l.withheld_note(language) {
        let _ = write!(out, "<p class=\"withheld\">{}</p>", escape(&note));
    }
    out.push_str("</li>\n");
}

pub fn render(t: &Transcript, ctx: &ExportContext) -> String {
    let language = ctx.language;
    let mut out = String::new();
    let title = escape(t.title());
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta name=\"generator\" content=\"Gavel\">\n<title>{title} — {}</title>\n<style>\n{STYLE}\n</style>\n</head>\n<body>\n",
        language.primary().code(),
        escape(&ctx.council_name)
    );
    let _ = write!(
        out,
        "<header>\n<h1>{title}</h1>\n<p>{} · <time datetime=\"{}\">{}, {}</time> · {}</p>\n<p>{}</p>\n",
        escape(&ctx.council_name),
        local_rfc3339(t.started_at(), t.timezone),
        escape(&t.local_date(language)),
        escape(&t.local_span(language)),
        escape(&language.each(" / ", |l| {
            tr!(l, "export-meeting", meeting = t.id().to_string())
        })),
        escape(&t.zone_note(language))
    );
    if let Some(u) = ctx.meeting_url(t.id()).as_deref().and_then(web_url) {
        let _ = writeln!(
            out,
            "<p>{}: {}</p>",
            escape(&language.each(" / ", |l| tr!(l, "export-permalink"))),
            anchor(&u, u.as_str())
        );
    }
    out.push_str("</header>\n<main>\n");
    let mut open_list = false;
    let mut in_section = false;
    for l in &t.lines {
        if l.entry.kind() == EntryKind::Agenda {
            if open_list {
                out.push_str("</ol>\n");
            }
            if in_section {
                out.push_str("</section>\n");
            }
            let n = l.seq().0;
            let class = if l.is_withdrawn() {
                " class=\"withdrawn\""
            } else {
                ""
            };
            let _ = write!(
                out,
                "<section aria-labelledby=\"e{n}\">\n<h2 id=\"e{n}\"{class}><a class=\"n\" href=\"#e{n}\">#{n}</a><time datetime=\"{}\">{}</time><span class=\"text\">{}</span>",
                l.local_rfc3339(),
                l.hhmm(),
                text_html(l)
            );
            for note in [l.correction_note(language), l.withdrawal_note(language)]
                .into_iter()
                .flatten()
            {
                let _ = write!(out, " <span class=\"note\">{}</span>", escape(&note));
            }
            out.push_str("</h2>\n<ol class=\"entries\">\n");
            in_section = true;
            open_list = true;
            continue;
        }
        if !open_list {
            out.push_str("<ol class=\"entries\">\n");
            open_list = true;
        }
        entry_html(&mut out, l, language);
    }
    if open_list {
        out.push_str("</ol>\n");
    }
    if in_section {
        out.push_str("</section>\n");
    }
    out.push_str("</main>\n<footer>\n");
    let at = local_rfc3339(ctx.generated_at, t.timezone);
    let time = format!("<time datetime=\"{at}\">{at}</time>");
    for &l in language.langs() {
        // The page's `lang` is the primary language; a second language is marked.
        let lang = if l == language.primary() {
            String::new()
        } else {
            format!(" lang=\"{}\"", l.code())
        };
        let _ = writeln!(
            out,
            "<p{lang}>{}</p>",
            tr!(l, "export-exported", at = &time)
        );
    }
    for s in t.integrity_summary(language) {
        let _ = writeln!(out, "<p>{}</p>", escape(&s));
    }
    out.push_str("</footer>\n</body>\n</html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_special_characters_are_escaped() {
        assert_eq!(
            escape(r#"<script>"a" & 'b'</script>"#),
            "&lt;script&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/script&gt;"
        );
    }

    proptest::proptest! {
        #[test]
        fn escaped_text_never_contains_markup_characters(text in "\\PC{0,200}") {
            let e = escape(&text);
            proptest::prop_assert!(!e.contains(['<', '>', '"', '\'']));
        }
    }

    #[test]
    fn only_http_and_https_urls_become_links() {
        assert!(web_url("https://example.org/x").is_some());
        assert!(web_url("javascript:alert(1)").is_none());
        assert!(web_url("data:text/html,hi").is_none());
    }
}
