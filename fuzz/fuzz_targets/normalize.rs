//! The body normaliser: learning volatile parts from two bodies, then masking echoes, volatile
//! values and learned anchors.
#![no_main]

use arbitrary::Arbitrary;
use keyhole::analysis::normalize::{self, Normalizer};
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
struct Input<'a> {
    a: &'a str,
    b: &'a str,
    body: &'a str,
    echoes: Vec<&'a str>,
}

fuzz_target!(|input: Input| {
    let mut n = Normalizer::new();
    n.learn(input.a, input.b);
    n.learn(input.b, input.body);
    let echoes: Vec<&str> = input.echoes.iter().copied().take(4).collect();
    let out = n.normalize(input.body, &echoes);
    // Normalising twice is stable in length class: it never blows up the text.
    assert!(
        out.len() <= input.body.len() * 8 + 64,
        "normalised text grew too much"
    );
    let _ = n.normalize(input.a, &[]);
    let _ = normalize::mask_volatile(input.body);
    let _ = normalize::mask_echoes(input.body, &echoes);
    let _ = n.anchors();
});
