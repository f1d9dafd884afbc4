//! Exports checked by their communities' own validators (`scripts/validate.sh`,
//! `tests/validate/ocd.py`): every Open Civic Data export against the OCD schemas and validator
//! that ship with pupa, and every BagIt bundle with the Library of Congress `bagit` package.

use std::path::{Path, PathBuf};

use crate::helpers::{TestDir, pipe_meeting};

/// A realistic meeting: webcast, agenda items, speakers, a motion and a recorded vote, a show
/// of hands, links, a consultation, a private session, a correction and a withdrawal.
const FULL_MEETING: &str = "\
!start Planning Committee
!webcast https://example.gov.uk/webcasts/planning-2026-12-03
!agenda 1 Apologies for absence
!note Apologies from Cllr Brown
!agenda 4 24/01234/FUL – Land at Mill Lane: 40 homes
!link https://example.gov.uk/documents/s91010/report.pdf Officer's report
!speaker Cllr Ahmed
!motion That the application be approved with conditions | mover=Cllr Jones | seconder=Cllr Patel
!vote 2-1-1 carried | for=Cllr Jones, Cllr Patel | against=Cllr Ahmed | abstain=Cllr Brown
!agenda 5a TPO 12/2026 – Oak at 3 Church Street
!motion That the order be confirmed | mover=Cllr Patel
!vote carried
!consult https://example.gov.uk/local-plan Local Plan review | closes=2099-01-31
!speaker Cllr Smith
!fix 4 Apologies from Cllr Brown and Cllr Green
!strike 14 wrong speaker
!agenda 7 Land at Station Road: acquisition
!private exempt – paragraph 3
!note The committee discussed the valuation
!public
!end
";

/// A short meeting with no webcast mark and no vote.
const SHORT_MEETING: &str = "\
!start Licensing Sub-Committee
!agenda 1 Election of chair
!note Cllr Green elected
!end
";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Whether the validators are installed; prints why the test is skipped, fails when CI
/// requires them.
pub(crate) fn validators_installed() -> bool {
    if repo().join(".cache/validate-venv/bin/python").exists() {
        return true;
    }
    if std::env::var_os("GAVEL_REQUIRE_VALIDATORS").is_some() {
        panic!(
            "GAVEL_REQUIRE_VALIDATORS is set but the validators are not installed: run scripts/validate.sh install"
        );
    }
    eprintln!(
        "SKIPPED: pupa and bagit are not installed (run scripts/validate.sh install); exports were not validated"
    );
    false
}

pub(crate) fn validate(paths: &[&Path]) -> (bool, String) {
    let out = std::process::Command::new("bash")
        .arg(repo().join("scripts/validate.sh"))
        .args(paths)
        .output()
        .expect("run scripts/validate.sh");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn every_ocd_export_and_bundle_validates_with_pupa_and_bagit() {
    if !validators_installed() {
        return;
    }
    let dir = TestDir::new();
    dir.write_config(
        "[web]\nlisten = \"127.0.0.1:0\"\npublic_url = \"https://meetings.example.gov.uk\"\n",
    );
    for script in [FULL_MEETING, SHORT_MEETING] {
        let (code, out) = pipe_meeting(&dir, script);
        assert_eq!(code, 0, "{out:#?}");
        assert!(
            !out.iter().any(|l| l.starts_with("Not recorded")),
            "every command of the meeting must be accepted: {out:#?}"
        );
    }
    let mut files = Vec::new();
    for meeting in ["1", "2"] {
        let file = dir.path().join(format!("meeting-{meeting}.ocd.json"));
        let (code, _, err) = dir.gavel(&[
            "export",
            meeting,
            "--format",
            "ocd",
            "-o",
            file.to_str().unwrap(),
        ]);
        assert_eq!(code, 0, "{err}");
        files.push(file);
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
    let bag = bags.join("gavel-meeting-1");
    let short_bag = bags.join("gavel-meeting-2");
    let mut paths: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    paths.extend([bag.as_path(), short_bag.as_path()]);
    let (ok, report) = validate(&paths);
    println!("{report}");
    assert!(ok, "the exports do not validate:\n{report}");
    assert_eq!(report.matches(" 0 invalid").count(), 4, "{report}");
    assert_eq!(report.matches("bagit: ").count(), 2, "{report}");

    // The validators must be able to fail: a tampered bag and a datetime where OCD wants a date.
    std::fs::write(bag.join("data/1.md"), "altered\n").unwrap();
    let (ok, report) = validate(&[&bag]);
    assert!(
        !ok && report.contains("BagIt validation failed"),
        "{report}"
    );
    let text = std::fs::read_to_string(&files[0]).unwrap();
    let mut export: serde_json::Value = serde_json::from_str(&text).unwrap();
    export["event"]["documents"][0]["date"] = "2026-12-03T18:31:02+00:00".into();
    std::fs::write(&files[0], export.to_string()).unwrap();
    let (ok, report) = validate(&[&files[0]]);
    assert!(
        !ok && report.contains("['documents'][0]['date']"),
        "{report}"
    );
}
