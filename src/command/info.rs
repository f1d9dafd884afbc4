//! `!status` (meeting state and each target's delivery health, for the clerk), `!help
//! [command]` and `!now` (the meeting in a sentence): answers that record nothing.

use super::VERBS;
use crate::desk::{Effect, MeetingState, Refusal, Turn};
use crate::i18n::Lang;
use crate::outbox::TargetStatus;
use crate::{render, tr};

pub(super) fn status(t: &Turn) -> Result<Effect, Refusal> {
    let targets = t.target_health();
    Ok(t.answer(|l| status_text(t.st, &targets, l)))
}

pub(super) fn help(topic: Option<&str>, t: &Turn) -> Result<Effect, Refusal> {
    let prefix = &t.settings().prefix;
    Ok(t.answer(|l| help_text(topic, prefix, l)))
}

pub(super) fn now(t: &Turn) -> Result<Effect, Refusal> {
    Ok(t.answer(|l| now_text(t.st, l)))
}

fn status_text(st: &MeetingState, targets: &[TargetStatus], l: Lang) -> String {
    let mut lines = Vec::new();
    match st.meeting {
        None => lines.push(tr!(l, "status-no-meeting")),
        Some(m) => {
            let state = match (st.in_recess, st.private) {
                (false, false) => "open",
                (true, false) => "recess",
                (false, true) => "private",
                (true, true) => "recess-private",
            };
            lines.push(tr!(
                l,
                "status-meeting",
                meeting = m.to_string(),
                title = &st.title,
                state = state
            ));
            if let Some((n, t)) = &st.current_item {
                lines.push(tr!(l, "status-current-item", number = n, title = t));
            }
            lines.push(tr!(l, "status-entries", count = st.entries.len()));
        }
    }
    if targets.is_empty() {
        lines.push(tr!(l, "status-no-targets"));
    }
    for t in targets {
        lines.push(match &t.failing {
            Some(err) => tr!(
                l,
                "status-target-failing",
                target = &t.name,
                error = err,
                queued = t.queued
            ),
            None if t.queued > 0 => {
                tr!(
                    l,
                    "status-target-queued",
                    target = &t.name,
                    queued = t.queued
                )
            }
            None => tr!(l, "status-target-ok", target = &t.name),
        });
    }
    lines.join("\n")
}

/// `!help` and `!help <command>`. Command words stay English (`!vote`); what they do is
/// explained in `l`.
fn help_text(topic: Option<&str>, prefix: &str, l: Lang) -> String {
    let fix = |s: String| s.replace('!', prefix);
    match topic {
        Some(t) => match super::verb_help(t) {
            Some(h) => fix(format!(
                "{} — {}",
                super::usage_text(h.verb, l),
                tr!(l, "verb-about", verb = h.verb)
            )),
            None => format!(
                "{} {}",
                tr!(l, "help-no-such-command", command = t),
                fix(tr!(l, "help-list-all"))
            ),
        },
        None => {
            let verbs: Vec<String> = VERBS
                .iter()
                .map(|h| format!("{prefix}{}", h.verb))
                .collect();
            let commands = verbs.join(" ");
            format!(
                "{} {}",
                tr!(l, "help-commands", commands = &commands),
                fix(tr!(l, "help-more"))
            )
        }
    }
}

fn now_text(st: &MeetingState, l: Lang) -> String {
    let Some(_) = st.meeting else {
        return tr!(l, "now-no-meeting");
    };
    let mut s = tr!(l, "now-meeting", title = &st.title);
    if let Some((n, t)) = &st.current_item {
        s.push_str(&tr!(l, "now-item", number = n, title = t));
    }
    if st.in_recess {
        s.push(' ');
        s.push_str(&tr!(l, "now-in-recess"));
    }
    if st.private {
        s.push(' ');
        s.push_str(&tr!(l, "now-private"));
    }
    if let Some(v) = &st.last_vote {
        s.push_str(&tr!(l, "now-last-vote", vote = render::vote_text(v, l)));
    }
    s.push('.');
    s
}
