//! Headless Chromium (Debian's `chromium` package) for the browser tests: find it (or skip the
//! test, with a message, when none is installed; KEYHOLE_REQUIRE_CHROMIUM=1 makes its absence a
//! failure), run it with a fresh profile, and read the PNG screenshots it writes.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

pub fn chromium() -> Option<PathBuf> {
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

/// Chromium, or `None` after saying that `test` is skipped; panics instead when
/// KEYHOLE_REQUIRE_CHROMIUM is set.
pub fn chromium_or_skip(test: &str) -> Option<PathBuf> {
    let found = chromium();
    if found.is_none() {
        if std::env::var_os("KEYHOLE_REQUIRE_CHROMIUM").is_some() {
            panic!("KEYHOLE_REQUIRE_CHROMIUM is set but no chromium is installed");
        }
        eprintln!(
            "SKIPPED {test}: no chromium on PATH (install it with `apt-get install -y chromium`)"
        );
    }
    found
}

/// Run headless Chromium with a fresh profile and no network-facing extras; killed after 90 s.
pub fn run_chromium(bin: &Path, profile: &Path, args: &[String]) -> Output {
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
pub fn png_size(bytes: &[u8]) -> Option<(u32, u32)> {
    if bytes.len() < 24 || &bytes[..8] != b"\x89PNG\r\n\x1a\n" || &bytes[12..16] != b"IHDR" {
        return None;
    }
    let w = u32::from_be_bytes(bytes[16..20].try_into().ok()?);
    let h = u32::from_be_bytes(bytes[20..24].try_into().ok()?);
    Some((w, h))
}

/// The RGB colour of a PNG's top-left pixel (8-bit RGB or RGBA, as Chromium writes them).
///
/// The first pixel of the first row is stored as is whatever the row's filter: every filter
/// predicts it from pixels outside the image, which count as zero.
pub fn top_left_rgb(bytes: &[u8]) -> Option<[u8; 3]> {
    png_size(bytes)?;
    let (depth, colour) = (bytes[24], bytes[25]);
    if depth != 8 || !(colour == 2 || colour == 6) {
        return None;
    }
    let mut idat = Vec::new();
    let mut i = 8;
    while i + 8 <= bytes.len() {
        let len = u32::from_be_bytes(bytes[i..i + 4].try_into().ok()?) as usize;
        let kind = &bytes[i + 4..i + 8];
        let data = bytes.get(i + 8..i + 8 + len)?;
        if kind == b"IDAT" {
            idat.extend_from_slice(data);
        }
        i += 12 + len;
    }
    let mut head = [0u8; 4];
    flate2::read::ZlibDecoder::new(&idat[..])
        .read_exact(&mut head)
        .ok()?;
    // head[0] is the row's filter byte.
    Some([head[1], head[2], head[3]])
}
