//! `[archive]`: where the archive lives. Either `path`, a SQLite file (the embedded default),
//! or `url`, a PostgreSQL database (`postgres://user@host:port/db`, TLS when the URL asks with
//! `sslmode=require`), with its password from `password` (`${ENV}`) or `password_file` and an
//! optional `schema` so several councils can share one database.

use std::fmt;
use std::path::{Path, PathBuf};

use secrecy::SecretString;
use serde::Deserialize;

use super::Resolver;
use crate::archive::{Archive, ArchiveError};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawArchive {
    pub path: Option<PathBuf>,
    pub url: Option<String>,
    pub password: Option<String>,
    pub password_file: Option<String>,
    pub schema: Option<String>,
    /// Where platform state (the Matrix session, the Discord cursor) is kept; default: the
    /// SQLite file's folder, or the working directory with `url`.
    pub state_dir: Option<PathBuf>,
    /// `"one"` (the default): one `gavel run` per archive. `"several"` (PostgreSQL only):
    /// any number share it, dividing the work by lease (see [`crate::cluster`]).
    pub instances: Option<String>,
    /// How long a lease lasts unrenewed, in seconds (default 10): an instance that dies is
    /// replaced within about this long.
    pub lease_secs: Option<u64>,
}

/// Default [`RawArchive::lease_secs`].
pub const DEFAULT_LEASE_SECS: u64 = 10;

/// Which engine holds the archive, and where.
#[derive(Clone)]
pub enum ArchiveLocation {
    Sqlite(PathBuf),
    Postgres {
        url: String,
        password: Option<SecretString>,
        schema: Option<String>,
    },
}

impl fmt::Debug for ArchiveLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

impl ArchiveLocation {
    /// The path, or the URL without any password and with its schema: for messages and logs.
    pub fn describe(&self) -> String {
        match self {
            ArchiveLocation::Sqlite(p) => p.display().to_string(),
            ArchiveLocation::Postgres { url, schema, .. } => {
                crate::archive::postgres::redact(url, schema.as_deref())
            }
        }
    }

    /// Opens (and migrates) the archive.
    pub fn open(&self) -> Result<Archive, ArchiveError> {
        match self {
            ArchiveLocation::Sqlite(p) => Archive::open(p),
            ArchiveLocation::Postgres {
                url,
                password,
                schema,
            } => Archive::open_location(url, password.clone(), schema.as_deref()),
        }
    }

    /// The SQLite file, for what only a file can do (a `gavel backup` copy).
    pub fn sqlite_path(&self) -> Option<&Path> {
        match self {
            ArchiveLocation::Sqlite(p) => Some(p),
            ArchiveLocation::Postgres { .. } => None,
        }
    }
}

/// `[archive]` resolved.
#[derive(Debug, Clone)]
pub struct ArchiveSettings {
    pub location: ArchiveLocation,
    /// Where platform state lives (see [`RawArchive::state_dir`]).
    pub state_dir: PathBuf,
    /// Several instances share the archive, with leases this long; `None`: one instance.
    pub shared: Option<std::time::Duration>,
}

/// Exactly one of `path` and `url`; a URL is PostgreSQL's, its schema a plain name.
pub(crate) fn resolve(r: &mut Resolver<'_>, raw: RawArchive) -> ArchiveSettings {
    let location = match (&raw.path, &raw.url) {
        (Some(_), Some(_)) => {
            r.problem(
                "archive: give either `path` (SQLite) or `url` (PostgreSQL), not both".into(),
            );
            ArchiveLocation::Sqlite(PathBuf::new())
        }
        (None, None) => {
            r.problem(
                "archive: missing (set `path` for a SQLite file, or `url` for PostgreSQL)".into(),
            );
            ArchiveLocation::Sqlite(PathBuf::new())
        }
        (Some(p), None) => {
            if p.as_os_str().is_empty() {
                r.problem("archive.path: must not be empty".into());
            }
            for key in [
                (
                    "password",
                    raw.password.is_some() || raw.password_file.is_some(),
                ),
                ("schema", raw.schema.is_some()),
            ]
            .iter()
            .filter(|(_, set)| *set)
            .map(|(k, _)| k)
            {
                r.problem(format!(
                    "archive.{key}: only for a PostgreSQL `url`, not a SQLite `path`"
                ));
            }
            ArchiveLocation::Sqlite(p.clone())
        }
        (None, Some(url)) => {
            if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
                r.problem(format!(
                    "archive.url: `{}` is not a PostgreSQL URL (postgres://user@host:port/database)",
                    crate::archive::postgres::redact(url, None)
                ));
            } else if url::Url::parse(url).is_err() {
                r.problem(format!(
                    "archive.url: `{}` is not a URL",
                    crate::archive::postgres::redact(url, None)
                ));
            }
            if let Some(s) = &raw.schema
                && let Err(e) = crate::archive::postgres::check_schema_name(s)
            {
                r.problem(format!("archive.schema: {e}"));
            }
            let password = r.secret_always(
                "archive",
                "password",
                raw.password.as_deref(),
                raw.password_file.as_deref(),
            );
            ArchiveLocation::Postgres {
                url: url.clone(),
                password,
                schema: raw.schema.clone(),
            }
        }
    };
    let state_dir = raw.state_dir.clone().unwrap_or_else(|| match &location {
        ArchiveLocation::Sqlite(p) => match p.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        },
        ArchiveLocation::Postgres { .. } => PathBuf::from("."),
    });
    let several = match raw.instances.as_deref() {
        None | Some("one") => false,
        Some("several") => true,
        Some(other) => {
            r.problem(format!(
                "archive.instances: `{other}` is neither \"one\" nor \"several\""
            ));
            false
        }
    };
    if several && matches!(location, ArchiveLocation::Sqlite(_)) {
        r.problem(
            "archive.instances: \"several\" needs a PostgreSQL `url`; a SQLite file has one `gavel run`"
                .into(),
        );
    }
    let lease_secs = raw.lease_secs.unwrap_or(DEFAULT_LEASE_SECS);
    if !(2..=300).contains(&lease_secs) {
        r.problem(format!(
            "archive.lease_secs: {lease_secs} is out of range (2 to 300 seconds)"
        ));
    }
    if raw.lease_secs.is_some() && !several {
        r.problem("archive.lease_secs: only with instances = \"several\"".into());
    }
    ArchiveSettings {
        location,
        state_dir,
        shared: several.then(|| std::time::Duration::from_secs(lease_secs)),
    }
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::ArchiveLocation;
    use crate::config::testing::check;

    const COUNCIL: &str = "[council]\nname = \"Test\"\ntimezone = \"Europe/London\"\n";

    #[test]
    fn a_postgres_url_with_its_password_from_the_environment_and_a_schema() {
        let text = format!(
            "{COUNCIL}[archive]\nurl = \"postgres://gavel:inline-secret@db.example:5432/gavel\"\npassword = \"${{PGPASS}}\"\nschema = \"borough\"\nstate_dir = \"/var/lib/gavel\"\n"
        );
        let c = check(&text, &[("PGPASS", "s3cret")]).unwrap();
        let ArchiveLocation::Postgres {
            url,
            password,
            schema,
        } = &c.archive.location
        else {
            panic!("{:?}", c.archive.location)
        };
        assert!(url.starts_with("postgres://"));
        assert_eq!(password.as_ref().unwrap().expose_secret(), "s3cret");
        assert_eq!(schema.as_deref(), Some("borough"));
        assert_eq!(c.state_dir().to_str(), Some("/var/lib/gavel"));
        // Neither the inline password nor the secret shows in what is logged.
        let shown = format!("{:?} {}", c.archive, c.archive.location.describe());
        assert!(
            !shown.contains("inline-secret") && !shown.contains("s3cret"),
            "{shown}"
        );
        assert!(
            shown.contains("db.example:5432/gavel (schema borough)"),
            "{shown}"
        );
    }

    #[test]
    fn a_sqlite_path_keeps_state_beside_it() {
        let text = format!("{COUNCIL}[archive]\npath = \"data/g.db\"\n");
        let c = check(&text, &[]).unwrap();
        assert_eq!(
            c.archive.location.sqlite_path().unwrap().to_str(),
            Some("data/g.db")
        );
        assert_eq!(c.state_dir().to_str(), Some("data"));
    }

    #[test]
    fn a_wrong_archive_section_is_named() {
        for (section, needle) in [
            (
                "path = \"a.db\"\nurl = \"postgres://h/db\"\n",
                "either `path`",
            ),
            ("", "archive: missing"),
            ("path = \"\"\n", "archive.path: must not be empty"),
            (
                "path = \"a.db\"\nschema = \"x\"\n",
                "archive.schema: only for a PostgreSQL",
            ),
            ("url = \"mysql://h/db\"\n", "is not a PostgreSQL URL"),
            (
                "url = \"postgres://h/db\"\nschema = \"Bad-Name\"\n",
                "archive.schema:",
            ),
            (
                "url = \"postgres://h/db\"\npassword = \"a\"\npassword_file = \"b\"\n",
                "archive.password: give either",
            ),
            (
                "url = \"postgres://h/db\"\npassword_file = \"/nonexistent/pw\"\n",
                "archive.password_file: cannot read",
            ),
        ] {
            let text = format!("{COUNCIL}[archive]\n{section}");
            let all = check(&text, &[]).unwrap_err().join("\n");
            assert!(all.contains(needle), "{needle} not in:\n{all}");
        }
    }
}
