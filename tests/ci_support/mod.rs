//! Helpers for the CI-format tests: the built-in demo API started in-process (a fresh server per
//! scan, since the hardened one throttles 127.0.0.1 for a minute), and the keyhole binary run
//! against it as a user would.

#![allow(dead_code)]

pub mod chromium;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

/// The ids the vulnerable demo is documented to produce: four on its sign-in, two on its
/// password reset, one on its registration. The timing one rests on statistics over a ~25 ms
/// gap, which a heavily loaded machine can blur: tests require the others and accept the timing
/// one (see [`assert_vulnerable_ids`]).
pub const VULNERABLE_IDS: [&str; 7] = [
    "rate-limit.missing",
    "auth.user-enumeration.response",
    "auth.user-enumeration.timing",
    "auth.verbose-error",
    "auth.user-enumeration.reset",
    "rate-limit.reset-missing",
    "auth.user-enumeration.registration",
];

/// The vulnerable demo's findings that do not depend on timing.
pub const ALWAYS_IDS: [&str; 6] = [
    "rate-limit.missing",
    "auth.user-enumeration.response",
    "auth.verbose-error",
    "auth.user-enumeration.reset",
    "rate-limit.reset-missing",
    "auth.user-enumeration.registration",
];

/// `found` is what a scan of the vulnerable demo should report.
pub fn assert_vulnerable_ids(found: &std::collections::BTreeSet<String>) {
    for id in ALWAYS_IDS {
        assert!(found.contains(id), "{id} missing from {found:?}");
    }
    for id in found {
        assert!(VULNERABLE_IDS.contains(&id.as_str()), "unexpected {id}");
    }
}

/// The score of a vulnerable-demo report with these findings (rubric 1: high 25, medium 10,
/// low 3, floor 0).
pub fn vulnerable_score(found: &std::collections::BTreeSet<String>) -> u32 {
    let loss: u32 = found
        .iter()
        .map(|id| match id.as_str() {
            "rate-limit.missing" => 25,
            "auth.user-enumeration.registration" => 3,
            _ => 10,
        })
        .sum();
    100u32.saturating_sub(loss)
}

pub fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("tokio runtime")
    })
}

/// A demo API on 127.0.0.1, running until dropped.
pub struct Demo {
    server: Option<keyhole::demo::DemoServer>,
    pub url: String,
}

impl Drop for Demo {
    fn drop(&mut self) {
        // Dropping the handle inside the runtime's context sends the shutdown.
        let _guard = runtime().enter();
        self.server.take();
    }
}

/// Start the vulnerable (`fixed = false`) or hardened demo API.
pub fn demo(fixed: bool) -> Demo {
    let server = runtime()
        .block_on(keyhole::demo::start(fixed))
        .expect("demo API starts");
    let url = server.base_url();
    Demo {
        server: Some(server),
        url,
    }
}

/// Run keyhole with `args` in `cwd` (no colours, no stdin).
pub fn keyhole_in(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_keyhole"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .expect("keyhole runs")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("stdout is UTF-8")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Scan a fresh demo (`--quiet`) with extra `args`; returns the output.
pub fn scan_demo(fixed: bool, cwd: &Path, args: &[&str]) -> Output {
    let d = demo(fixed);
    let mut all = vec!["scan", d.url.as_str(), "--quiet"];
    all.extend_from_slice(args);
    keyhole_in(cwd, &all)
}

/// Scan a fresh demo with `--format FORMAT --output FILE` and check that the scan exited 0 and
/// that stdout and the file hold the same bytes; returns them.
pub fn scan_format(fixed: bool, dir: &Path, format: &str) -> String {
    let file = dir.join(format!(
        "report-{}.{format}",
        if fixed { "fixed" } else { "vulnerable" }
    ));
    let o = scan_demo(
        fixed,
        dir,
        &["--format", format, "--output", file.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(0), "{format}: {}", stderr(&o));
    let written = std::fs::read(&file).expect("--output file written");
    assert_eq!(written, o.stdout, "{format}: --output and stdout differ");
    stdout(&o)
}

/// The JSON report of a fresh demo scan.
pub fn scan_json(fixed: bool, dir: &Path) -> serde_json::Value {
    serde_json::from_str(&scan_format(fixed, dir, "json")).expect("one JSON object")
}

/// An HTTP server on 127.0.0.1 with no sign-in surface (404 for everything); runs for the rest
/// of the test process. Returns its base URL.
pub fn no_signin_server() -> String {
    let rt = runtime();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let addr = listener.local_addr().unwrap();
    let app =
        axum::Router::new().fallback(|| async { (axum::http::StatusCode::NOT_FOUND, "not found") });
    rt.spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}
