//! Who the MCP server may scan. Its caller may be a language model steered by text it read
//! elsewhere (a README, an issue, a web page), so a URL in a tool call is not permission: only
//! loopback and the hosts the operator allowed (`--allow HOST`, `mcp.allow` in keyhole.toml) are
//! scanned. Host names are matched as written, never resolved: a name that happens to point at
//! an allowed address is not thereby allowed.

use std::net::IpAddr;

/// One `--allow` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Rule {
    /// A host name, lower-case, without a trailing dot.
    Host(String),
    /// `*.example.com`: any name under example.com (not example.com itself).
    Under(String),
    /// An address, or a network in CIDR notation.
    Net(IpAddr, u8),
}

/// The hosts a scan may go to.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AllowList {
    rules: Vec<Rule>,
    /// The entries as given, for messages.
    shown: Vec<String>,
}

/// A bad `--allow` value (one line).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("--allow takes a host name (api.example.com), *.domain (*.example.com), an address (10.0.0.5) or a network (10.0.0.0/24), not '{0}'")]
pub struct BadAllow(pub String);

impl AllowList {
    /// Loopback, plus `entries`.
    pub fn new<S: AsRef<str>>(entries: &[S]) -> Result<AllowList, BadAllow> {
        let mut list = AllowList::default();
        for raw in entries {
            let raw = raw.as_ref();
            let rule = parse_rule(raw).ok_or_else(|| BadAllow(raw.to_string()))?;
            if !list.rules.contains(&rule) {
                list.rules.push(rule);
                list.shown.push(raw.trim().to_string());
            }
        }
        Ok(list)
    }

    /// What is allowed, as a phrase: "loopback only" or "loopback, api.example.com".
    pub fn describe(&self) -> String {
        if self.shown.is_empty() {
            "loopback only (127.0.0.0/8, ::1, localhost)".to_string()
        } else {
            format!("loopback, {}", self.shown.join(", "))
        }
    }

    /// Whether a URL's host may be scanned.
    pub fn allows(&self, url: &url::Url) -> bool {
        match url.host() {
            Some(url::Host::Ipv4(a)) => self.allows_ip(IpAddr::V4(a)),
            Some(url::Host::Ipv6(a)) => self.allows_ip(IpAddr::V6(a)),
            Some(url::Host::Domain(d)) => self.allows_name(d),
            None => false,
        }
    }

    fn allows_ip(&self, ip: IpAddr) -> bool {
        let ip = unmapped(ip);
        ip.is_loopback()
            || self.rules.iter().any(|r| match r {
                Rule::Net(net, bits) => in_net(ip, *net, *bits),
                _ => false,
            })
    }

    fn allows_name(&self, name: &str) -> bool {
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        if name == "localhost" {
            return true;
        }
        self.rules.iter().any(|r| match r {
            Rule::Host(h) => *h == name,
            Rule::Under(d) => name.ends_with(&format!(".{d}")),
            Rule::Net(..) => false,
        })
    }
}

fn parse_rule(raw: &str) -> Option<Rule> {
    let t = raw.trim().trim_end_matches('.').to_ascii_lowercase();
    if t.is_empty() {
        return None;
    }
    if let Some((addr, bits)) = t.split_once('/') {
        let ip: IpAddr = addr.trim_matches(['[', ']']).parse().ok()?;
        let bits: u8 = bits.parse().ok()?;
        let max = if ip.is_ipv4() { 32 } else { 128 };
        return (bits <= max).then_some(Rule::Net(unmapped(ip), bits));
    }
    if let Ok(ip) = t.trim_matches(['[', ']']).parse::<IpAddr>() {
        let ip = unmapped(ip);
        let bits = if ip.is_ipv4() { 32 } else { 128 };
        return Some(Rule::Net(ip, bits));
    }
    let (under, name) = match t.strip_prefix("*.") {
        Some(rest) => (true, rest),
        None => (false, t.as_str()),
    };
    // A host name: labels of letters, digits and hyphens (no scheme, port, path or wildcard
    // elsewhere: "http://x", "x:8080" and "a*.b" are mistakes worth a message).
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    if !name.split('.').all(label_ok) {
        return None;
    }
    // "*.com" would allow a whole top-level domain: refuse a wildcard over one label.
    if under && !name.contains('.') {
        return None;
    }
    Some(if under {
        Rule::Under(name.to_string())
    } else {
        Rule::Host(name.to_string())
    })
}

/// An IPv4 address written as IPv6 (`::ffff:10.0.0.1`) is that IPv4 address.
fn unmapped(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

fn in_net(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(bits)).unwrap_or(0);
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(bits)).unwrap_or(0);
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> url::Url {
        url::Url::parse(s).unwrap()
    }

    #[test]
    fn loopback_alone_by_default() {
        let list = AllowList::new::<&str>(&[]).unwrap();
        for ok in [
            "http://127.0.0.1:5000",
            "http://127.3.4.5/",
            "http://[::1]:8080/api",
            "http://localhost:3000",
            "http://LOCALHOST./",
            "http://[::ffff:127.0.0.1]/",
        ] {
            assert!(list.allows(&url(ok)), "{ok}");
        }
        for no in [
            "http://10.0.0.1/",
            "https://example.com/",
            "http://localhost.example.com/",
            "http://127.0.0.1.nip.io/",
            "http://[::2]/",
            "http://0.0.0.0/",
        ] {
            assert!(!list.allows(&url(no)), "{no}");
        }
        assert!(list.describe().starts_with("loopback only"));
    }

    #[test]
    fn names_wildcards_addresses_and_networks() {
        let list = AllowList::new(&[
            "API.Example.com",
            "*.staging.example.org",
            "10.1.0.0/16",
            "192.168.7.7",
            "fd00::/8",
        ])
        .unwrap();
        for ok in [
            "https://api.example.com/",
            "https://api.example.com./v1",
            "https://a.b.staging.example.org/",
            "http://10.1.200.3:8000/",
            "http://192.168.7.7/",
            "http://[fd12::1]/",
            "http://[::ffff:10.1.0.9]/",
        ] {
            assert!(list.allows(&url(ok)), "{ok}");
        }
        for no in [
            "https://example.com/",
            "https://evil-api.example.com/",
            "https://api.example.com.evil.net/",
            "https://staging.example.org/",
            "http://10.2.0.1/",
            "http://192.168.7.8/",
            "http://[fe80::1]/",
        ] {
            assert!(!list.allows(&url(no)), "{no}");
        }
        assert_eq!(
            list.describe(),
            "loopback, API.Example.com, *.staging.example.org, 10.1.0.0/16, 192.168.7.7, fd00::/8"
        );
    }

    #[test]
    fn mistakes_are_refused_with_the_forms_it_takes() {
        for bad in [
            "",
            "http://api.example.com",
            "api.example.com:8080",
            "*.com",
            "a*.example.com",
            "10.0.0.0/33",
            "::/129",
            "exa mple.com",
            "*",
        ] {
            let e = AllowList::new(&[bad]).unwrap_err();
            assert!(e.to_string().contains("*.example.com"), "{bad}: {e}");
        }
    }
}
