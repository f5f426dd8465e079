//! HTML pages: sign-in forms (with their hidden fields and the input type of the account field)
//! become leads; links a person would click to sign in (`/login`, `?do=login`,
//! `?title=Special:UserLogin`, `wp-login.php`, "Sign in") are queued and visited by
//! [`LinkedPages`].

use async_trait::async_trait;
use url::Url;

use super::Source;
use crate::discover::context::{Discovering, MAX_LINKED_PAGES};
use crate::discover::{html, Lead};
use crate::http::Response;
use crate::report::{Framework, SurfaceKind, SurfaceSource};
use crate::surface::{Identifier, Surface};

/// Read the forms and sign-in links of an HTML page; returns whether it had a sign-in form.
pub fn read(cx: &mut Discovering<'_>, url: &Url, resp: &Response, source: SurfaceSource) -> bool {
    crate::discover::flows::read_page(cx, url, resp);
    let text = resp.text();
    let forms = html::login_forms(&text, url);
    let title = crate::discover::context::page_title(resp);
    for f in forms.iter().filter(|f| f.method == "POST") {
        if !cx.scanner.engine.same_origin(&f.action) {
            continue;
        }
        // One form reached at two URLs (`index.php?title=Special:UserLogin` and
        // `index.php/Special:UserLogin`) is one sign-in: same page title, same fields.
        let mut names: Vec<&str> = f.hidden.iter().map(|(n, _)| n.as_str()).collect();
        names.sort_unstable();
        let sig = format!(
            "{title}|{}|{}|{}",
            f.username_field.as_deref().unwrap_or(""),
            f.password_field,
            names.join(",")
        );
        if cx.form_signatures.contains(&sig) {
            continue;
        }
        cx.form_signatures.push(sig);
        let src = if source == SurfaceSource::WellKnownPath && f.action.path() != url.path() {
            SurfaceSource::Html
        } else {
            source
        };
        let username_field = f
            .username_field
            .clone()
            .unwrap_or_else(|| "username".into());
        let identifier = if f.username_is_email {
            Identifier::email()
        } else {
            Identifier::from_field(&username_field, None)
        };
        cx.push(Lead::Known(Box::new(Surface {
            product: None,
            headers: Vec::new(),
            csrf: None,
            prior: None,
            graphql: None,
            method: "POST".into(),
            url: f.action.clone(),
            kind: SurfaceKind::HtmlForm,
            username_field,
            password_field: f.password_field.clone(),
            extra: f.other.clone(),
            form_page: Some(url.clone()),
            has_hidden: !f.hidden.is_empty(),
            source: src,
            framework: Framework::Unknown,
            identifier,
            flow: crate::report::Flow::SignIn,
        })));
    }
    for link in html::login_links(&text, url) {
        if cx.to_visit.len() + cx.visited_links.len() < MAX_LINKED_PAGES
            && !cx.visited_links.contains(link.as_str())
            && !cx.to_visit.contains(&link)
        {
            cx.to_visit.push(link);
        }
    }
    if cx.depth < crate::discover::context::MAX_BROWSE_DEPTH {
        let depth = cx.depth + 1;
        for link in html::browse_links(&text, url) {
            if cx.browse.len() < 4 * crate::discover::context::MAX_BROWSED_PAGES
                && !cx.browse.iter().any(|(u, _)| *u == link)
            {
                cx.browse.push((link, depth));
            }
        }
    }
    forms.iter().any(|f| f.method == "POST")
}

/// Visit the pages that other pages link as sign-in pages (and the pages those link).
pub struct LinkedPages;

#[async_trait(?Send)]
impl Source for LinkedPages {
    fn name(&self) -> &'static str {
        "linked pages"
    }

    async fn run(&self, cx: &mut Discovering<'_>) {
        while !cx.to_visit.is_empty() {
            let page = cx.to_visit.remove(0);
            if !cx.visited_links.insert(page.to_string()) {
                continue;
            }
            match cx.fetch(&page).await {
                Ok(Some(p)) if !p.seen_before => {
                    let resp = p.resp.clone();
                    cx.inspect(&p.url, &resp, SurfaceSource::Html);
                }
                Ok(_) => {}
                Err(_) => return,
            }
        }
    }
}
