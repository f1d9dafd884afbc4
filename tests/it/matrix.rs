//! Matrix end to end, against a real Synapse on loopback (`scripts/synapse.sh`), driving the
//! real `gavel` binary. The clerk, a resident and an admin are plain client-server API users
//! driven with reqwest, not with Gavel's code.
//!
//! One Synapse serves the whole test binary (each test has its own users and rooms); the
//! outage test starts its own so stopping it disturbs no other test. Without the Synapse
//! virtualenv these tests print why and pass, unless `GAVEL_REQUIRE_SYNAPSE` is set (CI).

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{GavelProcess, TestDir};
use crate::synapse::{self, Client, PASS, Synapse, enc, txn_id};

/// Whether Synapse can run here; prints why a test is skipped, fails when CI requires it.
pub(crate) fn synapse_installed() -> bool {
    if synapse::installed() {
        return true;
    }
    if synapse::required() {
        panic!(
            "GAVEL_REQUIRE_SYNAPSE is set but Synapse is not installed in {}: run scripts/synapse.sh install",
            synapse::venv().display()
        );
    }
    eprintln!(
        "SKIPPED: Synapse is not installed in {} (run scripts/synapse.sh install); Matrix tests did not run",
        synapse::venv().display()
    );
    false
}

/// A new data folder for the shared Synapse under `target/tmp`, after removing those of earlier
/// runs whose server is no longer running (each server stops when its test run ends).
fn fresh_synapse_dir(name: &str) -> PathBuf {
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    if let Ok(entries) = std::fs::read_dir(&root) {
        for e in entries.flatten() {
            let path = e.path();
            if !e.file_name().to_string_lossy().starts_with("synapse-") {
                continue;
            }
            let alive = std::fs::read_to_string(path.join("homeserver.pid")).is_ok_and(|pid| {
                std::process::Command::new("kill")
                    .args(["-0", pid.trim()])
                    .stderr(std::process::Stdio::null())
                    .status()
                    .is_ok_and(|s| s.success())
            });
            if !alive {
                let _ = std::fs::remove_dir_all(&path);
            }
        }
    }
    let dir = root.join(format!("synapse-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("synapse dir");
    dir
}

/// The Synapse shared by every test in this run, with an admin user.
pub(crate) fn shared() -> &'static (Synapse, Client) {
    static SHARED: OnceLock<(Synapse, Client)> = OnceLock::new();
    SHARED.get_or_init(|| {
        let dir = fresh_synapse_dir("shared");
        let s = Synapse::start(&dir);
        s.register("admin", true);
        let admin = std::thread::scope(|sc| {
            sc.spawn(|| {
                tokio::runtime::Runtime::new()
                    .unwrap()
                    .block_on(Client::login(&s.url, "admin"))
            })
            .join()
            .unwrap()
        });
        (s, admin)
    })
}

/// Registers `<name>_bot`, `<name>_clerk` and `<name>_resident`; the bot's user id.
pub(crate) async fn register_world(synapse: &Synapse, name: &str) -> String {
    let (s, n) = (synapse.clone(), name.to_string());
    tokio::task::spawn_blocking(move || {
        let bot = s.register(&format!("{n}_bot"), false);
        s.register(&format!("{n}_clerk"), false);
        s.register(&format!("{n}_resident"), false);
        bot
    })
    .await
    .unwrap()
}

/// One test's world: a clerk, a resident, a bot account, a command room and three target
/// rooms (two by id, one by alias), and a Gavel config pointing at them.
struct World {
    synapse: Synapse,
    clerk: Client,
    resident: Client,
    bot: String,
    command: String,
    targets: Vec<String>,
    dir: TestDir,
}

impl World {
    async fn new(synapse: &Synapse, admin: Option<&Client>, name: &str) -> World {
        let bot = register_world(synapse, name).await;
        if let Some(admin) = admin {
            // What an operator does for a production bot: exempt it from rate limits.
            admin.exempt(&bot).await;
        }
        let clerk = Client::login(&synapse.url, &format!("{name}_clerk")).await;
        let resident = Client::login(&synapse.url, &format!("{name}_resident")).await;
        let command = clerk
            .create_room(json!({"preset": "private_chat", "name": "Clerks", "invite": [bot, resident.user_id]}))
            .await;
        resident.join(&command).await;
        let mut targets = Vec::new();
        for i in 1..=3 {
            let mut body = json!({"preset": "public_chat", "name": format!("Council live {i}")});
            if i == 3 {
                body["room_alias_name"] = json!(format!("{name}_live"));
            }
            let id = clerk.create_room(body).await;
            resident.join(&id).await;
            targets.push(id);
        }
        let dir = TestDir::new();
        dir.write_config(&format!(
            "[matrix]\nhomeserver = \"{}\"\nuser = \"{bot}\"\npassword = \"{PASS}\"\ncommand_rooms = [\"{command}\"]\nclerks = [\"{}\"]\ntargets = [\"{}\", \"{}\", \"#{name}_live:localhost\"]\ndecrypt_wait_secs = 2\n\n[outbox]\nretry_base_ms = 200\nretry_cap_secs = 2\nreport_after = 2\n",
            synapse.url, clerk.user_id, targets[0], targets[1]
        ));
        World {
            synapse: synapse.clone(),
            clerk,
            resident,
            bot,
            command,
            targets,
            dir,
        }
    }

    /// Starts Gavel and waits until it announces itself in the command room (`starts` counts
    /// earlier starts, each of which announced itself too).
    async fn start_gavel(&self, starts: usize) -> GavelProcess {
        let g = GavelProcess::start(&self.dir, &[]).await;
        self.clerk
            .wait_for(
                &self.command,
                &self.bot,
                "Gavel is listening",
                starts + 1,
                Duration::from_secs(60),
            )
            .await;
        g
    }

    /// The clerk sends a command and waits for Gavel's reply containing `needle`.
    async fn command(&self, text: &str, needle: &str) {
        let before = self.replies_containing(needle).await;
        self.clerk.say(&self.command, text).await;
        self.clerk
            .wait_for(
                &self.command,
                &self.bot,
                needle,
                before + 1,
                Duration::from_secs(30),
            )
            .await;
    }

    async fn replies_containing(&self, needle: &str) -> usize {
        self.clerk
            .posts_from(&self.command, &self.bot)
            .await
            .iter()
            .filter(|b| b.contains(needle))
            .count()
    }

    /// Waits until every target room shows `n` posts from the bot; returns them per room.
    async fn wait_posts(&self, n: usize, timeout: Duration) -> Vec<Vec<String>> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let mut all = Vec::new();
            for t in &self.targets {
                all.push(self.resident.posts_from(t, &self.bot).await);
            }
            if all.iter().all(|p| p.len() >= n) {
                return all;
            }
            if tokio::time::Instant::now() > deadline {
                panic!("expected {n} posts in every room; got {all:#?}");
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// `#12 19:04 · text` → `#12 · text` (the time depends on when the test runs).
pub(crate) fn untimed(body: &str) -> String {
    match body.split_once(" · ") {
        Some((head, rest)) => format!("{} · {rest}", head.split(' ').next().unwrap_or(head)),
        None => body.to_string(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_meeting_arrives_in_every_room_in_order_as_sanitised_notices() {
    if !synapse_installed() {
        return;
    }
    let (synapse, admin) = shared();
    let w = World::new(synapse, Some(admin), "meeting").await;
    let mut gavel = w.start_gavel(0).await;
    let script = [
        ("!start Full Council", "#1 recorded"),
        ("!agenda 5 Planning application 24/01234/FUL", "#2 recorded"),
        ("!speaker Cllr Ahmed", "#3 recorded"),
        (
            "!motion That the application be approved | mover=Cllr Jones | seconder=Cllr Patel",
            "#4 recorded",
        ),
        ("!vote 32-10-3 carried", "#5 recorded"),
        (
            "!link https://example.org/papers?id=1&v=2 Committee papers",
            "#6 recorded",
        ),
        (
            "!note Cllr <b>Brown</b> & Cllr Green arrived",
            "#7 recorded",
        ),
        ("!end", "#8 recorded"),
    ];
    for (cmd, ack) in script {
        w.command(cmd, ack).await;
    }
    w.clerk
        .wait_for(
            &w.command,
            &w.bot,
            "#8 delivered 3/3",
            1,
            Duration::from_secs(30),
        )
        .await;
    let expected = [
        "#1 · Meeting started: Full Council",
        "#2 · Item 5: Planning application 24/01234/FUL",
        "#3 · Speaking: Cllr Ahmed",
        "#4 · Motion: That the application be approved (moved by Cllr Jones, seconded by Cllr Patel)",
        "#5 · Vote: carried — 32 for, 10 against, 3 abstentions",
        "#6 · Link: Committee papers — https://example.org/papers?id=1&v=2",
        "#7 · Cllr <b>Brown</b> & Cllr Green arrived",
        "#8 · Meeting closed",
    ];
    for room in &w.targets {
        let events = w.resident.messages_from(room, &w.bot).await;
        let bodies: Vec<String> = events
            .iter()
            .map(|e| untimed(e["content"]["body"].as_str().unwrap()))
            .collect();
        assert_eq!(bodies, expected, "room {room}");
        for e in &events {
            let c = &e["content"];
            assert_eq!(c["msgtype"], "m.notice");
            assert_eq!(c["m.mentions"], json!({}));
            assert_eq!(c["format"], "org.matrix.custom.html");
        }
        let link = events[5]["content"]["formatted_body"].as_str().unwrap();
        assert!(
            link.contains(
                "<a href=\"https://example.org/papers?id=1&amp;v=2\" rel=\"noopener noreferrer\">"
            ),
            "{link}"
        );
        let note = events[6]["content"]["formatted_body"].as_str().unwrap();
        assert!(
            note.ends_with("Cllr &lt;b&gt;Brown&lt;/b&gt; &amp; Cllr Green arrived"),
            "{note}"
        );
    }
    gavel.kill9();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strangers_are_ignored_and_clerk_text_cannot_mention_or_inject() {
    if !synapse_installed() {
        return;
    }
    let (synapse, admin) = shared();
    let w = World::new(synapse, Some(admin), "hostile").await;
    let mut gavel = w.start_gavel(0).await;

    // A resident in the command room is not a clerk: nothing happens, not even a reply.
    w.resident.say(&w.command, "!start Hijacked meeting").await;
    // The clerk's start is #1, so the stranger's command was never executed.
    w.command("!start Cabinet", "#1 recorded").await;
    assert!(
        !w.clerk
            .posts_from(&w.command, &w.bot)
            .await
            .iter()
            .any(|b| b.contains("Hijacked")),
        "a stranger's command was answered"
    );

    w.command(
        "!note @room <script>alert(1)</script> <img src=x onerror=alert(1)> @everyone",
        "#2 recorded",
    )
    .await;
    w.command("!note hello \u{202E}dlrow", "bidirectional")
        .await;
    w.command("!note after the refusal", "#3 recorded").await;
    w.clerk
        .wait_for(
            &w.command,
            &w.bot,
            "#3 delivered 3/3",
            1,
            Duration::from_secs(30),
        )
        .await;

    for room in &w.targets {
        let events = w.resident.messages_from(room, &w.bot).await;
        assert_eq!(events.len(), 3, "{events:#?}");
        for e in &events {
            let c = &e["content"];
            assert_eq!(c["m.mentions"], json!({}), "{c}");
            let html = c["formatted_body"].as_str().unwrap();
            for bad in ["<script", "<img", "<b>", "onerror=alert(1)>"] {
                assert!(!html.contains(bad), "{bad} in {html}");
            }
            assert!(!c["body"].as_str().unwrap().contains('\u{202E}'));
            assert!(!html.contains("Hijacked"));
        }
        assert!(
            events[1]["content"]["body"]
                .as_str()
                .unwrap()
                .contains("@room <script>")
        );
    }
    // An encrypted message whose key never arrives cannot be read; after `decrypt_wait_secs`
    // the clerk is told to send it again.
    w.clerk
        .call(
            reqwest::Method::PUT,
            &format!("/_matrix/client/v3/rooms/{}/send/m.room.encrypted/x{}", enc(&w.command), txn_id()),
            Some(json!({"algorithm": "m.megolm.v1.aes-sha2", "ciphertext": "AwgA", "sender_key": "k", "session_id": "s", "device_id": "D"})),
        )
        .await;
    w.clerk
        .wait_for(
            &w.command,
            &w.bot,
            "could not decrypt your message",
            1,
            Duration::from_secs(30),
        )
        .await;

    // An invite to a room that is not in the config is declined.
    let stray = w
        .resident
        .create_room(json!({"preset": "private_chat", "invite": [w.bot]}))
        .await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let member = w
            .resident
            .http
            .get(format!(
                "{}/_matrix/client/v3/rooms/{}/state/m.room.member/{}",
                w.resident.base,
                enc(&stray),
                enc(&w.bot)
            ))
            .bearer_auth(&w.resident.token)
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap();
        if member["membership"] == "leave" {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the bot did not decline the invite: {member}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // No post highlighted or notified the resident (no @room push).
    let notes = w
        .resident
        .call(
            reqwest::Method::GET,
            "/_matrix/client/v3/notifications",
            None,
        )
        .await;
    let from_bot: Vec<&Value> = notes["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["event"]["sender"] == w.bot.as_str())
        .collect();
    assert!(from_bot.is_empty(), "{from_bot:#?}");
    gavel.kill9();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fix_edits_strike_redacts_and_private_business_shows_only_the_placeholder() {
    if !synapse_installed() {
        return;
    }
    let (synapse, admin) = shared();
    let w = World::new(synapse, Some(admin), "amend").await;
    let mut gavel = w.start_gavel(0).await;
    w.command("!start Licensing Committee", "#1 recorded").await;
    w.command("!note Apologies from Cllr Brown", "#2 recorded")
        .await;
    w.command("!speaker Cllr Wrong", "#3 recorded").await;
    w.clerk
        .wait_for(
            &w.command,
            &w.bot,
            "#3 delivered 3/3",
            1,
            Duration::from_secs(30),
        )
        .await;
    w.command(
        "!fix 2 Apologies from Cllr Brown and Cllr White",
        "#4 recorded",
    )
    .await;
    w.command("!strike 3 wrong speaker", "#5 recorded").await;
    w.command("!private commercially sensitive", "#6 recorded")
        .await;
    w.command("!note The secret tender price is 42", "private session")
        .await;
    w.command("!public", "recorded").await;
    // Editing a command is not executed; the clerk is told how to correct instead.
    w.command("!note Cllr Smyth arrived", "#9 recorded").await;
    let edit_of = w
        .clerk
        .history(&w.command)
        .await
        .iter()
        .rev()
        .find(|e| e["content"]["body"] == "!note Cllr Smyth arrived")
        .map(|e| e["event_id"].as_str().unwrap().to_string())
        .unwrap();
    w.clerk
        .call(
            reqwest::Method::PUT,
            &format!(
                "/_matrix/client/v3/rooms/{}/send/m.room.message/e{}",
                enc(&w.command),
                txn_id()
            ),
            Some(json!({
                "msgtype": "m.text", "body": "* !note Cllr Smith arrived",
                "m.new_content": {"msgtype": "m.text", "body": "!note Cllr Smith arrived"},
                "m.relates_to": {"rel_type": "m.replace", "event_id": edit_of},
            })),
        )
        .await;
    w.clerk
        .wait_for(
            &w.command,
            &w.bot,
            "Edits to commands are not applied",
            1,
            Duration::from_secs(30),
        )
        .await;
    w.command("!end", "#10 recorded").await;
    w.clerk
        .wait_for(
            &w.command,
            &w.bot,
            "#10 delivered 3/3",
            1,
            Duration::from_secs(30),
        )
        .await;
    // #1, #2 (edited), #6 placeholder, #8, #9, #10; #3 is redacted, #7 was never published.
    let posts = w.wait_posts(6, Duration::from_secs(30)).await;

    for (room, bodies) in w.targets.iter().zip(&posts) {
        let events = w.resident.history(room).await;
        let original = events
            .iter()
            .find(|e| {
                e["sender"] == w.bot.as_str()
                    && e["content"]["body"]
                        .as_str()
                        .is_some_and(|b| b.contains("Apologies from Cllr Brown"))
            })
            .expect("entry 2 posted");
        let id2 = original["event_id"].as_str().unwrap();
        let edit = events
            .iter()
            .find(|e| {
                e["content"]["m.relates_to"]["rel_type"] == "m.replace"
                    && e["content"]["m.relates_to"]["event_id"] == id2
            })
            .unwrap_or_else(|| panic!("no m.replace of {id2} in {room}"));
        let new = &edit["content"]["m.new_content"];
        assert_eq!(new["msgtype"], "m.notice");
        assert_eq!(new["m.mentions"], json!({}));
        assert_eq!(edit["content"]["m.mentions"], json!({}));
        assert!(
            new["body"]
                .as_str()
                .unwrap()
                .contains("Apologies from Cllr Brown and Cllr White (corrected"),
            "{new}"
        );

        // The struck entry is redacted, with the reason.
        let struck = events
            .iter()
            .find(|e| {
                e["sender"] == w.bot.as_str() && e["unsigned"]["redacted_because"].is_object()
            })
            .unwrap_or_else(|| panic!("no redaction in {room}: {events:#?}"));
        assert_eq!(struck["content"], json!({}));
        assert!(
            struck["unsigned"]["redacted_because"]["content"]["reason"]
                .as_str()
                .unwrap()
                .contains("wrong speaker")
        );

        let text = bodies.join("\n");
        assert!(
            text.contains("Public excluded at") && text.contains("commercially sensitive"),
            "{text}"
        );
        assert!(text.contains("Public readmitted"), "{text}");
        assert!(
            !text.contains("secret tender") && !text.contains("Smith"),
            "{text}"
        );
        assert!(text.contains("Cllr Smyth arrived"), "{text}");
    }
    gavel.kill9();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_during_fan_out_each_room_holds_each_entry_once_in_order() {
    if !synapse_installed() {
        return;
    }
    let (synapse, admin) = shared();
    let w = World::new(synapse, Some(admin), "crash").await;
    let mut gavel = w.start_gavel(0).await;
    w.command("!start Budget Council", "#1 recorded").await;
    let mut expected = vec!["#1 · Meeting started: Budget Council".to_string()];
    let mut seq = 1;
    for round in 0..3u64 {
        for i in 0..6 {
            seq += 1;
            let text = format!("Round {round} line {i}");
            w.clerk.say(&w.command, &format!("!note {text}")).await;
            expected.push(format!("#{seq} · {text}"));
        }
        w.clerk
            .wait_for(
                &w.command,
                &w.bot,
                &format!("#{seq} recorded"),
                1,
                Duration::from_secs(30),
            )
            .await;
        // Kill while the last entries are still fanning out to the three rooms.
        tokio::time::sleep(Duration::from_millis(40 * round)).await;
        gavel.kill9();
        gavel.wait(Duration::from_secs(10)).await;
        gavel = w.start_gavel(round as usize + 1).await;
    }
    let posts = w.wait_posts(expected.len(), Duration::from_secs(60)).await;
    // A moment for any duplicate to show up, then the exact comparison.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    for room in &w.targets {
        let bodies: Vec<String> = w
            .resident
            .posts_from(room, &w.bot)
            .await
            .iter()
            .map(|b| untimed(b))
            .collect();
        assert_eq!(bodies, expected, "room {room}");
    }
    assert_eq!(posts.len(), 3);
    // The session that lets a restart reuse the device is private to Gavel's user.
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(w.dir.path().join("data/matrix-session.json"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    // Commands were executed once: no command was replayed after a restart.
    let replies = w.clerk.posts_from(&w.command, &w.bot).await;
    assert!(
        !replies.iter().any(|r| r.contains("was already recorded")),
        "{replies:#?}"
    );
    gavel.kill9();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_homeserver_outage_queues_the_backlog_and_the_clerk_hears_about_it() {
    if !synapse_installed() {
        return;
    }
    // Its own Synapse: stopping it must not disturb the other tests.
    let dir = tempfile::Builder::new()
        .prefix("gavel-synapse-outage-")
        .tempdir()
        .unwrap();
    let synapse = {
        let d = dir.path().to_path_buf();
        tokio::task::spawn_blocking(move || Synapse::start(&d))
            .await
            .unwrap()
    };
    let w = World::new(&synapse, None, "outage").await;
    let mut gavel = w.start_gavel(0).await;
    w.command("!start Planning Committee", "#1 recorded").await;
    w.command("!note before the outage", "#2 recorded").await;
    w.clerk
        .wait_for(
            &w.command,
            &w.bot,
            "#2 delivered 3/3",
            1,
            Duration::from_secs(30),
        )
        .await;

    let s = w.synapse.clone();
    tokio::task::spawn_blocking(move || s.stop()).await.unwrap();
    // The console clerk keeps working while the homeserver is down.
    for i in 3..=6 {
        gavel.say(&format!("!note during the outage {i}")).await;
    }
    gavel.wait_for("#6 recorded", Duration::from_secs(10)).await;
    gavel.wait_for("is failing", Duration::from_secs(20)).await;
    tokio::time::sleep(Duration::from_secs(20)).await;
    let s = w.synapse.clone();
    tokio::task::spawn_blocking(move || Synapse::start(&s.dir))
        .await
        .unwrap();

    let mut expected = vec![
        "#1 · Meeting started: Planning Committee".to_string(),
        "#2 · before the outage".to_string(),
    ];
    expected.extend((3..=6).map(|i| format!("#{i} · during the outage {i}")));
    w.wait_posts(expected.len(), Duration::from_secs(60)).await;
    for room in &w.targets {
        let bodies: Vec<String> = w
            .resident
            .posts_from(room, &w.bot)
            .await
            .iter()
            .map(|b| untimed(b))
            .collect();
        assert_eq!(bodies, expected, "room {room}");
    }
    // The Matrix clerk was told, in order, that delivery failed and then recovered.
    let replies = w
        .clerk
        .wait_for(
            &w.command,
            &w.bot,
            "has recovered",
            1,
            Duration::from_secs(30),
        )
        .await;
    let failing = replies
        .iter()
        .position(|r| r.contains("is failing"))
        .expect("a failing notice");
    let recovered = replies
        .iter()
        .position(|r| r.contains("has recovered"))
        .expect("a recovered notice");
    assert!(failing < recovered, "{replies:#?}");
    // And the Matrix input came back: a command after the outage works.
    w.command("!note after the outage", "#7 recorded").await;
    gavel.kill9();
    w.synapse.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_probe_reports_each_room_from_the_bots_power_levels() {
    if !synapse_installed() {
        return;
    }
    let (synapse, admin) = shared();
    let w = World::new(synapse, Some(admin), "probe").await;
    // A private room the bot was never invited to.
    let closed = w
        .clerk
        .create_room(json!({"preset": "private_chat", "name": "Closed"}))
        .await;
    let cfg = std::fs::read_to_string(w.dir.config()).unwrap();
    std::fs::write(
        w.dir.config(),
        cfg.replace("targets = [", &format!("targets = [\"{closed}\", ")),
    )
    .unwrap();
    let mut g = w.start_gavel(0).await;
    g.close_input();
    let _ = g.wait(Duration::from_secs(20)).await;

    let (code, out, err) = w.dir.gavel(&["check", "--probe"]);
    assert_ne!(code, 0, "the closed room must fail the probe:\n{out}{err}");
    let section = |name: String| {
        out.split(&format!("\n{name}"))
            .nth(1)
            .map(str::to_string)
            .unwrap_or_default()
    };
    assert!(
        section("matrix (bot account)".into())
            .lines()
            .nth(2)
            .is_some_and(|l| l.contains("authorised: yes")),
        "{out}"
    );
    for room in &w.targets[..2] {
        let s = section(format!("matrix:{room} (target room)"));
        assert!(
            s.contains("can post:   yes") && s.contains("can edit:   yes"),
            "{room}: {out}"
        );
    }
    let s = section(format!("matrix:{closed} (target room)"));
    assert!(
        s.lines()
            .nth(2)
            .is_some_and(|l| l.contains("NO (the bot is not in this room")),
        "{out}"
    );
    assert!(!out.contains(PASS), "the password was printed");
}

// ----- the pinned "now" status ---------------------------------------------------------------

impl Client {
    /// The room's `m.room.pinned_events` (empty when the room has none).
    async fn pinned(&self, room: &str) -> Vec<String> {
        let resp = self
            .http
            .get(format!(
                "{}/_matrix/client/v3/rooms/{}/state/m.room.pinned_events/",
                self.base,
                enc(room)
            ))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        if resp.status() == 404 {
            return Vec::new();
        }
        let v: Value = resp.json().await.unwrap();
        v["pinned"]
            .as_array()
            .unwrap_or_else(|| panic!("pinned events: {v}"))
            .iter()
            .map(|e| e.as_str().unwrap().to_string())
            .collect()
    }

    /// Lets `user` send state events such as pins (power level 50) in `room`.
    async fn grant_moderator(&self, room: &str, user: &str) {
        let path = format!(
            "/_matrix/client/v3/rooms/{}/state/m.room.power_levels/",
            enc(room)
        );
        let mut levels = self.call(reqwest::Method::GET, &path, None).await;
        levels["users"][user] = json!(50);
        self.call(reqwest::Method::PUT, &path, Some(levels)).await;
    }
}

/// `sender`'s status notice in `room` (not an entry, not an edit): its event id, and the
/// content its latest `m.replace` edit shows (the original's when never edited).
async fn status_in(reader: &Client, room: &str, sender: &str) -> Option<(String, Value)> {
    let messages = reader.messages_from(room, sender).await;
    let original = messages.iter().find(|e| {
        e["content"]["m.relates_to"]["rel_type"] != "m.replace"
            && e["content"]["body"]
                .as_str()
                .is_some_and(|b| !b.starts_with('#'))
    })?;
    let id = original["event_id"].as_str()?.to_string();
    let latest = messages
        .iter()
        .rev()
        .find(|e| e["content"]["m.relates_to"]["event_id"] == id.as_str())
        .map(|e| e["content"]["m.new_content"].clone())
        .unwrap_or_else(|| original["content"].clone());
    Some((id, latest))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_pinned_status_follows_the_meeting_keeps_other_pins_and_is_finalised_and_unpinned_at_end()
 {
    if !synapse_installed() {
        return;
    }
    let (synapse, admin) = shared();
    let w = World::new(synapse, Some(admin), "pinned").await;
    let cfg = w.dir.config();
    let mut text = std::fs::read_to_string(&cfg).unwrap();
    text.push_str(
        "\n[status]\nenabled = true\nmin_edit_interval_secs = 1\n\n\
         [web]\nlisten = \"127.0.0.1:0\"\npublic_url = \"https://council.example\"\n",
    );
    std::fs::write(&cfg, text).unwrap();
    for room in &w.targets {
        w.clerk.grant_moderator(room, &w.bot).await;
    }
    let room = &w.targets[0];
    // A pin of the room's own, which Gavel must leave in place.
    let welcome = w.clerk.say(room, "Welcome to the live room").await;
    w.clerk
        .call(
            reqwest::Method::PUT,
            &format!(
                "/_matrix/client/v3/rooms/{}/state/m.room.pinned_events/",
                enc(room)
            ),
            Some(json!({"pinned": [welcome]})),
        )
        .await;

    let _gavel = w.start_gavel(0).await;
    w.command("!start Full Council", "#1 recorded").await;
    w.command("!agenda 1 Apologies for absence", "#2 recorded")
        .await;
    w.command("!agenda 5 Planning applications", "#3 recorded")
        .await;
    w.command("!vote 32-10-3 carried", "#4 recorded").await;
    let expected = "Now: Full Council\nItem 5: Planning applications\n\
         Latest: Vote: carried — 32 for, 10 against, 3 abstentions\n\
         Follow live: https://council.example/meetings/1";
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let status_id = loop {
        let status = status_in(&w.resident, room, &w.bot).await;
        let pinned = w.resident.pinned(room).await;
        if let Some((id, shown)) = &status
            && shown["body"] == expected
            && pinned.contains(id)
        {
            assert_eq!(pinned, vec![welcome.clone(), id.clone()], "other pins kept");
            assert_eq!(shown["msgtype"], "m.notice");
            assert_eq!(shown["m.mentions"], json!({}));
            break id.clone();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no up-to-date pinned status: {status:#?}, pins {pinned:?}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    let posts = w.resident.posts_from(room, &w.bot).await;
    assert_eq!(
        posts.iter().filter(|b| !b.starts_with('#')).count(),
        1,
        "one status message: {posts:#?}"
    );

    w.command("!end", "#5 recorded").await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let (id, shown) = status_in(&w.resident, room, &w.bot).await.unwrap();
        let pinned = w.resident.pinned(room).await;
        if shown["body"]
            == "Meeting ended: Full Council\nTranscript: https://council.example/meetings/1"
            && pinned == vec![welcome.clone()]
        {
            assert_eq!(id, status_id);
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not finalised and unpinned: {shown:#?}, pins {pinned:?}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    // Every target room got its own status, and none is left pinned.
    for other in &w.targets[1..] {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let shown = status_in(&w.resident, other, &w.bot).await;
            let pinned = w.resident.pinned(other).await;
            if shown.as_ref().is_some_and(|(_, c)| {
                c["body"]
                    .as_str()
                    .is_some_and(|b| b.starts_with("Meeting ended"))
            }) && pinned.is_empty()
            {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{other}: {shown:#?}, pins {pinned:?}"
            );
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }
}

/// Gavel's reply to `event` in `room`, once it arrives.
async fn reply_to(reader: &Client, room: &str, bot: &str, event: &str) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let found = reader
            .messages_from(room, bot)
            .await
            .into_iter()
            .find(|e| e["content"]["m.relates_to"]["m.in_reply_to"]["event_id"] == event);
        if let Some(e) = found {
            return e;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no reply to {event} in {room}: {:#?}",
            reader.messages_from(room, bot).await
        );
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_residents_agenda_question_gets_a_notice_reply_and_chatter_and_old_questions_do_not() {
    if !synapse_installed() {
        return;
    }
    let (synapse, admin) = shared();
    let w = World::new(synapse, Some(admin), "residents").await;
    let mut gavel = w.start_gavel(0).await;
    w.command("!start Planning Committee", "#1 recorded").await;
    w.command("!agenda 5 Planning application 24/01234/FUL", "#2 recorded")
        .await;
    w.wait_posts(2, Duration::from_secs(30)).await;

    let room = &w.targets[0];
    let chatter = [
        w.resident
            .say(room, "hello, is this the planning meeting?")
            .await,
        w.resident.say(room, "!agenda 6 Not a question").await,
    ];
    let question = w.resident.say(room, "!agenda").await;
    let answer = reply_to(&w.resident, room, &w.bot, &question).await;
    let c = &answer["content"];
    assert_eq!(c["msgtype"], "m.notice");
    assert_eq!(c["m.mentions"], json!({}));
    let body = c["body"].as_str().unwrap();
    assert!(
        body.contains("Planning Committee") && body.contains("5 Planning application"),
        "{body}"
    );
    // The chatter came first in the same room, so it would have been answered first.
    let replies: Vec<Value> = w
        .resident
        .messages_from(room, &w.bot)
        .await
        .into_iter()
        .filter(|e| !e["content"]["m.relates_to"]["m.in_reply_to"].is_null())
        .collect();
    assert_eq!(replies.len(), 1, "{replies:#?}");
    for ev in chatter {
        assert!(
            replies
                .iter()
                .all(|r| r["content"]["m.relates_to"]["m.in_reply_to"]["event_id"] != ev.as_str())
        );
    }

    // A question asked while Gavel is down is not answered when it comes back; one asked after
    // (here by the clerk, who is a resident in a target room) is.
    gavel.kill9();
    gavel.wait(Duration::from_secs(10)).await;
    let other = &w.targets[1];
    let old = w.resident.say(other, "!now").await;
    let mut gavel = w.start_gavel(1).await;
    let fresh = w.clerk.say(other, "!now").await;
    let now = reply_to(&w.resident, other, &w.bot, &fresh).await;
    assert!(
        now["content"]["body"]
            .as_str()
            .unwrap()
            .contains("item 5: Planning application"),
        "{now}"
    );
    let answered_old = w
        .resident
        .messages_from(other, &w.bot)
        .await
        .iter()
        .any(|e| e["content"]["m.relates_to"]["m.in_reply_to"]["event_id"] == old.as_str());
    assert!(
        !answered_old,
        "a question from before the restart was answered"
    );
    gavel.kill9();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_threaded_room_gets_later_entries_in_the_opening_posts_thread_and_edits_still_work() {
    if !synapse_installed() {
        return;
    }
    let (synapse, admin) = shared();
    let w = World::new(synapse, Some(admin), "threads").await;
    // The first room threads its meetings; the others stay flat.
    let threaded = &w.targets[0];
    let config = std::fs::read_to_string(w.dir.config()).unwrap();
    let table = format!("targets = [{{ room = \"{threaded}\", threads = true }},");
    let config = config.replace(&format!("targets = [\"{threaded}\","), &table);
    assert!(config.contains(&table));
    std::fs::write(w.dir.config(), config).unwrap();
    let mut gavel = w.start_gavel(0).await;
    w.command("!start Licensing Committee", "#1 recorded").await;
    w.command("!agenda 1 Apologies for absence", "#2 recorded")
        .await;
    w.command("!note Apologies from Cllr Brown", "#3 recorded")
        .await;
    w.command("!fix 3 Apologies from Cllr Green", "#4 recorded")
        .await;
    w.clerk
        .wait_for(
            &w.command,
            &w.bot,
            "#4 delivered 3/3",
            1,
            Duration::from_secs(30),
        )
        .await;

    // Read as the resident, a different user from the bot.
    let events = w.resident.messages_from(threaded, &w.bot).await;
    let posts: Vec<&Value> = events
        .iter()
        .filter(|e| e["content"]["m.relates_to"]["rel_type"] != "m.replace")
        .collect();
    assert_eq!(posts.len(), 3, "{events:#?}");
    let id = |e: &Value| e["event_id"].as_str().unwrap().to_string();
    let root = id(posts[0]);
    assert!(posts[0]["content"].get("m.relates_to").is_none());
    for (post, reply_to) in [(posts[1], root.clone()), (posts[2], id(posts[1]))] {
        assert_eq!(
            post["content"]["m.relates_to"],
            json!({
                "rel_type": "m.thread",
                "event_id": root,
                "is_falling_back": true,
                "m.in_reply_to": { "event_id": reply_to },
            }),
            "{post:#}"
        );
    }
    // The homeserver itself counts them as the thread's events.
    let related = w
        .resident
        .call(
            reqwest::Method::GET,
            &format!(
                "/_matrix/client/v1/rooms/{}/relations/{}/m.thread",
                enc(threaded),
                enc(&root)
            ),
            None,
        )
        .await;
    let mut in_thread: Vec<String> = related["chunk"]
        .as_array()
        .unwrap()
        .iter()
        .map(id)
        .collect();
    in_thread.sort();
    let mut expected = vec![id(posts[1]), id(posts[2])];
    expected.sort();
    assert_eq!(in_thread, expected, "{related:#}");
    // The correction of a threaded event is an ordinary edit of it.
    let edit = events
        .iter()
        .find(|e| e["content"]["m.relates_to"]["rel_type"] == "m.replace")
        .expect("the correction");
    assert_eq!(edit["content"]["m.relates_to"]["event_id"], id(posts[2]));
    assert!(
        edit["content"]["m.new_content"]["body"]
            .as_str()
            .unwrap()
            .contains("Apologies from Cllr Green (corrected"),
        "{edit:#}"
    );

    // The flat rooms in the same run carry no thread relations.
    for room in &w.targets[1..] {
        let events = w.resident.messages_from(room, &w.bot).await;
        assert_eq!(events.len(), 4, "{room}: {events:#?}");
        assert!(
            events
                .iter()
                .all(|e| e["content"]["m.relates_to"]["rel_type"] != "m.thread"),
            "{room}: {events:#?}"
        );
    }
    gavel.kill9();
}
