//! The record plan: every record a sending setup needs, placed in its zone,
//! in a stable order. Renderers only format a plan.

pub mod reverse;
pub mod spf_text;

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Net};
use serde::Serialize;

use crate::inventory::Inventory;
use crate::names;

/// All records of an inventory, zone by zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Plan {
    /// The inventory's default TTL, written as `$TTL`.
    pub default_ttl: u32,
    /// Zones in output order: forward zones as declared, then reverse zones
    /// by address.
    pub zones: Vec<ZonePlan>,
}

/// The records that belong in one zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ZonePlan {
    /// The zone's name, without trailing dot.
    pub origin: String,
    /// What the zone is.
    pub role: ZoneRole,
    /// Records sorted by owner, then type, then data.
    pub records: Vec<Record>,
}

/// What kind of zone a [`ZonePlan`] describes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum ZoneRole {
    /// A forward zone from `zones`.
    Forward,
    /// A reverse zone holding PTR records.
    Reverse,
    /// The /24 parent of a classless zone: the CNAMEs its operator (usually
    /// the ISP) publishes to delegate each address (RFC 2317 §4).
    ClasslessParent {
        /// The classless child zone the CNAMEs point into.
        child: String,
    },
}

/// One resource record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Record {
    /// Absolute owner name, without trailing dot.
    pub owner: String,
    /// Time to live in seconds.
    pub ttl: u32,
    /// Type and data.
    #[serde(flatten)]
    pub data: RecordData,
}

/// Typed record data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", content = "data")]
pub enum RecordData {
    /// An IPv4 address.
    A(Ipv4Addr),
    /// An IPv6 address.
    #[serde(rename = "AAAA")]
    Aaaa(Ipv6Addr),
    /// An alias target, absolute, without trailing dot.
    #[serde(rename = "CNAME")]
    Cname(String),
    /// A reverse-mapping target, absolute, without trailing dot.
    #[serde(rename = "PTR")]
    Ptr(String),
    /// Text as character-strings of at most 255 octets each.
    #[serde(rename = "TXT", serialize_with = "serialize_txt")]
    Txt(Vec<Vec<u8>>),
}

fn serialize_txt<S: serde::Serializer>(strings: &[Vec<u8>], s: S) -> Result<S::Ok, S::Error> {
    let joined: Vec<u8> = strings.concat();
    s.serialize_str(&String::from_utf8_lossy(&joined))
}

impl RecordData {
    /// The type mnemonic (RFC 1035 §3.2.2, RFC 3596).
    pub fn type_name(&self) -> &'static str {
        match self {
            RecordData::A(_) => "A",
            RecordData::Aaaa(_) => "AAAA",
            RecordData::Cname(_) => "CNAME",
            RecordData::Ptr(_) => "PTR",
            RecordData::Txt(_) => "TXT",
        }
    }

    fn type_rank(&self) -> u8 {
        match self {
            RecordData::A(_) => 0,
            RecordData::Aaaa(_) => 1,
            RecordData::Cname(_) => 2,
            RecordData::Ptr(_) => 3,
            RecordData::Txt(_) => 4,
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
        }
    }
}

/// Why a plan cannot be made; `path` is the inventory key at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanError {
    /// Key path in the inventory, e.g. `domains[0]`.
    pub path: String,
    /// What is wrong and what to do.
    pub message: String,
}

/// Plans every record of `inventory`. Fails when the inventory, valid on
/// its own, asks for records DNS cannot carry (an unpublishable HELO name,
/// an SPF record beyond the lookup limit).
pub fn plan(inventory: &Inventory) -> Result<Plan, Vec<PlanError>> {
    let mut builder = Builder::new(inventory);
    let mut errors = Vec::new();
    for (i, server) in inventory.servers.iter().enumerate() {
        builder.server(i, server, &mut errors);
    }
    for (i, domain) in inventory.domains.iter().enumerate() {
        match spf_text::build(inventory, domain) {
            Ok(records) => {
                let ttl = domain.ttl.unwrap_or(inventory.ttl);
                for record in records {
                    builder.replace_txt(&record.owner, ttl, &record.text);
                }
            }
            Err(err) => errors.push(PlanError {
                path: format!("domains[{i}]"),
                message: err.message,
            }),
        }
    }
    if errors.is_empty() {
        Ok(builder.finish())
    } else {
        Err(errors)
    }
}

struct Builder<'a> {
    inventory: &'a Inventory,
    /// Forward records other than TXT.
    forward: Vec<Record>,
    /// The one TXT record of each owner (RFC 7208 §3.2).
    txt: BTreeMap<String, Record>,
    /// Reverse records by zone network.
    reverse: BTreeMap<ZoneKey, Vec<Record>>,
}

/// A reverse zone's sort key and identity: family first, then address, then
/// prefix length, so a /24 parent precedes its classless child.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
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
            forward: Vec::new(),
            txt: BTreeMap::new(),
            reverse: BTreeMap::new(),
        }
    }

    fn server(
        &mut self,
        index: usize,
        server: &crate::inventory::Server,
        errors: &mut Vec<PlanError>,
    ) {
        let ttl = server.ttl.unwrap_or(self.inventory.ttl);
        let mut names = vec![server.hostname.clone()];
        if let Some(helo) = &server.helo {
            match self.publishable_helo(index, helo) {
                Ok(Some(helo)) => names.push(helo),
                Ok(None) => {}
                Err(message) => errors.push(PlanError {
                    path: format!("servers[{index}].helo"),
                    message,
                }),
            }
        }
        for name in &names {
            for ip in &server.ipv4 {
                self.add_forward(name, ttl, RecordData::A(*ip));
            }
            for ip in &server.ipv6 {
                self.add_forward(name, ttl, RecordData::Aaaa(*ip));
            }
            // RFC 7208 §2.3: an SPF record for the HELO identity.
            self.replace_txt(name, ttl, "v=spf1 a -all");
        }
        let addresses = server
            .ipv4
            .iter()
            .map(|&ip| IpAddr::V4(ip))
            .chain(server.ipv6.iter().map(|&ip| IpAddr::V6(ip)));
        for ip in addresses {
            self.add_ptr(ip, &server.hostname, ttl);
        }
    }

    /// A `helo:` name differing from the hostname is published too, but only
    /// when receivers could resolve it.
    fn publishable_helo(&self, index: usize, helo: &str) -> Result<Option<String>, String> {
        let name = names::normalize_hostname(helo).map_err(|err| {
            format!(
                "the HELO name `{helo}` cannot be published: {err}; configure the MTA to announce the server's hostname (Postfix `smtp_helo_name`, Exim `helo_data`) and remove `helo`"
            )
        })?;
        let server = &self.inventory.servers[index];
        if name == server.hostname {
            return Ok(None);
        }
        if self.inventory.server_index(&name).is_some()
            || self.inventory.servers.iter().enumerate().any(|(i, s)| {
                i != index && s.helo.as_deref().map(str::to_ascii_lowercase) == Some(name.clone())
            })
        {
            return Err(format!(
                "the HELO name `{name}` is another server's name; each server needs its own"
            ));
        }
        if !self
            .inventory
            .zones
            .iter()
            .any(|z| names::is_in_zone(&name, z))
        {
            return Err(format!(
                "the HELO name `{name}` is outside every declared zone; add its zone to `zones`"
            ));
        }
        Ok(Some(name))
    }

    fn add_forward(&mut self, owner: &str, ttl: u32, data: RecordData) {
        self.forward.push(Record {
            owner: owner.to_owned(),
            ttl,
            data,
        });
    }

    /// Sets the one TXT record of `owner` (RFC 7208 §3.2: one SPF record per
    /// name); a domain's record replaces the HELO record at the same name.
    fn replace_txt(&mut self, owner: &str, ttl: u32, text: &str) {
        let strings = spf_text::split_strings(text.as_bytes());
        let record = Record {
            owner: owner.to_owned(),
            ttl,
            data: RecordData::Txt(strings),
        };
        self.txt.insert(owner.to_owned(), record);
    }

    fn reverse_zone_of(&self, ip: IpAddr) -> IpNet {
        self.inventory
            .reverse_zones
            .iter()
            .filter(|zone| zone.contains(&ip))
            .max_by_key(|zone| zone.prefix_len())
            .copied()
            .unwrap_or_else(|| reverse::default_zone(ip))
    }

    fn add_ptr(&mut self, ip: IpAddr, hostname: &str, ttl: u32) {
        let labels = self.inventory.classless_labels;
        let zone = self.reverse_zone_of(ip);
        let owner = reverse::ptr_owner(ip, zone, labels);
        self.reverse
            .entry(zone_key(zone, false))
            .or_default()
            .push(Record {
                owner: owner.clone(),
                ttl,
                data: RecordData::Ptr(hostname.to_owned()),
            });
        if let (IpNet::V4(child), true) = (zone, reverse::is_classless(zone)) {
            self.add_classless_cnames(child, ttl);
        }
    }

    /// RFC 2317 §4: the parent /24 publishes a CNAME for every address of
    /// the delegated block, so PTRs can be added later without its operator.
    fn add_classless_cnames(&mut self, child: Ipv4Net, ttl: u32) {
        let parent = reverse::classless_parent(child);
        let declared_parent = self.inventory.reverse_zones.contains(&IpNet::V4(parent));
        let key = zone_key(IpNet::V4(parent), !declared_parent);
        let records = self.reverse.entry(key).or_default();
        if records.iter().any(|r| matches!(&r.data, RecordData::Cname(t) if t.ends_with(&reverse::zone_name(IpNet::V4(child), self.inventory.classless_labels)))) {
            return;
        }
        let labels = self.inventory.classless_labels;
        for ip in ipnet::Ipv4AddrRange::new(child.network(), child.broadcast()) {
            records.push(Record {
                owner: reverse::ptr_name(IpAddr::V4(ip)),
                ttl,
                data: RecordData::Cname(reverse::ptr_owner(
                    IpAddr::V4(ip),
                    IpNet::V4(child),
                    labels,
                )),
            });
        }
    }

    fn finish(self) -> Plan {
        let zone_index: HashMap<&str, usize> = self
            .inventory
            .zones
            .iter()
            .enumerate()
            .map(|(i, zone)| (zone.as_str(), i))
            .collect();
        let mut by_zone: BTreeMap<usize, Vec<Record>> = BTreeMap::new();
        for record in self.forward.into_iter().chain(self.txt.into_values()) {
            // The longest zone containing the owner.
            let zone = names::suffixes(&record.owner)
                .find_map(|suffix| zone_index.get(suffix).copied())
                .expect("validation placed every owner in a zone");
            by_zone.entry(zone).or_default().push(record);
        }
        let mut zones: Vec<ZonePlan> = by_zone
            .into_iter()
            .map(|(i, records)| ZonePlan {
                origin: self.inventory.zones[i].clone(),
                role: ZoneRole::Forward,
                records: sorted(records),
            })
            .collect();
        let labels = self.inventory.classless_labels;
        for (key, records) in self.reverse {
            let net = key.net();
            let role = if key.parent_of_classless
                || records
                    .iter()
                    .all(|r| matches!(r.data, RecordData::Cname(_)))
            {
                let child = records
                    .iter()
                    .find_map(|r| match &r.data {
                        RecordData::Cname(target) => {
                            target.split_once('.').map(|(_, zone)| zone.to_owned())
                        }
                        _ => None,
                    })
                    .unwrap_or_default();
                ZoneRole::ClasslessParent { child }
            } else {
                ZoneRole::Reverse
            };
            zones.push(ZonePlan {
                origin: reverse::zone_name(net, labels),
                role,
                records: sorted(records),
            });
        }
        Plan {
            default_ttl: self.inventory.ttl,
            zones,
        }
    }
}

fn zone_key(net: IpNet, parent_of_classless: bool) -> ZoneKey {
    ZoneKey {
        v6: net.addr().is_ipv6(),
        network: net.network(),
        prefix: net.prefix_len(),
        parent_of_classless,
    }
}

fn sorted(mut records: Vec<Record>) -> Vec<Record> {
    records.sort_by(|a, b| {
        compare_names(&a.owner, &b.owner)
            .then(a.data.type_rank().cmp(&b.data.type_rank()))
            .then_with(|| compare_data(&a.data, &b.data))
    });
    records.dedup();
    records
}

fn compare_data(a: &RecordData, b: &RecordData) -> Ordering {
    match (a, b) {
        (RecordData::A(x), RecordData::A(y)) => x.cmp(y),
        (RecordData::Aaaa(x), RecordData::Aaaa(y)) => x.cmp(y),
        _ => a.to_string().cmp(&b.to_string()),
    }
}

/// Orders names from the root down, label by label (RFC 4034 §6.1), but
/// numeric labels by value so `9` sorts before `10` in reverse zones.
pub fn compare_names(a: &str, b: &str) -> Ordering {
    let mut left = a.rsplit('.');
    let mut right = b.rsplit('.');
    loop {
        match (left.next(), right.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => {
                let order = match (x.parse::<u64>(), y.parse::<u64>()) {
                    (Ok(m), Ok(n)) => m.cmp(&n),
                    _ => x.cmp(y),
                };
                if order != Ordering::Equal {
                    return order;
                }
            }
        }
    }
}
