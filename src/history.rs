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

/// One target's history.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TargetHistory {
    pub target: String,
    /// Start time of the last scan.
    pub last_scan: String,
    /// The scans in the window, oldest first.
    pub scans: Vec<StoredScan>,
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
    let t = raw.trim();
    let bad = || {
        format!("--since takes a date (2026-11-30), a time (2026-11-30T12:00:00Z) or days ago (7d), not '{raw}'")
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
    let mut targets: Vec<TargetHistory> = Vec::new();
    let mut start = 0;
    while start < scans.len() {
        let end = start
            + scans[start..]
                .iter()
                .take_while(|s| s.target == scans[start].target)
                .count();
        let window = scans[start..end].to_vec();
        start = end;
        let last = window.last().cloned().expect("a window is never empty");
        let report = store.report(&last.id).await?.map(|(_, r)| r);
        let previous = store.previous(&last).await?;
        let comparison = match (&report, &previous) {
            (Some(r), Some(p)) => Some(crate::baseline::compare(&Baseline::from_report(p), r)),
            _ => None,
        };
        targets.push(TargetHistory {
            target: last.target.clone(),
            last_scan: last.started_at.clone(),
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
        ]
        .map(|x| header_cell(x, color)),
    );
    for th in &h.targets {
        let last = th.scans.last();
        t.add_row(vec![
            clean(&th.target, false),
            sparkline(&th.scans.iter().map(|s| s.score).collect::<Vec<_>>()),
            last.map(|s| format!("{} {}", s.score, s.grade))
                .unwrap_or_default(),
            change(th),
            th.scans.len().to_string(),
            th.last_scan.replace('T', " "),
            th.new.len().to_string(),
            th.fixed.len().to_string(),
        ]);
    }
    t.set_content_arrangement(comfy_table::ContentArrangement::Dynamic);
    t.set_width(140);
    let mut out = format!("{t}\n");
    for th in &h.targets {
        if th.new.is_empty() && th.fixed.is_empty() && th.untested.is_empty() {
            continue;
        }
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
    out.push_str("| Target | Scores | Change | Scans | Last scan | New | Fixed |\n");
    out.push_str("|---|---|---|---:|---|---|---|\n");
    for th in &h.targets {
        let scores: Vec<String> = th.scans.iter().map(|s| s.score.to_string()).collect();
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} |\n",
            md(&th.target),
            scores.join(" → "),
            md(&change(th)),
            th.scans.len(),
            md(&th.last_scan),
            md(&listed(&th.target, &th.new).join(", ")),
            md(&listed(&th.target, &th.fixed).join(", ")),
        ));
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
            assert_eq!(th.last_scan, "2026-12-02T10:00:00Z");
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
