//! Scans of the built-in demo API, in-process through the library: the vulnerable variant must
//! show exactly its weaknesses, the hardened twin none, and both stay within the safety promises.

use std::collections::BTreeSet;

use keyhole::config::{Overrides, ScanConfig, Verbosity};
use keyhole::report::Report;

async fn scan(base: &str) -> Report {
    let cfg = ScanConfig::build(base, Overrides::default(), Verbosity::Quiet, false).unwrap();
    keyhole::pipeline::scan(cfg).await.expect("scan runs")
}

fn ids(r: &Report) -> BTreeSet<String> {
    r.findings.iter().map(|f| f.id.clone()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vulnerable_demo_shows_its_weaknesses() {
    let server = keyhole::demo::start(false).await.unwrap();
    let r = scan(&server.base_url()).await;
    let expected: BTreeSet<String> = [
        "rate-limit.missing",
        "auth.user-enumeration.response",
        "auth.user-enumeration.timing",
        "auth.verbose-error",
        "auth.user-enumeration.reset",
        "rate-limit.reset-missing",
        "auth.user-enumeration.registration",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(ids(&r), expected, "{:#?}", r.findings);
    let flows: Vec<(&str, &str)> = r
        .endpoints
        .iter()
        .map(|e| {
            (
                e.flow.as_str(),
                e.url.rsplit_once(':').map_or("", |(_, p)| p),
            )
        })
        .collect();
    assert_eq!(flows.len(), 3, "{flows:?}");
    assert!(r.endpoints[0].url.ends_with("/api/v1/auth/login"));
    assert_eq!(r.endpoints[0].flow, keyhole::report::Flow::SignIn);
    let reset = r
        .endpoints
        .iter()
        .find(|e| e.flow == keyhole::report::Flow::PasswordReset)
        .expect("the reset endpoint is listed");
    assert!(reset.url.ends_with("/api/auth/forgot-password"));
    assert_eq!(reset.password_field, None);
    let register = r
        .endpoints
        .iter()
        .find(|e| e.flow == keyhole::report::Flow::Registration)
        .expect("the registration endpoint is listed");
    assert!(register.url.ends_with("/api/auth/register"));
    // 100 - 25 (high) - 5 x 10 (medium) - 3 (low)
    assert_eq!(r.score, 22);
    assert_eq!(r.grade, "F");
    assert!(r.stats.requests <= 250);
    for f in &r.findings {
        assert!(!f.evidence.is_empty(), "{} has evidence", f.id);
        assert!(!f.remediation.is_empty());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hardened_demo_is_clean_and_its_throttle_observed() {
    let server = keyhole::demo::start(true).await.unwrap();
    let r = scan(&server.base_url()).await;
    assert!(ids(&r).is_empty(), "{:#?}", r.findings);
    assert_eq!(r.grade, "A");
    assert!(r.categories.iter().all(|c| c.tested));
    assert!(
        r.observations.iter().any(|o| o.kind == "throttle"),
        "{:#?}",
        r.observations
    );
    // The hardened reset is throttled, and says so.
    assert!(
        r.observations
            .iter()
            .any(|o| o.kind == "throttle" && o.endpoint.ends_with("/api/auth/forgot-password")),
        "{:#?}",
        r.observations
    );
    assert_eq!(r.endpoints.len(), 3, "{:#?}", r.endpoints);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_requests_is_never_exceeded() {
    let server = keyhole::demo::start(false).await.unwrap();
    for cap in [1, 7, 40, 90] {
        let o = Overrides {
            max_requests: Some(cap),
            ..Default::default()
        };
        let cfg = ScanConfig::build(&server.base_url(), o, Verbosity::Quiet, false).unwrap();
        let r = keyhole::pipeline::scan(cfg).await.expect("scan runs");
        assert!(
            r.stats.requests <= cap as u32,
            "cap {cap}: {}",
            r.stats.requests
        );
    }
}
