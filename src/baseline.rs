//! Regression baselines: read an earlier JSON report (`--baseline FILE`) and compare a new report
//! with it — which findings are new, which are fixed, how the score changed.
//!
//! A finding is keyed on (id, endpoint), where the endpoint is taken relative to its report's
//! target ("POST /api/v1/auth/login"), so a baseline made against staging, or against a test
//! server on another port, still matches. A baseline finding is "fixed" only when its endpoint
//! was scanned again and its check ran to the end; otherwise it is "untested" (not re-checked),
//! never counted as fixed.
//!
//! The comparison is added to reports as an optional top-level `"baseline"` key (JSON) and as a
//! section in every other format; reports without a baseline are unchanged.

use std::collections::BTreeSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::report::{Finding, Report};

/// The parts of an earlier report a comparison needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Baseline {
    pub target: String,
    pub started_at: String,
    pub score: u32,
    pub grade: String,
    pub endpoints: Vec<String>,
    /// Its findings, in the shape a comparison lists them.
    pub findings: Vec<ChangedFinding>,
}

/// Why a baseline file cannot be used (exit 2, one line).
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error("cannot read --baseline {0}: {1}")]
    Read(String, String),
    #[error("--baseline {0} is not a keyhole JSON report: {1}")]
    Invalid(String, String),
}

/// A finding that appeared, disappeared or could not be re-checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangedFinding {
    pub id: String,
    pub endpoint: String,
    #[serde(default)]
    pub severity: String,
    #[serde(default)]
    pub title: String,
}

impl From<&Finding> for ChangedFinding {
    fn from(f: &Finding) -> ChangedFinding {
        ChangedFinding {
            id: f.id.clone(),
            endpoint: f.endpoint.clone(),
            severity: f.severity.as_str().to_string(),
            title: f.title.clone(),
        }
    }
}

/// The comparison of a report with its baseline (the `"baseline"` key of the JSON report).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// Findings of this report that the baseline did not have.
    pub new: Vec<ChangedFinding>,
    /// Baseline findings that were checked again and are gone.
    pub fixed: Vec<ChangedFinding>,
    /// Baseline findings whose endpoint or check was not (fully) scanned this time.
    #[serde(default)]
    pub untested: Vec<ChangedFinding>,
    /// This score minus the baseline's.
    pub score_change: i64,
    pub previous_score: u32,
    #[serde(default)]
    pub previous_grade: String,
    #[serde(default)]
    pub previous_target: String,
    #[serde(default)]
    pub previous_started_at: String,
}

impl Comparison {
    /// A finding is new or the score dropped (`--fail-on-regression`).
    pub fn regressed(&self) -> bool {
        !self.new.is_empty() || self.score_change < 0
    }

    /// Whether this report's finding is one of the new ones.
    pub fn is_new(&self, f: &Finding) -> bool {
        self.new
            .iter()
            .any(|n| n.id == f.id && n.endpoint == f.endpoint)
    }

    /// "100 → 45 (−55)": the score change in words.
    pub fn score_line(&self, current: u32) -> String {
        let change = score_change_label(Some(self.score_change), "unchanged");
        format!("{} → {current} ({change})", self.previous_score)
    }

    /// The one-line reason `--fail-on-regression` fails, if it does.
    pub fn regression_reason(&self) -> Option<String> {
        if !self.regressed() {
            return None;
        }
        let mut parts = Vec::new();
        if !self.new.is_empty() {
            let list: Vec<String> = self
                .new
                .iter()
                .map(|n| format!("{} on {}", n.id, n.endpoint))
                .collect();
            parts.push(format!(
                "{} new finding{} ({})",
                self.new.len(),
                if self.new.len() == 1 { "" } else { "s" },
                list.join(", ")
            ));
        }
        if self.score_change < 0 {
            parts.push(format!(
                "score dropped from {} to {}",
                self.previous_score,
                i64::from(self.previous_score) + self.score_change
            ));
        }
        Some(parts.join("; "))
    }

    /// The comparison embedded in a JSON report (its `"baseline"` key), if it has a valid one.
    pub fn from_report_json(value: &serde_json::Value) -> Option<Comparison> {
        serde_json::from_value(value.get("baseline")?.clone()).ok()
    }
}

impl Baseline {
    /// The baseline an earlier report makes (a stored scan compared with the next one).
    pub fn from_report(report: &Report) -> Baseline {
        Baseline {
            target: report.target.clone(),
            started_at: report.started_at.clone(),
            score: report.score,
            grade: report.grade.clone(),
            endpoints: report.endpoints.iter().map(|e| e.label()).collect(),
            findings: report.findings.iter().map(ChangedFinding::from).collect(),
        }
    }
}

/// A score change as a table shows it: "first scan" without a previous scan, then ZERO (say
/// "±0"), "+N" or "−N".
pub fn score_change_label(change: Option<i64>, zero: &str) -> String {
    match change {
        None => "first scan".into(),
        Some(0) => zero.into(),
        Some(c) if c > 0 => format!("+{c}"),
        Some(c) => format!("−{}", -c),
    }
}

/// Read and check a baseline file.
pub fn load(path: &Path) -> Result<Baseline, BaselineError> {
    let shown = path.display().to_string();
    let bytes = crate::config::read_capped(path, 16 << 20)
        .map_err(|e| BaselineError::Read(shown.clone(), e.to_string()))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| BaselineError::Invalid(shown.clone(), "it is not UTF-8 text".into()))?;
    parse(&text).map_err(|why| BaselineError::Invalid(shown, why))
}

/// Parse the text of an earlier JSON report (schema_version 1).
pub fn parse(text: &str) -> Result<Baseline, String> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("invalid JSON ({e})"))?;
    let obj = value
        .as_object()
        .ok_or("it is not a JSON object (use a report written by --format json)")?;
    match obj.get("schema_version").and_then(|v| v.as_u64()) {
        Some(1) => {}
        Some(v) => {
            return Err(format!(
                "schema_version {v} is not supported (this keyhole reads schema_version 1)"
            ))
        }
        None => {
            return Err(
                "it has no schema_version (use a report written by --format json)".to_string(),
            )
        }
    }
    let score = obj
        .get("score")
        .and_then(|v| v.as_u64())
        .filter(|s| *s <= 100)
        .ok_or("it has no score from 0 to 100")? as u32;
    let string = |o: &serde_json::Map<String, serde_json::Value>, k: &str| {
        o.get(k).and_then(|v| v.as_str()).map(str::to_string)
    };
    let findings_json = obj
        .get("findings")
        .and_then(|v| v.as_array())
        .ok_or("it has no \"findings\" array")?;
    let mut findings = Vec::with_capacity(findings_json.len());
    for (i, f) in findings_json.iter().enumerate() {
        let o = f
            .as_object()
            .ok_or_else(|| format!("findings[{i}] is not an object"))?;
        let id = string(o, "id").ok_or_else(|| format!("findings[{i}] has no id"))?;
        let endpoint =
            string(o, "endpoint").ok_or_else(|| format!("findings[{i}] has no endpoint"))?;
        findings.push(ChangedFinding {
            id,
            endpoint,
            severity: string(o, "severity").unwrap_or_default(),
            title: string(o, "title").unwrap_or_default(),
        });
    }
    let endpoints = obj
        .get("endpoints")
        .and_then(|v| v.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|e| {
                    Some(format!(
                        "{} {}",
                        e.get("method")?.as_str()?,
                        e.get("url")?.as_str()?
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(Baseline {
        target: string(obj, "target").unwrap_or_default(),
        started_at: string(obj, "started_at").unwrap_or_default(),
        score,
        grade: string(obj, "grade")
            .unwrap_or_else(|| crate::report::score::grade(score).to_string()),
        endpoints,
        findings,
    })
}

/// An endpoint label ("POST http://host:5000/login") relative to its report's target
/// ("POST /login"), so reports of the same API on different hosts or ports compare.
pub fn endpoint_key(endpoint: &str, target: &str) -> String {
    let (method, url) = match endpoint.split_once(' ') {
        Some((m, u)) => (m.to_ascii_uppercase(), u.trim()),
        None => (String::new(), endpoint.trim()),
    };
    let base = target.trim_end_matches('/');
    let rest = match url.strip_prefix(base) {
        Some(r)
            if !base.is_empty() && (r.is_empty() || r.starts_with('/') || r.starts_with('?')) =>
        {
            r.to_string()
        }
        _ => match url::Url::parse(url) {
            Ok(u) => match u.query() {
                Some(q) => format!("{}?{q}", u.path()),
                None => u.path().to_string(),
            },
            Err(_) => url.to_string(),
        },
    };
    let rest = if rest.is_empty() || rest.starts_with('?') {
        format!("/{rest}")
    } else {
        rest
    };
    if method.is_empty() {
        rest
    } else {
        format!("{method} {rest}")
    }
}

/// Compare a new report with its baseline.
pub fn compare(baseline: &Baseline, report: &Report) -> Comparison {
    let key_now = |endpoint: &str| endpoint_key(endpoint, &report.target);
    let key_then = |endpoint: &str| endpoint_key(endpoint, &baseline.target);
    let before: BTreeSet<(String, String)> = baseline
        .findings
        .iter()
        .map(|f| (f.id.clone(), key_then(&f.endpoint)))
        .collect();
    let now: BTreeSet<(String, String)> = report
        .findings
        .iter()
        .map(|f| (f.id.clone(), key_now(&f.endpoint)))
        .collect();
    let scanned: BTreeSet<String> = report
        .endpoints
        .iter()
        .map(|e| key_now(&e.label()))
        .collect();
    // (check, endpoint) pairs that could not decide this time.
    let undecided = |id: &str, endpoint_key: &str| {
        report.incomplete.iter().any(|i| {
            i.check == id
                && report.endpoints.iter().any(|e| {
                    key_now(&e.label()) == endpoint_key
                        && i.reason.starts_with(&format!("{}: ", e.label()))
                })
        })
    };

    let mut new = Vec::new();
    let mut seen = BTreeSet::new();
    for f in &report.findings {
        let key = (f.id.clone(), key_now(&f.endpoint));
        if !before.contains(&key) && seen.insert(key) {
            new.push(ChangedFinding::from(f));
        }
    }
    let mut fixed = Vec::new();
    let mut untested = Vec::new();
    let mut seen = BTreeSet::new();
    for f in &baseline.findings {
        let key = (f.id.clone(), key_then(&f.endpoint));
        if now.contains(&key) || !seen.insert(key.clone()) {
            continue;
        }
        let changed = f.clone();
        if scanned.contains(&key.1) && !undecided(&key.0, &key.1) {
            fixed.push(changed);
        } else {
            untested.push(changed);
        }
    }
    Comparison {
        new,
        fixed,
        untested,
        score_change: i64::from(report.score) - i64::from(baseline.score),
        previous_score: baseline.score,
        previous_grade: baseline.grade.clone(),
        previous_target: baseline.target.clone(),
        previous_started_at: baseline.started_at.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn score_changes_read_as_a_table_shows_them() {
        assert_eq!(score_change_label(None, "±0"), "first scan");
        assert_eq!(score_change_label(Some(0), "±0"), "±0");
        assert_eq!(score_change_label(Some(0), "unchanged"), "unchanged");
        assert_eq!(score_change_label(Some(7), "±0"), "+7");
        assert_eq!(score_change_label(Some(-25), "±0"), "−25");
    }

    #[test]
    fn endpoint_keys_ignore_host_and_port() {
        assert_eq!(
            endpoint_key(
                "POST http://127.0.0.1:5000/api/login",
                "http://127.0.0.1:5000"
            ),
            "POST /api/login"
        );
        assert_eq!(
            endpoint_key(
                "post https://staging.example/api/login",
                "https://staging.example/"
            ),
            "POST /api/login"
        );
        // Not under the target: the path of the URL.
        assert_eq!(
            endpoint_key("GET http://other:1/x?y=1", "http://127.0.0.1:5000"),
            "GET /x?y=1"
        );
        assert_eq!(endpoint_key("POST http://h:1", "http://h:1/"), "POST /");
        // A target that is a prefix of a longer host is not the target.
        assert_eq!(
            endpoint_key("POST http://h:10/login", "http://h:1"),
            "POST /login"
        );
    }

    #[test]
    fn corrupt_baselines_are_rejected_with_a_reason() {
        for (text, why) in [
            ("", "invalid JSON"),
            ("{", "invalid JSON"),
            ("[]", "not a JSON object"),
            ("{}", "no schema_version"),
            (r#"{"schema_version": 2}"#, "schema_version 2"),
            (r#"{"schema_version": 1, "findings": []}"#, "no score"),
            (
                r#"{"schema_version": 1, "score": 101, "findings": []}"#,
                "no score",
            ),
            (r#"{"schema_version": 1, "score": 50}"#, "no \"findings\""),
            (
                r#"{"schema_version": 1, "score": 50, "findings": [{"id": "x"}]}"#,
                "findings[0] has no endpoint",
            ),
        ] {
            let e = parse(text).unwrap_err();
            assert!(e.contains(why), "{text}: {e}");
            assert!(!e.contains('\n'));
        }
        let b = parse(
            r#"{"schema_version": 1, "score": 75, "target": "http://h",
                "findings": [{"id": "rate-limit.missing", "endpoint": "POST http://h/login"}]}"#,
        )
        .unwrap();
        assert_eq!(b.grade, "C");
        assert_eq!(b.findings.len(), 1);
    }
}
