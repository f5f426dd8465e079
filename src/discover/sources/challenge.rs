//! HTTP authentication challenges: a 401 with `WWW-Authenticate: Basic` or `Digest` is a sign-in
//! surface. [`ProtectionSpaces`] then reports the space at the shortest path that sends the same
//! challenge (`/admin`, not the `/admin/login` a well-known path happened to hit).

use async_trait::async_trait;
use url::Url;

use super::Source;
use crate::discover::context::Discovering;
use crate::discover::Lead;
use crate::http::Response;
use crate::report::{Framework, SurfaceKind, SurfaceSource};
use crate::surface::{Identifier, Surface};

/// Most parent paths asked while looking for the root of a protection space.
const MAX_PARENTS: usize = 5;

/// The challenge scheme of a 401, if it is Basic or Digest.
pub fn challenge_kind(resp: &Response) -> Option<SurfaceKind> {
    challenge_of(resp).map(|(k, _)| k)
}

/// The scheme and realm of a 401's Basic or Digest challenge.
fn challenge_of(resp: &Response) -> Option<(SurfaceKind, String)> {
    if resp.status != 401 {
        return None;
    }
    for h in resp.headers_all("www-authenticate") {
        let lower = h.trim().to_ascii_lowercase();
        let kind = if lower.starts_with("basic") {
            SurfaceKind::Basic
        } else if lower.starts_with("digest") {
            SurfaceKind::Digest
        } else {
            continue;
        };
        let realm = lower
            .split("realm=")
            .nth(1)
            .map(|r| {
                r.trim_start_matches('"')
                    .split('"')
                    .next()
                    .unwrap_or("")
                    .to_string()
            })
            .unwrap_or_default();
        return Some((kind, realm));
    }
    None
}

pub fn challenge_surface(url: &Url, kind: SurfaceKind, source: SurfaceSource) -> Surface {
    Surface {
        product: None,
        headers: Vec::new(),
        csrf: None,
        prior: None,
        graphql: None,
        method: "GET".into(),
        url: url.clone(),
        kind,
        username_field: "username".into(),
        password_field: "password".into(),
        extra: Vec::new(),
        form_page: None,
        has_hidden: false,
        source: if source == SurfaceSource::User {
            source
        } else {
            SurfaceSource::Challenge
        },
        framework: Framework::Unknown,
        identifier: Identifier::Username,
        flow: crate::report::Flow::SignIn,
    }
}

/// Read a page's challenge; returns whether it had one.
pub fn read(cx: &mut Discovering<'_>, url: &Url, resp: &Response, source: SurfaceSource) -> bool {
    match challenge_kind(resp) {
        Some(kind) => {
            cx.push(Lead::Known(Box::new(challenge_surface(url, kind, source))));
            true
        }
        None => false,
    }
}

/// The parent paths of `url`, nearest first: `/a/b/c` → `/a/b/`, `/a/b`, `/a/`, `/a`, `/`.
fn parents(url: &Url) -> Vec<Url> {
    let mut out = Vec::new();
    let mut path = url.path().trim_end_matches('/').to_string();
    if url.path().ends_with('/') && path.len() + 1 == url.path().len() {
        // `/a/b/` → start from `/a/b`.
        let mut u = url.clone();
        u.set_path(&path);
        u.set_query(None);
        if !path.is_empty() {
            out.push(u);
        }
    }
    while let Some(i) = path.rfind('/') {
        path.truncate(i);
        for p in [format!("{path}/"), path.clone()] {
            if p.is_empty() {
                continue;
            }
            let mut u = url.clone();
            u.set_path(&p);
            u.set_query(None);
            if !out.contains(&u) && u.path() != url.path() {
                out.push(u);
            }
        }
    }
    out
}

pub struct ProtectionSpaces;

#[async_trait(?Send)]
impl Source for ProtectionSpaces {
    fn name(&self) -> &'static str {
        "protection spaces"
    }

    async fn run(&self, cx: &mut Discovering<'_>) {
        let spaces: Vec<(usize, Url, SurfaceKind)> = cx
            .leads
            .iter()
            .enumerate()
            .filter_map(|(i, l)| match l {
                Lead::Known(s)
                    if matches!(s.kind, SurfaceKind::Basic | SurfaceKind::Digest)
                        && s.source != SurfaceSource::User =>
                {
                    Some((i, s.url.clone(), s.kind))
                }
                _ => None,
            })
            .collect();
        for (i, url, kind) in spaces {
            let Ok(Some(first)) = cx.fetch(&url).await else {
                continue;
            };
            let Some((_, realm)) = challenge_of(&first.resp) else {
                continue;
            };
            let mut best = url.clone();
            for parent in parents(&url).into_iter().take(MAX_PARENTS) {
                let page = match cx.fetch(&parent).await {
                    Ok(Some(p)) => p,
                    Ok(None) => break,
                    Err(_) => return,
                };
                // Redirects (`/admin` → `/admin/`) land inside the space: judge the landing.
                match challenge_of(&page.resp) {
                    Some((k, r)) if k == kind && r == realm => {
                        if page.url.path().len() < best.path().len() {
                            best = page.url.clone();
                        }
                    }
                    _ => break,
                }
            }
            if best != url {
                cx.scanner.progress.detail(&format!(
                    "protection space of {url} starts at {}",
                    best.path()
                ));
                if let Lead::Known(s) = &mut cx.leads[i] {
                    s.url = best;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parents_nearest_first() {
        let u = Url::parse("http://h/admin/login").unwrap();
        let p: Vec<String> = parents(&u).iter().map(|u| u.path().to_string()).collect();
        assert_eq!(p, vec!["/admin/", "/admin", "/"]);
        let u = Url::parse("http://h/a/b/").unwrap();
        let p: Vec<String> = parents(&u).iter().map(|u| u.path().to_string()).collect();
        assert_eq!(p, vec!["/a/b", "/a/", "/a", "/"]);
    }

    #[test]
    fn realm_is_read() {
        let r = Response::synthetic(
            401,
            &[("www-authenticate", r#"Basic realm="Admin area""#)],
            "",
        );
        assert_eq!(
            challenge_of(&r),
            Some((SurfaceKind::Basic, "admin area".into()))
        );
        let r = Response::synthetic(401, &[("www-authenticate", "Bearer")], "");
        assert_eq!(challenge_of(&r), None);
    }
}
