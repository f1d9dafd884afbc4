//! `gavel check --probe` for Mastodon: per account, whether the instance answers
//! (`GET /api/v2/instance`), whether it accepts the token (`GET
//! /api/v1/accounts/verify_credentials`), and whether the token may post, read from the
//! scopes the instance reports for it (`GET /api/v1/apps/verify_credentials`, Mastodon 4.3
//! and later). Nothing is posted; where the instance does not say, the report says so.

use std::time::Duration;

use reqwest::Method;
use serde_json::Value;

use super::api::{Api, ApiError, Family};
use super::config::MastodonSettings;
use crate::config::TargetName;
use crate::probe::{Check, ProbeReport};

/// Probes one account. `pins`: whether the pinned status is on (pinning needs
/// `write:accounts`).
pub async fn probe(settings: &MastodonSettings, pins: bool) -> ProbeReport {
    let target = TargetName::mastodon(&settings.name).into();
    let api = match Api::new(
        &settings.instance,
        settings.access_token.clone(),
        Duration::from_secs(10),
    ) {
        Ok(api) => api.max_inline_wait(Duration::ZERO),
        Err(e) => {
            let why = Check::NotChecked("unreachable".into());
            return ProbeReport {
                notes: Vec::new(),
                target,
                reachable: Check::No(format!("cannot build an HTTP client: {e}")),
                authorised: why.clone(),
                can_post: why.clone(),
                can_edit: why,
            };
        }
    };
    let get = |path: &'static str| api.request(Family::Other, Method::GET, path, None, None);
    // Instances before Mastodon 4.0 have only the first version of the instance document.
    let reachable = match get("/api/v2/instance").await {
        Err(ApiError::NotFound(_)) => get("/api/v1/instance").await,
        other => other,
    };
    let reachable = match reachable {
        Ok(_) => Check::Yes,
        Err(e @ (ApiError::Transport(_) | ApiError::Server(..) | ApiError::RateLimited(_))) => {
            Check::No(e.to_string())
        }
        Err(e) => Check::No(format!("{e}: is `instance` a Mastodon server?")),
    };
    if reachable != Check::Yes {
        let why = Check::NotChecked("unreachable".into());
        return ProbeReport {
            notes: Vec::new(),
            target,
            reachable,
            authorised: why.clone(),
            can_post: why.clone(),
            can_edit: why,
        };
    }
    let app = get("/api/v1/apps/verify_credentials").await;
    let authorised = match get("/api/v1/accounts/verify_credentials").await {
        Ok(_) => Check::Yes,
        Err(ApiError::Unauthorized) => Check::No(
            "the instance rejected the access token: check access_token / access_token_file".into(),
        ),
        Err(ApiError::Forbidden(_)) if app.is_ok() => Check::NotChecked(
            "the token is accepted, but without read:accounts the account cannot be read".into(),
        ),
        Err(e) => Check::No(e.to_string()),
    };
    let scopes = match &app {
        Ok(doc) => scopes(doc),
        Err(_) => None,
    };
    let (can_post, can_edit) = if matches!(authorised, Check::No(_)) {
        let why = Check::NotChecked("the token was not accepted".into());
        (why.clone(), why)
    } else {
        match scopes {
            None => {
                let why = Check::NotChecked(
                    "the instance does not report the token's scopes (Mastodon before 4.3); posting needs write:statuses and only a post would tell".into(),
                );
                (why.clone(), why)
            }
            Some(scopes) => judge(&scopes, pins),
        }
    };
    ProbeReport {
        notes: Vec::new(),
        target,
        reachable,
        authorised,
        can_post,
        can_edit,
    }
}

/// The `scopes` an app's credentials list, when the instance gives them.
fn scopes(app: &Value) -> Option<Vec<String>> {
    let list = app["scopes"].as_array()?;
    Some(
        list.iter()
            .filter_map(|s| s.as_str().map(str::to_string))
            .collect(),
    )
}

/// Whether `scopes` let Gavel post, and edit, delete (and, with `pins`, pin).
fn judge(scopes: &[String], pins: bool) -> (Check, Check) {
    let has = |s: &str| scopes.iter().any(|x| x == s);
    let statuses = has("write") || has("write:statuses");
    let accounts = has("write") || has("write:accounts");
    let listed = scopes.join(" ");
    if !statuses {
        let no = Check::No(format!(
            "the token's scopes are `{listed}`: posting needs write:statuses"
        ));
        return (no.clone(), no);
    }
    let edit = if pins && !accounts {
        Check::No(format!(
            "edits and deletes yes, but pinning the status needs write:accounts (scopes: `{listed}`)"
        ))
    } else {
        Check::Yes
    };
    (Check::Yes, edit)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(list: &[&str]) -> Vec<String> {
        list.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn mastodon_scopes_decide_posting_and_pinning() {
        assert_eq!(
            judge(&s(&["write:statuses", "read:accounts"]), false),
            (Check::Yes, Check::Yes)
        );
        assert!(matches!(
            judge(&s(&["write:statuses"]), true).1,
            Check::No(m) if m.contains("write:accounts")
        ));
        assert_eq!(judge(&s(&["write"]), true), (Check::Yes, Check::Yes));
        assert!(matches!(
            judge(&s(&["read"]), false).0,
            Check::No(m) if m.contains("needs write:statuses")
        ));
        assert_eq!(scopes(&serde_json::json!({"name": "gavel"})), None);
    }
}
