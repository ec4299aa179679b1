//! The [`Lookup`] trait and what a lookup returns.
//!
//! A lookup keeps apart the outcomes a caller must not confuse (RFC 7208
//! §4.6.4, §5): records found, the name does not exist (NXDOMAIN), the name
//! exists without records of that type (no data), and a temporary failure
//! (timeout, SERVFAIL, malformed answer).

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

use hickory_proto::rr::RecordType;
use tokio::time::Instant;

use super::record::{Mx, RecordData, TYPE_NS, TYPE_SOA, Txt, reverse_name};

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

    /// Each record mapped by `f`, the same void otherwise; one allocation,
    /// as the number of records is known.
    pub fn map<U>(&self, f: impl FnMut(&T) -> U) -> Answer<U> {
        match self {
            Answer::Records(records) => Answer::Records(records.iter().map(f).collect()),
            Answer::NoData => Answer::NoData,
            Answer::NxDomain => Answer::NxDomain,
        }
    }

    /// Keeps the records `pick` finds a `U` in, cloned, the same void
    /// otherwise: as [`filter_map`](Answer::filter_map) for data held in
    /// the records, in one allocation rather than two.
    pub fn pick<U: Clone>(&self, pick: impl Fn(&T) -> Option<&U>) -> Answer<U> {
        match self {
            Answer::Records(records) => {
                let count = records
                    .iter()
                    .filter(|record| pick(record).is_some())
                    .count();
                let mut kept = records.iter().filter_map(&pick).cloned();
                // A range mapped has its length known ahead, a filter has
                // not: the shared slice is allocated at its size at once,
                // not collected into a `Vec` first and copied.
                Answer::Records(
                    (0..count)
                        .map(|_| kept.next().expect("`pick` found `count` records"))
                        .collect(),
                )
            }
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
    /// An error response (SERVFAIL, …) or an answer that could not be used.
    #[error("{0}")]
    Failed(String),
    /// The server will not resolve the name: it answered REFUSED, or a
    /// referral without recursion (RA clear, RFC 1035 §4.1.1), as an
    /// authoritative-only server does for names outside its zones.
    #[error("{0}")]
    Refused(String),
    /// The name (held here) is outside the zone files and `--offline`
    /// forbids asking the network: not checkable offline.
    #[error("not checkable offline: `{0}` is outside the zone files")]
    Offline(String),
}

/// What a lookup returns: an answer, or the reason there is none.
pub type LookupResult<T> = Result<Answer<T>, LookupError>;

/// Asks DNS: one query by type, and typed accessors for the record types
/// mail checks need.
///
/// An implementation provides [`Lookup::query`] alone; the accessors
/// ([`txt`](Lookup::txt), [`a`](Lookup::a), …, [`soa`](Lookup::soa)) ask
/// through it and pick the data of their type from its answer.
///
/// Names are passed as text, a trailing dot optional, and compared without
/// regard to case (RFC 4343). They are text rather than
/// `hickory_proto::rr::Name` because an SPF domain-spec after macro
/// expansion may hold characters (`/`, `:`, `%`, space) that are legal DNS
/// octets but that hickory's name parser refuses; implementations convert
/// at their own edge.
pub trait Lookup {
    /// The records of type `rtype` at `name`.
    ///
    /// The answer holds records of the asked type only, their names
    /// (CNAME, PTR and MX targets) absolute and without trailing dot. A
    /// CNAME at `name` is followed for every type but CNAME itself (RFC
    /// 1034 §3.6.2), and the answer is that of the chain's end; a CNAME
    /// query is answered with the CNAME at `name`, not followed. A CNAME
    /// loop, or a chain longer than the implementation follows, is a
    /// [`LookupError`].
    fn query(
        &self,
        name: &str,
        rtype: RecordType,
    ) -> impl Future<Output = LookupResult<RecordData>>;

    /// [`query`](Lookup::query), answered by `deadline`: when there is no
    /// answer then, the result is [`LookupError::Timeout`].
    ///
    /// By default the query runs under a timer of its own. An
    /// implementation that keeps time itself (the stub client's reader
    /// expires its tries) or needs none (zone files) answers without one:
    /// a run asks tens of thousands of queries, each timer a cost.
    fn query_by(
        &self,
        name: &str,
        rtype: RecordType,
        deadline: Instant,
    ) -> impl Future<Output = LookupResult<RecordData>> {
        async move {
            tokio::time::timeout_at(deadline, self.query(name, rtype))
                .await
                .unwrap_or(Err(LookupError::Timeout))
        }
    }

    /// TXT records at `name`.
    fn txt(&self, name: &str) -> impl Future<Output = LookupResult<Txt>> {
        async move {
            let answer = self.query(name, RecordType::TXT).await?;
            Ok(answer.pick(RecordData::as_txt))
        }
    }

    /// A records at `name`.
    fn a(&self, name: &str) -> impl Future<Output = LookupResult<Ipv4Addr>> {
        async move {
            let answer = self.query(name, RecordType::A).await?;
            Ok(answer.pick(|data| match data {
                RecordData::A(ip) => Some(ip),
                _ => None,
            }))
        }
    }

    /// AAAA records at `name`.
    fn aaaa(&self, name: &str) -> impl Future<Output = LookupResult<Ipv6Addr>> {
        async move {
            let answer = self.query(name, RecordType::AAAA).await?;
            Ok(answer.pick(|data| match data {
                RecordData::Aaaa(ip) => Some(ip),
                _ => None,
            }))
        }
    }

    /// MX records at `name`, in the order received.
    fn mx(&self, name: &str) -> impl Future<Output = LookupResult<Mx>> {
        async move {
            let answer = self.query(name, RecordType::MX).await?;
            Ok(answer.pick(|data| match data {
                RecordData::Mx(mx) => Some(mx),
                _ => None,
            }))
        }
    }

    /// PTR names (without trailing dot) for `ip`, at its `in-addr.arpa` or
    /// `ip6.arpa` owner.
    fn ptr(&self, ip: IpAddr) -> impl Future<Output = LookupResult<String>> {
        async move {
            let answer = self.query(&reverse_name(ip), RecordType::PTR).await?;
            Ok(answer.pick(RecordData::as_ptr))
        }
    }

    /// The CNAME target (without trailing dot) at `name` itself, not
    /// followed: how `verify` sees an RFC 2317 delegation in the parent
    /// reverse zone (RFC 2317 §4, RFC 1034 §3.6.2).
    fn cname(&self, name: &str) -> impl Future<Output = LookupResult<String>> {
        async move {
            let answer = self.query(name, RecordType::CNAME).await?;
            Ok(answer.pick(|data| match data {
                RecordData::Cname(target) => Some(target),
                _ => None,
            }))
        }
    }

    /// The name servers (without trailing dot) of the zone at `name`
    /// (RFC 1035 §3.3.11): how `verify --authoritative` finds whom to ask.
    fn ns(&self, name: &str) -> impl Future<Output = LookupResult<String>> {
        async move {
            let answer = self.query(name, RecordType::NS).await?;
            Ok(answer.filter_map(|data| match data {
                RecordData::Other {
                    rtype: TYPE_NS,
                    rdata,
                } => {
                    let target = String::from_utf8_lossy(rdata);
                    let target = target.trim();
                    Some(target.strip_suffix('.').unwrap_or(target).to_owned())
                }
                _ => None,
            }))
        }
    }

    /// The serial of the SOA record at `name`, a zone apex (RFC 1035
    /// §3.3.13): servers of one zone that disagree on it serve different
    /// versions of the zone.
    fn soa(&self, name: &str) -> impl Future<Output = LookupResult<u32>> {
        async move {
            let answer = self.query(name, RecordType::SOA).await?;
            // MNAME RNAME SERIAL REFRESH RETRY EXPIRE MINIMUM
            Ok(answer.filter_map(|data| match data {
                RecordData::Other {
                    rtype: TYPE_SOA,
                    rdata,
                } => String::from_utf8_lossy(rdata)
                    .split_whitespace()
                    .nth(2)
                    .and_then(|serial| serial.parse().ok()),
                _ => None,
            }))
        }
    }
}
