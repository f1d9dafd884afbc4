//! `gavel check --probe` for Matrix: the homeserver, the bot's credentials and, per room,
//! whether the bot is joined and its power level lets it post, edit and redact its own
//! messages. Nothing is posted. It uses the stored session's access token when Gavel has run
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
                target: "matrix (bot account)".into(),
                reachable,
                authorised: Check::No(why),
                can_post: Check::NotChecked("not logged in".into()),
                can_edit: Check::NotChecked("not logged in".into()),
            });
            return out;
        }
    };
    let authorised = match hs
        .get("/_matrix/client/v3/account/whoami", Some(&token))
        .await
    {
        Ok((200, v)) if v["user_id"].as_str() == Some(settings.user.as_str()) => Check::Yes,
        Ok((200, v)) => Check::No(format!(
            "the token belongs to {}, not {}",
            v["user_id"], settings.user
        )),
        Ok((s, v)) => Check::No(format!("HTTP {s} {}", v["errcode"].as_str().unwrap_or(""))),
        Err(e) => Check::No(e),
    };
    out.push(ProbeReport {
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
            out.push(probe_room(&hs, &token, &settings.user, role, room).await);
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
            target,
            reachable: Check::Yes,
            authorised: joined,
            can_post: Check::NotChecked("not joined".into()),
            can_edit: Check::NotChecked("not joined".into()),
        };
    };
    if let Ok((200, _)) = hs.get(&state("m.room.encryption"), Some(token)).await {
        let why = "the room is encrypted, which Gavel does not support yet".to_string();
        return ProbeReport {
            target,
            reachable: Check::Yes,
            authorised: joined,
            can_post: Check::No(why.clone()),
            can_edit: Check::No(why),
        };
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
        target,
        reachable: Check::Yes,
        authorised: joined,
        can_post,
        can_edit,
    }
}

fn failed(target: &str, why: String) -> ProbeReport {
    failed_with(target, Check::No(why))
}

fn failed_with(target: &str, reachable: Check) -> ProbeReport {
    ProbeReport {
        target: target.to_string(),
        reachable,
        authorised: Check::NotChecked("unreachable".into()),
        can_post: Check::NotChecked("unreachable".into()),
        can_edit: Check::NotChecked("unreachable".into()),
    }
}
