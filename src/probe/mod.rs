//! Probing a confirmed sign-in surface: one credential attempt at a time, through the engine, with
//! the account-safety ledger, fresh form tokens, classification and normalisation.

pub mod batch;
pub mod change;
pub mod digest;
pub mod enumeration;
pub mod flows;
pub mod throttle;

use crate::analysis::classify::{classify, Class, ResponseModel, ThrottleKind};
use crate::analysis::normalize::Normalizer;
use crate::discover::html;
use crate::http::{evidence, HttpError, Jar, Request, Response};
use crate::report::{Evidence, SurfaceKind};
use crate::scan::{Role, SafetyError, Scanner};
use crate::surface::Surface;

/// Why an attempt could not be made.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProbeError {
    #[error(transparent)]
    Http(#[from] HttpError),
    #[error(transparent)]
    Safety(#[from] SafetyError),
    #[error("the sign-in form could not be fetched for a fresh token")]
    FormGone,
    #[error("the endpoint no longer sends a Digest challenge")]
    NoChallenge,
}

impl ProbeError {
    /// The scan's budget or deadline is spent: stop probing altogether.
    pub fn is_exhaustion(&self) -> bool {
        matches!(self, ProbeError::Http(e) if e.is_exhaustion())
    }
}

/// One logical client: its cookies and the latest hidden fields of the form it is filling in.
///
/// Attempts sent together go out on the client's lanes: each lane is a connection of the same
/// client (the same cookies, from the same address) with its own form tokens and challenge.
#[derive(Debug, Default)]
pub struct Client {
    pub jar: std::sync::Arc<Jar>,
    hidden: Option<Vec<(String, String)>>,
    /// The latest Digest challenge and the nonce count used with it.
    digest: Option<(digest::Challenge, u32)>,
    /// The client's further lanes, made on first need and kept (with their form tokens).
    lanes: Vec<Client>,
    /// How slow a wave of this client's attempts was when attempts alone were not: the
    /// contention of a wave, which later waves are judged by.
    pub contended_ms: Option<f64>,
    /// Waves sent so far (their numbers).
    waves: u32,
    /// The hidden fields last sent on a reset or registration form (reused while the session
    /// lasts: a token belongs to the session, not to one request).
    last_hidden: Option<Vec<(String, String)>>,
    /// The CSRF token a catalog door's page gave this client (kept while its session lasts).
    csrf: Option<String>,
    /// The gate this lane's attempt is held at, while it is in a synchronised wave.
    gate: Option<std::sync::Arc<crate::http::Gate>>,
}

impl Client {
    pub fn new() -> Client {
        Client::default()
    }

    /// Another lane of this client: the same cookies, its own tokens.
    fn lane(&self) -> Client {
        Client {
            jar: self.jar.clone(),
            ..Client::default()
        }
    }
}

/// One attempt to make in a wave: the account and its role.
pub type Planned = (String, Role);
/// One attempt to make in a wave with headers of its own.
pub type PlannedWith = (String, Role, Vec<(String, String)>);

/// One credential attempt and what came of it.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub account: String,
    /// The password sent (random, for echo masking).
    pub password: String,
    pub role: Role,
    pub request: Request,
    /// None when the request failed (timeout, reset…); see `error`.
    pub response: Option<Response>,
    pub error: Option<HttpError>,
    pub class: Class,
    /// The normalised body (echoes, volatile values and learned tokens masked).
    pub norm: String,
    /// Time to response headers, in milliseconds.
    pub ms: f64,
    /// The wave of concurrent attempts it went out in (None: alone).
    pub wave: Option<u32>,
}

impl Attempt {
    /// An answered rejection built by hand (unit tests): `ms` to the headers, in `wave`.
    pub fn synthetic(account: &str, role: Role, ms: f64, wave: Option<u32>) -> Attempt {
        let resp = Response::synthetic(401, &[], "{\"error\":\"invalid credentials\"}");
        Attempt {
            account: account.to_string(),
            password: "x".repeat(16),
            role,
            request: Request::get(url::Url::parse("http://127.0.0.1/login").expect("a URL")),
            norm: resp.text(),
            response: Some(resp),
            error: None,
            class: Class::Rejected,
            ms,
            wave,
        }
    }

    pub fn status(&self) -> Option<u16> {
        self.response.as_ref().map(|r| r.status)
    }

    pub fn evidence(&self) -> Option<Evidence> {
        self.response.as_ref().map(|r| evidence(&self.request, r))
    }

    pub fn is_throttled(&self) -> bool {
        self.class.is_throttled()
    }

    pub fn text(&self) -> String {
        self.response.as_ref().map(|r| r.text()).unwrap_or_default()
    }
}

/// Sends attempts against one surface.
pub struct Prober<'a> {
    pub scanner: &'a Scanner,
    pub surface: &'a Surface,
    /// The endpoint's learned response model (from confirmation).
    pub model: Option<ResponseModel>,
    pub normalizer: Normalizer,
    /// Requests this surface must leave for the surfaces scanned after it.
    pub leave_for_others: u32,
    /// The part of `leave_for_others` kept for the account flows (a suspect's confirmation
    /// may use it).
    pub flow_share: u32,
    /// The endpoint's usual rejection time in ms, measured before any volume probe.
    pub base_ms: Option<f64>,
    /// What random accounts' rejections say of locks ("…or account is temporarily blocked"):
    /// the endpoint's fixed words, not a warning about the account tried.
    pub boilerplate: Vec<String>,
}

impl<'a> Prober<'a> {
    pub fn new(scanner: &'a Scanner, surface: &'a Surface) -> Prober<'a> {
        Prober {
            scanner,
            surface,
            model: None,
            normalizer: Normalizer::new(),
            leave_for_others: 0,
            flow_share: 0,
            base_ms: None,
            boilerplate: Vec::new(),
        }
    }

    /// The first warning in `body` that is not the endpoint's fixed wording.
    fn fresh_warning(&self, body: &str) -> Option<String> {
        crate::analysis::classify::lock_warnings(body)
            .into_iter()
            .find(|w| !self.boilerplate.contains(w))
    }

    /// The identifier shape random accounts take on this surface.
    pub fn identifier(&self) -> crate::surface::Identifier {
        self.surface.identifier
    }

    /// Fresh hidden fields for a form surface, fetched with the client's cookies.
    async fn hidden_fields(
        &self,
        client: &mut Client,
    ) -> Result<Vec<(String, String)>, ProbeError> {
        Ok(self.hidden_fields_watching(client, false).await?.0)
    }

    /// [`Prober::hidden_fields`], and with `watch`, what the page fetched for them says that
    /// counts attempts down or warns of a lock (read only when asked: volume probes fetch
    /// this page for every attempt).
    async fn hidden_fields_watching(
        &self,
        client: &mut Client,
        watch: bool,
    ) -> Result<(Vec<(String, String)>, Option<String>), ProbeError> {
        if let Some(csrf) = &self.surface.csrf {
            let token = self.csrf_token(client, csrf).await?;
            let fields = csrf.field.iter().map(|f| (f.clone(), token.clone()));
            return Ok((fields.collect(), None));
        }
        if self.surface.kind != SurfaceKind::HtmlForm || !self.surface.has_hidden {
            return Ok((Vec::new(), None));
        }
        let flow = self.surface.flow != crate::report::Flow::SignIn;
        if let Some(h) = client.hidden.take() {
            if flow {
                client.last_hidden = Some(h.clone());
            }
            return Ok((h, None));
        }
        let page = self
            .surface
            .form_page
            .clone()
            .unwrap_or_else(|| self.surface.url.clone());
        let (final_url, resp) = self
            .scanner
            .engine
            .get_following(&page, Some(&*client.jar), 3)
            .await?;
        let warning = watch.then(|| self.fresh_warning(&resp.text())).flatten();
        let h = self
            .form_hidden_from(&resp, &final_url)
            .ok_or(ProbeError::FormGone)?;
        if flow {
            client.last_hidden = Some(h.clone());
        }
        Ok((h, warning))
    }

    /// The client's CSRF token for a door whose page's script or cookie holds it: read from
    /// the page once per client (with its cookies), then kept.
    async fn csrf_token(
        &self,
        client: &mut Client,
        csrf: &crate::surface::Csrf,
    ) -> Result<String, ProbeError> {
        if let Some(t) = &client.csrf {
            return Ok(t.clone());
        }
        let page = self
            .surface
            .form_page
            .clone()
            .unwrap_or_else(|| self.surface.url.clone());
        let (_, resp) = self
            .scanner
            .engine
            .get_following(&page, Some(&*client.jar), 3)
            .await?;
        let cookies = client.jar.header_for(&self.surface.url).unwrap_or_default();
        let token = csrf
            .token(&resp.text(), &cookies)
            .ok_or(ProbeError::FormGone)?;
        client.csrf = Some(token.clone());
        Ok(token)
    }

    fn form_hidden_from(&self, resp: &Response, page: &url::Url) -> Option<Vec<(String, String)>> {
        if !resp.is_html() {
            return None;
        }
        if self.surface.flow != crate::report::Flow::SignIn {
            let forms = html::flow_forms(&resp.text(), page);
            return forms
                .iter()
                .find(|f| f.action == self.surface.url)
                .or_else(|| forms.iter().find(|f| f.flow == self.surface.flow))
                .map(|f| f.hidden.clone());
        }
        let forms = html::login_forms(&resp.text(), page);
        forms
            .iter()
            .find(|f| {
                f.action == self.surface.url && f.password_field == self.surface.password_field
            })
            .or_else(|| forms.first())
            .map(|f| f.hidden.clone())
    }

    /// Send one attempt with `account`, in `role`, adding `headers` (e.g. a spoofed address).
    pub async fn attempt(
        &self,
        client: &mut Client,
        account: &str,
        role: Role,
        headers: &[(String, String)],
    ) -> Result<Attempt, ProbeError> {
        // A possibly-real account: never two attempts on it in flight, and none after the site
        // warned that it counts attempts down or will lock it.
        let _hold = self.scanner.hold_account(account, role)?;
        self.scanner.charge_flow(self.surface.flow, account, role)?;
        let (hidden, warning) = self
            .hidden_fields_watching(client, role == Role::Candidate)
            .await?;
        if role == Role::Candidate {
            if let Some(w) = warning {
                self.scanner.warn(account, &w);
                return Err(ProbeError::Safety(crate::scan::SafetyError::Warned(
                    account.to_string(),
                    w,
                )));
            }
        }
        let password = self.scanner.password();
        let mut req = self.surface.attempt_request(account, &password, &hidden);
        if self.surface.kind == SurfaceKind::Digest {
            let auth = self
                .digest_authorization(client, account, &password)
                .await?;
            req.headers = vec![("authorization".into(), auth)];
        }
        req.headers.extend(headers.iter().cloned());
        if let (Some(h), Some(t)) = (
            self.surface.csrf.as_ref().and_then(|c| c.header.clone()),
            client.csrf.clone(),
        ) {
            req.headers.push((h, t));
        }
        // Double-submit CSRF: the cookie the framework set, echoed in the header it reads.
        if let Some(cookies) = client.jar.header_for(&req.url) {
            for (h, v) in crate::surface::csrf_headers(&cookies) {
                if !req.headers.iter().any(|(k, _)| k.eq_ignore_ascii_case(&h)) {
                    req.headers.push((h, v));
                }
            }
        }
        let a = self.send(client, req, account, &password, role).await?;
        if role == Role::Candidate {
            if let Some(w) = self.warning_after(client, &a).await {
                self.scanner.warn(account, &w);
            }
        }
        Ok(a)
    }

    /// What the answer to a possibly-real account's attempt, or the page it redirects to (where
    /// a sign-in flashes "2 attempts remaining" after its 302), says that counts attempts down
    /// or warns of a lock. The redirect is followed with the client's cookies, as a browser
    /// would, only for these accounts.
    async fn warning_after(&self, client: &Client, a: &Attempt) -> Option<String> {
        let resp = a.response.as_ref()?;
        if let Some(w) = self.fresh_warning(&resp.text()) {
            return Some(w);
        }
        if !(300..400).contains(&resp.status) {
            return None;
        }
        let next = resp
            .header("location")
            .and_then(|l| self.surface.url.join(l).ok())
            .filter(|u| self.scanner.engine.same_origin(u))?;
        let (_, page) = self
            .scanner
            .engine
            .get_following(&next, Some(&*client.jar), 2)
            .await
            .ok()?;
        self.fresh_warning(&page.text())
    }

    /// A Digest `Authorization` for this attempt, fetching a challenge first when none is held.
    async fn digest_authorization(
        &self,
        client: &mut Client,
        account: &str,
        password: &str,
    ) -> Result<String, ProbeError> {
        if client.digest.is_none() {
            let mut probe = Request::get(self.surface.url.clone());
            probe.method = self.surface.method.clone();
            let resp = self.scanner.engine.send(&probe, Some(&*client.jar)).await?;
            let ch = digest::parse_challenge(resp.headers_all("www-authenticate"))
                .ok_or(ProbeError::NoChallenge)?;
            client.digest = Some((ch, 0));
        }
        let (ch, nc) = client.digest.as_mut().ok_or(ProbeError::NoChallenge)?;
        *nc += 1;
        let uri = match self.surface.url.query() {
            Some(q) => format!("{}?{q}", self.surface.url.path()),
            None => self.surface.url.path().to_string(),
        };
        Ok(digest::authorization(
            ch,
            &self.surface.method,
            &uri,
            account,
            password,
            *nc,
        ))
    }

    /// Whether attempts sent together are released together (see [`crate::http::Gate`]): the
    /// scan allows it and the sign-in takes a body whose last byte can be held back.
    pub fn synchronised(&self) -> bool {
        self.scanner.cfg.sync
            && !matches!(self.surface.kind, SurfaceKind::Basic | SurfaceKind::Digest)
            && !self.surface.method.eq_ignore_ascii_case("GET")
    }

    /// How attempts sent together go out, as a timing finding names it: `single-packet`
    /// (HTTP/2), `last-byte` (HTTP/1.1) or `sequential` (not held back).
    pub fn timing_method(&self) -> &'static str {
        if !self.synchronised() {
            "sequential"
        } else if self.scanner.engine.protocol() == Some(crate::http::Version::Http2) {
            "single-packet"
        } else {
            "last-byte"
        }
    }

    /// Attempts that may be sent together on this surface. A Digest nonce is used in sequence.
    pub fn wave_width(&self) -> usize {
        if self.surface.kind == SurfaceKind::Digest {
            1
        } else {
            self.scanner.engine.concurrency()
        }
    }

    /// How many attempts the budget allows now, keeping `reserve` requests (and the share of
    /// later surfaces) back, at most `want`.
    pub fn affordable(&self, want: usize, reserve: u32) -> usize {
        let left = self
            .scanner
            .engine
            .requests_left()
            .saturating_sub(reserve.saturating_add(self.leave_for_others));
        want.min((left / self.cost()) as usize)
    }

    /// Send these attempts together, one per lane of `client`, and return their outcomes in the
    /// order planned. Forms whose tokens are tied to a session get lanes with their own cookies
    /// (a token fetched on one lane would not match the session cookie another lane just set).
    pub async fn wave(
        &self,
        client: &mut Client,
        planned: &[Planned],
        headers: &[(String, String)],
    ) -> Vec<Result<Attempt, ProbeError>> {
        let each: Vec<PlannedWith> = planned
            .iter()
            .map(|(a, r)| (a.clone(), *r, headers.to_vec()))
            .collect();
        self.wave_each(client, &each).await
    }

    /// [`Prober::wave`] with headers of its own for each attempt.
    pub async fn wave_each(
        &self,
        client: &mut Client,
        planned: &[PlannedWith],
    ) -> Vec<Result<Attempt, ProbeError>> {
        if planned.is_empty() {
            return Vec::new();
        }
        let mut extra = self.take_lanes(client, planned.len());
        // Attempts of one wave are released together: their answers crossed the network at
        // the same moment, and timing compares them with each other.
        let gate = self
            .synchronised()
            .then(|| crate::http::Gate::new(planned.len()))
            .filter(|_| planned.len() > 1);
        let results = {
            let lanes = std::iter::once(&mut *client).chain(extra.iter_mut());
            let futures = lanes.zip(planned).map(|(lane, (account, role, headers))| {
                lane.gate = gate.clone();
                let gate = gate.clone();
                async move {
                    let r = self.attempt(lane, account, *role, headers).await;
                    // One that failed before its last byte must not hold the others back.
                    if let (Err(_), Some(g)) = (&r, gate) {
                        g.arrive();
                    }
                    r
                }
            });
            futures_util::future::join_all(futures).await
        };
        client.gate = None;
        for lane in &mut extra {
            lane.gate = None;
        }
        client.lanes = extra;
        client.waves += 1;
        let number = client.waves;
        results
            .into_iter()
            .map(|r| {
                r.map(|mut a| {
                    a.wave = (planned.len() > 1).then_some(number);
                    a
                })
            })
            .collect()
    }

    /// The further lanes of `client` that `n` requests sent together need (put them back in
    /// `client.lanes` afterwards, so their tokens are kept).
    fn take_lanes(&self, client: &mut Client, n: usize) -> Vec<Client> {
        // A token bound to a session needs a jar of its own per lane: a lane fetching its
        // page would otherwise replace the session cookie another lane's token belongs to.
        let own_jars = (self.surface.kind == SurfaceKind::HtmlForm && self.surface.has_hidden)
            || self.surface.csrf.is_some();
        let mut extra = std::mem::take(&mut client.lanes);
        while extra.len() + 1 < n {
            extra.push(if own_jars {
                Client::new()
            } else {
                client.lane()
            });
        }
        extra
    }

    /// Send requests that are not proper sign-ins together, one per lane; outcomes in order.
    pub async fn send_raw_all(
        &self,
        client: &mut Client,
        reqs: Vec<Request>,
    ) -> Vec<Result<Attempt, ProbeError>> {
        let mut extra = self.take_lanes(client, reqs.len());
        let results = {
            let lanes = std::iter::once(&mut *client).chain(extra.iter_mut());
            let futures = lanes.zip(reqs).map(|(lane, r)| self.send_raw(lane, r));
            futures_util::future::join_all(futures).await
        };
        client.lanes = extra;
        results
    }

    /// Send a request that is not a proper sign-in (for confirmation and debug probes).
    pub async fn send_raw(&self, client: &mut Client, req: Request) -> Result<Attempt, ProbeError> {
        Ok(self.send(client, req, "", "", Role::Random).await?)
    }

    /// A malformed sign-in: the password field left out (fresh hidden fields included).
    pub async fn malformed(&self, client: &mut Client) -> Result<Attempt, ProbeError> {
        let hidden = self.hidden_fields(client).await?;
        let user = self.scanner.random_account(self.identifier());
        let req = self.surface.malformed_request(&user, &hidden);
        Ok(self.send(client, req, &user, "", Role::Random).await?)
    }

    /// The class of an answer on this surface: by the learned model, and on a GraphQL surface
    /// by what the answer says of the call too (a 200 with an error on it is a rejection, a
    /// validation error is a malformed request, a payload nothing marks as failed a success).
    pub fn judge(&self, resp: &Response) -> Class {
        let mut class = classify(resp, self.model.as_ref());
        let Some(op) = &self.surface.graphql else {
            return class;
        };
        // Throttle words in an error's extensions (a stack trace through a rate-limit
        // middleware's file) are not what the answer says: the messages and payload decide.
        if class == Class::Throttled(ThrottleKind::LockoutText) {
            if let Some(bare) = crate::graphql::without_extensions(resp) {
                class = classify(&bare, self.model.as_ref());
            }
        }
        if class.is_throttled() {
            return class;
        }
        let outcome = serde_json::from_slice::<serde_json::Value>(&resp.body)
            .ok()
            .and_then(|v| crate::graphql::outcome(&v, &op.field));
        match (outcome, class) {
            (Some(crate::graphql::Outcome::Invalid), _) => Class::Malformed,
            (Some(crate::graphql::Outcome::Failure), Class::Accepted | Class::Other) => {
                Class::Rejected
            }
            (Some(crate::graphql::Outcome::Success), _) => Class::Accepted,
            _ => class,
        }
    }

    async fn send(
        &self,
        client: &mut Client,
        req: Request,
        account: &str,
        password: &str,
        role: Role,
    ) -> Result<Attempt, HttpError> {
        match self
            .scanner
            .engine
            .send_gated(&req, Some(&*client.jar), client.gate.as_ref())
            .await
        {
            Ok(mut resp) => {
                // A GraphQL answer is read as the call's view (no positions, no alias).
                if let Some(op) = &self.surface.graphql {
                    resp = crate::graphql::single_view(&resp, &op.field);
                }
                if self.surface.kind == SurfaceKind::HtmlForm && self.surface.has_hidden {
                    client.hidden = self.form_hidden_from(&resp, &req.url);
                    // A reset or sign-up page that answers without its form (a redirect to a
                    // "done" page): its session's token serves the next request too, unless
                    // the answer refused the token.
                    if client.hidden.is_none()
                        && self.surface.flow != crate::report::Flow::SignIn
                        && !matches!(resp.status, 403 | 419)
                        && !crate::analysis::classify::has_csrf_text(&resp.text())
                    {
                        client.hidden = client.last_hidden.clone();
                    }
                }
                if self.surface.kind == SurfaceKind::Digest {
                    if let Some(ch) = digest::parse_challenge(resp.headers_all("www-authenticate"))
                    {
                        client.digest = Some((ch, 0));
                    }
                }
                let class = self.judge(&resp);
                // A large page was read whole for its form; an attempt keeps less of it.
                resp.shrink(crate::http::ATTEMPT_KEEP);
                let norm = self
                    .normalizer
                    .normalize(&resp.text(), &[account, password]);
                Ok(Attempt {
                    account: account.to_string(),
                    password: password.to_string(),
                    role,
                    ms: resp.elapsed_ms(),
                    request: req,
                    response: Some(resp),
                    error: None,
                    class,
                    norm,
                    wave: None,
                })
            }
            Err(e) if e.is_exhaustion() || matches!(e, HttpError::OtherOrigin(_)) => Err(e),
            Err(e) => {
                client.hidden = None;
                let class = if matches!(
                    e,
                    HttpError::Timeout(_) | HttpError::Connect(_) | HttpError::Protocol(_)
                ) {
                    Class::Throttled(ThrottleKind::Dropped)
                } else {
                    Class::Error
                };
                Ok(Attempt {
                    account: account.to_string(),
                    password: password.to_string(),
                    role,
                    ms: f64::NAN,
                    request: req,
                    response: None,
                    error: Some(e),
                    class,
                    norm: String::new(),
                    wave: None,
                })
            }
        }
    }
}
