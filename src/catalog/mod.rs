//! The product catalog: what keyhole knows about widely deployed products, as data. One TOML
//! file per product under `catalog/<family>/<id>.toml` (described by `catalog/schema.json`),
//! embedded in the binary; `--catalog DIR` adds a user's own entries (an entry with a built-in
//! id replaces it). An entry says how to recognise the product from answers discovery already
//! has (or one probe more), where its sign-in, reset and registration doors are, and how to fix
//! each finding in the product's own terms. It never holds a password.
//!
//! The discovery source that uses it is `discover::sources::catalog`; remediation reads
//! [`Catalog::remediation`].

pub mod entry;
pub mod recognise;

use std::path::Path;
use std::sync::{Arc, OnceLock};

pub use entry::{Door, Product};
pub use recognise::{weigh, Answer, Sighting};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/catalog_files.rs"));
}

/// Most blind probes (asked on every scan, without a hint) the built-in catalog may hold.
pub const MAX_BLIND: usize = 8;
/// Most entries read from a user's folder.
const MAX_USER_ENTRIES: usize = 2000;
/// Largest entry file read.
const ENTRY_CAP: u64 = 256 * 1024;

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum CatalogError {
    #[error("catalog entry {file}: {field}: {message}")]
    Entry {
        file: String,
        field: String,
        message: String,
    },
    #[error("--catalog {dir}: {message}")]
    Folder { dir: String, message: String },
}

/// The entries keyhole knows.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    pub products: Vec<Product>,
}

/// Parse one entry's text; `name` is its path for messages, `stem` its file name without
/// `.toml` (the entry's id must match it).
pub fn parse_entry(name: &str, stem: &str, text: &str) -> Result<Product, CatalogError> {
    let raw: entry::RawEntry = toml::from_str(text).map_err(|e| {
        let line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].lines().count().max(1));
        let field = match line {
            Some(l) => format!("line {l}"),
            None => "toml".into(),
        };
        CatalogError::Entry {
            file: name.to_string(),
            field,
            message: e.message().trim().replace('\n', " "),
        }
    })?;
    raw.check(stem, name).map_err(|p| CatalogError::Entry {
        file: name.to_string(),
        field: p.field,
        message: p.message,
    })
}

fn stem_of(path: &str) -> &str {
    let file = path.rsplit('/').next().unwrap_or(path);
    file.strip_suffix(".toml").unwrap_or(file)
}

impl Catalog {
    /// The built-in entries (parsed once; a broken one is a build defect the tests catch).
    pub fn builtin() -> Result<Arc<Catalog>, CatalogError> {
        static BUILTIN: OnceLock<Result<Arc<Catalog>, CatalogError>> = OnceLock::new();
        BUILTIN
            .get_or_init(|| {
                let mut products = Vec::new();
                for (path, text) in embedded::FILES {
                    let mut p = parse_entry(path, stem_of(path), text)?;
                    p.builtin = true;
                    products.push(p);
                }
                let c = Catalog { products };
                c.check_unique()?;
                Ok(Arc::new(c))
            })
            .clone()
    }

    /// The built-in entries plus those in `dir` (every `*.toml` below it). A user's entry with
    /// a built-in id replaces the built-in one.
    pub fn with_folder(dir: &Path) -> Result<Arc<Catalog>, CatalogError> {
        let shown = dir.display().to_string();
        let folder = |message: String| CatalogError::Folder {
            dir: shown.clone(),
            message,
        };
        if !dir.is_dir() {
            return Err(folder(
                "is not a folder; give a folder of product entries (*.toml, see catalog/schema.json)".into(),
            ));
        }
        let mut files = Vec::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            let entries = std::fs::read_dir(&d)
                .map_err(|e| folder(format!("cannot read {}: {e}", d.display())))?;
            for e in entries.flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "toml") {
                    files.push(p);
                }
                if files.len() > MAX_USER_ENTRIES {
                    return Err(folder(format!(
                        "holds more than {MAX_USER_ENTRIES} entries; point it at the folder of your own entries"
                    )));
                }
            }
        }
        files.sort();
        if files.is_empty() {
            return Err(folder(
                "holds no *.toml entries; see catalog/schema.json for the format".into(),
            ));
        }
        let mut mine = Vec::new();
        for f in &files {
            let name = f.display().to_string();
            let bytes =
                crate::config::read_capped(f, ENTRY_CAP).map_err(|e| CatalogError::Entry {
                    file: name.clone(),
                    field: "file".into(),
                    message: e.to_string(),
                })?;
            let text = String::from_utf8(bytes).map_err(|_| CatalogError::Entry {
                file: name.clone(),
                field: "file".into(),
                message: "is not UTF-8 text".into(),
            })?;
            let stem = f.file_stem().and_then(|s| s.to_str()).unwrap_or("");
            mine.push(parse_entry(&name, stem, &text)?);
        }
        let own = Catalog { products: mine };
        own.check_unique()?;
        let mut all = (*Catalog::builtin()?).clone();
        all.products
            .retain(|b| !own.products.iter().any(|p| p.id == b.id));
        all.products.extend(own.products);
        Ok(Arc::new(all))
    }

    fn check_unique(&self) -> Result<(), CatalogError> {
        for (i, p) in self.products.iter().enumerate() {
            if let Some(o) = self.products[..i].iter().find(|o| o.id == p.id) {
                return Err(CatalogError::Entry {
                    file: p.file.clone(),
                    field: "id".into(),
                    message: format!("{:?} is also the id of {}", p.id, o.file),
                });
            }
        }
        Ok(())
    }

    pub fn get(&self, id: &str) -> Option<&Product> {
        self.products.iter().find(|p| p.id == id)
    }

    /// Remediation for finding `id` on an endpoint of `product` built with `framework`: the
    /// product's own text when the catalog has one, else the framework's with a pointer to
    /// the product's documentation.
    pub fn remediation_for(
        &self,
        product: Option<&str>,
        id: &str,
        framework: crate::report::Framework,
    ) -> String {
        if let Some(own) = product.and_then(|p| self.remediation(p, id)) {
            return own;
        }
        let general = crate::report::remediation::text(id, framework);
        match product.and_then(|p| self.get(p)) {
            Some(p) => format!("{general}\n\n{}'s own hardening guide: {}", p.name, p.docs),
            None => general,
        }
    }

    /// The product's own remediation for finding `id`, with a link to its documentation.
    pub fn remediation(&self, product: &str, id: &str) -> Option<String> {
        let p = self.get(product)?;
        let text = p.remediation.get(id)?;
        Some(format!(
            "{} ({}): {}\n\nSee {}",
            p.name,
            product,
            text.trim(),
            p.docs
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_catalog_parses() {
        let c = Catalog::builtin().unwrap();
        assert!(!c.products.is_empty());
        assert!(c.get("wordpress").is_some());
    }

    #[test]
    fn a_bad_entry_is_one_line_naming_file_and_field() {
        let e = parse_entry("mine/x.toml", "x", "id = \"x\"\nname = 3\n").unwrap_err();
        let line = e.to_string();
        assert!(!line.contains('\n'), "{line}");
        assert!(
            line.starts_with("catalog entry mine/x.toml: line 2:"),
            "{line}"
        );
        assert!(line.contains("string"), "{line}");
    }

    #[test]
    fn a_missing_folder_is_a_clear_error() {
        let e = Catalog::with_folder(Path::new("/nonexistent/keyhole-catalog")).unwrap_err();
        assert!(e.to_string().contains("is not a folder"), "{e}");
    }

    #[test]
    fn a_users_entry_joins_and_replaces_a_builtin_one() {
        let dir = tempfile::tempdir().unwrap();
        let wp = embedded::FILES
            .iter()
            .find(|(p, _)| p.ends_with("/wordpress.toml"))
            .unwrap()
            .1
            .replace("name = \"WordPress\"", "name = \"WordPress (ours)\"");
        std::fs::write(dir.path().join("wordpress.toml"), wp).unwrap();
        let c = Catalog::with_folder(dir.path()).unwrap();
        assert_eq!(c.get("wordpress").unwrap().name, "WordPress (ours)");
        assert_eq!(c.products.len(), Catalog::builtin().unwrap().products.len());
        std::fs::write(dir.path().join("broken.toml"), "id = \"broken\"\n").unwrap();
        let e = Catalog::with_folder(dir.path()).unwrap_err().to_string();
        assert!(
            e.contains("broken.toml") && e.contains("missing field"),
            "{e}"
        );
    }

    #[test]
    fn product_remediation_names_the_product_and_links_its_docs() {
        let c = Catalog::builtin().unwrap();
        let r = c.remediation("wordpress", "rate-limit.missing").unwrap();
        assert!(r.starts_with("WordPress (wordpress): "), "{r}");
        assert!(r.contains("https://"), "{r}");
        assert!(c.remediation("wordpress", "no.such-id").is_none());
        assert!(c
            .remediation("no-such-product", "rate-limit.missing")
            .is_none());
    }
}
