//! `rate-limit.spraying-unthrottled`: one client is throttled when it repeats one account, but
//! not when it tries one password across many accounts — protection per account only, which is
//! exactly what password spraying evades.

use async_trait::async_trait;

use super::rate_limit_missing::MIN_ATTEMPTS;
use super::{Check, EndpointCtx, FindingDraft, Verdict};
use crate::probe::throttle::Burst;
use crate::report::{Category, Severity};

pub struct SprayingUnthrottled;

/// True when only the one-account pattern met a throttle, and spraying ran long enough to tell.
pub fn per_account_only(spray: &Burst, one: Option<&Burst>) -> bool {
    let one_throttled = one.is_some_and(Burst::throttled);
    one_throttled
        && !spray.throttled()
        && spray.total() >= MIN_ATTEMPTS
        && spray.total() > one.and_then(|o| o.throttled_at).unwrap_or(0)
}

#[async_trait]
impl Check for SprayingUnthrottled {
    fn id(&self) -> &'static str {
        "rate-limit.spraying-unthrottled"
    }
    fn category(&self) -> Category {
        Category::RateLimiting
    }
    fn severity(&self) -> Severity {
        Severity::High
    }
    fn title(&self) -> &'static str {
        "Throttling is per account only: password spraying is not slowed"
    }
    fn description(&self) -> &'static str {
        "Compares the one-account pattern (throttled?) with the spraying pattern — one password across many random accounts from the same client — which must be throttled too."
    }

    fn impact(&self) -> &'static str {
        "Per-account limits stop one account being guessed, but password spraying tries one password per account across many accounts, and that is never slowed here."
    }

    async fn run(&self, ctx: &mut EndpointCtx<'_>) -> Verdict {
        let (_, t) = ctx.throttling().await;
        let Some(one) = t.one.as_ref() else {
            // Spraying itself was throttled: the client is protected whatever the account.
            return Verdict::Pass;
        };
        if !one.throttled() {
            // Never throttled at all: that is rate-limit.missing's finding, not this one.
            return Verdict::Pass;
        }
        if t.spray.total() < MIN_ATTEMPTS {
            return Verdict::Incomplete(format!(
                "only {} many-account attempts could be made",
                t.spray.total()
            ));
        }
        if !per_account_only(&t.spray, Some(one)) {
            return Verdict::Pass;
        }
        if let Some(why) = &t.unclassified_change {
            return Verdict::Incomplete(why.clone());
        }
        let n = one.throttled_at.unwrap_or(0);
        let kind = one.kind.map(|k| k.describe()).unwrap_or("a throttle");
        let throttled = one.attempts.iter().find(|a| a.is_throttled());
        Verdict::Found(
            FindingDraft::new(format!(
                "Repeating one account met {kind} after {n} attempts, but {} attempts across as many accounts from the same client were never slowed: the limit is per account, and spraying one password across many accounts goes through.",
                t.spray.total()
            ))
            .evidence_from(throttled.into_iter().chain(t.spray.attempts.last()))
            .detail("one_account_throttled_at", n)
            .detail("many_account_attempts", t.spray.total()),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::throttle::Pattern;

    fn burst(pattern: Pattern, n: usize, at: Option<usize>) -> Burst {
        Burst {
            throttled_at: at,
            still_throttled: at.is_some(),
            ..Burst::new(pattern, n, None)
        }
    }

    #[test]
    fn per_account_lockout_is_reported() {
        let s = burst(Pattern::Spray, 50, None);
        let o = burst(Pattern::OneAccount, 6, Some(5));
        assert!(per_account_only(&s, Some(&o)));
    }

    #[test]
    fn client_wide_throttle_is_not() {
        let s = burst(Pattern::Spray, 6, Some(6));
        let o = burst(Pattern::OneAccount, 6, Some(5));
        assert!(!per_account_only(&s, Some(&o)));
        let s = burst(Pattern::Spray, 50, None);
        assert!(!per_account_only(&s, None));
    }

    #[test]
    fn spraying_shorter_than_the_account_limit_proves_nothing() {
        let s = burst(Pattern::Spray, 20, None);
        let o = burst(Pattern::OneAccount, 26, Some(25));
        assert!(!per_account_only(&s, Some(&o)));
    }
}
