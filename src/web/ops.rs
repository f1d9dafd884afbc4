//! Operator endpoints: `/healthz` (archive writable, per-target delivery state) and `/metrics`
//! (Prometheus text exposition). Delivery latencies come from the outbox's `Delivered` events,
//! collected by a task that [`collect_latencies`] runs for the server's lifetime.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;

use crate::outbox::HealthSource;
use crate::outbox::OutboxEvent;
use crate::web::{WebError, WebState};

/// Upper bounds (seconds) of the latency histogram's buckets.
pub const LATENCY_BUCKETS: [f64; 13] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

#[derive(Debug, Clone, Default)]
struct Histogram {
    /// Non-cumulative counts per bucket; the last slot is `+Inf`.
    counts: [u64; LATENCY_BUCKETS.len() + 1],
    sum: f64,
    count: u64,
}

impl Histogram {
    fn observe(&mut self, secs: f64) {
        let i = LATENCY_BUCKETS
            .iter()
            .position(|b| secs <= *b)
            .unwrap_or(LATENCY_BUCKETS.len());
        self.counts[i] += 1;
        self.sum += secs;
        self.count += 1;
    }
}

/// In-process metrics the archive cannot answer: delivery latency per target.
#[derive(Debug, Default)]
pub struct Metrics {
    latency: Mutex<BTreeMap<String, Histogram>>,
}

impl Metrics {
    pub fn observe_delivery(&self, target: &str, latency: Duration) {
        let mut m = self.latency.lock().unwrap_or_else(|p| p.into_inner());
        m.entry(target.to_string())
            .or_default()
            .observe(latency.as_secs_f64());
    }
}

/// Feeds `metrics` from the outbox's events until `stop` fires or the outbox goes away.
pub async fn collect_latencies(
    metrics: Arc<Metrics>,
    mut events: broadcast::Receiver<OutboxEvent>,
    stop: CancellationToken,
) {
    loop {
        let ev = tokio::select! {
            _ = stop.cancelled() => return,
            ev = events.recv() => ev,
        };
        match ev {
            Ok(OutboxEvent::Delivered {
                target, latency, ..
            }) => metrics.observe_delivery(&target, latency),
            Ok(_) => {}
            Err(RecvError::Lagged(n)) => tracing::warn!(missed = n, "metrics missed outbox events"),
            Err(RecvError::Closed) => return,
        }
    }
}

/// `GET /healthz`: JSON; 503 when the archive cannot be written.
pub async fn healthz(State(s): State<Arc<WebState>>) -> Response {
    let writable = s.archive.check_writable();
    let targets: Vec<serde_json::Value> = s
        .outbox
        .target_status()
        .into_iter()
        .map(|t| {
            json!({
                "name": t.name,
                "state": if t.failing.is_some() { "failing" } else if t.queued > 0 { "delivering" } else { "ok" },
                "queued": t.queued,
                "error": t.failing,
            })
        })
        .collect();
    let ok = writable.is_ok();
    let mut body = json!({
        "status": if ok { "ok" } else { "unavailable" },
        "archive": { "writable": ok, "error": writable.err().map(|e| e.to_string()) },
        "targets": targets,
        "live_subscribers": s.live.subscribers(),
    });
    if let Some(c) = &s.cluster {
        // Which instance holds which lease, as the archive has them, and what this one holds.
        let leases = match s.archive.leases() {
            Ok(all) => json!(all),
            Err(e) => json!({ "error": e.to_string() }),
        };
        let held: Vec<serde_json::Value> = c
            .held()
            .into_iter()
            .map(|(lease, token)| json!({ "lease": lease, "token": token }))
            .collect();
        body["instance"] = json!({ "name": c.holder(), "holds": held });
        body["leases"] = leases;
    }
    let status = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        axum::Json(body),
    )
        .into_response()
}

/// Escapes a Prometheus label value.
fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// `GET /metrics`.
pub async fn metrics(State(s): State<Arc<WebState>>) -> Result<Response, WebError> {
    let mut out = String::new();
    out.push_str("# HELP gavel_entries_total Entries archived, all meetings.\n# TYPE gavel_entries_total counter\n");
    let _ = writeln!(out, "gavel_entries_total {}", s.archive.entry_count()?);

    out.push_str("# HELP gavel_deliveries Delivery rows by target and outcome (pending, done, failed).\n# TYPE gavel_deliveries gauge\n");
    for (target, outcome, n) in s.archive.delivery_counts()? {
        let _ = writeln!(
            out,
            "gavel_deliveries{{target=\"{}\",outcome=\"{}\"}} {n}",
            label(&target),
            label(&outcome)
        );
    }

    out.push_str(
        "# HELP gavel_queue_depth Deliveries waiting per target.\n# TYPE gavel_queue_depth gauge\n",
    );
    for t in s.outbox.target_names() {
        let _ = writeln!(
            out,
            "gavel_queue_depth{{target=\"{}\"}} {}",
            label(&t),
            s.archive.queue_depth(&t)?
        );
    }

    out.push_str(
        "# HELP gavel_delivery_latency_seconds Time from archiving an entry to its delivery, per target.\n\
# TYPE gavel_delivery_latency_seconds histogram\n",
    );
    let hist = s
        .runtime
        .metrics
        .latency
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    for (target, h) in &hist {
        let t = label(target);
        let mut cumulative = 0;
        for (i, b) in LATENCY_BUCKETS.iter().enumerate() {
            cumulative += h.counts[i];
            let _ = writeln!(
                out,
                "gavel_delivery_latency_seconds_bucket{{target=\"{t}\",le=\"{b}\"}} {cumulative}"
            );
        }
        let _ = writeln!(
            out,
            "gavel_delivery_latency_seconds_bucket{{target=\"{t}\",le=\"+Inf\"}} {}",
            h.count
        );
        let _ = writeln!(
            out,
            "gavel_delivery_latency_seconds_sum{{target=\"{t}\"}} {}",
            h.sum
        );
        let _ = writeln!(
            out,
            "gavel_delivery_latency_seconds_count{{target=\"{t}\"}} {}",
            h.count
        );
    }

    if let Some(c) = &s.cluster {
        out.push_str("# HELP gavel_lease_held Leases this instance holds (1), by lease, with its fencing token.\n# TYPE gavel_lease_held gauge\n");
        for (lease, token) in c.held() {
            let _ = writeln!(
                out,
                "gavel_lease_held{{lease=\"{}\",instance=\"{}\",token=\"{token}\"}} 1",
                label(&lease),
                label(c.holder())
            );
        }
    }

    out.push_str("# HELP gavel_live_subscribers Open live-update (SSE) streams.\n# TYPE gavel_live_subscribers gauge\n");
    let _ = writeln!(out, "gavel_live_subscribers {}", s.live.subscribers());

    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latencies_land_in_the_first_bucket_that_holds_them() {
        let m = Metrics::default();
        m.observe_delivery("web", Duration::from_millis(3));
        m.observe_delivery("web", Duration::from_millis(700));
        m.observe_delivery("web", Duration::from_secs(120));
        let h = m.latency.lock().unwrap().get("web").cloned().unwrap();
        assert_eq!(h.counts[0], 1);
        assert_eq!(h.counts[7], 1);
        assert_eq!(h.counts[LATENCY_BUCKETS.len()], 1);
        assert_eq!(h.count, 3);
    }
}
