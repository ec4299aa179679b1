//! Generic (dynamic, ISP-assigned) reverse-DNS names, as receivers detect
//! them (deliverability.md §6): SpamAssassin `20_dynrdns.cf`, rspamd
//! `hfilter` and Haraka's `dynamic` check. A mail server needs a custom PTR
//! naming its HELO host; a name that looks like end-user space gets PBL and
//! SpamRATS-Dyna listings and spam-folder scores.

use std::fmt;
use std::net::IpAddr;

use serde::Serialize;

use crate::names::normal_form;

/// How strongly a name looks generic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Strength {
    /// Likely: a weak token, or a strong sign softened by `static`/`fix`.
    Warning,
    /// Receivers treat it as end-user space.
    Error,
}

/// Why a PTR name looks generic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GenericPtr {
    /// How strongly.
    pub strength: Strength,
    /// The pattern that matched, for the report.
    pub pattern: String,
}

impl fmt::Display for GenericPtr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.pattern)
    }
}

/// The rspamd `hfilter` weight of a dynamic token (and SpamAssassin's
/// dynamic tokens); `None` for any other text.
///
/// A `match` rather than a table: it is asked twice for every part of
/// every PTR and HELO name `verify` meets, and compiles to a switch on
/// the length.
fn token_weight(text: &str) -> Option<u8> {
    Some(match text {
        "gprs" | "cdma" | "homeuser" | "dhcp" | "catv" | "wifi" | "dial-up" | "dialup" | "dial"
        | "dynamic" | "dyn" | "dynip" | "broadband" | "broad" | "bredband" | "nat" | "pptp"
        | "pppoe" | "ppp" | "modem" | "cablemodem" | "isdn" | "docsis" | "cpe" | "resnet" => 5,
        "adsl" | "xdsl" | "vdsl" | "dsl" | "in-addr" | "pool" | "fibertel" | "fbx" | "wireless"
        | "res" => 4,
        "unused-addr" | "cable" | "kabel" => 3,
        "host" => 2,
        "clients" | "client" | "customers" | "customer" | "user" | "peer" => 1,
        _ => return None,
    })
}

/// Tokens that mark a static assignment: they soften, never clear.
const STATIC_TOKENS: &[&str] = &["static", "fix", "fixip", "fixed"];

/// Checks a PTR name (`ip` is the address it maps, when known).
///
/// `verify` checks every PTR name and HELO name of an inventory, so the
/// common case, a name that is not generic, allocates nothing but the
/// lower-case copy of a name that has upper case.
pub fn check(name: &str, ip: Option<IpAddr>) -> Option<GenericPtr> {
    let name = normal_form(name);
    let host = strip_registered_domain(&name);
    let mut found: Vec<(Strength, String)> = Vec::new();
    if let Some(why) = ip.and_then(|ip| embedded_address(host, ip)) {
        found.push((Strength::Error, why));
    } else if let Some(why) = four_decimal_runs(host) {
        found.push((Strength::Error, why));
    }
    if let Some((token, weight)) = dynamic_token(host) {
        let strength = if weight >= 4 {
            Strength::Error
        } else {
            Strength::Warning
        };
        found.push((strength, format!("the token `{token}` (weight {weight})")));
    }
    let (mut strength, _) = *found.iter().max_by_key(|(s, _)| *s)?;
    let mut pattern = found
        .into_iter()
        .map(|(_, why)| why)
        .collect::<Vec<_>>()
        .join(" and ");
    if let Some(token) = labels_and_parts(host).find(|part| STATIC_TOKENS.contains(part)) {
        strength = Strength::Warning;
        pattern.push_str(&format!(" (softened by `{token}`)"));
    }
    Some(GenericPtr { strength, pattern })
}

/// The name without its last two labels (a stand-in for the registered
/// domain): ISP domains must not count as host-part tokens.
fn strip_registered_domain(name: &str) -> &str {
    let mut cut = name.len();
    for _ in 0..2 {
        match name[..cut].rfind('.') {
            Some(dot) => cut = dot,
            None => return name,
        }
    }
    &name[..cut]
}

/// Labels and their `-`-separated parts.
fn labels_and_parts(host: &str) -> impl Iterator<Item = &str> {
    host.split(['.', '-']).filter(|p| !p.is_empty())
}

/// The value of a part written as an octet is in decimal: digits only, no
/// leading zero, at most 255 (`010` is not the octet 10).
fn octet(part: &str) -> Option<u8> {
    match part.as_bytes() {
        [b'0', _, ..] => None,
        digits if digits.len() <= 3 && digits.iter().all(u8::is_ascii_digit) => part.parse().ok(),
        _ => None,
    }
}

/// Haraka `dynamic`: octets 3 and 4, or 1 and 2, as separate numbers; or
/// all four bytes in hex. For IPv6, the last two groups in hex.
fn embedded_address(host: &str, ip: IpAddr) -> Option<String> {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            // Two octets side by side, in either order (`…-113-10.`,
            // `10.113.…`): numbers that merely occur somewhere, such as the
            // `0`s of `m0.d0.example`, are no sign of a generated name.
            // Whole numeric parts only: the `2` of `ec2` is no octet.
            let mut previous: Option<Option<u8>> = None;
            for part in labels_and_parts(host) {
                if !part.bytes().all(|b| b.is_ascii_digit()) {
                    continue;
                }
                let value = octet(part);
                if let (Some(Some(x)), Some(y)) = (previous, value) {
                    let pair = |a: u8, b: u8| (x == a && y == b) || (x == b && y == a);
                    if pair(o[2], o[3]) || pair(o[0], o[1]) {
                        return Some(format!("the address {v4} in decimal"));
                    }
                }
                previous = Some(value);
            }
            const HEX: &[u8; 16] = b"0123456789abcdef";
            let hex = o.map(|b| [HEX[usize::from(b >> 4)], HEX[usize::from(b & 0xf)]]);
            let hex = hex.as_flattened();
            if host.as_bytes().windows(hex.len()).any(|w| w == hex) {
                let hex = std::str::from_utf8(hex).expect("hex digits are ASCII");
                return Some(format!("the address {v4} in hex (`{hex}`)"));
            }
            None
        }
        IpAddr::V6(v6) => {
            let segments = v6.segments();
            if segments[6] == 0 {
                return None;
            }
            let tail = format!("{:x}-{:x}", segments[6], segments[7]);
            let compact = format!("{:04x}{:04x}", segments[6], segments[7]);
            (host.contains(&tail) || host.contains(&compact))
                .then(|| format!("the address {v6} in the name"))
        }
    }
}

/// SpamAssassin: four decimal runs separated by single non-digits.
fn four_decimal_runs(host: &str) -> Option<String> {
    let bytes = host.as_bytes();
    let mut runs = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() {
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            runs += 1;
            if runs == 4 {
                return Some("four numbers in a row, an address pattern".to_owned());
            }
            // Exactly one separator, then a digit, continues the run.
            if i + 1 < bytes.len() && !bytes[i].is_ascii_digit() && bytes[i + 1].is_ascii_digit() {
                i += 1;
                continue;
            }
        }
        runs = 0;
        i += 1;
    }
    None
}

/// The heaviest dynamic token, matched as rspamd does: a whole part, or a
/// part that starts with the token followed by digits, or ends with it
/// preceded by digits.
fn dynamic_token(host: &str) -> Option<(&str, u8)> {
    // No token holds a digit, so a part matches a token exactly when the
    // part without its trailing digits, or without its leading digits, is
    // the token; and it can match one token only.
    let token = |text| token_weight(text).map(|weight| (text, weight));
    let mut best: Option<(&str, u8)> = None;
    for part in labels_and_parts(host) {
        let digit = |c: char| c.is_ascii_digit();
        let hit =
            token(part.trim_end_matches(digit)).or_else(|| token(part.trim_start_matches(digit)));
        if let Some((token, weight)) = hit
            && best.is_none_or(|(_, w)| weight > w)
        {
            best = Some((token, weight));
        }
    }
    // Compound tokens (`dial-up`, `in-addr`, `unused-addr`) span a `-`: a
    // whole label that is one. Their weights differ, so the order in which
    // labels meet them does not matter.
    for label in host.split('.').filter(|label| label.contains('-')) {
        if let Some((token, weight)) = token(label)
            && best.is_none_or(|(_, w)| weight > w)
        {
            best = Some((token, weight));
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> Option<IpAddr> {
        Some(text.parse().unwrap())
    }

    #[test]
    fn real_world_generic_names() {
        let cases: &[(&str, &str, Strength)] = &[
            (
                "c-67-168-174-61.hsd1.ca.comcast.net",
                "67.168.174.61",
                Strength::Error,
            ),
            (
                "74.67-201-80.adsl.skynet.be",
                "80.201.67.74",
                Strength::Error,
            ),
            (
                "pd9e4f89f.dip0.t-ipconnect.de",
                "217.228.248.159",
                Strength::Error,
            ),
            (
                "host-203-0-113-10.dynamic.example.net",
                "203.0.113.10",
                Strength::Error,
            ),
            (
                "cpe-70-123-45-67.tx.res.rr.com",
                "70.123.45.67",
                Strength::Error,
            ),
            (
                "ec2-203-0-113-10.compute-1.amazonaws.com",
                "203.0.113.10",
                Strength::Error,
            ),
            (
                "10.113.0.203.bc.googleusercontent.com",
                "203.0.113.10",
                Strength::Error,
            ),
            ("dsl-pool-12.example.net", "198.51.100.12", Strength::Error),
            ("ppp12.example.net", "198.51.100.12", Strength::Error),
            ("dhcp-198-51.example.net", "198.51.100.12", Strength::Error),
            (
                "203-0-113-10.static.example-isp.net",
                "203.0.113.10",
                Strength::Warning,
            ),
            (
                "static.10.113.0.203.clients.your-server.de",
                "203.0.113.10",
                Strength::Warning,
            ),
            (
                "customer.example-isp.net.example",
                "192.0.2.1",
                Strength::Warning,
            ),
        ];
        for (name, address, strength) in cases {
            let found = check(name, ip(address)).unwrap_or_else(|| panic!("{name} not flagged"));
            assert_eq!(found.strength, *strength, "{name}: {found}");
        }
    }

    #[test]
    fn custom_names_are_not_generic() {
        for (name, address) in [
            ("mail.example.com", "203.0.113.10"),
            ("mx1.example.org", "203.0.113.10"),
            ("smtp-out.example.net", "203.0.113.10"),
            ("relay2.mail.example.co.uk", "198.51.100.7"),
            ("mail203.example.com", "203.0.113.10"),
            ("mx-10.example.com", "203.0.113.10"),
            ("m0.d0.bench.example", "11.0.0.0"),
            ("mail-113.example.com", "203.0.113.10"),
            ("hostmaster.example.net", "192.0.2.1"),
            ("mail.example.com", "2001:db8::25"),
            // `010` is no octet; a token between digits is no token
            ("mail-113-010.example.com", "203.0.113.10"),
            ("1dyn2.example.com", "203.0.113.10"),
        ] {
            assert_eq!(check(name, ip(address)), None, "{name}");
        }
    }
}
