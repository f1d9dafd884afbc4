//! Akoma Ntoso 3.0 debate record: FRBR identification, a `<debateSection>` per agenda item,
//! `<speech>` for motions and for commentary while a named speaker has the floor, `<narrative>`
//! for everything else, each with `<recordedTime>` carrying the local offset. Written with
//! quick-xml, which escapes every text and attribute value.

use std::collections::BTreeMap;
use std::io::Cursor;

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};

use crate::domain::Payload;
use crate::i18n::{Lang, Language};

use super::transcript::{Line, Transcript};
use super::{ExportContext, ExportError};

pub const NAMESPACE: &str = "http://docs.oasis-open.org/legaldocml/ns/akn/3.0";

type W = Writer<Cursor<Vec<u8>>>;

struct Xml {
    w: W,
}

impl Xml {
    fn start(&mut self, name: &str, attrs: &[(&str, &str)]) -> std::io::Result<()> {
        let mut e = BytesStart::new(name);
        for a in attrs {
            e.push_attribute(*a);
        }
        self.w.write_event(Event::Start(e))
    }
    fn end(&mut self, name: &str) -> std::io::Result<()> {
        self.w.write_event(Event::End(BytesEnd::new(name)))
    }
    fn empty(&mut self, name: &str, attrs: &[(&str, &str)]) -> std::io::Result<()> {
        let mut e = BytesStart::new(name);
        for a in attrs {
            e.push_attribute(*a);
        }
        self.w.write_event(Event::Empty(e))
    }
    fn text(&mut self, s: &str) -> std::io::Result<()> {
        self.w.write_event(Event::Text(BytesText::new(s)))
    }
    fn element(&mut self, name: &str, attrs: &[(&str, &str)], text: &str) -> std::io::Result<()> {
        self.start(name, attrs)?;
        self.text(text)?;
        self.end(name)
    }
}

/// A lowercase `a-z0-9-` slug that is a valid XML NCName after `prefix`.
/// Akoma Ntoso names languages with ISO 639-2 codes.
fn iso_639_2(l: Lang) -> &'static str {
    match l {
        Lang::En => "eng",
        Lang::Cy => "cym",
    }
}

fn slug(prefix: &str, s: &str) -> String {
    let mut out = String::from(prefix);
    let mut dash = true;
    for c in s.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            out.push(c);
            dash = false;
        } else if !dash {
            out.push('-');
            dash = true;
        }
    }
    out.trim_end_matches('-').to_string()
}

/// ISO 3166 code for FRBRcountry from the council's zone; `un` (unknown) otherwise.
fn country(tz: &str) -> &'static str {
    match tz {
        "Europe/London" | "Europe/Belfast" | "GB" => "gb",
        "Europe/Dublin" | "Eire" => "ie",
        "Europe/Isle_of_Man" => "im",
        "Europe/Jersey" => "je",
        "Europe/Guernsey" => "gg",
        _ => "un",
    }
}

/// Who a line is spoken by, if it is a speech: a motion's mover, or the speaker who has the
/// floor for a note.
fn speaker_of(l: &Line) -> Option<String> {
    match &l.entry.payload {
        Payload::Motion(m) => m.mover.clone(),
        Payload::Note(_) => l.speaker.clone(),
        _ => None,
    }
    .filter(|n| !n.trim().is_empty())
}

fn status(l: &Line) -> Option<&'static str> {
    if l.is_withdrawn() {
        Some("removed")
    } else if l.is_corrected() {
        Some("edited")
    } else {
        None
    }
}

/// `<p><recordedTime/>text <remark>notes</remark></p>` plus a withheld remark.
fn paragraphs(x: &mut Xml, l: &Line, language: Language) -> std::io::Result<()> {
    let time = l.local_rfc3339();
    let eid = format!("e{}", l.seq().0);
    let mut attrs = vec![("eId", eid.as_str())];
    if let Some(s) = status(l) {
        attrs.push(("status", s));
    }
    x.start("p", &attrs)?;
    x.empty("recordedTime", &[("time", time.as_str())])?;
    x.text(l.text())?;
    for n in [l.correction_note(language), l.withdrawal_note(language)]
        .into_iter()
        .flatten()
    {
        x.text(" ")?;
        x.element("remark", &[], &n)?;
    }
    x.end("p")?;
    if let Some(n) = l.withheld_note(language) {
        x.start("p", &[])?;
        x.element("remark", &[("type", "sceneComment")], &n)?;
        x.end("p")?;
    }
    Ok(())
}

fn line(
    x: &mut Xml,
    l: &Line,
    people: &BTreeMap<String, String>,
    language: Language,
) -> std::io::Result<()> {
    match speaker_of(l).and_then(|n| people.get(&n).map(|id| (n, id))) {
        Some((name, id)) => {
            let by = format!("#{id}");
            x.start("speech", &[("by", by.as_str())])?;
            x.element("from", &[], &name)?;
            paragraphs(x, l, language)?;
            x.end("speech")
        }
        None => {
            x.start("narrative", &[])?;
            paragraphs(x, l, language)?;
            x.end("narrative")
        }
    }
}

/// The names a document is known by (FRBR work and expression) and its dates.
struct Names {
    date: String,
    council: String,
    work: String,
    expr: String,
    generated: String,
}

impl Names {
    fn of(t: &Transcript, ctx: &ExportContext) -> Names {
        let date = t
            .started_at()
            .with_timezone(&t.timezone)
            .date_naive()
            .to_string();
        let council = slug("", &ctx.council_name);
        let council = if council.is_empty() {
            "council".to_string()
        } else {
            council
        };
        let work = format!(
            "/akn/{}/debaterecord/{council}/{date}/{}",
            country(t.timezone.name()),
            t.id()
        );
        let expr = format!("{work}/eng@{date}");
        let generated = ctx
            .generated_at
            .with_timezone(&t.timezone)
            .date_naive()
            .to_string();

        Names {
            date,
            council,
            work,
            expr,
            generated,
        }
    }
}

/// Everyone who speaks (movers, and speakers who have the floor for a note), with their ids.
fn people(t: &Transcript) -> BTreeMap<String, String> {
    let mut people: BTreeMap<String, String> = BTreeMap::new();
    for l in &t.lines {
        if let Some(name) = speaker_of(l)
            && !people.contains_key(&name)
        {
            let mut id = slug("person-", &name);
            while people.values().any(|v| *v == id) {
                id.push('x');
            }
            people.insert(name, id);
        }
    }
    people
}

fn write(t: &Transcript, ctx: &ExportContext) -> std::io::Result<Vec<u8>> {
    let people = people(t);
    let names = Names::of(t, ctx);
    let mut x = Xml {
        w: Writer::new_with_indent(Cursor::new(Vec::new()), b' ', 2),
    };
    x.w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    x.start("akomaNtoso", &[("xmlns", NAMESPACE)])?;
    let name = format!("meeting-{}", t.id());
    x.start("debate", &[("name", name.as_str())])?;
    write_meta(&mut x, t, ctx, &names, &people)?;
    write_preface(&mut x, t, ctx, &names)?;
    write_body(&mut x, t, ctx, &people)?;
    x.end("debate")?;
    x.end("akomaNtoso")?;
    let mut bytes = x.w.into_inner().into_inner();
    bytes.push(b'\n');
    Ok(bytes)
}

/// `<meta>`: identification (FRBR) and references to the council, Gavel and every speaker.
fn write_meta(
    x: &mut Xml,
    t: &Transcript,
    ctx: &ExportContext,
    names: &Names,
    people: &BTreeMap<String, String>,
) -> std::io::Result<()> {
    let Names {
        date,
        council,
        work,
        expr,
        generated,
    } = names;
    x.start("meta", &[])?;
    x.start("identification", &[("source", "#gavel")])?;
    x.start("FRBRWork", &[])?;
    x.empty("FRBRthis", &[("value", format!("{work}/!main").as_str())])?;
    x.empty("FRBRuri", &[("value", work.as_str())])?;
    x.empty("FRBRdate", &[("date", date.as_str()), ("name", "meeting")])?;
    x.empty("FRBRauthor", &[("href", "#council")])?;
    x.empty("FRBRcountry", &[("value", country(t.timezone.name()))])?;
    x.empty("FRBRname", &[("value", t.title())])?;
    x.end("FRBRWork")?;
    x.start("FRBRExpression", &[])?;
    x.empty("FRBRthis", &[("value", format!("{expr}/!main").as_str())])?;
    x.empty("FRBRuri", &[("value", expr.as_str())])?;
    x.empty("FRBRdate", &[("date", date.as_str()), ("name", "meeting")])?;
    x.empty("FRBRauthor", &[("href", "#council")])?;
    x.empty(
        "FRBRlanguage",
        &[("language", iso_639_2(ctx.language.primary()))],
    )?;
    x.end("FRBRExpression")?;
    x.start("FRBRManifestation", &[])?;
    x.empty(
        "FRBRthis",
        &[("value", format!("{expr}/!main.xml").as_str())],
    )?;
    x.empty("FRBRuri", &[("value", format!("{expr}.akn").as_str())])?;
    x.empty(
        "FRBRdate",
        &[("date", generated.as_str()), ("name", "export")],
    )?;
    x.empty("FRBRauthor", &[("href", "#gavel")])?;
    x.end("FRBRManifestation")?;
    x.end("identification")?;
    x.start("references", &[("source", "#gavel")])?;
    let council_href = format!("/ontology/organization/{council}");
    x.empty(
        "TLCOrganization",
        &[
            ("eId", "council"),
            ("href", council_href.as_str()),
            ("showAs", ctx.council_name.as_str()),
        ],
    )?;
    x.empty(
        "TLCOrganization",
        &[
            ("eId", "gavel"),
            ("href", "/ontology/organization/gavel"),
            ("showAs", "Gavel"),
        ],
    )?;
    // Agenda items the council's own system knows, so a reader can join the two records.
    for &i in &t.items() {
        if let Some((eid, href, show)) = source_concept(t, i) {
            x.empty(
                "TLCConcept",
                &[
                    ("eId", eid.as_str()),
                    ("href", href.as_str()),
                    ("showAs", show.as_str()),
                ],
            )?;
        }
    }
    for (name, id) in people {
        let href = format!("/ontology/person/{}", id.trim_start_matches("person-"));
        x.empty(
            "TLCPerson",
            &[
                ("eId", id.as_str()),
                ("href", href.as_str()),
                ("showAs", name.as_str()),
            ],
        )?;
    }
    x.end("references")?;
    x.end("meta")?;

    Ok(())
}

/// `<preface>`: title, authority, date, and the entries before the first agenda item.
fn write_preface(
    x: &mut Xml,
    t: &Transcript,
    ctx: &ExportContext,
    names: &Names,
) -> std::io::Result<()> {
    let date = &names.date;
    x.start("preface", &[])?;
    x.start("p", &[])?;
    x.element("docTitle", &[], t.title())?;
    x.end("p")?;
    x.start("p", &[])?;
    x.element("docAuthority", &[], &ctx.council_name)?;
    x.end("p")?;
    x.start("p", &[])?;
    x.element(
        "docDate",
        &[("date", date.as_str())],
        &format!(
            "{}, {}",
            t.local_date(ctx.language),
            t.local_span(ctx.language)
        ),
    )?;
    x.end("p")?;
    let items = t.items();
    let opening: Vec<&Line> = t.lines.iter().filter(|l| l.item.is_none()).collect();
    if !opening.is_empty() && !items.is_empty() {
        x.start("container", &[("name", "opening")])?;
        for l in opening {
            paragraphs(x, l, ctx.language)?;
        }
        x.end("container")?;
    }
    x.end("preface")?;

    Ok(())
}

/// The `TLCConcept` for an agenda item with an id in the council's own system:
/// `(eId, href, showAs)`, e.g. `src-item-9001`, `/ontology/concept/moderngov/…/item/9001`.
fn source_concept(t: &Transcript, line: usize) -> Option<(String, String, String)> {
    let planned = t.planned_for(line)?;
    let id = planned.external_id.as_deref()?;
    let id: String = id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    let system = t
        .meeting
        .source
        .as_ref()
        .map(|s| s.key.rsplit_once(':').map_or(s.key.as_str(), |(k, _)| k))
        .unwrap_or("source")
        .replace(':', "/");
    Some((
        format!("src-item-{id}"),
        format!("/ontology/concept/{system}/item/{id}"),
        format!("{} {}", planned.number, planned.title),
    ))
}

/// `<debateBody>`: one section per agenda item (or one for the whole meeting without items).
fn write_body(
    x: &mut Xml,
    t: &Transcript,
    ctx: &ExportContext,
    people: &BTreeMap<String, String>,
) -> std::io::Result<()> {
    let items = t.items();
    x.start("debateBody", &[])?;
    if items.is_empty() {
        // No agenda items: the whole meeting is one section.
        x.start(
            "debateSection",
            &[("eId", "dbsect_1"), ("name", "proceedings")],
        )?;
        x.element("heading", &[], t.title())?;
        for l in &t.lines {
            line(x, l, people, ctx.language)?;
        }
        x.end("debateSection")?;
    }
    for (k, &i) in items.iter().enumerate() {
        let item = &t.lines[i];
        let eid = format!("dbsect_{}", k + 1);
        let refers = source_concept(t, i).map(|(id, _, _)| format!("#{id}"));
        let mut attrs = vec![("eId", eid.as_str()), ("name", "agendaItem")];
        if let Some(r) = &refers {
            attrs.push(("refersTo", r.as_str()));
        }
        x.start("debateSection", &attrs)?;
        let agenda = match &item.entry.payload {
            Payload::Agenda(a) => Some(a),
            _ => None,
        };
        if let Some(a) = agenda {
            x.element("num", &[], &a.number)?;
        }
        let heading = match agenda {
            Some(a) if !item.is_corrected() => a.title.clone(),
            _ => item.item_title(),
        };
        x.element("heading", &[], &heading)?;
        x.start("narrative", &[])?;
        paragraphs(x, item, ctx.language)?;
        // The council's public documents for the item, as links.
        for d in t
            .planned_for(i)
            .map(|p| p.documents.as_slice())
            .unwrap_or_default()
        {
            x.start("p", &[("class", "document")])?;
            x.element("a", &[("href", d.url.as_str())], &d.title)?;
            x.end("p")?;
        }
        x.end("narrative")?;
        for (j, l) in t.lines.iter().enumerate() {
            if j != i && l.item == Some(i) {
                line(x, l, people, ctx.language)?;
            }
        }
        x.end("debateSection")?;
    }
    x.end("debateBody")?;
    Ok(())
}

pub fn render(t: &Transcript, ctx: &ExportContext) -> Result<String, ExportError> {
    let bytes = write(t, ctx).map_err(|e| ExportError::Serialize(e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| ExportError::Serialize(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_ncnames_made_of_lowercase_words() {
        assert_eq!(
            slug("person-", "Cllr Ann O'Neill"),
            "person-cllr-ann-o-neill"
        );
        assert_eq!(
            slug("", "Example Borough Council!"),
            "example-borough-council"
        );
    }
}
