//! Analysis helpers shared by the checks: statistics, response normalisation and classification.

pub mod classify;
pub mod normalize;
pub mod stats;
pub mod text;
pub mod validators;
