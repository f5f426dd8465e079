//! OpenAPI 3.x and Swagger 2.0 reading for discovery: operations that take a password, and OAuth2
//! password-flow token URLs. (Stub: to be implemented.)

use url::Url;

/// How an operation takes its body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyEncoding {
    Json,
    Form,
}

/// A sign-in operation read from the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInOperation {
    /// Upper-case HTTP method.
    pub method: String,
    /// Absolute URL (servers / basePath applied, resolved against the document's URL).
    pub url: Url,
    pub encoding: BodyEncoding,
    pub username_field: String,
    pub password_field: String,
    /// Other required fields with a value to send (e.g. grant_type=password, an enum's first value).
    pub extra_fields: Vec<(String, String)>,
    /// True for an OAuth2 password-flow tokenUrl (or a body with grant_type).
    pub oauth2_password: bool,
}

/// What discovery takes from a document.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OpenApiInfo {
    pub title: Option<String>,
    pub operations: Vec<SignInOperation>,
    /// Example usernames/emails found in the document (examples, defaults), for enumeration candidates.
    pub example_accounts: Vec<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum OpenApiError {
    #[error("not JSON: {0}")]
    NotJson(String),
    #[error("not an OpenAPI or Swagger document")]
    NotOpenApi,
}

/// Read an OpenAPI 3.x or Swagger 2.0 JSON document served at `doc_url`.
pub fn parse(doc: &str, doc_url: &Url) -> Result<OpenApiInfo, OpenApiError> {
    let _ = (doc, doc_url);
    Err(OpenApiError::NotOpenApi)
}
