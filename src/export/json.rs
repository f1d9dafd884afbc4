//! Gavel's own JSON transcript (`"schema": "gavel.transcript/1"`, documented in
//! `docs/export-json.md`): the meeting, every entry with all its fields, hashes and times (UTC
//! and local with offset), the folded view (corrections, withdrawals) and the chain head.
//! Confidential entries appear only as their number and hashes, so the chain stays traceable.

use serde_json::{Value, json};

use super::transcript::{Amendment, Transcript, local_rfc3339, utc_rfc3339};
use super::{ExportContext, ExportError, to_json};

pub const SCHEMA: &str = "gavel.transcript/1";

fn amendment(a: &Amendment, key: &str) -> Value {
    json!({
        "entry": a.seq.0,
        "at": utc_rfc3339(a.at),
        "local_time": local_rfc3339(a.at, a.timezone),
        key: a.text,
    })
}

pub fn render(t: &Transcript, ctx: &ExportContext) -> Result<String, ExportError> {
    let mut entries = Vec::new();
    for e in &t.entries {
        if e.confidential {
            entries.push(json!({
                "seq": e.seq.0,
                "withheld": true,
                "prev_hash": e.prev_hash,
                "hash": e.hash,
            }));
            continue;
        }
        let line = t.lines.iter().find(|l| l.entry.seq == e.seq);
        let mut v = json!({
            "seq": e.seq.0,
            "kind": e.kind.as_str(),
            "fields": e.fields,
            "text": e.text,
            "author": {
                "platform": e.author.platform,
                "user_id": e.author.user_id,
                "display_name": e.author.display_name,
            },
            "at": utc_rfc3339(e.at),
            "local_time": local_rfc3339(e.at, e.timezone),
            "timezone": e.timezone.name(),
            "refers_to": e.refers_to.map(|n| n.0),
            "source": e.source.as_ref().map(|s| json!({"platform": s.platform, "message_id": s.message_id})),
            "prev_hash": e.prev_hash,
            "hash": e.hash,
        });
        if let (Some(l), Some(obj)) = (line, v.as_object_mut()) {
            obj.insert("shown_text".into(), json!(l.text()));
            obj.insert(
                "corrections".into(),
                Value::Array(l.corrections.iter().map(|c| amendment(c, "text")).collect()),
            );
            obj.insert(
                "withdrawal".into(),
                l.withdrawal
                    .as_ref()
                    .map(|w| amendment(w, "reason"))
                    .unwrap_or(Value::Null),
            );
            obj.insert("withheld_after".into(), json!(l.withheld));
            obj.insert(
                "agenda_item".into(),
                json!(l.item.map(|i| t.lines[i].entry.seq.0)),
            );
            obj.insert(
                "webcast_offset_ms".into(),
                json!(t.webcast_offset_ms(e.at).filter(|ms| *ms >= 0)),
            );
        }
        entries.push(v);
    }
    let m = &t.meeting;
    let doc = json!({
        "schema": SCHEMA,
        "generated_at": utc_rfc3339(ctx.generated_at),
        "generator": format!("Gavel {}", env!("CARGO_PKG_VERSION")),
        "council": ctx.council_name,
        "meeting": {
            "id": m.id.0,
            "title": m.title,
            "timezone": m.timezone,
            "scheduled_for": m.scheduled_for.map(|d| d.to_string()),
            "created_at": utc_rfc3339(m.created_at),
            "started_at": m.started_at.map(utc_rfc3339),
            "started_local": m.started_at.map(|a| local_rfc3339(a, t.timezone)),
            "ended_at": m.ended_at.map(utc_rfc3339),
            "ended_local": m.ended_at.map(|a| local_rfc3339(a, t.timezone)),
            "entry_count": m.entry_count,
            "url": ctx.meeting_url(m.id),
            "webcast": t.webcast.as_ref().map(|w| json!({
                "entry": w.seq.0,
                "url": w.url,
                "at": utc_rfc3339(w.at),
                "local_time": local_rfc3339(w.at, t.timezone),
            })),
        },
        "chain": {
            "algorithm": "sha256, gavel-entry-v1 encoding",
            "entries": t.chain.entries,
            "head": t.chain.head,
            "verified": t.chain.problem.is_none(),
            "problem": t.chain.problem.as_ref().map(|p| json!({"entry": p.entry.map(|n| n.0), "detail": p.detail})),
            "checkpoint": t.checkpoint.as_ref().map(|c| json!({
                "head": c.checkpoint.head,
                "entries": c.checkpoint.entries,
                "public_key": c.checkpoint.public_key,
                "fingerprint": c.fingerprint,
                "signature": c.checkpoint.signature,
                "signed_at": utc_rfc3339(c.checkpoint.signed_at),
                "signature_valid": c.signature_valid,
                "matches_chain": c.matches_chain,
                "problem": c.problem,
            })),
        },
        "entries": entries,
    });
    to_json(&doc)
}
