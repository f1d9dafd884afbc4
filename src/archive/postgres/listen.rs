//! Wake-ups across processes: every commit that adds entries or notices also sends
//! `NOTIFY gavel_changes` with the schema's name (delivered when the transaction commits), and
//! [`Listener`] keeps one connection of its own that listens and counts those of this archive's
//! schema. A hint only: notifications sent while the connection is down are lost, so whoever
//! waits on it still polls (see `crate::cluster`).

use std::time::Duration;

use futures::StreamExt;
use tokio::sync::watch;
use tokio_postgres::AsyncMessage;
use tokio_postgres::config::SslMode;

use crate::archive::Result;

/// The channel every Gavel archive notifies on; the payload is the schema (empty for none).
pub(super) const CHANNEL: &str = "gavel_changes";

/// Commits the caller's transaction when `done` is `Ok`, telling listening processes that it
/// wrote entries or notices (the notification goes out with the commit), and rolls back
/// otherwise, as [`super::rows::finish`] does. The notification and the commit are one round
/// trip.
pub(super) async fn commit_notifying<T>(
    c: &deadpool_postgres::ClientWrapper,
    done: Result<T>,
) -> Result<T> {
    let v = match done {
        Ok(v) => v,
        e => return super::rows::finish(c, e).await,
    };
    match c
        .batch_execute("SELECT pg_notify('gavel_changes', current_schema()); COMMIT")
        .await
    {
        Ok(()) => Ok(v),
        Err(e) => {
            // A failed notification leaves the transaction open and aborted.
            let _ = c.batch_execute("ROLLBACK").await;
            Err(e.into())
        }
    }
}

/// Counts notifications for one schema while the engine runs.
pub(super) struct Listener {
    pub(super) changes: watch::Sender<u64>,
}

impl Listener {
    /// Starts listening on `handle` (the engine's runtime) with `config`, for `schema`.
    pub(super) fn start(
        handle: &tokio::runtime::Handle,
        config: tokio_postgres::Config,
        schema: String,
    ) -> Listener {
        let (changes, _) = watch::channel(0u64);
        let tx = changes.clone();
        handle.spawn(async move {
            loop {
                if let Err(e) = listen(&config, &schema, &tx).await {
                    tracing::debug!(error = %e, "archive notifications: reconnecting");
                }
                // Whatever was missed while disconnected: wake everyone once.
                tx.send_modify(|n| *n += 1);
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
        Listener { changes }
    }
}

/// One connection's life: `LISTEN`, then count this schema's notifications until it drops.
async fn listen(
    config: &tokio_postgres::Config,
    schema: &str,
    tx: &watch::Sender<u64>,
) -> std::result::Result<(), Box<dyn std::error::Error + Send + Sync>> {
    if config.get_ssl_mode() == SslMode::Require {
        let (client, connection) = config.connect(super::tls()?).await?;
        run(client, connection, schema, tx).await
    } else {
        let (client, connection) = config.connect(tokio_postgres::NoTls).await?;
        run(client, connection, schema, tx).await
    }
}

async fn run<S, T>(
    client: tokio_postgres::Client,
    mut connection: tokio_postgres::Connection<S, T>,
    schema: &str,
    tx: &watch::Sender<u64>,
) -> std::result::Result<(), Box<dyn std::error::Error + Send + Sync>>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    T: tokio_postgres::tls::TlsStream + Unpin + Send + 'static,
{
    let mut messages = futures::stream::poll_fn(move |cx| connection.poll_message(cx)).boxed();
    // The connection only makes progress while its messages are polled: send LISTEN while
    // polling them.
    let statement = format!("LISTEN {CHANNEL}");
    let listen = client.batch_execute(&statement);
    tokio::pin!(listen);
    let mut listening = false;
    loop {
        tokio::select! {
            r = &mut listen, if !listening => {
                r?;
                listening = true;
                // Caught up: whatever was written before this point is read by the wakers.
                tx.send_modify(|n| *n += 1);
            }
            m = messages.next() => match m {
                Some(Ok(AsyncMessage::Notification(n))) => {
                    if n.channel() == CHANNEL && n.payload() == schema {
                        tx.send_modify(|n| *n += 1);
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(e.into()),
                None => return Ok(()),
            },
        }
    }
}
