//! The target URL and option checks (`keyhole scan URL --endpoint PATH`): any text either becomes
//! a config whose target is an http(s) origin without credentials, with endpoints on that origin,
//! or a one-line error.
#![no_main]

use keyhole::config::{Overrides, ScanConfig, Verbosity};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (target, endpoint) = text.split_once('\n').unwrap_or((text, ""));
    let o = Overrides {
        endpoint: if endpoint.is_empty() {
            Vec::new()
        } else {
            vec![endpoint.to_string()]
        },
        ..Default::default()
    };
    match ScanConfig::build(target, o, Verbosity::Quiet, false) {
        Ok(cfg) => {
            let url = &cfg.target;
            assert!(matches!(url.scheme(), "http" | "https"), "{url}");
            assert!(url.host_str().is_some_and(|h| !h.is_empty()), "{url}");
            assert!(
                url.username().is_empty() && url.password().is_none(),
                "{url}"
            );
            assert_ne!(url.port(), Some(0), "{url}");
            for e in &cfg.endpoints {
                let joined = url.join(e.trim()).expect("a checked endpoint joins");
                assert_eq!(joined.origin(), url.origin(), "{e}");
            }
        }
        Err(e) => {
            // The CLI folds line breaks the user typed; the messages themselves have none.
            let msg = e.to_string();
            if !text.contains('\r') && !endpoint.contains('\n') {
                assert!(!msg.contains('\n'), "a multi-line error: {msg:?}");
            }
        }
    }
});
