//! HTML parsing for discovery: sign-in forms (a password input and its hidden fields) and links
//! that look like sign-in pages. (Stub: to be implemented.)

use url::Url;

/// A form that has a password input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginForm {
    /// Absolute URL the form submits to (the page URL when `action` is missing or empty).
    pub action: Url,
    /// Upper-case method, "POST" or "GET".
    pub method: String,
    /// The enctype attribute, lower-case ("application/x-www-form-urlencoded" when absent).
    pub enctype: String,
    /// Name of the field that takes the account (text/email input), if one was recognised.
    pub username_field: Option<String>,
    /// Name of the password input.
    pub password_field: String,
    /// Hidden inputs (CSRF tokens and the like), name and value, in document order.
    pub hidden: Vec<(String, String)>,
    /// Other named inputs with their default values (checkboxes that are checked, submit buttons…).
    pub other: Vec<(String, String)>,
}

/// Every form with a password input on the page.
pub fn login_forms(html: &str, page_url: &Url) -> Vec<LoginForm> {
    let _ = (html, page_url);
    Vec::new()
}

/// Same-origin links (a href, and form actions without password input) whose path or text suggests a
/// sign-in page ("login", "sign in", "log in", "auth", "session", …), absolute, deduplicated.
pub fn login_links(html: &str, page_url: &Url) -> Vec<Url> {
    let _ = (html, page_url);
    Vec::new()
}
