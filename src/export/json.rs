//! Gavel's own JSON transcript (`"schema": "gavel.transcript/1"`, documented in
//! `docs/export-json.md`): the meeting, every entry with all its fields, hashes and times (UTC
//! and local with offset), the folded view (corrections, withdrawals) and the chain head.
//! Confidential entries appear only as their number and hashes, so the chain stays traceable.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::{Value, json};

use super::transcript::{Amendment, Line, Transcript, local_rfc3339, utc_rfc3339};
use super::{ExportContext, ExportError, to_json};
use crate::domain::{Entry, EntryNo};

pub const SCHEMA: &str = "gavel.transcript/1";

/// An entry as the transcript shows it. Serialised directly rather than through a
/// `serde_json::Value` (issue 9: building and sorting a `Value` per entry dominated the export);
/// fields are declared in alphabetical order because that is the order `Value`'s maps wrote
/// them in, and the schema's examples and snapshot keep it.
#[derive(Serialize)]
#[serde(untagged)]
enum EntryOut<'a> {
    Withheld {
        hash: &'a str,
        prev_hash: &'a str,
        seq: u32,
        withheld: bool,
    },
    Shown(Box<ShownEntry<'a>>),
}

#[derive(Serialize)]
struct ShownEntry<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    agenda_item: Option<Option<u32>>,
    at: String,
    author: AuthorOut<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    corrections: Option<Vec<AmendmentOut<'a>>>,
    fields: Value,
    hash: &'a str,
    kind: &'static str,
    local_time: String,
    prev_hash: &'a str,
    refers_to: Option<u32>,
    seq: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    shown_text: Option<&'a str>,
    source: Option<SourceOut<'a>>,
    text: &'a str,
    timezone: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    webcast_offset_ms: Option<Option<i64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    withdrawal: Option<Option<AmendmentOut<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    withheld_after: Option<u32>,
}

#[derive(Serialize)]
struct AuthorOut<'a> {
    display_name: &'a str,
    platform: &'a str,
    user_id: &'a str,
}

#[derive(Serialize)]
struct SourceOut<'a> {
    message_id: &'a str,
    platform: &'a str,
}

/// A correction (its text under `text`) or a withdrawal (under `reason`).
#[derive(Serialize)]
struct AmendmentOut<'a> {
    at: String,
    entry: u32,
    local_time: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<Option<&'a str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<Option<&'a str>>,
}

impl<'a> AmendmentOut<'a> {
    fn correction(a: &'a Amendment) -> Self {
        AmendmentOut {
            text: Some(a.text.as_deref()),
            ..AmendmentOut::bare(a)
        }
    }

    fn withdrawal(a: &'a Amendment) -> Self {
        AmendmentOut {
            reason: Some(a.text.as_deref()),
            ..AmendmentOut::bare(a)
        }
    }

    fn bare(a: &Amendment) -> Self {
        AmendmentOut {
            at: utc_rfc3339(a.at),
            entry: a.seq.0,
            local_time: local_rfc3339(a.at, a.timezone),
            reason: None,
            text: None,
        }
    }
}

/// The whole document; `chain` and `meeting` are small and stay `Value`s.
#[derive(Serialize)]
struct Document<'a> {
    chain: Value,
    council: &'a str,
    entries: Vec<EntryOut<'a>>,
    generated_at: String,
    generator: String,
    meeting: Value,
    schema: &'static str,
}

fn entry_out<'a>(t: &'a Transcript, e: &'a Entry, line: Option<&'a Line>) -> EntryOut<'a> {
    if e.confidential {
        return EntryOut::Withheld {
            hash: &e.hash,
            prev_hash: &e.prev_hash,
            seq: e.seq.0,
            withheld: true,
        };
    }
    EntryOut::Shown(Box::new(ShownEntry {
        agenda_item: line.map(|l| l.item.map(|i| t.lines[i].entry.seq.0)),
        at: utc_rfc3339(e.at),
        author: AuthorOut {
            display_name: &e.author.display_name,
            platform: &e.author.platform,
            user_id: &e.author.user_id,
        },
        corrections: line.map(|l| l.corrections.iter().map(AmendmentOut::correction).collect()),
        fields: e.payload.to_json(),
        hash: &e.hash,
        kind: e.kind().as_str(),
        local_time: local_rfc3339(e.at, e.timezone),
        prev_hash: &e.prev_hash,
        refers_to: e.refers_to.map(|n| n.0),
        seq: e.seq.0,
        shown_text: line.map(Line::text),
        source: e.source.as_ref().map(|s| SourceOut {
            message_id: &s.message_id,
            platform: &s.platform,
        }),
        text: &e.text,
        timezone: e.timezone.name(),
        webcast_offset_ms: line.map(|_| t.webcast_offset_ms(e.at).filter(|ms| *ms >= 0)),
        withdrawal: line.map(|l| l.withdrawal.as_ref().map(AmendmentOut::withdrawal)),
        withheld_after: line.map(|l| l.withheld),
    }))
}

pub fn render(t: &Transcript, ctx: &ExportContext) -> Result<String, ExportError> {
    let lines: HashMap<EntryNo, &Line> = t.lines.iter().map(|l| (l.entry.seq, l)).collect();
    let entries = t
        .entries
        .iter()
        .map(|e| entry_out(t, e, lines.get(&e.seq).copied()))
        .collect();
    let m = &t.meeting;
    let meeting = json!({
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
    });
    let chain = json!({
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
    });
    to_json(&Document {
        chain,
        council: &ctx.council_name,
        entries,
        generated_at: utc_rfc3339(ctx.generated_at),
        generator: format!("Gavel {}", env!("CARGO_PKG_VERSION")),
        meeting,
        schema: SCHEMA,
    })
}
