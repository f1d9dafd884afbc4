//! The Matrix command input: a sync loop that turns clerks' messages in the configured command
//! rooms into clerk inputs for the desk, and answers in the same room with `m.notice` replies,
//! delivery receipts and failing/recovered notices.
//!
//! Only `m.room.message` events from allow-listed clerks in command rooms are read; the bot's
//! own events, every `m.notice` and anyone else's messages are ignored (non-clerk commands are
//! logged).
//!
//! In an end-to-end encrypted command room the SDK decrypts each event during sync, and a
//! command also has to come from a device its clerk trusts ([`ClerkDevices`]): cross-signed by
//! the clerk's own identity, or in the stricter mode, with that identity verified by the bot.
//! Plain-text messages in an encrypted room are refused, since they carry no device. A command
//! whose room key has not arrived yet is kept and tried again after every sync (a key arriving
//! wakes the sync); if none arrives within `decrypt_wait` the clerk is told to resend it.
//! The event id is the entry's source, so a command decrypted twice is still recorded once. Edits of command messages (`m.replace`) are not executed: the clerk is told to use
//! `!fix <n>` instead, so what residents saw and what the archive holds never drift apart.
//!
//! In target rooms, residents' `!now`, `!agenda` and `!consultations` get an `m.notice` reply
//! (`m.in_reply_to` the question, `m.mentions: {}`) when [`Residents`] allows it; everything
//! else there is ignored, clerks' commands included. Only events sent after Gavel started are
//! considered, so questions read on the first sync after a restart are not answered. Answers
//! have their own send queue, so a slow target room never delays a clerk's reply.
//!
//! The sync token is stored after each batch is handled; on a first start the initial sync's
//! history is skipped, so old commands are never executed. Homeserver outages are retried with
//! capped backoff: this task only ends when Gavel shuts down.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use matrix_sdk::Client;
use matrix_sdk::config::SyncSettings;
use matrix_sdk::deserialized_responses::{
    DeviceLinkProblem, EncryptionInfo, TimelineEvent as SdkEvent, VerificationLevel,
    VerificationState,
};
use matrix_sdk::room::MessagesOptions;
use matrix_sdk::ruma::api::client::filter::FilterDefinition;
use matrix_sdk::ruma::api::client::membership::leave_room;
use matrix_sdk::ruma::api::client::sync::sync_events;
use matrix_sdk::ruma::api::error::{ErrorKind, RetryAfter};
use matrix_sdk::ruma::events::room::encrypted::OriginalSyncRoomEncryptedEvent;
use matrix_sdk::ruma::serde::Raw;
use matrix_sdk::ruma::{OwnedRoomId, OwnedRoomOrAliasId, OwnedTransactionId, TransactionId, UInt};
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::config::{ClerkDevices, MatrixRoomRef};
use super::sink::{is_encrypted, join, parse_room, send_message};
use super::{MatrixPlatform, render};
use crate::desk::{ClerkInput, Desk, Reply};
use crate::domain::{Author, SourceRef};
use crate::outbox::{Outbox, OutboxEvent};
use crate::receipts::{Receipts, clerk_notice};
use crate::residents::{Asked, Residents};
use crate::tr;

/// How long one `/sync` long-poll waits on the server.
const SYNC_TIMEOUT: Duration = Duration::from_secs(30);
/// The most a failed sync or notice waits before trying again.
const BACKOFF_CAP: Duration = Duration::from_secs(10);
/// How often rooms that could not be joined are tried again.
const REJOIN_EVERY: Duration = Duration::from_secs(30);

/// A message for a room. The transaction id is fixed when it is queued, so a retry after a
/// lost response cannot post it twice.
struct Notice {
    room: OwnedRoomId,
    text: String,
    txn: OwnedTransactionId,
    /// The event this answers, shown as a reply (residents' questions).
    reply_to: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Command,
    Target,
}

/// The parts of a timeline event the input reads.
#[derive(Deserialize)]
struct RoomEvent {
    #[serde(rename = "type")]
    kind: String,
    sender: String,
    event_id: String,
    #[serde(default)]
    content: Value,
    /// When the sender's homeserver received it (ms since the Unix epoch).
    #[serde(default)]
    origin_server_ts: i64,
}

/// An encrypted command whose room key has not arrived yet.
struct Undecrypted {
    room: OwnedRoomId,
    event: Raw<OriginalSyncRoomEncryptedEvent>,
    event_id: String,
    /// When the clerk sent it.
    sent: Option<chrono::DateTime<chrono::Utc>>,
    /// When Gavel first saw it.
    seen: chrono::DateTime<chrono::Utc>,
}

impl Undecrypted {
    fn waited(&self) -> Duration {
        (chrono::Utc::now() - self.seen)
            .to_std()
            .unwrap_or_default()
    }

    fn stored(&self) -> super::StoredUndecrypted {
        super::StoredUndecrypted {
            room_id: self.room.to_string(),
            event: self.event.json().to_owned(),
            first_seen_ms: self.seen.timestamp_millis(),
        }
    }

    /// One kept in the session file by an earlier run.
    fn from_stored(s: &super::StoredUndecrypted) -> Option<Undecrypted> {
        #[derive(Deserialize)]
        struct Head {
            event_id: String,
            #[serde(default)]
            origin_server_ts: i64,
        }
        let head: Head = serde_json::from_str(s.event.get()).ok()?;
        Some(Undecrypted {
            room: OwnedRoomId::try_from(s.room_id.as_str()).ok()?,
            event: Raw::from_json(s.event.clone()),
            event_id: head.event_id,
            sent: chrono::DateTime::from_timestamp_millis(head.origin_server_ts),
            seen: chrono::DateTime::from_timestamp_millis(s.first_seen_ms)?,
        })
    }
}

struct Input {
    client: Client,
    clerk_devices: ClerkDevices,
    decrypt_wait: Duration,
    /// Clerks' encrypted commands waiting for their keys, oldest first.
    undecrypted: Vec<Undecrypted>,
    platform_user: String,
    clerks: Vec<String>,
    prefix: String,
    desk: Arc<Desk>,
    notices: mpsc::UnboundedSender<Notice>,
    /// Answers to residents' questions, sent by a task of their own.
    answers: mpsc::UnboundedSender<Notice>,
    residents: Option<Arc<Residents>>,
    /// Joined command rooms, each with its own receipts.
    command_rooms: BTreeMap<OwnedRoomId, (MatrixRoomRef, Receipts)>,
    /// Every joined configured room (command rooms and targets).
    joined: HashMap<OwnedRoomId, MatrixRoomRef>,
    /// Configured rooms not joined yet.
    pending: Vec<(MatrixRoomRef, Role)>,
    /// Rooms joined by this process and not yet seen in a sync: their timeline may start with
    /// history from before the bot joined, which must not be executed.
    fresh: HashSet<OwnedRoomId>,
    last_join_attempt: tokio::time::Instant,
}

impl Input {
    fn notice(&self, room: &OwnedRoomId, text: impl Into<String>) {
        let _ = self.notices.send(Notice {
            room: room.clone(),
            text: text.into(),
            txn: TransactionId::new(),
            reply_to: None,
        });
    }

    fn notice_all(&self, text: &str) {
        for room in self.command_rooms.keys() {
            self.notice(room, text);
        }
    }

    /// Tries to join every pending room; reports rooms that cannot be joined.
    async fn join_pending(&mut self, report: bool) {
        self.last_join_attempt = tokio::time::Instant::now();
        let pending = std::mem::take(&mut self.pending);
        let language = self.desk.settings().language;
        let mut problems = Vec::new();
        // Joining updates the SDK's store, so what was joined before is read first.
        let was_joined: HashSet<OwnedRoomId> = self
            .client
            .joined_rooms()
            .iter()
            .map(|r| r.room_id().to_owned())
            .collect();
        for (room, role) in pending {
            let Some(target) = parse_room(&room) else {
                tracing::error!(room = %room, "configured Matrix room is not a room id or alias");
                continue;
            };
            match join(&self.client, &target).await {
                Ok(joined) => {
                    let room_id = joined.room_id().to_owned();
                    tracing::info!(room = %room, room_id = %room_id, "joined Matrix room");
                    match is_encrypted(&joined).await {
                        Ok(true) => {
                            tracing::info!(room = %room, "room is end-to-end encrypted; Gavel reads and posts there encrypted")
                        }
                        Ok(false) => {}
                        Err(e) => {
                            tracing::warn!(room = %room, error = %e, "could not check the room's encryption")
                        }
                    }
                    if role == Role::Command {
                        let receipts = Receipts::new(
                            Arc::clone(self.desk.archive()),
                            self.desk.settings().language,
                        );
                        self.command_rooms
                            .insert(room_id.clone(), (room.clone(), receipts));
                    }
                    if !was_joined.contains(&room_id) {
                        self.fresh.insert(room_id.clone());
                    }
                    self.joined.insert(room_id, room);
                }
                Err(e) => {
                    let unreachable = matches!(&e, matrix_sdk::Error::Http(h) if h.as_client_api_error().is_none());
                    if unreachable {
                        tracing::warn!(room = %room, "homeserver unreachable; will join the room later");
                    } else {
                        tracing::error!(room = %room, error = %e, "cannot join a configured Matrix room; an operator must invite the bot or fix the config");
                        let error = e.to_string();
                        problems.push(language.each("\n", |l| {
                            tr!(
                                l,
                                "matrix-cannot-join",
                                room = room.to_string(),
                                error = &error
                            )
                        }));
                    }
                    self.pending.push((room, role));
                }
            }
        }
        if report {
            for p in problems {
                self.notice_all(&p);
            }
        }
    }

    /// Handles one sync batch: invites first, then the command and target rooms' timelines in
    /// order.
    async fn handle(&mut self, resp: &matrix_sdk::sync::SyncResponse, execute: bool) {
        for room_id in resp.rooms.invited.keys() {
            let configured = self.joined.contains_key(room_id)
                || self.pending.iter().any(|(r, _)| r.0 == room_id.as_str());
            if configured {
                tracing::info!(room_id = %room_id, "invited to a configured room; joining");
                self.pending.retain(|(r, _)| r.0 != room_id.as_str());
                if let Ok(id) = OwnedRoomOrAliasId::try_from(room_id.as_str())
                    && let Err(e) = join(&self.client, &id).await
                {
                    tracing::warn!(room_id = %room_id, error = %e, "could not accept the invite");
                }
            } else {
                tracing::info!(room_id = %room_id, "declining an invite to a room that is not in the config");
                if let Err(e) = self
                    .client
                    .send(leave_room::v3::Request::new(room_id.clone()))
                    .await
                {
                    tracing::warn!(room_id = %room_id, error = %e, "could not decline the invite");
                }
            }
        }
        if !execute {
            return;
        }
        for (room_id, update) in &resp.rooms.joined {
            let role = if self.command_rooms.contains_key(room_id) {
                Role::Command
            } else if self.joined.contains_key(room_id) {
                Role::Target
            } else {
                continue;
            };
            let fresh = self.fresh.remove(room_id);
            let events = &update.timeline.events;
            // In a newly joined room, only what follows the bot's own join is new.
            let start = if fresh {
                events
                    .iter()
                    .position(|ev| self.is_own_join(ev))
                    .map_or(0, |i| i + 1)
            } else {
                0
            };
            if role == Role::Target {
                for ev in &events[start..] {
                    if let Ok(e) = serde_json::from_str::<RoomEvent>(ev.raw().json().get()) {
                        self.on_question(room_id, e).await;
                    }
                }
                continue;
            }
            if update.timeline.limited && !fresh {
                tracing::warn!(room_id = %room_id, "sync gap: some messages in the command room were not fetched");
                let text = self
                    .desk
                    .settings()
                    .language
                    .each("\n", |l| tr!(l, "matrix-sync-gap"));
                self.notice(room_id, text);
            }
            for ev in &events[start..] {
                self.on_command_room_event(room_id, ev).await;
            }
        }
    }

    /// Handles, as new, each command room's events from `from` (the sync position the last
    /// instance reading the input stored) up to `to` (this instance's first sync, whose events
    /// were skipped as history): the commands sent while no instance read. Read with
    /// `/messages` rather than a second sync, which would end where the first did (the SDK
    /// drops a sync response that ends at its stored position) and would acknowledge this
    /// device's to-device messages (room keys) up to `from` unread.
    async fn catch_up(&mut self, from: &str, to: &str) {
        tracing::info!("reading the commands sent since the last instance reading Matrix stopped");
        let rooms: Vec<OwnedRoomId> = self.command_rooms.keys().cloned().collect();
        for room_id in rooms {
            let Some(room) = self.client.get_room(&room_id) else {
                continue;
            };
            let mut next = from.to_string();
            for _ in 0..CATCH_UP_PAGES {
                let mut options = MessagesOptions::forward().from(next.as_str());
                options.to = Some(to.to_string());
                options.limit = UInt::from(100u32);
                let page = match room.messages(options).await {
                    Ok(page) => page,
                    Err(e) => {
                        tracing::warn!(room_id = %room_id, error = %e, "cannot read the commands sent while no instance read Matrix; some may be missed");
                        break;
                    }
                };
                for ev in &page.chunk {
                    self.on_command_room_event(&room_id, ev).await;
                }
                match page.end {
                    Some(end) if !page.chunk.is_empty() => next = end,
                    _ => break,
                }
            }
        }
    }

    /// A command room's event as the sync delivered it: decrypted, plain, or waiting for a key.
    async fn on_command_room_event(&mut self, room_id: &OwnedRoomId, ev: &SdkEvent) {
        let parsed = match serde_json::from_str::<RoomEvent>(ev.raw().json().get()) {
            Ok(e) => e,
            Err(e) => {
                tracing::debug!(room_id = %room_id, error = %e, "skipping an event without the usual fields");
                return;
            }
        };
        if ev.kind.is_utd() {
            if self.clerks.contains(&parsed.sender) {
                tracing::info!(room_id = %room_id, event_id = %parsed.event_id, sender = %parsed.sender, "a clerk's encrypted message cannot be decrypted yet; waiting for its key");
                self.undecrypted.push(Undecrypted {
                    room: room_id.clone(),
                    event: Raw::from_json(ev.raw().json().to_owned()),
                    event_id: parsed.event_id,
                    sent: chrono::DateTime::from_timestamp_millis(parsed.origin_server_ts),
                    seen: chrono::Utc::now(),
                });
            }
            return;
        }
        let encryption = ev.encryption_info().cloned();
        self.on_event(room_id, parsed, encryption.as_deref()).await;
    }

    /// Tries the waiting commands again (their keys may have come with the last sync), and
    /// tells the clerk about those whose key never came.
    async fn retry_undecrypted(&mut self) {
        if self.undecrypted.is_empty() {
            return;
        }
        let waiting = std::mem::take(&mut self.undecrypted);
        for u in waiting {
            let Some(room) = self.client.get_room(&u.room) else {
                continue;
            };
            match room.decrypt_event(&u.event, None).await {
                Ok(ev) if !ev.kind.is_utd() => {
                    tracing::info!(room_id = %u.room, event_id = %u.event_id, "decrypted a clerk's command after its key arrived");
                    self.on_command_room_event(&u.room, &ev).await;
                }
                result => {
                    if let Err(e) = result {
                        tracing::warn!(room_id = %u.room, event_id = %u.event_id, error = %e, "decrypting a waiting command failed");
                    }
                    if u.waited() < self.decrypt_wait {
                        self.undecrypted.push(u);
                        continue;
                    }
                    tracing::warn!(room_id = %u.room, event_id = %u.event_id, "a clerk's encrypted command never became readable; the clerk is told to resend it");
                    let settings = self.desk.settings();
                    let time = u
                        .sent
                        .map(|t| {
                            t.with_timezone(&settings.timezone)
                                .format("%H:%M:%S")
                                .to_string()
                        })
                        .unwrap_or_else(|| "?".into());
                    let seconds = self.decrypt_wait.as_secs();
                    let text = settings.language.each("\n", |l| {
                        tr!(l, "matrix-undecryptable", time = &time, seconds = seconds)
                    });
                    self.notice(&u.room, text);
                }
            }
        }
    }

    /// Whether a clerk's command came from a device the clerk trusts: the refusal if not.
    /// Plain events (`encryption` is `None`) pass only in rooms that are not encrypted.
    ///
    /// The SDK judges the device when it decrypts, from the keys it has fetched so far; a
    /// clerk who has just verified a new session may be ahead of that. So a device that looks
    /// unsigned or unknown is looked up afresh before the command is refused.
    async fn untrusted(
        &self,
        room_id: &OwnedRoomId,
        encryption: Option<&EncryptionInfo>,
    ) -> Option<Refusal> {
        let Some(info) = encryption else {
            let encrypted_room = self
                .client
                .get_room(room_id)
                .is_some_and(|r| r.encryption_state().is_encrypted());
            return encrypted_room.then_some(Refusal::PlainTextInEncryptedRoom);
        };
        let refusal = device_refusal(self.clerk_devices, &info.verification_state)?;
        let recheck = matches!(
            info.verification_state,
            VerificationState::Unverified(
                VerificationLevel::UnsignedDevice
                    | VerificationLevel::UnverifiedIdentity
                    | VerificationLevel::None(DeviceLinkProblem::MissingDevice)
            )
        );
        let Some(device_id) = info.sender_device.as_ref().filter(|_| recheck) else {
            return Some(refusal);
        };
        let enc = self.client.encryption();
        if let Err(e) = enc.request_user_identity(&info.sender).await {
            tracing::warn!(user = %info.sender, error = %e, "cannot refresh a clerk's keys");
            return Some(refusal);
        }
        match enc.get_device(&info.sender, device_id).await {
            Ok(Some(device)) => {
                let trusted = match self.clerk_devices {
                    ClerkDevices::CrossSigned => device.is_cross_signed_by_owner(),
                    ClerkDevices::Verified => device.is_verified_with_cross_signing(),
                };
                (!trusted).then_some(refusal)
            }
            _ => Some(refusal),
        }
    }

    fn is_own_join(&self, ev: &SdkEvent) -> bool {
        serde_json::from_str::<RoomEvent>(ev.raw().json().get()).is_ok_and(|e| {
            e.kind == "m.room.member"
                && e.sender == self.platform_user
                && e.content["membership"] == "join"
        })
    }

    async fn on_event(
        &mut self,
        room_id: &OwnedRoomId,
        ev: RoomEvent,
        encryption: Option<&EncryptionInfo>,
    ) {
        if ev.sender == self.platform_user {
            return;
        }
        let is_clerk = self.clerks.contains(&ev.sender);
        if ev.kind != "m.room.message" || ev.content["msgtype"] == "m.notice" {
            return;
        }
        let body = ev.content["body"].as_str().unwrap_or_default();
        let is_edit = ev.content["m.relates_to"]["rel_type"] == "m.replace";
        let looks_like_command = |s: &str| s.trim_start().starts_with(&self.prefix);
        let new_body = ev.content["m.new_content"]["body"].as_str().unwrap_or(body);
        if !is_clerk {
            if looks_like_command(body) {
                tracing::info!(sender = %ev.sender, room_id = %room_id, event_id = %ev.event_id, "ignored a command from someone who is not on the clerk list");
            }
            return;
        }
        if !looks_like_command(new_body) {
            return;
        }
        if let Some(refusal) = self.untrusted(room_id, encryption).await {
            let device = encryption
                .and_then(|i| i.sender_device.as_ref())
                .map(|d| d.to_string())
                .unwrap_or_else(|| "?".into());
            tracing::warn!(sender = %ev.sender, device = %device, room_id = %room_id, event_id = %ev.event_id, reason = ?refusal, "refused a clerk's command from an untrusted device");
            let text = self
                .desk
                .settings()
                .language
                .each("\n", |l| refusal.text(l, &device, &ev.sender));
            self.notice(room_id, text);
            return;
        }
        if is_edit {
            if looks_like_command(new_body) {
                let p = &self.prefix;
                let text = self
                    .desk
                    .settings()
                    .language
                    .each("\n", |l| tr!(l, "matrix-edits-not-applied", prefix = p));
                self.notice(room_id, text);
            }
            return;
        }
        let input = ClerkInput {
            author: Author::new("matrix", ev.sender.clone(), ev.sender.clone()),
            text: body.to_string(),
            source: Some(SourceRef {
                platform: "matrix".into(),
                message_id: ev.event_id.clone(),
            }),
        };
        let reply = self.desk.submit(input).await;
        if let Reply::Recorded {
            entry, deliveries, ..
        } = &reply
            && *deliveries > 0
            && let Some((_, receipts)) = self.command_rooms.get_mut(room_id)
        {
            receipts.track(entry);
        }
        if let Some(text) = reply.to_clerk(self.desk.settings().language) {
            self.notice(room_id, text);
        }
    }

    /// An event in a target room: answered only if it is a resident's question that the limits
    /// allow. Edits are not new questions; notices are bots talking.
    async fn on_question(&self, room_id: &OwnedRoomId, ev: RoomEvent) {
        let Some(residents) = &self.residents else {
            return;
        };
        if ev.sender == self.platform_user
            || ev.kind != "m.room.message"
            || ev.content["msgtype"] == "m.notice"
            || ev.content["m.relates_to"]["rel_type"] == "m.replace"
        {
            return;
        }
        let Some(sent) = chrono::DateTime::from_timestamp_millis(ev.origin_server_ts) else {
            return;
        };
        let asked = Asked {
            platform: "matrix",
            room: room_id.as_str(),
            user: &ev.sender,
            text: ev.content["body"].as_str().unwrap_or_default(),
            sent,
        };
        if let Some(text) = residents.answer(&asked, chrono::Utc::now()).await {
            let _ = self.answers.send(Notice {
                room: room_id.clone(),
                text,
                txn: TransactionId::new(),
                reply_to: Some(ev.event_id),
            });
        }
    }

    fn on_outbox_event(&mut self, ev: &OutboxEvent) {
        let mut receipts = Vec::new();
        for (room_id, (_, r)) in self.command_rooms.iter_mut() {
            if let Some(line) = r.on_event(ev) {
                receipts.push((room_id.clone(), line));
            }
        }
        for (room, line) in receipts {
            self.notice(&room, line);
        }
        if let Some(n) = clerk_notice(ev, self.desk.settings().language) {
            self.notice_all(&n);
        }
    }
}

/// Why a clerk's command was not taken from the device that sent it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    /// The device is not cross-signed by the clerk's identity.
    NotCrossSigned,
    /// `verified` mode: the bot has not verified the clerk's identity.
    IdentityNotVerified,
    /// The clerk's identity changed after the bot verified it.
    IdentityChanged,
    /// The device could not be identified (deleted, or the key came from an untrusted source),
    /// or the event's sender is not the device's owner.
    UnknownDevice,
    /// A plain event in an encrypted room carries no device at all.
    PlainTextInEncryptedRoom,
}

impl Refusal {
    fn text(self, l: crate::i18n::Lang, device: &str, user: &str) -> String {
        match self {
            Refusal::NotCrossSigned => tr!(l, "matrix-device-not-cross-signed", device = device),
            Refusal::IdentityNotVerified => {
                tr!(l, "matrix-device-identity-not-verified", user = user)
            }
            Refusal::IdentityChanged => tr!(l, "matrix-device-identity-changed"),
            Refusal::UnknownDevice => tr!(l, "matrix-device-unknown"),
            Refusal::PlainTextInEncryptedRoom => tr!(l, "matrix-plaintext-in-encrypted-room"),
        }
    }
}

/// The trust rule for a decrypted command: `None` when the sending device is good enough for
/// `mode`, as the SDK judged it when it decrypted the event.
fn device_refusal(mode: ClerkDevices, state: &VerificationState) -> Option<Refusal> {
    match state {
        VerificationState::Verified => None,
        VerificationState::Unverified(level) => match level {
            VerificationLevel::UnverifiedIdentity => {
                (mode == ClerkDevices::Verified).then_some(Refusal::IdentityNotVerified)
            }
            VerificationLevel::UnsignedDevice => Some(Refusal::NotCrossSigned),
            VerificationLevel::VerificationViolation => Some(Refusal::IdentityChanged),
            VerificationLevel::None(_) | VerificationLevel::MismatchedSender => {
                Some(Refusal::UnknownDevice)
            }
        },
    }
}

fn sync_settings(token: Option<String>, timeout: Duration) -> SyncSettings {
    let mut def = FilterDefinition::default();
    // Enough history per batch that a short disconnection loses no command.
    def.room.timeline.limit = Some(UInt::from(100u32));
    let mut s = SyncSettings::default()
        .filter(sync_events::v3::Filter::FilterDefinition(def))
        .timeout(timeout);
    if let Some(t) = token {
        s = s.token(t);
    }
    s
}

pub(super) async fn run(
    platform: MatrixPlatform,
    desk: Arc<Desk>,
    outbox: Arc<Outbox>,
    residents: Option<Arc<Residents>>,
    stop: CancellationToken,
) -> anyhow::Result<()> {
    let client = platform.client.clone();
    let (tx, rx) = mpsc::unbounded_channel();
    let notifier = tokio::spawn(deliver_notices(client.clone(), rx, stop.clone()));
    let (answers, answers_rx) = mpsc::unbounded_channel();
    let answerer = tokio::spawn(deliver_notices(client.clone(), answers_rx, stop.clone()));
    let mut pending: Vec<(MatrixRoomRef, Role)> = platform
        .settings
        .command_rooms
        .iter()
        .map(|r| (r.clone(), Role::Command))
        .collect();
    for t in &platform.settings.targets {
        if !pending.iter().any(|(r, _)| r == t) {
            pending.push((t.clone(), Role::Target));
        }
    }
    let mut input = Input {
        client: client.clone(),
        clerk_devices: platform.settings.clerk_devices,
        decrypt_wait: platform.settings.decrypt_wait,
        undecrypted: platform
            .session
            .undecrypted()
            .iter()
            .filter_map(Undecrypted::from_stored)
            .collect(),
        platform_user: platform.user_id.to_string(),
        clerks: platform.settings.clerks.clone(),
        prefix: desk.settings().prefix.clone(),
        desk,
        notices: tx,
        answers,
        residents,
        command_rooms: BTreeMap::new(),
        joined: HashMap::new(),
        pending,
        fresh: HashSet::new(),
        last_join_attempt: tokio::time::Instant::now(),
    };
    let mut events = outbox.subscribe();
    let mut first_success = true;
    let mut token = platform.session.sync_token();
    // An instance taking the input over that never read it itself: its first sync (no token)
    // skips history, so it then reads what came after the position the last reader stored.
    let mut catch_up = match (&token, &platform.shared) {
        (None, Some(shared)) => shared.load(),
        _ => None,
    };
    let mut backoff = Duration::from_millis(500);
    let mut joined_once = false;
    let mut sync = Box::pin(sync_then(
        client.clone(),
        token.clone(),
        Duration::ZERO,
        Duration::ZERO,
    ));
    let mut waiting_keys = tokio::time::interval(Duration::from_secs(1));
    let mut cross_signed = false;
    loop {
        tokio::select! {
            _ = stop.cancelled() => break,
            _ = waiting_keys.tick(), if !input.undecrypted.is_empty() => input.retry_undecrypted().await,
            ev = events.recv() => match ev {
                Ok(ev) => input.on_outbox_event(&ev),
                Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => tracing::warn!(missed = n, "clerk notices lagged"),
                Err(tokio::sync::broadcast::error::RecvError::Closed) => {}
            },
            r = &mut sync => {
                match r {
                    Ok(resp) => {
                        backoff = Duration::from_millis(500);
                        if !joined_once {
                            // Joined once the homeserver answers, so room problems can be
                            // reported to the command rooms that did join.
                            input.join_pending(true).await;
                            joined_once = true;
                        }
                        let execute = token.is_some();
                        if !execute {
                            tracing::info!("first Matrix sync: earlier room history is skipped, not executed");
                        }
                        input.handle(&resp, execute).await;
                        input.retry_undecrypted().await;
                        if !cross_signed {
                            // The device keys went up with this sync; sign them if needed.
                            cross_signed = super::crypto::ensure_cross_signed(&client, &platform.settings).await;
                        }
                        if let Some(position) = catch_up.take() {
                            // Before either position is stored: a crash meanwhile catches up again.
                            input.catch_up(&position, &resp.next_batch).await;
                        }
                        let waiting = input.undecrypted.iter().map(Undecrypted::stored).collect();
                        if let Err(e) = platform.session.set_position(&resp.next_batch, waiting) {
                            tracing::error!(error = %e, "cannot store the Matrix sync token; a restart may re-read recent commands (they are deduplicated)");
                        }
                        if let Some(shared) = &platform.shared {
                            shared.save(&resp.next_batch);
                        }
                        token = Some(resp.next_batch.clone());
                        if first_success {
                            first_success = false;
                            let n = input.clerks.len();
                            let m = platform.settings.targets.len();
                            let text = input.desk.settings().language.each("\n", |l| {
                                tr!(l, "matrix-listening", clerks = n, rooms = m)
                            });
                            input.notice_all(&text);
                        } else if !input.pending.is_empty() && input.last_join_attempt.elapsed() >= REJOIN_EVERY {
                            input.join_pending(false).await;
                        }
                        sync = Box::pin(sync_then(client.clone(), token.clone(), SYNC_TIMEOUT, Duration::ZERO));
                    }
                    Err(e) => {
                        let error = match &e {
                            matrix_sdk::Error::Http(h) => super::sink::short(h),
                            other => other.to_string(),
                        };
                        tracing::warn!(error = %error, retry_in_ms = backoff.as_millis() as u64, "Matrix sync failed; retrying");
                        sync = Box::pin(sync_then(client.clone(), token.clone(), SYNC_TIMEOUT, backoff));
                        backoff = (backoff * 2).min(BACKOFF_CAP);
                    }
                }
            }
        }
    }
    notifier.abort();
    answerer.abort();
    Ok(())
}

/// The input's sync position among the archive's positions.
pub(super) const SYNC_POSITION: &str = "matrix:sync";

/// At most this many pages of 100 events per command room are read when catching up.
const CATCH_UP_PAGES: usize = 10;

/// Waits `delay`, then runs one sync. A first sync (no token) does not long-poll.
async fn sync_then(
    client: Client,
    token: Option<String>,
    timeout: Duration,
    delay: Duration,
) -> Result<matrix_sdk::sync::SyncResponse, matrix_sdk::Error> {
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let timeout = if token.is_some() {
        timeout
    } else {
        Duration::ZERO
    };
    client.sync_once(sync_settings(token, timeout)).await
}

/// Sends notices in order, retrying each until it is delivered (or refused for good).
async fn deliver_notices(
    client: Client,
    mut rx: mpsc::UnboundedReceiver<Notice>,
    stop: CancellationToken,
) {
    while let Some(n) = rx.recv().await {
        let mut backoff = Duration::from_millis(500);
        loop {
            let content = match &n.reply_to {
                Some(event) => render::reply_notice(&n.text, event),
                None => render::notice(&n.text),
            };
            let room = match client.get_room(&n.room) {
                Some(room) => room,
                None => match OwnedRoomOrAliasId::try_from(n.room.as_str()) {
                    Ok(id) => match join(&client, &id).await {
                        Ok(room) => room,
                        Err(e) => {
                            tracing::warn!(room_id = %n.room, error = %e, "cannot join the room for a clerk notice; retrying");
                            tokio::select! {
                                _ = tokio::time::sleep(backoff) => {}
                                _ = stop.cancelled() => return,
                            }
                            backoff = (backoff * 2).min(BACKOFF_CAP);
                            continue;
                        }
                    },
                    Err(_) => break,
                },
            };
            let wait = match send_message(&room, &n.txn, &content).await {
                Ok(_) => break,
                Err(e) => match e.client_api_error_kind() {
                    Some(ErrorKind::LimitExceeded(d)) => match d.retry_after {
                        Some(RetryAfter::Delay(d)) => d,
                        _ => backoff,
                    },
                    Some(_) => {
                        tracing::warn!(room_id = %n.room, error = %e, "a clerk notice was refused; dropping it");
                        break;
                    }
                    None if e.as_client_api_error().is_some() => {
                        let status = e
                            .as_client_api_error()
                            .map(|a| a.status_code.as_u16())
                            .unwrap_or(0);
                        if status < 500 {
                            tracing::warn!(room_id = %n.room, error = %e, "a clerk notice was refused; dropping it");
                            break;
                        }
                        backoff
                    }
                    None => backoff,
                },
            };
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = stop.cancelled() => return,
            }
            backoff = (backoff * 2).min(BACKOFF_CAP);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unverified(level: VerificationLevel) -> VerificationState {
        VerificationState::Unverified(level)
    }

    #[test]
    fn a_cross_signed_device_commands_and_an_unsigned_one_does_not() {
        let mode = ClerkDevices::CrossSigned;
        assert_eq!(device_refusal(mode, &VerificationState::Verified), None);
        assert_eq!(
            device_refusal(mode, &unverified(VerificationLevel::UnverifiedIdentity)),
            None
        );
        assert_eq!(
            device_refusal(mode, &unverified(VerificationLevel::UnsignedDevice)),
            Some(Refusal::NotCrossSigned)
        );
        assert_eq!(
            device_refusal(mode, &unverified(VerificationLevel::VerificationViolation)),
            Some(Refusal::IdentityChanged)
        );
        assert_eq!(
            device_refusal(mode, &unverified(VerificationLevel::MismatchedSender)),
            Some(Refusal::UnknownDevice)
        );
        assert_eq!(
            device_refusal(
                mode,
                &unverified(VerificationLevel::None(DeviceLinkProblem::InsecureSource))
            ),
            Some(Refusal::UnknownDevice)
        );
    }

    #[test]
    fn a_waiting_command_survives_the_session_file_with_its_age() {
        let event = serde_json::json!({
            "type": "m.room.encrypted", "event_id": "$abc", "sender": "@clerk:x",
            "origin_server_ts": 1_700_000_000_000i64,
            "content": {"algorithm": "m.megolm.v1.aes-sha2", "ciphertext": "AwgA",
                        "sender_key": "k", "session_id": "s", "device_id": "D"}
        });
        let seen = chrono::Utc::now() - chrono::Duration::seconds(30);
        let u = Undecrypted {
            room: OwnedRoomId::try_from("!room:x").unwrap(),
            event: Raw::from_json(serde_json::value::to_raw_value(&event).unwrap()),
            event_id: "$abc".into(),
            sent: chrono::DateTime::from_timestamp_millis(1_700_000_000_000),
            seen,
        };
        let text = serde_json::to_string(&u.stored()).unwrap();
        let back: super::super::StoredUndecrypted = serde_json::from_str(&text).unwrap();
        let again = Undecrypted::from_stored(&back).expect("restored");
        assert_eq!(again.event_id, "$abc");
        assert_eq!(again.room.as_str(), "!room:x");
        assert_eq!(again.sent, u.sent);
        assert!(
            again.waited() >= Duration::from_secs(29),
            "{:?}",
            again.waited()
        );
        assert_eq!(again.event.json().get(), u.event.json().get());
    }

    #[test]
    fn verified_mode_also_needs_the_bot_to_have_verified_the_clerk() {
        let mode = ClerkDevices::Verified;
        assert_eq!(device_refusal(mode, &VerificationState::Verified), None);
        assert_eq!(
            device_refusal(mode, &unverified(VerificationLevel::UnverifiedIdentity)),
            Some(Refusal::IdentityNotVerified)
        );
        assert_eq!(
            device_refusal(mode, &unverified(VerificationLevel::UnsignedDevice)),
            Some(Refusal::NotCrossSigned)
        );
    }

    #[test]
    fn every_refusal_tells_the_clerk_that_nothing_was_recorded_in_both_languages() {
        use crate::i18n::Lang;
        for r in [
            Refusal::NotCrossSigned,
            Refusal::IdentityNotVerified,
            Refusal::IdentityChanged,
            Refusal::UnknownDevice,
            Refusal::PlainTextInEncryptedRoom,
        ] {
            let en = r.text(Lang::En, "ABCDEF", "@clerk:example.org");
            assert!(en.contains("Nothing was recorded"), "{r:?}: {en}");
            let cy = r.text(Lang::Cy, "ABCDEF", "@clerk:example.org");
            assert!(cy.contains("Ni chofnodwyd dim"), "{r:?}: {cy}");
        }
        assert!(
            Refusal::NotCrossSigned
                .text(Lang::En, "ABCDEF", "@c:x")
                .contains("ABCDEF")
        );
        assert!(
            Refusal::IdentityNotVerified
                .text(Lang::En, "D", "@clerk:example.org")
                .contains("gavel matrix verify @clerk:example.org")
        );
    }
}
