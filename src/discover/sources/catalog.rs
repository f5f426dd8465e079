//! Product doors: the catalog's knowledge of where widely deployed products keep their
//! sign-in, reset and registration doors. Products are recognised from the answers discovery
//! already has; a product that only hints (one weak sign) gets its one probe, and when nothing
//! was recognised a few high-value probes are asked without any hint (the catalog marks them
//! `blind`). Only the
//! doors of recognised products are then offered for confirmation, never one twice: a scan of
//! an application the catalog does not know costs at most [`MAX_HINT_PROBES`] +
//! [`crate::catalog::MAX_BLIND`] requests more.

use std::rc::Rc;

use async_trait::async_trait;
use url::Url;

use super::Source;
use crate::catalog::{weigh, Answer, Door, Product, Sighting};
use crate::discover::context::Discovering;
use crate::discover::flows::FlowLead;
use crate::discover::Lead;
use crate::http::Response;
use crate::report::{Flow, Framework, SurfaceSource};
use crate::surface::{Identifier, Surface};

/// Most probes asked because a product hinted.
pub const MAX_HINT_PROBES: usize = 2;
/// Most products whose doors are offered in one scan.
pub const MAX_PRODUCTS: usize = 2;

/// A product recognised on the target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recognised {
    pub id: String,
    pub name: String,
    /// Where it is installed: the base URL joined with its mount.
    pub root: Url,
    pub version: Option<String>,
    /// What was seen ("title \"grafana\" at /login").
    pub signs: Vec<String>,
    /// Its doors here, with their flows (queries dropped).
    pub doors: Vec<(Flow, Url)>,
    pub framework: Option<Framework>,
    /// Its GraphQL endpoints here.
    pub graphql: Vec<Url>,
}

impl Recognised {
    /// The observation line for the report.
    pub fn summary(&self) -> String {
        let version = self
            .version
            .as_ref()
            .map(|v| format!(" {v}"))
            .unwrap_or_default();
        let signs: Vec<&str> = self.signs.iter().take(3).map(String::as_str).collect();
        format!(
            "recognised {}{version} ({}) at {}: {}",
            self.name,
            self.id,
            self.root,
            signs.join("; ")
        )
    }

    /// Whether an endpoint at `url` is this product's: one of its doors, or under its root.
    pub fn owns(&self, url: &Url) -> bool {
        let mut bare = url.clone();
        bare.set_query(None);
        self.doors.iter().any(|(_, d)| *d == bare)
            || (url.origin() == self.root.origin() && url.path().starts_with(self.root.path()))
    }
}

/// The path of `u` under `base` ("/login?next=/"), when it lies under it.
fn relative(base: &Url, u: &Url) -> Option<String> {
    if u.origin() != base.origin() {
        return None;
    }
    let rest = u.path().strip_prefix(base.path())?;
    Some(match u.query() {
        Some(q) => format!("/{rest}?{q}"),
        None => format!("/{rest}"),
    })
}

/// One answer with its text, owned while the markers read it.
struct Held {
    path: String,
    asked: Option<String>,
    resp: Rc<Response>,
    body: String,
}

fn hold(base: &Url, url: &Url, asked: Option<&Url>, resp: Rc<Response>) -> Option<Held> {
    let path = relative(base, url)?;
    let asked = asked.and_then(|a| relative(base, a)).filter(|a| *a != path);
    let body = resp.text();
    Some(Held {
        path,
        asked,
        resp,
        body,
    })
}

fn sightings(products: &[Product], held: &[Held]) -> Vec<Sighting> {
    let answers: Vec<Answer<'_>> = held
        .iter()
        .map(|h| Answer {
            path: h.path.clone(),
            asked: h.asked.clone(),
            status: h.resp.status,
            headers: &h.resp.headers,
            body: &h.body,
        })
        .collect();
    weigh(products, &answers)
}

/// The base URL joined with a mount ("/" or "/phpmyadmin/").
fn root_of(base: &Url, mount: &str) -> Option<Url> {
    base.join(mount.trim_start_matches('/')).ok()
}

/// The surface a door describes, under `root`.
fn door_surface(p: &Product, door: &Door, root: &Url) -> Option<Surface> {
    let url = root.join(&door.path).ok()?;
    let form_page = door.page.as_ref().and_then(|pg| root.join(pg).ok());
    let identifier = if door.email {
        Identifier::email()
    } else if door.phone {
        Identifier::Phone
    } else {
        Identifier::from_field(&door.username_field, None)
    };
    Some(Surface {
        method: door.method.clone(),
        url,
        kind: door.kind,
        username_field: door.username_field.clone(),
        password_field: door.password_field.clone(),
        extra: door.extra.clone(),
        has_hidden: form_page.is_some() && door.kind == crate::report::SurfaceKind::HtmlForm,
        form_page,
        source: SurfaceSource::Catalog,
        framework: p.framework.unwrap_or(Framework::Unknown),
        identifier,
        flow: door.flow,
        product: Some(p.id.clone()),
        headers: door.headers.clone(),
        csrf: door.csrf.clone(),
        prior: door.rejection.clone(),
        graphql: None,
    })
}

pub struct ProductDoors;

#[async_trait(?Send)]
impl Source for ProductDoors {
    fn name(&self) -> &'static str {
        "product catalog"
    }

    async fn run(&self, cx: &mut Discovering<'_>) {
        let catalog = cx.scanner.cfg.catalog.clone();
        let products = &catalog.products;
        let base = cx.base.clone();
        let mut held: Vec<Held> = cx
            .answers()
            .into_iter()
            .filter_map(|(u, r)| hold(&base, &u, None, r))
            .collect();
        let seen = sightings(products, &held);

        // Probes: those of products that hinted, then the blind ones; each URL asked once,
        // and one already in the page cache costs nothing.
        let mut asks: Vec<Url> = Vec::new();
        let (mut hinted, mut blind) = (0, 0);
        for s in seen.iter().filter(|s| !s.recognised()) {
            let Some(root) = root_of(&base, &s.mount) else {
                continue;
            };
            for probe in &products[s.product].probes {
                let Some(u) = root.join(probe.path.trim_start_matches('/')).ok() else {
                    continue;
                };
                if asks.contains(&u) {
                    continue;
                }
                if !cx.has_fetched(&u) {
                    if hinted >= MAX_HINT_PROBES {
                        continue;
                    }
                    hinted += 1;
                }
                asks.push(u);
            }
        }
        // The blind probes are for a site where nothing was found yet: no product recognised
        // (its doors get the budget instead) and no sign-in lead (the checks get it).
        let blind_wanted = !seen.iter().any(Sighting::recognised) && cx.leads.is_empty();
        for p in products.iter().filter(|_| blind_wanted) {
            for probe in p.probes.iter().filter(|x| x.blind) {
                let Some(u) = root_of(&base, &p.mounts[0])
                    .and_then(|r| r.join(probe.path.trim_start_matches('/')).ok())
                else {
                    continue;
                };
                if asks.contains(&u) {
                    continue;
                }
                if !cx.has_fetched(&u) && p.builtin {
                    if blind >= crate::catalog::MAX_BLIND {
                        continue;
                    }
                    blind += 1;
                }
                asks.push(u);
            }
        }
        cx.prefetch(&asks).await;
        for u in &asks {
            let page = match cx.fetch(u).await {
                Ok(Some(p)) => p,
                Ok(None) => continue,
                Err(_) => break,
            };
            if page.catch_all {
                continue;
            }
            if !page.seen_before {
                cx.inspect(&page.url, &page.resp.clone(), SurfaceSource::Catalog);
            }
            held.extend(hold(&base, &page.url, Some(u), page.resp.clone()));
        }
        let seen = if asks.is_empty() {
            seen
        } else {
            sightings(products, &held)
        };
        drop(held);

        let mut taken: Vec<usize> = Vec::new();
        for s in seen.iter().filter(|s| s.recognised()) {
            if taken.contains(&s.product) || taken.len() >= MAX_PRODUCTS {
                continue;
            }
            taken.push(s.product);
            let p = &products[s.product];
            let Some(root) = root_of(&base, &s.mount) else {
                continue;
            };
            let mut found = Recognised {
                id: p.id.clone(),
                name: p.name.clone(),
                root: root.clone(),
                version: s.version.clone(),
                signs: s.signs.clone(),
                doors: Vec::new(),
                framework: p.framework,
                graphql: p.graphql.iter().filter_map(|g| root.join(g).ok()).collect(),
            };
            cx.scanner.progress.detail(&found.summary());
            for a in &p.accounts {
                if !cx.examples.contains(a) {
                    cx.examples.push(a.clone());
                }
            }
            for door in &p.doors {
                let Some(surface) = door_surface(p, door, &root) else {
                    continue;
                };
                // The page that carries the door's form: read like any page (its real form,
                // with hidden fields, is the better lead when it has one).
                if let Some(pg) = surface.form_page.clone() {
                    if let Ok(Some(page)) = cx.fetch(&pg).await {
                        if !page.seen_before && !page.catch_all {
                            cx.inspect(&page.url, &page.resp.clone(), SurfaceSource::Catalog);
                        }
                    }
                }
                let mut bare = surface.url.clone();
                bare.set_query(None);
                found.doors.push((door.flow, bare));
                match door.flow {
                    Flow::SignIn => {
                        // The page's own form, read first, is the better lead; it learns what
                        // the catalog knows of the door's answers.
                        let key = Lead::Known(Box::new(surface.clone())).key();
                        for lead in cx.leads.iter_mut() {
                            if let Lead::Known(s) = lead {
                                if Lead::Known(s.clone()).key() == key {
                                    s.prior = s.prior.take().or_else(|| surface.prior.clone());
                                    s.product = Some(p.id.clone());
                                }
                            }
                        }
                        cx.push(Lead::Known(Box::new(surface)))
                    }
                    _ => cx.push_flow(FlowLead {
                        surface,
                        declared: true,
                    }),
                }
                if cx.exhausted {
                    break;
                }
            }
            cx.products.push(found);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_keep_the_query_and_stay_under_the_base() {
        let base = Url::parse("http://h/app/").unwrap();
        let u = Url::parse("http://h/app/index.php?route=/").unwrap();
        assert_eq!(relative(&base, &u).as_deref(), Some("/index.php?route=/"));
        assert_eq!(
            relative(&base, &Url::parse("http://h/other").unwrap()),
            None
        );
        assert_eq!(
            relative(&base, &Url::parse("http://x/app/a").unwrap()),
            None
        );
    }

    #[test]
    fn a_door_becomes_a_catalog_surface_under_the_mount() {
        let c = crate::catalog::Catalog::builtin().unwrap();
        let p = c.get("synapse").unwrap();
        let root = Url::parse("http://h/").unwrap();
        let s = door_surface(p, &p.doors[0], &root).unwrap();
        assert_eq!(s.url.as_str(), "http://h/_matrix/client/v3/login");
        assert_eq!(s.source, SurfaceSource::Catalog);
        assert_eq!(s.product.as_deref(), Some("synapse"));
        let body = s.attempt_request("alice", "pw", &[]).body.unwrap();
        let v: serde_json::Value = serde_json::from_slice(&body.bytes).unwrap();
        assert_eq!(v["identifier"]["user"], "alice");
        assert_eq!(v["identifier"]["type"], "m.id.user");
        assert_eq!(v["type"], "m.login.password");
    }

    #[test]
    fn a_recognised_product_owns_its_doors_and_its_root() {
        let r = Recognised {
            id: "demo".into(),
            name: "Demo".into(),
            root: Url::parse("http://h/demo/").unwrap(),
            version: None,
            signs: vec![],
            doors: vec![(Flow::SignIn, Url::parse("http://h/api/login").unwrap())],
            framework: None,
            graphql: Vec::new(),
        };
        assert!(r.owns(&Url::parse("http://h/demo/index.php?x=1").unwrap()));
        assert!(r.owns(&Url::parse("http://h/api/login?next=/").unwrap()));
        assert!(!r.owns(&Url::parse("http://h/login").unwrap()));
    }
}
