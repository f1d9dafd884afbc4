//! An imported meeting as the [`MeetingPlan`] that `gavel schedule` preloads too, so the
//! import goes through the same `Meetings::schedule_meeting` and `!next` walks the council's
//! agenda.

use chrono::Utc;

use crate::archive::{MeetingPlan, PlanSource, PlannedDocument, PlannedItem};
use crate::command::{self, Command};

use super::{ImportedMeeting, ModernGovError};

impl ImportedMeeting {
    /// The meeting's title, local date, start and numbered items, each checked by the same
    /// rules as `!agenda` (so `!next` never produces an item a clerk could not type), with
    /// their ModernGov ids, exempt flags and public documents. Heading rows are left out: they
    /// have no number and are not business. The source key names the site and the meeting,
    /// so importing it again updates the same meeting.
    pub fn to_plan(&self) -> Result<MeetingPlan, ModernGovError> {
        let problem = |problem: String| ModernGovError::NotPlannable {
            meeting_id: self.moderngov_id,
            problem,
        };
        let mut items: Vec<PlannedItem> = Vec::new();
        for item in self.numbered_items() {
            let number = item.number.as_deref().unwrap_or_default();
            let line = format!("!agenda {number} {}", item.title);
            let planned = match command::parse(&line, "!", chrono::NaiveDate::MIN) {
                Ok(Some(Command::Agenda { number, title })) => PlannedItem {
                    number,
                    title,
                    external_id: Some(item.moderngov_id.to_string()),
                    exempt: item.exempt,
                    documents: item
                        .documents
                        .iter()
                        .map(|d| PlannedDocument {
                            title: d.title.clone(),
                            url: d.url.to_string(),
                        })
                        .collect(),
                },
                Ok(_) => {
                    return Err(problem(format!(
                        "item {number} has no title on the council's agenda"
                    )));
                }
                Err(e) => {
                    return Err(problem(format!(
                        "item “{number} {}”: {}",
                        item.title,
                        e.reason(crate::i18n::Lang::En)
                    )));
                }
            };
            if items.iter().any(|p| p.number == planned.number) {
                return Err(problem(format!(
                    "the council's agenda numbers two items {number}"
                )));
            }
            items.push(planned);
        }
        Ok(MeetingPlan {
            title: self.title.clone(),
            date: Some(self.start.date_naive()),
            starts_at: Some(self.start.with_timezone(&Utc)),
            source: Some(PlanSource {
                key: self.source_key(),
                url: self.page_url().to_string(),
            }),
            items,
        })
    }

    /// `moderngov:democracy.example.gov.uk:4567`: the same meeting whichever page or scheme
    /// it was imported from.
    pub fn source_key(&self) -> String {
        format!("moderngov:{}:{}", self.site.key(), self.moderngov_id)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::moderngov::{ImportedItem, Site};

    fn item(id: u32, number: Option<&str>, title: &str, exempt: bool) -> ImportedItem {
        ImportedItem {
            moderngov_id: id,
            number: number.map(str::to_string),
            title: title.into(),
            exempt,
            text: String::new(),
            documents: Vec::new(),
        }
    }

    fn meeting(items: Vec<ImportedItem>) -> ImportedMeeting {
        let start = chrono_tz::Europe::London
            .with_ymd_and_hms(2026, 12, 3, 18, 30, 0)
            .unwrap();
        ImportedMeeting {
            site: Site::parse("democracy.example.gov.uk").unwrap(),
            moderngov_id: 4567,
            committee_id: Some(130),
            committee: "Planning Committee".into(),
            title: "Planning Committee, 3 December 2026".into(),
            start,
            location: None,
            agenda_published: true,
            items,
        }
    }

    #[test]
    fn headings_are_left_out_and_numbers_kept_as_the_council_shows_them() {
        let plan = meeting(vec![
            item(1, Some("1"), "Apologies", false),
            item(2, None, "PLANNING APPLICATIONS", false),
            item(3, Some("5a"), "TPO 12/2026", false),
            item(4, Some("7.2"), "Land at Station Road (exempt)", true),
        ])
        .to_plan()
        .unwrap();
        assert_eq!(plan.title, "Planning Committee, 3 December 2026");
        assert_eq!(plan.date.unwrap().to_string(), "2026-12-03");
        assert_eq!(
            plan.starts_at.unwrap().to_rfc3339(),
            "2026-12-03T18:30:00+00:00"
        );
        let source = plan.source.as_ref().unwrap();
        assert_eq!(source.key, "moderngov:democracy.example.gov.uk:4567");
        assert_eq!(
            source.url,
            "https://democracy.example.gov.uk/ieListDocuments.aspx?CId=130&MId=4567"
        );
        assert_eq!(plan.items[2].external_id.as_deref(), Some("4"));
        assert!(plan.items[2].exempt && !plan.items[1].exempt);
        let got: Vec<_> = plan
            .items
            .iter()
            .map(|i| (i.number.as_str(), i.title.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("1", "Apologies"),
                ("5a", "TPO 12/2026"),
                ("7.2", "Land at Station Road (exempt)")
            ]
        );
    }

    #[test]
    fn numbers_a_clerk_could_not_type_are_refused_by_name() {
        let e = meeting(vec![item(1, Some("A1"), "Budget", false)])
            .to_plan()
            .unwrap_err()
            .to_string();
        assert!(e.contains("“A1 Budget”"), "{e}");
        let e = meeting(vec![
            item(1, Some("3"), "A", false),
            item(2, Some("3"), "B", false),
        ])
        .to_plan()
        .unwrap_err()
        .to_string();
        assert!(e.contains("numbers two items 3"), "{e}");
        let e = meeting(vec![item(1, Some("3"), "", false)])
            .to_plan()
            .unwrap_err()
            .to_string();
        assert!(e.contains("item 3"), "{e}");
    }

    #[test]
    fn an_unpublished_agenda_plans_a_meeting_without_items() {
        let mut m = meeting(Vec::new());
        m.agenda_published = false;
        let plan = m.to_plan().unwrap();
        assert!(plan.items.is_empty());
        assert_eq!(
            m.summary(),
            "no items: the council has not published the agenda yet"
        );
    }
}
