//! The `gavel` command line: thin glue over the library.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand, ValueEnum};
use tokio_util::sync::CancellationToken;

use gavel::app::{App, RunOptions};
use gavel::archive::{Archive, HIT_END, HIT_START};
use gavel::config::{self, Config, Secrets};
use gavel::domain::MeetingId;

#[derive(Parser)]
#[command(
    name = "gavel",
    version,
    about = "Live council-meeting commentary: clerk commands in, a verifiable archive and every channel out."
)]
struct Cli {
    /// Config file.
    #[arg(short, long, global = true, default_value = "config/gavel.toml")]
    config: PathBuf,
    /// Log line format (logs go to stderr).
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Plain)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Clone, Copy, ValueEnum)]
enum LogFormat {
    Plain,
    Json,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run the daemon: inputs, fan-out and web server.
    Run {
        /// Also read clerk commands from stdin (acknowledgements on stdout).
        #[arg(long)]
        console: bool,
    },
    /// Validate the config and its secrets; exit non-zero with every problem.
    Check {
        /// Also connect to each target and report reachable / authorised / can post / can edit.
        #[arg(long)]
        probe: bool,
    },
    /// List meetings: id, title, start, end, entry count.
    Meetings,
    /// Check the hash chain of one meeting or all; exit 1 naming the first bad entry.
    Verify { meeting: Option<MeetingId> },
    /// Full-text search across meetings.
    Search {
        #[arg(required = true)]
        query: Vec<String>,
        #[arg(long, default_value_t = 20)]
        limit: u32,
    },
    /// Preload a meeting and its agenda for `!start` and `!next`.
    Schedule { agenda: PathBuf },
    /// Export a meeting's transcript (or every meeting, as bundles).
    Export {
        /// The meeting id (see `gavel meetings`); omit with --all.
        #[arg(required_unless_present = "all")]
        meeting: Option<MeetingId>,
        /// md | txt | html | json | ocd | popolo | akn | vtt | chapters | bundle
        #[arg(long, short = 'f')]
        format: String,
        /// Output file (folder for bundles); stdout when omitted.
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Every meeting (bundle format only), with a progress bar.
        #[arg(long, conflicts_with = "meeting")]
        all: bool,
    },
    /// Create an ed25519 signing key for `[signing] key_file`; prints its public key.
    Keygen { path: PathBuf },
    /// Copy the archive to a new file while Gavel runs (a consistent SQLite copy).
    Backup { dest: PathBuf },
    /// Move an archive between engines.
    #[command(subcommand)]
    Archive(ArchiveCmd),
    /// Preload meetings from the council's own agenda system.
    #[command(subcommand)]
    Import(ImportCmd),
    /// The clerk's desk in the browser (`[desk]`).
    #[command(subcommand)]
    Desk(DeskCmd),
    /// The Matrix bot's encryption identity: recovery, cross-signing, verifying clerks. Stop
    /// Gavel first: these use its device and store.
    #[command(subcommand)]
    Matrix(MatrixCmd),
}

#[derive(Subcommand)]
enum MatrixCmd {
    /// Turn on key backup and secret storage and print the recovery key (store it as a systemd
    /// credential: it restores the bot's identity on a new machine).
    Recovery,
    /// On a new machine (or after losing the store): restore the bot's cross-signing identity
    /// with the recovery key and sign this device with it.
    Recover {
        /// A file holding the recovery key (else stdin's first line).
        #[arg(long)]
        key_file: Option<PathBuf>,
    },
    /// Set up cross-signing for the bot's device when the config has an access token rather
    /// than a password: reads the account password from stdin's first line (or a prompt).
    CrossSign,
    /// Verify a clerk's identity for `clerk_devices = "verified"`: prints the identity's key;
    /// with --fingerprint equal to the key the clerk reads in their own client, signs it.
    Verify {
        /// The clerk's Matrix user id.
        user: String,
        /// The clerk's master key as their client shows it (spaces are ignored).
        #[arg(long)]
        fingerprint: Option<String>,
    },
}

#[derive(Subcommand)]
enum DeskCmd {
    /// Add a clerk to `[desk] clerks_file`, or set an existing clerk's password. Prompts for
    /// the password twice; when stdin is not a terminal, reads it from stdin's first line.
    /// Restart Gavel for the desk to see the change.
    AddClerk {
        /// The clerk's name (1 to 64 letters, digits, `.`, `_` or `-`), archived as the author of
        /// the clerk's entries.
        name: String,
        /// The accounts file to write (default: `[desk] clerks_file` from the config).
        #[arg(long)]
        file: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum ImportCmd {
    /// From ModernGov: `<meeting page URL>`, `<site> --meeting <id>`, or `<site> --list`.
    /// Importing again updates a meeting that has not started.
    #[command(name = "moderngov")]
    ModernGov {
        /// The meeting's public page (…/ieListDocuments.aspx?CId=…&MId=…), or the council's
        /// ModernGov site with --meeting or --list.
        source: String,
        /// The meeting's ModernGov id (`MId` in its page's address).
        #[arg(long, conflicts_with = "list")]
        meeting: Option<u32>,
        /// List meetings to choose from instead of importing one.
        #[arg(long)]
        list: bool,
        /// Only this committee's meetings, named as the council names it.
        #[arg(long, requires = "list")]
        committee: Option<String>,
        /// From this date, YYYY-MM-DD (default: today).
        #[arg(long, requires = "list")]
        from: Option<chrono::NaiveDate>,
        /// To this date, YYYY-MM-DD (default: four weeks after --from).
        #[arg(long, requires = "list")]
        to: Option<chrono::NaiveDate>,
        /// Import the council's councillors (by ward, with their party) as the roster recorded
        /// votes are checked against, instead of a meeting.
        #[arg(long, conflicts_with_all = ["meeting", "list"])]
        roster: bool,
        /// Write the roster to this file (replacing it) instead of printing it.
        #[arg(long, requires = "roster")]
        out: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum ArchiveCmd {
    /// Copy every meeting, entry, delivery and notice, ids, hashes and signatures intact, into
    /// an empty archive: a SQLite file or a PostgreSQL URL (`postgres://user@host:port/db`; the
    /// password from `PGPASSWORD` or the URL). Stop Gavel first.
    Copy {
        /// Where to copy to: a new SQLite file or a PostgreSQL URL.
        #[arg(long)]
        to: String,
        /// Where to copy from (default: the config's archive).
        #[arg(long)]
        from: Option<String>,
        /// The PostgreSQL schema, for a database that several councils share.
        #[arg(long)]
        schema: Option<String>,
    },
}

fn init_tracing(format: LogFormat, default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Plain => builder.with_ansi(std::io::stderr().is_terminal()).init(),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let default_level = if matches!(cli.command, Cmd::Run { .. }) {
        // The crypto crate warns on every key share when key backup is off (it is optional),
        // and the SDK logs a 404 for account data that does not exist yet as an error; Gavel
        // reports the Matrix failures that matter itself, with context.
        "info,matrix_sdk_crypto::backups=error,matrix_sdk::http_client=off"
    } else {
        "warn"
    };
    init_tracing(cli.log_format, default_level);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("gavel: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(dispatch(cli));
    // A console read blocked on stdin must not hold the process open after shutdown.
    runtime.shutdown_timeout(std::time::Duration::from_millis(500));
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("gavel: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn load(cli_config: &Path, secrets: Secrets) -> anyhow::Result<Config> {
    config::load(cli_config, secrets).map_err(|e| anyhow::anyhow!("{}", e.to_string().trim_end()))
}

/// When an export says it was generated: now, or `SOURCE_DATE_EPOCH` (seconds since the Unix
/// epoch, the reproducible-builds convention) so that archivists can regenerate an export and
/// compare it byte for byte.
fn export_time() -> anyhow::Result<chrono::DateTime<chrono::Utc>> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(s) => s
            .trim()
            .parse::<i64>()
            .ok()
            .and_then(|secs| chrono::DateTime::from_timestamp(secs, 0))
            .with_context(|| format!("SOURCE_DATE_EPOCH `{s}` is not a number of seconds")),
        Err(_) => Ok(chrono::Utc::now()),
    }
}

fn open_archive(c: &Config) -> anyhow::Result<Archive> {
    c.archive
        .location
        .open()
        .with_context(|| format!("opening the archive {}", c.archive.location.describe()))
}

/// Runs one subcommand.
async fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    let path = cli.config.as_path();
    match cli.command {
        Cmd::Run { console } => run(path, console).await,
        Cmd::Check { probe } => check(path, probe).await,
        Cmd::Meetings => meetings(path),
        Cmd::Verify { meeting } => verify(path, meeting),
        Cmd::Search { query, limit } => search(path, &query.join(" "), limit),
        Cmd::Schedule { agenda } => schedule(path, &agenda),
        Cmd::Export {
            meeting,
            format,
            output,
            all,
        } => export(path, meeting, &format, output, all),
        Cmd::Keygen { path: key } => keygen(&key),
        Cmd::Backup { dest } => backup(path, dest),
        Cmd::Archive(ArchiveCmd::Copy { to, from, schema }) => {
            archive_copy(path, &to, from.as_deref(), schema.as_deref())
        }
        Cmd::Desk(DeskCmd::AddClerk { name, file }) => add_clerk(path, &name, file),
        Cmd::Matrix(cmd) => matrix(path, cmd).await,
        Cmd::Import(ImportCmd::ModernGov {
            source,
            meeting,
            list,
            committee,
            from,
            to,
            roster,
            out,
        }) => {
            if roster {
                moderngov_roster(path, &source, out.as_deref()).await
            } else if list {
                moderngov_list(path, &source, committee, from, to).await
            } else {
                moderngov_import(path, &source, meeting).await
            }
        }
    }
}

/// `gavel matrix …`: the bot's encryption identity, with the daemon stopped.
async fn matrix(cli_config: &Path, cmd: MatrixCmd) -> anyhow::Result<ExitCode> {
    use gavel::platform::matrix::{MatrixPlatform, crypto};
    use secrecy::SecretString;
    let config = load(cli_config, Secrets::Resolve)?;
    let settings = config
        .matrix
        .clone()
        .context("the config has no [matrix] section")?;
    let archive = open_archive(&config)?;
    let Some(_claim) = archive.claim_runner(false)? else {
        bail!("`gavel run` is using this archive and the bot's Matrix store: stop it first");
    };
    let platform = MatrixPlatform::connect(&settings, &config.state_dir())
        .await
        .context("starting Matrix")?;
    platform
        .sync_keys()
        .await
        .context("syncing with the homeserver")?;
    let client = platform.client();
    let read_line = |what: &str| -> anyhow::Result<SecretString> {
        let line = if std::io::stdin().is_terminal() {
            rpassword::prompt_password(format!("{what}: ")).context("reading from the terminal")?
        } else {
            let mut line = String::new();
            std::io::stdin()
                .read_line(&mut line)
                .context("reading stdin")?;
            line
        };
        let line = line.trim().to_string();
        if line.is_empty() {
            bail!("no {what} given");
        }
        Ok(SecretString::from(line))
    };
    match cmd {
        MatrixCmd::Recovery => {
            let key = crypto::enable_recovery(client, &settings)
                .await
                .map_err(anyhow::Error::msg)?;
            eprintln!(
                "Recovery is on: room keys are backed up and the bot's identity is in secret storage. Keep this recovery key safe (for example as the systemd credential `matrix-recovery-key`); it is shown once:"
            );
            println!("{key}");
        }
        MatrixCmd::Recover { key_file } => {
            let key = match key_file {
                Some(f) => SecretString::from(
                    std::fs::read_to_string(&f)
                        .with_context(|| format!("reading {}", f.display()))?
                        .trim()
                        .to_string(),
                ),
                None => read_line("recovery key")?,
            };
            let state = crypto::recover(client, &key)
                .await
                .map_err(anyhow::Error::msg)?;
            println!("restored the bot's identity: {}", state.describe());
        }
        MatrixCmd::CrossSign => {
            let password = read_line("account password")?;
            let state = crypto::bootstrap(client, &settings.user, Some(&password))
                .await
                .map_err(anyhow::Error::msg)?;
            println!("{}", state.describe());
        }
        MatrixCmd::Verify { user, fingerprint } => {
            let identity = crypto::clerk_identity(client, &user)
                .await
                .map_err(anyhow::Error::msg)?;
            let shown = &identity.master_key;
            let Some(expected) = fingerprint else {
                println!("{user}'s identity key: {shown}");
                println!(
                    "Ask {user} to read the key their own client shows, then run again with --fingerprint '<key>' to verify them."
                );
                return Ok(ExitCode::from(2));
            };
            let squash = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
            if squash(&expected) != squash(shown) {
                bail!(
                    "the key given is not {user}'s current identity key ({shown}): nothing was verified. Check you are talking to {user}"
                );
            }
            let identity = crypto::verify_clerk(client, &identity)
                .await
                .map_err(anyhow::Error::msg)?;
            if !identity.verified {
                bail!(
                    "signed {user}'s identity, but the homeserver does not show it as verified yet"
                );
            }
            println!("verified {user}: their cross-signed devices may now send commands");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `gavel desk add-clerk NAME [--file PATH]`: asks for the password and writes its hash.
fn add_clerk(cli_config: &Path, name: &str, file: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    use gavel::web::desk::accounts::{self, Added};
    let path = match file {
        Some(f) => f,
        None => {
            let config = load(cli_config, Secrets::Skip)?;
            let desk = config
                .desk
                .context("the config has no [desk] section: add one, or pass --file")?;
            if desk.clerks_path.is_relative() && std::env::var_os("CREDENTIALS_DIRECTORY").is_none()
            {
                bail!(
                    "[desk] clerks_file `{}` is a systemd credential name: pass --file PATH to write the plain file, then encrypt it as that credential (docs/desk.md)",
                    desk.clerks_path.display()
                );
            }
            desk.clerks_path
        }
    };
    let password = read_new_password(name)?;
    let added = accounts::add_clerk(&path, name, &password)?;
    let what = match added {
        Added::New => "added",
        Added::Replaced => "password changed for",
    };
    println!(
        "{what} clerk `{name}` in {}; restart Gavel for the desk to use it",
        path.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// The new password: typed twice at a terminal (not echoed), or stdin's first line.
fn read_new_password(name: &str) -> anyhow::Result<String> {
    use gavel::web::desk::accounts::{AccountsError, check_new_password};
    if !std::io::stdin().is_terminal() {
        let mut line = String::new();
        std::io::stdin()
            .read_line(&mut line)
            .context("reading the password from stdin")?;
        return Ok(line.trim_end_matches(['\n', '\r']).to_string());
    }
    let first = rpassword::prompt_password(format!("Password for {name}: "))
        .context("reading the password")?;
    check_new_password(name, &first)?;
    let second = rpassword::prompt_password("Again: ").context("reading the password")?;
    if first != second {
        return Err(AccountsError::Mismatch.into());
    }
    Ok(first)
}

/// `gavel import moderngov <page URL>` or `<site> --meeting <id>`: preloads the meeting.
async fn moderngov_import(
    cli_config: &Path,
    source: &str,
    meeting: Option<u32>,
) -> anyhow::Result<ExitCode> {
    use gavel::moderngov::{Client, MeetingPage, Site};
    let config = load(cli_config, Secrets::Skip)?;
    let (site, id) = match meeting {
        Some(id) => (Site::parse(source)?, id),
        None => {
            let page = MeetingPage::parse(source).map_err(|e| {
                anyhow::anyhow!(
                    "{e}\n(give the meeting's page, or the site with --meeting <id> or --list)"
                )
            })?;
            (page.site, page.meeting_id)
        }
    };
    let archive = open_archive(&config)?;
    let client = Client::new(site, config.council.timezone)?;
    let imported = gavel::import::import_meeting(
        &archive,
        &client,
        id,
        config.council.timezone,
        chrono::Utc::now(),
    )
    .await?;
    println!("{}", imported.report());
    Ok(ExitCode::SUCCESS)
}

/// `gavel import moderngov <site> --roster [--out FILE]`: the councillors as a roster file.
async fn moderngov_roster(
    cli_config: &Path,
    source: &str,
    out: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    use gavel::moderngov::{Client, Site};
    let config = load(cli_config, Secrets::Skip)?;
    let site = Site::parse(source)?;
    let client = Client::new(site, config.council.timezone)?;
    let roster = client.councillors().await?;
    let header = format!(
        "Councillors of {} from ModernGov (GetCouncillorsByWard), {}.\n\
         Recorded votes name councillors as this file does; edit it by hand or import it again.",
        client.site(),
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"),
    );
    let text = roster.to_toml(&header);
    let groups = roster.by_group().len();
    match out {
        None => print!("{text}"),
        Some(path) => {
            gavel::files::replace(path, text.as_bytes(), gavel::files::Access::Shared)
                .with_context(|| format!("writing the roster to {}", path.display()))?;
            eprintln!(
                "{} councillors in {groups} groups written to {}",
                roster.councillors().len(),
                path.display()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `gavel import moderngov <site> --list`: meetings with their ids, to choose from.
async fn moderngov_list(
    cli_config: &Path,
    source: &str,
    committee: Option<String>,
    from: Option<chrono::NaiveDate>,
    to: Option<chrono::NaiveDate>,
) -> anyhow::Result<ExitCode> {
    use gavel::moderngov::{Client, MeetingFilter, Site};
    let config = load(cli_config, Secrets::Skip)?;
    let today = chrono::Utc::now()
        .with_timezone(&config.council.timezone)
        .date_naive();
    let from = from.unwrap_or(today);
    let filter = MeetingFilter {
        committee,
        from,
        to: to.unwrap_or(from + chrono::Days::new(28)),
    };
    let client = Client::new(Site::parse(source)?, config.council.timezone)?;
    let rows = client.list_meetings(&filter).await?;
    println!("{}", gavel::import::list_report(&rows));
    if !rows.is_empty() {
        println!(
            "import one with `gavel import moderngov {} --meeting <id>`",
            client.site()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `gavel run`: the daemon, until a signal (or the end of console input) stops it.
async fn run(cli_config: &Path, console: bool) -> anyhow::Result<ExitCode> {
    let config = load(cli_config, Secrets::Resolve)?;
    let app = App::build(
        config,
        RunOptions {
            console,
            web_listener: None,
            claim_archive: true,
        },
    )
    .await?;
    if let Some(addr) = app.web_addr() {
        eprintln!("gavel: web page at http://{addr}/");
    }
    let shutdown = CancellationToken::new();
    spawn_signal_handler(shutdown.clone());
    app.run_until_stopped(shutdown).await?;
    Ok(ExitCode::SUCCESS)
}

/// `gavel check [--probe]`: the config resolves, naming every target; with `--probe`, each
/// target answers.
async fn check(cli_config: &Path, probe: bool) -> anyhow::Result<ExitCode> {
    let config = load(cli_config, Secrets::Resolve)?;
    let targets: Vec<String> = config
        .targets()
        .into_iter()
        .map(|t| t.name.into())
        .collect();
    println!(
        "{}: OK — council “{}” ({}), archive {}, targets: {}",
        cli_config.display(),
        config.council.name,
        config.council.timezone,
        config.archive.location.describe(),
        if targets.is_empty() {
            "none".into()
        } else {
            targets.join(", ")
        }
    );
    if !probe {
        return Ok(ExitCode::SUCCESS);
    }
    let mut all_ok = true;
    for r in gavel::probe::probe(&config).await {
        all_ok &= r.ok();
        println!(
            "{}\n  reachable:  {}\n  authorised: {}\n  can post:   {}\n  can edit:   {}",
            r.target, r.reachable, r.authorised, r.can_post, r.can_edit
        );
        for (label, text) in &r.notes {
            println!("  {:<11} {text}", format!("{label}:"));
        }
    }
    Ok(if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// `gavel meetings`: one line per meeting.
fn meetings(cli_config: &Path) -> anyhow::Result<ExitCode> {
    let config = load(cli_config, Secrets::Skip)?;
    let archive = open_archive(&config)?;
    let tz = config.council.timezone;
    let fmt = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map(|t| t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_else(|| "-".into())
    };
    println!(
        "{:>4}  {:<40}  {:<16}  {:<16}  {:>7}",
        "id", "title", "start", "end", "entries"
    );
    for m in archive.meetings()? {
        let title: String = m.title.chars().take(40).collect();
        let start = match (m.started_at, m.scheduled_for) {
            (None, Some(d)) => format!("scheduled {d}"),
            (s, _) => fmt(s),
        };
        println!(
            "{:>4}  {:<40}  {:<16}  {:<16}  {:>7}",
            m.id.0,
            title,
            start,
            fmt(m.ended_at),
            m.entry_count
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `gavel verify [<meeting>]`: the hash chains, then the signed checkpoints; exit 1 on any
/// problem.
fn verify(cli_config: &Path, meeting: Option<MeetingId>) -> anyhow::Result<ExitCode> {
    let config = load(cli_config, Secrets::Skip)?;
    let archive = open_archive(&config)?;
    let reports = archive.verify(meeting)?;
    let mut bad = false;
    for r in &reports {
        match &r.problem {
            None => println!(
                "meeting {}: {} entries, chain intact, head {}",
                r.meeting, r.entries, r.head
            ),
            Some(p) => {
                bad = true;
                match p.entry {
                    Some(n) => println!("meeting {}: entry {n}: {}", r.meeting, p.detail),
                    None => println!("meeting {}: {}", r.meeting, p.detail),
                }
            }
        }
    }
    if reports.is_empty() {
        println!("the archive holds no meetings");
    }
    for r in &reports {
        bad |= !verify_checkpoint(&archive, r.meeting)?;
    }
    Ok(if bad {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Prints the state of `meeting`'s signed checkpoint, if it has one; false when it is invalid.
fn verify_checkpoint(archive: &Archive, meeting: MeetingId) -> anyhow::Result<bool> {
    match gavel::signing::verify_checkpoint(archive, meeting)? {
        None => {}
        Some(st) if st.is_valid() => println!(
            "meeting {}: signed checkpoint valid ({} entries, head {}), key fingerprint {}",
            meeting, st.checkpoint.entries, st.checkpoint.head, st.fingerprint
        ),
        Some(st) => {
            println!(
                "meeting {}: signed checkpoint INVALID: {} (key fingerprint {})",
                meeting,
                st.problem
                    .as_deref()
                    .unwrap_or("signature or chain mismatch"),
                st.fingerprint
            );
            return Ok(false);
        }
    }
    Ok(true)
}

/// `gavel search <query>`: matches with their meeting, entry and local time, the hit in bold.
fn search(cli_config: &Path, query: &str, limit: u32) -> anyhow::Result<ExitCode> {
    let config = load(cli_config, Secrets::Skip)?;
    let archive = open_archive(&config)?;
    let hits = archive.search(query, limit)?;
    let tty = std::io::stdout().is_terminal();
    let (on, off) = if tty {
        ("\x1b[1m", "\x1b[0m")
    } else {
        ("**", "**")
    };
    for h in &hits {
        let tz: chrono_tz::Tz = h.timezone.parse().unwrap_or(config.council.timezone);
        let when = h.at.with_timezone(&tz).format("%Y-%m-%d %H:%M");
        let snippet = h.snippet.replace(HIT_START, on).replace(HIT_END, off);
        println!(
            "meeting {} “{}” {} {}: {}",
            h.meeting, h.meeting_title, h.seq, when, snippet
        );
    }
    if hits.is_empty() {
        println!("no matches");
    }
    Ok(ExitCode::SUCCESS)
}

/// `gavel schedule <agenda.toml>`: preloads a meeting and its agenda.
fn schedule(cli_config: &Path, agenda: &Path) -> anyhow::Result<ExitCode> {
    let config = load(cli_config, Secrets::Skip)?;
    let archive = open_archive(&config)?;
    let plan = gavel::schedule::load(agenda)?;
    let id = archive
        .schedule_meeting(&plan, config.council.timezone, chrono::Utc::now())?
        .id();
    println!(
        "scheduled meeting {id} “{}”{} with {} agenda items; `!start` opens it, `!next` walks the agenda",
        plan.title,
        plan.date.map(|d| format!(" on {d}")).unwrap_or_default(),
        plan.items.len()
    );
    Ok(ExitCode::SUCCESS)
}

/// `gavel export`: one meeting in one format (to a file or stdout), or bundles.
fn export(
    cli_config: &Path,
    meeting: Option<MeetingId>,
    format: &str,
    output: Option<PathBuf>,
    all: bool,
) -> anyhow::Result<ExitCode> {
    let config = load(cli_config, Secrets::Skip)?;
    let archive = open_archive(&config)?;
    let ctx = gavel::export::ExportContext {
        council_name: config.council.name.clone(),
        public_url: config.web.as_ref().map(|w| w.public_url.to_string()),
        generated_at: export_time()?,
        language: config.council.language,
    };
    if format == "bundle" {
        let Some(dir) = output else {
            bail!("bundles are folders: give one with -o DIR")
        };
        return export_bundles(&archive, meeting, &dir, &ctx, all);
    }
    if all {
        bail!("--all writes bundles: use --format bundle -o DIR");
    }
    let fmt: gavel::export::Format = format.parse().map_err(|e| anyhow::anyhow!("{e}"))?;
    let Some(m) = meeting else {
        bail!("name a meeting (see `gavel meetings`)")
    };
    let text = gavel::export::render(&archive, m, fmt, &ctx)?;
    match output {
        Some(path) => {
            std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
            eprintln!("wrote {}", path.display());
        }
        None => print!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}

/// `gavel export --format bundle -o DIR`: one meeting's bundle, or with `--all` every
/// meeting's, with a progress bar.
fn export_bundles(
    archive: &Archive,
    meeting: Option<MeetingId>,
    dir: &Path,
    ctx: &gavel::export::ExportContext,
    all: bool,
) -> anyhow::Result<ExitCode> {
    if all {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} meetings {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        let bags = gavel::export::write_all_bundles(archive, dir, ctx, |done, total| {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        })?;
        bar.finish_and_clear();
        println!("wrote {} bundle(s) under {}", bags.len(), dir.display());
    } else {
        let Some(m) = meeting else {
            bail!("name a meeting, or use --all")
        };
        let bag = gavel::export::write_bundle(archive, m, dir, ctx)?;
        println!("wrote {}", bag.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// `gavel keygen <path>`: a new signing key; prints its public key and fingerprint.
fn keygen(path: &Path) -> anyhow::Result<ExitCode> {
    let key = gavel::signing::generate_key(path)?;
    use base64::Engine;
    println!(
        "wrote {} (keep it secret; add `[signing] key_file` to the config)",
        path.display()
    );
    println!(
        "public key: {}",
        base64::engine::general_purpose::STANDARD.encode(key.as_bytes())
    );
    println!(
        "fingerprint: {}",
        gavel::signing::fingerprint(key.as_bytes())
    );
    Ok(ExitCode::SUCCESS)
}

/// `gavel backup <dest>`: a copy of the archive taken while Gavel runs.
/// `gavel archive copy`: every row into an empty archive, with a progress bar; then both
/// chains are verified alike (the copy refuses otherwise).
fn archive_copy(
    cli_config: &Path,
    to: &str,
    from: Option<&str>,
    schema: Option<&str>,
) -> anyhow::Result<ExitCode> {
    let password = std::env::var("PGPASSWORD")
        .ok()
        .map(secrecy::SecretString::from);
    let source = match from {
        Some(location) => Archive::open_location(location, password.clone(), schema)
            .context("opening the archive to copy from")?,
        None => open_archive(&load(cli_config, Secrets::Skip)?)?,
    };
    let dest =
        Archive::open_location(to, password, schema).context("opening the archive to copy to")?;
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} rows {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let report = gavel::archive::copy::copy(&source, &dest, |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    });
    bar.finish_and_clear();
    let report = report.context("copying the archive")?;
    println!(
        "copied {} meetings, {} entries, {} deliveries and {} notices from {} to {}",
        report.meetings,
        report.entries,
        report.deliveries,
        report.notices,
        source.location(),
        dest.location()
    );
    for c in &report.chains {
        println!(
            "meeting {}: {} entries, head {}",
            c.meeting, c.entries, c.head
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn backup(cli_config: &Path, dest: PathBuf) -> anyhow::Result<ExitCode> {
    let config = load(cli_config, Secrets::Skip)?;
    let archive = open_archive(&config)?;
    archive.backup_to(&dest).context("writing the backup")?;
    println!("backed up {} to {}", archive.location(), dest.display());
    Ok(ExitCode::SUCCESS)
}

fn spawn_signal_handler(shutdown: CancellationToken) {
    tokio::spawn(async move {
        let term = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut s) => {
                    s.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term => {}
        }
        tracing::info!("shutdown requested");
        shutdown.cancel();
    });
}
