//! Body normalisation before responses are compared: mask what an attacker-chosen value echoes
//! (the username, the password), what changes by itself (dates, ids, tokens), and what was learned
//! to change between two identical requests (a CSRF token, a nonce, a request id).

use std::sync::LazyLock;

use regex::Regex;

static VOLATILE: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
    [
        // UUIDs
        (r"(?i)\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", "{UUID}"),
        // ISO 8601 date-times and dates
        (
            r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?\b",
            "{DATE}",
        ),
        // RFC 1123 dates
        (
            r"\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{1,2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2}(?: GMT)?",
            "{DATE}",
        ),
        (r"\b\d{1,2}:\d{2}:\d{2}(?:\.\d+)?\b", "{TIME}"),
        // long hex strings (hashes, ids)
        (r"(?i)\b[0-9a-f]{16,}\b", "{HEX}"),
        // tokens: long runs of token characters with both letters and digits
        (r"[A-Za-z0-9_\-]*[0-9][A-Za-z0-9_\-]*[A-Za-z][A-Za-z0-9_\-+/=.]{10,}|[A-Za-z0-9_\-]*[A-Za-z][A-Za-z0-9_\-]*[0-9][A-Za-z0-9_\-+/=.]{10,}", "{TOK}"),
        // fractional timings, long numbers (timestamps, counters, ids)
        (r"\b\d+\.\d{3,}\b", "{NUM}"),
        (r"\b\d{6,}\b", "{NUM}"),
    ]
    .into_iter()
    .filter_map(|(re, to)| Regex::new(re).ok().map(|r| (r, to)))
    .collect()
});

/// Characters a dynamic value after a learned anchor is made of.
fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_-+/=.:%".contains(c)
}

/// Learns what differs between identical requests and masks it, plus built-in volatile patterns.
#[derive(Debug, Clone, Default)]
pub struct Normalizer {
    /// Stable text that precedes a value found to change between identical requests.
    anchors: Vec<String>,
}

impl Normalizer {
    pub fn new() -> Normalizer {
        Normalizer::default()
    }

    pub fn anchors(&self) -> &[String] {
        &self.anchors
    }

    /// Learn from two bodies that answered requests which should be answered alike (after echo
    /// masking). Every changed token gets the stable text before it as an anchor.
    pub fn learn(&mut self, a: &str, b: &str) {
        let a = mask_volatile(a);
        let b = mask_volatile(b);
        if a == b {
            return;
        }
        let ta = tokens(&a);
        let tb = tokens(&b);
        if ta.len() > 20_000 || tb.len() > 20_000 {
            return;
        }
        // A hostile server can answer with two large, wholly different bodies: Myers is O(N·D),
        // so bound the diff in time (it then reports the rest as one coarse change).
        let deadline = std::time::Instant::now() + std::time::Duration::from_millis(100);
        let ops = similar::capture_diff_slices_deadline(
            similar::Algorithm::Myers,
            &ta,
            &tb,
            Some(deadline),
        );
        for op in ops {
            if let similar::DiffOp::Replace { old_index, .. }
            | similar::DiffOp::Delete { old_index, .. }
            | similar::DiffOp::Insert { old_index, .. } = op
            {
                // Stable context: up to 24 characters of the tokens before the change.
                let mut ctx = String::new();
                let mut i = old_index;
                while i > 0 && ctx.len() < 24 {
                    i -= 1;
                    ctx.insert_str(0, ta[i]);
                }
                if ctx.len() > 24 {
                    let cut = ctx.len() - 24;
                    let cut = (cut..ctx.len())
                        .find(|&c| ctx.is_char_boundary(c))
                        .unwrap_or(0);
                    ctx = ctx[cut..].to_string();
                }
                if ctx.trim().len() >= 3 && !self.anchors.contains(&ctx) && self.anchors.len() < 64
                {
                    self.anchors.push(ctx);
                }
            }
        }
    }

    /// Normalise a body: echoed values, volatile patterns, learned dynamic values, white space.
    pub fn normalize(&self, body: &str, echoes: &[&str]) -> String {
        let mut s = mask_echoes(body, echoes);
        s = mask_volatile(&s);
        for anchor in &self.anchors {
            s = mask_after(&s, anchor);
        }
        s.split_whitespace().collect::<Vec<_>>().join(" ")
    }
}

fn mask_after(s: &str, anchor: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(pos) = rest.find(anchor) {
        let end = pos + anchor.len();
        out.push_str(&rest[..end]);
        let tail = &rest[end..];
        let value_len: usize = tail
            .char_indices()
            .find(|&(_, c)| !is_token_char(c))
            .map(|(i, _)| i)
            .unwrap_or(tail.len());
        if value_len > 0 {
            out.push_str("{DYN}");
        }
        rest = &tail[value_len..];
    }
    out.push_str(rest);
    out
}

/// Split into runs of word characters and single other characters.
fn tokens(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in s.char_indices() {
        if c.is_alphanumeric() || c == '_' {
            if start.is_none() {
                start = Some(i);
            }
        } else {
            if let Some(st) = start.take() {
                out.push(&s[st..i]);
            }
            out.push(&s[i..i + c.len_utf8()]);
        }
    }
    if let Some(st) = start {
        out.push(&s[st..]);
    }
    out
}

/// Mask dates, ids, hashes and tokens.
pub fn mask_volatile(s: &str) -> String {
    let mut out = s.to_string();
    for (re, to) in VOLATILE.iter() {
        if re.is_match(&out) {
            out = re.replace_all(&out, *to).into_owned();
        }
    }
    out
}

/// Mask every encoding of the echoed values (raw, lower-case, URL-, HTML- and JSON-escaped).
/// The second value (the password) becomes `{ECHO}`, every other one `{USER}`.
pub fn mask_echoes(s: &str, echoes: &[&str]) -> String {
    let mut out = s.to_string();
    for (n, v) in echoes.iter().enumerate() {
        if v.len() < 3 {
            continue;
        }
        let tag = if n == 1 { "{ECHO}" } else { "{USER}" };
        let mut forms = vec![
            v.to_string(),
            v.to_lowercase(),
            url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>(),
            html_escape(v),
            serde_json::to_string(v)
                .map(|j| j.trim_matches('"').to_string())
                .unwrap_or_default(),
        ];
        forms.sort_by_key(|f| std::cmp::Reverse(f.len()));
        forms.dedup();
        for f in forms {
            if f.len() >= 3 && out.contains(&f) {
                out = replace_whole(&out, &f, tag);
            }
        }
    }
    out
}

/// Replace `needle` where it stands as a whole token: an echoed "user" must not turn
/// "username" into "{USER}name".
fn replace_whole(s: &str, needle: &str, tag: &str) -> String {
    let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    let mut out = String::with_capacity(s.len());
    let mut last = 0;
    for (i, _) in s.match_indices(needle) {
        if i < last {
            continue;
        }
        let before = s[..i].chars().next_back();
        let after = s[i + needle.len()..].chars().next();
        let starts_word = needle
            .chars()
            .next()
            .is_some_and(|c| c.is_alphanumeric() || c == '_');
        let ends_word = needle
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '_');
        if (starts_word && word(before)) || (ends_word && word(after)) {
            continue;
        }
        out.push_str(&s[last..i]);
        out.push_str(tag);
        last = i + needle.len();
    }
    out.push_str(&s[last..]);
    out
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_echoed_username_in_all_encodings() {
        let n = Normalizer::new();
        let a = n.normalize("No account for bob+x@example.com", &["bob+x@example.com"]);
        let b = n.normalize(
            "No account for bob%2Bx%40example.com",
            &["bob+x@example.com"],
        );
        assert_eq!(a, "No account for {USER}");
        assert_eq!(b, "No account for {USER}");
    }

    #[test]
    fn masks_only_whole_tokens() {
        let n = Normalizer::new();
        assert_eq!(
            n.normalize(r#"{"detail":"Invalid username or password"}"#, &["user"]),
            r#"{"detail":"Invalid username or password"}"#
        );
        assert_eq!(
            n.normalize("No such user: user.", &["user"]),
            "No such {USER}: {USER}."
        );
    }

    #[test]
    fn masks_volatile_values() {
        let s = mask_volatile(
            "id 123e4567-e89b-12d3-a456-426614174000 at 2026-11-28T23:00:00Z took 0.01234 ts 1700000000",
        );
        assert_eq!(s, "id {UUID} at {DATE} took {NUM} ts {NUM}");
        assert_eq!(mask_volatile("Invalid credentials"), "Invalid credentials");
    }

    #[test]
    fn learns_a_csrf_token_that_changes_between_identical_requests() {
        let page = |tok: &str| {
            format!(
                r#"<form><input type="hidden" name="csrf" value="{tok}"><p>Invalid login</p></form>"#
            )
        };
        let mut n = Normalizer::new();
        n.learn(&page("aaaa"), &page("bbbb"));
        assert_eq!(
            n.normalize(&page("cccc"), &[]),
            n.normalize(&page("dddd"), &[])
        );
        // …while a real difference survives.
        let other = page("eeee").replace("Invalid login", "Unknown user");
        assert_ne!(n.normalize(&page("cccc"), &[]), n.normalize(&other, &[]));
    }

    #[test]
    fn identical_bodies_learn_nothing() {
        let mut n = Normalizer::new();
        n.learn("same", "same");
        assert!(n.anchors().is_empty());
    }
}
