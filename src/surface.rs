//! A sign-in surface and how one credential attempt against it is built.

use base64::Engine as _;
use url::Url;

use crate::http::{Body, Request};
use crate::report::{EndpointReport, Framework, SurfaceKind, SurfaceSource};

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
}

impl Surface {
    pub fn label(&self) -> String {
        format!("{} {}", self.method, self.url)
    }

    /// The attempt request for `user` / `pass`; `hidden` are the form's current hidden fields.
    pub fn attempt_request(&self, user: &str, pass: &str, hidden: &[(String, String)]) -> Request {
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
                for (k, v) in &self.extra {
                    map.insert(k.clone(), serde_json::Value::String(v.clone()));
                }
                map.insert(self.username_field.clone(), user.into());
                map.insert(self.password_field.clone(), pass.into());
                Request {
                    method: self.method.clone(),
                    url: self.url.clone(),
                    headers: Vec::new(),
                    body: Some(Body::json(&serde_json::Value::Object(map))),
                }
            }
            SurfaceKind::Form | SurfaceKind::HtmlForm | SurfaceKind::OAuth2Password => {
                let mut pairs: Vec<(String, String)> = hidden.to_vec();
                pairs.extend(self.extra.iter().cloned());
                pairs.push((self.username_field.clone(), user.to_string()));
                pairs.push((self.password_field.clone(), pass.to_string()));
                Request {
                    method: self.method.clone(),
                    url: self.url.clone(),
                    headers: Vec::new(),
                    body: Some(Body::form(&pairs)),
                }
            }
        }
    }

    /// A request the endpoint cannot take as a sign-in: the password field left out.
    pub fn malformed_request(&self, user: &str, hidden: &[(String, String)]) -> Request {
        match self.kind {
            SurfaceKind::Basic | SurfaceKind::Digest => Request {
                method: self.method.clone(),
                url: self.url.clone(),
                headers: vec![("authorization".into(), "Basic %%%not-base64%%%".into())],
                body: None,
            },
            SurfaceKind::Json => {
                let mut map = serde_json::Map::new();
                map.insert(self.username_field.clone(), user.into());
                Request {
                    method: self.method.clone(),
                    url: self.url.clone(),
                    headers: Vec::new(),
                    body: Some(Body::json(&serde_json::Value::Object(map))),
                }
            }
            _ => {
                let mut pairs: Vec<(String, String)> = hidden.to_vec();
                pairs.push((self.username_field.clone(), user.to_string()));
                Request {
                    method: self.method.clone(),
                    url: self.url.clone(),
                    headers: Vec::new(),
                    body: Some(Body::form(&pairs)),
                }
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
            password_field: fields.then(|| self.password_field.clone()),
            source: self.source,
            framework: self.framework,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn surface(kind: SurfaceKind) -> Surface {
        Surface {
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
        }
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
