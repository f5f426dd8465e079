//! `keyhole fleet` and `keyhole history` against real targets, with the embedded SQLite store:
//! a fleet, then one target changes (the same port, another server), then a second fleet, and
//! history shows exactly that change. Plus the store's failure modes: a file that is not a store,
//! an unreachable PostgreSQL, a bad targets file — exit 2, one line, nothing stored lost.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{keyhole_in as keyhole, write_targets, Target};
use serde_json::Value;

fn stdout_json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The ids in a list of changed findings.
fn ids(v: &Value) -> Vec<String> {
    let mut ids: Vec<String> = v
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {v}"))
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

fn row<'a>(table: &'a Value, target: &str) -> &'a Value {
    table["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["target"] == target)
        .unwrap_or_else(|| panic!("no row for {target} in {table:#}"))
}

/// The finding ids of a stored report, read back through `keyhole history --report`.
fn stored_ids(dir: &Path, store: &str, id: &str) -> Vec<String> {
    let out = keyhole(
        dir,
        &[
            "history", "--store", store, "--report", id, "--format", "json",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let mut ids: Vec<String> = stdout_json(&out)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

#[test]
fn a_changed_target_shows_exactly_its_change_in_history() {
    let dir = tempfile::tempdir().unwrap();
    let store = format!("sqlite:{}", dir.path().join("history.db").display());
    // naive_form: POST /login with no throttle. Later the same port serves xff_bypass: POST /login
    // throttled per X-Forwarded-For, which a client sets itself.
    let changing = Target::start("naive_form");
    let port = changing.port;
    let steady = [
        Target::start("limited_json"),
        Target::start("rust_smart_ip"),
        Target::start("fastapi_oauth2_token"),
    ];
    let mut file = String::from("[defaults]\nmax-requests = 250\n\n");
    for url in std::iter::once(changing.base_url()).chain(steady.iter().map(Target::base_url)) {
        file.push_str(&format!("[[target]]\nurl = \"{url}\"\n\n"));
    }
    std::fs::write(dir.path().join("targets.toml"), &file).unwrap();
    let fleet = |extra: &[&str]| {
        let mut args = vec![
            "fleet",
            "targets.toml",
            "--store",
            &store,
            "--format",
            "json",
        ];
        args.extend_from_slice(extra);
        keyhole(dir.path(), &args)
    };

    let first = fleet(&[]);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let first_json = stdout_json(&first);
    assert_eq!(first_json["targets"].as_array().unwrap().len(), 4);
    for t in first_json["targets"].as_array().unwrap() {
        assert!(t["error"].is_null(), "{t:#}");
        assert!(t["scan_id"].is_string(), "{t:#}");
        assert!(
            t["score_change"].is_null(),
            "a first scan has no change: {t:#}"
        );
    }
    // One line per finished target on stderr, never on stdout.
    assert_eq!(
        stderr(&first)
            .lines()
            .filter(|l| l.contains("/4] http://"))
            .count(),
        4,
        "{}",
        stderr(&first)
    );
    let before = row(&first_json, &changing.base_url()).clone();
    assert!(ids(&before["new"]).contains(&"rate-limit.missing".to_string()));

    drop(changing);
    let changed = Target::start_on("xff_bypass", port);
    let second = fleet(&["--fail-on-regression"]);
    // The changed target has a new finding: the regression gate fails the fleet.
    assert_eq!(second.status.code(), Some(1), "{}", stderr(&second));
    let second_json = stdout_json(&second);
    let after = row(&second_json, &changed.base_url());
    let first_ids = stored_ids(dir.path(), &store, before["scan_id"].as_str().unwrap());
    let second_ids = stored_ids(dir.path(), &store, after["scan_id"].as_str().unwrap());
    let appeared: Vec<String> = second_ids
        .iter()
        .filter(|i| !first_ids.contains(i))
        .cloned()
        .collect();
    let gone: Vec<String> = first_ids
        .iter()
        .filter(|i| !second_ids.contains(i))
        .cloned()
        .collect();
    assert!(
        appeared.contains(&"rate-limit.ip-header-bypass".to_string()),
        "{second_ids:?}"
    );
    assert!(
        gone.contains(&"rate-limit.missing".to_string()),
        "{first_ids:?}"
    );
    assert_eq!(ids(&after["new"]), appeared);
    assert_eq!(ids(&after["fixed"]), gone);
    assert!(
        after["gate"].as_str().unwrap().contains("regression"),
        "{after:#}"
    );
    for t in &steady {
        let r = row(&second_json, &t.base_url());
        assert_eq!(ids(&r["new"]), Vec::<String>::new(), "{r:#}");
        assert_eq!(ids(&r["fixed"]), Vec::<String>::new(), "{r:#}");
        assert!(r["gate"].is_null(), "{r:#}");
    }

    // History says the same, from the store alone.
    let history = keyhole(
        dir.path(),
        &["history", "--store", &store, "--format", "json"],
    );
    assert!(history.status.success(), "{}", stderr(&history));
    let h = stdout_json(&history);
    assert_eq!(h["targets"].as_array().unwrap().len(), 4);
    let ch = row(&h, &changed.base_url());
    assert_eq!(ch["scans"].as_array().unwrap().len(), 2);
    assert_eq!(ids(&ch["new"]), appeared);
    assert_eq!(ids(&ch["fixed"]), gone);
    for t in &steady {
        let r = row(&h, &t.base_url());
        assert_eq!(r["scans"].as_array().unwrap().len(), 2);
        assert!(
            ids(&r["new"]).is_empty() && ids(&r["fixed"]).is_empty(),
            "{r:#}"
        );
    }
    // One target, pretty: the trend and the change by name.
    let pretty = keyhole(
        dir.path(),
        &["history", &changed.base_url(), "--store", &store],
    );
    let text = String::from_utf8_lossy(&pretty.stdout);
    assert!(pretty.status.success(), "{}", stderr(&pretty));
    assert!(text.contains("fixed  rate-limit.missing"), "{text}");
    assert!(
        text.contains("new    rate-limit.ip-header-bypass"),
        "{text}"
    );
    assert!(!text.contains(&steady[0].base_url()), "{text}");
    // A stored report re-rendered through the report renderers, with no network.
    drop(changed);
    let sarif = keyhole(
        dir.path(),
        &[
            "history",
            &format!("http://127.0.0.1:{port}"),
            "--store",
            &store,
            "--report",
            "latest",
            "--format",
            "sarif",
        ],
    );
    assert!(sarif.status.success(), "{}", stderr(&sarif));
    assert_eq!(stdout_json(&sarif)["version"], "2.1.0");
    let md = keyhole(
        dir.path(),
        &["history", "--store", &store, "--format", "markdown"],
    );
    assert!(String::from_utf8_lossy(&md.stdout).contains("| Target | Scores |"));
}

#[test]
fn a_file_that_is_not_a_store_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let target = Target::start("limited_json");
    write_targets(dir.path(), &[target.base_url()], "");
    // A real store with one scan in it, then damaged past its header.
    let good = dir.path().join("good.db");
    let store = format!("sqlite:{}", good.display());
    let out = keyhole(
        dir.path(),
        &["fleet", "targets.toml", "--store", &store, "-q"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let junk = dir.path().join("notes.db");
    let bytes = b"meeting notes, not a database\n".repeat(100);
    std::fs::write(&junk, &bytes).unwrap();
    for args in [
        vec!["fleet", "targets.toml", "--store"],
        vec!["history", "--store"],
        vec!["scan", &target.base_url(), "--store"],
    ] {
        let mut args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        args.push(format!("sqlite:{}", junk.display()));
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = keyhole(dir.path(), &argv);
        assert_eq!(out.status.code(), Some(2), "{argv:?}: {}", stderr(&out));
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains("is not a keyhole history store"), "{err}");
        assert!(out.stdout.is_empty(), "nothing on stdout: {argv:?}");
        assert!(
            std::fs::read(&junk).unwrap() == bytes,
            "{argv:?} changed the file"
        );
    }
    // Another program's SQLite database is not written into either.
    let foreign = dir.path().join("app.db");
    let sqlite_ok = Command::new("python3")
        .args([
            "-c",
            "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('create table users(id)'); c.commit()",
            foreign.to_str().unwrap(),
        ])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if sqlite_ok {
        let before = std::fs::read(&foreign).unwrap();
        let out = keyhole(
            dir.path(),
            &[
                "history",
                "--store",
                &format!("sqlite:{}", foreign.display()),
            ],
        );
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(stderr(&out).contains("another program"), "{}", stderr(&out));
        assert!(
            std::fs::read(&foreign).unwrap() == before,
            "the foreign database was changed"
        );
    }
    // The good store still holds its scan.
    let h = keyhole(
        dir.path(),
        &["history", "--store", &store, "--format", "json"],
    );
    assert!(h.status.success(), "{}", stderr(&h));
    assert_eq!(
        stdout_json(&h)["targets"][0]["scans"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn an_unreachable_postgres_is_one_line_and_no_scan() {
    let dir = tempfile::tempdir().unwrap();
    let target = Target::start("limited_json");
    write_targets(dir.path(), &[target.base_url()], "");
    // A port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let pg = format!("postgres://keyhole:s3cret@127.0.0.1:{port}/keyhole");
    for args in [
        vec!["fleet", "targets.toml", "--store", &pg],
        vec!["history", "--store", &pg],
        vec!["worker", "--store", &pg],
        vec!["fleet", "targets.toml", "--enqueue", "--store", &pg],
    ] {
        let started = std::time::Instant::now();
        let out = keyhole(dir.path(), &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains("cannot open the history store"), "{err}");
        assert!(
            !err.contains("s3cret"),
            "the password is never shown: {err}"
        );
        assert!(
            started.elapsed().as_secs() < 30,
            "{args:?} took {:?}",
            started.elapsed()
        );
    }
    // The store is opened before any scan: the target saw no request.
    assert!(!target.log().contains("POST"), "{}", target.log());
}

#[test]
fn a_bad_targets_file_fails_whole_before_any_scan() {
    let dir = tempfile::tempdir().unwrap();
    let target = Target::start("limited_json");
    std::fs::write(
        dir.path().join("targets.toml"),
        format!(
            "[[target]]\nurl = \"{}\"\n\n[[target]]\nurl = \"{}/v2\"\nmax-requets = 10\n",
            target.base_url(),
            target.base_url()
        ),
    )
    .unwrap();
    let out = keyhole(dir.path(), &["fleet", "targets.toml"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("target 2") && err.contains("max-requets"),
        "{err}"
    );
    assert!(
        !dir.path().join("keyhole.db").exists(),
        "no store is created for a bad file"
    );
    assert!(!target.log().contains("POST"), "{}", target.log());
    std::fs::write(
        dir.path().join("good.toml"),
        format!("[[target]]\nurl = \"{}\"\n", target.base_url()),
    )
    .unwrap();
    for (args, want) in [
        (vec!["fleet", "missing.toml"], "cannot read targets file"),
        (vec!["fleet", "good.toml", "--parallel", "0"], "--parallel"),
        (
            vec!["fleet", "good.toml", "--format", "sarif"],
            "pretty, json or markdown",
        ),
        (
            vec!["fleet", "good.toml", "--enqueue"],
            "--enqueue needs a shared PostgreSQL",
        ),
        (
            vec!["fleet", "good.toml", "--fail-under", "Q"],
            "--fail-under",
        ),
        (vec!["history"], "no history store"),
        (
            vec!["worker", "--store", "sqlite:x.db"],
            "needs the shared PostgreSQL store",
        ),
        (vec!["history", "--since", "last tuesday"], "--since"),
    ] {
        let out = keyhole(dir.path(), &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
    }
}

#[test]
fn one_origin_is_never_scanned_twice_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let shared = Target::start("limited_json");
    let other = Target::start("naive_form");
    // Three targets on one origin (paths differ, so they are three APIs in the history), and one
    // elsewhere; four slots.
    write_targets(
        dir.path(),
        &[
            shared.base_url(),
            shared.url("/api"),
            shared.url("/v2"),
            other.base_url(),
        ],
        "max-requests = 60\n",
    );
    let store = format!("sqlite:{}", dir.path().join("h.db").display());
    let out = keyhole(
        dir.path(),
        &[
            "fleet",
            "targets.toml",
            "--store",
            &store,
            "--parallel",
            "4",
            "--format",
            "json",
            "-q",
        ],
    );
    assert!(
        out.status.code() == Some(0) || out.status.code() == Some(1),
        "{}",
        stderr(&out)
    );
    let v = stdout_json(&out);
    let rows = v["targets"].as_array().unwrap();
    assert_eq!(rows.len(), 4);
    let span = |r: &Value| {
        let s = r["started_ms"].as_u64().unwrap();
        (s, s + r["duration_ms"].as_u64().unwrap())
    };
    let same: Vec<(u64, u64)> = rows[..3].iter().map(span).collect();
    for (i, a) in same.iter().enumerate() {
        for b in &same[i + 1..] {
            assert!(
                a.1 <= b.0 || b.1 <= a.0,
                "scans of one origin overlapped: {same:?}"
            );
        }
    }
    // The target on the other origin did not wait for them.
    let (o_start, _) = span(&rows[3]);
    assert!(
        o_start < same.iter().map(|s| s.1).min().unwrap(),
        "{same:?} then {o_start}"
    );
}

#[test]
fn a_guessed_account_gets_three_attempts_across_back_to_back_scans() {
    let dir = tempfile::tempdir().unwrap();
    let target = Target::start("verbose_json");
    write_targets(dir.path(), &[target.base_url()], "");
    let store = format!("sqlite:{}", dir.path().join("h.db").display());
    let mut scan_ids = Vec::new();
    for _ in 0..2 {
        let out = keyhole(
            dir.path(),
            &[
                "fleet",
                "targets.toml",
                "--store",
                &store,
                "--format",
                "json",
                "-q",
            ],
        );
        assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
        scan_ids.push(
            stdout_json(&out)["targets"][0]["scan_id"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    let report = |id: &str| {
        let out = keyhole(
            dir.path(),
            &[
                "history", "--store", &store, "--report", id, "--format", "json",
            ],
        );
        stdout_json(&out)
    };
    let (first, second) = (report(&scan_ids[0]), report(&scan_ids[1]));
    let tried = |r: &Value, name: &str| r["stats"]["guessed_attempts"][name].as_u64().unwrap_or(0);
    let guessed = first["stats"]["guessed_attempts"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    assert!(
        !guessed.is_empty(),
        "the first scan tried guessed accounts: {:#}",
        first["stats"]
    );
    for name in guessed.keys() {
        assert!(
            tried(&first, name) + tried(&second, name) <= 3,
            "{name}: {:#} then {:#}",
            first["stats"],
            second["stats"]
        );
    }
    // The first scan found the enumeration through a guessed account; the second could not
    // re-check it, and says so rather than calling it fixed.
    let ids_of = |r: &Value| -> Vec<String> {
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(ids_of(&first).contains(&"auth.user-enumeration.response".to_string()));
    let incomplete = second["incomplete"].as_array().unwrap();
    assert!(
        incomplete.iter().any(|i| i["reason"]
            .as_str()
            .unwrap()
            .contains("earlier scans of this target")),
        "{incomplete:#?}"
    );
    let h = keyhole(
        dir.path(),
        &["history", "--store", &store, "--format", "json"],
    );
    let row = &stdout_json(&h)["targets"][0];
    assert!(
        ids(&row["fixed"]).is_empty(),
        "nothing is called fixed that was not re-checked: {row:#}"
    );
}

/// A URL with nothing listening on it: a port bound, then let go.
fn closed_url() -> String {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    format!("http://{closed}")
}

/// The one failed run `keyhole history` lists for `url`, a target with no scan: its reason.
fn only_failed_run(dir: &Path, store: &str, url: &str) -> String {
    let out = keyhole(dir, &["history", "--store", store, "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let h = stdout_json(&out);
    let t = row(&h, url);
    assert_eq!(t["scans"].as_array().unwrap().len(), 0, "{t:#}");
    let failed = t["failed"].as_array().unwrap();
    assert_eq!(failed.len(), 1, "{t:#}");
    failed[0]["reason"].as_str().unwrap().to_string()
}

/// `keyhole scan --store` that cannot reach its target fails as before (exit 2, the reason on
/// stderr), and the store keeps the failed run beside the scans, as a fleet's: a scan run from
/// cron shows up in history when its target was down.
#[test]
fn a_stored_scan_that_cannot_reach_its_target_shows_up_in_history_as_a_failed_run() {
    let dir = tempfile::tempdir().unwrap();
    let url = closed_url();
    let store = format!("sqlite:{}", dir.path().join("h.db").display());
    let out = keyhole(dir.path(), &["scan", &url, "--store", &store, "-q"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("unreachable"), "{}", stderr(&out));
    assert!(out.stdout.is_empty(), "no half report on stdout");
    let reason = only_failed_run(dir.path(), &store, &url);
    assert!(reason.contains("unreachable"), "{reason}");
}

/// A target a fleet cannot scan is remembered in the store beside the scans: `keyhole history`
/// lists it as a failed run with its reason, even with no successful scan.
#[test]
fn a_target_the_fleet_cannot_reach_shows_up_in_history_as_a_failed_run() {
    let dir = tempfile::tempdir().unwrap();
    let url = closed_url();
    std::fs::write(
        dir.path().join("targets.toml"),
        format!("[[target]]\nurl = \"{url}\"\n"),
    )
    .unwrap();
    let store = format!("sqlite:{}", dir.path().join("h.db").display());
    let out = keyhole(dir.path(), &["fleet", "targets.toml", "--store", &store]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let reason = only_failed_run(dir.path(), &store, &url);
    assert!(
        reason.contains(&url) || reason.contains("connect"),
        "{reason}"
    );
}
