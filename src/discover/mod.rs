//! Discovery: find the API's sign-in surfaces from the base URL alone — the root page, `--endpoint`
//! paths, OpenAPI/Swagger documents, well-known paths, HTML forms and links, and HTTP
//! authentication challenges — then confirm each candidate by the SPEC's rule: wrong credentials
//! get a stable rejection, and something shows it is a credential check.

pub mod fingerprint;
pub mod html;
pub mod openapi;

use std::collections::HashSet;

use url::Url;

use crate::analysis::classify::{classify, speaks_of_credentials, Baseline, Class};
use crate::analysis::normalize::{mask_echoes, Normalizer};
use crate::http::{Body, HttpError, Request, Response};
use crate::probe::{Attempt, Client, ProbeError, Prober};
use crate::report::{Framework, SurfaceKind, SurfaceSource};
use crate::scan::Scanner;
use crate::surface::Surface;
use fingerprint::Fingerprint;

/// Paths where sign-in endpoints usually live, most common first.
pub const WELL_KNOWN_PATHS: &[&str] = &[
    "/login",
    "/api/login",
    "/api/auth/login",
    "/auth/login",
    "/signin",
    "/api/v1/auth/login",
    "/api/v1/login",
    "/token",
    "/api/token",
    "/auth/token",
    "/api/auth/token",
    "/oauth/token",
    "/auth",
    "/api/auth",
    "/session",
    "/sessions",
    "/api/session",
    "/api/sessions",
    "/api/signin",
    "/sign-in",
    "/users/sign_in",
    "/users/login",
    "/user/login",
    "/api/users/login",
    "/api/user/login",
    "/accounts/login/",
    "/account/login",
    "/api/v1/auth/token",
    "/api/v1/token",
    "/api/v1/session",
    "/api/v2/auth/login",
    "/v1/auth/login",
    "/v1/login",
    "/authenticate",
    "/api/authenticate",
    "/api-token-auth/",
    "/api/token/",
    "/oauth2/token",
    "/auth/signin",
    "/auth/sign-in",
    "/api/auth/signin",
    "/api/v1/auth/signin",
    "/api/v1/users/login",
    "/api/v1/sessions",
    "/api/v2/sessions",
    "/v1/sessions",
    "/api/account/login",
    "/account/signin",
    "/api/login/",
    "/login/",
    "/connect/token",
    "/admin/login/",
    "/admin",
];

/// Most surfaces confirmed and scanned.
pub const MAX_SURFACES: usize = 3;
/// Most leads tried when confirming.
const MAX_LEADS: usize = 8;

#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
    #[error("{target} is unreachable: {source}")]
    Unreachable { target: String, source: HttpError },
}

/// A confirmed surface, with what confirming it learned.
pub struct Confirmed {
    pub surface: Surface,
    pub confirmation: Vec<Attempt>,
    pub baseline: Baseline,
    pub normalizer: Normalizer,
}

/// What discovery found.
pub struct Discovery {
    pub surfaces: Vec<Confirmed>,
    pub framework: Framework,
    pub example_accounts: Vec<String>,
    /// Candidates that were looked at and not confirmed, with why (for -v and observations).
    pub rejected: Vec<String>,
    /// An OpenAPI document was read.
    pub openapi: Option<Url>,
    /// Discovery requests answered 429 (a global limit): some surfaces may have been missed.
    pub throttled: u32,
}

/// A candidate sign-in surface before confirmation.
#[derive(Debug, Clone)]
enum Lead {
    /// Body format and fields known (HTML form, OpenAPI, Basic challenge).
    Known(Surface),
    /// A path that seems to take a POST; body format and fields to be inferred.
    Post { url: Url, source: SurfaceSource },
}

impl Lead {
    fn key(&self) -> (String, String) {
        match self {
            Lead::Known(s) => (s.method.clone(), s.url.to_string()),
            Lead::Post { url, .. } => ("POST".into(), url.to_string()),
        }
    }

    fn priority(&self) -> u8 {
        match self {
            Lead::Known(s) => match s.source {
                SurfaceSource::User => 0,
                SurfaceSource::OpenApi => 1,
                SurfaceSource::Html | SurfaceSource::WellKnownPath => 2,
                SurfaceSource::Challenge => 3,
            },
            Lead::Post { source, .. } => {
                if *source == SurfaceSource::User {
                    0
                } else {
                    4
                }
            }
        }
    }
}

struct State<'a> {
    scanner: &'a Scanner,
    fp: Fingerprint,
    leads: Vec<Lead>,
    seen_pages: HashSet<String>,
    pages_to_visit: Vec<Url>,
    missing: Vec<Url>,
    examples: Vec<String>,
    openapi: Option<Url>,
    throttled: u32,
}

impl State<'_> {
    fn push(&mut self, lead: Lead) {
        // A site behind one Basic/Digest realm challenges on every path: one surface is enough.
        if let Lead::Known(s) = &lead {
            if matches!(s.kind, SurfaceKind::Basic | SurfaceKind::Digest)
                && self
                    .leads
                    .iter()
                    .any(|l| matches!(l, Lead::Known(o) if o.kind == s.kind))
            {
                return;
            }
        }
        let key = lead.key();
        if let Some(i) = self.leads.iter().position(|l| l.key() == key) {
            // A known shape beats a bare POST lead for the same URL.
            if matches!(self.leads[i], Lead::Post { .. }) && matches!(lead, Lead::Known(_)) {
                self.leads[i] = lead;
            }
            return;
        }
        self.leads.push(lead);
    }

    /// Look at a page: forms, links, challenges; return whether it suggests a POST endpoint.
    fn inspect(&mut self, url: &Url, resp: &Response, source: SurfaceSource) -> bool {
        self.fp.add(resp);
        if resp.status == 429 {
            self.throttled += 1;
        }
        if let Some(kind) = challenge_kind(resp) {
            self.push(Lead::Known(challenge_surface(url, kind, source)));
            return false;
        }
        if resp.is_html() {
            let text = resp.text();
            let forms = html::login_forms(&text, url);
            for f in forms.iter().filter(|f| f.method == "POST") {
                if !self.scanner.engine.same_origin(&f.action) {
                    continue;
                }
                let src = if source == SurfaceSource::WellKnownPath && f.action.path() != url.path()
                {
                    SurfaceSource::Html
                } else {
                    source
                };
                self.push(Lead::Known(Surface {
                    method: "POST".into(),
                    url: f.action.clone(),
                    kind: SurfaceKind::HtmlForm,
                    username_field: f
                        .username_field
                        .clone()
                        .unwrap_or_else(|| "username".into()),
                    password_field: f.password_field.clone(),
                    extra: f.other.clone(),
                    form_page: Some(url.clone()),
                    has_hidden: !f.hidden.is_empty(),
                    source: src,
                    framework: Framework::Unknown,
                }));
            }
            for link in html::login_links(&text, url) {
                if self.pages_to_visit.len() < 4 && !self.seen_pages.contains(link.as_str()) {
                    self.pages_to_visit.push(link);
                }
            }
            if !forms.is_empty() || resp.status < 300 {
                return false;
            }
        }
        match resp.status {
            405 | 400 | 401 | 403 | 415 | 422 | 429 => true,
            200..=299 => {
                let ct = resp.content_type().to_ascii_lowercase();
                ct.contains("json") && speaks_of_credentials(&resp.text())
            }
            _ => false,
        }
    }
}

fn challenge_kind(resp: &Response) -> Option<SurfaceKind> {
    if resp.status != 401 {
        return None;
    }
    let www = resp
        .headers_all("www-authenticate")
        .map(|s| s.trim().to_ascii_lowercase())
        .collect::<Vec<_>>();
    if www.iter().any(|s| s.starts_with("basic")) {
        Some(SurfaceKind::Basic)
    } else if www.iter().any(|s| s.starts_with("digest")) {
        Some(SurfaceKind::Digest)
    } else {
        None
    }
}

fn challenge_surface(url: &Url, kind: SurfaceKind, source: SurfaceSource) -> Surface {
    Surface {
        method: "GET".into(),
        url: url.clone(),
        kind,
        username_field: "username".into(),
        password_field: "password".into(),
        extra: Vec::new(),
        form_page: None,
        has_hidden: false,
        source: if source == SurfaceSource::User {
            source
        } else {
            SurfaceSource::Challenge
        },
        framework: Framework::Unknown,
    }
}

/// Find and confirm the sign-in surfaces of the target.
pub async fn discover(scanner: &Scanner) -> Result<Discovery, DiscoverError> {
    let target = scanner.cfg.target.clone();
    let engine = &scanner.engine;
    let mut st = State {
        scanner,
        fp: Fingerprint::new(),
        leads: Vec::new(),
        seen_pages: HashSet::new(),
        pages_to_visit: Vec::new(),
        missing: Vec::new(),
        examples: Vec::new(),
        openapi: None,
        throttled: 0,
    };
    // The root: reachability, fingerprint, forms, links, a challenge. Progress only once the
    // target answered, so an unreachable one gets exactly one line: the error.
    let (root_url, root) = engine
        .get_following(&target, None, 3)
        .await
        .map_err(|source| DiscoverError::Unreachable {
            target: target.to_string(),
            source,
        })?;
    scanner
        .progress
        .step(&format!("discovering sign-in surfaces on {target}"));
    st.seen_pages.insert(root_url.to_string());
    if st.inspect(&root_url, &root, SurfaceSource::Html) && root_url.path() != "/" {
        st.push(Lead::Post {
            url: root_url.clone(),
            source: SurfaceSource::WellKnownPath,
        });
    }

    // Paths the user named.
    for e in scanner.cfg.endpoints.clone() {
        let Ok(url) = target.join(&e) else { continue };
        st.push(Lead::Post {
            url: url.clone(),
            source: SurfaceSource::User,
        });
        if let Ok((final_url, resp)) = engine.get_following(&url, None, 3).await {
            st.seen_pages.insert(final_url.to_string());
            st.inspect(&final_url, &resp, SurfaceSource::User);
        }
    }

    // An OpenAPI / Swagger document.
    for path in openapi::DOC_PATHS {
        let Ok(url) = target.join(path) else { continue };
        let Ok(resp) = engine.send(&Request::get(url.clone()), None).await else {
            break;
        };
        st.fp.add(&resp);
        if resp.status != 200 {
            continue;
        }
        if let Ok(info) = openapi::parse(&resp.text(), &url) {
            scanner
                .progress
                .detail(&format!("read OpenAPI document {url}"));
            st.openapi = Some(url.clone());
            st.examples.extend(info.example_accounts.iter().cloned());
            for op in info.operations {
                if !engine.same_origin(&op.url) {
                    continue;
                }
                let kind = if op.oauth2_password {
                    SurfaceKind::OAuth2Password
                } else if op.encoding == openapi::BodyEncoding::Json {
                    SurfaceKind::Json
                } else {
                    SurfaceKind::Form
                };
                let kind = if kind == SurfaceKind::OAuth2Password
                    && op.encoding == openapi::BodyEncoding::Json
                {
                    SurfaceKind::Json
                } else {
                    kind
                };
                st.push(Lead::Known(Surface {
                    method: op.method.clone(),
                    url: op.url.clone(),
                    kind,
                    username_field: op.username_field.clone(),
                    password_field: op.password_field.clone(),
                    extra: op.extra_fields.clone(),
                    form_page: None,
                    has_hidden: false,
                    source: SurfaceSource::OpenApi,
                    framework: Framework::Unknown,
                }));
            }
            break;
        }
    }

    // Well-known paths.
    for path in WELL_KNOWN_PATHS {
        let Ok(url) = target.join(path.trim_start_matches('/')) else {
            continue;
        };
        let url = if target.path().ends_with('/') {
            url
        } else {
            target.join(path).unwrap_or(url)
        };
        if st.seen_pages.contains(url.as_str()) {
            continue;
        }
        let (final_url, resp) = match engine.get_following(&url, None, 3).await {
            Ok(r) => r,
            Err(e) if e.is_exhaustion() => break,
            Err(_) => continue,
        };
        if !st.seen_pages.insert(final_url.to_string()) && final_url != url {
            continue;
        }
        st.seen_pages.insert(url.to_string());
        if matches!(resp.status, 404 | 410) {
            st.fp.add(&resp);
            st.missing.push(url);
            continue;
        }
        if st.inspect(&final_url, &resp, SurfaceSource::WellKnownPath) {
            st.push(Lead::Post {
                url: final_url,
                source: SurfaceSource::WellKnownPath,
            });
        }
    }

    // Pages linked as sign-in pages.
    while let Some(page) = st.pages_to_visit.pop() {
        if !st.seen_pages.insert(page.to_string()) {
            continue;
        }
        if let Ok((final_url, resp)) = engine.get_following(&page, None, 3).await {
            st.seen_pages.insert(final_url.to_string());
            st.inspect(&final_url, &resp, SurfaceSource::Html);
        }
    }

    // Routers that answer 404 to a GET on a POST-only route (Express, Rails): ask with POST,
    // in the order of the well-known list, until one answers.
    if st.leads.is_empty() {
        let missing: Vec<Url> = st.missing.clone();
        for url in missing {
            if !st.leads.is_empty() {
                break;
            }
            let req = Request::post(url.clone(), Body::json(&serde_json::json!({})));
            match engine.send(&req, None).await {
                Ok(resp) => {
                    st.fp.add(&resp);
                    if !matches!(resp.status, 404 | 405 | 410 | 501) {
                        st.push(Lead::Post {
                            url,
                            source: SurfaceSource::WellKnownPath,
                        });
                    }
                }
                Err(e) if e.is_exhaustion() => break,
                Err(_) => {}
            }
        }
    }

    let framework = st.fp.best();
    let mut leads = st.leads.clone();
    leads.sort_by_key(Lead::priority);
    let mut confirmed: Vec<Confirmed> = Vec::new();
    let mut rejected = Vec::new();
    for lead in leads.into_iter().take(MAX_LEADS) {
        if confirmed.len() >= MAX_SURFACES {
            break;
        }
        let key = lead.key();
        if confirmed
            .iter()
            .any(|c| c.surface.method == key.0 && c.surface.url.as_str() == key.1)
        {
            continue;
        }
        scanner
            .progress
            .step(&format!("confirming sign-in candidate {} {}", key.0, key.1));
        let result = match lead {
            Lead::Known(s) => confirm_known(scanner, s, framework).await,
            Lead::Post { url, source } => confirm_post(scanner, url, source, framework).await,
        };
        match result {
            Ok(c) => {
                scanner.progress.detail(&format!(
                    "confirmed {} ({})",
                    c.surface.label(),
                    c.surface.kind.as_str()
                ));
                confirmed.push(c);
            }
            Err(why) => {
                scanner
                    .progress
                    .detail(&format!("not a sign-in: {} {}: {why}", key.0, key.1));
                rejected.push(format!("{} {}: {why}", key.0, key.1));
            }
        }
        // Fingerprints from confirmation answers (error pages) help too.
    }
    let mut examples = st.examples;
    examples.dedup();
    Ok(Discovery {
        surfaces: confirmed,
        framework,
        example_accounts: examples,
        rejected,
        openapi: st.openapi,
        throttled: st.throttled,
    })
}

/// Confirm a surface whose shape is known.
async fn confirm_known(
    scanner: &Scanner,
    mut surface: Surface,
    fw: Framework,
) -> Result<Confirmed, String> {
    surface.framework = fw;
    let mut prober = Prober::new(scanner, &surface);
    let mut client = Client::new();
    let malformed = prober
        .malformed(&mut client)
        .await
        .map_err(|e| e.to_string())?;
    let confirmation = confirm_attempts(&mut prober, &mut client, malformed).await?;
    let baseline = prober.baseline.clone().unwrap_or_default();
    let normalizer = prober.normalizer.clone();
    Ok(Confirmed {
        surface,
        confirmation,
        baseline,
        normalizer,
    })
}

/// Field names an error message may name.
const USER_FIELDS: &[&str] = &[
    "usernameOrEmail",
    "username",
    "email",
    "login",
    "user",
    "user_name",
    "userName",
    "identifier",
    "phone",
];
const PASS_FIELDS: &[&str] = &["password", "passwd", "pass", "pwd"];

/// The account and password field names a malformed request's answer names ("email is
/// required", {"loc": ["body", "login_id"]}), defaulting to username / password.
pub fn field_hints(hint: &str) -> (String, String) {
    let words: Vec<&str> = hint
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .filter(|w| !w.is_empty() && w.len() <= 40)
        .collect();
    let lower: Vec<String> = words.iter().map(|w| w.to_ascii_lowercase()).collect();
    let known = |list: &[&str]| {
        list.iter()
            .find(|f| lower.iter().any(|w| w == &f.to_ascii_lowercase()))
            .map(|f| f.to_string())
    };
    let user = known(USER_FIELDS)
        .or_else(|| {
            words
                .iter()
                .zip(&lower)
                .find(|(w, l)| {
                    (l.contains("user")
                        || l.contains("mail")
                        || l.contains("login")
                        || l.contains("account"))
                        && !l.contains("pass")
                        && (w.contains('_')
                            || w.contains('-')
                            || w.chars().any(|c| c.is_ascii_uppercase()))
                })
                .map(|(w, _)| w.to_string())
        })
        .unwrap_or_else(|| "username".into());
    let pass = known(PASS_FIELDS)
        .or_else(|| {
            words
                .iter()
                .zip(&lower)
                .find(|(w, l)| {
                    (l.contains("pass") || l.contains("pwd"))
                        && (w.contains('_')
                            || w.contains('-')
                            || w.chars().any(|c| c.is_ascii_uppercase()))
                })
                .map(|(w, _)| w.to_string())
        })
        .unwrap_or_else(|| "password".into());
    (user, pass)
}

/// Confirm a path that takes POST, inferring body format and field names.
async fn confirm_post(
    scanner: &Scanner,
    url: Url,
    source: SurfaceSource,
    fw: Framework,
) -> Result<Confirmed, String> {
    let probe_surface = Surface {
        method: "POST".into(),
        url: url.clone(),
        kind: SurfaceKind::Json,
        username_field: "username".into(),
        password_field: "password".into(),
        extra: Vec::new(),
        form_page: None,
        has_hidden: false,
        source,
        framework: fw,
    };
    let hint_prober = Prober::new(scanner, &probe_surface);
    let mut client = Client::new();
    let m0 = hint_prober
        .send_raw(
            &mut client,
            Request::post(url.clone(), Body::json(&serde_json::json!({}))),
        )
        .await
        .map_err(|e| e.to_string())?;
    if m0.class == Class::NotFound {
        return Err(format!("answers {} to a POST", m0.status().unwrap_or(0)));
    }
    let hint = m0.text();
    let hint_l = hint.to_ascii_lowercase();
    let (user_field, pass_field) = field_hints(&hint);
    let user_field = user_field.as_str();
    let pass_field = pass_field.as_str();
    let form_first =
        m0.status() == Some(415) || hint_l.contains("urlencoded") || hint_l.contains("form data");
    let tokenish = url.path().trim_end_matches('/').ends_with("token");

    type Variant<'v> = (SurfaceKind, &'v str, Vec<(String, String)>);
    let mut variants: Vec<Variant> = Vec::new();
    if tokenish && !url.path().ends_with('/') {
        variants.push((
            SurfaceKind::OAuth2Password,
            user_field,
            vec![("grant_type".into(), "password".into())],
        ));
    }
    if form_first {
        variants.push((SurfaceKind::Form, user_field, vec![]));
        variants.push((SurfaceKind::Json, user_field, vec![]));
    } else {
        variants.push((SurfaceKind::Json, user_field, vec![]));
        variants.push((SurfaceKind::Form, user_field, vec![]));
    }
    let body_kind = if form_first {
        SurfaceKind::Form
    } else {
        SurfaceKind::Json
    };
    for fallback in ["username", "email"] {
        if user_field != fallback {
            variants.push((body_kind, fallback, vec![]));
        }
    }
    let m0_norm = mask_echoes(&hint, &[]);
    let mut last_err = "no body format got a credential rejection".to_string();
    for (kind, ufield, extra) in variants.into_iter().take(5) {
        let surface = Surface {
            kind,
            username_field: ufield.to_string(),
            password_field: pass_field.to_string(),
            extra,
            ..probe_surface.clone()
        };
        let prober = Prober::new(scanner, &surface);
        let user = scanner.random_account(ufield.contains("mail"));
        let a = match prober
            .attempt(&mut client, &user, crate::scan::Role::Random, &[])
            .await
        {
            Ok(a) => a,
            Err(e) => return Err(e.to_string()),
        };
        let same_as_malformed =
            a.status() == m0.status() && mask_echoes(&a.text(), &[&user]) == m0_norm;
        let ok = match a.class {
            Class::Rejected => !same_as_malformed || speaks_of_credentials(&a.text()),
            _ => false,
        };
        if !ok {
            last_err = format!(
                "{} body answered {} ({:?})",
                kind.as_str(),
                a.status().unwrap_or(0),
                a.class
            );
            if a.class == Class::NotFound {
                break;
            }
            continue;
        }
        let mut prober = Prober::new(scanner, &surface);
        let confirmation = confirm_attempts_with(&mut prober, &mut client, m0.clone(), a).await?;
        let baseline = prober.baseline.clone().unwrap_or_default();
        let normalizer = prober.normalizer.clone();
        return Ok(Confirmed {
            surface,
            confirmation,
            baseline,
            normalizer,
        });
    }
    Err(last_err)
}

/// Two rejections after the malformed request; learn noise and the baseline.
async fn confirm_attempts(
    prober: &mut Prober<'_>,
    client: &mut Client,
    malformed: Attempt,
) -> Result<Vec<Attempt>, String> {
    let email = prober.wants_email();
    let user = prober.scanner.random_account(email);
    let r1 = prober
        .attempt(client, &user, crate::scan::Role::Random, &[])
        .await
        .map_err(|e: ProbeError| e.to_string())?;
    confirm_attempts_with(prober, client, malformed, r1).await
}

async fn confirm_attempts_with(
    prober: &mut Prober<'_>,
    client: &mut Client,
    malformed: Attempt,
    r1: Attempt,
) -> Result<Vec<Attempt>, String> {
    let email = prober.wants_email();
    let user = prober.scanner.random_account(email);
    let r2 = prober
        .attempt(client, &user, crate::scan::Role::Random, &[])
        .await
        .map_err(|e| e.to_string())?;
    let (Some(resp1), Some(resp2)) = (r1.response.as_ref(), r2.response.as_ref()) else {
        return Err("no answer to a sign-in attempt".into());
    };
    if r1.class != Class::Rejected {
        return Err(format!(
            "wrong credentials got {} ({:?}), not a rejection",
            resp1.status, r1.class
        ));
    }
    // Learn what changes between two rejections of random accounts.
    let pw1 = r1.password.clone();
    let pw2 = r2.password.clone();
    let b1 = mask_echoes(&resp1.text(), &[&r1.account, &pw1]);
    let b2 = mask_echoes(&resp2.text(), &[&r2.account, &pw2]);
    prober.normalizer.learn(&b1, &b2);
    let baseline = Baseline::from_response(resp1);
    prober.baseline = Some(baseline.clone());
    let class2 = classify(resp2, Some(&baseline));
    if !(class2 == Class::Rejected && resp2.status == resp1.status || class2.is_throttled()) {
        return Err(format!(
            "rejections are not stable ({} then {})",
            resp1.status, resp2.status
        ));
    }
    let s = prober.surface;
    let m_resp = malformed.response.as_ref();
    let differs_from_malformed = m_resp.is_none_or(|m| {
        m.status != resp1.status
            || prober
                .normalizer
                .normalize(&m.text(), &[&malformed.account])
                != prober
                    .normalizer
                    .normalize(&resp1.text(), &[&r1.account, &pw1])
    });
    let challenge = resp1.status == 401 && resp1.header("www-authenticate").is_some();
    let declared = matches!(s.source, SurfaceSource::Html | SurfaceSource::OpenApi)
        || matches!(
            s.kind,
            SurfaceKind::HtmlForm | SurfaceKind::Basic | SurfaceKind::Digest
        );
    if !(differs_from_malformed || speaks_of_credentials(&resp1.text()) || challenge || declared) {
        return Err(
            "answers a sign-in exactly like a malformed request, and speaks of no credentials"
                .into(),
        );
    }
    let mut out = vec![malformed, r1, r2];
    for a in out.iter_mut() {
        if let Some(r) = &a.response {
            a.class = classify(r, Some(&baseline));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_names_from_a_malformed_answer() {
        let h = |s: &str| field_hints(s);
        assert_eq!(
            h(
                r#"{"detail":[{"type":"missing","loc":["body","email"]},{"loc":["body","password"]}]}"#
            ),
            ("email".into(), "password".into())
        );
        assert_eq!(
            h(r#"{"errors":[{"field":"login_id"},{"field":"secret_pass"}]}"#),
            ("login_id".into(), "secret_pass".into())
        );
        assert_eq!(
            h(r#"{"error":"Invalid request"}"#),
            ("username".into(), "password".into())
        );
        assert_eq!(
            h("username and password are required"),
            ("username".into(), "password".into())
        );
    }
}
