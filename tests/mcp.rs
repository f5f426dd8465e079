//! `keyhole mcp` driven from outside the project by the official MCP Python SDK's client
//! (tests/mcp/client.py, in .venv-mcp made by scripts/setup-targets), as an assistant would:
//! the four tools listed with usable schemas, a scan of the vulnerable demo API with progress,
//! its report in all six formats, a host outside the allow list refused, `explain`, `history`
//! from the store, and a running scan cancelled part-way (the target stops seeing requests).

mod ci_support;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ci_support::*;
use serde_json::Value;

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

/// A sign-in API that answers every request after 300 ms: a scan of it runs for a long while.
struct Slow {
    url: String,
    requests: Arc<AtomicU32>,
    /// When the latest request arrived (seconds since the epoch).
    last: Arc<Mutex<f64>>,
}

fn slow_server() -> Slow {
    let requests = Arc::new(AtomicU32::new(0));
    let last = Arc::new(Mutex::new(0.0));
    let (r, l) = (requests.clone(), last.clone());
    let app = axum::Router::new().fallback(move || {
        let (r, l) = (r.clone(), l.clone());
        async move {
            r.fetch_add(1, Ordering::SeqCst);
            *l.lock().unwrap() = now();
            tokio::time::sleep(Duration::from_millis(300)).await;
            (
                axum::http::StatusCode::UNAUTHORIZED,
                axum::Json(serde_json::json!({"error": "invalid credentials"})),
            )
        }
    });
    let listener = runtime()
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    runtime().spawn(async move { axum::serve(listener, app).await });
    Slow {
        url,
        requests,
        last,
    }
}

fn python() -> PathBuf {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv-mcp/bin/python");
    assert!(
        p.is_file(),
        "{} is missing: run scripts/setup-targets (it installs the MCP Python SDK)",
        p.display()
    );
    p
}

#[test]
fn an_mcp_client_lists_scans_reports_refuses_explains_and_cancels() {
    let demo = demo(false);
    let slow = slow_server();
    let dir = tempfile::tempdir().unwrap();
    let store = format!("sqlite:{}", dir.path().join("history.db").display());
    let client = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/mcp/client.py");
    let out = Command::new(python())
        .arg(&client)
        .args(["--keyhole", env!("CARGO_BIN_EXE_keyhole")])
        .args([
            "--target", &demo.url, "--slow", &slow.url, "--store", &store,
        ])
        .arg("--cwd")
        .arg(dir.path())
        .stdin(Stdio::null())
        .output()
        .expect("the MCP client runs");
    let server_log =
        std::fs::read_to_string(dir.path().join("mcp-server.stderr")).unwrap_or_default();
    assert!(
        out.status.success(),
        "client failed: {}\nserver stderr: {server_log}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen: Value = serde_json::from_slice(&out.stdout).expect("the client prints JSON");

    // The four tools, each described, with a schema an assistant can fill in.
    assert_eq!(seen["server"], "keyhole");
    let tools = seen["tools"].as_object().unwrap();
    let names: BTreeSet<&str> = tools.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        BTreeSet::from(["explain", "history", "report", "scan"])
    );
    for (name, t) in tools {
        assert!(
            t["description"].as_str().unwrap().len() > 100,
            "{name}: {t}"
        );
    }
    assert_eq!(tools["scan"]["required"], serde_json::json!(["url"]));
    let scan_props: Vec<&str> = tools["scan"]["properties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(scan_props.contains(&"max_requests"), "{scan_props:?}");
    for forbidden in [
        "password", "username", "output", "config", "baseline", "catalog",
    ] {
        assert!(
            !scan_props.iter().any(|p| p.contains(forbidden)),
            "scan takes {forbidden}: {scan_props:?}"
        );
    }
    assert_eq!(tools["explain"]["required"], serde_json::json!(["id"]));

    // The scan: grade, score, findings and an id.
    let scan = &seen["scan"];
    assert_eq!(scan["is_error"], false, "{scan}");
    let s = &scan["structured"];
    let grade = s["grade"].as_str().unwrap();
    let score = s["score"].as_u64().unwrap();
    assert!(["A", "B", "C", "D", "F"].contains(&grade), "{s}");
    assert!(score < 90, "the vulnerable demo scored {score}");
    let found: BTreeSet<String> = s["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect();
    for id in ALWAYS_IDS {
        assert!(found.contains(id), "{id} missing from {found:?}");
    }
    let id = s["id"].as_str().unwrap();
    assert_eq!(id.len(), 16, "{id}");
    assert!(
        s["stored_in"].as_str().unwrap().contains("history.db"),
        "{s}"
    );
    let text = scan["text"].as_str().unwrap();
    assert!(
        text.contains(&format!("grade {grade}")) && text.contains(id),
        "{text}"
    );
    // Progress notifications arrived, counting requests against the cap.
    let progress = seen["progress"].as_array().unwrap();
    assert!(!progress.is_empty(), "no progress notifications");
    assert!(progress.iter().all(|p| p["total"] == 250.0), "{progress:?}");
    let values: Vec<f64> = progress
        .iter()
        .map(|p| p["progress"].as_f64().unwrap())
        .collect();
    assert!(values.windows(2).all(|w| w[0] <= w[1]), "{values:?}");

    // The report, in every format.
    let reports = &seen["reports"];
    for fmt in ["markdown", "json", "pretty", "sarif", "junit", "html"] {
        assert_eq!(reports[fmt]["is_error"], false, "{fmt}: {}", reports[fmt]);
    }
    let json: Value = serde_json::from_str(reports["json"]["text"].as_str().unwrap()).unwrap();
    assert_eq!(json["schema_version"], 1);
    assert_eq!(json["score"].as_u64().unwrap(), score);
    assert!(reports["html"]["text"]
        .as_str()
        .unwrap()
        .starts_with("<!DOCTYPE html>"));
    assert!(reports["sarif"]["text"]
        .as_str()
        .unwrap()
        .contains("\"version\": \"2.1.0\""));
    assert!(reports["markdown"]["text"]
        .as_str()
        .unwrap()
        .contains("rate-limit.missing"));
    assert_eq!(seen["report_unknown"]["is_error"], true);

    // Hosts outside the allow list are refused at once, saying which setting to change.
    for key in ["refusal", "refusal_name"] {
        let r = &seen[key];
        assert_eq!(r["is_error"], true, "{r}");
        let t = r["text"].as_str().unwrap();
        assert!(t.contains("--allow") && t.contains("[mcp]"), "{t}");
        assert!(t.contains("loopback only"), "{t}");
    }
    assert!(seen["refusal"]["seconds"].as_f64().unwrap() < 2.0);
    assert_eq!(seen["extra_argument"]["is_error"], true);

    // explain answers; an unknown id is an error listing the ids.
    let e = seen["explain"]["text"].as_str().unwrap();
    assert_eq!(seen["explain"]["is_error"], false);
    assert!(
        e.contains("## Why it matters") && e.contains("(Flask)"),
        "{e}"
    );
    assert!(e.contains("Flask-Limiter") || e.contains("flask"), "{e}");
    assert_eq!(seen["explain_unknown"]["is_error"], true);
    assert!(seen["explain_unknown"]["text"]
        .as_str()
        .unwrap()
        .contains("rate-limit.missing"));

    // history reads the scan back from the store.
    let h: Value = serde_json::from_str(seen["history"]["text"].as_str().unwrap()).unwrap();
    assert_eq!(h["targets"][0]["target"].as_str().unwrap(), demo.url);
    assert_eq!(h["targets"][0]["scans"][0]["id"].as_str().unwrap(), id);

    // Without a store, a session's second scan of one API gives no guessed account more than
    // the first left of its 3 attempts.
    let bare = seen["bare_attempts"].as_array().unwrap();
    assert_eq!(bare.len(), 2);
    let first = bare[0].as_object().unwrap();
    assert!(!first.is_empty(), "the first scan tried no guessed account");
    let mut total: std::collections::BTreeMap<&str, u64> = Default::default();
    for scan in bare {
        for (name, n) in scan.as_object().unwrap() {
            *total.entry(name).or_default() += n.as_u64().unwrap();
        }
    }
    assert!(total.values().all(|&n| n <= 3), "{total:?}");

    // The owned account's password never appears in a tool result.
    assert_eq!(seen["secret_in_results"], false);

    // Cancelled part-way: the slow target saw requests, then none after the cancellation.
    let c = &seen["cancel"];
    assert_eq!(c["cancelled"], true, "{c}");
    let sent = slow.requests.load(Ordering::SeqCst);
    assert!(sent > 0, "the cancelled scan never started");
    let last = *slow.last.lock().unwrap();
    let cancelled_at = c["at"].as_f64().unwrap();
    assert!(
        last < cancelled_at + 0.5,
        "a request arrived {:.2} s after the cancellation ({sent} in all)",
        last - cancelled_at
    );
    assert!(seen["done_at"].as_f64().unwrap() - cancelled_at >= 2.0);
    assert_eq!(seen["after_cancel"]["is_error"], false);
}

#[test]
fn mcp_refuses_a_bad_allow_entry_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = keyhole_in(dir.path(), &["mcp", "--allow", "http://api.example.com"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("*.example.com"), "{err}");
    std::fs::write(
        dir.path().join("keyhole.toml"),
        "[mcp]\nallow = [\"*.com\"]\n",
    )
    .unwrap();
    let out = keyhole_in(dir.path(), &["mcp"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("mcp.allow in keyhole.toml"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn explain_on_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = keyhole_in(
        dir.path(),
        &[
            "explain",
            "auth.user-enumeration.timing",
            "--framework",
            "django",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let md = stdout(&out);
    assert!(md.starts_with("# auth.user-enumeration.timing"), "{md}");
    assert!(md.contains("## How to fix it (Django)"), "{md}");
    let list = stdout(&keyhole_in(dir.path(), &["explain", "--list"]));
    assert!(list.lines().any(|l| l == "rate-limit.missing"), "{list}");
    let bad = keyhole_in(dir.path(), &["explain", "rate-limit.mising"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("rate-limit.missing"));
}
