//! Regression baselines on real scans of the demo API: a baseline from the hardened API followed
//! by a scan of the vulnerable one fails `--fail-on-regression`; the reverse reports the fixes;
//! every format shows the comparison; a corrupt baseline is exit 2 with one line and no file.

mod ci_support;

use std::collections::BTreeSet;

use ci_support::*;
use serde_json::Value;

fn finding_ids(list: &Value) -> BTreeSet<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn new_findings_against_a_protected_baseline_fail_the_regression_gate() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("baseline.json");
    std::fs::write(&base, scan_format(true, dir.path(), "json")).unwrap();
    let b = base.to_str().unwrap();

    let out = dir.path().join("now.json");
    let o = scan_demo(
        false,
        dir.path(),
        &[
            "--baseline",
            b,
            "--fail-on-regression",
            "--format",
            "json",
            "--output",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("regression"), "{err}");
    assert!(err.contains("score dropped from 100 to"), "{err}");
    assert_eq!(std::fs::read(&out).unwrap(), o.stdout);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["schema_version"], 1);
    let cmp = &v["baseline"];
    let new = finding_ids(&cmp["new"]);
    assert_vulnerable_ids(&new);
    assert_eq!(new, finding_ids(&v["findings"]));
    assert!(cmp["fixed"].as_array().unwrap().is_empty());
    assert_eq!(cmp["score_change"], i64::from(vulnerable_score(&new)) - 100);
    assert_eq!(cmp["previous_score"], 100);

    // Without the gate the same comparison exits 0.
    let o = scan_demo(
        false,
        dir.path(),
        &["--baseline", b, "--format", "markdown"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let md = stdout(&o);
    assert!(
        md.contains("Compared with the baseline: ❌ regression"),
        "{md}"
    );
    assert!(md.contains("100 → "), "{md}");

    // The saved report carries its comparison: `keyhole render` gates on it without --baseline.
    let r = out.to_str().unwrap();
    let o = keyhole_in(
        dir.path(),
        &["render", r, "--fail-on-regression", "--format", "junit"],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let xml = stdout(&o);
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let suite = doc
        .descendants()
        .find(|n| n.attribute("name") == Some("keyhole baseline"))
        .expect("a baseline suite");
    assert_eq!(suite.attribute("failures"), Some("2"));
    for (format, marker) in [
        ("sarif", "\"baselineState\": \"new\""),
        ("html", "id=\"baseline\""),
        ("pretty", "Compared with the baseline"),
    ] {
        let o = keyhole_in(dir.path(), &["render", r, "--format", format]);
        assert_eq!(o.status.code(), Some(0), "{format}: {}", stderr(&o));
        assert!(stdout(&o).contains(marker), "{format} shows the comparison");
    }
}

#[test]
fn fixed_findings_and_no_regression_exit_0() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("baseline.json");
    let before: Value = serde_json::from_str(&scan_format(false, dir.path(), "json")).unwrap();
    std::fs::write(&base, before.to_string()).unwrap();
    let b = base.to_str().unwrap();
    // (Timing evidence is statistical: compare with what this baseline found.)
    let baseline_ids = finding_ids(&before["findings"]);
    assert!(baseline_ids.contains("rate-limit.missing"), "{before:#}");
    // The hardened API, on another port, fixes every finding of the vulnerable one.
    let o = scan_demo(
        true,
        dir.path(),
        &["--baseline", b, "--fail-on-regression", "--format", "json"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let fixed = finding_ids(&v["baseline"]["fixed"]);
    let untested = finding_ids(&v["baseline"]["untested"]);
    // Its throttle cuts the enumeration samples short: those checks could not decide, so their
    // baseline findings are "not re-checked", never claimed as fixed.
    let undecided: BTreeSet<String> = v["incomplete"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["check"].as_str().unwrap().to_string())
        .collect();
    assert!(untested.is_subset(&undecided), "{v:#}");
    assert_eq!(
        fixed.union(&untested).cloned().collect::<BTreeSet<_>>(),
        baseline_ids
    );
    assert!(fixed.contains("rate-limit.missing") && fixed.contains("auth.verbose-error"));
    assert!(v["baseline"]["new"].as_array().unwrap().is_empty());
    assert_eq!(
        v["baseline"]["score_change"].as_i64(),
        Some(100 - before["score"].as_i64().unwrap())
    );

    // A report compared with itself: nothing new, nothing fixed.
    let o = keyhole_in(
        dir.path(),
        &[
            "render",
            b,
            "--baseline",
            b,
            "--fail-on-regression",
            "--format",
            "json",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v["baseline"]["new"].as_array().unwrap().is_empty());
    assert!(v["baseline"]["fixed"].as_array().unwrap().is_empty());
    assert_eq!(v["baseline"]["score_change"], 0);
}

#[test]
fn a_corrupt_baseline_is_exit_2_with_one_line_and_no_output() {
    let dir = tempfile::tempdir().unwrap();
    let d = demo(false);
    let out = dir.path().join("report.sarif");
    let cases: Vec<(&str, Option<&str>)> = vec![
        ("missing.json", None),
        (
            "truncated.json",
            Some("{\"schema_version\": 1, \"score\": 4"),
        ),
        ("other.json", Some("{\"schema_version\": 1, \"score\": 45}")),
        (
            "future.json",
            Some("{\"schema_version\": 9, \"score\": 45, \"findings\": []}"),
        ),
        ("binary.json", Some("\u{0}\u{1}")),
    ];
    for (name, content) in cases {
        let path = dir.path().join(name);
        if let Some(c) = content {
            std::fs::write(&path, c).unwrap();
        }
        let o = keyhole_in(
            dir.path(),
            &[
                "scan",
                &d.url,
                "--baseline",
                path.to_str().unwrap(),
                "--fail-on-regression",
                "--format",
                "sarif",
                "--output",
                out.to_str().unwrap(),
            ],
        );
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{name}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{name}: {err}");
        assert!(
            err.starts_with("keyhole: error:") && err.contains(name),
            "{name}: {err}"
        );
        assert!(o.stdout.is_empty(), "{name}");
        assert!(!out.exists(), "{name}: no report written");
        assert!(!err.contains("panicked"));
    }
}
