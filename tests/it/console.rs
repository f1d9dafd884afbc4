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

#[test]
fn the_markdown_export_of_a_piped_meeting_has_every_entry_in_order() {
    let dir = TestDir::new();
    dir.write_config("");
    let (code, _) = pipe_meeting(&dir, MEETING);
    assert_eq!(code, 0);
    let (code, md, err) = dir.gavel(&["export", "1", "--format", "md"]);
    assert_eq!(code, 0, "{err}");
    let order = [
        "Full Council",
        "Apologies for absence",
        "Cllr Brown, Cllr Green and Cllr White",
        "Planning application 24/01234/FUL",
        "That the application be approved",
        "32 for, 10 against, 3 abstentions",
        "Local Plan",
        "Meeting closed",
    ];
    let mut at = 0;
    for needle in order {
        let found = md[at..]
            .find(needle)
            .unwrap_or_else(|| panic!("{needle:?} missing or out of order in:\n{md}"));
        at += found;
    }
    assert!(
        md.contains("withdrawn"),
        "the struck speaker entry is not marked:\n{md}"
    );
    assert!(!md.contains("<script>"), "raw HTML in markdown:\n{md}");
    let (code, _, err) = dir.gavel(&["export", "9", "--format", "md"]);
    assert_ne!(code, 0);
    assert!(err.contains('9'), "{err}");
    let (code, _, err) = dir.gavel(&["export", "1", "--format", "pdf"]);
    assert_ne!(code, 0);
    assert!(err.contains("pdf"), "{err}");
}

#[test]
fn a_signed_meeting_verifies_with_its_fingerprint_and_a_forged_signature_fails() {
    let dir = TestDir::new();
    dir.write_config("");
    let key = dir.path().join("signing.key");
    let (code, out, err) = dir.gavel(&["keygen", key.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let fingerprint = out
        .lines()
        .find_map(|l| l.strip_prefix("fingerprint: "))
        .unwrap()
        .to_string();
    dir.write_config(&format!("[signing]\nkey_file = \"{}\"\n", key.display()));
    let (code, _) = pipe_meeting(&dir, MEETING);
    assert_eq!(code, 0);
    let (code, out, _) = dir.gavel(&["verify"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("signed checkpoint valid") && out.contains(&fingerprint),
        "{out}"
    );

    let conn = rusqlite::Connection::open(dir.archive()).unwrap();
    conn.execute(
        "UPDATE checkpoints SET signature = \
         CASE WHEN substr(signature, 1, 1) = 'A' THEN 'B' ELSE 'A' END || substr(signature, 2)",
        [],
    )
    .unwrap();
    drop(conn);
    let (code, out, _) = dir.gavel(&["verify"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("INVALID"), "{out}");
}

#[test]
fn every_export_format_and_a_bundle_come_out_of_the_cli() {
    let dir = TestDir::new();
    dir.write_config("");
    let script = MEETING.replace(
        "!agenda 1 ",
        "!webcast https://example.gov.uk/live\n!agenda 1 ",
    );
    let (code, _) = pipe_meeting(&dir, &script);
    assert_eq!(code, 0);
    for f in [
        "md", "txt", "html", "json", "ocd", "popolo", "akn", "vtt", "chapters",
    ] {
        let (code, out, err) = dir.gavel(&["export", "1", "--format", f]);
        assert_eq!(code, 0, "{f}: {err}");
        assert!(!out.is_empty(), "{f} is empty");
    }
    let bags = dir.path().join("bags");
    let (code, _, err) = dir.gavel(&[
        "export",
        "--all",
        "--format",
        "bundle",
        "-o",
        bags.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(bags.join("gavel-meeting-1/manifest-sha256.txt").exists());
}

#[test]
fn bad_bytes_crlf_and_blank_lines_are_handled_without_losing_the_rest() {
    let dir = TestDir::new();
    dir.write_config("");
    let mut child = std::process::Command::new(crate::helpers::gavel_bin())
        .arg("-c")
        .arg(dir.config())
        .args(["run", "--console"])
        .current_dir(dir.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    use std::io::Write;
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"!start Full Council\r\n!note caf\xe9\n\n   \n!note \xe2\x80\xaeevil\n!note still here\r\n!end").unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("not valid UTF-8"), "{text}");
    assert!(text.contains("bidirectional"), "{text}");
    assert!(
        text.contains("#2 recorded") && text.contains("still here"),
        "{text}"
    );
    assert!(
        text.contains("#3 recorded") && text.contains("Meeting closed"),
        "{text}"
    );
}
