//! [`Facts`] → an inventory [`Draft`]: pure. Every value carries the
//! comment saying where it came from; what the inventory cannot hold is
//! listed, never dropped.
//!
//! A server is a host name with addresses: the host of an `a`/`mx` term
//! with all its addresses, or the PTR name of an `ip4`/`ip6` address
//! that resolves back to it (FCrDNS). A domain lists a server only when
//! its record authorises every address of it, so that `generate` gives
//! back exactly the addresses the record passes; what its servers do not
//! cover stays in its `ip4`/`ip6`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};

use super::spf::{self, Item, Origin};
use super::{DomainFacts, Facts, Ptr};
use crate::inventory::{BROADEST_IPV4_PREFIX, BROADEST_IPV6_PREFIX, ClasslessLabels};
use crate::names::{self, Charset, DomainName};
use crate::spf::{DualCidr, Qualifier};

/// A value and the comment that says where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry<T> {
    /// The value.
    pub value: T,
    /// Where it came from.
    pub comment: String,
}

fn entry<T>(value: T, comment: impl Into<String>) -> Entry<T> {
    Entry {
        value,
        comment: comment.into(),
    }
}

/// An inventory to be written, with its comments.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Draft {
    /// Forward zones.
    pub zones: Vec<Entry<DomainName>>,
    /// Reverse zones.
    pub reverse_zones: Vec<Entry<IpNet>>,
    /// `rfc2317` when the classless zones found use `/` labels.
    pub classless_labels: Option<Entry<ClasslessLabels>>,
    /// Servers.
    pub servers: Vec<DraftServer>,
    /// Domains.
    pub domains: Vec<DraftDomain>,
    /// What the inventory cannot hold: each a sentence.
    pub unrepresented: Vec<String>,
    /// What could not be read: each a sentence.
    pub unread: Vec<String>,
}

/// A server to be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftServer {
    /// Its host name.
    pub hostname: Entry<DomainName>,
    /// What is known of its HELO name.
    pub helo: String,
    /// IPv4 addresses.
    pub ipv4: Vec<Entry<Ipv4Addr>>,
    /// IPv6 addresses.
    pub ipv6: Vec<Entry<Ipv6Addr>>,
}

/// A domain to be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftDomain {
    /// Its name, with its record.
    pub name: Entry<DomainName>,
    /// Host names of its servers.
    pub servers: Vec<Entry<DomainName>>,
    /// Includes.
    pub include: Vec<Entry<DomainName>>,
    /// Extra networks; `true` when broader than the inventory takes
    /// without `broad: true`.
    pub ip4: Vec<Entry<(Ipv4Net, bool)>>,
    /// Extra IPv6 networks.
    pub ip6: Vec<Entry<(Ipv6Net, bool)>>,
    /// `fail` or `softfail`.
    pub all: Entry<&'static str>,
    /// Its DMARC policy.
    pub dmarc: Option<DraftDmarc>,
    /// DKIM selectors, each with the key found.
    pub dkim: Vec<Entry<String>>,
    /// Comments inside the domain: terms not represented, gaps.
    pub notes: Vec<String>,
}

/// A DMARC policy to be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftDmarc {
    /// The record.
    pub comment: String,
    /// `policy`, `subdomain_policy`, `adkim`, `aspf`, in that order, as
    /// (key, value, comment).
    pub tags: Vec<(&'static str, Entry<&'static str>)>,
    /// `rua` addresses.
    pub rua: Vec<String>,
    /// `ruf` addresses.
    pub ruf: Vec<String>,
}

/// A server as it is found: addresses with the origin of each.
#[derive(Default)]
struct Found {
    /// Why the name is a server.
    how: String,
    addresses: BTreeMap<IpAddr, String>,
}

/// True for `a`/`mx` prefix lengths that keep whole addresses.
fn whole(cidr: DualCidr) -> bool {
    cidr.ip4.is_none_or(|l| l == 32) && cidr.ip6.is_none_or(|l| l == 128)
}

/// Builds the draft.
pub fn assemble(facts: &Facts) -> Draft {
    let mut draft = Draft {
        unread: facts.unread.clone(),
        ..Draft::default()
    };
    let mut servers: BTreeMap<DomainName, Found> = BTreeMap::new();
    let mut owner: BTreeMap<IpAddr, DomainName> = BTreeMap::new();
    // Hosts of `a` and `mx` terms, with all their addresses.
    for domain in &facts.domains {
        for host in &domain.hosts {
            let Some(found) = facts.hosts.get(&host.name) else {
                continue;
            };
            if !whole(host.cidr) || DomainName::host(&host.name).is_err() {
                continue;
            }
            for ip in found.addresses() {
                if owner.contains_key(&ip) {
                    continue;
                }
                owner.insert(ip, host.name.clone());
                let server = servers.entry(host.name.clone()).or_default();
                if server.how.is_empty() {
                    server.how = format!("{}", host.origin);
                }
                server
                    .addresses
                    .insert(ip, format!("{} A/AAAA, from {}", host.name, host.origin));
            }
        }
    }
    // PTR names of listed addresses that resolve back; in a network, only
    // names in the imported zones (a provider's range is not the user's
    // servers).
    for domain in &facts.domains {
        for item in &domain.items {
            let Item::Net { net, origin, .. } = item else {
                continue;
            };
            let single = net.prefix_len() == net.max_prefix_len();
            for ip in spf::addresses(*net).unwrap_or_default() {
                let Some(Ptr::Confirmed(name)) = facts.ptrs.get(&ip) else {
                    continue;
                };
                let own = facts.own_zones.iter().any(|z| names::is_in_zone(name, z));
                if owner.contains_key(&ip) || DomainName::host(name).is_err() || !(single || own) {
                    continue;
                }
                owner.insert(ip, name.clone());
                let server = servers.entry(name.clone()).or_default();
                if server.how.is_empty() {
                    server.how = format!("PTR of {ip} (listed by {origin}), which resolves back");
                }
                server
                    .addresses
                    .insert(ip, format!("{origin}; PTR {name}, which resolves back"));
            }
        }
    }
    for (name, found) in &servers {
        let helo = match facts.host_spf.get(name) {
            Some(Some(true)) => "HELO: taken to be the host name, which publishes an SPF record of its own; if the MTA announces another name, add `helo: NAME`".to_owned(),
            Some(Some(false)) => format!(
                "HELO: not known from DNS ({name} publishes no SPF record of its own); if the MTA announces another name than {name}, add `helo: NAME`"
            ),
            _ => "HELO: not known (the host's TXT could not be read); add `helo: NAME` if the MTA announces another name".to_owned(),
        };
        let mut server = DraftServer {
            hostname: entry(name.clone(), found.how.clone()),
            helo,
            ipv4: Vec::new(),
            ipv6: Vec::new(),
        };
        for (ip, comment) in &found.addresses {
            match ip {
                IpAddr::V4(v4) => server.ipv4.push(entry(*v4, comment.clone())),
                IpAddr::V6(v6) => server.ipv6.push(entry(*v6, comment.clone())),
            }
        }
        draft.servers.push(server);
    }
    for domain in &facts.domains {
        domain_draft(domain, facts, &servers, &mut draft);
    }
    place(facts, &servers, &mut draft);
    draft
}

/// The addresses a domain's record passes: its networks (with those of
/// `a`/`mx` terms with prefix lengths) and its hosts' addresses.
struct Authorised {
    nets: Vec<(IpNet, Origin, bool)>,
    hosts: Vec<(IpAddr, Origin)>,
}

impl Authorised {
    fn new(domain: &DomainFacts, facts: &Facts, notes: &mut Vec<String>) -> Self {
        let mut nets = Vec::new();
        let mut hosts = Vec::new();
        for item in &domain.items {
            if let Item::Net {
                net,
                truncated,
                origin,
            } = item
            {
                nets.push((*net, origin.clone(), *truncated));
            }
        }
        for host in &domain.hosts {
            let Some(found) = facts.hosts.get(&host.name) else {
                continue;
            };
            if let Some(empty) = &found.empty {
                notes.push(format!(
                    "{}: {} has no address ({empty}), so the term authorises none",
                    host.origin, host.name
                ));
            }
            let valid = DomainName::host(&host.name).is_ok();
            for ip in found.addresses() {
                if whole(host.cidr) && valid {
                    hosts.push((ip, host.origin.clone()));
                } else {
                    let len = match ip {
                        IpAddr::V4(_) => host.cidr.ip4.unwrap_or(32),
                        IpAddr::V6(_) => host.cidr.ip6.unwrap_or(128),
                    };
                    let net = IpNet::new(ip, len)
                        .expect("parsed prefixes are valid")
                        .trunc();
                    let origin = host.origin.via(format!("{} has {ip}", host.name));
                    nets.push((net, origin, false));
                }
            }
        }
        Authorised { nets, hosts }
    }

    fn passes(&self, ip: IpAddr) -> Option<&Origin> {
        self.hosts
            .iter()
            .find(|(held, _)| *held == ip)
            .map(|(_, origin)| origin)
            .or_else(|| {
                self.nets
                    .iter()
                    .find(|(net, _, _)| net.contains(&ip))
                    .map(|(_, origin, _)| origin)
            })
    }
}

fn domain_draft(
    domain: &DomainFacts,
    facts: &Facts,
    servers: &BTreeMap<DomainName, Found>,
    draft: &mut Draft,
) {
    let name = &domain.name;
    let mut notes: Vec<String> = domain.notes.clone();
    let Some(record) = &domain.record else {
        draft.unrepresented.push(format!(
            "{name}: left out of `domains`: {}",
            notes.join("; ")
        ));
        return;
    };
    let authorised = Authorised::new(domain, facts, &mut notes);
    // Servers whose every address the record passes, in the order first met.
    let mut listed: Vec<Entry<DomainName>> = Vec::new();
    let mut covered: Vec<IpAddr> = Vec::new();
    for (hostname, found) in servers {
        let origins: Option<Vec<&Origin>> = found
            .addresses
            .keys()
            .map(|&ip| authorised.passes(ip))
            .collect();
        match origins {
            Some(origins) => {
                covered.extend(found.addresses.keys());
                let mut terms: Vec<String> = origins.iter().map(|o| o.to_string()).collect();
                terms.dedup();
                listed.push(entry(hostname.clone(), terms.join(", ")));
            }
            None if found
                .addresses
                .keys()
                .any(|&ip| authorised.passes(ip).is_some()) =>
            {
                notes.push(format!(
                    "server {hostname} is not listed: the record passes only some of its addresses, which stay under ip4/ip6"
                ));
            }
            None => {}
        }
    }
    let mut ip4 = Vec::new();
    let mut ip6 = Vec::new();
    for (net, origin, truncated) in &authorised.nets {
        let all_servers = spf::addresses(*net)
            .is_some_and(|addresses| addresses.iter().all(|ip| covered.contains(ip)));
        if all_servers {
            continue;
        }
        let mut comment = origin.to_string();
        if let Some(why) = not_a_server(*net, facts, &covered) {
            comment.push_str("; ");
            comment.push_str(&why);
        }
        if *truncated {
            comment.push_str("; host bits cleared (the record sets some after the prefix)");
        }
        if net.prefix_len() == 0 {
            draft.unrepresented.push(format!(
                "{name}: {origin}: a /0 passes every address, like `+all`; the inventory refuses it"
            ));
            continue;
        }
        match net {
            IpNet::V4(v4) => {
                let broad = v4.prefix_len() < BROADEST_IPV4_PREFIX;
                if !ip4
                    .iter()
                    .any(|e: &Entry<(Ipv4Net, bool)>| e.value.0 == *v4)
                {
                    ip4.push(entry((*v4, broad), comment));
                }
            }
            IpNet::V6(v6) => {
                let broad = v6.prefix_len() < BROADEST_IPV6_PREFIX;
                if !ip6
                    .iter()
                    .any(|e: &Entry<(Ipv6Net, bool)>| e.value.0 == *v6)
                {
                    ip6.push(entry((*v6, broad), comment));
                }
            }
        }
    }
    let mut include: Vec<Entry<DomainName>> = Vec::new();
    let mut all = None;
    for item in &domain.items {
        match item {
            Item::Include { target, origin } => {
                match DomainName::new(target, Charset::LdhUnderscore) {
                    Ok(target) if include.iter().any(|e| e.value == target) => {}
                    Ok(target) => {
                        let whose = match spf::third_party(&target) {
                            Some(provider) => format!("{provider}'s record, not expanded"),
                            None => "another domain's record, not expanded".to_owned(),
                        };
                        include.push(entry(target, format!("{origin}: {whose}")));
                    }
                    Err(err) => draft.unrepresented.push(format!(
                        "{name}: {origin}: not a domain name the inventory takes ({err})"
                    )),
                }
            }
            Item::All { qualifier, origin } if all.is_none() => all = Some((*qualifier, origin)),
            Item::Skipped { why, origin } => {
                let line = format!("not represented: {origin}: {why}");
                notes.push(line.clone());
                draft.unrepresented.push(format!("{name}: {line}"));
            }
            _ => {}
        }
    }
    let all = match all {
        Some((Qualifier::Fail, origin)) => entry("fail", origin.to_string()),
        Some((Qualifier::SoftFail, origin)) => entry("softfail", origin.to_string()),
        Some((Qualifier::Neutral, origin)) => {
            draft.unrepresented.push(format!(
                "{name}: {origin}: neutral is not an `all` the inventory takes (fail or softfail): written as softfail, the nearest"
            ));
            entry(
                "softfail",
                format!("{origin}, which the inventory cannot hold: see the top"),
            )
        }
        Some((Qualifier::Pass, origin)) => {
            draft.unrepresented.push(format!(
                "{name}: {origin}: `+all` lets every host send as {name}; the inventory refuses it: written as fail"
            ));
            entry(
                "fail",
                format!("{origin}, which the inventory refuses: see the top"),
            )
        }
        None => {
            draft.unrepresented.push(format!(
                "{name}: the record has no `all` (receivers give neutral for other hosts): written as softfail, the nearest the inventory takes"
            ));
            entry("softfail", "no `all` in the record: see the top")
        }
    };
    if listed.is_empty() && include.is_empty() && ip4.is_empty() && ip6.is_empty() {
        draft.unrepresented.push(format!(
            "{name}: left out of `domains`: its record authorises no sender the inventory can hold"
        ));
        return;
    }
    let dmarc = domain
        .dmarc
        .as_ref()
        .and_then(|(text, parsed)| dmarc_draft(name, text, parsed, &mut notes, draft));
    let mut dkim = Vec::new();
    for found in &domain.dkim {
        let owner = format!("{}._domainkey.{name} TXT", found.selector);
        match &found.key {
            Ok(key) if key.key.is_none() => notes.push(format!(
                "DKIM selector `{}` is revoked ({owner} has an empty `p=`): not listed",
                found.selector
            )),
            Ok(key) => dkim.push(entry(
                found.selector.clone(),
                format!(
                    "{owner}: {} key, {} bits{}",
                    key.key_type.label(),
                    key.bits().unwrap_or_default(),
                    if key.testing() { ", testing (t=y)" } else { "" }
                ),
            )),
            Err(err) => dkim.push(entry(
                found.selector.clone(),
                format!("{owner}: not a usable key ({err})"),
            )),
        }
    }
    draft.domains.push(DraftDomain {
        name: entry(name.clone(), format!("{name} TXT \"{record}\"")),
        servers: listed,
        include,
        ip4,
        ip6,
        all,
        dmarc,
        dkim,
        notes,
    });
}

/// Why the addresses of `net` are not (all) servers', for its comment.
fn not_a_server(net: IpNet, facts: &Facts, covered: &[IpAddr]) -> Option<String> {
    let Some(addresses) = spf::addresses(net) else {
        return Some("too large to look for servers address by address".to_owned());
    };
    if let [ip] = addresses.as_slice() {
        return match facts.ptrs.get(ip)? {
            Ptr::Missing(how) => Some(format!("no PTR ({how}), so not a server")),
            Ptr::NotPublic(purpose) => Some(format!(
                "a {purpose} address: its PTR is not public and was not looked up"
            )),
            Ptr::Unconfirmed(names) => Some(format!(
                "its PTR {} does not resolve back, so not a server",
                names.join(", ")
            )),
            Ptr::Failed => Some("its PTR could not be read".to_owned()),
            Ptr::Confirmed(name) => Some(format!(
                "server {name} is not listed: the record passes only some of its addresses"
            )),
        };
    }
    let servers = addresses.iter().filter(|ip| covered.contains(ip)).count();
    let foreign: Vec<&str> = addresses
        .iter()
        .filter(|ip| !covered.contains(ip))
        .filter_map(|ip| match facts.ptrs.get(ip) {
            Some(Ptr::Confirmed(name)) => Some(name.as_str()),
            _ => None,
        })
        .filter(|name| !facts.own_zones.iter().any(|z| names::is_in_zone(name, z)))
        .collect();
    let mut why = format!(
        "{servers} of its {} addresses belong to servers listed",
        addresses.len()
    );
    if let Some(first) = foreign.first() {
        let _ = write!(
            why,
            "; {} have PTR names outside the imported zones (such as {first}), not taken as servers",
            foreign.len()
        );
    }
    Some(why)
}

fn dmarc_draft(
    name: &str,
    text: &str,
    parsed: &Result<crate::mailauth::dmarc::DmarcRecord, crate::mailauth::dmarc::DmarcError>,
    notes: &mut Vec<String>,
    draft: &mut Draft,
) -> Option<DraftDmarc> {
    let owner = format!("_dmarc.{name} TXT");
    let record = match parsed {
        Ok(record) => record,
        Err(err) => {
            notes.push(format!(
                "{owner} \"{text}\" does not parse ({err}): no `dmarc`"
            ));
            draft
                .unrepresented
                .push(format!("{name}: {owner} does not parse ({err})"));
            return None;
        }
    };
    let word = |value: &str| -> &'static str {
        match value {
            "quarantine" => "quarantine",
            "reject" => "reject",
            _ => "none",
        }
    };
    let mut tags = Vec::new();
    match &record.policy {
        Some(policy) => tags.push(("policy", entry(word(policy), format!("p={policy}")))),
        None => {
            draft.unrepresented.push(format!(
                "{name}: {owner} has no `p=` (RFC 9989 reads it as none): written as policy none"
            ));
            tags.push(("policy", entry("none", "no p=: see the top")));
        }
    }
    if let Some(sp) = &record.subdomain_policy {
        tags.push(("subdomain_policy", entry(word(sp), format!("sp={sp}"))));
    }
    for (tag, key) in [("adkim", "adkim"), ("aspf", "aspf")] {
        if let Some(value) = record.tags.get(tag) {
            let mode = match value.to_ascii_lowercase().as_str() {
                "s" => "strict",
                _ => "relaxed",
            };
            tags.push((key, entry(mode, format!("{tag}={value}"))));
        }
    }
    for (tag, value) in &record.tags {
        let known = ["v", "p", "sp", "adkim", "aspf", "rua", "ruf"].contains(&tag.as_str());
        if !known {
            draft.unrepresented.push(format!(
                "{name}: {owner} `{tag}={value}`: the inventory's `dmarc` has no such key"
            ));
        }
        if (tag == "rua" || tag == "ruf") && value.contains('!') {
            draft.unrepresented.push(format!(
                "{name}: {owner} `{tag}={value}`: the size limit after `!` is not kept"
            ));
        }
    }
    Some(DraftDmarc {
        comment: format!("{owner} \"{text}\""),
        tags,
        rua: record.rua.clone(),
        ruf: record.ruf.clone(),
    })
}

/// The forward zones of the domains and host names, and the reverse zones
/// of the server addresses.
fn place(facts: &Facts, servers: &BTreeMap<DomainName, Found>, draft: &mut Draft) {
    let mut zones: Vec<(DomainName, Vec<DomainName>, String)> = Vec::new();
    let names = draft
        .domains
        .iter()
        .map(|d| d.name.value.clone())
        .chain(servers.keys().cloned());
    for name in names {
        let (zone, how) = match facts.zones.get(&name).cloned().flatten() {
            Some(zone) => (zone.clone(), format!("SOA {zone}")),
            None if draft.domains.iter().any(|d| d.name.value == name) => {
                (name.clone(), "no SOA found: the domain itself".to_owned())
            }
            None => {
                let known = zones
                    .iter()
                    .filter(|(zone, _, _)| names::is_in_zone(&name, zone))
                    .max_by_key(|(zone, _, _)| zone.len());
                match known {
                    Some((zone, _, _)) => (zone.clone(), String::new()),
                    None => {
                        let parent = name.split_once('.').map_or(name.as_str(), |(_, p)| p);
                        (
                            DomainName::from(parent),
                            format!("no SOA found: the parent of {name}"),
                        )
                    }
                }
            }
        };
        match zones.iter_mut().find(|(z, _, _)| *z == zone) {
            Some((_, holds, _)) => holds.push(name),
            None => zones.push((zone, vec![name], how)),
        }
    }
    draft.zones = zones
        .into_iter()
        .map(|(zone, holds, how)| {
            let how = match how.is_empty() {
                true => String::new(),
                false => format!("{how}; "),
            };
            entry(zone, format!("{how}holds {}", holds.join(", ")))
        })
        .collect();
    let mut reverse: Vec<(IpNet, Vec<IpAddr>, String)> = Vec::new();
    let mut labels: Vec<ClasslessLabels> = Vec::new();
    for found in servers.values() {
        for &ip in found.addresses.keys() {
            let (net, how) = match facts.reverse.get(&ip) {
                Some(zone) => {
                    labels.extend(zone.labels);
                    (zone.net, zone.how.clone())
                }
                None => (
                    crate::reverse::default_zone(ip),
                    "not looked up; the default".to_owned(),
                ),
            };
            match reverse.iter_mut().find(|(n, _, _)| *n == net) {
                Some((_, holds, _)) => holds.push(ip),
                None => reverse.push((net, vec![ip], how)),
            }
        }
    }
    reverse.sort_by_key(|(net, _, _)| (net.addr().is_ipv6(), net.addr(), net.prefix_len()));
    draft.reverse_zones = reverse
        .into_iter()
        .map(|(net, holds, how)| {
            let holds: Vec<String> = holds.iter().map(ToString::to_string).collect();
            let shown = match holds.len() {
                0..=4 => holds.join(", "),
                n => format!("{} and {} more", holds[..3].join(", "), n - 3),
            };
            entry(net, format!("{how}; the reverse zone of {shown}"))
        })
        .collect();
    labels.dedup();
    match labels.as_slice() {
        [ClasslessLabels::Rfc2317] => {
            draft.classless_labels = Some(entry(
                ClasslessLabels::Rfc2317,
                "the classless zone's name has a `/` (RFC 2317)",
            ));
        }
        [_, _, ..] => draft.unrepresented.push(
            "the classless reverse zones use both `/` (RFC 2317) and `-` (RFC 4183) in their names; the inventory names them all one way: rfc4183 written".to_owned(),
        ),
        _ => {}
    }
}
