//! A domain's DKIM selectors (RFC 6376 §3.6.2.1): those whose key the
//! inventory holds, from which `generate` writes the key record at
//! `SELECTOR._domainkey.DOMAIN`, and those another party publishes, which
//! `verify` only checks.

use std::path::PathBuf;

use crate::mailauth::dkim::{self, KeyType, PublicKey, RecordSpec};
use crate::names::DomainName;

/// The `flags` an entry may set: `t=` flags (RFC 6376 §3.6.1).
pub const FLAGS: [&str; 2] = ["y", "s"];

/// The `hash` values an entry may restrict its key to: SHA-1 is
/// forbidden (RFC 8301 §3.1).
pub const HASHES: [&str; 1] = ["sha256"];

/// One entry of a domain's `dkim` list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DkimSelector {
    /// The selector, lower case: one or more labels.
    pub selector: String,
    /// The key the inventory names; `None` when another party publishes
    /// it (`verify` checks it exists and is strong).
    pub key: Option<DkimKey>,
    /// `t=` flags: `y` (testing), `s` (no subdomains in `i=`).
    pub flags: Vec<String>,
    /// `h=`: the hash algorithms the key may be used with; empty: any.
    pub hashes: Vec<String>,
    /// `n=`: notes for people, published in the record.
    pub notes: Option<String>,
    /// Retired: the key is revoked, its record publishes an empty `p=`
    /// (RFC 6376 §3.6.1) until the entry is removed.
    pub retired: bool,
}

/// A key the inventory names, read when the inventory was loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DkimKey {
    /// The public key: read from `public_key`, or derived from `private_key`.
    pub public: PublicKey,
    /// The file, relative to the inventory's directory as written.
    pub file: PathBuf,
    /// True when the file is a private key.
    pub private: bool,
}

impl DkimSelector {
    /// The owner of its key record: `SELECTOR._domainkey.DOMAIN`.
    pub fn owner(&self, domain: &DomainName) -> DomainName {
        domain.prefixed(&format!("{}._domainkey", self.selector))
    }

    /// The key type, when the inventory knows the key.
    pub fn key_type(&self) -> Option<KeyType> {
        self.key.as_ref().map(|k| k.public.key_type())
    }

    /// The record senderzone publishes for it, if it publishes one: with
    /// its key, or, retired, with an empty `p=`.
    pub fn record_text(&self) -> Option<String> {
        if self.key.is_none() && !self.retired {
            return None;
        }
        let key = self.key.as_ref().filter(|_| !self.retired);
        Some(dkim::record_text(&RecordSpec {
            key_type: self.key_type(),
            key: key.map(|k| &k.public),
            hashes: &self.hashes,
            flags: &self.flags,
            notes: self.notes.as_deref(),
        }))
    }
}
