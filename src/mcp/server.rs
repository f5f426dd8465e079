//! The MCP tools. Each answers with text for the model to read and, for `scan`, the same facts
//! as structured content. A failure the caller can act on (a host not allowed, an unknown id,
//! an unreachable target) is a tool result marked as an error, with a message saying what to do;
//! protocol errors are left for malformed calls.

use std::collections::VecDeque;
use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{
    CallToolResult, ContentBlock, Implementation, ProgressNotificationParam, ServerCapabilities,
    ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{tool, tool_handler, tool_router, ErrorData, RoleServer, ServerHandler};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{json, Value};

use super::allow::AllowList;
use super::{McpError, McpOptions};
use crate::config::{Format, Overrides, ScanConfig, Verbosity};
use crate::report::Report;
use crate::store::{Store, StoreUrl};

/// Reports made in this session and kept in memory for `report` (the store keeps them all).
const KEPT_IN_MEMORY: usize = 32;
/// How often a running scan reports progress.
const PROGRESS_EVERY: Duration = Duration::from_millis(500);

const INSTRUCTIONS: &str = "keyhole scans an HTTP API's sign-in, password-reset and registration \
endpoints for password-spraying exposure: missing or bypassable rate limits, and answers that tell \
which accounts exist. Start with `scan` (a base URL; it finds the endpoints itself, sends only \
random passwords, and takes 2-120 seconds), then `report` with the id it returns for the whole \
report, and `explain` with a finding id for what it means and how to fix it. `history` shows \
earlier scans when the server keeps a store. Only hosts the operator allowed can be scanned.";

/// `scan`'s arguments: the URL and the scan options a caller may choose.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScanInput {
    /// Base URL of the API (http or https), e.g. "http://127.0.0.1:5000". keyhole discovers the
    /// sign-in, password-reset and registration endpoints below it by itself.
    pub url: String,
    /// Extra sign-in paths to scan besides those discovered, e.g. ["/api/v2/sessions"].
    #[serde(default)]
    pub endpoints: Vec<String>,
    /// Flows not to probe: any of "reset", "register", "lockout".
    #[serde(default)]
    pub skip: Vec<String>,
    /// Hard cap on HTTP requests for the whole scan (default 250).
    pub max_requests: Option<i64>,
    /// Most requests in flight at once, 1 to 8 (default 8).
    pub concurrency: Option<i64>,
    /// Per-request timeout in seconds (default 10).
    pub timeout_secs: Option<f64>,
    /// Wall-clock cap for the whole scan in seconds (default 120).
    pub deadline_secs: Option<f64>,
    /// Accept TLS certificates that do not verify (self-signed test servers).
    #[serde(default)]
    pub insecure: bool,
    /// Speak HTTP/2 from the first byte to an http:// target (h2c).
    #[serde(default)]
    pub http2_prior_knowledge: bool,
}

/// `report`'s arguments.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportInput {
    /// The id `scan` returned (or a stored scan's id from `history`; a unique prefix will do).
    pub id: String,
    /// One of "markdown" (default: best for reading), "json" (every detail, schema_version 1),
    /// "pretty" (terminal text), "sarif", "junit", "html".
    pub format: Option<String>,
}

/// `history`'s arguments.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HistoryInput {
    /// One target's base URL, as scanned; all targets when omitted.
    pub target: Option<String>,
    /// Only scans since: a date "2026-11-30", a time "2026-11-30T12:00:00Z", or days ago "30d".
    pub since: Option<String>,
    /// "markdown" (default) or "json".
    pub format: Option<String>,
}

/// `explain`'s arguments.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExplainInput {
    /// A finding id, e.g. "rate-limit.missing" or "auth.user-enumeration.timing".
    pub id: String,
    /// The API's framework, for remediation written for it: flask, fastapi, django, express,
    /// rails, spring, laravel, aspnet, php or rust. A report's endpoints name the one detected.
    pub framework: Option<String>,
    /// A product id from keyhole's catalog (a report's endpoint names it as "product"), for the
    /// product's own remediation.
    pub product: Option<String>,
}

/// The server's state: what the operator allowed, and the reports made so far.
#[derive(Clone)]
pub struct KeyholeServer {
    allow: AllowList,
    /// The operator's scan defaults: flags over keyhole.toml.
    defaults: Overrides,
    store: Option<StoreUrl>,
    catalog: Arc<crate::catalog::Catalog>,
    made: Arc<Mutex<VecDeque<(String, Report)>>>,
    /// One lock per origin: never two scans of one API at once (each would give a guessed
    /// account its own 3 attempts, and each would read the other's attempts as a throttle).
    origins: Arc<Mutex<std::collections::HashMap<String, Arc<tokio::sync::Mutex<()>>>>>,
    #[allow(dead_code)] // read by the code #[tool_handler] generates
    tool_router: ToolRouter<KeyholeServer>,
}

impl KeyholeServer {
    pub fn new(opts: &McpOptions) -> Result<KeyholeServer, McpError> {
        let file = match &opts.config {
            Some(p) => Overrides::from_file(p)?,
            None if Path::new("keyhole.toml").is_file() => {
                Overrides::from_file(Path::new("keyhole.toml"))?
            }
            None => Overrides::default(),
        };
        let shown = opts
            .config
            .as_deref()
            .unwrap_or(Path::new("keyhole.toml"))
            .display()
            .to_string();
        let from_file = file.mcp.clone().unwrap_or_default().allow;
        AllowList::new(&from_file).map_err(|e| McpError::FileAllow(shown, e))?;
        let mut entries = from_file;
        entries.extend(opts.allow.iter().cloned());
        let allow = AllowList::new(&entries)?;
        let defaults = opts.flags.clone().over(file);
        // The operator's settings are checked now, not at the first tool call: a wrong
        // --password-env or catalog folder is the operator's to fix, before any assistant asks.
        let checked = ScanConfig::build(
            "http://127.0.0.1/",
            defaults.clone(),
            Verbosity::Quiet,
            false,
        )?;
        let catalog = checked.catalog;
        let store = opts.store.as_deref().map(StoreUrl::parse).transpose()?;
        Ok(KeyholeServer {
            allow,
            defaults,
            store,
            catalog,
            made: Arc::new(Mutex::new(VecDeque::new())),
            origins: Arc::default(),
            tool_router: KeyholeServer::tool_router(),
        })
    }

    fn keep(&self, id: &str, report: &Report) {
        let mut made = self.made.lock().unwrap_or_else(|e| e.into_inner());
        made.push_back((id.to_string(), report.clone()));
        while made.len() > KEPT_IN_MEMORY {
            made.pop_front();
        }
    }

    fn origin_lock(&self, target: &url::Url) -> Arc<tokio::sync::Mutex<()>> {
        let mut all = self.origins.lock().unwrap_or_else(|e| e.into_inner());
        Arc::clone(
            all.entry(target.origin().ascii_serialization())
                .or_default(),
        )
    }

    fn made(&self, id: &str) -> Option<(String, Report)> {
        let made = self.made.lock().unwrap_or_else(|e| e.into_inner());
        let id = id.trim();
        let hits: Vec<&(String, Report)> = made.iter().filter(|(k, _)| k.starts_with(id)).collect();
        match hits.as_slice() {
            [one] => Some((*one).clone()),
            _ => None,
        }
    }

    /// The scan configuration of a tool call: its options over the operator's defaults. The
    /// caller's input has no field for an account, a password, a file or a config.
    fn config(&self, input: &ScanInput) -> Result<ScanConfig, String> {
        let theirs = Overrides {
            endpoint: input.endpoints.clone(),
            skip: input.skip.clone(),
            max_requests: input.max_requests,
            concurrency: input.concurrency,
            timeout: input.timeout_secs,
            deadline: input.deadline_secs,
            insecure: input.insecure.then_some(true),
            http2_prior_knowledge: input.http2_prior_knowledge.then_some(true),
            ..Overrides::default()
        };
        ScanConfig::build(
            &input.url,
            theirs.over(self.defaults.clone()),
            Verbosity::Quiet,
            false,
        )
        .map_err(|e| e.to_string())
    }

    async fn open_store(&self) -> Result<Option<Store>, String> {
        match &self.store {
            Some(url) => Store::open(url, true)
                .await
                .map(Some)
                .map_err(|e| e.to_string()),
            None => Ok(None),
        }
    }
}

fn text_error(msg: impl Into<String>) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(msg)])
}

fn text(msg: impl Into<String>) -> CallToolResult {
    CallToolResult::success(vec![ContentBlock::text(msg)])
}

/// What `scan` returns: the report's summary and the id to ask `report` for.
pub fn summary(id: &str, stored_in: Option<&str>, r: &Report) -> Value {
    json!({
        "id": id,
        "stored_in": stored_in,
        "target": r.target,
        "grade": r.grade,
        "score": r.score,
        "categories": r.categories,
        "endpoints": r.endpoints.iter().map(|e| json!({
            "endpoint": e.label(),
            "flow": e.flow.as_str(),
            "framework": e.framework.as_str(),
            "product": e.product,
        })).collect::<Vec<_>>(),
        "findings": r.findings.iter().map(|f| json!({
            "id": f.id,
            "severity": f.severity.as_str(),
            "endpoint": f.endpoint,
            "summary": f.summary,
        })).collect::<Vec<_>>(),
        "incomplete": r.incomplete.iter().map(|i| json!({
            "check": i.check,
            "reason": i.reason,
        })).collect::<Vec<_>>(),
        "requests": r.stats.requests,
        "duration_ms": r.duration_ms,
    })
}

/// The same summary as text, for a model that reads the content rather than the structure.
pub fn summary_text(id: &str, stored_in: Option<&str>, r: &Report) -> String {
    let mut out = format!(
        "{}: grade {} ({}/100), {} finding(s), {} requests in {:.1} s. Report id {id}{}.\n",
        r.target,
        r.grade,
        r.score,
        r.findings.len(),
        r.stats.requests,
        r.duration_ms as f64 / 1000.0,
        stored_in
            .map(|s| format!(", stored in {s}"))
            .unwrap_or_default()
    );
    for f in &r.findings {
        out.push_str(&format!(
            "- {} [{}] on {}: {}\n",
            f.id,
            f.severity.as_str(),
            f.endpoint,
            f.summary
        ));
    }
    if r.endpoints.is_empty() {
        out.push_str("No sign-in, reset or registration endpoint was found.\n");
    }
    for i in &r.incomplete {
        out.push_str(&format!("- not decided: {}: {}\n", i.check, i.reason));
    }
    out.push_str(
        "Call `report` with this id for evidence and remediation, `explain` with a finding id \
         for what it means and how to fix it.",
    );
    out
}

#[tool_router]
impl KeyholeServer {
    #[tool(
        name = "scan",
        description = "Scan an HTTP API for password-spraying exposure, given only its base URL. \
keyhole finds the sign-in, password-reset and registration endpoints itself (forms, JSON, Basic, \
GraphQL, OpenAPI), then tests: whether failed sign-ins are ever throttled per client, whether a \
spoofed X-Forwarded-For bypasses the throttle, and whether answers (status, message, length, \
timing) tell which accounts exist. Safe by design: only random passwords, random non-existent \
accounts for volume, at most 3 attempts on any possibly-real account, at most max_requests \
requests (default 250). Takes from 2 seconds to the deadline (default 120 s), with progress \
notifications. Returns the grade (A-F), score (0-100), findings (id, severity, endpoint, summary) \
and an id for `report`. Only loopback and hosts the operator allowed can be scanned; the owned \
test account and its password are the operator's settings, not arguments."
    )]
    async fn scan(
        &self,
        Parameters(input): Parameters<ScanInput>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        let target = match crate::config::parse_target(&input.url) {
            Ok(u) => u,
            Err(e) => return Ok(text_error(e.to_string())),
        };
        if !self.allow.allows(&target) {
            let host = target.host_str().unwrap_or_default();
            return Ok(text_error(format!(
                "refused: keyhole mcp scans only the hosts its operator allowed, and {host} is not \
                 one of them (allowed: {}). A URL in a request is not permission to scan it. If \
                 this API is yours to test, the operator can start keyhole mcp with --allow {host} \
                 or add \"{host}\" to allow under [mcp] in keyhole.toml.",
                self.allow.describe()
            )));
        }
        let mut cfg = match self.config(&input) {
            Ok(c) => c,
            Err(e) => return Ok(text_error(e)),
        };
        // Another call scanning this origin finishes first.
        let origin = self.origin_lock(&cfg.target);
        let _origin = origin.lock().await;
        let store = match self.open_store().await {
            Ok(s) => s,
            Err(e) => return Ok(text_error(e)),
        };
        // Earlier scans count against the guessed accounts' cap, as for `scan --store`: the
        // store's, or without one this session's.
        match &store {
            Some(store) => {
                if let Err(e) = store.recall(&mut cfg).await {
                    return Ok(text_error(e.to_string()));
                }
            }
            None => {
                let made = self.made.lock().unwrap_or_else(|e| e.into_inner()).clone();
                crate::store::recall_from(&mut cfg, made.iter().map(|(id, r)| (id.as_str(), r)));
            }
        }

        let max = cfg.max_requests;
        let step = Arc::new(Mutex::new(String::from("starting")));
        let requests = Arc::new(AtomicU32::new(0));
        let watch = crate::pipeline::Watch {
            on_step: {
                let step = Arc::clone(&step);
                Arc::new(move |msg: &str| {
                    *step.lock().unwrap_or_else(|e| e.into_inner()) = msg.to_string();
                })
            },
            requests: Arc::clone(&requests),
        };
        let token = ctx.meta.get_progress_token();
        // On a thread of its own, as a fleet's scans run: the timing samples do not share a
        // runtime with this server's I/O.
        let scan = crate::fleet::run::scan_apart(cfg, Some(watch), Some(ctx.ct.clone()));
        tokio::pin!(scan);
        let mut tick = tokio::time::interval(PROGRESS_EVERY);
        let mut last = (u32::MAX, String::new());
        let result = loop {
            tokio::select! {
                r = &mut scan => break r,
                _ = tick.tick() => {
                    let Some(token) = &token else { continue };
                    let now = (
                        requests.load(Ordering::SeqCst),
                        step.lock().unwrap_or_else(|e| e.into_inner()).clone(),
                    );
                    if now != last {
                        let _ = ctx.peer.notify_progress(
                            ProgressNotificationParam::new(token.clone(), f64::from(now.0))
                                .with_total(f64::from(max))
                                .with_message(format!("{} ({} of at most {max} requests)", now.1, now.0)),
                        ).await;
                        last = now;
                    }
                }
            }
        };
        let report = match result {
            None => return Err(ErrorData::internal_error("the scan was cancelled", None)),
            Some(Err(e)) => return Ok(text_error(format!("the scan could not run: {e}"))),
            Some(Ok(r)) => r,
        };
        let (id, stored_in) = match &store {
            Some(store) => {
                let saved = store.save(&report, None).await;
                store.close().await;
                match saved {
                    Ok(s) => (s.id().to_string(), Some(store.shown().to_string())),
                    Err(e) => {
                        return Ok(text_error(format!(
                            "the scan finished (grade {}, {}/100) but was not stored: {e}",
                            report.grade, report.score
                        )))
                    }
                }
            }
            None => (crate::store::new_id(), None),
        };
        self.keep(&id, &report);
        let mut result = text(summary_text(&id, stored_in.as_deref(), &report));
        result.structured_content = Some(summary(&id, stored_in.as_deref(), &report));
        Ok(result)
    }

    #[tool(
        name = "report",
        description = "Render a report made by `scan` (or stored earlier and listed by `history`) \
in one of six formats: markdown (default, best to read: every finding with its evidence and \
remediation for the detected framework or product), json (the whole report, schema_version 1), \
pretty, sarif, junit or html. Give the id `scan` returned; a unique prefix will do."
    )]
    async fn report(
        &self,
        Parameters(input): Parameters<ReportInput>,
    ) -> Result<CallToolResult, ErrorData> {
        let format = match Format::parse(input.format.as_deref().unwrap_or("markdown")) {
            Ok(f) => f,
            Err(e) => return Ok(text_error(e.to_string())),
        };
        let found = match self.made(&input.id) {
            Some(hit) => Some(hit),
            None => match self.open_store().await {
                Ok(Some(store)) => {
                    let r = store.report(&input.id).await;
                    store.close().await;
                    match r {
                        Ok(r) => r,
                        Err(e) => return Ok(text_error(e.to_string())),
                    }
                }
                Ok(None) => None,
                Err(e) => return Ok(text_error(e)),
            },
        };
        let Some((_, report)) = found else {
            let where_ = match &self.store {
                Some(s) => format!("this session or the store {}", s.shown()),
                None => "this session (the server keeps no store: start it with --store to keep reports)".into(),
            };
            return Ok(text_error(format!(
                "no report with id '{}' in {where_}; `scan` returns the id, `history` lists stored ones",
                input.id.trim()
            )));
        };
        match crate::render::render(&report, format, None, false) {
            Ok(s) => Ok(text(s)),
            Err(e) => Ok(text_error(e.to_string())),
        }
    }

    #[tool(
        name = "history",
        description = "Earlier scans kept in the server's history store, per target: the score \
over time and the findings new or fixed since the previous scan, with each scan's id for \
`report`. Needs the server to have been started with --store."
    )]
    async fn history(
        &self,
        Parameters(input): Parameters<HistoryInput>,
    ) -> Result<CallToolResult, ErrorData> {
        use crate::fleet::summary::TableFormat;
        let format = match input.format.as_deref().unwrap_or("markdown") {
            "markdown" | "md" => TableFormat::Markdown,
            "json" => TableFormat::Json,
            other => {
                return Ok(text_error(format!(
                    "history's format is markdown or json, not '{other}'"
                )))
            }
        };
        let since = match input.since.as_deref().map(crate::history::parse_since) {
            None => None,
            Some(Ok(s)) => Some(s),
            Some(Err(e)) => return Ok(text_error(e)),
        };
        let Some(url) = &self.store else {
            return Ok(text_error(
                "this keyhole mcp keeps no history store; the operator can start it with \
                 --store sqlite:keyhole.db (or a postgres:// URL) to keep every scan",
            ));
        };
        let store = match Store::open(url, false).await {
            Ok(s) => s,
            Err(e) => return Ok(text_error(e.to_string())),
        };
        let target = input.target.as_deref().map(|t| t.trim_end_matches('/'));
        let h = crate::history::build(&store, target, since.as_deref()).await;
        store.close().await;
        match h {
            Ok(h) => Ok(text(crate::history::render(&h, format, false))),
            Err(e) => Ok(text_error(e.to_string())),
        }
    }

    #[tool(
        name = "explain",
        description = "Explain a keyhole finding id: what it means, why it matters to an attacker \
and how to fix it, for a framework (flask, django, express, ...) or a catalog product when given. \
No network."
    )]
    async fn explain(
        &self,
        Parameters(input): Parameters<ExplainInput>,
    ) -> Result<CallToolResult, ErrorData> {
        match crate::explain::explain(
            &self.catalog,
            &input.id,
            input.framework.as_deref(),
            input.product.as_deref(),
        ) {
            Ok(e) => {
                let mut result = text(crate::explain::markdown(&e));
                result.structured_content = serde_json::to_value(&e).ok();
                Ok(result)
            }
            Err(e) => Ok(text_error(e.to_string())),
        }
    }
}

#[tool_handler]
impl ServerHandler for KeyholeServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("keyhole", env!("CARGO_PKG_VERSION")))
            .with_instructions(INSTRUCTIONS)
    }
}
