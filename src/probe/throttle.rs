//! Volume probes with random, non-existent accounts: the spraying pattern (one password across
//! many accounts) and the one-account pattern (one account, many passwords). A throttle is a
//! throttled class (429, 423, 503, lockout text, captcha, a move to 403), a tarpit (answers far
//! slower than the endpoint's usual time, twice in a row) or dropped connections twice in a row.

use super::enumeration::EnumData;
use std::time::Instant;

use super::{Attempt, Client, Planned, ProbeError, Prober};
use crate::analysis::classify::{Class, ThrottleKind};
use crate::analysis::stats;
use crate::scan::Role;

/// Many-accounts attempts the spraying pattern reaches (enumeration attempts count towards it).
pub const SPRAY_ATTEMPTS: usize = 50;
/// Attempts of the one-account pattern.
pub const ONE_ACCOUNT_ATTEMPTS: usize = 25;
/// Many-account attempts the spraying burst makes at least, after the enumeration sample.
pub const SPRAY_EXTRA_MIN: usize = 10;
/// Fewest attempts of a volume pattern before its silence means anything (the rate-limit
/// checks decide on this too).
pub const MIN_VOLUME_ATTEMPTS: usize = 20;
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
    /// How the usual rejection changed when the throttle was a change (see [`super::change`]).
    pub change: Option<String>,
    /// Each wave of concurrent attempts that were all answered: its size and wall time in ms.
    pub waves: Vec<(usize, f64)>,
}

impl Burst {
    /// A burst of `pattern` with nothing sent yet, after `prior` attempts of the pattern.
    pub fn new(pattern: Pattern, prior: usize, account: Option<String>) -> Burst {
        Burst {
            pattern,
            attempts: Vec::new(),
            prior,
            throttled_at: None,
            kind: None,
            still_throttled: false,
            account,
            cut_short: None,
            change: None,
            waves: Vec::new(),
        }
    }

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
    /// The scan's fastest answer (about one round trip) when the volume probes ran.
    pub floor_ms: f64,
    /// A lasting change of the answers that keyhole could not classify as a throttle or not:
    /// the rate-limit checks cannot decide (see [`super::change`]).
    pub unclassified_change: Option<String>,
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

/// An endpoint whose usual rejection takes this long (a costly password hash, a delay) gets the
/// smaller volume plan: every attempt costs the server real work.
pub const SLOW_ENDPOINT_MS: f64 = 80.0;
/// From this usual time on, a delay that does not grow is reported as an observation with the
/// rate parallel attempts get through at.
pub const CONSTANT_DELAY_MS: f64 = 300.0;

/// A delay on every failure that does not grow.
#[derive(Debug, Clone, PartialEq)]
pub struct ConstantDelay {
    /// The usual time of a rejection.
    pub ms: f64,
    /// Failed sign-ins per second that waves of parallel attempts got through.
    pub parallel_per_s: f64,
    /// Failed sign-ins per second that one attempt at a time gets through.
    pub sequential_per_s: f64,
    /// The most attempts that were in flight together.
    pub width: usize,
}

impl ConstantDelay {
    /// Parallel attempts got through no faster than one at a time: the delay is per client
    /// (each failure waits for the one before), which limits the client like a throttle.
    pub fn serialised(&self) -> bool {
        self.width > 1 && self.parallel_per_s < 1.5 * self.sequential_per_s
    }

    pub fn summary(&self) -> String {
        if self.serialised() {
            format!(
                "every failed sign-in waits about {:.0} ms and parallel attempts from one client wait for each other ({:.1} per second with {} in flight, {:.1} one at a time): the delay limits each client",
                self.ms, self.parallel_per_s, self.width, self.sequential_per_s
            )
        } else {
            format!(
                "every failed sign-in waits about {:.0} ms, but the delay does not grow and is not per client: {} parallel attempts from one client got through at {:.1} per second ({:.1} one at a time)",
                self.ms, self.width, self.parallel_per_s, self.sequential_per_s
            )
        }
    }
}

impl ThrottleData {
    /// The constant delay seen, when the endpoint is that slow and nothing else throttled it.
    pub fn constant_delay(&self) -> Option<ConstantDelay> {
        let delay = self.base_ms - self.floor_ms;
        if delay.is_nan()
            || delay < CONSTANT_DELAY_MS
            || self.spray.throttled()
            || self.one.as_ref().is_some_and(Burst::throttled)
        {
            return None;
        }
        let waves: Vec<(usize, f64)> = self
            .spray
            .waves
            .iter()
            .chain(self.one.iter().flat_map(|b| b.waves.iter()))
            .copied()
            .collect();
        ConstantDelay::of_waves(delay, self.base_ms, &waves)
    }
}

impl ConstantDelay {
    /// What waves of parallel attempts (each: how many, and how long they took in all, ms)
    /// say about a delay of `delay_ms` on an endpoint whose usual rejection takes `base_ms`.
    pub fn of_waves(delay_ms: f64, base_ms: f64, waves: &[(usize, f64)]) -> Option<ConstantDelay> {
        let n: usize = waves.iter().map(|w| w.0).sum();
        let ms: f64 = waves.iter().map(|w| w.1).sum();
        let width = waves.iter().map(|w| w.0).max()?;
        (ms > 0.0 && base_ms > 0.0).then(|| ConstantDelay {
            ms: delay_ms,
            parallel_per_s: n as f64 * 1000.0 / ms,
            sequential_per_s: 1000.0 / base_ms,
            width,
        })
    }
}

impl Prober<'_> {
    /// Whether every answer of this endpoint is slow (measured before any volume probe).
    pub fn is_slow_endpoint(&self) -> bool {
        self.server_ms().is_some_and(|b| b >= SLOW_ENDPOINT_MS)
    }

    /// The endpoint's usual rejection time less the network's floor (the scan's fastest
    /// answer): the server's own time. 150 ms away, a fast sign-in is not a slow one.
    pub fn server_ms(&self) -> Option<f64> {
        let floor = self.scanner.engine.fastest_ms().unwrap_or(0.0);
        self.base_ms.map(|b| (b - floor).max(0.0))
    }

    /// Requests one attempt costs: a form with per-request tokens may need its page first.
    pub fn cost(&self) -> u32 {
        if self.surface.kind == crate::report::SurfaceKind::HtmlForm && self.surface.has_hidden {
            2
        } else {
            1
        }
    }

    /// About what a whole probe of this sign-in costs: the enumeration sample (26 random
    /// accounts and a dozen guesses), the volume patterns and the header-bypass probe.
    pub fn full_probe_cost(&self) -> u32 {
        let attempts = 40 + (SPRAY_ATTEMPTS - 40).max(SPRAY_EXTRA_MIN) + ONE_ACCOUNT_ATTEMPTS;
        BYPASS_RESERVE + self.cost() * attempts as u32
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
        let floor_ms = self.scanner.engine.fastest_ms().unwrap_or(0.0);
        let slow = self.is_slow_endpoint() || base_ms - floor_ms >= SLOW_ENDPOINT_MS;

        let mut spray = Burst::new(Pattern::Spray, earlier + enumeration.sequence.len(), None);
        if enumeration.expensive && enumeration.throttled.is_none() {
            // A server that takes one attempt at a time and makes each wait long already
            // limits every client to its pace, which the calibration wave measured: that is the
            // verdict (see `ConstantDelay`), and a burst would only cost a second an attempt.
            spray.waves.extend(enumeration.calibration);
            return ThrottleData {
                spray,
                one: None,
                base_ms,
                floor_ms,
                unclassified_change: None,
            };
        }
        match &enumeration.throttled {
            Some(t) if t.role == Role::Random => {
                spray.throttled_at = Some(spray.prior);
                spray.kind = throttle_kind(t);
                spray.still_throttled = true;
            }
            _ => {
                // A throttle on a repeated account may be per account: fresh accounts decide.
                // Where every attempt costs the server a slow hash, the enumeration sample's
                // back-to-back waves are already a burst of many accounts: only what the
                // decision needs is added.
                let (target, least) = if slow {
                    (MIN_VOLUME_ATTEMPTS, 0)
                } else {
                    (SPRAY_ATTEMPTS, SPRAY_EXTRA_MIN)
                };
                let budget = if enumeration.throttled.is_some() {
                    // keep going as a full spray burst, the repeated-account throttle aside
                    target.max(spray.prior + 4) - spray.prior
                } else {
                    target.saturating_sub(spray.prior).max(least)
                };
                let reserve = BYPASS_RESERVE + self.cost() * ONE_ACCOUNT_ATTEMPTS as u32;
                self.run_burst(client, &mut spray, budget, reserve, base_ms, || {
                    self.scanner.random_account(id)
                })
                .await;
            }
        }
        // A throttle that keeps the usual status shows as a change from the random accounts'
        // first rejections.
        let reference = super::change::Reference::of(&EnumData::usable(&enumeration.random));
        let mut unclassified_change = super::change::apply(&mut spray, &reference);

        let one = if spray.throttled() {
            None
        } else {
            // On a slow endpoint the control account (a random account the sample already tried
            // up to three times) goes on as the one account: its attempts count.
            let control = enumeration
                .control
                .first()
                .map(|a| a.account.clone())
                .filter(|_| slow);
            let account = self
                .scanner
                .cfg
                .username
                .clone()
                .or_else(|| control.clone())
                .unwrap_or_else(|| self.scanner.random_account(id));
            let prior = if control.as_ref() == Some(&account) {
                enumeration.control.len()
            } else {
                0
            };
            let mut one = Burst::new(Pattern::OneAccount, prior, Some(account.clone()));
            // Reuse the client: a per-client throttle must see the same client.
            // The tester's own account answers as an existing account does: it may pay a slow
            // password hash random accounts do not, and say "wrong password" where they get
            // "no such user". Its answers are judged by its own first ones, or every one would
            // look like a growing delay or a change.
            let owned_burst = self.scanner.cfg.username.as_deref() == Some(account.as_str());
            let own: Vec<&Attempt> = if owned_burst {
                EnumData::usable(enumeration.candidate_attempts(&account))
            } else {
                Vec::new()
            };
            let own_ms: Vec<f64> = own.iter().map(|a| a.ms).collect();
            let one_base = stats::median(&own_ms).map_or(base_ms, |m| m.max(base_ms));
            let attempts = if slow {
                MIN_VOLUME_ATTEMPTS
            } else {
                ONE_ACCOUNT_ATTEMPTS
            }
            .saturating_sub(prior);
            self.run_burst(client, &mut one, attempts, BYPASS_RESERVE, one_base, || {
                account.clone()
            })
            .await;
            let one_reference = if !own.is_empty() {
                super::change::Reference::of(&own)
            } else if owned_burst {
                // Not sampled before (the budget went elsewhere): its own first answers are
                // the reference, and only a later change counts.
                super::change::Reference::of(&one.attempts.iter().take(2).collect::<Vec<_>>())
            } else {
                reference.clone()
            };
            if let Some(why) = super::change::apply(&mut one, &one_reference) {
                unclassified_change.get_or_insert(why);
            }
            if one.throttled() {
                // Was that the account's lockout, or a per-client limit that the one-account
                // attempts merely pushed over its threshold? Fresh accounts tell: if they are
                // throttled too, spraying is throttled as well.
                self.run_burst(client, &mut spray, 2, BYPASS_RESERVE, base_ms, || {
                    self.scanner.random_account(id)
                })
                .await;
                super::change::apply(&mut spray, &reference);
            }
            Some(one)
        };
        ThrottleData {
            spray,
            one,
            base_ms,
            floor_ms,
            unclassified_change,
        }
    }

    /// After a wave whose median time was `wave_ms`: was it slow because of a growing delay (a
    /// tarpit, a throttle) or only because its attempts contended with each other? A wave far
    /// slower than the endpoint's usual time is followed by attempts alone, at most two: when
    /// both are far slower too, the delay is the server's (they come back marked
    /// [`ThrottleKind::Tarpit`] and the second return value is true); when one is not, the
    /// wave's time is remembered as the contention level, which later waves are judged by.
    pub async fn tell_delay(
        &self,
        client: &mut Client,
        wave_ms: Option<f64>,
        base_ms: f64,
        role: Role,
        reserve: u32,
        next_account: &mut (dyn FnMut() -> String + Send),
    ) -> (Vec<Attempt>, bool, Option<ProbeError>) {
        let mut alone = Vec::new();
        let Some(wave_ms) = wave_ms else {
            return (alone, false, None);
        };
        if !is_slow(wave_ms, client.contended_ms.unwrap_or(base_ms)) {
            return (alone, false, None);
        }
        for _ in 0..2 {
            if self.affordable(1, reserve) == 0 {
                break;
            }
            let mut a = match self.attempt(client, &next_account(), role, &[]).await {
                Ok(a) => a,
                Err(e) => return (alone, false, Some(e)),
            };
            let slow = mark_tarpit(&mut a, base_ms);
            let answered = a.response.is_some();
            alone.push(a);
            if !slow {
                if answered {
                    client.contended_ms = Some(wave_ms);
                }
                return (alone, false, None);
            }
        }
        let tarpit = alone.len() == 2;
        (alone, tarpit, None)
    }

    /// Send up to `max` attempts of a pattern in waves of concurrent attempts. A limiter counts
    /// requests whatever their order, so a wave trips it just as a sequence does. A wave that is
    /// far slower than the endpoint's usual time is followed by one attempt alone: contention
    /// from the wave itself slows a wave, a growing delay (a tarpit) slows the lone attempt too.
    async fn run_burst(
        &self,
        client: &mut Client,
        burst: &mut Burst,
        max: usize,
        reserve: u32,
        base_ms: f64,
        mut next_account: impl FnMut() -> String + Send,
    ) {
        let role = if burst.pattern == Pattern::OneAccount
            && self.scanner.cfg.username.as_deref() == burst.account.as_deref()
        {
            Role::Owned
        } else {
            Role::Random
        };
        let mut consecutive = 0;
        let mut sent = 0;
        while sent < max {
            let width = self.affordable(self.wave_width().min(max - sent), reserve);
            if width == 0 {
                burst.cut_short = Some(format!(
                    "stopped after {} attempts to stay within --max-requests",
                    burst.total()
                ));
                break;
            }
            let planned: Vec<Planned> = (0..width).map(|_| (next_account(), role)).collect();
            let started = Instant::now();
            let results = self.wave(client, &planned, &[]).await;
            let mut times = Vec::new();
            let mut end = false;
            for result in results {
                match result {
                    Ok(a) => {
                        sent += 1;
                        if !a.is_throttled() && a.ms.is_finite() {
                            times.push(a.ms);
                        }
                        end |= record(burst, a, &mut consecutive);
                    }
                    Err(e) => {
                        burst.cut_short =
                            Some(format!("stopped after {} attempts: {e}", burst.total()));
                        end = true;
                    }
                }
            }
            if width > 1 && times.len() == width {
                burst
                    .waves
                    .push((width, started.elapsed().as_secs_f64() * 1000.0));
            }
            if end {
                break;
            }
            if sent >= max {
                break;
            }
            let (alone, tarpit, err) = self
                .tell_delay(
                    client,
                    stats::median(&times),
                    base_ms,
                    role,
                    reserve,
                    &mut next_account,
                )
                .await;
            sent += alone.len();
            let first_alone = burst.attempts.len();
            if tarpit {
                burst.attempts.extend(alone);
                burst.throttled_at = Some(burst.prior + first_alone + 1);
                burst.kind = Some(ThrottleKind::Tarpit);
                burst.still_throttled = true;
                break;
            }
            let mut end = false;
            for a in alone {
                end |= record(burst, a, &mut consecutive);
            }
            if let Some(e) = err {
                burst.cut_short = Some(format!("stopped after {} attempts: {e}", burst.total()));
                break;
            }
            if end {
                break;
            }
        }
    }
}

/// Add one attempt to a burst in the order sent; true when the burst must end (the client is
/// throttled now: two throttled answers in a row). A dropped connection counts only when it
/// repeats.
fn record(burst: &mut Burst, a: Attempt, consecutive: &mut usize) -> bool {
    let throttled = a.is_throttled();
    let soft = matches!(
        a.class,
        Class::Throttled(ThrottleKind::Tarpit) | Class::Throttled(ThrottleKind::Dropped)
    );
    burst.attempts.push(a);
    if !throttled {
        *consecutive = 0;
        return false;
    }
    *consecutive += 1;
    if !soft || *consecutive >= 2 {
        if burst.throttled_at.is_none() {
            burst.throttled_at = Some(burst.total() + 1 - *consecutive);
            burst.kind = burst.attempts.last().and_then(throttle_kind);
        }
        if *consecutive >= 2 {
            burst.still_throttled = true;
            return true;
        }
    }
    false
}

/// Mark an ordinary answer far slower than `base_ms` as a tarpit's; true when it was.
pub fn mark_tarpit(a: &mut Attempt, base_ms: f64) -> bool {
    let slow = !a.is_throttled() && is_slow(a.ms, base_ms);
    if slow {
        a.class = Class::Throttled(ThrottleKind::Tarpit);
    }
    slow
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
    fn a_constant_delay_that_parallel_attempts_pass_is_not_a_throttle() {
        let open = ConstantDelay {
            ms: 1000.0,
            parallel_per_s: 6.2,
            sequential_per_s: 1.0,
            width: 8,
        };
        assert!(!open.serialised());
        assert!(
            open.summary().contains("not per client"),
            "{}",
            open.summary()
        );
        let serial = ConstantDelay {
            parallel_per_s: 1.1,
            ..open.clone()
        };
        assert!(serial.serialised());
        assert!(serial.summary().contains("limits each client"));
        let one_lane = ConstantDelay { width: 1, ..serial };
        assert!(!one_lane.serialised(), "one attempt at a time says nothing");
    }

    fn burst() -> Burst {
        Burst::new(Pattern::Spray, 10, None)
    }

    #[test]
    fn two_throttled_answers_in_a_row_end_a_burst_at_the_first() {
        let mut b = burst();
        let mut n = 0;
        let ok = Attempt::synthetic("a", Role::Random, 1.0, Some(1));
        let mut limited = ok.clone();
        limited.class = Class::Throttled(ThrottleKind::TooManyRequests);
        assert!(!record(&mut b, ok.clone(), &mut n));
        assert!(!record(&mut b, limited.clone(), &mut n));
        assert_eq!(b.throttled_at, Some(12));
        assert!(record(&mut b, limited, &mut n));
        assert!(b.still_throttled);
        // A single dropped connection is not a throttle; two in a row are.
        let mut b = burst();
        let mut n = 0;
        let mut dropped = ok.clone();
        dropped.class = Class::Throttled(ThrottleKind::Dropped);
        assert!(!record(&mut b, dropped.clone(), &mut n));
        assert!(!record(&mut b, ok, &mut n));
        assert_eq!(b.throttled_at, None);
        assert!(!record(&mut b, dropped.clone(), &mut n));
        assert!(record(&mut b, dropped, &mut n));
        assert_eq!(b.throttled_at, Some(13));
    }

    #[test]
    fn slowness_needs_both_a_ratio_and_an_absolute_gap() {
        assert!(!is_slow(8.0, 2.0)); // 4x but only 6 ms more
        assert!(is_slow(400.0, 2.0));
        assert!(!is_slow(1100.0, 300.0)); // bcrypt-slow endpoint, a bit slower
        assert!(is_slow(1300.0, 300.0));
        assert!(!is_slow(f64::NAN, 2.0));
    }
}
