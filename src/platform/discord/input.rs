//! Clerk commands from Discord: the gateway (through serenity) for input, Gavel's own REST client
//! for every answer.
//!
//! - Intents: `GUILDS | GUILD_MESSAGES | MESSAGE_CONTENT` (the last is privileged and must be
//!   enabled for the application in the developer portal).
//! - Only messages in the configured command channels, from allow-listed clerk user ids, are
//!   executed. Bots (Gavel included) are ignored; anyone else's commands are ignored and logged.
//! - In target channels, residents' `!now`, `!agenda` and `!consultations` get a short reply
//!   (threaded to the question with `message_reference`, pinging nobody) when
//!   [`Residents`] allows it; everything else there is ignored, clerks' commands included.
//!   Answers have their own queue, so a busy target channel never delays a clerk's reply.
//! - Each command is answered in the channel as a reply that pings nobody; receipts
//!   ("#12 delivered 3/3") follow in the same channel, failing / recovered notices go to every
//!   command channel.
//! - `/gavel command:<text>` (registered per guild when `guild_id` is set) runs the same text
//!   grammar and is answered ephemerally.
//! - Serenity dispatches events on separate tasks, so events pass through one queue with a short
//!   reordering window and are handled strictly in message-id (time) order.
//! - Resume after a dropped connection is serenity's; when a session cannot be resumed, serenity
//!   identifies again and Discord does not replay what was missed. So after every READY the
//!   command channels' history after the last processed message id (kept in
//!   `discord-cursor.json` beside the archive) is read and handled like live messages. Ingest is
//!   idempotent by message id in the archive, so nothing runs twice.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, anyhow};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use serenity::all::{
    Context, EventHandler, GatewayIntents, Interaction, Message, Ready, ResumedEvent,
};
use serenity::http::HttpBuilder;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::config::{DiscordId, DiscordSettings};
use super::render::{MAX_CONTENT, create_body, no_mentions, split};
use super::rest::{Rest, RestError};
use crate::archive::{Archive, Fence};
use crate::cluster::SharedPosition;
use crate::desk::{ClerkInput, Desk, Reply};
use crate::domain::{Author, SourceRef};
use crate::outbox::{Outbox, OutboxEvent};
use crate::receipts::{Receipts, clerk_notice};
use crate::residents::{Asked, Residents};
use crate::tr;

/// How long events wait to be put back in order (serenity hands them over concurrently).
const REORDER_WINDOW: Duration = Duration::from_millis(120);

/// Milliseconds from the Unix epoch to Discord's epoch (2015-01-01), the base of snowflake ids.
const DISCORD_EPOCH_MS: u64 = 1_420_070_400_000;

/// When a message was sent: a snowflake id's top 42 bits are milliseconds since Discord's epoch.
fn sent_at(id: u64) -> DateTime<Utc> {
    let ms = (id >> 22).saturating_add(DISCORD_EPOCH_MS);
    DateTime::from_timestamp_millis(i64::try_from(ms).unwrap_or(i64::MAX)).unwrap_or_default()
}

/// A chat message, whether it came live from the gateway or from channel history.
#[derive(Debug, Clone)]
pub struct ChatMessage {
    pub id: u64,
    pub channel: u64,
    pub author_id: u64,
    pub author_name: String,
    pub bot: bool,
    pub content: String,
}

impl ChatMessage {
    fn from_serenity(m: &Message) -> ChatMessage {
        ChatMessage {
            id: m.id.get(),
            channel: m.channel_id.get(),
            author_id: m.author.id.get(),
            author_name: m
                .author
                .global_name
                .clone()
                .unwrap_or_else(|| m.author.name.clone()),
            bot: m.author.bot || m.webhook_id.is_some(),
            content: m.content.clone(),
        }
    }

    /// From a REST message object (history); `None` if it lacks the fields Gavel needs.
    fn from_json(v: &Value) -> Option<ChatMessage> {
        let id = |x: &Value| x.as_str().and_then(|s| s.parse::<u64>().ok());
        let author = v.get("author")?;
        Some(ChatMessage {
            id: id(v.get("id")?)?,
            channel: id(v.get("channel_id")?)?,
            author_id: id(author.get("id")?)?,
            author_name: author
                .get("global_name")
                .and_then(Value::as_str)
                .or_else(|| author.get("username").and_then(Value::as_str))
                .unwrap_or("")
                .to_string(),
            bot: author.get("bot").and_then(Value::as_bool).unwrap_or(false)
                || v.get("webhook_id").is_some_and(|w| !w.is_null()),
            content: v
                .get("content")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
        })
    }
}

/// A slash command invocation.
#[derive(Debug, Clone)]
pub struct SlashCommand {
    pub id: u64,
    pub token: String,
    pub channel: u64,
    pub user_id: u64,
    pub user_name: String,
    pub text: String,
}

#[derive(Debug)]
enum Incoming {
    Ready { application: u64, user: u64 },
    Resumed,
    Message(ChatMessage),
    Slash(SlashCommand),
}

struct Handler {
    tx: mpsc::UnboundedSender<Incoming>,
}

#[serenity::async_trait]
impl EventHandler for Handler {
    async fn ready(&self, _ctx: Context, ready: Ready) {
        tracing::info!(session = %ready.session_id, guilds = ready.guilds.len(), "Discord gateway ready");
        let _ = self.tx.send(Incoming::Ready {
            application: ready.application.id.get(),
            user: ready.user.id.get(),
        });
    }

    async fn resume(&self, _ctx: Context, _ev: ResumedEvent) {
        tracing::info!("Discord gateway session resumed");
        let _ = self.tx.send(Incoming::Resumed);
    }

    async fn message(&self, _ctx: Context, msg: Message) {
        let _ = self
            .tx
            .send(Incoming::Message(ChatMessage::from_serenity(&msg)));
    }

    async fn interaction_create(&self, _ctx: Context, interaction: Interaction) {
        let Interaction::Command(ci) = interaction else {
            return;
        };
        if ci.data.name != "gavel" {
            return;
        }
        let text = ci
            .data
            .options
            .iter()
            .find(|o| o.name == "command")
            .and_then(|o| o.value.as_str())
            .unwrap_or("")
            .to_string();
        let _ = self.tx.send(Incoming::Slash(SlashCommand {
            id: ci.id.get(),
            token: ci.token.clone(),
            channel: ci.channel_id.get(),
            user_id: ci.user.id.get(),
            user_name: ci
                .user
                .global_name
                .clone()
                .unwrap_or_else(|| ci.user.name.clone()),
            text,
        }));
    }
}

/// The last processed message id per command channel, persisted beside the archive, and in
/// the archive too when instances share it ([`DiscordInput::share_position`]), so whichever
/// instance takes the input over resumes there.
struct Cursor {
    path: PathBuf,
    last: BTreeMap<u64, u64>,
    shared: Option<SharedPosition>,
}

/// The cursor's name among the archive's positions.
const POSITION: &str = "discord:cursor";

fn parse_cursor(text: &str) -> Option<BTreeMap<u64, u64>> {
    serde_json::from_str::<BTreeMap<String, String>>(text)
        .ok()
        .map(|m| {
            m.into_iter()
                .filter_map(|(k, v)| Some((k.parse().ok()?, v.parse().ok()?)))
                .collect()
        })
}

impl Cursor {
    fn load(path: PathBuf, shared: Option<SharedPosition>) -> Cursor {
        let last = match shared.as_ref().and_then(SharedPosition::load) {
            Some(text) => parse_cursor(&text).unwrap_or_default(),
            None => std::fs::read_to_string(&path)
                .ok()
                .and_then(|s| parse_cursor(&s))
                .unwrap_or_default(),
        };
        Cursor { path, last, shared }
    }

    fn get(&self, channel: u64) -> Option<u64> {
        self.last.get(&channel).copied()
    }

    fn advance(&mut self, channel: u64, id: u64) {
        if self.get(channel).is_some_and(|l| l >= id) {
            return;
        }
        self.last.insert(channel, id);
        let text = serde_json::to_string_pretty(
            &self
                .last
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<BTreeMap<_, _>>(),
        )
        .unwrap_or_default();
        if let Err(e) =
            crate::files::replace(&self.path, text.as_bytes(), crate::files::Access::Private)
        {
            tracing::warn!(path = %self.path.display(), error = %e, "cannot save the Discord cursor; a restart may re-read some history (ingest stays idempotent)");
        }
        if let Some(shared) = &self.shared {
            shared.save(&text);
        }
    }
}

/// The Discord input: built at startup, run as a critical task.
pub struct DiscordInput {
    settings: DiscordSettings,
    rest: Arc<Rest>,
    cursor_path: PathBuf,
    /// Where the cursor is kept in the archive, when instances share it.
    shared: Option<SharedPosition>,
}

impl DiscordInput {
    pub fn new(settings: DiscordSettings, rest: Arc<Rest>, state_dir: PathBuf) -> DiscordInput {
        DiscordInput {
            settings,
            rest,
            cursor_path: state_dir.join("discord-cursor.json"),
            shared: None,
        }
    }

    /// Keeps the cursor in `archive` as well, saved only under `fence` (this instance's lease
    /// on the input): instances that share the archive resume where the last one got to.
    pub fn share_position(&mut self, archive: Arc<Archive>, fence: Fence) {
        self.shared = Some(SharedPosition::new(archive, fence, POSITION));
    }

    /// Connects to the gateway and handles clerk commands (and, with `residents`, residents'
    /// questions in target channels) until `stop`. Returns an error if the token is rejected or
    /// the gateway client gives up (the app then exits non-zero).
    pub async fn run(
        self,
        desk: Arc<Desk>,
        outbox: Arc<Outbox>,
        residents: Option<Arc<Residents>>,
        stop: CancellationToken,
    ) -> anyhow::Result<()> {
        use secrecy::ExposeSecret;
        // Check the token with our own client first: a clear error, and no gateway fallback to
        // the real Discord if the configured base is wrong.
        let mut wait = Duration::from_secs(1);
        loop {
            match self
                .rest
                .request(reqwest::Method::GET, "/users/@me", None)
                .await
            {
                Ok(_) => break,
                Err(RestError::Unauthorized) => {
                    return Err(anyhow!(
                        "Discord rejected the bot token (HTTP 401): check discord.token"
                    ));
                }
                Err(e) => {
                    tracing::warn!(error = %e, wait_s = wait.as_secs(), "Discord not reachable yet");
                    tokio::select! {
                        _ = tokio::time::sleep(wait) => {}
                        _ = stop.cancelled() => return Ok(()),
                    }
                    wait = (wait * 2).min(Duration::from_secs(60));
                }
            }
        }
        let hears_residents = residents.is_some() && !self.settings.targets.is_empty();
        if self.settings.command_channels.is_empty() && !hears_residents {
            // Targets only, and no questions to hear: no gateway needed.
            stop.cancelled().await;
            return Ok(());
        }

        let (tx, rx) = mpsc::unbounded_channel();
        let http = HttpBuilder::new(self.settings.token.expose_secret())
            .proxy(self.settings.api_base.as_str().trim_end_matches('/'))
            .ratelimiter_disabled(true)
            .build();
        let intents = GatewayIntents::GUILDS
            | GatewayIntents::GUILD_MESSAGES
            | GatewayIntents::MESSAGE_CONTENT;
        let mut client = serenity::client::ClientBuilder::new_with_http(http, intents)
            .event_handler(Handler { tx })
            .await
            .context("building the Discord gateway client")?;
        let shards = client.shard_manager.clone();

        let archive = Arc::clone(desk.archive());
        let language = desk.settings().language;
        let (say_tx, say_rx) = mpsc::unbounded_channel();
        let speaker = tokio::spawn(speak(Arc::clone(&self.rest), say_rx));
        let (answer_tx, answer_rx) = mpsc::unbounded_channel();
        let answerer = tokio::spawn(speak(Arc::clone(&self.rest), answer_rx));
        let processor = Processor {
            say: say_tx,
            answer: answer_tx,
            residents,
            settings: self.settings.clone(),
            rest: Arc::clone(&self.rest),
            desk,
            cursor: Cursor::load(self.cursor_path.clone(), self.shared.clone()),
            receipts: Receipts::new(Arc::clone(&archive), language),
            receipt_channel: HashMap::new(),
            application: None,
            user: None,
            commands_registered: false,
        };
        let events = outbox.subscribe();
        let proc_stop = stop.clone();
        let mut proc_task = tokio::spawn(processor.run(rx, events, proc_stop));

        let result = tokio::select! {
            r = client.start() => match r {
                Ok(()) => Err(anyhow!("the Discord gateway connection ended")),
                Err(e) => Err(anyhow!("Discord gateway: {e}")),
            },
            _ = stop.cancelled() => {
                shards.shutdown_all().await;
                Ok(())
            }
            r = &mut proc_task => Err(anyhow!("the Discord command processor stopped: {r:?}")),
        };
        proc_task.abort();
        speaker.abort();
        answerer.abort();
        result
    }
}

struct Processor {
    settings: DiscordSettings,
    rest: Arc<Rest>,
    desk: Arc<Desk>,
    cursor: Cursor,
    receipts: Receipts,
    /// Entry id → the channel its receipt goes to.
    receipt_channel: HashMap<i64, u64>,
    application: Option<u64>,
    user: Option<u64>,
    commands_registered: bool,
    /// Replies, receipts and notices, posted in order by [`speak`] so that the command
    /// channel's rate limit never holds up the next command.
    say: mpsc::UnboundedSender<Say>,
    /// Answers to residents, posted by a [`speak`] of their own.
    answer: mpsc::UnboundedSender<Say>,
    residents: Option<Arc<Residents>>,
}

impl Processor {
    async fn run(
        mut self,
        mut rx: mpsc::UnboundedReceiver<Incoming>,
        mut events: tokio::sync::broadcast::Receiver<OutboxEvent>,
        stop: CancellationToken,
    ) {
        loop {
            tokio::select! {
                first = rx.recv() => {
                    let Some(first) = first else { return };
                    let mut batch = vec![first];
                    tokio::time::sleep(REORDER_WINDOW).await;
                    while let Ok(ev) = rx.try_recv() {
                        batch.push(ev);
                    }
                    self.handle_batch(batch).await;
                }
                ev = events.recv() => match ev {
                    Ok(ev) => self.on_outbox_event(&ev).await,
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => tracing::warn!(missed = n, "Discord receipts lagged"),
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                },
                _ = stop.cancelled() => return,
            }
        }
    }

    async fn handle_batch(&mut self, batch: Vec<Incoming>) {
        let mut messages = Vec::new();
        let mut slashes = Vec::new();
        let mut ready = false;
        for ev in batch {
            match ev {
                Incoming::Ready { application, user } => {
                    self.application = Some(application);
                    self.user = Some(user);
                    ready = true;
                }
                Incoming::Resumed => {}
                Incoming::Message(m) => messages.push(m),
                Incoming::Slash(s) => slashes.push(s),
            }
        }
        if ready {
            self.register_commands().await;
            messages.extend(self.catch_up().await);
        }
        messages.sort_by_key(|m| m.id);
        messages.dedup_by_key(|m| m.id);
        for m in messages {
            self.handle_message(m).await;
        }
        for s in slashes {
            self.handle_slash(s).await;
        }
    }

    async fn register_commands(&mut self) {
        let (Some(app), Some(guild)) = (self.application, self.settings.guild_id) else {
            return;
        };
        if self.commands_registered {
            return;
        }
        let body = json!([{
            "name": "gavel",
            "type": 1,
            "description": "A clerk command, same grammar as the ! commands",
            "dm_permission": false,
            "contexts": [0],
            "options": [{
                "type": 3,
                "name": "command",
                "description": "e.g. vote 32-10-3 carried, note Apologies from Cllr Brown",
                "required": true,
                "max_length": 4000,
            }],
        }]);
        match self.rest.put_guild_commands(app, guild.0, &body).await {
            Ok(()) => {
                self.commands_registered = true;
                tracing::info!(guild = %guild, "registered the /gavel command");
            }
            Err(e) => {
                tracing::warn!(guild = %guild, error = %e, "cannot register the /gavel command; text commands still work")
            }
        }
    }

    /// Command-channel messages newer than the last processed one, read from history.
    async fn catch_up(&mut self) -> Vec<ChatMessage> {
        let mut found = Vec::new();
        for ch in self.settings.command_channels.clone() {
            let Some(mut after) = self.cursor.get(ch.0) else {
                continue;
            };
            for _page in 0..20 {
                match self.rest.messages_after(ch.0, after, 100).await {
                    Ok(list) => {
                        let n = list.len();
                        for m in list.iter().filter_map(ChatMessage::from_json) {
                            after = after.max(m.id);
                            found.push(m);
                        }
                        if n < 100 {
                            break;
                        }
                    }
                    Err(e) => {
                        tracing::warn!(channel = %ch, error = %e, "cannot read command-channel history after reconnecting");
                        break;
                    }
                }
            }
        }
        if !found.is_empty() {
            tracing::info!(
                messages = found.len(),
                "catching up on command-channel messages sent while disconnected"
            );
        }
        found
    }

    fn is_command_channel(&self, channel: u64) -> bool {
        self.settings.command_channels.contains(&DiscordId(channel))
    }

    fn is_clerk(&self, user: u64) -> bool {
        self.settings.clerks.contains(&DiscordId(user))
    }

    fn is_target(&self, channel: u64) -> bool {
        self.settings.targets.contains(&DiscordId(channel))
    }

    async fn handle_message(&mut self, m: ChatMessage) {
        if m.bot || Some(m.author_id) == self.user {
            return;
        }
        if !self.is_command_channel(m.channel) {
            if self.is_target(m.channel) {
                self.handle_question(&m).await;
            }
            return;
        }
        if self.cursor.get(m.channel).is_some_and(|last| m.id <= last) {
            return; // already handled (replayed on resume, or overlapping catch-up)
        }
        let prefix = &self.desk.settings().prefix;
        if !self.is_clerk(m.author_id) {
            if m.content.trim_start().starts_with(prefix.as_str()) {
                tracing::info!(
                    channel = m.channel,
                    user = m.author_id,
                    "ignored a command from a user who is not on the clerk list"
                );
            }
            self.cursor.advance(m.channel, m.id);
            return;
        }
        let reply = self
            .desk
            .submit(ClerkInput {
                author: Author::new("discord", m.author_id.to_string(), m.author_name.clone()),
                text: m.content.clone(),
                source: Some(SourceRef {
                    platform: "discord".into(),
                    message_id: m.id.to_string(),
                }),
            })
            .await;
        self.cursor.advance(m.channel, m.id);
        if let Reply::Recorded {
            entry, deliveries, ..
        } = &reply
            && *deliveries > 0
        {
            self.receipts.track(entry);
            self.receipt_channel.insert(entry.id, m.channel);
        }
        if let Some(text) = reply.to_clerk(self.desk.settings().language) {
            self.say(m.channel, &text, &format!("r{}", m.id), Some(m.id));
        }
    }

    /// A message in a target channel: answered only if it is a resident's question that the
    /// limits allow. The nonce keeps a replayed question from being answered twice.
    async fn handle_question(&self, m: &ChatMessage) {
        let Some(residents) = &self.residents else {
            return;
        };
        let (room, user) = (m.channel.to_string(), m.author_id.to_string());
        let asked = Asked {
            platform: "discord",
            room: &room,
            user: &user,
            text: &m.content,
            sent: sent_at(m.id),
        };
        if let Some(text) = residents.answer(&asked, Utc::now()).await {
            let _ = self.answer.send(Say {
                channel: m.channel,
                text,
                nonce: format!("q{}", m.id),
                reply_to: Some(m.id),
            });
        }
    }

    /// `f` in the council's language(s), one per line.
    fn say_in_language(&self, f: impl FnMut(crate::i18n::Lang) -> String) -> String {
        self.desk.settings().language.each("\n", f)
    }

    async fn handle_slash(&mut self, s: SlashCommand) {
        let answer = if !self.is_command_channel(s.channel) {
            self.say_in_language(|l| tr!(l, "discord-not-a-command-channel"))
        } else if !self.is_clerk(s.user_id) {
            tracing::info!(
                channel = s.channel,
                user = s.user_id,
                "ignored a slash command from a user who is not on the clerk list"
            );
            self.say_in_language(|l| tr!(l, "discord-clerks-only"))
        } else {
            let prefix = self.desk.settings().prefix.clone();
            let trimmed = s.text.trim();
            let text = if trimmed.starts_with(prefix.as_str()) {
                trimmed.to_string()
            } else {
                format!("{prefix}{trimmed}")
            };
            let reply = self
                .desk
                .submit(ClerkInput {
                    author: Author::new("discord", s.user_id.to_string(), s.user_name.clone()),
                    text,
                    source: Some(SourceRef {
                        platform: "discord".into(),
                        message_id: format!("interaction:{}", s.id),
                    }),
                })
                .await;
            if let Reply::Recorded {
                entry, deliveries, ..
            } = &reply
                && *deliveries > 0
            {
                self.receipts.track(entry);
                self.receipt_channel.insert(entry.id, s.channel);
            }
            let language = self.desk.settings().language;
            reply.to_clerk(language).unwrap_or_else(|| {
                language.each("\n", |l| {
                    tr!(l, "input-not-a-command-short", prefix = &prefix)
                })
            })
        };
        let content = split(&answer, MAX_CONTENT)
            .into_iter()
            .next()
            .unwrap_or_default();
        let body = json!({"type": 4, "data": {"content": content, "flags": 64, "allowed_mentions": no_mentions()}});
        if let Err(e) = self.rest.interaction_callback(s.id, &s.token, &body).await {
            tracing::warn!(interaction = s.id, error = %e, "cannot answer a slash command");
        }
    }

    async fn on_outbox_event(&mut self, ev: &OutboxEvent) {
        if let OutboxEvent::Delivered { entry_id, .. } | OutboxEvent::Rejected { entry_id, .. } = ev
            && let Some(&channel) = self.receipt_channel.get(entry_id)
            && let Some(line) = self.receipts.on_event(ev)
        {
            self.receipt_channel.remove(entry_id);
            self.say(channel, &line, &format!("rc{entry_id}"), None);
        }
        if let Some(notice) = clerk_notice(ev, self.desk.settings().language) {
            for ch in self.settings.command_channels.clone() {
                self.say(ch.0, &format!("⚠ {notice}"), "", None);
            }
        }
    }

    /// Queues `text` for `channel` (split if long), the first part as a reply to `reply_to`.
    fn say(&self, channel: u64, text: &str, nonce: &str, reply_to: Option<u64>) {
        let _ = self.say.send(Say {
            channel,
            text: text.to_string(),
            nonce: nonce.to_string(),
            reply_to,
        });
    }
}

/// One answer to post: a reply to a clerk or a resident, a receipt or a notice.
#[derive(Debug)]
struct Say {
    channel: u64,
    text: String,
    /// Base of the per-part nonces ("" for none): a re-handled command does not answer twice.
    nonce: String,
    reply_to: Option<u64>,
}

/// Sends one answer, waiting out rate limits and retrying transient failures a few times
/// (the nonce keeps a retried answer from appearing twice).
async fn send_answer(rest: &Rest, channel: u64, body: &Value) -> Result<(), RestError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        match rest.create_message(channel, body).await {
            Ok(_) => return Ok(()),
            Err(RestError::RateLimited { retry_after, .. }) if attempt < 4 => {
                tokio::time::sleep(retry_after).await
            }
            Err(RestError::Server(_) | RestError::Transport(_)) if attempt < 4 => {
                tokio::time::sleep(Duration::from_secs(attempt)).await
            }
            Err(e) => return Err(e),
        }
    }
}

/// Posts queued answers one after another, paced by the REST client's rate limits.
async fn speak(rest: Arc<Rest>, mut rx: mpsc::UnboundedReceiver<Say>) {
    while let Some(s) = rx.recv().await {
        for (i, part) in split(&s.text, MAX_CONTENT).iter().enumerate() {
            let nonce = if s.nonce.is_empty() {
                String::new()
            } else {
                format!("{}p{i}", s.nonce)
            };
            let mut body = create_body(
                part,
                &nonce,
                s.reply_to.filter(|_| i == 0).map(|m| (s.channel, m)),
            );
            if nonce.is_empty()
                && let Some(o) = body.as_object_mut()
            {
                o.remove("nonce");
                o.remove("enforce_nonce");
            }
            if let Err(e) = send_answer(&rest, s.channel, &body).await {
                tracing::warn!(channel = s.channel, error = %e, "cannot post an answer");
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_messages_parse_and_bots_are_marked() {
        let v = json!({"id": "200000000000000001", "channel_id": "100000000000000001", "content": "!note hi",
            "author": {"id": "300000000000000001", "username": "clerk", "global_name": "The Clerk", "bot": false}});
        let m = ChatMessage::from_json(&v).unwrap();
        assert_eq!(
            (m.id, m.author_name.as_str(), m.bot),
            (200000000000000001, "The Clerk", false)
        );
        let b = json!({"id": "2", "channel_id": "1", "content": "x", "author": {"id": "3", "username": "b", "bot": true}});
        assert!(ChatMessage::from_json(&b).unwrap().bot);
        assert!(ChatMessage::from_json(&json!({"id": "x"})).is_none());
    }

    #[test]
    fn a_snowflake_gives_the_time_its_message_was_sent() {
        // Discord's documented example: 175928847299117063 was created 2016-04-30 11:18:25.796 UTC.
        assert_eq!(
            sent_at(175_928_847_299_117_063).to_rfc3339(),
            "2016-04-30T11:18:25.796+00:00"
        );
    }

    #[test]
    fn the_cursor_only_moves_forward_and_survives_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("discord-cursor.json");
        let mut c = Cursor::load(p.clone(), None);
        c.advance(1, 10);
        c.advance(1, 5);
        assert_eq!(Cursor::load(p, None).get(1), Some(10));
    }
}
