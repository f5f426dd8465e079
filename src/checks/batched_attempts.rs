//! `rate-limit.batched-attempts`: one HTTP request carries several sign-in attempts (GraphQL
//! aliases or an array batch), each really checked, so a limit that counts requests lets
//! several times more guesses through.
//!
//! Runs after the volume probes. A batch of random accounts is sent in each form until one is
//! answered with an independent rejection per attempt. Where nothing throttled the volume
//! probes, that is the finding. Where a throttle stopped single attempts after R, batches are
//! sent again once its window has passed (a Retry-After keyhole waits out, up to
//! [`MAX_WAIT_S`]) until they carried twice R attempts (the throttle counts requests: found)
//! or were throttled before (it counts attempts: pass).

use async_trait::async_trait;

use super::{Check, EndpointCtx, FindingDraft, Verdict};
use crate::graphql::Batch;
use crate::probe::batch::{BatchAnswer, MAX_BATCH};
use crate::probe::flows::retry_after_s;
use crate::report::{Category, Severity};

pub struct BatchedAttempts;

/// The longest throttle window waited out before the batches are sent.
pub const MAX_WAIT_S: u64 = 30;
/// Most batched requests after a throttle.
const MAX_REQUESTS: usize = 8;

/// What the batches showed.
#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    /// No form carried more than one checked attempt.
    OneAttemptPerRequest,
    /// `attempts` got through in `requests` requests with no throttle.
    Through { requests: usize, attempts: usize },
    /// Throttled after `attempts` attempts in `requests` requests.
    Throttled { requests: usize, attempts: usize },
}

/// What the batch answers, in order, show: how many requests and attempts got through before a
/// throttle, if one came (the caller compares that with what single attempts were allowed).
fn decide(answers: &[BatchAnswer]) -> Outcome {
    let mut attempts = 0;
    for (i, b) in answers.iter().enumerate() {
        if b.throttled() > 0 || b.rejected() < 2 {
            return if attempts == 0 {
                if b.throttled() > 0 {
                    Outcome::Throttled {
                        requests: i + 1,
                        attempts: b.rejected(),
                    }
                } else {
                    Outcome::OneAttemptPerRequest
                }
            } else {
                Outcome::Throttled {
                    requests: i + 1,
                    attempts: attempts + b.rejected(),
                }
            };
        }
        attempts += b.rejected();
    }
    if attempts == 0 {
        return Outcome::OneAttemptPerRequest;
    }
    Outcome::Through {
        requests: answers.len(),
        attempts,
    }
}

#[async_trait]
impl Check for BatchedAttempts {
    fn id(&self) -> &'static str {
        "rate-limit.batched-attempts"
    }
    fn category(&self) -> Category {
        Category::RateLimiting
    }
    fn severity(&self) -> Severity {
        Severity::High
    }
    fn title(&self) -> &'static str {
        "Many sign-in attempts ride in one request"
    }
    fn description(&self) -> &'static str {
        "One HTTP request can carry several sign-in attempts (GraphQL aliases or a batch array), each really checked: a limit that counts requests lets several times more guesses through."
    }

    fn impact(&self) -> &'static str {
        "A limit that counts requests lets an attacker try several passwords per request, so a spraying run goes that many times further before anything slows it down."
    }

    async fn run(&self, ctx: &mut EndpointCtx<'_>) -> Verdict {
        if ctx.prober.surface.graphql.is_none() {
            return Verdict::Pass;
        }
        let (e, t) = ctx.throttling().await;
        let wait = t
            .throttled_attempts(e)
            .iter()
            .rev()
            .find_map(|a| a.response.as_ref().and_then(retry_after_s));
        if let Some(c) = &t.unclassified_change {
            return Verdict::Incomplete(c.clone());
        }
        // What the throttle allows single attempts: its own RateLimit-Limit where it says
        // (pacing under a known window makes the burst's count larger than one window's),
        // else the burst's count before the first throttled answer.
        let said = t
            .throttled_attempts(e)
            .into_iter()
            .chain(t.spray.attempts.iter())
            .filter_map(|a| a.response.as_ref().and_then(limit_header))
            .min();
        let single = t.spray.throttled_at.map(|n| said.map_or(n, |l| l.min(n)));
        let still = t.spray.still_throttled || t.one.as_ref().is_some_and(|o| o.still_throttled);
        let throttled_before = single.is_some() || t.one.as_ref().is_some_and(|o| o.throttled());
        if throttled_before {
            match wait {
                Some(s) if s <= MAX_WAIT_S => {
                    ctx.prober.scanner.progress.detail(&format!(
                        "waiting {s} s for the throttle's window before the batched probes"
                    ));
                    tokio::time::sleep(std::time::Duration::from_secs(s + 1)).await;
                }
                _ if still || single.is_some() => {
                    return Verdict::Incomplete(format!(
                        "a throttle stopped single attempts{} and its window is not known to be under {MAX_WAIT_S} s: whether it counts requests or attempts was not measured",
                        single.map(|n| format!(" after {n}")).unwrap_or_default()
                    ));
                }
                _ => {}
            }
        }
        ctx.prober
            .scanner
            .progress
            .step(&format!("probing batched attempts on {}", ctx.label()));
        // The form: aliases first, then an array batch.
        let mut answers: Vec<BatchAnswer> = Vec::new();
        let mut tried = Vec::new();
        for form in [Batch::Aliases, Batch::Array] {
            let Some(r) = ctx.prober.batch(&mut ctx.client, form, MAX_BATCH).await else {
                return Verdict::Pass;
            };
            let b = match r {
                Ok(b) => b,
                Err(e) => return Verdict::Incomplete(format!("a batched request failed: {e}")),
            };
            tried.push(format!(
                "{}: {} of {} attempts rejected one by one",
                form.as_str(),
                b.rejected(),
                MAX_BATCH
            ));
            if b.rejected() >= 2 || b.throttled() > 0 {
                answers.push(b);
                break;
            }
        }
        if answers.is_empty() {
            ctx.observe(
                "batching",
                format!("one attempt per request ({})", tried.join("; ")),
            );
            return Verdict::Pass;
        }
        let form = answers[0].form;
        // After a throttle: more batches until they carried twice what stopped single attempts.
        if let Some(r) = single {
            while answers.len() < MAX_REQUESTS {
                let carried: usize = answers.iter().map(BatchAnswer::rejected).sum();
                let last = answers.last().expect("one at least");
                if carried >= 2 * r || last.throttled() > 0 || last.rejected() < 2 {
                    break;
                }
                match ctx.prober.batch(&mut ctx.client, form, MAX_BATCH).await {
                    Some(Ok(b)) => answers.push(b),
                    Some(Err(e)) if e.is_exhaustion() => break,
                    Some(Err(e)) => {
                        return Verdict::Incomplete(format!("a batched request failed: {e}"))
                    }
                    None => break,
                }
            }
        }
        let k = answers[0].classes.len();
        let outcome = decide(&answers);
        let evidence: Vec<_> = answers.iter().take(2).map(|b| &b.attempt).collect();
        match (outcome, single) {
            (Outcome::OneAttemptPerRequest, _) => Verdict::Pass,
            (Outcome::Through { requests, attempts }, None) => Verdict::Found(
                FindingDraft::new(format!(
                    "One request carried {k} sign-in attempts ({}), each rejected on its own, and nothing throttled: {attempts} attempts took {requests} request{}.",
                    describe(form),
                    if requests == 1 { "" } else { "s" }
                ))
                .evidence_from(evidence)
                .detail("attempts_per_request", k)
                .detail("form", form.as_str())
                .detail("requests", requests)
                .detail("attempts", attempts),
            ),
            (Outcome::Through { requests, attempts }, Some(r)) if attempts >= 2 * r => {
                Verdict::Found(
                    FindingDraft::new(format!(
                        "A throttle allows {r} single attempts, but it counts requests: {requests} requests carrying {k} attempts each ({}) got {attempts} attempts checked without a throttle.",
                        describe(form)
                    ))
                    .evidence_from(evidence)
                    .detail("attempts_per_request", k)
                    .detail("form", form.as_str())
                    .detail("requests", requests)
                    .detail("attempts", attempts)
                    .detail("throttled_single_attempts_after", r),
                )
            }
            (Outcome::Through { attempts, .. }, Some(r)) => Verdict::Incomplete(format!(
                "batches ({}) carried {attempts} checked attempts, not yet twice the {r} single attempts a throttle allows: the budget ended the probe",
                describe(form)
            )),
            (Outcome::Throttled { requests, attempts }, _) => {
                ctx.observe(
                    "batching",
                    format!(
                        "batched attempts ({}) were throttled after {attempts} attempts in {requests} request{}: the throttle counts attempts",
                        describe(form),
                        if requests == 1 { "" } else { "s" }
                    ),
                );
                Verdict::Pass
            }
        }
    }
}

/// The request allowance a `RateLimit-Limit` / `X-RateLimit-Limit` header states (`10`, or
/// `10, 10;w=60`), when it is a small number.
fn limit_header(r: &crate::http::Response) -> Option<usize> {
    let v = r
        .header("ratelimit-limit")
        .or_else(|| r.header("x-ratelimit-limit"))?;
    let n: usize = v.split([',', ';']).next()?.trim().parse().ok()?;
    (1..=100).contains(&n).then_some(n)
}

fn describe(form: Batch) -> &'static str {
    match form {
        Batch::Aliases => "GraphQL aliases of the mutation",
        Batch::Array => "a GraphQL batch array",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::classify::{Class, ThrottleKind};
    use crate::probe::Attempt;
    use crate::scan::Role;

    fn answer(rejected: usize, throttled: usize, none: usize) -> BatchAnswer {
        let mut classes = vec![Some(Class::Rejected); rejected];
        classes.extend(vec![
            Some(Class::Throttled(ThrottleKind::TooManyRequests));
            throttled
        ]);
        classes.extend(vec![None; none]);
        BatchAnswer {
            form: Batch::Aliases,
            attempt: Attempt::synthetic("a", Role::Random, 1.0, None),
            classes,
        }
    }

    #[test]
    fn batches_rejected_one_by_one_get_through() {
        let a = [answer(10, 0, 0), answer(10, 0, 0)];
        assert_eq!(
            decide(&a),
            Outcome::Through {
                requests: 2,
                attempts: 20
            }
        );
    }

    #[test]
    fn a_throttle_inside_the_batch_counts_attempts() {
        assert_eq!(
            decide(&[answer(5, 5, 0)]),
            Outcome::Throttled {
                requests: 1,
                attempts: 5
            }
        );
        assert_eq!(
            decide(&[answer(10, 0, 0), answer(0, 10, 0)]),
            Outcome::Throttled {
                requests: 2,
                attempts: 10
            }
        );
    }

    #[test]
    fn one_answer_for_many_calls_is_not_batching() {
        assert_eq!(decide(&[answer(1, 0, 9)]), Outcome::OneAttemptPerRequest);
        assert_eq!(decide(&[answer(0, 0, 10)]), Outcome::OneAttemptPerRequest);
    }
}
