//! keyhole: a black-box scanner for password-spraying exposure of an API's sign-in surfaces.
//!
//! The scan is a pipeline: discover surfaces → probe → analyse → score → render.

pub mod analysis;
pub mod demo;
pub mod discover;
pub mod render;
pub mod report;
