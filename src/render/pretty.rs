//! `--format pretty`: the terminal report. (Stub: to be implemented.)

use crate::report::Report;

/// Render for a terminal; `color` turns ANSI colours on.
pub fn render(report: &Report, color: bool) -> String {
    let _ = color;
    format!("keyhole: grade {} ({}/100)\n", report.grade, report.score)
}
