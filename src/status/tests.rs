//! The status board against the memory sink, on tokio's paused clock: pacing and coalescing
//! are counted in edits and measured on the virtual clock, never on the wall clock.

use super::*;
use crate::desk::{ClerkInput, Desk, DeskSettings, Reply};
use crate::domain::Author;
use crate::platform::memory::{MemoryEvent, MemorySink};
use crate::sink::Capabilities;

const INTERVAL: Duration = Duration::from_secs(3);

struct Running {
    desk: Desk,
    sink: Arc<MemorySink>,
    tracker: TaskTracker,
    stop: CancellationToken,
}

impl Running {
    /// A desk and a status board over the archive at `path`, the board's tasks running.
    fn start(path: &std::path::Path, language: Language) -> Running {
        let sink = Arc::new(MemorySink::default());
        Running::with_sink(path, language, Arc::clone(&sink) as Arc<dyn Sink>, sink)
    }

    /// As [`Running::start`], with `target` as the board's one target; `sink` records.
    fn with_sink(
        path: &std::path::Path,
        language: Language,
        target: Arc<dyn Sink>,
        sink: Arc<MemorySink>,
    ) -> Running {
        let archive = Arc::new(Archive::open(path).unwrap());
        let board = StatusBoard::new(
            Arc::clone(&archive),
            vec![("memory".into(), target)],
            StatusOptions {
                language,
                public_url: Some(Url::parse("https://council.example/").unwrap()),
                min_edit_interval: INTERVAL,
                retry: RetryPolicy::default(),
            },
        );
        let desk = Desk::new(
            archive,
            DeskSettings {
                prefix: "!".into(),
                timezone: chrono_tz::Europe::London,
                targets: vec!["memory".into()],
                public_url: None,
                language: crate::i18n::Language::En,
            },
        )
        .unwrap()
        .with_waker(Arc::clone(&board) as Arc<dyn DeliveryWaker>);
        let (tracker, stop) = (TaskTracker::new(), CancellationToken::new());
        board.spawn(&tracker, stop.clone());
        Running {
            desk,
            sink,
            tracker,
            stop,
        }
    }

    async fn say(&self, line: &str) {
        let reply = self
            .desk
            .submit(ClerkInput {
                author: Author::new("console", "clerk", "Clerk"),
                text: line.into(),
                source: None,
            })
            .await;
        assert!(matches!(reply, Reply::Recorded { .. }), "{line}: {reply:?}");
    }

    async fn stop(self) {
        self.stop.cancel();
        self.tracker.close();
        self.tracker.wait().await;
    }

    fn edits(&self) -> Vec<String> {
        self.sink
            .events()
            .into_iter()
            .filter_map(|e| match e {
                MemoryEvent::Edit { text, .. } => Some(text),
                _ => None,
            })
            .collect()
    }

    fn posts(&self) -> usize {
        self.sink
            .events()
            .iter()
            .filter(|e| matches!(e, MemoryEvent::Post { .. }))
            .count()
    }
}

/// Lets the board's tasks run for `secs` of virtual time.
async fn settle(secs: u64) {
    tokio::time::sleep(Duration::from_secs(secs)).await;
}

#[tokio::test(start_paused = true)]
async fn the_status_is_posted_and_pinned_when_the_meeting_starts() {
    let dir = tempfile::tempdir().unwrap();
    let r = Running::start(&dir.path().join("g.db"), Language::En);
    r.say("!start Full Council").await;
    settle(1).await;
    assert_eq!(
        r.sink.events(),
        vec![
            MemoryEvent::Post {
                id: "m1".into(),
                key: status_key(MeetingId(1), "memory", "post").part(0),
                text: "Now: Full Council\nFollow live: https://council.example/meetings/1".into(),
            },
            MemoryEvent::Pin { id: "m1".into() },
        ]
    );
    r.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_burst_of_ten_commands_costs_at_most_two_edits_ending_on_the_latest_state() {
    let dir = tempfile::tempdir().unwrap();
    let r = Running::start(&dir.path().join("g.db"), Language::En);
    r.say("!start Full Council").await;
    settle(10).await;
    for i in 1..=5 {
        r.say(&format!("!agenda {i} Item number {i}")).await;
        r.say(&format!("!vote {i}-0-0 carried")).await;
    }
    settle(10).await;
    let edits = r.edits();
    assert!(
        (1..=2).contains(&edits.len()),
        "a burst of 10 commands gave {} edits: {edits:#?}",
        edits.len()
    );
    let last = edits.last().unwrap();
    assert!(last.contains("Item 5: Item number 5"), "{last}");
    assert!(
        last.contains("Latest: Vote: carried — 5 for, 0 against, 0 abstentions"),
        "{last}"
    );
    assert_eq!(r.posts(), 1);
    r.stop().await;
}

#[tokio::test(start_paused = true)]
async fn the_first_change_is_sent_at_once_and_later_ones_wait_for_the_interval() {
    let dir = tempfile::tempdir().unwrap();
    let r = Running::start(&dir.path().join("g.db"), Language::En);
    r.say("!start Full Council").await;
    settle(10).await;
    let first_at = Instant::now();
    r.say("!agenda 1 Apologies").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(r.edits().len(), 1, "the first change is edited at once");
    r.say("!agenda 2 Minutes").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    r.say("!agenda 3 Budget").await;
    assert_eq!(r.edits().len(), 1, "changes within the interval wait");
    settle(10).await;
    let edits = r.edits();
    assert_eq!(edits.len(), 2, "{edits:#?}");
    assert!(edits[0].contains("Item 1: Apologies"), "{}", edits[0]);
    assert!(edits[1].contains("Item 3: Budget"), "{}", edits[1]);
    // Attempts: post, pin, then the two edits.
    let times = r.sink.attempt_times();
    assert_eq!(times.len(), 4);
    assert_eq!(times[2], first_at, "the first edit did not wait");
    assert!(times[3] - times[2] >= INTERVAL, "{:?}", times[3] - times[2]);
    r.stop().await;
}

#[tokio::test(start_paused = true)]
async fn end_finalises_the_status_with_the_transcript_link_and_unpins_it() {
    let dir = tempfile::tempdir().unwrap();
    let r = Running::start(&dir.path().join("g.db"), Language::En);
    r.say("!start Full Council").await;
    r.say("!agenda 4 Planning").await;
    r.say("!vote 32-10-3 carried").await;
    settle(10).await;
    r.say("!end").await;
    settle(10).await;
    let events = r.sink.events();
    let n = events.len();
    assert_eq!(
        events[n - 2..],
        [
            MemoryEvent::Edit {
                ids: vec!["m1".into()],
                text: "Meeting ended: Full Council\nTranscript: https://council.example/meetings/1"
                    .into()
            },
            MemoryEvent::Unpin { id: "m1".into() },
        ],
        "{events:#?}"
    );
    // A later meeting gets its own status; the finished one is left alone.
    r.say("!start Cabinet").await;
    settle(10).await;
    let later = r.sink.events();
    assert!(
        matches!(&later[n..], [MemoryEvent::Post { text, .. }, MemoryEvent::Pin { .. }] if text.starts_with("Now: Cabinet")),
        "{later:#?}"
    );
    r.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_restart_edits_the_status_it_posted_instead_of_posting_a_second_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.db");
    let first = Running::start(&path, Language::En);
    first.say("!start Full Council").await;
    first.say("!agenda 1 Apologies").await;
    settle(10).await;
    assert_eq!(first.posts(), 1);
    first.stop().await;

    let second = Running::start(&path, Language::En);
    settle(10).await;
    assert_eq!(
        second.sink.events(),
        vec![],
        "nothing changed, so nothing is sent"
    );
    second.say("!agenda 2 Minutes").await;
    settle(10).await;
    assert_eq!(
        second.sink.events(),
        vec![MemoryEvent::Edit {
            ids: vec!["m1".into()],
            text: "Now: Full Council\nItem 2: Minutes\nFollow live: https://council.example/meetings/1"
                .into()
        }]
    );
    second.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_failed_edit_is_retried_with_the_latest_text() {
    let dir = tempfile::tempdir().unwrap();
    let r = Running::start(&dir.path().join("g.db"), Language::En);
    r.say("!start Full Council").await;
    settle(10).await;
    r.sink
        .fail_next([SinkError::after(Duration::from_secs(5), "rate limited")]);
    r.say("!agenda 1 Apologies").await;
    settle(1).await;
    r.say("!agenda 2 Minutes").await;
    settle(20).await;
    let edits = r.edits();
    assert_eq!(edits.len(), 1, "{edits:#?}");
    assert!(edits[0].contains("Item 2: Minutes"), "{}", edits[0]);
    r.stop().await;
}

/// A platform that posts and edits but refuses every pin for good (Discord's 50-pin limit).
struct RefusesPins(Arc<MemorySink>);

#[async_trait::async_trait]
impl Sink for RefusesPins {
    fn capabilities(&self) -> Capabilities {
        self.0.capabilities()
    }
    async fn post(&self, msg: &crate::sink::Outgoing<'_>) -> Result<Vec<String>, SinkError> {
        self.0.post(msg).await
    }
    async fn post_notice(&self, notice: &Notice) -> Result<Vec<String>, SinkError> {
        self.0.post_notice(notice).await
    }
    async fn edit_notice(
        &self,
        remote: &[String],
        notice: &Notice,
    ) -> Result<Vec<String>, SinkError> {
        self.0.edit_notice(remote, notice).await
    }
    async fn pin(&self, _remote: &str) -> Result<(), SinkError> {
        Err(SinkError::permanent("Maximum number of pins reached (50)"))
    }
}

#[tokio::test(start_paused = true)]
async fn a_refused_pin_does_not_stop_the_status_being_kept_up_to_date() {
    let dir = tempfile::tempdir().unwrap();
    let memory = Arc::new(MemorySink::default());
    let r = Running::with_sink(
        &dir.path().join("g.db"),
        Language::En,
        Arc::new(RefusesPins(Arc::clone(&memory))),
        memory,
    );
    r.say("!start Full Council").await;
    settle(10).await;
    r.say("!agenda 1 Apologies").await;
    settle(10).await;
    r.say("!agenda 2 Minutes").await;
    settle(10).await;
    assert_eq!(r.posts(), 1);
    assert_eq!(r.edits().len(), 2, "{:#?}", r.sink.events());
    r.stop().await;
}

#[test]
fn a_private_session_shows_nothing_of_the_exempt_business() {
    let dir = tempfile::tempdir().unwrap();
    let archive = Archive::open(&dir.path().join("g.db")).unwrap();
    let desk = Desk::new(
        Arc::new(archive),
        DeskSettings {
            prefix: "!".into(),
            timezone: chrono_tz::Europe::London,
            targets: vec![],
            public_url: None,
            language: crate::i18n::Language::En,
        },
    )
    .unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let say = |line: &str| {
        let reply = rt.block_on(desk.submit(ClerkInput {
            author: Author::new("console", "clerk", "Clerk"),
            text: line.into(),
            source: None,
        }));
        assert!(matches!(reply, Reply::Recorded { .. }), "{line}: {reply:?}");
    };
    say("!start Cabinet");
    say("!agenda 7 Budget");
    say("!vote 5-0-0 carried");
    say("!private commercial interests");
    say("!agenda 8 Sale of the depot at Mill Lane");
    say("!vote 4-1-0 carried");
    let st = desk::public_state(desk.archive(), MeetingId(1))
        .unwrap()
        .unwrap();
    let text = status_text(&st, Language::En, None);
    assert_eq!(
        text,
        "Now: Cabinet\nLatest: Vote: carried — 5 for, 0 against, 0 abstentions\nPrivate session: the public is excluded and nothing is being published"
    );
    assert!(!text.contains("depot") && !text.contains("4 for"));
    say("!public");
    let st = desk::public_state(desk.archive(), MeetingId(1))
        .unwrap()
        .unwrap();
    assert!(
        !status_text(&st, Language::En, None).contains("depot"),
        "an item taken in private stays hidden after the public return"
    );
    say("!agenda 9 Parks");
    say("!strike 8 wrong item");
    let st = desk::public_state(desk.archive(), MeetingId(1))
        .unwrap()
        .unwrap();
    assert_eq!(st.item, None, "a withdrawn item is not shown");
}

#[test]
fn a_bilingual_council_reads_english_then_welsh() {
    let st = PublicState {
        meeting: MeetingId(3),
        title: "Full Council".into(),
        item: Some(("5".into(), "Planning".into())),
        last_vote: None,
        in_recess: true,
        private: false,
        ended: false,
    };
    let url = Url::parse("https://council.example").unwrap();
    assert_eq!(
        status_text(&st, Language::EnCy, Some(&url)),
        "Now: Full Council\nItem 5: Planning\nIn recess\nFollow live: https://council.example/meetings/3\n\n\
         Nawr: Full Council\nEitem 5: Planning\nAr egwyl\nDilynwch yn fyw: https://council.example/meetings/3"
    );
    let ended = PublicState { ended: true, ..st };
    assert_eq!(
        status_text(&ended, Language::Cy, Some(&url)),
        "Daeth y cyfarfod i ben: Full Council\nTrawsgrifiad: https://council.example/meetings/3"
    );
}
