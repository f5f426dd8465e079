//! `keyhole history`: per target, the score over time and what the last scan found new or fixed
//! since the one before, read from the history store (no network).

use serde::Serialize;

use crate::baseline::{Baseline, ChangedFinding};
use crate::fleet::summary::TableFormat;
use crate::render::markdown::esc as md;
use crate::render::pretty::{clean, header_cell, new_table};
use crate::store::{Store, StoreError, StoredScan};

/// Points of the sparkline (the most recent ones).
const SPARK_POINTS: usize = 40;

/// Failed runs shown per target in the pretty and markdown tables (the most recent ones).
const FAILED_SHOWN: usize = 5;

/// A queued scan that gave up.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FailedRun {
    pub id: String,
    pub failed_at: String,
    pub reason: String,
}

/// One target's history.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TargetHistory {
    pub target: String,
    /// Start time of the last scan; null for a target whose every run failed.
    pub last_scan: Option<String>,
    /// The scans in the window, oldest first (empty for a target whose every run failed).
    pub scans: Vec<StoredScan>,
    /// Failed runs in the window, oldest first.
    pub failed: Vec<FailedRun>,
    /// Time of the last failed run, if any.
    pub last_failure: Option<String>,
    /// The previous scan's score, if the last scan has a previous one.
    pub previous_score: Option<u32>,
    pub score_change: Option<i64>,
    /// Findings of the last scan that the previous one did not have.
    pub new: Vec<ChangedFinding>,
    /// Findings of the previous scan that the last one checked again and did not find.
    pub fixed: Vec<ChangedFinding>,
    /// Findings of the previous scan the last one could not re-check (not counted as fixed).
    pub untested: Vec<ChangedFinding>,
}

/// The whole answer.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct History {
    pub store: String,
    pub since: Option<String>,
    pub targets: Vec<TargetHistory>,
}

/// `--since DATE`: `YYYY-MM-DD`, an RFC 3339 time, or `Nd` (N days ago); as the start-time string
/// the store compares with.
pub fn parse_since(raw: &str) -> Result<String, String> {
    parse_time(raw, "--since")
}

/// A date, time or `Nd` as [`parse_since`] reads it, for the option `flag` (named in the error).
pub fn parse_time(raw: &str, flag: &str) -> Result<String, String> {
    let t = raw.trim();
    let bad = || {
        format!("{flag} takes a date (2026-11-30), a time (2026-11-30T12:00:00Z) or days ago (7d), not '{raw}'")
    };
    if let Some(days) = t.strip_suffix('d') {
        let n: i64 = days.parse().map_err(|_| bad())?;
        if !(0..=36_500).contains(&n) {
            return Err(bad());
        }
        let at = chrono::Utc::now() - chrono::Duration::days(n);
        return Ok(at.format("%Y-%m-%dT%H:%M:%SZ").to_string());
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return Ok(format!("{}T00:00:00Z", d.format("%Y-%m-%d")));
    }
    match chrono::DateTime::parse_from_rfc3339(t) {
        Ok(at) => Ok(at
            .with_timezone(&chrono::Utc)
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string()),
        Err(_) => Err(bad()),
    }
}

/// Read the history of one target (or of all) from the store.
pub async fn build(
    store: &Store,
    target: Option<&str>,
    since: Option<&str>,
) -> Result<History, StoreError> {
    let scans = store.scans(target, since).await?;
    let failures = store.failures(target, since).await?;
    // Every target with a scan or a failed run in the window, by name.
    let mut names: Vec<&str> = scans
        .iter()
        .map(|s| s.target.as_str())
        .chain(failures.iter().map(|f| f.target.as_str()))
        .collect();
    names.sort_unstable();
    names.dedup();
    let mut targets: Vec<TargetHistory> = Vec::new();
    for name in names {
        let window: Vec<StoredScan> = scans.iter().filter(|s| s.target == name).cloned().collect();
        let failed: Vec<FailedRun> = failures
            .iter()
            .filter(|f| f.target == name)
            .map(|f| FailedRun {
                id: f.id.clone(),
                failed_at: f.failed_at.clone(),
                reason: f.reason.clone(),
            })
            .collect();
        let comparison = match window.last() {
            Some(last) => {
                let report = store.report(&last.id).await?.map(|(_, r)| r);
                let previous = store.previous(last).await?;
                match (&report, &previous) {
                    (Some(r), Some(p)) => {
                        Some(crate::baseline::compare(&Baseline::from_report(p), r))
                    }
                    _ => None,
                }
            }
            None => None,
        };
        targets.push(TargetHistory {
            target: name.to_string(),
            last_scan: window.last().map(|s| s.started_at.clone()),
            last_failure: failed.last().map(|f| f.failed_at.clone()),
            failed,
            previous_score: comparison.as_ref().map(|c| c.previous_score),
            score_change: comparison.as_ref().map(|c| c.score_change),
            new: comparison
                .as_ref()
                .map(|c| c.new.clone())
                .unwrap_or_default(),
            fixed: comparison
                .as_ref()
                .map(|c| c.fixed.clone())
                .unwrap_or_default(),
            untested: comparison.map(|c| c.untested).unwrap_or_default(),
            scans: window,
        });
    }
    Ok(History {
        store: store.shown().to_string(),
        since: since.map(str::to_string),
        targets,
    })
}

/// "2026-12-06T10:00:00Z" as "2026-12-06 10:00" (minutes are enough to tell runs apart in a
/// table; the JSON keeps the full time).
pub fn short_time(at: &str) -> String {
    let t = at.replace('T', " ");
    match t.get(..16) {
        Some(head) if t.len() > 16 => head.to_string(),
        _ => t.trim_end_matches('Z').to_string(),
    }
}

/// "failed 2026-12-06 10:00: cannot connect to …", one per failed run (the most recent
/// [`FAILED_SHOWN`]), oldest first, and a line saying how many earlier ones are not shown.
fn failed_lines(th: &TargetHistory) -> Vec<String> {
    let from = th.failed.len().saturating_sub(FAILED_SHOWN);
    let mut lines = Vec::new();
    if from > 0 {
        lines.push(format!(
            "({from} earlier failed run{} not shown; --format json lists them)",
            if from == 1 { "" } else { "s" }
        ));
    }
    for f in &th.failed[from..] {
        lines.push(format!("failed {}: {}", short_time(&f.failed_at), f.reason));
    }
    lines
}

/// A stored scan shown on the dashboard: its whole report, compared with the scan before it.
#[derive(Debug, Clone)]
pub struct ShownScan {
    pub id: String,
    pub report: crate::report::Report,
    pub comparison: Option<crate::baseline::Comparison>,
}

/// The reports of every scan in a [`History`], by scan id.
#[derive(Debug, Clone, Default)]
pub struct Reports {
    pub scans: std::collections::BTreeMap<String, ShownScan>,
}

/// Read the report of every scan in `h` (for the dashboard), each compared with the scan
/// before it (the one before the window, for a window's first scan).
pub async fn load_reports(store: &Store, h: &History) -> Result<Reports, StoreError> {
    let mut out = Reports::default();
    for th in &h.targets {
        let mut previous: Option<crate::report::Report> = match th.scans.first() {
            Some(first) => store.previous(first).await?,
            None => None,
        };
        for scan in &th.scans {
            let Some((id, report)) = store.report(&scan.id).await? else {
                // Deleted since the list was read (a prune meanwhile): shown without details.
                continue;
            };
            let comparison = previous
                .as_ref()
                .map(|p| crate::baseline::compare(&Baseline::from_report(p), &report));
            previous = Some(report.clone());
            out.scans.insert(
                id.clone(),
                ShownScan {
                    id,
                    report,
                    comparison,
                },
            );
        }
    }
    Ok(out)
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// What `keyhole history prune` prints: on a dry run, a line per scan and failed run that would
/// go; then one summary line.
pub fn prune_summary(p: &crate::store::Pruned, shown: &str) -> String {
    let mut out = String::new();
    if p.dry_run {
        for s in &p.plan.scans {
            out.push_str(&format!(
                "would delete scan {} of {} (started {})\n",
                s.id,
                clean(&s.target, false),
                s.started_at
            ));
        }
        for f in &p.plan.failures {
            out.push_str(&format!(
                "would delete failed run {} of {} (failed {})\n",
                f.id,
                clean(&f.target, false),
                f.failed_at
            ));
        }
    }
    let (verb, kept) = if p.dry_run {
        ("would prune", "would keep")
    } else {
        ("pruned", "kept")
    };
    out.push_str(&format!(
        "{verb} {} and {} of {} from {shown} ({kept} {})\n",
        plural(p.plan.scans.len(), "scan", "scans"),
        plural(p.plan.failures.len(), "failed run", "failed runs"),
        plural(p.plan.targets().len(), "target", "targets"),
        p.plan.kept,
    ));
    out
}

/// Scores 0–100 as a row of block characters (on the absolute scale: ▁ is 0, █ is 100).
pub fn sparkline(scores: &[u32]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let from = scores.len().saturating_sub(SPARK_POINTS);
    scores[from..]
        .iter()
        .map(|&s| BARS[(s.min(100) as usize * 7 + 50) / 100])
        .collect()
}

fn change(h: &TargetHistory) -> String {
    if h.scans.is_empty() {
        return "–".into();
    }
    crate::baseline::score_change_label(h.score_change, "±0")
}

fn listed(target: &str, list: &[ChangedFinding]) -> Vec<String> {
    list.iter()
        .map(|f| {
            format!(
                "{} ({}) {}",
                f.id,
                crate::baseline::endpoint_key(&f.endpoint, target),
                f.severity
            )
            .trim_end()
            .to_string()
        })
        .collect()
}

pub fn render(h: &History, format: TableFormat, color: bool) -> String {
    match format {
        TableFormat::Json => {
            let mut s = serde_json::to_string_pretty(h).unwrap_or_else(|_| "{}".into());
            s.push('\n');
            s
        }
        TableFormat::Markdown => markdown(h),
        TableFormat::Pretty => pretty(h, color),
    }
}

fn empty_line(h: &History) -> String {
    match &h.since {
        Some(s) => format!("No scans in {} since {s}.\n", h.store),
        None => format!("No scans in {} yet.\n", h.store),
    }
}

fn pretty(h: &History, color: bool) -> String {
    if h.targets.is_empty() {
        return empty_line(h);
    }
    let mut t = new_table(color);
    t.set_header(
        [
            "Target",
            "Trend",
            "Score",
            "Change",
            "Scans",
            "Last scan",
            "New",
            "Fixed",
            "Failed",
        ]
        .map(|x| header_cell(x, color)),
    );
    for th in &h.targets {
        let last = th.scans.last();
        t.add_row(vec![
            clean(&th.target, false),
            sparkline(&th.scans.iter().map(|s| s.score).collect::<Vec<_>>()),
            last.map(|s| format!("{} {}", s.score, s.grade))
                .unwrap_or_else(|| "–".into()),
            change(th),
            th.scans.len().to_string(),
            th.last_scan
                .as_deref()
                .map(|s| s.replace('T', " "))
                .unwrap_or_else(|| "never".into()),
            th.new.len().to_string(),
            th.fixed.len().to_string(),
            th.failed.len().to_string(),
        ]);
    }
    t.set_content_arrangement(comfy_table::ContentArrangement::Dynamic);
    t.set_width(140);
    let mut out = format!("{t}\n");
    for th in &h.targets {
        if !(th.new.is_empty() && th.fixed.is_empty() && th.untested.is_empty()) {
            out.push_str(&format!(
                "\n{} — since the previous scan:\n",
                clean(&th.target, false)
            ));
            for (label, list) in [
                ("new", &th.new),
                ("fixed", &th.fixed),
                ("not re-checked", &th.untested),
            ] {
                for line in listed(&th.target, list) {
                    out.push_str(&format!("  {label:<6} {}\n", clean(&line, false)));
                }
            }
        }
        if !th.failed.is_empty() {
            out.push_str(&format!("\n{} — failed runs:\n", clean(&th.target, false)));
            for line in failed_lines(th) {
                out.push_str(&format!("  {}\n", clean(&line, false)));
            }
        }
    }
    let latest = h
        .targets
        .iter()
        .filter_map(|t| t.scans.last())
        .max_by(|a, b| a.started_at.cmp(&b.started_at));
    if let Some(s) = latest {
        out.push_str(&format!(
            "\nRe-render a stored report: keyhole history --report {} --format html\n",
            s.id
        ));
    }
    out
}

fn markdown(h: &History) -> String {
    let mut out = String::from("## keyhole history\n\n");
    if h.targets.is_empty() {
        out.push_str(&md(&empty_line(h)));
        out.push('\n');
        return out;
    }
    out.push_str("| Target | Scores | Change | Scans | Last scan | New | Fixed | Failed |\n");
    out.push_str("|---|---|---|---:|---|---|---|---:|\n");
    for th in &h.targets {
        let scores: Vec<String> = th.scans.iter().map(|s| s.score.to_string()).collect();
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} |\n",
            md(&th.target),
            scores.join(" → "),
            md(&change(th)),
            th.scans.len(),
            md(th.last_scan.as_deref().unwrap_or("never")),
            md(&listed(&th.target, &th.new).join(", ")),
            md(&listed(&th.target, &th.fixed).join(", ")),
            th.failed.len(),
        ));
    }
    let failing: Vec<&TargetHistory> = h.targets.iter().filter(|t| !t.failed.is_empty()).collect();
    if !failing.is_empty() {
        out.push_str("\n### Failed runs\n\n");
        for th in failing {
            out.push_str(&format!("- {}\n", md(&th.target)));
            for line in failed_lines(th) {
                out.push_str(&format!("  - {}\n", md(&line)));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparkline_uses_the_absolute_scale() {
        assert_eq!(sparkline(&[0, 50, 100]), "▁▅█");
        assert_eq!(sparkline(&[]), "");
        assert_eq!(sparkline(&vec![100; 100]).chars().count(), SPARK_POINTS);
    }

    #[test]
    fn since_takes_dates_times_and_days() {
        assert_eq!(parse_since("2026-11-30").unwrap(), "2026-11-30T00:00:00Z");
        assert_eq!(
            parse_since("2026-11-30T12:00:00+01:00").unwrap(),
            "2026-11-30T11:00:00Z"
        );
        assert!(
            parse_since("7d").unwrap()
                < chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
        );
        for bad in ["yesterday", "2026-13-01", "-3d", ""] {
            assert!(parse_since(bad).unwrap_err().contains("--since"), "{bad}");
        }
    }

    #[test]
    fn failed_runs_are_shown_and_a_target_that_only_failed_is_listed() {
        let dir = tempfile::tempdir().unwrap();
        let url = crate::store::StoreUrl::Sqlite(dir.path().join("h.db"));
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let store = Store::open(&url, true).await.unwrap();
            let mut a = crate::render::testdata::report();
            a.started_at = "2026-12-01T10:00:00Z".into();
            store.save(&a, None).await.unwrap();
            let never = "http://127.0.0.1:9";
            for n in 0..7 {
                store
                    .record_failure(never, &format!("cannot connect, try {n}"), None)
                    .await
                    .unwrap();
            }
            store
                .record_failure(&a.target, "--password-env X is not set", Some("k"))
                .await
                .unwrap();
            let h = build(&store, None, None).await.unwrap();
            assert_eq!(h.targets.len(), 2);
            let scanned = h.targets.iter().find(|t| t.target == a.target).unwrap();
            assert_eq!(scanned.scans.len(), 1);
            assert_eq!(scanned.failed.len(), 1);
            assert_eq!(scanned.failed[0].reason, "--password-env X is not set");
            let only = h.targets.iter().find(|t| t.target == never).unwrap();
            assert!(only.scans.is_empty() && only.last_scan.is_none());
            assert_eq!(only.failed.len(), 7);
            assert_eq!(only.last_failure.as_ref(), Some(&only.failed[6].failed_at));

            let pretty = render(&h, TableFormat::Pretty, false);
            assert!(pretty.contains("never"), "{pretty}");
            assert!(
                pretty.contains(&format!("{never} — failed runs:")),
                "{pretty}"
            );
            assert!(
                pretty.contains("(2 earlier failed runs not shown"),
                "{pretty}"
            );
            assert!(pretty.contains(": cannot connect, try 6\n"), "{pretty}");
            assert!(!pretty.contains("try 1\n"), "{pretty}");
            assert!(pretty.contains(": --password-env X is not set"), "{pretty}");
            let md = render(&h, TableFormat::Markdown, false);
            assert!(md.contains("### Failed runs"), "{md}");
            assert!(
                md.contains(&format!("| {never} |  | – | 0 | never |  |  | 7 |")),
                "{md}"
            );
            let json: serde_json::Value =
                serde_json::from_str(&render(&h, TableFormat::Json, false)).unwrap();
            let row = &json["targets"][1];
            assert_eq!(row["target"], never);
            assert!(row["last_scan"].is_null());
            assert_eq!(row["failed"].as_array().unwrap().len(), 7);
            assert!(row["failed"][0]["id"].is_string());
        });
    }

    #[test]
    fn short_times_keep_minutes() {
        assert_eq!(short_time("2026-12-06T10:00:59Z"), "2026-12-06 10:00");
        assert_eq!(short_time("2026-12-06"), "2026-12-06");
    }

    #[test]
    fn history_compares_the_last_two_scans_of_each_target() {
        let dir = tempfile::tempdir().unwrap();
        let url = crate::store::StoreUrl::Sqlite(dir.path().join("h.db"));
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let store = Store::open(&url, true).await.unwrap();
            let mut a = crate::render::testdata::report();
            a.started_at = "2026-12-01T10:00:00Z".into();
            let mut b = a.clone();
            b.started_at = "2026-12-02T10:00:00Z".into();
            let gone = b.findings.remove(0);
            b.score = 90;
            store.save(&a, None).await.unwrap();
            store.save(&b, None).await.unwrap();
            let h = build(&store, None, None).await.unwrap();
            assert_eq!(h.targets.len(), 1);
            let th = &h.targets[0];
            assert_eq!(th.scans.len(), 2);
            assert_eq!(th.last_scan.as_deref(), Some("2026-12-02T10:00:00Z"));
            assert!(th.new.is_empty());
            assert_eq!(th.fixed.len(), 1);
            assert_eq!(th.fixed[0].id, gone.id);
            assert_eq!(th.score_change, Some(90 - i64::from(a.score)));
            // The window narrows the trend, not the comparison.
            let since = build(&store, None, Some("2026-12-02T00:00:00Z"))
                .await
                .unwrap();
            assert_eq!(since.targets[0].scans.len(), 1);
            assert_eq!(since.targets[0].fixed.len(), 1);
            let pretty = render(&h, TableFormat::Pretty, false);
            assert!(pretty.contains(&format!("fixed  {}", gone.id)), "{pretty}");
            let md = render(&h, TableFormat::Markdown, false);
            assert!(md.contains(&format!("{} → 90", a.score)), "{md}");
        });
    }
}
