//! The sink trait every delivery target implements, and the error classes the outbox's one
//! retry policy understands.
//!
//! A sink only speaks to its platform; ordering, persistence and retries belong to the outbox.

use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::domain::Entry;

/// How the outbox should treat a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryClass {
    /// The platform said when to try again (429 `Retry-After`, `retry_after_ms`).
    After(Duration),
    /// Transient (5xx, timeout, connection refused): capped exponential backoff with jitter.
    Backoff,
    /// The platform refused this message for good (e.g. 400 on its content): recorded as
    /// failed, reported to the clerks, and the queue moves on.
    Permanent,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SinkError {
    pub class: RetryClass,
    pub message: String,
}

impl SinkError {
    pub fn backoff(message: impl Into<String>) -> Self {
        SinkError {
            class: RetryClass::Backoff,
            message: message.into(),
        }
    }
    pub fn after(wait: Duration, message: impl Into<String>) -> Self {
        SinkError {
            class: RetryClass::After(wait),
            message: message.into(),
        }
    }
    pub fn permanent(message: impl Into<String>) -> Self {
        SinkError {
            class: RetryClass::Permanent,
            message: message.into(),
        }
    }
}

/// What a sink can do besides posting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capabilities {
    /// Edit a posted message in place (corrections).
    pub edit: bool,
    /// Delete or redact a posted message (withdrawals).
    pub delete: bool,
    /// Pin and unpin a message (the "now" status).
    pub pin: bool,
}

/// A stable key for one delivery, derived from (entry hash, target, operation). Sinks that can
/// deduplicate use it (Matrix transaction id, Discord nonce, `Idempotency-Key` header), so a
/// retry after a crash does not post twice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn derive(entry_hash: &str, target: &str, op: &str) -> Self {
        let mut h = Sha256::new();
        for part in [entry_hash, target, op] {
            h.update(part.len().to_le_bytes());
            h.update(part.as_bytes());
        }
        IdempotencyKey(hex::encode(h.finalize()))
    }

    /// The key for part `n` of a split message: 24 hex characters (fits Discord's 25-char nonce).
    pub fn part(&self, n: usize) -> String {
        let mut h = Sha256::new();
        h.update(self.0.as_bytes());
        h.update(n.to_le_bytes());
        hex::encode(h.finalize())[..24].to_string()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One message for a sink to post or to put in place of an earlier one.
#[derive(Debug, Clone)]
pub struct Outgoing<'a> {
    pub key: IdempotencyKey,
    /// The entry being delivered (for a correction or withdrawal: that entry).
    pub entry: &'a Entry,
    /// For corrections and withdrawals: the entry they amend.
    pub original: Option<&'a Entry>,
    /// The plain text to show.
    pub text: String,
    /// For corrections and withdrawals: the original's remote ids on this target (empty when
    /// it never reached it), for targets that quote or reply to it.
    pub original_remote: Vec<String>,
    /// For a threaded target: the meeting's opening post there, which later entries go under.
    /// `None` for the opening post itself, for targets without threads, and when the opening
    /// post never reached this target (then the entry goes to the channel as usual).
    pub thread_root: Option<ThreadRoot>,
}

/// The opening post of a meeting on one target, under which its later entries are threaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadRoot {
    /// The remote id of the opening post's first message.
    pub remote: String,
    /// The meeting's title (Discord names the thread after it).
    pub title: String,
    /// The last remote id of the latest message delivered for the meeting on this target:
    /// what a reply chain (Mastodon, Bluesky) answers. `None` only if nothing was delivered.
    pub parent: Option<String>,
}

/// A message that is not an archive entry: the pinned "now" status, a consultation reminder.
#[derive(Debug, Clone)]
pub struct Notice {
    /// Stable per (notice, target, operation), like an entry's key.
    pub key: IdempotencyKey,
    /// The plain text to show.
    pub text: String,
}

#[async_trait::async_trait]
pub trait Sink: Send + Sync {
    fn capabilities(&self) -> Capabilities;

    /// Whether this target threads each meeting's later entries under its opening post (the
    /// `threads` option); the outbox then fills [`Outgoing::thread_root`].
    fn threads(&self) -> bool {
        false
    }

    /// Posts a message; returns the remote message id(s) (several when it had to be split).
    async fn post(&self, msg: &Outgoing<'_>) -> Result<Vec<String>, SinkError>;

    /// The remote ids of `msg` if it was posted already, where the platform can tell and its
    /// own idempotency would not (another instance sent it just before it lost the target,
    /// under another device's transaction ids). Asked once per takeover, before the first
    /// post. `None`: not found, or the platform cannot tell.
    async fn already_posted(&self, msg: &Outgoing<'_>) -> Result<Option<Vec<String>>, SinkError> {
        let _ = msg;
        Ok(None)
    }

    /// Replaces the messages `remote` with `msg` (a correction). Returns the ids now showing it.
    async fn edit(&self, remote: &[String], msg: &Outgoing<'_>) -> Result<Vec<String>, SinkError> {
        let _ = (remote, msg);
        Err(SinkError::permanent("this target cannot edit messages"))
    }

    /// Deletes or redacts the messages `remote` (a withdrawal). Returns the ids of any message
    /// posted to say so (a reply in a thread), else none.
    async fn delete(
        &self,
        remote: &[String],
        msg: &Outgoing<'_>,
    ) -> Result<Vec<String>, SinkError> {
        let _ = (remote, msg);
        Err(SinkError::permanent("this target cannot delete messages"))
    }

    /// Posts a notice (not an archive entry); returns the remote message id(s).
    async fn post_notice(&self, notice: &Notice) -> Result<Vec<String>, SinkError> {
        let _ = notice;
        Err(SinkError::permanent("this target cannot post notices"))
    }

    /// Replaces a posted notice's text.
    async fn edit_notice(
        &self,
        remote: &[String],
        notice: &Notice,
    ) -> Result<Vec<String>, SinkError> {
        let _ = (remote, notice);
        Err(SinkError::permanent("this target cannot edit messages"))
    }

    /// Pins the message `remote` (one id from `post_notice`).
    async fn pin(&self, remote: &str) -> Result<(), SinkError> {
        let _ = remote;
        Err(SinkError::permanent("this target cannot pin messages"))
    }

    /// Unpins the message `remote`.
    async fn unpin(&self, remote: &str) -> Result<(), SinkError> {
        let _ = remote;
        Err(SinkError::permanent("this target cannot pin messages"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idempotency_keys_are_stable_and_distinct_per_target_op_and_part() {
        let a = IdempotencyKey::derive("h1", "discord:1", "post");
        assert_eq!(a, IdempotencyKey::derive("h1", "discord:1", "post"));
        assert_ne!(a, IdempotencyKey::derive("h1", "discord:2", "post"));
        assert_ne!(a, IdempotencyKey::derive("h1", "discord:1", "edit"));
        assert_ne!(a.part(0), a.part(1));
        assert_eq!(a.part(0).len(), 24);
    }
}
