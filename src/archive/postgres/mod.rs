//! The PostgreSQL engine: the same schema and rules as [`super::sqlite`], on a server that
//! several Gavel processes (and many councils, one schema each) can share.
//!
//! **Driver**: `tokio-postgres` with a `deadpool-postgres` pool, TLS through
//! `tokio-postgres-rustls`. tokio-postgres is the maintained, pure-Rust client the rest of the
//! ecosystem builds on (deadpool, bb8, Synapse-like projects in Rust); it speaks the extended
//! protocol with binary parameters and pipelining, and brings no query macros, no offline query
//! cache and no second SQL layer, so this folder's SQL stays plain strings like the SQLite
//! engine's. deadpool-postgres adds a small pool with a per-connection prepared-statement cache
//! and wait/create timeouts, so a database that is down gives an error instead of a hang. sqlx
//! would also do, but pulls in its own runtime abstraction and macros for what here is a few
//! dozen fixed statements.
//!
//! **Blocking calls over an async client.** The archive's traits are blocking and are called
//! from inside tokio runtimes (the app's, tests' current-thread and paused-clock runtimes), where
//! blocking on another future of the caller's runtime would deadlock or panic. So the engine
//! owns a small runtime of its own (two worker threads) that runs the pool and its connections;
//! each trait call spawns its future there and waits for the answer on a std channel. The
//! caller's runtime is never re-entered, and the engine's clock is real even when a test pauses
//! its own.
//!
//! **Appends** take the meeting's row lock (`SELECT … FOR UPDATE`) before reading the chain's
//! head, inside the append's transaction, so sequence numbers stay contiguous and the chain
//! linear even with several processes on one database; `UNIQUE (meeting_id, seq)` is the
//! backstop. Within this process appends also take one writer lock across commit and publish,
//! so commits are published (see [`super::commits`]) in the order they were made, which is the
//! order of their delivery rows' ids.
//!
//! Search uses PostgreSQL's text search with the `simple` configuration (lower-cased words, no
//! stemming, no stop words: the closest to SQLite's `unicode61`, though accents are kept). The
//! schema is versioned in `gavel_migrations` ([`schema`]). Nothing outside this folder names
//! `tokio_postgres` or holds its SQL.

mod deliveries;
mod entries;
mod leases;
mod listen;
mod meetings;
mod records;
mod rows;
mod schema;
mod search;
#[cfg(test)]
pub(crate) mod testing;
#[cfg(test)]
mod tests;
mod transfer;

use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use secrecy::{ExposeSecret, SecretString};
use tokio_postgres::config::SslMode;
use tokio_postgres::{NoTls, SimpleQueryMessage};

use super::commits::Publisher;
use super::{ArchiveError, Maintenance, Result, RunnerClaim, Store};

/// Connections the pool keeps at most.
const POOL_SIZE: usize = 8;
/// How long a call waits for a free connection, or for a new one to open.
const POOL_WAIT: Duration = Duration::from_secs(30);

type Client = deadpool_postgres::Object;

impl From<tokio_postgres::Error> for ArchiveError {
    fn from(e: tokio_postgres::Error) -> Self {
        ArchiveError::Database(Box::new(e))
    }
}

impl From<deadpool_postgres::PoolError> for ArchiveError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        ArchiveError::Database(Box::new(e))
    }
}

fn config_error(message: String) -> ArchiveError {
    ArchiveError::Database(message.into())
}

/// What every call's future shares: the pool, the commit feed and the writer lock.
struct Shared {
    pool: Pool,
    commits: Publisher,
    /// Held across an append's commit and its publication (see the module doc).
    writer: Arc<tokio::sync::Mutex<()>>,
    /// Reads of a target's entry queue (see [`super::Deliveries::queue_reads`]).
    queue_reads: AtomicU64,
}

impl Shared {
    async fn client(&self) -> Result<Client> {
        Ok(self.pool.get().await?)
    }
}

/// An archive in a PostgreSQL database (in one schema of it, when given).
pub struct PostgresArchive {
    /// `None` only while dropping.
    runtime: Option<tokio::runtime::Runtime>,
    handle: tokio::runtime::Handle,
    shared: Arc<Shared>,
    /// The URL without its password, and the schema.
    location: String,
    /// How to connect, for the notification listener's own connection.
    config: tokio_postgres::Config,
    /// The schema notifications name (`public` when none is configured).
    schema: String,
    /// Started by the first [`Maintenance::changes`].
    listener: std::sync::OnceLock<listen::Listener>,
}

impl PostgresArchive {
    /// Connects to the database at `url` (`postgres://user@host:port/db?sslmode=require`),
    /// with `password` when the URL carries none, in `schema` (created if missing) when given,
    /// and applies migrations. TLS is used when the URL says `sslmode=require`, verified
    /// against the Mozilla roots; otherwise the connection is plain.
    pub fn connect(
        url: &str,
        password: Option<SecretString>,
        schema: Option<&str>,
    ) -> Result<PostgresArchive> {
        let location = redact(url, schema);
        let mut config: tokio_postgres::Config = url
            .parse()
            .map_err(|e| config_error(format!("the archive URL {location} is not valid: {e}")))?;
        if let Some(p) = &password {
            config.password(p.expose_secret());
        }
        if let Some(s) = schema {
            check_schema_name(s)?;
            config.options(format!("-c search_path={s}"));
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        config.application_name("gavel");
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("gavel-postgres")
            .enable_all()
            .build()
            .map_err(|e| ArchiveError::Database(Box::new(e)))?;
        let pool = {
            // The pool's timers belong to the engine's runtime.
            let _inside = runtime.enter();
            pool(config.clone())?
        };
        let archive = PostgresArchive {
            handle: runtime.handle().clone(),
            runtime: Some(runtime),
            shared: Arc::new(Shared {
                pool,
                commits: Publisher::default(),
                writer: Arc::new(tokio::sync::Mutex::new(())),
                queue_reads: AtomicU64::new(0),
            }),
            location,
            config,
            schema: schema.unwrap_or("public").to_string(),
            listener: std::sync::OnceLock::new(),
        };
        let (loc, wanted) = (archive.location.clone(), schema.map(str::to_string));
        archive
            .run(move |s| async move { schema::migrate(&*s.client().await?, wanted, loc).await })?;
        Ok(archive)
    }

    /// Runs `f`'s future on the engine's runtime and waits for its answer (see the module doc).
    fn run<T, F>(&self, f: impl FnOnce(Arc<Shared>) -> F) -> Result<T>
    where
        F: Future<Output = Result<T>> + Send + 'static,
        T: Send + 'static,
    {
        let future = f(Arc::clone(&self.shared));
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        self.handle.spawn(async move {
            let _ = tx.send(future.await);
        });
        // The task is dropped unanswered only when the runtime is shutting down.
        rx.recv().map_err(|_| ArchiveError::ShuttingDown)?
    }

    /// Runs SQL the traits do not offer (tests tampering with rows, benchmarks) and returns
    /// the rows it returned, every value as text (`None` for NULL).
    pub fn execute_sql(&self, sql: &str) -> Result<Vec<Vec<Option<String>>>> {
        let sql = sql.to_string();
        self.run(move |s| async move {
            let messages = s.client().await?.simple_query(&sql).await?;
            let mut rows = Vec::new();
            for m in messages {
                if let SimpleQueryMessage::Row(r) = m {
                    rows.push((0..r.len()).map(|i| r.get(i).map(str::to_string)).collect());
                }
            }
            Ok(rows)
        })
    }
}

fn pool(config: tokio_postgres::Config) -> Result<Pool> {
    let manager_config = ManagerConfig {
        recycling_method: RecyclingMethod::Fast,
    };
    let manager = if config.get_ssl_mode() == SslMode::Require {
        Manager::from_config(config, tls()?, manager_config)
    } else {
        Manager::from_config(config, NoTls, manager_config)
    };
    Pool::builder(manager)
        .max_size(POOL_SIZE)
        .runtime(deadpool_postgres::Runtime::Tokio1)
        .wait_timeout(Some(POOL_WAIT))
        .create_timeout(Some(POOL_WAIT))
        .build()
        .map_err(|e| ArchiveError::Database(Box::new(e)))
}

/// Rustls with the Mozilla roots and this build's crypto provider.
fn tls() -> Result<tokio_postgres_rustls::MakeRustlsConnect> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ArchiveError::Database(Box::new(e)))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}

/// A schema name Gavel accepts: a plain lower-case identifier, so it needs no quoting anywhere.
pub(crate) fn check_schema_name(name: &str) -> Result<()> {
    let mut chars = name.chars();
    let plain = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && name.len() <= 63;
    if plain {
        Ok(())
    } else {
        Err(config_error(format!(
            "the archive schema `{name}` is not a plain name: use lower-case letters, digits and _, at most 63"
        )))
    }
}

/// The URL without any password (in its user part or its query), and the schema.
/// (Also what `gavel check` and errors show of a configured URL.)
pub(crate) fn redact(url: &str, schema: Option<&str>) -> String {
    let shown = match url::Url::parse(url) {
        Ok(mut u) => {
            let _ = u.set_password(None);
            let kept: Vec<(String, String)> = u
                .query_pairs()
                .filter(|(k, _)| k != "password")
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            if kept.is_empty() {
                u.set_query(None);
            } else {
                u.query_pairs_mut().clear().extend_pairs(kept);
            }
            u.to_string()
        }
        // A key=value connection string: keep every pair but the password.
        Err(_) => url
            .split_whitespace()
            .filter(|kv| !kv.starts_with("password="))
            .collect::<Vec<_>>()
            .join(" "),
    };
    match schema {
        Some(s) => format!("{shown} (schema {s})"),
        None => shown,
    }
}

impl Drop for PostgresArchive {
    fn drop(&mut self) {
        // Dropped, perhaps, inside the caller's runtime, where waiting is not allowed: stop
        // without waiting. Connections close as their tasks are dropped.
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

impl Store for PostgresArchive {}

impl Maintenance for PostgresArchive {
    fn location(&self) -> String {
        self.location.clone()
    }

    /// A read-write transaction that takes the lock an append takes on `entries`, then rolls
    /// back: fails on a read-only standby and without the right to insert.
    fn check_writable(&self) -> Result<()> {
        self.run(|s| async move {
            let c = s.client().await?;
            let r = c
                .batch_execute("BEGIN READ WRITE; LOCK TABLE entries IN ROW EXCLUSIVE MODE")
                .await;
            c.batch_execute("ROLLBACK").await?;
            Ok(r?)
        })
    }

    fn backup_to(&self, _dest: &Path) -> Result<()> {
        Err(ArchiveError::Unsupported(format!(
            "`gavel backup` copies a SQLite archive; {} is in PostgreSQL: back it up with pg_dump \
             (one council's schema: pg_dump --schema=NAME), or copy it into SQLite with the archive copy",
            self.location
        )))
    }

    fn changes(&self) -> Option<tokio::sync::watch::Receiver<u64>> {
        let listener = self.listener.get_or_init(|| {
            listen::Listener::start(&self.handle, self.config.clone(), self.schema.clone())
        });
        Some(listener.changes.subscribe())
    }

    /// A session advisory lock named after the schema, on a connection taken out of the pool
    /// and kept: the server lets go when that connection closes (the process exited, or the
    /// server restarted).
    fn claim_runner(&self, shared: bool) -> Result<Option<RunnerClaim>> {
        self.run(move |s| async move {
            let client = deadpool_postgres::Object::take(s.client().await?);
            let sql = if shared {
                "SELECT pg_try_advisory_lock_shared(hashtext('gavel-run:' || current_schema()))"
            } else {
                "SELECT pg_try_advisory_lock(hashtext('gavel-run:' || current_schema()))"
            };
            let held: bool = client.query_one(sql, &[]).await?.get(0);
            Ok(held.then(|| RunnerClaim::new(client)))
        })
    }
}
