//! Framework fingerprinting from headers, cookies and error pages. Each response adds weighted
//! votes; the framework with the most wins.

use std::collections::HashMap;

use crate::http::Response;
use crate::report::Framework;

/// Votes gathered over the responses of a scan.
#[derive(Debug, Default, Clone)]
pub struct Fingerprint {
    votes: HashMap<Framework, u32>,
}

impl Fingerprint {
    pub fn new() -> Fingerprint {
        Fingerprint::default()
    }

    pub fn add(&mut self, resp: &Response) {
        for (fw, w) in signals(resp) {
            *self.votes.entry(fw).or_insert(0) += w;
        }
    }

    pub fn best(&self) -> Framework {
        self.votes
            .iter()
            .max_by_key(|(fw, w)| (**w, std::cmp::Reverse(fw.as_str())))
            .map(|(fw, _)| *fw)
            .unwrap_or(Framework::Unknown)
    }
}

/// The votes one response casts.
pub fn signals(resp: &Response) -> Vec<(Framework, u32)> {
    let mut out = Vec::new();
    let h = |n: &str| resp.header(n).unwrap_or("").to_ascii_lowercase();
    let server = h("server");
    let powered = h("x-powered-by");
    let body = resp.text();
    let cookies: Vec<String> = resp
        .headers_all("set-cookie")
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let cookie = |name: &str| cookies.iter().any(|c| c.starts_with(name));

    if server.contains("werkzeug") {
        out.push((Framework::Flask, 5));
    }
    if body.contains("If you entered the URL manually please check your spelling and try again")
        || body
            .contains("The browser (or proxy) sent a request that this server could not understand")
    {
        out.push((Framework::Flask, 3));
    }
    if cookie("session=")
        && cookies
            .iter()
            .any(|c| c.starts_with("session=ey") || c.starts_with("session=.ey"))
    {
        out.push((Framework::Flask, 2));
    }
    if server.contains("uvicorn") || server.contains("hypercorn") {
        out.push((Framework::FastApi, 5));
    }
    if body.contains("\"detail\":[{")
        && (body.contains("\"loc\":") || body.contains("\"type\":\"missing\""))
    {
        out.push((Framework::FastApi, 4));
    }
    if body == "{\"detail\":\"Not Found\"}" || body == "{\"detail\":\"Method Not Allowed\"}" {
        out.push((Framework::FastApi, 3));
    }
    if server.contains("wsgiserver") && !server.contains("werkzeug") {
        out.push((Framework::Django, 2));
    }
    if cookie("csrftoken=") || cookie("sessionid=") || body.contains("csrfmiddlewaretoken") {
        out.push((Framework::Django, 5));
    }
    if body.contains("Method \\\"GET\\\" not allowed.")
        || body.contains("<title>Page not found at /")
    {
        out.push((Framework::Django, 4));
    }
    if powered.contains("express") {
        out.push((Framework::Express, 6));
    }
    if body.contains("<pre>Cannot GET /") || body.contains("<pre>Cannot POST /") {
        out.push((Framework::Express, 5));
    }
    if cookie("connect.sid=") {
        out.push((Framework::Express, 3));
    }
    if resp.header("x-runtime").is_some()
        || cookies
            .iter()
            .any(|c| c.split('=').next().is_some_and(|n| n.ends_with("_session")))
            && !cookie("laravel_session")
    {
        out.push((Framework::Rails, 3));
    }
    if body.contains("authenticity_token") {
        out.push((Framework::Rails, 3));
    }
    if cookie("jsessionid=")
        || body.contains("Whitelabel Error Page")
        || (body.contains("\"timestamp\"")
            && body.contains("\"path\"")
            && body.contains("\"error\""))
    {
        out.push((Framework::Spring, 4));
    }
    if cookie("laravel_session=") || cookie("xsrf-token=") {
        out.push((Framework::Laravel, 5));
    }
    if powered.contains("asp.net")
        || resp.header("x-aspnet-version").is_some()
        || server.contains("kestrel")
        || cookies.iter().any(|c| c.starts_with(".aspnetcore"))
    {
        out.push((Framework::AspNet, 5));
    }
    if powered.contains("php") || cookie("phpsessid=") {
        out.push((Framework::Php, 4));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(headers: &[(&str, &str)], body: &str) -> Response {
        Response::synthetic(404, headers, body)
    }

    #[test]
    fn recognises_common_stacks() {
        let mut f = Fingerprint::new();
        f.add(&resp(&[("server", "Werkzeug/3.0.1 Python/3.11.7")], ""));
        assert_eq!(f.best(), Framework::Flask);

        let mut f = Fingerprint::new();
        f.add(&resp(
            &[("server", "uvicorn")],
            "{\"detail\":\"Not Found\"}",
        ));
        assert_eq!(f.best(), Framework::FastApi);

        let mut f = Fingerprint::new();
        f.add(&resp(
            &[("x-powered-by", "Express")],
            "<pre>Cannot GET /x</pre>",
        ));
        assert_eq!(f.best(), Framework::Express);

        let mut f = Fingerprint::new();
        f.add(&resp(
            &[
                ("server", "WSGIServer/0.2 CPython/3.11.7"),
                ("set-cookie", "csrftoken=abc; Path=/"),
            ],
            "",
        ));
        assert_eq!(f.best(), Framework::Django);

        assert_eq!(Fingerprint::new().best(), Framework::Unknown);
    }
}
