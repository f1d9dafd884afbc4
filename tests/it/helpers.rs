//! Shared test helpers: temp configs, the real `gavel` binary as a child process, and an
//! in-process app on port 0.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};
use tokio::sync::Mutex;

/// Path of the `gavel` binary under test.
pub fn gavel_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_gavel"))
}

/// A temp folder with a config file in it.
pub struct TestDir {
    pub dir: tempfile::TempDir,
}

impl TestDir {
    pub fn new() -> Self {
        TestDir {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
    pub fn archive(&self) -> PathBuf {
        self.path().join("data/gavel.db")
    }
    pub fn config(&self) -> PathBuf {
        self.path().join("gavel.toml")
    }
    /// Writes `gavel.toml`: the council and archive sections, then `extra` verbatim.
    pub fn write_config(&self, extra: &str) -> PathBuf {
        let text = format!(
            "[council]\nname = \"Test Borough Council\"\ntimezone = \"Europe/London\"\n\n[archive]\npath = \"{}\"\n\n{extra}\n",
            self.archive().display()
        );
        let mut f = std::fs::File::create(self.config()).expect("config");
        f.write_all(text.as_bytes()).expect("write config");
        self.config()
    }
    /// Runs a one-shot `gavel` command; returns (exit code, stdout, stderr).
    pub fn gavel(&self, args: &[&str]) -> (i32, String, String) {
        let out = std::process::Command::new(gavel_bin())
            .arg("-c")
            .arg(self.config())
            .args(args)
            .current_dir(self.path())
            .output()
            .expect("run gavel");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

/// `gavel run --console` as a child process, with stdin to type into and stdout collected.
pub struct GavelProcess {
    pub child: Child,
    stdin: Option<ChildStdin>,
    pub lines: Arc<Mutex<Vec<String>>>,
}

impl GavelProcess {
    pub async fn start(dir: &TestDir, extra_env: &[(&str, &str)]) -> GavelProcess {
        let mut cmd = Command::new(gavel_bin());
        cmd.arg("-c")
            .arg(dir.config())
            .args(["run", "--console"])
            .current_dir(dir.path())
            .env("RUST_LOG", "warn,gavel=info")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        for (k, v) in extra_env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn gavel");
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("stdout");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&lines);
        tokio::spawn(async move {
            let mut r = BufReader::new(stdout).lines();
            while let Ok(Some(l)) = r.next_line().await {
                sink.lock().await.push(l);
            }
        });
        GavelProcess {
            child,
            stdin,
            lines,
        }
    }

    pub async fn say(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin
            .write_all(format!("{line}\n").as_bytes())
            .await
            .expect("write");
        stdin.flush().await.expect("flush");
    }

    /// Closes stdin: Gavel drains its queues and exits.
    pub fn close_input(&mut self) {
        self.stdin = None;
    }

    /// Waits until some stdout line contains `needle`; returns it.
    pub async fn wait_for(&self, needle: &str, timeout: Duration) -> String {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if let Some(l) = self.lines.lock().await.iter().find(|l| l.contains(needle)) {
                return l.clone();
            }
            if tokio::time::Instant::now() > deadline {
                panic!(
                    "no output line contains {needle:?}; got {:#?}",
                    self.lines.lock().await
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub async fn output(&self) -> Vec<String> {
        self.lines.lock().await.clone()
    }

    pub fn kill9(&mut self) {
        if let Some(pid) = self.child.id() {
            let _ = std::process::Command::new("kill")
                .args(["-9", &pid.to_string()])
                .status();
        }
    }

    pub async fn wait(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        tokio::time::timeout(timeout, self.child.wait())
            .await
            .ok()
            .and_then(Result::ok)
    }
}

/// Runs `gavel run --console` with `script` piped in, to completion; returns stdout lines.
pub fn pipe_meeting(dir: &TestDir, script: &str) -> (i32, Vec<String>) {
    let (code, stdout, _) = run_console(dir, script, &[]);
    (code, stdout.lines().map(str::to_string).collect())
}

/// `gavel run --console` with `script` piped in and `env` added to its environment, to
/// completion; returns (exit code, stdout, stderr).
pub fn run_console(dir: &TestDir, script: &str, env: &[(&str, &str)]) -> (i32, String, String) {
    let mut child = std::process::Command::new(gavel_bin())
        .envs(env.iter().copied())
        .arg("-c")
        .arg(dir.config())
        .args(["run", "--console"])
        .current_dir(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn gavel");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(script.as_bytes())
        .expect("pipe script");
    let out = child.wait_with_output().expect("wait gavel");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Starts `gavel run --console` in `dir`, then a second `gavel run` on the same config: the
/// second must refuse to start (naming the other) while the first runs, and start once the
/// first was killed. Returns the refusal.
pub async fn a_second_run_is_refused_while_the_first_holds_the_archive(
    dir: &TestDir,
    env: &[(&str, &str)],
) -> String {
    let second = || {
        let mut cmd = Command::new(gavel_bin());
        cmd.arg("-c")
            .arg(dir.config())
            .arg("run")
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.spawn().expect("spawn the second gavel")
    };
    let mut first = GavelProcess::start(dir, env).await;
    first.say("!start Held archive").await;
    first.wait_for("recorded", Duration::from_secs(30)).await;
    let out = tokio::time::timeout(Duration::from_secs(30), second().wait_with_output())
        .await
        .expect("the second `gavel run` was not refused: it is still running")
        .expect("second gavel");
    let refusal = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "{refusal}");
    assert!(
        refusal.contains("another `gavel run` is using the archive"),
        "{refusal}"
    );
    first.kill9();
    first.wait(Duration::from_secs(10)).await;
    // The kernel (or the database) let go with the process: a new daemon starts.
    let mut again = second();
    let still_running = tokio::time::timeout(Duration::from_secs(3), again.wait())
        .await
        .is_err();
    assert!(
        still_running,
        "gavel run did not start after the first was killed"
    );
    let _ = again.kill().await;
    refusal
}
