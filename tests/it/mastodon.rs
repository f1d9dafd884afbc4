//! Mastodon end to end: the real `gavel` binary (`run --console`) against the fake instance
//! in `tests/support/fake_mastodon.rs`, and the sink in-process for what a meeting cannot
//! easily reach (corrections that need a different number of statuses, pins, scopes).

use std::collections::HashSet;
use std::time::Duration;

use chrono::Utc;
use gavel::archive::{Archive, EntryDraft, MeetingRef};
use gavel::config::{MastodonSettings, Visibility};
use gavel::domain::{Author, Entry};
use gavel::i18n::Language;
use gavel::platform::mastodon::MastodonSink;
use gavel::platform::mastodon::render::{SURPLUS_PART, TRUNCATED};
use gavel::sink::{IdempotencyKey, Notice, Outgoing, RetryClass, Sink};
use secrecy::SecretString;

use crate::fake_mastodon::{Budget, FakeMastodon, FakeStatus, countable_length};
use crate::helpers::{GavelProcess, TestDir};

const TOKEN: &str = "fake-mastodon-token-5d21e0";
const WJ: char = '\u{2060}';

struct Rig {
    fake: FakeMastodon,
    dir: TestDir,
}

impl Rig {
    async fn new(extra: &str) -> Rig {
        let fake = FakeMastodon::start(TOKEN).await;
        let dir = TestDir::new();
        dir.write_config(&format!(
            "[[mastodon]]\ninstance = \"{}\"\naccess_token = \"${{GAVEL_TEST_MASTODON_TOKEN}}\"\n\n\
             [outbox]\nretry_base_ms = 200\nretry_cap_secs = 5\n\n{extra}",
            fake.url()
        ));
        Rig { fake, dir }
    }

    async fn start(&self) -> GavelProcess {
        GavelProcess::start(&self.dir, &[("GAVEL_TEST_MASTODON_TOKEN", TOKEN)]).await
    }

    /// Waits until `n` statuses are live; returns them in creation order.
    async fn wait_live(&self, n: usize, timeout: Duration) -> Vec<FakeStatus> {
        let got = self
            .fake
            .wait_for(timeout, |f| (f.live().len() >= n).then_some(()))
            .await;
        let live = self.fake.live();
        assert!(got.is_some(), "not {n} statuses: {live:#?}");
        live
    }
}

/// The sequence number a status starts with (`#12 19:04 · …`).
fn seq_of(text: &str) -> u32 {
    text.trim_start_matches('#')
        .split(' ')
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// Asserts each of `statuses` replies to the one before, the first to nothing.
fn assert_one_chain(statuses: &[FakeStatus]) {
    assert_eq!(statuses[0].in_reply_to, None, "{statuses:#?}");
    for pair in statuses.windows(2) {
        assert_eq!(
            pair[1].in_reply_to.as_deref(),
            Some(pair[0].id.as_str()),
            "{statuses:#?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mastodon_meeting_is_one_reply_chain_and_a_long_entry_is_numbered_parts_within_the_limit()
{
    let rig = Rig::new("").await;
    rig.fake.set_max_characters(200);
    let mut g = rig.start().await;
    g.say("!start Planning Committee").await;
    g.say("!agenda 1 Apologies for absence").await;
    let long = format!(
        "Officers presented the report https://democracy.example.gov.uk/documents/s91011/Plans%20and%20elevations.pdf {}",
        "and the committee discussed the application at length. ".repeat(10)
    );
    g.say(&format!("!note {long}")).await;
    g.say("!note Members asked questions").await;
    let last = rig
        .fake
        .wait_for(Duration::from_secs(30), |f| {
            f.live().into_iter().find(|s| s.text.starts_with("#4 "))
        })
        .await;
    assert!(last.is_some(), "{:#?}", rig.fake.statuses());
    tokio::time::sleep(Duration::from_millis(500)).await;
    let live = rig.fake.live();
    assert!(
        live.last().unwrap().text.starts_with("#4 "),
        "nothing after #4: {live:#?}"
    );

    assert_one_chain(&live);
    assert!(
        live[0].text.starts_with("#1 ")
            && live[0].text.contains("Meeting started: Planning Committee")
    );
    assert!(
        live[1].text.starts_with("#2 ") && live[1].text.contains("Item 1: Apologies for absence")
    );
    let parts: Vec<&FakeStatus> = live[2..live.len() - 1].iter().collect();
    let n = parts.len();
    assert!(n >= 3, "the long note is split: {live:#?}");
    for (i, p) in parts.iter().enumerate() {
        assert!(countable_length(&p.text) <= 200, "{p:#?}");
        assert!(p.text.ends_with(&format!(" ({}/{n})", i + 1)), "{p:#?}");
    }
    assert!(parts[0].text.starts_with("#3 "));
    let link = "https://democracy.example.gov.uk/documents/s91011/Plans%20and%20elevations.pdf";
    assert_eq!(parts.iter().filter(|p| p.text.contains(link)).count(), 1);
    assert!(live.last().unwrap().text.starts_with("#4 "));
    assert!(
        live.iter()
            .all(|s| s.visibility == "public" && s.language.as_deref() == Some("en"))
    );
    // Every create carried its own Idempotency-Key.
    let keys: Vec<String> = live
        .iter()
        .filter_map(|s| s.idempotency_key.clone())
        .collect();
    assert_eq!(keys.len(), live.len());
    assert_eq!(keys.iter().collect::<HashSet<_>>().len(), keys.len());
    // The token went only into the Authorization header.
    assert!(rig.fake.requests().iter().all(|r| {
        r.authorization.as_deref() == Some(&format!("Bearer {TOKEN}"))
            || r.path == "/api/v2/instance"
    }));
    let out = g.output().await.join("\n");
    assert!(!out.contains(TOKEN));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_correction_edits_the_status_a_withdrawal_deletes_it_and_the_thread_goes_on() {
    let rig = Rig::new("").await;
    let mut g = rig.start().await;
    g.say("!start Licensing").await;
    g.say("!note Cllr Brown moved the motion").await;
    g.say("!note A note to strike").await;
    let live = rig.wait_live(3, Duration::from_secs(20)).await;
    let (opening, noted, struck) = (live[0].id.clone(), live[1].id.clone(), live[2].id.clone());

    g.say("!fix 2 Cllr Green moved the motion").await;
    let edited = rig
        .fake
        .wait_for(Duration::from_secs(20), |f| {
            f.status(&noted).filter(|s| s.text.contains("Cllr Green"))
        })
        .await
        .unwrap_or_else(|| panic!("not edited: {:#?}", rig.fake.statuses()));
    assert!(edited.text.starts_with("#2 "), "{edited:#?}");
    assert_eq!(edited.history.len(), 1);
    assert!(edited.history[0].contains("Cllr Brown"));

    g.say("!strike 3 recorded in error").await;
    let gone = rig
        .fake
        .wait_for(Duration::from_secs(20), |f| {
            f.status(&struck).filter(|s| s.deleted)
        })
        .await;
    assert!(gone.is_some(), "not deleted: {:#?}", rig.fake.statuses());

    // The next entry would answer the deleted status: it goes under the opening post.
    g.say("!note Next business").await;
    let next = rig
        .fake
        .wait_for(Duration::from_secs(20), |f| {
            f.live()
                .into_iter()
                .find(|s| s.text.contains("Next business"))
        })
        .await
        .unwrap_or_else(|| panic!("not posted: {:#?}", rig.fake.statuses()));
    assert_eq!(next.in_reply_to.as_deref(), Some(opening.as_str()));
    // Corrections and withdrawals made no statuses of their own.
    assert_eq!(rig.fake.statuses().len(), 4, "{:#?}", rig.fake.statuses());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mentions_and_hashtags_typed_by_the_clerk_mention_and_tag_no_one_and_links_still_work() {
    let rig = Rig::new("").await;
    let mut g = rig.start().await;
    g.say("!start Full Council").await;
    let typed = "@everyone @someone@social.example and #Planning see https://example.gov.uk/@team/#item-5 or clerk@council.gov.uk";
    g.say(&format!("!note {typed}")).await;
    let live = rig.wait_live(2, Duration::from_secs(20)).await;
    g.say("!fix 2 now @other and #tagged").await;
    let fixed = rig
        .fake
        .wait_for(Duration::from_secs(20), |f| {
            f.status(&live[1].id).filter(|s| s.text.contains("tagged"))
        })
        .await
        .unwrap_or_else(|| panic!("not edited: {:#?}", rig.fake.statuses()));

    assert_eq!(rig.fake.mentions_and_tags(), Vec::<String>::new());
    let shown = &live[1].text;
    assert!(
        shown.contains("https://example.gov.uk/@team/#item-5"),
        "{shown}"
    );
    assert!(shown.contains("clerk@council.gov.uk"), "{shown}");
    assert!(shown.contains(&format!("@{WJ}someone@")), "{shown:?}");
    assert!(
        shown.replace(WJ, "").ends_with(&format!("· {typed}")),
        "only joiners added: {shown:?}"
    );
    assert_eq!(
        shown.matches(WJ).count(),
        3,
        "@everyone, @someone, #Planning: {shown:?}"
    );
    assert!(
        fixed.text.contains(&format!("@{WJ}other and #{WJ}tagged")),
        "{fixed:?}"
    );
    // Without the joiners, the fake would have made them: the check can fail.
    let (m, t) = crate::fake_mastodon::mentions_and_tags(&shown.replace(WJ, ""));
    assert_eq!(m, ["@everyone", "@someone@social.example"]);
    assert_eq!(t, ["#planning"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mastodon_429_is_waited_out_and_nothing_is_lost_or_doubled() {
    let rig = Rig::new("").await;
    rig.fake
        .set_budget(Budget::Statuses, 4, Duration::from_secs(3));
    let mut g = rig.start().await;
    g.say("!start Cabinet").await;
    rig.wait_live(1, Duration::from_secs(20)).await;
    // Another app on the account used up the window: the next create gets a 429.
    rig.fake.use_up(Budget::Statuses);
    for i in 2..=9 {
        g.say(&format!("!note item {i}")).await;
    }
    rig.wait_live(9, Duration::from_secs(60)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let live = rig.fake.live();
    assert!(rig.fake.rate_limited() >= 1, "a 429 was answered");
    let seqs: Vec<u32> = live.iter().map(|s| seq_of(&s.text)).collect();
    assert_eq!(seqs, (1..=9).collect::<Vec<_>>(), "{live:#?}");
    assert_one_chain(&live);
    // After the 429 Gavel paced itself by the headers: no other request was refused, though
    // the window ran out twice more.
    let refused = rig
        .fake
        .requests()
        .iter()
        .filter(|r| r.status == 429)
        .count();
    assert_eq!(refused, 1, "refused requests");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_mastodon_fan_out_then_restart_delivers_every_entry_exactly_once() {
    let rig = Rig::new("").await;
    // Three creates per two seconds: fan-out is still under way when the kill comes.
    rig.fake
        .set_budget(Budget::Statuses, 3, Duration::from_secs(2));
    let mut g = rig.start().await;
    g.say("!start Licensing").await;
    for i in 2..=12 {
        g.say(&format!("!note item {i}")).await;
    }
    rig.wait_live(3, Duration::from_secs(20)).await;
    // A create the instance applies but whose answer never reaches Gavel.
    let n = rig.fake.live().len();
    rig.fake.set_create_delay(Some(Duration::from_secs(30)));
    let held = rig
        .fake
        .wait_for(Duration::from_secs(10), |f| {
            (f.live().len() > n).then_some(())
        })
        .await;
    assert!(held.is_some(), "a create was applied and its answer held");
    g.kill9();
    g.wait(Duration::from_secs(5)).await;
    rig.fake.set_create_delay(None);
    let before = rig.fake.live().len();
    assert!(before < 12, "fan-out finished before the kill ({before})");

    let _g2 = rig.start().await;
    rig.wait_live(12, Duration::from_secs(60)).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let live = rig.fake.live();
    let seqs: Vec<u32> = live.iter().map(|s| seq_of(&s.text)).collect();
    assert_eq!(
        seqs,
        (1..=12).collect::<Vec<u32>>(),
        "once each, in order: {live:#?}"
    );
    assert_one_chain(&live);
    assert!(
        rig.fake.replays() >= 1,
        "the resend after the kill reused its Idempotency-Key"
    );
    let (code, out, _) = rig.dir.gavel(&["verify"]);
    assert_eq!(code, 0, "{out}");
}

/// `gavel check --probe` in `rig`'s folder, off the runtime's threads.
async fn probe(rig: &Rig) -> (bool, String) {
    let (cfg, dir) = (rig.dir.config(), rig.dir.path().to_path_buf());
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(crate::helpers::gavel_bin())
            .arg("-c")
            .arg(cfg)
            .args(["check", "--probe"])
            .env("GAVEL_TEST_MASTODON_TOKEN", TOKEN)
            .current_dir(dir)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_probe_answers_reachable_authorised_and_can_post_for_mastodon_without_posting() {
    let rig = Rig::new("").await;
    let name = format!("mastodon:{}", rig.fake.addr.ip());
    let (ok, text) = probe(&rig).await;
    assert!(ok, "{text}");
    let section = text
        .split(&format!("\n{name}\n"))
        .nth(1)
        .unwrap_or_default()
        .to_string();
    for line in [
        "reachable:  yes",
        "authorised: yes",
        "can post:   yes",
        "can edit:   yes",
    ] {
        assert!(section.contains(line), "{line:?} in {text}");
    }
    assert!(!text.contains(TOKEN));

    // A token that may only read: authorised, but it cannot post.
    rig.fake.add_token(TOKEN, &["read"]);
    let (ok, text) = probe(&rig).await;
    assert!(!ok, "{text}");
    assert!(
        text.contains(
            "can post:   NO (the token's scopes are `read`: posting needs write:statuses)"
        ),
        "{text}"
    );

    // An instance that does not report scopes: said honestly, not guessed.
    rig.fake
        .add_token(TOKEN, &["write:statuses", "read:accounts"]);
    rig.fake.report_scopes(false);
    let (ok, text) = probe(&rig).await;
    assert!(ok, "{text}");
    assert!(
        text.contains("can post:   not checked (the instance does not report the token's scopes"),
        "{text}"
    );

    // A wrong token.
    rig.fake.add_token("someone-else", &["read", "write"]);
    let cfg = std::fs::read_to_string(rig.dir.config()).unwrap();
    std::fs::write(
        rig.dir.config(),
        cfg.replace("${GAVEL_TEST_MASTODON_TOKEN}", "wrong-token"),
    )
    .unwrap();
    let (ok, text) = probe(&rig).await;
    assert!(!ok);
    assert!(
        text.contains("authorised: NO (the instance rejected the access token"),
        "{text}"
    );
    assert!(rig.fake.statuses().is_empty(), "the probe posted");
}

#[test]
fn gavel_check_names_each_bad_mastodon_key() {
    let dir = TestDir::new();
    dir.write_config(
        "[[mastodon]]\ninstance = \"http://social.example\"\naccess_token = \"t\"\nvisibility = \"direct\"\n\
         [[mastodon]]\ninstance = \"https://social.example\"\naccess_token_file = \"missing-token\"\n",
    );
    let (code, out, err) = dir.gavel(&["check"]);
    assert_ne!(code, 0, "{out}");
    for needle in [
        "mastodon[0].instance: `http://social.example` must be an https:// URL",
        "mastodon[0].visibility: `direct` is not one of public, unlisted, private",
        "mastodon[1].access_token_file: cannot read",
    ] {
        assert!(err.contains(needle), "{needle:?} in {err}");
    }
}

// ----- the sink in-process --------------------------------------------------------------------

fn entry(dir: &TestDir) -> Entry {
    let a = Archive::open(&dir.archive()).unwrap();
    a.append(
        MeetingRef::New {
            title: "Full Council".into(),
            scheduled: None,
        },
        EntryDraft {
            payload: gavel::domain::Payload::Start(gavel::domain::payload::Start {
                title: "Full Council".into(),
            }),
            text: "Meeting started: Full Council".into(),
            author: Author::new("console", "c", "C"),
            at: Utc::now(),
            timezone: chrono_tz::Europe::London,
            refers_to: None,
            confidential: false,
            source: None,
        },
        &[],
    )
    .unwrap()
    .entry()
    .clone()
}

fn sink(fake: &FakeMastodon, token: &str) -> MastodonSink {
    let settings = MastodonSettings {
        name: "test".into(),
        instance: url::Url::parse(&fake.url()).unwrap(),
        access_token: SecretString::from(token.to_string()),
        visibility: Visibility::Unlisted,
    };
    MastodonSink::new(&settings, Language::Cy, Duration::from_secs(5)).unwrap()
}

fn outgoing<'a>(e: &'a Entry, text: &str, op: &str) -> Outgoing<'a> {
    Outgoing {
        key: IdempotencyKey::derive(&e.hash, "mastodon:test", op),
        entry: e,
        original: None,
        text: text.into(),
        original_remote: Vec::new(),
        thread_root: None,
    }
}

#[tokio::test]
async fn a_mastodon_correction_fills_exactly_the_statuses_posted_whatever_its_length() {
    let fake = FakeMastodon::start(TOKEN).await;
    fake.set_max_characters(100);
    let dir = TestDir::new();
    let e = entry(&dir);
    let s = sink(&fake, TOKEN);
    let long = "word ".repeat(50);
    let ids = s.post(&outgoing(&e, &long, "post")).await.unwrap();
    assert_eq!(ids.len(), 3, "{:#?}", fake.statuses());
    assert!(
        fake.live()
            .iter()
            .all(|x| x.visibility == "unlisted" && x.language.as_deref() == Some("cy"))
    );

    // Shorter: the same statuses, the surplus ones marked, none deleted (later entries reply
    // to them).
    let edited = s
        .edit(&ids, &outgoing(&e, "short now", "edit"))
        .await
        .unwrap();
    assert_eq!(edited, ids);
    let texts: Vec<String> = ids.iter().map(|id| fake.status(id).unwrap().text).collect();
    assert_eq!(texts, ["short now", SURPLUS_PART, SURPLUS_PART]);

    // Longer than three statuses hold: the third ends with the pointer to the archive.
    let longer = "more ".repeat(200);
    s.edit(&ids, &outgoing(&e, &longer, "edit")).await.unwrap();
    let last = fake.status(&ids[2]).unwrap();
    assert!(
        last.text.ends_with(&format!("{TRUNCATED} (3/3)")),
        "{last:#?}"
    );
    assert!(
        ids.iter()
            .all(|id| countable_length(&fake.status(id).unwrap().text) <= 100)
    );
    assert_eq!(fake.statuses().len(), 3, "no status was added");
    assert_eq!(fake.status(&ids[0]).unwrap().history.len(), 2);

    // A status someone else deleted is skipped; the others are still corrected.
    let resp = reqwest::Client::new()
        .delete(format!("{}/api/v1/statuses/{}", fake.url(), ids[1]))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success());
    s.edit(&ids, &outgoing(&e, "once more", "edit"))
        .await
        .unwrap();
    assert_eq!(fake.status(&ids[0]).unwrap().text, "once more");
    assert_eq!(fake.status(&ids[2]).unwrap().text, SURPLUS_PART);

    // A withdrawal deletes them all; deleting again is not an error.
    s.delete(&ids, &outgoing(&e, "", "delete")).await.unwrap();
    assert!(fake.live().is_empty());
    s.delete(&ids, &outgoing(&e, "", "delete")).await.unwrap();
}

#[tokio::test]
async fn the_mastodon_notice_is_a_top_level_status_pinned_and_unpinned_with_write_accounts() {
    let fake = FakeMastodon::start(TOKEN).await;
    let s = sink(&fake, TOKEN);
    let notice = Notice {
        key: IdempotencyKey::derive("status", "mastodon:test", "notice"),
        text: "Now: Full Council #planning".into(),
    };
    let ids = s.post_notice(&notice).await.unwrap();
    assert_eq!(ids.len(), 1);
    assert_eq!(fake.status(&ids[0]).unwrap().in_reply_to, None);
    s.pin(&ids[0]).await.unwrap();
    assert!(fake.status(&ids[0]).unwrap().pinned);
    let later = Notice {
        text: "Now: Item 5".into(),
        ..notice.clone()
    };
    s.edit_notice(&ids, &later).await.unwrap();
    assert_eq!(fake.status(&ids[0]).unwrap().text, "Now: Item 5");
    s.unpin(&ids[0]).await.unwrap();
    assert!(!fake.status(&ids[0]).unwrap().pinned);
    assert!(fake.mentions_and_tags().is_empty());

    // Posting again with the same key returns the same status.
    assert_eq!(s.post_notice(&notice).await.unwrap(), ids);
    assert_eq!(fake.replays(), 1);

    // Without write:accounts pinning is refused for good (the status stays unpinned).
    fake.add_token("statuses-only", &["write:statuses"]);
    let e = sink(&fake, "statuses-only").pin(&ids[0]).await.unwrap_err();
    assert_eq!(e.class, RetryClass::Permanent, "{e}");
    assert!(e.message.contains("write:accounts"), "{e}");
}

#[tokio::test]
async fn mastodon_errors_are_classified_and_never_show_the_token() {
    let fake = FakeMastodon::start(TOKEN).await;
    let dir = TestDir::new();
    let e = entry(&dir);
    let wrong = sink(&fake, "not-the-token-9f8e");
    let err = wrong
        .post(&outgoing(&e, "hello", "post"))
        .await
        .unwrap_err();
    assert_eq!(err.class, RetryClass::Backoff);
    assert!(
        err.message.contains("HTTP 401") && !err.message.contains("9f8e"),
        "{err}"
    );

    fake.add_token("read-only", &["read"]);
    let err = sink(&fake, "read-only")
        .post(&outgoing(&e, "hello", "post"))
        .await
        .unwrap_err();
    assert_eq!(err.class, RetryClass::Backoff);
    assert!(err.message.contains("write:statuses"), "{err}");

    let s = sink(&fake, TOKEN);
    s.post(&outgoing(&e, "hello", "post")).await.unwrap();
    fake.fail_next(1, 502);
    let err = s.post(&outgoing(&e, "again", "again")).await.unwrap_err();
    assert_eq!(err.class, RetryClass::Backoff, "{err}");
    assert!(err.message.contains("HTTP 502"), "{err}");

    fake.use_up(Budget::Statuses);
    let err = s.post(&outgoing(&e, "again", "again")).await.unwrap_err();
    match err.class {
        RetryClass::After(d) => assert!(d > Duration::from_secs(60), "{d:?}"),
        other => panic!("{other:?}: {err}"),
    }
    assert_eq!(fake.live().len(), 1, "only the first post was made");

    // The instance lowered its limit after Gavel read it: the refusal is for good, and says why.
    let s = sink(&fake, TOKEN);
    fake.set_budget(Budget::Statuses, 300, Duration::from_secs(60));
    s.post(&outgoing(&e, "limits read", "second"))
        .await
        .unwrap();
    fake.set_max_characters(20);
    let err = s
        .post(&outgoing(&e, &"word ".repeat(20), "third"))
        .await
        .unwrap_err();
    assert_eq!(err.class, RetryClass::Permanent, "{err}");
    assert!(
        err.message.contains("HTTP 422") && err.message.contains("character limit of 20"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_status_on_residents_get_one_pinned_now_status_outside_the_thread() {
    let rig = Rig::new("[status]\nenabled = true\nmin_edit_interval_secs = 1\n").await;
    let mut g = rig.start().await;
    g.say("!start Full Council").await;
    g.say("!agenda 5 Planning applications").await;
    let pinned = rig
        .fake
        .wait_for(Duration::from_secs(30), |f| {
            f.live()
                .into_iter()
                .find(|s| s.pinned && s.text.contains("Item 5: Planning applications"))
        })
        .await
        .unwrap_or_else(|| panic!("no pinned status: {:#?}", rig.fake.statuses()));
    assert_eq!(pinned.in_reply_to, None, "top-level, not in the thread");
    assert!(pinned.text.starts_with("Now: Full Council"), "{pinned:#?}");
    assert_eq!(rig.fake.live().iter().filter(|s| s.pinned).count(), 1);
    // The meeting's own thread does not answer the status.
    let entries: Vec<FakeStatus> = rig
        .fake
        .live()
        .into_iter()
        .filter(|s| s.id != pinned.id)
        .collect();
    assert_one_chain(&entries);

    g.say("!end").await;
    let ended = rig
        .fake
        .wait_for(Duration::from_secs(30), |f| {
            f.status(&pinned.id)
                .filter(|s| !s.pinned && s.text.starts_with("Meeting ended"))
        })
        .await;
    assert!(ended.is_some(), "{:#?}", rig.fake.statuses());
    let notices = rig
        .fake
        .statuses()
        .into_iter()
        .filter(|s| !s.text.starts_with('#'))
        .count();
    assert_eq!(notices, 1, "one status, edited: {:#?}", rig.fake.statuses());
}
