//! The fast local sign-in server `bench/run` measures raw request throughput against (keyhole's
//! engine and wrk, one connection each). Not a lab target: it has no findings to grade.
//!
//! POST /login answers every JSON body with 401 `{"error": "invalid credentials"}` at once; GET /
//! answers 200. No limiter, no hashing, no logging: the server should never be the bottleneck.

use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use keyhole_rust_targets::serve;
use serde_json::{json, Value};

async fn login(_body: axum::body::Bytes) -> (StatusCode, Json<Value>) {
    (
        StatusCode::UNAUTHORIZED,
        Json(json!({"error": "invalid credentials"})),
    )
}

async fn index() -> Json<Value> {
    Json(json!({"service": "bench", "login": "/login"}))
}

#[tokio::main]
async fn main() {
    let app = Router::new()
        .route("/", get(index))
        .route("/login", post(login));
    serve(app, "fast_signin").await;
}
