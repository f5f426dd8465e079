//! `--format junit`: JUnit XML, so CI dashboards show keyhole's checks as tests.
//!
//! One `<testsuite>` per scanned endpoint, one `<testcase>` per (check, endpoint): failed when
//! the check found something, skipped when it could not decide, passed otherwise. The test case
//! is named by the check id and its classname is the endpoint ("POST /api/login"), unique across
//! the report. When no sign-in surface was found every check is skipped, with the reason. With
//! `--baseline`, a "baseline" suite holds two cases: no new findings, and the score did not drop.

use std::fmt::Write as _;

use super::{incomplete_is_per_endpoint, incomplete_reason, rules_for, short_endpoint};
use crate::baseline::Comparison;
use crate::report::{Finding, Report};

/// The failure body: what was found, the evidence and what to do.
fn failure_text(f: &Finding, new: bool) -> String {
    let mut t = String::new();
    let _ = writeln!(t, "{}", f.summary);
    let _ = writeln!(
        t,
        "\nSeverity: {} · confidence: {} · endpoint: {}{}",
        f.severity.as_str(),
        serde_json::to_value(f.confidence)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        f.endpoint,
        if new {
            " · NEW since the baseline"
        } else {
            ""
        }
    );
    for (i, ev) in f.evidence.iter().enumerate() {
        let _ = writeln!(
            t,
            "\nEvidence {}: {} {}\n  request body: {}\n  response: {} after {} ms\n  response body: {}",
            i + 1,
            ev.request.method,
            ev.request.url,
            ev.request.body,
            ev.response.status,
            ev.response.elapsed_ms,
            ev.response.body
        );
    }
    let _ = writeln!(t, "\nRemediation:\n{}", f.remediation);
    t
}

struct Case {
    name: String,
    classname: String,
    outcome: Outcome,
}

enum Outcome {
    Pass,
    Fail {
        message: String,
        kind: String,
        body: String,
    },
    Skip(String),
}

struct Suite {
    name: String,
    cases: Vec<Case>,
    properties: Vec<(String, String)>,
}

fn suites(report: &Report, baseline: Option<&Comparison>) -> Vec<Suite> {
    let rules = rules_for(report);
    let mut suites = Vec::new();
    let mut common = vec![
        ("target".to_string(), report.target.clone()),
        ("grade".to_string(), report.grade.clone()),
        ("score".to_string(), report.score.to_string()),
        ("rubric".to_string(), report.rubric.clone()),
        ("keyhole.version".to_string(), report.tool.version.clone()),
    ];
    for c in &report.categories {
        common.push((
            format!("category.{}", c.id.as_str()),
            if c.tested {
                format!("{} ({})", c.score, c.grade)
            } else {
                "not tested".to_string()
            },
        ));
    }
    for e in &report.endpoints {
        let label = e.label();
        let short = short_endpoint(report, &label);
        let mut cases = Vec::new();
        for r in rules.iter().filter(|r| r.flow == e.flow) {
            let found: Vec<&Finding> = report
                .findings
                .iter()
                .filter(|f| f.id == r.id && f.endpoint == label)
                .collect();
            let outcome = if let Some(f) = found.first() {
                Outcome::Fail {
                    message: format!("{}: {}", f.title, f.summary),
                    kind: f.severity.as_str().to_string(),
                    body: found
                        .iter()
                        .map(|f| failure_text(f, baseline.is_some_and(|b| b.is_new(f))))
                        .collect::<Vec<_>>()
                        .join("\n"),
                }
            } else if let Some(why) = incomplete_reason(report, &r.id, &label) {
                Outcome::Skip(format!("could not decide: {why}"))
            } else {
                Outcome::Pass
            };
            cases.push(Case {
                name: r.id.clone(),
                classname: short.clone(),
                outcome,
            });
        }
        let mut properties = common.clone();
        properties.push(("endpoint".into(), label.clone()));
        properties.push(("endpoint.kind".into(), e.kind.as_str().into()));
        properties.push(("endpoint.framework".into(), e.framework.as_str().into()));
        suites.push(Suite {
            name: format!("keyhole {short}"),
            cases,
            properties,
        });
    }
    // Incomplete entries that belong to no (check, endpoint): discovery, or a whole-scan limit.
    let others: Vec<_> = report
        .incomplete
        .iter()
        .filter(|i| !incomplete_is_per_endpoint(report, i))
        .collect();
    if report.endpoints.is_empty() {
        let why = others
            .iter()
            .map(|i| i.reason.as_str())
            .collect::<Vec<_>>()
            .join("; ");
        let why = if why.is_empty() {
            "no sign-in surface was found".to_string()
        } else {
            why
        };
        suites.push(Suite {
            name: "keyhole (no sign-in surface found)".into(),
            cases: rules
                .iter()
                .map(|r| Case {
                    name: r.id.clone(),
                    classname: "keyhole".into(),
                    outcome: Outcome::Skip(format!("not tested: {why}")),
                })
                .collect(),
            properties: common.clone(),
        });
    } else if !others.is_empty() {
        suites.push(Suite {
            name: "keyhole scan".into(),
            cases: others
                .iter()
                .map(|i| Case {
                    name: i.check.clone(),
                    classname: "keyhole".into(),
                    outcome: Outcome::Skip(i.reason.clone()),
                })
                .collect(),
            properties: common.clone(),
        });
    }
    if let Some(cmp) = baseline {
        let new_case = Case {
            name: "no new findings".into(),
            classname: "keyhole.baseline".into(),
            outcome: if cmp.new.is_empty() {
                Outcome::Pass
            } else {
                Outcome::Fail {
                    message: format!("{} new finding(s) since the baseline", cmp.new.len()),
                    kind: "regression".into(),
                    body: cmp
                        .new
                        .iter()
                        .map(|n| format!("{} ({}) on {}\n", n.id, n.severity, n.endpoint))
                        .collect(),
                }
            },
        };
        let score_case = Case {
            name: "score did not drop".into(),
            classname: "keyhole.baseline".into(),
            outcome: if cmp.score_change >= 0 {
                Outcome::Pass
            } else {
                Outcome::Fail {
                    message: format!("score {}", cmp.score_line(report.score)),
                    kind: "regression".into(),
                    body: String::new(),
                }
            },
        };
        let mut properties = common.clone();
        properties.push((
            "baseline.previous_score".into(),
            cmp.previous_score.to_string(),
        ));
        properties.push(("baseline.previous_grade".into(), cmp.previous_grade.clone()));
        properties.push(("baseline.score_change".into(), cmp.score_change.to_string()));
        properties.push(("baseline.new".into(), cmp.new.len().to_string()));
        properties.push(("baseline.fixed".into(), cmp.fixed.len().to_string()));
        suites.push(Suite {
            name: "keyhole baseline".into(),
            cases: vec![new_case, score_case],
            properties,
        });
    }
    suites
}

/// Characters XML 1.0 forbids and quick-junit lets through (U+FFFE, U+FFFF, lone controls it
/// may miss), replaced by U+FFFD; quick-junit escapes markup and drops ANSI sequences itself.
fn xml(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\t' | '\n' | '\r' => c,
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => '\u{fffd}',
            c => c,
        })
        .collect()
}

/// The report as JUnit XML, written by quick-junit.
pub fn render(report: &Report, baseline: Option<&Comparison>) -> String {
    use quick_junit::{NonSuccessKind, Property, TestCase, TestCaseStatus, TestSuite};
    let suites = suites(report, baseline);
    let started = chrono::DateTime::parse_from_rfc3339(&report.started_at).ok();
    let total = std::time::Duration::from_millis(report.duration_ms);
    let per_suite = total / suites.len().max(1) as u32;
    let mut out = quick_junit::Report::new("keyhole");
    out.set_time(total);
    if let Some(t) = started {
        out.set_timestamp(t);
    }
    for s in &suites {
        let mut suite = TestSuite::new(xml(&s.name));
        suite.set_time(per_suite);
        if let Some(t) = started {
            suite.set_timestamp(t);
        }
        suite.add_properties(
            s.properties
                .iter()
                .map(|(k, v)| Property::new(xml(k), xml(v))),
        );
        for c in &s.cases {
            let status = match &c.outcome {
                Outcome::Pass => TestCaseStatus::success(),
                Outcome::Skip(why) => {
                    let mut st = TestCaseStatus::skipped();
                    st.set_message(xml(why));
                    st
                }
                Outcome::Fail {
                    message,
                    kind,
                    body,
                } => {
                    let mut st = TestCaseStatus::non_success(NonSuccessKind::Failure);
                    st.set_message(xml(message))
                        .set_type(xml(kind))
                        .set_description(xml(body));
                    st
                }
            };
            let mut case = TestCase::new(xml(&c.name), status);
            case.set_classname(xml(&c.classname))
                .set_time(std::time::Duration::ZERO);
            suite.add_test_case(case);
        }
        suite.set_system_out(xml(&format!(
            "keyhole {}: grade {} ({}/100), {} finding(s), {} request(s)",
            report.target,
            report.grade,
            report.score,
            report.findings.len(),
            report.stats.requests
        )));
        out.add_test_suite(suite);
    }
    out.to_string().unwrap_or_else(|e| {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"keyhole\" tests=\"0\" failures=\"0\" errors=\"1\"><!-- {} --></testsuites>\n",
            e.to_string().replace("--", "- -")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_and_forbidden_characters_leave_well_formed_xml() {
        let mut r = super::super::testdata::report();
        r.findings[0].summary = "a\"b<c>&\u{1}d\u{fffe} ]]> <![CDATA[x".into();
        let x = render(&r, None);
        let doc = roxmltree::Document::parse(&x).expect("well-formed XML");
        assert!(
            doc.descendants()
                .filter(|n| n.has_tag_name("failure"))
                .any(|f| f.attribute("message").unwrap_or("").contains("a\"b<c>&")),
            "{x}"
        );
        assert!(!x.contains('\u{1}'));
    }

    #[test]
    fn one_case_per_check_and_endpoint() {
        let r = super::super::testdata::report();
        let x = render(&r, None);
        assert!(
            x.contains("tests=\"10\" skipped=\"1\" failures=\"2\" errors=\"0\""),
            "{x}"
        );
        assert!(x.contains("classname=\"POST /login\""));
        assert!(!x.contains('\u{1}'));
    }
}
