//! The validated scan configuration. Command-line flags (and an optional `keyhole.toml`) are parsed
//! once into [`ScanConfig`]; nothing past that point sees clap types.
//! Precedence: defaults < config file < flags.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use url::Url;

use crate::report::score::grade_rank;

/// Report formats (SPEC `--format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Pretty,
    Json,
    Sarif,
    Junit,
    Markdown,
    Html,
}

impl Format {
    pub fn parse(s: &str) -> Result<Format, ConfigError> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "pretty" => Format::Pretty,
            "json" => Format::Json,
            "sarif" => Format::Sarif,
            "junit" => Format::Junit,
            "markdown" | "md" => Format::Markdown,
            "html" => Format::Html,
            _ => return Err(ConfigError::Format(s.to_string())),
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Pretty => "pretty",
            Format::Json => "json",
            Format::Sarif => "sarif",
            Format::Junit => "junit",
            Format::Markdown => "markdown",
            Format::Html => "html",
        }
    }
}

/// `--fail-under`: a grade letter or a score.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailUnder {
    /// Fail when the grade is worse than this one (rank 0 = A … 4 = F).
    Grade(u8),
    /// Fail when the score is below this one.
    Score(u32),
}

impl FailUnder {
    pub fn parse(s: &str) -> Result<FailUnder, ConfigError> {
        let t = s.trim();
        if let Some(rank) = grade_rank(t) {
            return Ok(FailUnder::Grade(rank));
        }
        match t.parse::<u32>() {
            Ok(n) if n <= 100 => Ok(FailUnder::Score(n)),
            _ => Err(ConfigError::FailUnder(s.to_string())),
        }
    }

    /// Whether a report with this score and grade fails the gate.
    pub fn fails(self, score: u32, grade: &str) -> bool {
        match self {
            FailUnder::Score(min) => score < min,
            FailUnder::Grade(rank) => grade_rank(grade).is_none_or(|g| g > rank),
        }
    }
}

/// How much goes to stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verbosity {
    Quiet,
    Normal,
    Verbose,
}

/// Everything a scan needs, validated.
#[derive(Debug, Clone)]
pub struct ScanConfig {
    pub target: Url,
    pub format: Format,
    pub output: Option<PathBuf>,
    pub fail_under: Option<FailUnder>,
    pub endpoints: Vec<String>,
    pub username: Option<String>,
    /// The password of `username` (from `--password-env`), for the lockout test.
    pub password: Option<Secret>,
    /// Account flows not to probe (`--skip`).
    pub skip: Skips,
    pub max_requests: u32,
    /// Most requests in flight to the target at once (1..=8).
    pub concurrency: usize,
    pub timeout: Duration,
    pub deadline: Duration,
    pub baseline: Option<PathBuf>,
    pub fail_on_regression: bool,
    pub insecure: bool,
    /// (v3) HTTP/2 from the first byte on cleartext (h2c); TLS chooses by ALPN anyway.
    pub http2_prior_knowledge: bool,
    /// (v3) Attempts sent together are released together (single-packet / last-byte), so
    /// that timing compares answers that crossed the network at the same moment.
    pub sync: bool,
    pub verbosity: Verbosity,
    /// Colours in the pretty report (a TTY and no NO_COLOR).
    pub color: bool,
    /// Failed sign-ins that earlier scans of this target sent to guessed accounts within the
    /// lockout memory, by account (filled from the history store; empty without one).
    pub prior_attempts: std::collections::BTreeMap<String, u32>,
    /// The latest stored scan of this target within the lockout memory (filled from the history
    /// store): a limiter may still hold what that scan left in it.
    pub previous_scan: Option<PreviousScan>,
    /// The product catalog: the built-in entries, plus `--catalog DIR`'s.
    pub catalog: std::sync::Arc<crate::catalog::Catalog>,
}

/// A recent stored scan of the same target.
#[derive(Debug, Clone, PartialEq)]
pub struct PreviousScan {
    pub id: String,
    pub started_at: String,
    /// Minutes from its end to the start of this scan.
    pub ended_minutes_ago: f64,
}

impl PreviousScan {
    /// "scan 0193a1b2c3d4e5f6, which ended 4 minutes ago"
    pub fn describe(&self) -> String {
        let m = self.ended_minutes_ago.max(0.0);
        let ago = if m < 1.0 {
            "less than a minute ago".to_string()
        } else {
            format!(
                "{:.0} minute{} ago",
                m,
                if m.round() == 1.0 { "" } else { "s" }
            )
        };
        format!("scan {}, which ended {ago}", self.id)
    }
}

/// The tester's real password: never printed, not even by `{:?}`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: String) -> Secret {
        Secret(s)
    }

    /// The password itself, for the one place that sends it (a sign-in of the owned account).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// The flows `--skip` leaves alone.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Skips {
    pub reset: bool,
    pub register: bool,
    pub lockout: bool,
}

impl Skips {
    fn parse(names: &[String]) -> Result<Skips, ConfigError> {
        let mut s = Skips::default();
        for n in names {
            match n.trim().to_ascii_lowercase().as_str() {
                "reset" | "password-reset" => s.reset = true,
                "register" | "registration" | "signup" => s.register = true,
                "lockout" => s.lockout = true,
                _ => return Err(ConfigError::Skip(n.clone())),
            }
        }
        Ok(s)
    }
}

pub const DEFAULT_MAX_REQUESTS: u32 = 250;
/// Requests in flight to one origin by default, and the most allowed: a scan must never look like
/// a load test.
pub const DEFAULT_CONCURRENCY: usize = 8;
pub const MAX_CONCURRENCY: usize = 8;
pub const DEFAULT_TIMEOUT_SECS: f64 = 10.0;
pub const DEFAULT_DEADLINE_SECS: f64 = 120.0;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ConfigError {
    #[error("'{0}' is not a URL keyhole can scan: {1}")]
    Url(String, String),
    #[error("unknown format '{0}': use pretty, json, sarif, junit, markdown or html")]
    Format(String),
    #[error("--fail-under takes a grade A–F or a score 0–100, not '{0}'")]
    FailUnder(String),
    #[error("{0} must be {1}, not {2}")]
    Range(&'static str, &'static str, String),
    #[error("--endpoint '{0}' must be a path on the target (like /api/login) or a URL on the same origin")]
    Endpoint(String),
    #[error("--username must not be empty")]
    EmptyUsername,
    #[error("--skip takes reset, register or lockout, not '{0}'")]
    Skip(String),
    #[error("--password-env needs --username NAME (the account whose password it holds)")]
    PasswordNeedsUsername,
    #[error("--password-env {0}: the environment variable is not set or empty; export it with the password of --username (never put the password itself on the command line)")]
    PasswordEnv(String),
    #[error("--password-env takes the NAME of an environment variable, not '{0}'")]
    PasswordEnvName(String),
    #[error("--fail-on-regression needs --baseline FILE (an earlier JSON report)")]
    RegressionNeedsBaseline,
    #[error("{0}")]
    Catalog(crate::catalog::CatalogError),
    #[error("cannot read config file {0}: {1}")]
    FileRead(String, String),
    #[error("config file {0} is not valid: {1}")]
    FileParse(String, String),
    #[error("--output {0}: {1}")]
    Output(String, String),
}

/// Option values as given, before defaults; both the flags and the config file produce one, and
/// [`Overrides::over`] layers them.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Overrides {
    pub format: Option<String>,
    pub output: Option<PathBuf>,
    pub fail_under: Option<toml::Value>,
    #[serde(default, alias = "endpoints")]
    pub endpoint: Vec<String>,
    pub username: Option<String>,
    pub password_env: Option<String>,
    #[serde(default)]
    pub skip: Vec<String>,
    pub max_requests: Option<i64>,
    pub concurrency: Option<i64>,
    pub timeout: Option<f64>,
    pub deadline: Option<f64>,
    pub baseline: Option<PathBuf>,
    pub fail_on_regression: Option<bool>,
    pub insecure: Option<bool>,
    /// (v3) Speak HTTP/2 with prior knowledge on http:// targets.
    pub http2_prior_knowledge: Option<bool>,
    /// (v3) Send attempts one by one as they come, never held back to be released together.
    pub no_sync: Option<bool>,
    /// (v3) A folder of the user's own product entries, beside the built-in catalog.
    pub catalog: Option<PathBuf>,
    /// (v3) `[mcp]`: settings of `keyhole mcp`; scans ignore it.
    pub mcp: Option<McpSection>,
}

/// `[mcp]` in keyhole.toml.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct McpSection {
    /// Hosts `keyhole mcp` may scan besides loopback (as `--allow`).
    #[serde(default)]
    pub allow: Vec<String>,
}

impl Overrides {
    /// `self` (higher precedence) over `lower`.
    pub fn over(self, lower: Overrides) -> Overrides {
        Overrides {
            format: self.format.or(lower.format),
            output: self.output.or(lower.output),
            fail_under: self.fail_under.or(lower.fail_under),
            endpoint: if self.endpoint.is_empty() {
                lower.endpoint
            } else {
                self.endpoint
            },
            username: self.username.or(lower.username),
            password_env: self.password_env.or(lower.password_env),
            skip: if self.skip.is_empty() {
                lower.skip
            } else {
                self.skip
            },
            max_requests: self.max_requests.or(lower.max_requests),
            concurrency: self.concurrency.or(lower.concurrency),
            timeout: self.timeout.or(lower.timeout),
            deadline: self.deadline.or(lower.deadline),
            baseline: self.baseline.or(lower.baseline),
            fail_on_regression: self.fail_on_regression.or(lower.fail_on_regression),
            insecure: self.insecure.or(lower.insecure),
            http2_prior_knowledge: self.http2_prior_knowledge.or(lower.http2_prior_knowledge),
            no_sync: self.no_sync.or(lower.no_sync),
            catalog: self.catalog.or(lower.catalog),
            mcp: self.mcp.or(lower.mcp),
        }
    }

    /// Read a TOML config file. Keys are the long option names (`max-requests` or `max_requests`).
    pub fn from_file(path: &Path) -> Result<Overrides, ConfigError> {
        let shown = path.display().to_string();
        let bytes = read_capped(path, CONFIG_FILE_CAP)
            .map_err(|e| ConfigError::FileRead(shown.clone(), e.to_string()))?;
        let text = String::from_utf8(bytes)
            .map_err(|_| ConfigError::FileRead(shown.clone(), "it is not UTF-8 text".into()))?;
        let normalised = normalise_keys(&text);
        toml::from_str(&normalised).map_err(|e| {
            let msg = e.message().replace('\n', " ").trim().to_string();
            // Say where: the line (normalising keeps lines one to one) and its text.
            let at = e.span().and_then(|span| {
                let start = span.start.min(normalised.len());
                let n = normalised.as_bytes()[..start]
                    .iter()
                    .filter(|&&b| b == b'\n')
                    .count();
                let line = text.lines().nth(n)?.trim();
                let line = crate::http::cut(line, 60);
                Some(format!("line {}: {line}: ", n + 1))
            });
            ConfigError::FileParse(shown, format!("{}{msg}", at.unwrap_or_default()))
        })
    }
}

/// Largest config file read (a keyhole.toml is a few lines).
pub const CONFIG_FILE_CAP: u64 = 1 << 20;

/// Read a file the user named, refusing more than `cap` bytes: a device such as /dev/zero, or a
/// wrong file of gigabytes, must end in a clear error, not fill the memory.
pub fn read_capped(path: &Path, cap: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let file = std::fs::File::open(path)?;
    let mut bytes = Vec::new();
    file.take(cap + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > cap {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "it is larger than {} KiB, which is not what this file should be",
                cap >> 10
            ),
        ));
    }
    Ok(bytes)
}

/// Accept `snake_case` keys as well as `kebab-case` at the top level of the file.
fn normalise_keys(text: &str) -> String {
    text.lines()
        .map(|line| {
            let trimmed = line.trim_start();
            match trimmed.split_once('=') {
                Some((key, rest)) if !trimmed.starts_with('#') && !trimmed.starts_with('[') => {
                    format!("{} ={}", key.trim().replace('_', "-"), rest)
                }
                _ => line.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Parse and check the target URL: http or https, a host, no credentials.
pub fn parse_target(raw: &str) -> Result<Url, ConfigError> {
    let bad = |why: &str| ConfigError::Url(raw.to_string(), why.to_string());
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(bad(
            "it is empty; give a base URL like http://127.0.0.1:5000",
        ));
    }
    let url = Url::parse(trimmed).map_err(|e| match e {
        url::ParseError::RelativeUrlWithoutBase => {
            bad("it has no scheme; write it as http://HOST[:PORT] or https://HOST[:PORT]")
        }
        url::ParseError::InvalidPort => bad("the port must be a number from 1 to 65535"),
        url::ParseError::EmptyHost => bad("it has no host; write it as http://HOST[:PORT]"),
        other => bad(&format!("{other}; write it as http://HOST[:PORT]")),
    })?;
    match url.scheme() {
        "http" | "https" => {}
        other => {
            return Err(bad(&format!(
                "scheme '{other}' is not supported; use http:// or https://"
            )))
        }
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("it has no host; write it as http://HOST[:PORT]"));
    }
    // WHATWG parsing is lenient with special schemes: `http:///login` becomes host "login" and
    // `http:host` host "host". Scan only what was written as scheme://HOST.
    let after_scheme = trimmed.split_once(':').map_or("", |(_, rest)| rest);
    match after_scheme.strip_prefix("//") {
        None => {
            return Err(bad(
                "it lacks '//' after the scheme; write it as http://HOST[:PORT]",
            ))
        }
        Some(rest) if rest.is_empty() || rest.starts_with(['/', '\\', '?', '#']) => {
            return Err(bad("it has no host; write it as http://HOST[:PORT]"))
        }
        Some(_) => {}
    }
    if url.port() == Some(0) {
        return Err(bad("the port must be a number from 1 to 65535"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad(
            "it carries credentials (user:pass@); keyhole needs none — remove them",
        ));
    }
    let mut url = url;
    url.set_fragment(None);
    url.set_query(None);
    Ok(url)
}

/// How a target is named in reports and in the history store: its URL without a trailing '/'.
pub fn target_label(url: &Url) -> String {
    url.to_string().trim_end_matches('/').to_string()
}

impl ScanConfig {
    /// Build the validated config from the target and the layered option values.
    pub fn build(
        target: &str,
        o: Overrides,
        verbosity: Verbosity,
        color: bool,
    ) -> Result<ScanConfig, ConfigError> {
        let target = parse_target(target)?;
        let format = match &o.format {
            Some(f) => Format::parse(f)?,
            None => Format::Pretty,
        };
        let fail_under = match &o.fail_under {
            None => None,
            Some(toml::Value::String(s)) => Some(FailUnder::parse(s)?),
            Some(toml::Value::Integer(n)) => Some(FailUnder::parse(&n.to_string())?),
            Some(other) => return Err(ConfigError::FailUnder(other.to_string())),
        };
        let max_requests = match o.max_requests {
            None => DEFAULT_MAX_REQUESTS,
            Some(n) if (1..=100_000).contains(&n) => n as u32,
            Some(n) => {
                return Err(ConfigError::Range(
                    "--max-requests",
                    "a whole number from 1 to 100000",
                    n.to_string(),
                ))
            }
        };
        let concurrency = match o.concurrency {
            None => DEFAULT_CONCURRENCY,
            Some(n) if (1..=MAX_CONCURRENCY as i64).contains(&n) => n as usize,
            Some(n) => {
                return Err(ConfigError::Range(
                    "--concurrency",
                    "a whole number from 1 to 8",
                    n.to_string(),
                ))
            }
        };
        let secs = |name: &'static str, v: Option<f64>, default: f64, max: f64| {
            let v = v.unwrap_or(default);
            if v.is_finite() && v > 0.0 && v <= max {
                Ok(Duration::from_secs_f64(v))
            } else {
                Err(ConfigError::Range(
                    name,
                    if max > 3600.0 {
                        "seconds above 0 and at most 86400"
                    } else {
                        "seconds above 0 and at most 600"
                    },
                    v.to_string(),
                ))
            }
        };
        let timeout = secs("--timeout", o.timeout, DEFAULT_TIMEOUT_SECS, 600.0)?;
        let deadline = secs("--deadline", o.deadline, DEFAULT_DEADLINE_SECS, 86_400.0)?;
        for e in &o.endpoint {
            check_endpoint(&target, e)?;
        }
        if let Some(u) = &o.username {
            if u.trim().is_empty() {
                return Err(ConfigError::EmptyUsername);
            }
        }
        let skip = Skips::parse(&o.skip)?;
        let password = match &o.password_env {
            None => None,
            Some(var) => {
                if var.is_empty() || !var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    return Err(ConfigError::PasswordEnvName(var.chars().take(40).collect()));
                }
                if o.username.is_none() {
                    return Err(ConfigError::PasswordNeedsUsername);
                }
                match std::env::var(var) {
                    Ok(p) if !p.is_empty() => Some(Secret::new(p)),
                    _ => return Err(ConfigError::PasswordEnv(var.clone())),
                }
            }
        };
        let fail_on_regression = o.fail_on_regression.unwrap_or(false);
        if fail_on_regression && o.baseline.is_none() {
            return Err(ConfigError::RegressionNeedsBaseline);
        }
        if let Some(out) = &o.output {
            check_output(out)?;
        }
        let catalog = match &o.catalog {
            None => crate::catalog::Catalog::builtin(),
            Some(dir) => crate::catalog::Catalog::with_folder(dir),
        }
        .map_err(ConfigError::Catalog)?;
        Ok(ScanConfig {
            catalog,
            target,
            format,
            output: o.output,
            fail_under,
            endpoints: o.endpoint,
            username: o.username,
            password,
            skip,
            max_requests,
            concurrency,
            timeout,
            deadline,
            baseline: o.baseline,
            fail_on_regression,
            insecure: o.insecure.unwrap_or(false),
            http2_prior_knowledge: o.http2_prior_knowledge.unwrap_or(false),
            sync: !o.no_sync.unwrap_or(false),
            verbosity,
            color,
            prior_attempts: Default::default(),
            previous_scan: None,
        })
    }
}

fn check_endpoint(target: &Url, e: &str) -> Result<(), ConfigError> {
    let bad = || ConfigError::Endpoint(e.to_string());
    if e.trim().is_empty() {
        return Err(bad());
    }
    let url = target.join(e.trim()).map_err(|_| bad())?;
    if url.origin() != target.origin() {
        return Err(bad());
    }
    Ok(())
}

fn check_output(out: &Path) -> Result<(), ConfigError> {
    let shown = out.display().to_string();
    if out.as_os_str().is_empty() || out.is_dir() {
        return Err(ConfigError::Output(shown, "is a folder, not a file".into()));
    }
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if parent.exists() && !parent.is_dir() {
        return Err(ConfigError::Output(
            shown,
            format!("{} is a file, not a folder", parent.display()),
        ));
    }
    if !parent.is_dir() {
        return Err(ConfigError::Output(
            shown,
            format!(
                "folder {} does not exist; create it first",
                parent.display()
            ),
        ));
    }
    // Find out now, not after a scan of minutes, whether the report can be written there: create
    // and remove a probe file (permissions, read-only mounts and pseudo file systems like /proc
    // all show up here).
    let probe = parent.join(format!(".keyhole-write-check-{}", std::process::id()));
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
    {
        Ok(f) => {
            drop(f);
            let _ = std::fs::remove_file(&probe);
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => {
            return Err(ConfigError::Output(
                shown,
                format!(
                    "cannot write into folder {} ({}); choose a writable folder",
                    parent.display(),
                    io_reason(&e)
                ),
            ))
        }
    }
    Ok(())
}

/// An I/O error without the "(os error N)" suffix.
fn io_reason(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(target: &str, o: Overrides) -> Result<ScanConfig, ConfigError> {
        ScanConfig::build(target, o, Verbosity::Normal, false)
    }

    #[test]
    fn defaults_follow_the_spec() {
        let c = build("http://127.0.0.1:5000", Overrides::default()).unwrap();
        assert_eq!(c.max_requests, 250);
        assert_eq!(c.timeout, Duration::from_secs(10));
        assert_eq!(c.deadline, Duration::from_secs(120));
        assert_eq!(c.format, Format::Pretty);
        assert!(!c.insecure);
    }

    #[test]
    fn rejects_bad_targets_with_a_reason() {
        for (raw, needle) in [
            ("ftp://127.0.0.1/", "scheme 'ftp'"),
            ("127.0.0.1:5000", "scheme"),
            ("http://", "host"),
            ("http://127.0.0.1:70000", "port"),
            ("http://u:p@127.0.0.1/", "credentials"),
            ("http:///login", "no host"),
            ("https:////127.0.0.1/", "no host"),
            ("http:127.0.0.1:5000", "'//'"),
            ("http:\\\\127.0.0.1\\", "'//'"),
            ("", "empty"),
        ] {
            let err = build(raw, Overrides::default()).unwrap_err().to_string();
            assert!(err.contains(needle), "{raw}: {err}");
            assert!(!err.contains('\n'));
        }
        assert!(build("http://[::1]:8080", Overrides::default()).is_ok());
    }

    #[test]
    fn fail_under_grades_and_scores() {
        let b = FailUnder::parse("B").unwrap();
        assert!(b.fails(75, "C"));
        assert!(!b.fails(85, "B"));
        assert!(!b.fails(95, "A"));
        let s = FailUnder::parse("80").unwrap();
        assert!(s.fails(79, "C"));
        assert!(!s.fails(80, "B"));
        assert!(FailUnder::parse("101").is_err());
        assert!(FailUnder::parse("G").is_err());
    }

    #[test]
    fn flags_override_file_override_defaults() {
        let file = Overrides {
            max_requests: Some(100),
            timeout: Some(3.0),
            format: Some("json".into()),
            ..Default::default()
        };
        let flags = Overrides {
            max_requests: Some(50),
            ..Default::default()
        };
        let c = build("http://127.0.0.1:1", flags.over(file)).unwrap();
        assert_eq!(c.max_requests, 50);
        assert_eq!(c.timeout, Duration::from_secs(3));
        assert_eq!(c.format, Format::Json);
    }

    #[test]
    fn concurrency_is_one_to_eight_default_eight() {
        let c = build("http://127.0.0.1:1", Overrides::default()).unwrap();
        assert_eq!(c.concurrency, 8);
        for (n, ok) in [(1, true), (8, true), (0, false), (9, false), (-2, false)] {
            let o = Overrides {
                concurrency: Some(n),
                ..Default::default()
            };
            let r = build("http://127.0.0.1:1", o);
            assert_eq!(r.is_ok(), ok, "{n}");
            if let Err(e) = r {
                assert!(e
                    .to_string()
                    .contains("--concurrency must be a whole number from 1 to 8"));
            }
        }
    }

    #[test]
    fn out_of_range_values_are_errors() {
        let o = Overrides {
            max_requests: Some(0),
            ..Default::default()
        };
        assert!(build("http://127.0.0.1:1", o).is_err());
        let o = Overrides {
            timeout: Some(-1.0),
            ..Default::default()
        };
        assert!(build("http://127.0.0.1:1", o).is_err());
        let o = Overrides {
            endpoint: vec!["http://other.example/login".into()],
            ..Default::default()
        };
        assert!(build("http://127.0.0.1:1", o).is_err());
        let o = Overrides {
            fail_on_regression: Some(true),
            ..Default::default()
        };
        assert_eq!(
            build("http://127.0.0.1:1", o).unwrap_err(),
            ConfigError::RegressionNeedsBaseline
        );
        let o = Overrides {
            output: Some(PathBuf::from("/nonexistent-dir-keyhole/x.json")),
            ..Default::default()
        };
        assert!(build("http://127.0.0.1:1", o).is_err());
        // A folder nobody can create files in (even root): caught before the scan.
        let o = Overrides {
            output: Some(PathBuf::from("/proc/keyhole-report.json")),
            ..Default::default()
        };
        let err = build("http://127.0.0.1:1", o).unwrap_err().to_string();
        assert!(err.contains("cannot write into folder /proc"), "{err}");
        let dir = tempfile::tempdir().unwrap();
        let o = Overrides {
            output: Some(dir.path().join("r.json")),
            ..Default::default()
        };
        assert!(build("http://127.0.0.1:1", o).is_ok());
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            0,
            "no probe file left"
        );
    }

    #[test]
    fn reads_a_toml_file_with_either_key_style() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("keyhole.toml");
        std::fs::write(
            &p,
            "max_requests = 80\nfail-under = \"B\"\nendpoint = [\"/login\"]\n",
        )
        .unwrap();
        let o = Overrides::from_file(&p).unwrap();
        assert_eq!(o.max_requests, Some(80));
        assert_eq!(o.endpoint, vec!["/login".to_string()]);
        std::fs::write(&p, "bogus = 1\n").unwrap();
        assert!(Overrides::from_file(&p).is_err());
        std::fs::write(&p, "# defaults\nformat = \"json\"\ntimeout = \"soon\"\n").unwrap();
        let err = Overrides::from_file(&p).unwrap_err().to_string();
        assert!(err.contains("line 3: timeout = \"soon\": "), "{err}");
        assert!(!err.contains('\n'));
        // Endless or huge inputs end in an error, not in memory exhaustion.
        let err = Overrides::from_file(Path::new("/dev/zero")).unwrap_err();
        assert!(err.to_string().contains("larger than 1024 KiB"), "{err}");
        std::fs::write(&p, [0xff, 0xfe, b'a']).unwrap();
        assert!(Overrides::from_file(&p)
            .unwrap_err()
            .to_string()
            .contains("UTF-8"));
    }
}
