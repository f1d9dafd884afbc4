//! `[consultations]`: when reminders about closing public consultations go out.

use std::collections::HashSet;

use serde::Deserialize;

use super::Resolver;
use crate::reminders::ReminderSettings;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConsultations {
    /// Days before closing on which reminders go out (default 7 and 1).
    pub reminder_days: Option<Vec<i64>>,
    /// Local time of day for reminders, `HH:MM` (default 09:00).
    pub send_at: Option<String>,
}

/// `[consultations]`: reminder days positive and distinct, `send_at` an `HH:MM` time.
pub(crate) fn resolve(r: &mut Resolver<'_>, raw: Option<&RawConsultations>) -> ReminderSettings {
    let mut out = ReminderSettings::default();
    let Some(raw) = raw else {
        return out;
    };
    if let Some(days) = &raw.reminder_days {
        let mut seen = HashSet::new();
        out.days.clear();
        for (i, &d) in days.iter().enumerate() {
            match u32::try_from(d) {
                Ok(n) if n > 0 => {
                    if seen.insert(n) {
                        out.days.push(n);
                    } else {
                        r.problem(format!(
                            "consultations.reminder_days[{i}]: {d} is listed twice"
                        ));
                    }
                }
                _ => r.problem(format!(
                    "consultations.reminder_days[{i}]: {d} is not a positive number of days"
                )),
            }
        }
    }
    if let Some(t) = &raw.send_at {
        match chrono::NaiveTime::parse_from_str(t, "%H:%M") {
            Ok(time) => out.send_at = time,
            Err(_) => r.problem(format!(
                "consultations.send_at: `{t}` is not a time of day like 09:00"
            )),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::config::testing::{BASE, check};

    #[test]
    fn consultation_reminders_default_to_seven_and_one_days_at_nine() {
        let c = check(BASE, &[]).unwrap();
        assert_eq!(c.reminders.days, vec![7, 1]);
        assert_eq!(c.reminders.send_at.to_string(), "09:00:00");
        let text = format!("{BASE}[consultations]\nreminder_days = [14, 3]\nsend_at = \"17:30\"\n");
        let c = check(&text, &[]).unwrap();
        assert_eq!(c.reminders.days, vec![14, 3]);
        assert_eq!(c.reminders.send_at.to_string(), "17:30:00");
    }

    #[test]
    fn bad_consultation_reminder_settings_are_named() {
        let text =
            format!("{BASE}[consultations]\nreminder_days = [7, 0, 7, -2]\nsend_at = \"9am\"\n");
        let all = check(&text, &[]).unwrap_err().join("\n");
        for needle in [
            "consultations.reminder_days[1]: 0 is not a positive",
            "consultations.reminder_days[2]: 7 is listed twice",
            "consultations.reminder_days[3]: -2 is not a positive",
            "consultations.send_at: `9am`",
        ] {
            assert!(all.contains(needle), "missing {needle:?} in:\n{all}");
        }
    }
}
