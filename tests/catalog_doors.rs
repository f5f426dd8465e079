//! The product catalog as a mechanism, against small axum servers that count every request:
//! a user's entry (`--catalog DIR`) recognises a product no link names (a blind probe under a
//! sub-path mount), its JSON door with a nested identifier and a CSRF token from the page's
//! script is confirmed although its usual rejection speaks of locks (the entry's prior), the
//! endpoint carries the product and the remediation is the product's own; no password ever
//! sent is a common default. A site the catalog does not know costs at most ten requests more.

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use keyhole::config::{Overrides, ScanConfig, Verbosity};
use keyhole::report::{Report, SurfaceSource};

/// Passwords products ship with or people keep: keyhole never sends one.
const COMMON_DEFAULTS: &[&str] = &[
    "admin",
    "password",
    "changeme",
    "root",
    "toor",
    "123456",
    "12345678",
    "guest",
    "tomcat",
    "s3cret",
    "manager",
    "administrator",
    "letmein",
    "default",
    "secret",
    "pass",
    "admin123",
    "Password1",
    "welcome",
    "zabbix",
    "prom-operator",
    "raspberry",
    "ubnt",
    "jenkins",
    "1234",
    "qwerty",
    "test",
    "user",
    "demo",
    "P@ssw0rd",
];

const TOKEN: &str = "tok-8f3a1c";

#[derive(Default)]
struct Seen {
    /// Every request: (method, path with query).
    requests: Vec<(String, String)>,
    /// Every password a sign-in attempt carried.
    passwords: Vec<String>,
    /// Sign-in attempts (a password in the nested field) without the page's CSRF token.
    missing_token: usize,
}

type Shared = Arc<Mutex<Seen>>;

async fn record(State(s): State<Shared>, uri: Uri, method: axum::http::Method) -> Response {
    s.lock()
        .unwrap()
        .requests
        .push((method.to_string(), uri.to_string()));
    match uri.path() {
        "/" => Html("<html><head><title>Welcome</title></head><body><p>Our company.</p></body></html>")
            .into_response(),
        "/acme/" => (
            [(header::SET_COOKIE, "acme_sid=s1; Path=/acme/")],
            Html(format!(
                r#"<html><head><title>Acme Console</title></head><body><div id="app"></div>
<script>window.boot({{"csrfToken": "{TOKEN}", "loginUrl": "/acme/api/session"}})</script></body></html>"#
            )),
        )
            .into_response(),
        _ => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

/// The door: JSON `{"account": {"name", "password"}, "csrf"}`, one answer for every failure
/// that speaks of locks (the product's fixed wording), never throttled.
async fn session(State(s): State<Shared>, body: Bytes) -> Response {
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let mut seen = s.lock().unwrap();
    seen.requests
        .push(("POST".into(), "/acme/api/session".into()));
    if let Some(p) = v["account"]["password"].as_str() {
        seen.passwords.push(p.to_string());
    }
    if v["csrf"] != TOKEN {
        // Only attempts count: the debug probes' broken bodies (cut JSON, wrong types) are
        // meant to fail before any check.
        if v["account"]["password"].is_string() {
            seen.missing_token += 1;
        }
        return (StatusCode::BAD_REQUEST, r#"{"error":"CSRF token missing"}"#).into_response();
    }
    if v["account"]["name"].as_str().is_none() || v["account"]["password"].as_str().is_none() {
        return (
            StatusCode::BAD_REQUEST,
            r#"{"error":"name and password are required"}"#,
        )
            .into_response();
    }
    (
        StatusCode::UNAUTHORIZED,
        [(header::CONTENT_TYPE, "application/json")],
        r#"{"error":"Sign-in failed, or the account is temporarily locked"}"#,
    )
        .into_response()
}

async fn serve(with_product: bool) -> (String, Shared) {
    let seen: Shared = Arc::default();
    let mut app = Router::new().route("/", get(record));
    if with_product {
        app = app
            .route("/acme/", get(record))
            .route("/acme/api/session", post(session));
    }
    let app = app.fallback(record).with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.ok();
    });
    (format!("http://{addr}"), seen)
}

const ENTRY: &str = r#"
id = "acme-console"
name = "Acme Console"
family = "admin-console"
docs = "https://docs.acme.invalid/hardening"
sources = ["docs: https://docs.acme.invalid/api/session"]
mounts = ["/acme/"]

[[marker]]
where = "title"
contains = "Acme Console"
weight = 2

[[probe]]
path = "/"
blind = true
[[probe.marker]]
where = "body"
contains = "window.boot("
weight = 2

[[door]]
flow = "sign-in"
method = "POST"
path = "/api/session"
kind = "json"
page = "/"
username_field = "account.name"
password_field = "account.password"
csrf = { pattern = '"csrfToken": "([^"]+)"', field = "csrf" }
rejection = { status = 401, contains = "temporarily locked" }

[remediation]
"rate-limit.missing" = "Set `login.throttle = 5/min` in acme.conf and restart the console."

[[sample]]
path = "/acme/"
status = 200
origin = "test: the acme console of tests/catalog_doors.rs"
body = "<title>Acme Console</title>"
"#;

async fn scan(base: &str, catalog: Option<&std::path::Path>) -> Report {
    let o = Overrides {
        catalog: catalog.map(|p| p.to_path_buf()),
        ..Overrides::default()
    };
    let cfg = ScanConfig::build(base, o, Verbosity::Quiet, false).unwrap();
    keyhole::pipeline::scan(cfg).await.expect("scan runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_users_entry_finds_a_door_no_link_names() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("acme-console.toml"), ENTRY).unwrap();
    let (base, seen) = serve(true).await;
    let r = scan(&base, Some(dir.path())).await;

    let e = r
        .endpoints
        .iter()
        .find(|e| e.url.ends_with("/acme/api/session"))
        .unwrap_or_else(|| panic!("door not listed: {:?} {:?}", r.endpoints, r.incomplete));
    assert_eq!(e.product.as_deref(), Some("acme-console"));
    assert_eq!(e.source, SurfaceSource::Catalog);
    assert_eq!(e.username_field.as_deref(), Some("account.name"));
    let f = r
        .findings
        .iter()
        .find(|f| f.id == "rate-limit.missing")
        .unwrap_or_else(|| panic!("{:?}", r.findings));
    assert!(
        f.remediation
            .starts_with("Acme Console (acme-console): Set `login.throttle"),
        "{}",
        f.remediation
    );
    assert!(f
        .remediation
        .contains("https://docs.acme.invalid/hardening"));
    assert!(r
        .observations
        .iter()
        .any(|o| o.kind == "product" && o.summary.contains("Acme Console")));

    let seen = seen.lock().unwrap();
    assert!(!seen.passwords.is_empty());
    for p in &seen.passwords {
        assert!(
            !COMMON_DEFAULTS.iter().any(|d| d.eq_ignore_ascii_case(p)),
            "a common default password was sent: {p}"
        );
    }
    assert_eq!(
        seen.missing_token, 0,
        "every attempt carries the token the page's script holds"
    );
    // The door's page is read once per client, not once per attempt.
    let pages = seen.requests.iter().filter(|(_, p)| p == "/acme/").count();
    assert!(
        pages * 3 < seen.passwords.len(),
        "{pages} page fetches for {} attempts",
        seen.passwords.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_site_the_catalog_does_not_know_costs_few_requests_more() {
    let (base, seen) = serve(false).await;
    let r = scan(&base, None).await;
    assert!(
        r.observations.iter().all(|o| o.kind != "product"),
        "{:?}",
        r.observations
    );
    let catalog = keyhole::catalog::Catalog::builtin().unwrap();
    let probes: std::collections::HashSet<String> = catalog
        .products
        .iter()
        .flat_map(|p| {
            p.probes
                .iter()
                .map(move |x| format!("{}{}", p.mounts[0].trim_end_matches('/'), x.path))
        })
        .collect();
    let seen = seen.lock().unwrap();
    let asked: Vec<&String> = seen
        .requests
        .iter()
        .map(|(_, p)| p)
        .filter(|p| probes.contains(*p) && p.as_str() != "/")
        .filter(|p| !keyhole::discover::WELL_KNOWN_PATHS.contains(&p.as_str()))
        .collect();
    assert!(
        asked.len()
            <= keyhole::catalog::MAX_BLIND + keyhole::discover::sources::catalog::MAX_HINT_PROBES,
        "{} catalog probes: {asked:?}",
        asked.len()
    );
}
