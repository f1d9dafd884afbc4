//! The clerk's desk: takes a neutral clerk input from any platform, parses it, checks it against
//! the meeting's state, appends the entry (with its delivery rows) and answers the clerk.
//!
//! Meeting state is a fold over the open meeting's entries, kept in memory and rebuilt from the
//! archive at start, so a restart resumes exactly where the archive says the meeting is.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde_json::json;
use tokio::sync::Mutex;

use crate::archive::{
    Appended, Archive, ArchiveError, DeliveryOp, EntryDraft, MeetingRef, PlannedItem,
};
use crate::command::{self, Command, VERBS};
use crate::domain::{Author, Entry, EntryKind, EntryNo, MeetingId, SourceRef};
use crate::render;

/// One line from a clerk, already authorised by the input it came through.
#[derive(Debug, Clone)]
pub struct ClerkInput {
    pub author: Author,
    pub text: String,
    /// The platform message, for idempotent ingest; `None` for console lines.
    pub source: Option<SourceRef>,
}

/// The desk's answer to one input.
#[derive(Debug, Clone)]
pub enum Reply {
    /// Not a command (no prefix): ignored.
    Ignored,
    /// A new entry was archived and queued for `targets` deliveries.
    Recorded { entry: Entry, deliveries: u32 },
    /// The same platform message was archived before.
    AlreadyRecorded { entry: Entry },
    /// An answer that records nothing (status, help, agenda, consultations).
    Info(String),
    /// The command was refused; the text says why and what is expected.
    Refused(String),
}

impl Reply {
    /// The one-line acknowledgement shown to the clerk.
    pub fn to_clerk(&self) -> Option<String> {
        match self {
            Reply::Ignored => None,
            Reply::Recorded { entry, deliveries } => Some(if entry.confidential {
                format!(
                    "{} recorded (private session: archived, not published) · {}",
                    entry.seq, entry.text
                )
            } else if *deliveries == 0 {
                format!("{} recorded · {}", entry.seq, entry.text)
            } else {
                format!(
                    "{} recorded, delivering to {deliveries} · {}",
                    entry.seq, entry.text
                )
            }),
            Reply::AlreadyRecorded { entry } => Some(format!(
                "{} was already recorded · {}",
                entry.seq, entry.text
            )),
            Reply::Info(s) => Some(s.clone()),
            Reply::Refused(s) => Some(format!("Not recorded: {s}")),
        }
    }
}

/// Delivery health of one target, for `!status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetStatus {
    pub name: String,
    pub queued: u32,
    pub failing: Option<String>,
}

/// Supplies per-target health to `!status` (the outbox implements it).
pub trait HealthSource: Send + Sync {
    fn target_status(&self) -> Vec<TargetStatus>;
}

/// Something that wants to know when new deliveries are queued (the outbox).
pub trait DeliveryWaker: Send + Sync {
    fn wake(&self);
}

/// Signs a meeting's final chain head at `!end` (configured ed25519 key).
pub trait HeadSigner: Send + Sync {
    fn sign_meeting(&self, archive: &Archive, meeting: MeetingId) -> Result<(), String>;
}

#[derive(Debug, Clone)]
pub struct DeskSettings {
    pub prefix: String,
    pub timezone: Tz,
    /// Outbox target names; every published entry gets one delivery row per target.
    pub targets: Vec<String>,
    pub public_url: Option<String>,
}

#[derive(Debug, Clone, Default)]
struct MeetingState {
    meeting: Option<MeetingId>,
    title: String,
    in_recess: bool,
    private: bool,
    current_item: Option<(String, String)>,
    planned: Vec<PlannedItem>,
    /// Index in `planned` of the item `!next` will take.
    next_index: usize,
    last_vote: Option<String>,
    entries: Vec<EntrySummary>,
}

#[derive(Debug, Clone)]
struct EntrySummary {
    seq: EntryNo,
    kind: EntryKind,
    author: (String, String),
    withdrawn: bool,
    confidential: bool,
}

impl MeetingState {
    fn apply(&mut self, e: &Entry) {
        match e.kind {
            EntryKind::Start => {
                self.meeting = Some(e.meeting);
                self.title = e.field_str("title").unwrap_or_default().to_string();
            }
            EntryKind::Agenda => {
                let number = e.field_str("number").unwrap_or_default().to_string();
                let title = e.field_str("title").unwrap_or_default().to_string();
                if let Some(i) = self.planned.iter().position(|p| p.number == number) {
                    self.next_index = i + 1;
                }
                self.current_item = Some((number, title));
            }
            EntryKind::Recess => self.in_recess = true,
            EntryKind::Resume => self.in_recess = false,
            EntryKind::Private => self.private = true,
            EntryKind::Public => self.private = false,
            EntryKind::Vote if !e.confidential => self.last_vote = Some(e.text.clone()),
            EntryKind::Withdrawal => {
                if let Some(s) = e
                    .refers_to
                    .and_then(|n| self.entries.iter_mut().find(|s| s.seq == n))
                {
                    s.withdrawn = true;
                }
            }
            _ => {}
        }
        self.entries.push(EntrySummary {
            seq: e.seq,
            kind: e.kind,
            author: (e.author.platform.clone(), e.author.user_id.clone()),
            withdrawn: false,
            confidential: e.confidential,
        });
    }
}

/// An open consultation, derived from `!consult` entries and their extensions/withdrawals.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ConsultationRecord {
    pub number: u32,
    pub url: String,
    pub title: String,
    pub closes: NaiveDate,
    pub withdrawn: bool,
    pub meeting: MeetingId,
    pub entry: EntryNo,
}

/// Every consultation in the archive, numbered in the order they were announced.
pub fn consultations(archive: &Archive) -> Result<Vec<ConsultationRecord>, ArchiveError> {
    let rows: Vec<(i64, i64)> = archive.with_connection(|c| {
        let mut st = c.prepare(
            "SELECT id, meeting_id FROM entries WHERE kind IN ('consult', 'consult_extend', 'consult_withdraw')
             AND confidential = 0 ORDER BY id",
        )?;
        let r = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        r.collect::<Result<Vec<_>, _>>()
    })?;
    let mut out: Vec<ConsultationRecord> = Vec::new();
    for (id, _) in rows {
        let Some(e) = archive.entry_by_id(id)? else {
            continue;
        };
        let withdrawn_entry = archive
            .entries_after(e.meeting, e.seq.0)?
            .iter()
            .any(|w| w.kind == EntryKind::Withdrawal && w.refers_to == Some(e.seq));
        let n = e
            .fields
            .get("consultation")
            .and_then(|v| v.as_u64())
            .unwrap_or(0) as u32;
        match e.kind {
            EntryKind::Consult => {
                let closes = e
                    .field_str("closes")
                    .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
                if let Some(closes) = closes {
                    out.push(ConsultationRecord {
                        number: out.len() as u32 + 1,
                        url: e.field_str("url").unwrap_or_default().to_string(),
                        title: e.field_str("title").unwrap_or_default().to_string(),
                        closes,
                        withdrawn: withdrawn_entry,
                        meeting: e.meeting,
                        entry: e.seq,
                    });
                }
            }
            EntryKind::ConsultExtend if !withdrawn_entry => {
                let closes = e
                    .field_str("closes")
                    .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
                if let (Some(c), Some(closes)) = (out.iter_mut().find(|c| c.number == n), closes) {
                    c.closes = closes;
                }
            }
            EntryKind::ConsultWithdraw if !withdrawn_entry => {
                if let Some(c) = out.iter_mut().find(|c| c.number == n) {
                    c.withdrawn = true;
                }
            }
            _ => {}
        }
    }
    Ok(out)
}

pub struct Desk {
    archive: Arc<Archive>,
    settings: DeskSettings,
    state: Mutex<MeetingState>,
    waker: Option<Arc<dyn DeliveryWaker>>,
    consultation_waker: Option<Arc<dyn DeliveryWaker>>,
    health: Option<Arc<dyn HealthSource>>,
    signer: Option<Arc<dyn HeadSigner>>,
}

#[derive(Debug, thiserror::Error)]
pub enum DeskError {
    #[error(transparent)]
    Archive(#[from] ArchiveError),
}

impl Desk {
    /// Builds the desk and rebuilds the open meeting's state from the archive.
    pub fn new(archive: Arc<Archive>, settings: DeskSettings) -> Result<Desk, DeskError> {
        let state = Self::load_state(&archive)?;
        Ok(Desk {
            archive,
            settings,
            state: Mutex::new(state),
            waker: None,
            consultation_waker: None,
            health: None,
            signer: None,
        })
    }

    pub fn with_waker(mut self, w: Arc<dyn DeliveryWaker>) -> Self {
        self.waker = Some(w);
        self
    }

    /// Woken when an entry may change a consultation record (announced, extended, withdrawn,
    /// or such an entry struck): the reminder scheduler.
    pub fn with_consultation_waker(mut self, w: Arc<dyn DeliveryWaker>) -> Self {
        self.consultation_waker = Some(w);
        self
    }

    pub fn with_health(mut self, h: Arc<dyn HealthSource>) -> Self {
        self.health = Some(h);
        self
    }

    pub fn with_signer(mut self, s: Arc<dyn HeadSigner>) -> Self {
        self.signer = Some(s);
        self
    }

    pub fn archive(&self) -> &Arc<Archive> {
        &self.archive
    }

    pub fn settings(&self) -> &DeskSettings {
        &self.settings
    }

    fn load_state(archive: &Archive) -> Result<MeetingState, ArchiveError> {
        let mut st = MeetingState::default();
        if let Some(m) = archive.open_meeting()? {
            st.planned = archive.planned_items(m)?;
            for e in archive.entries(m)? {
                st.apply(&e);
            }
        }
        Ok(st)
    }

    fn today(&self, now: DateTime<Utc>) -> NaiveDate {
        now.with_timezone(&self.settings.timezone).date_naive()
    }

    /// Handles one clerk input at the current time.
    pub async fn submit(&self, input: ClerkInput) -> Reply {
        self.submit_at(input, Utc::now()).await
    }

    /// Handles one clerk input as if received at `now`.
    pub async fn submit_at(&self, input: ClerkInput, now: DateTime<Utc>) -> Reply {
        let cmd = match command::parse(&input.text, &self.settings.prefix, self.today(now)) {
            Ok(None) => return Reply::Ignored,
            Ok(Some(c)) => c,
            Err(e) => return Reply::Refused(e.to_string()),
        };
        let mut state = self.state.lock().await;
        match self.handle(&mut state, cmd, &input, now) {
            Ok(r) => r,
            Err(Refusal(s)) => Reply::Refused(s),
        }
    }

    fn handle(
        &self,
        st: &mut MeetingState,
        cmd: Command,
        input: &ClerkInput,
        now: DateTime<Utc>,
    ) -> Result<Reply, Refusal> {
        let tz = self.settings.timezone;
        match &cmd {
            Command::Status => return Ok(Reply::Info(self.status_text(st))),
            Command::Help { topic } => {
                return Ok(Reply::Info(help_text(
                    topic.as_deref(),
                    &self.settings.prefix,
                )));
            }
            Command::ShowAgenda => return Ok(Reply::Info(agenda_text(st))),
            Command::Now => return Ok(Reply::Info(now_text(st))),
            Command::Consultations => return Ok(Reply::Info(self.consultations_text(now)?)),
            _ => {}
        }
        if let Command::Start { title } = &cmd {
            if st.meeting.is_some() {
                return Err(Refusal(format!(
                    "“{}” is still open. Close it with `!end` before starting another meeting.",
                    st.title
                )));
            }
            let (title, scheduled) = match title {
                Some(t) => (t.clone(), None),
                None => match self
                    .archive
                    .next_scheduled(self.today(now))
                    .map_err(internal)?
                {
                    Some(m) => (m.title.clone(), Some(m.id)),
                    None => {
                        return Err(Refusal(
                            "There is no scheduled meeting to start. Give a title: `!start <title>`, or preload one with `gavel schedule agenda.toml`."
                                .into(),
                        ));
                    }
                },
            };
            let draft = self.draft(
                EntryKind::Start,
                json!({"title": title}),
                render::start_text(&title),
                input,
                now,
                None,
                false,
            );
            let planned = match scheduled {
                Some(id) => self.archive.planned_items(id).map_err(internal)?,
                None => Vec::new(),
            };
            let reply = self.append(
                st,
                MeetingRef::New { title, scheduled },
                draft,
                DeliveryOp::Post,
            )?;
            if let Reply::Recorded { .. } = reply {
                st.planned = planned;
            }
            return Ok(reply);
        }
        let Some(meeting) = st.meeting else {
            return Err(Refusal("No meeting is open. Start one with `!start <title>` (or `!start` for the next scheduled meeting).".into()));
        };
        let in_private = st.private;
        let needs_session = matches!(
            cmd,
            Command::Motion(_)
                | Command::Vote(_)
                | Command::Agenda { .. }
                | Command::Next
                | Command::Speaker { .. }
        );
        if st.in_recess && needs_session {
            return Err(Refusal(
                "The meeting is in recess. Use `!resume` first.".into(),
            ));
        }
        let (kind, fields, text, refers_to, confidential) = match cmd {
            Command::Recess { .. } if st.in_recess => {
                return Err(Refusal(
                    "The meeting is already in recess. Use `!resume` to continue.".into(),
                ));
            }
            Command::Resume if !st.in_recess => {
                return Err(Refusal(
                    "The meeting is not in recess, so there is nothing to resume.".into(),
                ));
            }
            Command::Private { .. } if st.private => {
                return Err(Refusal(
                    "The public is already excluded. Use `!public` to readmit them.".into(),
                ));
            }
            Command::Public if !st.private => {
                return Err(Refusal(
                    "The meeting is already public; `!public` follows `!private`.".into(),
                ));
            }
            Command::Next => {
                let Some(item) = st.planned.get(st.next_index).cloned() else {
                    return Err(Refusal(if st.planned.is_empty() {
                        "This meeting has no preloaded agenda. Use `!agenda <number> <title>`."
                            .into()
                    } else {
                        "That was the last item on the preloaded agenda. Use `!agenda <number> <title>` for anything else.".into()
                    }));
                };
                let c = Command::Agenda {
                    number: item.number,
                    title: item.title,
                };
                let (k, f, t) = render::entry_parts(&c, now, tz)
                    .ok_or_else(|| Refusal("internal: no entry for agenda".into()))?;
                (k, f, t, None, in_private)
            }
            Command::Fix { entry, text } => {
                let target = self.amendable(st, meeting, entry)?;
                (
                    EntryKind::Correction,
                    json!({"text": text}),
                    render::correction_text(entry, &text),
                    Some(entry),
                    target.confidential,
                )
            }
            Command::Strike { entry, reason } => {
                let target = self.amendable(st, meeting, entry)?;
                (
                    EntryKind::Withdrawal,
                    json!({"reason": reason}),
                    render::withdrawal_text(entry, reason.as_deref()),
                    Some(entry),
                    target.confidential,
                )
            }
            Command::Undo => {
                let mine = (input.author.platform.clone(), input.author.user_id.clone());
                let last = st
                    .entries
                    .iter()
                    .rev()
                    .find(|s| s.author == mine && !matches!(s.kind, EntryKind::Withdrawal))
                    .cloned();
                let Some(last) = last else {
                    return Err(Refusal("You have no entry in this meeting to undo.".into()));
                };
                if last.withdrawn {
                    return Err(Refusal(format!(
                        "Your last entry {} is already withdrawn.",
                        last.seq
                    )));
                }
                if !last.kind.is_amendable() {
                    return Err(Refusal(format!(
                        "Your last entry {} ({}) cannot be withdrawn; `!undo` withdraws notes, items, motions, votes, links and consultations.",
                        last.seq, last.kind
                    )));
                }
                (
                    EntryKind::Withdrawal,
                    json!({"reason": "undone by the clerk"}),
                    render::withdrawal_text(last.seq, None),
                    Some(last.seq),
                    last.confidential,
                )
            }
            Command::ConsultExtend { .. } | Command::ConsultWithdraw { .. } if in_private => {
                // Recorded now it would be confidential, so residents, reminders and the web
                // page would never see it: the consultation would silently stay as it was.
                return Err(Refusal(crate::tr!(
                    crate::i18n::Lang::En,
                    "consult-change-in-private"
                )));
            }
            Command::ConsultExtend { number, closes } => {
                let c = self.consultation(number, now)?;
                if closes <= c.closes {
                    // Reminders and the web page follow the latest date; a shorter deadline
                    // is far more likely a typo than an extension.
                    return Err(Refusal(crate::tr!(
                        crate::i18n::Lang::En,
                        "consult-extend-not-later",
                        number = number,
                        closes = render::long_date(c.closes)
                    )));
                }
                (
                    EntryKind::ConsultExtend,
                    json!({"consultation": number, "closes": closes.to_string()}),
                    format!(
                        "Consultation extended: {} now closes {}",
                        c.title,
                        render::long_date(closes)
                    ),
                    None,
                    in_private,
                )
            }
            Command::ConsultWithdraw { number } => {
                let c = self.consultation(number, now)?;
                (
                    EntryKind::ConsultWithdraw,
                    json!({"consultation": number}),
                    format!("Consultation withdrawn: {}", c.title),
                    None,
                    in_private,
                )
            }
            other => {
                let (k, f, t) = render::entry_parts(&other, now, tz)
                    .ok_or_else(|| Refusal("That command records nothing.".into()))?;
                let confidential = in_private
                    && !matches!(k, EntryKind::Private | EntryKind::Public | EntryKind::End);
                (k, f, t, None, confidential)
            }
        };
        let op = match kind {
            EntryKind::Correction => DeliveryOp::Edit,
            EntryKind::Withdrawal => DeliveryOp::Delete,
            _ => DeliveryOp::Post,
        };
        let draft = self.draft(kind, fields, text, input, now, refers_to, confidential);
        let reply = self.append(st, MeetingRef::Existing(meeting), draft, op)?;
        if kind == EntryKind::End
            && let Reply::Recorded { .. } = reply
        {
            if let Some(signer) = &self.signer
                && let Err(e) = signer.sign_meeting(&self.archive, meeting)
            {
                tracing::error!(meeting = %meeting, error = %e, "could not sign the meeting's chain head");
            }
            *st = MeetingState::default();
        }
        Ok(reply)
    }

    #[allow(clippy::too_many_arguments)]
    fn draft(
        &self,
        kind: EntryKind,
        fields: serde_json::Value,
        text: String,
        input: &ClerkInput,
        now: DateTime<Utc>,
        refers_to: Option<EntryNo>,
        confidential: bool,
    ) -> EntryDraft {
        EntryDraft {
            kind,
            fields,
            text,
            author: input.author.clone(),
            at: now,
            timezone: self.settings.timezone,
            refers_to,
            confidential,
            source: input.source.clone(),
        }
    }

    fn append(
        &self,
        st: &mut MeetingState,
        meeting: MeetingRef,
        draft: EntryDraft,
        op: DeliveryOp,
    ) -> Result<Reply, Refusal> {
        let deliveries: Vec<(String, DeliveryOp)> = if draft.confidential {
            Vec::new()
        } else {
            self.settings
                .targets
                .iter()
                .map(|t| (t.clone(), op))
                .collect()
        };
        match self
            .archive
            .append(meeting, draft, &deliveries)
            .map_err(internal)?
        {
            Appended::New(entry) => {
                st.apply(&entry);
                if !deliveries.is_empty()
                    && let Some(w) = &self.waker
                {
                    w.wake();
                }
                if matches!(
                    entry.kind,
                    EntryKind::Consult
                        | EntryKind::ConsultExtend
                        | EntryKind::ConsultWithdraw
                        | EntryKind::Withdrawal
                ) && let Some(w) = &self.consultation_waker
                {
                    w.wake();
                }
                Ok(Reply::Recorded {
                    entry,
                    deliveries: deliveries.len() as u32,
                })
            }
            Appended::Duplicate(entry) => Ok(Reply::AlreadyRecorded { entry }),
        }
    }

    fn amendable(
        &self,
        st: &MeetingState,
        meeting: MeetingId,
        n: EntryNo,
    ) -> Result<EntrySummary, Refusal> {
        let Some(s) = st.entries.iter().find(|s| s.seq == n).cloned() else {
            let last = st.entries.last().map(|s| s.seq.0).unwrap_or(0);
            return Err(Refusal(format!(
                "There is no entry {n} in this meeting (meeting {meeting} has entries #1 to #{last})."
            )));
        };
        if s.withdrawn {
            return Err(Refusal(format!("Entry {n} has been withdrawn already.")));
        }
        if !s.kind.is_amendable() {
            return Err(Refusal(format!(
                "Entry {n} is a {} entry, which cannot be corrected or withdrawn; only notes, items, motions, votes, links, speakers, webcasts and consultations can.",
                s.kind
            )));
        }
        Ok(s)
    }

    fn consultation(&self, number: u32, now: DateTime<Utc>) -> Result<ConsultationRecord, Refusal> {
        let all = consultations(&self.archive).map_err(internal)?;
        match all.into_iter().find(|c| c.number == number) {
            Some(c) if c.withdrawn => {
                Err(Refusal(format!("Consultation C{number} was withdrawn.")))
            }
            Some(c) if c.closes < self.today(now) => Err(Refusal(format!(
                "Consultation C{number} closed on {}.",
                render::long_date(c.closes)
            ))),
            Some(c) => Ok(c),
            None => Err(Refusal(format!(
                "There is no consultation C{number}; `!consultations` lists them."
            ))),
        }
    }

    fn consultations_text(&self, now: DateTime<Utc>) -> Result<String, Refusal> {
        let today = self.today(now);
        let open: Vec<ConsultationRecord> = consultations(&self.archive)
            .map_err(internal)?
            .into_iter()
            .filter(|c| !c.withdrawn && c.closes >= today)
            .collect();
        if open.is_empty() {
            return Ok("No consultations are open.".into());
        }
        let lines: Vec<String> = open
            .iter()
            .map(|c| {
                format!(
                    "C{} {} — {} (closes {})",
                    c.number,
                    c.title,
                    c.url,
                    render::long_date(c.closes)
                )
            })
            .collect();
        Ok(format!("Open consultations:\n{}", lines.join("\n")))
    }

    fn status_text(&self, st: &MeetingState) -> String {
        let mut lines = Vec::new();
        match st.meeting {
            None => lines.push("No meeting is open.".to_string()),
            Some(m) => {
                let mut s = format!("Meeting {m} “{}” is open", st.title);
                if st.in_recess {
                    s.push_str(", in recess");
                }
                if st.private {
                    s.push_str(", public excluded (nothing is being published)");
                }
                s.push('.');
                lines.push(s);
                if let Some((n, t)) = &st.current_item {
                    lines.push(format!("Current item: {n} {t}."));
                }
                lines.push(format!("Entries: {}.", st.entries.len()));
            }
        }
        match &self.health {
            Some(h) => {
                let targets = h.target_status();
                if targets.is_empty() {
                    lines.push("No delivery targets are configured.".into());
                }
                for t in targets {
                    lines.push(match t.failing {
                        Some(err) => format!(
                            "{}: FAILING ({err}); {} queued, nothing lost.",
                            t.name, t.queued
                        ),
                        None if t.queued > 0 => format!("{}: ok, {} queued.", t.name, t.queued),
                        None => format!("{}: ok, up to date.", t.name),
                    });
                }
            }
            None => lines.push("No delivery targets are configured.".into()),
        }
        lines.join("\n")
    }
}

/// A refusal for the clerk. Internal errors become a refusal that says nothing was recorded.
struct Refusal(String);

fn internal(e: ArchiveError) -> Refusal {
    tracing::error!(error = %e, "archive error while handling a command");
    Refusal(format!(
        "the archive could not record this ({e}). Nothing was recorded; try again."
    ))
}

fn help_text(topic: Option<&str>, prefix: &str) -> String {
    let fix = |s: &str| s.replace('!', prefix);
    match topic {
        Some(t) => match command::verb_help(t) {
            Some(h) => fix(&format!("{} — {}", h.usage, h.about)),
            None => format!(
                "There is no command `{t}`. {}",
                fix("!help lists them all.")
            ),
        },
        None => {
            let verbs: Vec<String> = VERBS
                .iter()
                .map(|h| format!("{prefix}{}", h.verb))
                .collect();
            format!(
                "Commands: {}. {}",
                verbs.join(" "),
                fix("!help <command> for one in detail.")
            )
        }
    }
}

fn agenda_text(st: &MeetingState) -> String {
    if st.meeting.is_none() {
        return "No meeting is open.".into();
    }
    let mut lines = vec![format!("Agenda of “{}”:", st.title)];
    if st.planned.is_empty() {
        match &st.current_item {
            Some((n, t)) => lines.push(format!("Current item: {n} {t}")),
            None => lines.push("No agenda items yet.".into()),
        }
    } else {
        for (i, p) in st.planned.iter().enumerate() {
            let mark = match &st.current_item {
                Some((n, _)) if *n == p.number => "▶ ",
                _ if i < st.next_index => "✓ ",
                _ => "  ",
            };
            lines.push(format!("{mark}{} {}", p.number, p.title));
        }
    }
    lines.join("\n")
}

fn now_text(st: &MeetingState) -> String {
    let Some(_) = st.meeting else {
        return "No meeting is running.".into();
    };
    let mut s = format!("Now: “{}”", st.title);
    if let Some((n, t)) = &st.current_item {
        s.push_str(&format!(", item {n}: {t}"));
    }
    if st.in_recess {
        s.push_str(" (in recess)");
    }
    if st.private {
        s.push_str(" (public excluded)");
    }
    if let Some(v) = &st.last_vote {
        s.push_str(&format!(". Last vote: {v}"));
    }
    s.push('.');
    s
}

#[cfg(test)]
mod tests;
