//! Discord: clerk commands in through the gateway, entries out to channels.
//!
//! - [`config`]: the `[discord]` section, its ids and its resolved settings.
//! - [`input`]: the gateway (serenity) for commands and `/gavel` slash commands; catch-up from
//!   history after a new session.
//! - [`sink`]: one target per channel (`discord:<channel id>`): split posts, edits, deletes.
//! - [`render`]: splitting under 2,000 characters and message bodies with `allowed_mentions`
//!   that allow no ping.
//! - [`rest`]: Gavel's own REST client against `api_base`, with Discord's rate limits.
//!
//! See `docs/discord.md` for application setup, permissions and behaviour while disconnected.

pub mod config;
pub mod input;
pub mod render;
pub mod rest;
pub mod sink;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::config::TargetName;
use crate::sink::Sink;
use config::DiscordSettings;
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
        let rest = Arc::new(
            Rest::new(
                &settings.api_base,
                settings.token.clone(),
                Duration::from_secs(15),
            )?
            .requests_per_second(settings.requests_per_second),
        );
        let sinks = settings
            .targets
            .iter()
            .map(|ch| {
                (
                    TargetName::discord(*ch).into(),
                    Arc::new(
                        DiscordSink::new(Arc::clone(&rest), *ch, settings.threads.contains(ch))
                            .pin_meeting_start(settings.pin_meeting_start),
                    ) as Arc<dyn Sink>,
                )
            })
            .collect();
        Ok(DiscordPlatform {
            sinks,
            input: DiscordInput::new(settings.clone(), rest, state_dir),
        })
    }
}

/// `gavel check --probe` for Discord: the token with `GET /users/@me`, then each target channel
/// with a one-message history read (View Channel + Read Message History). Nothing is posted.
pub async fn probe(settings: &DiscordSettings) -> Vec<crate::probe::ProbeReport> {
    use crate::probe::{Check, ProbeReport};
    let rest = match Rest::new(
        &settings.api_base,
        settings.token.clone(),
        Duration::from_secs(10),
    ) {
        Ok(r) => r,
        Err(e) => {
            return vec![ProbeReport {
                notes: Vec::new(),
                target: "discord".into(),
                reachable: Check::No(format!("cannot build an HTTP client: {e}")),
                authorised: Check::NotChecked("unreachable".into()),
                can_post: Check::NotChecked("unreachable".into()),
                can_edit: Check::NotChecked("unreachable".into()),
            }];
        }
    };
    let (reachable, authorised) = match rest.request(reqwest::Method::GET, "/users/@me", None).await
    {
        Ok(_) => (Check::Yes, Check::Yes),
        Err(rest::RestError::Unauthorized) => (
            Check::Yes,
            Check::No("Discord rejected the bot token".into()),
        ),
        Err(e @ (rest::RestError::Transport(_) | rest::RestError::Server(_))) => (
            Check::No(e.to_string()),
            Check::NotChecked("unreachable".into()),
        ),
        Err(e) => (Check::Yes, Check::No(e.to_string())),
    };
    let mut out = vec![ProbeReport {
        notes: Vec::new(),
        target: "discord (bot token)".into(),
        reachable: reachable.clone(),
        authorised: authorised.clone(),
        can_post: Check::NotChecked("see each channel".into()),
        can_edit: Check::NotChecked("see each channel".into()),
    }];
    let channels = settings
        .command_channels
        .iter()
        .map(|c| ("command", *c))
        .chain(settings.targets.iter().map(|c| ("target", *c)));
    for (role, ch) in channels {
        let access = if authorised != Check::Yes {
            Check::NotChecked("the token was not accepted".into())
        } else {
            match rest.messages_after(ch.0, 0, 1).await {
                Ok(_) => Check::Yes,
                Err(rest::RestError::Forbidden { message, .. }) => Check::No(format!(
                    "no access ({message}): the bot needs View Channel and Read Message History here"
                )),
                Err(rest::RestError::NotFound { message, .. }) => {
                    Check::No(format!("unknown channel ({message})"))
                }
                Err(e) => Check::No(e.to_string()),
            }
        };
        out.push(ProbeReport {
            notes: Vec::new(),
            target: format!("{} ({role} channel)", TargetName::discord(ch)),
            reachable: reachable.clone(),
            authorised: access.clone(),
            can_post: Check::NotChecked(
                "a probe post would be published; Send Messages is needed".into(),
            ),
            can_edit: match access {
                Check::Yes => Check::Yes,
                other => other,
            },
        });
    }
    out
}
