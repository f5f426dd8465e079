//! The HTML report opened in a real browser: headless Chromium (Debian's `chromium` package)
//! renders a real scan's report, takes a screenshot, and its DOM shows the grade and findings.
//! Skipped, with a message saying so, only when no Chromium is installed (set
//! KEYHOLE_REQUIRE_CHROMIUM=1 to make its absence a failure).

mod ci_support;

use ci_support::chromium::{chromium_or_skip, png_size, run_chromium};
use ci_support::*;

#[test]
fn html_report_renders_in_headless_chromium() {
    let Some(bin) = chromium_or_skip("html_report_renders_in_headless_chromium") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let html = scan_format(false, dir.path(), "html");
    let page = dir.path().join("report.html");
    std::fs::write(&page, &html).unwrap();
    let url = format!("file://{}", page.display());

    // A screenshot of the rendered page.
    let shot = dir.path().join("report.png");
    let o = run_chromium(
        &bin,
        &dir.path().join("profile-1"),
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1200,2000".into(),
            url.clone(),
        ],
    );
    let bytes = std::fs::read(&shot).unwrap_or_else(|e| {
        panic!(
            "no screenshot ({e}); chromium said: {}",
            String::from_utf8_lossy(&o.stderr)
        )
    });
    assert_eq!(png_size(&bytes), Some((1200, 2000)), "a 1200×2000 PNG");
    // A blank 1200×2000 page compresses to a few KiB; a rendered report is far larger.
    assert!(bytes.len() > 30_000, "screenshot is {} bytes", bytes.len());
    if let Ok(keep) = std::env::var("KEYHOLE_KEEP_SCREENSHOT") {
        let _ = std::fs::copy(&shot, keep);
    }

    // The DOM after parsing and rendering carries the grade, score and findings.
    let o = run_chromium(
        &bin,
        &dir.path().join("profile-2"),
        &["--dump-dom".into(), url],
    );
    let dom = String::from_utf8_lossy(&o.stdout);
    assert!(dom.contains("id=\"grade\""), "{dom}");
    assert!(dom.contains("data-grade=\"F\""), "{dom}");
    assert!(dom.contains(">F</div>"));
    assert!(dom.contains("/100</div>"));
    for id in ALWAYS_IDS {
        assert!(dom.contains(&format!("data-id=\"{id}\"")), "{id}");
    }
    assert!(dom.contains("<summary>Evidence"));
}
