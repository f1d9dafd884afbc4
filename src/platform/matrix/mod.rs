//! Matrix: clerk commands from configured command rooms, and entries delivered to resident
//! rooms as `m.notice` events.
//!
//! The bot's session (user id, device id, access token) and its sync token are kept in
//! `matrix-session.json` (mode 0600) beside the archive, with the SDK's state store in
//! `matrix-store/`. A restart therefore reuses the same device, so the homeserver's
//! transaction-id deduplication covers resends after a crash, and resumes syncing where it
//! stopped, so old commands are never executed twice. End-to-end encrypted rooms work in both
//! directions: the SDK's crypto store in `matrix-store/` (encrypted with `store_passphrase`)
//! holds the device's keys, and [`crypto`] adds cross-signing, recovery and the checks around a
//! lost store.

pub mod config;
pub mod crypto;
mod input;
pub mod probe;
/// Public for the fan-out benchmark, whose raw floor sends exactly what Gavel sends.
pub mod render;
mod sink;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use matrix_sdk::authentication::matrix::MatrixSession;
use matrix_sdk::config::RequestConfig;
use matrix_sdk::ruma::{OwnedDeviceId, OwnedUserId};
use matrix_sdk::{Client, SessionMeta, SessionTokens};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};

use crate::config::TargetName;
use crate::sink::Sink;
use config::{MatrixAuth, MatrixSettings};

pub use render::{html_of, sanitize_html};
pub use sink::MatrixSink;

/// Why the Matrix platform could not start.
#[derive(Debug, thiserror::Error)]
pub enum MatrixError {
    #[error("cannot use the state directory {path}: {source}")]
    State {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot set up the Matrix client: {0}")]
    Client(String),
    #[error("cannot log in to {homeserver} as {user}: {reason}")]
    Login {
        homeserver: String,
        user: String,
        reason: String,
    },
    #[error("matrix room `{0}` is not a room id or alias")]
    Room(String),
    #[error("{0}")]
    LostStore(String),
    #[error("cannot open the Matrix store {path}: {reason}")]
    Store { path: PathBuf, reason: String },
}

/// What survives a restart. The access token is a secret: this file is written 0600 and its
/// contents are never logged.
#[derive(Serialize, Deserialize, Clone)]
struct StoredSession {
    homeserver: String,
    user_id: String,
    device_id: String,
    access_token: String,
    #[serde(default)]
    sync_token: Option<String>,
    /// Clerks' encrypted commands still waiting for their room keys at the stored sync
    /// position: the sync will not deliver them again, so they are kept here.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    undecrypted: Vec<StoredUndecrypted>,
}

/// An encrypted command waiting for its key, as stored in the session file.
#[derive(Serialize, Deserialize, Clone)]
pub(crate) struct StoredUndecrypted {
    pub room_id: String,
    /// The `m.room.encrypted` event as the sync delivered it.
    pub event: Box<serde_json::value::RawValue>,
    /// When Gavel first saw it (ms since the Unix epoch).
    pub first_seen_ms: i64,
}

/// The session file beside the archive.
pub(crate) struct SessionFile {
    path: PathBuf,
    data: std::sync::Mutex<StoredSession>,
}

impl SessionFile {
    fn load(path: &Path) -> Option<StoredSession> {
        let text = std::fs::read_to_string(path).ok()?;
        match serde_json::from_str(&text) {
            Ok(s) => Some(s),
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "unreadable Matrix session file; logging in afresh");
                None
            }
        }
    }

    fn write(path: &Path, s: &StoredSession) -> std::io::Result<()> {
        let text = serde_json::to_vec_pretty(s).map_err(std::io::Error::other)?;
        crate::files::replace(path, &text, crate::files::Access::Private)
    }

    pub(crate) fn sync_token(&self) -> Option<String> {
        self.data
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .sync_token
            .clone()
    }

    pub(crate) fn undecrypted(&self) -> Vec<StoredUndecrypted> {
        self.data
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .undecrypted
            .clone()
    }

    /// Records the sync position and the commands still waiting for keys, durably, once the
    /// batch's events have been handled.
    pub(crate) fn set_position(
        &self,
        token: &str,
        undecrypted: Vec<StoredUndecrypted>,
    ) -> std::io::Result<()> {
        let snapshot = {
            let mut d = self.data.lock().unwrap_or_else(|p| p.into_inner());
            d.sync_token = Some(token.to_string());
            d.undecrypted = undecrypted;
            d.clone()
        };
        Self::write(&self.path, &snapshot)
    }
}

/// A logged-in Matrix client and the configured rooms, ready to build sinks and run the input.
pub struct MatrixPlatform {
    client: Client,
    settings: MatrixSettings,
    session: Arc<SessionFile>,
    user_id: OwnedUserId,
    /// The archive and this instance's lease on the input, when instances share the archive
    /// ([`MatrixPlatform::share_position`]).
    shared: Option<crate::cluster::SharedPosition>,
}

impl MatrixPlatform {
    /// Restores the stored session, or logs in (password) / adopts the access token and stores
    /// the session. Needs the homeserver only when there is no stored session yet.
    pub async fn connect(
        settings: &MatrixSettings,
        state_dir: &Path,
    ) -> Result<MatrixPlatform, MatrixError> {
        std::fs::create_dir_all(state_dir).map_err(|source| MatrixError::State {
            path: state_dir.to_path_buf(),
            source,
        })?;
        let session_path = state_dir.join("matrix-session.json");
        let homeserver = settings
            .homeserver
            .as_str()
            .trim_end_matches('/')
            .to_string();
        let loaded = SessionFile::load(&session_path);
        let had_crypto = crypto::has_crypto_store(state_dir);
        if let Some(other) = loaded
            .as_ref()
            .filter(|s| s.user_id != settings.user || s.homeserver != homeserver)
            && had_crypto
        {
            // The store holds another account's device keys; the SDK cannot use it for this one.
            return Err(MatrixError::LostStore(format!(
                "{} and {} belong to {} on {}, not {} on {homeserver}: to switch the bot's account, stop Gavel and move both aside (the old device can no longer be used)",
                session_path.display(),
                crypto::store_dir(state_dir).display(),
                other.user_id,
                other.homeserver,
                settings.user
            )));
        }
        let stored = loaded.filter(|s| s.user_id == settings.user && s.homeserver == homeserver);

        if !had_crypto {
            crypto::start_store_afresh(state_dir).map_err(|source| MatrixError::State {
                path: crypto::store_dir(state_dir),
                source,
            })?;
        }
        let passphrase = settings
            .store_passphrase
            .as_ref()
            .map(|p| p.expose_secret().to_string());
        if passphrase.is_none() {
            tracing::warn!(store = %crypto::store_dir(state_dir).display(), "the Matrix store, which holds the device's encryption keys, is not encrypted at rest: set [matrix] store_passphrase_file (docs/matrix.md, section 5)");
        }
        let client = Client::builder()
            .homeserver_url(&homeserver)
            .sqlite_store(crypto::store_dir(state_dir), passphrase.as_deref())
            // The outbox and the sync loop own retrying; the SDK must not retry forever inside a call.
            .request_config(
                RequestConfig::new()
                    .disable_retry()
                    .timeout(Duration::from_secs(20)),
            )
            .build()
            .await
            .map_err(|e| {
                let reason = e.to_string();
                let reason = if reason.contains("cipher") {
                    format!("{reason}; the store was created with a different store_passphrase (or none): use that one, or start as a new device (docs/matrix.md, \"Losing the machine\")")
                } else {
                    reason
                };
                MatrixError::Store {
                    path: crypto::store_dir(state_dir),
                    reason,
                }
            })?;
        let login_err = |reason: String| MatrixError::Login {
            homeserver: homeserver.clone(),
            user: settings.user.clone(),
            reason,
        };

        let fresh_device = stored.is_none() && matches!(settings.auth, MatrixAuth::Password(_));
        let stored = match stored {
            Some(s) => s,
            None => {
                let (user_id, device_id, access_token) = match &settings.auth {
                    MatrixAuth::Password(pw) => {
                        let resp = client
                            .matrix_auth()
                            .login_username(&settings.user, pw.expose_secret())
                            .initial_device_display_name("Gavel")
                            .send()
                            .await
                            .map_err(|e| login_err(e.to_string()))?;
                        (
                            resp.user_id.to_string(),
                            resp.device_id.to_string(),
                            resp.access_token,
                        )
                    }
                    MatrixAuth::AccessToken(token) => {
                        let (user_id, device_id) = whoami(&homeserver, token.expose_secret())
                            .await
                            .map_err(login_err)?;
                        (user_id, device_id, token.expose_secret().to_string())
                    }
                };
                if user_id != settings.user {
                    return Err(login_err(format!(
                        "the homeserver says these credentials belong to {user_id}"
                    )));
                }
                let s = StoredSession {
                    homeserver: homeserver.clone(),
                    user_id,
                    device_id,
                    access_token,
                    sync_token: None,
                    undecrypted: Vec::new(),
                };
                SessionFile::write(&session_path, &s).map_err(|source| MatrixError::State {
                    path: session_path.clone(),
                    source,
                })?;
                tracing::info!(user = %s.user_id, device = %s.device_id, "logged in to Matrix; session stored");
                s
            }
        };
        if !had_crypto && !fresh_device {
            // A device reused with a new store: only safe if it never published keys.
            let refusal = match crypto::device_has_published_keys(
                &homeserver,
                &stored.access_token,
                &stored.user_id,
                &stored.device_id,
            )
            .await
            {
                Ok(false) => None,
                Ok(true) => Some(MatrixError::LostStore(crypto::lost_store_advice(
                    state_dir,
                    &stored.device_id,
                ))),
                Err(e) => Some(login_err(format!(
                    "the crypto store is new, so Gavel must check the homeserver has no keys for device {} before using it, and cannot: {e}",
                    stored.device_id
                ))),
            };
            if let Some(refusal) = refusal {
                // The store the SDK just made must not pass for the device's own next time.
                drop(client);
                crypto::discard_new_crypto_store(state_dir);
                return Err(refusal);
            }
        }
        let user_id =
            OwnedUserId::try_from(stored.user_id.as_str()).map_err(|e| login_err(e.to_string()))?;
        if client.session_meta().is_none() {
            let session = MatrixSession {
                meta: SessionMeta {
                    user_id: user_id.clone(),
                    device_id: OwnedDeviceId::from(stored.device_id.as_str()),
                },
                tokens: SessionTokens {
                    access_token: stored.access_token.clone(),
                    refresh_token: None,
                },
            };
            client
                .restore_session(session)
                .await
                .map_err(|e| login_err(e.to_string()))?;
        }
        tracing::info!(user = %user_id, device = %stored.device_id, "Matrix session ready");
        Ok(MatrixPlatform {
            client,
            settings: settings.clone(),
            session: Arc::new(SessionFile {
                path: session_path,
                data: std::sync::Mutex::new(stored),
            }),
            user_id,
            shared: None,
        })
    }
}

impl MatrixPlatform {
    /// The logged-in client, for the one-off `gavel matrix` commands.
    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn settings(&self) -> &MatrixSettings {
        &self.settings
    }

    /// One sync without executing anything and without moving Gavel's stored position: it
    /// uploads the device's keys and fetches the account's, which the crypto commands need.
    pub async fn sync_keys(&self) -> Result<(), MatrixError> {
        let settings = matrix_sdk::config::SyncSettings::default().timeout(Duration::ZERO);
        self.client
            .sync_once(settings)
            .await
            .map_err(|e| MatrixError::Client(e.to_string()))?;
        self.client
            .encryption()
            .wait_for_e2ee_initialization_tasks()
            .await;
        Ok(())
    }
}

/// An outbox target: its name and its sink.
pub type NamedSink = (String, Arc<dyn Sink>);

impl MatrixPlatform {
    /// One sink per configured target, named by [`TargetName::matrix`].
    pub fn sinks(&self) -> Result<Vec<NamedSink>, MatrixError> {
        self.settings
            .targets
            .iter()
            .map(|room| {
                let threads = self.settings.threads.contains(room);
                let sink = MatrixSink::new(self.client.clone(), room.clone(), threads)
                    .ok_or_else(|| MatrixError::Room(room.0.clone()))?;
                Ok((
                    TargetName::matrix(room).into(),
                    Arc::new(sink) as Arc<dyn Sink>,
                ))
            })
            .collect()
    }

    /// Keeps the input's sync position in `archive` as well, saved only under `fence` (this
    /// instance's lease on the input): an instance that takes the input over without a
    /// position of its own resumes where the last one got to (see the input's `run`).
    pub fn share_position(
        &mut self,
        archive: Arc<crate::archive::Archive>,
        fence: crate::archive::Fence,
    ) {
        self.shared = Some(crate::cluster::SharedPosition::new(
            archive,
            fence,
            input::SYNC_POSITION,
        ));
    }

    /// The command input (and residents' questions in target rooms, when `residents` is
    /// given): runs until `stop` fires; homeserver outages are retried, never fatal.
    pub async fn run(
        self,
        desk: Arc<crate::desk::Desk>,
        outbox: Arc<crate::outbox::Outbox>,
        residents: Option<Arc<crate::residents::Residents>>,
        stop: tokio_util::sync::CancellationToken,
    ) -> anyhow::Result<()> {
        input::run(self, desk, outbox, residents, stop).await
    }
}

/// Sends one client-server API request with the access token and reads its JSON answer;
/// `refused` says what a non-success status means.
pub(crate) async fn api_json<T: serde::de::DeserializeOwned>(
    request: reqwest::RequestBuilder,
    token: &str,
    refused: &str,
) -> Result<T, String> {
    let resp = request
        .bearer_auth(token)
        .timeout(Duration::from_secs(20))
        .send()
        .await
        .map_err(|e| format!("homeserver unreachable: {}", e.without_url()))?;
    let status = resp.status();
    if !status.is_success() {
        return Err(format!("{refused} (HTTP {})", status.as_u16()));
    }
    resp.json()
        .await
        .map_err(|e| format!("unexpected answer from the homeserver: {}", e.without_url()))
}

/// Who an access token belongs to, and its device.
async fn whoami(homeserver: &str, token: &str) -> Result<(String, String), String> {
    #[derive(Deserialize)]
    struct WhoAmI {
        user_id: String,
        device_id: Option<String>,
    }
    let w: WhoAmI = api_json(
        reqwest::Client::new().get(format!("{homeserver}/_matrix/client/v3/account/whoami")),
        token,
        "the access token was refused",
    )
    .await?;
    let device = w.device_id.ok_or(
        "the access token has no device id; create it by logging in, not as an appservice token",
    )?;
    Ok((w.user_id, device))
}
