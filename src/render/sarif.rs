//! `--format sarif`: SARIF 2.1.0 for GitHub code scanning and other SARIF consumers.
//!
//! One rule per catalog id (name, short and full description, help with the remediation,
//! default level and `security-severity` by severity), one result per finding. A finding's
//! location is its endpoint: GitHub rejects absolute `http:` artifact URIs ("did not match the
//! checkout URI scheme"), so the path is given relative to a `TARGET` base (declared in
//! `originalUriBaseIds`) and the full "METHOD URL" is a logical location. The first evidence
//! exchange is attached as the result's `webRequest`/`webResponse`. The grade, score, categories
//! and, with `--baseline`, the comparison are run properties; incomplete checks are tool
//! execution notifications.

use serde_json::{json, Map, Value};

use super::{rules_for, short_endpoint, Rule};
use crate::baseline::Comparison;
use crate::report::{Evidence, Finding, Report, Severity};

pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// SARIF result level of a severity.
pub fn level(sev: Severity) -> &'static str {
    match sev {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

/// GitHub's `security-severity` (0.0–10.0; critical ≥ 9.0, high ≥ 7.0, medium ≥ 4.0).
fn security_severity(sev: Severity) -> &'static str {
    match sev {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
    }
}

/// "auth.user-enumeration.timing" → "AuthUserEnumerationTiming".
fn rule_name(id: &str) -> String {
    id.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut cs = p.chars();
            match cs.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + cs.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

/// A stable 64-bit FNV-1a hash, hex: the partial fingerprint of a finding across runs.
fn fingerprint(parts: &[&str]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.bytes().chain(std::iter::once(0u8)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

fn rule_json(r: &Rule) -> Value {
    json!({
        "id": r.id,
        "name": rule_name(&r.id),
        "shortDescription": {"text": r.title},
        "fullDescription": {"text": r.description},
        "help": {
            "text": format!("{}\n\nRemediation:\n\n{}", r.description, r.remediation),
            "markdown": format!("{}\n\n**Remediation**\n\n{}", r.description, r.remediation),
        },
        "defaultConfiguration": {"level": level(r.severity)},
        "properties": {
            "tags": ["security", r.category.as_str(), "password-spraying"],
            "security-severity": security_severity(r.severity),
            "precision": "high",
            "problem.severity": match r.severity {
                Severity::Critical | Severity::High => "error",
                Severity::Medium => "warning",
                Severity::Low => "recommendation",
            },
            "category": r.category.as_str(),
            "severity": r.severity.as_str(),
        },
    })
}

/// The endpoint's path relative to the target, as a relative URI reference (never empty).
fn relative_uri(report: &Report, endpoint: &str) -> String {
    let key = short_endpoint(report, endpoint);
    let path = key.split_once(' ').map(|(_, p)| p).unwrap_or(&key);
    let rel = path.trim_start_matches('/');
    if rel.is_empty() || rel.starts_with('?') {
        format!("./{rel}")
    } else {
        rel.to_string()
    }
}

fn web_request(ev: &Evidence) -> Value {
    let mut v = json!({
        "protocol": "HTTP",
        "version": "1.1",
        "method": ev.request.method,
        "target": ev.request.url,
        "headers": ev.request.headers,
    });
    if !ev.request.body.is_empty() {
        v["body"] = json!({"text": ev.request.body});
    }
    v
}

fn web_response(ev: &Evidence) -> Value {
    let mut v = json!({
        "protocol": "HTTP",
        "version": "1.1",
        "statusCode": ev.response.status,
        "headers": ev.response.headers,
    });
    if !ev.response.body.is_empty() {
        v["body"] = json!({"text": ev.response.body});
    }
    v
}

fn result_json(
    report: &Report,
    f: &Finding,
    rule_index: usize,
    baseline: Option<&Comparison>,
) -> Value {
    let short = short_endpoint(report, &f.endpoint);
    let mut props = Map::new();
    props.insert("endpoint".into(), json!(f.endpoint));
    props.insert("severity".into(), json!(f.severity.as_str()));
    props.insert("category".into(), json!(f.category.as_str()));
    props.insert(
        "confidence".into(),
        serde_json::to_value(f.confidence).expect("confidence serialises"),
    );
    props.insert("remediation".into(), json!(f.remediation));
    if let Some(product) = report
        .endpoints
        .iter()
        .find(|e| e.label() == f.endpoint)
        .and_then(|e| e.product.as_deref())
    {
        props.insert("product".into(), json!(product));
    }
    if !f.details.is_empty() {
        props.insert("details".into(), Value::Object(f.details.clone()));
    }
    if f.evidence.len() > 1 {
        props.insert(
            "evidence".into(),
            serde_json::to_value(&f.evidence).expect("evidence serialises"),
        );
    }
    let mut v = json!({
        "ruleId": f.id,
        "ruleIndex": rule_index,
        "kind": "fail",
        "level": level(f.severity),
        "message": {"text": format!("{} ({short})", f.summary)},
        "locations": [{
            "physicalLocation": {
                "artifactLocation": {"uri": relative_uri(report, &f.endpoint), "uriBaseId": "TARGET"},
            },
            "logicalLocations": [{
                "name": short,
                "fullyQualifiedName": f.endpoint,
                "kind": "resource",
            }],
        }],
        "partialFingerprints": {"keyholeFinding/v1": fingerprint(&[&f.id, &short])},
        "properties": Value::Object(props),
    });
    if let Some(ev) = f.evidence.first() {
        v["webRequest"] = web_request(ev);
        v["webResponse"] = web_response(ev);
    }
    if let Some(cmp) = baseline {
        v["baselineState"] = json!(if cmp.is_new(f) { "new" } else { "unchanged" });
    }
    v
}

/// The SARIF log as a JSON value.
pub fn to_value(report: &Report, baseline: Option<&Comparison>) -> Value {
    let rules = rules_for(report);
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            let idx = rules.iter().position(|r| r.id == f.id).unwrap_or(0);
            result_json(report, f, idx, baseline)
        })
        .collect();
    let notifications: Vec<Value> = report
        .incomplete
        .iter()
        .map(|i| {
            json!({
                "level": "warning",
                "message": {"text": format!("{} could not decide: {}", i.check, i.reason)},
                "descriptor": {"id": i.check},
            })
        })
        .collect();
    let mut run_props = Map::new();
    run_props.insert("score".into(), json!(report.score));
    run_props.insert("grade".into(), json!(report.grade));
    run_props.insert("rubric".into(), json!(report.rubric));
    run_props.insert("target".into(), json!(report.target));
    run_props.insert(
        "categories".into(),
        serde_json::to_value(&report.categories).expect("categories serialise"),
    );
    run_props.insert(
        "endpoints".into(),
        serde_json::to_value(&report.endpoints).expect("endpoints serialise"),
    );
    run_props.insert(
        "observations".into(),
        serde_json::to_value(&report.observations).expect("observations serialise"),
    );
    run_props.insert(
        "incomplete".into(),
        serde_json::to_value(&report.incomplete).expect("incomplete serialises"),
    );
    run_props.insert(
        "stats".into(),
        serde_json::to_value(&report.stats).expect("stats serialise"),
    );
    if let Some(cmp) = baseline {
        run_props.insert(
            "baseline".into(),
            serde_json::to_value(cmp).expect("comparison serialises"),
        );
    }
    let mut base = report.target.clone();
    if !base.ends_with('/') {
        base.push('/');
    }
    let mut invocation = json!({
        "executionSuccessful": true,
        "toolExecutionNotifications": notifications,
    });
    if !report.started_at.is_empty() {
        invocation["startTimeUtc"] = json!(report.started_at);
    }
    json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": report.tool.name,
                "version": report.tool.version,
                "semanticVersion": report.tool.version,
                "rules": rules.iter().map(rule_json).collect::<Vec<_>>(),
            }},
            "originalUriBaseIds": {"TARGET": {"uri": base, "description": {"text": "The scanned API's base URL"}}},
            "invocations": [invocation],
            "results": results,
            "properties": Value::Object(run_props),
        }],
    })
}

pub fn render(report: &Report, baseline: Option<&Comparison>) -> String {
    let mut s =
        serde_json::to_string_pretty(&to_value(report, baseline)).expect("SARIF serialises");
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_cover_the_catalog_and_results_point_at_them() {
        let r = super::super::testdata::report();
        let v = to_value(&r, None);
        let run = &v["runs"][0];
        let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
        assert_eq!(rules.len(), crate::checks::registry().len());
        for res in run["results"].as_array().unwrap() {
            let idx = res["ruleIndex"].as_u64().unwrap() as usize;
            assert_eq!(rules[idx]["id"], res["ruleId"]);
            let uri = res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap();
            assert_eq!(uri, "login");
        }
        assert_eq!(run["properties"]["grade"], "D");
        assert_eq!(
            rule_name("auth.user-enumeration.timing"),
            "AuthUserEnumerationTiming"
        );
        assert_eq!(fingerprint(&["a", "b"]), fingerprint(&["a", "b"]));
        assert_ne!(fingerprint(&["ab", ""]), fingerprint(&["a", "b"]));
    }
}
