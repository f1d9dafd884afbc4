//! Small records kept beside the chain in SQLite: signed checkpoints, and the pinned "now"
//! status messages (which remote message shows a meeting's status in each target, what it
//! says, whether it is pinned or finalised), kept so a restart edits the message already posted
//! instead of posting a second one.

use chrono::Utc;
use rusqlite::{OptionalExtension, params};

use super::{SqliteArchive, ms_to_utc};
use crate::archive::{ArchiveError, Checkpoint, Records, Result, StatusMessage};
use crate::domain::MeetingId;

fn decode_ids(raw: &str) -> Result<Vec<String>> {
    serde_json::from_str(raw)
        .map_err(|e| ArchiveError::Corrupt(format!("status message remote ids: {e}")))
}

impl Records for SqliteArchive {
    fn save_checkpoint(&self, c: &Checkpoint) -> Result<()> {
        self.conn().execute(
            "INSERT OR REPLACE INTO checkpoints (meeting_id, head, entries, public_key, signature, signed_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![c.meeting.0, c.head, c.entries, c.public_key, c.signature, c.signed_at.timestamp_millis()],
        )?;
        Ok(())
    }

    fn checkpoint(&self, meeting: MeetingId) -> Result<Option<Checkpoint>> {
        Ok(self
            .read()
            .query_row(
                "SELECT meeting_id, head, entries, public_key, signature, signed_at_ms FROM checkpoints WHERE meeting_id = ?1",
                [meeting.0],
                |r| {
                    Ok(Checkpoint {
                        meeting: MeetingId(r.get(0)?),
                        head: r.get(1)?,
                        entries: r.get(2)?,
                        public_key: r.get(3)?,
                        signature: r.get(4)?,
                        signed_at: ms_to_utc(r.get(5)?),
                    })
                },
            )
            .optional()?)
    }

    /// `target`'s status messages, oldest meeting first; `pending_only` keeps those not yet
    /// finalised.
    fn status_messages(&self, target: &str, pending_only: bool) -> Result<Vec<StatusMessage>> {
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
    fn status_message(&self, target: &str, meeting: MeetingId) -> Result<Option<StatusMessage>> {
        Ok(self
            .status_messages(target, false)?
            .into_iter()
            .find(|s| s.meeting == meeting))
    }

    /// Records (or replaces) a status message's state.
    fn save_status_message(&self, s: &StatusMessage) -> Result<()> {
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
