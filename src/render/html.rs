//! `--format html`: one self-contained page (inline CSS, no scripts, no external requests — a
//! Content-Security-Policy of `default-src 'none'` makes sure of it): grade and score at the top,
//! categories, the baseline comparison, findings by severity with their evidence (request and
//! response) folded in `<details>`, remediation, sign-in surfaces, observations and what was not
//! tested.
//!
//! The page is the minijinja template `templates/report.html`, compiled into the binary. Its
//! name ends in `.html`, so every `{{ value }}` in it is HTML-escaped (auto-escaping); the
//! template gets the [`Report`] itself and small view structs of plain text, never HTML built
//! in Rust. Everything from the target is therefore escaped on its way out.

use std::fmt::Write as _;

use minijinja::syntax::SyntaxConfig;
use minijinja::value::Serde;
use minijinja::{AutoEscape, Environment, Error, Output, State, UndefinedBehavior, Value};
use serde::Serialize;

use super::{duration, findings_of, short_endpoint, verdict, SEVERITIES};
use crate::baseline::{ChangedFinding, Comparison};
use crate::report::{Confidence, Evidence, Finding, Report};

/// The template's name: its `.html` ending is what turns on minijinja's HTML auto-escaping.
const TEMPLATE_NAME: &str = "report.html";
const TEMPLATE: &str = include_str!("templates/report.html");

/// Write `s` escaped for HTML content and attribute values; control characters other than line
/// breaks and tabs are dropped.
///
/// The escaping step of HTML auto-escaping (see [`formatter`]). minijinja's own escaper would
/// do as well for safety, but it also writes `/` as `&#x2f;`, `'` as `&#x27;` and lets control
/// characters through; this one keeps the page exactly as keyhole has always written it.
pub(super) fn write_escaped(out: &mut impl std::fmt::Write, s: &str) -> std::fmt::Result {
    for c in s.chars() {
        match c {
            '&' => out.write_str("&amp;")?,
            '<' => out.write_str("&lt;")?,
            '>' => out.write_str("&gt;")?,
            '"' => out.write_str("&quot;")?,
            '\'' => out.write_str("&#39;")?,
            '\n' | '\t' => out.write_char(c)?,
            c if c.is_control() => {}
            c => out.write_char(c)?,
        }
    }
    Ok(())
}

/// How the template prints `{{ value }}`. Under HTML auto-escaping (the `.html` template) a
/// value not marked safe is escaped by [`write_escaped`]; a safe one (the output of a template
/// macro, which minijinja marks safe because it escaped the macro's own values) is written as
/// is. With auto-escaping off, which this renderer never uses, minijinja's default applies —
/// so the escaping really depends on auto-escaping being on, as the unit tests check.
fn formatter(out: &mut Output, state: &mut State, value: &Value) -> Result<(), Error> {
    if *state.auto_escape() == AutoEscape::Html && !value.is_safe() {
        match value.as_str() {
            Some(s) => write_escaped(out, s),
            None => write_escaped(out, &value.to_string()),
        }
        .map_err(Error::from)
    } else {
        minijinja::escape_formatter(out, state, value)
    }
}

/// The environment with the report template: strict about undefined names (a typo in the
/// template is an error, not an empty string), block tags on their own line leave no blank
/// line, and the final newline stays.
pub(super) fn environment(
    name: &'static str,
    source: &'static str,
) -> Result<Environment<'static>, Error> {
    let mut env = Environment::new();
    env.set_syntax(
        SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .keep_trailing_newline(true)
            .build()?,
    );
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_formatter(formatter);
    env.add_template(name, source)?;
    Ok(env)
}

pub(super) fn grade_class(grade: &str) -> &'static str {
    match grade {
        "A" => "grade-A",
        "B" => "grade-B",
        "C" => "grade-C",
        "D" => "grade-D",
        _ => "grade-F",
    }
}

fn headers_text(h: &std::collections::BTreeMap<String, String>) -> String {
    h.iter().fold(String::new(), |mut s, (k, v)| {
        let _ = writeln!(s, "{k}: {v}");
        s
    })
}

/// What the template gets: the report and what is computed from it, all plain text.
#[derive(Serialize)]
struct Page<'a> {
    report: &'a Report,
    grade_class: &'static str,
    verdict: &'static str,
    duration: String,
    categories: Vec<CategoryRow<'a>>,
    baseline: Option<BaselineView<'a>>,
    /// The severities that have findings, most severe first.
    severities: Vec<SeverityGroup<'a>>,
    endpoints: Vec<EndpointRow<'a>>,
    observations: Vec<ObservationRow<'a>>,
    /// Categories with nothing to test.
    untested_categories: Vec<&'static str>,
}

#[derive(Serialize)]
struct CategoryRow<'a> {
    id: &'static str,
    tested: bool,
    /// At most 100: the width of the bar, in percent.
    score: u32,
    grade: &'a str,
    grade_class: &'static str,
}

#[derive(Serialize)]
struct BaselineView<'a> {
    regressed: bool,
    score_line: String,
    previous_grade: &'a str,
    previous_started_at: &'a str,
    previous_target: &'a str,
    new: usize,
    fixed: usize,
    untested: usize,
    /// New, fixed, then not re-checked findings.
    rows: Vec<ChangeRow<'a>>,
}

#[derive(Serialize)]
struct ChangeRow<'a> {
    change: &'static str,
    id: &'a str,
    severity: &'a str,
    endpoint: String,
}

#[derive(Serialize)]
struct SeverityGroup<'a> {
    severity: &'static str,
    findings: Vec<FindingView<'a>>,
}

#[derive(Serialize)]
struct FindingView<'a> {
    id: &'a str,
    severity: &'static str,
    title: &'a str,
    summary: &'a str,
    confidence: Confidence,
    /// Relative to the target: "POST /api/login".
    endpoint: String,
    /// New since the baseline.
    new: bool,
    details: Vec<Detail<'a>>,
    evidence: Vec<EvidenceView<'a>>,
    remediation: Vec<Block<'a>>,
}

#[derive(Serialize)]
struct Detail<'a> {
    key: &'a str,
    /// A string as is, any other JSON value as JSON.
    value: String,
}

#[derive(Serialize)]
struct EvidenceView<'a> {
    method: &'a str,
    url: &'a str,
    status: u16,
    elapsed_ms: u64,
    /// One "name: value" line per header.
    request_headers: String,
    request_body: &'a str,
    response_headers: String,
    response_body: &'a str,
}

/// A block of prose (the remediation texts): a paragraph, or a code block that was indented
/// by four spaces.
#[derive(Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
enum Block<'a> {
    Paragraph { spans: Vec<Span<'a>> },
    Code { text: String },
}

/// A run of a paragraph: plain text or an `inline code` span; its lines are shown with `<br>`
/// between them.
#[derive(Debug, PartialEq, Serialize)]
struct Span<'a> {
    code: bool,
    lines: Vec<&'a str>,
}

#[derive(Serialize)]
struct EndpointRow<'a> {
    flow: &'static str,
    method: &'a str,
    url: &'a str,
    kind: &'static str,
    username_field: &'a str,
    password_field: &'a str,
    source: &'static str,
    framework: &'static str,
    product: Option<&'a str>,
}

#[derive(Serialize)]
struct ObservationRow<'a> {
    kind: &'a str,
    endpoint: String,
    summary: &'a str,
}

/// Prose with `inline code` spans and code blocks indented by four spaces, split into
/// paragraphs and code blocks (blank lines between blocks).
fn prose(text: &str) -> Vec<Block<'_>> {
    let mut blocks = Vec::new();
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
            blocks.push(Block::Code {
                text: code.join("\n"),
            });
        } else {
            let spans = block
                .split('`')
                .enumerate()
                .map(|(i, part)| Span {
                    code: i % 2 == 1,
                    lines: part.split('\n').collect(),
                })
                .collect();
            blocks.push(Block::Paragraph { spans });
        }
    }
    blocks
}

fn evidence_view(ev: &Evidence) -> EvidenceView<'_> {
    EvidenceView {
        method: &ev.request.method,
        url: &ev.request.url,
        status: ev.response.status,
        elapsed_ms: ev.response.elapsed_ms,
        request_headers: headers_text(&ev.request.headers),
        request_body: &ev.request.body,
        response_headers: headers_text(&ev.response.headers),
        response_body: &ev.response.body,
    }
}

fn finding_view<'a>(report: &Report, f: &'a Finding, new: bool) -> FindingView<'a> {
    FindingView {
        id: &f.id,
        severity: f.severity.as_str(),
        title: &f.title,
        summary: &f.summary,
        confidence: f.confidence,
        endpoint: short_endpoint(report, &f.endpoint),
        new,
        details: f
            .details
            .iter()
            .map(|(k, v)| Detail {
                key: k,
                value: match v {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                },
            })
            .collect(),
        evidence: f.evidence.iter().map(evidence_view).collect(),
        remediation: prose(&f.remediation),
    }
}

fn baseline_view<'a>(report: &Report, cmp: &'a Comparison) -> BaselineView<'a> {
    let rows = |change: &'static str, items: &'a [ChangedFinding]| {
        items.iter().map(move |c| ChangeRow {
            change,
            id: &c.id,
            severity: &c.severity,
            endpoint: short_endpoint(report, &c.endpoint),
        })
    };
    BaselineView {
        regressed: cmp.regressed(),
        score_line: cmp.score_line(report.score),
        previous_grade: &cmp.previous_grade,
        previous_started_at: &cmp.previous_started_at,
        previous_target: &cmp.previous_target,
        new: cmp.new.len(),
        fixed: cmp.fixed.len(),
        untested: cmp.untested.len(),
        rows: rows("new", &cmp.new)
            .chain(rows("fixed", &cmp.fixed))
            .chain(rows("not re-checked", &cmp.untested))
            .collect(),
    }
}

impl<'a> Page<'a> {
    fn new(report: &'a Report, baseline: Option<&'a Comparison>) -> Self {
        Page {
            report,
            grade_class: grade_class(&report.grade),
            verdict: verdict(report),
            duration: duration(report.duration_ms),
            categories: report
                .categories
                .iter()
                .map(|c| CategoryRow {
                    id: c.id.as_str(),
                    tested: c.tested,
                    score: c.score.min(100),
                    grade: &c.grade,
                    grade_class: grade_class(&c.grade),
                })
                .collect(),
            baseline: baseline.map(|cmp| baseline_view(report, cmp)),
            severities: SEVERITIES
                .into_iter()
                .map(|sev| SeverityGroup {
                    severity: sev.as_str(),
                    findings: findings_of(report, sev)
                        .map(|f| finding_view(report, f, baseline.is_some_and(|b| b.is_new(f))))
                        .collect(),
                })
                .filter(|g| !g.findings.is_empty())
                .collect(),
            endpoints: report
                .endpoints
                .iter()
                .map(|e| EndpointRow {
                    flow: e.flow.as_str(),
                    method: &e.method,
                    url: &e.url,
                    kind: e.kind.as_str(),
                    username_field: e.username_field.as_deref().unwrap_or("–"),
                    password_field: e.password_field.as_deref().unwrap_or("–"),
                    source: e.source.as_str(),
                    framework: e.framework.display_name(),
                    product: e.product.as_deref(),
                })
                .collect(),
            observations: report
                .observations
                .iter()
                .map(|ob| ObservationRow {
                    kind: &ob.kind,
                    endpoint: short_endpoint(report, &ob.endpoint),
                    summary: &ob.summary,
                })
                .collect(),
            untested_categories: report
                .categories
                .iter()
                .filter(|c| !c.tested)
                .map(|c| c.id.as_str())
                .collect(),
        }
    }
}

/// The page for `report`, compared with `baseline` when given. Fails only if the template
/// does (a bug in it, which the unit tests would show): the error names the template line.
pub fn render(report: &Report, baseline: Option<&Comparison>) -> Result<String, Error> {
    render_with(TEMPLATE_NAME, TEMPLATE, report, baseline)
}

fn render_with(
    name: &'static str,
    source: &'static str,
    report: &Report,
    baseline: Option<&Comparison>,
) -> Result<String, Error> {
    let env = environment(name, source)?;
    let page = Page::new(report, baseline);
    env.get_template(name)?.render(Value::from(Serde(&page)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::baseline::ChangedFinding;
    use crate::report::{Category, Incomplete};

    fn html(r: &Report, baseline: Option<&Comparison>) -> String {
        render(r, baseline).expect("the report template renders")
    }

    fn comparison() -> Comparison {
        let changed = |id: &str| ChangedFinding {
            id: id.into(),
            endpoint: "POST http://127.0.0.1:5000/login".into(),
            severity: "high".into(),
            title: format!("title of {id}"),
        };
        Comparison {
            new: vec![changed("rate-limit.missing")],
            fixed: vec![changed("auth.fixed<&>")],
            untested: vec![changed("auth.untested")],
            score_change: -35, // 100 → 65
            previous_score: 100,
            previous_grade: "A".into(),
            previous_target: "http://127.0.0.1:5000".into(),
            previous_started_at: "2026-11-27T23:00:00Z".into(),
        }
    }

    #[test]
    fn escapes_and_folds() {
        let mut r = super::super::testdata::report();
        r.findings[0].remediation = "a `b<c>`\n\n    code <x>\n    more".into();
        let h = html(&r, None);
        assert!(h.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
        assert!(h.ends_with("</main></body></html>\n"));
        assert!(h.contains("data-grade=\"D\""));
        assert!(!h.contains("<script>"));
        assert!(!h.contains("<b>markup</b>"));
        assert!(h.contains("<details class=\"evidence\">"));
        assert!(!h.contains("http-equiv=\"refresh\""));
        assert!(!h.contains("src=\"http"));
        assert!(h.contains(
            "<details class=\"remediation\" open><summary>Remediation</summary>\n\
             <p>a <code>b&lt;c&gt;</code></p>\n\
             <pre><code>code &lt;x&gt;\nmore</code></pre>\n</details></article>"
        ));
    }

    #[test]
    fn prose_splits_paragraphs_code_spans_and_blocks() {
        let text = "first `a\nb` line\nsecond\n\n\n    x <y>\n\n    z\n\n  \n\nend``";
        assert_eq!(
            prose(text),
            vec![
                Block::Paragraph {
                    spans: vec![
                        Span {
                            code: false,
                            lines: vec!["first "]
                        },
                        Span {
                            code: true,
                            lines: vec!["a", "b"]
                        },
                        Span {
                            code: false,
                            lines: vec![" line", "second"]
                        },
                    ]
                },
                Block::Code {
                    text: "x <y>".into()
                },
                Block::Code { text: "z".into() },
                Block::Paragraph {
                    spans: vec![
                        Span {
                            code: false,
                            lines: vec!["end"]
                        },
                        Span {
                            code: true,
                            lines: vec![""]
                        },
                        Span {
                            code: false,
                            lines: vec![""]
                        },
                    ]
                },
            ]
        );
        let mut r = super::super::testdata::report();
        r.findings[0].remediation = text.into();
        assert!(html(&r, None).contains(
            "<p>first <code>a<br>b</code> line<br>second</p>\n\
             <pre><code>x &lt;y&gt;</code></pre>\n<pre><code>z</code></pre>\n\
             <p>end<code></code></p>\n"
        ));
    }

    #[test]
    fn auto_escaping_is_on() {
        let mut r = super::super::testdata::report();
        r.findings[0].title = "<script>alert(1)</script>".into();
        let h = html(&r, None);
        assert!(
            h.contains("<h4>&lt;script&gt;alert(1)&lt;/script&gt;</h4>"),
            "{h}"
        );
        assert!(!h.contains("<script>"));
        // The escaping comes from the template's auto-escaping (its `.html` name), not from
        // escaping done regardless: the same environment leaves a non-HTML template alone.
        let page = "<b>{{ report.findings[0].title }}</b>";
        let escaped = render_with("probe.html", page, &r, None).unwrap();
        assert_eq!(escaped, "<b>&lt;script&gt;alert(1)&lt;/script&gt;</b>");
        let plain = render_with("probe.txt", page, &r, None).unwrap();
        assert_eq!(plain, "<b><script>alert(1)</script></b>");
    }

    #[test]
    fn hostile_strings_are_escaped_as_before() {
        let mut out = String::new();
        write_escaped(
            &mut out,
            "<a href=\"x\" title='y'>&amp;</a>\u{1}\u{7f}\r\n\t/\u{fffe}\u{ffff}é",
        )
        .unwrap();
        assert_eq!(
            out,
            "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;\n\t/\u{fffe}\u{ffff}é"
        );

        let mut r = super::super::testdata::report();
        let hostile = "\"'><script>alert(1)</script>\u{1}\u{fffe}";
        r.target = format!("http://127.0.0.1:5000/{hostile}");
        r.findings[0].id = hostile.into();
        r.findings[0].details.insert(hostile.into(), hostile.into());
        r.endpoints[0].username_field = Some(hostile.into());
        r.observations[0].kind = hostile.into();
        r.incomplete[0].reason = hostile.into();
        let h = html(&r, Some(&comparison()));
        let shown = "&quot;&#39;&gt;&lt;script&gt;alert(1)&lt;/script&gt;\u{fffe}";
        assert!(h.contains(&format!("data-id=\"{shown}\"")), "{h}");
        assert!(h.contains(&format!("<tr><th>{shown}</th><td>{shown}</td></tr>")));
        assert!(h.contains(&format!("<td>{shown} / password</td>")));
        assert!(h.contains(&format!("<li><strong>{shown}</strong> on")));
        assert!(h.contains(&format!(
            "<title>keyhole report: grade D — http://127.0.0.1:5000/{shown}</title>"
        )));
        assert!(!h.contains("<script>"));
        assert!(!h.contains('\u{1}'));
        // The evidence body: JSON quotes escaped, U+0001 dropped, U+FFFE kept as before.
        assert!(h.contains(
            "{&quot;error&quot;:&quot;User does not exist&quot;}\u{fffe}]]&gt;</pre></details>"
        ));
        assert!(h.contains(
            "<pre>POST http://127.0.0.1:5000/login\ncontent-type: application/json\n\n\
             {&quot;username&quot;:&quot;&lt;script&gt;alert(1)&lt;/script&gt;&quot;,&quot;password&quot;:&quot;x&amp;y&quot;}</pre>"
        ));
    }

    /// Every shape a report can take renders (the template has no path that fails at run
    /// time): with and without a baseline, findings, evidence, details, endpoints, observations
    /// and incomplete checks, and with none of them.
    #[test]
    fn every_report_shape_renders() {
        let full = super::super::testdata::report();
        let cmp = comparison();

        let h = html(&full, Some(&cmp));
        assert!(h.contains("<section id=\"baseline\"><h2>Compared with the baseline</h2>"));
        assert!(h.contains(
            "<p class=\"notice\"><strong>Regression.</strong> Score 100 → 65 (−35) · grade A → D \
             · 1 new · 1 fixed · 1 not re-checked. Baseline from 2026-11-27T23:00:00Z \
             (http://127.0.0.1:5000).</p>"
        ));
        assert!(h.contains("<tr><td>new</td><td><code>rate-limit.missing</code></td><td>high</td><td>POST /login</td></tr>"));
        assert!(h.contains("<tr><td>fixed</td><td><code>auth.fixed&lt;&amp;&gt;</code></td>"));
        assert!(h.contains("<tr><td>not re-checked</td><td><code>auth.untested</code></td>"));
        assert!(h.contains("<code>rate-limit.missing</code><span class=\"new\">new</span></div>"));
        assert!(h.contains("<code>auth.verbose-error</code></div>"));
        assert!(h.contains(
            "<h3 id=\"severity-high\"><span class=\"sev sev-high\">high</span> 1 finding</h3>"
        ));
        assert!(!h.contains("severity-critical"));
        assert!(h.contains("<summary>Evidence (1 request)</summary>"));
        assert!(h.contains(
            "<summary>Exchange 1: POST http://127.0.0.1:5000/login → 404 in 3 ms</summary>"
        ));
        assert!(h.contains("<p class=\"muted\">POST /login · confidence high</p>"));
        assert!(h.contains("<tr><th>attempts</th><td>30</td></tr>"));
        assert!(h.contains(
            "· 2 findings · 41 requests in 2.3 s · started 2026-11-28T23:00:00Z · rubric 1</p>"
        ));
        assert!(h.contains("<tr><td>sign-in</td><td><code>POST http://127.0.0.1:5000/login</code></td><td>form</td><td>username / password</td><td>well-known-path</td><td>Flask</td></tr>"));
        assert!(h.contains("<li><code>auth.user-enumeration.timing</code>: POST http://127.0.0.1:5000/login: a throttle ended the samples</li>"));

        // No regression, and a baseline with nothing changed has no table.
        let same = Comparison {
            new: vec![],
            fixed: vec![],
            untested: vec![],
            score_change: 0,
            ..cmp.clone()
        };
        let h = html(&full, Some(&same));
        assert!(h.contains("<strong>No regression.</strong> Score 100 → 65 (unchanged)"));
        assert!(!h.contains("<th>Change</th>"));

        // Findings without evidence, details or remediation, several evidence exchanges,
        // details that are not strings, a critical finding and fields missing on the surface.
        let mut odd = full.clone();
        odd.findings[0].evidence.clear();
        odd.findings[0].details.clear();
        odd.findings[0].remediation.clear();
        odd.findings[0].severity = crate::report::Severity::Critical;
        let ev = odd.findings[1].evidence[0].clone();
        odd.findings[1].evidence.push(ev);
        odd.findings[1].details.insert("ratio".into(), 0.25.into());
        odd.findings[1]
            .details
            .insert("list".into(), serde_json::json!(["a", 1, null]));
        odd.endpoints[0].username_field = None;
        odd.endpoints[0].password_field = None;
        let h = html(&odd, None);
        assert!(h.contains("<details class=\"remediation\" open><summary>Remediation</summary>\n</details></article>"));
        assert!(h.contains("<summary>Evidence (2 requests)</summary>"));
        assert!(h.contains("<summary>Exchange 2: POST"));
        assert!(h.contains("<tr><th>ratio</th><td>0.25</td></tr>"));
        assert!(h.contains("<tr><th>list</th><td>[&quot;a&quot;,1,null]</td></tr>"));
        assert!(h.contains("<td>– / –</td>"));
        assert!(h.contains("id=\"severity-critical\""));

        // Nothing found, nothing tested.
        let mut empty = full.clone();
        empty.findings.clear();
        empty.endpoints.clear();
        empty.observations.clear();
        empty.incomplete.clear();
        empty.categories = crate::report::score::categories(&[], false);
        empty.score = 0;
        empty.grade = "F".into();
        let h = html(&empty, None);
        assert!(h.contains("<h2>Findings (0)</h2>\n<p>None in the checks that ran.</p>"));
        assert!(h.contains("No sign-in surface was found, so nothing was tested."));
        assert!(h.contains("<p class=\"muted\">No protections were observed.</p>"));
        assert!(h.contains("· 0 findings ·"));
        for c in Category::ALL {
            assert!(h.contains(&format!(
                "<li>Category <strong>{}</strong>: not tested (no sign-in surface) — this is not a pass.</li>",
                c.as_str()
            )));
        }
        assert!(!h.contains("<section id=\"baseline\">"));

        // Everything ran, nothing incomplete.
        let mut done = full.clone();
        done.incomplete.clear();
        assert!(html(&done, None).contains("<p class=\"muted\">Every check ran to a decision.</p>"));
        let mut one = done.clone();
        one.incomplete.push(Incomplete {
            check: "x".into(),
            reason: "y".into(),
        });
        assert!(html(&one, None).contains("<ul>\n<li><code>x</code>: y</li>\n</ul>"));
    }

    #[test]
    fn a_template_error_is_an_error_not_a_panic() {
        let r = super::super::testdata::report();
        let e = render_with("bad.html", "{{ no_such_value }}", &r, None).unwrap_err();
        assert_eq!(e.kind(), minijinja::ErrorKind::UndefinedError);
        let e = render_with("bad.html", "{% if %}", &r, None).unwrap_err();
        assert_eq!(e.kind(), minijinja::ErrorKind::SyntaxError);
    }
}
