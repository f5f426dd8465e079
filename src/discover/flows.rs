//! Discovery of the account flows beyond sign-in (SPEC "Account flows beyond sign-in"):
//! password-reset and registration endpoints, from the same sources as sign-ins — forms on the
//! pages discovery reads, the links a person would click ("Forgot your password?", "Sign up"),
//! OpenAPI operations, well-known paths, and POSTs to API paths that hide from GET.
//!
//! Confirmation asks each candidate with random identifiers only (never a guessed account):
//! a stable answer, and something that shows it takes an identifier. A registration probe leaves
//! the password out (JSON) or empty (a declared form), so it can never complete; the answer must
//! be a refusal, or keyhole knows no safe probe for that endpoint.

use url::Url;

use super::context::Discovering;
use super::Confirmed;
use crate::analysis::classify::{classify, refuses_domain, wants_email, ResponseModel};
use crate::analysis::normalize::mask_echoes;
use crate::http::{Body, Request, Response};
use crate::probe::{Attempt, Client, Prober};
use crate::report::{Flow, Framework, SurfaceKind, SurfaceSource};
use crate::scan::{Role, Scanner};
use crate::surface::{Identifier, Surface, FALLBACK_DOMAIN, NO_MAIL_DOMAIN};

/// Well-known paths of the two flows, most common first. Collection paths such as `/api/users`
/// are only read with GET (a form there is a lead); they are never POST-probed, since a
/// generic store may keep whatever it is sent.
pub const FLOW_PATHS: &[(&str, Flow)] = &[
    ("/forgot-password", Flow::PasswordReset),
    ("/password/forgot", Flow::PasswordReset),
    ("/password/reset", Flow::PasswordReset),
    ("/api/auth/forgot-password", Flow::PasswordReset),
    ("/auth/forgot-password", Flow::PasswordReset),
    ("/api/forgot-password", Flow::PasswordReset),
    ("/users/password/new", Flow::PasswordReset),
    ("/accounts/password/reset/", Flow::PasswordReset),
    ("/api/password/forgot", Flow::PasswordReset),
    ("/register", Flow::Registration),
    ("/signup", Flow::Registration),
    ("/api/register", Flow::Registration),
    ("/api/auth/register", Flow::Registration),
    ("/auth/register", Flow::Registration),
    ("/api/signup", Flow::Registration),
    ("/users/sign_up", Flow::Registration),
    ("/accounts/signup/", Flow::Registration),
    ("/auth/signup", Flow::Registration),
    ("/api/users", Flow::Registration),
];

/// Most pages of one flow visited from links.
const MAX_FLOW_PAGES_EACH: usize = 2;
/// Most flow paths asked with POST.
const MAX_FLOW_POSTS: usize = 10;

/// A candidate reset or registration endpoint before confirmation.
#[derive(Debug, Clone)]
pub struct FlowLead {
    pub surface: Surface,
    /// A form or OpenAPI document declares it (its fields are known).
    pub declared: bool,
}

/// Where a registration probe created an account anyway.
#[derive(Debug, Clone)]
pub struct Created {
    pub endpoint: String,
    pub identifier: String,
    pub attempt: Attempt,
}

/// What confirming a flow lead came to.
pub enum FlowOutcome {
    Confirmed(Box<Confirmed>),
    /// A registration probe was accepted: an account exists now.
    Created(Box<Surface>, Box<Created>),
    /// A registration endpoint none of whose probe shapes is known to fail safely.
    NoSafeProbe(Box<Surface>, String),
    /// A declared reset or registration endpoint that met a throttle while being confirmed:
    /// listed, and its checks incomplete (never silently passed).
    Throttled(Box<Surface>, String),
    NotFlow(String),
}

/// Read the flow forms and links of a page discovery fetched.
pub fn read_page(cx: &mut Discovering<'_>, url: &Url, resp: &Response) {
    if !resp.is_html() {
        return;
    }
    let text = resp.text();
    for f in crate::discover::html::flow_forms(&text, url) {
        if !cx.scanner.engine.same_origin(&f.action) {
            continue;
        }
        let identifier = if f.identifier_is_email {
            Identifier::email()
        } else {
            Identifier::from_field(&f.identifier_field, None)
        };
        cx.push_flow(FlowLead {
            surface: Surface {
                product: None,
                headers: Vec::new(),
                csrf: None,
                prior: None,
                graphql: None,
                method: f.method.clone(),
                url: f.action.clone(),
                kind: SurfaceKind::HtmlForm,
                username_field: f.identifier_field.clone(),
                password_field: f.password_field.clone().unwrap_or_default(),
                extra: f.other.clone(),
                form_page: Some(url.clone()),
                has_hidden: !f.hidden.is_empty(),
                source: SurfaceSource::Html,
                framework: Framework::Unknown,
                identifier,
                flow: f.flow,
            },
            declared: true,
        });
    }
    for (flow, link) in crate::discover::html::flow_links(&text, url) {
        // One page per flow and path shape: a wiki links its sign-up page from every page,
        // with only the page name changing (`doku.php?id=X&do=register`).
        let shape = |u: &Url| {
            let mut keys: Vec<String> = u.query_pairs().map(|(k, _)| k.into_owned()).collect();
            keys.sort();
            let action: Vec<String> = u
                .query_pairs()
                .filter(|(k, _)| {
                    !matches!(
                        k.as_ref(),
                        "id" | "returnto" | "next" | "return" | "redirect"
                    )
                })
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            (u.path().to_string(), keys, action)
        };
        let same_flow = cx.flow_pages.iter().filter(|(f, _)| *f == flow).count();
        if same_flow < MAX_FLOW_PAGES_EACH
            && !cx
                .flow_pages
                .iter()
                .any(|(f, u)| *f == flow && shape(u) == shape(&link))
            && cx.scanner.engine.same_origin(&link)
        {
            cx.flow_pages.push((flow, link));
        }
    }
}

/// A lead from an OpenAPI flow operation.
pub fn from_openapi(op: &crate::discover::openapi::FlowOperation) -> FlowLead {
    let kind = match op.encoding {
        crate::discover::openapi::BodyEncoding::Json => SurfaceKind::Json,
        crate::discover::openapi::BodyEncoding::Form => SurfaceKind::Form,
    };
    FlowLead {
        surface: Surface {
            product: None,
            headers: Vec::new(),
            csrf: None,
            prior: None,
            graphql: None,
            method: op.method.clone(),
            url: op.url.clone(),
            kind,
            username_field: op.identifier_field.clone(),
            password_field: op.password_field.clone().unwrap_or_default(),
            extra: Vec::new(),
            form_page: None,
            has_hidden: false,
            source: SurfaceSource::OpenApi,
            framework: Framework::Unknown,
            identifier: if op.identifier_is_email {
                Identifier::email()
            } else {
                Identifier::from_field(&op.identifier_field, None)
            },
            flow: op.flow,
        },
        declared: true,
    }
}

/// A JSON lead for a path that takes POST, fields to be learned from its answers.
fn probed(url: Url, flow: Flow) -> FlowLead {
    FlowLead {
        surface: Surface {
            product: None,
            headers: Vec::new(),
            csrf: None,
            prior: None,
            graphql: None,
            method: "POST".into(),
            url,
            kind: SurfaceKind::Json,
            username_field: "email".into(),
            password_field: if flow == Flow::Registration {
                "password".into()
            } else {
                String::new()
            },
            extra: Vec::new(),
            form_page: None,
            has_hidden: false,
            source: SurfaceSource::WellKnownPath,
            framework: Framework::Unknown,
            identifier: Identifier::email(),
            flow,
        },
        declared: false,
    }
}

/// The wanted flows that have no lead yet.
fn missing(cx: &Discovering<'_>, wanted: &[Flow]) -> Vec<Flow> {
    wanted
        .iter()
        .copied()
        .filter(|f| !cx.flow_leads.iter().any(|l| l.surface.flow == *f))
        .collect()
}

/// Visit the pages linked as reset or sign-up pages (their forms become leads).
pub async fn visit_linked(cx: &mut Discovering<'_>, wanted: &[Flow]) {
    let missing = |cx: &Discovering<'_>| missing(cx, wanted);
    let mut visited = 0;
    while visited < cx.flow_pages.len() && !missing(cx).is_empty() {
        let (flow, page) = cx.flow_pages[visited].clone();
        visited += 1;
        if !missing(cx).contains(&flow) {
            continue;
        }
        match cx.fetch(&page).await {
            Ok(Some(p)) => {
                let resp = p.resp.clone();
                read_page(cx, &p.url, &resp);
            }
            Ok(None) => {}
            Err(_) => return,
        }
    }
}

/// Ask the well-known flow paths of the flows still missing: with GET (a form there is a lead,
/// a 405 a route), then the API paths among them with an empty POST.
pub async fn probe_paths(cx: &mut Discovering<'_>, wanted: &[Flow]) {
    let missing = |cx: &Discovering<'_>| missing(cx, wanted);
    let still = missing(cx);
    if still.is_empty() {
        return;
    }
    let urls: Vec<(Url, Flow)> = FLOW_PATHS
        .iter()
        .filter(|(_, f)| still.contains(f))
        .filter_map(|(p, f)| cx.under_base(p).map(|u| (u, *f)))
        .collect();
    let mut post_candidates: Vec<(Url, Flow)> = Vec::new();
    let is_api = |u: &Url| {
        (u.path().contains("/api/") || u.path().starts_with("/auth/"))
            && !u.path().trim_end_matches('/').ends_with("/users")
    };
    // API paths take POST: they are asked with POST alone (a GET there answers 404 or 405
    // and costs a request). Pages are read with GET; where every unknown path answers with the
    // same page or redirect, that tells nothing, and only the API paths are asked.
    let (api, pages): (Vec<_>, Vec<_>) = urls.into_iter().partition(|(u, _)| is_api(u));
    post_candidates.extend(api);
    let urls = if cx.catch_all.is_some() {
        Vec::new()
    } else {
        pages
    };
    let width = cx.scanner.engine.concurrency();
    for chunk in urls.chunks(width) {
        let ahead: Vec<Url> = chunk.iter().map(|(u, _)| u.clone()).collect();
        cx.prefetch(&ahead).await;
        for (url, flow) in chunk {
            if !missing(cx).contains(flow) {
                continue;
            }
            let page = match cx.fetch(url).await {
                Ok(Some(p)) => p,
                Ok(None) => continue,
                Err(_) => return,
            };
            let resp = page.resp.clone();
            let collection = url.path().trim_end_matches('/').ends_with("/users");
            if page.catch_all || matches!(resp.status, 404 | 410) {
                continue;
            }
            if page.seen_before {
                continue;
            }
            read_page(cx, &page.url, &resp);
            if resp.status == 405 && !collection {
                cx.push_flow(probed(url.clone(), *flow));
            }
        }
    }
    // API routes that hide from GET: an empty JSON body names no account, so it can neither
    // send a reset nor register anybody.
    let posts: Vec<(Url, Flow)> = post_candidates
        .into_iter()
        .filter(|(_, f)| missing(cx).contains(f))
        .take(MAX_FLOW_POSTS)
        .collect();
    for chunk in posts.chunks(width) {
        let reqs: Vec<Request> = chunk
            .iter()
            .map(|(u, _)| Request::post(u.clone(), Body::json(&serde_json::json!({}))))
            .collect();
        for ((url, flow), answer) in chunk.iter().zip(cx.send_all(&reqs).await) {
            match answer {
                Ok(Some(resp)) => {
                    if !matches!(resp.status, 404 | 405 | 410 | 501)
                        && !cx.is_catch_all_answer(url, &resp)
                        && missing(cx).contains(flow)
                    {
                        cx.push_flow(probed(url.clone(), *flow));
                    }
                }
                Ok(None) => {}
                Err(_) => return,
            }
        }
    }
}

/// Whether an answer to a registration probe says an account was made: a 201, a 2xx JSON
/// body without an error, or a redirect away from the sign-up page.
pub fn looks_created(resp: &Response, surface: &Surface) -> bool {
    let text = resp.text();
    match resp.status {
        201 => true,
        200..=299 => {
            if resp.is_html() {
                // A page that shows the form again (with its errors) refused.
                !crate::discover::html::flow_forms(&text, &surface.url)
                    .iter()
                    .any(|f| f.flow == Flow::Registration)
                    && !REFUSAL.is_match(&text)
            } else {
                !text.trim().is_empty() && !REFUSAL.is_match(&text) && !ERROR_KEY.is_match(&text)
            }
        }
        300..=399 => {
            let loc = resp.header("location").unwrap_or("").to_ascii_lowercase();
            let page = surface
                .form_page
                .as_ref()
                .map(|u| u.path().to_ascii_lowercase())
                .unwrap_or_default();
            let back = loc.contains("regist")
                || loc.contains("signup")
                || loc.contains("sign_up")
                || loc.contains("sign-up")
                || (!page.is_empty() && loc.ends_with(&page))
                || loc.contains(surface.url.path().to_ascii_lowercase().as_str());
            !back
        }
        _ => false,
    }
}

static REFUSAL: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r"(?i)\b(required|missing|blank|empty|too short|must (be|contain|have|not)|at least \d+|cannot be|can't be|invalid|not valid|please (enter|provide|fill)|errorlist|is-invalid|has-error|field-error|error)\b")
        .expect("valid regex")
});

static ERROR_KEY: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r#"(?i)"(errors?|detail|message)"\s*:|"(ok|success)"\s*:\s*false"#)
        .expect("valid regex")
});

/// A refusal that names something other than the identifier: the password (or the fields left
/// empty) is why the probe failed.
pub fn refused_for_other_reason(resp: &Response, surface: &Surface) -> bool {
    if looks_created(resp, surface) || resp.status >= 500 {
        return false;
    }
    let text = resp.text().to_ascii_lowercase();
    let pass = if surface.password_field.is_empty() {
        "password".to_string()
    } else {
        surface.password_field.to_ascii_lowercase()
    };
    if !REFUSAL.is_match(&text) {
        return false;
    }
    let raw = resp.text();
    let named = crate::analysis::validators::named_fields(&raw);
    let validator_names_other = named.iter().any(|f| {
        let u = surface
            .username_field
            .rsplit('.')
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        *f != u
    });
    let names_a_left_field = validator_names_other
        || text.contains("password")
        || text.contains(&pass)
        || surface
            .extra
            .iter()
            .filter(|(_, v)| v.is_empty())
            .any(|(k, _)| k.len() > 2 && text.contains(&k.to_ascii_lowercase()));
    names_a_left_field || MISSING.is_match(&text)
}

static MISSING: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(
        r"(?i)(required|missing|blank|empty|can't be|cannot be|must not be|fill (in|out))",
    )
    .expect("valid regex")
});

/// Confirm a reset or registration lead with random identifiers only.
pub async fn confirm(scanner: &Scanner, lead: FlowLead, fw: Framework) -> FlowOutcome {
    let mut surface = lead.surface;
    surface.framework = fw;
    // A GraphQL registration whose password is optional (an account can be made without one,
    // to be verified by mail) has no probe that is sure to fail: none is sent.
    if surface.flow == Flow::Registration
        && surface.graphql.is_some()
        && surface.password_field.is_empty()
    {
        return FlowOutcome::NoSafeProbe(
            Box::new(surface),
            "the mutation takes no required password, so any probe could create the account".into(),
        );
    }
    let mut client = Client::new();
    // An undeclared route: its answer to an empty body names the field it wants.
    let mut route_missing = false;
    if !lead.declared {
        let prober = Prober::new(scanner, &surface);
        let m0 = match prober
            .send_raw(
                &mut client,
                Request::post(surface.url.clone(), Body::json(&serde_json::json!({}))),
            )
            .await
        {
            Ok(a) => a,
            Err(e) => return FlowOutcome::NotFlow(e.to_string()),
        };
        route_missing = matches!(m0.status(), Some(404 | 405 | 410 | 501));
        let (user_field, _) = crate::discover::field_hints(&m0.text());
        if user_field != "username" || m0.text().to_ascii_lowercase().contains("username") {
            surface.username_field = user_field.clone();
            surface.identifier = match Identifier::from_field(&user_field, None) {
                Identifier::Username if !m0.text().to_ascii_lowercase().contains("user") => {
                    Identifier::email()
                }
                id => id,
            };
        }
    }
    let mut switched_field = false;
    for _ in 0..3 {
        let prober = Prober::new(scanner, &surface);
        let u1 = scanner.random_account(surface.identifier);
        let u2 = scanner.random_account(surface.identifier);
        let planned = [(u1, Role::Random), (u2, Role::Random)];
        // A registration is asked once first: a store that keeps whatever it is sent must not
        // get two accounts.
        let mut answers: Vec<Attempt> = Vec::new();
        if surface.flow == Flow::Registration {
            for p in &planned {
                match prober.attempt(&mut client, &p.0, p.1, &[]).await {
                    Ok(a) => {
                        if let Some(r) = &a.response {
                            if !lead.declared && r.is_html() {
                                return FlowOutcome::NotFlow(format!(
                                    "answers an HTML page ({}) to a JSON probe",
                                    r.status
                                ));
                            }
                            if looks_created(r, &surface) {
                                let created = Created {
                                    endpoint: surface.label(),
                                    identifier: a.account.clone(),
                                    attempt: a.clone(),
                                };
                                return FlowOutcome::Created(
                                    Box::new(surface.clone()),
                                    Box::new(created),
                                );
                            }
                        }
                        answers.push(a);
                    }
                    Err(e) => return FlowOutcome::NotFlow(e.to_string()),
                }
            }
        } else {
            for r in prober.wave(&mut client, &planned, &[]).await {
                match r {
                    Ok(a) => answers.push(a),
                    Err(e) => return FlowOutcome::NotFlow(e.to_string()),
                }
            }
        }
        let (Some(r1), Some(r2)) = (
            answers[0].response.as_ref(),
            answers.get(1).and_then(|a| a.response.as_ref()),
        ) else {
            return FlowOutcome::NotFlow("no answer to a probe".into());
        };
        // A path behind an HTTP authentication challenge (a site protected as a whole) asks
        // for credentials first: nothing there is a reset or sign-up anyone can use.
        if [r1, r2]
            .iter()
            .any(|r| crate::discover::sources::challenge::challenge_kind(r).is_some())
        {
            return FlowOutcome::NotFlow(format!(
                "answers {} with an authentication challenge",
                r1.status
            ));
        }
        let t1 = r1.text();
        // The identifier's shape is wrong: try an e-mail, then a domain validators accept.
        let next = match surface.identifier {
            Identifier::Username | Identifier::Phone if wants_email(&t1) => {
                Some(Identifier::email())
            }
            Identifier::Email {
                domain: NO_MAIL_DOMAIN,
            } if refuses_domain(&t1) || wants_email(&t1) => Some(Identifier::Email {
                domain: FALLBACK_DOMAIN,
            }),
            _ => None,
        };
        if let Some(id) = next {
            surface.identifier = id;
            continue;
        }
        // A validator that names an identifier field other than the one sent ("'email' is a
        // required property" to a probe that sent a username) says where the identifier goes.
        if surface.kind == SurfaceKind::Json && !switched_field {
            let sent = surface.username_field.to_ascii_lowercase();
            let named = crate::analysis::validators::named_fields(&t1);
            if let Some(f) = named
                .iter()
                .find(|f| **f != sent && crate::surface::Identifier::looks_like_account_field(f))
            {
                switched_field = true;
                surface.username_field = f.clone();
                surface.identifier = Identifier::from_field(f, None);
                continue;
            }
        }
        // A 404 to an identifier where the route answered an empty body otherwise is the
        // endpoint's own answer ("no account with that e-mail"), not a missing route.
        // A route found by probing is an API: an HTML page there is the site's page for any
        // path, not an answer to the request (forms are found as forms).
        if !lead.declared && r1.is_html() {
            return FlowOutcome::NotFlow(format!(
                "answers an HTML page ({}) to a JSON probe",
                r1.status
            ));
        }
        if matches!(r1.status, 405 | 501) || (r1.status == 404 && route_missing) {
            return FlowOutcome::NotFlow(format!("answers {} to a probe", r1.status));
        }
        let mut normalizer = crate::analysis::normalize::Normalizer::new();
        let b1 = mask_echoes(&t1, &[&answers[0].account]);
        let b2 = mask_echoes(&r2.text(), &[&answers[1].account]);
        normalizer.learn(&b1, &b2);
        let n1 = normalizer.normalize(&t1, &[&answers[0].account]);
        let n2 = normalizer.normalize(&r2.text(), &[&answers[1].account]);
        // Only a throttle status counts here: reset and sign-up pages often carry help text
        // about limits ("you can only ask for a reset every hour").
        let throttled = |r: &Response| {
            matches!(r.status, 429 | 423) || (r.status == 503 && classify(r, None).is_throttled())
        };
        if throttled(r1) || throttled(r2) {
            let why = format!(
                "throttled while confirming ({} then {})",
                r1.status, r2.status
            );
            if lead.declared {
                return FlowOutcome::Throttled(Box::new(surface.clone()), why);
            }
            return FlowOutcome::NotFlow(why);
        }
        // A declared endpoint (a form, an OpenAPI operation) needs only the same kind of
        // answer twice; a probed one must answer exactly alike (after normalisation).
        let alike = if lead.declared {
            crate::analysis::classify::Signature::of(r1).matches(r2)
        } else {
            n1 == n2
        };
        if r1.status != r2.status || !alike {
            return FlowOutcome::NotFlow(format!(
                "answers are not stable ({} then {})",
                r1.status, r2.status
            ));
        }
        // A refusal that says the flow itself is off ("Email-based password resets have been
        // disabled on this server", "Registration is not enabled") is no flow anyone can use.
        if r1.status >= 400 && turned_off(&t1) {
            return FlowOutcome::NotFlow(format!("answers {} saying it is turned off", r1.status));
        }
        if surface.flow == Flow::Registration && !refused_for_other_reason(r1, &surface) {
            return FlowOutcome::NoSafeProbe(
                Box::new(surface.clone()),
                format!(
                    "a probe with the password {} answered {} without saying what was missing, so no probe shape is known to fail for a reason other than the identifier",
                    if surface.kind == SurfaceKind::Json { "left out" } else { "empty" },
                    r1.status
                ),
            );
        }
        if surface.flow == Flow::PasswordReset && !lead.declared && !speaks_of_reset(&t1) {
            return FlowOutcome::NotFlow(format!(
                "answered {} without speaking of a reset",
                r1.status
            ));
        }
        let model = ResponseModel::from_response(r1);
        let mut prober = Prober::new(scanner, &surface);
        prober.normalizer = normalizer.clone();
        let confirmation = answers
            .into_iter()
            .map(|mut a| {
                if let Some(r) = &a.response {
                    a.class = classify(r, Some(&model));
                    a.norm = normalizer.normalize(&r.text(), &[&a.account]);
                }
                a
            })
            .collect();
        return FlowOutcome::Confirmed(Box::new(Confirmed {
            surface,
            confirmation,
            model,
            normalizer,
        }));
    }
    FlowOutcome::NotFlow("no identifier shape was accepted".into())
}

/// An answer saying the flow is turned off on this server: resets or sign-ups disabled, not
/// enabled, not supported or not allowed (never an account's state: probes use random ones).
fn turned_off(text: &str) -> bool {
    static RE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(
            r"(?i)\b(reset|resets|registration|registrations|sign-?ups?|signups|self-registration)\b[^.]{0,60}\b(disabled|not (?:supported|enabled|available|allowed|permitted)|turned off|closed)\b|\b(disabled|not (?:supported|enabled|allowed))\b[^.]{0,30}\b(registration|sign-?ups?|password resets?)\b",
        )
        .expect("valid regex")
    });
    RE.is_match(text)
}

/// Words of a reset answer ("we sent you a link", "no account with that e-mail").
fn speaks_of_reset(text: &str) -> bool {
    static RE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"(?i)reset|e-?mail|link|instructions|sent|account|user|recover|password")
            .expect("valid regex")
    });
    RE.is_match(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flow_that_says_it_is_off_is_recognised() {
        assert!(turned_off(
            r#"{"errcode":"M_UNKNOWN","error":"Email-based password resets have been disabled on this server"}"#
        ));
        assert!(turned_off("Registration has been disabled"));
        assert!(turned_off(
            "Public sign-ups are not allowed on this instance."
        ));
        assert!(!turned_off("No account with that e-mail address."));
        assert!(!turned_off("If an account exists, we sent a reset link."));
        assert!(!turned_off("This account is disabled"));
    }

    fn surface(kind: SurfaceKind) -> Surface {
        Surface {
            product: None,
            headers: Vec::new(),
            csrf: None,
            prior: None,
            graphql: None,
            method: "POST".into(),
            url: Url::parse("http://127.0.0.1:5000/register").unwrap(),
            kind,
            username_field: "email".into(),
            password_field: "password".into(),
            extra: Vec::new(),
            form_page: Some(Url::parse("http://127.0.0.1:5000/register").unwrap()),
            has_hidden: false,
            source: SurfaceSource::WellKnownPath,
            framework: Framework::Unknown,
            identifier: Identifier::email(),
            flow: Flow::Registration,
        }
    }

    #[test]
    fn created_accounts_are_told_from_refusals() {
        let s = surface(SurfaceKind::Json);
        let created = Response::synthetic(201, &[], r#"{"id":7}"#);
        assert!(looks_created(&created, &s));
        let ok = Response::synthetic(
            200,
            &[("content-type", "application/json")],
            r#"{"accessToken":"x"}"#,
        );
        assert!(looks_created(&ok, &s));
        let refused = Response::synthetic(400, &[], r#"{"errors":{"password":"required"}}"#);
        assert!(!looks_created(&refused, &s));
        assert!(refused_for_other_reason(&refused, &s));
        let into_app = Response::synthetic(302, &[("location", "/dashboard")], "");
        assert!(looks_created(&into_app, &s));
        let back = Response::synthetic(302, &[("location", "/register?error=1")], "");
        assert!(!looks_created(&back, &s));
    }

    #[test]
    fn a_refusal_that_only_complains_of_the_identifier_is_not_known_safe() {
        let s = surface(SurfaceKind::Json);
        let r = Response::synthetic(500, &[], "Internal Server Error");
        assert!(!refused_for_other_reason(&r, &s));
    }
}
