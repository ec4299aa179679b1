//! Raw inventory → [`Inventory`], collecting every problem with its place.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;
use std::sync::{Arc, OnceLock};

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use ipnet::{IpNet, Ipv4Net, Ipv6Net};

use super::raw::{self, RawDmarc, RawDomain, RawInventory, RawServer};
use super::span::{Position, SpanIndex};
use super::{
    Alignment, AllPolicy, ClasslessLabels, DEFAULT_TTL, Dmarc, DmarcPolicy, Domain, Inventory,
    InventoryError, Loaded, Location, Problem, Server,
};
use crate::names::{self, Charset};
use crate::net;
use crate::reverse;

/// Largest TTL DNS allows (RFC 2181 §8).
const MAX_TTL: u32 = 2_147_483_647;

pub(super) fn validate(file: &Path, text: &str) -> Result<Loaded, InventoryError> {
    let meaningful = text
        .lines()
        .map(str::trim)
        .any(|line| !line.is_empty() && !line.starts_with('#') && line != "---");
    if !meaningful {
        return Err(InventoryError::Empty {
            file: file.to_owned(),
        });
    }
    let raw = raw::from_yaml(text).map_err(|err| {
        let position = err
            .position
            .map(|(line, column)| Position { line, column })
            .or_else(|| SpanIndex::build(text).locate(&err.path));
        InventoryError::Invalid {
            problems: vec![Problem {
                location: Location {
                    file: file.to_owned(),
                    position,
                    path: err.path,
                },
                message: err.message,
            }],
        }
    })?;
    let mut checker = Checker {
        file,
        errors: Vec::new(),
        warnings: Vec::new(),
    };
    let inventory = checker.inventory(raw, text);
    // Positions are looked up only when there is something to report: on
    // large valid inventories this saves a second parse.
    let spans = OnceLock::new();
    let locate = |(path, message): (String, String)| Problem {
        location: Location {
            file: file.to_owned(),
            position: spans.get_or_init(|| SpanIndex::build(text)).locate(&path),
            path,
        },
        message,
    };
    let warnings = checker.warnings.into_iter().map(locate).collect();
    if checker.errors.is_empty() {
        Ok(Loaded {
            inventory,
            warnings,
        })
    } else {
        Err(InventoryError::Invalid {
            problems: checker.errors.into_iter().map(locate).collect(),
        })
    }
}

/// A key path such as `domains[1].servers[0]`, built on the stack and
/// rendered only when a problem is reported.
#[derive(Clone, Copy)]
struct KeyPath<'a> {
    parent: Option<&'a KeyPath<'a>>,
    segment: Segment<'a>,
}

#[derive(Clone, Copy)]
enum Segment<'a> {
    Root,
    Key(&'a str),
    Index(usize),
}

impl<'a> KeyPath<'a> {
    const ROOT: KeyPath<'static> = KeyPath {
        parent: None,
        segment: Segment::Root,
    };

    fn key(&'a self, key: &'a str) -> KeyPath<'a> {
        KeyPath {
            parent: Some(self),
            segment: Segment::Key(key),
        }
    }

    fn index(&'a self, index: usize) -> KeyPath<'a> {
        KeyPath {
            parent: Some(self),
            segment: Segment::Index(index),
        }
    }

    fn render(&self) -> String {
        let mut text = self.parent.map(KeyPath::render).unwrap_or_default();
        match self.segment {
            Segment::Root => {}
            Segment::Key(key) if text.is_empty() => text.push_str(key),
            Segment::Key(key) => {
                text.push('.');
                text.push_str(key);
            }
            Segment::Index(index) => text.push_str(&format!("[{index}]")),
        }
        text
    }
}

/// Where a server address is listed: server index, `ipv4`/`ipv6`, index.
type AddressSlot = (usize, &'static str, usize);

/// Problems as (key path, message), located once checking is over.
struct Checker<'a> {
    file: &'a Path,
    errors: Vec<(String, String)>,
    warnings: Vec<(String, String)>,
}

impl Checker<'_> {
    fn error(&mut self, path: &KeyPath<'_>, message: impl Into<String>) {
        self.errors.push((path.render(), message.into()));
    }

    fn warn(&mut self, path: &KeyPath<'_>, message: impl Into<String>) {
        self.warnings.push((path.render(), message.into()));
    }

    fn inventory(&mut self, raw: RawInventory, text: &str) -> Inventory {
        let root = KeyPath::ROOT;
        let ttl = self.ttl(&root.key("ttl"), raw.ttl).unwrap_or(DEFAULT_TTL);
        let zones = self.zones(&raw.zones);
        let reverse_zones = self.reverse_zones(&raw.reverse_zones);
        let classless_labels = match raw.classless_labels.as_deref() {
            None | Some("rfc4183") => ClasslessLabels::Rfc4183,
            Some("rfc2317") => ClasslessLabels::Rfc2317,
            Some(other) => {
                self.error(
                    &root.key("classless_labels"),
                    format!(
                        "unknown label style `{other}`; accepted: `rfc4183` (64-26.100.51.198.in-addr.arpa, the default) or `rfc2317` (64/26.100.51.198.in-addr.arpa)"
                    ),
                );
                ClasslessLabels::Rfc4183
            }
        };
        let servers = self.servers(&raw.servers);
        let domains = self.domains(&raw.domains, &raw.servers, &servers);
        if raw.servers.is_empty() && raw.domains.is_empty() {
            self.error(
                &root,
                "the inventory describes no `servers` and no `domains`; accepted: at least one of them",
            );
        }
        let inventory = Inventory {
            file: self.file.to_owned(),
            ttl,
            zones,
            reverse_zones,
            classless_labels,
            servers,
            domains,
            source: Arc::from(text),
            spans: OnceLock::new(),
        };
        if self.errors.is_empty() {
            self.placement(&inventory);
        }
        inventory
    }

    fn ttl(&mut self, path: &KeyPath<'_>, ttl: Option<u32>) -> Option<u32> {
        match ttl {
            Some(ttl) if ttl > MAX_TTL => {
                self.error(
                    path,
                    format!(
                        "TTL {ttl} is too large; accepted: 0 to {MAX_TTL} seconds (RFC 2181 §8)"
                    ),
                );
                None
            }
            other => other,
        }
    }

    fn zones(&mut self, raw: &[String]) -> Vec<String> {
        if raw.is_empty() {
            self.error(
                &KeyPath::ROOT.key("zones"),
                "no forward zones declared; accepted: the zones you publish, e.g. `zones: [example.com]`",
            );
        }
        let mut zones: Vec<String> = Vec::new();
        for (i, zone) in raw.iter().enumerate() {
            let zones_key = KeyPath::ROOT.key("zones");
            let path = zones_key.index(i);
            match names::normalize_fqdn(zone, Charset::LdhUnderscore) {
                Ok(zone) if zones.contains(&zone) => {
                    self.error(&path, format!("zone `{zone}` is listed twice"));
                }
                Ok(zone) => zones.push(zone),
                Err(err) => self.error(&path, format!("invalid zone name: {err}")),
            }
        }
        zones
    }

    fn reverse_zones(&mut self, raw: &[String]) -> Vec<IpNet> {
        let mut zones: Vec<IpNet> = Vec::new();
        for (i, text) in raw.iter().enumerate() {
            let zones_key = KeyPath::ROOT.key("reverse_zones");
            let path = zones_key.index(i);
            let Some(net) = self.network(&path, text, None) else {
                continue;
            };
            if let Err(why) = reverse::check_zone_prefix(net) {
                self.error(&path, why.to_string());
            } else if zones.contains(&net) {
                self.error(&path, format!("reverse zone {net} is listed twice"));
            } else {
                zones.push(net);
            }
        }
        zones
    }

    /// Parses a network in CIDR notation (a bare address is a host route),
    /// rejecting host bits; `family` restricts it to IPv4 or IPv6.
    fn network(&mut self, path: &KeyPath<'_>, text: &str, family: Option<Family>) -> Option<IpNet> {
        let text = text.trim();
        let net = match text.parse::<IpNet>() {
            Ok(net) => net,
            Err(_) => match text.parse::<IpAddr>() {
                Ok(ip) => IpNet::from(ip),
                Err(_) => {
                    self.error(
                        path,
                        format!(
                            "`{text}` is not an IP network; accepted: an address or CIDR such as {}",
                            family.unwrap_or(Family::V4).example_net()
                        ),
                    );
                    return None;
                }
            },
        };
        if let Some(family) = family
            && !family.matches(net.addr())
        {
            self.error(path, family.wrong_family_message(text));
            return None;
        }
        if net.trunc() != net {
            self.error(
                path,
                format!(
                    "`{text}` has host bits set; accepted: the network address, here `{}` (or list the single address)",
                    net.trunc()
                ),
            );
            return None;
        }
        Some(net)
    }

    fn servers(&mut self, raw: &[RawServer]) -> Vec<Server> {
        let mut servers = Vec::new();
        let mut hostnames: HashMap<String, usize> = HashMap::with_capacity(raw.len());
        let addresses = raw.iter().map(|s| s.ipv4.len() + s.ipv6.len()).sum();
        let mut owners: HashMap<IpAddr, AddressSlot> = HashMap::with_capacity(addresses);
        for (i, server) in raw.iter().enumerate() {
            let servers_key = KeyPath::ROOT.key("servers");
            let path = servers_key.index(i);
            let hostname = match names::normalize_hostname(&server.hostname) {
                Ok(name) => name,
                Err(err) => {
                    self.error(
                        &path.key("hostname"),
                        format!(
                            "invalid host name: {err}; accepted: a public fully qualified name such as `mail.example.com`"
                        ),
                    );
                    server.hostname.to_ascii_lowercase()
                }
            };
            if let Some(first) = hostnames.insert(hostname.clone(), i) {
                self.error(
                    &path.key("hostname"),
                    format!("server `{hostname}` is already described at `servers[{first}]`"),
                );
            }
            let ttl = self.ttl(&path.key("ttl"), server.ttl);
            let helo = server.helo.as_ref().map(|h| h.trim().to_owned());
            let mut ipv4 = Vec::new();
            for (j, text) in server.ipv4.iter().enumerate() {
                let key = path.key("ipv4");
                let item = key.index(j);
                if let Some(IpAddr::V4(ip)) =
                    self.server_address(&item, (i, "ipv4", j), text, Family::V4, &mut owners)
                {
                    ipv4.push(ip);
                }
            }
            let mut ipv6 = Vec::new();
            for (j, text) in server.ipv6.iter().enumerate() {
                let key = path.key("ipv6");
                let item = key.index(j);
                if let Some(IpAddr::V6(ip)) =
                    self.server_address(&item, (i, "ipv6", j), text, Family::V6, &mut owners)
                {
                    ipv6.push(ip);
                }
            }
            if server.ipv4.is_empty() && server.ipv6.is_empty() {
                self.error(
                    &path,
                    format!(
                        "server `{hostname}` has no addresses; accepted: at least one entry under `ipv4` or `ipv6`"
                    ),
                );
            }
            servers.push(Server {
                hostname,
                helo,
                ipv4,
                ipv6,
                ttl,
            });
        }
        servers
    }

    fn server_address(
        &mut self,
        path: &KeyPath<'_>,
        at: AddressSlot,
        text: &str,
        family: Family,
        owners: &mut HashMap<IpAddr, AddressSlot>,
    ) -> Option<IpAddr> {
        let text = text.trim();
        let ip = match text.parse::<IpAddr>() {
            Ok(ip) => ip,
            Err(_) if text.contains('/') => {
                self.error(
                    path,
                    format!(
                        "`{text}` is a network; a server has single addresses (each gets a PTR); list networks under a domain's `ip4`/`ip6`"
                    ),
                );
                return None;
            }
            Err(_) => {
                self.error(
                    path,
                    format!(
                        "`{text}` is not an IP address; accepted: an {} address such as {}",
                        family.name(),
                        family.example_addr()
                    ),
                );
                return None;
            }
        };
        if !family.matches(ip) {
            self.error(path, family.wrong_family_message(text));
            return None;
        }
        if let Some((server, key, index)) = owners.get(&ip) {
            self.error(
                path,
                format!(
                    "{ip} is already listed at `servers[{server}].{key}[{index}]`; one address has one PTR, so it can belong to one server only"
                ),
            );
            return None;
        }
        owners.insert(ip, at);
        if let Some(block) = net::special_purpose_address(ip) {
            self.warn(path, special_warning(&ip.to_string(), block, "is in"));
        }
        Some(ip)
    }

    fn domains(
        &mut self,
        raw: &[RawDomain],
        raw_servers: &[RawServer],
        servers: &[Server],
    ) -> Vec<Domain> {
        let mut domains = Vec::new();
        let mut seen: HashMap<String, usize> = HashMap::new();
        let by_hostname: HashMap<&str, usize> = servers
            .iter()
            .enumerate()
            .map(|(i, s)| (s.hostname.as_str(), i))
            .collect();
        for (i, domain) in raw.iter().enumerate() {
            let domains_key = KeyPath::ROOT.key("domains");
            let path = domains_key.index(i);
            let name = match names::normalize_fqdn(&domain.name, Charset::Ldh) {
                Ok(name) => name,
                Err(err) => {
                    self.error(&path.key("name"), format!("invalid domain name: {err}"));
                    domain.name.to_ascii_lowercase()
                }
            };
            if let Some(first) = seen.insert(name.clone(), i) {
                self.error(
                    &path.key("name"),
                    format!(
                        "domain `{name}` is already described at `domains[{first}]`; a name has one SPF record, so merge the two entries"
                    ),
                );
            }
            let mut server_indexes = Vec::new();
            let mut listed = HashSet::new();
            for (j, hostname) in domain.servers.iter().enumerate() {
                let key = path.key("servers");
                let item = key.index(j);
                let wanted = hostname.trim().trim_end_matches('.').to_ascii_lowercase();
                match by_hostname.get(wanted.as_str()).copied() {
                    Some(index) if !listed.insert(index) => {
                        self.error(&item, format!("server `{wanted}` is listed twice"));
                    }
                    Some(index) => server_indexes.push(index),
                    None => {
                        let known: Vec<&str> =
                            raw_servers.iter().map(|s| s.hostname.as_str()).collect();
                        let accepted = if known.is_empty() {
                            "no servers are described under `servers`".to_owned()
                        } else {
                            format!("accepted: a hostname from `servers` ({})", known.join(", "))
                        };
                        self.error(
                            &item,
                            format!("server `{hostname}` is not defined; {accepted}"),
                        );
                    }
                }
            }
            let mut include = Vec::new();
            for (j, target) in domain.include.iter().enumerate() {
                let key = path.key("include");
                let item = key.index(j);
                match names::normalize_fqdn(target, Charset::LdhUnderscore) {
                    Ok(target) if include.contains(&target) => {
                        self.error(&item, format!("`{target}` is included twice; each include costs a DNS lookup"));
                    }
                    Ok(target) => include.push(target),
                    Err(err) => self.error(
                        &item,
                        format!("invalid include target: {err}; accepted: a domain that publishes SPF, such as `_spf.google.com`"),
                    ),
                }
            }
            let ip4 = self.extra_networks(&path, "ip4", &domain.ip4, Family::V4);
            let ip6 = self.extra_networks(&path, "ip6", &domain.ip6, Family::V6);
            let ip4 = ip4.into_iter().filter_map(|n| match n {
                IpNet::V4(n) => Some(n),
                IpNet::V6(_) => None,
            });
            let ip6 = ip6.into_iter().filter_map(|n| match n {
                IpNet::V6(n) => Some(n),
                IpNet::V4(_) => None,
            });
            let (ip4, ip6): (Vec<Ipv4Net>, Vec<Ipv6Net>) = (ip4.collect(), ip6.collect());
            let all = match domain.all.as_deref().map(str::trim) {
                None | Some("fail") => AllPolicy::Fail,
                Some("softfail") => AllPolicy::Softfail,
                Some(other @ ("pass" | "neutral")) => {
                    self.error(
                        &path.key("all"),
                        format!(
                            "`all: {other}` would let any host on the internet send as `{name}` ({}all); accepted: `fail` (-all, the default) or `softfail` (~all)",
                            if other == "pass" { "+" } else { "?" }
                        ),
                    );
                    AllPolicy::Fail
                }
                Some(other) => {
                    self.error(
                        &path.key("all"),
                        format!("unknown `all` policy `{other}`; accepted: `fail` (-all, the default) or `softfail` (~all)"),
                    );
                    AllPolicy::Fail
                }
            };
            if domain.servers.is_empty()
                && domain.include.is_empty()
                && domain.ip4.is_empty()
                && domain.ip6.is_empty()
            {
                self.error(
                    &path,
                    format!(
                        "domain `{name}` has no senders; accepted: at least one of `servers`, `include`, `ip4`, `ip6`"
                    ),
                );
            }
            let ttl = self.ttl(&path.key("ttl"), domain.ttl);
            let dmarc = domain
                .dmarc
                .as_ref()
                .and_then(|raw| self.dmarc(&path.key("dmarc"), raw));
            let dkim_selectors =
                self.dkim_selectors(&path.key("dkim_selectors"), &domain.dkim_selectors);
            domains.push(Domain {
                name,
                servers: server_indexes,
                include,
                ip4,
                ip6,
                all,
                ttl,
                dmarc,
                dkim_selectors,
            });
        }
        domains
    }

    fn dmarc(&mut self, path: &KeyPath<'_>, raw: &RawDmarc) -> Option<Dmarc> {
        let policy = |checker: &mut Self, key: &str, text: &str| {
            DmarcPolicy::parse(text.trim()).or_else(|| {
                checker.error(
                    &path.key(key),
                    format!("unknown DMARC policy `{text}`; accepted: none, quarantine, reject"),
                );
                None
            })
        };
        let alignment = |checker: &mut Self, key: &str, text: &Option<String>| {
            text.as_deref().and_then(|text| {
                Alignment::parse(text.trim()).or_else(|| {
                    checker.error(
                        &path.key(key),
                        format!("unknown alignment `{text}`; accepted: relaxed, strict"),
                    );
                    None
                })
            })
        };
        let main = policy(self, "policy", &raw.policy);
        let subdomain_policy = raw
            .subdomain_policy
            .as_deref()
            .and_then(|text| policy(self, "subdomain_policy", text));
        let adkim = alignment(self, "adkim", &raw.adkim);
        let aspf = alignment(self, "aspf", &raw.aspf);
        let rua = self.report_addresses(path, "rua", &raw.rua);
        let ruf = self.report_addresses(path, "ruf", &raw.ruf);
        Some(Dmarc {
            policy: main?,
            subdomain_policy,
            rua,
            ruf,
            adkim,
            aspf,
        })
    }

    /// Report addresses as `local@domain` (a `mailto:` prefix is accepted).
    fn report_addresses(&mut self, path: &KeyPath<'_>, key: &str, raw: &[String]) -> Vec<String> {
        let list = path.key(key);
        let mut addresses = Vec::new();
        for (j, text) in raw.iter().enumerate() {
            let text = text.trim();
            let address = text.strip_prefix("mailto:").unwrap_or(text);
            let valid = address.rsplit_once('@').and_then(|(local, domain)| {
                let local_ok = !local.is_empty()
                    && local
                        .chars()
                        .all(|c| c.is_ascii_graphic() && !",;!@".contains(c));
                let domain = names::normalize_fqdn(domain, Charset::LdhUnderscore).ok()?;
                local_ok.then(|| format!("{local}@{domain}"))
            });
            match valid {
                Some(address) => addresses.push(address),
                None => self.error(
                    &list.index(j),
                    format!(
                        "`{text}` is not a report address; accepted: an email address such as `dmarc-reports@example.com` (RFC 7489 §6.2), optionally with `mailto:`"
                    ),
                ),
            }
        }
        addresses
    }

    /// DKIM selectors: one or more LDH labels (RFC 6376 §3.1).
    fn dkim_selectors(&mut self, path: &KeyPath<'_>, raw: &[String]) -> Vec<String> {
        let mut selectors = Vec::new();
        for (j, text) in raw.iter().enumerate() {
            let selector = text.trim().to_ascii_lowercase();
            let valid = !selector.is_empty()
                && selector.split('.').all(|label| {
                    !label.is_empty()
                        && label.len() <= 63
                        && label
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                });
            if valid {
                selectors.push(selector);
            } else {
                self.error(
                    &path.index(j),
                    format!("`{text}` is not a DKIM selector; accepted: labels of letters, digits, `-` and `_`, e.g. `mail2024`"),
                );
            }
        }
        selectors
    }

    fn extra_networks(
        &mut self,
        path: &KeyPath<'_>,
        key: &str,
        raw: &[String],
        family: Family,
    ) -> Vec<IpNet> {
        let mut nets = Vec::new();
        for (j, text) in raw.iter().enumerate() {
            let list = path.key(key);
            let item = list.index(j);
            let Some(net) = self.network(&item, text, Some(family)) else {
                continue;
            };
            if nets.contains(&net) {
                self.error(&item, format!("{net} is listed twice"));
                continue;
            }
            if let Some(block) = net::special_purpose(net) {
                self.warn(&item, special_warning(&net.to_string(), block, "overlaps"));
            }
            nets.push(net);
        }
        nets
    }

    /// Every owner in a declared zone; every address in a declared reverse
    /// zone; at most one SPF record per owner.
    fn placement(&mut self, inventory: &Inventory) {
        let zones: HashSet<&str> = inventory.zones.iter().map(String::as_str).collect();
        let in_some_zone = |name: &str| names::suffixes(name).any(|s| zones.contains(s));
        let outside = |name: &str| {
            format!(
                "`{name}` is outside every declared zone; accepted: a name under one of `zones` ({}), or add its zone to `zones`",
                inventory.zones.join(", ")
            )
        };
        let hostnames: HashMap<&str, usize> = inventory
            .servers
            .iter()
            .enumerate()
            .map(|(i, s)| (s.hostname.as_str(), i))
            .collect();
        let servers_key = KeyPath::ROOT.key("servers");
        for (i, server) in inventory.servers.iter().enumerate() {
            let path = servers_key.index(i);
            if !in_some_zone(&server.hostname) {
                self.error(&path.key("hostname"), outside(&server.hostname));
            }
            if inventory.reverse_zones.is_empty() {
                continue;
            }
            let v4 = server
                .ipv4
                .iter()
                .enumerate()
                .map(|(j, ip)| ("ipv4", j, IpAddr::V4(*ip)));
            let v6 = server
                .ipv6
                .iter()
                .enumerate()
                .map(|(j, ip)| ("ipv6", j, IpAddr::V6(*ip)));
            for (key, j, ip) in v4.chain(v6) {
                if !inventory
                    .reverse_zones
                    .iter()
                    .any(|zone| zone.contains(&ip))
                {
                    let declared: Vec<String> = inventory
                        .reverse_zones
                        .iter()
                        .map(ToString::to_string)
                        .collect();
                    self.error(
                        &path.key(key).index(j),
                        format!(
                            "{ip} is outside every declared reverse zone ({}); add the zone that holds its PTR to `reverse_zones`",
                            declared.join(", ")
                        ),
                    );
                }
            }
        }
        let domains_key = KeyPath::ROOT.key("domains");
        for (i, domain) in inventory.domains.iter().enumerate() {
            let path = domains_key.index(i);
            if !in_some_zone(&domain.name) {
                self.error(&path.key("name"), outside(&domain.name));
            }
            if let Some(&index) = hostnames.get(domain.name.as_str())
                && !domain.servers.contains(&index)
            {
                self.error(
                    &path.key("name"),
                    format!(
                        "`{}` is both a server's HELO name and a sending domain, but the domain does not list that server; one name has one SPF record, so add `{}` to its `servers`",
                        domain.name, domain.name
                    ),
                );
            }
        }
    }
}

/// The warning for an address or network in special-purpose space.
fn special_warning(subject: &str, block: &net::SpecialBlock, relation: &str) -> String {
    let advice = if block.is_documentation() {
        "fine for examples; replace it with the real public address"
    } else {
        "receivers never see mail from such space and whitelist registries refuse SPF records that list it; use the public address the server sends from"
    };
    format!(
        "{subject} {relation} {} ({}, {}): {advice}",
        block.network, block.purpose, block.rfc
    )
}

#[derive(Debug, Clone, Copy)]
enum Family {
    V4,
    V6,
}

impl Family {
    fn matches(self, ip: IpAddr) -> bool {
        matches!(
            (self, ip),
            (Family::V4, IpAddr::V4(_)) | (Family::V6, IpAddr::V6(_))
        )
    }

    fn name(self) -> &'static str {
        match self {
            Family::V4 => "IPv4",
            Family::V6 => "IPv6",
        }
    }

    fn example_addr(self) -> IpAddr {
        match self {
            Family::V4 => IpAddr::V4(Ipv4Addr::new(203, 0, 113, 10)),
            Family::V6 => IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x25)),
        }
    }

    fn example_net(self) -> &'static str {
        match self {
            Family::V4 => "`192.0.2.0/28` or `192.0.2.7`",
            Family::V6 => "`2001:db8:10::/48` or `2001:db8::25`",
        }
    }

    fn wrong_family_message(self, text: &str) -> String {
        match self {
            Family::V4 => format!("`{text}` is an IPv6 address; list it under `ipv6`/`ip6`"),
            Family::V6 => format!("`{text}` is an IPv4 address; list it under `ipv4`/`ip4`"),
        }
    }
}
