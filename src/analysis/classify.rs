//! Response classification: every sign-in response is rejected, accepted, throttled, malformed,
//! not-found or an error. Throttle text and captchas count only when the endpoint's ordinary
//! rejection does not already carry them.

use std::sync::LazyLock;

use regex::Regex;

use crate::http::Response;

/// What a sign-in response means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Class {
    Rejected,
    Accepted,
    Throttled(ThrottleKind),
    Malformed,
    NotFound,
    Error,
    /// Neither a rejection nor anything else recognisable (e.g. 200 with an unrelated page).
    Other,
}

impl Class {
    pub fn is_throttled(self) -> bool {
        matches!(self, Class::Throttled(_))
    }
}

/// How a throttle showed itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ThrottleKind {
    /// 429 Too Many Requests.
    TooManyRequests,
    /// 423 Locked.
    Locked,
    /// 503 with Retry-After or throttle text.
    Unavailable,
    /// A "too many attempts" / "account locked" text the ordinary rejection does not carry.
    LockoutText,
    /// A captcha appeared.
    Captcha,
    /// The status moved to 403 after ordinary rejections.
    Forbidden,
    /// Answers slowed down far beyond the endpoint's usual time.
    Tarpit,
    /// The connection was dropped or the request timed out after ordinary answers.
    Dropped,
}

impl ThrottleKind {
    pub fn describe(self) -> &'static str {
        match self {
            ThrottleKind::TooManyRequests => "429 Too Many Requests",
            ThrottleKind::Locked => "423 Locked",
            ThrottleKind::Unavailable => "503 Service Unavailable",
            ThrottleKind::LockoutText => "a lockout / too-many-attempts response",
            ThrottleKind::Captcha => "a captcha challenge",
            ThrottleKind::Forbidden => "403 Forbidden after repeated failures",
            ThrottleKind::Tarpit => "a growing delay (tarpit)",
            ThrottleKind::Dropped => "dropped connections",
        }
    }
}

static THROTTLE_TEXT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)too many\b|rate[ -]?limit|try again (later|in\b|after\b)|temporarily (been )?(locked|blocked|disabled|suspended|unavailable)|locked out|\baccount (is |has been )?(temporarily )?(locked|blocked)|slow down|throttl|request limit|limit exceeded|exceeded .{0,20}(attempts|limit)|wait \d+ ?(s\b|sec|second|minute)",
    )
    .expect("valid regex")
});

static CAPTCHA: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)captcha|cf-turnstile|are you (a )?human").expect("valid regex")
});

/// Words with which an endpoint tells that credentials were checked and refused.
pub static CREDENTIAL_REJECTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)invalid (username|user name|user|email|e-mail|login|credential|password|account|grant)|incorrect|wrong (username|user|email|password|credential|login)|bad credentials|authenticat\w* (failed|failure|error)|(login|log-in|sign[- ]?in|logon) (failed|unsuccessful|error)|unable to (log|sign) ?in|failed to (log|sign) ?in|invalid_grant|invalid_client|does ?n[o']t exist|no (such )?(user|account)|no active account|unknown (user|account|email)|credentials (are |were )?(invalid|incorrect|wrong|not valid|rejected)|(username|password|email) (is |was )?(invalid|incorrect|wrong)",
    )
    .expect("valid regex")
});

/// A 404 that speaks of a missing account is a rejection, not a missing route.
static ACCOUNT_MISSING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(user|username|account|e-?mail|login|credential)s?\b[^<]{0,60}\b(not (be )?found|does ?n[o']t exist|unknown|invalid|incorrect)|\b(no such|unknown|invalid) (user|account|e-?mail|login)")
        .expect("valid regex")
});

static CSRF: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)csrf|xsrf|authenticity token").expect("valid regex"));

static SUCCESS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)"(access_token|token|jwt|id_token|session_token)"\s*:\s*"[^"]{8,}"|\blogged in\b|welcome back"#)
        .expect("valid regex")
});

static FAILURE_FLAG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)"(ok|success|succeeded|authenticated|valid)"\s*:\s*false|"status"\s*:\s*"(error|fail|failed|failure|denied)"|"errors?"\s*:"#)
        .expect("valid regex")
});

static PASSWORD_INPUT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)<input[^>]+type\s*=\s*["']?password"#).expect("valid regex")
});

/// Does the text read as a throttle / lockout message?
pub fn has_throttle_text(text: &str) -> bool {
    THROTTLE_TEXT.is_match(text)
}

/// Does the text read as a refusal of credentials?
pub fn speaks_of_credentials(text: &str) -> bool {
    CREDENTIAL_REJECTION.is_match(text) || ACCOUNT_MISSING.is_match(text)
}

pub fn has_csrf_text(text: &str) -> bool {
    CSRF.is_match(text)
}

/// The endpoint's ordinary rejection, learned while confirming it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Baseline {
    pub status: u16,
    /// The rejection already speaks of limits/lockouts (so such text is not a throttle signal).
    pub throttle_text: bool,
    /// The rejection already shows a captcha.
    pub captcha: bool,
}

impl Baseline {
    pub fn from_response(resp: &Response) -> Baseline {
        let text = resp.text();
        Baseline {
            status: resp.status,
            throttle_text: THROTTLE_TEXT.is_match(&text),
            captcha: CAPTCHA.is_match(&text),
        }
    }
}

/// Classify one sign-in response, relative to the endpoint's ordinary rejection when known.
pub fn classify(resp: &Response, baseline: Option<&Baseline>) -> Class {
    let text = resp.text();
    let status = resp.status;
    match status {
        429 => return Class::Throttled(ThrottleKind::TooManyRequests),
        423 => return Class::Throttled(ThrottleKind::Locked),
        503 if resp.header("retry-after").is_some() || THROTTLE_TEXT.is_match(&text) => {
            return Class::Throttled(ThrottleKind::Unavailable)
        }
        _ => {}
    }
    let base_throttle_text = baseline.is_some_and(|b| b.throttle_text);
    if !base_throttle_text && status < 500 && THROTTLE_TEXT.is_match(&text) {
        return Class::Throttled(ThrottleKind::LockoutText);
    }
    if let Some(b) = baseline {
        if !b.captcha && status < 500 && CAPTCHA.is_match(&text) {
            return Class::Throttled(ThrottleKind::Captcha);
        }
        if status == 403 && b.status != 403 && !CSRF.is_match(&text) {
            return Class::Throttled(ThrottleKind::Forbidden);
        }
        if status == b.status && !SUCCESS.is_match(&text) {
            return Class::Rejected;
        }
    }
    match status {
        401 => Class::Rejected,
        403 if CSRF.is_match(&text) => Class::Malformed,
        403 => Class::Rejected,
        404 if ACCOUNT_MISSING.is_match(&text) => Class::Rejected,
        404 | 405 | 501 => Class::NotFound,
        400..=499 => {
            if speaks_of_credentials(&text) && !CSRF.is_match(&text) {
                Class::Rejected
            } else {
                Class::Malformed
            }
        }
        300..=399 => {
            let loc = resp.header("location").unwrap_or("").to_ascii_lowercase();
            if [
                "login", "signin", "sign_in", "sign-in", "error", "fail", "auth", "session",
            ]
            .iter()
            .any(|w| loc.contains(w))
            {
                Class::Rejected
            } else {
                Class::Accepted
            }
        }
        200..=299 => {
            if SUCCESS.is_match(&text) {
                Class::Accepted
            } else if FAILURE_FLAG.is_match(&text)
                || speaks_of_credentials(&text)
                || (resp.is_html() && PASSWORD_INPUT.is_match(&text))
            {
                Class::Rejected
            } else {
                Class::Other
            }
        }
        _ => Class::Error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(status: u16, headers: &[(&str, &str)], body: &str) -> Response {
        Response::synthetic(status, headers, body)
    }

    #[test]
    fn status_throttles() {
        assert_eq!(
            classify(&resp(429, &[], ""), None),
            Class::Throttled(ThrottleKind::TooManyRequests)
        );
        assert_eq!(
            classify(&resp(423, &[], "locked"), None),
            Class::Throttled(ThrottleKind::Locked)
        );
        assert_eq!(
            classify(&resp(503, &[("retry-after", "30")], ""), None),
            Class::Throttled(ThrottleKind::Unavailable)
        );
        assert_eq!(classify(&resp(503, &[], "down"), None), Class::Error);
    }

    #[test]
    fn too_many_attempts_page_with_200_is_a_throttle() {
        let base =
            Baseline::from_response(&resp(200, &[], r#"{"ok": false, "error": "bad login"}"#));
        let r = resp(
            200,
            &[],
            r#"{"ok": false, "error": "Too many attempts, try again in 60 s"}"#,
        );
        assert_eq!(
            classify(&r, Some(&base)),
            Class::Throttled(ThrottleKind::LockoutText)
        );
        let ordinary = resp(200, &[], r#"{"ok": false, "error": "bad login"}"#);
        assert_eq!(classify(&ordinary, Some(&base)), Class::Rejected);
    }

    #[test]
    fn throttle_text_already_in_the_rejection_is_not_a_signal() {
        let page = "Invalid login. Accounts are locked out after 5 failures.";
        let base = Baseline::from_response(&resp(401, &[], page));
        assert_eq!(
            classify(&resp(401, &[], page), Some(&base)),
            Class::Rejected
        );
    }

    #[test]
    fn credential_words_decide_400s() {
        assert_eq!(
            classify(
                &resp(400, &[], r#"{"detail":"Incorrect username or password"}"#),
                None
            ),
            Class::Rejected
        );
        assert_eq!(
            classify(&resp(400, &[], r#"{"error":"Invalid request"}"#), None),
            Class::Malformed
        );
        assert_eq!(
            classify(&resp(403, &[], "CSRF token missing"), None),
            Class::Malformed
        );
        assert_eq!(
            classify(&resp(404, &[], "Not Found"), None),
            Class::NotFound
        );
        assert_eq!(
            classify(&resp(404, &[], r#"{"error":"User does not exist"}"#), None),
            Class::Rejected
        );
        assert_eq!(
            classify(
                &resp(
                    404,
                    &[],
                    "<h1>Not Found</h1><p>The requested URL was not found on the server.</p>"
                ),
                None
            ),
            Class::NotFound
        );
    }

    #[test]
    fn a_missing_token_is_not_a_credential_rejection() {
        assert!(!speaks_of_credentials(
            r#"{"detail":"Authentication credentials were not provided."}"#
        ));
        assert!(!speaks_of_credentials("401 Unauthorized"));
        assert!(speaks_of_credentials(
            "Unable to log in with provided credentials."
        ));
        assert!(speaks_of_credentials(
            "No active account found with the given credentials"
        ));
        assert!(speaks_of_credentials("Bad credentials"));
    }

    #[test]
    fn success_and_plain_pages() {
        assert_eq!(
            classify(&resp(200, &[], r#"{"access_token":"abcdefghijkl"}"#), None),
            Class::Accepted
        );
        assert_eq!(classify(&resp(200, &[], "hello"), None), Class::Other);
        assert_eq!(
            classify(&resp(302, &[("location", "/login?error=1")], ""), None),
            Class::Rejected
        );
    }

    #[test]
    fn status_drift_to_403_is_a_throttle() {
        let base = Baseline::from_response(&resp(401, &[], "Invalid credentials"));
        assert_eq!(
            classify(&resp(403, &[], "Forbidden"), Some(&base)),
            Class::Throttled(ThrottleKind::Forbidden)
        );
    }
}
