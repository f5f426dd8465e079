//! `keyhole history prune`: which stored scans and failed runs go, decided over plain lists (no
//! database), so the rules are tested on their own; [`super::Store::prune`] applies the answer.

use std::collections::{BTreeMap, BTreeSet};

/// A stored scan as pruning sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanRow {
    pub id: String,
    pub target: String,
    pub started_at: String,
}

/// A failed run as pruning sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailureRow {
    pub id: String,
    pub target: String,
    pub failed_at: String,
}

/// What to delete. Either rule alone, or both (what either deletes goes).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rules {
    /// Keep each target's N newest scans (N ≥ 1).
    pub keep: Option<usize>,
    /// Delete scans (and failed runs) started before this time (the store's RFC 3339 form, as
    /// [`crate::history::parse_since`] gives it).
    pub older_than: Option<String>,
}

/// The decision.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// Scans to delete, in the order they were given.
    pub scans: Vec<ScanRow>,
    pub failures: Vec<FailureRow>,
    /// Scans that stay.
    pub kept: usize,
}

impl Plan {
    /// The targets that lose a scan or a failed run.
    pub fn targets(&self) -> BTreeSet<&str> {
        self.scans
            .iter()
            .map(|s| s.target.as_str())
            .chain(self.failures.iter().map(|f| f.target.as_str()))
            .collect()
    }
}

/// Apply `rules` to `scans` (each target's oldest first, as [`super::Store::scans`] lists them)
/// and `failures`.
///
/// - A target's newest scan always stays, whatever the rules say: history never forgets that a
///   target was scanned, nor its last grade.
/// - `keep` counts scans only; failed runs follow `older_than` when it is given, and with `keep`
///   alone, a target's failed runs from before its oldest kept scan go (they explain a time
///   whose scans are gone). A target that never had a scan keeps its failed runs under `keep`.
pub fn select(scans: &[ScanRow], failures: &[FailureRow], rules: &Rules) -> Plan {
    let mut by_target: BTreeMap<&str, Vec<&ScanRow>> = BTreeMap::new();
    for s in scans {
        by_target.entry(&s.target).or_default().push(s);
    }
    let mut gone: BTreeSet<&str> = BTreeSet::new();
    // The start of each target's oldest kept scan.
    let mut oldest_kept: BTreeMap<&str, &str> = BTreeMap::new();
    for (target, list) in &by_target {
        let n = list.len();
        for (i, s) in list.iter().enumerate() {
            let latest = i + 1 == n;
            let by_keep = rules.keep.is_some_and(|k| n - i > k);
            let by_age = rules
                .older_than
                .as_deref()
                .is_some_and(|t| s.started_at.as_str() < t);
            if !latest && (by_keep || by_age) {
                gone.insert(&s.id);
            } else {
                oldest_kept.entry(target).or_insert(&s.started_at);
            }
        }
    }
    let plan_scans: Vec<ScanRow> = scans
        .iter()
        .filter(|s| gone.contains(s.id.as_str()))
        .cloned()
        .collect();
    let plan_failures = failures
        .iter()
        .filter(|f| match (&rules.older_than, rules.keep) {
            (Some(t), _) => f.failed_at < *t,
            (None, Some(_)) => oldest_kept
                .get(f.target.as_str())
                .is_some_and(|kept| f.failed_at.as_str() < *kept),
            (None, None) => false,
        })
        .cloned()
        .collect();
    Plan {
        kept: scans.len() - plan_scans.len(),
        scans: plan_scans,
        failures: plan_failures,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(id: &str, target: &str, day: u32) -> ScanRow {
        ScanRow {
            id: id.into(),
            target: target.into(),
            started_at: format!("2026-11-{day:02}T10:00:00Z"),
        }
    }

    fn failure(id: &str, target: &str, day: u32) -> FailureRow {
        FailureRow {
            id: id.into(),
            target: target.into(),
            failed_at: format!("2026-11-{day:02}T12:00:00Z"),
        }
    }

    /// a1..a5 on days 1..5 for A, b1 on day 2 for B (its only scan).
    fn scans() -> Vec<ScanRow> {
        let mut v: Vec<ScanRow> = (1..=5).map(|d| scan(&format!("a{d}"), "A", d)).collect();
        v.push(scan("b1", "B", 2));
        v
    }

    fn ids<T>(list: &[T], id: impl Fn(&T) -> &str) -> Vec<String> {
        list.iter().map(|x| id(x).to_string()).collect()
    }

    fn rules(keep: Option<usize>, older_than: Option<u32>) -> Rules {
        Rules {
            keep,
            older_than: older_than.map(|d| format!("2026-11-{d:02}T00:00:00Z")),
        }
    }

    #[test]
    fn keep_n_keeps_each_targets_newest() {
        let p = select(&scans(), &[], &rules(Some(2), None));
        assert_eq!(ids(&p.scans, |s| &s.id), ["a1", "a2", "a3"]);
        assert_eq!(p.kept, 3);
        assert_eq!(p.targets().into_iter().collect::<Vec<_>>(), ["A"]);
        let p = select(&scans(), &[], &rules(Some(10), None));
        assert!(p.scans.is_empty());
        assert_eq!(p.kept, 6);
    }

    #[test]
    fn older_than_never_takes_the_latest_scan() {
        // Everything is older than day 30: only each target's newest stays.
        let p = select(&scans(), &[], &rules(None, Some(30)));
        assert_eq!(ids(&p.scans, |s| &s.id), ["a1", "a2", "a3", "a4"]);
        assert_eq!(p.kept, 2);
        let p = select(&scans(), &[], &rules(None, Some(3)));
        assert_eq!(ids(&p.scans, |s| &s.id), ["a1", "a2"]);
        // A start exactly at the limit is not before it.
        let p = select(&scans(), &[], &rules(None, Some(1)));
        assert!(p.scans.is_empty());
    }

    #[test]
    fn both_rules_delete_what_either_deletes() {
        // keep 4 alone would take a1; older than day 3 alone would take a1, a2.
        let p = select(&scans(), &[], &rules(Some(4), Some(3)));
        assert_eq!(ids(&p.scans, |s| &s.id), ["a1", "a2"]);
        // keep 2 takes a1..a3; older than day 2 takes a1.
        let p = select(&scans(), &[], &rules(Some(2), Some(2)));
        assert_eq!(ids(&p.scans, |s| &s.id), ["a1", "a2", "a3"]);
    }

    #[test]
    fn failed_runs_follow_the_age_rule_or_the_oldest_kept_scan() {
        let failures = vec![
            failure("fa1", "A", 1),
            failure("fa3", "A", 3),
            failure("fa5", "A", 5),
            failure("fb1", "B", 1),
            failure("fc1", "C", 1), // C never had a scan
        ];
        // keep 2 keeps a4 (day 4) and a5: A's failures before day 4 go; B keeps b1 (day 2),
        // so its day-1 failure goes; C has no kept scan, its failure stays.
        let p = select(&scans(), &failures, &rules(Some(2), None));
        assert_eq!(ids(&p.failures, |f| &f.id), ["fa1", "fa3", "fb1"]);
        // With an age limit, failures follow it alone, C's included.
        let p = select(&scans(), &failures, &rules(Some(2), Some(2)));
        assert_eq!(ids(&p.failures, |f| &f.id), ["fa1", "fb1", "fc1"]);
        assert_eq!(p.targets().into_iter().collect::<Vec<_>>(), ["A", "B", "C"]);
        let p = select(&scans(), &failures, &Rules::default());
        assert!(p.scans.is_empty() && p.failures.is_empty());
    }
}
