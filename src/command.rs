//! The clerk command grammar: one line of text in, a typed [`Command`] or a [`ParseError`] out.
//!
//! The grammar is identical on every input (Discord, Matrix, console, HTTP). Errors are written
//! for the clerk: what was wrong and the form that is expected.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use url::Url;

use std::fmt;

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
        "agenda" => parse_agenda(rest)?,
        "next" => no_args(&verb, rest, Command::Next)?,
        "motion" => parse_motion(rest)?,
        "vote" => Command::Vote(parse_vote(rest)?),
        "consult" => parse_consult(rest, today)?,
        "consultations" => no_args(&verb, rest, Command::Consultations)?,
        "link" => parse_link(rest)?,
        "note" => Command::Note {
            text: required_text(&verb, rest, "text")?,
        },
        "speaker" => Command::Speaker {
            name: required_text(&verb, rest, "name")?,
        },
        "recess" => parse_recess(rest)?,
        "resume" => no_args(&verb, rest, Command::Resume)?,
        "private" => Command::Private {
            reason: non_empty(rest),
        },
        "public" => no_args(&verb, rest, Command::Public)?,
        "webcast" => parse_webcast(rest)?,
        "fix" => parse_fix(rest)?,
        "strike" => parse_strike(rest)?,
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

fn is_agenda_number(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_digit())
        && s.len() <= 12
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '(' | ')'))
}

fn parse_agenda(rest: &str) -> Result<Command, ParseError> {
    if rest.is_empty() {
        return Ok(Command::ShowAgenda);
    }
    let (number, title) = match rest.split_once(char::is_whitespace) {
        Some((n, t)) => (n, t.trim()),
        None => (rest, ""),
    };
    if !is_agenda_number(number) {
        return Err(ParseError::new("parse-agenda-number", usage("agenda"))
            .arg("number", number.chars().take(20).collect::<String>()));
    }
    if title.is_empty() {
        return Err(ParseError::new("parse-agenda-title", usage("agenda"))
            .arg("number", number.to_string()));
    }
    Ok(Command::Agenda {
        number: number.to_string(),
        title: title.to_string(),
    })
}

fn parse_motion(rest: &str) -> Result<Command, ParseError> {
    let (text, opts) = split_options("motion", rest, &["mover", "seconder"])?;
    if text.is_empty() {
        return Err(ParseError::new("parse-motion-text", usage("motion")));
    }
    let name = |key: &str| -> Result<Option<String>, ParseError> {
        match opt(&opts, key) {
            None => Ok(None),
            Some("") => Err(ParseError::new("parse-option-needs-name", usage("motion"))
                .arg("key", key.to_string())),
            Some(v) => Ok(Some(v.to_string())),
        }
    };
    Ok(Command::Motion(Motion {
        text: text.to_string(),
        mover: name("mover")?,
        seconder: name("seconder")?,
    }))
}

/// `what` is `for`, `against` or `abstain` (a selector in the catalogues).
fn parse_count(s: &str, what: &'static str) -> Result<u32, ParseError> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ParseError::new("parse-count-not-number", usage("vote"))
            .arg("what", what)
            .arg("count", s.chars().take(20).collect::<String>()));
    }
    s.parse::<u32>()
        .ok()
        .filter(|n| *n <= 100_000)
        .ok_or_else(|| {
            ParseError::new("parse-count-too-large", usage("vote"))
                .arg("what", what)
                .arg("count", s.to_string())
        })
}

fn parse_names(list: &str, option: &str) -> Result<Vec<String>, ParseError> {
    if list.trim().is_empty() {
        return Ok(Vec::new());
    }
    let names: Vec<String> = list.split(',').map(|n| n.trim().to_string()).collect();
    if names.iter().any(|n| n.is_empty()) {
        return Err(
            ParseError::new("parse-empty-name", usage("vote")).arg("option", option.to_string())
        );
    }
    Ok(names)
}

fn parse_vote(rest: &str) -> Result<Vote, ParseError> {
    let (head, opts) = split_options("vote", rest, &["for", "against", "abstain", "casting"])?;
    let words: Vec<&str> = head.split_whitespace().collect();
    let (tally, result_word) = match words.as_slice() {
        [r] => (None, *r),
        [t, r] => (Some(*t), *r),
        [] => {
            return Err(ParseError::new("parse-vote-needs-result", usage("vote")));
        }
        _ => {
            return Err(ParseError::new("parse-not-a-result", usage("vote"))
                .arg("result", head.to_string()));
        }
    };
    let outcome = match result_word.to_lowercase().as_str() {
        "carried" | "passed" | "agreed" => Outcome::Carried,
        "lost" | "failed" | "defeated" | "rejected" => Outcome::Lost,
        other if other.contains(['-', '–', '/']) || other.bytes().all(|b| b.is_ascii_digit()) => {
            return Err(ParseError::new(
                "parse-vote-result-after-counts",
                usage("vote"),
            ));
        }
        other => {
            return Err(ParseError::new("parse-not-a-result-use", usage("vote"))
                .arg("result", other.chars().take(20).collect::<String>()));
        }
    };
    let counts = match tally {
        None => None,
        Some(t) => {
            let nums: Vec<&str> = t.split(['-', '–', '/']).collect();
            let (f, a, ab) = match nums.as_slice() {
                [f, a, ab] => (*f, *a, *ab),
                [f, a] => (*f, *a, "0"),
                _ => {
                    return Err(ParseError::new("parse-not-a-tally", usage("vote"))
                        .arg("tally", t.chars().take(30).collect::<String>()));
                }
            };
            Some(Counts {
                for_: parse_count(f, "for")?,
                against: parse_count(a, "against")?,
                abstain: parse_count(ab, "abstain")?,
            })
        }
    };
    let casting = match opt(&opts, "casting") {
        None => None,
        Some("") => {
            return Err(ParseError::new("parse-casting-needs-who", usage("vote")));
        }
        Some(v) => Some(v.to_string()),
    };
    let has_roll = ["for", "against", "abstain"]
        .iter()
        .any(|k| opt(&opts, k).is_some());
    let roll = if has_roll {
        let roll = Roll {
            for_: parse_names(opt(&opts, "for").unwrap_or(""), "for")?,
            against: parse_names(opt(&opts, "against").unwrap_or(""), "against")?,
            abstain: parse_names(opt(&opts, "abstain").unwrap_or(""), "abstain")?,
        };
        let mut seen: Vec<String> = Vec::new();
        for n in roll.for_.iter().chain(&roll.against).chain(&roll.abstain) {
            let key = n.to_lowercase();
            if seen.contains(&key) {
                return Err(
                    ParseError::new("parse-named-twice", usage("vote")).arg("name", n.clone())
                );
            }
            seen.push(key);
        }
        Some(roll)
    } else {
        None
    };
    let counts = match (counts, &roll) {
        (Some(c), Some(r)) => {
            let named = (
                r.for_.len() as u32,
                r.against.len() as u32,
                r.abstain.len() as u32,
            );
            if named != (c.for_, c.against, c.abstain) {
                return Err(ParseError::new("parse-names-mismatch", usage("vote"))
                    .arg("counted", format!("{}-{}-{}", c.for_, c.against, c.abstain))
                    .arg("named", format!("{}-{}-{}", named.0, named.1, named.2)));
            }
            Some(c)
        }
        (None, Some(r)) => Some(Counts {
            for_: r.for_.len() as u32,
            against: r.against.len() as u32,
            abstain: r.abstain.len() as u32,
        }),
        (c, None) => c,
    };
    if let Some(c) = counts {
        if outcome == Outcome::Carried && c.for_ <= c.against && casting.is_none() {
            return Err(
                ParseError::new("parse-carried-needs-majority", usage("vote"))
                    .arg("ayes", c.for_)
                    .arg("noes", c.against),
            );
        }
        if casting.is_some() && c.for_ != c.against {
            return Err(ParseError::new("parse-casting-needs-tie", usage("vote"))
                .arg("ayes", c.for_)
                .arg("noes", c.against));
        }
        if c.for_ == 0 && c.against == 0 && c.abstain == 0 {
            return Err(ParseError::new("parse-no-votes", usage("vote")));
        }
    }
    Ok(Vote {
        counts,
        outcome,
        casting,
        roll,
    })
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

fn parse_date(s: &str, today: NaiveDate, verb: &str) -> Result<NaiveDate, ParseError> {
    let d = NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| {
        ParseError::new("parse-not-a-date", usage(verb))
            .arg("date", s.chars().take(20).collect::<String>())
    })?;
    if d < today {
        return Err(ParseError::new("parse-date-past", usage(verb)).arg("date", d.to_string()));
    }
    Ok(d)
}

fn parse_consult(rest: &str, today: NaiveDate) -> Result<Command, ParseError> {
    let mut words = rest.split_whitespace();
    match words.next().map(str::to_lowercase).as_deref() {
        Some("extend") => {
            let args: Vec<&str> = words.collect();
            let [n, date] = args.as_slice() else {
                return Err(ParseError::new("parse-consult-extend", usage("consult")));
            };
            let number = parse_consult_no(n)?;
            return Ok(Command::ConsultExtend {
                number,
                closes: parse_date(date, today, "consult")?,
            });
        }
        Some("withdraw") => {
            let args: Vec<&str> = words.collect();
            let [n] = args.as_slice() else {
                return Err(ParseError::new("parse-consult-withdraw", usage("consult")));
            };
            return Ok(Command::ConsultWithdraw {
                number: parse_consult_no(n)?,
            });
        }
        _ => {}
    }
    let (head, opts) = split_options("consult", rest, &["closes"])?;
    let (url, title) = url_and_title("consult", head)?;
    let closes = match opt(&opts, "closes") {
        Some(d) => parse_date(d, today, "consult")?,
        None => {
            return Err(ParseError::new("parse-consult-closes", usage("consult")));
        }
    };
    Ok(Command::Consult(Consultation { url, title, closes }))
}

fn parse_consult_no(s: &str) -> Result<u32, ParseError> {
    let t = s.trim_start_matches(['#', 'C', 'c']);
    t.parse::<u32>().ok().filter(|n| *n > 0).ok_or_else(|| {
        ParseError::new("parse-consult-number", usage("consult")).arg("number", s.to_string())
    })
}

fn parse_link(rest: &str) -> Result<Command, ParseError> {
    let (url, title) = url_and_title("link", rest)?;
    Ok(Command::Link { url, title })
}

fn parse_webcast(rest: &str) -> Result<Command, ParseError> {
    let words: Vec<&str> = rest.split_whitespace().collect();
    match words.as_slice() {
        [u] => Ok(Command::Webcast {
            url: parse_web_url(u, "webcast")?,
        }),
        [] => Err(ParseError::new("parse-webcast-link", usage("webcast"))),
        _ => Err(ParseError::new("parse-webcast-one-link", usage("webcast"))),
    }
}

fn parse_recess(rest: &str) -> Result<Command, ParseError> {
    let t = rest
        .trim()
        .trim_end_matches("minutes")
        .trim_end_matches("mins")
        .trim_end_matches("min")
        .trim();
    if t.is_empty() {
        return Ok(Command::Recess { minutes: None });
    }
    match t.parse::<u32>() {
        Ok(m) if (1..=24 * 60).contains(&m) => Ok(Command::Recess { minutes: Some(m) }),
        _ => Err(ParseError::new("parse-recess-minutes", usage("recess"))
            .arg("minutes", rest.chars().take(20).collect::<String>())),
    }
}

fn entry_and_rest(verb: &str, rest: &str) -> Result<(EntryNo, String), ParseError> {
    let (n, tail) = match rest.split_once(char::is_whitespace) {
        Some((n, t)) => (n, t.trim()),
        None => (rest, ""),
    };
    if n.is_empty() {
        return Err(ParseError::new("parse-needs-entry", usage(verb)).arg("verb", verb.to_string()));
    }
    let entry = EntryNo::parse(n).ok_or_else(|| {
        ParseError::new("parse-not-an-entry", usage(verb))
            .arg("entry", n.chars().take(20).collect::<String>())
    })?;
    Ok((entry, tail.to_string()))
}

fn parse_fix(rest: &str) -> Result<Command, ParseError> {
    let (entry, text) = entry_and_rest("fix", rest)?;
    if text.is_empty() {
        return Err(ParseError::new("parse-fix-text", usage("fix")).arg("entry", entry.0));
    }
    Ok(Command::Fix { entry, text })
}

fn parse_strike(rest: &str) -> Result<Command, ParseError> {
    let (entry, reason) = entry_and_rest("strike", rest)?;
    Ok(Command::Strike {
        entry,
        reason: non_empty(&reason),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
    }

    fn p(line: &str) -> Result<Option<Command>, ParseError> {
        parse(line, "!", today())
    }

    fn ok(line: &str) -> Command {
        match p(line) {
            Ok(Some(c)) => c,
            other => panic!("{line:?} should parse, got {other:?}"),
        }
    }

    fn err(line: &str) -> String {
        match p(line) {
            Err(e) => e.to_string(),
            other => panic!("{line:?} should be refused, got {other:?}"),
        }
    }

    /// (input, accepted?, text the reply or debug form must contain)
    const TABLE: &[(&str, bool, &str)] = &[
        ("!start Full Council", true, "Full Council"),
        ("!START Planning Committee", true, "Planning Committee"),
        ("!start", true, "Start { title: None }"),
        ("!end", true, "End"),
        ("!end now please", false, "takes nothing"),
        (
            "!agenda 5 Planning application",
            true,
            "Planning application",
        ),
        ("!agenda 5a Late item", true, "5a"),
        ("!agenda 7.2 Budget", true, "7.2"),
        ("!agenda", true, "ShowAgenda"),
        ("!agenda five Planning", false, "not an agenda item number"),
        ("!agenda 5", false, "needs a title"),
        ("!next", true, "Next"),
        ("!next 5", false, "takes nothing"),
        (
            "!motion That the application be approved | mover=Cllr Jones | seconder=Cllr Patel",
            true,
            "Cllr Patel",
        ),
        ("!motion That the report be noted", true, "mover: None"),
        (
            "!motion | mover=Cllr Jones",
            false,
            "needs the motion's text",
        ),
        (
            "!motion Approve | proposer=Cllr Jones",
            false,
            "no option `proposer`",
        ),
        ("!motion Approve | mover", false, "not a `key=value`"),
        ("!motion Approve | mover=", false, "needs a name"),
        ("!vote 32-10-3 carried", true, "for_: 32"),
        ("!vote 32-10-3 CARRIED", true, "Carried"),
        ("!vote 10-32-3 lost", true, "Lost"),
        ("!vote 32-10 carried", true, "abstain: 0"),
        ("!vote carried", true, "counts: None"),
        ("!vote lost", true, "Lost"),
        (
            "!vote 10-32-3 carried",
            false,
            "more votes for than against",
        ),
        ("!vote 10-10-0 carried", false, "casting=chair"),
        ("!vote 10-10-0 carried | casting=chair", true, "chair"),
        (
            "!vote 11-10-0 carried | casting=chair",
            false,
            "only given on a tie",
        ),
        ("!vote -1-10-3 lost", false, "not a tally"),
        ("!vote 3.5-1-0 carried", false, "not a whole number"),
        ("!vote a-b-c carried", false, "not a whole number"),
        ("!vote 32-10-3", false, "needs a result"),
        ("!vote 32-10-3 maybe", false, "not a vote result"),
        ("!vote", false, "needs a result"),
        ("!vote 0-0-0 lost", false, "no votes at all"),
        (
            "!vote 2-1-1 carried | for=Ann Lee, Bob Roy | against=Cy Dee | abstain=Di Fox",
            true,
            "Bob Roy",
        ),
        (
            "!vote 2-1-1 carried | for=Ann Lee | against=Cy Dee | abstain=Di Fox",
            false,
            "do not match the counts",
        ),
        ("!vote carried | for=Ann, Bob | against=Cy", true, "for_: 2"),
        (
            "!vote 2-1-0 carried | for=Ann, Ann | against=Cy",
            false,
            "more than once",
        ),
        (
            "!vote 2-1-0 carried | for=Ann,, Bob | against=Cy",
            false,
            "empty name",
        ),
        ("!vote 99999999999-1-0 carried", false, "too large"),
        (
            "!consult https://example.gov.uk/local-plan Local Plan | closes=2027-01-31",
            true,
            "Local Plan",
        ),
        (
            "!consult https://example.gov.uk/lp Local Plan",
            false,
            "closing date",
        ),
        (
            "!consult https://example.gov.uk/lp Local Plan | closes=2027-02-30",
            false,
            "not a real date",
        ),
        (
            "!consult https://example.gov.uk/lp Local Plan | closes=2020-01-01",
            false,
            "in the past",
        ),
        (
            "!consult javascript:alert(1) Click me | closes=2027-01-31",
            false,
            "Only http",
        ),
        (
            "!consult data:text/html,<script>x</script> Plan | closes=2027-01-31",
            false,
            "Only http",
        ),
        (
            "!consult /relative/path Plan | closes=2027-01-31",
            false,
            "not a web address",
        ),
        (
            "!consult https://example.gov.uk/lp | closes=2027-01-31",
            false,
            "needs a title",
        ),
        ("!consult extend 3 2027-03-01", true, "ConsultExtend"),
        ("!consult extend 3", false, "new closing date"),
        ("!consult withdraw 2", true, "ConsultWithdraw"),
        ("!consult withdraw two", false, "not a consultation number"),
        ("!consultations", true, "Consultations"),
        (
            "!link https://example.gov.uk/papers.pdf Agenda papers",
            true,
            "Agenda papers",
        ),
        ("!link ftp://example.gov.uk/x Papers", false, "Only http"),
        (
            "!link https://user:pw@example.gov.uk/x Papers",
            false,
            "user name or password",
        ),
        ("!link https://example.gov.uk/x", false, "needs a title"),
        ("!link", false, "needs a link"),
        (
            "!note Cllr Smith declared an interest",
            true,
            "declared an interest",
        ),
        (
            "!note @everyone <script>alert(1)</script>",
            true,
            "<script>alert(1)</script>",
        ),
        ("!note", false, "needs text"),
        ("!speaker Cllr Ahmed", true, "Cllr Ahmed"),
        ("!speaker", false, "needs name"),
        ("!recess", true, "minutes: None"),
        ("!recess 10", true, "Some(10)"),
        ("!recess 10 minutes", true, "Some(10)"),
        ("!recess ten", false, "number of minutes"),
        ("!recess 0", false, "number of minutes"),
        ("!resume", true, "Resume"),
        (
            "!private Exempt information, paragraph 3",
            true,
            "paragraph 3",
        ),
        ("!private", true, "reason: None"),
        ("!public", true, "Public"),
        ("!webcast https://youtube.com/live/abc", true, "youtube.com"),
        ("!webcast javascript:alert(1)", false, "Only http"),
        ("!webcast", false, "needs the webcast"),
        ("!fix 12 Cllr Smith seconded", true, "EntryNo(12)"),
        ("!fix #12 Cllr Smith seconded", true, "EntryNo(12)"),
        ("!fix 12", false, "needs the corrected text"),
        ("!fix twelve text", false, "not an entry number"),
        ("!fix", false, "needs an entry number"),
        ("!strike 12 Posted in error", true, "Posted in error"),
        ("!strike 12", true, "reason: None"),
        ("!strike 0", false, "not an entry number"),
        ("!undo", true, "Undo"),
        ("!status", true, "Status"),
        ("!help", true, "topic: None"),
        ("!help vote", true, "vote"),
        ("!now", true, "Now"),
        ("!vot 1-0-0 carried", false, "Did you mean `!vote`"),
        ("!agneda 5 Item", false, "Did you mean `!agenda`"),
        ("!frobnicate", false, "Unknown command"),
        ("!", false, "needs a command"),
        ("!note hello \u{202E}dlrow", false, "bidirectional"),
        ("!note \u{2066}isolated\u{2069}", false, "bidirectional"),
        ("!note bell\u{0007}", false, "control character"),
    ];

    #[test]
    fn parser_table_accepts_and_refuses_as_documented() {
        assert!(TABLE.len() >= 60);
        for (line, accepted, needle) in TABLE {
            let got = p(line);
            match (accepted, &got) {
                (true, Ok(Some(c))) => {
                    let dbg = format!("{c:?}");
                    assert!(dbg.contains(needle), "{line:?}: {dbg} lacks {needle:?}");
                }
                (false, Err(e)) => {
                    let msg = e.to_string();
                    assert!(msg.contains(needle), "{line:?}: {msg:?} lacks {needle:?}");
                }
                _ => panic!("{line:?}: expected accepted={accepted}, got {got:?}"),
            }
        }
    }

    #[test]
    fn lines_without_the_prefix_are_not_commands() {
        assert_eq!(p("hello everyone"), Ok(None));
        assert_eq!(p(""), Ok(None));
        assert_eq!(
            parse("?note hi", "?", today()).unwrap(),
            Some(Command::Note { text: "hi".into() })
        );
    }

    #[test]
    fn overlong_line_is_refused_with_its_length() {
        let line = format!("!note {}", "x".repeat(5000));
        let e = err(&line);
        assert!(e.contains("5006 characters"), "{e}");
        assert!(e.contains("4000"));
    }

    #[test]
    fn line_of_exactly_the_limit_is_accepted() {
        let line = format!("!note {}", "x".repeat(MAX_LINE_CHARS - 6));
        assert_eq!(line.chars().count(), MAX_LINE_CHARS);
        assert!(matches!(ok(&line), Command::Note { .. }));
    }

    #[test]
    fn errors_carry_the_expected_form() {
        let e = err("!vote 10-32-3 carried");
        assert!(e.contains("Expected: !vote"), "{e}");
    }

    #[test]
    fn show_of_hands_vote_has_no_counts() {
        assert_eq!(
            ok("!vote carried"),
            Command::Vote(Vote {
                counts: None,
                outcome: Outcome::Carried,
                casting: None,
                roll: None
            })
        );
    }

    #[test]
    fn mention_and_html_text_is_kept_verbatim() {
        assert_eq!(
            ok("!note @everyone <img src=x onerror=alert(1)>"),
            Command::Note {
                text: "@everyone <img src=x onerror=alert(1)>".into()
            }
        );
    }

    #[test]
    fn closing_date_today_is_accepted() {
        let c = ok("!consult https://e.gov.uk/x X | closes=2026-11-25");
        assert!(matches!(c, Command::Consult(Consultation { closes, .. }) if closes == today()));
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn parser_never_panics(line in "\\PC{0,300}") {
                let _ = parse(&line, "!", today());
            }

            #[test]
            fn parser_never_panics_on_command_shaped_lines(
                verb in prop::sample::select(VERBS.iter().map(|v| v.verb).collect::<Vec<_>>()),
                rest in "[ -~\u{00a0}-\u{00ff}|=,#-]{0,80}",
            ) {
                let _ = parse(&format!("!{verb} {rest}"), "!", today());
            }

            #[test]
            fn lines_with_bidi_controls_are_never_accepted(
                verb in prop::sample::select(VERBS.iter().map(|v| v.verb).collect::<Vec<_>>()),
                a in "[a-z0-9 ]{0,20}",
                b in "[a-z0-9 ]{0,20}",
                bidi in prop::sample::select(vec!['\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}']),
            ) {
                let line = format!("!{verb} {a}{bidi}{b}");
                prop_assert!(parse(&line, "!", today()).is_err());
            }
        }
    }
}
