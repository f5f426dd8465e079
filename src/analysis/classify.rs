//! Response classification: every sign-in response is rejected, accepted, throttled, malformed,
//! not-found or an error, judged against the endpoint's own [`ResponseModel`], learned while
//! confirming it: its malformed answer and its rejection of random accounts (status and shape:
//! a JSON key set, the form shown again, a redirect back to the sign-in page). Status rules are
//! only priors, for answers the model has not seen. Throttle text and captchas count only when
//! the endpoint's ordinary rejection does not already carry them.

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
    /// The usual rejection changed during a burst in a way that reads as a throttle (a new
    /// "please wait" sentence, a remaining count at 0, a Retry-After that appeared).
    Changed,
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
            ThrottleKind::Changed => "a change from the usual rejection",
        }
    }
}

static THROTTLE_TEXT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)too many\b|rate[ -]?limit|try again (later|in\b|after\b)|temporarily (been )?(locked|blocked|disabled|suspended|unavailable)|locked out|\baccount (is |has been )?(temporarily )?(locked|blocked)|slow down|throttl|request limit|limit exceeded|exceeded .{0,20}(attempts|limit)|wait \d+ ?(s\b|sec|second|minute)|\bwait (for )?(a|an|one|two|three|five|ten|fifteen|thirty|a few|\d+) ?(moment|second|sec|minute|min|hour)s?\b|before (the |your )?next (login|log-?in|sign-?in|attempt|try)|(attempts?|tries) (remaining|left)\b|\b(will|would) be (temporarily )?(locked|blocked|disabled|suspended)|(login|sign-?in|log-?in) (is )?(temporarily )?(blocked|disabled|suspended|locked)|(you have|you've) (been )?(exceeded|reached) (the )?(maximum|max|limit)|maximum (number of )?(login |sign-?in )?attempts",
    )
    .expect("valid regex")
});

static CAPTCHA: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)captcha|cf-turnstile|are you (a )?human").expect("valid regex")
});

/// Words with which an endpoint tells that credentials were checked and refused.
pub static CREDENTIAL_REJECTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)invalid (username|user name|user|email|e-mail|login|credential|password|account|grant)|incorrect|wrong (username|user|email|password|credential|login)|bad credentials|authenticat\w* (failed|failure|error)|(login|log-in|sign[- ]?in|logon) (failed|unsuccessful|error)|unable to (log|sign) ?in|failed to (log|sign) ?in|invalid_grant|invalid_client|bad (username|user|password|login|email)|(cannot|can't|could not|couldn't|unable to) find (the )?(user|account)|does ?n[o']t exist|no (such )?(user|account)|no active account|unknown (user|account|email)|credentials (are |were )?(invalid|incorrect|wrong|not valid|rejected)|(username|password|email) (is |was )?(invalid|incorrect|wrong)",
    )
    .expect("valid regex")
});

/// A message about a missing route ("Route /users/login doesn't exist", "Cannot POST /x"): the
/// path it names may hold "user" or "login", but no account is spoken of.
static ROUTE_MISSING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(route|path|endpoint|url|uri|resource|handler)\b[^.\n]{0,80}\b(not (be )?found|does ?n[o']t exist|do(es)? not exist|unknown|not (defined|registered|supported|allowed))|\bcannot (post|get|put|patch|delete)\b|\bno route\b|ROUTE_NOT_FOUND")
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

/// What a page says that counts attempts down or warns of a lock, when it does: "2 more
/// attempts remaining", "your account will be locked", "account locked", "temporarily
/// disabled". Read as a person reads it (markup stripped), quoted as the sentence it is in.
pub fn lock_warning(body: &str) -> Option<String> {
    lock_warnings(body).into_iter().next()
}

/// Every sentence of the body that counts attempts down or warns of a lock: in the text a
/// person reads, then in what scripts carry (a flashed message in a page's JSON state,
/// `"messages": [["Warning", "…1 more attempt remaining."]]`).
pub fn lock_warnings(body: &str) -> Vec<String> {
    let mut out: Vec<String> = crate::analysis::text::body_sentences(body)
        .into_iter()
        .filter(|s| LOCK_WARNING.is_match(s))
        .map(|s| crate::http::cut(&s, 160))
        .collect();
    if out.is_empty() {
        for m in LOCK_WARNING.find_iter(body).take(3) {
            // The quoted string around the match, or a window of it.
            let start = body[..m.start()]
                .rfind(['"', '\'', '>'])
                .map_or(m.start().saturating_sub(60), |i| i + 1);
            let end = body[m.end()..]
                .find(['"', '\'', '<'])
                .map_or((m.end() + 60).min(body.len()), |i| m.end() + i);
            let (start, end) = (floor_char(body, start), floor_char(body, end));
            out.push(crate::http::cut(body[start..end].trim(), 160));
        }
    }
    out
}

/// The largest char boundary at or below `i`.
fn floor_char(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

static LOCK_WARNING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(\d+|one|two|three|four|five|a few|no)\s+(more\s+)?(login\s+|sign-?in\s+|log-?in\s+)?(attempts?|tries|chances?)\s+(remaining|left)\b|\b(attempts?|tries)\s+(remaining|left)\s*:?\s*\d|\bremaining (login )?(attempts?|tries)\b|\b(will|would|is going to) be (temporarily |permanently )?(locked|blocked|disabled|suspended)\b|\baccount (is |has been |was )?(now )?(temporarily |permanently )?(locked|blocked|suspended)\b|\btemporarily (been )?(locked|blocked|disabled|suspended)\b|\blocked out\b|\blast (login )?attempt\b|\bbefore (your|the) account (is|gets) (locked|blocked|disabled)")
        .expect("valid regex")
});

/// Does the text show a captcha?
pub fn has_captcha(text: &str) -> bool {
    CAPTCHA.is_match(text)
}

/// Does the text read as a throttle / lockout message?
pub fn has_throttle_text(text: &str) -> bool {
    THROTTLE_TEXT.is_match(text)
}

/// Does the text read as a refusal of credentials? Error codes count too
/// (`LOGIN_BAD_CREDENTIALS`, `invalid_grant`, `INVALID_PASSWORD`).
pub fn speaks_of_credentials(text: &str) -> bool {
    // "Route /users/login doesn't exist" names a path, not an account: read what is left.
    let cleaned = ROUTE_MISSING.replace_all(text, " ");
    let text: &str = &cleaned;
    if CREDENTIAL_REJECTION.is_match(text) || ACCOUNT_MISSING.is_match(text) {
        return true;
    }
    if text.contains('_') {
        let spaced = text.replace('_', " ");
        return CREDENTIAL_REJECTION.is_match(&spaced) || ACCOUNT_MISSING.is_match(&spaced);
    }
    false
}

/// A validation message that says the identifier is not the shape the endpoint wants (an
/// e-mail address was expected).
static WANTS_EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(not an? (valid )?|enter an? valid |must be an? (valid )?|provide an? valid |invalid |valid )e-?mail( address)?\b|e-?mail (address )?(format|is (invalid|not valid|malformed|badly formed)|must be)|value_error\.email|invalid[_ ]email|email[_ ]invalid|\bisEmail\b|format.{0,12}e-?mail")
        .expect("valid regex")
});

/// A credential rejection that happens to name the e-mail (`Invalid email or password`).
static EMAIL_OR_PASSWORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)e-?mail( address)?\s*(or|and|/|and/or)\s*password|password\s*(or|and|/)\s*e-?mail",
    )
    .expect("valid regex")
});

/// A validator that refuses the reserved domain of a random address (RFC 6761 names).
static RESERVED_DOMAIN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)special-use|reserved (domain )?name|domain name .{0,80}(does not exist|is not valid|not allowed)|does not accept e-?mail|after the @|\.invalid\b.{0,40}(not|invalid)|e-?mail domain (is )?(not|un)(accepted|allowed|permitted|supported|valid)|domain (is )?not (accepted|allowed|permitted|supported)")
        .expect("valid regex")
});

/// The answer asks for an e-mail address where something else was sent.
pub fn wants_email(text: &str) -> bool {
    WANTS_EMAIL.is_match(text) && !EMAIL_OR_PASSWORD.is_match(text)
}

/// The answer refuses the domain of an address (a validator that rejects reserved names).
pub fn refuses_domain(text: &str) -> bool {
    RESERVED_DOMAIN.is_match(text)
}

pub fn has_csrf_text(text: &str) -> bool {
    CSRF.is_match(text)
}

/// Does the page show a password input (a sign-in form, shown again after a failure)?
pub fn shows_password_form(resp: &Response) -> bool {
    resp.is_html() && PASSWORD_INPUT.is_match(&resp.text())
}

/// The shape of an answer, coarse enough to be stable across accounts and fine enough to tell
/// a rejection from a success or a malformed request.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Shape {
    /// A JSON object: its key paths (two levels deep), sorted.
    Json(Vec<String>),
    /// JSON that is not an object (an array, a string, a number).
    JsonOther,
    /// An HTML page with a password input: the form, shown (again).
    Form,
    /// Any other HTML page.
    Html,
    /// A redirect to this path.
    Redirect(String),
    /// A body that is none of the above.
    Text,
    /// No body.
    #[default]
    Empty,
}

impl Shape {
    pub fn of(resp: &Response) -> Shape {
        Shape::of_text(resp, &resp.text())
    }

    /// The shape of `resp`, whose body as text is `text` (for callers that already have it).
    fn of_text(resp: &Response, text: &str) -> Shape {
        if (300..400).contains(&resp.status) {
            // The target's path only: query, fragment and an absolute Location's origin vary.
            static BASE: LazyLock<Option<url::Url>> =
                LazyLock::new(|| url::Url::parse("http://redirect.invalid/").ok());
            let loc = resp.header("location").unwrap_or("");
            let path = BASE
                .as_ref()
                .and_then(|b| b.join(loc).ok())
                .map(|u| u.path().to_string())
                .unwrap_or_default();
            return Shape::Redirect(path);
        }
        if resp.body.is_empty() {
            return Shape::Empty;
        }
        if resp.is_html() {
            return if PASSWORD_INPUT.is_match(text) {
                Shape::Form
            } else {
                Shape::Html
            };
        }
        match serde_json::from_slice::<serde_json::Value>(&resp.body) {
            Ok(serde_json::Value::Object(map)) => {
                let mut keys = Vec::new();
                for (k, v) in map.iter().take(64) {
                    keys.push(k.clone());
                    if let serde_json::Value::Object(inner) = v {
                        for ik in inner.keys().take(32) {
                            keys.push(format!("{k}.{ik}"));
                        }
                    }
                }
                keys.sort();
                Shape::Json(keys)
            }
            Ok(_) => Shape::JsonOther,
            Err(_) => Shape::Text,
        }
    }
}

/// One kind of answer: its status and shape.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Signature {
    pub status: u16,
    pub shape: Shape,
}

impl Signature {
    pub fn of(resp: &Response) -> Signature {
        Signature {
            status: resp.status,
            shape: Shape::of(resp),
        }
    }

    pub fn matches(&self, resp: &Response) -> bool {
        resp.status == self.status && Shape::of(resp) == self.shape
    }
}

/// What this endpoint's answers look like, learned from its own answers while confirming it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResponseModel {
    /// The ordinary rejection of wrong credentials (random accounts).
    pub rejection: Signature,
    /// The answer to a malformed sign-in (the password left out), when it was seen.
    pub malformed: Option<Signature>,
    /// The rejection already speaks of limits/lockouts (so such text is not a throttle signal).
    pub throttle_text: bool,
    /// The rejection already shows a captcha.
    pub captcha: bool,
}

impl ResponseModel {
    /// The model of an endpoint whose rejection is `resp`.
    pub fn from_response(resp: &Response) -> ResponseModel {
        let text = resp.text();
        ResponseModel {
            rejection: Signature::of(resp),
            malformed: None,
            throttle_text: THROTTLE_TEXT.is_match(&text),
            captcha: CAPTCHA.is_match(&text),
        }
    }

    /// The same, with the endpoint's malformed answer.
    pub fn with_malformed(mut self, resp: Option<&Response>) -> ResponseModel {
        self.malformed = resp.map(Signature::of);
        self
    }

    /// The ordinary rejection's status (the old baseline).
    pub fn status(&self) -> u16 {
        self.rejection.status
    }
}

/// Does a redirect target read as the sign-in page or an error (a rejection), not the app?
fn login_ish_location(loc: &str) -> bool {
    let loc = loc.to_ascii_lowercase();
    [
        "login", "signin", "sign_in", "sign-in", "error", "fail", "auth", "session",
    ]
    .iter()
    .any(|w| loc.contains(w))
}

/// Classify one sign-in response, relative to the endpoint's learned model when known.
pub fn classify(resp: &Response, model: Option<&ResponseModel>) -> Class {
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
    let base_throttle_text = model.is_some_and(|b| b.throttle_text);
    // A short 500 that says "too many attempts" is a throttle too (Node-RED's per-user limit);
    // a long 500 page may mention anything.
    let short_500 = status == 500 && text.len() < 2048;
    if !base_throttle_text && (status < 500 || short_500) && THROTTLE_TEXT.is_match(&text) {
        return Class::Throttled(ThrottleKind::LockoutText);
    }
    let shape = Shape::of_text(resp, &text);
    // The form shown again (never a 3xx: a redirect's body is not what a browser shows).
    let form_again = shape == Shape::Form;
    // A sign-in page says "keep me logged in"; a success does not show the form again.
    let success = SUCCESS.is_match(&text) && !form_again;
    if let Some(m) = model {
        if !m.captcha && status < 500 && CAPTCHA.is_match(&text) {
            return Class::Throttled(ThrottleKind::Captcha);
        }
        if status == 403 && m.rejection.status != 403 && !CSRF.is_match(&text) {
            return Class::Throttled(ThrottleKind::Forbidden);
        }
        if status == m.rejection.status {
            if shape == m.rejection.shape {
                return Class::Rejected;
            }
            return match (&m.rejection.shape, &shape) {
                // Redirected somewhere else than the usual rejection: into the app, unless it
                // is back to a sign-in or error page too.
                (_, Shape::Redirect(loc)) => {
                    if login_ish_location(loc) {
                        Class::Rejected
                    } else {
                        Class::Accepted
                    }
                }
                // The form is gone: signed in when the page says so; otherwise unknown.
                (Shape::Form, Shape::Html) => {
                    if success {
                        Class::Accepted
                    } else if speaks_of_credentials(&text) {
                        Class::Rejected
                    } else {
                        Class::Other
                    }
                }
                _ if success => Class::Accepted,
                _ => Class::Rejected,
            };
        }
        if let Some(mal) = &m.malformed {
            if mal.status == status && mal.shape == shape && !speaks_of_credentials(&text) {
                return Class::Malformed;
            }
        }
    }
    match status {
        401 => Class::Rejected,
        403 if CSRF.is_match(&text) => Class::Malformed,
        403 => Class::Rejected,
        404 if ACCOUNT_MISSING.is_match(&text) && !ROUTE_MISSING.is_match(&text) => Class::Rejected,
        404 | 405 | 501 => Class::NotFound,
        400..=499 => {
            if speaks_of_credentials(&text) && !CSRF.is_match(&text) && !wants_email(&text) {
                Class::Rejected
            } else {
                Class::Malformed
            }
        }
        300..=399 => {
            let loc = resp.header("location").unwrap_or("");
            if login_ish_location(loc) {
                Class::Rejected
            } else {
                Class::Accepted
            }
        }
        200..=299 => {
            if success {
                Class::Accepted
            } else if FAILURE_FLAG.is_match(&text) || speaks_of_credentials(&text) || form_again {
                Class::Rejected
            } else {
                Class::Other
            }
        }
        _ => Class::Error,
    }
}

#[cfg(test)]
mod lock_warning_tests {
    use super::lock_warning;

    #[test]
    fn countdowns_and_lock_warnings_are_read() {
        for page in [
            "<div class=alert>Invalid login. <b>2</b> more attempts remaining.</div>",
            "Login failed. You have 2 attempts left before your account is locked.",
            "<p>Warning: your account will be locked after one more failed attempt.</p>",
            "Account locked. Contact an administrator.",
            "This account has been temporarily disabled",
            "Remaining attempts: 1",
            "Attempts remaining: 2",
            "You have been locked out.",
        ] {
            assert!(lock_warning(page).is_some(), "{page}");
        }
        for page in [
            "Invalid username or password.",
            "<p>Please enter a correct username and password.</p>",
            "Lost your password?",
            "Sign in to unlock more features",
        ] {
            assert_eq!(lock_warning(page), None, "{page}");
        }
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
            ResponseModel::from_response(&resp(200, &[], r#"{"ok": false, "error": "bad login"}"#));
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
        let base = ResponseModel::from_response(&resp(401, &[], page));
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
            classify(
                &resp(
                    404,
                    &[],
                    r#"{"errors":[{"message":"Route /users/login doesn't exist.","extensions":{"code":"ROUTE_NOT_FOUND"}}]}"#
                ),
                None
            ),
            Class::NotFound
        );
        assert!(!speaks_of_credentials(
            r#"{"errors":[{"message":"Route /users/sign_in doesn't exist."}]}"#
        ));
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
        assert!(speaks_of_credentials(
            r#"{"error":"bad username/password, access denied"}"#
        ));
        assert!(speaks_of_credentials(r#""Cannot find user""#));
        assert!(speaks_of_credentials(
            r#"{"detail":"LOGIN_BAD_CREDENTIALS"}"#
        ));
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
    fn learned_400_rejection_is_a_rejection() {
        // fastapi-users: wrong credentials 400 LOGIN_BAD_CREDENTIALS, malformed 422.
        let rej = resp(400, &[], r#"{"detail":"LOGIN_BAD_CREDENTIALS"}"#);
        assert_eq!(classify(&rej, None), Class::Rejected);
        let mal = resp(422, &[], r#"{"detail":[{"loc":["body","password"]}]}"#);
        let m = ResponseModel::from_response(&rej).with_malformed(Some(&mal));
        assert_eq!(classify(&rej, Some(&m)), Class::Rejected);
        assert_eq!(classify(&mal, Some(&m)), Class::Malformed);
        // OAuth2 (RFC 6749 5.2): invalid_grant is a 400.
        let grant = resp(
            400,
            &[],
            r#"{"error":"invalid_grant","error_description":"Invalid credentials given."}"#,
        );
        assert_eq!(classify(&grant, None), Class::Rejected);
        // A 400 rejection with no credential words, once learned, is a rejection.
        let plain = resp(400, &[], r#"{"message":"nope","code":17}"#);
        let m = ResponseModel::from_response(&plain);
        assert_eq!(classify(&plain, Some(&m)), Class::Rejected);
        let ok = resp(400, &[], r#"{"access_token":"abcdefghijklmnop"}"#);
        assert_eq!(classify(&ok, Some(&m)), Class::Accepted);
    }

    #[test]
    fn form_shown_again_is_a_rejection_even_with_keep_me_logged_in() {
        let page = r#"<html><p class="error">Incorrect username or password.</p>
            <form method="post"><input name="wpName"><input type="password" name="wpPassword">
            <input type="checkbox" name="wpRemember"> Keep me logged in</form></html>"#;
        let r = resp(200, &[("content-type", "text/html; charset=utf-8")], page);
        assert_eq!(classify(&r, None), Class::Rejected);
        let m = ResponseModel::from_response(&r);
        assert_eq!(classify(&r, Some(&m)), Class::Rejected);
        let home = resp(
            200,
            &[("content-type", "text/html")],
            "<h1>Dashboard</h1> You are logged in",
        );
        assert_eq!(classify(&home, Some(&m)), Class::Accepted);
        let other = resp(200, &[("content-type", "text/html")], "<h1>Dashboard</h1>");
        assert_eq!(classify(&other, Some(&m)), Class::Other);
    }

    #[test]
    fn redirects_back_to_the_sign_in_page_are_rejections() {
        let back = resp(302, &[("location", "/user/signin?err=1")], "");
        let m = ResponseModel::from_response(&back);
        assert_eq!(classify(&back, Some(&m)), Class::Rejected);
        let same_place = resp(302, &[("location", "http://h/user/signin")], "");
        assert_eq!(classify(&same_place, Some(&m)), Class::Rejected);
        let into_app = resp(302, &[("location", "/dashboard")], "");
        assert_eq!(classify(&into_app, Some(&m)), Class::Accepted);
        // A rejection that redirects to the front page, learned: the front page is a rejection.
        let front = resp(302, &[("location", "/")], "");
        let m = ResponseModel::from_response(&front);
        assert_eq!(classify(&front, Some(&m)), Class::Rejected);
    }

    #[test]
    fn identifier_shape_messages() {
        assert!(wants_email(
            r#"{"detail":[{"msg":"value is not a valid email address"}]}"#
        ));
        assert!(wants_email("Enter a valid email address."));
        assert!(wants_email("Invalid email address."));
        assert!(wants_email(
            r#"{"errors":{"email":["Email format is invalid"]}}"#
        ));
        assert!(!wants_email("Invalid email or password"));
        assert!(!wants_email("Incorrect username or password"));
        assert!(refuses_domain(
            "The part after the @-sign is a special-use or reserved name that cannot be used with email."
        ));
        assert!(!refuses_domain("Invalid email or password"));
        // A format complaint is not a credential rejection.
        assert_eq!(
            classify(
                &resp(400, &[], r#"{"error":"Invalid email address"}"#),
                None
            ),
            Class::Malformed
        );
    }

    #[test]
    fn status_drift_to_403_is_a_throttle() {
        let base = ResponseModel::from_response(&resp(401, &[], "Invalid credentials"));
        assert_eq!(
            classify(&resp(403, &[], "Forbidden"), Some(&base)),
            Class::Throttled(ThrottleKind::Forbidden)
        );
    }
}
