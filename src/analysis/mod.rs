//! Analysis helpers shared by the checks: statistics, response normalisation and classification.

pub mod stats;
