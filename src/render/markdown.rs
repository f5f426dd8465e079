//! `--format markdown`: a compact summary for pull-request comments and `$GITHUB_STEP_SUMMARY`
//! (GitHub-flavoured Markdown): grade and score, the category table, the baseline comparison,
//! a findings table, then each finding with its remediation folded in `<details>`, observations
//! and what was not tested. Evidence stays in the JSON/HTML/SARIF reports to keep it short.
//! Everything that came from the target is escaped, so a hostile server cannot inject markup.

use std::fmt::Write as _;

use super::{duration, findings_of, short_endpoint, verdict, SEVERITIES};
use crate::baseline::{ChangedFinding, Comparison};
use crate::report::{Report, Severity};

/// Inline text: Markdown and HTML specials escaped, line breaks flattened.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' | '#' | '!' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\n' | '\r' | '\t' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Text inside a raw HTML line (`<summary>`), where Markdown escapes do not apply.
fn html_esc(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control())
        .map(|c| match c {
            '<' => "&lt;".to_string(),
            '>' => "&gt;".to_string(),
            '&' => "&amp;".to_string(),
            '"' => "&quot;".to_string(),
            c => c.to_string(),
        })
        .collect()
}

/// Inline code span that holds any text (backticks inside get a longer fence).
fn code(s: &str) -> String {
    let clean: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let clean = clean.replace('|', "\\|");
    let longest = clean.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    if clean.starts_with('`') || clean.ends_with('`') {
        format!("{fence} {clean} {fence}")
    } else {
        format!("{fence}{clean}{fence}")
    }
}

fn severity_icon(sev: Severity) -> &'static str {
    match sev {
        Severity::Critical => "🟥",
        Severity::High => "🟧",
        Severity::Medium => "🟨",
        Severity::Low => "🟦",
    }
}

fn grade_icon(grade: &str) -> &'static str {
    match grade {
        "A" => "🟢",
        "B" | "C" => "🟡",
        _ => "🔴",
    }
}

fn changed_rows(out: &mut String, report: &Report, label: &str, items: &[ChangedFinding]) {
    for c in items {
        let _ = writeln!(
            out,
            "| {label} | {} | {} | {} |",
            code(&c.id),
            esc(&c.severity),
            code(&short_endpoint(report, &c.endpoint))
        );
    }
}

pub fn render(report: &Report, baseline: Option<&Comparison>) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "## {} keyhole: grade {} ({}/100)\n",
        grade_icon(&report.grade),
        esc(&report.grade),
        report.score
    );
    let _ = writeln!(out, "**{}**\n", esc(verdict(report)));
    let _ = writeln!(
        out,
        "Target {} · {} finding{} · {} request{} in {} · rubric {} · {}\n",
        code(&report.target),
        report.findings.len(),
        if report.findings.len() == 1 { "" } else { "s" },
        report.stats.requests,
        if report.stats.requests == 1 { "" } else { "s" },
        duration(report.duration_ms),
        esc(&report.rubric),
        esc(&report.started_at)
    );

    out.push_str("| Category | Score | Grade | Tested |\n|---|---:|:---:|:---:|\n");
    for c in &report.categories {
        if c.tested {
            let _ = writeln!(
                out,
                "| {} | {} | {} | yes |",
                c.id.as_str(),
                c.score,
                esc(&c.grade)
            );
        } else {
            let _ = writeln!(out, "| {} | – | – | **no** |", c.id.as_str());
        }
    }
    out.push('\n');

    if let Some(cmp) = baseline {
        let _ = writeln!(
            out,
            "### Compared with the baseline: {}\n",
            if cmp.regressed() {
                "❌ regression"
            } else {
                "✅ no regression"
            }
        );
        let _ = writeln!(
            out,
            "Score {} · grade {} → {} · {} new · {} fixed{}\n",
            esc(&cmp.score_line(report.score)),
            esc(&cmp.previous_grade),
            esc(&report.grade),
            cmp.new.len(),
            cmp.fixed.len(),
            if cmp.untested.is_empty() {
                String::new()
            } else {
                format!(" · {} not re-checked", cmp.untested.len())
            }
        );
        if !(cmp.new.is_empty() && cmp.fixed.is_empty() && cmp.untested.is_empty()) {
            out.push_str("| Change | Finding | Severity | Endpoint |\n|---|---|---|---|\n");
            changed_rows(&mut out, report, "🆕 new", &cmp.new);
            changed_rows(&mut out, report, "✅ fixed", &cmp.fixed);
            changed_rows(&mut out, report, "❔ not re-checked", &cmp.untested);
            out.push('\n');
        }
    }

    if report.findings.is_empty() {
        out.push_str("### Findings\n\nNone.\n\n");
    } else {
        let _ = writeln!(out, "### Findings ({})\n", report.findings.len());
        out.push_str("| Severity | Finding | Endpoint | Summary |\n|---|---|---|---|\n");
        for sev in SEVERITIES {
            for f in findings_of(report, sev) {
                let new = baseline.is_some_and(|b| b.is_new(f));
                let _ = writeln!(
                    out,
                    "| {} {} | {}{} | {} | {} |",
                    severity_icon(sev),
                    sev.as_str(),
                    code(&f.id),
                    if new { " 🆕" } else { "" },
                    code(&short_endpoint(report, &f.endpoint)),
                    esc(&f.summary)
                );
            }
        }
        out.push('\n');
        for sev in SEVERITIES {
            for f in findings_of(report, sev) {
                let _ = writeln!(
                    out,
                    "<details>\n<summary>{} <b>{}</b> · <code>{}</code> — {}</summary>\n",
                    severity_icon(sev),
                    html_esc(&f.title),
                    html_esc(&f.id),
                    html_esc(&short_endpoint(report, &f.endpoint))
                );
                let _ = writeln!(out, "{}\n", esc(&f.summary));
                let _ = writeln!(
                    out,
                    "**Remediation**\n\n{}\n\n</details>\n",
                    f.remediation.trim()
                );
            }
        }
    }

    if !report.observations.is_empty() {
        out.push_str("### Observations\n\n");
        for o in &report.observations {
            let _ = writeln!(
                out,
                "- {} on {}: {}",
                esc(&o.kind),
                code(&short_endpoint(report, &o.endpoint)),
                esc(&o.summary)
            );
        }
        out.push('\n');
    }

    if !report.incomplete.is_empty() || report.categories.iter().any(|c| !c.tested) {
        out.push_str("### Not tested\n\n");
        for c in report.categories.iter().filter(|c| !c.tested) {
            let _ = writeln!(
                out,
                "- category {}: not tested (no sign-in surface) — this is not a pass",
                c.id.as_str()
            );
        }
        for i in &report.incomplete {
            let _ = writeln!(out, "- {}: {}", code(&i.check), esc(&i.reason));
        }
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "<sub>keyhole {} · score rubric {}</sub>",
        esc(&report.tool.version),
        esc(&report.rubric)
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_target_text() {
        assert_eq!(esc("a|b <x> *y*"), "a\\|b &lt;x&gt; \\*y\\*");
        assert_eq!(code("a`b"), "``a`b``");
        let r = super::super::testdata::report();
        let md = render(&r, None);
        assert!(md.contains("grade D (65/100)"));
        assert!(md.contains("`rate-limit.missing`"));
        assert!(!md.contains("<b>markup</b>"));
    }
}
