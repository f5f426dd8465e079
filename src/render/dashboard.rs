//! `keyhole history --format html`: the history store as one self-contained page. Every target
//! with its grade, score, last scan, failed runs and a score-over-time chart; what its last scan
//! found new or fixed; and a section per stored scan with its findings (linked to the scan's own
//! HTML report when the page is written to a file).
//!
//! Like the report page ([`super::html`]): the minijinja template `templates/dashboard.html`
//! with HTML auto-escaping, the same escaper, a Content-Security-Policy of `default-src 'none'`
//! (no script, no request of any kind) and light and dark colours. The charts are inline SVG
//! drawn by plotters from numbers and dates alone; the one text of the target's in a chart (its
//! accessible title) is escaped here before it goes in.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use serde::Serialize;

use super::html::{environment, grade_class, write_escaped};
use super::{findings_of, short_endpoint, SEVERITIES};
use crate::baseline::ChangedFinding;
use crate::history::{short_time, FailedRun, History, Reports, TargetHistory};
use crate::store::StoredScan;

const TEMPLATE_NAME: &str = "dashboard.html";
const TEMPLATE: &str = include_str!("templates/dashboard.html");

/// The chart's drawing size; the page scales it to the column's width (its viewBox). Small
/// enough that its 16 px labels stay readable when a phone halves it.
const CHART_W: u32 = 640;
const CHART_H: u32 = 260;

/// The grade bands of rubric 1 (A ≥ 90, B ≥ 80, C ≥ 70, D ≥ 60, F below) and their colours
/// (the report's badge colours).
const BANDS: [(&str, f64, f64, RGBColor); 5] = [
    ("A", 90.0, 100.0, RGBColor(0x1a, 0x7f, 0x37)),
    ("B", 80.0, 90.0, RGBColor(0x4d, 0x9a, 0x2a)),
    ("C", 70.0, 80.0, RGBColor(0xbf, 0x87, 0x00)),
    ("D", 60.0, 70.0, RGBColor(0xd1, 0x57, 0x0a)),
    ("F", 0.0, 60.0, RGBColor(0xcf, 0x22, 0x2e)),
];
/// Readable on the light and the dark background alike.
const AXIS: RGBColor = RGBColor(0x8c, 0x95, 0x9f);
const LINE: RGBColor = RGBColor(0x21, 0x8b, 0xff);

#[derive(Serialize)]
struct Page<'a> {
    store: &'a str,
    generated_at: &'a str,
    since: Option<&'a str>,
    version: &'static str,
    scans: usize,
    targets: Vec<TargetView<'a>>,
}

#[derive(Serialize)]
struct TargetView<'a> {
    /// `target-1`, `target-2`…: ids of our own (a target URL is no id).
    anchor: String,
    target: &'a str,
    grade: Option<&'a str>,
    grade_class: &'static str,
    score: Option<u32>,
    change: String,
    last_scan: Option<String>,
    scans: Vec<ScanRow<'a>>,
    failed: Vec<FailedView<'a>>,
    /// The chart, an `<svg>` element: drawn from numbers and dates, its title escaped.
    chart: Option<String>,
    changes: Vec<ChangeRow<'a>>,
    /// Scans newest first, each with its findings.
    sections: Vec<ScanSection<'a>>,
}

#[derive(Serialize)]
struct ScanRow<'a> {
    id: &'a str,
    started_at: String,
    score: u32,
    grade: &'a str,
    grade_class: &'static str,
}

#[derive(Serialize)]
struct FailedView<'a> {
    failed_at: String,
    reason: &'a str,
}

#[derive(Serialize)]
struct ChangeRow<'a> {
    change: &'static str,
    id: &'a str,
    severity: &'a str,
    endpoint: String,
}

#[derive(Serialize)]
struct ScanSection<'a> {
    id: &'a str,
    started_at: &'a str,
    score: u32,
    grade: &'a str,
    grade_class: &'static str,
    keyhole_version: &'a str,
    /// Whether the stored report could be read (a scan deleted meanwhile has only its row).
    loaded: bool,
    findings: Vec<FindingRow<'a>>,
    /// The scan's own HTML report, relative to the page.
    report_href: Option<String>,
}

#[derive(Serialize)]
struct FindingRow<'a> {
    id: &'a str,
    severity: &'static str,
    endpoint: String,
    summary: &'a str,
}

/// Seconds since 1970 of an RFC 3339 time.
fn seconds(at: &str) -> Option<f64> {
    chrono::DateTime::parse_from_rfc3339(at)
        .ok()
        .map(|t| t.timestamp() as f64)
}

/// The score-over-time chart of one target's scans, as an `<svg>` element with an accessible
/// name (`role="img"`, `aria-label` and a `<title>`). x is the scan's start time, y the score on
/// 0–100 over the grade bands; a point per scan, joined by a line. `None` without scans.
pub fn chart(scans: &[StoredScan], target: &str) -> Option<String> {
    if scans.is_empty() {
        return None;
    }
    // Times that cannot be read (never written by keyhole) fall back to the scan's place.
    let xs: Vec<Option<f64>> = scans.iter().map(|s| seconds(&s.started_at)).collect();
    let by_time = xs.iter().all(Option::is_some);
    let points: Vec<(f64, f64)> = scans
        .iter()
        .zip(&xs)
        .enumerate()
        .map(|(i, (s, x))| {
            let x = if by_time { x.unwrap_or(0.0) } else { i as f64 };
            (x, f64::from(s.score.min(100)))
        })
        .collect();
    let lo = points.iter().map(|p| p.0).fold(f64::INFINITY, f64::min);
    let hi = points.iter().map(|p| p.0).fold(f64::NEG_INFINITY, f64::max);
    // One scan (or several at one moment) still gets a day's width, with the point in the
    // middle; otherwise a little room at both ends keeps the end points off the frame.
    let min_span = if by_time { 86_400.0 } else { 2.0 };
    let pad = if hi - lo < min_span {
        (min_span - (hi - lo)) / 2.0
    } else {
        (hi - lo) * 0.03
    };
    // The axis counts hours over a few days and days beyond, so that the round numbers
    // plotters puts its labels on are whole hours or whole days.
    let span_secs = hi - lo + 2.0 * pad;
    let unit = match (by_time, span_secs <= 3.0 * 86_400.0) {
        (false, _) => 1.0,
        (true, true) => 3_600.0,
        (true, false) => 86_400.0,
    };
    let points: Vec<(f64, f64)> = points.iter().map(|&(x, y)| (x / unit, y)).collect();
    let (x0, x1) = ((lo - pad) / unit, (hi + pad) / unit);
    let label = |x: &f64| -> String {
        if !by_time {
            return format!("#{}", (*x).round() as i64 + 1);
        }
        let Some(t) = chrono::DateTime::from_timestamp((*x * unit).round() as i64, 0) else {
            return String::new();
        };
        if unit < 86_400.0 {
            t.format("%m-%d %H:%M").to_string()
        } else {
            t.format("%Y-%m-%d").to_string()
        }
    };
    let mut svg = String::new();
    let drawn: Result<(), String> = (|| {
        let root = SVGBackend::with_string(&mut svg, (CHART_W, CHART_H)).into_drawing_area();
        let mut c = ChartBuilder::on(&root)
            .margin(8)
            // Room for the band letters and the last date.
            .margin_right(48)
            .x_label_area_size(30)
            .y_label_area_size(40)
            .build_cartesian_2d(x0..x1, 0f64..100f64)
            .map_err(|e| e.to_string())?;
        let font = ("sans-serif", 16).into_font().color(&AXIS);
        for (_, from, to, colour) in BANDS {
            c.draw_series(std::iter::once(Rectangle::new(
                [(x0, from), (x1, to)],
                colour.mix(0.16).filled(),
            )))
            .map_err(|e| e.to_string())?;
        }
        c.configure_mesh()
            .disable_x_mesh()
            .disable_y_mesh()
            // One scan: its own time in the middle and the day around it.
            .x_labels(if points.len() == 1 { 3 } else { 4 })
            .y_labels(6)
            .x_label_formatter(&label)
            .y_label_formatter(&|y| format!("{y:.0}"))
            .axis_style(AXIS)
            .label_style(font.clone())
            .draw()
            .map_err(|e| e.to_string())?;
        // The band's letter just right of the plot, level with the band's middle.
        let letter = ("sans-serif", 17)
            .into_font()
            .style(FontStyle::Bold)
            .color(&AXIS)
            .pos(Pos::new(HPos::Left, VPos::Center));
        for (g, from, to, _) in BANDS {
            let (px, py) = c.backend_coord(&(x1, (from + to) / 2.0));
            root.draw(&Text::new(g, (px + 8, py), letter.clone()))
                .map_err(|e| e.to_string())?;
        }
        if points.len() > 1 {
            c.draw_series(LineSeries::new(points.clone(), LINE.stroke_width(2)))
                .map_err(|e| e.to_string())?;
        }
        // Fewer, larger points read better; many points get smaller so the line shows.
        let r = if points.len() > 30 { 3 } else { 4 };
        c.draw_series(points.iter().map(|&p| Circle::new(p, r, LINE.filled())))
            .map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
        Ok(())
    })();
    drawn.ok()?;
    let last = scans.last()?;
    let mut title = String::new();
    let _ = write_escaped(
        &mut title,
        &format!(
            "Score over time of {target}: {} scan{}, from {} to {}; last {}/100, grade {}",
            scans.len(),
            if scans.len() == 1 { "" } else { "s" },
            short_time(&scans[0].started_at),
            short_time(&last.started_at),
            last.score,
            last.grade,
        ),
    );
    let open_end = svg.find('>')?;
    let mut out = String::with_capacity(svg.len() + 2 * title.len() + 64);
    out.push_str("<svg role=\"img\" class=\"chart\" aria-label=\"");
    out.push_str(&title);
    out.push('"');
    out.push_str(svg.get(4..open_end)?);
    out.push_str("><title>");
    out.push_str(&title);
    out.push_str("</title>");
    out.push_str(svg.get(open_end + 1..)?.trim());
    Some(out)
}

fn change_rows<'a>(th: &'a TargetHistory) -> Vec<ChangeRow<'a>> {
    let rows = |change: &'static str, items: &'a [ChangedFinding]| {
        items.iter().map(move |c| ChangeRow {
            change,
            id: &c.id,
            severity: &c.severity,
            endpoint: crate::baseline::endpoint_key(&c.endpoint, &th.target),
        })
    };
    rows("new", &th.new)
        .chain(rows("fixed", &th.fixed))
        .chain(rows("not re-checked", &th.untested))
        .collect()
}

fn failed_view(f: &FailedRun) -> FailedView<'_> {
    FailedView {
        failed_at: short_time(&f.failed_at),
        reason: &f.reason,
    }
}

fn target_view<'a>(
    n: usize,
    th: &'a TargetHistory,
    reports: &'a Reports,
    reports_dir: Option<&str>,
) -> TargetView<'a> {
    let last = th.scans.last();
    TargetView {
        anchor: format!("target-{}", n + 1),
        target: &th.target,
        grade: last.map(|s| s.grade.as_str()),
        grade_class: last.map(|s| grade_class(&s.grade)).unwrap_or("grade-none"),
        score: last.map(|s| s.score),
        change: crate::baseline::score_change_label(th.score_change, "±0"),
        last_scan: th.last_scan.as_deref().map(short_time),
        scans: th
            .scans
            .iter()
            .rev()
            .map(|s| ScanRow {
                id: &s.id,
                started_at: short_time(&s.started_at),
                score: s.score,
                grade: &s.grade,
                grade_class: grade_class(&s.grade),
            })
            .collect(),
        failed: th.failed.iter().rev().map(failed_view).collect(),
        chart: chart(&th.scans, &th.target),
        changes: change_rows(th),
        sections: th
            .scans
            .iter()
            .rev()
            .map(|s| {
                let shown = reports.scans.get(&s.id);
                ScanSection {
                    id: &s.id,
                    started_at: &s.started_at,
                    score: s.score,
                    grade: &s.grade,
                    grade_class: grade_class(&s.grade),
                    keyhole_version: &s.keyhole_version,
                    loaded: shown.is_some(),
                    findings: shown
                        .map(|r| {
                            SEVERITIES
                                .into_iter()
                                .flat_map(|sev| findings_of(&r.report, sev))
                                .map(|f| FindingRow {
                                    id: &f.id,
                                    severity: f.severity.as_str(),
                                    endpoint: short_endpoint(&r.report, &f.endpoint),
                                    summary: &f.summary,
                                })
                                .collect()
                        })
                        .unwrap_or_default(),
                    report_href: match (shown, reports_dir) {
                        (Some(_), Some(dir)) => Some(format!("{dir}/{}.html", s.id)),
                        _ => None,
                    },
                }
            })
            .collect(),
    }
}

/// The dashboard page of `history`, made at `generated_at`. `reports` holds the stored report
/// of each scan shown (for its findings); `reports_dir`, when the scans' own reports are
/// written beside the page, is the directory they are in, relative to the page.
pub fn render(
    history: &History,
    reports: &Reports,
    generated_at: &str,
    reports_dir: Option<&str>,
) -> Result<String, minijinja::Error> {
    render_with(
        TEMPLATE_NAME,
        TEMPLATE,
        history,
        reports,
        generated_at,
        reports_dir,
    )
}

fn render_with(
    name: &'static str,
    source: &'static str,
    history: &History,
    reports: &Reports,
    generated_at: &str,
    reports_dir: Option<&str>,
) -> Result<String, minijinja::Error> {
    let env = environment(name, source)?;
    let page = Page {
        store: &history.store,
        generated_at,
        since: history.since.as_deref(),
        version: env!("CARGO_PKG_VERSION"),
        scans: history.targets.iter().map(|t| t.scans.len()).sum(),
        targets: history
            .targets
            .iter()
            .enumerate()
            .map(|(n, th)| target_view(n, th, reports, reports_dir))
            .collect(),
    };
    env.get_template(name)?
        .render(minijinja::Value::from(minijinja::value::Serde(&page)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::ShownScan;

    fn scan(id: &str, target: &str, day: u32, score: u32, grade: &str) -> StoredScan {
        StoredScan {
            id: id.into(),
            target: target.into(),
            started_at: format!("2026-11-{day:02}T10:00:00Z"),
            keyhole_version: "0.1.0".into(),
            score,
            grade: grade.into(),
        }
    }

    fn target(name: &str, scans: Vec<StoredScan>, failed: Vec<FailedRun>) -> TargetHistory {
        TargetHistory {
            target: name.into(),
            last_scan: scans.last().map(|s| s.started_at.clone()),
            last_failure: failed.last().map(|f| f.failed_at.clone()),
            scans,
            failed,
            previous_score: None,
            score_change: None,
            new: vec![],
            fixed: vec![],
            untested: vec![],
        }
    }

    fn history(targets: Vec<TargetHistory>) -> History {
        History {
            store: "sqlite:h.db".into(),
            since: None,
            targets,
        }
    }

    fn page(h: &History, reports: &Reports, dir: Option<&str>) -> String {
        render(h, reports, "2026-12-06T10:00:00Z", dir).expect("the dashboard renders")
    }

    #[test]
    fn a_hostile_target_stays_text_everywhere() {
        let hostile = "http://127.0.0.1:5000/\"'><script>alert(1)</script>";
        let mut th = target(hostile, vec![scan("aa01", hostile, 1, 65, "D")], vec![]);
        th.failed.push(FailedRun {
            id: "f1".into(),
            failed_at: "2026-11-02T10:00:00Z".into(),
            reason: "<b>nope</b>".into(),
        });
        let mut report = crate::render::testdata::report();
        report.target = hostile.into();
        report.findings[0].summary = "<img src=x onerror=alert(1)>".into();
        let mut reports = Reports::default();
        reports.scans.insert(
            "aa01".into(),
            ShownScan {
                id: "aa01".into(),
                report,
                comparison: None,
            },
        );
        let h = page(&history(vec![th]), &reports, Some("d-reports"));
        assert!(!h.contains("<script>"), "{h}");
        assert!(!h.contains("<img"), "{h}");
        assert!(!h.contains("<b>nope"), "{h}");
        let shown = "http://127.0.0.1:5000/&quot;&#39;&gt;&lt;script&gt;alert(1)&lt;/script&gt;";
        assert!(h.contains(&format!("<h2>{shown}</h2>")), "{h}");
        assert!(h.contains(&format!("aria-label=\"Score over time of {shown}: 1 scan")));
        assert!(h.contains(&format!("<title>Score over time of {shown}: 1 scan")));
        assert!(h.contains("&lt;img src=x onerror=alert(1)&gt;"));
        assert!(h.contains("failed 2026-11-02 10:00: &lt;b&gt;nope&lt;/b&gt;"));
        assert!(h.contains("<a href=\"d-reports/aa01.html\">"));
    }

    #[test]
    fn the_page_is_self_contained_and_links_every_scan() {
        let a: Vec<StoredScan> = (1..=28)
            .map(|d| scan(&format!("a{d:02}"), "http://a", d, 40 + d, "F"))
            .collect();
        let h = history(vec![
            target("http://a", a, vec![]),
            target(
                "http://b",
                vec![scan("b01", "http://b", 3, 95, "A")],
                vec![],
            ),
            target(
                "http://c",
                vec![],
                vec![FailedRun {
                    id: "f1".into(),
                    failed_at: "2026-11-05T10:00:00Z".into(),
                    reason: "cannot connect".into(),
                }],
            ),
        ]);
        let p = page(&h, &Reports::default(), None);
        assert!(p.starts_with("<!DOCTYPE html>"));
        assert!(p.contains(
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        ));
        assert!(!p.contains("<script"));
        assert!(!p.contains("src=\"http"));
        assert!(!p.contains("href=\"http"));
        assert_eq!(
            p.matches("<svg ").count(),
            2,
            "a chart per target with scans"
        );
        for id in ["a01", "a28", "b01"] {
            assert!(p.contains(&format!("<a href=\"#scan-{id}\">")), "{id}");
            assert!(p.contains(&format!("id=\"scan-{id}\"")), "{id}");
        }
        // Without --output there are no report files to link to.
        assert!(!p.contains(".html\""));
        assert!(p.contains("sqlite:h.db"));
        assert!(p.contains("2026-12-06T10:00:00Z"));
        assert!(p.contains("No successful scan yet."));
        assert!(p.contains("failed 2026-11-05 10:00: cannot connect"));
    }

    #[test]
    fn charts_read_with_one_scan_and_with_fifty() {
        let one = chart(&[scan("x", "t", 1, 77, "C")], "t").unwrap();
        assert!(one.starts_with("<svg role=\"img\" class=\"chart\" aria-label=\"Score over time of t: 1 scan, from 2026-11-01 10:00 to 2026-11-01 10:00; last 77/100, grade C\""), "{one}");
        assert!(one.contains("viewBox=\"0 0 640 260\""));
        assert!(one.contains("><title>Score over time of t"));
        assert!(one.ends_with("</svg>"));
        assert_eq!(one.matches("<circle").count(), 1);
        assert!(!one.contains("<polyline fill=\"none\" opacity=\"1\" stroke=\"#218BFF\""));
        for band in ["A", "B", "C", "D", "F"] {
            assert!(
                one.contains(&format!(">\n{band}\n</text>")),
                "{band}: {one}"
            );
        }
        let fifty: Vec<StoredScan> = (0..50)
            .map(|i| StoredScan {
                started_at: format!("2026-10-{:02}T{:02}:00:00Z", 1 + i / 2, (i % 2) * 12),
                ..scan(&format!("s{i}"), "t", 1, (i * 2) as u32, "F")
            })
            .collect();
        let svg = chart(&fifty, "t").unwrap();
        assert_eq!(svg.matches("<circle").count(), 50);
        assert!(svg.contains(">\n2026-10-"), "dates on the time axis: {svg}");
        assert!(chart(&[], "t").is_none());
    }
}
