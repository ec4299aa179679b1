//! hickory-proto record data to the types of [`Lookup`](super::Lookup):
//! one conversion per type, shared by both network clients.

use std::net::{Ipv4Addr, Ipv6Addr};

use hickory_proto::rr::RData;
use hickory_proto::rr::rdata::{MX, NS, PTR};

use super::record::{Mx, Txt};
use super::wire::display_name;

/// TXT character-strings, kept apart and byte-exact (RFC 1035 §3.3.14).
pub(super) fn txt(data: &RData) -> Option<Txt> {
    match data {
        RData::TXT(txt) => Some(txt.txt_data.iter().map(|s| s.to_vec()).collect()),
        _ => None,
    }
}

/// An A record's address.
pub(super) fn a(data: &RData) -> Option<Ipv4Addr> {
    match data {
        RData::A(a) => Some(a.0),
        _ => None,
    }
}

/// An AAAA record's address.
pub(super) fn aaaa(data: &RData) -> Option<Ipv6Addr> {
    match data {
        RData::AAAA(aaaa) => Some(aaaa.0),
        _ => None,
    }
}

/// An MX record; the null MX `.` has an empty exchange (RFC 7505).
pub(super) fn mx(data: &RData) -> Option<Mx> {
    match data {
        RData::MX(MX {
            preference,
            exchange,
            ..
        }) => Some(Mx {
            preference: *preference,
            exchange: display_name(exchange),
        }),
        _ => None,
    }
}

/// A PTR target without the trailing dot.
pub(super) fn ptr(data: &RData) -> Option<String> {
    match data {
        RData::PTR(PTR(target)) => Some(display_name(target)),
        _ => None,
    }
}

/// An NS target without the trailing dot.
pub(super) fn ns(data: &RData) -> Option<String> {
    match data {
        RData::NS(NS(target)) => Some(display_name(target)),
        _ => None,
    }
}

/// An SOA record's serial.
pub(super) fn soa_serial(data: &RData) -> Option<u32> {
    match data {
        RData::SOA(soa) => Some(soa.serial),
        _ => None,
    }
}
