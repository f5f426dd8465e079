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
    Regex::new(r"(?i)(user ?name|user|e-?mail( address)?|login|account|identifier|credentials?)\s*(or|and|/|&|and/or)\s*(the )?password|password\s*(or|and|/|&)\s*(the )?(user ?name|user|e-?mail|login)|\b(user|login|account|e-?mail|sign-?in) (credentials|details)\b")
        .expect("valid regex")
});

/// Reasons a rejection must not give: (what it reveals, pattern).
static REASONS: LazyLock<Vec<(&'static str, Regex)>> = LazyLock::new(|| {
    [
        ("the account does not exist", r"(?i)\b(user|username|account|e-?mail|login)( name| address)?\b[^\n]{0,60}\b(does ?n[o']t exist|do(es)? not exist|not (be )?found|not registered|not recogni[sz]ed)|\b(no such|unknown|nonexistent|non-existent) (user|username|account|e-?mail( address)?)\b|\binvalid (user ?name|user|e-?mail( address)?)\b|\bno (user|account) (with|for|found|exists|registered|matching)|\bnot a registered (user|e-?mail)"),
        ("the password was wrong", r"(?i)\b(wrong|incorrect|invalid|bad|mismatched) password\b|\bpassword\b[^\n]{0,60}\b(is|was) (wrong|incorrect|invalid|not (correct|valid|right))\b|\bpassword (is |was )?(wrong|incorrect|invalid|does not match|did not match|mismatch)"),
        ("the account is disabled", r"(?i)\baccount (is |has been )?(disabled|deactivated|inactive|suspended|not (yet )?(active|activated|verified|confirmed))|\b(e-?mail|user) (is |has )?not (been )?(verified|confirmed|activated)"),
    ]
    .into_iter()
    .filter_map(|(n, p)| Regex::new(p).ok().map(|r| (n, r)))
    .collect()
});

/// Sentences of a page's text as a person reads it (markup stripped, entities decoded:
/// [`crate::analysis::text`]), JSON strings taken apart, trimmed.
fn sentences(text: &str) -> Vec<String> {
    crate::analysis::text::body_sentences(text)
        .iter()
        .flat_map(|s| s.split(['"', '{', '}']))
        .map(|s| {
            s.trim()
                .trim_end_matches(['.', '!', '?'])
                .trim()
                .to_string()
        })
        .filter(|s| !s.is_empty())
        .collect()
}

/// The sentences of `text` that none of `references` has: what the rejection says that the
/// page's fixed text (links like "No account? Sign up", help text) does not.
pub fn novel_text(text: &str, references: &[String]) -> String {
    let known: std::collections::HashSet<String> =
        references.iter().flat_map(|r| sentences(r)).collect();
    sentences(text)
        .into_iter()
        .filter(|s| !known.contains(s))
        .collect::<Vec<_>>()
        .join(". ")
}

/// What a rejection text reveals, if anything: a reason found within one sentence, whatever
/// markup or words stand between its parts.
pub fn reveals(text: &str) -> Option<&'static str> {
    sentences(text).iter().find_map(|sentence| {
        let cleaned = GENERIC.replace_all(sentence, " ");
        REASONS
            .iter()
            .find(|(_, re)| re.is_match(&cleaned))
            .map(|(what, _)| *what)
    })
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

    fn impact(&self) -> &'static str {
        "A rejection that says why (no such user, wrong password) tells an attacker which accounts exist and which half of a guess was right."
    }

    async fn run(&self, ctx: &mut EndpointCtx<'_>) -> Verdict {
        ctx.enumeration().await;
        // The page's fixed text is not a reason: compare with what a malformed request and the
        // sign-in page itself show.
        let mut references: Vec<String> = ctx
            .confirmation
            .iter()
            .filter(|a| a.password.is_empty())
            .map(|a| a.text())
            .collect();
        if let Some(page) = ctx.prober.surface.form_page.clone() {
            if let Ok((_, resp)) = ctx
                .prober
                .scanner
                .engine
                .get_following(&page, None, 3)
                .await
            {
                references.push(resp.text());
            }
        }
        let hit = ctx
            .all_attempts()
            .into_iter()
            .filter(|a| a.class == Class::Rejected)
            .find_map(|a| {
                reveals(&novel_text(&a.text(), &references)).map(|what| (what, a.clone()))
            });
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
    fn reasons_split_by_markup_are_read_as_one_sentence() {
        // Real sentences seen on a PHP CMS's sign-in page.
        assert_eq!(
            reveals("<p><strong>Error:</strong> The username <strong>k3v9q2x7m1z8p4w6</strong> is not registered on this site. If you are unsure of your username, try your email address instead.</p>"),
            Some("the account does not exist")
        );
        assert_eq!(
            reveals("<div><strong>Error:</strong> The password you entered for the username <strong>admin</strong> is incorrect. <a href=\"/lost\">Lost your password?</a></div>"),
            Some("the password was wrong")
        );
        // "Invalid user credentials" (Directus) names no part: the pair is wrong.
        assert_eq!(
            reveals(
                r#"{"errors":[{"message":"Invalid user credentials.","extensions":{"code":"INVALID_CREDENTIALS"}}]}"#
            ),
            None
        );
        // Generic ones stay generic, in markup too.
        assert_eq!(
            reveals("<b>Error:</b> Your username or password is <em>incorrect</em>."),
            None
        );
        assert_eq!(reveals("Invalid user or password"), None);
        assert_eq!(reveals("Please enter a correct username and password. Note that both fields may be case-sensitive."), None);
    }

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
    fn fixed_page_text_is_not_a_reason() {
        let page = "<form><input name=u></form><p>No such user yet? Sign up</p>".to_string();
        let rejected =
            "<p>Invalid credentials</p><form><input name=u></form><p>No such user yet? Sign up</p>";
        assert_eq!(
            reveals(&novel_text(rejected, std::slice::from_ref(&page))),
            None
        );
        let verbose =
            "<p>Unknown user</p><form><input name=u></form><p>No such user yet? Sign up</p>";
        assert_eq!(
            reveals(&novel_text(verbose, &[page])),
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
            "Invalid login",
            "Your login session is invalid",
        ] {
            assert_eq!(reveals(t), None, "{t}");
        }
    }
}
