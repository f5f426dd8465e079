//! HTML parsing for discovery: sign-in forms (a password input and its hidden fields) and links
//! that look like sign-in pages.
//!
//! Pages are parsed with `scraper` (html5ever), the same tree a browser builds. Form controls are
//! assigned to forms the way a browser does it: the `form="id"` attribute wins, otherwise the
//! nearest `<form>` ancestor; controls that the parser moved out of a form opened inside a table
//! (`<table><form><tr>…`) are given back to that form. Content of `<template>` elements is ignored.
//!
//! Nothing here panics on hostile markup: every attribute and URL is treated as untrusted.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use regex::Regex;
use scraper::{ElementRef, Html};
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
    /// The account input asks for an e-mail address (`type="email"`, `autocomplete="email"`).
    pub username_is_email: bool,
    /// Name of the password input.
    pub password_field: String,
    /// Hidden inputs (CSRF tokens and the like), name and value, in document order.
    pub hidden: Vec<(String, String)>,
    /// Other named inputs with their default values (checkboxes that are checked, submit buttons…).
    pub other: Vec<(String, String)>,
}

/// Default `enctype` of a form.
pub const DEFAULT_ENCTYPE: &str = "application/x-www-form-urlencoded";

/// Every sign-in form on the page, in document order.
///
/// A form qualifies when it owns an `<input type=password>` (type compared case-insensitively)
/// with a non-empty `name`; a password input outside any form is ignored.
///
/// **Sign-up, password-change and reset forms are skipped, not returned**: a form with two or more
/// password inputs (password + confirmation, or current + new), a form whose `name`, `id`,
/// `class` or action path says register / registration / signup / sign-up / sign_up / reset /
/// forgot / create-account / change-password (unless the same attributes also say login / sign
/// in), or a form whose submit buttons say "sign up" / "register" / "create account" without
/// saying "log in" / "sign in". Spraying such a form would create accounts or send reset mails
/// and never test sign-in.
///
/// Field rules:
/// * `action`: the default submit button's `formaction`, else the form's `action`, resolved
///   against `<base href>` (or the page URL); an empty or missing action is the page URL; a
///   non-HTTP(S) action (`javascript:…`) is also replaced by the page URL; the fragment is
///   stripped.
/// * `method`: the default button's `formmethod`, else the form's `method`, trimmed and
///   upper-cased as written (a `method="put"` stays `PUT`); missing or empty means `GET`.
/// * `enctype`: same precedence, lower-cased, default [`DEFAULT_ENCTYPE`].
/// * `password_field`: name of the first password input that has a name.
/// * `username_field`: among named, non-hidden text-like inputs (type text, email, tel, missing
///   or unknown), the one that best hints at the account — `autocomplete` username/email first,
///   then `type=email`, then a name or id containing user / email / mail / login / account /
///   identifier (ignoring names with captcha / otp / code / token / search); the earliest wins
///   a tie. Without any hint: the first text-like input before the password input. `None` if there
///   is none.
/// * `hidden`: every named `<input type=hidden>` that is not disabled, value or "".
/// * `other`: what a browser would also submit, in document order: other named text-like
///   inputs with their `value` (or ""), checked checkboxes and radios (value default "on"),
///   `<select>` values (selected options, else the first enabled option), `<textarea>` content,
///   and the form's default submit button — the first `<button>` (type submit or missing) or
///   `<input type=submit>` in the form — when it has a name (value or ""). Disabled controls,
///   file/image/reset/button inputs, and the username and password fields are left out.
pub fn login_forms(html: &str, page_url: &Url) -> Vec<LoginForm> {
    let doc = Html::parse_document(html);
    let ix = DocIndex::new(&doc);
    let page = without_fragment(page_url);
    let base = base_url(&ix, &page);
    let (forms, _) = collect_forms(&ix);
    forms
        .iter()
        .filter_map(|f| build_login_form(f, &page, &base))
        .collect()
}

/// Same-origin links (a href, and form actions without password input) whose path or text suggests a
/// sign-in page ("login", "sign in", "log in", "auth", "session", …), absolute, deduplicated.
///
/// * Sources, in document order: `<a href>` and `<area href>`, and the actions of forms that
///   have no password input (e.g. a "Sign in" button form posting to `/login`).
/// * Same origin = same scheme, host and port as `page_url`; only http and https.
/// * A link qualifies when its path says login / log-in / log_in / logon / signin / sign-in /
///   sign_in (camelCase split, so `/Account/LogOn` and `/signInPage` count) or auth /
///   authenticate / authentication / session(s) / sso as a whole path word; or its query says
///   one of the sign-in words (`index.php?action=login`); or its text (with `aria-label` and
///   `title`) says log in / login / sign in / log on.
/// * Excluded: a path or query that says logout / log-off / signout / sign-off / signup /
///   sign-up / register / registration / forgot / reset / recover / lost-password / unlock /
///   confirmation / create-account (query values that are paths or URLs, like
///   `?next=/logout`, are not read); and, for links found by their text only, text that says
///   log out / sign out / forgot / reset / recover / unlock / confirmation. A
///   "Login / Register" link to `/account` is kept.
/// * Fragments are stripped, duplicates dropped (first occurrence kept), the page itself left
///   out.
pub fn login_links(html: &str, page_url: &Url) -> Vec<Url> {
    let doc = Html::parse_document(html);
    let ix = DocIndex::new(&doc);
    let page = without_fragment(page_url);
    let base = base_url(&ix, &page);
    let (forms, form_no) = collect_forms(&ix);

    let mut out: Vec<Url> = Vec::new();
    let mut seen: HashSet<Url> = HashSet::new();
    let mut consider = |url: Url, text: &str| {
        let url = without_fragment(&url);
        if url == page || !same_origin(&url, &page) || seen.contains(&url) {
            return;
        }
        if link_looks_like_sign_in(&url, text) {
            seen.insert(url.clone());
            out.push(url);
        }
    };

    for (i, &el) in ix.all.iter().enumerate() {
        match el.value().name() {
            "a" | "area" => {
                if ix.in_template[i] {
                    continue;
                }
                let Some((url, mut text)) = link_of(el, &base) else {
                    continue;
                };
                for attr in ["aria-label", "title"] {
                    if let Some(v) = el.value().attr(attr) {
                        text.push(' ');
                        text.push_str(v);
                    }
                }
                consider(url, &text);
            }
            "form" => {
                let Some(form) = form_no[i].and_then(|f| forms.get(f)) else {
                    continue;
                };
                if form.controls.iter().any(|c| is_password_input(*c)) {
                    continue;
                }
                let Some(action) = el.value().attr("action") else {
                    continue;
                };
                if action.trim().is_empty() {
                    continue;
                }
                let Ok(url) = base.join(action) else {
                    continue;
                };
                let text = submit_texts(&form.controls);
                consider(url, &text);
            }
            _ => {}
        }
    }
    out
}

/// Same-origin links a person browsing the site would follow (any link text), for discovery's
/// bounded walk: never one that looks like it changes state (log out, delete, reset, start
/// over, switch mode, unsubscribe …), never a static asset, never a page's own URL.
pub fn browse_links(html: &str, page_url: &Url) -> Vec<Url> {
    let doc = Html::parse_document(html);
    let ix = DocIndex::new(&doc);
    let page = without_fragment(page_url);
    let base = base_url(&ix, &page);
    let mut out: Vec<Url> = Vec::new();
    let mut seen: HashSet<Url> = HashSet::new();
    for (i, &el) in ix.all.iter().enumerate() {
        if !matches!(el.value().name(), "a" | "area") || ix.in_template[i] {
            continue;
        }
        // An in-page fragment (`#top`, which a `<base href>` would resolve elsewhere) or a
        // script is no page to visit.
        let href = el.value().attr("href").unwrap_or("").trim();
        if href.starts_with('#') || href.to_ascii_lowercase().starts_with("javascript:") {
            continue;
        }
        let Some((url, text)) = link_of(el, &base) else {
            continue;
        };
        let url = without_fragment(&url);
        if url == page || !same_origin(&url, &page) || seen.contains(&url) {
            continue;
        }
        if !safe_to_browse(&url, &text) {
            continue;
        }
        seen.insert(url.clone());
        out.push(url);
    }
    out
}

/// Where a link (`<a>`, `<area>`) leads, resolved against the page's base, and its text.
fn link_of(el: ElementRef<'_>, base: &Url) -> Option<(Url, String)> {
    let url = base.join(el.value().attr("href")?).ok()?;
    Some((url, collapse_ws(&el.text().collect::<String>())))
}

/// Whether following a link leaves the site as it was: a GET link whose path, query or text
/// names an action (real applications put log out, delete and "start over" behind plain
/// links) or a static file is not browsed.
pub fn safe_to_browse(url: &Url, text: &str) -> bool {
    let path = normalise(&url.path().replace("%20", " "));
    let query = normalise(url.query().unwrap_or(""));
    let text = normalise(text);
    if hits(state_change_re(), &path)
        || hits(state_change_re(), &query)
        || hits(state_change_re(), &text)
    {
        return false;
    }
    !hits(asset_re(), &path)
}

/// Words of links that change state when followed.
fn state_change_re() -> Option<&'static Regex> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    cached(
        &RE,
        r"log[-_ ]?(?:out|off)|sign[-_ ]?(?:out|off)|(?:^|[^a-z])(?:delete|remove|destroy|drop|purge|erase|wipe|clear|reset|revoke|disable|enable|deactivate|activate|unsubscribe|subscribe|approve|reject|ban|kick|restart|reboot|shutdown|shut[-_ ]?down|install|uninstall|upgrade|update|rollback|revert|undo|trash|archive|lock|unlock|start[-_ ]?over|switch|toggle|set[-_ ]?(?:lang|locale|theme|mode)|mark[-_ ]?(?:as|all)|vote|like|follow|unfollow|confirm|verify|do[-_ ]?action|action=|token=|nonce=|csrf|edit|save|submit|create|add|new|upload|import|export|download|run|execute|exec|stop|kill|flush|rebuild|regenerate|send)(?:[^a-z]|$)",
    )
}

/// Static files: nothing to read for sign-ins.
fn asset_re() -> Option<&'static Regex> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    cached(
        &RE,
        r"\.(?:css|js|mjs|map|png|jpe?g|gif|svg|ico|webp|bmp|woff2?|ttf|eot|otf|pdf|zip|gz|tgz|bz2|xz|tar|7z|rar|mp[34]|webm|ogg|wav|avi|mov|exe|dmg|deb|rpm|iso|txt|xml|rss|atom|json|csv)$",
    )
}

// ---------------------------------------------------------------------------------------------
// Forms and their controls
// ---------------------------------------------------------------------------------------------

/// The document's elements in tree order with what we need to know about their context,
/// computed in one pass (no per-element ancestor walks: hostile pages can nest deeply).
struct DocIndex<'a> {
    all: Vec<ElementRef<'a>>,
    /// Index of the nearest element ancestor.
    parent: Vec<Option<usize>>,
    /// Index of the last descendant (the element itself when it has none).
    subtree_end: Vec<usize>,
    /// Inside a `<template>`.
    in_template: Vec<bool>,
    /// Index of the nearest `<form>` ancestor.
    form_ancestor: Vec<Option<usize>>,
}

impl<'a> DocIndex<'a> {
    fn new(doc: &'a Html) -> DocIndex<'a> {
        let all: Vec<ElementRef<'a>> = doc
            .tree
            .root()
            .descendants()
            .filter_map(ElementRef::wrap)
            .collect();
        let position: HashMap<_, usize> =
            all.iter().enumerate().map(|(i, e)| (e.id(), i)).collect();
        let n = all.len();
        let mut parent = Vec::with_capacity(n);
        let mut in_template = Vec::with_capacity(n);
        let mut form_ancestor = Vec::with_capacity(n);
        for el in &all {
            // Template contents hang under a fragment node: skip non-element ancestors.
            let p = el
                .ancestors()
                .find_map(ElementRef::wrap)
                .and_then(|a| position.get(&a.id()).copied());
            let (t, f) = match p {
                Some(p) => {
                    let name = all[p].value().name();
                    (
                        in_template[p] || name == "template",
                        if name == "form" {
                            Some(p)
                        } else {
                            form_ancestor[p]
                        },
                    )
                }
                None => (false, None),
            };
            parent.push(p);
            in_template.push(t);
            form_ancestor.push(f);
        }
        let mut subtree_end: Vec<usize> = (0..n).collect();
        for i in (0..n).rev() {
            if let Some(p) = parent[i] {
                subtree_end[p] = subtree_end[p].max(subtree_end[i]);
            }
        }
        DocIndex {
            all,
            parent,
            subtree_end,
            in_template,
            form_ancestor,
        }
    }

    fn name(&self, i: usize) -> &str {
        self.all[i].value().name()
    }

    fn is_descendant(&self, i: usize, ancestor: usize) -> bool {
        ancestor < i && i <= self.subtree_end[ancestor]
    }
}

/// A form element and the controls it owns, in document order.
struct FormInfo<'a> {
    el: ElementRef<'a>,
    controls: Vec<ElementRef<'a>>,
}

fn is_control(el: ElementRef<'_>) -> bool {
    matches!(
        el.value().name(),
        "input" | "button" | "select" | "textarea"
    )
}

fn is_disabled(el: ElementRef<'_>) -> bool {
    el.value().attr("disabled").is_some()
}

/// Forms of the document (outside templates) with the controls that belong to them; the second
/// vector maps an element index to its form number.
fn collect_forms<'a>(ix: &DocIndex<'a>) -> (Vec<FormInfo<'a>>, Vec<Option<usize>>) {
    let n = ix.all.len();
    let mut form_no: Vec<Option<usize>> = vec![None; n];
    let mut forms: Vec<FormInfo<'a>> = Vec::new();
    for (i, slot) in form_no.iter_mut().enumerate() {
        if ix.name(i) == "form" && !ix.in_template[i] {
            *slot = Some(forms.len());
            forms.push(FormInfo {
                el: ix.all[i],
                controls: Vec::new(),
            });
        }
    }
    if forms.is_empty() {
        return (forms, form_no);
    }
    // Targets of form="id": the first element with that id.
    let mut by_id: HashMap<&str, usize> = HashMap::new();
    for (i, el) in ix.all.iter().enumerate() {
        if let Some(id) = el.value().id() {
            by_id.entry(id).or_insert(i);
        }
    }

    // A form opened inside a table is left empty by the parser, its controls following it inside
    // the table. Track the latest such form (and its container) while walking.
    let mut table_form: Option<(usize, usize)> = None;
    for i in 0..n {
        if let Some(f) = form_no[i] {
            let el = ix.all[i];
            let empty = el.children().all(|c| !c.value().is_element());
            table_form = ix.parent[i]
                .filter(|&p| {
                    empty && matches!(ix.name(p), "table" | "tbody" | "thead" | "tfoot" | "tr")
                })
                .map(|p| (f, p));
            continue;
        }
        let el = ix.all[i];
        if !is_control(el) || ix.in_template[i] {
            continue;
        }
        let owner = if let Some(target) = el.value().attr("form") {
            // The form attribute names the owner by id; if that is not a form, there is no owner.
            by_id.get(target).and_then(|&t| form_no[t])
        } else if let Some(a) = ix.form_ancestor[i] {
            form_no[a]
        } else {
            table_form
                .filter(|&(_, container)| ix.is_descendant(i, container))
                .map(|(f, _)| f)
        };
        if let Some(f) = owner {
            forms[f].controls.push(el);
        }
    }
    (forms, form_no)
}

/// Normalised `type` of an input: the spec's keyword, "text" when missing or unknown.
fn input_type(el: ElementRef<'_>) -> String {
    const KNOWN: &[&str] = &[
        "hidden",
        "text",
        "search",
        "tel",
        "url",
        "email",
        "password",
        "date",
        "month",
        "week",
        "time",
        "datetime-local",
        "number",
        "range",
        "color",
        "checkbox",
        "radio",
        "file",
        "submit",
        "image",
        "reset",
        "button",
    ];
    let t = el
        .value()
        .attr("type")
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if KNOWN.contains(&t.as_str()) {
        t
    } else {
        "text".to_string()
    }
}

fn is_input(el: ElementRef<'_>) -> bool {
    el.value().name() == "input"
}

fn is_password_input(el: ElementRef<'_>) -> bool {
    is_input(el) && input_type(el) == "password"
}

/// Text-like inputs that can take an account name.
fn is_text_like(el: ElementRef<'_>) -> bool {
    is_input(el) && matches!(input_type(el).as_str(), "text" | "email" | "tel")
}

fn is_submit_button(el: ElementRef<'_>) -> bool {
    match el.value().name() {
        "input" => input_type(el) == "submit",
        "button" => {
            let t = el
                .value()
                .attr("type")
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            // Missing or invalid type is a submit button.
            !matches!(t.as_str(), "button" | "reset")
        }
        _ => false,
    }
}

/// Non-empty `name` attribute.
fn name_of(el: ElementRef<'_>) -> Option<&str> {
    el.value().attr("name").filter(|n| !n.is_empty())
}

/// Where and how a form submits, as a browser would: the default submit button's
/// `formaction` / `formmethod` / `formenctype`, else the form's own attributes; the action
/// resolved against the base URL (the page URL when missing, empty or not HTTP(S), fragment
/// stripped), the method upper-cased (GET when missing). None when the action does not parse.
fn form_target<'a>(
    form: &FormInfo<'a>,
    page: &Url,
    base: &Url,
) -> Option<(Url, String, String, Option<ElementRef<'a>>)> {
    let submitter = form.controls.iter().copied().find(|c| is_submit_button(*c));
    let attr_of = |button_attr: &str, form_attr: &str| -> Option<String> {
        submitter
            .and_then(|b| b.value().attr(button_attr))
            .filter(|v| !v.trim().is_empty())
            .or_else(|| form.el.value().attr(form_attr))
            .map(|v| v.trim().to_string())
    };
    let action = match attr_of("formaction", "action") {
        Some(a) if !a.is_empty() => match base.join(&a) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => without_fragment(&u),
            Ok(_) => page.clone(),
            // A browser would not submit a form whose action does not parse.
            Err(_) => return None,
        },
        _ => page.clone(),
    };
    let method = attr_of("formmethod", "method")
        .filter(|m| !m.is_empty())
        .map(|m| m.to_ascii_uppercase())
        .unwrap_or_else(|| "GET".to_string());
    let enctype = attr_of("formenctype", "enctype")
        .filter(|e| !e.is_empty())
        .map(|e| e.to_ascii_lowercase())
        .unwrap_or_else(|| DEFAULT_ENCTYPE.to_string());
    Some((action, method, enctype, submitter))
}

fn build_login_form(form: &FormInfo<'_>, page: &Url, base: &Url) -> Option<LoginForm> {
    let passwords: Vec<ElementRef<'_>> = form
        .controls
        .iter()
        .copied()
        .filter(|c| is_password_input(*c))
        .collect();
    let password_el = passwords.iter().copied().find(|p| name_of(*p).is_some())?;
    let password_field = name_of(password_el)?.to_string();

    let (action, method, enctype, submitter) = form_target(form, page, base)?;

    if looks_like_sign_up(form, passwords.len(), &action) {
        return None;
    }

    let username_el = pick_username(&form.controls, password_el);
    let username_field = username_el.and_then(name_of).map(str::to_string);
    let username_is_email = username_el.is_some_and(|el| {
        input_type(el) == "email"
            || el
                .value()
                .attr("autocomplete")
                .unwrap_or("")
                .to_ascii_lowercase()
                .split_ascii_whitespace()
                .any(|t| t == "email")
    });

    let mut hidden = Vec::new();
    let mut other = Vec::new();
    for &c in &form.controls {
        if c == password_el || Some(c) == username_el || is_disabled(c) {
            continue;
        }
        let Some(name) = name_of(c) else {
            continue;
        };
        let name = name.to_string();
        let value_attr = || c.value().attr("value").unwrap_or("").to_string();
        match c.value().name() {
            "input" => match input_type(c).as_str() {
                "hidden" => hidden.push((name, value_attr())),
                "password" | "file" | "image" | "reset" | "button" => {}
                "checkbox" | "radio" => {
                    if c.value().attr("checked").is_some() {
                        let v = c.value().attr("value").unwrap_or("on").to_string();
                        other.push((name, v));
                    }
                }
                "submit" => {
                    if Some(c) == submitter {
                        other.push((name, value_attr()));
                    }
                }
                _ => other.push((name, value_attr())),
            },
            "button" if Some(c) == submitter => other.push((name, value_attr())),
            "select" => {
                for v in select_values(c) {
                    other.push((name.clone(), v));
                }
            }
            "textarea" => other.push((name, c.text().collect::<String>())),
            _ => {}
        }
    }

    Some(LoginForm {
        action,
        method,
        enctype,
        username_field,
        username_is_email,
        password_field,
        hidden,
        other,
    })
}

/// Values a `<select>` submits by default.
fn select_values(select: ElementRef<'_>) -> Vec<String> {
    let options: Vec<ElementRef<'_>> = select
        .descendants()
        .filter_map(ElementRef::wrap)
        .filter(|e| e.value().name() == "option")
        .collect();
    let option_value = |o: ElementRef<'_>| -> String {
        match o.value().attr("value") {
            Some(v) => v.to_string(),
            None => collapse_ws(&o.text().collect::<String>()),
        }
    };
    let selected: Vec<ElementRef<'_>> = options
        .iter()
        .copied()
        .filter(|o| o.value().attr("selected").is_some() && !is_disabled(*o))
        .collect();
    if select.value().attr("multiple").is_some() {
        return selected.into_iter().map(option_value).collect();
    }
    // Single select: the last option marked selected wins, else the first enabled option.
    selected
        .last()
        .copied()
        .or_else(|| options.iter().copied().find(|o| !is_disabled(*o)))
        .map(|o| vec![option_value(o)])
        .unwrap_or_default()
}

/// How strongly an input hints that it takes the account name (0 = no hint).
fn username_score(el: ElementRef<'_>) -> u8 {
    let attr = |a: &str| el.value().attr(a).unwrap_or("").to_ascii_lowercase();
    let autocomplete = attr("autocomplete");
    if autocomplete
        .split_ascii_whitespace()
        .any(|t| t == "username" || t == "email")
    {
        return 3;
    }
    if input_type(el) == "email" {
        return 2;
    }
    const HINTS: &[&str] = &["user", "mail", "login", "account", "identifier", "uname"];
    const NOT: &[&str] = &["captcha", "otp", "code", "token", "search"];
    let hinted = [attr("name"), attr("id")]
        .iter()
        .any(|s| HINTS.iter().any(|h| s.contains(h)) && !NOT.iter().any(|n| s.contains(n)));
    u8::from(hinted)
}

fn pick_username<'a>(
    controls: &[ElementRef<'a>],
    password_el: ElementRef<'a>,
) -> Option<ElementRef<'a>> {
    let is_candidate = |c: &ElementRef<'a>| is_text_like(*c) && name_of(*c).is_some();
    let mut best: Option<(u8, ElementRef<'a>)> = None;
    for c in controls.iter().filter(|c| is_candidate(c)) {
        let s = username_score(*c);
        if s > 0 && !matches!(best, Some((b, _)) if b >= s) {
            best = Some((s, *c));
        }
    }
    if let Some((_, el)) = best {
        return Some(el);
    }
    // No hint: the first text-like input before the password input.
    controls
        .iter()
        .take_while(|c| **c != password_el)
        .find(|c| is_candidate(c))
        .copied()
}

/// Text of the submit buttons of a set of controls (button text and input values).
fn submit_texts(controls: &[ElementRef<'_>]) -> String {
    let mut text = String::new();
    for &c in controls.iter().filter(|c| is_submit_button(**c)) {
        let t = if c.value().name() == "button" {
            c.text().collect::<String>()
        } else {
            c.value().attr("value").unwrap_or("").to_string()
        };
        text.push(' ');
        text.push_str(&t);
        if let Some(l) = c.value().attr("aria-label") {
            text.push(' ');
            text.push_str(l);
        }
    }
    collapse_ws(&text)
}

fn looks_like_sign_up(form: &FormInfo<'_>, password_inputs: usize, action: &Url) -> bool {
    if password_inputs >= 2 {
        return true;
    }
    let attrs = ["name", "id", "class"]
        .iter()
        .filter_map(|a| form.el.value().attr(a))
        .chain(std::iter::once(action.path()))
        .collect::<Vec<_>>()
        .join(" ");
    let attrs = normalise(&attrs);
    if hits(sign_up_form_re(), &attrs) && !hits(sign_in_re(), &attrs) {
        return true;
    }
    let buttons = normalise(&submit_texts(&form.controls));
    hits(sign_up_form_re(), &buttons) && !hits(sign_in_re(), &buttons)
}

// ---------------------------------------------------------------------------------------------
// Account-flow forms and links (password reset, registration)
// ---------------------------------------------------------------------------------------------

/// A password-reset or registration form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowForm {
    pub flow: crate::report::Flow,
    pub action: Url,
    pub method: String,
    /// The field that takes the account (e-mail or username).
    pub identifier_field: String,
    pub identifier_is_email: bool,
    /// Registration: the (first) new-password input.
    pub password_field: Option<String>,
    pub hidden: Vec<(String, String)>,
    /// What else the form submits. For registration, every text-like input and every further
    /// password input is sent empty (a probe must fail validation for a reason other than the
    /// identifier); checkboxes, selects and the submit button keep their defaults.
    pub other: Vec<(String, String)>,
}

/// Password-reset and registration forms of a page, in document order (POST forms only: a GET
/// form does not change anything on the server).
///
/// * Reset: no password input, an account input, and the form (its name, id, class, action or
///   submit text) or the page's own address says forgot / reset / recover / lost password.
/// * Registration: a password input, an account input, and the form or the page says sign up /
///   register / create account, or the form has two password inputs and none for the current
///   password (a change-password form asks for the old one).
pub fn flow_forms(html: &str, page_url: &Url) -> Vec<FlowForm> {
    use crate::report::Flow;
    let doc = Html::parse_document(html);
    let ix = DocIndex::new(&doc);
    let page = without_fragment(page_url);
    let base = base_url(&ix, &page);
    let (forms, _) = collect_forms(&ix);
    let page_words = normalise(&format!(
        "{} {}",
        page.path().replace("%20", " "),
        page.query().unwrap_or("")
    ));
    let mut out = Vec::new();
    for form in &forms {
        let Some((action, method, _, submitter)) = form_target(form, &page, &base) else {
            continue;
        };
        if method != "POST" || !same_origin(&action, &page) {
            continue;
        }
        let passwords: Vec<ElementRef<'_>> = form
            .controls
            .iter()
            .copied()
            .filter(|c| is_password_input(*c) && name_of(*c).is_some() && !is_disabled(*c))
            .collect();
        let words = normalise(&format!(
            "{} {} {} {}",
            ["name", "id", "class"]
                .iter()
                .filter_map(|a| form.el.value().attr(a))
                .collect::<Vec<_>>()
                .join(" "),
            action.path(),
            action.query().unwrap_or(""),
            submit_texts(&form.controls)
        ));
        let says = |re: Option<&Regex>| hits(re, &words) || hits(re, &page_words);
        let current_password = passwords.iter().any(|p| {
            let n = normalise(&format!(
                "{} {}",
                name_of(*p).unwrap_or(""),
                p.value().attr("autocomplete").unwrap_or("")
            ));
            n.contains("old") || n.contains("current")
        });
        let flow = if passwords.is_empty() {
            if !says(reset_re()) {
                continue;
            }
            Flow::PasswordReset
        } else if !current_password
            && ((says(sign_up_form_re())
                && !hits(reset_re(), &words)
                && !hits(sign_in_re(), &words))
                || passwords.len() >= 2)
        {
            Flow::Registration
        } else {
            continue;
        };
        // The account input: the best-hinted text-like input (e-mail or username).
        let candidates: Vec<ElementRef<'_>> = form
            .controls
            .iter()
            .copied()
            .filter(|c| is_text_like(*c) && name_of(*c).is_some() && !is_disabled(*c))
            .collect();
        let mut best: Option<(u8, ElementRef<'_>)> = None;
        for c in &candidates {
            let sc = username_score(*c);
            if sc > 0 && !matches!(best, Some((b, _)) if b >= sc) {
                best = Some((sc, *c));
            }
        }
        let Some(id_el) = best
            .map(|(_, e)| e)
            .or_else(|| (candidates.len() == 1).then(|| candidates[0]))
        else {
            continue;
        };
        let identifier_field = name_of(id_el).unwrap_or("").to_string();
        let identifier_is_email = input_type(id_el) == "email"
            || id_el
                .value()
                .attr("autocomplete")
                .unwrap_or("")
                .to_ascii_lowercase()
                .split_ascii_whitespace()
                .any(|t| t == "email");
        let password_field = passwords
            .first()
            .and_then(|p| name_of(*p))
            .map(str::to_string);
        let mut hidden = Vec::new();
        let mut other = Vec::new();
        for &c in &form.controls {
            if c == id_el || is_disabled(c) {
                continue;
            }
            let Some(name) = name_of(c) else { continue };
            if Some(name) == password_field.as_deref() {
                continue;
            }
            let name = name.to_string();
            let value_attr = || c.value().attr("value").unwrap_or("").to_string();
            let register = flow == Flow::Registration;
            match c.value().name() {
                "input" => match input_type(c).as_str() {
                    "hidden" => hidden.push((name, value_attr())),
                    "password" => other.push((name, String::new())),
                    "file" | "image" | "reset" | "button" => {}
                    "checkbox" | "radio" => {
                        if c.value().attr("checked").is_some() {
                            other.push((name, c.value().attr("value").unwrap_or("on").to_string()));
                        }
                    }
                    "submit" => {
                        if Some(c) == submitter {
                            other.push((name, value_attr()));
                        }
                    }
                    _ if register => other.push((name, String::new())),
                    _ => other.push((name, value_attr())),
                },
                "button" if Some(c) == submitter => other.push((name, value_attr())),
                "select" => {
                    for v in select_values(c) {
                        other.push((name.clone(), v));
                    }
                }
                "textarea" => other.push((name, String::new())),
                _ => {}
            }
        }
        out.push(FlowForm {
            flow,
            action,
            method,
            identifier_field,
            identifier_is_email,
            password_field,
            hidden,
            other,
        });
    }
    out
}

/// Same-origin links to a password-reset or registration page ("Forgot your password?",
/// "Create account", `/accounts/signup/`, `?do=resendpwd`), absolute, deduplicated, with the
/// flow they lead to.
pub fn flow_links(html: &str, page_url: &Url) -> Vec<(crate::report::Flow, Url)> {
    use crate::report::Flow;
    let doc = Html::parse_document(html);
    let ix = DocIndex::new(&doc);
    let page = without_fragment(page_url);
    let base = base_url(&ix, &page);
    let mut out: Vec<(Flow, Url)> = Vec::new();
    for (i, &el) in ix.all.iter().enumerate() {
        if !matches!(el.value().name(), "a" | "area") || ix.in_template[i] {
            continue;
        }
        let Some(href) = el.value().attr("href") else {
            continue;
        };
        let Ok(url) = base.join(href) else { continue };
        let url = without_fragment(&url);
        if url == page || !same_origin(&url, &page) || out.iter().any(|(_, u)| *u == url) {
            continue;
        }
        let mut text = collapse_ws(&el.text().collect::<String>());
        for attr in ["aria-label", "title"] {
            if let Some(v) = el.value().attr(attr) {
                text.push(' ');
                text.push_str(v);
            }
        }
        let words = normalise(&format!(
            "{} {} {}",
            url.path().replace("%20", " "),
            query_words(&url),
            text
        ));
        if hits(logout_re(), &words) {
            continue;
        }
        if hits(reset_re(), &words) {
            out.push((Flow::PasswordReset, url));
        } else if hits(sign_up_link_re(), &words) {
            out.push((Flow::Registration, url));
        }
    }
    out
}

/// Words of a password-reset page, form or link.
fn reset_re() -> Option<&'static Regex> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    cached(
        &RE,
        r"forgot|(?:^|[^a-z])reset|recover|lost[-_ ]?pass|resendpwd|send[-_ ]?(?:me[-_ ]?)?(?:a[-_ ]?)?(?:new[-_ ]?)?pass",
    )
}

/// Links that end a session.
fn logout_re() -> Option<&'static Regex> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    cached(&RE, r"log[-_ ]?(?:out|off)|sign[-_ ]?(?:out|off)")
}

// ---------------------------------------------------------------------------------------------
// Links
// ---------------------------------------------------------------------------------------------

/// A link's query keys and values as words, leaving out values that are themselves paths or
/// URLs: `/login?next=/logout` is a sign-in link, `/page?return=/login` is not.
fn query_words(url: &Url) -> String {
    url.query_pairs()
        .flat_map(|(k, v)| {
            let keep_value = !(v.starts_with('/') || v.contains("://"));
            [Some(k.into_owned()), keep_value.then(|| v.into_owned())]
        })
        .flatten()
        .collect::<Vec<_>>()
        .join(" ")
}

fn link_looks_like_sign_in(url: &Url, text: &str) -> bool {
    let path = normalise(&url.path().replace("%20", " "));
    let query = normalise(&query_words(url));
    let text = normalise(text);

    let excluded = |s: &str| hits(exclude_re(), s) || hits(sign_up_link_re(), s);
    if excluded(&path) || excluded(&query) {
        return false;
    }
    if hits(sign_in_re(), &path) || hits(auth_path_re(), &path) || hits(sign_in_re(), &query) {
        return true;
    }
    hits(sign_in_re(), &text) && !hits(exclude_re(), &text)
}

// ---------------------------------------------------------------------------------------------
// Words
// ---------------------------------------------------------------------------------------------

/// Split camelCase (`logIn` → `log-in`), then lower-case.
fn normalise(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    let mut prev_lower = false;
    for ch in s.chars() {
        if ch.is_ascii_uppercase() && prev_lower {
            out.push('-');
        }
        prev_lower = ch.is_ascii_lowercase() || ch.is_ascii_digit();
        out.push(ch.to_ascii_lowercase());
    }
    out
}

fn collapse_ws(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn hits(re: Option<&Regex>, s: &str) -> bool {
    re.is_some_and(|r| r.is_match(s))
}

fn cached(cell: &'static OnceLock<Option<Regex>>, pattern: &str) -> Option<&'static Regex> {
    cell.get_or_init(|| Regex::new(pattern).ok()).as_ref()
}

/// log in / login / log-in / log_in / logon / log on / sign in / signin / sign-in / sign_in, as
/// whole words.
fn sign_in_re() -> Option<&'static Regex> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    cached(
        &RE,
        r"(?:^|[^a-z])(?:log[-_ ]?(?:in|on)|sign[-_ ]?in)(?:[^a-z]|$)",
    )
}

/// Path words that name an authentication endpoint.
fn auth_path_re() -> Option<&'static Regex> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    cached(
        &RE,
        r"(?:^|[^a-z])(?:auth|authenticate|authentication|sessions?|sso)(?:[^a-z]|$)",
    )
}

/// Links that end a session or recover an account.
fn exclude_re() -> Option<&'static Regex> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    cached(
        &RE,
        r"log[-_ ]?(?:out|off)|sign[-_ ]?(?:out|off)|forgot|reset|recover|lost[-_ ]?password|unlock|confirmation",
    )
}

/// Links to registration.
fn sign_up_link_re() -> Option<&'static Regex> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    cached(
        &RE,
        r"sign[-_ ]?up|register|registration|create[-_ ]?(?:an[-_ ]?)?account",
    )
}

/// Forms that register, reset or change a password.
fn sign_up_form_re() -> Option<&'static Regex> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    cached(
        &RE,
        r"sign[-_ ]?up|regist(?:er|ration)|create[-_ ]?(?:an[-_ ]?)?account|new[-_ ]?account|forgot|reset|(?:change|new)[-_ ]?password",
    )
}

// ---------------------------------------------------------------------------------------------
// URLs
// ---------------------------------------------------------------------------------------------

fn without_fragment(u: &Url) -> Url {
    let mut u = u.clone();
    u.set_fragment(None);
    u
}

/// Base URL for relative references: the first `<base href>`, resolved against the page URL,
/// when it is HTTP(S); otherwise the page URL.
fn base_url(ix: &DocIndex<'_>, page: &Url) -> Url {
    ix.all
        .iter()
        .find(|e| e.value().name() == "base" && e.value().attr("href").is_some())
        .and_then(|e| e.value().attr("href"))
        .and_then(|href| page.join(href).ok())
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .unwrap_or_else(|| page.clone())
}

fn same_origin(a: &Url, b: &Url) -> bool {
    matches!(a.scheme(), "http" | "https")
        && a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
}

#[cfg(test)]
mod flow_tests {
    use super::*;
    use crate::report::Flow;

    fn page() -> Url {
        Url::parse("http://127.0.0.1:8000/accounts/login/").unwrap()
    }

    #[test]
    fn a_forgot_password_form_is_a_reset_form() {
        let html = r#"<form method="post" action="/accounts/password/reset/">
            <input type="hidden" name="csrfmiddlewaretoken" value="t1">
            <input type="email" name="email" autocomplete="email">
            <button type="submit">Reset My Password</button></form>"#;
        let f = flow_forms(html, &page());
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].flow, Flow::PasswordReset);
        assert_eq!(f[0].identifier_field, "email");
        assert!(f[0].identifier_is_email);
        assert_eq!(
            f[0].hidden,
            vec![("csrfmiddlewaretoken".into(), "t1".into())]
        );
        assert_eq!(f[0].action.path(), "/accounts/password/reset/");
    }

    #[test]
    fn a_sign_up_form_is_a_registration_form_with_its_other_fields_empty() {
        let html = r#"<form method="post" action="/accounts/signup/">
            <input type="hidden" name="csrfmiddlewaretoken" value="t1">
            <input type="text" name="username" autocomplete="username" value="x">
            <input type="email" name="email" value="y@example.com">
            <input type="password" name="password1"><input type="password" name="password2">
            <button type="submit">Sign Up</button></form>"#;
        let f = flow_forms(
            html,
            &Url::parse("http://127.0.0.1:8000/accounts/signup/").unwrap(),
        );
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].flow, Flow::Registration);
        assert_eq!(f[0].identifier_field, "username");
        assert_eq!(f[0].password_field.as_deref(), Some("password1"));
        assert!(f[0].other.contains(&("email".into(), String::new())));
        assert!(f[0].other.contains(&("password2".into(), String::new())));
    }

    #[test]
    fn sign_in_and_change_password_forms_are_not_flow_forms() {
        let login = r#"<form method="post"><input name="username"><input type="password" name="password"><button>Sign in</button></form>"#;
        assert!(flow_forms(login, &page()).is_empty());
        let change = r#"<form method="post" action="/password/change"><input name="user">
            <input type="password" name="old_password"><input type="password" name="new_password1">
            <input type="password" name="new_password2"></form>"#;
        assert!(flow_forms(change, &page()).is_empty());
        let search =
            r#"<form method="get" action="/forgot"><input type="email" name="email"></form>"#;
        assert!(flow_forms(search, &page()).is_empty());
    }

    #[test]
    fn browsing_skips_links_that_change_state_and_assets() {
        let html = r##"<a href="/docs">Docs</a> <a href="/manager/html">Server status</a>
            <a href="/logout">Bye</a> <a href="/items/3/delete">x</a> <a href="/?do=reset">Start over</a>
            <a href="/app.css">c</a> <a href="https://other.example/x">o</a> <a href="#top">t</a>
            <a href="/lang?set-lang=fr">Français</a> <a href="/unsubscribe?id=3">u</a>
            <a href="/wiki?action=purge">p</a> <a href="/admin/">Admin</a>"##;
        let got: Vec<String> = browse_links(html, &page())
            .into_iter()
            .map(|u| u.path().to_string())
            .collect();
        assert_eq!(got, ["/docs", "/manager/html", "/admin/"]);
    }

    #[test]
    fn links_a_person_would_click() {
        let html = r#"<a href="/accounts/password/reset/">Forgot your password?</a>
            <a href="/accounts/signup/">Sign Up</a> <a href="/logout">Log out</a>
            <a href="doku.php?id=start&amp;do=resendpwd">Set new password</a>
            <a href="/account/register">Register</a> <a href="http://other.example/signup">x</a>"#;
        let l = flow_links(html, &page());
        let got: Vec<(Flow, String)> = l.iter().map(|(f, u)| (*f, u.path().to_string())).collect();
        assert_eq!(
            got,
            vec![
                (Flow::PasswordReset, "/accounts/password/reset/".to_string()),
                (Flow::Registration, "/accounts/signup/".to_string()),
                (Flow::PasswordReset, "/accounts/login/doku.php".to_string()),
                (Flow::Registration, "/account/register".to_string()),
            ]
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).expect("test URL")
    }

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    fn urls(v: &[&str]) -> Vec<Url> {
        v.iter().map(|s| url(s)).collect()
    }

    // --- Realistic sign-in pages --------------------------------------------------------------

    const FLASK_WTF: &str = r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Sign In - Microblog</title></head>
<body>
  <nav><a href="/index">Home</a> <a href="/login">Login</a> <a href="/register">Register</a></nav>
  <h1>Sign In</h1>
  <form action="" method="post" novalidate>
    <input id="csrf_token" name="csrf_token" type="hidden" value="IjRmNjQ5ZDM2.ZmFk.Y2Q1">
    <p><label for="username">Username</label><br>
       <input id="username" name="username" required size="32" type="text" value=""></p>
    <p><label for="password">Password</label><br>
       <input id="password" name="password" required size="32" type="password" value=""></p>
    <p><input id="remember_me" name="remember_me" type="checkbox" value="y"> <label for="remember_me">Remember Me</label></p>
    <p><input id="submit" name="submit" type="submit" value="Sign In"></p>
  </form>
  <p>New User? <a href="/register">Click to Register!</a></p>
  <p>Forgot Your Password? <a href="/reset_password_request">Click to Reset It</a></p>
</body></html>"#;

    #[test]
    fn flask_wtf_login_page() {
        let page = url("http://127.0.0.1:5000/login?next=%2Findex#top");
        let forms = login_forms(FLASK_WTF, &page);
        assert_eq!(
            forms,
            vec![LoginForm {
                action: url("http://127.0.0.1:5000/login?next=%2Findex"),
                method: "POST".into(),
                enctype: "application/x-www-form-urlencoded".into(),
                username_field: Some("username".into()),
                username_is_email: false,
                password_field: "password".into(),
                hidden: pairs(&[("csrf_token", "IjRmNjQ5ZDM2.ZmFk.Y2Q1")]),
                // remember_me is not checked: not submitted.
                other: pairs(&[("submit", "Sign In")]),
            }]
        );
        // The page itself is /login: not a new link; register / reset are excluded.
        assert_eq!(
            login_links(FLASK_WTF, &url("http://127.0.0.1:5000/login")),
            vec![]
        );
        assert_eq!(
            login_links(FLASK_WTF, &url("http://127.0.0.1:5000/index")),
            urls(&["http://127.0.0.1:5000/login"])
        );
    }

    const DJANGO_ADMIN: &str = r#"<!DOCTYPE html>
<html lang="en-us" dir="ltr">
<head><title>Log in | Django site admin</title>
<link rel="stylesheet" href="/static/admin/css/login.css"></head>
<body class=" login" data-admin-utc-offset="0">
<div id="container">
  <div id="header"><div id="branding"><h1 id="site-name"><a href="/admin/">Django administration</a></h1></div></div>
  <div id="content" class="colM">
    <div id="content-main">
      <form action="/admin/login/?next=/admin/" method="post" id="login-form"><input type="hidden" name="csrfmiddlewaretoken" value="q1w2e3r4t5y6u7i8o9p0">
        <div class="form-row">
          <label class="required" for="id_username">Username:</label> <input type="text" name="username" autofocus autocapitalize="none" autocomplete="username" maxlength="150" required id="id_username">
        </div>
        <div class="form-row">
          <label class="required" for="id_password">Password:</label> <input type="password" name="password" autocomplete="current-password" required id="id_password">
          <input type="hidden" name="next" value="/admin/">
        </div>
        <div class="password-reset-link">
          <a href="/admin/password_reset/">Forgotten your password or username?</a>
        </div>
        <div class="submit-row">
          <input type="submit" value="Log in">
        </div>
      </form>
    </div>
  </div>
</div>
</body></html>"#;

    #[test]
    fn django_admin_login_page() {
        let page = url("http://localhost:8000/admin/login/?next=/admin/");
        let forms = login_forms(DJANGO_ADMIN, &page);
        assert_eq!(forms.len(), 1);
        let f = &forms[0];
        assert_eq!(
            f.action,
            url("http://localhost:8000/admin/login/?next=/admin/")
        );
        assert_eq!(f.method, "POST");
        assert_eq!(f.enctype, DEFAULT_ENCTYPE);
        assert_eq!(f.username_field.as_deref(), Some("username"));
        assert_eq!(f.password_field, "password");
        assert_eq!(
            f.hidden,
            pairs(&[
                ("csrfmiddlewaretoken", "q1w2e3r4t5y6u7i8o9p0"),
                ("next", "/admin/")
            ])
        );
        // The submit button has no name: nothing else is sent.
        assert_eq!(f.other, vec![]);
        // Password reset is not a sign-in link; /admin/ does not say login.
        assert_eq!(login_links(DJANGO_ADMIN, &page), vec![]);
    }

    const RAILS_DEVISE: &str = r#"<!DOCTYPE html>
<html><head><meta name="csrf-param" content="authenticity_token" />
<meta name="csrf-token" content="meta-token==" /></head>
<body>
<header><a href="/">Shop</a> <a rel="nofollow" data-method="delete" href="/users/sign_out">Sign out</a></header>
<h2>Log in</h2>
<form class="new_user" id="new_user" action="/users/sign_in" accept-charset="UTF-8" method="post"><input name="utf8" type="hidden" value="&#x2713;" autocomplete="off" /><input type="hidden" name="authenticity_token" value="Zm9vYmFy+/==" autocomplete="off" />
  <div class="field">
    <label for="user_email">Email</label><br />
    <input autofocus="autofocus" autocomplete="email" type="email" value="" name="user[email]" id="user_email" />
  </div>
  <div class="field">
    <label for="user_password">Password</label><br />
    <input autocomplete="current-password" type="password" name="user[password]" id="user_password" />
  </div>
  <div class="field">
    <input name="user[remember_me]" type="hidden" value="0" autocomplete="off" /><input type="checkbox" value="1" checked="checked" name="user[remember_me]" id="user_remember_me" />
    <label for="user_remember_me">Remember me</label>
  </div>
  <div class="actions">
    <input type="submit" name="commit" value="Log in" data-disable-with="Log in" />
  </div>
</form>
<a href="/users/sign_up">Sign up</a><br />
<a href="/users/password/new">Forgot your password?</a><br />
<a href="/users/confirmation/new">Didn't receive confirmation instructions?</a><br />
<a href="/users/unlock/new">Didn't receive unlock instructions?</a><br />
<a href="/users/auth/github">Sign in with GitHub</a><br />
</body></html>"#;

    #[test]
    fn rails_devise_login_page() {
        let page = url("https://shop.example.com/users/sign_in");
        let forms = login_forms(RAILS_DEVISE, &page);
        assert_eq!(
            forms,
            vec![LoginForm {
                action: url("https://shop.example.com/users/sign_in"),
                method: "POST".into(),
                enctype: DEFAULT_ENCTYPE.into(),
                username_field: Some("user[email]".into()),
                username_is_email: true,
                password_field: "user[password]".into(),
                hidden: pairs(&[
                    ("utf8", "\u{2713}"),
                    ("authenticity_token", "Zm9vYmFy+/=="),
                    ("user[remember_me]", "0"),
                ]),
                other: pairs(&[("user[remember_me]", "1"), ("commit", "Log in")]),
            }]
        );
        // Sign out, sign up, password, confirmation and unlock are excluded; the OmniAuth
        // path is an auth path.
        assert_eq!(
            login_links(RAILS_DEVISE, &page),
            urls(&["https://shop.example.com/users/auth/github"])
        );
        assert_eq!(
            login_links(RAILS_DEVISE, &url("https://shop.example.com/")),
            urls(&["https://shop.example.com/users/auth/github"])
        );
    }

    const WORDPRESS: &str = r#"<html><body class="login">
<form name="loginform" id="loginform" action="https://blog.example.org/wp-login.php" method="post">
  <p><label for="user_login">Username or Email Address</label>
  <input type="text" name="log" id="user_login" class="input" value="" size="20" autocapitalize="off" autocomplete="username" required="required" /></p>
  <div class="user-pass-wrap"><label for="user_pass">Password</label>
    <div class="wp-pwd"><input type="password" name="pwd" id="user_pass" class="input password-input" value="" size="20" autocomplete="current-password" spellcheck="false" required="required" />
    <button type="button" class="button button-secondary wp-hide-pw hide-if-no-js" data-toggle="0" aria-label="Show password"><span class="dashicons dashicons-visibility" aria-hidden="true"></span></button></div></div>
  <p class="forgetmenot"><input name="rememberme" type="checkbox" id="rememberme" value="forever" /> <label for="rememberme">Remember Me</label></p>
  <p class="submit"><input type="submit" name="wp-submit" id="wp-submit" class="button button-primary button-large" value="Log In" />
  <input type="hidden" name="redirect_to" value="https://blog.example.org/wp-admin/" />
  <input type="hidden" name="testcookie" value="1" /></p>
</form>
<p id="nav"><a href="https://blog.example.org/wp-login.php?action=register">Register</a> |
<a href="https://blog.example.org/wp-login.php?action=lostpassword">Lost your password?</a></p>
<p id="backtoblog"><a href="https://blog.example.org/">&larr; Go to Example Blog</a></p>
</body></html>"#;

    #[test]
    fn wordpress_login_page() {
        let page = url("https://blog.example.org/wp-login.php");
        let forms = login_forms(WORDPRESS, &page);
        assert_eq!(forms.len(), 1);
        let f = &forms[0];
        assert_eq!(f.action, page);
        assert_eq!(f.username_field.as_deref(), Some("log"));
        assert_eq!(f.password_field, "pwd");
        assert_eq!(
            f.hidden,
            pairs(&[
                ("redirect_to", "https://blog.example.org/wp-admin/"),
                ("testcookie", "1")
            ])
        );
        // The show-password button (type=button) is not the default button.
        assert_eq!(f.other, pairs(&[("wp-submit", "Log In")]));
        // wp-login.php?action=register and ?action=lostpassword are excluded even though the
        // path says login; from another page they are still excluded.
        assert_eq!(login_links(WORDPRESS, &page), vec![]);
        assert_eq!(
            login_links(WORDPRESS, &url("https://blog.example.org/")),
            vec![]
        );
    }

    // --- Sign-in and sign-up on one page ------------------------------------------------------

    const LOGIN_AND_REGISTER: &str = r#"<html><body>
<div class="u-columns col2-set" id="customer_login">
 <div class="u-column1"><h2>Register</h2>
  <form method="post" class="woocommerce-form woocommerce-form-register register" action="/my-account/">
   <input type="email" name="email" id="reg_email" autocomplete="email" value="">
   <input type="password" name="password" id="reg_password" autocomplete="new-password">
   <input type="hidden" id="woocommerce-register-nonce" name="woocommerce-register-nonce" value="reg-nonce">
   <button type="submit" name="register" value="Register">Register</button>
  </form>
 </div>
 <div class="u-column2"><h2>Login</h2>
  <form class="woocommerce-form woocommerce-form-login login" method="post" action="/my-account/">
   <input type="text" name="username" id="username" autocomplete="username" value="">
   <input type="password" name="password" id="password" autocomplete="current-password">
   <input name="rememberme" type="checkbox" id="rememberme" value="forever">
   <input type="hidden" id="woocommerce-login-nonce" name="woocommerce-login-nonce" value="login-nonce">
   <input type="hidden" name="_wp_http_referer" value="/my-account/">
   <button type="submit" name="login" value="Log in">Log in</button>
  </form>
 </div>
</div>
<form action="/join" method="post" id="f3">
  <input name="full_name"><input name="mail" type="email">
  <input name="pass" type="password"><input name="pass_again" type="password">
  <button>Create my account</button>
</form>
<form action="/welcome" method="post">
  <input name="email" type="email"><input name="pw" type="PASSWORD">
  <input type="submit" value="Sign up now">
</form>
</body></html>"#;

    #[test]
    fn sign_up_forms_are_skipped() {
        let page = url("https://store.example/my-account/");
        let forms = login_forms(LOGIN_AND_REGISTER, &page);
        assert_eq!(forms.len(), 1, "{forms:#?}");
        let f = &forms[0];
        assert_eq!(f.action, page);
        assert_eq!(f.username_field.as_deref(), Some("username"));
        assert_eq!(f.password_field, "password");
        assert_eq!(
            f.hidden,
            pairs(&[
                ("woocommerce-login-nonce", "login-nonce"),
                ("_wp_http_referer", "/my-account/")
            ])
        );
        assert_eq!(f.other, pairs(&[("login", "Log in")]));
    }

    #[test]
    fn sign_up_detection_by_attributes() {
        let page = url("https://a.example/");
        for html in [
            r#"<form id="signupForm" method="post"><input name="u"><input type="password" name="p"></form>"#,
            r#"<form name="register" method="post"><input name="u"><input type="password" name="p"></form>"#,
            r#"<form action="/users/sign_up" method="post"><input name="u"><input type="password" name="p"></form>"#,
            r#"<form action="/password/reset" method="post"><input name="u"><input type="password" name="p"></form>"#,
            r#"<form class="create-account"><input name="u"><input type="password" name="p"></form>"#,
            r#"<form><input name="u"><input type="password" name="p"><button>Register</button></form>"#,
            r#"<form action="/account/change_password"><input type="password" name="p"></form>"#,
        ] {
            assert_eq!(login_forms(html, &page), vec![], "{html}");
        }
        // Both words: a sign-in form ("login-or-register" widgets).
        let html = r#"<form id="login-register" method="post"><input name="u"><input type="password" name="p"><button>Log in</button></form>"#;
        assert_eq!(login_forms(html, &page).len(), 1);
        let html = r#"<form method="post"><input name="u"><input type="password" name="p"><button>Sign in or sign up</button></form>"#;
        assert_eq!(login_forms(html, &page).len(), 1);
    }

    // --- Actions, methods, enctypes ----------------------------------------------------------

    #[test]
    fn relative_and_absolute_actions() {
        let page = url("https://app.example.com/auth/page.html?x=1#frag");
        let action_of = |attr: &str| {
            let html = format!(
                r#"<form {attr} method="post"><input name="u"><input type="password" name="p"></form>"#
            );
            login_forms(&html, &page)
                .first()
                .map(|f| f.action.to_string())
        };
        let cases = [
            (r#"action="login""#, "https://app.example.com/auth/login"),
            (r#"action="/session""#, "https://app.example.com/session"),
            (
                r#"action="../api/v1/login?next=/#top""#,
                "https://app.example.com/api/v1/login?next=/",
            ),
            (
                r#"action="//sso.example.net/login""#,
                "https://sso.example.net/login",
            ),
            (
                r#"action="HTTPS://Other.Example:8443/Login""#,
                "https://other.example:8443/Login",
            ),
            (
                r#"action="  /trimmed  ""#,
                "https://app.example.com/trimmed",
            ),
        ];
        for (attr, expected) in cases {
            assert_eq!(action_of(attr).as_deref(), Some(expected), "{attr}");
        }
        // Missing, empty, fragment-only and javascript: actions: the page URL without fragment.
        for attr in [
            "",
            r#"action="""#,
            r#"action="   ""#,
            r##"action="#""##,
            r#"action="javascript:void(0)""#,
        ] {
            assert_eq!(
                action_of(attr).as_deref(),
                Some("https://app.example.com/auth/page.html?x=1"),
                "{attr}"
            );
        }
        // An action that does not parse: a browser would not submit it; skipped.
        assert_eq!(action_of(r#"action="http://[::1""#), None);
    }

    #[test]
    fn base_href_is_used_for_actions_and_links() {
        let html = r#"<html><head><base href="/app/"></head><body>
            <a href="login">Sign in</a>
            <form action="session" method="post"><input name="email"><input type="password" name="pw"></form>
            </body></html>"#;
        let page = url("https://x.example/start");
        let forms = login_forms(html, &page);
        assert_eq!(forms[0].action, url("https://x.example/app/session"));
        assert_eq!(
            login_links(html, &page),
            // The form has a password input: a login form, not a link.
            urls(&["https://x.example/app/login"])
        );
    }

    #[test]
    fn method_and_enctype() {
        let page = url("http://h.example/");
        let one = |form_attrs: &str| {
            let html = format!(
                r#"<form {form_attrs}><input name="u"><input type="password" name="p"></form>"#
            );
            let forms = login_forms(&html, &page);
            assert_eq!(forms.len(), 1, "{html}");
            (forms[0].method.clone(), forms[0].enctype.clone())
        };
        assert_eq!(one(""), ("GET".to_string(), DEFAULT_ENCTYPE.to_string()));
        assert_eq!(one(r#"method="post""#).0, "POST");
        assert_eq!(one(r#"method=" Post ""#).0, "POST");
        assert_eq!(one(r#"method="""#).0, "GET");
        assert_eq!(one(r#"method="put""#).0, "PUT");
        assert_eq!(
            one(r#"method="POST" enctype="Multipart/Form-Data""#),
            ("POST".to_string(), "multipart/form-data".to_string())
        );
        // The default button's formmethod / formenctype / formaction win.
        let html = r#"<form method="get" action="/a"><input name="u"><input type="password" name="p">
            <button formmethod="post" formaction="/b#x" formenctype="TEXT/PLAIN">Go</button>
            <button formaction="/c">Other</button></form>"#;
        let f = &login_forms(html, &page)[0];
        assert_eq!(f.method, "POST");
        assert_eq!(f.enctype, "text/plain");
        assert_eq!(f.action, url("http://h.example/b"));
        assert_eq!(f.other, vec![]);
    }

    // --- Fields -------------------------------------------------------------------------------

    #[test]
    fn username_field_selection() {
        let page = url("http://h.example/");
        let user_of = |inner: &str| {
            let html = format!(r#"<form method="post">{inner}</form>"#);
            login_forms(&html, &page)
                .first()
                .map(|f| f.username_field.clone())
        };
        let some = |s: &str| Some(Some(s.to_string()));
        // Hinted by autocomplete, beats an earlier unhinted input.
        assert_eq!(
            user_of(
                r#"<input name="tenant"><input name="x1" autocomplete="section-a username"><input type="password" name="p">"#
            ),
            some("x1")
        );
        // type=email beats a name hint.
        assert_eq!(
            user_of(
                r#"<input name="login_text"><input type="email" name="e"><input type="password" name="p">"#
            ),
            some("e")
        );
        // Name / id hints, case-insensitive.
        assert_eq!(
            user_of(
                r#"<input name="company"><input name="LoginName"><input type="password" name="p">"#
            ),
            some("LoginName")
        );
        assert_eq!(
            user_of(
                r#"<input name="company"><input id="account-field" name="acct"><input type="password" name="p">"#
            ),
            some("acct")
        );
        // A hinted input after the password still wins over an unhinted one before it.
        assert_eq!(
            user_of(
                r#"<input name="company"><input type="password" name="p"><input name="identifier">"#
            ),
            some("identifier")
        );
        // No hint: the first text-like input before the password; tel and missing type count,
        // unknown types are text, number is not.
        assert_eq!(
            user_of(
                r#"<input name="a"><input name="b" type="tel"><input type="password" name="p">"#
            ),
            some("a")
        );
        assert_eq!(
            user_of(
                r#"<input type="number" name="n"><input type="weird" name="w"><input type="password" name="p">"#
            ),
            some("w")
        );
        // Unhinted text after the password only: none.
        assert_eq!(
            user_of(r#"<input type="password" name="p"><input name="otp_value">"#),
            Some(None)
        );
        // Hidden and unnamed inputs are not the username; a captcha name is no hint.
        assert_eq!(
            user_of(
                r#"<input type="hidden" name="username" value="x"><input id="user"><input name="user_captcha"><input type="password" name="p">"#
            ),
            some("user_captcha")
        );
        assert_eq!(
            user_of(
                r#"<input name="user_captcha"><input name="mail"><input type="password" name="p">"#
            ),
            some("mail")
        );
        // Password-only form (second step of identifier-first sign-in).
        assert_eq!(user_of(r#"<input type="password" name="p">"#), Some(None));
    }

    #[test]
    fn other_fields_defaults() {
        let page = url("http://h.example/login");
        let html = r#"<form method="post" action="/login">
            <input type="text" name="user">
            <input type="password" name="pass">
            <input type="text" name="domain" value="CORP">
            <input type="search" name="q">
            <input type="checkbox" name="remember" checked>
            <input type="checkbox" name="unchecked" value="x">
            <input type="radio" name="mode" value="fast">
            <input type="radio" name="mode" value="safe" checked>
            <input type="checkbox" name="disabled_cb" checked disabled>
            <input type="hidden" name="disabled_hidden" value="1" disabled>
            <input type="hidden" name="empty_hidden">
            <input type="hidden" value="no-name">
            <input type="file" name="upload">
            <input type="image" name="img" src="x.png">
            <input type="reset" name="rst">
            <input type="button" name="btn" value="b">
            <select name="lang"><option value="en">English</option><option value="fr" selected>French</option></select>
            <select name="region"><option disabled>Choose</option><option>  North   Europe </option></select>
            <select name="tags" multiple><option value="a" selected>A</option><option value="b">B</option><option value="c" selected>C</option></select>
            <select name="none" multiple><option value="z">Z</option></select>
            <select name="empty"></select>
            <textarea name="note">hello
world</textarea>
            <button type="button" name="toggle">Show</button>
            <button name="action" value="signin">Sign in</button>
            <input type="submit" name="second" value="Other">
            </form>"#;
        let f = &login_forms(html, &page)[0];
        assert_eq!(f.username_field.as_deref(), Some("user"));
        assert_eq!(f.password_field, "pass");
        assert_eq!(f.hidden, pairs(&[("empty_hidden", "")]));
        assert_eq!(
            f.other,
            pairs(&[
                ("domain", "CORP"),
                ("q", ""),
                ("remember", "on"),
                ("mode", "safe"),
                ("lang", "fr"),
                ("region", "North Europe"),
                ("tags", "a"),
                ("tags", "c"),
                ("note", "hello\nworld"),
                ("action", "signin"),
            ])
        );
    }

    #[test]
    fn default_button_only_when_named() {
        let page = url("http://h.example/");
        // The first submit button is unnamed: nothing, even though a later one has a name.
        let html = r#"<form><input name="u"><input type="password" name="p">
            <input type="submit" value="Go"><button name="alt" value="1">Alt</button></form>"#;
        assert_eq!(login_forms(html, &page)[0].other, vec![]);
        // <button> without value sends an empty value.
        let html = r#"<form><input name="u"><input type="password" name="p"><button name="go">Go</button></form>"#;
        assert_eq!(login_forms(html, &page)[0].other, pairs(&[("go", "")]));
    }

    #[test]
    fn password_inputs_without_names_or_outside_forms() {
        let page = url("http://h.example/");
        // Outside any form: ignored.
        let html = r#"<input name="u"><input type="password" name="p">"#;
        assert_eq!(login_forms(html, &page), vec![]);
        // Password without name: the form is skipped.
        let html = r#"<form><input name="u"><input type="password"></form>"#;
        assert_eq!(login_forms(html, &page), vec![]);
        let html = r#"<form><input name="u"><input type="password" name=""></form>"#;
        assert_eq!(login_forms(html, &page), vec![]);
        // No password input at all.
        let html = r#"<form><input name="q"><button>Search</button></form>"#;
        assert_eq!(login_forms(html, &page), vec![]);
        // Type compared case-insensitively, with spaces.
        let html = r#"<form><input name="u"><input type=" PassWord " name="p"></form>"#;
        assert_eq!(login_forms(html, &page)[0].password_field, "p");
    }

    #[test]
    fn several_sign_in_forms_in_document_order() {
        let page = url("http://h.example/");
        let html = r#"
            <form action="/admin/login" method="post"><input name="admin_user"><input type="password" name="admin_pw"></form>
            <p>or</p>
            <form action="/login" method="post"><input type="email" name="email"><input type="password" name="pw"></form>"#;
        let forms = login_forms(html, &page);
        assert_eq!(forms.len(), 2);
        assert_eq!(forms[0].action, url("http://h.example/admin/login"));
        assert_eq!(forms[0].username_field.as_deref(), Some("admin_user"));
        assert_eq!(forms[1].action, url("http://h.example/login"));
        assert_eq!(forms[1].password_field, "pw");
    }

    #[test]
    fn form_attribute_and_table_forms() {
        let page = url("http://h.example/");
        // Controls outside the form joined with form="id"; a control inside the form that
        // points elsewhere leaves it.
        let html = r#"<form id="login" action="/login" method="post"><input type="hidden" name="csrf" value="t">
              <input name="stray" form="nowhere"></form>
            <input name="email" type="email" form="login">
            <input name="password" type="password" form="login">
            <button name="go" value="1" form="login">Go</button>"#;
        let f = &login_forms(html, &page)[0];
        assert_eq!(f.username_field.as_deref(), Some("email"));
        assert_eq!(f.password_field, "password");
        assert_eq!(f.hidden, pairs(&[("csrf", "t")]));
        assert_eq!(f.other, pairs(&[("go", "1")]));

        // Old table layouts: the parser empties the form, the inputs still belong to it.
        let html = r#"<table><form action="/cgi-bin/login.cgi" method="POST">
            <tr><td>User</td><td><input name="uid"></td></tr>
            <tr><td>Pass</td><td><input type="password" name="pwd"></td></tr>
            <tr><td><input type="hidden" name="sid" value="9"><input type="submit" value="Login"></td></tr>
            </form></table>
            <input type="password" name="not_this">"#;
        let forms = login_forms(html, &page);
        assert_eq!(forms.len(), 1);
        assert_eq!(forms[0].action, url("http://h.example/cgi-bin/login.cgi"));
        assert_eq!(forms[0].username_field.as_deref(), Some("uid"));
        assert_eq!(forms[0].password_field, "pwd");
        assert_eq!(forms[0].hidden, pairs(&[("sid", "9")]));
    }

    #[test]
    fn templates_are_ignored() {
        let page = url("http://h.example/");
        let html = r#"<template><form action="/tpl"><input name="u"><input type="password" name="p"></form>
            <a href="/login">Log in</a></template>"#;
        assert_eq!(login_forms(html, &page), vec![]);
        assert_eq!(login_links(html, &page), vec![]);
    }

    // --- Links -------------------------------------------------------------------------------

    #[test]
    fn links_same_origin_only() {
        let page = url("https://app.example.com/home");
        let html = r#"
            <a href="https://app.example.com/login">Log in</a>
            <a href="https://evil.example.net/login">Log in</a>
            <a href="http://app.example.com/signin">Sign in</a>
            <a href="https://app.example.com:8443/signin">Sign in</a>
            <a href="https://sub.app.example.com/login">Login</a>
            <a href="https://app.example.com:443/sign-in">Sign in (explicit default port)</a>
            <a href="//accounts.google.com/o/oauth2/auth">Sign in with Google</a>
            <a href="javascript:login()">Log in</a>
            <a href="mailto:login@app.example.com">login@app.example.com</a>"#;
        assert_eq!(
            login_links(html, &page),
            urls(&[
                "https://app.example.com/login",
                "https://app.example.com/sign-in"
            ])
        );
    }

    #[test]
    fn links_exclusions() {
        let page = url("https://app.example.com/");
        let html = r#"
            <a href="/logout">Log out</a>
            <a href="/auth/logout">Sign out</a>
            <a href="/users/sign_out">Sign out</a>
            <a href="/session/destroy?logout=1">x</a>
            <a href="/signup">Sign up</a>
            <a href="/register">Register</a>
            <a href="/auth/register">Create account</a>
            <a href="/login/forgot">Forgot your login?</a>
            <a href="/password/reset">Reset</a>
            <a href="/help">Forgot your login?</a>
            <a href="/index.php?action=logout">Log out</a>
            <a href="/index.php?action=login">Log in</a>
            <a href="/account">Login / Register</a>
            <a href="/login?next=/logout">continue</a>
            <a href="/page?return_to=/login">Home</a>
            <a href="/wp-login.php?action=register">Register</a>"#;
        assert_eq!(
            login_links(html, &page),
            urls(&[
                "https://app.example.com/index.php?action=login",
                "https://app.example.com/account",
                "https://app.example.com/login?next=/logout",
            ])
        );
    }

    #[test]
    fn links_words_and_boundaries() {
        let page = url("http://h.example/");
        let html = r#"
            <a href="/Account/LogOn">x</a>
            <a href="/signInPage">x</a>
            <a href="/wp-login.php">x</a>
            <a href="/auth">x</a>
            <a href="/api/sessions">x</a>
            <a href="/sso/start">x</a>
            <a href="/log%20in">x</a>
            <a href="/authors/jane">Authors</a>
            <a href="/blogindex">Blog</a>
            <a href="/document-signing">Signing</a>
            <a href="/catalog">Catalog</a>
            <a href="/members"><span>Member</span> <b>LOG IN</b></a>
            <a href="/portal" aria-label="Sign in"><svg></svg></a>
            <a href="/y" title="log on">icon</a>
            <a href="/authorize">OAuth</a>"#;
        assert_eq!(
            login_links(html, &page),
            urls(&[
                "http://h.example/Account/LogOn",
                "http://h.example/signInPage",
                "http://h.example/wp-login.php",
                "http://h.example/auth",
                "http://h.example/api/sessions",
                "http://h.example/sso/start",
                "http://h.example/log%20in",
                "http://h.example/members",
                "http://h.example/portal",
                "http://h.example/y",
            ])
        );
    }

    #[test]
    fn links_dedup_fragments_and_self() {
        let page = url("http://h.example/login#main");
        let html = r##"
            <a href="#content">Skip to content</a>
            <a href="/login">Log in</a>
            <a href="/signin#top">Sign in</a>
            <a href="/signin">Sign in again</a>
            <a href="signin#other">Sign in</a>
            <a href="/auth/login?next=%2F">Log in</a>
            <map name="m"><area href="/session/new" alt="Sign in"></map>"##;
        assert_eq!(
            login_links(html, &page),
            urls(&[
                "http://h.example/signin",
                "http://h.example/auth/login?next=%2F",
                "http://h.example/session/new",
            ])
        );
    }

    #[test]
    fn links_from_forms_without_password() {
        let page = url("http://h.example/");
        let html = r#"
            <form action="/login" method="get"><button>Sign in</button></form>
            <form action="/logout" method="post"><button>Log out</button></form>
            <form action="/search"><input name="q"><button>Log in</button></form>
            <form action="/auth/login" method="post"><input name="u"><input type="password" name="p"></form>
            <form><button>Login</button></form>"#;
        assert_eq!(
            login_links(html, &page),
            urls(&["http://h.example/login", "http://h.example/search"])
        );
    }

    // --- Hostile input ------------------------------------------------------------------------

    #[test]
    fn garbage_and_empty_input() {
        let page = url("http://h.example/");
        for html in [
            "",
            "<",
            "<form",
            "<form><input type=password name=p",
            "\u{0}\u{feff}<<<>>>&&&;;",
            "<a href>x</a><a href=''>login</a><a href='http://[::1'>login</a><a href='http://a b/login'>login</a>",
            "<form action='http://%zz/'><input type=password name=p></form>",
            "<select name=s><option selected disabled>x</select><form><select name=s><option disabled>x</select><input type=password name=p></form>",
            "<table><form><tr><td><template><input type=password name=p></template></td></tr></form></table>",
            "<form><form><input type=password name=p></form></form>",
            "<svg><a href='/login'>Log in</a><form><input type=password name=p></form></svg>",
        ] {
            let _ = login_forms(html, &page);
            let _ = login_links(html, &page);
        }
        assert_eq!(login_forms("", &page), vec![]);
        assert_eq!(login_links("", &page), vec![]);
        // A tag cut off by the end of input is dropped, as a browser does.
        let f = login_forms(
            "<form method=post><input name=u><input type=password name=p",
            &page,
        );
        assert_eq!(f, vec![]);
        // An unclosed form still owns what follows.
        let f = login_forms(
            "<form method=post><div><input name=u><input type=password name=p>",
            &page,
        );
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].username_field.as_deref(), Some("u"));
        assert_eq!(f[0].password_field, "p");
    }

    #[test]
    fn deep_nesting_and_many_controls() {
        let page = url("http://h.example/");
        let mut html = String::from("<form method=post>");
        html.push_str(&"<div>".repeat(3000));
        html.push_str("<input name=user><input type=password name=pw>");
        for i in 0..3000 {
            html.push_str(&format!("<input type=hidden name=h{i} value={i}>"));
        }
        html.push_str(&"</div>".repeat(3000));
        html.push_str("</form>");
        for i in 0..2000 {
            html.push_str(&format!("<a href=/login/{i}>Log in</a>"));
        }
        let forms = login_forms(&html, &page);
        let links = login_links(&html, &page);
        assert_eq!(forms.len(), 1);
        assert_eq!(forms[0].username_field.as_deref(), Some("user"));
        assert_eq!(forms[0].hidden.len(), 3000);
        assert_eq!(
            forms[0].hidden[2999],
            ("h2999".to_string(), "2999".to_string())
        );
        assert_eq!(links.len(), 2000);
    }

    #[test]
    fn regexes_compile() {
        assert!(sign_in_re().is_some());
        assert!(auth_path_re().is_some());
        assert!(exclude_re().is_some());
        assert!(sign_up_link_re().is_some());
        assert!(sign_up_form_re().is_some());
    }
}
