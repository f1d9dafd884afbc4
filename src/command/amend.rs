//! `!fix <entry> <new text>` (a correction), `!strike <entry> [reason]` (a withdrawal) and
//! `!undo` (strike this clerk's last entry). Each is a new entry that names the original,
//! which the archive keeps as it was.

use super::{Command, ParseError, non_empty, usage};
use crate::archive::MeetingRef;
use crate::desk::{Effect, EntrySummary, Record, Refusal, Turn};
use crate::domain::{EntryKind, EntryNo, MeetingId, Payload, payload};
use crate::{render, tr};

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

pub(super) fn parse_fix(rest: &str) -> Result<Command, ParseError> {
    let (entry, text) = entry_and_rest("fix", rest)?;
    if text.is_empty() {
        return Err(ParseError::new("parse-fix-text", usage("fix")).arg("entry", entry.0));
    }
    Ok(Command::Fix { entry, text })
}

pub(super) fn parse_strike(rest: &str) -> Result<Command, ParseError> {
    let (entry, reason) = entry_and_rest("strike", rest)?;
    Ok(Command::Strike {
        entry,
        reason: non_empty(&reason),
    })
}

/// `!fix`: the corrected text, confidential if the original is.
pub(super) fn fix(entry: EntryNo, text: String, t: &Turn) -> Result<Effect, Refusal> {
    let meeting = t.meeting()?;
    let original = amendable(t, meeting, entry)?;
    let rendered = render::correction_text(entry, &text, t.language());
    let payload = Payload::Correction(payload::Text { text });
    Ok(amendment(
        meeting,
        entry,
        payload,
        rendered,
        original.confidential,
    ))
}

/// `!strike`: a withdrawal, confidential if the original is.
pub(super) fn strike(entry: EntryNo, reason: Option<String>, t: &Turn) -> Result<Effect, Refusal> {
    let meeting = t.meeting()?;
    let original = amendable(t, meeting, entry)?;
    let text = render::withdrawal_text(entry, reason.as_deref(), t.language());
    let payload = Payload::Withdrawal(payload::Reason { reason });
    Ok(amendment(
        meeting,
        entry,
        payload,
        text,
        original.confidential,
    ))
}

/// `!undo`: strikes the last entry this clerk made that can still be struck.
pub(super) fn undo(t: &Turn) -> Result<Effect, Refusal> {
    let meeting = t.meeting()?;
    let Some(input) = t.input else {
        return Err(t.refuse(|l| tr!(l, "refuse-nothing-to-undo")));
    };
    let mine = (input.author.platform.clone(), input.author.user_id.clone());
    let last =
        t.st.entries
            .iter()
            .rev()
            .find(|s| s.author == mine && !matches!(s.kind, EntryKind::Withdrawal))
            .cloned();
    let Some(last) = last else {
        return Err(t.refuse(|l| tr!(l, "refuse-nothing-to-undo")));
    };
    if last.withdrawn {
        return Err(t.refuse(|l| tr!(l, "refuse-undo-withdrawn", entry = last.seq.to_string())));
    }
    if !last.kind.is_amendable() {
        return Err(t.refuse(|l| {
            tr!(
                l,
                "refuse-undo-kind",
                entry = last.seq.to_string(),
                kind = last.kind.to_string()
            )
        }));
    }
    let payload = Payload::Withdrawal(payload::Reason {
        reason: Some("undone by the clerk".into()),
    });
    let text = render::withdrawal_text(last.seq, None, t.language());
    Ok(amendment(
        meeting,
        last.seq,
        payload,
        text,
        last.confidential,
    ))
}

fn amendment(
    meeting: MeetingId,
    original: EntryNo,
    payload: Payload,
    text: String,
    confidential: bool,
) -> Effect {
    Effect::Record(Box::new(Record {
        meeting: MeetingRef::Existing(meeting),
        payload,
        text,
        refers_to: Some(original),
        confidential,
        planned: Vec::new(),
        note: None,
    }))
}

/// Entry `n` of the open meeting, if it exists, stands and is of a kind that can be amended.
fn amendable(t: &Turn, meeting: MeetingId, n: EntryNo) -> Result<EntrySummary, Refusal> {
    let Some(s) = t.st.entries.iter().find(|s| s.seq == n).cloned() else {
        let last = t.st.entries.last().map(|s| s.seq.0).unwrap_or(0);
        return Err(t.refuse(|l| {
            tr!(
                l,
                "refuse-no-such-entry",
                entry = n.to_string(),
                meeting = meeting.to_string(),
                last = last
            )
        }));
    };
    if s.withdrawn {
        return Err(t.refuse(|l| tr!(l, "refuse-entry-withdrawn", entry = n.to_string())));
    }
    if !s.kind.is_amendable() {
        return Err(t.refuse(|l| {
            tr!(
                l,
                "refuse-entry-kind",
                entry = n.to_string(),
                kind = s.kind.to_string()
            )
        }));
    }
    Ok(s)
}
