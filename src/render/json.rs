//! `--format json`: exactly one JSON object (schema_version 1).

use crate::report::Report;

pub fn render(report: &Report) -> String {
    let mut s = serde_json::to_string_pretty(report).expect("report serialises");
    s.push('\n');
    s
}
