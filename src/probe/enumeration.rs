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

/// Attempts of the enumeration sample in flight together on a slow endpoint (elsewhere: as many
/// as `--concurrency`). Candidates and the control share waves with random accounts; the random accounts that shared a wave with a candidate are
/// volume, not timing samples (a server that takes one request at a time delays a slow
/// candidate's whole wave), so the timing pool comes from waves of random accounts alone.
const SLOW_WAVE: usize = 4;

/// How much slower than the pool's slowest a candidate's wave-mates must be to count as
/// delayed with it.
const BLOCKING_MARGIN_MS: f64 = 5.0;

/// Whether, in some wave that held a candidate, most of its random accounts answered clearly
/// slower than every random account of the pool: the server made them wait for the candidate.
fn wave_mates_delayed(data: &EnumData) -> bool {
    let pool_max = data
        .timing_pool()
        .iter()
        .map(|a| a.ms)
        .fold(f64::NEG_INFINITY, f64::max);
    if !pool_max.is_finite() {
        return false;
    }
    let mut mates: std::collections::HashMap<u32, Vec<f64>> = std::collections::HashMap::new();
    let with_candidate = data.candidate_waves();
    for a in EnumData::usable(&data.random) {
        if let Some(w) = a.wave.filter(|w| with_candidate.contains(w)) {
            mates.entry(w).or_default().push(a.ms);
        }
    }
    // By a clear margin: at a round trip's distance every answer is within a few ms of the
    // others, and a median a hair above the pool's slowest is noise.
    mates
        .values()
        .any(|ms| stats::median(ms).is_some_and(|m| m > pool_max + BLOCKING_MARGIN_MS))
}

fn same_account(a: &Item, b: &Item) -> bool {
    match (a, b) {
        (Item::Control, Item::Control) => true,
        (Item::Candidate(x), Item::Candidate(y)) => x == y,
        _ => false,
    }
}

/// How a sample's waves are filled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fill {
    /// Each wave of accounts under test is topped up with random accounts to `width`, and
    /// the pool goes in whole waves: attempts are cheap, round trips are not.
    Full,
    /// Exactly the attempts asked for: where every attempt costs the server real work (a slow
    /// hash), a random account that is neither under test nor in the pool is only volume,
    /// which the sample already has.
    Lean,
}

/// Waves for these accounts under test, `per_wave` to a wave (with `Fill::Full`, the rest of
/// each wave random accounts), and waves of random accounts alone for `pool` more timing
/// samples: in a random order, each wave shuffled.
fn layout(
    mut subjects: Vec<Item>,
    per_wave: usize,
    width: usize,
    pool: usize,
    fill: Fill,
) -> Vec<Vec<Item>> {
    let mut rng = rand::thread_rng();
    subjects.shuffle(&mut rng);
    let mut waves: Vec<Vec<Item>> = Vec::new();
    let mut rest: std::collections::VecDeque<Item> = subjects.into();
    while !rest.is_empty() {
        // An account once per wave: its repeats go to later waves.
        let mut wave: Vec<Item> = Vec::new();
        let mut later = std::collections::VecDeque::new();
        while wave.len() < per_wave {
            let Some(item) = rest.pop_front() else { break };
            if wave.iter().any(|w| same_account(w, &item)) {
                later.push_back(item);
            } else {
                wave.push(item);
            }
        }
        later.extend(rest.drain(..));
        rest = later;
        if fill == Fill::Full {
            wave.resize_with(width.max(wave.len()), || Item::Random);
        }
        waves.push(wave);
    }
    let width = width.max(1);
    match fill {
        Fill::Full => {
            for _ in 0..pool.div_ceil(width) {
                waves.push(vec![Item::Random; width]);
            }
        }
        Fill::Lean => {
            let mut left = pool;
            while left > 0 {
                let n = left.min(width);
                waves.push(vec![Item::Random; n]);
                left -= n;
            }
        }
    }
    waves.shuffle(&mut rng);
    for w in &mut waves {
        w.shuffle(&mut rng);
    }
    waves
}
/// The longest throttle window the enumeration sample waits out (seconds).
const MAX_PACE_S: f64 = 15.0;
/// The most the enumeration sample spends waiting under throttles in all (seconds).
const MAX_PACING_S: f64 = 40.0;

/// How long a throttle answer says it lasts, when it says so: `Retry-After` in seconds,
/// `RateLimit-Reset` / `X-RateLimit-Reset` (seconds, or a Unix time), or its text ("wait 5
/// seconds", "try again in 10 seconds", "one minute").
pub fn throttle_window(a: &Attempt) -> Option<f64> {
    let resp = a.response.as_ref()?;
    if let Some(v) = resp
        .header("retry-after")
        .and_then(|v| v.trim().parse::<f64>().ok())
    {
        return Some(v.max(0.0));
    }
    for h in ["ratelimit-reset", "x-ratelimit-reset", "x-rate-limit-reset"] {
        if let Some(v) = resp.header(h).and_then(|v| v.trim().parse::<f64>().ok()) {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs_f64())
                .unwrap_or(0.0);
            return Some(if v > 1e9 {
                (v - now).max(0.0)
            } else {
                v.max(0.0)
            });
        }
    }
    window_in_text(&crate::analysis::text::readable(
        &a.response.as_ref()?.text(),
    ))
}

/// A wait stated in words: "wait 5 seconds", "try again in 10 s", "per 5 seconds", "one minute".
pub fn window_in_text(text: &str) -> Option<f64> {
    static RE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"(?i)\b(?:wait|in|after|per|for|every)\s+(?:about\s+)?(\d+|a|an|one|two|three|five|ten|fifteen|thirty)\s*(s|secs?|seconds?|m|mins?|minutes?|h|hours?)\b")
            .expect("valid regex")
    });
    let c = RE.captures(text)?;
    let n = match c[1].to_ascii_lowercase().as_str() {
        "a" | "an" | "one" => 1.0,
        "two" => 2.0,
        "three" => 3.0,
        "five" => 5.0,
        "ten" => 10.0,
        "fifteen" => 15.0,
        "thirty" => 30.0,
        d => d.parse::<f64>().ok()?,
    };
    let unit = c[2].to_ascii_lowercase();
    let secs = if unit.starts_with('h') {
        3600.0
    } else if unit.starts_with('m') {
        60.0
    } else {
        1.0
    };
    Some(n * secs)
}

/// Smallest gap between the two answers of a pair that shows a one-at-a-time server.
const SERIAL_MIN_MS: f64 = 5.0;

/// Candidates tried on an endpoint whose every answer is slow (a costly password hash).
const SLOW_CANDIDATES: usize = 3;
/// Random accounts in the timing pool there: three samples above all of n random accounts give
/// a two-sided exact p of 2/C(n+3, 3), which must pass Holm's first step, 0.01/candidates:
/// n = 14 for 3 candidates (p = 0.0029 ≤ 0.0033).
const SLOW_POOL: usize = 14;

/// Candidates that get stage-2 attempts at most.
const MAX_SUSPECTS: usize = 4;

/// Timing attempts on the tester's own account (`--username`) where random accounts are cheap:
/// six samples against the pool tolerate a few slow random answers that three cannot.
const OWNED_TIMING_ATTEMPTS: usize = 6;

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
    /// Pauses taken under a throttle whose window was known (seconds each), so that the sample
    /// could go on instead of ending.
    pub paced: Vec<f64>,
    /// Candidates met by a throttle or lockout while the sample went on (their last attempt).
    pub locked: Vec<Attempt>,
    /// Why sampling ended before its plan (budget, deadline, throttle).
    pub cut_short: Option<String>,
    /// Guessed accounts not tried at all: earlier scans of this target used their attempts
    /// within the lockout memory (a lockout may still count them).
    pub withheld: Vec<String>,
    /// The server takes one request at a time (seen in this first wave): the sample went on
    /// one attempt at a time.
    pub serial: Option<u32>,
    /// Random accounts in a candidate's wave were delayed with it (stage 2 then tests each
    /// suspect alone among random accounts).
    pub blocking: bool,
    /// How the waves went out: `single-packet`, `last-byte` (released together, see
    /// [`crate::http::Gate`]) or `sequential`.
    pub method: &'static str,
    /// The sample went in synchronised pairs across a network (a round trip of
    /// [`PAIRS_FROM_MS`] or more): in-pair differences may decide.
    pub pairs: bool,
    /// The calibration wave: how many attempts went together and how long it took them all
    /// (ms), which is what the server lets one client through at.
    pub calibration: Option<(usize, f64)>,
    /// Every attempt costs a long wait on a server that takes one at a time (the calibration
    /// found it serial and each rejection takes [`super::throttle::CONSTANT_DELAY_MS`] or
    /// more): the sample keeps to the accounts under test, and the delay itself limits each
    /// client, so the volume probes are not run.
    pub expensive: bool,
}

impl EnumData {
    /// Why sampling ended early, between `lead` and `tail` (" (" and ")"), or nothing.
    pub fn cut_short_note(&self, lead: &str, tail: &str) -> String {
        self.cut_short
            .as_deref()
            .map(|r| format!("{lead}{r}{tail}"))
            .unwrap_or_default()
    }

    /// What timing compares candidates with (see [`basis`]).
    pub fn basis(&self) -> Basis {
        basis(self)
    }

    /// Why a check that found nothing cannot pass: guessed accounts were withheld.
    pub fn withheld_reason(&self) -> Option<String> {
        if self.withheld.is_empty() {
            return None;
        }
        let shown: Vec<&str> = self.withheld.iter().take(4).map(String::as_str).collect();
        Some(format!(
            "{} guessed account(s) ({}{}) were not tried: earlier scans of this target in the store used their {} attempts within the last {} minutes, and a lockout may still count them",
            self.withheld.len(),
            shown.join(", "),
            if self.withheld.len() > shown.len() { ", …" } else { "" },
            crate::scan::MAX_ATTEMPTS_REAL_ACCOUNT,
            crate::store::LOCKOUT_MEMORY_MINUTES
        ))
    }

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
        let tainted = self.candidate_waves();
        EnumData::usable(&self.random)
            .into_iter()
            .filter(|a| {
                a.wave
                    .is_none_or(|w| !tainted.contains(&w) && Some(w) != self.serial)
            })
            .collect()
    }

    /// The waves that held a candidate (or the owned account).
    pub fn candidate_waves(&self) -> std::collections::HashSet<u32> {
        self.sequence
            .iter()
            .filter(|a| matches!(a.role, Role::Candidate | Role::Owned))
            .filter_map(|a| a.wave)
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

#[derive(Clone, Debug)]
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
        let owned = self.scanner.cfg.username.clone();
        let control_name = self.scanner.random_account(self.identifier());
        let (kept, withheld): (Vec<String>, Vec<String>) =
            candidates.iter().cloned().partition(|c| {
                owned.as_deref() == Some(c.as_str()) || !self.scanner.withheld_by_earlier_scans(c)
            });
        let candidates: &[String] = &kept;
        let mut data = EnumData {
            candidates: candidates.iter().map(|c| (c.clone(), Vec::new())).collect(),
            withheld,
            ..Default::default()
        };

        // An endpoint that hashes every attempt slowly gets fewer, better-placed samples: fewer
        // guesses, so that the Holm correction over them needs fewer random accounts.
        let slow = self.is_slow_endpoint();
        let (mut candidates, mut pool): (&[String], usize) = if slow {
            // Four guesses and 16 random accounts (2/C(19, 3) = 0.0021 ≤ 0.01/4), or the
            // lean plan's three and 14 once the first wave shows that the server works.
            (&candidates[..candidates.len().min(SLOW_CANDIDATES + 1)], 16)
        } else {
            // 26 random accounts let three samples pass Holm's first step over 12 candidates
            // (2/C(29, 3) = 0.00054).
            (candidates, 26)
        };
        data.candidates.truncate(candidates.len());
        // Waves as wide as --concurrency, except on a slow endpoint until the calibration wave
        // tells a long delay from hard work, or where an attempt costs two requests (a form
        // page for its token): there fewer requests beat fewer round trips.
        let narrow = self.wave_width().min(SLOW_WAVE);
        let mut width = if slow || self.cost() > 1 {
            narrow
        } else {
            self.wave_width()
        };
        let mut fill = Fill::Full;
        let per_wave = |width: usize, fill: Fill| match fill {
            Fill::Lean => width,
            Fill::Full => (width / 2).max(1),
        };

        // Stage 1: a wave of random accounts alone first (the calibration), then every
        // candidate once and the control once, half a wave at most, and waves of random accounts
        // for the timing pool. On a slow endpoint the calibration wave is narrow: a server that
        // takes one request at a time makes a client wait for the whole wave.
        let calibrated = width;
        for stage in 0..2 {
            let waves = if stage == 0 {
                vec![vec![Item::Random; calibrated]]
            } else {
                let mut subjects: Vec<Item> =
                    candidates.iter().cloned().map(Item::Candidate).collect();
                subjects.push(Item::Control);
                // A one-at-a-time server that makes every attempt wait long: random accounts
                // for a timing pool would cost a second or more each, and could not outvote
                // such a server's own variation. The accounts under test only.
                let pool = if data.expensive {
                    0
                } else {
                    pool.saturating_sub(calibrated)
                };
                layout(subjects, per_wave(width, fill), width, pool, fill)
            };
            let started = std::time::Instant::now();
            if !self
                .run_waves(
                    client,
                    waves,
                    &control_name,
                    owned.as_deref(),
                    reserve,
                    &mut data,
                )
                .await
            {
                return data;
            }
            if stage == 0 {
                data.calibration = Some((calibrated, started.elapsed().as_secs_f64() * 1000.0));
                self.calibrate(&mut data);
                data.expensive = data.serial.is_some()
                    && match (self.server_ms(), self.base_ms) {
                        (Some(delay), Some(base))
                            if delay >= super::throttle::CONSTANT_DELAY_MS =>
                        {
                            super::throttle::ConstantDelay::of_waves(
                                delay,
                                base,
                                data.calibration.as_slice(),
                            )
                            .is_some_and(|d| d.serialised())
                        }
                        _ => false,
                    };
                // The first wave's own answers must be slow too: a confirmation over fresh
                // connections can look slow where the endpoint is not.
                let floor = self.scanner.engine.fastest_ms().unwrap_or(0.0);
                let first_wave: Vec<f64> = EnumData::usable(&data.random)
                    .iter()
                    .map(|a| a.ms)
                    .collect();
                let works_slowly = stats::median(&first_wave)
                    .is_some_and(|m| m - floor >= super::throttle::SLOW_ENDPOINT_MS);
                if slow && works_slowly {
                    // Did the calibration's attempts wait side by side, together no slower than
                    // one alone? Then the endpoint sleeps (a delay on every failure) and a wave
                    // costs one delay whatever its width: wide waves, several accounts under
                    // test in each. Otherwise it works (a slow hash on a few cores) or takes
                    // one request at a time: every attempt costs the server real work, and the
                    // sample sends exactly the attempts each check needs.
                    let waited = matches!(
                        (data.calibration, self.base_ms),
                        (Some((_, ms)), Some(base)) if ms < 1.3 * base
                    );
                    if waited && self.cost() == 1 {
                        width = self.wave_width();
                    } else if !waited && (data.serial.is_none() || data.expensive) {
                        // (A one-at-a-time server keeps the plan it had, its attempts one by
                        // one and its own variation needing the larger pool, unless every
                        // attempt waits long: then there is no pool at all.)
                        fill = Fill::Lean;
                        candidates = &candidates[..candidates.len().min(SLOW_CANDIDATES)];
                        data.candidates.truncate(candidates.len());
                        pool = SLOW_POOL;
                    }
                }
                // The protocol is known from the first answers on. Across a real network,
                // attempts released together go out as pairs: a server working through eight
                // requests one after the other puts milliseconds between wave-mates that a
                // pair does not have. (Not where every attempt is costly work: the server's own
                // variation is what hides a difference there, and a pair's random account
                // would be one more slow hash.)
                data.method = self.timing_method();
                if data.method != "sequential"
                    && fill == Fill::Full
                    && self
                        .scanner
                        .engine
                        .fastest_ms()
                        .is_some_and(|f| f >= PAIRS_FROM_MS)
                {
                    width = width.min(2);
                    data.pairs = true;
                }
            }
        }

        // Stage 2: two more attempts for the candidates that stood out, and the control, each
        // alone among random accounts (two suspects in one wave of a one-at-a-time server would
        // share each other's delay). Without a suspect there is nothing to confirm.
        let hedge = if data.expensive {
            Hedge::ResponseOnly
        } else if fill == Fill::Lean && data.serial.is_none() {
            // Stage 2 adds no random accounts here: the pool is final.
            Hedge::Decidable
        } else {
            Hedge::Furthest
        };
        self.scanner.progress.detail(&format!(
            "sample: {} candidate(s), waves of {width}{}{}{}",
            candidates.len(),
            if fill == Fill::Lean {
                ", lean (each attempt is costly)"
            } else {
                ""
            },
            if data.serial.is_some() {
                ", one at a time (the server serialises)"
            } else {
                ""
            },
            if data.expensive {
                ", no timing pool (every attempt waits long)"
            } else {
                ""
            },
        ));
        let suspects = self.suspects(&data, owned.as_deref(), hedge);
        if suspects.is_empty() {
            return data;
        }
        let subjects = second_look(&suspects, owned.as_deref(), hedge);
        // The pool of stage 1 is large enough for three samples to pass the Holm correction
        // over every candidate (26 random accounts for 12 candidates, 16 for 4): stage 2 adds
        // only the suspects' and the control's waves.
        // Accounts under test share waves again, unless a wave-mate of a candidate was delayed
        // with it (a server that blocks on an existing account's hash): then two suspects in
        // one wave would share each other's delay, and stage 2 goes one attempt at a time,
        // with random accounts alone among them for the pool. (Such a server answers random
        // accounts fast, or the calibration would have found it one-at-a-time: the samples
        // alone differ from the waves' by less than the 5 ms floor.)
        // Where answers released together are compared with their wave-mates, wave-mates
        // delayed alike are the network's shared jitter, which that comparison cancels.
        data.blocking = wave_mates_delayed(&data) && !data.basis().paired();
        // On a one-at-a-time server the calibration wave left the pool, and answers vary by
        // the page's own work: more random accounts, so that one slow outlier among them does
        // not hide a real difference.
        let waves = if data.blocking {
            layout(subjects, 1, 1, 8, fill)
        } else {
            let more = if data.serial.is_some() && !data.expensive {
                8
            } else {
                0
            };
            layout(subjects, per_wave(width, fill), width, more, fill)
        };
        // Confirming a suspect may use the account flows' share of the budget: the sign-in's
        // findings come first, and the flows get what the volume probes leave unused.
        self.run_waves(
            client,
            waves,
            &control_name,
            owned.as_deref(),
            reserve.saturating_sub(self.flow_share),
            &mut data,
        )
        .await;
        data
    }

    /// Send waves of attempts in turn; false when sampling must end (throttle, budget,
    /// deadline). On a server found to take one request at a time, the waves' attempts go out
    /// one at a time, in their order.
    async fn run_waves(
        &self,
        client: &mut Client,
        waves: Vec<Vec<Item>>,
        control_name: &str,
        owned: Option<&str>,
        reserve: u32,
        data: &mut EnumData,
    ) -> bool {
        let id = self.identifier();
        let mut waves = waves;
        let total: usize = waves.iter().map(Vec::len).sum();
        if self.affordable(total, reserve) < total {
            // Short of budget for them all: the waves with accounts under test go first, the
            // timing pool's waves of random accounts alone make way.
            waves.sort_by_key(|w| w.iter().all(|i| matches!(i, Item::Random)));
        }
        let mut queue: std::collections::VecDeque<Vec<Item>> = waves.into();
        while let Some(mut items) = queue.pop_front() {
            if data.serial.is_some() && items.len() > 1 {
                for one in items.drain(1..).rev() {
                    queue.push_front(vec![one]);
                }
            }
            let room = self.affordable(items.len(), reserve);
            if room == 0 {
                data.cut_short =
                    Some("the request budget was kept for the throttling probes".into());
                return false;
            }
            if room < items.len() {
                // Short of budget: the accounts under test go first, random accounts make way.
                items.sort_by_key(|i| matches!(i, Item::Random));
                items.truncate(room);
            }
            // Skip candidates that may not be tried again.
            let mut wave: Vec<(Item, String, Role)> = Vec::new();
            for item in items {
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
            if wave.is_empty() {
                continue;
            }
            let planned: Vec<Planned> = wave.iter().map(|(_, n, r)| (n.clone(), *r)).collect();
            let results = self.wave(client, &planned, &[]).await;
            let mut stop: Option<String> = None;
            let mut pause: Option<f64> = None;
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
                if throttled && data.throttled.is_none() && pause.is_none() {
                    // A throttle that says how long it lasts (Retry-After, RateLimit-Reset,
                    // "wait 5 seconds") and is short: wait it out once the wave is read, and
                    // go on at its pace, within the deadline, rather than end the sample.
                    if let Some(w) = throttle_window(&attempt) {
                        let spent: f64 = data.paced.iter().sum();
                        let left = self.scanner.engine.time_left().as_secs_f64();
                        if w <= MAX_PACE_S && spent + w <= MAX_PACING_S && left > 3.0 * w + 10.0 {
                            pause = Some(w);
                            continue;
                        }
                    }
                }
                if throttled && data.throttled.is_none() && pause.is_none() {
                    stop = Some(format!(
                        "a throttle ({}) ended the sample after {} attempts",
                        describe(&attempt),
                        data.sequence.len()
                    ));
                    data.throttled = Some(attempt);
                }
            }
            if let Some(w) = pause {
                // Half a second past the window, then one wave at a time (a window that
                // restarts on every attempt lets a wave through after each pause).
                let wait = w + 0.5;
                self.scanner.progress.detail(&format!(
                    "a throttle with a known window ({w:.0} s): pausing {wait:.1} s, then sampling on under it"
                ));
                tokio::time::sleep(std::time::Duration::from_secs_f64(wait)).await;
                data.paced.push(wait);
                continue;
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
        let Some(first) = data.sequence.first().and_then(|a| a.wave) else {
            return;
        };
        let times: Vec<f64> = EnumData::usable(&data.sequence)
            .iter()
            .filter(|a| a.wave == Some(first))
            .map(|a| a.ms)
            .filter(|m| m.is_finite())
            .collect();
        if times.len() < 2 {
            return;
        }
        let fast = times.iter().copied().fold(f64::INFINITY, f64::min);
        // The server's own time (a round trip is not part of it).
        let floor = self.scanner.engine.fastest_ms().unwrap_or(0.0);
        let server = self.server_ms().unwrap_or((fast - floor).max(0.0));
        if one_at_a_time(&times, server) {
            data.serial = Some(first);
        }
    }

    /// Candidates that get a second look (see `pick_suspects`), named with -v.
    fn suspects(&self, data: &EnumData, owned: Option<&str>, hedge: Hedge) -> Vec<String> {
        let suspects = pick_suspects(data, owned, hedge);
        self.scanner.progress.detail(&format!(
            "timing: second look at {}",
            if suspects.is_empty() {
                "nobody".to_string()
            } else {
                suspects.join(", ")
            }
        ));
        suspects
    }
}

/// The answers of a wave of attempts sent together (`times`, ms) on an endpoint whose own time
/// is `server` ms: does the server take one request at a time?
///
/// On such a server the answers of a wave of w come back about one server time apart, (w - 1)
/// of them from first to last; a network's jitter spreads a wave by its own range whatever the
/// server's time. So: a good part of (w - 1) server times. And every answer waits for the one
/// before, so most gaps between consecutive answers are a good part of a server time too: a
/// server with two workers answers in pairs (gaps of nothing, a server time, nothing), which is
/// not one at a time.
fn one_at_a_time(times: &[f64], server: f64) -> bool {
    let mut sorted = times.to_vec();
    sorted.sort_by(f64::total_cmp);
    let (Some(fast), Some(slow)) = (sorted.first(), sorted.last()) else {
        return false;
    };
    let w = sorted.len() as f64;
    let gaps: Vec<f64> = sorted.windows(2).map(|p| p[1] - p[0]).collect();
    let steady = stats::median(&gaps).is_some_and(|g| g >= 0.3 * server);
    slow - fast >= (0.3 * (w - 1.0) * server).max(SERIAL_MIN_MS) && steady
}

/// The candidates that get stage-2 attempts: the owned account, any whose first answer differs
/// from every random account's, any whose time lies beyond the pool's outer tenths, and in any
/// case the guessed account of the rest whose time lay furthest from the random median.
///
/// That last one is why a real account is not lost to a few slow random answers: on a server
/// taking one request at a time, two or three random accounts delayed by the machine's other
/// work lift the 90th percentile of a 14-sample pool above an existing account's hashing time
/// (MediaWiki's 35 ms of pbkdf2 under CI load), and the one account that matters got no second
/// look. Confirming it costs two attempts, never more than the 3 an account may have; the test
/// then decides on all three, Holm-corrected over every candidate tried.
///
/// Where attempts are dear, `hedge` narrows that to what can still decide. When the pool is
/// final (a slow endpoint's lean sample), three samples can only pass the test if all of them
/// lie beyond every random account (two-sided exact p = 2/C(n+3, 3) is the least there is, and
/// the pool is sized so that only that passes): a first sample inside the pool's range cannot
/// become a finding, and its second look would only cost a slow hash twice. On a one-at-a-time
/// server that makes each attempt wait long (no timing pool at all), only an answer that
/// differs earns a second look.
fn pick_suspects(data: &EnumData, owned: Option<&str>, hedge: Hedge) -> Vec<String> {
    // An answer differs from every random account's, in any wave: response, not time.
    let randoms = EnumData::usable(&data.random);
    // On the basis the test will use: in-wave differences where the waves were released
    // together and that beats the clock.
    let basis = data.basis();
    let times: Vec<f64> = basis.null.clone();
    // Beyond the pool's outer tenths: one slow outlier among the random accounts must not
    // hide a candidate (a suspect costs two attempts; the test decides on all three).
    let (lo, hi) = if hedge == Hedge::Decidable {
        (
            times.iter().copied().fold(f64::INFINITY, f64::min),
            times.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        )
    } else {
        (
            stats::quantile(&times, 0.1).unwrap_or(f64::INFINITY),
            stats::quantile(&times, 0.9).unwrap_or(f64::NEG_INFINITY),
        )
    };
    let med = stats::median(&times);
    let mut scored: Vec<(f64, String)> = Vec::new();
    let mut furthest: Option<(f64, String)> = None;
    for (name, attempts) in &data.candidates {
        let Some(a) = EnumData::usable(attempts).first().copied() else {
            continue;
        };
        let differs = !randoms
            .iter()
            .any(|r| r.status() == a.status() && r.norm == a.norm);
        let v = basis.value(data, a).unwrap_or(f64::NAN);
        let outside = v > hi || v < lo;
        let distance = med.map(|m| (v - m).abs()).unwrap_or(0.0);
        if Some(name.as_str()) == owned {
            scored.push((f64::INFINITY, name.clone()));
        } else if differs {
            scored.push((1e12, name.clone()));
        } else if hedge == Hedge::ResponseOnly {
            continue;
        } else if outside {
            scored.push((distance, name.clone()));
        } else if v.is_finite() && furthest.as_ref().is_none_or(|(d, _)| distance > *d) {
            furthest = Some((distance, name.clone()));
        }
    }
    if hedge == Hedge::Furthest {
        scored.extend(furthest);
    }
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    scored
        .into_iter()
        .take(MAX_SUSPECTS)
        .map(|(_, n)| n)
        .collect()
}

/// Stage 2's accounts under test: two more attempts for each suspect (three in all, a guess's
/// cap) and the control's two; the tester's own account, which may take more than 3, takes
/// [`OWNED_TIMING_ATTEMPTS`] in all where the pool is cheap, so that one slow spell among its
/// answers cannot hide it.
fn second_look(suspects: &[String], owned: Option<&str>, hedge: Hedge) -> Vec<Item> {
    let mut subjects: Vec<Item> = Vec::new();
    for s in suspects {
        let more = if owned == Some(s.as_str()) && hedge == Hedge::Furthest {
            OWNED_TIMING_ATTEMPTS - 1
        } else {
            2
        };
        subjects.extend(std::iter::repeat_n(Item::Candidate(s.clone()), more));
    }
    subjects.push(Item::Control);
    subjects.push(Item::Control);
    subjects
}

/// How far `pick_suspects` hedges beyond candidates that clearly stand out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hedge {
    /// Also the candidate furthest from the pool's median, whatever the pool's spread.
    Furthest,
    /// Only candidates beyond every random account of a pool that will not grow (or
    /// differing, or owned).
    Decidable,
    /// Only candidates whose answer differs (or owned): there is no timing pool.
    ResponseOnly,
}

pub fn describe(a: &Attempt) -> String {
    match (&a.class, a.status()) {
        (Class::Throttled(k), Some(s)) => format!("{}, status {s}", k.describe()),
        (Class::Throttled(k), None) => k.describe().to_string(),
        (_, Some(s)) => format!("status {s}"),
        _ => "no answer".to_string(),
    }
}

/// The round trip (the scan's fastest answer, ms) from which HTTP/1.1 timing goes in pairs:
/// beyond loopback and a LAN.
const PAIRS_FROM_MS: f64 = 5.0;

/// In-wave differences decide when their spread is at most this share of the raw times'.
const PAIRED_GAIN: f64 = 0.5;

/// Answers on a server that takes one request at a time are compared with their neighbours'
/// when the random accounts' times less the median of this many nearest random accounts (in
/// the order sent) spread no more than the times themselves.
const NEIGHBOURS: usize = 4;

/// How each answer is compared.
#[derive(Debug, Clone, PartialEq)]
pub enum Compared {
    /// Its own time.
    Times,
    /// Its time less the median of the random accounts released with it.
    InWave,
    /// Its time less the median of the [`NEIGHBOURS`] random accounts of the timing pool sent
    /// nearest before or after it (their positions in the sequence and times): a server that
    /// works one request at a time drifts between slower and faster spells lasting several
    /// requests (its own housekeeping, the machine's other work), which a comparison with the
    /// whole pool mistakes for the accounts' differences.
    Neighbours(Vec<(usize, f64)>),
}

/// What candidates are compared with.
#[derive(Debug, Clone, PartialEq)]
pub struct Basis {
    /// `sequential` (each answer's own time against the random accounts' times), or the way
    /// the waves were released (`single-packet`, `last-byte`) when each answer is compared
    /// with its own wave's random accounts.
    pub method: &'static str,
    /// What each answer's value is.
    pub compared: Compared,
    /// The random accounts' values on that basis: the null distribution.
    pub null: Vec<f64>,
}

impl Basis {
    /// In-wave differences (true) or a value of one answer's own.
    pub fn paired(&self) -> bool {
        self.compared == Compared::InWave
    }

    /// What is compared, in words.
    pub fn label(&self) -> &'static str {
        match self.compared {
            Compared::Times => "times",
            Compared::InWave => "in-wave differences",
            Compared::Neighbours(_) => "times less their neighbours'",
        }
    }

    /// A value of `a` on this basis (its in-wave difference, its time less its neighbours',
    /// or its time).
    pub fn value(&self, data: &EnumData, a: &Attempt) -> Option<f64> {
        match &self.compared {
            Compared::Times => Some(a.ms),
            Compared::InWave => in_wave_diff(data, a),
            Compared::Neighbours(pool) => neighbour_diff(pool, position(data, a)?, a.ms),
        }
    }

    pub fn values(&self, data: &EnumData, attempts: &[Attempt]) -> Vec<f64> {
        EnumData::usable(attempts)
            .iter()
            .filter_map(|a| self.value(data, a))
            .collect()
    }

    /// About the smallest difference a candidate's three attempts could show here: how far
    /// from the null's median they must all be to clear every value of it but the most extreme
    /// one (what an exact test over this many values, Holm-corrected, asks of three samples).
    pub fn smallest_visible_ms(&self) -> f64 {
        smallest_visible_ms(&self.null)
    }
}

/// See [`Basis::smallest_visible_ms`]: the same for any null sample.
pub fn smallest_visible_ms(null: &[f64]) -> f64 {
    let mut s: Vec<f64> = null.iter().copied().filter(|v| v.is_finite()).collect();
    s.sort_by(f64::total_cmp);
    let (Some(mid), true) = (stats::median(&s), s.len() >= 3) else {
        return f64::INFINITY;
    };
    (s[s.len() - 2] - mid).max(mid - s[1])
}

/// Where `a` was sent in the sample (its index in the sequence).
fn position(data: &EnumData, a: &Attempt) -> Option<usize> {
    data.sequence
        .iter()
        .position(|s| s.account == a.account && s.role == a.role && s.ms == a.ms)
}

/// `ms`, sent at `at`, less the median of the [`NEIGHBOURS`] pool answers sent nearest to it
/// (itself left out; None when the pool has too few others).
fn neighbour_diff(pool: &[(usize, f64)], at: usize, ms: f64) -> Option<f64> {
    let mut near: Vec<(usize, f64)> = pool
        .iter()
        .filter(|(p, _)| *p != at)
        .map(|(p, t)| (p.abs_diff(at), *t))
        .collect();
    if near.len() < NEIGHBOURS {
        return None;
    }
    near.sort_by_key(|(d, _)| *d);
    let times: Vec<f64> = near[..NEIGHBOURS].iter().map(|(_, t)| *t).collect();
    Some(ms - stats::median(&times)?)
}

/// `a`'s time minus the median of the other answered random accounts of its wave (None
/// outside a wave, or alone in it).
fn in_wave_diff(data: &EnumData, a: &Attempt) -> Option<f64> {
    let wave = a.wave?;
    let mut mates: Vec<f64> = Vec::new();
    let mut skipped_self = false;
    for m in EnumData::usable(&data.sequence) {
        if m.wave != Some(wave) || m.role != crate::scan::Role::Random {
            continue;
        }
        // Random accounts are never repeated: the one of `a`'s name is `a`.
        if !skipped_self && m.account == a.account {
            skipped_self = true;
            continue;
        }
        mates.push(m.ms);
    }
    Some(a.ms - stats::median(&mates)?)
}

/// The basis timing decides on: in-pair differences when the sample went in synchronised pairs
/// across a network and their spread among random accounts is well under the raw times' (the
/// network's jitter hit each pair alike), else raw times. Chosen from random accounts alone,
/// before any candidate is looked at. On loopback the clock decides: there is no jitter to
/// cancel, and a server that works one request at a time (a blocking hash) delays a
/// candidate's wave-mate with it, which a comparison within the wave would cancel.
pub fn basis(data: &EnumData) -> Basis {
    let pool = data.timing_pool();
    let raw: Vec<f64> = pool.iter().map(|a| a.ms).collect();
    if data.pairs && matches!(data.method, "single-packet" | "last-byte") {
        let diffs: Vec<f64> = pool.iter().filter_map(|a| in_wave_diff(data, a)).collect();
        let iqr = |v: &[f64]| match (stats::quantile(v, 0.75), stats::quantile(v, 0.25)) {
            (Some(h), Some(l)) => h - l,
            _ => f64::INFINITY,
        };
        if diffs.len() >= 10 && iqr(&diffs) <= PAIRED_GAIN * iqr(&raw) {
            return Basis {
                method: data.method,
                compared: Compared::InWave,
                null: diffs,
            };
        }
    }
    // One request at a time: each answer against the random accounts sent around it, when
    // that takes the server's spells of slowness out of the random accounts' own spread.
    if data.serial.is_some() {
        let placed: Vec<(usize, f64)> = pool
            .iter()
            .filter_map(|a| Some((position(data, a)?, a.ms)))
            .collect();
        let diffs: Vec<f64> = placed
            .iter()
            .filter_map(|(at, ms)| neighbour_diff(&placed, *at, *ms))
            .collect();
        if diffs.len() >= 10 && smallest_visible_ms(&diffs) <= smallest_visible_ms(&raw) {
            return Basis {
                method: "sequential",
                compared: Compared::Neighbours(placed),
                null: diffs,
            };
        }
    }
    Basis {
        method: "sequential",
        compared: Compared::Times,
        null: raw,
    }
}

#[cfg(test)]
pub(crate) mod tests {

    /// Six waves of eight random accounts; every answer of wave w waits `shared(w)` (the
    /// network's jitter, alike for answers released together) plus its own small noise; wave 6
    /// holds `admin` with `leak` ms more.
    fn jittered(shared: impl Fn(u32) -> f64, leak: f64, method: &'static str) -> EnumData {
        let mut d = EnumData {
            method,
            pairs: method != "sequential",
            ..Default::default()
        };
        let mut n = 0;
        for w in 1..=6u32 {
            for i in 0..8 {
                let noise = ((n * 7919) % 13) as f64 * 0.02;
                n += 1;
                let (name, role) = if w == 6 && i == 0 {
                    ("admin".to_string(), Role::Candidate)
                } else {
                    (format!("r{w}x{i}"), Role::Random)
                };
                let extra = if role == Role::Candidate { leak } else { 0.0 };
                let a = Attempt::synthetic(&name, role, 20.0 + shared(w) + noise + extra, Some(w));
                d.sequence.push(a.clone());
                match role {
                    Role::Random => d.random.push(a),
                    _ => d.candidates.push((name, vec![a])),
                }
            }
        }
        d
    }

    /// A one-at-a-time server (every attempt alone, in order) answering in 100 ms, but `spell`
    /// ms slower for eight answers in every 24 (8 to 15, 32 to 39), each answer with a little
    /// noise of its own; `admin`'s three attempts (at 11, 20 and 36: in a slow spell, a fast
    /// one and a slow one) take `leak` ms more than their spell; the control's (4, 26, 44) none.
    pub(crate) fn spells(spell: f64, leak: f64) -> EnumData {
        let mut d = EnumData {
            method: "sequential",
            serial: Some(1),
            ..Default::default()
        };
        d.candidates.push(("admin".to_string(), Vec::new()));
        for i in 0..48u32 {
            let base = 100.0
                + if (8..16).contains(&(i % 24)) {
                    spell
                } else {
                    0.0
                };
            let noise = ((i * 7919) % 11) as f64 * 0.3;
            let (name, role, extra) = match i {
                11 | 20 | 36 => ("admin".to_string(), Role::Candidate, leak),
                4 | 26 | 44 => ("ctl".to_string(), Role::Control, 0.0),
                _ => (format!("r{i}"), Role::Random, 0.0),
            };
            let a = Attempt::synthetic(&name, role, base + noise + extra, Some(i + 2));
            d.sequence.push(a.clone());
            match role {
                Role::Random => d.random.push(a),
                Role::Control => d.control.push(a),
                _ => d.candidates[0].1.push(a),
            }
        }
        d
    }

    #[test]
    fn one_at_a_time_answers_are_compared_with_their_neighbours_when_the_server_drifts() {
        // Spells 45 ms slower: the pool's times spread by them; each answer less its four
        // nearest random neighbours' median does so only at a spell's edges, by half as much.
        let d = spells(45.0, 40.0);
        let b = d.basis();
        assert!(matches!(b.compared, Compared::Neighbours(_)), "{b:?}");
        assert_eq!(b.label(), "times less their neighbours'");
        assert!(
            b.smallest_visible_ms() < 25.0,
            "{}",
            b.smallest_visible_ms()
        );
        let admin = b.values(&d, &d.candidates[0].1);
        assert_eq!(admin.len(), 3);
        assert!(admin.iter().all(|v| (v - 40.0).abs() < 5.0), "{admin:?}");
        let raw = smallest_visible_ms(&d.timing_pool().iter().map(|a| a.ms).collect::<Vec<_>>());
        assert!(raw > 40.0, "{raw}");
        // The same answers from a server not found to take one request at a time: the clock.
        let mut concurrent = spells(45.0, 40.0);
        concurrent.serial = None;
        assert_eq!(concurrent.basis().compared, Compared::Times);
        // A server without spells gains nothing from its neighbours: a steady server's own
        // noise is all there is, and the clock decides unless neighbours do no worse.
        let steady = spells(0.0, 40.0);
        let b = steady.basis();
        assert!(b.smallest_visible_ms() < 5.0, "{b:?}");
    }

    #[test]
    fn only_the_testers_own_account_takes_more_than_three_attempts_and_only_where_random_accounts_are_cheap(
    ) {
        let suspects = vec!["me".to_string(), "admin".to_string()];
        let count = |items: &[Item], who: &str| {
            items
                .iter()
                .filter(|i| matches!(i, Item::Candidate(c) if c == who))
                .count()
        };
        let cheap = second_look(&suspects, Some("me"), Hedge::Furthest);
        assert_eq!(count(&cheap, "me"), OWNED_TIMING_ATTEMPTS - 1);
        assert_eq!(count(&cheap, "admin"), 2, "a guess: 3 attempts in all");
        assert_eq!(
            cheap.iter().filter(|i| matches!(i, Item::Control)).count(),
            2
        );
        // Costly attempts (the lean plan) or no pool at all: the owned account as a guess.
        for hedge in [Hedge::Decidable, Hedge::ResponseOnly] {
            let dear = second_look(&suspects, Some("me"), hedge);
            assert_eq!(count(&dear, "me"), 2, "{hedge:?}");
        }
        // Without --username nobody takes more.
        let plain = second_look(&suspects, None, Hedge::Furthest);
        assert_eq!(count(&plain, "me"), 2);
    }

    #[test]
    fn a_neighbour_difference_leaves_the_answer_itself_out() {
        let pool = [(0, 100.0), (1, 200.0), (2, 100.0), (4, 100.0), (5, 100.0)];
        // Position 1 itself is not its own neighbour: 0, 2, 4 and 5 are (all 100).
        assert_eq!(neighbour_diff(&pool, 1, 200.0), Some(100.0));
        // An answer outside the pool at 3: 2 and 4 (distance 1), then 1 and 5 (distance 2).
        assert_eq!(neighbour_diff(&pool, 3, 150.0), Some(50.0));
        // Too few others.
        assert_eq!(neighbour_diff(&pool[..4], 0, 100.0), None);
    }

    #[test]
    fn waves_released_together_are_compared_within_the_wave_when_that_beats_the_clock() {
        // Jitter shared by each wave (0..25 ms): in-wave differences see 3 ms.
        let d = jittered(|w| (w * 37 % 25) as f64, 3.0, "last-byte");
        let b = d.basis();
        assert!(b.paired(), "{b:?}");
        assert_eq!(b.method, "last-byte");
        assert!(b.smallest_visible_ms() < 1.0, "{}", b.smallest_visible_ms());
        let admin = b.values(&d, &d.candidates[0].1);
        assert!((admin[0] - 3.0).abs() < 0.5, "{admin:?}");
        // The same answers sent one by one: compared with the clock.
        let seq = jittered(|w| (w * 37 % 25) as f64, 3.0, "sequential");
        let b = seq.basis();
        assert!(!b.paired());
        assert_eq!(b.method, "sequential");
        assert!(b.smallest_visible_ms() > 5.0, "{}", b.smallest_visible_ms());
        // No shared jitter: nothing to gain from pairing; the clock decides.
        let calm = jittered(|_| 0.0, 3.0, "single-packet");
        assert!(!calm.basis().paired());
    }

    use super::*;

    #[test]
    fn one_at_a_time_is_every_answer_waiting_for_the_one_before_not_workers_in_pairs() {
        // One worker, 120 ms each: 120, 240, 360, 480 (plus a little network).
        assert!(one_at_a_time(&[121.0, 242.0, 361.0, 483.0], 120.0));
        // Two workers: answers in pairs.
        assert!(!one_at_a_time(&[121.0, 122.0, 242.0, 243.0], 120.0));
        // A hash sharing two cores: all four alike, slower than one alone.
        assert!(!one_at_a_time(&[240.0, 251.0, 247.0, 262.0], 120.0));
        // A fast server taking one at a time at loopback, and the same answers merely jittered.
        assert!(one_at_a_time(
            &[1.2, 3.1, 5.0, 7.2, 9.1, 11.0, 13.2, 15.1],
            1.9
        ));
        assert!(!one_at_a_time(
            &[1.2, 1.4, 1.3, 1.9, 1.1, 1.6, 1.2, 1.5],
            1.0
        ));
    }

    #[test]
    fn layout_puts_subjects_per_wave_and_pool_waves_apart() {
        let subjects: Vec<Item> = (0..5)
            .map(|i| Item::Candidate(format!("c{i}")))
            .chain([Item::Control])
            .collect();
        let waves = layout(subjects, 2, 4, 8, Fill::Full);
        assert_eq!(waves.len(), 3 + 2, "3 subject waves and 2 pool waves");
        assert!(waves.iter().all(|w| w.len() == 4));
        let per_wave: Vec<usize> = waves
            .iter()
            .map(|w| w.iter().filter(|i| !matches!(i, Item::Random)).count())
            .collect();
        assert_eq!(per_wave.iter().sum::<usize>(), 6);
        assert!(per_wave.iter().all(|&n| n <= 2));
        assert_eq!(per_wave.iter().filter(|&&n| n == 0).count(), 2);
        // Repeats of one account go to different waves.
        let twice = vec![
            Item::Candidate("a".into()),
            Item::Candidate("a".into()),
            Item::Control,
            Item::Control,
        ];
        for w in layout(twice.clone(), 4, 8, 0, Fill::Full) {
            let subjects: Vec<&Item> = w.iter().filter(|i| !matches!(i, Item::Random)).collect();
            assert_eq!(subjects.len(), 2, "{w:?}");
            assert!(!same_account(subjects[0], subjects[1]), "{w:?}");
        }
        // Lean: no random account rides along, and the pool is exactly what was asked for.
        let lean = layout(twice, 4, 4, 10, Fill::Lean);
        let sizes: Vec<usize> = lean.iter().map(Vec::len).collect();
        assert_eq!(sizes.iter().sum::<usize>(), 4 + 10, "{sizes:?}");
        let subject_waves: Vec<&Vec<Item>> = lean
            .iter()
            .filter(|w| w.iter().any(|i| !matches!(i, Item::Random)))
            .collect();
        assert_eq!(subject_waves.len(), 2);
        assert!(subject_waves
            .iter()
            .all(|w| w.len() == 2 && !same_account(&w[0], &w[1])));
        assert!(sizes.iter().all(|&n| n <= 4));
    }

    #[test]
    fn the_timing_pool_leaves_out_waves_that_held_a_candidate() {
        let mut d = EnumData::default();
        let c = Attempt::synthetic("admin", Role::Candidate, 30.0, Some(2));
        let tainted = Attempt::synthetic("rnd1", Role::Random, 30.0, Some(2));
        let clean = Attempt::synthetic("rnd2", Role::Random, 1.0, Some(3));
        let with_control = Attempt::synthetic("rnd3", Role::Random, 1.0, Some(4));
        let control = Attempt::synthetic("ctl", Role::Control, 1.0, Some(4));
        let alone = Attempt::synthetic("rnd4", Role::Random, 1.0, None);
        d.sequence = vec![
            c.clone(),
            tainted.clone(),
            clean.clone(),
            with_control.clone(),
            control,
            alone.clone(),
        ];
        d.random = vec![tainted, clean, with_control, alone];
        let pool: Vec<&str> = d.timing_pool().iter().map(|a| a.account.as_str()).collect();
        assert_eq!(pool, ["rnd2", "rnd3", "rnd4"]);
        // A one-at-a-time server: the calibration wave is left out too.
        d.serial = Some(3);
        let pool: Vec<&str> = d.timing_pool().iter().map(|a| a.account.as_str()).collect();
        assert_eq!(pool, ["rnd3", "rnd4"]);
    }

    /// A one-at-a-time server's stage 1: one random account (alone) per time in `pool`, then
    /// each candidate once at its time.
    fn stage_one(pool: &[f64], candidates: &[(&str, f64)]) -> EnumData {
        let mut d = EnumData::default();
        for (i, ms) in pool.iter().enumerate() {
            let a = Attempt::synthetic(&format!("rnd{i}"), Role::Random, *ms, None);
            d.sequence.push(a.clone());
            d.random.push(a);
        }
        for (name, ms) in candidates {
            let a = Attempt::synthetic(name, Role::Candidate, *ms, None);
            d.sequence.push(a.clone());
            d.candidates.push((name.to_string(), vec![a]));
        }
        d
    }

    #[test]
    fn slow_random_answers_do_not_keep_the_real_account_from_a_second_look() {
        // MediaWiki under CI load: random accounts 115-160 ms, three of them delayed past the
        // real account's 169 ms (its pbkdf2 hash), so the pool's 90th percentile is above it.
        let mut pool = vec![
            118.0, 121.0, 125.0, 128.0, 130.0, 133.0, 135.0, 136.0, 140.0, 145.0, 150.0,
        ];
        pool.extend([205.0, 222.0, 343.0]);
        let d = stage_one(
            &pool,
            &[
                ("admin", 169.0),
                ("administrator", 131.0),
                ("root", 138.0),
                ("test", 127.0),
            ],
        );
        let q90 = stats::quantile(&d.random.iter().map(|a| a.ms).collect::<Vec<_>>(), 0.9);
        assert!(q90.unwrap() > 169.0, "the pool's tenths hide admin here");
        assert_eq!(pick_suspects(&d, None, Hedge::Furthest), ["admin"]);
        // The owned account always gets its second look, and the furthest guess still does.
        assert_eq!(
            pick_suspects(&d, Some("root"), Hedge::Furthest),
            ["root", "admin"]
        );
    }

    #[test]
    fn candidates_beyond_the_tenths_come_first_then_the_furthest_of_the_rest() {
        let pool: Vec<f64> = (0..14).map(|i| 100.0 + i as f64).collect();
        let d = stage_one(
            &pool,
            &[
                ("slow", 150.0),
                ("fast", 60.0),
                ("near", 109.0),
                ("nearer", 107.0),
            ],
        );
        assert_eq!(
            pick_suspects(&d, None, Hedge::Furthest),
            ["fast", "slow", "near"]
        );
        // No pool: every candidate lies outside it.
        let empty = stage_one(&[], &[("admin", 150.0)]);
        assert_eq!(pick_suspects(&empty, None, Hedge::Furthest), ["admin"]);
        // Where each attempt waits long and there is no pool, only an answer that differs (or
        // the owned account) earns a second look: time alone cannot decide there.
        assert!(pick_suspects(&d, None, Hedge::ResponseOnly).is_empty());
        // A pool that will not grow: only what lies beyond all of it can still pass the test.
        assert_eq!(pick_suspects(&d, None, Hedge::Decidable), ["fast", "slow"]);
        assert_eq!(
            pick_suspects(&d, Some("near"), Hedge::ResponseOnly),
            ["near"]
        );
    }

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
    fn throttle_windows_in_words() {
        assert_eq!(
            window_in_text("Too many attempts: limit 10 per 5 seconds."),
            Some(5.0)
        );
        assert_eq!(
            window_in_text("Please wait one minute before next login"),
            Some(60.0)
        );
        assert_eq!(window_in_text("Try again in 30 s"), Some(30.0));
        assert_eq!(window_in_text("Invalid username or password"), None);
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
