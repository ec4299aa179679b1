//! DNS behind a small trait.
//!
//! The SPF evaluator and the `verify` checks ask DNS through [`Lookup`] and
//! never see a resolver library. The trait keeps apart the three outcomes a
//! caller must not confuse (RFC 7208 §4.6.4, §5): records found, the name
//! does not exist (NXDOMAIN), the name exists without records of that type
//! (no data), and a temporary failure (timeout, SERVFAIL, malformed answer).

pub mod memory;
mod rdata;
pub mod resolver;
pub mod source;
pub mod stub;
pub mod zonefile;

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

/// The PTR owner of `ip` in the standard tree: `d.c.b.a.in-addr.arpa` or
/// 32 reversed nibbles under `ip6.arpa` (RFC 1035 §3.5, RFC 3596 §2.5).
///
/// Written by hand rather than through `hickory_proto::rr::Name`: this runs
/// once per address and hickory's general name building was the slowest
/// step of planning a large inventory.
pub fn reverse_name(ip: IpAddr) -> String {
    use std::fmt::Write;
    match ip {
        IpAddr::V4(v4) => {
            let mut name = String::with_capacity(29);
            for octet in v4.octets().into_iter().rev() {
                push_decimal(&mut name, octet);
                name.push('.');
            }
            name.push_str("in-addr.arpa");
            name
        }
        IpAddr::V6(v6) => {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            let mut name = String::with_capacity(72);
            for byte in v6.octets().iter().rev() {
                name.push(char::from(HEX[usize::from(byte & 0xf)]));
                name.push('.');
                name.push(char::from(HEX[usize::from(byte >> 4)]));
                name.push('.');
            }
            let _ = write!(name, "ip6.arpa");
            name
        }
    }
}

/// Appends `octet` in decimal, without the formatting machinery (generate
/// writes hundreds of thousands of addresses and reverse names).
pub(crate) fn push_decimal(out: &mut String, octet: u8) {
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

/// The answer to one query that DNS did give.
///
/// Records are shared, not owned: a zone in memory, or a cache, hands out
/// the same record set to every caller without copying it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer<T> {
    /// One or more records of the asked type.
    Records(Arc<[T]>),
    /// NOERROR with an empty answer: the name exists, the type does not.
    NoData,
    /// NXDOMAIN: the name does not exist.
    NxDomain,
}

impl<T> Answer<T> {
    /// The records, empty for [`Answer::NoData`] and [`Answer::NxDomain`].
    pub fn records(&self) -> &[T] {
        match self {
            Answer::Records(records) => records,
            Answer::NoData | Answer::NxDomain => &[],
        }
    }

    /// The shared records, empty for [`Answer::NoData`] and [`Answer::NxDomain`].
    pub fn into_records(self) -> Arc<[T]> {
        match self {
            Answer::Records(records) => records,
            Answer::NoData | Answer::NxDomain => Arc::default(),
        }
    }

    /// Keeps the records `pick` maps to `Some`, the same void otherwise.
    pub fn filter_map<U>(&self, pick: impl FnMut(&T) -> Option<U>) -> Answer<U> {
        match self {
            Answer::Records(records) => Answer::Records(records.iter().filter_map(pick).collect()),
            Answer::NoData => Answer::NoData,
            Answer::NxDomain => Answer::NxDomain,
        }
    }

    /// True for NXDOMAIN and for no data: RFC 7208 §4.6.4 calls both "void".
    pub fn is_void(&self) -> bool {
        match self {
            Answer::Records(records) => records.is_empty(),
            Answer::NoData | Answer::NxDomain => true,
        }
    }
}

/// A query DNS could not answer: the result is unknown, never negative.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LookupError {
    /// No answer within the time allowed.
    #[error("timed out")]
    Timeout,
    /// An error response (SERVFAIL, REFUSED, …) or an answer that could not be used.
    #[error("{0}")]
    Failed(String),
}

/// What a lookup returns: an answer, or the reason there is none.
pub type LookupResult<T> = Result<Answer<T>, LookupError>;

/// One MX record (RFC 1035 §3.3.9). An empty `exchange` is a null MX (RFC 7505).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mx {
    /// Lower values are preferred.
    pub preference: u16,
    /// The exchange host name, without a trailing dot.
    pub exchange: String,
}

/// One TXT record: its character-strings as sent, not joined (RFC 1035 §3.3.14).
pub type Txt = Vec<Vec<u8>>;

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
    Other {
        /// The RR type number (RFC 1035 §3.2.2), e.g. 99 for SPF.
        rtype: u16,
        /// The RDATA in presentation form.
        rdata: Vec<u8>,
    },
}

impl RecordData {
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

/// Asks DNS for the record types mail checks need.
///
/// Names are passed as text without a trailing dot and compared without
/// regard to case. They are text rather than `hickory_proto::rr::Name`
/// because an SPF domain-spec after macro expansion may hold characters
/// (`/`, `:`, `%`, space) that are legal DNS octets but that hickory's name
/// parser refuses; implementations convert at their own edge. CNAMEs are
/// followed by the implementation; a CNAME loop is a [`LookupError`].
pub trait Lookup {
    /// TXT records at `name`.
    fn txt(&self, name: &str) -> impl Future<Output = LookupResult<Txt>>;
    /// A records at `name`.
    fn a(&self, name: &str) -> impl Future<Output = LookupResult<Ipv4Addr>>;
    /// AAAA records at `name`.
    fn aaaa(&self, name: &str) -> impl Future<Output = LookupResult<Ipv6Addr>>;
    /// MX records at `name`, in the order received.
    fn mx(&self, name: &str) -> impl Future<Output = LookupResult<Mx>>;
    /// PTR names (without trailing dot) for `ip`, at its `in-addr.arpa` or
    /// `ip6.arpa` owner.
    fn ptr(&self, ip: IpAddr) -> impl Future<Output = LookupResult<String>>;
    /// The CNAME target (without trailing dot) at `name` itself, not
    /// followed: how `verify` sees an RFC 2317 delegation in the parent
    /// reverse zone (RFC 2317 §4, RFC 1034 §3.6.2).
    fn cname(&self, name: &str) -> impl Future<Output = LookupResult<String>>;
    /// The name servers (without trailing dot) of the zone at `name`
    /// (RFC 1035 §3.3.11): how `verify --authoritative` finds whom to ask.
    fn ns(&self, name: &str) -> impl Future<Output = LookupResult<String>>;
    /// The serial of the SOA record at `name`, a zone apex (RFC 1035
    /// §3.3.13): servers of one zone that disagree on it serve different
    /// versions of the zone.
    fn soa(&self, name: &str) -> impl Future<Output = LookupResult<u32>>;
}

impl fmt::Display for Mx {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.preference, self.exchange)
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
