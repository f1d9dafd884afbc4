//! `gavel check --probe` for Matrix: the homeserver, the bot's credentials and, per room,
//! whether the bot is joined and its power level lets it post, edit and redact its own
//! messages; for encrypted rooms, whether the bot can read and write there (its device has
//! keys on this machine and published), and the bot's cross-signing state. Nothing is posted. It uses the stored session's access token when Gavel has run
//! before (so no new device is created); otherwise it logs in and logs that device out again.

use std::path::Path;
use std::time::Duration;

use secrecy::ExposeSecret;
use serde_json::{Value, json};

use super::config::{MatrixAuth, MatrixRoomRef, MatrixSettings};
use crate::config::TargetName;
use crate::probe::{Check, ProbeReport};

struct Hs {
    http: reqwest::Client,
    base: String,
}

impl Hs {
    async fn get(&self, path: &str, token: Option<&str>) -> Result<(u16, Value), String> {
        let mut req = self.http.get(format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.map_err(|e| e.without_url().to_string())?;
        let status = resp.status().as_u16();
        Ok((status, resp.json().await.unwrap_or(Value::Null)))
    }
}

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The level needed to send `event` per `m.room.power_levels`, and the bot's own level.
fn levels(pl: &Value, user: &str, event: &str) -> (i64, i64) {
    let needed = pl["events"][event]
        .as_i64()
        .unwrap_or_else(|| pl["events_default"].as_i64().unwrap_or(0));
    let mine = pl["users"][user]
        .as_i64()
        .unwrap_or_else(|| pl["users_default"].as_i64().unwrap_or(0));
    (needed, mine)
}

pub async fn probe(settings: &MatrixSettings, state_dir: &Path) -> Vec<ProbeReport> {
    let hs = Hs {
        http: match reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
        {
            Ok(c) => c,
            Err(e) => {
                return vec![failed(
                    "matrix",
                    format!("cannot build an HTTP client: {e}"),
                )];
            }
        },
        base: settings
            .homeserver
            .as_str()
            .trim_end_matches('/')
            .to_string(),
    };
    let reachable = match hs.get("/_matrix/client/versions", None).await {
        Ok((200, _)) => Check::Yes,
        Ok((s, _)) => Check::No(format!("HTTP {s} from /_matrix/client/versions")),
        Err(e) => Check::No(format!("unreachable: {e}")),
    };
    if reachable != Check::Yes {
        return vec![failed_with("matrix (bot account)", reachable)];
    }
    // A token: the stored session's, the configured one, or a short-lived login.
    let stored: Option<String> = std::fs::read_to_string(state_dir.join("matrix-session.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<Value>(&t).ok())
        .and_then(|v| v["access_token"].as_str().map(str::to_string));
    let mut temporary = false;
    let token = match (&stored, &settings.auth) {
        (Some(t), _) => Ok(t.clone()),
        (None, MatrixAuth::AccessToken(t)) => Ok(t.expose_secret().to_string()),
        (None, MatrixAuth::Password(p)) => {
            let body = json!({"type": "m.login.password", "identifier": {"type": "m.id.user", "user": settings.user},
                              "password": p.expose_secret(), "initial_device_display_name": "Gavel probe"});
            match hs
                .http
                .post(format!("{}/_matrix/client/v3/login", hs.base))
                .json(&body)
                .send()
                .await
            {
                Ok(r) if r.status().is_success() => {
                    temporary = true;
                    r.json::<Value>()
                        .await
                        .ok()
                        .and_then(|v| v["access_token"].as_str().map(str::to_string))
                        .ok_or_else(|| "no access token in the login answer".to_string())
                }
                Ok(r) => Err(format!("login refused (HTTP {})", r.status().as_u16())),
                Err(e) => Err(e.without_url().to_string()),
            }
        }
    };
    let mut out = Vec::new();
    let token = match token {
        Ok(t) => t,
        Err(why) => {
            out.push(ProbeReport {
                notes: Vec::new(),
                target: "matrix (bot account)".into(),
                reachable,
                authorised: Check::No(why),
                can_post: Check::NotChecked("not logged in".into()),
                can_edit: Check::NotChecked("not logged in".into()),
            });
            return out;
        }
    };
    let mut device: Option<String> = None;
    let authorised = match hs
        .get("/_matrix/client/v3/account/whoami", Some(&token))
        .await
    {
        Ok((200, v)) if v["user_id"].as_str() == Some(settings.user.as_str()) => {
            device = v["device_id"].as_str().map(str::to_string);
            Check::Yes
        }
        Ok((200, v)) => Check::No(format!(
            "the token belongs to {}, not {}",
            v["user_id"], settings.user
        )),
        Ok((s, v)) => Check::No(format!("HTTP {s} {}", v["errcode"].as_str().unwrap_or(""))),
        Err(e) => Check::No(e),
    };
    // A temporary login's device is not the bot's: its crypto state says nothing.
    let crypto = match (&device, temporary) {
        (Some(d), false) => Some(bot_crypto(&hs, &token, &settings.user, d, state_dir).await),
        _ => None,
    };
    let notes = match &crypto {
        Some(c) => vec![
            ("device".to_string(), c.device_note()),
            ("cross-signing".to_string(), c.cross_signing.clone()),
        ],
        None => vec![(
            "encryption".to_string(),
            "not checked: Gavel has not run yet, so the bot has no device; it creates its keys at first start".to_string(),
        )],
    };
    out.push(ProbeReport {
        notes,
        target: "matrix (bot account)".into(),
        reachable: Check::Yes,
        authorised: authorised.clone(),
        can_post: Check::NotChecked("see each room".into()),
        can_edit: Check::NotChecked("see each room".into()),
    });
    if authorised == Check::Yes {
        let rooms = settings
            .command_rooms
            .iter()
            .map(|r| ("command", r))
            .chain(settings.targets.iter().map(|r| ("target", r)));
        for (role, room) in rooms {
            out.push(probe_room(&hs, &token, &settings.user, role, room, crypto.as_ref()).await);
        }
    }
    if temporary {
        let _ = hs
            .http
            .post(format!("{}/_matrix/client/v3/logout", hs.base))
            .bearer_auth(&token)
            .json(&json!({}))
            .send()
            .await;
    }
    out
}

async fn probe_room(
    hs: &Hs,
    token: &str,
    user: &str,
    role: &str,
    room: &MatrixRoomRef,
    crypto: Option<&BotCrypto>,
) -> ProbeReport {
    let target = format!("{} ({role} room)", TargetName::matrix(room));
    let id = if room.is_alias() {
        match hs
            .get(
                &format!("/_matrix/client/v3/directory/room/{}", enc(&room.0)),
                Some(token),
            )
            .await
        {
            Ok((200, v)) => v["room_id"].as_str().map(str::to_string),
            _ => None,
        }
    } else {
        Some(room.0.clone())
    };
    let Some(id) = id else {
        return failed(&target, "the alias does not resolve".into());
    };
    let state = |t: &str| format!("/_matrix/client/v3/rooms/{}/state/{t}", enc(&id));
    let (joined, pl) = match hs.get(&state("m.room.power_levels"), Some(token)).await {
        Ok((200, pl)) => (Check::Yes, Some(pl)),
        Ok((403, _)) => (
            Check::No(
                "the bot is not in this room (Gavel joins at start; invite it to private rooms)"
                    .into(),
            ),
            None,
        ),
        Ok((s, _)) => (Check::No(format!("HTTP {s} reading the room")), None),
        Err(e) => (Check::No(e), None),
    };
    let Some(pl) = pl else {
        return ProbeReport {
            notes: Vec::new(),
            target,
            reachable: Check::Yes,
            authorised: joined,
            can_post: Check::NotChecked("not joined".into()),
            can_edit: Check::NotChecked("not joined".into()),
        };
    };
    let encrypted = matches!(
        hs.get(&state("m.room.encryption"), Some(token)).await,
        Ok((200, _))
    );
    let mut notes = vec![(
        "encrypted".to_string(),
        if encrypted { "yes" } else { "no" }.to_string(),
    )];
    if encrypted {
        let can_decrypt = match crypto {
            Some(c) if c.ready() => Check::Yes,
            Some(c) => Check::No(c.device_note()),
            None => Check::NotChecked("the bot has no device yet".into()),
        };
        notes.push(("can decrypt".to_string(), can_decrypt.to_string()));
        if let Check::No(why) = can_decrypt {
            let why = format!("the room is encrypted and {why}");
            return ProbeReport {
                notes,
                target,
                reachable: Check::Yes,
                authorised: joined,
                can_post: Check::No(why.clone()),
                can_edit: Check::No(why),
            };
        }
    }
    let (need_post, mine) = levels(&pl, user, "m.room.message");
    let (need_redact, _) = levels(&pl, user, "m.room.redaction");
    let can_post = if mine >= need_post {
        Check::Yes
    } else {
        Check::No(format!("power level {mine} < {need_post} needed to post"))
    };
    let can_edit = match (&can_post, mine >= need_redact) {
        (Check::Yes, true) => Check::Yes,
        (Check::Yes, false) => Check::No(format!(
            "power level {mine} < {need_redact} needed to redact its own messages"
        )),
        (other, _) => other.clone(),
    };
    ProbeReport {
        notes,
        target,
        reachable: Check::Yes,
        authorised: joined,
        can_post,
        can_edit,
    }
}

/// What the homeserver and this machine say about the bot's device's encryption keys.
struct BotCrypto {
    device: String,
    /// The SDK's crypto store is on this machine.
    store: bool,
    /// The homeserver publishes the device's identity keys.
    published: bool,
    cross_signing: String,
}

impl BotCrypto {
    fn ready(&self) -> bool {
        self.store && self.published
    }

    fn device_note(&self) -> String {
        match (self.store, self.published) {
            (true, true) => format!("{}: keys on this machine and published", self.device),
            (true, false) => format!(
                "{}: keys on this machine but not published yet (does `gavel run` sync?)",
                self.device
            ),
            (false, true) => format!(
                "{}: its keys are published but the crypto store is not on this machine, so it cannot decrypt (docs/matrix.md, \"Losing the machine\")",
                self.device
            ),
            (false, false) => format!(
                "{}: no keys yet; Gavel creates them at its next start",
                self.device
            ),
        }
    }
}

/// The bot device's keys and cross-signing, from `/keys/query` and the state folder.
async fn bot_crypto(hs: &Hs, token: &str, user: &str, device: &str, state_dir: &Path) -> BotCrypto {
    let store = super::crypto::has_crypto_store(state_dir);
    let answer: Result<Value, String> = super::api_json(
        hs.http
            .post(format!("{}/_matrix/client/v3/keys/query", hs.base))
            .json(&json!({ "device_keys": { user: [] } })),
        token,
        "the homeserver refused keys/query",
    )
    .await;
    let keys = match answer {
        Ok(keys) => keys,
        Err(e) => {
            return BotCrypto {
                device: device.to_string(),
                store,
                published: false,
                cross_signing: format!("not checked ({e})"),
            };
        }
    };
    let own = &keys["device_keys"][user][device];
    let self_signing: Vec<String> = keys["self_signing_keys"][user]["keys"]
        .as_object()
        .map(|k| k.keys().cloned().collect())
        .unwrap_or_default();
    let has_master = keys["master_keys"][user].is_object();
    let signed = own["signatures"][user]
        .as_object()
        .is_some_and(|sigs| self_signing.iter().any(|k| sigs.contains_key(k)));
    let cross_signing = match (has_master, signed) {
        (true, true) => "yes: the bot's device is signed by its identity".to_string(),
        (true, false) => "NO: the account has an identity but this device is not signed by it; run `gavel matrix recover` with the recovery key".to_string(),
        (false, _) => "NO: the account has no cross-signing identity; Gavel sets it up at start when it has the password, else run `gavel matrix cross-sign`".to_string(),
    };
    BotCrypto {
        device: device.to_string(),
        store,
        published: own.is_object(),
        cross_signing,
    }
}

fn failed(target: &str, why: String) -> ProbeReport {
    failed_with(target, Check::No(why))
}

fn failed_with(target: &str, reachable: Check) -> ProbeReport {
    ProbeReport {
        notes: Vec::new(),
        target: target.to_string(),
        reachable,
        authorised: Check::NotChecked("unreachable".into()),
        can_post: Check::NotChecked("unreachable".into()),
        can_edit: Check::NotChecked("unreachable".into()),
    }
}
