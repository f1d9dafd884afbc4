//! A throwaway PostgreSQL cluster for tests (the library's, through
//! `archive::postgres::testing`, and the integration tests'): started once per test binary in a temporary
//! folder on a free loopback port, each test in its own schema so tests run in parallel.
//!
//! The server comes from `GAVEL_POSTGRES_BIN` (its `bin` folder) or Debian's
//! `/usr/lib/postgresql/15/bin` (`scripts/postgres.sh install`). As root, `initdb` and `pg_ctl`
//! run as the `postgres` user, which may not own a cluster run by root. Without a server, tests
//! say SKIPPED and pass, unless `GAVEL_REQUIRE_POSTGRES=1` (CI), where they fail. A watcher
//! process stops the cluster and removes its folder once the test binary has exited, however it
//! exits.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

const DEBIAN_BIN: &str = "/usr/lib/postgresql/15/bin";

/// A running cluster: its URL has no database password (trust authentication on loopback).
pub struct Cluster {
    pub url: String,
}

/// The cluster shared by this test binary, or `None` (after saying SKIPPED) when PostgreSQL
/// is not installed. Panics when `GAVEL_REQUIRE_POSTGRES` is set and it is not, or when an
/// installed server fails to start.
pub fn cluster() -> Option<&'static Cluster> {
    static SHARED: OnceLock<Option<Cluster>> = OnceLock::new();
    SHARED
        .get_or_init(|| {
            let bin = std::env::var_os("GAVEL_POSTGRES_BIN")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(DEBIAN_BIN));
            if !bin.join("initdb").exists() {
                if std::env::var_os("GAVEL_REQUIRE_POSTGRES").is_some_and(|v| v == "1") {
                    panic!(
                        "GAVEL_REQUIRE_POSTGRES=1 but PostgreSQL is not installed in {}: run scripts/postgres.sh install",
                        bin.display()
                    );
                }
                eprintln!(
                    "SKIPPED: PostgreSQL is not installed in {} (run scripts/postgres.sh install); PostgreSQL archive tests did not run",
                    bin.display()
                );
                return None;
            }
            Some(start(&bin))
        })
        .as_ref()
}

/// A fresh schema name, unique in this test binary's cluster.
#[allow(dead_code)]
pub fn fresh_schema() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(1);
    format!("t{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

fn running_as_root() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|s| {
        s.lines()
            .find(|l| l.starts_with("Uid:"))
            .and_then(|l| l.split_whitespace().nth(1))
            == Some("0")
    })
}

/// `program` from `bin`, as the `postgres` user when this process is root.
fn server_command(bin: &Path, program: &str) -> Command {
    let path = bin.join(program);
    if running_as_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(path);
        c
    } else {
        Command::new(path)
    }
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("a free loopback port");
    l.local_addr().expect("its address").port()
}

fn run(mut c: Command, what: &str) {
    let out = c.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn start(bin: &Path) -> Cluster {
    let (url, _) = start_in(bin, &format!("gavel-pg-{}", std::process::id()));
    Cluster { url }
}

/// A cluster of one test's own, which the test may stop and start again (a database restart
/// mid-meeting); stopped and removed when the test binary exits.
#[allow(dead_code)]
pub struct Private {
    pub url: String,
    bin: PathBuf,
    data: PathBuf,
}

#[allow(dead_code)]
impl Private {
    /// Starts one, or `None` where [`cluster`] says SKIPPED.
    pub fn start() -> Option<Private> {
        cluster()?;
        static NEXT: AtomicU32 = AtomicU32::new(1);
        let bin = std::env::var_os("GAVEL_POSTGRES_BIN")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(DEBIAN_BIN));
        let name = format!(
            "gavel-pg-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let (url, data) = start_in(&bin, &name);
        Some(Private { url, bin, data })
    }

    /// Stops the server at once (`-m fast`: clients are disconnected).
    pub fn stop(&self) {
        let mut c = server_command(&self.bin, "pg_ctl");
        c.arg("-D")
            .arg(&self.data)
            .args(["-m", "fast", "-w", "stop"]);
        run(c, "pg_ctl stop");
    }

    /// Starts it again on the same port and data.
    pub fn start_again(&self) {
        let mut c = server_command(&self.bin, "pg_ctl");
        c.arg("-D")
            .arg(&self.data)
            .arg("-l")
            .arg(self.data.with_file_name("log"))
            .args(["-w", "start"]);
        run(c, "pg_ctl start");
    }
}

/// Creates and starts a cluster in the temporary folder `name`: its URL and data folder.
fn start_in(bin: &Path, name: &str) -> (String, PathBuf) {
    let base = std::env::temp_dir().join(name);
    let _ = std::fs::remove_dir_all(&base);
    std::fs::create_dir_all(&base).expect("the cluster's folder");
    // The server runs as `postgres` and writes its data, socket and log here.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&base, std::fs::Permissions::from_mode(0o777))
        .expect("opening the cluster's folder to the postgres user");
    let data = base.join("data");
    let mut initdb = server_command(bin, "initdb");
    initdb.arg("-D").arg(&data).args([
        "-A",
        "trust",
        "-U",
        "gavel",
        "-E",
        "UTF8",
        "--locale=C.UTF-8",
        "--no-sync",
    ]);
    run(initdb, "initdb");
    let port = free_port();
    // In the cluster's own config, so a restart (`Private::start_again`) keeps them.
    let settings = format!(
        "\nport = {port}\nunix_socket_directories = '{}'\nlisten_addresses = '127.0.0.1'\nfsync = off\nmax_connections = 600\n",
        base.display()
    );
    let mut conf = std::fs::OpenOptions::new()
        .append(true)
        .open(data.join("postgresql.conf"))
        .expect("the cluster's postgresql.conf");
    std::io::Write::write_all(&mut conf, settings.as_bytes()).expect("writing postgresql.conf");
    let mut pg_ctl = server_command(bin, "pg_ctl");
    pg_ctl.arg("-D").arg(&data).arg("-l").arg(base.join("log"));
    pg_ctl.args(["-w", "start"]);
    run(pg_ctl, "pg_ctl start");
    watch(bin, &data, &base);
    (format!("postgres://gavel@127.0.0.1:{port}/postgres"), data)
}

/// Stops the cluster and removes its folder once this process has exited.
fn watch(bin: &Path, data: &Path, base: &Path) {
    let stop = {
        let c = server_command(bin, "pg_ctl");
        let mut line = format!("{:?}", c.get_program());
        for a in c.get_args() {
            line.push(' ');
            line.push_str(&format!("{a:?}"));
        }
        line
    };
    let script = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {stop} -D {data:?} -m immediate stop >/dev/null 2>&1; rm -rf {base:?}",
        pid = std::process::id(),
    );
    let spawned = Command::new("sh")
        .args(["-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    if let Err(e) = spawned {
        eprintln!("cannot watch the test cluster; stop it by hand: {e}");
    }
}
