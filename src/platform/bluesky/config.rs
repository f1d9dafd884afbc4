//! `[[bluesky]]`: each account's PDS, handle and app password, resolved into
//! [`BlueskySettings`] through the shared error collector.

use std::collections::HashSet;

use secrecy::SecretString;
use serde::Deserialize;
use url::Url;

use crate::config::Resolver;

/// Bluesky's own PDS, for accounts hosted by Bluesky.
pub const DEFAULT_SERVICE: &str = "https://bsky.social";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBluesky {
    /// The account's PDS (default `https://bsky.social`).
    pub service: Option<String>,
    /// `council.example.gov.uk` (a leading `@` is allowed).
    pub handle: String,
    pub app_password: Option<String>,
    pub app_password_file: Option<String>,
}

#[derive(Debug, Clone)]
pub struct BlueskySettings {
    pub service: Url,
    /// Lower-case, without `@`.
    pub handle: String,
    pub app_password: SecretString,
}

/// Every `[[bluesky]]` that resolves; each handle once.
pub(crate) fn resolve(r: &mut Resolver<'_>, raw: &[RawBluesky]) -> Vec<BlueskySettings> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for (i, b) in raw.iter().enumerate() {
        let section = format!("bluesky[{i}]");
        let service = b.service.as_deref().unwrap_or(DEFAULT_SERVICE);
        let service = match Url::parse(service) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => Some(u),
            _ => {
                r.problem(format!(
                    "{section}.service: `{service}` is not an http(s) URL"
                ));
                None
            }
        };
        let handle = b.handle.trim().trim_start_matches('@').to_ascii_lowercase();
        if !is_handle(&handle) {
            r.problem(format!(
                "{section}.handle: `{}` is not a handle like council.example.gov.uk",
                b.handle
            ));
        } else if !seen.insert(handle.clone()) {
            r.problem(format!("{section}.handle: `{handle}` is configured twice"));
        }
        let password = r.secret(
            &section,
            "app_password",
            b.app_password.as_deref(),
            b.app_password_file.as_deref(),
            true,
        );
        if let (Some(service), Some(app_password)) = (service, password) {
            out.push(BlueskySettings {
                service,
                handle,
                app_password,
            });
        }
    }
    out
}

/// A domain name of at least two labels (the AT Protocol handle syntax).
fn is_handle(h: &str) -> bool {
    let labels: Vec<&str> = h.split('.').collect();
    h.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.starts_with(|c: char| c.is_ascii_alphabetic()))
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use crate::config::testing::{BASE, check};

    #[test]
    fn an_account_defaults_to_bluesky_social_and_reads_its_app_password() {
        let text = format!(
            "{BASE}[[bluesky]]\nhandle = \"@Council.Example.gov.uk\"\napp_password = \"${{BSKY}}\"\n"
        );
        let c = check(&text, &[("BSKY", "abcd-efgh-ijkl-mnop")]).unwrap();
        let b = &c.bluesky[0];
        assert_eq!(b.service.as_str(), "https://bsky.social/");
        assert_eq!(b.handle, "council.example.gov.uk");
        assert_eq!(b.app_password.expose_secret(), "abcd-efgh-ijkl-mnop");
    }

    #[test]
    fn a_bad_account_is_named() {
        let text = format!(
            "{BASE}[[bluesky]]\nservice = \"ftp://pds\"\nhandle = \"not a handle\"\n\
             [[bluesky]]\nhandle = \"a.example\"\napp_password = \"x\"\n\
             [[bluesky]]\nhandle = \"a.example\"\napp_password = \"y\"\n"
        );
        let all = check(&text, &[]).unwrap_err().join("\n");
        for needle in [
            "bluesky[0].service: `ftp://pds`",
            "bluesky[0].handle: `not a handle`",
            "bluesky[0].app_password: missing",
            "bluesky[2].handle: `a.example` is configured twice",
        ] {
            assert!(all.contains(needle), "{needle} not in:\n{all}");
        }
    }
}
