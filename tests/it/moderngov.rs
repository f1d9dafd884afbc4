//! The ModernGov client against the fake `mgWebService.asmx` (`tests/support/fake_moderngov.rs`)
//! serving two councils' real shapes and the service's failures.

use chrono::{NaiveDate, Utc};
use chrono_tz::Europe::London;
use gavel::moderngov::{
    Client, ImportedMeeting, MeetingFilter, MeetingPage, ModernGovError, Site, user_agent,
};

use crate::fake_moderngov::{FakeModernGov, HISTORY_ROWS};
use crate::helpers::TestDir;

fn client(fake: &FakeModernGov, council: &str) -> Client {
    Client::new(Site::parse(&fake.site(council)).expect("site"), London).expect("client")
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

fn utc(m: &ImportedMeeting) -> String {
    m.start
        .with_timezone(&Utc)
        .format("%Y-%m-%dT%H:%M")
        .to_string()
}

#[tokio::test]
async fn a_meeting_page_url_imports_the_agenda_as_the_council_numbers_it() {
    let fake = FakeModernGov::start().await;
    let page = MeetingPage::parse(&fake.meeting_page("council-a", 130, 4567)).unwrap();
    assert_eq!(page.meeting_id, 4567);
    let m = Client::new(page.site, London)
        .unwrap()
        .get_meeting(page.meeting_id)
        .await
        .unwrap();

    assert_eq!(m.title, "Planning Committee, 3 December 2026");
    assert_eq!(m.committee_id, Some(130));
    assert_eq!(
        utc(&m),
        "2026-12-03T18:30",
        "December: GMT, local time is UTC"
    );
    assert!(m.agenda_published);
    let rows: Vec<(Option<&str>, &str)> = m
        .items
        .iter()
        .map(|i| (i.number.as_deref(), i.title.as_str()))
        .collect();
    assert_eq!(
        rows,
        [
            (Some("1"), "Apologies for absence"),
            (Some("2"), "Declarations of interest"),
            (Some("3"), "Minutes of the previous meeting"),
            (None, "PLANNING APPLICATIONS"),
            (Some("4"), "24/01234/FUL – Land at Mill Lane: 40 homes"),
            (Some("5"), "Tree preservation orders"),
            (Some("5a"), "TPO 12/2026 – Oak at 3 Church Street"),
            (Some("5b"), "TPO 13/2026 – Limes at the Recreation Ground"),
            (
                Some("6"),
                "Appeals & enforcement: the Inspector's decisions"
            ),
            (
                None,
                "PART B – ITEMS WHICH MAY BE CONSIDERED IN THE ABSENCE OF THE PRESS AND PUBLIC"
            ),
            (
                Some("7"),
                "Land at Station Road: acquisition (exempt – paragraph 3)"
            ),
        ],
        "item 8 is not displayed by the council and must not be imported"
    );
    assert_eq!(m.items[0].moderngov_id, 30001);
    assert_eq!(
        m.items[1].text,
        "Members are asked to declare:\n- disclosable pecuniary interests;\n- other registrable interests & non-registrable interests."
    );
    assert_eq!(m.items[6].text, "Objections received: 2\nSupport: 14");
    let docs: Vec<&str> = m.items[4]
        .documents
        .iter()
        .map(|d| d.title.as_str())
        .collect();
    assert_eq!(docs, ["Report – 24/01234/FUL", "Plans & elevations"]);
    assert_eq!(
        m.items[4].documents[1].url.as_str(),
        "https://democracy.example.gov.uk/documents/s91011/Plans%20and%20elevations.pdf"
    );
    assert_eq!(m.summary(), "9 items (1 exempt), 6 documents");
    assert_eq!(
        m.page_url().as_str(),
        fake.meeting_page("council-a", 130, 4567)
    );
}

#[tokio::test]
async fn an_exempt_item_keeps_its_published_title_and_never_its_restricted_documents() {
    let fake = FakeModernGov::start().await;
    let m = client(&fake, "council-a").get_meeting(4567).await.unwrap();
    let exempt: Vec<_> = m.items.iter().filter(|i| i.exempt).collect();
    assert_eq!(exempt.len(), 1);
    assert_eq!(exempt[0].number.as_deref(), Some("7"));
    let docs: Vec<&str> = exempt[0]
        .documents
        .iter()
        .map(|d| d.title.as_str())
        .collect();
    assert_eq!(docs, ["Cover report (public)"]);
    let all_urls: Vec<String> = m
        .items
        .iter()
        .flat_map(|i| i.documents.iter().map(|d| d.url.to_string()))
        .collect();
    assert!(
        !all_urls
            .iter()
            .any(|u| u.contains("s91041") || u.contains("s91050")),
        "{all_urls:?}"
    );
    assert!(!m.items.iter().any(|i| i.title == "Staffing matter"));
}

#[tokio::test]
async fn another_councils_shape_raw_markup_trailing_dots_and_summer_time() {
    let fake = FakeModernGov::start().await;
    let m = client(&fake, "council-b").get_meeting(8812).await.unwrap();
    assert_eq!(m.title, "Cabinet, 16 July 2026");
    assert_eq!(
        utc(&m),
        "2026-07-16T09:00",
        "10.00 am in July is 09:00 UTC (BST)"
    );
    assert_eq!(m.location.as_deref(), Some("Committee Room 1, County Hall"));
    let numbers: Vec<&str> = m.items.iter().filter_map(|i| i.number.as_deref()).collect();
    assert_eq!(numbers, ["1", "2", "7", "7.1", "7.2", "8", "9"]);
    assert_eq!(
        m.items[2].title,
        "Budget Monitoring 2026/27 & Medium Term Financial Plan"
    );
    assert_eq!(
        m.items[1].text,
        "Members are reminded of the Code of Conduct."
    );
    assert_eq!(
        m.items[2].text,
        "Purpose of the report:\n- revenue position at Quarter 1;\n- capital programme."
    );
    assert!(
        m.items[5]
            .text
            .starts_with("To consider passing a resolution")
    );
    assert!(
        m.items[4].documents.is_empty(),
        "7.2's only document is restricted"
    );
    assert!(m.items[6].exempt && m.items[6].documents.is_empty());
    let plan = m.to_plan().unwrap();
    assert_eq!(plan.items.len(), 7);
    assert_eq!(plan.items[3].number, "7.1");
    assert_eq!(plan.date, Some(date(2026, 7, 16)));
}

#[tokio::test]
async fn an_unpublished_or_empty_agenda_imports_the_meeting_without_items() {
    let fake = FakeModernGov::start().await;
    let c = client(&fake, "council-a");
    let unpublished = c.get_meeting(4590).await.unwrap();
    assert!(!unpublished.agenda_published);
    assert!(unpublished.items.is_empty());
    assert_eq!(
        unpublished.summary(),
        "no items: the council has not published the agenda yet"
    );
    assert_eq!(unpublished.title, "Planning Committee, 28 January 2027");
    let empty = c.get_meeting(4601).await.unwrap();
    assert!(empty.agenda_published && empty.items.is_empty());
    assert_eq!(empty.summary(), "no items: the published agenda lists none");
    assert!(empty.to_plan().unwrap().items.is_empty());
}

#[tokio::test]
async fn a_meeting_the_site_does_not_have_is_an_error_page_with_status_200() {
    let fake = FakeModernGov::start().await;
    let e = client(&fake, "council-a")
        .get_meeting(9999)
        .await
        .unwrap_err();
    assert!(matches!(e, ModernGovError::ErrorPage { .. }), "{e:?}");
    let msg = e.to_string();
    assert!(msg.contains("Error - Example Borough Council"), "{msg}");
    assert!(msg.contains("meeting id may not exist"), "{msg}");
    assert_eq!(fake.requests().last().unwrap().status, 200);
}

#[tokio::test]
async fn listing_sends_uk_dates_and_minus_one_for_every_committee() {
    let fake = FakeModernGov::start().await;
    let filter = MeetingFilter {
        committee: None,
        from: date(2026, 12, 1),
        to: date(2027, 1, 31),
    };
    let rows = client(&fake, "council-a")
        .list_meetings(&filter)
        .await
        .unwrap();
    let got: Vec<(u32, &str, String)> = rows
        .iter()
        .map(|r| (r.moderngov_id, r.committee.as_str(), r.date.to_string()))
        .collect();
    assert_eq!(
        got,
        [
            (4567, "Planning Committee", "2026-12-03".into()),
            (4575, "Licensing & Appeals Committee", "2026-12-09".into()),
            (4580, "Council", "2026-12-16".into()),
            (4590, "Planning Committee", "2027-01-28".into()),
        ]
    );
    assert_eq!(
        rows[0].page_url.as_str(),
        fake.meeting_page("council-a", 130, 4567)
    );
    assert_eq!(rows[2].status.as_deref(), Some("Confirmed; Budget Council"));
    let listing = fake
        .requests()
        .into_iter()
        .find(|r| r.operation == "GetAllMeetingsByDate")
        .unwrap();
    assert_eq!(listing.query["lcommitteeid"], "-1");
    assert_eq!(listing.query["sfromdate"], "01/12/2026");
    assert_eq!(listing.query["stodate"], "31/01/2027");
}

#[tokio::test]
async fn the_fake_like_the_service_ignores_iso_dates_and_answers_with_everything() {
    let fake = FakeModernGov::start().await;
    let body = reqwest::Client::new()
        .get(format!(
            "{}/mgWebService.asmx/GetAllMeetingsByDate?lCommitteeId=-1&sFromDate=2026-12-01&sToDate=2027-01-31",
            fake.site("council-a")
        ))
        .header("User-Agent", user_agent())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        body.matches("<meeting>").count() > HISTORY_ROWS,
        "ISO dates must be ignored"
    );
}

#[tokio::test]
async fn listing_one_committee_by_name_uses_the_nested_shape() {
    let fake = FakeModernGov::start().await;
    let filter = MeetingFilter {
        committee: Some("cabinet".into()),
        from: date(2026, 7, 1),
        to: date(2026, 9, 30),
    };
    let rows = client(&fake, "council-b")
        .list_meetings(&filter)
        .await
        .unwrap();
    let got: Vec<(u32, &str, Option<String>)> = rows
        .iter()
        .map(|r| {
            (
                r.moderngov_id,
                r.committee.as_str(),
                r.time.map(|t| t.format("%H:%M").to_string()),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (8812, "Cabinet", Some("10:00".into())),
            (8830, "Cabinet", Some("14:00".into())),
        ]
    );
    let listing = fake
        .requests()
        .into_iter()
        .find(|r| r.operation == "GetMeetings")
        .unwrap();
    assert_eq!(listing.query["lcommitteeid"], "22");
    assert_eq!(listing.query["sfromdate"], "01/07/2026");
}

#[tokio::test]
async fn an_unknown_committee_is_named_with_the_closest_real_one() {
    let fake = FakeModernGov::start().await;
    let filter = MeetingFilter {
        committee: Some("Planing Committee".into()),
        from: date(2026, 12, 1),
        to: date(2026, 12, 31),
    };
    let e = client(&fake, "council-a")
        .list_meetings(&filter)
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("no committee called “Planing Committee”"), "{e}");
    assert!(e.contains("Did you mean “Planning Committee”?"), "{e}");
    assert!(
        !e.contains("Development Control"),
        "expired committees are not offered: {e}"
    );
}

#[tokio::test]
async fn a_firewall_refuses_library_user_agents_but_not_gavel() {
    let fake = FakeModernGov::start().await;
    let url = format!("{}/mgWebService.asmx/GetCommittees", fake.site("council-a"));
    let library = reqwest::get(&url).await.unwrap();
    assert_eq!(library.status().as_u16(), 403);
    client(&fake, "council-a").committees().await.unwrap();
    let seen = fake.requests();
    let ua = seen.last().unwrap().user_agent.clone().unwrap();
    assert!(
        ua.starts_with(&format!("Gavel/{} (+https://", env!("CARGO_PKG_VERSION"))),
        "{ua}"
    );
}

#[tokio::test]
async fn a_403_says_what_to_ask_the_councils_web_team() {
    let fake = FakeModernGov::start().await;
    let e = client(&fake, "firewalled")
        .get_meeting(4567)
        .await
        .unwrap_err();
    assert!(matches!(e, ModernGovError::Forbidden { .. }), "{e:?}");
    let msg = e.to_string();
    assert!(msg.contains("Ask the council's web team to allow"), "{msg}");
    assert!(msg.contains(&user_agent()), "{msg}");
    assert!(msg.contains("gavel schedule"), "{msg}");
}

#[tokio::test]
async fn a_disabled_service_says_so_and_points_to_gavel_schedule() {
    let fake = FakeModernGov::start().await;
    let e = client(&fake, "disabled")
        .get_meeting(4567)
        .await
        .unwrap_err();
    assert!(matches!(e, ModernGovError::ServiceDisabled { .. }), "{e:?}");
    let msg = e.to_string();
    assert!(msg.contains("switched off"), "{msg}");
    assert!(msg.contains("gavel schedule <agenda.toml>"), "{msg}");
    let e = client(&fake, "no-such-council")
        .committees()
        .await
        .unwrap_err();
    assert!(
        matches!(e, ModernGovError::ServiceDisabled { .. }),
        "404: {e:?}"
    );
}

#[tokio::test]
async fn an_unreachable_site_is_a_network_error_naming_the_address() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let site = Site::parse(&format!("http://{addr}/council-a")).unwrap();
    let e = Client::new(site, London)
        .unwrap()
        .get_meeting(1)
        .await
        .unwrap_err();
    assert!(matches!(e, ModernGovError::Network { .. }), "{e:?}");
    assert!(e.to_string().contains(&addr.to_string()));
}

/// A clerk's evening with an imported agenda: `!next` walks the council's numbering, the
/// exempt item prompts for `!private`, and the ids and documents reach the exports.
const IMPORTED_MEETING: &str = "\
!start
!next
!next
!next
!next
!motion That the application be approved | mover=Cllr Jones | seconder=Cllr Patel
!vote 5-2-0 carried
!next
!next
!next
!next
!next
!private exempt information – paragraph 3
!note The committee discussed the valuation
!public
!end
";

#[tokio::test(flavor = "multi_thread")]
async fn the_cli_imports_updates_then_refuses_a_started_meeting_and_exports_carry_the_ids() {
    let fake = FakeModernGov::start().await;
    let dir = TestDir::new();
    dir.write_config(
        "[web]\nlisten = \"127.0.0.1:0\"\npublic_url = \"https://meetings.example.gov.uk\"\n",
    );
    let page = fake.meeting_page("council-a", 130, 4567);
    // The meeting is held today, so that `!start` below finds it whatever day the tests run.
    let today = Utc::now().with_timezone(&London).date_naive();
    fake.reschedule(4567, today);
    let title = format!("Planning Committee, {}", today.format("%-d %B %Y"));
    let (code, out, err) = dir.gavel(&["import", "moderngov", &page]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains(&format!(
            "imported meeting 1 “{title}”, {today} at 18:30 (Europe/London)"
        )) && out.contains("9 items (1 exempt), 6 documents")
            && out.contains("exempt: 7 Land at Station Road"),
        "{out}"
    );
    // The same meeting by site and id: an update, not a second meeting.
    let site = fake.site("council-a");
    let (code, out, err) = dir.gavel(&["import", "moderngov", &site, "--meeting", "4567"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("updated meeting 1 "), "{out}");
    let (_, meetings, _) = dir.gavel(&["meetings"]);
    assert_eq!(
        meetings.lines().count(),
        2,
        "a header and one meeting:\n{meetings}"
    );

    let (code, out, err) = dir.gavel(&[
        "import",
        "moderngov",
        &site,
        "--list",
        "--committee",
        "planning committee",
        "--from",
        "2026-11-01",
        "--to",
        "2026-12-31",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("4540  2026-11-05  18:30  Planning Committee [Confirmed]")
            && out.contains("4567  2026-12-03")
            && !out.contains("4590")
            && out.contains("--meeting <id>"),
        "{out}"
    );
    let (code, _, err) = dir.gavel(&["import", "moderngov", &site]);
    assert_ne!(code, 0);
    assert!(err.contains("--meeting <id> or --list"), "{err}");

    let (code, said) = crate::helpers::pipe_meeting(&dir, IMPORTED_MEETING);
    assert_eq!(code, 0, "{said:#?}");
    assert!(
        !said.iter().any(|l| l.starts_with("Not recorded")),
        "{said:#?}"
    );
    let said = said.join("\n");
    for needle in [
        "Item 1: Apologies for absence",
        "Item 5a: TPO 12/2026",
        "Item 7: Land at Station Road",
        "Item 7 is marked exempt on the council's agenda",
    ] {
        assert!(said.contains(needle), "{needle} not in:\n{said}");
    }

    let (code, _, err) = dir.gavel(&["import", "moderngov", &page]);
    assert_ne!(
        code, 0,
        "a started meeting must not be changed by an import"
    );
    assert!(
        err.contains(&format!("meeting 1 “{title}” has started")),
        "{err}"
    );
    let (code, _, err) = dir.gavel(&["verify"]);
    assert_eq!(code, 0, "{err}");

    let export = |format: &str| {
        let (code, out, err) = dir.gavel(&["export", "1", "--format", format]);
        assert_eq!(code, 0, "{err}");
        out
    };
    let ocd: serde_json::Value = serde_json::from_str(&export("ocd")).unwrap();
    let agenda = ocd["event"]["agenda"].as_array().unwrap();
    assert_eq!(agenda.len(), 9);
    let planning = &agenda[3]["extras"]["planned"];
    let key = format!(
        "moderngov:{}:4567",
        site.trim_start_matches("http://").trim_end_matches('/')
    );
    assert_eq!(planning["source_meeting"], key.as_str(), "{planning}");
    assert_eq!(planning["documents"].as_array().unwrap().len(), 2);
    assert_eq!(agenda[8]["extras"]["planned"]["exempt"], true);
    let docs = ocd["event"]["documents"].to_string();
    assert!(
        docs.contains("Item 4: Plans & elevations")
            && docs.contains("s91011/Plans%20and%20elevations.pdf")
            && docs.contains("application/pdf"),
        "{docs}"
    );
    assert_eq!(ocd["event"]["sources"][0]["url"], page.as_str());

    let popolo = export("popolo");
    assert!(popolo.contains("\"agenda_item_source\""), "{popolo}");
    let akn = export("akn");
    assert!(
        akn.contains("<TLCConcept eId=\"src-item-")
            && akn.contains("refersTo=\"#src-item-")
            && akn.contains("s91011/Plans%20and%20elevations.pdf"),
        "{akn}"
    );

    if crate::validate::validators_installed() {
        let file = dir.path().join("imported.ocd.json");
        std::fs::write(&file, ocd.to_string()).unwrap();
        let (ok, report) = crate::validate::validate(&[&file]);
        assert!(ok, "{report}");
    }
}

#[tokio::test]
async fn the_daily_sync_imports_the_coming_week_of_the_named_committees() {
    let fake = FakeModernGov::start().await;
    let dir = TestDir::new();
    let archive =
        std::sync::Arc::new(gavel::archive::Archive::open(&dir.path().join("g.db")).unwrap());
    let settings = gavel::config::ModernGovSettings {
        site: Site::parse(&fake.site("council-a")).unwrap(),
        committees: vec!["Planning Committee".into()],
        sync_at: chrono::NaiveTime::from_hms_opt(6, 0, 0).unwrap(),
    };
    let sync = gavel::import::Sync::new(
        archive.clone(),
        settings,
        London,
        gavel::reminders::Clock::System,
    )
    .unwrap();
    let now: chrono::DateTime<Utc> = "2026-11-30T06:00:00Z".parse().unwrap();
    let report = sync.once(now).await;
    assert_eq!(
        (report.imported, report.updated, report.started),
        (1, 0, 0),
        "{report:?}"
    );
    assert!(report.failed.is_empty(), "{report:?}");
    let meetings = archive.meetings().unwrap();
    assert_eq!(meetings.len(), 1);
    assert_eq!(meetings[0].title, "Planning Committee, 3 December 2026");
    assert_eq!(
        meetings[0].starts_at.unwrap().to_rfc3339(),
        "2026-12-03T18:30:00+00:00"
    );
    assert_eq!(archive.planned_items(meetings[0].id).unwrap().len(), 9);
    // The next day: the same meeting, updated in place.
    let report = sync.once(now + chrono::Duration::days(1)).await;
    assert_eq!((report.imported, report.updated), (0, 1), "{report:?}");
    // A week later: the meeting has passed out of the window; nothing new.
    let report = sync.once(now + chrono::Duration::days(8)).await;
    assert_eq!((report.imported, report.updated), (0, 0), "{report:?}");
    assert_eq!(archive.meetings().unwrap().len(), 1);
    // Requests used UK dates and Gavel's user agent.
    let listed = fake
        .requests()
        .into_iter()
        .find(|r| r.operation == "GetMeetings")
        .unwrap();
    assert_eq!(
        listed.query.get("sfromdate").map(String::as_str),
        Some("30/11/2026")
    );
    assert_eq!(
        listed.query.get("stodate").map(String::as_str),
        Some("07/12/2026")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_cli_imports_the_councillors_as_a_roster_the_desk_can_read() {
    let fake = FakeModernGov::start().await;
    let dir = TestDir::new();
    dir.write_config(
        "[web]\nlisten = \"127.0.0.1:0\"\npublic_url = \"https://meetings.example.gov.uk\"\n",
    );
    let site = fake.site("council-a");
    let file = dir.path().join("roster.toml");
    let (code, _, err) = dir.gavel(&[
        "import",
        "moderngov",
        &site,
        "--roster",
        "--out",
        file.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("3 councillors in 3 groups written to"),
        "{err}"
    );
    let roster = gavel::roster::Roster::load(&file).expect("the written roster reads back");
    let names: Vec<&str> = roster
        .councillors()
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(names, ["Ann Lee", "Dr Bob O'Roy", "Cy Dee"]);
    assert_eq!(roster.resolve("o'roy").unwrap().name, "Dr Bob O'Roy");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.starts_with("# Councillors of "), "{text}");
    let seen = fake.requests();
    assert!(
        seen.iter()
            .any(|r| r.operation == "GetCouncillorsByWard" && r.status == 200),
        "{seen:?}"
    );

    // Printed without --out; a site that does not answer leaves the old file alone.
    let (code, out, err) = dir.gavel(&["import", "moderngov", &site, "--roster"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("name = \"Cy Dee\""), "{out}");
    let (code, _, err) = dir.gavel(&[
        "import",
        "moderngov",
        &fake.site("council-b"),
        "--roster",
        "--out",
        file.to_str().unwrap(),
    ]);
    assert_ne!(code, 0);
    assert!(err.contains("GetCouncillorsByWard"), "{err}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), text);
}
