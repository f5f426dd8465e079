//! Well-known sign-in paths, under the base URL, fetched through the page cache. A path that
//! answers like an unknown path (the site's catch-all page or redirect) is not there; a path
//! that answers 404 is remembered for the POST probe (routers that hide POST routes from GET).

use async_trait::async_trait;

use super::Source;
use crate::discover::context::{CatchAll, Discovering};
use crate::discover::Lead;
use crate::report::SurfaceSource;

/// Paths where sign-in endpoints usually live, most common first.
pub const WELL_KNOWN_PATHS: &[&str] = &[
    "/login",
    "/api/login",
    "/api/auth/login",
    "/auth/login",
    "/signin",
    "/api/v1/auth/login",
    "/api/v1/login",
    "/token",
    "/api/token",
    "/auth/token",
    "/api/auth/token",
    "/oauth/token",
    "/auth",
    "/api/auth",
    "/session",
    "/sessions",
    "/api/session",
    "/api/sessions",
    "/api/signin",
    "/sign-in",
    "/users/sign_in",
    "/users/login",
    "/user/login",
    "/api/users/login",
    "/api/user/login",
    "/accounts/login/",
    "/account/login",
    "/api/v1/auth/token",
    "/api/v1/token",
    "/api/v1/session",
    "/api/v2/auth/login",
    "/v1/auth/login",
    "/v1/login",
    "/authenticate",
    "/api/authenticate",
    "/api-token-auth/",
    "/api/token/",
    "/oauth2/token",
    "/o/token/",
    "/auth/signin",
    "/auth/sign-in",
    "/api/auth/signin",
    "/api/v1/auth/signin",
    "/api/v1/users/login",
    "/api/v1/sessions",
    "/api/v2/sessions",
    "/v1/sessions",
    "/api/account/login",
    "/account/signin",
    "/api/login/",
    "/login/",
    "/connect/token",
    "/auth/jwt/login",
    "/wp-login.php",
    "/admin/login/",
    "/admin",
];

/// Paths fetched when every unknown path answers with the same page (a single-page app): the
/// app's routes live in its scripts, and the POST probe asks the rest.
const UNDER_CATCH_ALL: usize = 12;

pub struct WellKnownPaths;

#[async_trait(?Send)]
impl Source for WellKnownPaths {
    fn name(&self) -> &'static str {
        "well-known paths"
    }

    async fn run(&self, cx: &mut Discovering<'_>) {
        let limit = match cx.catch_all {
            Some(CatchAll::Page { .. }) => UNDER_CATCH_ALL,
            _ => WELL_KNOWN_PATHS.len(),
        };
        let width = cx.scanner.engine.concurrency();
        for (i, path) in WELL_KNOWN_PATHS.iter().enumerate() {
            // Fetch the next `width` paths together; a chunk at a time keeps memory small
            // against a server that answers every path with a huge page.
            if i % width == 0 && i < limit {
                let ahead: Vec<_> = WELL_KNOWN_PATHS[i..limit.min(i + width)]
                    .iter()
                    .filter_map(|p| cx.under_base(p))
                    .collect();
                cx.prefetch(&ahead).await;
            }
            let Some(url) = cx.under_base(path) else {
                continue;
            };
            if i >= limit {
                cx.missing.push(url);
                continue;
            }
            let page = match cx.fetch(&url).await {
                Ok(Some(p)) => p,
                Ok(None) => continue,
                Err(_) => return,
            };
            if page.catch_all || matches!(page.resp.status, 404 | 410) {
                cx.fp.add(&page.resp);
                cx.missing.push(url);
                continue;
            }
            if page.seen_before {
                continue;
            }
            let resp = page.resp.clone();
            if cx.inspect(&page.url, &resp, SurfaceSource::WellKnownPath) {
                cx.push(Lead::Post {
                    url: page.url.clone(),
                    source: SurfaceSource::WellKnownPath,
                });
            }
        }
    }
}
