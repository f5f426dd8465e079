//! Password-reset and registration pages and routes (the account flows beyond sign-in): the
//! pages other pages link as "Forgot password?" or "Sign up", then the well-known flow paths
//! with GET, then the API ones among them with an empty POST. Runs last, once the sign-in
//! sources had their share of the budget, and only for the flows not skipped.

use async_trait::async_trait;

use super::Source;
use crate::discover::context::Discovering;
use crate::discover::flows;
use crate::report::Flow;

pub struct FlowPaths;

#[async_trait(?Send)]
impl Source for FlowPaths {
    fn name(&self) -> &'static str {
        "account-flow paths"
    }

    async fn run(&self, cx: &mut Discovering<'_>) {
        let skip = cx.scanner.cfg.skip;
        let mut wanted = Vec::new();
        if !skip.reset {
            wanted.push(Flow::PasswordReset);
        }
        if !skip.register {
            wanted.push(Flow::Registration);
        }
        if wanted.is_empty() {
            return;
        }
        flows::look(cx, &wanted).await;
    }
}
