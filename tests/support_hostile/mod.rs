//! Helpers for the robustness tests (`hostile.rs`, `bad_input.rs`, `properties.rs`): raw-TCP
//! servers that misbehave on purpose, a self-signed TLS wrapper, and a runner for the keyhole
//! binary that enforces a hard time limit and measures the child's peak memory (max RSS via
//! `wait4`).
//!
//! Everything listens on 127.0.0.x only, and every loop is bounded (by a count, a byte total or
//! a time limit), so a broken scanner makes a test fail rather than hang.
//!
//! Not every test file uses every helper, hence the `dead_code` allowance.

#![allow(dead_code)]

use std::io::Read;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;

/// Peak memory a scan may use (the SPEC's "memory stays small"; the issue says under 100 MiB).
pub const MEMORY_LIMIT_KIB: i64 = 100 * 1024;
/// Largest request head a test server reads.
const HEAD_CAP: usize = 64 * 1024;
/// Largest request body a test server reads.
const REQ_BODY_CAP: usize = 256 * 1024;
/// Most requests served on one keep-alive connection.
const MAX_REQUESTS_PER_CONNECTION: usize = 1000;
/// Longest a hostile handler keeps a connection busy.
const HOSTILE_HOLD: Duration = Duration::from_secs(90);

// ---------------------------------------------------------------------------------------------
// Running the binary.

/// How a run of the keyhole binary ended.
#[derive(Debug)]
pub struct Outcome {
    /// Exit code (None when killed by a signal).
    pub code: Option<i32>,
    /// The signal that ended it, if any.
    pub signal: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
    /// Peak resident memory of the child, KiB.
    pub max_rss_kib: i64,
    /// The test killed it for running past the hard limit.
    pub killed: bool,
}

impl Outcome {
    /// Non-empty stderr lines.
    pub fn stderr_lines(&self) -> Vec<&str> {
        self.stderr
            .lines()
            .filter(|l| !l.trim().is_empty())
            .collect()
    }

    /// A one-screen description for assertion messages.
    pub fn describe(&self) -> String {
        format!(
            "code {:?} signal {:?} after {:.1}s, max RSS {} KiB, killed {}\n--- stderr ---\n{}\n--- stdout (first 2000 bytes) ---\n{}",
            self.code,
            self.signal,
            self.elapsed.as_secs_f64(),
            self.max_rss_kib,
            self.killed,
            cut(&self.stderr, 4000),
            cut(&self.stdout, 2000)
        )
    }
}

fn cut(s: &str, n: usize) -> &str {
    if s.len() <= n {
        return s;
    }
    let mut i = n;
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    &s[..i]
}

/// The keyhole binary of this test build.
pub fn keyhole_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_keyhole"))
}

/// A fresh empty folder to run keyhole in, so a `keyhole.toml` of the checkout is not read.
pub fn empty_dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

/// Run keyhole with `args` in `cwd`; kill it at `hard_limit`. Blocking: call it from
/// `spawn_blocking` inside async tests.
// The child is reaped by `wait4` (which also gives its peak memory), not by `Child::wait`.
#[allow(clippy::zombie_processes)]
pub fn run_keyhole_in(cwd: &Path, args: &[String], hard_limit: Duration) -> Outcome {
    let mut child = Command::new(keyhole_bin())
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .env_remove("RUST_BACKTRACE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn keyhole");
    let started = Instant::now();
    let pid = child.id() as libc::pid_t;
    let drain = |r: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(r) = r {
                // 16 MiB is far more than any report; a flood of output is a failure anyway.
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

    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain data; zeroed is a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let mut killed = false;
    let mut polls = 0u64;
    loop {
        polls += 1;
        // SAFETY: wait4 on our own child's pid with valid out-pointers.
        let r = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        if r == pid {
            break;
        }
        if r < 0 {
            panic!("wait4 failed: {}", std::io::Error::last_os_error());
        }
        if started.elapsed() > hard_limit && !killed {
            killed = true;
            let _ = child.kill();
        }
        // Bounded: the kill above ends the child; this is a backstop.
        assert!(polls < 1_000_000, "child did not end after SIGKILL");
        std::thread::sleep(Duration::from_millis(10));
    }
    let elapsed = started.elapsed();
    let (code, signal) = if libc::WIFEXITED(status) {
        (Some(libc::WEXITSTATUS(status)), None)
    } else if libc::WIFSIGNALED(status) {
        (None, Some(libc::WTERMSIG(status)))
    } else {
        (None, None)
    };
    Outcome {
        code,
        signal,
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
        elapsed,
        max_rss_kib: usage.ru_maxrss,
        killed,
    }
}

/// `scan URL --format json --deadline D --timeout T -q` plus `extra`, in an empty folder.
pub fn scan_args(url: &str, deadline: u32, timeout: u32, extra: &[&str]) -> Vec<String> {
    let mut a: Vec<String> = [
        "scan",
        url,
        "--format",
        "json",
        "--deadline",
        &deadline.to_string(),
        "--timeout",
        &timeout.to_string(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    a.extend(extra.iter().map(|s| s.to_string()));
    a
}

/// Run a scan from async code, in an empty folder, killed at deadline + 15 s.
pub async fn scan_async(args: Vec<String>, deadline: u32) -> Outcome {
    tokio::task::spawn_blocking(move || {
        let dir = empty_dir();
        run_keyhole_in(dir.path(), &args, Duration::from_secs(deadline as u64 + 15))
    })
    .await
    .expect("runner thread")
}

/// What a sane run looks like whatever the server did: ended on its own within the deadline plus
/// `slack`, exit 0 with one JSON report or exit 2 with one error line, no panic, small memory.
/// Returns the report for exit 0.
pub fn assert_sane(o: &Outcome, deadline: u32, slack: Duration) -> Option<serde_json::Value> {
    let d = o.describe();
    assert!(!o.killed, "keyhole had to be killed: {d}");
    assert!(o.signal.is_none(), "keyhole died of a signal: {d}");
    assert!(
        o.elapsed <= Duration::from_secs(deadline as u64) + slack,
        "keyhole ran past --deadline {deadline} + {slack:?}: {d}"
    );
    assert!(!o.stderr.contains("panicked"), "a panic: {d}");
    assert_ne!(o.code, Some(101), "a panic exit: {d}");
    assert!(
        o.max_rss_kib > 0 && o.max_rss_kib < MEMORY_LIMIT_KIB,
        "peak memory {} KiB is not under {} KiB: {d}",
        o.max_rss_kib,
        MEMORY_LIMIT_KIB
    );
    match o.code {
        Some(0) => {
            let v: serde_json::Value = serde_json::from_str(&o.stdout)
                .unwrap_or_else(|e| panic!("exit 0 without one JSON report ({e}): {d}"));
            assert_eq!(v["schema_version"], 1, "{d}");
            assert!(v["incomplete"].is_array(), "{d}");
            assert!(
                v["stats"]["requests"].as_u64().is_some(),
                "report without stats.requests: {d}"
            );
            Some(v)
        }
        Some(2) => {
            assert!(o.stdout.trim().is_empty(), "exit 2 with stdout: {d}");
            let lines = o.stderr_lines();
            let last = lines.last().copied().unwrap_or("");
            assert!(
                last.starts_with("keyhole: error: ") && last.len() > 20,
                "exit 2 without a clear error line: {d}"
            );
            None
        }
        other => panic!("exit {other:?} is neither 0 nor 2: {d}"),
    }
}

/// For exit 0: the report must say why it is incomplete when nothing was confirmed or a check did
/// not finish; the SPEC wants the report to say what was not finished.
pub fn assert_says_why(report: &serde_json::Value) {
    let endpoints = report["endpoints"].as_array().map_or(0, Vec::len);
    let incomplete = report["incomplete"].as_array().map_or(0, Vec::len);
    assert!(
        endpoints > 0 || incomplete > 0,
        "a report with no endpoint must say why in `incomplete`: {report:#}"
    );
    for i in report["incomplete"].as_array().into_iter().flatten() {
        assert!(
            i["reason"].as_str().is_some_and(|r| r.len() > 5),
            "{report:#}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Raw HTTP on the server side.

/// One request as a test server read it.
#[derive(Debug, Clone, Default)]
pub struct ReqHead {
    pub method: String,
    pub path: String,
    /// Lower-case names.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl ReqHead {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Path without the query.
    pub fn route(&self) -> &str {
        self.path.split('?').next().unwrap_or("")
    }

    /// (username, password) from a JSON or form body: the first field whose name looks like a
    /// user field and the first that looks like a password field.
    pub fn credentials(&self) -> (Option<String>, Option<String>) {
        let mut fields: Vec<(String, String)> = Vec::new();
        if let Ok(serde_json::Value::Object(m)) = serde_json::from_slice(&self.body) {
            // Only strings are credentials; keyhole's malformed-input probes send objects and
            // arrays in these fields on purpose.
            for (k, v) in m {
                if let serde_json::Value::String(s) = v {
                    fields.push((k, s));
                }
            }
        } else {
            fields.extend(
                url::form_urlencoded::parse(&self.body)
                    .map(|(k, v)| (k.into_owned(), v.into_owned())),
            );
        }
        if let Some(auth) = self.header("authorization") {
            use base64::Engine as _;
            if let Some(b) = auth.strip_prefix("Basic ") {
                if let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(b.trim()) {
                    let raw = String::from_utf8_lossy(&raw).into_owned();
                    if let Some((u, p)) = raw.split_once(':') {
                        return (Some(u.to_string()), Some(p.to_string()));
                    }
                }
            }
        }
        let find = |names: &[&str]| {
            fields
                .iter()
                .find(|(k, _)| names.contains(&k.to_ascii_lowercase().as_str()))
                .map(|(_, v)| v.clone())
        };
        (
            find(&[
                "username",
                "user",
                "email",
                "login",
                "user_name",
                "identifier",
            ]),
            find(&["password", "passwd", "pass", "pwd"]),
        )
    }
}

/// Read one request (head and a Content-Length body). None on EOF, error, garbage or 10 s idle.
pub async fn read_request<S: AsyncRead + Unpin>(s: &mut S, carry: &mut Vec<u8>) -> Option<ReqHead> {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = find(carry, b"\r\n\r\n") {
            break i;
        }
        if carry.len() > HEAD_CAP {
            return None;
        }
        let left = deadline.checked_duration_since(Instant::now())?;
        let n = tokio::time::timeout(left, s.read(&mut chunk))
            .await
            .ok()?
            .ok()?;
        if n == 0 {
            return None;
        }
        carry.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&carry[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_string();
    let path = first.next()?.to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let len: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0)
        .min(REQ_BODY_CAP);
    carry.drain(..head_end + 4);
    while carry.len() < len {
        let left = deadline.checked_duration_since(Instant::now())?;
        let n = tokio::time::timeout(left, s.read(&mut chunk))
            .await
            .ok()?
            .ok()?;
        if n == 0 {
            return None;
        }
        carry.extend_from_slice(&chunk[..n]);
    }
    let body: Vec<u8> = carry.drain(..len).collect();
    Some(ReqHead {
        method,
        path,
        headers,
        body,
    })
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Write a whole response. Errors are ignored: the client may have gone.
pub async fn respond<S: AsyncWrite + Unpin>(
    s: &mut S,
    status: u16,
    headers: &[(&str, &str)],
    body: &[u8],
) -> bool {
    let reason = match status {
        200 => "OK",
        302 => "Found",
        401 => "Unauthorized",
        404 => "Not Found",
        429 => "Too Many Requests",
        _ => "Status",
    };
    let mut out = format!("HTTP/1.1 {status} {reason}\r\n");
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    s.write_all(&bytes).await.is_ok() && s.flush().await.is_ok()
}

/// A small xorshift generator: deterministic garbage without another dependency.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }

    /// `n` random lower-case words of 8 letters, space-separated.
    pub fn words(&mut self, n: usize) -> String {
        let mut s = String::with_capacity(n * 9);
        for i in 0..n {
            if i > 0 {
                s.push(' ');
            }
            for _ in 0..8 {
                s.push((b'a' + (self.next() % 26) as u8) as char);
            }
        }
        s
    }
}

// ---------------------------------------------------------------------------------------------
// Servers.

/// What a server counts.
#[derive(Default)]
pub struct Counters {
    /// TCP connections accepted.
    pub connections: AtomicUsize,
    /// Requests read.
    pub requests: AtomicUsize,
    /// Every request read, in order.
    pub log: Mutex<Vec<ReqHead>>,
    /// Requests read and not yet answered, and the most there ever were at once.
    pub in_flight: AtomicUsize,
    pub max_in_flight: AtomicUsize,
}

impl Counters {
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    /// The most requests the server was handling at once.
    pub fn max_in_flight(&self) -> usize {
        self.max_in_flight.load(Ordering::SeqCst)
    }

    pub fn log(&self) -> Vec<ReqHead> {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

/// A running test server; it stops accepting when dropped.
pub struct Server {
    pub addr: SocketAddr,
    pub counters: Arc<Counters>,
    task: tokio::task::JoinHandle<()>,
}

impl Server {
    pub fn url(&self) -> String {
        match self.addr {
            SocketAddr::V4(a) => format!("http://{a}"),
            SocketAddr::V6(a) => format!("http://[{}]:{}", a.ip(), a.port()),
        }
    }

    pub fn https_url(&self) -> String {
        self.url().replacen("http://", "https://", 1)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Per-connection I/O the handlers work on (plain TCP or TLS).
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// How a server answers a request; the handler owns the connection from then on and returns
/// whether the connection may serve another request.
pub type Handler = Arc<
    dyn Fn(
            ReqHead,
            Box<dyn Io>,
            Arc<Counters>,
        )
            -> std::pin::Pin<Box<dyn std::future::Future<Output = Option<Box<dyn Io>>> + Send>>
        + Send
        + Sync,
>;

/// What a connection does before any request is read (modes that never parse the request).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnAccept {
    /// Read requests and call the handler.
    Serve,
    /// Never write anything; hold the connection open.
    Silent,
    /// Close with a TCP reset straight away.
    Reset,
    /// Random bytes, then close.
    Garbage,
}

/// Start a server on `ip:0`. `tls` wraps every connection in TLS with a self-signed certificate.
pub async fn start(ip: &str, on_accept: OnAccept, handler: Handler, tls: bool) -> Server {
    let listener = TcpListener::bind((ip, 0)).await.expect("bind test server");
    let addr = listener.local_addr().expect("local addr");
    let counters = Arc::new(Counters::default());
    let acceptor = tls.then(self_signed_acceptor);
    let c2 = counters.clone();
    let task = tokio::spawn(async move {
        // Bounded: a scan makes at most a few hundred connections.
        for _ in 0..10_000 {
            let Ok((tcp, _)) = listener.accept().await else {
                continue;
            };
            c2.connections.fetch_add(1, Ordering::SeqCst);
            let counters = c2.clone();
            let handler = handler.clone();
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let _ = tcp.set_nodelay(true);
                match on_accept {
                    OnAccept::Serve => {}
                    OnAccept::Silent => {
                        let mut tcp = tcp;
                        let mut sink = [0u8; 4096];
                        let until = Instant::now() + HOSTILE_HOLD;
                        while Instant::now() < until {
                            match tokio::time::timeout(Duration::from_secs(1), tcp.read(&mut sink))
                                .await
                            {
                                Ok(Ok(0)) | Ok(Err(_)) => return,
                                _ => {}
                            }
                        }
                        return;
                    }
                    OnAccept::Reset => {
                        // Let the request arrive first, so the reset hits a sent request.
                        let mut buf = [0u8; 1024];
                        let _ =
                            tokio::time::timeout(Duration::from_millis(200), tcp.peek(&mut buf))
                                .await;
                        // A zero linger makes close send RST without blocking.
                        #[allow(deprecated)]
                        let _ = tcp.set_linger(Some(Duration::from_secs(0)));
                        drop(tcp);
                        return;
                    }
                    OnAccept::Garbage => {
                        let mut tcp = tcp;
                        let mut rng = Rng::new(
                            0x9e37_79b9_7f4a_7c15
                                ^ tcp.peer_addr().map(|a| a.port() as u64).unwrap_or(7),
                        );
                        let mut buf = [0u8; 1024];
                        let _ =
                            tokio::time::timeout(Duration::from_millis(500), tcp.read(&mut buf))
                                .await;
                        let _ = tcp.write_all(&rng.bytes(4096)).await;
                        let _ = tcp.shutdown().await;
                        return;
                    }
                }
                let io: Box<dyn Io> = match acceptor {
                    Some(acc) => {
                        match tokio::time::timeout(Duration::from_secs(10), acc.accept(tcp)).await {
                            Ok(Ok(s)) => Box::new(s),
                            _ => return,
                        }
                    }
                    None => Box::new(tcp),
                };
                serve_connection(io, handler, counters).await;
            });
        }
    });
    Server {
        addr,
        counters,
        task,
    }
}

async fn serve_connection(mut io: Box<dyn Io>, handler: Handler, counters: Arc<Counters>) {
    let mut carry = Vec::new();
    for _ in 0..MAX_REQUESTS_PER_CONNECTION {
        let Some(req) = read_request(&mut io, &mut carry).await else {
            return;
        };
        counters.requests.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut l) = counters.log.lock() {
            l.push(req.clone());
        }
        let now = counters.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        counters.max_in_flight.fetch_max(now, Ordering::SeqCst);
        let back = handler(req, io, counters.clone()).await;
        counters.in_flight.fetch_sub(1, Ordering::SeqCst);
        match back {
            Some(back) => io = back,
            None => return,
        }
    }
}

/// Wrap an async closure as a [`Handler`].
pub fn handler<F, Fut>(f: F) -> Handler
where
    F: Fn(ReqHead, Box<dyn Io>, Arc<Counters>) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Option<Box<dyn Io>>> + Send + 'static,
{
    Arc::new(move |r, io, c| Box::pin(f(r, io, c)))
}

/// A TLS acceptor with a fresh self-signed certificate for localhost / 127.0.0.1.
fn self_signed_acceptor() -> tokio_rustls::TlsAcceptor {
    use tokio_rustls::rustls;
    let ck =
        rcgen::generate_simple_self_signed(vec!["localhost".to_string(), "127.0.0.1".to_string()])
            .expect("self-signed certificate");
    let cert = ck.cert.der().clone();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(rustls::pki_types::PrivatePkcs8KeyDer::from(
        ck.key_pair.serialize_der(),
    ));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .expect("TLS server config");
    tokio_rustls::TlsAcceptor::from(Arc::new(config))
}

// ---------------------------------------------------------------------------------------------
// Well-behaved pieces the hostile servers are built from.

/// The root page: an HTML sign-in form posting to /login.
pub const ROOT_PAGE: &str = "<!doctype html><html><head><title>Acme</title></head><body>\
<h1>Sign in</h1><form method=\"post\" action=\"/login\">\
<input name=\"username\" type=\"text\"><input name=\"password\" type=\"password\">\
<button type=\"submit\">Sign in</button></form></body></html>";

/// A plain JSON 404.
pub async fn not_found(mut io: Box<dyn Io>) -> Option<Box<dyn Io>> {
    respond(
        &mut io,
        404,
        &[("Content-Type", "application/json")],
        br#"{"error":"not found"}"#,
    )
    .await
    .then_some(io)
}

/// A credential rejection in JSON.
pub async fn rejected(mut io: Box<dyn Io>) -> Option<Box<dyn Io>> {
    respond(
        &mut io,
        401,
        &[("Content-Type", "application/json")],
        br#"{"error":"invalid username or password"}"#,
    )
    .await
    .then_some(io)
}

/// The root page.
pub async fn root_page(mut io: Box<dyn Io>) -> Option<Box<dyn Io>> {
    respond(
        &mut io,
        200,
        &[("Content-Type", "text/html; charset=utf-8")],
        ROOT_PAGE.as_bytes(),
    )
    .await
    .then_some(io)
}

/// A sign-in API: root page, POST /login rejects, everything else 404.
pub async fn sign_in_api(req: ReqHead, io: Box<dyn Io>) -> Option<Box<dyn Io>> {
    match (req.method.as_str(), req.route()) {
        ("GET", "/") => root_page(io).await,
        ("POST", "/login") => rejected(io).await,
        _ => not_found(io).await,
    }
}

/// Hold a connection for a while without answering (drains what the client sends).
pub async fn hold(mut io: Box<dyn Io>) -> Option<Box<dyn Io>> {
    let mut sink = [0u8; 4096];
    let until = Instant::now() + HOSTILE_HOLD;
    while Instant::now() < until {
        match tokio::time::timeout(Duration::from_secs(1), io.read(&mut sink)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return None,
            _ => {}
        }
    }
    None
}
