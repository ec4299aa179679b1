//! hickory-proto record data to [`RecordData`]: one conversion, shared by
//! both network clients.

use hickory_proto::rr::RData;
use hickory_proto::rr::rdata::{CNAME, MX, NS, PTR};

use super::record::{Mx, RecordData, TYPE_NS};
use super::wire::display_name;

/// The data of one record received, in the form [`Lookup`](super::Lookup)
/// answers carry.
///
/// Names are written by [`display_name`]: raw octets, no trailing dot; a
/// null MX `.` has an empty exchange (RFC 7505). TXT character-strings stay
/// apart and byte-exact (RFC 1035 §3.3.14). An NS target is kept in
/// presentation form, as a zone file holds it; any other type (SOA among
/// them) in hickory's presentation form (RFC 1035 §5.1).
pub(super) fn record_data(data: &RData) -> RecordData {
    match data {
        RData::A(a) => RecordData::A(a.0),
        RData::AAAA(aaaa) => RecordData::Aaaa(aaaa.0),
        RData::CNAME(CNAME(target)) => RecordData::Cname(display_name(target)),
        RData::PTR(PTR(target)) => RecordData::Ptr(display_name(target)),
        RData::TXT(txt) => RecordData::Txt(txt.txt_data.iter().map(|s| s.to_vec()).collect()),
        RData::MX(MX {
            preference,
            exchange,
            ..
        }) => RecordData::Mx(Mx {
            preference: *preference,
            exchange: display_name(exchange),
        }),
        RData::NS(NS(target)) => RecordData::Other {
            rtype: TYPE_NS,
            rdata: format!("{}.", display_name(target)).into_bytes(),
        },
        other => RecordData::Other {
            rtype: u16::from(other.record_type()),
            rdata: other.to_string().into_bytes(),
        },
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use hickory_proto::rr::Name;
    use hickory_proto::rr::rdata::{A, SOA, TXT};

    use super::*;
    use crate::dns::record::TYPE_SOA;

    fn name(text: &str) -> Name {
        Name::from_ascii(text).unwrap()
    }

    #[test]
    fn names_lose_the_trailing_dot_and_strings_stay_apart() {
        let mx = RData::MX(MX::new(10, name("Mail.Example.com.")));
        assert_eq!(
            record_data(&mx),
            RecordData::Mx(Mx {
                preference: 10,
                exchange: "Mail.Example.com".into()
            })
        );
        let null = RData::MX(MX::new(0, Name::root()));
        assert!(
            matches!(record_data(&null), RecordData::Mx(Mx { exchange, .. }) if exchange.is_empty())
        );
        let txt = RData::TXT(TXT::new(vec!["v=spf1 ".into(), "-all".into()]));
        assert_eq!(
            record_data(&txt),
            RecordData::Txt(vec![b"v=spf1 ".to_vec(), b"-all".to_vec()].into())
        );
        let a = RData::A(A(Ipv4Addr::new(192, 0, 2, 1)));
        assert_eq!(record_data(&a), RecordData::A(Ipv4Addr::new(192, 0, 2, 1)));
    }

    #[test]
    fn ns_and_soa_keep_their_presentation_form() {
        let ns = RData::NS(NS(name("ns1.example.org.")));
        assert_eq!(
            record_data(&ns),
            RecordData::Other {
                rtype: TYPE_NS,
                rdata: b"ns1.example.org.".to_vec()
            }
        );
        let soa = RData::SOA(SOA::new(
            name("ns1.example.org."),
            name("hostmaster.example.org."),
            2_024_010_101,
            3600,
            600,
            604_800,
            3600,
        ));
        let RecordData::Other { rtype, rdata } = record_data(&soa) else {
            panic!("SOA is kept as other data");
        };
        assert_eq!(rtype, TYPE_SOA);
        assert_eq!(
            String::from_utf8(rdata).unwrap().split_whitespace().nth(2),
            Some("2024010101")
        );
    }
}
