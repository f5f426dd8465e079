//! Counting-server tests of the account-flow safety promises (issue 10; SPEC "Safety promises"
//! and the lead's flow contract). One in-process server on 127.0.0.1 has:
//!
//! - `POST /api/login`: JSON `{"email","password"}`, a generic 401 for every failure, seeded
//!   accounts (admin@, alice@, support@ and the owned tester@example.com, whose password is
//!   known), and a lockout after 5 failures that refuses even the right password for 60 s;
//! - `POST /api/forgot-password`: `{"email"}`, leaky ("No account with that email", 404) or
//!   generic, optionally throttled;
//! - `POST /api/register`: `{"email","password"}`; it CREATES an account for any body with a new
//!   e-mail and a password of 8+ characters (201 and a session cookie), else 400 with per-field
//!   errors ("Email already registered" for an existing one). The sloppy variant creates an
//!   account for any body with a new e-mail, password or not;
//! - an OpenAPI document naming all three (its examples name seeded accounts, so they are
//!   "guessed" identifiers keyhole must treat with care).
//!
//! The server records every request (method, path, headers, body). The real keyhole binary scans
//! it (`scan URL --format json -q`), plain and with `--username tester@example.com
//! --password-env VAR`, and the tests check from the server's records:
//!
//! - reset requests name only random identifiers (letters + 2 digits, bare or at
//!   example.invalid / example.com) or the owned account; at most 3 for the owned account;
//!   fewer than 30 requests in all to the reset path;
//! - no account is ever created; a registration request carries nothing but the identifier
//!   (no password); a guessed identifier gets at most one registration request;
//! - the owned password is sent only in sign-in requests for the owned account, at most 3
//!   times, and never shows in stdout, stderr (-q, default, -v), the report or the `--output`
//!   file of any format, or any file keyhole leaves in its working folder;
//! - a possibly real account gets at most 3 sign-in attempts, and every sign-in password other
//!   than the real one has 16+ characters (the v1 promises, with the new flows running);
//! - `--max-requests` holds; every request's User-Agent starts with `keyhole/`;
//! - `--skip reset --skip register --skip lockout` sends nothing to the reset or register path
//!   and never the real password;
//! - when a registration server creates an account anyway, exactly one is created, the report
//!   names it in an `account-created` observation, and nothing more reaches that endpoint.
//!
//! Variants: a validator that refuses reserved domains (random identifiers move to example.com),
//! no OpenAPI document (well-known paths only), a throttled reset, a locked-account answer that
//! echoes the refused attempt (evidence must redact it); a proptest mixes them at random budgets.
//! Non-vacuity: the default scans must list the three flows, probe reset and registration, find
//! the leaky reset and (owned) the lockout; `checks_catch_each_broken_promise` feeds the checks
//! scans that break each promise and one that keeps them all.
//!
//! Each scan has a `--deadline` and is killed at deadline + 15 s; every server loop is bounded.
//! Run: `cargo test --test flow_safety` (a few seconds once keyhole is built).

mod support_hostile;

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use serde_json::{json, Value};
use support_hostile::{handler, respond, start, OnAccept, ReqHead, Server};

/// The account the tester owns (`--username`).
const OWNED: &str = "tester@example.com";
/// Its password: letters, digits and dashes only, so every encoding (JSON, form, HTML, XML,
/// SARIF) would show it verbatim if it leaked.
const OWNED_PASSWORD: &str = "Qz8-tK3vWm9xLp2-Hr6cJ4";
/// The environment variable that carries it (`--password-env`).
const PASSWORD_ENV: &str = "KEYHOLE_FLOW_TEST_PASSWORD";
/// Accounts that exist besides the owned one; each has a password nobody knows.
const SEEDED: &[&str] = &[
    "admin@example.com",
    "alice@example.com",
    "support@example.com",
];

const LOGIN: &str = "/api/login";
const RESET: &str = "/api/forgot-password";
const REGISTER: &str = "/api/register";

/// Failed sign-ins before the account locks, and for how long.
const LOCK_AFTER: u32 = 5;
const LOCK_FOR: Duration = Duration::from_secs(60);

/// SPEC: fewer than 30 requests per reset endpoint; at most 3 for the owned account; the real
/// password at most 3 times.
const RESET_LIMIT: usize = 30;
const OWNED_RESET_LIMIT: usize = 3;
const REAL_PASSWORD_LIMIT: usize = 3;

/// Scan deadline and per-request timeout (seconds); a scan is killed at deadline + 15 s.
const DEADLINE: u32 = 40;
const TIMEOUT: u32 = 5;
/// The SPEC's default `--max-requests`.
const DEFAULT_MAX_REQUESTS: usize = 250;
/// Most requests a test server answers in all (a runaway scanner fails rather than hangs).
const SERVER_REQUEST_CAP: usize = 5000;

// ---------------------------------------------------------------------------------------------
// The counting server.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reset {
    /// 404 "No account with that email" for unknown accounts, 200 for known ones.
    Leaky,
    /// The same 200 for everyone.
    Generic,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Register {
    /// Creates an account for a new e-mail and a password of 8+ characters.
    Strict,
    /// Creates an account for any body with a new e-mail, password or not.
    Sloppy,
}

#[derive(Debug, Clone, Copy)]
struct Site {
    reset: Reset,
    /// The reset endpoint answers 429 (Retry-After 60) after this many requests.
    reset_throttle_after: Option<usize>,
    register: Register,
    /// Every endpoint refuses reserved domains (`.invalid`, `.test`, …) as "not accepted", as
    /// strict e-mail validators do; keyhole then uses example.com.
    refuse_reserved: bool,
    /// The locked-account answer echoes the attempt it refused (password included), so evidence
    /// that quotes response bodies must redact it.
    echo: bool,
    /// Serve /openapi.json naming the three endpoints.
    openapi: bool,
    /// Added to every answer.
    latency_ms: u64,
    /// An existing account's failure says how many attempts are left ("2 more attempts
    /// remaining" after the first), and the third failure locks it for good.
    countdown: bool,
}

impl Default for Site {
    fn default() -> Site {
        Site {
            reset: Reset::Leaky,
            reset_throttle_after: None,
            register: Register::Strict,
            refuse_reserved: false,
            echo: true,
            openapi: true,
            latency_ms: 0,
            countdown: false,
        }
    }
}

/// What the server saw and did.
#[derive(Default)]
struct State {
    /// Every request, in the order the server handled it.
    log: Vec<ReqHead>,
    /// Existing accounts: e-mail → password.
    accounts: HashMap<String, String>,
    /// Accounts registration created, with the index in `log` of the creating request.
    created: Vec<(String, usize)>,
    failures: HashMap<String, u32>,
    locked_until: HashMap<String, Instant>,
    reset_requests: usize,
}

struct FlowServer {
    server: Server,
    state: Arc<Mutex<State>>,
}

impl FlowServer {
    fn url(&self) -> String {
        self.server.url()
    }

    /// What the server has seen and done so far.
    fn records(&self) -> Records {
        self.state
            .lock()
            .map(|s| Records {
                log: s.log.clone(),
                created: s.created.clone(),
            })
            .unwrap_or_default()
    }
}

/// A snapshot of a server's records.
#[derive(Debug, Default)]
struct Records {
    /// Every request, in the order the server handled it.
    log: Vec<ReqHead>,
    /// Accounts registration created, with the index in `log` of the creating request.
    created: Vec<(String, usize)>,
}

/// One answer: status, headers, body.
type Answer = (u16, Vec<(String, String)>, Vec<u8>);

fn json_answer(status: u16, v: Value) -> Answer {
    (
        status,
        vec![("Content-Type".into(), "application/json".into())],
        v.to_string().into_bytes(),
    )
}

/// A fresh server state: the seeded accounts and the owned one.
fn seeded() -> State {
    let mut st = State::default();
    for (i, a) in SEEDED.iter().enumerate() {
        st.accounts
            .insert(a.to_string(), format!("unknowable-{i}-Xk29fmQ03pZLwq8"));
    }
    st.accounts
        .insert(OWNED.to_string(), OWNED_PASSWORD.to_string());
    st
}

async fn flow_server(site: Site) -> FlowServer {
    let state = Arc::new(Mutex::new(seeded()));
    let shared = state.clone();
    let latency = Duration::from_millis(site.latency_ms);
    let server = start(
        "127.0.0.1",
        OnAccept::Serve,
        handler(move |req, mut io, _| {
            let state = shared.clone();
            async move {
                if !latency.is_zero() {
                    tokio::time::sleep(latency).await;
                }
                let answer = {
                    let Ok(mut st) = state.lock() else {
                        return None;
                    };
                    if st.log.len() >= SERVER_REQUEST_CAP {
                        return None;
                    }
                    st.log.push(req.clone());
                    answer(&site, &mut st, &req)
                };
                let (status, headers, body) = answer;
                let headers: Vec<(&str, &str)> = headers
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                respond(&mut io, status, &headers, &body)
                    .await
                    .then_some(io)
            }
        }),
        false,
    )
    .await;
    FlowServer { server, state }
}

/// The server's logic; `st.log` already holds `req` as its last entry.
fn answer(site: &Site, st: &mut State, req: &ReqHead) -> Answer {
    let route = req.route();
    match (req.method.as_str(), route) {
        ("GET", "/") => json_answer(
            200,
            json!({"name": "Acme accounts", "docs": "/openapi.json"}),
        ),
        ("GET", "/openapi.json") if site.openapi => json_answer(200, openapi_doc()),
        ("POST", LOGIN) => sign_in(site, st, req),
        ("POST", RESET) => reset(site, st, req),
        ("POST", REGISTER) => register(site, st, req),
        (_, LOGIN | RESET | REGISTER) => {
            let (s, mut h, b) = json_answer(405, json!({"error": "Method not allowed"}));
            h.push(("Allow".into(), "POST".into()));
            (s, h, b)
        }
        _ => json_answer(404, json!({"error": "Not found"})),
    }
}

/// String fields of a JSON object body (top level), or of a form body.
fn body_fields(req: &ReqHead) -> HashMap<String, String> {
    match serde_json::from_slice::<Value>(&req.body) {
        Ok(Value::Object(m)) => m
            .into_iter()
            .filter_map(|(k, v)| match v {
                Value::String(s) => Some((k, s)),
                _ => None,
            })
            .collect(),
        Ok(_) => HashMap::new(),
        Err(_) => url::form_urlencoded::parse(&req.body)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect(),
    }
}

fn valid_email(e: &str) -> bool {
    let Some((local, domain)) = e.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !e.chars().any(char::is_whitespace)
}

fn reserved_domain(e: &str) -> bool {
    let domain = e.rsplit('@').next().unwrap_or("").to_ascii_lowercase();
    [".invalid", ".test", ".localhost", ".example"]
        .iter()
        .any(|t| domain.ends_with(t))
}

/// The e-mail error a validator gives, if any.
fn email_error(site: &Site, email: Option<&str>) -> Option<&'static str> {
    match email {
        None | Some("") => Some("Email is required"),
        Some(e) if !valid_email(e) => Some("Enter a valid email address"),
        Some(e) if site.refuse_reserved && reserved_domain(e) => {
            Some("Email domain is not accepted")
        }
        Some(_) => None,
    }
}

fn sign_in(site: &Site, st: &mut State, req: &ReqHead) -> Answer {
    let f = body_fields(req);
    let email = f.get("email").map(|e| e.trim().to_ascii_lowercase());
    let password = f.get("password").cloned().unwrap_or_default();
    let mut errors = serde_json::Map::new();
    if let Some(e) = email_error(site, email.as_deref()) {
        errors.insert("email".into(), json!(e));
    }
    if password.is_empty() {
        errors.insert("password".into(), json!("Password is required"));
    }
    if !errors.is_empty() {
        return json_answer(400, json!({ "errors": errors }));
    }
    let email = email.unwrap_or_default();
    let now = Instant::now();
    if let Some(until) = st.locked_until.get(&email).copied() {
        if until > now {
            let left = until.duration_since(now).as_secs().max(1);
            let mut body = json!({
                "error": format!("Account locked after too many failed sign-ins. Try again in {left} seconds.")
            });
            if site.echo {
                body["attempt"] = json!({"email": email, "password": password});
            }
            let (s, mut h, b) = json_answer(423, body);
            h.push(("Retry-After".into(), left.to_string()));
            return (s, h, b);
        }
        st.locked_until.remove(&email);
    }
    match st.accounts.get(&email) {
        Some(right) if *right == password => {
            st.failures.remove(&email);
            let (s, mut h, b) = json_answer(
                200,
                json!({"token": format!("tok-{}", st.log.len()), "email": email}),
            );
            h.push((
                "Set-Cookie".into(),
                format!("session=s{}; Path=/; HttpOnly", st.log.len()),
            ));
            (s, h, b)
        }
        Some(_) if site.countdown => {
            let n = st.failures.entry(email.clone()).or_default();
            *n += 1;
            if *n >= 3 {
                st.locked_until
                    .insert(email, now + Duration::from_secs(365 * 24 * 3600));
                return json_answer(401, json!({"error": "Invalid email or password"}));
            }
            let left = 3 - *n;
            json_answer(
                401,
                json!({"error": format!("Invalid email or password. {left} more attempts remaining.")}),
            )
        }
        Some(_) => {
            let n = st.failures.entry(email.clone()).or_default();
            *n += 1;
            if *n >= LOCK_AFTER {
                st.failures.remove(&email);
                st.locked_until.insert(email, now + LOCK_FOR);
            }
            json_answer(401, json!({"error": "Invalid email or password"}))
        }
        None => json_answer(401, json!({"error": "Invalid email or password"})),
    }
}

fn reset(site: &Site, st: &mut State, req: &ReqHead) -> Answer {
    st.reset_requests += 1;
    if site
        .reset_throttle_after
        .is_some_and(|n| st.reset_requests > n)
    {
        let (s, mut h, b) = json_answer(429, json!({"error": "Too many requests"}));
        h.push(("Retry-After".into(), "60".into()));
        return (s, h, b);
    }
    let f = body_fields(req);
    let email = f.get("email").map(|e| e.trim().to_ascii_lowercase());
    if let Some(e) = email_error(site, email.as_deref()) {
        return json_answer(400, json!({"errors": {"email": e}}));
    }
    let email = email.unwrap_or_default();
    match site.reset {
        Reset::Generic => json_answer(
            200,
            json!({"message": "If an account with that email exists, a password reset link has been sent."}),
        ),
        Reset::Leaky if st.accounts.contains_key(&email) => {
            json_answer(200, json!({"message": "Password reset link sent"}))
        }
        Reset::Leaky => json_answer(404, json!({"error": "No account with that email"})),
    }
}

fn register(site: &Site, st: &mut State, req: &ReqHead) -> Answer {
    let f = body_fields(req);
    let email = f.get("email").map(|e| e.trim().to_ascii_lowercase());
    let password = f.get("password").cloned().unwrap_or_default();
    let mut errors = serde_json::Map::new();
    match email_error(site, email.as_deref()) {
        Some(e) => {
            errors.insert("email".into(), json!(e));
        }
        None if st.accounts.contains_key(email.as_deref().unwrap_or("")) => {
            errors.insert("email".into(), json!("Email already registered"));
        }
        None => {}
    }
    if site.register == Register::Strict {
        if password.is_empty() {
            errors.insert("password".into(), json!("Password is required"));
        } else if password.chars().count() < 8 {
            errors.insert(
                "password".into(),
                json!("Password must be at least 8 characters"),
            );
        }
    }
    if !errors.is_empty() {
        return json_answer(400, json!({ "errors": errors }));
    }
    let email = email.unwrap_or_default();
    let at = st.log.len() - 1;
    st.accounts.insert(email.clone(), password);
    st.created.push((email.clone(), at));
    let id = st.created.len();
    let (s, mut h, b) = json_answer(201, json!({"id": id, "email": email}));
    h.push((
        "Set-Cookie".into(),
        format!("session=new{id}; Path=/; HttpOnly"),
    ));
    (s, h, b)
}

fn openapi_doc() -> Value {
    let email = |example: &str| json!({"type": "string", "format": "email", "example": example});
    let body = |props: Value, required: Value| {
        json!({"required": true, "content": {"application/json": {"schema": {
            "type": "object", "required": required, "properties": props}}}})
    };
    json!({
        "openapi": "3.0.3",
        "info": {"title": "Acme accounts", "version": "1.0.0"},
        "paths": {
            LOGIN: {"post": {
                "summary": "Sign in",
                "requestBody": body(
                    json!({"email": email("admin@example.com"),
                           "password": {"type": "string", "format": "password"}}),
                    json!(["email", "password"])),
                "responses": {"200": {"description": "Signed in"},
                              "401": {"description": "Invalid email or password"}}}},
            RESET: {"post": {
                "summary": "Forgot password: e-mail a reset link",
                "requestBody": body(json!({"email": email("alice@example.com")}), json!(["email"])),
                "responses": {"200": {"description": "Reset link sent"},
                              "404": {"description": "No account with that email"}}}},
            REGISTER: {"post": {
                "summary": "Register: create an account",
                "requestBody": body(
                    json!({"email": email("support@example.com"),
                           "password": {"type": "string", "format": "password", "minLength": 8}}),
                    json!(["email", "password"])),
                "responses": {"201": {"description": "Account created"},
                              "400": {"description": "Validation failed"}}}}
        }
    })
}

// ---------------------------------------------------------------------------------------------
// Reading the records.

/// An identifier keyhole made up: 8-10 lower-case letters and two digits, bare or at
/// example.invalid or example.com (the SPEC's random accounts; `Scanner::random_account`).
fn is_random(name: &str) -> bool {
    let local = name
        .strip_suffix("@example.invalid")
        .or_else(|| name.strip_suffix("@example.com"))
        .unwrap_or(name);
    let (letters, digits) = local.split_at(local.len().saturating_sub(2));
    (8..=10).contains(&letters.len())
        && letters.bytes().all(|b| b.is_ascii_lowercase())
        && digits.len() == 2
        && digits.bytes().all(|b| b.is_ascii_digit())
}

fn is_owned(name: &str) -> bool {
    name.eq_ignore_ascii_case(OWNED)
}

/// A field name that holds an account identifier.
fn identifier_key(k: &str) -> bool {
    let k = k.to_ascii_lowercase();
    ["mail", "user", "login", "name", "ident", "account", "phone"]
        .iter()
        .any(|n| k.contains(n))
}

/// Every account identifier a request names: string values (at any depth of a JSON body, in a
/// form body or in the query) under an identifier-like field name, and any value with an `@`.
/// Empty values name nobody.
fn identifiers(req: &ReqHead) -> Vec<String> {
    fn walk(key: &str, v: &Value, out: &mut Vec<String>) {
        match v {
            Value::String(s)
                if !s.trim().is_empty() && (identifier_key(key) || s.contains('@')) =>
            {
                out.push(s.trim().to_string());
            }
            Value::Array(a) => a.iter().for_each(|x| walk(key, x, out)),
            Value::Object(m) => m.iter().for_each(|(k, x)| walk(k, x, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    match serde_json::from_slice::<Value>(&req.body) {
        Ok(v) => walk("", &v, &mut out),
        Err(_) => {
            for (k, v) in url::form_urlencoded::parse(&req.body) {
                walk(&k, &Value::String(v.into_owned()), &mut out);
            }
        }
    }
    if let Some((_, q)) = req.path.split_once('?') {
        for (k, v) in url::form_urlencoded::parse(q.as_bytes()) {
            walk(&k, &Value::String(v.into_owned()), &mut out);
        }
    }
    out
}

/// Fields of a request body other than the identifier that carry a value: a registration probe
/// must leave them out (contract: "leaves the password (and every field other than the
/// identifier) out").
fn filled_non_identifier_fields(req: &ReqHead) -> Vec<String> {
    let mut out = Vec::new();
    match serde_json::from_slice::<Value>(&req.body) {
        Ok(Value::Object(m)) => {
            for (k, v) in m {
                let filled = match &v {
                    Value::Null => false,
                    Value::String(s) => !s.is_empty(),
                    _ => true,
                };
                if filled && !(k.eq_ignore_ascii_case("email") && v.is_string()) {
                    out.push(format!("{k}={v}"));
                }
            }
        }
        Ok(_) => {}
        Err(_) => {
            for (k, v) in url::form_urlencoded::parse(&req.body) {
                if !v.is_empty() && !k.eq_ignore_ascii_case("email") {
                    out.push(format!("{k}={v}"));
                }
            }
        }
    }
    out
}

fn basic_auth(req: &ReqHead) -> Option<String> {
    use base64::Engine as _;
    let b = req.header("authorization")?.strip_prefix("Basic ")?;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b.trim())
        .ok()?;
    Some(String::from_utf8_lossy(&raw).into_owned())
}

/// Whether a request carries the owned password anywhere: path, headers, body, in plain text,
/// percent-decoded, JSON-decoded or in Basic credentials.
fn carries_password(req: &ReqHead) -> bool {
    let mut hay: Vec<String> = vec![req.path.clone(), String::from_utf8_lossy(&req.body).into()];
    hay.extend(req.headers.iter().map(|(k, v)| format!("{k}: {v}")));
    for raw in [req.path.as_bytes(), &req.body[..]] {
        hay.extend(url::form_urlencoded::parse(raw).map(|(k, v)| format!("{k}={v}")));
    }
    if let Ok(v) = serde_json::from_slice::<Value>(&req.body) {
        fn leaves(v: &Value, out: &mut Vec<String>) {
            match v {
                Value::String(s) => out.push(s.clone()),
                Value::Array(a) => a.iter().for_each(|x| leaves(x, out)),
                Value::Object(m) => m.iter().for_each(|(k, x)| {
                    out.push(k.clone());
                    leaves(x, out)
                }),
                _ => {}
            }
        }
        leaves(&v, &mut hay);
    }
    hay.extend(basic_auth(req));
    hay.iter().any(|h| h.contains(OWNED_PASSWORD))
}

/// One line about a request for assertion messages.
fn show(i: usize, r: &ReqHead) -> String {
    let body = String::from_utf8_lossy(&r.body);
    let body: String = body.chars().take(300).collect();
    format!("#{i} {} {} {body}", r.method, r.path)
}

/// Where the owned password shows in `text` (a whole or a 10-character piece of it, or its
/// Base64 alone or in Basic credentials), if anywhere.
fn password_trace(text: &str) -> Option<String> {
    use base64::Engine as _;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let mut needles = vec![
        OWNED_PASSWORD.to_string(),
        b64(OWNED_PASSWORD).trim_end_matches('=').to_string(),
        b64(&format!("{OWNED}:{OWNED_PASSWORD}"))
            .trim_end_matches('=')
            .to_string(),
    ];
    let chars: Vec<char> = OWNED_PASSWORD.chars().collect();
    needles.extend(chars.windows(10).map(|w| w.iter().collect::<String>()));
    needles.iter().find_map(|n| {
        text.find(n.as_str()).map(|at| {
            let from = text[..at]
                .char_indices()
                .rev()
                .nth(80)
                .map_or(0, |(i, _)| i);
            let around: String = text[from..].chars().take(200).collect();
            format!("{n:?} at byte {at}: …{around}…")
        })
    })
}

// ---------------------------------------------------------------------------------------------
// Running the binary.

#[derive(Debug)]
struct Run {
    args: Vec<String>,
    code: Option<i32>,
    stdout: String,
    stderr: String,
    elapsed: Duration,
    killed: bool,
    /// Every file keyhole left in its working folder: path and contents (lossy).
    files: Vec<(PathBuf, String)>,
}

impl Run {
    fn describe(&self) -> String {
        let cut = |s: &str, n: usize| s.chars().take(n).collect::<String>();
        format!(
            "keyhole {}\nexit {:?} after {:.1}s, killed {}\n--- stderr ---\n{}\n--- stdout (first 3000 chars) ---\n{}",
            self.args.join(" "),
            self.code,
            self.elapsed.as_secs_f64(),
            self.killed,
            cut(&self.stderr, 4000),
            cut(&self.stdout, 3000)
        )
    }

    /// The JSON report on stdout (the run must have exited 0 with `--format json`).
    fn report(&self) -> Value {
        assert_eq!(
            self.code,
            Some(0),
            "the scan should complete (exit 0): {}",
            self.describe()
        );
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not one JSON report ({e}): {}", self.describe()))
    }
}

/// The files under `dir`, at most 64, each read up to 8 MiB.
fn files_under(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            if out.len() >= 64 {
                return out;
            }
            let p = e.path();
            if p.is_dir() {
                todo.push(p);
            } else if let Ok(f) = std::fs::File::open(&p) {
                let mut buf = Vec::new();
                let _ = f.take(8 << 20).read_to_end(&mut buf);
                out.push((p, String::from_utf8_lossy(&buf).into_owned()));
            }
        }
    }
    out
}

/// Run keyhole with `args` (`{dir}` in an argument is replaced by the working folder) in a fresh
/// empty folder, with `env` added; kill it at `hard_limit`. Blocking.
fn run_keyhole(args: &[String], env: &[(&str, &str)], hard_limit: Duration) -> Run {
    let dir = tempfile::tempdir().expect("temp dir");
    let here = dir.path().display().to_string();
    let args: Vec<String> = args.iter().map(|a| a.replace("{dir}", &here)).collect();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_keyhole"));
    cmd.args(&args)
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .env_remove("RUST_BACKTRACE")
        .env_remove(PASSWORD_ENV)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("spawn keyhole");
    let drain = |r: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(r) = r {
                let _ = r.take(16 << 20).read_to_end(&mut buf);
            }
            String::from_utf8_lossy(&buf).into_owned()
        })
    };
    let out = drain(
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    );
    let err = drain(
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    );
    let started = Instant::now();
    let mut killed = false;
    let mut status = None;
    // Bounded: at most hard_limit / 10 ms polls, then one kill and a blocking wait.
    for _ in 0..(hard_limit.as_millis() / 10 + 1) {
        match child.try_wait() {
            Ok(Some(s)) => {
                status = Some(s);
                break;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => panic!("waiting for keyhole: {e}"),
        }
    }
    let status = match status {
        Some(s) => s,
        None => {
            killed = true;
            let _ = child.kill();
            child.wait().expect("wait after kill")
        }
    };
    let elapsed = started.elapsed();
    Run {
        args,
        code: status.code(),
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
        elapsed,
        killed,
        files: files_under(dir.path()),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// No credentials.
    Plain,
    /// `--username tester@example.com --password-env VAR`.
    Owned,
}

/// `scan URL` with `--deadline`/`--timeout`, the mode's options and `extra`, killed at
/// deadline + 15 s. Run from async code on a blocking thread.
async fn scan(url: &str, mode: Mode, extra: &[&str]) -> Run {
    let mut args: Vec<String> = [
        "scan",
        url,
        "--deadline",
        &DEADLINE.to_string(),
        "--timeout",
        &TIMEOUT.to_string(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    if mode == Mode::Owned {
        args.extend(
            ["--username", OWNED, "--password-env", PASSWORD_ENV]
                .iter()
                .map(|s| s.to_string()),
        );
    }
    args.extend(extra.iter().map(|s| s.to_string()));
    let env: Vec<(&'static str, &'static str)> = match mode {
        Mode::Owned => vec![(PASSWORD_ENV, OWNED_PASSWORD)],
        Mode::Plain => Vec::new(),
    };
    tokio::task::spawn_blocking(move || {
        run_keyhole(&args, &env, Duration::from_secs(DEADLINE as u64 + 15))
    })
    .await
    .expect("runner thread")
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

// ---------------------------------------------------------------------------------------------
// The promises, as checks that say which one broke.

/// Every server-side promise of the flow contract, over one scan's records. `max_requests` is
/// the scan's `--max-requests`.
fn check_server_side(
    rec: &Records,
    mode: Mode,
    max_requests: usize,
    run: &Run,
) -> Result<(), String> {
    let log = &rec.log;
    let ctx = || run.describe();
    if run.killed {
        return Err(format!(
            "keyhole ran past its deadline and was killed: {}",
            ctx()
        ));
    }
    if log.len() > max_requests {
        return Err(format!(
            "the server saw {} requests, --max-requests was {max_requests}: {}",
            log.len(),
            ctx()
        ));
    }
    let mut reset_requests = 0usize;
    let mut owned_resets = Vec::new();
    let mut register_per_id: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    let mut with_password = Vec::new();
    let mut sign_ins: BTreeMap<String, usize> = BTreeMap::new();
    for (i, r) in log.iter().enumerate() {
        let ua = r.header("user-agent").unwrap_or("");
        if !ua.starts_with("keyhole/") {
            return Err(format!(
                "request without a keyhole User-Agent ({ua:?}): {}\n{}",
                show(i, r),
                ctx()
            ));
        }
        let route = r.route();
        if route == RESET {
            reset_requests += 1;
            let ids = identifiers(r);
            if ids.iter().any(|u| is_owned(u)) {
                // Counted, and refused below without --username.
                owned_resets.push(i);
            }
            for id in ids.iter().filter(|u| !is_owned(u)) {
                if !is_random(id) {
                    return Err(format!(
                        "a password-reset request for {id:?}, neither random nor the owned \
                         account (a reset message to a real user): {}\n{}",
                        show(i, r),
                        ctx()
                    ));
                }
            }
        }
        if route == REGISTER {
            let filled = filled_non_identifier_fields(r);
            if r.method == "POST" && !filled.is_empty() {
                return Err(format!(
                    "a registration request fills {filled:?} besides the identifier (the probe \
                     must leave the password and every other field out): {}\n{}",
                    show(i, r),
                    ctx()
                ));
            }
            let mut ids: Vec<String> = identifiers(r)
                .into_iter()
                .map(|s| s.to_ascii_lowercase())
                .collect();
            ids.sort();
            ids.dedup();
            for id in ids {
                register_per_id.entry(id).or_default().push(i);
            }
        }
        if route == LOGIN && r.method == "POST" {
            let f = body_fields(r);
            if let Some(u) = f.get("email").filter(|u| !u.is_empty()) {
                *sign_ins.entry(u.to_ascii_lowercase()).or_default() += 1;
            }
            if let Some(p) = f.get("password").filter(|p| !p.is_empty()) {
                if p != OWNED_PASSWORD && p.chars().count() < 16 {
                    return Err(format!(
                        "a sign-in password shorter than 16 characters ({p:?}): {}\n{}",
                        show(i, r),
                        ctx()
                    ));
                }
            }
        }
        if carries_password(r) {
            with_password.push(i);
            let ids = identifiers(r);
            if route != LOGIN
                || r.method != "POST"
                || ids.is_empty()
                || !ids.iter().all(|u| is_owned(u))
            {
                return Err(format!(
                    "the owned password was sent outside a sign-in for {OWNED}: {}\n{}",
                    show(i, r),
                    ctx()
                ));
            }
        }
    }
    if reset_requests >= RESET_LIMIT {
        return Err(format!(
            "{reset_requests} requests reached the reset endpoint {RESET} (fewer than \
             {RESET_LIMIT} allowed, whatever their method or identifier):\n{}\n{}",
            log.iter()
                .enumerate()
                .filter(|(_, r)| r.route() == RESET)
                .map(|(i, r)| show(i, r))
                .collect::<Vec<_>>()
                .join("\n"),
            ctx()
        ));
    }
    if owned_resets.len() > OWNED_RESET_LIMIT {
        return Err(format!(
            "{} reset requests for the owned account (at most {OWNED_RESET_LIMIT}): requests \
             {owned_resets:?}: {}",
            owned_resets.len(),
            ctx()
        ));
    }
    if mode == Mode::Plain && !owned_resets.is_empty() {
        return Err(format!(
            "a reset for {OWNED} in a scan without --username: requests {owned_resets:?}: {}",
            ctx()
        ));
    }
    for (id, at) in &register_per_id {
        // Without --username the owned account is just another guessed one.
        let owned = mode == Mode::Owned && is_owned(id);
        if at.len() > 1 && !is_random(id) && !owned {
            return Err(format!(
                "the guessed identifier {id:?} got {} registration requests (at most 1): \
                 requests {at:?}\n{}\n{}",
                at.len(),
                at.iter()
                    .map(|i| show(*i, &log[*i]))
                    .collect::<Vec<_>>()
                    .join("\n"),
                ctx()
            ));
        }
    }
    for (id, n) in &sign_ins {
        let owned = mode == Mode::Owned && is_owned(id);
        if *n > 3 && !is_random(id) && !owned {
            return Err(format!(
                "the account {id:?}, which may be real, got {n} sign-in attempts (at most 3): {}",
                ctx()
            ));
        }
    }
    if with_password.len() > REAL_PASSWORD_LIMIT {
        return Err(format!(
            "the real password was sent {} times (at most {REAL_PASSWORD_LIMIT}): requests \
             {with_password:?}: {}",
            with_password.len(),
            ctx()
        ));
    }
    if mode == Mode::Plain && !with_password.is_empty() {
        return Err(format!(
            "the owned password was sent in a scan that was never given it: {with_password:?}"
        ));
    }
    if let Ok(v) = serde_json::from_str::<Value>(&run.stdout) {
        if let Some(n) = v["stats"]["requests"].as_u64() {
            if n as usize > max_requests {
                return Err(format!(
                    "the report counts {n} requests, --max-requests was {max_requests}"
                ));
            }
        }
    }
    Ok(())
}

/// No account was created, unless the server is sloppy; then at most one, named in the report,
/// with nothing more sent to the registration endpoint after it.
fn check_accounts(rec: &Records, site: &Site, run: &Run) -> Result<(), String> {
    let (created, log) = (&rec.created, &rec.log);
    if created.is_empty() {
        return Ok(());
    }
    if site.register == Register::Strict {
        return Err(format!(
            "registration created accounts {:?} (requests {}): {}",
            created.iter().map(|c| &c.0).collect::<Vec<_>>(),
            created
                .iter()
                .map(|(_, i)| show(*i, &log[*i]))
                .collect::<Vec<_>>()
                .join("\n"),
            run.describe()
        ));
    }
    let (who, at) = &created[0];
    let later: Vec<String> = log
        .iter()
        .enumerate()
        .skip(at + 1)
        .filter(|(_, r)| r.route() == REGISTER)
        .map(|(i, r)| show(i, r))
        .collect();
    if !later.is_empty() {
        return Err(format!(
            "after request #{at} created {who:?}, keyhole sent {} more requests to {REGISTER} \
             (it must stop probing that endpoint):\n{}\n{}",
            later.len(),
            later.join("\n"),
            run.describe()
        ));
    }
    if created.len() > 1 {
        return Err(format!(
            "registration created {} accounts: {created:?}",
            created.len()
        ));
    }
    let Ok(report) = serde_json::from_str::<Value>(&run.stdout) else {
        return Err(format!("no JSON report: {}", run.describe()));
    };
    let named = report["observations"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|o| {
            o["kind"] == "account-created"
                && o["summary"]
                    .as_str()
                    .is_some_and(|s| s.to_ascii_lowercase().contains(who.as_str()))
        });
    if !named {
        return Err(format!(
            "the scan created {who:?} but no observation of kind account-created names it: \
             observations {:#}",
            report["observations"]
        ));
    }
    Ok(())
}

/// The owned password shows nowhere keyhole writes: stdout, stderr, files in its folder.
fn check_no_password_output(run: &Run) -> Result<(), String> {
    for (what, text) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
        if let Some(t) = password_trace(text) {
            return Err(format!(
                "the owned password shows in {what}: {t}\n{}",
                run.describe()
            ));
        }
    }
    for (path, text) in &run.files {
        if let Some(t) = password_trace(text) {
            return Err(format!(
                "the owned password shows in {}: {t}\n{}",
                path.display(),
                run.describe()
            ));
        }
    }
    Ok(())
}

fn must(r: Result<(), String>) {
    if let Err(why) = r {
        panic!("{why}");
    }
}

/// The report's endpoint for `path`, if listed.
fn endpoint<'a>(report: &'a Value, path: &str) -> Option<&'a Value> {
    report["endpoints"].as_array()?.iter().find(|e| {
        e["method"] == "POST"
            && e["url"]
                .as_str()
                .and_then(|u| url::Url::parse(u).ok())
                .is_some_and(|u| u.path() == path)
    })
}

fn findings<'a>(report: &'a Value, id: &str, path: &str) -> Vec<&'a Value> {
    report["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| {
            f["id"] == id
                && f["endpoint"]
                    .as_str()
                    .is_some_and(|e| e.starts_with("POST ") && e.ends_with(path))
        })
        .collect()
}

/// Not vacuous: with the default budget keyhole found all three flows, listed them with their
/// `flow`, and really probed reset and registration.
fn check_flows_probed(rec: &Records, report: &Value) {
    let dump = || format!("{report:#}");
    for (path, flow) in [
        (LOGIN, "sign-in"),
        (RESET, "password-reset"),
        (REGISTER, "registration"),
    ] {
        let e = endpoint(report, path)
            .unwrap_or_else(|| panic!("POST {path} is not listed in endpoints: {}", dump()));
        assert_eq!(
            e["flow"],
            flow,
            "POST {path} should be a {flow}: {}",
            dump()
        );
    }
    assert!(
        endpoint(report, RESET).is_some_and(|e| e["password_field"].is_null()),
        "a reset endpoint has password_field null: {}",
        dump()
    );
    assert_eq!(
        endpoint(report, REGISTER).map(|e| e["password_field"].clone()),
        Some(json!("password")),
        "the registration endpoint's password_field is its new-password field: {}",
        dump()
    );
    let log = &rec.log;
    let probed = |path: &str| {
        log.iter()
            .any(|r| r.method == "POST" && r.route() == path && !identifiers(r).is_empty())
    };
    assert!(
        probed(RESET),
        "no reset probe named an identifier: {}",
        dump()
    );
    assert!(
        probed(REGISTER),
        "no registration probe named an identifier: {}",
        dump()
    );
}

// ---------------------------------------------------------------------------------------------
// Tests.

/// The shape test for random identifiers must not excuse real or guessed ones.
#[test]
fn random_identifier_shape() {
    for made_up in [
        "qwertyui42",
        "qwertyuiop42@example.invalid",
        "abcdefghij10@example.com",
    ] {
        assert!(is_random(made_up), "{made_up}");
    }
    for real in [
        OWNED,
        "admin",
        "admin@example.com",
        "alice@example.com",
        "administrator@example.invalid",
        "root@127.0.0.1",
        "qwertyui42@example.org",
        "Qwertyui42@example.com",
        "test1234567",
        "",
    ] {
        assert!(!is_random(real), "{real}");
    }
    for s in SEEDED {
        assert!(!is_random(s) && !is_owned(s), "{s}");
    }
}

/// The record readers find what they must: identifiers in JSON, nested JSON, forms and queries;
/// the password in every encoding a request may use.
#[test]
fn record_readers() {
    let req = |path: &str, body: &str, headers: &[(&str, &str)]| ReqHead {
        method: "POST".into(),
        path: path.into(),
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        body: body.as_bytes().to_vec(),
    };
    assert_eq!(
        identifiers(&req(RESET, r#"{"email":"admin@example.com"}"#, &[])),
        ["admin@example.com"]
    );
    assert_eq!(
        identifiers(&req(
            RESET,
            r#"{"user":{"login":"root"},"x":["a@b.c"]}"#,
            &[]
        )),
        ["root", "a@b.c"]
    );
    assert_eq!(
        identifiers(&req(
            "/api/forgot-password?email=alice%40example.com",
            "",
            &[]
        )),
        ["alice@example.com"]
    );
    assert_eq!(
        identifiers(&req(RESET, "email=admin%40example.com&csrf=zz", &[])),
        ["admin@example.com"]
    );
    assert!(identifiers(&req(RESET, r#"{"email":""}"#, &[])).is_empty());
    assert_eq!(
        filled_non_identifier_fields(&req(REGISTER, r#"{"email":"a@b.c","password":""}"#, &[])),
        Vec::<String>::new()
    );
    assert_eq!(
        filled_non_identifier_fields(&req(REGISTER, r#"{"email":"a@b.c","password":"x"}"#, &[]))
            .len(),
        1
    );
    use base64::Engine as _;
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{OWNED}:{OWNED_PASSWORD}"))
    );
    let escaped: String = OWNED_PASSWORD
        .bytes()
        .map(|b| format!("%{b:02X}"))
        .collect();
    for r in [
        req(
            LOGIN,
            &json!({"email": OWNED, "password": OWNED_PASSWORD}).to_string(),
            &[],
        ),
        req(LOGIN, &format!("email=x&password={escaped}"), &[]),
        req(LOGIN, "", &[("authorization", &basic)]),
        req(&format!("{LOGIN}?p={OWNED_PASSWORD}"), "", &[]),
    ] {
        assert!(carries_password(&r), "{r:?}");
    }
    assert!(!carries_password(&req(
        LOGIN,
        r#"{"email":"tester@example.com","password":"abcdefghijklmnopqrst"}"#,
        &[]
    )));
    assert!(password_trace(&format!("evidence: {}", &OWNED_PASSWORD[3..15])).is_some());
    assert!(password_trace("nothing to see").is_none());
}

/// Requests through the server's logic without a network: the records a scan that sent them
/// would leave.
fn simulate(site: Site, reqs: &[ReqHead]) -> Records {
    let mut st = seeded();
    for r in reqs {
        st.log.push(r.clone());
        let _ = answer(&site, &mut st, r);
    }
    Records {
        log: st.log,
        created: st.created,
    }
}

fn keyhole_post(path: &str, body: Value) -> ReqHead {
    ReqHead {
        method: "POST".into(),
        path: path.into(),
        headers: vec![
            ("user-agent".into(), "keyhole/0.1.0 (test)".into()),
            ("content-type".into(), "application/json".into()),
        ],
        body: body.to_string().into_bytes(),
    }
}

fn no_run(stdout: &str) -> Run {
    Run {
        args: vec!["(simulated)".into()],
        code: Some(0),
        stdout: stdout.into(),
        stderr: String::new(),
        elapsed: Duration::ZERO,
        killed: false,
        files: Vec::new(),
    }
}

/// The checks pass what the contract allows and catch each broken promise, so a green run of
/// the scans means something.
#[test]
fn checks_catch_each_broken_promise() {
    let rnd = |i: usize| {
        format!(
            "{}{:02}@example.invalid",
            ["qwertyui", "asdfghjkl", "zxcvbnmpoi"][i % 3],
            10 + i
        )
    };
    let random_pw = "rNd0m-pw-abcdefghij";
    let login = |u: &str, p: &str| keyhole_post(LOGIN, json!({"email": u, "password": p}));
    let reset = |u: &str| keyhole_post(RESET, json!({ "email": u }));
    let register = |u: &str| keyhole_post(REGISTER, json!({ "email": u }));
    // Everything the contract allows an owned-mode scan to send.
    let mut allowed = vec![login(&rnd(0), random_pw), keyhole_post(RESET, json!({}))];
    allowed.extend((0..3).map(|_| login("admin@example.com", random_pw)));
    allowed.extend((0..3).map(|_| login(OWNED, OWNED_PASSWORD)));
    allowed.extend((0..8).map(|_| login(OWNED, random_pw)));
    allowed.extend((0..25).map(|i| reset(&rnd(i))));
    allowed.extend((0..3).map(|_| reset(OWNED)));
    allowed.extend((0..4).map(|i| register(&rnd(i))));
    allowed.extend([
        register("admin@example.com"),
        register(OWNED),
        register(OWNED),
    ]);
    allowed.push(keyhole_post(
        REGISTER,
        json!({"email": rnd(1), "password": ""}),
    ));
    let site = Site::default();
    let rec = simulate(site, &allowed);
    assert!(rec.created.is_empty());
    let ok = check_server_side(&rec, Mode::Owned, 250, &no_run(""))
        .and_then(|()| check_accounts(&rec, &site, &no_run("")));
    assert!(ok.is_ok(), "an allowed scan was refused: {ok:?}");

    let mut curl = reset(&rnd(2));
    curl.headers[0].1 = "curl/8.0".into();
    let broken: Vec<(&str, Mode, Vec<ReqHead>, &str)> = vec![
        (
            "guessed reset",
            Mode::Owned,
            vec![reset("admin@example.com")],
            "neither random nor the owned",
        ),
        (
            "guessed reset in a query",
            Mode::Owned,
            vec![ReqHead {
                path: format!("{RESET}?email=alice%40example.com"),
                ..keyhole_post(RESET, json!({}))
            }],
            "neither random",
        ),
        (
            "4 owned resets",
            Mode::Owned,
            (0..4).map(|_| reset(OWNED)).collect(),
            "reset requests for the owned account",
        ),
        (
            "owned reset, plain",
            Mode::Plain,
            vec![reset(OWNED)],
            "without --username",
        ),
        (
            "30 resets",
            Mode::Plain,
            (0..30).map(|i| reset(&rnd(i))).collect(),
            "reached the reset endpoint",
        ),
        (
            "password in a registration",
            Mode::Plain,
            vec![keyhole_post(
                REGISTER,
                json!({"email": "admin@example.com", "password": random_pw}),
            )],
            "besides the identifier",
        ),
        (
            "confirmation in a registration",
            Mode::Plain,
            vec![keyhole_post(
                REGISTER,
                json!({"email": rnd(3), "password_confirmation": "x"}),
            )],
            "besides the identifier",
        ),
        (
            "2 guessed registrations",
            Mode::Owned,
            vec![register("admin@example.com"), register("Admin@example.com")],
            "got 2 registration requests",
        ),
        (
            "2 owned registrations, plain",
            Mode::Plain,
            vec![register(OWNED), register(OWNED)],
            "got 2 registration requests",
        ),
        (
            "password in a reset",
            Mode::Owned,
            vec![keyhole_post(
                RESET,
                json!({"email": OWNED, "password": OWNED_PASSWORD}),
            )],
            "outside a sign-in",
        ),
        (
            "password for a guessed account",
            Mode::Owned,
            vec![login("admin@example.com", OWNED_PASSWORD)],
            "outside a sign-in",
        ),
        (
            "password in a registration",
            Mode::Owned,
            vec![keyhole_post(
                REGISTER,
                json!({"email": OWNED, "password": OWNED_PASSWORD}),
            )],
            "besides the identifier",
        ),
        (
            "4 real sign-ins",
            Mode::Owned,
            (0..4).map(|_| login(OWNED, OWNED_PASSWORD)).collect(),
            "sent 4 times",
        ),
        (
            "real sign-in, plain",
            Mode::Plain,
            vec![login(OWNED, OWNED_PASSWORD)],
            "never given it",
        ),
        ("another User-Agent", Mode::Plain, vec![curl], "User-Agent"),
        (
            "4 sign-ins for a guessed account",
            Mode::Owned,
            (0..4)
                .map(|_| login("alice@example.com", random_pw))
                .collect(),
            "got 4 sign-in attempts",
        ),
        (
            "9 sign-ins for the owned account, plain",
            Mode::Plain,
            (0..9).map(|_| login(OWNED, random_pw)).collect(),
            "got 9 sign-in attempts",
        ),
        (
            "a short password",
            Mode::Plain,
            vec![login(&rnd(1), "short-pw")],
            "shorter than 16",
        ),
        (
            "over budget",
            Mode::Plain,
            (0..251).map(|i| login(&rnd(i), random_pw)).collect(),
            "--max-requests",
        ),
    ];
    for (what, mode, reqs, says) in broken {
        let err =
            check_server_side(&simulate(site, &reqs), mode, 250, &no_run("")).expect_err(what);
        assert!(err.contains(says), "{what}: {err:?} should say {says:?}");
    }

    // A completed registration on the strict server; the sloppy one's second creation, a
    // request after the creating one, and a report that does not name the account.
    let completed = simulate(
        site,
        &[keyhole_post(
            REGISTER,
            json!({"email": rnd(4), "password": random_pw}),
        )],
    );
    assert_eq!(completed.created.len(), 1);
    let err = check_accounts(&completed, &site, &no_run("")).expect_err("created");
    assert!(err.contains("created accounts"), "{err}");
    let sloppy = Site {
        register: Register::Sloppy,
        ..site
    };
    let twice = simulate(sloppy, &[register(&rnd(5)), register(&rnd(6))]);
    assert_eq!(twice.created.len(), 2);
    let err = check_accounts(&twice, &sloppy, &no_run("")).expect_err("twice");
    assert!(err.contains("1 more requests"), "{err}");
    let after = simulate(
        sloppy,
        &[register(&rnd(5)), keyhole_post(REGISTER, json!({}))],
    );
    assert_eq!(after.created.len(), 1);
    assert!(check_accounts(&after, &sloppy, &no_run("")).is_err());
    let once = simulate(sloppy, &[register(&rnd(5))]);
    let unnamed = json!({"observations": [{"endpoint": "x", "kind": "account-created", "summary": "an account was created"}]});
    let err = check_accounts(&once, &sloppy, &no_run(&unnamed.to_string())).expect_err("unnamed");
    assert!(err.contains("no observation"), "{err}");
    let named = json!({"observations": [{"endpoint": "x", "kind": "account-created",
        "summary": format!("registration created {}: delete it", rnd(5))}]});
    let ok = check_accounts(&once, &sloppy, &no_run(&named.to_string()));
    assert!(ok.is_ok(), "{ok:?}");

    // The password in output, whole or in part.
    for leaked in [
        OWNED_PASSWORD.to_string(),
        format!("…{}…", &OWNED_PASSWORD[5..17]),
    ] {
        let mut run = no_run("{}");
        run.stderr = format!("debug: body {leaked}");
        assert!(check_no_password_output(&run).is_err(), "{leaked}");
        let mut run = no_run("{}");
        run.files = vec![(PathBuf::from("report.html"), format!("<td>{leaked}</td>"))];
        assert!(check_no_password_output(&run).is_err(), "{leaked}");
    }
    assert!(check_no_password_output(&no_run("{\"password\": \"[redacted]\"}")).is_ok());
}

/// A plain scan (no credentials) of the leaky server: every server-side promise, no account
/// created, the flows found and probed, and the leaky reset reported.
#[test]
fn plain_scan_keeps_the_flow_promises() {
    runtime().block_on(async {
        let site = Site::default();
        let fs = flow_server(site).await;
        let run = scan(&fs.url(), Mode::Plain, &["--format", "json", "-q"]).await;
        let report = run.report();
        must(check_server_side(
            &fs.records(),
            Mode::Plain,
            DEFAULT_MAX_REQUESTS,
            &run,
        ));
        must(check_accounts(&fs.records(), &site, &run));
        check_flows_probed(&fs.records(), &report);
        assert!(
            !findings(&report, "auth.user-enumeration.reset", RESET).is_empty(),
            "a reset that answers 404 \"No account with that email\" to random accounts is \
             auth.user-enumeration.reset: {report:#}"
        );
        assert!(
            report["findings"]
                .as_array()
                .into_iter()
                .flatten()
                .all(|f| f["id"] != "auth.lockout-denial"),
            "auth.lockout-denial needs --username and --password-env: {report:#}"
        );
    });
}

/// A site that warns "2 more attempts remaining" after an existing account's first failure and
/// locks it for good at the third never sees a second attempt on that account, and the report
/// says why keyhole stopped.
#[test]
fn a_countdown_ends_every_attempt_on_that_account() {
    runtime().block_on(async {
        let site = Site {
            countdown: true,
            ..Site::default()
        };
        let fs = flow_server(site).await;
        let run = scan(&fs.url(), Mode::Plain, &["--format", "json", "-q"]).await;
        let report = run.report();
        let records = fs.records();
        let tries: Vec<(&str, usize)> = SEEDED
            .iter()
            .map(|account| {
                let n = records
                    .log
                    .iter()
                    .filter(|r| r.method == "POST" && r.route() == LOGIN)
                    .filter(|r| {
                        identifiers(r)
                            .iter()
                            .any(|u| u.eq_ignore_ascii_case(account))
                    })
                    .count();
                (*account, n)
            })
            .collect();
        for (account, n) in &tries {
            assert!(
                *n <= 1,
                "{account} got {n} sign-in attempts although the first answer warned of a lock"
            );
        }
        assert!(
            tries.iter().any(|(_, n)| *n > 0),
            "no seeded account was tried at all: the test shows nothing"
        );
        let warned = report["observations"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|o| o["kind"] == "lock-warning");
        assert!(warned, "no lock-warning observation: {report:#}");
    });
}

/// Owned mode, JSON on stdout with -q and the same report in --output: the server-side
/// promises, the password nowhere in output, and the lockout found (so the lockout test ran).
#[test]
fn owned_scan_keeps_the_flow_promises() {
    runtime().block_on(async {
        let site = Site::default();
        let fs = flow_server(site).await;
        let run = scan(
            &fs.url(),
            Mode::Owned,
            &["--format", "json", "-q", "--output", "{dir}/report.json"],
        )
        .await;
        let report = run.report();
        must(check_server_side(
            &fs.records(),
            Mode::Owned,
            DEFAULT_MAX_REQUESTS,
            &run,
        ));
        must(check_accounts(&fs.records(), &site, &run));
        must(check_no_password_output(&run));
        assert!(
            run.files.iter().any(|(p, _)| p.ends_with("report.json")),
            "--output report.json was not written: {}",
            run.describe()
        );
        check_flows_probed(&fs.records(), &report);

        let log = fs.records().log;
        let real = log.iter().filter(|r| carries_password(r)).count();
        assert!(
            real >= 1,
            "with --password-env keyhole signs in once with the real password to learn what \
             success looks like; the server never saw it: {}",
            run.describe()
        );
        let owned_resets = log
            .iter()
            .filter(|r| r.route() == RESET && identifiers(r).iter().any(|u| is_owned(u)))
            .count();
        assert!(
            owned_resets >= 1,
            "with --username keyhole compares the owned account's reset with random ones: {}",
            run.describe()
        );
        assert!(
            !findings(&report, "auth.user-enumeration.registration", REGISTER).is_empty(),
            "\"Email already registered\" for the owned account is \
             auth.user-enumeration.registration: {report:#}"
        );
        let lockout = findings(&report, "auth.lockout-denial", LOGIN);
        assert_eq!(
            lockout.len(),
            1,
            "the account refuses its right password after {LOCK_AFTER} failures: one \
             auth.lockout-denial on the sign-in endpoint expected: {report:#}"
        );
        let d = &lockout[0]["details"];
        assert_eq!(d["threshold"], LOCK_AFTER, "details.threshold: {d:#}");
        assert_eq!(
            d["left_locked"], true,
            "the scan leaves the account locked: {d:#}"
        );
        assert!(
            d["duration_s"].is_null()
                || d["duration_s"]
                    .as_f64()
                    .is_some_and(|s| (30.0..=70.0).contains(&s)),
            "details.duration_s is null or about {} s: {d:#}",
            LOCK_FOR.as_secs()
        );
        assert!(
            report["observations"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|o| o["kind"] == "lockout"),
            "an observation of kind lockout says whether the account was left locked: {report:#}"
        );
    });
}

/// Owned mode in every report format with --output, one of them with -v: the password shows in
/// none of stdout, stderr or the file, and the server-side promises hold in each scan.
#[test]
fn owned_password_never_shows_in_any_format() {
    runtime().block_on(async {
        let formats = [
            ("json", "report.json", "-q"),
            ("sarif", "report.sarif", ""),
            ("junit", "report.xml", ""),
            ("markdown", "report.md", ""),
            ("html", "report.html", ""),
            ("pretty", "report.txt", "-v"),
        ];
        // Two scans at a time: each has its own server, so each finds a fresh account.
        for pair in formats.chunks(2) {
            let mut jobs = Vec::new();
            for (format, file, noise) in pair {
                let site = Site::default();
                let fs = flow_server(site).await;
                let url = fs.url();
                let out = format!("{{dir}}/{file}");
                let mut extra = vec!["--format", format, "--output", out.as_str()];
                if !noise.is_empty() {
                    extra.push(noise);
                }
                let extra: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
                jobs.push((
                    *format,
                    *file,
                    fs,
                    site,
                    tokio::spawn(async move {
                        let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
                        scan(&url, Mode::Owned, &extra).await
                    }),
                ));
            }
            for (format, file, fs, site, job) in jobs {
                let run = job.await.expect("scan task");
                assert_eq!(run.code, Some(0), "--format {format}: {}", run.describe());
                let written = run.files.iter().find(|(p, _)| p.ends_with(file));
                assert!(
                    written.is_some_and(|(_, t)| !t.trim().is_empty()),
                    "--format {format} --output {file} was not written: {}",
                    run.describe()
                );
                must(check_no_password_output(&run).map_err(|e| format!("--format {format}: {e}")));
                must(
                    check_server_side(&fs.records(), Mode::Owned, DEFAULT_MAX_REQUESTS, &run)
                        .map_err(|e| format!("--format {format}: {e}")),
                );
                must(check_accounts(&fs.records(), &site, &run));
            }
        }
    });
}

/// `--skip reset --skip register --skip lockout`, plain and owned: nothing reaches the reset or
/// registration path, the real password is never sent, and the sign-in is still scanned.
#[test]
fn skipped_flows_get_no_requests() {
    runtime().block_on(async {
        let skip = [
            "--format", "json", "-q", "--skip", "reset", "--skip", "register", "--skip", "lockout",
        ];
        let plain_fs = flow_server(Site::default()).await;
        let owned_fs = flow_server(Site::default()).await;
        let (plain_url, owned_url) = (plain_fs.url(), owned_fs.url());
        let plain = tokio::spawn(async move { scan(&plain_url, Mode::Plain, &skip).await });
        let owned = tokio::spawn(async move { scan(&owned_url, Mode::Owned, &skip).await });
        for (mode, fs, job) in [
            (Mode::Plain, plain_fs, plain),
            (Mode::Owned, owned_fs, owned),
        ] {
            let run = job.await.expect("scan task");
            let report = run.report();
            must(check_server_side(
                &fs.records(),
                mode,
                DEFAULT_MAX_REQUESTS,
                &run,
            ));
            must(check_no_password_output(&run));
            let log = fs.records().log;
            let flows: Vec<String> = log
                .iter()
                .enumerate()
                .filter(|(_, r)| r.route() == RESET || r.route() == REGISTER)
                .map(|(i, r)| show(i, r))
                .collect();
            assert!(
                flows.is_empty(),
                "{mode:?} with every flow skipped, {} requests reached the reset or \
                 registration path:\n{}\n{}",
                flows.len(),
                flows.join("\n"),
                run.describe()
            );
            let real: Vec<String> = log
                .iter()
                .enumerate()
                .filter(|(_, r)| carries_password(r))
                .map(|(i, r)| show(i, r))
                .collect();
            assert!(
                real.is_empty(),
                "{mode:?} with --skip lockout, the real password was sent:\n{}",
                real.join("\n")
            );
            assert!(
                endpoint(&report, LOGIN).is_some_and(|e| e["flow"] == "sign-in"),
                "{mode:?}: the sign-in is still scanned: {report:#}"
            );
            for id in [
                "auth.lockout-denial",
                "auth.user-enumeration.reset",
                "rate-limit.reset-missing",
                "auth.user-enumeration.registration",
            ] {
                assert!(
                    report["findings"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .all(|f| f["id"] != id),
                    "{mode:?}: {id} from a skipped flow: {report:#}"
                );
            }
        }
    });
}

/// A validator that refuses reserved domains (`.invalid`) on every endpoint, and a generic
/// reset, in owned mode: keyhole moves its random identifiers to example.com, keeps every
/// promise, and does not mistake "domain not accepted" for a reset that tells accounts apart.
#[test]
fn reserved_domains_refused_generic_reset() {
    runtime().block_on(async {
        let site = Site {
            reset: Reset::Generic,
            refuse_reserved: true,
            ..Site::default()
        };
        let fs = flow_server(site).await;
        let run = scan(&fs.url(), Mode::Owned, &["--format", "json", "-q"]).await;
        let report = run.report();
        let rec = fs.records();
        must(check_server_side(
            &rec,
            Mode::Owned,
            DEFAULT_MAX_REQUESTS,
            &run,
        ));
        must(check_accounts(&rec, &site, &run));
        must(check_no_password_output(&run));
        let fallback = rec.log.iter().any(|r| {
            r.route() == RESET
                && identifiers(r)
                    .iter()
                    .any(|u| is_random(u) && u.ends_with("@example.com"))
        });
        assert!(
            fallback,
            "the reset validator refuses example.invalid, so random identifiers go to \
             example.com; none did: {}",
            run.describe()
        );
        assert!(
            findings(&report, "auth.user-enumeration.reset", RESET).is_empty(),
            "the reset answers every valid address alike; \"Email domain is not accepted\" for \
             example.invalid is the validator, not an account telling: {report:#}"
        );
    });
}

/// No OpenAPI document: the flows are found from well-known paths alone (a GET and probes of
/// their own), and the promises still hold: plain on a leaky reset, owned on a generic one.
#[test]
fn well_known_paths_only() {
    runtime().block_on(async {
        let leaky = Site {
            openapi: false,
            ..Site::default()
        };
        let generic = Site {
            reset: Reset::Generic,
            ..leaky
        };
        let plain_fs = flow_server(leaky).await;
        let owned_fs = flow_server(generic).await;
        let (plain_url, owned_url) = (plain_fs.url(), owned_fs.url());
        let plain = tokio::spawn(async move {
            scan(&plain_url, Mode::Plain, &["--format", "json", "-q"]).await
        });
        let owned = tokio::spawn(async move {
            scan(&owned_url, Mode::Owned, &["--format", "json", "-q"]).await
        });
        for (mode, site, fs, job) in [
            (Mode::Plain, leaky, plain_fs, plain),
            (Mode::Owned, generic, owned_fs, owned),
        ] {
            let run = job.await.expect("scan task");
            let _ = run.report();
            let rec = fs.records();
            must(
                check_server_side(&rec, mode, DEFAULT_MAX_REQUESTS, &run)
                    .map_err(|e| format!("{mode:?}: {e}")),
            );
            must(check_accounts(&rec, &site, &run));
            must(check_no_password_output(&run));
        }
    });
}

/// A registration endpoint that creates an account for any body with an e-mail, password or
/// not: keyhole creates at most that one account, names it in an `account-created`
/// observation, says in `incomplete` that registration enumeration was not decided, and sends
/// nothing more to that endpoint.
#[test]
fn created_account_is_named_and_probing_stops() {
    runtime().block_on(async {
        let site = Site {
            register: Register::Sloppy,
            ..Site::default()
        };
        let fs = flow_server(site).await;
        let run = scan(&fs.url(), Mode::Plain, &["--format", "json", "-q"]).await;
        let report = run.report();
        must(check_server_side(
            &fs.records(),
            Mode::Plain,
            DEFAULT_MAX_REQUESTS,
            &run,
        ));
        must(check_accounts(&fs.records(), &site, &run));
        let created = fs.records().created;
        assert_eq!(
            created.len(),
            1,
            "a registration endpoint that keyhole finds and that creates an account for any \
             e-mail: its first identifier probe creates one, and it must be the only one: \
             {created:?}\n{}",
            run.describe()
        );
        assert!(
            report["incomplete"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|i| i["check"] == "auth.user-enumeration.registration"),
            "an account was created, so auth.user-enumeration.registration is incomplete: \
             {report:#}"
        );
        assert!(
            findings(&report, "auth.user-enumeration.registration", REGISTER).is_empty(),
            "no registration finding once probing had to stop: {report:#}"
        );
    });
}

/// One random case: a server variant, a mode, a budget.
#[derive(Debug, Clone)]
struct Case {
    site: Site,
    mode: Mode,
    max_requests: usize,
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop_oneof![Just(Reset::Leaky), Just(Reset::Generic)],
        prop_oneof![Just(None), (3usize..=20).prop_map(Some)],
        prop_oneof![Just(Register::Strict), Just(Register::Sloppy)],
        any::<bool>(),
        any::<bool>(),
        prop_oneof![3 => Just(true), 1 => Just(false)],
        0u64..=5,
        prop_oneof![Just(Mode::Plain), Just(Mode::Owned)],
        prop_oneof![1 => 1usize..=60, 3 => 61usize..=250],
    )
        .prop_map(
            |(reset, throttle, register, refuse_reserved, echo, openapi, latency_ms, mode, max)| {
                Case {
                    site: Site {
                        reset,
                        reset_throttle_after: throttle,
                        register,
                        refuse_reserved,
                        echo,
                        openapi,
                        latency_ms,
                        countdown: false,
                    },
                    mode,
                    max_requests: max,
                }
            },
        )
}

fn check_case(c: &Case) -> Result<(), String> {
    runtime().block_on(async {
        let fs = flow_server(c.site).await;
        let max = c.max_requests.to_string();
        let run = scan(
            &fs.url(),
            c.mode,
            &["--format", "json", "-q", "--max-requests", &max],
        )
        .await;
        if run.code != Some(0) {
            return Err(format!("the scan did not complete: {}", run.describe()));
        }
        check_server_side(&fs.records(), c.mode, c.max_requests, &run)?;
        check_accounts(&fs.records(), &c.site, &run)?;
        check_no_password_output(&run)?;
        // A generic reset answer tells nobody anything.
        if c.site.reset == Reset::Generic {
            if let Ok(report) = serde_json::from_str::<Value>(&run.stdout) {
                if !findings(&report, "auth.user-enumeration.reset", RESET).is_empty() {
                    return Err(format!(
                        "auth.user-enumeration.reset on a reset that answers everyone alike: \
                         {report:#}"
                    ));
                }
            }
        }
        Ok(())
    })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 4,
        // A case is a whole scan: no shrinking (the failing case is printed whole).
        max_shrink_iters: 0,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Leaky or generic, throttled or not, strict or sloppy registration, reserved domains
    /// refused or not, with or without OpenAPI, plain or owned, any budget: every promise holds.
    #[test]
    fn flow_promises_hold_for_any_server(c in case()) {
        if let Err(why) = check_case(&c) {
            prop_assert!(false, "{why}\n{c:?}");
        }
    }
}
