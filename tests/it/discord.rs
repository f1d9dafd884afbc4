//! Discord end to end: the real `gavel` binary against the fake Discord in
//! `tests/support/fake_discord.rs` (gateway in, REST out), on 127.0.0.1 only.

use std::collections::HashSet;
use std::time::Duration;

use serde_json::json;

use crate::fake_discord::{Disconnect, FakeDiscord, GUILD_ID};
use crate::helpers::{GavelProcess, TestDir};

const TOKEN: &str = "fake-bot-token-7f3a9c";
const CMD: u64 = 800_000_000_000_000_001;
const CLERK: u64 = 700_000_000_000_000_001;
const STRANGER: u64 = 700_000_000_000_000_099;

fn target(i: usize) -> u64 {
    810_000_000_000_000_000 + i as u64
}

struct Rig {
    fake: FakeDiscord,
    dir: TestDir,
    targets: Vec<u64>,
}

impl Rig {
    async fn new(n_targets: usize) -> Rig {
        Rig::with(n_targets, 50, TOKEN).await
    }

    /// `report_after`: failures before a target is reported failing; `token`: what Gavel sends.
    async fn with(n_targets: usize, report_after: u32, token: &str) -> Rig {
        Rig::with_config(n_targets, report_after, token, "").await
    }

    /// As [`Rig::with`], with `extra` appended to the config.
    async fn with_config(n_targets: usize, report_after: u32, token: &str, extra: &str) -> Rig {
        let targets: Vec<u64> = (0..n_targets).map(target).collect();
        let list = targets
            .iter()
            .map(|t| format!("\"{t}\""))
            .collect::<Vec<_>>()
            .join(", ");
        Rig::configured(targets, &list, report_after, token, extra).await
    }

    /// `targets` written in the config as `list` (a TOML array's items), then `extra`.
    async fn configured(
        targets: Vec<u64>,
        list: &str,
        report_after: u32,
        token: &str,
        extra: &str,
    ) -> Rig {
        let fake = FakeDiscord::start(TOKEN).await;
        // Clerk replies and receipts share the command channel; give it room so tests about
        // target pacing are not paced by it.
        fake.set_channel_limit(CMD, 50, Duration::from_secs(1));
        let dir = TestDir::new();
        dir.write_config(&format!(
            "[discord]\ntoken = \"{token}\"\napi_base = \"{}\"\nguild_id = \"{GUILD_ID}\"\n\
             command_channels = [\"{CMD}\"]\nclerks = [\"{CLERK}\"]\ntargets = [{list}]\n\n\
             [outbox]\nretry_base_ms = 200\nretry_cap_secs = 5\nreport_after = {report_after}\n\n{extra}",
            fake.api_base()
        ));
        Rig { fake, dir, targets }
    }

    async fn start(&self) -> GavelProcess {
        let g = GavelProcess::start(&self.dir, &[("GAVEL_TEST_DISCORD_TOKEN", TOKEN)]).await;
        // Ready means: identified, and the READY was processed (the slash command registered).
        let ok = self
            .fake
            .wait_for(Duration::from_secs(20), |f| {
                (f.gateway_stats().2 >= 1 && !f.commands().is_empty()).then_some(())
            })
            .await;
        assert!(ok.is_some(), "gavel never connected to the fake gateway");
        g
    }

    fn say(&self, text: &str) -> u64 {
        self.fake.inject_message(CMD, CLERK, "Clerk", text)
    }

    /// Waits until every target shows `n` bot messages; returns their contents per target.
    async fn wait_delivered(&self, n: usize, timeout: Duration) -> Vec<Vec<String>> {
        let targets = self.targets.clone();
        let got = self
            .fake
            .wait_for(timeout, |f| {
                targets
                    .iter()
                    .all(|t| f.bot_messages(*t).len() >= n)
                    .then_some(())
            })
            .await;
        let contents: Vec<Vec<String>> = self
            .targets
            .iter()
            .map(|t| {
                self.fake
                    .bot_messages(*t)
                    .into_iter()
                    .map(|m| m.content)
                    .collect()
            })
            .collect();
        assert!(
            got.is_some(),
            "not every target got {n} messages: {contents:#?}"
        );
        contents
    }

    async fn reply_to(&self, message: u64, timeout: Duration) -> String {
        self.fake
            .wait_for(timeout, |f| {
                f.bot_messages(CMD)
                    .into_iter()
                    .find(|m| m.reply_to == Some(message))
                    .map(|m| m.content)
            })
            .await
            .unwrap_or_else(|| {
                panic!(
                    "no reply to {message}; command channel: {:#?}",
                    self.fake.bot_messages(CMD)
                )
            })
    }
}

/// The sequence number a post starts with (`#12 19:04 · …`).
fn seq_of(content: &str) -> u32 {
    content
        .trim_start_matches('#')
        .split(' ')
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clerk_message_is_archived_and_reaches_five_channels_in_order_and_others_are_ignored() {
    let rig = Rig::new(5).await;
    let _g = rig.start().await;

    let first = rig.say("!start Full Council");
    rig.say("!agenda 1 Apologies for absence");
    rig.say("!note Apologies from Cllr Brown");
    let per_target = rig.wait_delivered(3, Duration::from_secs(20)).await;
    for msgs in &per_target {
        assert_eq!(msgs.len(), 3, "{msgs:#?}");
        assert!(
            msgs[0].starts_with("#1 ") && msgs[0].contains("Meeting started: Full Council"),
            "{msgs:#?}"
        );
        assert!(msgs[1].starts_with("#2 ") && msgs[1].contains("Item 1: Apologies for absence"));
        assert!(msgs[2].starts_with("#3 ") && msgs[2].ends_with("· Apologies from Cllr Brown"));
    }
    for t in &rig.targets {
        let m = rig.fake.bot_messages(*t);
        assert!(
            m[0].pinned && !m[1].pinned,
            "the meeting's first post is pinned in {t}"
        );
    }
    let reply = rig.reply_to(first, Duration::from_secs(5)).await;
    assert!(reply.starts_with("#1 recorded, delivering to 5"), "{reply}");
    let receipt = rig
        .fake
        .wait_for(Duration::from_secs(10), |f| {
            f.bot_messages(CMD)
                .into_iter()
                .find(|m| m.content == "#3 delivered 5/5")
        })
        .await;
    assert!(
        receipt.is_some(),
        "no receipt: {:#?}",
        rig.fake.bot_messages(CMD)
    );

    // Someone not on the clerk list: nothing recorded, nothing posted, no reply.
    let stranger = rig
        .fake
        .inject_message(CMD, STRANGER, "Resident", "!note I am not a clerk");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        rig.targets
            .iter()
            .all(|t| rig.fake.bot_messages(*t).len() == 3)
    );
    assert!(
        rig.fake
            .bot_messages(CMD)
            .iter()
            .all(|m| m.reply_to != Some(stranger))
    );

    // The slash command does what its text form does, answered ephemerally.
    let slash = rig
        .fake
        .inject_slash(CMD, CLERK, "Clerk", "note Apologies from Cllr Green");
    let resp = rig
        .fake
        .wait_for(Duration::from_secs(10), |f| f.interaction_response(slash))
        .await
        .expect("the slash command was answered");
    assert_eq!(resp["type"], 4);
    assert_eq!(resp["data"]["flags"], 64, "ephemeral");
    assert!(
        resp["data"]["content"]
            .as_str()
            .unwrap_or("")
            .starts_with("#4 recorded"),
        "{resp}"
    );
    let per_target = rig.wait_delivered(4, Duration::from_secs(20)).await;
    for msgs in &per_target {
        assert!(
            msgs[3].starts_with("#4 ") && msgs[3].ends_with("· Apologies from Cllr Green"),
            "{msgs:#?}"
        );
    }
    // A stranger's slash command is refused politely and records nothing.
    let bad = rig
        .fake
        .inject_slash(CMD, STRANGER, "Resident", "note nope");
    let resp = rig
        .fake
        .wait_for(Duration::from_secs(10), |f| f.interaction_response(bad))
        .await
        .expect("answered");
    assert!(
        resp["data"]["content"]
            .as_str()
            .unwrap_or("")
            .contains("Only the meeting's clerks"),
        "{resp}"
    );

    let cmds = rig.fake.commands();
    assert_eq!(cmds[0]["name"], "gavel");
    assert_eq!(cmds[0]["options"][0]["name"], "command");

    let (code, out, err) = rig.dir.gavel(&["verify"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("4 entries, chain intact"), "{out}");
    assert_eq!(rig.fake.invalid_requests(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mentions_in_clerk_text_reach_channels_unable_to_ping_on_create_and_edit() {
    let rig = Rig::new(2).await;
    let _g = rig.start().await;
    rig.say("!start Cabinet");
    let ping = "@everyone @here <@&123456789012345678> <@123456789012345679> look";
    rig.say(&format!("!note {ping}"));
    let before = rig.wait_delivered(2, Duration::from_secs(20)).await;
    assert!(
        before.iter().all(|m| m[1].contains(ping)),
        "the text is shown as typed: {before:#?}"
    );
    rig.say("!fix 2 @everyone again <@&123456789012345678>");
    let edited = rig
        .fake
        .wait_for(Duration::from_secs(20), |f| {
            rig.targets
                .iter()
                .all(|t| {
                    f.bot_messages(*t)
                        .iter()
                        .any(|m| m.edits > 0 && m.content.contains("again"))
                })
                .then_some(())
        })
        .await;
    assert!(
        edited.is_some(),
        "{:#?}",
        rig.fake.bot_messages(rig.targets[0])
    );
    for t in &rig.targets {
        let msgs = rig.fake.bot_messages(*t);
        assert!(
            msgs[1]
                .content
                .contains("@everyone again <@&123456789012345678>"),
            "the text is shown as typed: {}",
            msgs[1].content
        );
        assert!(
            msgs[1].content.contains("(corrected "),
            "{}",
            msgs[1].content
        );
    }
    let writes: Vec<_> = rig
        .fake
        .requests()
        .into_iter()
        .filter(|r| (r.method == "POST" || r.method == "PATCH") && r.path.contains("/messages"))
        .collect();
    assert!(
        writes.iter().any(|r| r.method == "PATCH"),
        "an edit was sent"
    );
    for r in &writes {
        assert_eq!(r.status, 200, "{} {} -> {}", r.method, r.path, r.status);
        let am = &r.body["allowed_mentions"];
        assert_eq!(am["parse"], json!([]), "{} {}: {am}", r.method, r.path);
        assert_ne!(am["replied_user"], json!(true));
        assert!(am.get("users").is_none_or(|u| u == &json!([])));
        assert!(am.get("roles").is_none_or(|u| u == &json!([])));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_note_over_four_thousand_characters_is_split_edited_and_struck_as_one() {
    let rig = Rig::new(1).await;
    let _g = rig.start().await;
    let t = rig.targets[0];
    rig.say("!start Planning Committee");
    // 3,994 characters of short words: with its `#2 HH:MM · ` header the post is over 4,000.
    let words: String = (0..)
        .map(|i| format!("w{} ", i % 10))
        .take(1400)
        .collect::<String>();
    let text = &words[..3994].trim_end().to_string();
    assert!(format!("!note {text}").chars().count() <= 4000);
    rig.say(&format!("!note {text}"));
    let msgs = rig
        .wait_delivered(4, Duration::from_secs(20))
        .await
        .remove(0);
    let parts: Vec<&String> = msgs.iter().skip(1).collect();
    assert_eq!(parts.len(), 3, "{parts:#?}");
    assert!(parts.iter().all(|p| p.chars().count() <= 2000));
    assert!(parts[0].starts_with("#2 "));
    let joined = parts
        .iter()
        .map(|p| p.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        joined.ends_with(text.as_str()),
        "the parts carry the whole note, split between words"
    );

    let fixed: String = words[..3993].replace("w1 ", "v1 ").trim_end().to_string();
    rig.say(&format!("!fix 2 {fixed}"));
    let ok = rig
        .fake
        .wait_for(Duration::from_secs(20), |f| {
            let m = f.bot_messages(t);
            (m.len() == 4 && m[1..].iter().all(|p| p.edits == 1)).then_some(())
        })
        .await;
    assert!(
        ok.is_some(),
        "every part edited in place: {:#?}",
        rig.fake.bot_messages(t)
    );
    let after = rig.fake.bot_messages(t);
    assert!(
        after[1..]
            .iter()
            .map(|m| m.content.as_str())
            .collect::<String>()
            .contains("v1")
    );
    assert!(after[3].content.contains("(corrected "));

    // A shorter correction keeps the same three messages; a later withdrawal still finds them.
    rig.say("!fix 2 Short again");
    let ok = rig
        .fake
        .wait_for(Duration::from_secs(20), |f| {
            let m = f.bot_messages(t);
            (m.len() == 4 && m[1..].iter().all(|p| p.edits == 2)).then_some(())
        })
        .await;
    assert!(ok.is_some(), "{:#?}", rig.fake.bot_messages(t));
    let after = rig.fake.bot_messages(t);
    assert!(
        after[1].content.contains("Short again (corrected "),
        "{}",
        after[1].content
    );
    assert_eq!(after[2].content, "(corrected: see above)");
    assert_eq!(after[3].content, "(corrected: see above)");

    rig.say("!strike 2 posted in error");
    let ok = rig
        .fake
        .wait_for(Duration::from_secs(20), |f| {
            (f.bot_messages(t).len() == 1).then_some(())
        })
        .await;
    assert!(
        ok.is_some(),
        "every part deleted: {:#?}",
        rig.fake.bot_messages(t)
    );
    assert!(rig.fake.bot_messages(t)[0].content.starts_with("#1 "));
    assert_eq!(rig.fake.invalid_requests(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_threaded_target_keeps_only_the_opening_post_and_the_meeting_goes_in_its_thread() {
    let (plain, threaded) = (target(0), target(1));
    let list = format!("\"{plain}\", {{ channel = \"{threaded}\", threads = true }}");
    let rig = Rig::configured(vec![plain, threaded], &list, 50, TOKEN, "").await;
    let _g = rig.start().await;
    rig.say("!start Planning Committee");
    rig.say("!agenda 1 Apologies for absence");
    rig.say("!note Apologies from Cllr Brown");

    let opening = rig
        .fake
        .wait_for(Duration::from_secs(20), |f| {
            let parent = f.bot_messages(threaded);
            let opening = parent.first()?.id;
            (f.bot_messages(opening).len() == 2 && f.bot_messages(plain).len() == 3)
                .then_some(opening)
        })
        .await
        .unwrap_or_else(|| {
            panic!(
                "the thread never got the later entries: {:#?}",
                rig.fake.requests()
            )
        });
    let parent = rig.fake.bot_messages(threaded);
    assert_eq!(parent.len(), 1, "the channel holds only the opening post");
    assert!(
        parent[0]
            .content
            .contains("Meeting started: Planning Committee")
    );
    assert!(parent[0].pinned);
    let thread = rig
        .fake
        .thread(opening)
        .expect("a thread from the opening post");
    assert_eq!(thread["type"], 11);
    assert_eq!(thread["parent_id"], threaded.to_string());
    assert_eq!(thread["name"], "Planning Committee");
    let in_thread: Vec<String> = rig
        .fake
        .bot_messages(opening)
        .into_iter()
        .map(|m| m.content)
        .collect();
    assert!(in_thread[0].starts_with("#2 ") && in_thread[0].contains("Apologies for absence"));
    assert!(in_thread[1].starts_with("#3 "));

    // The non-threaded target in the same run is unchanged: everything in the channel.
    let flat: Vec<String> = rig
        .fake
        .bot_messages(plain)
        .into_iter()
        .map(|m| m.content)
        .collect();
    assert!(flat[0].starts_with("#1 ") && flat[1].starts_with("#2 ") && flat[2].starts_with("#3 "));
    assert!(
        rig.fake
            .thread(rig.fake.bot_messages(plain)[0].id)
            .is_none()
    );

    // A correction edits the message where it lives, in the thread; a withdrawal deletes it there.
    rig.say("!fix 3 Apologies from Cllr Green");
    let edited = rig
        .fake
        .wait_for(Duration::from_secs(20), |f| {
            let m = f.bot_messages(opening);
            (m.len() == 2 && m[1].edits == 1).then(|| m[1].content.clone())
        })
        .await;
    let edited = edited.unwrap_or_else(|| panic!("{:#?}", rig.fake.bot_messages(opening)));
    assert!(edited.contains("Cllr Green"), "{edited}");
    assert_eq!(rig.fake.bot_messages(threaded).len(), 1);
    rig.say("!strike 2 wrong item");
    let gone = rig
        .fake
        .wait_for(Duration::from_secs(20), |f| {
            let m = f.bot_messages(opening);
            (m.len() == 1 && m[0].content.starts_with("#3 ")).then_some(())
        })
        .await;
    assert!(gone.is_some(), "{:#?}", rig.fake.bot_messages(opening));
    assert_eq!(rig.fake.invalid_requests(), 0);
    let threads_started = rig
        .fake
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/threads"))
        .count();
    assert_eq!(threads_started, 1, "one thread per meeting, started once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_permission_to_start_threads_the_meeting_stays_in_the_channel() {
    let threaded = target(0);
    let list = format!("{{ channel = \"{threaded}\", threads = true }}");
    let rig = Rig::configured(vec![threaded], &list, 50, TOKEN, "").await;
    rig.fake.forbid_threads(threaded);
    let _g = rig.start().await;
    rig.say("!start Planning Committee");
    rig.say("!agenda 1 Apologies for absence");
    rig.say("!note Apologies from Cllr Brown");
    let msgs = rig
        .wait_delivered(3, Duration::from_secs(20))
        .await
        .remove(0);
    let seqs: Vec<u32> = msgs.iter().map(|m| seq_of(m)).collect();
    assert_eq!(seqs, [1, 2, 3], "nothing lost, in order: {msgs:#?}");
    rig.say("!fix 3 Apologies from Cllr Green");
    let edited = rig
        .fake
        .wait_for(Duration::from_secs(20), |f| {
            let m = f.bot_messages(threaded);
            (m.len() == 3 && m[2].edits == 1).then_some(())
        })
        .await;
    assert!(edited.is_some(), "{:#?}", rig.fake.bot_messages(threaded));
    let attempts: Vec<u16> = rig
        .fake
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/threads"))
        .map(|r| r.status)
        .collect();
    assert_eq!(attempts, [403], "refused once, then not asked again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_thirty_entries_to_ten_rate_limited_channels_arrives_in_order() {
    let rig = Rig::new(10).await;
    let _g = rig.start().await;
    rig.say("!start Budget Council");
    for i in 2..=30 {
        rig.say(&format!("!note burst item {i}"));
    }
    let started = std::time::Instant::now();
    let per_target = rig.wait_delivered(30, Duration::from_secs(100)).await;
    for msgs in &per_target {
        assert_eq!(msgs.len(), 30);
        let seqs: Vec<u32> = msgs.iter().map(|m| seq_of(m)).collect();
        assert_eq!(seqs, (1..=30).collect::<Vec<u32>>(), "in order, once each");
    }
    // 5 per 5 s per channel: 30 messages need at least 5 full windows.
    assert!(
        started.elapsed() >= Duration::from_secs(20),
        "the fake's limit was not in force"
    );
    let limited = rig.fake.rate_limited();
    for t in &rig.targets {
        let n = limited
            .get(&format!("msg-create:{t}"))
            .copied()
            .unwrap_or(0);
        assert!(n <= 1, "channel {t} got {n} 429s: {limited:?}");
    }
    assert!(!limited.contains_key("global"), "{limited:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_fan_out_then_restart_leaves_no_duplicates_and_keeps_order() {
    let rig = Rig::new(2).await;
    let mut g = rig.start().await;
    rig.say("!start Licensing");
    for i in 2..=12 {
        rig.say(&format!("!note item {i}"));
    }
    // Kill once fan-out is under way but not finished (5 per 5 s per channel), while Discord
    // has accepted a message whose answer has not reached Gavel yet.
    let mid = rig
        .fake
        .wait_for(Duration::from_secs(20), |f| {
            (f.bot_messages(target(0)).len() >= 3).then_some(())
        })
        .await;
    assert!(mid.is_some());
    let n = rig.fake.bot_messages(target(0)).len();
    rig.fake.set_create_delay(Some(Duration::from_secs(30)));
    let held = rig
        .fake
        .wait_for(Duration::from_secs(10), |f| {
            (f.bot_messages(target(0)).len() > n).then_some(())
        })
        .await;
    assert!(held.is_some(), "a create was accepted and its answer held");
    g.kill9();
    g.wait(Duration::from_secs(5)).await;
    rig.fake.set_create_delay(None);
    let before = rig.fake.bot_messages(target(0)).len();
    assert!(before < 12, "fan-out finished before the kill ({before})");

    let _g2 = rig.start().await;
    let per_target = rig.wait_delivered(12, Duration::from_secs(60)).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    for t in &rig.targets {
        let msgs = rig.fake.bot_messages(*t);
        let seqs: Vec<u32> = msgs.iter().map(|m| seq_of(&m.content)).collect();
        assert_eq!(
            seqs,
            (1..=12).collect::<Vec<u32>>(),
            "once each, in order: {per_target:#?}"
        );
        let unique: HashSet<&str> = msgs.iter().map(|m| m.content.as_str()).collect();
        assert_eq!(unique.len(), 12);
    }
    assert!(
        rig.fake.nonce_dedupes() >= 1,
        "the resend after the kill reused its nonce"
    );
    let (code, out, _) = rig.dir.gavel(&["verify"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("12 entries"), "no command ran twice: {out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_forced_gateway_disconnect_gavel_reconnects_and_takes_the_next_command() {
    let rig = Rig::new(1).await;
    let _g = rig.start().await;
    rig.say("!start Scrutiny");
    rig.wait_delivered(1, Duration::from_secs(20)).await;

    // A resumable close (4000): serenity resumes the session.
    rig.fake.disconnect(Disconnect::Close4000);
    let resumed = rig
        .fake
        .wait_for(Duration::from_secs(30), |f| {
            (f.gateway_stats().1 >= 1 || f.gateway_stats().0 >= 2).then_some(())
        })
        .await;
    assert!(
        resumed.is_some(),
        "no reconnect: {:?}",
        rig.fake.gateway_stats()
    );
    rig.say("!note after the first reconnect");
    let msgs = rig
        .wait_delivered(2, Duration::from_secs(30))
        .await
        .remove(0);
    assert!(msgs[1].contains("after the first reconnect"), "{msgs:#?}");

    // A dropped connection whose session cannot be resumed: a command sent meanwhile is not
    // replayed by the gateway, so it must come from channel history after READY.
    rig.fake.set_resume_allowed(false);
    rig.fake.disconnect(Disconnect::DropTcp);
    let missed = rig.say("!note sent while disconnected");
    let msgs = rig
        .wait_delivered(3, Duration::from_secs(40))
        .await
        .remove(0);
    assert!(msgs[2].contains("sent while disconnected"), "{msgs:#?}");
    let reply = rig.reply_to(missed, Duration::from_secs(10)).await;
    assert!(reply.starts_with("#3 recorded"), "{reply}");
    rig.say("!note and the next one");
    let msgs = rig
        .wait_delivered(4, Duration::from_secs(20))
        .await
        .remove(0);
    assert!(msgs[3].contains("and the next one"));
    let (ids, _, _) = rig.fake.gateway_stats();
    assert!(ids >= 2, "a new session was identified");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_channel_without_permission_is_reported_to_the_clerks_and_the_others_keep_going() {
    let rig = Rig::with(2, 3, TOKEN).await;
    rig.fake.forbid_channel(target(1));
    let _g = rig.start().await;
    rig.say("!start Audit Committee");
    rig.say("!note still delivered elsewhere");
    let ok = rig
        .fake
        .wait_for(Duration::from_secs(20), |f| {
            (f.bot_messages(target(0)).len() == 2).then_some(())
        })
        .await;
    assert!(ok.is_some(), "the permitted channel is not held up");
    let notice = rig
        .fake
        .wait_for(Duration::from_secs(20), |f| {
            f.bot_messages(CMD)
                .into_iter()
                .find(|m| m.content.contains("is failing"))
                .map(|m| m.content)
        })
        .await
        .expect("a failing notice in the command channel");
    assert!(
        notice.contains(&format!("discord:{}", target(1))),
        "{notice}"
    );
    assert!(
        notice.contains(&format!("missing permission in channel {}", target(1))),
        "{notice}"
    );
    // Backoff keeps invalid requests few (Discord bans IPs that make many).
    assert!(
        rig.fake.invalid_requests() <= 6,
        "{} invalid requests",
        rig.fake.invalid_requests()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_token_stops_gavel_with_a_clear_message_that_does_not_show_the_token() {
    let wrong = "wrong-token-5b1d0e";
    let rig = Rig::with(1, 3, wrong).await;
    let out = tokio::time::timeout(
        Duration::from_secs(30),
        tokio::process::Command::new(crate::helpers::gavel_bin())
            .arg("-c")
            .arg(rig.dir.config())
            .arg("run")
            .current_dir(rig.dir.path())
            .env("RUST_LOG", "debug")
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("gavel exits by itself")
    .expect("ran");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out.status.success(), "{text}");
    assert!(text.contains("rejected the bot token"), "{text}");
    assert!(!text.contains(wrong), "the token must never be logged");
    assert_eq!(
        rig.fake.invalid_requests(),
        1,
        "one 401, then no more calls"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limited_command_channel_does_not_hold_up_commands_and_every_answer_arrives() {
    let rig = Rig::new(1).await;
    rig.fake.set_channel_limit(CMD, 5, Duration::from_secs(5)); // Discord's usual per-channel limit
    rig.fake
        .set_channel_limit(target(0), 50, Duration::from_secs(1));
    let _g = rig.start().await;
    let t0 = std::time::Instant::now();
    let ids: Vec<u64> = std::iter::once(rig.say("!start Planning"))
        .chain((2..=12).map(|i| rig.say(&format!("!note quick {i}"))))
        .collect();
    rig.wait_delivered(12, Duration::from_secs(10)).await;
    // 24 answers (replies and receipts) need about 20 s at 5 per 5 s; the entries did not wait.
    assert!(
        t0.elapsed() < Duration::from_secs(6),
        "entries waited for answers: {:?}",
        t0.elapsed()
    );
    for id in [ids[0], ids[11]] {
        let r = rig.reply_to(id, Duration::from_secs(40)).await;
        assert!(r.contains("recorded"), "{r}");
    }
    let limited = rig.fake.rate_limited();
    assert!(
        limited
            .get(&format!("msg-create:{CMD}"))
            .copied()
            .unwrap_or(0)
            <= 1,
        "{limited:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entries_recorded_during_a_discord_outage_arrive_in_order_afterwards() {
    let rig = Rig::with(2, 3, TOKEN).await;
    let _g = rig.start().await;
    rig.say("!start Council");
    rig.wait_delivered(1, Duration::from_secs(20)).await;
    rig.fake.set_outage(true);
    for i in 2..=6 {
        rig.say(&format!("!note during the outage {i}"));
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(
        rig.targets
            .iter()
            .all(|t| rig.fake.bot_messages(*t).len() == 1)
    );
    rig.fake.set_outage(false);
    let per_target = rig.wait_delivered(6, Duration::from_secs(30)).await;
    for msgs in &per_target {
        let seqs: Vec<u32> = msgs.iter().map(|m| seq_of(m)).collect();
        assert_eq!(seqs, vec![1, 2, 3, 4, 5, 6], "{msgs:#?}");
    }
    let recovered = rig
        .fake
        .wait_for(Duration::from_secs(20), |f| {
            f.bot_messages(CMD)
                .into_iter()
                .find(|m| m.content.contains("has recovered"))
        })
        .await;
    assert!(recovered.is_some(), "{:#?}", rig.fake.bot_messages(CMD));
}

// ----- the REST client against the fake, without the daemon ---------------------------------

mod rest {
    use std::time::{Duration, Instant};

    use gavel::platform::discord::render::{create_body, edit_body};
    use gavel::platform::discord::{Rest, RestError};
    use gavel::sink::RetryClass;
    use secrecy::SecretString;

    use super::TOKEN;
    use crate::fake_discord::FakeDiscord;

    const C: u64 = 820_000_000_000_000_001;

    fn client(fake: &FakeDiscord, token: &str) -> Rest {
        let base = url::Url::parse(&fake.api_base()).expect("url");
        Rest::new(
            &base,
            SecretString::from(token.to_string()),
            Duration::from_secs(5),
        )
        .expect("client")
    }

    #[tokio::test]
    async fn a_429_is_waited_out_from_its_retry_after_and_buckets_are_paced_without_more() {
        let fake = FakeDiscord::start(TOKEN).await;
        fake.set_channel_limit(C, 2, Duration::from_secs(1));
        let rest = client(&fake, TOKEN);
        fake.storm(1, 0.4);
        let t0 = Instant::now();
        rest.create_message(C, &create_body("first", "n0", None))
            .await
            .expect("sent after the 429");
        assert!(
            t0.elapsed() >= Duration::from_millis(400),
            "retry_after honoured: {:?}",
            t0.elapsed()
        );
        let t1 = Instant::now();
        for i in 1..=5 {
            rest.create_message(C, &create_body(&format!("m{i}"), &format!("n{i}"), None))
                .await
                .expect("paced");
        }
        // 2 per second: five more need at least two further windows.
        assert!(
            t1.elapsed() >= Duration::from_millis(1800),
            "{:?}",
            t1.elapsed()
        );
        assert_eq!(rest.counters().rate_limited, 1, "only the injected 429");
        assert_eq!(fake.rate_limited().values().sum::<u32>(), 1);
        assert_eq!(fake.messages(C).len(), 6);
    }

    #[tokio::test]
    async fn failures_are_classified_for_the_outbox() {
        let fake = FakeDiscord::start(TOKEN).await;
        let bad = client(&fake, "not-the-token");
        let e = bad
            .create_message(C, &create_body("x", "a", None))
            .await
            .unwrap_err();
        assert_eq!(e, RestError::Unauthorized);
        let s = e.into_sink_error(&C.to_string());
        assert_eq!(s.class, RetryClass::Backoff);
        assert!(s.message.contains("token rejected"), "{}", s.message);
        // After a 401 the client stops sending for a while: no second invalid request.
        assert_eq!(
            bad.create_message(C, &create_body("x", "b", None))
                .await
                .unwrap_err(),
            RestError::Unauthorized
        );
        assert_eq!(fake.invalid_requests(), 1);

        let rest = client(&fake, TOKEN);
        fake.forbid_channel(C + 1);
        let s = rest
            .create_message(C + 1, &create_body("x", "c", None))
            .await
            .unwrap_err()
            .into_sink_error(&(C + 1).to_string());
        assert_eq!(s.class, RetryClass::Backoff);
        assert!(
            s.message
                .contains(&format!("missing permission in channel {}", C + 1)),
            "{}",
            s.message
        );

        let long = "x".repeat(2001);
        let e = rest
            .create_message(C, &create_body(&long, "d", None))
            .await
            .unwrap_err();
        assert!(
            matches!(
                e,
                RestError::Refused {
                    status: 400,
                    code: 50035,
                    ..
                }
            ),
            "{e:?}"
        );
        assert_eq!(e.into_sink_error("1").class, RetryClass::Permanent);

        fake.fail_next(502, 1);
        let e = rest
            .create_message(C, &create_body("x", "e", None))
            .await
            .unwrap_err();
        assert_eq!(e, RestError::Server(502));
        assert_eq!(e.into_sink_error("1").class, RetryClass::Backoff);
        fake.set_outage(true);
        assert_eq!(
            rest.create_message(C, &create_body("x", "f", None))
                .await
                .unwrap_err(),
            RestError::Server(503)
        );
        fake.set_outage(false);
    }

    #[tokio::test]
    async fn a_thread_from_a_message_takes_its_id_and_starting_it_again_counts_as_started() {
        let fake = FakeDiscord::start(TOKEN).await;
        let rest = client(&fake, TOKEN);
        let opening = rest
            .create_message(C, &create_body("Meeting started", "n-open", None))
            .await
            .unwrap();
        let thread: u64 = opening.parse().unwrap();
        assert!(
            matches!(
                rest.create_message(thread, &create_body("early", "n-early", None))
                    .await,
                Err(RestError::NotFound { code: 10003, .. })
            ),
            "no thread yet: the message id is no channel"
        );
        rest.start_thread(C, &opening, "Planning").await.unwrap();
        rest.start_thread(C, &opening, "Planning")
            .await
            .expect("160004: the thread already exists, which is what was wanted");
        let starts: Vec<u16> = fake
            .requests()
            .iter()
            .filter(|r| r.path.ends_with("/threads"))
            .map(|r| r.status)
            .collect();
        assert_eq!(starts, [201, 400]);
        assert_eq!(
            fake.thread(thread).unwrap()["thread_metadata"]["auto_archive_duration"],
            10080
        );
        let inside = rest
            .create_message(thread, &create_body("Item 1", "n-1", None))
            .await
            .unwrap();
        rest.edit_message(thread, &inside, &edit_body("Item 1, corrected"))
            .await
            .unwrap();
        assert_eq!(fake.messages(thread)[0].content, "Item 1, corrected");
        assert_eq!(fake.messages(C).len(), 1);
        rest.delete_message(thread, &inside).await.unwrap();
        assert!(fake.messages(thread).is_empty());
        assert!(matches!(
            rest.start_thread(C, "1234", "x").await,
            Err(RestError::NotFound { code: 10008, .. })
        ));
    }

    #[tokio::test]
    async fn a_repeated_nonce_returns_the_original_and_deletes_and_history_behave() {
        let fake = FakeDiscord::start(TOKEN).await;
        let rest = client(&fake, TOKEN);
        let a = rest
            .create_message(C, &create_body("once", "same-nonce", None))
            .await
            .unwrap();
        let b = rest
            .create_message(C, &create_body("once", "same-nonce", None))
            .await
            .unwrap();
        assert_eq!(a, b);
        assert_eq!(fake.messages(C).len(), 1);
        let c = rest
            .create_message(C, &create_body("twice", "other-nonce", None))
            .await
            .unwrap();
        rest.edit_message(C, &c, &edit_body("twice, edited"))
            .await
            .unwrap();
        let after: Vec<String> = rest
            .messages_after(C, 0, 100)
            .await
            .unwrap()
            .iter()
            .map(|m| m["content"].as_str().unwrap_or("").to_string())
            .collect();
        assert_eq!(after, vec!["once", "twice, edited"], "oldest first");
        rest.delete_message(C, &a).await.unwrap();
        rest.delete_message(C, &a)
            .await
            .expect("a message already gone counts as deleted");
        assert_eq!(fake.messages(C).len(), 1);
    }

    #[tokio::test]
    async fn a_reply_threads_to_its_message_and_an_unknown_reference_is_refused_unless_allowed() {
        let fake = FakeDiscord::start(TOKEN).await;
        let rest = client(&fake, TOKEN);
        let asked = fake.inject_message(C, 700_000_000_000_000_301, "Resident", "!now");
        rest.create_message(C, &create_body("answer", "n1", Some((C, asked))))
            .await
            .unwrap();
        assert_eq!(fake.bot_messages(C)[0].reply_to, Some(asked));
        let mut strict = create_body("to nothing", "n2", Some((C, 12345)));
        strict["message_reference"]
            .as_object_mut()
            .unwrap()
            .remove("fail_if_not_exists");
        let err = rest.create_message(C, &strict).await.unwrap_err();
        assert!(err.to_string().contains("HTTP 400"), "{err}");
        assert_eq!(fake.bot_messages(C).len(), 1);
        rest.create_message(C, &create_body("to nothing", "n3", Some((C, 12345))))
            .await
            .unwrap();
        assert_eq!(fake.bot_messages(C).last().unwrap().reply_to, None);
    }
}

#[tokio::test]
async fn check_probe_reports_the_token_and_each_channel_without_posting() {
    let rig = Rig::new(2).await;
    rig.fake.forbid_channel(rig.targets[1]);
    let (cfg, dir) = (rig.dir.config(), rig.dir.path().to_path_buf());
    let run = move |cfg: std::path::PathBuf, dir: std::path::PathBuf| {
        tokio::task::spawn_blocking(move || {
            std::process::Command::new(crate::helpers::gavel_bin())
                .arg("-c")
                .arg(cfg)
                .args(["check", "--probe"])
                .current_dir(dir)
                .output()
                .unwrap()
        })
    };
    let out = run(cfg.clone(), dir.clone()).await.unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        !out.status.success(),
        "a forbidden channel must fail the probe:\n{text}"
    );
    let section = |name: String| {
        text.split(&format!("\n{name}"))
            .nth(1)
            .map(|s| s.to_string())
            .unwrap_or_default()
    };
    assert!(
        section("discord (bot token)".into()).contains("authorised: yes"),
        "{text}"
    );
    let ok = section(format!("discord:{} (target channel)", rig.targets[0]));
    assert!(
        ok.lines()
            .nth(2)
            .is_some_and(|l| l.contains("authorised: yes")),
        "{text}"
    );
    let bad = section(format!("discord:{} (target channel)", rig.targets[1]));
    assert!(
        bad.lines()
            .nth(2)
            .is_some_and(|l| l.contains("NO (no access")),
        "{text}"
    );
    assert!(
        rig.fake.bot_messages(rig.targets[0]).is_empty(),
        "the probe posted"
    );
    assert!(!text.contains(TOKEN), "the token was printed");

    // A wrong token is reported as not authorised.
    let wrong = std::fs::read_to_string(&cfg)
        .unwrap()
        .replace(TOKEN, "wrong-token-0000");
    std::fs::write(&cfg, wrong).unwrap();
    let out = run(cfg, dir).await.unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success());
    assert!(
        text.contains("authorised: NO (Discord rejected the bot token"),
        "{text}"
    );
}

// ----- the pinned "now" status ---------------------------------------------------------------

/// The channel's pins as Discord lists them (`GET /channels/{c}/pins`), newest first.
async fn pins_via_rest(fake: &FakeDiscord, channel: u64) -> Vec<serde_json::Value> {
    let resp = reqwest::Client::new()
        .get(format!(
            "{}/api/v10/channels/{channel}/pins",
            fake.api_base()
        ))
        .header("Authorization", format!("Bot {TOKEN}"))
        .send()
        .await
        .expect("GET pins");
    assert_eq!(resp.status(), 200);
    resp.json::<Vec<serde_json::Value>>().await.expect("pins")
}

/// Gavel's status messages in `channel` (entries start with their number, `#n`).
fn status_messages(fake: &FakeDiscord, channel: u64) -> Vec<crate::fake_discord::FakeMessage> {
    fake.bot_messages(channel)
        .into_iter()
        .filter(|m| !m.content.starts_with('#'))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_pinned_status_follows_the_meeting_survives_a_restart_and_is_finalised_and_unpinned_at_end()
 {
    let rig = Rig::new(1).await;
    let cfg = rig.dir.config();
    let mut text = std::fs::read_to_string(&cfg).unwrap();
    text.push_str(
        "\n[status]\nenabled = true\nmin_edit_interval_secs = 1\n\n\
         [web]\nlisten = \"127.0.0.1:0\"\npublic_url = \"https://council.example\"\n",
    );
    std::fs::write(&cfg, text).unwrap();
    let ch = rig.targets[0];
    let g = rig.start().await;

    rig.say("!start Full Council");
    rig.say("!agenda 1 Apologies for absence");
    rig.say("!vote carried");
    rig.say("!agenda 5 Planning applications");
    rig.say("!vote 32-10-3 carried");
    let shown = rig
        .fake
        .wait_for(Duration::from_secs(30), |f| {
            let pinned: Vec<_> = f
                .bot_messages(ch)
                .into_iter()
                .filter(|m| m.pinned)
                .collect();
            (pinned.len() == 1
                && pinned[0].content.contains("Item 5: Planning applications")
                && pinned[0]
                    .content
                    .contains("Vote: carried — 32 for, 10 against, 3 abstentions"))
            .then(|| pinned[0].clone())
        })
        .await;
    let shown = shown.unwrap_or_else(|| {
        panic!(
            "no up-to-date pinned status: {:#?}",
            rig.fake.bot_messages(ch)
        )
    });
    let pins = pins_via_rest(&rig.fake, ch).await;
    assert_eq!(pins.len(), 1, "exactly one pin: {pins:#?}");
    assert_eq!(pins[0]["id"], shown.id.to_string());
    assert_eq!(
        pins[0]["author"]["id"],
        crate::fake_discord::BOT_USER_ID.to_string()
    );
    assert_eq!(
        shown.content,
        "Now: Full Council\nItem 5: Planning applications\n\
         Latest: Vote: carried — 32 for, 10 against, 3 abstentions\n\
         Follow live: https://council.example/meetings/1"
    );
    assert_eq!(status_messages(&rig.fake, ch).len(), 1);
    assert!(
        (1..=4).contains(&shown.edits),
        "four changes after the post, paced: {} edits",
        shown.edits
    );

    // A restart edits the same status instead of posting another.
    drop(g);
    let _g = rig.start().await;
    rig.say("!recess 10");
    let in_recess = rig
        .fake
        .wait_for(Duration::from_secs(30), |f| {
            f.bot_messages(ch)
                .into_iter()
                .find(|m| m.id == shown.id && m.content.contains("In recess"))
        })
        .await;
    assert!(in_recess.is_some(), "{:#?}", rig.fake.bot_messages(ch));
    assert_eq!(
        status_messages(&rig.fake, ch).len(),
        1,
        "{:#?}",
        rig.fake.bot_messages(ch)
    );

    rig.say("!resume");
    rig.say("!end");
    let finalised = rig
        .fake
        .wait_for(Duration::from_secs(30), |f| {
            f.bot_messages(ch)
                .into_iter()
                .find(|m| m.id == shown.id && m.content.starts_with("Meeting ended") && !m.pinned)
        })
        .await
        .unwrap_or_else(|| panic!("not finalised: {:#?}", rig.fake.bot_messages(ch)));
    assert_eq!(
        finalised.content,
        "Meeting ended: Full Council\nTranscript: https://council.example/meetings/1"
    );
    assert!(
        pins_via_rest(&rig.fake, ch).await.is_empty(),
        "unpinned at !end"
    );
    assert_eq!(status_messages(&rig.fake, ch).len(), 1);
    // Every status create and edit forbade pings (the fake refuses them otherwise).
    let status_calls: Vec<_> = rig
        .fake
        .requests()
        .into_iter()
        .filter(|r| r.path.contains(&format!("/messages/{}", shown.id)) && r.method == "PATCH")
        .collect();
    assert!(!status_calls.is_empty());
    assert!(
        status_calls.iter().all(
            |r| r.status == 200 && r.body["allowed_mentions"]["parse"] == serde_json::json!([])
        )
    );
}

#[tokio::test]
async fn the_fake_refuses_a_fifty_first_pin_as_discord_does() {
    use gavel::platform::discord::render::create_body;
    use gavel::platform::discord::{Rest, RestError};
    let fake = FakeDiscord::start(TOKEN).await;
    fake.set_channel_limit(target(9), 100, Duration::from_secs(1));
    let rest = Rest::new(
        &url::Url::parse(&fake.api_base()).unwrap(),
        secrecy::SecretString::from(TOKEN.to_string()),
        Duration::from_secs(5),
    )
    .unwrap();
    let mut ids = Vec::new();
    for i in 0..51 {
        ids.push(
            rest.create_message(
                target(9),
                &create_body(&format!("m{i}"), &format!("p{i}"), None),
            )
            .await
            .unwrap(),
        );
    }
    for id in &ids[..50] {
        rest.pin(target(9), id).await.unwrap();
    }
    let e = rest.pin(target(9), &ids[50]).await.unwrap_err();
    assert!(
        matches!(
            e,
            RestError::Refused {
                status: 400,
                code: 30003,
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(
        e.into_sink_error("c").class,
        gavel::sink::RetryClass::Permanent,
        "the status keeps going unpinned"
    );
    rest.unpin(target(9), &ids[0]).await.unwrap();
    rest.pin(target(9), &ids[50]).await.unwrap();
    assert_eq!(pins_via_rest(&fake, target(9)).await.len(), 50);
}

/// Gavel's reply to `message` in `channel`, once it arrives.
async fn reply_in(
    fake: &FakeDiscord,
    channel: u64,
    message: u64,
) -> crate::fake_discord::FakeMessage {
    fake.wait_for(Duration::from_secs(20), |f| {
        f.bot_messages(channel)
            .into_iter()
            .find(|m| m.reply_to == Some(message))
    })
    .await
    .unwrap_or_else(|| {
        panic!(
            "no reply to {message} in {channel}: {:#?}",
            fake.bot_messages(channel)
        )
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_residents_now_in_a_target_channel_gets_one_threaded_reply_and_nothing_else_is_answered()
{
    const ALICE: u64 = 700_000_000_000_000_201;
    const BOB: u64 = 700_000_000_000_000_202;
    const CAROL: u64 = 700_000_000_000_000_203;
    // A short room window, so the per-user limit is seen on its own.
    let rig = Rig::with_config(
        2,
        50,
        TOKEN,
        "[residents]\nper_user_secs = 600\nper_room_secs = 1\n",
    )
    .await;
    let _g = rig.start().await;
    let (t, quiet) = (rig.targets[0], rig.targets[1]);
    rig.say("!start Planning Committee");
    rig.say("!agenda 5 Planning application 24/01234/FUL");
    rig.wait_delivered(2, Duration::from_secs(20)).await;

    let question = rig.fake.inject_message(t, ALICE, "Alice", "!now");
    let answer = reply_in(&rig.fake, t, question).await;
    assert!(
        answer
            .content
            .contains("item 5: Planning application 24/01234/FUL"),
        "{}",
        answer.content
    );
    assert_eq!(
        answer.allowed_mentions,
        Some(json!({"parse": [], "users": [], "roles": [], "replied_user": false}))
    );

    // Alice at once, and again once the room's window has passed: her own limit holds.
    let at_once = rig.fake.inject_message(t, ALICE, "Alice", "!now");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let later = rig.fake.inject_message(t, ALICE, "Alice", "!NOW");
    // Chatter, a clerk command from a resident, and the clerk's own command here: ignored.
    let ignored = [
        later,
        at_once,
        rig.fake
            .inject_message(t, BOB, "Bob", "hello, is the webcast on?"),
        rig.fake
            .inject_message(t, CAROL, "Carol", "!vote 1-0-0 carried"),
        rig.fake
            .inject_message(t, CLERK, "Clerk", "!vote 1-0-0 carried"),
        rig.fake.inject_message(t, BOB, "Bob", "!agenda 6 Hijack"),
    ];
    // Bob's question is handled after all of those, and is answered: so none of them was.
    let bobs = rig.fake.inject_message(t, BOB, "Bob", "!agenda");
    let agenda = reply_in(&rig.fake, t, bobs).await;
    assert!(
        agenda.content.contains("Planning Committee"),
        "{}",
        agenda.content
    );
    let bot = rig.fake.bot_messages(t);
    for m in ignored {
        assert!(
            !bot.iter().any(|b| b.reply_to == Some(m)),
            "message {m} was answered: {bot:#?}"
        );
    }
    assert_eq!(bot.len(), 4, "two entries and two answers: {bot:#?}");
    assert!(rig.fake.bot_messages(quiet).len() == 2);

    let db = rusqlite::Connection::open(rig.dir.archive()).unwrap();
    let kinds: Vec<String> = db
        .prepare("SELECT kind FROM entries ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(kinds, ["start", "agenda"]);
}
