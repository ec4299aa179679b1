//! The inventory: the YAML description of a sending setup, loaded and
//! validated into typed values with every name normalised.
//!
//! Loading never half-succeeds: either every value is valid (warnings
//! aside) or [`InventoryError`] lists every problem with its file, line,
//! column and key path.

mod dmarc;
mod raw;
mod span;
mod validate;

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};

pub use dmarc::{Alignment, Dmarc, DmarcPolicy};
pub use span::{Position, SpanIndex};

/// Default TTL when the inventory gives none.
pub const DEFAULT_TTL: u32 = 3600;

/// A validated inventory.
#[derive(Debug, Clone)]
pub struct Inventory {
    /// The file it was read from, for messages.
    pub file: PathBuf,
    /// Default TTL of every generated record.
    pub ttl: u32,
    /// Forward zones, normalised, in the order given.
    pub zones: Vec<String>,
    /// Declared reverse zones; empty means "derive /24 and /48 zones".
    pub reverse_zones: Vec<IpNet>,
    /// How classless IPv4 reverse zones are named.
    pub classless_labels: ClasslessLabels,
    /// Sending servers.
    pub servers: Vec<Server>,
    /// Domains whose SPF records are generated.
    pub domains: Vec<Domain>,
    /// The text, kept to locate problems found after loading.
    source: Arc<str>,
    /// Built on first use: a valid inventory rarely needs it.
    spans: OnceLock<SpanIndex>,
}

/// A sending server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Server {
    /// Host name: owner of A/AAAA, target of PTR.
    pub hostname: String,
    /// What the MTA announces in HELO/EHLO when it differs from `hostname`,
    /// kept verbatim so that `verify` can diagnose it.
    pub helo: Option<String>,
    /// IPv4 addresses.
    pub ipv4: Vec<Ipv4Addr>,
    /// IPv6 addresses.
    pub ipv6: Vec<Ipv6Addr>,
    /// TTL for this server's records, overriding the default.
    pub ttl: Option<u32>,
}

impl Server {
    /// The name the server announces in HELO/EHLO.
    pub fn helo_name(&self) -> &str {
        self.helo.as_deref().unwrap_or(&self.hostname)
    }
}

/// A domain that sends mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Domain {
    /// The domain, owner of its SPF record.
    pub name: String,
    /// Indexes into [`Inventory::servers`] of the servers sending for it.
    pub servers: Vec<usize>,
    /// Third-party SPF records to include, in the order given.
    pub include: Vec<String>,
    /// Extra IPv4 networks.
    pub ip4: Vec<Ipv4Net>,
    /// Extra IPv6 networks.
    pub ip6: Vec<Ipv6Net>,
    /// The qualifier of the final `all`.
    pub all: AllPolicy,
    /// TTL for this domain's SPF records, overriding the default.
    pub ttl: Option<u32>,
    /// The DMARC policy to publish at `_dmarc.<name>`.
    pub dmarc: Option<Dmarc>,
    /// DKIM selectors whose keys `verify` checks (`<selector>._domainkey.<name>`).
    pub dkim_selectors: Vec<String>,
}

/// The terminal `all` of a generated SPF record (RFC 7208 §5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AllPolicy {
    /// `-all`: mail from other hosts fails.
    Fail,
    /// `~all`: mail from other hosts soft-fails.
    Softfail,
}

/// Label style of a classless (longer than /24) IPv4 reverse zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClasslessLabels {
    /// RFC 4183: `64-26.100.51.198.in-addr.arpa`.
    Rfc4183,
    /// RFC 2317: `64/26.100.51.198.in-addr.arpa`.
    Rfc2317,
}

impl Inventory {
    /// Reads and validates the inventory at `path`.
    pub fn load(path: &Path) -> Result<Loaded, InventoryError> {
        let bytes = std::fs::read(path).map_err(|source| InventoryError::Read {
            file: path.to_owned(),
            source,
        })?;
        Self::from_bytes(path, &bytes)
    }

    /// Validates inventory text read from `file` (used for messages only).
    pub fn from_bytes(file: &Path, bytes: &[u8]) -> Result<Loaded, InventoryError> {
        let text = std::str::from_utf8(bytes).map_err(|err| {
            let offset = err.valid_up_to();
            let before = &bytes[..offset];
            let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
            let line_start = before
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1);
            let column = String::from_utf8_lossy(&before[line_start..])
                .chars()
                .count()
                + 1;
            InventoryError::NotUtf8 {
                file: file.to_owned(),
                position: Position { line, column },
                byte: bytes[offset],
            }
        })?;
        validate::validate(file, text)
    }

    /// Where the value at `path` sits in the file, for messages.
    pub fn locate(&self, path: &str) -> Location {
        Location {
            file: self.file.clone(),
            position: self
                .spans
                .get_or_init(|| SpanIndex::build(&self.source))
                .locate(path),
            path: path.to_owned(),
        }
    }

    /// Index of the server named `hostname`.
    pub fn server_index(&self, hostname: &str) -> Option<usize> {
        self.servers.iter().position(|s| s.hostname == hostname)
    }
}

/// A validated inventory and the warnings found on the way.
#[derive(Debug)]
pub struct Loaded {
    /// The inventory.
    pub inventory: Inventory,
    /// Problems that do not stop generation (special-purpose addresses).
    pub warnings: Vec<Problem>,
}

/// A place in the inventory: file, line:column and key path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The inventory file.
    pub file: PathBuf,
    /// Line and column, when known.
    pub position: Option<Position>,
    /// Key path such as `domains[1].servers[0]`; empty for the whole file.
    pub path: String,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(Position { line, column }) = self.position {
            write!(f, ":{line}:{column}")?;
        }
        if !self.path.is_empty() {
            write!(f, ": `{}`", self.path)?;
        }
        Ok(())
    }
}

/// One problem in an inventory, located.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Where it is.
    pub location: Location,
    /// What is wrong and what is accepted.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

/// Why an inventory could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    /// The file could not be read.
    #[error("cannot read inventory `{}`: {source}", file.display())]
    Read {
        file: PathBuf,
        source: std::io::Error,
    },
    /// The file is not UTF-8.
    #[error(
        "{}:{}:{}: the inventory is not UTF-8 text (byte 0x{byte:02x}); save it as UTF-8",
        file.display(), position.line, position.column
    )]
    NotUtf8 {
        file: PathBuf,
        position: Position,
        byte: u8,
    },
    /// The file holds nothing but blanks and comments.
    #[error(
        "{}: the inventory is empty; accepted: a YAML mapping with `zones`, `servers` and `domains` (`senderzone init` writes a starter)",
        file.display()
    )]
    Empty { file: PathBuf },
    /// One or more values are invalid.
    #[error("{}", problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Invalid { problems: Vec<Problem> },
}

impl InventoryError {
    /// Each problem as its own message line.
    pub fn messages(&self) -> Vec<String> {
        match self {
            InventoryError::Invalid { problems } => {
                problems.iter().map(ToString::to_string).collect()
            }
            other => vec![other.to_string()],
        }
    }
}
