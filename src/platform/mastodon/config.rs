//! `[[mastodon]]`: each account's instance, its access token and the visibility of its
//! statuses, resolved into [`MastodonSettings`] through the shared error collector.
//!
//! The instance must be an `https` URL; plain `http` is accepted only for a loopback host
//! (`localhost`, `127.0.0.1`, `::1`), where a test server or a local TLS-terminating proxy
//! listens, because the token travels in every request. `visibility = "direct"` is refused:
//! a direct status is a private message to the accounts it mentions, and Gavel mentions no one.

use std::collections::HashSet;
use std::fmt;

use secrecy::SecretString;
use serde::Deserialize;
use url::Url;

use crate::config::Resolver;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMastodon {
    pub instance: String,
    pub access_token: Option<String>,
    pub access_token_file: Option<String>,
    pub visibility: Option<String>,
    pub name: Option<String>,
}

/// Who sees a status, as Mastodon names it (`public`, `unlisted`, `private` = followers only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    Public,
    Unlisted,
    Private,
}

impl Visibility {
    pub fn parse(s: &str) -> Option<Visibility> {
        match s {
            "public" => Some(Visibility::Public),
            "unlisted" => Some(Visibility::Unlisted),
            "private" => Some(Visibility::Private),
            _ => None,
        }
    }

    /// The value of a status's `visibility` field.
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Unlisted => "unlisted",
            Visibility::Private => "private",
        }
    }
}

impl fmt::Display for Visibility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One resolved `[[mastodon]]` account.
#[derive(Debug, Clone)]
pub struct MastodonSettings {
    /// The target's name after `mastodon:`: `name`, or the instance's host.
    pub name: String,
    /// The instance's base URL, e.g. `https://social.example.gov.uk/`.
    pub instance: Url,
    pub access_token: SecretString,
    pub visibility: Visibility,
}

/// Every `[[mastodon]]` that resolves; names must be distinct and safe in a target name.
pub(crate) fn resolve(r: &mut Resolver<'_>, raw: &[RawMastodon]) -> Vec<MastodonSettings> {
    let mut names = HashSet::new();
    let mut accounts = Vec::new();
    for (i, m) in raw.iter().enumerate() {
        let section = format!("mastodon[{i}]");
        let instance = instance(r, &section, &m.instance);
        let name = match (&m.name, &instance) {
            (Some(n), _) => Some(n.clone()),
            (None, Some(u)) => u.host_str().map(str::to_string),
            (None, None) => None,
        };
        if let Some(n) = &name {
            check_name(r, &section, n, m.name.is_some(), &mut names);
        }
        let visibility = visibility(r, &section, m.visibility.as_deref());
        let access_token = r.secret(
            &section,
            "access_token",
            m.access_token.as_deref(),
            m.access_token_file.as_deref(),
            true,
        );
        if let (Some(name), Some(instance), Some(access_token), Some(visibility)) =
            (name, instance, access_token, visibility)
        {
            accounts.push(MastodonSettings {
                name,
                instance,
                access_token,
                visibility,
            });
        }
    }
    accounts
}

/// The instance's base URL: https (or http on a loopback host), with no query or fragment.
fn instance(r: &mut Resolver<'_>, section: &str, raw: &str) -> Option<Url> {
    let Ok(url) = Url::parse(raw.trim()) else {
        r.problem(format!(
            "{section}.instance: `{raw}` is not a URL (like https://social.example.gov.uk)"
        ));
        return None;
    };
    let loopback = matches!(
        url.host_str(),
        Some("localhost" | "127.0.0.1" | "[::1]" | "::1")
    );
    let ok = match url.scheme() {
        "https" => true,
        "http" => loopback,
        _ => false,
    };
    if !ok || url.host_str().is_none() {
        r.problem(format!(
            "{section}.instance: `{raw}` must be an https:// URL (plain http only on localhost)"
        ));
        return None;
    }
    if url.query().is_some() || url.fragment().is_some() {
        r.problem(format!(
            "{section}.instance: `{raw}` must be the instance's address, without ? or #"
        ));
        return None;
    }
    Some(url)
}

fn visibility(r: &mut Resolver<'_>, section: &str, raw: Option<&str>) -> Option<Visibility> {
    let Some(raw) = raw else {
        return Some(Visibility::Public);
    };
    let v = Visibility::parse(raw);
    if v.is_none() {
        let why = if raw == "direct" {
            " (direct statuses reach only mentioned accounts, and Gavel mentions no one)"
        } else {
            ""
        };
        r.problem(format!(
            "{section}.visibility: `{raw}` is not one of public, unlisted, private{why}"
        ));
    }
    v
}

/// A name is letters, digits, `.`, `-` or `_`, and used by one account only.
fn check_name(
    r: &mut Resolver<'_>,
    section: &str,
    name: &str,
    explicit: bool,
    seen: &mut HashSet<String>,
) {
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    if !valid {
        r.problem(format!(
            "{section}.name: `{name}` must be letters, digits, ., - or _"
        ));
    } else if !seen.insert(name.to_string()) {
        let hint = if explicit {
            ""
        } else {
            " (the instance's host, by default): give each account its own `name`"
        };
        r.problem(format!(
            "{section}.name: `{name}` is used by another [[mastodon]] account{hint}"
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::Visibility;
    use crate::config::testing::{BASE, check};

    fn account(body: &str) -> String {
        format!("{BASE}[[mastodon]]\n{body}\n")
    }

    #[test]
    fn a_minimal_account_is_public_and_named_after_its_instance() {
        let c = check(
            &account("instance = \"https://social.example.gov.uk\"\naccess_token = \"${TOK}\""),
            &[("TOK", "secret-token-1")],
        )
        .unwrap();
        let m = &c.mastodon[0];
        assert_eq!(m.name, "social.example.gov.uk");
        assert_eq!(m.visibility, Visibility::Public);
        assert!(!format!("{c:?}").contains("secret-token-1"));
    }

    #[test]
    fn mastodon_direct_and_unknown_visibilities_are_refused_naming_the_key() {
        for (v, needle) in [
            (
                "direct",
                "mastodon[0].visibility: `direct` is not one of public, unlisted, private (direct statuses",
            ),
            (
                "friends",
                "mastodon[0].visibility: `friends` is not one of public, unlisted, private",
            ),
        ] {
            let p = check(
                &account(&format!(
                    "instance = \"https://s.example\"\naccess_token = \"t\"\nvisibility = \"{v}\""
                )),
                &[],
            )
            .unwrap_err();
            assert!(p.iter().any(|l| l.starts_with(needle)), "{p:?}");
        }
        for v in ["public", "unlisted", "private"] {
            let c = check(
                &account(&format!(
                    "instance = \"https://s.example\"\naccess_token = \"t\"\nvisibility = \"{v}\""
                )),
                &[],
            )
            .unwrap();
            assert_eq!(c.mastodon[0].visibility.as_str(), v);
        }
    }

    #[test]
    fn mastodon_instance_must_be_https_except_on_loopback() {
        for bad in [
            "http://social.example",
            "ftp://social.example",
            "social.example",
        ] {
            let p = check(
                &account(&format!("instance = \"{bad}\"\naccess_token = \"t\"")),
                &[],
            )
            .unwrap_err();
            assert!(
                p.iter().any(|l| l.starts_with("mastodon[0].instance:")),
                "{bad}: {p:?}"
            );
        }
        let c = check(
            &account("instance = \"http://127.0.0.1:8080\"\naccess_token = \"t\""),
            &[],
        )
        .unwrap();
        assert_eq!(c.mastodon[0].name, "127.0.0.1");
    }

    #[test]
    fn mastodon_token_is_required_once_and_names_are_distinct() {
        let text = format!(
            "{BASE}[[mastodon]]\ninstance = \"https://s.example\"\n\
             [[mastodon]]\ninstance = \"https://s.example\"\naccess_token = \"a\"\naccess_token_file = \"f\"\n\
             [[mastodon]]\ninstance = \"https://s.example\"\naccess_token = \"b\"\n\
             [[mastodon]]\ninstance = \"https://t.example\"\naccess_token = \"c\"\nname = \"has space\"\n"
        );
        let all = check(&text, &[]).unwrap_err().join("\n");
        for needle in [
            "mastodon[0].access_token: missing (set `access_token` or `access_token_file`)",
            "mastodon[1].access_token: give either `access_token` or `access_token_file`, not both",
            "mastodon[1].name: `s.example` is used by another [[mastodon]] account (the instance's host, by default)",
            "mastodon[3].name: `has space` must be letters, digits, ., - or _",
        ] {
            assert!(all.contains(needle), "missing {needle:?} in:\n{all}");
        }
    }
}
