//! Every CI report format on a real scan of the built-in demo API: SARIF validated against the
//! SARIF 2.1.0 schema, JUnit parsed as XML, Markdown and HTML carrying grade and ids; `--output`
//! holding the same bytes as stdout; the `--fail-under` gate; `keyhole render`; `keyhole.toml`;
//! shell completions and the man page.

mod ci_support;

use std::collections::BTreeSet;

use ci_support::*;
use serde_json::Value;

fn catalog_ids() -> BTreeSet<String> {
    keyhole::checks::registry()
        .iter()
        .map(|c| c.id().to_string())
        .collect()
}

fn sarif_validator() -> jsonschema::Validator {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/sarif-schema-2.1.0.json"
    );
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    jsonschema::Validator::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the SARIF schema compiles")
}

fn assert_valid_sarif(v: &Value) {
    let validator = sarif_validator();
    // The validator is not vacuous: a broken copy fails it.
    let mut broken = v.clone();
    broken["runs"][0]["tool"]["driver"]["rules"] = serde_json::json!([{"id": 7}]);
    assert!(validator.iter_errors(&broken).next().is_some());
    let errors: Vec<String> = validator
        .iter_errors(v)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(errors.is_empty(), "SARIF schema errors: {errors:#?}");
    // What GitHub code scanning adds to the schema: a location per result, and artifact URIs it
    // can take as relative to the checkout (an http: URI is rejected at upload).
    for r in v["runs"][0]["results"].as_array().unwrap() {
        let locs = r["locations"].as_array().expect("locations");
        assert!(!locs.is_empty());
        let uri = locs[0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap();
        assert!(!uri.is_empty() && !uri.contains("://"), "{uri}");
    }
}

#[test]
fn sarif_validates_against_the_schema_and_rule_ids_are_finding_ids() {
    let dir = tempfile::tempdir().unwrap();
    let out = scan_format(false, dir.path(), "sarif");
    let v: Value = serde_json::from_str(&out).expect("SARIF is JSON");
    assert_valid_sarif(&v);
    assert_eq!(v["version"], "2.1.0");
    let run = &v["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let rule_ids: BTreeSet<String> = rules
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(rule_ids, catalog_ids(), "one rule per catalog id");
    for r in rules {
        assert!(!r["shortDescription"]["text"].as_str().unwrap().is_empty());
        assert!(!r["fullDescription"]["text"].as_str().unwrap().is_empty());
        assert!(r["help"]["text"].as_str().unwrap().contains("Remediation"));
        assert!(["error", "warning", "note"]
            .contains(&r["defaultConfiguration"]["level"].as_str().unwrap()));
        assert!(r["properties"]["security-severity"].is_string());
    }
    let results = run["results"].as_array().unwrap();
    let result_ids: BTreeSet<String> = results
        .iter()
        .map(|r| r["ruleId"].as_str().unwrap().to_string())
        .collect();
    assert_vulnerable_ids(&result_ids);
    for r in results {
        let idx = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[idx]["id"], r["ruleId"]);
        let at = r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]
            .as_str()
            .unwrap();
        assert!(
            [
                "/api/v1/auth/login",
                "/api/auth/forgot-password",
                "/api/auth/register"
            ]
            .iter()
            .any(|p| at.ends_with(p)),
            "{at}"
        );
        assert!(r["webRequest"]["method"].is_string());
        assert!(r["partialFingerprints"].is_object());
    }
    assert_eq!(run["properties"]["grade"], "F");
    assert_eq!(run["properties"]["score"], vulnerable_score(&result_ids));

    // A clean report is valid too, with no results.
    let out = scan_format(true, dir.path(), "sarif");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_valid_sarif(&v);
    assert!(v["runs"][0]["results"].as_array().unwrap().is_empty());
    assert_eq!(v["runs"][0]["properties"]["grade"], "A");
}

struct Junit {
    tests: usize,
    failures: usize,
    skipped: usize,
    failed: BTreeSet<String>,
    skipped_names: BTreeSet<String>,
}

fn parse_junit(xml: &str) -> Junit {
    let doc = roxmltree::Document::parse(xml).expect("JUnit is well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let attr = |n: roxmltree::Node, a: &str| -> usize { n.attribute(a).unwrap().parse().unwrap() };
    let mut j = Junit {
        tests: attr(root, "tests"),
        failures: attr(root, "failures"),
        skipped: attr(root, "skipped"),
        failed: BTreeSet::new(),
        skipped_names: BTreeSet::new(),
    };
    let (mut cases, mut fails, mut skips) = (0, 0, 0);
    for suite in root.children().filter(|n| n.has_tag_name("testsuite")) {
        let (mut sc, mut sf, mut ss) = (0, 0, 0);
        for case in suite.children().filter(|n| n.has_tag_name("testcase")) {
            sc += 1;
            let name = case.attribute("name").unwrap().to_string();
            assert!(case.attribute("classname").is_some());
            if case.children().any(|n| n.has_tag_name("failure")) {
                sf += 1;
                j.failed.insert(name.clone());
            }
            if case.children().any(|n| n.has_tag_name("skipped")) {
                ss += 1;
                j.skipped_names.insert(name);
            }
        }
        assert_eq!(attr(suite, "tests"), sc);
        assert_eq!(attr(suite, "failures"), sf);
        assert_eq!(attr(suite, "skipped"), ss);
        cases += sc;
        fails += sf;
        skips += ss;
    }
    assert_eq!((j.tests, j.failures, j.skipped), (cases, fails, skips));
    j
}

#[test]
fn junit_has_a_failure_per_finding_and_skips_for_incomplete_checks() {
    let dir = tempfile::tempdir().unwrap();
    let j = parse_junit(&scan_format(false, dir.path(), "junit"));
    assert_eq!(
        j.tests,
        catalog_ids().len(),
        "one case per (check, endpoint)"
    );
    assert_eq!(j.failures, j.failed.len());
    assert_vulnerable_ids(&j.failed);

    // A real scan cut short by --max-requests, with its sign-in surface found but checks left
    // undecided: those are skipped test cases. The cap that does this depends on how the
    // scanner spends its budget, so try a few.
    let report = dir.path().join("short.json");
    let mut found = None;
    for cap in ["40", "60", "80", "100", "120", "150"] {
        let o = scan_demo(
            false,
            dir.path(),
            &[
                "--max-requests",
                cap,
                "--format",
                "json",
                "--output",
                report.to_str().unwrap(),
            ],
        );
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let v: Value = serde_json::from_slice(&o.stdout).unwrap();
        let incomplete: BTreeSet<String> = v["incomplete"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["check"].as_str().unwrap().to_string())
            .collect();
        if !v["endpoints"].as_array().unwrap().is_empty() && !incomplete.is_empty() {
            found = Some((v, incomplete));
            break;
        }
    }
    let (v, incomplete) = found.expect("some request cap finds the surface and cuts checks short");
    let o = keyhole_in(
        dir.path(),
        &["render", report.to_str().unwrap(), "--format", "junit"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let j = parse_junit(&stdout(&o));
    assert_eq!(j.skipped_names, incomplete);
    assert_eq!(j.failures, v["findings"].as_array().unwrap().len());
}

#[test]
fn markdown_and_html_carry_the_grade_and_ids() {
    let dir = tempfile::tempdir().unwrap();
    let md = scan_format(false, dir.path(), "markdown");
    assert!(md.starts_with("## "), "{md}");
    assert!(md.contains("grade F ("), "{md}");
    // rate-limit.missing (high) on the sign-in, rate-limit.reset-missing (medium) on the reset.
    assert!(md.contains("| rate-limiting | 65 | D | yes |"), "{md}");
    for id in ALWAYS_IDS {
        assert!(md.contains(&format!("`{id}`")), "{id} in {md}");
    }
    assert!(md.contains("**Remediation**"));

    let html = scan_format(false, dir.path(), "html");
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("data-grade=\"F\""));
    assert!(html.contains("/100</div>"));
    for id in ALWAYS_IDS {
        assert!(html.contains(&format!("data-id=\"{id}\"")), "{id}");
    }
    assert!(html.contains("<details class=\"evidence\">"));
    for section in ["categories", "findings", "observations", "not-tested"] {
        assert!(
            html.contains(&format!("<section id=\"{section}\">")),
            "{section}"
        );
    }
    // Self-contained: nothing is loaded from anywhere.
    for external in ["src=", "<link", "@import", "url("] {
        assert!(!html.contains(external), "{external}");
    }

    let md = scan_format(true, dir.path(), "markdown");
    assert!(md.contains("grade A (100/100)"), "{md}");
    assert!(
        md.contains("### Observations"),
        "the throttle is observed: {md}"
    );
}

#[test]
fn json_and_pretty_output_match_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let v = scan_json(false, dir.path());
    assert_eq!(v["schema_version"], 1);
    assert!(
        v.get("baseline").is_none(),
        "no baseline key without --baseline"
    );
    let pretty = scan_format(false, dir.path(), "pretty");
    assert!(pretty.contains("rate-limit.missing"));
}

#[test]
fn fail_under_gates_the_build() {
    let dir = tempfile::tempdir().unwrap();
    let o = scan_demo(
        false,
        dir.path(),
        &["--fail-under", "B", "--format", "json"],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("--fail-under"));
    serde_json::from_slice::<Value>(&o.stdout).expect("the report is still written");
    let o = scan_demo(true, dir.path(), &["--fail-under", "B"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = scan_demo(true, dir.path(), &["--fail-under", "95"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));

    let out = dir.path().join("r.sarif");
    let o = scan_demo(
        false,
        dir.path(),
        &[
            "--fail-under",
            "101",
            "--format",
            "sarif",
            "--output",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty());
    assert_eq!(stderr(&o).trim().lines().count(), 1, "{}", stderr(&o));
    assert!(!out.exists());
}

#[test]
fn render_rerenders_a_saved_report_and_rejects_junk() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("r.json");
    let json = scan_format(false, dir.path(), "json");
    std::fs::write(&report, &json).unwrap();
    let r = report.to_str().unwrap();
    // JSON round-trips byte for byte.
    let o = keyhole_in(dir.path(), &["render", r, "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o) == json,
        "re-rendered JSON differs from the scan's"
    );
    let o = keyhole_in(
        dir.path(),
        &["render", r, "--format", "sarif", "--fail-under", "C"],
    );
    assert_eq!(o.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_valid_sarif(&v);

    let junk = dir.path().join("junk.json");
    std::fs::write(&junk, "{\"not\": \"a report\"}").unwrap();
    let out = dir.path().join("out.html");
    let o = keyhole_in(
        dir.path(),
        &[
            "render",
            junk.to_str().unwrap(),
            "--format",
            "html",
            "--output",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty());
    assert_eq!(stderr(&o).trim().lines().count(), 1, "{}", stderr(&o));
    assert!(!out.exists());
}

#[test]
fn config_file_sets_defaults_and_flags_win() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("keyhole.toml"),
        "format = \"markdown\"\nmax-requests = 200\n",
    )
    .unwrap();
    let o = scan_demo(false, dir.path(), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).starts_with("## "), "markdown from keyhole.toml");
    let o = scan_demo(false, dir.path(), &["--format", "junit"]);
    assert!(stdout(&o).starts_with("<?xml"), "the flag wins");
}

#[test]
fn completions_and_man_page_are_generated() {
    let dir = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let o = keyhole_in(dir.path(), &["completions", shell]);
        assert_eq!(o.status.code(), Some(0), "{shell}: {}", stderr(&o));
        let s = stdout(&o);
        assert!(s.contains("keyhole"), "{shell}");
        assert!(
            s.contains("fail-on-regression"),
            "{shell} completes scan options"
        );
    }
    let o = keyhole_in(dir.path(), &["completions", "tcsh"]);
    assert_eq!(o.status.code(), Some(2));

    let o = keyhole_in(dir.path(), &["man"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let man = stdout(&o);
    assert!(man.contains(".TH keyhole 1"));
    assert!(man.contains(".SH \"KEYHOLE SCAN\""));
    assert!(man.contains("fail\\-on\\-regression"));
    assert!(man.contains("Exit codes"));
}

#[test]
fn an_api_without_sign_in_is_reported_as_not_tested_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let url = no_signin_server();
    let json = dir.path().join("none.json");
    let o = keyhole_in(
        dir.path(),
        &[
            "scan",
            &url,
            "--quiet",
            "--format",
            "json",
            "--output",
            json.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v["endpoints"].as_array().unwrap().is_empty(), "{v:#}");
    let render = |format: &str| {
        let o = keyhole_in(
            dir.path(),
            &["render", json.to_str().unwrap(), "--format", format],
        );
        assert_eq!(o.status.code(), Some(0), "{format}: {}", stderr(&o));
        stdout(&o)
    };
    let j = parse_junit(&render("junit"));
    assert_eq!(j.failures, 0);
    assert_eq!(
        j.skipped,
        catalog_ids().len(),
        "every check skipped, none passed"
    );
    assert_eq!(j.skipped_names, catalog_ids());
    let sarif: Value = serde_json::from_str(&render("sarif")).unwrap();
    assert_valid_sarif(&sarif);
    assert!(sarif["runs"][0]["results"].as_array().unwrap().is_empty());
    assert!(
        !sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert!(render("markdown").contains("this is not a pass"));
    let html = render("html");
    assert!(html.contains("No sign-in surface was found"));
    assert!(html.contains("not a pass"));
}
