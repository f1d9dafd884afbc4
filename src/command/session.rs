//! `!recess [minutes]` / `!resume` (adjournments) and `!private [reason]` / `!public`
//! (exempt business: while private, entries are archived as confidential and never published).

use super::{Command, ParseError, usage};
use crate::desk::{Effect, Refusal, Turn};
use crate::tr;

pub(super) fn parse_recess(rest: &str) -> Result<Command, ParseError> {
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

pub(super) fn recess(cmd: &Command, t: &Turn) -> Result<Effect, Refusal> {
    let meeting = t.meeting()?;
    if t.st.in_recess {
        return Err(t.refuse(|l| tr!(l, "refuse-already-in-recess")));
    }
    t.record(meeting, cmd)
}

pub(super) fn resume(cmd: &Command, t: &Turn) -> Result<Effect, Refusal> {
    let meeting = t.meeting()?;
    if !t.st.in_recess {
        return Err(t.refuse(|l| tr!(l, "refuse-not-in-recess")));
    }
    t.record(meeting, cmd)
}

/// Excluding the public is itself public (the placeholder residents see).
pub(super) fn private(cmd: &Command, t: &Turn) -> Result<Effect, Refusal> {
    let meeting = t.meeting()?;
    if t.st.private {
        return Err(t.refuse(|l| tr!(l, "refuse-already-private")));
    }
    t.record_as(meeting, cmd, false)
}

pub(super) fn public(cmd: &Command, t: &Turn) -> Result<Effect, Refusal> {
    let meeting = t.meeting()?;
    if !t.st.private {
        return Err(t.refuse(|l| tr!(l, "refuse-already-public")));
    }
    t.record_as(meeting, cmd, false)
}
