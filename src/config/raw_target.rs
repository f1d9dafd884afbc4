//! One entry of a chat platform's `targets` list as written in TOML: a bare id, or a table
//! naming the id and its options. Discord (`channel`) and Matrix (`room`) share this shape and
//! resolve their lists through [`resolve_targets`].

use std::collections::HashSet;
use std::hash::Hash;

use serde::Deserialize;

use super::Resolver;

/// One entry of `targets`: a bare id (`"123"`), or a table naming the id and options
/// (`{ channel = "123", threads = true }` in `[discord]`, `{ room = "!r:hs", threads = true }`
/// in `[matrix]`). Anything else is kept as written so the resolver can say what is wrong with
/// it, instead of serde's "did not match any variant".
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum RawTarget {
    Id(String),
    Table(RawTargetTable),
    Other(toml::Value),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTargetTable {
    pub channel: Option<String>,
    pub room: Option<String>,
    #[serde(default)]
    pub threads: bool,
}

impl RawTarget {
    /// The id and `threads` option of this target, where `id_key` is the key its table form
    /// uses for the id (`channel` or `room`); otherwise what is wrong with its shape.
    fn resolve(&self, id_key: &str) -> Result<(&str, bool), String> {
        let usage =
            format!("write an id string or a table like {{ {id_key} = \"…\", threads = true }}");
        match self {
            RawTarget::Id(s) => Ok((s, false)),
            RawTarget::Table(t) => {
                let (id, wrong) = match id_key {
                    "channel" => (&t.channel, t.room.as_ref().map(|_| "room")),
                    _ => (&t.room, t.channel.as_ref().map(|_| "channel")),
                };
                match (id, wrong) {
                    (_, Some(wrong)) => Err(format!("unknown key `{wrong}`; {usage}")),
                    (Some(id), None) => Ok((id, t.threads)),
                    (None, None) => Err(format!("missing `{id_key}`; {usage}")),
                }
            }
            RawTarget::Other(v) => Err(shape_problem(v, id_key, &usage)),
        }
    }
}

/// Why `v` is neither an id string nor a well-formed target table.
fn shape_problem(v: &toml::Value, id_key: &str, usage: &str) -> String {
    let Some(table) = v.as_table() else {
        return format!("found {}, not a target; {usage}", v.type_str());
    };
    if let Some(k) = table.keys().find(|k| *k != id_key && *k != "threads") {
        return format!("unknown key `{k}`; {usage}");
    }
    match (table.get(id_key), table.get("threads")) {
        (None, _) => format!("missing `{id_key}`; {usage}"),
        (Some(id), _) if !id.is_str() => {
            format!("`{id_key}` must be a string (found {})", id.type_str())
        }
        (_, Some(t)) if !t.is_bool() => {
            format!("`threads` must be true or false (found {})", t.type_str())
        }
        _ => format!("not a target; {usage}"),
    }
}

/// The targets of `[section]` in order, and those of them that want threads. `parse` reads
/// one id; an id it refuses is named as "`<id>` {not_an_id}".
pub(crate) fn resolve_targets<T: Clone + Eq + Hash>(
    r: &mut Resolver<'_>,
    section: &str,
    id_key: &str,
    list: &[RawTarget],
    parse: impl Fn(&str) -> Option<T>,
    not_an_id: &str,
) -> (Vec<T>, HashSet<T>) {
    let mut targets = Vec::new();
    let mut threads = HashSet::new();
    for (i, t) in list.iter().enumerate() {
        match t.resolve(id_key) {
            Ok((s, threaded)) => match parse(s) {
                Some(id) => {
                    if threaded {
                        threads.insert(id.clone());
                    }
                    targets.push(id);
                }
                None => r.problem(format!("{section}.targets[{i}]: `{s}` {not_an_id}")),
            },
            Err(why) => r.problem(format!("{section}.targets[{i}]: {why}")),
        }
    }
    (targets, threads)
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use crate::config::testing::{BASE, DISCORD, MATRIX, check};
    use crate::config::{DiscordId, MatrixRoomRef};

    #[test]
    fn targets_take_bare_ids_and_tables_with_threads() {
        let text = format!(
            "{BASE}{DISCORD}targets = [\"123456789012345678\", {{ channel = \"223456789012345678\", threads = true }}, {{ channel = \"323456789012345678\" }}]\n\
             {MATRIX}targets = [\"!a:hs.example\", {{ room = \"#live:hs.example\", threads = true }}]\n"
        );
        let c = check(&text, &[]).unwrap();
        let d = c.discord.unwrap();
        let ids: Vec<u64> = d.targets.iter().map(|t| t.0).collect();
        assert_eq!(
            ids,
            [123456789012345678, 223456789012345678, 323456789012345678]
        );
        assert_eq!(d.threads, HashSet::from([DiscordId(223456789012345678)]));
        let m = c.matrix.unwrap();
        assert_eq!(m.targets.len(), 2);
        assert_eq!(
            m.threads,
            HashSet::from([MatrixRoomRef("#live:hs.example".into())])
        );
    }

    #[test]
    fn targets_of_the_wrong_shape_are_named_with_the_fix() {
        let text = format!(
            "{BASE}{DISCORD}targets = [42, {{ room = \"!a:hs\" }}, {{ channel = \"123456789012345678\", thread = true }}, {{ threads = true }}, {{ channel = \"123456789012345678\", threads = \"yes\" }}, {{ channel = 5 }}, {{ channel = \"abc\", threads = true }}]\n\
             {MATRIX}targets = [{{ channel = \"!a:hs.example\" }}, [\"!a:hs.example\"]]\n"
        );
        let all = check(&text, &[]).unwrap_err().join("\n");
        for needle in [
            "discord.targets[0]: found integer, not a target; write an id string or a table like { channel = \"…\", threads = true }",
            "discord.targets[1]: unknown key `room`",
            "discord.targets[2]: unknown key `thread`",
            "discord.targets[3]: missing `channel`",
            "discord.targets[4]: `threads` must be true or false (found string)",
            "discord.targets[5]: `channel` must be a string (found integer)",
            "discord.targets[6]: `abc` is not a Discord channel id",
            "matrix.targets[0]: unknown key `channel`; write an id string or a table like { room = \"…\", threads = true }",
            "matrix.targets[1]: found array, not a target",
        ] {
            assert!(all.contains(needle), "missing {needle:?} in:\n{all}");
        }
    }
}
