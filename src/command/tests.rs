//! The grammar, verb by verb: what each line parses to and how each mistake is refused.

use super::*;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
}

fn p(line: &str) -> Result<Option<Command>, ParseError> {
    parse(line, "!", today())
}

fn ok(line: &str) -> Command {
    match p(line) {
        Ok(Some(c)) => c,
        other => panic!("{line:?} should parse, got {other:?}"),
    }
}

fn err(line: &str) -> String {
    match p(line) {
        Err(e) => e.to_string(),
        other => panic!("{line:?} should be refused, got {other:?}"),
    }
}

/// (input, accepted?, text the reply or debug form must contain)
const TABLE: &[(&str, bool, &str)] = &[
    ("!start Full Council", true, "Full Council"),
    ("!START Planning Committee", true, "Planning Committee"),
    ("!start", true, "Start { title: None }"),
    ("!end", true, "End"),
    ("!end now please", false, "takes nothing"),
    (
        "!agenda 5 Planning application",
        true,
        "Planning application",
    ),
    ("!agenda 5a Late item", true, "5a"),
    ("!agenda 7.2 Budget", true, "7.2"),
    ("!agenda", true, "ShowAgenda"),
    ("!agenda five Planning", false, "not an agenda item number"),
    ("!agenda 5", false, "needs a title"),
    ("!next", true, "Next"),
    ("!next 5", false, "takes nothing"),
    (
        "!motion That the application be approved | mover=Cllr Jones | seconder=Cllr Patel",
        true,
        "Cllr Patel",
    ),
    ("!motion That the report be noted", true, "mover: None"),
    (
        "!motion | mover=Cllr Jones",
        false,
        "needs the motion's text",
    ),
    (
        "!motion Approve | proposer=Cllr Jones",
        false,
        "no option `proposer`",
    ),
    ("!motion Approve | mover", false, "not a `key=value`"),
    ("!motion Approve | mover=", false, "needs a name"),
    ("!vote 32-10-3 carried", true, "for_: 32"),
    ("!vote 32-10-3 CARRIED", true, "Carried"),
    ("!vote 10-32-3 lost", true, "Lost"),
    ("!vote 32-10 carried", true, "abstain: 0"),
    ("!vote carried", true, "counts: None"),
    ("!vote lost", true, "Lost"),
    (
        "!vote 10-32-3 carried",
        false,
        "more votes for than against",
    ),
    ("!vote 10-10-0 carried", false, "casting=chair"),
    ("!vote 10-10-0 carried | casting=chair", true, "chair"),
    (
        "!vote 11-10-0 carried | casting=chair",
        false,
        "only given on a tie",
    ),
    ("!vote -1-10-3 lost", false, "not a tally"),
    ("!vote 3.5-1-0 carried", false, "not a whole number"),
    ("!vote a-b-c carried", false, "not a whole number"),
    ("!vote 32-10-3", false, "needs a result"),
    ("!vote 32-10-3 maybe", false, "not a vote result"),
    ("!vote", false, "needs a result"),
    ("!vote 0-0-0 lost", false, "no votes at all"),
    (
        "!vote 2-1-1 carried | for=Ann Lee, Bob Roy | against=Cy Dee | abstain=Di Fox",
        true,
        "Bob Roy",
    ),
    (
        "!vote 2-1-1 carried | for=Ann Lee | against=Cy Dee | abstain=Di Fox",
        false,
        "do not match the counts",
    ),
    ("!vote carried | for=Ann, Bob | against=Cy", true, "for_: 2"),
    (
        "!vote 2-1-0 carried | for=Ann, Ann | against=Cy",
        false,
        "more than once",
    ),
    (
        "!vote 2-1-0 carried | for=Ann,, Bob | against=Cy",
        false,
        "empty name",
    ),
    ("!vote 99999999999-1-0 carried", false, "too large"),
    (
        "!consult https://example.gov.uk/local-plan Local Plan | closes=2027-01-31",
        true,
        "Local Plan",
    ),
    (
        "!consult https://example.gov.uk/lp Local Plan",
        false,
        "closing date",
    ),
    (
        "!consult https://example.gov.uk/lp Local Plan | closes=2027-02-30",
        false,
        "not a real date",
    ),
    (
        "!consult https://example.gov.uk/lp Local Plan | closes=2020-01-01",
        false,
        "in the past",
    ),
    (
        "!consult javascript:alert(1) Click me | closes=2027-01-31",
        false,
        "Only http",
    ),
    (
        "!consult data:text/html,<script>x</script> Plan | closes=2027-01-31",
        false,
        "Only http",
    ),
    (
        "!consult /relative/path Plan | closes=2027-01-31",
        false,
        "not a web address",
    ),
    (
        "!consult https://example.gov.uk/lp | closes=2027-01-31",
        false,
        "needs a title",
    ),
    ("!consult extend 3 2027-03-01", true, "ConsultExtend"),
    ("!consult extend 3", false, "new closing date"),
    ("!consult withdraw 2", true, "ConsultWithdraw"),
    ("!consult withdraw two", false, "not a consultation number"),
    ("!consultations", true, "Consultations"),
    (
        "!link https://example.gov.uk/papers.pdf Agenda papers",
        true,
        "Agenda papers",
    ),
    ("!link ftp://example.gov.uk/x Papers", false, "Only http"),
    (
        "!link https://user:pw@example.gov.uk/x Papers",
        false,
        "user name or password",
    ),
    ("!link https://example.gov.uk/x", false, "needs a title"),
    ("!link", false, "needs a link"),
    (
        "!note Cllr Smith declared an interest",
        true,
        "declared an interest",
    ),
    (
        "!note @everyone <script>alert(1)</script>",
        true,
        "<script>alert(1)</script>",
    ),
    ("!note", false, "needs text"),
    ("!speaker Cllr Ahmed", true, "Cllr Ahmed"),
    ("!speaker", false, "needs name"),
    ("!recess", true, "minutes: None"),
    ("!recess 10", true, "Some(10)"),
    ("!recess 10 minutes", true, "Some(10)"),
    ("!recess ten", false, "number of minutes"),
    ("!recess 0", false, "number of minutes"),
    ("!resume", true, "Resume"),
    (
        "!private Exempt information, paragraph 3",
        true,
        "paragraph 3",
    ),
    ("!private", true, "reason: None"),
    ("!public", true, "Public"),
    ("!webcast https://youtube.com/live/abc", true, "youtube.com"),
    ("!webcast javascript:alert(1)", false, "Only http"),
    ("!webcast", false, "needs the webcast"),
    ("!fix 12 Cllr Smith seconded", true, "EntryNo(12)"),
    ("!fix #12 Cllr Smith seconded", true, "EntryNo(12)"),
    ("!fix 12", false, "needs the corrected text"),
    ("!fix twelve text", false, "not an entry number"),
    ("!fix", false, "needs an entry number"),
    ("!strike 12 Posted in error", true, "Posted in error"),
    ("!strike 12", true, "reason: None"),
    ("!strike 0", false, "not an entry number"),
    ("!undo", true, "Undo"),
    ("!status", true, "Status"),
    ("!help", true, "topic: None"),
    ("!help vote", true, "vote"),
    ("!now", true, "Now"),
    ("!vot 1-0-0 carried", false, "Did you mean `!vote`"),
    ("!agneda 5 Item", false, "Did you mean `!agenda`"),
    ("!frobnicate", false, "Unknown command"),
    ("!", false, "needs a command"),
    ("!note hello \u{202E}dlrow", false, "bidirectional"),
    ("!note \u{2066}isolated\u{2069}", false, "bidirectional"),
    ("!note bell\u{0007}", false, "control character"),
];

#[test]
fn parser_table_accepts_and_refuses_as_documented() {
    assert!(TABLE.len() >= 60);
    for (line, accepted, needle) in TABLE {
        let got = p(line);
        match (accepted, &got) {
            (true, Ok(Some(c))) => {
                let dbg = format!("{c:?}");
                assert!(dbg.contains(needle), "{line:?}: {dbg} lacks {needle:?}");
            }
            (false, Err(e)) => {
                let msg = e.to_string();
                assert!(msg.contains(needle), "{line:?}: {msg:?} lacks {needle:?}");
            }
            _ => panic!("{line:?}: expected accepted={accepted}, got {got:?}"),
        }
    }
}

#[test]
fn lines_without_the_prefix_are_not_commands() {
    assert_eq!(p("hello everyone"), Ok(None));
    assert_eq!(p(""), Ok(None));
    assert_eq!(
        parse("?note hi", "?", today()).unwrap(),
        Some(Command::Note { text: "hi".into() })
    );
}

#[test]
fn overlong_line_is_refused_with_its_length() {
    let line = format!("!note {}", "x".repeat(5000));
    let e = err(&line);
    assert!(e.contains("5006 characters"), "{e}");
    assert!(e.contains("4000"));
}

#[test]
fn line_of_exactly_the_limit_is_accepted() {
    let line = format!("!note {}", "x".repeat(MAX_LINE_CHARS - 6));
    assert_eq!(line.chars().count(), MAX_LINE_CHARS);
    assert!(matches!(ok(&line), Command::Note { .. }));
}

#[test]
fn errors_carry_the_expected_form() {
    let e = err("!vote 10-32-3 carried");
    assert!(e.contains("Expected: !vote"), "{e}");
}

#[test]
fn show_of_hands_vote_has_no_counts() {
    assert_eq!(
        ok("!vote carried"),
        Command::Vote(Vote {
            counts: None,
            outcome: Outcome::Carried,
            casting: None,
            roll: None
        })
    );
}

#[test]
fn mention_and_html_text_is_kept_verbatim() {
    assert_eq!(
        ok("!note @everyone <img src=x onerror=alert(1)>"),
        Command::Note {
            text: "@everyone <img src=x onerror=alert(1)>".into()
        }
    );
}

#[test]
fn closing_date_today_is_accepted() {
    let c = ok("!consult https://e.gov.uk/x X | closes=2026-11-25");
    assert!(matches!(c, Command::Consult(Consultation { closes, .. }) if closes == today()));
}

mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn parser_never_panics(line in "\\PC{0,300}") {
            let _ = parse(&line, "!", today());
        }

        #[test]
        fn parser_never_panics_on_command_shaped_lines(
            verb in prop::sample::select(VERBS.iter().map(|v| v.verb).collect::<Vec<_>>()),
            rest in "[ -~\u{00a0}-\u{00ff}|=,#-]{0,80}",
        ) {
            let _ = parse(&format!("!{verb} {rest}"), "!", today());
        }

        #[test]
        fn lines_with_bidi_controls_are_never_accepted(
            verb in prop::sample::select(VERBS.iter().map(|v| v.verb).collect::<Vec<_>>()),
            a in "[a-z0-9 ]{0,20}",
            b in "[a-z0-9 ]{0,20}",
            bidi in prop::sample::select(vec!['\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}']),
        ) {
            let line = format!("!{verb} {a}{bidi}{b}");
            prop_assert!(parse(&line, "!", today()).is_err());
        }
    }
}
