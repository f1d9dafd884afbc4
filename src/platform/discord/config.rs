//! `[discord]`: the bot token, the REST base and rate cap, and the channels and users Gavel
//! knows there, resolved into [`DiscordSettings`] through the shared error collector.

use std::collections::HashSet;
use std::fmt;

use secrecy::SecretString;
use serde::Deserialize;
use url::Url;

use crate::config::{RawTarget, Resolver, resolve_targets};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDiscord {
    pub token: Option<String>,
    pub token_file: Option<String>,
    pub api_base: Option<String>,
    pub requests_per_second: Option<u32>,
    pub guild_id: Option<String>,
    #[serde(default)]
    pub command_channels: Vec<String>,
    #[serde(default)]
    pub clerks: Vec<String>,
    #[serde(default)]
    pub targets: Vec<RawTarget>,
}

/// A Discord snowflake id (channel, user or guild).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DiscordId(pub u64);

impl DiscordId {
    pub fn parse(s: &str) -> Option<DiscordId> {
        let t = s.trim();
        if !(15..=20).contains(&t.len()) || !t.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        t.parse().ok().map(DiscordId)
    }
}

impl fmt::Display for DiscordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Requests per second Gavel allows itself on Discord by default: under Discord's global limit of
/// 50, with room for clock and network jitter.
pub const DISCORD_REQUESTS_PER_SECOND: u32 = 45;

#[derive(Debug, Clone)]
pub struct DiscordSettings {
    pub token: SecretString,
    pub api_base: Url,
    /// Gavel's own cap on requests per second to Discord, below Discord's global limit.
    pub requests_per_second: u32,
    pub guild_id: Option<DiscordId>,
    pub command_channels: Vec<DiscordId>,
    pub clerks: Vec<DiscordId>,
    pub targets: Vec<DiscordId>,
    /// Pin each meeting's first post. Off when the pinned status is on: that is the one pin.
    pub pin_meeting_start: bool,
    /// The targets (a subset of `targets`) where each meeting gets a thread under its opening
    /// post.
    pub threads: HashSet<DiscordId>,
}

/// `[discord]`, or `None` when something needed is missing or wrong (each problem noted in
/// `r`). The meeting-start pin is on; the caller turns it off when the pinned status is on.
pub(crate) fn resolve(r: &mut Resolver<'_>, d: &RawDiscord) -> Option<DiscordSettings> {
    let token = r.secret(
        "discord",
        "token",
        d.token.as_deref(),
        d.token_file.as_deref(),
        true,
    );
    let api_base = api_base(r, d.api_base.as_deref());
    let requests_per_second = requests_per_second(r, d.requests_per_second);
    let command_channels = ids(r, "command_channels", &d.command_channels, "channel");
    let clerks = ids(r, "clerks", &d.clerks, "user");
    let (targets, threads) = resolve_targets(
        r,
        "discord",
        "channel",
        &d.targets,
        DiscordId::parse,
        "is not a Discord channel id (a number of 17 to 20 digits)",
    );
    let guild_id = d.guild_id.as_deref().and_then(|g| {
        let id = DiscordId::parse(g);
        if id.is_none() {
            r.problem(format!(
                "discord.guild_id: `{g}` is not a Discord server id"
            ));
        }
        id
    });
    if d.command_channels.is_empty() && d.targets.is_empty() {
        r.problem("discord: set command_channels and/or targets".into());
    }
    if !d.command_channels.is_empty() && d.clerks.is_empty() {
        r.problem("discord.clerks: command channels need at least one clerk user id".into());
    }
    Some(DiscordSettings {
        token: token?,
        api_base: api_base?,
        requests_per_second,
        guild_id,
        command_channels,
        clerks,
        targets,
        pin_meeting_start: true,
        threads,
    })
}

/// `api_base`, by default Discord's own.
fn api_base(r: &mut Resolver<'_>, raw: Option<&str>) -> Option<Url> {
    let base = raw.unwrap_or("https://discord.com");
    match Url::parse(base) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => Some(u),
        _ => {
            r.problem(format!("discord.api_base: `{base}` is not an http(s) URL"));
            None
        }
    }
}

/// `requests_per_second`, by default [`DISCORD_REQUESTS_PER_SECOND`]; from 1 to 10,000.
fn requests_per_second(r: &mut Resolver<'_>, raw: Option<u32>) -> u32 {
    let n = raw.unwrap_or(DISCORD_REQUESTS_PER_SECOND);
    if !(1..=10_000).contains(&n) {
        r.problem(format!(
            "discord.requests_per_second: {n} is out of range (1 to 10000; Discord allows a bot 50 unless it raised your limit)"
        ));
    }
    n
}

/// The ids listed under `key`, each a Discord `what` id; bad ones are noted and left out.
fn ids(r: &mut Resolver<'_>, key: &str, list: &[String], what: &str) -> Vec<DiscordId> {
    let mut out = Vec::new();
    for (i, s) in list.iter().enumerate() {
        match DiscordId::parse(s) {
            Some(id) => out.push(id),
            None => r.problem(format!(
                "discord.{key}[{i}]: `{s}` is not a Discord {what} id (a number of 17 to 20 digits)"
            )),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::config::testing::{BASE, check};

    #[test]
    fn discord_requests_per_second_defaults_under_discords_limit_and_is_checked() {
        let discord = "[discord]\ntoken = \"t\"\ntargets = [\"810000000000000001\"]\n";
        let default = check(&format!("{BASE}{discord}"), &[]).unwrap();
        assert_eq!(default.discord.unwrap().requests_per_second, 45);
        let raised = check(&format!("{BASE}{discord}requests_per_second = 500\n"), &[]).unwrap();
        assert_eq!(raised.discord.unwrap().requests_per_second, 500);
        for bad in ["0", "20000"] {
            let e = check(
                &format!("{BASE}{discord}requests_per_second = {bad}\n"),
                &[],
            )
            .unwrap_err();
            assert!(
                e[0].starts_with(&format!(
                    "discord.requests_per_second: {bad} is out of range"
                )),
                "{e:?}"
            );
        }
    }
}
