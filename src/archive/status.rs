//! The pinned "now" status messages: which remote message shows a meeting's status in each
//! target, what it says, and whether it is pinned or finalised. Kept in the archive so a
//! restart edits the message already posted instead of posting a second one.

use chrono::Utc;
use rusqlite::{OptionalExtension, params};

use super::{Archive, ArchiveError, Result};
use crate::domain::MeetingId;

/// One target's status message for one meeting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusMessage {
    pub target: String,
    pub meeting: MeetingId,
    /// The message id(s) the platform gave the post (several when it had to be split).
    pub remote_ids: Vec<String>,
    /// The text the message shows now.
    pub text: String,
    /// How many edits have been sent (so each edit gets its own idempotency key).
    pub edits: u32,
    pub pinned: bool,
    /// Edited to say the meeting ended and unpinned: nothing more to do.
    pub finalised: bool,
}

fn decode_ids(raw: &str) -> Result<Vec<String>> {
    serde_json::from_str(raw)
        .map_err(|e| ArchiveError::Corrupt(format!("status message remote ids: {e}")))
}

impl Archive {
    /// The latest meeting that has started, and whether it has ended.
    pub fn latest_started_meeting(&self) -> Result<Option<(MeetingId, bool)>> {
        let row: Option<(i64, bool)> = self
            .read()
            .query_row(
                "SELECT s.meeting_id, EXISTS (SELECT 1 FROM entries e WHERE e.meeting_id = s.meeting_id AND e.kind = 'end')
                 FROM entries s WHERE s.kind = 'start' ORDER BY s.id DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        Ok(row.map(|(m, ended)| (MeetingId(m), ended)))
    }

    /// `target`'s status messages, oldest meeting first; `pending_only` keeps those not yet
    /// finalised.
    pub fn status_messages(&self, target: &str, pending_only: bool) -> Result<Vec<StatusMessage>> {
        let conn = self.read();
        let mut st = conn.prepare_cached(
            "SELECT meeting_id, remote_ids, text, edits, pinned, finalised FROM status_messages
             WHERE target = ?1 AND (?2 = 0 OR finalised = 0) ORDER BY meeting_id",
        )?;
        let rows = st
            .query_map(params![target, pending_only], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, u32>(3)?,
                    r.get::<_, bool>(4)?,
                    r.get::<_, bool>(5)?,
                ))
            })?
            .collect::<std::result::Result<Vec<_>, _>>()?;
        rows.into_iter()
            .map(|(m, ids, text, edits, pinned, finalised)| {
                Ok(StatusMessage {
                    target: target.to_string(),
                    meeting: MeetingId(m),
                    remote_ids: decode_ids(&ids)?,
                    text,
                    edits,
                    pinned,
                    finalised,
                })
            })
            .collect()
    }

    /// `target`'s status message for `meeting`, if one was posted.
    pub fn status_message(
        &self,
        target: &str,
        meeting: MeetingId,
    ) -> Result<Option<StatusMessage>> {
        Ok(self
            .status_messages(target, false)?
            .into_iter()
            .find(|s| s.meeting == meeting))
    }

    /// Records (or replaces) a status message's state.
    pub fn save_status_message(&self, s: &StatusMessage) -> Result<()> {
        let ids = serde_json::to_string(&s.remote_ids)
            .map_err(|e| ArchiveError::Corrupt(format!("status message remote ids: {e}")))?;
        self.conn().execute(
            "INSERT INTO status_messages (target, meeting_id, remote_ids, text, edits, pinned, finalised, updated_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (target, meeting_id) DO UPDATE SET remote_ids = ?3, text = ?4, edits = ?5,
               pinned = ?6, finalised = ?7, updated_ms = ?8",
            params![
                s.target,
                s.meeting.0,
                ids,
                s.text,
                s.edits,
                s.pinned,
                s.finalised,
                Utc::now().timestamp_millis()
            ],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_message_round_trips_and_pending_ones_can_be_listed() {
        let dir = tempfile::tempdir().unwrap();
        let a = Archive::open(&dir.path().join("a.db")).unwrap();
        let m = a
            .schedule_meeting("Full Council", chrono_tz::UTC, None, &[], Utc::now())
            .unwrap();
        let mut s = StatusMessage {
            target: "discord:1".into(),
            meeting: m,
            remote_ids: vec!["10".into(), "11".into()],
            text: "Now: Full Council".into(),
            edits: 0,
            pinned: true,
            finalised: false,
        };
        a.save_status_message(&s).unwrap();
        assert_eq!(a.status_message("discord:1", m).unwrap(), Some(s.clone()));
        assert_eq!(a.status_message("discord:2", m).unwrap(), None);
        s.finalised = true;
        s.edits = 3;
        a.save_status_message(&s).unwrap();
        assert!(a.status_messages("discord:1", true).unwrap().is_empty());
        assert_eq!(a.status_messages("discord:1", false).unwrap(), vec![s]);
    }
}
