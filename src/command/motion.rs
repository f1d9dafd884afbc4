//! `!motion <text> | mover=<name> | seconder=<name>`: a motion on the current item.

use super::{Command, Motion, ParseError, opt, split_options, usage};
use crate::desk::{Effect, Refusal, Turn};

pub(super) fn parse(rest: &str) -> Result<Command, ParseError> {
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

/// A motion is recorded in the open meeting, outside a recess.
pub(super) fn apply(cmd: &Command, t: &Turn) -> Result<Effect, Refusal> {
    let meeting = t.in_session()?;
    t.record(meeting, cmd)
}
