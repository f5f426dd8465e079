//! Confirmation: a lead is a sign-in surface only when wrong credentials get a stable
//! rejection and something shows it is a credential check (SPEC "Sign-in surfaces"). What
//! confirming sees becomes the endpoint's [`ResponseModel`]: its malformed answer and its
//! rejection of two random accounts. A rejection may be any status the endpoint uses (400,
//! 401, 403, a 200 form shown again, a 302 back to the sign-in page); a 400 counts when it
//! differs from the malformed answer and speaks of credentials or the surface is declared.
//! When an answer says the identifier is badly formed ("Enter a valid email address"), the
//! surface is confirmed again with e-mail identifiers, on `example.invalid` first and on
//! `example.com` when the validator refuses reserved names.

use url::Url;

use super::Confirmed;
use crate::analysis::classify::{
    classify, refuses_domain, shows_password_form, speaks_of_credentials, wants_email, Class,
    ResponseModel,
};
use crate::analysis::normalize::mask_echoes;
use crate::http::{Body, Request, Response};
use crate::probe::{Attempt, Client, ProbeError, Prober};
use crate::report::{Framework, SurfaceKind, SurfaceSource};
use crate::scan::{Role, Scanner};
use crate::surface::{Identifier, Surface, FALLBACK_DOMAIN, NO_MAIL_DOMAIN};

/// Why a lead was not confirmed, or that it should be tried with another identifier shape.
enum Outcome {
    Confirmed(Box<Confirmed>),
    NotSignIn(String),
    /// The endpoint asked for another identifier shape.
    Reshape(Identifier),
}

/// The next identifier shape to try after `current`, when `text` complains about the one sent.
fn reshape(current: Identifier, text: &str) -> Option<Identifier> {
    match current {
        Identifier::Username | Identifier::Phone if wants_email(text) => Some(Identifier::email()),
        Identifier::Email {
            domain: NO_MAIL_DOMAIN,
        } if wants_email(text) || refuses_domain(text) => Some(Identifier::Email {
            domain: FALLBACK_DOMAIN,
        }),
        _ => None,
    }
}

/// Confirm a surface whose shape is known (HTML form, OpenAPI, challenge).
pub async fn confirm_known(
    scanner: &Scanner,
    mut surface: Surface,
    fw: Framework,
) -> Result<Confirmed, String> {
    surface.framework = fw;
    for _ in 0..3 {
        let mut prober = Prober::new(scanner, &surface);
        let mut client = Client::new();
        // The malformed request and the first rejection do not depend on each other: together,
        // from two clients (a form's token belongs to the session that fetched it).
        let mut other = Client::new();
        let user = scanner.random_account(prober.identifier());
        let (malformed, r1) = tokio::join!(
            prober.malformed(&mut other),
            prober.attempt(&mut client, &user, Role::Random, &[])
        );
        let malformed = malformed.map_err(|e| e.to_string())?;
        let r1 = r1.map_err(|e: ProbeError| e.to_string())?;
        match settle(&mut prober, &mut client, malformed, r1).await? {
            Outcome::Confirmed(c) => return Ok(*c),
            Outcome::NotSignIn(why) => return Err(why),
            Outcome::Reshape(id) => {
                scanner.progress.detail(&format!(
                    "{} asks for another identifier shape: trying {id:?}",
                    surface.label()
                ));
                surface.identifier = id;
            }
        }
    }
    Err("no identifier shape got a credential rejection".into())
}

/// Field names an error message may name.
const USER_FIELDS: &[&str] = &[
    "usernameOrEmail",
    "username",
    "email",
    "login",
    "user",
    "user_name",
    "userName",
    "identifier",
    "phone",
];
const PASS_FIELDS: &[&str] = &["password", "passwd", "pass", "pwd"];

/// The account and password field names a malformed request's answer names ("email is
/// required", {"loc": ["body", "login_id"]}), defaulting to username / password.
pub fn field_hints(hint: &str) -> (String, String) {
    let words: Vec<&str> = hint
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .filter(|w| !w.is_empty() && w.len() <= 40)
        .collect();
    let lower: Vec<String> = words.iter().map(|w| w.to_ascii_lowercase()).collect();
    let known = |list: &[&str]| {
        list.iter()
            .find(|f| lower.iter().any(|w| w == &f.to_ascii_lowercase()))
            .map(|f| f.to_string())
    };
    let user = known(USER_FIELDS)
        .or_else(|| {
            words
                .iter()
                .zip(&lower)
                .find(|(w, l)| {
                    (l.contains("user")
                        || l.contains("mail")
                        || l.contains("login")
                        || l.contains("account"))
                        && !l.contains("pass")
                        && (w.contains('_')
                            || w.contains('-')
                            || w.chars().any(|c| c.is_ascii_uppercase()))
                })
                .map(|(w, _)| w.to_string())
        })
        .unwrap_or_else(|| "username".into());
    let pass = known(PASS_FIELDS)
        .or_else(|| {
            words
                .iter()
                .zip(&lower)
                .find(|(w, l)| {
                    (l.contains("pass") || l.contains("pwd"))
                        && (w.contains('_')
                            || w.contains('-')
                            || w.chars().any(|c| c.is_ascii_uppercase()))
                })
                .map(|(w, _)| w.to_string())
        })
        .unwrap_or_else(|| "password".into());
    (user, pass)
}

/// A nesting the malformed answer names: Rails' `param is missing or the value is empty: user`
/// and `{"errors":{"user.email":…}}` both say the credentials go under `user`.
fn nesting_hint(hint: &str, user_field: &str) -> Option<String> {
    let l = hint.to_ascii_lowercase();
    if let Some(i) = l.find("param is missing or the value is empty: ") {
        let rest = &hint[i + "param is missing or the value is empty: ".len()..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() {
            return Some(name);
        }
    }
    for parent in ["user", "session", "auth", "credentials", "login", "account"] {
        for pat in [
            format!("{parent}.{user_field}"),
            format!("{parent}[{user_field}]"),
        ] {
            if l.contains(&pat) {
                return Some(parent.to_string());
            }
        }
    }
    None
}

/// A body format to try: kind, identifier field, constant extra fields.
type Variant = (SurfaceKind, String, Vec<(String, String)>);

/// Confirm a path that takes POST, inferring body format, field names and identifier shape.
pub async fn confirm_post(
    scanner: &Scanner,
    url: Url,
    source: SurfaceSource,
    fw: Framework,
    client_ids: &[String],
) -> Result<Confirmed, String> {
    let probe_surface = Surface {
        product: None,
        headers: Vec::new(),
        csrf: None,
        prior: None,
        graphql: None,
        method: "POST".into(),
        url: url.clone(),
        kind: SurfaceKind::Json,
        username_field: "username".into(),
        password_field: "password".into(),
        extra: Vec::new(),
        form_page: None,
        has_hidden: false,
        source,
        framework: fw,
        identifier: Identifier::Username,
        flow: crate::report::Flow::SignIn,
    };
    let hint_prober = Prober::new(scanner, &probe_surface);
    let mut client = Client::new();
    let m0 = hint_prober
        .send_raw(
            &mut client,
            Request::post(url.clone(), Body::json(&serde_json::json!({}))),
        )
        .await
        .map_err(|e| e.to_string())?;
    if m0.class == Class::NotFound {
        return Err(format!("answers {} to a POST", m0.status().unwrap_or(0)));
    }
    let hint = m0.text();
    let hint_l = hint.to_ascii_lowercase();
    let (user_field, pass_field) = field_hints(&hint);
    let nest = nesting_hint(&hint, &user_field);
    let dotted = |f: &str| match &nest {
        Some(n) => format!("{n}.{f}"),
        None => f.to_string(),
    };
    let user_field = dotted(&user_field);
    let pass_field = dotted(&pass_field);
    let form_first =
        m0.status() == Some(415) || hint_l.contains("urlencoded") || hint_l.contains("form data");
    let tokenish = url.path().trim_end_matches('/').ends_with("token");

    let mut variants: Vec<Variant> = Vec::new();
    if tokenish {
        // A public client the site's own scripts name goes first (RFC 6749 4.3 with a
        // client_id, as single-page editors send it).
        for id in client_ids.iter().take(1) {
            variants.push((
                SurfaceKind::OAuth2Password,
                user_field.clone(),
                vec![
                    ("grant_type".into(), "password".into()),
                    ("client_id".into(), id.clone()),
                    ("scope".into(), String::new()),
                ],
            ));
        }
        variants.push((
            SurfaceKind::OAuth2Password,
            user_field.clone(),
            vec![("grant_type".into(), "password".into())],
        ));
    }
    let (first, second) = if form_first {
        (SurfaceKind::Form, SurfaceKind::Json)
    } else {
        (SurfaceKind::Json, SurfaceKind::Form)
    };
    variants.push((first, user_field.clone(), vec![]));
    variants.push((second, user_field.clone(), vec![]));
    for fallback in ["username", "email"] {
        if user_field != fallback {
            variants.push((first, fallback.to_string(), vec![]));
        }
    }
    let mut last_err = "no body format got a credential rejection".to_string();
    let mut tried = 0;
    let mut identifier = Identifier::from_field(&user_field, None);
    let mut vi = 0;
    while vi < variants.len() && tried < 7 {
        let (kind, ufield, extra) = variants[vi].clone();
        tried += 1;
        let surface = Surface {
            product: None,
            headers: Vec::new(),
            csrf: None,
            prior: None,
            graphql: None,
            kind,
            username_field: ufield.clone(),
            password_field: pass_field.clone(),
            extra,
            identifier: match identifier {
                Identifier::Username => Identifier::from_field(&ufield, None),
                id => id,
            },
            ..probe_surface.clone()
        };
        let mut prober = Prober::new(scanner, &surface);
        let user = scanner.random_account(prober.identifier());
        let a = prober
            .attempt(&mut client, &user, Role::Random, &[])
            .await
            .map_err(|e| e.to_string())?;
        if a.class == Class::NotFound {
            last_err = format!(
                "{} body answered {}",
                kind.as_str(),
                a.status().unwrap_or(0)
            );
            break;
        }
        // `settle` is the one judge of the answer: a request for another identifier shape
        // (the same body format is tried again), a rejection, or not a sign-in.
        match settle(&mut prober, &mut client, m0.clone(), a).await? {
            Outcome::Confirmed(c) => return Ok(*c),
            Outcome::NotSignIn(why) => {
                last_err = format!("{} body: {why}", kind.as_str());
                vi += 1;
            }
            Outcome::Reshape(id) => identifier = id,
        }
    }
    Err(last_err)
}

/// Whether a first answer to wrong credentials can be the endpoint's rejection.
fn rejection_candidate(a: &Attempt, malformed: &Attempt, s: &Surface) -> bool {
    // A body sign-in answered with an HTTP authentication challenge sits behind the site's
    // Basic or Digest space: the body's credentials were never checked.
    if !matches!(s.kind, SurfaceKind::Basic | SurfaceKind::Digest)
        && a.response
            .as_ref()
            .is_some_and(|r| crate::discover::sources::challenge::challenge_kind(r).is_some())
    {
        return false;
    }
    let text = a.text();
    // Echoes masked: the same answer as the malformed request, whichever account was named.
    let same_as_malformed = malformed.status() == a.status()
        && mask_echoes(&malformed.text(), &[&malformed.account])
            == mask_echoes(&text, &[&a.account, &a.password]);
    match a.class {
        // A path guessed from a list must answer wrong credentials unlike a request with none:
        // a token-only API answers both with the same 401 Bearer challenge.
        // An authorisation refusal ("You don't have permission to access this") at a guessed
        // path is an API refusing an anonymous write, not a credential check, even when it
        // differs from the malformed answer (a collection that validates the body first).
        Class::Rejected
            if !declared(s) && !speaks_of_credentials(&text) && speaks_of_permission(&text) =>
        {
            false
        }
        Class::Rejected => !same_as_malformed || speaks_of_credentials(&text) || declared(s),
        // A 400/409/422 the status prior calls malformed is a rejection when it is not the
        // endpoint's malformed answer and it speaks of credentials or the surface is declared.
        Class::Malformed => {
            let status = a.status().unwrap_or(0);
            (400..500).contains(&status)
                && status != 404
                && !same_as_malformed
                && !wants_email(&text)
                && (speaks_of_credentials(&text) || declared(s))
        }
        // A rejection whose fixed words speak of locks ("Incorrect user name or password or
        // account is temporarily blocked"), as the catalog knows this door to answer: the
        // first answer to a never-seen random account, so no throttle of ours.
        Class::Throttled(crate::analysis::classify::ThrottleKind::LockoutText) => a
            .response
            .as_ref()
            .is_some_and(|r| s.prior.as_ref().is_some_and(|p| p.matches(r))),
        _ => false,
    }
}

/// Words of an authorisation refusal (who may do what), not of a credential check.
fn speaks_of_permission(text: &str) -> bool {
    static RE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"(?i)\bpermission|not (authori[sz]ed|allowed|permitted) to (access|perform|do|create|view)|\bforbidden\b|insufficient (privileges|scope|rights)")
            .expect("valid regex")
    });
    RE.is_match(text)
}

/// The surface's own page or document declares a password field.
fn declared(s: &Surface) -> bool {
    matches!(
        s.source,
        SurfaceSource::Html
            | SurfaceSource::OpenApi
            | SurfaceSource::Catalog
            | SurfaceSource::Graphql
    ) || matches!(
        s.kind,
        SurfaceKind::HtmlForm | SurfaceKind::Basic | SurfaceKind::Digest | SurfaceKind::Graphql
    )
}

/// After the malformed request and one rejection candidate: a second random account, then
/// the model, the stability check and the credential-check evidence.
async fn settle(
    prober: &mut Prober<'_>,
    client: &mut Client,
    malformed: Attempt,
    r1: Attempt,
) -> Result<Outcome, String> {
    if let Some(id) = reshape(prober.surface.identifier, &r1.text()) {
        return Ok(Outcome::Reshape(id));
    }
    // OAuth2 checks the client before the user (RFC 6749 5.2): without client credentials no
    // password is ever checked, so nothing about the sign-in can be measured.
    if r1.text().contains("invalid_client") {
        return Ok(Outcome::NotSignIn(format!(
            "a token endpoint that requires client credentials (answered {} invalid_client to a password grant without them): passwords are never checked without a client id and secret, so it could not be tested",
            r1.status().unwrap_or(0)
        )));
    }
    if !rejection_candidate(&r1, &malformed, prober.surface) {
        let Some(resp1) = r1.response.as_ref() else {
            return Ok(Outcome::NotSignIn("no answer to a sign-in attempt".into()));
        };
        return Ok(Outcome::NotSignIn(format!(
            "wrong credentials got {} ({:?}), not a rejection",
            resp1.status, r1.class
        )));
    }
    let user = prober.scanner.random_account(prober.identifier());
    let r2 = prober
        .attempt(client, &user, Role::Random, &[])
        .await
        .map_err(|e| e.to_string())?;
    let (Some(resp1), Some(resp2)) = (r1.response.as_ref(), r2.response.as_ref()) else {
        return Ok(Outcome::NotSignIn("no answer to a sign-in attempt".into()));
    };
    // Learn what changes between two rejections of random accounts.
    let b1 = mask_echoes(&resp1.text(), &[&r1.account, &r1.password]);
    let b2 = mask_echoes(&resp2.text(), &[&r2.account, &r2.password]);
    prober.normalizer.learn(&b1, &b2);
    let model = ResponseModel::from_response(resp1).with_malformed(malformed.response.as_ref());
    prober.model = Some(model.clone());
    let class2 = classify(resp2, Some(&model));
    let stable = class2 == Class::Rejected && model.rejection.matches(resp2);
    if !(stable || class2.is_throttled()) {
        return Ok(Outcome::NotSignIn(format!(
            "rejections are not stable ({} then {})",
            resp1.status, resp2.status
        )));
    }
    if !credential_check(prober, &malformed, &r1, resp1) {
        return Ok(Outcome::NotSignIn(
            "answers a sign-in exactly like a malformed request, and speaks of no credentials"
                .into(),
        ));
    }
    let mut out = vec![malformed, r1, r2];
    for a in out.iter_mut() {
        if let Some(r) = &a.response {
            a.class = classify(r, Some(&model));
        }
    }
    Ok(Outcome::Confirmed(Box::new(Confirmed {
        surface: prober.surface.clone(),
        confirmation: out,
        model,
        normalizer: prober.normalizer.clone(),
    })))
}

/// Something shows the endpoint checks credentials: its rejection differs from its malformed
/// answer, speaks of credentials, is a challenge, or the surface is declared.
fn credential_check(
    prober: &Prober<'_>,
    malformed: &Attempt,
    r1: &Attempt,
    resp1: &Response,
) -> bool {
    let m_resp = malformed.response.as_ref();
    let differs_from_malformed = m_resp.is_none_or(|m| {
        m.status != resp1.status
            || prober
                .normalizer
                .normalize(&m.text(), &[&malformed.account])
                != prober
                    .normalizer
                    .normalize(&resp1.text(), &[&r1.account, &r1.password])
    });
    let challenge = resp1.status == 401 && resp1.header("www-authenticate").is_some();
    differs_from_malformed
        || speaks_of_credentials(&resp1.text())
        || challenge
        || declared(prober.surface)
        || shows_password_form(resp1)
}

#[cfg(test)]
mod permission_tests {
    #[test]
    fn authorisation_refusals_are_not_credential_checks() {
        assert!(super::speaks_of_permission(
            r#"{"errors":[{"message":"You don't have permission to access this.","extensions":{"code":"FORBIDDEN"}}]}"#
        ));
        assert!(!super::speaks_of_permission(
            r#"{"error":"Invalid email or password"}"#
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_names_from_a_malformed_answer() {
        let h = |s: &str| field_hints(s);
        assert_eq!(
            h(
                r#"{"detail":[{"type":"missing","loc":["body","email"]},{"loc":["body","password"]}]}"#
            ),
            ("email".into(), "password".into())
        );
        assert_eq!(
            h(r#"{"errors":[{"field":"login_id"},{"field":"secret_pass"}]}"#),
            ("login_id".into(), "secret_pass".into())
        );
        assert_eq!(
            h(r#"{"error":"Invalid request"}"#),
            ("username".into(), "password".into())
        );
        assert_eq!(
            h("username and password are required"),
            ("username".into(), "password".into())
        );
    }

    #[test]
    fn nesting_from_a_malformed_answer() {
        assert_eq!(
            nesting_hint("param is missing or the value is empty: user", "email").as_deref(),
            Some("user")
        );
        assert_eq!(
            nesting_hint(r#"{"errors":{"user.email":["can't be blank"]}}"#, "email").as_deref(),
            Some("user")
        );
        assert_eq!(nesting_hint(r#"{"error":"bad"}"#, "email"), None);
    }

    #[test]
    fn identifier_reshaping() {
        let next = reshape(Identifier::Username, "Enter a valid email address.");
        assert_eq!(next, Some(Identifier::email()));
        let next = reshape(
            Identifier::email(),
            "The part after the @-sign is a special-use or reserved name that cannot be used with email.",
        );
        assert_eq!(
            next,
            Some(Identifier::Email {
                domain: FALLBACK_DOMAIN
            })
        );
        assert_eq!(
            reshape(
                Identifier::Email {
                    domain: FALLBACK_DOMAIN
                },
                "Invalid email address"
            ),
            None
        );
        assert_eq!(
            reshape(Identifier::Username, "Invalid email or password"),
            None
        );
    }
}
