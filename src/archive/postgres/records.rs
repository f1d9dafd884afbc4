//! Small records kept beside the chain in PostgreSQL: signed checkpoints and the pinned "now"
//! status messages, as in SQLite.

use chrono::Utc;

use super::PostgresArchive;
use super::rows::{execute, ms_to_utc, query, query_opt};
use crate::archive::{ArchiveError, Checkpoint, Records, Result, StatusMessage};
use crate::domain::MeetingId;

fn decode_ids(raw: &str) -> Result<Vec<String>> {
    serde_json::from_str(raw)
        .map_err(|e| ArchiveError::Corrupt(format!("status message remote ids: {e}")))
}

impl Records for PostgresArchive {
    fn save_checkpoint(&self, c: &Checkpoint) -> Result<()> {
        let c = c.clone();
        self.run(move |s| async move {
            execute(
                &*s.client().await?,
                "INSERT INTO checkpoints (meeting_id, head, entries, public_key, signature, signed_at_ms)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (meeting_id) DO UPDATE SET head = $2, entries = $3, public_key = $4,
                   signature = $5, signed_at_ms = $6",
                &[
                    &c.meeting.0,
                    &c.head,
                    &i64::from(c.entries),
                    &c.public_key,
                    &c.signature,
                    &c.signed_at.timestamp_millis(),
                ],
            )
            .await?;
            Ok(())
        })
    }

    fn checkpoint(&self, meeting: MeetingId) -> Result<Option<Checkpoint>> {
        self.run(move |s| async move {
            let row = query_opt(
                &*s.client().await?,
                "SELECT meeting_id, head, entries, public_key, signature, signed_at_ms
                 FROM checkpoints WHERE meeting_id = $1",
                &[&meeting.0],
            )
            .await?;
            let Some(r) = row else {
                return Ok(None);
            };
            Ok(Some(Checkpoint {
                meeting: MeetingId(r.try_get(0)?),
                head: r.try_get(1)?,
                entries: r.try_get::<_, i64>(2)? as u32,
                public_key: r.try_get(3)?,
                signature: r.try_get(4)?,
                signed_at: ms_to_utc(r.try_get(5)?),
            }))
        })
    }

    fn status_messages(&self, target: &str, pending_only: bool) -> Result<Vec<StatusMessage>> {
        let target = target.to_string();
        self.run(move |s| async move {
            let rows = query(
                &*s.client().await?,
                "SELECT meeting_id, remote_ids, text, edits, pinned, finalised FROM status_messages
                 WHERE target = $1 AND (NOT $2 OR NOT finalised) ORDER BY meeting_id",
                &[&target, &pending_only],
            )
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(StatusMessage {
                        target: target.clone(),
                        meeting: MeetingId(r.try_get(0)?),
                        remote_ids: decode_ids(r.try_get(1)?)?,
                        text: r.try_get(2)?,
                        edits: r.try_get::<_, i64>(3)? as u32,
                        pinned: r.try_get(4)?,
                        finalised: r.try_get(5)?,
                    })
                })
                .collect()
        })
    }

    fn status_message(&self, target: &str, meeting: MeetingId) -> Result<Option<StatusMessage>> {
        Ok(self
            .status_messages(target, false)?
            .into_iter()
            .find(|s| s.meeting == meeting))
    }

    fn save_status_message(&self, st: &StatusMessage) -> Result<()> {
        let ids = serde_json::to_string(&st.remote_ids)
            .map_err(|e| ArchiveError::Corrupt(format!("status message remote ids: {e}")))?;
        let st = st.clone();
        self.run(move |s| async move {
            execute(
                &*s.client().await?,
                "INSERT INTO status_messages (target, meeting_id, remote_ids, text, edits, pinned, finalised, updated_ms)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                 ON CONFLICT (target, meeting_id) DO UPDATE SET remote_ids = $3, text = $4, edits = $5,
                   pinned = $6, finalised = $7, updated_ms = $8",
                &[
                    &st.target,
                    &st.meeting.0,
                    &ids,
                    &st.text,
                    &i64::from(st.edits),
                    &st.pinned,
                    &st.finalised,
                    &Utc::now().timestamp_millis(),
                ],
            )
            .await?;
            Ok(())
        })
    }
}
