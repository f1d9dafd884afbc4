//! Configuration: typed TOML, resolved once into validated values before anything starts.
//!
//! Secrets come from `${ENV}` references or `*_file` keys (relative `*_file` paths are looked up
//! in `$CREDENTIALS_DIRECTORY` when systemd provides one) and live in [`SecretString`], whose
//! `Debug` is redacted. `gavel check` runs exactly this resolution and prints every problem.

use std::collections::HashSet;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono_tz::Tz;
use secrecy::SecretString;
use serde::Deserialize;
use url::Url;

use crate::outbox::RetryPolicy;
use crate::platform::webhook::Format as WebhookFormat;
use crate::reminders::ReminderSettings;
use crate::residents::ResidentSettings;

// ----- raw, as written in TOML ---------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    pub council: RawCouncil,
    pub archive: RawArchive,
    pub web: Option<RawWeb>,
    #[serde(default)]
    pub commands: RawCommands,
    pub api: Option<RawApi>,
    pub discord: Option<RawDiscord>,
    pub matrix: Option<RawMatrix>,
    #[serde(default)]
    pub webhook: Vec<RawWebhook>,
    pub outbox: Option<RawOutbox>,
    pub signing: Option<RawSigning>,
    pub status: Option<RawStatus>,
    pub residents: Option<RawResidents>,
    pub consultations: Option<RawConsultations>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCouncil {
    pub name: String,
    pub timezone: String,
    #[serde(default = "default_language")]
    pub language: String,
}

fn default_language() -> String {
    "en".into()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawArchive {
    pub path: PathBuf,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWeb {
    pub listen: String,
    pub public_url: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCommands {
    #[serde(default = "default_prefix")]
    pub prefix: String,
}

impl Default for RawCommands {
    fn default() -> Self {
        RawCommands {
            prefix: default_prefix(),
        }
    }
}

fn default_prefix() -> String {
    "!".into()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawApi {
    pub tokens_file: String,
    /// Commands per minute per token.
    pub rate_per_minute: Option<u32>,
}

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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMatrix {
    pub homeserver: String,
    pub user: String,
    pub password: Option<String>,
    pub password_file: Option<String>,
    pub access_token: Option<String>,
    pub access_token_file: Option<String>,
    #[serde(default)]
    pub command_rooms: Vec<String>,
    #[serde(default)]
    pub clerks: Vec<String>,
    #[serde(default)]
    pub targets: Vec<RawTarget>,
}

/// One entry of `targets`: a bare id (`"123"`), or a table naming the id and options
/// (`{ channel = "123", threads = true }` in `[discord]`, `{ room = "!r:hs", threads = true }`
/// in `[matrix]`). Anything else is kept as written so the resolver can say what is wrong with
/// it, instead of serde's "did not match any variant".
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum RawTarget {
    Id(String),
    Table(RawTargetTable),
    Other(toml::Value),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTargetTable {
    pub channel: Option<String>,
    pub room: Option<String>,
    #[serde(default)]
    pub threads: bool,
}

impl RawTarget {
    /// The id and `threads` option of this target, where `id_key` is the key its table form
    /// uses for the id (`channel` or `room`); otherwise what is wrong with its shape.
    fn resolve(&self, id_key: &str) -> Result<(&str, bool), String> {
        let usage =
            format!("write an id string or a table like {{ {id_key} = \"…\", threads = true }}");
        match self {
            RawTarget::Id(s) => Ok((s, false)),
            RawTarget::Table(t) => {
                let (id, wrong) = match id_key {
                    "channel" => (&t.channel, t.room.as_ref().map(|_| "room")),
                    _ => (&t.room, t.channel.as_ref().map(|_| "channel")),
                };
                match (id, wrong) {
                    (_, Some(wrong)) => Err(format!("unknown key `{wrong}`; {usage}")),
                    (Some(id), None) => Ok((id, t.threads)),
                    (None, None) => Err(format!("missing `{id_key}`; {usage}")),
                }
            }
            RawTarget::Other(v) => Err(shape_problem(v, id_key, &usage)),
        }
    }
}

/// Why `v` is neither an id string nor a well-formed target table.
fn shape_problem(v: &toml::Value, id_key: &str, usage: &str) -> String {
    let Some(table) = v.as_table() else {
        return format!("found {}, not a target; {usage}", v.type_str());
    };
    if let Some(k) = table.keys().find(|k| *k != id_key && *k != "threads") {
        return format!("unknown key `{k}`; {usage}");
    }
    match (table.get(id_key), table.get("threads")) {
        (None, _) => format!("missing `{id_key}`; {usage}"),
        (Some(id), _) if !id.is_str() => {
            format!("`{id_key}` must be a string (found {})", id.type_str())
        }
        (_, Some(t)) if !t.is_bool() => {
            format!("`threads` must be true or false (found {})", t.type_str())
        }
        _ => format!("not a target; {usage}"),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWebhook {
    pub name: String,
    pub url: Option<String>,
    pub url_file: Option<String>,
    pub format: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOutbox {
    pub retry_base_ms: Option<u64>,
    pub retry_cap_secs: Option<u64>,
    pub report_after: Option<u32>,
    pub shutdown_deadline_secs: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStatus {
    pub enabled: Option<bool>,
    pub min_edit_interval_secs: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConsultations {
    /// Days before closing on which reminders go out (default 7 and 1).
    pub reminder_days: Option<Vec<i64>>,
    /// Local time of day for reminders, `HH:MM` (default 09:00).
    pub send_at: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSigning {
    pub key_file: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawResidents {
    pub enabled: Option<bool>,
    pub per_user_secs: Option<u64>,
    pub per_room_secs: Option<u64>,
}

// ----- resolved ------------------------------------------------------------------------------

pub use crate::i18n::Language;

#[derive(Debug, Clone)]
pub struct Council {
    pub name: String,
    pub timezone: Tz,
    pub language: Language,
}

#[derive(Debug, Clone)]
pub struct WebSettings {
    pub listen: SocketAddr,
    pub public_url: Url,
}

#[derive(Debug, Clone)]
pub struct ApiSettings {
    pub tokens: Vec<SecretString>,
    pub rate_per_minute: u32,
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

/// A Matrix room id (`!opaque:server`, or `!opaque` from room version 12 on) or alias
/// (`#name:server`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MatrixRoomRef(pub String);

impl MatrixRoomRef {
    pub fn parse(s: &str) -> Option<MatrixRoomRef> {
        let t = s.trim();
        let has_server = |rest: &str| {
            rest.split_once(':')
                .is_some_and(|(l, server)| !l.is_empty() && !server.is_empty())
        };
        let ok = match t.chars().next() {
            Some('#') => has_server(&t[1..]),
            // Room version 12 room ids carry no server name.
            Some('!') => t.len() > 1 && (!t.contains(':') || has_server(&t[1..])),
            _ => false,
        } && !t.chars().any(char::is_whitespace);
        ok.then(|| MatrixRoomRef(t.to_string()))
    }
    pub fn is_alias(&self) -> bool {
        self.0.starts_with('#')
    }
}

impl fmt::Display for MatrixRoomRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A Matrix user id (`@name:server`).
pub fn is_matrix_user_id(s: &str) -> bool {
    s.starts_with('@')
        && s[1..]
            .split_once(':')
            .is_some_and(|(l, server)| !l.is_empty() && !server.is_empty())
        && !s.chars().any(char::is_whitespace)
}

#[derive(Debug, Clone)]
pub enum MatrixAuth {
    Password(SecretString),
    AccessToken(SecretString),
}

#[derive(Debug, Clone)]
pub struct MatrixSettings {
    pub homeserver: Url,
    pub user: String,
    pub auth: MatrixAuth,
    pub command_rooms: Vec<MatrixRoomRef>,
    pub clerks: Vec<String>,
    pub targets: Vec<MatrixRoomRef>,
    /// The targets (a subset of `targets`) where each meeting's later entries form a thread
    /// under its opening post.
    pub threads: HashSet<MatrixRoomRef>,
}

#[derive(Debug, Clone)]
pub struct WebhookSettings {
    pub name: String,
    pub url: SecretString,
    pub format: WebhookFormat,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub source: PathBuf,
    pub council: Council,
    pub archive_path: PathBuf,
    pub web: Option<WebSettings>,
    pub prefix: String,
    pub api: Option<ApiSettings>,
    pub discord: Option<DiscordSettings>,
    pub matrix: Option<MatrixSettings>,
    pub webhooks: Vec<WebhookSettings>,
    pub retry: RetryPolicy,
    pub signing_key: Option<PathBuf>,
    pub status: StatusSettings,
    pub residents: ResidentSettings,
    pub reminders: ReminderSettings,
}

/// The pinned "now" status (`[status]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusSettings {
    /// Keep a pinned status message in every target that can pin. Off unless configured.
    pub enabled: bool,
    /// The least time between two edits of one target's status; changes in between are
    /// collapsed into one later edit.
    pub min_edit_interval: Duration,
}

impl Default for StatusSettings {
    fn default() -> Self {
        StatusSettings {
            enabled: false,
            min_edit_interval: Duration::from_secs(3),
        }
    }
}

impl Config {
    /// Where platform state (Matrix session, device id, sync token) lives: beside the archive.
    pub fn state_dir(&self) -> PathBuf {
        match self.archive_path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        }
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

/// Whether to read secrets now (`run`, `check`) or leave them (`meetings`, `export`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Secrets {
    Resolve,
    Skip,
}

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

struct Resolver<'a> {
    problems: Vec<String>,
    secrets: Secrets,
    env: &'a dyn Fn(&str) -> Option<String>,
    credentials: Option<PathBuf>,
}

impl Resolver<'_> {
    fn problem(&mut self, s: String) {
        self.problems.push(s);
    }

    /// Expands `${VAR}` references in `value` (only for secret keys).
    fn expand(&mut self, key: &str, value: &str) -> Option<String> {
        let mut out = String::new();
        let mut rest = value;
        while let Some(i) = rest.find("${") {
            out.push_str(&rest[..i]);
            let Some(j) = rest[i..].find('}') else {
                self.problem(format!("{key}: unclosed `${{` in the value"));
                return None;
            };
            let var = &rest[i + 2..i + j];
            if var.is_empty() || !var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                self.problem(format!(
                    "{key}: `${{{var}}}` is not an environment variable name"
                ));
                return None;
            }
            match (self.env)(var) {
                Some(v) if !v.is_empty() => out.push_str(&v),
                _ => {
                    self.problem(format!(
                        "{key}: environment variable {var} is not set (or is empty)"
                    ));
                    return None;
                }
            }
            rest = &rest[i + j + 1..];
        }
        out.push_str(rest);
        Some(out)
    }

    fn read_file(&mut self, key: &str, file: &str) -> Option<String> {
        let p = Path::new(file);
        let full = match (&self.credentials, p.is_relative()) {
            (Some(dir), true) => dir.join(p),
            _ => p.to_path_buf(),
        };
        match std::fs::read_to_string(&full) {
            Ok(s) if s.trim().is_empty() => {
                self.problem(format!("{key}: {} is empty", full.display()));
                None
            }
            Ok(s) => Some(s.trim_end_matches(['\n', '\r']).to_string()),
            Err(e) => {
                self.problem(format!("{key}: cannot read {}: {e}", full.display()));
                None
            }
        }
    }

    /// A secret from `key = "…${ENV}…"` or `key_file = "path"`: exactly one must be given.
    fn secret(
        &mut self,
        section: &str,
        key: &str,
        inline: Option<&str>,
        file: Option<&str>,
        required: bool,
    ) -> Option<SecretString> {
        let full = format!("{section}.{key}");
        match (inline, file) {
            (Some(_), Some(_)) => {
                self.problem(format!(
                    "{full}: give either `{key}` or `{key}_file`, not both"
                ));
                None
            }
            (None, None) => {
                if required {
                    self.problem(format!("{full}: missing (set `{key}` or `{key}_file`)"));
                }
                None
            }
            _ if self.secrets == Secrets::Skip => Some(SecretString::from("")),
            (Some(v), None) => self.expand(&full, v).map(SecretString::from),
            (None, Some(f)) => self
                .read_file(&format!("{full}_file"), f)
                .map(SecretString::from),
        }
    }
}

fn resolve(
    raw: RawConfig,
    secrets: Secrets,
    env: &dyn Fn(&str) -> Option<String>,
    credentials: Option<PathBuf>,
) -> Result<Config, Vec<String>> {
    let mut r = Resolver {
        problems: Vec::new(),
        secrets,
        env,
        credentials,
    };

    if raw.council.name.trim().is_empty() {
        r.problem("council.name: must not be empty".into());
    }
    let timezone = match raw.council.timezone.parse::<Tz>() {
        Ok(tz) => tz,
        Err(_) => {
            r.problem(format!(
                "council.timezone: `{}` is not an IANA time zone (like Europe/London)",
                raw.council.timezone
            ));
            chrono_tz::UTC
        }
    };
    let language = match raw.council.language.as_str() {
        "en" => Language::En,
        "cy" => Language::Cy,
        "en+cy" => Language::EnCy,
        other => {
            r.problem(format!(
                "council.language: `{other}` is not one of en, cy, en+cy"
            ));
            Language::En
        }
    };
    if raw.archive.path.as_os_str().is_empty() {
        r.problem("archive.path: must not be empty".into());
    }

    let web = raw.web.as_ref().and_then(|w| {
        let listen = w.listen.parse::<SocketAddr>().ok();
        if listen.is_none() {
            r.problem(format!(
                "web.listen: `{}` is not an address:port (like 127.0.0.1:8080)",
                w.listen
            ));
        }
        let public = w
            .public_url
            .clone()
            .or_else(|| listen.map(|l| format!("http://{l}")))?;
        let public_url = match Url::parse(&public) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => Some(u),
            _ => {
                r.problem(format!("web.public_url: `{public}` is not an http(s) URL"));
                None
            }
        };
        Some(WebSettings {
            listen: listen?,
            public_url: public_url?,
        })
    });

    let prefix = raw.commands.prefix.clone();
    if prefix.is_empty() || prefix.chars().any(char::is_whitespace) || prefix.chars().count() > 3 {
        r.problem(format!(
            "commands.prefix: `{prefix}` must be 1 to 3 characters without spaces"
        ));
    }

    let api = raw.api.as_ref().and_then(|a| {
        let per_minute = a.rate_per_minute.unwrap_or(60);
        if per_minute == 0 {
            r.problem("api.rate_per_minute: must be at least 1".into());
        }
        if secrets == Secrets::Skip {
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
        use secrecy::ExposeSecret;
        if tokens.iter().any(|t| t.expose_secret().len() < 16) {
            r.problem("api.tokens_file: every token must be at least 16 characters".into());
        }
        Some(ApiSettings {
            tokens,
            rate_per_minute: per_minute,
        })
    });

    let discord = raw.discord.as_ref().and_then(|d| {
        let token = r.secret("discord", "token", d.token.as_deref(), d.token_file.as_deref(), true);
        let base = d.api_base.clone().unwrap_or_else(|| "https://discord.com".into());
        let api_base = match Url::parse(&base) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => Some(u),
            _ => {
                r.problem(format!("discord.api_base: `{base}` is not an http(s) URL"));
                None
            }
        };
        let requests_per_second = d.requests_per_second.unwrap_or(DISCORD_REQUESTS_PER_SECOND);
        if !(1..=10_000).contains(&requests_per_second) {
            r.problem(format!(
                "discord.requests_per_second: {requests_per_second} is out of range (1 to 10000; Discord allows a bot 50 unless it raised your limit)"
            ));
        }
        let mut ids = |key: &str, list: &[String], what: &str| -> Vec<DiscordId> {
            let mut out = Vec::new();
            for (i, s) in list.iter().enumerate() {
                match DiscordId::parse(s) {
                    Some(id) => out.push(id),
                    None => r.problem(format!("discord.{key}[{i}]: `{s}` is not a Discord {what} id (a number of 17 to 20 digits)")),
                }
            }
            out
        };
        let command_channels = ids("command_channels", &d.command_channels, "channel");
        let clerks = ids("clerks", &d.clerks, "user");
        let mut targets = Vec::new();
        let mut threads = HashSet::new();
        for (i, t) in d.targets.iter().enumerate() {
            match t.resolve("channel") {
                Ok((s, threaded)) => match DiscordId::parse(s) {
                    Some(id) => {
                        targets.push(id);
                        if threaded {
                            threads.insert(id);
                        }
                    }
                    None => r.problem(format!("discord.targets[{i}]: `{s}` is not a Discord channel id (a number of 17 to 20 digits)")),
                },
                Err(why) => r.problem(format!("discord.targets[{i}]: {why}")),
            }
        }
        let guild_id = d.guild_id.as_ref().and_then(|g| {
            let id = DiscordId::parse(g);
            if id.is_none() {
                r.problem(format!("discord.guild_id: `{g}` is not a Discord server id"));
            }
            id
        });
        if d.command_channels.is_empty() && d.targets.is_empty() {
            r.problem("discord: set command_channels and/or targets".into());
        }
        if !d.command_channels.is_empty() && d.clerks.is_empty() {
            r.problem("discord.clerks: command channels need at least one clerk user id".into());
        }
        Some(DiscordSettings { token: token?, api_base: api_base?, requests_per_second, guild_id, command_channels, clerks, targets, pin_meeting_start: true, threads })
    });

    let matrix = raw.matrix.as_ref().and_then(|m| {
        let homeserver = match Url::parse(&m.homeserver) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => Some(u),
            _ => {
                r.problem(format!("matrix.homeserver: `{}` is not an http(s) URL", m.homeserver));
                None
            }
        };
        if !is_matrix_user_id(&m.user) {
            r.problem(format!("matrix.user: `{}` is not a Matrix user id (like @gavel:example.org)", m.user));
        }
        let password = r.secret("matrix", "password", m.password.as_deref(), m.password_file.as_deref(), false);
        let token = r.secret("matrix", "access_token", m.access_token.as_deref(), m.access_token_file.as_deref(), false);
        let auth = match (password, token) {
            (Some(p), None) => Some(MatrixAuth::Password(p)),
            (None, Some(t)) => Some(MatrixAuth::AccessToken(t)),
            (Some(_), Some(_)) => {
                r.problem("matrix: give either password or access_token, not both".into());
                None
            }
            (None, None) => {
                let had_any = m.password.is_some() || m.password_file.is_some() || m.access_token.is_some() || m.access_token_file.is_some();
                if !had_any {
                    r.problem("matrix.password: missing (set `password`, `password_file`, `access_token` or `access_token_file`)".into());
                }
                None
            }
        };
        let mut rooms = |key: &str, list: &[String]| -> Vec<MatrixRoomRef> {
            let mut out = Vec::new();
            for (i, s) in list.iter().enumerate() {
                match MatrixRoomRef::parse(s) {
                    Some(room) => out.push(room),
                    None => r.problem(format!("matrix.{key}[{i}]: `{s}` is not a room id (!id:server) or alias (#name:server)")),
                }
            }
            out
        };
        let command_rooms = rooms("command_rooms", &m.command_rooms);
        let mut targets = Vec::new();
        let mut threads = HashSet::new();
        for (i, t) in m.targets.iter().enumerate() {
            match t.resolve("room") {
                Ok((s, threaded)) => match MatrixRoomRef::parse(s) {
                    Some(room) => {
                        if threaded {
                            threads.insert(room.clone());
                        }
                        targets.push(room);
                    }
                    None => r.problem(format!("matrix.targets[{i}]: `{s}` is not a room id (!id:server) or alias (#name:server)")),
                },
                Err(why) => r.problem(format!("matrix.targets[{i}]: {why}")),
            }
        }
        for (i, c) in m.clerks.iter().enumerate() {
            if !is_matrix_user_id(c) {
                r.problem(format!("matrix.clerks[{i}]: `{c}` is not a Matrix user id (like @clerk:example.org)"));
            }
        }
        if !m.command_rooms.is_empty() && m.clerks.is_empty() {
            r.problem("matrix.clerks: command rooms need at least one clerk user id".into());
        }
        Some(MatrixSettings { homeserver: homeserver?, user: m.user.clone(), auth: auth?, command_rooms, clerks: m.clerks.clone(), targets, threads })
    });

    let mut names = HashSet::new();
    let mut webhooks = Vec::new();
    for (i, w) in raw.webhook.iter().enumerate() {
        let section = format!("webhook[{i}]");
        if w.name.trim().is_empty()
            || !w
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            r.problem(format!(
                "{section}.name: `{}` must be letters, digits, - or _",
                w.name
            ));
        } else if !names.insert(w.name.clone()) {
            r.problem(format!(
                "{section}.name: `{}` is used by another webhook",
                w.name
            ));
        }
        let format = WebhookFormat::parse(&w.format);
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
            && secrets == Secrets::Resolve
        {
            use secrecy::ExposeSecret;
            match Url::parse(u.expose_secret()) {
                Ok(parsed)
                    if matches!(parsed.scheme(), "http" | "https")
                        && parsed.host_str().is_some() => {}
                // The value may hold a token: never echo it.
                _ => r.problem(format!("{section}.url: is not an http(s) URL")),
            }
        }
        if let (Some(url), Some(format)) = (url, format) {
            webhooks.push(WebhookSettings {
                name: w.name.clone(),
                url,
                format,
            });
        }
    }

    let mut retry = RetryPolicy::default();
    if let Some(o) = &raw.outbox {
        if let Some(ms) = o.retry_base_ms {
            if ms == 0 {
                r.problem("outbox.retry_base_ms: must be at least 1".into());
            }
            retry.base = Duration::from_millis(ms.max(1));
        }
        if let Some(s) = o.retry_cap_secs {
            if s == 0 {
                r.problem("outbox.retry_cap_secs: must be at least 1".into());
            }
            retry.cap = Duration::from_secs(s.max(1));
        }
        if let Some(n) = o.report_after {
            retry.report_after = n.max(1);
        }
        if let Some(s) = o.shutdown_deadline_secs {
            retry.drain = Duration::from_secs(s);
        }
    }

    let signing_key = raw.signing.as_ref().map(|s| {
        let p = PathBuf::from(&s.key_file);
        match (&r.credentials, p.is_relative()) {
            (Some(dir), true) => dir.join(p),
            _ => p,
        }
    });
    if let Some(k) = &signing_key
        && secrets == Secrets::Resolve
        && !k.exists()
    {
        r.problem(format!(
            "signing.key_file: {} does not exist (create one with `gavel keygen {}`)",
            k.display(),
            k.display()
        ));
    }

    let mut status = StatusSettings::default();
    if let Some(st) = &raw.status {
        status.enabled = st.enabled.unwrap_or(false);
        if let Some(secs) = st.min_edit_interval_secs {
            if secs == 0 {
                r.problem("status.min_edit_interval_secs: must be at least 1 (Discord and Matrix limit edits)".into());
            }
            status.min_edit_interval = Duration::from_secs(secs.max(1));
        }
    }
    let discord = discord.map(|d| DiscordSettings {
        pin_meeting_start: !status.enabled,
        ..d
    });
    let residents = resolve_residents(&mut r, raw.residents.as_ref());
    let reminders = raw
        .consultations
        .as_ref()
        .map(|c| consultation_settings(&mut r, c))
        .unwrap_or_default();

    if !r.problems.is_empty() {
        return Err(r.problems);
    }
    Ok(Config {
        source: PathBuf::new(),
        council: Council {
            name: raw.council.name,
            timezone,
            language,
        },
        archive_path: raw.archive.path,
        web,
        prefix,
        api,
        discord,
        matrix,
        webhooks,
        retry,
        signing_key,
        status,
        residents,
        reminders,
    })
}

/// `[residents]`: defaults from [`ResidentSettings::default`]; each wait from 1 s to a day.
fn resolve_residents(r: &mut Resolver<'_>, raw: Option<&RawResidents>) -> ResidentSettings {
    let mut s = ResidentSettings::default();
    let Some(raw) = raw else {
        return s;
    };
    let mut wait = |key: &str, secs: Option<u64>, default: Duration| match secs {
        None => default,
        Some(n @ 1..=86_400) => Duration::from_secs(n),
        Some(n) => {
            r.problem(format!(
                "residents.{key}: {n} must be from 1 to 86400 seconds"
            ));
            default
        }
    };
    s.per_user = wait("per_user_secs", raw.per_user_secs, s.per_user);
    s.per_room = wait("per_room_secs", raw.per_room_secs, s.per_room);
    s.enabled = raw.enabled.unwrap_or(s.enabled);
    s
}

/// `[consultations]`: reminder days positive and distinct, `send_at` an `HH:MM` time.
fn consultation_settings(r: &mut Resolver<'_>, raw: &RawConsultations) -> ReminderSettings {
    let mut out = ReminderSettings::default();
    if let Some(days) = &raw.reminder_days {
        let mut seen = HashSet::new();
        out.days.clear();
        for (i, &d) in days.iter().enumerate() {
            match u32::try_from(d) {
                Ok(n) if n > 0 => {
                    if seen.insert(n) {
                        out.days.push(n);
                    } else {
                        r.problem(format!(
                            "consultations.reminder_days[{i}]: {d} is listed twice"
                        ));
                    }
                }
                _ => r.problem(format!(
                    "consultations.reminder_days[{i}]: {d} is not a positive number of days"
                )),
            }
        }
    }
    if let Some(t) = &raw.send_at {
        match chrono::NaiveTime::parse_from_str(t, "%H:%M") {
            Ok(time) => out.send_at = time,
            Err(_) => r.problem(format!(
                "consultations.send_at: `{t}` is not a time of day like 09:00"
            )),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, env: &[(&str, &str)]) -> Result<Config, Vec<String>> {
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

    const BASE: &str = "[council]\nname = \"Test\"\ntimezone = \"Europe/London\"\n[archive]\npath = \"data/g.db\"\n";

    #[test]
    fn minimal_config_resolves_with_defaults() {
        let c = check(BASE, &[]).unwrap();
        assert_eq!(c.prefix, "!");
        assert_eq!(c.council.language, Language::En);
        assert!(c.web.is_none() && c.webhooks.is_empty());
    }

    #[test]
    fn env_references_fill_secrets_and_debug_never_shows_them() {
        let text = format!(
            "{BASE}[[webhook]]\nname = \"slack\"\nurl = \"${{HOOK}}\"\nformat = \"slack\"\n"
        );
        let c = check(&text, &[("HOOK", "https://hooks.example/T000/SECRETPART")]).unwrap();
        use secrecy::ExposeSecret;
        assert_eq!(
            c.webhooks[0].url.expose_secret(),
            "https://hooks.example/T000/SECRETPART"
        );
        assert!(!format!("{c:?}").contains("SECRETPART"));
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
    fn residents_default_to_answering_with_limits_and_bad_waits_are_named() {
        let c = check(BASE, &[]).unwrap();
        assert_eq!(c.residents, ResidentSettings::default());
        assert!(c.residents.enabled);
        let text = format!("{BASE}[residents]\nenabled = false\nper_user_secs = 120\n");
        let c = check(&text, &[]).unwrap();
        assert!(!c.residents.enabled);
        assert_eq!(c.residents.per_user, Duration::from_secs(120));
        assert_eq!(c.residents.per_room, ResidentSettings::default().per_room);
        let text = format!("{BASE}[residents]\nper_user_secs = 0\nper_room_secs = 100000\n");
        let p = check(&text, &[]).unwrap_err().join("\n");
        assert!(p.contains("residents.per_user_secs: 0 must be"), "{p}");
        assert!(p.contains("residents.per_room_secs: 100000 must be"), "{p}");
    }

    #[test]
    fn consultation_reminders_default_to_seven_and_one_days_at_nine() {
        let c = check(BASE, &[]).unwrap();
        assert_eq!(c.reminders.days, vec![7, 1]);
        assert_eq!(c.reminders.send_at.to_string(), "09:00:00");
        let text = format!("{BASE}[consultations]\nreminder_days = [14, 3]\nsend_at = \"17:30\"\n");
        let c = check(&text, &[]).unwrap();
        assert_eq!(c.reminders.days, vec![14, 3]);
        assert_eq!(c.reminders.send_at.to_string(), "17:30:00");
    }

    #[test]
    fn bad_consultation_reminder_settings_are_named() {
        let text =
            format!("{BASE}[consultations]\nreminder_days = [7, 0, 7, -2]\nsend_at = \"9am\"\n");
        let all = check(&text, &[]).unwrap_err().join("\n");
        for needle in [
            "consultations.reminder_days[1]: 0 is not a positive",
            "consultations.reminder_days[2]: 7 is listed twice",
            "consultations.reminder_days[3]: -2 is not a positive",
            "consultations.send_at: `9am`",
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

    const DISCORD: &str = "[discord]\ntoken = \"t\"\n";
    const MATRIX: &str = "[matrix]\nhomeserver = \"https://hs.example\"\nuser = \"@g:hs.example\"\npassword = \"p\"\n";

    #[test]
    fn targets_take_bare_ids_and_tables_with_threads() {
        let text = format!(
            "{BASE}{DISCORD}targets = [\"123456789012345678\", {{ channel = \"223456789012345678\", threads = true }}, {{ channel = \"323456789012345678\" }}]\n\
             {MATRIX}targets = [\"!a:hs.example\", {{ room = \"#live:hs.example\", threads = true }}]\n"
        );
        let c = check(&text, &[]).unwrap();
        let d = c.discord.unwrap();
        let ids: Vec<u64> = d.targets.iter().map(|t| t.0).collect();
        assert_eq!(
            ids,
            [123456789012345678, 223456789012345678, 323456789012345678]
        );
        assert_eq!(d.threads, HashSet::from([DiscordId(223456789012345678)]));
        let m = c.matrix.unwrap();
        assert_eq!(m.targets.len(), 2);
        assert_eq!(
            m.threads,
            HashSet::from([MatrixRoomRef("#live:hs.example".into())])
        );
    }

    #[test]
    fn targets_of_the_wrong_shape_are_named_with_the_fix() {
        let text = format!(
            "{BASE}{DISCORD}targets = [42, {{ room = \"!a:hs\" }}, {{ channel = \"123456789012345678\", thread = true }}, {{ threads = true }}, {{ channel = \"123456789012345678\", threads = \"yes\" }}, {{ channel = 5 }}, {{ channel = \"abc\", threads = true }}]\n\
             {MATRIX}targets = [{{ channel = \"!a:hs.example\" }}, [\"!a:hs.example\"]]\n"
        );
        let all = check(&text, &[]).unwrap_err().join("\n");
        for needle in [
            "discord.targets[0]: found integer, not a target; write an id string or a table like { channel = \"…\", threads = true }",
            "discord.targets[1]: unknown key `room`",
            "discord.targets[2]: unknown key `thread`",
            "discord.targets[3]: missing `channel`",
            "discord.targets[4]: `threads` must be true or false (found string)",
            "discord.targets[5]: `channel` must be a string (found integer)",
            "discord.targets[6]: `abc` is not a Discord channel id",
            "matrix.targets[0]: unknown key `channel`; write an id string or a table like { room = \"…\", threads = true }",
            "matrix.targets[1]: found array, not a target",
        ] {
            assert!(all.contains(needle), "missing {needle:?} in:\n{all}");
        }
    }

    #[test]
    fn matrix_ids_are_validated() {
        assert!(MatrixRoomRef::parse("!abc:example.org").is_some());
        assert!(
            MatrixRoomRef::parse("#council:example.org")
                .unwrap()
                .is_alias()
        );
        assert!(MatrixRoomRef::parse("council").is_none());
        assert!(MatrixRoomRef::parse("#:x").is_none());
        assert!(MatrixRoomRef::parse("!iZ3SBrn9pGGc65AJPSBht845wYK9Npe3uw3oUDHazAI").is_some());
        assert!(MatrixRoomRef::parse("#no-server").is_none());
        assert!(MatrixRoomRef::parse("!").is_none());
        assert!(is_matrix_user_id("@clerk:example.org"));
        assert!(!is_matrix_user_id("clerk"));
    }

    #[test]
    fn the_status_is_off_by_default_and_takes_over_the_discord_pin_when_on() {
        let discord = "[discord]\ntoken = \"t\"\ntargets = [\"810000000000000001\"]\n";
        let off = check(&format!("{BASE}{discord}"), &[]).unwrap();
        assert_eq!(off.status, StatusSettings::default());
        assert!(off.discord.unwrap().pin_meeting_start);
        let on = check(
            &format!("{BASE}{discord}[status]\nenabled = true\nmin_edit_interval_secs = 5\n"),
            &[],
        )
        .unwrap();
        assert!(on.status.enabled);
        assert_eq!(on.status.min_edit_interval, Duration::from_secs(5));
        assert!(!on.discord.unwrap().pin_meeting_start);
        let zero = check(
            &format!("{BASE}[status]\nmin_edit_interval_secs = 0\n"),
            &[],
        )
        .unwrap_err();
        assert!(
            zero[0].starts_with("status.min_edit_interval_secs"),
            "{zero:?}"
        );
    }

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
