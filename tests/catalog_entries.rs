//! The product catalog's entries as data: every file matches catalog/schema.json, parses into
//! a checked entry, carries recorded answers its markers recognise (and no other entry's
//! markers do), keeps the blind probes few, and never holds a common default password.

use std::path::{Path, PathBuf};

use keyhole::catalog::recognise::{sample_answer, sample_headers};
use keyhole::catalog::{parse_entry, weigh, Catalog, MAX_BLIND};

fn files() -> Vec<PathBuf> {
    fn walk(d: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "toml") {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("catalog"),
        &mut out,
    );
    out.sort();
    out
}

/// Passwords products ship with or people keep: never in the catalog.
pub const COMMON_DEFAULTS: &[&str] = &[
    "admin",
    "password",
    "changeme",
    "root",
    "toor",
    "123456",
    "12345678",
    "guest",
    "tomcat",
    "s3cret",
    "manager",
    "administrator",
    "letmein",
    "default",
    "secret",
    "pass",
    "admin123",
    "Password1",
    "welcome",
    "zabbix",
    "prom-operator",
    "raspberry",
    "ubnt",
    "jenkins",
];

#[test]
fn every_entry_matches_the_schema() {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("catalog/schema.json"))
            .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let mut bad = Vec::new();
    for f in files() {
        let v: toml::Value = toml::from_str(&std::fs::read_to_string(&f).unwrap()).unwrap();
        let j = serde_json::to_value(v).unwrap();
        for e in validator.iter_errors(&j) {
            bad.push(format!("{}: {}: {e}", f.display(), e.instance_path));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn every_entry_parses_and_the_catalog_is_broad() {
    let mut n = 0;
    for f in files() {
        let text = std::fs::read_to_string(&f).unwrap();
        let stem = f.file_stem().unwrap().to_str().unwrap();
        parse_entry(&f.display().to_string(), stem, &text).unwrap();
        n += 1;
    }
    let c = Catalog::builtin().unwrap();
    assert_eq!(c.products.len(), n, "the binary embeds every file");
    let families: std::collections::BTreeSet<&str> =
        c.products.iter().map(|p| p.family.as_str()).collect();
    assert!(families.len() >= 10, "{families:?}");
}

#[test]
fn every_sample_is_recognised_by_its_own_entry_and_no_other() {
    let c = Catalog::builtin().unwrap();
    let mut bad = Vec::new();
    for (i, p) in c.products.iter().enumerate() {
        if p.samples.is_empty() {
            bad.push(format!("{}: no recorded answer", p.file));
        }
        for s in &p.samples {
            let h = sample_headers(s);
            let a = sample_answer(s, &h);
            let seen = weigh(&c.products, std::slice::from_ref(&a));
            if !seen.iter().any(|x| x.product == i && x.recognised()) {
                bad.push(format!(
                    "{}: its sample of {} is not recognised",
                    p.file, s.path
                ));
            }
            for x in seen.iter().filter(|x| x.product != i && x.recognised()) {
                bad.push(format!(
                    "{}: its sample of {} is also taken for {} ({:?})",
                    p.file, s.path, c.products[x.product].id, x.signs
                ));
            }
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn blind_probes_stay_few() {
    let c = Catalog::builtin().unwrap();
    let mut blind: Vec<String> = c
        .products
        .iter()
        .flat_map(|p| {
            p.probes
                .iter()
                .filter(|x| x.blind)
                .map(move |x| format!("{}{}", p.mounts[0].trim_end_matches('/'), x.path))
        })
        .collect();
    blind.sort();
    blind.dedup();
    assert!(blind.len() <= MAX_BLIND, "{blind:?}");
}

#[test]
fn no_entry_holds_a_default_password() {
    let c = Catalog::builtin().unwrap();
    for p in &c.products {
        for d in &p.doors {
            // `grant_type = "password"` names the OAuth grant, not a password.
            for (k, v) in d
                .extra
                .iter()
                .chain(&d.headers)
                .filter(|(k, _)| k != "grant_type")
            {
                assert!(
                    !COMMON_DEFAULTS.iter().any(|x| x.eq_ignore_ascii_case(v)),
                    "{}: {k} = {v:?} looks like a default password",
                    p.file
                );
            }
        }
    }
}
