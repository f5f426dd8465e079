//! Several sign-in attempts in one request (GraphQL aliases or an array batch), for
//! `rate-limit.batched-attempts`. Only random, non-existent accounts ride in a batch (never a
//! guessed or owned one), at most [`MAX_BATCH`] per request; each request counts against the
//! budget like any other.

use super::{Attempt, Client, ProbeError, Prober};
use crate::analysis::classify::Class;
use crate::graphql::{split, Batch};
use crate::scan::Role;

/// Most attempts one request carries (SPEC: at most 10).
pub const MAX_BATCH: usize = 10;

/// One batched request and what each of its attempts came to.
#[derive(Debug, Clone)]
pub struct BatchAnswer {
    pub form: Batch,
    /// The whole request and answer (evidence), classed by its attempts: rejected when every
    /// one was.
    pub attempt: Attempt,
    /// Each attempt's class, None where the answer has nothing for it.
    pub classes: Vec<Option<Class>>,
}

impl BatchAnswer {
    /// Attempts the answer rejected one by one: each was really checked.
    pub fn rejected(&self) -> usize {
        self.classes
            .iter()
            .filter(|c| **c == Some(Class::Rejected))
            .count()
    }

    /// Attempts answered with a throttle.
    pub fn throttled(&self) -> usize {
        self.classes
            .iter()
            .filter(|c| c.is_some_and(Class::is_throttled))
            .count()
    }
}

impl Prober<'_> {
    /// Send one request carrying `k` (at most [`MAX_BATCH`]) attempts for random accounts in
    /// the `form` given; None when this surface cannot carry several attempts.
    pub async fn batch(
        &self,
        client: &mut Client,
        form: Batch,
        k: usize,
    ) -> Option<Result<BatchAnswer, ProbeError>> {
        let op = self.surface.graphql.as_deref()?;
        let k = k.clamp(1, MAX_BATCH);
        let password = self.scanner.password();
        let accounts: Vec<String> = (0..k)
            .map(|_| self.scanner.random_account(self.identifier()))
            .collect();
        let calls: Vec<_> = accounts
            .iter()
            .map(|a| self.surface.graphql_args(op, Some(a), Some(&password)))
            .collect();
        let req = op.batch_request(&self.surface.url, &calls, form, &self.surface.headers);
        let mut resp = match self.scanner.engine.send(&req, Some(&*client.jar)).await {
            Ok(r) => r,
            Err(e) => return Some(Err(ProbeError::Http(e))),
        };
        let classes: Vec<Option<Class>> = split(&resp, k, form, &op.field)
            .iter()
            .map(|v| v.as_ref().map(|r| self.judge(r)))
            .collect();
        resp.shrink(crate::http::ATTEMPT_KEEP);
        let all_rejected = classes.iter().all(|c| *c == Some(Class::Rejected));
        let attempt = Attempt {
            account: accounts.join(","),
            password: password.clone(),
            role: Role::Random,
            ms: resp.elapsed_ms(),
            norm: self.normalizer.normalize(&resp.text(), &[&password]),
            request: req,
            response: Some(resp),
            error: None,
            class: if all_rejected {
                Class::Rejected
            } else {
                Class::Other
            },
            wave: None,
        };
        Some(Ok(BatchAnswer {
            form,
            attempt,
            classes,
        }))
    }
}
