//! `[matrix]`: the homeserver, the bot account and its credentials, and the rooms and users
//! Gavel knows there, resolved into [`MatrixSettings`] through the shared error collector.

use std::collections::HashSet;
use std::fmt;

use secrecy::SecretString;
use serde::Deserialize;
use url::Url;

use crate::config::{RawTarget, Resolver, resolve_targets};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMatrix {
    pub homeserver: String,
    pub user: String,
    pub password: Option<String>,
    pub password_file: Option<String>,
    pub access_token: Option<String>,
    pub access_token_file: Option<String>,
    #[serde(default)]
    pub command_rooms: Vec<String>,
    #[serde(default)]
    pub clerks: Vec<String>,
    #[serde(default)]
    pub targets: Vec<RawTarget>,
    /// Encrypts the SDK's store (the device's keys among it) at rest.
    pub store_passphrase: Option<String>,
    pub store_passphrase_file: Option<String>,
    /// Which clerk devices may command Gavel in encrypted rooms: `cross-signed` or `verified`.
    pub clerk_devices: Option<String>,
    /// How long an encrypted command that cannot be decrypted yet waits for its key.
    pub decrypt_wait_secs: Option<u64>,
}

/// A Matrix room id (`!opaque:server`, or `!opaque` from room version 12 on) or alias
/// (`#name:server`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MatrixRoomRef(pub String);

impl MatrixRoomRef {
    pub fn parse(s: &str) -> Option<MatrixRoomRef> {
        let t = s.trim();
        let has_server = |rest: &str| {
            rest.split_once(':')
                .is_some_and(|(l, server)| !l.is_empty() && !server.is_empty())
        };
        let ok = match t.chars().next() {
            Some('#') => has_server(&t[1..]),
            // Room version 12 room ids carry no server name.
            Some('!') => t.len() > 1 && (!t.contains(':') || has_server(&t[1..])),
            _ => false,
        } && !t.chars().any(char::is_whitespace);
        ok.then(|| MatrixRoomRef(t.to_string()))
    }
    pub fn is_alias(&self) -> bool {
        self.0.starts_with('#')
    }
}

impl fmt::Display for MatrixRoomRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A Matrix user id (`@name:server`).
pub fn is_matrix_user_id(s: &str) -> bool {
    s.starts_with('@')
        && s[1..]
            .split_once(':')
            .is_some_and(|(l, server)| !l.is_empty() && !server.is_empty())
        && !s.chars().any(char::is_whitespace)
}

#[derive(Debug, Clone)]
pub enum MatrixAuth {
    Password(SecretString),
    AccessToken(SecretString),
}

#[derive(Debug, Clone)]
pub struct MatrixSettings {
    pub homeserver: Url,
    pub user: String,
    pub auth: MatrixAuth,
    pub command_rooms: Vec<MatrixRoomRef>,
    pub clerks: Vec<String>,
    pub targets: Vec<MatrixRoomRef>,
    /// The targets (a subset of `targets`) where each meeting's later entries form a thread
    /// under its opening post.
    pub threads: HashSet<MatrixRoomRef>,
    /// The passphrase the SDK's SQLite store is encrypted with, if any.
    pub store_passphrase: Option<SecretString>,
    /// Which devices of a clerk count in encrypted command rooms.
    pub clerk_devices: ClerkDevices,
    /// How long an undecryptable command waits for its room key before the clerk is told.
    pub decrypt_wait: std::time::Duration,
}

/// Which of a clerk's devices may send commands in an encrypted room. Unencrypted rooms cannot
/// tell devices apart, so there only the allow-list applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClerkDevices {
    /// The device is cross-signed by its owner: the clerk verified it from another session,
    /// as Element asks at every new sign-in. The default.
    CrossSigned,
    /// The clerk's identity is also verified by the bot (`gavel matrix verify <user>`), and the
    /// device is cross-signed by that identity.
    Verified,
}

impl ClerkDevices {
    pub fn as_str(self) -> &'static str {
        match self {
            ClerkDevices::CrossSigned => "cross-signed",
            ClerkDevices::Verified => "verified",
        }
    }
}

const NOT_A_ROOM: &str = "is not a room id (!id:server) or alias (#name:server)";

/// `[matrix]`, or `None` when something needed is missing or wrong (each problem noted in
/// `r`).
pub(crate) fn resolve(r: &mut Resolver<'_>, m: &RawMatrix) -> Option<MatrixSettings> {
    let homeserver = match Url::parse(&m.homeserver) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => Some(u),
        _ => {
            r.problem(format!(
                "matrix.homeserver: `{}` is not an http(s) URL",
                m.homeserver
            ));
            None
        }
    };
    if !is_matrix_user_id(&m.user) {
        r.problem(format!(
            "matrix.user: `{}` is not a Matrix user id (like @gavel:example.org)",
            m.user
        ));
    }
    let auth = auth(r, m);
    let command_rooms = rooms(r, "command_rooms", &m.command_rooms);
    let (targets, threads) = resolve_targets(
        r,
        "matrix",
        "room",
        &m.targets,
        MatrixRoomRef::parse,
        NOT_A_ROOM,
    );
    check_clerks(r, m);
    let store_passphrase = r.secret(
        "matrix",
        "store_passphrase",
        m.store_passphrase.as_deref(),
        m.store_passphrase_file.as_deref(),
        false,
    );
    let clerk_devices = match m.clerk_devices.as_deref().map(str::trim) {
        None | Some("cross-signed") => ClerkDevices::CrossSigned,
        Some("verified") => ClerkDevices::Verified,
        Some(other) => {
            r.problem(format!(
                "matrix.clerk_devices: `{other}` is not `cross-signed` or `verified`"
            ));
            ClerkDevices::CrossSigned
        }
    };
    let decrypt_wait = match m.decrypt_wait_secs {
        Some(0) => {
            r.problem("matrix.decrypt_wait_secs: must be at least 1".into());
            DEFAULT_DECRYPT_WAIT
        }
        Some(s) => std::time::Duration::from_secs(s),
        None => DEFAULT_DECRYPT_WAIT,
    };
    Some(MatrixSettings {
        homeserver: homeserver?,
        user: m.user.clone(),
        auth: auth?,
        command_rooms,
        clerks: m.clerks.clone(),
        targets,
        threads,
        store_passphrase,
        clerk_devices,
        decrypt_wait,
    })
}

/// Room keys usually arrive within seconds of the message; a minute covers a slow federation.
const DEFAULT_DECRYPT_WAIT: std::time::Duration = std::time::Duration::from_secs(60);

/// A password or an access token (each inline or from a file): exactly one.
fn auth(r: &mut Resolver<'_>, m: &RawMatrix) -> Option<MatrixAuth> {
    let password = r.secret(
        "matrix",
        "password",
        m.password.as_deref(),
        m.password_file.as_deref(),
        false,
    );
    let token = r.secret(
        "matrix",
        "access_token",
        m.access_token.as_deref(),
        m.access_token_file.as_deref(),
        false,
    );
    match (password, token) {
        (Some(p), None) => Some(MatrixAuth::Password(p)),
        (None, Some(t)) => Some(MatrixAuth::AccessToken(t)),
        (Some(_), Some(_)) => {
            r.problem("matrix: give either password or access_token, not both".into());
            None
        }
        (None, None) => {
            let had_any = m.password.is_some()
                || m.password_file.is_some()
                || m.access_token.is_some()
                || m.access_token_file.is_some();
            if !had_any {
                r.problem("matrix.password: missing (set `password`, `password_file`, `access_token` or `access_token_file`)".into());
            }
            None
        }
    }
}

/// The rooms listed under `key`; bad ones are noted and left out.
fn rooms(r: &mut Resolver<'_>, key: &str, list: &[String]) -> Vec<MatrixRoomRef> {
    let mut out = Vec::new();
    for (i, s) in list.iter().enumerate() {
        match MatrixRoomRef::parse(s) {
            Some(room) => out.push(room),
            None => r.problem(format!("matrix.{key}[{i}]: `{s}` {NOT_A_ROOM}")),
        }
    }
    out
}

/// Every clerk is a user id, and command rooms have at least one clerk.
fn check_clerks(r: &mut Resolver<'_>, m: &RawMatrix) {
    for (i, c) in m.clerks.iter().enumerate() {
        if !is_matrix_user_id(c) {
            r.problem(format!(
                "matrix.clerks[{i}]: `{c}` is not a Matrix user id (like @clerk:example.org)"
            ));
        }
    }
    if !m.command_rooms.is_empty() && m.clerks.is_empty() {
        r.problem("matrix.clerks: command rooms need at least one clerk user id".into());
    }
}

#[cfg(test)]
mod tests {
    use super::{MatrixRoomRef, is_matrix_user_id};

    #[test]
    fn matrix_ids_are_validated() {
        assert!(MatrixRoomRef::parse("!abc:example.org").is_some());
        assert!(
            MatrixRoomRef::parse("#council:example.org")
                .unwrap()
                .is_alias()
        );
        assert!(MatrixRoomRef::parse("council").is_none());
        assert!(MatrixRoomRef::parse("#:x").is_none());
        assert!(MatrixRoomRef::parse("!iZ3SBrn9pGGc65AJPSBht845wYK9Npe3uw3oUDHazAI").is_some());
        assert!(MatrixRoomRef::parse("#no-server").is_none());
        assert!(MatrixRoomRef::parse("!").is_none());
        assert!(is_matrix_user_id("@clerk:example.org"));
        assert!(!is_matrix_user_id("clerk"));
    }

    #[test]
    fn encryption_settings_default_and_bad_values_are_named() {
        use crate::config::testing::{BASE, check};
        let matrix = "[matrix]\nhomeserver = \"https://m.example.org\"\nuser = \"@gavel:example.org\"\npassword = \"pw\"\n";
        let c = check(&format!("{BASE}{matrix}"), &[]).unwrap();
        let m = c.matrix.unwrap();
        assert_eq!(m.clerk_devices, super::ClerkDevices::CrossSigned);
        assert_eq!(m.decrypt_wait, std::time::Duration::from_secs(60));
        assert!(m.store_passphrase.is_none());
        let c = check(
            &format!(
                "{BASE}{matrix}clerk_devices = \"verified\"\nstore_passphrase = \"${{STORE}}\"\n"
            ),
            &[("STORE", "sekrit")],
        )
        .unwrap();
        let m = c.matrix.unwrap();
        assert_eq!(m.clerk_devices, super::ClerkDevices::Verified);
        use secrecy::ExposeSecret;
        assert_eq!(m.store_passphrase.unwrap().expose_secret(), "sekrit");
        let e = check(
            &format!("{BASE}{matrix}clerk_devices = \"anyone\"\ndecrypt_wait_secs = 0\n"),
            &[],
        )
        .unwrap_err()
        .join("\n");
        assert!(e.contains("matrix.clerk_devices: `anyone`"), "{e}");
        assert!(e.contains("matrix.decrypt_wait_secs"), "{e}");
    }
}
