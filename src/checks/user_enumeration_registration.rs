//! `auth.user-enumeration.registration`: the sign-up request says an identifier is already
//! taken before any e-mail confirmation step. Every probe leaves the password out (or empty),
//! so it fails for that reason whatever the identifier; a guessed identifier gets one probe.
//! A guessed or owned identifier whose refusal differs from random identifiers' by saying it is
//! taken (or by a 409 Conflict) is the finding.

use std::sync::LazyLock;

use async_trait::async_trait;
use regex::Regex;

use super::{Check, EndpointCtx, FindingDraft, Verdict};
use crate::probe::Attempt;
use crate::report::{Category, Flow, Severity};

pub struct RegistrationEnumeration;

/// Words of an "already taken" answer.
static TAKEN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)already (been )?(taken|exists?|registered|in use|used|associated)|(is|has been) taken|exists already|already have an account|not available|unavailable|in use\b|duplicate|already_exists|user_exists|email_exists|unique")
        .expect("valid regex")
});

/// Whether a candidate's refusal says it is taken where random identifiers' refusals do not.
pub fn says_taken(candidate: &Attempt, randoms: &[&Attempt]) -> bool {
    let Some(r) = candidate.response.as_ref() else {
        return false;
    };
    // Only what the candidate's answer says beyond the random ones' counts: a sign-up page's
    // fixed "Already have an account? Sign in" is on every answer.
    let references: Vec<String> = randoms.iter().map(|a| a.text()).collect();
    let novel = super::verbose_error::novel_text(&r.text(), &references);
    let random_409 = randoms.iter().any(|a| a.status() == Some(409));
    let differs = randoms
        .iter()
        .all(|a| a.status() != Some(r.status) || a.norm != candidate.norm);
    differs && (TAKEN.is_match(&novel) || (r.status == 409 && !random_409))
}

#[async_trait]
impl Check for RegistrationEnumeration {
    fn id(&self) -> &'static str {
        "auth.user-enumeration.registration"
    }
    fn category(&self) -> Category {
        Category::Authentication
    }
    fn severity(&self) -> Severity {
        Severity::Low
    }
    fn title(&self) -> &'static str {
        "Registration tells which accounts exist"
    }
    fn description(&self) -> &'static str {
        "A sign-up request must not say that an identifier is already taken before an e-mail confirmation step; keyhole's probes leave the password out so that none can complete, one per guessed identifier."
    }

    fn impact(&self) -> &'static str {
        "Registration confirms which identifiers already have accounts, so an attacker can build a list of real users to spray, without a single sign-in attempt."
    }
    fn flow(&self) -> Flow {
        Flow::Registration
    }

    async fn run(&self, ctx: &mut EndpointCtx<'_>) -> Verdict {
        let label = ctx.label();
        let d = ctx.registration().await;
        if let Some(a) = &d.created {
            let who = a.account.clone();
            let status = a.status().unwrap_or(0);
            ctx.observe(
                "account-created",
                format!("a registration probe for {who} on {label} was accepted ({status}) although it left the password out: an account {who} may exist now — delete it; keyhole stopped probing that endpoint"),
            );
            return Verdict::Incomplete(format!(
                "a probe created the account {who} (answered {status}), so no more probes were sent; delete that account"
            ));
        }
        let d = ctx.registration.as_ref().expect("sampled above");
        let randoms: Vec<&Attempt> = d.randoms.iter().filter(|a| a.response.is_some()).collect();
        if randoms.is_empty() || d.candidates.is_empty() {
            return Verdict::Incomplete(
                d.stopped
                    .clone()
                    .unwrap_or_else(|| "no registration probe was answered".into()),
            );
        }
        let taken: Vec<&Attempt> = d
            .candidates
            .iter()
            .filter(|c| says_taken(c, &randoms))
            .collect();
        if taken.is_empty() {
            // A probe a throttle answered said nothing about its identifier: never a pass.
            let throttled = d
                .candidates
                .iter()
                .chain(d.randoms.iter())
                .filter(|a| a.is_throttled() || matches!(a.status(), Some(429 | 423)))
                .count();
            if throttled > 0 {
                return Verdict::Incomplete(format!(
                    "a throttle answered {throttled} of the sign-up probes, so what they would have said of their identifiers is unknown; scan again once it has passed"
                ));
            }
            return Verdict::Pass;
        }
        let names: Vec<String> = taken.iter().map(|a| a.account.clone()).collect();
        let mut ev: Vec<&Attempt> = vec![taken[0]];
        ev.push(randoms[0]);
        Verdict::Found(
            FindingDraft::new(format!(
                "The sign-up answer for {} says the identifier is already taken ({}), while random identifiers get {}: one request per name tells whether an account exists, before any e-mail confirmation",
                names.join(", "),
                taken[0].status().unwrap_or(0),
                randoms[0].status().unwrap_or(0)
            ))
            .evidence_from(ev)
            .detail("identifiers", names),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, body: &str) -> Attempt {
        let mut a = Attempt::synthetic("x", crate::scan::Role::Random, 5.0, None);
        a.response = Some(crate::http::Response::synthetic(status, &[], body));
        a.norm = body.to_string();
        a
    }

    #[test]
    fn taken_shows_only_against_random_refusals_that_do_not_say_it() {
        let r = answer(400, r#"{"errors":{"password":"required"}}"#);
        let c = answer(
            400,
            r#"{"errors":{"password":"required","email":"Email already registered"}}"#,
        );
        assert!(says_taken(&c, &[&r]));
        assert!(!says_taken(&r, &[&r]));
        // Every identifier "taken" is no signal.
        assert!(!says_taken(&c, &[&c]));
        // A page's fixed text that says "already have an account" is on every answer.
        let page = |extra: &str| {
            answer(
                200,
                &format!("<form>{extra}<p>Already have an account? Sign in.</p></form>"),
            )
        };
        let random = page("<li>This field is required.</li>");
        let admin = page(
            "<li>A user with that username already exists.</li><li>This field is required.</li>",
        );
        assert!(says_taken(&admin, &[&random]));
        assert!(!says_taken(
            &random,
            &[&page("<li>This field is required.</li>")]
        ));
        let conflict = answer(409, r#"{"error":"conflict"}"#);
        assert!(says_taken(&conflict, &[&r]));
    }
}
