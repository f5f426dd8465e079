//! Probes of the account flows beyond sign-in, beside the sign-in probes: the password-reset
//! sample (random identifiers, a repeated random control, and the tester's own account at most
//! 3 times), the registration sample (one probe per guessed identifier, never completing), and
//! the lockout test on the tester's account (at most 3 sign-ins with the real password).

use rand::seq::SliceRandom;

use super::{Attempt, Client, ProbeError, Prober};
use crate::analysis::classify::Class;
use crate::config::Secret;
use crate::http::Response;
use crate::scan::Role;

/// Most requests one reset endpoint gets in a scan, confirmation included (SPEC: volume probes
/// on a reset endpoint stay under 30 requests).
pub const MAX_RESET_REQUESTS: usize = 27;
/// Times the owned account and the random control are each asked for a reset.
pub const OWNED_RESETS: usize = 3;
/// Random identifiers asked one at a time beside them, for the timing comparison.
pub const RESET_TIMING_POOL: usize = 8;

/// What the reset sample saw.
#[derive(Debug, Default)]
pub struct ResetData {
    /// Every answer for a fresh random identifier (confirmation included), in order sent.
    pub randoms: Vec<Attempt>,
    /// The random identifiers sent one at a time, beside the owned account (the timing pool).
    pub pool: Vec<Attempt>,
    /// One random identifier asked as often as the owned account (the A/A control).
    pub control: Vec<Attempt>,
    /// The tester's own account.
    pub owned: Vec<Attempt>,
    /// Reset requests sent to the endpoint in all (confirmation included).
    pub sent: usize,
    /// The first throttled answer and how many requests had been sent by then.
    pub throttled: Option<(usize, Attempt)>,
    /// Why the sample stopped early (budget, deadline), if it did.
    pub stopped: Option<String>,
}

impl ResetData {
    /// Every answer, in no particular order.
    pub fn all(&self) -> impl Iterator<Item = &Attempt> {
        self.randoms
            .iter()
            .chain(self.control.iter())
            .chain(self.owned.iter())
    }
}

/// What the registration sample saw.
#[derive(Debug, Default)]
pub struct RegistrationData {
    /// Answers for random identifiers (confirmation included).
    pub randoms: Vec<Attempt>,
    /// One answer per guessed identifier and for the owned account.
    pub candidates: Vec<Attempt>,
    /// A probe that was accepted: the identifier now has an account.
    pub created: Option<Attempt>,
    pub stopped: Option<String>,
}

/// What the lockout test saw on the owned account.
#[derive(Debug, Default)]
pub struct LockoutData {
    /// Why the test did not run or could not finish.
    pub not_run: Option<String>,
    /// The first sign-in with the real password (request scrubbed).
    pub success: Option<Attempt>,
    /// The failed sign-ins on the owned account, in order.
    pub failures: Vec<Attempt>,
    /// The failure (1-based) whose answer first differed from an ordinary rejection.
    pub changed_at: Option<usize>,
    /// The real password from a fresh client after the failures.
    pub after: Option<Attempt>,
    /// A random account from a fresh client after the failures (is the address throttled?).
    pub random_after: Option<Attempt>,
    /// The last real-password sign-in, to see whether the account was left locked.
    pub last: Option<Attempt>,
    /// Whether the account refused its correct password after the failures.
    pub locked: bool,
    /// Whether the account still refused its password at the end of the test.
    pub left_locked: bool,
    /// When the lock should lift, in seconds after the test, when the target said.
    pub duration_s: Option<u64>,
    pub checked_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Most failed sign-ins the lockout test sends on the owned account.
pub const LOCKOUT_FAILURES: usize = 8;
/// Longest wait for a short lock to lift before the last real-password sign-in.
pub const LOCKOUT_WAIT_S: u64 = 20;

impl Prober<'_> {
    /// The reset sample: random identifiers in waves (the volume part), and with `--username`
    /// the owned account, a random control and a pool of random identifiers one at a time, in
    /// a shuffled order. Never a guessed identifier.
    pub async fn sample_reset(&self, client: &mut Client, confirmation: &[Attempt]) -> ResetData {
        let mut data = ResetData {
            randoms: confirmation
                .iter()
                .filter(|a| !a.account.is_empty())
                .cloned()
                .collect(),
            sent: confirmation.len(),
            ..ResetData::default()
        };
        let id = self.identifier();
        let owned = self.scanner.cfg.username.clone().filter(|u| fits(u, id));
        // One at a time: the owned account, the control, the pool, shuffled.
        if let Some(me) = &owned {
            let control = self.scanner.random_account(id);
            let mut plan: Vec<(String, Role)> = Vec::new();
            for _ in 0..OWNED_RESETS {
                plan.push((me.clone(), Role::Owned));
                plan.push((control.clone(), Role::Control));
            }
            for _ in 0..RESET_TIMING_POOL {
                plan.push((self.scanner.random_account(id), Role::Random));
            }
            plan.shuffle(&mut rand::thread_rng());
            for (account, role) in plan {
                if data.sent >= MAX_RESET_REQUESTS || data.throttled.is_some() {
                    break;
                }
                if self.affordable(1, 0) == 0 {
                    data.stopped = Some("the request budget ran out".into());
                    break;
                }
                match self.attempt(client, &account, role, &[]).await {
                    Ok(a) => {
                        data.sent += 1;
                        if a.is_throttled() {
                            data.throttled = Some((data.sent, a.clone()));
                        }
                        match role {
                            Role::Owned => data.owned.push(a),
                            Role::Control => data.control.push(a),
                            _ => {
                                data.pool.push(a.clone());
                                data.randoms.push(a);
                            }
                        }
                    }
                    Err(e) => {
                        data.stopped = Some(stop_reason(&e));
                        break;
                    }
                }
            }
        }
        // The volume part: the rest of the requests, random identifiers in waves.
        let width = self.wave_width();
        while data.sent < MAX_RESET_REQUESTS && data.throttled.is_none() && data.stopped.is_none() {
            let n = self.affordable(width.min(MAX_RESET_REQUESTS - data.sent), 0);
            if n == 0 {
                data.stopped = Some("the request budget ran out".into());
                break;
            }
            let planned: Vec<(String, Role)> = (0..n)
                .map(|_| (self.scanner.random_account(id), Role::Random))
                .collect();
            for r in self.wave(client, &planned, &[]).await {
                match r {
                    Ok(a) => {
                        data.sent += 1;
                        if a.is_throttled() && data.throttled.is_none() {
                            data.throttled = Some((data.sent, a.clone()));
                        }
                        data.randoms.push(a);
                    }
                    Err(e) => {
                        data.stopped.get_or_insert_with(|| stop_reason(&e));
                    }
                }
            }
        }
        data
    }

    /// The registration sample: each guessed identifier and the owned account once, then one
    /// more random identifier, one at a time; stops at the first probe that was accepted.
    pub async fn sample_registration(
        &self,
        client: &mut Client,
        confirmation: &[Attempt],
        guesses: &[String],
    ) -> RegistrationData {
        let mut data = RegistrationData {
            randoms: confirmation.to_vec(),
            ..RegistrationData::default()
        };
        let owned = self.scanner.cfg.username.clone();
        let mut plan: Vec<(String, Role)> = guesses
            .iter()
            .map(|g| {
                let role = if owned.as_deref() == Some(g.as_str()) {
                    Role::Owned
                } else {
                    Role::Candidate
                };
                (g.clone(), role)
            })
            .collect();
        let at = rand::random::<usize>() % (plan.len() + 1);
        plan.insert(
            at,
            (self.scanner.random_account(self.identifier()), Role::Random),
        );
        for (account, role) in plan {
            if self.affordable(1, 0) == 0 {
                data.stopped = Some("the request budget ran out".into());
                break;
            }
            match self.attempt(client, &account, role, &[]).await {
                Ok(a) => {
                    let made = a
                        .response
                        .as_ref()
                        .is_some_and(|r| crate::discover::flows::looks_created(r, self.surface));
                    if made {
                        data.created = Some(a);
                        break;
                    }
                    if role == Role::Random {
                        data.randoms.push(a);
                    } else {
                        data.candidates.push(a);
                    }
                }
                Err(ProbeError::Safety(_)) => continue,
                Err(e) => {
                    data.stopped = Some(stop_reason(&e));
                    break;
                }
            }
        }
        data
    }

    /// The lockout test on the owned account (`--username` with `--password-env`): sign in
    /// once with the real password (what success looks like), fail on the account from one
    /// client until its answer changes, then ask with a random account from a fresh client (a
    /// limit on the address refuses that too, and then nothing more is learned), then the real
    /// password from a fresh client; after a short lock, the real password once more to see
    /// whether it lifted. It runs before any other probe of the sign-in, so that no earlier
    /// failure counts against it.
    pub async fn test_lockout(&self, password: &Secret) -> LockoutData {
        let mut data = LockoutData::default();
        let Some(me) = self.scanner.cfg.username.clone() else {
            data.not_run = Some("needs --username".into());
            return data;
        };
        let mut fresh = Client::new();
        let first = match self.sign_in_real(&mut fresh, &me, password).await {
            Ok(a) => a,
            Err(e) => {
                data.not_run = Some(stop_reason(&e));
                return data;
            }
        };
        match first.class {
            Class::Rejected => {
                data.not_run = Some(format!(
                    "the password from --password-env did not sign {me} in (it got the ordinary rejection, {}); check the account and the variable",
                    first.status().unwrap_or(0)
                ));
                data.success = Some(first);
                return data;
            }
            c if c.is_throttled() => {
                data.not_run = Some(format!(
                    "the first sign-in with the real password was refused as throttled ({}): the account or this address is locked already",
                    first.status().unwrap_or(0)
                ));
                data.success = Some(first);
                return data;
            }
            _ => {}
        }
        data.success = Some(first);
        // Failures on the owned account from one client, until the answer changes.
        let mut client = Client::new();
        let rejection = self.model.as_ref().map(|m| m.rejection.clone());
        for i in 0..LOCKOUT_FAILURES {
            if self.affordable(1, 0) == 0 {
                data.not_run = Some("the request budget ran out during the lockout test".into());
                return data;
            }
            let a = match self.attempt(&mut client, &me, Role::Owned, &[]).await {
                Ok(a) => a,
                Err(e) => {
                    data.not_run = Some(stop_reason(&e));
                    return data;
                }
            };
            let changed = a.is_throttled()
                || a.response
                    .as_ref()
                    .zip(rejection.as_ref())
                    .is_some_and(|(r, sig)| !sig.matches(r));
            data.failures.push(a);
            if changed {
                data.changed_at = Some(i + 1);
                break;
            }
        }
        // Is the address blocked now (a limit on this client, not the account)? A random
        // account from a fresh client tells, before the real password is tried again.
        // (Only needed when the failures' answers changed: an address limit shows there.)
        if data.changed_at.is_some() {
            let mut other = Client::new();
            let random = self.scanner.random_account(self.identifier());
            if let Ok(a) = self.attempt(&mut other, &random, Role::Random, &[]).await {
                let address_blocked = a.is_throttled();
                data.random_after = Some(a);
                if address_blocked {
                    data.checked_at = Some(chrono::Utc::now());
                    return data;
                }
            }
        }
        let mut fresh = Client::new();
        let after = match self.sign_in_real(&mut fresh, &me, password).await {
            Ok(a) => a,
            Err(e) => {
                data.not_run = Some(stop_reason(&e));
                return data;
            }
        };
        let success_sig = data
            .success
            .as_ref()
            .and_then(|s| s.response.as_ref())
            .map(crate::analysis::classify::Signature::of);
        let refused = after.class == Class::Rejected
            || after.is_throttled()
            || after
                .response
                .as_ref()
                .zip(success_sig.as_ref())
                .is_some_and(|(r, sig)| !sig.matches(r));
        data.after = Some(after);
        data.checked_at = Some(chrono::Utc::now());
        if !refused {
            return data;
        }
        data.locked = true;
        data.left_locked = true;
        data.duration_s = data
            .failures
            .last()
            .and_then(|a| a.response.as_ref())
            .and_then(lock_duration_s)
            .or_else(|| {
                data.after
                    .as_ref()
                    .and_then(|a| a.response.as_ref())
                    .and_then(lock_duration_s)
            });
        // A short lock: wait for it and look once more (the third and last real sign-in).
        if let Some(s) = data.duration_s.filter(|s| {
            *s <= LOCKOUT_WAIT_S && self.scanner.engine.time_left().as_secs_f64() > *s as f64 + 10.0
        }) {
            tokio::time::sleep(std::time::Duration::from_secs(s + 1)).await;
            let mut fresh = Client::new();
            if let Ok(last) = self.sign_in_real(&mut fresh, &me, password).await {
                data.left_locked = last.class == Class::Rejected || last.is_throttled();
                data.last = Some(last);
                data.checked_at = Some(chrono::Utc::now());
            }
        }
        data
    }

    /// One sign-in of the owned account with its real password. The attempt kept has the
    /// password replaced in its request, so no evidence, log or report can carry it.
    async fn sign_in_real(
        &self,
        client: &mut Client,
        account: &str,
        password: &Secret,
    ) -> Result<Attempt, ProbeError> {
        self.scanner.charge_real_sign_in()?;
        if self.surface.kind == crate::report::SurfaceKind::Digest {
            return Err(ProbeError::NoChallenge);
        }
        let hidden = self.hidden_fields(client).await?;
        let mut req = self
            .surface
            .attempt_request(account, password.expose(), &hidden);
        if let Some(cookies) = client.jar.header_for(&req.url) {
            for (h, v) in crate::surface::csrf_headers(&cookies) {
                if !req.headers.iter().any(|(k, _)| k.eq_ignore_ascii_case(&h)) {
                    req.headers.push((h, v));
                }
            }
        }
        let shown = self
            .surface
            .attempt_request(account, crate::report::REDACTED, &hidden);
        let mut a = self
            .send(client, req, account, password.expose(), Role::Owned)
            .await?;
        a.request = shown;
        a.password = String::new();
        Ok(a)
    }
}

/// Whether the tester's account fits an identifier field: an e-mail field takes only addresses.
pub fn fits(account: &str, id: crate::surface::Identifier) -> bool {
    !id.is_email() || account.contains('@')
}

fn stop_reason(e: &ProbeError) -> String {
    if e.is_exhaustion() {
        format!("{e}")
    } else {
        format!("a request failed: {e}")
    }
}

/// Seconds a Retry-After header asks for.
pub fn retry_after_s(r: &Response) -> Option<u64> {
    r.header("retry-after")?.trim().parse::<u64>().ok()
}

/// How long a lockout answer says it lasts: Retry-After, or "try again in 15 minutes".
pub fn lock_duration_s(r: &Response) -> Option<u64> {
    if let Some(s) = retry_after_s(r) {
        return Some(s);
    }
    static RE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"(?i)(\d{1,5})\s*(seconds?|secs?|s\b|minutes?|mins?|hours?|hrs?)")
            .expect("valid regex")
    });
    let text = r.text();
    let c = RE.captures(&text)?;
    let n: u64 = c.get(1)?.as_str().parse().ok()?;
    let unit = c.get(2)?.as_str().to_ascii_lowercase();
    Some(if unit.starts_with('h') {
        n * 3600
    } else if unit.starts_with('m') {
        n * 60
    } else {
        n
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_durations_are_read_from_the_answer() {
        let r = Response::synthetic(423, &[("retry-after", "900")], "locked");
        assert_eq!(lock_duration_s(&r), Some(900));
        let r = Response::synthetic(
            200,
            &[],
            "Too many failed attempts. Try again in 10 minutes.",
        );
        assert_eq!(lock_duration_s(&r), Some(600));
        let r = Response::synthetic(401, &[], "Invalid username or password");
        assert_eq!(lock_duration_s(&r), None);
    }
}
