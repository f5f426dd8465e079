//! What discovery holds while its sources run: the leads found so far, a page cache that fetches
//! each final URL once (redirects are resolved through it, so a site that sends every unknown
//! path to its front page costs one fetch of that page), the catch-all answer of the site (an
//! unknown path's page, a single-page app's fallback), and the page readers every fetched page
//! goes through (HTML forms and links, challenges, script bundles).

use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use url::Url;

use super::fingerprint::Fingerprint;
use super::sources::{challenge, html_pages, javascript};
use super::Lead;
use crate::http::{HttpError, Request, Response, BODY_CAP};
use crate::report::{SurfaceKind, SurfaceSource};
use crate::scan::Scanner;

/// Body kept of a redirect answer (its headers are what is read).
const HOP_CAP: usize = 4 * 1024;
/// Most redirects followed for one page.
const MAX_HOPS: usize = 3;
/// Most pages visited because a page linked them as sign-in pages.
pub const MAX_LINKED_PAGES: usize = 6;
/// Most pages fetched by browsing (any same-origin link, not only those named as sign-ins).
pub const MAX_BROWSED_PAGES: usize = 8;
/// How many links deep browsing goes from the start page.
pub const MAX_BROWSE_DEPTH: u8 = 2;

/// What a fetch found.
#[derive(Debug, Clone)]
pub struct Page {
    /// Where the redirects landed.
    pub url: Url,
    pub resp: Rc<Response>,
    /// This final URL was fetched before (through another path): nothing new to read.
    pub seen_before: bool,
    /// The answer is the site's catch-all (an unknown path answers the same).
    pub catch_all: bool,
}

/// How the site answers a path that cannot exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CatchAll {
    /// Every path gets the same page (a single-page app's fallback, a soft 404).
    Page {
        status: u16,
        len: usize,
        title: String,
    },
    /// Every path redirects to the same place.
    Redirect(String),
}

pub struct Discovering<'a> {
    pub scanner: &'a Scanner,
    /// The base URL, as a directory (a path prefix keeps its trailing slash).
    pub base: Url,
    pub fp: Fingerprint,
    pub leads: Vec<Lead>,
    /// Request URL → final URL of every fetch (None: it failed).
    resolved: HashMap<String, Option<Url>>,
    /// Final URL → its answer (bodies cut to a small size once read).
    pages: HashMap<String, Rc<Response>>,
    /// Answers fetched ahead, together, not yet taken by `fetch` (None: the request failed).
    prefetched: HashMap<String, Option<Response>>,
    /// Pages linked as sign-in pages, still to visit.
    pub to_visit: Vec<Url>,
    pub visited_links: HashSet<String>,
    /// Same-origin scripts the pages load, still to read.
    pub scripts: Vec<Url>,
    /// Well-known paths that answered 404 (or the catch-all) to GET.
    pub missing: Vec<Url>,
    pub examples: Vec<String>,
    pub openapi: Option<Url>,
    /// Discovery requests answered 429.
    pub throttled: u32,
    pub catch_all: Option<CatchAll>,
    /// The budget or deadline ran out during discovery.
    pub exhausted: bool,
    /// Public OAuth2 client ids the site's scripts send with a password grant.
    pub client_ids: Vec<String>,
    /// Sign-in forms already taken (page title and field names).
    pub form_signatures: Vec<String>,
    /// Password-reset and registration candidates.
    pub flow_leads: Vec<super::flows::FlowLead>,
    /// Pages linked as reset or sign-up pages, with their flow, still to visit.
    pub flow_pages: Vec<(crate::report::Flow, Url)>,
    /// Links any page showed, with their depth from the start page, for the bounded walk.
    pub browse: Vec<(Url, u8)>,
    /// The depth of the page being read (links found on it are one deeper).
    pub depth: u8,
    /// Redirects met on the way to pages (their headers and cookies name products too).
    hops: Vec<(Url, Rc<Response>)>,
    /// Products the catalog recognised, most certain first.
    /// GraphQL endpoints the scripts name (`"/graphql/system"`).
    pub graphql_named: Vec<Url>,
    pub products: Vec<super::sources::catalog::Recognised>,
}

impl<'a> Discovering<'a> {
    pub fn new(scanner: &'a Scanner) -> Discovering<'a> {
        let mut base = scanner.cfg.target.clone();
        if !base.path().ends_with('/') {
            let p = format!("{}/", base.path());
            base.set_path(&p);
        }
        base.set_query(None);
        base.set_fragment(None);
        Discovering {
            scanner,
            base,
            fp: Fingerprint::new(),
            leads: Vec::new(),
            resolved: HashMap::new(),
            pages: HashMap::new(),
            prefetched: HashMap::new(),
            to_visit: Vec::new(),
            visited_links: HashSet::new(),
            scripts: Vec::new(),
            missing: Vec::new(),
            examples: Vec::new(),
            openapi: None,
            throttled: 0,
            catch_all: None,
            exhausted: false,
            client_ids: Vec::new(),
            form_signatures: Vec::new(),
            flow_leads: Vec::new(),
            flow_pages: Vec::new(),
            browse: Vec::new(),
            depth: 0,
            hops: Vec::new(),
            graphql_named: Vec::new(),
            products: Vec::new(),
        }
    }

    /// `path` under the base URL (`/login` under `http://h/app/` is `http://h/app/login`).
    pub fn under_base(&self, path: &str) -> Option<Url> {
        self.base.join(path.trim_start_matches('/')).ok()
    }

    /// Add a lead, keeping one per (method, URL) and one Basic/Digest space per scheme.
    pub fn push(&mut self, lead: Lead) {
        if let Lead::Known(s) = &lead {
            if matches!(s.kind, SurfaceKind::Basic | SurfaceKind::Digest) {
                if let Some(i) = self
                    .leads
                    .iter()
                    .position(|l| matches!(l, Lead::Known(o) if o.kind == s.kind))
                {
                    // The shorter path names the protection space better.
                    if let Lead::Known(o) = &self.leads[i] {
                        if s.url.path().len() < o.url.path().len()
                            && o.source != SurfaceSource::User
                        {
                            self.leads[i] = lead;
                        }
                    }
                    return;
                }
            }
        }
        let key = lead.key();
        if let Some(i) = self.leads.iter().position(|l| l.key() == key) {
            // A known shape beats a bare POST lead for the same URL.
            if matches!(self.leads[i], Lead::Post { .. }) && matches!(lead, Lead::Known(_)) {
                self.leads[i] = lead;
            }
            return;
        }
        self.leads.push(lead);
    }

    /// Add a reset or registration lead, one per (flow, URL); a declared shape beats a probed one.
    pub fn push_flow(&mut self, lead: super::flows::FlowLead) {
        self.scanner.progress.detail(&format!(
            "{} lead: {} ({})",
            lead.surface.flow.as_str(),
            lead.surface.label(),
            lead.surface.source.as_str()
        ));
        let same = |l: &super::flows::FlowLead| {
            l.surface.flow == lead.surface.flow && {
                let (mut a, mut b) = (l.surface.url.clone(), lead.surface.url.clone());
                a.set_query(None);
                b.set_query(None);
                a == b
            }
        };
        if let Some(i) = self.flow_leads.iter().position(same) {
            if lead.declared && !self.flow_leads[i].declared {
                self.flow_leads[i] = lead;
            }
            return;
        }
        self.flow_leads.push(lead);
    }

    /// GET `url`, following same-origin redirects through the cache: every hop and every final
    /// URL is fetched once per discovery (`resolved` maps a URL to its next hop, a final URL to
    /// itself). Budget or deadline exhaustion is an error; other failures are None.
    pub async fn fetch(&mut self, url: &Url) -> Result<Option<Page>, HttpError> {
        let mut current = url.clone();
        // A first hop to where every unknown path is sent marks the answer as the catch-all.
        let mut first_hop_catch_all = false;
        for hop in 0..=MAX_HOPS {
            match self.resolved.get(current.as_str()).cloned() {
                Some(None) => return Ok(None),
                Some(Some(next)) if next != current => {
                    first_hop_catch_all |= hop == 0 && self.is_catch_all_target(&next);
                    current = next;
                    continue;
                }
                Some(Some(_)) => {
                    let Some(resp) = self.pages.get(current.as_str()).cloned() else {
                        return Ok(None);
                    };
                    let catch_all = first_hop_catch_all || self.is_catch_all(&resp);
                    return Ok(Some(Page {
                        url: current,
                        resp,
                        seen_before: true,
                        catch_all,
                    }));
                }
                None => {}
            }
            let sent = match self.prefetched.remove(current.as_str()) {
                Some(r) => r,
                None => self.send(&Request::page(current.clone())).await?,
            };
            let resp = match sent {
                Some(r) => r,
                None => {
                    self.resolved.insert(current.to_string(), None);
                    return Ok(None);
                }
            };
            if resp.status == 429 {
                self.throttled += 1;
            }
            if let Some(n) = self.next_hop(&current, &resp).filter(|_| hop < MAX_HOPS) {
                self.fp.add(&resp);
                let mut small = resp.clone();
                small.shrink(HOP_CAP);
                self.hops.push((current.clone(), Rc::new(small)));
                first_hop_catch_all |= hop == 0 && self.is_catch_all_target(&n);
                self.resolved.insert(current.to_string(), Some(n.clone()));
                current = n;
                continue;
            }
            let resp = Rc::new(resp);
            self.resolved
                .insert(current.to_string(), Some(current.clone()));
            let catch_all = first_hop_catch_all || self.is_catch_all(&resp);
            // Keep a small copy: pages are read once, right after the fetch.
            let mut small = (*resp).clone();
            small.shrink(BODY_CAP);
            self.pages.insert(current.to_string(), Rc::new(small));
            return Ok(Some(Page {
                url: current,
                resp,
                seen_before: false,
                catch_all,
            }));
        }
        Ok(None)
    }

    /// GET these pages together (at most `--concurrency` in flight), so that the `fetch` of
    /// each is then answered at once; same-origin redirects among them are fetched ahead too.
    pub async fn prefetch(&mut self, urls: &[Url]) {
        let mut wanted: Vec<Url> = urls.to_vec();
        for _ in 0..=MAX_HOPS {
            let mut seen = HashSet::new();
            wanted.retain(|u| {
                !self.resolved.contains_key(u.as_str())
                    && !self.prefetched.contains_key(u.as_str())
                    && seen.insert(u.to_string())
            });
            if wanted.is_empty() || self.exhausted {
                return;
            }
            let reqs: Vec<Request> = wanted.iter().map(|u| Request::page(u.clone())).collect();
            let answers = self.send_all(&reqs).await;
            let mut next = Vec::new();
            for (url, answer) in wanted.iter().zip(answers) {
                // An exhausted budget is left for `fetch`, which meets it again and reports it.
                let Ok(answer) = answer else { continue };
                if let Some(resp) = &answer {
                    next.extend(self.next_hop(url, resp));
                }
                self.prefetched.insert(url.to_string(), answer);
            }
            wanted = next;
        }
    }

    /// Send these discovery requests together (at most `--concurrency` in flight); the answers
    /// come back in the order asked, as [`Discovering::send`] gives them.
    pub async fn send_all(&mut self, reqs: &[Request]) -> Vec<Result<Option<Response>, HttpError>> {
        let engine = &self.scanner.engine;
        let answers =
            futures_util::future::join_all(reqs.iter().map(|r| engine.send(r, None))).await;
        answers.into_iter().map(|a| self.answered(a)).collect()
    }

    /// Send one discovery request. Budget or deadline exhaustion marks discovery exhausted and
    /// is an error; any other failure (a reset, a timeout) is None.
    pub async fn send(&mut self, req: &Request) -> Result<Option<Response>, HttpError> {
        let answer = self.scanner.engine.send(req, None).await;
        self.answered(answer)
    }

    /// What a discovery request's outcome means: see [`Discovering::send`].
    fn answered(
        &mut self,
        answer: Result<Response, HttpError>,
    ) -> Result<Option<Response>, HttpError> {
        match answer {
            Ok(resp) => Ok(Some(resp)),
            Err(e) if e.is_exhaustion() => {
                self.exhausted = true;
                Err(e)
            }
            Err(_) => Ok(None),
        }
    }

    /// Where a redirect from `from` leads, when it stays on the target's origin.
    fn next_hop(&self, from: &Url, resp: &Response) -> Option<Url> {
        (300..400)
            .contains(&resp.status)
            .then(|| resp.header("location").and_then(|l| from.join(l).ok()))
            .flatten()
            .filter(|n| self.scanner.engine.same_origin(n) && n != from)
    }

    /// Every answer discovery has so far (pages, then redirects), with its URL.
    pub fn answers(&self) -> Vec<(Url, Rc<Response>)> {
        let mut out: Vec<(Url, Rc<Response>)> = self
            .pages
            .iter()
            .filter_map(|(u, r)| Url::parse(u).ok().map(|u| (u, r.clone())))
            .collect();
        out.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
        out.extend(self.hops.iter().cloned());
        out
    }

    /// Whether `url` was fetched already (or is waiting, fetched ahead).
    pub fn has_fetched(&self, url: &Url) -> bool {
        self.resolved.contains_key(url.as_str()) || self.prefetched.contains_key(url.as_str())
    }

    /// Where `url` leads through the cache (itself when it was not redirected or not fetched).
    pub fn final_url(&self, url: &Url) -> Url {
        let mut current = url.clone();
        for _ in 0..=MAX_HOPS {
            match self.resolved.get(current.as_str()) {
                Some(Some(next)) if *next != current => current = next.clone(),
                _ => break,
            }
        }
        current
    }

    /// Put a page fetched outside the cache (the start page) into it.
    pub fn remember(&mut self, requested: &Url, final_url: &Url, resp: &Response) {
        let mut small = resp.clone();
        small.shrink(BODY_CAP);
        self.resolved
            .insert(requested.to_string(), Some(final_url.clone()));
        self.resolved
            .insert(final_url.to_string(), Some(final_url.clone()));
        self.pages.insert(final_url.to_string(), Rc::new(small));
    }

    /// Learn the site's catch-all answer from a path that cannot exist.
    pub async fn learn_catch_all(&mut self) {
        let probe = format!(
            "keyhole-{}-absent",
            crate::scan::random_password()[..10].to_ascii_lowercase()
        );
        let Some(url) = self.under_base(&probe) else {
            return;
        };
        let Ok(Some(resp)) = self.send(&Request::page(url.clone())).await else {
            return;
        };
        self.fp.add(&resp);
        self.catch_all = match resp.status {
            300..=399 => resp
                .header("location")
                .map(|l| {
                    url.join(l)
                        .map(|u| u.path().to_string())
                        .unwrap_or_else(|_| l.to_string())
                })
                .map(CatchAll::Redirect),
            200..=299 => Some(CatchAll::Page {
                status: resp.status,
                len: resp.body.len(),
                title: page_title(&resp),
            }),
            _ => None,
        };
        if let Some(c) = &self.catch_all {
            self.scanner
                .progress
                .detail(&format!("unknown paths get the same answer: {c:?}"));
        }
    }

    /// Is `url` where the site sends every unknown path?
    fn is_catch_all_target(&self, url: &Url) -> bool {
        matches!(&self.catch_all, Some(CatchAll::Redirect(to)) if url.path() == to)
    }

    /// Is this answer, to a request for `url`, the site's catch-all (what any unknown path gets)?
    pub fn is_catch_all_answer(&self, url: &Url, resp: &Response) -> bool {
        if (300..400).contains(&resp.status) {
            return resp
                .header("location")
                .and_then(|l| url.join(l).ok())
                .is_some_and(|to| self.is_catch_all_target(&to));
        }
        self.is_catch_all(resp)
    }

    /// Is this final (not redirected) page the site's catch-all page?
    fn is_catch_all(&self, resp: &Response) -> bool {
        match &self.catch_all {
            None | Some(CatchAll::Redirect(_)) => false,
            Some(CatchAll::Page { status, len, title }) => {
                if resp.status != *status {
                    return false;
                }
                let l = resp.body.len();
                let close = l.abs_diff(*len) <= (*len / 20).max(64);
                close && page_title(resp) == *title
            }
        }
    }

    /// Read a page: fingerprint, challenge, forms, links, scripts. Returns whether it suggests a
    /// POST endpoint at its own URL (a JSON 4xx speaking of credentials, a 405…).
    pub fn inspect(&mut self, url: &Url, resp: &Response, source: SurfaceSource) -> bool {
        self.fp.add(resp);
        if challenge::read(self, url, resp, source) {
            return false;
        }
        if resp.is_html() {
            let found_form = html_pages::read(self, url, resp, source);
            javascript::collect_scripts(self, url, resp);
            if found_form || resp.status < 300 {
                return false;
            }
        }
        match resp.status {
            405 | 400 | 401 | 403 | 415 | 422 | 429 => true,
            200..=299 => {
                let ct = resp.content_type().to_ascii_lowercase();
                ct.contains("json")
                    && crate::analysis::classify::speaks_of_credentials(&resp.text())
            }
            _ => false,
        }
    }
}

/// The `<title>` of an HTML page (empty when none), for telling one fallback page from others.
pub fn page_title(resp: &Response) -> String {
    crate::analysis::text::title(&resp.text())
}
