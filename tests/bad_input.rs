//! Bad input: every malformed URL, option value, output path, config or baseline file must end in
//! exit 2 within 10 s, with exactly one line on stderr that says what is wrong, nothing on
//! stdout, no output file, and no request to the target (the input is checked before the scan).
//!
//! The target of the option tests is a live sign-in API that counts requests, so a value that
//! slipped through validation shows up as traffic instead of hiding behind "unreachable".

mod support_hostile;

use std::path::Path;
use std::time::Duration;

use support_hostile::*;

/// The issue's bar for a bad input.
const LIMIT: Duration = Duration::from_secs(10);

/// A counting sign-in API on its own runtime, for synchronous tests.
struct Live {
    server: Server,
    _rt: tokio::runtime::Runtime,
}

impl Live {
    fn start(ip: &str) -> Live {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let server = rt.block_on(start(
            ip,
            OnAccept::Serve,
            handler(|req, io, _| sign_in_api(req, io)),
            false,
        ));
        Live { server, _rt: rt }
    }

    fn url(&self) -> String {
        self.server.url()
    }

    fn requests(&self) -> usize {
        self.server.counters.requests()
    }
}

fn run_in(cwd: &Path, args: &[&str]) -> Outcome {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    run_keyhole_in(cwd, &args, LIMIT + Duration::from_secs(5))
}

/// Check one bad input; returns a description of what is wrong with keyhole's answer, if anything.
fn check(o: &Outcome, needle: &str) -> Option<String> {
    let mut why = Vec::new();
    if o.code != Some(2) {
        why.push(format!("exit {:?}, not 2", o.code));
    }
    if o.elapsed > LIMIT {
        why.push(format!("took {:.1}s", o.elapsed.as_secs_f64()));
    }
    if !o.stdout.is_empty() {
        why.push("wrote to stdout".to_string());
    }
    if o.stderr.contains("panicked") {
        why.push("panicked".to_string());
    }
    let lines = o.stderr_lines();
    if lines.len() != 1 {
        why.push(format!("{} lines on stderr, not 1", lines.len()));
    } else if !lines[0].starts_with("keyhole: error: ") {
        why.push("the line does not start with 'keyhole: error: '".to_string());
    }
    if !o.stderr.to_lowercase().contains(&needle.to_lowercase()) {
        why.push(format!("the message does not mention {needle:?}"));
    }
    (!why.is_empty()).then(|| format!("{}: {}", why.join(", "), o.stderr.trim_end()))
}

/// Run every case; fail once with all the bad answers.
fn expect_all(cases: &[(Vec<String>, &str)], cwd: &Path, live: Option<&Live>) {
    let mut failures = Vec::new();
    for (args, needle) in cases {
        let before = live.map(Live::requests);
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = run_in(cwd, &refs);
        if let Some(why) = check(&o, needle) {
            failures.push(format!("keyhole {}\n    {why}", args.join(" ")));
        }
        if let (Some(l), Some(b)) = (live, before) {
            if l.requests() != b {
                failures.push(format!(
                    "keyhole {}\n    sent {} request(s) to the target before rejecting the input",
                    args.join(" "),
                    l.requests() - b
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} bad input(s) not handled well:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn scan_with(url: &str, extra: &[&str]) -> Vec<String> {
    let mut v = vec!["scan".to_string(), url.to_string()];
    v.extend(extra.iter().map(|s| s.to_string()));
    v
}

#[test]
fn malformed_urls() {
    let dir = empty_dir();
    let cases: Vec<(Vec<String>, &str)> = [
        ("not a url", "scheme"),
        ("127.0.0.1:8080", "scheme"),
        ("http//127.0.0.1", "scheme"),
        ("", "empty"),
        ("   ", "empty"),
        ("http://", "host"),
        ("https://:8443/", "host"),
        ("http:///login", "host"),
        ("http:127.0.0.1:5000", "http://HOST"),
        ("http://a b/", "http://HOST"),
        ("http://%00/", "http://HOST"),
        ("http://256.256.256.256/", "IPv4"),
        ("http://[::1/", "IPv6"),
        ("http://[fe80::1%25lo]/", "IPv6"),
        ("http://xn--.invalid/", "http://HOST"),
    ]
    .into_iter()
    .map(|(u, n)| (scan_with(u, &["--format", "json"]), n))
    .collect();
    expect_all(&cases, dir.path(), None);
}

#[test]
fn schemes_other_than_http_and_https() {
    let dir = empty_dir();
    let cases: Vec<(Vec<String>, &str)> = [
        "ftp://127.0.0.1/",
        "file:///etc/passwd",
        "ws://127.0.0.1:8080/",
        "javascript:alert(1)",
        "data:text/html,<form>",
        "mailto:admin@example.com",
        "gopher://127.0.0.1:70/",
    ]
    .into_iter()
    .map(|u| (scan_with(u, &[]), "use http:// or https://"))
    .collect();
    expect_all(&cases, dir.path(), None);
}

#[test]
fn ports_out_of_range_and_credentials_in_the_url() {
    let dir = empty_dir();
    let cases: Vec<(Vec<String>, &str)> = [
        ("http://127.0.0.1:0/", "1 to 65535"),
        ("http://127.0.0.1:65536/", "1 to 65535"),
        ("http://127.0.0.1:99999999999/", "1 to 65535"),
        ("http://127.0.0.1:-1/", "1 to 65535"),
        ("http://127.0.0.1:http/", "1 to 65535"),
        ("http://admin:hunter2@127.0.0.1:8080/", "credentials"),
        ("http://admin@127.0.0.1:8080/", "credentials"),
        ("https://:secret@127.0.0.1/", "credentials"),
    ]
    .into_iter()
    .map(|(u, n)| (scan_with(u, &[]), n))
    .collect();
    expect_all(&cases, dir.path(), None);
}

#[test]
fn out_of_range_option_values() {
    let live = Live::start("127.0.0.1");
    let dir = empty_dir();
    let url = live.url();
    let cases: Vec<(Vec<String>, &str)> = [
        (&["--max-requests", "0"][..], "--max-requests"),
        (&["--max-requests", "-5"], "--max-requests"),
        (&["--max-requests", "100001"], "--max-requests"),
        (&["--timeout", "0"], "--timeout"),
        (&["--timeout", "-1"], "--timeout"),
        (&["--timeout", "NaN"], "--timeout"),
        (&["--timeout", "inf"], "--timeout"),
        (&["--timeout", "601"], "--timeout"),
        (&["--deadline", "0"], "--deadline"),
        (&["--deadline", "-0.5"], "--deadline"),
        (&["--deadline", "86401"], "--deadline"),
        (&["--deadline", "nan"], "--deadline"),
        (&["--format", "xml"], "format"),
        (&["--format", ""], "format"),
        (&["--fail-under", "G"], "--fail-under"),
        (&["--fail-under", "101"], "--fail-under"),
        (&["--fail-under", "B+"], "--fail-under"),
        (&["--endpoint", "http://127.0.0.2:1/login"], "--endpoint"),
        (
            &["--endpoint", "https://example.invalid/login"],
            "--endpoint",
        ),
        (&["--endpoint", ""], "--endpoint"),
        (&["--username", ""], "--username"),
        (&["--username", "   "], "--username"),
        (&["--fail-on-regression"], "--baseline"),
        (&["--skip", "everything"], "--skip"),
        (&["--skip", ""], "--skip"),
        (
            &["--password-env", "KEYHOLE_TEST_UNSET_VARIABLE"],
            "--username",
        ),
        (
            &[
                "--username",
                "me",
                "--password-env",
                "KEYHOLE_TEST_UNSET_VARIABLE",
            ],
            "not set",
        ),
        (
            &["--username", "me", "--password-env", "not a name"],
            "--password-env",
        ),
    ]
    .into_iter()
    .map(|(extra, n)| (scan_with(&url, extra), n))
    .collect();
    expect_all(&cases, dir.path(), Some(&live));
}

/// Values clap itself rejects (not a number, an unknown option, a missing value or URL).
#[test]
fn usage_errors_are_one_line_too() {
    let live = Live::start("127.0.0.1");
    let dir = empty_dir();
    let url = live.url();
    let mut cases: Vec<(Vec<String>, &str)> = [
        (&["--max-requests", "abc"][..], "--max-requests"),
        (&["--max-requests", "1e3"], "--max-requests"),
        (
            &["--max-requests", "99999999999999999999"],
            "--max-requests",
        ),
        (&["--timeout", "ten"], "--timeout"),
        (&["--fail-under", "-1"], "-1"),
        (&["--bogus"], "--bogus"),
        (&["--timeout"], "--timeout"),
        (&["--output", ""], "--output"),
    ]
    .into_iter()
    .map(|(extra, n)| (scan_with(&url, extra), n))
    .collect();
    cases.push((vec!["scan".to_string()], "URL"));
    expect_all(&cases, dir.path(), Some(&live));
}

/// Until usage errors are one line: they still exit 2, print nothing on stdout and send nothing.
#[test]
fn usage_errors_exit_2_without_traffic() {
    let live = Live::start("127.0.0.1");
    let dir = empty_dir();
    let url = live.url();
    for extra in [
        &["--max-requests", "abc"][..],
        &["--timeout", "ten"],
        &["--fail-under", "-1"],
        &["--bogus"],
        &["--timeout"],
        &["--output", ""],
    ] {
        let args = scan_with(&url, extra);
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = run_in(dir.path(), &refs);
        assert_eq!(o.code, Some(2), "{extra:?}: {}", o.describe());
        assert!(o.stdout.is_empty(), "{extra:?}: {}", o.describe());
        assert!(o.stderr.contains("error"), "{extra:?}: {}", o.describe());
        assert!(o.elapsed < LIMIT, "{extra:?}: {}", o.describe());
    }
    assert_eq!(live.requests(), 0);
}

#[test]
fn output_into_a_missing_or_unwritable_folder() {
    let live = Live::start("127.0.0.1");
    let dir = empty_dir();
    let url = live.url();
    let missing = dir.path().join("no-such-folder").join("report.json");
    let a_file = dir.path().join("a-file");
    std::fs::write(&a_file, "x").unwrap();
    let under_file = a_file.join("report.json");
    let folder = dir.path().join("a-folder");
    std::fs::create_dir(&folder).unwrap();
    let s = |p: &Path| p.display().to_string();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            scan_with(&url, &["--format", "json", "--output", &s(&missing)]),
            "does not exist",
        ),
        (
            scan_with(&url, &["--output", &s(&under_file)]),
            "not a folder",
        ),
        (scan_with(&url, &["--output", &s(&folder)]), "folder"),
        // Not writable even for root.
        (
            scan_with(&url, &["--output", "/proc/keyhole-report.json"]),
            "cannot write",
        ),
        (
            scan_with(&url, &["--output", "/sys/keyhole-report.json"]),
            "cannot write",
        ),
    ];
    expect_all(&cases, dir.path(), Some(&live));
    assert!(!missing.parent().unwrap().exists());
    assert!(!Path::new("/proc/keyhole-report.json").exists());
    // Nothing but what the test made is in the folder: no partial or temporary files.
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["a-file", "a-folder"]);
    assert_eq!(std::fs::read_dir(&folder).unwrap().count(), 0);
}

#[test]
fn corrupt_baselines() {
    let live = Live::start("127.0.0.1");
    let dir = empty_dir();
    let url = live.url();
    let write = |name: &str, bytes: &[u8]| {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p.display().to_string()
    };
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let mut garbage = Rng::new(42).bytes(4096);
    garbage[0] = 0xff;
    let truncated_report = r#"{"schema_version": 1, "tool": {"name": "keyhole", "version": "0.1.0"}, "score": 75, "grade": "C", "findings": [{"id": "rate-limit.missing", "endpo"#;
    let files = [
        write("empty.json", b""),
        write("text.json", b"this is not json"),
        write("array.json", b"[1, 2, 3]"),
        write("null.json", b"null"),
        write("binary.json", &garbage),
        write("truncated.json", truncated_report.as_bytes()),
        write(
            "other-schema.json",
            br#"{"schema_version": 2, "score": 10, "findings": []}"#,
        ),
        write("no-schema.json", br#"{"score": 10, "findings": []}"#),
        write(
            "bad-score.json",
            br#"{"schema_version": 1, "score": "high", "findings": []}"#,
        ),
        write(
            "bad-findings.json",
            br#"{"schema_version": 1, "score": 90, "findings": [7]}"#,
        ),
        write("deep.json", deep.as_bytes()),
        write("bom.json", b"\xef\xbb\xbf{\"schema_version\": 1}"),
        dir.path().join("missing.json").display().to_string(),
        dir.path().display().to_string(),
        "/dev/zero".to_string(),
    ];
    let cases: Vec<(Vec<String>, &str)> = files
        .iter()
        .map(|f| {
            (
                scan_with(&url, &["--format", "json", "--baseline", f]),
                "--baseline",
            )
        })
        .collect();
    expect_all(&cases, dir.path(), Some(&live));
}

#[test]
fn corrupt_config_files() {
    let live = Live::start("127.0.0.1");
    let dir = empty_dir();
    let url = live.url();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.display().to_string()
    };
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            scan_with(
                &url,
                &["--config", &write("syntax.toml", "max-requests = = 3\n")],
            ),
            "not valid",
        ),
        (
            scan_with(
                &url,
                &["--config", &write("unknown.toml", "bogus-option = 1\n")],
            ),
            "bogus",
        ),
        (
            scan_with(
                &url,
                &["--config", &write("type.toml", "timeout = \"soon\"\n")],
            ),
            "timeout",
        ),
        (
            scan_with(
                &url,
                &["--config", &write("range.toml", "max-requests = 0\n")],
            ),
            "--max-requests",
        ),
        (
            scan_with(&url, &["--config", "/nonexistent/keyhole.toml"]),
            "cannot read",
        ),
        (scan_with(&url, &["--config", "/dev/zero"]), "larger than"),
    ];
    expect_all(&cases, dir.path(), Some(&live));

    // A broken keyhole.toml in the current folder is read by default, and reported the same way.
    let cwd = empty_dir();
    std::fs::write(cwd.path().join("keyhole.toml"), "[[[\n").unwrap();
    expect_all(
        &[(scan_with(&url, &[]), "keyhole.toml")],
        cwd.path(),
        Some(&live),
    );
}

/// An internationalised host name that resolves nowhere (`.invalid` is reserved, RFC 6761): exit 2
/// fast with a clear line, whatever DNS does (the per-request timeout bounds the lookup).
#[test]
fn internationalised_host_that_resolves_nowhere() {
    let dir = empty_dir();
    let o = run_in(
        dir.path(),
        &[
            "scan",
            "http://bücher.invalid/",
            "--format",
            "json",
            "--timeout",
            "3",
        ],
    );
    assert_eq!(o.code, Some(2), "{}", o.describe());
    assert!(o.stdout.is_empty(), "{}", o.describe());
    assert!(o.elapsed < LIMIT, "{}", o.describe());
    let lines = o.stderr_lines();
    let last = lines.last().copied().unwrap_or("");
    assert!(
        last.starts_with("keyhole: error: ") && last.contains("xn--bcher-kva.invalid"),
        "{}",
        o.describe()
    );
    // Progress lines before the error are allowed; nothing else.
    assert!(
        lines.iter().all(|l| l.starts_with("keyhole: ")),
        "{}",
        o.describe()
    );
    assert!(!o.stderr.contains("panicked"));
}

/// An IPv6 literal target works like any other: the sign-in form on [::1] is found.
#[test]
fn ipv6_literal_target_is_scanned() {
    let live = Live::start("::1");
    let dir = empty_dir();
    let url = live.url();
    assert!(url.starts_with("http://[::1]:"), "{url}");
    let o = run_in(
        dir.path(),
        &[
            "scan",
            &url,
            "--format",
            "json",
            "-q",
            "--deadline",
            "8",
            "--timeout",
            "2",
        ],
    );
    let r = assert_sane(&o, 8, Duration::from_secs(10)).expect("a report");
    assert!(
        r["target"]
            .as_str()
            .is_some_and(|t| t.starts_with("http://[::1]:")),
        "{r:#}"
    );
    let found = r["endpoints"].as_array().into_iter().flatten().any(|e| {
        e["url"]
            .as_str()
            .is_some_and(|u| u.contains("[::1]") && u.ends_with("/login"))
    });
    assert!(found, "{r:#}");
    assert!(live.requests() > 0);
}
