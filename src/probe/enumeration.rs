//! The enumeration sample: guessed candidate accounts interleaved with fresh random accounts and
//! one repeated random account (the A/A control), taken before any volume probe can trip a limit.
//!
//! Stage 1 tries every candidate once among random accounts; stage 2 gives the candidates that
//! stood out (by response or time) two more attempts, so no possibly-real account ever gets more
//! than 3. Power comes from the random side, which is safe to sample.

use rand::seq::SliceRandom;

use super::{Attempt, Client, Planned, ProbeError, Prober};
use crate::analysis::classify::{Class, ThrottleKind};
use crate::analysis::stats;
use crate::scan::Role;

/// Default guesses for accounts that exist on many systems.
pub const DEFAULT_CANDIDATES: &[&str] = &[
    "admin",
    "administrator",
    "root",
    "test",
    "user",
    "alice",
    "demo",
    "guest",
    "bob",
    "support",
];

/// Attempts of the enumeration sample in flight together: at most half of them accounts under
/// test (candidates, the control), the rest random accounts. The random accounts that shared a
/// wave with a candidate are volume, not timing samples (a server that takes one request at a
/// time delays a slow candidate's whole wave).
const ENUM_WAVE: usize = 4;
/// Smallest gap between the two answers of a pair that shows a one-at-a-time server.
const SERIAL_MIN_MS: f64 = 5.0;

/// Candidates tried on an endpoint whose every answer is slow (a costly password hash).
const SLOW_CANDIDATES: usize = 6;

/// Candidates that get stage-2 attempts at most.
const MAX_SUSPECTS: usize = 4;

#[derive(Debug, Clone, Default)]
pub struct EnumData {
    /// Fresh random accounts, one attempt each.
    pub random: Vec<Attempt>,
    /// The control account's attempts (one random account, repeated like a candidate).
    pub control: Vec<Attempt>,
    /// Each candidate with its attempts.
    pub candidates: Vec<(String, Vec<Attempt>)>,
    /// Every attempt in the order sent.
    pub sequence: Vec<Attempt>,
    /// The first throttled attempt on a random or control account, which ended the sample.
    pub throttled: Option<Attempt>,
    /// Candidates met by a throttle or lockout while the sample went on (their last attempt).
    pub locked: Vec<Attempt>,
    /// Why sampling ended before its plan (budget, deadline, throttle).
    pub cut_short: Option<String>,
    /// The server takes one request at a time (seen in this first wave): the sample went on
    /// one attempt at a time.
    pub serial: Option<u32>,
    /// The first wave was judged for that.
    pub calibrated: bool,
}

impl EnumData {
    pub fn candidate_attempts(&self, name: &str) -> &[Attempt] {
        self.candidates
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, a)| a.as_slice())
            .unwrap_or(&[])
    }

    /// The random accounts' usable attempts that timing may compare with: those whose wave held
    /// no candidate (a candidate that exists may have delayed its whole wave).
    pub fn timing_pool(&self) -> Vec<&Attempt> {
        let tainted: std::collections::HashSet<u32> = self
            .sequence
            .iter()
            .filter(|a| matches!(a.role, Role::Candidate | Role::Owned))
            .filter_map(|a| a.wave)
            .collect();
        EnumData::usable(&self.random)
            .into_iter()
            .filter(|a| {
                a.wave
                    .is_none_or(|w| !tainted.contains(&w) && Some(w) != self.serial)
            })
            .collect()
    }

    /// Usable (not throttled, answered) attempts of a set.
    pub fn usable(attempts: &[Attempt]) -> Vec<&Attempt> {
        attempts
            .iter()
            .filter(|a| a.response.is_some() && !a.is_throttled())
            .collect()
    }
}

/// Candidate usernames for a surface: the tester's own first, then accounts the API itself
/// mentions (OpenAPI examples), then the defaults, shaped as the endpoint's identifier: e-mail
/// addresses at the target's own registrable domain when its host has one (and at example.com,
/// which real default setups use), none for phone numbers.
pub fn candidates(
    owned: Option<&str>,
    examples: &[String],
    id: crate::surface::Identifier,
    host: &str,
) -> Vec<String> {
    use crate::surface::Identifier;
    let mut out: Vec<String> = Vec::new();
    let mut push = |s: String| {
        if !s.is_empty() && !out.contains(&s) {
            out.push(s);
        }
    };
    if let Some(o) = owned {
        push(o.to_string());
    }
    let email = id.is_email();
    for e in examples {
        if e.contains('@') == email && id != Identifier::Phone {
            push(e.clone());
        }
    }
    match id {
        Identifier::Phone => {}
        Identifier::Username => {
            for c in DEFAULT_CANDIDATES {
                push(c.to_string());
            }
        }
        Identifier::Email { .. } => {
            let own = registrable_domain(host);
            for c in DEFAULT_CANDIDATES {
                if let Some(d) = &own {
                    push(format!("{c}@{d}"));
                }
                push(format!("{c}@example.com"));
            }
        }
    }
    out.truncate(12);
    out
}

/// The registrable domain of a host name (`api.shop.example.co.uk` → `example.co.uk`), or None
/// for IP addresses, single labels such as `localhost`, and reserved test names. A short public
/// suffix under a two-letter country code (`co.uk`, `com.au`) counts as one label.
pub fn registrable_domain(host: &str) -> Option<String> {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if host.parse::<std::net::IpAddr>().is_ok() || host.starts_with('[') {
        return None;
    }
    let labels: Vec<&str> = host.split('.').filter(|l| !l.is_empty()).collect();
    if labels.len() < 2 {
        return None;
    }
    let tld = labels[labels.len() - 1];
    if [
        "localhost",
        "invalid",
        "test",
        "local",
        "internal",
        "example",
    ]
    .contains(&tld)
    {
        return None;
    }
    let second = labels[labels.len() - 2];
    let take = if tld.len() == 2
        && labels.len() >= 3
        && [
            "co", "com", "net", "org", "ac", "gov", "edu", "or", "ne", "go",
        ]
        .contains(&second)
    {
        3
    } else {
        2
    };
    if labels.len() < take {
        return None;
    }
    Some(labels[labels.len() - take..].join("."))
}

enum Item {
    Random,
    Control,
    Candidate(String),
}

impl Prober<'_> {
    /// Take the enumeration sample. `reserve` requests are left for the probes that follow.
    pub async fn sample_enumeration(
        &self,
        client: &mut Client,
        candidates: &[String],
        reserve: u32,
    ) -> EnumData {
        let id = self.identifier();
        let owned = self.scanner.cfg.username.clone();
        let control_name = self.scanner.random_account(id);
        let mut data = EnumData {
            candidates: candidates.iter().map(|c| (c.clone(), Vec::new())).collect(),
            ..Default::default()
        };

        // An endpoint that hashes every attempt slowly gets fewer, better-placed samples: fewer
        // guesses, so that the Holm correction over them needs fewer random accounts.
        let slow = self.is_slow_endpoint();
        let (candidates, pool) = if slow {
            (&candidates[..candidates.len().min(SLOW_CANDIDATES)], 14)
        } else {
            (candidates, 20)
        };
        // A partner for every account under test, and the pool the timing check compares with.
        let randoms = candidates.len() + 1 + pool;
        data.candidates.truncate(candidates.len());

        // Stage 1: every candidate once, the control once, random accounts.
        let mut plan: Vec<Item> = candidates.iter().cloned().map(Item::Candidate).collect();
        plan.push(Item::Control);
        plan.extend((0..randoms).map(|_| Item::Random));
        plan.shuffle(&mut rand::thread_rng());
        // Start with a wave of random accounts alone: the calibration of the sample.
        for _ in 0..ENUM_WAVE.min(self.wave_width()) {
            plan.insert(0, Item::Random);
        }
        if !self
            .run_plan(
                client,
                plan,
                &control_name,
                owned.as_deref(),
                reserve,
                &mut data,
            )
            .await
        {
            return data;
        }

        // Stage 2: two more attempts for the candidates that stood out, the control, randoms.
        // Without a suspect there is nothing to confirm: the volume probes take over.
        let suspects = self.suspects(&data, owned.as_deref());
        if suspects.is_empty() {
            return data;
        }
        let mut plan: Vec<Item> = Vec::new();
        for s in &suspects {
            plan.push(Item::Candidate(s.clone()));
            plan.push(Item::Candidate(s.clone()));
        }
        plan.push(Item::Control);
        plan.push(Item::Control);
        let more = if slow { 6 } else { 10 };
        let partners = 2 * suspects.len() + 2;
        plan.extend((0..(partners + more + 3 * suspects.len())).map(|_| Item::Random));
        plan.shuffle(&mut rand::thread_rng());
        self.run_plan(
            client,
            plan,
            &control_name,
            owned.as_deref(),
            reserve,
            &mut data,
        )
        .await;
        data
    }

    /// Run a plan, a wave of attempts at a time; false when sampling must end (throttle, budget,
    /// deadline). The plan is shuffled, so every wave mixes random accounts, candidates and the
    /// control alike, and whatever the server's contention does to one wave it does to all three.
    async fn run_plan(
        &self,
        client: &mut Client,
        plan: Vec<Item>,
        control_name: &str,
        owned: Option<&str>,
        reserve: u32,
        data: &mut EnumData,
    ) -> bool {
        let id = self.identifier();
        let mut items = plan.into_iter().peekable();
        let mut deferred: std::collections::VecDeque<Item> = std::collections::VecDeque::new();
        while items.peek().is_some() || !deferred.is_empty() {
            let width = if data.serial.is_some() {
                1
            } else {
                self.wave_width().min(ENUM_WAVE)
            };
            let room = self.affordable(width, reserve);
            if room == 0 {
                data.cut_short =
                    Some("the request budget was kept for the throttling probes".into());
                return false;
            }
            // The next wave: skip candidates that may not be tried again, and put at most one
            // account under test (a candidate or the control) in a wave, with random accounts.
            // On a server that takes one request at a time, an existing account's slow hash
            // delays its whole wave: only one account can have caused it.
            let mut wave: Vec<(Item, String, Role)> = Vec::new();
            let mut later: Vec<Item> = Vec::new();
            while wave.len() < room {
                let Some(item) = deferred.pop_front().or_else(|| items.next()) else {
                    break;
                };
                let subjects = wave
                    .iter()
                    .filter(|(i, _, _)| !matches!(i, Item::Random))
                    .count();
                let repeat = match &item {
                    Item::Control => wave.iter().any(|(i, _, _)| matches!(i, Item::Control)),
                    Item::Candidate(c) => wave.iter().any(|(_, n, _)| n == c),
                    Item::Random => false,
                };
                if !matches!(item, Item::Random) && (repeat || subjects >= (room / 2).max(1)) {
                    later.push(item);
                    continue;
                }
                let (name, role) = match &item {
                    Item::Random => (self.scanner.random_account(id), Role::Random),
                    Item::Control => (control_name.to_string(), Role::Control),
                    Item::Candidate(c) if Some(c.as_str()) == owned => (c.clone(), Role::Owned),
                    Item::Candidate(c) => {
                        if self.scanner.attempts_left(c) == 0
                            || data.locked.iter().any(|l| &l.account == c)
                        {
                            continue;
                        }
                        (c.clone(), Role::Candidate)
                    }
                };
                wave.push((item, name, role));
            }
            deferred.extend(later);
            if wave.is_empty() {
                if deferred.is_empty() {
                    break;
                }
                continue;
            }
            let planned: Vec<Planned> = wave.iter().map(|(_, n, r)| (n.clone(), *r)).collect();
            let results = self.wave(client, &planned, &[]).await;
            let mut stop: Option<String> = None;
            let mut randoms_now: Vec<f64> = Vec::new();
            for ((item, _, role), result) in wave.into_iter().zip(results) {
                let attempt = match result {
                    Ok(a) => a,
                    Err(ProbeError::Safety(_)) => continue,
                    Err(e) => {
                        stop.get_or_insert(format!("sampling stopped: {e}"));
                        continue;
                    }
                };
                if role == Role::Random && attempt.ms.is_finite() && !attempt.is_throttled() {
                    randoms_now.push(attempt.ms);
                }
                data.sequence.push(attempt.clone());
                let throttled = attempt.is_throttled()
                    && (attempt.class != Class::Throttled(ThrottleKind::Dropped)
                        || data
                            .sequence
                            .iter()
                            .rev()
                            .nth(1)
                            .is_some_and(|p| p.is_throttled()));
                match item {
                    Item::Random => data.random.push(attempt.clone()),
                    Item::Control => data.control.push(attempt.clone()),
                    Item::Candidate(c) => {
                        if let Some((_, v)) = data.candidates.iter_mut().find(|(n, _)| *n == c) {
                            v.push(attempt.clone());
                        }
                    }
                }
                if throttled && matches!(role, Role::Candidate | Role::Owned) {
                    // Maybe a lockout of that account alone: go on; random attempts tell.
                    data.locked.push(attempt);
                    continue;
                }
                if throttled && data.throttled.is_none() {
                    stop = Some(format!(
                        "a throttle ({}) ended the sample after {} attempts",
                        describe(&attempt),
                        data.sequence.len()
                    ));
                    data.throttled = Some(attempt);
                }
            }
            if data.sequence.len() >= 2
                && data
                    .sequence
                    .iter()
                    .all(|a| a.wave.is_some() && a.wave == data.sequence[0].wave)
                && data.serial.is_none()
                && !data.calibrated
            {
                data.calibrated = true;
                self.calibrate(data);
            }
            if data.throttled.is_none() && stop.is_none() {
                // A slow wave: a growing delay, or only the wave's own contention? Attempts
                // alone tell; they count as volume, not as timing samples (they met no
                // contention, unlike the wave's).
                let base = self.base_ms.unwrap_or(f64::NAN);
                let scanner = self.scanner;
                let (alone, tarpit, err) = self
                    .tell_delay(
                        client,
                        stats::median(&randoms_now),
                        base,
                        Role::Random,
                        reserve,
                        &mut || scanner.random_account(id),
                    )
                    .await;
                data.sequence.extend(alone);
                if tarpit {
                    let last = data.sequence.last().cloned();
                    stop = Some(format!(
                        "a throttle (a growing delay) ended the sample after {} attempts",
                        data.sequence.len()
                    ));
                    data.throttled = last;
                } else if let Some(e) = err {
                    stop = Some(format!("sampling stopped: {e}"));
                }
            }
            if let Some(why) = stop {
                data.cut_short = Some(why);
                return false;
            }
        }
        true
    }

    /// After the first wave (random accounts alone, together): does the server take one request
    /// at a time? Then each answer waits for the one before, by the server's whole time, and an
    /// account under test would be judged by its wave-mates' work: the rest of the sample goes
    /// out one attempt at a time, and the first wave is left out of the pool.
    fn calibrate(&self, data: &mut EnumData) {
        let times: Vec<f64> = EnumData::usable(&data.sequence)
            .iter()
            .map(|a| a.ms)
            .filter(|m| m.is_finite())
            .collect();
        if times.len() < 2 {
            return;
        }
        let fast = times.iter().copied().fold(f64::INFINITY, f64::min);
        let slow = times.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let base = self.base_ms.unwrap_or(fast);
        if slow - fast >= (0.5 * base).max(SERIAL_MIN_MS) {
            data.serial = data.sequence[0].wave;
        }
    }

    /// Candidates whose stage-1 answer stood out from the random accounts'.
    fn suspects(&self, data: &EnumData, owned: Option<&str>) -> Vec<String> {
        let randoms = data.timing_pool();
        let times: Vec<f64> = randoms.iter().map(|a| a.ms).collect();
        let (lo, hi) = (
            times.iter().cloned().fold(f64::INFINITY, f64::min),
            times.iter().cloned().fold(f64::NEG_INFINITY, f64::max),
        );
        let mut scored: Vec<(f64, String)> = Vec::new();
        for (name, attempts) in &data.candidates {
            let Some(a) = EnumData::usable(attempts).first().copied() else {
                continue;
            };
            let differs = !randoms
                .iter()
                .any(|r| r.status() == a.status() && r.norm == a.norm);
            let outside = a.ms > hi || a.ms < lo;
            if Some(name.as_str()) == owned {
                scored.push((f64::INFINITY, name.clone()));
            } else if differs {
                scored.push((1e12, name.clone()));
            } else if outside {
                let med = stats::median(&times).unwrap_or(0.0);
                scored.push(((a.ms - med).abs(), name.clone()));
            }
        }
        scored.sort_by(|a, b| b.0.total_cmp(&a.0));
        scored
            .into_iter()
            .take(MAX_SUSPECTS)
            .map(|(_, n)| n)
            .collect()
    }
}

pub fn describe(a: &Attempt) -> String {
    match (&a.class, a.status()) {
        (Class::Throttled(k), Some(s)) => format!("{}, status {s}", k.describe()),
        (Class::Throttled(k), None) => k.describe().to_string(),
        (_, Some(s)) => format!("status {s}"),
        _ => "no answer".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_put_owned_and_examples_first() {
        let c = candidates(
            Some("me"),
            &["jane@example.com".into(), "ops".into()],
            crate::surface::Identifier::Username,
            "127.0.0.1",
        );
        assert_eq!(&c[..3], &["me", "ops", "admin"]);
        assert!(c.len() <= 12);
        let email = crate::surface::Identifier::email();
        let e = candidates(None, &["jane@example.com".into()], email, "127.0.0.1");
        assert_eq!(e[0], "jane@example.com");
        assert!(e.iter().all(|x| x.contains('@')));
        let d = candidates(None, &[], email, "api.shop.example.co.uk");
        assert_eq!(&d[..2], &["admin@example.co.uk", "admin@example.com"]);
        let p = candidates(
            Some("+15550100"),
            &[],
            crate::surface::Identifier::Phone,
            "x.org",
        );
        assert_eq!(p, vec!["+15550100".to_string()]);
    }

    #[test]
    fn registrable_domains() {
        assert_eq!(
            registrable_domain("api.acme.com").as_deref(),
            Some("acme.com")
        );
        assert_eq!(
            registrable_domain("a.b.acme.co.uk").as_deref(),
            Some("acme.co.uk")
        );
        assert_eq!(registrable_domain("127.0.0.1"), None);
        assert_eq!(registrable_domain("localhost"), None);
        assert_eq!(registrable_domain("app.localhost"), None);
    }
}
