//! Residents' questions in target rooms: `!now`, `!agenda` and `!consultations`, answered
//! briefly from the public record and rate-limited per user and per room. Everything else
//! residents say is ignored. Platforms hand every message from a target room to
//! [`Residents::answer`] and post what it returns as a reply that pings nobody.
//!
//! Decisions, and why:
//! - Only the three questions exactly (configured prefix, any case, nothing after the verb) are
//!   answered. `!agenda 5 Planning` is a clerk's command, not a question, and is ignored.
//! - No command ever runs from a target room, whoever types it: a clerk in a target room is a
//!   resident there. Commands belong in command rooms, where they are acknowledged and where
//!   a mistake is seen by the clerks before the public.
//! - Answers come from [`Desk::public_answer`]: the texts clerks get, minus anything from a
//!   private session.
//! - A limited question gets no answer at all: "you are rate limited" would be spam itself.
//! - Questions sent before Gavel started (read on a sync after a restart) or more than
//!   [`MAX_AGE`] ago (replayed after a reconnection) are not answered: a late answer to a
//!   question about "now" is wrong, and a restart must not set off a burst of replies.
//! - Memory is bounded: at most [`MAX_TRACKED`] users (and rooms) are remembered; see
//!   [`Cooldowns`].

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use crate::desk::Desk;

/// Older questions are not answered (see the module doc).
pub const MAX_AGE: Duration = Duration::from_secs(120);

/// How many users, and how many rooms, the rate limits remember at most.
pub const MAX_TRACKED: usize = 10_000;

/// `[residents]` in the config.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResidentSettings {
    /// Whether residents' questions are answered at all.
    pub enabled: bool,
    /// One answer per user per this long (across rooms).
    pub per_user: Duration,
    /// One answer per room per this long.
    pub per_room: Duration,
}

impl Default for ResidentSettings {
    /// A room sees at most six answers a minute, and one resident cannot take them all.
    fn default() -> Self {
        ResidentSettings {
            enabled: true,
            per_user: Duration::from_secs(60),
            per_room: Duration::from_secs(10),
        }
    }
}

/// What a resident may ask.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Question {
    Now,
    Agenda,
    Consultations,
}

impl Question {
    /// `Some` only for exactly `<prefix><verb>` (the verb in any case, spaces around allowed,
    /// nothing else).
    pub fn parse(text: &str, prefix: &str) -> Option<Question> {
        let verb = text.trim().strip_prefix(prefix)?.trim_start();
        [Question::Now, Question::Agenda, Question::Consultations]
            .into_iter()
            .find(|q| q.verb().eq_ignore_ascii_case(verb))
    }

    pub fn verb(self) -> &'static str {
        match self {
            Question::Now => "now",
            Question::Agenda => "agenda",
            Question::Consultations => "consultations",
        }
    }
}

/// A message from a target room, as the platform saw it.
#[derive(Debug, Clone, Copy)]
pub struct Asked<'a> {
    /// `discord`, `matrix`: keeps users and rooms of different platforms apart.
    pub platform: &'a str,
    pub room: &'a str,
    pub user: &'a str,
    pub text: &'a str,
    /// When the platform says the message was sent.
    pub sent: DateTime<Utc>,
}

/// Answers residents' questions (one per app, shared by every platform's input).
pub struct Residents {
    desk: Arc<Desk>,
    started: DateTime<Utc>,
    limits: Mutex<Limits>,
}

struct Limits {
    users: Cooldowns<(String, String)>,
    rooms: Cooldowns<(String, String)>,
}

impl Residents {
    /// `started`: questions sent before this are never answered.
    pub fn new(desk: Arc<Desk>, settings: ResidentSettings, started: DateTime<Utc>) -> Residents {
        Residents {
            desk,
            started,
            limits: Mutex::new(Limits {
                users: Cooldowns::new(settings.per_user, MAX_TRACKED),
                rooms: Cooldowns::new(settings.per_room, MAX_TRACKED),
            }),
        }
    }

    /// The answer to post as a reply to `asked`, or `None` to stay silent: not a question,
    /// too old, or rate-limited.
    pub async fn answer(&self, asked: &Asked<'_>, now: DateTime<Utc>) -> Option<String> {
        let prefix = &self.desk.settings().prefix;
        let Some(question) = Question::parse(asked.text, prefix) else {
            if asked.text.trim_start().starts_with(prefix.as_str()) {
                tracing::debug!(platform = asked.platform, room = asked.room, user = asked.user,
                    verb = %verb_of(asked.text, prefix), "ignored a resident's command that is not a question");
            }
            return None;
        };
        let verb = question.verb();
        if asked.sent < self.started || now - asked.sent > delta(MAX_AGE) {
            tracing::debug!(
                platform = asked.platform,
                room = asked.room,
                user = asked.user,
                verb,
                "ignored a resident's question sent before Gavel started or too long ago"
            );
            return None;
        }
        if !self.take_turn(asked, now) {
            tracing::debug!(
                platform = asked.platform,
                room = asked.room,
                user = asked.user,
                verb,
                "rate-limited a resident's question"
            );
            return None;
        }
        self.desk.public_answer(question, now).await
    }

    /// Whether both the user and the room may have an answer now; if so, starts both waits.
    fn take_turn(&self, asked: &Asked<'_>, now: DateTime<Utc>) -> bool {
        let user = (asked.platform.to_string(), asked.user.to_string());
        let room = (asked.platform.to_string(), asked.room.to_string());
        let mut limits = self.limits.lock().unwrap_or_else(|p| p.into_inner());
        if !limits.users.ready(&user, now) || !limits.rooms.ready(&room, now) {
            return false;
        }
        limits.users.mark(user, now);
        limits.rooms.mark(room, now);
        true
    }
}

/// The word after the prefix, cut short, for logs (nothing else of a resident's text is logged).
fn verb_of(text: &str, prefix: &str) -> String {
    let rest = text.trim_start()[prefix.len()..].trim_start();
    rest.split_whitespace()
        .next()
        .unwrap_or_default()
        .chars()
        .take(20)
        .collect()
}

fn delta(d: Duration) -> TimeDelta {
    TimeDelta::from_std(d).unwrap_or(TimeDelta::MAX)
}

/// When each key was last answered: a key is ready again `every` later. Only answered keys are
/// stored, so the map grows no faster than answers are given; when it holds `cap` keys, those
/// whose wait is over are dropped (they carry no information), and if every key is still
/// waiting, the one answered longest ago is forgotten.
struct Cooldowns<K> {
    every: TimeDelta,
    cap: usize,
    last: HashMap<K, DateTime<Utc>>,
}

impl<K: Eq + Hash + Clone> Cooldowns<K> {
    fn new(every: Duration, cap: usize) -> Cooldowns<K> {
        Cooldowns {
            every: delta(every),
            cap: cap.max(1),
            last: HashMap::new(),
        }
    }

    /// A clock that stepped back (`now` before the last answer) does not hold a key forever.
    fn ready(&self, key: &K, now: DateTime<Utc>) -> bool {
        self.last
            .get(key)
            .is_none_or(|&t| now - t >= self.every || now < t)
    }

    fn mark(&mut self, key: K, now: DateTime<Utc>) {
        if self.last.len() >= self.cap && !self.last.contains_key(&key) {
            self.evict(now);
        }
        self.last.insert(key, now);
    }

    fn evict(&mut self, now: DateTime<Utc>) {
        let every = self.every;
        self.last.retain(|_, t| now - *t < every && now >= *t);
        if self.last.len() >= self.cap
            && let Some(oldest) = self
                .last
                .iter()
                .min_by_key(|(_, t)| **t)
                .map(|(k, _)| k.clone())
        {
            self.last.remove(&oldest);
        }
    }
}

#[cfg(test)]
mod tests;
