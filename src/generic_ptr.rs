//! Generic (dynamic, ISP-assigned) reverse-DNS names, as receivers detect
//! them (deliverability.md §6): SpamAssassin `20_dynrdns.cf`, rspamd
//! `hfilter` and Haraka's `dynamic` check. A mail server needs a custom PTR
//! naming its HELO host; a name that looks like end-user space gets PBL and
//! SpamRATS-Dyna listings and spam-folder scores.

use std::fmt;
use std::net::IpAddr;

use serde::Serialize;

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

/// rspamd `hfilter` token weights (and SpamAssassin's dynamic tokens).
const TOKENS: &[(&str, u8)] = &[
    ("gprs", 5),
    ("cdma", 5),
    ("homeuser", 5),
    ("dhcp", 5),
    ("catv", 5),
    ("wifi", 5),
    ("dial-up", 5),
    ("dialup", 5),
    ("dial", 5),
    ("dynamic", 5),
    ("dyn", 5),
    ("dynip", 5),
    ("broadband", 5),
    ("broad", 5),
    ("bredband", 5),
    ("nat", 5),
    ("pptp", 5),
    ("pppoe", 5),
    ("ppp", 5),
    ("modem", 5),
    ("cablemodem", 5),
    ("isdn", 5),
    ("docsis", 5),
    ("cpe", 5),
    ("resnet", 5),
    ("adsl", 4),
    ("xdsl", 4),
    ("vdsl", 4),
    ("dsl", 4),
    ("in-addr", 4),
    ("pool", 4),
    ("fibertel", 4),
    ("fbx", 4),
    ("wireless", 4),
    ("res", 4),
    ("unused-addr", 3),
    ("cable", 3),
    ("kabel", 3),
    ("host", 2),
    ("clients", 1),
    ("client", 1),
    ("customers", 1),
    ("customer", 1),
    ("user", 1),
    ("peer", 1),
];

/// Tokens that mark a static assignment: they soften, never clear.
const STATIC_TOKENS: &[&str] = &["static", "fix", "fixip", "fixed"];

/// Checks a PTR name (`ip` is the address it maps, when known).
pub fn check(name: &str, ip: Option<IpAddr>) -> Option<GenericPtr> {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
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

/// Haraka `dynamic`: octets 3 and 4, or 1 and 2, as separate numbers; or
/// all four bytes in hex. For IPv6, the last two groups in hex.
fn embedded_address(host: &str, ip: IpAddr) -> Option<String> {
    // Whole numeric parts only: the `2` of `ec2` is no octet.
    let numbers: Vec<&str> = labels_and_parts(host)
        .filter(|p| p.bytes().all(|b| b.is_ascii_digit()))
        .collect();
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets().map(|b| b.to_string());
            // Two octets side by side, in either order (`…-113-10.`,
            // `10.113.…`): numbers that merely occur somewhere, such as the
            // `0`s of `m0.d0.example`, are no sign of a generated name.
            let adjacent = |x: &String, y: &String| {
                numbers
                    .windows(2)
                    .any(|w| (w[0] == x && w[1] == y) || (w[0] == y && w[1] == x))
            };
            if adjacent(&o[2], &o[3]) || adjacent(&o[0], &o[1]) {
                return Some(format!("the address {v4} in decimal"));
            }
            let hex = v4
                .octets()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>();
            if host.contains(&hex) {
                return Some(format!("the address {v4} in hex (`{hex}`)"));
            }
            None
        }
        IpAddr::V6(v6) => {
            let segments = v6.segments();
            let tail = format!("{:x}-{:x}", segments[6], segments[7]);
            let compact = format!("{:04x}{:04x}", segments[6], segments[7]);
            (segments[6] != 0 && (host.contains(&tail) || host.contains(&compact)))
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
fn dynamic_token(host: &str) -> Option<(&'static str, u8)> {
    let mut best: Option<(&'static str, u8)> = None;
    for part in labels_and_parts(host) {
        for &(token, weight) in TOKENS {
            let hit = part == token
                || part.strip_prefix(token).is_some_and(|rest| {
                    !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit())
                })
                || part.strip_suffix(token).is_some_and(|rest| {
                    !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit())
                });
            if hit && best.is_none_or(|(_, w)| weight > w) {
                best = Some((token, weight));
            }
        }
    }
    // Compound tokens span a `-`.
    for &(token, weight) in TOKENS.iter().filter(|(t, _)| t.contains('-')) {
        if host.split('.').any(|label| label == token) && best.is_none_or(|(_, w)| weight > w) {
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
        ] {
            assert_eq!(check(name, ip(address)), None, "{name}");
        }
    }
}
