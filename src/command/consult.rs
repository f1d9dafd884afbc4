//! `!consult <url> <title> | closes=YYYY-MM-DD` (announce a public consultation),
//! `!consult extend <n> YYYY-MM-DD`, `!consult withdraw <n>` and `!consultations` (the open
//! ones). Consultations are numbered across the archive (see [`crate::consultations`]).

use chrono::NaiveDate;

use super::{Command, Consultation, ParseError, opt, split_options, url_and_title, usage};
use crate::consultations::{ConsultationRecord, consultations};
use crate::desk::{Effect, Refusal, Turn};
use crate::domain::{Payload, payload};
use crate::i18n::Lang;
use crate::{render, tr};

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

pub(super) fn parse(rest: &str, today: NaiveDate) -> Result<Command, ParseError> {
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

/// A new consultation is recorded in the open meeting.
pub(super) fn announce(cmd: &Command, t: &Turn) -> Result<Effect, Refusal> {
    let meeting = t.meeting()?;
    t.record(meeting, cmd)
}

/// A later closing date for an open consultation.
pub(super) fn extend(number: u32, closes: NaiveDate, t: &Turn) -> Result<Effect, Refusal> {
    let meeting = t.meeting()?;
    refuse_in_private(t)?;
    let c = open_consultation(number, t)?;
    if closes <= c.closes {
        // Reminders and the web page follow the latest date; a shorter deadline is far more
        // likely a typo than an extension.
        return Err(t.refuse(|l| {
            tr!(
                l,
                "consult-extend-not-later",
                number = number,
                closes = render::long_date(c.closes, l)
            )
        }));
    }
    let payload = Payload::ConsultExtend(payload::ConsultExtension {
        consultation: number,
        closes,
    });
    let text = render::consult_extended_text(&c.title, closes, t.language());
    Ok(t.entry(meeting, payload, text, false))
}

/// An open consultation withdrawn.
pub(super) fn withdraw(number: u32, t: &Turn) -> Result<Effect, Refusal> {
    let meeting = t.meeting()?;
    refuse_in_private(t)?;
    let c = open_consultation(number, t)?;
    let payload = Payload::ConsultWithdraw(payload::ConsultRef {
        consultation: number,
    });
    let text = render::consult_withdrawn_text(&c.title, t.language());
    Ok(t.entry(meeting, payload, text, false))
}

/// Recorded in private it would be confidential, so residents, reminders and the web page
/// would never see it: the consultation would silently stay as it was.
fn refuse_in_private(t: &Turn) -> Result<(), Refusal> {
    if t.st.private {
        return Err(t.refuse(|l| tr!(l, "consult-change-in-private")));
    }
    Ok(())
}

/// Consultation `number`, which must be neither withdrawn nor closed.
fn open_consultation(number: u32, t: &Turn) -> Result<ConsultationRecord, Refusal> {
    let all = consultations(t.archive()).map_err(|e| t.internal(e))?;
    match all.into_iter().find(|c| c.number == number) {
        Some(c) if c.withdrawn => {
            Err(t.refuse(|l| tr!(l, "refuse-consultation-withdrawn", number = number)))
        }
        Some(c) if c.closes < t.today() => Err(t.refuse(|l| {
            tr!(
                l,
                "refuse-consultation-closed",
                number = number,
                closes = render::long_date(c.closes, l)
            )
        })),
        Some(c) => Ok(c),
        None => Err(t.refuse(|l| tr!(l, "refuse-no-such-consultation", number = number))),
    }
}

/// `!consultations`: those neither withdrawn nor closed.
pub(super) fn list(t: &Turn) -> Result<Effect, Refusal> {
    let today = t.today();
    let open: Vec<ConsultationRecord> = consultations(t.archive())
        .map_err(|e| t.internal(e))?
        .into_iter()
        .filter(|c| !c.withdrawn && c.closes >= today)
        .collect();
    Ok(t.answer(|l| open_consultations_text(&open, l)))
}

fn open_consultations_text(open: &[ConsultationRecord], l: Lang) -> String {
    if open.is_empty() {
        return tr!(l, "consultations-none-open");
    }
    let mut lines = vec![tr!(l, "consultations-open-heading")];
    lines.extend(open.iter().map(|c| {
        tr!(
            l,
            "consultations-open-line",
            number = c.number,
            title = &c.title,
            url = &c.url,
            closes = render::long_date(c.closes, l)
        )
    }));
    lines.join("\n")
}
