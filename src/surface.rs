//! A sign-in surface and the request template one credential attempt is built from: the
//! identifier and password slots (dotted paths for nested JSON, `user.email`), constant extra
//! fields (`grant_type`, `remember`), fresh hidden fields of a form, and CSRF cookies echoed back
//! as the header the framework reads (Django's `csrftoken` as `X-CSRFToken`, Angular's and
//! Laravel's `XSRF-TOKEN` as `X-XSRF-TOKEN`).

use base64::Engine as _;
use url::Url;

use crate::http::{Body, Request};
use crate::report::{EndpointReport, Flow, Framework, SurfaceKind, SurfaceSource};

/// The shape of the account identifier an endpoint asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Identifier {
    #[default]
    Username,
    /// An e-mail address; random ones go to `domain` (a name that receives no mail, or
    /// `example.com` when the endpoint's validator refuses reserved names).
    Email { domain: &'static str },
    /// A phone number.
    Phone,
}

/// Where random e-mail addresses go: a reserved name that can never receive mail.
pub const NO_MAIL_DOMAIN: &str = "example.invalid";
/// The fallback for validators that refuse reserved names (RFC 6761) outright.
pub const FALLBACK_DOMAIN: &str = "example.com";

impl Identifier {
    /// The shape a field name or input type asks for (`email`, `user[email]`, `type="email"`).
    pub fn from_field(name: &str, input_type: Option<&str>) -> Identifier {
        let n = name.to_ascii_lowercase();
        let t = input_type.unwrap_or("").to_ascii_lowercase();
        if t == "email" || n.contains("mail") {
            Identifier::email()
        } else if t == "tel" || n.contains("phone") || n.ends_with("mobile") || n == "tel" {
            Identifier::Phone
        } else {
            Identifier::Username
        }
    }

    /// Whether a field name reads as where an account identifier goes (`email`, `username`,
    /// `login`, `user_name`, `phone`), not a password or another field.
    pub fn looks_like_account_field(name: &str) -> bool {
        let n = name.to_ascii_lowercase();
        !n.contains("pass")
            && (n.contains("mail")
                || n.contains("user")
                || n == "login"
                || n == "identifier"
                || n.contains("phone"))
    }

    pub fn email() -> Identifier {
        Identifier::Email {
            domain: NO_MAIL_DOMAIN,
        }
    }

    pub fn is_email(self) -> bool {
        matches!(self, Identifier::Email { .. })
    }
}

/// Cookies that frameworks expect echoed back in a header (double-submit CSRF).
pub const CSRF_COOKIE_HEADERS: &[(&str, &str)] = &[
    ("csrftoken", "x-csrftoken"),
    ("XSRF-TOKEN", "x-xsrf-token"),
    ("csrf_token", "x-csrftoken"),
    ("_csrf", "x-csrf-token"),
    ("CSRF-TOKEN", "x-csrf-token"),
];

/// The CSRF headers to send for a client's Cookie header value (`a=1; csrftoken=xyz`).
pub fn csrf_headers(cookie_header: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for pair in cookie_header.split(';') {
        let Some((name, value)) = pair.trim().split_once('=') else {
            continue;
        };
        if let Some((_, header)) = CSRF_COOKIE_HEADERS.iter().find(|(c, _)| *c == name) {
            // Laravel and Angular URL-encode the token in the cookie; the header carries it decoded.
            let v =
                url::form_urlencoded::parse(format!("v={}", value.replace('+', "%2B")).as_bytes())
                    .next()
                    .map(|(_, v)| v.into_owned())
                    .unwrap_or_else(|| value.to_string());
            if !out.iter().any(|(h, _): &(String, String)| h == header) {
                out.push((header.to_string(), v));
            }
        }
    }
    out
}

/// Set `value` at a dotted `path` (`user.email`) in a JSON object, making the levels it needs.
pub fn set_path(map: &mut serde_json::Map<String, serde_json::Value>, path: &str, value: &str) {
    match path.split_once('.') {
        Some((head, rest)) if !head.is_empty() && !rest.is_empty() => {
            let entry = map
                .entry(head.to_string())
                .or_insert_with(|| serde_json::Value::Object(serde_json::Map::new()));
            if !entry.is_object() {
                *entry = serde_json::Value::Object(serde_json::Map::new());
            }
            if let serde_json::Value::Object(inner) = entry {
                set_path(inner, rest, value);
            }
        }
        _ => {
            map.insert(
                path.to_string(),
                serde_json::Value::String(value.to_string()),
            );
        }
    }
}

/// An endpoint that takes a username and a password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Surface {
    pub method: String,
    pub url: Url,
    pub kind: SurfaceKind,
    pub username_field: String,
    pub password_field: String,
    /// Other fields sent with every attempt (grant_type=password, a submit button…).
    pub extra: Vec<(String, String)>,
    /// For an HTML form: the page that carries it (fetched for fresh hidden fields).
    pub form_page: Option<Url>,
    /// For an HTML form: whether it carries hidden fields (tokens) that must be fresh.
    pub has_hidden: bool,
    pub source: SurfaceSource,
    pub framework: Framework,
    /// The identifier shape the endpoint asks for.
    pub identifier: Identifier,
    /// What the endpoint does with the identifier: sign in, send a reset, register.
    pub flow: Flow,
    /// The product the catalog recognised this endpoint as (`wordpress`).
    pub product: Option<String>,
    /// Constant request headers the endpoint needs (from a catalog door).
    pub headers: Vec<(String, String)>,
    /// Where a token the endpoint checks comes from, when no HTML form carries it (a catalog
    /// door's `csrf`): read from `form_page` once per client and sent with every attempt.
    pub csrf: Option<Csrf>,
    /// How a failed attempt usually answers here, when known beforehand (a catalog door's
    /// `rejection`): a prior only, for an answer that would otherwise read as a throttle.
    pub prior: Option<Prior>,
    /// For a GraphQL sign-in: the mutation an attempt calls (the fields are argument paths
    /// below it, `tokenAuth.username`).
    pub graphql: Option<Box<crate::graphql::Operation>>,
}

/// A known rejection: its status and words (in the body or the redirect's location).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Prior {
    pub status: Option<u16>,
    pub contains: Option<String>,
}

impl Prior {
    /// Whether `resp` is this rejection.
    pub fn matches(&self, resp: &crate::http::Response) -> bool {
        let status = self.status.is_none_or(|s| s == resp.status);
        let words = self.contains.as_ref().is_none_or(|w| {
            let w = w.to_lowercase();
            resp.text().to_lowercase().contains(&w)
                || resp
                    .header("location")
                    .is_some_and(|l| l.to_lowercase().contains(&w))
        });
        status && words && (self.status.is_some() || self.contains.is_some())
    }
}

/// A CSRF token a page's script or cookie holds (not a form's hidden field).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Csrf {
    /// A regex over the page whose first group is the token (`csrfToken: '([^']+)'`).
    pub pattern: Option<String>,
    /// A cookie the page sets whose name starts with this (`csrf_token_P`): its value.
    pub cookie: Option<String>,
    /// The body field the token goes in.
    pub field: Option<String>,
    /// The request header the token goes in.
    pub header: Option<String>,
}

impl Csrf {
    /// The token in `page` (by pattern) or in the cookie header `cookies` (by name prefix).
    pub fn token(&self, page: &str, cookies: &str) -> Option<String> {
        if let Some(p) = &self.pattern {
            let re = regex::Regex::new(p).ok()?;
            return re
                .captures(page)
                .and_then(|c| c.get(1))
                .map(|m| m.as_str().to_string());
        }
        let prefix = self.cookie.as_deref()?;
        cookies.split(';').find_map(|pair| {
            let (name, value) = pair.trim().split_once('=')?;
            name.starts_with(prefix).then(|| value.to_string())
        })
    }
}

impl Surface {
    pub fn label(&self) -> String {
        format!("{} {}", self.method, self.url)
    }

    /// An HTML form is submitted as a browser submits it: sites that answer JSON clients
    /// differently (Flask-Security) show their form-again rejection to a browser `Accept`.
    fn accept(&self) -> Vec<(String, String)> {
        let mut h = self.headers.clone();
        if self.kind == SurfaceKind::HtmlForm {
            h.push(("accept".into(), crate::http::ACCEPT_BROWSER.into()));
        }
        h
    }

    /// A POST (or the surface's method) of a JSON object to the endpoint.
    fn json_request(&self, map: serde_json::Map<String, serde_json::Value>) -> Request {
        Request {
            method: self.method.clone(),
            url: self.url.clone(),
            headers: self.headers.clone(),
            body: Some(Body::json(&serde_json::Value::Object(map))),
        }
    }

    /// The same with form fields, as a browser submits them.
    fn form_request(&self, pairs: &[(String, String)]) -> Request {
        Request {
            method: self.method.clone(),
            url: self.url.clone(),
            headers: self.accept(),
            body: Some(Body::form(pairs)),
        }
    }

    /// The attempt request for `user` / `pass`; `hidden` are the form's current hidden fields.
    pub fn attempt_request(&self, user: &str, pass: &str, hidden: &[(String, String)]) -> Request {
        if let Some(op) = &self.graphql {
            return self.graphql_request(op, Some(user), Some(pass));
        }
        if self.flow != Flow::SignIn {
            return self.flow_request(user, hidden);
        }
        match self.kind {
            SurfaceKind::Basic | SurfaceKind::Digest => {
                let token =
                    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
                Request {
                    method: self.method.clone(),
                    url: self.url.clone(),
                    headers: vec![("authorization".into(), format!("Basic {token}"))],
                    body: None,
                }
            }
            SurfaceKind::Json => {
                let mut map = serde_json::Map::new();
                for (k, v) in self.extra.iter().chain(hidden) {
                    set_path(&mut map, k, v);
                }
                set_path(&mut map, &self.username_field, user);
                set_path(&mut map, &self.password_field, pass);
                self.json_request(map)
            }
            SurfaceKind::Form
            | SurfaceKind::HtmlForm
            | SurfaceKind::OAuth2Password
            | SurfaceKind::Graphql => {
                let mut pairs: Vec<(String, String)> = hidden.to_vec();
                pairs.extend(self.extra.iter().cloned());
                pairs.push((self.username_field.clone(), user.to_string()));
                pairs.push((self.password_field.clone(), pass.to_string()));
                self.form_request(&pairs)
            }
        }
    }

    /// The GraphQL arguments of one call: the identifier, and the password where the call
    /// takes one. A sign-in gets `pass`; a reset none; a registration probe an empty new
    /// password (and, where it asks for the new password twice, two that differ), so that
    /// it can never complete.
    pub fn graphql_args(
        &self,
        op: &crate::graphql::Operation,
        user: Option<&str>,
        pass: Option<&str>,
    ) -> serde_json::Map<String, serde_json::Value> {
        use serde_json::Value;
        let mut fields: Vec<(&str, Value)> = Vec::new();
        if let Some(u) = user {
            fields.push((&self.username_field, Value::from(u)));
        }
        match (self.flow, pass) {
            (Flow::SignIn, Some(p)) => fields.push((&self.password_field, Value::from(p))),
            (Flow::Registration, _) if !self.password_field.is_empty() => {
                fields.push((&self.password_field, Value::from("")));
                for (k, _) in &self.extra {
                    fields.push((k, Value::from("x")));
                }
            }
            _ => {}
        }
        op.args(&fields)
    }

    fn graphql_request(
        &self,
        op: &crate::graphql::Operation,
        user: Option<&str>,
        pass: Option<&str>,
    ) -> Request {
        op.request(&self.url, &self.graphql_args(op, user, pass), &self.headers)
    }

    /// The request of a reset or registration probe for `user`. It never carries a password: a
    /// reset takes only the identifier; a registration probe leaves the new password (and, for
    /// JSON, every other field) out, or sends a declared form's password fields empty, so that
    /// it can never complete.
    fn flow_request(&self, user: &str, hidden: &[(String, String)]) -> Request {
        match self.kind {
            SurfaceKind::Json => {
                let mut map = serde_json::Map::new();
                for (k, v) in &self.extra {
                    set_path(&mut map, k, v);
                }
                set_path(&mut map, &self.username_field, user);
                self.json_request(map)
            }
            _ => {
                let mut pairs: Vec<(String, String)> = hidden.to_vec();
                pairs.extend(self.extra.iter().cloned());
                pairs.push((self.username_field.clone(), user.to_string()));
                if self.flow == Flow::Registration && !self.password_field.is_empty() {
                    pairs.push((self.password_field.clone(), String::new()));
                }
                self.form_request(&pairs)
            }
        }
    }

    /// A request the endpoint cannot take as a sign-in: the password field left out.
    pub fn malformed_request(&self, user: &str, hidden: &[(String, String)]) -> Request {
        if let Some(op) = &self.graphql {
            return self.graphql_request(op, Some(user), None);
        }
        match self.kind {
            SurfaceKind::Basic | SurfaceKind::Digest => Request {
                method: self.method.clone(),
                url: self.url.clone(),
                headers: vec![("authorization".into(), "Basic %%%not-base64%%%".into())],
                body: None,
            },
            SurfaceKind::Json => {
                let mut map = serde_json::Map::new();
                for (k, v) in hidden {
                    set_path(&mut map, k, v);
                }
                set_path(&mut map, &self.username_field, user);
                self.json_request(map)
            }
            _ => {
                let mut pairs: Vec<(String, String)> = hidden.to_vec();
                pairs.push((self.username_field.clone(), user.to_string()));
                self.form_request(&pairs)
            }
        }
    }

    pub fn report(&self) -> EndpointReport {
        let fields = !matches!(self.kind, SurfaceKind::Basic | SurfaceKind::Digest);
        EndpointReport {
            method: self.method.clone(),
            url: self.url.to_string(),
            kind: self.kind,
            username_field: fields.then(|| self.username_field.clone()),
            password_field: (fields
                && self.flow != Flow::PasswordReset
                && !self.password_field.is_empty())
            .then(|| self.password_field.clone()),
            source: self.source,
            framework: self.framework,
            flow: self.flow,
            product: self.product.clone(),
            operation: self.graphql.as_ref().map(|o| o.field.clone()),
            http: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_csrf_token_is_read_from_a_script_or_a_prefixed_cookie() {
        let script = Csrf {
            pattern: Some(r#""csrfToken": "([^"]+)""#.into()),
            cookie: None,
            field: Some("csrf_token".into()),
            header: None,
        };
        let page = r#"<script>render({"csrfToken": "abc.123", "loginUrl": "/x"})</script>"#;
        assert_eq!(script.token(page, "").as_deref(), Some("abc.123"));
        assert_eq!(script.token("<p>none</p>", ""), None);
        let cookie = Csrf {
            pattern: None,
            cookie: Some("csrf_token_P".into()),
            field: None,
            header: Some("x-csrf-token".into()),
        };
        let jar = "session=1; csrf_token_P5000=t0k; other=2";
        assert_eq!(cookie.token("", jar).as_deref(), Some("t0k"));
        assert_eq!(cookie.token("", "session=1"), None);
    }

    #[test]
    fn a_prior_matches_status_and_words_in_body_or_location() {
        let prior = Prior {
            status: Some(302),
            contains: Some("/login".into()),
        };
        let mut r = crate::http::Response {
            status: 302,
            headers: vec![("location".into(), "/login?next=%2F".into())],
            body: bytes::Bytes::new(),
            truncated: false,
            ttfb: std::time::Duration::ZERO,
            total: std::time::Duration::ZERO,
            version: crate::http::Version::Http11,
        };
        assert!(prior.matches(&r));
        r.status = 200;
        assert!(!prior.matches(&r));
        let empty = Prior {
            status: None,
            contains: None,
        };
        assert!(!empty.matches(&r), "an empty prior matches nothing");
    }

    fn surface(kind: SurfaceKind) -> Surface {
        Surface {
            product: None,
            headers: Vec::new(),
            csrf: None,
            prior: None,
            graphql: None,
            method: "POST".into(),
            url: Url::parse("http://127.0.0.1:5000/login").unwrap(),
            kind,
            username_field: "email".into(),
            password_field: "password".into(),
            extra: vec![("grant_type".into(), "password".into())],
            form_page: None,
            has_hidden: false,
            source: SurfaceSource::User,
            framework: Framework::Unknown,
            identifier: Identifier::email(),
            flow: crate::report::Flow::SignIn,
        }
    }

    #[test]
    fn nested_json_fields_are_dotted_paths() {
        let mut s = surface(SurfaceKind::Json);
        s.username_field = "user.email".into();
        s.password_field = "user.password".into();
        s.extra = vec![("remember".into(), "false".into())];
        let r = s.attempt_request("ann@example.invalid", "pw", &[]);
        let v: serde_json::Value = serde_json::from_slice(&r.body.unwrap().bytes).unwrap();
        assert_eq!(v["user"]["email"], "ann@example.invalid");
        assert_eq!(v["user"]["password"], "pw");
        assert_eq!(v["remember"], "false");
        let m = s.malformed_request("ann@example.invalid", &[]);
        let v: serde_json::Value = serde_json::from_slice(&m.body.unwrap().bytes).unwrap();
        assert_eq!(v["user"]["email"], "ann@example.invalid");
        assert!(v["user"].get("password").is_none());
    }

    #[test]
    fn identifier_shapes_from_fields() {
        assert!(Identifier::from_field("user[email]", None).is_email());
        assert!(Identifier::from_field("login", Some("email")).is_email());
        assert_eq!(Identifier::from_field("phone", None), Identifier::Phone);
        assert_eq!(Identifier::from_field("login", None), Identifier::Username);
    }

    #[test]
    fn csrf_cookies_become_headers() {
        let h = csrf_headers("sessionid=1; csrftoken=abc; XSRF-TOKEN=eyJ%3D%3D");
        assert_eq!(
            h,
            vec![
                ("x-csrftoken".to_string(), "abc".to_string()),
                ("x-xsrf-token".to_string(), "eyJ==".to_string())
            ]
        );
        assert!(csrf_headers("a=b").is_empty());
    }

    #[test]
    fn json_attempt_carries_fields_and_extras() {
        let r = surface(SurfaceKind::Json).attempt_request("ann", "pw", &[]);
        let v: serde_json::Value = serde_json::from_slice(&r.body.unwrap().bytes).unwrap();
        assert_eq!(v["email"], "ann");
        assert_eq!(v["password"], "pw");
        assert_eq!(v["grant_type"], "password");
    }

    #[test]
    fn form_attempt_puts_hidden_fields_first() {
        let r = surface(SurfaceKind::HtmlForm).attempt_request(
            "ann",
            "pw",
            &[("csrf".into(), "t0k".into())],
        );
        assert_eq!(
            r.headers,
            vec![(
                "accept".to_string(),
                crate::http::ACCEPT_BROWSER.to_string()
            )]
        );
        let body = String::from_utf8(r.body.unwrap().bytes).unwrap();
        assert_eq!(body, "csrf=t0k&grant_type=password&email=ann&password=pw");
    }

    #[test]
    fn basic_attempt_uses_authorization() {
        let r = surface(SurfaceKind::Basic).attempt_request("ann", "pw", &[]);
        assert_eq!(r.headers[0].1, "Basic YW5uOnB3");
        assert!(r.body.is_none());
    }
}
