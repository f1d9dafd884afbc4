//! A Discord channel as a delivery target (`discord:<channel id>`).
//!
//! - Posts are split into parts of at most 2,000 characters ([`super::render::split`]); every
//!   part's message id is returned, in order, and kept by the outbox.
//! - Each create carries `nonce` = [`IdempotencyKey::part`] of (entry, target, op, part) with
//!   `enforce_nonce`, so a retry after a crash between Discord's answer and the archive's record
//!   returns the message already posted instead of posting twice (Discord keeps nonces for a
//!   few minutes; a crash-and-restart longer than that can repeat the one message in flight).
//! - A correction re-splits the corrected text and PATCHes each existing part in place. If it
//!   needs more parts than before, the extra ones are new messages (they appear at the end of
//!   the channel); if fewer, the surplus old parts are deleted.
//! - A withdrawal DELETEs every part; a part already gone counts as deleted.
//! - The first post of a meeting ("Meeting started: …") is pinned when the bot may (Manage
//!   Messages); a refused pin is logged and does not hold up delivery.

use std::sync::Arc;

use super::render::{MAX_CONTENT, create_body, edit_body, split};
use super::rest::Rest;
use crate::config::DiscordId;
use crate::domain::EntryKind;
use crate::sink::{Capabilities, Outgoing, Sink, SinkError};

pub struct DiscordSink {
    rest: Arc<Rest>,
    channel: DiscordId,
}

impl DiscordSink {
    pub fn new(rest: Arc<Rest>, channel: DiscordId) -> Self {
        DiscordSink { rest, channel }
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
        }
    }

    async fn post(&self, msg: &Outgoing<'_>) -> Result<Vec<String>, SinkError> {
        let mut ids = Vec::new();
        for (i, part) in split(&msg.text, MAX_CONTENT).iter().enumerate() {
            let body = create_body(part, &msg.key.part(i), None);
            ids.push(
                self.rest
                    .create_message(self.channel.0, &body)
                    .await
                    .map_err(|e| self.err(e))?,
            );
        }
        if msg.entry.kind == EntryKind::Start
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
        let parts = split(&msg.text, MAX_CONTENT);
        let mut ids = Vec::new();
        for (i, part) in parts.iter().enumerate() {
            match remote.get(i) {
                Some(id) => {
                    self.rest
                        .edit_message(self.channel.0, id, &edit_body(part))
                        .await
                        .map_err(|e| self.err(e))?;
                    ids.push(id.clone());
                }
                None => {
                    let body = create_body(part, &msg.key.part(i), None);
                    ids.push(
                        self.rest
                            .create_message(self.channel.0, &body)
                            .await
                            .map_err(|e| self.err(e))?,
                    );
                }
            }
        }
        for id in remote.iter().skip(parts.len()) {
            self.rest
                .delete_message(self.channel.0, id)
                .await
                .map_err(|e| self.err(e))?;
        }
        Ok(ids)
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
}
