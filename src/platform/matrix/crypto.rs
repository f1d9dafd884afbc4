//! End-to-end encryption for the bot's device: the store's keys, cross-signing, recovery and
//! verifying clerks.
//!
//! The SDK does the cryptography (Olm and Megolm through vodozemac) and keeps the device's keys in
//! its SQLite crypto store in `matrix-store/`, encrypted with `store_passphrase` when one is set.
//! What Gavel adds:
//! - **A lost store is detected, not papered over.** A device whose keys are published but whose
//!   store is gone can never decrypt again (its identity keys are gone), and creating new keys
//!   under the same device id confuses every other client. So when the store is missing but the
//!   session reuses a device whose keys the homeserver already has, start is refused with what
//!   to do: log in as a new device and restore the identity with the recovery key.
//! - **Cross-signing at first start**, with the account password (user-interactive auth), so
//!   that clients that share keys only with cross-signed devices (MSC4153, "exclude insecure
//!   devices") include the bot. With an access token and no password the operator runs
//!   `gavel matrix cross-sign` once.
//! - **Recovery**: `gavel matrix recovery` turns on key backup and secret storage and prints the
//!   recovery key; `gavel matrix recover` on a new machine restores the cross-signing identity
//!   (and signs the new device with it) from that key.
//! - **Verifying a clerk** for `clerk_devices = "verified"`: `gavel matrix verify <user>` signs
//!   the clerk's current identity with the bot's user-signing key, after the operator compared
//!   its fingerprint with the one the clerk reads from their own client.

use std::path::{Path, PathBuf};

use matrix_sdk::Client;
use matrix_sdk::ruma::OwnedUserId;
use matrix_sdk::ruma::api::client::uiaa;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

use super::config::{MatrixAuth, MatrixSettings};

/// The SDK's crypto database inside `matrix-store/`.
const CRYPTO_DB: &str = "matrix-sdk-crypto.sqlite3";

/// Where the SDK keeps its stores.
pub(super) fn store_dir(state_dir: &Path) -> PathBuf {
    state_dir.join("matrix-store")
}

/// Whether the device's keys are on disk (a crypto store exists).
pub(super) fn has_crypto_store(state_dir: &Path) -> bool {
    store_dir(state_dir).join(CRYPTO_DB).exists()
}

/// Removes a crypto store made for a device that must not use it (its real keys are lost):
/// the next start then detects the loss again instead of taking this store for the device's.
pub(super) fn discard_new_crypto_store(state_dir: &Path) {
    let _ = std::fs::remove_file(store_dir(state_dir).join(CRYPTO_DB));
}

/// Before a crypto store is created: removes the other SDK databases (written by a Gavel
/// without encryption, or left from a lost store), so every database in the folder is created
/// with the same passphrase. They hold only a cache of room state; the sync position is in
/// Gavel's session file.
pub(super) fn start_store_afresh(state_dir: &Path) -> std::io::Result<()> {
    let dir = store_dir(state_dir);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Ok(());
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        if name.starts_with("matrix-sdk-") && name.contains(".sqlite3") {
            tracing::info!(file = %name, "removing an SDK cache database so the new crypto store starts consistent");
            std::fs::remove_file(e.path())?;
        }
    }
    Ok(())
}

/// Whether the homeserver already publishes identity keys for `device`: if it does and the
/// store is gone, the keys that match them are gone with it.
pub(super) async fn device_has_published_keys(
    homeserver: &str,
    token: &str,
    user: &str,
    device: &str,
) -> Result<bool, String> {
    let v: Value = super::api_json(
        reqwest::Client::new()
            .post(format!("{homeserver}/_matrix/client/v3/keys/query"))
            .json(&json!({ "device_keys": { user: [device] } })),
        token,
        "the homeserver refused keys/query",
    )
    .await?;
    Ok(v["device_keys"][user][device].is_object())
}

/// The advice when the store is gone but the device's keys are not.
pub(super) fn lost_store_advice(state_dir: &Path, device: &str) -> String {
    format!(
        "the Matrix crypto store {} is missing, but device {device} already published its keys: \
         the keys that decrypt its messages are gone with the store. Restore {} from a backup, \
         or start as a new device: delete {} (with a password configured Gavel logs in again), \
         then run `gavel matrix recover --key-file <recovery key>` to restore the bot's \
         cross-signing identity, and remove the old device {device} from the account",
        store_dir(state_dir).join(CRYPTO_DB).display(),
        store_dir(state_dir).display(),
        state_dir.join("matrix-session.json").display(),
    )
}

/// The bot's cross-signing state, for logs, the probe and the CLI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CrossSigning {
    /// The account has an identity, this device holds its private keys and is signed by it.
    Ready,
    /// The account has an identity but this device is not signed by it (it was made elsewhere):
    /// restore it with the recovery key.
    NotThisDevice,
    /// The account has no cross-signing identity yet.
    Missing,
}

impl CrossSigning {
    pub fn describe(&self) -> &'static str {
        match self {
            CrossSigning::Ready => "cross-signed: this device is signed by the bot's identity",
            CrossSigning::NotThisDevice => {
                "not cross-signed: the account's identity was made on another device; run `gavel matrix recover` with the recovery key"
            }
            CrossSigning::Missing => {
                "not cross-signed: the account has no cross-signing identity; give a password or run `gavel matrix cross-sign`"
            }
        }
    }
}

/// Where the bot's device stands with cross-signing (asks the homeserver for the keys first).
pub async fn cross_signing(client: &Client) -> matrix_sdk::Result<CrossSigning> {
    let enc = client.encryption();
    let Some(user) = client.user_id() else {
        return Ok(CrossSigning::Missing);
    };
    let user = user.to_owned();
    enc.request_user_identity(&user).await?;
    if enc.get_user_identity(&user).await?.is_none() {
        return Ok(CrossSigning::Missing);
    }
    let signed = enc
        .get_own_device()
        .await?
        .is_some_and(|d| d.is_cross_signed_by_owner());
    let keys = enc.cross_signing_status().await;
    Ok(if signed && keys.is_some_and(|k| k.has_self_signing) {
        CrossSigning::Ready
    } else {
        CrossSigning::NotThisDevice
    })
}

/// Creates and uploads a cross-signing identity when the account has none, answering the
/// homeserver's user-interactive auth with `password`.
pub async fn bootstrap(
    client: &Client,
    user: &str,
    password: Option<&SecretString>,
) -> Result<CrossSigning, String> {
    let enc = client.encryption();
    match enc.bootstrap_cross_signing_if_needed(None).await {
        Ok(()) => {}
        Err(e) => {
            let Some(uiaa_info) = e.as_uiaa_response() else {
                return Err(format!("cannot set up cross-signing: {e}"));
            };
            let Some(password) = password else {
                return Err(
                    "the homeserver asks for the account password to set up cross-signing; configure `password_file` or run `gavel matrix cross-sign`".into(),
                );
            };
            let mut auth = uiaa::Password::new(
                uiaa::UserIdentifier::Matrix(uiaa::MatrixUserIdentifier::new(user.to_string())),
                password.expose_secret().to_string(),
            );
            auth.session = uiaa_info.session.clone();
            enc.bootstrap_cross_signing(Some(uiaa::AuthData::Password(auth)))
                .await
                .map_err(|e| format!("cannot set up cross-signing: {e}"))?;
        }
    }
    cross_signing(client).await.map_err(|e| e.to_string())
}

/// After the first sync of a run: cross-signs the device when it is not yet and a password is
/// configured. Returns whether there is nothing more to try (done, or needs the operator);
/// `false` asks to try again after the next sync (the homeserver was unreachable).
pub(super) async fn ensure_cross_signed(client: &Client, settings: &MatrixSettings) -> bool {
    let state = match cross_signing(client).await {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the bot's cross-signing state yet; trying again after the next sync");
            return false;
        }
    };
    match state {
        CrossSigning::Ready => {
            tracing::info!("{}", state.describe());
            true
        }
        CrossSigning::NotThisDevice => {
            tracing::warn!("{}", state.describe());
            true
        }
        CrossSigning::Missing => {
            let password = match &settings.auth {
                MatrixAuth::Password(p) => Some(p),
                MatrixAuth::AccessToken(_) => None,
            };
            match bootstrap(client, &settings.user, password).await {
                Ok(s) => {
                    tracing::info!("set up cross-signing for the bot; {}", s.describe());
                    true
                }
                Err(e) => {
                    tracing::warn!(error = %e, "the bot's device is not cross-signed, so clients that exclude insecure devices will not share room keys with it");
                    password.is_none()
                }
            }
        }
    }
}

/// Turns on key backup and secret storage (cross-signing first, if needed) and returns the new
/// recovery key.
pub async fn enable_recovery(client: &Client, settings: &MatrixSettings) -> Result<String, String> {
    let password = match &settings.auth {
        MatrixAuth::Password(p) => Some(p),
        MatrixAuth::AccessToken(_) => None,
    };
    let state = bootstrap(client, &settings.user, password).await?;
    if state != CrossSigning::Ready {
        return Err(state.describe().to_string());
    }
    let recovery = client.encryption().recovery();
    recovery
        .enable()
        .wait_for_backups_to_upload()
        .await
        .map_err(|e| {
            format!("cannot enable recovery: {e} (if a backup already exists, restore with `gavel matrix recover` instead)")
        })
}

/// Restores the bot's cross-signing identity and backup key from the recovery key, signing
/// this device with it.
pub async fn recover(client: &Client, key: &SecretString) -> Result<CrossSigning, String> {
    client
        .encryption()
        .recovery()
        .recover(key.expose_secret().trim())
        .await
        .map_err(|e| format!("cannot recover with that key: {e}"))?;
    cross_signing(client).await.map_err(|e| e.to_string())
}

/// A clerk's identity, as the operator compares it with the clerk's own client.
pub struct ClerkIdentity {
    pub user: OwnedUserId,
    /// The master key, in the base64 Element shows under "cryptographic identity".
    pub master_key: String,
    pub verified: bool,
}

/// The clerk's current cross-signing identity (none if they never set up cross-signing).
pub async fn clerk_identity(client: &Client, user: &str) -> Result<ClerkIdentity, String> {
    let user = OwnedUserId::try_from(user).map_err(|e| format!("`{user}`: {e}"))?;
    let enc = client.encryption();
    let identity = enc
        .request_user_identity(&user)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("{user} has no cross-signing identity: ask them to set up secure backup or verify a session in their client first"))?;
    let master_key = identity
        .master_key()
        .get_first_key()
        .map(|k| k.to_base64())
        .unwrap_or_default();
    Ok(ClerkIdentity {
        user,
        master_key,
        verified: identity.is_verified(),
    })
}

/// Signs the identity the operator compared (as [`clerk_identity`] fetched it, so no newer
/// one can slip in between) with the bot's user-signing key; the identity as the homeserver
/// then shows it.
pub async fn verify_clerk(
    client: &Client,
    compared: &ClerkIdentity,
) -> Result<ClerkIdentity, String> {
    let found = client
        .encryption()
        .get_user_identity(&compared.user)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("the identity disappeared")?;
    found.verify().await.map_err(|e| {
        format!(
            "cannot sign {}'s identity: {e} (is the bot cross-signed? `gavel check --probe` says)",
            compared.user
        )
    })?;
    clerk_identity(client, compared.user.as_str()).await
}
