//! HTTP Digest authentication (RFC 7616, MD5 and MD5-sess with qop=auth): enough to make a real
//! credential attempt against a Digest challenge, so the server checks a password and not just a
//! malformed header.

use md5::{Digest as _, Md5};
use rand::Rng;

/// A `WWW-Authenticate: Digest …` challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub realm: String,
    pub nonce: String,
    pub opaque: Option<String>,
    /// "auth" when the server offers it; None for the RFC 2069 form.
    pub qop: Option<String>,
    pub algorithm: String,
}

/// Parse the first Digest challenge among `WWW-Authenticate` values.
pub fn parse_challenge<'a>(values: impl Iterator<Item = &'a str>) -> Option<Challenge> {
    for v in values {
        let v = v.trim();
        if v.len() < 6 || !v[..6].eq_ignore_ascii_case("digest") {
            continue;
        }
        let params = parse_params(&v[6..]);
        let get = |k: &str| {
            params
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(k))
                .map(|(_, v)| v.clone())
        };
        let nonce = get("nonce")?;
        let qop = get("qop").and_then(|q| {
            q.split(',')
                .map(str::trim)
                .find(|x| x.eq_ignore_ascii_case("auth"))
                .map(str::to_string)
        });
        return Some(Challenge {
            realm: get("realm").unwrap_or_default(),
            nonce,
            opaque: get("opaque"),
            qop,
            algorithm: get("algorithm").unwrap_or_else(|| "MD5".into()),
        });
    }
    None
}

/// `name=value` and `name="quoted, value"` pairs.
fn parse_params(s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = s.trim();
    while !rest.is_empty() {
        let Some(eq) = rest.find('=') else { break };
        let name = rest[..eq].trim().trim_start_matches(',').trim().to_string();
        rest = rest[eq + 1..].trim_start();
        let value;
        if let Some(stripped) = rest.strip_prefix('"') {
            let mut v = String::new();
            let mut chars = stripped.char_indices();
            let mut end = stripped.len();
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, n)) = chars.next() {
                            v.push(n);
                        }
                    }
                    '"' => {
                        end = i + 1;
                        break;
                    }
                    _ => v.push(c),
                }
            }
            value = v;
            rest = stripped[end.min(stripped.len())..].trim_start();
        } else {
            let end = rest.find(',').unwrap_or(rest.len());
            value = rest[..end].trim().to_string();
            rest = &rest[end..];
        }
        rest = rest.trim_start_matches(',').trim_start();
        if !name.is_empty() {
            out.push((name, value));
        }
    }
    out
}

fn md5_hex(s: &str) -> String {
    let mut h = Md5::new();
    h.update(s.as_bytes());
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// The `Authorization` header value for one attempt.
pub fn authorization(
    ch: &Challenge,
    method: &str,
    uri: &str,
    user: &str,
    pass: &str,
    nc: u32,
) -> String {
    let cnonce: String = {
        let mut rng = rand::thread_rng();
        (0..16)
            .map(|_| format!("{:x}", rng.gen_range(0..16u8)))
            .collect()
    };
    authorization_with(ch, method, uri, user, pass, nc, &cnonce)
}

fn authorization_with(
    ch: &Challenge,
    method: &str,
    uri: &str,
    user: &str,
    pass: &str,
    nc: u32,
    cnonce: &str,
) -> String {
    let mut ha1 = md5_hex(&format!("{user}:{}:{pass}", ch.realm));
    if ch.algorithm.eq_ignore_ascii_case("MD5-sess") {
        ha1 = md5_hex(&format!("{ha1}:{}:{cnonce}", ch.nonce));
    }
    let ha2 = md5_hex(&format!("{method}:{uri}"));
    let nc_s = format!("{nc:08x}");
    let response = match &ch.qop {
        Some(q) => md5_hex(&format!("{ha1}:{}:{nc_s}:{cnonce}:{q}:{ha2}", ch.nonce)),
        None => md5_hex(&format!("{ha1}:{}:{ha2}", ch.nonce)),
    };
    let q = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"");
    let mut h = format!(
        "Digest username=\"{}\", realm=\"{}\", nonce=\"{}\", uri=\"{}\", algorithm={}, response=\"{response}\"",
        q(user),
        q(&ch.realm),
        q(&ch.nonce),
        q(uri),
        ch.algorithm
    );
    if let Some(qop) = &ch.qop {
        h.push_str(&format!(", qop={qop}, nc={nc_s}, cnonce=\"{cnonce}\""));
    }
    if let Some(o) = &ch.opaque {
        h.push_str(&format!(", opaque=\"{}\"", q(o)));
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_2617_example() {
        // RFC 2617 section 3.5: Mufasa / Circle Of Life.
        let ch = parse_challenge(
            [r#"Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41""#]
                .into_iter(),
        )
        .unwrap();
        assert_eq!(ch.qop.as_deref(), Some("auth"));
        let h = authorization_with(
            &ch,
            "GET",
            "/dir/index.html",
            "Mufasa",
            "Circle Of Life",
            1,
            "0a4f113b",
        );
        assert!(
            h.contains("response=\"6629fae49393a05397450978507c4ef1\""),
            "{h}"
        );
        assert!(h.contains("opaque=\"5ccc069c403ebaf9f0171e9517f40e41\""));
    }

    #[test]
    fn ignores_other_schemes_and_garbage() {
        assert_eq!(parse_challenge(["Basic realm=\"x\""].into_iter()), None);
        assert_eq!(parse_challenge(["Digest"].into_iter()), None);
        assert_eq!(parse_challenge(["Digest nonce"].into_iter()), None);
        let ch =
            parse_challenge(["Basic realm=x", "Digest nonce=abc, realm=r"].into_iter()).unwrap();
        assert_eq!(ch.nonce, "abc");
        assert_eq!(ch.qop, None);
    }
}
