//! `rate-limit.reset-missing`: password-reset requests from one client are never throttled,
//! so anyone can flood any address with reset messages (and guess short reset codes). The
//! sample asks random identifiers only, fewer than 30 requests per reset endpoint.

use async_trait::async_trait;

use super::{Check, EndpointCtx, FindingDraft, Verdict};
use crate::report::{Category, Flow, Severity};

pub struct ResetMissing;

/// Fewest answered reset requests before their silence means anything.
pub const MIN_RESET_ATTEMPTS: usize = 20;

#[async_trait]
impl Check for ResetMissing {
    fn id(&self) -> &'static str {
        "rate-limit.reset-missing"
    }
    fn category(&self) -> Category {
        Category::RateLimiting
    }
    fn severity(&self) -> Severity {
        Severity::Medium
    }
    fn title(&self) -> &'static str {
        "Password-reset requests are never throttled"
    }
    fn description(&self) -> &'static str {
        "Reset requests from one client must be limited: keyhole sends fewer than 30, for random non-existent identifiers only, and looks for a 429, a lockout or captcha answer, or a growing delay."
    }

    fn impact(&self) -> &'static str {
        "Unthrottled reset requests let anyone flood any address with reset messages, and, where reset codes are short, guess them."
    }
    fn flow(&self) -> Flow {
        Flow::PasswordReset
    }

    async fn run(&self, ctx: &mut EndpointCtx<'_>) -> Verdict {
        let d = ctx.reset().await;
        if let Some((n, a)) = &d.throttled {
            let summary = format!(
                "reset requests throttled after {n} requests from one client: {}{}",
                match a.class {
                    crate::analysis::classify::Class::Throttled(k) => k.describe(),
                    _ => "a throttle",
                },
                a.response
                    .as_ref()
                    .and_then(|r| r.header("retry-after"))
                    .map(|v| format!(", Retry-After {v}"))
                    .unwrap_or_default()
            );
            ctx.observe("throttle", summary);
            return Verdict::Pass;
        }
        let answered: Vec<_> = d.all().filter(|a| a.response.is_some()).collect();
        if !answered.is_empty() && answered.iter().all(|a| a.status().unwrap_or(0) >= 500) {
            return Verdict::Incomplete(format!(
                "the endpoint answered {} to every reset request: it sends nothing, so its throttling could not be judged",
                answered[0].status().unwrap_or(0)
            ));
        }
        if answered.len() < MIN_RESET_ATTEMPTS {
            return Verdict::Incomplete(format!(
                "only {} reset requests were answered{}",
                answered.len(),
                d.stopped
                    .as_ref()
                    .map(|s| format!(" ({s})"))
                    .unwrap_or_default()
            ));
        }
        let statuses: std::collections::BTreeSet<u16> =
            answered.iter().filter_map(|a| a.status()).collect();
        Verdict::Found(
            FindingDraft::new(format!(
                "{} password-reset requests from one client were all answered ({}), none throttled: anyone can send reset messages to any address as fast as they like",
                answered.len(),
                statuses.iter().map(u16::to_string).collect::<Vec<_>>().join(", ")
            ))
            .evidence_from(answered.iter().rev().take(1).copied())
            .detail("attempts", answered.len()),
        )
    }
}
