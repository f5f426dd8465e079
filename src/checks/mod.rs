//! The finding catalog: one check per file behind the [`Check`] trait. Adding a check is one file
//! plus one line in [`registry`].
//!
//! Checks share the probes through [`EndpointCtx`], which runs each probe once, on first need, in
//! the order the registry asks: debug probes first (a few malformed requests), then the
//! enumeration sample (before any volume probe can trip a limit), then the volume probes.

mod batched_attempts;
mod debug_exposure;
mod ip_header_bypass;
mod lockout_denial;
mod no_retry_after;
mod rate_limit_missing;
mod reset_missing;
mod spraying_unthrottled;
mod user_enumeration_registration;
mod user_enumeration_reset;
mod user_enumeration_response;
mod user_enumeration_timing;
mod verbose_error;

/// Fewest attempts of a volume pattern before its silence means anything.
pub use rate_limit_missing::MIN_ATTEMPTS as MIN_VOLUME_ATTEMPTS;
/// Fewest answered reset requests before their silence means anything.
pub use reset_missing::MIN_RESET_ATTEMPTS;

use async_trait::async_trait;

use crate::probe::enumeration::{candidates, EnumData};
use crate::probe::flows::{LockoutData, RegistrationData, ResetData};
use crate::probe::throttle::ThrottleData;
use crate::probe::{Attempt, Client, Prober};
use crate::report::Flow;
use crate::report::{Category, Confidence, Evidence, Observation, Severity};

/// What a check concluded on one endpoint.
#[derive(Debug, Clone)]
pub enum Verdict {
    /// Tested, nothing wrong.
    Pass,
    /// The weakness is there.
    Found(FindingDraft),
    /// The check could not decide; the reason goes in the report's `incomplete`.
    Incomplete(String),
}

/// The parts of a finding a check fills in; id, severity, title and remediation come from the check.
#[derive(Debug, Clone)]
pub struct FindingDraft {
    pub summary: String,
    pub confidence: Confidence,
    pub evidence: Vec<Evidence>,
    pub details: serde_json::Map<String, serde_json::Value>,
}

impl FindingDraft {
    pub fn new(summary: impl Into<String>) -> FindingDraft {
        FindingDraft {
            summary: summary.into(),
            confidence: Confidence::High,
            evidence: Vec::new(),
            details: serde_json::Map::new(),
        }
    }

    pub fn evidence_from<'a>(mut self, attempts: impl IntoIterator<Item = &'a Attempt>) -> Self {
        self.evidence
            .extend(attempts.into_iter().filter_map(Attempt::evidence).take(3));
        self
    }

    pub fn detail(mut self, key: &str, value: impl Into<serde_json::Value>) -> Self {
        self.details.insert(key.to_string(), value.into());
        self
    }

    pub fn confidence(mut self, c: Confidence) -> Self {
        self.confidence = c;
        self
    }
}

/// One catalog check.
#[async_trait]
pub trait Check: Send + Sync {
    /// The stable finding id (SPEC catalog).
    fn id(&self) -> &'static str;
    fn category(&self) -> Category;
    fn severity(&self) -> Severity;
    /// Short title of the finding.
    fn title(&self) -> &'static str;
    /// What the check looks for, in a sentence or two (SARIF rule help, docs).
    fn description(&self) -> &'static str;
    /// Why it matters: what an attacker gains when the finding is there (`keyhole explain`,
    /// the MCP `explain` tool).
    fn impact(&self) -> &'static str;
    /// The account flow whose endpoints the check runs on.
    fn flow(&self) -> Flow {
        Flow::SignIn
    }
    /// Decide on one endpoint.
    async fn run(&self, ctx: &mut EndpointCtx<'_>) -> Verdict;
}

/// Every check, in the order they run on an endpoint.
pub fn registry() -> Vec<Box<dyn Check>> {
    vec![
        Box::new(debug_exposure::DebugExposure),
        Box::new(verbose_error::VerboseError),
        Box::new(user_enumeration_response::ResponseEnumeration),
        Box::new(user_enumeration_timing::TimingEnumeration),
        Box::new(rate_limit_missing::RateLimitMissing),
        Box::new(spraying_unthrottled::SprayingUnthrottled),
        Box::new(no_retry_after::NoRetryAfter),
        Box::new(ip_header_bypass::IpHeaderBypass),
        Box::new(batched_attempts::BatchedAttempts),
        Box::new(lockout_denial::LockoutDenial),
        Box::new(user_enumeration_reset::ResetEnumeration),
        Box::new(reset_missing::ResetMissing),
        Box::new(user_enumeration_registration::RegistrationEnumeration),
    ]
}

/// Guessed identifiers a registration endpoint is asked about (one probe each).
pub const REGISTRATION_GUESSES: usize = 6;

/// Shared probe results for one confirmed endpoint, each run once on first need.
pub struct EndpointCtx<'a> {
    pub prober: Prober<'a>,
    /// The attempts that confirmed the surface (a malformed request, then rejections).
    pub confirmation: Vec<Attempt>,
    /// Accounts the API itself mentions (OpenAPI examples).
    pub example_accounts: Vec<String>,
    pub client: Client,
    debug: Option<Vec<Attempt>>,
    enumeration: Option<EnumData>,
    throttle: Option<ThrottleData>,
    reset: Option<ResetData>,
    registration: Option<RegistrationData>,
    lockout: Option<LockoutData>,
    /// The first sign-in surface (the one the lockout test runs on).
    pub primary: bool,
    pub observations: Vec<Observation>,
}

impl<'a> EndpointCtx<'a> {
    pub fn new(
        prober: Prober<'a>,
        confirmation: Vec<Attempt>,
        example_accounts: Vec<String>,
    ) -> Self {
        EndpointCtx {
            prober,
            confirmation,
            example_accounts,
            client: Client::new(),
            debug: None,
            enumeration: None,
            throttle: None,
            reset: None,
            registration: None,
            lockout: None,
            primary: false,
            observations: Vec::new(),
        }
    }

    /// The password-reset sample (on a reset endpoint).
    pub async fn reset(&mut self) -> &ResetData {
        if self.reset.is_none() {
            self.prober
                .scanner
                .progress
                .step(&format!("probing password reset on {}", self.label()));
            let data = self
                .prober
                .sample_reset(&mut self.client, &self.confirmation)
                .await;
            self.reset = Some(data);
        }
        self.reset.as_ref().expect("set above")
    }

    /// The registration sample (on a registration endpoint): one probe per guessed identifier.
    pub async fn registration(&mut self) -> &RegistrationData {
        if self.registration.is_none() {
            self.prober
                .scanner
                .progress
                .step(&format!("probing registration on {}", self.label()));
            let host = self.prober.surface.url.host_str().unwrap_or("").to_string();
            let id = self.prober.identifier();
            let owned = self
                .prober
                .scanner
                .cfg
                .username
                .as_deref()
                .filter(|u| crate::probe::flows::fits(u, id));
            let mut guesses = candidates(
                owned,
                &self.example_accounts,
                self.prober.identifier(),
                &host,
            );
            guesses.truncate(REGISTRATION_GUESSES);
            let data = self
                .prober
                .sample_registration(&mut self.client, &self.confirmation, &guesses)
                .await;
            self.registration = Some(data);
        }
        self.registration.as_ref().expect("set above")
    }

    /// The lockout test (on the first sign-in, with --username and --password-env).
    pub async fn lockout(&mut self) -> Option<&LockoutData> {
        let cfg = &self.prober.scanner.cfg;
        if !self.primary || cfg.skip.lockout || cfg.username.is_none() {
            return None;
        }
        let password = cfg.password.clone()?;
        if self.lockout.is_none() {
            self.prober.scanner.progress.step(&format!(
                "testing lockout of the owned account on {}",
                self.label()
            ));
            let data = self.prober.test_lockout(&password).await;
            self.lockout = Some(data);
        }
        self.lockout.as_ref()
    }

    pub fn label(&self) -> String {
        self.prober.surface.label()
    }

    pub fn observe(&mut self, kind: &str, summary: impl Into<String>) {
        self.observations.push(Observation {
            endpoint: self.label(),
            kind: kind.to_string(),
            summary: summary.into(),
        });
    }

    /// Malformed requests sent to provoke an error page.
    pub async fn debug_probes(&mut self) -> &[Attempt] {
        if self.debug.is_none() {
            let attempts = debug_exposure::probe(&self.prober, &mut self.client).await;
            self.debug = Some(attempts);
        }
        self.debug.as_deref().unwrap_or(&[])
    }

    /// The enumeration sample.
    pub async fn enumeration(&mut self) -> &EnumData {
        if self.enumeration.is_none() {
            let host = self.prober.surface.url.host_str().unwrap_or("").to_string();
            // An owned account the lockout test left locked answers with its lock, not a
            // rejection: it tells nothing about enumeration.
            let locked = self.lockout.as_ref().is_some_and(|l| l.left_locked);
            let owned = self
                .prober
                .scanner
                .cfg
                .username
                .as_deref()
                .filter(|_| !locked);
            let cands = candidates(
                owned,
                &self.example_accounts,
                self.prober.identifier(),
                &host,
            );
            self.prober
                .scanner
                .progress
                .step(&format!("sampling account enumeration on {}", self.label()));
            let data = self
                .prober
                .sample_enumeration(&mut self.client, &cands, self.prober.volume_reserve())
                .await;
            self.enumeration = Some(data);
        }
        self.enumeration.as_ref().expect("set above")
    }

    /// The volume probes (after the enumeration sample).
    pub async fn throttling(&mut self) -> (&EnumData, &ThrottleData) {
        self.enumeration().await;
        if self.throttle.is_none() {
            self.prober
                .scanner
                .progress
                .step(&format!("probing throttling on {}", self.label()));
            let enumeration = self.enumeration.as_ref().expect("set above");
            // Everything sent to the endpoint before counts: limiters count malformed requests too.
            let earlier = self.confirmation.len() + self.debug.as_ref().map_or(0, Vec::len);
            let data = self
                .prober
                .probe_throttling(&mut self.client, enumeration, earlier)
                .await;
            self.throttle = Some(data);
        }
        (
            self.enumeration.as_ref().expect("set above"),
            self.throttle.as_ref().expect("set above"),
        )
    }

    /// Every answered attempt made on this endpoint so far.
    pub fn all_attempts(&self) -> Vec<&Attempt> {
        let mut v: Vec<&Attempt> = self.confirmation.iter().collect();
        if let Some(d) = &self.debug {
            v.extend(d.iter());
        }
        if let Some(e) = &self.enumeration {
            v.extend(e.sequence.iter());
        }
        if let Some(t) = &self.throttle {
            v.extend(t.spray.attempts.iter());
            if let Some(o) = &t.one {
                v.extend(o.attempts.iter());
            }
        }
        v
    }
}
