//! Posting a meeting to Bluesky as one thread.
//!
//! - The opening post is the thread's root; every later entry replies to the latest post of
//!   the meeting there (`reply {root, parent}`), so the thread reads in order.
//! - Posts hold at most 300 graphemes: longer entries are split at paragraph, line or word
//!   boundaries into numbered parts, each replying to the one before.
//! - Links are link facets (UTF-8 byte offsets), so they are clickable. No mention or tag facet
//!   is ever made, and Bluesky shows `@handle` and `#tag` text without a facet as plain text:
//!   nothing a clerk types can notify anyone.
//! - Exactly once across crashes: each post's record key is a TID derived from (entry, target,
//!   operation, part) ([`super::tid`]), so a post sent again after a crash finds the record
//!   already there ([`Pds::create_post`]) instead of posting twice.
//! - Bluesky has no edit: a correction is a reply "Correction to #n: …" quoting the original
//!   (`app.bsky.embed.record`); a withdrawal deletes the original's posts and replies "Entry
//!   #n withdrawn".
//! - No pinned "now" status: it would need a new post for each change (no edits), which would
//!   fill residents' feeds; the capability is off and the status board passes Bluesky by.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::client::{Pds, StrongRef};
use super::tid;
use crate::platform::text::{self, Measure};
use crate::sink::{Capabilities, IdempotencyKey, Notice, Outgoing, Sink, SinkError};

/// Bluesky's post length, in graphemes.
pub const MAX_GRAPHEMES: usize = 300;

pub struct BlueskySink {
    pds: Pds,
    /// BCP 47 tags of the council's language(s), for readers' language filters.
    langs: Vec<String>,
}

/// Where a post goes in its meeting's thread.
#[derive(Debug, Clone)]
struct Thread {
    root: StrongRef,
    parent: StrongRef,
}

impl BlueskySink {
    pub fn new(pds: Pds, langs: Vec<String>) -> BlueskySink {
        BlueskySink { pds, langs }
    }

    pub fn pds(&self) -> &Pds {
        &self.pds
    }

    /// Posts `text` in numbered parts, each replying to the one before (the first to
    /// `thread`, if any, and quoting `quote`); returns each part as a remote id. Record keys
    /// are TIDs at `key_time` (microseconds) from `key`.
    async fn post_parts(
        &self,
        text: &str,
        key: &IdempotencyKey,
        key_time: i64,
        at: DateTime<Utc>,
        mut thread: Option<Thread>,
        quote: Option<StrongRef>,
    ) -> Result<Vec<String>, SinkError> {
        let created_at = at.to_rfc3339_opts(SecondsFormat::Millis, true);
        let mut ids = Vec::new();
        for (i, part) in text::numbered(text, MAX_GRAPHEMES, Measure::Graphemes)
            .iter()
            .enumerate()
        {
            let rkey = tid::derive(key_time, &key.part(i), i);
            let quote = if i == 0 { quote.as_ref() } else { None };
            let record = record(part, &created_at, &self.langs, thread.as_ref(), quote);
            let posted = self.pds.create_post(&rkey, record).await?;
            thread = Some(Thread {
                root: thread.map_or_else(|| posted.clone(), |t| t.root),
                parent: posted.clone(),
            });
            ids.push(posted.to_remote());
        }
        Ok(ids)
    }
}

/// An `app.bsky.feed.post` record: the text, link facets for its links, the thread it replies
/// in, and a quoted post.
fn record(
    text: &str,
    created_at: &str,
    langs: &[String],
    thread: Option<&Thread>,
    quote: Option<&StrongRef>,
) -> Value {
    let facets: Vec<Value> = text::links(text)
        .into_iter()
        .map(|r| {
            json!({
                "index": {"byteStart": r.start, "byteEnd": r.end},
                "features": [{"$type": "app.bsky.richtext.facet#link", "uri": &text[r]}],
            })
        })
        .collect();
    let mut record = json!({
        "$type": "app.bsky.feed.post",
        "text": text,
        "createdAt": created_at,
        "langs": langs,
    });
    if !facets.is_empty() {
        record["facets"] = Value::Array(facets);
    }
    if let Some(t) = thread {
        record["reply"] = json!({"root": t.root.to_json(), "parent": t.parent.to_json()});
    }
    if let Some(q) = quote {
        record["embed"] = json!({"$type": "app.bsky.embed.record", "record": q.to_json()});
    }
    record
}

/// The time in an entry's record keys: its millisecond, with its number in the microseconds
/// (parts add one each), so entries archived in the same millisecond still sort in order.
fn key_time(msg: &Outgoing<'_>) -> i64 {
    msg.entry.at.timestamp_micros() + i64::from(msg.entry.seq.0 % 100) * 10
}

/// The thread an entry replies in: under the meeting's opening post, after its latest post.
fn thread_of(msg: &Outgoing<'_>) -> Option<Thread> {
    let t = msg.thread_root.as_ref()?;
    let root = StrongRef::from_remote(&t.remote)?;
    let parent = t
        .parent
        .as_deref()
        .and_then(StrongRef::from_remote)
        .unwrap_or_else(|| root.clone());
    Some(Thread { root, parent })
}

#[async_trait::async_trait]
impl Sink for BlueskySink {
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            edit: false,
            delete: true,
            pin: false,
        }
    }

    fn threads(&self) -> bool {
        true
    }

    async fn post(&self, msg: &Outgoing<'_>) -> Result<Vec<String>, SinkError> {
        // A correction (posted because Bluesky cannot edit) quotes the post it corrects.
        let quote = msg
            .original
            .and(msg.original_remote.first())
            .and_then(|r| StrongRef::from_remote(r));
        let at = msg.entry.at;
        self.post_parts(
            &msg.text,
            &msg.key,
            key_time(msg),
            at,
            thread_of(msg),
            quote,
        )
        .await
    }

    async fn delete(
        &self,
        remote: &[String],
        msg: &Outgoing<'_>,
    ) -> Result<Vec<String>, SinkError> {
        for r in remote {
            if let Some(post) = StrongRef::from_remote(r) {
                self.pds.delete_post(post.rkey()).await?;
            }
        }
        // Say so in the thread, after its latest post (the withdrawn one may have been it).
        let mut thread = thread_of(msg);
        if let Some(t) = &mut thread
            && remote.iter().any(|r| {
                Some(r.as_str()) == msg.thread_root.as_ref().and_then(|t| t.parent.as_deref())
            })
        {
            t.parent = t.root.clone();
        }
        let at = msg.entry.at;
        self.post_parts(&msg.text, &msg.key, key_time(msg), at, thread, None)
            .await
    }

    async fn post_notice(&self, notice: &Notice) -> Result<Vec<String>, SinkError> {
        // A notice has no time of its own: its record key's time comes from its key, within
        // the past year, so a notice sent again is found, not posted twice.
        let digest = Sha256::digest(notice.key.as_str().as_bytes());
        let offset = u64::from_be_bytes(digest[..8].try_into().unwrap_or_default())
            % (365 * 24 * 3600 * 1_000_000);
        let at = Utc::now();
        let key_time = at.timestamp_micros() - offset as i64;
        self.post_parts(&notice.text, &notice.key, key_time, at, None, None)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_become_facets_at_utf8_byte_offsets_and_nothing_else_does() {
        let text =
            "Café report: https://example.gov.uk/r.pdf — @everyone #planning @mayor.bsky.social";
        let r = record(text, "2026-12-03T18:30:00.000Z", &["en".into()], None, None);
        let facets = r["facets"].as_array().unwrap();
        assert_eq!(facets.len(), 1, "{r}");
        let start = facets[0]["index"]["byteStart"].as_u64().unwrap() as usize;
        let end = facets[0]["index"]["byteEnd"].as_u64().unwrap() as usize;
        assert_eq!(
            &text.as_bytes()[start..end],
            b"https://example.gov.uk/r.pdf"
        );
        assert_eq!(start, "Café report: ".len(), "bytes, not characters");
        assert_eq!(
            facets[0]["features"][0]["$type"],
            "app.bsky.richtext.facet#link"
        );
        assert!(r.get("reply").is_none() && r.get("embed").is_none());
    }
}
