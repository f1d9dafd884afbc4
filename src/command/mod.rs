//! The clerk command grammar: one line of text in, a typed [`Command`] or a [`ParseError`] out;
//! and what each command means at the desk ([`Command::apply`]).
//!
//! The grammar is identical on every input (Discord, Matrix, console, HTTP). Errors are written
//! for the clerk: what was wrong and the form that is expected. This module holds what every
//! verb shares (the line checks, options, the verb table); each verb's own grammar, its rule
//! against the meeting's state and what it records live together in one file beside it
//! (`vote.rs` has `!vote`'s parser and its `apply`).

mod agenda;
mod amend;
mod consult;
mod info;
mod link;
mod meeting;
mod motion;
mod notes;
mod session;
#[cfg(test)]
mod tests;
mod vote;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use url::Url;

use std::fmt;

use crate::desk::{Effect, Refusal, Turn};
use crate::domain::EntryNo;
pub use crate::domain::payload::{Counts, Motion, Outcome, Roll, Vote};
use crate::i18n::{self, Arg, Lang};
use crate::tr;

/// Longest line Gavel accepts, in characters.
pub const MAX_LINE_CHARS: usize = 4000;

/// One parsed clerk (or resident) command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Start {
        title: Option<String>,
    },
    End,
    Agenda {
        number: String,
        title: String,
    },
    /// `!agenda` with nothing after it: show the agenda.
    ShowAgenda,
    Next,
    Motion(Motion),
    Vote(Vote),
    Consult(Consultation),
    ConsultExtend {
        number: u32,
        closes: NaiveDate,
    },
    ConsultWithdraw {
        number: u32,
    },
    Consultations,
    Link {
        url: Url,
        title: String,
    },
    Note {
        text: String,
    },
    Speaker {
        name: String,
    },
    Recess {
        minutes: Option<u32>,
    },
    Resume,
    Private {
        reason: Option<String>,
    },
    Public,
    Webcast {
        url: Url,
    },
    Fix {
        entry: EntryNo,
        text: String,
    },
    Strike {
        entry: EntryNo,
        reason: Option<String>,
    },
    Undo,
    Status,
    Help {
        topic: Option<String>,
    },
    Now,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consultation {
    pub url: Url,
    pub title: String,
    pub closes: NaiveDate,
}

/// Why a line was refused, written for the clerk, with the expected form. It holds a catalogue
/// key and its arguments, so the desk can show it in the council's language; `Display` gives
/// the English text (logs, tests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    key: &'static str,
    args: Vec<(&'static str, Arg<'static>)>,
    expected: Option<Expected>,
}

/// The form shown after a refusal: one verb's usage, or a pointer to `!help`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expected {
    Verb(&'static str),
    HelpList,
}

impl ParseError {
    fn new(key: &'static str, expected: Option<Expected>) -> Self {
        ParseError {
            key,
            args: Vec::new(),
            expected,
        }
    }

    fn arg(mut self, name: &'static str, value: impl Into<Arg<'static>>) -> Self {
        self.args.push((name, value.into()));
        self
    }

    /// Why the line was refused, in `lang`, without the expected form.
    pub fn reason(&self, lang: Lang) -> String {
        i18n::message(lang, self.key, &self.args)
    }

    /// The refusal and the expected form, in `lang`.
    pub fn message(&self, lang: Lang) -> String {
        let reason = self.reason(lang);
        let expected = match self.expected {
            None => return reason,
            Some(Expected::Verb(v)) => usage_text(v, lang),
            Some(Expected::HelpList) => tr!(lang, "parse-help-list"),
        };
        format!("{reason} {}", tr!(lang, "parse-expected", usage = expected))
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message(Lang::En))
    }
}

impl std::error::Error for ParseError {}

/// A verb of the grammar with its usage line and a one-line description for `!help`.
pub struct VerbHelp {
    pub verb: &'static str,
}

pub const VERBS: &[VerbHelp] = &[
    VerbHelp { verb: "start" },
    VerbHelp { verb: "end" },
    VerbHelp { verb: "agenda" },
    VerbHelp { verb: "next" },
    VerbHelp { verb: "motion" },
    VerbHelp { verb: "vote" },
    VerbHelp { verb: "consult" },
    VerbHelp {
        verb: "consultations",
    },
    VerbHelp { verb: "link" },
    VerbHelp { verb: "note" },
    VerbHelp { verb: "speaker" },
    VerbHelp { verb: "recess" },
    VerbHelp { verb: "resume" },
    VerbHelp { verb: "private" },
    VerbHelp { verb: "public" },
    VerbHelp { verb: "webcast" },
    VerbHelp { verb: "fix" },
    VerbHelp { verb: "strike" },
    VerbHelp { verb: "undo" },
    VerbHelp { verb: "status" },
    VerbHelp { verb: "help" },
    VerbHelp { verb: "now" },
];

/// Looks up a verb's help entry.
pub fn verb_help(verb: &str) -> Option<&'static VerbHelp> {
    let v = verb.trim().trim_start_matches('!').to_lowercase();
    VERBS.iter().find(|h| h.verb == v)
}

/// A verb's usage line in `lang` (`verb-usage` in the catalogues): the command words stay
/// English, the placeholders are translated.
pub fn usage_text(verb: &str, lang: Lang) -> String {
    tr!(lang, "verb-usage", verb = verb)
}

fn usage(verb: &str) -> Option<Expected> {
    verb_help(verb).map(|h| Expected::Verb(h.verb))
}

/// Characters that reorder text invisibly (Trojan Source): refused anywhere in a line.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// Checks a raw line before any parsing: size, bidi controls and other control characters.
pub fn check_line(line: &str) -> Result<(), ParseError> {
    let chars = line.chars().count();
    if chars > MAX_LINE_CHARS {
        return Err(ParseError::new("parse-line-too-long", None)
            .arg("chars", chars)
            .arg("limit", MAX_LINE_CHARS));
    }
    if let Some(c) = line.chars().find(|c| is_bidi_control(*c)) {
        return Err(
            ParseError::new("parse-bidi-control", None).arg("code", format!("U+{:04X}", c as u32))
        );
    }
    if let Some(c) = line
        .chars()
        .find(|c| c.is_control() && *c != '\n' && *c != '\t' && *c != '\r')
    {
        return Err(
            ParseError::new("parse-control-char", None).arg("code", format!("U+{:04X}", c as u32))
        );
    }
    Ok(())
}

/// Parses one line. `Ok(None)` means the line is not a command (it does not start with
/// `prefix`): chatter to be ignored. `today` is the council's local date, for closing dates.
pub fn parse(line: &str, prefix: &str, today: NaiveDate) -> Result<Option<Command>, ParseError> {
    let trimmed = line.trim();
    let Some(body) = trimmed.strip_prefix(prefix) else {
        return Ok(None);
    };
    check_line(line)?;
    let body = body.trim_start();
    let (verb, rest) = match body.find(char::is_whitespace) {
        Some(i) => (&body[..i], body[i..].trim()),
        None => (body, ""),
    };
    if verb.is_empty() {
        return Err(
            ParseError::new("parse-no-command", Some(Expected::HelpList))
                .arg("prefix", prefix.to_string()),
        );
    }
    let verb = verb.to_lowercase();
    let cmd = match verb.as_str() {
        "start" => Command::Start {
            title: non_empty(rest),
        },
        "end" => no_args(&verb, rest, Command::End)?,
        "agenda" => agenda::parse(rest)?,
        "next" => no_args(&verb, rest, Command::Next)?,
        "motion" => motion::parse(rest)?,
        "vote" => Command::Vote(vote::parse(rest)?),
        "consult" => consult::parse(rest, today)?,
        "consultations" => no_args(&verb, rest, Command::Consultations)?,
        "link" => link::parse_link(rest)?,
        "note" => Command::Note {
            text: required_text(&verb, rest, "text")?,
        },
        "speaker" => Command::Speaker {
            name: required_text(&verb, rest, "name")?,
        },
        "recess" => session::parse_recess(rest)?,
        "resume" => no_args(&verb, rest, Command::Resume)?,
        "private" => Command::Private {
            reason: non_empty(rest),
        },
        "public" => no_args(&verb, rest, Command::Public)?,
        "webcast" => link::parse_webcast(rest)?,
        "fix" => amend::parse_fix(rest)?,
        "strike" => amend::parse_strike(rest)?,
        "undo" => no_args(&verb, rest, Command::Undo)?,
        "status" => no_args(&verb, rest, Command::Status)?,
        "help" => Command::Help {
            topic: non_empty(rest).map(|t| t.trim_start_matches(prefix).to_lowercase()),
        },
        "now" => no_args(&verb, rest, Command::Now)?,
        other => return Err(unknown_verb(other, prefix)),
    };
    Ok(Some(cmd))
}

impl Command {
    /// What the command means at the desk now: an answer, an entry to record, or a refusal
    /// saying why not. Each verb's rule is in its own file.
    pub(crate) fn apply(self, t: &Turn) -> Result<Effect, Refusal> {
        match self {
            Command::Start { title } => meeting::start(title, t),
            cmd @ Command::End => meeting::end(&cmd, t),
            cmd @ Command::Agenda { .. } => agenda::agenda(&cmd, t),
            Command::ShowAgenda => agenda::show(t),
            Command::Next => agenda::next(t),
            cmd @ Command::Motion(_) => motion::apply(&cmd, t),
            cmd @ Command::Vote(_) => vote::apply(&cmd, t),
            cmd @ Command::Consult(_) => consult::announce(&cmd, t),
            Command::ConsultExtend { number, closes } => consult::extend(number, closes, t),
            Command::ConsultWithdraw { number } => consult::withdraw(number, t),
            Command::Consultations => consult::list(t),
            cmd @ (Command::Link { .. } | Command::Webcast { .. }) => link::apply(&cmd, t),
            cmd @ Command::Note { .. } => notes::note(&cmd, t),
            cmd @ Command::Speaker { .. } => notes::speaker(&cmd, t),
            cmd @ Command::Recess { .. } => session::recess(&cmd, t),
            cmd @ Command::Resume => session::resume(&cmd, t),
            cmd @ Command::Private { .. } => session::private(&cmd, t),
            cmd @ Command::Public => session::public(&cmd, t),
            Command::Fix { entry, text } => amend::fix(entry, text, t),
            Command::Strike { entry, reason } => amend::strike(entry, reason, t),
            Command::Undo => amend::undo(t),
            Command::Status => info::status(t),
            Command::Help { topic } => info::help(topic.as_deref(), t),
            Command::Now => info::now(t),
        }
    }
}

fn unknown_verb(verb: &str, prefix: &str) -> ParseError {
    let best = VERBS
        .iter()
        .map(|h| (strsim::damerau_levenshtein(verb, h.verb), h.verb))
        .filter(|(d, v)| *d <= 2 || (verb.len() >= 3 && v.starts_with(verb)))
        .min_by_key(|(d, _)| *d);
    let shown: String = verb.chars().take(40).collect();
    match best {
        Some((_, v)) => ParseError::new("parse-unknown-command-suggest", usage(v))
            .arg("command", format!("{prefix}{shown}"))
            .arg("suggestion", format!("{prefix}{v}")),
        None => ParseError::new("parse-unknown-command", Some(Expected::HelpList))
            .arg("command", format!("{prefix}{shown}")),
    }
}

fn non_empty(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

fn no_args(verb: &str, rest: &str, cmd: Command) -> Result<Command, ParseError> {
    if rest.trim().is_empty() {
        Ok(cmd)
    } else {
        Err(ParseError::new("parse-takes-nothing", usage(verb)).arg("verb", verb.to_string()))
    }
}

/// `what` is a `parse-needs-text` selector variant: `text` or `name`.
fn required_text(verb: &str, rest: &str, what: &'static str) -> Result<String, ParseError> {
    non_empty(rest).ok_or_else(|| {
        ParseError::new("parse-needs-text", usage(verb))
            .arg("verb", verb.to_string())
            .arg("what", what)
    })
}

/// `key=value` options after the text, keys lowercased, in the order given.
type Options = Vec<(String, String)>;

/// Splits `text | key=value | key=value` into the text and its options. Keys are lowercased;
/// a segment without `=` is an error naming the allowed keys.
fn split_options<'a>(
    verb: &str,
    rest: &'a str,
    allowed: &[&str],
) -> Result<(&'a str, Options), ParseError> {
    let mut parts = rest.split('|');
    let head = parts.next().unwrap_or("").trim();
    let mut opts: Vec<(String, String)> = Vec::new();
    for seg in parts {
        let seg = seg.trim();
        let Some((k, v)) = seg.split_once('=') else {
            return Err(ParseError::new("parse-not-an-option", usage(verb))
                .arg("segment", seg.to_string())
                .arg("verb", verb.to_string())
                .arg("keys", list_keys(allowed)));
        };
        let key = k.trim().to_lowercase();
        if !allowed.contains(&key.as_str()) {
            return Err(ParseError::new("parse-unknown-option", usage(verb))
                .arg("verb", verb.to_string())
                .arg("key", key)
                .arg("keys", list_keys(allowed)));
        }
        if opts.iter().any(|(k, _)| *k == key) {
            return Err(ParseError::new("parse-option-twice", usage(verb)).arg("key", key));
        }
        opts.push((key, v.trim().to_string()));
    }
    Ok((head, opts))
}

/// `` `mover=`, `seconder=` `` (every verb that takes options has at least one).
fn list_keys(keys: &[&str]) -> String {
    keys.iter()
        .map(|k| format!("`{k}=`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn opt<'o>(opts: &'o [(String, String)], key: &str) -> Option<&'o str> {
    opts.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

/// Parses an absolute http(s) URL; anything else (javascript:, data:, relative) is refused.
pub fn parse_web_url(s: &str, verb: &str) -> Result<Url, ParseError> {
    let shown: String = s.chars().take(60).collect();
    let url = Url::parse(s)
        .map_err(|_| ParseError::new("parse-not-a-url", usage(verb)).arg("url", shown.clone()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(ParseError::new("parse-url-scheme", usage(verb))
            .arg("scheme", url.scheme().to_string()));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(ParseError::new("parse-url-no-host", usage(verb)).arg("url", shown));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(ParseError::new("parse-url-credentials", usage(verb)));
    }
    Ok(url)
}

fn url_and_title(verb: &str, rest: &str) -> Result<(Url, String), ParseError> {
    let (u, title) = match rest.split_once(char::is_whitespace) {
        Some((u, t)) => (u, t.trim()),
        None => (rest, ""),
    };
    if u.is_empty() {
        return Err(ParseError::new("parse-needs-link", usage(verb)).arg("verb", verb.to_string()));
    }
    let url = parse_web_url(u, verb)?;
    if title.is_empty() {
        return Err(
            ParseError::new("parse-needs-link-title", usage(verb)).arg("verb", verb.to_string())
        );
    }
    Ok((url, title.to_string()))
}
