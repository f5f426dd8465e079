//! `rate-limit.ip-header-bypass`: once a client is throttled, requests that carry a spoofed
//! client-address header (X-Forwarded-For and friends) get through again, while controls without
//! it stay throttled.
//!
//! Only runs after a throttle was seen. Controls carry an inert header with an address (so a
//! header's mere presence is not what makes the difference) and are interleaved with the spoofed
//! attempts, so a throttle window that ends mid-test shows up as a control getting through.

use async_trait::async_trait;
use rand::Rng;

use super::{Check, EndpointCtx, FindingDraft, Verdict};
use crate::probe::throttle::Pattern;
use crate::probe::{Attempt, Client, ProbeError, Prober};
use crate::report::{Category, Severity};
use crate::scan::Role;

pub struct IpHeaderBypass;

/// Client-address headers proxies set, and applications too often trust.
pub const SPOOF_HEADERS: &[&str] = &[
    "X-Forwarded-For",
    "X-Real-IP",
    "Forwarded",
    "True-Client-IP",
    "CF-Connecting-IP",
    "X-Client-IP",
    "X-Originating-IP",
    "X-Remote-IP",
    "X-Remote-Addr",
    "X-Cluster-Client-IP",
    "Fastly-Client-IP",
    "Client-IP",
];

/// An inert header for controls.
const CONTROL_HEADER: &str = "X-Keyhole-Control";

/// A random public-looking IPv4 address.
pub fn random_ip() -> String {
    let mut rng = rand::thread_rng();
    loop {
        let a: u8 = rng.gen_range(11..=223);
        if [10, 100, 127, 169, 172, 192, 198, 203].contains(&a) {
            continue;
        }
        return format!(
            "{a}.{}.{}.{}",
            rng.gen_range(0..=255),
            rng.gen_range(0..=255),
            rng.gen_range(1..=254)
        );
    }
}

/// The header and value for one spoofed address.
pub fn spoof(header: &str, ip: &str) -> (String, String) {
    let value = if header.eq_ignore_ascii_case("forwarded") {
        format!("for={ip}")
    } else {
        ip.to_string()
    };
    (header.to_string(), value)
}

/// How the spoofed and control attempts came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Spoofed attempts got through while every control stayed throttled.
    Bypass,
    /// Spoofed attempts stayed throttled too.
    Holds,
    /// A control got through: the throttle window ended; nothing can be said.
    WindowEnded,
    /// Spoofed attempts disagreed among themselves.
    Mixed,
}

/// Decide from the spoofed and control attempts' throttled flags.
pub fn decide(spoofed: &[bool], controls: &[bool]) -> Outcome {
    if controls.iter().any(|t| !t) {
        return Outcome::WindowEnded;
    }
    if spoofed.iter().all(|t| !t) && !spoofed.is_empty() {
        Outcome::Bypass
    } else if spoofed.iter().all(|t| *t) {
        Outcome::Holds
    } else {
        Outcome::Mixed
    }
}

struct Runner<'p, 'a> {
    prober: &'p Prober<'a>,
    pattern: Pattern,
    account: Option<String>,
    identifier: crate::surface::Identifier,
    /// The endpoint's usual time: a far slower answer is the tarpit still holding.
    base_ms: f64,
}

impl Runner<'_, '_> {
    async fn go(
        &self,
        client: &mut Client,
        headers: &[(String, String)],
    ) -> Result<Attempt, ProbeError> {
        let (account, role) = self.next();
        let mut a = self.prober.attempt(client, &account, role, headers).await?;
        crate::probe::throttle::mark_tarpit(&mut a, self.base_ms);
        Ok(a)
    }

    async fn control(&self, client: &mut Client) -> Result<Attempt, ProbeError> {
        self.go(client, &[(CONTROL_HEADER.to_string(), random_ip())])
            .await
    }

    /// The account and role of the next attempt.
    fn next(&self) -> (String, Role) {
        match (&self.pattern, &self.account) {
            (Pattern::OneAccount, Some(a)) => {
                let owned = self.prober.scanner.cfg.username.as_deref() == Some(a.as_str());
                (a.clone(), if owned { Role::Owned } else { Role::Random })
            }
            _ => (
                self.prober.scanner.random_account(self.identifier),
                Role::Random,
            ),
        }
    }

    /// These attempts together (each with its headers), judged like [`Runner::go`]'s.
    async fn together(
        &self,
        client: &mut Client,
        headers: Vec<Vec<(String, String)>>,
    ) -> Result<Vec<Attempt>, ProbeError> {
        let planned: Vec<crate::probe::PlannedWith> = headers
            .into_iter()
            .map(|h| {
                let (a, r) = self.next();
                (a, r, h)
            })
            .collect();
        let mut out = Vec::new();
        for r in self.prober.wave_each(client, &planned).await {
            let mut a = r?;
            crate::probe::throttle::mark_tarpit(&mut a, self.base_ms);
            out.push(a);
        }
        Ok(out)
    }
}

#[async_trait]
impl Check for IpHeaderBypass {
    fn id(&self) -> &'static str {
        "rate-limit.ip-header-bypass"
    }
    fn category(&self) -> Category {
        Category::RateLimiting
    }
    fn severity(&self) -> Severity {
        Severity::High
    }
    fn title(&self) -> &'static str {
        "Throttle bypassed with a spoofed client-address header"
    }
    fn description(&self) -> &'static str {
        "Once throttled, sends attempts carrying a fresh random address in X-Forwarded-For, X-Real-IP, Forwarded, True-Client-IP, CF-Connecting-IP, X-Client-IP and similar headers, interleaved with controls that carry only an inert header; reports when spoofed attempts get through while controls stay throttled."
    }

    fn impact(&self) -> &'static str {
        "The throttle believes a header any client can set, so an attacker who sends a new X-Forwarded-For value with each attempt is never slowed down: the limit exists on paper only."
    }

    async fn run(&self, ctx: &mut EndpointCtx<'_>) -> Verdict {
        let (_, t) = ctx.throttling().await;
        let base_ms = t.base_ms;
        let tarpit = [t.spray.kind, t.one.as_ref().and_then(|o| o.kind)]
            .contains(&Some(crate::analysis::classify::ThrottleKind::Tarpit));
        let (pattern, account) = if t.spray.throttled() {
            (Pattern::Spray, None)
        } else if let Some(one) = t.one.as_ref().filter(|o| o.throttled()) {
            (Pattern::OneAccount, one.account.clone())
        } else {
            // Nothing to bypass.
            return Verdict::Pass;
        };
        ctx.prober.scanner.progress.step(&format!(
            "testing client-address header bypass on {}",
            ctx.label()
        ));
        let runner = Runner {
            prober: &ctx.prober,
            pattern,
            account,
            identifier: ctx.prober.identifier(),
            base_ms,
        };
        let client = &mut ctx.client;
        let all = |_: ()| -> Vec<(String, String)> {
            let ip = random_ip();
            SPOOF_HEADERS.iter().map(|h| spoof(h, &ip)).collect()
        };

        // control, spoofed, control, spoofed, control
        let step_headers = |step: usize| -> Vec<(String, String)> {
            if step % 2 == 0 {
                vec![(CONTROL_HEADER.to_string(), random_ip())]
            } else {
                all(())
            }
        };
        let mut sequence: Vec<Attempt> = Vec::new();
        if tarpit {
            // Behind a tarpit every attempt waits out the delay: the five go out together (each
            // judged by its own time), not one delay after another.
            match runner
                .together(client, (0..5).map(step_headers).collect())
                .await
            {
                Ok(attempts) => sequence = attempts,
                Err(e) => return Verdict::Incomplete(format!("bypass probe stopped: {e}")),
            }
        } else {
            for step in 0..5 {
                match runner.go(client, &step_headers(step)).await {
                    Ok(a) => sequence.push(a),
                    Err(e) => return Verdict::Incomplete(format!("bypass probe stopped: {e}")),
                }
                if step == 0 && !sequence[0].is_throttled() {
                    break;
                }
            }
        }
        let controls: Vec<bool> = sequence
            .iter()
            .step_by(2)
            .map(Attempt::is_throttled)
            .collect();
        let spoofed: Vec<bool> = sequence
            .iter()
            .skip(1)
            .step_by(2)
            .map(Attempt::is_throttled)
            .collect();
        match decide(&spoofed, &controls) {
            Outcome::Holds => return Verdict::Pass,
            Outcome::WindowEnded => {
                return Verdict::Incomplete(
                    "the throttle window ended before spoofed client addresses could be tested"
                        .into(),
                )
            }
            Outcome::Mixed => {
                return Verdict::Incomplete(
                    "spoofed client addresses got through only sometimes; not reported".into(),
                )
            }
            Outcome::Bypass => {}
        }

        // Which header does it? One at a time, a control after any that gets through.
        let mut working: Vec<&str> = Vec::new();
        let mut shown: Option<Attempt> = None;
        for h in SPOOF_HEADERS {
            let a = match runner.go(client, &[spoof(h, &random_ip())]).await {
                Ok(a) => a,
                Err(_) => break,
            };
            if !a.is_throttled() {
                working.push(h);
                if shown.is_none() {
                    shown = Some(a);
                }
            }
        }
        let last_control = runner.control(client).await.ok();
        let still = last_control.as_ref().is_none_or(|c| c.is_throttled());
        let control_ex = sequence.first().cloned();
        let spoof_ex = shown.or_else(|| sequence.get(1).cloned());
        let names = if working.is_empty() {
            "a combination of client-address headers".to_string()
        } else {
            working.join(", ")
        };
        let mut draft = FindingDraft::new(format!(
            "While this client was throttled, attempts carrying a fresh address in {names} were answered as ordinary rejections; controls without it stayed throttled{}. An attacker rotates the header value and sprays without limit.",
            if still { "" } else { " (until the window ended)" }
        ))
        .evidence_from(spoof_ex.iter().chain(control_ex.iter()))
        .detail("headers", working.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        if working.is_empty() {
            draft = draft.confidence(crate::report::Confidence::Medium);
        }
        Verdict::Found(draft)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bypass_needs_every_control_throttled() {
        assert_eq!(
            decide(&[false, false], &[true, true, true]),
            Outcome::Bypass
        );
        assert_eq!(
            decide(&[false, false], &[true, false, true]),
            Outcome::WindowEnded
        );
        assert_eq!(decide(&[true, true], &[true, true, true]), Outcome::Holds);
        assert_eq!(decide(&[false, true], &[true, true, true]), Outcome::Mixed);
        assert_eq!(decide(&[], &[false]), Outcome::WindowEnded);
    }

    #[test]
    fn spoofed_values_are_fresh_and_shaped() {
        assert_ne!(random_ip(), random_ip());
        assert!(spoof("Forwarded", "1.2.3.4").1.starts_with("for="));
        assert_eq!(spoof("X-Real-IP", "1.2.3.4").1, "1.2.3.4");
        let ip = random_ip();
        assert!(!ip.starts_with("127.") && !ip.starts_with("10."));
    }
}
