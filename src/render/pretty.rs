//! `--format pretty`: the terminal report.
//!
//! Order: grade and score, run facts, category table, findings by severity (critical first)
//! with evidence and remediation, sign-in surfaces, observations, what was not tested.
//! Everything that came from the target (bodies, URLs, titles built from them) is cleaned of
//! control characters, so a hostile server cannot write escape sequences to the terminal, and
//! colours appear only when `color` is true.

use comfy_table::{presets, Attribute, Cell, CellAlignment, Color, Table};

use crate::report::{Confidence, Evidence, Finding, Report, Severity};

/// Width prose is wrapped to.
const WIDTH: usize = 100;
/// Characters of a response body shown in a finding's evidence line.
const BODY_EXCERPT: usize = 200;
/// Characters of a request body shown in a finding's evidence line.
const REQUEST_EXCERPT: usize = 100;

const SEVERITIES: [Severity; 4] = [
    Severity::Critical,
    Severity::High,
    Severity::Medium,
    Severity::Low,
];

/// ANSI styling that is a no-op when colours are off.
#[derive(Clone, Copy)]
struct Paint {
    on: bool,
}

impl Paint {
    fn wrap(self, text: &str, sgr: &str) -> String {
        if self.on && !text.is_empty() {
            format!("\x1b[{sgr}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
    fn bold(self, t: &str) -> String {
        self.wrap(t, "1")
    }
    fn dim(self, t: &str) -> String {
        self.wrap(t, "2")
    }
    fn heading(self, t: &str) -> String {
        self.wrap(t, "1;4")
    }
    fn grade(self, t: &str, grade: &str) -> String {
        self.wrap(t, grade_sgr(grade))
    }
    fn severity(self, t: &str, sev: Severity) -> String {
        self.wrap(t, severity_sgr(sev))
    }
}

fn grade_sgr(grade: &str) -> &'static str {
    match grade {
        "A" => "1;92",
        "B" => "1;32",
        "C" => "1;33",
        "D" => "1;91",
        "F" => "1;31",
        _ => "1",
    }
}

fn grade_color(grade: &str) -> Color {
    match grade {
        "A" => Color::Green,
        "B" => Color::DarkGreen,
        "C" => Color::Yellow,
        "D" => Color::Red,
        "F" => Color::DarkRed,
        _ => Color::Reset,
    }
}

fn severity_sgr(sev: Severity) -> &'static str {
    match sev {
        Severity::Critical => "1;97;41",
        Severity::High => "1;31",
        Severity::Medium => "1;33",
        Severity::Low => "1;36",
    }
}

/// Text from the report, safe to print: control characters (escape sequences included) are
/// dropped, tabs become spaces; newlines are kept only when `keep_newlines`.
pub(crate) fn clean(s: &str, keep_newlines: bool) -> String {
    s.chars()
        .filter_map(|c| match c {
            '\n' if keep_newlines => Some('\n'),
            '\n' | '\r' | '\t' => Some(' '),
            c if c.is_control() => None,
            // Bidi overrides could reorder what the reader sees.
            '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => None,
            c => Some(c),
        })
        .collect()
}

/// One line of at most `max` characters, whitespace collapsed, "…" when cut.
fn excerpt(s: &str, max: usize) -> String {
    let one_line = clean(s, false)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if one_line.chars().count() <= max {
        one_line
    } else {
        let mut cut: String = one_line.chars().take(max).collect();
        cut.push('…');
        cut
    }
}

/// Wrap prose to `width` columns with `indent` in front of every line. Lines that start with
/// whitespace (code in remediation texts) are kept as they are, only indented.
fn wrap(text: &str, indent: usize, width: usize) -> String {
    let pad = " ".repeat(indent);
    let avail = width.saturating_sub(indent).max(20);
    let mut out = String::new();
    for line in clean(text, true).lines() {
        if line.trim().is_empty() {
            out.push('\n');
            continue;
        }
        if line.starts_with(' ') {
            out.push_str(&pad);
            out.push_str(line.trim_end());
            out.push('\n');
            continue;
        }
        let mut current = String::new();
        let mut len = 0;
        for word in line.split_whitespace() {
            let w = word.chars().count();
            if len > 0 && len + 1 + w > avail {
                out.push_str(&pad);
                out.push_str(&current);
                out.push('\n');
                current.clear();
                len = 0;
            }
            if len > 0 {
                current.push(' ');
                len += 1;
            }
            current.push_str(word);
            len += w;
        }
        if !current.is_empty() {
            out.push_str(&pad);
            out.push_str(&current);
            out.push('\n');
        }
    }
    out
}

fn duration(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else if ms < 60_000 {
        format!("{:.1} s", ms as f64 / 1000.0)
    } else {
        format!("{} min {:02} s", ms / 60_000, (ms % 60_000) / 1000)
    }
}

fn verdict(report: &Report) -> &'static str {
    if report.endpoints.is_empty() {
        return "nothing tested: no sign-in surface found";
    }
    match report.grade.as_str() {
        "A" => "no significant spraying exposure found",
        "B" => "minor exposure",
        "C" => "moderate exposure",
        "D" => "serious exposure",
        "F" => "severe exposure: password spraying is practical",
        _ => "exposure graded",
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

pub(crate) fn new_table(color: bool) -> Table {
    let mut t = Table::new();
    t.load_preset(presets::UTF8_FULL_CONDENSED);
    if color {
        t.enforce_styling();
    } else {
        t.force_no_tty();
    }
    t
}

pub(crate) fn header_cell(text: &str, color: bool) -> Cell {
    let c = Cell::new(text);
    if color {
        c.add_attribute(Attribute::Bold)
    } else {
        c
    }
}

/// Render for a terminal; `color` turns ANSI colours on.
pub fn render(report: &Report, color: bool) -> String {
    let p = Paint { on: color };
    let mut out = String::new();
    let grade = clean(&report.grade, false);

    // 1. Grade and score, big.
    let badge = format!("  GRADE {grade}  ");
    let bar = "─".repeat(badge.chars().count());
    out.push_str(&p.grade(&format!("╭{bar}╮"), &grade));
    out.push('\n');
    out.push_str(&p.grade(&format!("│{badge}│"), &grade));
    out.push_str("  ");
    out.push_str(&p.bold(&format!("{}/100", report.score)));
    out.push_str("  ");
    out.push_str(&p.dim(verdict(report)));
    out.push('\n');
    out.push_str(&p.grade(&format!("╰{bar}╯"), &grade));
    out.push('\n');

    let mut counts = Vec::new();
    for sev in SEVERITIES {
        let n = report.findings.iter().filter(|f| f.severity == sev).count();
        if n > 0 {
            counts.push(p.severity(&format!("{n} {}", sev.as_str()), sev));
        }
    }
    let findings_line = if counts.is_empty() {
        "none".to_string()
    } else {
        format!("{} ({})", report.findings.len(), counts.join(", "))
    };

    // 2. Run facts.
    out.push('\n');
    let facts = [
        ("Target", clean(&report.target, false)),
        ("Started", clean(&report.started_at, false)),
        ("Duration", duration(report.duration_ms)),
        ("Requests", report.stats.requests.to_string()),
        ("Findings", findings_line),
        (
            "Tool",
            format!(
                "{} {}, rubric {}",
                clean(&report.tool.name, false),
                clean(&report.tool.version, false),
                clean(&report.rubric, false)
            ),
        ),
    ];
    for (label, value) in facts {
        out.push_str(&format!("  {}  {value}\n", p.dim(&format!("{label:<9}"))));
    }

    // 3. Categories.
    out.push('\n');
    out.push_str(&p.heading("Categories"));
    out.push('\n');
    let mut table = new_table(color);
    table.set_header(vec![
        header_cell("Category", color),
        header_cell("Score", color),
        header_cell("Grade", color),
        header_cell("Tested", color),
    ]);
    for cat in &report.categories {
        let g = clean(&cat.grade, false);
        let (score, grade_cell, tested) = if cat.tested {
            let mut gc = Cell::new(&g).set_alignment(CellAlignment::Center);
            if color {
                gc = gc.fg(grade_color(&g)).add_attribute(Attribute::Bold);
            }
            (cat.score.to_string(), gc, "yes".to_string())
        } else {
            (
                "-".to_string(),
                Cell::new("-").set_alignment(CellAlignment::Center),
                "no (nothing to test)".to_string(),
            )
        };
        table.add_row(vec![
            Cell::new(cat.id.as_str()),
            Cell::new(score).set_alignment(CellAlignment::Right),
            grade_cell,
            Cell::new(tested),
        ]);
    }
    for line in table.to_string().lines() {
        out.push_str("  ");
        out.push_str(line);
        out.push('\n');
    }

    // 4. Findings, critical first.
    out.push('\n');
    out.push_str(&p.heading(&format!("Findings ({})", report.findings.len())));
    out.push('\n');
    if report.findings.is_empty() {
        out.push('\n');
        if report.endpoints.is_empty() {
            out.push_str("  None, because nothing could be tested (see below).\n");
        } else {
            out.push_str("  None. No check found an exposure on the sign-in surfaces tested.\n");
        }
    }
    for sev in SEVERITIES {
        let group: Vec<&Finding> = report
            .findings
            .iter()
            .filter(|f| f.severity == sev)
            .collect();
        if group.is_empty() {
            continue;
        }
        out.push('\n');
        let name = sev.as_str().to_uppercase();
        let label = if color { format!(" {name} ") } else { name };
        out.push_str(&format!("{} ({})\n", p.severity(&label, sev), group.len()));
        for f in group {
            out.push('\n');
            render_finding(&mut out, f, p);
        }
    }

    // 5. Endpoints: sign-ins, and the reset and registration endpoints.
    out.push('\n');
    out.push_str(&p.heading(&format!("Endpoints ({})", report.endpoints.len())));
    out.push('\n');
    if report.endpoints.is_empty() {
        out.push('\n');
        out.push_str(&wrap(
            &format!(
                "No sign-in surface was found at {}. The rate-limiting and authentication checks \
                 were not applicable, so nothing was tested: the score above is not a pass. If \
                 the API has a sign-in endpoint keyhole did not discover, name it with --endpoint \
                 PATH.",
                clean(&report.target, false)
            ),
            2,
            WIDTH,
        ));
    } else {
        // URLs are kept whole (no wrapping inside a cell): they are copied from here.
        let mut table = new_table(color);
        table.set_header(vec![
            header_cell("Flow", color),
            header_cell("Method", color),
            header_cell("URL", color),
            header_cell("Kind", color),
            header_cell("Fields", color),
            header_cell("Source", color),
            header_cell("Product/framework", color),
        ]);
        for e in &report.endpoints {
            let fields = match (&e.username_field, &e.password_field) {
                (Some(u), Some(pw)) => format!("{} / {}", clean(u, false), clean(pw, false)),
                (None, Some(pw)) => format!("- / {}", clean(pw, false)),
                (Some(u), None) => format!("{} / -", clean(u, false)),
                (None, None) => "-".to_string(),
            };
            table.add_row(vec![
                Cell::new(e.flow.as_str()),
                Cell::new(clean(&e.method, false)),
                Cell::new(clean(&e.url, false)),
                Cell::new(e.kind.as_str()),
                Cell::new(fields),
                Cell::new(e.source.as_str()),
                Cell::new(match &e.product {
                    Some(p) => format!("{} ({})", clean(p, false), e.framework.as_str()),
                    None => e.framework.as_str().to_string(),
                }),
            ]);
        }
        for line in table.to_string().lines() {
            out.push_str("  ");
            out.push_str(line);
            out.push('\n');
        }
    }

    // 6. Observations.
    if !report.observations.is_empty() {
        out.push('\n');
        out.push_str(&p.heading(&format!("Observations ({})", report.observations.len())));
        out.push('\n');
        for o in &report.observations {
            out.push_str(&format!(
                "  - {} {}\n",
                p.bold(&format!("[{}]", clean(&o.kind, false))),
                clean(&o.endpoint, false)
            ));
            out.push_str(&wrap(&o.summary, 6, WIDTH));
        }
    }

    // 7. What was not tested or not finished.
    if !report.incomplete.is_empty() {
        out.push('\n');
        out.push_str(&p.heading(&format!(
            "Not tested / incomplete ({})",
            report.incomplete.len()
        )));
        out.push('\n');
        for i in &report.incomplete {
            out.push_str(&format!("  - {}\n", p.bold(&clean(&i.check, false))));
            out.push_str(&wrap(&i.reason, 6, WIDTH));
        }
    }

    out.push('\n');
    out.push_str(&p.dim(&format!(
        "Rubric {}: each category starts at 100; critical -45, high -25, medium -10, low -3.",
        clean(&report.rubric, false)
    )));
    out.push('\n');
    out.push_str(&p.dim("Full evidence and details: --format json."));
    out.push('\n');
    out
}

fn render_finding(out: &mut String, f: &Finding, p: Paint) {
    let marker = p.severity("●", f.severity);
    out.push_str(&format!(
        "  {marker} {}  {}\n",
        p.bold(&clean(&f.id, false)),
        clean(&f.title, false)
    ));
    let confidence = match f.confidence {
        Confidence::High => "high",
        Confidence::Medium => "medium",
        Confidence::Low => "low",
    };
    out.push_str(&format!(
        "    {}  {}\n",
        clean(&f.endpoint, false),
        p.dim(&format!("(confidence {confidence})"))
    ));
    if !f.summary.trim().is_empty() {
        out.push_str(&wrap(&f.summary, 4, WIDTH));
    }
    if let Some(ev) = f.evidence.first() {
        out.push_str(&format!("    {}\n", p.bold("Evidence")));
        out.push_str(&evidence_lines(ev, f.evidence.len(), p));
    }
    if !f.remediation.trim().is_empty() {
        out.push_str(&format!("    {}\n", p.bold("Remediation")));
        out.push_str(&wrap(&f.remediation, 6, WIDTH));
    }
}

fn evidence_lines(ev: &Evidence, total: usize, p: Paint) -> String {
    let mut s = String::new();
    let mut request = format!(
        "{} {}",
        excerpt(&ev.request.method, 16),
        excerpt(&ev.request.url, 160)
    );
    if !ev.request.body.trim().is_empty() {
        request.push_str("  ");
        request.push_str(&excerpt(&ev.request.body, REQUEST_EXCERPT));
    }
    s.push_str(&format!("      {} {request}\n", p.dim(">")));
    let mut response = format!(
        "{} {} in {}",
        p.bold(&ev.response.status.to_string()),
        status_text(ev.response.status),
        duration(ev.response.elapsed_ms)
    );
    let retry_after = ev
        .response
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("retry-after"))
        .map(|(_, v)| excerpt(v, 40));
    if let Some(r) = retry_after {
        response.push_str(&format!(", Retry-After {r}"));
    }
    if !ev.response.body.trim().is_empty() {
        response.push_str(": ");
        response.push_str(&excerpt(&ev.response.body, BODY_EXCERPT));
    }
    s.push_str(&format!("      {} {response}\n", p.dim("<")));
    if total > 1 {
        s.push_str(&format!(
            "      {}\n",
            p.dim(&format!(
                "(+{} in the JSON report)",
                plural(total - 1, "more exchange", "more exchanges")
            ))
        ));
    }
    s
}

fn status_text(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        302 => "Found",
        303 => "See Other",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        422 => "Unprocessable Content",
        423 => "Locked",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{
        Category, CategoryScore, EndpointReport, EvidenceRequest, EvidenceResponse, Framework,
        Incomplete, Observation, Stats, SurfaceKind, SurfaceSource, Tool,
    };
    use std::collections::BTreeMap;

    fn finding(id: &str, sev: Severity, cat: Category) -> Finding {
        let mut headers = BTreeMap::new();
        headers.insert("content-type".to_string(), "application/json".to_string());
        Finding {
            id: id.into(),
            severity: sev,
            category: cat,
            endpoint: "POST http://127.0.0.1:5000/api/v1/auth/login".into(),
            title: format!("title of {id}"),
            summary: format!("summary of {id}"),
            remediation: format!(
                "Fix {id} like this, a paragraph long enough to wrap around the edge of a \
                 terminal when it is printed by the pretty renderer.\n\n    code_line(1)"
            ),
            confidence: Confidence::High,
            evidence: vec![Evidence {
                request: EvidenceRequest {
                    method: "POST".into(),
                    url: "http://127.0.0.1:5000/api/v1/auth/login".into(),
                    headers: BTreeMap::new(),
                    body: r#"{"username":"admin","password":"xxxxxxxxxxxxxxxx"}"#.into(),
                },
                response: EvidenceResponse {
                    status: 404,
                    headers,
                    body: format!("{{\"error\":\"User does not exist\"}}{}", "x".repeat(500)),
                    elapsed_ms: 3,
                },
            }],
            details: Default::default(),
        }
    }

    fn report() -> Report {
        Report {
            schema_version: 1,
            tool: Tool {
                name: "keyhole".into(),
                version: "0.1.0".into(),
            },
            target: "http://127.0.0.1:5000".into(),
            started_at: "2026-11-28T23:00:00Z".into(),
            duration_ms: 2310,
            score: 55,
            grade: "F".into(),
            rubric: "1".into(),
            categories: vec![
                CategoryScore {
                    id: Category::RateLimiting,
                    score: 75,
                    grade: "C".into(),
                    tested: true,
                },
                CategoryScore {
                    id: Category::Authentication,
                    score: 80,
                    grade: "B".into(),
                    tested: true,
                },
            ],
            endpoints: vec![EndpointReport {
                product: None,
                method: "POST".into(),
                url: "http://127.0.0.1:5000/api/v1/auth/login".into(),
                kind: SurfaceKind::Json,
                username_field: Some("username".into()),
                password_field: Some("password".into()),
                source: SurfaceSource::OpenApi,
                framework: Framework::Unknown,
                flow: crate::report::Flow::SignIn,
                operation: None,
                http: None,
            }],
            // Deliberately out of severity order.
            findings: vec![
                finding(
                    "auth.verbose-error",
                    Severity::Medium,
                    Category::Authentication,
                ),
                finding("rate-limit.missing", Severity::High, Category::RateLimiting),
                finding(
                    "rate-limit.no-retry-after",
                    Severity::Low,
                    Category::RateLimiting,
                ),
                finding(
                    "auth.debug-exposure",
                    Severity::Critical,
                    Category::Authentication,
                ),
            ],
            observations: vec![Observation {
                endpoint: "POST http://127.0.0.1:5000/api/v1/auth/login".into(),
                kind: "throttle".into(),
                summary: "429 after 5 attempts, Retry-After 60".into(),
            }],
            incomplete: vec![Incomplete {
                check: "auth.user-enumeration.timing".into(),
                reason: "the deadline passed".into(),
            }],
            stats: Stats {
                requests: 41,
                duration_ms: 2310,
                max_in_flight: 8,
                guessed_attempts: Default::default(),
            },
        }
    }

    fn pos(hay: &str, needle: &str) -> usize {
        hay.find(needle)
            .unwrap_or_else(|| panic!("{needle:?} not in output:\n{hay}"))
    }

    #[test]
    fn grade_comes_first() {
        let out = render(&report(), false);
        let first = out.lines().find(|l| l.contains("GRADE")).unwrap_or("");
        assert!(first.contains("GRADE F"), "{out}");
        assert!(first.contains("55/100"));
        let grade = pos(&out, "GRADE F");
        assert!(grade < pos(&out, "Target"));
        assert!(grade < pos(&out, "Categories"));
        assert!(grade < pos(&out, "rate-limit.missing"));
        assert!(out.lines().take(3).any(|l| l.contains("GRADE F")));
    }

    #[test]
    fn facts_and_categories_are_shown() {
        let out = render(&report(), false);
        assert!(out.contains("http://127.0.0.1:5000"));
        assert!(out.contains("2.3 s"));
        assert!(out.contains("41"));
        assert!(out.contains("rate-limiting") && out.contains("authentication"));
        assert!(pos(&out, "Categories") < pos(&out, "Findings (4)"));
    }

    #[test]
    fn findings_are_ordered_by_severity() {
        let out = render(&report(), false);
        let crit = pos(&out, "auth.debug-exposure");
        let high = pos(&out, "rate-limit.missing");
        let med = pos(&out, "auth.verbose-error");
        let low = pos(&out, "rate-limit.no-retry-after");
        assert!(crit < high && high < med && med < low, "{out}");
        assert!(pos(&out, "CRITICAL") < pos(&out, "HIGH"));
        assert!(pos(&out, "MEDIUM") < pos(&out, "LOW"));
        // Surfaces, observations and incomplete come after the findings.
        assert!(low < pos(&out, "Endpoints (1)"));
        assert!(pos(&out, "Endpoints (1)") < pos(&out, "Observations"));
        assert!(pos(&out, "Observations") < pos(&out, "Not tested / incomplete"));
    }

    #[test]
    fn finding_shows_evidence_excerpt_and_full_remediation() {
        let out = render(&report(), false);
        assert!(out.contains("> POST http://127.0.0.1:5000/api/v1/auth/login"));
        assert!(out.contains("< 404 Not Found in 3 ms: {\"error\":\"User does not exist\"}"));
        // The body is cut to about 200 characters.
        assert!(!out.contains(&"x".repeat(300)));
        assert!(out.contains('…'));
        assert!(out.contains("code_line(1)"));
        assert!(out.contains("terminal when it is printed by the pretty renderer."));
        // Prose fits the width; evidence lines (one long line each, by design) and tables
        // (URLs are kept whole) may not.
        assert!(
            out.lines()
                .filter(|l| !l.starts_with("      >") && !l.starts_with("      <"))
                .filter(|l| !l.trim_start().starts_with(['┌', '│', '╞', '├', '└']))
                .all(|l| l.chars().count() <= WIDTH + 2),
            "{out}"
        );
        assert!(out.contains("username / password"));
        assert!(out.contains("openapi"));
        assert!(out.contains("429 after 5 attempts, Retry-After 60"));
        assert!(out.contains("the deadline passed"));
    }

    #[test]
    fn no_ansi_without_color() {
        let mut r = report();
        // Hostile content from the target must not reach the terminal as escapes either.
        r.findings[0].evidence[0].response.body = "\x1b[2J\x1b]0;owned\x07boom".into();
        r.findings[0].title = "evil\x1b[31m title".into();
        let out = render(&r, false);
        assert!(!out.contains('\x1b'), "{out:?}");
        assert!(!out.contains('\x07'));
        assert!(out.contains("boom"));
        let colored = render(&r, true);
        assert!(colored.contains("\x1b["));
        assert!(!colored.contains("\x1b[2J") && !colored.contains("\x1b]0;"));
    }

    #[test]
    fn no_surface_is_said_plainly() {
        let mut r = report();
        r.endpoints.clear();
        r.findings.clear();
        r.observations.clear();
        r.score = 100;
        r.grade = "A".into();
        for c in &mut r.categories {
            c.tested = false;
            c.score = 100;
            c.grade = "A".into();
        }
        let out = render(&r, false);
        assert!(out.contains("No sign-in surface was found"), "{out}");
        assert!(out.contains("not applicable"));
        assert!(out.contains("not a pass"));
        assert!(out.contains("nothing tested"));
        assert!(out.contains("no (nothing to test)"));
        assert!(out.contains("Findings (0)"));
    }

    #[test]
    fn clean_report_says_none() {
        let mut r = report();
        r.findings.clear();
        r.incomplete.clear();
        r.score = 100;
        r.grade = "A".into();
        let out = render(&r, true);
        assert!(out.contains("None. No check found an exposure"));
        assert!(!out.contains("Not tested / incomplete"));
    }

    #[test]
    fn helpers() {
        assert_eq!(excerpt("a\n  b\tc", 10), "a b c");
        assert_eq!(excerpt("éééé", 2), "éé…");
        assert_eq!(duration(850), "850 ms");
        assert_eq!(duration(61_500), "1 min 01 s");
        let w = wrap("word ".repeat(50).trim(), 4, 40);
        assert!(w.lines().all(|l| l.len() <= 40 && l.starts_with("    ")));
        assert_eq!(wrap("    code  x", 2, 40), "      code  x\n");
    }
}
