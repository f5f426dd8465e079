//! The report model: the one structure every renderer reads (SPEC "JSON report", schema_version 1).
//! It is built once by the pipeline and never touched by the network afterwards.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Severity of a finding, as fixed by the SPEC catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Critical,
    High,
    Medium,
    Low,
}

impl Severity {
    /// Points a finding of this severity takes off a score (rubric 1).
    pub fn penalty(self) -> u32 {
        match self {
            Severity::Critical => 45,
            Severity::High => 25,
            Severity::Medium => 10,
            Severity::Low => 3,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
        }
    }
}

/// Finding category (SPEC catalog).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Category {
    #[serde(rename = "rate-limiting")]
    RateLimiting,
    #[serde(rename = "authentication")]
    Authentication,
}

impl Category {
    pub const ALL: [Category; 2] = [Category::RateLimiting, Category::Authentication];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::RateLimiting => "rate-limiting",
            Category::Authentication => "authentication",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    High,
    Medium,
    Low,
}

/// How a sign-in surface takes credentials (SPEC `kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SurfaceKind {
    #[serde(rename = "json")]
    Json,
    #[serde(rename = "form")]
    Form,
    #[serde(rename = "html-form")]
    HtmlForm,
    #[serde(rename = "oauth2-password")]
    OAuth2Password,
    #[serde(rename = "basic")]
    Basic,
    #[serde(rename = "digest")]
    Digest,
    /// (v3) A GraphQL mutation.
    #[serde(rename = "graphql")]
    Graphql,
}

impl SurfaceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SurfaceKind::Json => "json",
            SurfaceKind::Form => "form",
            SurfaceKind::HtmlForm => "html-form",
            SurfaceKind::OAuth2Password => "oauth2-password",
            SurfaceKind::Basic => "basic",
            SurfaceKind::Digest => "digest",
            SurfaceKind::Graphql => "graphql",
        }
    }
}

/// Where a sign-in surface was found (SPEC `source`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SurfaceSource {
    #[serde(rename = "well-known-path")]
    WellKnownPath,
    #[serde(rename = "html")]
    Html,
    #[serde(rename = "javascript")]
    Javascript,
    #[serde(rename = "openapi")]
    OpenApi,
    #[serde(rename = "challenge")]
    Challenge,
    #[serde(rename = "user")]
    User,
    /// (v3) A door the product catalog knows for a recognised product.
    #[serde(rename = "catalog")]
    Catalog,
    /// (v3) A GraphQL endpoint's schema (introspection or its validation errors).
    #[serde(rename = "graphql")]
    Graphql,
}

impl SurfaceSource {
    pub fn as_str(self) -> &'static str {
        match self {
            SurfaceSource::WellKnownPath => "well-known-path",
            SurfaceSource::Html => "html",
            SurfaceSource::Javascript => "javascript",
            SurfaceSource::OpenApi => "openapi",
            SurfaceSource::Challenge => "challenge",
            SurfaceSource::User => "user",
            SurfaceSource::Catalog => "catalog",
            SurfaceSource::Graphql => "graphql",
        }
    }
}

/// The server-side framework keyhole recognised, used to pick remediation text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Framework {
    Flask,
    FastApi,
    Django,
    Express,
    Rails,
    Spring,
    Laravel,
    AspNet,
    Php,
    Rust,
    #[default]
    Unknown,
}

impl Framework {
    /// Every framework, for parsing names.
    pub const ALL: [Framework; 11] = [
        Framework::Flask,
        Framework::FastApi,
        Framework::Django,
        Framework::Express,
        Framework::Rails,
        Framework::Spring,
        Framework::Laravel,
        Framework::AspNet,
        Framework::Php,
        Framework::Rust,
        Framework::Unknown,
    ];

    /// The framework named `name` (its `as_str` form).
    pub fn parse(name: &str) -> Option<Framework> {
        Framework::ALL.into_iter().find(|f| f.as_str() == name)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Framework::Flask => "flask",
            Framework::FastApi => "fastapi",
            Framework::Django => "django",
            Framework::Express => "express",
            Framework::Rails => "rails",
            Framework::Spring => "spring",
            Framework::Laravel => "laravel",
            Framework::AspNet => "aspnet",
            Framework::Php => "php",
            Framework::Rust => "rust",
            Framework::Unknown => "unknown",
        }
    }

    /// Human name for prose ("Flask", "ASP.NET", …).
    pub fn display_name(self) -> &'static str {
        match self {
            Framework::Flask => "Flask",
            Framework::FastApi => "FastAPI",
            Framework::Django => "Django",
            Framework::Express => "Express",
            Framework::Rails => "Rails",
            Framework::Spring => "Spring",
            Framework::Laravel => "Laravel",
            Framework::AspNet => "ASP.NET",
            Framework::Php => "PHP",
            Framework::Rust => "Rust",
            Framework::Unknown => "unknown framework",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoryScore {
    pub id: Category,
    pub score: u32,
    pub grade: String,
    pub tested: bool,
}

/// What stands in for the tester's real password wherever a request is shown.
pub const REDACTED: &str = "********";

/// The spellings a secret can take in a request or an answer: as is, URL-encoded (a form
/// body), JSON-escaped, and inside a Basic `Authorization` for `user`.
fn secret_forms(secret: &str, user: Option<&str>) -> Vec<String> {
    use base64::Engine as _;
    let mut forms = vec![secret.to_string()];
    let form: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
    forms.push(form);
    let json = serde_json::to_string(secret).unwrap_or_default();
    forms.push(json.trim_matches('"').to_string());
    if let Some(u) = user {
        forms.push(base64::engine::general_purpose::STANDARD.encode(format!("{u}:{secret}")));
    }
    forms.retain(|f| !f.is_empty());
    forms.sort_by_key(|f| std::cmp::Reverse(f.len()));
    forms.dedup();
    forms
}

fn redact_value(v: &mut serde_json::Value, forms: &[String]) {
    match v {
        serde_json::Value::String(s) => {
            for f in forms {
                if s.contains(f.as_str()) {
                    *s = s.replace(f.as_str(), REDACTED);
                }
            }
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(|x| redact_value(x, forms)),
        serde_json::Value::Object(o) => o.values_mut().for_each(|x| redact_value(x, forms)),
        _ => {}
    }
}

/// Which account flow an endpoint belongs to (SPEC: "Account flows beyond sign-in").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Flow {
    #[default]
    SignIn,
    PasswordReset,
    Registration,
}

impl Flow {
    pub fn as_str(self) -> &'static str {
        match self {
            Flow::SignIn => "sign-in",
            Flow::PasswordReset => "password-reset",
            Flow::Registration => "registration",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EndpointReport {
    pub method: String,
    pub url: String,
    pub kind: SurfaceKind,
    pub username_field: Option<String>,
    pub password_field: Option<String>,
    pub source: SurfaceSource,
    pub framework: Framework,
    /// Reports written before account flows have none: they listed sign-ins only.
    #[serde(default)]
    pub flow: Flow,
    /// (v3) The product the catalog recognised the endpoint as (`wordpress`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    /// (v3) The GraphQL mutation a `graphql` endpoint calls (`tokenAuth`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
    /// (v3) The HTTP version the endpoint answered over: "2" or "1.1" (none when it was never
    /// asked, or in reports from before v3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http: Option<String>,
}

impl Report {
    /// The report with every spelling of `secret` (the tester's password) replaced, wherever
    /// it appears: evidence, summaries, details. The probes never keep it; this makes sure.
    pub fn redacted(self, secret: &str, user: Option<&str>) -> Report {
        let forms = secret_forms(secret, user);
        let Ok(mut v) = serde_json::to_value(&self) else {
            return self;
        };
        redact_value(&mut v, &forms);
        serde_json::from_value(v).unwrap_or(self)
    }
}

impl EndpointReport {
    /// The `endpoint` label findings use: "POST http://host/login".
    pub fn label(&self) -> String {
        format!("{} {}", self.method, self.url)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct EvidenceRequest {
    pub method: String,
    pub url: String,
    pub headers: BTreeMap<String, String>,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct EvidenceResponse {
    pub status: u16,
    pub headers: BTreeMap<String, String>,
    pub body: String,
    pub elapsed_ms: u64,
}

/// One request and what came back, cut to a few KiB.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Evidence {
    pub request: EvidenceRequest,
    pub response: EvidenceResponse,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub id: String,
    pub severity: Severity,
    pub category: Category,
    pub endpoint: String,
    pub title: String,
    pub summary: String,
    pub remediation: String,
    pub confidence: Confidence,
    pub evidence: Vec<Evidence>,
    #[serde(default)]
    pub details: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    pub endpoint: String,
    pub kind: String,
    pub summary: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Incomplete {
    pub check: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    pub requests: u32,
    pub duration_ms: u64,
    /// The most requests keyhole had in flight at once (never more than `--concurrency`).
    #[serde(default)]
    pub max_in_flight: u32,
    /// Failed sign-ins this scan sent to accounts that may be real (guessed names such as
    /// `admin`), by account: what a later scan of the same target charges against the same
    /// cap while a lockout window may still remember them.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub guessed_attempts: BTreeMap<String, u32>,
}

/// The whole report (schema_version 1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub schema_version: u32,
    pub tool: Tool,
    pub target: String,
    pub started_at: String,
    pub duration_ms: u64,
    pub score: u32,
    pub grade: String,
    pub rubric: String,
    pub categories: Vec<CategoryScore>,
    pub endpoints: Vec<EndpointReport>,
    pub findings: Vec<Finding>,
    pub observations: Vec<Observation>,
    pub incomplete: Vec<Incomplete>,
    pub stats: Stats,
}

#[cfg(test)]
mod flow_tests {
    use super::*;

    #[test]
    fn endpoints_carry_their_flow_and_old_reports_read_as_sign_ins() {
        let old = r#"{"method":"POST","url":"http://127.0.0.1:5000/login","kind":"form",
            "username_field":"username","password_field":"password",
            "source":"well-known-path","framework":"flask"}"#;
        let e: EndpointReport = serde_json::from_str(old).unwrap();
        assert_eq!(e.flow, Flow::SignIn);
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["flow"], "sign-in");
        let reset = EndpointReport {
            product: None,
            flow: Flow::PasswordReset,
            password_field: None,
            ..e
        };
        assert_eq!(
            serde_json::to_value(&reset).unwrap()["flow"],
            "password-reset"
        );
        assert_eq!(Flow::Registration.as_str(), "registration");
    }
}
