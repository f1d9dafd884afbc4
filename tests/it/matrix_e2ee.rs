//! Matrix end-to-end encryption, against the real Synapse the Matrix tests share, driving the
//! real `gavel` binary. The clerk and the resident are matrix-sdk clients with their own
//! in-memory stores, keys and cross-signing, as Element would be: the clerk cross-signs their
//! device, creates an encrypted command room and encrypted target rooms and invites the bot;
//! the resident reads the bot's encrypted notices. Nothing here uses Gavel's own code.

use std::time::Duration;

use matrix_sdk::config::SyncSettings;
use matrix_sdk::room::MessagesOptions;
use matrix_sdk::ruma::api::client::room::create_room::v3::{Request as CreateRoom, RoomPreset};
use matrix_sdk::ruma::api::client::uiaa;
use matrix_sdk::ruma::events::room::message::RoomMessageEventContent;
use matrix_sdk::ruma::{OwnedRoomId, OwnedUserId, UInt};
use matrix_sdk::{Client, Room};
use serde_json::Value;

use crate::helpers::{GavelProcess, TestDir};
use crate::matrix::{register_world, shared, synapse_installed, untimed};
use crate::synapse::{PASS, Synapse};

/// A matrix-sdk user with its own device, syncing in the background (room keys arrive as
/// to-device messages during sync).
struct Person {
    client: Client,
    sync: tokio::task::JoinHandle<()>,
}

impl Person {
    async fn login(url: &str, user: &str, cross_sign: bool) -> Person {
        let client = Client::builder()
            .homeserver_url(url)
            .build()
            .await
            .expect("sdk client");
        client
            .matrix_auth()
            .login_username(user, PASS)
            .initial_device_display_name("test client")
            .send()
            .await
            .expect("login");
        client
            .sync_once(SyncSettings::default().timeout(Duration::ZERO))
            .await
            .expect("first sync");
        if cross_sign {
            let enc = client.encryption();
            if let Err(e) = enc.bootstrap_cross_signing_if_needed(None).await {
                let info = e.as_uiaa_response().expect("UIA for cross-signing");
                let mut auth = uiaa::Password::new(
                    uiaa::UserIdentifier::Matrix(uiaa::MatrixUserIdentifier::new(user.to_string())),
                    PASS.to_string(),
                );
                auth.session = info.session.clone();
                enc.bootstrap_cross_signing(Some(uiaa::AuthData::Password(auth)))
                    .await
                    .expect("cross-signing");
            }
        }
        let c = client.clone();
        let sync = tokio::spawn(async move {
            let _ = c
                .sync(SyncSettings::default().timeout(Duration::from_secs(2)))
                .await;
        });
        Person { client, sync }
    }

    fn user_id(&self) -> OwnedUserId {
        self.client.user_id().expect("logged in").to_owned()
    }

    /// An encrypted private room inviting `invite`.
    async fn create_encrypted_room(&self, name: &str, invite: &[OwnedUserId]) -> OwnedRoomId {
        let mut req = CreateRoom::new();
        req.name = Some(name.to_string());
        req.preset = Some(RoomPreset::PrivateChat);
        req.invite = invite.to_vec();
        let room = self.client.create_room(req).await.expect("create room");
        room.enable_encryption().await.expect("enable encryption");
        room.room_id().to_owned()
    }

    async fn room(&self, id: &OwnedRoomId) -> Room {
        for _ in 0..100 {
            if let Some(r) = self.client.get_room(id) {
                return r;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{id} never appeared in the client's store");
    }

    async fn join(&self, id: &OwnedRoomId) {
        self.client.join_room_by_id(id).await.expect("join");
    }

    async fn say(&self, id: &OwnedRoomId, text: &str) {
        let room = self.room(id).await;
        room.send(RoomMessageEventContent::text_plain(text))
            .await
            .expect("send");
    }

    /// The room's events from `sender`, oldest first, decrypted where this device can: their
    /// JSON (an undecryptable one keeps its `m.room.encrypted` type).
    async fn events_from(&self, id: &OwnedRoomId, sender: &str) -> Vec<Value> {
        let room = self.room(id).await;
        let mut opts = MessagesOptions::backward();
        opts.limit = UInt::from(500u32);
        let Ok(messages) = room.messages(opts).await else {
            return Vec::new();
        };
        let mut out: Vec<Value> = messages
            .chunk
            .iter()
            .filter_map(|ev| serde_json::from_str::<Value>(ev.raw().json().get()).ok())
            .filter(|v| v["sender"] == sender)
            .collect();
        out.reverse();
        out
    }

    /// The bodies of `sender`'s messages that are not edits, oldest first.
    async fn posts_from(&self, id: &OwnedRoomId, sender: &str) -> Vec<String> {
        self.events_from(id, sender)
            .await
            .iter()
            .filter(|v| v["type"] == "m.room.message")
            .filter(|v| v["content"]["m.relates_to"]["rel_type"] != "m.replace")
            .filter_map(|v| v["content"]["body"].as_str().map(str::to_string))
            .collect()
    }

    /// Waits until `sender` has posted `n` messages containing `needle`.
    async fn wait_for(&self, id: &OwnedRoomId, sender: &str, needle: &str, n: usize) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        loop {
            let posts = self.posts_from(id, sender).await;
            if posts.iter().filter(|p| p.contains(needle)).count() >= n {
                return;
            }
            if tokio::time::Instant::now() > deadline {
                panic!("no `{needle}` (x{n}) from {sender} in {id}; saw {posts:#?}");
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }
}

impl Drop for Person {
    fn drop(&mut self) {
        self.sync.abort();
    }
}

/// A clerk and a resident with cross-signed devices, a bot account, an encrypted command room
/// and three encrypted target rooms, and a Gavel config for them.
struct EncryptedWorld {
    clerk: Person,
    resident: Person,
    bot: String,
    command: OwnedRoomId,
    targets: Vec<OwnedRoomId>,
    dir: TestDir,
    synapse: Synapse,
}

impl EncryptedWorld {
    /// `extra` is appended to the `[matrix]` section.
    async fn new(synapse: &Synapse, name: &str, extra: &str) -> EncryptedWorld {
        let bot = register_world(synapse, name).await;
        let clerk = Person::login(&synapse.url, &format!("{name}_clerk"), true).await;
        let resident = Person::login(&synapse.url, &format!("{name}_resident"), true).await;
        let bot_id = OwnedUserId::try_from(bot.as_str()).unwrap();
        let command = clerk
            .create_encrypted_room("Clerks", std::slice::from_ref(&bot_id))
            .await;
        let mut targets = Vec::new();
        for i in 1..=3 {
            let id = clerk
                .create_encrypted_room(
                    &format!("Council live {i}"),
                    &[bot_id.clone(), resident.user_id()],
                )
                .await;
            resident.join(&id).await;
            targets.push(id);
        }
        let dir = TestDir::new();
        dir.write_config(&format!(
            "[matrix]\nhomeserver = \"{}\"\nuser = \"{bot}\"\npassword = \"{PASS}\"\nstore_passphrase = \"a long store passphrase\"\ndecrypt_wait_secs = 5\ncommand_rooms = [\"{command}\"]\nclerks = [\"{}\"]\ntargets = [\"{}\", \"{}\", \"{}\"]\n{extra}\n\n[outbox]\nretry_base_ms = 200\nretry_cap_secs = 2\nreport_after = 2\n",
            synapse.url,
            clerk.user_id(),
            targets[0],
            targets[1],
            targets[2]
        ));
        EncryptedWorld {
            clerk,
            resident,
            bot,
            command,
            targets,
            dir,
            synapse: synapse.clone(),
        }
    }

    /// Starts Gavel and waits for its (encrypted) greeting; `starts` counts earlier starts.
    async fn start_gavel(&self, starts: usize) -> GavelProcess {
        let g = GavelProcess::start(&self.dir, &[]).await;
        self.clerk
            .wait_for(&self.command, &self.bot, "Gavel is listening", starts + 1)
            .await;
        g
    }

    async fn command(&self, text: &str, needle: &str) {
        let before = self
            .clerk
            .posts_from(&self.command, &self.bot)
            .await
            .iter()
            .filter(|p| p.contains(needle))
            .count();
        self.clerk.say(&self.command, text).await;
        self.clerk
            .wait_for(&self.command, &self.bot, needle, before + 1)
            .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_encrypted_command_room_and_encrypted_targets_work_end_to_end() {
    if !synapse_installed() {
        return;
    }
    let (synapse, _) = shared();
    let w = EncryptedWorld::new(synapse, "crypt", "").await;
    let mut gavel = w.start_gavel(0).await;

    // The bot reads the clerk's encrypted commands and answers encrypted.
    w.command("!start Encrypted Council", "#1 recorded").await;
    w.command("!agenda 5 Planning application", "#2 recorded")
        .await;
    w.command("!note Cllr Brown arrived", "#3 recorded").await;
    let raw = w.clerk.events_from(&w.command, &w.bot).await;
    assert!(!raw.is_empty());
    // What the homeserver holds is ciphertext: the clerk's client decrypted it.
    let stored = w.synapse_event_types(&w.command, &w.bot).await;
    assert!(
        stored.iter().all(|t| t == "m.room.encrypted"),
        "the bot posted in the clear: {stored:?}"
    );

    // The resident decrypts the bot's notices in each encrypted target room.
    for room in &w.targets {
        w.resident
            .wait_for(room, &w.bot, "Cllr Brown arrived", 1)
            .await;
        let posts: Vec<String> = w
            .resident
            .posts_from(room, &w.bot)
            .await
            .iter()
            .map(|p| untimed(p))
            .collect();
        assert_eq!(
            posts,
            [
                "#1 · Meeting started: Encrypted Council",
                "#2 · Item 5: Planning application",
                "#3 · Cllr Brown arrived"
            ],
            "{room}"
        );
    }

    // An edit (`m.replace`) and a redaction, both readable by the resident.
    w.command("!fix 3 Cllr Browne arrived", "#4 recorded").await;
    w.command("!strike 2 wrong item", "#5 recorded").await;
    for room in &w.targets {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        loop {
            let events = w.resident.events_from(room, &w.bot).await;
            let edited = events.iter().any(|e| {
                e["content"]["m.relates_to"]["rel_type"] == "m.replace"
                    && e["content"]["m.new_content"]["body"]
                        .as_str()
                        .is_some_and(|b| b.contains("Cllr Browne arrived"))
            });
            // A redacted event loses its content, encrypted or not.
            let redacted = events
                .iter()
                .any(|e| e["unsigned"]["redacted_because"].is_object());
            if edited && redacted {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "edit {edited}, redaction {redacted} in {room}: {events:#?}"
            );
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }

    // A device of the clerk's that the clerk never verified is refused, and nothing recorded.
    let rogue = Person::login(&w.synapse.url, &format!("{}_clerk", "crypt"), false).await;
    rogue
        .say(&w.command, "!note from an unverified device")
        .await;
    w.clerk
        .wait_for(&w.command, &w.bot, "you have not verified", 1)
        .await;
    drop(rogue);
    // A plain-text message in the encrypted room carries no device: refused too.
    w.clerk
        .client
        .send(
            matrix_sdk::ruma::api::client::message::send_message_event::v3::Request::new(
                w.command.clone(),
                matrix_sdk::ruma::TransactionId::new(),
                &RoomMessageEventContent::text_plain("!note in the clear"),
            )
            .unwrap(),
        )
        .await
        .expect("plain send");
    w.clerk
        .wait_for(&w.command, &w.bot, "that message was not", 1)
        .await;

    // A restart keeps the device and its keys: the next command is read as before.
    gavel.kill9();
    gavel.wait(Duration::from_secs(10)).await;
    let mut gavel = w.start_gavel(1).await;
    w.command("!note After the restart", "#6 recorded").await;

    // SIGKILL while entries fan out to the three encrypted rooms: each arrives once.
    let mut expected = vec![
        "#1 · Meeting started: Encrypted Council".to_string(),
        "#3 · Cllr Browne arrived".to_string(),
        "#6 · After the restart".to_string(),
    ];
    let mut seq = 6;
    for i in 0..6 {
        seq += 1;
        let text = format!("Line {i}");
        w.clerk.say(&w.command, &format!("!note {text}")).await;
        expected.push(format!("#{seq} · {text}"));
    }
    w.clerk
        .wait_for(&w.command, &w.bot, &format!("#{seq} recorded"), 1)
        .await;
    gavel.kill9();
    gavel.wait(Duration::from_secs(10)).await;
    let mut gavel = w.start_gavel(2).await;
    for room in &w.targets {
        w.resident
            .wait_for(room, &w.bot, &format!("#{seq} "), 1)
            .await;
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    for room in &w.targets {
        let posts: Vec<String> = w
            .resident
            .posts_from(room, &w.bot)
            .await
            .iter()
            .map(|p| untimed(p))
            .filter(|p| !p.starts_with("#2 ") && !p.contains("withdrawn"))
            .collect();
        // The original of #3 shows its corrected text in clients; its event body is the first.
        let posts: Vec<String> = posts
            .into_iter()
            .map(|p| {
                if p == "#3 · Cllr Brown arrived" {
                    "#3 · Cllr Browne arrived".to_string()
                } else {
                    p
                }
            })
            .collect();
        assert_eq!(posts, expected, "room {room}");
    }
    let replies = w.clerk.posts_from(&w.command, &w.bot).await;
    assert!(
        !replies.iter().any(|r| r.contains("was already recorded")),
        "a command was executed twice: {replies:#?}"
    );
    // The archive holds what the trusted device sent, and nothing the others did.
    let (code, out, err) = w.dir.gavel(&["export", "1", "-f", "txt"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("After the restart"), "{out}");
    assert!(
        !out.contains("unverified device") && !out.contains("in the clear"),
        "{out}"
    );
    gavel.kill9();
}

impl EncryptedWorld {
    /// The event types the homeserver stores for `sender`'s events in `room`, read with the
    /// plain client-server API (no decryption).
    async fn synapse_event_types(&self, room: &OwnedRoomId, sender: &str) -> Vec<String> {
        let token = self.clerk.client.access_token().expect("token");
        let url = format!(
            "{}/_matrix/client/v3/rooms/{}/messages?dir=b&limit=200",
            self.synapse.url,
            crate::synapse::enc(room.as_str())
        );
        let v: Value = reqwest::Client::new()
            .get(url)
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        v["chunk"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["sender"] == sender && e["type"] != "m.room.member")
            .map(|e| e["type"].as_str().unwrap_or_default().to_string())
            .collect()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recovery_restores_the_bots_identity_and_a_lost_store_is_refused_with_advice() {
    if !synapse_installed() {
        return;
    }
    let (synapse, _) = shared();
    let w = EncryptedWorld::new(synapse, "recov", "").await;
    let mut gavel = w.start_gavel(0).await;
    w.command("!start Recovery Council", "#1 recorded").await;
    gavel.kill9();
    gavel.wait(Duration::from_secs(10)).await;

    // The bot cross-signed itself at start; the probe says so, per room too.
    let (code, out, err) = w.dir.gavel(&["check", "--probe"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("cross-signing: yes"), "{out}");
    assert!(out.contains("encrypted:  yes"), "{out}");
    assert!(out.contains("can decrypt: yes"), "{out}");
    assert!(
        !out.contains(PASS) && !out.contains("a long store passphrase"),
        "{out}"
    );

    // The store opens only with its own passphrase.
    let config = std::fs::read_to_string(w.dir.config()).unwrap();
    std::fs::write(
        w.dir.config(),
        config.replace("a long store passphrase", "another passphrase"),
    )
    .unwrap();
    let (code, _, err) = w.dir.gavel(&["run"]);
    assert_ne!(code, 0);
    assert!(err.contains("store_passphrase"), "{err}");
    assert!(!err.contains("another passphrase"), "{err}");
    std::fs::write(w.dir.config(), &config).unwrap();

    // Recovery: a key printed once.
    let (code, key, err) = w.dir.gavel(&["matrix", "recovery"]);
    assert_eq!(code, 0, "{err}");
    let key = key.trim().to_string();
    assert!(key.split_whitespace().count() >= 12, "{key}");

    // The crypto store is lost but the device is reused: start is refused with what to do.
    let store = w.dir.path().join("data/matrix-store");
    std::fs::remove_file(store.join("matrix-sdk-crypto.sqlite3")).unwrap();
    let (code, _, err) = w.dir.gavel(&["run"]);
    assert_ne!(code, 0);
    assert!(
        err.contains("crypto store") && err.contains("gavel matrix recover"),
        "{err}"
    );

    // A new device, restored with the recovery key, is cross-signed again and reads commands.
    std::fs::remove_file(w.dir.path().join("data/matrix-session.json")).unwrap();
    let key_file = w.dir.path().join("recovery.key");
    std::fs::write(&key_file, &key).unwrap();
    let (code, out, err) = w.dir.gavel(&[
        "matrix",
        "recover",
        "--key-file",
        key_file.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("cross-signed: this device is signed"), "{out}");
    let mut gavel = w.start_gavel(1).await;
    w.command("!note Read by the new device", "#2 recorded")
        .await;
    gavel.kill9();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_verified_mode_a_clerk_counts_once_the_operator_verified_their_identity() {
    if !synapse_installed() {
        return;
    }
    let (synapse, _) = shared();
    let w = EncryptedWorld::new(synapse, "verif", "clerk_devices = \"verified\"").await;
    let mut gavel = w.start_gavel(0).await;
    w.command(
        "!start Verified Council",
        "whose identity its operator has verified",
    )
    .await;
    gavel.kill9();
    gavel.wait(Duration::from_secs(10)).await;

    // The key the clerk reads in their own client.
    let me = w.clerk.user_id();
    let own = w
        .clerk
        .client
        .encryption()
        .get_user_identity(&me)
        .await
        .unwrap()
        .expect("the clerk's identity");
    let key = own.master_key().get_first_key().unwrap().to_base64();

    let user = me.to_string();
    let (code, out, _) = w.dir.gavel(&["matrix", "verify", &user]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains(&key), "{out}");
    let (code, _, err) = w
        .dir
        .gavel(&["matrix", "verify", &user, "--fingerprint", "not the key"]);
    assert_ne!(code, 0);
    assert!(err.contains("nothing was verified"), "{err}");
    let (code, out, err) = w
        .dir
        .gavel(&["matrix", "verify", &user, "--fingerprint", &key]);
    assert_eq!(code, 0, "{out}\n{err}");

    let mut gavel = w.start_gavel(1).await;
    w.command("!start Verified Council", "#1 recorded").await;
    gavel.kill9();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gavel_upgraded_from_before_encryption_keeps_its_device_and_reads_encrypted_rooms() {
    if !synapse_installed() {
        return;
    }
    let (synapse, _) = shared();
    let w = EncryptedWorld::new(synapse, "upgr", "").await;
    // What the Gavel without encryption left behind: a session for a device that never
    // published keys, and an SDK state database (not readable with today's passphrase).
    let old = crate::synapse::Client::login(&synapse.url, "upgr_bot").await;
    let whoami = old
        .call(
            reqwest::Method::GET,
            "/_matrix/client/v3/account/whoami",
            None,
        )
        .await;
    let device = whoami["device_id"].as_str().expect("device").to_string();
    let data = w.dir.path().join("data");
    std::fs::create_dir_all(data.join("matrix-store")).unwrap();
    std::fs::write(
        data.join("matrix-store/matrix-sdk-state.sqlite3"),
        b"the state store of an earlier Gavel",
    )
    .unwrap();
    std::fs::write(
        data.join("matrix-session.json"),
        serde_json::to_vec(&serde_json::json!({
            "homeserver": synapse.url, "user_id": old.user_id, "device_id": device,
            "access_token": old.token, "sync_token": null,
        }))
        .unwrap(),
    )
    .unwrap();

    let mut gavel = w.start_gavel(0).await;
    w.command("!start Upgraded Council", "#1 recorded").await;
    for room in &w.targets {
        w.resident
            .wait_for(room, &w.bot, "Upgraded Council", 1)
            .await;
    }
    gavel.kill9();
    // The same device, now with keys and cross-signed.
    let session: Value =
        serde_json::from_slice(&std::fs::read(data.join("matrix-session.json")).unwrap()).unwrap();
    assert_eq!(session["device_id"], device.as_str());
    let (code, out, err) = w.dir.gavel(&["check", "--probe"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        out.contains(&format!("{device}: keys on this machine and published")),
        "{out}"
    );
    assert!(out.contains("cross-signing: yes"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_only_an_access_token_the_bot_still_cross_signs_and_the_one_off_command_is_safe() {
    if !synapse_installed() {
        return;
    }
    let (synapse, _) = shared();
    let w = EncryptedWorld::new(synapse, "token", "").await;
    let token = crate::synapse::Client::login(&synapse.url, "token_bot")
        .await
        .token;
    let config = std::fs::read_to_string(w.dir.config()).unwrap();
    let config = config.replace(
        &format!("password = \"{PASS}\""),
        &format!("access_token = \"{token}\""),
    );
    std::fs::write(w.dir.config(), config).unwrap();

    // Matrix 1.11 homeservers (Synapse among them) take the first cross-signing upload without
    // asking for the password, so a bot configured with a token cross-signs itself too.
    let mut gavel = w.start_gavel(0).await;
    w.command("!start Token Council", "#1 recorded").await;
    gavel.kill9();
    gavel.wait(Duration::from_secs(10)).await;
    let (_, out, _) = w.dir.gavel(&["check", "--probe"]);
    assert!(out.contains("cross-signing: yes"), "{out}");

    // The one-off command for homeservers that do ask: with the password on stdin, and
    // harmless when the device is already cross-signed.
    let mut child = std::process::Command::new(crate::helpers::gavel_bin())
        .arg("-c")
        .arg(w.dir.config())
        .args(["matrix", "cross-sign"])
        .current_dir(w.dir.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        writeln!(stdin, "{PASS}").unwrap();
    }
    let done = child.wait_with_output().unwrap();
    let (out, err) = (
        String::from_utf8_lossy(&done.stdout),
        String::from_utf8_lossy(&done.stderr),
    );
    assert!(done.status.success(), "{out}\n{err}");
    assert!(out.contains("cross-signed: this device is signed"), "{out}");
    assert!(!out.contains(PASS) && !err.contains(PASS) && !err.contains(&token));
    let (_, out, _) = w.dir.gavel(&["check", "--probe"]);
    assert!(out.contains("cross-signing: yes"), "{out}");
}
