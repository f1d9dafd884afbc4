//! Discord: clerk commands in through the gateway, entries out to channels.
//!
//! - [`input`]: the gateway (serenity) for commands and `/gavel` slash commands; catch-up from
//!   history after a new session.
//! - [`sink`]: one target per channel (`discord:<channel id>`): split posts, edits, deletes.
//! - [`render`]: splitting under 2,000 characters and message bodies with `allowed_mentions`
//!   that allow no ping.
//! - [`rest`]: Gavel's own REST client against `api_base`, with Discord's rate limits.
//!
//! See `docs/discord.md` for application setup, permissions and behaviour while disconnected.

pub mod input;
pub mod render;
pub mod rest;
pub mod sink;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::config::DiscordSettings;
use crate::sink::Sink;
pub use input::DiscordInput;
pub use rest::{Rest, RestError};
pub use sink::DiscordSink;

/// Everything Discord contributes to the app: named sinks and (if there are command channels)
/// the input.
pub struct DiscordPlatform {
    pub sinks: Vec<(String, Arc<dyn Sink>)>,
    pub input: DiscordInput,
}

impl DiscordPlatform {
    pub fn build(
        settings: &DiscordSettings,
        state_dir: PathBuf,
    ) -> Result<DiscordPlatform, reqwest::Error> {
        let rest = Arc::new(Rest::new(
            &settings.api_base,
            settings.token.clone(),
            Duration::from_secs(15),
        )?);
        let sinks = settings
            .targets
            .iter()
            .map(|ch| {
                (
                    format!("discord:{ch}"),
                    Arc::new(DiscordSink::new(Arc::clone(&rest), *ch)) as Arc<dyn Sink>,
                )
            })
            .collect();
        Ok(DiscordPlatform {
            sinks,
            input: DiscordInput::new(settings.clone(), rest, state_dir),
        })
    }
}
