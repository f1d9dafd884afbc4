//! What Gavel calls each delivery target: `web`, `discord:<channel id>`, `matrix:<room as
//! configured>`, `webhook:<name>`, `mastodon:<name>` and `bluesky:<handle>`. These names key
//! the outbox's queues in the archive, so they must never change shape; every part of Gavel
//! that names a target (startup, sinks, `gavel check`, probes, metrics) builds the name here.

use std::fmt;

use super::Config;
use crate::platform::discord::config::DiscordId;
use crate::platform::matrix::config::MatrixRoomRef;

/// The platform a target delivers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    Web,
    Discord,
    Matrix,
    Webhook,
    Bluesky,
    Mastodon,
}

/// The name of one delivery target, as the outbox and the archive know it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TargetName(String);

impl TargetName {
    /// The live web page.
    pub fn web() -> TargetName {
        TargetName("web".into())
    }

    /// A Discord channel.
    pub fn discord(channel: DiscordId) -> TargetName {
        TargetName(format!("discord:{channel}"))
    }

    /// A Matrix room, by id or alias as configured.
    pub fn matrix(room: &MatrixRoomRef) -> TargetName {
        TargetName(format!("matrix:{room}"))
    }

    /// A `[[webhook]]`, by its name.
    pub fn webhook(name: &str) -> TargetName {
        TargetName(format!("webhook:{name}"))
    }

    /// A `[[bluesky]]` account, by its handle.
    pub fn bluesky(handle: &str) -> TargetName {
        TargetName(format!("bluesky:{handle}"))
    }

    /// A `[[mastodon]]` account, by its name (the instance's host unless named).
    pub fn mastodon(name: &str) -> TargetName {
        TargetName(format!("mastodon:{name}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TargetName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<TargetName> for String {
    fn from(name: TargetName) -> String {
        name.0
    }
}

/// One configured delivery target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetSpec {
    pub name: TargetName,
    pub platform: Platform,
}

impl Config {
    /// Every delivery target this config names, in the order startup builds their sinks:
    /// the web page, webhooks, Mastodon accounts, Matrix rooms, Discord channels, then Bluesky
    /// accounts.
    pub fn targets(&self) -> Vec<TargetSpec> {
        let spec = |name, platform| TargetSpec { name, platform };
        let web = self
            .web
            .iter()
            .map(|_| spec(TargetName::web(), Platform::Web));
        let webhooks = self
            .webhooks
            .iter()
            .map(|w| spec(TargetName::webhook(&w.name), Platform::Webhook));
        let mastodon = self
            .mastodon
            .iter()
            .map(|m| spec(TargetName::mastodon(&m.name), Platform::Mastodon));
        let matrix = self.matrix.iter().flat_map(|m| {
            m.targets
                .iter()
                .map(|room| spec(TargetName::matrix(room), Platform::Matrix))
        });
        let discord = self.discord.iter().flat_map(|d| {
            d.targets
                .iter()
                .map(|ch| spec(TargetName::discord(*ch), Platform::Discord))
        });
        let bluesky = self
            .bluesky
            .iter()
            .map(|b| spec(TargetName::bluesky(&b.handle), Platform::Bluesky));
        web.chain(webhooks)
            .chain(mastodon)
            .chain(matrix)
            .chain(discord)
            .chain(bluesky)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::Platform;
    use crate::config::testing::{BASE, DISCORD, MATRIX, check};

    #[test]
    fn every_configured_target_is_named_in_startup_order() {
        let text = format!(
            "{BASE}[web]\nlisten = \"127.0.0.1:8080\"\n\
             {DISCORD}targets = [\"123456789012345678\"]\n\
             {MATRIX}targets = [\"#live:hs.example\"]\n\
             [[webhook]]\nname = \"slack\"\nurl = \"https://hooks.example/x\"\nformat = \"slack\"\n\
             [[mastodon]]\ninstance = \"https://social.example\"\naccess_token = \"t\"\n\
             [[mastodon]]\ninstance = \"https://social.example\"\naccess_token = \"u\"\nname = \"planning\"\n"
        );
        let c = check(&text, &[]).unwrap();
        let named: Vec<(String, Platform)> = c
            .targets()
            .into_iter()
            .map(|t| (t.name.into(), t.platform))
            .collect();
        assert_eq!(
            named,
            [
                ("web".to_string(), Platform::Web),
                ("webhook:slack".to_string(), Platform::Webhook),
                ("mastodon:social.example".to_string(), Platform::Mastodon),
                ("mastodon:planning".to_string(), Platform::Mastodon),
                ("matrix:#live:hs.example".to_string(), Platform::Matrix),
                ("discord:123456789012345678".to_string(), Platform::Discord),
            ]
        );
    }

    #[test]
    fn a_config_without_targets_names_none() {
        assert!(check(BASE, &[]).unwrap().targets().is_empty());
    }
}
