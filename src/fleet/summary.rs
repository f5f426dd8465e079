//! The fleet's summary table on stdout: target, grade, score, change since the previous scan, new
//! and fixed findings; as a terminal table, JSON, or Markdown. It reads only the fleet result.

use comfy_table::Cell;

use super::run::{FleetResult, TargetOutcome};
use crate::render::markdown::esc as md;
use crate::render::pretty::{clean, header_cell, new_table};

/// Formats of the summary (and of `keyhole history`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableFormat {
    Pretty,
    Json,
    Markdown,
}

impl TableFormat {
    pub fn parse(s: &str, command: &str) -> Result<TableFormat, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "pretty" => Ok(TableFormat::Pretty),
            "json" => Ok(TableFormat::Json),
            "markdown" | "md" => Ok(TableFormat::Markdown),
            _ => Err(format!(
                "{command} --format takes pretty, json or markdown, not '{s}'"
            )),
        }
    }
}

fn change(o: &TargetOutcome) -> String {
    if o.error.is_some() {
        return String::new();
    }
    crate::baseline::score_change_label(o.score_change, "±0")
}

/// "rate-limit.missing (POST /login)": findings named briefly, for a table cell.
fn names(target: &str, list: &[crate::baseline::ChangedFinding]) -> String {
    list.iter()
        .map(|f| {
            format!(
                "{} ({})",
                f.id,
                crate::baseline::endpoint_key(&f.endpoint, target)
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn status(o: &TargetOutcome) -> String {
    match (&o.error, &o.gate) {
        (Some(e), _) => format!("error: {e}"),
        (None, Some(g)) => format!("fails: {g}"),
        (None, None) if !o.tested => "nothing tested: no sign-in surface found".into(),
        (None, None) => "ok".into(),
    }
}

pub fn render(result: &FleetResult, format: TableFormat, color: bool) -> String {
    match format {
        TableFormat::Json => {
            let mut s = serde_json::to_string_pretty(result).unwrap_or_else(|_| "{}".into());
            s.push('\n');
            s
        }
        TableFormat::Markdown => markdown(result),
        TableFormat::Pretty => pretty(result, color),
    }
}

fn totals(result: &FleetResult) -> String {
    let n = result.targets.len();
    let errors = result.targets.iter().filter(|t| t.error.is_some()).count();
    let gates = result.targets.iter().filter(|t| t.gate.is_some()).count();
    let new: usize = result.targets.iter().map(|t| t.new.len()).sum();
    let fixed: usize = result.targets.iter().map(|t| t.fixed.len()).sum();
    format!(
        "{n} target{}, {} stored in {}; {new} new and {fixed} fixed finding{}; {gates} failing a gate, {errors} not scanned; {} wall, {} of scans",
        if n == 1 { "" } else { "s" },
        n - errors,
        result.store,
        if new + fixed == 1 { "" } else { "s" },
        crate::render::duration(result.wall_ms),
        crate::render::duration(result.scans_ms),
    )
}

fn pretty(result: &FleetResult, color: bool) -> String {
    let mut t = new_table(color);
    t.set_header(
        [
            "Target", "Grade", "Score", "Change", "New", "Fixed", "Status",
        ]
        .map(|h| header_cell(h, color)),
    );
    for o in &result.targets {
        let score = o.score.map(|s| s.to_string()).unwrap_or_default();
        t.add_row(vec![
            Cell::new(clean(&o.target, false)),
            Cell::new(o.grade.as_deref().unwrap_or("-")),
            Cell::new(score),
            Cell::new(change(o)),
            Cell::new(clean(&names(&o.target, &o.new), false)),
            Cell::new(clean(&names(&o.target, &o.fixed), false)),
            Cell::new(clean(&status(o), false)),
        ]);
    }
    t.set_content_arrangement(comfy_table::ContentArrangement::Dynamic);
    t.set_width(140);
    format!("{t}\n{}\n", totals(result))
}

fn markdown(result: &FleetResult) -> String {
    let mut out = String::from("## keyhole fleet\n\n");
    out.push_str("| Target | Grade | Score | Change | New | Fixed | Status |\n");
    out.push_str("|---|---|---:|---|---|---|---|\n");
    for o in &result.targets {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} |\n",
            md(&o.target),
            md(o.grade.as_deref().unwrap_or("-")),
            o.score.map(|s| s.to_string()).unwrap_or_default(),
            md(&change(o)),
            md(&names(&o.target, &o.new)),
            md(&names(&o.target, &o.fixed)),
            md(&status(o)),
        ));
    }
    out.push_str(&format!("\n{}\n", md(&totals(result))));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::baseline::ChangedFinding;

    fn result() -> FleetResult {
        let finding = ChangedFinding {
            id: "rate-limit.missing".into(),
            endpoint: "POST http://127.0.0.1:5000/login".into(),
            severity: "high".into(),
            title: "No throttle".into(),
        };
        let ok = TargetOutcome {
            target: "http://127.0.0.1:5000".into(),
            scan_id: Some("0123456789abcdef".into()),
            grade: Some("D".into()),
            score: Some(65),
            tested: true,
            previous_score: Some(90),
            score_change: Some(-25),
            new: vec![finding],
            fixed: vec![],
            gate: Some("grade D (65/100) is below --fail-under".into()),
            error: None,
            started_ms: 0,
            duration_ms: 1200,
        };
        let bad = TargetOutcome {
            started_ms: 3,
            ..TargetOutcome::failed("http://127.0.0.1:5001|<x>", "connection refused".into(), 5)
        };
        FleetResult {
            store: "sqlite:keyhole.db".into(),
            targets: vec![ok, bad],
            wall_ms: 1300,
            scans_ms: 1205,
        }
    }

    #[test]
    fn the_three_formats_carry_the_same_rows() {
        let r = result();
        let pretty = render(&r, TableFormat::Pretty, false);
        assert!(pretty.contains("−25"), "{pretty}");
        assert!(
            pretty.contains("rate-limit.missing (POST /login)"),
            "{pretty}"
        );
        assert!(pretty.contains("error: connection refused"), "{pretty}");
        assert!(pretty.contains("2 targets, 1 stored"), "{pretty}");
        let md = render(&r, TableFormat::Markdown, false);
        assert_eq!(md.lines().filter(|l| l.starts_with("| http")).count(), 2);
        assert!(md.contains("5001\\|&lt;x&gt;"), "{md}");
        let json: serde_json::Value =
            serde_json::from_str(&render(&r, TableFormat::Json, false)).unwrap();
        assert_eq!(json["targets"][0]["score_change"], -25);
        assert_eq!(json["targets"][0]["new"][0]["id"], "rate-limit.missing");
        assert_eq!(json["targets"][1]["error"], "connection refused");
        assert_eq!(r.exit_code(), crate::exit::EXIT_ERROR);
    }

    #[test]
    fn formats_parse() {
        assert_eq!(TableFormat::parse("md", "fleet"), Ok(TableFormat::Markdown));
        assert!(TableFormat::parse("sarif", "fleet")
            .unwrap_err()
            .contains("pretty, json or markdown"));
    }
}
