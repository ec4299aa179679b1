//! `senderzone import`: draft an inventory from what domains publish.
//!
//! Three steps. [`read`] asks DNS, through any [`Lookup`] (a
//! [`crate::dns::shared::SharedLookup`] with the run's deadline in the
//! command), for everything the draft needs and keeps it as [`Facts`]:
//! each domain's SPF record with the records it takes in (own includes,
//! `_spfN` chain parts, `redirect=`), the addresses of `a` and `mx` hosts,
//! the PTR of every address and whether it resolves back, the zones (by
//! SOA, and RFC 2317 delegations by their CNAMEs), DMARC and DKIM.
//! [`draft::assemble`] turns facts into an inventory draft, and
//! [`yaml::render`] writes it as commented YAML: both pure. The SPF terms
//! are classified without DNS by [`spf::classify`].
//!
//! Nothing published is fixed on the way: a private address, a missing
//! PTR, a lookup count over 10 are imported as they are, for `verify`.

pub mod draft;
pub mod spf;
pub mod yaml;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use futures_util::future::join_all;
use ipnet::IpNet;

use crate::dns::{Answer, Lookup, LookupResult, reverse_name};
use crate::inventory::ClasslessLabels;
use crate::mailauth::{dkim, dmarc};
use crate::names::{self, DomainName};
use crate::spf::{DualCidr, is_spf_record};

pub use draft::{Draft, assemble};
pub use spf::{Item, Origin};

/// DKIM selectors tried for every domain besides those asked for: the
/// defaults of common signers and providers.
pub const COMMON_SELECTORS: [&str; 9] = [
    "google",
    "selector1",
    "selector2",
    "default",
    "dkim",
    "mail",
    "k1",
    "s1",
    "s2",
];

/// How deep `include:` and `redirect=` of the imported zones are taken in.
const MAX_DEPTH: usize = 10;

/// What to import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The domains.
    pub domains: Vec<DomainName>,
    /// DKIM selectors asked for (`--dkim-selector`), tried besides
    /// [`COMMON_SELECTORS`] and reported when absent.
    pub selectors: Vec<String>,
}

/// Everything DNS said that the draft is made of.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// The domains, in the order asked.
    pub domains: Vec<DomainFacts>,
    /// The addresses of every `a`/`mx` host, by name.
    pub hosts: BTreeMap<DomainName, HostFacts>,
    /// The PTR of every address looked at.
    pub ptrs: HashMap<IpAddr, Ptr>,
    /// The reverse zone of every address that may be a server's.
    pub reverse: HashMap<IpAddr, Reverse>,
    /// The zone holding each name (domains, host names), by its SOA;
    /// `None` when no SOA was found.
    pub zones: HashMap<DomainName, Option<DomainName>>,
    /// Whether each host name publishes an SPF record of its own (a sign
    /// it is the HELO name); `None` when it could not be read.
    pub host_spf: HashMap<DomainName, Option<bool>>,
    /// What could not be read: each a sentence.
    pub unread: Vec<String>,
    /// The zones of the domains asked for (the domain itself when no SOA
    /// was found): their includes are taken in, and only their host
    /// names make servers of the addresses of a network.
    pub own_zones: Vec<DomainName>,
}

/// What one domain publishes.
#[derive(Debug, Clone, Default)]
pub struct DomainFacts {
    /// The domain.
    pub name: DomainName,
    /// Its SPF record as published, when it has exactly one.
    pub record: Option<String>,
    /// The record's items with those of the records it takes in, in
    /// order; an include's `all` left out.
    pub items: Vec<Item>,
    /// `a`/`mx` hosts resolved: one per host name reached.
    pub hosts: Vec<HostRef>,
    /// Gaps about this domain, each a sentence.
    pub notes: Vec<String>,
    /// `_dmarc.<name>`: the text, parsed.
    pub dmarc: Option<(String, Result<dmarc::DmarcRecord, dmarc::DmarcError>)>,
    /// DKIM keys found.
    pub dkim: Vec<DkimFound>,
}

/// A host reached through an `a` or `mx` term.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostRef {
    /// The host name.
    pub name: DomainName,
    /// The term, with the MX record for `mx`.
    pub origin: Origin,
    /// The term's prefix lengths.
    pub cidr: DualCidr,
}

/// The A and AAAA records of a host.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostFacts {
    /// IPv4 addresses.
    pub v4: Vec<Ipv4Addr>,
    /// IPv6 addresses.
    pub v6: Vec<Ipv6Addr>,
    /// What the lookups said when they gave nothing (NXDOMAIN, no data).
    pub empty: Option<String>,
}

impl HostFacts {
    /// Every address, IPv4 first.
    pub fn addresses(&self) -> impl Iterator<Item = IpAddr> + '_ {
        self.v4
            .iter()
            .map(|&ip| IpAddr::V4(ip))
            .chain(self.v6.iter().map(|&ip| IpAddr::V6(ip)))
    }
}

/// The PTR of one address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ptr {
    /// A PTR name that resolves back to the address (FCrDNS).
    Confirmed(DomainName),
    /// PTR names, none of which resolves back.
    Unconfirmed(Vec<DomainName>),
    /// No PTR: NXDOMAIN or no data.
    Missing(&'static str),
    /// Not looked up: a special-purpose address whose PTR is not public.
    NotPublic(&'static str),
    /// The lookup failed.
    Failed,
}

/// The reverse zone an address's PTR lives in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reverse {
    /// The zone's network.
    pub net: IpNet,
    /// How it was found, for the comment.
    pub how: String,
    /// For a classless zone, the label style of its name.
    pub labels: Option<ClasslessLabels>,
}

/// A DKIM key found at `<selector>._domainkey.<domain>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DkimFound {
    /// The selector.
    pub selector: String,
    /// The key, or why it cannot be used.
    pub key: Result<dkim::KeyRecord, String>,
}

/// Asks DNS for everything `request` needs.
pub async fn read<L: Lookup>(lookup: &L, request: &Request) -> Facts {
    let mut facts = Facts::default();
    // The zones of the domains first: an include inside them is taken in.
    let zones = join_all(request.domains.iter().map(|d| zone_of(lookup, d))).await;
    let mut own: Vec<DomainName> = Vec::new();
    for (domain, (zone, unread)) in request.domains.iter().zip(zones) {
        facts.unread.extend(unread);
        own.push(zone.clone().unwrap_or_else(|| domain.clone()));
        facts.zones.insert(domain.clone(), zone);
    }
    own.sort();
    own.dedup();
    facts.own_zones = own.clone();
    let is_own = |name: &str| own.iter().any(|zone| names::is_in_zone(name, zone));
    let domains = join_all(
        request
            .domains
            .iter()
            .map(|d| read_domain(lookup, d, &request.selectors, &is_own)),
    )
    .await;
    for (domain, unread) in domains {
        facts.unread.extend(unread);
        facts.domains.push(domain);
    }
    read_hosts(lookup, &mut facts).await;
    read_ptrs(lookup, &mut facts).await;
    read_placement(lookup, &mut facts).await;
    facts
}

/// The zone holding `name`: the longest of its suffixes with an SOA
/// record. Failures below the zone found are gaps; above it they do not
/// matter.
async fn zone_of<L: Lookup>(lookup: &L, name: &str) -> (Option<DomainName>, Vec<String>) {
    let suffixes: Vec<&str> = names::suffixes(name).collect();
    let answers = join_all(suffixes.iter().map(|s| lookup.soa(s))).await;
    let mut unread = Vec::new();
    for (suffix, answer) in suffixes.iter().zip(answers) {
        match answer {
            Ok(Answer::Records(_)) => return (Some(DomainName::from(*suffix)), unread),
            Ok(_) => {}
            Err(err) => unread.push(format!("{suffix} SOA: {err}")),
        }
    }
    (None, unread)
}

/// The SPF records among the TXT records at `name`, joined.
async fn spf_records<L: Lookup>(lookup: &L, name: &str) -> LookupResult<String> {
    let answer = lookup.txt(name).await?;
    Ok(answer.filter_map(|txt| {
        let joined = txt.concat();
        is_spf_record(&joined).then(|| String::from_utf8_lossy(&joined).into_owned())
    }))
}

/// How a record that was asked for turned out: its one SPF record, or a
/// sentence saying why there is none to use.
/// `top`: `name` is a domain asked for, which cannot be read when it does
/// not exist.
async fn one_spf_record<L: Lookup>(
    lookup: &L,
    name: &str,
    top: bool,
    unread: &mut Vec<String>,
) -> Result<String, String> {
    match spf_records(lookup, name).await {
        Err(err) => {
            unread.push(format!("{name} TXT: {err}"));
            Err(format!("{name} TXT could not be read ({err})"))
        }
        Ok(Answer::NxDomain) => {
            let why = format!("{name} does not exist (NXDOMAIN)");
            if top {
                unread.push(why.clone());
            }
            Err(why)
        }
        Ok(answer) => match answer.records() {
            [] => Err(format!("{name} publishes no SPF record")),
            [one] => Ok(one.clone()),
            many => Err(format!(
                "{name} publishes {} SPF records, which receivers treat as a permerror (RFC 7208 §4.5)",
                many.len()
            )),
        },
    }
}

async fn read_domain<L: Lookup>(
    lookup: &L,
    name: &DomainName,
    asked: &[String],
    own: &impl Fn(&str) -> bool,
) -> (DomainFacts, Vec<String>) {
    let mut unread = Vec::new();
    let mut facts = DomainFacts {
        name: name.clone(),
        ..DomainFacts::default()
    };
    match one_spf_record(lookup, name, true, &mut unread).await {
        Ok(text) => {
            facts.record = Some(text.clone());
            let mut walk = Walk {
                lookup,
                own,
                seen: vec![name.clone()],
                facts: &mut facts,
                unread: &mut unread,
            };
            walk.take_in(name, &text, 0, true).await;
        }
        Err(why) => facts.notes.push(why),
    }
    read_dmarc(lookup, &mut facts, &mut unread).await;
    read_dkim(lookup, &mut facts, asked, &mut unread).await;
    (facts, unread)
}

/// One domain's SPF records walked from its own: what it has taken in so
/// far (`seen`, against loops) and where the findings go.
struct Walk<'w, L, F> {
    lookup: &'w L,
    /// Whether a name is in the imported zones.
    own: &'w F,
    seen: Vec<DomainName>,
    facts: &'w mut DomainFacts,
    unread: &'w mut Vec<String>,
}

impl<'w, L: Lookup, F: Fn(&str) -> bool> Walk<'w, L, F> {
    /// Classifies the record `text` at `owner` into `facts.items`, taking
    /// in the records it includes from the imported zones and its
    /// redirect. `top`: the domain's own record or the end of its
    /// redirects, whose `all` counts.
    fn take_in<'a>(
        &'a mut self,
        owner: &'a str,
        text: &'a str,
        depth: usize,
        top: bool,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + 'a>> {
        Box::pin(async move {
            let own = self.own;
            let record = match crate::spf::parse(text) {
                Ok(record) => record,
                Err(err) => {
                    self.facts.items.push(Item::Skipped {
                        why: format!("the record does not parse: {}", err.kind),
                        origin: Origin::txt(owner, text),
                    });
                    return;
                }
            };
            for item in spf::classify(&record, owner, own) {
                match item {
                    Item::All { .. } if !top => {}
                    Item::Expand {
                        target,
                        redirect,
                        origin,
                    } => {
                        let why = if self.seen.contains(&target) {
                            Some("a loop: this record was taken in already".to_owned())
                        } else if depth >= MAX_DEPTH {
                            Some(format!("more than {MAX_DEPTH} records deep"))
                        } else {
                            None
                        };
                        if let Some(why) = why {
                            self.facts.items.push(Item::Skipped { why, origin });
                            continue;
                        }
                        self.seen.push(target.clone());
                        let third_party = redirect && !own(&target);
                        match one_spf_record(self.lookup, &target, false, self.unread).await {
                            Ok(text) if third_party => {
                                // A third party's record stays theirs: an
                                // include, and the `all` it ends with.
                                self.facts.items.push(Item::Include {
                                    target: target.clone(),
                                    origin: origin.clone(),
                                });
                                if let Ok(record) = crate::spf::parse(&text) {
                                    self.facts.items.extend(
                                        spf::classify(&record, &target, |_| false)
                                            .into_iter()
                                            .filter(|i| matches!(i, Item::All { .. })),
                                    );
                                }
                            }
                            Ok(text) => {
                                self.take_in(&target, &text, depth + 1, top && redirect)
                                    .await;
                            }
                            Err(why) => self.facts.items.push(Item::Skipped {
                                why: format!("not taken in: {why}"),
                                origin,
                            }),
                        }
                    }
                    other => self.facts.items.push(other),
                }
            }
        })
    }
}

async fn read_dmarc<L: Lookup>(lookup: &L, facts: &mut DomainFacts, unread: &mut Vec<String>) {
    let name = format!("_dmarc.{}", facts.name);
    match lookup.txt(&name).await {
        Err(err) => {
            unread.push(format!("{name} TXT: {err}"));
            facts
                .notes
                .push(format!("{name} TXT could not be read ({err}): no `dmarc`"));
        }
        Ok(answer) => {
            let texts: Vec<String> = answer
                .records()
                .iter()
                .map(|txt| String::from_utf8_lossy(&txt.concat()).into_owned())
                .filter(|t| dmarc::is_dmarc(t))
                .collect();
            match texts.as_slice() {
                [] => {}
                [one] => facts.dmarc = Some((one.clone(), dmarc::parse(one))),
                many => facts.notes.push(format!(
                    "{name} publishes {} DMARC records, which receivers ignore (RFC 7489 §6.6.3): no `dmarc`",
                    many.len()
                )),
            }
        }
    }
}

async fn read_dkim<L: Lookup>(
    lookup: &L,
    facts: &mut DomainFacts,
    asked: &[String],
    unread: &mut Vec<String>,
) {
    let mut selectors: Vec<String> = asked.to_vec();
    for common in COMMON_SELECTORS {
        if !selectors.iter().any(|s| s == common) {
            selectors.push(common.to_owned());
        }
    }
    let owners: Vec<String> = selectors
        .iter()
        .map(|s| format!("{s}._domainkey.{}", facts.name))
        .collect();
    let answers = join_all(owners.iter().map(|o| lookup.txt(o))).await;
    for ((selector, owner), answer) in selectors.iter().zip(&owners).zip(answers) {
        let was_asked = asked.contains(selector);
        match answer {
            Err(err) => {
                unread.push(format!("{owner} TXT: {err}"));
                facts.notes.push(format!(
                    "DKIM selector `{selector}`: {owner} TXT could not be read ({err})"
                ));
            }
            Ok(answer) => {
                let texts: Vec<String> = answer
                    .records()
                    .iter()
                    .map(|txt| String::from_utf8_lossy(&txt.concat()).into_owned())
                    .collect();
                match texts.as_slice() {
                    [] if was_asked => facts.notes.push(format!(
                        "DKIM selector `{selector}`: {owner} has no TXT record: not listed"
                    )),
                    [] => {}
                    [one] => facts.dkim.push(DkimFound {
                        selector: selector.clone(),
                        key: dkim::parse(one).map_err(|err| err.to_string()),
                    }),
                    many => facts.dkim.push(DkimFound {
                        selector: selector.clone(),
                        key: Err(format!("{} TXT records where one key belongs", many.len())),
                    }),
                }
            }
        }
    }
}

/// The addresses of every `a` and `mx` host of every domain.
async fn read_hosts<L: Lookup>(lookup: &L, facts: &mut Facts) {
    // `mx` first: the MX hosts are the hosts.
    for domain in &mut facts.domains {
        let mut hosts = Vec::new();
        for item in &domain.items {
            let Item::Host {
                name,
                mx,
                cidr,
                origin,
            } = item
            else {
                continue;
            };
            if !mx {
                hosts.push(HostRef {
                    name: name.clone(),
                    origin: origin.clone(),
                    cidr: *cidr,
                });
                continue;
            }
            match lookup.mx(name).await {
                Err(err) => {
                    facts.unread.push(format!("{name} MX: {err}"));
                    domain
                        .notes
                        .push(format!("{origin}: {name} MX could not be read ({err})"));
                }
                Ok(answer) => {
                    let mut exchanges: Vec<DomainName> = answer
                        .records()
                        .iter()
                        .map(|mx| DomainName::from(mx.exchange.as_str()))
                        .filter(|e| !e.is_empty())
                        .collect();
                    exchanges.sort();
                    exchanges.dedup();
                    if exchanges.is_empty() {
                        domain.notes.push(format!(
                            "{origin}: {name} has no MX record, so the term authorises no address"
                        ));
                    }
                    for exchange in exchanges {
                        hosts.push(HostRef {
                            name: exchange.clone(),
                            origin: origin.via(format!("MX of {name}: {exchange}")),
                            cidr: *cidr,
                        });
                    }
                }
            }
        }
        domain.hosts = hosts;
    }
    let names: BTreeSet<DomainName> = facts
        .domains
        .iter()
        .flat_map(|d| d.hosts.iter().map(|h| h.name.clone()))
        .collect();
    let answers = join_all(
        names
            .iter()
            .map(|name| async move { (lookup.a(name).await, lookup.aaaa(name).await) }),
    )
    .await;
    for (name, (a, aaaa)) in names.into_iter().zip(answers) {
        let mut host = HostFacts::default();
        let mut voids = Vec::new();
        for (kind, result) in [
            ("A", a.map(|a| a.map(|&ip| IpAddr::V4(ip)))),
            ("AAAA", aaaa.map(|a| a.map(|&ip| IpAddr::V6(ip)))),
        ] {
            match result {
                Err(err) => facts.unread.push(format!("{name} {kind}: {err}")),
                Ok(Answer::NxDomain) => voids.push(format!("{kind}: NXDOMAIN")),
                Ok(Answer::NoData) => voids.push(format!("{kind}: no data")),
                Ok(Answer::Records(ips)) => {
                    for ip in ips.iter() {
                        match ip {
                            IpAddr::V4(v4) => host.v4.push(*v4),
                            IpAddr::V6(v6) => host.v6.push(*v6),
                        }
                    }
                }
            }
        }
        host.v4.sort();
        host.v4.dedup();
        host.v6.sort();
        host.v6.dedup();
        if host.v4.is_empty() && host.v6.is_empty() {
            host.empty = Some(voids.join(", "));
        }
        facts.hosts.insert(name, host);
    }
}

/// The PTR of every address an `ip4`/`ip6` term lists (networks up to
/// an IPv4 /24 or IPv6 /120 address by address) that no `a`/`mx` host
/// holds, and whether it resolves back.
async fn read_ptrs<L: Lookup>(lookup: &L, facts: &mut Facts) {
    let held: BTreeSet<IpAddr> = facts
        .hosts
        .values()
        .flat_map(HostFacts::addresses)
        .collect();
    let mut wanted: BTreeSet<IpAddr> = BTreeSet::new();
    for item in facts.domains.iter().flat_map(|d| &d.items) {
        if let Item::Net { net, .. } = item
            && let Some(addresses) = spf::addresses(*net)
        {
            wanted.extend(addresses.into_iter().filter(|ip| !held.contains(ip)));
        }
    }
    let wanted: Vec<IpAddr> = wanted.into_iter().collect();
    let answers = join_all(wanted.iter().map(|&ip| ptr_of(lookup, ip))).await;
    for (ip, (ptr, unread)) in wanted.into_iter().zip(answers) {
        facts.unread.extend(unread);
        facts.ptrs.insert(ip, ptr);
    }
}

/// The PTR of `ip` and whether one of its names resolves back to it.
async fn ptr_of<L: Lookup>(lookup: &L, ip: IpAddr) -> (Ptr, Vec<String>) {
    if let Some(block) = crate::net::special_purpose_address(ip)
        && !block.is_documentation()
    {
        return (Ptr::NotPublic(block.purpose), Vec::new());
    }
    let owner = reverse_name(ip);
    let mut names: Vec<DomainName> = match lookup.ptr(ip).await {
        Err(err) => return (Ptr::Failed, vec![format!("{owner} PTR: {err}")]),
        Ok(Answer::NxDomain) => return (Ptr::Missing("NXDOMAIN"), Vec::new()),
        Ok(Answer::NoData) => return (Ptr::Missing("no data"), Vec::new()),
        Ok(Answer::Records(names)) => names.iter().map(|n| DomainName::from(n.as_str())).collect(),
    };
    names.sort();
    names.dedup();
    let mut unread = Vec::new();
    for name in &names {
        let back: LookupResult<IpAddr> = match ip {
            IpAddr::V4(_) => lookup
                .a(name)
                .await
                .map(|a| a.filter_map(|v4| Some(IpAddr::V4(*v4)))),
            IpAddr::V6(_) => lookup
                .aaaa(name)
                .await
                .map(|a| a.filter_map(|v6| Some(IpAddr::V6(*v6)))),
        };
        match back {
            Ok(answer) if answer.records().contains(&ip) => {
                return (Ptr::Confirmed(name.clone()), unread);
            }
            Ok(_) => {}
            Err(err) => unread.push(format!("{name} (PTR of {ip}): {err}")),
        }
    }
    match unread.is_empty() {
        true => (Ptr::Unconfirmed(names), unread),
        false => (Ptr::Failed, unread),
    }
}

/// The zones of the servers-to-be: each address's reverse zone, each
/// host name's forward zone, and whether each host name has an SPF record.
async fn read_placement<L: Lookup>(lookup: &L, facts: &mut Facts) {
    let mut addresses: BTreeSet<IpAddr> = facts
        .hosts
        .values()
        .flat_map(HostFacts::addresses)
        .collect();
    let mut hostnames: BTreeSet<DomainName> = facts.hosts.keys().cloned().collect();
    for (ip, ptr) in &facts.ptrs {
        if let Ptr::Confirmed(name) = ptr {
            addresses.insert(*ip);
            hostnames.insert(name.clone());
        }
    }
    let reverse = join_all(addresses.iter().map(|&ip| reverse_zone(lookup, ip))).await;
    for (ip, (zone, unread)) in addresses.into_iter().zip(reverse) {
        facts.unread.extend(unread);
        facts.reverse.insert(ip, zone);
    }
    let unknown: Vec<&DomainName> = hostnames
        .iter()
        .filter(|h| !facts.zones.contains_key(*h))
        .collect();
    let zones = join_all(unknown.iter().map(|h| zone_of(lookup, h))).await;
    for (name, (zone, unread)) in unknown.into_iter().zip(zones) {
        facts.unread.extend(unread);
        facts.zones.insert(name.clone(), zone);
    }
    let spf = join_all(hostnames.iter().map(|h| spf_records(lookup, h))).await;
    for (name, answer) in hostnames.into_iter().zip(spf) {
        let has = match answer {
            Ok(answer) => Some(!answer.records().is_empty()),
            Err(err) => {
                facts.unread.push(format!("{name} TXT: {err}"));
                None
            }
        };
        facts.host_spf.insert(name, has);
    }
}

/// The reverse zone of `ip`: an RFC 2317 / RFC 4183 classless zone when
/// the standard PTR name is a CNAME into one, else the zone whose SOA
/// holds the PTR name, else the /24 or /48.
async fn reverse_zone<L: Lookup>(lookup: &L, ip: IpAddr) -> (Reverse, Vec<String>) {
    let owner = reverse_name(ip);
    let fallback = |how: String| Reverse {
        net: crate::reverse::default_zone(ip),
        how,
        labels: None,
    };
    if let Some(block) = crate::net::special_purpose_address(ip)
        && !block.is_documentation()
    {
        return (
            fallback(format!(
                "{} address: its reverse zone is not public; the default",
                block.purpose
            )),
            Vec::new(),
        );
    }
    let mut unread = Vec::new();
    if let IpAddr::V4(v4) = ip {
        match lookup.cname(&owner).await {
            Ok(answer) => {
                if let Some(target) = answer.records().first()
                    && let Some((net, labels)) = classless_zone(v4, target)
                {
                    return (
                        Reverse {
                            net: IpNet::V4(net),
                            how: format!("CNAME {owner} → {target} (RFC 2317)"),
                            labels: Some(labels),
                        },
                        unread,
                    );
                }
            }
            Err(err) => unread.push(format!("{owner} CNAME: {err}")),
        }
    }
    let (zone, more) = zone_of(lookup, &owner).await;
    unread.extend(more);
    let found = zone.as_deref().and_then(|zone| {
        reverse_zone_net(ip, zone).map(|net| Reverse {
            net,
            how: format!("SOA {zone}"),
            labels: None,
        })
    });
    let zone = found.unwrap_or_else(|| {
        fallback(match zone {
            Some(zone) => {
                format!("the SOA is at {zone}, not a zone the inventory can name; the default")
            }
            None => "no SOA found above the PTR name; the default".to_owned(),
        })
    });
    (zone, unread)
}

/// The classless zone a CNAME target such as `70.64-26.100.51.198.in-addr.arpa`
/// (RFC 4183) or `70.64/26.…` (RFC 2317) names, if it holds `ip`.
fn classless_zone(ip: Ipv4Addr, target: &str) -> Option<(ipnet::Ipv4Net, ClasslessLabels)> {
    let target = DomainName::from(target);
    let labels: Vec<&str> = target.split('.').collect();
    let [_, block, c, b, a, "in-addr", "arpa"] = labels.as_slice() else {
        return None;
    };
    let (first, len, style) = if let Some((first, len)) = block.split_once('-') {
        (first, len, ClasslessLabels::Rfc4183)
    } else {
        let (first, len) = block.split_once('/')?;
        (first, len, ClasslessLabels::Rfc2317)
    };
    let octets = [a, b, c, &first].map(|o| o.parse::<u8>().ok());
    let [Some(a), Some(b), Some(c), Some(d)] = octets else {
        return None;
    };
    let len: u8 = len.parse().ok().filter(|l| (25..=32).contains(l))?;
    let net = ipnet::Ipv4Net::new(Ipv4Addr::new(a, b, c, d), len).ok()?;
    (net.trunc() == net && net.contains(&ip)).then_some((net, style))
}

/// The network of the reverse zone `zone` when it holds `ip` and is one
/// the inventory can declare (IPv4 /8, /16, /24; IPv6 on a nibble).
fn reverse_zone_net(ip: IpAddr, zone: &str) -> Option<IpNet> {
    let net = match ip {
        IpAddr::V4(v4) => {
            let labels: Vec<&str> = zone.strip_suffix(".in-addr.arpa")?.split('.').collect();
            if labels.is_empty() || labels.len() > 3 {
                return None;
            }
            IpNet::new(IpAddr::V4(v4), 8 * labels.len() as u8)
                .ok()?
                .trunc()
        }
        IpAddr::V6(v6) => {
            let nibbles = zone.strip_suffix(".ip6.arpa")?.split('.').count();
            if nibbles == 0 || nibbles > 32 {
                return None;
            }
            IpNet::new(IpAddr::V6(v6), 4 * nibbles as u8).ok()?.trunc()
        }
    };
    // The zone must be the one holding `ip`'s own name.
    (names::is_in_zone(&reverse_name(ip), zone)
        && crate::records::reverse::zone_name(net, ClasslessLabels::Rfc4183) == zone)
        .then_some(net)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::dns::memory::MemoryZone;
    use crate::dns::zonefile;
    use crate::inventory::Inventory;

    /// Reads, assembles and writes a draft of `domains` from `zone`, and
    /// loads it back.
    fn draft(zone: &str, domains: &[&str]) -> (String, Inventory) {
        let mut memory = MemoryZone::new();
        for entry in zonefile::parse(Path::new("t.zone"), zone).unwrap() {
            memory.insert(&entry.owner, entry.data);
        }
        let request = Request {
            domains: domains.iter().map(|d| DomainName::from(*d)).collect(),
            selectors: Vec::new(),
        };
        let facts = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(read(&memory, &request));
        let text = yaml::render(&assemble(&facts), &request.domains);
        let loaded = Inventory::from_bytes(Path::new("draft.yaml"), text.as_bytes())
            .unwrap_or_else(|err| panic!("{err}\n{text}"));
        (text, loaded.inventory)
    }

    #[test]
    fn what_the_inventory_cannot_hold_is_said_and_the_rest_loads() {
        let zone = "\
$ORIGIN example.com.
@ 300 IN SOA ns.invalid. h.invalid. 1 2 3 4 5
@ 300 IN TXT \"v=spf1 mx/24 ip4:198.51.100.9/30 include:example.com ?all\"
@ 300 IN MX 10 mx.example.com.
mx 300 IN A 203.0.113.77
_dmarc 300 IN TXT \"v=DMARC1; rua=mailto:a@example.com!10m\"
s1._domainkey 300 IN TXT \"v=DKIM1; p=\"
mail._domainkey 300 IN TXT \"v=DKIM1; p=bm90IGEga2V5\"
$ORIGIN example.org.
@ 300 IN SOA ns.invalid. h.invalid. 1 2 3 4 5
@ 300 IN TXT \"v=spf1 redirect=_spf.google.com\"
$ORIGIN google.com.
_spf 300 IN TXT \"v=spf1 ip4:192.0.2.0/24 ~all\"
$ORIGIN provider.example.
relay 300 IN A 198.51.100.9
$ORIGIN 100.51.198.in-addr.arpa.
9 300 IN PTR relay.provider.example.
$ORIGIN example.net.
@ 300 IN TXT \"v=spf1 +all\"
@ 300 IN TXT \"v=spf1 -all\"
";
        let (text, inventory) = draft(zone, &["example.com", "example.org", "example.net"]);
        for needle in [
            "- 203.0.113.0/24  # example.com TXT `mx/24` (mx.example.com has 203.0.113.77)",
            "- 198.51.100.8/30  # example.com TXT `ip4:198.51.100.9/30`; 0 of its 4 addresses belong to servers listed; 1 have PTR names outside the imported zones (such as relay.provider.example), not taken as servers; host bits cleared",
            "example.com TXT `include:example.com`: a loop",
            "example.com: example.com TXT `?all`: neutral is not an `all` the inventory takes",
            "all: softfail  # example.com TXT `?all`, which the inventory cannot hold",
            "no `p=` (RFC 9989 reads it as none): written as policy none",
            "the size limit after `!` is not kept",
            "DKIM selector `s1` is revoked",
            "- selector: 'mail'  # mail._domainkey.example.com TXT: not a usable key",
            // A third party's redirect stays theirs.
            "- _spf.google.com  # example.org TXT `redirect=_spf.google.com`: Google Workspace's record, not expanded",
            "all: softfail  # _spf.google.com TXT `~all`",
            "example.net: left out of `domains`: example.net publishes 2 SPF records",
        ] {
            assert!(text.contains(needle), "no `{needle}` in\n{text}");
        }
        assert_eq!(inventory.domains.len(), 2);
        assert!(inventory.servers.is_empty());
    }

    #[test]
    fn classless_cnames_name_their_zone() {
        let ip = Ipv4Addr::new(198, 51, 100, 70);
        assert_eq!(
            classless_zone(ip, "70.64-26.100.51.198.in-addr.arpa"),
            Some((
                "198.51.100.64/26".parse().unwrap(),
                ClasslessLabels::Rfc4183
            ))
        );
        assert_eq!(
            classless_zone(ip, "70.64/26.100.51.198.in-addr.arpa."),
            Some((
                "198.51.100.64/26".parse().unwrap(),
                ClasslessLabels::Rfc2317
            ))
        );
        assert_eq!(classless_zone(ip, "70.0-26.100.51.198.in-addr.arpa"), None);
        assert_eq!(
            classless_zone(ip, "70.64-127.100.51.198.in-addr.arpa"),
            None
        );
        assert_eq!(classless_zone(ip, "host.example.com"), None);
    }

    #[test]
    fn reverse_zones_from_their_soa() {
        let ip: IpAddr = "203.0.113.10".parse().unwrap();
        assert_eq!(
            reverse_zone_net(ip, "113.0.203.in-addr.arpa"),
            Some("203.0.113.0/24".parse().unwrap())
        );
        assert_eq!(
            reverse_zone_net(ip, "203.in-addr.arpa"),
            Some("203.0.0.0/8".parse().unwrap())
        );
        assert_eq!(reverse_zone_net(ip, "in-addr.arpa"), None);
        assert_eq!(reverse_zone_net(ip, "114.0.203.in-addr.arpa"), None);
        let ip: IpAddr = "2001:db8:77::10".parse().unwrap();
        assert_eq!(
            reverse_zone_net(ip, "7.7.0.0.8.b.d.0.1.0.0.2.ip6.arpa"),
            Some("2001:db8:77::/48".parse().unwrap())
        );
    }
}
