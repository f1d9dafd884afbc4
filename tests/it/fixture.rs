//! An archive written by Gavel before its storage and entries were redesigned
//! (`tests/fixtures/archive-v1/`, made by its `make.sh`): today's Gavel must verify it,
//! signatures included, and export every meeting byte for byte as that Gavel did.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::helpers::gavel_bin;

/// The fixture's exports were made with this `SOURCE_DATE_EPOCH` (2026-12-03T12:00:00Z).
const GENERATED_AT: &str = "1796299200";

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/archive-v1")
}

/// A copy of the fixture archive (tests never write to the committed file) and a config for it.
fn copy_of_fixture() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("gavel.db");
    std::fs::copy(fixture().join("gavel.db"), &db).expect("copy fixture");
    let config = dir.path().join("gavel.toml");
    std::fs::write(
        &config,
        format!(
            "[council]\nname = \"Example Borough Council\"\ntimezone = \"Europe/London\"\n\n\
             [archive]\npath = \"{}\"\n\n[web]\nlisten = \"127.0.0.1:0\"\npublic_url = \"https://live.example.gov.uk\"\n",
            db.display()
        ),
    )
    .expect("config");
    (dir, config)
}

fn gavel(config: &Path, args: &[&str]) -> (i32, String) {
    let out = Command::new(gavel_bin())
        .arg("-c")
        .arg(config)
        .args(args)
        .env("SOURCE_DATE_EPOCH", GENERATED_AT)
        .output()
        .expect("run gavel");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "gavel {args:?} failed: {stderr}");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// The one intended change since the fixture was made: the OCD schema wants the `date` of
/// `media` and `documents` as a date, and Gavel wrote a datetime (`2026-12-03T08:15:20+00:00`
/// becomes `2026-12-03`). Every `"date"` key in an OCD export is one of those.
fn ocd_dates_as_dates(text: &str) -> String {
    text.lines()
        .map(|line| match line.split_once("\"date\": \"") {
            Some((head, rest)) if rest.len() > 10 && rest.as_bytes()[10] == b'T' => {
                let comma = if rest.ends_with(',') { "," } else { "" };
                format!("{head}\"date\": \"{}\"{comma}", &rest[..10])
            }
            _ => line.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
        + if text.ends_with('\n') { "\n" } else { "" }
}

#[test]
fn an_archive_from_before_the_redesign_verifies_with_its_signatures() {
    let (_dir, config) = copy_of_fixture();
    let (_, out) = gavel(&config, &["verify"]);
    let expected = std::fs::read_to_string(fixture().join("expected/verify.txt")).unwrap();
    assert_eq!(out, expected);
    assert!(out.contains("signed checkpoint valid"), "{out}");
}

#[test]
fn an_archive_from_before_the_redesign_exports_exactly_as_it_did() {
    let (_dir, config) = copy_of_fixture();
    let mut compared = 0;
    for entry in std::fs::read_dir(fixture().join("expected")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let Some((meeting, format)) = name.split_once('.') else {
            continue;
        };
        if format == "txt" && meeting == "verify" {
            continue;
        }
        let (_, out) = gavel(&config, &["export", meeting, "--format", format]);
        let mut expected = std::fs::read_to_string(&path).unwrap();
        if format == "ocd" {
            expected = ocd_dates_as_dates(&expected);
        }
        assert!(
            out == expected,
            "the {format} export of meeting {meeting} changed"
        );
        compared += 1;
    }
    // Two meetings in every format, less subtitles and chapters of the one with no webcast.
    assert_eq!(compared, 16);
}
