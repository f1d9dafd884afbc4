//! Who may use the desk: password checks against the clerks file (argon2, always run, so a
//! wrong name takes as long as a wrong password), sign-in rate limits per client address and per
//! account, in-memory sessions with an idle expiry, and each session's CSRF token.
//!
//! Secrets here (passwords, session ids, CSRF tokens, hashes) are never logged.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHasher, SaltString};
use argon2::{Argon2, PasswordHash, PasswordVerifier};
use secrecy::ExposeSecret;
use subtle::ConstantTimeEq;

use crate::config::ClerkAccount;

/// Shortest password `gavel desk add-clerk` accepts.
pub const MIN_PASSWORD: usize = 12;
/// Refused sign-ins allowed per address and per account within [`FAILURE_WINDOW`].
pub const MAX_FAILURES: usize = 5;
pub const FAILURE_WINDOW: Duration = Duration::from_secs(5 * 60);

/// A fresh random token: 32 bytes (256 bits) from the operating system, as hex.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// The argon2id PHC string for `password`, with a fresh salt.
pub fn hash_password(password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| format!("could not hash the password: {e}"))
}

/// Why `add-clerk` refuses a password, if it does.
pub fn weak_password(password: &str) -> Option<String> {
    (password.chars().count() < MIN_PASSWORD)
        .then(|| format!("a desk password must be at least {MIN_PASSWORD} characters"))
}

fn verifies(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// A hash no password matches, checked when the name is unknown so that the answer takes as
/// long as for a known name.
fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| hash_password(&random_token()).unwrap_or_default())
}

/// The clerk's name as configured when `name` and `password` match an account.
pub fn check_password(clerks: &[ClerkAccount], name: &str, password: &str) -> Option<String> {
    let clerk = clerks.iter().find(|c| c.name.eq_ignore_ascii_case(name));
    match clerk {
        Some(c) => verifies(c.hash.expose_secret(), password).then(|| c.name.clone()),
        None => {
            let _ = verifies(decoy_hash(), password);
            None
        }
    }
}

/// Constant-time comparison of a presented CSRF token with the session's.
pub fn csrf_ok(expected: &str, presented: Option<&str>) -> bool {
    presented.is_some_and(|p| {
        !p.is_empty()
            && p.len() == expected.len()
            && bool::from(p.as_bytes().ct_eq(expected.as_bytes()))
    })
}

/// Refused sign-ins, counted per key (`addr:…`, `name:…`) in a sliding window.
#[derive(Debug, Default)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl LoginLimiter {
    /// `Err(wait)` when any of `keys` has had [`MAX_FAILURES`] refusals within the window.
    pub fn check(&self, keys: &[String], now: Instant) -> Result<(), Duration> {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let mut wait = None;
        for k in keys {
            if let Some(q) = map.get_mut(k) {
                while q
                    .front()
                    .is_some_and(|t| now.saturating_duration_since(*t) >= FAILURE_WINDOW)
                {
                    q.pop_front();
                }
                if q.len() >= MAX_FAILURES
                    && let Some(oldest) = q.front()
                {
                    let w = FAILURE_WINDOW.saturating_sub(now.saturating_duration_since(*oldest));
                    wait = Some(wait.map_or(w, |x: Duration| x.max(w)));
                }
            }
        }
        map.retain(|_, q| !q.is_empty());
        wait.map_or(Ok(()), Err)
    }

    /// Counts one refused sign-in against each of `keys`.
    pub fn fail(&self, keys: &[String], now: Instant) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        for k in keys {
            map.entry(k.clone()).or_default().push_back(now);
        }
    }
}

/// What the desk says once after a redirect: a command's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flash {
    pub ok: bool,
    pub text: String,
}

#[derive(Debug, Clone)]
pub struct Session {
    pub clerk: String,
    pub csrf: String,
    pub flash: Option<Flash>,
    last_seen: Instant,
}

/// Signed-in clerks, by session id, in memory: a restart signs everyone out.
#[derive(Debug)]
pub struct Sessions {
    map: Mutex<HashMap<String, Session>>,
    idle: Duration,
}

impl Sessions {
    pub fn new(idle: Duration) -> Sessions {
        Sessions {
            map: Mutex::new(HashMap::new()),
            idle,
        }
    }

    /// A new session for `clerk`; returns its id.
    pub fn create(&self, clerk: &str, now: Instant) -> String {
        let id = random_token();
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        map.retain(|_, s| now.saturating_duration_since(s.last_seen) < self.idle);
        map.insert(
            id.clone(),
            Session {
                clerk: clerk.to_string(),
                csrf: random_token(),
                flash: None,
                last_seen: now,
            },
        );
        id
    }

    /// The live session `id`, touched (the clerk did something); an idle one is ended.
    pub fn get(&self, id: &str, now: Instant) -> Option<Session> {
        self.lookup(id, now, true)
    }

    /// The live session `id`, not touched: the desk's own refreshes do not keep an unattended
    /// desk signed in.
    pub fn peek(&self, id: &str, now: Instant) -> Option<Session> {
        self.lookup(id, now, false)
    }

    fn lookup(&self, id: &str, now: Instant, touch: bool) -> Option<Session> {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        let s = map.get_mut(id)?;
        if now.saturating_duration_since(s.last_seen) >= self.idle {
            map.remove(id);
            return None;
        }
        if touch {
            s.last_seen = now;
        }
        Some(s.clone())
    }

    /// Takes the session's flash (shown once).
    pub fn take_flash(&self, id: &str) -> Option<Flash> {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        map.get_mut(id).and_then(|s| s.flash.take())
    }

    pub fn set_flash(&self, id: &str, flash: Flash) {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(s) = map.get_mut(id) {
            s.flash = Some(flash);
        }
    }

    pub fn remove(&self, id: &str) {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::SecretString;

    fn clerk(name: &str, password: &str) -> ClerkAccount {
        ClerkAccount {
            name: name.into(),
            hash: SecretString::from(hash_password(password).unwrap()),
        }
    }

    #[test]
    fn a_password_verifies_against_its_hash_and_nothing_else_does() {
        let clerks = vec![clerk("alice", "correct horse battery")];
        assert_eq!(
            check_password(&clerks, "Alice", "correct horse battery").as_deref(),
            Some("alice")
        );
        assert_eq!(
            check_password(&clerks, "alice", "correct horse batter"),
            None
        );
        assert_eq!(
            check_password(&clerks, "bob", "correct horse battery"),
            None
        );
        assert!(hash_password("x").unwrap().starts_with("$argon2id$"));
    }

    #[test]
    fn short_passwords_are_weak() {
        assert!(weak_password("elevenchars").is_some());
        assert!(weak_password("twelve chars").is_none());
    }

    #[test]
    fn csrf_tokens_must_match_exactly() {
        let t = random_token();
        assert_eq!(t.len(), 64);
        assert!(csrf_ok(&t, Some(&t)));
        assert!(!csrf_ok(&t, None));
        assert!(!csrf_ok(&t, Some("")));
        assert!(!csrf_ok(&t, Some(&t[..63])));
        assert!(!csrf_ok(&t, Some(&random_token())));
    }

    #[test]
    fn sign_ins_are_limited_per_key_until_the_window_passes() {
        let l = LoginLimiter::default();
        let t0 = Instant::now();
        let keys = vec!["addr:1".to_string(), "name:alice".to_string()];
        for _ in 0..MAX_FAILURES {
            assert!(l.check(&keys, t0).is_ok());
            l.fail(&keys, t0);
        }
        let wait = l.check(&keys, t0).unwrap_err();
        assert_eq!(wait, FAILURE_WINDOW);
        // Another address is still limited on the same account name …
        assert!(
            l.check(&["addr:2".into(), "name:alice".into()], t0)
                .is_err()
        );
        // … while another account from another address is not.
        assert!(l.check(&["addr:2".into(), "name:bob".into()], t0).is_ok());
        assert!(l.check(&keys, t0 + FAILURE_WINDOW).is_ok());
    }

    #[test]
    fn sessions_expire_when_idle_and_keep_one_flash() {
        let s = Sessions::new(Duration::from_secs(60));
        let t0 = Instant::now();
        let id = s.create("alice", t0);
        assert_eq!(id.len(), 64);
        let got = s.get(&id, t0 + Duration::from_secs(59)).unwrap();
        assert_eq!(got.clerk, "alice");
        s.set_flash(
            &id,
            Flash {
                ok: true,
                text: "done".into(),
            },
        );
        assert_eq!(s.take_flash(&id).unwrap().text, "done");
        assert!(s.take_flash(&id).is_none());
        // Touched at 59 s, so alive at 118 s, gone after another idle minute.
        assert!(s.get(&id, t0 + Duration::from_secs(118)).is_some());
        assert!(s.get(&id, t0 + Duration::from_secs(178)).is_none());
        assert!(s.get("nope", t0).is_none());
    }

    #[test]
    fn refreshes_do_not_keep_an_unattended_session_alive() {
        let s = Sessions::new(Duration::from_secs(60));
        let t0 = Instant::now();
        let id = s.create("alice", t0);
        assert!(s.peek(&id, t0 + Duration::from_secs(30)).is_some());
        assert!(s.peek(&id, t0 + Duration::from_secs(59)).is_some());
        assert!(s.peek(&id, t0 + Duration::from_secs(60)).is_none());
        assert!(
            s.get(&id, t0 + Duration::from_secs(61)).is_none(),
            "ended for good"
        );
    }
}
