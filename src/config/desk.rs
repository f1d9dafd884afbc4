//! `[desk]`: the clerk's desk in the browser (`/desk`). Its clerk accounts live in a file (a
//! path, or a credential name looked up in `$CREDENTIALS_DIRECTORY`), one `name:hash` a line,
//! the hash an argon2 PHC string written by `gavel desk add-clerk`.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;
use serde::Deserialize;

use super::{Resolver, Secrets};
use crate::roster::Roster;

/// Idle time after which a desk session ends, unless `session_idle_minutes` says otherwise.
pub const DEFAULT_IDLE_MINUTES: u32 = 12 * 60;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDesk {
    pub clerks_file: String,
    /// Minutes without a request after which a clerk must sign in again.
    pub session_idle_minutes: Option<u32>,
    /// Behind a reverse proxy: limit sign-ins by the address it appends to `X-Forwarded-For`.
    #[serde(default)]
    pub trust_forwarded_for: bool,
    /// A TOML file of `[[councillor]]` tables (`name`, `group`, `ward`): the council's roster
    /// ([`crate::roster`]).
    pub roster_file: Option<PathBuf>,
}

fn resolve_roster(r: &mut Resolver<'_>, path: &std::path::Path) -> Option<Arc<Roster>> {
    match Roster::load(path) {
        Ok(roster) => Some(Arc::new(roster)),
        Err(problem) => {
            r.problem(format!("desk.roster_file: {problem}"));
            None
        }
    }
}

/// One clerk account: a name and its argon2 hash (never shown in `Debug`).
#[derive(Clone)]
pub struct ClerkAccount {
    pub name: String,
    pub hash: SecretString,
}

impl fmt::Debug for ClerkAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClerkAccount")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone)]
pub struct DeskWebSettings {
    /// Empty when secrets were skipped.
    pub clerks: Vec<ClerkAccount>,
    /// Where the accounts file is (`gavel desk add-clerk` appends to it).
    pub clerks_path: PathBuf,
    pub session_idle: Duration,
    /// Take the client's address for the sign-in limit from `X-Forwarded-For`'s last entry.
    pub trust_forwarded_for: bool,
    /// The council's councillors (`roster_file`): the vote form's choices, and the names every
    /// recorded vote must use, whichever input it comes from.
    pub roster: Option<Arc<Roster>>,
}

/// A clerk's name: 1 to 64 letters, digits, `.`, `_` or `-`; it is archived as the author of
/// every entry the clerk records.
pub fn valid_clerk_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// Parses an accounts file: every problem names its line; blank lines and `#` comments are
/// skipped. The hashes must be argon2 PHC strings (`$argon2id$v=19$…`).
pub fn parse_clerks(text: &str) -> Result<Vec<ClerkAccount>, Vec<String>> {
    let mut clerks: Vec<ClerkAccount> = Vec::new();
    let mut problems = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((name, hash)) = line.split_once(':') else {
            problems.push(format!("line {n}: expected `name:argon2-hash`"));
            continue;
        };
        if !valid_clerk_name(name) {
            problems.push(format!(
                "line {n}: `{}` is not a clerk name (1–64 letters, digits, `.`, `_` or `-`)",
                name.chars().take(64).collect::<String>()
            ));
            continue;
        }
        match argon2::PasswordHash::new(hash) {
            Ok(h) if h.algorithm.as_str().starts_with("argon2") && h.hash.is_some() => {}
            _ => {
                // Never echo the hash itself.
                problems.push(format!(
                    "line {n}: clerk `{name}`'s hash is not an argon2 PHC string (write it with `gavel desk add-clerk`)"
                ));
                continue;
            }
        }
        if clerks.iter().any(|c| c.name.eq_ignore_ascii_case(name)) {
            problems.push(format!("line {n}: clerk `{name}` is listed twice"));
            continue;
        }
        clerks.push(ClerkAccount {
            name: name.to_string(),
            hash: SecretString::from(hash.to_string()),
        });
    }
    if problems.is_empty() {
        Ok(clerks)
    } else {
        Err(problems)
    }
}

pub(crate) fn resolve(r: &mut Resolver<'_>, d: &RawDesk, has_web: bool) -> Option<DeskWebSettings> {
    if !has_web {
        r.problem("desk: the clerk's desk is served by the web server: add a [web] section".into());
    }
    let minutes = d.session_idle_minutes.unwrap_or(DEFAULT_IDLE_MINUTES);
    if minutes == 0 {
        r.problem("desk.session_idle_minutes: must be at least 1".into());
    }
    let roster = d.roster_file.as_deref().and_then(|p| resolve_roster(r, p));
    let clerks_path = r.credential_path(&d.clerks_file);
    let clerks = if r.secrets() == Secrets::Skip {
        Vec::new()
    } else {
        let text = r.read_file("desk.clerks_file", &d.clerks_file)?;
        match parse_clerks(&text) {
            Ok(c) if c.is_empty() => {
                r.problem(
                    "desk.clerks_file: holds no clerks (add one with `gavel desk add-clerk NAME`)"
                        .into(),
                );
                return None;
            }
            Ok(c) => c,
            Err(problems) => {
                for p in problems {
                    r.problem(format!("desk.clerks_file ({}): {p}", clerks_path.display()));
                }
                return None;
            }
        }
    };
    Some(DeskWebSettings {
        clerks,
        clerks_path,
        session_idle: Duration::from_secs(u64::from(minutes.max(1)) * 60),
        trust_forwarded_for: d.trust_forwarded_for,
        roster,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$J0iQ5zvpa7o0i3vJ2t0b8mY4s5x6q0cBq3b3q3b3q3c";

    #[test]
    fn a_clerks_file_with_comments_and_blank_lines_parses() {
        let text = format!("# desk clerks\n\nalice:{HASH}\nbob.jones:{HASH}\n");
        let clerks = parse_clerks(&text).unwrap();
        assert_eq!(
            clerks.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
            ["alice", "bob.jones"]
        );
        assert!(!format!("{clerks:?}").contains("argon2id"));
    }

    #[test]
    fn bad_lines_are_named_without_echoing_hashes() {
        let text = format!(
            "alice:{HASH}\nno colon here\nbad name:{HASH}\ncarol:plaintext-password\nALICE:{HASH}\n"
        );
        let p = parse_clerks(&text).unwrap_err();
        assert_eq!(p.len(), 4, "{p:?}");
        assert!(p[0].starts_with("line 2:"), "{p:?}");
        assert!(p[1].starts_with("line 3:") && p[1].contains("not a clerk name"));
        assert!(p[2].starts_with("line 4:") && p[2].contains("not an argon2 PHC string"));
        assert!(!p[2].contains("plaintext-password"));
        assert!(p[3].starts_with("line 5:") && p[3].contains("twice"));
    }

    fn config_with(desk: &str, web: bool) -> String {
        let web = if web {
            "[web]\nlisten = \"127.0.0.1:0\"\npublic_url = \"https://live.example\"\n"
        } else {
            ""
        };
        format!("{}{web}[desk]\n{desk}", crate::config::testing::BASE)
    }

    #[test]
    fn a_desk_resolves_its_clerks_and_idle_time() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("clerks");
        std::fs::write(&file, format!("alice:{HASH}\n")).unwrap();
        let text = config_with(
            &format!(
                "clerks_file = \"{}\"\nsession_idle_minutes = 30\n",
                file.display()
            ),
            true,
        );
        let c = crate::config::testing::check(&text, &[]).unwrap();
        let desk = c.desk.unwrap();
        assert_eq!(desk.clerks[0].name, "alice");
        assert_eq!(desk.clerks_path, file);
        assert_eq!(desk.session_idle, Duration::from_secs(30 * 60));
    }

    #[test]
    fn a_desk_without_web_or_with_a_bad_accounts_file_is_refused_naming_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("clerks");
        std::fs::write(&file, format!("alice:{HASH}\nbob:secret\n")).unwrap();
        let text = config_with(
            &format!(
                "clerks_file = \"{}\"\nsession_idle_minutes = 0\n",
                file.display()
            ),
            false,
        );
        let all = crate::config::testing::check(&text, &[])
            .unwrap_err()
            .join("\n");
        assert!(all.contains("add a [web] section"), "{all}");
        assert!(
            all.contains("session_idle_minutes: must be at least 1"),
            "{all}"
        );
        assert!(
            all.contains(&format!("desk.clerks_file ({}): line 2:", file.display())),
            "{all}"
        );
        assert!(!all.contains("secret"), "{all}");
        let missing = config_with("clerks_file = \"/nonexistent/clerks\"\n", true);
        let all = crate::config::testing::check(&missing, &[])
            .unwrap_err()
            .join("\n");
        assert!(
            all.contains("desk.clerks_file: cannot read /nonexistent/clerks"),
            "{all}"
        );
    }

    #[test]
    fn clerk_names_are_short_and_plain() {
        assert!(valid_clerk_name("j.smith-2"));
        assert!(!valid_clerk_name(""));
        assert!(!valid_clerk_name("a:b"));
        assert!(!valid_clerk_name("a b"));
        assert!(!valid_clerk_name(&"x".repeat(65)));
    }
}
