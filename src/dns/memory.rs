//! An in-memory zone that answers [`Lookup`] queries.
//!
//! Used by tests (the RFC 7208 conformance suite) and by offline checks of
//! zone files (`--zone-file`). Owner names are compared without regard to
//! case and a trailing dot is ignored. A name that holds no record at all
//! is NXDOMAIN; a name that holds records, but none of the asked type, is
//! NOERROR with no data. CNAMEs are followed (RFC 1034 §3.6.2) and a loop
//! is reported as a [`LookupError`]. Each owner's record sets are built
//! once, on its first query, and then shared with every answer.

use std::borrow::Cow;
use std::sync::{Arc, OnceLock};

use foldhash::HashMap;
use hickory_proto::rr::RecordType;

use super::lookup::{Answer, Lookup, LookupError, LookupResult};
use super::record::{Mx, RecordData};
use crate::names::{DomainName, normal_form};

/// Longest CNAME chain followed before the answer counts as a loop.
pub(super) const MAX_CNAME_CHAIN: usize = 16;

#[derive(Debug, Clone, Default)]
struct Node {
    records: Vec<RecordData>,
    /// Set by [`MemoryZone::insert_timeout`]: the number of records listed before the marker.
    timeout_after: Option<usize>,
    /// The records in the form answers carry, built on the first query.
    index: OnceLock<Index>,
}

impl Node {
    fn index(&self) -> &Index {
        self.index
            .get_or_init(|| Index::of(&self.records, self.timeout_after))
    }
}

/// What queries read from one owner.
#[derive(Debug, Clone)]
struct Index {
    /// The owner's record sets, one per type, in the order first listed.
    sets: Vec<RecordSet>,
    /// The target of the owner's CNAME as a key of [`MemoryZone::nodes`].
    cname: Option<DomainName>,
}

/// The records of one type at one owner, as [`Lookup::query`] returns them.
#[derive(Debug, Clone)]
struct RecordSet {
    rtype: RecordType,
    records: Arc<[RecordData]>,
    /// False when every record of the type was listed after the timeout
    /// marker: a query for it times out.
    answered: bool,
}

impl Index {
    fn of(records: &[RecordData], timeout_after: Option<usize>) -> Self {
        let listed = &records[..timeout_after.unwrap_or(records.len())];
        let mut types: Vec<RecordType> = Vec::new();
        for data in records {
            let rtype = data.record_type();
            if !types.contains(&rtype) {
                types.push(rtype);
            }
        }
        let sets = types
            .into_iter()
            .map(|rtype| RecordSet {
                rtype,
                records: records
                    .iter()
                    .filter(|data| data.record_type() == rtype)
                    .map(answered_form)
                    .collect(),
                answered: listed.iter().any(|data| data.record_type() == rtype),
            })
            .collect();
        let cname = records.iter().find_map(|data| match data {
            RecordData::Cname(target) => Some(DomainName::from_dns(target.clone())),
            _ => None,
        });
        Index { sets, cname }
    }
}

/// `data` with its target names in the form answers carry: without the
/// trailing dot a zone's author may have written.
fn answered_form(data: &RecordData) -> RecordData {
    let strip = |name: &str| name.strip_suffix('.').unwrap_or(name).to_owned();
    match data {
        RecordData::Cname(target) => RecordData::Cname(strip(target)),
        RecordData::Ptr(target) => RecordData::Ptr(strip(target)),
        RecordData::Mx(mx) => RecordData::Mx(Mx {
            preference: mx.preference,
            exchange: strip(&mx.exchange),
        }),
        other => other.clone(),
    }
}

/// A set of records in memory, queried through [`Lookup`].
#[derive(Debug, Clone, Default)]
pub struct MemoryZone {
    /// Owner names come from the zone's author, not from the network:
    /// foldhash rather than SipHash, whose set-up was most of the cost of
    /// a query.
    nodes: HashMap<DomainName, Node>,
}

impl MemoryZone {
    /// An empty zone: every name is NXDOMAIN.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one record at `owner` (any case, trailing dot optional).
    pub fn insert(&mut self, owner: &str, data: RecordData) {
        let node = self
            .nodes
            .entry(DomainName::from_dns(owner.to_owned()))
            .or_default();
        node.records.push(data);
        node.index = OnceLock::new();
    }

    /// Marks `owner` so that a query of a type with no record listed so far times out.
    ///
    /// This is the `TIMEOUT` entry of the OpenSPF test suite: `[TIMEOUT]`
    /// makes every query at the owner time out, `[TXT …, TIMEOUT]` every
    /// query but TXT. Records inserted after the marker do not lift it.
    pub fn insert_timeout(&mut self, owner: &str) {
        let node = self
            .nodes
            .entry(DomainName::from_dns(owner.to_owned()))
            .or_default();
        node.timeout_after = Some(node.records.len());
        node.index = OnceLock::new();
    }

    /// Answers a query for `rtype` at `name`, following CNAMEs unless
    /// `rtype` is CNAME.
    pub(super) fn answer(&self, name: &str, rtype: RecordType) -> LookupResult<RecordData> {
        let mut owner = normal_form(name);
        for _ in 0..MAX_CNAME_CHAIN {
            let Some(node) = self.nodes.get(owner.as_ref()) else {
                return Ok(Answer::NxDomain);
            };
            let index = node.index();
            if let Some(set) = index.sets.iter().find(|set| set.rtype == rtype) {
                return match set.answered {
                    true => Ok(Answer::Records(Arc::clone(&set.records))),
                    false => Err(LookupError::Timeout),
                };
            }
            match (&index.cname, node.timeout_after) {
                (Some(target), _) if rtype != RecordType::CNAME => owner = Cow::Borrowed(target),
                (_, Some(_)) => return Err(LookupError::Timeout),
                (_, None) => return Ok(Answer::NoData),
            }
        }
        Err(LookupError::Failed(format!(
            "CNAME loop at `{}`",
            normal_form(name)
        )))
    }
}

impl Lookup for MemoryZone {
    async fn query(&self, name: &str, rtype: RecordType) -> LookupResult<RecordData> {
        self.answer(name, rtype)
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn names_are_case_insensitive_and_void_kinds_differ() {
        let mut zone = MemoryZone::new();
        zone.insert(
            "Mail.Example.COM.",
            RecordData::A(Ipv4Addr::new(192, 0, 2, 1)),
        );
        block_on(async {
            assert_eq!(
                zone.a("mail.example.com").await,
                Ok(Answer::Records([Ipv4Addr::new(192, 0, 2, 1)].into()))
            );
            assert_eq!(zone.aaaa("MAIL.example.com.").await, Ok(Answer::NoData));
            assert_eq!(zone.a("other.example.com").await, Ok(Answer::NxDomain));
        });
    }

    #[test]
    fn cname_is_followed_and_loops_are_errors() {
        let mut zone = MemoryZone::new();
        zone.insert("b.example.org", RecordData::Cname("A.example.org.".into()));
        zone.insert(
            "a.example.org",
            RecordData::Txt(vec![b"v=spf1 -all".to_vec()].into()),
        );
        zone.insert(
            "loop.example.org",
            RecordData::Cname("loop.example.org".into()),
        );
        block_on(async {
            assert_eq!(zone.txt("b.example.org").await.unwrap().records().len(), 1);
            assert!(zone.a("loop.example.org").await.is_err());
            assert_eq!(
                zone.cname("B.example.org").await,
                Ok(Answer::Records(["A.example.org".to_owned()].into()))
            );
            assert_eq!(zone.cname("a.example.org").await, Ok(Answer::NoData));
            assert_eq!(zone.cname("c.example.org").await, Ok(Answer::NxDomain));
        });
    }

    #[test]
    fn a_query_answers_with_the_asked_type_only() {
        let mut zone = MemoryZone::new();
        let spf = RecordData::Other {
            rtype: 99,
            rdata: b"v=spf1 -all".to_vec(),
        };
        zone.insert("example.org", RecordData::A(Ipv4Addr::new(192, 0, 2, 1)));
        zone.insert("example.org", spf.clone());
        zone.insert(
            "example.org",
            RecordData::Txt(vec![b"v=spf1 -all".to_vec()].into()),
        );
        zone.insert("example.org", RecordData::A(Ipv4Addr::new(192, 0, 2, 2)));
        zone.insert(
            "alias.example.org",
            RecordData::Cname("Example.ORG.".into()),
        );
        block_on(async {
            let a = zone.query("alias.example.org", RecordType::A).await;
            assert_eq!(
                a.unwrap().records(),
                [
                    RecordData::A(Ipv4Addr::new(192, 0, 2, 1)),
                    RecordData::A(Ipv4Addr::new(192, 0, 2, 2))
                ]
            );
            assert_eq!(
                zone.query("example.org", RecordType::from(99)).await,
                Ok(Answer::Records([spf].into()))
            );
            // Not followed, and without the trailing dot.
            assert_eq!(
                zone.query("alias.example.org", RecordType::CNAME).await,
                Ok(Answer::Records(
                    [RecordData::Cname("Example.ORG".into())].into()
                ))
            );
            assert_eq!(
                zone.query("alias.example.org", RecordType::MX).await,
                Ok(Answer::NoData)
            );
        });
    }

    #[test]
    fn ns_and_soa_serial_are_read_from_their_data() {
        let mut zone = MemoryZone::new();
        zone.insert(
            "example.org",
            RecordData::Other {
                rtype: 6,
                rdata: b"ns1.example.org. hostmaster.example.org. 2024010101 3600 600 604800 3600"
                    .to_vec(),
            },
        );
        zone.insert(
            "example.org",
            RecordData::Other {
                rtype: 2,
                rdata: b"ns1.example.org.".to_vec(),
            },
        );
        block_on(async {
            assert_eq!(
                zone.soa("example.org").await,
                Ok(Answer::Records([2_024_010_101].into()))
            );
            assert_eq!(
                zone.ns("example.org").await,
                Ok(Answer::Records(["ns1.example.org".to_owned()].into()))
            );
            assert_eq!(zone.ns("www.example.org").await, Ok(Answer::NxDomain));
        });
    }

    #[test]
    fn timeout_marker_spares_types_listed_before_it() {
        let mut zone = MemoryZone::new();
        zone.insert(
            "t.example.net",
            RecordData::Txt(vec![b"v=spf1 -all".to_vec()].into()),
        );
        zone.insert_timeout("t.example.net");
        zone.insert_timeout("all.example.net");
        block_on(async {
            assert!(zone.txt("t.example.net").await.is_ok());
            assert_eq!(zone.a("t.example.net").await, Err(LookupError::Timeout));
            assert_eq!(zone.txt("all.example.net").await, Err(LookupError::Timeout));
        });
    }

    #[test]
    fn ptr_is_served_at_the_reverse_owner() {
        let mut zone = MemoryZone::new();
        zone.insert(
            "4.3.2.1.in-addr.arpa",
            RecordData::Ptr("Mail.Example.com.".into()),
        );
        zone.insert(
            "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.B.D.0.1.0.0.2.ip6.arpa",
            RecordData::Ptr("six.example.com".into()),
        );
        block_on(async {
            let v4 = zone.ptr("1.2.3.4".parse().unwrap()).await.unwrap();
            assert_eq!(v4.records(), ["Mail.Example.com"]);
            let v6 = zone.ptr("2001:db8::1".parse().unwrap()).await.unwrap();
            assert_eq!(v6.records(), ["six.example.com"]);
        });
    }
}
