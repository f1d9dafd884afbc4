//! The error collector every section resolves through: it notes each problem (naming the key)
//! and carries on, so one `gavel check` names every problem at once. It also reads secrets:
//! `${ENV}` references in secret keys and `*_file` keys, relative ones looked up in
//! `$CREDENTIALS_DIRECTORY` when systemd provides one.

use std::path::{Path, PathBuf};

use secrecy::SecretString;

/// Whether to read secrets now (`run`, `check`) or leave them (`meetings`, `export`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Secrets {
    Resolve,
    Skip,
}

/// Collects problems while sections resolve, and reads their secrets.
pub(crate) struct Resolver<'a> {
    problems: Vec<String>,
    secrets: Secrets,
    env: &'a dyn Fn(&str) -> Option<String>,
    credentials: Option<PathBuf>,
}

impl<'a> Resolver<'a> {
    pub(crate) fn new(
        secrets: Secrets,
        env: &'a dyn Fn(&str) -> Option<String>,
        credentials: Option<PathBuf>,
    ) -> Self {
        Resolver {
            problems: Vec::new(),
            secrets,
            env,
            credentials,
        }
    }

    /// Notes one problem; its text starts with the key it is about.
    pub(crate) fn problem(&mut self, s: String) {
        self.problems.push(s);
    }

    /// Whether secrets are being read in this resolution.
    pub(crate) fn secrets(&self) -> Secrets {
        self.secrets
    }

    /// Every problem noted, or `ok` when there were none.
    pub(crate) fn finish<T>(self, ok: impl FnOnce() -> T) -> Result<T, Vec<String>> {
        if self.problems.is_empty() {
            Ok(ok())
        } else {
            Err(self.problems)
        }
    }

    /// `file` as written, or inside the credentials directory when it is relative and systemd
    /// gave one.
    pub(crate) fn credential_path(&self, file: &str) -> PathBuf {
        let p = Path::new(file);
        match (&self.credentials, p.is_relative()) {
            (Some(dir), true) => dir.join(p),
            _ => p.to_path_buf(),
        }
    }

    /// Expands `${VAR}` references in `value` (only for secret keys).
    fn expand(&mut self, key: &str, value: &str) -> Option<String> {
        let mut out = String::new();
        let mut rest = value;
        while let Some(i) = rest.find("${") {
            out.push_str(&rest[..i]);
            let Some(j) = rest[i..].find('}') else {
                self.problem(format!("{key}: unclosed `${{` in the value"));
                return None;
            };
            let var = &rest[i + 2..i + j];
            if var.is_empty() || !var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                self.problem(format!(
                    "{key}: `${{{var}}}` is not an environment variable name"
                ));
                return None;
            }
            match (self.env)(var) {
                Some(v) if !v.is_empty() => out.push_str(&v),
                _ => {
                    self.problem(format!(
                        "{key}: environment variable {var} is not set (or is empty)"
                    ));
                    return None;
                }
            }
            rest = &rest[i + j + 1..];
        }
        out.push_str(rest);
        Some(out)
    }

    /// The contents of a credentials file named by `key`, without its trailing newline.
    pub(crate) fn read_file(&mut self, key: &str, file: &str) -> Option<String> {
        let full = self.credential_path(file);
        match std::fs::read_to_string(&full) {
            Ok(s) if s.trim().is_empty() => {
                self.problem(format!("{key}: {} is empty", full.display()));
                None
            }
            Ok(s) => Some(s.trim_end_matches(['\n', '\r']).to_string()),
            Err(e) => {
                self.problem(format!("{key}: cannot read {}: {e}", full.display()));
                None
            }
        }
    }

    /// [`Resolver::secret`], read even by commands that skip secrets: the archive's password,
    /// which every command that opens the archive needs.
    pub(crate) fn secret_always(
        &mut self,
        section: &str,
        key: &str,
        inline: Option<&str>,
        file: Option<&str>,
    ) -> Option<SecretString> {
        let saved = self.secrets;
        self.secrets = Secrets::Resolve;
        let secret = self.secret(section, key, inline, file, false);
        self.secrets = saved;
        secret
    }

    /// A secret from `key = "…${ENV}…"` or `key_file = "path"`: exactly one must be given.
    pub(crate) fn secret(
        &mut self,
        section: &str,
        key: &str,
        inline: Option<&str>,
        file: Option<&str>,
        required: bool,
    ) -> Option<SecretString> {
        let full = format!("{section}.{key}");
        match (inline, file) {
            (Some(_), Some(_)) => {
                self.problem(format!(
                    "{full}: give either `{key}` or `{key}_file`, not both"
                ));
                None
            }
            (None, None) => {
                if required {
                    self.problem(format!("{full}: missing (set `{key}` or `{key}_file`)"));
                }
                None
            }
            _ if self.secrets == Secrets::Skip => Some(SecretString::from("")),
            (Some(v), None) => self.expand(&full, v).map(SecretString::from),
            (None, Some(f)) => self
                .read_file(&format!("{full}_file"), f)
                .map(SecretString::from),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::config::testing::{BASE, check};

    #[test]
    fn env_references_fill_secrets_and_debug_never_shows_them() {
        let text = format!(
            "{BASE}[[webhook]]\nname = \"slack\"\nurl = \"${{HOOK}}\"\nformat = \"slack\"\n"
        );
        let c = check(&text, &[("HOOK", "https://hooks.example/T000/SECRETPART")]).unwrap();
        use secrecy::ExposeSecret;
        assert_eq!(
            c.webhooks[0].url.expose_secret(),
            "https://hooks.example/T000/SECRETPART"
        );
        assert!(!format!("{c:?}").contains("SECRETPART"));
    }
}
