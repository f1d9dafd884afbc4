//! Builds realistic meetings by driving a real [`Desk`] on a temporary SQLite archive with a
//! fixed clock, exactly as a clerk would.

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use tempfile::TempDir;

use crate::archive::Archive;
use crate::desk::{ClerkInput, Desk, DeskSettings, Reply};
use crate::domain::{Author, Entry, MeetingId};
use crate::export::ExportContext;
use crate::signing::Signer;

/// Text recorded during the private session; it must never appear in any export.
pub const SECRET: &str = "CONFIDENTIAL";

pub struct Meeting {
    pub _dir: TempDir,
    pub archive: Arc<Archive>,
    pub id: MeetingId,
}

pub fn context() -> ExportContext {
    ExportContext {
        council_name: "Example Borough Council".into(),
        public_url: Some("https://gavel.example.gov.uk/".into()),
        generated_at: Utc.with_ymd_and_hms(2026, 11, 26, 9, 0, 0).unwrap(),
        language: crate::i18n::Language::En,
    }
}

struct Clerk {
    desk: Desk,
    at: std::cell::Cell<DateTime<Utc>>,
}

impl Clerk {
    /// Says `line` `secs` seconds after the previous line and expects it recorded.
    async fn after(&self, secs: i64, line: &str) -> Entry {
        let at = self.at.get() + Duration::seconds(secs);
        self.at.set(at);
        let input = ClerkInput {
            author: Author::new("console", "clerk-1", "Democratic Services"),
            text: line.into(),
            source: None,
        };
        match self.desk.submit_at(input, at).await {
            Reply::Recorded { entry, .. } => entry,
            other => panic!("{line:?} should be recorded, got {other:?}"),
        }
    }
    async fn say(&self, line: &str) -> Entry {
        self.after(97, line).await
    }
}

fn clerk(start: DateTime<Utc>) -> (TempDir, Clerk) {
    let dir = tempfile::tempdir().unwrap();
    let archive = Arc::new(Archive::open(&dir.path().join("gavel.db")).unwrap());
    let desk = Desk::new(
        archive,
        DeskSettings {
            prefix: "!".into(),
            timezone: chrono_tz::Europe::London,
            targets: vec!["web".into()],
            public_url: Some("https://gavel.example.gov.uk".into()),
            language: crate::i18n::Language::En,
        },
    )
    .unwrap();
    (
        dir,
        Clerk {
            desk,
            at: std::cell::Cell::new(start),
        },
    )
}

/// A full council meeting: 15 agenda items, motions with movers and seconders, a recorded
/// vote, show-of-hands votes, a lost vote, two consultations, a recess, a private session, a
/// correction, a withdrawal and a webcast mark; closed and signed.
pub async fn council_meeting() -> Meeting {
    let (dir, c) = clerk(Utc.with_ymd_and_hms(2026, 11, 25, 17, 58, 0).unwrap());
    let start = c.after(120, "!start Full Council").await;
    c.after(
        45,
        "!webcast https://webcast.example.gov.uk/full-council-2026-11-25",
    )
    .await;
    c.say("!link https://example.gov.uk/papers/full-council-2026-11-25 Agenda and papers")
        .await;
    c.say("!agenda 1 Apologies for absence").await;
    c.after(
        30,
        "!note Apologies were received from Cllr Patel and Cllr Hughes.",
    )
    .await;
    c.say("!agenda 2 Declarations of interest").await;
    c.say("!note Cllr Evans declared a personal interest in item 9.")
        .await;
    c.say("!agenda 3 Minutes of the meeting held on 23 September 2026")
        .await;
    c.say("!motion That the minutes be approved as a correct record | mover=Cllr Jones | seconder=Cllr Ahmed").await;
    c.after(40, "!vote carried").await;
    c.say("!agenda 4 Mayor's announcements").await;
    c.after(20, "!speaker The Mayor").await;
    c.say("!note The Mayor thanked staff & volunteers for the Remembrance Sunday arrangements.")
        .await;
    c.say("!agenda 5 Public questions").await;
    c.after(
        300,
        "!note Three questions were received; written answers will be published.",
    )
    .await;
    c.say("!agenda 6 Draft Local Plan").await;
    c.say("!consult https://example.gov.uk/local-plan Draft Local Plan | closes=2027-01-31")
        .await;
    c.after(60, "!speaker Cllr Jones").await;
    c.say("!note Cllr Jones said the plan allocates 4,200 homes and protects the green belt.")
        .await;
    c.say("!agenda 7 Budget monitoring: quarter 2").await;
    c.say("!motion To note the quarter 2 budget monitoring report | mover=Cllr Ahmed | seconder=Cllr Jones").await;
    c.after(
        240,
        "!vote 7-2-1 carried | for=Cllr Ahmed, Cllr Jones, Cllr Evans, Cllr Smith, Cllr Brown, Cllr Green, Cllr White | against=Cllr Black, Cllr Grey | abstain=Cllr Patel",
    )
    .await;
    c.say("!agenda 8 Bus lanes on the High Street").await;
    c.say("!consult https://example.gov.uk/bus-lanes Bus lane proposals | closes=2027-02-28")
        .await;
    let typo = c
        .say("!note Cllr Smyth asked about <b>cycle</b> access & parking.")
        .await;
    c.after(
        50,
        &format!(
            "!fix {} Cllr Smith asked about cycle access and parking.",
            typo.seq.0
        ),
    )
    .await;
    c.say("!recess 10").await;
    c.after(660, "!resume").await;
    c.after(30, "!agenda 9 Leisure centre contract").await;
    c.after(
        20,
        "!private Exempt information under paragraph 3 of Schedule 12A",
    )
    .await;
    c.say(&format!(
        "!note {SECRET} tender scores: Bidder A 71, Bidder B 64."
    ))
    .await;
    c.say(&format!(
        "!motion {SECRET} award the contract to Bidder A | mover=Cllr Ahmed | seconder=Cllr Jones"
    ))
    .await;
    c.say("!vote 8-1-0 carried").await;
    c.after(900, "!public").await;
    c.say("!note The contract decision will be published on the council's website.")
        .await;
    c.say("!agenda 10 Notice of motion: climate emergency")
        .await;
    c.say("!motion That the council declares a climate emergency | mover=Cllr Green | seconder=Cllr White").await;
    c.after(420, "!vote 4-6-0 lost").await;
    c.say("!agenda 11 Questions to Cabinet members").await;
    let wrong = c
        .say("!note Cllr Grey's question on item 12 was withdrawn.")
        .await;
    c.after(
        25,
        &format!("!strike {} posted under the wrong item", wrong.seq.0),
    )
    .await;
    c.say("!agenda 12 Appointments to committees").await;
    c.say("!motion That Cllr Brown be appointed to the Planning Committee | mover=Cllr Smith | seconder=Cllr Evans").await;
    c.after(30, "!vote carried").await;
    c.say("!agenda 13 Reports from outside bodies").await;
    c.say("!link https://example.gov.uk/reports/outside-bodies Outside bodies report")
        .await;
    c.say("!agenda 14 Urgent business").await;
    c.after(15, "!note None.").await;
    c.say("!agenda 15 Date of next meeting").await;
    c.after(20, "!note Wednesday 27 January 2027 at 18:00.")
        .await;
    let end = c.after(30, "!end").await;
    let archive = c.desk.archive().clone();
    Signer::from_seed(&[9u8; 32])
        .sign_checkpoint(&archive, start.meeting, end.at + Duration::seconds(1))
        .unwrap();
    Meeting {
        _dir: dir,
        archive,
        id: start.meeting,
    }
}

/// A short meeting across the night UK clocks go back (2026-10-25 01:00 UTC): it starts at
/// 01:30 BST (+01:00) and ends at 01:30 GMT (+00:00). No webcast mark.
pub async fn dst_meeting() -> Meeting {
    let (dir, c) = clerk(Utc.with_ymd_and_hms(2026, 10, 25, 0, 30, 0).unwrap());
    let start = c.after(0, "!start Licensing Sub-Committee").await;
    c.after(600, "!agenda 1 Late-night licence review").await;
    c.after(1200, "!note The applicant addressed the sub-committee.")
        .await;
    c.after(
        1200,
        "!note The sub-committee retired to consider its decision.",
    )
    .await;
    c.after(600, "!end").await;
    let archive = c.desk.archive().clone();
    Meeting {
        _dir: dir,
        archive,
        id: start.meeting,
    }
}
