//! HTTP/2 in the engine: a sign-in served over TLS by a server that offers h2 and http/1.1
//! through ALPN is spoken to in HTTP/2, one that offers http/1.1 only in HTTP/1.1, and a
//! cleartext server in HTTP/2 only with `--http2-prior-knowledge`. The report's endpoints say
//! which (`"http": "2"` or `"1.1"`), and the safety promises count streams as requests: never
//! more in flight than `--concurrency`, never more than `--max-requests`.

mod support_h2;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::{Request, State};
use axum::http::{StatusCode, Version};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use keyhole::config::{Overrides, ScanConfig, Verbosity};
use serde_json::json;

#[derive(Default)]
struct Seen {
    versions: Mutex<Vec<Version>>,
    agents: Mutex<Vec<String>>,
    now: AtomicUsize,
    most: AtomicUsize,
}

type Shared = Arc<Seen>;

/// A JSON sign-in that never throttles and answers every failure alike, 5 ms after the request.
async fn login(State(s): State<Shared>) -> Response {
    let now = s.now.fetch_add(1, Ordering::SeqCst) + 1;
    s.most.fetch_max(now, Ordering::SeqCst);
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    s.now.fetch_sub(1, Ordering::SeqCst);
    (
        StatusCode::UNAUTHORIZED,
        Json(json!({"error": "invalid credentials"})),
    )
        .into_response()
}

/// Every request's protocol and User-Agent, before routing.
async fn record(State(s): State<Shared>, req: Request, next: axum::middleware::Next) -> Response {
    s.versions.lock().unwrap().push(req.version());
    let ua = req
        .headers()
        .get("user-agent")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    s.agents.lock().unwrap().push(ua);
    next.run(req).await
}

fn app(seen: Shared) -> Router {
    Router::new()
        .route(
            "/",
            get(|| async { Html("<html><body><h1>Accounts</h1></body></html>") }),
        )
        .route("/api/login", post(login))
        .layer(axum::middleware::from_fn_with_state(seen.clone(), record))
        .with_state(seen)
}

async fn serve(alpn: Option<&[&[u8]]>) -> (String, Shared) {
    let seen: Shared = Arc::default();
    (support_h2::serve(app(seen.clone()), alpn).await, seen)
}

async fn scan(url: &str, o: Overrides) -> keyhole::report::Report {
    let cfg = ScanConfig::build(url, o, Verbosity::Quiet, false).expect("config");
    keyhole::pipeline::scan(cfg).await.expect("scan")
}

fn endpoint_http(r: &keyhole::report::Report) -> Option<String> {
    r.endpoints
        .iter()
        .find(|e| e.url.ends_with("/api/login"))
        .unwrap_or_else(|| panic!("the sign-in is listed: {:?}", r.endpoints))
        .http
        .clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_with_h2_offered_is_spoken_in_http2_and_streams_count_as_requests() {
    let (url, seen) = serve(Some(&[b"h2", b"http/1.1"])).await;
    let report = scan(
        &url,
        Overrides {
            insecure: Some(true),
            concurrency: Some(3),
            max_requests: Some(250),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(endpoint_http(&report).as_deref(), Some("2"));
    let versions = seen.versions.lock().unwrap().clone();
    assert!(!versions.is_empty());
    assert!(
        versions.iter().all(|v| *v == Version::HTTP_2),
        "every request over HTTP/2: {versions:?}"
    );
    assert!(versions.len() <= 250, "{} requests", versions.len());
    assert_eq!(versions.len() as u32, report.stats.requests);
    let most = seen.most.load(Ordering::SeqCst);
    assert!(
        most <= 3,
        "{most} sign-in streams in flight at once, --concurrency 3"
    );
    assert!(
        most >= 2,
        "streams do go out together ({most} at most): the test must be able to fail"
    );
    assert!(seen
        .agents
        .lock()
        .unwrap()
        .iter()
        .all(|a| a.to_ascii_lowercase().contains("keyhole")));
    assert!(report.findings.iter().any(|f| f.id == "rate-limit.missing"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_offering_http1_only_is_spoken_in_http1() {
    let (url, seen) = serve(Some(&[b"http/1.1"])).await;
    let report = scan(
        &url,
        Overrides {
            insecure: Some(true),
            max_requests: Some(150),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(endpoint_http(&report).as_deref(), Some("1.1"));
    let versions = seen.versions.lock().unwrap().clone();
    assert!(versions.iter().all(|v| *v == Version::HTTP_11));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cleartext_is_http1_unless_prior_knowledge_is_asked() {
    let (url, seen) = serve(None).await;
    let plain = scan(
        &url,
        Overrides {
            max_requests: Some(150),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(endpoint_http(&plain).as_deref(), Some("1.1"));
    assert!(seen
        .versions
        .lock()
        .unwrap()
        .iter()
        .all(|v| *v == Version::HTTP_11));

    let (url, seen) = serve(None).await;
    let h2c = scan(
        &url,
        Overrides {
            max_requests: Some(150),
            http2_prior_knowledge: Some(true),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(endpoint_http(&h2c).as_deref(), Some("2"));
    assert!(seen
        .versions
        .lock()
        .unwrap()
        .iter()
        .all(|v| *v == Version::HTTP_2));
}
