//! The inventory: the YAML description of a sending setup, loaded and
//! validated into typed values, every name a [`DomainName`].
//!
//! Loading never half-succeeds: either every value is valid (warnings
//! aside) or [`InventoryError`] lists every problem of the file at once
//! (up to [`MAX_REPORTED`]), each with its file, line, column and key path,
//! what is wrong and what is accepted. Values from the file are escaped in
//! messages as DNS data is ([`crate::text::escape`]).
//!
//! Loading is bounded: the file's size ([`MAX_INVENTORY_BYTES`]), its
//! nesting ([`MAX_DEPTH`]) and what its aliases repeat
//! ([`MAX_ALIAS_VALUES`]) are checked before the YAML is read.

mod address;
pub mod dkim;
mod dmarc;
mod guard;
mod raw;
mod span;
mod suggest;
mod validate;

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};

use crate::names::DomainName;
use crate::text;

pub use dkim::{DkimKey, DkimSelector};
pub use dmarc::{Alignment, Dmarc, DmarcPolicy};
pub use guard::{MAX_ALIAS_VALUES, MAX_DEPTH};
pub use span::Position;

use span::{Lines, SpanIndex};

/// Default TTL when the inventory gives none.
pub const DEFAULT_TTL: u32 = 3600;

/// How many problems (and, separately, warnings) are reported; the rest
/// are counted.
pub const MAX_REPORTED: usize = 100;

/// The largest inventory file read: a million servers take about 130 MB.
pub const MAX_INVENTORY_BYTES: u64 = 1 << 30;

/// The broadest IPv4 network a domain's `ip4` may list without
/// `broad: true` (README, "The inventory").
pub const BROADEST_IPV4_PREFIX: u8 = 16;

/// The broadest IPv6 network a domain's `ip6` may list without
/// `broad: true`.
pub const BROADEST_IPV6_PREFIX: u8 = 32;

/// A validated inventory.
#[derive(Debug, Clone)]
pub struct Inventory {
    /// The file it was read from, for messages.
    pub file: PathBuf,
    /// Default TTL of every generated record.
    pub ttl: u32,
    /// Forward zones, in the order given.
    pub zones: Vec<DomainName>,
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
    spans: OnceLock<(SpanIndex, Lines)>,
}

/// A sending server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Server {
    /// Host name: owner of A/AAAA, target of PTR.
    pub hostname: DomainName,
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

    /// The server's addresses, IPv4 first, each in the order listed.
    pub fn addresses(&self) -> impl Iterator<Item = IpAddr> + '_ {
        let v4 = self.ipv4.iter().map(|&ip| IpAddr::V4(ip));
        v4.chain(self.ipv6.iter().map(|&ip| IpAddr::V6(ip)))
    }
}

/// A domain that sends mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Domain {
    /// The domain, owner of its SPF record.
    pub name: DomainName,
    /// Indexes into [`Inventory::servers`] of the servers sending for it.
    pub servers: Vec<usize>,
    /// Third-party SPF records to include, in the order given.
    pub include: Vec<DomainName>,
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
    /// DKIM selectors (`dkim`, then `dkim_selectors`): `generate` writes
    /// the key record of those with a key or retired, `verify` checks all.
    pub dkim: Vec<DkimSelector>,
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
        let read = |source| InventoryError::Read {
            file: path.to_owned(),
            source,
        };
        let size = std::fs::metadata(path).map_err(read)?.len();
        if size > MAX_INVENTORY_BYTES {
            return Err(InventoryError::TooLarge {
                file: path.to_owned(),
                size,
            });
        }
        let bytes = std::fs::read(path).map_err(read)?;
        Self::from_bytes(path, &bytes)
    }

    /// Validates inventory text read from `file` (used for messages only).
    pub fn from_bytes(file: &Path, bytes: &[u8]) -> Result<Loaded, InventoryError> {
        if bytes.len() as u64 > MAX_INVENTORY_BYTES {
            return Err(InventoryError::TooLarge {
                file: file.to_owned(),
                size: bytes.len() as u64,
            });
        }
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
        let (spans, lines) = self.spans.get_or_init(|| {
            // The text was read once already: reading it again succeeds.
            let spans = raw::read(&self.source)
                .map(|tree| SpanIndex::build(&tree))
                .unwrap_or_default();
            (spans, Lines::new(&self.source))
        });
        Location {
            file: self.file.clone(),
            position: spans
                .locate(path)
                .map(|at| lines.position(&self.source, at.offset(&self.source))),
            path: text::escape(path).into_owned(),
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
    /// Problems that do not stop generation (special-purpose addresses),
    /// the first [`MAX_REPORTED`] of them.
    pub warnings: Vec<Problem>,
    /// How many more warnings there were.
    pub omitted_warnings: usize,
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
    /// The file is larger than any inventory.
    #[error(
        "{}: the inventory is {size} bytes; accepted: at most {MAX_INVENTORY_BYTES} bytes",
        file.display()
    )]
    TooLarge { file: PathBuf, size: u64 },
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
    /// One or more values are invalid: the first [`MAX_REPORTED`]
    /// problems, in the order of the file, and how many more there are.
    #[error("{}", self.messages().join("\n"))]
    Invalid {
        file: PathBuf,
        problems: Vec<Problem>,
        omitted: usize,
    },
}

impl InventoryError {
    /// Each problem as its own message line.
    pub fn messages(&self) -> Vec<String> {
        match self {
            InventoryError::Invalid {
                file,
                problems,
                omitted,
            } => {
                let mut lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
                if *omitted > 0 {
                    lines.push(omitted_line(file, *omitted, "problems"));
                }
                lines
            }
            other => vec![other.to_string()],
        }
    }
}

/// The line that ends a capped list: "FILE: N more problems not shown".
pub fn omitted_line(file: &Path, omitted: usize, what: &str) -> String {
    format!(
        "{}: {omitted} more {what} not shown (only the first {MAX_REPORTED} are)",
        file.display()
    )
}
