//! `GET /meetings/{id}/live`: Server-Sent Events for one meeting.
//!
//! Each event's `id:` is the entry's sequence number. A client that reconnects with
//! `Last-Event-ID` (or `?last_event_id=` on first connect) first gets exactly the entries it
//! missed, read from the archive, then live ones: the stream subscribes to the hub *before*
//! reading the archive and only forwards sequence numbers above the last one it sent, so there
//! are no gaps and no duplicates. Live events arrive already rendered, shared by all streams
//! ([`LiveBatch`]); a stream reads the archive again only when a batch starts above what it has
//! sent or its subscription lagged, so it catches up from the single source of truth.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::Stream;
use serde::Deserialize;
use tokio::sync::broadcast::error::RecvError;

use crate::archive::{Archive, ArchiveError};
use crate::domain::MeetingId;
use crate::i18n::Language;
use crate::web::live::{LiveFrame, payloads_between};
use crate::web::{WebError, WebState};

#[derive(Debug, Deserialize)]
pub struct LiveQuery {
    last_event_id: Option<String>,
}

fn event(f: &LiveFrame) -> Event {
    Event::default()
        .id(f.seq.to_string())
        .event("entry")
        .data(&f.json)
}

/// The frames of the public entries with `after < seq <= upto`, read from the archive, and the
/// highest sequence number read.
fn frames_between(
    archive: &Archive,
    id: MeetingId,
    after: u32,
    upto: Option<u32>,
    language: Language,
) -> Result<(Vec<LiveFrame>, u32), ArchiveError> {
    let (payloads, last) = payloads_between(archive, id, after, upto, language)?;
    Ok((payloads.iter().map(LiveFrame::new).collect(), last))
}

/// The SSE handler. The header wins over the query parameter: browsers send the header on
/// reconnect, when the query still names the page's starting point.
pub async fn live(
    State(s): State<Arc<WebState>>,
    Path(raw): Path<String>,
    Query(q): Query<LiveQuery>,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, WebError> {
    let id: MeetingId = raw.parse().map_err(|_| WebError::NotFound)?;
    if s.archive.meeting(id)?.is_none() {
        return Err(WebError::NotFound);
    }
    let from_header = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let last: u32 = from_header
        .or(q.last_event_id)
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);

    // Subscribe first, then read the archive: nothing published in between is lost.
    let mut rx = s.live.subscribe();
    let archive = Arc::clone(&s.archive);
    let stop = s.runtime.stop.clone();
    let language = s.council.language;
    let (replay, mut sent) = frames_between(&archive, id, last, None, language)?;
    let stream = async_stream(move |tx| async move {
        for f in &replay {
            if tx.send(event(f)).await.is_err() {
                return;
            }
        }
        loop {
            let received = tokio::select! {
                _ = tx.closed() => return,
                _ = stop.cancelled() => return,
                r = rx.recv() => r,
            };
            let upto = match received {
                Ok(b) if b.meeting != id => continue,
                Ok(b) => match b.frames_after(sent) {
                    Some(frames) => {
                        for f in frames {
                            if tx.send(event(f)).await.is_err() {
                                return;
                            }
                        }
                        sent = sent.max(b.upto);
                        continue;
                    }
                    // The batch starts above what this stream sent: read the gap too.
                    None => Some(b.upto),
                },
                // Missed some events: catch up on everything the archive has.
                Err(RecvError::Lagged(_)) => None,
                Err(RecvError::Closed) => return,
            };
            match frames_between(&archive, id, sent, upto, language) {
                Ok((frames, last)) => {
                    for f in &frames {
                        if tx.send(event(f)).await.is_err() {
                            return;
                        }
                    }
                    sent = sent.max(last);
                }
                Err(e) => {
                    tracing::warn!(meeting = %id, error = %e, "live stream could not read the archive");
                    return;
                }
            }
        }
    });
    Ok(Sse::new(stream).keep_alive(
        KeepAlive::new()
            .interval(Duration::from_secs(15))
            .text("keep-alive"),
    ))
}

/// A stream fed by a task through a small channel; the task stops when the client goes away.
fn async_stream<F, Fut>(f: F) -> impl Stream<Item = Result<Event, Infallible>>
where
    F: FnOnce(tokio::sync::mpsc::Sender<Event>) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::channel::<Event>(64);
    tokio::spawn(f(tx));
    futures::StreamExt::map(tokio_stream::wrappers::ReceiverStream::new(rx), Ok)
}
