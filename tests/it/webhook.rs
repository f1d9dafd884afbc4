//! Webhook targets against a local receiver: error classes, outage and recovery, and how
//! private sessions, corrections and withdrawals reach a target that can only post.

use std::time::Duration;

use chrono::Utc;
use gavel::archive::{Archive, EntryDraft, MeetingRef};
use gavel::domain::Author;
use gavel::platform::webhook::{Format, WebhookSink};
use gavel::sink::{IdempotencyKey, Outgoing, RetryClass, Sink};
use secrecy::SecretString;

use crate::helpers::{GavelProcess, TestDir};
use crate::receiver::{Answer, Receiver};

pub(crate) fn sample_entry(dir: &TestDir) -> gavel::domain::Entry {
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

#[tokio::test]
async fn webhook_errors_are_classified_from_the_http_status() {
    let rx = Receiver::start().await;
    let dir = TestDir::new();
    let entry = sample_entry(&dir);
    let sink = WebhookSink::new(
        SecretString::from(rx.url("a")),
        Format::Json,
        Duration::from_secs(5),
    )
    .unwrap();
    let msg = Outgoing {
        key: IdempotencyKey::derive(&entry.hash, "webhook:a", "post"),
        entry: &entry,
        original: None,
        text: "hello".into(),
        original_remote: Vec::new(),
        thread_root: None,
    };

    for (answer, expect) in [
        (Answer::Status(500), RetryClass::Backoff),
        (Answer::Status(503), RetryClass::Backoff),
        (
            Answer::RateLimited(2),
            RetryClass::After(Duration::from_secs(2)),
        ),
        (Answer::Status(400), RetryClass::Permanent),
        (Answer::Status(404), RetryClass::Backoff),
    ] {
        rx.answer("a", answer);
        let err = sink.post(&msg).await.unwrap_err();
        assert_eq!(err.class, expect, "{answer:?}: {err}");
        assert!(
            !err.message.contains(&rx.url("a")),
            "the secret URL leaked into {err}"
        );
    }
    rx.answer("a", Answer::Ok);
    let ids = sink.post(&msg).await.unwrap();
    let got = rx.received("a");
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].idempotency_key.as_deref(), Some(ids[0].as_str()));
    assert_eq!(got[0].body["text"], "hello");
}

#[tokio::test]
async fn unreachable_webhook_backs_off() {
    let dir = TestDir::new();
    let entry = sample_entry(&dir);
    // A port nobody listens on.
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", l.local_addr().unwrap());
    drop(l);
    let sink = WebhookSink::new(
        SecretString::from(url),
        Format::Slack,
        Duration::from_secs(2),
    )
    .unwrap();
    let msg = Outgoing {
        key: IdempotencyKey::derive(&entry.hash, "t", "post"),
        entry: &entry,
        original: None,
        text: "x".into(),
        original_remote: Vec::new(),
        thread_root: None,
    };
    assert_eq!(
        sink.post(&msg).await.unwrap_err().class,
        RetryClass::Backoff
    );
}

fn hooks_config(rx: &Receiver, names: &[&str], format: &str) -> String {
    let mut s = String::from(
        "[outbox]\nretry_base_ms = 100\nretry_cap_secs = 1\nreport_after = 2\nshutdown_deadline_secs = 5\n\n",
    );
    for n in names {
        s.push_str(&format!(
            "[[webhook]]\nname = \"{n}\"\nurl = \"{}\"\nformat = \"{format}\"\n\n",
            rx.url(n)
        ));
    }
    s
}

#[tokio::test]
async fn an_outage_on_one_target_leaves_the_others_unaffected_and_the_backlog_arrives_in_order() {
    let rx = Receiver::start().await;
    let dir = TestDir::new();
    dir.write_config(&hooks_config(&rx, &["a", "b", "c"], "json"));
    rx.answer("b", Answer::Status(503));
    let mut g = GavelProcess::start(&dir, &[]).await;
    g.say("!start Full Council").await;
    for i in 1..=10 {
        g.say(&format!("!note update {i}")).await;
    }
    g.wait_for("#11 recorded", Duration::from_secs(10)).await;
    rx.wait_for_count("a", 11, Duration::from_secs(10)).await;
    rx.wait_for_count("c", 11, Duration::from_secs(10)).await;
    assert!(rx.received("b").is_empty());
    g.wait_for("Delivery to webhook:b is failing", Duration::from_secs(10))
        .await;
    assert!(rx.refused("b") >= 2);

    rx.answer("b", Answer::Ok);
    rx.wait_for_count("b", 11, Duration::from_secs(15)).await;
    assert_eq!(rx.seqs("b"), (1..=11).collect::<Vec<u64>>());
    assert_eq!(rx.seqs("a"), (1..=11).collect::<Vec<u64>>());
    g.wait_for(
        "Delivery to webhook:b has recovered",
        Duration::from_secs(10),
    )
    .await;
    g.say("!status").await;
    g.wait_for("webhook:b: ok", Duration::from_secs(5)).await;
    g.close_input();
    assert!(
        g.wait(Duration::from_secs(15))
            .await
            .is_some_and(|s| s.success())
    );
}

#[tokio::test]
async fn rate_limited_webhook_is_retried_after_the_given_time() {
    let rx = Receiver::start().await;
    let dir = TestDir::new();
    dir.write_config(&hooks_config(&rx, &["a"], "slack"));
    rx.answer("a", Answer::RateLimited(1));
    let mut g = GavelProcess::start(&dir, &[]).await;
    g.say("!start Full Council").await;
    g.wait_for("#1 recorded", Duration::from_secs(5)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    rx.answer("a", Answer::Ok);
    g.wait_for("#1 delivered 1/1", Duration::from_secs(10))
        .await;
    assert_eq!(rx.refused("a"), 1, "retried before Retry-After elapsed");
    assert!(rx.texts("a")[0].contains("Meeting started: Full Council"));
    g.close_input();
    let _ = g.wait(Duration::from_secs(10)).await;
}

#[tokio::test]
async fn private_session_fix_strike_and_undo_reach_every_webhook_as_posts() {
    let rx = Receiver::start().await;
    let dir = TestDir::new();
    dir.write_config(&hooks_config(&rx, &["slack", "teams"], "slack").replace(
        &format!("url = \"{}\"\nformat = \"slack\"\n\n", rx.url("teams")),
        &format!("url = \"{}\"\nformat = \"teams\"\n\n", rx.url("teams")),
    ));
    let mut g = GavelProcess::start(&dir, &[]).await;
    for line in [
        "!start Full Council",
        "!note Cllr Smith moved",
        "!fix 2 Cllr Smyth moved",
        "!note posted in error",
        "!strike 4 duplicate",
        "!private Exempt information, paragraph 3",
        "!note Staffing restructure costs",
        "!public",
        "!note back in public",
        "!undo",
    ] {
        g.say(line).await;
    }
    g.wait_for("#10 recorded", Duration::from_secs(10)).await;
    for target in ["slack", "teams"] {
        rx.wait_for_count(target, 9, Duration::from_secs(10)).await;
        let t = rx.texts(target);
        let all = t.join("\n");
        assert!(
            all.contains("Correction to #2: Cllr Smyth moved"),
            "{target}: {all}"
        );
        assert!(
            all.contains("Entry #4 withdrawn — duplicate"),
            "{target}: {all}"
        );
        assert!(all.contains("Public excluded at "), "{target}: {all}");
        assert!(all.contains("Public readmitted at "), "{target}: {all}");
        assert!(all.contains("Entry #9 withdrawn"), "{target}: {all}");
        assert!(
            !all.contains("Staffing restructure"),
            "{target}: confidential text leaked: {all}"
        );
        assert_eq!(t.len(), 9, "{target}: {t:#?}");
    }
    g.close_input();
    let _ = g.wait(Duration::from_secs(10)).await;
}

#[tokio::test]
async fn notices_reach_each_webhook_format_and_json_marks_them_as_notices() {
    use gavel::sink::Notice;
    let rx = Receiver::start().await;
    let text = "Consultation closes tomorrow: <Parking> @channel — https://example.org/p";
    for (name, format) in [
        ("slack", Format::Slack),
        ("mattermost", Format::Mattermost),
        ("teams", Format::Teams),
        ("json", Format::Json),
    ] {
        let sink = WebhookSink::new(
            SecretString::from(rx.url(name)),
            format,
            Duration::from_secs(5),
        )
        .unwrap();
        let notice = Notice {
            key: IdempotencyKey::derive("consult:1:2:2027-01-31:remind-1", name, "notice"),
            text: text.into(),
        };
        let ids = sink.post_notice(&notice).await.unwrap();
        let got = rx.received(name);
        assert_eq!(got.len(), 1, "{name}");
        assert_eq!(
            got[0].idempotency_key.as_deref(),
            Some(ids[0].as_str()),
            "{name}"
        );
        let body = &got[0].body;
        match format {
            Format::Slack => {
                assert_eq!(
                    body["text"],
                    "Consultation closes tomorrow: &lt;Parking&gt; @channel — https://example.org/p"
                );
                assert_eq!(body["mrkdwn"], false);
            }
            Format::Mattermost => assert_eq!(
                body["text"],
                "Consultation closes tomorrow: \\<Parking\\> @\u{2060}channel — https://example.org/p"
            ),
            Format::Teams => {
                let block = &body["attachments"][0]["content"]["body"][0];
                assert_eq!(block["type"], "TextBlock");
                assert!(
                    block["text"].as_str().unwrap().contains("@\u{2060}channel"),
                    "{body}"
                );
            }
            Format::Json => {
                assert_eq!(body["type"], "notice");
                assert_eq!(body["gavel"], 1);
                assert_eq!(body["text"], text);
                assert!(body.get("seq").is_none() && body.get("hash").is_none());
                assert_eq!(body["idempotency_key"], ids[0].as_str());
            }
        }
    }
}

/// The daemon wires the scheduler in: a reminder already due when a consultation is announced
/// goes out at once, through the outbox, as a notice.
#[tokio::test]
async fn a_due_consultation_reminder_reaches_the_webhooks_from_the_running_daemon() {
    let rx = Receiver::start().await;
    let dir = TestDir::new();
    dir.write_config(&format!(
        "{}[consultations]\nreminder_days = [1]\nsend_at = \"00:00\"\n",
        hooks_config(&rx, &["a", "b"], "json")
    ));
    let tomorrow = (Utc::now().with_timezone(&chrono_tz::Europe::London)
        + chrono::Duration::days(1))
    .date_naive();
    let mut g = GavelProcess::start(&dir, &[]).await;
    g.say("!start Full Council").await;
    g.say(&format!(
        "!consult https://example.org/parking Parking review | closes={tomorrow}"
    ))
    .await;
    g.wait_for("#2 recorded", Duration::from_secs(10)).await;
    for target in ["a", "b"] {
        rx.wait_for_count(target, 3, Duration::from_secs(10)).await;
        let notices: Vec<_> = rx
            .received(target)
            .into_iter()
            .filter(|r| r.body["type"] == "notice")
            .collect();
        assert_eq!(notices.len(), 1, "{target}");
        let text = notices[0].body["text"].as_str().unwrap();
        assert!(
            text.starts_with("Consultation closes tomorrow: Parking review — https://example.org/parking (closes "),
            "{target}: {text}"
        );
    }
    g.close_input();
    let _ = g.wait(Duration::from_secs(10)).await;
}
