//! Which messages residents get answers to, and how often.

use super::*;
use crate::archive::Archive;
use crate::desk::{ClerkInput, DeskSettings, Reply};
use crate::domain::Author;
use chrono::TimeZone;

struct Fixture {
    _dir: tempfile::TempDir,
    desk: Arc<Desk>,
    residents: Residents,
    start: DateTime<Utc>,
}

fn settings(per_user: u64, per_room: u64) -> ResidentSettings {
    ResidentSettings {
        enabled: true,
        per_user: Duration::from_secs(per_user),
        per_room: Duration::from_secs(per_room),
    }
}

fn fixture(s: ResidentSettings) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let archive = Arc::new(Archive::open(&dir.path().join("g.db")).unwrap());
    let desk = Arc::new(
        Desk::new(
            archive,
            DeskSettings {
                prefix: "!".into(),
                timezone: chrono_tz::Europe::London,
                targets: vec!["web".into()],
                public_url: None,
                language: crate::i18n::Language::En,
            },
        )
        .unwrap(),
    );
    let start = Utc.with_ymd_and_hms(2026, 11, 25, 18, 0, 0).unwrap();
    Fixture {
        _dir: dir,
        residents: Residents::new(Arc::clone(&desk), s, start),
        desk,
        start,
    }
}

impl Fixture {
    /// `secs` after start.
    fn at(&self, secs: i64) -> DateTime<Utc> {
        self.start + TimeDelta::seconds(secs)
    }

    async fn clerk(&self, line: &str) {
        let input = ClerkInput {
            author: Author::new("console", "clerk", "Clerk"),
            text: line.into(),
            source: None,
        };
        let reply = self.desk.submit_at(input, self.at(1)).await;
        assert!(matches!(reply, Reply::Recorded { .. }), "{line}: {reply:?}");
    }

    /// `user` in `room` says `text` at `secs` after start (sent and read at the same moment).
    async fn ask(&self, room: &str, user: &str, text: &str, secs: i64) -> Option<String> {
        let asked = Asked {
            platform: "discord",
            room,
            user,
            text,
            sent: self.at(secs),
        };
        self.residents.answer(&asked, self.at(secs)).await
    }

    fn entries(&self) -> usize {
        let archive = self.desk.archive();
        archive
            .open_meeting()
            .unwrap()
            .map_or(0, |m| archive.entries(m).unwrap().len())
    }
}

#[test]
fn the_three_questions_are_recognised_in_any_case_with_nothing_after_them() {
    for (text, q) in [
        ("!now", Question::Now),
        ("  !NOW  ", Question::Now),
        ("! now", Question::Now),
        ("!Agenda", Question::Agenda),
        ("!consultations", Question::Consultations),
    ] {
        assert_eq!(Question::parse(text, "!"), Some(q), "{text:?}");
    }
    assert_eq!(Question::parse("?now", "?"), Some(Question::Now));
    for text in [
        "now",
        "what is happening !now",
        "!now please",
        "!agenda 5 Planning",
        "!consultations extra",
        "!nowt",
        "?now",
        "!",
    ] {
        assert_eq!(Question::parse(text, "!"), None, "{text:?}");
    }
}

#[tokio::test]
async fn now_names_the_current_item_and_agenda_and_consultations_answer_from_the_desk() {
    let f = fixture(settings(60, 10));
    assert_eq!(
        f.ask("r1", "a", "!now", 2).await.as_deref(),
        Some("No meeting is running.")
    );
    f.clerk("!start Planning Committee").await;
    f.clerk("!agenda 5 Planning application 24/01234/FUL").await;
    let now = f.ask("r2", "b", "!now", 2).await.unwrap();
    assert!(
        now.contains("item 5: Planning application 24/01234/FUL"),
        "{now}"
    );
    let agenda = f.ask("r3", "c", "!agenda", 2).await.unwrap();
    assert!(agenda.contains("Planning Committee"), "{agenda}");
    f.clerk("!consult https://example.org/plan Local Plan | closes=2027-01-31")
        .await;
    let open = f.ask("r4", "d", "!consultations", 2).await.unwrap();
    assert!(
        open.contains("Local Plan") && open.contains("https://example.org/plan"),
        "{open}"
    );
}

#[tokio::test]
async fn chatter_and_clerk_commands_from_a_target_room_get_nothing_and_record_nothing() {
    let f = fixture(settings(60, 10));
    f.clerk("!start Full Council").await;
    let before = f.entries();
    for (i, text) in [
        "hello everyone",
        "is the webcast working?",
        "!vote 1-0-0 carried",
        "!note I was here",
        "!agenda 5 Hijacked item",
        "!end",
        "!status",
        "!help",
    ]
    .into_iter()
    .enumerate()
    {
        // A different user and room each time: no rate limit is involved.
        let (room, user) = (format!("r{i}"), format!("u{i}"));
        assert_eq!(f.ask(&room, &user, text, 2).await, None, "{text:?}");
    }
    assert_eq!(f.entries(), before);
    // A clerk's id in a target room is a resident there too.
    assert_eq!(f.ask("r9", "clerk", "!end", 2).await, None);
    assert_eq!(f.entries(), before);
}

#[tokio::test]
async fn a_user_waits_out_the_per_user_limit_while_another_user_is_answered() {
    let f = fixture(settings(60, 10));
    assert!(f.ask("room", "alice", "!now", 0).await.is_some());
    // Past the room's wait, alice is still waiting but bob is answered.
    assert_eq!(f.ask("room", "alice", "!now", 15).await, None);
    assert!(f.ask("room", "bob", "!now", 20).await.is_some());
    // The per-user limit spans rooms and questions.
    assert_eq!(f.ask("elsewhere", "alice", "!agenda", 30).await, None);
    assert!(f.ask("elsewhere", "alice", "!agenda", 60).await.is_some());
}

#[tokio::test]
async fn a_room_gets_one_answer_per_window_whoever_asks() {
    let f = fixture(settings(60, 10));
    assert!(f.ask("room", "alice", "!now", 0).await.is_some());
    assert_eq!(f.ask("room", "bob", "!now", 5).await, None);
    assert!(f.ask("other room", "carol", "!now", 5).await.is_some());
    // Bob's silenced question did not take his turn or restart the room's wait.
    assert!(f.ask("room", "bob", "!now", 10).await.is_some());
}

#[tokio::test]
async fn the_same_ids_on_two_platforms_are_limited_separately() {
    let f = fixture(settings(60, 10));
    assert!(f.ask("1", "2", "!now", 0).await.is_some());
    let asked = Asked {
        platform: "matrix",
        room: "1",
        user: "2",
        text: "!now",
        sent: f.at(1),
    };
    assert!(f.residents.answer(&asked, f.at(1)).await.is_some());
}

#[tokio::test]
async fn questions_sent_before_the_start_or_long_ago_are_not_answered() {
    let f = fixture(settings(60, 10));
    let old = |sent: i64| Asked {
        platform: "discord",
        room: "room",
        user: "alice",
        text: "!now",
        sent: f.at(sent),
    };
    assert_eq!(f.residents.answer(&old(-5), f.at(1)).await, None);
    assert_eq!(f.residents.answer(&old(10), f.at(10 + 121)).await, None);
    // Neither used the turn: a fresh question is answered.
    assert!(f.residents.answer(&old(200), f.at(201)).await.is_some());
}

#[tokio::test]
async fn a_private_session_is_not_revealed_to_residents() {
    let f = fixture(settings(1, 1));
    f.clerk("!start Cabinet").await;
    f.clerk("!agenda 4 Budget").await;
    f.clerk("!vote 5-2-0 carried").await;
    f.clerk("!private exempt information").await;
    f.clerk("!agenda 9 Sale of the old depot to Acme Ltd").await;
    f.clerk("!vote 6-1-0 carried").await;
    let now = f.ask("room", "a", "!now", 2).await.unwrap();
    assert!(
        now.contains("item 4: Budget") && now.contains("public excluded"),
        "{now}"
    );
    assert!(!now.contains("depot") && !now.contains("6 for"), "{now}");
    let agenda = f.ask("room", "a", "!agenda", 4).await.unwrap();
    assert!(
        agenda.contains("4 Budget") && !agenda.contains("depot"),
        "{agenda}"
    );
}

#[test]
fn cooldowns_forget_finished_waits_first_then_the_oldest() {
    let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let at = |s: i64| t0 + TimeDelta::seconds(s);
    let mut c: Cooldowns<&str> = Cooldowns::new(Duration::from_secs(60), 3);
    c.mark("a", at(0));
    c.mark("b", at(30));
    c.mark("c", at(40));
    // Full at 70: a's wait is over, so only a goes.
    c.mark("d", at(70));
    assert_eq!(c.last.len(), 3);
    assert!(!c.last.contains_key("a"));
    assert!(!c.ready(&"b", at(70)) && !c.ready(&"c", at(70)));
    // Full at 75 with everyone still waiting: b, answered longest ago, is forgotten.
    c.mark("e", at(75));
    assert_eq!(c.last.len(), 3);
    assert!(c.ready(&"b", at(75)));
    assert!(!c.ready(&"c", at(75)) && !c.ready(&"d", at(75)) && !c.ready(&"e", at(75)));
    // Marking a key already held never evicts another.
    c.mark("e", at(80));
    assert_eq!(c.last.len(), 3);
}

#[test]
fn a_clock_stepped_back_does_not_lock_a_key_out() {
    let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap();
    let mut c: Cooldowns<&str> = Cooldowns::new(Duration::from_secs(60), 10);
    c.mark("a", t0);
    assert!(!c.ready(&"a", t0 + TimeDelta::seconds(59)));
    assert!(c.ready(&"a", t0 - TimeDelta::hours(1)));
}
