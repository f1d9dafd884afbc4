//! The service's XML read into a small element tree (quick-xml events), so the parsers can ask
//! for `meeting/agendaitems/agendaitem/agendaitemtitle` by name.
//!
//! Why not serde: some sites put `agendatext` in the XML as raw HTML markup rather than as
//! escaped text, with HTML entities such as `&nbsp;` that XML does not define. Such fields are
//! taken verbatim ([`HTML_FIELDS`]) and handed to the HTML parser; serde would reject them.

use quick_xml::events::Event;
use quick_xml::reader::Reader;

/// Fields that hold HTML, escaped or as raw markup.
const HTML_FIELDS: [&str; 1] = ["agendatext"];

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Element {
    /// Lower-cased local name.
    pub name: String,
    /// The element's own text, XML entities resolved (HTML entities left for the HTML parser).
    pub text: String,
    pub children: Vec<Element>,
}

impl Element {
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The trimmed text of the child `name`, `None` when it is missing or empty.
    pub fn text_of(&self, name: &str) -> Option<&str> {
        self.child(name)
            .map(|c| c.text.trim())
            .filter(|t| !t.is_empty())
    }

    /// ModernGov's `True` / `False`; missing or anything else is `None`.
    pub fn flag(&self, name: &str) -> Option<bool> {
        match self.text_of(name)?.to_ascii_lowercase().as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        }
    }
}

/// Parses a whole document and returns its root element.
pub fn parse(doc: &str) -> Result<Element, String> {
    let doc = doc.strip_prefix('\u{feff}').unwrap_or(doc);
    let mut reader = Reader::from_str(doc);
    let mut stack: Vec<Element> = vec![Element::default()];
    loop {
        let event = reader
            .read_event()
            .map_err(|e| format!("{e} at byte {}", reader.error_position()))?;
        match event {
            Event::Start(start) => {
                let name = local_name(start.local_name().as_ref());
                if HTML_FIELDS.contains(&name.as_str()) {
                    let raw = reader
                        .read_text(start.name())
                        .map_err(|e| format!("{e} in <{name}>"))?;
                    push(
                        &mut stack,
                        Element {
                            text: markup(&raw),
                            name,
                            children: Vec::new(),
                        },
                    );
                } else {
                    stack.push(Element {
                        name,
                        ..Element::default()
                    });
                }
            }
            Event::Empty(empty) => {
                let name = local_name(empty.local_name().as_ref());
                push(
                    &mut stack,
                    Element {
                        name,
                        ..Element::default()
                    },
                );
            }
            Event::End(_) => {
                let done = stack.pop().ok_or("unbalanced end tag")?;
                if stack.is_empty() {
                    return Err("unbalanced end tag".into());
                }
                push(&mut stack, done);
            }
            Event::Text(t) => {
                let text = match t.unescape() {
                    Ok(s) => s.into_owned(),
                    // An entity XML does not define (`&nbsp;`): keep it for the HTML parser.
                    Err(_) => String::from_utf8_lossy(&t).into_owned(),
                };
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&text);
                }
            }
            Event::CData(c) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&String::from_utf8_lossy(&c));
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if stack.len() != 1 {
        return Err(format!(
            "the document ends inside <{}>",
            stack.last().map(|e| e.name.as_str()).unwrap_or("?")
        ));
    }
    let document = stack.pop().unwrap_or_default();
    document
        .children
        .into_iter()
        .next()
        .ok_or_else(|| "the document is empty".to_string())
}

fn push(stack: &mut [Element], element: Element) {
    if let Some(parent) = stack.last_mut() {
        parent.children.push(element);
    }
}

fn local_name(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).to_ascii_lowercase()
}

/// The HTML held by an HTML field, whichever way the site wrote it: raw markup as it is,
/// a CDATA section's content, or escaped text with its XML entities resolved.
fn markup(raw: &str) -> String {
    let trimmed = raw.trim();
    if let Some(inner) = trimmed
        .strip_prefix("<![CDATA[")
        .and_then(|s| s.strip_suffix("]]>"))
    {
        return inner.to_string();
    }
    if trimmed.contains('<') {
        return trimmed.to_string();
    }
    match quick_xml::escape::unescape(trimmed) {
        Ok(s) => s.into_owned(),
        Err(_) => trimmed.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elements_text_and_flags_are_read_by_lower_case_name() {
        let root =
            parse("\u{feff}<?xml version=\"1.0\"?>\r\n<Meeting><MeetingId> 7 </MeetingId><agendapublished>True</agendapublished><x/></Meeting>")
                .unwrap();
        assert_eq!(root.name, "meeting");
        assert_eq!(root.text_of("meetingid"), Some("7"));
        assert_eq!(root.flag("agendapublished"), Some(true));
        assert_eq!(root.text_of("x"), None);
        assert_eq!(root.flag("missing"), None);
    }

    #[test]
    fn xml_entities_are_resolved_once_leaving_the_html_escaping() {
        let root = parse("<t><title>Fees &amp;amp; Charges</title></t>").unwrap();
        assert_eq!(root.text_of("title"), Some("Fees &amp; Charges"));
    }

    #[test]
    fn agendatext_is_html_however_the_site_wrote_it() {
        let escaped =
            parse("<i><agendatext>&lt;p&gt;A &amp;amp; B&lt;/p&gt;</agendatext></i>").unwrap();
        assert_eq!(escaped.text_of("agendatext"), Some("<p>A &amp; B</p>"));
        let raw =
            parse("<i><agendatext><div><p>A&nbsp;B</p></div></agendatext><n>1</n></i>").unwrap();
        assert_eq!(
            raw.text_of("agendatext"),
            Some("<div><p>A&nbsp;B</p></div>")
        );
        assert_eq!(raw.text_of("n"), Some("1"));
        let cdata = parse("<i><agendatext><![CDATA[<p>A</p>]]></agendatext></i>").unwrap();
        assert_eq!(cdata.text_of("agendatext"), Some("<p>A</p>"));
    }

    #[test]
    fn broken_documents_are_errors_not_panics() {
        assert!(parse("<a><b></a>").is_err());
        assert!(parse("<a><b>").is_err());
        assert!(parse("").is_err());
    }
}
