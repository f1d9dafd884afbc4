//! Configuration: typed TOML, resolved once into validated values before anything starts.
//!
//! Each section resolves itself through one error collector ([`Resolver`]) that notes every
//! problem, naming its key, and carries on, so `gavel check` (which runs exactly this
//! resolution) prints every problem at once. The core sections live here, one file each; each
//! platform's section lives with the platform (`platform::{discord,matrix,webhook,mastodon}::config`)
//! and is re-exported here. [`resolve`] only composes them.
//!
//! Secrets come from `${ENV}` references or `*_file` keys (relative `*_file` paths are looked up
//! in `$CREDENTIALS_DIRECTORY` when systemd provides one) and live in [`SecretString`], whose
//! `Debug` is redacted.
//!
//! [`SecretString`]: secrecy::SecretString

mod api;
mod archive;
mod commands;
mod consultations;
mod council;
mod desk;
mod moderngov;
mod outbox;
mod raw_target;
mod residents;
mod resolver;
mod signing;
mod status;
mod targets;
mod web;

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::outbox::RetryPolicy;
use crate::reminders::ReminderSettings;
use crate::residents::ResidentSettings;

pub use api::{ApiSettings, RawApi};
pub use archive::{ArchiveLocation, ArchiveSettings, RawArchive};
pub use commands::RawCommands;
pub use consultations::RawConsultations;
pub use council::{Council, Language, RawCouncil};
pub use desk::{ClerkAccount, DeskWebSettings, RawDesk, parse_clerks, valid_clerk_name};
pub use moderngov::{ModernGovSettings, RawModernGov};
pub use outbox::RawOutbox;
pub(crate) use raw_target::resolve_targets;
pub use raw_target::{RawTarget, RawTargetTable};
pub use residents::RawResidents;
pub(crate) use resolver::Resolver;
pub use resolver::Secrets;
pub use signing::RawSigning;
pub use status::{RawStatus, StatusSettings};
pub use targets::{Platform, TargetName, TargetSpec};
pub use web::{RawWeb, WebSettings};

pub use crate::platform::bluesky::config::{BlueskySettings, RawBluesky};
pub use crate::platform::discord::config::{
    DISCORD_REQUESTS_PER_SECOND, DiscordId, DiscordSettings, RawDiscord,
};
pub use crate::platform::mastodon::config::{MastodonSettings, RawMastodon, Visibility};
pub use crate::platform::matrix::config::{
    MatrixAuth, MatrixRoomRef, MatrixSettings, RawMatrix, is_matrix_user_id,
};
pub use crate::platform::webhook::config::{RawWebhook, WebhookSettings};

use crate::platform::{bluesky, discord, mastodon, matrix, webhook};

/// The whole file as written in TOML.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    pub council: RawCouncil,
    pub archive: RawArchive,
    pub web: Option<RawWeb>,
    #[serde(default)]
    pub commands: RawCommands,
    pub api: Option<RawApi>,
    pub desk: Option<RawDesk>,
    pub discord: Option<RawDiscord>,
    pub matrix: Option<RawMatrix>,
    #[serde(default)]
    pub webhook: Vec<RawWebhook>,
    #[serde(default)]
    pub bluesky: Vec<RawBluesky>,
    #[serde(default)]
    pub mastodon: Vec<RawMastodon>,
    pub outbox: Option<RawOutbox>,
    pub signing: Option<RawSigning>,
    pub status: Option<RawStatus>,
    pub residents: Option<RawResidents>,
    pub consultations: Option<RawConsultations>,
    pub moderngov: Option<RawModernGov>,
}

/// The resolved config: every value parsed and checked.
#[derive(Debug, Clone)]
pub struct Config {
    pub source: PathBuf,
    pub council: Council,
    pub archive: ArchiveSettings,
    pub web: Option<WebSettings>,
    pub prefix: String,
    pub api: Option<ApiSettings>,
    /// The clerk's desk in the browser (`/desk`), when `[desk]` is configured.
    pub desk: Option<DeskWebSettings>,
    pub discord: Option<DiscordSettings>,
    pub matrix: Option<MatrixSettings>,
    pub webhooks: Vec<WebhookSettings>,
    pub bluesky: Vec<BlueskySettings>,
    /// `[[mastodon]]` accounts, one target each.
    pub mastodon: Vec<MastodonSettings>,
    pub retry: RetryPolicy,
    pub signing_key: Option<PathBuf>,
    pub status: StatusSettings,
    pub residents: ResidentSettings,
    pub reminders: ReminderSettings,
    /// The daily agenda import from the council's ModernGov site.
    pub moderngov: Option<ModernGovSettings>,
}

impl Config {
    /// Where platform state (Matrix session, device id, sync token) lives: `[archive]
    /// state_dir`, by default beside a SQLite archive.
    pub fn state_dir(&self) -> PathBuf {
        self.archive.state_dir.clone()
    }
}

/// Every problem found in a config, one line each, naming the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors {
    pub path: PathBuf,
    pub problems: Vec<String>,
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problems.len();
        writeln!(
            f,
            "{}: {n} problem{}:",
            self.path.display(),
            if n == 1 { "" } else { "s" }
        )?;
        for p in &self.problems {
            writeln!(f, "  - {p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

/// Reads, parses and resolves the config at `path`.
pub fn load(path: &Path, secrets: Secrets) -> Result<Config, ConfigErrors> {
    let fail = |problems: Vec<String>| ConfigErrors {
        path: path.to_path_buf(),
        problems,
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| fail(vec![format!("cannot read the file: {e}")]))?;
    let raw: RawConfig = toml::from_str(&text).map_err(|e| fail(vec![toml_problem(&e)]))?;
    resolve(
        raw,
        secrets,
        &|k| std::env::var(k).ok(),
        std::env::var_os("CREDENTIALS_DIRECTORY").map(PathBuf::from),
    )
    .map(|mut c| {
        c.source = path.to_path_buf();
        c
    })
    .map_err(fail)
}

fn toml_problem(e: &toml::de::Error) -> String {
    let msg = e.message().trim().to_string();
    match e.span() {
        Some(span) => format!("{msg} (at byte {}..{}){}", span.start, span.end, {
            let s = e.to_string();
            s.lines()
                .next()
                .map(|l| format!(" — {}", l.trim()))
                .unwrap_or_default()
        }),
        None => msg,
    }
}

/// Resolves every section in file order, then returns the config or every problem found.
fn resolve(
    raw: RawConfig,
    secrets: Secrets,
    env: &dyn Fn(&str) -> Option<String>,
    credentials: Option<PathBuf>,
) -> Result<Config, Vec<String>> {
    let mut r = Resolver::new(secrets, env, credentials);
    let council = council::resolve(&mut r, raw.council);
    let archive = archive::resolve(&mut r, raw.archive);
    let web = raw.web.as_ref().and_then(|w| web::resolve(&mut r, w));
    let prefix = commands::resolve(&mut r, raw.commands);
    let api = raw.api.as_ref().and_then(|a| api::resolve(&mut r, a));
    let desk = raw
        .desk
        .as_ref()
        .and_then(|d| desk::resolve(&mut r, d, raw.web.is_some()));
    let discord = raw
        .discord
        .as_ref()
        .and_then(|d| discord::config::resolve(&mut r, d));
    let matrix = raw
        .matrix
        .as_ref()
        .and_then(|m| matrix::config::resolve(&mut r, m));
    let webhooks = webhook::config::resolve(&mut r, &raw.webhook);
    let bluesky = bluesky::config::resolve(&mut r, &raw.bluesky);
    let mastodon = mastodon::config::resolve(&mut r, &raw.mastodon);
    let retry = outbox::resolve(&mut r, raw.outbox.as_ref());
    let signing_key = signing::resolve(&mut r, raw.signing.as_ref());
    let status = status::resolve(&mut r, raw.status.as_ref());
    // The pinned status, when on, is the one pin in a Discord channel.
    let discord = discord.map(|d| DiscordSettings {
        pin_meeting_start: !status.enabled,
        ..d
    });
    let residents = residents::resolve(&mut r, raw.residents.as_ref());
    let reminders = consultations::resolve(&mut r, raw.consultations.as_ref());
    let moderngov = raw
        .moderngov
        .as_ref()
        .and_then(|m| moderngov::resolve(&mut r, m));
    r.finish(|| Config {
        source: PathBuf::new(),
        council,
        archive,
        web,
        prefix,
        api,
        desk,
        discord,
        matrix,
        webhooks,
        bluesky,
        mastodon,
        retry,
        signing_key,
        status,
        residents,
        reminders,
        moderngov,
    })
}

/// Resolving TOML text with a given environment, for the sections' unit tests.
#[cfg(test)]
pub(crate) mod testing {
    use super::{Config, RawConfig, Secrets, resolve, toml_problem};

    /// The two sections every config needs.
    pub const BASE: &str = "[council]\nname = \"Test\"\ntimezone = \"Europe/London\"\n[archive]\npath = \"data/g.db\"\n";
    /// The start of a `[discord]` section; tests add its lists.
    pub const DISCORD: &str = "[discord]\ntoken = \"t\"\n";
    /// The start of a `[matrix]` section; tests add its lists.
    pub const MATRIX: &str = "[matrix]\nhomeserver = \"https://hs.example\"\nuser = \"@g:hs.example\"\npassword = \"p\"\n";

    /// Resolves `text` with secrets read and `env` as the whole environment.
    pub fn check(text: &str, env: &[(&str, &str)]) -> Result<Config, Vec<String>> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| vec![toml_problem(&e)])?;
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        resolve(
            raw,
            Secrets::Resolve,
            &move |k| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()),
            None,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::Language;
    use super::testing::{BASE, check};

    #[test]
    fn minimal_config_resolves_with_defaults() {
        let c = check(BASE, &[]).unwrap();
        assert_eq!(c.prefix, "!");
        assert_eq!(c.council.language, Language::En);
        assert!(c.web.is_none() && c.webhooks.is_empty());
    }

    #[test]
    fn every_problem_is_reported_with_its_key() {
        let text = "[council]\nname = \"Test\"\ntimezone = \"Europe/Londn\"\nlanguage = \"fr\"\n[archive]\npath = \"x.db\"\n\
                    [web]\nlisten = \"localhost\"\n\
                    [discord]\ntoken = \"${NOPE}\"\ncommand_channels = [\"abc\"]\ntargets = [\"123456789012345678\"]\n\
                    [[webhook]]\nname = \"a\"\nurl = \"ftp://x\"\nformat = \"irc\"\n";
        let p = check(text, &[]).unwrap_err();
        let all = p.join("\n");
        for needle in [
            "council.timezone: `Europe/Londn`",
            "council.language: `fr`",
            "web.listen: `localhost`",
            "discord.token: environment variable NOPE",
            "discord.command_channels[0]: `abc`",
            "discord.clerks: command channels need",
            "webhook[0].format: `irc`",
            "webhook[0].url: is not an http(s) URL",
        ] {
            assert!(all.contains(needle), "missing {needle:?} in:\n{all}");
        }
    }

    #[test]
    fn unknown_keys_are_named() {
        let text = BASE.replace("name = ", "nmae = \"x\"\nname = ");
        let p = check(&text, &[]).unwrap_err();
        assert!(p[0].contains("unknown field `nmae`"), "{p:?}");
    }
}
