//! `--format html`: one self-contained page (inline CSS, no scripts, no external requests — a
//! Content-Security-Policy of `default-src 'none'` makes sure of it): grade and score at the top,
//! categories, the baseline comparison, findings by severity with their evidence (request and
//! response) folded in `<details>`, remediation, sign-in surfaces, observations and what was not
//! tested. Everything from the target is HTML-escaped.

use std::fmt::Write as _;

use super::{duration, findings_of, short_endpoint, verdict, SEVERITIES};
use crate::baseline::{ChangedFinding, Comparison};
use crate::report::{Evidence, Finding, Report, Severity};

/// Escape text for HTML content and attribute values; control characters other than line
/// breaks and tabs are dropped.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' | '\t' => out.push(c),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Prose with `inline code` spans and code blocks indented by four spaces (the remediation
/// texts) as HTML paragraphs and `<pre>` blocks.
fn prose(text: &str) -> String {
    let mut out = String::new();
    for block in text.split("\n\n") {
        let block = block.trim_matches('\n');
        if block.trim().is_empty() {
            continue;
        }
        let lines: Vec<&str> = block.lines().collect();
        if lines
            .iter()
            .all(|l| l.starts_with("    ") || l.trim().is_empty())
        {
            let code: Vec<&str> = lines
                .iter()
                .map(|l| l.strip_prefix("    ").unwrap_or(l))
                .collect();
            let _ = write!(out, "<pre><code>{}</code></pre>", esc(&code.join("\n")));
        } else {
            let mut p = String::new();
            for (i, part) in block.split('`').enumerate() {
                if i % 2 == 1 {
                    let _ = write!(p, "<code>{}</code>", esc(part));
                } else {
                    p.push_str(&esc(part));
                }
            }
            let _ = write!(out, "<p>{}</p>", p.replace('\n', "<br>"));
        }
    }
    out
}

const CSS: &str = r#"
:root{--fg:#1b1f24;--muted:#57606a;--bg:#fff;--card:#f6f8fa;--line:#d0d7de;
--critical:#8b0000;--high:#cf222e;--medium:#bf8700;--low:#0969da;
--A:#1a7f37;--B:#4d9a2a;--C:#bf8700;--D:#d1570a;--F:#cf222e}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#8d96a0;--bg:#0d1117;--card:#161b22;--line:#30363d;
--critical:#ff7b72;--high:#f85149;--medium:#d29922;--low:#58a6ff}}
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:1100px;margin:0 auto;padding:24px}
h1,h2,h3{line-height:1.25}
h2{border-bottom:1px solid var(--line);padding-bottom:4px;margin-top:32px}
code,pre{font:13px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
pre{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:10px;overflow:auto;white-space:pre-wrap;word-break:break-all}
p code,td code,li code,summary code{background:var(--card);border-radius:4px;padding:1px 4px}
header.top{display:flex;gap:24px;align-items:center;padding:20px;border:1px solid var(--line);border-radius:10px;background:var(--card)}
.grade{font-size:72px;font-weight:800;width:120px;height:120px;border-radius:16px;display:flex;align-items:center;justify-content:center;color:#fff;flex:none}
.grade-A{background:var(--A)}.grade-B{background:var(--B)}.grade-C{background:var(--C)}.grade-D{background:var(--D)}.grade-F{background:var(--F)}
.score{font-size:28px;font-weight:700}
.muted{color:var(--muted)}
table{border-collapse:collapse;width:100%;margin:8px 0}
th,td{border:1px solid var(--line);padding:6px 10px;text-align:left;vertical-align:top}
th{background:var(--card)}
.bar{background:var(--line);border-radius:4px;height:10px;width:160px;display:inline-block;vertical-align:middle;margin-right:8px}
.bar>span{display:block;height:10px;border-radius:4px}
.sev{display:inline-block;border-radius:12px;padding:0 10px;color:#fff;font-size:12px;font-weight:700;text-transform:uppercase}
.sev-critical{background:var(--critical)}.sev-high{background:var(--high)}.sev-medium{background:var(--medium)}.sev-low{background:var(--low)}
article.finding{border:1px solid var(--line);border-left:6px solid var(--line);border-radius:8px;padding:12px 16px;margin:12px 0}
article.critical{border-left-color:var(--critical)}article.high{border-left-color:var(--high)}
article.medium{border-left-color:var(--medium)}article.low{border-left-color:var(--low)}
article h4{margin:4px 0 6px;font-size:17px}
details{margin:8px 0}
summary{cursor:pointer;font-weight:600}
.new{background:var(--high);color:#fff;border-radius:12px;padding:0 8px;font-size:12px;font-weight:700;margin-left:6px}
.notice{border:1px solid var(--medium);border-radius:8px;padding:10px 14px;background:var(--card)}
footer{margin-top:40px;font-size:13px}
@media print{details{display:block}details>*{display:block}}
"#;

fn severity_badge(sev: Severity) -> String {
    format!("<span class=\"sev sev-{0}\">{0}</span>", sev.as_str())
}

fn grade_class(grade: &str) -> &'static str {
    match grade {
        "A" => "grade-A",
        "B" => "grade-B",
        "C" => "grade-C",
        "D" => "grade-D",
        _ => "grade-F",
    }
}

fn headers_text(h: &std::collections::BTreeMap<String, String>) -> String {
    h.iter().map(|(k, v)| format!("{k}: {v}\n")).collect()
}

fn evidence_html(i: usize, ev: &Evidence) -> String {
    format!(
        "<details class=\"evidence\"><summary>Exchange {n}: {m} {u} → {s} in {ms} ms</summary>\
         <h5>Request</h5><pre>{m} {u}\n{rh}\n{rb}</pre>\
         <h5>Response</h5><pre>HTTP {s}\n{sh}\n{sb}</pre></details>",
        n = i + 1,
        m = esc(&ev.request.method),
        u = esc(&ev.request.url),
        s = ev.response.status,
        ms = ev.response.elapsed_ms,
        rh = esc(&headers_text(&ev.request.headers)),
        rb = esc(&ev.request.body),
        sh = esc(&headers_text(&ev.response.headers)),
        sb = esc(&ev.response.body),
    )
}

fn finding_html(out: &mut String, report: &Report, f: &Finding, new: bool) {
    let confidence = serde_json::to_value(f.confidence)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let _ = write!(
        out,
        "<article class=\"finding {sev}\" data-id=\"{id}\"><div>{badge} <code>{id}</code>{new}</div>\
         <h4>{title}</h4><p class=\"muted\">{endpoint} · confidence {confidence}</p><p>{summary}</p>",
        sev = f.severity.as_str(),
        badge = severity_badge(f.severity),
        id = esc(&f.id),
        new = if new { "<span class=\"new\">new</span>" } else { "" },
        title = esc(&f.title),
        endpoint = esc(&short_endpoint(report, &f.endpoint)),
        summary = esc(&f.summary),
    );
    if !f.details.is_empty() {
        out.push_str("<details><summary>Details</summary><table>");
        for (k, v) in &f.details {
            let shown = match v {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let _ = write!(out, "<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(&shown));
        }
        out.push_str("</table></details>");
    }
    if !f.evidence.is_empty() {
        let _ = write!(
            out,
            "<details class=\"evidence-list\"><summary>Evidence ({} request{})</summary>",
            f.evidence.len(),
            if f.evidence.len() == 1 { "" } else { "s" }
        );
        for (i, ev) in f.evidence.iter().enumerate() {
            out.push_str(&evidence_html(i, ev));
        }
        out.push_str("</details>");
    }
    let _ = write!(
        out,
        "<details class=\"remediation\" open><summary>Remediation</summary>{}</details></article>",
        prose(&f.remediation)
    );
}

fn changed_rows(out: &mut String, report: &Report, label: &str, items: &[ChangedFinding]) {
    for c in items {
        let _ = write!(
            out,
            "<tr><td>{label}</td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
            esc(&c.id),
            esc(&c.severity),
            esc(&short_endpoint(report, &c.endpoint))
        );
    }
}

pub fn render(report: &Report, baseline: Option<&Comparison>) -> String {
    let mut o = String::new();
    let title = format!("keyhole report: grade {} — {}", report.grade, report.target);
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"generator\" content=\"keyhole {}\">\
         <title>{}</title><style>{}</style></head><body><main>\n",
        esc(&report.tool.version),
        esc(&title),
        CSS
    );

    // Grade and score at the top.
    let _ = writeln!(
        o,
        "<header class=\"top\"><div id=\"grade\" class=\"grade {cls}\" data-grade=\"{g}\" \
         aria-label=\"Grade {g}\">{g}</div><div><div class=\"score\" id=\"score\">Grade {g} · {s}/100</div>\
         <p><strong>{verdict}</strong></p>\
         <p class=\"muted\">Target <code>{t}</code> · {n} finding{pl} · {req} requests in {dur} · \
         started {at} · rubric {rubric}</p></div></header>",
        cls = grade_class(&report.grade),
        g = esc(&report.grade),
        s = report.score,
        verdict = esc(verdict(report)),
        t = esc(&report.target),
        n = report.findings.len(),
        pl = if report.findings.len() == 1 { "" } else { "s" },
        req = report.stats.requests,
        dur = duration(report.duration_ms),
        at = esc(&report.started_at),
        rubric = esc(&report.rubric),
    );

    // Categories.
    o.push_str("<section id=\"categories\"><h2>Categories</h2><table><tr><th>Category</th><th>Score</th><th>Grade</th><th>Tested</th></tr>");
    for c in &report.categories {
        if c.tested {
            let _ = write!(
                o,
                "<tr><td>{id}</td><td><span class=\"bar\"><span class=\"{cls}\" style=\"width:{s}%\"></span></span>{s}</td>\
                 <td>{g}</td><td>yes</td></tr>",
                id = c.id.as_str(),
                cls = grade_class(&c.grade),
                s = c.score.min(100),
                g = esc(&c.grade),
            );
        } else {
            let _ = write!(
                o,
                "<tr><td>{}</td><td>–</td><td>–</td><td><strong>no</strong> (nothing to test — not a pass)</td></tr>",
                c.id.as_str()
            );
        }
    }
    o.push_str("</table></section>\n");

    // Baseline.
    if let Some(cmp) = baseline {
        let _ = write!(
            o,
            "<section id=\"baseline\"><h2>Compared with the baseline</h2><p class=\"notice\"><strong>{}</strong> \
             Score {} · grade {} → {} · {} new · {} fixed · {} not re-checked. Baseline from {} ({}).</p>",
            if cmp.regressed() { "Regression." } else { "No regression." },
            esc(&cmp.score_line(report.score)),
            esc(&cmp.previous_grade),
            esc(&report.grade),
            cmp.new.len(),
            cmp.fixed.len(),
            cmp.untested.len(),
            esc(&cmp.previous_started_at),
            esc(&cmp.previous_target),
        );
        if !(cmp.new.is_empty() && cmp.fixed.is_empty() && cmp.untested.is_empty()) {
            o.push_str(
                "<table><tr><th>Change</th><th>Finding</th><th>Severity</th><th>Endpoint</th></tr>",
            );
            changed_rows(&mut o, report, "new", &cmp.new);
            changed_rows(&mut o, report, "fixed", &cmp.fixed);
            changed_rows(&mut o, report, "not re-checked", &cmp.untested);
            o.push_str("</table>");
        }
        o.push_str("</section>\n");
    }

    // Findings by severity.
    let _ = write!(
        o,
        "<section id=\"findings\"><h2>Findings ({})</h2>",
        report.findings.len()
    );
    if report.findings.is_empty() {
        o.push_str("<p>None in the checks that ran.</p>");
    }
    for sev in SEVERITIES {
        let list: Vec<&Finding> = findings_of(report, sev).collect();
        if list.is_empty() {
            continue;
        }
        let _ = write!(
            o,
            "<h3 id=\"severity-{s}\">{badge} {n} finding{pl}</h3>",
            s = sev.as_str(),
            badge = severity_badge(sev),
            n = list.len(),
            pl = if list.len() == 1 { "" } else { "s" }
        );
        for f in list {
            finding_html(&mut o, report, f, baseline.is_some_and(|b| b.is_new(f)));
        }
    }
    o.push_str("</section>\n");

    // Surfaces.
    o.push_str("<section id=\"endpoints\"><h2>Endpoints</h2>");
    if report.endpoints.is_empty() {
        o.push_str("<p class=\"notice\">No sign-in surface was found, so nothing was tested. If the API has one, pass it with <code>--endpoint PATH</code>.</p>");
    } else {
        o.push_str("<table><tr><th>Flow</th><th>Endpoint</th><th>Kind</th><th>Fields</th><th>Found by</th><th>Framework</th></tr>");
        for e in &report.endpoints {
            let _ = write!(
                o,
                "<tr><td>{}</td><td><code>{} {}</code></td><td>{}</td><td>{} / {}</td><td>{}</td><td>{}</td></tr>",
                e.flow.as_str(),
                esc(&e.method),
                esc(&e.url),
                e.kind.as_str(),
                esc(e.username_field.as_deref().unwrap_or("–")),
                esc(e.password_field.as_deref().unwrap_or("–")),
                e.source.as_str(),
                e.framework.display_name()
            );
        }
        o.push_str("</table>");
    }
    o.push_str("</section>\n");

    // Observations.
    o.push_str("<section id=\"observations\"><h2>Observations</h2>");
    if report.observations.is_empty() {
        o.push_str("<p class=\"muted\">No protections were observed.</p>");
    } else {
        o.push_str("<ul>");
        for ob in &report.observations {
            let _ = write!(
                o,
                "<li><strong>{}</strong> on <code>{}</code>: {}</li>",
                esc(&ob.kind),
                esc(&short_endpoint(report, &ob.endpoint)),
                esc(&ob.summary)
            );
        }
        o.push_str("</ul>");
    }
    o.push_str("</section>\n");

    // Not tested.
    o.push_str("<section id=\"not-tested\"><h2>Not tested</h2>");
    if report.incomplete.is_empty() && report.categories.iter().all(|c| c.tested) {
        o.push_str("<p class=\"muted\">Every check ran to a decision.</p>");
    } else {
        o.push_str("<ul>");
        for c in report.categories.iter().filter(|c| !c.tested) {
            let _ = write!(
                o,
                "<li>Category <strong>{}</strong>: not tested (no sign-in surface) — this is not a pass.</li>",
                c.id.as_str()
            );
        }
        for i in &report.incomplete {
            let _ = write!(
                o,
                "<li><code>{}</code>: {}</li>",
                esc(&i.check),
                esc(&i.reason)
            );
        }
        o.push_str("</ul>");
    }
    o.push_str("</section>\n");

    let _ = write!(
        o,
        "<footer class=\"muted\">Generated by keyhole {} · score rubric {} (each category starts at 100 and loses \
         45 per critical, 25 per high, 10 per medium and 3 per low finding; A ≥ 90, B ≥ 80, C ≥ 70, D ≥ 60, F below).</footer>\n\
         </main></body></html>\n",
        esc(&report.tool.version),
        esc(&report.rubric)
    );
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_folds() {
        let r = super::super::testdata::report();
        let h = render(&r, None);
        assert!(h.contains("data-grade=\"D\""));
        assert!(!h.contains("<script>"));
        assert!(!h.contains("<b>markup</b>"));
        assert!(h.contains("<details class=\"evidence\">"));
        assert!(!h.contains("http-equiv=\"refresh\""));
        assert!(!h.contains("src=\"http"));
        assert!(prose("a `b<c>`\n\n    code <x>\n    more")
            .contains("<pre><code>code &lt;x&gt;\nmore</code></pre>"));
    }
}
