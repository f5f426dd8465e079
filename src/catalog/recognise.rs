//! Recognising products in answers: every marker of an entry that matches somewhere adds its
//! weight once; 2 recognises the product, 1 is a hint worth one probe. An answer counts for
//! the most specific mount it lies under (`/phpmyadmin/index.php` for the mount
//! `/phpmyadmin/`, not `/`).

use std::collections::{BTreeMap, BTreeSet};

use super::entry::{Marker, Place, Product, Sample, Test};

/// Weight that recognises a product.
pub const RECOGNISED: u32 = 2;

/// One answer, as the markers read it.
pub struct Answer<'a> {
    /// The final path (and query) after redirects, relative to the base URL ("/login").
    pub path: String,
    /// The path that was asked for, when it differs from `path` (a redirected probe).
    pub asked: Option<String>,
    pub status: u16,
    pub headers: &'a [(String, String)],
    pub body: &'a str,
}

/// A product seen in the answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sighting {
    /// Index of the product in the catalog.
    pub product: usize,
    /// Where it is installed under the base URL ("/" or "/phpmyadmin/").
    pub mount: String,
    pub weight: u32,
    pub version: Option<String>,
    /// What was seen, for the report's observation ("title \"Grafana\"").
    pub signs: Vec<String>,
}

impl Sighting {
    pub fn recognised(&self) -> bool {
        self.weight >= RECOGNISED
    }
}

fn without_query(p: &str) -> &str {
    p.split(['?', '#']).next().unwrap_or(p)
}

/// The path of `path` under `mount`, when it lies under it ("/phpmyadmin/x" → "/x").
fn under(mount: &str, path: &str) -> Option<String> {
    if mount == "/" {
        return Some(path.to_string());
    }
    let bare = mount.trim_end_matches('/');
    if path == bare {
        return Some("/".into());
    }
    path.strip_prefix(bare)
        .filter(|rest| rest.starts_with('/'))
        .map(str::to_string)
}

/// The most specific mount of `p` that `path` lies under ("/" when no other), and the path
/// under it.
fn mount_of<'m>(p: &'m Product, path: &str) -> (&'m str, String) {
    p.mounts
        .iter()
        .filter_map(|m| under(m, path).map(|rel| (m.as_str(), rel)))
        .max_by_key(|(m, _)| m.len())
        .unwrap_or(("/", path.to_string()))
}

/// The places a marker reads in an answer.
fn haystacks(place: &Place, a: &Answer<'_>) -> Vec<String> {
    let header = |name: &str| -> Vec<String> {
        a.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
            .collect()
    };
    match place {
        Place::Body => vec![a.body.to_string()],
        Place::Title => vec![crate::analysis::text::title(a.body)],
        Place::Cookie => header("set-cookie"),
        Place::Url => vec![a.path.clone()],
        Place::Status => vec![a.status.to_string()],
        Place::Header(h) => header(h),
    }
}

fn place_name(place: &Place) -> String {
    match place {
        Place::Body => "page".into(),
        Place::Title => "title".into(),
        Place::Cookie => "cookie".into(),
        Place::Url => "address".into(),
        Place::Status => "status".into(),
        Place::Header(h) => format!("header {h}"),
    }
}

/// Whether `m` matches `a` (whose path under the mount is `rel`), with the version it read.
fn matches(
    m: &Marker,
    a: &Answer<'_>,
    rel: &str,
    asked_rel: Option<&str>,
) -> Option<Option<String>> {
    if let Some(p) = &m.path {
        let at = |x: &str| x == p || without_query(x) == without_query(p);
        if !at(rel) && !asked_rel.is_some_and(at) {
            return None;
        }
    }
    for hay in haystacks(&m.place, a) {
        let hit = match &m.test {
            Test::Contains(c) => hay.to_lowercase().contains(c.as_str()),
            Test::Regex(r) => r.is_match(&hay),
        };
        if hit {
            let version = m
                .version
                .as_ref()
                .and_then(|v| v.captures(&hay))
                .and_then(|c| c.get(1))
                .map(|g| g.as_str().to_string());
            return Some(version);
        }
    }
    None
}

fn describe(m: &Marker) -> String {
    let what = match &m.test {
        Test::Contains(c) => format!("{c:?}"),
        Test::Regex(r) => format!("/{}/", crate::http::cut(r.as_str(), 40)),
    };
    format!("{} {what}", place_name(&m.place))
}

/// What one mount of a product gathered: the markers matched (as (probe or 0, index)), their
/// weight, the version read, what was seen.
type Tally = (BTreeSet<(usize, usize)>, u32, Option<String>, Vec<String>);

/// Weigh every product against the answers: one sighting per (product, mount) with any
/// weight, heaviest first.
pub fn weigh(products: &[Product], answers: &[Answer<'_>]) -> Vec<Sighting> {
    let mut out = Vec::new();
    for (pi, p) in products.iter().enumerate() {
        let mut seen: BTreeMap<&str, Tally> = BTreeMap::new();
        for a in answers {
            let (mount, rel) = mount_of(p, &a.path);
            let asked_rel = a.asked.as_deref().and_then(|x| under(mount, x));
            let probe_markers = p.probes.iter().enumerate().filter(|(_, pr)| {
                let at = |x: &str| without_query(x) == without_query(&pr.path);
                at(&rel) || asked_rel.as_deref().is_some_and(at)
            });
            let all = p
                .markers
                .iter()
                .enumerate()
                .map(|(i, m)| ((0, i), m))
                .chain(probe_markers.flat_map(|(j, pr)| {
                    pr.markers
                        .iter()
                        .enumerate()
                        .map(move |(i, m)| ((j + 1, i), m))
                }));
            for (key, m) in all {
                let entry = seen.entry(mount).or_default();
                if entry.0.contains(&key) {
                    continue;
                }
                if let Some(version) = matches(m, a, &rel, asked_rel.as_deref()) {
                    entry.0.insert(key);
                    entry.1 += m.weight;
                    if entry.2.is_none() {
                        entry.2 = version;
                    }
                    entry.3.push(format!("{} at {}", describe(m), a.path));
                }
            }
        }
        for (mount, (_, weight, version, signs)) in seen {
            if weight > 0 {
                out.push(Sighting {
                    product: pi,
                    mount: mount.to_string(),
                    weight,
                    version,
                    signs,
                });
            }
        }
    }
    out.sort_by(|a, b| b.weight.cmp(&a.weight).then(a.product.cmp(&b.product)));
    out
}

/// A recorded sample's headers, lower-cased, for [`sample_answer`].
pub fn sample_headers(s: &Sample) -> Vec<(String, String)> {
    s.headers
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
        .collect()
}

/// A recorded sample as an answer.
pub fn sample_answer<'a>(s: &'a Sample, headers: &'a [(String, String)]) -> Answer<'a> {
    let path = s.url.clone().unwrap_or_else(|| s.path.clone());
    let asked = (path != s.path).then(|| s.path.clone());
    Answer {
        path,
        asked,
        status: s.status,
        headers,
        body: &s.body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::entry::RawEntry;

    fn product(markers: &str, mounts: &str) -> Product {
        let text = format!(
            r#"
id = "demo"
name = "Demo"
family = "other"
docs = "https://example.invalid/docs"
sources = ["docs: https://example.invalid/docs/login"]
{mounts}
{markers}
[[probe]]
path = "/api/health"
[[probe.marker]]
where = "body"
contains = "demo-health"
[[door]]
flow = "sign-in"
method = "POST"
path = "/api/login"
kind = "json"
username_field = "user"
password_field = "pass"
[remediation]
"rate-limit.missing" = "Set demo.login.max_failures in demo.conf to a small number per client."
"#
        );
        toml::from_str::<RawEntry>(&text)
            .unwrap()
            .check("demo", "demo.toml")
            .unwrap()
    }

    fn answer<'a>(path: &str, headers: &'a [(String, String)], body: &'a str) -> Answer<'a> {
        Answer {
            path: path.into(),
            asked: None,
            status: 200,
            headers,
            body,
        }
    }

    const MARKERS: &str = r#"
[[marker]]
where = "title"
contains = "Demo Console"
weight = 2
version = "Demo Console ([0-9.]+)"
[[marker]]
where = "cookie"
contains = "demo_session="
"#;

    #[test]
    fn a_strong_marker_recognises_and_reads_the_version() {
        let p = product(MARKERS, "");
        let s = weigh(
            &[p],
            &[answer(
                "/",
                &[],
                "<html><title>Demo Console 4.2</title></html>",
            )],
        );
        assert_eq!(s.len(), 1);
        assert!(s[0].recognised());
        assert_eq!(s[0].version.as_deref(), Some("4.2"));
        assert_eq!(s[0].mount, "/");
    }

    #[test]
    fn a_weak_marker_only_hints_and_counts_once() {
        let p = product(MARKERS, "");
        let h = vec![(
            "set-cookie".to_string(),
            "demo_session=1; Path=/".to_string(),
        )];
        let s = weigh(&[p], &[answer("/", &h, ""), answer("/login", &h, "")]);
        assert_eq!(s[0].weight, 1);
        assert!(!s[0].recognised());
    }

    #[test]
    fn probe_markers_count_only_on_the_probe_answer() {
        let p = product(MARKERS, "");
        let h = vec![("set-cookie".to_string(), "demo_session=1".to_string())];
        let elsewhere = weigh(
            std::slice::from_ref(&p),
            &[answer("/", &h, ""), answer("/other", &[], "demo-health")],
        );
        assert_eq!(elsewhere[0].weight, 1);
        let there = weigh(
            &[p],
            &[
                answer("/", &h, ""),
                answer("/api/health", &[], "demo-health"),
            ],
        );
        assert!(there[0].recognised());
    }

    #[test]
    fn an_answer_counts_for_its_most_specific_mount() {
        let p = product(MARKERS, r#"mounts = ["/demo/", "/"]"#);
        let s = weigh(
            &[p],
            &[answer(
                "/demo/index.php",
                &[],
                "<title>Demo Console</title>",
            )],
        );
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].mount, "/demo/");
        assert_eq!(under("/demo/", "/demo"), Some("/".into()));
        assert_eq!(under("/demo/", "/demos/x"), None);
    }

    #[test]
    fn nothing_is_seen_on_an_unrelated_page() {
        let p = product(MARKERS, "");
        assert!(weigh(&[p], &[answer("/", &[], "<title>Shop</title>")]).is_empty());
    }
}
