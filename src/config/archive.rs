//! `[archive]`: where the archive lives.

use std::path::PathBuf;

use serde::Deserialize;

use super::Resolver;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawArchive {
    pub path: PathBuf,
}

/// The archive's path, which must not be empty.
pub(crate) fn resolve(r: &mut Resolver<'_>, raw: RawArchive) -> PathBuf {
    if raw.path.as_os_str().is_empty() {
        r.problem("archive.path: must not be empty".into());
    }
    raw.path
}
