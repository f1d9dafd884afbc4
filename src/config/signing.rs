//! `[signing]`: the ed25519 key that signs each meeting's checkpoint at `!end`.

use std::path::PathBuf;

use serde::Deserialize;

use super::{Resolver, Secrets};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSigning {
    pub key_file: String,
}

/// The key's path (relative ones inside the credentials directory), which must exist when
/// secrets are read.
pub(crate) fn resolve(r: &mut Resolver<'_>, raw: Option<&RawSigning>) -> Option<PathBuf> {
    let k = r.credential_path(&raw?.key_file);
    if r.secrets() == Secrets::Resolve && !k.exists() {
        r.problem(format!(
            "signing.key_file: {} does not exist (create one with `gavel keygen {}`)",
            k.display(),
            k.display()
        ));
    }
    Some(k)
}
