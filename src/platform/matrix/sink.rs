//! Delivering entries to one Matrix room: posts are `m.notice` events sent with the delivery's
//! idempotency key as the transaction id (so a resend after a crash is deduplicated by the
//! homeserver), corrections are `m.replace` edits, withdrawals are redactions with a reason.
//! In an end-to-end encrypted room the SDK encrypts each event for the room's members' devices
//! (sharing the room key first, which only that room's delivery waits for); the transaction id
//! is the same either way, so exactly-once holds in encrypted rooms too.
//! Notices (the pinned status, reminders) are the same `m.notice` events; pins edit the room's
//! `m.room.pinned_events` state, keeping every pin that is not Gavel's.
//!
//! Homeserver errors become retry classes here: `M_LIMIT_EXCEEDED` waits as told, unreachable
//! servers and 5xx back off, `M_FORBIDDEN` backs off with a message the operator can act on
//! (power levels, membership), and content refusals (`M_BAD_JSON`, `M_TOO_LARGE`) are permanent.
//!
//! On a target with `threads = true`, a meeting's later entries are sent in the thread rooted
//! at its opening post (`m.relates_to` with `rel_type: m.thread`), each falling back to a reply
//! to the thread's previous event for clients without threads. Edits of threaded events are
//! ordinary `m.replace` edits: the spec keeps the edited event in its thread.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use matrix_sdk::ruma::api::client::redact::redact_event;
use matrix_sdk::ruma::api::client::state::{get_state_event_for_key, send_state_event};
use matrix_sdk::ruma::api::error::{ErrorKind, RetryAfter};
use matrix_sdk::ruma::events::{AnyStateEventContent, StateEventType};
use matrix_sdk::ruma::serde::Raw;
use matrix_sdk::ruma::{
    EventId, OwnedRoomId, OwnedRoomOrAliasId, OwnedTransactionId, RoomOrAliasId,
};
use matrix_sdk::{Client, HttpError, Room};
use serde_json::Value;
use tokio::sync::Mutex;

use super::config::MatrixRoomRef;
use super::render;
use crate::sink::{Capabilities, Notice, Outgoing, Sink, SinkError};

/// Where a post carries its delivery key (see `MatrixSink::already_posted`).
const KEY_FIELD: &str = "uk.gavel.key";

/// How many of the room's latest events a takeover looks through for a post sent before it.
const LOOKBACK: u32 = 50;

/// One configured target room (id or alias) reached through the shared client.
pub struct MatrixSink {
    client: Client,
    room: MatrixRoomRef,
    target: OwnedRoomOrAliasId,
    /// Set once the room is joined (and its alias resolved).
    joined: Mutex<Option<Room>>,
    threads: bool,
    /// Per thread root: the latest event this process sent in that thread, for the reply
    /// fallback. After a restart the fallback replies to the root, which the spec allows.
    latest_in_thread: std::sync::Mutex<HashMap<String, String>>,
}

impl MatrixSink {
    /// `None` when `room` is not a valid room id or alias (the config check rejects those).
    /// With `threads`, each meeting's later entries form a thread under its opening post.
    pub fn new(client: Client, room: MatrixRoomRef, threads: bool) -> Option<Self> {
        let target = parse_room(&room)?;
        Some(MatrixSink {
            client,
            room,
            target,
            joined: Mutex::new(None),
            threads,
            latest_in_thread: std::sync::Mutex::new(HashMap::new()),
        })
    }

    /// The content of a post: a notice, in its meeting's thread when it has one.
    fn post_content(&self, msg: &Outgoing<'_>) -> Value {
        let Some(root) = &msg.thread_root else {
            return render::notice(&msg.text);
        };
        let latest = self
            .latest_in_thread
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&root.remote)
            .cloned();
        let reply_to = latest.as_deref().unwrap_or(&root.remote);
        render::threaded_notice(&msg.text, &root.remote, reply_to)
    }

    /// Joins the room (idempotent on the homeserver) once per process, resolving an alias.
    async fn room(&self) -> Result<Room, SinkError> {
        let mut known = self.joined.lock().await;
        if let Some(room) = known.as_ref() {
            return Ok(room.clone());
        }
        let room = join(&self.client, &self.target)
            .await
            .map_err(|e| classify_sdk(&format!("joining {}", self.room), &e))?;
        *known = Some(room.clone());
        Ok(room)
    }

    async fn room_id(&self) -> Result<OwnedRoomId, SinkError> {
        Ok(self.room().await?.room_id().to_owned())
    }

    /// Sends `content` as an `m.room.message`, encrypted when the room is.
    async fn send(&self, txn: String, content: &Value) -> Result<String, SinkError> {
        let room = self.room().await?;
        send_message(&room, &OwnedTransactionId::from(txn), content)
            .await
            .map_err(|e| classify_sdk(&format!("posting to {}", self.room), &e))
    }

    /// The room's pinned event ids (none when the room has no `m.room.pinned_events` yet).
    async fn pinned_events(&self, room_id: &OwnedRoomId) -> Result<Vec<String>, SinkError> {
        let what = format!("reading the pins of {}", self.room);
        let request = get_state_event_for_key::v3::Request::new(
            room_id.clone(),
            StateEventType::RoomPinnedEvents,
            String::new(),
        );
        let content: Value = match self.client.send(request).await {
            Ok(resp) => serde_json::from_str(resp.event_or_content.get())
                .map_err(|e| SinkError::backoff(format!("{what}: unreadable state ({e})")))?,
            Err(e)
                if e.as_client_api_error()
                    .is_some_and(|api| api.error_kind() == Some(&ErrorKind::NotFound)) =>
            {
                return Ok(Vec::new());
            }
            Err(e) => return Err(classify(&what, &e)),
        };
        Ok(content["pinned"]
            .as_array()
            .map(|ids| {
                ids.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Reads the room's pins, applies `change` and writes them back if they changed.
    async fn update_pins(&self, change: impl FnOnce(&mut Vec<String>)) -> Result<(), SinkError> {
        let room_id = self.room_id().await?;
        let before = self.pinned_events(&room_id).await?;
        let mut pinned = before.clone();
        change(&mut pinned);
        if pinned == before {
            return Ok(());
        }
        let raw = serde_json::value::to_raw_value(&serde_json::json!({ "pinned": pinned }))
            .map_err(|e| SinkError::permanent(format!("cannot encode the pins: {e}")))?;
        let request = send_state_event::v3::Request::new_raw(
            room_id,
            StateEventType::RoomPinnedEvents,
            String::new(),
            Raw::<AnyStateEventContent>::from_json(raw),
        );
        self.client
            .send(request)
            .await
            .map_err(|e| classify(&format!("pinning in {}", self.room), &e))?;
        Ok(())
    }
}

/// The room id or alias a configured room names.
pub(crate) fn parse_room(room: &MatrixRoomRef) -> Option<OwnedRoomOrAliasId> {
    <&RoomOrAliasId>::try_from(room.0.as_str())
        .ok()
        .map(ToOwned::to_owned)
}

/// Joins `target` (already-joined is fine) and returns the room, known to the SDK's store as
/// joined so that it can encrypt for it.
pub(crate) async fn join(client: &Client, target: &RoomOrAliasId) -> matrix_sdk::Result<Room> {
    client.join_room_by_id_or_alias(target, &[]).await
}

/// Sends an `m.room.message` with the given transaction id; in an encrypted room the SDK shares
/// the room key with the members' devices first and sends `m.room.encrypted`.
pub(crate) async fn send_message(
    room: &Room,
    txn: &OwnedTransactionId,
    content: &Value,
) -> matrix_sdk::Result<String> {
    let resp = room
        .send_raw("m.room.message", content.clone())
        .with_transaction_id(txn)
        .await?;
    Ok(resp.response.event_id.to_string())
}

/// Whether the room is end-to-end encrypted, asking the homeserver if the store does not know.
pub(crate) async fn is_encrypted(room: &Room) -> matrix_sdk::Result<bool> {
    Ok(room.latest_encryption_state().await?.is_encrypted())
}

/// [`classify`] for the SDK's errors: homeserver answers as there, anything else (the crypto
/// store, key sharing) backs off with its message.
pub(crate) fn classify_sdk(what: &str, e: &matrix_sdk::Error) -> SinkError {
    match e {
        matrix_sdk::Error::Http(h) => classify(what, h),
        other => SinkError::backoff(format!("{what}: {other}")),
    }
}

/// Maps a homeserver error to the outbox's retry classes. `what` says what Gavel was doing.
pub(crate) fn classify(what: &str, e: &HttpError) -> SinkError {
    let Some(api) = e.as_client_api_error() else {
        return SinkError::backoff(format!("{what}: homeserver unreachable ({})", short(e)));
    };
    let status = api.status_code.as_u16();
    match api.error_kind() {
        Some(ErrorKind::LimitExceeded(data)) => match &data.retry_after {
            Some(RetryAfter::Delay(d)) => SinkError::after(
                *d,
                format!("{what}: rate limited, retry after {:.1}s", d.as_secs_f64()),
            ),
            Some(RetryAfter::DateTime(at)) => {
                let d = at
                    .duration_since(SystemTime::now())
                    .unwrap_or(Duration::from_millis(10));
                SinkError::after(
                    d,
                    format!("{what}: rate limited, retry after {:.1}s", d.as_secs_f64()),
                )
            }
            None => SinkError::backoff(format!("{what}: rate limited")),
        },
        Some(ErrorKind::Forbidden) => SinkError::backoff(format!(
            "{what}: forbidden ({api}); check the bot is invited or the room is joinable, and that its power level allows posting"
        )),
        Some(ErrorKind::BadJson | ErrorKind::NotJson | ErrorKind::TooLarge) => {
            SinkError::permanent(format!(
                "{what}: the homeserver refused the message ({api})"
            ))
        }
        Some(ErrorKind::UnknownToken(_)) | Some(ErrorKind::MissingToken) => {
            SinkError::backoff(format!(
                "{what}: the access token was rejected ({api}); log the bot in again (delete matrix-session.json when using a password)"
            ))
        }
        _ if status == 413 => SinkError::permanent(format!("{what}: message too large ({api})")),
        _ => SinkError::backoff(format!("{what}: {api}")),
    }
}

/// An error's message without the request URL (it names the homeserver only, but keeps lines short).
pub(crate) fn short(e: &HttpError) -> String {
    match e {
        HttpError::Reqwest(r) if r.is_timeout() => "timed out".into(),
        HttpError::Reqwest(r) if r.is_connect() => "connection refused or failed".into(),
        HttpError::Reqwest(r) => match std::error::Error::source(r) {
            Some(cause) => format!("connection error: {cause}"),
            None => "connection error".into(),
        },
        other => other.to_string(),
    }
}

#[async_trait::async_trait]
impl Sink for MatrixSink {
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
        let mut content = self.post_content(msg);
        // The delivery's key, readable by any device of the bot (transaction ids are
        // deduplicated per device only): see `already_posted`.
        content[KEY_FIELD] = Value::String(msg.key.part(0));
        let event_id = self.send(msg.key.part(0), &content).await?;
        if let Some(root) = &msg.thread_root {
            self.latest_in_thread
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(root.remote.clone(), event_id.clone());
        }
        Ok(vec![event_id])
    }

    /// Looks for the post among the bot's latest events in the room, by the key every post
    /// carries: another instance may have sent it, from another device, just before it lost
    /// the target.
    async fn already_posted(&self, msg: &Outgoing<'_>) -> Result<Option<Vec<String>>, SinkError> {
        let room = self.room().await?;
        let what = format!("reading the latest events of {}", self.room);
        let mut options = matrix_sdk::room::MessagesOptions::backward();
        options.limit = matrix_sdk::ruma::UInt::from(LOOKBACK);
        let messages = room
            .messages(options)
            .await
            .map_err(|e| classify_sdk(&what, &e))?;
        let key = msg.key.part(0);
        let me = self.client.user_id().map(|u| u.to_string());
        for event in messages.chunk {
            let Ok(raw) = event.raw().deserialize_as::<Value>() else {
                continue;
            };
            if raw["sender"].as_str() == me.as_deref()
                && raw["content"][KEY_FIELD].as_str() == Some(key.as_str())
                && let Some(id) = raw["event_id"].as_str()
            {
                return Ok(Some(vec![id.to_string()]));
            }
        }
        Ok(None)
    }

    async fn edit(&self, remote: &[String], msg: &Outgoing<'_>) -> Result<Vec<String>, SinkError> {
        for (i, original) in remote.iter().enumerate() {
            self.send(msg.key.part(i), &render::replacement(original, &msg.text))
                .await?;
        }
        // The original events now show the corrected text; later edits replace them again.
        Ok(remote.to_vec())
    }

    async fn delete(
        &self,
        remote: &[String],
        msg: &Outgoing<'_>,
    ) -> Result<Vec<String>, SinkError> {
        let room_id = self.room_id().await?;
        for (i, original) in remote.iter().enumerate() {
            let Ok(event_id) = EventId::parse(original) else {
                tracing::warn!(room = %self.room, remote = %original, "stored remote id is not an event id; nothing to redact");
                continue;
            };
            let mut req = redact_event::v3::Request::new(
                room_id.clone(),
                event_id,
                OwnedTransactionId::from(msg.key.part(i)),
            );
            req.reason = Some(msg.text.clone());
            self.client
                .send(req)
                .await
                .map_err(|e| classify(&format!("redacting in {}", self.room), &e))?;
        }
        Ok(Vec::new())
    }

    async fn post_notice(&self, notice: &Notice) -> Result<Vec<String>, SinkError> {
        let event_id = self
            .send(notice.key.part(0), &render::notice(&notice.text))
            .await?;
        Ok(vec![event_id])
    }

    async fn edit_notice(
        &self,
        remote: &[String],
        notice: &Notice,
    ) -> Result<Vec<String>, SinkError> {
        for (i, original) in remote.iter().enumerate() {
            self.send(
                notice.key.part(i),
                &render::replacement(original, &notice.text),
            )
            .await?;
        }
        Ok(remote.to_vec())
    }

    async fn pin(&self, remote: &str) -> Result<(), SinkError> {
        self.update_pins(|pinned| {
            if !pinned.iter().any(|p| p == remote) {
                pinned.push(remote.to_string());
            }
        })
        .await
    }

    async fn unpin(&self, remote: &str) -> Result<(), SinkError> {
        self.update_pins(|pinned| pinned.retain(|p| p != remote))
            .await
    }
}

#[cfg(test)]
mod tests {
    use matrix_sdk::ruma::api::client::uiaa::UiaaResponse;
    use matrix_sdk::ruma::api::error::{
        Error, ErrorBody, FromHttpResponseError, LimitExceededErrorData, StandardErrorBody,
    };

    use super::*;
    use crate::sink::RetryClass;

    fn api_error(status: u16, kind: ErrorKind) -> HttpError {
        let body = ErrorBody::Standard(StandardErrorBody::new(kind, "from the homeserver".into()));
        let e = Error::new(reqwest::StatusCode::from_u16(status).unwrap(), body);
        HttpError::from(FromHttpResponseError::Server(UiaaResponse::MatrixError(e)))
    }

    #[test]
    fn rate_limits_wait_as_long_as_the_homeserver_says() {
        let mut data = LimitExceededErrorData::new();
        data.retry_after = Some(RetryAfter::Delay(Duration::from_millis(1500)));
        let e = classify("posting", &api_error(429, ErrorKind::LimitExceeded(data)));
        assert_eq!(e.class, RetryClass::After(Duration::from_millis(1500)));
    }

    #[test]
    fn forbidden_backs_off_with_advice_for_the_operator() {
        let e = classify("posting to #live:x", &api_error(403, ErrorKind::Forbidden));
        assert_eq!(e.class, RetryClass::Backoff);
        assert!(e.message.contains("power level"), "{}", e.message);
    }

    #[test]
    fn content_refusals_are_permanent_and_server_errors_back_off() {
        assert_eq!(
            classify("p", &api_error(400, ErrorKind::BadJson)).class,
            RetryClass::Permanent
        );
        assert_eq!(
            classify("p", &api_error(413, ErrorKind::TooLarge)).class,
            RetryClass::Permanent
        );
        assert_eq!(
            classify("p", &api_error(502, ErrorKind::Unknown)).class,
            RetryClass::Backoff
        );
    }
}
