//! The HTML sign-in form and link parser, on any page text and page URL path.
#![no_main]

use keyhole::discover::html;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    // The first line (bounded) picks the page path, so relative actions resolve differently.
    let (path, page) = match text.split_once('\n') {
        Some((p, rest)) if p.len() < 64 => (p, rest),
        _ => ("", &*text),
    };
    let base = url::Url::parse("http://127.0.0.1:8080/").expect("base url");
    let page_url = base.join(path).unwrap_or(base);
    for form in html::login_forms(page, &page_url) {
        let _ = form.action.as_str();
    }
    for link in html::login_links(page, &page_url) {
        let _ = link.as_str();
    }
});
