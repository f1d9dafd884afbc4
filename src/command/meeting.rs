//! `!start [title]` (open a meeting: the next scheduled one with its agenda, or the one
//! scheduled today under that title, or a new one) and `!end`
//! (close it; the desk then signs its chain head).

use super::Command;
use crate::archive::MeetingRef;
use crate::desk::{Effect, Record, Refusal, Turn};
use crate::domain::{Payload, payload};
use crate::{render, tr};

/// Opens a meeting when none is open: the titled one, or the next scheduled one.
pub(super) fn start(title: Option<String>, t: &Turn) -> Result<Effect, Refusal> {
    if t.st.meeting.is_some() {
        return Err(t.refuse(|l| tr!(l, "refuse-still-open", title = &t.st.title)));
    }
    let (title, scheduled) = match title {
        // A title that names today's scheduled meeting takes it, with its agenda.
        Some(title) => match t
            .archive()
            .scheduled_titled(t.today(), &title)
            .map_err(|e| t.internal(e))?
        {
            Some(m) => (m.title, Some(m.id)),
            None => (title, None),
        },
        None => match t
            .archive()
            .next_scheduled(t.today())
            .map_err(|e| t.internal(e))?
        {
            Some(m) => (m.title, Some(m.id)),
            None => return Err(t.refuse(|l| tr!(l, "refuse-nothing-scheduled"))),
        },
    };
    let planned = match scheduled {
        Some(id) => t.archive().planned_items(id).map_err(|e| t.internal(e))?,
        None => Vec::new(),
    };
    let text = render::start_text(&title, t.language());
    Ok(Effect::Record(Box::new(Record {
        meeting: MeetingRef::New {
            title: title.clone(),
            scheduled,
        },
        payload: Payload::Start(payload::Start { title }),
        text,
        refers_to: None,
        confidential: false,
        planned,
        note: None,
    })))
}

/// Closing the meeting is public, even from a private session.
pub(super) fn end(cmd: &Command, t: &Turn) -> Result<Effect, Refusal> {
    let meeting = t.meeting()?;
    t.record_as(meeting, cmd, false)
}
