//! Inventory tree → [`Inventory`], collecting every problem with its place.
//!
//! One walk over the tree read by [`raw::read`] checks the shape of every
//! value (unknown and repeated keys, lists given as text, numbers out of
//! range) and what it means (names, addresses, networks, references
//! between servers and domains), so that one run reports every problem of
//! the file. A problem found on a node is placed at that node; the few
//! found once the inventory is built are placed by their key path.

use std::borrow::Cow;
use std::cell::OnceCell;
use std::collections::hash_map::Entry;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;
use std::sync::{Arc, OnceLock};

use foldhash::{HashMap, HashMapExt, HashSet};
use ipnet::{IpNet, Ipv4Net, Ipv6Net};

use super::raw::{self, Node, Tree, Value};
use super::span::{At, Lines, Position, SpanIndex};
use super::suggest::closest;
use super::{
    Alignment, AllPolicy, BROADEST_IPV4_PREFIX, BROADEST_IPV6_PREFIX, ClasslessLabels, DEFAULT_TTL,
    DkimKey, DkimSelector, Dmarc, DmarcPolicy, Domain, Inventory, InventoryError, Loaded, Location,
    MAX_REPORTED, Problem, Server, dkim,
};
use super::{address, guard};
use crate::mailauth::dkim::key::{self as key_file, MAX_KEY_FILE_BYTES, Role};
use crate::mailauth::dkim::{
    KeyType, MAX_RSA_BITS, MIN_RSA_BITS, RECOMMENDED_RSA_BITS, is_selector,
};
use crate::names::{self, Charset, DomainName};
use crate::net;
use crate::reverse;
use crate::text;

/// Largest TTL DNS allows (RFC 2181 §8).
const MAX_TTL: u32 = 2_147_483_647;

const ROOT_KEYS: [&str; 6] = [
    "ttl",
    "zones",
    "reverse_zones",
    "classless_labels",
    "servers",
    "domains",
];
const SERVER_KEYS: [&str; 5] = ["hostname", "helo", "ipv4", "ipv6", "ttl"];
const DOMAIN_KEYS: [&str; 10] = [
    "name",
    "servers",
    "include",
    "ip4",
    "ip6",
    "all",
    "ttl",
    "dmarc",
    "dkim",
    "dkim_selectors",
];
const DKIM_KEYS: [&str; 7] = [
    "selector",
    "public_key",
    "private_key",
    "flags",
    "hash",
    "notes",
    "retired",
];
const DMARC_KEYS: [&str; 6] = ["policy", "subdomain_policy", "rua", "ruf", "adkim", "aspf"];
const NETWORK_KEYS: [&str; 2] = ["network", "broad"];

/// Up to how many declared zones a name is compared with each of them
/// rather than looked up by its suffixes.
const FEW_ZONES: usize = 8;

/// How many hostnames a "did you mean" compares an unknown server with.
const MAX_SUGGESTION_CANDIDATES: usize = 1_000;

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
    let refuse = |position: Position, path: &str, message: &str| InventoryError::Invalid {
        file: file.to_owned(),
        problems: vec![problem(file, position, path, message)],
        omitted: 0,
    };
    guard::check(text).map_err(|refusal| refuse(refusal.position, "", &refusal.message))?;
    let tree = raw::read(text).map_err(|err| {
        let offset = err.offset.unwrap_or_else(|| second_document(text));
        refuse(
            Lines::new(text).position(text, offset),
            &err.path,
            &err.message,
        )
    })?;
    let mut checker = Checker {
        file,
        text,
        tree: &tree,
        errors: Reports::default(),
        warnings: Reports::default(),
        documentation: Vec::new(),
        lines: OnceCell::new(),
        index: OnceCell::new(),
    };
    let inventory = checker.inventory(tree.root());
    checker.warn_documentation();
    let warnings = std::mem::take(&mut checker.warnings);
    let (warnings, omitted_warnings) = checker.resolve(warnings);
    if checker.errors.is_empty() {
        Ok(Loaded {
            inventory,
            warnings,
            omitted_warnings,
        })
    } else {
        let errors = std::mem::take(&mut checker.errors);
        let (problems, omitted) = checker.resolve(errors);
        Err(InventoryError::Invalid {
            file: file.to_owned(),
            problems,
            omitted,
        })
    }
}

/// A problem, its path and message escaped: both come from the file.
fn problem(file: &Path, position: Position, path: &str, message: &str) -> Problem {
    Problem {
        location: Location {
            file: file.to_owned(),
            position: Some(position),
            path: text::escape(path).into_owned(),
        },
        message: text::escape(message).into_owned(),
    }
}

/// Where a second document starts: serde_yaml refuses one without saying
/// where it is.
fn second_document(text: &str) -> usize {
    let mut content = false;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let marker = line.starts_with("---") || line.starts_with("...");
        if marker && content {
            return offset;
        }
        let trimmed = line.trim();
        content |= !marker && !trimmed.is_empty() && !trimmed.starts_with('#');
        offset += line.len();
    }
    text.len()
}

/// A server entry as checked: the server, or, when its host name is
/// invalid or missing, that name as written in lower case (empty when
/// missing), which domains may still refer to. An unnamed server fails the
/// file, so the inventory built from the entries leaves it out.
enum CheckedServer {
    Valid(Server),
    Unnamed(String),
}

impl CheckedServer {
    /// The host name domains refer to the server by.
    fn hostname(&self) -> &str {
        match self {
            CheckedServer::Valid(server) => &server.hostname,
            CheckedServer::Unnamed(hostname) => hostname,
        }
    }

    fn valid(self) -> Option<Server> {
        match self {
            CheckedServer::Valid(server) => Some(server),
            CheckedServer::Unnamed(_) => None,
        }
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

/// Problems as (key path, place if known, message), the first
/// [`MAX_REPORTED`] kept, the rest counted.
#[derive(Default)]
struct Reports {
    kept: Vec<(String, Option<At>, String)>,
    omitted: usize,
}

impl Reports {
    fn push(&mut self, path: &KeyPath<'_>, at: Option<At>, message: String) {
        if self.kept.len() < MAX_REPORTED {
            self.kept.push((path.render(), at, message));
        } else {
            self.omitted += 1;
        }
    }

    /// [`Reports::push`] with the path already rendered.
    fn push_rendered(&mut self, path: String, at: Option<At>, message: String) {
        if self.kept.len() < MAX_REPORTED {
            self.kept.push((path, at, message));
        } else {
            self.omitted += 1;
        }
    }

    fn is_empty(&self) -> bool {
        self.kept.is_empty()
    }

    fn is_full(&self) -> bool {
        self.kept.len() >= MAX_REPORTED
    }
}

/// The `t=` flags and `h=` hashes of a DKIM record file.
type RecordTags = (Vec<String>, Vec<String>);

/// Where a server address is listed: server index, `ipv4`/`ipv6`, index.
type AddressSlot = (usize, &'static str, usize);

/// Indexes by name, the names lent from the file when written in the form
/// the inventory keeps them in.
type ByName<'n> = HashMap<Cow<'n, str>, usize>;

/// `name`, lent from `written` when it is the same text: no copy of a
/// name written in its form.
fn lent_or_owned<'n>(written: Option<&Cow<'n, str>>, name: &str) -> Cow<'n, str> {
    match written {
        Some(Cow::Borrowed(text)) if *text == name => Cow::Borrowed(text),
        _ => Cow::Owned(name.to_owned()),
    }
}

/// The values of a mapping's known keys, each with its key node.
type Fields<'n, 'a, const N: usize> = [Option<(&'n Node<'a>, &'n Node<'a>)>; N];

/// Whether a field holds something: not absent, empty or an empty list.
fn nonempty(field: Option<(&Node<'_>, &Node<'_>)>) -> bool {
    given(field).is_some_and(|node| !matches!(node.value, Value::List { len: 0, .. }))
}

/// The value of a field, unless it is absent or empty (`key:` or `~`).
fn given<'n, 'a>(field: Option<(&'n Node<'a>, &'n Node<'a>)>) -> Option<&'n Node<'a>> {
    field
        .map(|(_, value)| value)
        .filter(|value| !matches!(value.value, Value::Null))
}

struct Checker<'n, 'a> {
    file: &'n Path,
    text: &'n str,
    tree: &'n Tree<'a>,
    errors: Reports,
    warnings: Reports,
    /// Documentation addresses (RFC 5737, RFC 3849) met, each as its path,
    /// place and the value shown: one warning for them all at the end.
    documentation: Vec<(String, At, String, String)>,
    lines: OnceCell<Lines>,
    /// Places by key path, for problems found after the walk.
    index: OnceCell<SpanIndex>,
}

impl<'n, 'a> Checker<'n, 'a> {
    fn error(&mut self, path: &KeyPath<'_>, at: At, message: impl Into<String>) {
        self.errors.push(path, Some(at), message.into());
    }

    fn warn(&mut self, path: &KeyPath<'_>, at: At, message: impl Into<String>) {
        self.warnings.push(path, Some(at), message.into());
    }

    /// A special-purpose address or network: a warning of its own, but
    /// documentation space, which examples use on purpose everywhere,
    /// waits for [`Checker::warn_documentation`].
    fn warn_special(&mut self, path: &KeyPath<'_>, at: At, net: &IpNet, block: &net::SpecialBlock) {
        if block.is_documentation() {
            self.documentation.push((
                path.render(),
                at,
                shown_network(net),
                special_warning(net, block),
            ));
        } else {
            self.warn(path, at, special_warning(net, block));
        }
    }

    /// The documentation addresses of the file: one warning at the first
    /// naming every value, so that an example's five addresses are one
    /// line before its records, not five.
    fn warn_documentation(&mut self) {
        /// Values named in the one warning; the rest are counted.
        const NAMED: usize = 10;
        let mut values: Vec<String> = self
            .documentation
            .iter()
            .take(NAMED)
            .map(|(path, _, shown, _)| format!("`{path}` {shown}"))
            .collect();
        if self.documentation.len() > NAMED {
            values.push(format!("and {} more", self.documentation.len() - NAMED));
        }
        let Some((path, at, _, one)) = self.documentation.first() else {
            return;
        };
        let (path, at) = (path.clone(), *at);
        let message = match values.as_slice() {
            [_] => one.clone(),
            _ => format!(
                "{} values are documentation space (RFC 5737, RFC 3849), fine for examples; replace them with the real public addresses: {}",
                self.documentation.len(),
                values.join(", ")
            ),
        };
        // Several values: the message names each path, the location the first.
        let path = if values.len() == 1 {
            path
        } else {
            String::new()
        };
        self.warnings.push_rendered(path, Some(at), message);
    }

    fn position(&self, at: At) -> Position {
        self.lines
            .get_or_init(|| Lines::new(self.text))
            .position(self.text, at.offset(self.text))
    }

    /// Problems located and in the order of the file.
    fn resolve(&self, reports: Reports) -> (Vec<Problem>, usize) {
        let mut problems: Vec<Problem> = reports
            .kept
            .into_iter()
            .map(|(path, at, message)| {
                let at = at
                    .or_else(|| {
                        self.index
                            .get_or_init(|| SpanIndex::build(self.tree))
                            .locate(&path)
                    })
                    .unwrap_or(self.tree.root().at);
                problem(self.file, self.position(at), &path, &message)
            })
            .collect();
        problems.sort_by_key(|p| p.location.position);
        (problems, reports.omitted)
    }

    /// The known keys of a mapping, or `None` when `node` is not one.
    /// Unknown and repeated keys are reported; `unknown` tells whether
    /// there were any.
    fn mapping<const N: usize>(
        &mut self,
        node: &'n Node<'a>,
        path: &KeyPath<'_>,
        keys: [&'static str; N],
        what: &str,
        unknown: &mut bool,
    ) -> Option<Fields<'n, 'a, N>> {
        if !matches!(node.value, Value::Map { .. }) {
            self.error(
                path,
                node.at,
                format!("found {} where {what} is expected", found(&node.value)),
            );
            return None;
        }
        let mut fields: Fields<'n, 'a, N> = [None; N];
        for (key, value) in self.tree.entries(node) {
            let Value::Text(name) = &key.value else {
                *unknown = true;
                self.error(
                    path,
                    key.at,
                    format!(
                        "found {} as a key; accepted: {}",
                        found(&key.value),
                        accepted_keys(&keys)
                    ),
                );
                continue;
            };
            let key_path = path.key(name);
            match keys.iter().position(|k| k == name) {
                Some(i) => match fields[i] {
                    Some((first, _)) => {
                        let Position { line, column } = self.position(first.at);
                        self.error(
                            &key_path,
                            key.at,
                            format!(
                                "`{name}` is given twice in this mapping (first at line {line} column {column}); YAML keeps one value per key, so merge the two"
                            ),
                        );
                    }
                    None => fields[i] = Some((key, value)),
                },
                None => {
                    *unknown = true;
                    let hint = did_you_mean(name, keys);
                    self.error(
                        &key_path,
                        key.at,
                        format!(
                            "unknown field `{}`{hint}; accepted: {}",
                            clip(name),
                            accepted_keys(&keys)
                        ),
                    );
                }
            }
        }
        Some(fields)
    }

    /// A scalar as text; numbers and booleans read as they are written.
    fn text(&mut self, node: &'n Node<'a>, path: &KeyPath<'_>, what: &str) -> Option<Cow<'n, str>> {
        let text = node.value.as_text();
        if text.is_none() {
            self.error(
                path,
                node.at,
                format!("found {} where {what} is expected", found(&node.value)),
            );
        }
        text
    }

    /// An optional `true`/`false` at `path`: false when absent; anything
    /// else is an error that says what is accepted (and reads as false).
    fn flag(&mut self, node: Option<&Node<'_>>, path: &KeyPath<'_>) -> bool {
        match node {
            None => false,
            Some(Node {
                value: Value::Bool(b),
                ..
            }) => *b,
            Some(node) => {
                self.error(
                    path,
                    node.at,
                    format!(
                        "found {} where `true` or `false` is expected",
                        found(&node.value)
                    ),
                );
                false
            }
        }
    }

    /// A key every such mapping needs.
    fn required(
        &mut self,
        field: Option<(&'n Node<'a>, &'n Node<'a>)>,
        mapping: &'n Node<'a>,
        path: &KeyPath<'_>,
        key: &str,
        what: &str,
    ) -> Option<Cow<'n, str>> {
        let key_path = path.key(key);
        match given(field) {
            Some(node) => self.text(node, &key_path, what),
            None => {
                let (at, wrong) = match field {
                    Some((_, value)) => (value.at, "is empty"),
                    None => (mapping.at, "is missing"),
                };
                self.error(&key_path, at, format!("`{key}` {wrong}; accepted: {what}"));
                None
            }
        }
    }

    /// A list, or `None` (reported) when the value is something else. An
    /// absent or empty value is an empty list.
    fn list(
        &mut self,
        node: Option<&'n Node<'a>>,
        path: &KeyPath<'_>,
        (what, example): (&str, &str),
    ) -> Option<&'n [Node<'a>]> {
        let Some(node) = node else {
            return Some(&[]);
        };
        match &node.value {
            Value::Null => Some(&[]),
            Value::List { .. } => Some(self.tree.items(node)),
            other => {
                // A single value is most likely meant as a list of one.
                let example = match other.as_text() {
                    Some(text) => format!("; here `[{}]`", clip(&text)),
                    None => format!(" such as `{example}`"),
                };
                self.error(
                    path,
                    node.at,
                    format!(
                        "found {} where a list is expected; accepted: a list of {what}{example}",
                        found(other)
                    ),
                );
                None
            }
        }
    }

    fn ttl(&mut self, node: Option<&'n Node<'a>>, path: &KeyPath<'_>) -> Option<u32> {
        let node = node?;
        let accepted = format!("accepted: whole seconds from 0 to {MAX_TTL} (RFC 2181 §8)");
        match &node.value {
            Value::UInt(ttl) if *ttl <= u64::from(MAX_TTL) => {
                return Some(*ttl as u32);
            }
            Value::UInt(ttl) => {
                self.error(path, node.at, format!("TTL {ttl} is too large; {accepted}"));
            }
            Value::Text(text) if text.trim().parse::<u32>().is_ok() => {
                self.error(
                    path,
                    node.at,
                    format!(
                        "invalid TTL: `{}` is quoted text; {accepted}, written without quotes",
                        clip(text)
                    ),
                );
            }
            other => {
                self.error(
                    path,
                    node.at,
                    format!("invalid TTL: {}; {accepted}", found(other)),
                );
            }
        }
        None
    }

    fn inventory(&mut self, root: &'n Node<'a>) -> Inventory {
        let path = KeyPath::ROOT;
        let mut unknown = false;
        let fields = self
            .mapping(
                root,
                &path,
                ROOT_KEYS,
                "a mapping with `zones`, `servers` and `domains`",
                &mut unknown,
            )
            .unwrap_or([None; 6]);
        let [
            ttl,
            zones,
            reverse_zones,
            classless_labels,
            servers,
            domains,
        ] = fields;
        let ttl = self
            .ttl(given(ttl), &path.key("ttl"))
            .unwrap_or(DEFAULT_TTL);
        let zones = self.zones(zones.map(|(_, v)| v));
        let reverse_zones = self.reverse_zones(given(reverse_zones));
        let classless_labels = self.classless_labels(given(classless_labels));
        let raw_servers = self.list(
            given(servers),
            &path.key("servers"),
            (
                "servers",
                "[{hostname: mail.example.com, ipv4: [203.0.113.10]}]",
            ),
        );
        let raw_domains = self.list(
            given(domains),
            &path.key("domains"),
            (
                "domains",
                "[{name: example.com, servers: [mail.example.com]}]",
            ),
        );
        let (servers, by_hostname) = self.servers(raw_servers.unwrap_or(&[]));
        let domains = self.domains(raw_domains.unwrap_or(&[]), &servers, &by_hostname);
        let servers = servers
            .into_iter()
            .filter_map(CheckedServer::valid)
            .collect();
        if matches!(root.value, Value::Map { .. })
            && raw_servers.is_some_and(<[_]>::is_empty)
            && raw_domains.is_some_and(<[_]>::is_empty)
        {
            self.error(
                &path,
                root.at,
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
            source: Arc::from(self.text),
            spans: OnceLock::new(),
        };
        if self.errors.is_empty() {
            self.placement(&inventory, &by_hostname);
        }
        inventory
    }

    fn zones(&mut self, node: Option<&'n Node<'a>>) -> Vec<DomainName> {
        let zones_key = KeyPath::ROOT.key("zones");
        let Some(items) = self.list(node, &zones_key, ("zones", "[example.com]")) else {
            return Vec::new();
        };
        if items.is_empty() {
            let at = node.map_or(self.tree.root().at, |n| n.at);
            self.error(
                &zones_key,
                at,
                "no forward zones declared; accepted: the zones you publish, e.g. `zones: [example.com]`",
            );
        }
        let mut zones: Vec<DomainName> = Vec::new();
        let mut seen: HashMap<DomainName, usize> = HashMap::new();
        for (i, item) in items.iter().enumerate() {
            let path = zones_key.index(i);
            let Some(zone) = self.text(item, &path, "a zone name") else {
                continue;
            };
            match DomainName::new(&zone, Charset::LdhUnderscore) {
                Ok(zone) => match seen.get(&zone) {
                    Some(first) => {
                        self.error(
                            &path,
                            item.at,
                            format!(
                                "zone `{zone}` is a duplicate of `zones[{first}]`; list it once"
                            ),
                        );
                    }
                    None => {
                        seen.insert(zone.clone(), i);
                        zones.push(zone);
                    }
                },
                Err(err) => self.error(&path, item.at, format!("invalid zone name: {err}")),
            }
        }
        zones
    }

    fn reverse_zones(&mut self, node: Option<&'n Node<'a>>) -> Vec<IpNet> {
        let zones_key = KeyPath::ROOT.key("reverse_zones");
        let items = self
            .list(node, &zones_key, ("networks", "[203.0.113.0/24]"))
            .unwrap_or(&[]);
        let mut zones: Vec<IpNet> = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let path = zones_key.index(i);
            let Some(text) = self.text(item, &path, "a network such as `203.0.113.0/24`") else {
                continue;
            };
            let Some(net) = self.network(&path, item.at, &text, None) else {
                continue;
            };
            if let Err(why) = reverse::check_zone_prefix(net) {
                self.error(&path, item.at, why.to_string());
            } else if let Some(first) = zones.iter().position(|z| *z == net) {
                self.error(
                    &path,
                    item.at,
                    format!("reverse zone {net} is a duplicate of `reverse_zones[{first}]`; list it once"),
                );
            } else {
                zones.push(net);
            }
        }
        zones
    }

    fn classless_labels(&mut self, node: Option<&'n Node<'a>>) -> ClasslessLabels {
        let Some(node) = node else {
            return ClasslessLabels::Rfc4183;
        };
        let path = KeyPath::ROOT.key("classless_labels");
        let accepted = "accepted: `rfc4183` (64-26.100.51.198.in-addr.arpa, the default) or `rfc2317` (64/26.100.51.198.in-addr.arpa)";
        match self
            .text(node, &path, "`rfc4183` or `rfc2317`")
            .as_deref()
            .map(str::trim)
        {
            None | Some("rfc4183") => ClasslessLabels::Rfc4183,
            Some("rfc2317") => ClasslessLabels::Rfc2317,
            Some(other) => {
                let hint = did_you_mean(other, ["rfc4183", "rfc2317"]);
                self.error(
                    &path,
                    node.at,
                    format!("unknown label style `{}`{hint}; {accepted}", clip(other)),
                );
                ClasslessLabels::Rfc4183
            }
        }
    }

    /// Parses a network in CIDR notation (a bare address is a host route),
    /// rejecting host bits; `family` restricts it to IPv4 or IPv6.
    fn network(
        &mut self,
        path: &KeyPath<'_>,
        at: At,
        text: &str,
        family: Option<Family>,
    ) -> Option<IpNet> {
        let text = text.trim();
        let net = match text.parse::<IpNet>() {
            Ok(net) => net,
            Err(_) => match text.parse::<IpAddr>() {
                Ok(ip) => IpNet::from(ip),
                Err(_) => {
                    self.error(
                        path,
                        at,
                        format!(
                            "`{}` is not an IP network; accepted: an address or CIDR such as {}",
                            clip(text),
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
            self.error(path, at, family.wrong_family_message(text));
            return None;
        }
        if net.trunc() != net {
            self.error(
                path,
                at,
                format!(
                    "`{text}` has host bits set; accepted: the network address, here `{}` (or list the single address)",
                    net.trunc()
                ),
            );
            return None;
        }
        Some(net)
    }

    /// The server entries, and the index of each by host name (the last
    /// entry of a name given twice).
    fn servers(&mut self, raw: &'n [Node<'a>]) -> (Vec<CheckedServer>, ByName<'n>) {
        let mut servers = Vec::with_capacity(raw.len());
        let mut hostnames: ByName<'n> = HashMap::with_capacity(raw.len());
        let mut owners: HashMap<IpAddr, AddressSlot> = HashMap::with_capacity(raw.len() * 3);
        let servers_key = KeyPath::ROOT.key("servers");
        for (i, node) in raw.iter().enumerate() {
            let path = servers_key.index(i);
            let mut unknown = false;
            let Some(fields) = self.mapping(
                node,
                &path,
                SERVER_KEYS,
                "a server mapping (`hostname`, `ipv4`, `ipv6`)",
                &mut unknown,
            ) else {
                continue;
            };
            let [hostname, helo, ipv4, ipv6, ttl] = fields;
            let what = "the server's public name, such as `mail.example.com`";
            let raw_hostname = self.required(hostname, node, &path, "hostname", what);
            let hostname_at = given(hostname).map_or(node.at, |n| n.at);
            let checked = match raw_hostname.as_deref().map(DomainName::host) {
                Some(Ok(name)) => Ok(name),
                Some(Err(err)) => {
                    self.error(
                        &path.key("hostname"),
                        hostname_at,
                        format!(
                            "invalid host name: {err}; accepted: a public fully qualified name such as `mail.example.com`"
                        ),
                    );
                    Err(raw_hostname
                        .as_deref()
                        .unwrap_or_default()
                        .to_ascii_lowercase())
                }
                None => Err(String::new()),
            };
            let hostname = match &checked {
                Ok(name) => name.as_str(),
                Err(text) => text.as_str(),
            };
            // Domains refer to unnamed servers too, by what was written.
            let first = hostnames.insert(lent_or_owned(raw_hostname.as_ref(), hostname), i);
            if !hostname.is_empty()
                && let Some(first) = first
            {
                self.error(
                    &path.key("hostname"),
                    hostname_at,
                    format!("server `{hostname}` is already described at `servers[{first}]`"),
                );
            }
            let ttl = self.ttl(given(ttl), &path.key("ttl"));
            let helo = given(helo)
                .and_then(|node| self.text(node, &path.key("helo"), "a host name"))
                .map(|h| h.trim().to_owned());
            let has_addresses = nonempty(ipv4) || nonempty(ipv6);
            let (mut v4, mut v6) = (Vec::new(), Vec::new());
            for (family, field) in [(Family::V4, ipv4), (Family::V6, ipv6)] {
                let key = path.key(family.server_key());
                let items = self
                    .list(given(field), &key, family.address_list())
                    .unwrap_or(&[]);
                match family {
                    Family::V4 => v4.reserve_exact(items.len()),
                    Family::V6 => v6.reserve_exact(items.len()),
                }
                let what = family.address();
                for (j, item) in items.iter().enumerate() {
                    let item_path = key.index(j);
                    let slot = (i, family.server_key(), j);
                    let Some(text) = self.text(item, &item_path, what) else {
                        continue;
                    };
                    match self.server_address(&item_path, item.at, slot, &text, family, &mut owners)
                    {
                        Some(IpAddr::V4(ip)) => v4.push(ip),
                        Some(IpAddr::V6(ip)) => v6.push(ip),
                        None => {}
                    }
                }
            }
            if !has_addresses && !unknown {
                let server = match hostname {
                    "" => "this server".to_owned(),
                    name => format!("server `{name}`"),
                };
                self.error(
                    &path,
                    node.at,
                    format!(
                        "{server} has no addresses; accepted: at least one entry under `ipv4` or `ipv6`"
                    ),
                );
            }
            servers.push(match checked {
                Ok(hostname) => CheckedServer::Valid(Server {
                    hostname,
                    helo,
                    ipv4: v4,
                    ipv6: v6,
                    ttl,
                }),
                Err(hostname) => CheckedServer::Unnamed(hostname),
            });
        }
        (servers, hostnames)
    }

    fn server_address(
        &mut self,
        path: &KeyPath<'_>,
        at: At,
        slot: AddressSlot,
        text: &str,
        family: Family,
        owners: &mut HashMap<IpAddr, AddressSlot>,
    ) -> Option<IpAddr> {
        let text = text.trim();
        let ip = match address::parse(text) {
            Some(ip) => ip,
            None if text.contains('/') => {
                self.error(
                    path,
                    at,
                    format!(
                        "`{}` is a network; a server has single addresses (each gets a PTR); list networks under a domain's `ip4`/`ip6`",
                        clip(text)
                    ),
                );
                return None;
            }
            None => {
                self.error(
                    path,
                    at,
                    format!(
                        "`{}` is not an IP address; accepted: an {} address such as {}",
                        clip(text),
                        family.name(),
                        family.example_addr()
                    ),
                );
                return None;
            }
        };
        if !family.matches(ip) {
            self.error(path, at, family.wrong_family_message(text));
            return None;
        }
        match owners.entry(ip) {
            Entry::Occupied(first) => {
                let (server, key, index) = first.get();
                self.error(
                    path,
                    at,
                    format!(
                        "{ip} is already listed at `servers[{server}].{key}[{index}]`; one address has one PTR, so it can belong to one server only"
                    ),
                );
                return None;
            }
            Entry::Vacant(slot_of) => {
                slot_of.insert(slot);
            }
        }
        if let Some(block) = net::special_purpose_address(ip) {
            self.warn_special(path, at, &IpNet::from(ip), block);
        }
        Some(ip)
    }

    fn domains(
        &mut self,
        raw: &'n [Node<'a>],
        servers: &[CheckedServer],
        by_hostname: &ByName<'n>,
    ) -> Vec<Domain> {
        let mut domains = Vec::with_capacity(raw.len());
        let mut seen: ByName<'n> = HashMap::with_capacity(raw.len());
        let domains_key = KeyPath::ROOT.key("domains");
        for (i, node) in raw.iter().enumerate() {
            let path = domains_key.index(i);
            let mut unknown = false;
            let Some(fields) = self.mapping(
                node,
                &path,
                DOMAIN_KEYS,
                "a domain mapping (`name`, `servers`, `include`)",
                &mut unknown,
            ) else {
                continue;
            };
            let [
                name_field,
                servers_field,
                include,
                ip4,
                ip6,
                all,
                ttl,
                dmarc,
                dkim,
                dkim_selectors,
            ] = fields;
            let name_at = given(name_field).map_or(node.at, |n| n.at);
            let raw_name = self.required(
                name_field,
                node,
                &path,
                "name",
                "the domain that sends mail, such as `example.com`",
            );
            let checked = match raw_name
                .as_deref()
                .map(|n| DomainName::new(n, Charset::Ldh))
            {
                Some(Ok(name)) => Ok(name),
                Some(Err(err)) => {
                    self.error(
                        &path.key("name"),
                        name_at,
                        format!("invalid domain name: {err}"),
                    );
                    Err(raw_name.as_deref().unwrap_or_default().to_ascii_lowercase())
                }
                None => Err(String::new()),
            };
            let name = match &checked {
                Ok(name) => name.as_str(),
                Err(text) => text.as_str(),
            };
            if !name.is_empty()
                && let Some(first) = seen.insert(lent_or_owned(raw_name.as_ref(), name), i)
            {
                self.error(
                    &path.key("name"),
                    name_at,
                    format!(
                        "domain `{name}` is already described at `domains[{first}]`; a name has one SPF record, so merge the two entries"
                    ),
                );
            }
            let senders = [servers_field, include, ip4, ip6].into_iter().any(nonempty);
            let server_indexes =
                self.domain_servers(&path, given(servers_field), servers, by_hostname);
            let include = self.includes(&path, given(include));
            let ip4 = self.extra_networks(&path, "ip4", given(ip4), Family::V4, name);
            let ip6 = self.extra_networks(&path, "ip6", given(ip6), Family::V6, name);
            let all = self.all(&path, given(all), name);
            if !senders && !unknown {
                let domain = match name {
                    "" => "this domain".to_owned(),
                    name => format!("domain `{name}`"),
                };
                self.error(
                    &path,
                    node.at,
                    format!(
                        "{domain} has no senders; accepted: at least one of `servers`, `include`, `ip4`, `ip6`"
                    ),
                );
            }
            let ttl = self.ttl(given(ttl), &path.key("ttl"));
            let dmarc = given(dmarc).and_then(|node| self.dmarc(&path.key("dmarc"), node));
            let dkim = self.dkim(&path, name, given(dkim), given(dkim_selectors));
            // A domain without a valid name fails the file: it is left out.
            let Ok(name) = checked else {
                continue;
            };
            domains.push(Domain {
                name,
                servers: server_indexes,
                include,
                ip4: ip4
                    .into_iter()
                    .filter_map(|n| match n {
                        IpNet::V4(n) => Some(n),
                        IpNet::V6(_) => None,
                    })
                    .collect::<Vec<Ipv4Net>>(),
                ip6: ip6
                    .into_iter()
                    .filter_map(|n| match n {
                        IpNet::V6(n) => Some(n),
                        IpNet::V4(_) => None,
                    })
                    .collect::<Vec<Ipv6Net>>(),
                all,
                ttl,
                dmarc,
                dkim,
            });
        }
        domains
    }

    /// The servers a domain lists, as indexes into `servers`.
    fn domain_servers(
        &mut self,
        path: &KeyPath<'_>,
        node: Option<&'n Node<'a>>,
        servers: &[CheckedServer],
        by_hostname: &ByName<'_>,
    ) -> Vec<usize> {
        let key = path.key("servers");
        let items = self
            .list(
                node,
                &key,
                ("hostnames from `servers`", "[mail.example.com]"),
            )
            .unwrap_or(&[]);
        let mut indexes = Vec::with_capacity(items.len());
        let mut listed: HashMap<usize, usize> = HashMap::with_capacity(items.len());
        for (j, item) in items.iter().enumerate() {
            let item_path = key.index(j);
            let Some(hostname) = self.text(item, &item_path, "a hostname from `servers`") else {
                continue;
            };
            let wanted = names::normal_form(hostname.trim());
            match by_hostname.get(wanted.as_ref()).copied() {
                Some(index) => match listed.get(&index) {
                    Some(first) => {
                        self.error(
                            &item_path,
                            item.at,
                            format!(
                                "server `{wanted}` is a duplicate of `{}.servers[{first}]`; list it once",
                                path.render()
                            ),
                        );
                    }
                    None => {
                        listed.insert(index, j);
                        indexes.push(index);
                    }
                },
                None => {
                    let message = if servers.is_empty() {
                        format!(
                            "server `{}` is not defined; no servers are described under `servers`",
                            clip(&hostname)
                        )
                    } else {
                        let names = || servers.iter().map(CheckedServer::hostname);
                        // Past the reported problems only the count matters.
                        let hint = if servers.len() <= MAX_SUGGESTION_CANDIDATES
                            && !self.errors.is_full()
                        {
                            did_you_mean(&wanted, names())
                        } else {
                            String::new()
                        };
                        let shown: Vec<&str> = names().take(5).collect();
                        let more = match servers.len().saturating_sub(shown.len()) {
                            0 => String::new(),
                            n => format!(" and {n} more"),
                        };
                        format!(
                            "server `{}` is not defined{hint}; accepted: a hostname from `servers` ({}{more})",
                            clip(&hostname),
                            shown.join(", ")
                        )
                    };
                    self.error(&item_path, item.at, message);
                }
            }
        }
        indexes
    }

    fn includes(&mut self, path: &KeyPath<'_>, node: Option<&'n Node<'a>>) -> Vec<DomainName> {
        let key = path.key("include");
        let items = self
            .list(
                node,
                &key,
                ("domains that publish SPF", "[_spf.google.com]"),
            )
            .unwrap_or(&[]);
        let mut include: Vec<DomainName> = Vec::new();
        for (j, item) in items.iter().enumerate() {
            let item_path = key.index(j);
            let Some(target) = self.text(item, &item_path, "a domain that publishes SPF") else {
                continue;
            };
            match DomainName::new(&target, Charset::LdhUnderscore) {
                Ok(target) => match include.iter().position(|t| *t == target) {
                    Some(first) => self.error(
                        &item_path,
                        item.at,
                        format!(
                            "`{target}` is a duplicate of `{}.include[{first}]`; each include costs a DNS lookup, list it once",
                            path.render()
                        ),
                    ),
                    None => include.push(target),
                },
                Err(err) => self.error(
                    &item_path,
                    item.at,
                    format!("invalid include target: {err}; accepted: a domain that publishes SPF, such as `_spf.google.com`"),
                ),
            }
        }
        include
    }

    fn all(&mut self, path: &KeyPath<'_>, node: Option<&'n Node<'a>>, name: &str) -> AllPolicy {
        let Some(node) = node else {
            return AllPolicy::Fail;
        };
        let key = path.key("all");
        let accepted = "accepted: `fail` (-all, the default) or `softfail` (~all)";
        let Some(text) = self.text(node, &key, "`fail` or `softfail`") else {
            return AllPolicy::Fail;
        };
        match text.trim() {
            "fail" => AllPolicy::Fail,
            "softfail" => AllPolicy::Softfail,
            other @ ("pass" | "neutral" | "+all" | "?all" | "+" | "?") => {
                let qualifier = if other.starts_with('p') || other.starts_with('+') {
                    "+"
                } else {
                    "?"
                };
                self.error(
                    &key,
                    node.at,
                    format!(
                        "`all: {other}` would let any host on the internet send as `{name}` ({qualifier}all); {accepted}"
                    ),
                );
                AllPolicy::Fail
            }
            other => {
                // SPF's own spelling of the qualifiers is the likeliest slip.
                let hint = match other {
                    "-all" | "-" | "hardfail" => " (did you mean `fail`?)".to_owned(),
                    "~all" | "~" => " (did you mean `softfail`?)".to_owned(),
                    _ => did_you_mean(other, ["fail", "softfail"]),
                };
                self.error(
                    &key,
                    node.at,
                    format!("unknown `all` policy `{}`{hint}; {accepted}", clip(other)),
                );
                AllPolicy::Fail
            }
        }
    }

    fn dmarc(&mut self, path: &KeyPath<'_>, node: &'n Node<'a>) -> Option<Dmarc> {
        let mut unknown = false;
        let fields = self.mapping(
            node,
            path,
            DMARC_KEYS,
            "a DMARC mapping (`policy`, `rua`, …)",
            &mut unknown,
        )?;
        let [policy, subdomain_policy, rua, ruf, adkim, aspf] = fields;
        let accepted_policy = "accepted: none, quarantine, reject";
        let parse_policy = |checker: &mut Self, key: &str, node: &'n Node<'a>| {
            let key_path = path.key(key);
            let text = checker.text(node, &key_path, "`none`, `quarantine` or `reject`")?;
            DmarcPolicy::parse(text.trim()).or_else(|| {
                let hint = did_you_mean(text.trim(), ["none", "quarantine", "reject"]);
                checker.error(
                    &key_path,
                    node.at,
                    format!(
                        "unknown DMARC policy `{}`{hint}; {accepted_policy}",
                        clip(&text)
                    ),
                );
                None
            })
        };
        let main = match given(policy) {
            Some(node) => parse_policy(self, "policy", node),
            None => {
                let (at, wrong) = match policy {
                    Some((_, value)) => (value.at, "is empty"),
                    None => (node.at, "is missing"),
                };
                self.error(
                    &path.key("policy"),
                    at,
                    format!("`policy` {wrong}; {accepted_policy}"),
                );
                None
            }
        };
        let subdomain_policy =
            given(subdomain_policy).and_then(|node| parse_policy(self, "subdomain_policy", node));
        let alignment = |checker: &mut Self, key: &str, node: Option<&'n Node<'a>>| {
            let node = node?;
            let key_path = path.key(key);
            let accepted = "accepted: relaxed, strict";
            let text = checker.text(node, &key_path, "`relaxed` or `strict`")?;
            Alignment::parse(text.trim()).or_else(|| {
                // DMARC writes them `r` and `s`.
                let hint = match text.trim() {
                    "r" => " (did you mean `relaxed`?)".to_owned(),
                    "s" => " (did you mean `strict`?)".to_owned(),
                    other => did_you_mean(other, ["relaxed", "strict"]),
                };
                checker.error(
                    &key_path,
                    node.at,
                    format!("unknown alignment `{}`{hint}; {accepted}", clip(&text)),
                );
                None
            })
        };
        let adkim = alignment(self, "adkim", given(adkim));
        let aspf = alignment(self, "aspf", given(aspf));
        let rua = self.report_addresses(path, "rua", given(rua));
        let ruf = self.report_addresses(path, "ruf", given(ruf));
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
    fn report_addresses(
        &mut self,
        path: &KeyPath<'_>,
        key: &str,
        node: Option<&'n Node<'a>>,
    ) -> Vec<String> {
        let list = path.key(key);
        let items = self
            .list(
                node,
                &list,
                ("report addresses", "[dmarc-reports@example.com]"),
            )
            .unwrap_or(&[]);
        let mut addresses = Vec::new();
        for (j, item) in items.iter().enumerate() {
            let item_path = list.index(j);
            let Some(text) = self.text(item, &item_path, "a report address") else {
                continue;
            };
            let text = text.trim();
            let address = text.strip_prefix("mailto:").unwrap_or(text);
            let valid = address.rsplit_once('@').and_then(|(local, domain)| {
                let local_ok = !local.is_empty()
                    && local
                        .chars()
                        .all(|c| c.is_ascii_graphic() && !",;!@".contains(c));
                let domain = DomainName::new(domain, Charset::LdhUnderscore).ok()?;
                local_ok.then(|| format!("{local}@{domain}"))
            });
            match valid {
                Some(address) => addresses.push(address),
                None => self.error(
                    &item_path,
                    item.at,
                    format!(
                        "`{}` is not a report address; accepted: an email address such as `dmarc-reports@example.com` (RFC 7489 §6.2), optionally with `mailto:`",
                        clip(text)
                    ),
                ),
            }
        }
        addresses
    }

    /// A domain's DKIM selectors: its `dkim` entries, then the selectors
    /// of the older `dkim_selectors` list (entries without a key).
    fn dkim(
        &mut self,
        path: &KeyPath<'_>,
        domain: &str,
        entries: Option<&'n Node<'a>>,
        legacy: Option<&'n Node<'a>>,
    ) -> Vec<DkimSelector> {
        let mut selectors: Vec<DkimSelector> = Vec::new();
        // Where each selector was first given, for duplicates.
        let mut places: Vec<String> = Vec::new();
        let list = path.key("dkim");
        let items = self
            .list(
                entries,
                &list,
                (
                    "DKIM selectors",
                    "[{selector: mail2024, private_key: keys/mail2024.pem}]",
                ),
            )
            .unwrap_or(&[]);
        for (j, item) in items.iter().enumerate() {
            let item_path = list.index(j);
            let Some((entry, at)) = self.dkim_entry(&item_path, item, domain) else {
                continue;
            };
            self.add_selector(&item_path, at, entry, &mut selectors, &mut places);
        }
        let list = path.key("dkim_selectors");
        let items = self
            .list(legacy, &list, ("DKIM selectors", "[mail2024]"))
            .unwrap_or(&[]);
        for (j, item) in items.iter().enumerate() {
            let item_path = list.index(j);
            let Some(selector) = self.selector(&item_path, item, domain) else {
                continue;
            };
            let entry = DkimSelector {
                selector,
                key: None,
                flags: Vec::new(),
                hashes: Vec::new(),
                notes: None,
                retired: false,
            };
            self.add_selector(&item_path, item.at, entry, &mut selectors, &mut places);
        }
        let active: Vec<Option<KeyType>> = selectors
            .iter()
            .filter(|s| !s.retired)
            .map(DkimSelector::key_type)
            .collect();
        if !active.is_empty() && active.iter().all(|k| *k == Some(KeyType::Ed25519)) {
            let at = entries.map_or(self.tree.root().at, |n| n.at);
            self.warn(
                &path.key("dkim"),
                at,
                format!(
                    "every DKIM key of `{domain}` is Ed25519, which many receivers do not verify yet: sign with an RSA key too, under a selector of its own (RFC 8463 §1)"
                ),
            );
        }
        selectors
    }

    /// Adds `entry` unless its selector is already listed.
    fn add_selector(
        &mut self,
        path: &KeyPath<'_>,
        at: At,
        entry: DkimSelector,
        selectors: &mut Vec<DkimSelector>,
        places: &mut Vec<String>,
    ) {
        match selectors.iter().position(|s| s.selector == entry.selector) {
            Some(first) => self.error(
                path,
                at,
                format!(
                    "selector `{}` is already listed at `{}`; one selector has one key record, so list it once",
                    entry.selector, places[first]
                ),
            ),
            None => {
                places.push(path.render());
                selectors.push(entry);
            }
        }
    }

    /// A DKIM selector: one or more labels of letters, digits, `-` and
    /// `_` (RFC 6376 §3.1), whose key record name fits DNS.
    fn selector(&mut self, path: &KeyPath<'_>, item: &'n Node<'a>, domain: &str) -> Option<String> {
        let text = self.text(item, path, "a DKIM selector")?;
        let selector = text.trim().to_ascii_lowercase();
        if !is_selector(&selector) {
            self.error(
                path,
                item.at,
                format!("`{}` is not a DKIM selector; accepted: labels of letters, digits, `-` and `_`, e.g. `mail2024`", clip(&text)),
            );
            return None;
        }
        if !domain.is_empty()
            && let Err(err) = DomainName::new(
                &format!("{selector}._domainkey.{domain}"),
                Charset::LdhUnderscore,
            )
        {
            self.error(
                path,
                item.at,
                format!("the key record name `{selector}._domainkey.{domain}` is not a valid name: {err}"),
            );
            return None;
        }
        Some(selector)
    }

    /// One `dkim` entry: a selector alone, or a mapping with `selector`
    /// and at most one key file; with the place to report it at.
    fn dkim_entry(
        &mut self,
        path: &KeyPath<'_>,
        item: &'n Node<'a>,
        domain: &str,
    ) -> Option<(DkimSelector, At)> {
        let what = "a DKIM entry: `{selector: mail2024, private_key: FILE}`, or a selector alone";
        if !matches!(item.value, Value::Map { .. }) {
            let selector = self.selector(path, item, domain)?;
            return Some((
                DkimSelector {
                    selector,
                    key: None,
                    flags: Vec::new(),
                    hashes: Vec::new(),
                    notes: None,
                    retired: false,
                },
                item.at,
            ));
        }
        let mut unknown = false;
        let [
            selector,
            public_key,
            private_key,
            flags_field,
            hash,
            notes,
            retired,
        ] = self.mapping(item, path, DKIM_KEYS, what, &mut unknown)?;
        let selector_node = given(selector);
        let selector = match selector_node {
            Some(node) => self.selector(&path.key("selector"), node, domain),
            None => {
                self.required(
                    selector,
                    item,
                    path,
                    "selector",
                    "a DKIM selector such as `mail2024`",
                );
                None
            }
        };
        let retired = self.flag(given(retired), &path.key("retired"));
        let key = match (given(public_key), given(private_key)) {
            (Some(_), Some(second)) => {
                self.error(
                    &path.key("private_key"),
                    second.at,
                    "give one of `public_key` and `private_key`: the public key is derived from the private one",
                );
                None
            }
            (Some(node), None) => {
                self.key_file(&path.key("public_key"), node, Role::Public, retired)
            }
            (None, Some(node)) => {
                self.key_file(&path.key("private_key"), node, Role::Private, retired)
            }
            (None, None) => None,
        };
        let mut flags = self.choices(
            &path.key("flags"),
            given(flags_field),
            ("`t=` flags", "[y]"),
            &FlagsOrHashes::Flags,
        );
        let mut hashes = self.choices(
            &path.key("hash"),
            given(hash),
            ("hash algorithms", "[sha256]"),
            &FlagsOrHashes::Hashes,
        );
        // A record file's own `t=` and `h=` stand unless the entry sets
        // them: the record published from it stays as it is.
        let (key, record_tags) = key.map_or((None, None), |(key, tags)| (Some(key), tags));
        if let Some((file_flags, file_hashes)) = record_tags {
            if given(flags_field).is_none() {
                flags = file_flags
                    .into_iter()
                    .filter(|f| dkim::FLAGS.contains(&f.as_str()))
                    .collect();
            }
            if given(hash).is_none() {
                hashes = file_hashes
                    .into_iter()
                    .filter(|h| dkim::HASHES.contains(&h.as_str()))
                    .collect();
            }
        }
        let notes = given(notes)
            .and_then(|node| self.text(node, &path.key("notes"), "a note for people"))
            .map(|n| n.trim().to_owned());
        let has_key = nonempty(public_key) || nonempty(private_key);
        if !has_key && !retired && (!flags.is_empty() || !hashes.is_empty() || notes.is_some()) {
            self.warn(
                path,
                item.at,
                "`flags`, `hash` and `notes` go into the record senderzone publishes, but this entry names no key (`public_key` or `private_key`), so none is published",
            );
        }
        Some((
            DkimSelector {
                selector: selector?,
                key,
                flags,
                hashes,
                notes,
                retired,
            },
            selector_node.map_or(item.at, |n| n.at),
        ))
    }

    /// The key of a `public_key` or `private_key` file, its path relative
    /// to the inventory's directory, and the tags of a record file; its
    /// size checked against RFC 8301 unless the key is `retired`.
    fn key_file(
        &mut self,
        path: &KeyPath<'_>,
        node: &'n Node<'a>,
        role: Role,
        retired: bool,
    ) -> Option<(DkimKey, Option<RecordTags>)> {
        let text = self.text(node, path, "a key file")?;
        let file = std::path::PathBuf::from(text.trim());
        let resolved = match self.file.parent() {
            Some(dir) if file.is_relative() => dir.join(&file),
            _ => file.clone(),
        };
        let shown = text::escape(&resolved.to_string_lossy()).into_owned();
        let bytes = std::fs::File::open(&resolved).and_then(|handle| {
            use std::io::Read as _;
            let mut bytes = Vec::new();
            handle
                .take(MAX_KEY_FILE_BYTES + 1)
                .read_to_end(&mut bytes)
                .map(|_| bytes)
        });
        let bytes = match bytes {
            Ok(bytes) if bytes.len() as u64 > MAX_KEY_FILE_BYTES => {
                self.error(
                    path,
                    node.at,
                    format!(
                        "key file `{shown}` is larger than {MAX_KEY_FILE_BYTES} bytes: not a key"
                    ),
                );
                return None;
            }
            Ok(bytes) => bytes,
            Err(err) => {
                self.error(
                    path,
                    node.at,
                    format!("cannot read key file `{shown}`: {err}"),
                );
                return None;
            }
        };
        let public = match key_file::read(&bytes, role) {
            Ok(public) => public,
            Err(why) => {
                self.error(path, node.at, format!("key file `{shown}`: {why}"));
                return None;
            }
        };
        let bits = public.bits();
        if public.key_type() == KeyType::Rsa && !retired {
            if bits < MIN_RSA_BITS {
                self.error(
                    path,
                    node.at,
                    format!(
                        "the RSA key in `{shown}` has {bits} bits: RFC 8301 §3.2 forbids verifiers to accept keys under {MIN_RSA_BITS} bits; generate a {RECOMMENDED_RSA_BITS}-bit key (`senderzone dkim keygen`)"
                    ),
                );
                return None;
            }
            if bits > MAX_RSA_BITS {
                self.error(
                    path,
                    node.at,
                    format!(
                        "the RSA key in `{shown}` has {bits} bits: verifiers need not handle keys over {MAX_RSA_BITS} bits (RFC 8301 §3.2); use {RECOMMENDED_RSA_BITS}"
                    ),
                );
                return None;
            }
            if bits < RECOMMENDED_RSA_BITS {
                self.warn(
                    path,
                    node.at,
                    format!(
                        "the RSA key in `{shown}` has {bits} bits; RFC 8301 §3.2 says signers should use {RECOMMENDED_RSA_BITS}: move to a {RECOMMENDED_RSA_BITS}-bit key under a new selector when you next rotate"
                    ),
                );
            }
        }
        let key = DkimKey {
            public,
            file,
            private: role == Role::Private,
        };
        Some((key, key_file::record_tags(&bytes)))
    }

    /// A list of words from a fixed set (`flags`, `hash`), each once.
    fn choices(
        &mut self,
        path: &KeyPath<'_>,
        node: Option<&'n Node<'a>>,
        what: (&str, &str),
        kind: &FlagsOrHashes,
    ) -> Vec<String> {
        let items = self.list(node, path, what).unwrap_or(&[]);
        let accepted = kind.accepted();
        let mut chosen: Vec<String> = Vec::new();
        for (j, item) in items.iter().enumerate() {
            let item_path = path.index(j);
            let Some(text) = self.text(item, &item_path, what.0) else {
                continue;
            };
            let word = text.trim().to_ascii_lowercase();
            if !accepted.contains(&word.as_str()) {
                let why = match (kind, word.as_str()) {
                    (FlagsOrHashes::Hashes, "sha1") => {
                        " (RFC 8301 §3.1 forbids SHA-1 for DKIM)".to_owned()
                    }
                    (FlagsOrHashes::Flags, "email") => {
                        " (`s=email` is the default service type; `s` here is the `t=s` flag)"
                            .to_owned()
                    }
                    _ => did_you_mean(&word, accepted.iter().copied()),
                };
                self.error(
                    &item_path,
                    item.at,
                    format!(
                        "unknown {} `{}`{why}; accepted: {}",
                        kind.name(),
                        clip(&word),
                        accepted.join(", ")
                    ),
                );
            } else if !chosen.contains(&word) {
                chosen.push(word);
            }
        }
        chosen
    }

    /// A domain's extra networks. An entry is a
    /// network, or `{network: …, broad: true}` for one broader than the
    /// bound that is meant to be that broad.
    fn extra_networks(
        &mut self,
        path: &KeyPath<'_>,
        key: &'static str,
        node: Option<&'n Node<'a>>,
        family: Family,
        domain: &str,
    ) -> Vec<IpNet> {
        let list = path.key(key);
        let what = match family {
            Family::V4 => ("IPv4 networks", "[192.0.2.0/28]"),
            Family::V6 => ("IPv6 networks", "[2001:db8:10::/48]"),
        };
        let items = self.list(node, &list, what).unwrap_or(&[]);
        let mut nets = Vec::with_capacity(items.len());
        let mut seen: HashMap<IpNet, usize> = HashMap::with_capacity(items.len());
        for (j, item) in items.iter().enumerate() {
            let item_path = list.index(j);
            let Some((text, text_at, broad)) = self.network_entry(&item_path, item, family) else {
                continue;
            };
            let Some(net) = self.network(&item_path, text_at, &text, Some(family)) else {
                continue;
            };
            if let Some(first) = seen.get(&net) {
                self.error(
                    &item_path,
                    text_at,
                    format!(
                        "{net} is a duplicate of `{}.{key}[{first}]`; list it once",
                        path.render()
                    ),
                );
                continue;
            }
            seen.insert(net, j);
            if !self.breadth(&item_path, text_at, net, broad, family, domain) {
                continue;
            }
            if let Some(block) = net::special_purpose(net) {
                self.warn_special(&item_path, text_at, &net, block);
            }
            nets.push(net);
        }
        nets
    }

    /// A network entry: its text, where that is, and whether it is marked
    /// `broad: true`.
    fn network_entry(
        &mut self,
        path: &KeyPath<'_>,
        item: &'n Node<'a>,
        family: Family,
    ) -> Option<(Cow<'n, str>, At, bool)> {
        let what = family.network_entry();
        if !matches!(item.value, Value::Map { .. }) {
            let text = self.text(item, path, what)?;
            return Some((text, item.at, false));
        }
        let mut unknown = false;
        let [network, broad] = self.mapping(item, path, NETWORK_KEYS, what, &mut unknown)?;
        let text = self.required(network, item, path, "network", what)?;
        let at = given(network).map_or(item.at, |n| n.at);
        let broad = self.flag(given(broad), &path.key("broad"));
        Some((text, at, broad))
    }

    /// Whether `net` is within the bound, or marked as meant to be broader;
    /// reports it otherwise. A /0 is refused: it is `+all`.
    fn breadth(
        &mut self,
        path: &KeyPath<'_>,
        at: At,
        net: IpNet,
        broad: bool,
        family: Family,
        domain: &str,
    ) -> bool {
        let (bound, bits) = match family {
            Family::V4 => (BROADEST_IPV4_PREFIX, 32),
            Family::V6 => (BROADEST_IPV6_PREFIX, 128),
        };
        let len = net.prefix_len();
        if len == 0 {
            self.error(
                path,
                at,
                format!(
                    "{net} lets every {} address send as `{domain}`, as `+all` would; accepted: the networks your mail leaves from",
                    family.name()
                ),
            );
            return false;
        }
        if len < bound && !broad {
            self.error(
                path,
                at,
                format!(
                    "{net} is broader than /{bound}: it lets 2^{} addresses send as `{domain}`; if that is intended, write the entry as `{{network: {net}, broad: true}}`",
                    bits - len
                ),
            );
            return false;
        }
        if len >= bound && broad {
            self.warn(
                path,
                at,
                format!("{net} is not broader than /{bound}, so `broad: true` is not needed; list it as `{net}`"),
            );
        }
        true
    }

    /// Every owner in a declared zone; every address in a declared reverse
    /// zone; at most one SPF record per owner. Located by key path.
    ///
    /// For a valid inventory only, whose servers are the entries as
    /// written: `hostnames` (from [`Checker::servers`]) indexes them by name.
    fn placement(&mut self, inventory: &Inventory, hostnames: &ByName<'_>) {
        // A few zones are compared with each name; many are looked up by
        // each of its suffixes.
        let few = inventory.zones.len() <= FEW_ZONES;
        let zones: HashSet<&str> = match few {
            true => HashSet::default(),
            false => inventory.zones.iter().map(DomainName::as_str).collect(),
        };
        let in_some_zone = |name: &str| {
            if few {
                inventory
                    .zones
                    .iter()
                    .any(|zone| names::is_in_zone(name, zone))
            } else {
                names::suffixes(name).any(|s| zones.contains(s))
            }
        };
        let outside = |name: &str| {
            format!(
                "`{name}` is outside every declared zone; accepted: a name under one of `zones` ({}), or add its zone to `zones`",
                inventory.zones.join(", ")
            )
        };
        let servers_key = KeyPath::ROOT.key("servers");
        for (i, server) in inventory.servers.iter().enumerate() {
            let path = servers_key.index(i);
            if !in_some_zone(&server.hostname) {
                self.errors
                    .push(&path.key("hostname"), None, outside(&server.hostname));
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
                    self.errors.push(
                        &path.key(key).index(j),
                        None,
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
                self.errors
                    .push(&path.key("name"), None, outside(&domain.name));
            }
            if let Some(&index) = hostnames.get(domain.name.as_str())
                && !domain.servers.contains(&index)
            {
                self.errors.push(
                    &path.key("name"),
                    None,
                    format!(
                        "`{}` is both a server's HELO name and a sending domain, but the domain does not list that server; one name has one SPF record, so add `{}` to its `servers`",
                        domain.name, domain.name
                    ),
                );
            }
        }
    }
}

/// What a value is, for "found … where … is expected".
fn found(value: &Value<'_>) -> String {
    match value {
        Value::Text(text) => format!("the text `{}`", clip(text)),
        Value::Int(n) => format!("the number `{n}`"),
        Value::UInt(n) => format!("the number `{n}`"),
        Value::Float(n) => format!("the number `{n}`"),
        Value::Bool(b) => format!("`{b}`"),
        Value::Big => "a number beyond 64 bits".to_owned(),
        Value::Tagged => "a value with a YAML tag (`!name`), which has no meaning here,".to_owned(),
        Value::Null => "nothing".to_owned(),
        Value::List { .. } => "a list".to_owned(),
        Value::Map { .. } => "a mapping".to_owned(),
    }
}

/// At most 80 characters of a value, for messages.
fn clip(text: &str) -> Cow<'_, str> {
    const SHOWN: usize = 80;
    match text.char_indices().nth(SHOWN) {
        None => Cow::Borrowed(text),
        Some((end, _)) => Cow::Owned(format!("{}…", &text[..end])),
    }
}

fn accepted_keys(keys: &[&str]) -> String {
    keys.iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// " (did you mean `x`?)" when a candidate is close to `word`.
fn did_you_mean<'c>(word: &str, candidates: impl IntoIterator<Item = &'c str>) -> String {
    closest(word, candidates)
        .map(|c| format!(" (did you mean `{c}`?)"))
        .unwrap_or_default()
}

/// The warning for an address or network in special-purpose space.
fn special_warning(net: &IpNet, block: &net::SpecialBlock) -> String {
    let advice = if block.is_documentation() {
        "fine for examples; replace it with the real public address"
    } else {
        "receivers never see mail from such space and whitelist registries refuse SPF records that list it; use the public address the server sends from"
    };
    let subject = shown_network(net);
    // "10.0.0.0/8 overlaps 10.0.0.0/8" read like an entry given twice.
    let block_net = block.network.parse::<IpNet>().ok();
    if block_net == Some(*net) {
        format!(
            "{subject} is the {} block ({}): {advice}",
            block.purpose, block.rfc
        )
    } else {
        let relation = if block_net.is_some_and(|b| b.contains(net)) {
            "is in"
        } else {
            "contains"
        };
        format!(
            "{subject} {relation} {} ({}, {}): {advice}",
            block.network, block.purpose, block.rfc
        )
    }
}

/// A network as the inventory would write it: a single address bare.
fn shown_network(net: &IpNet) -> String {
    match net {
        IpNet::V4(n) if n.prefix_len() == 32 => n.addr().to_string(),
        IpNet::V6(n) if n.prefix_len() == 128 => n.addr().to_string(),
        _ => net.to_string(),
    }
}

/// The two word lists of a DKIM entry.
enum FlagsOrHashes {
    Flags,
    Hashes,
}

impl FlagsOrHashes {
    fn accepted(&self) -> &'static [&'static str] {
        match self {
            FlagsOrHashes::Flags => &dkim::FLAGS,
            FlagsOrHashes::Hashes => &dkim::HASHES,
        }
    }

    fn name(&self) -> &'static str {
        match self {
            FlagsOrHashes::Flags => "flag",
            FlagsOrHashes::Hashes => "hash algorithm",
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Family {
    V4 = 0,
    V6 = 1,
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

    fn server_key(self) -> &'static str {
        match self {
            Family::V4 => "ipv4",
            Family::V6 => "ipv6",
        }
    }

    fn address(self) -> &'static str {
        match self {
            Family::V4 => "an IPv4 address",
            Family::V6 => "an IPv6 address",
        }
    }

    fn address_list(self) -> (&'static str, &'static str) {
        match self {
            Family::V4 => ("IPv4 addresses", "[203.0.113.10]"),
            Family::V6 => ("IPv6 addresses", "[2001:db8::25]"),
        }
    }

    fn network_entry(self) -> &'static str {
        match self {
            Family::V4 => {
                "a network such as `192.0.2.0/28`, or `{network: 32.0.0.0/3, broad: true}`"
            }
            Family::V6 => {
                "a network such as `2001:db8:10::/48`, or `{network: 2001:db8::/31, broad: true}`"
            }
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
        let text = clip(text);
        match self {
            Family::V4 => format!("`{text}` is an IPv6 address; list it under `ipv6`/`ip6`"),
            Family::V6 => format!("`{text}` is an IPv4 address; list it under `ipv4`/`ip4`"),
        }
    }
}
