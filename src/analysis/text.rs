//! Reading a page's text the way a person does: markup stripped (inline tags vanish, block tags
//! end a line), scripts and styles dropped, entities decoded, whitespace collapsed, and the text
//! cut into sentences. "The username <strong>x</strong> is not registered" reads as one
//! sentence, and two answers are compared by the sentences that differ, not by their first
//! bytes.

use std::collections::HashSet;

/// Tags whose content is not text a person reads.
const HIDDEN: [&str; 6] = ["script", "style", "noscript", "template", "svg", "head"];
/// Tags that end a line of text (everything else is inline: its words run on).
const BLOCK: [&str; 34] = [
    "p",
    "div",
    "br",
    "li",
    "ul",
    "ol",
    "tr",
    "td",
    "th",
    "table",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "form",
    "section",
    "article",
    "header",
    "footer",
    "nav",
    "aside",
    "main",
    "dd",
    "dt",
    "dl",
    "pre",
    "blockquote",
    "hr",
    "label",
    "button",
    "option",
    "title",
];

/// The `<title>` of an HTML page as written (empty when none).
pub fn title(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let Some(start) = lower.find("<title") else {
        return String::new();
    };
    let Some(open_end) = lower[start..].find('>') else {
        return String::new();
    };
    let from = start + open_end + 1;
    let to = lower[from..]
        .find("</title")
        .map(|i| from + i)
        .unwrap_or(from);
    text.get(from..to).unwrap_or("").trim().to_string()
}

/// The readable text of a body: for HTML (or anything with tags), markup removed as above;
/// entities decoded; whitespace collapsed within lines, lines joined with "\n".
pub fn readable(body: &str) -> String {
    let mut out = String::with_capacity(body.len() / 2);
    let bytes = body.as_bytes();
    let mut i = 0;
    let mut hidden: Option<String> = None;
    while i < bytes.len() {
        if bytes[i] == b'<' {
            // A tag (or comment): find its end.
            if body[i..].starts_with("<!--") {
                i = body[i..]
                    .find("-->")
                    .map(|e| i + e + 3)
                    .unwrap_or(bytes.len());
                continue;
            }
            // A declaration or processing instruction (<!DOCTYPE html>, <?xml …?>).
            if body[i..].starts_with("<!") || body[i..].starts_with("<?") {
                i = body[i..]
                    .find('>')
                    .map(|e| i + e + 1)
                    .unwrap_or(bytes.len());
                continue;
            }
            let end = match body[i..].find('>') {
                Some(e) => i + e,
                None => {
                    // A lone "<" in text.
                    if hidden.is_none() {
                        out.push('<');
                    }
                    i += 1;
                    continue;
                }
            };
            let inner = &body[i + 1..end];
            let closing = inner.starts_with('/');
            let name: String = inner
                .trim_start_matches('/')
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect::<String>()
                .to_ascii_lowercase();
            if name.is_empty() {
                // "<" followed by something that is not a tag name ("a < b").
                if hidden.is_none() {
                    out.push('<');
                }
                i += 1;
                continue;
            }
            match &hidden {
                Some(h) if closing && *h == name => hidden = None,
                Some(_) => {}
                None if !closing && HIDDEN.contains(&name.as_str()) && !inner.ends_with('/') => {
                    hidden = Some(name.clone())
                }
                None if BLOCK.contains(&name.as_str()) => out.push('\n'),
                None => {}
            }
            i = end + 1;
            continue;
        }
        let next = body[i..].find('<').map(|e| i + e).unwrap_or(bytes.len());
        if hidden.is_none() {
            out.push_str(&decode_entities(&body[i..next]));
        }
        i = next;
    }
    out.lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Decode HTML character references: numeric ones and the named ones text uses.
pub fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(p) = rest.find('&') {
        out.push_str(&rest[..p]);
        rest = &rest[p..];
        let semi = rest[..rest.len().min(12)].find(';');
        let decoded = semi.and_then(|e| {
            let name = &rest[1..e];
            let c = if let Some(num) = name.strip_prefix('#') {
                let v = if let Some(hex) = num.strip_prefix(['x', 'X']) {
                    u32::from_str_radix(hex, 16).ok()
                } else {
                    num.parse::<u32>().ok()
                };
                v.and_then(char::from_u32)
            } else {
                named_entity(name)
            };
            c.map(|c| (c, e + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn named_entity(name: &str) -> Option<char> {
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => ' ',
        "rsquo" | "lsquo" => '\'',
        "rdquo" | "ldquo" => '"',
        "hellip" => '…',
        "ndash" => '–',
        "mdash" => '—',
        "laquo" => '«',
        "raquo" => '»',
        "copy" => '©',
        _ => return None,
    })
}

/// The sentences of a readable text: split at line ends and at ".", "!" or "?" followed by a
/// space or the end (so "admin@example.com" and "v1.2" stay whole), trimmed.
pub fn sentences(readable: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in readable.lines() {
        let mut start = 0;
        let chars: Vec<(usize, char)> = line.char_indices().collect();
        for (k, &(i, c)) in chars.iter().enumerate() {
            let ends = matches!(c, '.' | '!' | '?')
                && chars.get(k + 1).is_none_or(|&(_, n)| n.is_whitespace());
            if ends {
                push_sentence(&mut out, &line[start..i + c.len_utf8()]);
                start = i + c.len_utf8();
            }
        }
        push_sentence(&mut out, &line[start..]);
    }
    out
}

fn push_sentence(out: &mut Vec<String>, s: &str) {
    let s = s.trim();
    if !s.is_empty() {
        out.push(s.to_string());
    }
}

/// The sentences of a body (markup read as [`readable`]).
pub fn body_sentences(body: &str) -> Vec<String> {
    sentences(&readable(body))
}

/// What two bodies say differently: the sentences only `a` has and those only `b` has (in
/// their order). Empty on both sides when they read alike.
pub fn sentence_diff(a: &str, b: &str) -> (Vec<String>, Vec<String>) {
    let sa = body_sentences(a);
    let sb = body_sentences(b);
    let ha: HashSet<&String> = sa.iter().collect();
    let hb: HashSet<&String> = sb.iter().collect();
    let only_a = sa.iter().filter(|s| !hb.contains(s)).cloned().collect();
    let only_b = sb.iter().filter(|s| !ha.contains(s)).cloned().collect();
    (only_a, only_b)
}

/// A short quote of what `a` says that `b` does not (the differing sentences, joined), or of
/// `a` itself when the difference is not in its sentences; at most `cap` bytes.
pub fn quote_difference(a: &str, b: &str, cap: usize) -> String {
    let (only_a, _) = sentence_diff(a, b);
    let q = if only_a.is_empty() {
        readable(a).replace('\n', " ")
    } else {
        only_a.join(" ")
    };
    let q = if q.is_empty() {
        "(empty)".to_string()
    } else {
        q
    };
    crate::http::cut(&q, cap)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_markup_does_not_split_a_sentence() {
        let page = r#"<!DOCTYPE html><html><head><title>Log In</title><style>p{color:red}</style>
            <script>var x = "not text";</script></head><body><div id="login_error">
            <strong>Error:</strong> The username <strong>qz81x</strong> is not registered on this site.
            If you are unsure of your username, try your email address instead.<br></div></body></html>"#;
        let s = body_sentences(page);
        assert!(
            s.iter()
                .any(|x| x.ends_with("The username qz81x is not registered on this site."))
                && !s.iter().any(|x| x.contains("DOCTYPE")),
            "{s:?}"
        );
        assert!(!readable(page).contains("not text"));
        assert!(!readable(page).contains("color"));
    }

    #[test]
    fn entities_are_decoded() {
        assert_eq!(
            readable("Don&#39;t &amp; won&rsquo;t&nbsp;go &lt;here&gt; &#x41;"),
            "Don't & won't go <here> A"
        );
        assert_eq!(decode_entities("a &bogus; b & c"), "a &bogus; b & c");
    }

    #[test]
    fn sentences_keep_addresses_and_versions_whole() {
        let s = sentences("Mail admin@example.com now. Version 1.2 is out! Really?");
        assert_eq!(
            s,
            [
                "Mail admin@example.com now.",
                "Version 1.2 is out!",
                "Really?"
            ]
        );
    }

    #[test]
    fn the_difference_is_the_sentences_not_the_page_start() {
        let head = "<!DOCTYPE html><html><body><nav>Home</nav><form><p>";
        let a = format!("{head}The password you entered for the username <strong>admin</strong> is incorrect.</p></form></body></html>");
        let b = format!("{head}The username <strong>x</strong> is not registered on this site.</p></form></body></html>");
        assert_eq!(
            quote_difference(&a, &b, 200),
            "The password you entered for the username admin is incorrect."
        );
        assert_eq!(
            quote_difference(&b, &a, 200),
            "The username x is not registered on this site."
        );
    }

    #[test]
    fn plain_and_json_bodies_pass_through() {
        assert_eq!(
            readable(r#"{"error":"User not found"}"#),
            r#"{"error":"User not found"}"#
        );
        assert_eq!(readable("a < b and c > d"), "a < b and c > d");
    }
}
