//! Statistics for timing decisions: Mann–Whitney U (exact for small samples), Cliff's delta,
//! Holm correction, quantiles. (Stub: to be implemented.)

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

/// Mann–Whitney U test of x against y. `None` when either sample is empty.
pub fn mann_whitney_u(x: &[f64], y: &[f64], alt: Alternative) -> Option<MwuResult> {
    let _ = (x, y, alt);
    None
}

/// Cliff's delta in [-1, 1]: P(x > y) − P(x < y).
pub fn cliffs_delta(x: &[f64], y: &[f64]) -> f64 {
    let _ = (x, y);
    0.0
}

/// Holm–Bonferroni: which of the hypotheses are rejected at family-wise level `alpha`.
pub fn holm(p_values: &[f64], alpha: f64) -> Vec<bool> {
    let _ = alpha;
    vec![false; p_values.len()]
}

/// Quantile q in [0, 1] by linear interpolation; `None` for an empty sample.
pub fn quantile(xs: &[f64], q: f64) -> Option<f64> {
    let _ = (xs, q);
    None
}

/// Median; `None` for an empty sample.
pub fn median(xs: &[f64]) -> Option<f64> {
    quantile(xs, 0.5)
}
