//! The data of resource records as senderzone handles them: what the
//! planner emits, zone files hold, the in-memory zone serves and every
//! [`Lookup`](super::Lookup) answers with, and the text helpers that write
//! addresses and reverse names without the formatting machinery.

use std::borrow::Cow;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::ops::Deref;
use std::sync::Arc;

use hickory_proto::rr::RecordType;

use crate::names::DomainName;

/// The PTR owner of `ip` in the standard tree: `d.c.b.a.in-addr.arpa` or
/// 32 reversed nibbles under `ip6.arpa` (RFC 1035 §3.5, RFC 3596 §2.5).
///
/// Written by hand rather than through `hickory_proto::rr::Name`: this runs
/// once per address and hickory's general name building was the slowest
/// step of planning a large inventory.
pub fn reverse_name(ip: IpAddr) -> DomainName {
    match ip {
        IpAddr::V4(v4) => {
            // At most "255." four times, then the suffix.
            let mut name = [0; 16 + 12];
            let mut len = 0;
            for octet in v4.octets().into_iter().rev() {
                len += write_decimal(&mut name[len..], octet);
                name[len] = b'.';
                len += 1;
            }
            name[len..][..12].copy_from_slice(b"in-addr.arpa");
            DomainName::from_valid(ascii(&name[..len + 12]))
        }
        IpAddr::V6(v6) => {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            // Two nibbles and two dots per octet, then the suffix.
            let mut name = [0; 64 + 8];
            for (labels, byte) in name.chunks_exact_mut(4).zip(v6.octets().iter().rev()) {
                labels.copy_from_slice(&[
                    HEX[usize::from(byte & 0xf)],
                    b'.',
                    HEX[usize::from(byte >> 4)],
                    b'.',
                ]);
            }
            name[64..].copy_from_slice(b"ip6.arpa");
            DomainName::from_valid(ascii(&name))
        }
    }
}

/// The text of a reverse name written as octets: digits, dots and
/// letters, so always ASCII.
fn ascii(name: &[u8]) -> String {
    std::str::from_utf8(name)
        .expect("a reverse name is ASCII")
        .to_owned()
}

/// Writes `octet` in decimal at the start of `out` and returns how many
/// digits it took.
fn write_decimal(out: &mut [u8], octet: u8) -> usize {
    let digits = [
        b'0' + octet / 100,
        b'0' + octet / 10 % 10,
        b'0' + octet % 10,
    ];
    let skip = match octet {
        100.. => 0,
        10.. => 1,
        _ => 2,
    };
    let len = 3 - skip;
    out[..len].copy_from_slice(&digits[skip..]);
    len
}

/// Appends `octet` in decimal, without the formatting machinery (generate
/// writes hundreds of thousands of addresses and reverse names).
fn push_decimal(out: &mut String, octet: u8) {
    if octet >= 100 {
        out.push(char::from(b'0' + octet / 100));
    }
    if octet >= 10 {
        out.push(char::from(b'0' + octet / 10 % 10));
    }
    out.push(char::from(b'0' + octet % 10));
}

/// Appends an IPv4 address in dotted-decimal form, as its `Display` does.
pub(crate) fn push_ipv4(out: &mut String, ip: Ipv4Addr) {
    for (i, octet) in ip.octets().into_iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        push_decimal(out, octet);
    }
}

/// One MX record (RFC 1035 §3.3.9). An empty `exchange` is a null MX (RFC 7505).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mx {
    /// Lower values are preferred.
    pub preference: u16,
    /// The exchange host name, without a trailing dot.
    pub exchange: String,
}

impl fmt::Display for Mx {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.preference, self.exchange)
    }
}

/// One TXT record: its character-strings as sent, not joined (RFC 1035 §3.3.14).
///
/// The strings are shared, not owned: a clone copies a pointer. Every
/// [`Lookup::txt`](super::Lookup::txt) hands out the records of a memoised
/// answer, and SPF evaluation asks a domain's TXT once per address checked.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Txt(Arc<[Box<[u8]>]>);

impl Deref for Txt {
    type Target = [Box<[u8]>];

    fn deref(&self) -> &[Box<[u8]>] {
        &self.0
    }
}

impl fmt::Debug for Txt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl PartialEq<Vec<Vec<u8>>> for Txt {
    fn eq(&self, strings: &Vec<Vec<u8>>) -> bool {
        self.iter()
            .map(|s| &s[..])
            .eq(strings.iter().map(Vec::as_slice))
    }
}

impl PartialEq<Txt> for Vec<Vec<u8>> {
    fn eq(&self, record: &Txt) -> bool {
        record == self
    }
}

impl From<Vec<Vec<u8>>> for Txt {
    fn from(strings: Vec<Vec<u8>>) -> Self {
        strings.into_iter().collect()
    }
}

impl<S: Into<Box<[u8]>>> FromIterator<S> for Txt {
    fn from_iter<I: IntoIterator<Item = S>>(strings: I) -> Self {
        Txt(strings.into_iter().map(Into::into).collect())
    }
}

/// RR type number of NS, kept as [`RecordData::Other`] (RFC 1035 §3.2.2).
pub(crate) const TYPE_NS: u16 = 2;
/// RR type number of SOA, kept as [`RecordData::Other`] (RFC 1035 §3.2.2).
pub(crate) const TYPE_SOA: u16 = 6;

/// The typed data of one resource record: what the planner emits, zone
/// files hold and the in-memory zone serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordData {
    /// An IPv4 address.
    A(Ipv4Addr),
    /// An IPv6 address.
    Aaaa(Ipv6Addr),
    /// An alias target, absolute, without trailing dot: queries for other
    /// types are answered from the target (RFC 1034 §3.6.2).
    Cname(String),
    /// A reverse-mapping target, absolute, without trailing dot.
    Ptr(String),
    /// Character-strings of at most 255 octets each, not joined.
    Txt(Txt),
    /// A mail exchange.
    Mx(Mx),
    /// Any other type, kept so that its owner exists (NOERROR, not NXDOMAIN).
    ///
    /// NS and SOA data, which `verify --authoritative` reads, are held here
    /// too: their presentation form is all a reader needs (RFC 1035
    /// §3.3.11, §3.3.13).
    Other {
        /// The RR type number (RFC 1035 §3.2.2), e.g. 99 for SPF.
        rtype: u16,
        /// The RDATA in presentation form.
        rdata: Vec<u8>,
    },
}

impl RecordData {
    /// The RR type of the data (RFC 1035 §3.2.2, RFC 3596 §2.1).
    pub fn record_type(&self) -> RecordType {
        match self {
            RecordData::A(_) => RecordType::A,
            RecordData::Aaaa(_) => RecordType::AAAA,
            RecordData::Cname(_) => RecordType::CNAME,
            RecordData::Ptr(_) => RecordType::PTR,
            RecordData::Txt(_) => RecordType::TXT,
            RecordData::Mx(_) => RecordType::MX,
            RecordData::Other { rtype, .. } => RecordType::from(*rtype),
        }
    }

    /// The type mnemonic (RFC 1035 §3.2.2, RFC 3596).
    pub fn type_name(&self) -> Cow<'static, str> {
        Cow::Borrowed(match self {
            RecordData::A(_) => "A",
            RecordData::Aaaa(_) => "AAAA",
            RecordData::Cname(_) => "CNAME",
            RecordData::Ptr(_) => "PTR",
            RecordData::Txt(_) => "TXT",
            RecordData::Mx(_) => "MX",
            RecordData::Other { rtype: 99, .. } => "SPF",
            RecordData::Other { rtype, .. } => return Cow::Owned(format!("TYPE{rtype}")),
        })
    }

    /// The character-strings of TXT data.
    pub fn as_txt(&self) -> Option<&Txt> {
        match self {
            RecordData::Txt(strings) => Some(strings),
            _ => None,
        }
    }

    /// The target of PTR data.
    pub fn as_ptr(&self) -> Option<&String> {
        match self {
            RecordData::Ptr(target) => Some(target),
            _ => None,
        }
    }

    /// The address of A or AAAA data.
    pub fn as_ip(&self) -> Option<IpAddr> {
        match self {
            RecordData::A(ip) => Some(IpAddr::V4(*ip)),
            RecordData::Aaaa(ip) => Some(IpAddr::V6(*ip)),
            _ => None,
        }
    }

    /// TXT data joined into one byte string (RFC 7208 §3.3).
    pub fn txt_joined(&self) -> Option<Vec<u8>> {
        match self {
            RecordData::Txt(strings) => Some(strings.concat()),
            _ => None,
        }
    }
}

impl fmt::Display for RecordData {
    /// Data in a plain form for messages (not zone-file syntax).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecordData::A(ip) => write!(f, "{ip}"),
            RecordData::Aaaa(ip) => write!(f, "{ip}"),
            RecordData::Cname(name) | RecordData::Ptr(name) => write!(f, "{name}."),
            RecordData::Txt(strings) => write!(f, "{}", String::from_utf8_lossy(&strings.concat())),
            RecordData::Mx(mx) => write!(f, "{mx}."),
            RecordData::Other { rdata, .. } => write!(f, "{}", String::from_utf8_lossy(rdata)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ptr_names_match_hickory() {
        use hickory_proto::rr::Name;
        for ip in [
            "198.51.100.65",
            "9.10.99.100",
            "0.0.0.0",
            "255.255.255.255",
            "2001:db8::10",
            "::",
            "fe80::abcd:1",
        ] {
            let ip: IpAddr = ip.parse().unwrap();
            assert_eq!(format!("{}.", reverse_name(ip)), Name::from(ip).to_ascii());
        }
    }

    proptest::proptest! {
        #[test]
        fn every_ptr_name_matches_hickory(ip: IpAddr) {
            use hickory_proto::rr::Name;
            proptest::prop_assert_eq!(format!("{}.", reverse_name(ip)), Name::from(ip).to_ascii());
        }
    }

    #[test]
    fn writes_ipv4_addresses_as_display_does() {
        for ip in ["0.0.0.0", "9.10.99.100", "255.255.255.255", "192.0.2.1"] {
            let ip: Ipv4Addr = ip.parse().unwrap();
            let mut text = String::new();
            push_ipv4(&mut text, ip);
            assert_eq!(text, ip.to_string());
        }
    }
}
