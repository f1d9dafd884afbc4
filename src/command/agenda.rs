//! `!agenda <number> <title>` (a new agenda item), `!agenda` (show it) and `!next` (the next
//! preloaded item): their grammar, their rules and what they record.

use super::{Command, ParseError, usage};
use crate::desk::{Effect, MeetingState, Refusal, Turn};
use crate::i18n::Lang;
use crate::tr;

fn is_agenda_number(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_digit())
        && s.len() <= 12
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '(' | ')'))
}

pub(super) fn parse(rest: &str) -> Result<Command, ParseError> {
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

/// `!agenda 5 Title`: the item is recorded in the open meeting, outside a recess.
pub(super) fn agenda(cmd: &Command, t: &Turn) -> Result<Effect, Refusal> {
    let meeting = t.in_session()?;
    t.record(meeting, cmd)
}

/// `!next`: the next preloaded item, recorded as if typed with `!agenda`.
pub(super) fn next(t: &Turn) -> Result<Effect, Refusal> {
    let meeting = t.in_session()?;
    let Some(item) = t.st.planned.get(t.st.next_index).cloned() else {
        return Err(if t.st.planned.is_empty() {
            t.refuse(|l| tr!(l, "refuse-no-preloaded-agenda"))
        } else {
            t.refuse(|l| tr!(l, "refuse-agenda-finished"))
        });
    };
    let cmd = Command::Agenda {
        number: item.number.clone(),
        title: item.title,
    };
    let mut effect = t.record(meeting, &cmd)?;
    // An exempt item: remind the clerk how to exclude the public, and exclude nothing (the
    // meeting resolves to, not the software).
    if item.exempt
        && !t.st.private
        && let Effect::Record(record) = &mut effect
    {
        record.note = Some(t.say(|l| tr!(l, "ack-exempt-item", number = &item.number)));
    }
    Ok(effect)
}

/// `!agenda` alone: the agenda with the current item marked.
pub(super) fn show(t: &Turn) -> Result<Effect, Refusal> {
    Ok(t.answer(|l| agenda_text(t.st, l)))
}

fn agenda_text(st: &MeetingState, l: Lang) -> String {
    if st.meeting.is_none() {
        return tr!(l, "status-no-meeting");
    }
    let mut lines = vec![tr!(l, "agenda-heading", title = &st.title)];
    if st.planned.is_empty() {
        match &st.current_item {
            Some((n, t)) => lines.push(tr!(l, "agenda-current-item", number = n, title = t)),
            None => lines.push(tr!(l, "agenda-no-items")),
        }
    } else {
        for (i, p) in st.planned.iter().enumerate() {
            let mark = match &st.current_item {
                Some((n, _)) if *n == p.number => "▶ ",
                _ if i < st.next_index => "✓ ",
                _ => "  ",
            };
            lines.push(format!("{mark}{} {}", p.number, p.title));
        }
    }
    lines.join("\n")
}
