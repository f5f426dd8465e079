//! Renderers: turn the report model into bytes. They never touch the network.

pub mod json;
pub mod pretty;
