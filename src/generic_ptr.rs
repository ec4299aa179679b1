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

/// What a word of a name is: a dynamic token with its rspamd `hfilter`
/// weight (and SpamAssassin's dynamic tokens), or a static marker.
#[derive(Clone, Copy)]
enum Word {
    Token(u8),
    Static,
}

/// The [`Word`] that lower-case `text` is, if any.
///
/// A `match` on the bytes rather than a table: it is asked for every part
/// of every PTR and HELO name `verify` meets.
fn word(text: &[u8]) -> Option<Word> {
    Some(Word::Token(match text {
        b"gprs" | b"cdma" | b"homeuser" | b"dhcp" | b"catv" | b"wifi" | b"dial-up" | b"dialup"
        | b"dial" | b"dynamic" | b"dyn" | b"dynip" | b"broadband" | b"broad" | b"bredband"
        | b"nat" | b"pptp" | b"pppoe" | b"ppp" | b"modem" | b"cablemodem" | b"isdn" | b"docsis"
        | b"cpe" | b"resnet" => 5,
        b"adsl" | b"xdsl" | b"vdsl" | b"dsl" | b"in-addr" | b"pool" | b"fibertel" | b"fbx"
        | b"wireless" | b"res" => 4,
        b"unused-addr" | b"cable" | b"kabel" => 3,
        b"host" => 2,
        b"clients" | b"client" | b"customers" | b"customer" | b"user" | b"peer" => 1,
        // Tokens that mark a static assignment: they soften, never clear.
        b"static" | b"fix" | b"fixip" | b"fixed" => return Some(Word::Static),
        _ => return None,
    }))
}

/// The longest and the shortest [`word`].
const LONGEST_WORD: usize = "unused-addr".len();
const SHORTEST_WORD: usize = "dyn".len();

/// The [`Word`] that `text` is, in any case.
fn word_in_any_case(text: &[u8]) -> Option<Word> {
    if text.len() < SHORTEST_WORD {
        return None;
    }
    let mut lower = [0; LONGEST_WORD];
    let lower = lower.get_mut(..text.len())?;
    for (to, from) in lower.iter_mut().zip(text) {
        *to = from.to_ascii_lowercase();
    }
    word(lower)
}

/// The dynamic token of `text`, in any case.
fn token_in_any_case(text: &[u8]) -> Option<u8> {
    match word_in_any_case(text)? {
        Word::Token(weight) => Some(weight),
        Word::Static => None,
    }
}

/// What a name shows of a generic name whatever the address, read in one
/// pass over its bytes: the checks against each address of a server then
/// read these few facts, not the name again.
#[derive(Debug, Clone, Copy)]
pub struct Signs<'a> {
    /// The name without its registered domain, in the case it was given.
    host: &'a str,
    /// SpamAssassin: four decimal runs separated by single non-digits.
    four_runs: bool,
    /// The heaviest dynamic token (its place in `host`) and its weight.
    token: Option<(usize, usize, u8)>,
    /// The first static marker (its place in `host`).
    softener: Option<(usize, usize)>,
    /// Two successive whole-number parts (words between them aside) are
    /// both octets: a decimal address may be there.
    octet_pair: bool,
    /// The longest run of hex digits: an IPv4 address in hex takes 8.
    hex_run: usize,
    /// A hex digit, `-` and a hex digit in a row, as an IPv6 tail has.
    hex_dash: bool,
}

/// Checks a PTR name (`ip` is the address it maps, when known).
///
/// `verify` checks every PTR name and HELO name of an inventory, so the
/// common case, a name that is not generic, allocates nothing. To check one
/// name against several addresses, read it once with [`Signs::of`].
pub fn check(name: &str, ip: Option<IpAddr>) -> Option<GenericPtr> {
    Signs::of(name).check(ip)
}

impl<'a> Signs<'a> {
    /// Reads `name`, in any case, with or without its trailing dot.
    pub fn of(name: &'a str) -> Self {
        let name = name.strip_suffix('.').unwrap_or(name);
        let host = strip_registered_domain(name);
        let bytes = host.as_bytes();
        let mut token = None;
        let mut softener = None;
        // SpamAssassin's runs: how many in the current chain, and the
        // non-digits since the last digit.
        let (mut runs, mut gap, mut four_runs) = (0, 0, false);
        // The hex digits in a row, and the longest such run.
        let (mut hex, mut hex_run, mut hex_dash) = (0, 0, false);
        // The value of the last whole-number part (`None` when it is no
        // octet).
        let mut previous: Option<Option<u8>> = None;
        let mut octet_pair = false;
        // The current label (between dots): where it starts, whether it
        // has a `-`; the heaviest compound token.
        let (mut label, mut dashed) = (0, false);
        let mut compound = None;
        let mut start = 0;
        loop {
            // One part, up to the next `.` or `-`, and its trailing digits.
            let mut end = start;
            let mut trailing = 0;
            while let Some(&byte) = bytes.get(end) {
                if byte == b'.' || byte == b'-' {
                    break;
                }
                if byte.is_ascii_digit() {
                    if trailing == 0 {
                        // Exactly one non-digit since the last run continues
                        // the chain.
                        runs = if gap == 1 { runs + 1 } else { 1 };
                        four_runs |= runs == 4;
                    }
                    trailing += 1;
                    hex += 1;
                } else {
                    gap = if trailing > 0 { 1 } else { gap + 1 };
                    trailing = 0;
                    if byte.is_ascii_hexdigit() {
                        hex += 1;
                    } else {
                        hex_run = hex_run.max(hex);
                        hex = 0;
                    }
                }
                end += 1;
            }
            let part = &bytes[start..end];
            if !part.is_empty() && trailing == part.len() {
                let value = octet(part);
                octet_pair |= matches!((previous, value), (Some(Some(_)), Some(_)));
                previous = Some(value);
            } else if !part.is_empty() {
                // No token holds a digit: the part matches one when the part
                // without its leading or trailing digits is the token.
                let leading = part.iter().take_while(|b| b.is_ascii_digit()).count();
                if leading == 0 || trailing == 0 {
                    let (from, to) = (start + leading, end - trailing);
                    match word_in_any_case(&bytes[from..to]) {
                        Some(Word::Token(weight)) => keep_heaviest(&mut token, (from, to, weight)),
                        Some(Word::Static) if leading + trailing == 0 && softener.is_none() => {
                            softener = Some((from, to));
                        }
                        _ => {}
                    }
                }
            }
            hex_run = hex_run.max(hex);
            let dash = bytes.get(end) == Some(&b'-');
            if dash {
                dashed = true;
                hex_dash |= hex > 0 && bytes.get(end + 1).is_some_and(u8::is_ascii_hexdigit);
            } else {
                // Compound tokens (`dial-up`, `in-addr`, `unused-addr`) span
                // a `-`: a whole label that is one.
                if dashed && let Some(weight) = token_in_any_case(&bytes[label..end]) {
                    keep_heaviest(&mut compound, (label, end, weight));
                }
                (label, dashed) = (end + 1, false);
            }
            if end == bytes.len() {
                break;
            }
            gap = if trailing > 0 { 1 } else { gap + 1 };
            hex = 0;
            start = end + 1;
        }
        // A compound token counts when it outweighs every part.
        if let Some(found) = compound {
            keep_heaviest(&mut token, found);
        }
        Signs {
            host,
            four_runs,
            token,
            softener,
            octet_pair,
            hex_run,
            hex_dash,
        }
    }

    /// Checks the name as the PTR name (or HELO name) of `ip`, when known.
    pub fn check(&self, ip: Option<IpAddr>) -> Option<GenericPtr> {
        let number = match ip.and_then(|ip| self.embedded_address(ip)) {
            Some(why) => Some(why),
            None if self.four_runs => Some("four numbers in a row, an address pattern".to_owned()),
            None => None,
        };
        let token = self.token.map(|(start, end, weight)| {
            let strength = if weight >= 4 {
                Strength::Error
            } else {
                Strength::Warning
            };
            let token = self.host[start..end].to_ascii_lowercase();
            (strength, format!("the token `{token}` (weight {weight})"))
        });
        let (mut strength, mut pattern) = match (number, token) {
            (None, None) => return None,
            (Some(number), None) => (Strength::Error, number),
            (None, Some(token)) => token,
            (Some(number), Some((_, token))) => (Strength::Error, format!("{number} and {token}")),
        };
        if let Some((start, end)) = self.softener {
            strength = Strength::Warning;
            let token = self.host[start..end].to_ascii_lowercase();
            pattern.push_str(&format!(" (softened by `{token}`)"));
        }
        Some(GenericPtr { strength, pattern })
    }

    /// Haraka `dynamic`: octets 3 and 4, or 1 and 2, as separate numbers; or
    /// all four bytes in hex. For IPv6, the last two groups in hex.
    fn embedded_address(&self, ip: IpAddr) -> Option<String> {
        let host = self.host.as_bytes();
        match ip {
            IpAddr::V4(v4) => {
                let o = v4.octets();
                // Two octets side by side, in either order (`…-113-10.`,
                // `10.113.…`): numbers that merely occur somewhere, such as
                // the `0`s of `m0.d0.example`, are no sign of a generated
                // name. Whole numeric parts only: the `2` of `ec2` is no
                // octet.
                if self.octet_pair {
                    let mut previous: Option<Option<u8>> = None;
                    let numbers = host
                        .split(|&b| b == b'.' || b == b'-')
                        .filter(|part| !part.is_empty() && part.iter().all(u8::is_ascii_digit));
                    for part in numbers {
                        let value = octet(part);
                        if let (Some(Some(x)), Some(y)) = (previous, value) {
                            let pair = |a: u8, b: u8| (x == a && y == b) || (x == b && y == a);
                            if pair(o[2], o[3]) || pair(o[0], o[1]) {
                                return Some(format!("the address {v4} in decimal"));
                            }
                        }
                        previous = Some(value);
                    }
                }
                // Eight hex digits in a row.
                if self.hex_run < 8 {
                    return None;
                }
                let mut hex = [0; 8];
                for (digits, byte) in hex.chunks_exact_mut(2).zip(o) {
                    write_hex(u16::from(byte), 2, digits);
                }
                if contains(host, &hex) {
                    let hex: String = hex.iter().copied().map(char::from).collect();
                    return Some(format!("the address {v4} in hex (`{hex}`)"));
                }
                None
            }
            IpAddr::V6(v6) => {
                let segments = v6.segments();
                if segments[6] == 0 {
                    return None;
                }
                // `{:x}-{:x}` of the last two groups (hex digits around a
                // `-`), or `{:04x}{:04x}` (eight hex digits in a row).
                let tail = || {
                    let mut tail = [0; 9];
                    let mut length = write_hex(segments[6], 1, &mut tail);
                    tail[length] = b'-';
                    length += 1;
                    length += write_hex(segments[7], 1, &mut tail[length..]);
                    contains(host, &tail[..length])
                };
                let compact = || {
                    let mut compact = [0; 8];
                    write_hex(segments[6], 4, &mut compact[..4]);
                    write_hex(segments[7], 4, &mut compact[4..]);
                    contains(host, &compact)
                };
                let found = (self.hex_dash && tail()) || (self.hex_run >= 8 && compact());
                found.then(|| format!("the address {v6} in the name"))
            }
        }
    }
}

/// Replaces `best` by `found` when `found` weighs more: the first of the
/// heaviest tokens is kept.
fn keep_heaviest(best: &mut Option<(usize, usize, u8)>, found: (usize, usize, u8)) {
    if best.is_none_or(|(_, _, weight)| found.2 > weight) {
        *best = Some(found);
    }
}

/// Writes `value` in lower-case hex, at least `width` digits, at the start
/// of `out`; returns how many.
fn write_hex(value: u16, width: usize, out: &mut [u8]) -> usize {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digits = (4 - value.leading_zeros() as usize / 4).max(width);
    for (i, digit) in out[..digits].iter_mut().enumerate() {
        let shift = 4 * (digits - 1 - i);
        *digit = HEX[usize::from((value >> shift) & 0xf)];
    }
    digits
}

/// Whether `host`, in any case, holds the lower-case `needle`.
fn contains(host: &[u8], needle: &[u8]) -> bool {
    host.windows(needle.len())
        .any(|window| window.eq_ignore_ascii_case(needle))
}

/// The name without its last two labels (a stand-in for the registered
/// domain): ISP domains must not count as host-part tokens.
fn strip_registered_domain(name: &str) -> &str {
    let bytes = name.as_bytes();
    let mut cut = bytes.len();
    for _ in 0..2 {
        match bytes[..cut].iter().rposition(|&b| b == b'.') {
            Some(dot) => cut = dot,
            None => return name,
        }
    }
    &name[..cut]
}

/// The value of a part written as an octet is in decimal: digits only, no
/// leading zero, at most 255 (`010` is not the octet 10).
fn octet(digits: &[u8]) -> Option<u8> {
    match digits {
        [b'0', _, ..] => None,
        [..] if digits.len() <= 3 && digits.iter().all(u8::is_ascii_digit) => {
            digits.iter().try_fold(0u8, |value, digit| {
                value.checked_mul(10)?.checked_add(digit - b'0')
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

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

    #[test]
    fn patterns_name_what_matched() {
        let cases: &[(&str, Option<&str>, Strength, &str)] = &[
            (
                "Host-203-0-113-10.Dynamic.Example.NET.",
                Some("203.0.113.10"),
                Strength::Error,
                "the address 203.0.113.10 in decimal and the token `dynamic` (weight 5)",
            ),
            (
                "203-0-113-10.static.example-isp.net",
                None,
                Strength::Warning,
                "four numbers in a row, an address pattern (softened by `static`)",
            ),
            (
                "PD9E4F89F.dip0.t-ipconnect.de",
                Some("217.228.248.159"),
                Strength::Error,
                "the address 217.228.248.159 in hex (`d9e4f89f`)",
            ),
            (
                "mail-25-1f.example.net",
                Some("2001:db8::25:1f"),
                Strength::Error,
                "the address 2001:db8::25:1f in the name",
            ),
            (
                "x0025001f.example.net",
                Some("2001:db8::25:1f"),
                Strength::Error,
                "the address 2001:db8::25:1f in the name",
            ),
            (
                "12ppp.example.net",
                None,
                Strength::Error,
                "the token `ppp` (weight 5)",
            ),
            (
                "a.in-addr.b.example.net",
                None,
                Strength::Error,
                "the token `in-addr` (weight 4)",
            ),
            (
                "unused-addr.user.example.net",
                None,
                Strength::Warning,
                "the token `unused-addr` (weight 3)",
            ),
            (
                "dial-up7.cable.example.net",
                None,
                Strength::Error,
                "the token `dial` (weight 5)",
            ),
            (
                "client1.host2.FIXED.example.net",
                None,
                Strength::Warning,
                "the token `host` (weight 2) (softened by `fixed`)",
            ),
        ];
        for (name, address, strength, pattern) in cases {
            let found = check(name, address.and_then(ip)).unwrap_or_else(|| panic!("{name}"));
            assert_eq!(
                (found.strength, found.pattern.as_str()),
                (*strength, *pattern)
            );
        }
    }

    #[test]
    fn one_reading_serves_every_address() {
        let signs = Signs::of("c-67-168-174-61.hsd1.ca.comcast.net");
        assert_eq!(
            signs.check(ip("67.168.174.61")).unwrap().pattern,
            "the address 67.168.174.61 in decimal"
        );
        assert_eq!(
            signs.check(ip("198.51.100.7")).unwrap().pattern,
            "four numbers in a row, an address pattern"
        );
        assert_eq!(signs.check(None), signs.check(ip("2001:db8::1")));
        // The last two labels are the registered domain, when there are more.
        for (name, generic) in [
            ("a.b.dynamic.example", false),
            ("static.example.com", false),
            ("ppp.example-isp.example", true),
            ("ppp.example", true),
            ("Dynamic.", true),
            (".", false),
        ] {
            assert_eq!(check(name, None).is_some(), generic, "{name}");
        }
    }

    /// Names made of the pieces the checks look for.
    fn names() -> impl Strategy<Value = String> {
        const PIECES: &[&str] = &[
            "0",
            "1",
            "10",
            "010",
            "113",
            "203",
            "255",
            "256",
            "1234",
            "2",
            "25",
            "1f",
            "cb",
            "cb00710a",
            "CB00710A",
            "0025001f",
            "25-1f",
            "d9e4f89f",
            "mail",
            "mx",
            "ec",
            "a",
            "Dyn",
            "dyn",
            "ppp",
            "PPP",
            "dial",
            "up",
            "dial-up",
            "in",
            "addr",
            "in-addr",
            "unused",
            "unused-addr",
            "host",
            "client",
            "user",
            "cable",
            "dsl",
            "static",
            "Fix",
            "fixip",
            "fixed",
            "res",
            "example",
            "é",
            "-",
            "-",
            ".",
            ".",
            "..",
            "--",
        ];
        prop::collection::vec(prop::sample::select(PIECES), 0..12)
            .prop_map(|pieces| pieces.concat())
    }

    fn addresses() -> impl Strategy<Value = Option<IpAddr>> {
        prop::sample::select(vec![
            None,
            ip("203.0.113.10"),
            ip("10.113.0.203"),
            ip("1.10.2.25"),
            ip("217.228.248.159"),
            ip("0.0.1.0"),
            ip("2001:db8::25:1f"),
            ip("2001:db8::1f:0"),
            ip("2001:db8::"),
        ])
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]
        /// The one-pass reading gives the verdicts and patterns of the
        /// checks it replaced, one search per sign.
        #[test]
        fn one_pass_agrees_with_the_separate_searches(
            name in names(),
            address in addresses(),
        ) {
            prop_assert_eq!(check(&name, address), reference::check(&name, address));
        }
    }

    /// The checks as they were, one search of the name per sign: the
    /// oracle of the one-pass reading.
    mod reference {
        use super::super::{GenericPtr, Strength};
        use crate::names::normal_form;
        use std::net::IpAddr;

        /// The rspamd `hfilter` weight of a dynamic token (and SpamAssassin's
        /// dynamic tokens); `None` for any other text.
        ///
        /// A `match` rather than a table: it is asked twice for every part of
        /// every PTR and HELO name `verify` meets, and compiles to a switch on
        /// the length.
        fn token_weight(text: &str) -> Option<u8> {
            Some(match text {
                "gprs" | "cdma" | "homeuser" | "dhcp" | "catv" | "wifi" | "dial-up" | "dialup"
                | "dial" | "dynamic" | "dyn" | "dynip" | "broadband" | "broad" | "bredband"
                | "nat" | "pptp" | "pppoe" | "ppp" | "modem" | "cablemodem" | "isdn" | "docsis"
                | "cpe" | "resnet" => 5,
                "adsl" | "xdsl" | "vdsl" | "dsl" | "in-addr" | "pool" | "fibertel" | "fbx"
                | "wireless" | "res" => 4,
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
        pub(super) fn check(name: &str, ip: Option<IpAddr>) -> Option<GenericPtr> {
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
                digits if digits.len() <= 3 && digits.iter().all(u8::is_ascii_digit) => {
                    part.parse().ok()
                }
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
                    if i + 1 < bytes.len()
                        && !bytes[i].is_ascii_digit()
                        && bytes[i + 1].is_ascii_digit()
                    {
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
                let hit = token(part.trim_end_matches(digit))
                    .or_else(|| token(part.trim_start_matches(digit)));
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
    }
}
