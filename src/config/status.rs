//! `[status]`: the pinned "now" status message kept in every target that can pin.

use std::time::Duration;

use serde::Deserialize;

use super::Resolver;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStatus {
    pub enabled: Option<bool>,
    pub min_edit_interval_secs: Option<u64>,
}

/// The pinned "now" status (`[status]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusSettings {
    /// Keep a pinned status message in every target that can pin. Off unless configured.
    pub enabled: bool,
    /// The least time between two edits of one target's status; changes in between are
    /// collapsed into one later edit.
    pub min_edit_interval: Duration,
}

impl Default for StatusSettings {
    fn default() -> Self {
        StatusSettings {
            enabled: false,
            min_edit_interval: Duration::from_secs(3),
        }
    }
}

/// The status settings: off by default; edits at least a second apart.
pub(crate) fn resolve(r: &mut Resolver<'_>, raw: Option<&RawStatus>) -> StatusSettings {
    let mut status = StatusSettings::default();
    let Some(st) = raw else {
        return status;
    };
    status.enabled = st.enabled.unwrap_or(false);
    if let Some(secs) = st.min_edit_interval_secs {
        if secs == 0 {
            r.problem(
                "status.min_edit_interval_secs: must be at least 1 (Discord and Matrix limit edits)"
                    .into(),
            );
        }
        status.min_edit_interval = Duration::from_secs(secs.max(1));
    }
    status
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::StatusSettings;
    use crate::config::testing::{BASE, check};

    #[test]
    fn the_status_is_off_by_default_and_takes_over_the_discord_pin_when_on() {
        let discord = "[discord]\ntoken = \"t\"\ntargets = [\"810000000000000001\"]\n";
        let off = check(&format!("{BASE}{discord}"), &[]).unwrap();
        assert_eq!(off.status, StatusSettings::default());
        assert!(off.discord.unwrap().pin_meeting_start);
        let on = check(
            &format!("{BASE}{discord}[status]\nenabled = true\nmin_edit_interval_secs = 5\n"),
            &[],
        )
        .unwrap();
        assert!(on.status.enabled);
        assert_eq!(on.status.min_edit_interval, Duration::from_secs(5));
        assert!(!on.discord.unwrap().pin_meeting_start);
        let zero = check(
            &format!("{BASE}[status]\nmin_edit_interval_secs = 0\n"),
            &[],
        )
        .unwrap_err();
        assert!(
            zero[0].starts_with("status.min_edit_interval_secs"),
            "{zero:?}"
        );
    }
}
