//! A tarpit still at its maximum from a scan minutes earlier is named in the rate-limit verdict
//! when the history store shows that scan, instead of reading as a constant delay.
//!
//! The target is a real axum sign-in whose every failure from a client waits 40 ms more than the
//! one before, up to 450 ms, and which forgets nothing during the test (as a limiter with a
//! window of minutes would not).

mod ci_support;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::ConnectInfo;
use ci_support::*;
use serde_json::Value;

const STEP_MS: u64 = 40;
const MAX_MS: u64 = 450;

fn tarpit_server() -> String {
    let failures: Arc<Mutex<HashMap<std::net::IpAddr, u64>>> = Arc::default();
    let login = move |ConnectInfo(peer): ConnectInfo<SocketAddr>| {
        let failures = failures.clone();
        async move {
            let wait = {
                let mut f = failures.lock().unwrap();
                let n = f.entry(peer.ip()).or_insert(0);
                *n += 1;
                (*n * STEP_MS).min(MAX_MS)
            };
            tokio::time::sleep(Duration::from_millis(wait)).await;
            (
                axum::http::StatusCode::UNAUTHORIZED,
                axum::Json(serde_json::json!({"error": "invalid username or password"})),
            )
        }
    };
    let app = axum::Router::new().route("/api/login", axum::routing::post(login));
    let listener = runtime()
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    runtime().spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
    });
    url
}

fn scan(dir: &std::path::Path, url: &str, store: Option<&str>) -> Value {
    let mut args = vec!["scan", url, "--format", "json", "--quiet"];
    if let Some(s) = store {
        args.extend(["--store", s]);
    }
    let out = keyhole_in(dir, &args);
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{}",
        stderr(&out)
    );
    serde_json::from_str(&stdout(&out)).expect("a JSON report")
}

fn ids(r: &Value) -> Vec<String> {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect()
}

fn text(r: &Value, key: &str) -> String {
    r[key].to_string()
}

#[test]
fn a_recent_scan_in_the_store_names_the_residue_instead_of_a_constant_delay() {
    let url = tarpit_server();
    let dir = tempfile::tempdir().unwrap();
    let store = format!("sqlite:{}", dir.path().join("h.db").display());

    // First scan: the delay grows from the first failure, a throttle.
    let first = scan(dir.path(), &url, Some(&store));
    assert!(
        !ids(&first).contains(&"rate-limit.missing".to_string()),
        "first scan: {:?}\n{}",
        ids(&first),
        text(&first, "observations")
    );

    // Second scan, at once, with the same store: every failure waits the maximum from the
    // first. The verdict names the earlier scan, and says neither "missing" nor "constant".
    let second = scan(dir.path(), &url, Some(&store));
    assert!(
        !ids(&second).contains(&"rate-limit.missing".to_string()),
        "second scan: {:?}",
        ids(&second)
    );
    let incomplete = text(&second, "incomplete");
    assert!(
        incomplete.contains("rate-limit.missing") && incomplete.contains("residue"),
        "{incomplete}"
    );
    let history = keyhole_in(
        dir.path(),
        &["history", "--format", "json", "--store", &store],
    );
    let h: Value = serde_json::from_str(&stdout(&history)).unwrap();
    let first_id = h["targets"][0]["scans"][0]["id"].as_str().unwrap();
    assert!(incomplete.contains(first_id), "{incomplete}");
    let observations = text(&second, "observations");
    assert!(observations.contains("residue"), "{observations}");

    // The same warm tarpit without a store: nothing says a scan came before, so the delay is
    // read as constant (the case the store is there to catch; this scan reports
    // rate-limit.missing, wrongly, and only a store can tell it).
    let blind = scan(dir.path(), &url, None);
    let observations = text(&blind, "observations");
    assert!(
        observations.contains("waits about") && !observations.contains("residue"),
        "{observations}"
    );
}
