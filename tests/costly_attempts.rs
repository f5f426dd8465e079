//! Sign-ins where every attempt is expensive: fewer, better-placed attempts, and decisions as
//! soon as they are certain.
//!
//! - One that works hard on every failure, as a slow password hash on a two-core machine does:
//!   each attempt holds one of two "cores" for 120 ms, so four at once take twice as long as
//!   one. The scan sends what its checks need (20 attempts of each volume pattern, the timing
//!   pool, three guesses) and no filler.
//! - One that answers one request at a time after a long wait (400 ms), as a single synchronous
//!   worker that sleeps on every failure does: that wait already limits every client, which the
//!   first wave of the sample shows, so no volume burst is run and the timing check says what
//!   it cannot see.

mod support_h2;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use keyhole::config::{Overrides, ScanConfig, Verbosity};
use serde_json::{json, Value};
use tokio::sync::Semaphore;

struct Server {
    /// What one failure occupies: a core of a busy machine, or the one worker.
    cores: Semaphore,
    work: Duration,
    /// Sign-in attempts (a username and a password) per account.
    attempts: Mutex<HashMap<String, usize>>,
    /// Each attempt's account and when it came (ms since the server started), for messages.
    log: Mutex<Vec<(u128, String)>>,
    started: std::time::Instant,
}

async fn login(State(s): State<Arc<Server>>, body: String) -> Response {
    let v: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let (Some(user), Some(_)) = (v["username"].as_str(), v["password"].as_str()) else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "username and password are required"})),
        )
            .into_response();
    };
    *s.attempts
        .lock()
        .unwrap()
        .entry(user.to_string())
        .or_default() += 1;
    s.log
        .lock()
        .unwrap()
        .push((s.started.elapsed().as_millis(), user.to_string()));
    let _held = s.cores.acquire().await.unwrap();
    tokio::time::sleep(s.work).await;
    (
        StatusCode::UNAUTHORIZED,
        Json(json!({"error": "invalid credentials"})),
    )
        .into_response()
}

fn app(server: Arc<Server>) -> Router {
    Router::new()
        .route(
            "/",
            get(|| async { Html("<html><body><h1>Accounts</h1></body></html>") }),
        )
        .route("/api/login", post(login))
        .with_state(server)
}

fn server(cores: usize, work_ms: u64) -> Arc<Server> {
    Arc::new(Server {
        cores: Semaphore::new(cores),
        work: Duration::from_millis(work_ms),
        attempts: Mutex::new(HashMap::new()),
        log: Mutex::new(Vec::new()),
        started: std::time::Instant::now(),
    })
}

/// Start a server whose failures each hold one of `cores` for `work_ms`, scan it with the
/// defaults, and return the server (its counts), the report and the report as JSON.
async fn scan_server(cores: usize, work_ms: u64) -> (Arc<Server>, keyhole::report::Report, String) {
    let s = server(cores, work_ms);
    let url = support_h2::serve_apart(app(s.clone()), None);
    let cfg =
        ScanConfig::build(&url, Overrides::default(), Verbosity::Quiet, false).expect("config");
    let r = keyhole::pipeline::scan(cfg).await.expect("scan");
    let report = serde_json::to_string(&r).unwrap();
    (s, r, report)
}

fn total(s: &Server) -> usize {
    s.attempts.lock().unwrap().values().sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_in_that_works_hard_on_every_attempt_gets_only_the_attempts_its_checks_need() {
    let (s, r, report) = scan_server(2, 120).await;
    let missing = r
        .findings
        .iter()
        .find(|f| f.id == "rate-limit.missing")
        .unwrap_or_else(|| panic!("never throttled: {report}"));
    let many = missing.details["many_account_attempts"].as_u64().unwrap();
    let one = missing.details["one_account_attempts"].as_u64().unwrap();
    assert!(
        many >= 20 && one >= 20,
        "each pattern decides on 20: {many} / {one}"
    );
    // Before: ~95 attempts (a full spray burst, filler accounts in every wave of the sample,
    // the second look one attempt at a time). Now both patterns' 20 and the timing pool, which
    // the many-account pattern shares.
    let sent = total(&s);
    assert!(sent <= 48, "{sent} attempts: {:?}", s.log.lock().unwrap());
    assert!(
        !r.findings
            .iter()
            .any(|f| f.id == "auth.user-enumeration.timing"),
        "no leak: {report}"
    );
    let guessed = s.attempts.lock().unwrap();
    for c in ["admin", "administrator", "root"] {
        assert!(
            guessed.get(c).is_some_and(|&n| (1..=3).contains(&n)),
            "{c}: {guessed:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_one_at_a_time_sign_in_that_waits_long_is_decided_from_its_first_wave() {
    let (s, r, report) = scan_server(1, 400).await;
    assert!(
        !r.findings.iter().any(|f| f.id == "rate-limit.missing"),
        "the wait limits every client: {report}"
    );
    assert!(
        r.observations
            .iter()
            .any(|o| o.kind == "delay" && o.summary.contains("limits each client")),
        "{report}"
    );
    let timing = r
        .incomplete
        .iter()
        .find(|i| i.check == "auth.user-enumeration.timing")
        .unwrap_or_else(|| panic!("timing cannot pass here: {report}"));
    assert!(
        timing.reason.contains("one request at a time"),
        "{}",
        timing.reason
    );
    // Before: every volume burst one at a time (~180 requests, 85 s at 1 s a try). Now the
    // confirmation, the calibration wave and each guess once.
    let sent = total(&s);
    assert!(sent <= 16, "{sent} attempts: {:?}", s.log.lock().unwrap());
}
