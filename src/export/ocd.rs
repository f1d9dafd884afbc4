//! Open Civic Data export: one `{ "event": …, "vote_events": […] }` object. The event carries
//! the agenda (order, description, notes, webcast offsets); each standing vote becomes a
//! VoteEvent with yes/no/abstain counts and named votes. What OCD has no field for (closing
//! dates, seconders, corrections, entry times) goes in `extras`.

use serde_json::{Value, json};

use crate::archive::PlannedItem;
use crate::domain::payload::Motion;
use crate::domain::{EntryKind, Payload};
use crate::i18n::Language;

use super::transcript::{Line, Transcript, local_rfc3339};
use super::{ExportContext, ExportError, to_json};

/// `pass` / `fail`, as OCD spells results.
pub fn result(outcome: crate::command::Outcome) -> &'static str {
    match outcome {
        crate::command::Outcome::Carried => "pass",
        crate::command::Outcome::Lost => "fail",
    }
}

/// A line's text with its correction and withdrawal notes.
fn annotated(l: &Line, language: Language) -> String {
    let mut s = l.text().to_string();
    for n in [
        l.correction_note(language),
        l.withdrawal_note(language),
        l.withheld_note(language),
    ]
    .into_iter()
    .flatten()
    {
        s.push(' ');
        s.push_str(&n);
    }
    s
}

fn motion_of(l: &Line) -> Option<&Motion> {
    match &l.entry.payload {
        Payload::Motion(m) => Some(m),
        _ => None,
    }
}

fn entry_extra(l: &Line) -> Value {
    json!({
        "entry": l.seq().0,
        "kind": l.entry.kind().as_str(),
        "time": l.local_rfc3339(),
        "text": l.text(),
        "corrections": l.corrections.iter().map(|c| json!({
            "entry": c.seq.0,
            "time": local_rfc3339(c.at, c.timezone),
            "text": c.text,
        })).collect::<Vec<_>>(),
        "original_text": l.is_corrected().then(|| l.entry.text.clone()),
        "withdrawn": l.withdrawal.as_ref().map(|w| json!({
            "entry": w.seq.0,
            "time": local_rfc3339(w.at, w.timezone),
            "reason": w.text,
        })),
        "withheld_after": l.withheld,
    })
}

fn webcast_media(t: &Transcript, l: &Line) -> Vec<Value> {
    match (&t.webcast, t.webcast_offset_ms(l.entry.at)) {
        (Some(w), Some(ms)) if ms >= 0 => vec![json!({
            "note": "Webcast",
            "date": w.at.with_timezone(&t.timezone).format("%Y-%m-%d").to_string(),
            "offset": ms / 1000,
            "links": [{"media_type": "text/html", "url": w.url}],
        })],
        _ => Vec::new(),
    }
}

/// Where the record comes from: the council's own meeting page (for an imported meeting),
/// then Gavel's public transcript.
fn source(t: &Transcript, ctx: &ExportContext) -> Value {
    let mut sources = Vec::new();
    if let Some(s) = &t.meeting.source {
        sources.push(json!({"note": "Council's meeting page", "url": s.url}));
    }
    if let Some(url) = ctx.meeting_url(t.id()) {
        sources.push(json!({"note": "Gavel transcript", "url": url}));
    }
    Value::Array(sources)
}

/// An agenda item's ids in the council's own system, exempt flag and public documents.
fn planned_extras(t: &Transcript, line: usize) -> Option<Value> {
    let from_source =
        |p: &&PlannedItem| p.external_id.is_some() || p.exempt || !p.documents.is_empty();
    t.planned_for(line).filter(from_source).map(|p| {
        json!({
            "source_item": p.external_id,
            "source_meeting": t.meeting.source.as_ref().map(|s| &s.key),
            "exempt": p.exempt,
            "documents": p.documents.iter().map(|d| json!({"title": d.title, "url": d.url})).collect::<Vec<_>>(),
        })
    })
}

/// `application/pdf` for the PDFs councils publish, `text/html` for pages.
fn media_type(url: &str) -> &'static str {
    let path = url
        .split(['?', '#'])
        .next()
        .unwrap_or(url)
        .to_ascii_lowercase();
    if path.ends_with(".pdf") {
        "application/pdf"
    } else if path.ends_with(".docx") {
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    } else {
        "text/html"
    }
}

pub fn event(t: &Transcript, ctx: &ExportContext) -> Value {
    let mut agenda = Vec::new();
    let mut preamble = Vec::new();
    let items = t.items();
    for (order, &i) in items.iter().enumerate() {
        let item = &t.lines[i];
        let under: Vec<&Line> = t
            .lines
            .iter()
            .enumerate()
            .filter(|(j, l)| *j != i && l.item == Some(i))
            .map(|(_, l)| l)
            .collect();
        let mut people: Vec<Value> = Vec::new();
        for l in &under {
            let mut add = |name: Option<&str>, note: &str| {
                if let Some(name) = name.filter(|n| !n.is_empty()) {
                    let v = json!({"name": name, "entity_type": "person", "note": note});
                    if !people.contains(&v) {
                        people.push(v);
                    }
                }
            };
            if l.is_withdrawn() {
                continue;
            }
            match &l.entry.payload {
                Payload::Speaker(_) => add(l.speaker.as_deref(), "speaker"),
                Payload::Motion(m) => {
                    add(m.mover.as_deref(), "mover");
                    add(m.seconder.as_deref(), "seconder");
                }
                _ => {}
            }
        }
        let mut entry = json!({
            "order": (order + 1).to_string(),
            "description": item.item_title(),
            "classification": [],
            "subjects": [],
            "notes": under.iter().map(|l| annotated(l, ctx.language)).collect::<Vec<_>>(),
            "related_entities": people,
            "media": webcast_media(t, item),
            "extras": {
                "number": match &item.entry.payload {
                    Payload::Agenda(a) => Some(a.number.as_str()),
                    _ => None,
                },
                "item": entry_extra(item),
                "entries": under.iter().map(|l| entry_extra(l)).collect::<Vec<_>>(),
            },
        });
        if let (Some(planned), Some(extras)) =
            (planned_extras(t, i), entry["extras"].as_object_mut())
        {
            extras.insert("planned".into(), planned);
        }
        agenda.push(entry);
    }
    for l in t.lines.iter().filter(|l| l.item.is_none()) {
        preamble.push(entry_extra(l));
    }
    let consultations: Vec<Value> = t
        .lines
        .iter()
        .filter(|l| {
            matches!(
                l.entry.kind(),
                EntryKind::Consult | EntryKind::ConsultExtend | EntryKind::ConsultWithdraw
            )
        })
        .map(|l| {
            let (closes, consultation) = match &l.entry.payload {
                Payload::Consult(c) => (Some(c.closes), None),
                Payload::ConsultExtend(x) => (Some(x.closes), Some(x.consultation)),
                Payload::ConsultWithdraw(x) => (None, Some(x.consultation)),
                _ => (None, None),
            };
            json!({
                "entry": l.seq().0,
                "kind": l.entry.kind().as_str(),
                "title": l.entry.payload.title(),
                "url": l.entry.payload.url(),
                "closes": closes.map(|d| d.to_string()),
                "consultation": consultation,
                "time": l.local_rfc3339(),
                "withdrawn": l.is_withdrawn(),
            })
        })
        .collect();
    let mut documents: Vec<Value> = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    // The council's documents for the items taken, then the links posted during the meeting;
    // a URL is listed once (OCD's tools refuse a repeated one).
    let date = t
        .started_at()
        .with_timezone(&t.timezone)
        .format("%Y-%m-%d")
        .to_string();
    for &i in &items {
        for d in t
            .planned_for(i)
            .map(|p| p.documents.as_slice())
            .unwrap_or_default()
        {
            if seen.contains(&d.url) {
                continue;
            }
            seen.push(d.url.clone());
            let number = match &t.lines[i].entry.payload {
                Payload::Agenda(a) => a.number.as_str(),
                _ => "",
            };
            documents.push(json!({
                "note": format!("Item {number}: {}", d.title),
                "date": date,
                "links": [{"media_type": media_type(&d.url), "url": d.url}],
            }));
        }
    }
    for l in t.lines.iter().filter(|l| {
        matches!(l.entry.kind(), EntryKind::Link | EntryKind::Consult) && !l.is_withdrawn()
    }) {
        let Some(url) = l.entry.payload.url() else {
            continue;
        };
        if seen.iter().any(|u| u == url) {
            continue;
        }
        seen.push(url.to_string());
        documents.push(json!({
            "note": l.entry.payload.title().unwrap_or_default(),
            "date": l.entry.at.with_timezone(&l.entry.timezone).format("%Y-%m-%d").to_string(),
            "links": [{"media_type": "text/html", "url": url}],
        }));
    }
    let corrections: Vec<Value> = t
        .lines
        .iter()
        .filter(|l| l.is_corrected() || l.is_withdrawn())
        .map(entry_extra)
        .collect();
    let media: Vec<Value> = t
        .webcast
        .iter()
        .map(|w| {
            json!({
                "note": "Webcast",
                "date": w.at.with_timezone(&t.timezone).format("%Y-%m-%d").to_string(),
                "offset": 0,
                "links": [{"media_type": "text/html", "url": w.url}],
            })
        })
        .collect();
    let status = if t.meeting.ended_at.is_some() {
        "passed"
    } else {
        "confirmed"
    };
    json!({
        "_type": "event",
        "name": t.title(),
        "description": format!("{} — {}", ctx.council_name, t.title()),
        "classification": "council-meeting",
        "start_date": local_rfc3339(t.started_at(), t.timezone),
        // OCD's tools take a blank end for a meeting still under way, not null.
        "end_date": t.meeting.ended_at.map(|e| local_rfc3339(e, t.timezone)).unwrap_or_default(),
        "timezone": t.timezone.name(),
        "all_day": false,
        "status": status,
        "location": Value::Null,
        "participants": [{"name": ctx.council_name, "entity_type": "organization", "note": "host"}],
        "media": media,
        "documents": documents,
        "links": source(t, ctx),
        "sources": source(t, ctx),
        "agenda": agenda,
        "extras": {
            "gavel_meeting": t.id().0,
            "chain_head": t.chain.head,
            "chain_entries": t.chain.entries,
            "chain_verified": t.chain.problem.is_none(),
            "opening_entries": preamble,
            "consultations": consultations,
            "corrections_and_withdrawals": corrections,
        },
    })
}

pub fn vote_events(t: &Transcript, ctx: &ExportContext) -> Vec<Value> {
    t.votes()
        .into_iter()
        .map(|v| {
            let line = &t.lines[v.line];
            let motion = v.motion.map(|i| &t.lines[i]);
            let motion_text = motion
                .map(|m| match &m.entry.payload {
                    Payload::Motion(p) if !m.is_corrected() => p.text.clone(),
                    _ => m.text().to_string(),
                })
                .unwrap_or_else(|| match line.item {
                    Some(i) => format!("Vote on item {}", t.lines[i].item_title()),
                    None => "Vote".to_string(),
                });
            let counts: Vec<Value> = v
                .vote
                .counts
                .map(|c| {
                    vec![
                        json!({"option": "yes", "value": c.for_}),
                        json!({"option": "no", "value": c.against}),
                        json!({"option": "abstain", "value": c.abstain}),
                    ]
                })
                .unwrap_or_default();
            let mut votes = Vec::new();
            if let Some(roll) = &v.vote.roll {
                for (option, names) in [
                    ("yes", &roll.for_),
                    ("no", &roll.against),
                    ("abstain", &roll.abstain),
                ] {
                    for n in names {
                        votes.push(json!({"option": option, "voter_name": n}));
                    }
                }
            }
            json!({
                "_type": "vote_event",
                "identifier": format!("{}#{}", t.id(), line.seq().0),
                "motion_text": motion_text,
                "motion_classification": [],
                "start_date": line.local_rfc3339(),
                "result": result(v.vote.outcome),
                "organization": ctx.council_name,
                "counts": counts,
                "votes": votes,
                "sources": source(t, ctx),
                "extras": {
                    "entry": line.seq().0,
                    "motion_entry": motion.map(|m| m.seq().0),
                    "mover": motion.and_then(|m| motion_of(m)?.mover.as_deref()),
                    "seconder": motion.and_then(|m| motion_of(m)?.seconder.as_deref()),
                    "agenda_item": line.item.map(|i| t.lines[i].item_title()),
                    "show_of_hands": v.vote.counts.is_none(),
                    "casting_vote": v.vote.casting,
                    "text": line.text(),
                    "corrected": line.is_corrected(),
                    "original_text": line.is_corrected().then(|| line.entry.text.clone()),
                },
            })
        })
        .collect()
}

pub fn render(t: &Transcript, ctx: &ExportContext) -> Result<String, ExportError> {
    to_json(&json!({
        "event": event(t, ctx),
        "vote_events": vote_events(t, ctx),
    }))
}
