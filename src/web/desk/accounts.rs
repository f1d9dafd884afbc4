//! Writing the clerks file (`gavel desk add-clerk NAME`): a clerk's line is replaced or
//! appended, every other line (comments included) kept as it was, and the file rewritten
//! atomically with mode 0600, since it holds password hashes.

use std::path::{Path, PathBuf};

use crate::config::{parse_clerks, valid_clerk_name};

use super::auth::{hash_password, weak_password};

/// Why a clerk could not be added.
#[derive(Debug, thiserror::Error)]
pub enum AccountsError {
    #[error(
        "`{0}` is not a clerk name: use 1 to 64 letters, digits, `.`, `_` or `-` (it is archived as the author of the clerk's entries)"
    )]
    InvalidName(String),
    #[error("{0}")]
    WeakPassword(String),
    #[error("the two passwords differ")]
    Mismatch,
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} has problems; fix them first:\n  - {}", problems.join("\n  - "))]
    Unparseable {
        path: PathBuf,
        problems: Vec<String>,
    },
    #[error("{0}")]
    Hash(String),
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Whether `add-clerk` replaced an existing clerk's password or added a new clerk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Added {
    New,
    Replaced,
}

/// Refuses a password that is short, blank, or contains the clerk's own name.
pub fn check_new_password(name: &str, password: &str) -> Result<(), AccountsError> {
    if let Some(why) = weak_password(password) {
        return Err(AccountsError::WeakPassword(why));
    }
    if password.trim().is_empty() {
        return Err(AccountsError::WeakPassword(
            "a desk password cannot be only spaces".into(),
        ));
    }
    if password.to_lowercase().contains(&name.to_lowercase()) {
        return Err(AccountsError::WeakPassword(
            "a desk password must not contain the clerk's name".into(),
        ));
    }
    Ok(())
}

/// `text` with `name`'s line set to `name:hash`: the first line for that name (in any case)
/// is replaced, or the line appended.
pub fn with_clerk(text: &str, name: &str, hash: &str) -> (String, Added) {
    let mut out = String::with_capacity(text.len() + name.len() + hash.len() + 2);
    let mut added = Added::New;
    for line in text.lines() {
        let same = line
            .trim()
            .split_once(':')
            .is_some_and(|(n, _)| n.eq_ignore_ascii_case(name));
        if same && added == Added::New {
            out.push_str(&format!("{name}:{hash}\n"));
            added = Added::Replaced;
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    if added == Added::New {
        out.push_str(&format!("{name}:{hash}\n"));
    }
    (out, added)
}

/// Adds clerk `name` with `password` to the accounts file at `path` (created if missing).
pub fn add_clerk(path: &Path, name: &str, password: &str) -> Result<Added, AccountsError> {
    if !valid_clerk_name(name) {
        return Err(AccountsError::InvalidName(name.to_string()));
    }
    check_new_password(name, password)?;
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(source) => {
            return Err(AccountsError::Read {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    parse_clerks(&text).map_err(|problems| AccountsError::Unparseable {
        path: path.to_path_buf(),
        problems,
    })?;
    let hash = hash_password(password).map_err(AccountsError::Hash)?;
    let (text, added) = with_clerk(&text, name, &hash);
    write_private(path, &text).map_err(|source| AccountsError::Write {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(added)
}

/// Replaces the accounts file, readable by its owner only.
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    crate::files::replace(path, text.as_bytes(), crate::files::Access::Private)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::desk::auth::check_password;

    #[test]
    fn an_existing_clerk_is_replaced_and_a_new_one_appended_keeping_comments() {
        let text = "# clerks\nalice:OLD\nbob:B\n";
        let (t, a) = with_clerk(text, "Alice", "NEW");
        assert_eq!(
            (t.as_str(), a),
            ("# clerks\nAlice:NEW\nbob:B\n", Added::Replaced)
        );
        let (t, a) = with_clerk("bob:B", "carol", "C");
        assert_eq!((t.as_str(), a), ("bob:B\ncarol:C\n", Added::New));
    }

    #[test]
    fn weak_passwords_and_bad_names_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("clerks");
        assert!(matches!(
            add_clerk(&path, "a b", "long enough password"),
            Err(AccountsError::InvalidName(_))
        ));
        assert!(matches!(
            add_clerk(&path, "alice", "short"),
            Err(AccountsError::WeakPassword(_))
        ));
        assert!(matches!(
            add_clerk(&path, "alice", "             "),
            Err(AccountsError::WeakPassword(_))
        ));
        assert!(matches!(
            add_clerk(&path, "alice", "alice-the-clerk-2026"),
            Err(AccountsError::WeakPassword(_))
        ));
        assert!(!path.exists());
    }

    #[test]
    fn added_clerks_sign_in_and_the_file_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("clerks");
        std::fs::write(&path, "# desk clerks\n").unwrap();
        let pw = "correct horse battery";
        assert_eq!(add_clerk(&path, "alice", pw).unwrap(), Added::New);
        assert_eq!(
            add_clerk(&path, "bob", "another long password").unwrap(),
            Added::New
        );
        assert_eq!(
            add_clerk(&path, "alice", "a new long password").unwrap(),
            Added::Replaced
        );
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("# desk clerks\n"), "{text}");
        let clerks = parse_clerks(&text).unwrap();
        assert_eq!(clerks.len(), 2);
        assert_eq!(check_password(&clerks, "alice", pw), None);
        assert_eq!(
            check_password(&clerks, "alice", "a new long password").as_deref(),
            Some("alice")
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_broken_file_is_not_rewritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("clerks");
        std::fs::write(&path, "nonsense\n").unwrap();
        let e = add_clerk(&path, "alice", "correct horse battery").unwrap_err();
        assert!(e.to_string().contains("line 1"), "{e}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "nonsense\n");
    }
}
