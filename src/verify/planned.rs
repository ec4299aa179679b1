//! What the plan says DNS should hold, indexed for the checks, and the
//! planned records as zone-file lines for the fixes.

use std::borrow::Cow;
use std::net::IpAddr;
use std::ops::Range;

use foldhash::{HashMap, HashSet, HashSetExt};

use crate::dns::{RecordData, reverse_name};
use crate::inventory::{Domain, Inventory, Server};
use crate::names::DomainName;
use crate::records::{Diagnostic, HeloProblem, Plan, ZoneRole, spf_text};

/// What the plan says DNS should hold, its names borrowed from the plan.
#[derive(Debug, Default)]
pub(super) struct Planned<'p> {
    /// Where the A and AAAA addresses of each owner are in `ips`: its
    /// IPv4 addresses, then its IPv6 ones, from the middle on.
    addresses: HashMap<&'p str, (Range<usize>, usize)>,
    /// The planned addresses, owner by owner: one list, not two per owner.
    ips: Vec<IpAddr>,
    /// TXT records by owner, character-strings joined.
    pub(super) txt: HashMap<&'p str, Cow<'p, str>>,
    /// Whether an owner of `txt` may be a chained `_spfN` part: most plans
    /// have none, and their domains' chains need no look for one.
    chained: bool,
    /// RFC 2317 CNAMEs of classless parents: standard reverse owner → target.
    pub(super) classless: HashMap<DomainName, String>,
    /// The server addresses of the inventory that
    /// [`outsiders`](super::domain) may pick, which it must not.
    pub(super) taken_outsiders: Vec<IpAddr>,
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
    /// What the plan holds for each server's host name, by server index:
    /// looked up in one pass here, not by each server's check.
    hosts: Vec<HostPlan>,
}

/// What the plan holds for a server's host name.
#[derive(Debug)]
struct HostPlan {
    /// Where its addresses are in `ips`, as in `addresses`.
    addresses: (Range<usize>, usize),
    /// Its TXT record.
    txt: PlannedTxt,
}

/// The TXT record planned at a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PlannedTxt {
    /// None.
    Absent,
    /// The SPF record `generate` plans for a server name.
    HeloRecord,
    /// Another: a domain's.
    Other,
}

impl<'p> Planned<'p> {
    pub(super) fn new(plan: &'p Plan, inventory: &Inventory) -> Self {
        let mut planned = Planned {
            helo_record: spf_text::helo_record().to_string(),
            ..Planned::default()
        };
        // Sized once: a server has one owner of addresses, usually, and
        // one of TXT records (its SPF record) as a domain has.
        planned.addresses.reserve(inventory.servers.len());
        planned
            .txt
            .reserve(inventory.servers.len() + inventory.domains.len());
        let mut cnames = Vec::new();
        let mut six = Vec::new();
        for zone in &plan.zones {
            // A zone's records come sorted by owner, then type: each
            // owner's A and AAAA records are one run.
            let mut records = zone.records.iter().peekable();
            while let Some(record) = records.next() {
                let ip = match (&zone.role, &record.data) {
                    (_, RecordData::A(ip)) => IpAddr::V4(*ip),
                    (_, RecordData::Aaaa(ip)) => IpAddr::V6(*ip),
                    (_, RecordData::Txt(strings)) => {
                        let text = match &strings[..] {
                            // Checked as UTF-8 the quick way, as planned
                            // text always is.
                            [single] => std::str::from_utf8(single)
                                .map_or_else(|_| String::from_utf8_lossy(single), Cow::Borrowed),
                            strings => {
                                Cow::Owned(String::from_utf8_lossy(&strings.concat()).into_owned())
                            }
                        };
                        planned.chained |= record.owner.starts_with("_spf");
                        planned.txt.insert(record.owner.as_str(), text);
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
                // IPv4 first, as `addresses` gives them.
                let start = planned.ips.len();
                six.clear();
                let mut push = |ip: IpAddr| match ip {
                    IpAddr::V4(_) => planned.ips.push(ip),
                    IpAddr::V6(_) => six.push(ip),
                };
                push(ip);
                while let Some(next) = records.next_if(|next| {
                    next.owner == record.owner
                        && matches!(next.data, RecordData::A(_) | RecordData::Aaaa(_))
                }) {
                    match next.data {
                        RecordData::A(ip) => push(IpAddr::V4(ip)),
                        RecordData::Aaaa(ip) => push(IpAddr::V6(ip)),
                        _ => {}
                    }
                }
                let middle = planned.ips.len();
                planned.ips.extend_from_slice(&six);
                planned
                    .addresses
                    .insert(record.owner.as_str(), (start..planned.ips.len(), middle));
            }
        }
        planned.hosts = inventory
            .servers
            .iter()
            .map(|server| {
                let name = server.hostname.as_str();
                HostPlan {
                    addresses: planned.addresses.get(name).cloned().unwrap_or((0..0, 0)),
                    txt: planned.txt_at(name),
                }
            })
            .collect();
        planned.taken_outsiders = inventory
            .servers
            .iter()
            .flat_map(Server::addresses)
            .filter(|&ip| super::domain::may_be_outsider(ip))
            .collect();
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
            .map_or((&[], &[]), |at| self.split(at))
    }

    /// The planned IPv4 and IPv6 addresses of `servers[index]`'s host name.
    pub(super) fn host_addresses(&self, index: usize) -> (&[IpAddr], &[IpAddr]) {
        self.split(&self.hosts[index].addresses)
    }

    /// The addresses at `run` in `ips`: IPv4, then IPv6 from `middle`.
    fn split(&self, (run, middle): &(Range<usize>, usize)) -> (&[IpAddr], &[IpAddr]) {
        self.ips[run.clone()].split_at(middle - run.start)
    }

    /// The TXT record planned at `name`.
    pub(super) fn txt_at(&self, name: &str) -> PlannedTxt {
        match self.txt.get(name) {
            None => PlannedTxt::Absent,
            Some(text) if *text == self.helo_record => PlannedTxt::HeloRecord,
            Some(_) => PlannedTxt::Other,
        }
    }

    /// The TXT record planned at `servers[index]`'s host name.
    pub(super) fn host_txt(&self, index: usize) -> PlannedTxt {
        self.hosts[index].txt
    }

    /// The owners of planned addresses or TXT records.
    pub(super) fn owners(&self) -> impl Iterator<Item = &'p str> + '_ {
        self.addresses.keys().chain(self.txt.keys()).copied()
    }

    /// The planned SPF records of `domain`, top first, then its chained
    /// `_spfN` parts: (owner, text).
    pub(super) fn spf_chain<'a>(&'a self, domain: &'a str) -> Vec<(Cow<'a, str>, &'a str)> {
        let mut chain = Vec::new();
        if let Some(text) = self.txt.get(domain) {
            chain.push((Cow::Borrowed(domain), &**text));
        }
        for part in (1..).take_while(|_| self.chained) {
            let owner = format!("_spf{part}.{domain}");
            match self.txt.get(owner.as_str()) {
                Some(text) => chain.push((Cow::Owned(owner), &**text)),
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
