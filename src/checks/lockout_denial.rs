//! `auth.lockout-denial` (with `--username` and `--password-env`): after a few failed sign-ins
//! the tester's account refuses its correct password, to a fresh client too, so whoever can
//! reach the sign-in can lock real users out. A random account still answered normally from a
//! fresh client (else the lock is on the address, a rate limit, not an account lockout).

use async_trait::async_trait;

use super::{Check, EndpointCtx, FindingDraft, Verdict};
use crate::report::{Category, Confidence, Severity};

pub struct LockoutDenial;

#[async_trait]
impl Check for LockoutDenial {
    fn id(&self) -> &'static str {
        "auth.lockout-denial"
    }
    fn category(&self) -> Category {
        Category::Authentication
    }
    fn severity(&self) -> Severity {
        Severity::Medium
    }
    fn title(&self) -> &'static str {
        "Anyone can lock an account out"
    }
    fn description(&self) -> &'static str {
        "With --username and --password-env, keyhole fails a few sign-ins on the tester's account and then signs in with the real password from a fresh client (at most 3 real sign-ins in all); an account that then refuses its correct password can be locked by anyone."
    }

    fn impact(&self) -> &'static str {
        "Anyone who knows or guesses a username can lock its owner out with a few wrong passwords: an easy denial of service against real users, administrators included."
    }

    async fn run(&self, ctx: &mut EndpointCtx<'_>) -> Verdict {
        let me = ctx.prober.scanner.cfg.username.clone().unwrap_or_default();
        let Some(d) = ctx.lockout().await else {
            return Verdict::Pass;
        };
        let (verdict, note) = judge(d, &me);
        if let Some(n) = note {
            ctx.observe("lockout", n);
        }
        verdict
    }
}

/// The verdict and the lockout observation from what the test saw.
fn judge(d: &crate::probe::flows::LockoutData, me: &str) -> (Verdict, Option<String>) {
    if let Some(why) = &d.not_run {
        return (
            Verdict::Incomplete(format!("lockout test on {me}: {why}")),
            None,
        );
    }
    let failures = d.failures.len();
    let until = |d: &crate::probe::flows::LockoutData| {
        d.duration_s.zip(d.checked_at).map(|(s, t)| {
            (t + chrono::Duration::seconds(s as i64))
                .format("%Y-%m-%dT%H:%M:%SZ")
                .to_string()
        })
    };
    if !d.locked {
        let summary = match &d.random_after {
                Some(r) if r.is_throttled() => format!(
                    "after {failures} failed sign-ins on {me}, a random account from a fresh client was refused too: the limit is on this address, so whether the account itself locks could not be told; the real password was not tried again"
                ),
                _ => format!(
                    "{failures} failed sign-ins on {me} did not lock it: the correct password still signed in from a fresh client; the account was not left locked"
                ),
            };
        return (Verdict::Pass, Some(summary));
    }
    // The failures answered as usual before the lock showed (the answer that showed it
    // was refused already).
    let threshold = d
        .changed_at
        .map_or(failures, |k| k.saturating_sub(1).max(1));
    let locked_until = if d.left_locked { until(d) } else { None };
    let left = if d.left_locked {
        match &locked_until {
            Some(t) => format!("the account was left locked, until about {t}"),
            None => "the account was left locked (for how long, the target did not say)".into(),
        }
    } else {
        "the lock had lifted by the end of the test".into()
    };
    let duration = d
        .duration_s
        .map(|s| format!(" for about {s} s"))
        .unwrap_or_default();
    let summary = format!(
            "After {threshold} failed sign-ins on {me} from one client, the correct password was refused{duration}, to a fresh client too, while a random account still got the ordinary rejection: anyone who knows a user's name can lock that user out. {left}. (A scan from one address cannot tell a lock per account from one keyed on address and account.)"
        );
    let note = format!("{me}: {left}");
    let mut draft = FindingDraft::new(summary)
        .confidence(Confidence::High)
        .detail("threshold", threshold)
        .detail(
            "duration_s",
            d.duration_s
                .map(serde_json::Value::from)
                .unwrap_or(serde_json::Value::Null),
        )
        .detail("left_locked", d.left_locked)
        .detail(
            "locked_until",
            locked_until
                .map(serde_json::Value::from)
                .unwrap_or(serde_json::Value::Null),
        );
    draft = draft.evidence_from(d.failures.last().into_iter().chain(d.after.iter()));
    (Verdict::Found(draft), Some(note))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::flows::LockoutData;
    use crate::probe::Attempt;
    use crate::scan::Role;

    fn failures(n: usize) -> Vec<Attempt> {
        (0..n)
            .map(|_| Attempt::synthetic("me", Role::Owned, 5.0, None))
            .collect()
    }

    #[test]
    fn a_locked_account_is_a_finding_with_threshold_duration_and_state() {
        let d = LockoutData {
            failures: failures(6),
            changed_at: Some(6),
            locked: true,
            left_locked: true,
            duration_s: Some(900),
            checked_at: Some(chrono::Utc::now()),
            ..LockoutData::default()
        };
        let (v, note) = judge(&d, "me");
        let Verdict::Found(f) = v else {
            panic!("expected a finding, got {v:?}")
        };
        assert_eq!(f.details["threshold"], 5);
        assert_eq!(f.details["duration_s"], 900);
        assert_eq!(f.details["left_locked"], true);
        assert!(f.details["locked_until"].is_string());
        assert!(f.summary.contains("cannot tell a lock per account"));
        assert!(note.unwrap().contains("left locked"));
    }

    #[test]
    fn an_account_that_still_signs_in_passes_and_says_so() {
        let d = LockoutData {
            failures: failures(8),
            ..LockoutData::default()
        };
        let (v, note) = judge(&d, "me");
        assert!(matches!(v, Verdict::Pass));
        assert!(note.unwrap().contains("not left locked"));
        let d = LockoutData {
            not_run: Some("needs a password".into()),
            ..LockoutData::default()
        };
        assert!(matches!(judge(&d, "me").0, Verdict::Incomplete(_)));
    }
}
