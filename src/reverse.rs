//! Reverse-zone geometry: which networks can be reverse zones, the zone an
//! address falls in when none is declared, and RFC 2317 classless
//! delegation.
//!
//! Below both the inventory, which checks the declared `reverse_zones`, and
//! the planner, which places each PTR in its zone and names the zones
//! (`records::reverse`).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};

/// Why a network cannot be a reverse zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ZonePrefixError {
    /// An IPv4 prefix between the octet boundaries, shorter than /25.
    #[error(
        "an IPv4 reverse zone cannot be a /{len}; accepted: /8, /16, /24 or a classless /25–/32 (declare a shorter block as its /24 zones, e.g. {first})"
    )]
    Ipv4 {
        /// The prefix length given.
        len: u8,
        /// The first /24 of the block, as an example.
        first: Ipv4Net,
    },
    /// An IPv6 prefix off the nibble boundaries.
    #[error(
        "an IPv6 reverse zone must end on a nibble boundary; /{len} does not; accepted: a prefix length divisible by 4, such as /48 or /56"
    )]
    Ipv6 {
        /// The prefix length given.
        len: u8,
    },
}

/// Checks that `net` can be a reverse zone: IPv4 on an octet boundary
/// (/8, /16, /24) or classless (/25–/32, RFC 2317); IPv6 on a nibble
/// boundary (RFC 3596 §2.5).
pub fn check_zone_prefix(net: IpNet) -> Result<(), ZonePrefixError> {
    match net {
        IpNet::V4(v4) => match v4.prefix_len() {
            8 | 16 | 24 | 25..=32 => Ok(()),
            len => Err(ZonePrefixError::Ipv4 {
                len,
                first: slash_24(v4),
            }),
        },
        IpNet::V6(v6) => match v6.prefix_len() {
            len if len % 4 == 0 && len > 0 => Ok(()),
            len => Err(ZonePrefixError::Ipv6 { len }),
        },
    }
}

/// The default reverse zone of an address when none is declared: its /24
/// for IPv4, its /48 for IPv6.
pub fn default_zone(ip: IpAddr) -> IpNet {
    // The network bits kept by masking: every PTR of a plan passes here.
    match ip {
        IpAddr::V4(v4) => {
            let network = Ipv4Addr::from(u32::from(v4) & !0xff);
            IpNet::V4(Ipv4Net::new(network, 24).expect("24 is a valid prefix length"))
        }
        IpAddr::V6(v6) => {
            let network = Ipv6Addr::from(u128::from(v6) & !(u128::MAX >> 48));
            IpNet::V6(Ipv6Net::new(network, 48).expect("48 is a valid prefix length"))
        }
    }
}

/// True for an IPv4 zone longer than /24, which needs RFC 2317 delegation.
pub fn is_classless(net: IpNet) -> bool {
    matches!(net, IpNet::V4(v4) if v4.prefix_len() > 24)
}

/// The /24 zone that delegates a classless zone (RFC 2317 §4).
pub fn classless_parent(zone: Ipv4Net) -> Ipv4Net {
    slash_24(zone)
}

/// The /24 that holds the network address of `net`.
fn slash_24(net: Ipv4Net) -> Ipv4Net {
    Ipv4Net::new(net.network(), 24)
        .expect("24 is a valid prefix length")
        .trunc()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(text: &str) -> IpNet {
        text.parse().unwrap()
    }

    #[test]
    fn checks_zone_prefixes() {
        assert!(check_zone_prefix(net("203.0.113.0/24")).is_ok());
        assert!(check_zone_prefix(net("203.0.113.128/25")).is_ok());
        assert!(check_zone_prefix(net("10.0.0.0/8")).is_ok());
        assert_eq!(
            check_zone_prefix(net("203.0.112.0/22")),
            Err(ZonePrefixError::Ipv4 {
                len: 22,
                first: "203.0.112.0/24".parse().unwrap()
            })
        );
        assert!(
            check_zone_prefix(net("203.0.112.0/22"))
                .unwrap_err()
                .to_string()
                .contains("e.g. 203.0.112.0/24")
        );
        assert_eq!(
            check_zone_prefix(net("2001:db8::/47")),
            Err(ZonePrefixError::Ipv6 { len: 47 })
        );
        assert!(check_zone_prefix(net("2001:db8::/48")).is_ok());
        assert!(check_zone_prefix(net("::/0")).is_err());
    }

    proptest::proptest! {
        #[test]
        fn default_zones_are_the_truncated_networks(v4: u32, v6: u128) {
            for ip in [IpAddr::from(Ipv4Addr::from(v4)), IpAddr::from(Ipv6Addr::from(v6))] {
                let len = if ip.is_ipv4() { 24 } else { 48 };
                proptest::prop_assert_eq!(default_zone(ip), IpNet::new(ip, len).unwrap().trunc());
            }
        }
    }

    #[test]
    fn places_addresses_and_classless_zones() {
        assert_eq!(
            default_zone("198.51.100.65".parse().unwrap()),
            net("198.51.100.0/24")
        );
        assert_eq!(
            default_zone("2001:db8:5:6::1".parse().unwrap()),
            net("2001:db8:5::/48")
        );
        assert!(is_classless(net("198.51.100.64/26")));
        assert!(!is_classless(net("198.51.100.0/24")));
        assert!(!is_classless(net("2001:db8::/64")));
        assert_eq!(
            classless_parent("198.51.100.64/26".parse().unwrap()),
            "198.51.100.0/24".parse::<Ipv4Net>().unwrap()
        );
    }
}
