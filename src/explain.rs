//! `keyhole explain ID` and the MCP `explain` tool: one finding id, what it means, why it
//! matters and how to fix it, for a framework or a catalog product when one is named. Read from
//! the check registry and the product catalog; nothing here touches the network.

use serde::Serialize;

use crate::catalog::Catalog;
use crate::report::Framework;

/// One finding id, explained.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Explanation {
    pub id: String,
    pub title: String,
    pub category: String,
    pub severity: String,
    /// The endpoints it concerns: sign-in, password-reset or registration.
    pub flow: String,
    /// What keyhole reports it for, and how it tests.
    pub means: String,
    /// What an attacker gains.
    pub matters: String,
    /// Who the fix is written for: "Flask", "WordPress (wordpress)", or "any framework".
    pub fix_for: String,
    pub fix: String,
}

/// Why an explanation cannot be given (one line; the message lists what is known).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExplainError {
    #[error("'{0}' is not a keyhole finding id; the ids are: {1}")]
    UnknownId(String, String),
    #[error("'{0}' is not a framework keyhole knows; give one of: {1}")]
    UnknownFramework(String, String),
    #[error("'{0}' is not in the product catalog (e.g. {1}; docs/catalog.md lists them all)")]
    UnknownProduct(String, String),
}

/// Every finding id, in catalog order.
pub fn ids() -> Vec<&'static str> {
    crate::checks::registry().iter().map(|c| c.id()).collect()
}

/// Explain finding `id`, with the remediation for `framework` or catalog `product` when given.
pub fn explain(
    catalog: &Catalog,
    id: &str,
    framework: Option<&str>,
    product: Option<&str>,
) -> Result<Explanation, ExplainError> {
    let wanted = id.trim();
    let registry = crate::checks::registry();
    let check = registry
        .iter()
        .find(|c| c.id().eq_ignore_ascii_case(wanted))
        .ok_or_else(|| ExplainError::UnknownId(wanted.to_string(), ids().join(", ")))?;
    let framework = match framework.map(|f| f.trim().to_ascii_lowercase()) {
        None => None,
        Some(f) if f.is_empty() => None,
        Some(f) => Some(Framework::parse(&f).ok_or_else(|| {
            let known: Vec<&str> = Framework::ALL
                .iter()
                .filter(|f| **f != Framework::Unknown)
                .map(|f| f.as_str())
                .collect();
            ExplainError::UnknownFramework(f.clone(), known.join(", "))
        })?),
    };
    let product = match product.map(|p| p.trim().to_ascii_lowercase()) {
        None => None,
        Some(p) if p.is_empty() => None,
        Some(p) => Some(catalog.get(&p).ok_or_else(|| {
            let some: Vec<&str> = catalog
                .products
                .iter()
                .take(8)
                .map(|p| p.id.as_str())
                .collect();
            ExplainError::UnknownProduct(p.clone(), some.join(", "))
        })?),
    };
    // A product's own framework stands in when none is named (WordPress is PHP).
    let framework = framework
        .or_else(|| product.and_then(|p| p.framework))
        .unwrap_or(Framework::Unknown);
    let fix = catalog.remediation_for(product.map(|p| p.id.as_str()), check.id(), framework);
    let fix_for = match (product, framework) {
        (Some(p), _) => format!("{} ({})", p.name, p.id),
        (None, Framework::Unknown) => "any framework".to_string(),
        (None, f) => f.display_name().to_string(),
    };
    Ok(Explanation {
        id: check.id().to_string(),
        title: check.title().to_string(),
        category: check.category().as_str().to_string(),
        severity: check.severity().as_str().to_string(),
        flow: check.flow().as_str().to_string(),
        means: check.description().to_string(),
        matters: check.impact().to_string(),
        fix_for,
        fix,
    })
}

/// The explanation as Markdown (the CLI's output and the MCP tool's text).
pub fn markdown(e: &Explanation) -> String {
    format!(
        "# {id}: {title}\n\n{severity} severity, {category}, on {flow} endpoints.\n\n\
         ## What it means\n\n{means}\n\n## Why it matters\n\n{matters}\n\n\
         ## How to fix it ({fix_for})\n\n{fix}\n",
        id = e.id,
        title = e.title,
        severity = e.severity,
        category = e.category,
        flow = e.flow,
        means = e.means,
        matters = e.matters,
        fix_for = e.fix_for,
        fix = e.fix.trim_end(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> std::sync::Arc<Catalog> {
        Catalog::builtin().unwrap()
    }

    #[test]
    fn every_finding_id_has_all_three_parts() {
        let c = catalog();
        for id in ids() {
            let e = explain(&c, id, None, None).unwrap();
            assert_eq!(e.id, id);
            for part in [&e.title, &e.means, &e.matters, &e.fix] {
                assert!(part.len() > 20, "{id}: '{part}'");
            }
            assert_eq!(e.fix_for, "any framework");
        }
    }

    #[test]
    fn a_framework_changes_the_fix_and_an_unknown_one_is_refused() {
        let c = catalog();
        let any = explain(&c, "rate-limit.missing", None, None).unwrap();
        let flask = explain(&c, "rate-limit.missing", Some("Flask"), None).unwrap();
        assert_eq!(flask.fix_for, "Flask");
        assert_ne!(flask.fix, any.fix);
        let e = explain(&c, "rate-limit.missing", Some("cobol"), None).unwrap_err();
        assert!(e.to_string().contains("django"), "{e}");
        assert!(!e.to_string().contains("unknown"), "{e}");
    }

    #[test]
    fn a_product_gives_its_own_remediation() {
        let c = catalog();
        // Any product of the catalog with its own text for some finding.
        let (product, id) = c
            .products
            .iter()
            .find_map(|p| {
                p.remediation
                    .keys()
                    .next()
                    .map(|k| (p.id.clone(), k.clone()))
            })
            .expect("the catalog has product remediation");
        let e = explain(&c, &id, None, Some(&product)).unwrap();
        assert!(
            e.fix_for.ends_with(&format!("({product})")),
            "{}",
            e.fix_for
        );
        assert!(e.fix.contains(c.get(&product).unwrap().docs.as_str()));
        let bad = explain(&c, &id, None, Some("no-such-product")).unwrap_err();
        assert!(matches!(bad, ExplainError::UnknownProduct(..)), "{bad}");
    }

    #[test]
    fn unknown_ids_list_the_known_ones() {
        let e = explain(&catalog(), "rate-limit.mising", None, None).unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("rate-limit.missing") && msg.contains("auth.verbose-error"));
        assert!(!msg.contains('\n'));
    }

    #[test]
    fn markdown_has_the_three_sections() {
        let e = explain(&catalog(), "auth.verbose-error", Some("django"), None).unwrap();
        let md = markdown(&e);
        for h in [
            "## What it means",
            "## Why it matters",
            "## How to fix it (Django)",
        ] {
            assert!(md.contains(h), "{md}");
        }
    }
}
