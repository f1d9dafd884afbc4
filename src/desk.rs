//! The clerk's desk: takes a neutral clerk input from any platform, parses it, checks it against
//! the meeting's state, appends the entry (with its delivery rows) and answers the clerk.
//!
//! Meeting state is a fold over the open meeting's entries, kept in memory and rebuilt from the
//! archive at start, so a restart resumes exactly where the archive says the meeting is.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use tokio::sync::Mutex;

use crate::archive::{
    Appended, Archive, ArchiveError, DeliveryOp, EntryDraft, MeetingRef, PlannedItem,
};
use crate::command::{self, Command, VERBS};
use crate::consultations::{ConsultationRecord, consultations};
use crate::domain::payload;
use crate::domain::{Author, Entry, EntryKind, EntryNo, MeetingId, Payload, SourceRef};
use crate::i18n::{Lang, Language};
use crate::outbox::{DeliveryWaker, HealthSource};
use crate::residents::Question;
use crate::{render, tr};

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
    /// The acknowledgement shown to the clerk, in the council's `language` (`en+cy`: both
    /// phrases, then the entry's text once, which already holds both).
    pub fn to_clerk(&self, language: Language) -> Option<String> {
        let ack = |entry: &Entry, f: &dyn Fn(Lang, String) -> String| {
            let seq = entry.seq.to_string();
            format!(
                "{} · {}",
                language.each(" / ", |l| f(l, seq.clone())),
                entry.text
            )
        };
        match self {
            Reply::Ignored => None,
            Reply::Recorded { entry, deliveries } => Some(if entry.confidential {
                ack(entry, &|l, seq| tr!(l, "ack-recorded-private", entry = seq))
            } else if *deliveries == 0 {
                ack(entry, &|l, seq| tr!(l, "ack-recorded", entry = seq))
            } else {
                ack(entry, &|l, seq| {
                    tr!(
                        l,
                        "ack-recorded-delivering",
                        entry = seq,
                        deliveries = *deliveries
                    )
                })
            }),
            Reply::AlreadyRecorded { entry } => Some(ack(entry, &|l, seq| {
                tr!(l, "ack-already-recorded", entry = seq)
            })),
            Reply::Info(s) => Some(s.clone()),
            Reply::Refused(s) => Some(format!(
                "{}: {s}",
                language.each(" / ", |l| tr!(l, "not-recorded"))
            )),
        }
    }
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
    /// What the council publishes in: entry texts and the clerk's replies follow it.
    pub language: Language,
}

#[derive(Debug, Clone, Default)]
struct MeetingState {
    meeting: Option<MeetingId>,
    title: String,
    in_recess: bool,
    private: bool,
    current_item: Option<(String, String)>,
    /// The entry that set `current_item`, so the public view can tell an exempt or withdrawn
    /// item from a public one.
    item_seq: Option<EntryNo>,
    planned: Vec<PlannedItem>,
    /// Index in `planned` of the item `!next` will take.
    next_index: usize,
    /// `current_item` and `next_index` as the public saw them: items taken up in a private
    /// session are exempt business, so residents' answers never show them.
    public_item: Option<(String, String)>,
    public_next_index: usize,
    /// The last public vote, re-rendered in each language it is shown in.
    last_vote: Option<command::Vote>,
    /// The entry `last_vote` came from (a withdrawn vote is no longer shown in public).
    last_vote_seq: Option<EntryNo>,
    /// `!end` was recorded (only folds over a whole archived meeting see this).
    ended: bool,
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
        match &e.payload {
            Payload::Start(p) => {
                self.meeting = Some(e.meeting);
                self.title = p.title.clone();
            }
            Payload::Agenda(p) => {
                let (number, title) = (p.number.clone(), p.title.clone());
                if let Some(i) = self.planned.iter().position(|p| p.number == number) {
                    self.next_index = i + 1;
                }
                if !e.confidential {
                    self.public_item = Some((number.clone(), title.clone()));
                    self.public_next_index = self.next_index;
                }
                self.current_item = Some((number, title));
                self.item_seq = Some(e.seq);
            }
            Payload::Recess(_) => self.in_recess = true,
            Payload::Resume => self.in_recess = false,
            Payload::Private(_) => self.private = true,
            Payload::Public => self.private = false,
            Payload::Vote(v) if !e.confidential => {
                self.last_vote = Some(v.clone());
                self.last_vote_seq = Some(e.seq);
            }
            Payload::End => self.ended = true,
            Payload::Withdrawal(_) => {
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
            kind: e.kind(),
            author: (e.author.platform.clone(), e.author.user_id.clone()),
            withdrawn: false,
            confidential: e.confidential,
        });
    }

    /// The meeting as residents may know it: the last item announced in public, no entries.
    fn public_view(&self) -> MeetingState {
        MeetingState {
            meeting: self.meeting,
            title: self.title.clone(),
            in_recess: self.in_recess,
            private: self.private,
            current_item: self.public_item.clone(),
            planned: self.planned.clone(),
            next_index: self.public_next_index,
            last_vote: self.last_vote.clone(),
            ..MeetingState::default()
        }
    }
}

/// What residents may be shown of a meeting's state: the desk's own fold, minus anything
/// exempt (an item taken in private session) or withdrawn. The pinned status reads this.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicState {
    pub meeting: MeetingId,
    pub title: String,
    /// Number and title of the current item, when it was taken in public and stands.
    pub item: Option<(String, String)>,
    /// The latest public vote that stands.
    pub last_vote: Option<command::Vote>,
    pub in_recess: bool,
    pub private: bool,
    pub ended: bool,
}

impl MeetingState {
    fn stands_in_public(&self, seq: Option<EntryNo>) -> bool {
        seq.and_then(|n| self.entries.iter().find(|s| s.seq == n))
            .is_some_and(|s| !s.confidential && !s.withdrawn)
    }

    fn public(&self) -> Option<PublicState> {
        Some(PublicState {
            meeting: self.meeting?,
            title: self.title.clone(),
            item: self
                .current_item
                .clone()
                .filter(|_| self.stands_in_public(self.item_seq)),
            last_vote: self
                .last_vote
                .clone()
                .filter(|_| self.stands_in_public(self.last_vote_seq)),
            in_recess: self.in_recess,
            private: self.private,
            ended: self.ended,
        })
    }
}

/// The public state of `meeting`, folded from its archived entries exactly as the desk folds
/// them; `None` when the meeting has no entries.
pub fn public_state(
    archive: &Archive,
    meeting: MeetingId,
) -> Result<Option<PublicState>, ArchiveError> {
    let mut st = MeetingState::default();
    for e in archive.entries(meeting)? {
        st.apply(&e);
    }
    Ok(st.public())
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

    /// A resident's `!now`, `!agenda` or `!consultations`, answered from public business only
    /// (the same texts clerks get, without anything from a private session). `None` if the
    /// archive cannot be read; the error is logged.
    pub async fn public_answer(&self, question: Question, now: DateTime<Utc>) -> Option<String> {
        let view = self.state.lock().await.public_view();
        match question {
            Question::Now => Some(self.say(|l| now_text(&view, l))),
            Question::Agenda => Some(self.say(|l| agenda_text(&view, l))),
            Question::Consultations => self.consultations_text(now).ok(),
        }
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
            Err(e) => return Reply::Refused(self.say(|l| e.message(l))),
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
            Command::Status => return Ok(Reply::Info(self.say(|l| self.status_text(st, l)))),
            Command::Help { topic } => {
                let prefix = &self.settings.prefix;
                return Ok(Reply::Info(
                    self.say(|l| help_text(topic.as_deref(), prefix, l)),
                ));
            }
            Command::ShowAgenda => return Ok(Reply::Info(self.say(|l| agenda_text(st, l)))),
            Command::Now => return Ok(Reply::Info(self.say(|l| now_text(st, l)))),
            Command::Consultations => return Ok(Reply::Info(self.consultations_text(now)?)),
            _ => {}
        }
        if let Command::Start { title } = &cmd {
            if st.meeting.is_some() {
                return Err(self.refuse(|l| tr!(l, "refuse-still-open", title = &st.title)));
            }
            let (title, scheduled) = match title {
                Some(t) => (t.clone(), None),
                None => match self
                    .archive
                    .next_scheduled(self.today(now))
                    .map_err(|e| self.internal(e))?
                {
                    Some(m) => (m.title.clone(), Some(m.id)),
                    None => {
                        return Err(self.refuse(|l| tr!(l, "refuse-nothing-scheduled")));
                    }
                },
            };
            let draft = self.draft(
                Payload::Start(payload::Start {
                    title: title.clone(),
                }),
                render::start_text(&title, self.settings.language),
                input,
                now,
                None,
                false,
            );
            let planned = match scheduled {
                Some(id) => self
                    .archive
                    .planned_items(id)
                    .map_err(|e| self.internal(e))?,
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
            return Err(self.refuse(|l| tr!(l, "refuse-no-meeting")));
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
            return Err(self.refuse(|l| tr!(l, "refuse-in-recess")));
        }
        let (payload, text, refers_to, confidential) = match cmd {
            Command::Recess { .. } if st.in_recess => {
                return Err(self.refuse(|l| tr!(l, "refuse-already-in-recess")));
            }
            Command::Resume if !st.in_recess => {
                return Err(self.refuse(|l| tr!(l, "refuse-not-in-recess")));
            }
            Command::Private { .. } if st.private => {
                return Err(self.refuse(|l| tr!(l, "refuse-already-private")));
            }
            Command::Public if !st.private => {
                return Err(self.refuse(|l| tr!(l, "refuse-already-public")));
            }
            Command::Next => {
                let Some(item) = st.planned.get(st.next_index).cloned() else {
                    return Err(if st.planned.is_empty() {
                        self.refuse(|l| tr!(l, "refuse-no-preloaded-agenda"))
                    } else {
                        self.refuse(|l| tr!(l, "refuse-agenda-finished"))
                    });
                };
                let c = Command::Agenda {
                    number: item.number,
                    title: item.title,
                };
                let (p, t) = render::entry_parts(&c, now, tz, self.settings.language)
                    .ok_or_else(|| self.refuse(|l| tr!(l, "refuse-records-nothing")))?;
                (p, t, None, in_private)
            }
            Command::Fix { entry, text } => {
                let target = self.amendable(st, meeting, entry)?;
                (
                    Payload::Correction(payload::Text { text: text.clone() }),
                    render::correction_text(entry, &text, self.settings.language),
                    Some(entry),
                    target.confidential,
                )
            }
            Command::Strike { entry, reason } => {
                let target = self.amendable(st, meeting, entry)?;
                let text =
                    render::withdrawal_text(entry, reason.as_deref(), self.settings.language);
                (
                    Payload::Withdrawal(payload::Reason { reason }),
                    text,
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
                    return Err(self.refuse(|l| tr!(l, "refuse-nothing-to-undo")));
                };
                if last.withdrawn {
                    return Err(self.refuse(|l| {
                        tr!(l, "refuse-undo-withdrawn", entry = last.seq.to_string())
                    }));
                }
                if !last.kind.is_amendable() {
                    return Err(self.refuse(|l| {
                        tr!(
                            l,
                            "refuse-undo-kind",
                            entry = last.seq.to_string(),
                            kind = last.kind.to_string()
                        )
                    }));
                }
                (
                    Payload::Withdrawal(payload::Reason {
                        reason: Some("undone by the clerk".into()),
                    }),
                    render::withdrawal_text(last.seq, None, self.settings.language),
                    Some(last.seq),
                    last.confidential,
                )
            }
            Command::ConsultExtend { .. } | Command::ConsultWithdraw { .. } if in_private => {
                // Recorded now it would be confidential, so residents, reminders and the web
                // page would never see it: the consultation would silently stay as it was.
                return Err(self.refuse(|l| tr!(l, "consult-change-in-private")));
            }
            Command::ConsultExtend { number, closes } => {
                let c = self.consultation(number, now)?;
                if closes <= c.closes {
                    // Reminders and the web page follow the latest date; a shorter deadline
                    // is far more likely a typo than an extension.
                    return Err(self.refuse(|l| {
                        tr!(
                            l,
                            "consult-extend-not-later",
                            number = number,
                            closes = render::long_date(c.closes, l)
                        )
                    }));
                }
                (
                    Payload::ConsultExtend(payload::ConsultExtension {
                        consultation: number,
                        closes,
                    }),
                    render::consult_extended_text(&c.title, closes, self.settings.language),
                    None,
                    in_private,
                )
            }
            Command::ConsultWithdraw { number } => {
                let c = self.consultation(number, now)?;
                (
                    Payload::ConsultWithdraw(payload::ConsultRef {
                        consultation: number,
                    }),
                    render::consult_withdrawn_text(&c.title, self.settings.language),
                    None,
                    in_private,
                )
            }
            other => {
                let (p, t) = render::entry_parts(&other, now, tz, self.settings.language)
                    .ok_or_else(|| self.refuse(|l| tr!(l, "refuse-records-nothing")))?;
                let confidential = in_private
                    && !matches!(p, Payload::Private(_) | Payload::Public | Payload::End);
                (p, t, None, confidential)
            }
        };
        let kind = payload.kind();
        let op = match kind {
            EntryKind::Correction => DeliveryOp::Edit,
            EntryKind::Withdrawal => DeliveryOp::Delete,
            _ => DeliveryOp::Post,
        };
        let draft = self.draft(payload, text, input, now, refers_to, confidential);
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
        payload: Payload,
        text: String,
        input: &ClerkInput,
        now: DateTime<Utc>,
        refers_to: Option<EntryNo>,
        confidential: bool,
    ) -> EntryDraft {
        EntryDraft {
            payload,
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
            .map_err(|e| self.internal(e))?
        {
            Appended::New(entry) => {
                st.apply(&entry);
                // Even a private entry with no deliveries can change the public status.
                if let Some(w) = &self.waker {
                    w.wake();
                }
                if matches!(
                    entry.kind(),
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
            return Err(self.refuse(|l| {
                tr!(
                    l,
                    "refuse-no-such-entry",
                    entry = n.to_string(),
                    meeting = meeting.to_string(),
                    last = last
                )
            }));
        };
        if s.withdrawn {
            return Err(self.refuse(|l| tr!(l, "refuse-entry-withdrawn", entry = n.to_string())));
        }
        if !s.kind.is_amendable() {
            return Err(self.refuse(|l| {
                tr!(
                    l,
                    "refuse-entry-kind",
                    entry = n.to_string(),
                    kind = s.kind.to_string()
                )
            }));
        }
        Ok(s)
    }

    fn consultation(&self, number: u32, now: DateTime<Utc>) -> Result<ConsultationRecord, Refusal> {
        let all = consultations(&self.archive).map_err(|e| self.internal(e))?;
        match all.into_iter().find(|c| c.number == number) {
            Some(c) if c.withdrawn => {
                Err(self.refuse(|l| tr!(l, "refuse-consultation-withdrawn", number = number)))
            }
            Some(c) if c.closes < self.today(now) => Err(self.refuse(|l| {
                tr!(
                    l,
                    "refuse-consultation-closed",
                    number = number,
                    closes = render::long_date(c.closes, l)
                )
            })),
            Some(c) => Ok(c),
            None => Err(self.refuse(|l| tr!(l, "refuse-no-such-consultation", number = number))),
        }
    }

    fn consultations_text(&self, now: DateTime<Utc>) -> Result<String, Refusal> {
        let today = self.today(now);
        let open: Vec<ConsultationRecord> = consultations(&self.archive)
            .map_err(|e| self.internal(e))?
            .into_iter()
            .filter(|c| !c.withdrawn && c.closes >= today)
            .collect();
        Ok(self.say(|l| open_consultations_text(&open, l)))
    }

    fn status_text(&self, st: &MeetingState, l: Lang) -> String {
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
        let targets = self
            .health
            .as_ref()
            .map(|h| h.target_status())
            .unwrap_or_default();
        if targets.is_empty() {
            lines.push(tr!(l, "status-no-targets"));
        }
        for t in targets {
            lines.push(match t.failing {
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

    /// `f` in each of the council's languages, one per line.
    fn say(&self, f: impl FnMut(Lang) -> String) -> String {
        self.settings.language.each("\n", f)
    }

    fn refuse(&self, f: impl FnMut(Lang) -> String) -> Refusal {
        Refusal(self.say(f))
    }

    /// An archive error becomes a refusal that says nothing was recorded.
    fn internal(&self, e: ArchiveError) -> Refusal {
        tracing::error!(error = %e, "archive error while handling a command");
        let error = e.to_string();
        self.refuse(|l| tr!(l, "refuse-archive-error", error = &error))
    }
}

/// A refusal for the clerk, already in the council's language(s).
struct Refusal(String);

/// `!help` and `!help <command>`. Command words stay English (`!vote`); what they do is
/// explained in `l`.
fn help_text(topic: Option<&str>, prefix: &str, l: Lang) -> String {
    let fix = |s: String| s.replace('!', prefix);
    match topic {
        Some(t) => match command::verb_help(t) {
            Some(h) => fix(format!(
                "{} — {}",
                command::usage_text(h.verb, l),
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

fn agenda_text(st: &MeetingState, l: Lang) -> String {
    if st.meeting.is_none() {
        return tr!(l, "status-no-meeting");
    }
    let mut lines = vec![tr!(l, "agenda-heading", title = &st.title)];
    if st.planned.is_empty() {
        match &st.current_item {
            Some((n, t)) => lines.push(tr!(l, "agenda-current-item", number = n, title = t)),
            None => lines.push(tr!(l, "agenda-no-items")),
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

fn open_consultations_text(open: &[ConsultationRecord], l: Lang) -> String {
    if open.is_empty() {
        return tr!(l, "consultations-none-open");
    }
    let mut lines = vec![tr!(l, "consultations-open-heading")];
    lines.extend(open.iter().map(|c| {
        tr!(
            l,
            "consultations-open-line",
            number = c.number,
            title = &c.title,
            url = &c.url,
            closes = render::long_date(c.closes, l)
        )
    }));
    lines.join("\n")
}

#[cfg(test)]
mod tests;
