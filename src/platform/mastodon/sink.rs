//! A Mastodon account as a delivery target (`mastodon:<name>`): each meeting is one thread.
//!
//! - **Threads.** The meeting's opening post is a top-level status; every later entry replies
//!   to the latest status delivered for the meeting ([`ThreadRoot::parent`], else the opening
//!   post), so the meeting reads as one reply chain from its first status. When the status to
//!   answer is gone (its entry was withdrawn, or someone deleted it), the entry replies to the
//!   opening post instead, and if that is gone too it is posted top-level: never lost.
//! - **Length.** Statuses are split within the instance's limit, read once from
//!   `GET /api/v2/instance` ([`Limits`]); each part replies to the one before, and every part's
//!   id is returned in order.
//! - **Exactly once.** Every create carries `Idempotency-Key` = [`IdempotencyKey::part`]; the
//!   instance answers a repeated key (within its window, an hour on Mastodon) with the status
//!   it already made, so a retry after a crash between its answer and the archive's record
//!   posts nothing twice.
//! - **Corrections are edits** (`PUT /api/v1/statuses/:id`). An entry keeps the same statuses
//!   for life, because later corrections and withdrawals reach exactly the statuses its post
//!   recorded: the corrected text is fitted to as many statuses as were posted
//!   ([`fit_parts`]). A shorter correction leaves the statuses it no longer needs saying
//!   "(corrected: see above)" rather than deleting them, because later entries of the meeting
//!   reply to them and deleting one would cut the thread; a longer one ends its last status
//!   with "… (full text in the archive)". A status already deleted is skipped.
//! - **Withdrawals delete** every status of the entry (`DELETE /api/v1/statuses/:id`); one
//!   already gone (404) counts as deleted.
//! - **Notices** (the pinned "now" status, consultation reminders) are top-level statuses;
//!   `pin` / `unpin` are `POST /api/v1/statuses/:id/pin|unpin`, which need the token's
//!   `write:accounts` scope: without it the status is kept up to date unpinned.
//! - **Nobody is notified**: mentions and hashtags are made inert ([`render::inert`]).
//! - **Errors**: 429 and an exhausted rate-limit window retry at the window's reset; 401 / 403
//!   (a wrong token, or one without `write:statuses`), 5xx and timeouts back off; 422 (the
//!   instance refused the content) is permanent.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use tokio::sync::OnceCell;

use super::api::{Api, ApiError, Family};
use super::config::{MastodonSettings, Visibility};
use super::render::{self, Limits, fit_parts};
use crate::config::TargetName;
use crate::i18n::Language;
use crate::sink::{Capabilities, IdempotencyKey, Notice, Outgoing, Sink, SinkError};

pub struct MastodonSink {
    api: Api,
    /// `mastodon:<name>`, for messages.
    target: String,
    visibility: Visibility,
    /// The statuses' `language`: the council's (its first, when bilingual).
    language: &'static str,
    limits: OnceCell<Limits>,
}

impl MastodonSink {
    pub fn new(
        settings: &MastodonSettings,
        language: Language,
        timeout: Duration,
    ) -> Result<MastodonSink, reqwest::Error> {
        Ok(MastodonSink {
            api: Api::new(&settings.instance, settings.access_token.clone(), timeout)?,
            target: TargetName::mastodon(&settings.name).into(),
            visibility: settings.visibility,
            language: language.primary().code(),
            limits: OnceCell::new(),
        })
    }

    /// The instance's limits, asked once and kept. An instance without `/api/v2/instance`
    /// (before Mastodon 4.0) is asked `/api/v1/instance`; one answering neither gets Mastodon's
    /// defaults.
    async fn limits(&self) -> Result<Limits, SinkError> {
        self.limits
            .get_or_try_init(|| async {
                for path in ["/api/v2/instance", "/api/v1/instance"] {
                    match self
                        .api
                        .request(Family::Other, Method::GET, path, None, None)
                        .await
                    {
                        Ok(doc) => return Ok(Limits::from_instance(&doc)),
                        Err(ApiError::NotFound(_)) => continue,
                        Err(e) => return Err(self.err(e)),
                    }
                }
                tracing::warn!(target_name = %self.target, "the instance publishes no limits; using Mastodon's 500 characters");
                Ok(Limits::default())
            })
            .await
            .copied()
    }

    /// Creates one status; returns its id.
    async fn create(
        &self,
        text: &str,
        in_reply_to: Option<&str>,
        key: &str,
    ) -> Result<String, ApiError> {
        let mut body = json!({
            "status": text,
            "visibility": self.visibility.as_str(),
            "language": self.language,
        });
        if let Some(parent) = in_reply_to {
            body["in_reply_to_id"] = json!(parent);
        }
        let status = self
            .api
            .request(
                Family::Create,
                Method::POST,
                "/api/v1/statuses",
                Some(&body),
                Some(key),
            )
            .await?;
        status_id(&status)
    }

    /// Posts `parts` as a chain: the first replying to the first of `reply_to` that still
    /// exists (none: top-level), each later one to the part before. Returns the ids in order.
    async fn create_chain(
        &self,
        parts: &[String],
        key: &IdempotencyKey,
        reply_to: &[&str],
    ) -> Result<Vec<String>, SinkError> {
        let mut ids: Vec<String> = Vec::with_capacity(parts.len());
        for (i, part) in parts.iter().enumerate() {
            let id = match ids.last() {
                Some(prev) => self.create(part, Some(prev), &key.part(i)).await,
                None => self.create_first(part, &key.part(i), reply_to).await,
            }
            .map_err(|e| self.err(e))?;
            ids.push(id);
        }
        Ok(ids)
    }

    /// The first part, replying to the first of `candidates` the instance still has.
    async fn create_first(
        &self,
        text: &str,
        key: &str,
        candidates: &[&str],
    ) -> Result<String, ApiError> {
        for parent in candidates {
            match self.create(text, Some(parent), key).await {
                Err(ApiError::NotFound(why)) => {
                    tracing::warn!(target_name = %self.target, parent = %parent, why = %why, "the status to reply to is gone; trying the thread's next one");
                }
                other => return other,
            }
        }
        self.create(text, None, key).await
    }

    /// Edits each of `remote` to its share of `text` (see [`fit_parts`]); a status already
    /// deleted is skipped.
    async fn edit_parts(&self, remote: &[String], text: &str) -> Result<(), SinkError> {
        let limits = self.limits().await?;
        for (id, part) in remote.iter().zip(fit_parts(text, remote.len(), limits)) {
            let body = json!({ "status": part, "language": self.language });
            let path = format!("/api/v1/statuses/{}", path_segment(id));
            match self
                .api
                .request(Family::Other, Method::PUT, &path, Some(&body), None)
                .await
            {
                Ok(_) => {}
                Err(ApiError::NotFound(_)) => {
                    tracing::warn!(target_name = %self.target, status = %id, "a status to edit was already deleted");
                }
                Err(e) => return Err(self.err(e)),
            }
        }
        Ok(())
    }

    /// `pin` or `unpin` the status `remote`. Refusals are permanent: the status board then
    /// keeps the status up to date unpinned.
    async fn pin_op(&self, remote: &str, op: &str) -> Result<(), SinkError> {
        let path = format!("/api/v1/statuses/{}/{op}", path_segment(remote));
        match self
            .api
            .request(Family::Other, Method::POST, &path, None, None)
            .await
        {
            Ok(_) => Ok(()),
            Err(ApiError::NotFound(_)) if op == "unpin" => Ok(()),
            Err(ApiError::Forbidden(why)) => Err(SinkError::permanent(format!(
                "{}: cannot {op} (HTTP 403: {why}); pinning needs the token's write:accounts scope",
                self.target
            ))),
            Err(e @ (ApiError::NotFound(_) | ApiError::Refused { .. })) => Err(
                SinkError::permanent(format!("{}: cannot {op}: {e}", self.target)),
            ),
            Err(e) => Err(self.err(e)),
        }
    }

    /// The outbox's view of an error.
    fn err(&self, e: ApiError) -> SinkError {
        let t = &self.target;
        match e {
            ApiError::RateLimited(wait) => SinkError::after(
                wait,
                format!(
                    "{t}: Mastodon rate limit; retry in {:.0}s",
                    wait.as_secs_f64()
                ),
            ),
            ApiError::Unauthorized => SinkError::backoff(format!(
                "{t}: the instance rejected the access token (HTTP 401): check access_token / access_token_file"
            )),
            ApiError::Forbidden(why) => SinkError::backoff(format!(
                "{t}: refused (HTTP 403: {why}): the access token needs the write:statuses scope"
            )),
            ApiError::NotFound(why) => SinkError::backoff(format!(
                "{t}: not found (HTTP 404: {why}): is `instance` a Mastodon server's address?"
            )),
            ApiError::Refused { status, message } => SinkError::permanent(format!(
                "{t}: the instance refused the status (HTTP {status}: {message})"
            )),
            ApiError::Server(status, Some(wait)) => {
                SinkError::after(wait, format!("{t}: the instance failed (HTTP {status})"))
            }
            e @ (ApiError::Server(..) | ApiError::Transport(_) | ApiError::Decode(_)) => {
                SinkError::backoff(format!("{t}: {e}"))
            }
        }
    }
}

/// A status's `id`.
fn status_id(status: &Value) -> Result<String, ApiError> {
    status["id"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| ApiError::Decode("a status without an id".into()))
}

/// A stored remote id as one URL path segment (Mastodon's ids are digits; anything else is
/// escaped rather than trusted).
fn path_segment(id: &str) -> String {
    url::form_urlencoded::byte_serialize(id.as_bytes()).collect()
}

#[async_trait::async_trait]
impl Sink for MastodonSink {
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            edit: true,
            delete: true,
            pin: true,
        }
    }

    fn threads(&self) -> bool {
        true
    }

    async fn post(&self, msg: &Outgoing<'_>) -> Result<Vec<String>, SinkError> {
        let parts = render::parts(&msg.text, self.limits().await?);
        let mut reply_to: Vec<&str> = Vec::new();
        if let Some(root) = &msg.thread_root {
            reply_to.extend(root.parent.as_deref());
            if root.parent.as_deref() != Some(root.remote.as_str()) {
                reply_to.push(&root.remote);
            }
        }
        self.create_chain(&parts, &msg.key, &reply_to).await
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
            let path = format!("/api/v1/statuses/{}", path_segment(id));
            match self
                .api
                .request(Family::Delete, Method::DELETE, &path, None, None)
                .await
            {
                Ok(_) | Err(ApiError::NotFound(_)) => {}
                Err(e) => return Err(self.err(e)),
            }
        }
        // Nothing is posted to say so: the status is gone, as on Discord.
        Ok(Vec::new())
    }

    async fn post_notice(&self, notice: &Notice) -> Result<Vec<String>, SinkError> {
        let parts = render::parts(&notice.text, self.limits().await?);
        self.create_chain(&parts, &notice.key, &[]).await
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
        self.pin_op(remote, "pin").await
    }

    async fn unpin(&self, remote: &str) -> Result<(), SinkError> {
        self.pin_op(remote, "unpin").await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sink::RetryClass;

    fn sink() -> MastodonSink {
        let settings = MastodonSettings {
            name: "social.example".into(),
            instance: url::Url::parse("https://social.example").unwrap(),
            access_token: secrecy::SecretString::from("tok-SECRET"),
            visibility: Visibility::Unlisted,
        };
        MastodonSink::new(&settings, Language::EnCy, Duration::from_secs(1)).unwrap()
    }

    #[test]
    fn a_bilingual_council_writes_statuses_in_its_first_language() {
        assert_eq!(sink().language, "en");
    }

    #[test]
    fn errors_map_to_the_outboxs_retry_classes_and_never_show_the_token() {
        let s = sink();
        let cases = [
            (ApiError::Unauthorized, "rejected the access token"),
            (
                ApiError::Forbidden("outside the authorized scopes".into()),
                "write:statuses",
            ),
            (ApiError::Server(502, None), "HTTP 502"),
            (
                ApiError::Transport("connection refused".into()),
                "unreachable",
            ),
        ];
        for (e, needle) in cases {
            let se = s.err(e);
            assert_eq!(se.class, RetryClass::Backoff, "{se:?}");
            assert!(
                se.message.contains(needle) && se.message.contains("mastodon:social.example"),
                "{se:?}"
            );
            assert!(!se.message.contains("SECRET"));
        }
        let refused = s.err(ApiError::Refused {
            status: 422,
            message: "Validation failed".into(),
        });
        assert_eq!(refused.class, RetryClass::Permanent);
        let limited = s.err(ApiError::RateLimited(Duration::from_secs(42)));
        assert_eq!(limited.class, RetryClass::After(Duration::from_secs(42)));
    }

    #[test]
    fn remote_ids_are_escaped_into_one_path_segment() {
        assert_eq!(path_segment("110123"), "110123");
        assert_eq!(path_segment("../admin"), "..%2Fadmin");
    }
}
