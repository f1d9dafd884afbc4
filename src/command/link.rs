//! `!link <url> <title>` (papers, documents) and `!webcast <url>` (marks the webcast's start,
//! from which exports time subtitles and chapters).

use super::{Command, ParseError, parse_web_url, url_and_title, usage};
use crate::desk::{Effect, Refusal, Turn};

pub(super) fn parse_link(rest: &str) -> Result<Command, ParseError> {
    let (url, title) = url_and_title("link", rest)?;
    Ok(Command::Link { url, title })
}

pub(super) fn parse_webcast(rest: &str) -> Result<Command, ParseError> {
    let words: Vec<&str> = rest.split_whitespace().collect();
    match words.as_slice() {
        [u] => Ok(Command::Webcast {
            url: parse_web_url(u, "webcast")?,
        }),
        [] => Err(ParseError::new("parse-webcast-link", usage("webcast"))),
        _ => Err(ParseError::new("parse-webcast-one-link", usage("webcast"))),
    }
}

/// Links and the webcast mark are recorded in the open meeting, even during a recess.
pub(super) fn apply(cmd: &Command, t: &Turn) -> Result<Effect, Refusal> {
    let meeting = t.meeting()?;
    t.record(meeting, cmd)
}
