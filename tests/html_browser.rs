//! The HTML report opened in a real browser: headless Chromium (Debian's `chromium` package)
//! renders a real scan's report, takes a screenshot, and its DOM shows the grade and findings.
//! Skipped, with a message saying so, only when no Chromium is installed (set
//! KEYHOLE_REQUIRE_CHROMIUM=1 to make its absence a failure).

mod ci_support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use ci_support::*;

fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("KEYHOLE_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        for name in ["chromium", "chromium-browser", "google-chrome"] {
            let p = dir.join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

/// Run headless Chromium with a fresh profile and no network-facing extras; killed after 90 s.
fn run_chromium(bin: &Path, profile: &Path, args: &[String]) -> Output {
    let mut cmd = Command::new(bin);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .args(args)
    .env("HOME", profile)
    .env("XDG_CONFIG_HOME", profile.join("config"))
    .env("XDG_CACHE_HOME", profile.join("cache"))
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let child = cmd.spawn().expect("chromium starts");
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let started = Instant::now();
    match rx.recv_timeout(Duration::from_secs(90)) {
        Ok(out) => out.expect("chromium ran"),
        Err(_) => {
            // Kill only the process this test started, by its id.
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
            panic!("chromium did not finish in {:?}", started.elapsed());
        }
    }
}

/// Width and height from a PNG's IHDR chunk.
fn png_size(bytes: &[u8]) -> Option<(u32, u32)> {
    if bytes.len() < 24 || &bytes[..8] != b"\x89PNG\r\n\x1a\n" || &bytes[12..16] != b"IHDR" {
        return None;
    }
    let w = u32::from_be_bytes(bytes[16..20].try_into().ok()?);
    let h = u32::from_be_bytes(bytes[20..24].try_into().ok()?);
    Some((w, h))
}

#[test]
fn html_report_renders_in_headless_chromium() {
    let Some(bin) = chromium() else {
        if std::env::var_os("KEYHOLE_REQUIRE_CHROMIUM").is_some() {
            panic!("KEYHOLE_REQUIRE_CHROMIUM is set but no chromium is installed");
        }
        eprintln!(
            "SKIPPED html_report_renders_in_headless_chromium: no chromium on PATH \
             (install it with `apt-get install -y chromium`)"
        );
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
