//! `gavel check --probe` for a Bluesky account: the PDS answers, the app password logs in (or
//! the kept session still works), and the account may post (active, not taken down), without
//! posting anything.

use super::sink::BlueskySink;
use crate::probe::{Check, ProbeReport};

pub async fn probe(target: String, sink: &BlueskySink) -> ProbeReport {
    let pds = sink.pds();
    let reachable = match pds.describe_server().await {
        Ok(_) => Check::Yes,
        Err(e) => Check::No(e.sink.message),
    };
    let (authorised, can_post) = match pds.get_session().await {
        Ok(v) => {
            let active = v["active"].as_bool().unwrap_or(true);
            let status = v["status"].as_str().map(str::to_string);
            (
                Check::Yes,
                match (active, status) {
                    (true, None) => Check::Yes,
                    (_, Some(s)) => Check::No(format!("the account is {s}")),
                    (false, None) => Check::No("the account is not active".into()),
                },
            )
        }
        Err(e) => (Check::No(e.sink.message.clone()), Check::No(e.sink.message)),
    };
    ProbeReport {
        notes: Vec::new(),
        target,
        reachable,
        authorised,
        can_post,
        can_edit: Check::NotChecked(
            "Bluesky has no edits: corrections are replies quoting the original".into(),
        ),
    }
}
