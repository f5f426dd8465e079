//! The command line: clap definitions, parsed once into a validated [`ScanConfig`]; and `run`,
//! which the thin binary calls and tests can call in-process.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};

use crate::baseline::Comparison;
use crate::config::{FailUnder, Format, Overrides, ScanConfig, Verbosity};
use crate::report::Report;

const ABOUT: &str = "Find an API's sign-in surfaces and measure its password-spraying exposure.";

const AFTER_HELP: &str = "\
Examples:
  keyhole demo                                   scan a built-in vulnerable API (a one-command tour)
  keyhole scan http://127.0.0.1:5000             discover sign-in endpoints and scan them
  keyhole scan http://127.0.0.1:5000 --format json > report.json
  keyhole scan http://127.0.0.1:8000 --endpoint /api/v2/sessions --fail-under B
  keyhole scan http://127.0.0.1:5000 --format sarif --output keyhole.sarif
  keyhole scan http://127.0.0.1:5000 --baseline main.json --fail-on-regression
  keyhole render report.json --format html --output report.html
  keyhole fleet targets.toml                     scan many APIs, 4 at a time, into keyhole.db
  keyhole history                                trend, new and fixed findings per target
  keyhole mcp --store sqlite:keyhole.db          serve assistants over MCP (tools scan, report, ...)
  keyhole explain rate-limit.missing             what a finding means and how to fix it

Exit codes: 0 scan completed (and passed its gates), 1 completed but failed --fail-under or
--fail-on-regression, 2 could not run (bad arguments, target unreachable, not HTTP).

Only scan APIs you are allowed to test. keyhole sends only random passwords, uses random
non-existent accounts for volume probes, and gives a guessed real account at most 3 attempts.";

#[derive(Debug, Parser)]
#[command(name = "keyhole", version, about = ABOUT, after_help = AFTER_HELP, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan one API, given its base URL (http or https)
    #[command(after_help = AFTER_HELP)]
    Scan(Box<ScanArgs>),
    /// Start a built-in sign-in API on 127.0.0.1 and scan it (vulnerable; --fixed for hardened)
    Demo(DemoArgs),
    /// Render an earlier JSON report in another format (no network): scan once, report many ways
    Render(RenderArgs),
    /// Scan many APIs listed in a targets file, keeping every report in the history store
    #[command(after_help = FLEET_HELP)]
    Fleet(FleetArgs),
    /// Per target: the score over time, and the findings new or fixed since the previous scan
    // `history prune` is a subcommand, and `history TARGET` stays: a word after `history` is
    // the subcommand when it names one, the TARGET otherwise.
    #[command(after_help = HISTORY_HELP)]
    History(HistoryArgs),
    /// Take queued scans from a shared PostgreSQL store until stopped (SIGTERM, Ctrl-C)
    #[command(after_help = WORKER_HELP)]
    Worker(WorkerArgs),
    /// Serve the Model Context Protocol on stdio, for assistants: tools scan, report, history, explain
    #[command(after_help = MCP_HELP)]
    Mcp(McpArgs),
    /// What a finding id means, why it matters and how to fix it (per framework or product)
    #[command(after_help = EXPLAIN_HELP)]
    Explain(ExplainArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell)
    Completions(CompletionsArgs),
    /// Print the manual page (roff) to stdout, e.g. `keyhole man > keyhole.1`
    Man,
}

const FLEET_HELP: &str = "\
The targets file is TOML: a [defaults] table and one [[target]] table per API, with url and any
`keyhole scan` option (max-requests, deadline, username, password-env, skip, fail-under,
fail-on-regression, ...). The whole file is checked before any scan starts.

  [defaults]
  max-requests = 200
  fail-under = \"C\"

  [[target]]
  url = \"http://127.0.0.1:5000\"

  [[target]]
  url = \"http://127.0.0.1:8000\"
  skip = [\"register\"]

Examples:
  keyhole fleet targets.toml                          scan, store in ./keyhole.db, print a summary
  keyhole fleet targets.toml --parallel 8 --format markdown >> $GITHUB_STEP_SUMMARY
  keyhole fleet targets.toml --fail-on-regression     exit 1 when a target got worse
  keyhole fleet targets.toml --enqueue --store postgres://keyhole@db/keyhole   queue for workers

Exit codes: 0 every target scanned and passed its gates, 1 a target failed --fail-under or
--fail-on-regression (against its previous scan in the store), 2 a target could not be scanned or
stored, or the file or store is not usable.";

const HISTORY_HELP: &str = "\
Examples:
  keyhole history                                     every target in ./keyhole.db
  keyhole history http://127.0.0.1:5000 --since 30d   one target, the last 30 days
  keyhole history --format json --store postgres://keyhole@db/keyhole
  keyhole history --report 0193a1b2c3 --format html --output scan.html   re-render a stored scan
  keyhole history http://127.0.0.1:5000 --report latest --format sarif
  keyhole history --format html --output fleet.html   a dashboard page, and each scan's report
  keyhole history prune --keep 20 --older-than 90d    forget old scans (never a target's latest)

Nothing here touches the network: it reads the history store only.";

const PRUNE_HELP: &str = "\
Deletes, in one transaction, each target's scans beyond its N newest (--keep N) and scans started
before DATE (--older-than DATE); with both, what either rule selects. A target's latest scan is
never deleted. Failed runs go with --older-than; with --keep alone, those from before the
target's oldest kept scan go. The file does not shrink (no VACUUM): SQLite reuses the space.

Examples:
  keyhole history prune --keep 20
  keyhole history prune --older-than 90d --dry-run
  keyhole history prune http://127.0.0.1:5000 --keep 1 --store postgres://keyhole@db/keyhole";

const WORKER_HELP: &str = "\
A worker takes scans queued by `keyhole fleet FILE --enqueue --store postgres://...` and stores
their reports in the same database. Run any number of workers on any machines. Each queued scan
runs once; the scan of a worker that died is queued again when its lease runs out. On SIGTERM or
Ctrl-C a worker takes no new scan and finishes the one it is running.

Example:
  keyhole worker --store postgres://keyhole@db.internal/keyhole";

const MCP_HELP: &str = "\
An assistant starts keyhole mcp itself and talks to it over stdin/stdout. Add it to the assistant's
MCP configuration, e.g. (Claude Desktop, Cursor, VS Code and others take the same shape):

  {\"mcpServers\": {\"keyhole\": {\"command\": \"keyhole\",
      \"args\": [\"mcp\", \"--store\", \"sqlite:/home/me/keyhole.db\", \"--allow\", \"api.staging.example.com\"]}}}

Only loopback (127.0.0.0/8, ::1, localhost) is scanned unless --allow or mcp.allow in keyhole.toml
names more hosts: the assistant may be steered by text it read elsewhere, and a URL in a request is
not permission. The owned account (--username, --password-env) is set here, never by the assistant,
and its password never appears in a tool result.

  [mcp]
  allow = [\"api.staging.example.com\", \"*.test.example.com\", \"10.20.0.0/16\"]

Examples:
  keyhole mcp                                          loopback only, reports kept in memory
  keyhole mcp --store sqlite:keyhole.db --allow api.staging.example.com
  KEYHOLE_PW=... keyhole mcp --username tester --password-env KEYHOLE_PW";

const EXPLAIN_HELP: &str = "\
Examples:
  keyhole explain rate-limit.missing
  keyhole explain auth.user-enumeration.timing --framework django
  keyhole explain rate-limit.missing --product wordpress

The finding ids are listed in `keyhole explain --list`. Nothing here touches the network.";

/// `keyhole mcp`.
#[derive(Debug, Args)]
pub struct McpArgs {
    /// Also scan this host (repeatable): a name (api.example.com), *.domain, an address or a
    /// network (10.0.0.0/24); loopback is always allowed
    #[arg(long, value_name = "HOST")]
    pub allow: Vec<String>,
    /// Keep every report in this history store, and serve `history` from it (sqlite:PATH or
    /// postgres://...); without it reports are kept in memory for this session
    #[arg(long, value_name = "URL")]
    pub store: Option<String>,
    /// A username (or e-mail) you own, used by every scan (as `keyhole scan --username`)
    #[arg(long, value_name = "NAME")]
    pub username: Option<String>,
    /// Read the password of --username from this server's environment variable VAR
    #[arg(long, value_name = "VAR")]
    pub password_env: Option<String>,
    /// Also read product entries from DIR (as `keyhole scan --catalog`)
    #[arg(long, value_name = "DIR")]
    pub catalog: Option<PathBuf>,
    /// Read scan defaults and [mcp] allow from this TOML file [default: ./keyhole.toml if present]
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// `keyhole explain ID`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A finding id, e.g. rate-limit.missing
    #[arg(value_name = "ID", required_unless_present = "list")]
    pub id: Option<String>,
    /// Remediation for this framework: flask, fastapi, django, express, rails, spring, laravel,
    /// aspnet, php or rust
    #[arg(long, value_name = "NAME")]
    pub framework: Option<String>,
    /// Remediation for this product of the catalog (docs/catalog.md), e.g. wordpress
    #[arg(long, value_name = "ID")]
    pub product: Option<String>,
    /// Also read product entries from DIR
    #[arg(long, value_name = "DIR")]
    pub catalog: Option<PathBuf>,
    /// Print the finding ids, one a line
    #[arg(long)]
    pub list: bool,
    /// markdown (default) or json
    #[arg(long, value_name = "FORMAT", default_value = "markdown")]
    pub format: String,
}

/// `keyhole fleet FILE`.
#[derive(Debug, Args)]
pub struct FleetArgs {
    /// The targets file (TOML: [defaults] and [[target]] tables)
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Targets scanned at a time (never two of one origin at once), 1 to 64 [default: 4]
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub parallel: Option<i64>,
    #[command(flatten)]
    pub store: StoreArg,
    /// Summary format on stdout: pretty, json or markdown [default: pretty]
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,
    /// Exit 1 when a target's grade is worse than GRADE or its score below SCORE (over the file)
    #[arg(long, value_name = "GRADE|SCORE")]
    pub fail_under: Option<String>,
    /// Exit 1 when a target has a new finding or a lower score than its previous stored scan
    #[arg(long)]
    pub fail_on_regression: bool,
    /// Only queue the scans (needs a postgres:// store); `keyhole worker` runs them
    #[arg(long)]
    pub enqueue: bool,
    #[command(flatten)]
    pub noise: Noise,
}

/// `--store URL`, shared by scan, fleet, history and worker.
#[derive(Debug, Args)]
pub struct StoreArg {
    /// History store: sqlite:PATH (embedded) or postgres://USER@HOST/DB [default: sqlite:keyhole.db]
    #[arg(long, value_name = "URL", env = "KEYHOLE_STORE")]
    pub store: Option<String>,
}

impl StoreArg {
    fn url(&self) -> anyhow::Result<crate::store::StoreUrl> {
        Ok(crate::store::StoreUrl::parse(
            self.store.as_deref().unwrap_or(crate::store::DEFAULT_STORE),
        )?)
    }
}

/// `keyhole history [TARGET]`.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// One target's base URL (as scanned); without it, every target in the store
    #[arg(value_name = "TARGET")]
    pub target: Option<String>,
    /// History store: sqlite:PATH (embedded) or postgres://USER@HOST/DB [default: sqlite:keyhole.db]
    // Global: `history --store URL prune` and `history prune --store URL` both name it.
    #[arg(long, value_name = "URL", env = "KEYHOLE_STORE", global = true)]
    pub store: Option<String>,
    /// Only scans started on or after DATE (2026-11-30, an RFC 3339 time, or 7d for days ago)
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// Format: pretty, json, markdown or html (a dashboard page); with --report any report
    /// format [default: pretty]
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,
    /// Re-render the stored scan with this id (or a unique start of it; `latest` with TARGET),
    /// compared with the scan before it
    #[arg(long, value_name = "ID")]
    pub report: Option<String>,
    /// With --report or --format html: also write it to FILE (written whole or not at all);
    /// the dashboard also writes each scan's report into FILE-STEM-reports/
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<HistoryCommand>,
}

/// `keyhole history SUBCOMMAND`.
#[derive(Debug, Subcommand)]
pub enum HistoryCommand {
    /// Delete old scans and failed runs from the store (never a target's latest scan)
    #[command(after_help = PRUNE_HELP)]
    Prune(PruneArgs),
}

/// `keyhole history prune`.
#[derive(Debug, Args)]
pub struct PruneArgs {
    /// Only this target (its base URL, as scanned); without it, every target in the store
    #[arg(value_name = "TARGET")]
    pub target: Option<String>,
    /// Keep each target's N newest scans (at least 1: the latest is always kept)
    #[arg(long, value_name = "N")]
    pub keep: Option<u64>,
    /// Delete scans started before DATE (2026-09-01, an RFC 3339 time, or 90d for days ago)
    #[arg(long, value_name = "DATE")]
    pub older_than: Option<String>,
    /// Print what would be deleted, and delete nothing
    #[arg(long)]
    pub dry_run: bool,
}

/// `keyhole worker`.
#[derive(Debug, Args)]
pub struct WorkerArgs {
    /// The shared store and queue: postgres://USER@HOST[:PORT]/DATABASE
    #[arg(long, value_name = "URL", env = "KEYHOLE_STORE", required = true)]
    pub store: String,
    /// Stop after this many scans (for tests and batch jobs) [default: run until stopped]
    #[arg(long, value_name = "N")]
    pub max_scans: Option<u64>,
    /// Stop when the queue has been empty this many seconds [default: run until stopped]
    #[arg(long, value_name = "SECS")]
    pub exit_when_idle: Option<f64>,
    /// A worker silent this long is dead and its scan is queued again [default: 30]
    #[arg(long, value_name = "SECS")]
    pub lease: Option<f64>,
    /// On SIGTERM, how long the running scan may take to finish before it goes back to the
    /// queue [default: 150]
    #[arg(long, value_name = "SECS")]
    pub grace: Option<f64>,
    #[command(flatten)]
    pub noise: Noise,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for
    #[arg(value_name = "SHELL", value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    /// A report written by `keyhole scan --format json` ("-" reads stdin); without --baseline,
    /// the comparison stored in it (if any) is rendered
    #[arg(value_name = "REPORT")]
    pub report: PathBuf,
    #[command(flatten)]
    pub out: ReportArgs,
}

/// How a report is written and gated: shared by `scan` and `render`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Report format on stdout: pretty, json, sarif, junit, markdown, html [default: pretty]
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,
    /// Also write the report to FILE (written whole or not at all)
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Exit 1 when the grade is worse than GRADE (A–F) or the score is below SCORE (0–100)
    #[arg(long, value_name = "GRADE|SCORE")]
    pub fail_under: Option<String>,
    /// Compare with an earlier JSON report: new findings, fixed findings, score change
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// With --baseline: exit 1 when a finding is new or the score dropped
    #[arg(long)]
    pub fail_on_regression: bool,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Scan the hardened twin instead of the vulnerable API
    #[arg(long)]
    pub fixed: bool,
    /// Report format on stdout
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,
    #[command(flatten)]
    pub noise: Noise,
}

#[derive(Debug, Args)]
pub struct Noise {
    /// Less on stderr (no progress)
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// More on stderr (every request, every check)
    #[arg(short, long, global = true)]
    pub verbose: bool,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Base URL of the API, e.g. http://127.0.0.1:5000
    #[arg(value_name = "URL")]
    pub url: String,
    #[command(flatten)]
    pub out: ReportArgs,
    /// Scan this sign-in path too (repeatable); discovery still runs
    #[arg(long, value_name = "PATH")]
    pub endpoint: Vec<String>,
    /// A username (or e-mail) you own: enables deeper enumeration and the password-reset
    /// comparison on it (you receive at most 3 reset messages)
    #[arg(long, value_name = "NAME")]
    pub username: Option<String>,
    /// Read the password of --username from environment variable VAR (never from the command
    /// line): enables the lockout test (at most 3 real sign-ins)
    #[arg(long, value_name = "VAR")]
    pub password_env: Option<String>,
    /// Do not probe this flow (repeatable): reset, register or lockout
    #[arg(long, value_name = "FLOW")]
    pub skip: Vec<String>,
    /// Hard cap on HTTP requests for the whole scan [default: 250]
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub max_requests: Option<i64>,
    /// Most requests in flight to the target at once, 1 to 8 [default: 8]
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub concurrency: Option<i64>,
    /// Per-request timeout in seconds [default: 10]
    #[arg(long, value_name = "SECS", allow_negative_numbers = true)]
    pub timeout: Option<f64>,
    /// Wall-clock cap for the whole scan in seconds [default: 120]
    #[arg(long, value_name = "SECS", allow_negative_numbers = true)]
    pub deadline: Option<f64>,
    /// Accept TLS certificates that do not verify
    #[arg(long)]
    pub insecure: bool,
    /// Speak HTTP/2 from the first byte to an http:// target (h2c, "prior knowledge"); over
    /// https:// HTTP/2 is used whenever the server offers it, without this flag
    #[arg(long)]
    pub http2_prior_knowledge: bool,
    /// Do not hold attempts sent together to release them at once (the single-packet and
    /// last-byte techniques that let timing see through network jitter): the older, sequential
    /// timing, for comparison
    #[arg(long)]
    pub no_sync: bool,
    /// Also read product entries from DIR (*.toml, the catalog's own format; see
    /// catalog/schema.json): where your products' sign-ins are and how to fix them there
    #[arg(long, value_name = "DIR")]
    pub catalog: Option<PathBuf>,
    /// Read option defaults from this TOML file [default: ./keyhole.toml if present]
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Also keep the report in this history store (sqlite:PATH or postgres://...)
    #[arg(long, value_name = "URL")]
    pub store: Option<String>,
    #[command(flatten)]
    pub noise: Noise,
}

impl ScanArgs {
    fn overrides(&self) -> Overrides {
        Overrides {
            format: self.out.format.clone(),
            output: self.out.output.clone(),
            fail_under: self.out.fail_under.clone().map(toml::Value::String),
            endpoint: self.endpoint.clone(),
            username: self.username.clone(),
            password_env: self.password_env.clone(),
            skip: self.skip.clone(),
            max_requests: self.max_requests,
            concurrency: self.concurrency,
            timeout: self.timeout,
            deadline: self.deadline,
            baseline: self.out.baseline.clone(),
            fail_on_regression: self.out.fail_on_regression.then_some(true),
            insecure: self.insecure.then_some(true),
            http2_prior_knowledge: self.http2_prior_knowledge.then_some(true),
            no_sync: self.no_sync.then_some(true),
            catalog: self.catalog.clone(),
            mcp: None,
        }
    }

    /// Layer defaults < config file < flags and validate.
    pub fn to_config(&self) -> anyhow::Result<ScanConfig> {
        let file = match &self.config {
            Some(p) => Overrides::from_file(p)?,
            None if Path::new("keyhole.toml").is_file() => {
                Overrides::from_file(Path::new("keyhole.toml"))?
            }
            None => Overrides::default(),
        };
        let o = self.overrides().over(file);
        Ok(ScanConfig::build(
            &self.url,
            o,
            self.noise.verbosity(),
            color_wanted(),
        )?)
    }
}

impl Noise {
    pub fn verbosity(&self) -> Verbosity {
        if self.quiet {
            Verbosity::Quiet
        } else if self.verbose {
            Verbosity::Verbose
        } else {
            Verbosity::Normal
        }
    }
}

fn color_wanted() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Largest saved report `keyhole render` reads.
const REPORT_FILE_CAP: u64 = 64 << 20;

pub use crate::exit::{write_atomically, EXIT_ERROR, EXIT_GATE, EXIT_OK};

/// Parse the command line and run; returns the process exit code.
pub fn main_with_args(args: impl IntoIterator<Item = std::ffi::OsString>) -> ExitCode {
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) if e.use_stderr() => {
            // One line, like every other error: clap's first line without its "error: ".
            // (A message that ends in ':' continues on the next lines, e.g. the missing URL.)
            let rendered = e.render().to_string();
            let message: Vec<&str> = rendered
                .lines()
                .map(str::trim)
                .skip_while(|l| l.is_empty())
                .take_while(|l| !l.is_empty() && !l.starts_with("Usage:") && !l.starts_with("tip:"))
                .collect();
            let joined = message.join(" ");
            let first = joined.strip_prefix("error: ").unwrap_or(&joined);
            let first = if first.is_empty() {
                "invalid arguments"
            } else {
                first
            };
            eprintln!("keyhole: error: {first}; see keyhole --help");
            return ExitCode::from(EXIT_ERROR);
        }
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(EXIT_OK);
        }
    };
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("keyhole: error: {}", one_line(&e));
            ExitCode::from(EXIT_ERROR)
        }
    }
}

fn one_line(e: &anyhow::Error) -> String {
    let mut parts: Vec<String> = e.chain().map(|c| c.to_string()).collect();
    parts.dedup_by(|b, a| a.contains(b.as_str()));
    parts.join(": ").replace('\n', " ")
}

/// Run a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<u8> {
    let runtime = || {
        // One thread: a scan waits on the network, at most --concurrency requests at once, and
        // a single-threaded runtime saves the cross-thread wake-ups per request (and keeps
        // timing samples steadier).
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("cannot start the async runtime")
    };
    match cli.command {
        Command::Scan(args) => {
            let cfg = args.to_config()?;
            let store = args
                .store
                .as_deref()
                .map(crate::store::StoreUrl::parse)
                .transpose()?;
            runtime()?.block_on(run_scan_stored(cfg, store))
        }
        Command::Fleet(args) => runtime()?.block_on(run_fleet(args)),
        Command::History(args) => runtime()?.block_on(run_history(args)),
        Command::Worker(args) => {
            runtime()?.block_on(crate::worker::run_cli(crate::worker::WorkerOptions {
                store: args.store,
                max_scans: args.max_scans,
                exit_when_idle: args.exit_when_idle,
                lease: args.lease,
                grace: args.grace,
                verbosity: args.noise.verbosity(),
            }))
        }
        Command::Mcp(args) => {
            let opts = crate::mcp::McpOptions {
                allow: args.allow,
                store: args.store,
                config: args.config,
                flags: crate::config::Overrides {
                    username: args.username,
                    password_env: args.password_env,
                    catalog: args.catalog,
                    ..Default::default()
                },
            };
            // A multi-threaded runtime: the server reads requests while a scan runs on a
            // thread of its own (see mcp::server).
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .context("cannot start the async runtime")?
                .block_on(crate::mcp::run(opts))?;
            Ok(EXIT_OK)
        }
        Command::Explain(args) => run_explain(&args),
        Command::Demo(args) => runtime()?.block_on(run_demo(args)),
        Command::Render(args) => run_render(&args),
        Command::Completions(args) => {
            let mut buf = Vec::new();
            completions(args.shell, &mut buf);
            write_stdout(&buf)?;
            Ok(EXIT_OK)
        }
        Command::Man => {
            write_stdout(&man_page()?)?;
            Ok(EXIT_OK)
        }
    }
}

/// `keyhole explain ID`.
fn run_explain(args: &ExplainArgs) -> anyhow::Result<u8> {
    if args.list {
        let mut out = crate::explain::ids().join("\n");
        out.push('\n');
        write_stdout(out.as_bytes())?;
        return Ok(EXIT_OK);
    }
    let json = match args.format.as_str() {
        "markdown" | "md" => false,
        "json" => true,
        other => anyhow::bail!("--format for explain is markdown or json, not '{other}'"),
    };
    let catalog = match &args.catalog {
        Some(dir) => crate::catalog::Catalog::with_folder(dir)?,
        None => crate::catalog::Catalog::builtin()?,
    };
    let id = args.id.as_deref().unwrap_or_default();
    let e = crate::explain::explain(
        &catalog,
        id,
        args.framework.as_deref(),
        args.product.as_deref(),
    )?;
    let out = if json {
        let mut s = serde_json::to_string_pretty(&e)?;
        s.push('\n');
        s
    } else {
        crate::explain::markdown(&e)
    };
    write_stdout(out.as_bytes())?;
    Ok(EXIT_OK)
}

/// Write a shell completion script for `shell`.
pub fn completions(shell: clap_complete::Shell, out: &mut dyn Write) {
    use clap::CommandFactory;
    let mut cmd = Cli::command();
    clap_complete::generate(shell, &mut cmd, "keyhole", out);
}

/// The manual page, keyhole(1), in roff: the command, then each subcommand's synopsis and
/// options, then the examples and exit codes.
pub fn man_page() -> anyhow::Result<Vec<u8>> {
    use clap::CommandFactory;
    let mut cmd = Cli::command();
    cmd.build();
    let man = clap_mangen::Man::new(cmd.clone());
    let mut out = Vec::new();
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    man.render_options_section(&mut out)?;
    // The subcommands are described on this same page, not on keyhole-NAME(1) pages.
    let mut subs = Vec::new();
    man.render_subcommands_section(&mut subs)?;
    let mut subs = String::from_utf8_lossy(&subs).into_owned();
    for sub in cmd.get_subcommands() {
        let name = sub.get_name();
        subs = subs.replace(
            &format!("keyhole\\-{}(1)", name.replace('-', "\\-")),
            &format!("\\fBkeyhole {name}\\fR"),
        );
    }
    out.extend_from_slice(subs.as_bytes());
    for sub in cmd.get_subcommands() {
        let name = sub.get_name().to_string();
        if name == "help" {
            continue;
        }
        let sub = sub.clone().bin_name(format!("keyhole {name}"));
        let page = clap_mangen::Man::new(sub);
        let mut part = Vec::new();
        page.render_synopsis_section(&mut part)?;
        page.render_description_section(&mut part)?;
        if page_has_options(&cmd, &name) {
            page.render_options_section(&mut part)?;
        }
        let part = String::from_utf8_lossy(&part)
            .replacen(
                ".SH SYNOPSIS",
                &format!(".SH \"KEYHOLE {}\"", name.to_uppercase()),
                1,
            )
            .replace(".SH DESCRIPTION", ".SS Description")
            .replace(".SH OPTIONS", ".SS Options");
        out.extend_from_slice(part.as_bytes());
    }
    man.render_extra_section(&mut out)?;
    man.render_version_section(&mut out)?;
    Ok(out)
}

fn page_has_options(cmd: &clap::Command, sub: &str) -> bool {
    cmd.find_subcommand(sub)
        .is_some_and(|s| s.get_arguments().any(|a| !a.is_hide_set()))
}

/// Write bytes to stdout; a closed pipe (`| head`) is not an error.
fn write_stdout(bytes: &[u8]) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(bytes).and_then(|_| out.flush()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            return Err(e).context("cannot write to stdout");
        }
    }
    Ok(())
}

/// Read `--baseline FILE` (before any scanning: a bad file is exit 2 and writes nothing).
fn load_baseline(path: Option<&Path>) -> anyhow::Result<Option<crate::baseline::Baseline>> {
    match path {
        Some(p) => Ok(Some(crate::baseline::load(p)?)),
        None => Ok(None),
    }
}

/// Scan with a validated config, render, write, and apply the gates.
pub async fn run_scan(cfg: ScanConfig) -> anyhow::Result<u8> {
    run_scan_stored(cfg, None).await
}

/// [`run_scan`], and keep the report in a history store. The store is opened before the scan
/// (an unusable store costs no requests); a report the store then refuses is still written out.
pub async fn run_scan_stored(
    cfg: ScanConfig,
    store: Option<crate::store::StoreUrl>,
) -> anyhow::Result<u8> {
    let baseline = load_baseline(cfg.baseline.as_deref())?;
    let store = match &store {
        Some(url) => Some(crate::store::Store::open(url, true).await?),
        None => None,
    };
    let mut cfg = cfg;
    if let Some(store) = &store {
        // Earlier stored scans of this target count against the guessed accounts' cap, and
        // the latest may have left a limiter holding.
        store.recall(&mut cfg).await?;
    }
    let report = match crate::pipeline::scan(cfg.clone()).await {
        Ok(report) => report,
        Err(e) => {
            if let Some(store) = &store {
                // Kept beside the scans, as a fleet's or a queued scan's failure is: history and
                // the dashboard show it. A store that cannot take it changes nothing here (the
                // error below says the scan failed either way).
                let target = crate::config::target_label(&cfg.target);
                if let Err(se) = store.record_failure(&target, &e.to_string(), None).await {
                    if cfg.verbosity != Verbosity::Quiet {
                        eprintln!("keyhole: the failed run was not stored either: {se}");
                    }
                }
                store.close().await;
            }
            return Err(e.into());
        }
    };
    if let Some(store) = &store {
        let saved = store.save(&report, None).await;
        store.close().await;
        match saved {
            Ok(saved) if cfg.verbosity != Verbosity::Quiet => eprintln!(
                "keyhole: stored as scan {} in {}",
                saved.id(),
                store.shown()
            ),
            Ok(_) => {}
            Err(e) => {
                // The report is still rendered below; the exit code says it was not stored.
                emit_report(&cfg, &report, baseline.as_ref())?;
                return Err(e.into());
            }
        }
    }
    emit_report(&cfg, &report, baseline.as_ref())
}

fn emit_report(
    cfg: &ScanConfig,
    report: &Report,
    baseline: Option<&crate::baseline::Baseline>,
) -> anyhow::Result<u8> {
    let comparison = baseline.map(|b| crate::baseline::compare(b, report));
    emit(
        report,
        comparison.as_ref(),
        &Emit {
            format: cfg.format,
            output: cfg.output.as_deref(),
            color: cfg.color && cfg.output.is_none(),
            fail_under: cfg.fail_under,
            fail_on_regression: cfg.fail_on_regression,
            quiet: cfg.verbosity == Verbosity::Quiet,
        },
    )
}

/// How a finished report is written and gated.
struct Emit<'a> {
    format: Format,
    output: Option<&'a Path>,
    color: bool,
    fail_under: Option<FailUnder>,
    fail_on_regression: bool,
    quiet: bool,
}

/// Render, write `--output` (atomically) and stdout (the same bytes), then apply the gates.
fn emit(report: &Report, comparison: Option<&Comparison>, how: &Emit) -> anyhow::Result<u8> {
    let text = crate::render::render(report, how.format, comparison, how.color)
        .context("cannot render the report")?;
    if let Some(path) = how.output {
        write_atomically(path, text.as_bytes())
            .with_context(|| format!("cannot write --output {}", path.display()))?;
    }
    write_stdout(text.as_bytes()).context("cannot write the report")?;
    if let (Some(cmp), false) = (comparison, how.quiet) {
        if !cmp.untested.is_empty() {
            eprintln!(
                "keyhole: {} baseline finding(s) were not re-checked this time (endpoint not found or check incomplete); they are not counted as fixed",
                cmp.untested.len()
            );
        }
    }
    let mut code = EXIT_OK;
    if how
        .fail_under
        .is_some_and(|g| g.fails(report.score, &report.grade))
    {
        eprintln!(
            "keyhole: grade {} ({}/100) is below the --fail-under gate",
            report.grade, report.score
        );
        code = EXIT_GATE;
    }
    if how.fail_on_regression {
        if let Some(reason) = comparison.and_then(Comparison::regression_reason) {
            eprintln!("keyhole: regression against the baseline: {reason}");
            code = EXIT_GATE;
        }
    }
    Ok(code)
}

/// `keyhole fleet FILE`: check the whole file and open the store, then scan (or queue) every
/// target and print the summary.
async fn run_fleet(args: FleetArgs) -> anyhow::Result<u8> {
    use crate::fleet::summary::TableFormat;
    let format = match &args.format {
        Some(f) => TableFormat::parse(f, "fleet").map_err(anyhow::Error::msg)?,
        None => TableFormat::Pretty,
    };
    let parallel = match args.parallel {
        None => crate::fleet::run::DEFAULT_PARALLEL,
        Some(n) if (1..=crate::fleet::run::MAX_PARALLEL as i64).contains(&n) => n as usize,
        Some(n) => anyhow::bail!("--parallel must be a whole number from 1 to 64, not {n}"),
    };
    if let Some(g) = &args.fail_under {
        FailUnder::parse(g)?;
    }
    let flags = crate::fleet::FleetFlags {
        fail_under: args.fail_under.clone(),
        fail_on_regression: args.fail_on_regression,
    };
    let targets = crate::fleet::load(&args.file, &flags)?;
    let url = args.store.url()?;
    if args.enqueue && !url.is_postgres() {
        anyhow::bail!(
            "--enqueue needs a shared PostgreSQL store (--store postgres://USER@HOST/DB) that workers on other machines can reach; {} is this machine's own file",
            url.shown()
        );
    }
    let store = crate::store::Store::open(&url, true).await?;
    let verbosity = args.noise.verbosity();
    if args.enqueue {
        let queued = crate::worker::enqueue(&store, &targets).await?;
        store.close().await;
        if verbosity != Verbosity::Quiet {
            eprintln!(
                "keyhole: queued {queued} scan(s) in {}; `keyhole worker --store URL` runs them",
                url.shown()
            );
        }
        return Ok(EXIT_OK);
    }
    if verbosity != Verbosity::Quiet {
        eprintln!(
            "keyhole: fleet: {} target(s), {parallel} at a time, into {}",
            targets.len(),
            url.shown()
        );
    }
    let result = crate::fleet::run::run(targets, &store, parallel, verbosity).await;
    store.close().await;
    let text = crate::fleet::summary::render(&result, format, color_wanted());
    write_stdout(text.as_bytes())?;
    Ok(result.exit_code())
}

/// `keyhole history [TARGET]`: the trend table, or (`--report ID`) one stored report through the
/// report renderers.
async fn run_history(args: HistoryArgs) -> anyhow::Result<u8> {
    use crate::fleet::summary::TableFormat;
    let store_arg = StoreArg {
        store: args.store.clone(),
    };
    if let Some(HistoryCommand::Prune(prune)) = args.command {
        let misplaced = [
            (args.target.is_some(), "a TARGET before `prune`"),
            (args.since.is_some(), "--since"),
            (args.format.is_some(), "--format"),
            (args.report.is_some(), "--report"),
            (args.output.is_some(), "--output"),
        ];
        if let Some((_, what)) = misplaced.iter().find(|(given, _)| *given) {
            anyhow::bail!(
                "history prune does not take {what}: it takes [TARGET] --keep N --older-than DATE --dry-run --store URL, after `prune`"
            );
        }
        return run_prune(prune, &store_arg).await;
    }
    let since = args
        .since
        .as_deref()
        .map(crate::history::parse_since)
        .transpose()
        .map_err(anyhow::Error::msg)?;
    let target = args
        .target
        .as_deref()
        .map(|t| crate::config::parse_target(t).map(|u| crate::config::target_label(&u)))
        .transpose()?;
    let url = store_arg.url()?;
    if let Some(id) = &args.report {
        let format = match &args.format {
            Some(f) => Format::parse(f)?,
            None => Format::Pretty,
        };
        let store = crate::store::Store::open(&url, false).await?;
        let found = match (id.as_str(), &target) {
            ("latest", Some(t)) => store.latest(t).await?,
            ("latest", None) => anyhow::bail!("--report latest needs a TARGET"),
            (id, _) => store.report(id).await?,
        };
        let Some((id, report)) = found else {
            anyhow::bail!(
                "no stored scan '{id}' in {}; `keyhole history` lists them",
                url.shown()
            );
        };
        let scans = store.scans(Some(&report.target), None).await?;
        let me = scans.iter().find(|s| s.id == id);
        let previous = match me {
            Some(s) => store.previous(s).await?,
            None => None,
        };
        store.close().await;
        let comparison = previous.map(|p| {
            crate::baseline::compare(&crate::baseline::Baseline::from_report(&p), &report)
        });
        return emit(
            &report,
            comparison.as_ref(),
            &Emit {
                format,
                output: args.output.as_deref(),
                color: args.output.is_none() && color_wanted(),
                fail_under: None,
                fail_on_regression: false,
                quiet: false,
            },
        );
    }
    let dashboard = args
        .format
        .as_deref()
        .is_some_and(|f| f.trim().eq_ignore_ascii_case("html"));
    let format = match &args.format {
        Some(_) if dashboard => TableFormat::Pretty,
        Some(f) => TableFormat::parse(f, "history").map_err(|_| {
            anyhow::anyhow!("history --format takes pretty, json, markdown or html, not '{f}'")
        })?,
        None => TableFormat::Pretty,
    };
    if args.output.is_some() && !dashboard {
        anyhow::bail!("history --output FILE goes with --report ID or --format html");
    }
    if let Some(out) = &args.output {
        check_output_dir(out)?;
    }
    let store = crate::store::Store::open(&url, false).await?;
    let history = crate::history::build(&store, target.as_deref(), since.as_deref()).await?;
    if dashboard {
        let result = write_dashboard(&store, &history, args.output.as_deref()).await;
        store.close().await;
        return result;
    }
    store.close().await;
    if let (Some(t), true) = (&target, history.targets.is_empty()) {
        if since.is_none() {
            anyhow::bail!(
                "no scans of {t} in {}; `keyhole history` lists the targets it holds",
                url.shown()
            );
        }
    }
    let text = crate::history::render(&history, format, color_wanted());
    write_stdout(text.as_bytes())?;
    Ok(EXIT_OK)
}

/// `--output FILE` must name a file in a directory that exists.
fn check_output_dir(out: &Path) -> anyhow::Result<()> {
    let dir = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        anyhow::bail!(
            "--output {}: directory {} does not exist",
            out.display(),
            dir.display()
        );
    }
    Ok(())
}

/// `keyhole history --format html [--output FILE]`: the dashboard page on stdout; with FILE,
/// also in FILE, and every shown scan's own HTML report in FILE-STEM-reports/ID.html (linked
/// from the page). Without FILE no file is written, and the page links to no report file.
async fn write_dashboard(
    store: &crate::store::Store,
    history: &crate::history::History,
    output: Option<&Path>,
) -> anyhow::Result<u8> {
    let reports = crate::history::load_reports(store, history).await?;
    let reports_dir = output.map(|out| {
        let stem = out
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "dashboard".into());
        let name = format!("{stem}-reports");
        let path = match out.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.join(&name),
            _ => PathBuf::from(&name),
        };
        (name, path)
    });
    let generated_at = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let page = crate::render::dashboard::render(
        history,
        &reports,
        &generated_at,
        reports_dir.as_ref().map(|(name, _)| name.as_str()),
    )
    .context("cannot render the dashboard")?;
    if let (Some(out), Some((_, dir))) = (output, &reports_dir) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        for r in reports.scans.values() {
            let html = crate::render::html::render(&r.report, r.comparison.as_ref())
                .context("cannot render a stored report")?;
            let file = dir.join(format!("{}.html", r.id));
            write_atomically(&file, html.as_bytes())
                .with_context(|| format!("cannot write {}", file.display()))?;
        }
        write_atomically(out, page.as_bytes())
            .with_context(|| format!("cannot write --output {}", out.display()))?;
    }
    write_stdout(page.as_bytes())?;
    Ok(EXIT_OK)
}

/// `keyhole history prune`: delete old scans and failed runs; one line says what went.
async fn run_prune(args: PruneArgs, store: &StoreArg) -> anyhow::Result<u8> {
    let keep = match args.keep {
        Some(0) => anyhow::bail!(
            "--keep 0 would delete every scan, but a target's latest scan is always kept: use --keep 1"
        ),
        Some(n) => Some(usize::try_from(n).unwrap_or(usize::MAX)),
        None => None,
    };
    let older_than = args
        .older_than
        .as_deref()
        .map(|t| crate::history::parse_time(t, "--older-than"))
        .transpose()
        .map_err(anyhow::Error::msg)?;
    if keep.is_none() && older_than.is_none() {
        anyhow::bail!(
            "history prune needs --keep N (each target's N newest scans stay) or --older-than DATE (scans started before it go), or both"
        );
    }
    let target = args
        .target
        .as_deref()
        .map(|t| crate::config::parse_target(t).map(|u| crate::config::target_label(&u)))
        .transpose()?;
    let url = store.url()?;
    let store = crate::store::Store::open(&url, false).await?;
    let rules = crate::store::prune::Rules { keep, older_than };
    let result = store.prune(target.as_deref(), &rules, args.dry_run).await;
    store.close().await;
    let pruned = result?;
    let text = crate::history::prune_summary(&pruned, &url.shown());
    write_stdout(text.as_bytes())?;
    Ok(EXIT_OK)
}

/// `keyhole render REPORT`: re-render a saved JSON report, optionally against a baseline.
fn run_render(args: &RenderArgs) -> anyhow::Result<u8> {
    let format = match &args.out.format {
        Some(f) => Format::parse(f)?,
        None => Format::Pretty,
    };
    let fail_under = args
        .out
        .fail_under
        .as_deref()
        .map(FailUnder::parse)
        .transpose()?;
    if let Some(out) = &args.out.output {
        let dir = match out.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        if !dir.is_dir() {
            anyhow::bail!(
                "--output {}: directory {} does not exist",
                out.display(),
                dir.display()
            );
        }
    }
    let baseline = load_baseline(args.out.baseline.as_deref())?;
    let shown = args.report.display().to_string();
    let text = if args.report.as_os_str() == "-" {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)
            .context("cannot read the report from stdin")?;
        s
    } else {
        let bytes = crate::config::read_capped(&args.report, REPORT_FILE_CAP)
            .with_context(|| format!("cannot read report {shown}"))?;
        String::from_utf8(bytes).map_err(|_| anyhow::anyhow!("{shown} is not UTF-8 text"))?
    };
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| anyhow::anyhow!("{shown} is not a keyhole JSON report: invalid JSON ({e})"))?;
    if value.get("schema_version").and_then(|v| v.as_u64()) != Some(1) {
        anyhow::bail!(
            "{shown} is not a keyhole JSON report (schema_version 1): write one with `keyhole scan URL --format json`"
        );
    }
    let report: Report = serde_json::from_value(value.clone())
        .map_err(|e| anyhow::anyhow!("{shown} is not a keyhole JSON report: {e}"))?;
    let comparison = match &baseline {
        Some(b) => Some(crate::baseline::compare(b, &report)),
        None => Comparison::from_report_json(&value),
    };
    if args.out.fail_on_regression && comparison.is_none() {
        anyhow::bail!(
            "--fail-on-regression needs --baseline FILE (or a report written with --baseline)"
        );
    }
    emit(
        &report,
        comparison.as_ref(),
        &Emit {
            format,
            output: args.out.output.as_deref(),
            color: args.out.output.is_none() && color_wanted(),
            fail_under,
            fail_on_regression: args.out.fail_on_regression,
            quiet: false,
        },
    )
}

async fn run_demo(args: DemoArgs) -> anyhow::Result<u8> {
    let server = crate::demo::start(args.fixed)
        .await
        .context("cannot start the demo API on 127.0.0.1")?;
    let verbosity = args.noise.verbosity();
    if verbosity != Verbosity::Quiet {
        eprintln!(
            "keyhole: demo: {} sign-in API listening on {} — scanning it now",
            if args.fixed {
                "a hardened"
            } else {
                "a vulnerable"
            },
            server.base_url()
        );
    }
    let overrides = Overrides {
        format: args.format.clone(),
        ..Default::default()
    };
    let cfg = ScanConfig::build(&server.base_url(), overrides, verbosity, color_wanted())?;
    let code = run_scan(cfg).await?;
    drop(server);
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clap_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn atomic_write_leaves_no_partial_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.json");
        write_atomically(&p, b"{}").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"{}");
        let missing = dir.path().join("nope/r.json");
        assert!(write_atomically(&missing, b"{}").is_err());
        assert!(!missing.exists());
    }
}
