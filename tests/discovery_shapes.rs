//! Discovery and the learned response model against small axum sign-ins that reproduce what
//! real applications do (each case names the application it stands for): catch-all redirects
//! to the front page, a query-string sign-in link, a Basic protection space, a base URL with a
//! path prefix, an e-mail field behind a validator that refuses reserved domains and a 400
//! rejection, a single-page app whose sign-in only its script bundle names.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{any, get, post};
use axum::Router;
use keyhole::config::{Overrides, ScanConfig, Verbosity};
use keyhole::report::Report;

#[derive(Clone, Default)]
struct Counts(Arc<Mutex<HashMap<String, u32>>>, Arc<AtomicU32>);

impl Counts {
    fn hit(&self, key: &str) {
        *self.0.lock().unwrap().entry(key.to_string()).or_insert(0) += 1;
        self.1.fetch_add(1, Ordering::SeqCst);
    }
    fn get(&self, key: &str) -> u32 {
        self.0.lock().unwrap().get(key).copied().unwrap_or(0)
    }
}

async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.ok();
    });
    format!("http://{addr}")
}

async fn scan(base: &str) -> Report {
    let cfg = ScanConfig::build(base, Overrides::default(), Verbosity::Quiet, false).unwrap();
    keyhole::pipeline::scan(cfg).await.expect("scan runs")
}

fn paths(r: &Report) -> Vec<String> {
    r.endpoints
        .iter()
        .map(|e| {
            let u = url::Url::parse(&e.url).unwrap();
            format!("{} {}", e.method, u.path())
        })
        .collect()
}

fn ids(r: &Report) -> Vec<String> {
    let mut v: Vec<String> = r.findings.iter().map(|f| f.id.clone()).collect();
    v.sort();
    v
}

const WIKI_FORM: &str = r#"<html><head><title>Log in - Wiki</title></head><body>
<form method="post" action="/doku.php?do=login"><input type="hidden" name="sectok" value="">
<input name="u"><input type="password" name="p"><label><input type="checkbox" name="r"> Keep me logged in</label>
<button type="submit">Log In</button></form></body></html>"#;

/// DokuWiki-like: every unknown path redirects to the front page; the sign-in is
/// `doku.php?do=login`, a form that answers wrong credentials with 200 and the form again
/// ("Keep me logged in" on the page must not read as a success).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn catch_all_redirect_and_query_sign_in_link() {
    let counts = Counts::default();
    let app = Router::new()
        .route(
            "/doku.php",
            get(
                |State(c): State<Counts>, Query(q): Query<HashMap<String, String>>| async move {
                    c.hit("GET /doku.php");
                    if q.get("do").map(String::as_str) == Some("login") {
                        Html(WIKI_FORM.to_string())
                    } else {
                        Html(r#"<html><head><title>start - Wiki</title></head><body><a href="/doku.php?id=start&amp;do=login">Log In</a></body></html>"#.to_string())
                    }
                },
            )
            .post(|body: String| async move {
                if body.contains("u=") && body.contains("p=") {
                    Html(WIKI_FORM.replace("<form", "<div class=\"error\">Sorry, username or password was wrong.</div><form")).into_response()
                } else {
                    Html("<html><title>start - Wiki</title></html>".to_string()).into_response()
                }
            }),
        )
        // Unknown paths go through a hop first, as apps behind a "/" → front-page redirect do.
        .route(
            "/hop",
            get(|State(c): State<Counts>| async move {
                c.hit("GET /hop");
                Redirect::to("/doku.php")
            }),
        )
        .fallback(any(|State(c): State<Counts>, uri: Uri| async move {
            c.hit(&format!("other {}", uri.path()));
            Redirect::to("/hop")
        }))
        .with_state(counts.clone());
    let base = serve(app).await;
    let r = scan(&base).await;
    assert_eq!(paths(&r), vec!["POST /doku.php"], "{:#?}", r.incomplete);
    assert_eq!(ids(&r), vec!["rate-limit.missing"], "{:#?}", r.findings);
    // The hop every unknown path takes is fetched once by the start page's reachability check
    // and once through the page cache, not once per path.
    assert!(
        counts.get("GET /hop") <= 2,
        "hop fetched {} times",
        counts.get("GET /hop")
    );
    // The front page every unknown path lands on is fetched once, not once per path.
    assert!(
        counts.get("GET /doku.php") <= 40,
        "front page fetched {} times",
        counts.get("GET /doku.php")
    );
}

/// nginx `auth_basic` on `location /admin`: the space is reported at `/admin`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn basic_space_reported_at_its_root() {
    async fn challenge() -> Response {
        (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Basic realm=\"Restricted\"")],
            "401 Authorization Required",
        )
            .into_response()
    }
    let app = Router::new()
        .route("/", get(|| async { Html("<h1>Welcome</h1>") }))
        .route("/admin", any(challenge))
        .route("/admin/", any(challenge))
        .route("/admin/{*rest}", any(challenge));
    let base = serve(app).await;
    let r = scan(&base).await;
    assert_eq!(paths(&r), vec!["GET /admin"], "{:#?}", r.incomplete);
}

/// fastapi-users / json-server-auth shape: an e-mail identifier checked by a validator that
/// refuses reserved domains (422), wrong credentials answered 400, under a path prefix.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn email_validator_400_rejection_and_path_prefix() {
    async fn login(body: Bytes) -> Response {
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        let (Some(email), Some(_)) = (v["email"].as_str(), v["password"].as_str()) else {
            return (
                StatusCode::UNPROCESSABLE_ENTITY,
                axum::Json(serde_json::json!({"detail":[{"loc":["body","email"],"msg":"Field required"},{"loc":["body","password"],"msg":"Field required"}]})),
            )
                .into_response();
        };
        if !email.contains('@') {
            return (StatusCode::UNPROCESSABLE_ENTITY, axum::Json(serde_json::json!({"detail":[{"loc":["body","email"],"msg":"value is not a valid email address: An email address must have an @-sign."}]}))).into_response();
        }
        if email.ends_with(".invalid") {
            return (StatusCode::UNPROCESSABLE_ENTITY, axum::Json(serde_json::json!({"detail":[{"loc":["body","email"],"msg":"value is not a valid email address: The part after the @-sign is a special-use or reserved name that cannot be used with email."}]}))).into_response();
        }
        (
            StatusCode::BAD_REQUEST,
            axum::Json(serde_json::json!({"detail": "LOGIN_BAD_CREDENTIALS"})),
        )
            .into_response()
    }
    let seen = Arc::new(Mutex::new(Vec::<String>::new()));
    let seen2 = seen.clone();
    let app = Router::new()
        .route(
            "/app/auth/login",
            post(move |headers: HeaderMap, body: Bytes| {
                let seen = seen2.clone();
                async move {
                    let _ = headers;
                    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(&body) {
                        if let Some(e) = v["email"].as_str() {
                            seen.lock().unwrap().push(e.to_string());
                        }
                    }
                    login(body).await
                }
            }),
        )
        .route("/app/", get(|| async { Html("<h1>API</h1>") }));
    let base = serve(app).await;
    let r = scan(&format!("{base}/app/")).await;
    assert_eq!(
        paths(&r),
        vec!["POST /app/auth/login"],
        "{:#?}",
        r.incomplete
    );
    assert_eq!(r.endpoints[0].username_field.as_deref(), Some("email"));
    assert_eq!(ids(&r), vec!["rate-limit.missing"], "{:#?}", r.findings);
    let seen = seen.lock().unwrap();
    // Random accounts moved to example.com once example.invalid was refused; guesses are
    // addresses too.
    assert!(seen.iter().any(|e| e.ends_with("@example.com")));
    assert!(seen.iter().any(|e| e == "admin@example.com"));
}

/// A single-page app: every path answers the same page, and only its script names the
/// sign-in API.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn single_page_app_sign_in_found_in_its_bundle() {
    let index = r#"<!doctype html><html><head><title>Registry</title><script src="/-/static/main.3f2a.js"></script></head><body><div id="root"></div></body></html>"#;
    let app = Router::new()
        .route(
            "/-/static/main.3f2a.js",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "application/javascript")],
                    r#"const API={LOGIN:`/-/ui/sec/login`};async function signIn(u,p){return fetch(API.LOGIN,{method:"POST",body:JSON.stringify({username:u,password:p})})}"#,
                )
            }),
        )
        .route(
            "/-/ui/sec/login",
            post(|body: Bytes| async move {
                let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
                let _ = v;
                (
                    StatusCode::UNAUTHORIZED,
                    axum::Json(serde_json::json!({"error":"bad username/password, access denied"})),
                )
            }),
        )
        .fallback(get(move || async move { Html(index) }));
    let base = serve(app).await;
    let r = scan(&base).await;
    assert_eq!(
        paths(&r),
        vec!["POST /-/ui/sec/login"],
        "{:#?}",
        r.incomplete
    );
    assert_eq!(
        r.endpoints[0].source,
        keyhole::report::SurfaceSource::Javascript
    );
    assert_eq!(ids(&r), vec!["rate-limit.missing"], "{:#?}", r.findings);
}
