//! GraphQL endpoints and the mutations that sign in, send a reset or register (SPEC "Sign-in
//! surfaces", GraphQL). An endpoint is a path a page or script names (`"/graphql"`) or a
//! well-known one that answers `query { __typename }` in GraphQL's shape. Its mutations are
//! read by introspection where it is allowed; otherwise from the server's own validation
//! errors, which name the fields that exist ("Did you mean …"), the arguments a field requires
//! and the fields of an input object. Validation-only requests run nothing.
//!
//! A mutation is a sign-in when it takes an identifier and a password; a reset request when
//! its name speaks of a password reset and it takes an identifier but no password and no
//! token; a registration when its name speaks of signing up and it takes both.

use std::sync::LazyLock;

use async_trait::async_trait;
use regex::Regex;
use serde_json::Value;
use url::Url;

use super::Source;
use crate::discover::context::Discovering;
use crate::discover::flows::FlowLead;
use crate::discover::Lead;
use crate::graphql::{is_answer, Operation};
use crate::http::{Body, Request, Response};
use crate::report::{Flow, Framework, SurfaceKind, SurfaceSource};
use crate::surface::{Identifier, Surface};

/// The requests a sign-in lead's probes want after discovery (its enumeration sample, the
/// volume probes and the flows' floor): below it, no blind GraphQL path is asked.
const BLIND_MIN_LEFT: u32 = 100;

/// Where GraphQL endpoints usually are, most common first.
pub const GRAPHQL_PATHS: &[&str] = &[
    "/graphql",
    "/api/graphql",
    "/graphql/",
    "/v1/graphql",
    "/graphql/v1",
    "/query",
    "/gql",
];
/// Most paths named by pages and scripts that are asked.
const MAX_NAMED: usize = 3;
/// Most endpoints whose mutations are read.
const MAX_ENDPOINTS: usize = 2;

/// A quoted or tagged path naming GraphQL (`"/graphql"`, `'/api/graphql/v1'`, `<li>graphql/`).
static NAMED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"["'`>(]\s*((?:https?://[^\s"'`<>]+?)?/?(?:[A-Za-z0-9_\-]+/){0,3}(?:graphql|gql)(?:/[A-Za-z0-9_\-]+)?/?)\s*["'`<)]"#)
        .expect("valid regex")
});

/// The GraphQL paths a page or script names.
pub fn named_paths(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for c in NAMED.captures_iter(text).take(64) {
        let p = c[1].to_string();
        if !p.ends_with(".js") && !out.contains(&p) {
            out.push(p);
        }
    }
    out
}

pub struct GraphqlEndpoints;

#[async_trait(?Send)]
impl Source for GraphqlEndpoints {
    fn name(&self) -> &'static str {
        "graphql"
    }

    async fn run(&self, cx: &mut Discovering<'_>) {
        // Named by scripts first (their longest, most specific paths first), then by pages.
        let mut candidates: Vec<Url> = cx.products.iter().flat_map(|p| p.graphql.clone()).collect();
        let mut scripts = cx.graphql_named.clone();
        scripts.sort_by_key(|u| std::cmp::Reverse(u.path().len()));
        candidates.extend(scripts);
        let mut named = 0;
        for (_, resp) in cx.answers() {
            let text = resp.text();
            for p in named_paths(&text) {
                if named >= MAX_NAMED {
                    continue;
                }
                let p = p.as_str();
                let url = if p.starts_with("http") {
                    Url::parse(p).ok()
                } else {
                    cx.under_base(p)
                };
                if let Some(u) = url.filter(|u| cx.scanner.engine.same_origin(u)) {
                    if !candidates.contains(&u) {
                        candidates.push(u);
                        named += 1;
                    }
                }
            }
        }
        // Blind, only the most common paths: every request here is one the sign-ins and flows
        // lack (json-server-auth's late registration discovery needs its share). With a sign-in
        // lead already and a budget too small for its probes, none.
        let blind = if cx.leads.is_empty() && candidates.is_empty() {
            2
        } else if cx.leads.is_empty() || cx.scanner.engine.requests_left() >= BLIND_MIN_LEFT {
            1
        } else {
            0
        };
        for p in &GRAPHQL_PATHS[..blind] {
            if let Some(u) = cx.under_base(p) {
                if !candidates.contains(&u) {
                    candidates.push(u);
                }
            }
        }
        let mut found = 0;
        let mut seen: Vec<Url> = Vec::new();
        for url in candidates {
            if found >= MAX_ENDPOINTS || cx.exhausted {
                break;
            }
            // `/graphql` and `/graphql/` are one endpoint once either answered.
            let same = |u: &Url| u.path().trim_end_matches('/') == url.path().trim_end_matches('/');
            if seen.iter().any(same) {
                continue;
            }
            let Some(endpoint) = answers_graphql(cx, &url).await else {
                continue;
            };
            seen.push(endpoint.url.clone());
            found += 1;
            cx.scanner.progress.detail(&format!(
                "GraphQL endpoint {}{}",
                endpoint.url,
                if endpoint.headers.is_empty() {
                    ""
                } else {
                    " (with a double-submit CSRF token)"
                }
            ));
            let fields = match introspect(cx, &endpoint).await {
                Some(f) => f,
                None => guess(cx, &endpoint).await,
            };
            add_surfaces(cx, &endpoint, &fields);
            if cx
                .leads
                .iter()
                .any(|l| matches!(l, Lead::Known(s) if s.kind == SurfaceKind::Graphql))
            {
                break;
            }
        }
    }
}

/// A GraphQL endpoint and the headers its requests need.
#[derive(Debug, Clone)]
struct Endpoint {
    url: Url,
    headers: Vec<(String, String)>,
}

fn gql_request(e: &Endpoint, query: &str) -> Request {
    Request {
        method: "POST".into(),
        url: e.url.clone(),
        headers: e.headers.clone(),
        body: Some(Body::json(&serde_json::json!({ "query": query }))),
    }
}

fn json_of(resp: &Response) -> Option<Value> {
    serde_json::from_slice(&resp.body).ok()
}

/// Whether `url` answers GraphQL: POST `query { __typename }`. A double-submit CSRF refusal
/// (a 403 that speaks of CSRF) is asked once more with a token of our own in the cookie and
/// the header the framework compares.
async fn answers_graphql(cx: &mut Discovering<'_>, url: &Url) -> Option<Endpoint> {
    let mut e = Endpoint {
        url: url.clone(),
        headers: Vec::new(),
    };
    for round in 0..2 {
        let resp = cx
            .send(&gql_request(&e, "query { __typename }"))
            .await
            .ok()??;
        cx.fp.add(&resp);
        if json_of(&resp).is_some_and(|v| speaks_graphql(resp.status, &v)) {
            return Some(e);
        }
        let csrf = resp.status == 403 && crate::analysis::classify::has_csrf_text(&resp.text());
        if round > 0 || !csrf {
            return None;
        }
        let token: String = cx
            .scanner
            .password()
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect();
        let token = format!("{token:0<32}")[..32].to_string();
        let (cookie, header) = crate::surface::CSRF_COOKIE_HEADERS[0];
        e.headers = vec![
            ("cookie".into(), format!("{cookie}={token}")),
            (header.into(), token),
        ];
    }
    None
}

/// Whether an answer to `query { __typename }` comes from GraphQL: the type name itself, or
/// errors about the query (not a route's 404 that happens to say `errors`).
fn speaks_graphql(status: u16, v: &Value) -> bool {
    static QUERY_WORDS: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)graphql|query|syntax|operation|field|introspection|persisted|must provide|mutation")
            .expect("valid regex")
    });
    if v.pointer("/data/__typename").is_some_and(Value::is_string) {
        return true;
    }
    is_answer(v)
        && !matches!(status, 404 | 405 | 410 | 501)
        && v.get("errors").and_then(Value::as_array).is_some_and(|es| {
            es.iter().any(|e| {
                e.get("message")
                    .and_then(Value::as_str)
                    .is_some_and(|m| QUERY_WORDS.is_match(m))
            })
        })
}

/// A type reference, wrappers unwrapped.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TypeRef {
    pub kind: String,
    pub name: String,
    pub required: bool,
    pub list: bool,
}

impl TypeRef {
    fn from(v: &Value) -> TypeRef {
        let mut t = TypeRef::default();
        let mut cur = v;
        let mut first = true;
        for _ in 0..6 {
            let kind = cur.get("kind").and_then(Value::as_str).unwrap_or("");
            match kind {
                "NON_NULL" => {
                    if first {
                        t.required = true;
                    }
                }
                "LIST" => t.list = true,
                _ => {
                    t.kind = kind.to_string();
                    t.name = cur
                        .get("name")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string();
                    return t;
                }
            }
            first = false;
            match cur.get("ofType") {
                Some(n) if n.is_object() => cur = n,
                _ => break,
            }
        }
        t
    }

    /// The type of an argument or input field: required only when non-null without a default.
    fn declared(v: &Value) -> Option<TypeRef> {
        let mut t = TypeRef::from(v.get("type")?);
        if v.get("defaultValue").is_some_and(|d| !d.is_null()) {
            t.required = false;
        }
        Some(t)
    }

    fn scalar(&self) -> bool {
        matches!(self.kind.as_str(), "SCALAR" | "ENUM")
    }
}

/// An argument (or input field) and, for an input object, its own fields.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Arg {
    pub name: String,
    pub ty: TypeRef,
    pub fields: Vec<Arg>,
}

/// A mutation field: its arguments and the selection its answer needs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Field {
    pub name: String,
    pub args: Vec<Arg>,
    pub ret: TypeRef,
    /// The selection set (`{ token }`), empty for a scalar.
    pub selection: String,
}

const TYPE_REF: &str = "kind name ofType { kind name ofType { kind name ofType { kind name } } }";

/// Read the mutations by introspection; None when it is refused.
async fn introspect(cx: &mut Discovering<'_>, e: &Endpoint) -> Option<Vec<Field>> {
    let q = format!(
        "query {{ __schema {{ mutationType {{ fields {{ name args {{ name defaultValue type {{ {TYPE_REF} }} }} type {{ {TYPE_REF} }} }} }} }} }}"
    );
    let resp = cx.send(&gql_request(e, &q)).await.ok()??;
    let v = json_of(&resp)?;
    let fields = v
        .pointer("/data/__schema/mutationType/fields")
        .and_then(Value::as_array)?;
    let mut out: Vec<Field> = fields
        .iter()
        .filter_map(|f| {
            Some(Field {
                name: f.get("name")?.as_str()?.to_string(),
                args: f
                    .get("args")
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(|x| {
                                Some(Arg {
                                    name: x.get("name")?.as_str()?.to_string(),
                                    ty: TypeRef::declared(x)?,
                                    fields: Vec::new(),
                                })
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
                ret: TypeRef::from(f.get("type")?),
                selection: String::new(),
            })
        })
        .collect();
    // The input objects and answer types of the mutations that matter, in one request.
    let wanted: Vec<usize> = out
        .iter()
        .enumerate()
        .filter(|(_, f)| role_by_name(&f.name).is_some())
        .map(|(i, _)| i)
        .take(8)
        .collect();
    let mut names: Vec<String> = Vec::new();
    for &i in &wanted {
        for a in &out[i].args {
            if a.ty.kind == "INPUT_OBJECT" && !names.contains(&a.ty.name) {
                names.push(a.ty.name.clone());
            }
        }
        if !out[i].ret.scalar() && !names.contains(&out[i].ret.name) {
            names.push(out[i].ret.name.clone());
        }
    }
    let types = read_types(cx, e, &names).await;
    // Input objects one level further down (`input: {native: {username, password}}`) and the
    // object types an answer's error fields have.
    let mut more: Vec<String> = Vec::new();
    for t in types.values() {
        for f in t
            .get("inputFields")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let ty = TypeRef::from(f.get("type").unwrap_or(&Value::Null));
            if ty.kind == "INPUT_OBJECT" && !names.contains(&ty.name) && !more.contains(&ty.name) {
                more.push(ty.name);
            }
        }
        for f in t
            .get("fields")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let ty = TypeRef::from(f.get("type").unwrap_or(&Value::Null));
            let name = f.get("name").and_then(Value::as_str).unwrap_or("");
            if ty.kind == "OBJECT"
                && name.to_ascii_lowercase().contains("error")
                && !more.contains(&ty.name)
            {
                more.push(ty.name);
            }
        }
    }
    let mut types = types;
    types.extend(read_types(cx, e, &more).await);
    for &i in &wanted {
        let f = &mut out[i];
        for a in &mut f.args {
            a.fields = input_fields(&types, &a.ty.name, 2);
        }
        f.selection = selection(&types, &f.ret);
    }
    Some(out)
}

/// `__type` of each name (at most 8), by name.
async fn read_types(
    cx: &mut Discovering<'_>,
    e: &Endpoint,
    names: &[String],
) -> std::collections::HashMap<String, Value> {
    let mut out = std::collections::HashMap::new();
    if names.is_empty() {
        return out;
    }
    let inner: Vec<String> = names
        .iter()
        .take(8)
        .enumerate()
        .map(|(i, n)| {
            format!(
                "t{i}: __type(name: {}) {{ kind name inputFields {{ name defaultValue type {{ {TYPE_REF} }} }} fields {{ name args {{ name }} type {{ {TYPE_REF} }} }} possibleTypes {{ name fields {{ name args {{ name }} type {{ {TYPE_REF} }} }} }} }}",
                crate::graphql::literal(&Value::from(n.as_str()))
            )
        })
        .collect();
    let q = format!("query {{ {} }}", inner.join(" "));
    let Ok(Some(resp)) = cx.send(&gql_request(e, &q)).await else {
        return out;
    };
    if let Some(data) = json_of(&resp).and_then(|v| v.get("data").cloned()) {
        for (i, n) in names.iter().take(8).enumerate() {
            if let Some(t) = data.get(format!("t{i}")).filter(|t| t.is_object()) {
                out.insert(n.clone(), t.clone());
            }
        }
    }
    out
}

fn input_fields(
    types: &std::collections::HashMap<String, Value>,
    name: &str,
    depth: u8,
) -> Vec<Arg> {
    let Some(t) = types.get(name) else {
        return Vec::new();
    };
    t.get("inputFields")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|f| {
            let ty = TypeRef::declared(f)?;
            let fields = if ty.kind == "INPUT_OBJECT" && depth > 1 {
                input_fields(types, &ty.name, depth - 1)
            } else {
                Vec::new()
            };
            Some(Arg {
                name: f.get("name")?.as_str()?.to_string(),
                ty,
                fields,
            })
        })
        .collect()
}

/// Scalar fields (without arguments) of a type's `fields`, at most `max`.
fn scalar_fields(fields: Option<&Value>, max: usize) -> Vec<String> {
    fields
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|f| {
            f.get("args")
                .and_then(Value::as_array)
                .is_none_or(|a| a.is_empty())
        })
        .filter(|f| TypeRef::from(f.get("type").unwrap_or(&Value::Null)).scalar())
        .filter_map(|f| f.get("name").and_then(Value::as_str).map(str::to_string))
        .take(max)
        .collect()
}

/// The selection an answer of type `ret` needs: its scalar fields, its error objects' scalar
/// fields, and for a union or interface each possible type's scalar fields.
fn selection(types: &std::collections::HashMap<String, Value>, ret: &TypeRef) -> String {
    if ret.scalar() {
        return String::new();
    }
    let Some(t) = types.get(&ret.name) else {
        return "{ __typename }".into();
    };
    let mut parts = vec!["__typename".to_string()];
    match ret.kind.as_str() {
        "UNION" | "INTERFACE" => {
            for p in t
                .get("possibleTypes")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .take(6)
            {
                let name = p.get("name").and_then(Value::as_str).unwrap_or("");
                let fs = scalar_fields(p.get("fields"), 6);
                if !name.is_empty() && !fs.is_empty() {
                    parts.push(format!("... on {name} {{ {} }}", fs.join(" ")));
                }
            }
        }
        _ => {
            parts.extend(scalar_fields(t.get("fields"), 8));
            for f in t
                .get("fields")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let ty = TypeRef::from(f.get("type").unwrap_or(&Value::Null));
                let name = f.get("name").and_then(Value::as_str).unwrap_or("");
                if ty.kind == "OBJECT" && name.to_ascii_lowercase().contains("error") {
                    let sub = types
                        .get(&ty.name)
                        .map(|x| scalar_fields(x.get("fields"), 4))
                        .unwrap_or_default();
                    if !sub.is_empty() {
                        parts.push(format!("{name} {{ {} }}", sub.join(" ")));
                    }
                }
            }
        }
    }
    format!("{{ {} }}", parts.join(" "))
}

/// Mutation names that usually sign in, for servers that refuse introspection.
const SIGN_IN_NAMES: &[&str] = &[
    "login",
    "logIn",
    "signIn",
    "signin",
    "tokenAuth",
    "tokenCreate",
    "authenticate",
    "auth_login",
    "loginUser",
    "userLogin",
    "generateCustomerToken",
    "obtainToken",
    "createToken",
    "authLogin",
];

/// Without introspection: ask the sign-in names in one validation-only request, then the
/// arguments and the input fields of those that exist, from the errors.
async fn guess(cx: &mut Discovering<'_>, e: &Endpoint) -> Vec<Field> {
    let mut names: Vec<String> = SIGN_IN_NAMES.iter().map(|s| s.to_string()).collect();
    let mut out: Vec<Field> = Vec::new();
    for _round in 0..2 {
        let q = format!(
            "mutation {{ {} }}",
            names
                .iter()
                .map(|n| format!("{n} {{ __typename }}"))
                .collect::<Vec<_>>()
                .join(" ")
        );
        let Ok(Some(resp)) = cx.send(&gql_request(e, &q)).await else {
            return out;
        };
        let msgs = messages(&resp);
        if msgs.is_empty() {
            return out;
        }
        let unknown: Vec<String> = msgs
            .iter()
            .filter_map(|m| cannot_query(m).map(|(f, _)| f))
            .collect();
        if unknown.is_empty() {
            return out;
        }
        let exists: Vec<String> = names
            .iter()
            .filter(|n| !unknown.contains(n))
            .cloned()
            .collect();
        if !exists.is_empty() {
            for n in exists.into_iter().take(2) {
                if let Some(f) = shape_of(cx, e, &n).await {
                    out.push(f);
                }
            }
            return out;
        }
        let suggested: Vec<String> = msgs
            .iter()
            .flat_map(|m| suggestions(m))
            .filter(|s| role_by_name(s).is_some() && !names.contains(s))
            .collect();
        if suggested.is_empty() {
            return out;
        }
        names = suggested;
    }
    out
}

/// The messages of a GraphQL answer's errors.
fn messages(resp: &Response) -> Vec<String> {
    json_of(resp)
        .and_then(|v| v.get("errors").cloned())
        .and_then(|e| e.as_array().cloned())
        .unwrap_or_default()
        .iter()
        .filter_map(|e| e.get("message").and_then(Value::as_str).map(str::to_string))
        .collect()
}

static CANNOT_QUERY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"Cannot query field ["'`]([A-Za-z0-9_]+)["'`] on type ["'`]([A-Za-z0-9_]+)["'`]"#)
        .expect("valid regex")
});
static REQUIRED_ARG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"argument ["'`]([A-Za-z0-9_]+)["'`] of type ["'`]([A-Za-z0-9_\[\]!]+)["'`] is required"#,
    )
    .expect("valid regex")
});
static REQUIRED_INPUT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"Field ["'`]([A-Za-z0-9_]+)\.([A-Za-z0-9_]+)["'`] of required type ["'`]([A-Za-z0-9_\[\]!]+)["'`] was not provided"#)
        .expect("valid regex")
});
static NO_SUBFIELDS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"must not have a selection since type"#).expect("valid regex"));
static QUOTED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"["'`]([A-Za-z0-9_]+)["'`]"#).expect("valid regex"));

/// (field, type) of a "Cannot query field" message.
fn cannot_query(m: &str) -> Option<(String, String)> {
    let c = CANNOT_QUERY.captures(m)?;
    Some((c[1].to_string(), c[2].to_string()))
}

/// The names a "Did you mean …?" offers.
fn suggestions(m: &str) -> Vec<String> {
    let Some(i) = m.find("Did you mean") else {
        return Vec::new();
    };
    QUOTED
        .captures_iter(&m[i..])
        .map(|c| c[1].to_string())
        .collect()
}

fn type_ref_of(spelled: &str) -> TypeRef {
    let name = spelled.trim_matches(|c| c == '[' || c == ']' || c == '!');
    let scalar = matches!(name, "String" | "ID" | "Int" | "Float" | "Boolean")
        || name.to_ascii_lowercase().contains("email");
    TypeRef {
        kind: if scalar { "SCALAR" } else { "INPUT_OBJECT" }.into(),
        name: name.to_string(),
        required: spelled.ends_with('!'),
        list: spelled.starts_with('['),
    }
}

/// A field's required arguments, input fields and selection, from validation errors.
async fn shape_of(cx: &mut Discovering<'_>, e: &Endpoint, name: &str) -> Option<Field> {
    const TRY: &[&str] = &["token", "accessToken", "message", "success", "ok"];
    let q = format!(
        "mutation {{ {name} {{ __typename {} errors {{ message }} }} }}",
        TRY.join(" ")
    );
    let resp = cx.send(&gql_request(e, &q)).await.ok()??;
    let msgs = messages(&resp);
    let mut f = Field {
        name: name.to_string(),
        ..Field::default()
    };
    let mut keep: Vec<String> = TRY.iter().map(|s| s.to_string()).collect();
    let mut errors_ok = true;
    let mut scalar = false;
    for m in &msgs {
        if let Some(c) = REQUIRED_ARG.captures(m) {
            f.args.push(Arg {
                name: c[1].to_string(),
                ty: type_ref_of(&c[2]),
                fields: Vec::new(),
            });
        }
        if let Some((field, _)) = cannot_query(m) {
            if field == "errors" || field == "message" && !keep.contains(&"message".to_string()) {
                errors_ok = false;
            }
            keep.retain(|k| k != &field);
        }
        if NO_SUBFIELDS.is_match(m) {
            if m.contains(&format!("\"{name}\"")) || m.contains(&format!("'{name}'")) {
                scalar = true;
            } else if m.contains("errors") {
                errors_ok = false;
            }
        }
    }
    if f.args.is_empty() {
        return None;
    }
    for a in &mut f.args {
        if a.ty.kind != "INPUT_OBJECT" {
            continue;
        }
        let q = format!("mutation {{ {name}({}: {{}}) {{ __typename }} }}", a.name);
        if let Ok(Some(r)) = cx.send(&gql_request(e, &q)).await {
            for m in messages(&r) {
                if let Some(c) = REQUIRED_INPUT.captures(&m) {
                    a.fields.push(Arg {
                        name: c[2].to_string(),
                        ty: type_ref_of(&c[3]),
                        fields: Vec::new(),
                    });
                }
            }
        }
    }
    f.ret = TypeRef {
        kind: if scalar { "SCALAR" } else { "OBJECT" }.into(),
        ..TypeRef::default()
    };
    f.selection = if scalar {
        String::new()
    } else {
        let mut parts = vec!["__typename".to_string()];
        parts.extend(keep);
        if errors_ok {
            parts.push("errors { message }".into());
        }
        format!("{{ {} }}", parts.join(" "))
    };
    Some(f)
}

/// What a mutation's name says it does.
fn role_by_name(name: &str) -> Option<Flow> {
    let n = name.to_ascii_lowercase().replace(['_', '-'], "");
    let has = |ws: &[&str]| ws.iter().any(|w| n.contains(w));
    if has(&[
        "logout",
        "signout",
        "refresh",
        "verify",
        "revoke",
        "social",
        "oauth",
        "external",
        "onetime",
        "magic",
        "2fa",
        "tfa",
        "impersonat",
        "delete",
        "update",
        "change",
        "passwordless",
    ]) {
        return None;
    }
    if has(&["reset", "forgot", "recover"]) && has(&["pass", "pwd"]) || n == "authpasswordrequest" {
        return Some(Flow::PasswordReset);
    }
    if has(&[
        "register",
        "signup",
        "createaccount",
        "createuser",
        "createcustomer",
    ]) {
        return Some(Flow::Registration);
    }
    if has(&[
        "login",
        "signin",
        "tokenauth",
        "tokencreate",
        "authenticat",
        "obtaintoken",
        "createtoken",
        "customertoken",
        "session",
        "jwt",
    ]) {
        return Some(Flow::SignIn);
    }
    None
}

/// An argument path (`input.email`) with what the argument is for.
#[derive(Debug, Clone)]
struct Slot {
    path: String,
    name: String,
    ty: TypeRef,
}

fn flatten(args: &[Arg], prefix: &str, out: &mut Vec<Slot>) {
    for a in args {
        let path = if prefix.is_empty() {
            a.name.clone()
        } else {
            format!("{prefix}.{}", a.name)
        };
        if a.fields.is_empty() {
            out.push(Slot {
                path,
                name: a.name.clone(),
                ty: a.ty.clone(),
            });
        } else {
            flatten(&a.fields, &path, out);
        }
    }
}

fn password_like(n: &str) -> bool {
    let l = n.to_ascii_lowercase();
    l.contains("pass") || l == "pwd"
}

fn token_like(n: &str) -> bool {
    let l = n.to_ascii_lowercase();
    ["token", "code", "key", "uid", "otp"]
        .iter()
        .any(|w| l.contains(w))
}

/// The constant a required argument that is neither the identifier nor a password gets; None
/// when no safe constant is known (an enum, a list).
fn constant(slot: &Slot, base: &Url) -> Option<Value> {
    if slot.ty.list {
        return None;
    }
    match slot.ty.name.as_str() {
        "Boolean" => Some(Value::Bool(false)),
        "Int" | "Float" => Some(Value::from(0)),
        _ if slot.ty.kind == "SCALAR" => {
            let l = slot.name.to_ascii_lowercase();
            Some(Value::from(
                if l.contains("url") || l.contains("redirect") {
                    base.to_string()
                } else if l.contains("mail") {
                    // Well formed, so that its validator does not speak of e-mail (which
                    // would read as the identifier's shape), at a name that receives no mail.
                    format!("nobody@{}", crate::surface::NO_MAIL_DOMAIN)
                } else {
                    "keyhole".to_string()
                },
            ))
        }
        _ => None,
    }
}

/// The surface a mutation makes, when its arguments fit its role.
fn surface_of(e: &Endpoint, f: &Field, base: &Url) -> Option<Surface> {
    let flow = role_by_name(&f.name)?;
    let mut slots = Vec::new();
    flatten(&f.args, "", &mut slots);
    // A user name before an e-mail address where both are taken: names are what guesses
    // (`admin`) and registrations' "already taken" speak of.
    let account = |s: &&Slot| {
        s.ty.scalar() && !password_like(&s.name) && Identifier::looks_like_account_field(&s.name)
    };
    let named = |s: &&Slot| {
        let l = s.name.to_ascii_lowercase();
        l.contains("user") || l.contains("login") || l == "identifier"
    };
    let user = slots
        .iter()
        .filter(account)
        .find(named)
        .or_else(|| {
            slots
                .iter()
                .filter(account)
                .find(|s| Identifier::from_field(&s.name, None).is_email())
        })
        .or_else(|| slots.iter().find(account))
        .or_else(|| {
            slots
                .iter()
                .find(|s| s.name.eq_ignore_ascii_case("emailAddress"))
        })?
        .clone();
    let passwords: Vec<&Slot> = slots
        .iter()
        .filter(|s| s.ty.scalar() && password_like(&s.name))
        .collect();
    match flow {
        Flow::SignIn | Flow::Registration if passwords.is_empty() => return None,
        Flow::PasswordReset
            if !passwords.is_empty() || slots.iter().any(|s| token_like(&s.name)) =>
        {
            return None
        }
        _ => {}
    }
    let mut consts = Vec::new();
    for s in &slots {
        if s.path == user.path || passwords.iter().any(|p| p.path == s.path) || !s.ty.required {
            continue;
        }
        consts.push((format!("{}.{}", f.name, s.path), constant(s, base)?));
    }
    let at = |p: &str| format!("{}.{p}", f.name);
    // A registration whose only password is optional gets none: see flows::confirm.
    let optional_only = flow == Flow::Registration
        && passwords.len() == 1
        && passwords.iter().all(|p| !p.ty.required);
    let password_field = passwords
        .first()
        .filter(|_| !optional_only)
        .map(|p| at(&p.path))
        .unwrap_or_default();
    let extra: Vec<(String, String)> = passwords
        .iter()
        .skip(1)
        .filter(|_| flow == Flow::Registration)
        .map(|p| (at(&p.path), String::new()))
        .collect();
    Some(Surface {
        method: "POST".into(),
        url: e.url.clone(),
        kind: SurfaceKind::Graphql,
        username_field: at(&user.path),
        password_field,
        extra,
        form_page: None,
        has_hidden: false,
        source: SurfaceSource::Graphql,
        framework: Framework::Unknown,
        identifier: Identifier::from_field(&user.name, None),
        flow,
        product: None,
        headers: e.headers.clone(),
        csrf: None,
        prior: None,
        graphql: Some(Box::new(Operation {
            field: f.name.clone(),
            selection: f.selection.clone(),
            consts,
        })),
    })
}

/// Leads for the sign-in (the best one) and flow leads for a reset and a registration.
fn add_surfaces(cx: &mut Discovering<'_>, e: &Endpoint, fields: &[Field]) {
    let base = cx.base.clone();
    let mut surfaces: Vec<Surface> = fields
        .iter()
        .filter_map(|f| surface_of(e, f, &base))
        .collect();
    // Direct arguments before nested ones, shorter names (`login`) before longer ones.
    surfaces.sort_by_key(|s| {
        (
            s.username_field.matches('.').count(),
            s.graphql.as_ref().map_or(0, |o| o.field.len()),
        )
    });
    let mut have = (false, false, false);
    for s in surfaces {
        let slot = match s.flow {
            Flow::SignIn => &mut have.0,
            Flow::PasswordReset => &mut have.1,
            Flow::Registration => &mut have.2,
        };
        if *slot {
            continue;
        }
        *slot = true;
        cx.scanner.progress.detail(&format!(
            "GraphQL {} mutation {} at {}",
            s.flow.as_str(),
            s.graphql.as_ref().map_or("", |o| o.field.as_str()),
            s.url
        ));
        if s.flow == Flow::SignIn {
            cx.push(Lead::Known(Box::new(s)));
        } else {
            cx.push_flow(FlowLead {
                surface: s,
                declared: true,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mutation_names_say_their_role() {
        for (n, f) in [
            ("tokenAuth", Some(Flow::SignIn)),
            ("login", Some(Flow::SignIn)),
            ("auth_login", Some(Flow::SignIn)),
            ("generateCustomerToken", Some(Flow::SignIn)),
            ("requestPasswordReset", Some(Flow::PasswordReset)),
            ("sendPasswordResetEmail", Some(Flow::PasswordReset)),
            ("forgotPassword", Some(Flow::PasswordReset)),
            ("auth_password_request", Some(Flow::PasswordReset)),
            ("registerCustomerAccount", Some(Flow::Registration)),
            ("signUp", Some(Flow::Registration)),
            ("refreshToken", None),
            ("verifyToken", None),
            ("logout", None),
            ("createProduct", None),
        ] {
            assert_eq!(role_by_name(n), f, "{n}");
        }
    }

    #[test]
    fn validation_messages_of_graphql_js_and_graphql_core() {
        assert_eq!(
            cannot_query(r#"Cannot query field "logn" on type "Mutation". Did you mean "login"?"#),
            Some(("logn".into(), "Mutation".into()))
        );
        assert_eq!(
            suggestions("Cannot query field 'tokenAut' on type 'Mutation'. Did you mean 'tokenAuth' or 'token'?"),
            vec!["tokenAuth".to_string(), "token".to_string()]
        );
        let m = "Field 'tokenAuth' argument 'password' of type 'String!' is required, but it was not provided.";
        let c = REQUIRED_ARG.captures(m).unwrap();
        assert_eq!((&c[1], &c[2]), ("password", "String!"));
        let m = r#"Field "LogInInput.username" of required type "String!" was not provided."#;
        let c = REQUIRED_INPUT.captures(m).unwrap();
        assert_eq!((&c[1], &c[2]), ("LogInInput", "username"));
    }

    fn arg(name: &str, ty: &str, kind: &str, required: bool) -> Arg {
        Arg {
            name: name.into(),
            ty: TypeRef {
                kind: kind.into(),
                name: ty.into(),
                required,
                list: false,
            },
            fields: Vec::new(),
        }
    }

    fn endpoint() -> Endpoint {
        Endpoint {
            url: Url::parse("http://127.0.0.1:1/graphql").unwrap(),
            headers: Vec::new(),
        }
    }

    #[test]
    fn a_sign_in_takes_an_identifier_and_a_password_nested_or_not() {
        let base = Url::parse("http://127.0.0.1:1/").unwrap();
        let mut input = arg("input", "LogInInput", "INPUT_OBJECT", true);
        input.fields = vec![
            arg("email", "String", "SCALAR", true),
            arg("password", "String", "SCALAR", true),
            arg("remember", "Boolean", "SCALAR", true),
        ];
        let f = Field {
            name: "logIn".into(),
            args: vec![input],
            ret: TypeRef::default(),
            selection: "{ __typename }".into(),
        };
        let s = surface_of(&endpoint(), &f, &base).unwrap();
        assert_eq!(s.username_field, "logIn.input.email");
        assert_eq!(s.password_field, "logIn.input.password");
        assert!(s.identifier.is_email());
        let op = s.graphql.as_ref().unwrap();
        assert_eq!(
            op.consts,
            vec![("logIn.input.remember".to_string(), Value::Bool(false))]
        );
        let r = s.attempt_request("ann@example.invalid", "pw", &[]);
        let v: Value = serde_json::from_slice(&r.body.unwrap().bytes).unwrap();
        assert_eq!(
            v["query"],
            r#"mutation { logIn(input: {remember: false, email: "ann@example.invalid", password: "pw"}) { __typename } }"#
        );
        // No password: not a sign-in.
        let f = Field {
            name: "login".into(),
            args: vec![arg("username", "String", "SCALAR", true)],
            ..Field::default()
        };
        assert!(surface_of(&endpoint(), &f, &base).is_none());
        // A reset request that takes a token completes a reset: not the request.
        let f = Field {
            name: "resetPassword".into(),
            args: vec![
                arg("email", "String", "SCALAR", true),
                arg("token", "String", "SCALAR", true),
            ],
            ..Field::default()
        };
        assert!(surface_of(&endpoint(), &f, &base).is_none());
    }

    #[test]
    fn a_selection_reads_error_types_and_unions() {
        let j = |s: &str| serde_json::from_str::<Value>(s).unwrap();
        let mut types = std::collections::HashMap::new();
        types.insert(
            "CreateToken".to_string(),
            j(r#"{"fields":[{"name":"token","args":[],"type":{"kind":"SCALAR","name":"String"}},
                 {"name":"user","args":[],"type":{"kind":"OBJECT","name":"User"}},
                 {"name":"errors","args":[],"type":{"kind":"NON_NULL","ofType":{"kind":"LIST","ofType":{"kind":"OBJECT","name":"AccountError"}}}}]}"#),
        );
        types.insert(
            "AccountError".to_string(),
            j(r#"{"fields":[{"name":"message","args":[],"type":{"kind":"SCALAR","name":"String"}},{"name":"code","args":[],"type":{"kind":"ENUM","name":"Code"}}]}"#),
        );
        let ret = TypeRef {
            kind: "OBJECT".into(),
            name: "CreateToken".into(),
            ..TypeRef::default()
        };
        assert_eq!(
            selection(&types, &ret),
            "{ __typename token errors { message code } }"
        );
        types.insert(
            "LoginResult".to_string(),
            j(r#"{"possibleTypes":[{"name":"CurrentUser","fields":[{"name":"id","args":[],"type":{"kind":"SCALAR","name":"ID"}}]},
                 {"name":"InvalidCredentialsError","fields":[{"name":"message","args":[],"type":{"kind":"SCALAR","name":"String"}}]}]}"#),
        );
        let ret = TypeRef {
            kind: "UNION".into(),
            name: "LoginResult".into(),
            ..TypeRef::default()
        };
        assert_eq!(
            selection(&types, &ret),
            "{ __typename ... on CurrentUser { id } ... on InvalidCredentialsError { message } }"
        );
    }

    #[test]
    fn pages_name_graphql_endpoints() {
        let page = r#"<script>fetch("/api/graphql", {}); const u = '/graphql/system';</script><li>graphql/</li><script src="/static/graphql.js"></script>"#;
        let found: Vec<String> = NAMED
            .captures_iter(page)
            .map(|c| c[1].to_string())
            .collect();
        assert!(found.contains(&"/api/graphql".to_string()), "{found:?}");
        assert!(found.contains(&"/graphql/system".to_string()), "{found:?}");
        assert!(found.contains(&"graphql/".to_string()), "{found:?}");
    }
}
