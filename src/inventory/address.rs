//! IP addresses as the inventory writes them, read in one pass.
//!
//! A large inventory lists hundreds of thousands of addresses: the usual
//! spellings (a dotted quad, IPv6 hex groups with at most one `::`) are
//! read here; any other text goes to the standard parser, which decides.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// `text` as an address, exactly as `text.parse::<IpAddr>()` reads it.
pub(super) fn parse(text: &str) -> Option<IpAddr> {
    let bytes = text.as_bytes();
    ipv4(bytes)
        .map(IpAddr::V4)
        .or_else(|| ipv6(bytes).map(IpAddr::V6))
        .or_else(|| text.parse().ok())
}

/// Four decimal octets without leading zeros, as the standard parser
/// accepts them; `None` for anything else.
fn ipv4(bytes: &[u8]) -> Option<Ipv4Addr> {
    let mut octets = [0u8; 4];
    let (mut n, mut value, mut digits) = (0, 0u16, 0);
    for &b in bytes {
        match b {
            // At most three digits, and no leading zero.
            b'0'..=b'9' if digits < 3 && !(digits == 1 && value == 0) => {
                value = value * 10 + u16::from(b - b'0');
                digits += 1;
            }
            b'.' if digits > 0 && n < 3 => {
                octets[n] = u8::try_from(value).ok()?;
                (n, value, digits) = (n + 1, 0, 0);
            }
            _ => return None,
        }
    }
    if digits == 0 || n != 3 {
        return None;
    }
    octets[3] = u8::try_from(value).ok()?;
    Some(Ipv4Addr::from(octets))
}

/// Groups of one to four hex digits, eight of them or fewer around one
/// `::`; `None` for anything else (an embedded IPv4 address included).
fn ipv6(bytes: &[u8]) -> Option<Ipv6Addr> {
    let mut segments = [0u16; 8];
    let mut count = 0;
    // Where `::` stands, in groups.
    let mut elided = None;
    let mut i = 0;
    if bytes.starts_with(b"::") {
        (elided, i) = (Some(0), 2);
    }
    while i < bytes.len() {
        let start = i;
        let mut value: u16 = 0;
        while let Some(digit) = bytes.get(i).and_then(|&b| hex(b)) {
            if i - start == 4 {
                return None;
            }
            value = (value << 4) | digit;
            i += 1;
        }
        if i == start || count == 8 {
            return None;
        }
        segments[count] = value;
        count += 1;
        match &bytes[i..] {
            [] => break,
            [b':', b':', ..] if elided.is_none() => (elided, i) = (Some(count), i + 2),
            [b':', _, ..] => i += 1,
            _ => return None,
        }
    }
    match elided {
        None => (count == 8).then_some(Ipv6Addr::from(segments)),
        // `::` stands for one group at least.
        Some(_) if count > 7 => None,
        Some(at) => {
            segments[at..].rotate_right(8 - count);
            Some(Ipv6Addr::from(segments))
        }
    }
}

fn hex(byte: u8) -> Option<u16> {
    let digit = match byte {
        b'0'..=b'9' => byte - b'0',
        b'a'..=b'f' => byte - b'a' + 10,
        b'A'..=b'F' => byte - b'A' + 10,
        _ => return None,
    };
    Some(u16::from(digit))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn standard(text: &str) -> Option<IpAddr> {
        text.parse().ok()
    }

    #[test]
    fn usual_spellings_are_read_in_one_pass() {
        for text in [
            "0.0.0.0",
            "11.0.0.255",
            "203.0.113.10",
            "2a00:1:0::0",
            "::",
            "::1",
            "1::",
            "2001:DB8::a:b",
            "1:2:3:4:5:6:7:8",
            "1:2:3:4:5:6::8",
            "fe80::1:2:3:4:5:6",
        ] {
            let bytes = text.as_bytes();
            let quick = ipv4(bytes)
                .map(IpAddr::V4)
                .or_else(|| ipv6(bytes).map(IpAddr::V6));
            assert_eq!(quick, standard(text), "{text}");
            assert!(quick.is_some(), "{text}");
        }
    }

    #[test]
    fn other_text_reads_as_the_standard_parser_reads_it() {
        for text in [
            "",
            ".",
            "1.2.3",
            "1.2.3.4.5",
            "01.2.3.4",
            "1.2.3.256",
            "1..2.3",
            "1.2.3.4 ",
            "::ffff:1.2.3.4",
            "1:2:3:4:5:6:7:8:9",
            "1::2::3",
            ":1::",
            "1:::2",
            "12345::",
            "1:2:3:4:5:6:7::8",
            "1:2:3:4:5:6:7::",
            "::1:2:3:4:5:6:7",
            "g::",
            "+1::",
            "1.2.3.-4",
        ] {
            assert_eq!(parse(text), standard(text), "{text:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn agrees_with_the_standard_parser(text in "[0-9a-fA-F:.]{0,42}|[0-9.]{0,16}") {
            proptest::prop_assert_eq!(parse(&text), standard(&text), "{:?}", text);
        }

        #[test]
        fn reads_what_addresses_print(v4: u32, v6: u128) {
            for ip in [IpAddr::from(Ipv4Addr::from(v4)), IpAddr::from(Ipv6Addr::from(v6))] {
                proptest::prop_assert_eq!(parse(&ip.to_string()), Some(ip));
            }
        }
    }
}
