//! The answers of `GetMeeting`, `GetCommittees`, `GetMeetings` and `GetAllMeetingsByDate`,
//! from element trees into Gavel's types. Element names are the service's own (lower case).

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone};
use chrono_tz::Tz;
use url::Url;

use super::xml::Element;
use super::{
    Committee, Document, ImportedItem, ImportedMeeting, MeetingSummary, ModernGovError, Site, text,
};
use crate::roster::{Councillor, without_honorific};

/// `GetMeeting`'s `<meeting>`.
pub fn meeting(
    root: &Element,
    site: &Site,
    tz: Tz,
    requested: u32,
) -> Result<ImportedMeeting, ModernGovError> {
    let problem = |problem: String| ModernGovError::BadMeeting {
        site: site.to_string(),
        meeting_id: requested,
        problem,
    };
    expect_root(root, "meeting", "GetMeeting")?;
    match root.text_of("meetingid").map(str::parse::<u32>) {
        Some(Ok(id)) if id == requested => {}
        Some(Ok(0)) | None => {
            return Err(problem(
                "the service returned no meeting with this id; check the id on the meeting's page"
                    .into(),
            ));
        }
        Some(Ok(other)) => {
            return Err(problem(format!(
                "the service returned meeting {other} instead"
            )));
        }
        Some(Err(_)) => {
            return Err(problem(
                "the service returned a meeting id that is not a number".into(),
            ));
        }
    }
    let committee = root
        .text_of("committeetitle")
        .map(text::inline)
        .filter(|c| !c.is_empty())
        .ok_or_else(|| problem("it names no committee (`committeetitle`)".into()))?;
    let date_text = root.text_of("meetingdate").unwrap_or("");
    let date = parse_date(date_text)
        .ok_or_else(|| problem(format!("its date `{date_text}` is not dd/mm/yyyy")))?;
    let time_text = root.text_of("meetingtime").unwrap_or("");
    let time = parse_time(time_text)
        .ok_or_else(|| problem(format!("its time `{time_text}` is not a time of day")))?;
    let start = local_start(date, time, tz).map_err(problem)?;
    let agenda_published = root.flag("agendapublished").unwrap_or(false);
    let mut items = Vec::new();
    if agenda_published {
        for el in root
            .child("agendaitems")
            .into_iter()
            .flat_map(|a| a.children_named("agendaitem"))
        {
            if let Some(parsed) = item(el, site).map_err(problem)? {
                items.push(parsed);
            }
        }
    }
    Ok(ImportedMeeting {
        site: site.clone(),
        moderngov_id: requested,
        committee_id: root.text_of("committeeid").and_then(|c| c.parse().ok()),
        title: format!("{committee}, {}", date.format("%-d %B %Y")),
        committee,
        start,
        location: root
            .text_of("meetinglocation")
            .map(text::inline)
            .filter(|l| !l.is_empty()),
        agenda_published,
        items,
    })
}

/// One `<agendaitem>`; `None` for an item the council does not display.
fn item(el: &Element, site: &Site) -> Result<Option<ImportedItem>, String> {
    if el.flag("isdisplayallowed") == Some(false) {
        return Ok(None);
    }
    let id_text = el.text_of("agendaitemid").unwrap_or("");
    let moderngov_id = id_text
        .parse::<u32>()
        .map_err(|_| format!("an agenda item's id `{id_text}` is not a number"))?;
    let documents = el
        .child("linkeddocuments")
        .into_iter()
        .flat_map(|d| d.children_named("linkeddoc"))
        .filter_map(|d| document(d, site))
        .collect();
    Ok(Some(ImportedItem {
        moderngov_id,
        number: item_number(el),
        title: el
            .text_of("agendaitemtitle")
            .map(text::inline)
            .unwrap_or_default(),
        exempt: el.flag("isrestricted") == Some(true),
        text: el
            .text_of("agendatext")
            .map(text::block)
            .unwrap_or_default(),
        documents,
    }))
}

/// The number as the council displays it: `fulldisplaynumberformat` without its trailing dot
/// (`7.1.` → `7.1`), else `agendaitemnumber`; `None` (a heading) when neither gives one or
/// the number is `0`.
fn item_number(el: &Element) -> Option<String> {
    let shown = el
        .text_of("fulldisplaynumberformat")
        .map(|n| n.trim_end_matches('.').trim())
        .filter(|n| !n.is_empty());
    let number = shown.or_else(|| el.text_of("agendaitemnumber"))?;
    (number != "0").then(|| text::inline(number))
}

/// A public `<linkeddoc>`; restricted ones and ones without a usable address are dropped.
fn document(el: &Element, site: &Site) -> Option<Document> {
    if el.flag("isrestricted") != Some(false) {
        // Missing or unreadable counts as restricted: a document is public only when the
        // council says so.
        return None;
    }
    let url = site.as_url().join(el.text_of("url")?).ok()?;
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    let title = el
        .text_of("title")
        .map(text::inline)
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| file_name(&url));
    Some(Document { title, url })
}

fn file_name(url: &Url) -> String {
    url.path_segments()
        .and_then(|mut s| s.next_back())
        .map(percent_decode)
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "Document".into())
}

fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// `GetCommittees`' `<committees>`.
pub fn committees(root: &Element) -> Result<Vec<Committee>, ModernGovError> {
    expect_root(root, "committees", "GetCommittees")?;
    Ok(root
        .children_named("committee")
        .filter_map(|c| {
            Some(Committee {
                id: c.text_of("committeeid")?.parse().ok()?,
                title: text::inline(c.text_of("committeetitle")?),
                expired: c.flag("committeeexpired") == Some(true)
                    || c.flag("committeedeleted") == Some(true),
            })
        })
        .collect())
}

/// `GetCouncillorsByWard`'s `<councillorsbyward><wards><ward><wardtitle>` and
/// `<councillors><councillor><fullusername>`, with the party (`politicalpartytitle`, else
/// `politicalgrouptitle`). The honorific the service puts before every name ("Councillor",
/// "Cllr") is dropped; placeholder rows without a name are skipped; a councillor listed under
/// two wards (a vacancy shuffle, a by-election) is kept once, with the first ward.
pub fn councillors(root: &Element) -> Result<Vec<Councillor>, ModernGovError> {
    expect_root(root, "councillorsbyward", "GetCouncillorsByWard")?;
    let wards = root
        .child("wards")
        .map(|w| w.children_named("ward").collect::<Vec<_>>())
        .unwrap_or_default();
    let mut out: Vec<Councillor> = Vec::new();
    let mut ids = std::collections::HashSet::new();
    for ward in wards {
        let ward_title = ward
            .text_of("wardtitle")
            .map(text::inline)
            .filter(|w| !w.is_empty());
        let people = ward
            .child("councillors")
            .map(|c| c.children_named("councillor").collect::<Vec<_>>())
            .unwrap_or_default();
        for person in people {
            let Some(name) = person
                .text_of("fullusername")
                .map(|n| without_honorific(&text::inline(n)).to_string())
                .filter(|n| !n.is_empty())
            else {
                continue;
            };
            let id = person.text_of("councillorid").unwrap_or("").to_string();
            let first = if id.is_empty() {
                !out.iter().any(|c| c.name == name)
            } else {
                ids.insert(id)
            };
            if !first {
                continue;
            }
            let group = ["politicalpartytitle", "politicalgrouptitle"]
                .iter()
                .filter_map(|f| person.text_of(f))
                .map(text::inline)
                .find(|g| !g.is_empty());
            out.push(Councillor {
                name,
                group,
                ward: ward_title.clone(),
            });
        }
    }
    Ok(out)
}

/// The rows of either listing shape: `GetAllMeetingsByDate`'s
/// `<getmeetingsbydate><meetings><meeting>` (each row names its committee id) or
/// `GetMeetings`' `<getmeetings><committee>…<meetings><meeting>` (rows inherit the
/// committee). Rows without a readable id or date are skipped.
pub fn meeting_rows(
    root: &Element,
    site: &Site,
    operation: &str,
) -> Result<Vec<MeetingSummary>, ModernGovError> {
    let mut rows = Vec::new();
    match root.name.as_str() {
        "getmeetingsbydate" | "getmeetings" => {
            collect_rows(root, None, site, &mut rows);
            for committee in root.children_named("committee") {
                let inherited = (
                    committee
                        .text_of("committeeid")
                        .and_then(|c| c.parse().ok()),
                    committee.text_of("committeetitle").map(text::inline),
                );
                collect_rows(committee, Some(inherited), site, &mut rows);
            }
        }
        other => {
            return Err(ModernGovError::Xml {
                operation: operation.into(),
                detail: format!("expected <getmeetings> or <getmeetingsbydate>, got <{other}>"),
            });
        }
    }
    Ok(rows)
}

fn collect_rows(
    parent: &Element,
    committee: Option<(Option<u32>, Option<String>)>,
    site: &Site,
    rows: &mut Vec<MeetingSummary>,
) {
    let (inherited_id, inherited_title) = committee.unwrap_or_default();
    for m in parent
        .children_named("meetings")
        .flat_map(|m| m.children_named("meeting"))
    {
        let Some(id) = m.text_of("meetingid").and_then(|i| i.parse::<u32>().ok()) else {
            continue;
        };
        let Some(date) = m.text_of("meetingdate").and_then(parse_date) else {
            continue;
        };
        let committee_id = m
            .text_of("committeeid")
            .and_then(|c| c.parse().ok())
            .or(inherited_id);
        rows.push(MeetingSummary {
            moderngov_id: id,
            committee_id,
            committee: m
                .text_of("committeetitle")
                .map(text::inline)
                .or_else(|| inherited_title.clone())
                .unwrap_or_default(),
            date,
            time: m.text_of("meetingtime").and_then(parse_time),
            status: m.text_of("meetingstatus").map(text::inline),
            page_url: site.meeting_page(committee_id, id),
        });
    }
}

fn expect_root(root: &Element, name: &str, operation: &str) -> Result<(), ModernGovError> {
    if root.name == name {
        Ok(())
    } else {
        Err(ModernGovError::Xml {
            operation: operation.into(),
            detail: format!("expected <{name}>, got <{}>", root.name),
        })
    }
}

/// `dd/mm/yyyy`, the service's only date format (a time after it is ignored).
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let day = s.split_whitespace().next()?;
    NaiveDate::parse_from_str(day, "%d/%m/%Y").ok()
}

/// A time of day as councils write it: `18:30`, `18.30`, `10.00 am`, `2pm`, `6.30 p.m.`,
/// `10:00:00`, `12 noon`.
pub fn parse_time(s: &str) -> Option<NaiveTime> {
    let s: String = s
        .to_ascii_lowercase()
        .replace("a.m.", "am")
        .replace("p.m.", "pm")
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    if s.contains("noon") || s.contains("midday") {
        return NaiveTime::from_hms_opt(12, 0, 0);
    }
    let (clock, half) = match (s.strip_suffix("am"), s.strip_suffix("pm")) {
        (Some(c), _) => (c, Some(false)),
        (_, Some(c)) => (c, Some(true)),
        _ => (s.as_str(), None),
    };
    let mut parts = clock.split([':', '.']);
    let hour: u32 = parts.next()?.parse().ok()?;
    let minute: u32 = match parts.next() {
        Some(m) => m.parse().ok()?,
        None => 0,
    };
    let second: u32 = match parts.next() {
        Some(s) => s.parse().ok()?,
        None => 0,
    };
    if parts.next().is_some() {
        return None;
    }
    let hour = match half {
        None => hour,
        Some(_) if !(1..=12).contains(&hour) => return None,
        Some(false) => hour % 12,
        Some(true) => hour % 12 + 12,
    };
    NaiveTime::from_hms_opt(hour, minute, second)
}

/// The council's wall-clock time as an instant in its zone. A time the clocks skip (spring
/// forward) is an error; a time they repeat (autumn) is the first of the two.
pub fn local_start(date: NaiveDate, time: NaiveTime, tz: Tz) -> Result<DateTime<Tz>, String> {
    tz.from_local_datetime(&date.and_time(time))
        .earliest()
        .ok_or_else(|| {
            format!(
                "{} on {} does not exist in {} (the clocks go forward then); ask the council to correct the meeting's time",
                time.format("%H:%M"),
                date.format("%d/%m/%Y"),
                tz.name()
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::moderngov::xml;
    use chrono::Utc;

    fn t(h: u32, m: u32) -> Option<NaiveTime> {
        NaiveTime::from_hms_opt(h, m, 0)
    }

    #[test]
    fn times_are_read_as_councils_write_them() {
        assert_eq!(parse_time("18:30"), t(18, 30));
        assert_eq!(parse_time("18.30"), t(18, 30));
        assert_eq!(parse_time("10.00 am"), t(10, 0));
        assert_eq!(parse_time("2.00 pm"), t(14, 0));
        assert_eq!(parse_time("6.30 p.m."), t(18, 30));
        assert_eq!(parse_time("2pm"), t(14, 0));
        assert_eq!(parse_time("12.15 am"), t(0, 15));
        assert_eq!(parse_time("12:30 PM"), t(12, 30));
        assert_eq!(parse_time("12 noon"), t(12, 0));
        assert_eq!(parse_time("10:00:00"), t(10, 0));
        for bad in ["", "tbc", "25:00", "13.00 pm", "10:61", "1:2:3:4"] {
            assert_eq!(parse_time(bad), None, "{bad}");
        }
    }

    #[test]
    fn dates_are_day_month_year_only() {
        assert_eq!(
            parse_date("03/12/2026"),
            NaiveDate::from_ymd_opt(2026, 12, 3)
        );
        assert_eq!(
            parse_date("03/12/2026 00:00:00"),
            NaiveDate::from_ymd_opt(2026, 12, 3)
        );
        assert_eq!(parse_date("2026-12-03"), None);
        assert_eq!(parse_date("12/31/2026"), None);
    }

    #[test]
    fn wall_clock_times_follow_british_summer_time() {
        let london = chrono_tz::Europe::London;
        let at = |d: (i32, u32, u32), h: u32| {
            local_start(
                NaiveDate::from_ymd_opt(d.0, d.1, d.2).unwrap(),
                t(h, 0).unwrap(),
                london,
            )
            .map(|s| s.with_timezone(&Utc).format("%Y-%m-%dT%H:%M").to_string())
        };
        // The clocks went forward on Sunday 29 March 2026 and go back on 25 October.
        assert_eq!(at((2026, 3, 28), 10).unwrap(), "2026-03-28T10:00");
        assert_eq!(at((2026, 3, 30), 10).unwrap(), "2026-03-30T09:00");
        assert_eq!(at((2026, 10, 24), 18).unwrap(), "2026-10-24T17:00");
        assert_eq!(at((2026, 10, 26), 18).unwrap(), "2026-10-26T18:00");
        assert_eq!(at((2026, 10, 25), 1).unwrap(), "2026-10-25T00:00");
        let gap = at((2026, 3, 29), 1).unwrap_err();
        assert!(gap.contains("does not exist in Europe/London"), "{gap}");
    }

    fn site() -> Site {
        Site::parse("https://democracy.example.gov.uk").unwrap()
    }

    fn one_item(item: &str) -> Result<ImportedMeeting, ModernGovError> {
        let doc = format!(
            "<meeting><meetingid>9</meetingid><meetingdate>01/06/2026</meetingdate><meetingtime>19:00</meetingtime><committeetitle>Council</committeetitle><agendapublished>True</agendapublished><agendaitems>{item}</agendaitems></meeting>"
        );
        meeting(
            &xml::parse(&doc).unwrap(),
            &site(),
            chrono_tz::Europe::London,
            9,
        )
    }

    #[test]
    fn numbers_come_from_the_display_format_without_its_trailing_dot() {
        let m = one_item(
            "<agendaitem><agendaitemid>1</agendaitemid><agendaitemnumber>7</agendaitemnumber><fulldisplaynumberformat>7.2.</fulldisplaynumberformat><agendaitemtitle>A</agendaitemtitle></agendaitem>\
             <agendaitem><agendaitemid>2</agendaitemid><agendaitemnumber>8</agendaitemnumber><agendaitemtitle>B</agendaitemtitle></agendaitem>\
             <agendaitem><agendaitemid>3</agendaitemid><agendaitemnumber>0</agendaitemnumber><fulldisplaynumberformat /><agendaitemtitle>PART B</agendaitemtitle></agendaitem>",
        )
        .unwrap();
        let numbers: Vec<_> = m.items.iter().map(|i| i.number.as_deref()).collect();
        assert_eq!(numbers, [Some("7.2"), Some("8"), None]);
        assert!(m.items[2].is_heading());
        assert_eq!(m.title, "Council, 1 June 2026");
        assert_eq!(
            m.start.with_timezone(&Utc).format("%H:%M").to_string(),
            "18:00"
        );
    }

    #[test]
    fn documents_are_public_only_when_the_council_says_so() {
        let m = one_item(
            "<agendaitem><agendaitemid>1</agendaitemid><agendaitemnumber>1</agendaitemnumber><agendaitemtitle>A</agendaitemtitle><isrestricted>True</isrestricted><linkeddocuments>\
             <linkeddoc><title>Public</title><url>documents/s1/Public%20report.pdf</url><isrestricted>False</isrestricted></linkeddoc>\
             <linkeddoc><title>Secret</title><url>https://x/s2.pdf</url><isrestricted>True</isrestricted></linkeddoc>\
             <linkeddoc><title>Unsaid</title><url>https://x/s3.pdf</url></linkeddoc>\
             <linkeddoc><title></title><url>https://democracy.example.gov.uk/documents/s4/Plan%20A.pdf</url><isrestricted>False</isrestricted></linkeddoc>\
             <linkeddoc><title>Script</title><url>javascript:alert(1)</url><isrestricted>False</isrestricted></linkeddoc>\
             </linkeddocuments></agendaitem>",
        )
        .unwrap();
        let item = &m.items[0];
        assert!(item.exempt);
        let docs: Vec<_> = item
            .documents
            .iter()
            .map(|d| (d.title.as_str(), d.url.as_str()))
            .collect();
        assert_eq!(
            docs,
            [
                (
                    "Public",
                    "https://democracy.example.gov.uk/documents/s1/Public%20report.pdf"
                ),
                (
                    "Plan A.pdf",
                    "https://democracy.example.gov.uk/documents/s4/Plan%20A.pdf"
                ),
            ]
        );
    }

    #[test]
    fn a_meeting_the_service_does_not_have_is_named() {
        let e = one_item("").unwrap();
        assert!(e.items.is_empty());
        let doc = "<meeting><meetingid>0</meetingid></meeting>";
        let e = meeting(
            &xml::parse(doc).unwrap(),
            &site(),
            chrono_tz::Europe::London,
            9,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("no meeting with this id"), "{e}");
        let e = meeting(
            &xml::parse("<committees/>").unwrap(),
            &site(),
            chrono_tz::Europe::London,
            9,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("expected <meeting>"), "{e}");
    }

    #[test]
    fn councillors_are_read_by_ward_without_honorifics_or_repeats() {
        let doc = include_str!("../../tests/fixtures/moderngov/council-a/GetCouncillorsByWard.xml");
        let people = councillors(&xml::parse(doc).unwrap()).unwrap();
        let rows: Vec<(&str, Option<&str>, Option<&str>)> = people
            .iter()
            .map(|c| (c.name.as_str(), c.group.as_deref(), c.ward.as_deref()))
            .collect();
        assert_eq!(
            rows,
            [
                ("Ann Lee", Some("Labour"), Some("Abbey")),
                ("Dr Bob O'Roy", Some("Conservative"), Some("Abbey")),
                (
                    "Cy Dee",
                    Some("Independent Group"),
                    Some("St Mary's & Priory")
                ),
            ]
        );
        let e = councillors(&xml::parse("<committees/>").unwrap())
            .unwrap_err()
            .to_string();
        assert!(e.contains("expected <councillorsbyward>"), "{e}");
    }
}
