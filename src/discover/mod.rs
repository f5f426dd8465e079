//! Discovery: find the API's sign-in surfaces from the base URL alone, then confirm each
//! candidate by the SPEC's rule: wrong credentials get a stable rejection, and something shows
//! it is a credential check.
//!
//! The start page is read first (reachability, fingerprint, forms, links, scripts, challenge),
//! then every source of [`sources::registry`] runs in order over one shared [`Discovering`]
//! state, whose page cache fetches each final URL once. Confirmation (`confirm`) learns each
//! endpoint's [`ResponseModel`], which the probes and checks then classify against.

pub mod confirm;
pub mod context;
pub mod fingerprint;
pub mod flows;
pub mod html;
pub mod openapi;
pub mod sources;

use url::Url;

use crate::analysis::classify::ResponseModel;
use crate::analysis::normalize::Normalizer;
use crate::http::HttpError;
use crate::probe::Attempt;
use crate::report::{Framework, SurfaceKind, SurfaceSource};
use crate::scan::Scanner;
use crate::surface::Surface;
pub use confirm::field_hints;
use context::Discovering;
pub use sources::well_known::WELL_KNOWN_PATHS;

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
    /// The endpoint's learned response model.
    pub model: ResponseModel,
    pub normalizer: Normalizer,
}

/// What discovery found.
pub struct Discovery {
    pub surfaces: Vec<Confirmed>,
    pub framework: Framework,
    pub example_accounts: Vec<String>,
    /// Candidates that were looked at and not confirmed, with why (for -v and observations).
    pub rejected: Vec<String>,
    /// Declared sign-ins (an HTML form or OpenAPI operation with a password field, a token
    /// endpoint that wants client credentials) that could not be confirmed, with what was seen:
    /// the report lists them as incomplete rather than guessing.
    pub unconfirmed: Vec<String>,
    /// An OpenAPI document was read.
    pub openapi: Option<Url>,
    /// Discovery requests answered 429 (a global limit): some surfaces may have been missed.
    pub throttled: u32,
    /// Confirmed password-reset and registration endpoints (at most one of each).
    pub flows: Vec<Confirmed>,
    /// Registration probes that created an account anyway.
    pub created: Vec<flows::Created>,
    /// Flow endpoints found but not probed, with why (check id, reason).
    pub flow_incomplete: Vec<(String, String)>,
    /// Flow endpoints confirmed but not probed further (an account was created, no safe
    /// probe): listed in the report all the same.
    pub unprobed_flows: Vec<Surface>,
    /// How the site answers a path that cannot exist (for the late flow discovery).
    pub catch_all: Option<context::CatchAll>,
    /// Products the catalog recognised on the target.
    pub products: Vec<sources::catalog::Recognised>,
}

/// Name the product of an endpoint a recognised product owns (one of its doors, or under its
/// root); its framework, when the product says and nothing else did.
pub fn tag_product(products: &[sources::catalog::Recognised], s: &mut Surface) {
    if let Some(id) = &s.product {
        if s.framework == Framework::Unknown {
            if let Some(f) = products
                .iter()
                .find(|p| &p.id == id)
                .and_then(|p| p.framework)
            {
                s.framework = f;
            }
        }
        return;
    }
    let by_door = products.iter().find(|p| {
        p.doors.iter().any(|(_, d)| {
            let mut u = s.url.clone();
            u.set_query(None);
            *d == u
        })
    });
    let owner = by_door.or_else(|| match products {
        [only] if only.owns(&s.url) => Some(only),
        _ => None,
    });
    if let Some(p) = owner {
        s.product = Some(p.id.clone());
        if s.framework == Framework::Unknown {
            if let Some(f) = p.framework {
                s.framework = f;
            }
        }
    }
}

/// A candidate sign-in surface before confirmation.
#[derive(Debug, Clone)]
pub enum Lead {
    /// Body format and fields known (HTML form, OpenAPI, Basic challenge).
    Known(Box<Surface>),
    /// A path that seems to take a POST; body format and fields to be inferred.
    Post { url: Url, source: SurfaceSource },
}

impl Lead {
    /// One lead per method and path: `/login?next=/` and `/login` are one sign-in, and so are
    /// `doku.php?id=start` and `doku.php?id=login` (the query selects a page, not an endpoint).
    pub fn key(&self) -> (String, String) {
        let (method, url) = match self {
            Lead::Known(s) => (s.method.clone(), &s.url),
            Lead::Post { url, .. } => ("POST".into(), url),
        };
        let mut u = url.clone();
        u.set_query(None);
        (method, u.to_string())
    }

    fn priority(&self) -> u8 {
        match self {
            // A GraphQL sign-in, where one request can carry many guesses, before the REST doors.
            Lead::Known(s) if s.kind == SurfaceKind::Graphql && s.source != SurfaceSource::User => {
                1
            }
            // A door the catalog knows for a recognised product, however it was found first.
            Lead::Known(s) if s.product.is_some() && s.source != SurfaceSource::User => 2,
            Lead::Known(s) => match s.source {
                SurfaceSource::User => 0,
                SurfaceSource::OpenApi | SurfaceSource::Catalog | SurfaceSource::Graphql => 2,
                SurfaceSource::Html | SurfaceSource::WellKnownPath => 3,
                SurfaceSource::Challenge => 4,
                SurfaceSource::Javascript => 5,
            },
            Lead::Post { source, .. } => match source {
                SurfaceSource::User => 0,
                SurfaceSource::Javascript => 4,
                _ => 5,
            },
        }
    }
}

/// Fewest requests left after the sign-ins for asking the well-known flow paths blind.
pub const LATE_FLOW_MIN: u32 = 25;

/// After the sign-ins: ask the well-known paths of the flows still missing, with what the
/// sign-ins left of the budget, and confirm what they turn up.
pub async fn late_flows(scanner: &Scanner, d: &mut Discovery) {
    use crate::report::Flow;
    let skip = scanner.cfg.skip;
    let have = |f: Flow| {
        d.flows.iter().any(|c| c.surface.flow == f) || d.unprobed_flows.iter().any(|s| s.flow == f)
    };
    let wanted: Vec<Flow> = [
        (Flow::PasswordReset, skip.reset),
        (Flow::Registration, skip.register),
    ]
    .into_iter()
    .filter(|(f, off)| !off && !have(*f))
    .map(|(f, _)| f)
    .collect();
    if wanted.is_empty() {
        return;
    }
    if scanner.engine.requests_left() < LATE_FLOW_MIN {
        d.flow_incomplete.push((
            "discovery".into(),
            format!(
                "password-reset and registration endpoints were looked for only in the pages, links and OpenAPI document discovery read: the sign-ins used the request budget ({} requests left), so the well-known reset and sign-up paths were not asked; raise --max-requests to look there too",
                scanner.engine.requests_left()
            ),
        ));
        return;
    }
    scanner
        .progress
        .step("looking for password-reset and registration endpoints");
    let mut cx = Discovering::new(scanner);
    cx.catch_all = d.catch_all.clone();
    flows::probe_paths(&mut cx, &wanted).await;
    let mut found = confirm_flows(scanner, &cx.flow_leads, d.framework).await;
    for c in &mut found.confirmed {
        tag_product(&d.products, &mut c.surface);
    }
    for s in &mut found.unprobed {
        tag_product(&d.products, s);
    }
    found.into_discovery(d);
}

/// Most leads of one flow tried when confirming.
const MAX_FLOW_LEADS: usize = 3;

/// What confirming the flow leads came to.
#[derive(Default)]
struct FlowsFound {
    confirmed: Vec<Confirmed>,
    created: Vec<flows::Created>,
    /// (check id, reason) for the report's `incomplete`.
    incomplete: Vec<(String, String)>,
    /// Endpoints listed but not probed further.
    unprobed: Vec<Surface>,
}

impl FlowsFound {
    fn into_discovery(self, d: &mut Discovery) {
        d.flows.extend(self.confirmed);
        d.created.extend(self.created);
        d.flow_incomplete.extend(self.incomplete);
        d.unprobed_flows.extend(self.unprobed);
    }
}

/// Confirm at most one reset and one registration endpoint (both flows at once), declared
/// leads first.
async fn confirm_flows(
    scanner: &Scanner,
    leads: &[flows::FlowLead],
    framework: Framework,
) -> FlowsFound {
    use crate::report::Flow;
    let skip = scanner.cfg.skip;
    let one = |flow: Flow| async move {
        let mut mine: Vec<flows::FlowLead> = leads
            .iter()
            .filter(|l| l.surface.flow == flow)
            .cloned()
            .collect();
        mine.sort_by_key(|l| {
            (
                !l.declared,
                l.surface.kind != SurfaceKind::Graphql,
                l.surface.source != SurfaceSource::OpenApi,
            )
        });
        let mut out = FlowsFound::default();
        let off = match flow {
            Flow::PasswordReset => skip.reset,
            Flow::Registration => skip.register,
            Flow::SignIn => true,
        };
        if off {
            return out;
        }
        for lead in mine.into_iter().take(MAX_FLOW_LEADS) {
            scanner.progress.step(&format!(
                "confirming {} candidate {}",
                flow.as_str(),
                lead.surface.label()
            ));
            match flows::confirm(scanner, lead, framework).await {
                flows::FlowOutcome::Confirmed(c) => {
                    scanner.progress.detail(&format!(
                        "confirmed {} ({})",
                        c.surface.label(),
                        flow.as_str()
                    ));
                    out.confirmed.push(*c);
                    break;
                }
                flows::FlowOutcome::Created(s, c) => {
                    out.created.push(*c);
                    out.unprobed.push(*s);
                    break;
                }
                flows::FlowOutcome::NoSafeProbe(s, why) => {
                    out.incomplete.push((
                        "auth.user-enumeration.registration".into(),
                        format!("{}: {why}; registration enumeration cannot be observed safely there, so it was not tested", s.label()),
                    ));
                    out.unprobed.push(*s);
                    break;
                }
                flows::FlowOutcome::Throttled(s, why) => {
                    let checks: &[&str] = match flow {
                        Flow::PasswordReset => {
                            &["auth.user-enumeration.reset", "rate-limit.reset-missing"]
                        }
                        _ => &["auth.user-enumeration.registration"],
                    };
                    for check in checks {
                        out.incomplete.push((
                            (*check).into(),
                            format!("{}: a throttle answered the probes ({why}); scan again once it has passed", s.label()),
                        ));
                    }
                    out.unprobed.push(*s);
                    break;
                }
                flows::FlowOutcome::NotFlow(why) => {
                    scanner
                        .progress
                        .detail(&format!("not a {} endpoint: {why}", flow.as_str()));
                }
            }
        }
        out
    };
    let (r, g) = tokio::join!(one(Flow::PasswordReset), one(Flow::Registration));
    let mut all = r;
    all.confirmed.extend(g.confirmed);
    all.created.extend(g.created);
    all.incomplete.extend(g.incomplete);
    all.unprobed.extend(g.unprobed);
    all
}

/// Find and confirm the sign-in surfaces of the target.
pub async fn discover(scanner: &Scanner) -> Result<Discovery, DiscoverError> {
    let target = scanner.cfg.target.clone();
    let mut cx = Discovering::new(scanner);
    // The start page: reachability, fingerprint, forms, links, a challenge. Progress only once
    // the target answered, so an unreachable one gets exactly one line: the error.
    let (root_url, root) = scanner
        .engine
        .get_following(&target, None, 3)
        .await
        .map_err(|source| DiscoverError::Unreachable {
            target: target.to_string(),
            source,
        })?;
    scanner
        .progress
        .step(&format!("discovering sign-in surfaces on {target}"));
    cx.remember(&target, &root_url, &root);
    if cx.inspect(&root_url, &root, SurfaceSource::Html) && root_url.path() != "/" {
        cx.push(Lead::Post {
            url: root_url.clone(),
            source: SurfaceSource::WellKnownPath,
        });
    }
    drop(root);
    cx.learn_catch_all().await;

    for source in sources::registry() {
        if cx.exhausted {
            break;
        }
        scanner
            .progress
            .detail(&format!("discovery source: {}", source.name()));
        source.run(&mut cx).await;
    }

    let framework = cx.fp.best();
    let mut leads = cx.leads.clone();
    leads.sort_by_key(Lead::priority);
    let mut confirmed: Vec<Confirmed> = Vec::new();
    let mut rejected = Vec::new();
    let mut unconfirmed = Vec::new();
    // Confirm the leads in priority order, as many at once as surfaces are still wanted.
    let mut queue = leads.into_iter().take(MAX_LEADS).peekable();
    while confirmed.len() < MAX_SURFACES && queue.peek().is_some() {
        let mut batch: Vec<Lead> = Vec::new();
        while batch.len() < MAX_SURFACES - confirmed.len() {
            let Some(lead) = queue.next() else { break };
            let key = lead.key();
            let same = |u: &url::Url, method: &str| {
                let mut u = u.clone();
                u.set_query(None);
                method == key.0 && u.as_str() == key.1
            };
            if confirmed
                .iter()
                .any(|c| same(&c.surface.url, &c.surface.method))
                || batch.iter().any(|b| b.key() == key)
            {
                continue;
            }
            scanner
                .progress
                .step(&format!("confirming sign-in candidate {} {}", key.0, key.1));
            batch.push(lead);
        }
        let client_ids = &cx.client_ids;
        let results =
            futures_util::future::join_all(batch.iter().cloned().map(|lead| async move {
                match lead {
                    Lead::Known(s) => confirm::confirm_known(scanner, *s, framework).await,
                    Lead::Post { url, source } => {
                        confirm::confirm_post(scanner, url, source, framework, client_ids).await
                    }
                }
            }))
            .await;
        for (lead, result) in batch.iter().zip(results) {
            let key = lead.key();
            let declared = matches!(lead, Lead::Known(s) if !matches!(s.kind, crate::report::SurfaceKind::Basic | crate::report::SurfaceKind::Digest));
            match result {
                Ok(c) => {
                    // Two leads (a page and its form's action) may confirm one surface.
                    if confirmed.iter().any(|x| {
                        x.surface.method == c.surface.method && x.surface.url == c.surface.url
                    }) || confirmed.len() >= MAX_SURFACES
                    {
                        continue;
                    }
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
                    if (declared || why.contains("invalid_client")) && !why.contains("budget") {
                        unconfirmed.push(format!("{} {}: {why}", key.0, key.1));
                    }
                    rejected.push(format!("{} {}: {why}", key.0, key.1));
                }
            }
        }
    }
    let mut found = confirm_flows(scanner, &cx.flow_leads, framework).await;
    let products = std::mem::take(&mut cx.products);
    for c in confirmed.iter_mut().chain(found.confirmed.iter_mut()) {
        tag_product(&products, &mut c.surface);
    }
    for s in &mut found.unprobed {
        tag_product(&products, s);
    }
    let mut examples = cx.examples;
    examples.dedup();
    Ok(Discovery {
        flows: found.confirmed,
        created: found.created,
        flow_incomplete: found.incomplete,
        unprobed_flows: found.unprobed,
        catch_all: cx.catch_all.clone(),
        surfaces: confirmed,
        framework,
        example_accounts: examples,
        rejected,
        unconfirmed,
        openapi: cx.openapi,
        throttled: cx.throttled,
        products,
    })
}
