//! The record plan: every record a sending setup needs, placed in its zone,
//! in a stable order, with the [`Diagnostic`]s planning found. Renderers
//! only format a plan.

mod diagnostic;
pub mod reverse;
pub mod spf_text;

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::ops::Range;

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use ipnet::{IpNet, Ipv4Net};

pub use diagnostic::{Diagnostic, HeloProblem, LookupCost, SpfProblem};
pub use spf_text::helo_record;

pub use crate::dns::RecordData;
use crate::dns::memory::MemoryZone;
use crate::inventory::{Dmarc, Inventory, Server};
use crate::names::{self, DomainName};
use crate::reverse::{classless_parent, default_zone, is_classless};

/// All records of an inventory, zone by zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The inventory's default TTL, written as `$TTL`.
    pub default_ttl: u32,
    /// Zones in output order: forward zones as declared, then reverse zones
    /// by address, then the RFC 2317 CNAMEs for the parent /24 of each
    /// classless zone, which the ISP publishes: the records the inventory's
    /// owner publishes come first.
    pub zones: Vec<ZonePlan>,
    /// What planning found: records left out (errors) and records that
    /// someone else must publish (warnings); those of servers first, then
    /// those of domains, each in inventory order.
    pub diagnostics: Vec<Diagnostic>,
}

impl Plan {
    /// The planned records as an in-memory zone, to evaluate them with the
    /// SPF engine before they are published.
    pub fn to_memory_zone(&self) -> MemoryZone {
        let mut zone = MemoryZone::new();
        for record in self.zones.iter().flat_map(|z| &z.records) {
            zone.insert(&record.owner, record.data.clone());
        }
        zone
    }
}

/// The records that belong in one zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZonePlan {
    /// The zone's name.
    pub origin: DomainName,
    /// What the zone is.
    pub role: ZoneRole,
    /// Records sorted by owner, then type, then data.
    pub records: Vec<Record>,
}

/// What kind of zone a [`ZonePlan`] describes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ZoneRole {
    /// A forward zone from `zones`.
    Forward,
    /// A reverse zone holding PTR records.
    Reverse,
    /// The /24 parent of a classless zone: the CNAMEs its operator (usually
    /// the ISP) publishes to delegate each address (RFC 2317 §4).
    ClasslessParent {
        /// The classless child zone the CNAMEs point into.
        child: DomainName,
    },
}

/// One resource record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Owner name.
    pub owner: DomainName,
    /// Time to live in seconds.
    pub ttl: u32,
    /// Type and data.
    pub data: RecordData,
}

/// Rank of a type in the output order of a zone.
fn type_rank(data: &RecordData) -> u8 {
    match data {
        RecordData::A(_) => 0,
        RecordData::Aaaa(_) => 1,
        RecordData::Cname(_) => 2,
        RecordData::Mx(_) => 3,
        RecordData::Ptr(_) => 4,
        RecordData::Txt(_) => 5,
        RecordData::Other { .. } => 6,
    }
}

/// Plans every record of `inventory`, with a [`Diagnostic`] for each
/// thing the inventory, valid on its own, asks for that DNS cannot carry
/// (an unpublishable HELO name, an SPF record beyond the lookup limit) or
/// that another operator must publish. The plan holds every record but
/// those an error diagnostic names.
pub fn plan(inventory: &Inventory) -> Plan {
    // The domains' SPF records first, spread over the cores: a server's
    // HELO record gives way to a domain's record at the same name.
    let spf = crate::parallel::map_balanced(
        inventory.domains.iter().collect(),
        |domain| 1 + domain.servers.len() + domain.ip4.len() + domain.ip6.len(),
        |domain| spf_text::build(inventory, domain),
    );
    let mut builder = Builder::new(inventory);
    let mut domain_diagnostics = Vec::new();
    for ((i, domain), spf) in inventory.domains.iter().enumerate().zip(spf) {
        match spf {
            Ok(records) => {
                let ttl = domain.ttl.unwrap_or(inventory.ttl);
                for spf in records {
                    builder.replace_txt(spf.owner, ttl, &spf.text);
                }
            }
            Err(problem) => domain_diagnostics.push(Diagnostic::Spf { domain: i, problem }),
        }
        if let Some(dmarc) = &domain.dmarc {
            builder.dmarc(i, domain, dmarc, &mut domain_diagnostics);
        }
        // DKIM key records (RFC 6376 §3.6.2.1): those the inventory holds
        // a key for, and the revocations of retired ones.
        let ttl = domain.ttl.unwrap_or(inventory.ttl);
        for selector in &domain.dkim {
            if let Some(text) = selector.record_text() {
                builder.replace_txt(selector.owner(&domain.name), ttl, &text);
            }
        }
    }
    let zones = builder.server_zones();
    let sizes = builder.forward_sizes(&zones);
    let parts = crate::parallel::map_balanced(
        crate::parallel::split(inventory.servers.len()),
        |range| range.len(),
        |range| builder.servers(range, &zones, &sizes),
    );
    let mut diagnostics = Vec::new();
    for part in parts {
        builder.absorb(part, &mut diagnostics);
    }
    diagnostics.extend(domain_diagnostics);
    builder.finish(diagnostics)
}

struct Builder<'a> {
    inventory: &'a Inventory,
    /// Index in `inventory.zones` of each forward zone's name.
    zone_index: HashMap<&'a str, usize>,
    /// Forward records other than TXT, by index of their zone.
    forward: Vec<Vec<Record>>,
    /// The one TXT record of each owner of domain records: SPF (RFC 7208
    /// §3.2), DMARC and DKIM keys.
    txt: HashMap<DomainName, Record>,
    /// Reverse records by zone network, with the addresses of their PTRs
    /// when those came in ascending order.
    reverse: BTreeMap<ZoneKey, (Vec<Record>, Ascending)>,
    /// Classless reverse zones whose parent CNAMEs are planned.
    delegated: HashSet<Ipv4Net>,
    /// The TXT data of a HELO name's SPF record, the same for every server.
    helo_txt: RecordData,
    /// Each `helo:` value as a name, with the index of the first server
    /// announcing it and how many do.
    helo_values: HashMap<DomainName, (usize, usize)>,
}

/// The records of a run of servers, planned on a thread of its own and
/// then absorbed, in order, into the [`Builder`].
struct ServerRecords {
    /// A/AAAA and HELO TXT records, by index of their zone.
    forward: Vec<Vec<Record>>,
    /// PTR records by reverse zone, the zones in the order met, with
    /// their addresses when those came in ascending order.
    reverse: Vec<(ZoneKey, Vec<Record>, Ascending)>,
    /// Where each zone of `reverse` is.
    reverse_slots: HashMap<ZoneKey, usize>,
    /// The slot of the last PTR's zone, IPv4 and IPv6 apart: servers
    /// listed in address order keep to one zone for long runs.
    recent_slots: [usize; 2],
    /// Classless zones holding PTRs, each with the TTL of its first one.
    classless: Vec<(Ipv4Net, u32)>,
    /// Unpublishable HELO names, in server order.
    diagnostics: Vec<Diagnostic>,
}

impl ServerRecords {
    /// Where in `reverse` the PTR records of the reverse zone `key` are.
    fn reverse_slot(&mut self, key: ZoneKey) -> usize {
        let recent = &mut self.recent_slots[usize::from(key.v6)];
        match self.reverse.get(*recent) {
            Some((known, _, _)) if *known == key => *recent,
            _ => {
                let next = self.reverse.len();
                let slot = *self.reverse_slots.entry(key).or_insert(next);
                if slot == next {
                    self.reverse.push((key, Vec::new(), None));
                }
                *recent = slot;
                slot
            }
        }
    }
}

/// The first and last address of a reverse zone's PTR records (as numbers:
/// one zone holds one family) when every address came after the one
/// before: their owners then come in the order [`sort_records`] gives,
/// since reverse names compared label by label from the root, numbers by
/// value and hex digits before letters, order as their addresses do
/// (RFC 1035 §3.5, RFC 3596 §2.5, RFC 2317 §4).
type Ascending = Option<(u128, u128)>;

/// The order of `earlier` records followed by `later` ones.
fn ascending(earlier: Ascending, later: Ascending) -> Ascending {
    match (earlier, later) {
        (Some((first, last)), Some((next, end))) if last < next => Some((first, end)),
        _ => None,
    }
}

/// A reverse zone's sort key and identity: family first, then address, then
/// prefix length, so a /24 parent precedes its classless child.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct ZoneKey {
    v6: bool,
    network: IpAddr,
    prefix: u8,
    parent_of_classless: bool,
}

impl ZoneKey {
    fn net(self) -> IpNet {
        IpNet::new(self.network, self.prefix).expect("zone keys hold valid prefixes")
    }
}

impl<'a> Builder<'a> {
    fn new(inventory: &'a Inventory) -> Self {
        Builder {
            inventory,
            zone_index: inventory
                .zones
                .iter()
                .enumerate()
                .map(|(i, zone)| (zone.as_str(), i))
                .collect(),
            forward: vec![Vec::new(); inventory.zones.len()],
            txt: HashMap::new(),
            reverse: BTreeMap::new(),
            delegated: HashSet::new(),
            helo_txt: RecordData::Txt(
                spf_text::split_strings(helo_record().to_string().as_bytes()).into(),
            ),
            helo_values: helo_values(inventory),
        }
    }

    /// The index of the zone of each server's host name.
    fn server_zones(&self) -> Vec<usize> {
        self.inventory
            .servers
            .iter()
            .map(|server| zone_of(&self.zone_index, &server.hostname))
            .collect()
    }

    /// How many records each forward zone will hold: an A/AAAA record per
    /// address and a HELO TXT record for each server (`zones` gives their
    /// zones), and the TXT records of the domains. HELO names other than
    /// the host name are rare and not counted.
    fn forward_sizes(&self, zones: &[usize]) -> Vec<usize> {
        let mut sizes = vec![0; self.forward.len()];
        for (server, &zone) in self.inventory.servers.iter().zip(zones) {
            sizes[zone] += server.ipv4.len() + server.ipv6.len() + 1;
        }
        for owner in self.txt.keys() {
            sizes[zone_of(&self.zone_index, owner)] += 1;
        }
        sizes
    }

    /// Plans A/AAAA, HELO TXT and PTR records for the servers in `range`,
    /// whose host names are in the zones `zones` gives by server index.
    ///
    /// The first run sizes its forward zones for the whole plan (`sizes`):
    /// [`Builder::absorb`] then takes its records as they are and appends
    /// those of the later runs, never copying the first run's.
    fn servers(&self, range: Range<usize>, zones: &[usize], sizes: &[usize]) -> ServerRecords {
        let servers = &self.inventory.servers[range.clone()];
        let zones = &zones[range.clone()];
        let mut forward = vec![Vec::new(); self.inventory.zones.len()];
        let own_sizes;
        let sizes = match range.start {
            0 => sizes,
            _ => {
                let mut sizes = vec![0; forward.len()];
                for (server, &zone) in servers.iter().zip(zones) {
                    sizes[zone] += server.ipv4.len() + server.ipv6.len() + 1;
                }
                own_sizes = sizes;
                &own_sizes
            }
        };
        for (records, &size) in forward.iter_mut().zip(sizes) {
            records.reserve_exact(size);
        }
        let mut part = ServerRecords {
            forward,
            reverse: Vec::new(),
            reverse_slots: HashMap::new(),
            recent_slots: [usize::MAX; 2],
            classless: Vec::new(),
            diagnostics: Vec::new(),
        };
        // Each address's reverse zone next, to size the zones' PTR records
        // once: they would otherwise grow one record at a time.
        let mut ptr_zones = Vec::with_capacity(
            servers
                .iter()
                .map(|server| server.ipv4.len() + server.ipv6.len())
                .sum(),
        );
        for ip in servers.iter().flat_map(Server::addresses) {
            let zone = self.reverse_zone_of(ip);
            ptr_zones.push((zone, part.reverse_slot(zone_key(zone, false))));
        }
        let mut ptr_sizes = vec![0; part.reverse.len()];
        for &(_, slot) in &ptr_zones {
            ptr_sizes[slot] += 1;
        }
        for ((_, records, _), size) in part.reverse.iter_mut().zip(ptr_sizes) {
            records.reserve_exact(size);
        }
        let mut ptr_zones = ptr_zones.into_iter();
        for (index, &zone) in range.zip(zones) {
            self.server(index, zone, &mut ptr_zones, &mut part);
        }
        part
    }

    /// Adds the records of a run of servers, after those of earlier runs:
    /// a zone's first records are taken as they are, not copied.
    fn absorb(&mut self, part: ServerRecords, diagnostics: &mut Vec<Diagnostic>) {
        for (zone, mut records) in self.forward.iter_mut().zip(part.forward) {
            take_or_append(zone, &mut records);
        }
        for (key, mut records, order) in part.reverse {
            let (zone, zone_order) = self.reverse.entry(key).or_default();
            *zone_order = match zone.is_empty() {
                true => order,
                false => ascending(*zone_order, order),
            };
            take_or_append(zone, &mut records);
        }
        for (child, ttl) in part.classless {
            if self.delegated.insert(child) {
                self.add_classless_cnames(child, ttl);
            }
        }
        diagnostics.extend(part.diagnostics);
    }

    /// The records of server `index`, whose host name is in zone `zone`;
    /// `ptr_zones` gives the reverse zone of each of its addresses and
    /// where that zone is in `part`.
    fn server(
        &self,
        index: usize,
        zone: usize,
        ptr_zones: &mut impl Iterator<Item = (IpNet, usize)>,
        part: &mut ServerRecords,
    ) {
        let server = &self.inventory.servers[index];
        let ttl = server.ttl.unwrap_or(self.inventory.ttl);
        let mut helo_name = None;
        if let Some(helo) = &server.helo {
            match self.publishable_helo(index, helo) {
                Ok(helo) => helo_name = helo,
                Err(problem) => part.diagnostics.push(Diagnostic::UnpublishableHelo {
                    server: index,
                    problem,
                }),
            }
        }
        let helo_zone = helo_name
            .as_ref()
            .map(|name| zone_of(&self.zone_index, name));
        let names =
            std::iter::once((&server.hostname, zone)).chain(helo_name.iter().zip(helo_zone));
        for (name, zone) in names {
            let zone = &mut part.forward[zone];
            let addresses = server
                .ipv4
                .iter()
                .map(|&ip| RecordData::A(ip))
                .chain(server.ipv6.iter().map(|&ip| RecordData::Aaaa(ip)));
            zone.extend(addresses.map(|data| Record {
                owner: name.clone(),
                ttl,
                data,
            }));
            // RFC 7208 §2.3: an SPF record for the HELO identity, unless
            // the name is also a domain with its own record.
            if !self.txt.contains_key(name.as_str()) {
                zone.push(Record {
                    owner: name.clone(),
                    ttl,
                    data: self.helo_txt.clone(),
                });
            }
        }
        for (ip, (zone, slot)) in server.addresses().zip(ptr_zones) {
            self.add_ptr(ip, zone, slot, &server.hostname, ttl, part);
        }
    }

    /// A `helo:` name differing from the hostname is published too, but only
    /// when receivers could resolve it.
    fn publishable_helo(
        &self,
        index: usize,
        helo: &str,
    ) -> Result<Option<DomainName>, HeloProblem> {
        let name = DomainName::host(helo).map_err(|reason| HeloProblem::Invalid {
            helo: helo.to_owned(),
            reason,
        })?;
        let server = &self.inventory.servers[index];
        if name == server.hostname {
            return Ok(None);
        }
        let announced_by_another = match self.helo_values.get(name.as_str()) {
            Some(&(first, count)) => count > 1 || first != index,
            None => false,
        };
        if announced_by_another || self.inventory.server_index(&name).is_some() {
            return Err(HeloProblem::Taken { name });
        }
        if !self.inventory.zones.iter().any(|z| name.is_in(z)) {
            return Err(HeloProblem::OutsideZones { name });
        }
        Ok(Some(name))
    }

    /// `_dmarc.<domain>` (RFC 7489 §6.1) and, for report addresses in
    /// another domain, the authorisation record that domain must publish
    /// (RFC 7489 §7.1): planned when it is one of our zones, else a warning.
    fn dmarc(
        &mut self,
        index: usize,
        domain: &crate::inventory::Domain,
        dmarc: &Dmarc,
        diagnostics: &mut Vec<Diagnostic>,
    ) {
        let ttl = domain.ttl.unwrap_or(self.inventory.ttl);
        self.replace_txt(domain.name.prefixed("_dmarc"), ttl, &dmarc.record_text());
        for report_domain in dmarc.report_domains() {
            if names::is_in_zone(report_domain, &domain.name) || domain.name.is_in(report_domain) {
                continue;
            }
            let owner =
                DomainName::from_valid(format!("{}._report._dmarc.{report_domain}", domain.name));
            if self.inventory.zones.iter().any(|z| owner.is_in(z)) {
                self.replace_txt(owner, ttl, "v=DMARC1");
            } else {
                diagnostics.push(Diagnostic::ForeignReportAuthorization {
                    domain: index,
                    report_domain: report_domain.to_owned(),
                    owner,
                });
            }
        }
    }

    /// Sets the one TXT record of `owner` (RFC 7208 §3.2: one SPF record per
    /// name; RFC 6376 §3.6.2.2: one key per selector), split into strings
    /// of at most 255 octets at a space where there is one.
    fn replace_txt(&mut self, owner: DomainName, ttl: u32, text: &str) {
        let strings = spf_text::split_strings(text.as_bytes());
        let record = Record {
            owner: owner.clone(),
            ttl,
            data: RecordData::Txt(strings.into()),
        };
        self.txt.insert(owner, record);
    }

    fn reverse_zone_of(&self, ip: IpAddr) -> IpNet {
        self.inventory
            .reverse_zones
            .iter()
            .filter(|zone| zone.contains(&ip))
            .max_by_key(|zone| zone.prefix_len())
            .copied()
            .unwrap_or_else(|| default_zone(ip))
    }

    /// The PTR record of `ip` in reverse zone `zone`, at `slot` of `part`.
    fn add_ptr(
        &self,
        ip: IpAddr,
        zone: IpNet,
        slot: usize,
        hostname: &str,
        ttl: u32,
        part: &mut ServerRecords,
    ) {
        let labels = self.inventory.classless_labels;
        let owner = reverse::ptr_owner(ip, zone, labels);
        let (_, records, order) = &mut part.reverse[slot];
        let number = match ip {
            IpAddr::V4(v4) => u128::from(u32::from(v4)),
            IpAddr::V6(v6) => u128::from(v6),
        };
        match order {
            _ if records.is_empty() => *order = Some((number, number)),
            Some((_, last)) if *last < number => *last = number,
            _ => *order = None,
        }
        records.push(Record {
            owner,
            ttl,
            data: RecordData::Ptr(hostname.to_owned()),
        });
        if let (IpNet::V4(child), true) = (zone, is_classless(zone))
            && !part.classless.iter().any(|&(known, _)| known == child)
        {
            part.classless.push((child, ttl));
        }
    }

    /// RFC 2317 §4: the parent /24 publishes a CNAME for every address of
    /// the delegated block, so PTRs can be added later without its operator.
    fn add_classless_cnames(&mut self, child: Ipv4Net, ttl: u32) {
        let parent = classless_parent(child);
        let declared_parent = self.inventory.reverse_zones.contains(&IpNet::V4(parent));
        let key = zone_key(IpNet::V4(parent), !declared_parent);
        let (records, order) = self.reverse.entry(key).or_default();
        *order = None;
        let labels = self.inventory.classless_labels;
        for ip in ipnet::Ipv4AddrRange::new(child.network(), child.broadcast()) {
            records.push(Record {
                owner: reverse::ptr_name(IpAddr::V4(ip)),
                ttl,
                data: RecordData::Cname(
                    reverse::ptr_owner(IpAddr::V4(ip), IpNet::V4(child), labels).into(),
                ),
            });
        }
    }

    fn finish(mut self, diagnostics: Vec<Diagnostic>) -> Plan {
        for record in self.txt.into_values() {
            self.forward[zone_of(&self.zone_index, &record.owner)].push(record);
        }
        // Each zone with whether its records are known to be in order.
        let mut zones: Vec<(ZonePlan, bool)> = self
            .forward
            .into_iter()
            .zip(&self.inventory.zones)
            .filter(|(records, _)| !records.is_empty())
            .map(|(records, origin)| {
                let zone = ZonePlan {
                    origin: origin.clone(),
                    role: ZoneRole::Forward,
                    records,
                };
                (zone, false)
            })
            .collect();
        let labels = self.inventory.classless_labels;
        for (key, (records, order)) in self.reverse {
            let net = key.net();
            let role = if key.parent_of_classless
                || records
                    .iter()
                    .all(|r| matches!(r.data, RecordData::Cname(_)))
            {
                let child = records
                    .iter()
                    .find_map(|r| match &r.data {
                        RecordData::Cname(target) => target
                            .split_once('.')
                            .map(|(_, zone)| DomainName::from_dns(zone.to_owned())),
                        _ => None,
                    })
                    .unwrap_or_default();
                ZoneRole::ClasslessParent { child }
            } else {
                ZoneRole::Reverse
            };
            let zone = ZonePlan {
                origin: reverse::zone_name(net, labels),
                role,
                records,
            };
            zones.push((zone, order.is_some()));
        }
        // Stable: the parents keep their address order among themselves.
        zones.sort_by_key(|(zone, _)| matches!(zone.role, ZoneRole::ClasslessParent { .. }));
        sort_zones(&mut zones);
        Plan {
            default_ttl: self.inventory.ttl,
            zones: zones.into_iter().map(|(zone, _)| zone).collect(),
            diagnostics,
        }
    }
}

/// Each `helo:` value of `inventory` as a name, with the index of the
/// first server announcing it and how many do.
fn helo_values(inventory: &Inventory) -> HashMap<DomainName, (usize, usize)> {
    let mut values: HashMap<DomainName, (usize, usize)> = HashMap::new();
    for (index, server) in inventory.servers.iter().enumerate() {
        if let Some(helo) = &server.helo {
            values
                .entry(DomainName::from(helo.as_str()))
                .or_insert((index, 0))
                .1 += 1;
        }
    }
    values
}

/// Moves `records` to the end of `zone`: into it when it holds nothing and
/// has no more room, else by copying them.
fn take_or_append(zone: &mut Vec<Record>, records: &mut Vec<Record>) {
    if zone.is_empty() && zone.capacity() <= records.capacity() {
        std::mem::swap(zone, records);
    } else {
        zone.append(records);
    }
}

/// Index of the longest declared zone containing `owner`.
fn zone_of(zone_index: &HashMap<&str, usize>, owner: &str) -> usize {
    // Validation placed every owner in a zone: with one zone, it is that.
    if zone_index.len() == 1
        && let Some(&zone) = zone_index.values().next()
    {
        return zone;
    }
    names::suffixes(owner)
        .find_map(|suffix| zone_index.get(suffix).copied())
        .expect("validation placed every owner in a zone")
}

fn zone_key(net: IpNet, parent_of_classless: bool) -> ZoneKey {
    ZoneKey {
        v6: net.addr().is_ipv6(),
        network: net.network(),
        prefix: net.prefix_len(),
        parent_of_classless,
    }
}

/// Sorts every zone's records, the zones spread over the available cores
/// (large inventories spend most of their planning time here); those of
/// zones marked in order, PTRs in ascending address order, are only
/// checked in debug builds.
fn sort_zones(zones: &mut [(ZonePlan, bool)]) {
    crate::parallel::map_balanced(
        zones.iter_mut().filter(|(_, in_order)| !in_order).collect(),
        |(zone, _)| zone.records.len(),
        |(zone, _)| sort_records(&mut zone.records, &zone.origin),
    );
    for (zone, _) in zones.iter().filter(|(_, in_order)| *in_order) {
        debug_assert!(
            zone.records
                .windows(2)
                .all(|pair| compare_names(&pair[0].owner, &pair[1].owner) == Ordering::Less),
            "the PTRs of {} are out of order",
            zone.origin
        );
    }
}

/// Orders the records of the zone `origin` by owner (see [`compare_names`]),
/// type, then data, and drops exact duplicates.
///
/// The planner emits each owner's records together, so owners are compared
/// once per run of records. Runs that already come in order (as reverse
/// zones usually do) are only checked; otherwise they are sorted by keys
/// of the owner relative to the zone, whose first eight octets decide
/// most comparisons.
fn sort_records(records: &mut Vec<Record>, origin: &str) {
    // At most one run per record; reverse zones have about that many.
    let mut runs: Vec<Range<usize>> = Vec::with_capacity(records.len());
    for (i, record) in records.iter().enumerate() {
        match runs.last_mut() {
            Some(run) if records[run.start].owner == record.owner => run.end = i + 1,
            _ => runs.push(i..i + 1),
        }
    }
    let in_order = runs.windows(2).all(|pair| {
        compare_names(&records[pair[0].start].owner, &records[pair[1].start].owner)
            == Ordering::Less
    });
    if !in_order {
        runs = sort_runs(records, runs, origin);
    }
    // Records of different runs have different owners: only two neighbours
    // in one run can be duplicates.
    let mut duplicates = false;
    for run in runs {
        let owner = &mut records[run];
        if owner.len() > 1 {
            owner.sort_by(|a, b| {
                (type_rank(&a.data), address_key(&a.data))
                    .cmp(&(type_rank(&b.data), address_key(&b.data)))
                    // Names and text only when two of a kind meet (rare).
                    .then_with(|| a.data.to_string().cmp(&b.data.to_string()))
            });
            duplicates |= owner
                .windows(2)
                .any(|pair| pair[0].ttl == pair[1].ttl && pair[0].data == pair[1].data);
        }
    }
    if duplicates {
        records.dedup();
    }
}

/// Moves the runs of `records` into owner order, runs of one owner joined
/// in their original order; returns the new runs.
fn sort_runs(
    records: &mut Vec<Record>,
    runs: Vec<Range<usize>>,
    origin: &str,
) -> Vec<Range<usize>> {
    let mut keys = Vec::new();
    let mut spans = Vec::with_capacity(runs.len());
    for run in &runs {
        let owner = &records[run.start].owner;
        let relative = names::below(owner, origin).unwrap_or(owner);
        let start = keys.len();
        push_name_key(relative, &mut keys);
        spans.push(start..keys.len());
    }
    let key = |run: usize| &keys[spans[run].clone()];
    let mut order: Vec<(u64, usize)> = (0..runs.len())
        .map(|run| {
            let mut head = [0u8; 8];
            let k = key(run);
            let n = k.len().min(8);
            head[..n].copy_from_slice(&k[..n]);
            (u64::from_be_bytes(head), run)
        })
        .collect();
    // A zero-padded head orders like the key it starts; ties fall to the
    // whole key, then to the original position.
    order.sort_unstable_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| key(a.1).cmp(key(b.1)))
            .then(a.1.cmp(&b.1))
    });
    let mut slots: Vec<Option<Record>> = std::mem::take(records).into_iter().map(Some).collect();
    records.reserve_exact(slots.len());
    let mut sorted: Vec<Range<usize>> = Vec::with_capacity(runs.len());
    for (position, &(_, run)) in order.iter().enumerate() {
        let start = records.len();
        records.extend(
            runs[run]
                .clone()
                .map(|i| slots[i].take().expect("each record moves once")),
        );
        match sorted.last_mut() {
            Some(last) if position > 0 && key(order[position - 1].1) == key(run) => {
                last.end = records.len();
            }
            _ => sorted.push(start..records.len()),
        }
    }
    sorted
}

/// Whether a label sorts by numeric value: up to 20 digits.
fn is_numeric_label(label: &[u8]) -> bool {
    !label.is_empty() && label.len() <= 20 && label.iter().all(u8::is_ascii_digit)
}

/// `label` without its leading zeros.
fn without_leading_zeros(label: &[u8]) -> &[u8] {
    let zeros = label.iter().take_while(|&&b| b == b'0').count();
    &label[zeros..]
}

/// The labels of `name` from the last to the first. Labels are short: a
/// byte-by-byte search beats a searcher set up for each.
fn labels_from_root(name: &[u8]) -> impl Iterator<Item = &[u8]> {
    name.rsplit(|&b| b == b'.')
}

/// Orders two labels: numeric labels by value and before text labels, text
/// labels by their octets.
fn compare_labels(a: &[u8], b: &[u8]) -> Ordering {
    match (is_numeric_label(a), is_numeric_label(b)) {
        (true, true) => {
            let (a, b) = (without_leading_zeros(a), without_leading_zeros(b));
            a.len().cmp(&b.len()).then_with(|| a.cmp(b))
        }
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        (false, false) => a.cmp(b),
    }
}

/// Orders names by their labels from the root down (RFC 4034 §6.1), each
/// pair of labels by [`compare_labels`] (so `9` sorts before `10` in
/// reverse zones); a name sorts before the names under it. The octets the
/// two names end with alike are skipped without splitting them.
fn compare_names(a: &str, b: &str) -> Ordering {
    let common = common_suffix(a.as_bytes(), b.as_bytes());
    // The longest shared ending made of whole labels in both names.
    let whole =
        |name: &str| name.len() == common || name.as_bytes()[name.len() - common - 1] == b'.';
    let skip = if whole(a) && whole(b) {
        common
    } else {
        let tail = &a.as_bytes()[a.len() - common..];
        tail.iter()
            .position(|&b| b == b'.')
            .map_or(0, |dot| common - dot - 1)
    };
    fn labels_before(name: &str, skip: usize) -> impl Iterator<Item = &[u8]> {
        let rest = &name.as_bytes()[..name.len() - skip];
        let rest = rest.strip_suffix(b".").unwrap_or(rest);
        (!rest.is_empty())
            .then(|| labels_from_root(rest))
            .into_iter()
            .flatten()
    }
    let (mut a_labels, mut b_labels) = (labels_before(a, skip), labels_before(b, skip));
    loop {
        match (a_labels.next(), b_labels.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => match compare_labels(x, y) {
                Ordering::Equal => {}
                unequal => return unequal,
            },
        }
    }
}

/// How many octets `a` and `b` end with alike, compared eight at a time
/// (names in one zone share most of their octets).
fn common_suffix(a: &[u8], b: &[u8]) -> usize {
    let n = a.len().min(b.len());
    let (a, b) = (&a[a.len() - n..], &b[b.len() - n..]);
    let tail = |x: &[u8], y: &[u8]| {
        x.iter()
            .rev()
            .zip(y.iter().rev())
            .take_while(|(p, q)| p == q)
            .count()
    };
    let (mut x, mut y) = (a.rchunks_exact(8), b.rchunks_exact(8));
    let mut common = 0;
    for (p, q) in x.by_ref().zip(y.by_ref()) {
        if p != q {
            return common + tail(p, q);
        }
        common += 8;
    }
    common + tail(x.remainder(), y.remainder())
}

/// Appends the sort key of a name to `key`: its labels from the root down,
/// so that keys order as [`compare_names`] orders the names.
fn push_name_key(name: &str, key: &mut Vec<u8>) {
    if name.is_empty() {
        return;
    }
    for label in labels_from_root(name.as_bytes()) {
        if is_numeric_label(label) {
            // Without leading zeros, a longer number is a larger one.
            let digits = without_leading_zeros(label);
            key.push(0);
            key.push(digits.len() as u8);
            key.extend_from_slice(digits);
        } else {
            key.push(1);
            key.extend_from_slice(label);
        }
        key.push(0);
    }
}

/// Addresses sort by value; other data is ordered by its text.
fn address_key(data: &RecordData) -> Option<u128> {
    match data {
        RecordData::A(ip) => Some(u128::from(u32::from(*ip))),
        RecordData::Aaaa(ip) => Some(u128::from(*ip)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn key(name: &str) -> Vec<u8> {
        let mut key = Vec::new();
        push_name_key(name, &mut key);
        key
    }

    proptest! {
        /// Keys order names as `compare_names` does, also relative to a
        /// shared zone, so sorting by either gives one order.
        #[test]
        fn keys_and_comparison_agree(
            a in "([0-9]{1,3}|[a-c0]{1,3})(\\.([0-9]{1,3}|[a-c0]{1,3})){0,4}",
            b in "([0-9]{1,3}|[a-c0]{1,3})(\\.([0-9]{1,3}|[a-c0]{1,3})){0,4}",
        ) {
            prop_assert_eq!(compare_names(&a, &b), key(&a).cmp(&key(&b)));
            let (za, zb) = (format!("{a}.zone.test"), format!("{b}.zone.test"));
            prop_assert_eq!(compare_names(&za, &zb), compare_names(&a, &b));
            prop_assert_eq!(compare_names("zone.test", &za), Ordering::Less);
        }
    }

    proptest! {
        #[test]
        fn common_suffix_counts_the_shared_ending(a in "[ab.]{0,30}", b in "[ab.]{0,30}") {
            let slow = a.bytes().rev().zip(b.bytes().rev()).take_while(|(x, y)| x == y).count();
            prop_assert_eq!(common_suffix(a.as_bytes(), b.as_bytes()), slow);
        }
    }

    #[test]
    fn sorts_unordered_runs_and_joins_split_owners() {
        let record = |owner: &str, data: RecordData| Record {
            owner: owner.into(),
            ttl: 60,
            data,
        };
        let a = |n: u8| RecordData::A(std::net::Ipv4Addr::new(192, 0, 2, n));
        let mut records = vec![
            record("b.example.com", a(2)),
            record("example.com", a(9)),
            record("10.example.com", a(1)),
            record("b.example.com", a(1)),
            record("9.example.com", a(3)),
            record("b.example.com", a(2)),
        ];
        sort_records(&mut records, "example.com");
        let order: Vec<(&str, RecordData)> = records
            .iter()
            .map(|r| (r.owner.as_str(), r.data.clone()))
            .collect();
        assert_eq!(
            order,
            [
                ("example.com", a(9)),
                ("9.example.com", a(3)),
                ("10.example.com", a(1)),
                ("b.example.com", a(1)),
                ("b.example.com", a(2)),
            ]
        );
    }

    #[test]
    fn names_sort_from_the_root_with_numbers_by_value() {
        let mut names = vec![
            "10.2.0.192.in-addr.arpa",
            "9.2.0.192.in-addr.arpa",
            "b.example.com",
            "example.com",
            "a.example.com",
            "example.org",
        ];
        names.sort_by(|a, b| compare_names(a, b));
        assert_eq!(
            names,
            [
                "9.2.0.192.in-addr.arpa",
                "10.2.0.192.in-addr.arpa",
                "example.com",
                "a.example.com",
                "b.example.com",
                "example.org"
            ]
        );
    }
}
