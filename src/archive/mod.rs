//! The archive: meetings, the append-only hash-chained entries, search, checkpoints, the
//! pinned status messages and the outbox's delivery and notice queues, behind a seam.
//!
//! Storage is a set of traits, one per role ([`Meetings`], [`Entries`], [`Deliveries`],
//! [`Search`], [`Records`], [`Maintenance`], and [`Transfer`] for bulk rows); [`Store`] is all
//! of them and [`Archive`] is the store a running Gavel uses, whichever engine the config names.
//! Each engine is one implementation in its own folder ([`sqlite`], the embedded default;
//! [`postgres`], for a server shared by several processes or councils); nothing outside that
//! folder names the engine's crate, its errors or its SQL. The rules that do not depend on the
//! engine live here: the canonical encoding and hash chain ([`hash`], [`chain`]), what a commit
//! publishes ([`commits`]) and copying between engines ([`copy`]). [`conformance`] is the one
//! test suite every engine passes.
//!
//! **The traits are blocking**, called from async code. An archive call is short (SQLite
//! answers from its page cache or one fsync, in microseconds to a millisecond; PostgreSQL in a
//! network round trip or a few), every caller already waits for its result before doing
//! anything else, and a blocking API keeps exports, verification and the CLI plain functions.
//! SQLite runs on the calling thread. The PostgreSQL engine's client is async, and the traits
//! are called from inside the app's and tests' runtimes (multi-thread, current-thread, paused
//! clocks), where blocking on a future of the caller's own runtime would deadlock or panic; so
//! the engine owns a small runtime of its own that runs its connection pool, and each call
//! spawns its future there and waits for the answer on a std channel, as Synapse's
//! `DatabasePool` runs interactions on threads of its own. The outbox's group commits already
//! run on a blocking thread (`outbox::recorder`).
//!
//! Entries are never updated or deleted. Each entry's hash covers its content and the previous
//! entry's hash, so `gavel verify` detects any change. Appending an entry and its delivery rows
//! is one transaction: durable first, then deliver.

pub mod chain;
pub mod commits;
#[cfg(test)]
pub(crate) mod conformance;
pub mod copy;
pub mod hash;
pub mod postgres;
pub mod sqlite;
pub mod transfer;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::domain::{Author, Entry, EntryKind, EntryNo, MeetingId, Payload, SourceRef};

pub use commits::{Commit, CommittedRow, Published, Subscription};
pub use hash::MeetingHeader;
pub use transfer::Transfer;

#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// The engine failed (I/O, a constraint, a lost connection); the text is the engine's own.
    #[error("archive database error: {0}")]
    Database(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("cannot create the archive's folder {path}: {source}")]
    Folder {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the archive {location} was written by a newer Gavel (schema {found}, this build knows {known})"
    )]
    TooNew {
        location: String,
        found: i64,
        known: i64,
    },
    #[error("meeting {0} does not exist")]
    NoSuchMeeting(MeetingId),
    #[error("corrupt archive row: {0}")]
    Corrupt(String),
    #[error("an archive write did not run: Gavel is shutting down")]
    ShuttingDown,
    #[error("{0} already exists; choose a new file")]
    BackupExists(PathBuf),
    /// What the engine cannot do, and what to use instead.
    #[error("{0}")]
    Unsupported(String),
    #[error(
        "meeting {meeting} “{title}” has started: its record is the clerk's now, so the import changes nothing (correct items with `!correct`)"
    )]
    AlreadyStarted { meeting: MeetingId, title: String },
    #[error("the archive {0} is not empty; copy into an empty one")]
    NotEmpty(String),
    #[error("the copy does not verify as the original: {0}")]
    CopyDiffers(String),
    /// A [`MeetingRef::Continue`] or [`MeetingRef::Open`] append found the archive moved on
    /// (another instance recorded first): nothing was written.
    #[error("the meeting moved on while the command was decided: another instance recorded first")]
    Moved,
}

pub type Result<T> = std::result::Result<T, ArchiveError>;

/// A meeting as the archive lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MeetingRecord {
    pub id: MeetingId,
    pub title: String,
    pub timezone: String,
    pub scheduled_for: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub entry_count: u32,
    /// When the meeting is due to start, where an import said.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub starts_at: Option<DateTime<Utc>>,
    /// The council's own record of the meeting, for imported meetings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<PlanSource>,
}

/// A preloaded agenda item (`gavel schedule`, `gavel import moderngov`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
pub struct PlannedItem {
    pub number: String,
    pub title: String,
    /// The item's id in the council's own system (ModernGov's agenda item id), so an
    /// archivist can join Gavel's record to the council's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// Marked exempt on the council's agenda: the meeting may resolve to exclude the public.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub exempt: bool,
    /// The item's public documents.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub documents: Vec<PlannedDocument>,
}

impl PlannedItem {
    /// An item with a number and a title only (typed or from an agenda file).
    pub fn new(number: impl Into<String>, title: impl Into<String>) -> PlannedItem {
        PlannedItem {
            number: number.into(),
            title: title.into(),
            ..PlannedItem::default()
        }
    }
}

impl PlannedItem {
    /// How every engine stores `documents`: a JSON array of `{title, url}`.
    pub(crate) fn documents_json(&self) -> String {
        serde_json::to_string(&self.documents).expect("documents serialise")
    }

    pub(crate) fn documents_from_json(text: &str) -> Result<Vec<PlannedDocument>> {
        serde_json::from_str(text)
            .map_err(|e| ArchiveError::Corrupt(format!("a planned item's documents: {e}")))
    }
}

/// A public document linked to a planned item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct PlannedDocument {
    pub title: String,
    pub url: String,
}

/// A meeting to preload: from an agenda file (`gavel schedule`) or the council's own system
/// (`gavel import moderngov`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetingPlan {
    pub title: String,
    /// The council's local date.
    pub date: Option<NaiveDate>,
    /// When the meeting is due to start, where the source says.
    pub starts_at: Option<DateTime<Utc>>,
    /// Where the plan came from; importing the same source again updates the meeting.
    pub source: Option<PlanSource>,
    pub items: Vec<PlannedItem>,
}

/// The council's own record of a planned meeting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanSource {
    /// Unique per meeting in the source system: `moderngov:democracy.example.gov.uk:4567`.
    pub key: String,
    /// The council's public page for the meeting.
    pub url: String,
}

impl PlanSource {
    /// From an engine's `source_key` and `source_url` columns.
    pub(crate) fn from_columns(key: Option<String>, url: Option<String>) -> Option<PlanSource> {
        key.map(|key| PlanSource {
            key,
            url: url.unwrap_or_default(),
        })
    }
}

/// What [`Meetings::schedule_meeting`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheduled {
    New(MeetingId),
    /// The plan's source was imported before and the meeting had not started: its title,
    /// date, start and agenda were replaced.
    Updated(MeetingId),
}

impl Scheduled {
    pub fn id(self) -> MeetingId {
        match self {
            Scheduled::New(id) | Scheduled::Updated(id) => id,
        }
    }
}

/// Which meeting an entry goes into.
#[derive(Debug, Clone)]
pub enum MeetingRef {
    Existing(MeetingId),
    /// `!start`: create the meeting row (or take a scheduled, not yet started one) in the same
    /// transaction as its first entry.
    New {
        title: String,
        scheduled: Option<MeetingId>,
    },
    /// The desk's append to the open meeting as its state last saw it: written only if
    /// `meeting`'s last entry is still `last`, and refused with [`ArchiveError::Moved`] if
    /// another instance has appended since, so a verb's decision never rests on a stale state.
    Continue {
        meeting: MeetingId,
        last: EntryNo,
    },
    /// The desk's `!start`: [`MeetingRef::New`], refused with [`ArchiveError::Moved`] if a
    /// meeting is open (or the scheduled one has entries) by the time the append runs.
    Open {
        title: String,
        scheduled: Option<MeetingId>,
    },
}

/// An entry before it is written: the archive assigns id, sequence number and hashes.
#[derive(Debug, Clone)]
pub struct EntryDraft {
    pub payload: Payload,
    pub text: String,
    pub author: Author,
    pub at: DateTime<Utc>,
    pub timezone: Tz,
    pub refers_to: Option<EntryNo>,
    pub confidential: bool,
    pub source: Option<SourceRef>,
}

/// What one delivery row asks a target to do with an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryOp {
    /// Post the entry.
    Post,
    /// A correction: edit the original's messages (or post a correction where edits are impossible).
    Edit,
    /// A withdrawal: delete the original's messages (or post a notice).
    Delete,
}

impl DeliveryOp {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryOp::Post => "post",
            DeliveryOp::Edit => "edit",
            DeliveryOp::Delete => "delete",
        }
    }
    pub fn parse(s: &str) -> Option<DeliveryOp> {
        match s {
            "post" => Some(DeliveryOp::Post),
            "edit" => Some(DeliveryOp::Edit),
            "delete" => Some(DeliveryOp::Delete),
            _ => None,
        }
    }
}

/// One pending or finished delivery of an entry to a target.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub id: i64,
    pub target: String,
    pub entry: Entry,
    pub op: DeliveryOp,
    pub attempts: u32,
    pub next_attempt_at: Option<DateTime<Utc>>,
}

/// What an append did.
#[derive(Debug, Clone)]
pub enum Appended {
    New(Entry),
    /// The same source message was archived before; nothing was written.
    Duplicate(Entry),
}

impl Appended {
    pub fn entry(&self) -> &Entry {
        match self {
            Appended::New(e) | Appended::Duplicate(e) => e,
        }
    }
}

/// One search result. `snippet` marks matches with [`HIT_START`] / [`HIT_END`].
#[derive(Debug, Clone, Serialize)]
pub struct SearchHit {
    pub meeting: MeetingId,
    pub meeting_title: String,
    pub seq: EntryNo,
    pub at: DateTime<Utc>,
    pub timezone: String,
    pub kind: EntryKind,
    pub snippet: String,
}

pub const HIT_START: char = '\u{2}';
pub const HIT_END: char = '\u{3}';

/// Per-meeting result of `verify`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChainReport {
    pub meeting: MeetingId,
    pub entries: u32,
    pub head: String,
    /// The first problem found, if any.
    pub problem: Option<ChainProblem>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChainProblem {
    /// `None` when the meeting's own record was changed.
    pub entry: Option<EntryNo>,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeliveryTally {
    pub done: u32,
    pub total: u32,
    /// Targets that refused the entry for good.
    pub failed: Vec<String>,
}

impl DeliveryTally {
    pub fn settled(&self) -> bool {
        self.done as usize + self.failed.len() >= self.total as usize
    }
}

/// A signed checkpoint of a meeting's final chain head.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Checkpoint {
    pub meeting: MeetingId,
    pub head: String,
    pub entries: u32,
    pub public_key: String,
    pub signature: String,
    pub signed_at: DateTime<Utc>,
}

/// The outbox's two queues, whose rows share one shape and one life cycle: entries' delivery
/// rows and notices' delivery rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Queue {
    Entries,
    Notices,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub queue: Queue,
    /// The row's id in its queue.
    pub id: i64,
    pub result: Attempt,
    /// The lease the delivering instance held: the outcome is recorded only while it is still
    /// that lease's latest tenure (see [`Leases`]). `None` for a single instance.
    pub fence: Option<Fence>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Attempt {
    /// Delivered: the row is done, with the platform's ids for what it made.
    Delivered {
        remote_ids: Vec<String>,
        at: DateTime<Utc>,
    },
    /// Failed in a way worth retrying: the row stays pending until `next_at`.
    Retry {
        error: String,
        next_at: DateTime<Utc>,
    },
    /// Refused for good (the platform rejected the content): the row stays, failed, with its
    /// error, for `!status` and the operator.
    Refused { error: String, at: DateTime<Utc> },
}

impl Outcome {
    pub fn delivered(queue: Queue, id: i64, remote_ids: Vec<String>, at: DateTime<Utc>) -> Self {
        Outcome {
            queue,
            id,
            result: Attempt::Delivered { remote_ids, at },
            fence: None,
        }
    }
}

/// One pending notice for one target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeDelivery {
    /// The delivery row's id (the queue's order).
    pub id: i64,
    pub target: String,
    /// The notice's unique key (such as `consult:3:7:2027-01-31:remind-7`).
    pub key: String,
    pub kind: String,
    pub text: String,
    pub attempts: u32,
    pub next_attempt_at: Option<DateTime<Utc>>,
}

/// One target's pinned status message for one meeting.
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

/// Appends sharing one transaction (see [`Entries::append_batch`]).
pub trait Batch {
    /// The same as [`Entries::append`], inside the batch's transaction.
    fn append(
        &mut self,
        meeting: MeetingRef,
        draft: EntryDraft,
        deliveries: &[(String, DeliveryOp)],
    ) -> Result<Appended>;
}

/// Meetings and their preloaded agendas.
pub trait Meetings {
    /// Preloads a meeting and its agenda (`gavel schedule`, `gavel import moderngov`). A plan
    /// whose source was scheduled before updates that meeting while it has no entries, and is
    /// refused with [`ArchiveError::AlreadyStarted`] once it has: the record of a meeting
    /// under way is the clerk's, not the import's.
    fn schedule_meeting(
        &self,
        plan: &MeetingPlan,
        timezone: Tz,
        now: DateTime<Utc>,
    ) -> Result<Scheduled>;
    fn planned_items(&self, meeting: MeetingId) -> Result<Vec<PlannedItem>>;
    /// Every meeting, oldest first.
    fn meetings(&self) -> Result<Vec<MeetingRecord>>;
    fn meeting(&self, id: MeetingId) -> Result<Option<MeetingRecord>>;
    /// What a meeting's genesis hash covers.
    fn meeting_header(&self, id: MeetingId) -> Result<MeetingHeader>;
    /// The meeting that has started and not ended, if any.
    fn open_meeting(&self) -> Result<Option<MeetingId>>;
    /// The latest meeting that has started, and whether it has ended.
    fn latest_started_meeting(&self) -> Result<Option<(MeetingId, bool)>>;

    /// The next scheduled meeting that has not started: earliest date first, then oldest.
    fn next_scheduled(&self, today: NaiveDate) -> Result<Option<MeetingRecord>> {
        let mut pending: Vec<MeetingRecord> = self
            .meetings()?
            .into_iter()
            .filter(|m| m.entry_count == 0 && m.scheduled_for.is_none_or(|d| d >= today))
            .collect();
        pending.sort_by_key(|m| (m.scheduled_for, m.id));
        Ok(pending.into_iter().next())
    }

    /// The scheduled meeting a clerk names with `!start <title>`: not started, for `today` or
    /// undated, titled `title` (any case) or `title, …` (an imported meeting's "Committee, date"
    /// title). The oldest, if several.
    fn scheduled_titled(&self, today: NaiveDate, title: &str) -> Result<Option<MeetingRecord>> {
        let wanted = title.trim().to_lowercase();
        let prefix = format!("{wanted},");
        let mut found: Vec<MeetingRecord> = self
            .meetings()?
            .into_iter()
            .filter(|m| m.entry_count == 0 && m.scheduled_for.is_none_or(|d| d == today))
            .filter(|m| {
                let t = m.title.to_lowercase();
                t == wanted || t.starts_with(&prefix)
            })
            .collect();
        found.sort_by_key(|m| m.id);
        Ok(found.into_iter().next())
    }
}

/// The append-only entries and their hash chains.
pub trait Entries {
    /// Appends an entry and its delivery rows in one transaction, and publishes the rows (see
    /// [`Deliveries::subscribe`]). If the draft's source message was archived before, nothing
    /// is written and the earlier entry is returned.
    fn append(
        &self,
        meeting: MeetingRef,
        draft: EntryDraft,
        deliveries: &[(String, DeliveryOp)],
    ) -> Result<Appended>;
    /// Runs `f` with a [`Batch`]: every append in it is exactly [`Entries::append`]'s, but all
    /// of them share one transaction, committed when `f` returns `Ok` and rolled back
    /// otherwise. For bulk loading (benchmarks, imports), not for live commands: one failure
    /// loses the whole batch. Its rows are published as [`Commit::Unlisted`].
    fn append_batch(&self, f: &mut dyn FnMut(&mut dyn Batch) -> Result<()>) -> Result<()>;
    fn entry_by_id(&self, id: i64) -> Result<Option<Entry>>;
    /// All entries of a meeting in sequence order (confidential ones included).
    fn entries(&self, meeting: MeetingId) -> Result<Vec<Entry>>;
    /// Entries of a meeting after sequence number `after`, in order (for SSE resume).
    fn entries_after(&self, meeting: MeetingId, after: u32) -> Result<Vec<Entry>>;
    fn entry(&self, meeting: MeetingId, seq: EntryNo) -> Result<Option<Entry>>;
    /// The most recent published entries across all meetings, newest first (for feeds).
    fn recent_entries(&self, limit: u32) -> Result<Vec<Entry>>;
    /// Every entry of one of `kinds` across all meetings, in the order they were written;
    /// confidential ones only when `confidential` is true.
    fn entries_of_kinds(&self, kinds: &[EntryKind], confidential: bool) -> Result<Vec<Entry>>;
    fn entry_count(&self) -> Result<u64>;
    /// Recomputes the hash chain of one meeting or of all meetings (see [`chain`]).
    fn verify(&self, meeting: Option<MeetingId>) -> Result<Vec<ChainReport>>;
}

/// The outbox's two durable queues: entries' delivery rows and notices' delivery rows.
pub trait Deliveries {
    /// What this archive commits from now on, in commit order.
    fn subscribe(&self) -> Subscription;
    /// The oldest pending delivery for `target`, and whether another is pending behind it.
    fn next_delivery_and_more(&self, target: &str) -> Result<(Option<Delivery>, bool)>;
    /// How many times an entry queue has been read with [`Deliveries::next_delivery_and_more`]:
    /// the outbox reads one only when it cannot know what is pending.
    fn queue_reads(&self) -> u64;
    /// Records what became of delivery attempts, all in one transaction: one commit for a whole
    /// group of targets that finished together. Rows of either queue may be mixed. Nothing is
    /// recorded if any update fails. An outcome whose [`Fence`] no longer holds (its lease was
    /// taken over since) is not recorded; the answer lists the indexes of those outcomes.
    fn record_outcomes(&self, outcomes: &[Outcome]) -> Result<Vec<usize>>;
    /// Remote message ids of the original post of `entry_id` on `target`: `None` if it was
    /// never delivered there.
    fn remote_ids(&self, target: &str, entry_id: i64) -> Result<Option<Vec<String>>>;
    /// The remote ids of the latest message delivered for `meeting` on `target`, which a
    /// threaded target's next post replies to: the latest `post` row's (or `delete` row's, for
    /// a target that says in the thread what it deleted), or with `new_messages_for_edits` (a
    /// target that posts corrections as new messages) `edit` rows' too. Rows with no remote
    /// ids are passed over.
    fn latest_message(
        &self,
        target: &str,
        meeting: MeetingId,
        new_messages_for_edits: bool,
    ) -> Result<Option<Vec<String>>>;
    /// The title of `meeting` and the remote ids of its opening (`start`) post on `target`:
    /// `None` when that post has not been delivered there (still queued, refused for good, or
    /// the target was added later).
    fn opening_post(
        &self,
        target: &str,
        meeting: MeetingId,
    ) -> Result<Option<(String, Vec<String>)>>;
    /// How `entry_id`'s delivery rows stand: done, refused for good, and in all.
    fn delivery_tally(&self, entry_id: i64) -> Result<DeliveryTally>;
    /// Pending rows of `queue` for `target`.
    fn pending(&self, queue: Queue, target: &str) -> Result<u32>;
    /// The last error recorded on `target`'s oldest pending entry delivery.
    fn head_error(&self, target: &str) -> Result<Option<String>>;
    /// Entry delivery counts by (target, state), for metrics.
    fn delivery_counts(&self) -> Result<Vec<(String, String, u64)>>;

    /// Stores a notice and one pending delivery per target, unless a notice with `key` exists
    /// already (then nothing is written). Returns whether it was new.
    fn enqueue_notice(
        &self,
        key: &str,
        kind: &str,
        text: &str,
        targets: &[String],
        now: DateTime<Utc>,
    ) -> Result<bool>;
    /// Drops the still-pending deliveries of notices whose key starts with `prefix` but not
    /// with `keep` (when given): reminders for a withdrawn consultation, or for the date an
    /// extended one no longer closes on. Delivered rows are history and stay. Returns the rows
    /// dropped.
    fn drop_pending_notices(&self, prefix: &str, keep: Option<&str>) -> Result<usize>;
    /// The oldest pending notice for `target`, and whether another is pending behind it.
    fn next_notice_delivery_and_more(&self, target: &str)
    -> Result<(Option<NoticeDelivery>, bool)>;

    /// The oldest pending delivery for `target`, if any.
    fn next_delivery(&self, target: &str) -> Result<Option<Delivery>> {
        Ok(self.next_delivery_and_more(target)?.0)
    }
    /// The oldest pending notice for `target`, if any.
    fn next_notice_delivery(&self, target: &str) -> Result<Option<NoticeDelivery>> {
        Ok(self.next_notice_delivery_and_more(target)?.0)
    }
    /// Pending entry deliveries for `target`.
    fn queue_depth(&self, target: &str) -> Result<u32> {
        self.pending(Queue::Entries, target)
    }
    /// Pending notices for `target`.
    fn notice_queue_depth(&self, target: &str) -> Result<u32> {
        self.pending(Queue::Notices, target)
    }
}

/// Full-text search over published entries.
pub trait Search {
    /// Every word of `query` must match; search syntax in the query is treated as plain words.
    /// Newest first; `snippet` marks matches with [`HIT_START`] / [`HIT_END`].
    fn search(&self, query: &str, limit: u32) -> Result<Vec<SearchHit>>;
}

/// Signed checkpoints and the pinned status messages: small records kept beside the chain.
pub trait Records {
    fn save_checkpoint(&self, c: &Checkpoint) -> Result<()>;
    fn checkpoint(&self, meeting: MeetingId) -> Result<Option<Checkpoint>>;
    /// `target`'s status messages, oldest meeting first; `pending_only` keeps those not yet
    /// finalised.
    fn status_messages(&self, target: &str, pending_only: bool) -> Result<Vec<StatusMessage>>;
    fn status_message(&self, target: &str, meeting: MeetingId) -> Result<Option<StatusMessage>>;
    fn save_status_message(&self, s: &StatusMessage) -> Result<()>;
}

/// Health and copies.
pub trait Maintenance {
    /// Where the archive is, for people (a file path, or a database without its password).
    fn location(&self) -> String;
    /// Checks the archive is writable (for `/healthz`), writing nothing.
    fn check_writable(&self) -> Result<()>;
    /// Writes a consistent copy of the whole archive to the new file `dest` while Gavel runs
    /// (`gavel backup`).
    fn backup_to(&self, dest: &Path) -> Result<()>;
    /// Marks the archive as delivered from by this process for as long as the claim lives
    /// (`gavel run` holds it until it exits; the operating system or the database lets go when
    /// the process dies). `None` when another process holds a claim that excludes this one.
    /// An exclusive claim (`shared` false: one instance, or a command that needs Gavel
    /// stopped) excludes every other; shared claims (instances that divide the work by lease,
    /// see [`Leases`]) exclude only an exclusive one, so a lone instance never delivers beside
    /// instances that share.
    fn claim_runner(&self, shared: bool) -> Result<Option<RunnerClaim>>;
    /// A count that grows when any process commits entries or notices to this archive
    /// (PostgreSQL's `LISTEN`/`NOTIFY`), for instances sharing it to wake up on. A hint only:
    /// what is sent while the listening connection is down is lost, so waiters still poll.
    /// `None` where the engine has no such thing (SQLite: one process writes).
    fn changes(&self) -> Option<tokio::sync::watch::Receiver<u64>> {
        None
    }
}

/// Held by the one `gavel run` of an archive ([`Maintenance::claim_runner`]); dropping it lets
/// go.
pub struct RunnerClaim(#[allow(dead_code)] Box<dyn Send + Sync>);

impl RunnerClaim {
    pub(crate) fn new(held: impl Send + Sync + 'static) -> RunnerClaim {
        RunnerClaim(Box::new(held))
    }
}

/// One tenure of a lease: `token` grows each time the lease changes hands (or lapses and is
/// taken again), so it fences out a holder that stalled past its expiry.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Fence {
    pub lease: String,
    pub token: i64,
}

/// A lease as the archive holds it (for `/healthz`, `/metrics` and `--probe`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LeaseRecord {
    pub lease: String,
    pub holder: String,
    pub token: i64,
    pub expires_at: DateTime<Utc>,
    /// Not yet expired by the database's clock.
    pub live: bool,
}

/// Leases for several instances sharing one archive: each names a job only one instance may
/// do at a time (delivering to a target, reading a chat input, sending reminders). Expiry is
/// kept by the database's clock, so instances' clocks need not agree.
pub trait Leases {
    /// Takes `lease` for `holder` for `ttl` when it is free, expired, or `holder`'s already.
    /// A live lease renewed by its holder keeps its token; a lease taken (or retaken after it
    /// lapsed) gets a new, higher one. `None` while another holder's lease is live.
    fn acquire_lease(
        &self,
        lease: &str,
        holder: &str,
        ttl: std::time::Duration,
    ) -> Result<Option<Fence>>;
    /// Lets go of a lease this tenure holds, so another instance may take it at once.
    fn release_lease(&self, fence: &Fence, holder: &str) -> Result<()>;
    /// Every lease, by name.
    fn leases(&self) -> Result<Vec<LeaseRecord>>;
}

/// Where each chat input got to (the last Discord message handled per channel, the Matrix
/// sync token), kept in the archive so an instance that takes an input over resumes there.
pub trait Positions {
    fn position(&self, name: &str) -> Result<Option<String>>;
    /// Saves `value` as `name`'s position, only while `fence` (the input's lease) still holds:
    /// `false`, and nothing saved, once another instance has taken the input over.
    fn save_position(&self, name: &str, value: &str, fence: &Fence) -> Result<bool>;
}

/// Every role: what a running Gavel needs of its storage.
pub trait Store:
    Meetings
    + Leases
    + Positions
    + Entries
    + Deliveries
    + Search
    + Records
    + Maintenance
    + Transfer
    + Send
    + Sync
    + std::any::Any
{
}

/// The archive a running Gavel uses: whichever engine the config names, behind [`Store`].
/// It dereferences to the store, so every role's methods are called on it directly.
#[derive(Clone)]
pub struct Archive {
    store: Arc<dyn Store>,
}

impl std::ops::Deref for Archive {
    type Target = dyn Store;

    fn deref(&self) -> &Self::Target {
        &*self.store
    }
}

impl Archive {
    /// An archive over `store`, an engine already opened.
    pub fn new(store: Arc<dyn Store>) -> Archive {
        Archive { store }
    }

    /// Opens the archive at `location`: a `postgres://` or `postgresql://` URL (the shared
    /// engine; `password` overrides one in the URL, `schema` keeps one council's tables apart),
    /// or else the path of a SQLite file, created if needed.
    pub fn open_location(
        location: &str,
        password: Option<secrecy::SecretString>,
        schema: Option<&str>,
    ) -> Result<Archive> {
        if location.starts_with("postgres://") || location.starts_with("postgresql://") {
            let engine = postgres::PostgresArchive::connect(location, password, schema)?;
            Ok(Archive::new(Arc::new(engine)))
        } else {
            Archive::open(Path::new(location))
        }
    }

    /// Opens the archive at `path` (the embedded SQLite engine), creating it if needed.
    pub fn open(path: &Path) -> Result<Archive> {
        Ok(Archive::new(Arc::new(sqlite::SqliteArchive::open(path)?)))
    }

    /// The engine itself, when it is an `E`: for tests and benchmarks that need what only one
    /// engine offers (tampering with its rows, tuning it).
    pub fn engine<E: Store>(&self) -> Option<&E> {
        let any: &dyn std::any::Any = &*self.store;
        any.downcast_ref::<E>()
    }

    /// [`Entries::append_batch`] with a closure that returns a value.
    pub fn append_many<T>(&self, f: impl FnOnce(&mut dyn Batch) -> Result<T>) -> Result<T> {
        let mut f = Some(f);
        let mut out = None;
        self.append_batch(&mut |batch| {
            if let Some(f) = f.take() {
                out = Some(f(batch)?);
            }
            Ok(())
        })?;
        out.ok_or_else(|| ArchiveError::Corrupt("a batch ran without its appends".into()))
    }

    /// Verifies a meeting's chain over entries the caller has already read with
    /// [`Entries::entries`], sparing a second read (exports load and verify the same entries).
    pub fn verify_loaded(&self, id: MeetingId, entries: &[Entry]) -> Result<ChainReport> {
        let header = self.meeting_header(id)?;
        Ok(chain::check(id, &header, entries.iter().cloned().map(Ok)))
    }
}
