//! keyhole: a black-box scanner for password-spraying exposure of an API's sign-in surfaces.
//!
//! The scan is a pipeline: discover surfaces → probe → analyse → score → render.

pub mod analysis;
pub mod baseline;
pub mod catalog;
pub mod checks;
pub mod cli;
pub mod config;
pub mod demo;
pub mod discover;
pub mod exit;
pub mod explain;
pub mod fleet;
pub mod graphql;
pub mod history;
pub mod http;
pub mod mcp;
pub mod pipeline;
pub mod probe;
pub mod render;
pub mod report;
pub mod scan;
pub mod store;
pub mod surface;
pub mod worker;
