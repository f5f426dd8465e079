//! JSON sign-in limited by tower_governor's SmartIpKeyExtractor, with no proxy in front.
//!
//! Models an axum API that picked `SmartIpKeyExtractor` ("looks for common IP identification
//! headers usually provided by reverse proxies ... falls back to the peer address") while
//! being served directly: POST /api/v1/session takes JSON `{"login", "password"}` and is
//! limited to a burst of 5, one more every 20 seconds, with `use_headers()` (the 429 carries
//! retry-after). The key is whatever X-Forwarded-For, X-Real-IP or Forwarded header the
//! client sends, so a spoofed address per request is never limited. Failures are a generic
//! 401 `{"error": "invalid_grant", "message": "Invalid login or password"}`; a body that is
//! not `{login, password}` gets axum's stock `Json` rejection (422 "Failed to deserialize the
//! JSON body into the target type: missing field `login` ...", 415 without a JSON content
//! type). Passwords are compared in constant time.
//!
//! A correct keyhole scan must report exactly: `rate-limit.ip-header-bypass`.

use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use keyhole_rust_targets::{ct_eq, serve};
use serde::Deserialize;
use serde_json::json;
use tower_governor::governor::GovernorConfigBuilder;
use tower_governor::key_extractor::SmartIpKeyExtractor;
use tower_governor::GovernorLayer;

const USERS: &[(&str, &str)] = &[("admin", "Sm4rt-Adm1n"), ("root", "r00t-axum-2024"), ("deploy", "d3ploy-key")];

#[derive(Deserialize)]
struct SignIn {
    login: String,
    password: String,
}

async fn session(Json(req): Json<SignIn>) -> Response {
    let mut ok = false;
    for (u, p) in USERS {
        ok |= ct_eq(u.as_bytes(), req.login.as_bytes()) & ct_eq(p.as_bytes(), req.password.as_bytes());
    }
    if !ok {
        return (StatusCode::UNAUTHORIZED, Json(json!({"error": "invalid_grant", "message": "Invalid login or password"}))).into_response();
    }
    Json(json!({"token": format!("{:016x}", rand_token()), "login": req.login})).into_response()
}

fn rand_token() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0));
    h.finish()
}

async fn index() -> Json<serde_json::Value> {
    Json(json!({"service": "deployments", "version": "0.7.2"}))
}

#[tokio::main]
async fn main() {
    let governor = Arc::new(
        GovernorConfigBuilder::default()
            .per_second(20)
            .burst_size(5)
            .key_extractor(SmartIpKeyExtractor)
            .use_headers()
            .finish()
            .expect("governor config"),
    );
    let app = Router::new()
        .route("/", get(index))
        .route("/api/v1/session", post(session).layer(GovernorLayer::new(governor)));
    serve(app, "smart_ip").await;
}
