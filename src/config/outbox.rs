//! `[outbox]`: the delivery retry policy and the shutdown drain deadline.

use std::time::Duration;

use serde::Deserialize;

use super::Resolver;
use crate::outbox::RetryPolicy;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOutbox {
    pub retry_base_ms: Option<u64>,
    pub retry_cap_secs: Option<u64>,
    pub report_after: Option<u32>,
    pub shutdown_deadline_secs: Option<u64>,
}

/// [`RetryPolicy::default`] with the configured values over it.
pub(crate) fn resolve(r: &mut Resolver<'_>, raw: Option<&RawOutbox>) -> RetryPolicy {
    let mut retry = RetryPolicy::default();
    let Some(o) = raw else {
        return retry;
    };
    if let Some(ms) = o.retry_base_ms {
        if ms == 0 {
            r.problem("outbox.retry_base_ms: must be at least 1".into());
        }
        retry.base = Duration::from_millis(ms.max(1));
    }
    if let Some(s) = o.retry_cap_secs {
        if s == 0 {
            r.problem("outbox.retry_cap_secs: must be at least 1".into());
        }
        retry.cap = Duration::from_secs(s.max(1));
    }
    if let Some(n) = o.report_after {
        retry.report_after = n.max(1);
    }
    if let Some(s) = o.shutdown_deadline_secs {
        retry.drain = Duration::from_secs(s);
    }
    retry
}
