//! What the plan says DNS should hold, indexed for the checks, and the
//! planned records as zone-file lines for the fixes.

use std::net::IpAddr;

use foldhash::{HashMap, HashSet, HashSetExt};

use crate::dns::{RecordData, reverse_name};
use crate::inventory::{Domain, Inventory, Server};
use crate::names::DomainName;
use crate::records::{Diagnostic, HeloProblem, Plan, ZoneRole, spf_text};

/// Addresses of one owner: IPv4, then IPv6.
pub(super) type Families = (Vec<IpAddr>, Vec<IpAddr>);

/// What the plan says DNS should hold.
#[derive(Debug, Default)]
pub(super) struct Planned {
    /// A and AAAA addresses by owner, IPv4 and IPv6 apart.
    pub(super) addresses: HashMap<DomainName, Families>,
    /// TXT records by owner, character-strings joined.
    pub(super) txt: HashMap<DomainName, String>,
    /// RFC 2317 CNAMEs of classless parents: standard reverse owner → target.
    pub(super) classless: HashMap<DomainName, String>,
    /// Every server address of the inventory.
    pub(super) servers: HashSet<IpAddr>,
    /// The forward zones of the inventory.
    pub(super) zones: Vec<DomainName>,
    /// Why `generate` refuses a server's `helo:`, by server index: the
    /// plan holds no record of that name.
    pub(super) helo_problems: HashMap<usize, HeloProblem>,
    /// The RFC 2317 CNAMEs of addresses no server uses (owner, target), by
    /// the index of the first server with an address in their block: that
    /// server's check asks for them.
    pub(super) block_cnames: HashMap<usize, Vec<(DomainName, String)>>,
    /// Report authorisations outside the inventory's zones, by domain
    /// index: the report domain and the owner it must publish.
    pub(super) foreign_reports: HashMap<usize, Vec<(String, DomainName)>>,
    /// The SPF record planned for every server name, as text: written
    /// once, not once per server.
    pub(super) helo_record: String,
}

impl Planned {
    pub(super) fn new(plan: &Plan, inventory: &Inventory) -> Self {
        let mut planned = Planned {
            helo_record: spf_text::helo_record().to_string(),
            ..Planned::default()
        };
        // Sized once: a server has one owner of addresses, usually.
        planned.addresses.reserve(inventory.servers.len());
        let mut cnames = Vec::new();
        // The addresses of the owner of the last one: a zone's records
        // come sorted by owner, so each owner is looked up once.
        let mut last: Option<(&DomainName, &mut Families)> = None;
        for zone in &plan.zones {
            for record in &zone.records {
                let ip = match (&zone.role, &record.data) {
                    (_, RecordData::A(ip)) => IpAddr::V4(*ip),
                    (_, RecordData::Aaaa(ip)) => IpAddr::V6(*ip),
                    (_, RecordData::Txt(strings)) => {
                        let text = String::from_utf8(strings.concat()).unwrap_or_else(|err| {
                            String::from_utf8_lossy(err.as_bytes()).into_owned()
                        });
                        planned.txt.insert(record.owner.clone(), text);
                        continue;
                    }
                    (ZoneRole::ClasslessParent { .. }, RecordData::Cname(target)) => {
                        planned
                            .classless
                            .insert(record.owner.clone(), target.clone());
                        cnames.push((record.owner.clone(), target.clone()));
                        continue;
                    }
                    _ => continue,
                };
                let families = match last {
                    Some((owner, families)) if *owner == record.owner => families,
                    _ => planned.addresses.entry(record.owner.clone()).or_default(),
                };
                match ip {
                    IpAddr::V4(_) => families.0.push(ip),
                    IpAddr::V6(_) => families.1.push(ip),
                }
                last = Some((&record.owner, families));
            }
        }
        let count = inventory
            .servers
            .iter()
            .map(|s| s.ipv4.len() + s.ipv6.len())
            .sum();
        planned.servers = HashSet::with_capacity(count);
        planned
            .servers
            .extend(inventory.servers.iter().flat_map(|s| {
                s.ipv4
                    .iter()
                    .map(|&ip| IpAddr::V4(ip))
                    .chain(s.ipv6.iter().map(|&ip| IpAddr::V6(ip)))
            }));
        planned.zones = inventory.zones.clone();
        for diagnostic in &plan.diagnostics {
            match diagnostic {
                Diagnostic::UnpublishableHelo { server, problem } => {
                    planned.helo_problems.insert(*server, problem.clone());
                }
                Diagnostic::ForeignReportAuthorization {
                    domain,
                    report_domain,
                    owner,
                } => planned
                    .foreign_reports
                    .entry(*domain)
                    .or_default()
                    .push((report_domain.clone(), owner.clone())),
                Diagnostic::Spf { .. } => {}
            }
        }
        if !cnames.is_empty() {
            planned.assign_block_cnames(inventory, cnames);
        }
        planned
    }

    /// Gives the CNAMEs of the addresses no server uses to the first server
    /// with an address in their block.
    fn assign_block_cnames(&mut self, inventory: &Inventory, cnames: Vec<(DomainName, String)>) {
        let block = |target: &str| target.split_once('.').map(|(_, zone)| zone.to_owned());
        let mut used = HashSet::new();
        let mut first: HashMap<String, usize> = HashMap::default();
        for (index, server) in inventory.servers.iter().enumerate() {
            for &ip in &server.ipv4 {
                let owner = reverse_name(IpAddr::V4(ip));
                if let Some(zone) = self.classless.get(&owner).and_then(|t| block(t)) {
                    first.entry(zone).or_insert(index);
                    used.insert(owner);
                }
            }
        }
        for (owner, target) in cnames {
            if used.contains(&owner) {
                continue;
            }
            if let Some(&index) = block(&target).and_then(|zone| first.get(&zone)) {
                self.block_cnames
                    .entry(index)
                    .or_default()
                    .push((owner, target));
            }
        }
    }

    /// The planned IPv4 and IPv6 addresses of `owner`.
    pub(super) fn addresses(&self, owner: &str) -> (&[IpAddr], &[IpAddr]) {
        self.addresses
            .get(owner)
            .map_or((&[], &[]), |(v4, v6)| (v4, v6))
    }

    /// The planned SPF records of `domain`, top first, then its chained
    /// `_spfN` parts: (owner, text).
    pub(super) fn spf_chain<'a>(&'a self, domain: &'a str) -> Vec<(String, &'a str)> {
        let mut chain = Vec::new();
        if let Some(text) = self.txt.get(domain) {
            chain.push((domain.to_owned(), text.as_str()));
        }
        for part in 1.. {
            let owner = format!("_spf{part}.{domain}");
            match self.txt.get(owner.as_str()) {
                Some(text) => chain.push((owner, text.as_str())),
                None => break,
            }
        }
        chain
    }
}

/// The TTL of a server's records.
pub(super) fn server_ttl(inventory: &Inventory, server: &Server) -> u32 {
    server.ttl.unwrap_or(inventory.ttl)
}

/// The TTL of a domain's records.
pub(super) fn domain_ttl(inventory: &Inventory, domain: &Domain) -> u32 {
    domain.ttl.unwrap_or(inventory.ttl)
}

/// One record as a zone-file line: `owner. TTL IN TYPE DATA`.
pub(super) fn line(owner: &str, ttl: u32, data: &RecordData) -> String {
    format!(
        "{owner}. {ttl} IN {} {}",
        data.type_name(),
        crate::render::rdata(data)
    )
}

/// A TXT record of `text` as a zone-file line, split into
/// character-strings as `generate` splits it.
pub(super) fn txt_line(owner: &str, ttl: u32, text: &str) -> String {
    line(
        owner,
        ttl,
        &RecordData::Txt(spf_text::split_strings(text.as_bytes()).into()),
    )
}

/// The A or AAAA record of `ip` at `owner`.
pub(super) fn address_line(owner: &str, ttl: u32, ip: IpAddr) -> String {
    let data = match ip {
        IpAddr::V4(ip) => RecordData::A(ip),
        IpAddr::V6(ip) => RecordData::Aaaa(ip),
    };
    line(owner, ttl, &data)
}
