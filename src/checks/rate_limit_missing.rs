//! `rate-limit.missing`: failed sign-ins from one client are never slowed — neither the spraying
//! pattern (many accounts) nor the one-account pattern met a throttle.

use async_trait::async_trait;

use super::{Check, EndpointCtx, FindingDraft, Verdict};
use crate::probe::throttle::{Burst, ThrottleData};
use crate::report::{Category, Severity};

pub struct RateLimitMissing;

/// What the volume probes say about a client that is never throttled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Neither pattern was throttled, and both ran enough attempts to tell.
    Missing,
    /// Some pattern was throttled.
    Throttled,
    /// Too few attempts to tell.
    Undecided,
}

/// Fewest attempts of a pattern before its silence means anything.
pub use crate::probe::throttle::MIN_VOLUME_ATTEMPTS as MIN_ATTEMPTS;

pub fn decide(spray: &Burst, one: Option<&Burst>) -> Decision {
    if spray.throttled() || one.is_some_and(Burst::throttled) {
        return Decision::Throttled;
    }
    let enough = spray.total() >= MIN_ATTEMPTS && one.is_some_and(|o| o.total() >= MIN_ATTEMPTS);
    if enough {
        Decision::Missing
    } else {
        Decision::Undecided
    }
}

pub(crate) fn observe_protection(ctx: &mut EndpointCtx<'_>, t: &ThrottleData) {
    for b in std::iter::once(&t.spray).chain(t.one.iter()) {
        if let (Some(n), Some(kind)) = (b.throttled_at, b.kind) {
            let pattern = match b.pattern {
                crate::probe::throttle::Pattern::Spray => "one password across many accounts",
                crate::probe::throttle::Pattern::OneAccount => "one account",
            };
            let ra = b
                .attempts
                .iter()
                .rev()
                .find_map(|a| a.response.as_ref().and_then(|r| r.header("retry-after")))
                .map(|v| format!(", Retry-After {v}"))
                .unwrap_or_default();
            let change = b
                .change
                .as_ref()
                .map(|c| format!(": {c}"))
                .unwrap_or_default();
            ctx.observe(
                "throttle",
                format!(
                    "{}{change} after {n} requests to the sign-in endpoint ({pattern}){ra}",
                    kind.describe()
                ),
            );
        }
    }
}

#[async_trait]
impl Check for RateLimitMissing {
    fn id(&self) -> &'static str {
        "rate-limit.missing"
    }
    fn category(&self) -> Category {
        Category::RateLimiting
    }
    fn severity(&self) -> Severity {
        Severity::High
    }
    fn title(&self) -> &'static str {
        "Failed sign-ins are never throttled"
    }
    fn description(&self) -> &'static str {
        "Sends failed sign-ins with random, non-existent accounts — many accounts with one password each, then one account many times — and looks for any throttle: 429/423/503, lockout or captcha answers, a move to 403, a growing delay, dropped connections."
    }

    fn impact(&self) -> &'static str {
        "Nothing slows failed sign-ins from one client, so an attacker can spray common passwords across every account, or guess one account's password, as fast as the server answers."
    }

    async fn run(&self, ctx: &mut EndpointCtx<'_>) -> Verdict {
        let (_, t) = ctx.throttling().await;
        let t = t.clone();
        observe_protection(ctx, &t);
        let delay = t.constant_delay();
        let residue = delay
            .as_ref()
            .and(ctx.prober.scanner.cfg.previous_scan.as_ref())
            .map(|p| residue(&p.describe()));
        if let Some(d) = &delay {
            let mut summary = d.summary();
            if let Some(r) = &residue {
                summary = format!("{summary}; {r}");
            }
            ctx.observe("delay", summary);
            if d.serialised() {
                return Verdict::Pass;
            }
        }
        // A delay from the first attempt on, and a scan of this target minutes ago: a tarpit that
        // grows with failures may still be at its maximum from that scan. The two cannot be told
        // apart from here, so neither "missing" nor "a constant delay" is said.
        if let Some(r) = residue {
            return Verdict::Incomplete(format!("every attempt was slow from the first; {r}"));
        }
        match decide(&t.spray, t.one.as_ref()) {
            Decision::Throttled => Verdict::Pass,
            Decision::Undecided => Verdict::Incomplete(format!(
                "too few attempts to tell ({} many-account, {} one-account){}",
                t.spray.total(),
                t.one.as_ref().map(|o| o.total()).unwrap_or(0),
                t.spray
                    .cut_short
                    .iter()
                    .chain(t.one.iter().flat_map(|o| o.cut_short.iter()))
                    .next()
                    .map(|r| format!("; {r}"))
                    .unwrap_or_default()
            )),
            Decision::Missing if t.unclassified_change.is_some() => {
                Verdict::Incomplete(t.unclassified_change.clone().unwrap_or_default())
            }
            Decision::Missing => {
                let one = t.one.as_ref().expect("decided with one-account burst");
                let mut draft = FindingDraft::new(format!(
                        "{} failed sign-ins across many accounts and {} on one account from the same client were all answered without any throttle (no 429/423/503, lockout, captcha or growing delay). An attacker can spray passwords at full speed.",
                        t.spray.total(),
                        one.total()
                    ))
                    .evidence_from(t.spray.attempts.last().into_iter().chain(one.attempts.last()))
                    .detail("many_account_attempts", t.spray.total())
                    .detail("one_account_attempts", one.total());
                if let Some(d) = &delay {
                    draft = draft.detail("constant_delay_ms", d.ms.round()).detail(
                        "parallel_failures_per_second",
                        (d.parallel_per_s * 10.0).round() / 10.0,
                    );
                }
                Verdict::Found(draft)
            }
        }
    }
}

/// The rate-limit verdict's words when a recent scan may have left a limiter holding.
pub fn residue(previous: &str) -> String {
    format!(
        "the history store shows {previous}: a limiter that slows failures more and more (a tarpit) may still be at its maximum from that scan, so this may be its residue rather than a constant delay; scan again once the limiter has forgotten that scan (often 15 to 60 minutes) to tell"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::throttle::Pattern;

    fn burst(pattern: Pattern, n: usize, throttled_at: Option<usize>) -> Burst {
        Burst {
            throttled_at,
            still_throttled: throttled_at.is_some(),
            ..Burst::new(pattern, n, None)
        }
    }

    #[test]
    fn silence_in_both_patterns_is_missing() {
        let s = burst(Pattern::Spray, 50, None);
        let o = burst(Pattern::OneAccount, 30, None);
        assert_eq!(decide(&s, Some(&o)), Decision::Missing);
    }

    #[test]
    fn any_throttle_is_protection() {
        let s = burst(Pattern::Spray, 6, Some(6));
        assert_eq!(decide(&s, None), Decision::Throttled);
        let s = burst(Pattern::Spray, 50, None);
        let o = burst(Pattern::OneAccount, 5, Some(5));
        assert_eq!(decide(&s, Some(&o)), Decision::Throttled);
    }

    #[test]
    fn too_few_attempts_cannot_decide() {
        let s = burst(Pattern::Spray, 8, None);
        let o = burst(Pattern::OneAccount, 3, None);
        assert_eq!(decide(&s, Some(&o)), Decision::Undecided);
    }
}
