//! The console input end to end: a meeting piped into the real binary, then CLI tools on the
//! archive it wrote.

use crate::helpers::{TestDir, pipe_meeting};

const MEETING: &str = "\
!start Full Council
!agenda 1 Apologies for absence
!note Apologies from Cllr Brown and Cllr Green
!agenda 5 Planning application 24/01234/FUL
!speaker Cllr Ahmed
!motion That the application be approved | mover=Cllr Jones | seconder=Cllr Patel
!vote 32-10-3 carried
!vote 3-1 maybe
!consult https://example.gov.uk/local-plan Local Plan | closes=2099-01-31
!note @everyone <script>alert(1)</script>
!fix 3 Apologies from Cllr Brown, Cllr Green and Cllr White
!strike 5 wrong speaker
!end
";

#[test]
fn a_piped_meeting_is_acknowledged_archived_and_verifiable() {
    let dir = TestDir::new();
    dir.write_config("");
    let (code, out) = pipe_meeting(&dir, MEETING);
    assert_eq!(code, 0, "{out:#?}");
    assert!(out[0].starts_with("#1 recorded"), "{out:#?}");
    assert!(
        out.iter()
            .any(|l| l.contains("#7 recorded") && l.contains("32 for, 10 against, 3 abstentions"))
    );
    assert!(
        out.iter()
            .any(|l| l.starts_with("Not recorded:") && l.contains("not a vote result"))
    );
    assert!(
        out.iter()
            .any(|l| l.starts_with("#12 recorded") && l.contains("Meeting closed")),
        "{out:#?}"
    );

    let (code, list, _) = dir.gavel(&["meetings"]);
    assert_eq!(code, 0);
    assert!(
        list.contains("Full Council") && list.contains("12"),
        "{list}"
    );

    let (code, verify, _) = dir.gavel(&["verify"]);
    assert_eq!(code, 0, "{verify}");
    assert!(verify.contains("12 entries, chain intact"), "{verify}");

    let (code, hits, _) = dir.gavel(&["search", "planning"]);
    assert_eq!(code, 0);
    assert!(
        hits.contains("#4") && hits.contains("**Planning**"),
        "{hits}"
    );
}

#[test]
fn tampering_with_the_archive_makes_verify_fail_naming_the_entry() {
    let dir = TestDir::new();
    dir.write_config("");
    let (code, _) = pipe_meeting(&dir, MEETING);
    assert_eq!(code, 0);
    let conn = rusqlite::Connection::open(dir.archive()).unwrap();
    conn.execute("UPDATE entries SET text = 'Vote: lost' WHERE seq = 7", [])
        .unwrap();
    drop(conn);
    let (code, out, _) = dir.gavel(&["verify", "1"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("entry #7"), "{out}");
}

#[test]
fn a_scheduled_meeting_starts_without_a_title() {
    let dir = TestDir::new();
    dir.write_config("");
    let agenda = dir.path().join("agenda.toml");
    std::fs::write(&agenda, "title = \"Cabinet\"\n[[item]]\nnumber = \"1\"\ntitle = \"Apologies\"\n[[item]]\nnumber = \"2\"\ntitle = \"Budget\"\n").unwrap();
    let (code, out, err) = dir.gavel(&["schedule", agenda.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("2 agenda items"), "{out}");
    let (_, lines) = pipe_meeting(&dir, "!start\n!next\n!next\n!next\n");
    assert!(lines[0].contains("Meeting started: Cabinet"), "{lines:#?}");
    assert!(lines[2].contains("Item 2: Budget"), "{lines:#?}");
    assert!(lines[3].contains("last item"), "{lines:#?}");
}

#[test]
fn check_names_every_broken_key() {
    let dir = TestDir::new();
    dir.write_config("[web]\nlisten = \"nowhere\"\n\n[[webhook]]\nname = \"x\"\nurl = \"${GAVEL_TEST_UNSET_VAR}\"\nformat = \"irc\"\n");
    let (code, _, err) = dir.gavel(&["check"]);
    assert_ne!(code, 0);
    for needle in ["web.listen", "webhook[0].format", "GAVEL_TEST_UNSET_VAR"] {
        assert!(err.contains(needle), "{needle} missing from {err}");
    }
}
