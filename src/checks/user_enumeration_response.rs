//! `auth.user-enumeration.response`: an account that may exist gets a reliably different answer
//! than random, non-existent accounts — status, Location, normalised body, header or cookie names.
//!
//! A feature counts only when every random account agreed on it (the A/A control: what varies
//! between non-existent accounts is noise) and every usable attempt on the candidate agreed on a
//! different value. One sample never makes a finding.

use std::collections::BTreeSet;

use async_trait::async_trait;

use super::{Check, EndpointCtx, FindingDraft, Verdict};
use crate::analysis::normalize::Normalizer;
use crate::probe::enumeration::EnumData;
use crate::probe::Attempt;
use crate::report::{Category, Confidence, Severity};

pub struct ResponseEnumeration;

/// Header names that vary by themselves and say nothing about the account.
const VOLATILE_HEADERS: &[&str] = &[
    "date",
    "content-length",
    "etag",
    "last-modified",
    "expires",
    "age",
    "x-request-id",
    "x-correlation-id",
    "x-runtime",
    "server-timing",
    "set-cookie",
    "connection",
    "keep-alive",
    "transfer-encoding",
    "retry-after",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
    "ratelimit-remaining",
    "ratelimit-reset",
    "ratelimit",
];

/// The comparable features of an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Features {
    pub status: u16,
    pub location: String,
    pub body: String,
    pub headers: BTreeSet<String>,
    pub cookies: BTreeSet<String>,
}

impl Features {
    /// Features of an attempt; `also_mask` are further account names to mask in the body (the
    /// candidate's name, so that a random account's "No such user" equals the candidate "user"'s).
    pub fn of(a: &Attempt, normalizer: &Normalizer, also_mask: &[&str]) -> Option<Features> {
        let r = a.response.as_ref()?;
        let mut echoes = vec![a.account.as_str(), a.password.as_str()];
        echoes.extend_from_slice(also_mask);
        let body = normalizer.normalize(&r.text(), &echoes);
        let location = r
            .header("location")
            .map(|l| crate::analysis::normalize::mask_echoes(l, &[&a.account]))
            .unwrap_or_default();
        let headers = r
            .headers
            .iter()
            .map(|(k, _)| k.clone())
            .filter(|k| !VOLATILE_HEADERS.contains(&k.as_str()))
            .collect();
        let cookies = r
            .headers_all("set-cookie")
            .filter_map(|c| c.split('=').next())
            .map(|n| n.trim().to_string())
            .collect();
        Some(Features {
            status: r.status,
            location,
            body,
            headers,
            cookies,
        })
    }
}

/// A difference that holds in every sample: (feature name, random value, candidate value).
pub fn stable_difference(
    randoms: &[Features],
    cand: &[Features],
) -> Option<(&'static str, String, String)> {
    if randoms.len() < 3 || cand.len() < 2 {
        return None;
    }
    type Get = fn(&Features) -> String;
    let features: [(&'static str, Get); 5] = [
        ("status", |f| f.status.to_string()),
        ("location", |f| f.location.clone()),
        ("body", |f| f.body.clone()),
        ("header names", |f| {
            f.headers.iter().cloned().collect::<Vec<_>>().join(", ")
        }),
        ("cookie names", |f| {
            f.cookies.iter().cloned().collect::<Vec<_>>().join(", ")
        }),
    ];
    for (name, get) in features {
        let r0 = get(&randoms[0]);
        if !randoms.iter().all(|f| get(f) == r0) {
            continue; // noise between non-existent accounts: not usable
        }
        let c0 = get(&cand[0]);
        if cand.iter().all(|f| get(f) != r0) {
            return Some((name, r0, c0));
        }
    }
    None
}

/// A candidate locked after `before` attempts reveals the account when the control account,
/// tried at least as often, never was, and no random account met a throttle.
pub fn lockout_reveals(before: usize, control_attempts: usize, randoms_throttled: bool) -> bool {
    !randoms_throttled && control_attempts > before
}

#[async_trait]
impl Check for ResponseEnumeration {
    fn id(&self) -> &'static str {
        "auth.user-enumeration.response"
    }
    fn category(&self) -> Category {
        Category::Authentication
    }
    fn severity(&self) -> Severity {
        Severity::Medium
    }
    fn title(&self) -> &'static str {
        "Sign-in answers differ for existing accounts"
    }
    fn description(&self) -> &'static str {
        "Compares guessed accounts (admin, root, … and --username) with random non-existent ones after normalisation: status, Location, body, header and cookie names. A difference must hold in every sample of both groups, and random accounts must agree among themselves."
    }

    fn impact(&self) -> &'static str {
        "The sign-in answers existing and non-existent accounts differently, so an attacker learns which usernames are real and sprays only those, staying under every lockout longer."
    }

    async fn run(&self, ctx: &mut EndpointCtx<'_>) -> Verdict {
        let normalizer = ctx.prober.normalizer.clone();
        let boilerplate = ctx.prober.boilerplate.clone();
        let scanner = ctx.prober.scanner;
        let data = ctx.enumeration().await;
        let random_attempts: Vec<&Attempt> = EnumData::usable(&data.random)
            .into_iter()
            .chain(EnumData::usable(&data.control))
            .collect();
        let with_features: Vec<(&Attempt, Features)> = random_attempts
            .iter()
            .filter_map(|a| Features::of(a, &normalizer, &[]).map(|f| (*a, f)))
            .collect();
        let randoms: Vec<Features> = with_features.iter().map(|(_, f)| f.clone()).collect();
        if randoms.len() < 3 {
            return Verdict::Incomplete(format!(
                "too few answers from random accounts to compare ({}){}",
                randoms.len(),
                data.cut_short_note("; ", "")
            ));
        }
        // A lockout only existing accounts get.
        let randoms_throttled = data.throttled.is_some()
            || data
                .random
                .iter()
                .chain(data.control.iter())
                .any(|a| a.is_throttled());
        for locked in &data.locked {
            let before = data
                .candidate_attempts(&locked.account)
                .iter()
                .filter(|a| !a.is_throttled())
                .count();
            if lockout_reveals(before, data.control.len(), randoms_throttled) {
                let control_ex = data.control.last().cloned();
                return Verdict::Found(
                    FindingDraft::new(format!(
                        "Account '{}' met {} after {} failed attempts, while a random non-existent account tried {} times never did: the lockout itself tells an attacker which accounts exist.",
                        locked.account,
                        crate::probe::enumeration::describe(locked),
                        before,
                        data.control.len()
                    ))
                    .evidence_from([locked].into_iter().chain(control_ex.as_ref()))
                    .detail("accounts", vec![locked.account.clone()])
                    .detail("feature", "lockout"),
                );
            }
        }
        // A countdown or lock warning only a guessed account got ("2 more attempts
        // remaining"): random accounts' fixed words are left out (the prober's boilerplate),
        // so the site counted attempts for an account it knows.
        for (account, what) in scanner.warnings() {
            let Some(attempt) = data.candidate_attempts(&account).iter().last() else {
                continue;
            };
            if boilerplate.contains(&what) || random_attempts.len() < 3 {
                continue;
            }
            let control_ex = data.control.last().cloned();
            return Verdict::Found(
                FindingDraft::new(format!(
                    "Account '{account}' was answered \"{what}\" after one failed attempt, while {} random non-existent accounts never were: the site counts attempts only for accounts it knows, which tells an attacker they exist (keyhole stopped trying '{account}' at once).",
                    random_attempts.len()
                ))
                .evidence_from([attempt].into_iter().chain(control_ex.as_ref()))
                .detail("accounts", vec![account.clone()])
                .detail("feature", "countdown"),
            );
        }
        let mut found = Vec::new();
        let mut undecided = 0;
        for (name, attempts) in &data.candidates {
            let usable = EnumData::usable(attempts);
            let feats: Vec<Features> = usable
                .iter()
                .filter_map(|a| Features::of(a, &normalizer, &[]))
                .collect();
            // Mask the candidate's name in random answers too — only those that contain it
            // need normalising again.
            let lower = name.to_lowercase();
            let randoms: Vec<Features> = with_features
                .iter()
                .map(|(a, f)| {
                    if a.text().to_lowercase().contains(&lower) {
                        Features::of(a, &normalizer, &[name.as_str()]).unwrap_or_else(|| f.clone())
                    } else {
                        f.clone()
                    }
                })
                .collect();
            if feats.len() < 2 {
                // One sample differing is a suspicion, not a finding.
                if feats.len() == 1
                    && stable_difference(&randoms, &[feats[0].clone(), feats[0].clone()]).is_some()
                {
                    undecided += 1;
                }
                continue;
            }
            if let Some((feature, r, c)) = stable_difference(&randoms, &feats) {
                found.push((name.clone(), feature, r, c, usable[0].clone()));
            }
        }
        if let Some((name, feature, r, c, a)) = found.first().cloned() {
            let rand_ex = EnumData::usable(&data.random).first().map(|a| (*a).clone());
            let accounts: Vec<String> = found.iter().map(|f| f.0.clone()).collect();
            // A body difference is quoted as the sentences that differ, not the page start.
            let (c, r) = if feature == "body" {
                (
                    crate::analysis::text::quote_difference(&c, &r, 160),
                    crate::analysis::text::quote_difference(&r, &c, 160),
                )
            } else {
                (crate::http::cut(&c, 160), crate::http::cut(&r, 160))
            };
            return Verdict::Found(
                FindingDraft::new(format!(
                    "Account '{name}' got a different {feature} than every random non-existent account ({} vs {}), in all {} of its attempts: the sign-in tells an attacker which accounts exist.",
                    c,
                    r,
                    EnumData::usable(data.candidate_attempts(&name)).len()
                ))
                .confidence(Confidence::High)
                .evidence_from([&a].into_iter().chain(rand_ex.as_ref()))
                .detail("accounts", accounts)
                .detail("feature", feature),
            );
        }
        // A sample cut before any guessed account was tried shows nothing: not a pass.
        let tried = data
            .candidates
            .iter()
            .any(|(_, a)| !EnumData::usable(a).is_empty());
        if !tried && !data.candidates.is_empty() {
            return Verdict::Incomplete(format!(
                "no guessed account was tried{}",
                data.cut_short_note(" (", ")")
            ));
        }
        if undecided > 0 {
            return Verdict::Incomplete(format!(
                "{undecided} account(s) answered differently once but could not be sampled again{}",
                data.cut_short_note(" (", ")")
            ));
        }
        if let Some(why) = data.withheld_reason() {
            return Verdict::Incomplete(why);
        }
        Verdict::Pass
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(status: u16, body: &str) -> Features {
        Features {
            status,
            location: String::new(),
            body: body.into(),
            headers: BTreeSet::new(),
            cookies: BTreeSet::new(),
        }
    }

    #[test]
    fn a_difference_in_every_sample_counts() {
        let r = vec![f(404, "no user"); 5];
        let c = vec![f(401, "bad pw"); 3];
        assert_eq!(stable_difference(&r, &c).map(|d| d.0), Some("status"));
    }

    #[test]
    fn noise_between_random_accounts_is_not_a_signal() {
        let r = vec![f(401, "a"), f(401, "b"), f(401, "c")];
        let c = vec![f(401, "d"), f(401, "d")];
        assert_eq!(stable_difference(&r, &c), None);
    }

    #[test]
    fn a_candidate_that_sometimes_matches_is_not_a_signal() {
        let r = vec![f(401, "x"); 4];
        let c = vec![f(401, "y"), f(401, "x")];
        assert_eq!(stable_difference(&r, &c), None);
    }

    #[test]
    fn a_counter_only_real_accounts_show_is_a_signal() {
        let r = vec![f(401, "Invalid credentials"); 4];
        let c = vec![
            f(401, "Invalid credentials, 2 attempts left"),
            f(401, "Invalid credentials, 1 attempts left"),
        ];
        assert_eq!(stable_difference(&r, &c).map(|d| d.0), Some("body"));
    }

    #[test]
    fn lockout_of_a_candidate_alone_is_a_signal() {
        assert!(lockout_reveals(2, 3, false));
        assert!(!lockout_reveals(3, 2, false), "control tried less often");
        assert!(
            !lockout_reveals(2, 3, true),
            "random accounts were throttled too"
        );
    }

    #[test]
    fn one_sample_is_never_enough() {
        let r = vec![f(401, "x"); 4];
        assert_eq!(stable_difference(&r, &[f(404, "y")]), None);
    }
}
