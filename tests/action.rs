//! The composite GitHub Action (action.yml) run locally the way a runner would: its `run` steps
//! in order, with `${{ … }}` expressions filled in, GITHUB_OUTPUT/GITHUB_ENV/GITHUB_STEP_SUMMARY
//! files, and the keyhole binary of this build as `keyhole-bin`, against the demo API.
//! `uses:` steps (the build cache) are skipped. YAML is read with python3's PyYAML; the test is
//! skipped, saying so, when that is not installed.

mod ci_support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};

use ci_support::*;
use serde_json::Value;

fn root() -> &'static str {
    env!("CARGO_MANIFEST_DIR")
}

/// action.yml as JSON, through python3 + PyYAML; None when they are missing.
fn action() -> Option<Value> {
    let out = Command::new("python3")
        .args([
            "-c",
            "import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))",
            &format!("{}/action.yml", root()),
        ])
        .stderr(Stdio::piped())
        .output()
        .ok()?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        if err.contains("No module named 'yaml'") {
            return None;
        }
        panic!("action.yml does not parse: {err}");
    }
    Some(serde_json::from_slice(&out.stdout).expect("JSON from python"))
}

/// Replace `${{ expr }}` with values from `ctx` (missing ones become "").
fn expand(s: &str, ctx: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(start) = rest.find("${{") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find("}}").expect("closed expression") + start;
        let expr = rest[start + 3..end].trim();
        out.push_str(ctx.get(expr).map(String::as_str).unwrap_or(""));
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    out
}

/// `name=value` lines of a GITHUB_OUTPUT / GITHUB_ENV file.
fn read_kv(path: &Path) -> BTreeMap<String, String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

struct Run {
    code: i32,
    outputs: BTreeMap<String, String>,
    summary: String,
    log: String,
}

/// Run the action's steps with `inputs` (others take their defaults) in `work`.
fn run_action(action: &Value, work: &Path, inputs: &[(&str, &str)]) -> Run {
    let mut ctx = BTreeMap::new();
    for (name, spec) in action["inputs"].as_object().unwrap() {
        let default = spec["default"].as_str().unwrap_or("").to_string();
        ctx.insert(format!("inputs.{name}"), default);
    }
    for (k, v) in inputs {
        assert!(ctx.contains_key(&format!("inputs.{k}")), "no input {k}");
        ctx.insert(format!("inputs.{k}"), v.to_string());
    }
    ctx.insert("github.action_path".into(), root().into());
    let temp = work.join("runner-temp");
    std::fs::create_dir_all(&temp).unwrap();
    let summary = work.join("summary.md");
    let env_file = work.join("github-env");
    std::fs::write(&summary, "").unwrap();
    std::fs::write(&env_file, "").unwrap();
    let mut job_env: BTreeMap<String, String> = BTreeMap::new();
    let mut log = String::new();
    let mut last_outputs = BTreeMap::new();
    let mut code = 0;
    for (i, step) in action["runs"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        if step.get("uses").is_some() {
            continue;
        }
        let script = step["run"].as_str().expect("a run step");
        assert_eq!(step["shell"], "bash");
        let out_file = work.join(format!("output-{i}"));
        std::fs::write(&out_file, "").unwrap();
        let mut cmd = Command::new("bash");
        cmd.arg("-c")
            .arg(expand(script, &ctx))
            .current_dir(work)
            .env("GITHUB_OUTPUT", &out_file)
            .env("GITHUB_ENV", &env_file)
            .env("GITHUB_STEP_SUMMARY", &summary)
            .env("RUNNER_TEMP", &temp)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null());
        for (k, v) in &job_env {
            cmd.env(k, v);
        }
        if let Some(env) = step.get("env").and_then(Value::as_object) {
            for (k, v) in env {
                cmd.env(k, expand(v.as_str().unwrap_or(""), &ctx));
            }
        }
        let o = cmd.output().expect("bash runs");
        log.push_str(&String::from_utf8_lossy(&o.stdout));
        log.push_str(&String::from_utf8_lossy(&o.stderr));
        let outputs = read_kv(&out_file);
        if let Some(id) = step.get("id").and_then(Value::as_str) {
            for (k, v) in &outputs {
                ctx.insert(format!("steps.{id}.outputs.{k}"), v.clone());
            }
        }
        job_env.extend(read_kv(&env_file));
        last_outputs = outputs;
        code = o.status.code().unwrap_or(-1);
        if code != 0 {
            break;
        }
    }
    Run {
        code,
        outputs: last_outputs,
        summary: std::fs::read_to_string(&summary).unwrap(),
        log,
    }
}

#[test]
fn action_definition_is_complete() {
    let Some(a) = action() else {
        eprintln!("SKIPPED action_definition_is_complete: python3 with PyYAML is not installed");
        return;
    };
    assert_eq!(a["runs"]["using"], "composite");
    assert_eq!(a["inputs"]["url"]["required"], true);
    for input in [
        "fail-under",
        "fail-on-regression",
        "baseline",
        "sarif-file",
        "json-file",
        "summary",
    ] {
        assert!(a["inputs"][input].is_object(), "input {input}");
    }
    for output in ["grade", "score", "regression", "sarif-file", "exit-code"] {
        assert!(a["outputs"][output]["value"].is_string(), "output {output}");
    }
    // Inputs reach scripts only through env (no `${{ }}` inside run: script injection).
    for step in a["runs"]["steps"].as_array().unwrap() {
        if let Some(run) = step["run"].as_str() {
            assert!(!run.contains("${{"), "expression in a run script: {run}");
        }
    }
}

#[test]
fn action_scans_writes_reports_and_gates() {
    let Some(a) = action() else {
        eprintln!(
            "SKIPPED action_scans_writes_reports_and_gates: python3 with PyYAML is not installed"
        );
        return;
    };
    let bin = env!("CARGO_BIN_EXE_keyhole");
    let work = tempfile::tempdir().unwrap();
    let w = work.path();

    // A hardened API, no baseline yet: passes fail-under B, warns about the missing baseline.
    let d = demo(true);
    let r = run_action(
        &a,
        w,
        &[
            ("url", &d.url),
            ("keyhole-bin", bin),
            ("fail-under", "B"),
            ("baseline", "main.json"),
            ("fail-on-regression", "true"),
            ("json-file", "main.json"),
            ("html-file", "report.html"),
        ],
    );
    drop(d);
    assert_eq!(r.code, 0, "{}", r.log);
    assert!(r.log.contains("::warning"), "{}", r.log);
    assert_eq!(r.outputs.get("grade").map(String::as_str), Some("A"));
    assert_eq!(r.outputs.get("score").map(String::as_str), Some("100"));
    assert_eq!(
        r.outputs.get("regression").map(String::as_str),
        Some("false")
    );
    assert!(r.summary.contains("keyhole: grade A"), "{}", r.summary);
    let sarif: Value =
        serde_json::from_str(&std::fs::read_to_string(w.join("keyhole.sarif")).unwrap()).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert!(std::fs::read_to_string(w.join("report.html"))
        .unwrap()
        .contains("data-grade=\"A\""));

    // The naive API against that baseline: a regression, and fail-under B fails too.
    let d = demo(false);
    let r = run_action(
        &a,
        w,
        &[
            ("url", &d.url),
            ("keyhole-bin", bin),
            ("fail-under", "B"),
            ("baseline", "main.json"),
            ("fail-on-regression", "true"),
            ("json-file", "pr.json"),
            ("sarif-file", "pr.sarif"),
            ("junit-file", "pr.xml"),
        ],
    );
    assert_eq!(r.code, 1, "{}", r.log);
    assert_eq!(r.outputs.get("grade").map(String::as_str), Some("F"));
    assert_eq!(
        r.outputs.get("regression").map(String::as_str),
        Some("true")
    );
    assert_eq!(r.outputs.get("exit-code").map(String::as_str), Some("1"));
    assert!(r.log.contains("::error"), "{}", r.log);
    assert!(r.summary.contains("regression"), "{}", r.summary);
    let sarif = std::fs::read_to_string(w.join("pr.sarif")).unwrap();
    assert!(sarif.contains("\"baselineState\": \"new\""));
    assert!(std::fs::read_to_string(w.join("pr.xml"))
        .unwrap()
        .contains("<failure"));

    // Only the regression gate: the naive API compared with itself passes it.
    let r = run_action(
        &a,
        w,
        &[
            ("url", &d.url),
            ("keyhole-bin", bin),
            ("baseline", "pr.json"),
            ("fail-on-regression", "true"),
            ("json-file", "pr2.json"),
            ("summary", "false"),
        ],
    );
    // Passes unless a scan-to-scan difference (timing evidence is statistical) added a finding.
    if r.code != 0 {
        assert_eq!(r.code, 1, "{}", r.log);
        assert!(r.log.contains("new finding"), "{}", r.log);
    } else {
        assert_eq!(
            r.outputs.get("regression").map(String::as_str),
            Some("false")
        );
    }
    assert_eq!(r.outputs.get("grade").map(String::as_str), Some("F"));

    // An unreachable target: exit 2 and an error annotation, no report.
    drop(d);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let r = run_action(
        &a,
        w,
        &[
            ("url", &format!("http://127.0.0.1:{port}")),
            ("keyhole-bin", bin),
            ("json-file", "gone.json"),
        ],
    );
    assert_eq!(r.code, 2, "{}", r.log);
    assert!(r.log.contains("::error"), "{}", r.log);
}
