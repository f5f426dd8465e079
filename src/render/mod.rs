//! Renderers: turn the report model into bytes. They never touch the network.
//!
//! Every format reads only the [`Report`], the static check catalog and, with `--baseline`, the
//! [`Comparison`] with an earlier report.

pub mod dashboard;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod pretty;
pub mod sarif;

use crate::baseline::Comparison;
use crate::config::Format;
use crate::report::{Category, Finding, Framework, Report, Severity};

/// A report that could not be rendered. Only the HTML page can fail, and only through a bug in
/// its template (the unit tests render every shape of report through it).
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("the HTML report template failed: {0}")]
    Html(#[from] minijinja::Error),
}

/// Render `report` in `format`. `color` applies to the pretty format only.
pub fn render(
    report: &Report,
    format: Format,
    baseline: Option<&Comparison>,
    color: bool,
) -> Result<String, RenderError> {
    Ok(match format {
        Format::Pretty => {
            let mut out = pretty::render(report, color);
            if let Some(cmp) = baseline {
                out.push_str(&pretty_baseline(report, cmp));
            }
            out
        }
        Format::Json => match baseline {
            None => json::render(report),
            Some(cmp) => json_with_baseline(report, cmp),
        },
        Format::Sarif => sarif::render(report, baseline),
        Format::Junit => junit::render(report, baseline),
        Format::Markdown => markdown::render(report, baseline),
        Format::Html => html::render(report, baseline)?,
    })
}

/// The JSON report (schema_version 1) with the comparison added as a top-level `"baseline"` key.
fn json_with_baseline(report: &Report, cmp: &Comparison) -> String {
    let mut value = serde_json::to_value(report).expect("report serialises");
    if let Some(obj) = value.as_object_mut() {
        obj.insert(
            "baseline".into(),
            serde_json::to_value(cmp).expect("comparison serialises"),
        );
    }
    let mut s = serde_json::to_string_pretty(&value).expect("report serialises");
    s.push('\n');
    s
}

/// The baseline section appended to the pretty report (plain text, cleaned of control chars).
fn pretty_baseline(report: &Report, cmp: &Comparison) -> String {
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect()
    };
    let mut out = String::new();
    out.push_str(&format!(
        "\nCompared with the baseline (grade {}, {}):\n",
        clean(&cmp.previous_grade),
        clean(&cmp.previous_started_at)
    ));
    out.push_str(&format!("  score {}\n", cmp.score_line(report.score)));
    let list = |out: &mut String, label: &str, items: &[crate::baseline::ChangedFinding]| {
        out.push_str(&format!("  {label}: {}\n", items.len()));
        for c in items {
            out.push_str(&format!("    {}  {}\n", clean(&c.id), clean(&c.endpoint)));
        }
    };
    list(&mut out, "new findings", &cmp.new);
    list(&mut out, "fixed", &cmp.fixed);
    if !cmp.untested.is_empty() {
        list(&mut out, "not re-checked this time", &cmp.untested);
    }
    out.push_str(if cmp.regressed() {
        "  verdict: REGRESSION\n"
    } else {
        "  verdict: no regression\n"
    });
    out
}

/// One entry of the check catalog, as the renderers describe it.
#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub category: Category,
    pub severity: Severity,
    pub title: String,
    pub description: String,
    /// Framework-neutral remediation.
    pub remediation: String,
    /// The endpoints it runs on: sign-ins, reset or registration endpoints.
    pub flow: crate::report::Flow,
}

/// The catalog: every check of the registry, in registry order.
pub fn catalog() -> Vec<Rule> {
    crate::checks::registry()
        .iter()
        .map(|c| Rule {
            id: c.id().to_string(),
            category: c.category(),
            severity: c.severity(),
            title: c.title().to_string(),
            description: c.description().to_string(),
            remediation: crate::report::remediation::text(c.id(), Framework::Unknown),
            flow: c.flow(),
        })
        .collect()
}

/// The catalog plus a rule for any finding id the registry does not know (so every finding has
/// a rule, whatever produced the report).
pub fn rules_for(report: &Report) -> Vec<Rule> {
    let mut rules = catalog();
    for f in &report.findings {
        if !rules.iter().any(|r| r.id == f.id) {
            rules.push(Rule {
                id: f.id.clone(),
                category: f.category,
                severity: f.severity,
                title: f.title.clone(),
                description: f.title.clone(),
                remediation: crate::report::remediation::text(&f.id, Framework::Unknown),
                flow: report
                    .endpoints
                    .iter()
                    .find(|e| e.label() == f.endpoint)
                    .map(|e| e.flow)
                    .unwrap_or_default(),
            });
        }
    }
    rules
}

pub const SEVERITIES: [Severity; 4] = [
    Severity::Critical,
    Severity::High,
    Severity::Medium,
    Severity::Low,
];

/// Findings of one severity, in report order.
pub fn findings_of(report: &Report, sev: Severity) -> impl Iterator<Item = &Finding> {
    report.findings.iter().filter(move |f| f.severity == sev)
}

/// "POST http://host:5000/api/login" → "POST /api/login" (relative to the report's target).
pub fn short_endpoint(report: &Report, endpoint: &str) -> String {
    crate::baseline::endpoint_key(endpoint, &report.target)
}

/// The incomplete entry of check `id` on endpoint `label`, if any: its reason without the
/// endpoint prefix the pipeline puts in front.
pub fn incomplete_reason<'a>(report: &'a Report, id: &str, label: &str) -> Option<&'a str> {
    let prefix = format!("{label}: ");
    report
        .incomplete
        .iter()
        .find(|i| i.check == id && i.reason.starts_with(&prefix))
        .map(|i| &i.reason[prefix.len()..])
}

/// Whether incomplete entry `i` belongs to one (check, endpoint) of the report.
pub fn incomplete_is_per_endpoint(report: &Report, i: &crate::report::Incomplete) -> bool {
    report
        .endpoints
        .iter()
        .any(|e| i.reason.starts_with(&format!("{}: ", e.label())))
}

/// Human duration: "850 ms", "2.3 s", "1 min 5 s".
pub fn duration(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else if ms < 60_000 {
        format!("{:.1} s", ms as f64 / 1000.0)
    } else {
        format!("{} min {} s", ms / 60_000, (ms % 60_000) / 1000)
    }
}

/// One plain-language line on the grade.
pub fn verdict(report: &Report) -> &'static str {
    if report.endpoints.is_empty() {
        "No sign-in surface was found, so nothing was tested: this is not a pass."
    } else if report.findings.is_empty() {
        "No weaknesses found in the checks that ran."
    } else if report
        .findings
        .iter()
        .any(|f| matches!(f.severity, Severity::Critical | Severity::High))
    {
        "Password spraying or credential brute force is practical against this API."
    } else {
        "The sign-in surface leaks information an attacker can use."
    }
}

#[cfg(test)]
pub(crate) mod testdata {
    //! A report with one of everything, for the renderers' unit tests.
    use crate::report::*;
    use std::collections::BTreeMap;

    pub fn report() -> Report {
        let label = "POST http://127.0.0.1:5000/login";
        let ev = Evidence {
            request: EvidenceRequest {
                method: "POST".into(),
                url: "http://127.0.0.1:5000/login".into(),
                headers: BTreeMap::from([("content-type".into(), "application/json".into())]),
                body: r#"{"username":"<script>alert(1)</script>","password":"x&y"}"#.into(),
            },
            response: EvidenceResponse {
                status: 404,
                headers: BTreeMap::new(),
                body: "{\"error\":\"User does not exist\"}\u{1}\u{fffe}]]>".into(),
                elapsed_ms: 3,
            },
        };
        let finding = |id: &str, sev: Severity, cat: Category| Finding {
            id: id.into(),
            severity: sev,
            category: cat,
            endpoint: label.into(),
            title: format!("title of {id}"),
            summary: format!("summary of {id} with <b>markup</b> & | pipes"),
            remediation: remediation::text(id, Framework::Flask),
            confidence: Confidence::High,
            evidence: vec![ev.clone()],
            details: serde_json::Map::from_iter([("attempts".to_string(), 30.into())]),
        };
        let findings = vec![
            finding("rate-limit.missing", Severity::High, Category::RateLimiting),
            finding(
                "auth.verbose-error",
                Severity::Medium,
                Category::Authentication,
            ),
        ];
        let total = score::score(&findings);
        Report {
            schema_version: 1,
            tool: Tool {
                name: "keyhole".into(),
                version: "0.1.0".into(),
            },
            target: "http://127.0.0.1:5000".into(),
            started_at: "2026-11-28T23:00:00Z".into(),
            duration_ms: 2310,
            score: total,
            grade: score::grade(total).into(),
            rubric: "1".into(),
            categories: score::categories(&findings, true),
            endpoints: vec![EndpointReport {
                product: None,
                method: "POST".into(),
                url: "http://127.0.0.1:5000/login".into(),
                kind: SurfaceKind::Form,
                username_field: Some("username".into()),
                password_field: Some("password".into()),
                source: SurfaceSource::WellKnownPath,
                framework: Framework::Flask,
                flow: crate::report::Flow::SignIn,
                operation: None,
                http: None,
            }],
            findings,
            observations: vec![Observation {
                endpoint: label.into(),
                kind: "throttle".into(),
                summary: "429 after 5 attempts, Retry-After 60".into(),
            }],
            incomplete: vec![Incomplete {
                check: "auth.user-enumeration.timing".into(),
                reason: format!("{label}: a throttle ended the samples"),
            }],
            stats: Stats {
                requests: 41,
                duration_ms: 2310,
                max_in_flight: 8,
                guessed_attempts: Default::default(),
            },
        }
    }
}
