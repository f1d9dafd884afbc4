//! The live hub: the web page is an outbox target like any other. Its sink publishes each
//! delivered entry, correction and withdrawal to the Server-Sent Events subscribers.

use tokio::sync::broadcast;

use crate::domain::{EntryKind, EntryNo, MeetingId};
use crate::sink::{Capabilities, Outgoing, Sink, SinkError};

/// One change a live page must show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveEvent {
    pub meeting: MeetingId,
    /// The sequence number of the entry that caused it (the SSE event id).
    pub seq: EntryNo,
    pub kind: EntryKind,
    /// For corrections and withdrawals: the amended entry.
    pub refers_to: Option<EntryNo>,
}

pub struct LiveHub {
    tx: broadcast::Sender<LiveEvent>,
}

impl Default for LiveHub {
    fn default() -> Self {
        let (tx, _) = broadcast::channel(1024);
        LiveHub { tx }
    }
}

impl LiveHub {
    pub fn subscribe(&self) -> broadcast::Receiver<LiveEvent> {
        self.tx.subscribe()
    }

    pub fn publish(&self, e: LiveEvent) {
        // No subscribers is fine: pages read the archive on load.
        let _ = self.tx.send(e);
    }

    pub fn subscribers(&self) -> usize {
        self.tx.receiver_count()
    }
}

/// The outbox sink for the web target.
pub struct WebSink {
    hub: std::sync::Arc<LiveHub>,
}

impl WebSink {
    pub fn new(hub: std::sync::Arc<LiveHub>) -> Self {
        WebSink { hub }
    }

    fn publish(&self, msg: &Outgoing<'_>) -> Vec<String> {
        let e = msg.entry;
        self.hub.publish(LiveEvent {
            meeting: e.meeting,
            seq: e.seq,
            kind: e.kind,
            refers_to: e.refers_to,
        });
        vec![format!(
            "e{}",
            msg.original.map(|o| o.seq.0).unwrap_or(e.seq.0)
        )]
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
        Ok(self.publish(msg))
    }

    async fn edit(&self, _remote: &[String], msg: &Outgoing<'_>) -> Result<Vec<String>, SinkError> {
        Ok(self.publish(msg))
    }

    async fn delete(&self, _remote: &[String], msg: &Outgoing<'_>) -> Result<(), SinkError> {
        self.publish(msg);
        Ok(())
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
    use crate::web::view::{entry_html, kind_label, public_view};
    let all = archive.entries(meeting)?;
    let views = public_view(&all);
    let by_seq: std::collections::HashMap<EntryNo, &crate::web::view::EntryView> =
        views.iter().map(|v| (v.entry.seq, v)).collect();
    let mut last = after;
    let mut out = Vec::new();
    for e in all
        .iter()
        .filter(|e| e.seq.0 > after && upto.is_none_or(|u| e.seq.0 <= u))
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
            kind: e.kind.as_str(),
            summary: language.each(" / ", |l| {
                crate::tr!(
                    l,
                    "web-live-summary",
                    entry = e.seq.0,
                    time = e.hhmm(),
                    kind = kind_label(e.kind, l),
                    text = v.current_text()
                )
            }),
            html: entry_html(v, language),
            updated,
        });
    }
    Ok((out, last))
}
