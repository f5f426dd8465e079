//! The response classifier and the fingerprinting of responses: any status, headers and body.
#![no_main]

use std::time::Duration;

use arbitrary::Arbitrary;
use keyhole::analysis::classify::{self, ResponseModel};
use keyhole::http::Response;
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    ttfb_ms: u16,
}

impl Resp {
    fn build(self) -> Response {
        Response {
            status: self.status,
            headers: self
                .headers
                .into_iter()
                .take(32)
                .map(|(k, v)| (k.to_ascii_lowercase(), v))
                .collect(),
            truncated: self.body.len() >= keyhole::http::BODY_CAP,
            body: bytes::Bytes::from(self.body),
            ttfb: Duration::from_millis(self.ttfb_ms as u64),
            total: Duration::from_millis(self.ttfb_ms as u64 + 1),
        }
    }
}

#[derive(Debug, Arbitrary)]
struct Input {
    resp: Resp,
    baseline: Option<Resp>,
}

fuzz_target!(|input: Input| {
    let resp = input.resp.build();
    let baseline = input.baseline.map(|b| ResponseModel::from_response(&b.build()));
    let class = classify::classify(&resp, baseline.as_ref());
    let _ = class.is_throttled();
    let _ = classify::classify(&resp, None);
    let text = resp.text();
    let _ = classify::has_throttle_text(&text);
    let _ = classify::speaks_of_credentials(&text);
    let _ = classify::has_csrf_text(&text);
    let _ = keyhole::discover::fingerprint::signals(&resp);
    let _ = resp.is_html();
    let _ = resp.elapsed_ms();
});
