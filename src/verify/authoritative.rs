//! `verify --authoritative`: every name server of every zone, asked directly.
//!
//! A recursive resolver may hold yesterday's answers, and the servers of
//! one zone may not all have today's: a zone transfer that failed leaves a
//! secondary serving an old serial (RFC 1996, RFC 1034 §4.3.5). So each
//! planned zone's NS set is looked up, each server is asked for the zone's
//! SOA serial and for the planned forward records, and servers that do not
//! answer, do not serve the zone (lame delegation, RFC 1912 §2.8) or
//! disagree are reported. The checks then ask the servers that answered.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use futures_util::future::join_all;
use hickory_proto::rr::RecordType;
use tokio::time::Instant;

use super::{Planned, describe_void};
use crate::dns::resolver::ResolverSettings;
use crate::dns::shared::{Progress, SharedLookup};
use crate::dns::stub::StubLookup;
use crate::dns::{Answer, Lookup, LookupError, LookupResult, RecordData};
use crate::finding::{Finding, Severity};
use crate::records::Plan;

/// Asks `first`, and `then` when `first` gives no answer: the
/// authoritative servers first, the resolver for names outside their zones
/// (a third party's SPF include).
pub struct Fallback<'a, L> {
    first: StubLookup,
    then: &'a L,
}

impl<L: Lookup> Lookup for Fallback<'_, L> {
    async fn query(&self, name: &str, rtype: RecordType) -> LookupResult<RecordData> {
        match self.first.query(name, rtype).await {
            Err(_) => self.then.query(name, rtype).await,
            answer => answer,
        }
    }
}

/// One name server of one zone.
struct Server {
    name: String,
    addr: SocketAddr,
}

/// Finds each zone's name servers through `dns`, asks each of them on
/// `port`, and compares their answers; returns the findings and the
/// servers that answered for their zone.
pub(super) async fn survey<L: Lookup>(
    dns: &L,
    plan: &Plan,
    planned: &Planned<'_>,
    port: u16,
    deadline: Instant,
    progress: &Progress,
) -> (Vec<Finding>, Vec<SocketAddr>) {
    let mut findings = Vec::new();
    // Zone → its servers; the NS lookups of all zones at once.
    let origins: Vec<&str> = plan.zones.iter().map(|z| z.origin.as_str()).collect();
    let ns_sets = join_all(origins.iter().map(|origin| dns.ns(origin))).await;
    let mut zones: Vec<(&str, Vec<Server>)> = Vec::new();
    for (origin, answer) in origins.iter().copied().zip(ns_sets) {
        let names = match answer {
            Err(error) => {
                findings.push(Finding::undetermined(
                    origin,
                    &format!("the name servers of zone `{origin}`"),
                    error,
                ));
                continue;
            }
            Ok(Answer::Records(names)) if !names.is_empty() => names,
            Ok(void) => {
                findings.push(
                    Finding::new(
                        "ns-missing",
                        Severity::Error,
                        origin,
                        format!(
                            "zone `{origin}` has no NS records ({}): it is not delegated, so nobody can ask it",
                            describe_void(&void, origin)
                        ),
                        "publish the zone on its name servers and add the NS records to its parent (registrar or ISP)",
                    )
                    .values("NS records", describe_void(&void, origin)),
                );
                continue;
            }
        };
        let mut servers = Vec::new();
        for name in names.iter() {
            let (a, aaaa) = tokio::join!(dns.a(name), dns.aaaa(name));
            let mut ips: Vec<IpAddr> = Vec::new();
            let mut failed = None;
            for result in [
                a.map(|x| {
                    x.records()
                        .iter()
                        .copied()
                        .map(IpAddr::V4)
                        .collect::<Vec<_>>()
                }),
                aaaa.map(|x| x.records().iter().copied().map(IpAddr::V6).collect()),
            ] {
                match result {
                    Ok(found) => ips.extend(found),
                    Err(error) => failed = Some(error),
                }
            }
            match (ips.is_empty(), failed) {
                (true, Some(error)) => findings.push(Finding::undetermined(
                    origin,
                    &format!("the addresses of name server `{name}` of zone `{origin}`"),
                    error,
                )),
                (true, None) => findings.push(
                    Finding::new(
                        "ns-unresolvable",
                        Severity::Error,
                        origin,
                        format!("name server `{name}` of zone `{origin}` has no A or AAAA record"),
                        format!("publish the addresses of `{name}`, or remove it from the NS set"),
                    )
                    .values(format!("addresses of `{name}`"), "(none)"),
                ),
                (false, _) => servers.extend(ips.into_iter().map(|ip| Server {
                    name: name.clone(),
                    addr: SocketAddr::new(ip, port),
                })),
            }
        }
        zones.push((origin, servers));
    }
    // One resolver per server address, each asked through its own shared
    // lookup so that the run's deadline holds for it too.
    let addrs: BTreeSet<SocketAddr> = zones
        .iter()
        .flat_map(|(_, servers)| servers.iter().map(|s| s.addr))
        .collect();
    let settings = ResolverSettings {
        timeout: Duration::from_secs(2),
        attempts: 1,
    };
    let singles: HashMap<SocketAddr, StubLookup> = addrs
        .iter()
        .map(|&addr| (addr, StubLookup::from_nameservers(&[addr], settings)))
        .collect();
    let shared: HashMap<SocketAddr, SharedLookup<'_, StubLookup>> = singles
        .iter()
        .map(|(&addr, single)| (addr, SharedLookup::new(single, 16, deadline, progress)))
        .collect();
    let mut answering = BTreeSet::new();
    for (origin, servers) in &zones {
        let serials = join_all(servers.iter().map(|s| shared[&s.addr].soa(origin))).await;
        let mut answered: Vec<(&Server, u32)> = Vec::new();
        for (server, serial) in servers.iter().zip(serials) {
            let who = format!("`{}` ({})", server.name, server.addr);
            match serial {
                Ok(Answer::Records(serials)) if !serials.is_empty() => {
                    answered.push((server, serials[0]));
                    answering.insert(server.addr);
                }
                // An error response is a server that does not serve the
                // zone; silence or a network error, one that cannot be reached.
                Err(LookupError::Failed(error) | LookupError::Refused(error))
                    if error.contains("server answered") =>
                {
                    findings.push(lame(origin, &who, &error));
                }
                Err(error) => findings.push(
                    Finding::new(
                        "ns-unreachable",
                        Severity::Error,
                        *origin,
                        format!("name server {who} of zone `{origin}` does not answer: {error}"),
                        "start the server or fix the network path to it, or remove it from the NS set",
                    )
                    .values("an answer", error.to_string()),
                ),
                Ok(void) => findings.push(lame(origin, &who, &describe_void(&void, origin))),
            }
        }
        let distinct: BTreeSet<u32> = answered.iter().map(|(_, serial)| *serial).collect();
        if distinct.len() > 1 {
            let shown: Vec<String> = answered
                .iter()
                .map(|(s, serial)| format!("`{}` ({}) {serial}", s.name, s.addr))
                .collect();
            findings.push(
                Finding::new(
                    "ns-serial-mismatch",
                    Severity::Error,
                    *origin,
                    format!(
                        "the name servers of zone `{origin}` serve different versions of it (SOA serials {})",
                        shown.join(", ")
                    ),
                    "check zone transfers (NOTIFY, allow-transfer) from the primary to every secondary",
                )
                .values(
                    format!("one serial, {}", distinct.iter().max().copied().unwrap_or(0)),
                    shown.join(", "),
                ),
            );
        }
        let servers: Vec<&Server> = answered.iter().map(|(s, _)| *s).collect();
        findings.extend(compare_answers(origin, &servers, planned, &shared).await);
    }
    (findings, answering.into_iter().collect())
}

fn lame(origin: &str, who: &str, why: &str) -> Finding {
    Finding::new(
        "ns-lame",
        Severity::Error,
        origin,
        format!("name server {who} is listed for zone `{origin}` but does not serve it: {why}"),
        "load the zone on that server, or remove it from the NS set (RFC 1912 §2.8)",
    )
    .values("an authoritative answer", why.to_owned())
}

/// `ns-answer-mismatch`: servers of one zone giving different A, AAAA or
/// TXT answers for a planned owner in it.
async fn compare_answers(
    origin: &str,
    servers: &[&Server],
    planned: &Planned<'_>,
    shared: &HashMap<SocketAddr, SharedLookup<'_, StubLookup>>,
) -> Vec<Finding> {
    if servers.len() < 2 {
        return Vec::new();
    }
    let mut owners: BTreeSet<&str> = planned
        .owners()
        .filter(|owner| in_zone(owner, origin))
        .collect();
    // A name in a zone nested below this one belongs to that zone.
    owners.retain(|owner| {
        !planned
            .zones
            .iter()
            .any(|z| z.len() > origin.len() && in_zone(z, origin) && in_zone(owner, z))
    });
    let mut findings = Vec::new();
    for owner in owners {
        let answers = join_all(servers.iter().map(|s| async {
            let dns = &shared[&s.addr];
            let (a, aaaa, txt) = tokio::join!(dns.a(owner), dns.aaaa(owner), dns.txt(owner));
            let mut shown = BTreeSet::new();
            shown.extend(render(a, |ip| ip.to_string()));
            shown.extend(render(aaaa, |ip| ip.to_string()));
            shown.extend(render(txt, |t| {
                format!("\"{}\"", String::from_utf8_lossy(&t.concat()))
            }));
            shown.into_iter().collect::<Vec<_>>().join(" ")
        }))
        .await;
        let by_answer: BTreeMap<&String, Vec<String>> =
            servers
                .iter()
                .zip(&answers)
                .fold(BTreeMap::new(), |mut map, (server, answer)| {
                    map.entry(answer)
                        .or_default()
                        .push(format!("`{}` ({})", server.name, server.addr));
                    map
                });
        if by_answer.len() > 1 {
            let shown: Vec<String> = by_answer
                .iter()
                .map(|(answer, who)| format!("{}: {answer}", who.join(", ")))
                .collect();
            findings.push(
                Finding::new(
                    "ns-answer-mismatch",
                    Severity::Error,
                    owner,
                    format!("the name servers of zone `{origin}` answer differently for `{owner}`"),
                    "bring every server of the zone to the same version (zone transfer or reload)",
                )
                .values("the same answer from every server", shown.join("; ")),
            );
        }
    }
    findings
}

fn in_zone(name: &str, zone: &str) -> bool {
    crate::names::is_in_zone(name, zone)
}

/// An answer as comparable text: records, or how there were none.
fn render<T>(result: LookupResult<T>, show: impl Fn(&T) -> String) -> Vec<String> {
    match result {
        Ok(Answer::Records(records)) => records.iter().map(show).collect(),
        Ok(Answer::NoData) => Vec::new(),
        Ok(Answer::NxDomain) => vec!["NXDOMAIN".to_owned()],
        Err(error) => vec![format!("({error})")],
    }
}

impl<'a, L: Lookup> Fallback<'a, L> {
    /// The servers that answered, with `then` behind them; `None` when
    /// none answered.
    pub(super) fn new(servers: &[SocketAddr], then: &'a L) -> Option<Self> {
        (!servers.is_empty()).then(|| Fallback {
            first: StubLookup::with_nameservers(servers),
            then,
        })
    }
}
