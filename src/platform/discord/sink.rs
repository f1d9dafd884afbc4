//! A Discord channel as a delivery target (`discord:<channel id>`).
//!
//! - Posts are split into parts of at most 2,000 characters ([`super::render::split`]); every
//!   part's message id is returned, in order, and kept by the outbox.
//! - Each create carries `nonce` = [`IdempotencyKey::part`] of (entry, target, op, part) with
//!   `enforce_nonce`, so a retry after a crash between Discord's answer and the archive's record
//!   returns the message already posted instead of posting twice (Discord keeps nonces for a
//!   few minutes; a crash-and-restart longer than that can repeat the one message in flight).
//! - An entry keeps the same messages for life: a correction re-splits the corrected text into
//!   exactly as many parts as were posted ([`fit_parts`]) and PATCHes each in place, so every
//!   later correction or withdrawal reaches every message. A shorter correction leaves the
//!   surplus parts saying "(corrected: see above)"; a correction that would need more parts
//!   than the original ends its last part with "… (full text in the archive)".
//! - A withdrawal DELETEs every part; a part already gone counts as deleted.
//! - The first post of a meeting ("Meeting started: …") is pinned when the bot may (Manage
//!   Messages); a refused pin is logged and does not hold up delivery. With the pinned "now"
//!   status on ([`crate::status`]) the status is the one pin instead.
//! - Notices (the status, reminders) are plain posts split the same way, without an entry
//!   number; `pin` / `unpin` are `PUT` / `DELETE /channels/{c}/pins/{m}`.
//! - On a target with `threads = true`, a thread named after the meeting is started from that
//!   first post, and later entries are posted into it (a thread started from a message has the
//!   message's id as its channel id). Their remote ids are stored as `<thread>/<message>` so
//!   corrections and withdrawals reach them there; a bare id, as stored before threads existed,
//!   is a message in the target channel itself. When the thread cannot be had (no Create Public
//!   Threads permission, opening post deleted), entries go to the channel instead.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::config::DiscordId;
use super::render::{CreatePost, MAX_CONTENT, edit_body, split};
use super::rest::Rest;
use crate::domain::EntryKind;
use crate::sink::{Capabilities, Notice, Outgoing, Sink, SinkError, ThreadRoot};

const SURPLUS_PART: &str = "(corrected: see above)";
const TRUNCATED: &str = "… (full text in the archive)";

/// Discord's limit on a thread's name, in characters.
const MAX_THREAD_NAME: usize = 100;

/// A posted message: the channel (or thread) it lives in and its id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct RemoteMessage<'a> {
    channel: u64,
    message: &'a str,
}

impl<'a> RemoteMessage<'a> {
    /// Reads a stored remote id: `<thread>/<message>`, or a bare message id in `home`.
    fn parse(stored: &'a str, home: DiscordId) -> RemoteMessage<'a> {
        match stored
            .split_once('/')
            .and_then(|(c, m)| Some((c.parse().ok()?, m)))
        {
            Some((channel, message)) => RemoteMessage { channel, message },
            None => RemoteMessage {
                channel: home.0,
                message: stored,
            },
        }
    }

    /// The id to store: bare when in `home`, so non-threaded targets keep today's format.
    fn store(channel: u64, message: String, home: DiscordId) -> String {
        if channel == home.0 {
            message
        } else {
            format!("{channel}/{message}")
        }
    }
}

/// A thread name from a meeting title: at most 100 characters, never empty.
fn thread_name(title: &str) -> String {
    let title = title.trim();
    let title = if title.is_empty() { "—" } else { title };
    title.chars().take(MAX_THREAD_NAME).collect()
}

/// `text` split into exactly `n` parts (n ≥ 1) of at most 2,000 characters: padded with a
/// placeholder when it needs fewer, its last part shortened on a word boundary and marked when
/// it needs more.
pub fn fit_parts(text: &str, n: usize) -> Vec<String> {
    let mut parts = split(text, MAX_CONTENT);
    if n == 0 {
        return Vec::new();
    }
    if parts.len() > n {
        let rest = parts.split_off(n - 1).join("\n");
        let room = MAX_CONTENT - TRUNCATED.encode_utf16().count() - 1;
        let head = split(&rest, room).into_iter().next().unwrap_or_default();
        parts.push(format!("{head} {TRUNCATED}"));
    }
    while parts.len() < n {
        parts.push(SURPLUS_PART.to_string());
    }
    parts
}

pub struct DiscordSink {
    rest: Arc<Rest>,
    channel: DiscordId,
    pin_meeting_start: bool,
    threads: bool,
    /// Per opening message id: the thread this process has made sure of, or `None` when it
    /// could not be had and entries go to the channel.
    thread_of: Mutex<HashMap<String, Option<u64>>>,
}

impl DiscordSink {
    /// A sink for `channel`; with `threads`, each meeting gets a thread under its first post.
    pub fn new(rest: Arc<Rest>, channel: DiscordId, threads: bool) -> Self {
        DiscordSink {
            rest,
            channel,
            pin_meeting_start: true,
            threads,
            thread_of: Mutex::new(HashMap::new()),
        }
    }

    /// Whether to pin each meeting's first post (off when the pinned status is on).
    pub fn pin_meeting_start(mut self, pin: bool) -> Self {
        self.pin_meeting_start = pin;
        self
    }

    /// Posts `text` to `channel` split within the limit, each part with its own nonce; returns
    /// the stored remote ids.
    async fn create_parts(
        &self,
        channel: u64,
        text: &str,
        key: &crate::sink::IdempotencyKey,
    ) -> Result<Vec<String>, SinkError> {
        let mut ids = Vec::new();
        for (i, part) in split(text, MAX_CONTENT).iter().enumerate() {
            let nonce = key.part(i);
            let id = self
                .rest
                .create_message(channel, &CreatePost::new(part, &nonce))
                .await
                .map_err(|e| self.err(e))?;
            ids.push(RemoteMessage::store(channel, id, self.channel));
        }
        Ok(ids)
    }

    /// PATCHes each of `remote` with its share of `text` (see [`fit_parts`]), where it lives
    /// (channel or thread); a part deleted by a moderator is skipped.
    async fn edit_parts(&self, remote: &[String], text: &str) -> Result<(), SinkError> {
        for (id, part) in remote.iter().zip(fit_parts(text, remote.len())) {
            let at = RemoteMessage::parse(id, self.channel);
            match self
                .rest
                .edit_message(at.channel, at.message, &edit_body(&part))
                .await
            {
                Ok(_) => {}
                Err(super::rest::RestError::NotFound { code: 10008, .. }) => {
                    tracing::warn!(channel = %self.channel, part = %id, "a part to edit was already deleted");
                }
                Err(e) => return Err(self.err(e)),
            }
        }
        Ok(())
    }

    /// Starts (or finds, idempotently) the thread under the opening message `opening`.
    /// `Ok(None)` means it cannot be had and the channel is used; a transient failure is an
    /// error so the delivery is retried.
    async fn thread(&self, opening: &str, title: &str) -> Result<Option<u64>, SinkError> {
        let known = self
            .thread_of
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(opening)
            .copied();
        if let Some(known) = known {
            return Ok(known);
        }
        use super::rest::RestError;
        let thread = match self
            .rest
            .start_thread(self.channel.0, opening, &thread_name(title))
            .await
        {
            Ok(()) => opening.parse().ok(),
            Err(
                e @ (RestError::Forbidden { .. }
                | RestError::NotFound { .. }
                | RestError::Refused { .. }),
            ) => {
                tracing::warn!(channel = %self.channel, opening = %opening, error = %e, "cannot start the meeting's thread (needs Create Public Threads); posting in the channel");
                None
            }
            Err(e) => return Err(self.err(e)),
        };
        self.thread_of
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(opening.to_string(), thread);
        Ok(thread)
    }

    /// The channel an entry goes to: its meeting's thread when there is one.
    async fn destination(&self, root: Option<&ThreadRoot>) -> Result<u64, SinkError> {
        let Some(root) = root else {
            return Ok(self.channel.0);
        };
        let opening = RemoteMessage::parse(&root.remote, self.channel);
        if opening.channel != self.channel.0 {
            // Not a post in this channel: it cannot carry a thread here.
            return Ok(self.channel.0);
        }
        Ok(self
            .thread(opening.message, &root.title)
            .await?
            .unwrap_or(self.channel.0))
    }

    fn err(&self, e: super::rest::RestError) -> SinkError {
        e.into_sink_error(&self.channel.to_string())
    }
}

#[async_trait::async_trait]
impl Sink for DiscordSink {
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            edit: true,
            delete: true,
            pin: true,
        }
    }

    fn threads(&self) -> bool {
        self.threads
    }

    async fn post(&self, msg: &Outgoing<'_>) -> Result<Vec<String>, SinkError> {
        let channel = self.destination(msg.thread_root.as_ref()).await?;
        let ids = self.create_parts(channel, &msg.text, &msg.key).await?;
        let opening = (msg.entry.kind() == EntryKind::Start && msg.original.is_none())
            .then(|| ids.first())
            .flatten();
        if let Some(first) = opening {
            if self.pin_meeting_start
                && let Err(e) = self.rest.pin(self.channel.0, first).await
            {
                // Pinning is a convenience; the entry is delivered either way.
                tracing::warn!(channel = %self.channel, error = %e, "cannot pin the meeting's first post (needs Manage Messages)");
            }
            if self.threads
                && let Err(e) = self
                    .thread(first, msg.entry.payload.title().unwrap_or_default())
                    .await
            {
                // The opening post is delivered; the next entry tries the thread again.
                tracing::warn!(channel = %self.channel, error = %e, "cannot start the meeting's thread yet");
            }
        }
        Ok(ids)
    }

    async fn edit(&self, remote: &[String], msg: &Outgoing<'_>) -> Result<Vec<String>, SinkError> {
        self.edit_parts(remote, &msg.text).await?;
        Ok(remote.to_vec())
    }

    async fn delete(
        &self,
        remote: &[String],
        _msg: &Outgoing<'_>,
    ) -> Result<Vec<String>, SinkError> {
        for id in remote {
            let at = RemoteMessage::parse(id, self.channel);
            self.rest
                .delete_message(at.channel, at.message)
                .await
                .map_err(|e| self.err(e))?;
        }
        Ok(Vec::new())
    }

    async fn post_notice(&self, notice: &Notice) -> Result<Vec<String>, SinkError> {
        self.create_parts(self.channel.0, &notice.text, &notice.key)
            .await
    }

    async fn edit_notice(
        &self,
        remote: &[String],
        notice: &Notice,
    ) -> Result<Vec<String>, SinkError> {
        self.edit_parts(remote, &notice.text).await?;
        Ok(remote.to_vec())
    }

    async fn pin(&self, remote: &str) -> Result<(), SinkError> {
        self.rest
            .pin(self.channel.0, remote)
            .await
            .map_err(|e| self.err(e))
    }

    async fn unpin(&self, remote: &str) -> Result<(), SinkError> {
        self.rest
            .unpin(self.channel.0, remote)
            .await
            .map_err(|e| self.err(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_ids_carry_their_thread_and_bare_ids_stay_in_the_channel() {
        let home = DiscordId(10);
        let stored = RemoteMessage::store(20, "30".into(), home);
        assert_eq!(stored, "20/30");
        assert_eq!(
            RemoteMessage::parse(&stored, home),
            RemoteMessage {
                channel: 20,
                message: "30"
            }
        );
        assert_eq!(RemoteMessage::store(10, "31".into(), home), "31");
        assert_eq!(
            RemoteMessage::parse("31", home),
            RemoteMessage {
                channel: 10,
                message: "31"
            }
        );
    }

    #[test]
    fn thread_names_fit_discord_and_are_never_empty() {
        assert_eq!(thread_name(&"é".repeat(150)).chars().count(), 100);
        assert_eq!(thread_name("  Planning  "), "Planning");
        assert!(!thread_name("   ").is_empty());
    }

    #[test]
    fn a_correction_always_fills_exactly_the_posted_parts() {
        let long = "word ".repeat(1000); // 5,000 characters: 3 parts
        let three = fit_parts(&long, 3);
        assert_eq!(three, split(&long, MAX_CONTENT));
        let two = fit_parts(&long, 2);
        assert_eq!(two.len(), 2);
        assert!(
            two[1].ends_with(TRUNCATED) && two[1].chars().count() <= MAX_CONTENT,
            "{}",
            two[1].len()
        );
        let four = fit_parts("short", 4);
        assert_eq!(
            four,
            vec!["short", SURPLUS_PART, SURPLUS_PART, SURPLUS_PART]
        );
    }
}
