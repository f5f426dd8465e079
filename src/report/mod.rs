//! Report model, scoring and remediation text.

pub mod model;
pub mod remediation;
pub mod score;

pub use model::*;
