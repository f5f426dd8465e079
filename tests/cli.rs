//! The command line as users meet it: exit codes, one-line errors, clean stdout.

use std::process::{Command, Output};
use std::time::{Duration, Instant};

fn keyhole(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_keyhole"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("keyhole runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn version_and_help() {
    let o = keyhole(&["--version"]);
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("keyhole 0.1.0"));
    let o = keyhole(&["scan", "--help"]);
    assert!(o.status.success());
    let help = String::from_utf8_lossy(&o.stdout);
    for opt in [
        "--format",
        "--output",
        "--fail-under",
        "--endpoint",
        "--username",
        "--max-requests",
        "--timeout",
        "--deadline",
        "--baseline",
        "--fail-on-regression",
        "--insecure",
        "--config",
        "--quiet",
        "--verbose",
    ] {
        assert!(help.contains(opt), "help lacks {opt}");
    }
}

#[test]
fn bad_input_exits_2_with_one_line() {
    let cases: &[&[&str]] = &[
        &["scan", "ftp://127.0.0.1/"],
        &["scan", "127.0.0.1:5000"],
        &["scan", "http://"],
        &["scan", "http://127.0.0.1:99999"],
        &["scan", "http://user:pw@127.0.0.1:1/"],
        &["scan", "http://127.0.0.1:1", "--max-requests", "0"],
        &["scan", "http://127.0.0.1:1", "--timeout", "-3"],
        &["scan", "http://127.0.0.1:1", "--fail-under", "101"],
        &["scan", "http://127.0.0.1:1", "--format", "yaml"],
        &[
            "scan",
            "http://127.0.0.1:1",
            "--output",
            "/no/such/dir/r.json",
        ],
        &["scan", "http://127.0.0.1:1", "--fail-on-regression"],
    ];
    for args in cases {
        let o = keyhole(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        let err = stderr(&o);
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("keyhole: error:"), "{args:?}: {err}");
        assert!(o.stdout.is_empty(), "{args:?}");
        assert!(!err.contains("panicked"));
    }
}

#[test]
fn unreachable_target_exits_2_quickly() {
    // A port nothing listens on: bind, read the port, close.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let t = Instant::now();
    let url = format!("http://127.0.0.1:{port}");
    let o = keyhole(&["scan", &url, "-q"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(t.elapsed() < Duration::from_secs(10));
    let err = stderr(&o);
    assert!(err.contains("unreachable"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(o.stdout.is_empty());
}

#[test]
fn demo_json_is_one_object_and_gates_apply() {
    let o = keyhole(&["demo", "--format", "json", "-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value =
        serde_json::from_slice(&o.stdout).expect("stdout is one JSON object");
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["rubric"], "1");
    assert_eq!(v["tool"]["name"], "keyhole");
    assert!(v["findings"].as_array().is_some_and(|f| !f.is_empty()));
}

#[test]
fn pretty_report_goes_to_stdout_progress_to_stderr() {
    let o = keyhole(&["demo", "--fixed"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("Grade") || out.contains("grade"), "{out}");
    assert!(!out.contains("\u{1b}["), "no colours when not a terminal");
    assert!(stderr(&o).contains("keyhole:"), "progress on stderr");
}
