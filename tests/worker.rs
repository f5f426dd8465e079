//! `keyhole fleet --enqueue` and `keyhole worker` on a real PostgreSQL (the throwaway cluster of
//! scripts/setup-postgres, one fresh database per test): two workers, ten real targets, one
//! worker killed mid-scan, every target scanned and stored exactly once; and a worker stopped by
//! SIGTERM finishes its scan and takes no other.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{fresh_database, keyhole_bin, keyhole_in, repo_root, rt, write_targets, Target};
use serde_json::Value;

fn query_rows(db: &str, sql: &'static str) -> Vec<(String, String, i32, Option<String>)> {
    rt().block_on(async {
        let pool = sqlx::PgPool::connect(db).await.unwrap();
        let rows = sqlx::query_as(sql).fetch_all(&pool).await.unwrap();
        pool.close().await;
        rows
    })
}

/// (idempotency_key, status, attempts, lock_by) of every queued job.
fn jobs(db: &str) -> Vec<(String, String, i32, Option<String>)> {
    query_rows(
        db,
        "SELECT idempotency_key, status, attempts, lock_by FROM apalis.jobs ORDER BY idempotency_key",
    )
}

struct Worker {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Worker {
    fn start(db: &str, extra: &[&str]) -> Worker {
        let mut child = Command::new(keyhole_bin())
            .args(["worker", "--store", db])
            .args(if extra.contains(&"--lease") {
                &[][..]
            } else {
                &["--lease", "4"][..]
            })
            .args(extra)
            .env_remove("KEYHOLE_STORE")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start keyhole worker");
        let (tx, lines) = mpsc::channel();
        let err = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Worker {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Wait for a stderr line containing `what`; returns it.
    fn wait_for(&mut self, what: &str, within: Duration) -> String {
        let end = Instant::now() + within;
        loop {
            let left = end.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(what) {
                        return line;
                    }
                }
                Err(_) => panic!(
                    "no line with '{what}' within {within:?}; so far:\n{}",
                    self.seen.join("\n")
                ),
            }
        }
    }

    /// Wait for the process to exit and collect the rest of its stderr.
    fn finish(&mut self, within: Duration) -> (Option<i32>, Vec<String>) {
        let end = Instant::now() + within;
        let status = loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                break s;
            }
            if Instant::now() > end {
                let _ = self.child.kill();
                panic!(
                    "worker did not exit within {within:?}:\n{}",
                    self.seen.join("\n")
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        while let Ok(line) = self.lines.recv_timeout(Duration::from_millis(500)) {
            self.seen.push(line);
        }
        (status.code(), self.seen.clone())
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn worker_name(line: &str) -> String {
    // "keyhole: worker NAME: taking scans from ..."
    line.split_whitespace()
        .nth(2)
        .unwrap()
        .trim_end_matches(':')
        .to_string()
}

/// Assert that keyhole exited 0, showing its stderr if not.
fn assert_ok(out: &Output) {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Queue one scan per URL (each target with the lines of EXTRA) with `fleet --enqueue`.
fn enqueue(dir: &Path, db: &str, urls: &[String], extra: &str) {
    write_targets(dir, urls, extra);
    let out = keyhole_in(dir, &["fleet", "targets.toml", "--enqueue", "--store", db]);
    assert_ok(&out);
    assert!(out.stdout.is_empty(), "--enqueue prints nothing on stdout");
}

fn urls(targets: &[Target]) -> Vec<String> {
    targets.iter().map(Target::base_url).collect()
}

fn history(db: &str) -> Value {
    let out = keyhole_in(
        Path::new("."),
        &["history", "--store", db, "--format", "json"],
    );
    assert_ok(&out);
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn two_workers_one_killed_mid_scan_every_target_scanned_exactly_once() {
    let db = fresh_database("kill");
    let dir = tempfile::tempdir().unwrap();
    let names = [
        "naive_form",
        "limited_json",
        "verbose_json",
        "xff_bypass",
        "rust_smart_ip",
        "rust_basic_governor",
        "fastapi_oauth2_token",
        "express_ok_false",
        "express_slow_down",
        "generous_limit",
    ];
    let targets: Vec<Target> = names.iter().map(|n| Target::start(n)).collect();
    enqueue(dir.path(), &db, &urls(&targets), "");
    assert_eq!(jobs(&db).len(), 10);

    // Both workers run at once on the one queue.
    let mut a = Worker::start(&db, &[]);
    let mut b = Worker::start(&db, &["--exit-when-idle", "3"]);
    let a_name = worker_name(&a.wait_for("taking scans", Duration::from_secs(30)));
    // A takes a scan; it dies in the middle of it.
    let scanning = a.wait_for("scanning ", Duration::from_secs(30));
    a.child.kill().unwrap();
    a.child.wait().unwrap();
    let killed_url = scanning.rsplit(' ').next().unwrap().to_string();
    assert!(
        !a.seen.iter().any(|l| l.contains("stored as scan")),
        "A finished a scan before it was killed: {:?}",
        a.seen
    );

    let (code, lines) = b.finish(Duration::from_secs(300));
    assert_eq!(code, Some(0), "{}", lines.join("\n"));
    // B ran all ten, the one A died in included (after A's lease ran out).
    let stored: Vec<&String> = lines
        .iter()
        .filter(|l| l.contains("stored as scan"))
        .collect();
    assert_eq!(stored.len(), 10, "{}", lines.join("\n"));
    assert!(
        stored.iter().any(|l| l.contains(&format!("{killed_url}:"))),
        "{}",
        lines.join("\n")
    );

    // The queue: ten jobs, all done; the killed one was taken again, and finished by B.
    let jobs = jobs(&db);
    assert_eq!(jobs.len(), 10);
    for (key, status, attempts, lock_by) in &jobs {
        assert_eq!(status, "Done", "{key}: {jobs:?}");
        assert_ne!(lock_by.as_deref(), Some(a_name.as_str()), "{key}");
        if key.ends_with(&format!("/{killed_url}")) {
            assert!(*attempts >= 2, "the killed scan was run again: {jobs:?}");
        }
    }
    // The store: every target exactly one complete report.
    let h = history(&db);
    let rows = h["targets"].as_array().unwrap();
    assert_eq!(rows.len(), 10, "{h:#}");
    for t in &targets {
        let row = rows
            .iter()
            .find(|r| r["target"] == t.base_url())
            .unwrap_or_else(|| panic!("{} missing", t.base_url()));
        assert_eq!(row["scans"].as_array().unwrap().len(), 1, "{row:#}");
    }
}

#[test]
fn sigterm_lets_the_current_scan_finish_and_takes_no_other() {
    let db = fresh_database("term");
    let dir = tempfile::tempdir().unwrap();
    let targets: Vec<Target> = ["naive_form", "verbose_json", "limited_json"]
        .iter()
        .map(|n| Target::start(n))
        .collect();
    enqueue(dir.path(), &db, &urls(&targets), "");
    let mut w = Worker::start(&db, &[]);
    w.wait_for("scanning ", Duration::from_secs(30));
    let pid = w.child.id() as libc::pid_t;
    // SAFETY: kill(2) on our own child's pid.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let (code, lines) = w.finish(Duration::from_secs(180));
    assert_eq!(code, Some(0), "{}", lines.join("\n"));
    let term_at = lines
        .iter()
        .position(|l| l.contains("SIGTERM"))
        .expect("says SIGTERM");
    let stored: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.contains("stored as scan"))
        .map(|(i, _)| i)
        .collect();
    assert_eq!(stored.len(), 1, "{}", lines.join("\n"));
    assert!(
        stored[0] > term_at,
        "the scan under way was finished after SIGTERM:\n{}",
        lines.join("\n")
    );
    assert_eq!(lines.iter().filter(|l| l.contains("scanning ")).count(), 1);
    let jobs = jobs(&db);
    let done = jobs.iter().filter(|j| j.1 == "Done").count();
    let pending = jobs.iter().filter(|j| j.1 == "Pending").count();
    assert_eq!((done, pending), (1, 2), "{jobs:?}");
    assert_eq!(history(&db)["targets"].as_array().unwrap().len(), 1);
}

#[test]
fn fleet_and_history_keep_reports_in_postgres_too() {
    let db = fresh_database("fleet");
    let dir = tempfile::tempdir().unwrap();
    let targets: Vec<Target> = ["naive_form", "limited_json"]
        .iter()
        .map(|n| Target::start(n))
        .collect();
    write_targets(dir.path(), &urls(&targets), "");
    for round in 1..=2 {
        let out = keyhole_in(
            dir.path(),
            &[
                "fleet",
                "targets.toml",
                "--store",
                &db,
                "--format",
                "json",
                "-q",
            ],
        );
        assert_ok(&out);
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        for row in v["targets"].as_array().unwrap() {
            assert!(row["scan_id"].is_string(), "{row:#}");
            assert_eq!(row["score_change"].is_null(), round == 1, "{row:#}");
        }
    }
    let h = history(&db);
    for row in h["targets"].as_array().unwrap() {
        assert_eq!(row["scans"].as_array().unwrap().len(), 2, "{row:#}");
    }
    // A scan of its own, recorded with scan --store.
    let out = keyhole_in(
        dir.path(),
        &[
            "scan",
            &targets[0].base_url(),
            "--store",
            &db,
            "--format",
            "json",
            "-q",
        ],
    );
    assert_ok(&out);
    let h = history(&db);
    let first = h["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["target"] == targets[0].base_url())
        .unwrap();
    assert_eq!(first["scans"].as_array().unwrap().len(), 3);
}

/// bench/latency_proxy.py in front of a target: every round trip takes `rtt_ms`.
struct Proxy {
    child: Child,
    port: u16,
}

impl Proxy {
    fn start(target: &Target, rtt_ms: u32) -> Proxy {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("python3")
            .arg(repo_root().join("bench/latency_proxy.py"))
            .args([
                port.to_string(),
                target.port.to_string(),
                rtt_ms.to_string(),
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start bench/latency_proxy.py");
        let end = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < end, "the proxy did not open its port");
            std::thread::sleep(Duration::from_millis(50));
        }
        Proxy { child, port }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_draining_worker_keeps_its_lease_so_nobody_takes_its_scan() {
    let db = fresh_database("drain");
    let dir = tempfile::tempdir().unwrap();
    let target = Target::start("limited_json");
    // A slow network and one request at a time: the scan lasts several leases.
    let proxy = Proxy::start(&target, 300);
    enqueue(
        dir.path(),
        &db,
        &[format!("http://127.0.0.1:{}", proxy.port)],
        "concurrency = 1\nmax-requests = 40\n",
    );
    let mut a = Worker::start(&db, &["--lease", "2"]);
    let a_name = worker_name(&a.wait_for("taking scans", Duration::from_secs(30)));
    a.wait_for("scanning ", Duration::from_secs(30));
    let mut b = Worker::start(&db, &["--lease", "2", "--exit-when-idle", "3"]);
    b.wait_for("taking scans", Duration::from_secs(30));
    // SAFETY: kill(2) on our own child's pid.
    assert_eq!(
        unsafe { libc::kill(a.child.id() as libc::pid_t, libc::SIGTERM) },
        0
    );
    let started = Instant::now();
    let (code, lines) = a.finish(Duration::from_secs(180));
    assert_eq!(code, Some(0), "{}", lines.join("\n"));
    assert!(
        started.elapsed() > Duration::from_secs(6),
        "the scan outlived three leases after SIGTERM ({:?}); otherwise this test shows nothing",
        started.elapsed()
    );
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.contains("stored as scan"))
            .count(),
        1,
        "{}",
        lines.join("\n")
    );
    let (code, b_lines) = b.finish(Duration::from_secs(60));
    assert_eq!(code, Some(0), "{}", b_lines.join("\n"));
    assert!(
        !b_lines.iter().any(|l| l.contains("scanning ")),
        "B took the scan A was finishing:\n{}",
        b_lines.join("\n")
    );
    let jobs = jobs(&db);
    assert_eq!(jobs.len(), 1);
    assert_eq!((jobs[0].1.as_str(), jobs[0].2), ("Done", 1), "{jobs:?}");
    assert_eq!(jobs[0].3.as_deref(), Some(a_name.as_str()));
}

#[test]
fn queued_scans_that_give_up_are_remembered_with_their_reasons() {
    let db = fresh_database("fail");
    let dir = tempfile::tempdir().unwrap();
    // A closed port: bound a moment ago, released, nothing listens there.
    let closed = |_: u8| {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        format!("http://127.0.0.1:{port}")
    };
    let unreachable = closed(1);
    let misconfigured = closed(2);
    // The second target's password is in a variable the queueing machine has and the worker's
    // does not: the worker cannot build the scan's configuration.
    let var = "KEYHOLE_TEST_QUEUED_PASSWORD";
    std::fs::write(
        dir.path().join("targets.toml"),
        format!(
            "[[target]]\nurl = \"{unreachable}\"\n\n[[target]]\nurl = \"{misconfigured}\"\n\
             username = \"owner\"\npassword-env = \"{var}\"\n"
        ),
    )
    .unwrap();
    let out = Command::new(keyhole_bin())
        .args(["fleet", "targets.toml", "--enqueue", "--store", &db])
        .current_dir(dir.path())
        .env_remove("KEYHOLE_STORE")
        .env(var, "a-password-for-the-queue-only")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_ok(&out);
    assert!(std::env::var_os(var).is_none());

    let mut w = Worker::start(&db, &["--exit-when-idle", "2"]);
    let (code, lines) = w.finish(Duration::from_secs(120));
    assert_eq!(code, Some(0), "{}", lines.join("\n"));
    assert!(
        !lines.iter().any(|l| l.contains("stored as scan")),
        "{}",
        lines.join("\n")
    );
    // Given up, not retried: each ran once.
    for (key, status, attempts, _) in jobs(&db) {
        assert_ne!(status, "Done", "{key}");
        assert_eq!(attempts, 1, "{key}: {status}");
    }

    let h = history(&db);
    let rows = h["targets"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{h:#}");
    let failed = |target: &str| -> Vec<String> {
        let row = rows
            .iter()
            .find(|r| r["target"] == target)
            .unwrap_or_else(|| panic!("{target} missing: {h:#}"));
        assert_eq!(row["scans"].as_array().unwrap().len(), 0, "{row:#}");
        assert!(row["last_scan"].is_null(), "{row:#}");
        assert_eq!(
            row["last_failure"], row["failed"][0]["failed_at"],
            "{row:#}"
        );
        row["failed"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["reason"].as_str().unwrap().to_string())
            .collect()
    };
    let reasons = failed(&unreachable);
    assert_eq!(reasons.len(), 1);
    assert!(reasons[0].contains("unreachable"), "{reasons:?}");
    assert!(reasons[0].contains(&unreachable), "{reasons:?}");
    let reasons = failed(&misconfigured);
    assert_eq!(reasons.len(), 1);
    assert!(reasons[0].contains(var), "{reasons:?}");
    assert!(!reasons[0].contains("a-password"), "{reasons:?}");
    for r in rows.iter().flat_map(|r| r["failed"].as_array().unwrap()) {
        let reason = r["reason"].as_str().unwrap();
        assert!(!reason.contains('\n'), "one line: {reason}");
    }

    // The pretty table says so plainly.
    let out = keyhole_in(Path::new("."), &["history", "--store", &db]);
    assert_ok(&out);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!("{unreachable} — failed runs:")),
        "{text}"
    );
    assert!(text.contains("  failed 20"), "{text}");
}
