//! The pinned "now" status: in every target that can pin, one message per meeting saying what
//! is happening (title, current item, latest vote, recess or private session, a link to the
//! meeting's page), edited as the meeting moves, so residents who join mid-meeting see it at
//! once. At `!end` it is edited to say the meeting ended, with the transcript link, and
//! unpinned.
//!
//! The [`StatusBoard`] derives the wanted text from the archive with the desk's own fold
//! ([`desk::public_state`]) whenever the desk appends an entry (it is a [`DeliveryWaker`]),
//! and publishes it on a `watch` channel. One task per target keeps that target's message in
//! line with the latest wanted text: the first change is sent at once, and changes within
//! `min_edit_interval` of a send collapse into one later edit carrying the latest text, so a
//! burst of commands costs one or two edits, not ten.
//!
//! Which message shows the status, its text and whether it is pinned or finalised are kept in
//! the archive per (target, meeting), so a restart edits the message it posted before.

use std::sync::Arc;
use std::time::Duration;

use rand::Rng;
use tokio::sync::{Notify, watch};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use url::Url;

use crate::archive::{Archive, ArchiveError, StatusMessage};
use crate::desk::{self, PublicState};
use crate::domain::MeetingId;
use crate::i18n::Language;
use crate::outbox::DeliveryWaker;
use crate::outbox::RetryPolicy;
use crate::sink::{IdempotencyKey, Notice, RetryClass, Sink, SinkError};
use crate::tr;

/// How the status reads and how often it may change.
#[derive(Debug, Clone)]
pub struct StatusOptions {
    pub language: Language,
    /// The web page's public address, for the meeting link; `None` without a web server.
    pub public_url: Option<Url>,
    /// The least time between two sends to one target; changes in between are coalesced.
    pub min_edit_interval: Duration,
    pub retry: RetryPolicy,
}

/// What every target should show: the status of the latest meeting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wanted {
    pub meeting: MeetingId,
    pub text: String,
    /// The meeting has ended: finalise (and unpin) rather than keep up to date.
    pub ended: bool,
}

/// The status text for `st`, in each of the council's languages (English first for `en+cy`).
/// A private session shows nothing of the exempt business: [`PublicState`] already leaves out
/// items and votes taken in private.
pub fn status_text(st: &PublicState, language: Language, public_url: Option<&Url>) -> String {
    let link = public_url.map(|u| {
        format!(
            "{}/meetings/{}",
            u.as_str().trim_end_matches('/'),
            st.meeting
        )
    });
    language.each("\n\n", |lang| {
        let mut lines = Vec::new();
        if st.ended {
            lines.push(tr!(lang, "status-ended", title = &st.title));
            if let Some(url) = &link {
                lines.push(tr!(lang, "status-transcript", url = url));
            }
            return lines.join("\n");
        }
        lines.push(tr!(lang, "status-now", title = &st.title));
        if let Some((number, title)) = &st.item {
            lines.push(tr!(lang, "status-item", number = number, title = title));
        }
        if let Some(vote) = &st.last_vote {
            lines.push(tr!(
                lang,
                "status-last-vote",
                vote = crate::render::vote_text(vote, lang)
            ));
        }
        if st.in_recess {
            lines.push(tr!(lang, "status-recess"));
        }
        if st.private {
            lines.push(tr!(lang, "status-private"));
        }
        if let Some(url) = &link {
            lines.push(tr!(lang, "status-follow", url = url));
        }
        lines.join("\n")
    })
}

/// Keeps one pinned status message per pin-capable target per meeting.
pub struct StatusBoard {
    archive: Arc<Archive>,
    options: StatusOptions,
    targets: Vec<(String, Arc<dyn Sink>)>,
    wake: Notify,
    wanted: watch::Sender<Option<Wanted>>,
}

impl DeliveryWaker for StatusBoard {
    fn wake(&self) {
        self.wake.notify_one();
    }
}

impl StatusBoard {
    /// A board for those of `targets` that can edit and pin (webhooks cannot: they get none).
    pub fn new(
        archive: Arc<Archive>,
        targets: Vec<(String, Arc<dyn Sink>)>,
        options: StatusOptions,
    ) -> Arc<StatusBoard> {
        let targets = targets
            .into_iter()
            .filter(|(_, sink)| {
                let caps = sink.capabilities();
                caps.pin && caps.edit
            })
            .collect();
        Arc::new(StatusBoard {
            archive,
            options,
            targets,
            wake: Notify::new(),
            wanted: watch::Sender::new(None),
        })
    }

    /// The targets that show a status.
    pub fn target_names(&self) -> Vec<String> {
        self.targets.iter().map(|(n, _)| n.clone()).collect()
    }

    /// Starts the deriving task and one task per target; they stop when `stop` fires.
    pub fn spawn(self: &Arc<Self>, tracker: &TaskTracker, stop: CancellationToken) {
        tracker.spawn(Arc::clone(self).derive_on_wake(stop.clone()));
        for i in 0..self.targets.len() {
            tracker.spawn(Arc::clone(self).keep(i, stop.clone()));
        }
    }

    /// What `meeting`'s status should say now.
    fn wanted_for(&self, meeting: MeetingId) -> Result<Option<Wanted>, ArchiveError> {
        Ok(
            desk::public_state(&self.archive, meeting)?.map(|st| Wanted {
                meeting,
                text: status_text(&st, self.options.language, self.options.public_url.as_ref()),
                ended: st.ended,
            }),
        )
    }

    /// The status of the latest meeting to have started.
    fn wanted_now(&self) -> Result<Option<Wanted>, ArchiveError> {
        match self.archive.latest_started_meeting()? {
            Some((meeting, _)) => self.wanted_for(meeting),
            None => Ok(None),
        }
    }

    async fn derive_on_wake(self: Arc<Self>, stop: CancellationToken) {
        loop {
            match self.wanted_now() {
                Ok(w) => {
                    self.wanted.send_if_modified(|current| {
                        let changed = *current != w;
                        *current = w;
                        changed
                    });
                }
                Err(e) => {
                    tracing::error!(error = %e, "cannot read the meeting's status from the archive")
                }
            }
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = self.wake.notified() => {}
            }
        }
    }

    /// Target `i`'s task: waits for a change, paces, then brings the target up to date with
    /// the latest wanted status (not each one in between).
    async fn keep(self: Arc<Self>, i: usize, stop: CancellationToken) {
        let (name, sink) = &self.targets[i];
        let mut rx = self.wanted.subscribe();
        // Whatever the archive says at startup is a change: a restart catches up at once.
        rx.mark_changed();
        let mut target = Target {
            name,
            sink: sink.as_ref(),
            pin_refused: None,
        };
        let mut next_send = Instant::now();
        let mut failures = 0u32;
        loop {
            tokio::select! {
                _ = stop.cancelled() => return,
                changed = rx.changed() => if changed.is_err() { return },
            }
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tokio::time::sleep_until(next_send) => {}
            }
            let Some(wanted) = rx.borrow_and_update().clone() else {
                continue;
            };
            match self.bring_up_to_date(&mut target, &wanted).await {
                Ok(Sent::Something) => {
                    failures = 0;
                    next_send = Instant::now() + self.options.min_edit_interval;
                }
                Ok(Sent::Nothing) => failures = 0,
                Err(e) if e.class == RetryClass::Permanent => {
                    tracing::warn!(target_id = %name, meeting = %wanted.meeting, error = %e, "the status was refused; waiting for the next change");
                    next_send = Instant::now() + self.options.min_edit_interval;
                }
                Err(e) => {
                    failures += 1;
                    let jitter = rand::thread_rng().r#gen::<f64>();
                    let wait = self.options.retry.delay(failures, e.class, jitter);
                    tracing::warn!(target_id = %name, meeting = %wanted.meeting, attempt = failures, error = %e, "status update failed; retrying");
                    next_send = Instant::now() + wait;
                    rx.mark_changed();
                }
            }
        }
    }

    /// Finalises any earlier meeting's status still open in this target, then makes the
    /// target show `wanted`. Every step is recorded before the next, so after a crash the
    /// same call resumes where it stopped.
    async fn bring_up_to_date(
        &self,
        target: &mut Target<'_>,
        wanted: &Wanted,
    ) -> Result<Sent, SinkError> {
        let mut sent = Sent::Nothing;
        for stale in self
            .archive
            .status_messages(target.name, true)
            .map_err(archive_error)?
        {
            if stale.meeting == wanted.meeting {
                continue;
            }
            let text = match self.wanted_for(stale.meeting).map_err(archive_error)? {
                Some(w) => w.text,
                None => stale.text.clone(),
            };
            sent = sent.and(self.finalise(target, stale, &text).await?);
        }
        let row = self
            .archive
            .status_message(target.name, wanted.meeting)
            .map_err(archive_error)?;
        let step = match row {
            // Ended before this target ever showed it: nothing to finalise.
            None if wanted.ended => Sent::Nothing,
            None => self.post(target, wanted).await?,
            Some(row) if row.finalised => Sent::Nothing,
            Some(row) if wanted.ended => self.finalise(target, row, &wanted.text).await?,
            Some(row) => self.update(target, row, &wanted.text).await?,
        };
        Ok(sent.and(step))
    }

    /// Posts and pins the status of a meeting this target has not shown yet.
    async fn post(&self, target: &mut Target<'_>, wanted: &Wanted) -> Result<Sent, SinkError> {
        let notice = Notice {
            key: status_key(wanted.meeting, target.name, "post"),
            text: wanted.text.clone(),
        };
        let remote_ids = target.sink.post_notice(&notice).await?;
        let row = StatusMessage {
            target: target.name.to_string(),
            meeting: wanted.meeting,
            remote_ids,
            text: wanted.text.clone(),
            edits: 0,
            pinned: false,
            finalised: false,
        };
        self.save(&row)?;
        self.pin(target, row).await?;
        Ok(Sent::Something)
    }

    /// Edits the status to `text` if it says something else, and pins it if it is not pinned.
    async fn update(
        &self,
        target: &mut Target<'_>,
        mut row: StatusMessage,
        text: &str,
    ) -> Result<Sent, SinkError> {
        let sent = self.edit(target, &mut row, text).await?;
        if !row.pinned {
            self.pin(target, row).await?;
        }
        Ok(sent)
    }

    /// Edits the status to its final text and unpins it.
    async fn finalise(
        &self,
        target: &mut Target<'_>,
        mut row: StatusMessage,
        text: &str,
    ) -> Result<Sent, SinkError> {
        let mut sent = self.edit(target, &mut row, text).await?;
        if row.pinned
            && let Some(first) = row.remote_ids.first()
        {
            target.sink.unpin(first).await?;
            sent = Sent::Something;
        }
        row.pinned = false;
        row.finalised = true;
        self.save(&row)?;
        Ok(sent)
    }

    async fn edit(
        &self,
        target: &mut Target<'_>,
        row: &mut StatusMessage,
        text: &str,
    ) -> Result<Sent, SinkError> {
        if row.text == text {
            return Ok(Sent::Nothing);
        }
        // Each edit has its own key: Matrix would take a repeated transaction id for the
        // earlier edit. A retry of the same edit reuses it.
        let notice = Notice {
            key: status_key(row.meeting, target.name, &format!("edit {}", row.edits + 1)),
            text: text.to_string(),
        };
        target.sink.edit_notice(&row.remote_ids, &notice).await?;
        row.edits += 1;
        row.text = text.to_string();
        self.save(row)?;
        Ok(Sent::Something)
    }

    /// Pins the status's first message. A platform that refuses for good (Discord's 50-pin
    /// limit) is not asked again for this meeting; the status is still kept up to date.
    async fn pin(&self, target: &mut Target<'_>, mut row: StatusMessage) -> Result<(), SinkError> {
        let Some(first) = row.remote_ids.first() else {
            return Ok(());
        };
        if target.pin_refused == Some(row.meeting) {
            return Ok(());
        }
        match target.sink.pin(first).await {
            Ok(()) => {
                row.pinned = true;
                self.save(&row)
            }
            Err(e) if e.class == RetryClass::Permanent => {
                tracing::warn!(target_id = %target.name, meeting = %row.meeting, error = %e, "the status could not be pinned; it is kept up to date unpinned");
                target.pin_refused = Some(row.meeting);
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    fn save(&self, row: &StatusMessage) -> Result<(), SinkError> {
        self.archive.save_status_message(row).map_err(archive_error)
    }
}

/// One target's task state.
struct Target<'a> {
    name: &'a str,
    sink: &'a dyn Sink,
    /// The meeting whose status the platform refused to pin.
    pin_refused: Option<MeetingId>,
}

/// Whether a round asked the platform for anything (and so counts against the pacing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sent {
    Nothing,
    Something,
}

impl Sent {
    fn and(self, other: Sent) -> Sent {
        if self == Sent::Something || other == Sent::Something {
            Sent::Something
        } else {
            Sent::Nothing
        }
    }
}

fn status_key(meeting: MeetingId, target: &str, op: &str) -> IdempotencyKey {
    IdempotencyKey::derive(&format!("status of meeting {meeting}"), target, op)
}

/// The archive failing is transient as far as the status is concerned: try again later.
fn archive_error(e: ArchiveError) -> SinkError {
    SinkError::backoff(format!("archive: {e}"))
}

#[cfg(test)]
mod tests;
