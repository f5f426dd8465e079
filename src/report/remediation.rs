//! Remediation text per finding id, in the words of the detected framework.
//! (Owned by the renderers/remediation work; placeholder until filled in.)

use super::model::Framework;

/// Remediation for finding `id` on an API built with `framework`.
pub fn text(id: &str, framework: Framework) -> String {
    let _ = framework;
    format!("See the keyhole documentation for {id}.")
}
