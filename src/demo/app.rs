//! The "Acme Notes API": routes and handlers of the demo server.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use rand::distributions::Alphanumeric;
use rand::Rng;
use serde_json::{json, Value};

use super::flows;
use super::limiter::{Decision, Limiter};

/// The accounts of the demo; their passwords are random per start and never shown.
pub const USERS: [&str; 2] = ["admin", "alice"];

/// The e-mail addresses of [`USERS`], in the same order (password reset and registration
/// know accounts by address). `admin@example.com` is one keyhole guesses for a target with
/// no domain of its own, such as 127.0.0.1.
pub const EMAILS: [&str; 2] = ["admin@example.com", "alice@example.com"];

/// Path of the sign-in endpoint.
pub const LOGIN_PATH: &str = "/api/v1/auth/login";

/// Failed attempts allowed per client address and window in the fixed variant.
pub const LIMIT: u32 = 5;

/// The fixed variant's throttle window.
pub const WINDOW: Duration = Duration::from_secs(60);

/// Work of the simulated password hash (think bcrypt at a low cost).
pub const HASH_DELAY: Duration = Duration::from_millis(25);

pub struct AppState {
    pub(super) fixed: bool,
    accounts: Vec<(String, String)>,
    limiter: Limiter,
    /// The fixed variant's password-reset throttle, apart from the sign-in one.
    pub(super) reset_limiter: Limiter,
}

fn random_string(len: usize) -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

impl AppState {
    pub fn new(fixed: bool) -> Self {
        AppState {
            fixed,
            accounts: USERS
                .iter()
                .map(|u| (u.to_string(), random_string(40)))
                .collect(),
            limiter: Limiter::new(LIMIT, WINDOW),
            reset_limiter: Limiter::new(flows::RESET_LIMIT, WINDOW),
        }
    }

    /// Whether `email` (any case, outer spaces ignored) belongs to one of the demo's accounts.
    pub(super) fn has_email(&self, email: &str) -> bool {
        let email = email.trim();
        EMAILS.iter().any(|e| e.eq_ignore_ascii_case(email))
    }

    fn password_of(&self, username: &str) -> Option<&str> {
        self.accounts
            .iter()
            .find(|(u, _)| u == username)
            .map(|(_, p)| p.as_str())
    }
}

/// Compare without stopping at the first differing byte.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = a.len() ^ b.len();
    for (i, &x) in a.iter().enumerate() {
        let y = b.get(i).copied().unwrap_or(0);
        diff |= usize::from(x ^ y);
    }
    diff == 0
}

/// The slow hash check: the same work whatever the input.
async fn verify(stored: Option<&str>, given: &str) -> bool {
    tokio::time::sleep(HASH_DELAY).await;
    match stored {
        Some(p) => constant_time_eq(p.as_bytes(), given.as_bytes()),
        None => false,
    }
}

pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/docs", get(docs))
        .route("/openapi.json", get(openapi))
        .route("/health", get(health))
        .route(LOGIN_PATH, post(login))
        .route(flows::RESET_PATH, post(flows::forgot_password))
        .route(flows::REGISTER_PATH, post(flows::register))
        .fallback(not_found)
        .with_state(state)
}

async fn index() -> Html<&'static str> {
    Html(
        r#"<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Acme Notes</title></head>
<body>
<h1>Acme Notes</h1>
<p>Acme Notes keeps your team's notes in one place. This server hosts the Acme Notes REST API:
sign in with <code>POST /api/v1/auth/login</code> (JSON <code>{"username", "password"}</code>)
to get a bearer token, then use it on the notes endpoints.</p>
<p>New to Acme Notes? Create an account with <code>POST /api/auth/register</code>
(JSON <code>{"email", "password"}</code>). Forgot your password? Ask for a reset link with
<code>POST /api/auth/forgot-password</code> (JSON <code>{"email"}</code>).</p>
<p>Read the <a href="/docs">API documentation</a> or fetch the
<a href="/openapi.json">OpenAPI description</a>.</p>
</body>
</html>
"#,
    )
}

async fn docs() -> Html<&'static str> {
    Html(
        r#"<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Acme Notes API documentation</title></head>
<body>
<h1>Acme Notes API</h1>
<h2>Authentication</h2>
<p><code>POST /api/v1/auth/login</code> with a JSON body
<code>{"username": "...", "password": "..."}</code>. On success the answer is
<code>200 {"token": "..."}</code>; send the token as <code>Authorization: Bearer &lt;token&gt;</code>.</p>
<h3>Create an account</h3>
<p><code>POST /api/auth/register</code> with a JSON body
<code>{"email": "...", "password": "..."}</code> (a password of at least 12 characters). A
confirmation link is sent to the address; invalid fields are answered with
<code>400 {"errors": {"field": "problem"}}</code>.</p>
<h3>Forgot your password?</h3>
<p><code>POST /api/auth/forgot-password</code> with a JSON body <code>{"email": "..."}</code>
sends a password reset link to the address.</p>
<h2>Health</h2>
<p><code>GET /health</code> answers <code>{"status": "ok"}</code>.</p>
<p>The machine-readable description is at <a href="/openapi.json">/openapi.json</a>.</p>
<p><a href="/">Home</a></p>
</body>
</html>
"#,
    )
}

async fn health() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

async fn not_found() -> (StatusCode, Json<Value>) {
    (StatusCode::NOT_FOUND, Json(json!({"error": "Not found"})))
}

pub(super) fn error_schema() -> Value {
    json!({"type": "object", "properties": {"error": {"type": "string"}}})
}

async fn openapi(State(st): State<Arc<AppState>>) -> Json<Value> {
    let err = |description: &str| {
        json!({
            "description": description,
            "content": {"application/json": {"schema": error_schema()}}
        })
    };
    let mut responses = serde_json::Map::new();
    responses.insert(
        "200".into(),
        json!({
            "description": "Signed in",
            "content": {"application/json": {"schema": {
                "type": "object",
                "properties": {"token": {"type": "string"}}
            }}}
        }),
    );
    responses.insert("400".into(), err("Username or password missing"));
    responses.insert("401".into(), err("Sign-in failed"));
    if st.fixed {
        responses.insert("429".into(), err("Too many sign-in attempts"));
    } else {
        responses.insert("404".into(), err("No such user"));
    }
    Json(json!({
        "openapi": "3.0.3",
        "info": {
            "title": "Acme Notes API",
            "version": "1.4.2",
            "description": "Notes for teams. Sign in to get a bearer token."
        },
        "paths": {
            LOGIN_PATH: {
                "post": {
                    "summary": "Sign in with a username and password",
                    "operationId": "login",
                    "tags": ["auth"],
                    "requestBody": {
                        "required": true,
                        "content": {"application/json": {"schema": {
                            "type": "object",
                            "required": ["username", "password"],
                            "properties": {
                                "username": {"type": "string"},
                                "password": {"type": "string", "format": "password"}
                            }
                        }}}
                    },
                    "responses": Value::Object(responses)
                }
            },
            flows::REGISTER_PATH: flows::register_operation(st.fixed),
            flows::RESET_PATH: flows::reset_operation(st.fixed),
            "/health": {
                "get": {
                    "summary": "Liveness check",
                    "operationId": "health",
                    "responses": {"200": {
                        "description": "The service is up",
                        "content": {"application/json": {"schema": {
                            "type": "object",
                            "properties": {"status": {"type": "string"}}
                        }}}
                    }}
                }
            }
        }
    }))
}

/// Username and password from a JSON body, if both are non-empty strings.
fn credentials(body: &[u8]) -> Option<(String, String)> {
    let v: Value = serde_json::from_slice(body).ok()?;
    let field = |name: &str| {
        v.get(name)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    Some((field("username")?, field("password")?))
}

pub(super) fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

fn too_many(retry_after: u64) -> Response {
    throttled("Too many sign-in attempts", LIMIT, retry_after)
}

/// A 429 with `Retry-After` and the `RateLimit-*` headers.
pub(super) fn throttled(message: &str, limit: u32, retry_after: u64) -> Response {
    let mut resp = error(StatusCode::TOO_MANY_REQUESTS, message);
    let headers = resp.headers_mut();
    let secs = HeaderValue::from(retry_after);
    headers.insert(header::RETRY_AFTER, secs.clone());
    headers.insert(
        HeaderName::from_static("ratelimit-limit"),
        HeaderValue::from(limit),
    );
    headers.insert(
        HeaderName::from_static("ratelimit-remaining"),
        HeaderValue::from(0u32),
    );
    headers.insert(HeaderName::from_static("ratelimit-reset"), secs);
    resp
}

fn signed_in() -> Response {
    (StatusCode::OK, Json(json!({"token": random_string(48)}))).into_response()
}

async fn login(
    State(st): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    body: Bytes,
) -> Response {
    if st.fixed {
        login_fixed(&st, peer, &body).await
    } else {
        login_vulnerable(&st, &body).await
    }
}

/// The way many sign-in handlers are first written: helpful errors, no throttle, and the
/// hash only runs when the user exists.
async fn login_vulnerable(st: &AppState, body: &[u8]) -> Response {
    let Some((username, password)) = credentials(body) else {
        return error(
            StatusCode::BAD_REQUEST,
            "username and password are required",
        );
    };
    let Some(stored) = st.password_of(&username) else {
        return error(StatusCode::NOT_FOUND, "User does not exist");
    };
    if verify(Some(stored), &password).await {
        signed_in()
    } else {
        error(StatusCode::UNAUTHORIZED, "Incorrect password")
    }
}

/// The hardened handler: throttled per client address, one message, constant work.
async fn login_fixed(st: &AppState, peer: SocketAddr, body: &[u8]) -> Response {
    let ip = peer.ip();
    if let Decision::Blocked { retry_after } = st.limiter.peek(ip, Instant::now()) {
        return too_many(retry_after);
    }
    let Some((username, password)) = credentials(body) else {
        return error(
            StatusCode::BAD_REQUEST,
            "username and password are required",
        );
    };
    if let Decision::Blocked { retry_after } = st.limiter.acquire(ip, Instant::now()) {
        return too_many(retry_after);
    }
    if verify(st.password_of(&username), &password).await {
        st.limiter.refund(ip);
        signed_in()
    } else {
        error(StatusCode::UNAUTHORIZED, "Invalid username or password")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_need_both_fields() {
        assert!(credentials(b"").is_none());
        assert!(credentials(b"not json").is_none());
        assert!(credentials(br#"{"username":"a"}"#).is_none());
        assert!(credentials(br#"{"username":"a","password":""}"#).is_none());
        assert!(credentials(br#"{"username":1,"password":"x"}"#).is_none());
        assert!(credentials(br#"["a","b"]"#).is_none());
        assert_eq!(
            credentials(br#"{"username":"a","password":"b"}"#),
            Some(("a".into(), "b".into()))
        );
    }

    #[test]
    fn constant_time_eq_is_eq() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
        assert!(!constant_time_eq(b"", b"a"));
        assert!(constant_time_eq(b"", b""));
    }

    #[test]
    fn passwords_are_long_and_random() {
        let a = AppState::new(false);
        let b = AppState::new(false);
        for u in USERS {
            let pa = a.password_of(u).unwrap_or_default();
            assert!(pa.len() >= 32);
            assert_ne!(Some(pa), b.password_of(u));
        }
        assert!(a.password_of("nobody").is_none());
    }
}
