//! `auth.user-enumeration.reset`: the password-reset request tells existing from non-existing
//! accounts. With random identifiers alone, only an answer that says outright that no such
//! account exists counts. With `--username`, the owned account's answers (at most 3) are
//! compared with random identifiers' answers: status, normalised body, redirect, and timing
//! (sending the mail often costs hundreds of ms), with the sign-in timing check's statistics
//! and an A/A control (a random identifier asked as often).

use std::sync::LazyLock;

use async_trait::async_trait;
use regex::Regex;

use super::user_enumeration_timing::{meets_floor, test_group, ALPHA};
use super::{Check, EndpointCtx, FindingDraft, Verdict};
use crate::probe::flows::ResetData;
use crate::probe::Attempt;
use crate::report::{Category, Confidence, Flow, Severity};

pub struct ResetEnumeration;

/// Sentences that say no account has that identifier.
static NO_ACCOUNT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(no|unknown|nonexistent|non-existent) (such )?(user|account|e-?mail|member)s?\b|\b(user|account|e-?mail( address)?|member)\b[^.!?\n<]{0,40}\b(does ?n[o']t exist|do(es)? not exist|not (be )?found|not registered|not recogni[sz]ed|is not associated|isn't associated|not associated|not linked)|\b(can ?not|can't|could ?n[o']t|unable to) find\b[^.!?\n<]{0,20}\b(user|account|e-?mail)|\bthere is no (user|account)|\bnot a registered (user|e-?mail)|\b(e-?mail|user) (address )?(is )?unknown")
        .expect("valid regex")
});

/// A conditional sentence ("if an account exists…") says nothing either way.
static CONDITIONAL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\b(if|whether|in case|should)\b").expect("valid regex"));

static TAG: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"<[^>]*>").expect("valid regex"));

/// The first sentence of `text` that says the account does not exist, unconditionally.
pub fn says_no_account(text: &str) -> Option<String> {
    let plain = TAG.replace_all(text, "\n");
    plain
        .split(['\n', '.', '!', '?', '"', '{', '}'])
        .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
        .find(|s| !s.is_empty() && NO_ACCOUNT.is_match(s) && !CONDITIONAL.is_match(s))
}

/// What an answer looks like, for comparing the owned account with random identifiers.
fn shape(a: &Attempt) -> Option<(u16, String, String)> {
    let r = a.response.as_ref()?;
    let loc = r.header("location").unwrap_or("").to_string();
    Some((r.status, a.norm.clone(), loc))
}

/// The owned account's answers against random identifiers' (status, body, redirect).
fn response_difference(d: &ResetData) -> Option<String> {
    let owned: Vec<_> = d
        .owned
        .iter()
        .filter(|a| !a.is_throttled())
        .filter_map(shape)
        .collect();
    let randoms: Vec<_> = d
        .randoms
        .iter()
        .chain(d.control.iter())
        .filter(|a| !a.is_throttled())
        .filter_map(shape)
        .collect();
    if owned.is_empty() || randoms.len() < 2 {
        return None;
    }
    let first = &owned[0];
    if owned.iter().any(|o| o != first) || randoms.iter().any(|r| r == first) {
        return None;
    }
    let r0 = &randoms[0];
    if randoms.iter().any(|r| r != r0) {
        // Random identifiers do not agree among themselves: no stable reference.
        return None;
    }
    Some(if first.0 != r0.0 {
        format!(
            "status {} for the owned account, {} for random ones",
            first.0, r0.0
        )
    } else if first.2 != r0.2 {
        format!(
            "a redirect to {} for the owned account, {} for random ones",
            if first.2.is_empty() {
                "nowhere"
            } else {
                &first.2
            },
            if r0.2.is_empty() { "nowhere" } else { &r0.2 }
        )
    } else {
        format!(
            "the same status {} but a different body for the owned account",
            first.0
        )
    })
}

fn times(v: &[Attempt]) -> Vec<f64> {
    v.iter()
        .filter(|a| !a.is_throttled() && a.ms.is_finite())
        .map(|a| a.ms)
        .collect()
}

#[async_trait]
impl Check for ResetEnumeration {
    fn id(&self) -> &'static str {
        "auth.user-enumeration.reset"
    }
    fn category(&self) -> Category {
        Category::Authentication
    }
    fn severity(&self) -> Severity {
        Severity::Medium
    }
    fn title(&self) -> &'static str {
        "Password reset tells which accounts exist"
    }
    fn description(&self) -> &'static str {
        "A password-reset request for an unknown account must get the same answer, in the same time, as one for an existing account; keyhole asks with random identifiers and, with --username, with the tester's account (at most 3 times)."
    }

    fn impact(&self) -> &'static str {
        "The reset request confirms which accounts exist, giving an attacker a list of real users to target, and often goes unthrottled and unlogged."
    }
    fn flow(&self) -> Flow {
        Flow::PasswordReset
    }

    async fn run(&self, ctx: &mut EndpointCtx<'_>) -> Verdict {
        let server_floor = ctx.prober.scanner.engine.fastest_ms().unwrap_or(0.0);
        let owned_name = ctx.prober.scanner.cfg.username.clone();
        let d = ctx.reset().await;
        let answered: Vec<&Attempt> = d.randoms.iter().filter(|a| a.response.is_some()).collect();
        if !answered.is_empty() && answered.iter().all(|a| a.status().unwrap_or(0) >= 500) {
            return Verdict::Incomplete(format!(
                "the endpoint answered {} to every reset request (it may fail to send mail), so nothing could be compared",
                answered[0].status().unwrap_or(0)
            ));
        }
        // Random identifiers alone: an answer that says the account does not exist.
        if let Some((a, sentence)) = answered
            .iter()
            .filter(|a| !a.is_throttled())
            .find_map(|a| says_no_account(&a.text()).map(|s| (*a, s)))
        {
            return Verdict::Found(
                FindingDraft::new(format!(
                    "A reset request for a random, non-existent identifier is answered {} \"{}\": anyone can test which addresses have an account, one request each, without ever signing in",
                    a.status().unwrap_or(0),
                    sentence
                ))
                .evidence_from(answered.iter().copied().take(2))
                .detail("signal", "message")
                .detail("message", sentence),
            );
        }
        let Some(me) = owned_name else {
            return Verdict::Pass;
        };
        if !crate::probe::flows::fits(&me, ctx.prober.identifier()) {
            return Verdict::Incomplete(format!(
                "the endpoint takes an e-mail address and --username {me} is not one, so the owned account could not be compared; pass the account's address to compare it"
            ));
        }
        let d = ctx.reset.as_ref().expect("sampled above");
        if d.owned.is_empty() {
            return Verdict::Incomplete(match (&d.throttled, &d.stopped) {
                (Some((n, _)), _) => format!("the endpoint throttled after {n} reset requests, before the owned account was asked"),
                (_, Some(why)) => why.clone(),
                _ => "the owned account was not asked".into(),
            });
        }
        if let Some(what) = response_difference(d) {
            let mut ev: Vec<&Attempt> = d.owned.iter().take(1).collect();
            ev.extend(d.randoms.iter().take(1));
            return Verdict::Found(
                FindingDraft::new(format!(
                    "The reset answer for the owned account {me} differs from the answer for random identifiers: {what}; the same difference shows for any existing account"
                ))
                .evidence_from(ev)
                .detail("signal", "response")
                .detail("difference", what),
            );
        }
        // Timing: the owned account against random identifiers asked one at a time.
        let owned = times(&d.owned);
        let control = times(&d.control);
        let pool: Vec<f64> = times(&d.pool);
        if owned.len() < 3 || pool.len() < 6 {
            return Verdict::Incomplete(format!(
                "too few timed answers to compare ({} for the owned account, {} random){}",
                owned.len(),
                pool.len(),
                d.throttled
                    .as_ref()
                    .map(|(n, _)| format!("; the endpoint throttled after {n} requests"))
                    .unwrap_or_default()
            ));
        }
        let mut null = pool.clone();
        null.extend(control.iter().copied());
        let server_ms = crate::analysis::stats::median(&null).unwrap_or(0.0) - server_floor;
        let (Some(t), Some(aa)) = (test_group(&owned, &null), test_group(&control, &pool)) else {
            return Verdict::Pass;
        };
        if aa.p_value < 0.05 && meets_floor(&aa, server_ms.max(0.0)) {
            return Verdict::Incomplete(format!(
                "a random identifier asked repeatedly already differed in time from other random ones (p = {:.3}): the timing of this endpoint is too noisy to compare",
                aa.p_value
            ));
        }
        if t.p_value < ALPHA && meets_floor(&t, server_ms.max(0.0)) {
            let om = crate::analysis::stats::median(&owned).unwrap_or(0.0);
            let rm = crate::analysis::stats::median(&null).unwrap_or(0.0);
            return Verdict::Found(
                FindingDraft::new(format!(
                    "Reset requests for the owned account {me} take {om:.0} ms (median of {}), random identifiers {rm:.0} ms (median of {}): the difference (p = {:.4}, Cliff's delta {:.2}) tells existing accounts from unknown ones, typically because only they cost a mail being sent",
                    owned.len(),
                    null.len(),
                    t.p_value,
                    t.delta
                ))
                .confidence(Confidence::Medium)
                .evidence_from(d.owned.iter().take(1).chain(d.pool.iter().take(1)))
                .detail("signal", "timing")
                .detail("owned_median_ms", (om * 10.0).round() / 10.0)
                .detail("random_median_ms", (rm * 10.0).round() / 10.0)
                .detail("p_value", t.p_value)
                .detail("cliffs_delta", t.delta),
            );
        }
        // Nothing seen: a pass only where a difference worth reporting could have shown.
        if let Some(why) = super::user_enumeration_timing::limits(
            &null,
            owned.len(),
            super::user_enumeration_timing::clock_floor_ms(server_ms.max(0.0)),
            1,
            "random identifiers' reset times vary that much",
        ) {
            return Verdict::Incomplete(format!("timing: {why}"));
        }
        Verdict::Pass
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outright_refusals_count_and_conditional_ones_do_not() {
        assert!(says_no_account(r#"{"error":"No account with that email"}"#).is_some());
        assert!(says_no_account("<div class=error>Unknown user.</div>").is_some());
        assert!(says_no_account("Sorry, we can't find this user.").is_some());
        assert!(
            says_no_account("That e-mail address is not associated with any account").is_some()
        );
        assert!(says_no_account(
            "If an account with that e-mail exists, we sent a link. If there is no account, nothing is sent."
        )
        .is_none());
        assert!(says_no_account(r#"{"detail":"We sent you a link"}"#).is_none());
    }

    fn owned_and_randoms(owned_body: &str, random_body: &str) -> ResetData {
        let mk = |role, body: &str, status| {
            let mut a = Attempt::synthetic("x", role, 10.0, None);
            a.response = Some(crate::http::Response::synthetic(status, &[], body));
            a.norm = body.to_string();
            a
        };
        ResetData {
            randoms: (0..5)
                .map(|_| mk(crate::scan::Role::Random, random_body, 200))
                .collect(),
            owned: (0..3)
                .map(|_| mk(crate::scan::Role::Owned, owned_body, 200))
                .collect(),
            ..ResetData::default()
        }
    }

    #[test]
    fn the_owned_account_answered_differently_is_a_difference() {
        assert!(response_difference(&owned_and_randoms("sent", "sent")).is_none());
        let d = owned_and_randoms(r#"{"ok":true,"sent":true}"#, r#"{"ok":true}"#);
        assert!(response_difference(&d).unwrap().contains("different body"));
    }
}
