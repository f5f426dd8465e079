//! Browsing like a person: follow the same-origin links of the start page and of the pages it
//! leads to (bounded by depth and count, each final URL fetched once through the page cache),
//! whatever their text says, so that a sign-in no link names — an admin console that answers
//! with a Basic challenge, a form on a page called "Dashboard" — is still read. Links that look
//! like they change state are never followed ([`crate::discover::html::safe_to_browse`]).

use async_trait::async_trait;

use super::Source;
use crate::discover::context::{Discovering, MAX_BROWSED_PAGES};
use crate::report::SurfaceSource;

pub struct Browse;

/// Pages browsed when a sign-in lead is already known (only pages that sound like a door).
const MAX_BROWSED_WITH_LEAD: usize = 3;

/// Path words of pages that are often behind a sign-in (an admin console, a manager app).
fn sounds_like_door(url: &url::Url) -> bool {
    let p = url.path().to_ascii_lowercase();
    [
        "admin",
        "manage",
        "console",
        "dashboard",
        "private",
        "secure",
        "account",
        "portal",
        "panel",
        "control",
        "member",
        "user",
        "auth",
        "staff",
    ]
    .iter()
    .any(|w| p.contains(w))
}

#[async_trait(?Send)]
impl Source for Browse {
    fn name(&self) -> &'static str {
        "browsing"
    }

    async fn run(&self, cx: &mut Discovering<'_>) {
        let mut fetched = 0;
        // Once a sign-in is known, browsing only looks for other doors (pages that sound like
        // an admin console or a private area), a few at most: the budget belongs to the probes.
        let known = !cx.leads.is_empty();
        let most = if known {
            MAX_BROWSED_WITH_LEAD
        } else {
            MAX_BROWSED_PAGES
        };
        if known {
            cx.browse.retain(|(u, _)| sounds_like_door(u));
        }
        // Shallow links first: the start page's own before those of pages it leads to.
        while fetched < most && !cx.exhausted {
            // Pages that sound like a door (admin, manager, console, private …) go first.
            let Some(i) = (0..cx.browse.len())
                .min_by_key(|&i| (cx.browse[i].1, !sounds_like_door(&cx.browse[i].0)))
            else {
                break;
            };
            let (url, depth) = cx.browse.remove(i);
            if !cx.visited_links.insert(url.to_string()) {
                continue;
            }
            fetched += 1;
            match cx.fetch(&url).await {
                Ok(Some(p)) if !p.seen_before && !p.catch_all => {
                    let resp = p.resp.clone();
                    let before = cx.depth;
                    cx.depth = depth;
                    cx.inspect(&p.url, &resp, SurfaceSource::Html);
                    cx.depth = before;
                }
                Ok(_) => {}
                Err(_) => return,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn doors_sound_like_doors() {
        let u = |s: &str| url::Url::parse(s).unwrap();
        assert!(super::sounds_like_door(&u("http://h/manager/html")));
        assert!(super::sounds_like_door(&u("http://h/private/")));
        assert!(!super::sounds_like_door(&u("http://h/docs/changelog.html")));
    }
}
