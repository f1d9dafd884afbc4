//! The transcript view every export renders from: one meeting's entries folded into what a
//! reader should see, built once per export.
//!
//! - A correction is folded into the entry it corrects; the entry keeps its number and time,
//!   shows the latest corrected text and keeps every earlier version with its time.
//! - A withdrawal marks the entry it withdraws; the entry stays, marked, with the reason.
//! - Entries archived during a private session are never copied into the view's lines: the
//!   entry that excluded the public carries only how many were withheld.

use chrono::{DateTime, SecondsFormat, Utc};
use chrono_tz::Tz;

use crate::archive::{Archive, ChainReport, MeetingRecord, PlannedItem};
use crate::command::Vote;
use crate::domain::{Entry, EntryKind, EntryNo, MeetingId, Payload};
use crate::i18n::Language;
use crate::render::weekday_date;
use crate::signing::{self, CheckpointStatus};
use crate::tr;

use super::ExportError;

/// A later entry that amends a line: a correction (with its new text) or a withdrawal (with
/// its reason, if one was given).
#[derive(Debug, Clone, PartialEq)]
pub struct Amendment {
    pub seq: EntryNo,
    pub at: DateTime<Utc>,
    pub timezone: Tz,
    pub text: Option<String>,
    /// Show the UTC offset with the time (the meeting spans an offset change).
    pub show_offset: bool,
}

impl Amendment {
    pub fn hhmm(&self) -> String {
        clock(self.at, self.timezone, self.show_offset)
    }
}

/// `19:04`, or `01:30 +01:00` when `show_offset` (a meeting across a clock change, where a
/// bare local time would be ambiguous).
pub fn clock(at: DateTime<Utc>, tz: Tz, show_offset: bool) -> String {
    let local = at.with_timezone(&tz);
    if show_offset {
        local.format("%H:%M %:z").to_string()
    } else {
        local.format("%H:%M").to_string()
    }
}

/// One published entry as readers see it.
#[derive(Debug, Clone)]
pub struct Line {
    pub entry: Entry,
    /// Corrections in the order they were made; the last one's text is shown.
    pub corrections: Vec<Amendment>,
    pub withdrawal: Option<Amendment>,
    /// Private-session entries withheld after this one (set on the `!private` entry).
    pub withheld: u32,
    /// Index in [`Transcript::lines`] of the agenda item this entry falls under.
    pub item: Option<usize>,
    /// Who had the floor when this entry was made.
    pub speaker: Option<String>,
    /// Show the UTC offset with the time (the meeting spans an offset change).
    pub show_offset: bool,
}

impl Line {
    /// The text to show: the latest correction, or the entry's own text.
    pub fn text(&self) -> &str {
        self.corrections
            .last()
            .and_then(|c| c.text.as_deref())
            .unwrap_or(&self.entry.text)
    }

    pub fn is_corrected(&self) -> bool {
        !self.corrections.is_empty()
    }

    pub fn is_withdrawn(&self) -> bool {
        self.withdrawal.is_some()
    }

    pub fn seq(&self) -> EntryNo {
        self.entry.seq
    }

    pub fn hhmm(&self) -> String {
        clock(self.entry.at, self.entry.timezone, self.show_offset)
    }

    pub fn local_rfc3339(&self) -> String {
        local_rfc3339(self.entry.at, self.entry.timezone)
    }

    /// `(corrected 19:10; originally: …)`, for entries that were corrected.
    pub fn correction_note(&self, language: Language) -> Option<String> {
        let last = self.corrections.last()?;
        let time = last.hhmm();
        Some(language.each(" ", |l| {
            tr!(
                l,
                "export-corrected",
                time = &time,
                original = &self.entry.text
            )
        }))
    }

    /// `[withdrawn: reason]`, for withdrawn entries.
    pub fn withdrawal_note(&self, language: Language) -> Option<String> {
        let w = self.withdrawal.as_ref()?;
        let time = w.hhmm();
        Some(
            language.each(" ", |l| match w.text.as_deref().filter(|r| !r.is_empty()) {
                Some(r) => tr!(l, "export-withdrawn-reason", time = &time, reason = r),
                None => tr!(l, "export-withdrawn", time = &time),
            }),
        )
    }

    /// `Private session: 3 entries withheld`, on the entry that excluded the public.
    pub fn withheld_note(&self, language: Language) -> Option<String> {
        match self.withheld {
            0 => None,
            n => Some(language.each(" / ", |l| tr!(l, "export-withheld", count = n))),
        }
    }

    /// For agenda items: `5 Planning application` (or the corrected text).
    pub fn item_title(&self) -> String {
        if self.is_corrected() {
            return self.text().to_string();
        }
        match &self.entry.payload {
            Payload::Agenda(a) => format!("{} {}", a.number, a.title).trim().to_string(),
            _ => String::new(),
        }
    }
}

/// The webcast mark: the first `!webcast` entry that was not withdrawn.
#[derive(Debug, Clone, PartialEq)]
pub struct WebcastMark {
    pub seq: EntryNo,
    pub at: DateTime<Utc>,
    pub url: String,
}

/// A vote with the motion it decided (the last undecided motion under the same item).
#[derive(Debug, Clone)]
pub struct VoteRecord {
    /// Index in [`Transcript::lines`] of the vote.
    pub line: usize,
    /// Index in [`Transcript::lines`] of the motion, if there was one.
    pub motion: Option<usize>,
    pub vote: Vote,
}

/// A meeting folded for export. See the module documentation.
#[derive(Debug, Clone)]
pub struct Transcript {
    pub meeting: MeetingRecord,
    /// The council's zone for the meeting (from the meeting record).
    pub timezone: Tz,
    /// The zone's UTC offset changed during the meeting (a clock change), so local times are
    /// shown with their offsets.
    pub mixed_offsets: bool,
    /// Every entry as archived, confidential ones included: only the JSON export's hash list
    /// reads these, and it copies nothing but numbers and hashes from confidential ones.
    pub entries: Vec<Entry>,
    /// Published entries, folded, in order.
    pub lines: Vec<Line>,
    pub chain: ChainReport,
    pub checkpoint: Option<CheckpointStatus>,
    pub webcast: Option<WebcastMark>,
    /// The meeting's preloaded agenda (imported or from an agenda file), which agenda items
    /// are joined to by number for their ids in the council's own system and documents.
    pub planned: Vec<PlannedItem>,
}

/// RFC 3339 with the zone's offset at that instant, to the second.
pub fn local_rfc3339(at: DateTime<Utc>, tz: Tz) -> String {
    at.with_timezone(&tz)
        .to_rfc3339_opts(SecondsFormat::Secs, false)
}

/// RFC 3339 in UTC with milliseconds, as the archive stores times.
pub fn utc_rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

impl Transcript {
    /// Reads, verifies and folds one meeting.
    pub fn load(archive: &Archive, meeting: MeetingId) -> Result<Transcript, ExportError> {
        let record = archive
            .meeting(meeting)?
            .ok_or(ExportError::NoSuchMeeting(meeting))?;
        let entries = archive.entries(meeting)?;
        let chain = archive.verify_loaded(meeting, &entries)?;
        let checkpoint = signing::verify_checkpoint_against(archive, meeting, &chain)?;
        let mut t = Transcript::fold(record, entries, chain, checkpoint);
        t.planned = archive.planned_items(meeting)?;
        Ok(t)
    }

    /// Folds entries into lines (pure: no archive access).
    pub fn fold(
        meeting: MeetingRecord,
        entries: Vec<Entry>,
        chain: ChainReport,
        checkpoint: Option<CheckpointStatus>,
    ) -> Transcript {
        let timezone = meeting
            .timezone
            .parse::<Tz>()
            .ok()
            .or_else(|| entries.first().map(|e| e.timezone))
            .unwrap_or(Tz::UTC);
        let mut lines: Vec<Line> = Vec::new();
        for e in &entries {
            if e.confidential {
                continue;
            }
            let amendment = Amendment {
                seq: e.seq,
                at: e.at,
                timezone: e.timezone,
                text: None,
                show_offset: false,
            };
            let target = e
                .refers_to
                .and_then(|n| lines.iter().position(|l| l.entry.seq == n));
            match (&e.payload, target) {
                (Payload::Correction(c), Some(i)) => {
                    lines[i].corrections.push(Amendment {
                        text: Some(c.text.clone()),
                        ..amendment
                    });
                    continue;
                }
                (Payload::Withdrawal(w), Some(i)) => {
                    lines[i].withdrawal = Some(Amendment {
                        text: w.reason.clone(),
                        ..amendment
                    });
                    continue;
                }
                _ => {}
            }
            lines.push(Line {
                entry: e.clone(),
                corrections: Vec::new(),
                withdrawal: None,
                withheld: 0,
                item: None,
                speaker: None,
                show_offset: false,
            });
        }
        count_withheld(&entries, &mut lines);
        let mixed_offsets = spans_offset_change(&entries);
        if mixed_offsets {
            for l in &mut lines {
                l.show_offset = true;
                for c in &mut l.corrections {
                    c.show_offset = true;
                }
                if let Some(w) = &mut l.withdrawal {
                    w.show_offset = true;
                }
            }
        }
        let mut item = None;
        let mut speaker: Option<String> = None;
        for (i, l) in lines.iter_mut().enumerate() {
            match &l.entry.payload {
                Payload::Agenda(_) => {
                    item = Some(i);
                    speaker = None;
                }
                Payload::Speaker(s) if l.withdrawal.is_none() => {
                    let name = if l.corrections.is_empty() {
                        s.name.clone()
                    } else {
                        let t = l.text();
                        t.strip_prefix("Speaking:").unwrap_or(t).trim().to_string()
                    };
                    speaker = (!name.is_empty()).then_some(name);
                }
                Payload::Private(_) | Payload::Recess(_) | Payload::End => speaker = None,
                _ => {}
            }
            l.item = item;
            l.speaker = speaker.clone();
        }
        let webcast = lines.iter().find_map(|l| match &l.entry.payload {
            Payload::Webcast(w) if !l.is_withdrawn() => Some(WebcastMark {
                seq: l.entry.seq,
                at: l.entry.at,
                url: w.url.clone(),
            }),
            _ => None,
        });
        Transcript {
            meeting,
            timezone,
            mixed_offsets,
            entries,
            lines,
            chain,
            checkpoint,
            webcast,
            planned: Vec::new(),
        }
    }

    pub fn id(&self) -> MeetingId {
        self.meeting.id
    }

    pub fn title(&self) -> &str {
        &self.meeting.title
    }

    /// When the meeting started (its first entry), or when it was created.
    pub fn started_at(&self) -> DateTime<Utc> {
        self.meeting
            .started_at
            .or_else(|| self.entries.first().map(|e| e.at))
            .unwrap_or(self.meeting.created_at)
    }

    /// `Wednesday 25 November 2026`, in the council's zone and language(s).
    pub fn local_date(&self, language: Language) -> String {
        let d = self.started_at().with_timezone(&self.timezone).date_naive();
        language.each(" / ", |l| weekday_date(d, l))
    }

    /// `18:00–21:15` (or `18:00–` while the meeting is open), in the council's zone.
    pub fn local_span(&self, language: Language) -> String {
        let start = clock(self.started_at(), self.timezone, self.mixed_offsets);
        match self.meeting.ended_at {
            Some(end) => format!("{start}–{}", clock(end, self.timezone, self.mixed_offsets)),
            None => format!(
                "{start}– {}",
                language.each(" / ", |l| tr!(l, "export-not-closed"))
            ),
        }
    }

    /// A sentence saying which clock the times are on.
    pub fn zone_note(&self, language: Language) -> String {
        let zone = self.timezone.name();
        let offset = self
            .started_at()
            .with_timezone(&self.timezone)
            .format("%:z")
            .to_string();
        language.each(" ", |l| {
            if self.mixed_offsets {
                tr!(l, "export-zone-mixed", zone = zone)
            } else {
                tr!(l, "export-zone", zone = zone, offset = &offset)
            }
        })
    }

    /// Indices of the agenda item lines, in order.
    /// The preloaded item an agenda line records (the same number), if the meeting had an
    /// agenda: where its ModernGov id, exempt flag and documents come from.
    pub fn planned_for(&self, line: usize) -> Option<&PlannedItem> {
        match &self.lines.get(line)?.entry.payload {
            Payload::Agenda(a) => self.planned.iter().find(|p| p.number == a.number),
            _ => None,
        }
    }

    pub fn items(&self) -> Vec<usize> {
        self.lines
            .iter()
            .enumerate()
            .filter(|(_, l)| l.entry.kind() == EntryKind::Agenda)
            .map(|(i, _)| i)
            .collect()
    }

    /// Votes that stand (not withdrawn), each with the motion it decided.
    pub fn votes(&self) -> Vec<VoteRecord> {
        let mut out = Vec::new();
        let mut open_motion: Option<usize> = None;
        for (i, l) in self.lines.iter().enumerate() {
            if l.is_withdrawn() {
                continue;
            }
            match &l.entry.payload {
                Payload::Agenda(_) => open_motion = None,
                Payload::Motion(_) => open_motion = Some(i),
                Payload::Vote(vote) => {
                    out.push(VoteRecord {
                        line: i,
                        motion: open_motion.take(),
                        vote: vote.clone(),
                    });
                }
                _ => {}
            }
        }
        out
    }

    /// Seconds from the webcast mark to `at` (negative before it).
    pub fn webcast_offset_ms(&self, at: DateTime<Utc>) -> Option<i64> {
        self.webcast
            .as_ref()
            .map(|w| (at - w.at).num_milliseconds())
    }

    /// A one-line statement of the chain check and checkpoint, for human-readable footers.
    pub fn integrity_summary(&self, language: Language) -> Vec<String> {
        let chain = language.each(" ", |l| match &self.chain.problem {
            None => tr!(
                l,
                "export-chain-verified",
                entries = self.chain.entries,
                head = self.chain.head.to_string()
            ),
            Some(p) => match p.entry {
                Some(n) => tr!(
                    l,
                    "export-chain-broken-at",
                    entry = n.to_string(),
                    detail = p.detail.to_string()
                ),
                None => tr!(l, "export-chain-broken", detail = p.detail.to_string()),
            },
        });
        let checkpoint = language.each(" ", |l| match &self.checkpoint {
            None => tr!(l, "export-no-checkpoint"),
            Some(c) if c.is_valid() => tr!(
                l,
                "export-checkpoint-valid",
                key = c.fingerprint.to_string(),
                signed = local_rfc3339(c.checkpoint.signed_at, self.timezone)
            ),
            Some(c) => match c.problem.as_deref() {
                Some(problem) => tr!(l, "export-checkpoint-invalid", problem = problem),
                None => tr!(l, "export-checkpoint-invalid-unknown"),
            },
        });
        vec![chain, checkpoint]
    }
}

/// Whether the entries' local UTC offsets differ (the meeting spans a clock change).
fn spans_offset_change(entries: &[Entry]) -> bool {
    use chrono::Offset;
    let mut offsets = entries
        .iter()
        .map(|e| e.at.with_timezone(&e.timezone).offset().fix());
    match offsets.next() {
        Some(first) => offsets.any(|o| o != first),
        None => false,
    }
}

/// Gives each private entry the number of confidential entries archived in its session (and
/// of later confidential amendments to them).
fn count_withheld(entries: &[Entry], lines: &mut [Line]) {
    let mut current: Option<usize> = None;
    let mut withheld_at: std::collections::HashMap<EntryNo, usize> = Default::default();
    for e in entries {
        if e.confidential {
            // A confidential correction or withdrawal made after the session counts with the
            // session that holds the entry it amends.
            let at = e
                .refers_to
                .and_then(|n| withheld_at.get(&n).copied())
                .or(current);
            if let Some(i) = at {
                lines[i].withheld += 1;
                withheld_at.insert(e.seq, i);
            }
            continue;
        }
        if let Some(i) = lines.iter().position(|l| l.entry.seq == e.seq) {
            current = Some(i);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Author;
    use chrono::TimeZone;
    use serde_json::json;

    fn entry(seq: u32, kind: EntryKind, fields: serde_json::Value, text: &str) -> Entry {
        Entry {
            id: seq as i64,
            meeting: MeetingId(1),
            seq: EntryNo(seq),
            payload: Payload::from_json(kind, fields)
                .unwrap_or_else(|_| Payload::sample(kind, text)),
            text: text.into(),
            author: Author::new("console", "clerk", "Clerk"),
            at: Utc.with_ymd_and_hms(2026, 11, 25, 18, seq, 0).unwrap(),
            timezone: chrono_tz::Europe::London,
            refers_to: None,
            confidential: false,
            source: None,
            prev_hash: String::new(),
            hash: String::new(),
        }
    }

    fn fold(entries: Vec<Entry>) -> Transcript {
        let meeting = MeetingRecord {
            id: MeetingId(1),
            title: "Full Council".into(),
            timezone: "Europe/London".into(),
            scheduled_for: None,
            created_at: entries[0].at,
            started_at: Some(entries[0].at),
            ended_at: None,
            entry_count: entries.len() as u32,
            starts_at: None,
            source: None,
        };
        let chain = ChainReport {
            meeting: MeetingId(1),
            entries: entries.len() as u32,
            head: "h".into(),
            problem: None,
        };
        Transcript::fold(meeting, entries, chain, None)
    }

    #[test]
    fn a_correction_is_folded_into_its_original_keeping_both_texts() {
        let mut fix = entry(
            3,
            EntryKind::Correction,
            json!({"text": "Cllr Smyth"}),
            "Correction to #2: Cllr Smyth",
        );
        fix.refers_to = Some(EntryNo(2));
        let t = fold(vec![
            entry(
                1,
                EntryKind::Start,
                json!({"title": "Full Council"}),
                "Meeting started",
            ),
            entry(
                2,
                EntryKind::Note,
                json!({"text": "Cllr Smith"}),
                "Cllr Smith",
            ),
            fix,
        ]);
        assert_eq!(t.lines.len(), 2);
        assert_eq!(t.lines[1].text(), "Cllr Smyth");
        assert_eq!(
            t.lines[1].correction_note(Language::En).unwrap(),
            "(corrected 18:03; originally: Cllr Smith)"
        );
    }

    #[test]
    fn confidential_entries_leave_only_a_count_on_the_private_entry() {
        let mut secret = entry(3, EntryKind::Note, json!({"text": "secret"}), "secret");
        secret.confidential = true;
        let mut secret2 = secret.clone();
        secret2.seq = EntryNo(4);
        let t = fold(vec![
            entry(1, EntryKind::Start, json!({}), "Meeting started"),
            entry(2, EntryKind::Private, json!({}), "Public excluded"),
            secret,
            secret2,
            entry(5, EntryKind::Public, json!({}), "Public readmitted"),
        ]);
        assert_eq!(t.lines.len(), 3);
        assert_eq!(
            t.lines[1].withheld_note(Language::En).unwrap(),
            "Private session: 2 entries withheld"
        );
        assert!(t.lines.iter().all(|l| !l.text().contains("secret")));
    }

    #[test]
    fn a_confidential_amendment_after_the_session_counts_with_that_session() {
        let mut secret = entry(3, EntryKind::Note, json!({"text": "secret"}), "secret");
        secret.confidential = true;
        let mut fix = entry(
            6,
            EntryKind::Correction,
            json!({"text": "secret 2"}),
            "Correction",
        );
        fix.confidential = true;
        fix.refers_to = Some(EntryNo(3));
        let t = fold(vec![
            entry(1, EntryKind::Start, json!({}), "Meeting started"),
            entry(2, EntryKind::Private, json!({}), "Public excluded"),
            secret,
            entry(4, EntryKind::Public, json!({}), "Public readmitted"),
            entry(5, EntryKind::Note, json!({"text": "later"}), "later"),
            fix,
        ]);
        assert_eq!(t.lines[1].withheld, 2);
        assert_eq!(t.lines[3].withheld, 0);
    }

    #[test]
    fn times_show_their_offset_only_when_the_meeting_spans_a_clock_change() {
        let plain = fold(vec![entry(
            1,
            EntryKind::Start,
            json!({}),
            "Meeting started",
        )]);
        assert_eq!(plain.lines[0].hhmm(), "18:01");
        assert!(plain.zone_note(Language::En).contains("(UTC+00:00)"));
        let mut summer = entry(1, EntryKind::Start, json!({}), "Meeting started");
        summer.at = Utc.with_ymd_and_hms(2026, 10, 25, 0, 30, 0).unwrap();
        let mut winter = entry(2, EntryKind::Note, json!({}), "n");
        winter.at = Utc.with_ymd_and_hms(2026, 10, 25, 1, 30, 0).unwrap();
        let t = fold(vec![summer, winter]);
        assert!(t.mixed_offsets);
        assert_eq!(t.lines[0].hhmm(), "01:30 +01:00");
        assert_eq!(t.lines[1].hhmm(), "01:30 +00:00");
    }

    #[test]
    fn a_vote_is_paired_with_the_last_motion_under_the_same_item() {
        let vote = json!({"counts": null, "outcome": "carried", "casting": null, "roll": null});
        let t = fold(vec![
            entry(1, EntryKind::Start, json!({}), "Meeting started"),
            entry(
                2,
                EntryKind::Agenda,
                json!({"number": "1", "title": "A"}),
                "Item 1: A",
            ),
            entry(3, EntryKind::Motion, json!({"text": "m"}), "Motion: m"),
            entry(
                4,
                EntryKind::Agenda,
                json!({"number": "2", "title": "B"}),
                "Item 2: B",
            ),
            entry(5, EntryKind::Vote, vote.clone(), "Vote: carried"),
            entry(6, EntryKind::Motion, json!({"text": "n"}), "Motion: n"),
            entry(7, EntryKind::Vote, vote, "Vote: carried"),
        ]);
        let votes = t.votes();
        assert_eq!(votes.len(), 2);
        assert_eq!(votes[0].motion, None);
        assert_eq!(votes[1].motion, Some(5));
    }
}
