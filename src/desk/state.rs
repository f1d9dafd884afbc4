//! The open meeting's state, folded from its entries: what the desk checks commands against,
//! and what residents may be shown of it ([`PublicState`]). A restart folds the archived
//! entries again, so the desk resumes exactly where the archive says the meeting is.

use crate::archive::{Archive, ArchiveError, PlannedItem};
use crate::command;
use crate::domain::{Entry, EntryKind, EntryNo, MeetingId, Payload};

/// The open meeting as the desk knows it: a fold over its entries.
#[derive(Debug, Clone, Default)]
pub(crate) struct MeetingState {
    pub(crate) meeting: Option<MeetingId>,
    pub(crate) title: String,
    pub(crate) in_recess: bool,
    pub(crate) private: bool,
    pub(crate) current_item: Option<(String, String)>,
    /// The entry that set `current_item`, so the public view can tell an exempt or withdrawn
    /// item from a public one.
    pub(crate) item_seq: Option<EntryNo>,
    pub(crate) planned: Vec<PlannedItem>,
    /// Index in `planned` of the item `!next` will take.
    pub(crate) next_index: usize,
    /// `current_item` and `next_index` as the public saw them: items taken up in a private
    /// session are exempt business, so residents' answers never show them.
    pub(crate) public_item: Option<(String, String)>,
    pub(crate) public_next_index: usize,
    /// The last public vote, re-rendered in each language it is shown in.
    pub(crate) last_vote: Option<command::Vote>,
    /// The entry `last_vote` came from (a withdrawn vote is no longer shown in public).
    pub(crate) last_vote_seq: Option<EntryNo>,
    /// `!end` was recorded (only folds over a whole archived meeting see this).
    pub(crate) ended: bool,
    pub(crate) entries: Vec<EntrySummary>,
}

/// What the desk keeps of each entry of the open meeting (for `!fix`, `!strike`, `!undo`).
#[derive(Debug, Clone)]
pub(crate) struct EntrySummary {
    pub(crate) seq: EntryNo,
    pub(crate) kind: EntryKind,
    pub(crate) author: (String, String),
    pub(crate) withdrawn: bool,
    pub(crate) confidential: bool,
}

impl MeetingState {
    /// The open meeting's state as the archive has it (empty when no meeting is open).
    pub(crate) fn load(archive: &Archive) -> Result<MeetingState, ArchiveError> {
        let mut st = MeetingState::default();
        if let Some(m) = archive.open_meeting()? {
            st.planned = archive.planned_items(m)?;
            for e in archive.entries(m)? {
                st.apply(&e);
            }
        }
        Ok(st)
    }

    /// Folds in what other instances appended since this state was folded: the open meeting's
    /// new entries, or the whole state again when a meeting opened or ended meanwhile.
    pub(crate) fn catch_up(&mut self, archive: &Archive) -> Result<(), ArchiveError> {
        let Some(m) = self.meeting else {
            if archive.open_meeting()?.is_some() {
                *self = MeetingState::load(archive)?;
            }
            return Ok(());
        };
        let last = self.entries.last().map_or(0, |e| e.seq.0);
        for e in archive.entries_after(m, last)? {
            self.apply(&e);
        }
        if self.ended {
            *self = MeetingState::load(archive)?;
        }
        Ok(())
    }

    /// The sequence number of the open meeting's last entry as this state knows it.
    pub(crate) fn last_seq(&self) -> EntryNo {
        self.entries.last().map_or(EntryNo(0), |e| e.seq)
    }

    pub(crate) fn apply(&mut self, e: &Entry) {
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
    pub(crate) fn public_view(&self) -> MeetingState {
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

    pub(crate) fn public(&self) -> Option<PublicState> {
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

/// What residents may be shown of a meeting after each of `entries` (one meeting's, in order).
pub fn public_states(entries: &[Entry]) -> Vec<Option<PublicState>> {
    let mut st = MeetingState::default();
    entries
        .iter()
        .map(|e| {
            st.apply(e);
            st.public()
        })
        .collect()
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
