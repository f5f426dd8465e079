//! The history dashboard (`keyhole history --format html --output FILE`) opened in headless
//! Chromium: two targets, one with a single scan and one with fifty (written straight into a
//! SQLite store), screenshots at desktop and phone widths in light and dark colours, and the
//! DOM checked for both targets, a chart per target and no sideways scrolling on a phone.
//! Skipped, with a message saying so, only when no Chromium is installed (set
//! KEYHOLE_REQUIRE_CHROMIUM=1 to make its absence a failure). The screenshots are also copied
//! to /work/shots/ for people to look at.

mod ci_support;

use std::path::Path;

use ci_support::chromium::{chromium_or_skip, png_size, run_chromium, top_left_rgb};
use ci_support::*;
use keyhole::report::Report;
use keyhole::store::{Store, StoreUrl};

const ONE: &str = "http://127.0.0.1:5000";
const MANY: &str = "http://127.0.0.1:6000";

/// One scan of ONE, fifty of MANY (two a day, scores wandering up), and a failed run of MANY.
fn fill(url: &StoreUrl, report: &Report) {
    runtime().block_on(async {
        let store = Store::open(url, true).await.unwrap();
        let mut r = report.clone();
        r.target = ONE.into();
        r.started_at = "2026-11-20T09:30:00Z".into();
        store.save(&r, None).await.unwrap();
        for i in 0..50u32 {
            let mut r = report.clone();
            r.target = MANY.into();
            r.started_at = format!("2026-10-{:02}T{:02}:00:00Z", 1 + i / 2, 6 + (i % 2) * 12);
            r.score = (30 + i + (i % 5) * 4).min(100);
            r.grade = match r.score {
                90.. => "A",
                80..=89 => "B",
                70..=79 => "C",
                60..=69 => "D",
                _ => "F",
            }
            .into();
            // Every third scan found one thing less: new and fixed findings along the way.
            if i % 3 == 0 && !r.findings.is_empty() {
                r.findings.remove(0);
            }
            store.save(&r, None).await.unwrap();
        }
        store
            .record_failure(
                MANY,
                "http://127.0.0.1:6000/ is unreachable: could not connect",
                None,
            )
            .await
            .unwrap();
        store.close().await;
    });
}

fn screenshot(
    bin: &Path,
    dir: &Path,
    name: &str,
    size: (u32, u32),
    dark: bool,
    url: &str,
) -> Vec<u8> {
    let shot = dir.join(format!("{name}.png"));
    let mut args = vec![
        format!("--screenshot={}", shot.display()),
        format!("--window-size={},{}", size.0, size.1),
    ];
    if dark {
        // Makes prefers-color-scheme dark in headless Chromium (checked below by the pixels).
        args.push("--force-dark-mode".into());
    }
    args.push(url.into());
    let o = run_chromium(bin, &dir.join(format!("profile-{name}")), &args);
    let bytes = std::fs::read(&shot).unwrap_or_else(|e| {
        panic!(
            "no screenshot {name} ({e}); chromium said: {}",
            String::from_utf8_lossy(&o.stderr)
        )
    });
    assert_eq!(png_size(&bytes), Some(size), "{name}");
    // A blank page compresses to a few KiB; a rendered dashboard is far larger.
    assert!(bytes.len() > 20_000, "{name} is {} bytes", bytes.len());
    if std::fs::create_dir_all("/work/shots").is_ok() {
        let _ = std::fs::copy(&shot, format!("/work/shots/dashboard-{name}.png"));
    }
    bytes
}

/// `keyhole history --store STORE --format html --output DIR/NAME.html`; the page's path.
fn write_dashboard(dir: &Path, store: &str, name: &str) -> std::path::PathBuf {
    let page = dir.join(format!("{name}.html"));
    let o = keyhole_in(
        dir,
        &[
            "history",
            "--store",
            store,
            "--format",
            "html",
            "--output",
            page.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    page
}

#[test]
fn history_dashboard_renders_in_headless_chromium() {
    let Some(bin) = chromium_or_skip("history_dashboard_renders_in_headless_chromium") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let report: Report = serde_json::from_value(scan_json(false, dir.path())).unwrap();
    let db = dir.path().join("h.db");
    fill(&StoreUrl::Sqlite(db.clone()), &report);
    let store = format!("sqlite:{}", db.display());
    let page = write_dashboard(dir.path(), &store, "dash");
    let html = std::fs::read_to_string(&page).unwrap();
    // Each scan's own report beside the page, linked relatively.
    let reports: Vec<_> = std::fs::read_dir(dir.path().join("dash-reports"))
        .unwrap()
        .collect();
    assert_eq!(reports.len(), 51);
    assert_eq!(html.matches("<a href=\"dash-reports/").count(), 51);
    let url = format!("file://{}", page.display());

    let light_desk = screenshot(&bin, dir.path(), "desktop", (1280, 2000), false, &url);
    let dark_desk = screenshot(&bin, dir.path(), "desktop-dark", (1280, 2000), true, &url);
    let light_phone = screenshot(&bin, dir.path(), "phone", (390, 1600), false, &url);
    let dark_phone = screenshot(&bin, dir.path(), "phone-dark", (390, 1600), true, &url);
    let bg = |png: &[u8]| top_left_rgb(png).expect("an 8-bit RGB(A) PNG");
    assert_eq!(bg(&light_desk), [0xff, 0xff, 0xff], "light background");
    assert_eq!(bg(&dark_desk), [0x0d, 0x11, 0x17], "dark background");
    assert_eq!(bg(&light_phone), bg(&light_desk));
    assert_eq!(bg(&dark_phone), bg(&dark_desk));

    // The DOM after parsing and rendering: both targets, one chart per target.
    let o = run_chromium(
        &bin,
        &dir.path().join("profile-dom"),
        &["--dump-dom".into(), url],
    );
    let dom = String::from_utf8_lossy(&o.stdout);
    for target in [ONE, MANY] {
        assert!(
            dom.contains(&format!("<h2>{target}</h2>")),
            "{target}: {dom}"
        );
    }
    assert_eq!(dom.matches("<svg ").count(), 2, "{dom}");
    assert_eq!(dom.matches("<svg role=\"img\" class=\"chart\"").count(), 2);
    assert!(dom.contains("failed 20"), "the failed run is shown");

    // No sideways scrolling on a phone: a page of the test's own (the dashboard itself runs no
    // script) frames the dashboard 390 px wide and measures it.
    let probe = dir.path().join("measure.html");
    std::fs::write(
        &probe,
        r#"<!DOCTYPE html><html><body style="margin:0">
<iframe id="f" src="dash.html" style="width:390px;height:800px;border:0"></iframe>
<script>
window.addEventListener('load', function () {
  var d = null;
  try { d = document.getElementById('f').contentDocument; } catch (e) {}
  var out = document.createElement('p');
  out.id = 'measure';
  out.textContent = d ? ('scroll=' + d.documentElement.scrollWidth + ' client=' + d.documentElement.clientWidth) : 'no-access';
  document.body.appendChild(out);
});
</script></body></html>"#,
    )
    .unwrap();
    let o = run_chromium(
        &bin,
        &dir.path().join("profile-measure"),
        &[
            "--allow-file-access-from-files".into(),
            "--virtual-time-budget=5000".into(),
            "--dump-dom".into(),
            format!("file://{}", probe.display()),
        ],
    );
    let dom = String::from_utf8_lossy(&o.stdout);
    let measured = dom
        .split("<p id=\"measure\">")
        .nth(1)
        .and_then(|r| r.split('<').next())
        .unwrap_or_else(|| panic!("no measurement: {dom}"));
    let numbers: Vec<u32> = measured
        .split(' ')
        .filter_map(|kv| kv.split('=').nth(1)?.parse().ok())
        .collect();
    assert_eq!(numbers.len(), 2, "{measured}");
    assert!(
        numbers[0] <= numbers[1],
        "the phone page scrolls sideways: {measured}"
    );
}

/// As a team would get it: two `keyhole fleet` runs over two real APIs (the built-in demo,
/// vulnerable and hardened), then `keyhole history --format html`, rendered by Chromium: both
/// targets named, one chart per target with a point per run.
#[test]
fn two_fleet_runs_make_a_dashboard_with_a_chart_per_target() {
    let Some(bin) = chromium_or_skip("two_fleet_runs_make_a_dashboard_with_a_chart_per_target")
    else {
        return;
    };
    let vulnerable = demo(false);
    let hardened = demo(true);
    let dir = tempfile::tempdir().unwrap();
    let targets = dir.path().join("targets.toml");
    std::fs::write(
        &targets,
        format!(
            "[[target]]\nurl = \"{}\"\n\n[[target]]\nurl = \"{}\"\n",
            vulnerable.url, hardened.url
        ),
    )
    .unwrap();
    let store = format!("sqlite:{}", dir.path().join("team.db").display());
    for run in 1..=2 {
        let o = keyhole_in(
            dir.path(),
            &[
                "fleet",
                targets.to_str().unwrap(),
                "--store",
                &store,
                "--quiet",
            ],
        );
        assert!(
            o.status.code().is_some_and(|c| c <= 1),
            "fleet run {run}: {}",
            stderr(&o)
        );
    }
    let page = write_dashboard(dir.path(), &store, "team");
    let o = run_chromium(
        &bin,
        &dir.path().join("profile-fleet"),
        &["--dump-dom".into(), format!("file://{}", page.display())],
    );
    let dom = String::from_utf8_lossy(&o.stdout);
    for target in [&vulnerable.url, &hardened.url] {
        assert!(
            dom.contains(&format!("<h2>{target}</h2>")),
            "{target} is not named: {dom}"
        );
    }
    let charts: Vec<&str> = dom
        .split("<svg role=\"img\" class=\"chart\"")
        .skip(1)
        .map(|rest| rest.split("</svg>").next().unwrap_or_default())
        .collect();
    assert_eq!(charts.len(), 2, "one chart per target: {dom}");
    for chart in charts {
        assert_eq!(
            chart.matches("<circle").count(),
            2,
            "a point per run: {chart}"
        );
    }
    assert_eq!(
        dom.matches("<section class=\"scan\"").count(),
        4,
        "every stored scan"
    );
}
