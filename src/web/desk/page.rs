//! The desk's HTML: the sign-in page and the meeting at a glance. Every region that changes
//! while the meeting runs (`desk-status`, `desk-agenda`, `desk-entries`, `desk-targets`) is
//! rendered by one function, used both for the page and for `state.json`, so a poll shows
//! exactly what a reload would. Every form is a plain HTML form: the desk works without
//! JavaScript, and `desk.js` only refreshes the regions and adds shortcuts.

use std::fmt::Write as _;

use crate::archive::DeliveryTally;
use crate::config::Council;
use crate::desk::ClerkView;
use crate::domain::{Entry, EntryKind};
use crate::i18n::{Lang, Language};
use crate::outbox::TargetStatus;
use crate::roster::Councillor;
use crate::tr;
use crate::web::html::{chrome, chrome_attr, escape, lang};
use crate::web::view::time_html;

use super::auth::{Flash, random_token};

/// What one render of the desk shows.
pub struct Snapshot {
    pub view: ClerkView,
    /// The latest entries, newest first, with how their deliveries stand.
    pub entries: Vec<(Entry, DeliveryTally)>,
    pub targets: Vec<TargetStatus>,
}

/// Who is looking, and what every form they submit must carry.
pub struct Viewer<'a> {
    pub clerk: &'a str,
    pub csrf: &'a str,
    pub prefix: &'a str,
    /// The councillors the vote form lists (`[desk] roster_file`), if any.
    pub roster: &'a [Councillor],
}

fn c(language: Language, f: impl Fn(Lang) -> String) -> String {
    chrome(language, f)
}

/// The hidden fields every desk form carries: the session's CSRF token and a fresh key, so
/// submitting the same rendered form twice records once.
fn hidden(v: &Viewer<'_>) -> String {
    format!(
        "<input type=\"hidden\" name=\"csrf\" value=\"{}\"><input type=\"hidden\" name=\"key\" value=\"{}\">",
        escape(v.csrf),
        &random_token()[..32]
    )
}

/// The desk's own page shell: no public navigation, `desk.js` instead of `live.js`.
fn shell(council: &Council, title: &str, header_extra: &str, body: &str) -> String {
    let language = council.language;
    format!(
        "<!doctype html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<meta name=\"robots\" content=\"noindex\">\n\
<title>{title} — {name}</title>\n<link rel=\"stylesheet\" href=\"/static/gavel.css\">\n\
<script src=\"/static/desk.js\" defer></script>\n</head>\n<body class=\"desk\">\n\
<a class=\"skip-link\" href=\"#main\">{skip}</a>\n\
<header class=\"site-header\">\n<p class=\"site-name\">{name} · {desk}</p>\n{header_extra}</header>\n\
<main id=\"main\" tabindex=\"-1\">\n{body}</main>\n</body>\n</html>\n",
        lang = lang(council),
        name = escape(&council.name),
        desk = c(language, |l| tr!(l, "desk-title")),
        skip = c(language, |l| tr!(l, "web-skip-link")),
    )
}

/// `GET /desk/login`: `error` is shown above the form (a refusal or the rate limit).
pub fn login_page(council: &Council, error: Option<&str>, name: &str) -> String {
    let language = council.language;
    let mut body = format!(
        "<h1>{}</h1>\n",
        c(language, |l| tr!(l, "desk-login-heading"))
    );
    if let Some(e) = error {
        let _ = writeln!(
            body,
            "<div class=\"desk-flash desk-flash-refused\" role=\"alert\"><p>{}</p></div>",
            escape(e)
        );
    }
    let _ = writeln!(
        body,
        "<form class=\"desk-form desk-login\" method=\"post\" action=\"/desk/login\">\n\
<p><label for=\"name\">{name_label}</label>\n<input id=\"name\" name=\"name\" type=\"text\" autocomplete=\"username\" required value=\"{name}\"></p>\n\
<p><label for=\"password\">{password_label}</label>\n<input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required></p>\n\
<p><button type=\"submit\">{button}</button></p>\n</form>",
        name_label = c(language, |l| tr!(l, "desk-login-name")),
        password_label = c(language, |l| tr!(l, "desk-login-password")),
        button = c(language, |l| tr!(l, "desk-login-button")),
        name = escape(name),
    );
    let title = chrome_attr(language, |l| tr!(l, "desk-login-heading"));
    shell(council, &title, "", &body)
}

/// `GET /desk`.
pub fn desk_page(
    council: &Council,
    v: &Viewer<'_>,
    snap: &Snapshot,
    flash: Option<&Flash>,
) -> String {
    let language = council.language;
    let header = format!(
        "<form class=\"desk-signout\" method=\"post\" action=\"/desk/logout\">{hidden}\
<span>{who}</span> <button type=\"submit\">{out}</button></form>\n",
        hidden = hidden(v),
        who = c(language, |l| tr!(l, "desk-signed-in-as", name = v.clerk)),
        out = c(language, |l| tr!(l, "desk-sign-out")),
    );
    let mut body = String::new();
    // The result of the last action, read first by screen readers after the redirect.
    match flash {
        Some(f) => {
            let (class, role, label) = if f.ok {
                (
                    "desk-flash-recorded",
                    "status",
                    c(language, |l| tr!(l, "desk-result-recorded")),
                )
            } else {
                (
                    "desk-flash-refused",
                    "alert",
                    c(language, |l| tr!(l, "desk-result-refused")),
                )
            };
            let lines: String = f
                .text
                .lines()
                .map(|l| format!("<p>{}</p>", escape(l)))
                .collect();
            // Refusals already begin "Not recorded:": say it once.
            let label = if f.text.starts_with(label.as_str()) {
                String::new()
            } else {
                format!("<p><strong>{label}</strong></p>")
            };
            let _ = writeln!(
                body,
                "<div id=\"desk-flash\" class=\"desk-flash {class}\" role=\"{role}\" tabindex=\"-1\">{label}{lines}</div>"
            );
        }
        None => body.push_str("<div id=\"desk-flash\" role=\"status\"></div>\n"),
    }
    // Status across the top; then the agenda, command line and vote form beside the latest
    // entries and targets (one column on a tablet, in that order).
    for (id, html) in regions(language, v, snap) {
        let _ = writeln!(body, "<div id=\"{id}\" class=\"desk-region\">{html}</div>");
        match id {
            "desk-status" => body.push_str("<div class=\"desk-grid\">\n<div class=\"desk-col\">\n"),
            "desk-agenda" => {
                body.push_str(&compose(language, v, &snap.view));
                body.push_str("</div>\n<div class=\"desk-col\">\n");
            }
            _ => {}
        }
    }
    body.push_str("</div>\n</div>\n");
    body.push_str(&shortcuts(language));
    let _ = writeln!(
        body,
        "<div id=\"desk-announcer\" class=\"visually-hidden\" role=\"status\" aria-live=\"polite\" data-clerk=\"{}\" data-new-entry=\"{}\"></div>",
        escape(v.clerk),
        chrome_attr(language, |l| tr!(l, "desk-js-new-entry", entry = "{n}"))
    );
    let title = chrome_attr(language, |l| tr!(l, "desk-title"));
    shell(council, &title, &header, &body)
}

/// The regions `desk.js` refreshes, in page order: (element id, inner HTML).
pub fn regions(language: Language, v: &Viewer<'_>, snap: &Snapshot) -> Vec<(&'static str, String)> {
    vec![
        ("desk-status", status(language, v, &snap.view)),
        ("desk-agenda", agenda(language, v, &snap.view)),
        ("desk-entries", entries(language, v, snap)),
        ("desk-targets", targets(language, &snap.targets)),
    ]
}

/// Title, the private-session and recess banners, and the toggles.
fn status(language: Language, v: &Viewer<'_>, view: &ClerkView) -> String {
    let p = v.prefix;
    let Some(_) = view.meeting else {
        return format!(
            "<h1>{}</h1>\n<p>{}</p>\n",
            c(language, |l| tr!(l, "desk-title")),
            c(language, |l| tr!(
                l,
                "desk-no-meeting",
                example = format!("{p}start …")
            ))
        );
    };
    let mut out = format!("<h1>{}</h1>\n", escape(&view.title));
    if view.private {
        let _ = writeln!(
            out,
            "<p class=\"desk-banner desk-banner-private\"><strong>{}</strong></p>",
            c(language, |l| tr!(
                l,
                "desk-banner-private",
                command = format!("{p}public")
            ))
        );
    }
    if view.in_recess {
        let _ = writeln!(
            out,
            "<p class=\"desk-banner desk-banner-recess\"><strong>{}</strong></p>",
            c(language, |l| tr!(
                l,
                "desk-banner-recess",
                command = format!("{p}resume")
            ))
        );
    }
    out.push_str("<div class=\"desk-toggles\">\n");
    if view.private {
        let _ = writeln!(
            out,
            "<form method=\"post\" action=\"/desk/public\">{}<button type=\"submit\">{}</button></form>",
            hidden(v),
            c(language, |l| tr!(l, "desk-go-public"))
        );
    } else {
        let _ = writeln!(
            out,
            "<form method=\"post\" action=\"/desk/private\">{}<label for=\"private-reason\">{}</label> <input id=\"private-reason\" name=\"reason\" type=\"text\"> <button type=\"submit\">{}</button></form>",
            hidden(v),
            c(language, |l| tr!(l, "desk-private-reason")),
            c(language, |l| tr!(l, "desk-go-private"))
        );
    }
    if view.in_recess {
        let _ = writeln!(
            out,
            "<form method=\"post\" action=\"/desk/resume\">{}<button type=\"submit\">{}</button></form>",
            hidden(v),
            c(language, |l| tr!(l, "desk-resume"))
        );
    } else {
        let _ = writeln!(
            out,
            "<form method=\"post\" action=\"/desk/recess\">{}<label for=\"recess-minutes\">{}</label> <input id=\"recess-minutes\" name=\"minutes\" type=\"number\" min=\"1\" inputmode=\"numeric\" class=\"desk-count\"> <button type=\"submit\">{}</button></form>",
            hidden(v),
            c(language, |l| tr!(l, "desk-recess-minutes")),
            c(language, |l| tr!(l, "desk-recess"))
        );
    }
    out.push_str("</div>\n");
    out
}

/// The preloaded agenda: done items ticked, the current one marked, and Next.
fn agenda(language: Language, v: &Viewer<'_>, view: &ClerkView) -> String {
    let mut out = format!(
        "<section aria-labelledby=\"agenda-heading\">\n<h2 id=\"agenda-heading\">{}</h2>\n",
        c(language, |l| tr!(l, "desk-agenda"))
    );
    let current = view.current_item.as_ref().map(|(n, _)| n.as_str());
    if view.planned.is_empty() {
        let p = v.prefix;
        let _ = writeln!(
            out,
            "<p>{}</p>",
            c(language, |l| tr!(
                l,
                "desk-agenda-empty",
                example = format!("{p}agenda 5 …")
            ))
        );
        current_line(&mut out, language, view);
    } else {
        out.push_str("<ol class=\"desk-agenda\">\n");
        for (i, item) in view.planned.iter().enumerate() {
            let is_current = current == Some(item.number.as_str()) && i + 1 == view.next_index;
            let done = i < view.next_index && !is_current;
            let (attrs, mark) = if is_current {
                (
                    " class=\"current\" aria-current=\"step\"",
                    format!(
                        " <span class=\"badge\">{}</span>",
                        c(language, |l| tr!(l, "desk-item-current"))
                    ),
                )
            } else if done {
                (
                    " class=\"done\"",
                    format!(
                        " <span class=\"badge\">✓ {}</span>",
                        c(language, |l| tr!(l, "desk-item-done"))
                    ),
                )
            } else {
                ("", String::new())
            };
            let _ = writeln!(
                out,
                "<li{attrs}><span class=\"num\">{}</span> {}{mark}</li>",
                escape(&item.number),
                escape(&item.title)
            );
        }
        out.push_str("</ol>\n");
        // An item announced by hand that is not the planned one is still shown as current.
        if !out.contains("aria-current") {
            current_line(&mut out, language, view);
        }
    }
    if view.meeting.is_some() {
        let left = view.next_index < view.planned.len();
        let _ = writeln!(
            out,
            "<form method=\"post\" action=\"/desk/next\" id=\"next-form\">{}<button type=\"submit\" id=\"next-button\" aria-keyshortcuts=\"Alt+N\">{}</button>{}</form>",
            hidden(v),
            c(language, |l| tr!(l, "desk-next")),
            if left {
                String::new()
            } else {
                format!(
                    " <span class=\"desk-hint\">{}</span>",
                    c(language, |l| tr!(l, "desk-next-none"))
                )
            }
        );
    }
    out.push_str("</section>\n");
    out
}

/// The item under discussion as a line of its own, when the agenda list does not mark it.
fn current_line(out: &mut String, language: Language, view: &ClerkView) {
    if let Some((n, t)) = &view.current_item {
        let _ = writeln!(
            out,
            "<p class=\"desk-current\" aria-current=\"step\"><span class=\"num\">{}</span> {} <span class=\"badge\">{}</span></p>",
            escape(n),
            escape(t),
            c(language, |l| tr!(l, "desk-item-current"))
        );
    }
}

fn delivery(language: Language, e: &Entry, t: &DeliveryTally) -> String {
    if e.confidential {
        return c(language, |l| tr!(l, "desk-entry-private"));
    }
    if t.total == 0 {
        return c(language, |l| tr!(l, "desk-delivery-none"));
    }
    let queued = t.total.saturating_sub(t.done + t.failed.len() as u32);
    let failed = t.failed.join(", ");
    c(language, |l| {
        let mut s = tr!(l, "desk-delivery", done = t.done, total = t.total);
        if queued > 0 {
            s.push_str(" · ");
            s.push_str(&tr!(l, "desk-delivery-queued", queued = queued));
        }
        if !t.failed.is_empty() {
            s.push_str(" · ");
            s.push_str(&tr!(l, "desk-delivery-failed", targets = failed.as_str()));
        }
        s
    })
}

/// The delivery state as a word for styling: `delivered`, `queued`, `failed` or `archived`.
pub fn delivery_class(e: &Entry, t: &DeliveryTally) -> &'static str {
    if e.confidential || t.total == 0 {
        "archived"
    } else if !t.failed.is_empty() {
        "failed"
    } else if t.done >= t.total {
        "delivered"
    } else {
        "queued"
    }
}

/// The latest entries, newest first, each with its delivery state and its Correct and
/// Withdraw forms.
fn entries(language: Language, v: &Viewer<'_>, snap: &Snapshot) -> String {
    let mut out = format!(
        "<section aria-labelledby=\"entries-heading\">\n<h2 id=\"entries-heading\">{}</h2>\n",
        c(language, |l| tr!(l, "desk-entries"))
    );
    if snap.entries.is_empty() {
        let _ = writeln!(
            out,
            "<p>{}</p>",
            c(language, |l| tr!(l, "desk-entries-none"))
        );
        out.push_str("</section>\n");
        return out;
    }
    out.push_str("<ol class=\"desk-entries\" reversed>\n");
    for (e, tally) in &snap.entries {
        let n = e.seq.0;
        let withdrawn = snap.view.withdrawn.contains(&e.seq);
        let _ = write!(
            out,
            "<li id=\"desk-e{n}\" data-seq=\"{n}\" class=\"desk-entry delivery-{class}{w}\">\n<p><span class=\"num\">#{n}</span> {time} <span class=\"desk-text\">{text}</span></p>\n<p class=\"desk-meta\">{by} · <span class=\"desk-delivery\">{state}</span>{wmark}</p>\n",
            class = delivery_class(e, tally),
            w = if withdrawn { " withdrawn" } else { "" },
            time = time_html(&e.local_time()),
            text = escape(&e.text),
            by = c(language, |l| tr!(
                l,
                "desk-entry-by",
                name = e.author.display_name.as_str()
            )),
            state = delivery(language, e, tally),
            wmark = if withdrawn {
                format!(
                    " · <strong>{}</strong>",
                    c(language, |l| tr!(l, "desk-entry-withdrawn"))
                )
            } else {
                String::new()
            },
        );
        let amendable = !withdrawn
            && !matches!(
                e.kind(),
                EntryKind::Withdrawal | EntryKind::Start | EntryKind::End
            );
        if amendable {
            let _ = write!(
                out,
                "<details class=\"desk-amend\"><summary>{correct} / {withdraw} <span class=\"visually-hidden\">#{n}</span></summary>\n\
<form method=\"post\" action=\"/desk/fix\">{hidden}<input type=\"hidden\" name=\"entry\" value=\"{n}\"><label for=\"fix-{n}\">{fix_label}</label> <input id=\"fix-{n}\" name=\"text\" type=\"text\" required value=\"{text}\"> <button type=\"submit\">{fix_button}</button></form>\n\
<form method=\"post\" action=\"/desk/strike\">{hidden2}<input type=\"hidden\" name=\"entry\" value=\"{n}\"><label for=\"strike-{n}\">{strike_label}</label> <input id=\"strike-{n}\" name=\"reason\" type=\"text\"> <button type=\"submit\">{strike_button}</button></form>\n</details>\n",
                correct = c(language, |l| tr!(l, "desk-correct")),
                withdraw = c(language, |l| tr!(l, "desk-withdraw")),
                hidden = hidden(v),
                hidden2 = hidden(v),
                fix_label = c(language, |l| tr!(l, "desk-correct-text", entry = n)),
                fix_button = c(language, |l| tr!(l, "desk-correct-button")),
                strike_label = c(language, |l| tr!(l, "desk-withdraw-reason", entry = n)),
                strike_button = c(language, |l| tr!(l, "desk-withdraw-button")),
                text = escape(&e.text),
            );
        }
        out.push_str("</li>\n");
    }
    out.push_str("</ol>\n</section>\n");
    out
}

fn targets(language: Language, targets: &[TargetStatus]) -> String {
    let mut out = format!(
        "<section aria-labelledby=\"targets-heading\">\n<h2 id=\"targets-heading\">{}</h2>\n",
        c(language, |l| tr!(l, "desk-targets"))
    );
    if targets.is_empty() {
        let _ = writeln!(
            out,
            "<p>{}</p>",
            c(language, |l| tr!(l, "desk-targets-none"))
        );
    } else {
        out.push_str("<ul class=\"desk-targets\">\n");
        for t in targets {
            let state = match (&t.failing, t.queued) {
                (Some(err), _) => c(language, |l| {
                    tr!(l, "desk-target-failing", error = err.as_str())
                }),
                (None, 0) => c(language, |l| tr!(l, "desk-target-ok")),
                (None, q) => c(language, |l| tr!(l, "desk-target-queued", queued = q)),
            };
            let _ = writeln!(
                out,
                "<li><strong>{}</strong>: {state}</li>",
                escape(&t.name)
            );
        }
        out.push_str("</ul>\n");
    }
    out.push_str("</section>\n");
    out
}

/// What the command line offers as completions (a `<datalist>`, so browsers complete it with
/// or without `desk.js`): every verb, and `agenda N title` for each preloaded item.
fn completions(v: &Viewer<'_>, view: &ClerkView) -> String {
    let p = v.prefix;
    let mut out = String::from("<datalist id=\"desk-completions\">\n");
    for h in crate::command::VERBS {
        let _ = writeln!(
            out,
            "<option value=\"{}\"></option>",
            escape(&format!("{p}{} ", h.verb))
        );
    }
    for item in &view.planned {
        let _ = writeln!(
            out,
            "<option value=\"{}\"></option>",
            escape(&format!("{p}agenda {} {}", item.number, item.title))
        );
    }
    out.push_str("</datalist>\n");
    out
}

/// The command line and the vote form: never refreshed, so nothing typed is lost.
fn compose(language: Language, v: &Viewer<'_>, view: &ClerkView) -> String {
    let p = v.prefix;
    let l = |f: fn(Lang) -> String| c(language, f);
    let mut out = format!(
        "<section aria-labelledby=\"command-heading\">\n<h2 id=\"command-heading\">{}</h2>\n\
<form method=\"post\" action=\"/desk/command\" class=\"desk-form\">{}<p><label for=\"command\">{}</label>\n\
<input id=\"command\" name=\"command\" type=\"text\" required autocomplete=\"off\" spellcheck=\"false\" list=\"desk-completions\" aria-keyshortcuts=\"/\"> <button type=\"submit\">{}</button></p>\n{}</form>\n</section>\n",
        l(|l| tr!(l, "desk-command")),
        hidden(v),
        c(language, |l| tr!(
            l,
            "desk-command-label",
            example = format!("{p}note …")
        )),
        l(|l| tr!(l, "desk-command-button")),
        completions(v, view),
    );
    let count = |id: &str, label: String| {
        format!(
            "<p class=\"desk-count-field\"><label for=\"vote-{id}\">{label}</label>\n<input id=\"vote-{id}\" name=\"{id}\" type=\"number\" min=\"0\" inputmode=\"numeric\" class=\"desk-count\" value=\"0\"{keys}></p>\n",
            keys = if id == "for" {
                " aria-keyshortcuts=\"Alt+V\""
            } else {
                ""
            }
        )
    };
    let names = |id: &str, label: String| {
        format!(
            "<p><label for=\"vote-{id}\">{label}</label>\n<input id=\"vote-{id}\" name=\"{id}\" type=\"text\" autocomplete=\"off\"></p>\n"
        )
    };
    let _ = write!(
        out,
        "<section aria-labelledby=\"vote-heading\">\n<h2 id=\"vote-heading\">{heading}</h2>\n\
<form method=\"post\" action=\"/desk/vote\" class=\"desk-form desk-vote\">{hidden}\n\
<div class=\"desk-counts\">{f}{a}{b}</div>\n\
<fieldset><legend>{outcome}</legend>\n\
<label><input type=\"radio\" name=\"outcome\" value=\"carried\" required> {carried}</label>\n\
<label><input type=\"radio\" name=\"outcome\" value=\"lost\"> {lost}</label>\n</fieldset>\n\
{roster}<fieldset><legend>{names_legend}</legend>\n{fnames}{anames}{bnames}</fieldset>\n\
{casting}<p><button type=\"submit\">{button}</button></p>\n</form>\n</section>\n",
        heading = l(|l| tr!(l, "desk-vote")),
        hidden = hidden(v),
        f = count("for", l(|l| tr!(l, "desk-vote-for"))),
        a = count("against", l(|l| tr!(l, "desk-vote-against"))),
        b = count("abstain", l(|l| tr!(l, "desk-vote-abstain"))),
        outcome = l(|l| tr!(l, "desk-vote-outcome")),
        carried = l(|l| tr!(l, "desk-vote-carried")),
        lost = l(|l| tr!(l, "desk-vote-lost")),
        roster = roster(language, v.roster),
        names_legend = l(|l| tr!(l, "desk-vote-names")),
        fnames = names("for_names", l(|l| tr!(l, "desk-vote-for-names"))),
        anames = names("against_names", l(|l| tr!(l, "desk-vote-against-names"))),
        bnames = names("abstain_names", l(|l| tr!(l, "desk-vote-abstain-names"))),
        casting = names("casting", l(|l| tr!(l, "desk-vote-casting"))),
        button = l(|l| tr!(l, "desk-vote-button")),
    );
    out.push_str(&consult_form(language, v));
    out
}

/// One choice per councillor of the roster (none ticked: did not vote); the ticks become the
/// named lists and fill the counts left at 0 (see `forms::apply_roster`).
fn roster(language: Language, roster: &[Councillor]) -> String {
    if roster.is_empty() {
        return String::new();
    }
    let l = |f: fn(Lang) -> String| c(language, f);
    let choices = [
        ("none", l(|l| tr!(l, "desk-roster-none"))),
        ("for", l(|l| tr!(l, "desk-vote-for"))),
        ("against", l(|l| tr!(l, "desk-vote-against"))),
        ("abstain", l(|l| tr!(l, "desk-roster-abstain"))),
    ];
    let mut out = format!(
        "<details class=\"desk-roster\" open><summary>{}</summary>\n",
        c(language, |l| tr!(
            l,
            "desk-roster-summary",
            count = roster.len()
        ))
    );
    for (i, councillor) in roster.iter().enumerate() {
        let group = councillor
            .group
            .as_deref()
            .map(|g| format!(" <span class=\"desk-group\">({})</span>", escape(g)))
            .unwrap_or_default();
        let _ = write!(
            out,
            "<fieldset class=\"desk-councillor\"><legend>{}{group}</legend>",
            escape(&councillor.name)
        );
        for (value, label) in &choices {
            let checked = if *value == "none" { " checked" } else { "" };
            let _ = write!(
                out,
                "<label><input type=\"radio\" name=\"roll-{i}\" value=\"{value}\" data-roll=\"{value}\"{checked}> {label}</label> "
            );
        }
        out.push_str("</fieldset>\n");
    }
    out.push_str("</details>\n");
    out
}

/// A new consultation: its address, title and closing date (a date picker).
fn consult_form(language: Language, v: &Viewer<'_>) -> String {
    let l = |f: fn(Lang) -> String| c(language, f);
    format!(
        "<section aria-labelledby=\"consult-heading\">\n<h2 id=\"consult-heading\">{heading}</h2>\n\
<form method=\"post\" action=\"/desk/consult\" class=\"desk-form desk-consult\">{hidden}\n\
<p><label for=\"consult-url\">{url}</label>\n<input id=\"consult-url\" name=\"url\" type=\"url\" required placeholder=\"https://\"></p>\n\
<p><label for=\"consult-title\">{title}</label>\n<input id=\"consult-title\" name=\"title\" type=\"text\" required></p>\n\
<p><label for=\"consult-closes\">{closes}</label>\n<input id=\"consult-closes\" name=\"closes\" type=\"date\" required></p>\n\
<p><button type=\"submit\">{button}</button></p>\n</form>\n</section>\n",
        heading = l(|l| tr!(l, "desk-consult")),
        hidden = hidden(v),
        url = l(|l| tr!(l, "desk-consult-url")),
        title = l(|l| tr!(l, "desk-consult-title")),
        closes = l(|l| tr!(l, "desk-consult-closes")),
        button = l(|l| tr!(l, "desk-consult-button")),
    )
}

fn shortcuts(language: Language) -> String {
    let l = |f: fn(Lang) -> String| c(language, f);
    format!(
        "<section aria-labelledby=\"shortcuts-heading\" class=\"desk-shortcuts\">\n<h2 id=\"shortcuts-heading\">{}</h2>\n\
<p>{}</p>\n<dl>\n<dt><kbd>Alt</kbd> + <kbd>N</kbd></dt><dd>{}</dd>\n<dt><kbd>/</kbd></dt><dd>{}</dd>\n<dt><kbd>Alt</kbd> + <kbd>V</kbd></dt><dd>{}</dd>\n</dl>\n</section>\n",
        l(|l| tr!(l, "desk-shortcuts")),
        l(|l| tr!(l, "desk-shortcut-note")),
        l(|l| tr!(l, "desk-shortcut-next")),
        l(|l| tr!(l, "desk-shortcut-command")),
        l(|l| tr!(l, "desk-shortcut-vote")),
    )
}
