//! `[api]`: the HTTP clerk API's bearer tokens (read from a credentials file) and rate limit.

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::{Resolver, Secrets};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawApi {
    pub tokens_file: String,
    /// Commands per minute per token.
    pub rate_per_minute: Option<u32>,
}

#[derive(Debug, Clone)]
pub struct ApiSettings {
    pub tokens: Vec<SecretString>,
    pub rate_per_minute: u32,
}

/// The API settings: at least one token, each at least 16 characters (no tokens are read when
/// secrets are skipped).
pub(crate) fn resolve(r: &mut Resolver<'_>, a: &RawApi) -> Option<ApiSettings> {
    let per_minute = a.rate_per_minute.unwrap_or(60);
    if per_minute == 0 {
        r.problem("api.rate_per_minute: must be at least 1".into());
    }
    if r.secrets() == Secrets::Skip {
        return Some(ApiSettings {
            tokens: Vec::new(),
            rate_per_minute: per_minute,
        });
    }
    let text = r.read_file("api.tokens_file", &a.tokens_file)?;
    let tokens: Vec<SecretString> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| SecretString::from(l.to_string()))
        .collect();
    if tokens.is_empty() {
        r.problem("api.tokens_file: holds no tokens (one per line)".into());
        return None;
    }
    if tokens.iter().any(|t| t.expose_secret().len() < 16) {
        r.problem("api.tokens_file: every token must be at least 16 characters".into());
    }
    Some(ApiSettings {
        tokens,
        rate_per_minute: per_minute,
    })
}
