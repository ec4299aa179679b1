//! Macro expansion (RFC 7208 §7).
//!
//! [`expand`] turns a parsed [`MacroString`] into text given the values of
//! the macro letters. The evaluator resolves `%{p}` (which needs DNS) before
//! calling it; everything here is pure.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::net::IpAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use super::ast::{Macro, MacroItem, MacroLetter, MacroString};

/// Longest domain name handed to DNS after expansion (RFC 7208 §7.3).
pub const MAX_DOMAIN_LEN: usize = 253;

/// The values macro letters expand to (RFC 7208 §7.2).
#[derive(Debug, Clone)]
pub struct MacroEnv<'a> {
    /// `%{s}`: `local-part@domain`.
    pub sender: &'a str,
    /// `%{l}`: the local-part.
    pub local: &'a str,
    /// `%{o}`: the sender's domain.
    pub sender_domain: &'a str,
    /// `%{d}`: the domain whose record is being evaluated.
    pub domain: &'a str,
    /// `%{i}`, `%{c}`, `%{v}`: the client address (IPv4-mapped already unmapped).
    pub ip: IpAddr,
    /// `%{h}`: the HELO/EHLO name, verbatim.
    pub helo: &'a str,
    /// `%{p}`: the validated name of the client, or `unknown`.
    pub ptr: &'a str,
    /// `%{r}`: the receiving host's name.
    pub receiver: &'a str,
    /// `%{t}`: seconds since the Unix epoch; `None` reads the clock when
    /// `%{t}` is expanded, so that checks without it never do.
    pub timestamp: Option<u64>,
}

/// True when `spec` uses `letter` in any macro.
pub fn uses_letter(spec: &MacroString, letter: MacroLetter) -> bool {
    spec.items()
        .iter()
        .any(|i| matches!(i, MacroItem::Macro(m) if m.letter == letter))
}

/// Expands every macro of `spec` (RFC 7208 §7.3, §7.4).
pub fn expand(spec: &MacroString, env: &MacroEnv<'_>) -> String {
    expand_at_most(spec, env, usize::MAX).unwrap_or_default()
}

/// Expands `spec` unless the text grows past `max` octets, in which case
/// expansion stops there and gives `None`.
///
/// Each macro's value is bounded by the identity it comes from, so the
/// text never holds much more than `max` octets: an explanation of
/// thousands of `%{s}` costs no more than its first few.
pub fn expand_at_most(spec: &MacroString, env: &MacroEnv<'_>, max: usize) -> Option<String> {
    // Room for a typical expanded name, so that it is not grown piece by piece.
    let mut out = String::with_capacity(64);
    for item in spec.items() {
        match item {
            MacroItem::Literal(text) => out.push_str(text),
            MacroItem::Percent => out.push('%'),
            MacroItem::Space => out.push(' '),
            MacroItem::UrlSpace => out.push_str("%20"),
            MacroItem::Macro(m) => expand_macro(m, env, &mut out),
        }
        if out.len() > max {
            return None;
        }
    }
    Some(out)
}

/// Expands `spec` for use as a DNS name: a trailing dot is dropped and a
/// name over 253 characters loses labels from the left (RFC 7208 §7.3).
pub fn expand_domain(spec: &MacroString, env: &MacroEnv<'_>) -> String {
    let mut name = expand(spec, env);
    if name.ends_with('.') {
        name.pop();
    }
    let mut start = 0;
    while name.len() - start > MAX_DOMAIN_LEN {
        match name[start..].find('.') {
            Some(dot) => start += dot + 1,
            None => break,
        }
    }
    name.drain(..start);
    name
}

/// Appends the expansion of `m` to `out`.
fn expand_macro(m: &Macro, env: &MacroEnv<'_>, out: &mut String) {
    let delimiters = if m.delimiters.is_empty() {
        "."
    } else {
        m.delimiters.as_str()
    };
    // Split on dots and joined with dots, unreversed and untruncated, a
    // value is itself: the common `%{d}`, `%{i}`, `%{s}` need no parts.
    let whole = !m.reverse && m.digits.is_none() && delimiters.bytes().all(|b| b == b'.');
    if whole && !m.url_escape && m.letter == MacroLetter::Ip {
        // Written in place rather than built as a string first.
        push_dotted_ip(out, env.ip);
        return;
    }
    let value = letter_value(m.letter, env);
    let joined = if whole {
        value
    } else {
        let mut parts: Vec<&str> = value.split(|c| delimiters.contains(c)).collect();
        if m.reverse {
            parts.reverse();
        }
        if let Some(keep) = m.digits {
            let keep = usize::try_from(keep).unwrap_or(usize::MAX);
            if keep < parts.len() {
                parts.drain(..parts.len() - keep);
            }
        }
        Cow::Owned(parts.join("."))
    };
    if m.url_escape {
        url_escape(&joined, out);
    } else {
        out.push_str(&joined);
    }
}

fn letter_value<'e>(letter: MacroLetter, env: &MacroEnv<'e>) -> Cow<'e, str> {
    match letter {
        MacroLetter::Sender => Cow::Borrowed(env.sender),
        MacroLetter::Local => Cow::Borrowed(env.local),
        MacroLetter::SenderDomain => Cow::Borrowed(env.sender_domain),
        MacroLetter::Domain => Cow::Borrowed(env.domain),
        MacroLetter::Ip => Cow::Owned(dotted_ip(env.ip)),
        MacroLetter::Ptr => Cow::Borrowed(env.ptr),
        MacroLetter::Version => Cow::Borrowed(match env.ip {
            IpAddr::V4(_) => "in-addr",
            IpAddr::V6(_) => "ip6",
        }),
        MacroLetter::Helo => Cow::Borrowed(env.helo),
        MacroLetter::ClientIp => Cow::Owned(env.ip.to_string()),
        MacroLetter::Receiver => Cow::Borrowed(env.receiver),
        MacroLetter::Timestamp => {
            let now = || {
                SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs())
            };
            Cow::Owned(env.timestamp.unwrap_or_else(now).to_string())
        }
    }
}

/// `%{i}`: dotted quad for IPv4, 32 dot-separated nibbles for IPv6 (RFC 7208 §7.3).
pub fn dotted_ip(ip: IpAddr) -> String {
    let mut out = String::with_capacity(63);
    push_dotted_ip(&mut out, ip);
    out
}

/// Appends [`dotted_ip`] of `ip` to `out`.
fn push_dotted_ip(out: &mut String, ip: IpAddr) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    match ip {
        IpAddr::V4(v4) => crate::dns::push_ipv4(out, v4),
        IpAddr::V6(v6) => {
            for (i, byte) in v6.octets().into_iter().enumerate() {
                if i > 0 {
                    out.push('.');
                }
                out.push(char::from(HEX[usize::from(byte >> 4)]));
                out.push('.');
                out.push(char::from(HEX[usize::from(byte & 0xf)]));
            }
        }
    }
}

/// Appends `text` to `out`, percent-encoding every octet outside the
/// RFC 3986 unreserved set (RFC 7208 §7.3).
fn url_escape(text: &str, out: &mut String) {
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spf::parse;

    fn env(ip: &str) -> MacroEnv<'static> {
        MacroEnv {
            sender: "strong-bad@email.example.com",
            local: "strong-bad",
            sender_domain: "email.example.com",
            domain: "email.example.com",
            ip: ip.parse().unwrap(),
            helo: "mx.example.org",
            ptr: "unknown",
            receiver: "mx.example.net",
            timestamp: Some(1_000_000),
        }
    }

    fn expand_exp(text: &str, ip: &str) -> String {
        expand(&parse::parse_explanation(text).unwrap(), &env(ip))
    }

    #[test]
    fn timestamp_without_a_fixed_value_is_the_clock() {
        let spec = parse::parse_explanation("%{t}").unwrap();
        let before = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let env = MacroEnv {
            timestamp: None,
            ..env("192.0.2.3")
        };
        let t: u64 = expand(&spec, &env).parse().unwrap();
        let after = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        assert!((before..=after).contains(&t), "{before} <= {t} <= {after}");
        assert_eq!(expand_exp("%{t}", "192.0.2.3"), "1000000");
    }

    /// The examples of RFC 7208 §7.4.
    #[test]
    fn rfc_examples() {
        let table = [
            ("%{s}", "strong-bad@email.example.com"),
            ("%{o}", "email.example.com"),
            ("%{d}", "email.example.com"),
            ("%{d4}", "email.example.com"),
            ("%{d3}", "email.example.com"),
            ("%{d2}", "example.com"),
            ("%{d1}", "com"),
            ("%{dr}", "com.example.email"),
            ("%{d2r}", "example.email"),
            ("%{l}", "strong-bad"),
            ("%{l-}", "strong.bad"),
            ("%{lr}", "strong-bad"),
            ("%{lr-}", "bad.strong"),
            ("%{l1r-}", "strong"),
            (
                "%{ir}.%{v}._spf.%{d2}",
                "3.2.0.192.in-addr._spf.example.com",
            ),
            ("%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com"),
            (
                "%{d2}.trusted-domains.example.net",
                "example.com.trusted-domains.example.net",
            ),
            ("%%%_%-", "% %20"),
            ("%{L}", "strong-bad"),
            ("%{S}", "strong-bad%40email.example.com"),
            ("%{c} %{r} %{t}", "192.0.2.3 mx.example.net 1000000"),
        ];
        for (spec, want) in table {
            assert_eq!(expand_exp(spec, "192.0.2.3"), want, "{spec}");
        }
        assert_eq!(
            expand_exp("%{ir}.%{v}._spf.%{d2}", "2001:db8::cb01"),
            "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com"
        );
        assert_eq!(expand_exp("%{c}", "2001:db8::cb01"), "2001:db8::cb01");
    }

    /// A plain `%{i}` is written in place, after whatever came before it;
    /// it must read as the transformed forms do.
    #[test]
    fn plain_client_address_written_in_place_matches_the_general_path() {
        assert_eq!(expand_exp("x.%{i}.y", "192.0.2.3"), "x.192.0.2.3.y");
        assert_eq!(
            expand_exp("x.%{i}.y", "192.0.2.3"),
            expand_exp("x.%{I}.y", "192.0.2.3")
        );
        let v6 = "2001:db8::cb01";
        let nibbles = "2.0.0.1.0.d.b.8.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.c.b.0.1";
        assert_eq!(expand_exp("x.%{i}", v6), format!("x.{nibbles}"));
        assert_eq!(expand_exp("x.%{i}", v6), expand_exp("x.%{i32}", v6));
    }

    #[test]
    fn long_names_lose_labels_from_the_left() {
        let spec = parse::parse_explanation(&format!(
            "{}.{}.example.com.",
            "a".repeat(200),
            "b".repeat(60)
        ))
        .unwrap();
        let name = expand_domain(&spec, &env("192.0.2.3"));
        assert_eq!(name, format!("{}.example.com", "b".repeat(60)));
    }
}
