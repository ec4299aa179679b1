//! DNS behind a small trait.
//!
//! The SPF evaluator and the `verify` checks ask DNS through [`Lookup`] and
//! never see a resolver library. The trait keeps apart the three outcomes a
//! caller must not confuse (RFC 7208 §4.6.4, §5): records found, the name
//! does not exist (NXDOMAIN), the name exists without records of that type
//! (no data), and a temporary failure (timeout, SERVFAIL, malformed answer).

pub mod memory;
pub mod resolver;
pub mod zonefile;

use std::fmt;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The answer to one query that DNS did give.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer<T> {
    /// One or more records of the asked type.
    Records(Vec<T>),
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

    /// Turns the records into an owned list (empty when there are none).
    pub fn into_records(self) -> Vec<T> {
        match self {
            Answer::Records(records) => records,
            Answer::NoData | Answer::NxDomain => Vec::new(),
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
}

impl fmt::Display for Mx {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.preference, self.exchange)
    }
}
