//! The council's roster: its councillors as the council names them, with their group and ward,
//! from `[desk] roster_file` (written by hand or by `gavel import moderngov <site> --roster`).
//!
//! With a roster, a recorded vote (`!vote … | for=… | against=… | abstain=… | casting=…`)
//! names councillors exactly as the roster does: the clerk may type a name in any case, with or
//! without "Councillor"/"Cllr" (or the Welsh "Cynghorydd"/"Cyng."), or just a surname that only
//! one councillor has, and the archive records the roster's spelling. A name that matches no
//! one is refused with the nearest names, so a typo never reaches the record.
//!
//! The file is TOML, one `[[councillor]]` table each:
//!
//! ```toml
//! [[councillor]]
//! name = "Ann Lee"
//! group = "Labour"        # optional
//! ward = "Central"        # optional
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// Longest councillor name the roster accepts.
pub const MAX_NAME: usize = 100;

/// Honorifics a clerk may put before a name (compared in lower case, longest first).
const HONORIFICS: [&str; 5] = ["councillor ", "cynghorydd ", "cllr. ", "cllr ", "cyng. "];

/// One councillor as the council names them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Councillor {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ward: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RosterFile {
    #[serde(default, rename = "councillor")]
    councillors: Vec<Councillor>,
}

/// A roster that cannot be used; each says which councillor (by name or position) is wrong.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RosterError {
    #[error("the roster is not valid TOML: {0}")]
    Toml(String),
    #[error("the roster names no councillors (add `[[councillor]]` tables with a `name`)")]
    Empty,
    #[error("councillor {position} has an empty name")]
    EmptyName { position: usize },
    #[error("councillor “{name}”: {reason}")]
    BadName { name: String, reason: &'static str },
    #[error("“{name}” is on the roster twice (names must differ, whatever their case)")]
    Duplicate { name: String },
}

/// A name in a vote that is on no one's roster entry, or on more than one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unmatched {
    pub name: String,
    /// The roster names the clerk may have meant, nearest first (at most three).
    pub suggestions: Vec<String>,
}

/// The council's councillors, in the order the roster lists them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Roster {
    councillors: Vec<Councillor>,
}

impl Roster {
    /// Checks every name: present, unique (ignoring case and honorifics), and usable in a
    /// vote's comma-separated lists.
    pub fn new(councillors: Vec<Councillor>) -> Result<Roster, RosterError> {
        let tidy = |s: String| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        let councillors: Vec<Councillor> = councillors
            .into_iter()
            .map(|c| Councillor {
                name: c.name.trim().to_string(),
                group: c.group.and_then(tidy),
                ward: c.ward.and_then(tidy),
            })
            .collect();
        if councillors.is_empty() {
            return Err(RosterError::Empty);
        }
        let mut seen = BTreeMap::new();
        for (i, c) in councillors.iter().enumerate() {
            if c.name.trim().is_empty() {
                return Err(RosterError::EmptyName { position: i + 1 });
            }
            if let Some(reason) = name_problem(&c.name) {
                return Err(RosterError::BadName {
                    name: c.name.clone(),
                    reason,
                });
            }
            if seen.insert(key(&c.name), ()).is_some() {
                return Err(RosterError::Duplicate {
                    name: c.name.clone(),
                });
            }
        }
        Ok(Roster { councillors })
    }

    pub fn parse(text: &str) -> Result<Roster, RosterError> {
        let file: RosterFile =
            toml::from_str(text).map_err(|e| RosterError::Toml(e.to_string()))?;
        Roster::new(file.councillors)
    }

    /// Reads and checks a roster file; the error names the file.
    pub fn load(path: &Path) -> Result<Roster, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the roster {}: {e}", path.display()))?;
        Roster::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// The roster as a file `load` reads back, with a header saying where it came from.
    pub fn to_toml(&self, header: &str) -> String {
        let body = toml::to_string(&RosterFile {
            councillors: self.councillors.clone(),
        })
        .expect("a roster always serialises");
        let mut out = String::new();
        for line in header.lines() {
            out.push_str("# ");
            out.push_str(line);
            out.push('\n');
        }
        out.push('\n');
        out.push_str(&body);
        out
    }

    pub fn councillors(&self) -> &[Councillor] {
        &self.councillors
    }

    /// Councillors by group (those without one last, under `""`), each group in roster order.
    pub fn by_group(&self) -> Vec<(&str, Vec<&Councillor>)> {
        let mut groups: BTreeMap<&str, Vec<&Councillor>> = BTreeMap::new();
        for c in &self.councillors {
            groups
                .entry(c.group.as_deref().unwrap_or(""))
                .or_default()
                .push(c);
        }
        let mut out: Vec<_> = groups.into_iter().collect();
        out.sort_by_key(|(g, _)| (g.is_empty(), g.to_lowercase()));
        out
    }

    /// The councillor a clerk means by `typed`: the same name ignoring case, spacing and an
    /// honorific, or else the only councillor with that surname.
    pub fn resolve(&self, typed: &str) -> Result<&Councillor, Unmatched> {
        let wanted = key(typed);
        if let Some(c) = self.councillors.iter().find(|c| key(&c.name) == wanted) {
            return Ok(c);
        }
        if !wanted.contains(' ') {
            let by_surname: Vec<&Councillor> = self
                .councillors
                .iter()
                .filter(|c| surname(&key(&c.name)) == wanted)
                .collect();
            match by_surname.as_slice() {
                [one] => return Ok(one),
                [] => {}
                several => {
                    return Err(Unmatched {
                        name: typed.to_string(),
                        suggestions: several.iter().map(|c| c.name.clone()).collect(),
                    });
                }
            }
        }
        Err(Unmatched {
            name: typed.to_string(),
            suggestions: self.nearest(&wanted),
        })
    }

    /// Up to three names close to `wanted` (a [`key`]), nearest first.
    fn nearest(&self, wanted: &str) -> Vec<String> {
        let mut scored: Vec<(f64, &str)> = self
            .councillors
            .iter()
            .map(|c| {
                let k = key(&c.name);
                let whole = strsim::jaro_winkler(wanted, &k);
                let last = strsim::jaro_winkler(wanted, surname(&k));
                (whole.max(last), c.name.as_str())
            })
            .filter(|(score, _)| *score >= 0.8)
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0));
        scored
            .into_iter()
            .take(3)
            .map(|(_, n)| n.to_string())
            .collect()
    }
}

/// Why `name` cannot stand in a vote's list, if it cannot.
fn name_problem(name: &str) -> Option<&'static str> {
    if name.chars().count() > MAX_NAME {
        return Some("the name is longer than 100 characters");
    }
    if name.contains([',', '|', '=']) {
        return Some("a name cannot contain `,`, `|` or `=` (they separate a vote's names)");
    }
    if name.chars().any(|c| {
        c.is_control() || crate::command::is_bidi_control(c) || matches!(c, '@' | '<' | '>')
    }) {
        return Some("the name contains a control character, a direction mark, `@`, `<` or `>`");
    }
    None
}

/// `name` without the honorifics in front of it ("Councillor Ann Lee" → "Ann Lee", "Cllr Dr Ann
/// Lee" → "Dr Ann Lee"), whatever their case; other titles stay, as the council writes them.
pub fn without_honorific(name: &str) -> &str {
    let mut rest = name.trim_start();
    while let Some(h) = HONORIFICS.iter().find(|h| {
        rest.len() > h.len()
            && rest.is_char_boundary(h.len())
            && rest[..h.len()].eq_ignore_ascii_case(h)
    }) {
        rest = rest[h.len()..].trim_start();
    }
    rest
}

/// A name as compared: lower case, single spaces, no honorific in front.
fn key(name: &str) -> String {
    let spaced = name.split_whitespace().collect::<Vec<_>>().join(" ");
    without_honorific(&spaced).to_lowercase()
}

fn surname(key: &str) -> &str {
    key.rsplit(' ').next().unwrap_or(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roster() -> Roster {
        Roster::parse(
            r#"
[[councillor]]
name = "Ann Lee"
group = "Labour"
ward = "Central"

[[councillor]]
name = "Bob Roy"
group = "Conservative"

[[councillor]]
name = "Cy Dee"

[[councillor]]
name = "Dilys Lee"
group = "Plaid Cymru"
"#,
        )
        .unwrap()
    }

    #[test]
    fn names_resolve_whatever_the_case_spacing_or_honorific() {
        let r = roster();
        for typed in [
            "Ann Lee",
            "ann  lee",
            "Councillor Ann Lee",
            "Cllr ann lee",
            "Cyng. Ann Lee",
        ] {
            assert_eq!(r.resolve(typed).unwrap().name, "Ann Lee", "{typed}");
        }
    }

    #[test]
    fn honorifics_are_dropped_whatever_their_case_and_other_titles_stay() {
        assert_eq!(without_honorific("Councillor Ann Lee"), "Ann Lee");
        assert_eq!(without_honorific("CLLR  Dr Ann Lee"), "Dr Ann Lee");
        assert_eq!(without_honorific("Cyng. Cllr Ann Lee"), "Ann Lee");
        assert_eq!(without_honorific("Councillor"), "Councillor");
        // A multi-byte character where an honorific would end is not a panic.
        assert_eq!(without_honorific("Cll€ Lee"), "Cll€ Lee");
    }

    #[test]
    fn a_surname_resolves_only_when_one_councillor_has_it() {
        let r = roster();
        assert_eq!(r.resolve("roy").unwrap().name, "Bob Roy");
        let both = r.resolve("Lee").unwrap_err();
        assert_eq!(both.suggestions, ["Ann Lee", "Dilys Lee"]);
    }

    #[test]
    fn an_unknown_name_is_refused_with_the_nearest_names() {
        let r = roster();
        let typo = r.resolve("Ann Leigh").unwrap_err();
        assert_eq!(
            typo.suggestions.first().map(String::as_str),
            Some("Ann Lee")
        );
        assert!(
            r.resolve("Zebedee Quux")
                .unwrap_err()
                .suggestions
                .is_empty()
        );
    }

    #[test]
    fn bad_rosters_say_which_councillor_is_wrong() {
        let one = |name: &str| {
            Roster::new(vec![Councillor {
                name: name.into(),
                group: None,
                ward: None,
            }])
            .unwrap_err()
        };
        assert!(matches!(one("Lee, Ann"), RosterError::BadName { .. }));
        assert!(matches!(one("Ann\u{202e}Lee"), RosterError::BadName { .. }));
        assert!(matches!(one("@everyone"), RosterError::BadName { .. }));
        assert_eq!(one("  "), RosterError::EmptyName { position: 1 });
        assert_eq!(Roster::parse("").unwrap_err(), RosterError::Empty);
        let twice = Roster::parse(
            "[[councillor]]\nname = \"Ann Lee\"\n[[councillor]]\nname = \"Cllr ANN LEE\"\n",
        )
        .unwrap_err();
        assert!(matches!(twice, RosterError::Duplicate { .. }));
        assert!(matches!(
            Roster::parse("[[councillor]]\nname = \"A\"\nparty = \"X\"\n").unwrap_err(),
            RosterError::Toml(_)
        ));
    }

    #[test]
    fn a_written_roster_reads_back_the_same() {
        let r = roster();
        let text = r.to_toml("From ModernGov\nsecond line");
        assert!(text.starts_with("# From ModernGov\n# second line\n"));
        assert_eq!(Roster::parse(&text).unwrap(), r);
    }

    #[test]
    fn groups_are_listed_by_name_with_the_ungrouped_last() {
        let r = roster();
        let groups: Vec<&str> = r.by_group().iter().map(|(g, _)| *g).collect();
        assert_eq!(groups, ["Conservative", "Labour", "Plaid Cymru", ""]);
    }
}
