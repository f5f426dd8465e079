//! The scan pipeline: discover surfaces → probe and analyse (the checks) → score → report.
//! Rendering happens afterwards, from the report alone.

use std::time::Instant;

use crate::checks::{self, EndpointCtx, Verdict};
use crate::config::ScanConfig;
use crate::discover::{self, DiscoverError};
use crate::http::{Engine, EngineConfig, HttpError};
use crate::probe::Prober;
use crate::report::{score, Finding, Incomplete, Observation, Report, Stats, Tool};
use crate::scan::Scanner;

/// Why a scan could not run (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error(transparent)]
    Discover(#[from] DiscoverError),
    #[error("cannot set up the HTTP client: {0}")]
    Engine(HttpError),
}

/// Requests kept back for a reset endpoint found during discovery.
const RESET_FLOOR: usize = 10;

/// What probing the endpoints gathered for the report.
#[derive(Default)]
struct Collected {
    findings: Vec<Finding>,
    incomplete: Vec<Incomplete>,
    observations: Vec<Observation>,
    endpoints: Vec<crate::report::EndpointReport>,
}

/// Probe one confirmed endpoint with the checks of its flow, leaving `leave.0` requests of the
/// budget for the endpoints after it, `leave.1` of them for the account flows. `primary`: the
/// first sign-in (the lockout test's).
async fn probe_endpoint(
    scanner: &Scanner,
    registry: &[Box<dyn checks::Check>],
    discovery: &discover::Discovery,
    confirmed: &discover::Confirmed,
    leave: (u32, u32),
    primary: bool,
    out: &mut Collected,
) {
    let surface = &confirmed.surface;
    out.endpoints.push(surface.report());
    let mut prober = Prober::new(scanner, surface);
    (prober.leave_for_others, prober.flow_share) = leave;
    prober.model = Some(confirmed.model.clone());
    prober.normalizer = confirmed.normalizer.clone();
    let usual: Vec<f64> = confirmed
        .confirmation
        .iter()
        .filter(|a| a.class == crate::analysis::classify::Class::Rejected && a.ms.is_finite())
        .map(|a| a.ms)
        .collect();
    prober.base_ms = crate::analysis::stats::median(&usual);
    // Random accounts never exist: what their rejections say of locks is fixed wording.
    prober.boilerplate = confirmed
        .confirmation
        .iter()
        .filter(|a| a.role == crate::scan::Role::Random)
        .flat_map(|a| crate::analysis::classify::lock_warnings(&a.text()))
        .collect();
    let mut ctx = EndpointCtx::new(
        prober,
        confirmed.confirmation.clone(),
        discovery.example_accounts.clone(),
    );
    ctx.primary = primary && surface.flow == crate::report::Flow::SignIn;
    // The lockout test goes first: the volume probes repeat the owned account, and would
    // lock it before the test could learn what its success looks like.
    if ctx.primary {
        ctx.lockout().await;
    }
    for check in registry.iter().filter(|c| c.flow() == surface.flow) {
        scanner
            .progress
            .detail(&format!("check {} on {}", check.id(), surface.label()));
        match check.run(&mut ctx).await {
            Verdict::Pass => {}
            Verdict::Found(d) => out.findings.push(Finding {
                id: check.id().to_string(),
                severity: check.severity(),
                category: check.category(),
                endpoint: surface.label(),
                title: check.title().to_string(),
                summary: d.summary,
                remediation: scanner.cfg.catalog.remediation_for(
                    surface.product.as_deref(),
                    check.id(),
                    surface.framework,
                ),
                confidence: d.confidence,
                evidence: d.evidence,
                details: d.details,
            }),
            Verdict::Incomplete(reason) => out.incomplete.push(Incomplete {
                check: check.id().to_string(),
                reason: format!("{}: {reason}", surface.label()),
            }),
        }
    }
    out.observations.append(&mut ctx.observations);
}

/// Requests the reset and registration endpoints will want, kept back from the sign-ins' share
/// of the budget (the lockout test runs first on the sign-in, from the sign-in's own share).
fn flow_reserve(discovery: &discover::Discovery) -> u32 {
    use crate::report::Flow;
    let mut r = 0usize;
    for f in &discovery.flows {
        r += match f.surface.flow {
            // A floor: the sign-ins' own reserves (the header-bypass probe's, when nothing
            // throttled) usually leave the reset sample its full 27; the v1 checks come first.
            Flow::PasswordReset => RESET_FLOOR,
            Flow::Registration => checks::REGISTRATION_GUESSES + 1,
            Flow::SignIn => 0,
        };
    }
    // The lockout test runs first on the sign-in, from the sign-in's own share.
    r as u32
}

/// Someone outside the scan following it: each phase's message, and the requests sent so far.
#[derive(Clone)]
pub struct Watch {
    pub on_step: crate::scan::StepObserver,
    pub requests: std::sync::Arc<std::sync::atomic::AtomicU32>,
}

/// Run a whole scan and build its report.
pub async fn scan(cfg: ScanConfig) -> Result<Report, ScanError> {
    scan_watched(cfg, None).await
}

/// [`scan`], telling `watch` (when given) how it goes.
pub async fn scan_watched(cfg: ScanConfig, watch: Option<Watch>) -> Result<Report, ScanError> {
    let started = Instant::now();
    let started_at = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let mut engine = Engine::new(
        &cfg.target,
        EngineConfig {
            max_requests: cfg.max_requests,
            concurrency: cfg.concurrency,
            timeout: cfg.timeout,
            deadline: started + cfg.deadline,
            insecure: cfg.insecure,
            http2_prior_knowledge: cfg.http2_prior_knowledge,
        },
    )
    .map_err(ScanError::Engine)?;
    if let Some(w) = &watch {
        engine.count_into(w.requests.clone());
    }
    let mut scanner = Scanner::new(cfg, engine);
    if let Some(w) = watch {
        scanner.progress.set_observer(w.on_step);
    }
    if scanner.cfg.verbosity == crate::config::Verbosity::Verbose {
        scanner
            .engine
            .set_logger(std::sync::Arc::new(|line: &str| eprintln!("  {line}")));
    }
    let discovery = discover::discover(&scanner).await;
    let discovery = match discovery {
        Ok(d) => d,
        Err(e) => {
            scanner.progress.finish();
            return Err(e.into());
        }
    };

    let registry = checks::registry();
    let mut out = Collected::default();

    // The sign-ins first, keeping the flows' share of the budget back.
    let flow_reserve = flow_reserve(&discovery);
    let n = discovery.surfaces.len();
    for (i, confirmed) in discovery.surfaces.iter().enumerate() {
        let later = (n - 1 - i) as u32;
        let left = scanner.engine.requests_left().saturating_sub(flow_reserve);
        let need = Prober::new(&scanner, &confirmed.surface).full_probe_cost();
        // A further door (an admin console beside the site's own sign-in) is probed only when
        // the budget can still serve it; otherwise it is listed, and the report says why.
        if i > 0 && left < need / 2 {
            out.endpoints.push(confirmed.surface.report());
            out.incomplete.push(Incomplete {
                check: "discovery".into(),
                reason: format!(
                    "{}: a further sign-in was found but not probed: the request budget went to the sign-in before it (about {need} requests would be needed; raise --max-requests to probe it too)",
                    confirmed.surface.label()
                ),
            });
            continue;
        }
        // The first sign-in (the one discovery ranks highest: the one a person uses) gets what
        // a whole probe of it needs when the budget has it, and at least twice the share of
        // each later one, so that a second door does not starve its samples.
        let leave = (left * later / (later + 2)).min(left.saturating_sub(need)) + flow_reserve;
        probe_endpoint(
            &scanner,
            &registry,
            &discovery,
            confirmed,
            (leave, flow_reserve),
            i == 0,
            &mut out,
        )
        .await;
    }
    // Then the flows: those found on the way, then, with what the sign-ins left, the
    // well-known flow paths asked blind.
    let mut discovery = discovery;
    discover::late_flows(&scanner, &mut discovery).await;
    let n = discovery.flows.len();
    for (i, confirmed) in discovery.flows.iter().enumerate() {
        let later = (n - 1 - i) as u32;
        let leave = scanner.engine.requests_left() * later / (later + 1);
        probe_endpoint(
            &scanner,
            &registry,
            &discovery,
            confirmed,
            (leave, 0),
            false,
            &mut out,
        )
        .await;
    }
    let Collected {
        mut findings,
        mut incomplete,
        mut observations,
        mut endpoints,
    } = out;

    // Every endpoint probed is on the target's origin: what its answers came over.
    let http = scanner.engine.protocol().map(|v| v.as_str().to_string());
    for e in &mut endpoints {
        e.http = http.clone();
    }
    endpoints.extend(discovery.unprobed_flows.iter().map(|s| s.report()));
    for c in &discovery.created {
        observations.push(Observation {
            endpoint: c.endpoint.clone(),
            kind: "account-created".into(),
            summary: format!(
                "a registration probe for {} was accepted ({}) although it left the password out: an account {} may exist now — delete it; keyhole stopped probing that endpoint",
                c.identifier,
                c.attempt.status().unwrap_or(0),
                c.identifier
            ),
        });
        incomplete.push(Incomplete {
            check: "auth.user-enumeration.registration".into(),
            reason: format!(
                "{}: a probe created the account {}, so no more probes were sent; delete that account",
                c.endpoint, c.identifier
            ),
        });
    }
    for (check, reason) in &discovery.flow_incomplete {
        incomplete.push(Incomplete {
            check: check.clone(),
            reason: reason.clone(),
        });
    }
    let tested = !discovery.surfaces.is_empty() || !discovery.flows.is_empty();
    if discovery.surfaces.is_empty() {
        incomplete.push(Incomplete {
            check: "discovery".into(),
            reason: format!(
                "no sign-in surface was found on {} (looked at the root page, {} well-known paths, OpenAPI documents, HTML forms and authentication challenges); the checks were not applicable — if the API has one, pass it with --endpoint PATH",
                scanner.cfg.target,
                discover::WELL_KNOWN_PATHS.len()
            ),
        });
    }
    for u in discovery.unconfirmed.iter().take(3) {
        incomplete.push(Incomplete {
            check: "discovery".into(),
            reason: format!("a declared sign-in could not be confirmed, so it was not probed: {u}"),
        });
    }
    if discovery.throttled > 0 {
        incomplete.push(Incomplete {
            check: "discovery".into(),
            reason: format!(
                "{} discovery requests were answered 429 Too Many Requests (a limit on the whole API): sign-in surfaces behind it may have been missed; scan again later or name the sign-in path with --endpoint",
                discovery.throttled
            ),
        });
    }
    for (account, what) in scanner.warnings() {
        observations.push(Observation {
            endpoint: scanner.cfg.target.to_string(),
            kind: "lock-warning".into(),
            summary: format!(
                "the site warned of a lock for '{account}' (\"{what}\"), so keyhole stopped every attempt on that account at once"
            ),
        });
    }
    if scanner.engine.drops_keepalive() {
        observations.push(Observation {
            endpoint: scanner.cfg.target.to_string(),
            kind: "connections".into(),
            summary: "the server closed kept-alive connections under a request without saying Connection: close; keyhole sent that request again on a fresh connection (it counted against --max-requests) and opened a fresh connection for every later request".into(),
        });
    }
    for p in &discovery.products {
        observations.push(Observation {
            endpoint: p.root.to_string(),
            kind: "product".into(),
            summary: p.summary(),
        });
    }
    if let Some(doc) = &discovery.openapi {
        observations.push(Observation {
            endpoint: doc.to_string(),
            kind: "openapi".into(),
            summary: "an OpenAPI document was read for sign-in operations".into(),
        });
    }
    findings.sort_by(|a, b| a.severity.cmp(&b.severity).then(a.id.cmp(&b.id)));
    let total = score::score(&findings);
    scanner.progress.finish();
    let duration_ms = started.elapsed().as_millis() as u64;
    let report = Report {
        schema_version: 1,
        tool: Tool {
            name: "keyhole".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        },
        target: crate::config::target_label(&scanner.cfg.target),
        started_at,
        duration_ms,
        score: total,
        grade: score::grade(total).to_string(),
        rubric: score::RUBRIC.into(),
        categories: score::categories(&findings, tested),
        endpoints,
        findings,
        observations,
        incomplete,
        stats: Stats {
            requests: scanner.engine.requests_used(),
            duration_ms,
            max_in_flight: scanner.engine.max_in_flight() as u32,
            guessed_attempts: scanner.guessed_attempts(),
        },
    };
    Ok(match &scanner.cfg.password {
        Some(p) => report.redacted(p.expose(), scanner.cfg.username.as_deref()),
        None => report,
    })
}
