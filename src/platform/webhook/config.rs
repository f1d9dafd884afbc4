//! `[[webhook]]`: each webhook's name, its secret URL and its payload format, resolved into
//! [`WebhookSettings`] through the shared error collector.

use std::collections::HashSet;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use url::Url;

use super::Format;
use crate::config::{Resolver, Secrets};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWebhook {
    pub name: String,
    pub url: Option<String>,
    pub url_file: Option<String>,
    pub format: String,
}

#[derive(Debug, Clone)]
pub struct WebhookSettings {
    pub name: String,
    pub url: SecretString,
    pub format: Format,
}

/// Every `[[webhook]]` that resolves; names must be distinct and safe in a target name.
pub(crate) fn resolve(r: &mut Resolver<'_>, raw: &[RawWebhook]) -> Vec<WebhookSettings> {
    let mut names = HashSet::new();
    let mut webhooks = Vec::new();
    for (i, w) in raw.iter().enumerate() {
        let section = format!("webhook[{i}]");
        check_name(r, &section, &w.name, &mut names);
        let format = Format::parse(&w.format);
        if format.is_none() {
            r.problem(format!(
                "{section}.format: `{}` is not one of slack, mattermost, teams, json",
                w.format
            ));
        }
        let url = r.secret(
            &section,
            "url",
            w.url.as_deref(),
            w.url_file.as_deref(),
            true,
        );
        if let Some(u) = &url
            && r.secrets() == Secrets::Resolve
            && !is_http_url(u.expose_secret())
        {
            // The value may hold a token: never echo it.
            r.problem(format!("{section}.url: is not an http(s) URL"));
        }
        if let (Some(url), Some(format)) = (url, format) {
            webhooks.push(WebhookSettings {
                name: w.name.clone(),
                url,
                format,
            });
        }
    }
    webhooks
}

/// A name is letters, digits, `-` or `_`, and used by one webhook only.
fn check_name(r: &mut Resolver<'_>, section: &str, name: &str, seen: &mut HashSet<String>) {
    if name.trim().is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        r.problem(format!(
            "{section}.name: `{name}` must be letters, digits, - or _"
        ));
    } else if !seen.insert(name.to_string()) {
        r.problem(format!(
            "{section}.name: `{name}` is used by another webhook"
        ));
    }
}

fn is_http_url(s: &str) -> bool {
    Url::parse(s).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
}
