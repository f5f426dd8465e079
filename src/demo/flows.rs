//! The demo's account flows beyond sign-in: password reset and registration.
//!
//! * `POST /api/auth/forgot-password`, JSON `{"email"}`.
//!   - Vulnerable: `404 {"error":"No account registered with that email"}` for an unknown
//!     address, `200 {"message":"Password reset link sent"}` for a known one; never throttled.
//!   - Fixed: `202 {"message":"If that address has an account, a reset link is on its way"}` for
//!     every well-formed request; after [`RESET_LIMIT`] of them in a minute from one client
//!     address, `429 {"error":"Too many password reset requests"}` with `Retry-After` and
//!     `RateLimit-*` headers.
//!   - Both: `400 {"error":"email is required"}` when the body has no non-empty `email` string,
//!     `400 {"error":"email is not a valid address"}` when it is not an address. Neither counts
//!     against the throttle.
//! * `POST /api/auth/register`, JSON `{"email","password"}`. Every field is checked, and a 400
//!   `{"errors":{"email":…,"password":…}}` names every problem at once.
//!   - Vulnerable: a known address adds `"email":"Email is already registered"`; a complete,
//!     valid body gets `201 {"message":"check your inbox to confirm"}`.
//!   - Fixed: never says an address is taken; a complete, valid body gets
//!     `202 {"message":"check your inbox to confirm"}` whatever the address.
//!   - Both: nothing is ever stored, so a demo never grows accounts.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};

use super::app::{error, error_schema, throttled, AppState};
use super::limiter::Decision;

/// Path of the password-reset ("forgot password") endpoint.
pub const RESET_PATH: &str = "/api/auth/forgot-password";

/// Path of the registration (sign-up) endpoint.
pub const REGISTER_PATH: &str = "/api/auth/register";

/// Reset requests allowed per client address and window in the fixed variant.
pub const RESET_LIMIT: u32 = 5;

/// The shortest password registration accepts, in characters.
pub const MIN_PASSWORD: usize = 12;

pub const RESET_SENT: &str = "Password reset link sent";
pub const RESET_UNKNOWN: &str = "No account registered with that email";
pub const RESET_GENERIC: &str = "If that address has an account, a reset link is on its way";
pub const RESET_THROTTLED: &str = "Too many password reset requests";
pub const EMAIL_REQUIRED: &str = "email is required";
pub const EMAIL_INVALID: &str = "email is not a valid address";
pub const EMAIL_TAKEN: &str = "Email is already registered";
pub const PASSWORD_REQUIRED: &str = "password is required";
pub const CHECK_INBOX: &str = "check your inbox to confirm";

/// One field of a JSON body.
#[derive(Debug, PartialEq, Eq)]
enum Field<'a> {
    /// Absent, null or the empty string.
    Missing,
    /// Present but not a string.
    NotString,
    Text(&'a str),
}

fn field<'a>(body: &'a Map<String, Value>, name: &str) -> Field<'a> {
    match body.get(name) {
        None | Some(Value::Null) => Field::Missing,
        Some(Value::String(s)) if s.trim().is_empty() => Field::Missing,
        Some(Value::String(s)) => Field::Text(s),
        Some(_) => Field::NotString,
    }
}

/// A plausible e-mail address: `local@domain.tld`, no spaces, at most 254 characters.
fn valid_email(s: &str) -> bool {
    let s = s.trim();
    if s.len() > 254 || s.chars().any(char::is_whitespace) {
        return false;
    }
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && domain.split('.').all(|l| !l.is_empty())
}

/// What a reset request asks for: the address, or the 400 message.
fn reset_email(body: &[u8]) -> Result<String, &'static str> {
    let v: Value = serde_json::from_slice(body).map_err(|_| EMAIL_REQUIRED)?;
    let obj = v.as_object().ok_or(EMAIL_REQUIRED)?;
    match field(obj, "email") {
        Field::Missing => Err(EMAIL_REQUIRED),
        Field::NotString => Err(EMAIL_INVALID),
        Field::Text(e) if !valid_email(e) => Err(EMAIL_INVALID),
        Field::Text(e) => Ok(e.trim().to_string()),
    }
}

fn message(status: StatusCode, text: &str) -> Response {
    (status, Json(json!({ "message": text }))).into_response()
}

pub async fn forgot_password(
    State(st): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    body: Bytes,
) -> Response {
    if st.fixed {
        reset_fixed(&st, peer, &body)
    } else {
        reset_vulnerable(&st, &body)
    }
}

/// The way reset handlers are often first written: "helpful", and never throttled.
fn reset_vulnerable(st: &AppState, body: &[u8]) -> Response {
    match reset_email(body) {
        Err(m) => error(StatusCode::BAD_REQUEST, m),
        Ok(email) if st.has_email(&email) => message(StatusCode::OK, RESET_SENT),
        Ok(_) => error(StatusCode::NOT_FOUND, RESET_UNKNOWN),
    }
}

/// The hardened handler: one answer for every address, throttled per client address.
fn reset_fixed(st: &AppState, peer: SocketAddr, body: &[u8]) -> Response {
    let ip = peer.ip();
    if let Decision::Blocked { retry_after } = st.reset_limiter.peek(ip, Instant::now()) {
        return throttled(RESET_THROTTLED, RESET_LIMIT, retry_after);
    }
    let email = match reset_email(body) {
        Ok(e) => e,
        Err(m) => return error(StatusCode::BAD_REQUEST, m),
    };
    if let Decision::Blocked { retry_after } = st.reset_limiter.acquire(ip, Instant::now()) {
        return throttled(RESET_THROTTLED, RESET_LIMIT, retry_after);
    }
    // A real server would queue the mail here (for a known address only), off the request path,
    // so the answer takes the same time either way.
    let _ = st.has_email(&email);
    message(StatusCode::ACCEPTED, RESET_GENERIC)
}

/// Every problem of a registration body, field by field (empty: the body is complete and
/// valid). `say_taken` adds "already registered" for a known address.
fn registration_problems(st: &AppState, body: &[u8], say_taken: bool) -> Map<String, Value> {
    let mut errors = Map::new();
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let Some(obj) = parsed.as_ref().and_then(Value::as_object) else {
        errors.insert(
            "body".into(),
            "a JSON object with email and password is required".into(),
        );
        return errors;
    };
    match field(obj, "email") {
        Field::Missing => {
            errors.insert("email".into(), EMAIL_REQUIRED.into());
        }
        Field::NotString => {
            errors.insert("email".into(), EMAIL_INVALID.into());
        }
        Field::Text(e) if !valid_email(e) => {
            errors.insert("email".into(), EMAIL_INVALID.into());
        }
        Field::Text(e) if say_taken && st.has_email(e) => {
            errors.insert("email".into(), EMAIL_TAKEN.into());
        }
        Field::Text(_) => {}
    }
    match field(obj, "password") {
        Field::Missing => {
            errors.insert("password".into(), PASSWORD_REQUIRED.into());
        }
        Field::NotString => {
            errors.insert("password".into(), "password must be a string".into());
        }
        Field::Text(p) if p.chars().count() < MIN_PASSWORD => {
            errors.insert(
                "password".into(),
                format!("password must be at least {MIN_PASSWORD} characters").into(),
            );
        }
        Field::Text(_) => {}
    }
    errors
}

/// Sign-up. Nothing is ever stored: the demo's accounts are fixed at start.
pub async fn register(State(st): State<Arc<AppState>>, body: Bytes) -> Response {
    let errors = registration_problems(&st, &body, !st.fixed);
    if !errors.is_empty() {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({ "errors": Value::Object(errors) })),
        )
            .into_response();
    }
    // The vulnerable variant pretends it created the (unconfirmed) account; the fixed one
    // answers the same whether or not the address was free (a real one would mail the owner).
    let status = if st.fixed {
        StatusCode::ACCEPTED
    } else {
        StatusCode::CREATED
    };
    message(status, CHECK_INBOX)
}

fn message_schema() -> Value {
    json!({"type": "object", "properties": {"message": {"type": "string"}}})
}

fn answer(description: &str, schema: Value) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": schema}}
    })
}

/// The OpenAPI path item of the reset endpoint.
pub fn reset_operation(fixed: bool) -> Value {
    let mut responses = Map::new();
    if fixed {
        responses.insert(
            "202".into(),
            answer(
                "If the address has an account, a reset link is sent",
                message_schema(),
            ),
        );
        responses.insert("400".into(), answer("Email missing", error_schema()));
        responses.insert("429".into(), answer(RESET_THROTTLED, error_schema()));
    } else {
        responses.insert("200".into(), answer(RESET_SENT, message_schema()));
        responses.insert("400".into(), answer("Email missing", error_schema()));
        responses.insert("404".into(), answer("No such account", error_schema()));
    }
    json!({
        "post": {
            "summary": "Request a password reset link",
            "operationId": "forgotPassword",
            "tags": ["auth"],
            "requestBody": {
                "required": true,
                "content": {"application/json": {"schema": {
                    "type": "object",
                    "required": ["email"],
                    "properties": {"email": {"type": "string", "format": "email"}}
                }}}
            },
            "responses": Value::Object(responses)
        }
    })
}

/// The OpenAPI path item of the registration endpoint.
pub fn register_operation(fixed: bool) -> Value {
    let errors_schema = json!({
        "type": "object",
        "properties": {"errors": {
            "type": "object",
            "additionalProperties": {"type": "string"}
        }}
    });
    let (code, description) = if fixed {
        ("202", "Accepted: a confirmation link is on its way")
    } else {
        ("201", "Account created: confirm it from the e-mail")
    };
    let mut responses = Map::new();
    responses.insert(code.into(), answer(description, message_schema()));
    responses.insert(
        "400".into(),
        answer("Invalid fields, each with its problem", errors_schema),
    );
    json!({
        "post": {
            "summary": "Create an account",
            "operationId": "register",
            "tags": ["auth"],
            "requestBody": {
                "required": true,
                "content": {"application/json": {"schema": {
                    "type": "object",
                    "required": ["email", "password"],
                    "properties": {
                        "email": {"type": "string", "format": "email"},
                        "password": {
                            "type": "string",
                            "format": "password",
                            "minLength": MIN_PASSWORD
                        }
                    }
                }}}
            },
            "responses": Value::Object(responses)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::header;

    #[test]
    fn fields_and_addresses() {
        let v = json!({"a": "", "b": "  ", "c": null, "d": 3, "e": "x"});
        let o = v.as_object().unwrap();
        for k in ["a", "b", "c", "zz"] {
            assert_eq!(field(o, k), Field::Missing, "{k}");
        }
        assert_eq!(field(o, "d"), Field::NotString);
        assert_eq!(field(o, "e"), Field::Text("x"));
        for ok in [
            "admin@example.com",
            "qwertyuiop42@example.invalid",
            " a.b+c@x.co.uk ",
        ] {
            assert!(valid_email(ok), "{ok}");
        }
        for bad in [
            "admin",
            "@example.com",
            "a@b",
            "a@@b.c",
            "a@b..c",
            "a b@c.d",
            "a@.c",
        ] {
            assert!(!valid_email(bad), "{bad}");
        }
    }

    #[test]
    fn known_addresses_ignore_case_and_spaces() {
        let st = AppState::new(false);
        assert!(st.has_email("admin@example.com"));
        assert!(st.has_email(" Admin@Example.COM "));
        assert!(st.has_email("alice@example.com"));
        assert!(!st.has_email("admin"));
        assert!(!st.has_email("root@example.com"));
    }

    /// keyhole's guesses for an e-mail field on a 127.0.0.1 target include a demo account, so
    /// a scan of the demo can see registration enumeration.
    #[test]
    fn keyhole_guesses_a_demo_address() {
        let guessed = crate::probe::enumeration::candidates(
            None,
            &[],
            crate::surface::Identifier::email(),
            "127.0.0.1",
        );
        assert_eq!(
            guessed.first().map(String::as_str),
            Some(super::super::EMAILS[0])
        );
    }

    /// The fixed throttle is per client address: one client's flood leaves another alone, and
    /// leaves the sign-in budget alone.
    #[tokio::test]
    async fn fixed_reset_throttle_is_per_client() {
        let st = AppState::new(true);
        let one = SocketAddr::from(([192, 0, 2, 1], 40000));
        let two = SocketAddr::from(([192, 0, 2, 2], 40000));
        let body = br#"{"email":"qwertyuiop42@example.invalid"}"#;
        for _ in 0..RESET_LIMIT {
            assert_eq!(reset_fixed(&st, one, body).status(), StatusCode::ACCEPTED);
        }
        assert_eq!(
            reset_fixed(&st, one, body).status(),
            StatusCode::TOO_MANY_REQUESTS
        );
        assert_eq!(reset_fixed(&st, two, body).status(), StatusCode::ACCEPTED);
        assert_eq!(
            st.reset_limiter.peek(two.ip(), Instant::now()),
            Decision::Allowed
        );
    }

    struct Answer {
        status: u16,
        retry_after: Option<u64>,
        body: Value,
    }

    /// A demo server on 127.0.0.1 and a client of it.
    struct Demo {
        server: super::super::DemoServer,
        client: reqwest::Client,
    }

    async fn app(fixed: bool) -> Demo {
        Demo {
            server: super::super::start(fixed).await.expect("start"),
            client: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(10))
                .build()
                .expect("client"),
        }
    }

    /// One request to the demo.
    async fn call(app: &Demo, method: &str, path: &str, body: &str) -> Answer {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let resp = app
            .client
            .request(method, format!("{}{}", app.server.base_url(), path))
            .header(header::CONTENT_TYPE, "application/json")
            .body(body.to_string())
            .send()
            .await
            .expect("request");
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get(header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok());
        let bytes = resp.bytes().await.expect("body");
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Answer {
            status,
            retry_after,
            body,
        }
    }

    async fn reset(app: &Demo, email: &str) -> Answer {
        let body = json!({ "email": email }).to_string();
        call(app, "POST", RESET_PATH, &body).await
    }

    async fn register_with(app: &Demo, body: Value) -> Answer {
        call(app, "POST", REGISTER_PATH, &body.to_string()).await
    }

    const GOOD_PASSWORD: &str = "correct horse battery";

    #[tokio::test]
    async fn vulnerable_reset_tells_and_never_throttles() {
        let app = app(false).await;
        for i in 0..40 {
            let a = reset(&app, &format!("qwertyuiop{i:02}@example.invalid")).await;
            assert_eq!(a.status, 404, "request {i}");
            assert_eq!(a.body, json!({"error": RESET_UNKNOWN}));
            assert_eq!(a.retry_after, None);
        }
        for email in [
            "admin@example.com",
            "alice@example.com",
            "ADMIN@example.com",
        ] {
            let a = reset(&app, email).await;
            assert_eq!(a.status, 200, "{email}");
            assert_eq!(a.body, json!({"message": RESET_SENT}));
        }
    }

    #[tokio::test]
    async fn fixed_reset_is_generic_and_throttled() {
        let app = app(true).await;
        let generic = json!({"message": RESET_GENERIC});
        let a = reset(&app, "admin@example.com").await;
        assert_eq!((a.status, &a.body), (202, &generic));
        for i in 1..RESET_LIMIT {
            let a = reset(&app, &format!("qwertyuiop{i:02}@example.invalid")).await;
            assert_eq!((a.status, &a.body), (202, &generic), "request {}", i + 1);
            assert_eq!(a.retry_after, None);
        }
        for email in ["zzzz99@example.invalid", "admin@example.com"] {
            let a = reset(&app, email).await;
            assert_eq!(a.status, 429);
            assert_eq!(a.body, json!({"error": RESET_THROTTLED}));
            let retry = a.retry_after.expect("Retry-After in seconds");
            assert!((1..=60).contains(&retry));
        }
        // Sign-in has its own budget.
        let login = json!({"username": "nobody", "password": "wrong-password-0123456789"});
        let a = call(&app, "POST", super::super::LOGIN_PATH, &login.to_string()).await;
        assert_eq!(a.status, 401);
    }

    #[tokio::test]
    async fn reset_bad_requests_get_400_and_do_not_count() {
        for fixed in [false, true] {
            let app = app(fixed).await;
            for _ in 0..(RESET_LIMIT + 2) {
                for (body, want) in [
                    ("", EMAIL_REQUIRED),
                    ("[]", EMAIL_REQUIRED),
                    ("{}", EMAIL_REQUIRED),
                    (r#"{"email":""}"#, EMAIL_REQUIRED),
                    (r#"{"email":"admin"}"#, EMAIL_INVALID),
                    (r#"{"email":7}"#, EMAIL_INVALID),
                ] {
                    let a = call(&app, "POST", RESET_PATH, body).await;
                    assert_eq!(a.status, 400, "fixed={fixed} body={body:?}");
                    assert_eq!(a.body, json!({"error": want}));
                }
            }
            let a = reset(&app, "qwertyuiop42@example.invalid").await;
            assert_eq!(a.status, if fixed { 202 } else { 404 });
        }
    }

    #[tokio::test]
    async fn vulnerable_registration_says_taken_with_every_problem() {
        let app = app(false).await;
        // keyhole's probe: the identifier alone.
        let a = register_with(&app, json!({"email": "admin@example.com"})).await;
        assert_eq!(a.status, 400);
        assert_eq!(
            a.body,
            json!({"errors": {"email": EMAIL_TAKEN, "password": PASSWORD_REQUIRED}})
        );
        let a = register_with(&app, json!({"email": "Alice@Example.com", "password": ""})).await;
        assert_eq!(a.status, 400);
        assert_eq!(
            a.body,
            json!({"errors": {"email": EMAIL_TAKEN, "password": PASSWORD_REQUIRED}})
        );
        let a = register_with(&app, json!({"email": "qwertyuiop42@example.invalid"})).await;
        assert_eq!(a.status, 400);
        assert_eq!(a.body, json!({"errors": {"password": PASSWORD_REQUIRED}}));
        // Taken even with a good password.
        let taken = json!({"email": "admin@example.com", "password": GOOD_PASSWORD});
        let a = register_with(&app, taken).await;
        assert_eq!(a.status, 400);
        assert_eq!(a.body, json!({"errors": {"email": EMAIL_TAKEN}}));
    }

    #[tokio::test]
    async fn fixed_registration_never_says_taken() {
        let app = app(true).await;
        for email in ["admin@example.com", "qwertyuiop42@example.invalid"] {
            let a = register_with(&app, json!({ "email": email })).await;
            assert_eq!(a.status, 400, "{email}");
            assert_eq!(a.body, json!({"errors": {"password": PASSWORD_REQUIRED}}));
            let complete = json!({"email": email, "password": GOOD_PASSWORD});
            let a = register_with(&app, complete).await;
            assert_eq!(a.status, 202, "{email}");
            assert_eq!(a.body, json!({"message": CHECK_INBOX}));
        }
    }

    #[tokio::test]
    async fn registration_names_every_problem_and_stores_nothing() {
        for fixed in [false, true] {
            let app = app(fixed).await;
            let a = register_with(&app, json!({})).await;
            assert_eq!(a.status, 400);
            assert_eq!(
                a.body,
                json!({"errors": {"email": EMAIL_REQUIRED, "password": PASSWORD_REQUIRED}})
            );
            let a = register_with(&app, json!({"email": "nope", "password": "short"})).await;
            assert_eq!(a.status, 400);
            assert_eq!(
                a.body,
                json!({"errors": {
                    "email": EMAIL_INVALID,
                    "password": "password must be at least 12 characters"
                }})
            );
            let a = register_with(&app, json!({"email": 1, "password": 2})).await;
            assert_eq!(
                a.body,
                json!({"errors": {"email": EMAIL_INVALID, "password": "password must be a string"}})
            );
            let a = call(&app, "POST", REGISTER_PATH, "not json").await;
            assert_eq!(a.status, 400);
            assert!(a.body["errors"]["body"].is_string());
            // A complete registration succeeds twice and the address stays unknown: nothing
            // was stored.
            let email = "new-user-7@example.invalid";
            let complete = json!({"email": email, "password": GOOD_PASSWORD});
            for _ in 0..2 {
                let a = register_with(&app, complete.clone()).await;
                assert_eq!(a.status, if fixed { 202 } else { 201 });
                assert_eq!(a.body, json!({"message": CHECK_INBOX}));
            }
            let a = reset(&app, email).await;
            assert_eq!(a.status, if fixed { 202 } else { 404 });
            let login = json!({"username": email, "password": GOOD_PASSWORD});
            let a = call(&app, "POST", super::super::LOGIN_PATH, &login.to_string()).await;
            assert_eq!(a.status, if fixed { 401 } else { 404 });
        }
    }

    #[tokio::test]
    async fn flows_are_declared_and_post_only() {
        for fixed in [false, true] {
            let app = app(fixed).await;
            let doc = call(&app, "GET", "/openapi.json", "").await.body;
            let reset = &doc["paths"][RESET_PATH]["post"];
            assert_eq!(reset["operationId"], "forgotPassword");
            let schema = &reset["requestBody"]["content"]["application/json"]["schema"];
            assert_eq!(schema["properties"]["email"]["format"], "email");
            assert!(schema["properties"].get("password").is_none());
            let reg = &doc["paths"][REGISTER_PATH]["post"];
            assert_eq!(reg["operationId"], "register");
            let schema = &reg["requestBody"]["content"]["application/json"]["schema"];
            assert_eq!(schema["properties"]["email"]["format"], "email");
            assert_eq!(schema["properties"]["password"]["format"], "password");
            let codes: Vec<&String> = reset["responses"].as_object().unwrap().keys().collect();
            if fixed {
                assert_eq!(codes, ["202", "400", "429"]);
            } else {
                assert_eq!(codes, ["200", "400", "404"]);
            }
            for page in ["/", "/docs"] {
                let resp = app
                    .client
                    .get(format!("{}{page}", app.server.base_url()))
                    .send()
                    .await
                    .expect("request");
                assert_eq!(resp.status().as_u16(), 200);
                let html = resp.text().await.expect("body");
                assert!(
                    html.contains(RESET_PATH) && html.contains(REGISTER_PATH),
                    "{page}"
                );
            }
            assert_eq!(call(&app, "GET", RESET_PATH, "").await.status, 405);
            assert_eq!(call(&app, "GET", REGISTER_PATH, "").await.status, 405);
        }
    }
}
