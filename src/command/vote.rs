//! `!vote <for>-<against>-<abstain> carried|lost`, `!vote carried` (a show of hands) and
//! recorded votes (`| for=A, B | against=C | abstain=D`, counts matching the names).

use super::{Command, Counts, Outcome, ParseError, Roll, Vote, opt, split_options, usage};
use crate::desk::{Effect, Refusal, Turn};
use crate::roster::{Roster, Unmatched};
use crate::tr;

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

pub(super) fn parse(rest: &str) -> Result<Vote, ParseError> {
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

/// A vote is recorded in the open meeting, outside a recess. With a roster, its names are
/// the roster's.
pub(super) fn apply(cmd: &Command, t: &Turn) -> Result<Effect, Refusal> {
    let meeting = t.in_session()?;
    match (cmd, t.desk.roster()) {
        (Command::Vote(vote), Some(roster)) => {
            let named = Command::Vote(as_on_roster(vote, roster, t)?);
            t.record(meeting, &named)
        }
        _ => t.record(meeting, cmd),
    }
}

/// `vote` with every recorded name spelled as the roster spells it; a name on no one's entry
/// (or on several) is refused with the names the clerk may have meant. A casting vote by
/// someone not on the roster ("chair") is kept as typed.
fn as_on_roster(vote: &Vote, roster: &Roster, t: &Turn) -> Result<Vote, Refusal> {
    let mut seen: Vec<&str> = Vec::new();
    let mut resolve = |names: &[String]| -> Result<Vec<String>, Refusal> {
        let mut out = Vec::with_capacity(names.len());
        for typed in names {
            let c = roster.resolve(typed).map_err(|u| unmatched(&u, t))?;
            if seen.contains(&c.name.as_str()) {
                let name = c.name.clone();
                return Err(t.refuse(|l| tr!(l, "parse-named-twice", name = &name)));
            }
            seen.push(&c.name);
            out.push(c.name.clone());
        }
        Ok(out)
    };
    let roll = match &vote.roll {
        None => None,
        Some(roll) => Some(Roll {
            for_: resolve(&roll.for_)?,
            against: resolve(&roll.against)?,
            abstain: resolve(&roll.abstain)?,
        }),
    };
    Ok(Vote {
        roll,
        casting: vote
            .casting
            .as_deref()
            .map(|c| on_roster_or_typed(roster, c)),
        ..vote.clone()
    })
}

fn on_roster_or_typed(roster: &Roster, typed: &str) -> String {
    roster
        .resolve(typed)
        .map(|c| c.name.clone())
        .unwrap_or_else(|_| typed.to_string())
}

fn unmatched(u: &Unmatched, t: &Turn) -> Refusal {
    let name = u.name.clone();
    if u.suggestions.is_empty() {
        t.refuse(|l| tr!(l, "refuse-not-on-roster", name = &name))
    } else {
        let suggestions = u.suggestions.join(", ");
        t.refuse(|l| {
            tr!(
                l,
                "refuse-not-on-roster-did-you-mean",
                name = &name,
                suggestions = &suggestions
            )
        })
    }
}
