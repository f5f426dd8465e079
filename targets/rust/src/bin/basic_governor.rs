//! Ops console behind HTTP Basic authentication, limited per client address by tower_governor.
//!
//! Models a small internal axum service: `/` is a public status page, and everything under
//! `/admin` requires HTTP Basic credentials (401 with `WWW-Authenticate: Basic
//! realm="ops console"` when they are missing or wrong, with the same plain-text body either
//! way). The admin routes carry a tower_governor layer keyed on the peer address
//! (`PeerIpKeyExtractor`, the default), allowing a burst of 5 and one more request every 10
//! seconds; with `use_headers()` the 429 carries `retry-after` and `x-ratelimit-after`.
//! Credentials are compared in constant time and no hashing happens.
//!
//! A correct keyhole scan must report no findings (it should observe the 429).

use std::sync::Arc;

use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use base64::Engine as _;
use keyhole_rust_targets::{ct_eq, serve};
use tower_governor::governor::GovernorConfigBuilder;
use tower_governor::GovernorLayer;

const USERS: &[(&str, &str)] = &[("admin", "0ps-Console!"), ("operator", "night-shift-7")];

fn challenge() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, "Basic realm=\"ops console\", charset=\"UTF-8\"")],
        "401 Unauthorized: valid credentials are required\n",
    )
        .into_response()
}

fn basic_user(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ").or_else(|| value.strip_prefix("basic "))?;
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (user, pass) = decoded.split_once(':')?;
    let mut ok = false;
    for (u, p) in USERS {
        // Check every account so the time does not depend on which one matched.
        ok |= ct_eq(u.as_bytes(), user.as_bytes()) & ct_eq(p.as_bytes(), pass.as_bytes());
    }
    ok.then(|| user.to_string())
}

async fn console(headers: HeaderMap) -> Response {
    match basic_user(&headers) {
        Some(user) => Html(format!("<h1>Ops console</h1><p>Signed in as {user}</p>")).into_response(),
        None => challenge(),
    }
}

async fn jobs(headers: HeaderMap) -> Response {
    match basic_user(&headers) {
        Some(_) => axum::Json(serde_json::json!([{"id": 1, "name": "nightly-backup"}])).into_response(),
        None => challenge(),
    }
}

async fn status() -> Html<&'static str> {
    Html("<!doctype html><title>Status</title><h1>All systems operational</h1><p><a href=\"/admin\">Ops console</a></p>")
}

#[tokio::main]
async fn main() {
    let governor = Arc::new(
        GovernorConfigBuilder::default()
            .per_second(10)
            .burst_size(5)
            .use_headers()
            .finish()
            .expect("governor config"),
    );
    let protected = Router::new()
        .route("/admin", get(console))
        .route("/admin/jobs", get(jobs))
        .route_layer(GovernorLayer::new(governor));
    let app = Router::new().route("/", get(status)).merge(protected);
    serve(app, "basic_governor").await;
}
