//! Popolo export: `motions`, `vote_events`, `counts`, `votes` and `speeches`, with Popolo's
//! field names. Ids are stable: `gavel-{meeting}-{entry}`.

use serde_json::{Value, json};

use crate::domain::Payload;

use super::ocd::result;
use super::transcript::Transcript;
use super::{ExportContext, ExportError, to_json};

fn id(t: &Transcript, prefix: &str, seq: u32) -> String {
    format!("{prefix}-{}-{seq}", t.id())
}

pub fn render(t: &Transcript, ctx: &ExportContext) -> Result<String, ExportError> {
    let organization = json!({"name": ctx.council_name});
    let votes_by_motion: Vec<_> = t.votes();
    let mut motions = Vec::new();
    for (i, l) in t.lines.iter().enumerate() {
        let Payload::Motion(motion) = &l.entry.payload else {
            continue;
        };
        if l.is_withdrawn() {
            continue;
        }
        let decided = votes_by_motion.iter().find(|v| v.motion == Some(i));
        let text = if l.is_corrected() {
            l.text().to_string()
        } else {
            motion.text.clone()
        };
        let mut m = json!({
            "id": id(t, "motion", l.seq().0),
            "organization": organization,
            "text": text,
            "date": l.local_rfc3339(),
            "result": decided.map(|v| result(v.vote.outcome)),
            "sources": [],
        });
        if let Some(obj) = m.as_object_mut() {
            if let Some(mover) = &motion.mover {
                obj.insert("creator".into(), json!({"name": mover}));
            }
            if let Some(seconder) = &motion.seconder {
                obj.insert("seconder".into(), json!({"name": seconder}));
            }
            if let Some(item) = l.item {
                obj.insert("agenda_item".into(), json!(t.lines[item].item_title()));
                // The item's id in the council's own system, to join the two records.
                if let Some(p) = t.planned_for(item)
                    && let Some(id) = &p.external_id
                {
                    obj.insert(
                        "agenda_item_source".into(),
                        json!({
                            "meeting": t.meeting.source.as_ref().map(|s| &s.key),
                            "item": id,
                            "documents": p.documents.iter().map(|d| json!({"note": d.title, "url": d.url})).collect::<Vec<_>>(),
                        }),
                    );
                }
            }
            let mut sources = Vec::new();
            if let Some(url) = ctx.meeting_url(t.id()) {
                sources.push(json!({"url": format!("{url}#e{}", l.seq().0)}));
            }
            if let Some(s) = &t.meeting.source {
                sources.push(json!({"url": s.url, "note": "Council's meeting page"}));
            }
            if !sources.is_empty() {
                obj.insert("sources".into(), Value::Array(sources));
            }
        }
        motions.push(m);
    }
    let mut vote_events = Vec::new();
    let mut counts = Vec::new();
    let mut votes = Vec::new();
    for v in &votes_by_motion {
        let line = &t.lines[v.line];
        let ve_id = id(t, "vote", line.seq().0);
        let these: Vec<Value> = v
            .vote
            .counts
            .map(|c| {
                [("yes", c.for_), ("no", c.against), ("abstain", c.abstain)]
                    .into_iter()
                    .map(|(option, value)| json!({"option": option, "value": value}))
                    .collect()
            })
            .unwrap_or_default();
        for c in &these {
            let mut c = c.clone();
            if let Some(obj) = c.as_object_mut() {
                obj.insert("vote_event_id".into(), json!(ve_id));
            }
            counts.push(c);
        }
        if let Some(roll) = &v.vote.roll {
            for (option, names) in [
                ("yes", &roll.for_),
                ("no", &roll.against),
                ("abstain", &roll.abstain),
            ] {
                for name in names {
                    votes.push(json!({
                        "vote_event_id": ve_id,
                        "option": option,
                        "voter": {"name": name},
                    }));
                }
            }
        }
        vote_events.push(json!({
            "id": ve_id,
            "motion_id": v.motion.map(|i| id(t, "motion", t.lines[i].seq().0)),
            "organization": organization,
            "start_date": line.local_rfc3339(),
            "result": result(v.vote.outcome),
            "counts": these,
        }));
    }
    let speeches: Vec<Value> = t
        .lines
        .iter()
        .enumerate()
        .map(|(position, l)| {
            let (kind, speaker) = match &l.entry.payload {
                Payload::Note(_) if l.speaker.is_some() => ("summary", l.speaker.clone()),
                Payload::Motion(m) => ("speech", m.mover.clone()),
                _ => ("narrative", None),
            };
            let mut text = l.text().to_string();
            for n in [
                l.correction_note(ctx.language),
                l.withdrawal_note(ctx.language),
                l.withheld_note(ctx.language),
            ]
            .into_iter()
            .flatten()
            {
                text.push(' ');
                text.push_str(&n);
            }
            let mut s = json!({
                "id": id(t, "speech", l.seq().0),
                "type": kind,
                "text": text,
                "date": l.local_rfc3339(),
                "position": position + 1,
                "event_id": format!("gavel-meeting-{}", t.id()),
                "section_id": l.item.map(|i| id(t, "item", t.lines[i].seq().0)),
            });
            if let (Some(name), Some(obj)) = (speaker, s.as_object_mut()) {
                obj.insert("creator".into(), json!({"name": name}));
                obj.insert("attribution_text".into(), json!(name));
            }
            if let (Some(item), Some(obj)) = (l.item, s.as_object_mut()) {
                obj.insert("title".into(), json!(t.lines[item].item_title()));
            }
            s
        })
        .collect();
    to_json(&json!({
        "motions": motions,
        "vote_events": vote_events,
        "counts": counts,
        "votes": votes,
        "speeches": speeches,
    }))
}
