//! The live hub: the web page is an outbox target like any other. Its sink publishes each
//! delivered entry, correction and withdrawal to the Server-Sent Events subscribers.
//!
//! Each event is read from the archive and rendered **once**, here, and the result is shared
//! (an `Arc<LiveBatch>`) by every stream of the meeting: with thousands of viewers, a read per
//! stream per event serialised them all on the archive's lock (issue 9: 10,000 viewers, p99
//! 2.6 s in a debug build).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::broadcast;

use crate::archive::{Archive, ArchiveError};
use crate::domain::{EntryNo, MeetingId};
use crate::sink::{Capabilities, Outgoing, Sink, SinkError};

/// One SSE event, serialised once: the entry's sequence number (the event id) and its
/// [`LivePayload`] as JSON.
#[derive(Debug, PartialEq, Eq)]
pub struct LiveFrame {
    pub seq: u32,
    pub json: String,
}

impl LiveFrame {
    pub fn new(p: &LivePayload) -> Self {
        LiveFrame {
            seq: p.seq,
            json: serde_json::to_string(p).unwrap_or_else(|_| "{}".into()),
        }
    }
}

/// The frames for every public entry of `meeting` with `after < seq <= upto`, in order.
/// Confidential entries are in the range but have no frame.
#[derive(Debug)]
pub struct LiveBatch {
    pub meeting: MeetingId,
    pub after: u32,
    pub upto: u32,
    pub frames: Vec<LiveFrame>,
}

impl LiveBatch {
    /// What a stream that has sent everything up to `sent` still needs from this batch, or
    /// `None` when the batch starts above `sent`: the stream must read the gap from the archive
    /// itself, or it would skip entries.
    pub fn frames_after(&self, sent: u32) -> Option<&[LiveFrame]> {
        if sent < self.after {
            return None;
        }
        let from = self.frames.partition_point(|f| f.seq <= sent);
        Some(&self.frames[from..])
    }
}

pub struct LiveHub {
    archive: Arc<Archive>,
    /// The council's language: events are rendered once, in it.
    language: crate::i18n::Language,
    tx: broadcast::Sender<Arc<LiveBatch>>,
    /// Per meeting, the `upto` of the last batch published: the next batch starts there.
    published: Mutex<HashMap<MeetingId, u32>>,
}

impl LiveHub {
    pub fn new(archive: Arc<Archive>, language: crate::i18n::Language) -> Self {
        let (tx, _) = broadcast::channel(1024);
        LiveHub {
            archive,
            language,
            tx,
            published: Mutex::new(HashMap::new()),
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<LiveBatch>> {
        self.tx.subscribe()
    }

    /// Publishes entry `seq` of `meeting` with every entry since the previous publication, so a
    /// stream that saw the previous batch needs no archive read. A `seq` already covered (a
    /// redelivery) publishes nothing. With no subscribers nothing is rendered: a page that
    /// subscribes later replays from the archive, which already holds this entry.
    pub fn publish(&self, meeting: MeetingId, seq: EntryNo) -> Result<(), ArchiveError> {
        let mut published = self.published.lock().unwrap_or_else(|p| p.into_inner());
        let after = published
            .get(&meeting)
            .copied()
            .unwrap_or(seq.0.saturating_sub(1));
        if seq.0 <= after {
            return Ok(());
        }
        if self.tx.receiver_count() > 0 {
            let (payloads, _) =
                payloads_between(&self.archive, meeting, after, Some(seq.0), self.language)?;
            let _ = self.tx.send(Arc::new(LiveBatch {
                meeting,
                after,
                upto: seq.0,
                frames: payloads.iter().map(LiveFrame::new).collect(),
            }));
        }
        published.insert(meeting, seq.0);
        Ok(())
    }

    pub fn subscribers(&self) -> usize {
        self.tx.receiver_count()
    }
}

/// The outbox sink for the web target.
pub struct WebSink {
    hub: Arc<LiveHub>,
}

impl WebSink {
    pub fn new(hub: Arc<LiveHub>) -> Self {
        WebSink { hub }
    }

    fn publish(&self, msg: &Outgoing<'_>) -> Result<Vec<String>, SinkError> {
        let e = msg.entry;
        self.hub
            .publish(e.meeting, e.seq)
            .map_err(|err| SinkError::backoff(format!("rendering the live event: {err}")))?;
        Ok(vec![format!(
            "e{}",
            msg.original.map(|o| o.seq.0).unwrap_or(e.seq.0)
        )])
    }
}

#[async_trait::async_trait]
impl Sink for WebSink {
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            edit: true,
            delete: true,
            pin: false,
        }
    }

    async fn post(&self, msg: &Outgoing<'_>) -> Result<Vec<String>, SinkError> {
        self.publish(msg)
    }

    async fn edit(&self, _remote: &[String], msg: &Outgoing<'_>) -> Result<Vec<String>, SinkError> {
        self.publish(msg)
    }

    async fn delete(
        &self,
        _remote: &[String],
        msg: &Outgoing<'_>,
    ) -> Result<Vec<String>, SinkError> {
        self.publish(msg).map(|_| Vec::new())
    }
}

/// The JSON each SSE event carries: the rendered entry, and for corrections and withdrawals
/// the amended entry as it now reads.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LivePayload {
    pub seq: u32,
    pub kind: &'static str,
    /// A one-line plain-text summary for screen-reader announcements.
    pub summary: String,
    /// The `<li id="e{seq}">` for the transcript.
    pub html: String,
    /// For corrections and withdrawals: the amended entry's new `<li>`.
    pub updated: Option<UpdatedEntry>,
    /// The "now" panel's body as of this entry ([`crate::web::view::now_html`]).
    pub now: String,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct UpdatedEntry {
    pub seq: u32,
    pub html: String,
}

/// Builds the payloads for the public entries of `meeting` with `after < seq <= upto`, from the
/// archive. Confidential entries produce nothing.
pub fn payloads_between(
    archive: &crate::archive::Archive,
    meeting: MeetingId,
    after: u32,
    upto: Option<u32>,
    language: crate::i18n::Language,
) -> Result<(Vec<LivePayload>, u32), crate::archive::ArchiveError> {
    use crate::web::view::{entry_html, kind_label, now_html, public_view};
    let all = archive.entries(meeting)?;
    let views = public_view(&all);
    let states = crate::desk::public_states(&all);
    let by_seq: std::collections::HashMap<EntryNo, &crate::web::view::EntryView> =
        views.iter().map(|v| (v.entry.seq, v)).collect();
    let mut last = after;
    let mut out = Vec::new();
    for (e, state) in all
        .iter()
        .zip(&states)
        .filter(|(e, _)| e.seq.0 > after && upto.is_none_or(|u| e.seq.0 <= u))
    {
        last = last.max(e.seq.0);
        let Some(v) = by_seq.get(&e.seq) else {
            continue;
        };
        let updated = e
            .refers_to
            .and_then(|r| views.iter().find(|v| v.entry.seq == r))
            .map(|o| UpdatedEntry {
                seq: o.entry.seq.0,
                html: entry_html(o, language),
            });
        out.push(LivePayload {
            seq: e.seq.0,
            kind: e.kind().as_str(),
            summary: language.each(" / ", |l| {
                crate::tr!(
                    l,
                    "web-live-summary",
                    entry = e.seq.0,
                    time = e.hhmm(),
                    kind = kind_label(e.kind(), l),
                    text = v.current_text()
                )
            }),
            html: entry_html(v, language),
            updated,
            now: now_html(state.as_ref(), language),
        });
    }
    Ok((out, last))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desk::{ClerkInput, Desk, DeskSettings, Reply};
    use crate::domain::Author;
    use tokio::sync::broadcast::error::TryRecvError;

    /// A meeting of `lines` recorded through the desk, in a temporary archive.
    async fn meeting(lines: &[&str]) -> (tempfile::TempDir, Arc<Archive>, MeetingId) {
        let dir = tempfile::tempdir().unwrap();
        let archive = Arc::new(Archive::open(&dir.path().join("g.db")).unwrap());
        let settings = DeskSettings {
            prefix: "!".into(),
            timezone: chrono_tz::Europe::London,
            targets: vec![],
            public_url: None,
            language: crate::i18n::Language::En,
        };
        let desk = Desk::new(Arc::clone(&archive), settings).unwrap();
        let mut id = None;
        for line in lines {
            let input = ClerkInput {
                author: Author::new("console", "clerk", "Clerk"),
                text: (*line).into(),
                source: None,
            };
            match desk.submit(input).await {
                Reply::Recorded { entry, .. } => id = Some(entry.meeting),
                other => panic!("{line}: {other:?}"),
            }
        }
        (dir, archive, id.unwrap())
    }

    fn frame(seq: u32) -> LiveFrame {
        LiveFrame {
            seq,
            json: seq.to_string(),
        }
    }

    #[test]
    fn a_batch_gives_a_stream_only_what_it_has_not_sent_or_sends_it_to_the_archive() {
        let b = LiveBatch {
            meeting: MeetingId(1),
            after: 2,
            upto: 5,
            frames: vec![frame(3), frame(5)],
        };
        assert_eq!(b.frames_after(1), None);
        assert_eq!(b.frames_after(2), Some(&[frame(3), frame(5)][..]));
        assert_eq!(b.frames_after(3), Some(&[frame(5)][..]));
        assert_eq!(b.frames_after(4), Some(&[frame(5)][..]));
        assert_eq!(b.frames_after(5), Some(&[][..]));
    }

    #[tokio::test]
    async fn every_subscriber_gets_the_same_rendering_of_an_event() {
        let (_dir, archive, m) = meeting(&["!start Cabinet", "!note One.", "!note Two."]).await;
        let hub = LiveHub::new(archive, crate::i18n::Language::En);
        // Nobody listening: nothing rendered, but the next batch starts after it.
        hub.publish(m, EntryNo(2)).unwrap();
        let (mut a, mut b) = (hub.subscribe(), hub.subscribe());
        hub.publish(m, EntryNo(3)).unwrap();
        let (from_a, from_b) = (a.try_recv().unwrap(), b.try_recv().unwrap());
        assert!(Arc::ptr_eq(&from_a, &from_b), "one rendering, shared");
        assert_eq!((from_a.after, from_a.upto), (2, 3));
        assert_eq!(from_a.frames.len(), 1);
        assert_eq!(from_a.frames[0].seq, 3);
        assert!(
            from_a.frames[0].json.contains("Two."),
            "{}",
            from_a.frames[0].json
        );
        // A redelivery of an entry already published publishes nothing.
        hub.publish(m, EntryNo(3)).unwrap();
        assert!(matches!(a.try_recv(), Err(TryRecvError::Empty)));
    }
}
