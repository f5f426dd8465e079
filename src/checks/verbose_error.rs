//! `auth.verbose-error`: a rejection (not a throttle answer) says why it failed — no such user,
//! wrong password, account disabled — which tells an attacker what to try next.

use std::sync::LazyLock;

use async_trait::async_trait;
use regex::Regex;

use super::{Check, EndpointCtx, FindingDraft, Verdict};
use crate::analysis::classify::Class;
use crate::report::{Category, Severity};

pub struct VerboseError;

/// Phrases that name both parts together ("username or password") and so reveal nothing.
static GENERIC: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(user ?name|user|e-?mail( address)?|login|account|identifier|credentials?)\s*(or|and|/|&|and/or)\s*(the )?password|password\s*(or|and|/|&)\s*(the )?(user ?name|user|e-?mail|login)")
        .expect("valid regex")
});

/// Reasons a rejection must not give: (what it reveals, pattern).
static REASONS: LazyLock<Vec<(&'static str, Regex)>> = LazyLock::new(|| {
    [
        ("the account does not exist", r"(?i)\b(user|username|account|e-?mail|login)( name)?\b[^.!?\n]{0,40}\b(does ?n[o']t exist|do(es)? not exist|not (be )?found|not registered|not recogni[sz]ed|unknown|is invalid)|\b(no|unknown|invalid|nonexistent|non-existent) (such )?(user|username|account|e-?mail( address)?|login)\b|\bno (user|account) (with|for|found|exists|registered|matching)|\bnot a registered (user|e-?mail)"),
        ("the password was wrong", r"(?i)\b(wrong|incorrect|invalid|bad|mismatched) password\b|\bpassword (is |was )?(wrong|incorrect|invalid|does not match|did not match|mismatch)"),
        ("the account is disabled", r"(?i)\baccount (is |has been )?(disabled|deactivated|inactive|suspended|not (yet )?(active|activated|verified|confirmed))|\b(e-?mail|user) (is |has )?not (been )?(verified|confirmed|activated)"),
    ]
    .into_iter()
    .filter_map(|(n, p)| Regex::new(p).ok().map(|r| (n, r)))
    .collect()
});

/// What a rejection text reveals, if anything.
pub fn reveals(text: &str) -> Option<&'static str> {
    let cleaned = GENERIC.replace_all(text, " ");
    REASONS
        .iter()
        .find(|(_, re)| re.is_match(&cleaned))
        .map(|(what, _)| *what)
}

#[async_trait]
impl Check for VerboseError {
    fn id(&self) -> &'static str {
        "auth.verbose-error"
    }
    fn category(&self) -> Category {
        Category::Authentication
    }
    fn severity(&self) -> Severity {
        Severity::Medium
    }
    fn title(&self) -> &'static str {
        "Sign-in rejection says why it failed"
    }
    fn description(&self) -> &'static str {
        "Reads every rejection of the sign-in surface (never a throttle answer) for a reason an attacker can use: no such user, wrong password, account disabled."
    }

    async fn run(&self, ctx: &mut EndpointCtx<'_>) -> Verdict {
        ctx.enumeration().await;
        let hit = ctx
            .all_attempts()
            .into_iter()
            .filter(|a| a.class == Class::Rejected)
            .find_map(|a| reveals(&a.text()).map(|what| (what, a.clone())));
        match hit {
            Some((what, a)) => Verdict::Found(
                FindingDraft::new(format!(
                    "A failed sign-in for '{}' answered with a message that tells {what}; one generic message for every failure gives an attacker nothing to sort accounts by.",
                    a.account
                ))
                .evidence_from([&a])
                .detail("reveals", what),
            ),
            None => Verdict::Pass,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_reason() {
        assert_eq!(
            reveals(r#"{"error":"User does not exist"}"#),
            Some("the account does not exist")
        );
        assert_eq!(
            reveals("No account found with that email"),
            Some("the account does not exist")
        );
        assert_eq!(reveals("Unknown user"), Some("the account does not exist"));
        assert_eq!(
            reveals(r#"{"error":"Incorrect password"}"#),
            Some("the password was wrong")
        );
        assert_eq!(
            reveals("Your account is disabled"),
            Some("the account is disabled")
        );
        assert_eq!(
            reveals("User not found"),
            Some("the account does not exist")
        );
    }

    #[test]
    fn generic_messages_reveal_nothing() {
        for t in [
            "Invalid credentials",
            r#"{"detail":"Incorrect username or password"}"#,
            "Invalid email or password.",
            "Please enter a correct username and password. Note that both fields may be case-sensitive.",
            "Unable to log in with provided credentials.",
            r#"{"ok": false}"#,
            "Wrong username/password combination",
            "Login failed",
        ] {
            assert_eq!(reveals(t), None, "{t}");
        }
    }
}
