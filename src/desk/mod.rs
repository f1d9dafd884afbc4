//! The clerk's desk: takes a neutral clerk input from any platform and orchestrates it —
//! parse, apply (the verb checks it against the meeting's state and says what to record),
//! append (the entry with its delivery rows), reply.
//!
//! What each verb means lives beside its grammar in [`crate::command`]; the desk holds the
//! meeting's state ([`state`]), the [`Turn`] a verb decides with, and what follows an append
//! (waking the status and reminders, signing at `!end`).

mod reply;
mod state;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use tokio::sync::Mutex;

use crate::archive::{
    Appended, Archive, ArchiveError, DeliveryOp, EntryDraft, MeetingRef, PlannedItem,
};
use crate::command::{self, Command};
use crate::domain::{EntryKind, EntryNo, MeetingId, Payload};
use crate::i18n::{Lang, Language};
use crate::outbox::{DeliveryWaker, HealthSource};
use crate::residents::Question;
use crate::roster::Roster;
use crate::tr;

pub use reply::{ClerkInput, Reply};
pub(crate) use state::{EntrySummary, MeetingState};
pub use state::{PublicState, public_state, public_states};

/// The open meeting as a clerk sees it (see [`Desk::clerk_view`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClerkView {
    pub meeting: Option<MeetingId>,
    pub title: String,
    pub in_recess: bool,
    pub private: bool,
    /// Number and title of the item under discussion.
    pub current_item: Option<(String, String)>,
    /// The preloaded agenda.
    pub planned: Vec<PlannedItem>,
    /// Index in `planned` of the item `!next` takes up.
    pub next_index: usize,
    /// The open meeting's latest entry.
    pub last_seq: Option<EntryNo>,
    /// Entries of the open meeting that were withdrawn.
    pub withdrawn: Vec<EntryNo>,
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

pub struct Desk {
    archive: Arc<Archive>,
    settings: DeskSettings,
    state: Mutex<MeetingState>,
    waker: Option<Arc<dyn DeliveryWaker>>,
    consultation_waker: Option<Arc<dyn DeliveryWaker>>,
    health: Option<Arc<dyn HealthSource>>,
    signer: Option<Arc<dyn HeadSigner>>,
    /// The council's councillors: recorded votes must name them as it does.
    roster: Option<Arc<Roster>>,
    /// Other instances append to the same archive: the state catches up before each command.
    shared: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum DeskError {
    #[error(transparent)]
    Archive(#[from] ArchiveError),
}

/// A refusal for the clerk, already in the council's language(s).
pub(crate) struct Refusal(pub(crate) String);

/// How many times a command is decided again when other instances keep recording first.
const MOVED_RETRIES: u32 = 50;

/// Why an append did not happen.
enum Appending {
    Refused(Refusal),
    /// The archive moved on since the state was folded: decide again.
    Moved,
}

/// What a verb decided.
pub(crate) enum Effect {
    /// Answer the clerk; nothing is recorded.
    Answer(String),
    /// Append an entry.
    Record(Box<Record>),
}

/// An entry a verb wants appended.
pub(crate) struct Record {
    pub meeting: MeetingRef,
    pub payload: Payload,
    pub text: String,
    pub refers_to: Option<EntryNo>,
    pub confidential: bool,
    /// `!start` of a scheduled meeting: its agenda, for `!next`.
    pub planned: Vec<PlannedItem>,
    /// Said to the clerk after the acknowledgement (not recorded).
    pub note: Option<String>,
}

/// One command's turn at the desk: what a verb reads while it decides.
pub(crate) struct Turn<'a> {
    pub desk: &'a Desk,
    pub st: &'a MeetingState,
    /// The clerk's line; `None` for residents' questions.
    pub input: Option<&'a ClerkInput>,
    pub now: DateTime<Utc>,
}

impl Turn<'_> {
    pub fn archive(&self) -> &Archive {
        &self.desk.archive
    }

    pub fn settings(&self) -> &DeskSettings {
        &self.desk.settings
    }

    pub fn language(&self) -> Language {
        self.desk.settings.language
    }

    /// The council's local date.
    pub fn today(&self) -> NaiveDate {
        self.desk.today(self.now)
    }

    /// `f` in each of the council's languages, one per line.
    pub fn say(&self, f: impl FnMut(Lang) -> String) -> String {
        self.desk.say(f)
    }

    pub fn refuse(&self, f: impl FnMut(Lang) -> String) -> Refusal {
        Refusal(self.say(f))
    }

    /// An archive error becomes a refusal that says nothing was recorded.
    pub fn internal(&self, e: ArchiveError) -> Refusal {
        tracing::error!(error = %e, "archive error while handling a command");
        let error = e.to_string();
        self.refuse(|l| tr!(l, "refuse-archive-error", error = &error))
    }

    /// The open meeting, or the refusal that there is none.
    pub fn meeting(&self) -> Result<MeetingId, Refusal> {
        self.st
            .meeting
            .ok_or_else(|| self.refuse(|l| tr!(l, "refuse-no-meeting")))
    }

    /// The open meeting, which must not be in recess (motions, votes, agenda items, speakers).
    pub fn in_session(&self) -> Result<MeetingId, Refusal> {
        let meeting = self.meeting()?;
        if self.st.in_recess {
            return Err(self.refuse(|l| tr!(l, "refuse-in-recess")));
        }
        Ok(meeting)
    }

    /// What most verbs record: `cmd`'s payload and text in the open meeting, confidential
    /// while the public is excluded.
    pub fn record(&self, meeting: MeetingId, cmd: &Command) -> Result<Effect, Refusal> {
        self.record_as(meeting, cmd, self.st.private)
    }

    /// [`Turn::record`], saying whether the entry is confidential (the verbs that exclude and
    /// readmit the public, and `!end`, are never confidential).
    pub fn record_as(
        &self,
        meeting: MeetingId,
        cmd: &Command,
        confidential: bool,
    ) -> Result<Effect, Refusal> {
        let (payload, text) =
            crate::render::entry_parts(cmd, self.now, self.settings().timezone, self.language())
                .ok_or_else(|| self.refuse(|l| tr!(l, "refuse-records-nothing")))?;
        Ok(self.entry(meeting, payload, text, confidential))
    }

    /// An entry in the open meeting that amends nothing.
    pub fn entry(
        &self,
        meeting: MeetingId,
        payload: Payload,
        text: String,
        confidential: bool,
    ) -> Effect {
        Effect::Record(Box::new(Record {
            meeting: MeetingRef::Existing(meeting),
            payload,
            text,
            refers_to: None,
            confidential,
            planned: Vec::new(),
            note: None,
        }))
    }

    pub fn answer(&self, f: impl FnMut(Lang) -> String) -> Effect {
        Effect::Answer(self.say(f))
    }

    /// Delivery health of every target, for `!status`.
    pub fn target_health(&self) -> Vec<crate::outbox::TargetStatus> {
        self.desk
            .health
            .as_ref()
            .map(|h| h.target_status())
            .unwrap_or_default()
    }
}

impl Desk {
    /// Builds the desk and rebuilds the open meeting's state from the archive.
    pub fn new(archive: Arc<Archive>, settings: DeskSettings) -> Result<Desk, DeskError> {
        let state = MeetingState::load(&archive)?;
        Ok(Desk {
            archive,
            settings,
            state: Mutex::new(state),
            waker: None,
            consultation_waker: None,
            health: None,
            signer: None,
            roster: None,
            shared: false,
        })
    }

    /// Other instances take commands on the same archive (see [`crate::cluster`]): the
    /// meeting's state is brought up to date from the archive before each command.
    pub fn shared(mut self) -> Self {
        self.shared = true;
        self
    }

    /// Recorded votes name councillors as `roster` does, and only them.
    pub fn with_roster(mut self, roster: Arc<Roster>) -> Self {
        self.roster = Some(roster);
        self
    }

    pub fn roster(&self) -> Option<&Roster> {
        self.roster.as_deref()
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

    /// The open meeting as a clerk's screen shows it (the web desk): everything, private
    /// business included.
    pub async fn clerk_view(&self) -> ClerkView {
        let mut st = self.state.lock().await;
        self.catch_up(&mut st);
        ClerkView {
            meeting: st.meeting,
            title: st.title.clone(),
            in_recess: st.in_recess,
            private: st.private,
            current_item: st.current_item.clone(),
            planned: st.planned.clone(),
            next_index: st.next_index,
            last_seq: st.entries.last().map(|e| e.seq),
            withdrawn: st
                .entries
                .iter()
                .filter(|e| e.withdrawn)
                .map(|e| e.seq)
                .collect(),
        }
    }

    /// A resident's `!now`, `!agenda` or `!consultations`, answered from public business only
    /// (the same texts clerks get, without anything from a private session). `None` if the
    /// archive cannot be read; the error is logged.
    pub async fn public_answer(&self, question: Question, now: DateTime<Utc>) -> Option<String> {
        let view = {
            let mut st = self.state.lock().await;
            self.catch_up(&mut st);
            st.public_view()
        };
        let cmd = match question {
            Question::Now => Command::Now,
            Question::Agenda => Command::ShowAgenda,
            Question::Consultations => Command::Consultations,
        };
        let turn = Turn {
            desk: self,
            st: &view,
            input: None,
            now,
        };
        match cmd.apply(&turn) {
            Ok(Effect::Answer(text)) => Some(text),
            Ok(Effect::Record(_)) | Err(_) => None,
        }
    }

    fn today(&self, now: DateTime<Utc>) -> NaiveDate {
        now.with_timezone(&self.settings.timezone).date_naive()
    }

    /// Handles one clerk input at the current time.
    pub async fn submit(&self, input: ClerkInput) -> Reply {
        self.submit_at(input, Utc::now()).await
    }

    /// Handles one clerk input as if received at `now`: parse, apply, append, reply.
    pub async fn submit_at(&self, input: ClerkInput, now: DateTime<Utc>) -> Reply {
        let cmd = match command::parse(&input.text, &self.settings.prefix, self.today(now)) {
            Ok(None) => return Reply::Ignored,
            Ok(Some(c)) => c,
            Err(e) => return Reply::Refused(self.say(|l| e.message(l))),
        };
        let mut state = self.state.lock().await;
        self.catch_up(&mut state);
        let mut tries = 0;
        loop {
            let turn = Turn {
                desk: self,
                st: &state,
                input: Some(&input),
                now,
            };
            let effect = match cmd.clone().apply(&turn) {
                Ok(effect) => effect,
                Err(Refusal(s)) => return Reply::Refused(s),
            };
            let record = match effect {
                Effect::Answer(text) => return Reply::Info(text),
                Effect::Record(record) => record,
            };
            match self.append(&mut state, *record, &input, now) {
                Ok(reply) => return reply,
                Err(Appending::Refused(Refusal(s))) => return Reply::Refused(s),
                // Another instance recorded first: decide again on the state as it is now.
                Err(Appending::Moved) if tries < MOVED_RETRIES => {
                    tries += 1;
                    // Each refusal means another instance recorded: someone always progresses.
                    // A random pause, growing with the tries, lets a clerk who keeps losing
                    // the race win one.
                    let ceiling = 1u64 << tries.min(6);
                    let pause = rand::Rng::gen_range(&mut rand::thread_rng(), 0..=ceiling);
                    tokio::time::sleep(std::time::Duration::from_millis(pause)).await;
                    if let Err(e) = state.catch_up(&self.archive) {
                        return Reply::Refused(self.archive_refusal(e).0);
                    }
                }
                Err(Appending::Moved) => {
                    return Reply::Refused(self.archive_refusal(ArchiveError::Moved).0);
                }
            }
        }
    }

    /// Brings the state up to date when other instances append too. A failed read is logged
    /// and the state left as it was: the append's own check still refuses a stale decision.
    fn catch_up(&self, st: &mut MeetingState) {
        if self.shared
            && let Err(e) = st.catch_up(&self.archive)
        {
            tracing::warn!(error = %e, "cannot bring the meeting's state up to date");
        }
    }

    /// The refusal for an archive error: nothing was recorded.
    fn archive_refusal(&self, e: ArchiveError) -> Refusal {
        tracing::error!(error = %e, "archive error while handling a command");
        let error = e.to_string();
        Refusal(self.say(|l| tr!(l, "refuse-archive-error", error = &error)))
    }

    /// Appends a verb's entry with one delivery row per target (none while confidential),
    /// folds it into the state, and does what follows it.
    fn append(
        &self,
        st: &mut MeetingState,
        record: Record,
        input: &ClerkInput,
        now: DateTime<Utc>,
    ) -> Result<Reply, Appending> {
        let op = match record.payload.kind() {
            EntryKind::Correction => DeliveryOp::Edit,
            EntryKind::Withdrawal => DeliveryOp::Delete,
            _ => DeliveryOp::Post,
        };
        let deliveries: Vec<(String, DeliveryOp)> = if record.confidential {
            Vec::new()
        } else {
            self.settings
                .targets
                .iter()
                .map(|t| (t.clone(), op))
                .collect()
        };
        let draft = EntryDraft {
            payload: record.payload,
            text: record.text,
            author: input.author.clone(),
            at: now,
            timezone: self.settings.timezone,
            refers_to: record.refers_to,
            confidential: record.confidential,
            source: input.source.clone(),
        };
        let note = record.note;
        // The append holds only if the archive is still where this state says it is.
        let meeting = match record.meeting {
            MeetingRef::Existing(m) if st.meeting == Some(m) => MeetingRef::Continue {
                meeting: m,
                last: st.last_seq(),
            },
            MeetingRef::New { title, scheduled } => MeetingRef::Open { title, scheduled },
            other => other,
        };
        let appended = match self.archive.append(meeting, draft, &deliveries) {
            Ok(a) => a,
            Err(ArchiveError::Moved) => return Err(Appending::Moved),
            Err(e) => return Err(Appending::Refused(self.archive_refusal(e))),
        };
        let entry = match appended {
            Appended::New(entry) => entry,
            Appended::Duplicate(entry) => return Ok(Reply::AlreadyRecorded { entry }),
        };
        if entry.kind() == EntryKind::Start {
            *st = MeetingState {
                planned: record.planned,
                ..MeetingState::default()
            };
        }
        st.apply(&entry);
        self.after_append(st, &entry);
        Ok(Reply::Recorded {
            entry,
            deliveries: deliveries.len() as u32,
            note,
        })
    }

    /// Wakes whoever follows appends, and closes the meeting at `!end`.
    fn after_append(&self, st: &mut MeetingState, entry: &crate::domain::Entry) {
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
        if entry.kind() == EntryKind::End {
            if let Some(signer) = &self.signer
                && let Err(e) = signer.sign_meeting(&self.archive, entry.meeting)
            {
                tracing::error!(meeting = %entry.meeting, error = %e, "could not sign the meeting's chain head");
            }
            *st = MeetingState::default();
        }
    }

    /// `f` in each of the council's languages, one per line.
    fn say(&self, f: impl FnMut(Lang) -> String) -> String {
        self.settings.language.each("\n", f)
    }
}
