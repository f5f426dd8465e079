//! The JSON report reader used by --baseline and `keyhole render`, and every renderer of a report
//! read from such a file.
#![no_main]

use keyhole::config::Format;
use keyhole::report::Report;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let baseline = keyhole::baseline::parse(text).ok();
    let Ok(value) = serde_json::from_str::<serde_json::Value>(text) else {
        return;
    };
    let Ok(report) = serde_json::from_value::<Report>(value.clone()) else {
        return;
    };
    let comparison = match &baseline {
        Some(b) => Some(keyhole::baseline::compare(b, &report)),
        None => keyhole::baseline::Comparison::from_report_json(&value),
    };
    for format in [
        Format::Pretty,
        Format::Json,
        Format::Sarif,
        Format::Junit,
        Format::Markdown,
        Format::Html,
    ] {
        // Any report that parsed renders: an Err is a template bug, which fuzzing must find.
        keyhole::render::render(&report, format, comparison.as_ref(), false)
            .unwrap_or_else(|e| panic!("{format:?}: {e}"));
        keyhole::render::render(&report, format, None, true)
            .unwrap_or_else(|e| panic!("{format:?}: {e}"));
    }
});
