//! Turning commands into entry fields and text, and entries into the plain text residents read.
//!
//! Every fixed phrase comes from the message catalogues ([`crate::i18n`]). An entry's text is
//! rendered once, at append time, in the council's language(s) — `en+cy` gives both, one per
//! line — because it is stored and hash-chained; its structured fields stay language-neutral.
//! Clerks' own words (titles, notes, names) are never translated.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::command::{Command, Consultation, Motion, Outcome, Vote};
use crate::domain::payload::{self, AgendaItem};
use crate::domain::{Entry, EntryNo, Payload};
use crate::i18n::{Lang, Language};
use crate::tr;

/// `31 January 2027` / `31 Ionawr 2027`: month names come from the catalogues, not chrono's
/// English `%B`.
pub fn long_date(d: NaiveDate, lang: Lang) -> String {
    tr!(
        lang,
        "date-long",
        day = d.day(),
        month = month_name(d, lang),
        year = d.year()
    )
}

/// `Wednesday 31 January 2027` / `Dydd Mercher 31 Ionawr 2027`.
pub fn weekday_date(d: NaiveDate, lang: Lang) -> String {
    tr!(
        lang,
        "date-weekday-long",
        weekday = tr!(lang, "weekday-name", n = d.weekday().number_from_monday()),
        date = long_date(d, lang)
    )
}

fn month_name(d: NaiveDate, lang: Lang) -> String {
    tr!(lang, "month-name", n = d.month())
}

pub fn hhmm(at: DateTime<Utc>, tz: Tz) -> String {
    at.with_timezone(&tz).format("%H:%M").to_string()
}

/// A vote's outcome, counts (or show of hands), casting vote and recorded names.
pub fn vote_text(v: &Vote, lang: Lang) -> String {
    let outcome = match v.outcome {
        Outcome::Carried => "carried",
        Outcome::Lost => "lost",
    };
    let mut s = match v.counts {
        Some(c) => tr!(
            lang,
            "vote-counted",
            outcome = outcome,
            ayes = c.for_,
            noes = c.against,
            abstain = c.abstain
        ),
        None => tr!(lang, "vote-show-of-hands", outcome = outcome),
    };
    if let Some(who) = &v.casting {
        s.push_str(&tr!(lang, "vote-casting", who = who));
    }
    if let Some(roll) = &v.roll {
        let list = |names: &[String]| {
            if names.is_empty() {
                tr!(lang, "vote-roll-none")
            } else {
                names.join(", ")
            }
        };
        s.push_str(&tr!(
            lang,
            "vote-roll",
            ayes = list(&roll.for_),
            noes = list(&roll.against),
            abstain = list(&roll.abstain)
        ));
    }
    s
}

pub fn motion_text(m: &Motion, lang: Lang) -> String {
    let mut s = tr!(lang, "motion", text = &m.text);
    let by = match (&m.mover, &m.seconder) {
        (Some(a), Some(b)) => tr!(lang, "motion-moved-seconded", mover = a, seconder = b),
        (Some(a), None) => tr!(lang, "motion-moved", mover = a),
        (None, Some(b)) => tr!(lang, "motion-seconded", seconder = b),
        (None, None) => return s,
    };
    s.push(' ');
    s.push_str(&by);
    s
}

pub fn consult_text(c: &Consultation, lang: Lang) -> String {
    tr!(
        lang,
        "consultation",
        title = &c.title,
        url = c.url.as_str(),
        closes = long_date(c.closes, lang)
    )
}

/// The payload and text of the entry a recording command produces, or `None` for commands
/// that record nothing (status, help, queries) and those the desk builds itself (start, fix,
/// strike, undo, consult extend/withdraw, next).
pub fn entry_parts(
    cmd: &Command,
    at: DateTime<Utc>,
    tz: Tz,
    language: Language,
) -> Option<(Payload, String)> {
    let payload = entry_payload(cmd)?;
    let text = language.each("\n", |lang| entry_text(cmd, at, tz, lang));
    Some((payload, text))
}

/// The language-neutral payload of a recording command.
fn entry_payload(cmd: &Command) -> Option<Payload> {
    Some(match cmd {
        Command::End => Payload::End,
        Command::Agenda { number, title } => Payload::Agenda(AgendaItem {
            number: number.clone(),
            title: title.clone(),
        }),
        Command::Motion(m) => Payload::Motion(m.clone()),
        Command::Vote(v) => Payload::Vote(v.clone()),
        Command::Consult(c) => Payload::Consult(payload::Consultation {
            url: c.url.to_string(),
            title: c.title.clone(),
            closes: c.closes,
        }),
        Command::Link { url, title } => Payload::Link(payload::Link {
            url: url.to_string(),
            title: title.clone(),
        }),
        Command::Note { text } => Payload::note(text.clone()),
        Command::Speaker { name } => Payload::Speaker(payload::Speaker { name: name.clone() }),
        Command::Recess { minutes } => Payload::Recess(payload::Recess { minutes: *minutes }),
        Command::Resume => Payload::Resume,
        Command::Private { reason } => Payload::Private(payload::Reason {
            reason: reason.clone(),
        }),
        Command::Public => Payload::Public,
        Command::Webcast { url } => Payload::Webcast(payload::Webcast {
            url: url.to_string(),
        }),
        _ => return None,
    })
}

/// A recording command's text in one language (only called for commands [`entry_payload`]
/// accepts).
fn entry_text(cmd: &Command, at: DateTime<Utc>, tz: Tz, lang: Lang) -> String {
    let time = hhmm(at, tz);
    match cmd {
        Command::End => tr!(lang, "meeting-closed"),
        Command::Agenda { number, title } => {
            tr!(lang, "agenda-item", number = number, title = title)
        }
        Command::Motion(m) => motion_text(m, lang),
        Command::Vote(v) => vote_text(v, lang),
        Command::Consult(c) => consult_text(c, lang),
        Command::Link { url, title } => tr!(lang, "link", title = title, url = url.as_str()),
        Command::Note { text } => text.clone(),
        Command::Speaker { name } => tr!(lang, "speaker", name = name),
        Command::Recess { minutes: Some(m) } => {
            tr!(lang, "recess-for", minutes = *m, time = time)
        }
        Command::Recess { minutes: None } => tr!(lang, "recess", time = time),
        Command::Resume => tr!(lang, "resumed", time = time),
        Command::Private { reason: Some(r) } => {
            tr!(lang, "private-reason", time = time, reason = r)
        }
        Command::Private { reason: None } => tr!(lang, "private", time = time),
        Command::Public => tr!(lang, "public", time = time),
        Command::Webcast { url } => tr!(lang, "webcast", url = url.as_str()),
        _ => String::new(),
    }
}

pub fn start_text(title: &str, language: Language) -> String {
    language.each("\n", |lang| tr!(lang, "meeting-started", title = title))
}

pub fn correction_text(original: EntryNo, new_text: &str, language: Language) -> String {
    language.each("\n", |lang| {
        tr!(
            lang,
            "correction",
            entry = original.to_string(),
            text = new_text
        )
    })
}

pub fn withdrawal_text(original: EntryNo, reason: Option<&str>, language: Language) -> String {
    let entry = original.to_string();
    language.each("\n", |lang| match reason {
        Some(r) => tr!(lang, "withdrawal-reason", entry = &entry, reason = r),
        None => tr!(lang, "withdrawal", entry = &entry),
    })
}

pub fn consult_extended_text(title: &str, closes: NaiveDate, language: Language) -> String {
    language.each("\n", |lang| {
        tr!(
            lang,
            "consultation-extended",
            title = title,
            closes = long_date(closes, lang)
        )
    })
}

pub fn consult_withdrawn_text(title: &str, language: Language) -> String {
    language.each("\n", |lang| {
        tr!(lang, "consultation-withdrawn", title = title)
    })
}

/// What a target shows for an entry: `#12 19:04 · text`.
pub fn post_text(e: &Entry) -> String {
    format!("{} {} · {}", e.seq, e.hhmm(), e.text)
}

/// What an edited message shows after a correction: the original's header, the new text and
/// a visible marker in each of the council's languages.
pub fn corrected_post_text(original: &Entry, correction: &Entry, language: Language) -> String {
    let new_text = match &correction.payload {
        Payload::Correction(c) => c.text.as_str(),
        _ => correction.text.as_str(),
    };
    let marker = language.each(" ", |lang| {
        tr!(lang, "post-corrected", time = correction.hhmm())
    });
    format!(
        "{} {} · {} {marker}",
        original.seq,
        original.hhmm(),
        new_text,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::{Counts, Roll};
    use chrono::TimeZone;

    fn vote(for_: u32, against: u32, abstain: u32) -> Vote {
        Vote {
            counts: Some(Counts {
                for_,
                against,
                abstain,
            }),
            outcome: Outcome::Carried,
            casting: None,
            roll: None,
        }
    }

    fn at_1905() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 19, 5, 0).unwrap()
    }

    #[test]
    fn recorded_vote_lists_every_name() {
        let v = Vote {
            roll: Some(Roll {
                for_: vec!["Ann".into(), "Bob".into()],
                against: vec!["Cy".into()],
                abstain: vec![],
            }),
            ..vote(2, 1, 0)
        };
        assert_eq!(
            vote_text(&v, Lang::En),
            "Vote: carried — 2 for, 1 against, 0 abstentions. For: Ann, Bob. Against: Cy. Abstained: none."
        );
        assert_eq!(
            vote_text(&v, Lang::Cy),
            "Pleidlais: wedi'i chario — 2 o blaid, 1 yn erbyn, 0 yn ymatal. O blaid: Ann, Bob. Yn erbyn: Cy. Yn ymatal: neb."
        );
    }

    #[test]
    fn vote_counts_take_the_plural_each_language_needs() {
        assert_eq!(
            vote_text(&vote(32, 10, 1), Lang::En),
            "Vote: carried — 32 for, 10 against, 1 abstention"
        );
        assert_eq!(
            vote_text(&vote(32, 10, 3), Lang::En),
            "Vote: carried — 32 for, 10 against, 3 abstentions"
        );
        for n in [0, 1, 2, 3, 6, 11] {
            assert_eq!(
                vote_text(&vote(32, 10, n), Lang::Cy),
                format!("Pleidlais: wedi'i chario — 32 o blaid, 10 yn erbyn, {n} yn ymatal")
            );
        }
        let lost = Vote {
            outcome: Outcome::Lost,
            counts: None,
            casting: Some("chair".into()),
            ..vote(0, 0, 0)
        };
        assert_eq!(
            vote_text(&lost, Lang::Cy),
            "Pleidlais: wedi methu (drwy godi dwylo), ar bleidlais fwrw'r chair"
        );
    }

    #[test]
    fn en_cy_vote_entry_has_english_then_welsh_on_separate_lines() {
        let (payload, text) = entry_parts(
            &Command::Vote(vote(32, 10, 3)),
            at_1905(),
            chrono_tz::Europe::London,
            Language::EnCy,
        )
        .unwrap();
        assert_eq!(
            payload,
            Payload::Vote(vote(32, 10, 3)),
            "fields stay language-neutral"
        );
        assert_eq!(
            text,
            "Vote: carried — 32 for, 10 against, 3 abstentions\nPleidlais: wedi'i chario — 32 o blaid, 10 yn erbyn, 3 yn ymatal"
        );
    }

    #[test]
    fn recess_reads_naturally_in_welsh_and_both() {
        let tz = chrono_tz::Europe::London;
        let text = |cmd: Command, language| entry_parts(&cmd, at_1905(), tz, language).unwrap().1;
        assert_eq!(
            text(Command::Recess { minutes: Some(10) }, Language::Cy),
            "Toriad o 10 munud am 19:05"
        );
        assert_eq!(
            text(Command::Recess { minutes: Some(1) }, Language::En),
            "Adjourned for 1 minute at 19:05"
        );
        assert_eq!(
            text(Command::Recess { minutes: None }, Language::EnCy),
            "Adjourned at 19:05\nToriad am 19:05"
        );
        assert_eq!(
            text(Command::Resume, Language::Cy),
            "Cyfarfod yn ailddechrau am 19:05"
        );
    }

    #[test]
    fn private_placeholder_uses_local_time_across_dst() {
        let summer = Utc.with_ymd_and_hms(2026, 7, 1, 18, 5, 0).unwrap();
        let winter = Utc.with_ymd_and_hms(2026, 12, 1, 18, 5, 0).unwrap();
        let tz = chrono_tz::Europe::London;
        let p = Command::Private {
            reason: Some("exempt".into()),
        };
        assert_eq!(
            entry_parts(&p, summer, tz, Language::En).unwrap().1,
            "Public excluded at 19:05 — exempt"
        );
        assert_eq!(
            entry_parts(&p, winter, tz, Language::En).unwrap().1,
            "Public excluded at 18:05 — exempt"
        );
        assert_eq!(
            entry_parts(&p, summer, tz, Language::Cy).unwrap().1,
            "Cyhoedd wedi'u cau allan am 19:05 — exempt"
        );
        assert_eq!(
            entry_parts(
                &Command::Private { reason: None },
                winter,
                tz,
                Language::EnCy
            )
            .unwrap()
            .1,
            "Public excluded at 18:05\nCyhoedd wedi'u cau allan am 18:05"
        );
    }

    #[test]
    fn corrections_and_withdrawals_in_welsh_keep_the_clerks_words() {
        assert_eq!(
            correction_text(EntryNo(3), "Cllr Jones seconded", Language::Cy),
            "Cywiriad i #3: Cllr Jones seconded"
        );
        assert_eq!(
            correction_text(EntryNo(3), "fixed", Language::EnCy),
            "Correction to #3: fixed\nCywiriad i #3: fixed"
        );
        assert_eq!(
            withdrawal_text(EntryNo(7), Some("wrong item"), Language::Cy),
            "Tynnwyd cofnod #7 yn ôl — wrong item"
        );
        assert_eq!(
            withdrawal_text(EntryNo(7), None, Language::EnCy),
            "Entry #7 withdrawn\nTynnwyd cofnod #7 yn ôl"
        );
    }

    #[test]
    fn a_note_is_the_clerks_words_once_even_in_both_languages() {
        let note = Command::Note {
            text: "Quorate".into(),
        };
        let text = entry_parts(&note, at_1905(), chrono_tz::Europe::London, Language::EnCy);
        assert_eq!(text.unwrap().1, "Quorate");
    }

    #[test]
    fn dates_use_the_catalogue_month_and_weekday_names() {
        let d = NaiveDate::from_ymd_opt(2027, 1, 31).unwrap();
        assert_eq!(long_date(d, Lang::En), "31 January 2027");
        assert_eq!(long_date(d, Lang::Cy), "31 Ionawr 2027");
        assert_eq!(weekday_date(d, Lang::En), "Sunday 31 January 2027");
        assert_eq!(weekday_date(d, Lang::Cy), "Dydd Sul 31 Ionawr 2027");
        let welsh_months: Vec<String> = (1..=12)
            .map(|m| month_name(NaiveDate::from_ymd_opt(2027, m, 1).unwrap(), Lang::Cy))
            .collect();
        assert_eq!(
            welsh_months.join(" "),
            "Ionawr Chwefror Mawrth Ebrill Mai Mehefin Gorffennaf Awst Medi Hydref Tachwedd Rhagfyr"
        );
        let mercher = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        assert_eq!(
            weekday_date(mercher, Lang::Cy),
            "Dydd Mercher 25 Tachwedd 2026"
        );
    }
}
