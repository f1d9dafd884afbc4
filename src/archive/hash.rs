//! The canonical encoding that entry hashes cover. Documented in `docs/archive.md`; changing it
//! breaks every existing chain, so it is versioned (`gavel-entry-v1`).
//!
//! An entry's encoding is a header line then one `name:length:value` line per field, in a fixed
//! order; lengths are UTF-8 byte counts, so no value can imitate another field. The first entry
//! of a meeting links to the meeting's genesis hash, which covers the meeting record itself.

use sha2::{Digest, Sha256};

use crate::domain::{Entry, MeetingId};

/// The meeting row fields the genesis hash covers.
#[derive(Debug, Clone)]
pub struct MeetingHeader {
    pub id: MeetingId,
    pub title: String,
    pub timezone: String,
    pub scheduled_for: Option<String>,
    pub created_at_ms: i64,
}

fn field(buf: &mut Vec<u8>, name: &str, value: &str) {
    buf.extend_from_slice(name.as_bytes());
    buf.push(b':');
    buf.extend_from_slice(value.len().to_string().as_bytes());
    buf.push(b':');
    buf.extend_from_slice(value.as_bytes());
    buf.push(b'\n');
}

fn hex_sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// JSON with object keys sorted and no insignificant whitespace.
pub fn canonical_json(v: &serde_json::Value) -> String {
    // serde_json's default map is a BTreeMap, so keys serialise sorted.
    serde_json::to_string(v).unwrap_or_else(|_| "null".to_string())
}

pub fn meeting_encoding(m: &MeetingHeader) -> Vec<u8> {
    let mut b = b"gavel-meeting-v1\n".to_vec();
    field(&mut b, "id", &m.id.0.to_string());
    field(&mut b, "title", &m.title);
    field(&mut b, "timezone", &m.timezone);
    field(
        &mut b,
        "scheduled_for",
        m.scheduled_for.as_deref().unwrap_or(""),
    );
    field(&mut b, "created_at_ms", &m.created_at_ms.to_string());
    b
}

/// The hash the first entry of a meeting links to.
pub fn genesis(m: &MeetingHeader) -> String {
    hex_sha256(&meeting_encoding(m))
}

pub fn entry_encoding(e: &Entry) -> Vec<u8> {
    let mut b = b"gavel-entry-v1\n".to_vec();
    field(&mut b, "meeting", &e.meeting.0.to_string());
    field(&mut b, "seq", &e.seq.0.to_string());
    field(&mut b, "kind", e.kind().as_str());
    field(&mut b, "fields", &canonical_json(&e.payload.to_json()));
    field(&mut b, "text", &e.text);
    field(&mut b, "author_platform", &e.author.platform);
    field(&mut b, "author_id", &e.author.user_id);
    field(&mut b, "author_name", &e.author.display_name);
    field(&mut b, "ts_ms", &e.at.timestamp_millis().to_string());
    field(&mut b, "timezone", e.timezone.name());
    field(
        &mut b,
        "refers_to",
        &e.refers_to.map(|n| n.0.to_string()).unwrap_or_default(),
    );
    field(
        &mut b,
        "confidential",
        if e.confidential { "1" } else { "0" },
    );
    field(
        &mut b,
        "source_platform",
        e.source.as_ref().map(|s| s.platform.as_str()).unwrap_or(""),
    );
    field(
        &mut b,
        "source_id",
        e.source
            .as_ref()
            .map(|s| s.message_id.as_str())
            .unwrap_or(""),
    );
    field(&mut b, "prev", &e.prev_hash);
    b
}

/// SHA-256 (lowercase hex) of the entry's canonical encoding.
pub fn entry_hash(e: &Entry) -> String {
    hex_sha256(&entry_encoding(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_prefixes_keep_fields_from_imitating_each_other() {
        let mut a = Vec::new();
        field(&mut a, "text", "x\nauthor_id:1:y");
        let mut b = Vec::new();
        field(&mut b, "text", "x");
        field(&mut b, "author_id", "y");
        assert_ne!(a, b);
    }

    #[test]
    fn canonical_json_sorts_keys() {
        let v: serde_json::Value = serde_json::from_str(r#"{"b":1,"a":{"d":2,"c":3}}"#).unwrap();
        assert_eq!(canonical_json(&v), r#"{"a":{"c":3,"d":2},"b":1}"#);
    }
}
