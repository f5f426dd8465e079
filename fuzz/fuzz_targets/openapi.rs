//! The OpenAPI / Swagger reader, on any document text.
#![no_main]

use keyhole::discover::openapi;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let doc_url = url::Url::parse("http://127.0.0.1:8080/api/openapi.json").expect("doc url");
    if let Ok(info) = openapi::parse(text, &doc_url) {
        for op in &info.operations {
            let _ = op.url.as_str();
        }
    }
});
