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

/// Text safe in XML 1.0 character data and attribute values: markup escaped, characters XML
/// forbids (most C0 controls, U+FFFE, U+FFFF) replaced by U+FFFD; in attributes, line breaks
/// and tabs are character references so they survive attribute normalisation.
fn esc(s: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            '\'' if attribute => out.push_str("&apos;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' if attribute => out.push_str("&#9;"),
            '\t' | '\n' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

fn attr(s: &str) -> String {
    esc(s, true)
}

fn text(s: &str) -> String {
    esc(s, false)
}

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

impl Suite {
    fn count(&self, f: impl Fn(&Outcome) -> bool) -> usize {
        self.cases.iter().filter(|c| f(&c.outcome)).count()
    }
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

pub fn render(report: &Report, baseline: Option<&Comparison>) -> String {
    let suites = suites(report, baseline);
    let total = |f: &dyn Fn(&Outcome) -> bool| -> usize { suites.iter().map(|s| s.count(f)).sum() };
    let is_fail = |o: &Outcome| matches!(o, Outcome::Fail { .. });
    let is_skip = |o: &Outcome| matches!(o, Outcome::Skip(_));
    let secs = report.duration_ms as f64 / 1000.0;
    let per_suite = secs / suites.len().max(1) as f64;
    let mut x = String::new();
    x.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        x,
        "<testsuites name=\"keyhole\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\" time=\"{secs:.3}\" timestamp=\"{}\">",
        total(&|_| true),
        total(&is_fail),
        total(&is_skip),
        attr(&report.started_at)
    );
    for s in &suites {
        let _ = writeln!(
            x,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\" time=\"{per_suite:.3}\" timestamp=\"{}\">",
            attr(&s.name),
            s.cases.len(),
            s.count(is_fail),
            s.count(is_skip),
            attr(&report.started_at)
        );
        x.push_str("    <properties>\n");
        for (k, v) in &s.properties {
            let _ = writeln!(
                x,
                "      <property name=\"{}\" value=\"{}\"/>",
                attr(k),
                attr(v)
            );
        }
        x.push_str("    </properties>\n");
        for c in &s.cases {
            let open = format!(
                "    <testcase name=\"{}\" classname=\"{}\" time=\"0\"",
                attr(&c.name),
                attr(&c.classname)
            );
            match &c.outcome {
                Outcome::Pass => {
                    let _ = writeln!(x, "{open}/>");
                }
                Outcome::Skip(why) => {
                    let _ = writeln!(
                        x,
                        "{open}>\n      <skipped message=\"{}\"/>\n    </testcase>",
                        attr(why)
                    );
                }
                Outcome::Fail {
                    message,
                    kind,
                    body,
                } => {
                    let _ = writeln!(
                        x,
                        "{open}>\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>",
                        attr(message),
                        attr(kind),
                        text(body)
                    );
                }
            }
        }
        let _ = writeln!(
            x,
            "    <system-out>{}</system-out>",
            text(&format!(
                "keyhole {}: grade {} ({}/100), {} finding(s), {} request(s)",
                report.target,
                report.grade,
                report.score,
                report.findings.len(),
                report.stats.requests
            ))
        );
        x.push_str("  </testsuite>\n");
    }
    x.push_str("</testsuites>\n");
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_forbidden_characters() {
        assert_eq!(attr("a\"b<c>&\n'"), "a&quot;b&lt;c&gt;&amp;&#10;&apos;");
        assert_eq!(text("x\u{1}y\u{fffe}]]>"), "x\u{fffd}y\u{fffd}]]&gt;");
    }

    #[test]
    fn one_case_per_check_and_endpoint() {
        let r = super::super::testdata::report();
        let x = render(&r, None);
        assert!(
            x.contains("tests=\"9\" failures=\"2\" errors=\"0\" skipped=\"1\""),
            "{x}"
        );
        assert!(x.contains("classname=\"POST /login\""));
        assert!(!x.contains('\u{1}'));
    }
}
