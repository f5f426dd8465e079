//! Timing through jitter that hits requests crossing together alike (as queues on a network
//! path do): a JSON sign-in 8 ms away whose every answer also waits a delay that wanders
//! smoothly between 0 and 24 ms with the moment the request completed, and an existing account
//! that pays 10 ms more.
//! Compared with the clock the 10 ms can vanish in the wander; attempts released together (the
//! last byte held back on each kept-alive connection, or the final frames of HTTP/2 streams in
//! one write) and compared with their own wave's random accounts find them. Without the leak
//! nothing is reported, and with the release turned off (`--no-sync`) the check either finds the
//! leak by the clock or says what it cannot see: never a pass.

mod support_h2;

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use keyhole::config::{Overrides, ScanConfig, Verbosity};
use serde_json::{json, Value};

struct Jitter {
    started: Instant,
    /// The existing account's extra work, ms.
    leak_ms: f64,
}

impl Jitter {
    /// The shared delay now: two slow waves, 0..24 ms, changing by under 0.4 ms per ms.
    fn delay_ms(&self) -> f64 {
        let t = self.started.elapsed().as_secs_f64();
        let tau = std::f64::consts::TAU;
        12.0 + 8.0 * (tau * t / 0.21).sin() + 4.0 * (tau * t / 0.077 + 1.0).sin()
    }
}

async fn login(State(j): State<Arc<Jitter>>, body: String) -> Response {
    let v: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let mut ms = j.delay_ms();
    if v["username"] == "admin" {
        ms += j.leak_ms;
    }
    tokio::time::sleep(Duration::from_secs_f64(ms / 1000.0)).await;
    (
        StatusCode::UNAUTHORIZED,
        Json(json!({"error": "invalid credentials"})),
    )
        .into_response()
}

/// The round trip every answer waits: beyond loopback, where attempts go in pairs.
const ROUND_TRIP_MS: u64 = 8;

/// ALPN offering HTTP/2 first.
const H2: &[&[u8]] = &[b"h2", b"http/1.1"];

fn app(leak_ms: f64) -> Router {
    Router::new()
        .route(
            "/",
            get(|| async { Html("<html><body><h1>Accounts</h1></body></html>") }),
        )
        .route("/api/login", post(login))
        // Every answer, whatever the path, a round trip away: the scan is across a network.
        // The round trip starts once the whole request is here (its last byte may be held
        // back): a network cannot deliver the answer before the question.
        .layer(axum::middleware::from_fn(
            |req: axum::extract::Request, next: axum::middleware::Next| async move {
                let (parts, body) = req.into_parts();
                let bytes = axum::body::to_bytes(body, 1 << 20)
                    .await
                    .unwrap_or_default();
                tokio::time::sleep(Duration::from_millis(ROUND_TRIP_MS)).await;
                next.run(axum::extract::Request::from_parts(parts, bytes.into()))
                    .await
            },
        ))
        .with_state(Arc::new(Jitter {
            started: Instant::now(),
            leak_ms,
        }))
}

async fn scan(url: &str, sync: bool) -> keyhole::report::Report {
    let o = Overrides {
        insecure: Some(true),
        no_sync: (!sync).then_some(true),
        ..Default::default()
    };
    let cfg = ScanConfig::build(url, o, Verbosity::Quiet, false).expect("config");
    keyhole::pipeline::scan(cfg).await.expect("scan")
}

fn timing(r: &keyhole::report::Report) -> Option<&keyhole::report::Finding> {
    r.findings
        .iter()
        .find(|f| f.id == "auth.user-enumeration.timing")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leak_under_shared_jitter_is_found_by_releasing_attempts_together() {
    for (alpn, method) in [(None, "last-byte"), (Some(H2), "single-packet")] {
        let url = support_h2::serve_apart(app(10.0), alpn);
        let r = scan(&url, true).await;
        let f = timing(&r).unwrap_or_else(|| {
            panic!(
                "{method}: the 10 ms leak is found; incomplete: {:?} {}",
                r.incomplete,
                serde_json::to_string(&r).unwrap()
            )
        });
        assert_eq!(f.details["method"], method, "{:?}", f.details);
        assert_eq!(f.details["compared"], "in-wave differences");
        assert_eq!(f.details["accounts"][0], "admin");
    }
    no_leak_no_finding_and_unsynchronised_timing_says_what_it_cannot_see().await;
}

/// One after the other: scans running side by side would share the machine's jitter.
async fn no_leak_no_finding_and_unsynchronised_timing_says_what_it_cannot_see() {
    let url = support_h2::serve_apart(app(0.0), None);
    let r = scan(&url, true).await;
    assert!(timing(&r).is_none(), "no leak: {:?}", timing(&r));

    // Compared with the clock, the wander may or may not hide the leak; what the scan may not
    // do is pass without saying how little it could see.
    let url = support_h2::serve_apart(app(10.0), None);
    let r = scan(&url, false).await;
    match timing(&r) {
        Some(f) => assert_eq!(f.details["method"], "sequential"),
        None => {
            let why = r
                .incomplete
                .iter()
                .find(|i| i.check == "auth.user-enumeration.timing");
            assert!(why.is_some(), "not a pass: {:?}", r.incomplete);
        }
    }
}
