//! A countdown a sign-in shows only on the page its rejection redirects to, inside the page's
//! script state (as Flask-Security flashes "2 more attempts remaining" into a React login
//! page), ends every attempt on that account at once; the same words in every rejection (a
//! product's fixed "…or account is temporarily blocked") are not a warning. Small axum servers
//! that count every attempt per account.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Form, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use keyhole::config::{Overrides, ScanConfig, Verbosity};
use keyhole::report::Report;

#[derive(Default)]
struct Seen {
    attempts: HashMap<String, u32>,
}

type Shared = Arc<Mutex<Seen>>;

const FORM: &str = r#"<form method="post" action="/session"><input type="hidden" name="csrf" value="c1">
<input name="username"><input type="password" name="password"><button>Sign in</button></form>"#;

async fn login_page(headers: HeaderMap) -> Response {
    let flash = headers
        .get(header::COOKIE)
        .and_then(|c| c.to_str().ok())
        .and_then(|c| c.split(';').find_map(|p| p.trim().strip_prefix("flash=")))
        .map(str::to_string);
    let state = match flash.as_deref() {
        Some(n) if !n.is_empty() => format!(
            r#"<script>window.state = {{"messages": [["Warning", "Incorrect username or password.{n} more attempts remaining."]]}};</script>"#
        ),
        _ => String::new(),
    };
    (
        [(header::SET_COOKIE, "flash=; Path=/")],
        Html(format!("<html><head><title>Sign in</title><meta name=\"generator\" content=\"Blocky 2\"></head><body>{FORM}{state}</body></html>")),
    )
        .into_response()
}

/// Every failure goes back to the page; a real account's carries its countdown there.
async fn session(State(s): State<Shared>, Form(f): Form<HashMap<String, String>>) -> Response {
    let user = f.get("username").cloned().unwrap_or_default();
    let mut seen = s.lock().unwrap();
    let n = seen.attempts.entry(user.clone()).or_insert(0);
    *n += 1;
    let flash = if user == "admin" {
        format!("flash={}; Path=/", 3u32.saturating_sub(*n))
    } else {
        "flash=; Path=/".into()
    };
    (
        StatusCode::FOUND,
        [
            (header::LOCATION, "/login".to_string()),
            (header::SET_COOKIE, flash),
        ],
    )
        .into_response()
}

/// The fixed wording variant: every rejection, for every account, says the same lock words.
async fn fixed_words(State(s): State<Shared>, Form(f): Form<HashMap<String, String>>) -> Response {
    let user = f.get("username").cloned().unwrap_or_default();
    *s.lock().unwrap().attempts.entry(user).or_insert(0) += 1;
    Html(format!(
        "<html><head><title>Sign in</title></head><body><p class=\"error\">Incorrect user name or password or account is temporarily blocked.</p>{FORM}</body></html>"
    ))
    .into_response()
}

async fn serve(fixed: bool) -> (String, Shared) {
    let seen: Shared = Arc::default();
    let app = Router::new()
        .route(
            "/",
            get(|| async { Html("<html><body><a href=\"/login\">Sign in</a></body></html>") }),
        )
        .route("/login", get(login_page))
        .route(
            "/session",
            if fixed {
                post(fixed_words)
            } else {
                post(session)
            },
        )
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.ok();
    });
    (format!("http://{addr}"), seen)
}

/// What the product's own entry knows: its rejection always speaks of blocks.
const ENTRY: &str = r#"
id = "blocky"
name = "Blocky"
family = "other"
docs = "https://docs.blocky.invalid/"
sources = ["docs: https://docs.blocky.invalid/login"]
[[marker]]
where = "body"
contains = "content=\"Blocky 2\""
weight = 2
[[door]]
flow = "sign-in"
method = "POST"
path = "/session"
kind = "html-form"
page = "/login"
username_field = "username"
password_field = "password"
rejection = { status = 200, contains = "temporarily blocked" }
[remediation]
"rate-limit.missing" = "Turn on Blocky's `login.limit` setting and keep its default of 5 per minute."
"#;

async fn scan(base: &str, catalog: Option<&std::path::Path>) -> Report {
    // Budget enough for every guessed account's first attempt (a form attempt costs two
    // requests here, and a guessed one's redirect a third).
    let o = Overrides {
        catalog: catalog.map(|p| p.to_path_buf()),
        max_requests: Some(600),
        ..Overrides::default()
    };
    let cfg = ScanConfig::build(base, o, Verbosity::Quiet, false).unwrap();
    keyhole::pipeline::scan(cfg).await.expect("scan runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_countdown_on_the_redirected_page_stops_that_account_at_once() {
    let (base, seen) = serve(false).await;
    let r = scan(&base, None).await;
    assert!(
        r.endpoints.iter().any(|e| e.url.ends_with("/session")),
        "{:?} {:?}",
        r.endpoints,
        r.incomplete
    );
    let admin = seen
        .lock()
        .unwrap()
        .attempts
        .get("admin")
        .copied()
        .unwrap_or(0);
    assert_eq!(
        admin,
        1,
        "one failure, then the countdown ends every attempt on admin: {:?} {:?}",
        seen.lock().unwrap().attempts,
        r.incomplete
    );
    assert!(
        r.observations
            .iter()
            .any(|o| o.kind == "lock-warning" && o.summary.contains("'admin'")),
        "{:?}",
        r.observations
    );
    // Only a real account gets a countdown: that tells it exists.
    let f = r
        .findings
        .iter()
        .find(|f| f.id == "auth.user-enumeration.response")
        .unwrap_or_else(|| panic!("{:?}", r.findings.iter().map(|f| &f.id).collect::<Vec<_>>()));
    assert_eq!(f.details["feature"], "countdown");
    assert_eq!(f.details["accounts"][0], "admin");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lock_words_every_rejection_carries_are_not_a_warning() {
    // Without knowing the product, a first rejection that speaks of blocks reads as a
    // throttle (keyhole does not guess); the entry's prior says it is the usual answer.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("blocky.toml"), ENTRY).unwrap();
    let (base, seen) = serve(true).await;
    let r = scan(&base, Some(dir.path())).await;
    assert!(
        r.observations.iter().all(|o| o.kind != "lock-warning"),
        "{:?}",
        r.observations
    );
    let seen = seen.lock().unwrap();
    // Guessed accounts were tried, none more than 3 times.
    for name in ["admin", "root", "test"] {
        let n = seen.attempts.get(name).copied().unwrap_or(0);
        assert!((1..=3).contains(&n), "{name}: {:?}", seen.attempts);
    }
    assert!(
        r.findings.iter().any(|f| f.id == "rate-limit.missing"),
        "{:?}",
        r.findings.iter().map(|f| &f.id).collect::<Vec<_>>()
    );
}
