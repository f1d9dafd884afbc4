//! The terminal console input: clerk commands from stdin, acknowledgements, receipts and
//! delivery notices on stdout. A meeting can be piped in; at end of input Gavel waits for the
//! queues to drain (up to the shutdown deadline) and stops.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWrite, AsyncWriteExt};
use tokio_util::sync::CancellationToken;

use crate::desk::{ClerkInput, Desk, Reply};
use crate::domain::Author;
use crate::i18n::Language;
use crate::outbox::{HealthSource, Outbox, OutboxEvent};
use crate::receipts::{Receipts, clerk_notice};
use crate::tr;

/// The console clerk: the local user, as the console is only reachable by whoever runs Gavel.
pub fn console_author() -> Author {
    let user = std::env::var("USER")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "clerk".into());
    Author::new("console", user.clone(), user)
}

/// Reads commands until end of input or `stop`; on end of input, waits for delivery and then
/// asks the whole app to shut down through `shutdown`.
pub async fn run(
    desk: Arc<Desk>,
    outbox: Arc<Outbox>,
    input: impl AsyncBufRead + Unpin,
    mut out: impl AsyncWrite + Unpin,
    stop: CancellationToken,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let mut input = input;
    let mut buf = Vec::new();
    let mut events = outbox.subscribe();
    let mut receipts = Receipts::new(Arc::clone(desk.archive()), desk.settings().language);
    let language = desk.settings().language;
    let author = console_author();
    loop {
        tokio::select! {
            read = input.read_until(b'\n', &mut buf) => {
                if read? == 0 {
                    break;
                }
                let raw = std::mem::take(&mut buf);
                let Ok(line) = String::from_utf8(raw) else {
                    write_block(&mut out, &language.each("\n", |l| tr!(l, "input-not-utf8"))).await?;
                    continue;
                };
                let line = line.trim_end_matches(['\n', '\r']).to_string();
                if line.trim().is_empty() {
                    continue;
                }
                let reply = desk.submit(ClerkInput { author: author.clone(), text: line.clone(), source: None }).await;
                if let Reply::Recorded {
            entry, deliveries, ..
        } = &reply
                    && *deliveries > 0
                {
                    receipts.track(entry);
                }
                let text = match &reply {
                    Reply::Ignored => {
                        let prefix = &desk.settings().prefix;
                        language.each("\n", |l| tr!(l, "input-not-a-command", prefix = prefix))
                    }
                    other => other.to_clerk(language).unwrap_or_default(),
                };
                write_block(&mut out, &text).await?;
            }
            ev = events.recv() => {
                match ev {
                    Ok(ev) => show_event(&mut out, &mut receipts, &ev, language).await?,
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => {}
                }
            }
            _ = stop.cancelled() => return Ok(()),
        }
    }
    // End of input: let the queues drain, printing receipts, then stop the app.
    let deadline = tokio::time::Instant::now() + outbox.policy().drain;
    while tokio::time::Instant::now() < deadline
        && outbox.target_status().iter().any(|t| t.queued > 0)
    {
        tokio::select! {
            ev = events.recv() => {
                if let Ok(ev) = ev {
                    show_event(&mut out, &mut receipts, &ev, language).await?;
                }
            }
            _ = tokio::time::sleep(Duration::from_millis(50)) => {}
            _ = stop.cancelled() => break,
        }
    }
    while let Ok(ev) = events.try_recv() {
        show_receipt(&mut out, &mut receipts, &ev).await?;
    }
    out.flush().await?;
    shutdown.cancel();
    Ok(())
}

/// Shows the clerk what `ev` means to them: a receipt once an entry has reached its targets,
/// and a `! ` notice when a target fails, recovers or refuses a message.
async fn show_event(
    out: &mut (impl AsyncWrite + Unpin),
    receipts: &mut Receipts,
    ev: &OutboxEvent,
    language: Language,
) -> std::io::Result<()> {
    show_receipt(out, receipts, ev).await?;
    if let Some(n) = clerk_notice(ev, language) {
        write_block(out, &format!("! {n}")).await?;
    }
    Ok(())
}

/// Shows the receipt `ev` completes, if any.
async fn show_receipt(
    out: &mut (impl AsyncWrite + Unpin),
    receipts: &mut Receipts,
    ev: &OutboxEvent,
) -> std::io::Result<()> {
    if let Some(r) = receipts.on_event(ev) {
        write_block(out, &r).await?;
    }
    Ok(())
}

async fn write_block(out: &mut (impl AsyncWrite + Unpin), text: &str) -> std::io::Result<()> {
    out.write_all(text.as_bytes()).await?;
    out.write_all(b"\n").await?;
    out.flush().await
}
