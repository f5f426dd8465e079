//! Volume probes with random, non-existent accounts: the spraying pattern (one password across
//! many accounts) and the one-account pattern (one account, many passwords). A throttle is a
//! throttled class (429, 423, 503, lockout text, captcha, a move to 403), a tarpit (answers far
//! slower than the endpoint's usual time, twice in a row) or dropped connections twice in a row.

use super::enumeration::EnumData;
use super::{Attempt, Client, Prober};
use crate::analysis::classify::{Class, ThrottleKind};
use crate::analysis::stats;
use crate::scan::Role;

/// Many-accounts attempts the spraying pattern reaches (enumeration attempts count towards it).
pub const SPRAY_ATTEMPTS: usize = 50;
/// Attempts of the one-account pattern.
pub const ONE_ACCOUNT_ATTEMPTS: usize = 25;
/// Many-account attempts the spraying burst makes at least, after the enumeration sample.
pub const SPRAY_EXTRA_MIN: usize = 10;
/// Requests kept back for the header-bypass probe.
pub const BYPASS_RESERVE: u32 = 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pattern {
    /// A fresh account for every attempt.
    Spray,
    /// The same account every time.
    OneAccount,
}

/// One volume pattern and what it met.
#[derive(Debug, Clone)]
pub struct Burst {
    pub pattern: Pattern,
    pub attempts: Vec<Attempt>,
    /// Attempts of this pattern before this burst (the enumeration sample, for spraying).
    pub prior: usize,
    /// Attempt number (1-based, counting prior ones) of the first throttled answer.
    pub throttled_at: Option<usize>,
    pub kind: Option<ThrottleKind>,
    /// The burst ended on consecutive throttled answers: the client is throttled now.
    pub still_throttled: bool,
    /// The account the one-account pattern used.
    pub account: Option<String>,
    pub cut_short: Option<String>,
}

impl Burst {
    pub fn total(&self) -> usize {
        self.prior + self.attempts.len()
    }

    pub fn throttled(&self) -> bool {
        self.throttled_at.is_some()
    }
}

#[derive(Debug, Clone)]
pub struct ThrottleData {
    pub spray: Burst,
    /// Run only when spraying was not throttled.
    pub one: Option<Burst>,
    /// Median time of an ordinary rejection, for tarpit decisions.
    pub base_ms: f64,
}

impl ThrottleData {
    /// Every throttled attempt seen by either pattern (and the enumeration sample).
    pub fn throttled_attempts<'a>(&'a self, enumeration: &'a EnumData) -> Vec<&'a Attempt> {
        enumeration
            .sequence
            .iter()
            .chain(self.spray.attempts.iter())
            .chain(self.one.iter().flat_map(|b| b.attempts.iter()))
            .filter(|a| a.is_throttled())
            .collect()
    }
}

impl Prober<'_> {
    /// Requests one attempt costs: a form with per-request tokens may need its page first.
    pub fn cost(&self) -> u32 {
        if self.surface.kind == crate::report::SurfaceKind::HtmlForm && self.surface.has_hidden {
            2
        } else {
            1
        }
    }

    /// Requests the enumeration sample must leave for the volume probes.
    pub fn volume_reserve(&self) -> u32 {
        BYPASS_RESERVE + self.cost() * (SPRAY_EXTRA_MIN + ONE_ACCOUNT_ATTEMPTS) as u32
    }

    /// Run the volume probes after the enumeration sample.
    ///
    /// `earlier` counts the credential attempts made before the enumeration sample (confirmation).
    pub async fn probe_throttling(
        &self,
        client: &mut Client,
        enumeration: &EnumData,
        earlier: usize,
    ) -> ThrottleData {
        let randoms: Vec<f64> = EnumData::usable(&enumeration.random)
            .iter()
            .map(|a| a.ms)
            .collect();
        let base_ms = match (self.base_ms, stats::median(&randoms)) {
            (Some(b), Some(r)) => b.min(r),
            (Some(b), None) => b,
            (None, Some(r)) => r,
            (None, None) => f64::NAN,
        };
        let id = self.identifier();

        let mut spray = Burst {
            pattern: Pattern::Spray,
            attempts: Vec::new(),
            prior: earlier + enumeration.sequence.len(),
            throttled_at: None,
            kind: None,
            still_throttled: false,
            account: None,
            cut_short: None,
        };
        match &enumeration.throttled {
            Some(t) if t.role == Role::Random => {
                spray.throttled_at = Some(spray.prior);
                spray.kind = throttle_kind(t);
                spray.still_throttled = true;
            }
            _ => {
                // A throttle on a repeated account may be per account: fresh accounts decide.
                let budget = if enumeration.throttled.is_some() {
                    // keep going as a full spray burst, the repeated-account throttle aside
                    SPRAY_ATTEMPTS.max(spray.prior + 4) - spray.prior
                } else {
                    SPRAY_ATTEMPTS
                        .saturating_sub(spray.prior)
                        .max(SPRAY_EXTRA_MIN)
                };
                let reserve = BYPASS_RESERVE + self.cost() * ONE_ACCOUNT_ATTEMPTS as u32;
                self.run_burst(client, &mut spray, budget, reserve, base_ms, || {
                    self.scanner.random_account(id)
                })
                .await;
            }
        }

        let one = if spray.throttled() {
            None
        } else {
            let account = self
                .scanner
                .cfg
                .username
                .clone()
                .unwrap_or_else(|| self.scanner.random_account(id));
            let mut one = Burst {
                pattern: Pattern::OneAccount,
                attempts: Vec::new(),
                prior: 0,
                throttled_at: None,
                kind: None,
                still_throttled: false,
                account: Some(account.clone()),
                cut_short: None,
            };
            // Reuse the client: a per-client throttle must see the same client.
            self.run_burst(
                client,
                &mut one,
                ONE_ACCOUNT_ATTEMPTS,
                BYPASS_RESERVE,
                base_ms,
                || account.clone(),
            )
            .await;
            if one.throttled() {
                // Was that the account's lockout, or a per-client limit that the one-account
                // attempts merely pushed over its threshold? Fresh accounts tell: if they are
                // throttled too, spraying is throttled as well.
                self.run_burst(client, &mut spray, 2, BYPASS_RESERVE, base_ms, || {
                    self.scanner.random_account(id)
                })
                .await;
            }
            Some(one)
        };
        ThrottleData {
            spray,
            one,
            base_ms,
        }
    }

    async fn run_burst(
        &self,
        client: &mut Client,
        burst: &mut Burst,
        max: usize,
        reserve: u32,
        base_ms: f64,
        mut next_account: impl FnMut() -> String,
    ) {
        let role = if burst.pattern == Pattern::OneAccount
            && self.scanner.cfg.username.as_deref() == burst.account.as_deref()
        {
            Role::Owned
        } else {
            Role::Random
        };
        let mut consecutive = 0;
        for _ in 0..max {
            if self.short_of(reserve) {
                burst.cut_short = Some(format!(
                    "stopped after {} attempts to stay within --max-requests",
                    burst.total()
                ));
                break;
            }
            let account = next_account();
            let mut a = match self.attempt(client, &account, role, &[]).await {
                Ok(a) => a,
                Err(e) => {
                    burst.cut_short =
                        Some(format!("stopped after {} attempts: {e}", burst.total()));
                    break;
                }
            };
            if !a.is_throttled() && is_slow(a.ms, base_ms) {
                a.class = Class::Throttled(ThrottleKind::Tarpit);
            }
            let throttled = a.is_throttled();
            let soft = matches!(
                a.class,
                Class::Throttled(ThrottleKind::Tarpit) | Class::Throttled(ThrottleKind::Dropped)
            );
            burst.attempts.push(a);
            if throttled {
                consecutive += 1;
                // A slow or dropped answer counts only when it repeats.
                if !soft || consecutive >= 2 {
                    if burst.throttled_at.is_none() {
                        let n = burst.total() + 1 - consecutive;
                        burst.throttled_at = Some(n);
                        burst.kind = burst.attempts.last().and_then(throttle_kind);
                    }
                    if consecutive >= 2 {
                        burst.still_throttled = true;
                        break;
                    }
                }
            } else {
                consecutive = 0;
            }
        }
    }
}

/// Far slower than the endpoint's usual rejection.
pub fn is_slow(ms: f64, base_ms: f64) -> bool {
    ms.is_finite() && base_ms.is_finite() && ms > (base_ms * 4.0).max(base_ms + 300.0)
}

pub fn throttle_kind(a: &Attempt) -> Option<ThrottleKind> {
    match a.class {
        Class::Throttled(k) => Some(k),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slowness_needs_both_a_ratio_and_an_absolute_gap() {
        assert!(!is_slow(8.0, 2.0)); // 4x but only 6 ms more
        assert!(is_slow(400.0, 2.0));
        assert!(!is_slow(1100.0, 300.0)); // bcrypt-slow endpoint, a bit slower
        assert!(is_slow(1300.0, 300.0));
        assert!(!is_slow(f64::NAN, 2.0));
    }
}
