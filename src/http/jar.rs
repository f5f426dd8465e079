//! A cookie jar per logical client, so a form with a CSRF token is fetched and submitted the way a
//! browser would, while separate clients never share a session.

use reqwest::cookie::CookieStore;
use reqwest::header::HeaderValue;
use url::Url;

/// Cookies of one logical client (reqwest's jar behind a small facade).
#[derive(Default)]
pub struct Jar {
    inner: reqwest::cookie::Jar,
}

impl std::fmt::Debug for Jar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Jar")
    }
}

impl Jar {
    pub fn new() -> Jar {
        Jar::default()
    }

    /// The Cookie header to send to `url`, if any cookie applies.
    pub fn header_for(&self, url: &Url) -> Option<String> {
        self.inner
            .cookies(url)
            .and_then(|v| v.to_str().ok().map(str::to_string))
    }

    /// Store the Set-Cookie header values of a response from `url`.
    pub fn store<'a>(&self, url: &Url, set_cookies: impl Iterator<Item = &'a str>) {
        let values: Vec<HeaderValue> = set_cookies
            .filter_map(|s| HeaderValue::from_str(s).ok())
            .collect();
        if !values.is_empty() {
            self.inner.set_cookies(&mut values.iter(), url);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_cookies_per_jar() {
        let url = Url::parse("http://127.0.0.1:5000/login").unwrap();
        let a = Jar::new();
        let b = Jar::new();
        a.store(&url, ["session=abc; Path=/; HttpOnly"].into_iter());
        assert_eq!(a.header_for(&url).as_deref(), Some("session=abc"));
        assert_eq!(b.header_for(&url), None);
    }
}
