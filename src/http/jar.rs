//! A cookie jar per logical client, so a form with a CSRF token is fetched and submitted the way a
//! browser would, while separate clients never share a session.

use reqwest::cookie::CookieStore;
use reqwest::header::HeaderValue;
use url::Url;

/// Most cookies one client keeps (browsers keep a few dozen per site).
pub const MAX_COOKIES: usize = 32;
/// Largest `name=value` kept (the browser limit).
pub const MAX_COOKIE_BYTES: usize = 4096;
/// Most bytes of `name=value` pairs kept in all, which bounds the Cookie header sent back.
pub const MAX_JAR_BYTES: usize = 16 * 1024;

/// Cookies of one logical client (reqwest's jar behind a small facade). A hostile server cannot
/// make it grow without bound, nor make every later request carry a huge Cookie header: beyond
/// [`MAX_COOKIES`] names or [`MAX_JAR_BYTES`] bytes, new cookies are dropped.
#[derive(Default)]
pub struct Jar {
    inner: reqwest::cookie::Jar,
    /// Size of `name=value` of every cookie name accepted so far.
    sizes: std::sync::Mutex<std::collections::HashMap<String, usize>>,
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

    /// Store the Set-Cookie header values of a response from `url`, within the jar's bounds.
    pub fn store<'a>(&self, url: &Url, set_cookies: impl Iterator<Item = &'a str>) {
        let mut sizes = self.sizes.lock().unwrap_or_else(|e| e.into_inner());
        let mut values: Vec<HeaderValue> = Vec::new();
        for s in set_cookies {
            let pair = s.split(';').next().unwrap_or("").trim();
            let Some((name, _)) = pair.split_once('=') else {
                continue;
            };
            let name = name.trim();
            if name.is_empty() || pair.len() > MAX_COOKIE_BYTES {
                continue;
            }
            let total: usize = sizes.values().sum();
            let known = sizes.get(name).copied();
            let after = total - known.unwrap_or(0) + pair.len();
            if (known.is_none() && sizes.len() >= MAX_COOKIES) || after > MAX_JAR_BYTES {
                continue;
            }
            let Ok(v) = HeaderValue::from_str(s) else {
                continue;
            };
            sizes.insert(name.to_string(), pair.len());
            values.push(v);
        }
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

    #[test]
    fn a_cookie_flood_is_bounded() {
        let url = Url::parse("http://127.0.0.1:5000/login").unwrap();
        let jar = Jar::new();
        let big = "v".repeat(3000);
        for round in 0..20 {
            let cookies: Vec<String> = (0..90)
                .map(|i| format!("c{round}x{i}={big}; Path=/"))
                .collect();
            jar.store(&url, cookies.iter().map(String::as_str));
        }
        let header = jar.header_for(&url).unwrap();
        assert!(
            header.len() <= MAX_JAR_BYTES + 2 * MAX_COOKIES,
            "{}",
            header.len()
        );
        // Oversized cookies are dropped; a known name can still be updated.
        jar.store(
            &url,
            [format!("huge={}", "x".repeat(5000)).as_str()].into_iter(),
        );
        assert!(!jar.header_for(&url).unwrap().contains("huge="));
        let small = Jar::new();
        small.store(&url, ["csrf=one; Path=/"].into_iter());
        small.store(&url, ["csrf=two; Path=/"].into_iter());
        assert_eq!(small.header_for(&url).as_deref(), Some("csrf=two"));
        for i in 0..100 {
            small.store(&url, [format!("n{i}=1; Path=/").as_str()].into_iter());
        }
        small.store(&url, ["csrf=three; Path=/"].into_iter());
        let h = small.header_for(&url).unwrap();
        assert!(h.contains("csrf=three"), "{h}");
        assert_eq!(h.split("; ").count(), MAX_COOKIES);
    }
}
