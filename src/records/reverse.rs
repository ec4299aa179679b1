//! Reverse-DNS names: PTR owners, reverse zones and RFC 2317 / RFC 4183
//! classless delegation.

use std::net::IpAddr;

use ipnet::{IpNet, Ipv4Net, Ipv6Net};

use crate::inventory::ClasslessLabels;

/// Checks that `net` can be a reverse zone: IPv4 on an octet boundary
/// (/8, /16, /24) or classless (/25–/32, RFC 2317); IPv6 on a nibble
/// boundary (RFC 3596 §2.5).
pub fn check_zone_prefix(net: IpNet) -> Result<(), String> {
    match net {
        IpNet::V4(v4) => match v4.prefix_len() {
            8 | 16 | 24 | 25..=32 => Ok(()),
            len => Err(format!(
                "an IPv4 reverse zone cannot be a /{len}; accepted: /8, /16, /24 or a classless /25–/32 (declare a shorter block as its /24 zones, e.g. {})",
                first_subnet_24(v4)
            )),
        },
        IpNet::V6(v6) => match v6.prefix_len() {
            len if len % 4 == 0 && len > 0 => Ok(()),
            len => Err(format!(
                "an IPv6 reverse zone must end on a nibble boundary; /{len} does not; accepted: a prefix length divisible by 4, such as /48 or /56"
            )),
        },
    }
}

fn first_subnet_24(net: Ipv4Net) -> String {
    Ipv4Net::new(net.network(), 24).map_or_else(|_| net.to_string(), |n| n.trunc().to_string())
}

pub use crate::dns::reverse_name as ptr_name;

/// The default reverse zone of an address when none is declared: its /24
/// for IPv4, its /48 for IPv6.
pub fn default_zone(ip: IpAddr) -> IpNet {
    let len = if ip.is_ipv4() { 24 } else { 48 };
    IpNet::new(ip, len)
        .expect("24 and 48 are valid prefix lengths")
        .trunc()
}

/// True for an IPv4 zone longer than /24, which needs RFC 2317 delegation.
pub fn is_classless(net: IpNet) -> bool {
    matches!(net, IpNet::V4(v4) if v4.prefix_len() > 24)
}

/// The name of the reverse zone for `net` (no trailing dot).
pub fn zone_name(net: IpNet, labels: ClasslessLabels) -> String {
    match net {
        IpNet::V4(v4) if v4.prefix_len() > 24 => {
            let [a, b, c, d] = v4.network().octets();
            let len = v4.prefix_len();
            let sep = match labels {
                ClasslessLabels::Rfc4183 => '-',
                ClasslessLabels::Rfc2317 => '/',
            };
            format!("{d}{sep}{len}.{c}.{b}.{a}.in-addr.arpa")
        }
        IpNet::V4(v4) => {
            let octets = v4.network().octets();
            let kept = usize::from(v4.prefix_len() / 8);
            let mut labels: Vec<String> = octets[..kept].iter().map(u8::to_string).collect();
            labels.reverse();
            labels.push("in-addr.arpa".to_owned());
            labels.join(".")
        }
        IpNet::V6(v6) => v6_zone_name(v6),
    }
}

fn v6_zone_name(net: Ipv6Net) -> String {
    let nibbles = usize::from(net.prefix_len() / 4);
    let hex: String = net
        .network()
        .octets()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let mut labels: Vec<String> = hex[..nibbles].chars().map(String::from).collect();
    labels.reverse();
    labels.push("ip6.arpa".to_owned());
    labels.join(".")
}

/// The PTR owner of `ip` inside reverse zone `zone`: the standard name, or
/// for a classless zone the last octet under the zone's own name.
pub fn ptr_owner(ip: IpAddr, zone: IpNet, labels: ClasslessLabels) -> String {
    match ip {
        IpAddr::V4(v4) if is_classless(zone) => {
            format!("{}.{}", v4.octets()[3], zone_name(zone, labels))
        }
        _ => ptr_name(ip),
    }
}

/// The /24 zone that delegates a classless zone.
pub fn classless_parent(zone: Ipv4Net) -> Ipv4Net {
    Ipv4Net::new(zone.network(), 24)
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
    fn names_reverse_zones() {
        let style = ClasslessLabels::Rfc4183;
        assert_eq!(
            zone_name(net("198.51.100.0/24"), style),
            "100.51.198.in-addr.arpa"
        );
        assert_eq!(zone_name(net("10.0.0.0/8"), style), "10.in-addr.arpa");
        assert_eq!(
            zone_name(net("198.51.100.64/26"), style),
            "64-26.100.51.198.in-addr.arpa"
        );
        assert_eq!(
            zone_name(net("198.51.100.64/26"), ClasslessLabels::Rfc2317),
            "64/26.100.51.198.in-addr.arpa"
        );
        assert_eq!(
            zone_name(net("2001:db8::/32"), style),
            "8.b.d.0.1.0.0.2.ip6.arpa"
        );
        assert_eq!(
            zone_name(net("2001:db8:10::/48"), style),
            "0.1.0.0.8.b.d.0.1.0.0.2.ip6.arpa"
        );
    }

    #[test]
    fn builds_ptr_owners() {
        assert_eq!(
            ptr_name("198.51.100.65".parse().unwrap()),
            "65.100.51.198.in-addr.arpa"
        );
        assert_eq!(
            ptr_name("2001:db8::10".parse().unwrap()),
            "0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa"
        );
        assert_eq!(
            ptr_owner(
                "198.51.100.65".parse().unwrap(),
                net("198.51.100.64/26"),
                ClasslessLabels::Rfc4183
            ),
            "65.64-26.100.51.198.in-addr.arpa"
        );
    }

    #[test]
    fn checks_zone_prefixes() {
        assert!(check_zone_prefix(net("203.0.113.0/24")).is_ok());
        assert!(check_zone_prefix(net("203.0.113.128/25")).is_ok());
        assert!(
            check_zone_prefix(net("203.0.112.0/22"))
                .unwrap_err()
                .contains("203.0.112.0/24")
        );
        assert!(
            check_zone_prefix(net("2001:db8::/47"))
                .unwrap_err()
                .contains("nibble")
        );
        assert!(check_zone_prefix(net("2001:db8::/48")).is_ok());
    }
}
