//! A throttle is a change. During a burst, an answer that departs from the endpoint's learned
//! rejection in a way the random accounts' first attempts never showed is a protection: a new
//! sentence that reads as a throttle ("Please wait one minute before next login"), a
//! `RateLimit-Remaining` / `X-RateLimit-Remaining` that reaches 0, a `Retry-After` that appears,
//! a captcha that appears, a redirect elsewhere that speaks of a lock. A lasting change keyhole
//! cannot classify (a new sentence about something else, a redirect elsewhere) makes the
//! rate-limit checks incomplete: never `rate-limit.missing` on a burst whose answers changed.

use std::collections::HashSet;

use super::throttle::Burst;
use super::Attempt;
use crate::analysis::classify::{has_captcha, has_throttle_text, Class, ThrottleKind};
use crate::analysis::text;

/// What the random accounts' first rejections look like: the reference a burst's answers are
/// compared with.
#[derive(Debug, Clone, Default)]
pub struct Reference {
    /// Every sentence any reference answer had (normalised body: echoes, tokens masked).
    sentences: HashSet<String>,
    /// The reference answers agree on their sentences: a new one means something. On a page
    /// whose text varies by itself, only sentences that read as a throttle count.
    stable: bool,
    retry_after: bool,
    captcha: bool,
    /// The common Location of the references (None: they had none or disagreed).
    location: Option<String>,
    any_location: bool,
    count: usize,
}

impl Reference {
    pub fn of(refs: &[&Attempt]) -> Reference {
        let mut r = Reference {
            count: refs.len(),
            ..Reference::default()
        };
        let mut sets: Vec<HashSet<String>> = Vec::new();
        let mut locations: Vec<String> = Vec::new();
        for a in refs {
            let Some(resp) = a.response.as_ref() else {
                continue;
            };
            let set: HashSet<String> = text::body_sentences(&a.norm).into_iter().collect();
            r.sentences.extend(set.iter().cloned());
            sets.push(set);
            r.retry_after |= resp.header("retry-after").is_some();
            r.captcha |= has_captcha(&a.norm);
            if let Some(l) = resp.header("location") {
                locations.push(location_path(l, &a.account));
            }
        }
        r.stable = sets.len() >= 2 && sets.iter().all(|s| *s == sets[0]);
        r.any_location = !locations.is_empty();
        if !locations.is_empty()
            && locations.len() == sets.len()
            && locations.iter().all(|l| *l == locations[0])
        {
            r.location = Some(locations[0].clone());
        }
        r
    }
}

/// How one answer departs from the reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Departure {
    pub what: String,
    /// It reads as a throttle.
    pub throttle: bool,
}

/// The path of a Location (query dropped, the account masked): where a redirect goes.
fn location_path(l: &str, account: &str) -> String {
    let l = l.split(['?', '#']).next().unwrap_or("");
    crate::analysis::normalize::mask_echoes(l, &[account])
}

/// A remaining-requests header at 0 (`X-RateLimit-Remaining: 0`, `RateLimit-Remaining: 0`, or
/// the structured `RateLimit: limit=10, remaining=0`).
fn remaining_zero(a: &Attempt) -> Option<String> {
    let resp = a.response.as_ref()?;
    for (k, v) in &resp.headers {
        let v = v.trim();
        let named = matches!(
            k.as_str(),
            "x-ratelimit-remaining" | "ratelimit-remaining" | "x-rate-limit-remaining"
        );
        if named && v.parse::<f64>().is_ok_and(|n| n <= 0.0) {
            return Some(format!("{k}: {v}"));
        }
        if k == "ratelimit" {
            let zero = v.split([',', ';']).any(|p| {
                let p = p.trim().to_ascii_lowercase();
                p == "remaining=0" || p == "r=0"
            });
            if zero {
                return Some(format!("{k}: {v}"));
            }
        }
    }
    None
}

/// How `a` departs from `reference`, if it does.
pub fn departure(a: &Attempt, reference: &Reference) -> Option<Departure> {
    let resp = a.response.as_ref()?;
    if reference.count == 0 {
        return None;
    }
    if let Some(h) = remaining_zero(a) {
        return Some(Departure {
            what: format!("the answer carried {h}"),
            throttle: true,
        });
    }
    if !reference.retry_after {
        if let Some(v) = resp.header("retry-after") {
            return Some(Departure {
                what: format!("a Retry-After: {v} appeared"),
                throttle: true,
            });
        }
    }
    if !reference.captcha && has_captcha(&a.norm) {
        return Some(Departure {
            what: "a captcha appeared".into(),
            throttle: true,
        });
    }
    let new: Vec<String> = text::body_sentences(&a.norm)
        .into_iter()
        .filter(|s| !reference.sentences.contains(s))
        .collect();
    if let Some(s) = new.iter().find(|s| has_throttle_text(s)) {
        return Some(Departure {
            what: format!("a new sentence: \"{}\"", crate::http::cut(s, 160)),
            throttle: true,
        });
    }
    if let Some(l) = resp.header("location") {
        let path = location_path(l, &a.account);
        if reference.location.as_deref().is_some_and(|r| r != path) {
            return Some(Departure {
                what: format!("a redirect elsewhere ({path})"),
                throttle: has_throttle_text(&path.replace(['/', '-', '_'], " ")),
            });
        }
    } else if reference.location.is_some() {
        return Some(Departure {
            what: "the usual redirect stopped".into(),
            throttle: false,
        });
    }
    if reference.stable {
        if let Some(s) = new.first() {
            return Some(Departure {
                what: format!("a new sentence: \"{}\"", crate::http::cut(s, 160)),
                throttle: false,
            });
        }
    }
    None
}

/// Read a burst's ordinary rejections against `reference`: answers that depart in a way that
/// reads as a throttle are re-classed as [`ThrottleKind::Changed`] (the burst is then throttled
/// from the first of them); a departure that does not read as a throttle but lasts (the burst's
/// last two answers have one) is returned as the reason the rate-limit checks cannot decide.
pub fn apply(burst: &mut Burst, reference: &Reference) -> Option<String> {
    let mut first_throttle: Option<(usize, String)> = None;
    let mut unclassified: Vec<(usize, String)> = Vec::new();
    for (i, a) in burst.attempts.iter_mut().enumerate() {
        if a.class != Class::Rejected {
            continue;
        }
        let Some(d) = departure(a, reference) else {
            continue;
        };
        if d.throttle {
            a.class = Class::Throttled(ThrottleKind::Changed);
            if first_throttle.is_none() {
                first_throttle = Some((i, d.what));
            }
        } else {
            unclassified.push((i, d.what));
        }
    }
    if let Some((i, what)) = first_throttle {
        let n = burst.prior + i + 1;
        if burst.throttled_at.is_none_or(|t| n < t) {
            burst.throttled_at = Some(n);
            burst.kind = Some(ThrottleKind::Changed);
            burst.change = Some(what);
        }
        let last_two = burst.attempts.iter().rev().take(2);
        burst.still_throttled |=
            last_two.clone().count() > 0 && last_two.into_iter().all(|a| a.is_throttled());
        return None;
    }
    let n = burst.attempts.len();
    let lasting = unclassified.len() >= 2
        && unclassified.iter().any(|(i, _)| *i + 1 == n)
        && unclassified.iter().any(|(i, _)| *i + 2 == n);
    lasting.then(|| {
        let (i, what) = &unclassified[0];
        format!(
            "from attempt {} of the burst on, the answers departed from the usual rejection ({what}) and keyhole cannot tell whether that is a throttle",
            burst.prior + i + 1
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::Response;
    use crate::probe::throttle::Pattern;
    use crate::scan::Role;

    fn attempt(account: &str, status: u16, headers: &[(&str, &str)], body: &str) -> Attempt {
        let mut a = Attempt::synthetic(account, Role::Random, 5.0, None);
        let resp = Response::synthetic(status, headers, body);
        a.norm = crate::analysis::normalize::mask_echoes(&resp.text(), &[account]);
        a.response = Some(resp);
        a
    }

    const FORM: &str = "<html><body><form><p class=err>Wrong username or password.</p><input type=password name=p></form></body></html>";

    fn refs() -> Vec<Attempt> {
        (0..4)
            .map(|i| attempt(&format!("rnd{i}"), 401, &[], FORM))
            .collect()
    }

    #[test]
    fn a_new_sentence_that_reads_as_a_wait_is_a_throttle() {
        let refs = refs();
        let r = Reference::of(&refs.iter().collect::<Vec<_>>());
        let mut burst = Burst::new(Pattern::Spray, 10, None);
        for i in 0..6 {
            burst
                .attempts
                .push(attempt(&format!("b{i}"), 401, &[], FORM));
        }
        let wait = FORM.replace(
            "</form>",
            "<p>Please wait one minute before next login</p></form>",
        );
        for i in 6..9 {
            burst
                .attempts
                .push(attempt(&format!("b{i}"), 401, &[], &wait));
        }
        assert_eq!(apply(&mut burst, &r), None);
        assert_eq!(burst.throttled_at, Some(17));
        assert_eq!(burst.kind, Some(ThrottleKind::Changed));
        assert!(burst.still_throttled);
        assert!(burst
            .change
            .as_deref()
            .unwrap()
            .contains("Please wait one minute"));
    }

    #[test]
    fn remaining_at_zero_and_a_new_retry_after_are_throttles() {
        let refs: Vec<Attempt> = (0..3)
            .map(|i| {
                attempt(
                    &format!("r{i}"),
                    401,
                    &[("x-ratelimit-remaining", "9")],
                    FORM,
                )
            })
            .collect();
        let r = Reference::of(&refs.iter().collect::<Vec<_>>());
        let zero = attempt("z", 401, &[("x-ratelimit-remaining", "0")], FORM);
        assert!(departure(&zero, &r).unwrap().throttle);
        let ra = attempt("z", 401, &[("retry-after", "60")], FORM);
        assert!(departure(&ra, &r).unwrap().throttle);
        let draft = attempt(
            "z",
            401,
            &[("ratelimit", "limit=10, remaining=0, reset=5")],
            FORM,
        );
        assert!(departure(&draft, &r).unwrap().throttle);
        // Retry-After on every answer, the references' too, is not a change.
        let refs: Vec<Attempt> = (0..3)
            .map(|i| attempt(&format!("r{i}"), 401, &[("retry-after", "60")], FORM))
            .collect();
        let r = Reference::of(&refs.iter().collect::<Vec<_>>());
        assert_eq!(departure(&ra, &r), None);
    }

    #[test]
    fn a_lasting_change_that_is_not_a_throttle_makes_the_burst_undecided() {
        let refs = refs();
        let r = Reference::of(&refs.iter().collect::<Vec<_>>());
        let mut burst = Burst::new(Pattern::Spray, 0, None);
        let other = FORM.replace("</form>", "<p>Something else happened here.</p></form>");
        for i in 0..3 {
            burst
                .attempts
                .push(attempt(&format!("b{i}"), 401, &[], FORM));
        }
        for i in 3..6 {
            burst
                .attempts
                .push(attempt(&format!("b{i}"), 401, &[], &other));
        }
        let why = apply(&mut burst, &r).expect("undecided");
        assert!(why.contains("attempt 4"), "{why}");
        assert!(!burst.throttled());
    }

    #[test]
    fn pages_that_vary_by_themselves_only_count_throttle_sentences() {
        let refs: Vec<Attempt> = (0..3)
            .map(|i| {
                attempt(
                    &format!("r{i}"),
                    401,
                    &[],
                    &FORM.replace(
                        "</form>",
                        &format!("<p>Tip number {i} of the day.</p></form>"),
                    ),
                )
            })
            .collect();
        let r = Reference::of(&refs.iter().collect::<Vec<_>>());
        let mut burst = Burst::new(Pattern::Spray, 0, None);
        for i in 0..4 {
            burst.attempts.push(attempt(
                &format!("b{i}"),
                401,
                &[],
                &FORM.replace(
                    "</form>",
                    &format!("<p>Tip number {} of the day.</p></form>", i + 7),
                ),
            ));
        }
        assert_eq!(apply(&mut burst, &r), None);
        assert!(!burst.throttled());
    }

    #[test]
    fn echoed_accounts_are_not_changes() {
        let refs: Vec<Attempt> = (0..3)
            .map(|i| {
                let acct = format!("randomacct{i}");
                attempt(
                    &acct,
                    401,
                    &[],
                    &format!("<p>The username <b>{acct}</b> is not registered on this site.</p>"),
                )
            })
            .collect();
        let r = Reference::of(&refs.iter().collect::<Vec<_>>());
        let a = attempt(
            "otheracct9",
            401,
            &[],
            "<p>The username <b>otheracct9</b> is not registered on this site.</p>",
        );
        assert_eq!(departure(&a, &r), None);
    }
}
