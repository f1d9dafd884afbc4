//! Export tests on meetings recorded through a real desk: snapshots of every format of one
//! realistic meeting, structural checks of each format, confidentiality, a meeting across a
//! DST change, and BagIt bundle checksums.

mod fixture;

use std::collections::BTreeMap;

use quick_xml::Reader;
use quick_xml::events::Event;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::{ExportError, Format, render, write_all_bundles, write_bundle};
use crate::archive::sqlite::SqliteArchive;
use crate::domain::MeetingId;
use fixture::{SECRET, context, council_meeting, dst_meeting};

fn export(m: &fixture::Meeting, f: Format) -> String {
    render(&m.archive, m.id, f, &context()).unwrap_or_else(|e| panic!("{f}: {e}"))
}

fn json(m: &fixture::Meeting, f: Format) -> Value {
    serde_json::from_str(&export(m, f)).unwrap()
}

#[tokio::test]
async fn every_format_of_the_council_meeting_matches_its_snapshot() {
    let m = council_meeting().await;
    for f in Format::ALL {
        insta::assert_snapshot!(format!("council_meeting_{}", f.as_str()), export(&m, f));
    }
}

#[tokio::test]
async fn confidential_text_appears_in_no_format() {
    let m = council_meeting().await;
    for f in Format::ALL {
        let out = export(&m, f);
        assert!(!out.contains(SECRET), "{f} leaks private-session text");
        assert!(!out.contains("Bidder"), "{f} leaks private-session text");
        assert!(
            !out.contains("8 for, 1 against"),
            "{f} leaks the private vote"
        );
    }
    for f in [Format::Md, Format::Txt, Format::Html] {
        assert!(
            export(&m, f).contains("Private session: 3 entries withheld"),
            "{f}"
        );
    }
}

#[tokio::test]
async fn human_readable_formats_show_corrections_and_withdrawals() {
    let m = council_meeting().await;
    let txt = export(&m, Format::Txt);
    assert!(
        txt.contains("Cllr Smith asked about cycle access and parking."),
        "{txt}"
    );
    assert!(
        txt.contains(
            "(corrected 18:40; originally: Cllr Smyth asked about <b>cycle</b> access & parking.)"
        ),
        "{txt}"
    );
    assert!(
        txt.contains("[withdrawn 19:29: posted under the wrong item]"),
        "{txt}"
    );
    assert!(
        txt.starts_with(
            "Full Council\nExample Borough Council\nWednesday 25 November 2026, 18:00–"
        ),
        "{txt}"
    );
    let md = export(&m, Format::Md);
    assert!(md.starts_with("# Full Council\n"), "{md}");
    assert!(
        md.contains("\\<b\\>cycle\\</b\\>"),
        "markdown must escape clerk text"
    );
}

#[tokio::test]
async fn html_is_standalone_accessible_and_escaped() {
    let m = council_meeting().await;
    let html = export(&m, Format::Html);
    assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
    for landmark in ["<header>", "<main>", "<footer>", "<h1>", "<h2 id=\"e"] {
        assert!(html.contains(landmark), "{landmark}");
    }
    assert!(!html.contains("<script"));
    assert!(!html.contains("<b>cycle"), "clerk markup must be escaped");
    assert!(html.contains("&lt;b&gt;cycle&lt;/b&gt;"));
    assert!(html.contains("@media print"));
    let entries = m.archive.entries(m.id).unwrap();
    for e in entries
        .iter()
        .filter(|e| !e.confidential && e.refers_to.is_none())
    {
        assert!(
            html.contains(&format!("id=\"e{}\"", e.seq.0)),
            "entry {} has no anchor",
            e.seq
        );
    }
    for e in entries.iter().filter(|e| e.confidential) {
        assert!(!html.contains(&format!("id=\"e{}\"", e.seq.0)));
    }
    for part in html.split("<a ").skip(1) {
        let tag = &part[..part.find('>').unwrap()];
        let href = tag
            .split("href=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        if href.starts_with("#e") {
            continue;
        }
        assert!(
            href.starts_with("https://") || href.starts_with("http://"),
            "{href}"
        );
        assert!(tag.ends_with("rel=\"nofollow noopener\""), "{tag}");
    }
}

#[tokio::test]
async fn gavel_json_has_every_entry_hash_and_the_chain_head() {
    let m = council_meeting().await;
    let v = json(&m, Format::Json);
    assert_eq!(v["schema"], "gavel.transcript/1");
    let report = m.archive.verify(Some(m.id)).unwrap().remove(0);
    assert_eq!(v["chain"]["head"], report.head.as_str());
    assert_eq!(v["chain"]["verified"], true);
    assert_eq!(v["chain"]["checkpoint"]["signature_valid"], true);
    let entries = v["entries"].as_array().unwrap();
    let stored = m.archive.entries(m.id).unwrap();
    assert_eq!(entries.len(), stored.len());
    for (j, e) in entries.iter().zip(&stored) {
        assert_eq!(j["hash"], e.hash.as_str());
        if e.confidential {
            assert_eq!(j["withheld"], true);
            assert!(j.get("text").is_none() && j.get("fields").is_none());
        } else {
            assert!(j["local_time"].as_str().unwrap().ends_with("+00:00"), "{j}");
            assert!(j["at"].as_str().unwrap().ends_with('Z'));
        }
    }
}

#[tokio::test]
async fn ocd_export_has_the_event_agenda_and_vote_events() {
    let m = council_meeting().await;
    let v = json(&m, Format::Ocd);
    let ev = &v["event"];
    assert_eq!(ev["name"], "Full Council");
    assert_eq!(ev["timezone"], "Europe/London");
    assert_eq!(ev["status"], "passed");
    assert_eq!(ev["start_date"], "2026-11-25T18:00:00+00:00");
    assert!(ev["end_date"].as_str().unwrap().ends_with("+00:00"));
    let agenda = ev["agenda"].as_array().unwrap();
    assert_eq!(agenda.len(), 15);
    assert_eq!(agenda[0]["order"], "1");
    assert_eq!(agenda[0]["description"], "1 Apologies for absence");
    assert!(agenda[2]["media"][0]["offset"].as_i64().unwrap() > 0);
    assert!(!ev["extras"]["consultations"].as_array().unwrap().is_empty());
    let votes = v["vote_events"].as_array().unwrap();
    assert_eq!(votes.len(), 4, "the private-session vote is withheld");
    let recorded = votes
        .iter()
        .find(|v| !v["votes"].as_array().unwrap().is_empty())
        .unwrap();
    assert_eq!(
        recorded["motion_text"],
        "To note the quarter 2 budget monitoring report"
    );
    assert_eq!(recorded["result"], "pass");
    assert_eq!(
        recorded["counts"][0],
        serde_json::json!({"option": "yes", "value": 7})
    );
    assert_eq!(recorded["votes"].as_array().unwrap().len(), 10);
    assert_eq!(
        recorded["votes"][7],
        serde_json::json!({"option": "no", "voter_name": "Cllr Black"})
    );
    assert_eq!(recorded["extras"]["seconder"], "Cllr Jones");
    assert!(recorded["start_date"].as_str().unwrap().ends_with("+00:00"));
    assert!(votes.iter().any(|v| v["result"] == "fail"));
}

#[tokio::test]
async fn popolo_export_links_motions_vote_events_counts_and_votes() {
    let m = council_meeting().await;
    let v = json(&m, Format::Popolo);
    let motions = v["motions"].as_array().unwrap();
    assert_eq!(motions.len(), 4);
    let ids: Vec<&str> = motions.iter().map(|m| m["id"].as_str().unwrap()).collect();
    for ve in v["vote_events"].as_array().unwrap() {
        let mid = ve["motion_id"].as_str().unwrap();
        assert!(ids.contains(&mid), "{mid}");
        assert!(matches!(ve["result"].as_str(), Some("pass" | "fail")));
    }
    assert_eq!(v["counts"].as_array().unwrap().len(), 6);
    let votes = v["votes"].as_array().unwrap();
    assert_eq!(votes.len(), 10);
    assert_eq!(votes[0]["voter"]["name"], "Cllr Ahmed");
    assert!(!v["speeches"].as_array().unwrap().is_empty());
    assert!(
        v["speeches"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["creator"]["name"] == "Cllr Jones")
    );
}

#[tokio::test]
async fn akoma_ntoso_parses_with_a_debate_section_per_agenda_item() {
    let m = council_meeting().await;
    let xml = export(&m, Format::Akn);
    let mut r = Reader::from_str(&xml);
    let mut names: BTreeMap<String, usize> = BTreeMap::new();
    let mut root = None;
    let mut times = Vec::new();
    loop {
        match r.read_event().unwrap() {
            Event::Eof => break,
            Event::Start(e) | Event::Empty(e) => {
                let name = String::from_utf8(e.name().as_ref().to_vec()).unwrap();
                if root.is_none() {
                    let ns = e.try_get_attribute("xmlns").unwrap().unwrap();
                    assert_eq!(ns.value.as_ref(), super::akn::NAMESPACE.as_bytes());
                    root = Some(name.clone());
                }
                if name == "recordedTime" {
                    let t = e.try_get_attribute("time").unwrap().unwrap();
                    times.push(String::from_utf8(t.value.to_vec()).unwrap());
                }
                *names.entry(name).or_default() += 1;
            }
            _ => {}
        }
    }
    assert_eq!(root.as_deref(), Some("akomaNtoso"));
    assert_eq!(names["debateSection"], 15);
    assert_eq!(names["debate"], 1);
    assert!(names["speech"] >= 4);
    assert!(
        names["FRBRWork"] == 1 && names["FRBRExpression"] == 1 && names["FRBRManifestation"] == 1
    );
    assert!(!times.is_empty());
    for t in times {
        let parsed = chrono::DateTime::parse_from_rfc3339(&t).unwrap();
        assert_eq!(parsed.offset().local_minus_utc(), 0, "{t}");
        assert!(t.ends_with("+00:00"));
    }
}

/// Parses `HH:MM:SS.mmm` into milliseconds.
fn vtt_ms(s: &str) -> i64 {
    let (hms, ms) = s.split_once('.').unwrap();
    let p: Vec<i64> = hms.split(':').map(|x| x.parse().unwrap()).collect();
    ((p[0] * 60 + p[1]) * 60 + p[2]) * 1000 + ms.parse::<i64>().unwrap()
}

#[tokio::test]
async fn webvtt_cues_start_at_the_mark_and_strictly_increase() {
    let m = council_meeting().await;
    let vtt = export(&m, Format::Vtt);
    assert!(vtt.starts_with("WEBVTT"));
    let cues: Vec<(i64, i64)> = vtt
        .lines()
        .filter_map(|l| l.split_once(" --> "))
        .map(|(a, b)| (vtt_ms(a), vtt_ms(b)))
        .collect();
    assert!(cues.len() > 40);
    assert_eq!(cues[0].0, 0, "the first cue is the webcast mark");
    for w in cues.windows(2) {
        assert!(w[0].0 < w[1].0, "cue starts must increase: {w:?}");
        assert_eq!(w[0].1, w[1].0, "a cue ends when the next starts");
    }
    assert!(cues.iter().all(|(a, b)| a < b));
    assert!(!vtt.contains("\n\n\n"));
}

#[tokio::test]
async fn chapters_start_at_zero_and_list_each_agenda_item_in_order() {
    let m = council_meeting().await;
    let ch = export(&m, Format::Chapters);
    let lines: Vec<&str> = ch.lines().collect();
    assert_eq!(lines[0], "00:00 Full Council");
    assert_eq!(lines.len(), 16);
    assert!(lines[1].ends_with(" 1 Apologies for absence"));
    let secs = |l: &str| -> i64 {
        let t = l.split(' ').next().unwrap();
        t.split(':')
            .fold(0, |acc, p| acc * 60 + p.parse::<i64>().unwrap())
    };
    for w in lines.windows(2) {
        assert!(secs(w[0]) < secs(w[1]), "{w:?}");
    }
    assert!(
        lines
            .iter()
            .any(|l| l.split(' ').next().unwrap().matches(':').count() == 2),
        "past an hour: H:MM:SS"
    );
}

#[tokio::test]
async fn a_meeting_across_the_clocks_going_back_shows_both_offsets() {
    let m = dst_meeting().await;
    let v = json(&m, Format::Json);
    let times: Vec<&str> = v["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["local_time"].as_str().unwrap())
        .collect();
    assert_eq!(
        times,
        [
            "2026-10-25T01:30:00+01:00",
            "2026-10-25T01:40:00+01:00",
            "2026-10-25T01:00:00+00:00",
            "2026-10-25T01:20:00+00:00",
            "2026-10-25T01:30:00+00:00",
        ]
    );
    let ocd = json(&m, Format::Ocd);
    assert_eq!(ocd["event"]["start_date"], "2026-10-25T01:30:00+01:00");
    assert_eq!(ocd["event"]["end_date"], "2026-10-25T01:30:00+00:00");
    let txt = export(&m, Format::Txt);
    assert!(txt.contains("#2     01:40 +01:00  Item 1"), "{txt}");
    assert!(txt.contains("#3     01:00 +00:00  The applicant"), "{txt}");
    assert!(
        txt.contains("Sunday 25 October 2026, 01:30 +01:00–01:30 +00:00"),
        "{txt}"
    );
    assert!(
        txt.contains("the clocks changed during the meeting"),
        "{txt}"
    );
    let akn = export(&m, Format::Akn);
    assert!(akn.contains("time=\"2026-10-25T01:40:00+01:00\""));
    assert!(akn.contains("time=\"2026-10-25T01:20:00+00:00\""));
}

#[tokio::test]
async fn timed_formats_without_a_webcast_mark_say_so() {
    let m = dst_meeting().await;
    for f in [Format::Vtt, Format::Chapters] {
        match render(&m.archive, m.id, f, &context()) {
            Err(ExportError::NoWebcastMark(id)) => assert_eq!(id, m.id),
            other => panic!("{f}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn an_unknown_meeting_is_reported_by_number() {
    let m = dst_meeting().await;
    let err = render(&m.archive, MeetingId(99), Format::Md, &context()).unwrap_err();
    assert!(
        matches!(err, ExportError::NoSuchMeeting(MeetingId(99))),
        "{err}"
    );
}

#[tokio::test]
async fn a_tampered_archive_is_flagged_in_the_export() {
    let m = council_meeting().await;
    SqliteArchive::sql(&m.archive, |c| {
        c.execute(
            "UPDATE entries SET text = 'Apologies from nobody.' WHERE seq = 5",
            [],
        )
    })
    .unwrap();
    let txt = export(&m, Format::Txt);
    assert!(
        txt.contains("WARNING: the hash chain does not verify at entry #5"),
        "{txt}"
    );
    assert!(
        txt.contains("WARNING: the signed checkpoint does not verify"),
        "{txt}"
    );
    assert_eq!(json(&m, Format::Json)["chain"]["verified"], false);
}

fn sha256_file(path: &std::path::Path) -> String {
    hex::encode(Sha256::digest(std::fs::read(path).unwrap()))
}

/// Checks every line of a BagIt manifest against the file it names; returns the names.
fn check_manifest(bag: &std::path::Path, manifest: &str) -> Vec<String> {
    let body = std::fs::read_to_string(bag.join(manifest)).unwrap();
    body.lines()
        .map(|l| {
            let (sum, file) = l.split_once("  ").unwrap();
            assert_eq!(sha256_file(&bag.join(file)), sum, "{file} in {manifest}");
            file.to_string()
        })
        .collect()
}

#[tokio::test]
async fn a_bundle_is_a_bagit_bag_whose_checksums_match_its_files() {
    let m = council_meeting().await;
    let out = tempfile::tempdir().unwrap();
    let bag = write_bundle(&m.archive, m.id, out.path(), &context()).unwrap();
    assert_eq!(bag, out.path().join(format!("gavel-meeting-{}", m.id)));
    assert_eq!(
        std::fs::read_to_string(bag.join("bagit.txt")).unwrap(),
        "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
    );
    let payload = check_manifest(&bag, "manifest-sha256.txt");
    assert_eq!(payload.len(), Format::ALL.len());
    for f in Format::ALL {
        assert!(
            payload.contains(&format!("data/{}.{}", m.id, f.extension())),
            "{f}"
        );
    }
    let tags = check_manifest(&bag, "tagmanifest-sha256.txt");
    assert_eq!(tags, ["bagit.txt", "bag-info.txt", "manifest-sha256.txt"]);
    let info = std::fs::read_to_string(bag.join("bag-info.txt")).unwrap();
    let bytes: u64 = payload
        .iter()
        .map(|f| std::fs::metadata(bag.join(f)).unwrap().len())
        .sum();
    assert!(
        info.contains(&format!("Payload-Oxum: {bytes}.{}\n", payload.len())),
        "{info}"
    );
    for label in [
        "Source-Organization: Example Borough Council",
        "Bagging-Date: 2026-11-26",
        "External-Description: ",
    ] {
        assert!(info.contains(label), "{label}");
    }
    let data_files = std::fs::read_dir(bag.join("data")).unwrap().count();
    assert_eq!(
        data_files,
        payload.len(),
        "every payload file is in the manifest"
    );
    // Writing again replaces the bag rather than failing or mixing old files in.
    let again = write_bundle(&m.archive, m.id, out.path(), &context()).unwrap();
    assert_eq!(again, bag);
    check_manifest(&bag, "manifest-sha256.txt");
    assert_eq!(
        std::fs::read_dir(out.path()).unwrap().count(),
        1,
        "no partial folders left"
    );
}

#[tokio::test]
async fn a_bundle_without_a_webcast_omits_timed_formats_and_says_so() {
    let m = dst_meeting().await;
    let out = tempfile::tempdir().unwrap();
    let mut seen = Vec::new();
    let bags = write_all_bundles(&m.archive, out.path(), &context(), |done, total| {
        seen.push((done, total))
    })
    .unwrap();
    assert_eq!(seen, [(1, 1)]);
    let payload = check_manifest(&bags[0], "manifest-sha256.txt");
    assert_eq!(payload.len(), Format::ALL.len() - 2);
    assert!(
        !payload
            .iter()
            .any(|f| f.ends_with(".vtt") || f.ends_with(".chapters.txt"))
    );
    let info = std::fs::read_to_string(bags[0].join("bag-info.txt")).unwrap();
    assert!(info.contains("no webcast mark"), "{info}");
    check_manifest(&bags[0], "tagmanifest-sha256.txt");
}
