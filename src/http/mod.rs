//! The HTTP engine: every request of a scan goes through [`Engine::send`], which enforces the safety
//! promises in one place — the request budget, the target origin, the keyhole User-Agent, the
//! per-request timeout, the scan deadline and a cap on the body it reads — and measures timing.

pub mod jar;

use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use url::Url;

pub use jar::Jar;

use crate::report::{Evidence, EvidenceRequest, EvidenceResponse};

/// Most bytes of a response body keyhole reads (after decompression); the rest is dropped with
/// the connection. Sign-in answers and login pages fit easily; the cap bounds what a hostile
/// server costs: memory (sign-in answers are kept for the whole scan, so a scan holds at most
/// `--max-requests` x this), and the CPU of every regex, normaliser and HTML parse run over a body
/// (HTML tree building is quadratic in nesting depth: 256 KiB of nested tags took 1.3 s per page in
/// a release build, 64 KiB takes 0.1 s).
pub const BODY_CAP: usize = 64 * 1024;
/// Most bytes read of an HTML page: large sign-in pages carry their form far in. Attempts keep
/// at most [`ATTEMPT_KEEP`] of it; evidence keeps a few KiB.
pub const HTML_CAP: usize = 1024 * 1024;
/// Most bytes read of a JavaScript bundle searched for the API paths a single-page app uses.
pub const SCRIPT_CAP: usize = 2 * 1024 * 1024;
/// Most bytes of a body kept with an attempt once it has been read and classified.
pub const ATTEMPT_KEEP: usize = BODY_CAP;

/// What API requests accept (sign-in attempts on JSON and form endpoints).
pub const ACCEPT_API: &str = "application/json, text/html;q=0.9, */*;q=0.5";
/// What a browser accepts: pages fetched in discovery and HTML-form sign-ins, so that sites
/// which answer JSON clients differently show the page a person sees.
pub const ACCEPT_BROWSER: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

/// The read cap for a response with this content type.
pub fn cap_for(content_type: &str) -> usize {
    let ct = content_type.to_ascii_lowercase();
    if ct.contains("html") || ct.contains("yaml") {
        HTML_CAP
    } else if ct.contains("javascript") || ct.contains("ecmascript") {
        SCRIPT_CAP
    } else {
        BODY_CAP
    }
}
/// Most bytes of response headers kept with a response once its cookies are stored (a server
/// that sends hundreds of KiB of Set-Cookie on every answer would otherwise make every kept
/// attempt that large).
pub const HEADERS_KEEP: usize = 32 * 1024;

/// Keep the Set-Cookie headers (already stored in the jar) while they fit in `budget` bytes;
/// every other header is kept (the read of the header block is bounded by hyper already).
fn keep_headers(headers: &mut Vec<(String, String)>, budget: usize) {
    let mut used = 0;
    headers.retain(|(k, v)| {
        if k != "set-cookie" {
            return true;
        }
        used += k.len() + v.len();
        used <= budget
    });
}

/// Evidence bodies are cut to this many bytes.
pub const EVIDENCE_CAP: usize = 4 * 1024;

pub fn user_agent() -> String {
    format!(
        "keyhole/{} (+https://github.com/keyhole-scanner/keyhole; security scan)",
        env!("CARGO_PKG_VERSION")
    )
}

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum HttpError {
    #[error("request budget of {0} requests is spent")]
    Budget(u32),
    #[error("the scan deadline has passed")]
    Deadline,
    #[error("refused to leave the target origin for {0}")]
    OtherOrigin(String),
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    #[error("could not connect: {0}")]
    Connect(String),
    #[error("TLS certificate not trusted: {0} (use --insecure to scan anyway)")]
    Tls(String),
    #[error("not a valid HTTP response: {0}")]
    Protocol(String),
}

impl HttpError {
    /// Errors that end the whole scan rather than one probe.
    pub fn is_exhaustion(&self) -> bool {
        matches!(self, HttpError::Budget(_) | HttpError::Deadline)
    }
}

/// Body of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Body {
    pub content_type: String,
    pub bytes: Vec<u8>,
}

impl Body {
    pub fn json(v: &serde_json::Value) -> Body {
        Body {
            content_type: "application/json".into(),
            bytes: serde_json::to_vec(v).unwrap_or_default(),
        }
    }

    pub fn form(pairs: &[(String, String)]) -> Body {
        let mut ser = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in pairs {
            ser.append_pair(k, v);
        }
        Body {
            content_type: "application/x-www-form-urlencoded".into(),
            bytes: ser.finish().into_bytes(),
        }
    }

    pub fn raw(content_type: &str, bytes: &[u8]) -> Body {
        Body {
            content_type: content_type.into(),
            bytes: bytes.to_vec(),
        }
    }
}

/// One request to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    pub url: Url,
    pub headers: Vec<(String, String)>,
    pub body: Option<Body>,
}

impl Request {
    /// A GET as a browser sends it (Accept prefers HTML).
    pub fn page(url: Url) -> Request {
        Request::get(url).header("accept", ACCEPT_BROWSER)
    }

    pub fn get(url: Url) -> Request {
        Request {
            method: "GET".into(),
            url,
            headers: Vec::new(),
            body: None,
        }
    }

    pub fn post(url: Url, body: Body) -> Request {
        Request {
            method: "POST".into(),
            url,
            headers: Vec::new(),
            body: Some(body),
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Request {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }
}

/// What came back. Header names are lower-case.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
    /// The body was longer than [`BODY_CAP`] and was cut.
    pub truncated: bool,
    /// Time from sending to the response headers.
    pub ttfb: Duration,
    /// Time from sending to the end of the body (or the cap).
    pub total: Duration,
    /// The protocol that carried it.
    pub version: Version,
}

/// The HTTP version an answer came over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Version {
    Http10,
    #[default]
    Http11,
    Http2,
}

impl Version {
    /// As the report's endpoints say it: "1.0", "1.1", "2".
    pub fn as_str(self) -> &'static str {
        match self {
            Version::Http10 => "1.0",
            Version::Http11 => "1.1",
            Version::Http2 => "2",
        }
    }

    fn of(v: reqwest::Version) -> Version {
        if v == reqwest::Version::HTTP_2 {
            Version::Http2
        } else if v == reqwest::Version::HTTP_10 || v == reqwest::Version::HTTP_09 {
            Version::Http10
        } else {
            Version::Http11
        }
    }
}

impl Response {
    /// A response built by hand (unit tests, fuzzing): no network, 1 ms timings.
    pub fn synthetic(status: u16, headers: &[(&str, &str)], body: &str) -> Response {
        Response {
            status,
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
                .collect(),
            body: Bytes::from(body.to_string()),
            truncated: false,
            ttfb: Duration::from_millis(1),
            total: Duration::from_millis(1),
            version: Version::Http11,
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn headers_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn content_type(&self) -> &str {
        self.header("content-type").unwrap_or("")
    }

    pub fn is_html(&self) -> bool {
        let ct = self.content_type().to_ascii_lowercase();
        ct.contains("html") || (ct.is_empty() && self.body.starts_with(b"<"))
    }

    pub fn elapsed_ms(&self) -> f64 {
        self.ttfb.as_secs_f64() * 1000.0
    }

    /// Keep at most `cap` bytes of the body (marking it truncated when cut).
    pub fn shrink(&mut self, cap: usize) {
        if self.body.len() > cap {
            // A copy: a slice would keep the whole buffer it was read into alive.
            self.body = Bytes::copy_from_slice(&self.body[..cap]);
            self.truncated = true;
        }
    }
}

/// Requests sent together whose bodies' last byte is held back until every one of them has sent
/// the rest, then released at once: on HTTP/2 the final DATA frames of all the streams leave in
/// one write (the single-packet technique), on HTTP/1.1 the last bytes go out on their kept-alive
/// connections back to back (last-byte synchronisation). Network jitter then hits them alike,
/// and each answer is timed from the release. A member that never arrives (its request failed
/// first) holds the others at most [`GATE_WAIT`].
#[derive(Debug)]
pub struct Gate {
    expected: usize,
    arrived: AtomicUsize,
    open: tokio::sync::watch::Sender<Option<Instant>>,
}

/// The longest a gate waits for its slowest member.
pub const GATE_WAIT: Duration = Duration::from_millis(250);
/// How long after the last member arrived the gate opens: time for the held-back requests'
/// first parts to reach the server.
const GATE_SETTLE: Duration = Duration::from_millis(3);

impl Gate {
    pub fn new(expected: usize) -> Arc<Gate> {
        Arc::new(Gate {
            expected,
            arrived: AtomicUsize::new(0),
            open: tokio::sync::watch::Sender::new(None),
        })
    }

    /// A member has sent all but its last byte (or failed before it could); the last one to
    /// arrive opens the gate.
    pub fn arrive(&self) {
        if self.arrived.fetch_add(1, Ordering::SeqCst) + 1 >= self.expected {
            let open = self.open.clone();
            tokio::spawn(async move {
                tokio::time::sleep(GATE_SETTLE).await;
                open.send_if_modified(|v| v.is_none().then(|| *v = Some(Instant::now())).is_some());
            });
        }
    }

    /// Wait for the gate to open (or open it after [`GATE_WAIT`]); the moment it opened.
    async fn opened(&self) -> Instant {
        let mut rx = self.open.subscribe();
        let waited = tokio::time::timeout(GATE_WAIT, rx.wait_for(Option::is_some)).await;
        if let Ok(Ok(v)) = waited {
            if let Some(t) = *v {
                return t;
            }
        }
        self.open
            .send_if_modified(|v| v.is_none().then(|| *v = Some(Instant::now())).is_some());
        let now = *self.open.borrow();
        now.unwrap_or_else(Instant::now)
    }
}

/// A body that sends all but its last byte, then waits at `gate`, then the last byte; the
/// moment the gate opened goes into `released`.
fn gated_body(
    bytes: Vec<u8>,
    gate: Arc<Gate>,
    released: Arc<Mutex<Option<Instant>>>,
) -> reqwest::Body {
    let mut head = Bytes::from(bytes);
    let tail = head.split_off(head.len() - 1);
    let parts = futures_util::stream::unfold(0u8, move |step| {
        let (head, tail, gate, released) =
            (head.clone(), tail.clone(), gate.clone(), released.clone());
        async move {
            match step {
                0 => Some((Ok::<Bytes, std::io::Error>(head), 1)),
                1 => {
                    gate.arrive();
                    let at = gate.opened().await;
                    if let Ok(mut r) = released.lock() {
                        *r = Some(at);
                    }
                    Some((Ok(tail), 2))
                }
                _ => None,
            }
        }
    });
    reqwest::Body::wrap_stream(parts)
}

/// Engine settings taken from the validated scan config.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    pub max_requests: u32,
    /// Most requests in flight at once (each on its own kept-alive connection).
    pub concurrency: usize,
    pub timeout: Duration,
    pub deadline: Instant,
    pub insecure: bool,
    /// Speak HTTP/2 from the first byte on cleartext connections (h2c, prior knowledge); over
    /// TLS, HTTP/2 is chosen by ALPN whenever the server offers it.
    pub http2_prior_knowledge: bool,
}

/// Receives one line per request (for `-v`).
pub type Logger = Arc<dyn Fn(&str) + Send + Sync>;

/// The one place requests are sent from.
pub struct Engine {
    client: reqwest::Client,
    /// A client that never reuses a connection: for a request sent again after its kept-alive
    /// connection failed, and for every request once the server is known to drop them.
    fresh: reqwest::Client,
    /// The server closed a kept-alive connection under a request before answering it (uWSGI's
    /// HTTP router does this after every answer without saying `Connection: close`): from then
    /// on every request opens a fresh connection, as the scan's only way to stay reliable.
    drops_keepalive: std::sync::atomic::AtomicBool,
    origin: url::Origin,
    cfg: EngineConfig,
    /// Requests sent so far; shared with whoever watches the scan's progress.
    used: Arc<AtomicU32>,
    /// One permit per request in flight: the `--concurrency` cap, for every caller at once.
    permits: tokio::sync::Semaphore,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    /// The fastest answer so far, in microseconds to its headers: the network's floor.
    fastest_us: std::sync::atomic::AtomicU64,
    /// The protocol of the latest answer: 2 once the server chose HTTP/2.
    http2_seen: std::sync::atomic::AtomicBool,
    user_agent: String,
    log: Mutex<Option<Logger>>,
}

/// Counts a request in flight for as long as it lives.
struct InFlight<'a>(&'a AtomicUsize);

impl<'a> InFlight<'a> {
    fn enter(count: &'a AtomicUsize, max: &AtomicUsize) -> InFlight<'a> {
        let now = count.fetch_add(1, Ordering::SeqCst) + 1;
        max.fetch_max(now, Ordering::SeqCst);
        InFlight(count)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Engine {
    pub fn new(target: &Url, cfg: EngineConfig) -> Result<Engine, HttpError> {
        let slots = cfg.concurrency.max(1);
        let build = |idle: usize| {
            let b = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .danger_accept_invalid_certs(cfg.insecure)
                .connect_timeout(connect_timeout(cfg.timeout))
                .pool_max_idle_per_host(idle)
                .tcp_nodelay(true)
                .no_proxy();
            let b = if cfg.http2_prior_knowledge {
                b.http2_prior_knowledge()
            } else {
                b
            };
            b.build().map_err(|e| HttpError::Connect(e.to_string()))
        };
        let client = build(cfg.concurrency.max(1))?;
        let fresh = build(0)?;
        Ok(Engine {
            client,
            fresh,
            drops_keepalive: std::sync::atomic::AtomicBool::new(false),
            origin: target.origin(),
            cfg,
            used: Arc::new(AtomicU32::new(0)),
            permits: tokio::sync::Semaphore::new(slots),
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
            fastest_us: std::sync::atomic::AtomicU64::new(u64::MAX),
            http2_seen: std::sync::atomic::AtomicBool::new(false),
            user_agent: user_agent(),
            log: Mutex::new(None),
        })
    }

    /// Install a callback that receives one line per request (for `-v`).
    pub fn set_logger(&self, f: Logger) {
        if let Ok(mut g) = self.log.lock() {
            *g = Some(f);
        }
    }

    /// Count requests into `counter` (set to what was sent so far), which someone outside the
    /// scan reads for its progress display.
    pub fn count_into(&mut self, counter: Arc<AtomicU32>) {
        counter.store(self.requests_used(), Ordering::SeqCst);
        self.used = counter;
    }

    pub fn requests_used(&self) -> u32 {
        self.used.load(Ordering::SeqCst)
    }

    /// The most requests that were in flight at once so far.
    pub fn max_in_flight(&self) -> usize {
        self.max_in_flight.load(Ordering::SeqCst)
    }

    /// The fastest answer of the scan so far in ms (to its headers): about one round trip, the
    /// part of every answer's time that is the network's, not the server's. None before any.
    pub fn fastest_ms(&self) -> Option<f64> {
        let us = self.fastest_us.load(Ordering::SeqCst);
        (us != u64::MAX).then(|| us as f64 / 1000.0)
    }

    /// The protocol the target's answers come over ("2" once it chose HTTP/2), None before any.
    pub fn protocol(&self) -> Option<Version> {
        if self.fastest_us.load(Ordering::SeqCst) == u64::MAX {
            None
        } else if self.http2_seen.load(Ordering::SeqCst) {
            Some(Version::Http2)
        } else {
            Some(Version::Http11)
        }
    }

    /// Requests allowed in flight at once.
    pub fn concurrency(&self) -> usize {
        self.cfg.concurrency.max(1)
    }

    pub fn requests_left(&self) -> u32 {
        self.cfg.max_requests.saturating_sub(self.requests_used())
    }

    pub fn deadline(&self) -> Instant {
        self.cfg.deadline
    }

    pub fn time_left(&self) -> Duration {
        self.cfg.deadline.saturating_duration_since(Instant::now())
    }

    pub fn timeout(&self) -> Duration {
        self.cfg.timeout
    }

    /// Whether `url` is on the target's origin.
    pub fn same_origin(&self, url: &Url) -> bool {
        url.origin() == self.origin
    }

    fn reserve(&self) -> Result<(), HttpError> {
        if Instant::now() >= self.cfg.deadline {
            return Err(HttpError::Deadline);
        }
        let max = self.cfg.max_requests;
        self.used
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                (n < max).then_some(n + 1)
            })
            .map(|_| ())
            .map_err(|_| HttpError::Budget(max))
    }

    /// Whether the server was seen closing a kept-alive connection under a request (every
    /// request now opens a fresh connection).
    pub fn drops_keepalive(&self) -> bool {
        self.drops_keepalive.load(Ordering::SeqCst)
    }

    /// Send one request. Cookies are read from and stored into `jar` when one is given.
    ///
    /// A request that fails on a pooled (possibly reused) connection before any byte of an answer
    /// arrives — the server closed or reset it — is sent again once on a fresh connection, as
    /// browsers and curl do; the retry is a request like any other (it counts against
    /// `--max-requests`), and the server is remembered as one that drops kept-alive connections.
    pub async fn send(&self, req: &Request, jar: Option<&Jar>) -> Result<Response, HttpError> {
        self.send_gated(req, jar, None).await
    }

    /// [`Engine::send`], the body's last byte held at `gate` (see [`Gate`]) when one is given
    /// and the request has a body of two bytes or more; the answer is then timed from the
    /// gate's opening. A request sent again after a dropped connection goes ungated.
    pub async fn send_gated(
        &self,
        req: &Request,
        jar: Option<&Jar>,
        gate: Option<&Arc<Gate>>,
    ) -> Result<Response, HttpError> {
        if !self.same_origin(&req.url) {
            return Err(HttpError::OtherOrigin(req.url.to_string()));
        }
        self.reserve()?;
        // Wait for a slot (the request is already counted against the budget), then time it
        // from the moment it may go out: the wait for a slot is keyhole's, not the server's.
        let _permit = match tokio::time::timeout(self.time_left(), self.permits.acquire()).await {
            Ok(Ok(p)) => p,
            _ => return Err(HttpError::Deadline),
        };
        let _counted = InFlight::enter(&self.in_flight, &self.max_in_flight);
        let pooled = !self.drops_keepalive();
        let client = if pooled { &self.client } else { &self.fresh };
        let resp = match self.attempt(client, req, jar, gate).await {
            Ok(r) => r,
            Err(Failure::BeforeAnswer(first)) if pooled => {
                // The retry is a request of its own: no budget left, no retry.
                if self.reserve().is_err() {
                    return Err(first);
                }
                self.drops_keepalive.store(true, Ordering::SeqCst);
                self.log_line(&format!(
                    "{} {} -> connection dropped before an answer ({first}); sent again on a fresh connection, and every later request opens its own",
                    req.method, req.url
                ));
                self.attempt(&self.fresh, req, jar, None)
                    .await
                    .map_err(Failure::into_error)?
            }
            Err(f) => return Err(f.into_error()),
        };
        if let Some(jar) = jar {
            jar.store(&req.url, resp.headers_all("set-cookie"));
        }
        let mut resp = resp;
        keep_headers(&mut resp.headers, HEADERS_KEEP);
        // The network's floor is learned from requests sent whole: a held-back request's
        // answer is timed from its last byte, and a server that starts its work on the headers
        // (or a proxy that forwards them) has used part of the round trip by then.
        if gate.is_none() {
            self.fastest_us
                .fetch_min(resp.ttfb.as_micros() as u64, Ordering::SeqCst);
        }
        self.http2_seen
            .store(resp.version == Version::Http2, Ordering::SeqCst);
        self.log_line(&format!(
            "{} {} -> {} ({:.1} ms)",
            req.method,
            req.url,
            resp.status,
            resp.elapsed_ms()
        ));
        Ok(resp)
    }

    fn log_line(&self, line: &str) {
        if let Ok(g) = self.log.lock() {
            if let Some(f) = g.as_ref() {
                f(line);
            }
        }
    }

    /// One try of `req` on `client`, timed from when it goes out.
    async fn attempt(
        &self,
        client: &reqwest::Client,
        req: &Request,
        jar: Option<&Jar>,
        gate: Option<&Arc<Gate>>,
    ) -> Result<Response, Failure> {
        let method = reqwest::Method::from_bytes(req.method.as_bytes())
            .map_err(|e| Failure::Other(HttpError::Protocol(e.to_string())))?;
        let mut rb = client
            .request(method, req.url.clone())
            .header(reqwest::header::USER_AGENT, &self.user_agent);
        if !req
            .headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("accept"))
        {
            rb = rb.header(reqwest::header::ACCEPT, ACCEPT_API);
        }
        for (k, v) in &req.headers {
            rb = rb.header(k.as_str(), v.as_str());
        }
        if let Some(jar) = jar {
            if let Some(c) = jar.header_for(&req.url) {
                rb = rb.header(reqwest::header::COOKIE, c);
            }
        }
        let released: Arc<Mutex<Option<Instant>>> = Arc::default();
        if let Some(body) = &req.body {
            rb = rb.header(reqwest::header::CONTENT_TYPE, &body.content_type);
            rb = match gate {
                Some(g) if body.bytes.len() >= 2 => rb
                    .header(reqwest::header::CONTENT_LENGTH, body.bytes.len())
                    .body(gated_body(body.bytes.clone(), g.clone(), released.clone())),
                _ => rb.body(body.bytes.clone()),
            };
        }
        // The per-request timeout, never past the scan deadline.
        let limit = self.cfg.timeout.min(self.time_left());
        let connect_limit = connect_timeout(self.cfg.timeout).min(limit);
        let started = Instant::now();
        let result = tokio::time::timeout(limit, async {
            let resp = rb.send().await.map_err(|e| {
                if dropped_before_answer(&e) {
                    Failure::BeforeAnswer(classify_reqwest_error(e, connect_limit, limit))
                } else {
                    Failure::Other(classify_reqwest_error(e, connect_limit, limit))
                }
            })?;
            // A gated request is timed from the gate's opening: the wait before it is keyhole's.
            let from = released.lock().ok().and_then(|r| *r).unwrap_or(started);
            let ttfb = from.elapsed();
            let status = resp.status().as_u16();
            let version = Version::of(resp.version());
            let headers: Vec<(String, String)> = resp
                .headers()
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_str().to_ascii_lowercase(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect();
            let cap = headers
                .iter()
                .find(|(k, _)| k == "content-type")
                .map(|(_, v)| cap_for(v))
                .unwrap_or(BODY_CAP);
            let mut stream = resp.bytes_stream();
            let mut buf = BytesMut::new();
            let mut truncated = false;
            while let Some(chunk) = stream.next().await {
                let chunk = chunk
                    .map_err(|e| Failure::Other(classify_reqwest_error(e, connect_limit, limit)))?;
                let room = cap - buf.len();
                if chunk.len() > room {
                    buf.extend_from_slice(&chunk[..room]);
                    truncated = true;
                    break;
                }
                buf.extend_from_slice(&chunk);
            }
            Ok::<_, Failure>(Response {
                status,
                headers,
                body: buf.freeze(),
                truncated,
                ttfb,
                total: from.elapsed(),
                version,
            })
        })
        .await;
        match result {
            Ok(r) => r,
            Err(_) if Instant::now() >= self.cfg.deadline => {
                Err(Failure::Other(HttpError::Deadline))
            }
            Err(_) => Err(Failure::Other(HttpError::Timeout(limit))),
        }
    }

    /// GET that follows same-origin redirects (at most `max_hops`); returns the final URL too.
    pub async fn get_following(
        &self,
        url: &Url,
        jar: Option<&Jar>,
        max_hops: usize,
    ) -> Result<(Url, Response), HttpError> {
        let mut current = url.clone();
        let mut resp = self.send(&Request::page(current.clone()), jar).await?;
        for _ in 0..max_hops {
            if !(300..400).contains(&resp.status) {
                break;
            }
            let Some(next) = resp.header("location").and_then(|l| current.join(l).ok()) else {
                break;
            };
            if !self.same_origin(&next) || next == current {
                break;
            }
            current = next;
            resp = self.send(&Request::page(current.clone()), jar).await?;
        }
        Ok((current, resp))
    }
}

/// Connecting (TCP and TLS handshake) may take at most this long.
fn connect_timeout(timeout: Duration) -> Duration {
    timeout.min(Duration::from_secs(5))
}

/// How one try of a request failed.
enum Failure {
    /// The connection was closed or reset under the request before any byte of an answer
    /// (what a server that drops kept-alive connections does to the next request on one).
    BeforeAnswer(HttpError),
    Other(HttpError),
}

impl Failure {
    fn into_error(self) -> HttpError {
        match self {
            Failure::BeforeAnswer(e) | Failure::Other(e) => e,
        }
    }
}

/// Whether `e` (from sending, before any response header) is a connection closed or reset
/// under the request: not a refused connect, a timeout or a TLS failure.
fn dropped_before_answer(e: &reqwest::Error) -> bool {
    if e.is_timeout() || e.is_connect() || e.is_builder() || e.is_redirect() || e.is_status() {
        return false;
    }
    let mut src: Option<&dyn std::error::Error> = Some(e);
    while let Some(s) = src {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind::*;
            if matches!(
                io.kind(),
                ConnectionReset | ConnectionAborted | BrokenPipe | UnexpectedEof
            ) {
                return true;
            }
        }
        // hyper's "connection closed before message completed" (IncompleteMessage): hyper is
        // not a direct dependency, so its stable message is what can be read.
        let text = s.to_string().to_ascii_lowercase();
        if text.contains("connection closed before message completed")
            || text.contains("connection reset")
            || text.contains("broken pipe")
        {
            return true;
        }
        src = s.source();
    }
    false
}

/// Map a reqwest error to what the scan reports: one line, without reqwest's wrappers.
/// `connect_limit` and `limit` are the connect and whole-request timeouts in force.
fn classify_reqwest_error(
    e: reqwest::Error,
    connect_limit: Duration,
    limit: Duration,
) -> HttpError {
    // The chain reads "error sending request for url (…): client error (Connect): tcp connect
    // error: Connection refused"; the wrappers repeat the URL the message already names.
    let mut parts: Vec<String> = Vec::new();
    let mut src: Option<&dyn std::error::Error> = Some(&e);
    while let Some(s) = src {
        let text = s.to_string();
        let wrapper = text.starts_with("error sending request")
            || text.starts_with("client error (")
            || text.starts_with("error decoding response body")
            || text.starts_with("request or response body error");
        if !wrapper && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        src = s.source();
    }
    if parts.is_empty() {
        parts.push(e.to_string());
    }
    let msg = parts.join(": ");
    let lower = msg.to_ascii_lowercase();
    let certificate = [
        "certificate",
        "unknownissuer",
        "unknown issuer",
        "notvalidforname",
        "expired",
    ]
    .iter()
    .any(|w| lower.contains(w));
    if certificate {
        HttpError::Tls(short(&msg))
    } else if e.is_timeout() {
        HttpError::Timeout(if e.is_connect() { connect_limit } else { limit })
    } else if lower.contains("invalidcontenttype") || lower.contains("corrupt message") {
        HttpError::Protocol(short(&format!(
            "the TLS handshake got something else ({msg}); if the server speaks plain HTTP on this port, use http://"
        )))
    } else if e.is_connect() {
        HttpError::Connect(short(&msg))
    } else {
        HttpError::Protocol(short(&msg))
    }
}

fn short(s: &str) -> String {
    let s = s.replace('\n', " ");
    if s.len() > 200 {
        format!("{}…", &s[..floor_char_boundary(&s, 200)])
    } else {
        s
    }
}

/// Largest index ≤ `i` on a char boundary of `s`.
pub fn floor_char_boundary(s: &str, i: usize) -> usize {
    if i >= s.len() {
        return s.len();
    }
    let mut i = i;
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Cut text to `cap` bytes on a char boundary, marking the cut.
pub fn cut(s: &str, cap: usize) -> String {
    if s.len() <= cap {
        s.to_string()
    } else {
        format!("{}…[cut]", &s[..floor_char_boundary(s, cap)])
    }
}

/// Evidence for a request and its response, bodies cut to a few KiB.
pub fn evidence(req: &Request, resp: &Response) -> Evidence {
    let mut rh = std::collections::BTreeMap::new();
    rh.insert("user-agent".to_string(), user_agent());
    if let Some(b) = &req.body {
        rh.insert("content-type".to_string(), b.content_type.clone());
    }
    for (k, v) in &req.headers {
        rh.insert(k.to_ascii_lowercase(), v.clone());
    }
    let mut sh = std::collections::BTreeMap::new();
    for (k, v) in &resp.headers {
        sh.entry(k.clone())
            .and_modify(|e: &mut String| {
                e.push_str(", ");
                e.push_str(v);
            })
            .or_insert_with(|| v.clone());
    }
    Evidence {
        request: EvidenceRequest {
            method: req.method.clone(),
            url: req.url.to_string(),
            headers: rh,
            body: req
                .body
                .as_ref()
                .map(|b| cut(&String::from_utf8_lossy(&b.bytes), EVIDENCE_CAP))
                .unwrap_or_default(),
        },
        response: EvidenceResponse {
            status: resp.status,
            headers: sh,
            body: cut(&resp.text(), EVIDENCE_CAP),
            elapsed_ms: resp.ttfb.as_millis() as u64,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_gate_opens_when_its_last_member_arrives_and_not_before() {
        let gate = Gate::new(2);
        let started = Instant::now();
        gate.arrive();
        let waiting = {
            let gate = gate.clone();
            tokio::spawn(async move { gate.opened().await })
        };
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert!(!waiting.is_finished(), "open with one member of two");
        let second = Instant::now();
        gate.arrive();
        let opened = waiting.await.unwrap();
        assert!(opened >= second, "opened before the last member arrived");
        assert!(opened.duration_since(started) < GATE_WAIT * 10);
        // Every member reads the same moment.
        assert_eq!(gate.opened().await, opened);
    }

    #[tokio::test]
    async fn a_gate_missing_a_member_opens_after_its_longest_wait() {
        let gate = Gate::new(3);
        let started = Instant::now();
        gate.arrive();
        let opened = gate.opened().await;
        assert!(opened.duration_since(started) >= GATE_WAIT);
    }

    #[test]
    fn cut_respects_char_boundaries() {
        let s = "ééééé";
        let c = cut(s, 3);
        assert!(c.starts_with('é'));
        assert!(c.ends_with("[cut]"));
        assert_eq!(cut("short", 10), "short");
    }

    #[test]
    fn form_body_encodes_pairs() {
        let b = Body::form(&[("username".into(), "a b".into()), ("x".into(), "&".into())]);
        assert_eq!(String::from_utf8(b.bytes).unwrap(), "username=a+b&x=%26");
    }

    #[test]
    fn a_flood_of_cookies_is_not_kept_with_every_answer() {
        let mut h: Vec<(String, String)> = (0..90)
            .map(|i| {
                (
                    "set-cookie".to_string(),
                    format!("c{i}={}", "v".repeat(3000)),
                )
            })
            .collect();
        h.push(("content-type".into(), "application/json".into()));
        keep_headers(&mut h, HEADERS_KEEP);
        assert!(h.iter().map(|(k, v)| k.len() + v.len()).sum::<usize>() <= HEADERS_KEEP + 64);
        assert!(h.iter().any(|(k, _)| k == "content-type"));
        assert!(h.iter().any(|(k, _)| k == "set-cookie"));
    }

    #[tokio::test]
    async fn refuses_other_origins_and_budget() {
        let target = Url::parse("http://127.0.0.1:9").unwrap();
        let eng = Engine::new(
            &target,
            EngineConfig {
                max_requests: 0,
                concurrency: 8,
                timeout: Duration::from_secs(1),
                deadline: Instant::now() + Duration::from_secs(5),
                insecure: false,
                http2_prior_knowledge: false,
            },
        )
        .unwrap();
        let other = Request::get(Url::parse("http://127.0.0.2:9/").unwrap());
        assert!(matches!(
            eng.send(&other, None).await,
            Err(HttpError::OtherOrigin(_))
        ));
        let same = Request::get(target.join("/x").unwrap());
        assert_eq!(
            eng.send(&same, None).await.unwrap_err(),
            HttpError::Budget(0)
        );
        assert_eq!(eng.requests_used(), 0);
    }
}
