//! A GraphQL sign-in that refuses introspection and counts every `login` call per account and
//! per request (a small axum server that answers like graphql-js: validation errors name the
//! unknown fields and the missing arguments). The scan must find the mutation from those
//! errors alone, report `rate-limit.batched-attempts`, put only random accounts in a batch,
//! never more than 10 attempts in one request, and keep guessed accounts at 3 attempts
//! however they are sent.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use keyhole::config::{Overrides, ScanConfig, Verbosity};
use regex::Regex;
use serde_json::{json, Value};

#[derive(Default)]
struct Seen {
    per_account: HashMap<String, u32>,
    /// The accounts of each request that carried a `login` call.
    requests: Vec<Vec<String>>,
}

type Shared = Arc<Mutex<Seen>>;

static SELECTION: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\{[^{}]*\}").unwrap());
static CALL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?:(\w+)\s*:\s*)?(\w+)\s*(?:\(((?:[^()"]|"(?:[^"\\]|\\.)*")*)\))?"#).unwrap()
});
static ARG: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"(\w+)\s*:\s*"((?:[^"\\]|\\.)*)""#).unwrap());

fn answer(v: Value) -> Response {
    (StatusCode::OK, Json(v)).into_response()
}

async fn graphql(State(s): State<Shared>, body: String) -> Response {
    let Ok(v) = serde_json::from_str::<Value>(&body) else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"errors": [{"message": "POST body sent invalid JSON."}]})),
        )
            .into_response();
    };
    if v.is_array() {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"errors": [{"message": "Batching is not enabled"}]})),
        )
            .into_response();
    }
    let q = v["query"].as_str().unwrap_or("").trim().to_string();
    if q.contains("__schema") || q.contains("__type(") {
        return answer(json!({"errors": [{"message": "GraphQL introspection is not allowed"}]}));
    }
    if !q.starts_with("mutation") {
        return answer(json!({"data": {"__typename": "Query"}}));
    }
    let (Some(a), Some(b)) = (q.find('{'), q.rfind('}')) else {
        return answer(json!({"errors": [{"message": "Syntax Error: Expected {"}]}));
    };
    // Selections out, innermost first; what is left are the calls.
    let mut calls = q[a + 1..b].to_string();
    loop {
        let next = SELECTION.replace_all(&calls, "").to_string();
        if next == calls {
            break;
        }
        calls = next;
    }
    let mut errors = Vec::new();
    let mut attempts = Vec::new();
    for c in CALL.captures_iter(&calls) {
        let name = &c[2];
        if name != "login" {
            errors.push(
                json!({"message": format!("Cannot query field \"{name}\" on type \"Mutation\".")}),
            );
            continue;
        }
        let alias = c.get(1).map_or("login", |m| m.as_str()).to_string();
        let args: HashMap<String, String> = c
            .get(3)
            .map(|m| {
                ARG.captures_iter(m.as_str())
                    .map(|x| (x[1].to_string(), x[2].to_string()))
                    .collect()
            })
            .unwrap_or_default();
        for want in ["username", "password"] {
            if !args.contains_key(want) {
                errors.push(json!({"message": format!("Field \"login\" argument \"{want}\" of type \"String!\" is required, but it was not provided.")}));
            }
        }
        if let Some(u) = args.get("username") {
            attempts.push((alias, u.clone()));
        }
    }
    if !errors.is_empty() {
        return answer(json!({ "errors": errors }));
    }
    let mut seen = s.lock().unwrap();
    seen.requests
        .push(attempts.iter().map(|(_, u)| u.clone()).collect());
    let mut data = serde_json::Map::new();
    let mut errs = Vec::new();
    for (alias, user) in attempts {
        *seen.per_account.entry(user).or_insert(0) += 1;
        data.insert(alias.clone(), Value::Null);
        errs.push(json!({"message": "Invalid username or password", "path": [alias]}));
    }
    answer(json!({ "data": data, "errors": errs }))
}

async fn serve() -> (String, Shared) {
    let seen: Shared = Arc::default();
    let app = Router::new()
        .route(
            "/",
            get(|| async { Html("<html><body><h1>Shop</h1></body></html>") }),
        )
        .route("/graphql", post(graphql))
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.ok();
    });
    (format!("http://{addr}"), seen)
}

/// Names a scan guesses (keyhole's candidates): never in a batch, never more than 3 attempts.
const GUESSABLE: &[&str] = &[
    "admin",
    "administrator",
    "root",
    "test",
    "user",
    "guest",
    "demo",
    "support",
    "alice",
    "bob",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_carry_only_random_accounts_and_at_most_ten_attempts() {
    let (base, seen) = serve().await;
    let cfg = ScanConfig::build(&base, Overrides::default(), Verbosity::Quiet, false).unwrap();
    let r = keyhole::pipeline::scan(cfg).await.expect("scan runs");

    let e = r
        .endpoints
        .iter()
        .find(|e| e.url.ends_with("/graphql"))
        .unwrap_or_else(|| panic!("{:?} {:?}", r.endpoints, r.incomplete));
    assert_eq!(e.kind.as_str(), "graphql");
    assert_eq!(e.operation.as_deref(), Some("login"));
    assert_eq!(e.username_field.as_deref(), Some("login.username"));
    assert_eq!(e.source.as_str(), "graphql");

    let f = r
        .findings
        .iter()
        .find(|f| f.id == "rate-limit.batched-attempts")
        .unwrap_or_else(|| panic!("{:?}", r.findings.iter().map(|f| &f.id).collect::<Vec<_>>()));
    assert_eq!(f.details["attempts_per_request"], 10);
    assert_eq!(f.details["form"], "aliases");

    let seen = seen.lock().unwrap();
    let batched: Vec<&Vec<String>> = seen.requests.iter().filter(|r| r.len() > 1).collect();
    assert!(
        !batched.is_empty(),
        "no request carried more than one attempt"
    );
    for req in &seen.requests {
        assert!(req.len() <= 10, "a request carried {} attempts", req.len());
    }
    for req in &batched {
        for user in req.iter() {
            let bare = user.split('@').next().unwrap_or(user);
            assert!(
                !GUESSABLE.contains(&bare),
                "a guessable account rode in a batch: {req:?}"
            );
        }
    }
    // The cap counts attempts: every guessed account, batched or not, at most 3.
    for name in GUESSABLE {
        let n = seen.per_account.get(*name).copied().unwrap_or(0);
        assert!(n <= 3, "{name} got {n} attempts");
    }
    assert!(
        seen.per_account.get("admin").copied().unwrap_or(0) >= 1,
        "the enumeration checks tried no guessed account: {:?}",
        r.incomplete
    );
}
