//! Reverse-DNS names: PTR owners and the names of reverse zones, with the
//! labels of RFC 2317 / RFC 4183 classless zones. Which networks make
//! zones is [`crate::reverse`]'s.

use std::net::IpAddr;

use ipnet::{IpNet, Ipv6Net};

use crate::inventory::ClasslessLabels;
use crate::names::DomainName;
use crate::reverse::is_classless;

pub use crate::dns::reverse_name as ptr_name;

/// The name of the reverse zone for `net`.
pub fn zone_name(net: IpNet, labels: ClasslessLabels) -> DomainName {
    DomainName::from_valid(match net {
        IpNet::V4(v4) if is_classless(net) => {
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
    })
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
pub fn ptr_owner(ip: IpAddr, zone: IpNet, labels: ClasslessLabels) -> DomainName {
    match ip {
        IpAddr::V4(v4) if is_classless(zone) => {
            zone_name(zone, labels).prefixed(&v4.octets()[3].to_string())
        }
        _ => ptr_name(ip),
    }
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
}
