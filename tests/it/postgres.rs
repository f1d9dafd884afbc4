//! `gavel` on a PostgreSQL archive (`[archive] url`), against the throwaway cluster in
//! `tests/support/postgres_cluster.rs`: a meeting recorded by `gavel run`, listed, verified,
//! exported, and copied into a SQLite file that verifies alike.

use crate::helpers::{TestDir, gavel_bin, run_console};
use crate::postgres_cluster::{cluster, fresh_schema};

const MEETING: &str = "\
!start Cabinet
!agenda 1 Apologies for absence
!agenda 2 Library opening hours
!motion That the hours be extended | mover=Cllr Jones
!vote 6-2-1 carried
!fix 3 Library opening hours and staffing
!end
";

#[test]
fn gavel_runs_verifies_and_exports_on_postgres_and_the_copy_to_sqlite_verifies_alike() {
    let Some(cluster) = cluster() else {
        return;
    };
    let dir = TestDir::new();
    let schema = fresh_schema();
    std::fs::write(
        dir.config(),
        format!(
            "[council]\nname = \"Test Borough Council\"\ntimezone = \"Europe/London\"\n\n\
             [archive]\nurl = \"{}\"\nschema = \"{schema}\"\npassword = \"${{GAVEL_TEST_PG_PASSWORD}}\"\nstate_dir = \"{}\"\n\n\
             [web]\nlisten = \"127.0.0.1:0\"\npublic_url = \"https://meetings.example.gov.uk\"\n",
            cluster.url,
            dir.path().join("state").display()
        ),
    )
    .unwrap();
    // The password reaches each command through its environment, as `${ENV}` in the config.
    let with_password = |args: &[&str]| {
        let out = std::process::Command::new(gavel_bin())
            .env("GAVEL_TEST_PG_PASSWORD", "not-shown-anywhere")
            .arg("-c")
            .arg(dir.config())
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, out, err) = with_password(&["check"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains(&format!("(schema {schema})")) && !out.contains("not-shown-anywhere"),
        "{out}"
    );

    run_meeting(&dir, MEETING);

    let (code, out, err) = with_password(&["meetings"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("Cabinet"), "{out}");
    let (code, verified, err) = with_password(&["verify"]);
    assert_eq!(code, 0, "{err}");
    assert!(verified.contains("7 entries"), "{verified}");
    let (code, md, err) = with_password(&["export", "1", "--format", "md"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        md.contains("Library opening hours and staffing") && md.contains("carried"),
        "{md}"
    );

    let copy = dir.path().join("copy.db");
    let (code, out, err) = with_password(&["archive", "copy", "--to", copy.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("1 meetings, 7 entries"), "{out}");
    let sqlite = TestDir::new();
    std::fs::write(
        sqlite.config(),
        format!(
            "[council]\nname = \"Test Borough Council\"\ntimezone = \"Europe/London\"\n[archive]\npath = \"{}\"\n",
            copy.display()
        ),
    )
    .unwrap();
    let (code, copied, err) = sqlite.gavel(&["verify"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        copied, verified,
        "the same chains and heads on both engines"
    );
}

/// `gavel run --console` with `script` piped in and the password in its environment.
fn run_meeting(dir: &TestDir, script: &str) {
    let (code, stdout, stderr) = run_console(
        dir,
        script,
        &[("GAVEL_TEST_PG_PASSWORD", "not-shown-anywhere")],
    );
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(
        !stdout.contains("Not recorded") && stdout.contains("#7 recorded"),
        "{stdout}\n{stderr}"
    );
    assert!(!stderr.contains("not-shown-anywhere"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_gavel_run_on_the_same_schema_is_refused_and_another_schema_is_not() {
    let Some(cluster) = tokio::task::spawn_blocking(cluster).await.unwrap() else {
        return;
    };
    let config = |dir: &TestDir, schema: &str| {
        std::fs::write(
            dir.config(),
            format!(
                "[council]\nname = \"Test Borough Council\"\ntimezone = \"Europe/London\"\n\n\
                 [archive]\nurl = \"{}\"\nschema = \"{schema}\"\nstate_dir = \"{}\"\n",
                cluster.url,
                dir.path().join("state").display()
            ),
        )
        .unwrap();
    };
    let (one, other) = (TestDir::new(), TestDir::new());
    let schema = fresh_schema();
    config(&one, &schema);
    // Another council's schema in the same database runs beside it.
    config(&other, &fresh_schema());
    let mut neighbour = crate::helpers::GavelProcess::start(&other, &[]).await;
    neighbour.say("!start Next door").await;
    neighbour
        .wait_for("recorded", std::time::Duration::from_secs(30))
        .await;
    let refusal =
        crate::helpers::a_second_run_is_refused_while_the_first_holds_the_archive(&one, &[]).await;
    assert!(refusal.contains(&schema), "{refusal}");
    neighbour.kill9();
}
