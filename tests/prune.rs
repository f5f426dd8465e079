//! `keyhole history prune` on a real store, SQLite and PostgreSQL (the throwaway cluster of
//! scripts/setup-postgres, a fresh database per test): two targets' scans with chosen start
//! times, pruned step by step through the command line, and exactly the expected scans left.

mod ci_support;
mod common;

use std::path::Path;
use std::sync::OnceLock;

use keyhole::report::Report;
use keyhole::store::{Store, StoreUrl};

const A: &str = "http://127.0.0.1:5000";
const B: &str = "http://127.0.0.1:6000";

/// A real report (one scan of the vulnerable demo per test process), to store under other
/// targets and start times.
fn demo_report() -> Report {
    static REPORT: OnceLock<Report> = OnceLock::new();
    REPORT
        .get_or_init(|| {
            let dir = tempfile::tempdir().unwrap();
            serde_json::from_value(ci_support::scan_json(false, dir.path())).unwrap()
        })
        .clone()
}

fn day(d: u32) -> String {
    format!("2026-11-{d:02}T10:00:00Z")
}

/// Store A's scans on days 1–5 and B's on days 1–2 and a failed run of B (now); returns the
/// scan ids by (target, day).
fn fill(url: &str) -> Vec<(String, u32, String)> {
    let url = StoreUrl::parse(url).unwrap();
    // Scanned before the store's runtime starts: the demo runs on a runtime of its own.
    let report = demo_report();
    common::rt().block_on(async {
        let store = Store::open(&url, true).await.unwrap();
        let mut ids = Vec::new();
        for (target, days) in [(A, 1..=5), (B, 1..=2)] {
            for d in days {
                let mut r = report.clone();
                r.target = target.into();
                r.started_at = day(d);
                let saved = store.save(&r, None).await.unwrap();
                ids.push((target.to_string(), d, saved.id().to_string()));
            }
        }
        store
            .record_failure(B, "http://127.0.0.1:6000/ is unreachable", None)
            .await
            .unwrap();
        store.close().await;
        ids
    })
}

/// (target, day) of every scan left, and the number of failed runs left.
fn left(url: &str) -> (Vec<(String, u32)>, usize) {
    let url = StoreUrl::parse(url).unwrap();
    common::rt().block_on(async {
        let store = Store::open(&url, false).await.unwrap();
        let scans = store.scans(None, None).await.unwrap();
        let failures = store.failures(None, None).await.unwrap().len();
        store.close().await;
        let days = scans
            .iter()
            .map(|s| {
                let d = (1..=5).find(|d| day(*d) == s.started_at).unwrap();
                (s.target.clone(), d)
            })
            .collect();
        (days, failures)
    })
}

fn expect(url: &str, a: &[u32], b: &[u32], failures: usize) {
    let mut want: Vec<(String, u32)> = a.iter().map(|d| (A.to_string(), *d)).collect();
    want.extend(b.iter().map(|d| (B.to_string(), *d)));
    assert_eq!(left(url), (want, failures));
}

/// `keyhole history prune ARGS --store URL`: exit 0; its stdout.
fn prune(url: &str, args: &[&str]) -> String {
    let mut all = vec!["history", "prune", "--store", url];
    all.extend_from_slice(args);
    let out = common::keyhole_in(Path::new("."), &all);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn prune_steps(url: &str, shown: &str) {
    let ids = fill(url);
    expect(url, &[1, 2, 3, 4, 5], &[1, 2], 1);

    // A dry run lists what would go and deletes nothing.
    let out = prune(
        url,
        &["--keep", "2", "--older-than", "2026-11-02", "--dry-run"],
    );
    for (target, d, id) in &ids {
        let listed = out.contains(&format!("would delete scan {id} of {target}"));
        // keep 2 takes A's days 1–3; older than day 2 takes day 1 of both.
        let gone = (target == A && *d <= 3) || (target == B && *d == 1);
        assert_eq!(listed, gone, "{target} day {d}:\n{out}");
    }
    assert!(
        out.ends_with(&format!(
            "would prune 4 scans and 0 failed runs of 2 targets from {shown} (would keep 3)\n"
        )),
        "{out}"
    );
    expect(url, &[1, 2, 3, 4, 5], &[1, 2], 1);

    // One target only: A keeps its 3 newest.
    let out = prune(url, &[A, "--keep", "3"]);
    assert_eq!(
        out,
        format!("pruned 2 scans and 0 failed runs of 1 target from {shown} (kept 3)\n")
    );
    expect(url, &[3, 4, 5], &[1, 2], 1);

    // By age: B's day 1 and A's day 3 go.
    let out = prune(url, &["--older-than", "2026-11-04T00:00:00Z"]);
    assert_eq!(
        out,
        format!("pruned 2 scans and 0 failed runs of 2 targets from {shown} (kept 3)\n")
    );
    expect(url, &[4, 5], &[2], 1);

    // Both rules, everything older than far ahead: only each target's latest scan stays, and
    // the failed run (recorded today) goes with the age rule.
    let out = prune(url, &["--keep", "5", "--older-than", "2999-01-01"]);
    assert_eq!(
        out,
        format!("pruned 1 scan and 1 failed run of 2 targets from {shown} (kept 2)\n")
    );
    expect(url, &[5], &[2], 0);

    // Nothing left to prune; --store may come before `prune` too.
    let out = common::keyhole_in(
        Path::new("."),
        &["history", "--store", url, "prune", "--keep", "1"],
    );
    assert_eq!(out.status.code(), Some(0));
    let out = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        out,
        format!("pruned 0 scans and 0 failed runs of 0 targets from {shown} (kept 2)\n")
    );
    expect(url, &[5], &[2], 0);
}

#[test]
fn prune_keeps_exactly_the_chosen_scans_in_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.db");
    let url = format!("sqlite:{}", path.display());
    prune_steps(&url, &url);
}

#[test]
fn prune_keeps_exactly_the_chosen_scans_in_postgres() {
    let url = common::fresh_database("prune");
    let shown = StoreUrl::parse(&url).unwrap().shown();
    prune_steps(&url, &shown);
}

#[test]
fn prune_refuses_keep_zero_and_no_rule_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("h.db").display());
    fill(&url);
    for (args, says) in [
        (&["--keep", "0"][..], "use --keep 1"),
        (&[][..], "--keep N"),
        (
            &["--older-than", "yesterday"][..],
            "--older-than takes a date",
        ),
    ] {
        let mut all = vec!["history", "prune", "--store", url.as_str()];
        all.extend_from_slice(args);
        let out = common::keyhole_in(dir.path(), &all);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(says), "{args:?}: {err}");
        if args.is_empty() {
            assert!(err.contains("--older-than"), "{err}");
        }
    }
    // The history table's options are not prune's.
    let out = common::keyhole_in(
        dir.path(),
        &["history", A, "--store", &url, "prune", "--keep", "1"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("TARGET before `prune`"));
    expect(&url, &[1, 2, 3, 4, 5], &[1, 2], 1);
    // `history TARGET` and `history --report` still parse beside the subcommand.
    let out = common::keyhole_in(dir.path(), &["history", A, "--store", &url]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains(A));
    let out = common::keyhole_in(
        dir.path(),
        &[
            "history", A, "--report", "latest", "--store", &url, "--format", "json",
        ],
    );
    assert_eq!(out.status.code(), Some(0));
}
