//! The one HTML/XML escape used everywhere Gavel writes markup: web pages, feeds, SSE payloads,
//! HTML exports and Matrix `formatted_body` (which `ammonia` then sanitises as well).

/// Escapes text for HTML and XML element content and quoted attribute values. Control
/// characters other than tab and newlines (not allowed in XML 1.0) become U+FFFD.
pub fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && !matches!(c, '\t' | '\n' | '\r') => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_quotes_and_controls_are_neutralised() {
        assert_eq!(
            html("<a href=\"x\" onclick='y'>&</a>\u{7}"),
            "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;\u{FFFD}"
        );
    }
}
