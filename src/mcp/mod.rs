//! `keyhole mcp`: the Model Context Protocol on stdio (SPEC v3 "Assistants"), on the official
//! Rust SDK (`rmcp`). Four tools: `scan`, `report`, `history` and `explain` ([`server`]).
//!
//! The caller may be a language model steered by text it read elsewhere, so the server, not the
//! caller, decides what may happen:
//! - only loopback and the hosts the operator allowed are scanned ([`allow`]);
//! - the owned account and its password (`--username`, `--password-env`) come from the server's
//!   own flags, keyhole.toml and environment, never from a tool argument; no tool takes a file
//!   path (no `--output`, `--baseline`, `--config` or `--catalog` from the caller);
//! - every safety promise of `keyhole scan` holds, since a tool call runs the same scan.

pub mod allow;
pub mod server;

use std::path::PathBuf;

use crate::config::Overrides;

/// What `keyhole mcp` was started with, parsed once by the CLI.
#[derive(Debug, Clone, Default)]
pub struct McpOptions {
    /// `--allow HOST` (repeatable), added to `mcp.allow` of the config file.
    pub allow: Vec<String>,
    /// `--store URL`: keep every report made here, and read `history` from it.
    pub store: Option<String>,
    /// `--config FILE` (default ./keyhole.toml when present): scan defaults and `mcp.allow`.
    pub config: Option<PathBuf>,
    /// The operator's scan defaults given as flags (username, password-env, catalog, ...).
    pub flags: Overrides,
}

/// Why the server cannot start (one line, exit 2).
#[derive(Debug, thiserror::Error)]
pub enum McpError {
    #[error(transparent)]
    Allow(#[from] allow::BadAllow),
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error("mcp.allow in {0}: {1}")]
    FileAllow(String, allow::BadAllow),
    #[error("the MCP connection failed: {0}")]
    Serve(String),
}

/// Serve on stdin/stdout until the client closes the connection.
pub async fn run(opts: McpOptions) -> Result<(), McpError> {
    use rmcp::ServiceExt;
    let server = server::KeyholeServer::new(&opts)?;
    let service = server
        .serve(rmcp::transport::stdio())
        .await
        .map_err(|e| McpError::Serve(crate::store::one_line(&e.to_string())))?;
    service
        .waiting()
        .await
        .map_err(|e| McpError::Serve(crate::store::one_line(&e.to_string())))?;
    Ok(())
}
