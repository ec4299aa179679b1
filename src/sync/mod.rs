//! `plan` and `apply`: what senderzone owns in a live zone, and the changes
//! that bring that zone to the record plan.
//!
//! Pure, no I/O: a reader in [`crate::target`] turns what a server holds
//! into a [`LiveZone`]; [`diff`] compares it with one [`ZonePlan`] and
//! returns a [`ZoneDiff`]: per RRset, the whole set before and after the
//! change (what an RFC 2136 prerequisite or a PowerDNS `REPLACE` needs)
//! and the record edits between them (what the plan shows).
//!
//! # Ownership
//!
//! senderzone owns, and so may change:
//! - the A and AAAA RRsets of every planned host name (server host names
//!   and published HELO names);
//! - the PTR RRset at every planned reverse name, and the CNAME RRset at
//!   every planned RFC 2317 / RFC 4183 delegation name;
//! - at every planned SPF owner (domains, host names, chained `_spfN`
//!   names) the TXT records that are SPF records (RFC 7208 §4.5), and at
//!   every planned DMARC name the TXT records that start with `v=DMARC1`
//!   (RFC 7489 §6.3), and at every planned DKIM key name
//!   (`SELECTOR._domainkey.DOMAIN`) the TXT records that are DKIM key
//!   records (`v=DKIM1` first, or a `p=` tag; RFC 6376 §3.6.1). Selectors
//!   the plan does not hold (another party's, or removed from the
//!   inventory) are never touched.
//!
//! Everything else is foreign and never changed: other TXT records at the
//! same names (site verification, …), every other type, every name the plan
//! does not hold. Two kinds of owned data lie outside the planned names and
//! are found only when the whole zone was read ([`ReadMethod::complete`]):
//! PTR records in a planned reverse zone that point to an inventory host
//! from an address the plan no longer has, and SPF records at `_spfN`
//! names of a planned domain that its chain no longer uses.
//!
//! Owned records the plan no longer wants (stale) are removed only with
//! `prune`; otherwise they are reported and kept.
//!
//! # One TTL per RRset
//!
//! An RRset has one TTL (RFC 2181 §5.2). Where owned records share a TXT
//! RRset with foreign ones, changing the TTL would change the foreign
//! records' TTL too: the RRset keeps its live TTL and the diff says so
//! ([`Note::SharedTtl`]).

pub mod report;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use foldhash::{HashMap, HashMapExt, HashSet};

use crate::dns::RecordData;
use crate::names::DomainName;
use crate::records::{Record, ZonePlan};

/// The record types senderzone publishes, in zone output order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RrType {
    /// IPv4 address (RFC 1035 §3.4.1).
    A,
    /// IPv6 address (RFC 3596 §2.2).
    Aaaa,
    /// Alias (RFC 1035 §3.3.1), here the RFC 2317 delegation of a PTR.
    Cname,
    /// Reverse mapping (RFC 1035 §3.3.12).
    Ptr,
    /// Text (RFC 1035 §3.3.14): SPF, DMARC and DKIM key records.
    Txt,
}

impl RrType {
    /// The type of `data`, if senderzone publishes it.
    pub fn of(data: &RecordData) -> Option<RrType> {
        match data {
            RecordData::A(_) => Some(RrType::A),
            RecordData::Aaaa(_) => Some(RrType::Aaaa),
            RecordData::Cname(_) => Some(RrType::Cname),
            RecordData::Ptr(_) => Some(RrType::Ptr),
            RecordData::Txt(_) => Some(RrType::Txt),
            RecordData::Mx(_) | RecordData::Other { .. } => None,
        }
    }

    /// The type mnemonic.
    pub fn name(self) -> &'static str {
        match self {
            RrType::A => "A",
            RrType::Aaaa => "AAAA",
            RrType::Cname => "CNAME",
            RrType::Ptr => "PTR",
            RrType::Txt => "TXT",
        }
    }

    /// The type number on the wire.
    pub fn record_type(self) -> hickory_proto::rr::RecordType {
        use hickory_proto::rr::RecordType;
        match self {
            RrType::A => RecordType::A,
            RrType::Aaaa => RecordType::AAAA,
            RrType::Cname => RecordType::CNAME,
            RrType::Ptr => RecordType::PTR,
            RrType::Txt => RecordType::TXT,
        }
    }

    /// The type for a wire type number, if senderzone publishes it.
    pub fn from_record_type(rtype: hickory_proto::rr::RecordType) -> Option<RrType> {
        use hickory_proto::rr::RecordType;
        match rtype {
            RecordType::A => Some(RrType::A),
            RecordType::AAAA => Some(RrType::Aaaa),
            RecordType::CNAME => Some(RrType::Cname),
            RecordType::PTR => Some(RrType::Ptr),
            RecordType::TXT => Some(RrType::Txt),
            _ => None,
        }
    }
}

impl fmt::Display for RrType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An RRset's identity: owner name and type (RFC 2181 §5).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RrsetKey {
    /// The owner.
    pub owner: DomainName,
    /// The type.
    pub rtype: RrType,
}

/// The records of one RRset and its one TTL (RFC 2181 §5.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rrset {
    /// Time to live of every record of the set.
    pub ttl: u32,
    /// The records, no two alike.
    pub records: Vec<RecordData>,
}

impl Rrset {
    /// True when both sets hold the same records, in any order; TTLs are
    /// not compared (as for an RFC 2136 §2.4.2 prerequisite).
    pub fn same_records(&self, other: &Rrset) -> bool {
        self.records.len() == other.records.len()
            && self.records.iter().all(|r| other.records.contains(r))
    }
}

/// How a zone was read from its server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadMethod {
    /// A full zone transfer (RFC 5936).
    Axfr,
    /// One query per planned name and type: names outside the plan unseen.
    Queries,
    /// A provider API listing every RRset of the zone.
    Api,
}

impl ReadMethod {
    /// True when every name of the zone was seen, so stale data at names
    /// outside the plan can be found.
    pub fn complete(self) -> bool {
        !matches!(self, ReadMethod::Queries)
    }

    /// How the method is named in output.
    pub fn describe(self) -> &'static str {
        match self {
            ReadMethod::Axfr => "AXFR",
            ReadMethod::Queries => "queries",
            ReadMethod::Api => "API",
        }
    }
}

/// A zone as a server holds it: the RRsets of the types senderzone
/// publishes, and which other names hold other data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveZone {
    /// The zone's name.
    pub origin: DomainName,
    /// How it was read.
    pub method: ReadMethod,
    /// Every RRset of an [`RrType`] that was read.
    pub rrsets: BTreeMap<RrsetKey, Rrset>,
    /// Owners holding data of other types (MX, NS, …): no CNAME can be
    /// added there (RFC 1034 §3.6.2).
    pub other_data: BTreeSet<DomainName>,
}

impl LiveZone {
    /// An empty zone read by `method`.
    pub fn new(origin: &DomainName, method: ReadMethod) -> LiveZone {
        LiveZone {
            origin: origin.clone(),
            method,
            rrsets: BTreeMap::new(),
            other_data: BTreeSet::new(),
        }
    }

    /// Adds one record; a second TTL in one RRset lowers the set's TTL to
    /// the smaller one, as resolvers treat it (RFC 2181 §5.2).
    pub fn insert(&mut self, owner: DomainName, ttl: u32, data: RecordData) {
        let Some(rtype) = RrType::of(&data) else {
            self.other_data.insert(owner);
            return;
        };
        let rrset = self
            .rrsets
            .entry(RrsetKey { owner, rtype })
            .or_insert(Rrset {
                ttl,
                records: Vec::new(),
            });
        rrset.ttl = rrset.ttl.min(ttl);
        if !rrset.records.contains(&data) {
            rrset.records.push(data);
        }
    }
}

/// Why a record is added or deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Reason {
    /// The plan has it; the zone does not.
    Missing,
    /// The zone has another value where the plan has its own (an old SPF
    /// record, a PTR to another name).
    Drift,
    /// Owned data the plan no longer has (removed only with `--prune`).
    Stale,
    /// The data is right, its TTL is not.
    Ttl,
}

impl Reason {
    /// The reason as written in plans.
    pub fn name(self) -> &'static str {
        match self {
            Reason::Missing => "missing",
            Reason::Drift => "drift",
            Reason::Stale => "stale",
            Reason::Ttl => "ttl",
        }
    }
}

/// Whether an edit adds or deletes a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// `+`: the record is added.
    Add,
    /// `-`: the record is deleted.
    Delete,
}

/// One record added or deleted, as a plan shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    /// Added or deleted.
    pub action: Action,
    /// The record's TTL: afterwards for an addition, as read for a deletion.
    pub ttl: u32,
    /// The data.
    pub data: RecordData,
    /// Why.
    pub reason: Reason,
}

/// The change of one RRset: the whole set before and after (foreign
/// records included), and the edits between.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RrsetChange {
    /// Owner and type.
    pub key: RrsetKey,
    /// The set as read; `None` when it did not exist.
    pub before: Option<Rrset>,
    /// The set afterwards; `None` when it is deleted.
    pub after: Option<Rrset>,
    /// Deletions and additions, deletions first.
    pub edits: Vec<Edit>,
}

impl RrsetChange {
    /// True when the whole set is rewritten: its TTL changes, which record
    /// edits cannot do (RFC 2136 §3.4.2.2 adds to an RRset at its TTL).
    pub fn rewrites_ttl(&self) -> bool {
        matches!((&self.before, &self.after), (Some(b), Some(a)) if b.ttl != a.ttl)
    }

    /// The change that undoes this one: `before` and `after` swapped,
    /// each addition a deletion and the other way round.
    pub fn inverse(&self) -> RrsetChange {
        let mut edits: Vec<Edit> = self
            .edits
            .iter()
            .map(|edit| Edit {
                action: match edit.action {
                    Action::Add => Action::Delete,
                    Action::Delete => Action::Add,
                },
                ..edit.clone()
            })
            .collect();
        edits.sort_by_key(|edit| edit.action == Action::Add);
        RrsetChange {
            key: self.key.clone(),
            before: self.after.clone(),
            after: self.before.clone(),
            edits,
        }
    }
}

/// A stale owned record kept because `--prune` was not given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptRecord {
    /// Owner and type.
    pub key: RrsetKey,
    /// Its TTL as read.
    pub ttl: u32,
    /// The data.
    pub data: RecordData,
}

/// Something the plan of a zone must say beside its edits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Note {
    /// A TXT RRset shared with foreign records keeps its live TTL.
    SharedTtl {
        /// The owner.
        owner: DomainName,
        /// The RRset's TTL, kept.
        live: u32,
        /// The TTL the plan asks for.
        planned: u32,
        /// How many records of the set senderzone does not own.
        foreign: usize,
    },
    /// Planned records cannot go beside what the owner holds (a CNAME
    /// excludes every other type, RFC 1034 §3.6.2): nothing is changed at
    /// the owner.
    Conflict {
        /// The owner.
        owner: DomainName,
        /// The type the plan wants there.
        planned: RrType,
        /// What holds the name, e.g. `CNAME mail.example.net.`.
        existing: String,
    },
    /// The zone was read by queries: stale data at names outside the plan
    /// cannot be seen.
    PartialRead,
}

impl Note {
    /// True when the note means the zone cannot reach the plan.
    pub fn is_conflict(&self) -> bool {
        matches!(self, Note::Conflict { .. })
    }
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Note::SharedTtl {
                owner,
                live,
                planned,
                foreign,
            } => write!(
                f,
                "{owner}. TXT keeps its live TTL {live}, not the planned {planned}: the RRset also holds {foreign} record{} senderzone does not own, and an RRset has one TTL (RFC 2181 §5.2)",
                if *foreign == 1 { "" } else { "s" }
            ),
            Note::Conflict {
                owner,
                planned,
                existing,
            } => write!(
                f,
                "conflict: {owner}. holds {existing}, so the planned {planned} records cannot be published beside it (RFC 1034 §3.6.2); senderzone leaves the name alone: remove what is there by hand"
            ),
            Note::PartialRead => f.write_str(
                "read by queries for the planned names (the server refused AXFR): stale PTR records of removed addresses and unused `_spfN` records cannot be seen; allow AXFR to see them",
            ),
        }
    }
}

/// The diff of one zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneDiff {
    /// The zone's name.
    pub zone: DomainName,
    /// How the zone was read.
    pub method: ReadMethod,
    /// The RRsets to change, in plan order, then stale sets by name.
    pub changes: Vec<RrsetChange>,
    /// Stale owned records kept (no `--prune`).
    pub kept: Vec<KeptRecord>,
    /// What the plan must say beside the edits.
    pub notes: Vec<Note>,
}

impl ZoneDiff {
    /// True when the zone already serves the plan: nothing to change and
    /// no conflict left.
    pub fn in_sync(&self) -> bool {
        self.changes.is_empty() && !self.notes.iter().any(Note::is_conflict)
    }

    /// Records added and deleted.
    pub fn counts(&self) -> (usize, usize) {
        let edits = self.changes.iter().flat_map(|c| &c.edits);
        edits.fold((0, 0), |(add, del), edit| match edit.action {
            Action::Add => (add + 1, del),
            Action::Delete => (add, del + 1),
        })
    }
}

/// What [`diff`] needs beside the zone and its plan.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// Every inventory host name: PTR records pointing to one of them are
    /// senderzone's, even at addresses the plan no longer has.
    pub hosts: &'a HashSet<DomainName>,
    /// Delete stale owned records instead of keeping them.
    pub prune: bool,
}

/// Compares one zone of the plan with the zone as read.
pub fn diff(plan: &ZonePlan, live: &LiveZone, context: Context<'_>) -> ZoneDiff {
    let mut differ = Differ {
        live,
        context,
        out: ZoneDiff {
            zone: plan.origin.clone(),
            method: live.method,
            changes: Vec::new(),
            kept: Vec::new(),
            notes: Vec::new(),
        },
        examined: HashSet::default(),
    };
    let planned = planned_rrsets(&plan.records);
    let mut conflicted: HashSet<&str> = HashSet::default();
    for (key, want) in &planned {
        if conflicted.contains(key.owner.as_str()) {
            continue;
        }
        if let Some(existing) = differ.conflict(key) {
            differ.out.notes.push(Note::Conflict {
                owner: key.owner.clone(),
                planned: key.rtype,
                existing,
            });
            conflicted.insert(&key.owner);
            continue;
        }
        match key.rtype {
            RrType::A | RrType::Aaaa => {
                differ.addresses(key, want);
                // The other family's set at a host name is owned too: an
                // address the plan does not have there is stale.
                let sibling = RrsetKey {
                    owner: key.owner.clone(),
                    rtype: if key.rtype == RrType::A {
                        RrType::Aaaa
                    } else {
                        RrType::A
                    },
                };
                if !planned.iter().any(|(k, _)| *k == sibling) {
                    differ.addresses(
                        &sibling,
                        &Rrset {
                            ttl: want.ttl,
                            records: Vec::new(),
                        },
                    );
                }
            }
            RrType::Ptr | RrType::Cname => differ.replace(key, want, |_| true),
            RrType::Txt => {
                let owned: fn(&RecordData) -> bool = if want.records.iter().any(is_dmarc) {
                    is_dmarc
                } else if want.records.iter().any(is_dkim) {
                    is_dkim
                } else {
                    is_spf
                };
                differ.replace(key, want, owned);
            }
        }
    }
    if live.method.complete() {
        differ.stale_outside_plan(&planned);
    } else {
        differ.out.notes.push(Note::PartialRead);
    }
    differ.out
}

/// The planned records grouped into RRsets, in plan order; an RRset whose
/// records disagree on the TTL takes the smallest (RFC 2181 §5.2).
fn planned_rrsets(records: &[Record]) -> Vec<(RrsetKey, Rrset)> {
    let mut sets: Vec<(RrsetKey, Rrset)> = Vec::new();
    let mut index: HashMap<RrsetKey, usize> = HashMap::new();
    for record in records {
        let Some(rtype) = RrType::of(&record.data) else {
            continue;
        };
        let key = RrsetKey {
            owner: record.owner.clone(),
            rtype,
        };
        let slot = *index.entry(key.clone()).or_insert_with(|| {
            sets.push((
                key,
                Rrset {
                    ttl: record.ttl,
                    records: Vec::new(),
                },
            ));
            sets.len() - 1
        });
        let set = &mut sets[slot].1;
        set.ttl = set.ttl.min(record.ttl);
        if !set.records.contains(&record.data) {
            set.records.push(record.data.clone());
        }
    }
    sets
}

/// True for TXT data that is an SPF record (RFC 7208 §4.5).
fn is_spf(data: &RecordData) -> bool {
    data.txt_joined()
        .is_some_and(|text| crate::spf::is_spf_record(&text))
}

/// True for TXT data that is a DMARC record (RFC 7489 §6.3).
fn is_dmarc(data: &RecordData) -> bool {
    data.txt_joined()
        .is_some_and(|text| crate::mailauth::dmarc::is_dmarc(&String::from_utf8_lossy(&text)))
}

/// True for TXT data that is a DKIM key record (RFC 6376 §3.6.1).
fn is_dkim(data: &RecordData) -> bool {
    data.txt_joined()
        .is_some_and(|text| crate::mailauth::dkim::is_key_record(&String::from_utf8_lossy(&text)))
}

/// What an RRset becomes, before the TTL edits are worked out.
struct Desired {
    /// Records read that stay.
    kept: Vec<RecordData>,
    /// Planned records to add.
    missing: Vec<RecordData>,
    /// Why they are added.
    reason: Reason,
    /// The set's TTL afterwards.
    ttl: u32,
    /// Records read that go.
    deletions: Vec<Edit>,
}

struct Differ<'a> {
    live: &'a LiveZone,
    context: Context<'a>,
    out: ZoneDiff,
    /// RRsets already compared with the plan.
    examined: HashSet<RrsetKey>,
}

impl Differ<'_> {
    /// What at `key`'s owner excludes the planned type: a CNAME beside
    /// other data, or other data beside a CNAME (RFC 1034 §3.6.2).
    fn conflict(&self, key: &RrsetKey) -> Option<String> {
        let at = |rtype| {
            self.live.rrsets.get(&RrsetKey {
                owner: key.owner.clone(),
                rtype,
            })
        };
        if key.rtype != RrType::Cname {
            return at(RrType::Cname).map(|cname| {
                let target = cname.records.first().map(ToString::to_string);
                format!("CNAME {}", target.unwrap_or_default())
            });
        }
        let mut others: Vec<&str> = [RrType::A, RrType::Aaaa, RrType::Ptr, RrType::Txt]
            .into_iter()
            .filter(|&rtype| at(rtype).is_some())
            .map(RrType::name)
            .collect();
        if self.live.other_data.contains(&key.owner) {
            others.push("other data");
        }
        (!others.is_empty()).then(|| format!("{} records", others.join(", ")))
    }

    /// An address RRset of a host: planned addresses are added, others
    /// are stale; the set takes the planned TTL when the plan has records
    /// in it.
    fn addresses(&mut self, key: &RrsetKey, want: &Rrset) {
        self.examined.insert(key.clone());
        let have = self.live.rrsets.get(key);
        let owned: &[RecordData] = have.map_or(&[], |h| &h.records);
        let stale: Vec<&RecordData> = owned.iter().filter(|r| !want.records.contains(r)).collect();
        let mut desired = Desired {
            kept: owned.to_vec(),
            missing: want
                .records
                .iter()
                .filter(|r| !owned.contains(r))
                .cloned()
                .collect(),
            reason: Reason::Missing,
            // Without planned records (the other family of a host) the
            // set's TTL is left as it is.
            ttl: match have {
                Some(have) if want.records.is_empty() => have.ttl,
                _ => want.ttl,
            },
            deletions: Vec::new(),
        };
        if self.context.prune {
            desired.deletions = stale
                .iter()
                .map(|data| deletion(have, data, Reason::Stale))
                .collect();
            desired.kept.retain(|r| !stale.contains(&r));
        } else if let Some(have) = have {
            self.out.kept.extend(stale.iter().map(|&data| KeptRecord {
                key: key.clone(),
                ttl: have.ttl,
                data: data.clone(),
            }));
        }
        self.finish(key, have, desired);
    }

    /// An RRset the plan holds whole, or the part of it `owned` picks: the
    /// owned records become the planned ones; foreign records stay.
    fn replace(&mut self, key: &RrsetKey, want: &Rrset, owned: impl Fn(&RecordData) -> bool) {
        self.examined.insert(key.clone());
        let have = self.live.rrsets.get(key);
        let records: &[RecordData] = have.map_or(&[], |h| &h.records);
        let (mine, foreign): (Vec<&RecordData>, Vec<&RecordData>) =
            records.iter().partition(|r| owned(r));
        let ttl = match have {
            Some(have) if !foreign.is_empty() => {
                if have.ttl != want.ttl {
                    self.out.notes.push(Note::SharedTtl {
                        owner: key.owner.clone(),
                        live: have.ttl,
                        planned: want.ttl,
                        foreign: foreign.len(),
                    });
                }
                have.ttl
            }
            _ => want.ttl,
        };
        let desired = Desired {
            kept: records
                .iter()
                .filter(|r| !owned(r) || want.records.contains(r))
                .cloned()
                .collect(),
            missing: want
                .records
                .iter()
                .filter(|r| !mine.contains(r))
                .cloned()
                .collect(),
            reason: if mine.is_empty() {
                Reason::Missing
            } else {
                Reason::Drift
            },
            ttl,
            deletions: mine
                .iter()
                .filter(|r| !want.records.contains(r))
                .map(|data| deletion(have, data, Reason::Drift))
                .collect(),
        };
        self.finish(key, have, desired);
    }

    /// Records the change of an RRset, if there is one: `desired.kept`
    /// stay, `desired.missing` are added at `desired.ttl`, and kept
    /// records at another TTL get a `ttl` edit each.
    fn finish(&mut self, key: &RrsetKey, have: Option<&Rrset>, desired: Desired) {
        let Desired {
            kept: mut after,
            missing,
            reason,
            ttl,
            deletions: mut edits,
        } = desired;
        let mut additions = Vec::new();
        if let Some(have) = have.filter(|h| h.ttl != ttl && !after.is_empty()) {
            for data in &after {
                edits.push(Edit {
                    action: Action::Delete,
                    ttl: have.ttl,
                    data: data.clone(),
                    reason: Reason::Ttl,
                });
                additions.push(Edit {
                    action: Action::Add,
                    ttl,
                    data: data.clone(),
                    reason: Reason::Ttl,
                });
            }
        }
        for data in missing {
            additions.push(Edit {
                action: Action::Add,
                ttl,
                data: data.clone(),
                reason,
            });
            after.push(data);
        }
        edits.append(&mut additions);
        if edits.is_empty() {
            return;
        }
        self.out.changes.push(RrsetChange {
            key: key.clone(),
            before: have.cloned(),
            after: (!after.is_empty()).then_some(Rrset {
                ttl,
                records: after,
            }),
            edits,
        });
    }

    /// Owned data at names the plan does not hold: PTR records to
    /// inventory hosts, SPF records at unused `_spfN` names of a planned
    /// domain.
    fn stale_outside_plan(&mut self, planned: &[(RrsetKey, Rrset)]) {
        let spf_owners: HashSet<&str> = planned
            .iter()
            .filter(|(key, set)| key.rtype == RrType::Txt && set.records.iter().any(is_spf))
            .map(|(key, _)| key.owner.as_str())
            .collect();
        let live = self.live;
        for (key, have) in &live.rrsets {
            if self.examined.contains(key) {
                continue;
            }
            let stale: Vec<&RecordData> = match key.rtype {
                RrType::Ptr => have
                    .records
                    .iter()
                    .filter(|r| matches!(r, RecordData::Ptr(target) if self.context.hosts.contains(target.as_str())))
                    .collect(),
                RrType::Txt if is_unused_chain_link(&key.owner, &spf_owners) => {
                    have.records.iter().filter(|r| is_spf(r)).collect()
                }
                _ => continue,
            };
            if stale.is_empty() {
                continue;
            }
            if !self.context.prune {
                self.out.kept.extend(stale.iter().map(|&data| KeptRecord {
                    key: key.clone(),
                    ttl: have.ttl,
                    data: data.clone(),
                }));
                continue;
            }
            let edits = stale
                .iter()
                .map(|data| deletion(Some(have), data, Reason::Stale))
                .collect();
            let after: Vec<RecordData> = have
                .records
                .iter()
                .filter(|r| !stale.contains(r))
                .cloned()
                .collect();
            self.out.changes.push(RrsetChange {
                key: key.clone(),
                before: Some(have.clone()),
                after: (!after.is_empty()).then_some(Rrset {
                    ttl: have.ttl,
                    records: after,
                }),
                edits,
            });
        }
    }
}

/// The deletion of `data` from the set `have`, at the set's TTL.
fn deletion(have: Option<&Rrset>, data: &RecordData, reason: Reason) -> Edit {
    Edit {
        action: Action::Delete,
        ttl: have.map_or(0, |h| h.ttl),
        data: data.clone(),
        reason,
    }
}

/// True for `_spfN.<domain>` (N decimal digits) where `<domain>` has a
/// planned SPF record but `_spfN` is not planned (the caller checks that):
/// the name of a chain link the domain's record no longer uses.
fn is_unused_chain_link(owner: &str, spf_owners: &HashSet<&str>) -> bool {
    let Some((label, domain)) = owner.split_once('.') else {
        return false;
    };
    label
        .strip_prefix("_spf")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        && spf_owners.contains(domain)
}

#[cfg(test)]
mod tests;
