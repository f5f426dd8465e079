//! Password-reset and registration pages (the account flows beyond sign-in): the pages other
//! pages link as "Forgot password?" or "Sign up". Runs last, and only for the flows not
//! skipped. The well-known flow paths are asked later, with what the sign-ins leave of the
//! budget ([`crate::discover::late_flows`]).

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
        flows::visit_linked(cx, &wanted).await;
    }
}
