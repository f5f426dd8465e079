//! Smoke tests of the real target servers themselves, without keyhole: each
//! Flask target under `targets/flask/` must behave as its docstring says, so
//! that a keyhole test scanning it checks keyhole and not a broken target.

mod common;

use std::time::{Duration, Instant};

use common::Target;
use reqwest::header::HeaderMap;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
    elapsed: Duration,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", self.body))
    }

    fn retry_after(&self) -> Option<u64> {
        self.headers
            .get("retry-after")?
            .to_str()
            .ok()?
            .trim()
            .parse()
            .ok()
    }
}

fn client() -> Client {
    Client::builder()
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("reqwest client")
}

/// A username that certainly does not exist on any target.
fn random_user() -> String {
    format!("nouser_{:016x}", rand::random::<u64>())
}

/// A long random password that is certainly wrong.
fn random_password() -> String {
    format!(
        "pw-{:016x}{:016x}",
        rand::random::<u64>(),
        rand::random::<u64>()
    )
}

async fn send(req: reqwest::RequestBuilder) -> Reply {
    let started = Instant::now();
    let resp = req.send().await.expect("request to target failed");
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = resp.text().await.expect("read body");
    Reply {
        status,
        headers,
        body,
        elapsed: started.elapsed(),
    }
}

async fn post_json(c: &Client, url: &str, body: &Value, headers: &[(&str, &str)]) -> Reply {
    let mut req = c
        .post(url)
        .header("content-type", "application/json")
        .body(serde_json::to_string(body).unwrap());
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    send(req).await
}

async fn post_form(c: &Client, url: &str, fields: &[(&str, &str)]) -> Reply {
    send(c.post(url).form(fields)).await
}

fn creds(user: &str, password: &str) -> Value {
    json!({"username": user, "password": password})
}

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

#[tokio::test]
async fn naive_form_generic_401_and_never_throttled() {
    let t = Target::start("naive_form");
    let c = client();
    let url = t.url("/login");

    let index = send(c.get(t.base_url())).await;
    assert_eq!(index.status, 200, "GET /: {}", index.body);

    let unknown = post_form(
        &c,
        &url,
        &[
            ("username", &random_user()),
            ("password", &random_password()),
        ],
    )
    .await;
    assert_eq!(unknown.status, 401);
    assert_eq!(unknown.body, "Invalid credentials");
    let known = post_form(
        &c,
        &url,
        &[("username", "admin"), ("password", &random_password())],
    )
    .await;
    assert_eq!(known.status, 401);
    assert_eq!(
        known.body, unknown.body,
        "existing and unknown users must look alike"
    );

    let ok = post_form(&c, &url, &[("username", "alice"), ("password", "s3cr3t")]).await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.body, "Logged in");
    assert!(
        ok.headers.contains_key("set-cookie"),
        "login_user sets the session cookie"
    );

    // A malformed request is a plain 400, not a debug page.
    let malformed = post_form(&c, &url, &[("username", "alice")]).await;
    assert_eq!(malformed.status, 400);
    assert!(!malformed.body.contains("Traceback"), "{}", malformed.body);

    for i in 0..25 {
        let r = post_form(
            &c,
            &url,
            &[
                ("username", &random_user()),
                ("password", &random_password()),
            ],
        )
        .await;
        assert_eq!(
            r.status, 401,
            "attempt {i} must not be throttled: {}",
            r.body
        );
    }
}

#[tokio::test]
async fn limited_json_throttles_sixth_attempt_with_retry_after() {
    let t = Target::start("limited_json");
    let c = client();
    let url = t.url("/api/login");

    // 1: malformed
    let bad = post_json(&c, &url, &json!({}), &[]).await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.json(), json!({"error": "Invalid request"}));
    // 2: unknown user, 3: existing user: same generic answer
    let unknown = post_json(&c, &url, &creds(&random_user(), &random_password()), &[]).await;
    assert_eq!(unknown.status, 401);
    assert_eq!(unknown.json(), json!({"error": "Invalid credentials"}));
    let known = post_json(&c, &url, &creds("admin", &random_password()), &[]).await;
    assert_eq!(known.status, 401);
    assert_eq!(known.body, unknown.body);
    // 4, 5
    for _ in 0..2 {
        let r = post_json(&c, &url, &creds(&random_user(), &random_password()), &[]).await;
        assert_eq!(r.status, 401, "{}", r.body);
    }
    // 6: throttled, with Retry-After
    let sixth = post_json(&c, &url, &creds(&random_user(), &random_password()), &[]).await;
    assert_eq!(sixth.status, 429, "6th attempt: {}", sixth.body);
    let ra = sixth
        .retry_after()
        .expect("429 must carry a numeric Retry-After");
    assert!(ra > 0 && ra <= 60, "Retry-After {ra}");
    // A spoofed client address does not help: the key is the socket address.
    let spoofed = post_json(
        &c,
        &url,
        &creds(&random_user(), &random_password()),
        &[("X-Forwarded-For", "203.0.113.77")],
    )
    .await;
    assert_eq!(
        spoofed.status, 429,
        "X-Forwarded-For must not bypass: {}",
        spoofed.body
    );
}

#[tokio::test]
async fn verbose_json_enumerates_users_and_is_never_throttled() {
    let t = Target::start("verbose_json");
    let c = client();
    let url = t.url("/api/auth/login");

    let unknown = post_json(&c, &url, &creds(&random_user(), &random_password()), &[]).await;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.json(), json!({"error": "User does not exist"}));
    for user in ["admin", "alice"] {
        let r = post_json(&c, &url, &creds(user, &random_password()), &[]).await;
        assert_eq!(r.status, 401, "{user}");
        assert_eq!(r.json(), json!({"error": "Incorrect password"}), "{user}");
    }
    let ok = post_json(&c, &url, &creds("admin", "Adm1n!2024"), &[]).await;
    assert_eq!(ok.status, 200);
    assert!(ok.json()["access_token"].is_string(), "{}", ok.body);

    for i in 0..25 {
        let r = post_json(&c, &url, &creds(&random_user(), &random_password()), &[]).await;
        assert_eq!(
            r.status, 404,
            "attempt {i} must not be throttled: {}",
            r.body
        );
    }
}

#[tokio::test]
async fn bcrypt_timing_same_response_but_slower_for_existing_user() {
    let t = Target::start("bcrypt_timing");
    let c = client();
    let url = t.url("/login");

    // Warm up the connection path.
    post_json(&c, &url, &creds(&random_user(), &random_password()), &[]).await;

    let mut existing = Vec::new();
    let mut unknown = Vec::new();
    for i in 0..8 {
        let user = if i % 2 == 0 { "admin" } else { "alice" };
        let known = post_json(&c, &url, &creds(user, &random_password()), &[]).await;
        let nobody = post_json(&c, &url, &creds(&random_user(), &random_password()), &[]).await;
        assert_eq!(known.status, 401);
        assert_eq!(nobody.status, 401);
        assert_eq!(
            known.json(),
            json!({"detail": "Invalid username or password"})
        );
        assert_eq!(known.body, nobody.body, "bodies must be identical");
        let names = |h: &HeaderMap| {
            let mut v: Vec<String> = h.keys().map(|k| k.as_str().to_string()).collect();
            v.sort();
            v
        };
        assert_eq!(
            names(&known.headers),
            names(&nobody.headers),
            "header names must be identical"
        );
        existing.push(known.elapsed);
        unknown.push(nobody.elapsed);
    }
    let (e, u) = (median(existing.clone()), median(unknown.clone()));
    assert!(
        e > u + Duration::from_millis(20),
        "existing users must take >20 ms longer: median {e:?} vs {u:?} (existing {existing:?}, unknown {unknown:?})"
    );

    for i in 0..15 {
        let r = post_json(&c, &url, &creds(&random_user(), &random_password()), &[]).await;
        assert_eq!(
            r.status, 401,
            "attempt {i} must not be throttled: {}",
            r.body
        );
    }
}

#[tokio::test]
async fn xff_bypass_throttles_but_trusts_x_forwarded_for() {
    let t = Target::start("xff_bypass");
    let c = client();
    let url = t.url("/login");

    for i in 0..5 {
        let r = post_json(&c, &url, &creds(&random_user(), &random_password()), &[]).await;
        assert_eq!(r.status, 401, "attempt {}: {}", i + 1, r.body);
        assert_eq!(r.json(), json!({"error": "Invalid credentials"}));
    }
    let sixth = post_json(&c, &url, &creds(&random_user(), &random_password()), &[]).await;
    assert_eq!(sixth.status, 429, "6th attempt: {}", sixth.body);
    assert!(sixth.retry_after().is_some(), "429 must carry Retry-After");

    // A fresh spoofed address per request is never throttled...
    for i in 0..8 {
        let ip = format!("198.51.100.{}", 10 + i);
        let r = post_json(
            &c,
            &url,
            &creds(&random_user(), &random_password()),
            &[("X-Forwarded-For", ip.as_str())],
        )
        .await;
        assert_eq!(r.status, 401, "spoofed {ip} must get through: {}", r.body);
    }
    // ...while the real client stays throttled.
    let control = post_json(&c, &url, &creds(&random_user(), &random_password()), &[]).await;
    assert_eq!(
        control.status, 429,
        "control without the header: {}",
        control.body
    );
}

#[tokio::test]
async fn debug_form_shows_werkzeug_debugger_on_malformed_post() {
    let t = Target::start("debug_form");
    let c = client();
    let url = t.url("/login");

    let page = send(c.get(&url)).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains(r#"type="password""#), "{}", page.body);

    // 1: a JSON body where a form is expected -> debugger traceback page
    let malformed = post_json(&c, &url, &creds(&random_user(), &random_password()), &[]).await;
    assert_eq!(malformed.status, 500);
    assert!(
        malformed.body.contains("Werkzeug Debugger"),
        "{}",
        malformed.body
    );
    assert!(malformed.body.contains("Traceback"), "{}", malformed.body);

    // 2..5: ordinary failures are generic
    for _ in 0..4 {
        let r = post_form(
            &c,
            &url,
            &[
                ("username", &random_user()),
                ("password", &random_password()),
            ],
        )
        .await;
        assert_eq!(r.status, 401);
        assert!(
            r.body.contains("Invalid username or password"),
            "{}",
            r.body
        );
        assert!(!r.body.contains("Traceback"));
    }
    // 6: throttled, with Retry-After
    let sixth = post_form(
        &c,
        &url,
        &[("username", "admin"), ("password", &random_password())],
    )
    .await;
    assert_eq!(sixth.status, 429, "6th POST: {}", sixth.body);
    assert!(sixth.retry_after().is_some(), "429 must carry Retry-After");
    // GET is not limited.
    assert_eq!(send(c.get(&url)).await.status, 200);
}

#[tokio::test]
async fn run_target_lists_every_flask_target() {
    common::ensure_targets_setup();
    let out = std::process::Command::new(common::repo_root().join("targets/run-target"))
        .arg("--list")
        .output()
        .expect("run-target --list");
    assert!(out.status.success());
    assert!(!out.stdout.is_empty(), "run-target --list prints the names");
    // Every Flask app is started by some entry of run-target's table (names may differ from
    // file names, e.g. flask_wtf_csrf runs flask/wtf_csrf_form.py).
    let table = std::fs::read_to_string(common::repo_root().join("targets/run-target")).unwrap();
    let dir = common::repo_root().join("targets/flask");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if name.ends_with(".py") && !name.starts_with('_') {
            assert!(
                table.contains(&format!("flask/{name}")),
                "flask/{name} is not started by any entry of run-target's table"
            );
        }
    }
}
