//! The registry of DNS blocklists: built in (`templates/dnsbl-lists.yaml`)
//! and extended or overridden by a user file with the same keys.

use std::collections::BTreeMap;
use std::fmt;
use std::net::Ipv4Addr;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::names::{DomainName, normal_form};

/// The built-in registry, embedded at compile time.
const BUILT_IN: &str = include_str!("../../templates/dnsbl-lists.yaml");

/// How much a listing on a list matters (deliverability.md §3.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Impact {
    /// Rarely matters: lists innocent neighbours or whole countries.
    Informational,
    /// A small list few receivers use.
    Minor,
    /// Used by many receivers.
    Important,
    /// A policy listing (end-user space), not a sign of abuse.
    Policy,
    /// Blocks mail at most receivers.
    Critical,
}

impl fmt::Display for Impact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Impact::Informational => "informational",
            Impact::Minor => "minor",
            Impact::Important => "important",
            Impact::Policy => "policy",
            Impact::Critical => "critical",
        })
    }
}

/// What a list answers for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Key {
    /// IPv4 addresses, reversed octets.
    Ipv4,
    /// IPv6 addresses, reversed nibbles.
    Ipv6,
    /// Domain names, prepended.
    Domain,
}

impl Key {
    /// What a list of this key takes, in words: `IPv4 addresses`.
    pub fn plural(self) -> &'static str {
        match self {
            Key::Ipv4 => "IPv4 addresses",
            Key::Ipv6 => "IPv6 addresses",
            Key::Domain => "domain names",
        }
    }
}

impl fmt::Display for Key {
    /// `IPv4`, `IPv6`, `domains`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Key::Ipv4 => "IPv4",
            Key::Ipv6 => "IPv6",
            Key::Domain => "domains",
        })
    }
}

/// Whether a list may be queried.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// In service.
    #[default]
    Active,
    /// Closed: never queried, reported as dead when named.
    Dead,
    /// Needs a subscription key: queried only when named.
    Subscription,
}

/// What one documented answer means.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Code {
    /// What the listing means.
    pub meaning: String,
    /// How much it matters; the list's impact when absent.
    pub impact: Option<Impact>,
    /// What to do about it.
    pub advice: Option<String>,
    /// Ids of `verify` findings known to cause such a listing (the CBL
    /// lists servers that announce HELO `localhost.localdomain`:
    /// `helo-invalid`); `verify --dnsbl` points a listing to a finding of
    /// the same run with one of them.
    #[serde(default)]
    pub caused_by: Vec<String>,
}

/// One blocklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct List {
    /// The DNS zone queried, e.g. `zen.spamhaus.org`.
    pub zone: DomainName,
    /// A readable name.
    pub name: Option<String>,
    /// What it takes: IPv4, IPv6, domains.
    #[serde(default)]
    pub keys: Vec<Key>,
    /// Impact of a listing without a more specific code impact.
    pub impact: Option<Impact>,
    /// Where to ask for removal.
    pub delist: Option<String>,
    /// Usage terms worth knowing before querying.
    pub terms: Option<String>,
    /// Free text shown with the list (why it is dead, a caveat).
    pub note: Option<String>,
    /// Whether it may be queried.
    #[serde(default)]
    pub status: Status,
    /// The answers that mean "listed".
    #[serde(default)]
    pub codes: BTreeMap<Ipv4Addr, Code>,
    /// Answers that mean the query was refused, with why.
    #[serde(default)]
    pub refusals: BTreeMap<Ipv4Addr, String>,
    /// Not described by a registry: named with `--list ZONE` alone and
    /// asked with the RFC 5782 defaults ([`List::undocumented`]).
    #[serde(skip)]
    pub undocumented: bool,
}

/// What an undocumented list's listing means.
const UNDOCUMENTED_MEANING: &str =
    "listed (a code RFC 5782 allows; this list's codes are not known in detail)";

impl List {
    /// A list no registry describes, for `--list ZONE`: RFC 5782 defaults.
    ///
    /// Every kind of key is asked, and its test entries (RFC 5782 §5)
    /// decide for which ones the list is usable. Any answer from
    /// `127.0.0.2` to `127.0.0.255` means listed (RFC 5782 §2.3: `127.0.0.1`
    /// is the negative test entry's, and lists answer in `127/8`), with
    /// important impact: the user asked for the list by name. Refusal codes
    /// are the generic ones only.
    pub fn undocumented(zone: DomainName) -> List {
        let codes = (2..=255)
            .map(|last| {
                let code = Code {
                    meaning: UNDOCUMENTED_MEANING.to_owned(),
                    impact: None,
                    advice: None,
                    caused_by: Vec::new(),
                };
                (Ipv4Addr::new(127, 0, 0, last), code)
            })
            .collect();
        List {
            zone,
            name: None,
            keys: vec![Key::Ipv4, Key::Ipv6, Key::Domain],
            impact: Some(Impact::Important),
            delist: None,
            terms: None,
            note: Some(
                "not in the registry: asked with the RFC 5782 defaults (127.0.0.2 to 127.0.0.255 mean listed); its codes are not known in detail"
                    .to_owned(),
            ),
            status: Status::Active,
            codes,
            refusals: BTreeMap::new(),
            undocumented: true,
        }
    }

    /// The readable name, or the zone.
    pub fn label(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.zone)
    }

    /// Takes keys of this kind.
    pub fn takes(&self, key: Key) -> bool {
        self.keys.contains(&key)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RegistryFile {
    lists: Vec<List>,
}

/// The lists known to a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registry {
    /// By zone, lower case.
    pub lists: Vec<List>,
}

/// Why a list file could not be used.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {message}")]
pub struct RegistryError {
    /// The file.
    pub file: String,
    /// What is wrong, with line and column when known.
    pub message: String,
}

impl Registry {
    /// The built-in registry.
    pub fn built_in() -> Self {
        Self::parse("built-in registry", BUILT_IN).expect("the built-in registry is valid")
    }

    /// Adds the lists of `file` to `self`, replacing lists of the same zone.
    pub fn extend_from_file(&mut self, file: &Path) -> Result<(), RegistryError> {
        let name = file.display().to_string();
        let text = std::fs::read_to_string(file).map_err(|err| RegistryError {
            file: name.clone(),
            message: format!("cannot read the list file: {err}"),
        })?;
        let extra = Self::parse(&name, &text)?;
        for list in extra.lists {
            match self.lists.iter_mut().find(|l| l.zone == list.zone) {
                Some(existing) => *existing = list,
                None => self.lists.push(list),
            }
        }
        Ok(())
    }

    fn parse(file: &str, text: &str) -> Result<Self, RegistryError> {
        let parsed: RegistryFile = serde_yaml::from_str(text).map_err(|err| RegistryError {
            file: file.to_owned(),
            message: match err.location() {
                Some(at) => format!("{}:{}: {err}", at.line(), at.column()),
                None => err.to_string(),
            },
        })?;
        let mut lists = parsed.lists;
        for list in &mut lists {
            if list.status == Status::Active && list.keys.is_empty() {
                return Err(RegistryError {
                    file: file.to_owned(),
                    message: format!(
                        "list `{}` has no `keys`; accepted: ipv4, ipv6, domain",
                        list.zone
                    ),
                });
            }
        }
        Ok(Registry { lists })
    }

    /// The list for `zone`, if known.
    pub fn find(&self, zone: &str) -> Option<&List> {
        let zone = normal_form(zone);
        self.lists.iter().find(|l| l.zone == *zone)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_registry_loads_with_dead_lists_marked() {
        let registry = Registry::built_in();
        let zen = registry.find("ZEN.spamhaus.org.").unwrap();
        assert!(zen.takes(Key::Ipv4) && zen.takes(Key::Ipv6));
        assert_eq!(
            zen.codes[&Ipv4Addr::new(127, 0, 0, 10)].impact,
            Some(Impact::Policy)
        );
        assert!(
            zen.refusals
                .contains_key(&Ipv4Addr::new(127, 255, 255, 254))
        );
        assert_eq!(
            registry.find("dnsbl.ahbl.org").unwrap().status,
            Status::Dead
        );
        assert_eq!(
            registry.find("dnsbl.sorbs.net").unwrap().status,
            Status::Dead
        );
    }
}
