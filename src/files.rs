//! Replacing a small file whole: written to a temporary file beside it, flushed to disk, then
//! renamed over it, so a reader (or a restart after a crash) sees the old file or the new one,
//! never half of one. Used for every file Gavel rewrites in place: sessions, cursors, the desk's
//! accounts, an imported roster.

use std::io::Write;
use std::path::Path;

/// Who may read the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Secrets (tokens, sessions, password hashes): the owner only (0600).
    Private,
    /// Anything else (a roster): readable by all (0644), so a service user can read what root
    /// wrote.
    Shared,
}

/// Replaces `path` with `bytes`, atomically. The parent folder is created if it is missing.
pub fn replace(path: &Path, bytes: &[u8], access: Access) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut builder = tempfile::Builder::new();
    builder.prefix(".gavel-").suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = match access {
            Access::Private => 0o600,
            Access::Shared => 0o644,
        };
        builder.permissions(std::fs::Permissions::from_mode(mode));
    }
    let mut tmp = builder.tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_replaced_whole_with_the_mode_its_access_asks_for() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/session.json");
        replace(&path, b"first", Access::Private).unwrap();
        replace(&path, b"second", Access::Private).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "second");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&path), 0o600);
            let shared = dir.path().join("roster.toml");
            replace(&shared, b"[[councillor]]", Access::Shared).unwrap();
            assert_eq!(mode(&shared), 0o644);
        }
        // No temporary file is left behind.
        let names: Vec<_> = std::fs::read_dir(dir.path().join("sub"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["session.json"]);
    }
}
