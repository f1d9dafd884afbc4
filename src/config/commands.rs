//! `[commands]`: the prefix clerk commands start with.

use serde::Deserialize;

use super::Resolver;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCommands {
    #[serde(default = "default_prefix")]
    pub prefix: String,
}

impl Default for RawCommands {
    fn default() -> Self {
        RawCommands {
            prefix: default_prefix(),
        }
    }
}

fn default_prefix() -> String {
    "!".into()
}

/// The command prefix: 1 to 3 characters without spaces.
pub(crate) fn resolve(r: &mut Resolver<'_>, raw: RawCommands) -> String {
    let prefix = raw.prefix;
    if prefix.is_empty() || prefix.chars().any(char::is_whitespace) || prefix.chars().count() > 3 {
        r.problem(format!(
            "commands.prefix: `{prefix}` must be 1 to 3 characters without spaces"
        ));
    }
    prefix
}
