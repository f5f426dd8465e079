//! Script bundles: a single-page app signs in with `fetch("/api/auth/login")` or
//! `axios.post("auth/login")` from its own same-origin JavaScript. The pages' `<script src>`
//! bundles are read (a bounded count and size) and the string literals that look like
//! sign-in API paths become POST leads.

use std::sync::LazyLock;

use async_trait::async_trait;
use regex::Regex;
use url::Url;

use super::Source;
use crate::discover::context::Discovering;
use crate::discover::Lead;
use crate::http::{Request, Response};
use crate::report::SurfaceSource;

/// Most bundles read.
const MAX_SCRIPTS: usize = 6;
/// Most leads taken from all bundles.
const MAX_PATHS: usize = 6;

static SCRIPT_SRC: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)<script\b[^>]*\bsrc\s*=\s*["']?([^"'\s>]+)"#).expect("valid regex")
});

/// A quoted path whose last segments name a sign-in: `"/api/auth/login"`, `'auth/signin'`,
/// `` `/v1/sessions` ``.
static AUTH_PATH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"["'`](/?(?:[A-Za-z0-9_.-]+/){0,5}(?:login|log-in|signin|sign-in|sign_in|authenticate|session|sessions|token|jwt/login)/?)["'`?]"#,
    )
    .expect("valid regex")
});

/// A public OAuth2 client id a bundle sends with its password grant (`client_id:"web-app"`).
static CLIENT_ID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"client_id["'`]?\s*[:=]\s*["'`]([A-Za-z0-9_.:-]{2,64})["'`]"#)
        .expect("valid regex")
});

/// The public client ids a bundle names.
pub fn client_ids(js: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for cap in CLIENT_ID.captures_iter(js).take(16) {
        if let Some(m) = cap.get(1) {
            if !out.iter().any(|o| o == m.as_str()) && out.len() < 3 {
                out.push(m.as_str().to_string());
            }
        }
    }
    out
}

/// Queue the same-origin scripts an HTML page loads.
pub fn collect_scripts(cx: &mut Discovering<'_>, page: &Url, resp: &Response) {
    let text = resp.text();
    for cap in SCRIPT_SRC.captures_iter(&text) {
        let Some(src) = cap.get(1) else { continue };
        let Ok(url) = page.join(src.as_str()) else {
            continue;
        };
        if !cx.scanner.engine.same_origin(&url) || cx.scripts.contains(&url) {
            continue;
        }
        if cx.scripts.len() >= MAX_SCRIPTS * 2 {
            break;
        }
        cx.scripts.push(url);
    }
}

/// The sign-in API paths a bundle names, most API-like first.
pub fn auth_paths(js: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for cap in AUTH_PATH.captures_iter(js) {
        let Some(m) = cap.get(1) else { continue };
        let p = m.as_str();
        // File names and client-side routes of assets are not endpoints.
        if p.ends_with(".js") || p.ends_with(".css") || p.contains("..") || p.len() < 4 {
            continue;
        }
        let lower = p.to_ascii_lowercase();
        if [
            "logout",
            "refresh",
            "verify",
            "callback",
            "oauth2/authorize",
        ]
        .iter()
        .any(|w| lower.contains(w))
        {
            continue;
        }
        if !out.iter().any(|o| o == p) {
            out.push(p.to_string());
        }
    }
    // API paths first: a bundle also names its own router's `/login` page.
    out.sort_by_key(|p| {
        let l = p.to_ascii_lowercase();
        u8::from(!(l.contains("api") || l.contains("auth") || l.starts_with("/v")))
    });
    out
}

pub struct ScriptBundles;

#[async_trait(?Send)]
impl Source for ScriptBundles {
    fn name(&self) -> &'static str {
        "scripts"
    }

    async fn run(&self, cx: &mut Discovering<'_>) {
        let scripts: Vec<Url> = cx.scripts.iter().take(MAX_SCRIPTS).cloned().collect();
        let mut taken = 0;
        for url in scripts {
            if taken >= MAX_PATHS {
                break;
            }
            let resp = match cx.send(&Request::get(url.clone())).await {
                Ok(Some(r)) => r,
                Ok(None) => continue,
                Err(_) => return,
            };
            if resp.status != 200 || resp.is_html() {
                continue;
            }
            let js = resp.text();
            drop(resp);
            for id in client_ids(&js) {
                if !cx.client_ids.contains(&id) {
                    cx.client_ids.push(id);
                }
            }
            for p in super::graphql::named_paths(&js) {
                let named = if p.starts_with('/') {
                    url.join(&p).ok()
                } else {
                    None
                };
                if let Some(u) = named.filter(|u| cx.scanner.engine.same_origin(u)) {
                    if !cx.graphql_named.contains(&u) && cx.graphql_named.len() < 4 {
                        cx.graphql_named.push(u);
                    }
                }
            }
            for p in auth_paths(&js) {
                if taken >= MAX_PATHS {
                    break;
                }
                // Absolute paths at the origin; relative ones under the base (an API prefix
                // the bundle joins them to is unknown, the base is the best guess).
                let lead = if p.starts_with('/') {
                    url.join(&p).ok()
                } else {
                    cx.under_base(&p)
                };
                let Some(lead) = lead else { continue };
                if !cx.scanner.engine.same_origin(&lead) {
                    continue;
                }
                cx.scanner
                    .progress
                    .detail(&format!("script {} names {}", url.path(), lead.path()));
                cx.push(Lead::Post {
                    url: lead,
                    source: SurfaceSource::Javascript,
                });
                taken += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_in_paths_in_a_bundle() {
        let js = r#"const r=await fetch("/api/auth/login",{method:"POST"});axios.post('auth/signin',d);
            e.path="/login";fetch(`/api/v1/sessions`);x("/api/auth/logout");y("/static/login.js");
            z("/-/verdaccio/sec/login")"#;
        let p = auth_paths(js);
        assert!(p.contains(&"/api/auth/login".to_string()));
        assert!(p.contains(&"auth/signin".to_string()));
        assert!(p.contains(&"/api/v1/sessions".to_string()));
        assert!(p.contains(&"/-/verdaccio/sec/login".to_string()));
        assert!(!p.iter().any(|x| x.contains("logout") || x.ends_with(".js")));
        // The router's own page comes after the API paths.
        let at = |x: &str| p.iter().position(|y| y == x).unwrap();
        assert!(at("/login") > at("/api/auth/login"));
    }

    #[test]
    fn public_client_ids() {
        let js = r#"d={client_id:"node-red-editor",grant_type:"password",scope:""};x.client_id = 'web';"#;
        assert_eq!(client_ids(js), vec!["node-red-editor", "web"]);
    }

    #[test]
    fn scripts_of_a_page() {
        let html = r#"<script src="/assets/index-abc.js"></script><script type=module src=app.js></script>"#;
        let caps: Vec<&str> = SCRIPT_SRC
            .captures_iter(html)
            .filter_map(|c| c.get(1).map(|m| m.as_str()))
            .collect();
        assert_eq!(caps, vec!["/assets/index-abc.js", "app.js"]);
    }
}
