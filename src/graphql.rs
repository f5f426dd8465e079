//! GraphQL sign-ins: the mutation an attempt calls, how its request is written (arguments
//! inline as literals, so no variable types are needed), several attempts in one request
//! (aliases or an array batch), and how an answer is read: one view per attempt, with the
//! request-specific parts (`locations`, `path`, the alias) taken out, and whether it failed.

use bytes::Bytes;
use serde_json::{Map, Value};

use crate::http::{Body, Request, Response};

/// The mutation a GraphQL surface calls and what it selects of the answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation {
    /// The mutation field (`tokenAuth`).
    pub field: String,
    /// The selection set after the field (`{ token }`); empty when it returns a scalar.
    pub selection: String,
    /// Further required arguments with the constant the attempt sends (a dotted path below
    /// the field, as the identifier's and password's are).
    pub consts: Vec<(String, Value)>,
}

/// How several attempts share one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Batch {
    /// One operation with the mutation under several aliases.
    Aliases,
    /// A JSON array of operations.
    Array,
}

impl Batch {
    pub fn as_str(self) -> &'static str {
        match self {
            Batch::Aliases => "aliases",
            Batch::Array => "array",
        }
    }
}

/// A value as a GraphQL literal: objects with bare keys, strings JSON-escaped (a valid
/// GraphQL string), other scalars as they are.
pub fn literal(v: &Value) -> String {
    match v {
        Value::Object(m) => format!("{{{}}}", arguments(m)),
        Value::Array(a) => format!("[{}]", a.iter().map(literal).collect::<Vec<_>>().join(", ")),
        Value::String(s) => serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into()),
        other => other.to_string(),
    }
}

/// An argument list's inside: `username: "a", input: {x: 1}`.
pub fn arguments(m: &Map<String, Value>) -> String {
    m.iter()
        .map(|(k, v)| format!("{k}: {}", literal(v)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Set `value` at the dotted `path` of an argument map (the field's own name first, which is
/// dropped: `tokenAuth.input.email` sets `input.email`).
pub fn set_arg(args: &mut Map<String, Value>, field: &str, path: &str, value: Value) {
    let rel = path
        .strip_prefix(field)
        .and_then(|r| r.strip_prefix('.'))
        .unwrap_or(path);
    set_value(args, rel, value);
}

fn set_value(map: &mut Map<String, Value>, path: &str, value: Value) {
    match path.split_once('.') {
        Some((head, rest)) if !head.is_empty() && !rest.is_empty() => {
            let entry = map
                .entry(head.to_string())
                .or_insert_with(|| Value::Object(Map::new()));
            if !entry.is_object() {
                *entry = Value::Object(Map::new());
            }
            if let Value::Object(inner) = entry {
                set_value(inner, rest, value);
            }
        }
        _ => {
            map.insert(path.to_string(), value);
        }
    }
}

impl Operation {
    /// The arguments of one call: the constants, then `fields` (path, value).
    pub fn args(&self, fields: &[(&str, Value)]) -> Map<String, Value> {
        let mut m = Map::new();
        for (p, v) in &self.consts {
            set_arg(&mut m, &self.field, p, v.clone());
        }
        for (p, v) in fields {
            if !p.is_empty() {
                set_arg(&mut m, &self.field, p, v.clone());
            }
        }
        m
    }

    /// One call of the mutation, under `alias` when given.
    pub fn call(&self, alias: Option<&str>, args: &Map<String, Value>) -> String {
        let name = match alias {
            Some(a) => format!("{a}: {}", self.field),
            None => self.field.clone(),
        };
        let args = if args.is_empty() {
            String::new()
        } else {
            format!("({})", arguments(args))
        };
        format!("{name}{args} {}", self.selection)
            .trim_end()
            .to_string()
    }

    /// A whole document with one call.
    pub fn document(&self, args: &Map<String, Value>) -> String {
        format!("mutation {{ {} }}", self.call(None, args))
    }

    /// The request of one call to `url`.
    pub fn request(
        &self,
        url: &url::Url,
        args: &Map<String, Value>,
        headers: &[(String, String)],
    ) -> Request {
        Request {
            method: "POST".into(),
            url: url.clone(),
            headers: headers.to_vec(),
            body: Some(Body::json(
                &serde_json::json!({ "query": self.document(args) }),
            )),
        }
    }

    /// One request carrying every call of `calls` in the `batch` form.
    pub fn batch_request(
        &self,
        url: &url::Url,
        calls: &[Map<String, Value>],
        batch: Batch,
        headers: &[(String, String)],
    ) -> Request {
        let body = match batch {
            Batch::Aliases => {
                let inner: Vec<String> = calls
                    .iter()
                    .enumerate()
                    .map(|(i, a)| self.call(Some(&alias(i)), a))
                    .collect();
                serde_json::json!({ "query": format!("mutation {{ {} }}", inner.join(" ")) })
            }
            Batch::Array => Value::Array(
                calls
                    .iter()
                    .map(|a| serde_json::json!({ "query": self.document(a) }))
                    .collect(),
            ),
        };
        Request {
            method: "POST".into(),
            url: url.clone(),
            headers: headers.to_vec(),
            body: Some(Body::json(&body)),
        }
    }
}

/// The alias of the `i`th attempt in one request.
pub fn alias(i: usize) -> String {
    format!("k{i}")
}

/// What a GraphQL answer says of one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The request was refused before anything ran (a validation error: no `data`).
    Invalid,
    /// The call failed: an error on it, a null payload, an error type, `success: false`.
    Failure,
    /// The call returned a payload and nothing says it failed.
    Success,
}

/// Whether `v` looks like a GraphQL answer (`data` or a list of `errors`).
pub fn is_answer(v: &Value) -> bool {
    v.get("data").is_some_and(|d| d.is_object() || d.is_null())
        || v.get("errors")
            .and_then(Value::as_array)
            .is_some_and(|e| e.iter().any(|x| x.get("message").is_some()))
}

/// The payload at `key` and the errors that belong to it (path starting at `key`, or with no
/// path when the whole `data` is null).
fn parts<'v>(v: &'v Value, key: &str) -> (Option<&'v Value>, Vec<&'v Value>) {
    let data = v.get("data");
    let payload = data.and_then(|d| d.get(key));
    let errors = v
        .get("errors")
        .and_then(Value::as_array)
        .map(|es| {
            es.iter()
                .filter(|e| match e.get("path").and_then(Value::as_array) {
                    Some(p) => p.first().and_then(Value::as_str) == Some(key),
                    None => true,
                })
                .collect()
        })
        .unwrap_or_default();
    (payload, errors)
}

/// Whether a payload itself says it failed: an error type, `success`/`ok` false, a non-empty
/// list of errors, or every value null.
fn payload_failed(p: &Value) -> bool {
    let Value::Object(m) = p else {
        return p.is_null();
    };
    let typename = m.get("__typename").and_then(Value::as_str).unwrap_or("");
    let tl = typename.to_ascii_lowercase();
    if ["error", "fail", "invalid", "problem"]
        .iter()
        .any(|w| tl.contains(w))
    {
        return true;
    }
    for (k, v) in m {
        let kl = k.to_ascii_lowercase();
        if (kl == "success" || kl == "ok" || kl == "succeeded") && v == &Value::Bool(false) {
            return true;
        }
        if kl.ends_with("errors") || kl == "error" {
            match v {
                Value::Array(a) if !a.is_empty() => return true,
                Value::Object(_) | Value::String(_) => return true,
                _ => {}
            }
        }
    }
    m.iter()
        .filter(|(k, _)| k.as_str() != "__typename")
        .all(|(_, v)| v.is_null())
        && m.len() > 1
}

/// What the answer says of the call at `key`.
pub fn outcome(v: &Value, key: &str) -> Option<Outcome> {
    if !is_answer(v) {
        return None;
    }
    if v.get("data").is_none() {
        return Some(Outcome::Invalid);
    }
    let (payload, errors) = parts(v, key);
    if !errors.is_empty() {
        return Some(Outcome::Failure);
    }
    match payload {
        None | Some(Value::Null) => Some(Outcome::Failure),
        Some(p) if payload_failed(p) => Some(Outcome::Failure),
        Some(_) => Some(Outcome::Success),
    }
}

/// One call's view of an answer: `{"data": {FIELD: payload}, "errors": [...]}` with the
/// request-specific parts of each error (`locations`, `path`) left out, so that the same
/// answer reads the same whatever alias or position the call had. None when the body is
/// not a GraphQL answer (a 429 page, a proxy error).
pub fn view_of(v: &Value, key: &str, field: &str) -> Option<Value> {
    if !is_answer(v) {
        return None;
    }
    let (payload, errors) = parts(v, key);
    let mut out = Map::new();
    if v.get("data").is_some() {
        let mut data = Map::new();
        data.insert(field.to_string(), payload.cloned().unwrap_or(Value::Null));
        out.insert("data".into(), Value::Object(data));
    }
    if !errors.is_empty() {
        let errs: Vec<Value> = errors
            .into_iter()
            .map(|e| {
                let mut e = e.clone();
                if let Value::Object(m) = &mut e {
                    m.remove("locations");
                    m.remove("path");
                }
                e
            })
            .collect();
        out.insert("errors".into(), Value::Array(errs));
    }
    Some(Value::Object(out))
}

/// `resp` with its body replaced by `body` (a view).
fn with_body(resp: &Response, body: &Value) -> Response {
    Response {
        status: resp.status,
        headers: resp.headers.clone(),
        body: Bytes::from(serde_json::to_vec(body).unwrap_or_default()),
        truncated: resp.truncated,
        ttfb: resp.ttfb,
        total: resp.total,
        version: resp.version,
    }
}

/// `resp` (a view) with every error's `extensions` left out; None when there are none.
pub fn without_extensions(resp: &Response) -> Option<Response> {
    let mut v: Value = serde_json::from_slice(&resp.body).ok()?;
    let errors = v.get_mut("errors")?.as_array_mut()?;
    let mut any = false;
    for e in errors {
        if let Value::Object(m) = e {
            any |= m.remove("extensions").is_some();
        }
    }
    any.then(|| with_body(resp, &v))
}

/// The answer to a single call, seen as that call's view (unchanged when not GraphQL).
pub fn single_view(resp: &Response, field: &str) -> Response {
    match serde_json::from_slice::<Value>(&resp.body)
        .ok()
        .and_then(|v| view_of(&v, field, field))
    {
        Some(view) => with_body(resp, &view),
        None => resp.clone(),
    }
}

/// The answer to a batch of `n` calls in the `batch` form, split into one view per call; a
/// call the answer has nothing for is None. A whole answer that is not GraphQL (a 429) is
/// every call's answer.
pub fn split(resp: &Response, n: usize, batch: Batch, field: &str) -> Vec<Option<Response>> {
    let parsed = serde_json::from_slice::<Value>(&resp.body).ok();
    match (batch, parsed) {
        (Batch::Aliases, Some(v)) if is_answer(&v) => (0..n)
            .map(|i| {
                let key = alias(i);
                let (payload, errors) = parts(&v, &key);
                let answered = payload.is_some() || errors.iter().any(|e| e.get("path").is_some());
                answered
                    .then(|| view_of(&v, &key, field))
                    .flatten()
                    .map(|view| with_body(resp, &view))
            })
            .collect(),
        (Batch::Array, Some(Value::Array(items))) => (0..n)
            .map(|i| {
                items
                    .get(i)
                    .and_then(|item| view_of(item, field, field))
                    .map(|view| with_body(resp, &view))
            })
            .collect(),
        (_, Some(v)) if is_answer(&v) => vec![None; n],
        _ => vec![Some(resp.clone()); n],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op() -> Operation {
        Operation {
            field: "tokenAuth".into(),
            selection: "{ token }".into(),
            consts: vec![],
        }
    }

    #[test]
    fn arguments_are_inline_literals_with_escaping() {
        let o = op();
        let a = o.args(&[
            ("tokenAuth.username", Value::from("a\"b\\c")),
            ("tokenAuth.password", Value::from("pw")),
        ]);
        assert_eq!(
            o.document(&a),
            r#"mutation { tokenAuth(username: "a\"b\\c", password: "pw") { token } }"#
        );
        let nested = Operation {
            field: "logIn".into(),
            selection: String::new(),
            consts: vec![("logIn.input.remember".into(), Value::Bool(false))],
        };
        let a = nested.args(&[("logIn.input.email", Value::from("x@y"))]);
        assert_eq!(
            nested.call(Some("k0"), &a),
            r#"k0: logIn(input: {remember: false, email: "x@y"})"#
        );
    }

    #[test]
    fn a_batch_is_aliases_in_one_document_or_an_array() {
        let o = op();
        let calls: Vec<_> = ["a", "b"]
            .iter()
            .map(|u| o.args(&[("tokenAuth.username", Value::from(*u))]))
            .collect();
        let url = url::Url::parse("http://127.0.0.1/graphql").unwrap();
        let r = o.batch_request(&url, &calls, Batch::Aliases, &[]);
        let v: Value = serde_json::from_slice(&r.body.unwrap().bytes).unwrap();
        assert_eq!(
            v["query"],
            r#"mutation { k0: tokenAuth(username: "a") { token } k1: tokenAuth(username: "b") { token } }"#
        );
        let r = o.batch_request(&url, &calls, Batch::Array, &[]);
        let v: Value = serde_json::from_slice(&r.body.unwrap().bytes).unwrap();
        assert_eq!(v.as_array().unwrap().len(), 2);
    }

    #[test]
    fn outcomes_of_common_answers() {
        let j = |s: &str| serde_json::from_str::<Value>(s).unwrap();
        let top = j(
            r#"{"errors":[{"message":"Please enter valid credentials","locations":[{"line":1,"column":12}],"path":["tokenAuth"]}],"data":{"tokenAuth":null}}"#,
        );
        assert_eq!(outcome(&top, "tokenAuth"), Some(Outcome::Failure));
        let payload = j(r#"{"data":{"tokenCreate":{"token":null,"errors":[{"message":"bad"}]}}}"#);
        assert_eq!(outcome(&payload, "tokenCreate"), Some(Outcome::Failure));
        let union =
            j(r#"{"data":{"login":{"__typename":"InvalidCredentialsError","message":"x"}}}"#);
        assert_eq!(outcome(&union, "login"), Some(Outcome::Failure));
        let ok = j(r#"{"data":{"login":{"__typename":"CurrentUser","id":"1"}}}"#);
        assert_eq!(outcome(&ok, "login"), Some(Outcome::Success));
        let flag = j(r#"{"data":{"login":{"success":false,"token":null}}}"#);
        assert_eq!(outcome(&flag, "login"), Some(Outcome::Failure));
        let invalid = j(
            r#"{"errors":[{"message":"Field 'x' argument 'password' of type 'String!' is required"}]}"#,
        );
        assert_eq!(outcome(&invalid, "x"), Some(Outcome::Invalid));
        assert_eq!(outcome(&j(r#"{"detail":"x"}"#), "x"), None);
    }

    #[test]
    fn an_alias_batch_splits_into_views_that_read_like_a_single_answer() {
        let single = Response::synthetic(
            200,
            &[],
            r#"{"errors":[{"message":"Invalid","locations":[{"line":1,"column":12}],"path":["tokenAuth"]}],"data":{"tokenAuth":null}}"#,
        );
        let batch = Response::synthetic(
            200,
            &[],
            r#"{"errors":[{"message":"Invalid","locations":[{"line":1,"column":12}],"path":["k0"]},{"message":"Invalid","locations":[{"line":1,"column":60}],"path":["k1"]}],"data":{"k0":null,"k1":null}}"#,
        );
        let views = split(&batch, 3, Batch::Aliases, "tokenAuth");
        let one = single_view(&single, "tokenAuth");
        assert_eq!(views[0].as_ref().unwrap().body, one.body);
        assert_eq!(views[1].as_ref().unwrap().body, one.body);
        assert!(views[2].is_none(), "no answer for a third call");
        let throttled = Response::synthetic(429, &[], "Too Many Requests");
        let views = split(&throttled, 2, Batch::Array, "tokenAuth");
        assert!(views.iter().all(|v| v.as_ref().unwrap().status == 429));
        let refused = Response::synthetic(
            400,
            &[],
            r#"{"errors":[{"message":"batching is not allowed"}]}"#,
        );
        assert!(split(&refused, 2, Batch::Array, "tokenAuth")
            .iter()
            .all(Option::is_none));
    }
}
