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

use std::sync::Arc;

use super::render::{MAX_CONTENT, create_body, edit_body, split};
use super::rest::Rest;
use crate::config::DiscordId;
use crate::domain::EntryKind;
use crate::sink::{Capabilities, Notice, Outgoing, Sink, SinkError};

const SURPLUS_PART: &str = "(corrected: see above)";
const TRUNCATED: &str = "… (full text in the archive)";

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
}

impl DiscordSink {
    pub fn new(rest: Arc<Rest>, channel: DiscordId) -> Self {
        DiscordSink {
            rest,
            channel,
            pin_meeting_start: true,
        }
    }

    /// Whether to pin each meeting's first post (off when the pinned status is on).
    pub fn pin_meeting_start(mut self, pin: bool) -> Self {
        self.pin_meeting_start = pin;
        self
    }

    /// Posts `text` split within the limit, each part with its own nonce; returns the ids.
    async fn create_parts(
        &self,
        text: &str,
        key: &crate::sink::IdempotencyKey,
    ) -> Result<Vec<String>, SinkError> {
        let mut ids = Vec::new();
        for (i, part) in split(text, MAX_CONTENT).iter().enumerate() {
            let body = create_body(part, &key.part(i), None);
            ids.push(
                self.rest
                    .create_message(self.channel.0, &body)
                    .await
                    .map_err(|e| self.err(e))?,
            );
        }
        Ok(ids)
    }

    /// PATCHes each of `remote` with its share of `text` (see [`fit_parts`]); a part deleted
    /// by a moderator is skipped.
    async fn edit_parts(&self, remote: &[String], text: &str) -> Result<(), SinkError> {
        for (id, part) in remote.iter().zip(fit_parts(text, remote.len())) {
            match self
                .rest
                .edit_message(self.channel.0, id, &edit_body(&part))
                .await
            {
                Ok(_) => {}
                Err(super::rest::RestError::NotFound { code: 10008, .. }) => {
                    tracing::warn!(channel = %self.channel, message = %id, "a part to edit was already deleted");
                }
                Err(e) => return Err(self.err(e)),
            }
        }
        Ok(())
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

    async fn post(&self, msg: &Outgoing<'_>) -> Result<Vec<String>, SinkError> {
        let ids = self.create_parts(&msg.text, &msg.key).await?;
        if self.pin_meeting_start
            && msg.entry.kind == EntryKind::Start
            && msg.original.is_none()
            && let Some(first) = ids.first()
            && let Err(e) = self.rest.pin(self.channel.0, first).await
        {
            // Pinning is a convenience; the entry is delivered either way.
            tracing::warn!(channel = %self.channel, error = %e, "cannot pin the meeting's first post (needs Manage Messages)");
        }
        Ok(ids)
    }

    async fn edit(&self, remote: &[String], msg: &Outgoing<'_>) -> Result<Vec<String>, SinkError> {
        self.edit_parts(remote, &msg.text).await?;
        Ok(remote.to_vec())
    }

    async fn delete(&self, remote: &[String], _msg: &Outgoing<'_>) -> Result<(), SinkError> {
        for id in remote {
            self.rest
                .delete_message(self.channel.0, id)
                .await
                .map_err(|e| self.err(e))?;
        }
        Ok(())
    }

    async fn post_notice(&self, notice: &Notice) -> Result<Vec<String>, SinkError> {
        self.create_parts(&notice.text, &notice.key).await
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
