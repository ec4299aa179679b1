//! Address facts shared by the inventory checks, the planner and lint.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::LazyLock;

use ipnet::{IpNet, Ipv4Net, Ipv6Net};

/// One block of the IANA special-purpose address registries (RFC 6890 and
/// its updates) that a public mail server must not send from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpecialBlock {
    /// The block in CIDR notation.
    pub network: &'static str,
    /// What the block is for, e.g. "private-use".
    pub purpose: &'static str,
    /// The RFC that reserves it.
    pub rfc: &'static str,
}

const SPECIAL_BLOCKS: &[SpecialBlock] = &[
    block("0.0.0.0/8", "\"this network\"", "RFC 791"),
    block("10.0.0.0/8", "private-use", "RFC 1918"),
    block("100.64.0.0/10", "shared address space (CGNAT)", "RFC 6598"),
    block("127.0.0.0/8", "loopback", "RFC 1122"),
    block("169.254.0.0/16", "link-local", "RFC 3927"),
    block("172.16.0.0/12", "private-use", "RFC 1918"),
    block("192.0.0.0/24", "IETF protocol assignments", "RFC 6890"),
    block("192.0.2.0/24", "documentation (TEST-NET-1)", "RFC 5737"),
    block(
        "192.88.99.0/24",
        "deprecated 6to4 relay anycast",
        "RFC 7526",
    ),
    block("192.168.0.0/16", "private-use", "RFC 1918"),
    block("198.18.0.0/15", "benchmarking", "RFC 2544"),
    block("198.51.100.0/24", "documentation (TEST-NET-2)", "RFC 5737"),
    block("203.0.113.0/24", "documentation (TEST-NET-3)", "RFC 5737"),
    block("224.0.0.0/4", "multicast", "RFC 5771"),
    block("240.0.0.0/4", "reserved", "RFC 1112"),
    block("::/128", "unspecified", "RFC 4291"),
    block("::1/128", "loopback", "RFC 4291"),
    block("::ffff:0:0/96", "IPv4-mapped", "RFC 4291"),
    block(
        "64:ff9b:1::/48",
        "local-use IPv4/IPv6 translation",
        "RFC 8215",
    ),
    block("100::/64", "discard-only", "RFC 6666"),
    block("2001::/23", "IETF protocol assignments", "RFC 2928"),
    block("2001:db8::/32", "documentation", "RFC 3849"),
    block("2002::/16", "6to4", "RFC 3056"),
    block("3fff::/20", "documentation", "RFC 9637"),
    block("fc00::/7", "unique-local", "RFC 4193"),
    block("fe80::/10", "link-local", "RFC 4291"),
    block("ff00::/8", "multicast", "RFC 4291"),
];

const fn block(network: &'static str, purpose: &'static str, rfc: &'static str) -> SpecialBlock {
    SpecialBlock {
        network,
        purpose,
        rfc,
    }
}

/// [`SPECIAL_BLOCKS`] with their networks parsed once, IPv4 and IPv6 apart.
static SPECIAL_NETS: LazyLock<[Vec<(IpNet, &'static SpecialBlock)>; 2]> = LazyLock::new(|| {
    let mut by_family = [Vec::new(), Vec::new()];
    for block in SPECIAL_BLOCKS {
        let net: IpNet = block
            .network
            .parse()
            .expect("special-purpose table holds valid CIDRs");
        by_family[usize::from(net.addr().is_ipv6())].push((net, block));
    }
    by_family
});

impl SpecialBlock {
    /// True for the documentation ranges, which examples and tests may use.
    pub fn is_documentation(&self) -> bool {
        self.purpose.starts_with("documentation")
    }
}

/// The most specific special-purpose block that overlaps `net`, if any.
///
/// A network overlaps a block when either contains the other, so
/// `10.0.0.0/7` and `10.1.2.3/32` both hit `10.0.0.0/8`.
pub fn special_purpose(net: IpNet) -> Option<&'static SpecialBlock> {
    // Most sending addresses are ordinary: decide those from the first
    // octet or group before walking the table.
    let ordinary = match net {
        IpNet::V4(v4) => {
            v4.prefix_len() >= 8
                && !matches!(
                    v4.addr().octets()[0],
                    0 | 10 | 100 | 127 | 169 | 172 | 192 | 198 | 203 | 224..
                )
        }
        IpNet::V6(v6) => {
            let first = v6.addr().segments()[0];
            v6.prefix_len() >= 16 && (0x2400..0x3f00).contains(&first)
        }
    };
    if ordinary {
        return None;
    }
    SPECIAL_NETS[usize::from(net.addr().is_ipv6())]
        .iter()
        .filter(|(special, _)| special.contains(&net) || net.contains(special))
        .max_by_key(|(special, _)| special.prefix_len())
        .map(|(_, block)| *block)
}

/// [`special_purpose`] for one address.
pub fn special_purpose_address(ip: IpAddr) -> Option<&'static SpecialBlock> {
    special_purpose(IpNet::from(ip))
}

/// The smallest exact set of IPv4 networks covering `nets`: contained
/// networks dropped, adjacent ones merged, nothing widened; in address
/// order, as `Ipv4Net::aggregate` gives them, without its copies of the
/// list (every domain's SPF record aggregates its servers' addresses).
pub fn aggregate_v4(nets: &[Ipv4Net]) -> Vec<Ipv4Net> {
    let ranges = nets.iter().map(|n| {
        let (first, last) = (u32::from(n.network()), u32::from(n.broadcast()));
        (u128::from(first), u128::from(last))
    });
    let mut out = Vec::new();
    aggregate(ranges.collect(), 32, |start, len| {
        let start = u32::try_from(start).expect("IPv4 ranges stay within 32 bits");
        out.push(Ipv4Net::new(Ipv4Addr::from(start), len).expect("a prefix of at most 32 bits"));
    });
    out
}

/// [`aggregate_v4`] for IPv6.
pub fn aggregate_v6(nets: &[Ipv6Net]) -> Vec<Ipv6Net> {
    let ranges = nets
        .iter()
        .map(|n| (u128::from(n.network()), u128::from(n.broadcast())));
    let mut out = Vec::new();
    aggregate(ranges.collect(), 128, |start, len| {
        out.push(Ipv6Net::new(Ipv6Addr::from(start), len).expect("a prefix of at most 128 bits"));
    });
    out
}

/// Merges the inclusive address `ranges` of a `bits`-bit family where they
/// overlap or touch, and gives each merged range as its largest aligned
/// blocks, in address order: `emit(start, prefix length)`.
fn aggregate(mut ranges: Vec<(u128, u128)>, bits: u32, mut emit: impl FnMut(u128, u8)) {
    ranges.sort_unstable();
    let mut ranges = ranges.into_iter();
    let Some((mut start, mut end)) = ranges.next() else {
        return;
    };
    for (next, last) in ranges {
        if next <= end.saturating_add(1) {
            end = end.max(last);
        } else {
            blocks(start, end, bits, &mut emit);
            (start, end) = (next, last);
        }
    }
    blocks(start, end, bits, &mut emit);
}

/// The inclusive range `start..=end` as its largest aligned blocks.
fn blocks(mut start: u128, end: u128, bits: u32, emit: &mut impl FnMut(u128, u8)) {
    loop {
        // The largest block aligned at `start` that ends by `end`.
        let fits = (end - start).checked_add(1).map_or(128, u128::ilog2);
        let size = fits.min(start.trailing_zeros()).min(bits);
        emit(start, (bits - size) as u8);
        let last = start + u128::MAX.checked_shr(128 - size).unwrap_or(0);
        if last >= end {
            return;
        }
        start = last + 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn net(text: &str) -> IpNet {
        text.parse().unwrap()
    }

    /// An address near the bottom or the top of the space, where
    /// networks touch and saturate, or anywhere.
    fn near_ends<T: Copy>(n: T, max_minus: impl Fn(T) -> T, place: u8, anywhere: T) -> T {
        match place {
            0 => n,
            1 => max_minus(n),
            _ => anywhere,
        }
    }

    proptest! {
        /// The same networks, in the same order, as ipnet's aggregation.
        #[test]
        fn aggregation_agrees_with_ipnet(
            v4 in proptest::collection::vec((0u32..64, 0u8..=32, 0u8..3, any::<u32>()), 0..12),
            v6 in proptest::collection::vec((0u128..64, 0u8..=128, 0u8..3, any::<u128>()), 0..12),
        ) {
            let v4: Vec<Ipv4Net> = v4
                .into_iter()
                .map(|(n, len, place, any)| {
                    let addr = near_ends(n, |n| u32::MAX - n, place, any);
                    Ipv4Net::new(Ipv4Addr::from(addr), len).unwrap()
                })
                .collect();
            let v6: Vec<Ipv6Net> = v6
                .into_iter()
                .map(|(n, len, place, any)| {
                    let addr = near_ends(n, |n| u128::MAX - n, place, any);
                    Ipv6Net::new(Ipv6Addr::from(addr), len).unwrap()
                })
                .collect();
            prop_assert_eq!(aggregate_v4(&v4), Ipv4Net::aggregate(&v4));
            prop_assert_eq!(aggregate_v6(&v6), Ipv6Net::aggregate(&v6));
        }
    }

    #[test]
    fn classifies_special_purpose_space() {
        assert_eq!(
            special_purpose(net("10.1.2.3/32")).unwrap().purpose,
            "private-use"
        );
        assert_eq!(
            special_purpose(net("10.0.0.0/7")).unwrap().network,
            "10.0.0.0/8"
        );
        assert!(
            special_purpose(net("100.64.0.1/32"))
                .unwrap()
                .purpose
                .contains("CGNAT")
        );
        assert!(
            special_purpose(net("2001:db8::25/128"))
                .unwrap()
                .is_documentation()
        );
        assert_eq!(
            special_purpose(net("fe80::1/128")).unwrap().purpose,
            "link-local"
        );
        assert!(special_purpose(net("8.8.8.8/32")).is_none());
        assert!(special_purpose(net("2a00:1450::/32")).is_none());
    }

    #[test]
    fn aggregation_never_widens() {
        let v4: Vec<Ipv4Net> = ["192.0.2.0/32", "192.0.2.1/32", "192.0.2.2/32"]
            .iter()
            .map(|n| n.parse().unwrap())
            .collect();
        let merged = aggregate_v4(&v4);
        assert_eq!(
            merged,
            vec![
                "192.0.2.0/31".parse().unwrap(),
                "192.0.2.2/32".parse().unwrap()
            ]
        );
        // 0.0.0.0/0 swallows everything; /32 edges stay as they are.
        let all: Vec<Ipv4Net> = vec!["0.0.0.0/0".parse().unwrap(), "1.2.3.4/32".parse().unwrap()];
        assert_eq!(
            aggregate_v4(&all),
            vec!["0.0.0.0/0".parse::<Ipv4Net>().unwrap()]
        );
        let v6: Vec<Ipv6Net> = vec![
            "2001:db8::/128".parse().unwrap(),
            "2001:db8::1/128".parse().unwrap(),
            "::/0".parse().unwrap(),
        ];
        assert_eq!(aggregate_v6(&v6), vec!["::/0".parse::<Ipv6Net>().unwrap()]);
    }
}
