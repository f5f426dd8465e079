//! `auth.user-enumeration.timing`: an existing account's failures take reliably longer (or
//! shorter) than a non-existent account's.
//!
//! Decision: for each candidate with 3 usable attempts, a two-sided Mann–Whitney U test (exact
//! for these sample sizes) against the random accounts' times, Holm-corrected over every candidate
//! tried, plus an effect-size floor (Cliff's |δ| ≥ 0.9 and a gap between the groups' medians of
//! at least 5 ms and 25 % of the random median). The A/A control — one random account repeated
//! exactly like a candidate — must show no difference, or the check says it cannot decide.

use async_trait::async_trait;

use super::{Check, EndpointCtx, FindingDraft, Verdict};
use crate::analysis::stats::{self, Alternative};
use crate::probe::enumeration::{Basis, Compared, EnumData};
use crate::probe::Attempt;
use crate::report::{Category, Severity};

pub struct TimingEnumeration;

/// Family-wise false-positive rate over the candidates of one endpoint.
pub const ALPHA: f64 = 0.01;
/// Smallest |Cliff's delta| reported.
pub const MIN_DELTA: f64 = 0.9;
/// Smallest gap between medians, in ms and as a share of the random median.
pub const MIN_GAP_MS: f64 = 5.0;
/// The absolute floor where answers released together are compared with their wave-mates:
/// the network's jitter, which the 5 ms floor stood for, hits both alike.
pub const MIN_GAP_MS_PAIRED: f64 = 1.0;
/// The relative floor there.
pub const MIN_GAP_RATIO_PAIRED: f64 = 0.1;
pub const MIN_GAP_RATIO: f64 = 0.25;

/// The outcome for one group against the random accounts.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupTest {
    pub p_value: f64,
    pub delta: f64,
    pub gap_ms: f64,
}

/// Test one group's times against the random accounts' times.
///
/// The gap is measured from the group's *nearest* sample to the random median (its fastest
/// sample when slower, its slowest when faster): network and scheduling noise only add delay, so
/// a gap that even the least delayed sample shows is not noise.
pub fn test_group(group: &[f64], randoms: &[f64]) -> Option<GroupTest> {
    let r = stats::mann_whitney_u(group, randoms, Alternative::TwoSided)?;
    let random_median = stats::median(randoms)?;
    let gap = if stats::median(group)? >= random_median {
        group.iter().copied().fold(f64::INFINITY, f64::min) - random_median
    } else {
        group.iter().copied().fold(f64::NEG_INFINITY, f64::max) - random_median
    };
    Some(GroupTest {
        p_value: r.p_value,
        delta: stats::cliffs_delta(group, randoms),
        gap_ms: gap,
    })
}

/// Whether a difference is large enough to be worth reporting.
///
/// `server_ms` is the random accounts' median time above the fastest answer seen: the server's
/// own work, without the network's round trip (a 20 ms leak is no smaller for being 50 ms away).
pub fn meets_floor(t: &GroupTest, server_ms: f64) -> bool {
    meets(t, clock_floor_ms(server_ms))
}

/// The smallest gap the clock's comparison reports on a server that takes `server_ms`.
pub fn clock_floor_ms(server_ms: f64) -> f64 {
    floor_ms(MIN_GAP_MS, MIN_GAP_RATIO, server_ms)
}

/// The smallest gap reported, from the method's absolute floor and the server's own time.
fn floor_ms(min_gap: f64, ratio: f64, server_ms: f64) -> f64 {
    min_gap.max(ratio * server_ms)
}

fn meets(t: &GroupTest, floor: f64) -> bool {
    t.delta.abs() >= MIN_DELTA && t.gap_ms.abs() >= floor
}

/// Why nothing found is not a pass: no candidate's three attempts could have passed Holm's
/// first step against this many random values, or the null varies by more than the smallest
/// difference worth reporting (`floor`).
fn blind_spot(basis: &Basis, floor: f64, tested: usize) -> Option<String> {
    limits(
        &basis.null,
        3,
        floor,
        tested,
        &format!(
            "random accounts' {} vary that much (method {})",
            basis.label(),
            basis.method
        ),
    )
}

/// What a test of `k` samples per account against this `null`, over `tested` accounts, cannot
/// see: `k` samples above every null value give the smallest two-sided exact p there is,
/// 2/C(n+k, k), which must pass Holm's first step; and the null's spread
/// ([`crate::probe::enumeration::smallest_visible_ms`]) must not exceed the smallest
/// difference worth reporting (`floor`). `why` says what varies.
pub fn limits(null: &[f64], k: usize, floor: f64, tested: usize, why: &str) -> Option<String> {
    let n = null.len();
    let best_p = 2.0 / binomial(n + k, k);
    if tested > 0 && best_p > ALPHA / tested as f64 {
        return Some(format!(
            "{n} random samples cannot show a difference for {tested} account(s) ({k} attempts each reach p = {best_p:.4} at best, {:.4} needed)",
            ALPHA / tested as f64
        ));
    }
    let smallest = crate::probe::enumeration::smallest_visible_ms(null);
    (smallest > floor).then(|| {
        format!(
            "cannot see differences under {smallest:.1} ms here: {why}, and the check reports differences from {floor:.1} ms"
        )
    })
}

fn binomial(n: usize, k: usize) -> f64 {
    (0..k).fold(1.0, |acc, i| acc * (n - i) as f64 / (i + 1) as f64)
}

/// What the timing check concluded.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Too few samples, or the A/A control differed: the reason.
    Undecided(String),
    /// No account differs.
    Same,
    /// These accounts differ; the first is the strongest.
    Differs(Vec<(String, GroupTest)>),
}

/// Decide from an enumeration sample: each candidate's times against the random accounts of
/// the timing pool, Holm-corrected over every candidate tried, with the A/A control first.
/// `network_ms` is the scan's fastest answer to any request (about one round trip). When every
/// failure waits far longer than that (a stall to a fixed minimum, a hash everyone pays), the
/// wait is the server's time, not the network's, and the relative floor scales with all of it;
/// otherwise the fastest sign-in answer is the floor.
pub fn decide(data: &EnumData, network_ms: Option<f64>) -> Decision {
    let pool = data.timing_pool();
    let randoms: Vec<f64> = pool.iter().map(|a| a.ms).collect();
    if data.expensive && randoms.len() < 10 {
        let each = data
            .calibration
            .map(|(n, ms)| format!(" about {:.1} s", ms / 1000.0 / n.max(1) as f64))
            .unwrap_or_default();
        return Decision::Undecided(format!(
            "every attempt waits{each} on a server that answers one request at a time, so no random accounts were sampled for timing: keyhole cannot see timing differences here{}",
            data.cut_short_note("; ", "")
        ));
    }
    if randoms.len() < 10 {
        return Decision::Undecided(format!(
            "only {} timing samples from random accounts (10 needed){}",
            randoms.len(),
            data.cut_short_note("; ", "")
        ));
    }
    let fastest = data
        .sequence
        .iter()
        .filter(|a| a.response.is_some() && !a.is_throttled() && a.ms.is_finite())
        .map(|a| a.ms)
        .fold(f64::INFINITY, f64::min);
    let raw_median = stats::median(&randoms).unwrap_or(0.0);
    let fastest = match network_ms {
        Some(n) if raw_median - n >= crate::probe::throttle::CONSTANT_DELAY_MS => n,
        _ => fastest,
    };
    // The server's own time, above the network's floor: what the relative floor scales with.
    let server_ms = (raw_median - fastest).max(0.0);
    let basis = data.basis();
    // Answers compared with their wave-mates: the network's queueing, which the time above
    // the fastest answer also holds, hit both alike, so the relative floor takes less of it.
    let floor = if basis.paired() {
        floor_ms(MIN_GAP_MS_PAIRED, MIN_GAP_RATIO_PAIRED, server_ms)
    } else {
        floor_ms(MIN_GAP_MS, MIN_GAP_RATIO, server_ms)
    };
    let randoms = basis.null.clone();
    let times = |attempts: &[Attempt]| -> Vec<f64> { basis.values(data, attempts) };

    // A/A control: a random account sampled exactly like a candidate must not stand out.
    let control = times(&data.control);
    if control.len() >= 3 {
        if let Some(t) = test_group(&control, &randoms) {
            if t.p_value < ALPHA && meets(&t, floor) {
                return Decision::Undecided(format!(
                    "the A/A control (a random account repeated like a candidate) differed from other random accounts by {:.1} ms (p = {:.4}): timing here is too noisy or per-account state changes it",
                    t.gap_ms, t.p_value
                ));
            }
        }
    }

    // Every candidate tried counts in the correction, sampled fully or not.
    let tests: Vec<(String, Option<GroupTest>)> = data
        .candidates
        .iter()
        .filter(|(_, a)| !a.is_empty())
        .map(|(name, attempts)| {
            let t = times(attempts);
            let test = if t.len() >= 3 {
                test_group(&t, &randoms)
            } else {
                None
            };
            (name.clone(), test)
        })
        .collect();
    if tests.is_empty() && !data.candidates.is_empty() {
        return Decision::Undecided(format!(
            "no guessed account was tried{}",
            data.cut_short_note(" (", ")")
        ));
    }
    let p: Vec<f64> = tests
        .iter()
        .map(|(_, t)| t.as_ref().map(|t| t.p_value).unwrap_or(1.0))
        .collect();
    let rejected = stats::holm(&p, ALPHA);
    let mut hits: Vec<(String, GroupTest)> = tests
        .into_iter()
        .zip(rejected)
        .filter_map(|((name, t), rej)| {
            let t = t?;
            (rej && meets(&t, floor)).then_some((name, t))
        })
        .collect();
    hits.sort_by(|a, b| a.1.p_value.total_cmp(&b.1.p_value));
    if hits.is_empty() {
        return match blind_spot(&basis, floor, p.len()) {
            Some(why) => Decision::Undecided(why),
            None => Decision::Same,
        };
    }
    // The control was sampled like the candidates, in the same stages: a candidate that stands
    // out from the random pool but hardly from the control stood out because its samples came
    // when everything was slower (a loaded machine, a server busy with something else), not
    // because of its account.
    let control_med = stats::median(&control);
    let random_med = stats::median(&randoms);
    if let (Some(c_med), Some(r_med), true) = (control_med, random_med, control.len() >= 2) {
        let before = hits.len();
        hits.retain(|(name, _)| {
            let mine = data
                .candidates
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, a)| times(a))
                .unwrap_or_default();
            stats::median(&mine)
                .is_none_or(|m| (m - c_med).abs() >= DRIFT_SHARE * (m - r_med).abs())
        });
        if hits.is_empty() {
            return Decision::Undecided(format!(
                "{before} account(s) stood out from the random accounts, but the A/A control sampled in the same stages was nearly as far off (median {c_med:.1} ms against {r_med:.1} ms): the machine or the server slowed while they were sampled"
            ));
        }
    }
    Decision::Differs(hits)
}

/// How much of a candidate's distance from the random accounts must remain from the control
/// account: below it, the control drifted with the candidate.
const DRIFT_SHARE: f64 = 0.5;

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[async_trait]
impl Check for TimingEnumeration {
    fn id(&self) -> &'static str {
        "auth.user-enumeration.timing"
    }
    fn category(&self) -> Category {
        Category::Authentication
    }
    fn severity(&self) -> Severity {
        Severity::Medium
    }
    fn title(&self) -> &'static str {
        "Sign-in takes measurably longer for existing accounts"
    }
    fn description(&self) -> &'static str {
        "Interleaves guessed accounts (3 attempts each at most) with many random non-existent ones and compares response times with an exact Mann–Whitney U test, Holm-corrected, an effect-size floor and an A/A control account."
    }

    fn impact(&self) -> &'static str {
        "Existing accounts take measurably longer (or shorter) to reject, usually because only they pay the password hash: an attacker times the sign-in to learn which accounts are real."
    }

    async fn run(&self, ctx: &mut EndpointCtx<'_>) -> Verdict {
        let scanner = ctx.prober.scanner;
        let data = ctx.enumeration().await;
        let progress = &scanner.progress;
        let pool: Vec<f64> = data.timing_pool().iter().map(|a| a.ms).collect();
        progress.detail(&format!(
            "timing: {} pool samples, median {:.1} ms, max {:.1} ms{}",
            pool.len(),
            stats::median(&pool).unwrap_or(f64::NAN),
            pool.iter().copied().fold(f64::NAN, f64::max),
            if data.serial.is_some() {
                "; one attempt at a time (the server takes one request at a time)"
            } else if data.blocking {
                "; a candidate's wave-mates were delayed with it"
            } else {
                ""
            }
        ));
        let basis = data.basis();
        progress.detail(&format!(
            "timing: method {}, comparing {} ({} random values, about {:.1} ms visible)",
            basis.method,
            basis.label(),
            basis.null.len(),
            basis.smallest_visible_ms()
        ));
        for (name, attempts) in data.candidates.iter().filter(|(_, a)| a.len() > 1) {
            let ms: Vec<String> = attempts.iter().map(|a| format!("{:.1}", a.ms)).collect();
            let on: Vec<String> = basis
                .values(data, attempts)
                .iter()
                .map(|v| format!("{v:.1}"))
                .collect();
            progress.detail(&format!(
                "timing: {name}: {} ms (compared: {})",
                ms.join(", "),
                on.join(", ")
            ));
        }
        let hits = match decide(data, scanner.engine.fastest_ms()) {
            Decision::Undecided(why) => return Verdict::Incomplete(why),
            Decision::Same => {
                return match data.withheld_reason() {
                    Some(why) => Verdict::Incomplete(why),
                    None => Verdict::Pass,
                }
            }
            Decision::Differs(h) => h,
        };
        let (name, t) = &hits[0];
        let randoms: Vec<f64> = data.timing_pool().iter().map(|a| a.ms).collect();
        let random_median = stats::median(&randoms).unwrap_or(0.0);
        let how = match basis.compared {
            Compared::InWave => format!(
                "; each attempt against the random accounts released with it ({}), so network jitter hit both alike",
                basis.method
            ),
            Compared::Neighbours(_) => " sent one at a time; each attempt against the random accounts sent just before and after it, so the server's slower and faster spells hit both alike".to_string(),
            Compared::Times => String::new(),
        };
        let tested = data
            .candidates
            .iter()
            .filter(|(_, a)| !a.is_empty())
            .count();
        let cand = data.candidate_attempts(name);
        let cand_times: Vec<f64> = EnumData::usable(cand).iter().map(|a| a.ms).collect();
        let rand_ex = EnumData::usable(&data.random).first().map(|a| (*a).clone());
        let slower = if t.gap_ms > 0.0 { "slower" } else { "faster" };
        Verdict::Found(
            FindingDraft::new(format!(
                "Failed sign-ins for '{name}' were at least {:.1} ms {slower} in every attempt (median {:.1} ms vs {:.1} ms over {} random accounts{how}; Mann–Whitney p = {:.5}, Holm-corrected over {} accounts; Cliff's δ = {:.2}). The sign-in does work only for existing accounts — typically a password hash — which tells an attacker which accounts exist.",
                t.gap_ms.abs(),
                stats::median(&cand_times).unwrap_or(0.0),
                random_median,
                randoms.len(),
                t.p_value,
                tested,
                t.delta
            ))
            .evidence_from(cand.iter().take(1).chain(rand_ex.as_ref()))
            .detail("accounts", hits.iter().map(|h| h.0.clone()).collect::<Vec<_>>())
            .detail("p_value", t.p_value)
            .detail("cliffs_delta", t.delta)
            .detail("median_gap_ms", round2(t.gap_ms))
            .detail("candidate_ms", cand_times.into_iter().map(round2).collect::<Vec<_>>())
            .detail("random_median_ms", round2(random_median))
            .detail("random_samples", randoms.len())
            .detail("method", basis.method)
            .detail("compared", basis.label())
            .detail(
                "candidate_values_ms",
                basis
                    .values(data, cand)
                    .into_iter()
                    .map(round2)
                    .collect::<Vec<_>>(),
            )
            .detail("null_samples", basis.null.len())
            .detail("smallest_visible_ms", round2(basis.smallest_visible_ms()))

        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::Role;

    #[test]
    fn a_leak_hidden_by_a_drifting_one_at_a_time_server_is_found_against_its_neighbours() {
        // Spells 45 ms apart hide a 40 ms leak from the pool's times, and the control, sampled
        // like admin, does not stand out.
        let d = crate::probe::enumeration::tests::spells(45.0, 40.0);
        match decide(&d, Some(0.5)) {
            Decision::Differs(hits) => {
                assert_eq!(hits.len(), 1);
                assert_eq!(hits[0].0, "admin");
                assert!((hits[0].1.gap_ms - 40.0).abs() < 5.0, "{:?}", hits[0].1);
            }
            other => panic!("{other:?}"),
        }
        // Compared with the whole pool the same answers cannot decide.
        let mut clock = crate::probe::enumeration::tests::spells(45.0, 40.0);
        clock.serial = None;
        assert!(
            matches!(decide(&clock, Some(0.5)), Decision::Undecided(ref w) if w.contains("cannot see differences")),
            "{:?}",
            decide(&clock, Some(0.5))
        );
        // No leak: no finding on either basis.
        let none = crate::probe::enumeration::tests::spells(45.0, 0.0);
        assert!(!matches!(decide(&none, Some(0.5)), Decision::Differs(_)));
    }

    #[test]
    fn limits_say_what_a_null_cannot_show() {
        // Eleven quiet random values: three samples can reach p = 2/364, and the spread (the
        // second-most-extreme value's distance from the median) is 1 ms, under a 5 ms floor.
        let quiet = [
            100.0, 101.0, 99.0, 100.5, 99.5, 100.0, 101.0, 99.0, 100.2, 99.8, 100.0,
        ];
        assert_eq!(limits(&quiet, 3, 5.0, 1, "x"), None);
        // Over four accounts Holm asks 0.0025 of the first: eleven values are too few.
        let few = limits(&quiet, 3, 5.0, 4, "x").unwrap();
        assert!(few.contains("cannot show a difference for 4"), "{few}");
        // A noisy null: differences under its spread cannot be seen.
        let noisy = [
            100.0, 140.0, 60.0, 120.0, 80.0, 100.0, 130.0, 70.0, 110.0, 90.0, 100.0,
        ];
        let why = limits(&noisy, 3, 5.0, 1, "random identifiers vary").unwrap();
        assert!(
            why.starts_with("cannot see differences under 30.0 ms"),
            "{why}"
        );
        assert_eq!(binomial(14, 3), 364.0);
    }

    /// A sample: 24 random accounts in all-random waves, the control, and `admin` whose three
    /// attempts take `admin_ms` (each in a wave with three random accounts at `mates_ms`).
    /// Every time of `d` later by `ms` (a fixed stall on every failure).
    fn stalled(mut d: EnumData, ms: f64) -> EnumData {
        for a in d
            .random
            .iter_mut()
            .chain(d.sequence.iter_mut())
            .chain(d.control.iter_mut())
            .chain(d.candidates.iter_mut().flat_map(|(_, v)| v.iter_mut()))
        {
            a.ms += ms;
        }
        d
    }

    #[test]
    fn under_a_fixed_stall_the_floor_scales_with_the_whole_wait() {
        // 38 ms more for admin on top of a 500 ms stall every failure waits: 8 % of the
        // server's time, under the relative floor (a stall to a minimum hides small work).
        let d = stalled(sample(40.0, 2.2, [2.1, 2.2, 2.0]), 500.0);
        assert!(!matches!(decide(&d, Some(1.0)), Decision::Differs(_)));
        // Without a faster answer elsewhere, the stall reads as the network's: reported.
        assert!(matches!(decide(&d, None), Decision::Differs(_)));
        // No stall: the network floor changes nothing.
        let d = sample(40.0, 2.2, [2.1, 2.2, 2.0]);
        assert!(matches!(decide(&d, Some(1.0)), Decision::Differs(_)));
    }

    fn sample(admin_ms: f64, mates_ms: f64, control_ms: [f64; 3]) -> EnumData {
        let mut d = EnumData::default();
        let mut wave = 0;
        for i in 0..24 {
            if i % 4 == 0 {
                wave += 1;
            }
            let a = Attempt::synthetic(
                &format!("r{i}"),
                Role::Random,
                2.0 + (i % 5) as f64 * 0.1,
                Some(wave),
            );
            d.random.push(a.clone());
            d.sequence.push(a);
        }
        let mut admin = Vec::new();
        for k in 0..3 {
            wave += 1;
            let a = Attempt::synthetic(
                "admin",
                Role::Candidate,
                admin_ms + k as f64 * 0.2,
                Some(wave),
            );
            d.sequence.push(a.clone());
            admin.push(a);
            for m in 0..3 {
                let r = Attempt::synthetic(&format!("m{k}{m}"), Role::Random, mates_ms, Some(wave));
                d.random.push(r.clone());
                d.sequence.push(r);
            }
        }
        d.candidates.push(("admin".into(), admin));
        for (k, ms) in control_ms.iter().enumerate() {
            let a = Attempt::synthetic("ctl", Role::Control, *ms, Some(100 + k as u32));
            d.control.push(a.clone());
            d.sequence.push(a);
        }
        d
    }

    /// The sampler's pool sizes are the smallest that let three samples above every random
    /// account pass Holm's first step (two-sided): 26 for 12 candidates, 16 for 4.
    #[test]
    fn the_pool_sizes_can_reach_significance() {
        for (candidates, pool, enough) in [
            (12, 26, true),
            (12, 20, false),
            (4, 16, true),
            (4, 12, false),
        ] {
            let randoms: Vec<f64> = (0..pool).map(|i| 2.0 + i as f64 * 0.01).collect();
            let t = test_group(&[50.0, 51.0, 52.0], &randoms).unwrap();
            assert_eq!(
                t.p_value < ALPHA / candidates as f64,
                enough,
                "{candidates} candidates, pool {pool}: p = {}",
                t.p_value
            );
        }
    }

    #[test]
    fn a_slow_account_differs_even_when_it_slows_its_whole_wave() {
        // A one-at-a-time server: admin's wave-mates wait for its hash and are left out.
        match decide(&sample(40.0, 40.0, [2.1, 2.2, 2.0]), None) {
            Decision::Differs(h) => assert_eq!(h[0].0, "admin"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn no_difference_is_same_and_a_noisy_control_is_undecided() {
        assert_eq!(
            decide(&sample(2.2, 2.2, [2.1, 2.2, 2.0]), None),
            Decision::Same
        );
        assert!(matches!(
            decide(&sample(40.0, 40.0, [40.0, 41.0, 42.0]), None),
            Decision::Undecided(_)
        ));
    }

    #[test]
    fn a_control_that_drifted_with_the_candidate_makes_it_undecided() {
        // Admin's samples came when everything was slow: the control's later two were too.
        match decide(&sample(40.0, 40.0, [30.0, 31.0, 2.0]), None) {
            Decision::Undecided(why) => assert!(why.contains("A/A control"), "{why}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_consistent_gap_passes_the_floor() {
        let randoms: Vec<f64> = (0..20).map(|i| 2.0 + (i % 5) as f64 * 0.1).collect();
        let t = test_group(&[60.0, 62.0, 61.0], &randoms).unwrap();
        assert!(t.p_value < 0.002, "{t:?}");
        assert!(meets_floor(&t, 2.2));
    }

    #[test]
    fn one_delayed_sample_does_not_make_a_gap() {
        let randoms: Vec<f64> = (0..20).map(|i| 2.0 + (i % 5) as f64 * 0.1).collect();
        // Two samples barely above the randoms and one GC pause: the nearest sample decides.
        let t = test_group(&[2.9, 3.0, 40.0], &randoms).unwrap();
        assert!(!meets_floor(&t, 2.2), "{t:?}");
    }

    #[test]
    fn a_tiny_gap_fails_the_floor() {
        let randoms: Vec<f64> = (0..20).map(|i| 2.0 + (i % 5) as f64 * 0.1).collect();
        let t = test_group(&[3.0, 3.1, 3.2], &randoms).unwrap();
        assert!(!meets_floor(&t, 2.2));
    }
}
