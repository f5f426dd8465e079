//! `rate-limit.no-retry-after`: a 429 (or a 503 throttle) carries no Retry-After, so clients
//! cannot back off properly.

use async_trait::async_trait;

use super::{Check, EndpointCtx, FindingDraft, Verdict};
use crate::probe::Attempt;
use crate::report::{Category, Severity};

pub struct NoRetryAfter;

/// The first 429/503 throttle answer without Retry-After, if any; None also when none was seen.
pub fn missing_retry_after<'a>(throttled: &[&'a Attempt]) -> Option<&'a Attempt> {
    throttled.iter().copied().find(|a| {
        a.response
            .as_ref()
            .is_some_and(|r| matches!(r.status, 429 | 503) && r.header("retry-after").is_none())
    })
}

#[async_trait]
impl Check for NoRetryAfter {
    fn id(&self) -> &'static str {
        "rate-limit.no-retry-after"
    }
    fn category(&self) -> Category {
        Category::RateLimiting
    }
    fn severity(&self) -> Severity {
        Severity::Low
    }
    fn title(&self) -> &'static str {
        "Throttle answers carry no Retry-After"
    }
    fn description(&self) -> &'static str {
        "Every 429 (or 503 throttle) answer seen during the scan must say when to retry with a Retry-After header."
    }

    fn impact(&self) -> &'static str {
        "Without Retry-After, well-behaved clients cannot back off correctly; on its own this is a minor hygiene issue, not an open door."
    }

    async fn run(&self, ctx: &mut EndpointCtx<'_>) -> Verdict {
        let (e, t) = ctx.throttling().await;
        let throttled = t.throttled_attempts(e);
        let statuses = throttled
            .iter()
            .filter(|a| matches!(a.status(), Some(429 | 503)))
            .count();
        if let Some(rl) = throttled.iter().find_map(|a| {
            a.response.as_ref().and_then(|r| {
                r.headers
                    .iter()
                    .find(|(k, _)| k.starts_with("ratelimit") || k.starts_with("x-ratelimit"))
                    .map(|(k, v)| format!("{k}: {v}"))
            })
        }) {
            ctx.observe("rate-limit-headers", format!("throttle answers carry {rl}"));
        }
        let (e, t) = ctx.throttling().await;
        let throttled = t.throttled_attempts(e);
        match missing_retry_after(&throttled) {
            Some(a) => Verdict::Found(
                FindingDraft::new(format!(
                    "A {} throttle answer carried no Retry-After header ({} such answers seen).",
                    a.status().unwrap_or(0),
                    statuses
                ))
                .evidence_from([a]),
            ),
            None => Verdict::Pass,
        }
    }
}
