//! `auth.debug-exposure`: the sign-in surface shows a debugger, stack trace or framework debug
//! page when it gets a request it cannot handle.

use std::sync::LazyLock;

use async_trait::async_trait;
use regex::Regex;

use super::{Check, EndpointCtx, FindingDraft, Verdict};
use crate::http::{Body, Request};
use crate::probe::{Attempt, Client, Prober};
use crate::report::{Category, Severity, SurfaceKind};

pub struct DebugExposure;

/// Signatures of debug pages and stack traces: (what it is, pattern).
static SIGNATURES: LazyLock<Vec<(&'static str, Regex)>> = LazyLock::new(|| {
    [
        ("Werkzeug interactive debugger", r"Werkzeug Debugger|__debugger__|The debugger caught an exception"),
        ("Python traceback", r"Traceback \(most recent call last\)"),
        ("Django technical error page", r#"You(&#x27;|&#39;|'|’|&rsquo;)re seeing (this error|the help section of this page) because you have\s*<code>DEBUG\s*=\s*True</code>|<th( scope="row")?>Django Version:</th>"#),
        ("Node.js/Express stack trace", r"(?m)(^|<br>|\n)(\s|&nbsp;)*at [^\n<]{0,200}?\(?(/|[A-Za-z]:\\|node:)[^)\s<]+:\d+:\d+\)?"),
        ("Rails exception page", r"Action Controller: Exception caught|<h2[^>]*>Application Trace"),
        ("Laravel/Ignition error page", r"Illuminate\\|Whoops, looks like something went wrong|ignition-"),
        ("Java stack trace", r"(?m)^\s*at (java|javax|org\.springframework|org\.apache)\.[\w.$]+\([\w.]+:\d+\)|Whitelabel Error Page[\s\S]{0,2000}Exception"),
        ("ASP.NET error page", r"Server Error in '/' Application|DeveloperExceptionPage|at Microsoft\.AspNetCore\."),
        ("PHP error with file and line", r"(Fatal error|Warning|Parse error)</b>:.{0,300} on line <b>\d+</b>|Stack trace:\s*#0 /"),
        ("Go panic trace", r"goroutine \d+ \[running\]"),
        ("GraphQL error with a stack trace", r#"(?i)"(stacktrace|stack)"\s*:\s*\[[^\]]{0,4000}?\bat [^"]{0,300}:\d+:\d+"#),
    ]
    .into_iter()
    .filter_map(|(n, p)| Regex::new(p).ok().map(|r| (n, r)))
    .collect()
});

/// What debug page, if any, a body shows.
pub fn debug_signature(body: &str) -> Option<&'static str> {
    SIGNATURES
        .iter()
        .find(|(_, re)| re.is_match(body))
        .map(|(name, _)| *name)
}

/// Send a few requests the endpoint cannot take: broken JSON, wrong types, the other encoding.
pub async fn probe(prober: &Prober<'_>, client: &mut Client) -> Vec<Attempt> {
    let s = prober.surface;
    let user = &s.username_field;
    let pass = &s.password_field;
    let mut reqs = Vec::new();
    if !matches!(s.kind, SurfaceKind::Basic | SurfaceKind::Digest) {
        reqs.push(Request::post(
            s.url.clone(),
            Body::raw("application/json", format!("{{\"{user}\": \"kh").as_bytes()),
        ));
        reqs.push(Request::post(
            s.url.clone(),
            Body::json(&serde_json::json!({ user: ["x", {"y": 1}], pass: {"z": null} })),
        ));
        if s.kind == SurfaceKind::Json {
            reqs.push(Request::post(s.url.clone(), Body::form(&[])));
        } else {
            reqs.push(Request::post(
                s.url.clone(),
                Body::raw("application/json", b"[]"),
            ));
        }
    }
    for r in &mut reqs {
        r.method = s.method.clone();
    }
    // Independent of each other: sent together.
    prober
        .send_raw_all(client, reqs)
        .await
        .into_iter()
        .map_while(Result::ok)
        .collect()
}

#[async_trait]
impl Check for DebugExposure {
    fn id(&self) -> &'static str {
        "auth.debug-exposure"
    }
    fn category(&self) -> Category {
        Category::Authentication
    }
    fn severity(&self) -> Severity {
        Severity::Critical
    }
    fn title(&self) -> &'static str {
        "Sign-in endpoint exposes a debugger or stack trace"
    }
    fn description(&self) -> &'static str {
        "Sends malformed sign-in requests (broken JSON, wrong types, the other body encoding) and looks for a debugger, stack trace or framework debug page in any answer of the sign-in surface."
    }

    fn impact(&self) -> &'static str {
        "A debugger or stack trace on the sign-in hands an attacker source paths, settings and sometimes a console that runs code: a critical leak on the very endpoint they are attacking."
    }

    async fn run(&self, ctx: &mut EndpointCtx<'_>) -> Verdict {
        ctx.debug_probes().await;
        let hit = ctx
            .all_attempts()
            .into_iter()
            .find_map(|a| debug_signature(&a.text()).map(|sig| (sig, a.clone())));
        match hit {
            Some((sig, a)) => Verdict::Found(
                FindingDraft::new(format!(
                    "A malformed sign-in request answered with a {sig} (status {}): internals, source paths and possibly an interactive console are exposed to anyone.",
                    a.status().unwrap_or(0)
                ))
                .evidence_from([&a])
                .detail("signature", sig),
            ),
            None => Verdict::Pass,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_framework_debug_pages() {
        assert_eq!(
            debug_signature("<title>KeyError // Werkzeug Debugger</title>"),
            Some("Werkzeug interactive debugger")
        );
        assert_eq!(
            debug_signature(
                "You're seeing this error because you have <code>DEBUG = True</code> in"
            ),
            Some("Django technical error page")
        );
        // Django 5: a curly apostrophe, the CSRF failure's help section, a line break in <code>.
        assert_eq!(
            debug_signature(
                "You’re seeing the help section of this page because you have <code>DEBUG =\n True</code> in your Django settings file"
            ),
            Some("Django technical error page")
        );
        assert_eq!(
            debug_signature(r#"<tr><th scope="row">Django Version:</th><td>5.2.19</td></tr>"#),
            Some("Django technical error page")
        );
        assert_eq!(
            debug_signature(
                "<pre>TypeError: x is undefined<br> &nbsp; &nbsp;at /app/server.js:12:5<br>"
            ),
            Some("Node.js/Express stack trace")
        );
        assert_eq!(
            debug_signature("Error\n    at Layer.handle [as handle_request] (/app/node_modules/express/lib/router/layer.js:95:5)"),
            Some("Node.js/Express stack trace")
        );
        assert_eq!(
            debug_signature("Traceback (most recent call last):\n  File \"app.py\""),
            Some("Python traceback")
        );
    }

    #[test]
    fn ordinary_errors_are_not_debug_pages() {
        for body in [
            r#"{"error": "Invalid request"}"#,
            "<h1>Bad Request</h1><p>The browser (or proxy) sent a request that this server could not understand.</p>",
            r#"{"detail":[{"loc":["body","username"],"msg":"field required"}]}"#,
            "Internal Server Error",
            "Please try again at 10:30",
        ] {
            assert_eq!(debug_signature(body), None, "{body}");
        }
    }
}
