//! `!note <text>` (commentary) and `!speaker <name>` (who has the floor). Their grammar is
//! the shared "required text" rule in [`super::parse`].

use super::Command;
use crate::desk::{Effect, Refusal, Turn};

/// A note is recorded in the open meeting, even during a recess.
pub(super) fn note(cmd: &Command, t: &Turn) -> Result<Effect, Refusal> {
    let meeting = t.meeting()?;
    t.record(meeting, cmd)
}

/// A speaker has the floor only while the meeting sits (not in recess).
pub(super) fn speaker(cmd: &Command, t: &Turn) -> Result<Effect, Refusal> {
    let meeting = t.in_session()?;
    t.record(meeting, cmd)
}
