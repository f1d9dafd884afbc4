//! Meeting-state tests: commands that make no sense now are refused with a clear reason.

use super::*;
use crate::archive::sqlite::SqliteArchive;
use crate::domain::{Author, Entry};
use chrono::{Duration, TimeZone};

struct Fixture {
    _dir: tempfile::TempDir,
    desk: Desk,
    at: std::cell::Cell<DateTime<Utc>>,
}

fn fixture() -> Fixture {
    fixture_in(Language::En)
}

fn fixture_in(language: Language) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let archive = Arc::new(Archive::open(&dir.path().join("g.db")).unwrap());
    let desk = Desk::new(
        archive,
        DeskSettings {
            prefix: "!".into(),
            timezone: chrono_tz::Europe::London,
            targets: vec!["web".into(), "webhook:a".into()],
            public_url: None,
            language,
        },
    )
    .unwrap();
    Fixture {
        _dir: dir,
        desk,
        at: std::cell::Cell::new(Utc.with_ymd_and_hms(2026, 11, 25, 18, 0, 0).unwrap()),
    }
}

impl Fixture {
    async fn say_as(&self, who: &str, line: &str) -> Reply {
        let at = self.at.get() + Duration::seconds(30);
        self.at.set(at);
        let input = ClerkInput {
            author: Author::new("console", who, who),
            text: line.into(),
            source: None,
        };
        self.desk.submit_at(input, at).await
    }
    async fn say(&self, line: &str) -> Reply {
        self.say_as("clerk", line).await
    }
    async fn ok(&self, line: &str) -> Entry {
        match self.say(line).await {
            Reply::Recorded { entry, .. } => entry,
            other => panic!("{line:?} should be recorded, got {other:?}"),
        }
    }
    async fn refused(&self, line: &str) -> String {
        match self.say(line).await {
            Reply::Refused(s) => s,
            other => panic!("{line:?} should be refused, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_vote_with_no_meeting_open_is_refused() {
    let f = fixture();
    assert!(
        f.refused("!vote 3-1-0 carried")
            .await
            .contains("No meeting is open")
    );
}

#[tokio::test]
async fn starting_twice_is_refused_naming_the_open_meeting() {
    let f = fixture();
    f.ok("!start Full Council").await;
    assert!(f.refused("!start Cabinet").await.contains("Full Council"));
}

#[tokio::test]
async fn resume_when_not_in_recess_is_refused() {
    let f = fixture();
    f.ok("!start Full Council").await;
    assert!(f.refused("!resume").await.contains("not in recess"));
    f.ok("!recess 10").await;
    assert!(f.refused("!recess").await.contains("already in recess"));
    assert!(f.refused("!vote carried").await.contains("in recess"));
    f.ok("!resume").await;
    f.ok("!vote carried").await;
}

#[tokio::test]
async fn private_session_entries_are_confidential_and_get_no_deliveries() {
    let f = fixture();
    f.ok("!start Full Council").await;
    let p = f.ok("!private Exempt information").await;
    assert!(!p.confidential);
    assert!(p.text.starts_with("Public excluded at 18:"));
    let secret = f.say("!note Staffing matter").await;
    let Reply::Recorded {
        entry, deliveries, ..
    } = &secret
    else {
        panic!("{secret:?}")
    };
    assert!(entry.confidential);
    assert_eq!(*deliveries, 0);
    assert!(
        secret
            .to_clerk(Language::En)
            .unwrap()
            .contains("not published")
    );
    assert!(f.refused("!private").await.contains("already excluded"));
    let back = f.ok("!public").await;
    assert!(!back.confidential);
    assert!(f.refused("!public").await.contains("already public"));
}

#[tokio::test]
async fn fix_and_strike_refer_to_the_original_and_queue_edit_and_delete() {
    let f = fixture();
    f.ok("!start Full Council").await;
    let note = f.ok("!note Cllr Smith moved").await;
    let fix = f.ok("!fix 2 Cllr Smyth moved").await;
    assert_eq!(fix.kind(), EntryKind::Correction);
    assert_eq!(fix.refers_to, Some(note.seq));
    let strike = f.ok("!strike 2 wrong meeting").await;
    assert_eq!(strike.kind(), EntryKind::Withdrawal);
    assert!(
        f.refused("!fix 2 again")
            .await
            .contains("withdrawn already")
    );
    assert!(f.refused("!strike 1").await.contains("cannot be corrected"));
    assert!(f.refused("!fix 99 text").await.contains("no entry #99"));
    let ops: Vec<String> = SqliteArchive::sql(f.desk.archive(), |c| {
        let mut st = c
            .prepare("SELECT op FROM deliveries WHERE target = 'web' ORDER BY id")
            .unwrap();
        st.query_map([], |r| r.get(0))
            .unwrap()
            .map(|r| r.unwrap())
            .collect()
    });
    assert_eq!(ops, vec!["post", "post", "edit", "delete"]);
}

#[tokio::test]
async fn undo_withdraws_only_the_clerks_own_last_entry() {
    let f = fixture();
    f.ok("!start Full Council").await;
    f.ok("!note mine").await;
    assert!(matches!(
        f.say_as("deputy", "!note theirs").await,
        Reply::Recorded { .. }
    ));
    let undo = f.ok("!undo").await;
    assert_eq!(undo.refers_to, Some(EntryNo(2)));
    assert!(f.refused("!undo").await.contains("already withdrawn"));
    match f.say_as("other", "!undo").await {
        Reply::Refused(s) => assert!(s.contains("no entry"), "{s}"),
        r => panic!("{r:?}"),
    }
}

#[tokio::test]
async fn next_on_an_exempt_item_records_it_in_public_and_suggests_private() {
    let f = fixture_in(Language::EnCy);
    let mut exempt = PlannedItem::new("7", "Land at Station Road");
    exempt.exempt = true;
    let plan = crate::archive::MeetingPlan {
        title: "Planning Committee".into(),
        date: None,
        starts_at: None,
        source: None,
        items: vec![PlannedItem::new("6", "Minutes"), exempt.clone(), {
            exempt.number = "8".into();
            exempt
        }],
    };
    f.desk
        .archive()
        .schedule_meeting(&plan, chrono_tz::Europe::London, f.at.get())
        .unwrap();
    f.ok("!start").await;
    let Reply::Recorded { note: None, .. } = f.say("!next").await else {
        panic!("an ordinary item has no note")
    };
    let reply = f.say("!next").await;
    let Reply::Recorded { entry, note, .. } = &reply else {
        panic!("{reply:?}")
    };
    assert!(
        !entry.confidential,
        "nothing is excluded without the clerk's command"
    );
    assert!(
        entry.text.starts_with("Item 7: Land at Station Road"),
        "{}",
        entry.text
    );
    let said = reply.to_clerk(Language::EnCy).unwrap();
    assert!(
        said.contains("Item 7 is marked exempt") && said.contains("`!private <reason>`"),
        "{said}"
    );
    assert!(
        said.contains("Mae eitem 7 wedi'i nodi'n eithriedig"),
        "{said}"
    );
    assert!(note.is_some());
    // Once the public is excluded, there is nothing to suggest.
    f.ok("!private exempt information, paragraph 3").await;
    let Reply::Recorded {
        entry, note: None, ..
    } = f.say("!next").await
    else {
        panic!("the next exempt item, taken in private, has no note")
    };
    assert!(entry.confidential && entry.text.starts_with("Item 8"));
}

#[tokio::test]
async fn start_with_the_title_of_a_scheduled_meeting_takes_it_and_its_agenda() {
    let f = fixture();
    let today =
        f.at.get()
            .with_timezone(&chrono_tz::Europe::London)
            .date_naive();
    let plan = |title: &str, date, items: Vec<PlannedItem>| crate::archive::MeetingPlan {
        title: title.into(),
        date,
        starts_at: None,
        source: None,
        items,
    };
    let archive = f.desk.archive();
    let schedule = |p| {
        archive
            .schedule_meeting(&p, chrono_tz::Europe::London, f.at.get())
            .unwrap()
            .id()
    };
    let licensing = schedule(plan("Licensing Committee", Some(today), Vec::new()));
    let tomorrow = schedule(plan(
        "Planning Committee, tomorrow",
        today.succ_opt(),
        vec![PlannedItem::new("9", "Not today")],
    ));
    let planning = schedule(plan(
        "Planning Committee, today",
        Some(today),
        vec![PlannedItem::new("1", "Apologies")],
    ));
    let started = f.ok("!start planning committee").await;
    assert_eq!(started.meeting, planning, "{licensing} {tomorrow}");
    assert!(
        started.text.contains("Planning Committee, today"),
        "{}",
        started.text
    );
    assert_eq!(f.ok("!next").await.text, "Item 1: Apologies");
    f.ok("!end").await;
    // A title that names no scheduled meeting starts a new one, as before.
    let new = f.ok("!start Planning Committee B").await;
    assert!(![licensing, tomorrow, planning].contains(&new.meeting));
}

#[tokio::test]
async fn scheduled_meeting_starts_without_title_and_next_walks_its_agenda() {
    let f = fixture();
    let items = vec![
        PlannedItem::new("1", "Apologies"),
        PlannedItem::new("2", "Minutes"),
    ];
    f.desk
        .archive()
        .schedule_meeting(
            &crate::archive::MeetingPlan {
                title: "Cabinet".into(),
                date: None,
                starts_at: None,
                source: None,
                items,
            },
            chrono_tz::Europe::London,
            f.at.get(),
        )
        .unwrap();
    assert_eq!(f.ok("!start").await.text, "Meeting started: Cabinet");
    assert_eq!(f.ok("!next").await.text, "Item 1: Apologies");
    assert_eq!(f.ok("!next").await.text, "Item 2: Minutes");
    assert!(f.refused("!next").await.contains("last item"));
    match f.say("!agenda").await {
        Reply::Info(s) => assert!(s.contains("▶ 2 Minutes"), "{s}"),
        r => panic!("{r:?}"),
    }
}

#[tokio::test]
async fn state_is_rebuilt_from_the_archive_after_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.db");
    let settings = DeskSettings {
        prefix: "!".into(),
        timezone: chrono_tz::Europe::London,
        targets: vec![],
        public_url: None,
        language: crate::i18n::Language::En,
    };
    async fn say(d: &Desk, l: &str) -> Reply {
        let input = ClerkInput {
            author: Author::new("console", "clerk", "Clerk"),
            text: l.into(),
            source: None,
        };
        d.submit(input).await
    }
    {
        let d = Desk::new(Arc::new(Archive::open(&path).unwrap()), settings.clone()).unwrap();
        say(&d, "!start Full Council").await;
        say(&d, "!recess").await;
    }
    let d = Desk::new(Arc::new(Archive::open(&path).unwrap()), settings).unwrap();
    assert!(matches!(say(&d, "!resume").await, Reply::Recorded { .. }));
    assert!(matches!(say(&d, "!end").await, Reply::Recorded { .. }));
    assert!(matches!(say(&d, "!note x").await, Reply::Refused(_)));
}

#[tokio::test]
async fn consultations_are_numbered_extended_and_withdrawn() {
    let f = fixture();
    f.ok("!start Full Council").await;
    f.ok("!consult https://example.gov.uk/lp Local Plan | closes=2027-01-31")
        .await;
    f.ok("!consult https://example.gov.uk/bus Bus lanes | closes=2027-02-28")
        .await;
    assert!(
        f.refused("!consult extend 1 2027-01-20")
            .await
            .contains("already closes 31 January 2027; an extension needs a later date")
    );
    f.ok("!private Exempt information").await;
    for line in ["!consult extend 1 2027-03-15", "!consult withdraw 2"] {
        assert!(f.refused(line).await.contains("after `!public`"), "{line}");
    }
    f.ok("!public").await;
    f.ok("!consult extend 1 2027-03-15").await;
    f.ok("!consult withdraw 2").await;
    match f.say("!consultations").await {
        Reply::Info(s) => {
            assert!(s.contains("C1 Local Plan"), "{s}");
            assert!(s.contains("15 March 2027"), "{s}");
            assert!(!s.contains("Bus lanes"), "{s}");
        }
        r => panic!("{r:?}"),
    }
    assert!(
        f.refused("!consult extend 2 2027-04-01")
            .await
            .contains("withdrawn")
    );
    assert!(
        f.refused("!consult withdraw 9")
            .await
            .contains("no consultation C9")
    );
}

#[tokio::test]
async fn status_reports_the_meeting_state() {
    let f = fixture();
    f.ok("!start Full Council").await;
    f.ok("!agenda 5 Planning").await;
    match f.say("!status").await {
        Reply::Info(s) => {
            assert!(s.contains("Full Council"), "{s}");
            assert!(s.contains("Current item: 5 Planning"), "{s}");
        }
        r => panic!("{r:?}"),
    }
}

#[tokio::test]
async fn a_welsh_council_gets_welsh_entries_acknowledgements_and_help() {
    let f = fixture_in(Language::Cy);
    let started = f.say("!start Cyngor Llawn").await;
    assert_eq!(
        started.to_clerk(Language::Cy).unwrap(),
        "#1 wedi'i gofnodi, yn ei anfon i 2 · Cyfarfod wedi dechrau: Cyngor Llawn"
    );
    assert_eq!(
        f.ok("!vote 32-10-3 carried").await.text,
        "Pleidlais: wedi'i chario — 32 o blaid, 10 yn erbyn, 3 yn ymatal"
    );
    let help = match f.say("!help").await {
        Reply::Info(s) => s,
        r => panic!("{r:?}"),
    };
    assert!(help.starts_with("Gorchmynion: !start !end"), "{help}");
    assert!(
        help.ends_with("!help <gorchymyn> am fanylion un ohonynt."),
        "{help}"
    );
    let vote_help = match f.say("!help vote").await {
        Reply::Info(s) => s,
        r => panic!("{r:?}"),
    };
    assert!(vote_help.ends_with("— canlyniad pleidlais"), "{vote_help}");
    assert!(
        vote_help.starts_with("!vote <o blaid>-<yn erbyn>"),
        "{vote_help}"
    );
    let refused = f.say("!resume").await;
    assert_eq!(
        refused.to_clerk(Language::Cy).unwrap(),
        "Heb ei gofnodi: Nid yw'r cyfarfod ar doriad, felly nid oes dim i'w ailddechrau."
    );
    let parse_error = f.refused("!recess soon").await;
    assert!(
        parse_error.starts_with(
            "Nid yw `soon` yn nifer o funudau (1 i 1440). Disgwylir: !recess [munudau]"
        ),
        "{parse_error}"
    );
    let now = match f.say("!now").await {
        Reply::Info(s) => s,
        r => panic!("{r:?}"),
    };
    assert_eq!(
        now,
        "Nawr: “Cyngor Llawn”. Pleidlais ddiwethaf: Pleidlais: wedi'i chario — 32 o blaid, 10 yn erbyn, 3 yn ymatal."
    );
}

#[tokio::test]
async fn an_en_cy_council_gets_both_languages_english_first() {
    let f = fixture_in(Language::EnCy);
    let e = f.ok("!start Full Council").await;
    assert_eq!(
        e.text,
        "Meeting started: Full Council\nCyfarfod wedi dechrau: Full Council"
    );
    f.ok("!recess 10").await;
    let status = match f.say("!status").await {
        Reply::Info(s) => s,
        r => panic!("{r:?}"),
    };
    let (en, cy) = status
        .split_once("\nMae cyfarfod")
        .expect("Welsh after English");
    assert!(
        en.starts_with("Meeting 1 “Full Council” is open, in recess."),
        "{en}"
    );
    assert!(cy.contains("ar agor, ar doriad."), "{cy}");
    let refused = f.say("!motion That the report be noted").await;
    assert_eq!(
        refused.to_clerk(Language::EnCy).unwrap(),
        "Not recorded / Heb ei gofnodi: The meeting is in recess. Use `!resume` first.\nMae'r cyfarfod ar doriad. Defnyddiwch `!resume` yn gyntaf."
    );
}

fn with_roster(f: Fixture) -> Fixture {
    let roster = crate::roster::Roster::parse(
        "[[councillor]]\nname = \"Ann Lee\"\n[[councillor]]\nname = \"Bob Roy\"\n\
         [[councillor]]\nname = \"Cy Dee\"\n[[councillor]]\nname = \"Dilys Lee\"\n",
    )
    .unwrap();
    Fixture {
        desk: f.desk.with_roster(Arc::new(roster)),
        ..f
    }
}

#[tokio::test]
async fn with_a_roster_a_recorded_vote_names_councillors_as_the_roster_does() {
    let f = with_roster(fixture());
    f.ok("!start Planning").await;
    let entry = f
        .ok("!vote 2-1-0 carried | for=cllr ann lee, Roy | against=cy dee")
        .await;
    let Payload::Vote(vote) = &entry.payload else {
        panic!("{:?}", entry.payload)
    };
    let roll = vote.roll.as_ref().unwrap();
    assert_eq!(roll.for_, ["Ann Lee", "Bob Roy"]);
    assert_eq!(roll.against, ["Cy Dee"]);
    assert!(
        entry.text.contains("Ann Lee") && !entry.text.contains("cllr"),
        "{}",
        entry.text
    );
}

#[tokio::test]
async fn with_a_roster_an_unknown_or_ambiguous_name_records_nothing() {
    let f = with_roster(fixture());
    f.ok("!start Planning").await;
    let typo = f.refused("!vote carried | for=Ann Leigh, Roy").await;
    assert!(typo.contains("did you mean Ann Lee"), "{typo}");
    let both = f.refused("!vote carried | for=Lee, Roy").await;
    assert!(both.contains("Ann Lee, Dilys Lee"), "{both}");
    let twice = f.refused("!vote carried | for=Roy, Bob Roy").await;
    assert!(twice.contains("Bob Roy is named more than once"), "{twice}");
    let nobody = f.refused("!vote carried | for=Zebedee").await;
    assert!(nobody.contains("not on the council's roster"), "{nobody}");
    // A show of hands and a casting vote by the chair need no roster names.
    f.ok("!vote 3-3-0 carried | casting=chair").await;
    assert_eq!(
        f.desk.archive().entry_count().unwrap(),
        2,
        "only !start and the one good vote are archived"
    );
}

/// Two desks on one archive, as two instances sharing it would have.
fn two_desks(shared: bool) -> (tempfile::TempDir, Arc<Desk>, Arc<Desk>) {
    let dir = tempfile::tempdir().unwrap();
    let archive = Arc::new(Archive::open(&dir.path().join("g.db")).unwrap());
    let (a, b) = (desk_on(&archive, shared), desk_on(&archive, shared));
    (dir, a, b)
}

fn desk_on(archive: &Arc<Archive>, shared: bool) -> Arc<Desk> {
    let d = Desk::new(
        Arc::clone(archive),
        DeskSettings {
            prefix: "!".into(),
            timezone: chrono_tz::Europe::London,
            targets: vec!["web".into()],
            public_url: None,
            language: Language::En,
        },
    )
    .unwrap();
    Arc::new(if shared { d.shared() } else { d })
}

fn line(who: &str, text: &str) -> ClerkInput {
    ClerkInput {
        author: Author::new("api", who, who),
        text: text.into(),
        source: None,
    }
}

#[tokio::test]
async fn a_desk_decides_on_what_another_instance_recorded() {
    let (_dir, a, b) = two_desks(true);
    assert!(matches!(
        a.submit(line("ann", "!start Full Council")).await,
        Reply::Recorded { .. }
    ));
    // The other instance's desk sees the meeting it did not open.
    assert!(matches!(
        b.submit(line("bob", "!start Cabinet")).await,
        Reply::Refused(s) if s.contains("Full Council")
    ));
    assert!(matches!(
        b.submit(line("bob", "!recess")).await,
        Reply::Recorded { .. }
    ));
    // ... and the first desk sees the recess the second recorded.
    assert!(matches!(
        a.submit(line("ann", "!vote 3-2-0 carried")).await,
        Reply::Refused(_)
    ));
    assert!(a.clerk_view().await.in_recess);
}

#[tokio::test]
async fn a_stale_desk_decides_again_instead_of_recording_on_an_old_state() {
    // Not told it shares the archive, the second desk's state goes stale: its append is
    // refused by the archive and the command decided again on the state as it now is.
    let (_dir, a, _) = two_desks(false);
    a.submit(line("ann", "!start Full Council")).await;
    let b = desk_on(a.archive(), false);
    assert!(matches!(
        b.submit(line("bob", "!note from the second desk")).await,
        Reply::Recorded { .. }
    ));
    a.submit(line("ann", "!recess")).await;
    assert!(
        matches!(b.submit(line("bob", "!vote 3-2-0 carried")).await, Reply::Refused(s) if s.contains("recess")),
        "the vote is refused on the recess recorded elsewhere"
    );
    let entries = a.archive().entries(MeetingId(1)).unwrap();
    let seqs: Vec<u32> = entries.iter().map(|e| e.seq.0).collect();
    assert_eq!(seqs, vec![1, 2, 3]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn clerks_on_two_instances_at_once_number_contiguously() {
    let (_dir, a, b) = two_desks(true);
    a.submit(line("ann", "!start Full Council")).await;
    let mut tasks = Vec::new();
    for (desk, who) in [(a.clone(), "ann"), (b.clone(), "bob")] {
        tasks.push(tokio::spawn(async move {
            for i in 0..100 {
                let r = desk.submit(line(who, &format!("!note {who} {i}"))).await;
                assert!(matches!(r, Reply::Recorded { .. }), "{r:?}");
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let archive = a.archive();
    let entries = archive.entries(MeetingId(1)).unwrap();
    assert_eq!(entries.len(), 201);
    assert!(
        entries
            .iter()
            .enumerate()
            .all(|(i, e)| e.seq.0 == i as u32 + 1)
    );
    assert!(
        archive
            .verify(None)
            .unwrap()
            .iter()
            .all(|r| r.problem.is_none())
    );
}
