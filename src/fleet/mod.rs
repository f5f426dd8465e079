//! Fleet scans: a targets file (TOML, a `[defaults]` table and `[[target]]` tables with `url` and
//! any scan option) parsed and validated whole before any scan starts, then scanned
//! `--parallel N` at a time ([`run`]) into the history store, with a summary table
//! ([`summary`]).

pub mod run;
pub mod summary;

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::config::{Overrides, ScanConfig, Verbosity};
use crate::store::one_line;

/// Largest targets file read (hundreds of targets are a few tens of KiB).
const TARGETS_FILE_CAP: u64 = 4 << 20;

/// Scan options that belong to the fleet command, not to a target in the file.
const NOT_PER_TARGET: [(&str, &str); 3] = [
    (
        "format",
        "the fleet prints a summary table (--format on the command line); render a stored report with `keyhole history --report ID --format F`",
    ),
    (
        "output",
        "every report goes to the history store; render one with `keyhole history --report ID --output FILE`",
    ),
    (
        "baseline",
        "a target is compared with its previous scan in the store",
    ),
];

/// Why a targets file cannot be used (exit 2, one line, before any scan).
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum FleetError {
    #[error("cannot read targets file {0}: {1}")]
    Read(String, String),
    #[error("targets file {0} is not valid TOML: {1}")]
    Toml(String, String),
    #[error("targets file {0}: {1}")]
    Invalid(String, String),
}

/// One target of the fleet, validated.
#[derive(Debug, Clone)]
pub struct FleetTarget {
    /// 1-based position in the file, for messages.
    pub index: usize,
    /// The target as reports and the store name it (URL without a trailing '/').
    pub label: String,
    /// Scheme, host and port: never two scans of one origin at once.
    pub origin: String,
    /// The option values as layered (defaults < target < command line), for queued scans.
    pub options: Overrides,
    pub cfg: ScanConfig,
    /// Exit 1 when this target regressed against its previous stored scan.
    pub fail_on_regression: bool,
}

/// Option values the fleet command line lays over every target.
#[derive(Debug, Clone, Default)]
pub struct FleetFlags {
    pub fail_under: Option<String>,
    pub fail_on_regression: bool,
}

/// Read and validate a targets file: every target's config is built (and so checked) here.
pub fn load(path: &Path, flags: &FleetFlags) -> Result<Vec<FleetTarget>, FleetError> {
    let shown = path.display().to_string();
    let bytes = crate::config::read_capped(path, TARGETS_FILE_CAP)
        .map_err(|e| FleetError::Read(shown.clone(), e.to_string()))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| FleetError::Read(shown.clone(), "it is not UTF-8 text".into()))?;
    parse(&text, flags).map_err(|e| match e {
        Parse::Toml(m) => FleetError::Toml(shown.clone(), m),
        Parse::Invalid(m) => FleetError::Invalid(shown.clone(), m),
    })
}

enum Parse {
    Toml(String),
    Invalid(String),
}

/// Parse the text of a targets file.
fn parse(text: &str, flags: &FleetFlags) -> Result<Vec<FleetTarget>, Parse> {
    let doc: toml::Table = toml::from_str(text).map_err(|e| {
        let msg = one_line(e.message());
        let line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
        Parse::Toml(match line {
            Some(n) => format!("line {n}: {msg}"),
            None => msg,
        })
    })?;
    for key in doc.keys() {
        if key != "defaults" && key != "target" {
            return Err(Parse::Invalid(format!(
                "unknown key '{key}': the file has a [defaults] table and [[target]] tables"
            )));
        }
    }
    let defaults = match doc.get("defaults") {
        None => toml::Table::new(),
        Some(toml::Value::Table(t)) => t.clone(),
        Some(_) => return Err(Parse::Invalid("[defaults] must be a table".into())),
    };
    let (defaults, default_regression) = options("[defaults]", defaults)?;
    let targets = match doc.get("target") {
        Some(toml::Value::Array(a)) if !a.is_empty() => a,
        Some(toml::Value::Array(_)) | None => {
            return Err(Parse::Invalid(
                "it lists no [[target]] (each one needs url = \"http://HOST:PORT\")".into(),
            ))
        }
        Some(_) => {
            return Err(Parse::Invalid(
                "target must be [[target]] tables, each with url = \"http://HOST:PORT\"".into(),
            ))
        }
    };
    let cli = Overrides {
        fail_under: flags.fail_under.clone().map(toml::Value::String),
        ..Overrides::default()
    };
    let mut out: Vec<FleetTarget> = Vec::new();
    for (i, value) in targets.iter().enumerate() {
        let index = i + 1;
        let toml::Value::Table(table) = value else {
            return Err(Parse::Invalid(format!("target {index} is not a table")));
        };
        let mut table = table.clone();
        let url = match table.remove("url") {
            Some(toml::Value::String(u)) => u,
            Some(_) => {
                return Err(Parse::Invalid(format!(
                    "target {index}: url must be a string"
                )))
            }
            None => {
                return Err(Parse::Invalid(format!(
                    "target {index} has no url (url = \"http://HOST:PORT\")"
                )))
            }
        };
        let here = format!("target {index} ({url})");
        let (own, own_regression) = options(&here, table)?;
        let layered = cli.clone().over(own.over(defaults.clone()));
        let cfg = ScanConfig::build(&url, layered.clone(), Verbosity::Quiet, false)
            .map_err(|e| Parse::Invalid(format!("{here}: {e}")))?;
        let label = crate::config::target_label(&cfg.target);
        if let Some(first) = out.iter().find(|t| t.label == label) {
            return Err(Parse::Invalid(format!(
                "{here} repeats target {}: list each API once (its history is kept by URL)",
                first.index
            )));
        }
        out.push(FleetTarget {
            index,
            origin: cfg.target.origin().ascii_serialization(),
            label,
            options: layered,
            cfg,
            fail_on_regression: flags.fail_on_regression
                || own_regression.or(default_regression).unwrap_or(false),
        });
    }
    Ok(out)
}

/// A table's scan options: kebab- or snake-case keys, unknown keys refused; fail-on-regression is
/// taken out (in a fleet it compares with the store, not with a --baseline file).
fn options(here: &str, table: toml::Table) -> Result<(Overrides, Option<bool>), Parse> {
    let mut normal = toml::Table::new();
    for (k, v) in table {
        let key = k.replace('_', "-");
        if let Some((_, why)) = NOT_PER_TARGET.iter().find(|(n, _)| *n == key) {
            return Err(Parse::Invalid(format!(
                "{here}: '{k}' is not a fleet option: {why}"
            )));
        }
        normal.insert(key, v);
    }
    let regression = match normal.remove("fail-on-regression") {
        None => None,
        Some(toml::Value::Boolean(b)) => Some(b),
        Some(other) => {
            return Err(Parse::Invalid(format!(
                "{here}: fail-on-regression must be true or false, not {other}"
            )))
        }
    };
    let o = Overrides::deserialize(toml::Value::Table(normal))
        .map_err(|e| Parse::Invalid(format!("{here}: {}", one_line(e.message()))))?;
    Ok((o, regression))
}

/// A scan as it travels through the queue: the target and its layered options, so that a worker
/// on another machine builds the same config.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScanJob {
    /// Unique per queued scan: the store keeps one report per key, however often it runs.
    pub key: String,
    pub url: String,
    pub options: Overrides,
}

impl ScanJob {
    pub fn config(&self) -> Result<ScanConfig, crate::config::ConfigError> {
        ScanConfig::build(&self.url, self.options.clone(), Verbosity::Quiet, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> Vec<FleetTarget> {
        match parse(text, &FleetFlags::default()) {
            Ok(t) => t,
            Err(Parse::Toml(m) | Parse::Invalid(m)) => panic!("{m}"),
        }
    }

    fn err(text: &str) -> String {
        match parse(text, &FleetFlags::default()) {
            Ok(_) => panic!("accepted: {text}"),
            Err(Parse::Toml(m) | Parse::Invalid(m)) => m,
        }
    }

    #[test]
    fn defaults_lie_under_each_target() {
        let t = ok(r#"
            [defaults]
            max-requests = 120
            deadline = 30
            fail_under = "C"

            [[target]]
            url = "http://127.0.0.1:5000/"

            [[target]]
            url = "http://127.0.0.1:5001"
            max_requests = 80
            skip = ["register"]
            fail-on-regression = true
        "#);
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].label, "http://127.0.0.1:5000");
        assert_eq!(t[0].cfg.max_requests, 120);
        assert_eq!(t[1].cfg.max_requests, 80);
        assert_eq!(t[1].cfg.deadline.as_secs(), 30);
        assert!(t[1].cfg.skip.register);
        assert!(t[0].cfg.fail_under.is_some());
        assert!(!t[0].fail_on_regression && t[1].fail_on_regression);
        assert_eq!(t[0].origin, "http://127.0.0.1:5000");
    }

    #[test]
    fn command_line_gates_lie_over_the_file() {
        let flags = FleetFlags {
            fail_under: Some("A".into()),
            fail_on_regression: true,
        };
        let Ok(t) = parse(
            "[defaults]\nfail-under = \"F\"\n[[target]]\nurl = \"http://127.0.0.1:1\"\n",
            &flags,
        ) else {
            panic!("rejected")
        };
        assert_eq!(
            t[0].cfg.fail_under,
            Some(crate::config::FailUnder::Grade(0))
        );
        assert!(t[0].fail_on_regression);
    }

    #[test]
    fn the_whole_file_fails_on_one_bad_key_or_value() {
        let cases = [
            ("[[target]]\nurl = \"http://127.0.0.1:1\"\nmax-reqests = 5\n", "max-reqests"),
            ("[[target]]\nurl = \"http://127.0.0.1:1\"\n[[target]]\nurl = \"ftp://x\"\n", "target 2"),
            ("[[target]]\nurl = \"http://127.0.0.1:1\"\ndeadline = -1\n", "--deadline"),
            ("[defaults]\nbogus = 1\n[[target]]\nurl = \"http://127.0.0.1:1\"\n", "[defaults]"),
            ("[[target]]\nmax-requests = 5\n", "has no url"),
            ("[defaults]\n", "no [[target]]"),
            ("", "no [[target]]"),
            ("parallel = 3\n[[target]]\nurl = \"http://127.0.0.1:1\"\n", "unknown key 'parallel'"),
            ("[[target]]\nurl = \"http://127.0.0.1:1\"\noutput = \"x.json\"\n", "not a fleet option"),
            ("[[target]]\nurl = \"http://127.0.0.1:1\"\n[[target]]\nurl = \"http://127.0.0.1:1/\"\n", "repeats target 1"),
            ("[[target]]\nurl = \"http://127.0.0.1:1\"\nfail-on-regression = \"yes\"\n", "true or false"),
            ("[[target]\nurl = 1", "line 1"),
        ];
        for (text, want) in cases {
            let m = err(text);
            assert!(m.contains(want), "{text:?}: {m}");
            assert!(!m.contains('\n'), "{m}");
        }
    }

    #[test]
    fn a_job_rebuilds_the_same_config() {
        let t = ok(
            "[[target]]\nurl = \"http://127.0.0.1:7\"\nmax-requests = 33\nskip = [\"lockout\"]\n",
        );
        let job = ScanJob {
            key: "k".into(),
            url: t[0].label.clone(),
            options: t[0].options.clone(),
        };
        let json = serde_json::to_string(&job).unwrap();
        let back: ScanJob = serde_json::from_str(&json).unwrap();
        let cfg = back.config().unwrap();
        assert_eq!(cfg.max_requests, 33);
        assert!(cfg.skip.lockout);
        assert_eq!(cfg.target, t[0].cfg.target);
    }
}
