//! OpenAPI 3.x and Swagger 2.0 reading for discovery: operations that take a password, and OAuth2
//! password-flow token URLs.
//!
//! JSON and YAML documents are read (YAML through serde_yaml_ng, turned into the same JSON value
//! tree, when the text starts a top-level `openapi:` or `swagger:` key). Everything the
//! document says about hosts is folded onto the origin the document was served from: a scanner
//! only talks to its target. All recursion over the document is bounded (reference hops, schema
//! depth, a work budget per operation and a node budget for the example walk), so hostile documents
//! cannot hang or overflow the stack.

use std::cell::Cell;

use serde_json::{Map, Value};
use url::{Origin, Url};

/// Usual places an API serves its OpenAPI / Swagger JSON document, most common first. Paths are
/// absolute (join them onto the target origin); one carries a query string.
pub const DOC_PATHS: &[&str] = &[
    "/openapi.json",
    "/swagger.json",
    "/v3/api-docs",
    "/v2/api-docs",
    "/api-docs",
    "/api/openapi.json",
    "/api/swagger.json",
    "/swagger/v1/swagger.json",
    "/api/v1/openapi.json",
    "/openapi/v1.json",
    "/docs/openapi.json",
    "/apispec_1.json",
    "/api/schema/?format=json",
    "/openapi.yaml",
    "/swagger.yaml",
    "/api/openapi.yaml",
];

/// How an operation takes its body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyEncoding {
    Json,
    Form,
}

/// A sign-in operation read from the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInOperation {
    /// Upper-case HTTP method.
    pub method: String,
    /// Absolute URL (servers / basePath applied, resolved against the document's URL).
    pub url: Url,
    pub encoding: BodyEncoding,
    pub username_field: String,
    pub password_field: String,
    /// Other required fields with a value to send (e.g. grant_type=password, an enum's first value).
    pub extra_fields: Vec<(String, String)>,
    /// True for an OAuth2 password-flow tokenUrl (or a body with grant_type).
    pub oauth2_password: bool,
    /// The identifier is declared `format: email`.
    pub username_is_email: bool,
}

/// What discovery takes from a document.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OpenApiInfo {
    pub title: Option<String>,
    pub operations: Vec<SignInOperation>,
    /// Example usernames/emails found in the document (examples, defaults), for enumeration candidates.
    pub example_accounts: Vec<String>,
    /// Password-reset requests and registrations the document declares.
    pub flow_operations: Vec<FlowOperation>,
}

/// A password-reset request (an identifier, no password) or a registration (an identifier and
/// a new password) the document declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowOperation {
    pub flow: crate::report::Flow,
    pub method: String,
    pub url: Url,
    pub encoding: BodyEncoding,
    pub identifier_field: String,
    pub identifier_is_email: bool,
    /// Registration: the new-password field (never sent; named in the report).
    pub password_field: Option<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum OpenApiError {
    #[error("not JSON: {0}")]
    NotJson(String),
    #[error("not an OpenAPI or Swagger document")]
    NotOpenApi,
}

/// Most `$ref` hops followed in one chain.
const MAX_REF_HOPS: usize = 16;
/// Deepest schema nesting followed through `$ref` / `allOf` / `oneOf` / `anyOf`.
const MAX_SCHEMA_DEPTH: u32 = 24;
/// Schema steps allowed per operation (guards against exponential `allOf` fan-out).
const MAX_STEPS: u32 = 4_096;
/// Properties / parameters / alternatives looked at per object.
const MAX_PROPERTIES: usize = 256;
const MAX_PARAMETERS: usize = 128;
const MAX_ALTERNATIVES: usize = 64;
const MAX_SERVERS: usize = 16;
/// Nodes visited and depth reached while collecting example accounts.
const MAX_WALK_NODES: usize = 1_000_000;
const MAX_WALK_DEPTH: u32 = 128;
const MAX_EXAMPLE_ACCOUNTS: usize = 20;
const MAX_ACCOUNT_LEN: usize = 128;
const MAX_ERROR_LEN: usize = 120;

/// Username-like property names (normalized: lower-case ASCII alphanumerics), in priority order.
const USERNAME_NAMES: &[&str] = &[
    "username",
    "email",
    "login",
    "user",
    "identifier",
    "account",
    "phone",
    "mobile",
    "usernameoremail",
];
/// Second-tier username-like names (normalized), matched exactly.
const USERNAME_LIKE_EXTRA: &[&str] = &[
    "mail",
    "loginname",
    "loginid",
    "userlogin",
    "userid",
    "accountname",
    "phonenumber",
    "mobilenumber",
];
/// Password-like property names (normalized), matched exactly.
const PASSWORD_NAMES: &[&str] = &["password", "passwd", "pass", "pwd"];
/// Text in a path, operationId or summary (normalized) that rules out a sign-in.
const NOT_SIGN_IN_WORDS: &[&str] = &[
    "register",
    "registration",
    "signup",
    "reset",
    "forgot",
    "changepassword",
    "passwordchange",
    "updatepassword",
    "setpassword",
];
/// Endings of an operationId or summary (normalized) that name account creation
/// (`UsersController_createUser`, but not `createUserSession`).
const ACCOUNT_CREATION_ENDINGS: &[&str] = &[
    "createuser",
    "createauser",
    "createaccount",
    "createanaccount",
    "adduser",
    "newuser",
    "newaccount",
];
/// A body whose last static path segment is one of these creates or edits an account.
const COLLECTION_SEGMENTS: &[&str] = &[
    "users",
    "user",
    "accounts",
    "account",
    "members",
    "member",
    "customers",
    "customer",
    "people",
    "persons",
    "employees",
    "profiles",
    "profile",
    "me",
];
/// Markers that, with a password-like word, name a password-change / confirmation field.
const PASSWORD_CHANGE_MARKERS: &[&str] = &[
    "new", "old", "confirm", "repeat", "retype", "again", "verify", "current", "2",
];
/// OAuth2 request parameters that are never the username.
const OAUTH_PARAMS: &[&str] = &["granttype", "scope", "clientid", "clientsecret"];

/// Does the text start a YAML OpenAPI/Swagger document (a top-level `openapi:` key)?
fn looks_like_yaml_openapi(text: &str) -> bool {
    let head = &text[..crate::http::floor_char_boundary(text, text.len().min(16 * 1024))];
    head.lines().any(|l| {
        let l = l.trim_end();
        [
            "openapi:",
            "swagger:",
            "\"openapi\":",
            "'openapi':",
            "\"swagger\":",
            "'swagger':",
        ]
        .iter()
        .any(|k| l.starts_with(k))
    })
}

/// Most YAML nodes turned into JSON (aliases can multiply a small text).
const MAX_YAML_NODES: usize = 200_000;

/// A YAML document as a JSON value tree (map keys as strings), within a node budget.
fn yaml_to_json(text: &str) -> Option<Value> {
    let y: serde_yaml_ng::Value = serde_yaml_ng::from_str(text).ok()?;
    let mut budget = MAX_YAML_NODES;
    convert_yaml(&y, &mut budget, 0)
}

fn convert_yaml(y: &serde_yaml_ng::Value, budget: &mut usize, depth: u32) -> Option<Value> {
    use serde_yaml_ng::Value as Y;
    if *budget == 0 || depth > 128 {
        return None;
    }
    *budget -= 1;
    Some(match y {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(*b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                n.as_f64()
                    .and_then(serde_json::Number::from_f64)
                    .map(Value::Number)
                    .unwrap_or(Value::Null)
            }
        }
        Y::String(s) => Value::String(s.clone()),
        Y::Sequence(seq) => Value::Array(
            seq.iter()
                .map(|v| convert_yaml(v, budget, depth + 1))
                .collect::<Option<Vec<_>>>()?,
        ),
        Y::Mapping(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                let key = match k {
                    Y::String(s) => s.clone(),
                    Y::Number(n) => n.to_string(),
                    Y::Bool(b) => b.to_string(),
                    _ => continue,
                };
                out.insert(key, convert_yaml(v, budget, depth + 1)?);
            }
            Value::Object(out)
        }
        Y::Tagged(t) => convert_yaml(&t.value, budget, depth + 1)?,
    })
}

/// Read an OpenAPI 3.x or Swagger 2.0 document (JSON or YAML) served at `doc_url`.
pub fn parse(doc: &str, doc_url: &Url) -> Result<OpenApiInfo, OpenApiError> {
    let text = doc.strip_prefix('\u{feff}').unwrap_or(doc);
    let root: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) if looks_like_yaml_openapi(text) => yaml_to_json(text)
            .ok_or_else(|| OpenApiError::NotJson(truncate(&format!("YAML: {e}"), MAX_ERROR_LEN)))?,
        Err(e) => {
            return Err(OpenApiError::NotJson(truncate(
                &e.to_string(),
                MAX_ERROR_LEN,
            )))
        }
    };
    let obj = root.as_object().ok_or(OpenApiError::NotOpenApi)?;
    let flavor = detect_flavor(obj).ok_or(OpenApiError::NotOpenApi)?;

    let title = root
        .get("info")
        .and_then(|info| info.get("title"))
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string);

    let parser = Parser {
        root: &root,
        obj,
        flavor,
        doc_url,
        steps: Cell::new(0),
    };
    let (base, aliases) = parser.document_base();
    let mut operations = Vec::new();
    parser.collect_operations(&base, &mut operations);
    let mut flow_operations = Vec::new();
    parser.collect_flow_operations(&base, &mut flow_operations);
    parser.add_token_urls(&base, &aliases, &mut operations);
    let example_accounts = parser.collect_accounts();

    Ok(OpenApiInfo {
        title,
        operations,
        example_accounts,
        flow_operations,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flavor {
    OpenApi3,
    Swagger2,
}

fn detect_flavor(obj: &Map<String, Value>) -> Option<Flavor> {
    fn major(v: Option<&Value>) -> Option<u64> {
        match v? {
            Value::String(s) => s.trim().split('.').next()?.parse().ok(),
            Value::Number(n) => n
                .as_f64()
                .filter(|f| f.is_finite() && *f >= 0.0)
                .map(|f| f as u64),
            _ => None,
        }
    }
    if major(obj.get("openapi")) == Some(3) {
        Some(Flavor::OpenApi3)
    } else if major(obj.get("swagger")) == Some(2) {
        Some(Flavor::Swagger2)
    } else {
        None
    }
}

/// Properties and required names of an object schema, with `$ref` / `allOf` / `oneOf` / `anyOf`
/// folded in. First occurrence of a property wins.
#[derive(Default)]
struct Flat<'a> {
    props: Vec<(&'a str, &'a Value)>,
    required: Vec<&'a str>,
}

impl<'a> Flat<'a> {
    fn add_prop(&mut self, name: &'a str, schema: &'a Value) {
        if !self.props.iter().any(|(n, _)| *n == name) {
            self.props.push((name, schema));
        }
    }

    fn add_required(&mut self, name: &'a str) {
        if !self.required.contains(&name) {
            self.required.push(name);
        }
    }

    fn merge(&mut self, other: Flat<'a>) {
        for (name, schema) in other.props {
            self.add_prop(name, schema);
        }
        for name in other.required {
            self.add_required(name);
        }
    }
}

/// What matters about one property schema, gathered through `$ref` and combinators.
#[derive(Default)]
struct PropView<'a> {
    ty: Option<&'a str>,
    format: Option<&'a str>,
    constant: Option<&'a Value>,
    enum_values: Option<&'a [Value]>,
    default: Option<&'a Value>,
    read_only: bool,
}

impl PropView<'_> {
    /// The value to send for a required field.
    fn value(&self) -> Option<String> {
        if let Some(c) = self.constant.and_then(scalar_string) {
            return Some(c);
        }
        if let Some(e) = self
            .enum_values
            .and_then(|vals| vals.iter().find_map(scalar_string))
        {
            return Some(e);
        }
        if let Some(d) = self.default.and_then(scalar_string) {
            return Some(d);
        }
        match self.ty {
            None | Some("string") => Some("keyhole".to_string()),
            Some("integer") | Some("number") => Some("0".to_string()),
            Some("boolean") => Some("false".to_string()),
            _ => None,
        }
    }

    fn is_textual(&self) -> bool {
        matches!(self.ty, None | Some("string"))
    }

    fn format_is(&self, want: &str) -> bool {
        self.format.is_some_and(|f| f.eq_ignore_ascii_case(want))
    }
}

/// The fields of a sign-in body.
struct Fields {
    username: String,
    /// The identifier's schema says `format: email`.
    username_is_email: bool,
    password: String,
    extras: Vec<(String, String)>,
    grant_type: bool,
}

struct Parser<'a> {
    root: &'a Value,
    obj: &'a Map<String, Value>,
    flavor: Flavor,
    doc_url: &'a Url,
    steps: Cell<u32>,
}

impl<'a> Parser<'a> {
    // ----- budget and references -------------------------------------------------------------

    fn reset_budget(&self) {
        self.steps.set(0);
    }

    fn tick(&self) -> bool {
        let n = self.steps.get();
        if n >= MAX_STEPS {
            return false;
        }
        self.steps.set(n + 1);
        true
    }

    /// Target of a local reference (`#/components/schemas/X`); remote references give `None`.
    fn lookup(&self, reference: &str) -> Option<&'a Value> {
        let fragment = reference.trim().strip_prefix('#')?;
        if fragment.is_empty() {
            return Some(self.root);
        }
        if !fragment.starts_with('/') {
            return None;
        }
        self.root.pointer(&percent_decode(fragment)?)
    }

    /// Follows a `$ref` chain (bounded). Values without `$ref` are returned as they are.
    fn deref(&self, value: &'a Value) -> Option<&'a Value> {
        let mut current = value;
        for _ in 0..MAX_REF_HOPS {
            match current.get("$ref").and_then(Value::as_str) {
                Some(reference) => current = self.lookup(reference)?,
                None => return Some(current),
            }
        }
        None
    }

    // ----- schemas --------------------------------------------------------------------------

    fn flatten(&self, schema: &'a Value, depth: u32, out: &mut Flat<'a>) {
        if depth > MAX_SCHEMA_DEPTH || !self.tick() {
            return;
        }
        let Some(obj) = schema.as_object() else {
            return;
        };
        if let Some(target) = obj
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| self.lookup(r))
        {
            self.flatten(target, depth + 1, out);
        }
        if let Some(props) = obj.get("properties").and_then(Value::as_object) {
            for (name, prop) in props.iter().take(MAX_PROPERTIES) {
                out.add_prop(name, prop);
            }
        }
        if let Some(required) = obj.get("required").and_then(Value::as_array) {
            for name in required
                .iter()
                .take(MAX_PROPERTIES)
                .filter_map(Value::as_str)
            {
                out.add_required(name);
            }
        }
        if let Some(all) = obj.get("allOf").and_then(Value::as_array) {
            for sub in all.iter().take(MAX_ALTERNATIVES) {
                self.flatten(sub, depth + 1, out);
            }
        }
        for key in ["oneOf", "anyOf"] {
            let Some(alternatives) = obj.get(key).and_then(Value::as_array) else {
                continue;
            };
            for alternative in alternatives.iter().take(MAX_ALTERNATIVES) {
                let mut flat = Flat::default();
                self.flatten(alternative, depth + 1, &mut flat);
                if self.find_password(&flat).is_some() {
                    out.merge(flat);
                    break;
                }
            }
        }
    }

    fn flat_of(&self, schema: &'a Value) -> Flat<'a> {
        let mut flat = Flat::default();
        self.flatten(schema, 0, &mut flat);
        flat
    }

    fn view(&self, schema: &'a Value) -> PropView<'a> {
        let mut view = PropView::default();
        self.fill_view(schema, 0, &mut view);
        view
    }

    fn fill_view(&self, schema: &'a Value, depth: u32, view: &mut PropView<'a>) {
        if depth > MAX_SCHEMA_DEPTH || !self.tick() {
            return;
        }
        let Some(obj) = schema.as_object() else {
            return;
        };
        if view.ty.is_none() {
            view.ty = schema_type(obj.get("type"));
        }
        if view.format.is_none() {
            view.format = obj.get("format").and_then(Value::as_str);
        }
        if view.constant.is_none() {
            view.constant = obj.get("const").filter(|v| is_scalar(v));
        }
        if view.enum_values.is_none() {
            view.enum_values = obj
                .get("enum")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .filter(|vals| !vals.is_empty());
        }
        if view.default.is_none() {
            view.default = obj.get("default").filter(|v| is_scalar(v));
        }
        if obj.get("readOnly").and_then(Value::as_bool) == Some(true) {
            view.read_only = true;
        }
        if let Some(target) = obj
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| self.lookup(r))
        {
            self.fill_view(target, depth + 1, view);
        }
        for key in ["allOf", "anyOf", "oneOf"] {
            if let Some(subs) = obj.get(key).and_then(Value::as_array) {
                for sub in subs.iter().take(MAX_ALTERNATIVES) {
                    self.fill_view(sub, depth + 1, view);
                }
            }
        }
    }

    fn find_password(&self, flat: &Flat<'a>) -> Option<&'a str> {
        let candidates: Vec<(&'a str, String, PropView<'a>)> = flat
            .props
            .iter()
            .map(|(name, schema)| (*name, normalize(name), self.view(schema)))
            .filter(|(_, _, view)| view.is_textual())
            .collect();
        if let Some((name, _, _)) = candidates
            .iter()
            .find(|(_, norm, _)| PASSWORD_NAMES.contains(&norm.as_str()))
        {
            return Some(name);
        }
        if let Some((name, _, _)) = candidates.iter().find(|(_, norm, _)| {
            ["password", "passwd", "pwd"]
                .iter()
                .any(|suffix| norm.ends_with(suffix))
        }) {
            return Some(name);
        }
        candidates
            .iter()
            .find(|(_, norm, view)| {
                view.format_is("password")
                    && !["client", "token", "key", "otp", "pin", "code"]
                        .iter()
                        .any(|word| norm.contains(word))
            })
            .map(|(name, _, _)| *name)
    }

    fn find_username(&self, flat: &Flat<'a>, password: &str) -> Option<&'a str> {
        let candidates: Vec<(&'a str, String, PropView<'a>)> = flat
            .props
            .iter()
            .filter(|(name, _)| *name != password)
            .map(|(name, schema)| (*name, normalize(name), self.view(schema)))
            .filter(|(_, norm, view)| {
                matches!(
                    view.ty,
                    None | Some("string") | Some("integer") | Some("number")
                ) && !["date", "date-time", "password", "binary", "byte"]
                    .iter()
                    .any(|f| view.format_is(f))
                    && !OAUTH_PARAMS.contains(&norm.as_str())
            })
            .collect();
        for want in USERNAME_NAMES {
            if let Some((name, _, _)) = candidates.iter().find(|(_, norm, _)| norm == want) {
                return Some(name);
            }
        }
        if let Some((name, _, _)) = candidates.iter().find(|(_, norm, _)| {
            norm.contains("username")
                || norm.contains("email")
                || USERNAME_LIKE_EXTRA.contains(&norm.as_str())
        }) {
            return Some(name);
        }
        if let Some((name, _, _)) = candidates
            .iter()
            .find(|(_, _, view)| view.format_is("email"))
        {
            return Some(name);
        }
        candidates
            .iter()
            .find(|(name, _, view)| view.ty == Some("string") && flat.required.contains(name))
            .map(|(name, _, _)| *name)
    }

    /// The sign-in fields of a body schema, or `None` when it is not a sign-in body.
    fn analyze(&self, flat: &Flat<'a>) -> Option<Fields> {
        if flat
            .props
            .iter()
            .any(|(name, _)| is_password_change_field(name))
        {
            return None;
        }
        let password = self.find_password(flat)?;
        let username = self.find_username(flat, password)?;
        let mut extras = Vec::new();
        let mut grant_type = false;
        for (name, schema) in &flat.props {
            if *name == password || *name == username {
                continue;
            }
            let is_grant = normalize(name) == "granttype";
            grant_type |= is_grant;
            if is_grant {
                extras.push((name.to_string(), "password".to_string()));
                continue;
            }
            if !flat.required.contains(name) {
                continue;
            }
            let view = self.view(schema);
            if view.read_only {
                continue;
            }
            if let Some(value) = view.value() {
                extras.push((name.to_string(), value));
            }
        }
        for name in &flat.required {
            if *name == password || *name == username || flat.props.iter().any(|(n, _)| n == name) {
                continue;
            }
            let is_grant = normalize(name) == "granttype";
            grant_type |= is_grant;
            let value = if is_grant { "password" } else { "keyhole" };
            extras.push((name.to_string(), value.to_string()));
        }
        let username_is_email = flat
            .props
            .iter()
            .find(|(n, _)| *n == username)
            .is_some_and(|(_, schema)| self.view(schema).format_is("email"));
        Some(Fields {
            username: username.to_string(),
            username_is_email,
            password: password.to_string(),
            extras,
            grant_type,
        })
    }

    // ----- operations -----------------------------------------------------------------------

    /// Base URL for operations and the foreign origins the document declares for the same API.
    fn document_base(&self) -> (Url, Vec<Origin>) {
        let site = origin_url(self.doc_url);
        match self.flavor {
            Flavor::OpenApi3 => {
                let servers = self.obj.get("servers");
                let base = servers
                    .and_then(|s| self.server_base(s))
                    .unwrap_or_else(|| site.clone());
                let mut aliases = Vec::new();
                for server in servers
                    .and_then(Value::as_array)
                    .map(|a| a.as_slice())
                    .unwrap_or_default()
                    .iter()
                    .take(MAX_SERVERS)
                {
                    if let Some(resolved) = self.resolve_server(server) {
                        let origin = resolved.origin();
                        if origin != site.origin() && !aliases.contains(&origin) {
                            aliases.push(origin);
                        }
                    }
                }
                (base, aliases)
            }
            Flavor::Swagger2 => {
                let base_path = self
                    .obj
                    .get("basePath")
                    .and_then(Value::as_str)
                    .map(str::trim)
                    .unwrap_or("/");
                let base = join_url(&site, base_path).unwrap_or_else(|| site.clone());
                let mut aliases = Vec::new();
                if let Some(host) = self.obj.get("host").and_then(Value::as_str) {
                    let schemes: Vec<&str> = self
                        .obj
                        .get("schemes")
                        .and_then(Value::as_array)
                        .map(|a| a.iter().filter_map(Value::as_str).take(4).collect())
                        .unwrap_or_default();
                    let schemes = if schemes.is_empty() {
                        vec![self.doc_url.scheme()]
                    } else {
                        schemes
                    };
                    for scheme in schemes {
                        if let Ok(u) = Url::parse(&format!("{scheme}://{}/", host.trim())) {
                            let origin = u.origin();
                            if origin != site.origin() && !aliases.contains(&origin) {
                                aliases.push(origin);
                            }
                        }
                    }
                }
                (base, aliases)
            }
        }
    }

    /// One server object's URL, variables substituted, resolved against the document's URL.
    fn resolve_server(&self, server: &Value) -> Option<Url> {
        let raw = server.get("url").and_then(Value::as_str)?;
        let expanded = substitute_variables(raw, server.get("variables"))?;
        let expanded = expanded.trim();
        if expanded.is_empty() {
            return Some(origin_url(self.doc_url));
        }
        self.doc_url.join(expanded).ok()
    }

    /// The first usable server of a `servers` array, moved onto the document's origin.
    fn server_base(&self, servers: &Value) -> Option<Url> {
        servers
            .as_array()?
            .iter()
            .take(MAX_SERVERS)
            .find_map(|server| self.resolve_server(server))
            .map(|resolved| {
                let mut base = origin_url(self.doc_url);
                if !resolved.cannot_be_a_base() {
                    base.set_path(resolved.path());
                }
                base
            })
    }

    fn collect_operations(&self, base: &Url, out: &mut Vec<SignInOperation>) {
        let Some(paths) = self.obj.get("paths").and_then(Value::as_object) else {
            return;
        };
        for (path, item) in paths {
            self.reset_budget();
            let Some(item) = self.deref(item).and_then(Value::as_object) else {
                continue;
            };
            for (method, op) in item {
                let method = method.to_ascii_uppercase();
                if !matches!(method.as_str(), "POST" | "PUT" | "PATCH") {
                    continue;
                }
                let Some(op) = op.as_object() else {
                    continue;
                };
                self.reset_budget();
                let Some(found) = self.operation(base, path, &method, item, op) else {
                    continue;
                };
                if !out
                    .iter()
                    .any(|o| o.method == found.method && o.url == found.url)
                {
                    out.push(found);
                }
            }
        }
    }

    /// The password-reset and registration operations of `paths`.
    fn collect_flow_operations(&self, base: &Url, out: &mut Vec<FlowOperation>) {
        use crate::report::Flow;
        let Some(paths) = self.obj.get("paths").and_then(Value::as_object) else {
            return;
        };
        for (path, item) in paths {
            self.reset_budget();
            let Some(item) = self.deref(item).and_then(Value::as_object) else {
                continue;
            };
            let Some(op) = item.get("post").and_then(Value::as_object) else {
                continue;
            };
            let words = [
                Some(path.as_str()),
                op.get("operationId").and_then(Value::as_str),
                op.get("summary").and_then(Value::as_str),
            ]
            .into_iter()
            .flatten()
            .map(normalize)
            .collect::<Vec<_>>()
            .join(" ");
            let reset = ["forgot", "reset", "recover", "lostpassword"]
                .iter()
                .any(|w| words.contains(w));
            let register = ["register", "signup", "createuser", "createaccount"]
                .iter()
                .any(|w| words.contains(w));
            if !reset && !register {
                continue;
            }
            let params = self.parameters(item.get("parameters"), op.get("parameters"));
            let bodies = match self.flavor {
                Flavor::OpenApi3 => self.oas3_bodies(op),
                Flavor::Swagger2 => self.swagger2_bodies(op, &params),
            };
            for (encoding, flat) in bodies {
                let password = flat.props.iter().map(|(n, _)| *n).find(|n| {
                    matches!(
                        normalize(n).as_str(),
                        "password" | "passwd" | "pwd" | "password1" | "newpassword"
                    )
                });
                let token = flat.props.iter().any(|(n, _)| {
                    let n = normalize(n);
                    n.contains("token") || n == "code" || n == "key" || n == "uid"
                });
                let flow = match (reset, register, password) {
                    (true, _, None) if !token => Flow::PasswordReset,
                    (_, true, Some(_)) if !token => Flow::Registration,
                    _ => continue,
                };
                // The identifier: an e-mail field first, then a username-like one.
                let email = flat.props.iter().find(|(n, sch)| {
                    normalize(n).contains("email") || self.view(sch).format_is("email")
                });
                let id = email.or_else(|| flat.props.iter().find(|(n, _)| is_account_name(n)));
                let Some((id_name, id_schema)) = id else {
                    continue;
                };
                let Some(path) = self.fill_path_parameters(path, &params) else {
                    continue;
                };
                let Some(url) = join_url(base, &path) else {
                    continue;
                };
                if !out.iter().any(|o: &FlowOperation| o.url == url) {
                    out.push(FlowOperation {
                        flow,
                        method: "POST".into(),
                        url,
                        encoding,
                        identifier_field: id_name.to_string(),
                        identifier_is_email: normalize(id_name).contains("email")
                            || self.view(id_schema).format_is("email"),
                        password_field: password.map(str::to_string),
                    });
                }
                break;
            }
        }
    }

    fn operation(
        &self,
        base: &Url,
        path: &str,
        method: &str,
        item: &'a Map<String, Value>,
        op: &'a Map<String, Value>,
    ) -> Option<SignInOperation> {
        if names_non_sign_in(path, op) || is_account_resource(path, method) {
            return None;
        }
        let params = self.parameters(item.get("parameters"), op.get("parameters"));
        let bodies = match self.flavor {
            Flavor::OpenApi3 => self.oas3_bodies(op),
            Flavor::Swagger2 => self.swagger2_bodies(op, &params),
        };
        let (encoding, fields) = bodies
            .into_iter()
            .find_map(|(encoding, flat)| self.analyze(&flat).map(|f| (encoding, f)))?;
        let op_base = match self.flavor {
            Flavor::OpenApi3 => op
                .get("servers")
                .or_else(|| item.get("servers"))
                .and_then(|s| self.server_base(s))
                .unwrap_or_else(|| base.clone()),
            Flavor::Swagger2 => base.clone(),
        };
        let path = self.fill_path_parameters(path, &params)?;
        let url = join_url(&op_base, &path)?;
        Some(SignInOperation {
            method: method.to_string(),
            url,
            encoding,
            username_field: fields.username,
            password_field: fields.password,
            extra_fields: fields.extras,
            oauth2_password: fields.grant_type,
            username_is_email: fields.username_is_email,
        })
    }

    /// Path-level then operation-level parameters (the latter override by name and location).
    fn parameters(
        &self,
        path_level: Option<&'a Value>,
        op_level: Option<&'a Value>,
    ) -> Vec<&'a Value> {
        let mut out: Vec<&'a Value> = Vec::new();
        for list in [path_level, op_level].into_iter().flatten() {
            let Some(list) = list.as_array() else {
                continue;
            };
            for param in list.iter().take(MAX_PARAMETERS) {
                let Some(param) = self.deref(param).filter(|p| p.is_object()) else {
                    continue;
                };
                let key = (param.get("name"), param.get("in"));
                out.retain(|p| (p.get("name"), p.get("in")) != key);
                out.push(param);
            }
        }
        out
    }

    /// Candidate bodies of an OpenAPI 3 operation, JSON first.
    fn oas3_bodies(&self, op: &'a Map<String, Value>) -> Vec<(BodyEncoding, Flat<'a>)> {
        let Some(content) = op
            .get("requestBody")
            .and_then(|rb| self.deref(rb))
            .and_then(|rb| rb.get("content"))
            .and_then(Value::as_object)
        else {
            return Vec::new();
        };
        let mut ranked: Vec<(u8, BodyEncoding, &'a Value)> = content
            .iter()
            .filter_map(|(media, body)| {
                let (rank, encoding) = classify_media(media)?;
                Some((rank, encoding, body.get("schema")?))
            })
            .collect();
        ranked.sort_by_key(|(rank, _, _)| *rank);
        ranked
            .into_iter()
            .map(|(_, encoding, schema)| (encoding, self.flat_of(schema)))
            .collect()
    }

    /// Candidate bodies of a Swagger 2 operation: the `in: body` schema, then `formData`.
    fn swagger2_bodies(
        &self,
        op: &'a Map<String, Value>,
        params: &[&'a Value],
    ) -> Vec<(BodyEncoding, Flat<'a>)> {
        let consumes: Vec<&str> = op
            .get("consumes")
            .or_else(|| self.obj.get("consumes"))
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).take(32).collect())
            .unwrap_or_default();
        let json_ok = consumes.is_empty()
            || consumes
                .iter()
                .any(|m| matches!(classify_media(m), Some((_, BodyEncoding::Json))));
        let form_ok = consumes
            .iter()
            .any(|m| matches!(classify_media(m), Some((_, BodyEncoding::Form))));

        let mut out = Vec::new();
        fn location(p: &Value) -> Option<&str> {
            p.get("in").and_then(Value::as_str)
        }
        if let Some(schema) = params
            .iter()
            .find(|p| location(p) == Some("body"))
            .and_then(|p| p.get("schema"))
        {
            let encoding = if json_ok {
                Some(BodyEncoding::Json)
            } else if form_ok {
                Some(BodyEncoding::Form)
            } else {
                None
            };
            if let Some(encoding) = encoding {
                out.push((encoding, self.flat_of(schema)));
            }
        }
        let mut form = Flat::default();
        for param in params.iter().filter(|p| location(p) == Some("formData")) {
            let Some(name) = param.get("name").and_then(Value::as_str) else {
                continue;
            };
            // The parameter object itself carries type / format / enum / default.
            form.add_prop(name, param);
            if param.get("required").and_then(Value::as_bool) == Some(true) {
                form.add_required(name);
            }
        }
        if !form.props.is_empty() {
            out.push((BodyEncoding::Form, form));
        }
        out
    }

    /// Replaces `{name}` path templates with an example / default / enum value of the path
    /// parameter; `None` when one cannot be filled.
    fn fill_path_parameters(&self, path: &str, params: &[&'a Value]) -> Option<String> {
        if !path.contains('{') {
            return Some(path.to_string());
        }
        let mut out = String::with_capacity(path.len());
        let mut rest = path;
        while let Some(start) = rest.find('{') {
            out.push_str(&rest[..start]);
            let after = &rest[start + 1..];
            let end = after.find('}')?;
            let name = &after[..end];
            let param = params.iter().find(|p| {
                p.get("in").and_then(Value::as_str) == Some("path")
                    && p.get("name").and_then(Value::as_str) == Some(name)
            })?;
            out.push_str(&self.parameter_sample(param)?);
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Some(out)
    }

    fn parameter_sample(&self, param: &'a Value) -> Option<String> {
        let schema = param.get("schema").and_then(|s| self.deref(s));
        let sources = [param.as_object(), schema.and_then(Value::as_object)];
        for source in sources.into_iter().flatten() {
            for key in ["example", "x-example", "default"] {
                if let Some(v) = source.get(key).and_then(scalar_string) {
                    return Some(v);
                }
            }
            if let Some(v) = source
                .get("enum")
                .and_then(Value::as_array)
                .and_then(|vals| vals.iter().find_map(scalar_string))
            {
                return Some(v);
            }
            if let Some(v) = source
                .get("examples")
                .and_then(Value::as_object)
                .and_then(|ex| {
                    ex.values()
                        .find_map(|e| self.deref(e)?.get("value").and_then(scalar_string))
                })
            {
                return Some(v);
            }
        }
        None
    }

    // ----- OAuth2 password flows ------------------------------------------------------------

    fn token_urls(&self) -> Vec<&'a str> {
        let mut out = Vec::new();
        match self.flavor {
            Flavor::OpenApi3 => {
                let Some(schemes) = self
                    .obj
                    .get("components")
                    .and_then(|c| c.get("securitySchemes"))
                    .and_then(Value::as_object)
                else {
                    return out;
                };
                for scheme in schemes.values() {
                    let Some(scheme) = self.deref(scheme) else {
                        continue;
                    };
                    if let Some(token) = scheme
                        .get("flows")
                        .and_then(|f| f.get("password"))
                        .and_then(|p| p.get("tokenUrl"))
                        .and_then(Value::as_str)
                    {
                        out.push(token);
                    }
                }
            }
            Flavor::Swagger2 => {
                let Some(definitions) = self
                    .obj
                    .get("securityDefinitions")
                    .and_then(Value::as_object)
                else {
                    return out;
                };
                for definition in definitions.values() {
                    let is = |key: &str, want: &str| {
                        definition
                            .get(key)
                            .and_then(Value::as_str)
                            .is_some_and(|v| v.eq_ignore_ascii_case(want))
                    };
                    if is("type", "oauth2") && is("flow", "password") {
                        if let Some(token) = definition.get("tokenUrl").and_then(Value::as_str) {
                            out.push(token);
                        }
                    }
                }
            }
        }
        out
    }

    fn add_token_urls(&self, base: &Url, aliases: &[Origin], ops: &mut Vec<SignInOperation>) {
        for token in self.token_urls() {
            let Some(url) = resolve_token_url(token, base, aliases) else {
                continue;
            };
            let mut known = false;
            for op in ops.iter_mut().filter(|op| op.url == url) {
                known = true;
                op.oauth2_password = true;
                if !op
                    .extra_fields
                    .iter()
                    .any(|(name, _)| normalize(name) == "granttype")
                {
                    op.extra_fields
                        .insert(0, ("grant_type".to_string(), "password".to_string()));
                }
            }
            if !known {
                ops.push(SignInOperation {
                    method: "POST".to_string(),
                    url,
                    encoding: BodyEncoding::Form,
                    username_field: "username".to_string(),
                    password_field: "password".to_string(),
                    extra_fields: vec![("grant_type".to_string(), "password".to_string())],
                    oauth2_password: true,
                    username_is_email: false,
                });
            }
        }
    }

    // ----- example accounts -----------------------------------------------------------------

    fn collect_accounts(&self) -> Vec<String> {
        let mut walker = AccountWalker {
            parser: self,
            found: Vec::new(),
            visited: 0,
        };
        walker.walk(self.root, None, 0);
        walker.found
    }
}

/// Walks the whole document (bounded) for example values of username-like properties.
struct AccountWalker<'p, 'a> {
    parser: &'p Parser<'a>,
    found: Vec<String>,
    visited: usize,
}

impl<'a> AccountWalker<'_, 'a> {
    fn done(&self) -> bool {
        self.found.len() >= MAX_EXAMPLE_ACCOUNTS || self.visited >= MAX_WALK_NODES
    }

    fn add(&mut self, value: &Value) {
        let Some(s) = value.as_str() else {
            return;
        };
        if self.found.len() < MAX_EXAMPLE_ACCOUNTS
            && plausible_account(s)
            && !self.found.iter().any(|f| f == s)
        {
            self.found.push(s.to_string());
        }
    }

    fn walk(&mut self, value: &'a Value, key: Option<&str>, depth: u32) {
        if depth > MAX_WALK_DEPTH || self.done() {
            return;
        }
        self.visited += 1;
        let example_key = matches!(
            key,
            Some("example" | "examples" | "value" | "default" | "x-example")
        );
        match value {
            Value::Object(map) => {
                if example_key {
                    self.take_example_value(value, 0);
                }
                if let Some(props) = map.get("properties").and_then(Value::as_object) {
                    for (name, schema) in props.iter().take(MAX_PROPERTIES) {
                        if is_account_name(name) || self.has_email_format(schema) {
                            self.take_schema_examples(schema, 0);
                        }
                    }
                }
                if let (Some(name), Some(_)) = (
                    map.get("name").and_then(Value::as_str),
                    map.get("in").and_then(Value::as_str),
                ) {
                    if is_account_name(name) {
                        self.take_schema_examples(value, 0);
                        if let Some(schema) = map.get("schema") {
                            self.take_schema_examples(schema, 0);
                        }
                    }
                }
                for (k, child) in map {
                    if self.done() {
                        return;
                    }
                    self.walk(child, Some(k), depth + 1);
                }
            }
            Value::Array(items) => {
                if example_key {
                    self.take_example_value(value, 0);
                }
                for item in items {
                    if self.done() {
                        return;
                    }
                    self.walk(item, key, depth + 1);
                }
            }
            _ => {}
        }
    }

    fn has_email_format(&self, schema: &'a Value) -> bool {
        let is_email = |v: &Value| {
            v.get("format")
                .and_then(Value::as_str)
                .is_some_and(|f| f.eq_ignore_ascii_case("email"))
        };
        is_email(schema) || self.parser.deref(schema).is_some_and(is_email)
    }

    /// Example values (`example`, `examples`, `default`, `x-example`) of an account-like schema
    /// or parameter.
    fn take_schema_examples(&mut self, schema: &'a Value, depth: u32) {
        if depth > 4 || self.done() {
            return;
        }
        self.visited += 1;
        let mut targets = vec![schema];
        if let Some(target) = self.parser.deref(schema) {
            if !std::ptr::eq(target, schema) {
                targets.push(target);
            }
        }
        for target in targets {
            let Some(obj) = target.as_object() else {
                continue;
            };
            for key in ["example", "x-example", "default"] {
                if let Some(v) = obj.get(key) {
                    self.add(v);
                }
            }
            match obj.get("examples") {
                Some(Value::Array(items)) => {
                    for item in items.iter().take(MAX_EXAMPLE_ACCOUNTS) {
                        self.add(item);
                    }
                }
                Some(Value::Object(named)) => {
                    for example in named.values().take(MAX_EXAMPLE_ACCOUNTS) {
                        if let Some(v) = self.parser.deref(example).and_then(|e| e.get("value")) {
                            self.add(v);
                        }
                    }
                }
                _ => {}
            }
            for key in ["allOf", "anyOf", "oneOf"] {
                if let Some(subs) = obj.get(key).and_then(Value::as_array) {
                    for sub in subs.iter().take(8) {
                        self.take_schema_examples(sub, depth + 1);
                    }
                }
            }
        }
    }

    /// Account-like keys of an example value (`{"username": "admin", "password": "..."}`),
    /// including inside named examples and nested objects.
    fn take_example_value(&mut self, value: &'a Value, depth: u32) {
        if depth > 4 || self.done() {
            return;
        }
        self.visited += 1;
        match value {
            Value::Object(map) => {
                for (k, v) in map.iter().take(MAX_PROPERTIES) {
                    match v {
                        Value::String(_) if is_account_name(k) => self.add(v),
                        Value::Object(_) | Value::Array(_) => self.take_example_value(v, depth + 1),
                        _ => {}
                    }
                }
            }
            Value::Array(items) => {
                for item in items.iter().take(64) {
                    self.take_example_value(item, depth + 1);
                }
            }
            _ => {}
        }
    }
}

// ----- free helpers ------------------------------------------------------------------------------

/// Lower-case ASCII alphanumerics of a name: `user_name`, `userName` and `User-Name` all give
/// `username`.
fn normalize(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

fn is_scalar(v: &Value) -> bool {
    matches!(v, Value::String(_) | Value::Number(_) | Value::Bool(_))
}

fn scalar_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// `type` as a string; for 3.1 type arrays the first that is not `"null"`.
fn schema_type(v: Option<&Value>) -> Option<&str> {
    match v? {
        Value::String(s) if s != "null" => Some(s.as_str()),
        Value::Array(items) => items
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null"),
        _ => None,
    }
}

fn classify_media(media: &str) -> Option<(u8, BodyEncoding)> {
    let media = media
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match media.as_str() {
        "application/json" => Some((0, BodyEncoding::Json)),
        "text/json" => Some((1, BodyEncoding::Json)),
        m if m.ends_with("+json") => Some((1, BodyEncoding::Json)),
        "application/x-www-form-urlencoded" => Some((2, BodyEncoding::Form)),
        "multipart/form-data" => Some((3, BodyEncoding::Form)),
        "*/*" | "application/*" => Some((4, BodyEncoding::Json)),
        _ => None,
    }
}

/// Path, operationId or summary naming a registration, reset or password change.
fn names_non_sign_in(path: &str, op: &Map<String, Value>) -> bool {
    let texts = [
        Some(path),
        op.get("operationId").and_then(Value::as_str),
        op.get("summary").and_then(Value::as_str),
    ];
    texts.into_iter().flatten().any(|text| {
        let norm = normalize(text);
        NOT_SIGN_IN_WORDS.iter().any(|word| norm.contains(word))
            || ACCOUNT_CREATION_ENDINGS
                .iter()
                .any(|ending| norm.ends_with(ending))
    })
}

/// `POST /users`, `PUT /users/{id}`, `PATCH /me`, `PUT /me/password`: account creation or edits.
fn is_account_resource(path: &str, method: &str) -> bool {
    let path = path.split('?').next().unwrap_or_default();
    let Some(last) = path
        .split('/')
        .rfind(|seg| !seg.is_empty() && !seg.starts_with('{'))
    else {
        return false;
    };
    let last = last.to_ascii_lowercase();
    COLLECTION_SEGMENTS.contains(&last.as_str())
        || (method != "POST" && matches!(last.as_str(), "password" | "passwords"))
}

/// `new_password`, `password_confirmation`, `password2`, `confirm`…: a password change or an
/// account creation, not a sign-in.
fn is_password_change_field(name: &str) -> bool {
    let norm = normalize(name);
    if matches!(
        norm.as_str(),
        "confirm" | "confirmation" | "repeat" | "retype" | "verify"
    ) {
        return true;
    }
    ["password", "passwd", "pwd"]
        .iter()
        .any(|word| norm.contains(word))
        && PASSWORD_CHANGE_MARKERS
            .iter()
            .any(|marker| norm.contains(marker))
}

fn is_account_name(name: &str) -> bool {
    let norm = normalize(name);
    USERNAME_NAMES.contains(&norm.as_str())
        || USERNAME_LIKE_EXTRA.contains(&norm.as_str())
        || norm.contains("username")
        || norm.contains("email")
}

/// Example values worth trying as accounts: no spaces, no template braces, not a placeholder.
fn plausible_account(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_ACCOUNT_LEN
        && !s
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "{}<>[]".contains(c))
        && !["string", "null", "none", "undefined"]
            .iter()
            .any(|p| s.eq_ignore_ascii_case(p))
}

/// `scheme://host:port/` of a URL (no credentials, query or fragment).
fn origin_url(url: &Url) -> Url {
    let mut out = url.clone();
    let _ = out.set_username("");
    let _ = out.set_password(None);
    out.set_query(None);
    out.set_fragment(None);
    if !out.cannot_be_a_base() {
        out.set_path("/");
    }
    out
}

/// Appends an operation path to a base URL's path without doubling slashes. A `?query` in the
/// path becomes the query. `None` for bases that cannot take a path.
fn join_url(base: &Url, path: &str) -> Option<Url> {
    if base.cannot_be_a_base() {
        return None;
    }
    let (path, query) = match path.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (path, None),
    };
    let mut joined = String::from(base.path().trim_end_matches('/'));
    if !path.starts_with('/') {
        joined.push('/');
    }
    joined.push_str(path);
    let mut collapsed = String::with_capacity(joined.len());
    for c in joined.chars() {
        if c == '/' && collapsed.ends_with('/') {
            continue;
        }
        collapsed.push(c);
    }
    let mut url = base.clone();
    url.set_path(&collapsed);
    url.set_query(query.filter(|q| !q.is_empty()));
    url.set_fragment(None);
    Some(url)
}

/// Resolves a tokenUrl against the server base (as a directory: `token` under `/api/v1` is
/// `/api/v1/token`). URLs on a declared alias origin move to the base's origin; other origins
/// are dropped.
fn resolve_token_url(raw: &str, base: &Url, aliases: &[Origin]) -> Option<Url> {
    let raw = raw.trim();
    if raw.is_empty() || base.cannot_be_a_base() {
        return None;
    }
    let mut dir = base.clone();
    if !dir.path().ends_with('/') {
        let with_slash = format!("{}/", dir.path());
        dir.set_path(&with_slash);
    }
    let mut url = dir.join(raw).ok()?;
    url.set_fragment(None);
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    let origin = url.origin();
    if origin == base.origin() {
        return Some(url);
    }
    if aliases.contains(&origin) {
        let mut moved = origin_url(base);
        moved.set_path(url.path());
        moved.set_query(url.query());
        return Some(moved);
    }
    None
}

/// `{name}` server variables replaced by their defaults; `None` if one has no value.
fn substitute_variables(raw: &str, variables: Option<&Value>) -> Option<String> {
    if !raw.contains('{') {
        return Some(raw.to_string());
    }
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let end = after.find('}')?;
        let variable = variables?.get(&after[..end])?;
        let value = variable
            .get("default")
            .and_then(scalar_string)
            .or_else(|| {
                variable
                    .get("enum")
                    .and_then(Value::as_array)
                    .and_then(|vals| vals.iter().find_map(scalar_string))
            })?;
        out.push_str(&value);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Some(out)
}

/// Percent-decodes a JSON pointer taken from a URI fragment.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = |b: u8| (b as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).expect("test URL")
    }

    fn op(
        method: &str,
        u: &str,
        encoding: BodyEncoding,
        username: &str,
        password: &str,
        extras: &[(&str, &str)],
        oauth2_password: bool,
    ) -> SignInOperation {
        SignInOperation {
            method: method.to_string(),
            url: url(u),
            encoding,
            username_field: username.to_string(),
            password_field: password.to_string(),
            extra_fields: extras
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            oauth2_password,
            username_is_email: false,
        }
    }

    fn parse_at(doc: &str, doc_url: &str) -> OpenApiInfo {
        parse(doc, &url(doc_url)).expect("document parses")
    }

    /// What FastAPI 0.110 emits for the OAuth2 tutorial (OAuth2PasswordRequestForm at /token).
    const FASTAPI_OAUTH2: &str = r##"{
      "openapi": "3.1.0",
      "info": {"title": "FastAPI", "version": "0.1.0"},
      "paths": {
        "/token": {
          "post": {
            "summary": "Login For Access Token",
            "operationId": "login_for_access_token_token_post",
            "requestBody": {
              "content": {
                "application/x-www-form-urlencoded": {
                  "schema": {"$ref": "#/components/schemas/Body_login_for_access_token_token_post"}
                }
              },
              "required": true
            },
            "responses": {
              "200": {"description": "Successful Response",
                      "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Token"}}}},
              "422": {"description": "Validation Error",
                      "content": {"application/json": {"schema": {"$ref": "#/components/schemas/HTTPValidationError"}}}}
            }
          }
        },
        "/users/me/": {
          "get": {
            "summary": "Read Users Me",
            "operationId": "read_users_me_users_me__get",
            "responses": {"200": {"description": "Successful Response",
              "content": {"application/json": {"schema": {"$ref": "#/components/schemas/User"}}}}},
            "security": [{"OAuth2PasswordBearer": []}]
          }
        },
        "/users/me/items/": {
          "get": {
            "summary": "Read Own Items",
            "operationId": "read_own_items_users_me_items__get",
            "responses": {"200": {"description": "Successful Response", "content": {"application/json": {"schema": {}}}}},
            "security": [{"OAuth2PasswordBearer": []}]
          }
        }
      },
      "components": {
        "schemas": {
          "Body_login_for_access_token_token_post": {
            "properties": {
              "grant_type": {"anyOf": [{"type": "string", "pattern": "^password$"}, {"type": "null"}], "title": "Grant Type"},
              "username": {"type": "string", "title": "Username"},
              "password": {"type": "string", "format": "password", "title": "Password"},
              "scope": {"type": "string", "title": "Scope", "default": ""},
              "client_id": {"anyOf": [{"type": "string"}, {"type": "null"}], "title": "Client Id"},
              "client_secret": {"anyOf": [{"type": "string"}, {"type": "null"}], "format": "password", "title": "Client Secret"}
            },
            "type": "object",
            "required": ["username", "password"],
            "title": "Body_login_for_access_token_token_post"
          },
          "HTTPValidationError": {
            "properties": {"detail": {"items": {"$ref": "#/components/schemas/ValidationError"}, "type": "array", "title": "Detail"}},
            "type": "object", "title": "HTTPValidationError"
          },
          "Token": {
            "properties": {"access_token": {"type": "string", "title": "Access Token"},
                           "token_type": {"type": "string", "title": "Token Type"}},
            "type": "object", "required": ["access_token", "token_type"], "title": "Token"
          },
          "User": {
            "properties": {
              "username": {"type": "string", "title": "Username"},
              "email": {"anyOf": [{"type": "string"}, {"type": "null"}], "title": "Email"},
              "full_name": {"anyOf": [{"type": "string"}, {"type": "null"}], "title": "Full Name"},
              "disabled": {"anyOf": [{"type": "boolean"}, {"type": "null"}], "title": "Disabled"}
            },
            "type": "object", "required": ["username"], "title": "User"
          },
          "ValidationError": {
            "properties": {
              "loc": {"items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}, "type": "array", "title": "Location"},
              "msg": {"type": "string", "title": "Message"},
              "type": {"type": "string", "title": "Error Type"}
            },
            "type": "object", "required": ["loc", "msg", "type"], "title": "ValidationError"
          }
        },
        "securitySchemes": {
          "OAuth2PasswordBearer": {"type": "oauth2", "flows": {"password": {"scopes": {}, "tokenUrl": "token"}}}
        }
      }
    }"##;

    #[test]
    fn fastapi_oauth2_password_form() {
        let info = parse_at(FASTAPI_OAUTH2, "http://127.0.0.1:8000/openapi.json");
        assert_eq!(
            info,
            OpenApiInfo {
                title: Some("FastAPI".to_string()),
                operations: vec![op(
                    "POST",
                    "http://127.0.0.1:8000/token",
                    BodyEncoding::Form,
                    "username",
                    "password",
                    &[("grant_type", "password")],
                    true,
                )],
                example_accounts: vec![],
                flow_operations: vec![],
            }
        );
    }

    #[test]
    fn fastapi_behind_root_path_resolves_token_url_against_server() {
        // FastAPI(root_path="/api/v1") adds a relative server; "token" is relative to it.
        let doc = FASTAPI_OAUTH2.replacen(
            r#""openapi": "3.1.0","#,
            r#""openapi": "3.1.0", "servers": [{"url": "/api/v1"}],"#,
            1,
        );
        let info = parse_at(&doc, "https://svc.test/api/v1/openapi.json");
        assert_eq!(
            info.operations,
            vec![op(
                "POST",
                "https://svc.test/api/v1/token",
                BodyEncoding::Form,
                "username",
                "password",
                &[("grant_type", "password")],
                true,
            )]
        );
    }

    #[test]
    fn token_url_only_becomes_an_operation() {
        // The login route is hidden from the schema (include_in_schema=False); only the scheme
        // remains. Relative "token" resolves against the origin for a doc under /docs.
        let doc = r#"{
          "openapi": "3.0.2",
          "info": {"title": "Hidden", "version": "1"},
          "paths": {},
          "components": {"securitySchemes": {
            "oauth": {"type": "oauth2", "flows": {
              "password": {"tokenUrl": "token", "scopes": {}},
              "clientCredentials": {"tokenUrl": "/oauth/cc", "scopes": {}}
            }},
            "elsewhere": {"type": "oauth2", "flows": {"password": {"tokenUrl": "https://idp.other.test/token", "scopes": {}}}}
          }}
        }"#;
        let info = parse_at(doc, "http://h:1/docs/openapi.json");
        assert_eq!(
            info.operations,
            vec![op(
                "POST",
                "http://h:1/token",
                BodyEncoding::Form,
                "username",
                "password",
                &[("grant_type", "password")],
                true,
            )]
        );
    }

    /// A NestJS-style JSON API: a login behind a `$ref`, plus routes that must not be taken.
    const JSON_API: &str = r##"{
      "openapi": "3.0.0",
      "info": {"title": "Acme API", "version": "2.3.0"},
      "paths": {
        "/api/v1/auth/register": {
          "post": {
            "operationId": "AuthController_register",
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/RegisterRequest"}}}},
            "responses": {"201": {"description": ""}}
          }
        },
        "/api/v1/auth/login": {
          "post": {
            "operationId": "AuthController_login",
            "summary": "Sign in with email and password",
            "requestBody": {
              "required": true,
              "content": {"application/json": {"schema": {"$ref": "#/components/schemas/LoginRequest"}}}
            },
            "responses": {"200": {"description": "",
              "content": {"application/json": {"schema": {"$ref": "#/components/schemas/TokenResponse"}}}}}
          },
          "get": {"operationId": "AuthController_loginPage", "responses": {"200": {"description": ""}}}
        },
        "/api/v1/auth/forgot-password": {
          "post": {"operationId": "AuthController_forgot",
            "requestBody": {"content": {"application/json": {"schema": {"type": "object",
              "properties": {"email": {"type": "string", "example": "forgot@example.com"}, "password": {"type": "string"}}}}}},
            "responses": {"204": {"description": ""}}}
        },
        "/api/v1/auth/password": {
          "put": {"operationId": "AuthController_updatePassword",
            "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ChangePassword"}}}},
            "responses": {"204": {"description": ""}}}
        },
        "/api/v1/users": {
          "post": {"operationId": "UsersController_create", "summary": "Create a user",
            "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/CreateUser"}}}},
            "responses": {"201": {"description": ""}}}
        },
        "/api/v1/sessions": {
          "post": {"operationId": "SessionsController_verify",
            "requestBody": {"content": {"application/json": {"schema": {"type": "object",
              "required": ["password", "new_password"],
              "properties": {"login": {"type": "string"}, "password": {"type": "string"}, "new_password": {"type": "string"}}}}}},
            "responses": {"204": {"description": ""}}}
        },
        "/api/v1/reports": {
          "post": {"operationId": "ReportsController_create",
            "requestBody": {"content": {"application/json": {"schema": {"type": "object",
              "properties": {"title": {"type": "string"}, "body": {"type": "string"}}}}}},
            "responses": {"201": {"description": ""}}}
        }
      },
      "components": {
        "schemas": {
          "LoginRequest": {
            "type": "object",
            "properties": {
              "email": {"type": "string", "format": "email", "example": "jane@example.com"},
              "password": {"type": "string", "format": "password", "example": "S3cret!"},
              "remember_me": {"type": "boolean", "default": false}
            },
            "required": ["email", "password"]
          },
          "RegisterRequest": {
            "type": "object",
            "properties": {
              "email": {"type": "string", "format": "email", "example": "new.user@example.com"},
              "password": {"type": "string"},
              "password_confirmation": {"type": "string"}
            },
            "required": ["email", "password", "password_confirmation"]
          },
          "ChangePassword": {
            "type": "object",
            "properties": {"old_password": {"type": "string"}, "new_password": {"type": "string"}}
          },
          "CreateUser": {
            "type": "object",
            "properties": {"username": {"type": "string", "example": "jdoe"}, "password": {"type": "string"},
                           "confirm_password": {"type": "string"}},
            "required": ["username", "password", "confirm_password"]
          },
          "TokenResponse": {
            "type": "object",
            "properties": {"access_token": {"type": "string"}},
            "example": {"access_token": "eyJ...", "user": {"email": "ops@example.com", "name": "Ops Team"}}
          }
        },
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}
      }
    }"##;

    #[test]
    fn json_login_behind_ref_and_exclusions() {
        let mut info = parse_at(JSON_API, "http://127.0.0.1:3000/api-docs-json");
        assert!(info.operations.iter().all(|o| o.username_is_email));
        info.operations
            .iter_mut()
            .for_each(|o| o.username_is_email = false);
        assert_eq!(
            info,
            OpenApiInfo {
                title: Some("Acme API".to_string()),
                operations: vec![op(
                    "POST",
                    "http://127.0.0.1:3000/api/v1/auth/login",
                    BodyEncoding::Json,
                    "email",
                    "password",
                    &[],
                    false,
                )],
                example_accounts: vec![
                    "forgot@example.com".to_string(),
                    "jane@example.com".to_string(),
                    "new.user@example.com".to_string(),
                    "jdoe".to_string(),
                    "ops@example.com".to_string(),
                ],
                // The sign-up is a flow operation; the "forgot" one takes a password, so it
                // is not a reset request.
                flow_operations: vec![FlowOperation {
                    flow: crate::report::Flow::Registration,
                    method: "POST".into(),
                    url: Url::parse("http://127.0.0.1:3000/api/v1/auth/register").unwrap(),
                    encoding: BodyEncoding::Json,
                    identifier_field: "email".into(),
                    identifier_is_email: true,
                    password_field: Some("password".into()),
                }],
            }
        );
    }

    #[test]
    fn absolute_server_on_another_origin_moves_to_doc_origin() {
        let doc = r#"{
          "openapi": "3.0.3",
          "info": {"title": "Shop", "version": "1"},
          "servers": [{"url": "http://api.example.com/v2", "description": "production"},
                      {"url": "http://localhost:9999/v2"}],
          "paths": {
            "/auth/login": {"post": {"requestBody": {"content": {"application/json": {"schema": {
              "type": "object", "required": ["username", "password"],
              "properties": {"username": {"type": "string"}, "password": {"type": "string"}}}}}},
              "responses": {"200": {"description": "ok"}}}}
          },
          "components": {"securitySchemes": {"oauth": {"type": "oauth2", "flows": {"password": {
            "tokenUrl": "http://api.example.com/v2/oauth/token", "scopes": {}}}}}}
        }"#;
        let info = parse_at(doc, "http://127.0.0.1:8000/openapi.json");
        assert_eq!(
            info.operations,
            vec![
                op(
                    "POST",
                    "http://127.0.0.1:8000/v2/auth/login",
                    BodyEncoding::Json,
                    "username",
                    "password",
                    &[],
                    false,
                ),
                // The tokenUrl is on the declared server's host: same API, moved to the target.
                op(
                    "POST",
                    "http://127.0.0.1:8000/v2/oauth/token",
                    BodyEncoding::Form,
                    "username",
                    "password",
                    &[("grant_type", "password")],
                    true,
                ),
            ]
        );
    }

    #[test]
    fn server_variables_use_defaults_and_paths_join_without_double_slashes() {
        let doc = r#"{
          "openapi": "3.0.1",
          "info": {"title": "Vars", "version": "1"},
          "servers": [{"url": "{scheme}://{host}/{base}/",
                       "variables": {"scheme": {"default": "https", "enum": ["https", "http"]},
                                     "host": {"default": "prod.example.com"},
                                     "base": {"default": "api/v3"}}}],
          "paths": {
            "//session/": {"post": {"requestBody": {"content": {"application/json": {"schema": {
              "type": "object", "properties": {"login": {"type": "string"}, "pwd": {"type": "string"}}}}}},
              "responses": {}}}
          }
        }"#;
        let info = parse_at(doc, "http://10.0.0.5:8080/swagger/openapi.json");
        assert_eq!(
            info.operations,
            vec![op(
                "POST",
                "http://10.0.0.5:8080/api/v3/session/",
                BodyEncoding::Json,
                "login",
                "pwd",
                &[],
                false,
            )]
        );
    }

    #[test]
    fn relative_server_without_leading_slash_resolves_against_doc_location() {
        let doc = r#"{"openapi": "3.0.0", "info": {"title": "t", "version": "1"},
          "servers": [{"url": "v1"}],
          "paths": {"/login": {"post": {"requestBody": {"content": {"application/x-www-form-urlencoded": {
            "schema": {"properties": {"user": {"type": "string"}, "pass": {"type": "string"}}}}}}}}}}"#;
        let info = parse_at(doc, "http://h/api/openapi.json");
        assert_eq!(
            info.operations,
            vec![op(
                "POST",
                "http://h/api/v1/login",
                BodyEncoding::Form,
                "user",
                "pass",
                &[],
                false,
            )]
        );
    }

    /// A springfox-style Swagger 2.0 document.
    const SWAGGER2: &str = r##"{
      "swagger": "2.0",
      "info": {"title": "Legacy Portal", "version": "1.0"},
      "host": "portal.example.org",
      "basePath": "/api",
      "schemes": ["https"],
      "consumes": ["application/json"],
      "produces": ["application/json"],
      "paths": {
        "/auth/login": {
          "post": {
            "tags": ["auth"],
            "operationId": "loginUsingPOST",
            "parameters": [{"in": "body", "name": "credentials", "required": true,
                            "schema": {"$ref": "#/definitions/Credentials"}}],
            "responses": {"200": {"description": "OK"}}
          }
        },
        "/j_security_check": {
          "post": {
            "consumes": ["application/x-www-form-urlencoded"],
            "parameters": [
              {"in": "formData", "name": "j_username", "type": "string", "required": true, "x-example": "admin"},
              {"in": "formData", "name": "j_password", "type": "string", "format": "password", "required": true},
              {"$ref": "#/parameters/realm"},
              {"in": "formData", "name": "remember", "type": "boolean"}
            ],
            "responses": {"302": {"description": "Found"}}
          }
        },
        "/signup": {
          "post": {
            "parameters": [{"in": "body", "name": "user", "schema": {"$ref": "#/definitions/Credentials"}}],
            "responses": {"201": {"description": "Created"}}
          }
        },
        "/tenants/{tenant}/login": {
          "parameters": [{"in": "path", "name": "tenant", "type": "string", "required": true, "default": "main"}],
          "post": {
            "parameters": [{"in": "body", "name": "body", "schema": {"$ref": "#/definitions/Credentials"}}],
            "responses": {"200": {"description": "OK"}}
          }
        },
        "/orgs/{org}/login": {
          "post": {
            "parameters": [{"in": "path", "name": "org", "type": "string", "required": true},
                           {"in": "body", "name": "body", "schema": {"$ref": "#/definitions/Credentials"}}],
            "responses": {"200": {"description": "OK"}}
          }
        }
      },
      "parameters": {
        "realm": {"in": "formData", "name": "realm", "type": "string", "required": true, "enum": ["internal", "partners"]}
      },
      "definitions": {
        "Credentials": {
          "type": "object",
          "required": ["username", "password", "deviceId"],
          "properties": {
            "username": {"type": "string", "example": "operator"},
            "password": {"type": "string"},
            "deviceId": {"type": "integer", "format": "int64"},
            "otp": {"type": "string"}
          }
        }
      },
      "securityDefinitions": {
        "oauth2": {"type": "oauth2", "flow": "password", "tokenUrl": "https://portal.example.org/api/oauth/token", "scopes": {}},
        "implicit": {"type": "oauth2", "flow": "implicit", "authorizationUrl": "https://portal.example.org/api/oauth/authorize", "scopes": {}},
        "thirdParty": {"type": "oauth2", "flow": "password", "tokenUrl": "https://login.partner.test/oauth/token", "scopes": {}}
      }
    }"##;

    #[test]
    fn swagger2_body_and_form_data_logins() {
        let info = parse_at(SWAGGER2, "http://localhost:8080/v2/api-docs");
        assert_eq!(
            info,
            OpenApiInfo {
                title: Some("Legacy Portal".to_string()),
                operations: vec![
                    op(
                        "POST",
                        "http://localhost:8080/api/auth/login",
                        BodyEncoding::Json,
                        "username",
                        "password",
                        &[("deviceId", "0")],
                        false,
                    ),
                    op(
                        "POST",
                        "http://localhost:8080/api/j_security_check",
                        BodyEncoding::Form,
                        "j_username",
                        "j_password",
                        &[("realm", "internal")],
                        false,
                    ),
                    op(
                        "POST",
                        "http://localhost:8080/api/tenants/main/login",
                        BodyEncoding::Json,
                        "username",
                        "password",
                        &[("deviceId", "0")],
                        false,
                    ),
                    op(
                        "POST",
                        "http://localhost:8080/api/oauth/token",
                        BodyEncoding::Form,
                        "username",
                        "password",
                        &[("grant_type", "password")],
                        true,
                    ),
                ],
                example_accounts: vec!["admin".to_string(), "operator".to_string()],
                flow_operations: vec![FlowOperation {
                    flow: crate::report::Flow::Registration,
                    method: "POST".into(),
                    url: Url::parse("http://localhost:8080/api/signup").unwrap(),
                    encoding: BodyEncoding::Json,
                    identifier_field: "username".into(),
                    identifier_is_email: false,
                    password_field: Some("password".into()),
                }],
            }
        );
    }

    #[test]
    fn swagger2_defaults_base_path_and_form_only_consumes() {
        let doc = r#"{"swagger": "2.0", "info": {"title": "x", "version": "1"},
          "paths": {"/login": {"post": {"consumes": ["application/x-www-form-urlencoded"],
            "parameters": [{"in": "body", "name": "b", "schema": {"type": "object",
              "properties": {"email": {"type": "string"}, "password": {"type": "string"}}}}]}},
            "/xml-login": {"post": {"consumes": ["application/xml"],
            "parameters": [{"in": "body", "name": "b", "schema": {"type": "object",
              "properties": {"email": {"type": "string"}, "password": {"type": "string"}}}}]}}}}"#;
        let info = parse_at(doc, "https://h.test/swagger.json?x=1");
        assert_eq!(
            info.operations,
            vec![op(
                "POST",
                "https://h.test/login",
                BodyEncoding::Form,
                "email",
                "password",
                &[],
                false,
            )]
        );
    }

    #[test]
    fn oauth2_token_endpoint_in_paths_is_marked_not_duplicated() {
        let doc = r#"{"openapi": "3.0.0", "info": {"title": "t", "version": "1"},
          "paths": {"/oauth/token": {"post": {"requestBody": {"content": {
            "application/json": {"schema": {"type": "object", "required": ["username", "password", "client_id"],
              "properties": {"username": {"type": "string"}, "password": {"type": "string"},
                             "client_id": {"type": "string", "default": "web"}}}}}}}}},
          "components": {"securitySchemes": {"o": {"type": "oauth2", "flows": {"password": {"tokenUrl": "/oauth/token"}}}}}}"#;
        let info = parse_at(doc, "http://h/openapi.json");
        assert_eq!(
            info.operations,
            vec![op(
                "POST",
                "http://h/oauth/token",
                BodyEncoding::Json,
                "username",
                "password",
                &[("grant_type", "password"), ("client_id", "web")],
                true,
            )]
        );
    }

    #[test]
    fn extra_fields_values_and_grant_type_enum() {
        let doc = r##"{"openapi": "3.1.0", "info": {"title": "t", "version": "1"},
          "paths": {"/auth": {"post": {"requestBody": {"content": {"application/json": {"schema": {
            "$ref": "#/components/schemas/Auth"}}}}}}},
          "components": {"schemas": {"Auth": {"type": "object",
            "required": ["grantType", "userName", "secret", "tenant", "region", "attempt", "ratio", "trusted",
                         "meta", "id", "kind", "captcha"],
            "properties": {
              "grantType": {"type": "string", "enum": ["refresh_token", "password"]},
              "userName": {"type": "string"},
              "secret": {"type": "string", "format": "password"},
              "tenant": {"$ref": "#/components/schemas/Tenant"},
              "region": {"type": "string", "default": "eu-1"},
              "attempt": {"type": "integer"},
              "ratio": {"type": ["number", "null"]},
              "trusted": {"type": "boolean"},
              "meta": {"type": "object"},
              "id": {"type": "string", "readOnly": true},
              "kind": {"const": "human"},
              "nickname": {"type": "string"}
            }},
            "Tenant": {"type": "string", "enum": ["acme", "globex"]}}}}"##;
        let info = parse_at(doc, "http://h/openapi.json");
        assert_eq!(
            info.operations,
            vec![op(
                "POST",
                "http://h/auth",
                BodyEncoding::Json,
                "userName",
                "secret",
                &[
                    ("grantType", "password"),
                    ("tenant", "acme"),
                    ("region", "eu-1"),
                    ("attempt", "0"),
                    ("ratio", "0"),
                    ("trusted", "false"),
                    ("kind", "human"),
                    ("captcha", "keyhole"),
                ],
                true,
            )]
        );
    }

    #[test]
    fn all_of_merges_and_one_of_takes_the_password_alternative() {
        let doc = r##"{"openapi": "3.0.0", "info": {"title": "t", "version": "1"},
          "paths": {
            "/login": {"post": {"requestBody": {"content": {"application/json": {"schema": {
              "allOf": [{"$ref": "#/components/schemas/Base"},
                        {"type": "object", "required": ["password"], "properties": {"password": {"type": "string"}}}]}}}}}},
            "/signin": {"post": {"requestBody": {"$ref": "#/components/requestBodies/SignIn"}}}
          },
          "components": {
            "schemas": {
              "Base": {"type": "object", "required": ["identifier"], "properties": {"identifier": {"type": "string"}}},
              "ByToken": {"type": "object", "properties": {"token": {"type": "string"}}},
              "ByPassword": {"type": "object", "properties": {"phone": {"type": "string"}, "passcode": {"type": "string"},
                             "password": {"type": "string"}}}
            },
            "requestBodies": {"SignIn": {"content": {"application/json": {"schema": {
              "oneOf": [{"$ref": "#/components/schemas/ByToken"}, {"$ref": "#/components/schemas/ByPassword"}]}}}}}
          }}"##;
        let info = parse_at(doc, "http://h/openapi.json");
        assert_eq!(
            info.operations,
            vec![
                op(
                    "POST",
                    "http://h/login",
                    BodyEncoding::Json,
                    "identifier",
                    "password",
                    &[],
                    false
                ),
                op(
                    "POST",
                    "http://h/signin",
                    BodyEncoding::Json,
                    "phone",
                    "password",
                    &[],
                    false
                ),
            ]
        );
    }

    #[test]
    fn prefers_json_and_treats_multipart_as_form() {
        let doc = r#"{"openapi": "3.0.0", "info": {"title": "t", "version": "1"},
          "paths": {
            "/both": {"post": {"requestBody": {"content": {
              "application/x-www-form-urlencoded": {"schema": {"properties": {"username": {"type": "string"}, "password": {"type": "string"}}}},
              "application/json; charset=utf-8": {"schema": {"properties": {"email": {"type": "string"}, "password": {"type": "string"}}}}}}}},
            "/multi": {"put": {"requestBody": {"content": {
              "multipart/form-data": {"schema": {"properties": {"login": {"type": "string"}, "password": {"type": "string"}}}}}}}},
            "/vendor": {"patch": {"requestBody": {"content": {
              "application/vnd.api+json": {"schema": {"properties": {"mobile": {"type": "string"}, "passwd": {"type": "string"}}}}}}}}
          }}"#;
        let info = parse_at(doc, "http://h/openapi.json");
        assert_eq!(
            info.operations,
            vec![
                op(
                    "POST",
                    "http://h/both",
                    BodyEncoding::Json,
                    "email",
                    "password",
                    &[],
                    false
                ),
                op(
                    "PUT",
                    "http://h/multi",
                    BodyEncoding::Form,
                    "login",
                    "password",
                    &[],
                    false
                ),
                op(
                    "PATCH",
                    "http://h/vendor",
                    BodyEncoding::Json,
                    "mobile",
                    "passwd",
                    &[],
                    false
                ),
            ]
        );
    }

    #[test]
    fn username_fallback_and_skips() {
        let doc = r#"{"openapi": "3.0.0", "info": {"title": "t", "version": "1"},
          "paths": {
            "/a": {"post": {"requestBody": {"content": {"application/json": {"schema": {
              "required": ["grant_type", "badge", "password"],
              "properties": {"grant_type": {"type": "string"}, "badge": {"type": "string"}, "password": {"type": "string"}}}}}}}},
            "/b": {"post": {"requestBody": {"content": {"application/json": {"schema": {
              "properties": {"badge": {"type": "string"}, "password": {"type": "string"}}}}}}}},
            "/c": {"post": {"requestBody": {"content": {"application/json": {"schema": {
              "properties": {"contact": {"type": "string", "format": "email"}, "userPassword": {"type": "string"},
                             "has_password": {"type": "boolean"}}}}}}}},
            "/d": {"post": {"requestBody": {"content": {"application/json": {"schema": {
              "properties": {"email": {"type": "string"}, "client_secret": {"type": "string", "format": "password"}}}}}}}},
            "/e": {"get": {"parameters": [{"in": "query", "name": "password"}, {"in": "query", "name": "username"}]}}
          }}"#;
        let mut info = parse_at(doc, "http://h/openapi.json");
        let emails: Vec<bool> = info
            .operations
            .iter()
            .map(|o| o.username_is_email)
            .collect();
        assert!(
            emails.contains(&true),
            "the format: email contact is an e-mail identifier"
        );
        info.operations
            .iter_mut()
            .for_each(|o| o.username_is_email = false);
        assert_eq!(
            info.operations,
            vec![
                op(
                    "POST",
                    "http://h/a",
                    BodyEncoding::Json,
                    "badge",
                    "password",
                    &[("grant_type", "password")],
                    true
                ),
                op(
                    "POST",
                    "http://h/c",
                    BodyEncoding::Json,
                    "contact",
                    "userPassword",
                    &[],
                    false
                ),
            ]
        );
    }

    #[test]
    fn deduplicates_by_method_and_url() {
        let body = r#"{"requestBody": {"content": {"application/json": {"schema": {
              "properties": {"username": {"type": "string"}, "password": {"type": "string"}}}}}}}"#;
        let doc = format!(
            r#"{{"openapi": "3.0.0", "info": {{"title": "t", "version": "1"}}, "paths": {{
              "/login": {{"post": {body}, "put": {body}}},
              "//login": {{"post": {body}}},
              "/login/": {{"post": {body}}}}}}}"#
        );
        let info = parse_at(&doc, "http://h/openapi.json");
        let got: Vec<(&str, &str)> = info
            .operations
            .iter()
            .map(|o| (o.method.as_str(), o.url.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("POST", "http://h/login"),
                ("PUT", "http://h/login"),
                ("POST", "http://h/login/"),
            ]
        );
    }

    #[test]
    fn cyclic_refs_terminate() {
        let doc = r##"{"openapi": "3.0.0", "info": {"title": "Loops", "version": "1"},
          "paths": {
            "/self": {"post": {"requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Self"}}}}}},
            "/ping": {"post": {"requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Ping"}}}}}},
            "/tree": {"post": {"requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Node"}}}}}},
            "/bomb": {"post": {"requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/B0"}}}}}},
            "/loop": {"$ref": "#/paths/~1loop"}
          },
          "components": {"schemas": {
            "Self": {"$ref": "#/components/schemas/Self"},
            "Ping": {"allOf": [{"$ref": "#/components/schemas/Pong"}], "properties": {"username": {"type": "string"}}},
            "Pong": {"oneOf": [{"$ref": "#/components/schemas/Ping"}], "properties": {"password": {"$ref": "#/components/schemas/Pw"}}},
            "Pw": {"anyOf": [{"$ref": "#/components/schemas/Pw"}], "type": "string"},
            "Node": {"type": "object", "properties": {"login": {"type": "string"}, "password": {"type": "string"},
                     "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}}}},
            "B0": {"allOf": [{"$ref": "#/components/schemas/B1"}, {"$ref": "#/components/schemas/B1"}, {"$ref": "#/components/schemas/B1"}]},
            "B1": {"allOf": [{"$ref": "#/components/schemas/B2"}, {"$ref": "#/components/schemas/B2"}, {"$ref": "#/components/schemas/B2"}]},
            "B2": {"allOf": [{"$ref": "#/components/schemas/B0"}, {"$ref": "#/components/schemas/B0"}, {"$ref": "#/components/schemas/B0"}]}
          }}}"##;
        let info = parse_at(doc, "http://h/openapi.json");
        assert_eq!(
            info.operations,
            vec![
                op(
                    "POST",
                    "http://h/ping",
                    BodyEncoding::Json,
                    "username",
                    "password",
                    &[],
                    false
                ),
                op(
                    "POST",
                    "http://h/tree",
                    BodyEncoding::Json,
                    "login",
                    "password",
                    &[],
                    false
                ),
            ]
        );
    }

    #[test]
    fn yaml_documents_are_read() {
        let doc = "openapi: 3.0.3\ninfo:\n  title: Shop\npaths:\n  /api/v1/login:\n    post:\n      requestBody:\n        content:\n          application/json:\n            schema:\n              type: object\n              required: [email, password]\n              properties:\n                email: {type: string, format: email}\n                password: {type: string, format: password}\n      responses:\n        200:\n          description: ok\n";
        let info = parse(doc, &url("http://h/openapi.yaml")).expect("YAML OpenAPI");
        assert_eq!(info.operations.len(), 1);
        let op = &info.operations[0];
        assert_eq!(op.url.as_str(), "http://h/api/v1/login");
        assert_eq!(op.username_field, "email");
        assert!(op.username_is_email);
        // Aliases that multiply are cut by the node budget, not expanded without end.
        let mut bomb = String::from("openapi: 3.0.0\na: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 0..8 {
            let prev = if i == 0 {
                "a".to_string()
            } else {
                format!("b{}", i - 1)
            };
            bomb.push_str(&format!("b{i}: &b{i} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
        }
        assert!(parse(&bomb, &url("http://h/openapi.yaml")).is_err());
    }

    #[test]
    fn invalid_json_is_not_json() {
        let err = parse("{\"openapi\": \"3.0.0\",", &url("http://h/openapi.json")).unwrap_err();
        assert_eq!(
            err,
            OpenApiError::NotJson("EOF while parsing a value at line 1 column 20".to_string())
        );
        let yaml = "openapi: 3.0.0\ninfo:\n  title: t\n";
        assert_eq!(
            parse(yaml, &url("http://h/openapi.yaml")).map(|i| i.title),
            Ok(Some("t".to_string()))
        );
        let html = "<!doctype html><html><body>Not Found</body></html>";
        assert!(matches!(
            parse(html, &url("http://h/openapi.json")),
            Err(OpenApiError::NotJson(_))
        ));
    }

    #[test]
    fn json_that_is_not_openapi() {
        let u = url("http://h/openapi.json");
        for doc in [
            r#"{"status": "ok", "version": "3.0.0"}"#,
            r#"{"openapi": 2, "paths": {}}"#,
            r#"{"swagger": "1.2", "apis": []}"#,
            r#"{"openapi": null}"#,
            r#"[{"openapi": "3.0.0"}]"#,
            r#""openapi""#,
            "null",
        ] {
            assert_eq!(parse(doc, &u), Err(OpenApiError::NotOpenApi), "{doc}");
        }
        // A bare but valid document is fine.
        assert_eq!(
            parse(r#"{"openapi": "3.1.0"}"#, &u),
            Ok(OpenApiInfo::default())
        );
        assert_eq!(
            parse(
                "\u{feff}{\"swagger\": \"2.0\", \"info\": {\"title\": \" \"}}",
                &u
            ),
            Ok(OpenApiInfo::default())
        );
    }

    #[test]
    fn hostile_input_does_not_panic() {
        let u = url("http://h/openapi.json");
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(matches!(parse(&deep, &u), Err(OpenApiError::NotJson(_))));

        // Nesting just under serde_json's limit, inside a valid document.
        let nested = format!(
            r#"{{"openapi": "3.0.0", "x": {}1{}}}"#,
            r#"{"example": "#.repeat(120),
            "}".repeat(120)
        );
        assert_eq!(parse(&nested, &u), Ok(OpenApiInfo::default()));

        // Every field of the wrong type.
        let weird = r##"{"openapi": "3.0.0", "info": [], "servers": "http://x",
          "paths": {"/a": [], "/b": {"post": []}, "/c": {"post": {"requestBody": {"content": []}}},
            "/d": {"post": {"parameters": {"in": "body"}, "requestBody": {"content": {"application/json": {"schema": {
              "properties": [], "required": [1, null], "allOf": {}, "oneOf": "x"}}}}}},
            "/e": {"post": {"requestBody": {"$ref": "http://elsewhere/x.json#/a"}}},
            "/f": {"post": {"requestBody": {"$ref": "#/%zz"}}},
            "/g": {"post": {"requestBody": {"content": {"application/json": {"schema": {"properties": {
              "username": {"type": 7, "enum": {}, "default": []}, "password": {"type": ["null"], "format": 1}}}}}}}},
            "/h/{x}": {"post": {"requestBody": {"content": {"application/json": {"schema": {"properties": {
              "username": {}, "password": {}}}}}}}},
            "/i/{": {"post": {"requestBody": {"content": {"application/json": {"schema": {"properties": {
              "username": {}, "password": {}}}}}}}}},
          "components": {"securitySchemes": {"a": 1, "b": {"flows": {"password": {"tokenUrl": 5}}},
            "c": {"flows": {"password": {"tokenUrl": "javascript:alert(1)"}}},
            "d": {"flows": {"password": {"tokenUrl": "   "}}}}}}"##;
        let info = parse(weird, &u).expect("parses");
        assert_eq!(
            info.operations,
            vec![op(
                "POST",
                "http://h/g",
                BodyEncoding::Json,
                "username",
                "password",
                &[],
                false
            )]
        );

        // A non-hierarchical document URL.
        let odd = url("data:text/plain,hello");
        assert!(parse(JSON_API, &odd).is_ok());

        // Many operations and examples: bounded and still fast.
        let mut paths = String::new();
        for i in 0..3_000 {
            paths.push_str(&format!(
                r#""/p{i}": {{"post": {{"requestBody": {{"content": {{"application/json": {{"schema": {{
                  "properties": {{"username": {{"type": "string", "example": "user{i}"}}, "password": {{}}}}}}}}}}}}}}}},"#
            ));
        }
        paths.pop();
        let big = format!(r#"{{"openapi": "3.0.0", "paths": {{{paths}}}}}"#);
        let info = parse(&big, &u).expect("parses");
        assert_eq!(info.operations.len(), 3_000);
        assert_eq!(info.example_accounts.len(), MAX_EXAMPLE_ACCOUNTS);
        assert_eq!(info.example_accounts[0], "user0");
    }

    #[test]
    fn example_accounts_are_filtered_and_deduplicated() {
        let doc = r##"{"openapi": "3.1.0", "info": {"title": "t", "version": "1"},
          "paths": {"/login": {"post": {
            "parameters": [{"in": "query", "name": "login_hint", "schema": {"type": "string"}},
                           {"in": "header", "name": "X-Username", "example": "header.user"}],
            "requestBody": {"content": {"application/json": {
              "schema": {"$ref": "#/components/schemas/Login"},
              "examples": {
                "admin": {"summary": "Admin", "value": {"username": "admin", "password": "admin"}},
                "support": {"$ref": "#/components/examples/Support"}
              }}}}}}},
          "components": {
            "schemas": {
              "Login": {"type": "object", "properties": {
                "username": {"type": "string", "examples": ["admin", "root", "your username here", "string"]},
                "contact": {"$ref": "#/components/schemas/Email"},
                "password": {"type": "string", "default": "hunter2"},
                "name": {"type": "string", "example": "Not An Account"}}},
              "Email": {"type": "string", "format": "email", "example": "<email>", "default": "sec@example.com"}
            },
            "examples": {"Support": {"value": {"username": "support", "user": {"email": "nested@example.com"}}}}
          }}"##;
        let info = parse_at(doc, "http://h/openapi.json");
        assert_eq!(
            info.example_accounts,
            vec![
                "header.user",
                "admin",
                "root",
                "sec@example.com",
                "support",
                "nested@example.com",
            ]
        );
        assert_eq!(info.operations.len(), 1);
    }

    #[test]
    fn operation_names_exclude_account_creation_but_not_sessions() {
        let body = r#"{"content": {"application/json": {"schema": {
              "properties": {"username": {"type": "string"}, "password": {"type": "string"}}}}}}"#;
        let doc = format!(
            r#"{{"openapi": "3.0.0", "info": {{"title": "t", "version": "1"}}, "paths": {{
              "/a": {{"post": {{"operationId": "createUserSession", "requestBody": {body}}}}},
              "/b": {{"post": {{"operationId": "UsersController_createUser", "requestBody": {body}}}}},
              "/c": {{"post": {{"summary": "Create an account", "requestBody": {body}}}}},
              "/d": {{"post": {{"summary": "Sign-Up", "requestBody": {body}}}}},
              "/password/reset": {{"post": {{"requestBody": {body}}}}},
              "/members": {{"patch": {{"requestBody": {body}}}}},
              "/me/password": {{"put": {{"requestBody": {body}}}}},
              "/auth/password": {{"post": {{"requestBody": {body}}}}}}}}}"#
        );
        let info = parse_at(&doc, "http://h/openapi.json");
        let got: Vec<&str> = info.operations.iter().map(|o| o.url.path()).collect();
        assert_eq!(got, vec!["/a", "/auth/password"]);
    }

    #[test]
    fn path_parameters_are_filled_from_examples() {
        let doc = r#"{"openapi": "3.0.0", "info": {"title": "t", "version": "1"},
          "paths": {"/realms/{realm}/login": {
            "parameters": [{"in": "path", "name": "realm", "required": true, "schema": {"type": "string", "example": "master"}}],
            "post": {"requestBody": {"content": {"application/json": {"schema": {
              "properties": {"username": {"type": "string"}, "password": {"type": "string"}}}}}}}}}}"#;
        let info = parse_at(doc, "http://h/openapi.json");
        assert_eq!(
            info.operations[0].url.as_str(),
            "http://h/realms/master/login"
        );
    }

    #[test]
    fn helpers() {
        let base = url("http://h:1/api/v1/");
        assert_eq!(
            join_url(&base, "/login").map(String::from),
            Some("http://h:1/api/v1/login".to_string())
        );
        assert_eq!(
            join_url(&url("http://h:1/"), "login?mode=pw").map(String::from),
            Some("http://h:1/login?mode=pw".to_string())
        );
        let origin = url("http://h:1/");
        assert_eq!(
            resolve_token_url("token", &origin, &[]).map(String::from),
            Some("http://h:1/token".to_string())
        );
        assert_eq!(
            resolve_token_url("/token", &url("http://h:1/api/v1"), &[]).map(String::from),
            Some("http://h:1/token".to_string())
        );
        assert_eq!(
            resolve_token_url("token", &url("http://h:1/api/v1"), &[]).map(String::from),
            Some("http://h:1/api/v1/token".to_string())
        );
        assert_eq!(resolve_token_url("https://h:1/token", &origin, &[]), None);
        assert_eq!(
            origin_url(&url("https://u:p@h/x/y?q#f")).as_str(),
            "https://h/"
        );
        assert!(is_password_change_field("password_confirmation"));
        assert!(is_password_change_field("newPassword"));
        assert!(is_password_change_field("password2"));
        assert!(!is_password_change_field("password"));
        assert_eq!(normalize("User-Name_1"), "username1");
        assert_eq!(percent_decode("/a%20b~1c").as_deref(), Some("/a b~1c"));
        assert_eq!(truncate("héllo", 2), "hé…");
        assert_eq!(DOC_PATHS[0], "/openapi.json");
        assert!(DOC_PATHS.iter().all(|p| p.starts_with('/')));
    }
}
