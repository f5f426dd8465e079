//! One catalog entry as written (`catalog/<family>/<id>.toml`, described by
//! `catalog/schema.json`), and its checked, compiled form.

use std::collections::BTreeMap;

use regex::Regex;
use serde::Deserialize;

use crate::report::{Flow, Framework, SurfaceKind};

/// The finding ids an entry may give remediation for.
pub const FINDING_IDS: &[&str] = &[
    "rate-limit.missing",
    "rate-limit.spraying-unthrottled",
    "rate-limit.ip-header-bypass",
    "rate-limit.no-retry-after",
    "rate-limit.reset-missing",
    "rate-limit.batched-attempts",
    "auth.user-enumeration.response",
    "auth.user-enumeration.timing",
    "auth.user-enumeration.reset",
    "auth.user-enumeration.registration",
    "auth.verbose-error",
    "auth.debug-exposure",
    "auth.lockout-denial",
];

/// The families products are grouped in (docs/catalog.md's sections).
pub const FAMILIES: &[&str] = &[
    "cms",
    "wiki",
    "forum",
    "chat",
    "code-hosting",
    "ci",
    "admin-console",
    "database-console",
    "app-server",
    "message-broker",
    "monitoring",
    "logging",
    "notebook",
    "ml",
    "identity",
    "file-sync",
    "e-commerce",
    "home-automation",
    "network-device",
    "project-management",
    "media",
    "other",
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEntry {
    pub id: String,
    pub name: String,
    pub family: String,
    pub framework: Option<String>,
    pub docs: String,
    pub sources: Vec<String>,
    #[serde(default)]
    pub mounts: Vec<String>,
    #[serde(default)]
    pub accounts: Vec<String>,
    /// GraphQL endpoints under the mount (`/graphql/system`), asked before the well-known ones.
    #[serde(default)]
    pub graphql: Vec<String>,
    pub marker: Vec<RawMarker>,
    #[serde(default)]
    pub probe: Vec<RawProbe>,
    #[serde(default)]
    pub door: Vec<RawDoor>,
    pub remediation: BTreeMap<String, String>,
    #[serde(default)]
    pub sample: Vec<Sample>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMarker {
    #[serde(rename = "where")]
    pub place: String,
    pub contains: Option<String>,
    pub regex: Option<String>,
    pub path: Option<String>,
    pub weight: Option<u8>,
    pub version: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawProbe {
    pub path: String,
    #[serde(default)]
    pub blind: bool,
    pub marker: Vec<RawMarker>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDoor {
    pub flow: String,
    pub method: String,
    pub path: String,
    pub kind: String,
    pub username_field: Option<String>,
    pub password_field: Option<String>,
    pub identifier: Option<String>,
    #[serde(default)]
    pub extra: BTreeMap<String, String>,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    pub page: Option<String>,
    pub rejection: Option<Rejection>,
    pub csrf: Option<RawCsrf>,
}

/// Where a door's CSRF token comes from when no form field carries it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCsrf {
    pub pattern: Option<String>,
    pub cookie: Option<String>,
    pub field: Option<String>,
    pub header: Option<String>,
}

/// How a failed attempt usually answers: a prior only.
pub type Rejection = crate::surface::Prior;

/// A recorded answer the entry's markers must recognise.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sample {
    pub path: String,
    pub status: u16,
    pub url: Option<String>,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    #[serde(default)]
    pub body: String,
    pub origin: String,
}

/// Where a marker looks in an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    Body,
    Title,
    Cookie,
    Url,
    Status,
    Header(String),
}

#[derive(Debug, Clone)]
pub enum Test {
    /// Lower-cased; matched case-insensitively.
    Contains(String),
    Regex(Regex),
}

/// A sign of the product in an answer.
#[derive(Debug, Clone)]
pub struct Marker {
    pub place: Place,
    pub test: Test,
    /// Only on the answer for this path (under the mount).
    pub path: Option<String>,
    pub weight: u32,
    pub version: Option<Regex>,
}

/// One request more that recognises the product.
#[derive(Debug, Clone)]
pub struct Probe {
    pub path: String,
    pub blind: bool,
    pub markers: Vec<Marker>,
}

/// A sign-in, reset or registration door.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Door {
    pub flow: Flow,
    pub method: String,
    /// Under the mount, without its leading '/'.
    pub path: String,
    pub kind: SurfaceKind,
    pub username_field: String,
    pub password_field: String,
    pub email: bool,
    pub phone: bool,
    pub extra: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub page: Option<String>,
    pub rejection: Option<Rejection>,
    pub csrf: Option<crate::surface::Csrf>,
}

/// A checked catalog entry.
#[derive(Debug, Clone)]
pub struct Product {
    pub id: String,
    pub name: String,
    pub family: String,
    pub framework: Option<Framework>,
    pub docs: String,
    pub sources: Vec<String>,
    /// Normalised to "/" or "/sub/path/", most specific first.
    pub mounts: Vec<String>,
    /// Account names the product creates by default (never a password): first among the
    /// enumeration checks' candidates.
    pub accounts: Vec<String>,
    /// GraphQL endpoints under the mount, without the leading "/" (`graphql/system`).
    pub graphql: Vec<String>,
    pub markers: Vec<Marker>,
    pub probes: Vec<Probe>,
    pub doors: Vec<Door>,
    pub remediation: BTreeMap<String, String>,
    pub samples: Vec<Sample>,
    /// Where the entry came from ("cms/wordpress.toml", or a user's file path).
    pub file: String,
    /// Built into keyhole (its blind probes count against [`crate::catalog::MAX_BLIND`]; a
    /// user's own are theirs to spend).
    pub builtin: bool,
}

/// A problem with an entry: which field, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub field: String,
    pub message: String,
}

fn problem(field: impl Into<String>, message: impl Into<String>) -> Problem {
    Problem {
        field: field.into(),
        message: message.into(),
    }
}

fn check_path(field: &str, p: &str) -> Result<(), Problem> {
    if !p.starts_with('/') || p.chars().any(char::is_whitespace) {
        return Err(problem(
            field,
            format!("{p:?} must be a path starting with '/' and without spaces"),
        ));
    }
    Ok(())
}

fn compile(field: &str, pattern: &str) -> Result<Regex, Problem> {
    regex::RegexBuilder::new(pattern)
        .size_limit(1 << 20)
        .build()
        .map_err(|e| {
            let first = e.to_string();
            let first = first.lines().last().unwrap_or("").trim().to_string();
            problem(field, format!("{pattern:?} is not a valid regex: {first}"))
        })
}

fn marker(field: &str, m: RawMarker) -> Result<Marker, Problem> {
    let place = match m.place.as_str() {
        "body" => Place::Body,
        "title" => Place::Title,
        "cookie" => Place::Cookie,
        "url" => Place::Url,
        "status" => Place::Status,
        other => match other.strip_prefix("header:") {
            Some(h) if !h.is_empty() => Place::Header(h.to_ascii_lowercase()),
            _ => {
                return Err(problem(
                    format!("{field}.where"),
                    format!(
                        "{other:?} is not one of body, title, cookie, url, status, header:NAME"
                    ),
                ))
            }
        },
    };
    let test = match (m.contains, m.regex) {
        (Some(c), None) if !c.is_empty() => Test::Contains(c.to_lowercase()),
        (None, Some(r)) => Test::Regex(compile(&format!("{field}.regex"), &r)?),
        _ => {
            return Err(problem(
                field,
                "give exactly one of `contains` (non-empty) or `regex`",
            ))
        }
    };
    if let Some(p) = &m.path {
        check_path(&format!("{field}.path"), p)?;
    }
    let weight = match m.weight.unwrap_or(1) {
        w @ 1..=2 => w as u32,
        w => {
            return Err(problem(
                format!("{field}.weight"),
                format!("{w} is not 1 or 2"),
            ))
        }
    };
    let version = match m.version {
        Some(v) => {
            let re = compile(&format!("{field}.version"), &v)?;
            if re.captures_len() < 2 {
                return Err(problem(
                    format!("{field}.version"),
                    "the regex needs a group that captures the version",
                ));
            }
            Some(re)
        }
        None => None,
    };
    Ok(Marker {
        place,
        test,
        path: m.path,
        weight,
        version,
    })
}

fn door(field: &str, d: RawDoor) -> Result<Door, Problem> {
    let flow = match d.flow.as_str() {
        "sign-in" => Flow::SignIn,
        "password-reset" => Flow::PasswordReset,
        "registration" => Flow::Registration,
        other => {
            return Err(problem(
                format!("{field}.flow"),
                format!("{other:?} is not sign-in, password-reset or registration"),
            ))
        }
    };
    let method = d.method.to_ascii_uppercase();
    if !["GET", "POST", "PUT", "PATCH"].contains(&method.as_str()) {
        return Err(problem(
            format!("{field}.method"),
            format!("{:?} is not GET, POST, PUT or PATCH", d.method),
        ));
    }
    check_path(&format!("{field}.path"), &d.path)?;
    let kind = match d.kind.as_str() {
        "json" => SurfaceKind::Json,
        "form" => SurfaceKind::Form,
        "html-form" => SurfaceKind::HtmlForm,
        "oauth2-password" => SurfaceKind::OAuth2Password,
        "basic" => SurfaceKind::Basic,
        "digest" => SurfaceKind::Digest,
        other => {
            return Err(problem(
                format!("{field}.kind"),
                format!("{other:?} is not json, form, html-form, oauth2-password, basic or digest"),
            ))
        }
    };
    let challenge = matches!(kind, SurfaceKind::Basic | SurfaceKind::Digest);
    if challenge && flow != Flow::SignIn {
        return Err(problem(
            format!("{field}.kind"),
            "basic and digest doors are sign-ins only",
        ));
    }
    let username_field = match d.username_field {
        Some(u) if !u.trim().is_empty() => u,
        _ if challenge => String::new(),
        _ => {
            return Err(problem(
                format!("{field}.username_field"),
                "required: where the account identifier goes",
            ))
        }
    };
    let password_field = match (flow, d.password_field) {
        (Flow::PasswordReset, Some(_)) => {
            return Err(problem(
                format!("{field}.password_field"),
                "a password-reset door takes no password",
            ))
        }
        (_, Some(p)) if !p.trim().is_empty() => p,
        (Flow::SignIn, _) if !challenge => {
            return Err(problem(
                format!("{field}.password_field"),
                "required for a sign-in door",
            ))
        }
        _ => String::new(),
    };
    for k in d.extra.keys() {
        let low = k.to_ascii_lowercase();
        if low.contains("pass") || low.contains("pwd") || low.contains("secret_key") {
            return Err(problem(
                format!("{field}.extra.{k}"),
                "the catalog never holds a password",
            ));
        }
    }
    let (email, phone) = match d.identifier.as_deref() {
        None | Some("username") => (false, false),
        Some("email") => (true, false),
        Some("phone") => (false, true),
        Some(other) => {
            return Err(problem(
                format!("{field}.identifier"),
                format!("{other:?} is not username, email or phone"),
            ))
        }
    };
    if let Some(p) = &d.page {
        check_path(&format!("{field}.page"), p)?;
    }
    let csrf = match d.csrf {
        None => None,
        Some(c) => {
            let at = format!("{field}.csrf");
            if d.page.is_none() {
                return Err(problem(
                    &at,
                    "needs the door's `page`, where the token is read",
                ));
            }
            if c.pattern.is_some() == c.cookie.is_some() {
                return Err(problem(&at, "give exactly one of `pattern` or `cookie`"));
            }
            if c.field.is_none() && c.header.is_none() {
                return Err(problem(
                    &at,
                    "give `field` or `header`: where the token goes",
                ));
            }
            if let Some(p) = &c.pattern {
                let re = compile(&format!("{at}.pattern"), p)?;
                if re.captures_len() < 2 {
                    return Err(problem(
                        format!("{at}.pattern"),
                        "the regex needs a group that captures the token",
                    ));
                }
            }
            Some(crate::surface::Csrf {
                pattern: c.pattern,
                cookie: c.cookie,
                field: c.field,
                header: c.header.map(|h| h.to_ascii_lowercase()),
            })
        }
    };
    Ok(Door {
        csrf,
        flow,
        method,
        path: d.path.trim_start_matches('/').to_string(),
        kind,
        username_field,
        password_field,
        email,
        phone,
        extra: d.extra.into_iter().collect(),
        headers: d
            .headers
            .into_iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v))
            .collect(),
        page: d.page.map(|p| p.trim_start_matches('/').to_string()),
        rejection: d.rejection,
    })
}

fn normalise_mount(m: &str) -> String {
    let inner = m.trim_matches('/');
    if inner.is_empty() {
        "/".into()
    } else {
        format!("/{inner}/")
    }
}

impl RawEntry {
    /// Check the entry and compile its markers; `stem` is the file's name without `.toml`.
    pub fn check(self, stem: &str, file: &str) -> Result<Product, Problem> {
        let id_ok = self.id.len() >= 2
            && self.id.len() <= 41
            && self
                .id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !self.id.starts_with('-');
        if !id_ok {
            return Err(problem(
                "id",
                format!("{:?} must be a lower-case slug (a-z, 0-9, '-')", self.id),
            ));
        }
        if self.id != stem {
            return Err(problem(
                "id",
                format!("{:?} must match the file name ({stem}.toml)", self.id),
            ));
        }
        if self.name.trim().len() < 2 {
            return Err(problem("name", "required: the product's own name"));
        }
        if !FAMILIES.contains(&self.family.as_str()) {
            return Err(problem(
                "family",
                format!("{:?} is not one of {}", self.family, FAMILIES.join(", ")),
            ));
        }
        let framework = match self.framework.as_deref() {
            None => None,
            Some(f) => Some(Framework::parse(f).ok_or_else(|| {
                problem(
                    "framework",
                    format!("{f:?} is not a framework keyhole knows"),
                )
            })?),
        };
        if !self.docs.starts_with("https://") {
            return Err(problem(
                "docs",
                "must be an https:// link to the product's documentation",
            ));
        }
        if self.sources.is_empty() || self.sources.iter().any(|s| s.trim().len() < 8) {
            return Err(problem(
                "sources",
                "cite where every fact comes from (at least one)",
            ));
        }
        let mut mounts: Vec<String> = self.mounts.iter().map(|m| normalise_mount(m)).collect();
        for (i, m) in self.mounts.iter().enumerate() {
            check_path(&format!("mounts[{i}]"), m)?;
        }
        if mounts.is_empty() {
            mounts.push("/".into());
        }
        if let Some(a) = self
            .accounts
            .iter()
            .find(|a| a.trim().is_empty() || a.len() > 64 || a.chars().any(char::is_whitespace))
        {
            return Err(problem("accounts", format!("{a:?} is not an account name")));
        }
        for (i, g) in self.graphql.iter().enumerate() {
            check_path(&format!("graphql[{i}]"), g)?;
        }
        if self.marker.is_empty() {
            return Err(problem(
                "marker",
                "at least one marker recognises the product",
            ));
        }
        let markers = self
            .marker
            .into_iter()
            .enumerate()
            .map(|(i, m)| marker(&format!("marker[{i}]"), m))
            .collect::<Result<Vec<_>, _>>()?;
        if self.probe.len() > 2 {
            return Err(problem("probe", "at most 2 probes"));
        }
        let mut probes = Vec::new();
        for (i, p) in self.probe.into_iter().enumerate() {
            check_path(&format!("probe[{i}].path"), &p.path)?;
            if p.marker.is_empty() {
                return Err(problem(format!("probe[{i}].marker"), "at least one marker"));
            }
            let ms = p
                .marker
                .into_iter()
                .enumerate()
                .map(|(j, m)| marker(&format!("probe[{i}].marker[{j}]"), m))
                .collect::<Result<Vec<_>, _>>()?;
            probes.push(Probe {
                path: p.path,
                blind: p.blind,
                markers: ms,
            });
        }
        if self.door.is_empty() && self.graphql.is_empty() {
            return Err(problem("door", "at least one door (or a graphql endpoint)"));
        }
        let doors = self
            .door
            .into_iter()
            .enumerate()
            .map(|(i, d)| door(&format!("door[{i}]"), d))
            .collect::<Result<Vec<_>, _>>()?;
        if !doors.iter().any(|d| d.flow == Flow::SignIn) && self.graphql.is_empty() {
            return Err(problem("door", "at least one sign-in door"));
        }
        for (k, v) in &self.remediation {
            if !FINDING_IDS.contains(&k.as_str()) {
                return Err(problem(
                    format!("remediation.{k}"),
                    "not a finding id (see the SPEC's finding catalog)",
                ));
            }
            if v.trim().len() < 40 {
                return Err(problem(
                    format!("remediation.{k}"),
                    "say what to change, in the product's own terms (40 characters at least)",
                ));
            }
        }
        if !self.remediation.contains_key("rate-limit.missing") {
            return Err(problem(
                "remediation.rate-limit.missing",
                "required: how this product throttles failed sign-ins",
            ));
        }
        for (i, s) in self.sample.iter().enumerate() {
            check_path(&format!("sample[{i}].path"), &s.path)?;
            if s.origin.trim().len() < 8 {
                return Err(problem(
                    format!("sample[{i}].origin"),
                    "say where it was recorded",
                ));
            }
        }
        Ok(Product {
            id: self.id,
            name: self.name,
            family: self.family,
            framework,
            docs: self.docs,
            sources: self.sources,
            mounts,
            accounts: self.accounts,
            graphql: self
                .graphql
                .iter()
                .map(|g| g.trim_start_matches('/').to_string())
                .collect(),
            markers,
            probes,
            doors,
            remediation: self.remediation,
            samples: self.sample,
            file: file.to_string(),
            builtin: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(extra_door: &str) -> String {
        format!(
            r#"
id = "demo"
name = "Demo"
family = "other"
docs = "https://example.invalid/docs"
sources = ["docs: https://example.invalid/docs/login"]
[[marker]]
where = "title"
contains = "Demo Console"
weight = 2
[[door]]
flow = "sign-in"
method = "POST"
path = "/api/login"
kind = "json"
username_field = "user.name"
password_field = "user.password"
{extra_door}
[remediation]
"rate-limit.missing" = "Set demo.login.max_failures in demo.conf to a small number per client."
"#
        )
    }

    fn parse(text: &str) -> Result<Product, Problem> {
        let raw: RawEntry = toml::from_str(text).map_err(|e| problem("toml", e.message()))?;
        raw.check("demo", "demo.toml")
    }

    #[test]
    fn a_good_entry_compiles() {
        let p = parse(&entry("")).unwrap();
        assert_eq!(p.mounts, vec!["/"]);
        assert_eq!(p.doors[0].path, "api/login");
        assert_eq!(p.doors[0].kind, SurfaceKind::Json);
        assert!(matches!(p.markers[0].test, Test::Contains(ref c) if c == "demo console"));
    }

    #[test]
    fn a_password_in_extra_is_refused() {
        let e = parse(&entry(r#"extra = { "user.passwd" = "admin" }"#)).unwrap_err();
        assert_eq!(e.field, "door[0].extra.user.passwd");
    }

    #[test]
    fn a_reset_door_with_a_password_is_refused() {
        let text = entry("").replace("flow = \"sign-in\"", "flow = \"password-reset\"");
        assert_eq!(parse(&text).unwrap_err().field, "door[0].password_field");
    }

    #[test]
    fn unknown_fields_are_named() {
        let e = parse(&entry("colour = \"red\"")).unwrap_err();
        assert!(e.message.contains("colour"), "{e:?}");
    }

    #[test]
    fn a_bad_regex_names_its_marker() {
        let text = entry("").replace("contains = \"Demo Console\"", "regex = \"(unclosed\"");
        assert_eq!(parse(&text).unwrap_err().field, "marker[0].regex");
    }

    #[test]
    fn mounts_are_normalised() {
        assert_eq!(normalise_mount("phpmyadmin"), "/phpmyadmin/");
        assert_eq!(normalise_mount("/"), "/");
        assert_eq!(normalise_mount("/a/b"), "/a/b/");
    }
}
