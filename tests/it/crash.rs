//! Crash safety: the real binary fanning out to several webhook targets is killed with SIGKILL
//! at random moments and restarted; every target ends with every entry, in order. Webhooks are
//! at-least-once, so a kill between sending and recording may repeat one post per target: the
//! test counts those duplicates and checks they stay within that bound.

use std::time::Duration;

use rand::Rng;

use crate::helpers::{GavelProcess, TestDir};
use crate::receiver::Receiver;

const TARGETS: [&str; 3] = ["a", "b", "c"];
const ENTRIES: u64 = 80;
const KILLS: usize = 20;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_fan_out_loses_nothing_and_keeps_order() {
    let rx = Receiver::start().await;
    rx.set_delay(Duration::from_millis(20));
    let dir = TestDir::new();
    let mut cfg = String::from("[outbox]\nretry_base_ms = 50\nretry_cap_secs = 1\n\n");
    for n in TARGETS {
        cfg.push_str(&format!(
            "[[webhook]]\nname = \"{n}\"\nurl = \"{}\"\nformat = \"json\"\n\n",
            rx.url(n)
        ));
    }
    dir.write_config(&cfg);

    let mut g = GavelProcess::start(&dir, &[]).await;
    g.say("!start Full Council").await;
    for i in 2..=ENTRIES {
        g.say(&format!("!note update {i}")).await;
    }
    g.wait_for(&format!("#{ENTRIES} recorded"), Duration::from_secs(20))
        .await;

    let mut rng = rand::thread_rng();
    for _ in 0..KILLS {
        tokio::time::sleep(Duration::from_millis(rng.gen_range(30..200))).await;
        g.kill9();
        let _ = g.wait(Duration::from_secs(5)).await;
        g = GavelProcess::start(&dir, &[]).await;
    }
    for t in TARGETS {
        rx.wait_for_count(t, ENTRIES as usize, Duration::from_secs(60))
            .await;
    }
    // Let any last in-flight resend land before judging.
    g.close_input();
    let _ = g.wait(Duration::from_secs(15)).await;

    for t in TARGETS {
        let seqs = rx.seqs(t);
        let mut firsts = Vec::new();
        for s in &seqs {
            if !firsts.contains(s) {
                firsts.push(*s);
            }
        }
        assert_eq!(
            firsts,
            (1..=ENTRIES).collect::<Vec<_>>(),
            "{t}: entries missing or out of order"
        );
        // A duplicate may only repeat the entry just delivered (re-sent after a kill).
        for w in seqs.windows(2) {
            assert!(w[1] >= w[0], "{t}: {} arrived after {}", w[1], w[0]);
        }
        let dups = seqs.len() - firsts.len();
        println!(
            "target {t}: {} posts for {ENTRIES} entries, {dups} duplicate(s) over {KILLS} kills",
            seqs.len()
        );
        assert!(dups <= KILLS, "{t}: {dups} duplicates for {KILLS} kills");
    }
}
