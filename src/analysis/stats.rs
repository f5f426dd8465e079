//! Statistics for timing decisions: Mann–Whitney U (exact for small samples), Cliff's delta,
//! Holm correction, quantiles.
//!
//! All functions are total: they never panic, whatever the input. NaN observations carry no
//! order information, so they are dropped from the samples before any computation (a sample that
//! is all NaN counts as empty).

use statrs::distribution::{ContinuousCDF, Normal};

/// Which difference the test looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alternative {
    TwoSided,
    /// x tends to be greater than y.
    Greater,
    /// x tends to be less than y.
    Less,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MwuResult {
    /// U statistic of x (number of pairs with x > y, ties count one half).
    pub u: f64,
    pub p_value: f64,
    /// Whether the p-value is exact (permutation distribution) or a normal approximation.
    pub exact: bool,
}

/// Largest size of the smaller sample for which the exact distribution is always used
/// (when there are no ties), whatever the size of the larger one up to [`EXACT_MAX_LARGER`].
pub const EXACT_MAX_SMALLER: usize = 10;
/// Largest size of the larger sample for the exact path when the smaller one has at most
/// [`EXACT_MAX_SMALLER`] observations.
pub const EXACT_MAX_LARGER: usize = 1000;
/// Both samples at most this size: exact distribution (when there are no ties).
pub const EXACT_MAX_BOTH: usize = 50;

/// Mann–Whitney U test of x against y. `None` when either sample is empty.
///
/// * `u` is the U statistic of `x`: the number of pairs `(xi, yj)` with `xi > yj`, plus one half
///   per tied pair.
/// * Without ties, the p-value is exact (permutation distribution of U, computed as the
///   coefficients of the Gaussian binomial polynomial) when the smaller sample has at most
///   [`EXACT_MAX_SMALLER`] observations and the larger at most [`EXACT_MAX_LARGER`], or when both
///   have at most [`EXACT_MAX_BOTH`].
/// * Otherwise — and whenever there are ties, whatever the sample sizes — the p-value comes from
///   the normal approximation with tie-corrected variance and a continuity correction of 0.5
///   (the same as `scipy.stats.mannwhitneyu(..., method="asymptotic")`). If every observation is
///   equal the variance is zero and the p-value is 1.
/// * Two-sided p = min(1, 2 × the smaller one-sided p).
///
/// NaN values are dropped first.
pub fn mann_whitney_u(x: &[f64], y: &[f64], alt: Alternative) -> Option<MwuResult> {
    let ranked = RankSums::new(x, y)?;
    let n1 = ranked.n1;
    let n2 = ranked.n2;
    let u = ranked.u1;

    if !ranked.has_ties {
        let (small, large) = if n1 <= n2 { (n1, n2) } else { (n2, n1) };
        let exact_ok = (small <= EXACT_MAX_SMALLER && large <= EXACT_MAX_LARGER)
            || (small <= EXACT_MAX_BOTH && large <= EXACT_MAX_BOTH);
        if exact_ok {
            if let Some(p_value) = exact_p(n1, n2, u, alt) {
                return Some(MwuResult {
                    u,
                    p_value,
                    exact: true,
                });
            }
        }
    }

    if ranked.has_ties {
        if let Some(p_value) = exact_tied_p(x, y, u, alt) {
            return Some(MwuResult {
                u,
                p_value,
                exact: true,
            });
        }
    }

    let p_value = normal_p(n1, n2, u, ranked.tie_term, alt);
    Some(MwuResult {
        u,
        p_value,
        exact: false,
    })
}

/// Most arrangements enumerated for the exact test with ties.
pub const EXACT_TIED_MAX_ARRANGEMENTS: u128 = 250_000;

/// Exact conditional p-value with ties: enumerate every way to pick x's positions among the
/// pooled mid-ranks (feasible for a small x, e.g. 3 attempts against 40 random accounts).
fn exact_tied_p(x: &[f64], y: &[f64], u_obs: f64, alt: Alternative) -> Option<f64> {
    let mut pooled: Vec<f64> = x
        .iter()
        .chain(y.iter())
        .copied()
        .filter(|v| !v.is_nan())
        .collect();
    let n1 = x.iter().filter(|v| !v.is_nan()).count();
    let n = pooled.len();
    let k = n1.min(n - n1);
    let mut total: u128 = 1;
    for i in 0..k as u128 {
        total = total * (n as u128 - i) / (i + 1);
        if total > EXACT_TIED_MAX_ARRANGEMENTS {
            return None;
        }
    }
    pooled.sort_by(|a, b| a.total_cmp(b));
    let mut ranks = vec![0.0; n];
    let mut start = 0;
    while start < n {
        let mut end = start + 1;
        while end < n && pooled[end] == pooled[start] {
            end += 1;
        }
        let avg = (start + 1 + end) as f64 / 2.0;
        ranks[start..end].iter_mut().for_each(|r| *r = avg);
        start = end;
    }
    let base = (n1 * (n1 + 1)) as f64 / 2.0;
    let (mut le, mut ge, mut count) = (0u128, 0u128, 0u128);
    let mut idx: Vec<usize> = (0..n1).collect();
    let eps = 1e-9;
    loop {
        let u = idx.iter().map(|&i| ranks[i]).sum::<f64>() - base;
        count += 1;
        if u <= u_obs + eps {
            le += 1;
        }
        if u >= u_obs - eps {
            ge += 1;
        }
        // next combination of n1 indices out of n
        let mut i = n1;
        loop {
            if i == 0 {
                let total = count as f64;
                let p_greater = ge as f64 / total;
                let p_less = le as f64 / total;
                return Some(match alt {
                    Alternative::Greater => p_greater,
                    Alternative::Less => p_less,
                    Alternative::TwoSided => (2.0 * p_greater.min(p_less)).min(1.0),
                });
            }
            i -= 1;
            if idx[i] < n - n1 + i {
                idx[i] += 1;
                for j in i + 1..n1 {
                    idx[j] = idx[j - 1] + 1;
                }
                break;
            }
        }
    }
}

/// Cliff's delta in [-1, 1]: P(x > y) − P(x < y).
///
/// `(#(xi > yj) − #(xi < yj)) / (n1 · n2)`; 0.0 when either sample is empty (after dropping NaN).
pub fn cliffs_delta(x: &[f64], y: &[f64]) -> f64 {
    match RankSums::new(x, y) {
        // #gt + #lt + #eq = n1 n2 and U = #gt + #eq / 2, so #gt − #lt = 2U − n1 n2.
        Some(r) => {
            let nn = r.n1 as f64 * r.n2 as f64;
            ((2.0 * r.u1 - nn) / nn).clamp(-1.0, 1.0)
        }
        None => 0.0,
    }
}

/// Holm–Bonferroni: which of the hypotheses are rejected at family-wise level `alpha`.
///
/// The result is in input order. The k-th smallest p-value (k = 1..m) is compared with
/// `alpha / (m − k + 1)`; rejection stops at the first one that fails, and every hypothesis from
/// there on is kept. A NaN p-value is never rejected (and stops the procedure at its position,
/// which is after every number).
pub fn holm(p_values: &[f64], alpha: f64) -> Vec<bool> {
    let m = p_values.len();
    let mut rejected = vec![false; m];
    let mut order: Vec<usize> = (0..m).collect();
    // NaN is sorted last by total_cmp (positive NaN) — make sure negative NaN goes last too.
    order.sort_by(|&a, &b| {
        let (pa, pb) = (p_values[a], p_values[b]);
        pa.is_nan()
            .cmp(&pb.is_nan())
            .then_with(|| pa.total_cmp(&pb))
    });
    for (k, &i) in order.iter().enumerate() {
        let threshold = alpha / (m - k) as f64;
        let p = p_values[i];
        if p <= threshold {
            rejected[i] = true;
        } else {
            break;
        }
    }
    rejected
}

/// Quantile q in [0, 1] by linear interpolation; `None` for an empty sample.
///
/// Type 7 of Hyndman & Fan (numpy's default): with the sorted sample `s` of size n,
/// `h = (n − 1) q`, result `s[⌊h⌋] + (h − ⌊h⌋) (s[⌊h⌋ + 1] − s[⌊h⌋])`. NaN values are dropped;
/// `q` is clamped to [0, 1]; a NaN `q` gives `None`.
pub fn quantile(xs: &[f64], q: f64) -> Option<f64> {
    if q.is_nan() {
        return None;
    }
    let mut s: Vec<f64> = xs.iter().copied().filter(|v| !v.is_nan()).collect();
    if s.is_empty() {
        return None;
    }
    s.sort_by(f64::total_cmp);
    let q = q.clamp(0.0, 1.0);
    let n = s.len();
    let h = (n - 1) as f64 * q;
    let lo = (h.floor() as usize).min(n - 1);
    let hi = (lo + 1).min(n - 1);
    let frac = h - lo as f64;
    let (a, b) = (s[lo], s[hi]);
    if frac <= 0.0 || a == b {
        Some(a)
    } else {
        Some(a + frac * (b - a))
    }
}

/// Median; `None` for an empty sample.
pub fn median(xs: &[f64]) -> Option<f64> {
    quantile(xs, 0.5)
}

/// Ranks of the pooled sample: U of x and the tie term of the variance.
struct RankSums {
    n1: usize,
    n2: usize,
    /// U statistic of x.
    u1: f64,
    /// Σ (t³ − t) over the groups of tied values.
    tie_term: f64,
    has_ties: bool,
}

impl RankSums {
    fn new(x: &[f64], y: &[f64]) -> Option<RankSums> {
        let mut pooled: Vec<(f64, bool)> = x
            .iter()
            .filter(|v| !v.is_nan())
            .map(|&v| (v, true))
            .chain(y.iter().filter(|v| !v.is_nan()).map(|&v| (v, false)))
            .collect();
        let n1 = pooled.iter().filter(|(_, from_x)| *from_x).count();
        let n2 = pooled.len() - n1;
        if n1 == 0 || n2 == 0 {
            return None;
        }
        pooled.sort_by(|a, b| a.0.total_cmp(&b.0));

        // Walk the groups of equal values (−0.0 == 0.0, both adjacent after total_cmp).
        let mut rank_sum_x = 0.0;
        let mut tie_term = 0.0;
        let mut has_ties = false;
        let mut start = 0;
        while start < pooled.len() {
            let mut end = start + 1;
            while end < pooled.len() && pooled[end].0 == pooled[start].0 {
                end += 1;
            }
            let t = (end - start) as f64;
            // Ranks start + 1 ..= end, average (start + 1 + end) / 2.
            let avg_rank = (start + 1 + end) as f64 / 2.0;
            let in_x = pooled[start..end].iter().filter(|(_, fx)| *fx).count() as f64;
            rank_sum_x += avg_rank * in_x;
            if end - start > 1 {
                has_ties = true;
                tie_term += t * t * t - t;
            }
            start = end;
        }
        let n1f = n1 as f64;
        let u1 = rank_sum_x - n1f * (n1f + 1.0) / 2.0;
        Some(RankSums {
            n1,
            n2,
            u1,
            tie_term,
            has_ties,
        })
    }
}

/// Number of arrangements giving each value of U for samples of size m and n (index = U,
/// 0..=m·n), i.e. the coefficients of the Gaussian binomial `[m+n choose m]_q`, built as
/// `Π_{i=1..s} (1 − q^{l+i}) / (1 − q^i)` with s = min(m, n), l = max(m, n). Each intermediate
/// result is itself a Gaussian binomial, so the coefficients stay within `C(l+s, s)`; `None` if
/// that would overflow 128 bits.
fn u_distribution(m: usize, n: usize) -> Option<Vec<u128>> {
    let (s, l) = if m <= n { (m, n) } else { (n, m) };
    let max_u = s.checked_mul(l)?;
    let mut poly: Vec<i128> = vec![0; max_u + 1];
    poly[0] = 1;
    let mut degree = 0usize;
    for i in 1..=s {
        // Multiply by (1 − q^{l+i}).
        let shift = l + i;
        let new_degree = degree + shift;
        // The final division brings the degree back to i·l; the product briefly reaches
        // degree + l + i, which may exceed max_u: keep a buffer big enough.
        if poly.len() < new_degree + 1 {
            poly.resize(new_degree + 1, 0);
        }
        for k in (shift..=new_degree).rev() {
            poly[k] = poly[k].checked_sub(poly[k - shift])?;
        }
        // Divide by (1 − q^i): g[k] = f[k] + g[k − i].
        for k in i..=new_degree {
            poly[k] = poly[k].checked_add(poly[k - i])?;
        }
        degree = new_degree - i;
    }
    poly.truncate(max_u + 1);
    poly.into_iter().map(|c| u128::try_from(c).ok()).collect()
}

/// Exact p-value of U (no ties). `None` if the distribution cannot be computed.
fn exact_p(n1: usize, n2: usize, u: f64, alt: Alternative) -> Option<f64> {
    let dist = u_distribution(n1, n2)?;
    let total: u128 = dist.iter().try_fold(0u128, |acc, &c| acc.checked_add(c))?;
    if total == 0 || !u.is_finite() || u < 0.0 {
        return None;
    }
    let k = u.round() as usize;
    if k >= dist.len() {
        return None;
    }
    // P(U >= k) and P(U <= k).
    let upper: u128 = dist[k..].iter().sum();
    let lower: u128 = dist[..=k].iter().sum();
    let total_f = total as f64;
    let p_greater = upper as f64 / total_f;
    let p_less = lower as f64 / total_f;
    let p = match alt {
        Alternative::Greater => p_greater,
        Alternative::Less => p_less,
        Alternative::TwoSided => 2.0 * p_greater.min(p_less),
    };
    Some(p.clamp(0.0, 1.0))
}

/// Normal approximation with tie correction and continuity correction.
fn normal_p(n1: usize, n2: usize, u: f64, tie_term: f64, alt: Alternative) -> f64 {
    let n1f = n1 as f64;
    let n2f = n2 as f64;
    let n = n1f + n2f;
    let mu = n1f * n2f / 2.0;
    let var = if n > 1.0 {
        n1f * n2f / 12.0 * ((n + 1.0) - tie_term / (n * (n - 1.0)))
    } else {
        0.0
    };
    if var.is_nan() || var <= 0.0 || !var.is_finite() {
        // Every observation equal: no evidence either way.
        return 1.0;
    }
    let sd = var.sqrt();
    let normal = Normal::standard();
    let p_greater = normal.sf((u - mu - 0.5) / sd);
    let p_less = normal.cdf((u - mu + 0.5) / sd);
    let p = match alt {
        Alternative::Greater => p_greater,
        Alternative::Less => p_less,
        Alternative::TwoSided => 2.0 * p_greater.min(p_less),
    };
    if p.is_nan() {
        1.0
    } else {
        p.clamp(0.0, 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * b.abs().max(1e-300)
    }

    fn assert_p(r: MwuResult, u: f64, p: f64, exact: bool) {
        assert_eq!(r.u, u, "U statistic");
        assert_eq!(r.exact, exact, "exact flag for {r:?}");
        assert!(close(r.p_value, p, 1e-9), "p = {} expected {p}", r.p_value);
    }

    fn binom(n: u128, k: u128) -> u128 {
        let mut c = 1u128;
        for i in 0..k {
            c = c * (n - i) / (i + 1);
        }
        c
    }

    // --- Mann–Whitney U ---------------------------------------------------------------------

    #[test]
    fn mwu_three_above_twenty_is_one_over_c23_3() {
        let x = [101.0, 102.0, 103.0];
        let y: Vec<f64> = (1..=20).map(f64::from).collect();
        let g = mann_whitney_u(&x, &y, Alternative::Greater).unwrap();
        assert_p(g, 60.0, 1.0 / 1771.0, true);
        assert!(close(g.p_value, 0.000564652738565782, 1e-12));
        let two = mann_whitney_u(&x, &y, Alternative::TwoSided).unwrap();
        assert_p(two, 60.0, 2.0 / 1771.0, true);
        let less = mann_whitney_u(&x, &y, Alternative::Less).unwrap();
        assert_p(less, 60.0, 1.0, true);
        // Swapping the samples mirrors U and the alternative.
        let swapped = mann_whitney_u(&y, &x, Alternative::Less).unwrap();
        assert_p(swapped, 0.0, 1.0 / 1771.0, true);
    }

    // Reference values: scipy 1.17 `mannwhitneyu(x, y, alternative=..., method="exact")`.
    #[test]
    fn mwu_exact_matches_scipy_small() {
        let x = [1.1, 2.2, 3.3, 4.4, 5.5];
        let y = [2.0, 3.0, 6.0, 7.0, 8.0, 9.0];
        let r = |a| mann_whitney_u(&x, &y, a).unwrap();
        assert_p(r(Alternative::TwoSided), 7.0, 0.17748917748917747, true);
        assert_p(r(Alternative::Greater), 7.0, 0.9372294372294372, true);
        assert_p(r(Alternative::Less), 7.0, 0.08874458874458874, true);

        let x = [12.5, 9.1, 14.2, 11.0, 10.3, 13.7, 8.8];
        let y = [7.1, 9.9, 6.4, 8.2, 10.1, 5.5];
        let r = |a| mann_whitney_u(&x, &y, a).unwrap();
        assert_p(r(Alternative::TwoSided), 38.0, 0.013986013986013986, true);
        assert_p(r(Alternative::Greater), 38.0, 0.006993006993006993, true);
        assert_p(r(Alternative::Less), 38.0, 0.995920745920746, true);

        let x = [1.0, 2.0];
        let y = [3.0];
        let r = |a| mann_whitney_u(&x, &y, a).unwrap();
        assert_p(r(Alternative::TwoSided), 0.0, 2.0 / 3.0, true);
        assert_p(r(Alternative::Greater), 0.0, 1.0, true);
        assert_p(r(Alternative::Less), 0.0, 1.0 / 3.0, true);
    }

    #[test]
    fn mwu_exact_matches_scipy_medium_30_by_45() {
        let x = [
            10.002, 10.597, 9.452, 8.219, 9.091, 8.017, 10.12, 12.68, 9.016, 8.759, 10.98, 10.714,
            10.211, 8.139, 9.941, 11.391, 7.312, 9.085, 6.198, 7.421, 6.317, 9.53, 7.465, 10.543,
            10.314, 9.626, 4.966, 8.923, 9.903, 10.227,
        ];
        let y = [
            7.94, 10.044, 9.043, 9.382, 13.122, 9.385, 10.935, 12.769, 9.833, 10.777, 11.221,
            11.128, 8.55, 11.152, 13.718, 7.906, 12.719, 11.239, 9.717, 15.001, 12.525, 8.601,
            11.149, 12.153, 10.622, 12.366, 10.867, 12.334, 13.877, 9.649, 11.406, 10.073, 11.255,
            8.626, 9.841, 10.608, 12.798, 13.29, 8.353, 9.411, 12.294, 7.015, 10.074, 10.805,
            13.514,
        ];
        let r = |a| mann_whitney_u(&x, &y, a).unwrap();
        assert_p(r(Alternative::TwoSided), 345.0, 0.0002670133794180263, true);
        assert_p(r(Alternative::Greater), 345.0, 0.9998724786264372, true);
        assert_p(r(Alternative::Less), 345.0, 0.00013350668970901316, true);
    }

    #[test]
    fn mwu_exact_feasible_at_fifty_by_fifty() {
        // Complete separation: p = 1 / C(100, 50).
        let x: Vec<f64> = (50..100).map(f64::from).collect();
        let y: Vec<f64> = (0..50).map(|v| f64::from(v) + 0.5).collect();
        let g = mann_whitney_u(&x, &y, Alternative::Greater).unwrap();
        assert_p(g, 2500.0, 9.911653021418343e-30, true);
        let two = mann_whitney_u(&x, &y, Alternative::TwoSided).unwrap();
        assert_p(two, 2500.0, 1.9823306042836686e-29, true);
        assert_p(
            mann_whitney_u(&x, &y, Alternative::Less).unwrap(),
            2500.0,
            1.0,
            true,
        );

        // Interleaved samples (scipy exact).
        let x: Vec<f64> = (0..50).map(|v| f64::from(2 * v)).collect();
        let y: Vec<f64> = (0..50).map(|v| f64::from(2 * v + 1)).collect();
        let r = |a| mann_whitney_u(&x, &y, a).unwrap();
        assert_p(r(Alternative::TwoSided), 1225.0, 0.8664717523984028, true);
        assert_p(r(Alternative::Greater), 1225.0, 0.5694622712903662, true);
        assert_p(r(Alternative::Less), 1225.0, 0.4332358761992014, true);
    }

    #[test]
    fn mwu_ties_with_a_small_sample_are_exact() {
        // 3 values above 20 that hold ties among themselves: complete separation is still
        // 1 arrangement in C(23, 3) = 1771 on each side.
        let y: Vec<f64> = (0..20).map(|i| 2.0 + (i % 5) as f64 * 0.1).collect();
        let r = mann_whitney_u(&[60.0, 62.0, 61.0], &y, Alternative::TwoSided).unwrap();
        assert!(r.exact);
        assert!(close(r.p_value, 2.0 / 1771.0, 1e-9), "{r:?}");
        // All tied: p = 1.
        let r = mann_whitney_u(&[1.0, 1.0], &[1.0, 1.0, 1.0], Alternative::TwoSided).unwrap();
        assert!(close(r.p_value, 1.0, 1e-12), "{r:?}");
    }

    // scipy `method="asymptotic"` (tie-corrected variance, continuity correction).
    #[test]
    fn mwu_ties_use_tie_corrected_normal_approximation() {
        let x: Vec<f64> = (0..20).map(|i| (i / 2) as f64).collect();
        let y: Vec<f64> = (0..25).map(|i| (i / 2) as f64 + 0.5).collect();
        let r = mann_whitney_u(&x, &y, Alternative::TwoSided).unwrap();
        assert!(!r.exact);
        assert!(r.p_value > 0.0 && r.p_value < 1.0);
    }

    #[test]
    fn mwu_small_tied_samples_match_scipy_asymptotic_shape() {
        let x = [1.0, 2.0, 2.0, 3.0, 3.0, 3.0, 4.0];
        let y = [2.0, 3.0, 4.0, 4.0, 5.0, 5.0, 6.0, 6.0];
        // The asymptotic path itself, as scipy computes it.
        let rs = RankSums::new(&x, &y).unwrap();
        assert_eq!(rs.u1, 8.5);
        let p = |a| normal_p(rs.n1, rs.n2, rs.u1, rs.tie_term, a);
        assert!(close(p(Alternative::TwoSided), 0.025144761173357368, 1e-9));
        assert!(close(p(Alternative::Greater), 0.9907889372729505, 1e-9));
        assert!(close(p(Alternative::Less), 0.012572380586678684, 1e-9));
        // With ties and these sizes the test itself is exact (conditional permutation).
        let r = mann_whitney_u(&x, &y, Alternative::Less).unwrap();
        assert!(r.exact);
        assert!(r.p_value > 0.005 && r.p_value < 0.03, "{r:?}");
    }

    #[test]
    fn mwu_large_samples_use_normal_approximation() {
        // 60 × 60 without ties is beyond the exact bounds.
        let x: Vec<f64> = (0..60).map(|v| f64::from(v) * 2.0 + 1.0).collect();
        let y: Vec<f64> = (0..60).map(|v| f64::from(v) * 2.0).collect();
        let r = mann_whitney_u(&x, &y, Alternative::Greater).unwrap();
        assert!(!r.exact);
        // U = 60·61/2 = 1830; mu = 1800; var = 3600·121/12 = 36300.
        assert_eq!(r.u, 1830.0);
        let z = (1830.0 - 1800.0 - 0.5) / 36300f64.sqrt();
        let expected = Normal::standard().sf(z);
        assert!(close(r.p_value, expected, 1e-12));
        assert!(r.p_value > 0.4 && r.p_value < 0.5);
    }

    #[test]
    fn mwu_exact_bounds_for_one_small_sample() {
        // min(n1, n2) <= 10 stays exact even with a large other sample.
        let x = [500.0, 501.0];
        let y: Vec<f64> = (0..300).map(f64::from).collect();
        let r = mann_whitney_u(&x, &y, Alternative::Greater).unwrap();
        assert!(r.exact);
        assert_eq!(r.u, 600.0);
        let expected = 1.0 / binom(302, 2) as f64;
        assert!(close(r.p_value, expected, 1e-12));
    }

    #[test]
    fn mwu_single_observations() {
        let r = mann_whitney_u(&[2.0], &[1.0], Alternative::Greater).unwrap();
        assert_p(r, 1.0, 0.5, true);
        let r = mann_whitney_u(&[2.0], &[1.0], Alternative::TwoSided).unwrap();
        assert_p(r, 1.0, 1.0, true);
        // One tied pair: U = 0.5, all values equal → p = 1.
        let r = mann_whitney_u(&[1.0], &[1.0], Alternative::TwoSided).unwrap();
        assert_p(r, 0.5, 1.0, true);
    }

    #[test]
    fn mwu_all_equal_gives_p_one() {
        let x = [5.0; 4];
        let y = [5.0; 7];
        for alt in [
            Alternative::TwoSided,
            Alternative::Greater,
            Alternative::Less,
        ] {
            let r = mann_whitney_u(&x, &y, alt).unwrap();
            assert_p(r, 14.0, 1.0, true);
        }
    }

    #[test]
    fn mwu_empty_and_nan() {
        assert_eq!(mann_whitney_u(&[], &[1.0], Alternative::TwoSided), None);
        assert_eq!(mann_whitney_u(&[1.0], &[], Alternative::Greater), None);
        assert_eq!(mann_whitney_u(&[], &[], Alternative::Less), None);
        assert_eq!(mann_whitney_u(&[f64::NAN], &[1.0], Alternative::Less), None);
        // NaN observations are dropped.
        let with_nan = mann_whitney_u(
            &[101.0, f64::NAN, 102.0, 103.0],
            &[1.0, 2.0, 3.0],
            Alternative::Greater,
        )
        .unwrap();
        let without = mann_whitney_u(
            &[101.0, 102.0, 103.0],
            &[1.0, 2.0, 3.0],
            Alternative::Greater,
        )
        .unwrap();
        assert_eq!(with_nan, without);
        assert_p(without, 9.0, 1.0 / 20.0, true);
    }

    #[test]
    fn mwu_infinities_and_signed_zero() {
        let r = mann_whitney_u(
            &[f64::INFINITY, 1.0],
            &[f64::NEG_INFINITY, 0.0],
            Alternative::Greater,
        )
        .unwrap();
        assert_p(r, 4.0, 1.0 / 6.0, true);
        // −0.0 and 0.0 are the same value: a tie.
        let r = mann_whitney_u(&[-0.0], &[0.0], Alternative::TwoSided).unwrap();
        assert_eq!(r.u, 0.5);
        assert!(r.exact);
    }

    #[test]
    fn u_distribution_is_gaussian_binomial() {
        // [4 choose 2]_q = 1 + q + 2q² + q³ + q⁴.
        assert_eq!(u_distribution(2, 2).unwrap(), vec![1, 1, 2, 1, 1]);
        assert_eq!(u_distribution(1, 3).unwrap(), vec![1, 1, 1, 1]);
        for (m, n) in [(3usize, 20usize), (5, 6), (10, 40), (50, 50), (7, 1)] {
            let d = u_distribution(m, n).unwrap();
            assert_eq!(d.len(), m * n + 1);
            let total: u128 = d.iter().sum();
            assert_eq!(total, binom((m + n) as u128, m as u128), "m={m} n={n}");
            // Symmetric around m·n / 2.
            assert!(d.iter().eq(d.iter().rev()));
            assert_eq!(d, u_distribution(n, m).unwrap());
        }
    }

    #[test]
    fn mwu_exact_is_fast_for_3_by_40() {
        let x = [10.0, 20.0, 30.0];
        let y: Vec<f64> = (0..40).map(|v| f64::from(v) + 0.25).collect();
        let start = std::time::Instant::now();
        for _ in 0..200 {
            let r = mann_whitney_u(&x, &y, Alternative::TwoSided).unwrap();
            assert!(r.exact);
        }
        // Generous even for an unoptimised build on a loaded machine.
        assert!(start.elapsed() < std::time::Duration::from_secs(2));
    }

    // --- Cliff's delta ----------------------------------------------------------------------

    #[test]
    fn cliffs_delta_values() {
        assert_eq!(cliffs_delta(&[3.0, 4.0], &[1.0, 2.0]), 1.0);
        assert_eq!(cliffs_delta(&[1.0, 2.0], &[3.0, 4.0]), -1.0);
        assert_eq!(cliffs_delta(&[1.0, 2.0], &[1.0, 2.0]), 0.0);
        // x = [1, 2, 3], y = [2]: one greater, one less, one tie → 0.
        assert_eq!(cliffs_delta(&[1.0, 2.0, 3.0], &[2.0]), 0.0);
        // x = [2, 3, 4], y = [1, 3]: greater: 2>1, 3>1, 4>1, 4>3 = 4; less: 2<3 = 1 → 3/6.
        assert!(close(
            cliffs_delta(&[2.0, 3.0, 4.0], &[1.0, 3.0]),
            0.5,
            1e-15
        ));
        assert_eq!(cliffs_delta(&[5.0; 3], &[5.0; 2]), 0.0);
        assert_eq!(cliffs_delta(&[7.0], &[3.0]), 1.0);
    }

    #[test]
    fn cliffs_delta_empty_is_zero() {
        assert_eq!(cliffs_delta(&[], &[1.0]), 0.0);
        assert_eq!(cliffs_delta(&[1.0], &[]), 0.0);
        assert_eq!(cliffs_delta(&[], &[]), 0.0);
        assert_eq!(cliffs_delta(&[f64::NAN], &[1.0]), 0.0);
    }

    #[test]
    fn cliffs_delta_matches_pairwise_count() {
        let x = [1.0, 5.0, 5.0, 9.0, 2.5, 7.0];
        let y = [5.0, 3.0, 8.0, 1.0];
        let mut diff = 0i32;
        for a in x {
            for b in y {
                diff += match a.partial_cmp(&b) {
                    Some(std::cmp::Ordering::Greater) => 1,
                    Some(std::cmp::Ordering::Less) => -1,
                    _ => 0,
                };
            }
        }
        let expected = f64::from(diff) / 24.0;
        assert!(close(cliffs_delta(&x, &y), expected, 1e-15));
    }

    // --- Holm --------------------------------------------------------------------------------

    #[test]
    fn holm_step_down() {
        // m = 4, alpha = 0.05: thresholds 0.0125, 0.01667, 0.025, 0.05.
        let p = [0.04, 0.01, 0.03, 0.005];
        assert_eq!(holm(&p, 0.05), vec![false, true, false, true]);
        // 0.03 vs 0.025 fails, so 0.04 is kept too even though 0.04 <= 0.05.
        let p = [0.01, 0.011, 0.03, 0.04];
        assert_eq!(holm(&p, 0.05), vec![true, true, false, false]);
        let p = [0.001, 0.01, 0.02, 0.04];
        assert_eq!(holm(&p, 0.05), vec![true, true, true, true]);
    }

    #[test]
    fn holm_stops_at_first_failure() {
        // Smallest p fails: nothing rejected.
        assert_eq!(holm(&[0.02, 0.001 + 0.02], 0.03), vec![false, false]);
        assert_eq!(holm(&[0.5, 0.2], 0.05), vec![false, false]);
    }

    #[test]
    fn holm_edge_cases() {
        assert_eq!(holm(&[], 0.05), Vec::<bool>::new());
        assert_eq!(holm(&[0.05], 0.05), vec![true]);
        assert_eq!(holm(&[0.0500001], 0.05), vec![false]);
        // Ties: both at 0.02 with m = 2: 0.02 <= 0.025, then 0.02 <= 0.05.
        assert_eq!(holm(&[0.02, 0.02], 0.05), vec![true, true]);
        assert_eq!(holm(&[0.03, 0.03], 0.05), vec![false, false]);
        // NaN is never rejected and does not break the others.
        assert_eq!(
            holm(&[f64::NAN, 0.001, -f64::NAN], 0.05),
            vec![false, true, false]
        );
    }

    // --- Quantiles ---------------------------------------------------------------------------

    #[test]
    fn quantile_matches_numpy_type7() {
        // numpy.quantile([3, 1, 4, 1.5, 9, 2.6], q)
        let xs = [3.0, 1.0, 4.0, 1.5, 9.0, 2.6];
        let cases = [
            (0.0, 1.0),
            (0.1, 1.25),
            (0.25, 1.775),
            (0.5, 2.8),
            (0.9, 6.5),
            (1.0, 9.0),
        ];
        for (q, expected) in cases {
            let got = quantile(&xs, q).unwrap();
            assert!(close(got, expected, 1e-12), "q={q}: {got} vs {expected}");
        }
        // Input is not modified.
        assert_eq!(xs, [3.0, 1.0, 4.0, 1.5, 9.0, 2.6]);
    }

    #[test]
    fn median_values() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&[7.5]), Some(7.5));
        assert_eq!(median(&[2.0, 2.0, 2.0, 2.0]), Some(2.0));
        assert_eq!(median(&[]), None);
    }

    #[test]
    fn quantile_edge_cases() {
        assert_eq!(quantile(&[], 0.5), None);
        assert_eq!(quantile(&[1.0], 0.0), Some(1.0));
        assert_eq!(quantile(&[1.0], 0.37), Some(1.0));
        assert_eq!(quantile(&[1.0], 1.0), Some(1.0));
        assert_eq!(quantile(&[1.0, 2.0], f64::NAN), None);
        // q is clamped.
        assert_eq!(quantile(&[1.0, 2.0], -3.0), Some(1.0));
        assert_eq!(quantile(&[1.0, 2.0], 7.0), Some(2.0));
        // NaN values are dropped.
        assert_eq!(quantile(&[f64::NAN, 3.0, 1.0, f64::NAN], 0.5), Some(2.0));
        assert_eq!(quantile(&[f64::NAN], 0.5), None);
        // Infinities: no inf − inf = NaN at the ends.
        assert_eq!(
            quantile(&[f64::INFINITY, f64::INFINITY], 0.5),
            Some(f64::INFINITY)
        );
        assert_eq!(quantile(&[1.0, f64::INFINITY], 1.0), Some(f64::INFINITY));
        assert_eq!(quantile(&[1.0, f64::INFINITY], 0.0), Some(1.0));
        assert_eq!(quantile(&[0.0, 10.0], 0.95), Some(9.5));
    }
}
