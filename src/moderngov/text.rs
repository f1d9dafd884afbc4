//! HTML from ModernGov reduced to plain text with a real HTML parser (html5ever, through
//! `scraper`): entities decoded (`&amp;`, `&#8211;`, `&nbsp;`), tags dropped, block elements
//! on lines of their own.
//!
//! Titles are HTML too: the service HTML-escapes them before XML-escaping them, so
//! `Fees &amp;amp; Charges` in the XML is `Fees &amp; Charges` after the XML parser and
//! `Fees & Charges` after [`inline`].

use scraper::{ElementRef, Html, Node, Selector};

/// Elements that start and end a line.
const BLOCKS: [&str; 22] = [
    "address",
    "article",
    "blockquote",
    "dd",
    "div",
    "dl",
    "dt",
    "footer",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "li",
    "ol",
    "p",
    "pre",
    "section",
    "table",
    "tr",
];

/// Elements whose content is never text for a reader.
const SKIPPED: [&str; 4] = ["script", "style", "template", "noscript"];

/// One line of text: tags dropped, entities decoded, whitespace collapsed.
pub fn inline(html: &str) -> String {
    render(html, true).join(" ")
}

/// Plain text with one line per paragraph, list item (`- …`) or `<br>`.
pub fn block(html: &str) -> String {
    render(html, false).join("\n")
}

/// The `<title>` of an HTML page, for saying which page came back instead of data.
pub fn page_title(html: &str) -> Option<String> {
    let page = Html::parse_document(html);
    let selector = Selector::parse("title").ok()?;
    let title = page.select(&selector).next()?;
    let text: String = title.text().collect();
    let text = inline(&text);
    (!text.is_empty()).then_some(text)
}

fn render(html: &str, single_line: bool) -> Vec<String> {
    if !html.contains(['<', '&']) {
        let mut out = Lines::new(single_line);
        out.text(html);
        return out.finish();
    }
    let fragment = Html::parse_fragment(html);
    let mut out = Lines::new(single_line);
    walk(fragment.root_element(), &mut out);
    out.finish()
}

fn walk(element: ElementRef<'_>, out: &mut Lines) {
    for child in element.children() {
        match child.value() {
            Node::Text(t) => out.text(&t.text),
            Node::Element(e) => {
                let name = e.name();
                if SKIPPED.contains(&name) {
                    continue;
                }
                let Some(child) = ElementRef::wrap(child) else {
                    continue;
                };
                if name == "br" {
                    out.line_break();
                } else if BLOCKS.contains(&name) {
                    out.line_break();
                    if name == "li" {
                        out.bullet();
                    }
                    walk(child, out);
                    out.line_break();
                } else if matches!(name, "td" | "th") {
                    out.space();
                    walk(child, out);
                    out.space();
                } else {
                    walk(child, out);
                }
            }
            _ => {}
        }
    }
}

/// Collects text into lines, collapsing runs of whitespace (and no-break spaces) to one space.
struct Lines {
    single_line: bool,
    lines: Vec<String>,
    current: String,
    space: bool,
}

impl Lines {
    fn new(single_line: bool) -> Self {
        Lines {
            single_line,
            lines: Vec::new(),
            current: String::new(),
            space: false,
        }
    }

    fn text(&mut self, s: &str) {
        for c in s.chars() {
            if c.is_whitespace() {
                self.space = true;
            } else if !c.is_control() {
                if self.space && !self.current.is_empty() {
                    self.current.push(' ');
                }
                self.space = false;
                self.current.push(c);
            }
        }
    }

    fn space(&mut self) {
        self.space = true;
    }

    fn bullet(&mut self) {
        if !self.single_line {
            self.current.push_str("- ");
        }
    }

    fn line_break(&mut self) {
        if self.single_line {
            self.space = true;
            return;
        }
        let line = std::mem::take(&mut self.current);
        let line = line.trim_end();
        if !line.is_empty() && line != "-" {
            self.lines.push(line.to_string());
        }
        self.space = false;
    }

    fn finish(mut self) -> Vec<String> {
        self.single_line = false;
        self.line_break();
        self.lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_lose_their_html_escaping_and_extra_spaces() {
        assert_eq!(inline("Fees &amp; Charges"), "Fees & Charges");
        assert_eq!(
            inline("Inspector&#39;s  decisions &#8211; 2026"),
            "Inspector's decisions – 2026"
        );
        assert_eq!(
            inline("  Land at\u{a0}Mill&nbsp;Lane\n"),
            "Land at Mill Lane"
        );
        assert_eq!(inline("<b>Bold</b> move"), "Bold move");
        assert_eq!(inline("fewer than 5 < 6 homes"), "fewer than 5 < 6 homes");
        assert_eq!(inline("AT&T"), "AT&T");
    }

    #[test]
    fn agenda_text_keeps_paragraphs_and_list_items_on_their_own_lines() {
        let html = "<p>Members are asked to declare:</p><ul><li>pecuniary interests;</li>\n<li>other&nbsp;interests &amp; gifts.</li></ul><div>Objections: 2<br />Support: 14</div>";
        assert_eq!(
            block(html),
            "Members are asked to declare:\n- pecuniary interests;\n- other interests & gifts.\nObjections: 2\nSupport: 14"
        );
    }

    #[test]
    fn scripts_and_styles_are_not_text() {
        assert_eq!(
            block("<style>p{}</style><p>Hi</p><script>alert(1)</script>"),
            "Hi"
        );
    }

    #[test]
    fn empty_html_is_empty_text() {
        assert_eq!(block(""), "");
        assert_eq!(block("<p> </p><li></li>"), "");
    }

    #[test]
    fn an_error_page_is_known_by_its_title() {
        let page = "<!DOCTYPE html><html><head><title>Error - Example\n Council</title></head><body>x</body></html>";
        assert_eq!(page_title(page).as_deref(), Some("Error - Example Council"));
        assert_eq!(page_title("<html><body>no title</body></html>"), None);
    }
}
