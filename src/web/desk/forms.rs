//! What each desk form means as a clerk command: the desk's buttons and forms only build the
//! same command line a clerk would type, so the grammar, its checks and the archive are
//! exactly those of every other input.

use std::collections::HashMap;

use crate::roster::Councillor;

/// A form that cannot become a command; the text is for the clerk (the web layer translates).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormError {
    /// A required field is empty.
    Missing(&'static str),
    /// A count is not a whole number.
    NotACount(&'static str),
    /// A field holds `|` or a line break, which would change the command's options.
    BadCharacter(&'static str),
    /// A roster choice that is not for, against, abstain or none.
    NotAChoice(&'static str),
    /// Not an action the desk has.
    UnknownAction,
}

fn field<'a>(f: &'a HashMap<String, String>, name: &str) -> &'a str {
    f.get(name).map(|s| s.trim()).unwrap_or("")
}

/// A free-text field that must not smuggle in options or further lines.
fn plain<'a>(f: &'a HashMap<String, String>, name: &'static str) -> Result<&'a str, FormError> {
    let v = field(f, name);
    if v.contains(['|', '\n', '\r']) {
        return Err(FormError::BadCharacter(name));
    }
    Ok(v)
}

fn count(f: &HashMap<String, String>, name: &'static str) -> Result<u32, FormError> {
    let v = field(f, name);
    if v.is_empty() {
        return Ok(0);
    }
    v.parse::<u32>().map_err(|_| FormError::NotACount(name))
}

fn entry_no(f: &HashMap<String, String>) -> Result<u32, FormError> {
    let v = field(f, "entry");
    if v.is_empty() {
        return Err(FormError::Missing("entry"));
    }
    v.parse::<u32>().map_err(|_| FormError::NotACount("entry"))
}

/// The vote form's roster choices (`roll-N` = `for`, `against`, `abstain` or `none` for the
/// Nth councillor) merged into its named lists; a count left empty or 0 becomes the number of
/// names ticked for it, so the counts and the names agree. A count typed otherwise is kept, and
/// the grammar refuses it if it disagrees with the names.
pub fn apply_roster(
    f: &mut HashMap<String, String>,
    roster: &[Councillor],
) -> Result<(), FormError> {
    let mut picked: [(&str, &str, Vec<&str>); 3] = [
        ("for", "for_names", Vec::new()),
        ("against", "against_names", Vec::new()),
        ("abstain", "abstain_names", Vec::new()),
    ];
    for (i, c) in roster.iter().enumerate() {
        let choice = field(f, &format!("roll-{i}")).to_string();
        match choice.as_str() {
            "" | "none" => {}
            "for" => picked[0].2.push(&c.name),
            "against" => picked[1].2.push(&c.name),
            "abstain" => picked[2].2.push(&c.name),
            _ => return Err(FormError::NotAChoice("roll")),
        }
    }
    for (count, names, ticked) in picked {
        if ticked.is_empty() {
            continue;
        }
        let typed = field(f, names).to_string();
        let mut all: Vec<&str> = typed
            .split(',')
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .collect();
        all.extend(ticked);
        let n = all.len();
        f.insert(names.to_string(), all.join(", "));
        if matches!(field(f, count), "" | "0") {
            f.insert(count.to_string(), n.to_string());
        }
    }
    Ok(())
}

/// `!vote F-A-B carried|lost` with the named lists and casting vote when given.
pub fn vote_command(prefix: &str, f: &HashMap<String, String>) -> Result<String, FormError> {
    let (ayes, noes, abstain) = (count(f, "for")?, count(f, "against")?, count(f, "abstain")?);
    let outcome = match field(f, "outcome") {
        "carried" => "carried",
        "lost" => "lost",
        _ => return Err(FormError::Missing("outcome")),
    };
    let mut cmd = format!("{prefix}vote {ayes}-{noes}-{abstain} {outcome}");
    for (key, name) in [
        ("for", "for_names"),
        ("against", "against_names"),
        ("abstain", "abstain_names"),
    ] {
        let names = plain(f, name)?;
        if !names.is_empty() {
            cmd.push_str(&format!(" | {key}={names}"));
        }
    }
    let casting = plain(f, "casting")?;
    if !casting.is_empty() {
        cmd.push_str(&format!(" | casting={casting}"));
    }
    Ok(cmd)
}

/// `!consult URL TITLE | closes=DATE`: the date as a date picker sends it (`YYYY-MM-DD`).
pub fn consult_command(prefix: &str, f: &HashMap<String, String>) -> Result<String, FormError> {
    let url = plain(f, "url")?;
    if url.is_empty() {
        return Err(FormError::Missing("url"));
    }
    if url.contains(char::is_whitespace) {
        return Err(FormError::BadCharacter("url"));
    }
    let title = plain(f, "title")?;
    if title.is_empty() {
        return Err(FormError::Missing("title"));
    }
    let closes = plain(f, "closes")?;
    if closes.is_empty() {
        return Err(FormError::Missing("closes"));
    }
    Ok(format!("{prefix}consult {url} {title} | closes={closes}"))
}

/// The command a desk action stands for. `command` takes the clerk's own line (the prefix is
/// added when left out); the others are built from their fields.
pub fn command_for(
    action: &str,
    prefix: &str,
    f: &HashMap<String, String>,
) -> Result<String, FormError> {
    let with_text = |verb: &str, text: &str| {
        if text.is_empty() {
            format!("{prefix}{verb}")
        } else {
            format!("{prefix}{verb} {text}")
        }
    };
    Ok(match action {
        "command" => {
            let line = field(f, "command");
            if line.is_empty() {
                return Err(FormError::Missing("command"));
            }
            if line.contains(['\n', '\r']) {
                return Err(FormError::BadCharacter("command"));
            }
            if line.starts_with(prefix) {
                line.to_string()
            } else {
                format!("{prefix}{line}")
            }
        }
        "next" => format!("{prefix}next"),
        "vote" => vote_command(prefix, f)?,
        "consult" => consult_command(prefix, f)?,
        "fix" => {
            let n = entry_no(f)?;
            let text = plain(f, "text")?;
            if text.is_empty() {
                return Err(FormError::Missing("text"));
            }
            format!("{prefix}fix {n} {text}")
        }
        "strike" => {
            let n = entry_no(f)?;
            with_text(&format!("strike {n}"), plain(f, "reason")?)
        }
        "private" => with_text("private", plain(f, "reason")?),
        "public" => format!("{prefix}public"),
        "recess" => match field(f, "minutes") {
            "" => format!("{prefix}recess"),
            _ => format!("{prefix}recess {}", count(f, "minutes")?),
        },
        "resume" => format!("{prefix}resume"),
        _ => return Err(FormError::UnknownAction),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_named_vote_with_a_casting_vote_builds_the_full_command() {
        let f = form(&[
            ("for", "2"),
            ("against", " 2 "),
            ("abstain", ""),
            ("outcome", "carried"),
            ("for_names", "Cllr A, Cllr B"),
            ("against_names", "Cllr C, Cllr D"),
            ("abstain_names", ""),
            ("casting", "chair"),
        ]);
        assert_eq!(
            vote_command("!", &f).unwrap(),
            "!vote 2-2-0 carried | for=Cllr A, Cllr B | against=Cllr C, Cllr D | casting=chair"
        );
    }

    #[test]
    fn a_vote_needs_an_outcome_and_whole_counts() {
        let f = form(&[("for", "7"), ("against", "3"), ("abstain", "1")]);
        assert_eq!(vote_command("!", &f), Err(FormError::Missing("outcome")));
        let f = form(&[("for", "seven"), ("outcome", "lost")]);
        assert_eq!(vote_command("!", &f), Err(FormError::NotACount("for")));
        let f = form(&[("for", "-1"), ("outcome", "lost")]);
        assert_eq!(vote_command("!", &f), Err(FormError::NotACount("for")));
    }

    #[test]
    fn a_consultation_needs_its_address_title_and_closing_date() {
        let f = form(&[
            ("url", "https://example.gov.uk/local-plan"),
            ("title", "Local Plan review"),
            ("closes", "2099-01-31"),
        ]);
        assert_eq!(
            command_for("consult", "!", &f).as_deref(),
            Ok("!consult https://example.gov.uk/local-plan Local Plan review | closes=2099-01-31")
        );
        let f = form(&[
            ("url", "https://x.test/a b"),
            ("title", "T"),
            ("closes", "2099-01-31"),
        ]);
        assert_eq!(
            consult_command("!", &f),
            Err(FormError::BadCharacter("url"))
        );
        let f = form(&[("url", "https://x.test/"), ("title", "T")]);
        assert_eq!(consult_command("!", &f), Err(FormError::Missing("closes")));
        let f = form(&[("url", "https://x.test/"), ("closes", "2099-01-31")]);
        assert_eq!(consult_command("!", &f), Err(FormError::Missing("title")));
    }

    #[test]
    fn roster_choices_become_names_and_fill_empty_counts() {
        let roster: Vec<Councillor> = ["Cllr A", "Cllr B", "Cllr C", "Cllr D"]
            .iter()
            .map(|n| Councillor {
                name: n.to_string(),
                group: None,
                ward: None,
            })
            .collect();
        let mut f = form(&[
            ("for", "0"),
            ("against", ""),
            ("outcome", "carried"),
            ("roll-0", "for"),
            ("roll-1", "for"),
            ("roll-2", "against"),
            ("roll-3", "none"),
        ]);
        apply_roster(&mut f, &roster).unwrap();
        assert_eq!(
            vote_command("!", &f).unwrap(),
            "!vote 2-1-0 carried | for=Cllr A, Cllr B | against=Cllr C"
        );
        // A typed count is kept, so the grammar can refuse a disagreement.
        let mut f = form(&[("for", "3"), ("outcome", "lost"), ("roll-0", "for")]);
        apply_roster(&mut f, &roster).unwrap();
        assert_eq!(
            vote_command("!", &f).unwrap(),
            "!vote 3-0-0 lost | for=Cllr A"
        );
        let mut f = form(&[("roll-0", "maybe")]);
        assert_eq!(
            apply_roster(&mut f, &roster),
            Err(FormError::NotAChoice("roll"))
        );
    }

    #[test]
    fn fields_cannot_smuggle_options_or_lines() {
        let f = form(&[
            ("for", "1"),
            ("outcome", "carried"),
            ("for_names", "A | against=B"),
        ]);
        assert_eq!(
            vote_command("!", &f),
            Err(FormError::BadCharacter("for_names"))
        );
        let f = form(&[("entry", "3"), ("text", "new\n!end")]);
        assert_eq!(
            command_for("fix", "!", &f),
            Err(FormError::BadCharacter("text"))
        );
        let f = form(&[("command", "!note a\n!end")]);
        assert_eq!(
            command_for("command", "!", &f),
            Err(FormError::BadCharacter("command"))
        );
    }

    #[test]
    fn each_action_builds_its_command() {
        type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str);
        let cases: &[Case<'_>] = &[
            ("command", &[("command", "note hello")], "!note hello"),
            (
                "command",
                &[("command", "!speaker Cllr X")],
                "!speaker Cllr X",
            ),
            ("next", &[], "!next"),
            (
                "fix",
                &[("entry", "12"), ("text", "Corrected")],
                "!fix 12 Corrected",
            ),
            ("strike", &[("entry", "12"), ("reason", "")], "!strike 12"),
            (
                "strike",
                &[("entry", "12"), ("reason", "typo")],
                "!strike 12 typo",
            ),
            ("private", &[("reason", "exempt")], "!private exempt"),
            ("private", &[], "!private"),
            ("public", &[], "!public"),
            ("recess", &[("minutes", "10")], "!recess 10"),
            ("recess", &[("minutes", "")], "!recess"),
            ("resume", &[], "!resume"),
        ];
        for (action, fields, want) in cases {
            assert_eq!(
                command_for(action, "!", &form(fields)).as_deref(),
                Ok(*want),
                "{action}"
            );
        }
        assert_eq!(
            command_for("fix", "!", &form(&[("entry", "3")])),
            Err(FormError::Missing("text"))
        );
        assert_eq!(
            command_for("end", "!", &form(&[])),
            Err(FormError::UnknownAction)
        );
    }
}
