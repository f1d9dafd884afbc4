//! `[residents]`: whether Gavel answers residents' `!now`, `!agenda` and `!consultations` in
//! target rooms, and how often per user and per room.

use std::time::Duration;

use serde::Deserialize;

use super::Resolver;
use crate::residents::ResidentSettings;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawResidents {
    pub enabled: Option<bool>,
    pub per_user_secs: Option<u64>,
    pub per_room_secs: Option<u64>,
}

/// `[residents]`: defaults from [`ResidentSettings::default`]; each wait from 1 s to a day.
pub(crate) fn resolve(r: &mut Resolver<'_>, raw: Option<&RawResidents>) -> ResidentSettings {
    let mut s = ResidentSettings::default();
    let Some(raw) = raw else {
        return s;
    };
    let mut wait = |key: &str, secs: Option<u64>, default: Duration| match secs {
        None => default,
        Some(n @ 1..=86_400) => Duration::from_secs(n),
        Some(n) => {
            r.problem(format!(
                "residents.{key}: {n} must be from 1 to 86400 seconds"
            ));
            default
        }
    };
    s.per_user = wait("per_user_secs", raw.per_user_secs, s.per_user);
    s.per_room = wait("per_room_secs", raw.per_room_secs, s.per_room);
    s.enabled = raw.enabled.unwrap_or(s.enabled);
    s
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::config::testing::{BASE, check};
    use crate::residents::ResidentSettings;

    #[test]
    fn residents_default_to_answering_with_limits_and_bad_waits_are_named() {
        let c = check(BASE, &[]).unwrap();
        assert_eq!(c.residents, ResidentSettings::default());
        assert!(c.residents.enabled);
        let text = format!("{BASE}[residents]\nenabled = false\nper_user_secs = 120\n");
        let c = check(&text, &[]).unwrap();
        assert!(!c.residents.enabled);
        assert_eq!(c.residents.per_user, Duration::from_secs(120));
        assert_eq!(c.residents.per_room, ResidentSettings::default().per_room);
        let text = format!("{BASE}[residents]\nper_user_secs = 0\nper_room_secs = 100000\n");
        let p = check(&text, &[]).unwrap_err().join("\n");
        assert!(p.contains("residents.per_user_secs: 0 must be"), "{p}");
        assert!(p.contains("residents.per_room_secs: 100000 must be"), "{p}");
    }
}
