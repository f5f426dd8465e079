//! `keyhole demo`: a built-in sign-in API on 127.0.0.1 (vulnerable, or hardened with `--fixed`).
//!
//! The "Acme Notes API" serves `GET /` (an HTML page linking to `/docs`), `GET /docs`,
//! `GET /openapi.json` (OpenAPI 3.0, declaring `POST /api/v1/auth/login` with a JSON body
//! `{username, password}`), `GET /health` and the sign-in endpoint `POST /api/v1/auth/login`.
//! Accounts `admin` and `alice` exist; their passwords are long random strings made at start.
//! Their e-mail addresses are `admin@example.com` and `alice@example.com`, which the account
//! flows know them by: `POST /api/auth/forgot-password` (JSON `{email}`) and
//! `POST /api/auth/register` (JSON `{email, password}`), both declared in the OpenAPI document
//! and described on the HTML pages (see `flows.rs` for every answer). Registration never stores
//! anything.
//!
//! * Vulnerable (`fixed = false`): no throttle; an unknown user gets
//!   `404 {"error":"User does not exist"}` at once, a known user with a wrong password gets
//!   `401 {"error":"Incorrect password"}` after a ~25 ms simulated hash. A scan should report
//!   `rate-limit.missing`, `auth.user-enumeration.response`, `auth.verbose-error` and
//!   `auth.user-enumeration.timing` on the sign-in. The reset endpoint answers an unknown
//!   address `404 {"error":"No account registered with that email"}` and a known one `200`,
//!   never throttled; registration answers a known address "Email is already registered".
//! * Fixed (`fixed = true`): every failure is `401 {"error":"Invalid username or password"}`
//!   after the same ~25 ms of work; after 5 failed attempts in 60 s from one client address (all
//!   usernames together, keyed on the peer address, never a header) the answer is
//!   `429 {"error":"Too many sign-in attempts"}` with `Retry-After` and `RateLimit-*` headers.
//!   The reset endpoint answers every address `202` with one message and throttles a client
//!   after 5 reset requests a minute (`429`, `Retry-After`); registration never says an address
//!   is taken. A scan should report no findings.

mod app;
mod flows;
mod limiter;

use std::net::SocketAddr;
use std::sync::Arc;

pub use app::{EMAILS, HASH_DELAY, LIMIT, LOGIN_PATH, USERS, WINDOW};
pub use flows::{REGISTER_PATH, RESET_LIMIT, RESET_PATH};

/// A running demo server; it stops when dropped.
pub struct DemoServer {
    pub addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl DemoServer {
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for DemoServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Start the demo API on a free 127.0.0.1 port. Must be called inside a tokio runtime; the
/// server runs in a spawned task until the returned handle is dropped.
pub async fn start(fixed: bool) -> std::io::Result<DemoServer> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let app = app::router(Arc::new(app::AppState::new(fixed)));
    tokio::spawn(async move {
        let served = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            // Either a send or the sender being dropped ends the server.
            let _ = rx.await;
        })
        .await;
        if let Err(e) = served {
            eprintln!("keyhole demo server stopped: {e}");
        }
    });
    Ok(DemoServer {
        addr,
        shutdown: Some(tx),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};
    use std::time::{Duration, Instant};

    fn client() -> reqwest::Client {
        reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .expect("client")
    }

    async fn post_raw(
        c: &reqwest::Client,
        s: &DemoServer,
        body: &str,
    ) -> (u16, reqwest::header::HeaderMap, Value) {
        let resp = c
            .post(format!("{}{}", s.base_url(), LOGIN_PATH))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .expect("request");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.expect("body");
        let v = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, headers, v)
    }

    async fn login(
        c: &reqwest::Client,
        s: &DemoServer,
        user: &str,
        pass: &str,
    ) -> (u16, reqwest::header::HeaderMap, Value) {
        let body = json!({"username": user, "password": pass}).to_string();
        post_raw(c, s, &body).await
    }

    async fn get(c: &reqwest::Client, s: &DemoServer, path: &str) -> (u16, String) {
        let resp = c
            .get(format!("{}{}", s.base_url(), path))
            .send()
            .await
            .expect("request");
        (resp.status().as_u16(), resp.text().await.expect("body"))
    }

    const WRONG: &str = "wrong-password-0123456789abcdef";

    #[tokio::test]
    async fn pages_and_openapi() {
        let s = start(false).await.expect("start");
        let c = client();
        let (st, html) = get(&c, &s, "/").await;
        assert_eq!(st, 200);
        assert!(html.contains("Acme Notes"));
        assert!(html.contains("href=\"/docs\""));
        assert_eq!(get(&c, &s, "/docs").await.0, 200);
        let (st, health) = get(&c, &s, "/health").await;
        assert_eq!(st, 200);
        assert_eq!(
            serde_json::from_str::<Value>(&health).ok(),
            Some(json!({"status": "ok"}))
        );
        let (st, doc) = get(&c, &s, "/openapi.json").await;
        assert_eq!(st, 200);
        let doc: Value = serde_json::from_str(&doc).expect("openapi json");
        assert!(doc["openapi"].as_str().unwrap_or("").starts_with("3.0"));
        let schema = &doc["paths"][LOGIN_PATH]["post"]["requestBody"]["content"]
            ["application/json"]["schema"];
        assert_eq!(schema["properties"]["password"]["format"], "password");
        assert_eq!(schema["properties"]["username"]["type"], "string");
        assert_eq!(get(&c, &s, "/nope").await.0, 404);
    }

    #[tokio::test]
    async fn bad_requests_get_400() {
        for fixed in [false, true] {
            let s = start(fixed).await.expect("start");
            let c = client();
            for body in [
                "",
                "{",
                "[]",
                r#"{"username":"admin"}"#,
                r#"{"password":"x"}"#,
            ] {
                let (st, _, v) = post_raw(&c, &s, body).await;
                assert_eq!(st, 400, "fixed={fixed} body={body:?}");
                assert_eq!(v, json!({"error": "username and password are required"}));
            }
        }
    }

    #[tokio::test]
    async fn vulnerable_tells_which_accounts_exist() {
        let s = start(false).await.expect("start");
        let c = client();
        let (st, _, v) = login(&c, &s, "no-such-user-8f3k2", WRONG).await;
        assert_eq!(st, 404);
        assert_eq!(v, json!({"error": "User does not exist"}));
        for user in USERS {
            let (st, _, v) = login(&c, &s, user, WRONG).await;
            assert_eq!(st, 401);
            assert_eq!(v, json!({"error": "Incorrect password"}));
        }
    }

    #[tokio::test]
    async fn vulnerable_timing_differs() {
        let s = start(false).await.expect("start");
        let c = client();
        let mut known = Duration::ZERO;
        let mut unknown = Duration::ZERO;
        for _ in 0..5 {
            let t = Instant::now();
            login(&c, &s, "admin", WRONG).await;
            known += t.elapsed();
            let t = Instant::now();
            login(&c, &s, "nobody-x1", WRONG).await;
            unknown += t.elapsed();
        }
        assert!(known >= HASH_DELAY * 5);
        assert!(known > unknown + HASH_DELAY * 3, "{known:?} vs {unknown:?}");
    }

    #[tokio::test]
    async fn vulnerable_never_throttles() {
        let s = start(false).await.expect("start");
        let c = client();
        for i in 0..30 {
            let (st, _, _) = login(&c, &s, &format!("spray-{i}"), WRONG).await;
            assert_eq!(st, 404, "attempt {i}");
        }
        let (st, _, _) = login(&c, &s, "alice", WRONG).await;
        assert_eq!(st, 401);
    }

    #[tokio::test]
    async fn fixed_is_generic_and_constant_work() {
        let s = start(true).await.expect("start");
        let c = client();
        let t = Instant::now();
        let (st1, h1, v1) = login(&c, &s, "no-such-user-8f3k2", WRONG).await;
        assert!(t.elapsed() >= HASH_DELAY, "unknown users get the hash too");
        let (st2, h2, v2) = login(&c, &s, "admin", WRONG).await;
        assert_eq!((st1, st2), (401, 401));
        let generic = json!({"error": "Invalid username or password"});
        assert_eq!(v1, generic);
        assert_eq!(v2, generic);
        assert!(h1.get("retry-after").is_none() && h2.get("retry-after").is_none());
    }

    #[tokio::test]
    async fn fixed_throttles_the_sixth_attempt_across_usernames() {
        let s = start(true).await.expect("start");
        let c = client();
        for i in 0..5 {
            // Spraying: a different username each time.
            let (st, _, _) = login(&c, &s, &format!("spray-{i}"), WRONG).await;
            assert_eq!(st, 401, "attempt {}", i + 1);
        }
        let (st, h, v) = login(&c, &s, "admin", WRONG).await;
        assert_eq!(st, 429);
        assert_eq!(v, json!({"error": "Too many sign-in attempts"}));
        let retry: u64 = h
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .expect("Retry-After in seconds");
        assert!((1..=60).contains(&retry));
        assert_eq!(
            h.get("ratelimit-limit").map(|v| v.as_bytes()),
            Some(&b"5"[..])
        );
        assert_eq!(
            h.get("ratelimit-remaining").map(|v| v.as_bytes()),
            Some(&b"0"[..])
        );
        assert!(h.get("ratelimit-reset").is_some());
        // A spoofed client-address header changes nothing.
        let resp = c
            .post(format!("{}{}", s.base_url(), LOGIN_PATH))
            .header("content-type", "application/json")
            .header("x-forwarded-for", "203.0.113.7")
            .header("x-real-ip", "203.0.113.8")
            .body(json!({"username": "alice", "password": WRONG}).to_string())
            .send()
            .await
            .expect("request");
        assert_eq!(resp.status().as_u16(), 429);
    }

    #[tokio::test]
    async fn fixed_parallel_burst_cannot_race_the_limit() {
        let s = start(true).await.expect("start");
        let c = client();
        let mut tasks = Vec::new();
        for i in 0..12 {
            let c = c.clone();
            let url = format!("{}{}", s.base_url(), LOGIN_PATH);
            tasks.push(tokio::spawn(async move {
                c.post(url)
                    .header("content-type", "application/json")
                    .body(json!({"username": format!("u{i}"), "password": WRONG}).to_string())
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
                    .unwrap_or(0)
            }));
        }
        let mut rejected = 0;
        for t in tasks {
            if t.await.unwrap_or(0) == 401 {
                rejected += 1;
            }
        }
        assert_eq!(rejected, LIMIT);
    }

    #[tokio::test]
    async fn drop_stops_the_server() {
        let s = start(true).await.expect("start");
        let addr = s.addr;
        assert!(tokio::net::TcpStream::connect(addr).await.is_ok());
        drop(s);
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            if tokio::net::TcpStream::connect(addr).await.is_err() {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "server still accepting after drop"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}
